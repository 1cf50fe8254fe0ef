//! The read side shared by the audit API and page: the filters people pass.

use serde::Deserialize;
use utoipa::IntoParams;

use super::Outcome;
use super::store;
use crate::{Error, Result};

/// Audit filters.
#[derive(Deserialize, IntoParams, Default)]
pub struct AuditQuery {
    /// Action starts with (`session.`, `user.create`, …).
    pub action: Option<String>,
    /// Actor login name.
    pub actor: Option<String>,
    /// `ok` or `denied`.
    pub outcome: Option<String>,
    /// Only records older than this id (paging).
    pub before_id: Option<i64>,
}

impl AuditQuery {
    /// The store filter for these parameters.
    pub fn filter(&self) -> Result<store::Filter> {
        let nonempty = |s: &Option<String>| s.clone().filter(|s| !s.trim().is_empty());
        let outcome = match nonempty(&self.outcome).as_deref() {
            None => None,
            Some("ok") => Some(Outcome::Ok),
            Some("denied") => Some(Outcome::Denied),
            Some(_) => return Err(Error::invalid("outcome", "error.audit_outcome")),
        };
        Ok(store::Filter {
            action: nonempty(&self.action),
            actor: nonempty(&self.actor),
            outcome,
            before_id: self.before_id,
            ..store::Filter::default()
        })
    }
}
