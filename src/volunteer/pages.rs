//! Pages: teams and a team (members with masked phones, credentials, leader, events), a member
//! (credentials, hours, the audited reveal), member import, the hours ledger, events and an
//! event (sign-ups, waiting list, the check-in QR code, confirm buttons, completion with
//! figures), periods with tallies and the honour roll, challenges with entry forms and the live
//! results board; and the public phone-sized event page `/p/service/{token}`.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::actions::{
    self, Board, ChallengeInput, CompleteInput, CredentialInput, EventInput, HoursInput, MemberInput, PeriodInput,
    PublicAction, PunchInput, ScoreInput, TeamInput,
};
use super::import::{self, Rejected};
use super::store::{
    self, Challenge, Checkpoint, Credential, Entry, Event, EventFilter, HoursEntry, Member, MemberTally, Period,
    Signup, Station, Team, TeamTally,
};
use super::{CredentialKind, EventKind, Skill, can_manage, can_organise, show_minutes};
use super::{EventState, SignupStatus};
use crate::config::Config;
use crate::i18n::{Lang, keyed};
use crate::org::Scope;
use crate::org::caller::Principal;
use crate::org::picker::{self, RegionPicker, Spec};
use crate::sheet::{self, CellError};
use crate::web::AppState;
use crate::web::extract::MultipartForm;
use crate::web::extract::{Form, Path, Query, empty_as_none};
use crate::web::layout::PageCtx;
use crate::web::session::RequestCtx;
use crate::{Error, Result, clock};

/// The address of an event's public page, for links and the QR code.
pub fn public_link(config: &Config, token: &str) -> String {
    format!("{}/p/service/{token}", config.base_url())
}

/// Re-shows a page with the message of an input error or conflict, with its status; other
/// errors pass on.
/// The page again with a refusal in the reader's language (other errors go to the error page).
fn shown<T: IntoResponse>(lang: Lang, e: Error, page: impl FnOnce(String) -> T) -> Result<Response> {
    let status = e.status();
    match e {
        Error::Invalid { message: m, .. } | Error::Conflict(m) | Error::TooMany(m) => {
            Ok((status, page(lang.message(&m))).into_response())
        }
        e => Err(e),
    }
}

fn skill_names(ctx: &PageCtx, skills: &str) -> String {
    skills.split(',').filter(|s| !s.is_empty()).map(|s| ctx.tv("volunteer_skill", s)).collect::<Vec<_>>().join("、")
}

// ---- teams ----

/// Where an event or challenge takes place: any region of the area, the whole of it included.
const PLACE: Spec = Spec::required("region_code", 0, 4);

#[derive(Template, WebTemplate)]
#[template(path = "volunteer/teams.html")]
struct TeamsPage {
    ctx: PageCtx,
    teams: Vec<Team>,
}

async fn teams(State(state): State<AppState>, ctx: PageCtx, me: Principal) -> Result<TeamsPage> {
    Ok(TeamsPage { ctx, teams: store::teams(&state.db, &me.scope).await? })
}

#[derive(Template, WebTemplate)]
#[template(path = "volunteer/team.html")]
struct TeamPage {
    ctx: PageCtx,
    team: Team,
    members: Vec<Member>,
    credentials: Vec<Credential>,
    events: Vec<Event>,
    manage: bool,
    skills: &'static [Skill],
    kinds: &'static [EventKind],
    place: RegionPicker,
    notice: Option<String>,
}

#[allow(clippy::trivially_copy_pass_by_ref, clippy::unused_self, clippy::ref_option)] // templates pass references to methods
impl TeamPage {
    fn skills_of(&self, skills: &str) -> String {
        skill_names(&self.ctx, skills)
    }
    fn credentials_of(&self, member: &i64) -> Vec<&Credential> {
        self.credentials.iter().filter(|c| c.member_id == *member).collect()
    }
    fn is_leader(&self, member: &i64) -> bool {
        self.team.leader_member_id == Some(*member)
    }
    fn founded(&self) -> String {
        self.team.founded_on.map(crate::clock::show_date).unwrap_or_default()
    }
}

