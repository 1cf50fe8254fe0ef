//! What people do with products and pushes, shared by the JSON API and the pages: write and review
//! products, push them down the hierarchy, sign, forward, confirm and recall; residents subscribe,
//! read their inbox and leave; and the sweep that sends scheduled pushes down and raises overdue
//! units. Every staff change is audited.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use utoipa::ToSchema;

use super::delivery::sms::SmsClient;
use super::store::{self, NewProduct, NewPush, NewSubscriber, NewVariant, Node, Variant};
use super::{
    Audience, Channel, Lang, Place, ProductKind, ProductState, PushState, SignHours, Theme, Way, check_sms_length,
    join_tags, next_level, parse_tags, variant_for,
};
use crate::config::SmsConfig;
use crate::db::Db;
use crate::i18n::{keyed, term};
use crate::org::caller::Principal;
use crate::org::{self, Role, Scope};
use crate::personal::{DataKey, PhoneNumber};
use crate::{Error, Result, clock};

/// Largest file a product may carry.
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;

/// A product as written in a form or a JSON body.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct ProductInput {
    /// `video`, `poster`, `audio`, `article` or `tip`.
    #[schema(value_type = super::ProductKind)]
    pub kind: String,
    /// Chinese title.
    pub title: String,
    /// Chinese text: the tip itself (at most 70 characters), or a description.
    #[serde(default)]
    pub body: String,
    /// A link to the product (a video platform, the corps' site).
    #[serde(default)]
    pub link: String,
    /// Korean title (optional).
    #[serde(default)]
    pub title_ko: String,
    /// Korean text.
    #[serde(default)]
    pub body_ko: String,
    /// Audience tags.
    #[serde(default)]
    pub audiences: Vec<String>,
    /// Place tags.
    #[serde(default)]
    pub places: Vec<String>,
    /// Theme tags.
    #[serde(default)]
    pub themes: Vec<String>,
}

/// An uploaded file for a variant.
#[derive(Clone, Debug)]
pub struct Upload {
    /// The variant's language.
    pub lang: Lang,
    /// File name as sent.
    pub name: String,
    pub(crate) bytes: Vec<u8>,
}

/// The media type of a file from its first bytes, when it is one products may carry.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    let at = |i: usize, s: &[u8]| bytes.get(i..i + s.len()) == Some(s);
    if at(4, b"ftyp") {
        Some("video/mp4")
    } else if at(0, &[0x1a, 0x45, 0xdf, 0xa3]) {
        Some("video/webm")
    } else if at(0, b"\x89PNG") {
        Some("image/png")
    } else if at(0, &[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else if at(0, b"RIFF") && at(8, b"WEBP") {
        Some("image/webp")
    } else if at(0, b"RIFF") && at(8, b"WAVE") {
        Some("audio/wav")
    } else if at(0, b"%PDF") {
        Some("application/pdf")
    } else if at(0, b"ID3") || at(0, &[0xff, 0xfb]) || at(0, &[0xff, 0xf3]) {
        Some("audio/mpeg")
    } else if at(0, b"OggS") {
        Some("audio/ogg")
    } else {
        None
    }
}

/// The media types a product kind may carry.
pub fn allowed_types(kind: ProductKind) -> &'static [&'static str] {
    match kind {
        ProductKind::Video => &["video/mp4", "video/webm"],
        ProductKind::Poster => &["image/png", "image/jpeg", "image/webp", "application/pdf"],
        ProductKind::Audio => &["audio/mpeg", "audio/ogg", "audio/wav", "video/mp4"],
        ProductKind::Article => &["application/pdf", "image/png", "image/jpeg"],
        ProductKind::Tip => &["image/png", "image/jpeg"],
    }
}

fn check_upload(kind: ProductKind, u: &Upload) -> Result<(String, Vec<u8>)> {
    let field = format!("file_{}", u.lang);
    if u.bytes.len() > MAX_FILE_BYTES {
        return Err(Error::invalid(
            field,
            keyed("error.product_file_size", &[&u.name, &(u.bytes.len() / (1024 * 1024)).to_string()]),
        ));
    }
    let Some(found) = sniff(&u.bytes).filter(|t| allowed_types(kind).contains(t)) else {
        return Err(Error::invalid(
            field,
            keyed("error.product_file_type", &[&u.name, &term("push_kind", kind), &allowed_types(kind).join(", ")]),
        ));
    };
    Ok((found.to_owned(), u.bytes.clone()))
}

/// A product's checked kind, stored tags and variants (language, title, text).
type Checked = (ProductKind, String, Vec<(Lang, String, String)>);

