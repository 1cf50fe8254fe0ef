//! The audit trail: every login, every state-changing action and every view or export of personal
//! data writes one record with [`record`]. Records cannot be changed or deleted (the database
//! refuses it); admins read them, scoped like everything else.

pub mod api;
pub mod pages;
pub mod queries;
pub mod store;

use serde::{Deserialize, Serialize};
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