async fn team_page(
    state: &AppState,
    ctx: PageCtx,
    me: &Principal,
    id: i64,
    notice: Option<String>,
) -> Result<TeamPage> {
    let team = store::team(&state.db, &me.scope, id).await?;
    let members = store::members(&state.db, &me.scope, id).await?;
    let credentials = store::credentials(&state.db, &me.scope, id, None).await?;
    let f = EventFilter { team_id: Some(id), ..EventFilter::default() };
    let events = store::events(&state.db, &me.scope, &f, 50).await?;
    let manage = can_manage(me.role, me.user.unit_id, team.id);
    // A team's events take place in the team's region.
    let area = if me.scope.contains(&team.region_path) { Scope::under(&team.region_path) } else { me.scope.clone() };
    let place = picker::build(&state.db, &area, PLACE, "", false).await?;
    Ok(TeamPage {
        ctx,
        team,
        members,
        credentials,
        events,
        manage,
        skills: Skill::ALL,
        kinds: EventKind::ALL,
        place,
        notice,
    })
}

async fn team(State(state): State<AppState>, ctx: PageCtx, me: Principal, Path(id): Path<i64>) -> Result<TeamPage> {
    team_page(&state, ctx, &me, id, None).await
}

#[derive(Deserialize)]
struct TeamForm {
    #[serde(default)]
    sponsor: String,
    #[serde(default, deserialize_with = "empty_as_none")]
    leader_member_id: Option<i64>,
    #[serde(default)]
    founded_on: String,
    #[serde(default)]
    description: String,
}

async fn update_team(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
    Form(f): Form<TeamForm>,
) -> Result<Response> {
    let input = TeamInput {
        sponsor: f.sponsor,
        leader_member_id: f.leader_member_id,
        founded_on: f.founded_on,
        description: f.description,
    };
    match actions::update_team(&state.db, &me, id, &input).await {
        Ok(()) => Ok(Redirect::to(&format!("/volunteers/teams/{id}")).into_response()),
        Err(e) => {
            let page = team_page(&state, ctx, &me, id, None).await?;
            shown(page.ctx.lang, e, |m| TeamPage { notice: Some(m), ..page })
        }
    }
}

#[derive(Deserialize)]
struct MemberForm {
    name: String,
    phone: String,
    #[serde(default)]
    gender: String,
    #[serde(default, deserialize_with = "empty_as_none")]
    birth_year: Option<i64>,
    #[serde(default)]
    joined_on: String,
    #[serde(default)]
    consent: Option<String>,
    #[serde(flatten)]
    rest: std::collections::HashMap<String, String>,
}

async fn add_member(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
    Form(f): Form<MemberForm>,
) -> Result<Response> {
    let skills: Vec<&str> =
        Skill::ALL.iter().map(|s| s.as_str()).filter(|s| f.rest.contains_key(&format!("skill_{s}"))).collect();
    let input = MemberInput {
        name: f.name,
        phone: f.phone,
        gender: f.gender,
        birth_year: f.birth_year,
        skills: skills.join(","),
        consent: f.consent.is_some(),
        joined_on: f.joined_on,
    };
    match actions::add_member(&state.db, &state.key, &me, id, &input).await {
        Ok(m) => Ok(Redirect::to(&format!("/volunteers/members/{m}")).into_response()),
        Err(e) => {
            let page = team_page(&state, ctx, &me, id, None).await?;
            shown(page.ctx.lang, e, |m| TeamPage { notice: Some(m), ..page })
        }
    }
}

#[derive(Deserialize)]
struct EventForm {
    kind: String,
    title: String,
    region_code: String,
    #[serde(default)]
    address: String,
    starts_at: String,
    ends_at: String,
    capacity: i64,
}

async fn create_event(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
    Form(f): Form<EventForm>,
) -> Result<Response> {
    let input = EventInput {
        kind: f.kind,
        title: f.title,
        region_code: f.region_code,
        address: f.address,
        starts_at: f.starts_at,
        ends_at: f.ends_at,
        capacity: f.capacity,
    };
    match actions::create_event(&state.db, &me, id, &input).await {
        Ok(e) => Ok(Redirect::to(&format!("/volunteers/events/{e}")).into_response()),
        Err(e) => {
            let page = team_page(&state, ctx, &me, id, None).await?;
            shown(page.ctx.lang, e, |m| TeamPage { notice: Some(m), ..page })
        }
    }
}

// ---- import ----

