//! The staff page of screens: the register (each screen's place, kind, character limit and when
//! it last pulled, silent ones first and marked), the form that adds one and shows its key once,
//! and revoking a key; the schedule of captions by time slot, where staff add and remove slots.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::store::{self, NewScreen, NewSlot, Screen, Slot};
use super::{KEY_PREFIX, Kind, SILENT_AFTER, parse_clock, show_clock};
use crate::campaign;
use crate::clock::parse_date;
use crate::org::caller::Principal;
use crate::org::picker::{self, RegionPicker, Spec};
use crate::org::{self, parse_name};
use crate::web::AppState;
use crate::web::extract::{Form, Path, Query};
use crate::web::layout::PageCtx;
use crate::{Error, Result, clock};

/// Where a screen stands: any region of the area.
const PLACE: Spec = Spec::required("region_code", 0, 4);

#[derive(Template, WebTemplate)]
#[template(path = "screen/list.html")]
struct ScreensPage {
    ctx: PageCtx,
    screens: Vec<Screen>,
    place: RegionPicker,
    /// A new screen's key and its pull addresses, shown once.
    key: Option<(String, String)>,
    notice: Option<String>,
}

impl ScreensPage {
    fn kinds(&self) -> &'static [Kind] {
        Kind::ALL
    }
    fn silent(&self, s: &Screen) -> bool {
        s.revoked_at.is_none() && s.pulled_at.is_none_or(|t| clock::now() - t > SILENT_AFTER)
    }
}

async fn page(
    state: &AppState,
    ctx: PageCtx,
    me: &Principal,
    key: Option<(String, String)>,
    notice: Option<String>,
) -> Result<ScreensPage> {
    if !me.role.is_fire_staff() {
        return Err(Error::Forbidden);
    }
    let screens = store::screens(&state.db, &me.scope).await?;
    let place = picker::build(&state.db, &me.scope, PLACE, "", false).await?;
    Ok(ScreensPage { ctx, screens, place, key, notice })
}

async fn list(State(state): State<AppState>, ctx: PageCtx, me: Principal) -> Result<ScreensPage> {
    page(&state, ctx, &me, None, None).await
}

#[derive(Debug, Deserialize)]
struct ScreenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    region_code: String,
    #[serde(default)]
    chars: String,
}

/// Adds a screen of the caller's unit in a region of their area; returns its key.
async fn add(state: &AppState, me: &Principal, f: &ScreenForm) -> Result<String> {
    let r = async {
        if !me.role.is_fire_staff() {
            return Err(Error::Forbidden);
        }
        let name = parse_name("name", &f.name)?;
        let kind = Kind::parse(&f.kind).ok_or_else(|| Error::invalid("kind", "error.screen_kind"))?;
        let region = picker::place(&state.db, &me.scope, "region_code", &f.region_code).await?;
        let chars = match f.chars.trim() {
            "" => kind.default_chars(),
            n => n
                .parse::<i64>()
                .ok()
                .filter(|n| (4..=500).contains(n))
                .ok_or_else(|| Error::invalid("chars", "error.screen_chars"))?,
        };
        let key = format!("{KEY_PREFIX}{}", org::new_secret());
        let hint = key[key.len() - 4..].to_owned();
        let s = NewScreen {
            unit: (me.user.unit_id, me.user.region_path.clone()),
            region: (region.code, region.path),
            what: (name, kind, chars),
            key: (org::hash_secret(&key), hint),
            created_by: me.user.id,
        };
        store::insert(&state.db, &s, clock::now()).await?;
        Ok(key)
    }
    .await;
    me.audited(&state.db, "screen.create", ("unit", &me.user.unit_id.to_string()), r).await
}

async fn create(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Form(f): Form<ScreenForm>,
) -> Result<Response> {
    match add(&state, &me, &f).await {
        Ok(key) => {
            let url = format!("{}/feeds/screen.txt?key={key}", state.config.base_url());
            Ok(page(&state, ctx, &me, Some((key, url)), None).await?.into_response())
        }
        Err(e) => {
            let (status, message) = ctx.form_error(e, |field| Some(ctx.t(&format!("screen.field.{field}"))))?;
            Ok((status, page(&state, ctx, &me, None, Some(message)).await?).into_response())
        }
    }
}

