//! JSON API of a quiz's statistics and selections under `/api/v1/quizzes/{id}/…`: the
//! statistics, the finalists, prize draws and teams (run, list, read, CSV), the team list the
//! live competition reads, and clearing a flagged attempt.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Kind;
use super::actions::{self, DrawRules, FinalistRules, TeamRules};
use super::stats::{self, DEFAULT_MIN_ANSWERS, Stats};
use super::store::{self, Entry, Selection};
use crate::Result;
use crate::org::caller::Principal;
use crate::quiz::store as quiz_store;
use crate::web::AppState;
use crate::web::extract::{Json, Path, Query};

/// Statistics parameters.
#[derive(Deserialize, IntoParams)]
pub struct StatsParams {
    /// Compare the subdivisions of this region (code; default: the prefecture-level regions).
    region: Option<String>,
    /// Answers a category needs in a region to be listed (default 10).
    min_answers: Option<i64>,
}

/// Facility and discrimination per question, and the weakest topics per region, over the
/// finished attempts in your area.
#[utoipa::path(get, path = "/api/v1/quizzes/{id}/stats", tag = "quiz", params(("id" = i64, Path), StatsParams), responses((status = 200, body = Stats)))]
async fn quiz_stats(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Query(p): Query<StatsParams>,
) -> Result<axum::Json<Stats>> {
    let quiz = quiz_store::quiz(&s.db, &me.scope, id).await?;
    Ok(axum::Json(
        stats::stats(&s.db, &me.scope, &quiz, p.region.as_deref(), p.min_answers.unwrap_or(DEFAULT_MIN_ANSWERS))
            .await?,
    ))
}

/// A selection with its entries (for a draw: the winners, in order).
#[derive(Serialize, ToSchema)]
pub struct SelectionView {
    /// The selection and its rules.
    selection: Selection,
    /// Finalists in order, winners in order, or team members by team.
    entries: Vec<Entry>,
}

/// The stored selections of a quiz, newest first.
#[utoipa::path(get, path = "/api/v1/quizzes/{id}/selections", tag = "quiz", params(("id" = i64, Path)), responses((status = 200, body = Vec<Selection>)))]
async fn list(State(s): State<AppState>, me: Principal, Path(id): Path<i64>) -> Result<axum::Json<Vec<Selection>>> {
    let quiz = quiz_store::quiz(&s.db, &me.scope, id).await?;
    Ok(axum::Json(store::selections(&s.db, quiz.id).await?))
}

async fn view(s: &AppState, me: &Principal, quiz_id: i64, id: i64) -> Result<SelectionView> {
    let quiz = quiz_store::quiz(&s.db, &me.scope, quiz_id).await?;
    let selection = store::selection(&s.db, quiz.id, id).await?;
    let mut entries = store::entries(&s.db, selection.id, selection.kind == super::Kind::Draw).await?;
    // Masked as in the CSV: the API is a download by other means.
    for e in &mut entries {
        e.nickname = super::mask_name(&e.nickname);
    }
    Ok(SelectionView { selection, entries })
}

/// Selects the finalists: top N by score, then time, among the eligible (prize threshold, not
/// flagged unless cleared, one per phone or device), at most `region_quota` per region.
#[utoipa::path(post, path = "/api/v1/quizzes/{id}/selections/finalists", tag = "quiz", params(("id" = i64, Path)), request_body = FinalistRules, responses((status = 201, body = SelectionView), (status = 422, body = crate::error::Problem)))]
async fn finalists(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Json(r): Json<FinalistRules>,
) -> Result<(StatusCode, axum::Json<SelectionView>)> {
    let sid = actions::select_finalists(&s.db, &me, id, &r).await?;
    Ok((StatusCode::CREATED, axum::Json(view(&s, &me, id, sid).await?)))
}

/// Runs a seeded prize draw; the seed and the algorithm are stored and shown with the result.
#[utoipa::path(post, path = "/api/v1/quizzes/{id}/selections/draw", tag = "quiz", params(("id" = i64, Path)), request_body = DrawRules, responses((status = 201, body = SelectionView), (status = 422, body = crate::error::Problem)))]
async fn prize_draw(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Json(r): Json<DrawRules>,
) -> Result<(StatusCode, axum::Json<SelectionView>)> {
    let sid = actions::run_draw(&s.db, &me, id, &r).await?;
    Ok((StatusCode::CREATED, axum::Json(view(&s, &me, id, sid).await?)))
}

