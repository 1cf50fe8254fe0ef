//! Pages of live matches: the list with the set-up form (teams typed or pasted, rounds one a
//! line), a match's set-up page with each team's phone link and QR code and the judges'
//! corrections, the host screen with its controls, the big screen for the projector, and the team
//! phone `/p/live/{token}`. All of them follow the match through server-sent events and show its
//! current state on a plain reload.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::actions::{self, Board, CorrectionInput, MatchInput, TeamView};
use super::store::{self, Match};
use super::{Control, ItemState, MatchState, Mode, RoundInput, RoundKind, WAGERS};
use crate::i18n::keyed;
use crate::org::caller::Principal;
use crate::quiz::actions::can_manage;
use crate::quiz::{Answer, letter};
use crate::web::AppState;
use crate::web::extract::{Fields, Form, Path};
use crate::web::layout::PageCtx;
use crate::{Error, Result};

const TEAMS_EXAMPLE: &str = "长春代表队, 长春, 张伟 李娜 王芳\n吉林代表队, 吉林, 赵磊 孙丽 周强";
/// Rows of rounds on the set-up form.
const ROUND_ROWS: usize = 6;

/// One round as typed on the form; a row without a kind is not used.
#[derive(Clone, Debug, Default)]
struct RoundRow {
    kind: String,
    mode: String,
    points: String,
    seconds: String,
    count: String,
    category: String,
    difficulty: String,
    penalty: String,
    rebound: bool,
    ids: String,
}

impl RoundRow {
    fn new(kind: RoundKind, points: &str, seconds: &str, count: &str, penalty: &str) -> Self {
        Self {
            kind: kind.as_str().into(),
            points: points.into(),
            seconds: seconds.into(),
            count: count.into(),
            penalty: penalty.into(),
            ..Self::default()
        }
    }

    fn from_fields(f: &Fields, i: usize) -> Self {
        let get = |k: &str| f.get(&format!("round{i}_{k}"));
        Self {
            kind: get("kind"),
            mode: get("mode"),
            points: get("points"),
            seconds: get("seconds"),
            count: get("count"),
            category: get("category"),
            difficulty: get("difficulty"),
            penalty: get("penalty"),
            rebound: f.has(&format!("round{i}_rebound")),
            ids: get("ids"),
        }
    }

    /// The round, if the row has a kind; a refusal names the row and the box.
    fn input(&self, ctx: &PageCtx, row: usize) -> Result<Option<RoundInput>> {
        let Some(kind) = RoundKind::parse(&self.kind) else { return Ok(None) };
        let at = |label: &str, what: &str| {
            Error::invalid("rounds", keyed("error.round_box", &[&row.to_string(), label, what]))
        };
        let whole = |s: &str, label: &str, default: i64| {
            if s.is_empty() { Ok(default) } else { s.parse::<i64>().map_err(|_| at(ctx.t(label), ctx.t("live.whole"))) }
        };
        let ids = self
            .ids
            .split(|c: char| c == ',' || c == '，' || c == '、' || c.is_whitespace())
            .filter(|x| !x.is_empty())
            .map(|x| x.parse::<i64>().map_err(|_| at(ctx.t("live.ids"), ctx.t("live.ids_hint"))))
            .collect::<Result<Vec<i64>>>()?;
        let r = RoundInput {
            kind,
            mode: Mode::parse(&self.mode),
            points: whole(&self.points, "live.points_each", super::DEFAULT_POINTS)?,
            penalty: whole(&self.penalty, "live.penalty", 0)?,
            rebound: self.rebound,
            seconds: whole(&self.seconds, "live.seconds", super::DEFAULT_SECONDS)?,
            count: whole(&self.count, "live.count", 0)?,
            category: Some(self.category.as_str()).filter(|c| *c != "*").and_then(crate::quiz::category_path),
            difficulty: self.difficulty.parse().ok(),
            question_ids: ids,
        };
        r.check("rounds").map_err(|e| match e {
            Error::Invalid { message, .. } => {
                Error::invalid("rounds", keyed("error.round_row", &[&row.to_string(), &ctx.lang.message(&message)]))
            }
            e => e,
        })?;
        Ok(Some(r))
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "quiz/live/list.html")]
struct ListPage {
    ctx: PageCtx,
    matches: Vec<Match>,
    can_manage: bool,
    error: Option<String>,
    form: MatchForm,
    kinds: &'static [RoundKind],
    categories: Vec<String>,
}

#[derive(Clone, Debug, Default)]
struct MatchForm {
    title: String,
    teams: String,
    rounds: Vec<RoundRow>,
}

impl MatchForm {
    fn blank() -> Self {
        let mut rounds = vec![
            RoundRow::new(RoundKind::Compulsory, "10", "30", "1", ""),
            RoundRow::new(RoundKind::Buzzer, "20", "20", "5", "10"),
            RoundRow::new(RoundKind::Risk, "", "40", "1", ""),
        ];
        rounds.resize(ROUND_ROWS, RoundRow::default());
        Self { title: String::new(), teams: TEAMS_EXAMPLE.into(), rounds }
    }

