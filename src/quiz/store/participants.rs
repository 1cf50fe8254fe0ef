//! Participants: who joined a quiz, by device and region.

use sqlx::FromRow;
use time::OffsetDateTime;

use crate::db::Db;
pub use crate::push::store::Proved;
use crate::{Error, Result, clock, on_db, on_tx};

/// Someone who takes quizzes.
#[derive(Clone, Debug, FromRow)]
pub struct Participant {
    pub(crate) id: i64,
    /// Nickname shown on leaderboards.
    pub nickname: String,
    /// Where they live.
    pub region_code: String,
    /// Its path.
    pub region_path: String,
    /// Their school or unit (for the per-school board).
    pub school: String,
    /// The masked phone number, when they identified by phone.
    pub phone_masked: String,
    /// Why their attempts are held back for staff (`shared_device`), comma-separated.
    pub flags: String,
}

/// A participant to find or register.
#[derive(Clone, Debug)]
pub struct NewParticipant {
    /// The hash of the device token (nickname mode), or the phone's blind index (phone mode).
    pub key: ParticipantKey,
    /// Nickname.
    pub nickname: String,
    /// Region (code, path).
    pub region: (String, String),
    /// School or unit.
    pub school: String,
    /// The keyed fingerprint of the browser they join from.
    pub fingerprint: String,
    /// Participants one fingerprint registers in a day before the next ones are flagged
    /// `shared_device`.
    pub per_fingerprint: i64,
    /// The keyed hash of the address they join from, and how many new participants one address
    /// may register in an hour.
    pub address: (String, i64),
}

/// How a participant is recognised.
#[derive(Clone, Debug)]
pub enum ParticipantKey {
    /// The hash of the token kept by their browser.
    Device(String),
    /// A verified phone: (blind index, sealed, masked).
    Phone(String, String, String),
}

pub(super) const PARTICIPANT_COLUMNS: &str = "id, nickname, region_code, region_path, school, phone_masked, flags";

/// The participant with this key, registering them first when new: within the address's hourly
/// budget ([`NewParticipant::address`], spent in the same transaction), and flagged
/// `shared_device` when their fingerprint registered [`NewParticipant::per_fingerprint`] others in
/// the last day. An existing participant keeps the region, school and flags they registered with.
pub async fn participant(db: &Db, p: &NewParticipant) -> Result<Participant> {
    let (device, phone) = match &p.key {
        ParticipantKey::Device(h) => (Some(h.as_str()), None),
        ParticipantKey::Phone(i, s, m) => (None, Some((i.as_str(), s.as_str(), m.as_str()))),
    };
    let column = if device.is_some() { "device_hash" } else { "phone_index" };
    let key = device.or(phone.map(|x| x.0)).unwrap_or_default();
    let insert = format!(
        "insert into participant (device_hash, phone_index, phone_sealed, phone_masked, nickname, region_code, region_path, \
         school, created_at, fingerprint, flags) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) on conflict ({column}) do nothing"
    );
    let now = clock::now();
    let select = format!("select {PARTICIPANT_COLUMNS} from participant where {column} = $1");
    let mut tx = db.begin().await?;
    crate::org::store::spend_in(&mut tx, "quiz_join", &p.address.0, now, p.address.1)
        .await?
        .ok_or_else(|| Error::TooMany("error.players_per_hour".into()))?;
    // Joins from one fingerprint at once take turns, so none slips past the count.
    tx.lock_key(&format!("quiz-fingerprint:{}", p.fingerprint)).await?;
    let found = on_tx!(&mut tx, |c| {
        let same: i64 =
            sqlx::query_scalar("select count(*) from participant where fingerprint = $1 and created_at >= $2")
                .bind(&p.fingerprint)
                .bind(now - time::Duration::days(1))
                .fetch_one(&mut *c)
                .await?;
        let flags = if same >= p.per_fingerprint { "shared_device" } else { "" };
        sqlx::query(sqlx::AssertSqlSafe(insert))
            .bind(device)
            .bind(phone.map(|x| x.0))
            .bind(phone.map(|x| x.1))
            .bind(phone.map_or("", |x| x.2))
            .bind(&p.nickname)
            .bind(&p.region.0)
            .bind(&p.region.1)
            .bind(&p.school)
            .bind(now)
            .bind(&p.fingerprint)
            .bind(flags)
            .execute(&mut *c)
            .await?;
        sqlx::query_as(sqlx::AssertSqlSafe(select)).bind(key).fetch_one(&mut *c).await?
    });
    tx.commit().await?;
    Ok(found)
}

/// A registered participant by device hash (no registration).
pub async fn participant_by_device(db: &Db, device_hash: &str) -> Result<Option<Participant>> {
    let sql = format!("select {PARTICIPANT_COLUMNS} from participant where device_hash = $1");
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(device_hash).fetch_optional(p).await)?)
}

