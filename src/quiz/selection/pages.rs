//! Staff pages of a quiz's statistics and selections: `/quiz/{id}/stats` (facility and
//! discrimination per question, the weakest topics per region with a chart and the topics
//! suggested for publicity) and `/quiz/{id}/selection` (finalists, prize draws, teams, flagged
//! attempts to clear), with one page and a CSV per stored selection.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::actions::{self, DrawRules, FinalistRules, TeamRules};
use super::stats::{self, DEFAULT_MIN_ANSWERS, QuestionStat, Stats};
use super::store::{self, Entry, Flagged, PushEffect, Rate, Selection, WeakTopic};
use super::{Kind, mask_name, percent, team_name};
use crate::org::caller::Principal;
use crate::org::picker::{self, RegionPicker, Spec};
use crate::quiz::actions::can_manage;
use crate::quiz::store::{self as quiz_store, Quiz};
use crate::svg::chart::{Chart, Series, bar, for_screens};
use crate::web::AppState;
use crate::web::extract::{Fields, Form, Path, Query};
use crate::web::layout::PageCtx;
use crate::{Error, Result};

/// A region's weak topics, as one row of the page.
struct RegionRow {
    name: String,
    topics: Vec<WeakTopic>,
}

#[derive(Template, WebTemplate)]
#[template(path = "quiz/selection/stats.html")]
struct StatsPage {
    ctx: PageCtx,
    quiz: Quiz,
    stats: Stats,
    regions: Vec<RegionRow>,
    chart: String,
    place: RegionPicker,
    min_answers: i64,
    can_push: bool,
}

impl StatsPage {
    fn pct(&self, v: &Option<f64>) -> String {
        percent(*v)
    }
    fn index(&self, q: &QuestionStat) -> String {
        q.discrimination.map_or_else(|| self.ctx.t("quiz_selection.too_few").to_owned(), |d| format!("{d:+.2}"))
    }
    #[allow(clippy::cast_precision_loss)]
    fn share(&self, t: &WeakTopic) -> String {
        percent(Some(t.right_answers as f64 / t.answers.max(1) as f64))
    }
    /// The push composer with a product for the topic's region, and a note saying why.
    fn push_link(&self, t: &WeakTopic, product: &i64) -> String {
        let note =
            self.ctx.fill("quiz_selection.push_note", &[&crate::quiz::category_label(self.ctx.lang, &t.category)]);
        let product = product.to_string();
        let query =
            crate::web::extract::query_string(&[("product", &product), ("region", &t.region_code), ("note", &note)]);
        format!("/pushes/new?{query}")
    }
    fn few(&self) -> String {
        self.ctx.fill("quiz_selection.effect_few", &[&super::stats::TREND_MIN_ANSWERS.to_string()])
    }
    /// The right answers before and after the latest push on the topic, with the answers behind
    /// each.
    #[allow(clippy::cast_precision_loss)]
    fn effect(&self, e: &PushEffect) -> String {
        let share = |r: &Rate| percent((r.answers > 0).then(|| r.right_answers as f64 / r.answers as f64));
        let day = e.at.to_offset(crate::clock::CST).date().to_string();
        self.ctx.fill(
            "quiz_selection.effect_text",
            &[
                &day,
                &share(&e.before),
                &self.ctx.num(e.before.answers),
                &share(&e.after),
                &self.ctx.num(e.after.answers),
            ],
        )
    }
}

#[derive(Deserialize)]
struct StatsQuery {
    #[serde(default)]
    region: String,
    #[serde(default)]
    min_answers: Option<i64>,
}

