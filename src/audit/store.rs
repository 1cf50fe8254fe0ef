//! Every SQL statement of the audit trail: insert and scoped, filtered reading. There is no update
//! or delete here, and the database refuses both.

use serde::Serialize;
use sqlx::FromRow;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::{Actor, Outcome};
use crate::db::Db;
use crate::org::Scope;
use crate::{Result, clock, on_db};

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
    on_db!(db, |p| {
        sqlx::query(
        "insert into audit_log (at, actor_id, actor, ip, action, object_kind, object_id, outcome, detail, region_path) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    )
    .bind(clock::now())
    .bind(who.user_id)
    .bind(&who.name)
    .bind(&who.ip)
    .bind(action)
    .bind(object.0)
    .bind(object.1)
    .bind(outcome.as_str())
    .bind(detail)
    .bind(&who.region_path)
    .execute(p)
    .await.map(|_| ())
    })?;
    Ok(())
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