    fn from_fields(f: &Fields) -> Self {
        Self {
            title: f.get("title"),
            teams: f.get("teams"),
            rounds: (0..ROUND_ROWS).map(|i| RoundRow::from_fields(f, i)).collect(),
        }
    }

    fn input(&self, ctx: &PageCtx) -> Result<MatchInput> {
        let mut rounds = Vec::new();
        for (i, r) in self.rounds.iter().enumerate() {
            rounds.extend(r.input(ctx, i + 1)?);
        }
        Ok(MatchInput { title: self.title.clone(), teams: super::parse_teams(&self.teams)?, rounds })
    }
}

async fn list_page(
    state: &AppState,
    ctx: PageCtx,
    me: &Principal,
    form: MatchForm,
    error: Option<String>,
) -> Result<ListPage> {
    Ok(ListPage {
        ctx,
        matches: store::matches(&state.db, &me.scope).await?,
        can_manage: can_manage(me.role),
        error,
        form,
        kinds: RoundKind::ALL,
        categories: crate::quiz::store::categories(&state.db, &me.scope).await?,
    })
}

async fn list(State(state): State<AppState>, ctx: PageCtx, me: Principal) -> Result<ListPage> {
    list_page(&state, ctx, &me, MatchForm::blank(), None).await
}

async fn create(State(state): State<AppState>, ctx: PageCtx, me: Principal, f: Fields) -> Result<Response> {
    let form = MatchForm::from_fields(&f);
    match async { actions::create(&state.db, &me, &form.input(&ctx)?).await }.await {
        Ok(id) => Ok(Redirect::to(&format!("/quiz/live/{id}")).into_response()),
        Err(e) => {
            let label = |f: &str| match f {
                "title" => Some(ctx.t("live.match")),
                "teams" => Some(ctx.t("live.teams")),
                "rounds" => Some(ctx.t("live.rounds")),
                _ => None,
            };
            let (status, msg) = ctx.form_error(e, label)?;
            Ok((status, list_page(&state, ctx, &me, form, Some(msg)).await?).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "quiz/live/setup.html")]
struct SetupPage {
    ctx: PageCtx,
    b: Board,
    links: Vec<(store::Team, String, String)>,
    error: Option<String>,
}

async fn setup_page(
    state: &AppState,
    ctx: PageCtx,
    me: &Principal,
    id: i64,
    error: Option<String>,
) -> Result<SetupPage> {
    let m = actions::hosted(&state.db, me, id).await?;
    let b = actions::board(&state.db, m).await?;
    let base = state.config.base_url();
    let links = b
        .teams
        .iter()
        .map(|t| {
            let link = format!("{base}/p/live/{}", t.token);
            (t.clone(), crate::svg::qr(&link, 160), link)
        })
        .collect();
    Ok(SetupPage { ctx, b, links, error })
}

async fn setup(State(state): State<AppState>, ctx: PageCtx, me: Principal, Path(id): Path<i64>) -> Result<SetupPage> {
    setup_page(&state, ctx, &me, id, None).await
}

#[derive(Template, WebTemplate)]
#[template(path = "quiz/live/host.html")]
struct HostPage {
    ctx: PageCtx,
    b: Board,
    controls: bool,
}

impl HostPage {
    fn is(&self, state: ItemState) -> bool {
        self.b.current.as_ref().is_some_and(|c| c.item.state == state)
    }
}

async fn host(State(state): State<AppState>, ctx: PageCtx, me: Principal, Path(id): Path<i64>) -> Result<HostPage> {
    let m = actions::hosted(&state.db, &me, id).await?;
    Ok(HostPage { ctx, b: actions::board(&state.db, m).await?, controls: true })
}

async fn screen(State(state): State<AppState>, ctx: PageCtx, me: Principal, Path(id): Path<i64>) -> Result<HostPage> {
    let m = store::find(&state.db, &me.scope, id).await?;
    Ok(HostPage { ctx, b: actions::board(&state.db, m).await?, controls: false })
}

#[derive(Deserialize)]
struct ControlForm {
    action: String,
}

async fn control(
    State(state): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Form(f): Form<ControlForm>,
) -> Result<Response> {
    let c = Control::parse(&f.action).ok_or_else(|| Error::invalid("action", "error.host_move"))?;
    match actions::control(&state.db, &me, id, c).await {
        Ok(()) | Err(Error::Conflict(_)) => Ok(Redirect::to(&format!("/quiz/live/{id}/host")).into_response()),
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct CorrectionForm {
    team_id: i64,
    points: String,
    reason: String,
}

async fn correct(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
    Form(f): Form<CorrectionForm>,
) -> Result<Response> {
    let r = async {
        let points = f
            .points
            .trim()
            .trim_start_matches('+')
            .parse::<i64>()
            .map_err(|_| Error::invalid("points", "error.points_number"))?;
        actions::correct(&state.db, &me, id, &CorrectionInput { team_id: f.team_id, points, reason: f.reason.clone() })
            .await
    }
    .await;
    match r {
        Ok(_) => Ok(Redirect::to(&format!("/quiz/live/{id}")).into_response()),
        Err(e) => {
            let (status, msg) = ctx.form_error(e, |_| None)?;
            Ok((status, setup_page(&state, ctx, &me, id, Some(msg)).await?).into_response())
        }
    }
}

async fn match_events(State(state): State<AppState>, me: Principal, Path(id): Path<i64>) -> Result<Response> {
    let m = store::find(&state.db, &me.scope, id).await?;
    Ok(super::hub::events(m.id).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "quiz/live/team.html")]
struct TeamPage {
    ctx: PageCtx,
    token: String,
    v: TeamView,
    wagers: [i64; 3],
    error: Option<String>,
}

impl TeamPage {
    fn letter(&self, i: &usize) -> char {
        letter(*i)
    }

    fn kind(&self) -> &str {
        self.v.current.as_ref().and_then(|c| c.question.as_ref()).map_or("", |q| q.kind.as_str())
    }
}

async fn team_page(state: &AppState, ctx: PageCtx, token: String, error: Option<String>) -> Result<Response> {
    let v = actions::team_view(&state.db, &token).await?;
    let status = if error.is_some() { axum::http::StatusCode::CONFLICT } else { axum::http::StatusCode::OK };
    Ok((status, TeamPage { ctx, token, v, wagers: WAGERS, error }).into_response())
}

async fn team(State(state): State<AppState>, ctx: PageCtx, Path(token): Path<String>) -> Result<Response> {
    team_page(&state, ctx, token, None).await
}

/// Shows the phone page again with the reason of a refusal, or goes back to it.
async fn after(state: &AppState, ctx: PageCtx, token: String, r: Result<()>) -> Result<Response> {
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/p/live/{token}")).into_response()),
        Err(e) => {
            let (_, msg) = ctx.form_error(e, |_| None)?;
            team_page(state, ctx, token, Some(msg)).await
        }
    }
}

async fn team_answer(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(token): Path<String>,
    axum::extract::RawForm(body): axum::extract::RawForm,
) -> Result<Response> {
    let r = async {
        let (mut options, mut truth, mut text, mut item) = (Vec::new(), None, None, None);
        for (k, v) in form_urlencoded::parse(&body) {
            match k.as_ref() {
                "option" => options.push(v.parse().map_err(|_| Error::invalid("option", "error.option_number"))?),
                "truth" => truth = Some(v == "true"),
                "text" => text = Some(v.into_owned()),
                "item_id" => item = v.parse().ok(),
                _ => {}
            }
        }
        let given = match (truth, text, options.is_empty()) {
            (Some(t), _, _) => Answer::Truth(t),
            (None, Some(t), _) if !t.trim().is_empty() => Answer::Text(vec![t]),
            (None, None, false) => Answer::Choice(options),
            _ => return Err(Error::invalid("answer", "error.choose_answer")),
        };
        actions::answer(&state.db, &token, item, &given).await.map(|_| ())
    }
    .await;
    after(&state, ctx, token, r).await
}

#[derive(Deserialize)]
struct ItemForm {
    #[serde(default)]
    item_id: Option<i64>,
    #[serde(default)]
    amount: Option<i64>,
}

async fn team_buzz(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(token): Path<String>,
    Form(f): Form<ItemForm>,
) -> Result<Response> {
    let r = actions::buzz(&state.db, &token, f.item_id).await.map(|_| ());
    after(&state, ctx, token, r).await
}

async fn team_wager(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(token): Path<String>,
    Form(f): Form<ItemForm>,
) -> Result<Response> {
    let r = actions::stake(&state.db, &token, f.item_id, f.amount.unwrap_or(0)).await.map(|_| ());
    after(&state, ctx, token, r).await
}

async fn team_events(State(state): State<AppState>, Path(token): Path<String>) -> Result<Response> {
    let t = store::team_by_token(&state.db, &token).await?;
    Ok(super::hub::events(t.match_id).into_response())
}

/// The routes of the live match pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/quiz/live", get(list).post(create))
        .route("/quiz/live/{id}", get(setup))
        .route("/quiz/live/{id}/host", get(host))
        .route("/quiz/live/{id}/screen", get(screen))
        .route("/quiz/live/{id}/control", post(control))
        .route("/quiz/live/{id}/corrections", post(correct))
        .route("/quiz/live/{id}/events", get(match_events))
        .route("/p/live/{token}", get(team))
        .route("/p/live/{token}/answer", post(team_answer))
        .route("/p/live/{token}/buzz", post(team_buzz))
        .route("/p/live/{token}/wager", post(team_wager))
        .route("/p/live/{token}/events", get(team_events))
}