#[derive(Template, WebTemplate)]
#[template(path = "volunteer/import.html")]
struct ImportPage {
    ctx: PageCtx,
    team: Team,
    errors: Vec<CellError>,
    imported: Option<usize>,
}

async fn import_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
) -> Result<ImportPage> {
    let team = actions::managed_team(&state.db, &me, id).await?;
    Ok(ImportPage { ctx, team, errors: Vec::new(), imported: None })
}

async fn import_file(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
    form: MultipartForm,
) -> Result<Response> {
    let team = actions::managed_team(&state.db, &me, id).await?;
    let file = form.file("file", "error.choose_file")?;
    match import::run(&state.db, &state.key, &me, id, &file.bytes, &file.name).await? {
        Ok(ids) => Ok(ImportPage { ctx, team, errors: Vec::new(), imported: Some(ids.len()) }.into_response()),
        Err(Rejected(errors)) => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, ImportPage { ctx, team, errors, imported: None }).into_response())
        }
    }
}

async fn template(_me: Principal, Path(format): Path<String>) -> Result<Response> {
    let headers = import::template_headers();
    let rows = vec![import::template_example()];
    match format.as_str() {
        "template.csv" => {
            let h: Vec<&str> = headers.iter().map(String::as_str).collect();
            Ok(crate::web::download("volunteers-template.csv", "text/csv; charset=utf-8", sheet::csv_bytes(&h, &rows)))
        }
        "template.xlsx" => {
            let bytes = sheet::xlsx_bytes(&[sheet::OutSheet::text("志愿者", &headers, &rows)], "")
                .map_err(|e| anyhow::anyhow!("xlsx: {e}"))?;
            Ok(crate::web::download(
                "volunteers-template.xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                bytes,
            ))
        }
        _ => Err(Error::NotFound),
    }
}

// ---- members ----

#[derive(Template, WebTemplate)]
#[template(path = "volunteer/member.html")]
struct MemberPage {
    ctx: PageCtx,
    member: Member,
    credentials: Vec<Credential>,
    hours: Vec<HoursEntry>,
    total: i64,
    manage: bool,
    revealed: Option<String>,
    kinds: &'static [CredentialKind],
    notice: Option<String>,
    today: String,
}

#[allow(clippy::trivially_copy_pass_by_ref, clippy::unused_self, clippy::ref_option)] // templates pass references to methods
impl MemberPage {
    fn skills(&self) -> String {
        skill_names(&self.ctx, &self.member.skills)
    }
    fn minutes(&self, m: &i64) -> String {
        show_minutes(*m)
    }
}

async fn member_page(
    state: &AppState,
    ctx: PageCtx,
    me: &Principal,
    id: i64,
    revealed: Option<String>,
    notice: Option<String>,
) -> Result<MemberPage> {
    let member = store::member(&state.db, &me.scope, id).await?;
    let credentials = store::credentials(&state.db, &me.scope, member.team_id, Some(id)).await?;
    let hours = store::ledger(&state.db, &me.scope, member.team_id, Some(id), 500).await?;
    let total = hours.iter().map(|h| h.minutes).sum();
    let manage = can_manage(me.role, me.user.unit_id, member.team_id);
    Ok(MemberPage {
        ctx,
        member,
        credentials,
        hours,
        total,
        manage,
        revealed,
        kinds: CredentialKind::ALL,
        notice,
        today: crate::clock::show_date(clock::today()),
    })
}

async fn member(State(state): State<AppState>, ctx: PageCtx, me: Principal, Path(id): Path<i64>) -> Result<MemberPage> {
    member_page(&state, ctx, &me, id, None, None).await
}

async fn reveal(State(state): State<AppState>, ctx: PageCtx, me: Principal, Path(id): Path<i64>) -> Result<Response> {
    let phone = actions::reveal_phone(&state.db, &state.key, &me, id).await?;
    let mut r = member_page(&state, ctx, &me, id, Some(phone), None).await?.into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    Ok(r)
}

async fn add_credential(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
    Form(f): Form<CredentialInput>,
) -> Result<Response> {
    match actions::add_credential(&state.db, &me, id, &f).await {
        Ok(_) => Ok(Redirect::to(&format!("/volunteers/members/{id}")).into_response()),
        Err(e) => {
            let page = member_page(&state, ctx, &me, id, None, None).await?;
            shown(page.ctx.lang, e, |m| MemberPage { notice: Some(m), ..page })
        }
    }
}