#[allow(clippy::cast_precision_loss)]
fn weak_chart(ctx: &PageCtx, regions: &[RegionRow]) -> String {
    let series = (0..3)
        .map(|k| Series {
            name: format!("{} {}", ctx.t("quiz_selection.weak_rank"), k + 1),
            values: regions
                .iter()
                .map(|r| {
                    r.topics
                        .get(k)
                        .map_or(0.0, |t| (t.right_answers as f64 * 1000.0 / t.answers.max(1) as f64).round() / 10.0)
                })
                .collect(),
        })
        .collect();
    let chart = Chart {
        title: ctx.t("quiz_selection.weak_chart").to_owned(),
        unit: "%".into(),
        lang: ctx.lang,
        categories: regions.iter().map(|r| r.name.clone()).collect(),
        series,
    };
    for_screens(|w, h| bar(&chart, w, h), (720, 320), (340, 320))
}

async fn stats_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
    Query(q): Query<StatsQuery>,
) -> Result<StatsPage> {
    let quiz = quiz_store::quiz(&state.db, &me.scope, id).await?;
    let min_answers = q.min_answers.unwrap_or(DEFAULT_MIN_ANSWERS);
    let stats = stats::stats(&state.db, &me.scope, &quiz, Some(&q.region), min_answers).await?;
    let mut regions: Vec<RegionRow> = Vec::new();
    for t in &stats.weak_topics {
        match regions.last_mut() {
            Some(r) if r.topics.first().is_some_and(|x| x.region_path == t.region_path) => r.topics.push(t.clone()),
            _ => regions.push(RegionRow { name: t.region_name.clone(), topics: vec![t.clone()] }),
        }
    }
    let chart = weak_chart(&ctx, &regions);
    // Weak topics are listed for the subdivisions of the chosen region, so the deepest to choose is
    // a township (its communities).
    let place = picker::build(&state.db, &me.scope, Spec::filter("region", 3), q.region.trim(), false).await?;
    let can_push = crate::push::actions::may_write(&me);
    Ok(StatsPage { ctx, quiz, stats, regions, chart, place, min_answers, can_push })
}

#[derive(Template, WebTemplate)]
#[template(path = "quiz/selection/index.html")]
struct SelectionPage {
    ctx: PageCtx,
    quiz: Quiz,
    selections: Vec<Selection>,
    flagged: Vec<Flagged>,
    can_manage: bool,
    error: Option<String>,
}

impl SelectionPage {
    fn rules(&self, s: &Selection) -> String {
        rules_sentence(&self.ctx, s)
    }
    /// Whether a flag waits for a reviewer (the form that clears the ticked ones is shown).
    fn waiting(&self) -> bool {
        self.can_manage && self.flagged.iter().any(|a| a.cleared_reason.is_empty())
    }
}

/// A selection's rules as the page says them: 按得分、再按用时取前20名；每个市（州）最多3名；…
fn rules_sentence(ctx: &PageCtx, s: &Selection) -> String {
    let rules: serde_json::Value = serde_json::from_str(&s.rules).unwrap_or_default();
    let n = |k: &str| rules.get(k).and_then(serde_json::Value::as_i64);
    let mut parts = Vec::new();
    match s.kind {
        Kind::Finalists => {
            parts.push(ctx.fill("quiz_selection.rule_top", &[&n("count").unwrap_or(0).to_string()]));
            if let Some(q) = n("region_quota") {
                parts.push(ctx.fill("quiz_selection.rule_quota", &[&q.to_string()]));
            }
        }
        Kind::Draw => {
            parts.push(ctx.fill("quiz_selection.rule_winners", &[&n("winners").unwrap_or(0).to_string()]));
            if let Some(id) = n("exclude_selection") {
                parts.push(ctx.fill("quiz_selection.rule_exclude", &[&id.to_string()]));
            }
        }
        Kind::Teams => {
            let balance = rules.get("balance").and_then(serde_json::Value::as_str).unwrap_or("region");
            parts.push(ctx.fill(
                "quiz_selection.rule_teams",
                &[
                    &n("selection_id").unwrap_or(0).to_string(),
                    &n("teams").unwrap_or(0).to_string(),
                    &n("size").unwrap_or(0).to_string(),
                    ctx.tv("quiz_selection_balance", balance),
                ],
            ));
        }
    }
    if s.kind != Kind::Teams {
        parts.push(ctx.fill("quiz_selection.rule_min_score", &[&n("min_score").unwrap_or(0).to_string()]));
        parts.push(ctx.t("quiz_selection.rule_fair").to_owned());
    }
    let separator = if ctx.lang == crate::i18n::Lang::Zh { "；" } else { "; " };
    parts.join(separator)
}

