//! Every SQL statement of screens: the register with each screen's key hash and its last pull.

use serde::Serialize;
use sqlx::FromRow;
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use super::Kind;
use crate::db::Db;
use crate::org::Scope;
use crate::{Error, Result, on_db, on_tx};

/// A screen.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Screen {
    /// Id.
    pub id: i64,
    /// The unit that runs it.
    pub unit_name: String,
    /// Its unit's region path.
    pub unit_path: String,
    /// Where it stands: region code, name and path.
    pub region_code: String,
    /// The region's name.
    pub region_name: String,
    /// The region's path.
    pub region_path: String,
    /// Its name (where it is).
    pub name: String,
    /// What kind.
    pub kind: Kind,
    /// The longest caption it shows.
    pub chars: i64,
    /// The key's last four characters, to tell keys apart.
    pub key_hint: String,
    /// When it last pulled its playlist.
    #[schema(value_type = Option<String>)]
    pub pulled_at: Option<OffsetDateTime>,
    /// How often it has pulled.
    pub pulls: i64,
    /// When its key was revoked.
    #[schema(value_type = Option<String>)]
    pub revoked_at: Option<OffsetDateTime>,
}

const SCREEN_SELECT: &str = "select s.id, u.name as unit_name, s.unit_path, s.region_code, r.name as region_name, \
     s.region_path, s.name, s.kind, s.chars, s.key_hint, s.pulled_at, s.pulls, s.revoked_at \
     from screen s join unit u on u.id = s.unit_id join region r on r.code = s.region_code";

/// A screen to store: unit (id, path), region (code, path), name, kind, chars, key hash and hint.
pub struct NewScreen {
    /// Unit id and path.
    pub unit: (i64, String),
    /// Region code and path.
    pub region: (String, String),
    /// Name, kind and the longest caption.
    pub what: (String, Kind, i64),
    /// The key's hash and its last four characters.
    pub key: (String, String),
    /// Author.
    pub created_by: i64,
}

/// Stores a screen; returns its id.
pub async fn insert(db: &Db, s: &NewScreen, now: OffsetDateTime) -> Result<i64> {
    let mut tx = db.begin().await?;
    let id = on_tx!(&mut tx, |c| sqlx::query_scalar(
        "insert into screen (unit_id, unit_path, region_code, region_path, name, kind, chars, key_hash, key_hint, \
         created_by, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) returning id"
    )
    .bind(s.unit.0)
    .bind(&s.unit.1)
    .bind(&s.region.0)
    .bind(&s.region.1)
    .bind(&s.what.0)
    .bind(s.what.1)
    .bind(s.what.2)
    .bind(&s.key.0)
    .bind(&s.key.1)
    .bind(s.created_by)
    .bind(now)
    .fetch_one(&mut *c)
    .await)?;
    tx.commit().await?;
    Ok(id)
}

/// Screens run by units inside the scope, silent ones (pulled longest ago) first.
pub async fn screens(db: &Db, scope: &Scope) -> Result<Vec<Screen>> {
    let (low, high) = scope.bounds();
    let sql = format!(
        "{SCREEN_SELECT} where s.unit_path >= $1 and s.unit_path < $2 \
         order by s.revoked_at is not null, s.pulled_at is not null, s.pulled_at, s.id"
    );
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(low).bind(&high).fetch_all(p).await)?)
}

/// One screen run inside the scope.
pub async fn screen(db: &Db, scope: &Scope, id: i64) -> Result<Screen> {
    let (low, high) = scope.bounds();
    let sql = format!("{SCREEN_SELECT} where s.unit_path >= $1 and s.unit_path < $2 and s.id = $3");
    on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(low).bind(&high).bind(id).fetch_optional(p).await)?
        .ok_or(Error::NotFound)
}

/// The live screen whose key has this hash, counting the pull at `now`.
pub async fn pull(db: &Db, key_hash: &str, now: OffsetDateTime) -> Result<Screen> {
    let mut tx = db.begin().await?;
    let done = on_tx!(&mut tx, |c| sqlx::query(
        "update screen set pulled_at = $2, pulls = pulls + 1 where key_hash = $1 and revoked_at is null"
    )
    .bind(key_hash)
    .bind(now)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    if done == 0 {
        return Err(Error::NotFound);
    }
    let sql = format!("{SCREEN_SELECT} where s.key_hash = $1");
    let s = on_tx!(&mut tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(key_hash).fetch_one(&mut *c).await)?;
    tx.commit().await?;
    Ok(s)
}

/// Revokes a screen's key.
pub async fn revoke(db: &Db, id: i64, now: OffsetDateTime) -> Result<()> {
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |c| sqlx::query("update screen set revoked_at = $2 where id = $1 and revoked_at is null")
        .bind(id)
        .bind(now)
        .execute(&mut *c)
        .await
        .map(|_| ()))?;
    tx.commit().await?;
    Ok(())
}

