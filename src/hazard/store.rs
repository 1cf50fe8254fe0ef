//! Every SQL statement about hazard reports: the category catalogue, reports and their timeline,
//! photos, the running counters per region and state (and the rectification-days histogram) kept
//! in the same transaction as every insert and transition, the overdue sweep, and the figures the
//! campaigns count.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::FromRow;
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use super::{State, counted_paths, days_between};
use crate::db::{CHUNK_ROWS, Db, Tx};
use crate::org::Scope;
use crate::{Error, Result, on_db, on_tx};

/// A category of the catalogue.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Category {
    /// Code.
    pub code: String,
    /// Chinese name.
    pub name: String,
    /// English name.
    pub name_en: String,
    /// Hours the fire service has to verify a report.
    pub verify_hours: i64,
    /// Display order.
    pub sort: i64,
}

/// A hazard report as staff see it (the phone number only masked).
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Hazard {
    /// Id.
    pub id: i64,
    /// The reporter's tracking code.
    pub tracking_code: String,
    /// Category code.
    pub category: String,
    /// Its name.
    pub category_name: String,
    /// Community, village or township.
    pub region_code: String,
    /// Its name.
    pub region_name: String,
    /// Its path.
    pub region_path: String,
    /// Address.
    pub address: String,
    /// Latitude.
    pub latitude: Option<f64>,
    /// Longitude.
    pub longitude: Option<f64>,
    /// What was found.
    pub description: String,
    /// State (see `hazard::State`).
    pub state: String,
    /// `volunteer`, `grid_worker`, `resident` or `staff`.
    pub reporter_kind: String,
    /// The reporting account (none for residents).
    pub reporter_user_id: Option<i64>,
    /// The reporter's name.
    pub reporter_name: String,
    /// The reporter's phone, masked.
    pub reporter_phone_masked: Option<String>,
    /// The fire-service unit responsible.
    pub responsible_unit_id: i64,
    /// Its name.
    pub responsible_name: String,
    /// Its region path.
    pub responsible_path: String,
    /// The region path of the unit handling it now (the responsible one, or above when escalated).
    pub handling_path: String,
    /// The unit it was assigned to.
    pub assigned_unit_id: Option<i64>,
    /// Its name.
    pub assigned_name: Option<String>,
    /// The line department it was referred to.
    pub referred_unit_id: Option<i64>,
    /// Its name.
    pub referred_name: Option<String>,
    /// The earlier report this one repeats.
    pub duplicate_of: Option<i64>,
    /// Verification due.
    #[schema(value_type = String)]
    pub verify_due_at: OffsetDateTime,
    /// Answer to the reporter due.
    #[schema(value_type = String)]
    pub answer_due_at: OffsetDateTime,
    /// Rectification due (once assigned).
    #[schema(value_type = Option<String>, format = Date)]
    pub rectify_due_on: Option<Date>,
    /// The deadline of the current state.
    #[schema(value_type = Option<String>)]
    pub due_at: Option<OffsetDateTime>,
    /// 0 the responsible unit, 1 the level above, 2 the corps.
    pub escalation_level: i64,
    /// Reported.
    #[schema(value_type = String)]
    pub created_at: OffsetDateTime,
    /// Verified.
    #[schema(value_type = Option<String>)]
    pub verified_at: Option<OffsetDateTime>,
    /// First answer (the first transition after reporting).
    #[schema(value_type = Option<String>)]
    pub answered_at: Option<OffsetDateTime>,
    /// Rectified.
    #[schema(value_type = Option<String>)]
    pub rectified_at: Option<OffsetDateTime>,
    /// Closed, rejected or marked duplicate.
    #[schema(value_type = Option<String>)]
    pub closed_at: Option<OffsetDateTime>,
}

impl Hazard {
    /// The parsed state.
    pub fn state(&self) -> Result<State> {
        State::parse(&self.state).ok_or_else(|| Error::Internal(anyhow::anyhow!("unknown hazard state {}", self.state)))
    }

    /// Whether it is open and past its deadline at `now`.
    pub fn overdue(&self, now: OffsetDateTime) -> bool {
        self.closed_at.is_none() && self.due_at.is_some_and(|d| d < now)
    }
}

const HAZARD_SELECT: &str = "select h.id, h.tracking_code, h.category, c.name as category_name, h.region_code, \
     r.name as region_name, h.region_path, h.address, h.latitude, h.longitude, h.description, h.state, h.reporter_kind, \
     h.reporter_user_id, h.reporter_name, h.reporter_phone_masked, h.responsible_unit_id, ru.name as responsible_name, \
     h.responsible_path, h.handling_path, h.assigned_unit_id, au.name as assigned_name, h.referred_unit_id, \
     du.name as referred_name, h.duplicate_of, h.verify_due_at, h.answer_due_at, h.rectify_due_on, h.due_at, \
     h.escalation_level, h.created_at, h.verified_at, h.answered_at, h.rectified_at, h.closed_at \
     from hazard h join hazard_category c on c.code = h.category join region r on r.code = h.region_code \
     join unit ru on ru.id = h.responsible_unit_id left join unit au on au.id = h.assigned_unit_id \
     left join unit du on du.id = h.referred_unit_id";

/// One entry of a hazard's timeline.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Event {
    /// Id.
    pub id: i64,
    /// When.
    #[schema(value_type = String)]
    pub at: OffsetDateTime,
    /// Who (none for the public or the system).
    pub actor_user_id: Option<i64>,
    /// Their name, or `reporter`, or `system`.
    pub actor_name: String,
    /// report, a transition name, or escalate.
    pub action: String,
    /// State before.
    pub from_state: Option<String>,
    /// State after.
    pub to_state: String,
    /// Why.
    pub note: String,
    /// Whether the reporter sees the note.
    pub public: bool,
}

