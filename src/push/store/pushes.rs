//! Pushes down the hierarchy: the push, its sign-off nodes level by level, signing, forwarding, confirming, recall and escalation.

use serde::Serialize;
use sqlx::FromRow;
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::db::{Db, Tx};
use crate::org::Scope;
use crate::push::{NodeState, ProductKind, PushState};
use crate::{Error, Result, on_db, on_tx};

/// A new push.
#[derive(Clone, Debug)]
pub struct NewPush {
    pub(crate) product_id: i64,
    /// Sending unit.
    pub origin_unit_id: i64,
    /// Its region path.
    pub origin_path: String,
    /// Target regions: (code, path), none inside another.
    pub targets: Vec<(String, String)>,
    /// Stored audience tags.
    pub audiences: String,
    /// Stored place tags.
    pub places: String,
    /// Stored direct channels.
    pub channels: String,
    /// Note to the units below.
    pub note: String,
    /// When it goes out.
    pub scheduled_at: OffsetDateTime,
    /// Hours per level.
    pub sign_hours: String,
    /// Where the push stands.
    pub state: PushState,
    /// The caller's idempotency key.
    pub idempotency_key: String,
    pub(crate) created_by: i64,
    pub(crate) created_at: OffsetDateTime,
    /// When its fan-out was done (set only for pushes stored as sent long ago: the demo's).
    pub(crate) fanned_out_at: Option<OffsetDateTime>,
}

/// A push as listed, with its sign-off progress.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Push {
    pub(crate) id: i64,
    pub(crate) product_id: i64,
    /// Its kind.
    pub kind: ProductKind,
    /// Its title.
    pub title: String,
    /// Sending unit's name.
    pub origin: String,
    /// Its region path.
    pub origin_path: String,
    /// Target region codes, comma-separated.
    pub targets: String,
    /// Audience tags.
    pub audiences: String,
    /// Place tags.
    pub places: String,
    /// Direct channels.
    pub channels: String,
    pub(crate) note: String,
    /// When it goes out.
    #[schema(value_type = String)]
    pub scheduled_at: OffsetDateTime,
    /// Hours per level, `24,48,72`.
    pub sign_hours: String,
    /// `scheduled`, `active` or `recalled`.
    pub state: PushState,
    /// When it was sent.
    #[schema(value_type = String)]
    pub created_at: OffsetDateTime,
    /// When its direct deliveries were made.
    #[schema(value_type = Option<String>)]
    pub fanned_out_at: Option<OffsetDateTime>,
    /// Direct deliveries made.
    pub direct_count: i64,
    /// Deliveries claimed again after a worker stopped mid-send (possible SMS duplicates).
    pub resent_count: i64,
    /// When it was recalled.
    #[schema(value_type = Option<String>)]
    pub recalled_at: Option<OffsetDateTime>,
    pub(crate) recall_reason: String,
    /// Units reached.
    pub nodes: i64,
    /// Units that signed (or went further).
    pub signed: i64,
    /// Units that forwarded or confirmed.
    pub done: i64,
    /// Units past their deadline.
    pub overdue: i64,
}

fn push_select(now_bind: &str) -> String {
    format!(
        "select p.id, p.product_id, pr.kind, pr.title, u.name as origin, p.origin_path, p.targets, p.audiences, \
         p.places, p.channels, p.note, p.scheduled_at, p.sign_hours, p.state, p.created_at, p.fanned_out_at, \
         p.direct_count, p.resent_count, p.recalled_at, p.recall_reason, \
         (select count(*) from push_node n where n.push_id = p.id) as nodes, \
         (select count(*) from push_node n where n.push_id = p.id and n.state in ('signed', 'forwarded', 'confirmed')) as signed, \
         (select count(*) from push_node n where n.push_id = p.id and n.state in ('forwarded', 'confirmed')) as done, \
         (select count(*) from push_node n where n.push_id = p.id and n.state in ('pending', 'signed') and n.due_at < {now_bind}) as overdue \
         from push p join push_product pr on pr.id = p.product_id join unit u on u.id = p.origin_unit_id"
    )
}

