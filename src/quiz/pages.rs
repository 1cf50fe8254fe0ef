//! Staff pages of the quiz: the quizzes with the form that sets one up, the question bank with
//! its import (XLSX, CSV, GIFT, Moodle XML, Aiken) and exports, and a quiz's page with its public
//! link, leaderboard, participation per 10,000 residents and the attempts flagged for review.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::actions::{self, QuizInput, can_manage};
use super::public::{Participation, participation, participation_chart};
use super::store::{self, Attempt, BankFilter, BankQuestion, BoardLine, Quiz};
use super::{CATEGORIES, Defaults, Format, FormatError, Kind, QuestionStatus};
use crate::org::caller::Principal;
use crate::web::AppState;
use crate::web::extract::MultipartForm;
use crate::web::extract::{Form, Path, Query};
use crate::web::layout::PageCtx;
use crate::{Error, Result};

#[derive(Template, WebTemplate)]
#[template(path = "quiz/list.html")]
struct ListPage {
    ctx: PageCtx,
    quizzes: Vec<Quiz>,
    can_manage: bool,
    error: Option<String>,
    form: QuizForm,
    categories: &'static [&'static str],
}

/// The quiz form as typed.
#[derive(Clone, Debug, Default, Deserialize)]
struct QuizForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    opens_at: String,
    #[serde(default)]
    closes_at: String,
    #[serde(default)]
    blueprint: String,
    #[serde(default)]
    time_limit_minutes: String,
    #[serde(default)]
    attempts_per_day: String,
    #[serde(default)]
    audience_region: String,
    #[serde(default)]
    scoring: String,
}

impl QuizForm {
    fn blank() -> Self {
        Self {
            blueprint: "* 1 4\n* 2 4\n* 3 2".into(),
            time_limit_minutes: "10".into(),
            attempts_per_day: "3".into(),
            audience_region: "220000".into(),
            scoring: "accuracy".into(),
            ..Self::default()
        }
    }

    fn input(&self) -> Result<QuizInput> {
        let number =
            |field: &str, s: &str| s.trim().parse::<i64>().map_err(|_| Error::invalid(field, "a whole number"));
        Ok(QuizInput {
            title: self.title.clone(),
            description: self.description.clone(),
            campaign_id: None,
            opens_at: self.opens_at.clone(),
            closes_at: self.closes_at.clone(),
            blueprint: self.blueprint.clone(),
            time_limit_seconds: number("time_limit_minutes", &self.time_limit_minutes)?.saturating_mul(60),
            attempts_per_day: number("attempts_per_day", &self.attempts_per_day)?,
            audience_region: self.audience_region.clone(),
            scoring: Some(self.scoring.clone()),
            prize_min_score: 0,
        })
    }
}

async fn list(State(state): State<AppState>, ctx: PageCtx, me: Principal) -> Result<ListPage> {
    Ok(ListPage {
        ctx,
        quizzes: store::quizzes(&state.db, &me.scope).await?,
        can_manage: can_manage(me.role),
        error: None,
        form: QuizForm::blank(),
        categories: CATEGORIES,
    })
}