/// A timeline entry to store.
#[derive(Clone, Debug)]
pub struct NewEvent {
    /// When.
    pub at: OffsetDateTime,
    /// Who.
    pub actor_user_id: Option<i64>,
    /// Their name.
    pub actor_name: String,
    /// What.
    pub action: String,
    /// From.
    pub from_state: Option<State>,
    /// To.
    pub to_state: State,
    /// Why.
    pub note: String,
    /// Whether the reporter sees it.
    pub public: bool,
}

/// A hazard to store (new reports, or reconstructed history for the demo and the bench).
#[derive(Clone, Debug)]
pub struct NewHazard {
    /// Tracking code.
    pub tracking_code: String,
    /// Category code.
    pub category: String,
    /// Place: code and path.
    pub region: (String, String),
    /// Address.
    pub address: String,
    /// (latitude, longitude).
    pub coordinates: Option<(f64, f64)>,
    /// What was found.
    pub description: String,
    /// State.
    pub state: State,
    /// Reporter kind.
    pub reporter_kind: super::ReporterKind,
    /// Reporting account.
    pub reporter_user_id: Option<i64>,
    /// Reporter's name.
    pub reporter_name: String,
    /// Phone: sealed, blind index, masked.
    pub phone: Option<(String, String, String)>,
    /// Keyed hash of the public reporter's address (for the rate limit).
    pub ip_hash: Option<String>,
    /// Responsible unit: id and path.
    pub responsible: (i64, String),
    /// Assigned unit.
    pub assigned_unit_id: Option<i64>,
    /// Referred department.
    pub referred_unit_id: Option<i64>,
    /// Original of a duplicate.
    pub duplicate_of: Option<i64>,
    /// Deadlines.
    pub verify_due_at: OffsetDateTime,
    /// Answer due.
    pub answer_due_at: OffsetDateTime,
    /// Rectification due.
    pub rectify_due_on: Option<Date>,
    /// Current deadline.
    pub due_at: Option<OffsetDateTime>,
    /// Escalation level.
    pub escalation_level: i64,
    /// Times.
    pub created_at: OffsetDateTime,
    /// Verified.
    pub verified_at: Option<OffsetDateTime>,
    /// Answered.
    pub answered_at: Option<OffsetDateTime>,
    /// Rectified.
    pub rectified_at: Option<OffsetDateTime>,
    /// Closed.
    pub closed_at: Option<OffsetDateTime>,
    /// The timeline.
    pub events: Vec<NewEvent>,
}

/// The catalogue, in display order.
pub async fn categories(db: &Db) -> Result<Vec<Category>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "select code, name, name_en, verify_hours, sort from hazard_category order by sort, code"
    )
    .fetch_all(p)
    .await)?)
}

/// The fire-service unit responsible for a place: the brigade whose region contains it, else the
/// detachment, else the corps. Returns (id, region path).
pub async fn responsible_unit(db: &Db, path: &str) -> Result<(i64, String)> {
    on_db!(db, |p| sqlx::query_as(
        "select id, region_path from unit where kind in ('brigade', 'detachment', 'corps') \
         and $1 like region_path || '%' order by length(region_path) desc, case kind when 'brigade' then 0 \
         when 'detachment' then 1 else 2 end, id limit 1"
    )
    .bind(path)
    .fetch_optional(p)
    .await)?
    .ok_or_else(|| Error::Internal(anyhow::anyhow!("no fire-service unit above {path}")))
}

/// Every fire-service unit: (id, kind, region path), for placing many hazards at once.
pub async fn fire_units(db: &Db) -> Result<Vec<(i64, String, String)>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "select id, kind, region_path from unit where kind in ('brigade', 'detachment', 'corps') order by id"
    )
    .fetch_all(p)
    .await)?)
}

/// Names and paths of the prefectures and counties (for checking addresses).
pub async fn named_regions(db: &Db) -> Result<Vec<(String, String)>> {
    Ok(on_db!(db, |p| sqlx::query_as("select name, path from region where level in (1, 2) order by path")
        .fetch_all(p)
        .await)?)
}

/// Counter changes, summed in memory and written as chunked multi-row upserts.
#[derive(Debug, Default)]
struct Deltas {
    count: HashMap<(String, &'static str), i64>,
    days: HashMap<(String, i64), i64>,
}

impl Deltas {
    fn state(&mut self, path: &str, state: State, n: i64) {
        for p in counted_paths(path) {
            *self.count.entry((p, state.as_str())).or_default() += n;
        }
    }

    fn days(&mut self, path: &str, days: i64, n: i64) {
        for p in counted_paths(path) {
            *self.days.entry((p, days)).or_default() += n;
        }
    }