async fn selection_page(
    state: &AppState,
    ctx: PageCtx,
    me: &Principal,
    id: i64,
    error: Option<String>,
) -> Result<SelectionPage> {
    let quiz = quiz_store::quiz(&state.db, &me.scope, id).await?;
    Ok(SelectionPage {
        ctx,
        selections: store::selections(&state.db, quiz.id).await?,
        flagged: store::flagged(&state.db, &me.scope, quiz.id, 100).await?,
        can_manage: can_manage(me.role) && me.scope.contains(&quiz.owner_path),
        quiz,
        error,
    })
}

async fn index(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
) -> Result<SelectionPage> {
    selection_page(&state, ctx, &me, id, None).await
}

/// After a change: to the new selection, or back to the page with the input error.
async fn after(state: &AppState, ctx: PageCtx, me: &Principal, id: i64, r: Result<Option<i64>>) -> Result<Response> {
    match r {
        Ok(Some(sid)) => Ok(Redirect::to(&format!("/quiz/{id}/selection/{sid}")).into_response()),
        Ok(None) => Ok(Redirect::to(&format!("/quiz/{id}/selection")).into_response()),
        Err(e @ Error::Invalid { .. }) => {
            let (status, message) = ctx.form_error(e, |f| field_label(&ctx, f))?;
            let page = selection_page(state, ctx, me, id, Some(message)).await?;
            Ok((status, page).into_response())
        }
        Err(e) => Err(e),
    }
}

/// The label of a field of the selection forms, to name it before an input error.
fn field_label(ctx: &PageCtx, field: &str) -> Option<&'static str> {
    let key = match field {
        "count" => "quiz_selection.count",
        "region_quota" => "quiz_selection.region_quota",
        "min_score" => "quiz_selection.min_score",
        "min_answers" => "quiz_selection.min_answers",
        "winners" => "quiz_selection.winners",
        "seed" => "quiz_selection.seed",
        "exclude_selection" => "quiz_selection.exclude",
        "balance" => "quiz_selection.balance",
        "teams" => "quiz_selection.team_count",
        "size" => "quiz_selection.team_size",
        "selection_id" => "quiz_selection.from_selection",
        "reason" => "quiz_selection.reason",
        _ => return None,
    };
    Some(ctx.t(key))
}

fn number(field: &str, s: &str) -> Result<i64> {
    s.trim().parse().map_err(|_| Error::invalid(field, "error.whole_number"))
}

fn optional(field: &str, s: &str) -> Result<Option<i64>> {
    if s.trim().is_empty() { Ok(None) } else { number(field, s).map(Some) }
}

#[derive(Deserialize)]
struct FinalistForm {
    #[serde(default)]
    count: String,
    #[serde(default)]
    region_quota: String,
}

async fn finalists(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
    Form(f): Form<FinalistForm>,
) -> Result<Response> {
    let r = async {
        let rules = FinalistRules {
            count: number("count", &f.count)?,
            region_quota: optional("region_quota", &f.region_quota)?,
        };
        actions::select_finalists(&state.db, &me, id, &rules).await.map(Some)
    }
    .await;
    after(&state, ctx, &me, id, r).await
}

#[derive(Deserialize)]
struct DrawForm {
    #[serde(default)]
    winners: String,
    #[serde(default)]
    seed: String,
    #[serde(default)]
    min_score: String,
    #[serde(default)]
    exclude_selection: String,
}