async fn add_hours(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
    Form(f): Form<HoursInput>,
) -> Result<Response> {
    match actions::add_hours(&state.db, &me, id, &f).await {
        Ok(_) => Ok(Redirect::to(&format!("/volunteers/members/{id}")).into_response()),
        Err(e) => {
            let page = member_page(&state, ctx, &me, id, None, None).await?;
            shown(page.ctx.lang, e, |m| MemberPage { notice: Some(m), ..page })
        }
    }
}

// ---- the team ledger ----

#[derive(Template, WebTemplate)]
#[template(path = "volunteer/ledger.html")]
struct LedgerPage {
    ctx: PageCtx,
    team: Team,
    entries: Vec<HoursEntry>,
    members: Vec<MemberTally>,
    total: i64,
}

#[allow(clippy::trivially_copy_pass_by_ref, clippy::unused_self, clippy::ref_option)] // templates pass references to methods
impl LedgerPage {
    fn minutes(&self, m: &i64) -> String {
        show_minutes(*m)
    }
}

async fn ledger(State(state): State<AppState>, ctx: PageCtx, me: Principal, Path(id): Path<i64>) -> Result<LedgerPage> {
    let team = store::team(&state.db, &me.scope, id).await?;
    let entries = store::ledger(&state.db, &me.scope, id, None, 500).await?;
    let members = store::member_tallies(&state.db, &me.scope, store::EVER.0, store::EVER.1, Some(id), 1000).await?;
    let total = members.iter().map(|m| m.minutes).sum();
    Ok(LedgerPage { ctx, team, entries, members, total })
}

// ---- events ----

#[derive(Template, WebTemplate)]
#[template(path = "volunteer/events.html")]
struct EventsPage {
    ctx: PageCtx,
    upcoming: Vec<Event>,
    past: Vec<Event>,
}

async fn events(State(state): State<AppState>, ctx: PageCtx, me: Principal) -> Result<EventsPage> {
    let all = store::events(&state.db, &me.scope, &EventFilter::default(), 500).await?;
    let now = clock::now();
    let (mut upcoming, past): (Vec<Event>, Vec<Event>) = all.into_iter().partition(|e| e.ends_at >= now);
    upcoming.reverse();
    Ok(EventsPage { ctx, upcoming, past })
}

#[derive(Template, WebTemplate)]
#[template(path = "volunteer/event.html")]
struct EventPage {
    ctx: PageCtx,
    event: Event,
    signups: Vec<Signup>,
    link: String,
    qr: String,
    manage: bool,
    notice: Option<String>,
}

impl EventPage {
    fn confirmed(&self) -> Vec<&Signup> {
        self.signups.iter().filter(|s| s.status == SignupStatus::Confirmed).collect()
    }
    fn waitlisted(&self) -> Vec<&Signup> {
        self.signups.iter().filter(|s| s.status == SignupStatus::Waitlisted).collect()
    }
    fn open(&self) -> bool {
        self.event.state == EventState::Open
    }
}

async fn event_page(
    state: &AppState,
    ctx: PageCtx,
    me: &Principal,
    id: i64,
    notice: Option<String>,
) -> Result<EventPage> {
    let event = store::event(&state.db, &me.scope, id).await?;
    let signups = store::signups(&state.db, id).await?;
    let link = public_link(&state.config, &event.token);
    let manage = can_manage(me.role, me.user.unit_id, event.team_id);
    Ok(EventPage { ctx, qr: crate::svg::qr(&link, 220), link, event, signups, manage, notice })
}

async fn event(State(state): State<AppState>, ctx: PageCtx, me: Principal, Path(id): Path<i64>) -> Result<EventPage> {
    event_page(&state, ctx, &me, id, None).await
}

#[derive(Deserialize)]
struct MemberActionForm {
    member_id: i64,
    #[serde(default)]
    at: String,
}

async fn event_action(state: &AppState, ctx: PageCtx, me: &Principal, id: i64, r: Result<String>) -> Result<Response> {
    match r {
        Ok(notice) => Ok(event_page(state, ctx, me, id, Some(notice)).await?.into_response()),
        Err(e) => {
            let page = event_page(state, ctx, me, id, None).await?;
            shown(page.ctx.lang, e, |m| EventPage { notice: Some(m), ..page })
        }
    }
}

