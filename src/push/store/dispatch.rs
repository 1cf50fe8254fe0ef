//! The workers' side of delivery: claims with a lease, recorded results, message texts and recipients.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::FromRow;
use time::OffsetDateTime;

use crate::db::{Db, Tx};
use crate::push::{Channel, Lang, ProductKind, PushState};
use crate::{Result, on_db, on_tx};

/// A delivery claimed by a worker.
#[derive(Clone, Debug, FromRow, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Claimed {
    pub(crate) push_id: i64,
    /// Subscriber or partner endpoint.
    pub recipient_id: i64,
    pub(crate) channel: Channel,
    /// Tries so far, this one included.
    pub attempts: i64,
    /// The recipient's language.
    pub lang: Lang,
    /// Whether a worker had claimed it before and stopped without a result (a possible resend).
    pub resent: bool,
}

/// Records a sent batch's `results` (none before a loop's first claim), closes the pushes of
/// `close` that have nothing left to send, and claims the next batch, in one transaction: one wait
/// for the write lock and one commit where there were two.
///
/// The claim takes up to `n` due deliveries of one channel for `lease` (a crashed worker's expired
/// claims are due again and counted as possible resends on their push), and returns them with the
/// pushes that have none due now but some still to send: those found with none due, and those
/// this claim took the last due ones of, which the next claim would otherwise look at again for
/// nothing. Only the pushes with messages still to send are looked at, but for those in
/// `pass_over`; a push found with none left is no longer looked at: once fanned out, a push never
/// gets new deliveries. `close` names such waiting pushes of the batch recorded: once its results
/// are in, a push is usually done, and closing it then spares every later claim a look at it (on
/// `PostgreSQL`, a select of its partition).
pub async fn record_and_claim(
    db: &Db,
    results: &[(Claimed, Outcome)],
    close: &[i64],
    recorded_at: OffsetDateTime,
    want: &Want<'_>,
) -> Result<(Vec<Claimed>, Vec<i64>)> {
    let mut tx = db.begin().await?;
    record_in(&mut tx, results, recorded_at).await?;
    close_done(&mut tx, close).await?;
    let got = claim_in(&mut tx, want).await?;
    tx.commit().await?;
    Ok(got)
}

/// What a claim asks for: up to `n` deliveries of `channel` due at `now`, held for `lease`,
/// passing over the pushes in `pass_over`, and on `PostgreSQL` looking at the open pushes newest
/// first if `newest_first` (a dispatcher's second loop, so that its two loops seldom meet on a push).
#[derive(Clone, Copy, Debug)]
pub struct Want<'a> {
    pub(crate) channel: &'a str,
    pub(crate) n: i64,
    pub(crate) now: OffsetDateTime,
    pub(crate) lease: time::Duration,
    pub(crate) pass_over: &'a [i64],
    pub(crate) newest_first: bool,
}