fn checked_product(input: &ProductInput) -> Result<Checked> {
    let kind = ProductKind::parse(&input.kind).ok_or_else(|| Error::invalid("kind", "error.product_kind"))?;
    let title = input.title.trim();
    if title.is_empty() || title.chars().count() > 100 {
        return Err(Error::invalid("title", "error.product_title"));
    }
    let link = input.link.trim();
    if !(link.is_empty() || link.starts_with("https://") || link.starts_with("http://")) {
        return Err(Error::invalid("link", "error.link_scheme"));
    }
    if kind == ProductKind::Tip {
        if input.body.trim().is_empty() {
            return Err(Error::invalid("body", "error.tip_text"));
        }
        check_sms_length("body", &input.body)?;
        check_sms_length("body_ko", &input.body_ko)?;
    }
    let audiences = parse_tags("audiences", &input.audiences, Audience::parse)?;
    let places = parse_tags("places", &input.places, Place::parse)?;
    let themes = parse_tags("themes", &input.themes, Theme::parse)?;
    let tags = join_tags(
        audiences
            .iter()
            .map(|a| a.as_str())
            .chain(places.iter().map(|p| p.as_str()))
            .chain(themes.iter().map(|t| t.as_str())),
    );
    let mut variants = vec![(Lang::Zh, title.to_owned(), input.body.trim().to_owned())];
    if !input.title_ko.trim().is_empty() || !input.body_ko.trim().is_empty() {
        let ko_title = if input.title_ko.trim().is_empty() { title } else { input.title_ko.trim() };
        variants.push((Lang::Ko, ko_title.to_owned(), input.body_ko.trim().to_owned()));
    }
    Ok((kind, tags, variants))
}

/// What the library searches a product by, lower case: the title's pinyin (whole and initials),
/// every variant's title and text, and its tags' names in Chinese and Korean (so that 电动车 finds
/// the products tagged 电动车充电).
pub fn search_text<'a>(title: &str, texts: impl IntoIterator<Item = &'a str>, tags: &str) -> String {
    let (full, initials) = org::reference::pinyin_of(title);
    let mut s = format!("{full} {initials} {title}");
    for t in texts {
        s.push(' ');
        s.push_str(t);
    }
    for tag in super::split_tags(tags) {
        for lang in [crate::i18n::Lang::Zh, crate::i18n::Lang::Ko] {
            s.push(' ');
            s.push_str(lang.t(&format!("push_tag.{tag}")));
        }
    }
    s.to_lowercase()
}

/// Whether a user writes products and sends pushes: admins and fire-service staff.
pub fn may_write(me: &Principal) -> bool {
    me.role.is_fire_staff()
}

fn can_write(me: &Principal) -> Result<()> {
    if may_write(me) { Ok(()) } else { Err(Error::Forbidden) }
}

/// Whether a user signs, forwards and confirms pushes at their level: fire-service staff, admins
/// and, at a community, its grid workers. Leaders, liaisons of line departments and volunteers read
/// pushes but do not pass them on.
pub fn may_pass_on(me: &Principal) -> bool {
    may_write(me) || me.role == Role::CommunityWorker
}

