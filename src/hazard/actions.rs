//! What reporters, the fire service, assigned units and departments do with hazard reports,
//! shared by the JSON API and the pages: report (signed in, or in public with a tracking code),
//! move a report through its lifecycle, attach photos, reveal the reporter's phone, and the sweep
//! that escalates overdue reports. Every change is audited.

use serde::Deserialize;
use time::{Duration, OffsetDateTime};
use utoipa::ToSchema;

use super::queries;
use super::store::{self, Change, Hazard, NewEvent, NewHazard};
use super::{
    DUPLICATE_HOURS, PUBLIC_REPORTS_PER_HOUR, ReporterKind, State, Transition, add_working_days, check_address,
    check_coordinates, escalation_for, handling_path, is_fire_service, reporter_kind, text,
};
use crate::audit::{self, Actor};
use crate::db::Db;
use crate::i18n::keyed;
use crate::org::caller::Principal;
use crate::org::{self, Role, Scope, UnitKind};
use crate::personal::{DataKey, PhoneNumber};
use crate::{Error, Result, clock};

/// A hazard as reported in a form or a JSON body.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct HazardInput {
    /// Category code (see `GET /api/v1/hazard-categories`).
    pub category: String,
    /// The community or village (12 digits) or township (9 digits).
    pub region_code: String,
    /// Street address.
    pub address: String,
    /// What was found.
    pub description: String,
    /// Latitude (optional, with longitude).
    #[serde(default)]
    pub latitude: Option<f64>,
    /// Longitude.
    #[serde(default)]
    pub longitude: Option<f64>,
    /// The reporter's name (public reports; optional).
    #[serde(default)]
    pub reporter_name: String,
    /// The reporter's mobile number (public reports; optional, needs `consent`).
    #[serde(default)]
    pub phone: String,
    /// Consent to store the phone number for follow-up.
    #[serde(default)]
    pub consent: bool,
    /// Store it even though a report of the same place and category was made within a day.
    #[serde(default)]
    pub confirm_new: bool,
}

/// What a report call ends with.
#[derive(Clone, Debug)]
pub enum Reported {
    /// Stored: id and tracking code.
    Stored(i64, String),
    /// Not stored: an open report of the same place and category within a day (id, when, address).
    Duplicate(i64, OffsetDateTime, String),
}

/// The tracking link of a code.
pub fn tracking_link(code: &str) -> String {
    format!("/p/hazards/track?code={code}")
}

/// Failed look-ups of a tracking code an address may make in an hour.
pub const TRACK_LOOKUPS_PER_HOUR: i64 = 20;

/// A tracking code no report has yet.
async fn fresh_code(db: &Db) -> Result<String> {
    loop {
        let code = crate::code::new();
        match store::by_code(db, &code).await {
            Err(Error::NotFound) => return Ok(code),
            Ok(_) => {}
            Err(e) => return Err(e),
        }
    }
}

/// What the reporter sees of the report with `typed` as its code; an address gets
/// [`TRACK_LOOKUPS_PER_HOUR`] failed look-ups an hour.
pub async fn track(db: &Db, key: &DataKey, typed: &str, ip: &str) -> Result<queries::Tracking> {
    let address = key.index(&format!("hazard-lookup:{ip}"));
    let spent = org::store::spend(db, "hazard_lookup", &address, clock::now(), TRACK_LOOKUPS_PER_HOUR)
        .await?
        .ok_or_else(|| Error::TooMany("error.track_lookups_per_hour".into()))?;
    let t = queries::tracking(db, &crate::code::typed(typed)).await?;
    org::store::give_back(db, spent).await?;
    Ok(t)
}

