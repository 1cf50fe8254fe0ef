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

use super::actions::{self, Added, QuizInput, can_manage};
use super::public::{Participation, participation, participation_chart};
use super::store::{self, Attempt, BankFilter, BankQuestion, BoardLine, Quiz};
use super::{Blueprint, BlueprintLine, Defaults, Format, FormatError, Kind, QuestionStatus};
use crate::i18n::keyed;
use crate::org::caller::Principal;
use crate::org::picker::{self, RegionPicker, Spec};
use crate::web::AppState;
use crate::web::extract::{Fields, MultipartForm};
use crate::web::extract::{Form, Path, Query};
use crate::web::layout::PageCtx;
use crate::{Error, Result};

#[derive(Template, WebTemplate)]
#[template(path = "quiz/list.html")]
struct ListPage {
    ctx: PageCtx,
    quizzes: Vec<Quiz>,
    can_manage: bool,
    place: RegionPicker,
    error: Option<String>,
    form: QuizForm,
    categories: Vec<String>,
}

/// The quiz form as typed.
/// Rows of the blueprint on the quiz form.
const BLUEPRINT_ROWS: usize = 6;

/// One row of the blueprint as typed: category and difficulty (`*` for any), how many.
#[derive(Clone, Debug, Default)]
struct BlueprintRow {
    category: String,
    difficulty: String,
    count: String,
}

/// The quiz form as typed.
#[derive(Clone, Debug, Default)]
struct QuizForm {
    title: String,
    description: String,
    opens_at: String,
    closes_at: String,
    rows: Vec<BlueprintRow>,
    time_limit_minutes: String,
    attempts_per_day: String,
    audience_region: String,
    scoring: String,
    phone_required: bool,
}

/// Where a quiz is open: the creator's area or a part of it, down to a county.
const AUDIENCE: Spec = Spec::required("audience_region", 0, 2);

impl QuizForm {
    fn blank() -> Self {
        let row = |d: &str, n: &str| BlueprintRow { category: "*".into(), difficulty: d.into(), count: n.into() };
        let mut rows = vec![row("1", "4"), row("2", "4"), row("3", "2")];
        rows.resize(BLUEPRINT_ROWS, BlueprintRow::default());
        Self {
            rows,
            time_limit_minutes: "10".into(),
            attempts_per_day: "3".into(),
            scoring: "accuracy".into(),
            ..Self::default()
        }
    }

    fn from_fields(f: &Fields) -> Self {
        let rows = (0..BLUEPRINT_ROWS)
            .map(|i| BlueprintRow {
                category: f.get(&format!("bp{i}_category")),
                difficulty: f.get(&format!("bp{i}_difficulty")),
                count: f.get(&format!("bp{i}_count")),
            })
            .collect();
        Self {
            title: f.get("title"),
            description: f.get("description"),
            opens_at: f.get("opens_at"),
            closes_at: f.get("closes_at"),
            rows,
            time_limit_minutes: f.get("time_limit_minutes"),
            attempts_per_day: f.get("attempts_per_day"),
            audience_region: picker::picked(AUDIENCE.field, |k| Some(f.get(k))),
            scoring: f.get("scoring"),
            phone_required: f.get("phone_required") == "1",
        }
    }

    /// The blueprint of the rows with a count, in the text the quiz input takes.
    fn blueprint(&self) -> Result<String> {
        let mut lines = Vec::new();
        for (i, r) in self.rows.iter().enumerate().filter(|(_, r)| !r.count.is_empty()) {
            let count: u32 = r.count.parse().ok().filter(|n| (1..=100).contains(n)).ok_or_else(|| {
                Error::invalid("blueprint", keyed("error.blueprint_row_count", &[&(i + 1).to_string()]))
            })?;
            let category = Some(r.category.clone()).filter(|c| !c.is_empty() && c != "*");
            lines.push(BlueprintLine { category, difficulty: r.difficulty.parse().ok(), count });
        }
        Ok(Blueprint(lines).text())
    }

    fn input(&self) -> Result<QuizInput> {
        let number =
            |field: &str, s: &str| s.trim().parse::<i64>().map_err(|_| Error::invalid(field, "error.whole_number"));
        Ok(QuizInput {
            title: self.title.clone(),
            description: self.description.clone(),
            campaign_id: None,
            opens_at: self.opens_at.clone(),
            closes_at: self.closes_at.clone(),
            blueprint: self.blueprint()?,
            time_limit_seconds: number("time_limit_minutes", &self.time_limit_minutes)?.saturating_mul(60),
            attempts_per_day: number("attempts_per_day", &self.attempts_per_day)?,
            audience_region: self.audience_region.clone(),
            scoring: Some(self.scoring.clone()),
            prize_min_score: 0,
            phone_required: self.phone_required,
        })
    }
}

async fn list_page(
    state: &AppState,
    ctx: PageCtx,
    me: &Principal,
    form: QuizForm,
    error: Option<String>,
) -> Result<ListPage> {
    Ok(ListPage {
        place: picker::build(&state.db, &me.scope, AUDIENCE, &form.audience_region, false).await?,
        ctx,
        quizzes: store::quizzes(&state.db, &me.scope).await?,
        can_manage: can_manage(me.role),
        error,
        form,
        categories: crate::quiz::store::categories(&state.db, &me.scope).await?,
    })
}

async fn list(State(state): State<AppState>, ctx: PageCtx, me: Principal) -> Result<ListPage> {
    list_page(&state, ctx, &me, QuizForm::blank(), None).await
}