    async fn apply(self, tx: &mut Tx) -> Result<()> {
        let count: Vec<_> = self.count.into_iter().filter(|(_, n)| *n != 0).collect();
        let days: Vec<_> = self.days.into_iter().filter(|(_, n)| *n != 0).collect();
        on_tx!(tx, |c| {
            for chunk in count.chunks(CHUNK_ROWS) {
                let mut q = sqlx::QueryBuilder::new("insert into hazard_count (region_path, state, n) ");
                q.push_values(chunk, |mut b, ((path, state), n)| {
                    b.push_bind(path).push_bind(*state).push_bind(*n);
                });
                q.push(" on conflict (region_path, state) do update set n = hazard_count.n + excluded.n");
                q.build().execute(&mut *c).await?;
            }
            for chunk in days.chunks(CHUNK_ROWS) {
                let mut q = sqlx::QueryBuilder::new("insert into hazard_rectify_days (region_path, days, n) ");
                q.push_values(chunk, |mut b, ((path, days), n)| {
                    b.push_bind(path).push_bind(*days).push_bind(*n);
                });
                q.push(" on conflict (region_path, days) do update set n = hazard_rectify_days.n + excluded.n");
                q.build().execute(&mut *c).await?;
            }
        });
        Ok(())
    }
}

async fn insert_events(tx: &mut Tx, events: &[(i64, &NewEvent)]) -> Result<()> {
    on_tx!(tx, |c| {
        for chunk in events.chunks(CHUNK_ROWS) {
            let mut q = sqlx::QueryBuilder::new(
                "insert into hazard_event (hazard_id, at, actor_user_id, actor_name, action, from_state, to_state, note, public) ",
            );
            q.push_values(chunk, |mut b, (id, e)| {
                b.push_bind(*id)
                    .push_bind(e.at)
                    .push_bind(e.actor_user_id)
                    .push_bind(&e.actor_name)
                    .push_bind(&e.action)
                    .push_bind(e.from_state.map(State::as_str))
                    .push_bind(e.to_state.as_str())
                    .push_bind(&e.note)
                    .push_bind(e.public);
            });
            q.build().execute(&mut *c).await?;
        }
    });
    Ok(())
}

async fn insert_in(tx: &mut Tx, hazards: &[NewHazard], deltas: &mut Deltas) -> Result<Vec<i64>> {
    let first = tx.reserve_ids("hazard", hazards.len()).await?;
    let ids: Vec<i64> = (first..).take(hazards.len()).collect();
    let rows: Vec<(i64, &NewHazard)> = ids.iter().copied().zip(hazards).collect();
    on_tx!(tx, |c| {
        for chunk in rows.chunks(CHUNK_ROWS / 2) {
            let mut q = sqlx::QueryBuilder::new(
                "insert into hazard (id, tracking_code, category, region_code, region_path, address, latitude, longitude, \
                 description, state, reporter_kind, reporter_user_id, reporter_name, reporter_phone_sealed, \
                 reporter_phone_index, reporter_phone_masked, reporter_ip_hash, responsible_unit_id, responsible_path, \
                 handling_path, assigned_unit_id, referred_unit_id, duplicate_of, verify_due_at, answer_due_at, \
                 rectify_due_on, due_at, escalation_level, created_at, verified_at, answered_at, rectified_at, closed_at) ",
            );
            q.push_values(chunk, |mut b, (id, h)| {
                let (sealed, index, masked) = match &h.phone {
                    Some((s, i, m)) => (Some(s), Some(i), Some(m)),
                    None => (None, None, None),
                };
                b.push_bind(*id)
                    .push_bind(&h.tracking_code)
                    .push_bind(&h.category)
                    .push_bind(&h.region.0)
                    .push_bind(&h.region.1)
                    .push_bind(&h.address)
                    .push_bind(h.coordinates.map(|c| c.0))
                    .push_bind(h.coordinates.map(|c| c.1))
                    .push_bind(&h.description)
                    .push_bind(h.state.as_str())
                    .push_bind(h.reporter_kind.as_str())
                    .push_bind(h.reporter_user_id)
                    .push_bind(&h.reporter_name)
                    .push_bind(sealed)
                    .push_bind(index)
                    .push_bind(masked)
                    .push_bind(&h.ip_hash)
                    .push_bind(h.responsible.0)
                    .push_bind(&h.responsible.1)
                    .push_bind(super::handling_path(&h.responsible.1, h.escalation_level))
                    .push_bind(h.assigned_unit_id)
                    .push_bind(h.referred_unit_id)
                    .push_bind(h.duplicate_of)
                    .push_bind(h.verify_due_at)
                    .push_bind(h.answer_due_at)
                    .push_bind(h.rectify_due_on)
                    .push_bind(h.due_at)
                    .push_bind(h.escalation_level)
                    .push_bind(h.created_at)
                    .push_bind(h.verified_at)
                    .push_bind(h.answered_at)
                    .push_bind(h.rectified_at)
                    .push_bind(h.closed_at);
            });
            q.build().execute(&mut *c).await?;
        }
    });
    for (_, h) in &rows {
        deltas.state(&h.region.1, h.state, 1);
        if let (true, Some(at)) = (h.state.is_rectified(), h.rectified_at) {
            deltas.days(&h.region.1, days_between(h.created_at, at), 1);
        }
    }
    let events: Vec<(i64, &NewEvent)> =
        rows.iter().flat_map(|(id, h)| h.events.iter().map(move |e| (*id, e))).collect();
    insert_events(tx, &events).await?;
    Ok(ids)
}

/// Stores hazards with their timelines in one transaction of chunked multi-row inserts, and adds
/// them to the counters in the same transaction: all or nothing.
pub async fn insert_many(db: &Db, hazards: &[NewHazard], progress: &(dyn Fn(usize) + Sync)) -> Result<Vec<i64>> {
    let mut chunks = hazards.chunks(CHUNK_ROWS * 20);
    let mut ids = Vec::with_capacity(hazards.len());
    insert_stream(db, &mut || chunks.next().map(<[NewHazard]>::to_vec), &mut |batch| {
        ids.extend_from_slice(batch);
        progress(ids.len());
    })
    .await?;
    Ok(ids)
}

/// Stores batches of hazards drawn from `next` until it returns `None`, all in one transaction,
/// with the counters summed over every batch and written once at the end (the bench's bulk
/// load, which does not fit in memory at once). `stored` sees the ids of each batch.
pub async fn insert_stream(
    db: &Db,
    next: &mut (dyn FnMut() -> Option<Vec<NewHazard>> + Send),
    stored: &mut (dyn FnMut(&[i64]) + Send),
) -> Result<()> {
    let mut tx = db.begin().await?;
    let mut deltas = Deltas::default();
    while let Some(batch) = next() {
        for chunk in batch.chunks(CHUNK_ROWS * 20) {
            let ids = insert_in(&mut tx, chunk, &mut deltas).await?;
            stored(&ids);
        }
    }
    deltas.apply(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Stores one hazard.
pub async fn insert(db: &Db, hazard: &NewHazard) -> Result<i64> {
    insert_many(db, std::slice::from_ref(hazard), &|_| {})
        .await?
        .first()
        .copied()
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("no id")))
}

/// A hazard inside the scope.
pub async fn hazard(db: &Db, scope: &Scope, id: i64) -> Result<Hazard> {
    let (low, high) = scope.bounds();
    let sql = format!("{HAZARD_SELECT} where h.id = $1 and h.region_path >= $2 and h.region_path < $3");
    on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).bind(low).bind(&high).fetch_optional(p).await)?
        .ok_or(Error::NotFound)
}