/// Checks the input into a new report (without reporter) at the place found inside `scope`.
async fn check(db: &Db, scope: &Scope, input: &HazardInput, now: OffsetDateTime) -> Result<NewHazard> {
    let categories = store::categories(db).await?;
    let category = categories
        .iter()
        .find(|c| c.code == input.category.trim())
        .ok_or_else(|| Error::invalid("category", keyed("error.hazard_category", &[input.category.trim()])))?;
    let code =
        org::RegionCode::parse(&input.region_code).map_err(|_| Error::invalid("region_code", "error.hazard_place"))?;
    let region = org::store::region(db, scope, code.as_str())
        .await
        .map_err(|_| Error::invalid("region_code", "error.region_outside"))?;
    // A township or community; or a place with nothing below it (the Changbaishan zone).
    if region.level < 3 && region.children > 0 {
        return Err(Error::invalid("region_code", keyed("error.hazard_place_too_large", &[&region.name])));
    }
    let address = text("address", &input.address, 2, 200)?;
    check_address(&address, &store::named_regions(db).await?, (&region.name, &region.path))?;
    let description = text("description", &input.description, 2, 2000)?;
    let coordinates = check_coordinates(input.latitude, input.longitude, &region.code)?;
    let responsible = store::responsible_unit(db, &region.path).await?;
    let verify_due_at = now + Duration::hours(category.verify_hours);
    Ok(NewHazard {
        tracking_code: fresh_code(db).await?,
        category: category.code.clone(),
        region: (region.code, region.path),
        address,
        coordinates,
        description,
        state: State::Reported,
        reporter_kind: ReporterKind::Resident,
        reporter_user_id: None,
        reporter_name: String::new(),
        phone: None,
        ip_hash: None,
        responsible,
        assigned_unit_id: None,
        referred_unit_id: None,
        duplicate_of: None,
        verify_due_at,
        answer_due_at: add_working_days(now, super::ANSWER_WORKING_DAYS),
        rectify_due_on: None,
        due_at: Some(verify_due_at),
        escalation_level: 0,
        created_at: now,
        verified_at: None,
        answered_at: None,
        rectified_at: None,
        closed_at: None,
        events: Vec::new(),
    })
}

async fn store_unless_duplicate(db: &Db, mut h: NewHazard, confirm_new: bool, now: OffsetDateTime) -> Result<Reported> {
    if !confirm_new
        && let Some((id, at, address)) =
            store::duplicate_candidate(db, &h.region.1, &h.category, now - Duration::hours(DUPLICATE_HOURS)).await?
    {
        return Ok(Reported::Duplicate(id, at, address));
    }
    h.events.push(NewEvent {
        at: now,
        actor_user_id: h.reporter_user_id,
        actor_name: if h.reporter_user_id.is_some() { h.reporter_name.clone() } else { "reporter".to_owned() },
        action: "report".to_owned(),
        from_state: None,
        to_state: State::Reported,
        note: String::new(),
        public: true,
    });
    let code = h.tracking_code.clone();
    let id = store::insert(db, &h, now - Duration::hours(1), PUBLIC_REPORTS_PER_HOUR).await?.ok_or_else(too_many)?;
    Ok(Reported::Stored(id, code))
}

/// The refusal of a report over [`PUBLIC_REPORTS_PER_HOUR`] (its text names the number).
fn too_many() -> Error {
    Error::TooMany("error.reports_per_hour".into())
}

/// Reports a hazard signed in (volunteers, grid workers, staff), at a place inside the caller's area.
pub async fn create(db: &Db, me: &Principal, input: &HazardInput) -> Result<Reported> {
    let r = async {
        let kind = reporter_kind(me.role).ok_or(Error::Forbidden)?;
        let now = clock::now();
        let mut h = check(db, &me.scope, input, now).await?;
        h.reporter_kind = kind;
        h.reporter_user_id = Some(me.user.id);
        h.reporter_name.clone_from(&me.user.display_name);
        store_unless_duplicate(db, h, input.confirm_new, now).await
    }
    .await;
    me.audited(db, "hazard.create", ("hazard", &input.region_code), r).await
}