/// Sign-up, withdrawal, check-in and check-out of a member, confirmed by the leader or staff on
/// the event page (`action`: `signup`, `withdraw`, `check-in`, `check-out`).
async fn member_action(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path((id, action)): Path<(i64, String)>,
    Form(f): Form<MemberActionForm>,
) -> Result<Response> {
    let (db, m) = (&state.db, f.member_id);
    let r = match action.as_str() {
        "signup" => actions::sign_up(db, &me, id, m).await.map(|s| ctx.tv("signup_status", s.as_str()).to_owned()),
        "withdraw" => actions::cancel_signup(db, &me, id, m).await.map(|_| ctx.t("volunteer.cancelled").to_owned()),
        "check-in" => {
            actions::check_in(db, &me, id, m, Some(&f.at)).await.map(|()| ctx.t("volunteer.checked_in").to_owned())
        }
        "check-out" => actions::check_out(db, &me, id, m, Some(&f.at))
            .await
            .map(|minutes| format!("{} {}", ctx.t("volunteer.checked_out"), show_minutes(minutes))),
        _ => return Err(Error::NotFound),
    };
    event_action(&state, ctx, &me, id, r).await
}

async fn complete(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
    Form(f): Form<CompleteInput>,
) -> Result<Response> {
    let r = actions::complete_event(&state.db, &me, id, &f).await.map(|c| match c.activity_id {
        Some(a) => format!("{} #{a}", ctx.t("volunteer.completed_filed")),
        None => ctx.t("volunteer.completed_no_campaign").to_owned(),
    });
    event_action(&state, ctx, &me, id, r).await
}

async fn cancel_event(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
) -> Result<Response> {
    let r = actions::cancel_event(&state.db, &me, id).await.map(|()| ctx.t("event_state.cancelled").to_owned());
    event_action(&state, ctx, &me, id, r).await
}

// ---- the public event page ----

#[derive(Template, WebTemplate)]
#[template(path = "volunteer/public_event.html")]
struct PublicPage {
    ctx: PageCtx,
    event: Event,
    done: Option<actions::PublicOutcome>,
    error: Option<String>,
    phone: String,
    name: String,
}

#[allow(clippy::trivially_copy_pass_by_ref, clippy::unused_self, clippy::ref_option)] // templates pass references to methods
impl PublicPage {
    fn start(&self) -> String {
        clock::show(self.event.starts_at)
    }
    fn end(&self) -> String {
        clock::show(self.event.ends_at)
    }
    fn places_left(&self) -> i64 {
        (self.event.capacity - self.event.confirmed).max(0)
    }
    fn minutes(&self, m: &i64) -> String {
        show_minutes(*m)
    }
}

async fn public_event(State(state): State<AppState>, ctx: PageCtx, Path(token): Path<String>) -> Result<PublicPage> {
    let event = store::event_by_token(&state.db, &token).await?;
    Ok(PublicPage { ctx, event, done: None, error: None, phone: String::new(), name: String::new() })
}

#[derive(Deserialize)]
struct PublicForm {
    phone: String,
    #[serde(default)]
    name: String,
    action: PublicAction,
}

async fn public_post(
    State(state): State<AppState>,
    ctx: PageCtx,
    req: RequestCtx,
    Path(token): Path<String>,
    Form(f): Form<PublicForm>,
) -> Result<Response> {
    let r = actions::public_action(&state.db, &state.key, &token, (&f.phone, &f.name), f.action, &req.ip).await;
    let event = store::event_by_token(&state.db, &token).await?;
    match r {
        Ok(done) => {
            Ok(PublicPage { ctx, event, done: Some(done), error: None, phone: String::new(), name: String::new() }
                .into_response())
        }
        Err(e) => {
            let phone = f.phone.chars().filter(char::is_ascii_digit).take(13).collect();
            let name = f.name.trim().chars().take(20).collect();
            shown(ctx.lang, e, |m| PublicPage { ctx, event, done: None, error: Some(m), phone, name })
        }
    }
}

// ---- periods ----

#[derive(Template, WebTemplate)]
#[template(path = "volunteer/periods.html")]
struct PeriodsPage {
    ctx: PageCtx,
    periods: Vec<Period>,
    organiser: bool,
    notice: Option<String>,
}

