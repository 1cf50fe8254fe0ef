//! JSON API for volunteer teams, members, credentials, service events, the hours ledger, service
//! periods and the challenge, under `/api/v1/volunteer-teams`, `/api/v1/volunteer-members`,
//! `/api/v1/service-events`, `/api/v1/service-periods` and `/api/v1/challenges`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse as _, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::actions::{
    self, Board, ChallengeInput, CompleteInput, Completed, CredentialInput, EventInput, HoursInput, MemberInput,
    MemberUpdate, PeriodInput, PunchInput, ScoreInput, TeamInput,
};
use super::import::{self, Rejected};
use super::store::{
    self, Challenge, Checkpoint, Credential, Entry, Event, EventFilter, HoursEntry, Member, MemberTally, Period,
    Signup, Station, Team, TeamTally,
};
use super::{EventState, SignupStatus};
use crate::activity::api::ImportErrors;
use crate::org::caller::Principal;
use crate::web::AppState;
use crate::web::extract::{Json, Path, Query, Replacement};
use crate::{Error, Result};

/// A team with its members (phones masked) and their credentials.
#[derive(Serialize, ToSchema)]
pub struct TeamDetail {
    /// The team.
    team: Team,
    /// Its members.
    members: Vec<Member>,
    /// Their trainings and certificates.
    credentials: Vec<Credential>,
}

/// Volunteer teams in your area.
#[utoipa::path(get, path = "/api/v1/volunteer-teams", tag = "volunteers", responses((status = 200, body = Vec<Team>)))]
async fn teams(State(s): State<AppState>, me: Principal) -> Result<axum::Json<Vec<Team>>> {
    Ok(axum::Json(store::teams(&s.db, &me.scope).await?))
}

async fn team_detail(s: &AppState, me: &Principal, id: i64) -> Result<TeamDetail> {
    Ok(TeamDetail {
        team: store::team(&s.db, &me.scope, id).await?,
        members: store::members(&s.db, &me.scope, id).await?,
        credentials: store::credentials(&s.db, &me.scope, id, None).await?,
    })
}

/// One team with its members and credentials.
#[utoipa::path(get, path = "/api/v1/volunteer-teams/{id}", tag = "volunteers", params(("id" = i64, Path)), responses((status = 200, body = TeamDetail), (status = 404, body = crate::error::Problem)))]
async fn team(State(s): State<AppState>, me: Principal, Path(id): Path<i64>) -> Result<axum::Json<TeamDetail>> {
    Ok(axum::Json(team_detail(&s, &me, id).await?))
}

/// Replaces a team's sponsor, leader, founding date and description: every field of the body is required (send a field's current value to keep it); a field left out is refused with a 422 naming it, never erased.
#[utoipa::path(put, path = "/api/v1/volunteer-teams/{id}", tag = "volunteers", params(("id" = i64, Path)), request_body = TeamInput, responses((status = 200, body = TeamDetail), (status = 422, body = crate::error::Problem)))]
async fn update_team(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Replacement(input): Replacement<TeamInput>,
) -> Result<axum::Json<TeamDetail>> {
    actions::update_team(&s.db, &me, id, &input).await?;
    Ok(axum::Json(team_detail(&s, &me, id).await?))
}

/// Adds a member (consent required; the phone number is stored sealed and shown masked).
#[utoipa::path(post, path = "/api/v1/volunteer-teams/{id}/members", tag = "volunteers", params(("id" = i64, Path)), request_body = MemberInput, responses((status = 201, body = Member), (status = 422, body = crate::error::Problem)))]
async fn add_member(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Json(input): Json<MemberInput>,
) -> Result<(StatusCode, axum::Json<Member>)> {
    let member = actions::add_member(&s.db, &s.key, &me, id, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(store::member(&s.db, &me.scope, member).await?)))
}

/// Import parameters.
#[derive(Deserialize, IntoParams)]
pub struct ImportParams {
    /// The file's name (`.xlsx` or `.csv`), for messages.
    filename: Option<String>,
}

