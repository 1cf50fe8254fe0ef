//! The public quiz pages, phone first and without an account: a quiz's start page (join with a
//! nickname and where you live; the browser keeps a device token), one question a page with a
//! countdown, the result with every explanation and your rank, a share card, and the public
//! leaderboard with participation per 10,000 residents.

use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::actions::{self, Finished, JoinInput, Shown};
use super::store::{self, BoardLine, Participant, Quiz};
use super::writer::Writers;
use super::{Answer, Kind, letter};
use crate::org::Scope;
use crate::org::picker::{self, RegionPicker, Spec};
use crate::web::AppState;
use crate::web::extract::{Form, Path};
use crate::web::layout::PageCtx;
use crate::web::session::{RequestCtx, device, device_token, device_traits};
use crate::{Error, Result, clock};

/// A player's county, inside the quiz's audience.
const HOME: Spec = Spec::required("region_code", 2, 2);

#[derive(Template, WebTemplate)]
#[template(path = "quiz/start.html")]
struct StartPage {
    ctx: PageCtx,
    quiz: Quiz,
    me: Option<Participant>,
    place: RegionPicker,
    open: bool,
    total: u32,
    rank: Option<(i64, i64, i64)>,
    /// The phone (masked) a code was sent to for this device's participant, while it waits.
    code_sent: Option<String>,
    error: Option<String>,
}

impl StartPage {
    fn minutes(&self) -> i64 {
        (self.quiz.time_limit_seconds + 59) / 60
    }
    fn hello(&self) -> String {
        self.ctx.fill("quiz.hello", &[self.me.as_ref().map_or("", |p| p.nickname.as_str())])
    }
    fn code_hint(&self) -> String {
        self.ctx.fill("quiz.code_hint", &[self.code_sent.as_deref().unwrap_or_default()])
    }
}

