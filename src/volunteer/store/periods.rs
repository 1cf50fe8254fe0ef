//! Service periods and their honour roll.

use serde::Serialize;
use sqlx::FromRow;
use time::Date;
use utoipa::ToSchema;

use crate::db::Db;
use crate::error::ResultExt as _;
use crate::{Error, Result, clock, on_db};

/// A service period such as the winter 100-day campaign.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Period {
    pub(crate) id: i64,
    pub(crate) name: String,
    /// First day.
    #[schema(value_type = String, format = Date)]
    pub starts_on: Date,
    /// Last day.
    #[schema(value_type = String, format = Date)]
    pub ends_on: Date,
}

/// Every period, newest first.
pub async fn periods(db: &Db) -> Result<Vec<Period>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "select id, name, starts_on, ends_on from service_period order by starts_on desc, id desc"
    )
    .fetch_all(p)
    .await)?)
}

/// One period.
pub async fn period(db: &Db, id: i64) -> Result<Period> {
    on_db!(db, |p| sqlx::query_as("select id, name, starts_on, ends_on from service_period where id = $1")
        .bind(id)
        .fetch_optional(p)
        .await)?
    .ok_or(Error::NotFound)
}

/// Stores a period (checked by the caller).
pub async fn insert_period(db: &Db, name: &str, starts_on: Date, ends_on: Date) -> Result<i64> {
    on_db!(db, |p| sqlx::query_scalar(
        "insert into service_period (name, starts_on, ends_on, created_at) values ($1, $2, $3, $4) returning id"
    )
    .bind(name)
    .bind(starts_on)
    .bind(ends_on)
    .bind(clock::now())
    .fetch_one(p)
    .await)
    .on_constraint("service_period(name)", "error.period_name_taken")
}