/// The outcome of an import.
#[derive(Serialize, ToSchema)]
#[schema(as = MemberImportResult)]
pub struct ImportResult {
    /// Members stored.
    imported: usize,
}

/// Imports members from an XLSX or CSV body, all or nothing.
#[utoipa::path(post, path = "/api/v1/volunteer-teams/{id}/members/import", tag = "volunteers", params(("id" = i64, Path), ImportParams), request_body(content = Vec<u8>, content_type = "application/octet-stream"), responses((status = 201, body = ImportResult), (status = 422, body = ImportErrors)))]
async fn import_members(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Query(p): Query<ImportParams>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response> {
    let name = p.filename.unwrap_or_else(|| "upload".to_owned());
    Ok(match import::run(&s.db, &s.key, &me, id, &body, &name).await? {
        Ok(ids) => (StatusCode::CREATED, axum::Json(ImportResult { imported: ids.len() })).into_response(),
        Err(Rejected(errors)) => ImportErrors::response(errors, &headers),
    })
}

/// A member with their credentials.
#[derive(Serialize, ToSchema)]
pub struct MemberDetail {
    /// The member (phone masked).
    member: Member,
    /// Trainings and certificates.
    credentials: Vec<Credential>,
    /// Ledger entries, newest first.
    hours: Vec<HoursEntry>,
    /// Minutes credited in all.
    total_minutes: i64,
}

async fn member_detail(s: &AppState, me: &Principal, id: i64) -> Result<MemberDetail> {
    let member = store::member(&s.db, &me.scope, id).await?;
    let credentials = store::credentials(&s.db, &me.scope, member.team_id, Some(id)).await?;
    let hours = store::ledger(&s.db, &me.scope, member.team_id, Some(id), 10_000).await?;
    let total_minutes = hours.iter().map(|h| h.minutes).sum();
    Ok(MemberDetail { member, credentials, hours, total_minutes })
}

/// One member with credentials and hours.
#[utoipa::path(get, path = "/api/v1/volunteer-members/{id}", tag = "volunteers", params(("id" = i64, Path)), responses((status = 200, body = MemberDetail), (status = 404, body = crate::error::Problem)))]
async fn member(State(s): State<AppState>, me: Principal, Path(id): Path<i64>) -> Result<axum::Json<MemberDetail>> {
    Ok(axum::Json(member_detail(&s, &me, id).await?))
}

/// Replaces a member's name, gender, birth year, skills and active flag: every field of the body is required (send a field's current value to keep it); a field left out is refused with a 422 naming it, never erased.
#[utoipa::path(put, path = "/api/v1/volunteer-members/{id}", tag = "volunteers", params(("id" = i64, Path)), request_body = MemberUpdate, responses((status = 200, body = MemberDetail), (status = 422, body = crate::error::Problem)))]
async fn update_member(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Replacement(input): Replacement<MemberUpdate>,
) -> Result<axum::Json<MemberDetail>> {
    actions::update_member(&s.db, &me, id, &input).await?;
    Ok(axum::Json(member_detail(&s, &me, id).await?))
}

/// A revealed phone number.
#[derive(Serialize, ToSchema)]
#[schema(as = MemberPhone)]
pub struct Phone {
    /// The full number.
    phone: String,
}

/// Reveals a member's full phone number (audited as `volunteer.reveal_phone`).
#[utoipa::path(post, path = "/api/v1/volunteer-members/{id}/reveal-phone", tag = "volunteers", params(("id" = i64, Path)), responses((status = 200, body = Phone), (status = 403, body = crate::error::Problem)))]
async fn reveal_phone(State(s): State<AppState>, me: Principal, Path(id): Path<i64>) -> Result<axum::Json<Phone>> {
    Ok(axum::Json(Phone { phone: actions::reveal_phone(&s.db, &s.key, &me, id).await? }))
}

/// Records a training or certificate.
#[utoipa::path(post, path = "/api/v1/volunteer-members/{id}/credentials", tag = "volunteers", params(("id" = i64, Path)), request_body = CredentialInput, responses((status = 201, body = MemberDetail), (status = 422, body = crate::error::Problem)))]
async fn add_credential(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Json(input): Json<CredentialInput>,
) -> Result<(StatusCode, axum::Json<MemberDetail>)> {
    actions::add_credential(&s.db, &me, id, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(member_detail(&s, &me, id).await?)))
}

