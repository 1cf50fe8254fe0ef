//! JSON API of the audit trail: read-only, scoped, admins only.

use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::queries::AuditQuery;
use super::store::{self, Record};
use crate::Result;
use crate::org::Permission;
use crate::org::caller::Principal;
use crate::web::AppState;
use crate::web::extract::Query;

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
