//! Figures: deliveries by region and channel, totals, read rates and the campaign's products pushed.

use serde::Serialize;
use sqlx::FromRow;
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::db::Db;
use crate::org::Scope;
use crate::push::{Channel, DeliveryState};
use crate::{Result, on_db};

/// Deliveries of a push by region, channel and state.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct DeliveryCount {
    /// The region (a direct subdivision of the one asked for), by path.
    pub region_path: String,
    pub(crate) channel: Channel,
    /// State.
    pub state: DeliveryState,
    /// Deliveries.
    pub n: i64,
    /// Of them to Korean readers.
    pub ko: i64,
}

/// A push's household deliveries inside `scope`, by subdivision (paths cut to `child_len`),
/// channel and state; partner webhooks are listed under the scope's own path. An archived push's
/// figures come from its tally.
pub async fn delivery_counts(db: &Db, scope: &Scope, push_id: i64, child_len: i64) -> Result<Vec<DeliveryCount>> {
    let (low, high) = scope.bounds();
    Ok(on_db!(db, |pool| sqlx::query_as(
        "select region_path, channel, state, cast(sum(n) as bigint) as n, cast(sum(ko) as bigint) as ko from ( \
         select substr(s.region_path, 1, cast($4 as integer)) as region_path, d.channel, d.state, count(*) as n, \
         sum(case when d.lang = 'ko' then 1 else 0 end) as ko \
         from delivery d join subscriber s on s.id = d.recipient_id \
         where d.push_id = $1 and d.channel <> 'webhook' and s.region_path >= $2 and s.region_path < $3 \
         group by substr(s.region_path, 1, cast($4 as integer)), d.channel, d.state \
         union all \
         select substr(region_path, 1, cast($4 as integer)), channel, state, n, ko from delivery_tally \
         where push_id = $1 and channel <> 'webhook' and region_path >= $2 and region_path < $3 \
         union all \
         select $2, channel, state, count(*), 0 from delivery where push_id = $1 and channel = 'webhook' \
         group by channel, state \
         union all \
         select $2, channel, state, n, 0 from delivery_tally where push_id = $1 and channel = 'webhook') c \
         group by region_path, channel, state order by 1, 2, 3"
    )
    .bind(push_id)
    .bind(low)
    .bind(&high)
    .bind(child_len)
    .fetch_all(pool)
    .await)?)
}

/// The push figures of a region subtree: pushes and products reaching it, direct deliveries, its
/// units and how many passed the product on or are overdue, and the households they reached.
#[derive(Clone, Debug, Default, FromRow, Serialize, ToSchema)]
pub struct Totals {
    pub(crate) pushes: i64,
    /// Distinct products pushed.
    pub products: i64,
    /// Direct deliveries.
    pub direct: i64,
    /// Units reached.
    pub nodes: i64,
    /// Units that passed it on (forwarded or confirmed).
    pub passed_on: i64,
    /// Units overdue now.
    pub overdue: i64,
    /// Households reached as confirmed by the units, summed over pushes (household contacts).
    pub reach: i64,
}

/// The push totals of a region subtree for the pushes sent between two instants.
pub async fn totals(
    db: &Db,
    scope: &Scope,
    now: OffsetDateTime,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Result<Totals> {
    let (low, high) = scope.bounds();
    Ok(on_db!(db, |pool| {
        sqlx::query_as(
            "with w as (select id, product_id, direct_count, origin_path from push \
             where created_at >= $4 and created_at < $5 and state <> 'recalled'), \
             n as (select push_id, state, due_at, reach from push_node \
             where region_path >= $1 and region_path < $2 and push_id in (select id from w)) \
             select (select count(distinct push_id) from n) as pushes, \
             (select count(distinct w.product_id) from w where w.id in (select push_id from n)) as products, \
             (select cast(coalesce(sum(direct_count), 0) as bigint) from w where origin_path >= $1 and origin_path < $2) as direct, \
             (select count(*) from n) as nodes, \
             (select count(*) from n where state in ('forwarded', 'confirmed')) as passed_on, \
             (select count(*) from n where state in ('pending', 'signed') and due_at < $3) as overdue, \
             (select cast(coalesce(sum(reach), 0) as bigint) from n) as reach",
        )
        .bind(low)
        .bind(&high)
        .bind(now)
        .bind(from)
        .bind(to)
        .fetch_one(pool)
        .await
    })?)
}

/// Inbox deliveries and reads of pushes sent in a time window inside a subtree (archived ones
/// from their tally): (delivered, read).
pub async fn read_rate(db: &Db, scope: &Scope, from: OffsetDateTime, to: OffsetDateTime) -> Result<(i64, i64)> {
    let (low, high) = scope.bounds();
    Ok(on_db!(db, |pool| sqlx::query_as(
        "select cast(sum(n) as bigint), cast(sum(r) as bigint) from ( \
         select count(*) as n, count(d.read_at) as r from delivery d join subscriber s on s.id = d.recipient_id \
         where d.push_id in (select id from push where fanned_out_at >= $3 and fanned_out_at < $4) \
         and d.channel = 'inbox' and s.region_path >= $1 and s.region_path < $2 \
         union all \
         select coalesce(sum(n), 0), coalesce(sum(read), 0) from delivery_tally \
         where push_id in (select id from push where fanned_out_at >= $3 and fanned_out_at < $4) \
         and channel = 'inbox' and region_path >= $1 and region_path < $2) c"
    )
    .bind(low)
    .bind(&high)
    .bind(from)
    .bind(to)
    .fetch_one(pool)
    .await)?)
}

/// Distinct products pushed to the region at `path` and each direct subdivision between two
/// instants, like the other registers' totals (the campaign's "products pushed").
pub async fn register_totals(
    db: &Db,
    path: &str,
    child_len: i64,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Result<Vec<crate::activity::store::Total>> {
    let inner = Scope::under(path);
    let (low, high) = inner.bounds();
    Ok(on_db!(db, |p| {
        sqlx::query_as(
        "select $2 as region_path, 'products_pushed' as metric_code, count(distinct p.product_id) as value \
         from push p where p.created_at >= $4 and p.created_at < $5 and p.state <> 'recalled' and exists \
         (select 1 from push_target t where t.push_id = p.id and (t.region_path like $2 || '%' or $2 like t.region_path || '%')) \
         having count(distinct p.product_id) > 0 \
         union all \
         select substr(n.region_path, 1, cast($1 as integer)), 'products_pushed', count(distinct p.product_id) \
         from push_node n join push p on p.id = n.push_id where p.created_at >= $4 and p.created_at < $5 \
         and p.state <> 'recalled' and n.region_path >= $2 and n.region_path < $3 \
         and length(n.region_path) = $1 group by substr(n.region_path, 1, cast($1 as integer))"
    )
    .bind(child_len)
    .bind(low)
    .bind(&high)
    .bind(from)
    .bind(to)
    .fetch_all(p)
    .await
    })?)
}

/// Of the pushes `ids`: their deliveries delivered (or read), and the possible resends counted on
/// them.
pub async fn delivered_and_resent(db: &Db, ids: &[i64]) -> Result<(i64, i64)> {
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
    let list = if list.is_empty() { "null".to_owned() } else { list };
    let sql = format!(
        "select (select count(*) from delivery where push_id in ({list}) and state in ('delivered', 'read')), \
         (select cast(coalesce(sum(resent_count), 0) as bigint) from push where id in ({list}))"
    );
    Ok(on_db!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).fetch_one(pool).await)?)
}