async fn revoke(State(state): State<AppState>, ctx: PageCtx, me: Principal, Path(id): Path<i64>) -> Result<Response> {
    let r = async {
        if !me.role.is_fire_staff() {
            return Err(Error::Forbidden);
        }
        store::screen(&state.db, &me.scope, id).await?;
        store::revoke(&state.db, id, clock::now()).await
    }
    .await;
    me.audited(&state.db, "screen.revoke", ("screen", &id.to_string()), r).await?;
    let notice = ctx.t("screen.revoked").to_owned();
    Ok(page(&state, ctx, &me, None, Some(notice)).await?.into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "screen/schedule.html")]
struct SchedulePage {
    ctx: PageCtx,
    slots: Vec<Slot>,
    place: RegionPicker,
    /// Campaigns not yet closed, to tie a slot to: (id, name).
    campaigns: Vec<(i64, String)>,
    form: SlotForm,
    notice: Option<String>,
    /// The caller's area (its region path).
    area: String,
}

impl SchedulePage {
    fn kinds(&self) -> &'static [Kind] {
        Kind::ALL
    }
    /// Whether the caller may remove it: a slot of a unit inside their area.
    fn removable(&self, s: &Slot) -> bool {
        s.unit_path.starts_with(&self.area)
    }
    fn hours(&self, s: &Slot) -> String {
        format!("{}–{}", show_clock(s.from_minute), show_clock(s.to_minute))
    }
}

#[derive(Debug, Default, Deserialize)]
struct SlotForm {
    #[serde(default)]
    text: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    region_code: String,
    #[serde(default)]
    campaign_id: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    /// The slot this one replaces (when editing).
    #[serde(default)]
    replaces: String,
}

impl SlotForm {
    /// A slot's values, to edit it.
    fn of(s: &Slot) -> Self {
        Self {
            text: s.text.clone(),
            kind: s.kind.map(|k| k.to_string()).unwrap_or_default(),
            region_code: s.region_code.clone(),
            campaign_id: s.campaign_id.map(|c| c.to_string()).unwrap_or_default(),
            starts_on: clock::show_date(s.starts_on),
            ends_on: clock::show_date(s.ends_on),
            from: show_clock(s.from_minute),
            to: show_clock(s.to_minute),
            replaces: s.id.to_string(),
        }
    }
}

async fn schedule_page(
    state: &AppState,
    ctx: PageCtx,
    me: &Principal,
    form: SlotForm,
    notice: Option<String>,
) -> Result<SchedulePage> {
    if !me.role.is_fire_staff() {
        return Err(Error::Forbidden);
    }
    let slots = store::slots(&state.db, &me.scope, clock::today()).await?;
    let place = picker::build(&state.db, &me.scope, PLACE, &form.region_code, false).await?;
    let campaigns = campaign::store::campaigns(&state.db, &me.scope)
        .await?
        .into_iter()
        .filter(|c| c.status != campaign::Status::Closed)
        .map(|c| (c.id, c.name))
        .collect();
    Ok(SchedulePage { ctx, slots, place, campaigns, form, notice, area: me.scope.path().to_owned() })
}

/// `?edit=ID` fills the form with a slot of the caller's area, to change it.
#[derive(Debug, Default, Deserialize)]
struct EditQuery {
    edit: Option<i64>,
}

async fn schedule(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Query(q): Query<EditQuery>,
) -> Result<SchedulePage> {
    let form = match q.edit {
        Some(id) => SlotForm::of(&store::slot(&state.db, &me.scope, id).await?),
        None => SlotForm::default(),
    };
    schedule_page(&state, ctx, &me, form, None).await
}

