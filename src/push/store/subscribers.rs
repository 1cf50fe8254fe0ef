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
    /// The code sent to prove the phone; until it comes back the subscription stays on the inbox
    /// and the phone is not claimed. `None` stores the phone as proved (generated households).
    pub proof: Option<NewProof>,
}

/// A verification code on its way to a phone.
#[derive(Clone, Debug)]
pub struct NewProof {
    /// The code's keyed hash.
    pub code_hash: String,
    /// When it stops being accepted.
    pub expires_at: OffsetDateTime,
    /// Codes one number may be sent in the hour before `created_at`.
    pub per_number: i64,
}

/// What a typed-back code did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proved {
    /// The phone is proved; text messages start.
    Done,
    /// Not the code sent.
    Wrong,
    /// The code is too old; a new one must be sent.
    Expired,
    /// Too many wrong codes; a new one must be sent.
    TooManyTries,
    /// No code waits for this subscription.
    NothingWaits,
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
    /// Whether a code sent to the phone waits to be typed back (text messages start after it).
    pub phone_pending: bool,
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
    // The address's subscriptions of the hour (and the number's codes) are counted under a lock
    // on it, so that many at once cannot beat the limit.
    let mut tx = db.begin().await?;
    tx.lock_key(&format!("subscriber-ip:{}", s.ip_hash)).await?;
    if let (Some(index), Some(proof)) = (&index, &s.proof) {
        tx.lock_key(&format!("phone:{index}")).await?;
        if codes_sent(&mut tx, index, s.created_at - time::Duration::hours(1)).await? >= proof.per_number {
            return Err(Error::TooMany("error.codes_per_number".into()));
        }
    }
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
    .bind(if s.proof.is_some() { None } else { index.clone() })
    .bind(masked)
    .bind(&s.consent)
    .bind(s.created_at)
    .bind(&s.ip_hash)
    .fetch_one(&mut *c)
    .await
    });
    let id = match id {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(Error::Conflict("error.phone_subscribed".into()));
        }
        other => other?,
    };
    if let (Some(index), Some(proof)) = (index, &s.proof) {
        on_tx!(&mut tx, |c| {
            sqlx::query(
            "insert into phone_check (subscriber_id, phone_index, code_hash, sent_at, expires_at) values ($1, $2, $3, $4, $5)"
        )
        .bind(id)
        .bind(index)
        .bind(&proof.code_hash)
        .bind(s.created_at)
        .bind(proof.expires_at)
        .execute(&mut *c)
        .await
        .map(|_| ())
        })?;
    }
    tx.commit().await?;
    Ok(Some(id))
}

/// How many codes went to the number of `index` since `since`.
async fn codes_sent(tx: &mut crate::db::Tx, index: &str, since: OffsetDateTime) -> Result<i64> {
    Ok(on_tx!(tx, |c| sqlx::query_scalar(
        "select cast(coalesce(sum(sends), 0) as bigint) from phone_check where phone_index = $1 and sent_at >= $2"
    )
    .bind(index)
    .bind(since)
    .fetch_one(&mut *c)
    .await)?)
}

/// Stores a new code for a subscription whose phone waits to be proved and returns the sealed
/// phone to send it to: refused while the last code is younger than `gap`, and when the number
/// had `proof.per_number` codes in the hour.
pub async fn renew_code(
    db: &Db,
    subscriber_id: i64,
    proof: &NewProof,
    now: OffsetDateTime,
    gap: time::Duration,
) -> Result<String> {
    let mut tx = db.begin().await?;
    let waiting: Option<(String, OffsetDateTime, Option<String>)> = on_tx!(&mut tx, |c| {
        sqlx::query_as(
        "select c.phone_index, c.sent_at, s.phone_sealed from phone_check c join subscriber s on s.id = c.subscriber_id \
         where c.subscriber_id = $1 and c.confirmed_at is null"
    )
    .bind(subscriber_id)
    .fetch_optional(&mut *c)
    .await
    })?;
    let (index, sent_at, sealed) = waiting.ok_or(Error::NotFound)?;
    let sealed = sealed.ok_or(Error::NotFound)?;
    tx.lock_key(&format!("phone:{index}")).await?;
    if now - sent_at < gap {
        return Err(Error::TooMany("error.code_wait".into()));
    }
    if codes_sent(&mut tx, &index, now - time::Duration::hours(1)).await? >= proof.per_number {
        return Err(Error::TooMany("error.codes_per_number".into()));
    }
    on_tx!(&mut tx, |c| sqlx::query(
        "update phone_check set code_hash = $2, sent_at = $3, expires_at = $4, tries = 0, \
         sends = case when sent_at >= $5 then sends + 1 else 1 end where subscriber_id = $1"
    )
    .bind(subscriber_id)
    .bind(&proof.code_hash)
    .bind(now)
    .bind(proof.expires_at)
    .bind(now - time::Duration::hours(1))
    .execute(&mut *c)
    .await
    .map(|_| ()))?;
    tx.commit().await?;
    Ok(sealed)
}

