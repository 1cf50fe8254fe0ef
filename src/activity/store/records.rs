//! Activity records, their figures, review, and the running and daily totals approvals add to.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use crate::activity::State;
use crate::db::{CHUNK_ROWS, Db, Tx, column};
use crate::org::Scope;
use crate::{Error, Result, clock, on_db, on_tx};

/// An activity record.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Activity {
    pub(crate) id: i64,
    pub(crate) campaign_id: i64,
    /// The duty it answers.
    pub duty_id: Option<i64>,
    /// Kind (see `activity::KINDS`).
    pub kind: String,
    pub(crate) title: String,
    /// First day.
    #[schema(value_type = String, format = Date)]
    pub starts_on: Date,
    /// Last day.
    #[schema(value_type = String, format = Date)]
    pub ends_on: Date,
    /// Where it took place.
    pub region_code: String,
    /// That region's name.
    pub region_name: String,
    /// That region's path.
    pub region_path: String,
    /// Organising unit.
    pub organiser_unit_id: i64,
    /// Its name.
    pub organiser_name: String,
    /// Its kind.
    pub organiser_kind: String,
    /// Its region path.
    pub organiser_path: String,
    /// Co-organisers (departments, partners, schools), comma-separated.
    pub co_organisers: String,
    pub(crate) venue: String,
    /// What happened.
    pub description: String,
    /// Where it stands.
    pub state: State,
    /// Why it was returned.
    pub return_reason: String,
    /// Who wrote it.
    pub created_by: i64,
    /// When it was sent up.
    #[schema(value_type = Option<String>)]
    pub submitted_at: Option<OffsetDateTime>,
    /// When it was reviewed.
    #[schema(value_type = Option<String>)]
    pub reviewed_at: Option<OffsetDateTime>,
}

const ACTIVITY_SELECT: &str = "select a.id, a.campaign_id, a.duty_id, a.kind, a.title, a.starts_on, a.ends_on, a.region_code, \
     r.name as region_name, a.region_path, a.organiser_unit_id, u.name as organiser_name, u.kind as organiser_kind, \
     a.organiser_path, a.co_organisers, a.venue, a.description, a.state, a.return_reason, a.created_by, a.submitted_at, \
     a.reviewed_at from activity a join region r on r.code = a.region_code join unit u on u.id = a.organiser_unit_id";

/// Drafts are seen only by their organiser's unit (`$3`); everything else by the whole scope.
const ACTIVITY_VISIBLE: &str =
    "a.region_path >= $1 and a.region_path < $2 and (a.state <> 'draft' or a.organiser_unit_id = $3)";

/// One figure of a record.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Figure {
    pub(crate) activity_id: i64,
    pub(crate) metric_code: String,
    pub(crate) value: i64,
}

/// A record to store.
#[derive(Clone, Debug)]
pub struct NewActivity {
    pub(crate) campaign_id: i64,
    /// Duty answered.
    pub duty_id: Option<i64>,
    pub(crate) kind: String,
    pub(crate) title: String,
    /// First day.
    pub starts_on: Date,
    /// Last day.
    pub ends_on: Date,
    /// Place: region code and path.
    pub region: (String, String),
    /// Organiser: unit id and region path.
    pub organiser: (i64, String),
    /// Co-organisers.
    pub co_organisers: String,
    pub(crate) venue: String,
    pub(crate) description: String,
    /// Figures, checked.
    pub figures: Vec<(String, i64)>,
    /// Initial state (draft, or approved for reconstructed history).
    pub state: State,
    pub(crate) created_by: i64,
}

/// List filters.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub(crate) campaign_id: Option<i64>,
    /// Under this region path (inside the scope).
    pub under: Option<String>,
    pub(crate) kind: Option<String>,
    pub(crate) state: Option<State>,
    /// Taking place on or after.
    pub from: Option<Date>,
    /// Taking place on or before.
    pub to: Option<Date>,
    /// Title contains.
    pub q: Option<String>,
}

fn filter_sql() -> &'static str {
    "and ($4 is null or a.campaign_id = $4) and ($5 is null or a.region_path like $5 || '%') and ($6 is null or a.kind = $6) \
     and ($7 is null or a.state = $7) and ($8 is null or a.ends_on >= $8) and ($9 is null or a.starts_on <= $9) \
     and ($10 is null or a.title like '%' || $10 || '%')"
}

/// Records visible to a user of `unit_id` in `scope`, newest first.
pub async fn list(db: &Db, scope: &Scope, unit_id: i64, f: &Filter, limit: i64, offset: i64) -> Result<Vec<Activity>> {
    let (low, high) = scope.bounds();
    let sql = format!(
        "{ACTIVITY_SELECT} where {ACTIVITY_VISIBLE} {} order by a.starts_on desc, a.id desc limit $11 offset $12",
        filter_sql()
    );
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(low)
        .bind(&high)
        .bind(unit_id)
        .bind(f.campaign_id)
        .bind(&f.under)
        .bind(&f.kind)
        .bind(f.state.map(State::as_str))
        .bind(f.from)
        .bind(f.to)
        .bind(&f.q)
        .bind(limit)
        .bind(offset)
        .fetch_all(p)
        .await)?)
}