/// Whether a user reviews a product: admins, provincial and detachment staff of the level that
/// owns it or a level above — never a sibling region, never a level below.
pub async fn may_review(db: &Db, me: &Principal, product: &store::Product) -> Result<bool> {
    if !matches!(me.role, Role::Admin | Role::ProvinceStaff | Role::DetachmentStaff) {
        return Ok(false);
    }
    match org::store::unit(db, &me.scope, product.unit_id).await {
        Ok(_) => Ok(true),
        Err(Error::NotFound) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Whether a user recalls a push: its sender's level, or an admin whose area holds the sender (a
/// push that came from above is never recalled below).
pub fn may_recall(me: &Principal, push: &store::Push) -> bool {
    (may_write(me) && push.origin_path == me.user.region_path)
        || (me.role == Role::Admin && me.scope.contains(&push.origin_path))
}

/// Adds a product to the library as a draft (or, loaded by `load_approved`, approved).
pub async fn create_product(db: &Db, me: &Principal, input: &ProductInput, uploads: &[Upload]) -> Result<i64> {
    let r = async {
        can_write(me)?;
        let (kind, tags, variants) = checked_product(input)?;
        let search =
            search_text(input.title.trim(), variants.iter().flat_map(|(_, t, b)| [t.as_str(), b.as_str()]), &tags);
        let mut files = Vec::new();
        for u in uploads.iter().filter(|u| !u.bytes.is_empty()) {
            if !variants.iter().any(|(l, _, _)| *l == u.lang) {
                return Err(Error::invalid(format!("file_{}", u.lang), "error.korean_file"));
            }
            files.push((u.lang, u.name.clone(), check_upload(kind, u)?));
        }
        let new = NewProduct {
            kind,
            title: input.title.trim().to_owned(),
            tags,
            state: ProductState::Draft,
            search,
            unit_id: me.user.unit_id,
            region_path: me.user.region_path.clone(),
            created_by: me.user.id,
            created_at: clock::now(),
            reviewed: None,
        };
        let rows: Vec<NewVariant> = variants
            .iter()
            .map(|(lang, title, body)| {
                let file = files.iter().find(|(l, _, _)| l == lang);
                NewVariant {
                    variant: Variant {
                        lang: *lang,
                        title: title.clone(),
                        body: body.clone(),
                        link: input.link.trim().to_owned(),
                        file_name: file.map(|(_, n, _)| n.clone()).unwrap_or_default(),
                        file_type: file.map(|(_, _, (t, _))| t.clone()).unwrap_or_default(),
                        file_size: file.map_or(0, |(_, _, (_, b))| i64::try_from(b.len()).unwrap_or(0)),
                    },
                    file: file.map(|(_, _, (_, b))| b.clone()),
                }
            })
            .collect();
        let mut tx = db.begin().await?;
        let id = store::insert_product(&mut tx, new, rows).await?;
        tx.commit().await?;
        Ok(id)
    }
    .await;
    me.audited(db, "push.product_create", ("product", &input.title), r).await
}

/// Reviews a draft: approve (it may then be pushed) or send back with a note; or retire an
/// approved product.
pub async fn review(db: &Db, me: &Principal, id: i64, to: ProductState, note: &str) -> Result<()> {
    let r = async {
        let product = store::product(db, id).await?;
        if !may_review(db, me, &product).await? {
            return Err(Error::Forbidden);
        }
        let from = match to {
            ProductState::Approved => ProductState::Draft,
            ProductState::Draft | ProductState::Retired => ProductState::Approved,
        };
        if to == ProductState::Draft && note.trim().is_empty() {
            return Err(Error::invalid("note", "error.send_back_note"));
        }
        if !store::set_product_state(db, id, from.as_str(), to.as_str(), me.user.id, clock::now(), note.trim()).await? {
            return Err(Error::Conflict(keyed(
                "error.product_state",
                &[&term("product_state", product.state), &term("product_state", from)],
            )));
        }
        Ok(())
    }
    .await;
    me.audited(db, &format!("push.product_{}", to.as_str()), ("product", &id.to_string()), r).await
}

/// A push as composed in a form or a JSON body.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct PushInput {
    /// The approved product.
    pub product_id: i64,
    /// Target region codes (whole subtrees); default the sender's own region.
    #[serde(default)]
    pub targets: Vec<String>,
    /// Audience tags the units below should aim at.
    #[serde(default)]
    pub audiences: Vec<String>,
    /// Place tags.
    #[serde(default)]
    pub places: Vec<String>,
    /// Direct channels to subscribed households and partners: `inbox`, `sms`, `webhook`.
    #[serde(default)]
    pub channels: Vec<String>,
    /// Note to the units below.
    #[serde(default)]
    pub note: String,
    /// When it goes out (RFC 3339); default now.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>)]
    pub scheduled_at: Option<OffsetDateTime>,
    /// Hours each level has to pass it on, `24,48,72` (city, county, community).
    #[serde(default)]
    pub sign_hours: String,
    /// Repeating a push with the same key returns the first one instead of sending again.
    #[serde(default)]
    pub idempotency_key: String,
}

/// What a push call ends with.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PushCreated {
    /// The push.
    pub id: i64,
    /// False when the key had been used: nothing new was sent.
    pub created: bool,
    /// Units and households targeted.
    pub reach: store::Reach,
    /// Korean readers among the subscribers who will get Chinese (no Korean variant).
    pub fallback_to_chinese: bool,
}

/// The target regions of a push, checked inside the sender's scope, with those inside another dropped.
pub async fn targets(db: &Db, me: &Principal, codes: &[String]) -> Result<Vec<org::store::Region>> {
    let mut regions = Vec::new();
    let codes: Vec<String> = if codes.iter().all(|c| c.trim().is_empty()) {
        vec![org::store::scope_root(db, &me.scope).await?.code]
    } else {
        codes.iter().map(|c| c.trim().to_owned()).filter(|c| !c.is_empty()).collect()
    };
    for code in &codes {
        let r = org::store::region(db, &me.scope, code)
            .await
            .map_err(|_| Error::invalid("targets", keyed("error.region_code_outside", &[code])))?;
        regions.push(r);
    }
    regions.sort_by(|a, b| a.path.cmp(&b.path));
    let mut out: Vec<org::store::Region> = Vec::new();
    for r in regions {
        if !out.iter().any(|o| r.path.starts_with(&o.path)) {
            out.push(r);
        }
    }
    Ok(out)
}

/// The units, households and subscribers the target regions reach.
pub async fn reach_of(db: &Db, regions: &[org::store::Region]) -> Result<store::Reach> {
    let paths: Vec<String> = regions.iter().map(|r| r.path.clone()).collect();
    store::reach(db, &paths).await
}

