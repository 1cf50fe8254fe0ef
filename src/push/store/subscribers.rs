//! Residents' subscriptions: sealed phones, tokens, unsubscribing, and the demo's generated households.

use serde::Serialize;
use sqlx::FromRow;
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::db::Db;
use crate::org::Scope;
use crate::{Error, Result, on_db, on_tx};

/// A new subscription.
#[derive(Clone, Debug)]
pub struct NewSubscriber {
    /// Inbox token.
    pub token: String,
    /// Community or village.
    pub region_code: String,
    /// Its path.
    pub region_path: String,
    /// `zh` or `ko`.
    pub lang: String,
    /// Stored theme tags (empty: everything).
    pub interests: String,
    /// `inbox` or `sms`.
    pub channel: String,
    /// Sealed phone, blind index, masked phone.
    pub phone: Option<(String, String, String)>,
    /// The consent text agreed to.
    pub consent: String,
    /// When it was made.
    pub created_at: OffsetDateTime,
    /// Keyed hash of the address it came from.
    pub ip_hash: String,
}

/// A subscriber as their own page shows them.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Subscriber {
    pub(crate) id: i64,
    /// Inbox token.
    pub token: String,
    /// Region code.
    pub region_code: String,
    /// Region name.
    pub region_name: String,
    /// Region path.
    pub region_path: String,
    pub(crate) lang: String,
    /// Theme tags.
    pub interests: String,
    pub(crate) channel: String,
    /// Masked phone.
    pub phone_masked: Option<String>,
    /// When they subscribed.
    #[schema(value_type = String)]
    pub created_at: OffsetDateTime,
    /// When they left.
    #[schema(value_type = Option<String>)]
    pub unsubscribed_at: Option<OffsetDateTime>,
}

/// Stores a subscription; a phone already subscribed is a conflict.
pub async fn insert_subscriber(db: &Db, s: &NewSubscriber, since: OffsetDateTime, most: i64) -> Result<Option<i64>> {
    let (sealed, index, masked) = s.phone.clone().map_or((None, None, None), |(a, b, c)| (Some(a), Some(b), Some(c)));
    // The address's subscriptions of the hour are counted under a lock on it, so that many at
    // once cannot beat the limit.
    let mut tx = db.begin().await?;
    tx.lock_key(&format!("subscriber-ip:{}", s.ip_hash)).await?;
    let recent: i64 = on_tx!(&mut tx, |c| sqlx::query_scalar(
        "select count(*) from subscriber where ip_hash = $1 and created_at >= $2"
    )
    .bind(&s.ip_hash)
    .bind(since)
    .fetch_one(&mut *c)
    .await?);
    if recent >= most {
        return Ok(None);
    }
    let id: Result<i64, sqlx::Error> = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
        "insert into subscriber (token, region_code, region_path, lang, interests, channel, phone_sealed, phone_index, \
         phone_masked, consent, created_at, ip_hash) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) returning id"
    )
    .bind(&s.token)
    .bind(&s.region_code)
    .bind(&s.region_path)
    .bind(&s.lang)
    .bind(&s.interests)
    .bind(&s.channel)
    .bind(sealed)
    .bind(index)
    .bind(masked)
    .bind(&s.consent)
    .bind(s.created_at)
    .bind(&s.ip_hash)
    .fetch_one(&mut *c)
    .await
    });
    let id = match id {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(Error::Conflict(
                "this phone number is already subscribed; use the link in any message to change it".into(),
            ));
        }
        other => other?,
    };
    tx.commit().await?;
    Ok(Some(id))
}

/// The subscriber of an inbox token.
pub async fn subscriber(db: &Db, token: &str) -> Result<Subscriber> {
    on_db!(db, |pool| sqlx::query_as(
        "select s.id, s.token, s.region_code, r.name as region_name, s.region_path, s.lang, s.interests, s.channel, \
         s.phone_masked, s.created_at, s.unsubscribed_at from subscriber s join region r on r.code = s.region_code \
         where s.token = $1"
    )
    .bind(token)
    .fetch_optional(pool)
    .await)?
    .ok_or(Error::NotFound)
}