/// How many records the same filter finds.
pub async fn count(db: &Db, scope: &Scope, unit_id: i64, f: &Filter) -> Result<i64> {
    let (low, high) = scope.bounds();
    let sql = format!("select count(*) from activity a where {ACTIVITY_VISIBLE} {}", filter_sql());
    Ok(on_db!(db, |p| sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(low)
        .bind(&high)
        .bind(unit_id)
        .bind(f.campaign_id)
        .bind(&f.under)
        .bind(&f.kind)
        .bind(f.state.map(State::as_str))
        .bind(f.from)
        .bind(f.to)
        .bind(&f.q)
        .fetch_one(p)
        .await)?)
}

/// The figures of the records the same filter finds (for exports).
pub async fn list_figures(db: &Db, scope: &Scope, unit_id: i64, f: &Filter, limit: i64) -> Result<Vec<Figure>> {
    let (low, high) = scope.bounds();
    let sql = format!(
        "select f.activity_id, f.metric_code, f.value from activity_figure f where f.activity_id in \
         (select a.id from activity a where {ACTIVITY_VISIBLE} {} order by a.starts_on desc, a.id desc limit $11)",
        filter_sql()
    );
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(low)
        .bind(&high)
        .bind(unit_id)
        .bind(f.campaign_id)
        .bind(&f.under)
        .bind(&f.kind)
        .bind(f.state.map(State::as_str))
        .bind(f.from)
        .bind(f.to)
        .bind(&f.q)
        .bind(limit)
        .fetch_all(p)
        .await)?)
}

/// One record visible to a user of `unit_id` in `scope`.
pub async fn activity(db: &Db, scope: &Scope, unit_id: i64, id: i64) -> Result<Activity> {
    let (low, high) = scope.bounds();
    let sql = format!("{ACTIVITY_SELECT} where {ACTIVITY_VISIBLE} and a.id = $4");
    on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(low)
        .bind(&high)
        .bind(unit_id)
        .bind(id)
        .fetch_optional(p)
        .await)?
    .ok_or(Error::NotFound)
}

/// The figures of one record.
pub async fn figures(db: &Db, id: i64) -> Result<Vec<Figure>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "select activity_id, metric_code, value from activity_figure where activity_id = $1 order by metric_code"
    )
    .bind(id)
    .fetch_all(p)
    .await)?)
}

/// Submitted records in the scope awaiting someone other than their organiser, oldest first.
pub async fn submitted(db: &Db, scope: &Scope, not_unit: i64, limit: i64) -> Result<Vec<Activity>> {
    let (low, high) = scope.bounds();
    let sql = format!(
        "{ACTIVITY_SELECT} where a.organiser_path >= $1 and a.organiser_path < $2 and a.state = 'submitted' \
         and a.organiser_unit_id <> $3 order by a.submitted_at, a.id limit $4"
    );
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(low)
        .bind(&high)
        .bind(not_unit)
        .bind(limit)
        .fetch_all(p)
        .await)?)
}

/// How many of a unit's records were sent back to it and wait to be fixed.
pub async fn returned_to(db: &Db, unit_id: i64) -> Result<i64> {
    Ok(on_db!(db, |p| sqlx::query_scalar(
        "select count(*) from activity where organiser_unit_id = $1 and state = 'returned'"
    )
    .bind(unit_id)
    .fetch_one(p)
    .await)?)
}

/// The columns a new record fills, in the order both inserts bind them.
const ACTIVITY_COLUMNS: &str = "id, campaign_id, duty_id, kind, title, starts_on, ends_on, region_code, region_path, \
     organiser_unit_id, organiser_path, co_organisers, venue, description, state, created_by, created_at, submitted_at, \
     reviewed_at";

