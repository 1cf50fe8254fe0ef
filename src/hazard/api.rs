//! JSON API for hazard reports under `/api/v1/hazards…` (staff) and `/api/v1/public/hazards…`
//! (residents, no account: report, add photos, follow with the tracking code, pick the place).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::actions::{self, HazardInput, Reported, TransitionInput};
use super::queries::{self, HazardDetail, HazardPage, ListParams, MapCount, Tracking};
use super::stats::{self, Stats};
use super::store::{self, Category};
use crate::org;
use crate::org::caller::Principal;
use crate::web::AppState;
use crate::web::extract::{Json, Path, Query};
use crate::web::session::RequestCtx;
use crate::{Error, Result, clock};

/// Hazards in your area, newest first, with filters.
#[utoipa::path(get, path = "/api/v1/hazards", tag = "hazards", params(ListParams), responses((status = 200, body = HazardPage)))]
async fn list(State(s): State<AppState>, me: Principal, Query(p): Query<ListParams>) -> Result<axum::Json<HazardPage>> {
    let f = p.filter(&s.db, &me).await?;
    Ok(axum::Json(queries::page(&s.db, &me, &f, p.before, p.limit.unwrap_or(50).clamp(1, 500)).await?))
}

/// A stored report.
#[derive(Serialize, ToSchema)]
#[schema(as = HazardCreated)]
pub struct Created {
    pub(crate) id: i64,
    /// The tracking code.
    pub tracking_code: String,
    /// The tracking page.
    pub tracking_link: String,
}

/// The earlier report offered as the same hazard.
#[derive(Serialize, ToSchema)]
pub struct Candidate {
    /// Its id.
    pub id: i64,
    /// When it was reported.
    #[schema(value_type = String)]
    pub created_at: OffsetDateTime,
    /// Its address.
    pub address: String,
}

/// A 409 answer offering the earlier report: send again with `confirm_new = true` if it is a
/// different hazard.
#[derive(Serialize, ToSchema)]
pub struct DuplicateProblem {
    /// 409.
    pub status: u16,
    /// What happened.
    pub detail: String,
    /// The earlier report.
    pub candidate: Candidate,
}

fn reported_response(r: Reported) -> Response {
    match r {
        Reported::Stored(id, code) => {
            (StatusCode::CREATED, axum::Json(Created { id, tracking_link: actions::tracking_link(&code), tracking_code: code }))
                .into_response()
        }
        Reported::Duplicate(id, created_at, address) => (
            StatusCode::CONFLICT,
            axum::Json(DuplicateProblem {
                status: 409,
                detail: "the same place and category were reported within a day; send again with confirm_new = true if this is another hazard".into(),
                candidate: Candidate { id, created_at, address },
            }),
        )
            .into_response(),
    }
}

/// Reports a hazard signed in (volunteers, grid workers, staff).
#[utoipa::path(post, path = "/api/v1/hazards", tag = "hazards", request_body = HazardInput, responses((status = 201, body = Created), (status = 409, body = DuplicateProblem), (status = 422, body = crate::error::Problem)))]
async fn create(State(s): State<AppState>, me: Principal, Json(input): Json<HazardInput>) -> Result<Response> {
    Ok(reported_response(actions::create(&s.db, &me, &input).await?))
}

/// One hazard.
#[utoipa::path(get, path = "/api/v1/hazards/{id}", tag = "hazards", params(("id" = i64, Path)), responses((status = 200, body = HazardDetail), (status = 404, body = crate::error::Problem)))]
async fn get_one(State(s): State<AppState>, me: Principal, Path(id): Path<i64>) -> Result<axum::Json<HazardDetail>> {
    Ok(axum::Json(queries::detail(&s.db, &me, id).await?))
}

/// Moves a hazard through its lifecycle (409 when the state does not allow it, 403 when you may not).
#[utoipa::path(post, path = "/api/v1/hazards/{id}/transitions", tag = "hazards", params(("id" = i64, Path)), request_body = TransitionInput, responses((status = 200, body = HazardDetail), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
async fn transition(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Json(t): Json<TransitionInput>,
) -> Result<axum::Json<HazardDetail>> {
    actions::transition(&s.db, &me, id, &t).await?;
    Ok(axum::Json(queries::detail(&s.db, &me, id).await?))
}

/// A stored photo.
#[derive(Serialize, ToSchema)]
#[schema(as = HazardPhotoAdded)]
pub struct PhotoAdded {
    /// Photo ids.
    pub ids: Vec<i64>,
}

