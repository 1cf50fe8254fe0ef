//! The audit trail: every login, every state-changing action and every view or export of personal
//! data writes one record with [`record`]. Records cannot be changed or deleted (the database
//! refuses it); admins read them, scoped like everything else. The records are hash-chained, so
//! that one changed or removed behind the database's back is found by [`verify`].

pub mod api;
pub mod pages;
pub mod queries;
pub mod store;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use utoipa::ToSchema;

use crate::Result;
use crate::db::Db;

/// Who acted, from where, and the region the record belongs to (for scoped reading).
#[derive(Clone, Debug)]
pub struct Actor {
    /// The user, when signed in.
    pub user_id: Option<i64>,
    /// Login name (or what was typed at a failed login).
    pub name: String,
    /// Client address.
    pub ip: String,
    /// Region path of the actor's unit (the province for unknown actors).
    pub region_path: String,
}

/// How an action ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Done.
    Ok,
    /// Refused: wrong password, locked, not allowed.
    Denied,
}

impl Outcome {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Denied => "denied",
        }
    }
}

/// What a record's link in the chain covers: everything it says, its time in microseconds (what
/// both databases keep exactly).
#[derive(Clone, Debug)]
pub(crate) struct Chained {
    pub(crate) at_micros: i64,
    pub(crate) actor_id: Option<i64>,
    pub(crate) actor: String,
    pub(crate) ip: String,
    pub(crate) action: String,
    pub(crate) object_kind: String,
    pub(crate) object_id: String,
    pub(crate) outcome: String,
    pub(crate) detail: String,
    pub(crate) region_path: String,
}

/// A record's hash: SHA-256 over the previous record's hash and every field of this one, each
/// prefixed with its length so that no two different records read alike.
pub(crate) fn link(previous: &str, r: &Chained) -> String {
    let mut h = Sha256::new();
    let actor_id = r.actor_id.map_or_else(String::new, |i| i.to_string());
    let at = r.at_micros.to_string();
    for field in [
        previous,
        &at,
        &actor_id,
        &r.actor,
        &r.ip,
        &r.action,
        &r.object_kind,
        &r.object_id,
        &r.outcome,
        &r.detail,
        &r.region_path,
    ] {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(h.finalize())
}

/// What a walk along the chain found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// Records whose link holds.
    pub chained: u64,
    /// Records written before the chain began (they carry no hash).
    pub before_chain: u64,
    /// The first record whose link does not hold: it, or the one before it, was changed or
    /// removed.
    pub broken_at: Option<i64>,
    /// The newest record and its hash, `id:hash`: kept outside the database (in the operations
    /// log, with the day's backup), it is the checkpoint a later walk is given.
    pub head: Option<String>,
    /// When a checkpoint was given: whether the chain still holds that record with that hash. A
    /// `false` means records up to it were removed (the tail cut off) or rewritten.
    pub checkpoint_holds: Option<bool>,
}

/// Walks the whole chain, oldest first; `checkpoint` is a head printed by an earlier walk.
pub async fn verify(db: &Db, checkpoint: Option<&str>) -> Result<Verified> {
    let expected = match checkpoint {
        Some(c) => {
            Some(c.split_once(':').and_then(|(id, hash)| Some((id.parse::<i64>().ok()?, hash.to_owned()))).ok_or_else(
                || crate::Error::invalid("head", "a checkpoint is written id:hash, as verify printed it"),
            )?)
        }
        None => None,
    };
    let mut v = Verified { chained: 0, before_chain: 0, broken_at: None, head: None, checkpoint_holds: None };
    let (mut previous, mut after) = (String::new(), 0);
    let mut seen = expected.as_ref().map(|_| false);
    loop {
        let page = store::chain_page(db, after, 5_000).await?;
        let Some(last) = page.last() else { break };
        after = last.0;
        for (id, hash, record) in page {
            if hash.is_empty() && v.chained == 0 {
                v.before_chain += 1;
            } else if hash == link(&previous, &record) {
                v.chained += 1;
                if expected.as_ref().is_some_and(|(at, h)| *at == id && *h == hash) {
                    seen = Some(true);
                }
                v.head = Some(format!("{id}:{hash}"));
                previous = hash;
            } else {
                v.broken_at = Some(id);
                break;
            }
        }
        if v.broken_at.is_some() {
            break;
        }
    }
    v.checkpoint_holds = seen;
    Ok(v)
}

/// Writes one audit record: `action` (such as `user.create`) on `object` (kind, id).
pub async fn record(
    db: &Db,
    who: &Actor,
    action: &str,
    object: (&str, &str),
    outcome: Outcome,
    detail: &str,
) -> Result<()> {
    store::insert(db, who, action, object, outcome, detail).await
}

/// Audits the result of a change and passes it on: `ok` when done, `denied` when refused for role
/// or scope. Input errors change nothing and are not recorded.
pub async fn outcome<T>(db: &Db, who: &Actor, action: &str, object: (&str, &str), result: Result<T>) -> Result<T> {
    let outcome = match &result {
        Ok(_) => Outcome::Ok,
        Err(crate::Error::Forbidden | crate::Error::NotFound) => Outcome::Denied,
        Err(_) => return result,
    };
    record(db, who, action, object, outcome, "").await?;
    result
}