async fn prize_draw(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
    Form(f): Form<DrawForm>,
) -> Result<Response> {
    let r = async {
        let rules = DrawRules {
            winners: number("winners", &f.winners)?,
            seed: f.seed.clone(),
            min_score: optional("min_score", &f.min_score)?,
            exclude_selection: optional("exclude_selection", &f.exclude_selection)?,
        };
        actions::run_draw(&state.db, &me, id, &rules).await.map(Some)
    }
    .await;
    after(&state, ctx, &me, id, r).await
}

#[derive(Deserialize)]
struct TeamForm {
    #[serde(default)]
    selection_id: String,
    #[serde(default)]
    teams: String,
    #[serde(default)]
    size: String,
    #[serde(default)]
    balance: String,
}

async fn teams(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
    Form(f): Form<TeamForm>,
) -> Result<Response> {
    let r = async {
        let rules = TeamRules {
            selection_id: optional("selection_id", &f.selection_id)?,
            teams: number("teams", &f.teams)?,
            size: number("size", &f.size)?,
            balance: f.balance.clone(),
        };
        actions::make_teams(&state.db, &me, id, &rules).await.map(Some)
    }
    .await;
    after(&state, ctx, &me, id, r).await
}

/// Clears the flags of the attempts ticked (`attempt`, one or many) with one `reason`.
async fn clear(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
    f: Fields,
) -> Result<Response> {
    let r = async {
        let ids = f.all("attempt").iter().map(|a| number("attempt_id", a)).collect::<Result<Vec<i64>>>()?;
        actions::clear_flags(&state.db, &me, id, &ids, &f.get("reason")).await.map(|()| None)
    }
    .await;
    after(&state, ctx, &me, id, r).await
}

#[derive(Template, WebTemplate)]
#[template(path = "quiz/selection/view.html")]
struct ViewPage {
    ctx: PageCtx,
    quiz: Quiz,
    selection: Selection,
    entries: Vec<Entry>,
}

impl ViewPage {
    fn rules(&self) -> String {
        rules_sentence(&self.ctx, &self.selection)
    }
    fn masked(&self, s: &str) -> String {
        mask_name(s)
    }
    fn team(&self, n: &Option<i64>) -> String {
        n.map(team_name).unwrap_or_default()
    }
    fn team_total(&self, n: &Option<i64>) -> i64 {
        self.entries.iter().filter(|e| e.team == *n).map(|e| e.score).sum()
    }
    fn first_of_team(&self, i: &usize) -> bool {
        *i == 0 || self.entries.get(*i - 1).map(|e| e.team) != self.entries.get(*i).map(|e| e.team)
    }
}

async fn view(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path((id, sid)): Path<(i64, i64)>,
) -> Result<ViewPage> {
    let quiz = quiz_store::quiz(&state.db, &me.scope, id).await?;
    let selection = store::selection(&state.db, quiz.id, sid).await?;
    let entries = store::entries(&state.db, selection.id, selection.kind == Kind::Draw).await?;
    Ok(ViewPage { ctx, quiz, selection, entries })
}

async fn download(State(state): State<AppState>, me: Principal, Path((id, sid)): Path<(i64, i64)>) -> Result<Response> {
    let (name, body) = super::queries::csv(&state.db, &me, id, sid).await?;
    Ok(crate::web::download(&name, "text/csv; charset=utf-8", body))
}

/// The staff pages of statistics and selection.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/quiz/{id}/stats", get(stats_page))
        .route("/quiz/{id}/selection", get(index))
        .route("/quiz/{id}/selection/finalists", post(finalists))
        .route("/quiz/{id}/selection/draw", post(prize_draw))
        .route("/quiz/{id}/selection/teams", post(teams))
        .route("/quiz/{id}/selection/clear", post(clear))
        .route("/quiz/{id}/selection/{selection}", get(view))
        .route("/quiz/{id}/selection/{selection}/csv", get(download))
}