async fn start_page(
    state: &AppState,
    ctx: PageCtx,
    headers: &HeaderMap,
    slug: &str,
    error: Option<String>,
) -> Result<Response> {
    let quiz = store::quiz_by_slug(&state.db, slug).await?;
    let (token, cookie) = device(state, headers);
    let me = actions::me(&state.db, &state.key, &token).await?;
    let rank = match &me {
        Some(p) => store::rank(&state.db, quiz.id, p.id).await?,
        None => None,
    };
    let code_sent = if me.is_some() { actions::code_sent_to(&state.db, &state.key, &token).await? } else { None };
    let page = StartPage {
        ctx,
        open: quiz.is_open(clock::now()),
        total: quiz.blueprint()?.total(),
        place: picker::build(&state.db, &Scope::under(&quiz.audience_path), HOME, "", true).await?,
        me,
        rank,
        code_sent,
        quiz,
        error,
    };
    let mut r = page.into_response();
    if let Some(c) = cookie {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(r)
}

async fn start(
    State(state): State<AppState>,
    ctx: PageCtx,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Result<Response> {
    start_page(&state, ctx, &headers, &slug, None).await
}

async fn join(
    State(state): State<AppState>,
    Extension(writers): Extension<Writers>,
    ctx: PageCtx,
    rctx: RequestCtx,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(input): Form<JoinInput>,
) -> Result<Response> {
    let (token, cookie) = device(&state, &headers);
    let traits = device_traits(&headers, &rctx.ip);
    match actions::join(&writers, &state.key, &token, &traits, &input, &rctx.ip).await {
        Ok(_) => {
            let mut r = Redirect::to(&format!("/p/quiz/{slug}")).into_response();
            if let Some(c) = cookie {
                r.headers_mut().append(header::SET_COOKIE, c);
            }
            Ok(r)
        }
        Err(Error::Invalid { message, .. } | Error::TooMany(message)) => {
            start_page(&state, ctx, &headers, &slug, Some(message)).await
        }
        Err(e) => Err(e),
    }
}

#[derive(serde::Deserialize)]
struct PhoneForm {
    #[serde(default)]
    phone: String,
    #[serde(default)]
    code: String,
}

/// Sends a code to the phone typed, for a quiz that takes only proved phones.
async fn send_code(
    State(state): State<AppState>,
    ctx: PageCtx,
    rctx: RequestCtx,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(f): Form<PhoneForm>,
) -> Result<Response> {
    let token = device_token(&headers)?;
    match actions::send_code(&state.db, &state.key, &state.config.sms, &token, &f.phone, &rctx.ip).await {
        Ok(true) => Ok(Redirect::to(&format!("/p/quiz/{slug}#code")).into_response()),
        Ok(false) => start_page(&state, ctx, &headers, &slug, Some("error.code_not_sent".into())).await,
        Err(Error::Invalid { message, .. } | Error::TooMany(message)) => {
            start_page(&state, ctx, &headers, &slug, Some(message)).await
        }
        Err(e) => Err(e),
    }
}

/// Takes back the code: the phone is proved, and the player may start.
async fn prove_phone(
    State(state): State<AppState>,
    ctx: PageCtx,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(f): Form<PhoneForm>,
) -> Result<Response> {
    let token = device_token(&headers)?;
    match actions::prove_phone(&state.db, &state.key, &token, &f.code).await {
        Ok(_) => Ok(Redirect::to(&format!("/p/quiz/{slug}")).into_response()),
        Err(Error::Invalid { message, .. }) => start_page(&state, ctx, &headers, &slug, Some(message)).await,
        Err(e) => Err(e),
    }
}

async fn begin(
    State(state): State<AppState>,
    Extension(writers): Extension<Writers>,
    ctx: PageCtx,
    rctx: RequestCtx,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Result<Response> {
    let quiz = store::quiz_by_slug(&state.db, &slug).await?;
    let token = device_token(&headers).ok();
    let me = match &token {
        Some(t) => actions::me(&state.db, &state.key, t).await?,
        None => None,
    };
    let Some(me) = me else { return Ok(Redirect::to(&format!("/p/quiz/{slug}")).into_response()) };
    match actions::start(&writers, &state.key, &quiz, &me, &rctx.ip).await {
        Ok(attempt) => Ok(Redirect::to(&format!("/p/attempts/{attempt}/0")).into_response()),
        Err(e @ (Error::Conflict(_) | Error::TooMany(_))) => {
            start_page(&state, ctx, &headers, &slug, Some(e.to_string())).await
        }
        Err(Error::Forbidden) => {
            let message = ctx.t("quiz.not_audience").to_owned();
            start_page(&state, ctx, &headers, &slug, Some(message)).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "quiz/question.html")]
struct QuestionPage {
    ctx: PageCtx,
    token: String,
    q: Shown,
    error: Option<String>,
}

impl QuestionPage {
    fn letter(&self, i: &usize) -> char {
        letter(*i)
    }
    /// 第3题 / 共10题.
    fn heading(&self) -> String {
        self.ctx.fill("quiz.question_of", &[&(self.q.position + 1).to_string(), &self.q.total.to_string()])
    }
    fn is_multiple(&self) -> bool {
        self.q.kind == Kind::Multiple
    }
    fn is_choice(&self) -> bool {
        matches!(self.q.kind, Kind::Single | Kind::Multiple)
    }
    fn is_truth(&self) -> bool {
        self.q.kind == Kind::TrueFalse
    }
    fn is_number(&self) -> bool {
        self.q.kind == Kind::Numerical
    }
    fn is_matching(&self) -> bool {
        self.q.kind == Kind::Matching
    }
    fn last(&self) -> bool {
        self.q.position + 1 >= self.q.total
    }
}

async fn question(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((token, position)): Path<(String, i64)>,
) -> Result<Response> {
    match actions::show(&state.db, &token, position).await {
        Ok(q) => Ok(QuestionPage { ctx, token, q, error: None }.into_response()),
        // Finished or out of time: the result page says what counts.
        Err(Error::Conflict(_)) => Ok(Redirect::to(&format!("/p/attempts/{token}/result")).into_response()),
        Err(e) => Err(e),
    }
}

async fn answer(
    State(state): State<AppState>,
    Extension(writers): Extension<Writers>,
    ctx: PageCtx,
    Path((token, position)): Path<(String, i64)>,
    axum::extract::RawForm(body): axum::extract::RawForm,
) -> Result<Response> {
    // Several `option` fields (checkboxes) and `match` fields (one an item) need a parser that
    // collects repeated keys.
    let (mut options, mut matches, mut truth, mut text) = (Vec::new(), Vec::new(), None, None);
    for (k, v) in form_urlencoded::parse(&body) {
        match k.as_ref() {
            "option" => options.push(v.parse().map_err(|_| Error::invalid("option", "error.option_number"))?),
            "match" => matches.push(v.into_owned()),
            "truth" => truth = Some(v == "true"),
            "text" => text = Some(v.into_owned()),
            _ => {}
        }
    }
    let given = match (truth, text) {
        (Some(t), _) => Answer::Truth(t),
        (None, Some(t)) => Answer::Text(vec![t]),
        (None, None) if !matches.is_empty() && matches.iter().all(|m| !m.is_empty()) => Answer::Text(matches),
        (None, None) if matches.is_empty() && !options.is_empty() => Answer::Choice(options),
        (None, None) => {
            let q = actions::show(&state.db, &token, position).await?;
            let error = Some(ctx.t("quiz.choose_answer").to_owned());
            return Ok(QuestionPage { ctx, token, q, error }.into_response());
        }
    };
    match actions::answer(&writers, &token, position, &given).await {
        Ok(_) => {}
        Err(Error::Conflict(_)) => return Ok(Redirect::to(&format!("/p/attempts/{token}/result")).into_response()),
        Err(Error::Invalid { message, .. }) => {
            let q = actions::show(&state.db, &token, position).await?;
            return Ok(QuestionPage { ctx, token, q, error: Some(message) }.into_response());
        }
        Err(e) => return Err(e),
    }
    let total = store::drawn_count(&state.db, store::attempt_by_token(&state.db, &token).await?.id).await?;
    if position + 1 < total {
        return Ok(Redirect::to(&format!("/p/attempts/{token}/{}", position + 1)).into_response());
    }
    actions::finish_at(&state.db, &token, crate::clock::now_ms()).await?;
    Ok(Redirect::to(&format!("/p/attempts/{token}/result")).into_response())
}

/// Hands the attempt in before the last question.
async fn hand_in(State(state): State<AppState>, Path(token): Path<String>) -> Result<Redirect> {
    actions::finish_at(&state.db, &token, crate::clock::now_ms()).await?;
    Ok(Redirect::to(&format!("/p/attempts/{token}/result")))
}

/// One question of the review after the quiz.
struct Review {
    stem: String,
    html: String,
    options: Vec<String>,
    given: String,
    right: String,
    correct: bool,
    /// Part of the points, not all.
    partly: bool,
    feedback: Vec<String>,
    explanation: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "quiz/result.html")]
struct ResultPage {
    ctx: PageCtx,
    quiz: Quiz,
    result: Finished,
    review: Vec<Review>,
    token: String,
}

fn show_answer(q: &super::Question, a: &Answer) -> String {
    match a {
        Answer::Choice(picked) => {
            picked.iter().filter_map(|&i| q.options.get(i)).cloned().collect::<Vec<_>>().join("；")
        }
        Answer::Truth(true) => "√".to_owned(),
        Answer::Truth(false) => "×".to_owned(),
        Answer::Text(t) if q.kind == Kind::Matching => super::pairs_text(&q.options, t),
        Answer::Text(t) => t.join(" / "),
        Answer::Number(keys) => super::table::number_list(keys, " / "),
        Answer::Match { pairs, .. } => super::pairs_text(&q.options, pairs),
        Answer::Open => String::new(),
    }
}

async fn result(State(state): State<AppState>, ctx: PageCtx, Path(token): Path<String>) -> Result<Response> {
    let attempt = store::attempt_by_token(&state.db, &token).await?;
    if attempt.submitted_at.is_none() {
        if clock::now() <= attempt.deadline_at {
            let next = store::drawn(&state.db, attempt.id, None)
                .await?
                .into_iter()
                .find(|d| d.answered_at.is_none())
                .map_or(0, |d| d.position);
            return Ok(Redirect::to(&format!("/p/attempts/{token}/{next}")).into_response());
        }
        // Time ran out: what was answered counts.
        actions::finish_at(&state.db, &token, crate::clock::now_ms()).await?;
    }
    let result = actions::result(&state.db, &token).await?;
    let quiz = store::quiz_by_id(&state.db, attempt.quiz_id).await?;
    let mut review = Vec::new();
    for d in store::drawn(&state.db, attempt.id, None).await? {
        let q = d.q.question()?;
        let given: Option<Answer> = d.given.as_deref().and_then(|g| serde_json::from_str(g).ok());
        let credit = given.as_ref().map_or(0.0, |g| q.credit(g));
        review.push(Review {
            given: given.as_ref().map_or_else(|| "—".to_owned(), |g| show_answer(&q, g)),
            right: show_answer(&q, &q.full_marks()),
            correct: d.correct == Some(true),
            partly: credit > 0.0 && credit < 1.0,
            feedback: given
                .as_ref()
                .map(|g| q.feedback_on(g).into_iter().map(str::to_owned).collect())
                .unwrap_or_default(),
            stem: q.stem.clone(),
            html: super::html::clean(&q.html),
            options: if q.kind == Kind::Matching { Vec::new() } else { q.options.clone() },
            explanation: q.explanation.clone(),
        });
    }
    Ok(ResultPage { ctx, quiz, result, review, token }.into_response())
}

/// The share card: a PNG (which WeChat and phone browsers save on a long press) with the quiz,
/// the score and the rank, in the reader's language.
async fn card(State(state): State<AppState>, ctx: PageCtx, Path(token): Path<String>) -> Result<Response> {
    let r = actions::result(&state.db, &token).await?;
    let attempt = store::attempt_by_token(&state.db, &token).await?;
    let quiz = store::quiz_by_id(&state.db, attempt.quiz_id).await?;
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let (correct, total) = (r.correct.to_string(), r.total.to_string());
    let line = match r.rank {
        Some(k) => ctx.fill("quiz.card_ranked", &[&correct, &total, &ctx.num(k), &ctx.num(r.ranked)]),
        None => ctx.fill("quiz.card_correct", &[&correct, &total]),
    };
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"600\" height=\"320\" viewBox=\"0 0 600 320\">\
         <rect width=\"600\" height=\"320\" rx=\"16\" fill=\"#c8281a\"/><rect x=\"16\" y=\"16\" width=\"568\" height=\"288\" rx=\"10\" fill=\"#fff\"/>\
         <text x=\"300\" y=\"80\" text-anchor=\"middle\" font-size=\"26\" font-family=\"sans-serif\" fill=\"#222\">{t}</text>\
         <text x=\"300\" y=\"170\" text-anchor=\"middle\" font-size=\"64\" font-weight=\"bold\" font-family=\"sans-serif\" fill=\"#c8281a\">{s}</text>\
         <text x=\"300\" y=\"220\" text-anchor=\"middle\" font-size=\"22\" font-family=\"sans-serif\" fill=\"#333\">{c}</text>\
         <text x=\"300\" y=\"275\" text-anchor=\"middle\" font-size=\"18\" font-family=\"sans-serif\" fill=\"#666\">{m}</text></svg>",
        t = esc(&quiz.title),
        s = esc(&ctx.fill("quiz.card_score", &[&r.score.to_string()])),
        c = esc(&line),
        m = esc(ctx.t("quiz.card_motto")),
    );
    let png = tokio::task::spawn_blocking(move || crate::svg::png::svg_to_png(&svg, 2.0))
        .await
        .map_err(|e| anyhow::anyhow!("share card: {e}"))?
        .map_err(|e| anyhow::anyhow!("share card: {e}"))?;
    Ok(([(header::CONTENT_TYPE, "image/png"), (header::CACHE_CONTROL, "no-store")], png).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "quiz/board.html")]
struct BoardPage {
    ctx: PageCtx,
    quiz: Quiz,
    lines: Vec<BoardLine>,
    regions: Vec<Participation>,
    chart: String,
}

/// Participation of one prefecture-level region.
pub struct Participation {
    /// Region name.
    pub name: String,
    pub(crate) participants: i64,
    /// Per 10,000 residents (2020 census), to one decimal.
    pub per_10k: String,
}

/// Participants per prefecture-level region with their rate per 10,000 residents.
pub async fn participation(state: &AppState, quiz: &Quiz) -> Result<Vec<Participation>> {
    let counts = store::participation(&state.db, quiz.id, 9).await?;
    let mut out = Vec::new();
    for r in crate::org::store::region_children(&state.db, &crate::org::Scope::province(), "220000").await? {
        let n = counts.iter().find(|(p, _)| *p == r.path).map_or(0, |c| c.1);
        let pop = r.population.unwrap_or(0);
        #[allow(clippy::cast_precision_loss)]
        let rate = if pop > 0 { n as f64 * 10_000.0 / pop as f64 } else { 0.0 };
        out.push(Participation { name: r.name, participants: n, per_10k: format!("{rate:.1}") });
    }
    Ok(out)
}

/// The participation chart of a quiz, in the reader's language, for a wide screen and a phone.
pub fn participation_chart(ctx: &PageCtx, regions: &[Participation]) -> String {
    use crate::svg::chart::{self, Chart, Series};
    let data = Chart {
        title: ctx.t("quiz.per_10k").to_owned(),
        unit: ctx.t("quiz.per_10k_unit").to_owned(),
        lang: ctx.lang,
        categories: regions.iter().map(|r| r.name.clone()).collect(),
        series: vec![Series {
            name: ctx.t("quiz.per_10k").to_owned(),
            values: regions.iter().map(|r| r.per_10k.parse().unwrap_or(0.0)).collect(),
        }],
    };
    chart::for_screens(|w, h| chart::bar(&data, w, h), (640, 300), (340, 300))
}

/// A picture of the bank, by the SHA-256 of its JPEG: the same address always serves the same
/// bytes, so browsers keep it.
async fn image(State(state): State<AppState>, Path(file): Path<String>) -> Result<Response> {
    let sha256 = file.strip_suffix(".jpg").ok_or(Error::NotFound)?;
    let bytes = store::image(&state.db, sha256).await?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "image/jpeg"),
            (axum::http::header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        bytes,
    )
        .into_response())
}

async fn board(State(state): State<AppState>, ctx: PageCtx, Path(slug): Path<String>) -> Result<BoardPage> {
    let quiz = store::quiz_by_slug(&state.db, &slug).await?;
    let lines = store::board(&state.db, quiz.id, None, None, true, 100).await?;
    let regions = participation(&state, &quiz).await?;
    let chart = participation_chart(&ctx, &regions);
    Ok(BoardPage { ctx, quiz, lines, regions, chart })
}

/// The public quiz pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/p/quiz/{slug}", get(start))
        .route("/p/quiz/{slug}/join", post(join))
        .route("/p/quiz/{slug}/start", post(begin))
        .route("/p/quiz/{slug}/code", post(send_code))
        .route("/p/quiz/{slug}/phone", post(prove_phone))
        .route("/p/quiz/{slug}/board", get(board))
        .route("/p/quiz/images/{file}", get(image))
        .route("/p/attempts/{token}/{position}", get(question).post(answer))
        .route("/p/attempts/{token}/finish", post(hand_in))
        .route("/p/attempts/{token}/result", get(result))
        .route("/p/attempts/{token}/card.png", get(card))
}
