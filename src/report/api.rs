//! JSON API of the written report.

use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Report;
use crate::org::caller::Principal;
use crate::web::AppState;
use crate::web::extract::{Path, Query};
use crate::{Result, clock};

/// Report parameters.
#[derive(Deserialize, IntoParams)]
pub struct ReportQuery {
    /// Region code (default: the top of your area).
    region: Option<String>,
}

/// The written report of a campaign for a region: sections (text with each figure linked to its
/// records), tables, and charts as SVG.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/report", tag = "reports", params(("id" = i64, Path), ReportQuery), responses((status = 200, body = Report)))]
async fn report(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Query(q): Query<ReportQuery>,
) -> Result<axum::Json<Report>> {
    Ok(axum::Json(super::build(&s.db, &me.scope, id, q.region.as_deref(), clock::today()).await?))
}

/// The routes of this area.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(report))
}