/// The level of the first nodes a push from a region of `level` makes.
fn first_level(origin_level: i64) -> Option<i64> {
    super::LEVELS.iter().copied().find(|l| *l > origin_level)
}

/// Sends a push: checks the product is approved and fits every channel, stores it and (when its
/// time has come) its first level of nodes.
pub async fn push(db: &Db, me: &Principal, input: &PushInput) -> Result<PushCreated> {
    let r = async {
        can_write(me)?;
        let product =
            store::product(db, input.product_id).await.map_err(|_| Error::invalid("product_id", "error.no_product"))?;
        if product.state != ProductState::Approved {
            return Err(Error::invalid(
                "product_id",
                keyed("error.product_not_approved", &[&product.title, &term("product_state", product.state)]),
            ));
        }
        let variants = store::variants(db, product.id).await?;
        let channels: Vec<Channel> = parse_tags("channels", &input.channels, Channel::parse)?;
        if channels.contains(&Channel::Sms) {
            if product.kind != ProductKind::Tip {
                return Err(Error::invalid("channels", "error.sms_tip_only"));
            }
            for v in &variants {
                check_sms_length("channels", &v.body)?;
            }
        }
        let audiences = parse_tags("audiences", &input.audiences, Audience::parse)?;
        let places = parse_tags("places", &input.places, Place::parse)?;
        let hours = if input.sign_hours.trim().is_empty() {
            SignHours::default()
        } else {
            SignHours::parse(&input.sign_hours)?
        };
        let regions = targets(db, me, &input.targets).await?;
        let now = clock::now();
        let at = input.scheduled_at.map_or(now, clock::truncate);
        if at < now - Duration::minutes(5) {
            return Err(Error::invalid("scheduled_at", "error.schedule_past"));
        }
        let reach = reach_of(db, &regions).await?;
        let key = if input.idempotency_key.trim().is_empty() {
            org::new_secret()
        } else {
            input.idempotency_key.trim().to_owned()
        };
        let origin_level = i64::from(org::store::scope_root(db, &me.scope).await?.level);
        let state = if at > now { PushState::Scheduled } else { PushState::Active };
        let new = NewPush {
            product_id: product.id,
            origin_unit_id: me.user.unit_id,
            origin_path: me.user.region_path.clone(),
            targets: regions.iter().map(|r| (r.code.clone(), r.path.clone())).collect(),
            audiences: join_tags(audiences.iter().map(|a| a.as_str())),
            places: join_tags(places.iter().map(|p| p.as_str())),
            channels: join_tags(channels.iter().map(|c| c.as_str())),
            note: input.note.trim().to_owned(),
            scheduled_at: at,
            sign_hours: hours.to_string(),
            state,
            idempotency_key: key,
            created_by: me.user.id,
            created_at: now,
            fanned_out_at: None,
        };
        let mut tx = db.begin().await?;
        let (id, created) = store::insert_push(&mut tx, &new).await?;
        if let (true, PushState::Active, Some(level)) = (created, state, first_level(origin_level)) {
            let due = now + Duration::hours(hours.for_level(level));
            store::insert_nodes(&mut tx, id, None, level, &new.origin_path, now, due).await?;
        }
        tx.commit().await?;
        let fallback = !variants.iter().any(|v| v.lang == Lang::Ko);
        Ok(PushCreated { id, created, reach, fallback_to_chinese: fallback })
    }
    .await;
    me.audited(db, "push.send", ("product", &input.product_id.to_string()), r).await
}

/// The node a user acts on: inside their scope and at their own unit's region (admins anywhere
/// in their area), for those who pass pushes on (`may_pass_on`).
async fn my_node(db: &Db, me: &Principal, id: i64) -> Result<Node> {
    let node = store::node(db, &me.scope, id).await?;
    if me.role != Role::Admin && node.region_path != me.user.region_path {
        return Err(Error::Forbidden);
    }
    if !may_pass_on(me) {
        return Err(Error::Forbidden);
    }
    Ok(node)
}

/// Why a node cannot take a step (`key` names the step): what state the push is in there.
fn refused(node: &Node, key: &str) -> Error {
    Error::Conflict(keyed(key, &[&node.region_name, &term("node_state", node.state)]))
}

/// Signs for a push (签收).
pub async fn sign(db: &Db, me: &Principal, id: i64) -> Result<()> {
    let r = async {
        let node = my_node(db, me, id).await?;
        if !store::sign(db, id, me.user.id, clock::now()).await? {
            return Err(refused(&node, "error.push_cannot_sign"));
        }
        Ok(())
    }
    .await;
    me.audited(db, "push.sign", ("push_node", &id.to_string()), r).await
}

/// Forwarding a push to the level below.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct ForwardInput {
    /// A local note for the units below.
    #[serde(default)]
    pub note: String,
    /// The variant to pass on (`zh` or `ko`); default Chinese.
    #[serde(default)]
    pub variant: String,
}