/// Stores pushes with their targets, in order: their ids reserved at once, then one multi-row
/// insert per table and chunk. A push whose idempotency key is used already (before, or earlier
/// in `pushes`) is not stored: its entry is the earlier push's id and false.
pub async fn insert_pushes(tx: &mut Tx, pushes: &[NewPush]) -> Result<Vec<(i64, bool)>> {
    let first = tx.reserve_ids("push", pushes.len()).await?;
    let rows: Vec<(i64, &NewPush)> = (first..).zip(pushes).collect();
    let mut made = std::collections::HashSet::new();
    on_tx!(tx, |c| {
        for chunk in rows.chunks(crate::db::CHUNK_ROWS) {
            let mut q = sqlx::QueryBuilder::new(
                "insert into push (id, product_id, origin_unit_id, origin_path, targets, audiences, places, channels, \
                 note, scheduled_at, sign_hours, state, idempotency_key, created_by, created_at, fanned_out_at) ",
            );
            q.push_values(chunk, |mut b, (id, p)| {
                let codes: Vec<&str> = p.targets.iter().map(|(c, _)| c.as_str()).collect();
                b.push_bind(*id)
                    .push_bind(p.product_id)
                    .push_bind(p.origin_unit_id)
                    .push_bind(&p.origin_path)
                    .push_bind(codes.join(","))
                    .push_bind(&p.audiences)
                    .push_bind(&p.places)
                    .push_bind(&p.channels)
                    .push_bind(&p.note)
                    .push_bind(p.scheduled_at)
                    .push_bind(&p.sign_hours)
                    .push_bind(p.state)
                    .push_bind(&p.idempotency_key)
                    .push_bind(p.created_by)
                    .push_bind(p.created_at)
                    .push_bind(p.fanned_out_at);
            });
            q.push(" on conflict (idempotency_key) do nothing returning id");
            made.extend(q.build_query_scalar::<i64>().fetch_all(&mut *c).await?);
        }
        let targets: Vec<(i64, &(String, String))> = rows
            .iter()
            .filter(|(id, _)| made.contains(id))
            .flat_map(|(id, p)| p.targets.iter().map(|t| (*id, t)))
            .collect();
        crate::db::insert_chunked(&mut *c, &targets, crate::db::CHUNK_ROWS, |chunk| {
            let mut q = sqlx::QueryBuilder::new("insert into push_target (push_id, region_code, region_path) ");
            q.push_values(chunk, |mut b, (id, (code, path))| {
                b.push_bind(*id).push_bind(code).push_bind(path);
            });
            q
        })
        .await?;
        Ok::<(), sqlx::Error>(())
    })?;
    let mut done = Vec::with_capacity(rows.len());
    for (id, p) in rows {
        if made.contains(&id) {
            done.push((id, true));
        } else {
            let earlier: i64 = on_tx!(tx, |c| sqlx::query_scalar("select id from push where idempotency_key = $1")
                .bind(&p.idempotency_key)
                .fetch_one(c)
                .await)?;
            done.push((earlier, false));
        }
    }
    Ok(done)
}

/// Stores one push and its targets (see [`insert_pushes`]).
pub async fn insert_push(tx: &mut Tx, p: &NewPush) -> Result<(i64, bool)> {
    insert_pushes(tx, std::slice::from_ref(p)).await?.pop().ok_or(Error::NotFound)
}

