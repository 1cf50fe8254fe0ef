//! JSON API for warnings, under `/api/v1/alerts`. The published CAP documents and their index are
//! public (see [`super::cap`]).

use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::actions::{self, AlertInput};
use super::store::{self, Alert};
use crate::Result;
use crate::org::caller::Principal;
use crate::web::AppState;
use crate::web::extract::{Json, Path};

/// Warnings issued by units in the caller's area, the latest first.
#[utoipa::path(get, path = "/api/v1/alerts", tag = "alerts", responses((status = 200, body = Vec<Alert>)))]
async fn alerts(State(s): State<AppState>, me: Principal) -> Result<axum::Json<Vec<Alert>>> {
    Ok(axum::Json(store::alerts(&s.db, &me.scope, 500).await?))
}

/// Composes a draft warning of the caller's unit.
#[utoipa::path(post, path = "/api/v1/alerts", tag = "alerts", request_body = AlertInput, responses((status = 201, body = Alert), (status = 422, body = crate::error::Problem)))]
async fn create(
    State(s): State<AppState>,
    me: Principal,
    Json(input): Json<AlertInput>,
) -> Result<(StatusCode, axum::Json<Alert>)> {
    let id = actions::create(&s.db, &me, &input, &s.config.cap_sector_code).await?;
    Ok((StatusCode::CREATED, axum::Json(store::alert(&s.db, &me.scope, id).await?)))
}

/// One warning.
#[utoipa::path(get, path = "/api/v1/alerts/{id}", tag = "alerts", params(("id" = i64, Path)), responses((status = 200, body = Alert), (status = 404, body = crate::error::Problem)))]
async fn alert(State(s): State<AppState>, me: Principal, Path(id): Path<i64>) -> Result<axum::Json<Alert>> {
    Ok(axum::Json(store::alert(&s.db, &me.scope, id).await?))
}

/// A published message: its identifier and its CAP document's address.
#[derive(Serialize, ToSchema)]
pub struct Published {
    /// CAP `identifier`.
    identifier: String,
    /// Its CAP document.
    url: String,
}

fn published(s: &AppState, identifier: String) -> Published {
    Published { url: format!("{}/cap/{identifier}.xml", s.config.base_url()), identifier }
}

/// Signs a draft off (someone other than its author), which publishes it.
#[utoipa::path(post, path = "/api/v1/alerts/{id}/sign-off", tag = "alerts", params(("id" = i64, Path)), responses((status = 200, body = Published), (status = 409, body = crate::error::Problem)))]
async fn sign_off(State(s): State<AppState>, me: Principal, Path(id): Path<i64>) -> Result<axum::Json<Published>> {
    Ok(axum::Json(published(&s, actions::sign_off(&s.db, &me, id).await?)))
}

/// Calls a published warning off with a `Cancel` message.
#[utoipa::path(post, path = "/api/v1/alerts/{id}/cancel", tag = "alerts", params(("id" = i64, Path)), responses((status = 200, body = Published), (status = 409, body = crate::error::Problem)))]
async fn call_off(State(s): State<AppState>, me: Principal, Path(id): Path<i64>) -> Result<axum::Json<Published>> {
    Ok(axum::Json(published(&s, actions::call_off(&s.db, &me, id).await?)))
}

/// The routes of this area.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(alerts, create))
        .routes(routes!(alert))
        .routes(routes!(sign_off))
        .routes(routes!(call_off))
}
