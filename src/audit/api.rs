//! JSON API of the audit trail: read-only, scoped, admins only.

use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Outcome;
use super::store::{self, Record};
use crate::org::Permission;
use crate::org::caller::Principal;
use crate::web::AppState;
use crate::web::extract::Query;
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
            Some(_) => return Err(Error::invalid("outcome", "expected ok or denied")),
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

/// Audit records within your area, newest first (admins).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery), responses((status = 200, body = Vec<Record>), (status = 403, body = crate::error::Problem)))]
async fn list(
    State(s): State<AppState>,
    me: Principal,
    Query(q): Query<AuditQuery>,
) -> Result<axum::Json<Vec<Record>>> {
    me.require(Permission::ViewAudit)?;
    Ok(axum::Json(store::list(&s.db, &me.scope, &q.filter()?, 200).await?))
}

/// The routes of this area.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}