async fn insert_in(tx: &mut Tx, records: &[NewActivity]) -> Result<Vec<i64>> {
    let first = tx.reserve_ids("activity", records.len()).await?;
    let ids: Vec<i64> = (first..).take(records.len()).collect();
    let now = clock::now();
    let rows: Vec<(i64, &NewActivity)> = ids.iter().copied().zip(records).collect();
    let reviewed = |a: &NewActivity| (a.state == State::Approved).then_some(now);
    let submitted = |a: &NewActivity| (a.state != State::Draft).then_some(now);
    match tx {
        Tx::Sqlite(conn, _) => {
            crate::db::insert_chunked(&mut **conn, &rows, CHUNK_ROWS, |chunk| {
                let mut q = sqlx::QueryBuilder::new(format!("insert into activity ({ACTIVITY_COLUMNS}) "));
                q.push_values(chunk, |mut b, (id, a)| {
                    b.push_bind(*id)
                        .push_bind(a.campaign_id)
                        .push_bind(a.duty_id)
                        .push_bind(&a.kind)
                        .push_bind(&a.title)
                        .push_bind(a.starts_on)
                        .push_bind(a.ends_on)
                        .push_bind(&a.region.0)
                        .push_bind(&a.region.1)
                        .push_bind(a.organiser.0)
                        .push_bind(&a.organiser.1)
                        .push_bind(&a.co_organisers)
                        .push_bind(&a.venue)
                        .push_bind(&a.description)
                        .push_bind(a.state.as_str())
                        .push_bind(a.created_by)
                        .push_bind(now)
                        .push_bind(submitted(a))
                        .push_bind(reviewed(a));
                });
                q
            })
            .await?;
        }
        Tx::Postgres(conn) => {
            let sql = format!(
                "insert into activity ({ACTIVITY_COLUMNS}) select * from unnest($1::bigint[], $2::bigint[], \
                 $3::bigint[], $4::text[], $5::text[], $6::date[], $7::date[], $8::text[], $9::text[], $10::bigint[], \
                 $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::bigint[], $17::timestamptz[], \
                 $18::timestamptz[], $19::timestamptz[])"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&ids)
                .bind(column(records, |a| a.campaign_id))
                .bind(column(records, |a| a.duty_id))
                .bind(column(records, |a| a.kind.as_str()))
                .bind(column(records, |a| a.title.as_str()))
                .bind(column(records, |a| a.starts_on))
                .bind(column(records, |a| a.ends_on))
                .bind(column(records, |a| a.region.0.as_str()))
                .bind(column(records, |a| a.region.1.as_str()))
                .bind(column(records, |a| a.organiser.0))
                .bind(column(records, |a| a.organiser.1.as_str()))
                .bind(column(records, |a| a.co_organisers.as_str()))
                .bind(column(records, |a| a.venue.as_str()))
                .bind(column(records, |a| a.description.as_str()))
                .bind(column(records, |a| a.state.as_str()))
                .bind(column(records, |a| a.created_by))
                .bind(column(records, |_| now))
                .bind(column(records, submitted))
                .bind(column(records, reviewed))
                .execute(&mut **conn)
                .await?;
        }
    }
    let figures: Vec<(i64, &str, i64)> =
        rows.iter().flat_map(|(id, a)| a.figures.iter().map(move |(m, v)| (*id, m.as_str(), *v))).collect();
    insert_figures(tx, &figures).await?;
    Ok(ids)
}

/// Stores figures (record, metric, value): chunked multi-row inserts on `SQLite`, one statement of
/// column arrays on `PostgreSQL`.
async fn insert_figures(tx: &mut Tx, figures: &[(i64, &str, i64)]) -> Result<()> {
    match tx {
        Tx::Sqlite(conn, _) => {
            crate::db::insert_chunked(&mut **conn, figures, CHUNK_ROWS * 4, |chunk| {
                let mut q = sqlx::QueryBuilder::new("insert into activity_figure (activity_id, metric_code, value) ");
                q.push_values(chunk, |mut b, (id, m, v)| {
                    b.push_bind(*id).push_bind(*m).push_bind(*v);
                });
                q
            })
            .await?;
        }
        Tx::Postgres(conn) => {
            sqlx::query(
                "insert into activity_figure (activity_id, metric_code, value) \
                 select * from unnest($1::bigint[], $2::text[], $3::bigint[])",
            )
            .bind(column(figures, |f| f.0))
            .bind(column(figures, |f| f.1))
            .bind(column(figures, |f| f.2))
            .execute(&mut **conn)
            .await?;
        }
    }
    Ok(())
}

/// Stores one record with its figures.
pub async fn insert(db: &Db, record: &NewActivity) -> Result<i64> {
    let mut tx = db.begin().await?;
    let ids = insert_in(&mut tx, std::slice::from_ref(record)).await?;
    tx.commit().await?;
    ids.first().copied().ok_or_else(|| Error::Internal(anyhow::anyhow!("no id")))
}

/// Stores many records in one transaction of chunked multi-row inserts: all or nothing. Records
/// stored as approved are added to the totals of every campaign they touch.
pub async fn insert_many(db: &Db, records: &[NewActivity], progress: &(dyn Fn(usize) + Sync)) -> Result<Vec<i64>> {
    let mut tx = db.begin().await?;
    let mut ids = Vec::with_capacity(records.len());
    for chunk in records.chunks(CHUNK_ROWS * 10) {
        ids.extend(insert_in(&mut tx, chunk).await?);
        progress(ids.len());
    }
    let mut add = Increments::default();
    for r in records.iter().filter(|r| r.state == State::Approved) {
        for (metric, value) in &r.figures {
            add.add(r.campaign_id, &r.region.1, r.starts_on, r.duty_id, metric, *value);
        }
    }
    add.apply(&mut tx).await?;
    tx.commit().await?;
    Ok(ids)
}