async fn claim_in(tx: &mut Tx, want: &Want<'_>) -> Result<(Vec<Claimed>, Vec<i64>)> {
    let Want { channel, n, now, lease, pass_over, newest_first } = *want;
    let until = now + lease;
    let mut open: Vec<i64> =
        on_tx!(tx, |c| sqlx::query_scalar("select id from push where direct_open order by id").fetch_all(c).await)?;
    open.retain(|p| !pass_over.contains(p));
    if newest_first {
        open.reverse();
    }
    if open.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    // The claimed deliveries, the pushes found with none due, and those with no more due.
    let (rows, idle, emptied): (Vec<Claimed>, Vec<i64>, Vec<i64>) = match tx {
        // One statement over the open pushes, in the order they fell due. The transaction holds
        // the write lock (see `Db::begin`), so the rows chosen stay ours.
        Tx::Sqlite(t, _) => {
            let select = due_select(SQLITE_CLAIMED_PUSHES);
            let rows: Vec<Claimed> = sqlx::query_as(sqlx::AssertSqlSafe(select))
                .bind(channel)
                .bind(now)
                .bind(n)
                .bind(serde_json::json!(open).to_string())
                .fetch_all(&mut **t)
                .await?;
            let (emptied, idle) = if i64::try_from(rows.len()).unwrap_or(i64::MAX) < n {
                open.into_iter().partition(|p| rows.iter().any(|r| r.push_id == *p))
            } else {
                (Vec::new(), Vec::new())
            };
            (rows, idle, emptied)
        }
        // Push by push: each push is a partition, and a statement naming one push is planned on
        // its partition alone (a statement over a hundred partitions took 7–29 ms to plan and
        // 7 ms to run; one push's, 0.1 ms each).
        Tx::Postgres(t) => {
            let mut rows: Vec<Claimed> = Vec::new();
            let (mut idle, mut emptied) = (Vec::new(), Vec::new());
            let mut want = n;
            let select = format!("{} for update skip locked", due_select("push_id = $4"));
            for push in open {
                let got: Vec<Claimed> = sqlx::query_as(sqlx::AssertSqlSafe(select.as_str()))
                    .persistent(false)
                    .bind(channel)
                    .bind(now)
                    .bind(want)
                    .bind(push)
                    .fetch_all(&mut **t)
                    .await?;
                let got_n = i64::try_from(got.len()).unwrap_or(want);
                if got.is_empty() {
                    idle.push(push);
                } else if got_n < want {
                    emptied.push(push);
                }
                want -= got_n;
                rows.extend(got);
                if want <= 0 {
                    break;
                }
            }
            (rows, idle, emptied)
        }
    };
    let mut waiting = close_done(tx, &idle).await?;
    waiting.extend(emptied);
    if !rows.is_empty() {
        update_keys(
            tx,
            "state = 'sending', attempts = attempts + 1, next_at = $1, lease_until = $1",
            "true",
            &rows,
            until,
        )
        .await?;
        count_resends(tx, rows.iter().filter(|r| r.resent)).await?;
    }
    Ok((rows, waiting))
}

/// Closes those of `pushes` with no delivery left to send, in one statement; the others, still
/// open. Each push's check names its id, so on `PostgreSQL` it is planned on that push's partition
/// alone.
async fn close_done(tx: &mut Tx, pushes: &[i64]) -> Result<Vec<i64>> {
    if pushes.is_empty() {
        return Ok(Vec::new());
    }
    let done = pushes
        .iter()
        .map(|p| {
            format!("select {p} where not exists (select 1 from delivery where push_id = {p} and state in ('pending', 'sending'))")
        })
        .collect::<Vec<_>>()
        .join(" union all ");
    let sql = format!("update push set direct_open = false where id in ({done}) returning id");
    let closed: Vec<i64> =
        on_tx!(tx, |c| sqlx::query_scalar(sqlx::AssertSqlSafe(sql.as_str())).persistent(false).fetch_all(c).await)?;
    Ok(pushes.iter().copied().filter(|p| !closed.contains(p)).collect())
}

/// A claim's select of the due deliveries of the pushes `pushes` names (ids or a parameter only):
/// binds $1 channel, $2 now, $3 how many at most.
fn due_select(pushes: &str) -> String {
    format!(
        "select push_id, recipient_id, channel, attempts + 1 as attempts, lang, state = 'sending' as resent \
         from delivery where {pushes} and channel = $1 and next_at <= $2 \
         and state in ('pending', 'sending') order by next_at limit $3"
    )
}