/// Ends a subscription (their phone's blind index is cleared so they may subscribe again).
pub async fn unsubscribe(db: &Db, token: &str, at: OffsetDateTime) -> Result<bool> {
    let done = on_db!(db, |pool| {
        sqlx::query(
        "update subscriber set unsubscribed_at = $2, phone_index = null where token = $1 and unsubscribed_at is null"
    )
    .bind(token)
    .bind(at)
    .execute(pool)
    .await
    .map(|r| r.rows_affected())
    })?;
    if done == 1 {
        on_db!(db, |pool| sqlx::query(
            "update delivery set state = 'cancelled', next_at = null where state = 'pending' and channel <> 'webhook' \
             and recipient_id = (select id from subscriber where token = $1)"
        )
        .bind(token)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    }
    Ok(done == 1)
}

/// Generates `n` in-app subscribers spread over the communities under `path` (demo and bench),
/// in one statement: every `ko_every`-th reads Korean, every `sms_every`-th takes SMS (with a
/// made-up sealed phone), interests cycle through `themes`. Returns how many were made.
pub async fn generate_subscribers(
    db: &Db,
    path: &str,
    n: i64,
    ko_every: i64,
    sms_every: i64,
    themes: &[&str],
    at: OffsetDateTime,
) -> Result<u64> {
    let inner = Scope::under(path);
    let (low, high) = inner.bounds();
    let themes: Vec<String> = std::iter::once(String::new()).chain(themes.iter().map(|t| format!(",{t},"))).collect();
    let k = i64::try_from(themes.len()).unwrap_or(1);
    let cases: String = themes.iter().enumerate().fold(String::new(), |mut acc, (i, t)| {
        use std::fmt::Write as _;
        let _ = write!(acc, " when {i} then '{t}'");
        acc
    });
    let done = match db {
        Db::Sqlite(pool) => {
            // The communities numbered in a temporary table keyed by their number, so each
            // generated row finds its community by key.
            let mut c = pool.acquire().await?;
            sqlx::query("create temp table if not exists gen_community (k integer primary key, code text, path text)")
                .execute(&mut *c)
                .await?;
            sqlx::query("delete from gen_community").execute(&mut *c).await?;
            sqlx::query(
                "insert into gen_community (k, code, path) select row_number() over (order by path) - 1, code, path \
                 from region where level = 4 and path >= $1 and path < $2",
            )
            .bind(low)
            .bind(&high)
            .execute(&mut *c)
            .await?;
            let sql = format!(
                "with recursive m(cnt) as (select count(*) from gen_community), \
                 g(i) as (select 0 union all select i + 1 from g where i + 1 < $1) \
                 insert into subscriber (token, region_code, region_path, lang, interests, channel, phone_sealed, phone_masked, consent, created_at) \
                 select lower(hex(randomblob(16))), c.code, c.path, case when $2 > 0 and g.i % $2 = 0 then 'ko' else 'zh' end, \
                 case g.i % {k}{cases} end, case when $3 > 0 and g.i % $3 = 1 then 'sms' else 'inbox' end, \
                 case when $3 > 0 and g.i % $3 = 1 then 'demo' end, \
                 case when $3 > 0 and g.i % $3 = 1 then '139****' || substr('0000' || (g.i % 10000), -4) end, 'demo', $4 \
                 from g, m join gen_community c on c.k = g.i % m.cnt"
            );
            let made = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(n)
                .bind(ko_every)
                .bind(sms_every)
                .bind(at)
                .execute(&mut *c)
                .await?
                .rows_affected();
            sqlx::query("delete from gen_community").execute(&mut *c).await?;
            made
        }
        Db::Postgres(pool) => {
            let sql = format!(
                "with c as (select row_number() over (order by path) - 1 as k, code, path from region \
                 where level = 4 and path >= $1 and path < $2), m as (select count(*) as cnt from c) \
                 insert into subscriber (token, region_code, region_path, lang, interests, channel, phone_sealed, phone_masked, consent, created_at) \
                 select md5(random()::text || g.i::text), c.code, c.path, case when $4 > 0 and g.i % $4 = 0 then 'ko' else 'zh' end, \
                 case g.i % {k}{cases} end, case when $5 > 0 and g.i % $5 = 1 then 'sms' else 'inbox' end, \
                 case when $5 > 0 and g.i % $5 = 1 then 'demo' end, \
                 case when $5 > 0 and g.i % $5 = 1 then '139****' || lpad((g.i % 10000)::text, 4, '0') end, 'demo', $6 \
                 from generate_series(0, $3 - 1) as g(i) cross join m join c on c.k = g.i % m.cnt"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(low)
                .bind(&high)
                .bind(n)
                .bind(ko_every)
                .bind(sms_every)
                .bind(at)
                .execute(pool)
                .await?
                .rows_affected()
        }
    };
    Ok(done)
}

/// Subscribers, all and still subscribed.
pub async fn subscriber_counts(db: &Db, scope: &Scope) -> Result<(i64, i64)> {
    let (low, high) = scope.bounds();
    Ok(on_db!(db, |pool| {
        sqlx::query_as(
        "select count(*), count(*) - count(unsubscribed_at) from subscriber where region_path >= $1 and region_path < $2"
    )
    .bind(low)
    .bind(&high)
    .fetch_one(pool)
    .await
    })?)
}