/// Reports a hazard in public (no account): anywhere in the province, at most
/// [`PUBLIC_REPORTS_PER_HOUR`] an hour from one address and as many from one phone number
/// (optional, sealed, given with consent).
pub async fn create_public(db: &Db, key: &DataKey, ip: &str, input: &HazardInput) -> Result<Reported> {
    let now = clock::now();
    let ip_hash = key.index(&format!("hazard-ip:{ip}"));
    let mut h = check(db, &Scope::province(), input, now).await?;
    let name = input.reporter_name.trim();
    h.reporter_name = if name.is_empty() { "群众".to_owned() } else { text("reporter_name", name, 1, 40)? };
    if !input.phone.trim().is_empty() {
        if !input.consent {
            return Err(Error::invalid("consent", "error.phone_consent"));
        }
        let phone = PhoneNumber::parse("phone", &input.phone)?;
        h.phone = Some((key.seal(phone.as_str()), key.index(phone.as_str()), phone.masked()));
    }
    h.ip_hash = Some(ip_hash);
    let path = h.region.1.clone();
    let r = store_unless_duplicate(db, h, input.confirm_new, now).await?;
    if let Reported::Stored(id, _) = &r {
        let actor = Actor { user_id: None, name: "public".to_owned(), ip: ip.to_owned(), region_path: path };
        audit::record(db, &actor, "hazard.report_public", ("hazard", &id.to_string()), audit::Outcome::Ok, "").await?;
    }
    Ok(r)
}

/// A change of state as asked for.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct TransitionInput {
    /// The transition (`verify`, `reject`, `duplicate`, `assign`, `refer`, `start_rectifying`,
    /// `mark_rectified`, `close`, `fail_reinspection`, `close_not_fixed`, `reopen`).
    pub transition: Transition,
    /// Why (required to reject, mark duplicate, refer, close not fixed, reopen, or fail a re-inspection).
    #[serde(default)]
    pub reason: String,
    /// The unit to assign to, or the line department to refer to.
    #[serde(default)]
    pub unit_id: Option<i64>,
    /// The earlier report (duplicate).
    #[serde(default)]
    pub duplicate_of: Option<i64>,
    /// Rectification due (assign, refer), `2026-12-15`; 15 days when left out.
    #[serde(default)]
    pub rectify_due_on: Option<String>,
    /// Whether the reporter sees the note on the tracking page (default yes).
    #[serde(default = "yes")]
    pub public: bool,
}

fn yes() -> bool {
    true
}

impl TransitionInput {
    /// A transition with nothing else.
    pub fn plain(transition: Transition, reason: &str) -> Self {
        Self {
            transition,
            reason: reason.to_owned(),
            unit_id: None,
            duplicate_of: None,
            rectify_due_on: None,
            public: true,
        }
    }
}

/// Whether `me` may press `t` on hazard `h` (already fetched through the scope).
pub fn may(me: &Principal, h: &Hazard, t: Transition) -> bool {
    if me.role == Role::Leader {
        return false;
    }
    if t.by_rectifier() {
        let unit = Some(me.user.unit_id);
        return unit == h.assigned_unit_id || unit == h.referred_unit_id;
    }
    is_fire_service(me.role)
}

/// The transitions `me` may press on `h` now.
pub fn allowed(me: &Principal, h: &Hazard) -> Vec<Transition> {
    Transition::ALL.iter().copied().filter(|t| h.state.after(*t).is_ok() && may(me, h, *t)).collect()
}

/// Moves a hazard through its lifecycle: out of scope 404, not allowed 403, not possible in its
/// state 409, missing reason or target 422.
pub async fn transition(db: &Db, me: &Principal, id: i64, input: &TransitionInput) -> Result<()> {
    let t = input.transition;
    let r = async {
        let h = store::hazard(db, &me.scope, id).await?;
        let from = h.state;
        let to = from.after(t)?;
        if !may(me, &h, t) {
            return Err(Error::Forbidden);
        }
        let reason = text("reason", &input.reason, 0, 500)?;
        if t.needs_reason() && reason.is_empty() {
            return Err(Error::invalid("reason", "error.give_reason"));
        }
        let now = clock::now();
        let mut change = Change {
            from,
            to,
            event: NewEvent {
                at: now,
                actor_user_id: Some(me.user.id),
                actor_name: me.user.display_name.clone(),
                action: t.as_str().to_owned(),
                from_state: Some(from),
                to_state: to,
                note: reason,
                public: input.public,
            },
            assigned_unit_id: None,
            referred_unit_id: None,
            duplicate_of: None,
            rectify_due_on: None,
        };
        match t {
            Transition::Assign | Transition::Refer => {
                let unit_id = input.unit_id.ok_or_else(|| Error::invalid("unit_id", "error.choose_unit"))?;
                let unit = target_unit(db, me, &h, unit_id, t).await?;
                if t == Transition::Assign {
                    change.assigned_unit_id = Some(unit.id);
                } else {
                    change.referred_unit_id = Some(unit.id);
                }
                let today = clock::today();
                let due = match input.rectify_due_on.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                    Some(s) => crate::clock::parse_date("rectify_due_on", s)?,
                    None => today + Duration::days(super::DEFAULT_RECTIFY_DAYS),
                };
                if due < today {
                    return Err(Error::invalid("rectify_due_on", "error.rectify_due_past"));
                }
                change.rectify_due_on = Some(due);
                if change.event.note.is_empty() {
                    change.event.note = unit.name;
                }
            }
            Transition::MarkDuplicate => {
                let original =
                    input.duplicate_of.ok_or_else(|| Error::invalid("duplicate_of", "error.name_original"))?;
                if original == id {
                    return Err(Error::invalid("duplicate_of", "error.duplicate_self"));
                }
                store::hazard(db, &me.scope, original)
                    .await
                    .map_err(|_| Error::invalid("duplicate_of", keyed("error.no_report", &[&original.to_string()])))?;
                change.duplicate_of = Some(original);
            }
            _ => {}
        }
        store::transition(db, id, &change).await
    }
    .await;
    me.audited(db, &format!("hazard.{}", t.as_str()), ("hazard", &id.to_string()), r).await
}