/// Of claimed deliveries, those still held by that claim: not yet finished, and not claimed again
/// since (a batch the queue hands out again after its holder died must not send what another
/// claim sent meanwhile).
pub async fn still_claimed(db: &Db, rows: Vec<Claimed>) -> Result<Vec<Claimed>> {
    if rows.is_empty() {
        return Ok(rows);
    }
    let held: Vec<(i64, i64, String)> = match db {
        Db::Sqlite(pool, _) => sqlx::query_as(SQLITE_HELD).bind(sqlite_keys(&rows)).fetch_all(pool).await?,
        Db::Postgres(pool) => {
            let sql = format!(
                "select push_id, recipient_id, channel from delivery where push_id in ({}) and state = 'sending' \
                 and (push_id, recipient_id, channel, attempts) in \
                 (select * from unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[]))",
                pushes_of(&rows)
            );
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .persistent(false)
                .bind(rows.iter().map(|r| r.push_id).collect::<Vec<_>>())
                .bind(rows.iter().map(|r| r.recipient_id).collect::<Vec<_>>())
                .bind(rows.iter().map(|r| r.channel.as_str()).collect::<Vec<_>>())
                .bind(rows.iter().map(|r| r.attempts).collect::<Vec<_>>())
                .fetch_all(pool)
                .await?
        }
    };
    let held: std::collections::HashSet<(i64, i64, String)> = held.into_iter().collect();
    Ok(rows
        .into_iter()
        .filter(|r| held.contains(&(r.push_id, r.recipient_id, r.channel.as_str().to_owned())))
        .collect())
}

/// Counts possible resends on their pushes, once per push.
async fn count_resends(tx: &mut Tx, rows: impl Iterator<Item = &Claimed>) -> Result<()> {
    let mut resent: std::collections::BTreeMap<i64, i64> = std::collections::BTreeMap::new();
    for r in rows {
        *resent.entry(r.push_id).or_default() += 1;
    }
    for (push_id, n) in resent {
        on_tx!(tx, |c| sqlx::query("update push set resent_count = resent_count + $2 where id = $1")
            .bind(push_id)
            .bind(n)
            .execute(c)
            .await
            .map(|_| ()))?;
    }
    Ok(())
}

/// Counts a batch handed out again by the queue (its first holder stopped before acknowledging
/// it, perhaps after sending some of it) as possible resends.
pub async fn count_redelivered(db: &Db, rows: &[Claimed]) -> Result<()> {
    let mut tx = db.begin().await?;
    count_resends(&mut tx, rows.iter()).await?;
    tx.commit().await?;
    Ok(())
}

/// Updates the deliveries of `rows` (where `cond` holds) with `set`, binding `at` as `$1`: on
/// `SQLite` by a row-value list, on `PostgreSQL` by arrays joined with `unnest` (an index semi-join)
/// inside the partitions of their pushes.
async fn update_keys(tx: &mut Tx, set: &str, cond: &str, rows: &[Claimed], at: OffsetDateTime) -> Result<()> {
    match tx {
        Tx::Sqlite(t, _) => {
            sqlx::query(sqlx::AssertSqlSafe(sqlite_update(set, cond)))
                .bind(at)
                .bind(sqlite_keys(rows))
                .execute(&mut **t)
                .await?;
        }
        Tx::Postgres(t) => {
            let sql = format!(
                "update delivery set {set} where push_id in ({}) and {cond} and (push_id, recipient_id, channel) in \
                 (select * from unnest($2::bigint[], $3::bigint[], $4::text[]))",
                pushes_of(rows)
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .persistent(false)
                .bind(at)
                .bind(rows.iter().map(|r| r.push_id).collect::<Vec<_>>())
                .bind(rows.iter().map(|r| r.recipient_id).collect::<Vec<_>>())
                .bind(rows.iter().map(|r| r.channel.as_str()).collect::<Vec<_>>())
                .execute(&mut **t)
                .await?;
        }
    }
    Ok(())
}

/// The pushes of deliveries, as a list of numbers: written into a statement on `PostgreSQL`, it
/// limits the statement to those pushes' partitions when it is planned.
fn pushes_of(rows: &[Claimed]) -> String {
    let mut ids: Vec<i64> = rows.iter().map(|r| r.push_id).collect();
    ids.sort_unstable();
    ids.dedup();
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
}

/// On `SQLite`, the update of [`update_keys`]: binds $1 the time, $2 the keys ([`sqlite_keys`]).
/// The keys come as one bound array, so the statement is prepared once: written into its text,
/// 500 keys made every batch a statement of its own, parsed in 2.4 ms.
fn sqlite_update(set: &str, cond: &str) -> String {
    format!(
        "update delivery set {set} where {cond} and (push_id, recipient_id, channel) in \
         (select value ->> 0, value ->> 1, value ->> 2 from json_each($2))"
    )
}

/// On `SQLite`, the pushes a claim looks at: binds $4 their ids as one JSON array.
const SQLITE_CLAIMED_PUSHES: &str = "push_id in (select value from json_each($4))";

/// On `SQLite`, the select of [`still_claimed`]: binds $1 the keys with their attempts.
const SQLITE_HELD: &str = "select push_id, recipient_id, channel from delivery where state = 'sending' \
     and (push_id, recipient_id, channel, attempts) in \
     (select value ->> 0, value ->> 1, value ->> 2, value ->> 3 from json_each($1))";

/// Deliveries' keys with their attempts, `[push, recipient, channel, attempts]` each, as one
/// JSON array to bind.
fn sqlite_keys(rows: &[Claimed]) -> String {
    let keys: Vec<serde_json::Value> =
        rows.iter().map(|r| serde_json::json!([r.push_id, r.recipient_id, r.channel.as_str(), r.attempts])).collect();
    serde_json::Value::Array(keys).to_string()
}

/// How a send ended, for [`record`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Delivered.
    Delivered,
    /// Try again at the given time.
    Retry(OffsetDateTime, String),
    /// Refused for good.
    Failed(String),
    /// Too many tries: dead letter.
    Dead(String),
}