async fn periods_page(state: &AppState, ctx: PageCtx, me: &Principal, notice: Option<String>) -> Result<PeriodsPage> {
    Ok(PeriodsPage { ctx, periods: store::periods(&state.db).await?, organiser: actions::may_set_periods(me), notice })
}

async fn periods(State(state): State<AppState>, ctx: PageCtx, me: Principal) -> Result<PeriodsPage> {
    periods_page(&state, ctx, &me, None).await
}

async fn create_period(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Form(f): Form<PeriodInput>,
) -> Result<Response> {
    match actions::create_period(&state.db, &me, &f).await {
        Ok(id) => Ok(Redirect::to(&format!("/volunteers/periods/{id}")).into_response()),
        Err(e) => {
            let page = periods_page(&state, ctx, &me, None).await?;
            shown(page.ctx.lang, e, |m| PeriodsPage { notice: Some(m), ..page })
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "volunteer/period.html")]
struct PeriodPage {
    ctx: PageCtx,
    period: Period,
    teams: Vec<TeamTally>,
    members: Vec<MemberTally>,
}

#[allow(clippy::trivially_copy_pass_by_ref, clippy::unused_self, clippy::ref_option)] // templates pass references to methods
impl PeriodPage {
    fn minutes(&self, m: &i64) -> String {
        show_minutes(*m)
    }
    fn honour(&self) -> Vec<&MemberTally> {
        self.members.iter().take(10).collect()
    }
    fn top_teams(&self) -> Vec<&TeamTally> {
        self.teams.iter().filter(|t| t.minutes > 0).take(5).collect()
    }
}

async fn period(State(state): State<AppState>, ctx: PageCtx, me: Principal, Path(id): Path<i64>) -> Result<PeriodPage> {
    let period = store::period(&state.db, id).await?;
    let teams = store::team_tallies(&state.db, &me.scope, period.starts_on, period.ends_on).await?;
    let members = store::member_tallies(&state.db, &me.scope, period.starts_on, period.ends_on, None, 200).await?;
    Ok(PeriodPage { ctx, period, teams, members })
}

// ---- challenges ----

#[derive(Template, WebTemplate)]
#[template(path = "volunteer/challenges.html")]
struct ChallengesPage {
    ctx: PageCtx,
    challenges: Vec<Challenge>,
    organiser: bool,
    place: RegionPicker,
    notice: Option<String>,
}

async fn challenges_page(
    state: &AppState,
    ctx: PageCtx,
    me: &Principal,
    notice: Option<String>,
) -> Result<ChallengesPage> {
    let challenges = store::challenges(&state.db, &me.scope).await?;
    let place = picker::build(&state.db, &me.scope, PLACE, "", false).await?;
    Ok(ChallengesPage { ctx, challenges, organiser: can_organise(me.role), place, notice })
}

async fn challenges(State(state): State<AppState>, ctx: PageCtx, me: Principal) -> Result<ChallengesPage> {
    challenges_page(&state, ctx, &me, None).await
}

#[derive(Template, WebTemplate)]
#[template(path = "volunteer/challenge.html")]
struct ChallengePage {
    ctx: PageCtx,
    challenge: Challenge,
    checkpoints: Vec<Checkpoint>,
    stations: Vec<Station>,
    entries: Vec<Entry>,
    scores: Vec<(i64, i64, i64)>,
    station: Option<Station>,
    organiser: bool,
    notice: Option<String>,
}

#[allow(clippy::trivially_copy_pass_by_ref, clippy::unused_self, clippy::ref_option)] // templates pass references to methods
impl ChallengePage {
    fn score(&self, entry: &i64) -> String {
        let Some(s) = &self.station else { return String::new() };
        self.scores.iter().find(|x| x.0 == *entry && x.1 == s.id).map(|x| x.2.to_string()).unwrap_or_default()
    }
    fn time(&self, t: &Option<time::OffsetDateTime>) -> String {
        t.map(|t| t.to_offset(clock::CST).time().to_string()).unwrap_or_default()
    }
}

#[derive(Deserialize)]
struct StationQuery {
    #[serde(default)]
    station: String,
}

async fn challenge_page(
    state: &AppState,
    ctx: PageCtx,
    me: &Principal,
    id: i64,
    station: &str,
    notice: Option<String>,
) -> Result<ChallengePage> {
    let challenge = store::challenge(&state.db, &me.scope, id).await?;
    let stations = store::stations(&state.db, id).await?;
    let station = stations.iter().find(|s| s.code == station).or_else(|| stations.first()).cloned();
    Ok(ChallengePage {
        ctx,
        organiser: can_organise(me.role) && me.scope.contains(&challenge.region_path),
        challenge,
        checkpoints: store::checkpoints(&state.db, id).await?,
        entries: store::entries(&state.db, id).await?,
        scores: store::scores(&state.db, id).await?,
        stations,
        station,
        notice,
    })
}

async fn challenge(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
    Query(q): Query<StationQuery>,
) -> Result<ChallengePage> {
    challenge_page(&state, ctx, &me, id, &q.station, None).await
}

#[derive(Deserialize)]
struct ScoresForm {
    station: String,
    #[serde(flatten)]
    rest: std::collections::HashMap<String, String>,
}

async fn record_scores(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
    Form(f): Form<ScoresForm>,
) -> Result<Response> {
    let mut scores = Vec::new();
    let mut bad = None;
    for (k, v) in &f.rest {
        let (Some(entry), v) = (k.strip_prefix("score_").and_then(|e| e.parse::<i64>().ok()), v.trim()) else {
            continue;
        };
        if v.is_empty() {
            continue;
        }
        match v.parse::<i64>() {
            Ok(score) => scores.push(ScoreInput { entry_id: entry, score }),
            Err(_) => bad = Some(Error::invalid(k.clone(), keyed("error.not_whole_number", &[v]))),
        }
    }
    scores.sort_by_key(|s| s.entry_id);
    let r = match bad {
        Some(e) => Err(e),
        None => actions::record_scores(&state.db, &me, id, &f.station, &scores).await,
    };
    match r {
        Ok(n) => {
            let notice = format!("{} {n}", ctx.t("volunteer.recorded"));
            Ok(challenge_page(&state, ctx, &me, id, &f.station, Some(notice)).await?.into_response())
        }
        Err(e) => {
            let page = challenge_page(&state, ctx, &me, id, &f.station, None).await?;
            shown(page.ctx.lang, e, |m| ChallengePage { notice: Some(m), ..page })
        }
    }
}

#[derive(Deserialize)]
struct PunchesForm {
    lines: String,
}

/// Parses pasted punch lines: `entry checkpoint time` (START and FINISH for the start and the
/// finish), one a line, separated by spaces, tabs or commas.
fn parse_punch_lines(text: &str) -> Result<Vec<PunchInput>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let parts: Vec<&str> = line.split([' ', '\t', ',', '，']).filter(|p| !p.is_empty()).collect();
        let bad = || Error::invalid("lines", keyed("error.on_line", &[&(i + 1).to_string(), "error.punch_line"]));
        if parts.len() < 3 {
            return Err(bad());
        }
        let entry_id = parts[0].parse().map_err(|_| bad())?;
        out.push(PunchInput { entry_id, checkpoint: parts[1].to_owned(), at: parts[2..].join(" ") });
    }
    Ok(out)
}