/// Forwards a push to the level below (signing it too): one node per unit there inside the targets.
/// Returns how many units received it.
pub async fn forward(db: &Db, me: &Principal, id: i64, input: &ForwardInput) -> Result<u64> {
    let r = async {
        let node = my_node(db, me, id).await?;
        let Some(level) = next_level(node.level) else {
            return Err(Error::invalid("level", "error.community_confirm"));
        };
        let push = store::push(db, &me.scope, node.push_id, clock::now()).await?;
        if push.state == PushState::Recalled {
            return Err(Error::Conflict("error.push_recalled".into()));
        }
        let variant = if input.variant.trim().is_empty() {
            Lang::Zh
        } else {
            Lang::parse(&input.variant).ok_or_else(|| Error::invalid("variant", "error.choose_zh_ko"))?
        };
        let langs: Vec<Lang> = store::variants(db, push.product_id).await?.iter().map(|v| v.lang).collect::<Vec<_>>();
        if !langs.contains(&variant) {
            return Err(Error::invalid("variant", "error.no_korean_variant"));
        }
        let hours = SignHours::parse(&push.sign_hours).unwrap_or_default();
        let now = clock::now();
        let mut tx = db.begin().await?;
        if !store::mark_forwarded(&mut tx, id, me.user.id, now, input.note.trim(), variant.as_str()).await? {
            return Err(refused(&node, "error.push_cannot_forward"));
        }
        let made = store::insert_nodes(
            &mut tx,
            node.push_id,
            Some(id),
            level,
            &node.region_path,
            now,
            now + Duration::hours(hours.for_level(level)),
        )
        .await?;
        tx.commit().await?;
        Ok(made)
    }
    .await;
    me.audited(db, "push.forward", ("push_node", &id.to_string()), r).await
}

/// A community's confirmation of how it passed a product on.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct ConfirmInput {
    /// Ways: `chat_group`, `notice_board`, `screen`, `door_to_door`, `loudspeaker`.
    #[serde(default)]
    pub ways: Vec<String>,
    /// Households reached.
    pub reach: i64,
}

/// Confirms channel and reach.
pub async fn confirm(db: &Db, me: &Principal, id: i64, input: &ConfirmInput) -> Result<()> {
    let r = async {
        let node = my_node(db, me, id).await?;
        let ways = parse_tags("ways", &input.ways, Way::parse)?;
        if ways.is_empty() {
            return Err(Error::invalid("ways", "error.choose_way"));
        }
        let most = node.households.map_or(1_000_000, |h| h.max(1) * 2);
        if input.reach < 0 || input.reach > most {
            return Err(Error::invalid(
                "reach",
                keyed("error.reach_range", &[&input.reach.to_string(), &node.region_name, &most.to_string()]),
            ));
        }
        let ways = join_tags(ways.iter().map(|w| w.as_str()));
        if !store::confirm(db, id, me.user.id, clock::now(), &ways, input.reach).await? {
            return Err(refused(&node, "error.push_cannot_confirm"));
        }
        Ok(())
    }
    .await;
    me.audited(db, "push.confirm", ("push_node", &id.to_string()), r).await
}

/// What a recall stopped.
#[derive(Clone, Copy, Debug, Serialize, ToSchema)]
pub struct Recalled {
    /// Units that had not finished.
    pub units: u64,
    /// Direct sends cancelled.
    pub deliveries: u64,
}

/// Recalls a push (see `may_recall`).
pub async fn recall(db: &Db, me: &Principal, id: i64, reason: &str) -> Result<Recalled> {
    let r = async {
        let push = store::push(db, &me.scope, id, clock::now()).await?;
        if !may_recall(me, &push) {
            return Err(Error::Forbidden);
        }
        if reason.trim().is_empty() {
            return Err(Error::invalid("reason", "error.recall_reason"));
        }
        let (units, deliveries) = store::recall(db, id, me.user.id, clock::now(), reason.trim())
            .await?
            .ok_or_else(|| Error::Conflict("error.push_recalled".into()))?;
        Ok(Recalled { units, deliveries })
    }
    .await;
    me.audited(db, "push.recall", ("push", &id.to_string()), r).await
}

/// Sends scheduled pushes whose time has come down their first level and raises overdue units.
/// Returns (pushes sent down, units raised).
pub async fn sweep(db: &Db, now: OffsetDateTime) -> Result<(usize, u64)> {
    let started = store::activate_scheduled(db, now).await?;
    for id in &started {
        let p = store::push(db, &Scope::province(), *id, now).await?;
        let hours = SignHours::parse(&p.sign_hours).unwrap_or_default();
        let origin = org::store::scope_root(db, &Scope::under(&p.origin_path)).await?;
        if let Some(level) = first_level(i64::from(origin.level)) {
            let mut tx = db.begin().await?;
            store::insert_nodes(
                &mut tx,
                *id,
                None,
                level,
                &p.origin_path,
                now,
                now + Duration::hours(hours.for_level(level)),
            )
            .await?;
            tx.commit().await?;
        }
    }
    let (up, top) = store::escalate(db, now).await?;
    Ok((started.len(), up + top))
}

