//! JSON API of the quiz under `/api/v1`: the bank (list, import, export, retire), quizzes and
//! their leaderboards for staff; and, under `/api/v1/public`, what a participant's app does
//! (join with a device token, start, read and answer questions, finish).

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::actions::{self, AnswerInput, Finished, JoinInput, QuizInput, Shown};
use super::store::{self, BankFilter, BankQuestion, BoardLine, Quiz};
use super::writer::Writers;
use super::{Defaults, Format};
use crate::activity::api::{ImportError, ImportErrors};
use crate::org::caller::Principal;
use crate::push::api::{CodeSent, PhoneCode};
use crate::web::AppState;
use crate::web::extract::{Json, LONG_PAGES, Path, Query, window};
use crate::web::session::{self, RequestCtx};
use crate::{Error, Result};

/// Bank list parameters.
#[derive(Deserialize, IntoParams)]
pub struct BankParams {
    /// Category.
    category: Option<String>,
    /// single, multiple, `true_false` or fill.
    kind: Option<String>,
    /// active or retired.
    status: Option<String>,
    /// Text in the question.
    q: Option<String>,
    /// Page size (at most 1000, default 100).
    limit: Option<i64>,
    /// Questions to skip.
    offset: Option<i64>,
}

/// Questions of the bank visible to you (your unit's and those above it).
#[utoipa::path(get, path = "/api/v1/questions", tag = "quiz", params(BankParams), responses((status = 200, body = Vec<BankQuestion>)))]
async fn bank(
    State(s): State<AppState>,
    me: Principal,
    Query(p): Query<BankParams>,
) -> Result<axum::Json<Vec<BankQuestion>>> {
    let category = p.category.as_deref().and_then(super::category_path);
    let f = BankFilter { category, kind: p.kind, status: p.status, q: p.q, owner_unit: None };
    let (limit, offset) = window(p.limit, p.offset, LONG_PAGES);
    let rows = store::questions(&s.db, &me.scope, &f, limit, offset).await?;
    Ok(axum::Json(rows.iter().map(store::QuestionRow::bank).collect::<Result<_>>()?))
}

/// Import parameters.
#[derive(Deserialize, IntoParams)]
pub struct ImportParams {
    /// xlsx, csv, gift, moodle or aiken.
    format: String,
    /// Category of questions that do not say (default home).
    category: Option<String>,
    /// Difficulty of questions that do not say (default 2).
    difficulty: Option<u8>,
}

/// The outcome of an import.
#[derive(Serialize, ToSchema)]
pub struct Imported {
    /// Questions added to the bank.
    imported: usize,
    /// Questions already in the bank just as the file has them, left as they are.
    skipped: usize,
    /// What the file held that the bank does not keep (a picture it cannot read or does not hold,
    /// Moodle's combined feedback, Cloze answers), by line and part.
    warnings: Vec<ImportError>,
}

fn format_param(s: &str) -> Result<Format> {
    Format::parse(s).ok_or_else(|| Error::invalid("format", "error.bank_format"))
}