/// A hazard by its tracking code (the reporter's own link; no account).
pub async fn by_code(db: &Db, code: &str) -> Result<Hazard> {
    let sql = format!("{HAZARD_SELECT} where h.tracking_code = $1");
    on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(code.trim()).fetch_optional(p).await)?
        .ok_or(Error::NotFound)
}

/// The sealed phone number of a hazard fetched through the scope.
pub async fn sealed_phone(db: &Db, id: i64) -> Result<Option<String>> {
    Ok(on_db!(db, |p| sqlx::query_scalar("select reporter_phone_sealed from hazard where id = $1")
        .bind(id)
        .fetch_optional(p)
        .await)?
    .flatten())
}

/// The timeline of a hazard (only the entries the reporter sees when `public_only`).
pub async fn events(db: &Db, id: i64, public_only: bool) -> Result<Vec<Event>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "select id, at, actor_user_id, actor_name, action, from_state, to_state, note, public from hazard_event \
         where hazard_id = $1 and ($2 = false or public = true) order by at, id"
    )
    .bind(id)
    .bind(public_only)
    .fetch_all(p)
    .await)?)
}

/// List filters (every one optional).
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// State.
    pub state: Option<State>,
    /// Category code.
    pub category: Option<String>,
    /// Under this region path (inside the scope).
    pub under: Option<String>,
    /// Only open hazards past their deadline.
    pub overdue: bool,
    /// Reporter kind.
    pub reporter_kind: Option<super::ReporterKind>,
    /// Reported by this account.
    pub reporter_user_id: Option<i64>,
    /// Address, description or tracking code contains.
    pub q: Option<String>,
    /// Escalated to the unit at this path (open, escalated, handled there).
    pub escalated_to: Option<String>,
}

impl Filter {
    /// Whether only the state (or nothing) is filtered, so the counters answer how many match.
    pub fn counted(&self) -> bool {
        self.category.is_none()
            && !self.overdue
            && self.reporter_kind.is_none()
            && self.reporter_user_id.is_none()
            && self.q.is_none()
            && self.escalated_to.is_none()
            && self.under.as_ref().is_none_or(|p| p.len() <= super::COUNTED_PATH_MAX)
    }
}

/// Writes the filter's conditions. With `wide`, the region bounds are written so that no index
/// serves them (`region_path || ''`): for a filter that matches many rows, walking the newest ids
/// and skipping the few that do not match beats reading the whole region to sort it.
fn push_filter<DB: sqlx::Database>(
    q: &mut sqlx::QueryBuilder<DB>,
    scope: &Scope,
    f: &Filter,
    now: OffsetDateTime,
    wide: bool,
) where
    String: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    i64: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    OffsetDateTime: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    let (low, high) = scope.bounds();
    let column = if wide { " h.region_path || ''" } else { " h.region_path" };
    q.push(" where")
        .push(column)
        .push(" >= ")
        .push_bind(low.to_owned())
        .push(" and")
        .push(column)
        .push(" < ")
        .push_bind(high);
    if let Some(under) = &f.under {
        let inner_high = Scope::under(under).bounds().1;
        q.push(" and")
            .push(column)
            .push(" >= ")
            .push_bind(under.clone())
            .push(" and")
            .push(column)
            .push(" < ")
            .push_bind(inner_high);
    }
    if let Some(s) = f.state {
        q.push(" and h.state = ").push_bind(s.as_str().to_owned());
    }
    if let Some(c) = &f.category {
        q.push(" and h.category = ").push_bind(c.clone());
    }
    if f.overdue {
        q.push(" and h.closed_at is null and h.due_at < ").push_bind(now);
    }
    if let Some(k) = f.reporter_kind {
        q.push(" and h.reporter_kind = ").push_bind(k.as_str().to_owned());
    }
    if let Some(u) = f.reporter_user_id {
        q.push(" and h.reporter_user_id = ").push_bind(u);
    }
    if let Some(path) = &f.escalated_to {
        q.push(" and h.closed_at is null and h.escalation_level > 0 and h.handling_path = ").push_bind(path.clone());
    }
    if let Some(text) = &f.q {
        q.push(" and (h.address like ")
            .push_bind(format!("%{text}%"))
            .push(" or h.description like ")
            .push_bind(format!("%{text}%"))
            .push(" or h.tracking_code = ")
            .push_bind(text.clone())
            .push(")");
    }
}