// ---- residents ----

/// A subscription as filled in on the public page.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct SubscribeInput {
    /// The community or village (12 digits).
    pub region_code: String,
    /// `zh` or `ko`.
    #[serde(default)]
    #[schema(value_type = super::Lang)]
    pub lang: String,
    /// Themes of interest (none: everything).
    #[serde(default)]
    pub interests: Vec<String>,
    /// `inbox` or `sms`.
    #[serde(default)]
    pub channel: String,
    /// Mobile number, for text messages only: they start once the code sent to it is typed back.
    #[serde(default)]
    pub phone: String,
    /// Explicit consent to the text shown.
    #[serde(default)]
    pub consent: bool,
}

/// The consent text a subscriber agrees to.
pub const CONSENT: &str = "我同意吉林省消防救援总队向我推送消防安全提示。手机号码加密保存，仅用于发送提示；每周最多5条，22:00至次日8:00不发短信；可随时一键退订。";

/// The consent text as a reader of `lang` is shown it: the Chinese text, which is the one stored
/// and binding, or its Korean or English translation.
pub fn consent_for(lang: crate::i18n::Lang) -> &'static str {
    match lang {
        crate::i18n::Lang::Zh => CONSENT,
        crate::i18n::Lang::Ko => {
            "길림성 소방구조총대가 저에게 소방 안전 안내를 보내는 데 동의합니다. 휴대전화 번호는 암호화하여 보관하고 \
             안내 발송에만 씁니다. 한 주에 최대 5건, 22:00부터 다음 날 8:00까지는 문자를 보내지 않으며, \
             언제든지 한 번에 구독을 해지할 수 있습니다."
        }
        crate::i18n::Lang::En => {
            "I agree that the Jilin Fire and Rescue Corps may send me fire-safety tips. My phone number is stored \
             encrypted and used only to send them; at most 5 a week, no text messages from 22:00 to 08:00; I can \
             unsubscribe at any time with one click."
        }
    }
}

/// A subscription just made.
#[derive(Clone, Debug)]
pub struct Subscribed {
    /// The inbox token.
    pub token: String,
    /// Whether a verification code went to the phone (`None`: no phone was given).
    pub code_sent: Option<bool>,
}

/// Six random digits to send as a verification code.
pub fn random_code() -> String {
    use rand::Rng as _;
    format!("{:06}", rand::rng().random_range(0..1_000_000))
}

/// A code as typed back, when it has the form of one (six digits).
pub fn typed_code(code: &str) -> Result<&str> {
    let typed = code.trim();
    if typed.len() == 6 && typed.bytes().all(|b| b.is_ascii_digit()) {
        Ok(typed)
    } else {
        Err(Error::invalid("code", "error.code_form"))
    }
}

/// What a code typed back came to, as an answer to the person who typed it; `nothing_waits` when
/// no code was sent.
pub fn proved(outcome: store::Proved, nothing_waits: Error) -> Result<()> {
    match outcome {
        store::Proved::Done => Ok(()),
        store::Proved::Wrong => Err(Error::invalid("code", "error.code_wrong")),
        store::Proved::Expired => Err(Error::invalid("code", "error.code_expired")),
        store::Proved::TooManyTries => Err(Error::invalid("code", "error.code_tries")),
        store::Proved::NothingWaits => Err(nothing_waits),
    }
}

/// A new verification code for a subscription: the code and what is stored of it.
fn new_code(key: &DataKey, token: &str, now: OffsetDateTime) -> (String, store::NewProof) {
    let code = random_code();
    let proof = store::NewProof {
        code_hash: code_hash(key, token, &code),
        expires_at: now + Duration::minutes(super::CODE_MINUTES),
        per_number: super::CODES_PER_NUMBER_HOUR,
    };
    (code, proof)
}

/// The stored form of a code sent for the subscription of `token`.
fn code_hash(key: &DataKey, token: &str, code: &str) -> String {
    key.index(&format!("phone-code:{token}:{}", code.trim()))
}

/// Sends `code` to the sealed phone through the account of `sms` (its client made only now, for
/// this one message); whether the provider took it (a failure is logged and the resident may ask
/// again).
pub async fn send_code(sms: &SmsConfig, key: &DataKey, sealed: &str, code: &str) -> Result<bool> {
    let phone = format!("+86{}", key.open(sealed)?);
    let Some(client) = SmsClient::new(sms) else { return Ok(false) };
    match client.send_code(&phone, code, super::CODE_MINUTES).await {
        Ok(outcome) if outcome.ok => Ok(true),
        Ok(outcome) => {
            tracing::warn!(code = %outcome.code, "a verification code was refused by the SMS provider");
            Ok(false)
        }
        Err(e) => {
            tracing::warn!(error = %e, "a verification code could not be sent");
            Ok(false)
        }
    }
}

