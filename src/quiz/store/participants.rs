//! Participants: who joined a quiz, by device and region.

use sqlx::FromRow;

use crate::db::Db;
use crate::{Result, clock, on_db};

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
}

/// How a participant is recognised.
#[derive(Clone, Debug)]
pub enum ParticipantKey {
    /// The hash of the token kept by their browser.
    Device(String),
    /// A verified phone: (blind index, sealed, masked).
    Phone(String, String, String),
}

pub(super) const PARTICIPANT_COLUMNS: &str = "id, nickname, region_code, region_path, school, phone_masked";

/// The participant with this key, registering them first when new. An existing participant keeps
/// the region and school they registered with.
pub async fn participant(db: &Db, p: &NewParticipant) -> Result<Participant> {
    let (device, phone) = match &p.key {
        ParticipantKey::Device(h) => (Some(h.as_str()), None),
        ParticipantKey::Phone(i, s, m) => (None, Some((i.as_str(), s.as_str(), m.as_str()))),
    };
    let column = if device.is_some() { "device_hash" } else { "phone_index" };
    let key = device.or(phone.map(|x| x.0)).unwrap_or_default();
    let insert = format!(
        "insert into participant (device_hash, phone_index, phone_sealed, phone_masked, nickname, region_code, region_path, \
         school, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict ({column}) do nothing"
    );
    let select = format!("select {PARTICIPANT_COLUMNS} from participant where {column} = $1");
    on_db!(db, |pool| {
        sqlx::query(sqlx::AssertSqlSafe(insert))
            .bind(device)
            .bind(phone.map(|x| x.0))
            .bind(phone.map(|x| x.1))
            .bind(phone.map_or("", |x| x.2))
            .bind(&p.nickname)
            .bind(&p.region.0)
            .bind(&p.region.1)
            .bind(&p.school)
            .bind(clock::now())
            .execute(pool)
            .await?;
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(select)).bind(key).fetch_one(pool).await?)
    })
}

/// A registered participant by device hash (no registration).
pub async fn participant_by_device(db: &Db, device_hash: &str) -> Result<Option<Participant>> {
    let sql = format!("select {PARTICIPANT_COLUMNS} from participant where device_hash = $1");
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(device_hash).fetch_optional(p).await)?)
}