/// Checks a typed-back code against the one sent to the subscription's phone; at most
/// `most_tries` tries a code. A right code claims the number: text messages start, and another
/// subscription that held the same number (its owner proved it now) keeps only its inbox.
pub async fn prove_phone(
    db: &Db,
    subscriber_id: i64,
    code_hash: &str,
    now: OffsetDateTime,
    most_tries: i64,
) -> Result<Proved> {
    let mut tx = db.begin().await?;
    let waiting: Option<(String, String, OffsetDateTime, i64)> = on_tx!(&mut tx, |c| sqlx::query_as(
        "select c.phone_index, c.code_hash, c.expires_at, c.tries from phone_check c \
         join subscriber s on s.id = c.subscriber_id \
         where c.subscriber_id = $1 and c.confirmed_at is null and s.unsubscribed_at is null"
    )
    .bind(subscriber_id)
    .fetch_optional(&mut *c)
    .await)?;
    let Some((index, expected, expires_at, tries)) = waiting else {
        return Ok(Proved::NothingWaits);
    };
    if tries >= most_tries {
        return Ok(Proved::TooManyTries);
    }
    if now > expires_at {
        return Ok(Proved::Expired);
    }
    on_tx!(&mut tx, |c| sqlx::query("update phone_check set tries = tries + 1 where subscriber_id = $1")
        .bind(subscriber_id)
        .execute(&mut *c)
        .await
        .map(|_| ()))?;
    if expected != code_hash {
        tx.commit().await?;
        return Ok(Proved::Wrong);
    }
    tx.lock_key(&format!("phone:{index}")).await?;
    on_tx!(&mut tx, |c| {
        sqlx::query(
            "update delivery set state = 'cancelled', next_at = null where state = 'pending' and channel = 'sms' \
             and recipient_id in (select id from subscriber where phone_index = $1)",
        )
        .bind(&index)
        .execute(&mut *c)
        .await?;
        sqlx::query(
            "update subscriber set phone_index = null, phone_sealed = null, phone_masked = null, channel = 'inbox' \
             where phone_index = $1",
        )
        .bind(&index)
        .execute(&mut *c)
        .await?;
        sqlx::query("update subscriber set phone_index = $2, channel = 'sms' where id = $1")
            .bind(subscriber_id)
            .bind(&index)
            .execute(&mut *c)
            .await?;
        sqlx::query("update phone_check set confirmed_at = $2 where subscriber_id = $1")
            .bind(subscriber_id)
            .bind(now)
            .execute(&mut *c)
            .await
            .map(|_| ())
    })?;
    tx.commit().await?;
    Ok(Proved::Done)
}

/// The subscriber of an inbox token.
pub async fn subscriber(db: &Db, token: &str) -> Result<Subscriber> {
    on_db!(db, |pool| sqlx::query_as(
        "select s.id, s.token, s.region_code, r.name as region_name, s.region_path, s.lang, s.interests, s.channel, \
         s.phone_masked, exists (select 1 from phone_check c where c.subscriber_id = s.id and c.confirmed_at is null) \
         as phone_pending, s.created_at, s.unsubscribed_at from subscriber s join region r on r.code = s.region_code \
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
        Db::Sqlite(pool, _) => {
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

/// Whether anyone has subscribed (one index step, where counting reads them all).
pub async fn any_subscriber(db: &Db) -> Result<bool> {
    Ok(on_db!(db, |pool| sqlx::query_scalar("select exists (select 1 from subscriber)").fetch_one(pool).await)?)
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

/// The lowest and highest subscriber id (0 and 0 when there are none), to pick households from.
pub async fn subscriber_id_range(db: &Db) -> Result<(i64, i64)> {
    Ok(on_db!(db, |pool| sqlx::query_as(
        "select cast(coalesce(min(id), 0) as bigint), cast(coalesce(max(id), 0) as bigint) from subscriber"
    )
    .fetch_one(pool)
    .await)?)
}