/// Hazards inside the scope matching the filter, newest first, `limit` of them below id `before`
/// (keyset paging).
pub async fn list(
    db: &Db,
    scope: &Scope,
    f: &Filter,
    before: Option<i64>,
    limit: i64,
    now: OffsetDateTime,
) -> Result<Vec<Hazard>> {
    let wide = walk_newest(db, scope, f, limit).await?;
    // The ids first, from the hazards alone, so the planner cannot start from a joined table.
    let (fields, joins) = HAZARD_SELECT.split_once(" from hazard h ").unwrap_or((HAZARD_SELECT, ""));
    Ok(on_db!(db, |p| {
        let mut q = sqlx::QueryBuilder::new(format!("{fields} from (select h.id from hazard h"));
        push_filter(&mut q, scope, f, now, wide);
        if let Some(b) = before {
            q.push(" and h.id < ").push_bind(b);
        }
        q.push(" order by h.id desc limit ").push_bind(limit);
        q.push(format!(") k join hazard h on h.id = k.id {joins} order by h.id desc"));
        q.build_query_as().fetch_all(p).await
    })?)
}

/// A filter expected to match at least this many hazards may be listed by walking the newest ids.
const WIDE_ROWS: i64 = 500;

/// Whether walking the newest ids (skipping those that do not match) reads fewer rows than
/// reading every match through the indexes and sorting them: the walk reads about
/// `limit × all / matches` rows, the indexes `matches`. Only the `Db::Sqlite` backend is told
/// so: the `Db::Postgres` planner weighs the same from its statistics, and hiding the region
/// from it spoils its estimate of how many rows match (it then sorts every overdue report
/// instead of walking).
async fn walk_newest(db: &Db, scope: &Scope, f: &Filter, limit: i64) -> Result<bool> {
    if matches!(db, Db::Postgres(_)) {
        return Ok(false);
    }
    let matches = estimate(db, scope, f).await?;
    if matches < WIDE_ROWS {
        return Ok(false);
    }
    let all = if scope.path().len() > super::COUNTED_PATH_MAX {
        matches
    } else {
        counted_total(db, scope.path(), None).await?
    };
    Ok(matches.saturating_mul(matches) >= limit.max(1).saturating_mul(all))
}

/// Roughly how many hazards a filter matches: the counters for the region and state, thinned by
/// a guess for each other condition.
async fn estimate(db: &Db, scope: &Scope, f: &Filter) -> Result<i64> {
    let path = f.under.clone().unwrap_or_else(|| scope.path().to_owned());
    if path.len() > super::COUNTED_PATH_MAX {
        return Ok(0);
    }
    let mut n = counted_total(db, &path, f.state).await?;
    for (on, share) in [
        (f.category.is_some(), 10),
        (f.reporter_kind.is_some(), 4),
        (f.overdue, 10),
        (f.reporter_user_id.is_some(), 1000),
        (f.escalated_to.is_some(), 100),
        (f.q.is_some(), 1000),
    ] {
        if on {
            n /= share;
        }
    }
    Ok(n)
}

/// How many hazards the filter finds, read from the counters when only the region and state are
/// filtered, else counted (up to `cap`).
pub async fn count(db: &Db, scope: &Scope, f: &Filter, now: OffsetDateTime, cap: i64) -> Result<i64> {
    if f.counted() {
        let path = f.under.clone().unwrap_or_else(|| scope.path().to_owned());
        return counted_total(db, &path, f.state).await;
    }
    let wide = walk_newest(db, scope, f, cap).await?;
    Ok(on_db!(db, |p| {
        let mut q = sqlx::QueryBuilder::new("select count(*) from (select 1 from hazard h");
        push_filter(&mut q, scope, f, now, wide);
        q.push(" limit ").push_bind(cap).push(") t");
        q.build_query_scalar().fetch_one(p).await
    })?)
}

/// The counters' total for a region path (down to township level), of one state or all.
async fn counted_total(db: &Db, path: &str, state: Option<State>) -> Result<i64> {
    Ok(on_db!(db, |p| {
        sqlx::query_scalar(
        "select cast(coalesce(sum(n), 0) as bigint) from hazard_count where region_path = $1 and ($2 is null or state = $2)"
    )
    .bind(path)
    .bind(state.map(State::as_str))
    .fetch_one(p)
    .await
    })?)
}

/// Hazards per region (paths cut to `len` characters) inside the scope matching the filter: the
/// choropleth's values. Read from the counters when only the state is filtered.
pub async fn counts_by_region(
    db: &Db,
    scope: &Scope,
    f: &Filter,
    len: i64,
    now: OffsetDateTime,
) -> Result<Vec<(String, i64)>> {
    let high = scope.bounds().1;
    if f.counted() && f.under.is_none() && usize::try_from(len).is_ok_and(|l| l <= super::COUNTED_PATH_MAX) {
        return Ok(on_db!(db, |p| sqlx::query_as(
            "select region_path, cast(sum(n) as bigint) from hazard_count where region_path >= $1 and region_path < $2 \
             and length(region_path) = $3 and ($4 is null or state = $4) group by region_path"
        )
        .bind(scope.path())
        .bind(&high)
        .bind(len)
        .bind(f.state.map(State::as_str))
        .fetch_all(p)
        .await)?);
    }
    Ok(on_db!(db, |p| {
        let mut q = sqlx::QueryBuilder::new("select substr(h.region_path, 1, ");
        q.push_bind(len).push(") as path, count(*) from hazard h");
        push_filter(&mut q, scope, f, now, false);
        q.push(" group by substr(h.region_path, 1, ").push_bind(len).push(")");
        q.build_query_as().fetch_all(p).await
    })?)
}

/// An open report of the same place and category made since `since`: (id, reported, address).
pub async fn duplicate_candidate(
    db: &Db,
    region_path: &str,
    category: &str,
    since: OffsetDateTime,
) -> Result<Option<(i64, OffsetDateTime, String)>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "select id, created_at, address from hazard where region_path = $1 and category = $2 and created_at >= $3 \
         and closed_at is null order by id desc limit 1"
    )
    .bind(region_path)
    .bind(category)
    .bind(since)
    .fetch_optional(p)
    .await)?)
}