/// Imports a bank file (the body) into your unit's bank, all or nothing.
#[utoipa::path(post, path = "/api/v1/questions/import", tag = "quiz", params(ImportParams), request_body(content = Vec<u8>, content_type = "application/octet-stream"), responses((status = 201, body = Imported), (status = 422, body = ImportErrors)))]
async fn import(
    State(s): State<AppState>,
    me: Principal,
    Query(p): Query<ImportParams>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response> {
    let format = format_param(&p.format)?;
    let defaults =
        Defaults { category: super::default_category(p.category.as_deref()), difficulty: p.difficulty.unwrap_or(2) };
    Ok(match actions::import(&s.db, &me, format, &body, &defaults).await? {
        Ok(added) => {
            let imported = Imported {
                imported: added.count,
                skipped: added.skipped,
                warnings: ImportError::listed(added.warnings, &headers),
            };
            (StatusCode::CREATED, axum::Json(imported)).into_response()
        }
        Err(errors) => ImportErrors::response(errors, &headers),
    })
}

/// Export parameters.
#[derive(Deserialize, IntoParams)]
pub struct ExportParams {
    /// xlsx, csv, gift, moodle or aiken (single-choice questions only).
    format: String,
}

/// The active bank visible to you as a file.
#[utoipa::path(get, path = "/api/v1/questions/export", tag = "quiz", params(ExportParams), responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>)))]
async fn export(State(s): State<AppState>, me: Principal, Query(p): Query<ExportParams>) -> Result<Response> {
    let format = format_param(&p.format)?;
    Ok(crate::web::download(&format.file_name(), format.file().1, actions::export(&s.db, &me, format).await?))
}

/// A change of a question's status.
#[derive(Deserialize, ToSchema)]
pub struct StatusInput {
    /// Whether it is drawn (false retires it).
    active: bool,
}

/// Retires a question of your area, or makes it active again.
#[utoipa::path(post, path = "/api/v1/questions/{id}/status", tag = "quiz", params(("id" = i64, Path)), request_body = StatusInput, responses((status = 204), (status = 404, body = crate::error::Problem)))]
async fn status(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Json(i): Json<StatusInput>,
) -> Result<StatusCode> {
    actions::set_status(&s.db, &me, id, i.active).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Quizzes of your area and above.
#[utoipa::path(get, path = "/api/v1/quizzes", tag = "quiz", responses((status = 200, body = Vec<Quiz>)))]
async fn quizzes(State(s): State<AppState>, me: Principal) -> Result<axum::Json<Vec<Quiz>>> {
    Ok(axum::Json(store::quizzes(&s.db, &me.scope).await?))
}

/// Sets up a quiz owned by your unit.
#[utoipa::path(post, path = "/api/v1/quizzes", tag = "quiz", request_body = QuizInput, responses((status = 201, body = Quiz), (status = 422, body = crate::error::Problem)))]
async fn create(
    State(s): State<AppState>,
    me: Principal,
    Json(input): Json<QuizInput>,
) -> Result<(StatusCode, axum::Json<Quiz>)> {
    let id = actions::create(&s.db, &me, &s.config.sms, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(store::quiz(&s.db, &me.scope, id).await?)))
}

/// Leaderboard parameters.
#[derive(Deserialize, IntoParams)]
pub struct BoardParams {
    /// Only participants living in this region (code).
    region: Option<String>,
    /// Only participants of this school or unit.
    school: Option<String>,
    /// How many (at most 1000, default 100).
    limit: Option<i64>,
}

/// The best participants of a quiz by score, then time.
#[utoipa::path(get, path = "/api/v1/quizzes/{id}/leaderboard", tag = "quiz", params(("id" = i64, Path), BoardParams), responses((status = 200, body = Vec<BoardLine>)))]
async fn leaderboard(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Query(p): Query<BoardParams>,
) -> Result<axum::Json<Vec<BoardLine>>> {
    let quiz = store::quiz(&s.db, &me.scope, id).await?;
    let region = match p.region.as_deref().filter(|r| !r.is_empty()) {
        Some(code) => Some(crate::org::Scope::under(
            &crate::org::store::region(&s.db, &crate::org::Scope::province(), code)
                .await
                .map_err(|_| Error::invalid("region", "error.no_region_jilin"))?
                .path,
        )),
        None => None,
    };
    let school = p.school.as_deref().filter(|x| !x.is_empty());
    Ok(axum::Json(
        store::board(&s.db, quiz.id, region.as_ref(), school, false, p.limit.unwrap_or(100).clamp(1, 1000)).await?,
    ))
}

// ---- participants ----

/// A participant as they see themselves.
#[derive(Serialize, ToSchema)]
pub struct Me {
    /// Nickname.
    nickname: String,
    /// Region code.
    region_code: String,
    /// School or unit.
    school: String,
    /// The phone they proved, masked (`139****5678`), or empty.
    phone: String,
}

impl From<crate::quiz::store::Participant> for Me {
    fn from(p: crate::quiz::store::Participant) -> Self {
        Self { nickname: p.nickname, region_code: p.region_code, school: p.school, phone: p.phone_masked }
    }
}

/// Registers this device's participant (or returns the one registered).
#[utoipa::path(post, path = "/api/v1/public/participants", tag = "quiz", request_body = JoinInput, responses((status = 200, body = Me), (status = 422, body = crate::error::Problem), (status = 429, body = crate::error::Problem)))]
async fn join(
    State(s): State<AppState>,
    Extension(writers): Extension<Writers>,
    rc: RequestCtx,
    headers: HeaderMap,
    Json(input): Json<JoinInput>,
) -> Result<axum::Json<Me>> {
    let (token, traits) = (session::device_token(&headers)?, session::device_traits(&headers, &rc.ip));
    let p = actions::join(&writers, &s.key, &token, &traits, &input, &rc.ip).await?;
    Ok(axum::Json(p.into()))
}

/// A phone to prove.
#[derive(Deserialize, ToSchema)]
pub struct PhoneInput {
    /// A mainland mobile number (`139 1234 5678`, `+86…`).
    phone: String,
}

/// Sends a code to a phone for this device's participant to prove it with (a quiz may take
/// only proved phones: one phone is one person). At most one a minute for a device.
#[utoipa::path(post, path = "/api/v1/public/participants/code", tag = "quiz", request_body = PhoneInput, responses((status = 200, body = CodeSent), (status = 422, body = crate::error::Problem), (status = 429, body = crate::error::Problem)))]
async fn send_code(
    State(s): State<AppState>,
    rc: RequestCtx,
    headers: HeaderMap,
    Json(input): Json<PhoneInput>,
) -> Result<axum::Json<CodeSent>> {
    let token = session::device_token(&headers)?;
    let sent = actions::send_code(&s.db, &s.key, &s.config.sms, &token, &input.phone, &rc.ip).await?;
    Ok(axum::Json(CodeSent { sent }))
}

/// Proves the phone with the code sent to it. When another device proved the same phone before,
/// this device becomes that participant: the answer says who.
#[utoipa::path(post, path = "/api/v1/public/participants/phone", tag = "quiz", request_body = PhoneCode, responses((status = 200, body = Me), (status = 422, body = crate::error::Problem)))]
async fn prove_phone(
    State(s): State<AppState>,
    headers: HeaderMap,
    Json(input): Json<PhoneCode>,
) -> Result<axum::Json<Me>> {
    let token = session::device_token(&headers)?;
    Ok(axum::Json(actions::prove_phone(&s.db, &s.key, &token, &input.code).await?.into()))
}

/// A started attempt.
#[derive(Serialize, ToSchema)]
pub struct Started {
    /// The attempt's token (used in the next calls).
    token: String,
    /// How many questions it has.
    total: i64,
}

/// Starts an attempt of a quiz for this device's participant.
#[utoipa::path(post, path = "/api/v1/public/quizzes/{slug}/attempts", tag = "quiz", params(("slug" = String, Path)), responses((status = 201, body = Started), (status = 409, body = crate::error::Problem), (status = 429, body = crate::error::Problem)))]
async fn start(
    State(s): State<AppState>,
    Extension(writers): Extension<Writers>,
    ctx: RequestCtx,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Result<(StatusCode, axum::Json<Started>)> {
    let quiz = store::quiz_by_slug(&s.db, &slug).await?;
    let p = actions::me(&s.db, &s.key, &crate::web::session::device_token(&headers)?)
        .await?
        .ok_or_else(|| Error::invalid("x-device-token", "error.join_first"))?;
    let token = actions::start(&writers, &s.key, &quiz, &p, &ctx.ip).await?;
    let total = i64::from(quiz.blueprint()?.total());
    Ok((StatusCode::CREATED, axum::Json(Started { token, total })))
}

/// A question of the attempt, as shown (its options in this attempt's order).
#[utoipa::path(get, path = "/api/v1/public/attempts/{token}/questions/{position}", tag = "quiz", params(("token" = String, Path), ("position" = i64, Path)), responses((status = 200, body = Shown), (status = 409, body = crate::error::Problem)))]
async fn question(
    State(s): State<AppState>,
    Path((token, position)): Path<(String, i64)>,
) -> Result<axum::Json<Shown>> {
    Ok(axum::Json(actions::show(&s.db, &token, position).await?))
}

/// Whether an answer counted.
#[derive(Serialize, ToSchema)]
pub struct Answered {
    /// false when the question had been answered already (the replay changed nothing).
    accepted: bool,
}

/// Answers a question of the attempt, once, before its deadline.
#[utoipa::path(post, path = "/api/v1/public/attempts/{token}/questions/{position}", tag = "quiz", params(("token" = String, Path), ("position" = i64, Path)), request_body = AnswerInput, responses((status = 200, body = Answered), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
async fn answer(
    Extension(writers): Extension<Writers>,
    Path((token, position)): Path<(String, i64)>,
    Json(input): Json<AnswerInput>,
) -> Result<axum::Json<Answered>> {
    let accepted = actions::answer(&writers, &token, position, &input.answer).await?;
    Ok(axum::Json(Answered { accepted }))
}

/// Finishes the attempt and returns its score and rank (finishing twice changes nothing).
#[utoipa::path(post, path = "/api/v1/public/attempts/{token}/finish", tag = "quiz", params(("token" = String, Path)), responses((status = 200, body = Finished)))]
async fn finish(State(s): State<AppState>, Path(token): Path<String>) -> Result<axum::Json<Finished>> {
    Ok(axum::Json(actions::finish(&s.db, &token).await?))
}

/// The routes of this area.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(bank))
        .routes(routes!(import))
        .routes(routes!(export))
        .routes(routes!(status))
        .routes(routes!(quizzes, create))
        .routes(routes!(leaderboard))
        .routes(routes!(join))
        .routes(routes!(send_code))
        .routes(routes!(prove_phone))
        .routes(routes!(start))
        .routes(routes!(question, answer))
        .routes(routes!(finish))
        .merge(super::selection::api::router())
        .merge(super::live::api::router())
}
