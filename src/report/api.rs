//! JSON API of the written report.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Report;
use super::actions::{self, EditInput, MarkInput};
use super::store::Authored;
use crate::org::caller::Principal;
use crate::web::AppState;
use crate::web::extract::{Json, Path, Query};
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

/// Writes the authors' fields of a region's report: whose deployment, the documents, the next
/// steps (planners, for a region inside their area).
#[utoipa::path(put, path = "/api/v1/campaigns/{id}/report/text", tag = "reports", params(("id" = i64, Path), ReportQuery), request_body = Authored, responses((status = 204), (status = 422, body = crate::error::Problem)))]
async fn set_text(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Query(q): Query<ReportQuery>,
    Json(input): Json<Authored>,
) -> Result<StatusCode> {
    actions::set_authored(&s.db, &me, id, q.region.as_deref(), &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Pins a record into a region's report, hides it, or lets salience decide (`auto`).
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/report/marks", tag = "reports", params(("id" = i64, Path), ReportQuery), request_body = MarkInput, responses((status = 204), (status = 422, body = crate::error::Problem)))]
async fn set_mark(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Query(q): Query<ReportQuery>,
    Json(input): Json<MarkInput>,
) -> Result<StatusCode> {
    actions::set_mark(&s.db, &me, id, q.region.as_deref(), &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Rewrites a paragraph of a region's report by hand (an empty text goes back to the generated
/// one). The edit is kept over the paragraph generated now and audited.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/report/edits", tag = "reports", params(("id" = i64, Path), ReportQuery), request_body = EditInput, responses((status = 204), (status = 422, body = crate::error::Problem)))]
async fn edit(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Query(q): Query<ReportQuery>,
    Json(input): Json<EditInput>,
) -> Result<StatusCode> {
    actions::edit(&s.db, &me, id, q.region.as_deref(), &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The routes of this area.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(report))
        .routes(routes!(set_text))
        .routes(routes!(set_mark))
        .routes(routes!(edit))
}
