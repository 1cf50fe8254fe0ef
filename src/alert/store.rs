//! Every SQL statement of warnings: drafts, signing off (which gives a warning its identifier),
//! calling off, and the current ones for the index.

use serde::Serialize;
use sqlx::FromRow;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::{Certainty, Kind, Severity, State, Urgency};
use crate::db::Db;
use crate::error::ResultExt as _;
use crate::org::Scope;
use crate::{Error, Result, on_db, on_tx};

/// A warning.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Alert {
    /// Id.
    pub id: i64,
    /// The issuing unit.
    pub unit_id: i64,
    /// Its name (CAP `senderName`).
    pub unit_name: String,
    /// Its region path.
    pub unit_path: String,
    /// Its 14-character code.
    pub sender_code: String,
    /// What it is about.
    pub kind: Kind,
    /// CAP `severity`, `urgency` and `certainty`.
    pub severity: Severity,
    /// How soon to act.
    pub urgency: Urgency,
    /// How sure.
    pub certainty: Certainty,
    /// Headline, description and instruction in Chinese.
    pub headline: String,
    /// What is happening.
    pub description: String,
    /// What to do.
    pub instruction: String,
    /// The same in Korean (empty: no Korean `<info>`).
    pub headline_ko: String,
    /// 설명.
    pub description_ko: String,
    /// 행동 요령.
    pub instruction_ko: String,
    /// The regions it covers: their codes, comma-separated.
    pub area_codes: String,
    /// Their names, as CAP `areaDesc`.
    pub area_desc: String,
    /// From when it applies.
    #[schema(value_type = String)]
    pub effective_at: OffsetDateTime,
    /// Until when.
    #[schema(value_type = String)]
    pub expires_at: OffsetDateTime,
    /// Draft, published or cancelled.
    pub state: State,
    /// CAP `identifier`, once signed off.
    pub identifier: Option<String>,
    /// When it was signed off (CAP `sent`).
    #[schema(value_type = Option<String>)]
    pub sent_at: Option<OffsetDateTime>,
    /// Who signed it off.
    pub signed_by_name: Option<String>,
    /// The identifier of the `Cancel` message, once called off.
    pub cancel_identifier: Option<String>,
    /// When it was called off.
    #[schema(value_type = Option<String>)]
    pub cancelled_at: Option<OffsetDateTime>,
    /// Who wrote it.
    pub created_by: i64,
    /// Their name.
    pub created_by_name: String,
}

const ALERT_SELECT: &str = "select a.id, a.unit_id, u.name as unit_name, a.unit_path, a.sender_code, a.kind, a.severity, \
     a.urgency, a.certainty, a.headline, a.description, a.instruction, a.headline_ko, a.description_ko, a.instruction_ko, \
     a.area_codes, a.area_desc, a.effective_at, a.expires_at, a.state, a.identifier, a.sent_at, s.display_name as signed_by_name, \
     a.cancel_identifier, a.cancelled_at, a.created_by, c.display_name as created_by_name \
     from alert a join unit u on u.id = a.unit_id join app_user c on c.id = a.created_by left join app_user s on s.id = a.signed_by";

/// A warning to store as a draft (checked by the caller).
#[derive(Clone, Debug)]
pub struct NewAlert {
    /// Issuing unit: id, region path and code.
    pub unit: (i64, String, String),
    /// Kind, severity, urgency, certainty.
    pub class: (Kind, Severity, Urgency, Certainty),
    /// Headline, description, instruction in Chinese.
    pub zh: (String, String, String),
    /// The same in Korean.
    pub ko: (String, String, String),
    /// Region codes and their names.
    pub area: (String, String),
    /// Effective and expiry times.
    pub times: (OffsetDateTime, OffsetDateTime),
    /// Author.
    pub created_by: i64,
}

/// Stores a draft; returns its id.
pub async fn insert(db: &Db, a: &NewAlert, now: OffsetDateTime) -> Result<i64> {
    let mut tx = db.begin().await?;
    let id = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
        "insert into alert (unit_id, unit_path, sender_code, kind, severity, urgency, certainty, headline, description, \
         instruction, headline_ko, description_ko, instruction_ko, area_codes, area_desc, effective_at, expires_at, \
         created_by, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) \
         returning id"
    )
    .bind(a.unit.0)
    .bind(&a.unit.1)
    .bind(&a.unit.2)
    .bind(a.class.0)
    .bind(a.class.1)
    .bind(a.class.2)
    .bind(a.class.3)
    .bind(&a.zh.0)
    .bind(&a.zh.1)
    .bind(&a.zh.2)
    .bind(&a.ko.0)
    .bind(&a.ko.1)
    .bind(&a.ko.2)
    .bind(&a.area.0)
    .bind(&a.area.1)
    .bind(a.times.0)
    .bind(a.times.1)
    .bind(a.created_by)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    })?;
    tx.commit().await?;
    Ok(id)
}

/// Warnings issued by units inside the scope, the latest first.
pub async fn alerts(db: &Db, scope: &Scope, limit: i64) -> Result<Vec<Alert>> {
    let (low, high) = scope.bounds();
    let sql = format!("{ALERT_SELECT} where a.unit_path >= $1 and a.unit_path < $2 order by a.id desc limit $3");
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(low).bind(&high).bind(limit).fetch_all(p).await)?)
}