/// The unit a hazard may be assigned to (inside the caller's area, near the place, not a line
/// department) or referred to (a line department whose region contains the place).
async fn target_unit(db: &Db, me: &Principal, h: &Hazard, unit_id: i64, t: Transition) -> Result<org::store::Unit> {
    let not_found = || Error::invalid("unit_id", keyed("error.unit_cannot_take", &[&unit_id.to_string()]));
    if t == Transition::Refer {
        let unit = org::store::unit(db, &Scope::province(), unit_id).await.map_err(|_| not_found())?;
        if unit.kind != UnitKind::Department || !h.region_path.starts_with(&unit.region_path) {
            return Err(Error::invalid("unit_id", "error.refer_department"));
        }
        return Ok(unit);
    }
    let unit = org::store::unit(db, &me.scope, unit_id).await.map_err(|_| not_found())?;
    let related = h.region_path.starts_with(&unit.region_path) || unit.region_path.starts_with(&h.region_path);
    if unit.kind == UnitKind::Department || !related {
        return Err(Error::invalid("unit_id", "error.assign_local_unit"));
    }
    Ok(unit)
}

/// The units `me` may assign `h` to, and the departments it may be referred to.
pub async fn targets(db: &Db, me: &Principal, h: &Hazard) -> Result<(Vec<org::store::Unit>, Vec<org::store::Unit>)> {
    let filter = org::store::UnitFilter::default();
    let units = org::store::units(db, &me.scope, &filter, 2000)
        .await?
        .into_iter()
        .filter(|u| {
            u.kind != UnitKind::Department
                && (h.region_path.starts_with(&u.region_path) || u.region_path.starts_with(&h.region_path))
        })
        .collect();
    let departments = org::store::UnitFilter { kind: Some(UnitKind::Department), ..org::store::UnitFilter::default() };
    let departments = org::store::units(db, &Scope::province(), &departments, 500)
        .await?
        .into_iter()
        .filter(|u| h.region_path.starts_with(&u.region_path))
        .collect();
    Ok((units, departments))
}

/// Checks and cleans an uploaded photo (off the async threads).
pub async fn clean_photo(bytes: &[u8]) -> Result<crate::photo::Photo> {
    let bytes = bytes.to_vec();
    tokio::task::spawn_blocking(move || crate::photo::process(&bytes))
        .await
        .map_err(|e| anyhow::anyhow!("photo: {e}"))?
        .map_err(|e| photo_refused(&e))
}