async fn record_punches(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
    Form(f): Form<PunchesForm>,
) -> Result<Response> {
    let held_on = store::challenge(&state.db, &me.scope, id).await?.held_on;
    let r = async {
        let mut lines = parse_punch_lines(&f.lines)?;
        // A bare time of day is on the day the challenge is held.
        for p in &mut lines {
            if p.at.len() <= 8 && p.at.contains(':') {
                p.at = format!("{} {}", crate::clock::show_date(held_on), p.at);
            }
        }
        actions::record_punches(&state.db, &me, id, &lines).await
    }
    .await;
    match r {
        Ok(n) => {
            let notice = format!("{} {n}", ctx.t("volunteer.recorded"));
            Ok(challenge_page(&state, ctx, &me, id, "", Some(notice)).await?.into_response())
        }
        Err(e) => {
            let page = challenge_page(&state, ctx, &me, id, "", None).await?;
            shown(page.ctx.lang, e, |m| ChallengePage { notice: Some(m), ..page })
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "volunteer/board.html")]
struct BoardPage {
    ctx: PageCtx,
    board: Board,
}

#[derive(Template, WebTemplate)]
#[template(path = "volunteer/board_table.html")]
struct BoardFragment {
    ctx: PageCtx,
    board: Board,
}

/// The board's formatting, shared by the page and the fragment.
#[allow(clippy::trivially_copy_pass_by_ref, clippy::unused_self, clippy::ref_option)] // templates pass references to methods
trait BoardView {
    fn seconds(&self, s: &Option<i64>) -> String {
        s.map_or_else(|| "—".to_owned(), super::challenge::show_seconds)
    }
    fn points(&self, p: &f64) -> String {
        format!("{p:.2}")
    }
}

impl BoardView for BoardPage {}
impl BoardView for BoardFragment {}

async fn board(State(state): State<AppState>, ctx: PageCtx, me: Principal, Path(id): Path<i64>) -> Result<BoardPage> {
    Ok(BoardPage { ctx, board: actions::board(&state.db, &me.scope, id).await? })
}

async fn board_fragment(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
) -> Result<Response> {
    let mut r = BoardFragment { ctx, board: actions::board(&state.db, &me.scope, id).await? }.into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    Ok(r)
}

/// The challenge form as posted to the page (course and stations as `CODE name value` lines).
#[derive(Deserialize)]
struct ChallengeForm {
    name: String,
    held_on: String,
    region_code: String,
    #[serde(default)]
    checkpoints: String,
    #[serde(default)]
    stations: String,
}

fn point_lines(field: &str, text: &str) -> Result<Vec<actions::PointInput>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let parts: Vec<&str> = line.split_whitespace().collect();
        let bad = || Error::invalid(field, keyed("error.on_line", &[&(i + 1).to_string(), "error.point_line"]));
        if parts.len() < 3 {
            return Err(bad());
        }
        let value = parts[parts.len() - 1].parse().map_err(|_| bad())?;
        out.push(actions::PointInput { code: parts[0].to_owned(), name: parts[1..parts.len() - 1].join(" "), value });
    }
    Ok(out)
}