/// Public reports from one address (its keyed hash) since a time.
pub async fn public_reports_since(db: &Db, ip_hash: &str, since: OffsetDateTime) -> Result<i64> {
    Ok(on_db!(db, |p| sqlx::query_scalar(
        "select count(*) from hazard where reporter_ip_hash = $1 and created_at >= $2"
    )
    .bind(ip_hash)
    .bind(since)
    .fetch_one(p)
    .await)?)
}

/// A change of state to store.
#[derive(Clone, Debug)]
pub struct Change {
    /// From.
    pub from: State,
    /// To.
    pub to: State,
    /// The timeline entry.
    pub event: NewEvent,
    /// Assigned unit (assign).
    pub assigned_unit_id: Option<i64>,
    /// Referred department (refer).
    pub referred_unit_id: Option<i64>,
    /// Original (duplicate).
    pub duplicate_of: Option<i64>,
    /// Rectification due (assign, refer).
    pub rectify_due_on: Option<Date>,
}

/// Moves a hazard (fetched through the scope) from `change.from` to `change.to`, refusing when
/// someone moved it first; updates its deadline, resets its escalation, writes the timeline entry
/// and the counters, all in one transaction.
pub async fn transition(db: &Db, id: i64, change: &Change) -> Result<()> {
    let now = change.event.at;
    let mut tx = db.begin().await?;
    let (path, created_at, rectified_at, verify_due_at, rectify_due_on): (
        String,
        OffsetDateTime,
        Option<OffsetDateTime>,
        OffsetDateTime,
        Option<Date>,
    ) = on_tx!(&mut tx, |c| {
        // Take the row (and on SQLite the write lock) first, refusing if it moved meanwhile.
        let held = sqlx::query("update hazard set id = id where id = $1 and state = $2")
            .bind(id)
            .bind(change.from.as_str())
            .execute(&mut *c)
            .await?
            .rows_affected();
        if held == 0 {
            return Err(Error::Conflict("the hazard changed meanwhile; reload it".into()));
        }
        sqlx::query_as(
            "select region_path, created_at, rectified_at, verify_due_at, rectify_due_on from hazard where id = $1",
        )
        .bind(id)
        .fetch_one(&mut *c)
        .await?
    });
    let due_on = change.rectify_due_on.or(rectify_due_on);
    let due = super::due_in(change.to, now, verify_due_at, due_on);
    let new_rectified = match change.to {
        State::Rectified => Some(now),
        State::Closed => rectified_at,
        _ => None,
    };
    on_tx!(&mut tx, |c| {
        sqlx::query(
            "update hazard set state = $1, due_at = $2, escalation_level = 0, handling_path = responsible_path, \
             verified_at = case when $1 = 'verified' and verified_at is null then $3 else verified_at end, \
             answered_at = coalesce(answered_at, $3), rectified_at = $4, closed_at = $5, \
             assigned_unit_id = case when $1 = 'referred' then null else coalesce($6, assigned_unit_id) end, \
             referred_unit_id = case when $1 = 'assigned' then null else coalesce($7, referred_unit_id) end, \
             duplicate_of = coalesce($8, duplicate_of), rectify_due_on = coalesce($9, rectify_due_on) where id = $10",
        )
        .bind(change.to.as_str())
        .bind(due)
        .bind(now)
        .bind(new_rectified)
        .bind(change.to.is_closed().then_some(now))
        .bind(change.assigned_unit_id)
        .bind(change.referred_unit_id)
        .bind(change.duplicate_of)
        .bind(change.rectify_due_on)
        .bind(id)
        .execute(&mut *c)
        .await?;
    });
    insert_events(&mut tx, &[(id, &change.event)]).await?;
    let mut deltas = Deltas::default();
    deltas.state(&path, change.from, -1);
    deltas.state(&path, change.to, 1);
    match (change.from.is_rectified(), change.to.is_rectified()) {
        (false, true) => deltas.days(&path, days_between(created_at, now), 1),
        (true, false) => {
            if let Some(at) = rectified_at {
                deltas.days(&path, days_between(created_at, at), -1);
            }
        }
        _ => {}
    }
    deltas.apply(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

// ---- photos ----

/// A stored photo (without its bytes).
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct PhotoInfo {
    /// Id.
    pub id: i64,
    /// Hazard.
    pub hazard_id: i64,
    /// Width in pixels.
    pub width: i64,
    /// Height in pixels.
    pub height: i64,
}

/// Stores a cleaned photo of a hazard.
pub async fn insert_photo(db: &Db, hazard_id: i64, photo: &crate::photo::Photo, user_id: Option<i64>) -> Result<i64> {
    Ok(on_db!(db, |p| sqlx::query_scalar(
        "insert into hazard_photo (hazard_id, sha256, width, height, jpeg, uploaded_by, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7) returning id"
    )
    .bind(hazard_id)
    .bind(&photo.sha256)
    .bind(i64::from(photo.width))
    .bind(i64::from(photo.height))
    .bind(&photo.jpeg)
    .bind(user_id)
    .bind(crate::clock::now())
    .fetch_one(p)
    .await)?)
}

/// The photos of a hazard.
pub async fn photos(db: &Db, hazard_id: i64) -> Result<Vec<PhotoInfo>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "select id, hazard_id, width, height from hazard_photo where hazard_id = $1 order by id"
    )
    .bind(hazard_id)
    .fetch_all(p)
    .await)?)
}