/// Changes an editable record (its organiser has been checked) and replaces its figures.
pub async fn update(db: &Db, id: i64, record: &NewActivity) -> Result<()> {
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |c| {
        let done = sqlx::query(
            "update activity set duty_id = $1, kind = $2, title = $3, starts_on = $4, ends_on = $5, region_code = $6, \
             region_path = $7, co_organisers = $8, venue = $9, description = $10, campaign_id = $12 \
             where id = $11 and state in ('draft', 'returned')",
        )
        .bind(record.duty_id)
        .bind(&record.kind)
        .bind(&record.title)
        .bind(record.starts_on)
        .bind(record.ends_on)
        .bind(&record.region.0)
        .bind(&record.region.1)
        .bind(&record.co_organisers)
        .bind(&record.venue)
        .bind(&record.description)
        .bind(id)
        .bind(record.campaign_id)
        .execute(&mut *c)
        .await?
        .rows_affected();
        if done == 0 {
            return Err(Error::Conflict("error.record_not_editable".into()));
        }
        sqlx::query("delete from activity_figure where activity_id = $1").bind(id).execute(&mut *c).await?;
    });
    let figures: Vec<(i64, &str, i64)> = record.figures.iter().map(|(m, v)| (id, m.as_str(), *v)).collect();
    insert_figures(&mut tx, &figures).await?;
    tx.commit().await?;
    Ok(())
}