/// Why a photo was refused, as a message for the `photo` field.
pub fn photo_refused(e: &crate::photo::PhotoError) -> Error {
    use crate::photo::PhotoError;
    let megabytes = |bytes: usize| {
        let tenths = (bytes as u128 * 10).div_ceil(1024 * 1024);
        if tenths.is_multiple_of(10) {
            format!("{} MB", tenths / 10)
        } else {
            format!("{}.{} MB", tenths / 10, tenths % 10)
        }
    };
    let message = match e {
        PhotoError::TooLarge { bytes, max } => keyed("error.photo_too_large", &[&megabytes(*bytes), &megabytes(*max)]),
        PhotoError::NotAnImage => "error.photo_not_image".to_owned(),
        PhotoError::UnsupportedType(kind) => keyed("error.photo_type", &[kind]),
        PhotoError::TooManyPixels { width, height } => {
            keyed("error.photo_pixels", &[&width.to_string(), &height.to_string()])
        }
        PhotoError::Corrupt(why) => keyed("error.photo_corrupt", &[why]),
    };
    Error::invalid("photo", message)
}

/// Photos a report may carry.
pub const MAX_PHOTOS: usize = 6;

/// Attaches a photo to a hazard in the caller's area (while it is open).
pub async fn add_photo(db: &Db, me: &Principal, id: i64, bytes: &[u8]) -> Result<i64> {
    let r = async {
        let h = store::hazard(db, &me.scope, id).await?;
        if me.role == Role::Leader {
            return Err(Error::Forbidden);
        }
        if h.closed_at.is_some() {
            return Err(Error::Conflict("error.photos_while_open".into()));
        }
        if store::photos(db, id).await?.len() >= MAX_PHOTOS {
            return Err(Error::invalid("photo", keyed("error.photos_at_most", &[&MAX_PHOTOS.to_string()])));
        }
        let photo = clean_photo(bytes).await?;
        store::insert_photo(db, id, &photo, Some(me.user.id)).await
    }
    .await;
    me.audited(db, "hazard.photo", ("hazard", &id.to_string()), r).await
}

/// Attaches cleaned photos to the reporter's own report (by tracking code) while it waits for
/// verification.
pub async fn add_public_photos(db: &Db, code: &str, photos: &[crate::photo::Photo]) -> Result<Vec<i64>> {
    let h = store::by_code(db, &crate::code::typed(code)).await?;
    if h.state != State::Reported {
        return Err(Error::Conflict("error.photos_until_verified".into()));
    }
    if store::photos(db, h.id).await?.len() + photos.len() > MAX_PHOTOS {
        return Err(Error::invalid("photo", keyed("error.photos_at_most", &[&MAX_PHOTOS.to_string()])));
    }
    let mut ids = Vec::with_capacity(photos.len());
    for p in photos {
        ids.push(store::insert_photo(db, h.id, p, None).await?);
    }
    Ok(ids)
}

/// Opens the reporter's phone number of a hazard in the caller's area (fire service only),
/// audited as `hazard.reveal_phone`.
pub async fn reveal_phone(db: &Db, key: &DataKey, me: &Principal, id: i64) -> Result<Option<String>> {
    let r = async {
        store::hazard(db, &me.scope, id).await?;
        if !is_fire_service(me.role) {
            return Err(Error::Forbidden);
        }
        store::sealed_phone(db, id).await?.map(|s| key.open(&s)).transpose()
    }
    .await;
    me.audited(db, "hazard.reveal_phone", ("hazard", &id.to_string()), r).await
}

/// Raises the escalation of every open hazard past its deadline at `now` (one level when overdue,
/// the corps when overdue by more than three days), writing one `escalate` entry per level
/// raised. Returns how many hazards rose.
pub async fn sweep(db: &Db, now: OffsetDateTime) -> Result<u64> {
    let mut raised = Vec::new();
    let mut events = Vec::new();
    for o in store::overdue(db, now, 20_000).await? {
        let state = o.state;
        let target = escalation_for(o.due_at, now);
        if target <= o.escalation_level {
            continue;
        }
        for _ in (o.escalation_level + 1)..=target {
            events.push((
                o.id,
                NewEvent {
                    at: now,
                    actor_user_id: None,
                    actor_name: "system".to_owned(),
                    action: "escalate".to_owned(),
                    from_state: Some(state),
                    to_state: state,
                    note: String::new(),
                    public: false,
                },
            ));
        }
        raised.push((o.id, state, target, handling_path(&o.responsible_path, target)));
    }
    if raised.is_empty() {
        return Ok(0);
    }
    store::escalate(db, &raised, &events).await
}