/// The JPEG bytes of a photo of a hazard.
pub async fn photo_bytes(db: &Db, hazard_id: i64, photo_id: i64) -> Result<Vec<u8>> {
    on_db!(db, |p| sqlx::query_scalar("select jpeg from hazard_photo where id = $1 and hazard_id = $2")
        .bind(photo_id)
        .bind(hazard_id)
        .fetch_optional(p)
        .await)?
    .ok_or(Error::NotFound)
}

// ---- statistics ----

/// Counts per region path and state.
#[derive(Clone, Debug, FromRow, PartialEq, Eq, PartialOrd, Ord)]
pub struct StateCount {
    /// Region path.
    pub region_path: String,
    /// State.
    pub state: String,
    /// How many.
    pub n: i64,
}

/// Days from report to rectification, per region path: how many took how many days.
#[derive(Clone, Debug, FromRow, PartialEq, Eq, PartialOrd, Ord)]
pub struct DaysCount {
    /// Region path.
    pub region_path: String,
    /// Whole days.
    pub days: i64,
    /// How many.
    pub n: i64,
}

/// The counters of the region at `path` and its subdivisions (paths `child_len` long).
pub async fn counters(db: &Db, path: &str, child_len: i64) -> Result<(Vec<StateCount>, Vec<DaysCount>)> {
    let inner = Scope::under(path);
    let (low, high) = inner.bounds();
    Ok(on_db!(db, |p| {
        let counts = sqlx::query_as(
            "select region_path, state, n from hazard_count where region_path >= $1 and region_path < $2 \
             and (region_path = $1 or length(region_path) = $3) and n <> 0",
        )
        .bind(low)
        .bind(&high)
        .bind(child_len)
        .fetch_all(p)
        .await?;
        let days = sqlx::query_as(
            "select region_path, days, n from hazard_rectify_days where region_path >= $1 and region_path < $2 \
             and (region_path = $1 or length(region_path) = $3) and n <> 0",
        )
        .bind(low)
        .bind(&high)
        .bind(child_len)
        .fetch_all(p)
        .await?;
        Ok::<_, sqlx::Error>((counts, days))
    })?)
}

/// The same figures counted straight from the hazards: the bare SQL the counters replace (the
/// bench's yardstick, the check of the counters, and the figures below township level).
pub async fn counters_from_hazards(db: &Db, path: &str, child_len: i64) -> Result<(Vec<StateCount>, Vec<DaysCount>)> {
    let inner = Scope::under(path);
    let (low, high) = inner.bounds();
    let counts_sql = "select $2 as region_path, state, count(*) as n from hazard where region_path >= $2 and region_path < $3 \
         group by state union all select substr(region_path, 1, cast($1 as integer)), state, count(*) from hazard \
         where region_path >= $2 and region_path < $3 and length(region_path) >= $1 and length(region_path) > length($2) \
         group by substr(region_path, 1, cast($1 as integer)), state";
    Ok(match db {
        Db::Sqlite(p) => {
            let days = "cast(julianday(rectified_at) - julianday(created_at) as integer)";
            let days_sql = format!(
                "select $2 as region_path, {days} as days, count(*) as n from hazard where region_path >= $2 \
                 and region_path < $3 and state in ('rectified', 'closed') group by {days} union all \
                 select substr(region_path, 1, $1), {days}, count(*) from hazard where region_path >= $2 \
                 and region_path < $3 and length(region_path) >= $1 and length(region_path) > length($2) \
                 and state in ('rectified', 'closed') group by substr(region_path, 1, $1), {days}"
            );
            let counts = sqlx::query_as(counts_sql).bind(child_len).bind(low).bind(&high).fetch_all(p).await?;
            let days = sqlx::query_as(sqlx::AssertSqlSafe(days_sql))
                .bind(child_len)
                .bind(low)
                .bind(&high)
                .fetch_all(p)
                .await?;
            (counts, days)
        }
        Db::Postgres(p) => {
            let days = "cast(floor(extract(epoch from rectified_at - created_at) / 86400) as bigint)";
            let days_sql = format!(
                "select $2 as region_path, {days} as days, count(*) as n from hazard where region_path >= $2 \
                 and region_path < $3 and state in ('rectified', 'closed') group by {days} union all \
                 select substr(region_path, 1, cast($1 as integer)), {days}, count(*) from hazard where region_path >= $2 \
                 and region_path < $3 and length(region_path) >= $1 and length(region_path) > length($2) \
                 and state in ('rectified', 'closed') group by substr(region_path, 1, cast($1 as integer)), {days}"
            );
            let counts = sqlx::query_as(counts_sql).bind(child_len).bind(low).bind(&high).fetch_all(p).await?;
            let days = sqlx::query_as(sqlx::AssertSqlSafe(days_sql))
                .bind(child_len)
                .bind(low)
                .bind(&high)
                .fetch_all(p)
                .await?;
            (counts, days)
        }
    })
}

/// Open hazards past their deadline at `now` under the region at `path`, per subdivision
/// (paths `child_len` long) and for the region itself.
pub async fn overdue_counts(db: &Db, path: &str, child_len: i64, now: OffsetDateTime) -> Result<Vec<(String, i64)>> {
    let inner = Scope::under(path);
    let (low, high) = inner.bounds();
    Ok(on_db!(db, |p| sqlx::query_as(
        "select substr(region_path, 1, cast($1 as integer)) as path, count(*) from hazard where closed_at is null \
         and due_at < $4 and region_path >= $2 and region_path < $3 and length(region_path) >= $1 \
         and length(region_path) > length($2) group by substr(region_path, 1, cast($1 as integer)) \
         union all select $2, count(*) from hazard where closed_at is null and due_at < $4 and region_path >= $2 \
         and region_path < $3"
    )
    .bind(child_len)
    .bind(low)
    .bind(&high)
    .bind(now)
    .fetch_all(p)
    .await)?)
}