/// Forms N teams of M from a finalist selection, balanced by region or by score.
#[utoipa::path(post, path = "/api/v1/quizzes/{id}/selections/teams", tag = "quiz", params(("id" = i64, Path)), request_body = TeamRules, responses((status = 201, body = SelectionView), (status = 422, body = crate::error::Problem)))]
async fn teams(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Json(r): Json<TeamRules>,
) -> Result<(StatusCode, axum::Json<SelectionView>)> {
    let sid = actions::make_teams(&s.db, &me, id, &r).await?;
    Ok((StatusCode::CREATED, axum::Json(view(&s, &me, id, sid).await?)))
}

/// One selection with its entries.
#[utoipa::path(get, path = "/api/v1/quizzes/{id}/selections/{selection}", tag = "quiz", params(("id" = i64, Path), ("selection" = i64, Path)), responses((status = 200, body = SelectionView), (status = 404, body = crate::error::Problem)))]
async fn one(
    State(s): State<AppState>,
    me: Principal,
    Path((id, sid)): Path<(i64, i64)>,
) -> Result<axum::Json<SelectionView>> {
    Ok(axum::Json(view(&s, &me, id, sid).await?))
}

/// A selection as CSV with masked names: for a draw, the whole eligible list in the order the
/// draw shuffles it from, with the winners' order.
#[utoipa::path(get, path = "/api/v1/quizzes/{id}/selections/{selection}/csv", tag = "quiz", params(("id" = i64, Path), ("selection" = i64, Path)), responses((status = 200, content_type = "text/csv", body = String)))]
async fn csv(State(s): State<AppState>, me: Principal, Path((id, sid)): Path<(i64, i64)>) -> Result<Response> {
    let (name, body) = super::queries::csv(&s.db, &me, id, sid).await?;
    Ok(crate::web::download(&name, "text/csv; charset=utf-8", body))
}

/// A team of the live competition.
#[derive(Serialize, ToSchema)]
#[schema(as = SelectionTeam)]
pub struct Team {
    /// 1, 2, …
    pub number: i64,
    /// Its name.
    pub name: String,
    /// Members' nicknames.
    pub members: Vec<String>,
}

/// The teams of the newest team list of a quiz (what the live competition reads).
pub async fn current_teams(db: &crate::db::Db, quiz_id: i64) -> Result<Vec<Team>> {
    let Some(sel) = store::latest(db, quiz_id, Kind::Teams).await? else { return Ok(Vec::new()) };
    let mut teams: Vec<Team> = Vec::new();
    for e in store::entries(db, sel.id, false).await? {
        let number = e.team.unwrap_or(0);
        match teams.last_mut() {
            Some(t) if t.number == number => t.members.push(e.nickname),
            _ => teams.push(Team { number, name: super::team_name(number), members: vec![e.nickname] }),
        }
    }
    Ok(teams)
}

/// The teams of the newest team list, with their members' nicknames.
#[utoipa::path(get, path = "/api/v1/quizzes/{id}/teams", tag = "quiz", params(("id" = i64, Path)), responses((status = 200, body = Vec<Team>)))]
async fn team_list(State(s): State<AppState>, me: Principal, Path(id): Path<i64>) -> Result<axum::Json<Vec<Team>>> {
    let quiz = quiz_store::quiz(&s.db, &me.scope, id).await?;
    Ok(axum::Json(current_teams(&s.db, quiz.id).await?))
}

/// Why a flag is cleared.
#[derive(Deserialize, ToSchema)]
pub struct ClearInput {
    /// The reviewer's reason.
    reason: String,
}

/// Clears the flag of an attempt (audited) so it counts for selection.
#[utoipa::path(post, path = "/api/v1/quizzes/{id}/attempts/{attempt}/clear-flag", tag = "quiz", params(("id" = i64, Path), ("attempt" = i64, Path)), request_body = ClearInput, responses((status = 204), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
async fn clear_flag(
    State(s): State<AppState>,
    me: Principal,
    Path((id, attempt)): Path<(i64, i64)>,
    Json(i): Json<ClearInput>,
) -> Result<StatusCode> {
    actions::clear_flags(&s.db, &me, id, &[attempt], &i.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The routes of this area.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(quiz_stats))
        .routes(routes!(list))
        .routes(routes!(finalists))
        .routes(routes!(prize_draw))
        .routes(routes!(teams))
        .routes(routes!(one))
        .routes(routes!(csv))
        .routes(routes!(team_list))
        .routes(routes!(clear_flag))
}
