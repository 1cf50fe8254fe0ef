//! The running counters per region and state, and the rectification-days histogram.

use sqlx::FromRow;
use time::OffsetDateTime;

use crate::db::Db;
use crate::hazard::State;
use crate::org::Scope;
use crate::{Result, on_db};

/// Counts per region path and state.
#[derive(Clone, Debug, FromRow, PartialEq, Eq, PartialOrd, Ord)]
pub struct StateCount {
    /// Region path.
    pub region_path: String,
    pub(crate) state: State,
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
        Db::Sqlite(p, _) => {
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
        let mut kept: Vec<StateCount> =
            sqlx::query_as("select region_path, state, n from hazard_count where n <> 0").fetch_all(p).await?;
        kept.sort();
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