/// Subscribes a household, at most [`super::SUBSCRIPTIONS_PER_HOUR`] an hour from one address.
/// Text messages need a phone its owner proves: a code goes to it (when `sms` sends codes) and
/// the subscription reads its inbox until the code comes back ([`prove_phone`]).
pub async fn subscribe(
    db: &Db,
    key: &DataKey,
    sms: &SmsConfig,
    input: &SubscribeInput,
    ip: &str,
) -> Result<Subscribed> {
    if !input.consent {
        return Err(Error::invalid("consent", "error.consent_tips"));
    }
    let code = org::RegionCode::parse(&input.region_code)
        .map_err(|_| Error::invalid("region_code", "error.choose_community"))?;
    let region = org::store::region(db, &Scope::province(), code.as_str())
        .await
        .map_err(|_| Error::invalid("region_code", "error.choose_community"))?;
    if region.level != 4 {
        return Err(Error::invalid("region_code", "error.choose_down_to_community"));
    }
    let lang = if input.lang.trim().is_empty() {
        Lang::Zh
    } else {
        Lang::parse(&input.lang).ok_or_else(|| Error::invalid("lang", "error.choose_zh_ko"))?
    };
    let channel = if input.channel.trim().is_empty() {
        Channel::Inbox
    } else {
        Channel::parse(&input.channel)
            .filter(|c| *c != Channel::Webhook)
            .ok_or_else(|| Error::invalid("channel", "error.choose_channel"))?
    };
    let themes = parse_tags("interests", &input.interests, Theme::parse)?;
    let phone = match channel {
        Channel::Sms if !sms.sends_codes() => return Err(Error::invalid("channel", "error.sms_off")),
        Channel::Sms if input.phone.trim().is_empty() => {
            return Err(Error::invalid("phone", "error.phone_for_sms"));
        }
        Channel::Sms => Some(PhoneNumber::parse("phone", &input.phone)?),
        _ => None,
    };
    let now = clock::now();
    let token = org::new_secret();
    let code = phone.as_ref().map(|_| new_code(key, &token, now));
    let phone = phone.map(|p| (key.seal(p.as_str()), key.index(p.as_str()), p.masked()));
    store::insert_subscriber(
        db,
        &NewSubscriber {
            token: token.clone(),
            region_code: region.code,
            region_path: region.path,
            lang: lang.as_str().to_owned(),
            interests: join_tags(themes.iter().map(|t| t.as_str())),
            channel: Channel::Inbox.as_str().to_owned(),
            phone: phone.clone(),
            consent: CONSENT.to_owned(),
            created_at: now,
            ip_hash: key.index(&format!("subscriber-ip:{ip}")),
            proof: code.as_ref().map(|(_, proof)| proof.clone()),
        },
        now - Duration::hours(1),
        super::SUBSCRIPTIONS_PER_HOUR,
    )
    .await?
    .ok_or_else(|| Error::TooMany("error.subscriptions_per_hour".into()))?;
    let code_sent = match (phone, code) {
        (Some((sealed, _, _)), Some((code, _))) => Some(send_code(sms, key, &sealed, &code).await?),
        _ => None,
    };
    Ok(Subscribed { token, code_sent })
}

/// Sends a new code to the phone of a subscription that waits for one (the last one lost, late or
/// mistyped five times); whether the provider took it.
pub async fn resend_code(db: &Db, key: &DataKey, sms: &SmsConfig, token: &str) -> Result<bool> {
    let me = store::subscriber(db, token).await?;
    if !sms.sends_codes() {
        return Err(Error::invalid("channel", "error.sms_off"));
    }
    if me.unsubscribed_at.is_some() || !me.phone_pending {
        return Err(Error::NotFound);
    }
    let now = clock::now();
    let (code, proof) = new_code(key, token, now);
    let sealed = store::renew_code(db, me.id, &proof, now, Duration::seconds(super::CODE_GAP_SECONDS)).await?;
    send_code(sms, key, &sealed, &code).await
}

/// Takes the code typed back for the subscription of `token`: right, its phone starts receiving
/// text messages.
pub async fn prove_phone(db: &Db, key: &DataKey, token: &str, code: &str) -> Result<()> {
    let me = store::subscriber(db, token).await?;
    let typed = typed_code(code)?;
    let outcome = store::prove_phone(db, me.id, &code_hash(key, token, typed), clock::now(), super::CODE_TRIES).await?;
    proved(outcome, Error::NotFound)
}