/// Creates the nodes of `level` for a push: every region of that level inside `under` (a path)
/// that lies inside a target or holds one, each due `due_at`. One `insert … select`; returns how many.
pub async fn insert_nodes(
    tx: &mut Tx,
    push_id: i64,
    parent_id: Option<i64>,
    level: i64,
    under: &str,
    received_at: OffsetDateTime,
    due_at: OffsetDateTime,
) -> Result<u64> {
    let inner = Scope::under(under);
    let (low, high) = inner.bounds();
    let done = on_tx!(tx, |c| sqlx::query(
        "insert into push_node (push_id, parent_id, level, region_code, region_path, state, received_at, due_at) \
         select $1, $2, r.level, r.code, r.path, 'pending', $6, $7 from region r \
         where r.level = $3 and r.path >= $4 and r.path < $5 and exists (select 1 from push_target t \
         where t.push_id = $1 and (r.path like t.region_path || '%' or t.region_path like r.path || '%')) \
         on conflict (push_id, region_code) do nothing"
    )
    .bind(push_id)
    .bind(parent_id)
    .bind(level)
    .bind(low)
    .bind(&high)
    .bind(received_at)
    .bind(due_at)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(done)
}

/// A node with its whole history, for loading past pushes (the demo).
#[derive(Clone, Debug)]
pub struct NodeRow {
    /// Id (from [`Tx::reserve_ids`]).
    pub id: i64,
    pub(crate) push_id: i64,
    /// Parent node.
    pub parent_id: Option<i64>,
    pub(crate) level: i64,
    /// Region (code, path).
    pub region: (String, String),
    pub(crate) state: &'static str,
    /// Received, due, signed, forwarded or confirmed.
    pub times: [Option<OffsetDateTime>; 5],
    /// Ways and reach when confirmed.
    pub confirmed: Option<(String, i64)>,
}

/// Stores nodes with their history in chunked multi-row inserts.
pub async fn insert_node_rows(tx: &mut Tx, rows: &[NodeRow]) -> Result<()> {
    on_tx!(tx, |c| {
        crate::db::insert_chunked(c, rows, crate::db::CHUNK_ROWS / 2, |chunk| {
            let mut q = sqlx::QueryBuilder::new(
                "insert into push_node (id, push_id, parent_id, level, region_code, region_path, state, received_at, \
                 due_at, signed_at, forwarded_at, confirmed_at, ways, reach) ",
            );
            q.push_values(chunk, |mut b, n| {
                b.push_bind(n.id)
                    .push_bind(n.push_id)
                    .push_bind(n.parent_id)
                    .push_bind(n.level)
                    .push_bind(&n.region.0)
                    .push_bind(&n.region.1)
                    .push_bind(n.state)
                    .push_bind(n.times[0])
                    .push_bind(n.times[1])
                    .push_bind(n.times[2])
                    .push_bind(n.times[3])
                    .push_bind(n.times[4])
                    .push_bind(n.confirmed.as_ref().map_or("", |(w, _)| w.as_str()))
                    .push_bind(n.confirmed.as_ref().map(|(_, r)| *r));
            });
            q
        })
        .await
    })?;
    Ok(())
}

/// Regions of levels 1 and 2 (code, path, level, households), by path: the cities and counties.
pub async fn cities_and_counties(db: &Db) -> Result<Vec<(String, String, i64, Option<i64>)>> {
    Ok(on_db!(db, |pool| sqlx::query_as(
        "select code, path, cast(level as bigint), households from region where level in (1, 2) order by path"
    )
    .fetch_all(pool)
    .await)?)
}

/// Marks every `every`-th inbox delivery of a push read when it arrived plus `after` (the demo).
pub async fn mark_some_read(db: &Db, push_id: i64, every: i64, at: OffsetDateTime) -> Result<u64> {
    Ok(on_db!(db, |pool| {
        sqlx::query(
        "update delivery set state = 'read', read_at = $3 where push_id = $1 and channel = 'inbox' and recipient_id % $2 = 0"
    )
    .bind(push_id)
    .bind(every)
    .bind(at)
    .execute(pool)
    .await
    .map(|r| r.rows_affected())
    })?)
}

/// How many products the library holds.
pub async fn product_total(db: &Db) -> Result<i64> {
    Ok(on_db!(db, |pool| sqlx::query_scalar("select count(*) from push_product").fetch_one(pool).await)?)
}

/// Pushes sent from inside `scope` or reaching a unit inside it, newest first.
pub async fn pushes(db: &Db, scope: &Scope, now: OffsetDateTime, limit: i64, offset: i64) -> Result<Vec<Push>> {
    let (low, high) = scope.bounds();
    let sql = format!(
        "{} where (p.origin_path >= $2 and p.origin_path < $3) or exists (select 1 from push_target t \
         where t.push_id = p.id and (t.region_path like $2 || '%' or $2 like t.region_path || '%')) \
         order by p.id desc limit $4 offset $5",
        push_select("$1")
    );
    Ok(on_db!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(now)
        .bind(low)
        .bind(&high)
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await)?)
}