/// Records the results of sends, only for deliveries still claimed (a recall may have cancelled
/// nothing in flight, but an expired lease re-claimed elsewhere is left to the new holder).
pub async fn record(db: &Db, results: &[(Claimed, Outcome)], now: OffsetDateTime) -> Result<()> {
    if results.is_empty() {
        return Ok(());
    }
    let mut tx = db.begin().await?;
    record_in(&mut tx, results, now).await?;
    tx.commit().await?;
    Ok(())
}

async fn record_in(tx: &mut Tx, results: &[(Claimed, Outcome)], now: OffsetDateTime) -> Result<()> {
    // The delivered ones (nearly all) in one statement; the rest one by one.
    let delivered: Vec<Claimed> =
        results.iter().filter(|(_, r)| *r == Outcome::Delivered).map(|(c, _)| c.clone()).collect();
    for chunk in delivered.chunks(crate::db::CHUNK_ROWS) {
        update_keys(
            tx,
            "state = 'delivered', next_at = null, sent_at = $1, error = null, lease_until = null",
            "state = 'sending'",
            chunk,
            now,
        )
        .await?;
    }
    for (c, r) in results.iter().filter(|(_, r)| *r != Outcome::Delivered) {
        let (state, next, sent, error): (&str, Option<OffsetDateTime>, Option<OffsetDateTime>, Option<&str>) = match r {
            Outcome::Delivered => ("delivered", None, Some(now), None),
            Outcome::Retry(at, e) => ("pending", Some(*at), None, Some(e)),
            Outcome::Failed(e) => ("failed", None, None, Some(e)),
            Outcome::Dead(e) => ("dead", None, None, Some(e)),
        };
        on_tx!(tx, |conn| sqlx::query(
            "update delivery set state = $4, next_at = $5, sent_at = $6, error = $7, lease_until = null \
             where push_id = $1 and recipient_id = $2 and channel = $3 and state = 'sending'"
        )
        .persistent(false)
        .bind(c.push_id)
        .bind(c.recipient_id)
        .bind(c.channel)
        .bind(state)
        .bind(next)
        .bind(sent)
        .bind(error)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// What a worker needs to send one push: the product's kind, and its variants' titles and texts.
#[derive(Clone, Debug, FromRow)]
pub struct Message {
    pub(crate) push_id: i64,
    pub(crate) product_id: i64,
    pub(crate) kind: ProductKind,
    /// Variant language.
    pub lang: Lang,
    pub(crate) title: String,
    pub(crate) body: String,
    pub(crate) link: String,
    /// Push state (a recalled push sends nothing more).
    pub state: PushState,
}

/// The variants of the pushes' products, by push: one read for a claimed batch.
pub async fn messages(db: &Db, push_ids: &[i64]) -> Result<HashMap<i64, Vec<Message>>> {
    let mut by_push: HashMap<i64, Vec<Message>> = HashMap::new();
    if push_ids.is_empty() {
        return Ok(by_push);
    }
    let rows: Vec<Message> = on_db!(db, |pool| {
        let mut q = sqlx::QueryBuilder::new(
            "select p.id as push_id, pr.id as product_id, pr.kind, v.lang, v.title, v.body, v.link, p.state \
             from push p join push_product pr on pr.id = p.product_id join push_variant v on v.product_id = pr.id \
             where p.id",
        );
        crate::db::push_in(&mut q, push_ids.iter().copied());
        q.build_query_as().fetch_all(pool).await
    })?;
    for m in rows {
        by_push.entry(m.push_id).or_default().push(m);
    }
    Ok(by_push)
}

/// Sealed phones and inbox tokens of subscribers: (id, sealed phone, token).
pub async fn recipients(db: &Db, ids: &[i64]) -> Result<Vec<(i64, Option<String>, String)>> {
    by_id(db, "select id, phone_sealed, token from subscriber where id", ids).await
}

/// Partner endpoints by id: (id, url, secret).
pub async fn endpoint_secrets(db: &Db, ids: &[i64]) -> Result<Vec<(i64, String, String)>> {
    by_id(db, "select id, url, secret from partner_endpoint where id", ids).await
}

/// The rows `select` (ending in its id column) finds for `ids`, each id asked once: a batch names
/// a partner once per push.
async fn by_id<T>(db: &Db, select: &'static str, ids: &[i64]) -> Result<Vec<T>>
where
    T: Send + Unpin + for<'r> FromRow<'r, sqlx::sqlite::SqliteRow> + for<'r> FromRow<'r, sqlx::postgres::PgRow>,
{
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(on_db!(db, |pool| {
        let mut q = sqlx::QueryBuilder::new(select);
        crate::db::push_in(&mut q, ids);
        q.build_query_as().fetch_all(pool).await
    })?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A claim's and a result's statements on `SQLite` look each delivery up by its key, and a
    /// claim finds the due ones through their index: a scan would read every live delivery (9.4
    /// million after a push to the province) per batch.
    #[tokio::test]
    async fn batch_statements_look_deliveries_up_by_key() -> anyhow::Result<()> {
        let (dir, db) = crate::db::sqlite_in_temp_dir("claim-plan").await?;
        let row = |recipient_id| Claimed {
            push_id: 7,
            recipient_id,
            channel: Channel::Webhook,
            attempts: 1,
            lang: Lang::Zh,
            resent: false,
        };
        let rows = [row(1), row(2)];
        let (key, due) = ("SEARCH delivery USING PRIMARY KEY", "SEARCH delivery USING INDEX delivery_due");
        let update = sqlite_update("state = 'sending', next_at = $1", "true");
        let claim = due_select(SQLITE_CLAIMED_PUSHES);
        for (sql, keys, way) in [
            (update.as_str(), sqlite_keys(&rows), key),
            (SQLITE_HELD, sqlite_keys(&rows), key),
            (claim.as_str(), "[7, 8]".to_owned(), due),
        ] {
            let plan: Vec<(i64, i64, i64, String)> =
                on_db!(&db, |p| sqlx::query_as(sqlx::AssertSqlSafe(format!("explain query plan {sql}")))
                    .bind(keys.clone())
                    .bind(keys.clone())
                    .bind(2)
                    .bind(keys.clone())
                    .fetch_all(p)
                    .await)?;
            let plan: Vec<String> = plan.into_iter().map(|(_, _, _, detail)| detail).collect();
            assert!(plan.iter().any(|d| d.starts_with(way)), "{sql}: {plan:?}");
            assert!(!plan.iter().any(|d| d.starts_with("SCAN delivery")), "{sql}: {plan:?}");
        }
        db.close().await;
        std::fs::remove_dir_all(dir).ok();
        Ok(())
    }
}
