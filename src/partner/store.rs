//! Every SQL statement of partner keys: the register with each key's hash, scopes and last use.

use serde::Serialize;
use sqlx::FromRow;
use time::OffsetDateTime;

use crate::db::Db;
use crate::org::Scope;
use crate::{Error, Result, on_db, on_tx};

/// A partner's key (never the key itself).
#[derive(Clone, Debug, FromRow, Serialize)]
pub struct PartnerKey {
    /// Id.
    pub id: i64,
    /// The partner unit.
    pub unit_id: i64,
    /// Its name.
    pub unit_name: String,
    /// Its region's path: the area the key reads and reports in.
    pub unit_path: String,
    /// What the key is for, e.g. 美团App首页.
    pub name: String,
    /// Scopes, stored `,a,b,`.
    pub scopes: String,
    /// The key's last four characters, to tell keys apart.
    pub key_hint: String,
    /// When it was last used.
    pub used_at: Option<OffsetDateTime>,
    /// How often it was used.
    pub uses: i64,
    /// When it was revoked.
    pub revoked_at: Option<OffsetDateTime>,
    /// Who issued it (records it files are theirs to answer for).
    pub created_by: i64,
    /// When.
    pub created_at: OffsetDateTime,
}

const KEY_SELECT: &str = "select k.id, k.unit_id, u.name as unit_name, k.unit_path, k.name, k.scopes, k.key_hint, \
     k.used_at, k.uses, k.revoked_at, k.created_by, k.created_at from partner_key k join unit u on u.id = k.unit_id";

/// A key to store.
pub struct NewKey {
    /// The partner unit's id and region path.
    pub unit: (i64, String),
    /// What it is for.
    pub name: String,
    /// Scopes, stored `,a,b,`.
    pub scopes: String,
    /// The key's hash and its last four characters.
    pub key: (String, String),
    /// Who issues it.
    pub created_by: i64,
}

/// Stores a key; returns its id.
pub async fn insert(db: &Db, k: &NewKey, now: OffsetDateTime) -> Result<i64> {
    let mut tx = db.begin().await?;
    let id = on_tx!(&mut tx, |c| sqlx::query_scalar(
        "insert into partner_key (unit_id, unit_path, name, scopes, key_hash, key_hint, created_by, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8) returning id"
    )
    .bind(k.unit.0)
    .bind(&k.unit.1)
    .bind(&k.name)
    .bind(&k.scopes)
    .bind(&k.key.0)
    .bind(&k.key.1)
    .bind(k.created_by)
    .bind(now)
    .fetch_one(&mut *c)
    .await)?;
    tx.commit().await?;
    Ok(id)
}

/// Keys of partner units inside the scope, live ones first, the most recently used first.
pub async fn keys(db: &Db, scope: &Scope) -> Result<Vec<PartnerKey>> {
    let (low, high) = scope.bounds();
    let sql = format!(
        "{KEY_SELECT} where k.unit_path >= $1 and k.unit_path < $2 \
         order by k.revoked_at is not null, k.used_at is null, k.used_at desc, k.id desc"
    );
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(low).bind(&high).fetch_all(p).await)?)
}

/// One key of a partner unit inside the scope.
pub async fn key(db: &Db, scope: &Scope, id: i64) -> Result<PartnerKey> {
    let (low, high) = scope.bounds();
    let sql = format!("{KEY_SELECT} where k.unit_path >= $1 and k.unit_path < $2 and k.id = $3");
    on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(low).bind(&high).bind(id).fetch_optional(p).await)?
        .ok_or(Error::NotFound)
}

/// The live key with this hash, counting its use at `now`.
pub async fn use_key(db: &Db, key_hash: &str, now: OffsetDateTime) -> Result<PartnerKey> {
    let mut tx = db.begin().await?;
    let done = on_tx!(&mut tx, |c| sqlx::query(
        "update partner_key set used_at = $2, uses = uses + 1 where key_hash = $1 and revoked_at is null"
    )
    .bind(key_hash)
    .bind(now)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    if done == 0 {
        return Err(Error::NotFound);
    }
    let sql = format!("{KEY_SELECT} where k.key_hash = $1");
    let k = on_tx!(&mut tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(key_hash).fetch_one(&mut *c).await)?;
    tx.commit().await?;
    Ok(k)
}

/// Revokes a key.
pub async fn revoke(db: &Db, id: i64, now: OffsetDateTime) -> Result<()> {
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |c| sqlx::query("update partner_key set revoked_at = $2 where id = $1 and revoked_at is null")
        .bind(id)
        .bind(now)
        .execute(&mut *c)
        .await
        .map(|_| ()))?;
    tx.commit().await?;
    Ok(())
}
