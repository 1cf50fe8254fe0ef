//! A household's inbox: its deliveries, one item, read marks.

use serde::Serialize;
use sqlx::FromRow;
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::db::Db;
use crate::push::{Lang, ProductKind};
use crate::{Error, Result, on_db};

/// A tip in a resident's inbox.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct InboxItem {
    pub(crate) push_id: i64,
    pub(crate) product_id: i64,
    pub(crate) kind: ProductKind,
    /// The language the resident reads.
    pub lang: Lang,
    /// When it arrived.
    #[schema(value_type = Option<String>)]
    pub sent_at: Option<OffsetDateTime>,
    /// When they opened it.
    #[schema(value_type = Option<String>)]
    pub read_at: Option<OffsetDateTime>,
}

const INBOX: &str = "select d.push_id, p.product_id, pr.kind, d.lang, coalesce(d.sent_at, p.fanned_out_at) as sent_at, \
     d.read_at from delivery d join push p on p.id = d.push_id join push_product pr on pr.id = p.product_id";

/// The tips delivered to a subscriber's inbox since `since`, newest first.
/// The pushes are read first and written into the statement as numbers, so that on `PostgreSQL`
/// it is planned for their partitions only.
pub async fn inbox(db: &Db, subscriber_id: i64, since: OffsetDateTime, limit: i64) -> Result<Vec<InboxItem>> {
    let pushes: Vec<i64> = on_db!(db, |pool| sqlx::query_scalar(
        "select id from push where fanned_out_at >= $1 and state <> 'recalled' and direct_count > 0"
    )
    .bind(since)
    .fetch_all(pool)
    .await)?;
    if pushes.is_empty() {
        return Ok(Vec::new());
    }
    let list = pushes.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "{INBOX} where d.push_id in ({list}) and d.recipient_id = $1 and d.channel = 'inbox' \
         order by d.push_id desc limit $2"
    );
    Ok(on_db!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(subscriber_id)
        .bind(limit)
        .fetch_all(pool)
        .await)?)
}

/// One tip of a subscriber's inbox (not of a recalled push).
pub async fn inbox_item(db: &Db, subscriber_id: i64, push_id: i64) -> Result<InboxItem> {
    let sql = format!(
        "{INBOX} where d.push_id = $2 and d.recipient_id = $1 and d.channel = 'inbox' and p.state <> 'recalled'"
    );
    on_db!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(subscriber_id)
        .bind(push_id)
        .fetch_optional(pool)
        .await)?
    .ok_or(Error::NotFound)
}

/// Marks a tip read the first time it is opened; false when it is not in the inbox or was read.
pub async fn mark_read(db: &Db, subscriber_id: i64, push_id: i64, at: OffsetDateTime) -> Result<bool> {
    let done = on_db!(db, |pool| sqlx::query(
        "update delivery set state = 'read', read_at = $3 where push_id = $2 and recipient_id = $1 \
         and channel = 'inbox' and read_at is null"
    )
    .bind(subscriber_id)
    .bind(push_id)
    .bind(at)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}
