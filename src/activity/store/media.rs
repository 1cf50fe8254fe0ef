//! The media register: news items by level and airings.

use serde::Serialize;
use sqlx::FromRow;
use time::Date;
use utoipa::ToSchema;

use crate::activity::AiringKind;
use crate::db::{CHUNK_ROWS, Db};
use crate::org::Scope;
use crate::{Result, clock, on_db, on_tx};

/// A news item.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct NewsItem {
    pub(crate) id: i64,
    pub(crate) campaign_id: i64,
    /// Reporting unit.
    pub unit_id: i64,
    /// Its name.
    pub unit_name: String,
    /// central, provincial, municipal, county or matrix.
    pub level: String,
    /// Outlet (newspaper, station, account).
    pub outlet: String,
    pub(crate) title: String,
    pub(crate) url: String,
    /// Publication date.
    #[schema(value_type = String, format = Date)]
    pub published_on: Date,
    /// Reposts of one story share this key and count once.
    pub story_key: String,
}

/// A news item to store.
#[derive(Clone, Debug)]
pub struct NewNews {
    pub(crate) campaign_id: i64,
    /// Reporting unit and its path.
    pub unit: (i64, String),
    pub(crate) level: String,
    pub(crate) outlet: String,
    pub(crate) title: String,
    pub(crate) url: String,
    pub(crate) published_on: Date,
    pub(crate) created_by: i64,
}

/// Stores news items in one transaction.
pub async fn insert_news(db: &Db, items: &[NewNews]) -> Result<()> {
    let mut tx = db.begin().await?;
    let now = clock::now();
    on_tx!(&mut tx, |c| {
        for chunk in items.chunks(CHUNK_ROWS) {
            let mut q = sqlx::QueryBuilder::new(
                "insert into news_item (campaign_id, unit_id, region_path, level, outlet, title, url, published_on, story_key, created_by, created_at) ",
            );
            q.push_values(chunk, |mut b, n| {
                b.push_bind(n.campaign_id)
                    .push_bind(n.unit.0)
                    .push_bind(&n.unit.1)
                    .push_bind(&n.level)
                    .push_bind(&n.outlet)
                    .push_bind(&n.title)
                    .push_bind(&n.url)
                    .push_bind(n.published_on)
                    .push_bind(crate::activity::story_key(&n.title))
                    .push_bind(n.created_by)
                    .push_bind(now);
            });
            q.build().execute(&mut *c).await?;
        }
    });
    tx.commit().await?;
    Ok(())
}

/// News items of a campaign reported inside the scope, newest first.
pub async fn news(db: &Db, scope: &Scope, campaign_id: i64, limit: i64) -> Result<Vec<NewsItem>> {
    let (low, high) = scope.bounds();
    Ok(on_db!(db, |p| {
        sqlx::query_as(
        "select n.id, n.campaign_id, n.unit_id, u.name as unit_name, n.level, n.outlet, n.title, n.url, n.published_on, n.story_key \
         from news_item n join unit u on u.id = n.unit_id where n.campaign_id = $1 and n.region_path >= $2 and n.region_path < $3 \
         order by n.published_on desc, n.id desc limit $4"
    )
    .bind(campaign_id)
    .bind(low)
    .bind(&high)
    .bind(limit)
    .fetch_all(p)
    .await
    })?)
}

/// A run of airings.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Airing {
    pub(crate) id: i64,
    pub(crate) campaign_id: i64,
    /// Reporting unit.
    pub unit_id: i64,
    /// Its name.
    pub unit_name: String,
    /// What it shows.
    pub kind: AiringKind,
    pub(crate) channel: String,
    /// Time slot.
    pub slot: String,
    /// Times aired.
    pub aired_count: i64,
    /// Date.
    #[schema(value_type = String, format = Date)]
    pub aired_on: Date,
}

/// An airing record to store.
#[derive(Clone, Debug)]
pub struct NewAiring {
    pub(crate) campaign_id: i64,
    /// Reporting unit and its path.
    pub unit: (i64, String),
    /// What it shows.
    pub kind: AiringKind,
    pub(crate) channel: String,
    pub(crate) slot: String,
    /// Times aired.
    pub aired_count: i64,
    pub(crate) aired_on: Date,
    pub(crate) created_by: i64,
}

/// Stores airing records in one transaction.
pub async fn insert_airings(db: &Db, items: &[NewAiring]) -> Result<()> {
    let mut tx = db.begin().await?;
    let now = clock::now();
    on_tx!(&mut tx, |c| {
        for chunk in items.chunks(CHUNK_ROWS) {
            let mut q = sqlx::QueryBuilder::new(
                "insert into airing (campaign_id, unit_id, region_path, kind, channel, slot, aired_count, aired_on, created_by, created_at) ",
            );
            q.push_values(chunk, |mut b, a| {
                b.push_bind(a.campaign_id)
                    .push_bind(a.unit.0)
                    .push_bind(&a.unit.1)
                    .push_bind(a.kind)
                    .push_bind(&a.channel)
                    .push_bind(&a.slot)
                    .push_bind(a.aired_count)
                    .push_bind(a.aired_on)
                    .push_bind(a.created_by)
                    .push_bind(now);
            });
            q.build().execute(&mut *c).await?;
        }
    });
    tx.commit().await?;
    Ok(())
}

/// Airing records of a campaign reported inside the scope, newest first.
pub async fn airings(db: &Db, scope: &Scope, campaign_id: i64, limit: i64) -> Result<Vec<Airing>> {
    let (low, high) = scope.bounds();
    Ok(on_db!(db, |p| {
        sqlx::query_as(
        "select a.id, a.campaign_id, a.unit_id, u.name as unit_name, a.kind, a.channel, a.slot, a.aired_count, a.aired_on \
         from airing a join unit u on u.id = a.unit_id where a.campaign_id = $1 and a.region_path >= $2 and a.region_path < $3 \
         order by a.aired_on desc, a.id desc limit $4"
    )
    .bind(campaign_id)
    .bind(low)
    .bind(&high)
    .bind(limit)
    .fetch_all(p)
    .await
    })?)
}
