//! JSON API of live matches: `/api/v1/live-matches…` for hosts and judges (set up, read the
//! board, move the match, correct a score, listen to its events) and `/api/v1/public/live/{token}…`
//! for the team phones (read, stake, buzz, answer, listen).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Control;
use super::actions::{self, Answered, Board, Buzzed, CorrectionInput, MatchInput, TeamView};
use super::hub;
use super::store::{self, Match};
use crate::org::caller::Principal;
use crate::quiz::Answer;
use crate::web::AppState;
use crate::web::extract::{Json, Path};
use crate::{Error, Result};

/// The live matches of your unit and below.
#[utoipa::path(get, path = "/api/v1/live-matches", tag = "quiz", responses((status = 200, body = Vec<Match>)))]
async fn list(State(s): State<AppState>, me: Principal) -> Result<axum::Json<Vec<Match>>> {
    Ok(axum::Json(store::matches(&s.db, &me.scope).await?))
}

/// The id of a new match.
#[derive(serde::Serialize, ToSchema)]
#[schema(as = MatchCreated)]
pub struct Created {
    /// Id.
    id: i64,
}

/// Sets up a match (teams, rounds; questions are drawn from your bank now).
#[utoipa::path(post, path = "/api/v1/live-matches", tag = "quiz", request_body = MatchInput, responses((status = 201, body = Created), (status = 422, body = crate::error::Problem)))]
async fn create(State(s): State<AppState>, me: Principal, Json(input): Json<MatchInput>) -> Result<Response> {
    let id = actions::create(&s.db, &me, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(Created { id })).into_response())
}

/// The board of a match: teams with their phone links' tokens, rounds, the current question,
/// the scoreboard and the corrections.
#[utoipa::path(get, path = "/api/v1/live-matches/{id}", tag = "quiz", params(("id" = i64, Path)), responses((status = 200, body = Board)))]
async fn board(State(s): State<AppState>, me: Principal, Path(id): Path<i64>) -> Result<axum::Json<Board>> {
    let m = actions::hosted(&s.db, &me, id).await?;
    Ok(axum::Json(actions::board(&s.db, m).await?))
}

/// A move of the host.
#[derive(Deserialize, ToSchema)]
pub struct ControlInput {
    /// `start`, `open`, `close`, `reveal`, `next`, `next_round` or `finish`.
    #[schema(value_type = super::Control)]
    action: String,
}

/// Moves the match; a move that does not apply now gives 409.
#[utoipa::path(post, path = "/api/v1/live-matches/{id}/control", tag = "quiz", params(("id" = i64, Path)), request_body = ControlInput, responses((status = 200, body = Board), (status = 409, body = crate::error::Problem)))]
async fn control(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Json(input): Json<ControlInput>,
) -> Result<axum::Json<Board>> {
    let c = Control::parse(&input.action).ok_or_else(|| Error::invalid("action", "error.live_action"))?;
    actions::control(&s.db, &me, id, c).await?;
    let m = actions::hosted(&s.db, &me, id).await?;
    Ok(axum::Json(actions::board(&s.db, m).await?))
}

/// A judge corrects a team's score with a reason (audited).
#[utoipa::path(post, path = "/api/v1/live-matches/{id}/corrections", tag = "quiz", params(("id" = i64, Path)), request_body = CorrectionInput, responses((status = 201, body = Created)))]
async fn correct(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Json(input): Json<CorrectionInput>,
) -> Result<Response> {
    let cid = actions::correct(&s.db, &me, id, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(Created { id: cid })).into_response())
}

/// The match's events (server-sent events).
#[utoipa::path(get, path = "/api/v1/live-matches/{id}/events", tag = "quiz", params(("id" = i64, Path)), responses((status = 200, content_type = "text/event-stream", body = String)))]
async fn match_events(State(s): State<AppState>, me: Principal, Path(id): Path<i64>) -> Result<Response> {
    let m = actions::hosted(&s.db, &me, id).await?;
    Ok(hub::events(m.id).into_response())
}

/// What a team's phone shows.
#[utoipa::path(get, path = "/api/v1/public/live/{token}", tag = "quiz", params(("token" = String, Path)), responses((status = 200, body = TeamView)))]
async fn team(State(s): State<AppState>, Path(token): Path<String>) -> Result<axum::Json<TeamView>> {
    Ok(axum::Json(actions::team_view(&s.db, &token).await?))
}

/// A wager.
#[derive(Deserialize, ToSchema)]
pub struct WagerInput {
    /// The question it is for (the current one when left out).
    #[serde(default)]
    item_id: Option<i64>,
    /// 10, 20 or 30.
    amount: i64,
}

/// Stakes the team's wager on the coming risk question.
#[utoipa::path(post, path = "/api/v1/public/live/{token}/wager", tag = "quiz", params(("token" = String, Path)), request_body = WagerInput, responses((status = 200, body = i64), (status = 422, body = crate::error::Problem)))]
async fn wager(
    State(s): State<AppState>,
    Path(token): Path<String>,
    Json(input): Json<WagerInput>,
) -> Result<axum::Json<i64>> {
    Ok(axum::Json(actions::stake(&s.db, &token, input.item_id, input.amount).await?))
}

/// A buzz.
#[derive(Deserialize, ToSchema)]
pub struct BuzzInput {
    /// The question it is for (the current one when left out).
    #[serde(default)]
    item_id: Option<i64>,
}

/// Buzzes: the first team to reach the server answers.
#[utoipa::path(post, path = "/api/v1/public/live/{token}/buzz", tag = "quiz", params(("token" = String, Path)), request_body = BuzzInput, responses((status = 200, body = Buzzed)))]
async fn buzz(
    State(s): State<AppState>,
    Path(token): Path<String>,
    Json(input): Json<BuzzInput>,
) -> Result<axum::Json<Buzzed>> {
    Ok(axum::Json(actions::buzz(&s.db, &token, input.item_id).await?))
}

/// An answer.
#[derive(Deserialize, ToSchema)]
#[schema(as = LiveAnswerInput)]
pub struct AnswerInput {
    /// The question it is for (the current one when left out).
    #[serde(default)]
    item_id: Option<i64>,
    /// `{"choice": [1]}`, `{"truth": true}` or `{"text": ["…"]}`; options as shown (not shuffled).
    #[schema(value_type = Object)]
    answer: Answer,
}

/// Answers the current question once, while it is open; refused with 409 otherwise.
#[utoipa::path(post, path = "/api/v1/public/live/{token}/answer", tag = "quiz", params(("token" = String, Path)), request_body = AnswerInput, responses((status = 200, body = Answered), (status = 409, body = crate::error::Problem)))]
async fn answer(
    State(s): State<AppState>,
    Path(token): Path<String>,
    Json(input): Json<AnswerInput>,
) -> Result<axum::Json<Answered>> {
    Ok(axum::Json(actions::answer(&s.db, &token, input.item_id, &input.answer).await?))
}

/// The team's match events (server-sent events).
#[utoipa::path(get, path = "/api/v1/public/live/{token}/events", tag = "quiz", params(("token" = String, Path)), responses((status = 200, content_type = "text/event-stream", body = String)))]
async fn team_events(State(s): State<AppState>, Path(token): Path<String>) -> Result<Response> {
    let t = store::team_by_token(&s.db, &token).await?;
    Ok(hub::events(t.match_id).into_response())
}

/// The routes of live matches.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(board))
        .routes(routes!(control))
        .routes(routes!(correct))
        .routes(routes!(match_events))
        .routes(routes!(team))
        .routes(routes!(wager))
        .routes(routes!(buzz))
        .routes(routes!(answer))
        .routes(routes!(team_events))
}