/// Credits or corrects (negative minutes, with a reason) a member's hours.
#[utoipa::path(post, path = "/api/v1/volunteer-members/{id}/hours", tag = "volunteers", params(("id" = i64, Path)), request_body = HoursInput, responses((status = 201, body = MemberDetail), (status = 422, body = crate::error::Problem)))]
async fn add_hours(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Json(input): Json<HoursInput>,
) -> Result<(StatusCode, axum::Json<MemberDetail>)> {
    actions::add_hours(&s.db, &me, id, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(member_detail(&s, &me, id).await?)))
}

/// A team's ledger with totals per member.
#[derive(Serialize, ToSchema)]
pub struct TeamLedger {
    /// Entries, newest first.
    entries: Vec<HoursEntry>,
    /// Totals per member, most hours first.
    members: Vec<MemberTally>,
    /// Minutes in all.
    total_minutes: i64,
}

/// The hours ledger of a team.
#[utoipa::path(get, path = "/api/v1/volunteer-teams/{id}/hours", tag = "volunteers", params(("id" = i64, Path)), responses((status = 200, body = TeamLedger)))]
async fn team_hours(State(s): State<AppState>, me: Principal, Path(id): Path<i64>) -> Result<axum::Json<TeamLedger>> {
    store::team(&s.db, &me.scope, id).await?;
    let entries = store::ledger(&s.db, &me.scope, id, None, 10_000).await?;
    let members = store::member_tallies(&s.db, &me.scope, store::EVER.0, store::EVER.1, Some(id), 10_000).await?;
    let total_minutes = members.iter().map(|m| m.minutes).sum();
    Ok(axum::Json(TeamLedger { entries, members, total_minutes }))
}

/// Event list parameters.
#[derive(Deserialize, IntoParams)]
pub struct EventParams {
    /// One team.
    team: Option<i64>,
    /// open, completed or cancelled.
    #[param(value_type = Option<super::EventState>)]
    state: Option<String>,
}

/// Service events of the teams in your area, newest first.
#[utoipa::path(get, path = "/api/v1/service-events", tag = "volunteers", params(EventParams), responses((status = 200, body = Vec<Event>)))]
async fn events(
    State(s): State<AppState>,
    me: Principal,
    Query(p): Query<EventParams>,
) -> Result<axum::Json<Vec<Event>>> {
    let state = p
        .state
        .as_deref()
        .filter(|x| !x.is_empty())
        .map(|x| EventState::parse(x).ok_or_else(|| Error::invalid("state", "error.event_state")))
        .transpose()?;
    let f = EventFilter { team_id: p.team, state, from: None };
    Ok(axum::Json(store::events(&s.db, &me.scope, &f, 1000).await?))
}

/// Plans a service event for a team.
#[utoipa::path(post, path = "/api/v1/volunteer-teams/{id}/events", tag = "volunteers", params(("id" = i64, Path)), request_body = EventInput, responses((status = 201, body = EventDetail), (status = 422, body = crate::error::Problem)))]
async fn create_event(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Json(input): Json<EventInput>,
) -> Result<(StatusCode, axum::Json<EventDetail>)> {
    let event = actions::create_event(&s.db, &me, id, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(event_detail(&s, &me, event).await?)))
}

/// An event with its sign-ups.
#[derive(Serialize, ToSchema)]
pub struct EventDetail {
    /// The event.
    event: Event,
    /// Its public page (sign-up and check-in by phone number).
    public_url: String,
    /// Sign-ups in order (waiting list included).
    signups: Vec<Signup>,
}

async fn event_detail(s: &AppState, me: &Principal, id: i64) -> Result<EventDetail> {
    let event = store::event(&s.db, &me.scope, id).await?;
    let public_url = super::pages::public_link(&s.config, &event.token);
    Ok(EventDetail { signups: store::signups(&s.db, id).await?, event, public_url })
}

