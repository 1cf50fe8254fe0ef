//! Participants: who joined a quiz, by device and region.

use sqlx::FromRow;
use time::OffsetDateTime;

use std::collections::{HashMap, HashSet};

use crate::db::{Db, Tx};
pub use crate::push::store::Proved;
use crate::{Error, Result, clock, on_db, on_tx};

/// Someone who takes quizzes.
#[derive(Clone, Debug, FromRow)]
pub struct Participant {
    /// Id.
    pub id: i64,
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
    /// The hash of the token kept by their browser.
    pub device_hash: String,
    /// Nickname.
    pub nickname: String,
    /// The code of the region they live in (in Jilin).
    pub region_code: String,
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

pub(super) const PARTICIPANT_COLUMNS: &str = "id, nickname, region_code, region_path, school, phone_masked, flags";

/// A participant with the device that finds them.
#[derive(FromRow)]
struct OfDevice {
    device_hash: Option<String>,
    #[sqlx(flatten)]
    participant: Participant,
}

/// The participants of `devices`, by device.
async fn of_devices(tx: &mut Tx, devices: &[&str]) -> Result<HashMap<String, Participant>> {
    let mut out = HashMap::with_capacity(devices.len());
    for chunk in devices.chunks(crate::db::CHUNK_ROWS) {
        let rows: Vec<OfDevice> = on_tx!(&mut *tx, |c| {
            let sql = format!("select device_hash, {PARTICIPANT_COLUMNS} from participant where device_hash");
            let mut q = sqlx::QueryBuilder::new(sql);
            crate::db::push_in(&mut q, chunk.iter().copied());
            q.build_query_as().fetch_all(&mut *c).await?
        });
        out.extend(rows.into_iter().filter_map(|r| Some((r.device_hash?, r.participant))));
    }
    Ok(out)
}

/// The participants of these devices, in one transaction, registering those who are new: each
/// in a region of the province (refused with `error.no_region_jilin` otherwise), within their
/// address's hourly budget ([`NewParticipant::address`]; refused with
/// `error.players_per_hour` beyond it), and flagged `shared_device` when their fingerprint
/// registered [`NewParticipant::per_fingerprint`] others in the last day (counting those before
/// them in `new`). An existing participant keeps the region, school and flags they registered
/// with, and spends no budget.
pub async fn participants(db: &Db, new: &[NewParticipant]) -> Result<Vec<Result<Participant>>> {
    let now = clock::now();
    let mut codes: Vec<&str> = new.iter().map(|p| p.region_code.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    let province = crate::org::Scope::province();
    let (low, high) = province.bounds();
    let paths: HashMap<String, String> = on_db!(db, |pool| {
        let mut q = sqlx::QueryBuilder::new("select code, path from region where path >= ");
        q.push_bind(low).push(" and path < ").push_bind(&high).push(" and code");
        crate::db::push_in(&mut q, codes.iter().copied());
        q.build_query_as::<(String, String)>().fetch_all(pool).await
    })?
    .into_iter()
    .collect();
    let here: Vec<&NewParticipant> = new.iter().filter(|p| paths.contains_key(&p.region_code)).collect();
    if here.is_empty() {
        return Ok(new.iter().map(|_| Err(Error::invalid("region_code", "error.no_region_jilin"))).collect());
    }
    let devices: Vec<&str> = here.iter().map(|p| p.device_hash.as_str()).collect();
    let mut tx = db.begin().await?;
    // Joins from one fingerprint or one address at once take turns, so none slips past the counts.
    let mut fingerprints: Vec<&str> = here.iter().map(|p| p.fingerprint.as_str()).collect();
    fingerprints.sort_unstable();
    fingerprints.dedup();
    let locks = fingerprints.iter().map(|f| format!("quiz-fingerprint:{f}"));
    let budgets = here.iter().map(|p| crate::org::store::budget_key("quiz_join", &p.address.0));
    tx.lock_keys(&locks.chain(budgets).collect::<Vec<_>>()).await?;
    let known = of_devices(&mut tx, &devices).await?;
    let mut seen = HashSet::new();
    let fresh: Vec<&NewParticipant> = here
        .iter()
        .copied()
        .filter(|p| !known.contains_key(&p.device_hash) && seen.insert(p.device_hash.as_str()))
        .collect();
    let uses: Vec<(&str, i64)> = fresh.iter().map(|p| (p.address.0.as_str(), p.address.1)).collect();
    let spent = crate::org::store::spend_in(&mut tx, "quiz_join", &uses, now).await?;
    let counted: Vec<(String, i64)> = on_tx!(&mut tx, |c| {
        let mut q = sqlx::QueryBuilder::new("select fingerprint, count(*) from participant where created_at >= ");
        q.push_bind(now - time::Duration::days(1)).push(" and fingerprint");
        crate::db::push_in(&mut q, fingerprints.iter().copied());
        q.push(" group by fingerprint").build_query_as().fetch_all(&mut *c).await?
    });
    let mut same: HashMap<String, i64> = counted.into_iter().collect();
    let mut refused = HashSet::new();
    let mut rows = Vec::with_capacity(fresh.len());
    for (p, spent) in fresh.into_iter().zip(spent) {
        if spent.is_none() {
            refused.insert(p.device_hash.as_str());
            continue;
        }
        let n = same.entry(p.fingerprint.clone()).or_insert(0);
        rows.push((p, if *n >= p.per_fingerprint { "shared_device" } else { "" }));
        *n += 1;
    }
    let mut all = known;
    for chunk in rows.chunks(crate::db::CHUNK_ROWS / 8) {
        let stored: Vec<OfDevice> = on_tx!(&mut tx, |c| {
            let mut q = sqlx::QueryBuilder::new(
                "insert into participant (device_hash, nickname, region_code, region_path, school, created_at, fingerprint, flags) ",
            );
            q.push_values(chunk, |mut b, (p, flags)| {
                b.push_bind(&p.device_hash)
                    .push_bind(&p.nickname)
                    .push_bind(&p.region_code)
                    .push_bind(paths.get(&p.region_code))
                    .push_bind(&p.school)
                    .push_bind(now)
                    .push_bind(&p.fingerprint)
                    .push_bind(*flags);
            });
            q.push(format!(" on conflict (device_hash) do nothing returning device_hash, {PARTICIPANT_COLUMNS}"));
            q.build_query_as().fetch_all(&mut *c).await?
        });
        all.extend(stored.into_iter().filter_map(|r| Some((r.device_hash?, r.participant))));
    }
    // A device registered meanwhile by another process was not stored here: read it.
    let missing: Vec<&str> =
        devices.iter().copied().filter(|d| !all.contains_key(*d) && !refused.contains(d)).collect();
    if !missing.is_empty() {
        all.extend(of_devices(&mut tx, &missing).await?);
    }
    tx.commit().await?;
    Ok(new
        .iter()
        .map(|p| {
            if !paths.contains_key(&p.region_code) {
                return Err(Error::invalid("region_code", "error.no_region_jilin"));
            }
            if refused.contains(p.device_hash.as_str()) {
                return Err(Error::TooMany("error.players_per_hour".into()));
            }
            all.get(&p.device_hash)
                .cloned()
                .ok_or_else(|| Error::Internal(anyhow::anyhow!("a participant was not stored")))
        })
        .collect())
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
