//! Hazard reports: the category catalogue, inserting reports with their counters, one report and its timeline.

use std::collections::BTreeMap;

use serde::Serialize;
use sqlx::FromRow;
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use crate::db::{CHUNK_ROWS, Db, Tx, column};
use crate::hazard::{ReporterKind, State, counted_paths, days_between};
use crate::org::Scope;
use crate::{Error, Result, on_db, on_tx};

/// A category of the catalogue.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Category {
    pub(crate) code: String,
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
    pub(crate) id: i64,
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
    pub(crate) address: String,
    pub(crate) latitude: Option<f64>,
    pub(crate) longitude: Option<f64>,
    /// What was found.
    pub description: String,
    /// State (see `hazard::State`).
    pub state: State,
    /// `volunteer`, `grid_worker`, `resident` or `staff`.
    pub reporter_kind: ReporterKind,
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
    /// Whether it is open and past its deadline at `now`.
    pub fn overdue(&self, now: OffsetDateTime) -> bool {
        self.closed_at.is_none() && self.due_at.is_some_and(|d| d < now)
    }

    /// Where escalation has taken it: the corps when the province's unit handles it, else the
    /// detachment (a `hazard_escalated` value).
    pub fn escalated_to(&self) -> &'static str {
        if self.handling_path == crate::org::Scope::province().path() { "corps" } else { "detachment" }
    }
}

pub(super) const HAZARD_SELECT: &str = "select h.id, h.tracking_code, h.category, c.name as category_name, h.region_code, \
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
#[schema(as = HazardEvent)]
pub struct Event {
    pub(crate) id: i64,
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
    pub from_state: Option<State>,
    /// State after.
    pub to_state: State,
    pub(crate) note: String,
    /// Whether the reporter sees the note.
    pub public: bool,
}

/// A timeline entry to store.
#[derive(Clone, Debug)]
pub struct NewEvent {
    pub(crate) at: OffsetDateTime,
    pub(crate) actor_user_id: Option<i64>,
    /// Their name.
    pub actor_name: String,
    pub(crate) action: String,
    pub(crate) from_state: Option<State>,
    pub(crate) to_state: State,
    pub(crate) note: String,
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
    pub(crate) address: String,
    /// (latitude, longitude).
    pub coordinates: Option<(f64, f64)>,
    /// What was found.
    pub description: String,
    pub(crate) state: State,
    /// Reporter kind.
    pub reporter_kind: crate::hazard::ReporterKind,
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
    pub(crate) verify_due_at: OffsetDateTime,
    /// Answer due.
    pub answer_due_at: OffsetDateTime,
    /// Rectification due.
    pub rectify_due_on: Option<Date>,
    /// Current deadline.
    pub due_at: Option<OffsetDateTime>,
    /// Escalation level.
    pub escalation_level: i64,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) verified_at: Option<OffsetDateTime>,
    pub(crate) answered_at: Option<OffsetDateTime>,
    pub(crate) rectified_at: Option<OffsetDateTime>,
    pub(crate) closed_at: Option<OffsetDateTime>,
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
/// Counter changes, kept in order: every writer updates the counter rows in the same order, so
/// concurrent writers wait for each other instead of deadlocking (`PostgreSQL`).
pub(super) struct Deltas {
    count: BTreeMap<(String, &'static str), i64>,
    days: BTreeMap<(String, i64), i64>,
}

impl Deltas {
    pub(super) fn state(&mut self, path: &str, state: State, n: i64) {
        for p in counted_paths(path) {
            *self.count.entry((p, state.as_str())).or_default() += n;
        }
    }

    pub(super) fn days(&mut self, path: &str, days: i64, n: i64) {
        for p in counted_paths(path) {
            *self.days.entry((p, days)).or_default() += n;
        }
    }