/// A caption scheduled on the screens of a region at a time of day.
#[derive(Clone, Debug, FromRow, Serialize)]
pub struct Slot {
    /// Id.
    pub id: i64,
    /// The unit that scheduled it.
    pub unit_name: String,
    /// Its region path.
    pub unit_path: String,
    /// Where it shows: the region and the screens under it.
    pub region_code: String,
    /// The region's name.
    pub region_name: String,
    /// The region's path.
    pub region_path: String,
    /// The kind of screen it is for (every kind when none).
    pub kind: Option<Kind>,
    /// The campaign it belongs to.
    pub campaign_id: Option<i64>,
    /// The campaign's name.
    pub campaign_name: Option<String>,
    /// The caption.
    pub text: String,
    /// First and last day.
    pub starts_on: Date,
    /// Last day.
    pub ends_on: Date,
    /// From this minute of the day (Beijing time) …
    pub from_minute: i64,
    /// … to this one, not included.
    pub to_minute: i64,
}

const SLOT_SELECT: &str = "select s.id, u.name as unit_name, s.unit_path, s.region_code, r.name as region_name, s.region_path, s.kind, \
     s.campaign_id, c.name as campaign_name, s.text, s.starts_on, s.ends_on, s.from_minute, s.to_minute \
     from screen_slot s join unit u on u.id = s.unit_id join region r on r.code = s.region_code \
     left join campaign c on c.id = s.campaign_id";

/// A slot to store.
pub struct NewSlot {
    /// Unit id and path.
    pub unit: (i64, String),
    /// Region code and path.
    pub region: (String, String),
    /// The kind of screen, or every kind.
    pub kind: Option<Kind>,
    /// The campaign.
    pub campaign_id: Option<i64>,
    /// The caption.
    pub text: String,
    /// First and last day.
    pub days: (Date, Date),
    /// Minutes of the day, from and to.
    pub minutes: (i64, i64),
    /// Author.
    pub created_by: i64,
}

async fn insert_slot_tx(tx: &mut crate::db::Tx, s: &NewSlot, now: OffsetDateTime) -> Result<i64> {
    Ok(on_tx!(tx, |c| sqlx::query_scalar(
        "insert into screen_slot (unit_id, unit_path, region_code, region_path, kind, campaign_id, text, starts_on, \
         ends_on, from_minute, to_minute, created_by, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) returning id"
    )
    .bind(s.unit.0)
    .bind(&s.unit.1)
    .bind(&s.region.0)
    .bind(&s.region.1)
    .bind(s.kind)
    .bind(s.campaign_id)
    .bind(&s.text)
    .bind(s.days.0)
    .bind(s.days.1)
    .bind(s.minutes.0)
    .bind(s.minutes.1)
    .bind(s.created_by)
    .bind(now)
    .fetch_one(&mut *c)
    .await)?)
}

/// Stores a slot; returns its id.
pub async fn insert_slot(db: &Db, s: &NewSlot, now: OffsetDateTime) -> Result<i64> {
    let mut tx = db.begin().await?;
    let id = insert_slot_tx(&mut tx, s, now).await?;
    tx.commit().await?;
    Ok(id)
}

/// Removes a slot scheduled by a unit inside the scope and, when `with` is given, stores that one in
/// its place, in one transaction; returns the new slot's id.
pub async fn replace_slot(
    db: &Db,
    scope: &Scope,
    id: i64,
    with: Option<&NewSlot>,
    now: OffsetDateTime,
) -> Result<Option<i64>> {
    let (low, high) = scope.bounds();
    let mut tx = db.begin().await?;
    let done = on_tx!(&mut tx, |c| sqlx::query(
        "delete from screen_slot where id = $3 and unit_path >= $1 and unit_path < $2"
    )
    .bind(low)
    .bind(&high)
    .bind(id)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    if done == 0 {
        return Err(Error::NotFound);
    }
    let new = match with {
        Some(s) => Some(insert_slot_tx(&mut tx, s, now).await?),
        None => None,
    };
    tx.commit().await?;
    Ok(new)
}

/// One slot scheduled by a unit inside the scope.
pub async fn slot(db: &Db, scope: &Scope, id: i64) -> Result<Slot> {
    let (low, high) = scope.bounds();
    let sql = format!("{SLOT_SELECT} where s.unit_path >= $1 and s.unit_path < $2 and s.id = $3");
    on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(low).bind(&high).bind(id).fetch_optional(p).await)?
        .ok_or(Error::NotFound)
}

/// Slots that show on screens of the scope (scheduled for a place inside it or above it) and have
/// not ended before `today`, soonest first.
pub async fn slots(db: &Db, scope: &Scope, today: Date) -> Result<Vec<Slot>> {
    let (low, high) = scope.bounds();
    let sql = format!(
        "{SLOT_SELECT} where (s.region_path >= $1 and s.region_path < $2 or $1 like s.region_path || '%') and s.ends_on >= $3 \
         order by s.starts_on, s.from_minute, s.id"
    );
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(low).bind(&high).bind(today).fetch_all(p).await)?)
}

/// Slots on `day` over the place at `path` (scheduled for it or a region above it).
pub async fn slots_over(db: &Db, path: &str, day: Date) -> Result<Vec<Slot>> {
    let sql = format!(
        "{SLOT_SELECT} where s.starts_on <= $2 and s.ends_on >= $2 and substr($1, 1, length(s.region_path)) = s.region_path \
         order by s.from_minute, s.id"
    );
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(path).bind(day).fetch_all(p).await)?)
}