/// Checks a slot as typed: a caption, a place of the caller's area, the days (a campaign's when
/// left empty, and within them), and a time of day that ends after it starts.
async fn check_slot(state: &AppState, me: &Principal, f: &SlotForm) -> Result<NewSlot> {
    if !me.role.is_fire_staff() {
        return Err(Error::Forbidden);
    }
    let text = org::parse_text("text", &f.text, 200)?;
    if text.is_empty() {
        return Err(Error::invalid("text", "error.slot_text"));
    }
    let kind = match f.kind.trim() {
        "" => None,
        k => Some(Kind::parse(k).ok_or_else(|| Error::invalid("kind", "error.screen_kind"))?),
    };
    let region = picker::place(&state.db, &me.scope, "region_code", &f.region_code).await?;
    let campaign = match f.campaign_id.trim() {
        "" => None,
        id => {
            let id = id.parse().map_err(|_| Error::invalid("campaign_id", "error.slot_campaign"))?;
            let c = campaign::store::campaign(&state.db, &me.scope, id)
                .await
                .map_err(|_| Error::invalid("campaign_id", "error.slot_campaign"))?;
            if c.status == campaign::Status::Closed {
                return Err(Error::invalid("campaign_id", "error.campaign_closed"));
            }
            Some(c)
        }
    };
    let day = |field: &str, s: &str, or: Option<time::Date>| match (s.trim(), or) {
        ("", Some(d)) => Ok(d),
        (s, _) => parse_date(field, s),
    };
    let starts = day("starts_on", &f.starts_on, Some(campaign.as_ref().map_or_else(clock::today, |c| c.starts_on)))?;
    let ends = day("ends_on", &f.ends_on, campaign.as_ref().map(|c| c.ends_on).or(Some(starts)))?;
    if ends < starts || ends < clock::today() || ends - starts > time::Duration::days(366) {
        return Err(Error::invalid("ends_on", "error.slot_days"));
    }
    if let Some(c) = &campaign
        && (starts < c.starts_on || ends > c.ends_on)
    {
        return Err(Error::invalid("starts_on", "error.slot_outside_campaign"));
    }
    let from = parse_clock("from", &f.from)?;
    let to = parse_clock("to", &f.to)?;
    if to <= from {
        return Err(Error::invalid("to", "error.slot_hours"));
    }
    Ok(NewSlot {
        unit: (me.user.unit_id, me.user.region_path.clone()),
        region: (region.code, region.path),
        kind,
        campaign_id: campaign.map(|c| c.id),
        text,
        days: (starts, ends),
        minutes: (from, to),
        created_by: me.user.id,
    })
}

async fn add_slot(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Form(f): Form<SlotForm>,
) -> Result<Response> {
    let replaces = f.replaces.trim().parse::<i64>().ok();
    let r = async {
        let slot = check_slot(&state, &me, &f).await?;
        match replaces {
            Some(id) => store::replace_slot(&state.db, &me.scope, id, Some(&slot), clock::now()).await.map(|_| ()),
            None => store::insert_slot(&state.db, &slot, clock::now()).await.map(|_| ()),
        }
    }
    .await;
    let (action, object) = match replaces {
        Some(id) => ("screen.slot_update", ("screen_slot", id.to_string())),
        None => ("screen.slot_create", ("unit", me.user.unit_id.to_string())),
    };
    match me.audited(&state.db, action, (object.0, &object.1), r).await {
        Ok(()) => {
            let notice = ctx.t(if replaces.is_some() { "screen.slot_changed" } else { "screen.slot_added" }).to_owned();
            Ok(schedule_page(&state, ctx, &me, SlotForm::default(), Some(notice)).await?.into_response())
        }
        Err(e) => {
            let (status, message) = ctx.form_error(e, |field| Some(ctx.t(&format!("screen.field.{field}"))))?;
            Ok((status, schedule_page(&state, ctx, &me, f, Some(message)).await?).into_response())
        }
    }
}

async fn remove_slot(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
) -> Result<Response> {
    let r = async {
        if !me.role.is_fire_staff() {
            return Err(Error::Forbidden);
        }
        store::replace_slot(&state.db, &me.scope, id, None, clock::now()).await.map(|_| ())
    }
    .await;
    me.audited(&state.db, "screen.slot_delete", ("screen_slot", &id.to_string()), r).await?;
    let notice = ctx.t("screen.slot_removed").to_owned();
    Ok(schedule_page(&state, ctx, &me, SlotForm::default(), Some(notice)).await?.into_response())
}

/// The staff routes of screens.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/screens", get(list).post(create))
        .route("/screens/{id}/revoke", post(revoke))
        .route("/screens/schedule", get(schedule).post(add_slot))
        .route("/screens/schedule/{id}/delete", post(remove_slot))
}
