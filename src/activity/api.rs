//! JSON API for activity records, their review, photos, spreadsheet imports and the media
//! register, under `/api/v1`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::actions::{self, ActivityInput, AiringInput, NewsInput};
use super::import::{self, Rejected};
use super::store::{self, Activity, Airing, Figure, Filter, NewsItem};
use super::{State as RecordState, Transition, can_review};
use crate::clock::parse_date;
use crate::i18n::Lang;
use crate::org::caller::Principal;
use crate::sheet::CellError;
use crate::web::AppState;
use crate::web::extract::{Json, LONG_PAGES, Path, Query, Replacement, window};
use crate::{Error, Result};

/// Activity list parameters.
#[derive(Deserialize, IntoParams)]
pub struct ListParams {
    /// Campaign.
    campaign: Option<i64>,
    /// Region code (inside your area).
    region: Option<String>,
    /// Kind.
    kind: Option<String>,
    /// draft, submitted, approved or returned.
    state: Option<String>,
    /// Taking place on or after (`2024-11-01`).
    from: Option<String>,
    /// Taking place on or before.
    to: Option<String>,
    /// Title contains.
    q: Option<String>,
    /// Page size (at most 1000, default 100).
    limit: Option<i64>,
    /// Records to skip.
    offset: Option<i64>,
}

/// A page of records.
#[derive(Serialize, ToSchema)]
pub struct ActivityPage {
    /// How many match in all.
    total: i64,
    /// This page.
    items: Vec<Activity>,
}

/// Records visible to you: your unit's drafts and everything sent up in your area.
#[utoipa::path(get, path = "/api/v1/activities", tag = "activities", params(ListParams), responses((status = 200, body = ActivityPage)))]
async fn list(
    State(s): State<AppState>,
    me: Principal,
    Query(p): Query<ListParams>,
) -> Result<axum::Json<ActivityPage>> {
    let under = match p.region.as_deref().filter(|r| !r.is_empty()) {
        Some(code) => Some(
            crate::org::store::region(&s.db, &me.scope, code)
                .await
                .map_err(|_| Error::invalid("region", "error.region_outside"))?
                .path,
        ),
        None => None,
    };
    let filter = Filter {
        campaign_id: p.campaign,
        under,
        kind: p.kind.as_deref().map(|k| super::parse_kind(k).map(str::to_owned)).transpose()?,
        state: p
            .state
            .as_deref()
            .map(|x| RecordState::parse(x).ok_or_else(|| Error::invalid("state", "error.record_state")))
            .transpose()?,
        from: p.from.as_deref().map(|d| parse_date("from", d)).transpose()?,
        to: p.to.as_deref().map(|d| parse_date("to", d)).transpose()?,
        q: p.q,
    };
    let (limit, offset) = window(p.limit, p.offset, LONG_PAGES);
    let total = store::count(&s.db, &me.scope, me.user.unit_id, &filter).await?;
    let items = store::list(&s.db, &me.scope, me.user.unit_id, &filter, limit, offset).await?;
    Ok(axum::Json(ActivityPage { total, items }))
}

/// A record with its figures.
#[derive(Serialize, ToSchema)]
pub struct ActivityDetail {
    /// The record.
    activity: Activity,
    /// Its figures.
    figures: Vec<Figure>,
}

async fn detail(s: &AppState, me: &Principal, id: i64) -> Result<ActivityDetail> {
    Ok(ActivityDetail {
        activity: store::activity(&s.db, &me.scope, me.user.unit_id, id).await?,
        figures: store::figures(&s.db, id).await?,
    })
}

/// Writes a draft record for your unit.
#[utoipa::path(post, path = "/api/v1/activities", tag = "activities", request_body = ActivityInput, responses((status = 201, body = ActivityDetail), (status = 422, body = crate::error::Problem)))]
async fn create(
    State(s): State<AppState>,
    me: Principal,
    Json(input): Json<ActivityInput>,
) -> Result<(StatusCode, axum::Json<ActivityDetail>)> {
    let id = actions::create(&s.db, &me, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(detail(&s, &me, id).await?)))
}

