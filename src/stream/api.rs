//! JSON API for livestreams, under `/api/v1/livestreams` (staff) and `/api/v1/public/livestreams`
//! (viewers posting comments, without an account).

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::CommentState;
use super::actions::{self, CommentInput, ReportedInput, StreamInput};
use super::store::{self, Comment, Reported, Stream};
use crate::Result;
use crate::org::caller::Principal;
use crate::web::AppState;
use crate::web::extract::{Json, Path};
use crate::web::session::RequestCtx;

/// Broadcasts aimed in the caller's area, the latest first.
#[utoipa::path(get, path = "/api/v1/livestreams", tag = "livestreams", responses((status = 200, body = Vec<Stream>)))]
async fn streams(State(s): State<AppState>, me: Principal) -> Result<axum::Json<Vec<Stream>>> {
    Ok(axum::Json(store::streams(&s.db, &me.scope, 1000).await?))
}

/// A broadcast with its reported views and its latest comments.
#[derive(Serialize, ToSchema)]
#[schema(as = LivestreamDetail)]
pub struct StreamDetail {
    /// The broadcast.
    livestream: Stream,
    /// Views outside platforms reported.
    reported: Vec<Reported>,
    /// The latest 200 comments, every state.
    comments: Vec<Comment>,
}

async fn detail(s: &AppState, me: &Principal, id: i64) -> Result<StreamDetail> {
    let livestream = store::stream(&s.db, &me.scope, id).await?;
    Ok(StreamDetail {
        livestream,
        reported: store::reported(&s.db, id).await?,
        comments: store::comments(&s.db, id, None, 200).await?,
    })
}

/// Sets up a broadcast of the caller's unit.
#[utoipa::path(post, path = "/api/v1/livestreams", tag = "livestreams", request_body = StreamInput, responses((status = 201, body = StreamDetail), (status = 422, body = crate::error::Problem)))]
async fn create(
    State(s): State<AppState>,
    me: Principal,
    Json(input): Json<StreamInput>,
) -> Result<(StatusCode, axum::Json<StreamDetail>)> {
    let id = actions::create(&s.db, &me, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(detail(&s, &me, id).await?)))
}

/// One broadcast.
#[utoipa::path(get, path = "/api/v1/livestreams/{id}", tag = "livestreams", params(("id" = i64, Path)), responses((status = 200, body = StreamDetail), (status = 404, body = crate::error::Problem)))]
async fn stream(State(s): State<AppState>, me: Principal, Path(id): Path<i64>) -> Result<axum::Json<StreamDetail>> {
    Ok(axum::Json(detail(&s, &me, id).await?))
}

/// Enters the views a platform reported, with its evidence.
#[utoipa::path(post, path = "/api/v1/livestreams/{id}/reported-views", tag = "livestreams", params(("id" = i64, Path)), request_body = ReportedInput, responses((status = 201, body = StreamDetail), (status = 422, body = crate::error::Problem)))]
async fn report_views(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Json(input): Json<ReportedInput>,
) -> Result<(StatusCode, axum::Json<StreamDetail>)> {
    actions::report_views(&s.db, &me, id, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(detail(&s, &me, id).await?)))
}

/// A moderation decision.
#[derive(Deserialize, ToSchema)]
pub struct Moderation {
    /// `shown` or `hidden`.
    state: CommentState,
}

/// Shows or hides a comment.
#[utoipa::path(put, path = "/api/v1/livestreams/{id}/comments/{comment}", tag = "livestreams", params(("id" = i64, Path), ("comment" = i64, Path)), request_body = Moderation, responses((status = 204), (status = 404, body = crate::error::Problem)))]
async fn moderate(
    State(s): State<AppState>,
    me: Principal,
    Path((id, comment)): Path<(i64, i64)>,
    Json(m): Json<Moderation>,
) -> Result<StatusCode> {
    actions::moderate(&s.db, &me, id, comment, m.state).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What finishing filed.
#[derive(Serialize, ToSchema)]
pub struct StreamFinished {
    /// The activity record filed for review (none when no campaign ran that day).
    activity_id: Option<i64>,
}

/// Finishes a broadcast: its views go for review as an activity record.
#[utoipa::path(post, path = "/api/v1/livestreams/{id}/finish", tag = "livestreams", params(("id" = i64, Path)), responses((status = 200, body = StreamFinished), (status = 409, body = crate::error::Problem)))]
async fn finish(State(s): State<AppState>, me: Principal, Path(id): Path<i64>) -> Result<axum::Json<StreamFinished>> {
    Ok(axum::Json(StreamFinished { activity_id: actions::finish(&s.db, &me, id).await? }))
}

/// A comment's id: it shows once staff approve it.
#[derive(Serialize, ToSchema)]
pub struct Posted {
    /// The comment.
    id: i64,
}

/// Posts a comment or question during a broadcast.
#[utoipa::path(post, path = "/api/v1/public/livestreams/{id}/comments", tag = "public", params(("id" = i64, Path)), request_body = CommentInput, responses((status = 201, body = Posted), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem), (status = 429, body = crate::error::Problem)))]
async fn comment(
    State(s): State<AppState>,
    rc: RequestCtx,
    Path(id): Path<i64>,
    Json(input): Json<CommentInput>,
) -> Result<(StatusCode, axum::Json<Posted>)> {
    Ok((StatusCode::CREATED, axum::Json(Posted { id: actions::comment(&s.db, &s.key, id, &input, &rc.ip).await? })))
}

/// The routes of this area.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(streams, create))
        .routes(routes!(stream))
        .routes(routes!(report_views))
        .routes(routes!(moderate))
        .routes(routes!(finish))
        .routes(routes!(comment))
}