/// A tip as the resident's inbox shows it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Tip {
    pub(crate) push_id: i64,
    pub(crate) kind: String,
    /// Title in the resident's language (or Chinese).
    pub title: String,
    pub(crate) body: String,
    pub(crate) link: String,
    /// Whether a file can be opened.
    pub has_file: bool,
    /// The variant shown.
    pub lang: String,
    /// Shown in Chinese because there is no variant in the resident's language.
    pub fallback: bool,
    /// When it arrived, as shown.
    pub sent: String,
    /// Whether it was opened.
    pub read: bool,
    /// The product.
    pub product_id: i64,
}

/// A tip in the resident's language (or Chinese) from its product's variants.
fn tip(item: &store::InboxItem, variants: &[&Variant]) -> Result<Tip> {
    let langs: Vec<Lang> = variants.iter().map(|v| v.lang).collect();
    let wanted = item.lang;
    let (lang, fallback) = variant_for(wanted, &langs);
    let v = variants.iter().find(|v| v.lang == lang).or(variants.first()).ok_or(Error::NotFound)?;
    Ok(Tip {
        push_id: item.push_id,
        kind: item.kind.as_str().to_owned(),
        title: v.title.clone(),
        body: v.body.clone(),
        link: v.link.clone(),
        has_file: v.file_size > 0,
        lang: v.lang.as_str().to_owned(),
        fallback,
        sent: item.sent_at.map(clock::show).unwrap_or_default(),
        read: item.read_at.is_some(),
        product_id: item.product_id,
    })
}

/// The tips of inbox items, with every product's variants read in one query.
async fn tips(db: &Db, items: &[store::InboxItem]) -> Result<Vec<Tip>> {
    let mut ids: Vec<i64> = items.iter().map(|i| i.product_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let all = store::variants_of(db, &ids).await?;
    items
        .iter()
        .map(|item| {
            let mine: Vec<&Variant> =
                all.iter().filter(|v| v.product_id == item.product_id).map(|v| &v.variant).collect();
            tip(item, &mine)
        })
        .collect()
}

/// How far back a resident's inbox reaches, in days; deliveries older than this may be archived.
pub const INBOX_DAYS: i64 = 90;

/// A resident's inbox: their subscription and the tips of the last [`INBOX_DAYS`] days.
pub async fn inbox(db: &Db, token: &str) -> Result<(store::Subscriber, Vec<Tip>)> {
    let me = store::subscriber(db, token).await?;
    let items = store::inbox(db, me.id, clock::now() - Duration::days(INBOX_DAYS), 100).await?;
    let tips = tips(db, &items).await?;
    Ok((me, tips))
}

/// Opens one tip of an inbox, marking it read the first time.
pub async fn open(db: &Db, token: &str, push_id: i64) -> Result<(store::Subscriber, Tip)> {
    let me = store::subscriber(db, token).await?;
    store::mark_read(db, me.id, push_id, clock::now()).await?;
    let item = store::inbox_item(db, me.id, push_id).await?;
    let tip = tips(db, std::slice::from_ref(&item)).await?.pop().ok_or(Error::NotFound)?;
    Ok((me, tip))
}

/// Leaves, from the link in any message.
pub async fn unsubscribe(db: &Db, token: &str) -> Result<bool> {
    store::subscriber(db, token).await?;
    store::unsubscribe(db, token, clock::now()).await
}

/// What an archive run did: pushes archived, and their deliveries (now tallies).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Archived {
    /// Pushes archived.
    pub pushes: usize,
    /// Their deliveries.
    pub deliveries: i64,
}

/// Archives the deliveries of every push fanned out before the day `before` (Beijing time) and
/// finished, one push at a time (see [`store::archive_push`]); `keep` keeps them on `PostgreSQL`
/// in the schema `delivery_archive`. A day the inbox still shows ([`INBOX_DAYS`]) is refused:
/// residents would lose tips they can still open. `each` hears of every push done, with the total.
pub async fn archive(db: &Db, before: time::Date, keep: bool, mut each: impl FnMut(usize, usize)) -> Result<Archived> {
    let now = clock::now();
    let latest = (now - Duration::days(INBOX_DAYS)).to_offset(clock::CST).date();
    if before > latest {
        return Err(Error::invalid(
            "before",
            keyed("error.archive_too_recent", &[&INBOX_DAYS.to_string(), &clock::show_date(latest)]),
        ));
    }
    let cut = before.midnight().assume_offset(clock::CST);
    let pushes = store::finished_pushes(db, cut).await?;
    let mut done = Archived::default();
    for (i, id) in pushes.iter().enumerate() {
        if let Some(n) = store::archive_push(db, *id, keep, clock::now()).await? {
            done.pushes += 1;
            done.deliveries += n;
        }
        each(i + 1, pushes.len());
    }
    Ok(done)
}