/// One warning issued inside the scope.
pub async fn alert(db: &Db, scope: &Scope, id: i64) -> Result<Alert> {
    let (low, high) = scope.bounds();
    let sql = format!("{ALERT_SELECT} where a.unit_path >= $1 and a.unit_path < $2 and a.id = $3");
    on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(low).bind(&high).bind(id).fetch_optional(p).await)?
        .ok_or(Error::NotFound)
}

/// The published or cancelled warning with this identifier, or whose `Cancel` message has it.
pub async fn by_identifier(db: &Db, identifier: &str) -> Result<Alert> {
    let sql = format!("{ALERT_SELECT} where a.identifier = $1 or a.cancel_identifier = $1");
    on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(identifier).fetch_optional(p).await)?
        .ok_or(Error::NotFound)
}

/// Published warnings in force at `now`, the latest first; only those covering the place at
/// `path` when one is given (see [`super::covers`]).
pub async fn in_force(db: &Db, now: OffsetDateTime, path: Option<&str>) -> Result<Vec<Alert>> {
    let sql = format!(
        "{ALERT_SELECT} where a.state = 'published' and a.effective_at <= $1 and a.expires_at > $1 order by a.sent_at desc, a.id desc"
    );
    let all: Vec<Alert> = on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(now).fetch_all(p).await)?;
    Ok(all.into_iter().filter(|a| path.is_none_or(|p| super::covers(&a.area_codes, p))).collect())
}

/// Published warnings not expired at `now`, and warnings called off in the last day (so that
/// readers of the index see the `Cancel`), the latest first.
pub async fn current(db: &Db, now: OffsetDateTime) -> Result<Vec<Alert>> {
    let sql = format!(
        "{ALERT_SELECT} where (a.state = 'published' and a.expires_at > $1) or (a.state = 'cancelled' and a.cancelled_at > $2) \
         order by coalesce(a.cancelled_at, a.sent_at) desc, a.id desc limit 200"
    );
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(now)
        .bind(now - time::Duration::days(1))
        .fetch_all(p)
        .await)?)
}

/// The next identifier of a sender and second: its sequence digit is the count of messages
/// (warnings and Cancels) the sender already sent in that second; at most ten.
async fn next_identifier(tx: &mut crate::db::Tx, sender: &str, now: OffsetDateTime) -> Result<String> {
    let first = super::identifier(sender, now, 0);
    let prefix = first.strip_suffix('0').unwrap_or(&first);
    let taken: i64 = on_tx!(tx, |c| sqlx::query_scalar(
        "select count(*) from alert where substr(identifier, 1, $2) = $1 or substr(cancel_identifier, 1, $2) = $1"
    )
    .bind(prefix)
    .bind(i32::try_from(prefix.chars().count()).unwrap_or(0))
    .fetch_one(&mut *c)
    .await)?;
    match u8::try_from(taken) {
        Ok(n) if n <= 9 => Ok(super::identifier(sender, now, n)),
        _ => Err(Error::Conflict("error.alerts_per_second".into())),
    }
}

/// Gives a warning the next identifier of `sender` at `now` by `update` (which sets it, the time and
/// who did it, from the state it must be in); `refused` when it was not in that state.
async fn stamp(
    db: &Db,
    id: i64,
    (update, unique, refused): (&'static str, &str, &str),
    by: i64,
    now: OffsetDateTime,
    sender: &str,
) -> Result<String> {
    let mut tx = db.begin().await?;
    let ident = next_identifier(&mut tx, sender, now).await?;
    let done = on_tx!(&mut tx, |c| sqlx::query(update)
        .bind(id)
        .bind(&ident)
        .bind(now)
        .bind(by)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected()))
    .on_constraint(unique, "error.alerts_per_second")?;
    if done == 0 {
        return Err(Error::Conflict(refused.into()));
    }
    tx.commit().await?;
    Ok(ident)
}

/// Signs a draft off: it is published at `now` with the next identifier of its sender.
pub async fn publish(db: &Db, id: i64, by: i64, now: OffsetDateTime, sender: &str) -> Result<String> {
    let update = "update alert set state = 'published', identifier = $2, sent_at = $3, signed_by = $4 \
                  where id = $1 and state = 'draft'";
    stamp(db, id, (update, "alert(identifier)", "error.alert_not_draft"), by, now, sender).await
}

/// Calls a published warning off with a `Cancel` message of its own identifier.
pub async fn cancel(db: &Db, id: i64, by: i64, now: OffsetDateTime, sender: &str) -> Result<String> {
    let update = "update alert set state = 'cancelled', cancel_identifier = $2, cancelled_at = $3, cancelled_by = $4 \
                  where id = $1 and state = 'published'";
    stamp(db, id, (update, "alert(cancel_identifier)", "error.alert_not_published"), by, now, sender).await
}

/// Drafts issued inside the scope that someone other than `me` wrote: what waits for their
/// sign-off. Returns (the only one's id when there is exactly one, how many).
pub async fn to_sign(db: &Db, scope: &Scope, me: i64) -> Result<(Option<i64>, i64)> {
    let (low, high) = scope.bounds();
    let (first, count): (Option<i64>, i64) = on_db!(db, |p| {
        sqlx::query_as(
        "select min(id), count(*) from alert where unit_path >= $1 and unit_path < $2 and state = 'draft' and created_by <> $3"
    )
    .bind(low)
    .bind(&high)
    .bind(me)
    .fetch_one(p)
    .await
    })?;
    Ok((first.filter(|_| count == 1), count))
}