    pub(super) async fn apply(self, tx: &mut Tx) -> Result<()> {
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

pub(super) async fn insert_events(tx: &mut Tx, events: &[(i64, &NewEvent)]) -> Result<()> {
    on_tx!(tx, |c| {
        crate::db::insert_chunked(c, events, CHUNK_ROWS, |chunk| {
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
            q
        })
        .await
    })?;
    Ok(())
}

/// Hazards per `SQLite` query of single-row inserts.
const PER_ROW_CHUNK: usize = 50;

/// The columns a new hazard fills, in the order both inserts bind them.
const HAZARD_COLUMNS: &str = "id, tracking_code, category, region_code, region_path, address, latitude, longitude, \
     description, state, reporter_kind, reporter_user_id, reporter_name, reporter_phone_sealed, reporter_phone_index, \
     reporter_phone_masked, reporter_ip_hash, responsible_unit_id, responsible_path, handling_path, assigned_unit_id, \
     referred_unit_id, duplicate_of, verify_due_at, answer_due_at, rectify_due_on, due_at, escalation_level, \
     created_at, verified_at, answered_at, rectified_at, closed_at";

async fn insert_in(tx: &mut Tx, hazards: &[NewHazard], deltas: &mut Deltas) -> Result<Vec<i64>> {
    let first = tx.reserve_ids("hazard", hazards.len()).await?;
    let ids: Vec<i64> = (first..).take(hazards.len()).collect();
    let rows: Vec<(i64, &NewHazard)> = ids.iter().copied().zip(hazards).collect();
    match tx {
        Tx::Sqlite(conn, _) => {
            let prefix = format!("insert into hazard ({HAZARD_COLUMNS}) ");
            crate::db::insert_chunked(&mut **conn, &rows, PER_ROW_CHUNK, |chunk| {
                crate::db::row_by_row(&prefix, chunk, |mut b, (id, h)| {
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
                        .push_bind(crate::hazard::handling_path(&h.responsible.1, h.escalation_level))
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
                })
            })
            .await?;
        }
        // One statement of a column array each: planned once, and no statement of thousands of
        // parameters to build and parse.
        Tx::Postgres(conn) => {
            let sql = format!(
                "insert into hazard ({HAZARD_COLUMNS}) select * from unnest($1::bigint[], $2::text[], $3::text[], \
                 $4::text[], $5::text[], $6::text[], $7::float8[], $8::float8[], $9::text[], $10::text[], $11::text[], \
                 $12::bigint[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::bigint[], \
                 $19::text[], $20::text[], $21::bigint[], $22::bigint[], $23::bigint[], $24::timestamptz[], \
                 $25::timestamptz[], $26::date[], $27::timestamptz[], $28::bigint[], $29::timestamptz[], \
                 $30::timestamptz[], $31::timestamptz[], $32::timestamptz[], $33::timestamptz[])"
            );
            // The sealed phone's parts: (sealed, index, masked).
            let phone =
                |part: fn(&(String, String, String)) -> &str| column(hazards, move |h| h.phone.as_ref().map(part));
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(ids.clone())
                .bind(column(hazards, |h| h.tracking_code.as_str()))
                .bind(column(hazards, |h| h.category.as_str()))
                .bind(column(hazards, |h| h.region.0.as_str()))
                .bind(column(hazards, |h| h.region.1.as_str()))
                .bind(column(hazards, |h| h.address.as_str()))
                .bind(column(hazards, |h| h.coordinates.map(|c| c.0)))
                .bind(column(hazards, |h| h.coordinates.map(|c| c.1)))
                .bind(column(hazards, |h| h.description.as_str()))
                .bind(column(hazards, |h| h.state.as_str()))
                .bind(column(hazards, |h| h.reporter_kind.as_str()))
                .bind(column(hazards, |h| h.reporter_user_id))
                .bind(column(hazards, |h| h.reporter_name.as_str()))
                .bind(phone(|p| &p.0))
                .bind(phone(|p| &p.1))
                .bind(phone(|p| &p.2))
                .bind(column(hazards, |h| h.ip_hash.as_deref()))
                .bind(column(hazards, |h| h.responsible.0))
                .bind(column(hazards, |h| h.responsible.1.as_str()))
                .bind(column(hazards, |h| crate::hazard::handling_path(&h.responsible.1, h.escalation_level)))
                .bind(column(hazards, |h| h.assigned_unit_id))
                .bind(column(hazards, |h| h.referred_unit_id))
                .bind(column(hazards, |h| h.duplicate_of))
                .bind(column(hazards, |h| h.verify_due_at))
                .bind(column(hazards, |h| h.answer_due_at))
                .bind(column(hazards, |h| h.rectify_due_on))
                .bind(column(hazards, |h| h.due_at))
                .bind(column(hazards, |h| h.escalation_level))
                .bind(column(hazards, |h| h.created_at))
                .bind(column(hazards, |h| h.verified_at))
                .bind(column(hazards, |h| h.answered_at))
                .bind(column(hazards, |h| h.rectified_at))
                .bind(column(hazards, |h| h.closed_at))
                .execute(&mut **conn)
                .await?;
        }
    }
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

/// Stores one hazard. A public report (one with the sender's address hash) is stored only while
/// that address has sent fewer than `most` reports since `since`, counted under a lock on the
/// address: simultaneous reports cannot beat the limit. `None` when the limit is reached.
pub async fn insert(db: &Db, hazard: &NewHazard, since: OffsetDateTime, most: i64) -> Result<Option<i64>> {
    let mut tx = db.begin().await?;
    if let Some(ip) = &hazard.ip_hash {
        // A public report: its address, and its phone number wherever it reports from, each
        // have `most` reports since `since`, counted under a lock.
        let number = hazard.phone.as_ref().map(|(_, index, _)| index);
        tx.lock_key(&format!("hazard-ip:{ip}")).await?;
        if let Some(index) = number {
            tx.lock_key(&format!("hazard-phone:{index}")).await?;
        }
        let sent: (i64, i64) = on_tx!(&mut tx, |c| sqlx::query_as(
            "select (select count(*) from hazard where reporter_ip_hash = $1 and created_at >= $2), \
                    (select count(*) from hazard where reporter_phone_index = $3 and created_at >= $2)"
        )
        .bind(ip)
        .bind(since)
        .bind(number)
        .fetch_one(&mut *c)
        .await?);
        if sent.0 >= most || sent.1 >= most {
            return Ok(None);
        }
    }
    let mut deltas = Deltas::default();
    let ids = insert_in(&mut tx, std::slice::from_ref(hazard), &mut deltas).await?;
    deltas.apply(&mut tx).await?;
    tx.commit().await?;
    Ok(ids.first().copied())
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