async fn create_challenge(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Form(f): Form<ChallengeForm>,
) -> Result<Response> {
    let r = async {
        let input = ChallengeInput {
            name: f.name,
            held_on: f.held_on,
            region_code: f.region_code,
            checkpoints: point_lines("checkpoints", &f.checkpoints)?,
            stations: point_lines("stations", &f.stations)?,
        };
        actions::create_challenge(&state.db, &me, &input).await
    }
    .await;
    match r {
        Ok(id) => Ok(Redirect::to(&format!("/volunteers/challenges/{id}")).into_response()),
        Err(e) => {
            let page = challenges_page(&state, ctx, &me, None).await?;
            shown(page.ctx.lang, e, |m| ChallengesPage { notice: Some(m), ..page })
        }
    }
}

/// The routes of this area's pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/volunteers", get(teams))
        .route("/volunteers/teams/{id}", get(team).post(update_team))
        .route("/volunteers/teams/{id}/members", post(add_member))
        .route("/volunteers/teams/{id}/import", get(import_page).post(import_file))
        .route("/volunteers/teams/{id}/hours", get(ledger))
        .route("/volunteers/teams/{id}/events", post(create_event))
        .route("/volunteers/import/{format}", get(template))
        .route("/volunteers/members/{id}", get(member))
        .route("/volunteers/members/{id}/reveal", post(reveal))
        .route("/volunteers/members/{id}/credentials", post(add_credential))
        .route("/volunteers/members/{id}/hours", post(add_hours))
        .route("/volunteers/events", get(events))
        .route("/volunteers/events/{id}", get(event))
        .route("/volunteers/events/{id}/{action}", post(member_action))
        .route("/volunteers/events/{id}/complete", post(complete))
        .route("/volunteers/events/{id}/cancel", post(cancel_event))
        .route("/volunteers/periods", get(periods).post(create_period))
        .route("/volunteers/periods/{id}", get(period))
        .route("/volunteers/challenges", get(challenges).post(create_challenge))
        .route("/volunteers/challenges/{id}", get(challenge))
        .route("/volunteers/challenges/{id}/scores", post(record_scores))
        .route("/volunteers/challenges/{id}/punches", post(record_punches))
        .route("/volunteers/challenges/{id}/board", get(board))
        .route("/volunteers/challenges/{id}/board/fragment", get(board_fragment))
        .route("/p/service/{token}", get(public_event).post(public_post))
}