/// Attaches a photo (the body: JPEG, PNG or WebP, at most 10 MB); it is re-encoded without EXIF or GPS.
#[utoipa::path(post, path = "/api/v1/hazards/{id}/photos", tag = "hazards", params(("id" = i64, Path)), request_body(content = Vec<u8>, content_type = "image/jpeg"), responses((status = 201, body = PhotoAdded), (status = 422, body = crate::error::Problem)))]
async fn add_photo(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<(StatusCode, axum::Json<PhotoAdded>)> {
    let photo = actions::add_photo(&s.db, &me, id, &body).await?;
    Ok((StatusCode::CREATED, axum::Json(PhotoAdded { ids: vec![photo] })))
}

/// The reporter's phone number.
#[derive(Serialize, ToSchema)]
#[schema(as = HazardPhone)]
pub struct Phone {
    /// The number, or none when the reporter gave none.
    pub phone: Option<String>,
}

/// Reveals the reporter's phone number (fire service only; audited).
#[utoipa::path(post, path = "/api/v1/hazards/{id}/reveal-phone", tag = "hazards", params(("id" = i64, Path)), responses((status = 200, body = Phone), (status = 403, body = crate::error::Problem)))]
async fn reveal_phone(State(s): State<AppState>, me: Principal, Path(id): Path<i64>) -> Result<axum::Json<Phone>> {
    Ok(axum::Json(Phone { phone: actions::reveal_phone(&s.db, &s.key, &me, id).await? }))
}

/// Statistics parameters.
#[derive(Deserialize, IntoParams)]
pub struct StatsParams {
    /// Region code (your area's root when left out).
    pub region: Option<String>,
}

/// Found, rectified, open and overdue hazards and the median days to rectify, for a region and
/// each subdivision.
#[utoipa::path(get, path = "/api/v1/hazards/stats", tag = "hazards", params(StatsParams), responses((status = 200, body = Stats)))]
async fn get_stats(
    State(s): State<AppState>,
    me: Principal,
    Query(p): Query<StatsParams>,
) -> Result<axum::Json<Stats>> {
    let code = p.region.as_deref().map(str::trim).filter(|c| !c.is_empty());
    Ok(axum::Json(stats::stats(&s.db, &me.scope, code, clock::now()).await?))
}

/// Map parameters: the list filters and the level.
#[derive(Deserialize, IntoParams)]
pub struct MapParams {
    /// `prefecture` (default) or `county`.
    pub level: Option<String>,
    pub(crate) state: Option<String>,
    pub(crate) category: Option<String>,
    /// Only overdue.
    pub overdue: Option<bool>,
    /// Reporter kind.
    pub reporter_kind: Option<String>,
}

/// Hazards per prefecture or county in your area.
#[utoipa::path(get, path = "/api/v1/hazards/map", tag = "hazards", params(MapParams), responses((status = 200, body = Vec<MapCount>)))]
async fn map(
    State(s): State<AppState>,
    me: Principal,
    Query(p): Query<MapParams>,
) -> Result<axum::Json<Vec<MapCount>>> {
    let lp = ListParams {
        state: p.state,
        category: p.category,
        overdue: p.overdue,
        reporter_kind: p.reporter_kind,
        ..ListParams::default()
    };
    let f = lp.filter(&s.db, &me).await?;
    Ok(axum::Json(queries::map_counts(&s.db, &me, p.level.as_deref() == Some("county"), &f).await?))
}

/// The outcome of a sweep.
#[derive(Serialize, ToSchema)]
pub struct Swept {
    /// Hazards whose escalation rose.
    pub escalated: u64,
}

/// Escalates overdue hazards now (admins; the server also does it every few minutes).
#[utoipa::path(post, path = "/api/v1/hazards/sweep", tag = "hazards", responses((status = 200, body = Swept), (status = 403, body = crate::error::Problem)))]
async fn sweep(State(s): State<AppState>, me: Principal) -> Result<axum::Json<Swept>> {
    if me.role != org::Role::Admin {
        return Err(Error::Forbidden);
    }
    Ok(axum::Json(Swept { escalated: actions::sweep(&s.db, clock::now()).await? }))
}

/// The hazard categories.
#[utoipa::path(get, path = "/api/v1/hazard-categories", tag = "hazards", responses((status = 200, body = Vec<Category>)))]
async fn categories(State(s): State<AppState>) -> Result<axum::Json<Vec<Category>>> {
    Ok(axum::Json(store::categories(&s.db).await?))
}

// ---- public ----

/// Reports a hazard without an account (CSRF double-submit cookie and header; at most 10 an hour
/// from one connection, else 429). Answers with the tracking code.
#[utoipa::path(post, path = "/api/v1/public/hazards", tag = "public", request_body = HazardInput, responses((status = 201, body = Created), (status = 409, body = DuplicateProblem), (status = 422, body = crate::error::Problem), (status = 429, body = crate::error::Problem)))]
async fn public_create(State(s): State<AppState>, rc: RequestCtx, Json(input): Json<HazardInput>) -> Result<Response> {
    Ok(reported_response(actions::create_public(&s.db, &s.key, &rc.ip, &input).await?))
}

/// Tracking parameters.
#[derive(Deserialize, IntoParams)]
pub struct TrackParams {
    /// The tracking code.
    pub code: String,
}

/// Follows a report with its tracking code.
#[utoipa::path(get, path = "/api/v1/public/hazards/track", tag = "public", params(TrackParams), responses((status = 200, body = Tracking), (status = 404, body = crate::error::Problem), (status = 429, body = crate::error::Problem)))]
async fn public_track(
    State(s): State<AppState>,
    rc: RequestCtx,
    Query(p): Query<TrackParams>,
) -> Result<axum::Json<Tracking>> {
    Ok(axum::Json(actions::track(&s.db, &s.key, &p.code, &rc.ip).await?))
}

/// Adds a photo to your own report (by tracking code) until it is verified.
#[utoipa::path(post, path = "/api/v1/public/hazards/photos", tag = "public", params(TrackParams), request_body(content = Vec<u8>, content_type = "image/jpeg"), responses((status = 201, body = PhotoAdded), (status = 422, body = crate::error::Problem)))]
async fn public_photo(
    State(s): State<AppState>,
    Query(p): Query<TrackParams>,
    body: Bytes,
) -> Result<(StatusCode, axum::Json<PhotoAdded>)> {
    let photo = actions::clean_photo(&body).await?;
    let ids = actions::add_public_photos(&s.db, &p.code, &[photo]).await?;
    Ok((StatusCode::CREATED, axum::Json(PhotoAdded { ids })))
}

/// The routes of this area.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get_stats))
        .routes(routes!(map))
        .routes(routes!(sweep))
        .routes(routes!(get_one))
        .routes(routes!(transition))
        .routes(routes!(add_photo))
        .routes(routes!(reveal_phone))
        .routes(routes!(categories))
        .routes(routes!(public_create))
        .routes(routes!(public_track))
        .routes(routes!(public_photo))
}