/// One record with its figures.
#[utoipa::path(get, path = "/api/v1/activities/{id}", tag = "activities", params(("id" = i64, Path)), responses((status = 200, body = ActivityDetail), (status = 404, body = crate::error::Problem)))]
async fn get_one(State(s): State<AppState>, me: Principal, Path(id): Path<i64>) -> Result<axum::Json<ActivityDetail>> {
    Ok(axum::Json(detail(&s, &me, id).await?))
}

/// Rewrites a draft or returned record of your unit, as a whole: every field of the body is required (send a field's current value to keep it); a field left out is refused with a 422 naming it, never erased.
#[utoipa::path(put, path = "/api/v1/activities/{id}", tag = "activities", params(("id" = i64, Path)), request_body = ActivityInput, responses((status = 200, body = ActivityDetail), (status = 409, body = crate::error::Problem)))]
async fn update(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Replacement(input): Replacement<ActivityInput>,
) -> Result<axum::Json<ActivityDetail>> {
    actions::update(&s.db, &me, id, &input).await?;
    Ok(axum::Json(detail(&s, &me, id).await?))
}

/// A change of state.
#[derive(Deserialize, ToSchema)]
pub struct TransitionRequest {
    /// submit, approve or return.
    transition: Transition,
    /// Why a record goes back (required to return).
    #[serde(default)]
    reason: String,
}

/// Submits (organiser), approves or returns (the level above) a record.
#[utoipa::path(post, path = "/api/v1/activities/{id}/transitions", tag = "activities", params(("id" = i64, Path)), request_body = TransitionRequest, responses((status = 200, body = ActivityDetail), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
async fn transition(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Json(t): Json<TransitionRequest>,
) -> Result<axum::Json<ActivityDetail>> {
    actions::transition(&s.db, &me, id, t.transition, &t.reason).await?;
    Ok(axum::Json(detail(&s, &me, id).await?))
}

/// A stored photo.
#[derive(Serialize, ToSchema)]
#[schema(as = ActivityPhotoAdded)]
pub struct PhotoAdded {
    /// Photo id.
    id: i64,
    /// Another record that carries the same picture.
    used_elsewhere: Option<i64>,
}

