//! Every SQL statement of the audit trail: insert and scoped, filtered reading. There is no update
//! or delete here, and the database refuses both.

use serde::Serialize;
use sqlx::FromRow;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::{Actor, Chained, Outcome};
use crate::db::Db;
use crate::org::Scope;
use crate::{Result, clock, on_db, on_tx};

/// One audit record.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Record {
    /// Record id (increasing).
    pub id: i64,
    /// When (UTC).
    #[schema(value_type = String)]
    pub at: OffsetDateTime,
    /// The acting user's id.
    pub actor_id: Option<i64>,
    /// The acting user's login name.
    pub actor: String,
    /// Client address.
    pub ip: String,
    /// What was done.
    pub action: String,
    /// The kind of object.
    pub object_kind: String,
    /// The object's id.
    pub object_id: String,
    /// `ok` or `denied`.
    pub outcome: String,
    pub(crate) detail: String,
}

/// Filters for reading the trail.
#[derive(Debug, Default)]
pub struct Filter {
    /// Action starts with.
    pub action: Option<String>,
    /// Actor login name.
    pub actor: Option<String>,
    /// Only this outcome.
    pub outcome: Option<Outcome>,
    /// At or after.
    pub from: Option<OffsetDateTime>,
    pub(crate) to: Option<OffsetDateTime>,
    /// Records older than this id (paging).
    pub before_id: Option<i64>,
}

/// Inserts one record.
pub async fn insert(
    db: &Db,
    who: &Actor,
    action: &str,
    object: (&str, &str),
    outcome: Outcome,
    detail: &str,
) -> Result<()> {
    // Kept to the microsecond, as both databases store it, so that the chain reads back alike.
    let now = clock::now();
    let at = now.replace_nanosecond(now.nanosecond() / 1_000 * 1_000).unwrap_or(now);
    let record = Chained {
        at_micros: micros(at),
        actor_id: who.user_id,
        actor: who.name.clone(),
        ip: who.ip.clone(),
        action: action.to_owned(),
        object_kind: object.0.to_owned(),
        object_id: object.1.to_owned(),
        outcome: outcome.as_str().to_owned(),
        detail: detail.to_owned(),
        region_path: who.region_path.clone(),
    };
    // One writer at a time extends the chain.
    let mut tx = db.begin().await?;
    tx.lock_key("audit-chain").await?;
    on_tx!(&mut tx, |c| {
        let previous: Option<String> =
            sqlx::query_scalar("select hash from audit_log order by id desc limit 1").fetch_optional(&mut *c).await?;
        sqlx::query(
            "insert into audit_log (at, actor_id, actor, ip, action, object_kind, object_id, outcome, detail, region_path, hash) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(at)
        .bind(record.actor_id)
        .bind(&record.actor)
        .bind(&record.ip)
        .bind(&record.action)
        .bind(&record.object_kind)
        .bind(&record.object_id)
        .bind(&record.outcome)
        .bind(&record.detail)
        .bind(&record.region_path)
        .bind(super::link(&previous.unwrap_or_default(), &record))
        .execute(&mut *c)
        .await?;
    });
    tx.commit().await?;
    Ok(())
}

/// Microseconds since 1970: a time as both databases keep it.
fn micros(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000).unwrap_or(0)
}

/// A record as the chain reads it: id, hash, time, actor id, then the texts in `Chained` order.
type ChainRow =
    (i64, String, OffsetDateTime, Option<i64>, String, String, String, String, String, String, String, String);

/// Records after `after` in id order with their hashes and what their links cover, `limit` at most.
pub(crate) async fn chain_page(db: &Db, after: i64, limit: i64) -> Result<Vec<(i64, String, Chained)>> {
    let rows: Vec<ChainRow> = on_db!(db, |p| sqlx::query_as(
        "select id, hash, at, actor_id, actor, ip, action, object_kind, object_id, outcome, detail, region_path \
             from audit_log where id > $1 order by id limit $2"
    )
    .bind(after)
    .bind(limit)
    .fetch_all(p)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|(id, hash, at, actor_id, actor, ip, action, object_kind, object_id, outcome, detail, region_path)| {
            let at_micros = micros(at);
            let record = Chained {
                at_micros,
                actor_id,
                actor,
                ip,
                action,
                object_kind,
                object_id,
                outcome,
                detail,
                region_path,
            };
            (id, hash, record)
        })
        .collect())
}

/// Records inside the scope, newest first.
pub async fn list(db: &Db, scope: &Scope, f: &Filter, limit: i64) -> Result<Vec<Record>> {
    let (low, high) = scope.bounds();
    Ok(on_db!(db, |p| {
        sqlx::query_as(
            "select id, at, actor_id, actor, ip, action, object_kind, object_id, outcome, detail from audit_log \
         where region_path >= $1 and region_path < $2 and ($3 is null or action like $3 || '%') \
         and ($4 is null or actor = $4) and ($5 is null or outcome = $5) and ($6 is null or at >= $6) \
         and ($7 is null or at < $7) and ($8 is null or id < $8) order by id desc limit $9",
        )
        .bind(low)
        .bind(&high)
        .bind(&f.action)
        .bind(&f.actor)
        .bind(f.outcome.map(Outcome::as_str))
        .bind(f.from)
        .bind(f.to)
        .bind(f.before_id)
        .bind(limit)
        .fetch_all(p)
        .await
    })?)
}