/// One push, when it was sent from inside `scope` or reaches it.
pub async fn push(db: &Db, scope: &Scope, id: i64, now: OffsetDateTime) -> Result<Push> {
    let (low, high) = scope.bounds();
    let sql = format!(
        "{} where p.id = $2 and ((p.origin_path >= $3 and p.origin_path < $4) or exists (select 1 from push_target t \
         where t.push_id = p.id and (t.region_path like $3 || '%' or $3 like t.region_path || '%')))",
        push_select("$1")
    );
    on_db!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(now)
        .bind(id)
        .bind(low)
        .bind(&high)
        .fetch_optional(pool)
        .await)?
    .ok_or(Error::NotFound)
}

/// The names of a push's target regions.
pub async fn target_names(db: &Db, push_id: i64) -> Result<Vec<String>> {
    Ok(on_db!(db, |pool| {
        sqlx::query_scalar(
        "select r.name from push_target t join region r on r.code = t.region_code where t.push_id = $1 order by t.region_path"
    )
    .bind(push_id)
    .fetch_all(pool)
    .await
    })?)
}

/// A unit's place in a push.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Node {
    pub(crate) id: i64,
    pub(crate) push_id: i64,
    /// The node above (none at the top).
    pub parent_id: Option<i64>,
    /// Region level: 1 city, 2 county, 4 community.
    pub level: i64,
    /// Region code.
    pub region_code: String,
    /// Region name.
    pub region_name: String,
    /// Region path.
    pub region_path: String,
    /// The unit working there, when it has an account.
    pub unit_name: Option<String>,
    /// See `push::NodeState`.
    pub state: NodeState,
    /// When it arrived.
    #[schema(value_type = String)]
    pub received_at: OffsetDateTime,
    /// Deadline to pass it on.
    #[schema(value_type = String)]
    pub due_at: OffsetDateTime,
    /// When signed.
    #[schema(value_type = Option<String>)]
    pub signed_at: Option<OffsetDateTime>,
    /// When forwarded.
    #[schema(value_type = Option<String>)]
    pub forwarded_at: Option<OffsetDateTime>,
    /// Local note given when forwarding.
    pub note: String,
    /// Variant chosen when forwarding (`zh`, `ko`).
    pub variant: String,
    /// When confirmed.
    #[schema(value_type = Option<String>)]
    pub confirmed_at: Option<OffsetDateTime>,
    /// Ways it was passed on, `,a,b,`.
    pub ways: String,
    /// Households reached.
    pub reach: Option<i64>,
    /// 0, or 1 (raised to the level above) or 2 (to the province) when overdue.
    pub escalation: i64,
    /// Households of the region (2020 census).
    pub households: Option<i64>,
}

const NODE: &str = "select n.id, n.push_id, n.parent_id, n.level, n.region_code, r.name as region_name, n.region_path, \
     (select min(u.name) from unit u where u.region_code = n.region_code \
      and u.kind in ('detachment', 'brigade', 'community_office')) as unit_name, \
     n.state, n.received_at, n.due_at, n.signed_at, n.forwarded_at, n.note, n.variant, n.confirmed_at, n.ways, n.reach, \
     n.escalation, r.households from push_node n join region r on r.code = n.region_code";