/// Attaches a photo (the request body: JPEG, PNG or WebP, at most 10 MB). It is re-encoded and
/// stripped of EXIF and GPS data.
#[utoipa::path(post, path = "/api/v1/activities/{id}/photos", tag = "activities", params(("id" = i64, Path)), request_body(content = Vec<u8>, content_type = "image/jpeg"), responses((status = 201, body = PhotoAdded), (status = 422, body = crate::error::Problem)))]
async fn add_photo(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<(StatusCode, axum::Json<PhotoAdded>)> {
    let (photo, used_elsewhere) = actions::add_photo(&s.db, &me, id, &body).await?;
    Ok((StatusCode::CREATED, axum::Json(PhotoAdded { id: photo, used_elsewhere })))
}

/// Submitted records waiting for you to review.
#[utoipa::path(get, path = "/api/v1/review", tag = "activities", responses((status = 200, body = Vec<Activity>)))]
async fn review(State(s): State<AppState>, me: Principal) -> Result<axum::Json<Vec<Activity>>> {
    let kind = me.user.unit_kind;
    let items = store::submitted(&s.db, &me.scope, me.user.unit_id, 1000)
        .await?
        .into_iter()
        .filter(|a| {
            can_review(
                (me.role, me.user.unit_id, kind, &me.user.region_path),
                (a.organiser_unit_id, &a.organiser_kind, &a.organiser_path),
            )
        })
        .collect();
    Ok(axum::Json(items))
}

/// Import parameters.
#[derive(Deserialize, IntoParams)]
pub struct ImportParams {
    /// Campaign.
    campaign: i64,
    /// The file's name (`.xlsx` or `.csv`), for messages.
    filename: Option<String>,
}

/// The outcome of an import.
#[derive(Serialize, ToSchema)]
#[schema(as = ActivityImportResult)]
pub struct ImportResult {
    /// Records stored (submitted for review).
    imported: usize,
}

/// Every problem of a rejected import (of any file: records, members, questions).
#[derive(Serialize, ToSchema)]
pub struct ImportErrors {
    /// Row (spreadsheet numbering), column and message of each problem.
    errors: Vec<ImportError>,
}

/// One problem of a rejected import.
#[derive(Serialize, ToSchema)]
pub struct ImportError {
    /// Row as shown in the spreadsheet (0: the whole file).
    row: usize,
    /// Column header.
    column: String,
    /// What is wrong.
    message: String,
}

impl ImportErrors {
    /// The 422 answer listing `errors`, in the language the request's `Accept-Language` asks for
    /// (English without it).
    pub fn response(errors: Vec<CellError>, headers: &HeaderMap) -> axum::response::Response {
        use axum::response::IntoResponse as _;
        let errors = ImportError::listed(errors, headers);
        (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(Self { errors })).into_response()
    }
}

impl ImportError {
    /// Problems by row and column, in the language the request's `Accept-Language` asks for
    /// (English without it).
    pub fn listed(errors: Vec<CellError>, headers: &HeaderMap) -> Vec<Self> {
        let lang = Lang::from_accept_language(headers).unwrap_or(Lang::En);
        errors
            .into_iter()
            .map(|e| Self { row: e.row, column: lang.message(&e.column), message: lang.message(&e.message) })
            .collect()
    }
}

/// Imports activity records from an XLSX or CSV body (UTF-8 or GBK), all or nothing.
#[utoipa::path(post, path = "/api/v1/activities/import", tag = "activities", params(ImportParams), request_body(content = Vec<u8>, content_type = "application/octet-stream"), responses((status = 201, body = ImportResult), (status = 422, body = ImportErrors)))]
async fn import_file(
    State(s): State<AppState>,
    me: Principal,
    Query(p): Query<ImportParams>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<axum::response::Response> {
    use axum::response::IntoResponse as _;
    if !super::can_report(me.role) {
        return Err(Error::Forbidden);
    }
    let name = p.filename.unwrap_or_else(|| "upload".to_owned());
    Ok(match import::run(&s.db, &me, p.campaign, &body, &name, &|_, _| {}).await? {
        Ok(ids) => (StatusCode::CREATED, axum::Json(ImportResult { imported: ids.len() })).into_response(),
        Err(Rejected(errors)) => ImportErrors::response(errors, &headers),
    })
}

/// Media register parameters.
#[derive(Deserialize, IntoParams)]
pub struct MediaParams {
    /// Campaign.
    campaign: i64,
}

/// News items of a campaign reported in your area.
#[utoipa::path(get, path = "/api/v1/news", tag = "media", params(MediaParams), responses((status = 200, body = Vec<NewsItem>)))]
async fn news(
    State(s): State<AppState>,
    me: Principal,
    Query(p): Query<MediaParams>,
) -> Result<axum::Json<Vec<NewsItem>>> {
    Ok(axum::Json(store::news(&s.db, &me.scope, p.campaign, 10_000).await?))
}

/// Registers a news item for your unit (reposts of a story count once).
#[utoipa::path(post, path = "/api/v1/news", tag = "media", request_body = NewsInput, responses((status = 201), (status = 422, body = crate::error::Problem)))]
async fn add_news(State(s): State<AppState>, me: Principal, Json(input): Json<NewsInput>) -> Result<StatusCode> {
    actions::add_news(&s.db, &me, &input).await?;
    Ok(StatusCode::CREATED)
}

/// Airings of a campaign reported in your area.
#[utoipa::path(get, path = "/api/v1/airings", tag = "media", params(MediaParams), responses((status = 200, body = Vec<Airing>)))]
async fn airings(
    State(s): State<AppState>,
    me: Principal,
    Query(p): Query<MediaParams>,
) -> Result<axum::Json<Vec<Airing>>> {
    Ok(axum::Json(store::airings(&s.db, &me.scope, p.campaign, 10_000).await?))
}

/// Registers airings of public-service ads or captions for your unit.
#[utoipa::path(post, path = "/api/v1/airings", tag = "media", request_body = AiringInput, responses((status = 201), (status = 422, body = crate::error::Problem)))]
async fn add_airing(State(s): State<AppState>, me: Principal, Json(input): Json<AiringInput>) -> Result<StatusCode> {
    actions::add_airing(&s.db, &me, &input).await?;
    Ok(StatusCode::CREATED)
}

/// The routes of this area.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get_one, update))
        .routes(routes!(transition))
        .routes(routes!(add_photo))
        .routes(routes!(review))
        .routes(routes!(import_file))
        .routes(routes!(news, add_news))
        .routes(routes!(airings, add_airing))
}