/// Moves a record from `from` to `to` (refusing when someone else moved it first). Approval adds
/// its figures to the totals of every region above its place and to its duty's progress.
pub async fn transition(db: &Db, id: i64, from: State, to: State, reviewer: Option<i64>, reason: &str) -> Result<()> {
    let mut tx = db.begin().await?;
    let now = clock::now();
    let mut moved_increments = None;
    on_tx!(&mut tx, |c| {
        let moved: Option<(i64, String, Option<i64>, Date)> = sqlx::query_as(
            "update activity set state = $1, return_reason = $2, \
             submitted_at = case when $1 = 'submitted' then $3 else submitted_at end, \
             reviewed_by = case when $1 = 'submitted' then reviewed_by else $4 end, \
             reviewed_at = case when $1 = 'submitted' then reviewed_at else $3 end \
             where id = $5 and state = $6 returning campaign_id, region_path, duty_id, starts_on",
        )
        .bind(to.as_str())
        .bind(reason)
        .bind(now)
        .bind(reviewer)
        .bind(id)
        .bind(from.as_str())
        .fetch_optional(&mut *c)
        .await?;
        let Some((campaign, path, duty, day)) = moved else {
            return Err(Error::Conflict("error.record_changed".into()));
        };
        if to == State::Approved {
            let figures: Vec<(String, i64)> =
                sqlx::query_as("select metric_code, value from activity_figure where activity_id = $1")
                    .bind(id)
                    .fetch_all(&mut *c)
                    .await?;
            let mut add = Increments::default();
            for (metric, value) in &figures {
                add.add(campaign, &path, day, duty, metric, *value);
            }
            moved_increments = Some(add);
        }
    });
    if let Some(add) = moved_increments {
        add.apply(&mut tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Approves every submitted record of a campaign at once (records imported from a trusted
/// source) and recomputes its totals; returns how many were approved.
pub async fn approve_all(db: &Db, campaign_id: i64, reviewer: i64) -> Result<u64> {
    let mut tx = db.begin().await?;
    let now = clock::now();
    let n = on_tx!(&mut tx, |c| {
        sqlx::query(
        "update activity set state = 'approved', reviewed_by = $1, reviewed_at = $2 where campaign_id = $3 and state = 'submitted'"
    )
    .bind(reviewer)
    .bind(now)
    .bind(campaign_id)
    .execute(&mut *c)
    .await?
    .rows_affected()
    });
    rebuild_totals_in(&mut tx, campaign_id).await?;
    tx.commit().await?;
    Ok(n)
}

/// Recomputes a campaign's totals, daily totals and duty progress from its approved
/// records, in one streaming pass.
async fn rebuild_totals_in(tx: &mut Tx, campaign_id: i64) -> Result<()> {
    use futures_util::TryStreamExt as _;
    let mut add = Increments::default();
    on_tx!(tx, |c| {
        sqlx::query("delete from figure_total where campaign_id = $1").bind(campaign_id).execute(&mut *c).await?;
        sqlx::query("delete from figure_daily where campaign_id = $1").bind(campaign_id).execute(&mut *c).await?;
        sqlx::query("delete from duty_progress where duty_id in (select id from duty where campaign_id = $1)")
            .bind(campaign_id)
            .execute(&mut *c)
            .await?;
        // One pass over the records, summed in memory.
        let mut rows = sqlx::query_as::<_, (String, Date, Option<i64>, String, i64)>(
            "select a.region_path, a.starts_on, a.duty_id, f.metric_code, f.value from activity a \
             join activity_figure f on f.activity_id = a.id where a.campaign_id = $1 and a.state = 'approved'",
        )
        .bind(campaign_id)
        .fetch(&mut *c);
        while let Some((path, day, duty, metric, value)) = rows.try_next().await? {
            add.add(campaign_id, &path, day, duty, &metric, value);
        }
    });
    add.apply(tx).await
}

/// The upserts that add to the totals.
const TOTAL: &str = "insert into figure_total (campaign_id, region_path, metric_code, value) ";
const DAILY: &str = "insert into figure_daily (campaign_id, region_path, day, metric_code, value) ";
const DUTY: &str = "insert into duty_progress (duty_id, metric_code, value) ";
const TOTAL_ADD: &str =
    " on conflict (campaign_id, region_path, metric_code) do update set value = figure_total.value + excluded.value";
const DAILY_ADD: &str = " on conflict (campaign_id, region_path, day, metric_code) do update set value = figure_daily.value + excluded.value";
const DUTY_ADD: &str = " on conflict (duty_id, metric_code) do update set value = duty_progress.value + excluded.value";

/// Amounts to add to the running totals (per region path, per day down to county level, per
/// duty), summed in memory and written in multi-row upserts. Paths and metrics are kept as numbers
/// while summing: a year of records adds millions of amounts to a few thousand names.
#[derive(Debug, Default)]
struct Increments {
    names: Names,
    /// The path added last with its ancestors' numbers (and whether each keeps daily totals): a
    /// record's figures come one after another.
    last: (String, Vec<(u32, bool)>),
    total: Sums<(i64, u32, u32)>,
    daily: Sums<(i64, u32, Date, u32)>,
    duty: Sums<(i64, u32)>,
}

/// Amounts per key of a few numbers, hashed by multiplying and rotating (as `rustc` hashes its
/// own tables): a year of records adds millions of amounts, and the standard hash, made to resist
/// keys chosen by an attacker, took 70–80 ms of every 100,000 figures' sums, this one 30–37.
/// The keys are numbers this module makes, never input.
type Sums<K> = HashMap<K, i64, std::hash::BuildHasherDefault<NumberHasher>>;

#[derive(Debug, Default)]
struct NumberHasher(u64);

impl NumberHasher {
    fn add(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl std::hash::Hasher for NumberHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.add(u64::from(*b));
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    fn write_i32(&mut self, n: i32) {
        self.add(u64::from(n.cast_unsigned()));
    }

    fn write_i64(&mut self, n: i64) {
        self.add(n.cast_unsigned());
    }
}

/// Paths and metric codes, each numbered once.
#[derive(Debug, Default)]
struct Names {
    numbers: HashMap<String, u32>,
    names: Vec<String>,
}

impl Names {
    fn number(&mut self, name: &str) -> u32 {
        if let Some(&n) = self.numbers.get(name) {
            return n;
        }
        let n = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(name.to_owned());
        self.numbers.insert(name.to_owned(), n);
        n
    }

    /// Each number's place among the names in byte order (the stored keys' order).
    fn ranks(&self) -> Vec<u32> {
        let mut order: Vec<u32> = (0..u32::try_from(self.names.len()).unwrap_or(u32::MAX)).collect();
        order.sort_unstable_by_key(|&n| &self.names[n as usize]);
        let mut rank = vec![0; order.len()];
        for (r, n) in (0..).zip(order) {
            rank[n as usize] = r;
        }
        rank
    }
}

impl Increments {
    /// Adds one figure of an approved record at `path` on `day`.
    fn add(&mut self, campaign: i64, path: &str, day: Date, duty: Option<i64>, metric: &str, value: i64) {
        if self.last.0 != path {
            let names = &mut self.names;
            self.last.1 =
                crate::org::path::ancestors(path).map(|p| (names.number(p), p.len() <= DAILY_MAX_PATH)).collect();
            path.clone_into(&mut self.last.0);
        }
        let metric = self.names.number(metric);
        for &(at, daily) in &self.last.1 {
            if daily {
                *self.daily.entry((campaign, at, day, metric)).or_default() += value;
            }
            *self.total.entry((campaign, at, metric)).or_default() += value;
        }
        if let Some(duty) = duty {
            *self.duty.entry((duty, metric)).or_default() += value;
        }
    }

    /// Adds the amounts to the stored totals, in key order (each index is then written front to
    /// back instead of at random places).
    async fn apply(self, tx: &mut Tx) -> Result<()> {
        if self.total.is_empty() && self.duty.is_empty() {
            return Ok(());
        }
        let rank = self.names.ranks();
        let name = |n: u32| self.names.names[n as usize].as_str();
        let mut total: Vec<_> = self.total.into_iter().collect();
        total.sort_unstable_by_key(|&((c, p, m), _)| (c, rank[p as usize], rank[m as usize]));
        let total: Vec<_> = total.into_iter().map(|((c, p, m), v)| ((c, name(p), name(m)), v)).collect();
        let mut daily: Vec<_> = self.daily.into_iter().collect();
        daily.sort_unstable_by_key(|&((c, p, d, m), _)| (c, rank[p as usize], d, rank[m as usize]));
        let daily: Vec<_> = daily.into_iter().map(|((c, p, d, m), v)| ((c, name(p), d, name(m)), v)).collect();
        let mut duty: Vec<_> = self.duty.into_iter().collect();
        duty.sort_unstable_by_key(|&((d, m), _)| (d, rank[m as usize]));
        let duty: Vec<_> = duty.into_iter().map(|((d, m), v)| ((d, name(m)), v)).collect();
        match tx {
            Tx::Sqlite(conn, _) => {
                crate::db::insert_chunked(&mut **conn, &total, CHUNK_ROWS, |chunk| {
                    let mut q = sqlx::QueryBuilder::new(TOTAL);
                    q.push_values(chunk, |mut b, ((campaign, path, metric), value)| {
                        b.push_bind(*campaign).push_bind(*path).push_bind(*metric).push_bind(*value);
                    });
                    q.push(TOTAL_ADD);
                    q
                })
                .await?;
                crate::db::insert_chunked(&mut **conn, &daily, CHUNK_ROWS, |chunk| {
                    let mut q = sqlx::QueryBuilder::new(DAILY);
                    q.push_values(chunk, |mut b, ((campaign, path, day, metric), value)| {
                        b.push_bind(*campaign).push_bind(*path).push_bind(*day).push_bind(*metric).push_bind(*value);
                    });
                    q.push(DAILY_ADD);
                    q
                })
                .await?;
                crate::db::insert_chunked(&mut **conn, &duty, CHUNK_ROWS, |chunk| {
                    let mut q = sqlx::QueryBuilder::new(DUTY);
                    q.push_values(chunk, |mut b, ((duty, metric), value)| {
                        b.push_bind(*duty).push_bind(*metric).push_bind(*value);
                    });
                    q.push(DUTY_ADD);
                    q
                })
                .await?;
            }
            Tx::Postgres(conn) => {
                let sql = format!(
                    "{TOTAL} select * from unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[]){TOTAL_ADD}"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(column(&total, |t| t.0.0))
                    .bind(column(&total, |t| t.0.1))
                    .bind(column(&total, |t| t.0.2))
                    .bind(column(&total, |t| t.1))
                    .execute(&mut **conn)
                    .await?;
                let sql = format!(
                    "{DAILY} select * from unnest($1::bigint[], $2::text[], $3::date[], $4::text[], $5::bigint[]){DAILY_ADD}"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(column(&daily, |d| d.0.0))
                    .bind(column(&daily, |d| d.0.1))
                    .bind(column(&daily, |d| d.0.2))
                    .bind(column(&daily, |d| d.0.3))
                    .bind(column(&daily, |d| d.1))
                    .execute(&mut **conn)
                    .await?;
                let sql = format!("{DUTY} select * from unnest($1::bigint[], $2::text[], $3::bigint[]){DUTY_ADD}");
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(column(&duty, |d| d.0.0))
                    .bind(column(&duty, |d| d.0.1))
                    .bind(column(&duty, |d| d.1))
                    .execute(&mut **conn)
                    .await?;
            }
        }
        Ok(())
    }
}

/// An approved record as the written report tells it (read from a JSON array of its fields on
/// `SQLite`).
#[derive(Clone, Debug, FromRow, Deserialize)]
pub struct ToldRecord {
    /// Record id.
    pub id: i64,
    /// Kind (see `activity::KINDS`).
    pub kind: String,
    /// Title.
    pub title: String,
    /// First day.
    pub starts_on: Date,
    /// Where it took place.
    pub region_path: String,
    /// Organiser's name.
    pub organiser_name: String,
    /// Organiser's kind of unit.
    pub organiser_kind: crate::org::UnitKind,
    /// Organiser's region.
    pub organiser_path: String,
    /// Units it was held with.
    pub co_organisers: String,
    /// Venue.
    pub venue: String,
    /// What was done.
    pub description: String,
    /// Leaders who took part (its figure `leaders`, 0 without one).
    pub leaders: i64,
}

/// The approved records of a campaign in the region at `path`, by day.
pub async fn told_records(db: &Db, campaign_id: i64, path: &str) -> Result<Vec<ToldRecord>> {
    let inner = Scope::under(path);
    let (low, high) = inner.bounds();
    // A year's 100,000 records on SQLite: 1.8 s row by row through the driver, about 0.5 s as one
    // array.
    let mut records: Vec<ToldRecord> = crate::fetch_rows!(db, TOLD_COLUMNS, TOLD, campaign_id, low, &high);
    records.sort_unstable_by_key(|r| (r.starts_on, r.id));
    Ok(records)
}

/// The columns of a [`ToldRecord`], in the order of its fields.
const TOLD_COLUMNS: &str = "id, kind, title, starts_on, region_path, organiser_name, organiser_kind, organiser_path, \
                            co_organisers, venue, description, leaders";

/// A campaign's approved records in a region: binds $1 campaign, $2 and $3 the region's bounds.
const TOLD: &str = "select a.id, a.kind, a.title, a.starts_on, a.region_path, u.name as organiser_name, \
     u.kind as organiser_kind, a.organiser_path, a.co_organisers, a.venue, a.description, \
     coalesce((select l.value from activity_figure l where l.activity_id = a.id and l.metric_code = 'leaders'), 0) as leaders \
     from activity a join unit u on u.id = a.organiser_unit_id \
     where a.campaign_id = $1 and a.state = 'approved' and a.region_path >= $2 and a.region_path < $3";

/// Whether record `id` is an approved record of a campaign in the region at `path` (one the
/// written report tells from).
pub async fn approved_in(db: &Db, campaign_id: i64, path: &str, id: i64) -> Result<bool> {
    let inner = Scope::under(path);
    let (low, high) = inner.bounds();
    let n: i64 = on_db!(db, |p| {
        sqlx::query_scalar(
            "select count(*) from activity where id = $1 and campaign_id = $2 and state = 'approved' \
             and region_path >= $3 and region_path < $4",
        )
        .bind(id)
        .bind(campaign_id)
        .bind(low)
        .bind(&high)
        .fetch_one(p)
        .await
    })?;
    Ok(n > 0)
}

/// The figures of records `ids`.
pub async fn figures_of(db: &Db, ids: &[i64]) -> Result<Vec<Figure>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(crate::db::CHUNK_ROWS) {
        let rows: Vec<Figure> = on_db!(db, |p| {
            let mut q = sqlx::QueryBuilder::new(
                "select activity_id, metric_code, value from activity_figure where activity_id",
            );
            crate::db::push_in(&mut q, chunk.iter().copied());
            q.build_query_as().fetch_all(p).await
        })?;
        out.extend(rows);
    }
    Ok(out)
}

/// Daily totals are kept for paths this long or shorter: the province, prefecture-level regions
/// and counties. Below that the trend is summed from the records.
pub const DAILY_MAX_PATH: usize = 16;

/// One day's approved total of a metric.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct DayTotal {
    /// The day.
    #[schema(value_type = String, format = Date)]
    pub day: Date,
    pub(crate) metric_code: String,
    /// Sum of the records starting that day.
    pub value: i64,
}

/// Approved totals per day and metric for the region at `path`, summed from the records (the
/// yardstick of `firecast bench dashboard`).
pub async fn daily_from_records(db: &Db, campaign_id: i64, path: &str) -> Result<Vec<DayTotal>> {
    let inner = Scope::under(path);
    let (low, high) = inner.bounds();
    Ok(on_db!(db, |p| sqlx::query_as(
        "select a.starts_on as day, f.metric_code, cast(sum(f.value) as bigint) as value from activity a \
         join activity_figure f on f.activity_id = a.id where a.campaign_id = $1 and a.state = 'approved' \
         and a.region_path >= $2 and a.region_path < $3 group by a.starts_on, f.metric_code order by a.starts_on"
    )
    .bind(campaign_id)
    .bind(low)
    .bind(&high)
    .fetch_all(p)
    .await)?)
}

/// Approved totals per day and metric for the region at `path`.
pub async fn daily(db: &Db, campaign_id: i64, path: &str) -> Result<Vec<DayTotal>> {
    if path.len() <= DAILY_MAX_PATH {
        return Ok(on_db!(db, |p| sqlx::query_as(
            "select day, metric_code, value from figure_daily where campaign_id = $1 and region_path = $2 order by day"
        )
        .bind(campaign_id)
        .bind(path)
        .fetch_all(p)
        .await)?);
    }
    daily_from_records(db, campaign_id, path).await
}

/// A total for one region (path) and metric.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Total {
    /// Region path.
    pub region_path: String,
    /// Metric.
    pub metric_code: String,
    /// Sum.
    pub value: i64,
}

/// Approved-figure totals of a campaign for the region at `path` and each of its direct
/// subdivisions (whose paths are `child_len` long).
pub async fn totals(db: &Db, campaign_id: i64, path: &str, child_len: i64) -> Result<Vec<Total>> {
    let inner = Scope::under(path);
    let (low, high) = inner.bounds();
    Ok(on_db!(db, |p| sqlx::query_as(
        "select region_path, metric_code, value from figure_total where campaign_id = $1 and region_path >= $2 \
         and region_path < $3 and (region_path = $2 or length(region_path) = $4)"
    )
    .bind(campaign_id)
    .bind(low)
    .bind(&high)
    .bind(child_len)
    .fetch_all(p)
    .await)?)
}

/// The same totals computed straight from the records (the yardstick of `firecast bench`, and a
/// check that the running totals are right).
pub async fn totals_from_records(db: &Db, campaign_id: i64, path: &str, child_len: i64) -> Result<Vec<Total>> {
    let inner = Scope::under(path);
    let (low, high) = inner.bounds();
    Ok(on_db!(db, |p| {
        sqlx::query_as(
        "select substr(a.region_path, 1, cast($4 as integer)) as region_path, f.metric_code, cast(sum(f.value) as bigint) as value \
         from activity a join activity_figure f on f.activity_id = a.id \
         where a.campaign_id = $1 and a.state = 'approved' and a.region_path >= $2 and a.region_path < $3 \
         and length(a.region_path) >= $4 group by substr(a.region_path, 1, cast($4 as integer)), f.metric_code \
         union all \
         select $2, f.metric_code, cast(sum(f.value) as bigint) from activity a join activity_figure f on f.activity_id = a.id \
         where a.campaign_id = $1 and a.state = 'approved' and a.region_path >= $2 and a.region_path < $3 group by f.metric_code"
    )
    .bind(campaign_id)
    .bind(low)
    .bind(&high)
    .bind(child_len)
    .fetch_all(p)
    .await
    })?)
}

/// How many rows of daily totals and of running totals a campaign has (what storing its records
/// wrote beside them; `firecast bench` copies as many to measure what bounds storing).
pub async fn total_rows(db: &Db, campaign_id: i64) -> Result<(i64, i64)> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "select (select count(*) from figure_daily where campaign_id = $1), \
                (select count(*) from figure_total where campaign_id = $1)"
    )
    .bind(campaign_id)
    .fetch_one(p)
    .await)?)
}

