//! Participants: who joined a quiz, by device and region.

use sqlx::FromRow;

use crate::db::Db;
use crate::{Result, clock, on_db, on_tx};

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

/// The participant with this key, registering them first when new (flagged `shared_device` when
/// their fingerprint registered [`NewParticipant::per_fingerprint`] others in the last day). An
/// existing participant keeps the region, school and flags they registered with.
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
    let found = on_tx!(&mut tx, |c| {
        let same: i64 = sqlx::query_scalar("select count(*) from participant where fingerprint = $1 and created_at >= $2")
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