/// The nodes of a push inside `scope` down to `max_level`, optionally only the children of one node.
pub async fn nodes(db: &Db, scope: &Scope, push_id: i64, max_level: i64, parent: Option<i64>) -> Result<Vec<Node>> {
    let (low, high) = scope.bounds();
    let sql = format!(
        "{NODE} where n.push_id = $1 and n.region_path >= $2 and n.region_path < $3 and n.level <= $4 \
         and ($5 = 0 or n.parent_id = $5) order by n.region_path"
    );
    Ok(on_db!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(push_id)
        .bind(low)
        .bind(&high)
        .bind(max_level)
        .bind(parent.unwrap_or(0))
        .fetch_all(pool)
        .await)?)
}

/// One node, inside `scope`.
pub async fn node(db: &Db, scope: &Scope, id: i64) -> Result<Node> {
    let (low, high) = scope.bounds();
    let sql = format!("{NODE} where n.id = $1 and n.region_path >= $2 and n.region_path < $3");
    on_db!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(low)
        .bind(&high)
        .fetch_optional(pool)
        .await)?
    .ok_or(Error::NotFound)
}

/// States of the nodes below one node (or of a whole push when `parent` is none), per child
/// subtree: (child node id, state, count, overdue count) for the community level summary.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct StateCount {
    /// The node whose children these are.
    pub parent_id: Option<i64>,
    pub(crate) level: i64,
    pub(crate) state: NodeState,
    pub(crate) n: i64,
    /// Of them overdue.
    pub overdue: i64,
    /// Households reached (confirmed).
    pub reach: i64,
}

/// Node counts of a push inside `scope` by parent, level and state.
pub async fn node_counts(db: &Db, scope: &Scope, push_id: i64, now: OffsetDateTime) -> Result<Vec<StateCount>> {
    let (low, high) = scope.bounds();
    Ok(on_db!(db, |pool| sqlx::query_as(
        "select parent_id, level, state, count(*) as n, \
         sum(case when state in ('pending', 'signed') and due_at < $4 then 1 else 0 end) as overdue, \
         cast(coalesce(sum(reach), 0) as bigint) as reach \
         from push_node where push_id = $1 and region_path >= $2 and region_path < $3 \
         group by parent_id, level, state"
    )
    .bind(push_id)
    .bind(low)
    .bind(&high)
    .bind(now)
    .fetch_all(pool)
    .await)?)
}

/// A node on someone's list to sign, with its push.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Task {
    /// The node.
    pub node_id: i64,
    /// The push.
    pub push_id: i64,
    /// Product title.
    pub title: String,
    /// Product kind.
    pub kind: ProductKind,
    /// Node state.
    pub state: NodeState,
    pub(crate) level: i64,
    /// Deadline.
    #[schema(value_type = String)]
    pub due_at: OffsetDateTime,
    /// When it arrived.
    #[schema(value_type = String)]
    pub received_at: OffsetDateTime,
    /// The note from above (the parent's forwarding note, else the sender's).
    pub note: String,
    pub(crate) escalation: i64,
}

/// The nodes at a unit's own region that are waiting for it (pending or signed), oldest due first;
/// with `all`, also the ones it finished, newest first after.
pub async fn tasks(db: &Db, region_code: &str, all: bool, limit: i64) -> Result<Vec<Task>> {
    Ok(on_db!(db, |pool| sqlx::query_as(
        "select n.id as node_id, n.push_id, pr.title, pr.kind, n.state, n.level, n.due_at, n.received_at, \
         coalesce((select f.note from push_node f where f.id = n.parent_id), p.note) as note, n.escalation \
         from push_node n join push p on p.id = n.push_id join push_product pr on pr.id = p.product_id \
         where n.region_code = $1 and ($2 or n.state in ('pending', 'signed')) \
         order by case when n.state in ('pending', 'signed') then 0 else 1 end, \
         case when n.state in ('pending', 'signed') then n.due_at end, n.id desc limit $3"
    )
    .bind(region_code)
    .bind(all)
    .bind(limit)
    .fetch_all(pool)
    .await)?)
}

