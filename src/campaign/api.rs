//! JSON API for campaigns, duties, the overview and the metric catalogue, under `/api/v1`.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::actions::{self, DutyInput, NewCampaign};
use super::store::{self, Campaign, Metric};
use crate::org::caller::Principal;
use crate::report::overview::{self, DutyProgress, Overview};
use crate::web::AppState;
use crate::web::extract::{Json, Path, Query};
use crate::{Result, clock};

/// Campaigns visible to you (owned in your area or above it), newest first.
#[utoipa::path(get, path = "/api/v1/campaigns", tag = "campaigns", responses((status = 200, body = Vec<Campaign>)))]
async fn list(State(s): State<AppState>, me: Principal) -> Result<axum::Json<Vec<Campaign>>> {
    Ok(axum::Json(store::campaigns(&s.db, &me.scope).await?))
}

/// Makes a campaign owned by your unit (planners).
#[utoipa::path(post, path = "/api/v1/campaigns", tag = "campaigns", request_body = NewCampaign, responses((status = 201, body = Campaign), (status = 422, body = crate::error::Problem)))]
async fn create(
    State(s): State<AppState>,
    me: Principal,
    Json(input): Json<NewCampaign>,
) -> Result<(StatusCode, axum::Json<Campaign>)> {
    let id = actions::create(&s.db, &me, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(store::campaign(&s.db, &me.scope, id).await?)))
}

/// One campaign.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}", tag = "campaigns", params(("id" = i64, Path)), responses((status = 200, body = Campaign), (status = 404, body = crate::error::Problem)))]
async fn get_one(State(s): State<AppState>, me: Principal, Path(id): Path<i64>) -> Result<axum::Json<Campaign>> {
    Ok(axum::Json(store::campaign(&s.db, &me.scope, id).await?))
}

/// Overview parameters.
#[derive(Deserialize, IntoParams)]
pub struct OverviewQuery {
    /// Region code (default: the top of your area).
    region: Option<String>,
}

/// Totals per region and progress per duty.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/overview", tag = "campaigns", params(("id" = i64, Path), OverviewQuery), responses((status = 200, body = Overview)))]
async fn get_overview(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Query(q): Query<OverviewQuery>,
) -> Result<axum::Json<Overview>> {
    Ok(axum::Json(overview::overview(&s.db, &me.scope, id, q.region.as_deref(), clock::today()).await?))
}

/// A status change.
#[derive(Deserialize, ToSchema)]
pub struct StatusChange {
    /// planning, running or closed.
    #[schema(value_type = crate::campaign::Status)]
    status: String,
}

/// Changes a campaign's status (its owner's planners).
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/status", tag = "campaigns", params(("id" = i64, Path)), request_body = StatusChange, responses((status = 204)))]
async fn set_status(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Json(input): Json<StatusChange>,
) -> Result<StatusCode> {
    actions::set_status(&s.db, &me, id, &input.status).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The name of a campaign started from another.
#[derive(Deserialize, ToSchema)]
pub struct CopyRequest {
    /// The new campaign's name.
    name: String,
}

/// Starts a new campaign from this one: same theme and duties, one year later.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/copy", tag = "campaigns", params(("id" = i64, Path)), request_body = CopyRequest, responses((status = 201, body = Campaign)))]
async fn copy(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Json(input): Json<CopyRequest>,
) -> Result<(StatusCode, axum::Json<Campaign>)> {
    let new = actions::copy(&s.db, &me, id, &input.name).await?;
    Ok((StatusCode::CREATED, axum::Json(store::campaign(&s.db, &me.scope, new).await?)))
}

/// The duties of a campaign assigned inside your area, with progress.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/duties", tag = "duties", params(("id" = i64, Path)), responses((status = 200, body = Vec<DutyProgress>)))]
async fn duties(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
) -> Result<axum::Json<Vec<DutyProgress>>> {
    Ok(axum::Json(overview::overview(&s.db, &me.scope, id, None, clock::today()).await?.duties))
}

/// Writes duties of a campaign (planners), all or nothing.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/duties", tag = "duties", params(("id" = i64, Path)), request_body = Vec<DutyInput>, responses((status = 201, body = Vec<i64>)))]
async fn add_duties(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Json(input): Json<Vec<DutyInput>>,
) -> Result<(StatusCode, axum::Json<Vec<i64>>)> {
    Ok((StatusCode::CREATED, axum::Json(actions::add_duties(&s.db, &me, id, &input).await?)))
}

/// Your unit's duties in campaigns that are not closed, with progress.
#[utoipa::path(get, path = "/api/v1/duties/mine", tag = "duties", responses((status = 200, body = Vec<DutyProgress>)))]
async fn mine(State(s): State<AppState>, me: Principal) -> Result<axum::Json<Vec<DutyProgress>>> {
    Ok(axum::Json(overview::unit_duties(&s.db, me.user.unit_id, clock::today()).await?))
}

/// The metric catalogue.
#[utoipa::path(get, path = "/api/v1/metrics", tag = "metrics", responses((status = 200, body = Vec<Metric>)))]
async fn metrics(State(s): State<AppState>, _me: Principal) -> Result<axum::Json<Vec<Metric>>> {
    Ok(axum::Json(store::metrics(&s.db).await?))
}

/// The routes of this area.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get_one))
        .routes(routes!(get_overview))
        .routes(routes!(set_status))
        .routes(routes!(copy))
        .routes(routes!(duties, add_duties))
        .routes(routes!(mine))
        .routes(routes!(metrics))
}
