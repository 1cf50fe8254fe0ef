//! The figures campaigns count, and planner statistics.

use time::OffsetDateTime;

use crate::db::Db;
use crate::org::Scope;
use crate::{Result, on_db};

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
    Ok(db.analyze(&["hazard", "hazard_count", "hazard_rectify_days", "hazard_event"]).await?)
}

/// How many hazards the demo has loaded (0 before it runs).
pub async fn hazard_count_total(db: &Db) -> Result<i64> {
    Ok(on_db!(db, |p| sqlx::query_scalar("select count(*) from hazard").fetch_one(p).await)?)
}