/// How many tasks wait at a region (pending or signed), and whether one is past its deadline.
pub async fn tasks_waiting(db: &Db, region_code: &str, now: OffsetDateTime) -> Result<(i64, bool)> {
    let (n, late): (i64, i64) = on_db!(db, |pool| sqlx::query_as(
        "select count(*), count(case when due_at < $2 then 1 end) from push_node \
         where region_code = $1 and state in ('pending', 'signed')"
    )
    .bind(region_code)
    .bind(now)
    .fetch_one(pool)
    .await)?;
    Ok((n, late > 0))
}

/// Signs a pending node; false when it was not pending.
pub async fn sign(db: &Db, id: i64, by: i64, at: OffsetDateTime) -> Result<bool> {
    let done = on_db!(db, |pool| sqlx::query(
        "update push_node set state = 'signed', signed_at = $3, signed_by = $2 where id = $1 and state = 'pending'"
    )
    .bind(id)
    .bind(by)
    .bind(at)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Marks a pending or signed node forwarded (signing it too); false when it was neither.
pub async fn mark_forwarded(
    tx: &mut Tx,
    id: i64,
    by: i64,
    at: OffsetDateTime,
    note: &str,
    variant: &str,
) -> Result<bool> {
    let done = on_tx!(tx, |c| sqlx::query(
        "update push_node set state = 'forwarded', signed_at = coalesce(signed_at, $3), \
         signed_by = coalesce(signed_by, $2), forwarded_at = $3, forwarded_by = $2, note = $4, variant = $5 \
         where id = $1 and state in ('pending', 'signed')"
    )
    .bind(id)
    .bind(by)
    .bind(at)
    .bind(note)
    .bind(variant)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Confirms how a node passed the product on and how many households it reached.
pub async fn confirm(db: &Db, id: i64, by: i64, at: OffsetDateTime, ways: &str, reach: i64) -> Result<bool> {
    let done = on_db!(db, |pool| sqlx::query(
        "update push_node set state = 'confirmed', signed_at = coalesce(signed_at, $3), \
         signed_by = coalesce(signed_by, $2), confirmed_at = $3, confirmed_by = $2, ways = $4, reach = $5 \
         where id = $1 and state in ('pending', 'signed')"
    )
    .bind(id)
    .bind(by)
    .bind(at)
    .bind(ways)
    .bind(reach)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Recalls a push: its open nodes stop and its undelivered direct sends are cancelled. Returns
/// (nodes stopped, deliveries cancelled), or `None` when it was already recalled.
pub async fn recall(db: &Db, id: i64, by: i64, at: OffsetDateTime, reason: &str) -> Result<Option<(u64, u64)>> {
    let mut tx = db.begin().await?;
    let done = on_tx!(&mut tx, |c| sqlx::query(
        "update push set state = 'recalled', recalled_at = $2, recalled_by = $3, recall_reason = $4 \
         where id = $1 and state <> 'recalled'"
    )
    .bind(id)
    .bind(at)
    .bind(by)
    .bind(reason)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    if done == 0 {
        return Ok(None);
    }
    let nodes = on_tx!(&mut tx, |c| sqlx::query(
        "update push_node set state = 'recalled' where push_id = $1 and state in ('pending', 'signed')"
    )
    .bind(id)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    let sends = on_tx!(&mut tx, |c| sqlx::query(
        "update delivery set state = 'cancelled', next_at = null where push_id = $1 and state = 'pending'"
    )
    .bind(id)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(Some((nodes, sends)))
}

/// Raises overdue nodes: to the level above once past their deadline, to the province a day
/// later. Returns (raised to the level above, raised to the province).
pub async fn escalate(db: &Db, now: OffsetDateTime) -> Result<(u64, u64)> {
    let first = on_db!(db, |pool| {
        sqlx::query(
        "update push_node set escalation = 1 where state in ('pending', 'signed') and due_at < $1 and escalation = 0"
    )
    .bind(now)
    .execute(pool)
    .await
    .map(|r| r.rows_affected())
    })?;
    let second = on_db!(db, |pool| {
        sqlx::query(
        "update push_node set escalation = 2 where state in ('pending', 'signed') and due_at < $1 and escalation = 1"
    )
    .bind(now - time::Duration::days(1))
    .execute(pool)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok((first, second))
}