/// One event with its sign-ups.
#[utoipa::path(get, path = "/api/v1/service-events/{id}", tag = "volunteers", params(("id" = i64, Path)), responses((status = 200, body = EventDetail), (status = 404, body = crate::error::Problem)))]
async fn event(State(s): State<AppState>, me: Principal, Path(id): Path<i64>) -> Result<axum::Json<EventDetail>> {
    Ok(axum::Json(event_detail(&s, &me, id).await?))
}

/// A member named in a sign-up, check-in or check-out.
#[derive(Deserialize, ToSchema)]
pub struct MemberAction {
    /// Member.
    member_id: i64,
    /// For check-in and check-out: when (China Standard Time or RFC 3339; now when absent).
    #[serde(default)]
    at: Option<String>,
}

/// The outcome of a sign-up.
#[derive(Serialize, ToSchema)]
pub struct SignedUp {
    /// confirmed or waitlisted.
    status: SignupStatus,
}

/// Signs a member of the team up: a place while there is room, else the waiting list.
#[utoipa::path(post, path = "/api/v1/service-events/{id}/signups", tag = "volunteers", params(("id" = i64, Path)), request_body = MemberAction, responses((status = 201, body = SignedUp), (status = 409, body = crate::error::Problem)))]
async fn sign_up(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Json(a): Json<MemberAction>,
) -> Result<(StatusCode, axum::Json<SignedUp>)> {
    let status = actions::sign_up(&s.db, &me, id, a.member_id).await?;
    Ok((StatusCode::CREATED, axum::Json(SignedUp { status })))
}

/// The outcome of a withdrawal.
#[derive(Serialize, ToSchema)]
pub struct Withdrawn {
    /// The member promoted from the waiting list, if any.
    promoted_member_id: Option<i64>,
}

/// Withdraws a sign-up; the first on the waiting list takes the place.
#[utoipa::path(post, path = "/api/v1/service-events/{id}/cancellations", tag = "volunteers", params(("id" = i64, Path)), request_body = MemberAction, responses((status = 200, body = Withdrawn), (status = 409, body = crate::error::Problem)))]
async fn cancel_signup(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Json(a): Json<MemberAction>,
) -> Result<axum::Json<Withdrawn>> {
    let promoted_member_id = actions::cancel_signup(&s.db, &me, id, a.member_id).await?;
    Ok(axum::Json(Withdrawn { promoted_member_id }))
}