/// The form label of a field named in an error.
fn quiz_label(ctx: &PageCtx, field: &str) -> Option<&'static str> {
    Some(match field {
        "title" => ctx.t("quiz.title"),
        "description" => ctx.t("quiz.description"),
        "opens_at" => ctx.t("quiz.opens_at"),
        "closes_at" => ctx.t("quiz.closes_at"),
        "blueprint" => ctx.t("quiz.blueprint"),
        "time_limit_minutes" | "time_limit_seconds" => ctx.t("quiz.time_limit"),
        "attempts_per_day" => ctx.t("quiz.per_day"),
        "audience_region" => ctx.t("quiz.audience"),
        "scoring" => ctx.t("quiz.scoring"),
        "phone_required" => ctx.t("quiz.phone_required"),
        _ => return None,
    })
}

async fn create(State(state): State<AppState>, ctx: PageCtx, me: Principal, f: Fields) -> Result<Response> {
    let form = QuizForm::from_fields(&f);
    match async { actions::create(&state.db, &me, &state.config.sms, &form.input()?).await }.await {
        Ok(id) => Ok(Redirect::to(&format!("/quiz/{id}")).into_response()),
        Err(e) => {
            let (status, msg) = ctx.form_error(e, |f| quiz_label(&ctx, f))?;
            Ok((status, list_page(&state, ctx, &me, form, Some(msg)).await?).into_response())
        }
    }
}

/// A blueprint as a sentence: 每次答题抽取10题：不限分类（容易）4题；…
fn blueprint_sentence(ctx: &PageCtx, b: &Blueprint) -> String {
    let parts: Vec<String> = b
        .0
        .iter()
        .map(|l| {
            let category = l
                .category
                .as_deref()
                .map_or_else(|| ctx.t("quiz.any_category").to_owned(), |c| crate::quiz::category_label(ctx.lang, c));
            let difficulty =
                l.difficulty.map_or_else(|| ctx.t("quiz.any_difficulty"), |d| ctx.t(&format!("quiz.difficulty_{d}")));
            ctx.fill("quiz.blueprint_part", &[&category, difficulty, &l.count.to_string()])
        })
        .collect();
    let separator = if ctx.lang == crate::i18n::Lang::Zh { "；" } else { "; " };
    ctx.fill("quiz.blueprint_sentence", &[&b.total().to_string(), &parts.join(separator)])
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
        blueprint: blueprint_sentence(&ctx, &quiz.blueprint()?),
        chart: participation_chart(&ctx, &regions),
        ctx,
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
    categories: Vec<String>,
    kinds: [Kind; 8],
    formats: [Format; 5],
    can_manage: bool,
    errors: Vec<FormatError>,
    imported: Option<Added>,
}

impl BankPage {
    fn letter(&self, i: &usize) -> char {
        super::letter(*i)
    }
    /// The right answer as staff read it: with the share of the points of each answer that
    /// earns part of them, and a matching question's pairs.
    fn answer(&self, b: &BankQuestion) -> String {
        use super::Answer;
        let q = &b.question;
        let entry = |i: usize, label: String| match q.weights.get(i) {
            Some(w) if *w < 99.99 => format!("{label}（{w}%）"),
            _ => label,
        };
        let weighted = |labels: Vec<String>| {
            labels
                .into_iter()
                .enumerate()
                .filter(|(i, _)| q.weights.get(*i).is_none_or(|w| *w > 0.0))
                .map(|(i, l)| entry(i, l))
                .collect::<Vec<_>>()
                .join("；")
        };
        match &q.answer {
            Answer::Truth(t) => self.ctx.t(if *t { "quiz.true" } else { "quiz.false" }).to_owned(),
            Answer::Open => self.ctx.t("quiz.not_scored").to_owned(),
            Answer::Match { pairs, extra } if extra.is_empty() => super::pairs_text(&q.options, pairs),
            Answer::Match { pairs, extra } => format!(
                "{}{}",
                super::pairs_text(&q.options, pairs),
                self.ctx.fill("quiz.extra_answers", &[&extra.join("、")])
            ),
            Answer::Choice(_) if !q.weights.is_empty() => {
                weighted((0..q.options.len()).map(|i| super::letter(i).to_string()).collect())
            }
            Answer::Text(accepted) if !q.weights.is_empty() => weighted(accepted.clone()),
            Answer::Number(keys) if !q.weights.is_empty() => weighted(keys.iter().map(|k| k.text()).collect()),
            other => super::table::show_answer(other),
        }
    }

    fn skipped(&self, n: &usize) -> String {
        self.ctx.fill("quiz.import_skipped", &[&n.to_string()])
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
    imported: Option<Added>,
) -> Result<BankPage> {
    let some = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
    let f = BankFilter {
        category: super::category_path(&q.category),
        kind: some(&q.kind),
        status: some(&q.status),
        q: some(&q.q),
        owner_unit: None,
    };
    let rows = store::questions(&state.db, &me.scope, &f, 300, 0).await?;
    Ok(BankPage {
        ctx,
        questions: rows.iter().map(store::QuestionRow::bank).collect::<Result<_>>()?,
        q,
        categories: crate::quiz::store::categories(&state.db, &me.scope).await?,
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
        category: super::default_category(form.text("category")),
        difficulty: form.text("difficulty").and_then(|d| d.parse().ok()).unwrap_or(2),
    };
    let file = form.file("file", "error.choose_file")?;
    let format =
        form.text("format").and_then(Format::parse).ok_or_else(|| Error::invalid("format", "error.bank_format"))?;
    match actions::import(&state.db, &me, format, &file.bytes, &defaults).await? {
        Ok(added) => bank_page(&state, ctx, &me, BankQuery::default(), Vec::new(), Some(added)).await,
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
