//! Partner platforms' webhook endpoints.

use serde::Serialize;
use sqlx::FromRow;
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::db::Db;
use crate::error::ResultExt as _;
use crate::org::Scope;
use crate::{Result, on_db};

/// A partner platform receiving pushes by webhook.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Endpoint {
    pub(crate) id: i64,
    pub(crate) name: String,
    /// Where to post.
    pub url: String,
    /// Region served.
    pub region_path: String,
    /// Whether it receives.
    pub active: bool,
}

/// Stores a partner endpoint with its signing secret.
pub async fn insert_endpoint(
    db: &Db,
    name: &str,
    url: &str,
    secret: &str,
    region_path: &str,
    at: OffsetDateTime,
) -> Result<i64> {
    on_db!(db, |pool| {
        sqlx::query_scalar(
        "insert into partner_endpoint (name, url, secret, region_path, created_at) values ($1, $2, $3, $4, $5) returning id"
    )
    .bind(name)
    .bind(url)
    .bind(secret)
    .bind(region_path)
    .bind(at)
    .fetch_one(pool)
    .await
    })
    .on_constraint("partner_endpoint(name)", "error.endpoint_name_taken")
}

/// Partner endpoints inside `scope`.
pub async fn endpoints(db: &Db, scope: &Scope) -> Result<Vec<Endpoint>> {
    let (low, high) = scope.bounds();
    Ok(on_db!(db, |pool| sqlx::query_as(
        "select id, name, url, region_path, active from partner_endpoint where region_path >= $1 and region_path < $2 \
         or $1 like region_path || '%' order by name"
    )
    .bind(low)
    .bind(&high)
    .fetch_all(pool)
    .await)?)
}

/// Stops posting to every partner endpoint but those at `url` (the bench's runs each post to a
/// sink of their own).
pub async fn deactivate_endpoints_except(db: &Db, url: &str) -> Result<u64> {
    Ok(on_db!(db, |pool| sqlx::query("update partner_endpoint set active = false where url <> $1 and active")
        .bind(url)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?)
}