/// The leader or staff confirm a member's check-in.
#[utoipa::path(post, path = "/api/v1/service-events/{id}/check-ins", tag = "volunteers", params(("id" = i64, Path)), request_body = MemberAction, responses((status = 204), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
async fn check_in(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Json(a): Json<MemberAction>,
) -> Result<StatusCode> {
    actions::check_in(&s.db, &me, id, a.member_id, a.at.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Minutes credited by a check-out.
#[derive(Serialize, ToSchema)]
pub struct CheckedOut {
    /// Minutes credited (rounded down to a quarter hour).
    minutes: i64,
}

/// The leader or staff confirm a member's check-out; the time is credited to the ledger.
#[utoipa::path(post, path = "/api/v1/service-events/{id}/check-outs", tag = "volunteers", params(("id" = i64, Path)), request_body = MemberAction, responses((status = 200, body = CheckedOut), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
async fn check_out(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Json(a): Json<MemberAction>,
) -> Result<axum::Json<CheckedOut>> {
    let minutes = actions::check_out(&s.db, &me, id, a.member_id, a.at.as_deref()).await?;
    Ok(axum::Json(CheckedOut { minutes }))
}

/// Completes an event with its figures; files a submitted `volunteer_service` activity in the
/// running campaign that covers its day.
#[utoipa::path(post, path = "/api/v1/service-events/{id}/complete", tag = "volunteers", params(("id" = i64, Path)), request_body = CompleteInput, responses((status = 200, body = Completed), (status = 409, body = crate::error::Problem)))]
async fn complete(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Json(input): Json<CompleteInput>,
) -> Result<axum::Json<Completed>> {
    Ok(axum::Json(actions::complete_event(&s.db, &me, id, &input).await?))
}

/// Calls off an open event.
#[utoipa::path(post, path = "/api/v1/service-events/{id}/cancel", tag = "volunteers", params(("id" = i64, Path)), responses((status = 204), (status = 409, body = crate::error::Problem)))]
async fn cancel_event(State(s): State<AppState>, me: Principal, Path(id): Path<i64>) -> Result<StatusCode> {
    actions::cancel_event(&s.db, &me, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Service periods.
#[utoipa::path(get, path = "/api/v1/service-periods", tag = "volunteers", responses((status = 200, body = Vec<Period>)))]
async fn periods(State(s): State<AppState>, _me: Principal) -> Result<axum::Json<Vec<Period>>> {
    Ok(axum::Json(store::periods(&s.db).await?))
}

/// Sets up a service period (staff).
#[utoipa::path(post, path = "/api/v1/service-periods", tag = "volunteers", request_body = PeriodInput, responses((status = 201, body = Period), (status = 422, body = crate::error::Problem)))]
async fn create_period(
    State(s): State<AppState>,
    me: Principal,
    Json(input): Json<PeriodInput>,
) -> Result<(StatusCode, axum::Json<Period>)> {
    let id = actions::create_period(&s.db, &me, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(store::period(&s.db, id).await?)))
}

/// Tallies of a period in your area: per team and per member, and the honour roll.
#[derive(Serialize, ToSchema)]
pub struct Tallies {
    /// The period.
    period: Period,
    /// Per team, most hours first.
    teams: Vec<TeamTally>,
    /// Per member, most hours first (the first ten are the honour roll).
    members: Vec<MemberTally>,
}

/// A period's tallies per team and member within your area.
#[utoipa::path(get, path = "/api/v1/service-periods/{id}/tallies", tag = "volunteers", params(("id" = i64, Path)), responses((status = 200, body = Tallies)))]
async fn tallies(State(s): State<AppState>, me: Principal, Path(id): Path<i64>) -> Result<axum::Json<Tallies>> {
    let period = store::period(&s.db, id).await?;
    let teams = store::team_tallies(&s.db, &me.scope, period.starts_on, period.ends_on).await?;
    let members = store::member_tallies(&s.db, &me.scope, period.starts_on, period.ends_on, None, 1000).await?;
    Ok(axum::Json(Tallies { period, teams, members }))
}

/// Challenges held in or above your area.
#[utoipa::path(get, path = "/api/v1/challenges", tag = "volunteers", responses((status = 200, body = Vec<Challenge>)))]
async fn challenges(State(s): State<AppState>, me: Principal) -> Result<axum::Json<Vec<Challenge>>> {
    Ok(axum::Json(store::challenges(&s.db, &me.scope).await?))
}

/// A challenge with its course, stations and competitors.
#[derive(Serialize, ToSchema)]
pub struct ChallengeDetail {
    /// The challenge.
    challenge: Challenge,
    /// The course.
    checkpoints: Vec<Checkpoint>,
    /// The stations.
    stations: Vec<Station>,
    /// The competitors.
    entries: Vec<Entry>,
}

async fn challenge_detail(s: &AppState, me: &Principal, id: i64) -> Result<ChallengeDetail> {
    Ok(ChallengeDetail {
        challenge: store::challenge(&s.db, &me.scope, id).await?,
        checkpoints: store::checkpoints(&s.db, id).await?,
        stations: store::stations(&s.db, id).await?,
        entries: store::entries(&s.db, id).await?,
    })
}

/// Sets up a challenge with its course and stations (staff).
#[utoipa::path(post, path = "/api/v1/challenges", tag = "volunteers", request_body = ChallengeInput, responses((status = 201, body = ChallengeDetail), (status = 422, body = crate::error::Problem)))]
async fn create_challenge(
    State(s): State<AppState>,
    me: Principal,
    Json(input): Json<ChallengeInput>,
) -> Result<(StatusCode, axum::Json<ChallengeDetail>)> {
    let id = actions::create_challenge(&s.db, &me, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(challenge_detail(&s, &me, id).await?)))
}

/// One challenge.
#[utoipa::path(get, path = "/api/v1/challenges/{id}", tag = "volunteers", params(("id" = i64, Path)), responses((status = 200, body = ChallengeDetail), (status = 404, body = crate::error::Problem)))]
async fn challenge(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
) -> Result<axum::Json<ChallengeDetail>> {
    Ok(axum::Json(challenge_detail(&s, &me, id).await?))
}

/// Members to enter.
#[derive(Deserialize, ToSchema)]
pub struct EntriesInput {
    /// Members (each competes for their own team).
    member_ids: Vec<i64>,
}

/// Enters members into a challenge.
#[utoipa::path(post, path = "/api/v1/challenges/{id}/entries", tag = "volunteers", params(("id" = i64, Path)), request_body = EntriesInput, responses((status = 201, body = ChallengeDetail), (status = 422, body = crate::error::Problem)))]
async fn add_entries(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Json(input): Json<EntriesInput>,
) -> Result<(StatusCode, axum::Json<ChallengeDetail>)> {
    actions::add_entries(&s.db, &me, id, &input.member_ids).await?;
    Ok((StatusCode::CREATED, axum::Json(challenge_detail(&s, &me, id).await?)))
}

/// How many lines were recorded.
#[derive(Serialize, ToSchema)]
pub struct Recorded {
    /// Lines recorded.
    recorded: usize,
}

/// Records starts (`START`), finishes (`FINISH`) and checkpoint punches.
#[utoipa::path(post, path = "/api/v1/challenges/{id}/punches", tag = "volunteers", params(("id" = i64, Path)), request_body = Vec<PunchInput>, responses((status = 200, body = Recorded), (status = 422, body = crate::error::Problem)))]
async fn punches(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Json(input): Json<Vec<PunchInput>>,
) -> Result<axum::Json<Recorded>> {
    Ok(axum::Json(Recorded { recorded: actions::record_punches(&s.db, &me, id, &input).await? }))
}

/// Records the scores of one station (by its code).
#[utoipa::path(post, path = "/api/v1/challenges/{id}/stations/{code}/scores", tag = "volunteers", params(("id" = i64, Path), ("code" = String, Path)), request_body = Vec<ScoreInput>, responses((status = 200, body = Recorded), (status = 422, body = crate::error::Problem)))]
async fn scores(
    State(s): State<AppState>,
    me: Principal,
    Path((id, code)): Path<(i64, String)>,
    Json(input): Json<Vec<ScoreInput>>,
) -> Result<axum::Json<Recorded>> {
    Ok(axum::Json(Recorded { recorded: actions::record_scores(&s.db, &me, id, &code, &input).await? }))
}

/// The results board: individual and team rankings.
#[utoipa::path(get, path = "/api/v1/challenges/{id}/board", tag = "volunteers", params(("id" = i64, Path)), responses((status = 200, body = Board)))]
async fn board(State(s): State<AppState>, me: Principal, Path(id): Path<i64>) -> Result<axum::Json<Board>> {
    Ok(axum::Json(actions::board(&s.db, &me.scope, id).await?))
}

/// The routes of this area.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(teams))
        .routes(routes!(team, update_team))
        .routes(routes!(add_member))
        .routes(routes!(import_members))
        .routes(routes!(team_hours))
        .routes(routes!(create_event))
        .routes(routes!(member, update_member))
        .routes(routes!(reveal_phone))
        .routes(routes!(add_credential))
        .routes(routes!(add_hours))
        .routes(routes!(events))
        .routes(routes!(event))
        .routes(routes!(sign_up))
        .routes(routes!(cancel_signup))
        .routes(routes!(check_in))
        .routes(routes!(check_out))
        .routes(routes!(complete))
        .routes(routes!(cancel_event))
        .routes(routes!(periods, create_period))
        .routes(routes!(tallies))
        .routes(routes!(challenges, create_challenge))
        .routes(routes!(challenge))
        .routes(routes!(add_entries))
        .routes(routes!(punches))
        .routes(routes!(scores))
        .routes(routes!(board))
}