/// Every counter row, and the same recounted from the hazards, for the province (tests and checks).
pub async fn all_counters(db: &Db) -> Result<(Vec<StateCount>, Vec<StateCount>)> {
    Ok(on_db!(db, |p| {
        let kept =
            sqlx::query_as("select region_path, state, n from hazard_count where n <> 0 order by region_path, state")
                .fetch_all(p)
                .await?;
        let mut recount = Vec::new();
        for len in [4_i64, 9, 16, 26] {
            let rows: Vec<StateCount> = sqlx::query_as(
                "select substr(region_path, 1, cast($1 as integer)) as region_path, state, count(*) as n from hazard \
                 where length(region_path) >= $1 group by substr(region_path, 1, cast($1 as integer)), state",
            )
            .bind(len)
            .fetch_all(p)
            .await?;
            recount.extend(rows);
        }
        recount.sort();
        Ok::<_, sqlx::Error>((kept, recount))
    })?)
}

// ---- deadlines ----

/// An open hazard past its deadline whose escalation may rise.
#[derive(Clone, Debug, FromRow)]
pub struct Overdue {
    /// Id.
    pub id: i64,
    /// State.
    pub state: String,
    /// Deadline.
    pub due_at: OffsetDateTime,
    /// Level now.
    pub escalation_level: i64,
    /// Responsible unit's path.
    pub responsible_path: String,
}

/// Open hazards past their deadline at `now` not yet escalated to the corps (the partial index of
/// open hazards answers it).
pub async fn overdue(db: &Db, now: OffsetDateTime, limit: i64) -> Result<Vec<Overdue>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "select id, state, due_at, escalation_level, responsible_path from hazard where closed_at is null \
         and due_at < $1 and escalation_level < 2 order by due_at limit $2"
    )
    .bind(now)
    .bind(limit)
    .fetch_all(p)
    .await)?)
}

/// Raises the escalation of hazards to new levels (id, state, level), each with its timeline
/// entries, in one transaction; a hazard that moved meanwhile is left alone.
pub async fn escalate(db: &Db, raised: &[(i64, State, i64, String)], events: &[(i64, NewEvent)]) -> Result<u64> {
    let mut tx = db.begin().await?;
    let mut done = 0;
    on_tx!(&mut tx, |c| {
        for (id, state, level, handling) in raised {
            done += sqlx::query(
                "update hazard set escalation_level = $1, handling_path = $2 where id = $3 and state = $4 \
                 and escalation_level < $1 and closed_at is null",
            )
            .bind(level)
            .bind(handling)
            .bind(id)
            .bind(state.as_str())
            .execute(&mut *c)
            .await?
            .rows_affected();
        }
    });
    let refs: Vec<(i64, &NewEvent)> = events.iter().map(|(id, e)| (*id, e)).collect();
    insert_events(&mut tx, &refs).await?;
    tx.commit().await?;
    Ok(done)
}

// ---- campaign figures ----

/// Hazards found (reported, not rejected or duplicate) and rectified between two instants, for
/// the region at `path` and each direct subdivision: (path, metric code, value), like the media
/// register's totals.
pub async fn register_totals(
    db: &Db,
    path: &str,
    child_len: i64,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Result<Vec<crate::activity::store::Total>> {
    let inner = Scope::under(path);
    let (low, high) = inner.bounds();
    Ok(on_db!(db, |p| sqlx::query_as(
        "select $2 as region_path, 'hazards_found' as metric_code, count(*) as value from hazard \
         where created_at >= $4 and created_at < $5 and region_path >= $2 and region_path < $3 \
         and state not in ('rejected', 'duplicate') having count(*) > 0 \
         union all \
         select substr(region_path, 1, cast($1 as integer)), 'hazards_found', count(*) from hazard \
         where created_at >= $4 and created_at < $5 and region_path >= $2 and region_path < $3 \
         and state not in ('rejected', 'duplicate') and length(region_path) >= $1 and length(region_path) > length($2) \
         group by substr(region_path, 1, cast($1 as integer)) \
         union all \
         select $2, 'hazards_rectified', count(*) from hazard \
         where rectified_at >= $4 and rectified_at < $5 and region_path >= $2 and region_path < $3 \
         and state in ('rectified', 'closed') having count(*) > 0 \
         union all \
         select substr(region_path, 1, cast($1 as integer)), 'hazards_rectified', count(*) from hazard \
         where rectified_at >= $4 and rectified_at < $5 and region_path >= $2 and region_path < $3 \
         and state in ('rectified', 'closed') and length(region_path) >= $1 and length(region_path) > length($2) \
         group by substr(region_path, 1, cast($1 as integer))"
    )
    .bind(child_len)
    .bind(low)
    .bind(&high)
    .bind(from)
    .bind(to)
    .fetch_all(p)
    .await)?)
}

/// Refreshes the planner's statistics after a bulk load; on `Db::Postgres` also the visibility
/// map, so that the lists and counts are answered from the indexes alone.
pub async fn analyze(db: &Db) -> Result<()> {
    match db {
        Db::Sqlite(p) => sqlx::query("analyze").execute(p).await.map(|_| ())?,
        Db::Postgres(p) => sqlx::query("vacuum analyze hazard, hazard_count, hazard_rectify_days, hazard_event")
            .execute(p)
            .await
            .map(|_| ())?,
    }
    Ok(())
}

/// How many hazards the demo has loaded (0 before it runs).
pub async fn hazard_count_total(db: &Db) -> Result<i64> {
    Ok(on_db!(db, |p| sqlx::query_scalar("select count(*) from hazard").fetch_one(p).await)?)
}