/// Register totals (news stories by level counted once per story, and airings) for the region at
/// `path` and each direct subdivision: (path, metric code, value).
pub async fn register_totals(db: &Db, campaign_id: i64, path: &str, child_len: i64) -> Result<Vec<Total>> {
    let inner = Scope::under(path);
    let (low, high) = inner.bounds();
    Ok(on_db!(db, |p| {
        sqlx::query_as(
        "select $2 as region_path, 'news_' || level as metric_code, count(distinct story_key) as value from news_item \
         where campaign_id = $1 and region_path >= $2 and region_path < $3 group by level \
         union all \
         select substr(region_path, 1, cast($4 as integer)), 'news_' || level, count(distinct story_key) from news_item \
         where campaign_id = $1 and region_path >= $2 and region_path < $3 and length(region_path) >= $4 \
         and length(region_path) > length($2) group by substr(region_path, 1, cast($4 as integer)), level \
         union all \
         select $2, 'airings', cast(sum(aired_count) as bigint) from airing \
         where campaign_id = $1 and region_path >= $2 and region_path < $3 having count(*) > 0 \
         union all \
         select substr(region_path, 1, cast($4 as integer)), 'airings', cast(sum(aired_count) as bigint) from airing \
         where campaign_id = $1 and region_path >= $2 and region_path < $3 and length(region_path) >= $4 \
         and length(region_path) > length($2) group by substr(region_path, 1, cast($4 as integer))"
    )
    .bind(campaign_id)
    .bind(low)
    .bind(&high)
    .bind(child_len)
    .fetch_all(p)
    .await
    })?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn increments_sum_up_the_tree_and_rank_names_in_key_order() {
        let day = Date::from_ordinal_date(2024, 300).unwrap();
        let mut add = Increments::default();
        add.add(1, "/22/2201/220102/", day, Some(5), "handouts", 10);
        add.add(1, "/22/2201/220102/", day, None, "posters", 3);
        add.add(1, "/22/2224/222401/", day, Some(5), "handouts", 7);
        let name = |n: u32| add.names.names[n as usize].as_str();
        let total = |path: &str, metric: &str| {
            add.total.iter().find(|((_, p, m), _)| name(*p) == path && name(*m) == metric).map(|(_, v)| *v)
        };
        assert_eq!(total("/22/", "handouts"), Some(17));
        assert_eq!(total("/22/2201/", "handouts"), Some(10));
        assert_eq!(total("/22/2224/222401/", "handouts"), Some(7));
        assert_eq!(total("/22/", "posters"), Some(3));
        assert_eq!(add.duty.values().sum::<i64>(), 17);
        // Daily totals down to the county, shared where the paths meet: handouts at the province,
        // two cities and two counties, posters at one of each.
        assert_eq!(add.daily.len(), 5 + 3);
        let mut ranked: Vec<(u32, &str)> =
            add.names.ranks().into_iter().zip(add.names.names.iter().map(String::as_str)).collect();
        ranked.sort_unstable();
        let by_rank: Vec<&str> = ranked.into_iter().map(|(_, n)| n).collect();
        let mut sorted = by_rank.clone();
        sorted.sort_unstable();
        assert_eq!(by_rank, sorted);
    }
}