/// A code sent for a device's participant to prove a phone with.
pub struct NewCheck<'a> {
    /// The device's hash.
    pub device_hash: &'a str,
    /// The phone's blind index.
    pub phone_index: &'a str,
    /// The phone, sealed.
    pub phone_sealed: &'a str,
    /// The phone as shown.
    pub phone_masked: &'a str,
    /// The code's keyed hash.
    pub code_hash: &'a str,
    /// Sent.
    pub sent_at: OffsetDateTime,
    /// Good until.
    pub expires_at: OffsetDateTime,
}

/// The code that waits for a device, if one does: when it was sent, and to which phone (masked).
pub async fn waiting_check(db: &Db, device_hash: &str) -> Result<Option<(OffsetDateTime, String)>> {
    Ok(on_db!(db, |p| sqlx::query_as("select sent_at, phone_masked from participant_check where device_hash = $1")
        .bind(device_hash)
        .fetch_optional(p)
        .await)?)
}

/// Keeps the code sent for a device, in place of any sent before.
pub async fn put_check(db: &Db, c: &NewCheck<'_>) -> Result<()> {
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |conn| {
        sqlx::query(
        "insert into participant_check (device_hash, phone_index, phone_sealed, phone_masked, code_hash, sent_at, expires_at, tries) \
         values ($1, $2, $3, $4, $5, $6, $7, 0) on conflict (device_hash) do update set phone_index = excluded.phone_index, \
         phone_sealed = excluded.phone_sealed, phone_masked = excluded.phone_masked, code_hash = excluded.code_hash, \
         sent_at = excluded.sent_at, expires_at = excluded.expires_at, tries = 0"
    )
    .bind(c.device_hash)
    .bind(c.phone_index)
    .bind(c.phone_sealed)
    .bind(c.phone_masked)
    .bind(c.code_hash)
    .bind(c.sent_at)
    .bind(c.expires_at)
    .execute(&mut *conn)
    .await
    .map(|_| ())
    })?;
    tx.commit().await?;
    Ok(())
}

/// Checks the code typed for a device against the one sent (at most `most_tries` tries). Right,
/// the phone is the participant `me`'s — or, when another participant proved it before, the
/// device moves to them, so that one phone stays one person.
pub async fn prove_check(
    db: &Db,
    me: i64,
    device_hash: &str,
    code_hash: &str,
    now: OffsetDateTime,
    most_tries: i64,
) -> Result<Proved> {
    let mut tx = db.begin().await?;
    tx.lock_key(&format!("quiz-check:{device_hash}")).await?;
    let waiting: Option<(String, String, String, String, OffsetDateTime, i64)> = on_tx!(&mut tx, |c| {
        sqlx::query_as(
        "select phone_index, phone_sealed, phone_masked, code_hash, expires_at, tries from participant_check where device_hash = $1"
    )
    .bind(device_hash)
    .fetch_optional(&mut *c)
    .await
    })?;
    let Some((index, sealed, masked, expected, expires_at, tries)) = waiting else {
        return Ok(Proved::NothingWaits);
    };
    if tries >= most_tries {
        return Ok(Proved::TooManyTries);
    }
    if now > expires_at {
        return Ok(Proved::Expired);
    }
    if expected != code_hash {
        on_tx!(&mut tx, |c| sqlx::query("update participant_check set tries = tries + 1 where device_hash = $1")
            .bind(device_hash)
            .execute(&mut *c)
            .await
            .map(|_| ()))?;
        tx.commit().await?;
        return Ok(Proved::Wrong);
    }
    // Two devices proving one phone at once take turns, so one phone stays one participant.
    tx.lock_key(&format!("quiz-phone:{index}")).await?;
    on_tx!(&mut tx, |c| {
        sqlx::query("delete from participant_check where device_hash = $1").bind(device_hash).execute(&mut *c).await?;
        let owner: Option<i64> = sqlx::query_scalar("select id from participant where phone_index = $1")
            .bind(&index)
            .fetch_optional(&mut *c)
            .await?;
        match owner {
            Some(owner) if owner != me => {
                sqlx::query("update participant set device_hash = null where id = $1")
                    .bind(me)
                    .execute(&mut *c)
                    .await?;
                sqlx::query("update participant set device_hash = $2 where id = $1")
                    .bind(owner)
                    .bind(device_hash)
                    .execute(&mut *c)
                    .await?;
            }
            Some(_) => {}
            None => {
                sqlx::query(
                    "update participant set phone_index = $2, phone_sealed = $3, phone_masked = $4 where id = $1",
                )
                .bind(me)
                .bind(&index)
                .bind(&sealed)
                .bind(&masked)
                .execute(&mut *c)
                .await?;
            }
        }
    });
    tx.commit().await?;
    Ok(Proved::Done)
}