async fn create(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Form(form): Form<QuizForm>,
) -> Result<Response> {
    match async { actions::create(&state.db, &me, &form.input()?).await }.await {
        Ok(id) => Ok(Redirect::to(&format!("/quiz/{id}")).into_response()),
        Err(Error::Invalid { message, field }) => Ok(ListPage {
            error: Some(field.map_or_else(|| message.clone(), |f| format!("{f}: {message}"))),
            quizzes: store::quizzes(&state.db, &me.scope).await?,
            can_manage: true,
            ctx,
            form,
            categories: CATEGORIES,
        }
        .into_response()),
        Err(e) => Err(e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "quiz/view.html")]
struct ViewPage {
    ctx: PageCtx,
    quiz: Quiz,
    blueprint: String,
    lines: Vec<BoardLine>,
    regions: Vec<Participation>,
    chart: String,
    participants: i64,
    attempts: i64,
    flagged_count: i64,
    flagged: Vec<Attempt>,
}

async fn view(State(state): State<AppState>, ctx: PageCtx, me: Principal, Path(id): Path<i64>) -> Result<ViewPage> {
    let quiz = store::quiz(&state.db, &me.scope, id).await?;
    let lines = store::board(&state.db, quiz.id, None, None, false, 100).await?;
    let regions = participation(&state, &quiz).await?;
    let (participants, attempts, flagged_count) = store::counts(&state.db, quiz.id).await?;
    Ok(ViewPage {
        ctx,
        blueprint: quiz.blueprint()?.text(),
        chart: participation_chart(&regions),
        flagged: store::flagged(&state.db, quiz.id, 50).await?,
        quiz,
        lines,
        regions,
        participants,
        attempts,
        flagged_count,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "quiz/bank.html")]
struct BankPage {
    ctx: PageCtx,
    questions: Vec<BankQuestion>,
    q: BankQuery,
    categories: &'static [&'static str],
    kinds: [Kind; 4],
    formats: [Format; 5],
    can_manage: bool,
    errors: Vec<FormatError>,
    imported: Option<usize>,
}

impl BankPage {
    fn letter(&self, i: &usize) -> char {
        super::letter(*i)
    }
    fn answer(&self, b: &BankQuestion) -> String {
        super::table::show_answer(&b.question.answer)
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
struct BankQuery {
    #[serde(default)]
    category: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    q: String,
}

async fn bank_page(
    state: &AppState,
    ctx: PageCtx,
    me: &Principal,
    q: BankQuery,
    errors: Vec<FormatError>,
    imported: Option<usize>,
) -> Result<BankPage> {
    let some = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
    let f = BankFilter { category: some(&q.category), kind: some(&q.kind), status: some(&q.status), q: some(&q.q) };
    let rows = store::questions(&state.db, &me.scope, &f, 300, 0).await?;
    Ok(BankPage {
        ctx,
        questions: rows.iter().map(store::QuestionRow::bank).collect::<Result<_>>()?,
        q,
        categories: CATEGORIES,
        kinds: Kind::ALL,
        formats: Format::ALL,
        can_manage: can_manage(me.role),
        errors,
        imported,
    })
}

async fn bank(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Query(q): Query<BankQuery>,
) -> Result<BankPage> {
    bank_page(&state, ctx, &me, q, Vec::new(), None).await
}

async fn import(State(state): State<AppState>, ctx: PageCtx, me: Principal, form: MultipartForm) -> Result<BankPage> {
    let defaults = Defaults {
        category: form.text("category").unwrap_or_default().to_owned(),
        difficulty: form.text("difficulty").and_then(|d| d.parse().ok()).unwrap_or(2),
    };
    let file = form.file("file", "error.choose_file")?;
    let format =
        form.text("format").and_then(Format::parse).ok_or_else(|| Error::invalid("format", "error.bank_format"))?;
    match actions::import(&state.db, &me, format, &file.bytes, &defaults).await? {
        Ok(n) => bank_page(&state, ctx, &me, BankQuery::default(), Vec::new(), Some(n)).await,
        Err(errors) => bank_page(&state, ctx, &me, BankQuery::default(), errors, None).await,
    }
}

#[derive(Deserialize)]
struct ExportQuery {
    format: String,
}

async fn export(State(state): State<AppState>, me: Principal, Query(q): Query<ExportQuery>) -> Result<Response> {
    let format = Format::parse(&q.format).ok_or_else(|| Error::invalid("format", "error.bank_format"))?;
    Ok(crate::web::download(&format.file_name(), format.file().1, actions::export(&state.db, &me, format).await?))
}

#[derive(Deserialize)]
struct StatusForm {
    active: bool,
}

async fn set_status(
    State(state): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Form(f): Form<StatusForm>,
) -> Result<Redirect> {
    actions::set_status(&state.db, &me, id, f.active).await?;
    Ok(Redirect::to("/quiz/bank"))
}

/// The staff pages of the quiz.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/quiz", get(list).post(create))
        .route("/quiz/bank", get(bank))
        .route("/quiz/bank/import", post(import))
        .route("/quiz/bank/export", get(export))
        .route("/quiz/questions/{id}/status", post(set_status))
        .route("/quiz/{id}", get(view))
        .merge(super::selection::pages::router())
        .merge(super::live::pages::router())
}
