//! What staff, team leaders and members do, shared by the JSON API, the pages and the importer:
//! keep a team's details and members, reveal a phone number, record credentials, run service
//! events (sign-up, check-in and check-out, completion with figures that become an activity
//! record), credit and correct hours, set up periods and challenges and record their results.
//! Every change is audited.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use super::challenge::{self, Ranked, TeamRanked};
use super::store::{self, Event, Member, NewEvent, NewMember, Team, TeamDetails};
use super::{
    CONSENT_VERSION, CredentialKind, EventKind, EventState, SignupStatus, can_manage, can_organise, parse_skills,
    service_day, skills_text,
};
use crate::activity;
use crate::audit::{self, Actor, Outcome};
use crate::campaign;
use crate::clock::{parse_date, parse_time};
use crate::db::Db;
use crate::i18n::{keyed, term};
use crate::org::caller::Principal;
use crate::org::{self, Scope, parse_name};
use crate::personal::{DataKey, PhoneNumber};
use crate::{Error, Result, clock};

fn limit(field: &str, s: &str, max: usize) -> Result<String> {
    let s = s.trim();
    if s.chars().count() > max || s.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(Error::invalid(field, keyed("error.text_limit", &[&max.to_string()])));
    }
    Ok(s.to_owned())
}

fn optional_date(field: &str, s: &str) -> Result<Option<Date>> {
    if s.trim().is_empty() { Ok(None) } else { parse_date(field, s).map(Some) }
}

/// A team the caller may manage: in scope (else 404) and theirs to manage (else 403).
pub async fn managed_team(db: &Db, me: &Principal, team_id: i64) -> Result<Team> {
    let team = store::team(db, &me.scope, team_id).await?;
    if !can_manage(me.role, me.user.unit_id, team.id) {
        return Err(Error::Forbidden);
    }
    Ok(team)
}

/// A team's details as written.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[schema(as = VolunteerTeamInput)]
pub struct TeamInput {
    /// Sponsoring organisation (美团吉林, a community office …).
    #[serde(default)]
    pub sponsor: String,
    /// Leading member (a member of the team).
    #[serde(default)]
    pub leader_member_id: Option<i64>,
    /// Founded, `2019-05-01`.
    #[serde(default)]
    pub founded_on: String,
    /// About the team.
    #[serde(default)]
    pub description: String,
}

/// Changes a team's sponsor, leader, founding date and description.
pub async fn update_team(db: &Db, me: &Principal, team_id: i64, input: &TeamInput) -> Result<()> {
    let r = async {
        let team = managed_team(db, me, team_id).await?;
        if let Some(leader) = input.leader_member_id {
            let m = store::member(db, &me.scope, leader)
                .await
                .map_err(|_| Error::invalid("leader_member_id", "error.no_member"))?;
            if m.team_id != team.id || !m.active {
                return Err(Error::invalid("leader_member_id", "error.leader_member"));
            }
        }
        let details = TeamDetails {
            sponsor: limit("sponsor", &input.sponsor, 100)?,
            leader_member_id: input.leader_member_id,
            founded_on: optional_date("founded_on", &input.founded_on)?,
            description: limit("description", &input.description, 2000)?,
        };
        store::save_team(db, team.id, &details).await
    }
    .await;
    me.audited(db, "volunteer.team.update", ("unit", &team_id.to_string()), r).await
}

/// A member as written in a form, a JSON body or a spreadsheet row.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
pub struct MemberInput {
    pub(crate) name: String,
    /// Mobile number (stored sealed, shown masked).
    pub phone: String,
    /// `f`, `m` or empty.
    #[serde(default)]
    pub gender: String,
    /// Year of birth (optional).
    #[serde(default)]
    pub birth_year: Option<i64>,
    /// Skills: codes or names, comma-separated.
    #[serde(default)]
    pub skills: String,
    /// The member agreed to the current consent text (required).
    #[serde(default)]
    pub consent: bool,
    /// Joined, `2024-11-01` (default today).
    #[serde(default)]
    pub joined_on: String,
}

fn parse_gender(s: &str) -> Result<Option<String>> {
    match s.trim() {
        "" => Ok(None),
        "f" | "F" | "女" | "female" | "여" => Ok(Some("f".to_owned())),
        "m" | "M" | "男" | "male" | "남" => Ok(Some("m".to_owned())),
        other => Err(Error::invalid("gender", keyed("error.gender", &[other]))),
    }
}

/// Checks a member for a team and seals the phone number.
pub fn check_member(input: &MemberInput, team: (i64, &str), key: &DataKey, now: OffsetDateTime) -> Result<NewMember> {
    let name = parse_name("name", &input.name)?;
    let phone = PhoneNumber::parse("phone", &input.phone)?;
    if !input.consent {
        return Err(Error::invalid("consent", "error.member_consent"));
    }
    let year = clock::today().year();
    if let Some(y) = input.birth_year
        && !(i64::from(year) - 100..=i64::from(year) - 14).contains(&y)
    {
        return Err(Error::invalid(
            "birth_year",
            keyed("error.birth_year", &[&(year - 100).to_string(), &(year - 14).to_string()]),
        ));
    }
    let joined_on = optional_date("joined_on", &input.joined_on)?.unwrap_or_else(clock::today);
    Ok(NewMember {
        team_id: team.0,
        team_path: team.1.to_owned(),
        name,
        phone_sealed: key.seal(phone.as_str()),
        phone_index: key.index(phone.as_str()),
        phone_masked: phone.masked(),
        gender: parse_gender(&input.gender)?,
        birth_year: input.birth_year,
        skills: skills_text(&parse_skills("skills", &input.skills)?),
        consent_version: CONSENT_VERSION.to_owned(),
        consent_at: now,
        joined_on,
    })
}

/// Adds a member (with consent) to a team.
pub async fn add_member(db: &Db, key: &DataKey, me: &Principal, team_id: i64, input: &MemberInput) -> Result<i64> {
    let r = async {
        let team = managed_team(db, me, team_id).await?;
        let m = check_member(input, (team.id, &team.region_path), key, clock::now())?;
        if store::member_by_phone(db, team.id, &m.phone_index).await?.is_some() {
            return Err(Error::invalid("phone", "error.phone_in_team"));
        }
        let ids = store::insert_members(db, &[m]).await?;
        ids.first().copied().ok_or_else(|| Error::Internal(anyhow::anyhow!("no id")))
    }
    .await;
    me.audited(db, "volunteer.member.create", ("unit", &team_id.to_string()), r).await
}

/// What may change about a member.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
pub struct MemberUpdate {
    pub(crate) name: String,
    /// `f`, `m` or empty.
    #[serde(default)]
    pub gender: String,
    /// Year of birth.
    #[serde(default)]
    pub birth_year: Option<i64>,
    /// Skills.
    #[serde(default)]
    pub skills: String,
    /// Still active.
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// Changes a member's name, gender, birth year, skills or active flag.
pub async fn update_member(db: &Db, me: &Principal, member_id: i64, input: &MemberUpdate) -> Result<()> {
    let r = async {
        let m = store::member(db, &me.scope, member_id).await?;
        managed_team(db, me, m.team_id).await?;
        let name = parse_name("name", &input.name)?;
        let skills = skills_text(&parse_skills("skills", &input.skills)?);
        let gender = parse_gender(&input.gender)?;
        store::update_member(
            db,
            &me.scope,
            member_id,
            &name,
            gender.as_deref(),
            input.birth_year,
            &skills,
            input.active,
        )
        .await
    }
    .await;
    me.audited(db, "volunteer.member.update", ("volunteer_member", &member_id.to_string()), r).await
}

/// Reveals a member's phone number to someone who manages the team: an audited action.
pub async fn reveal_phone(db: &Db, key: &DataKey, me: &Principal, member_id: i64) -> Result<String> {
    let r = async {
        let m = store::member(db, &me.scope, member_id).await?;
        managed_team(db, me, m.team_id).await?;
        key.open(&store::member_phone_sealed(db, &me.scope, member_id).await?)
    }
    .await;
    me.audited(db, "volunteer.reveal_phone", ("volunteer_member", &member_id.to_string()), r).await
}

/// A training or certificate as written.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
pub struct CredentialInput {
    /// `training` or `certificate`.
    #[schema(value_type = super::CredentialKind)]
    pub kind: String,
    /// Name (初级消防员, 应急救护培训 …).
    pub name: String,
    /// Issued by.
    #[serde(default)]
    pub issuer: String,
    /// Issued or attended, `2024-06-01`.
    pub issued_on: String,
    /// Expires (certificates).
    #[serde(default)]
    pub expires_on: String,
}

/// Records a training or certificate of a member.
pub async fn add_credential(db: &Db, me: &Principal, member_id: i64, input: &CredentialInput) -> Result<i64> {
    let r = async {
        let m = store::member(db, &me.scope, member_id).await?;
        managed_team(db, me, m.team_id).await?;
        let kind = CredentialKind::parse(&input.kind).ok_or_else(|| Error::invalid("kind", "error.credential_kind"))?;
        let issued_on = parse_date("issued_on", &input.issued_on)?;
        let expires_on = optional_date("expires_on", &input.expires_on)?;
        if expires_on.is_some_and(|e| e < issued_on) {
            return Err(Error::invalid("expires_on", "error.expires_before_issued"));
        }
        store::insert_credential(
            db,
            member_id,
            kind.as_str(),
            &parse_name("name", &input.name)?,
            &limit("issuer", &input.issuer, 100)?,
            issued_on,
            expires_on,
        )
        .await
    }
    .await;
    me.audited(db, "volunteer.credential.create", ("volunteer_member", &member_id.to_string()), r).await
}

// ---- events ----

/// A service event as written.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
pub struct EventInput {
    /// `home_check`, `safety_visit`, `handout`, `lecture` or `drill`.
    #[schema(value_type = super::EventKind)]
    pub kind: String,
    pub(crate) title: String,
    /// Where: a region code inside the team's area.
    pub region_code: String,
    /// Street address.
    #[serde(default)]
    pub address: String,
    /// Start, `2026-11-20 09:00` (China Standard Time) or RFC 3339.
    pub starts_at: String,
    pub(crate) ends_at: String,
    /// Places (1 to 1000).
    pub capacity: i64,
}

/// Checks an event of a team: kind, title, a place inside the team's area, times and capacity.
pub fn check_event(input: &EventInput, team: &Team, region: Option<(String, String)>, by: i64) -> Result<NewEvent> {
    let kind = EventKind::parse(&input.kind).ok_or_else(|| {
        let all: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
        Error::invalid("kind", keyed("error.event_kind", &[input.kind.trim(), &all.join(", ")]))
    })?;
    let title = parse_name("title", &input.title)?;
    let region = region
        .filter(|(_, path)| path.starts_with(&team.region_path))
        .ok_or_else(|| Error::invalid("region_code", keyed("error.region_not_teams", &[input.region_code.trim()])))?;
    let starts_at = parse_time("starts_at", &input.starts_at)?;
    let ends_at = parse_time("ends_at", &input.ends_at)?;
    if ends_at <= starts_at {
        return Err(Error::invalid("ends_at", "error.event_ends_early"));
    }
    if ends_at - starts_at > time::Duration::days(7) {
        return Err(Error::invalid("ends_at", "error.event_days"));
    }
    if !(1..=1000).contains(&input.capacity) {
        return Err(Error::invalid("capacity", "error.capacity"));
    }
    Ok(NewEvent {
        team: (team.id, team.region_path.clone()),
        kind: kind.as_str().to_owned(),
        title,
        region,
        address: limit("address", &input.address, 200)?,
        starts_at,
        ends_at,
        capacity: input.capacity,
        token: org::new_secret(),
        created_by: by,
    })
}

/// Plans a service event for a team.
pub async fn create_event(db: &Db, me: &Principal, team_id: i64, input: &EventInput) -> Result<i64> {
    let r = async {
        let team = managed_team(db, me, team_id).await?;
        let region = match org::RegionCode::parse(&input.region_code) {
            Ok(code) => org::store::region(db, &me.scope, code.as_str()).await.ok().map(|r| (r.code, r.path)),
            Err(_) => None,
        };
        let e = check_event(input, &team, region, me.user.id)?;
        let ids = store::insert_events(db, &[e]).await?;
        ids.first().copied().ok_or_else(|| Error::Internal(anyhow::anyhow!("no id")))
    }
    .await;
    me.audited(db, "volunteer.event.create", ("unit", &team_id.to_string()), r).await
}

/// An event the caller may manage, with its team.
async fn managed_event(db: &Db, me: &Principal, event_id: i64) -> Result<Event> {
    let e = store::event(db, &me.scope, event_id).await?;
    managed_team(db, me, e.team_id).await?;
    Ok(e)
}

/// A member of the event's team, in scope.
async fn team_member(db: &Db, me: &Principal, e: &Event, member_id: i64) -> Result<Member> {
    let m =
        store::member(db, &me.scope, member_id).await.map_err(|_| Error::invalid("member_id", "error.no_member"))?;
    if m.team_id != e.team_id {
        return Err(Error::invalid("member_id", "error.member_elsewhere"));
    }
    if !m.active {
        return Err(Error::invalid("member_id", "error.member_inactive"));
    }
    Ok(m)
}

/// Signs a member of the team up (a place, or the waiting list when full).
pub async fn sign_up(db: &Db, me: &Principal, event_id: i64, member_id: i64) -> Result<SignupStatus> {
    let r = async {
        let e = managed_event(db, me, event_id).await?;
        team_member(db, me, &e, member_id).await?;
        store::sign_up(db, event_id, member_id).await
    }
    .await;
    me.audited(db, "volunteer.signup", ("service_event", &event_id.to_string()), r).await
}

/// Withdraws a member's sign-up; the first on the waiting list takes the place. Returns who.
pub async fn cancel_signup(db: &Db, me: &Principal, event_id: i64, member_id: i64) -> Result<Option<i64>> {
    let r = async {
        managed_event(db, me, event_id).await?;
        store::cancel_signup(db, event_id, member_id).await
    }
    .await;
    me.audited(db, "volunteer.signup.cancel", ("service_event", &event_id.to_string()), r).await
}

/// A time given by the leader or staff for a check-in or check-out (now when empty); never in
/// the future.
fn confirmed_time(at: Option<&str>) -> Result<OffsetDateTime> {
    let now = clock::now();
    match at.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(now),
        Some(s) => {
            let t = parse_time("at", s)?;
            if t > now + time::Duration::minutes(5) {
                return Err(Error::invalid("at", "error.check_time_future"));
            }
            Ok(t)
        }
    }
}

/// The leader or staff confirm a member's check-in (at a given time, or now).
pub async fn check_in(db: &Db, me: &Principal, event_id: i64, member_id: i64, at: Option<&str>) -> Result<()> {
    let r = async {
        let e = managed_event(db, me, event_id).await?;
        team_member(db, me, &e, member_id).await?;
        store::check_in(db, event_id, member_id, confirmed_time(at)?).await
    }
    .await;
    me.audited(db, "volunteer.check_in", ("service_event", &event_id.to_string()), r).await
}

/// The leader or staff confirm a member's check-out; returns the minutes credited.
pub async fn check_out(db: &Db, me: &Principal, event_id: i64, member_id: i64, at: Option<&str>) -> Result<i64> {
    let r = async {
        let e = managed_event(db, me, event_id).await?;
        team_member(db, me, &e, member_id).await?;
        store::check_out(db, event_id, member_id, confirmed_time(at)?, Some(me.user.id)).await
    }
    .await;
    me.audited(db, "volunteer.check_out", ("service_event", &event_id.to_string()), r).await
}

/// What a member asks for on the public event page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PublicAction {
    /// Take a place (or join the waiting list).
    SignUp,
    /// Check in now.
    CheckIn,
    /// Check out now.
    CheckOut,
    /// Withdraw.
    Cancel,
}

/// What the public page tells the member.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PublicOutcome {
    /// The member's name, masked after its first character (the page is public).
    pub member_name: String,
    /// What was done: `signed_up`, `waitlisted`, `checked_in`, `checked_out` or `cancelled`.
    pub done: String,
    /// Minutes credited by a check-out.
    pub minutes: i64,
}

/// Failed look-ups one address may make on the public event pages in an hour.
pub const LOOKUPS_PER_HOUR: i64 = 10;

/// Whether `typed` is the member's registered name (spaces aside).
fn same_name(typed: &str, registered: &str) -> bool {
    let plain = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    !typed.trim().is_empty() && plain(typed) == plain(registered)
}

/// A member acts on the public page of an event by entering their phone number and their name,
/// matched by the number's blind index within the event's team. A number alone is not enough, and
/// a failed look-up never says which of the two did not match; an address gets
/// [`LOOKUPS_PER_HOUR`] failed look-ups an hour. Audited under the member's masked number.
pub async fn public_action(
    db: &Db,
    key: &DataKey,
    token: &str,
    (phone, name): (&str, &str),
    action: PublicAction,
    ip: &str,
) -> Result<PublicOutcome> {
    let e = store::event_by_token(db, token).await?;
    if e.state != EventState::Open {
        return Err(Error::Conflict("error.event_closed".into()));
    }
    let number = PhoneNumber::parse("phone", phone)?;
    let address = key.index(&format!("event-lookup:{ip}"));
    let spent = org::store::spend(db, "event_lookup", &address, clock::now(), LOOKUPS_PER_HOUR)
        .await?
        .ok_or_else(|| Error::TooMany("error.lookups_per_hour".into()))?;
    let m = store::member_by_phone(db, e.team_id, &key.index(number.as_str()))
        .await?
        .filter(|m| same_name(name, &m.name))
        .ok_or_else(|| Error::invalid("phone", "error.member_not_matched"))?;
    org::store::give_back(db, spent).await?;
    let now = clock::now();
    let (done, minutes) = match action {
        PublicAction::SignUp => match store::sign_up(db, e.id, m.id).await? {
            SignupStatus::Waitlisted => ("waitlisted", 0),
            _ => ("signed_up", 0),
        },
        PublicAction::CheckIn => {
            if now < e.starts_at - time::Duration::hours(1) || now > e.ends_at {
                return Err(Error::invalid(
                    "action",
                    crate::i18n::keyed("error.check_in_window", &[&clock::show(e.starts_at), &clock::show(e.ends_at)]),
                ));
            }
            store::check_in(db, e.id, m.id, now).await?;
            ("checked_in", 0)
        }
        PublicAction::CheckOut => ("checked_out", store::check_out(db, e.id, m.id, now, None).await?),
        PublicAction::Cancel => {
            store::cancel_signup(db, e.id, m.id).await?;
            ("cancelled", 0)
        }
    };
    let actor = Actor {
        user_id: None,
        name: format!("member:{}", m.phone_masked),
        ip: ip.to_owned(),
        region_path: e.team_path,
    };
    audit::record(
        db,
        &actor,
        &format!("volunteer.public.{done}"),
        ("service_event", &e.id.to_string()),
        Outcome::Ok,
        "",
    )
    .await?;
    let mut shown: String = m.name.chars().take(1).collect();
    shown.extend(std::iter::repeat_n('*', m.name.chars().count().saturating_sub(1).max(1)));
    Ok(PublicOutcome { member_name: shown, done: done.to_owned(), minutes })
}

/// The figures of a completed event.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
pub struct CompleteInput {
    /// Leaflets and other handouts given out.
    #[serde(default)]
    pub handouts: i64,
    /// Posters, charts and banners put up.
    #[serde(default)]
    pub posters: i64,
    /// Homes checked for hazards.
    #[serde(default)]
    pub homes_checked: i64,
    /// People reached.
    #[serde(default)]
    pub people_reached: i64,
    /// What happened.
    #[serde(default)]
    pub description: String,
}

/// What completing an event filed.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Completed {
    /// The activity record (submitted for review), when a running campaign covers the day.
    pub activity_id: Option<i64>,
    /// That campaign.
    pub campaign_id: Option<i64>,
}

/// Completes an open event with its figures. When a running campaign's dates contain the event's
/// day, the figures are filed there as a submitted `volunteer_service` activity organised by the
/// team, for the fire service to review like any record.
pub async fn complete_event(db: &Db, me: &Principal, event_id: i64, input: &CompleteInput) -> Result<Completed> {
    let r = async {
        let e = managed_event(db, me, event_id).await?;
        if e.state != EventState::Open {
            return Err(Error::Conflict(keyed("error.event_not_completable", &[&term("event_state", e.state)])));
        }
        if e.starts_at > clock::now() {
            return Err(Error::Conflict("error.event_not_started".into()));
        }
        let day = service_day(e.starts_at);
        let mut figures = BTreeMap::new();
        for (code, value) in [
            ("handouts", input.handouts),
            ("posters", input.posters),
            ("homes_checked", input.homes_checked),
            ("participants", input.people_reached),
            ("volunteer_services", 1),
        ] {
            figures.insert(code.to_owned(), value);
        }
        let description = limit("description", &input.description, 4000)?;
        let catalogue = campaign::store::metrics(db).await?;
        // The figures are checked even without a campaign, so bad input never completes an event.
        let checked = activity::check_figures(&figures, &catalogue).map_err(|err| match err {
            Error::Invalid { field, message } => Error::Invalid {
                field: field.map(|f| f.replace("figures.participants", "people_reached").replace("figures.", "")),
                message,
            },
            other => other,
        })?;
        let input = activity::actions::ActivityInput {
            kind: "volunteer_service".to_owned(),
            title: e.title.clone(),
            starts_on: clock::show_date(day),
            region_code: e.region_code.clone(),
            venue: e.address.chars().take(100).collect(),
            description,
            figures: checked.into_iter().collect(),
            ..Default::default()
        };
        let region = (e.region_code.clone(), e.region_path.clone());
        let filed =
            activity::actions::file_for_review(db, input, region, (e.team_id, &e.team_path), me.user.id).await?;
        let filed = Completed { activity_id: filed.map(|f| f.0), campaign_id: filed.map(|f| f.1) };
        store::close_event(db, event_id, EventState::Completed, filed.activity_id).await?;
        Ok(filed)
    }
    .await;
    me.audited(db, "volunteer.event.complete", ("service_event", &event_id.to_string()), r).await
}

/// Calls off an open event.
pub async fn cancel_event(db: &Db, me: &Principal, event_id: i64) -> Result<()> {
    let r = async {
        managed_event(db, me, event_id).await?;
        store::close_event(db, event_id, EventState::Cancelled, None).await
    }
    .await;
    me.audited(db, "volunteer.event.cancel", ("service_event", &event_id.to_string()), r).await
}

// ---- hours ----

/// A manual credit or a correction.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
pub struct HoursInput {
    /// The day, `2026-11-20`.
    pub day: String,
    /// Minutes: positive to credit, negative to correct (never zero).
    pub minutes: i64,
    /// Why (required).
    pub reason: String,
}

/// Credits or corrects a member's hours: a new ledger entry, never a change of an old one.
pub async fn add_hours(db: &Db, me: &Principal, member_id: i64, input: &HoursInput) -> Result<i64> {
    let r = async {
        let m = store::member(db, &me.scope, member_id).await?;
        managed_team(db, me, m.team_id).await?;
        let day = parse_date("day", &input.day)?;
        if day > clock::today() {
            return Err(Error::invalid("day", "error.hours_future"));
        }
        if input.minutes == 0 || input.minutes.abs() > super::DAY_MINUTES {
            return Err(Error::invalid("minutes", "error.hours_minutes"));
        }
        let reason = limit("reason", &input.reason, 300)?;
        if reason.is_empty() {
            return Err(Error::invalid("reason", "error.hours_reason"));
        }
        store::add_hours(db, member_id, day, input.minutes, &reason, me.user.id).await
    }
    .await;
    me.audited(db, "volunteer.hours", ("volunteer_member", &member_id.to_string()), r).await
}

// ---- periods ----

/// A service period as written.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
pub struct PeriodInput {
    /// Name (冬季消防志愿服务百日行动).
    pub name: String,
    /// First day.
    pub starts_on: String,
    /// Last day.
    pub ends_on: String,
}

/// Whether a user sets up service periods: they are province-wide (the winter 100-day campaign),
/// so the province's organisers do.
pub fn may_set_periods(me: &Principal) -> bool {
    can_organise(me.role) && me.scope == org::Scope::province()
}

/// Sets up a service period (the province's organisers).
pub async fn create_period(db: &Db, me: &Principal, input: &PeriodInput) -> Result<i64> {
    let r = async {
        if !may_set_periods(me) {
            return Err(Error::Forbidden);
        }
        let starts_on = parse_date("starts_on", &input.starts_on)?;
        let ends_on = parse_date("ends_on", &input.ends_on)?;
        campaign::check_period(starts_on, ends_on)?;
        store::insert_period(db, &parse_name("name", &input.name)?, starts_on, ends_on).await
    }
    .await;
    me.audited(db, "volunteer.period.create", ("service_period", &input.name), r).await
}

// ---- the challenge ----

/// A checkpoint or station as written.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
pub struct PointInput {
    /// Code (`K1`, `S1`).
    pub code: String,
    pub(crate) name: String,
    /// Penalty seconds for a missed checkpoint, or the highest score of a station.
    pub value: i64,
}

/// A challenge as written.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
pub struct ChallengeInput {
    pub(crate) name: String,
    /// Day held.
    pub held_on: String,
    /// Region code (inside your area).
    pub region_code: String,
    /// The orienteering course in order.
    pub checkpoints: Vec<PointInput>,
    /// The skills stations.
    pub stations: Vec<PointInput>,
}

fn code(field: &str, s: &str) -> Result<String> {
    let s = s.trim();
    if s.is_empty() || s.len() > 12 || !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(Error::invalid(field, "error.point_code"));
    }
    Ok(s.to_uppercase())
}

/// Sets up a challenge with its course and stations (staff).
pub async fn create_challenge(db: &Db, me: &Principal, input: &ChallengeInput) -> Result<i64> {
    let r = async {
        if !can_organise(me.role) {
            return Err(Error::Forbidden);
        }
        let name = parse_name("name", &input.name)?;
        let held_on = parse_date("held_on", &input.held_on)?;
        let region = org::store::region(db, &me.scope, input.region_code.trim())
            .await
            .map_err(|_| Error::invalid("region_code", "error.region_outside"))?;
        let mut checkpoints = Vec::new();
        for (i, p) in input.checkpoints.iter().enumerate() {
            if !(0..=3600).contains(&p.value) {
                return Err(Error::invalid(format!("checkpoints[{i}].value"), "error.checkpoint_penalty"));
            }
            checkpoints.push((
                code(&format!("checkpoints[{i}].code"), &p.code)?,
                parse_name("name", &p.name)?,
                p.value,
            ));
        }
        let mut stations = Vec::new();
        for (i, p) in input.stations.iter().enumerate() {
            if !(1..=1000).contains(&p.value) {
                return Err(Error::invalid(format!("stations[{i}].value"), "error.station_max"));
            }
            stations.push((code(&format!("stations[{i}].code"), &p.code)?, parse_name("name", &p.name)?, p.value));
        }
        if checkpoints.is_empty() && stations.is_empty() {
            return Err(Error::invalid("checkpoints", "error.challenge_points"));
        }
        store::insert_challenge(db, &name, held_on, (&region.code, &region.path), &checkpoints, &stations).await
    }
    .await;
    me.audited(db, "volunteer.challenge.create", ("challenge", &input.name), r).await
}

async fn organised_challenge(db: &Db, me: &Principal, id: i64) -> Result<store::Challenge> {
    let c = store::challenge(db, &me.scope, id).await?;
    if !can_organise(me.role) || !me.scope.contains(&c.region_path) {
        return Err(Error::Forbidden);
    }
    Ok(c)
}

/// Enters members into a challenge (each with their team).
pub async fn add_entries(db: &Db, me: &Principal, challenge_id: i64, member_ids: &[i64]) -> Result<Vec<i64>> {
    let r = async {
        organised_challenge(db, me, challenge_id).await?;
        let mut rows = Vec::with_capacity(member_ids.len());
        for (i, id) in member_ids.iter().enumerate() {
            let m = store::member(db, &me.scope, *id).await.map_err(|_| {
                Error::invalid(format!("member_ids[{i}]"), keyed("error.no_member_id", &[&id.to_string()]))
            })?;
            rows.push((m.id, m.team_id));
        }
        store::insert_entries(db, challenge_id, &rows).await
    }
    .await;
    me.audited(db, "volunteer.challenge.entries", ("challenge", &challenge_id.to_string()), r).await
}

/// One competitor's start and finish, or punch, as written.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
pub struct PunchInput {
    pub(crate) entry_id: i64,
    /// `START`, `FINISH` or a checkpoint code.
    pub checkpoint: String,
    /// Time, `2024-11-23 09:12:30` (China Standard Time) or RFC 3339.
    pub at: String,
}

/// Records starts, finishes and checkpoint punches (all or nothing; every bad line is refused
/// with its index).
pub async fn record_punches(db: &Db, me: &Principal, challenge_id: i64, punches: &[PunchInput]) -> Result<usize> {
    let r = async {
        organised_challenge(db, me, challenge_id).await?;
        let course = store::checkpoints(db, challenge_id).await?;
        let entries = store::entries(db, challenge_id).await?;
        let mut times = Vec::new();
        let mut rows = Vec::new();
        for (i, p) in punches.iter().enumerate() {
            if !entries.iter().any(|e| e.id == p.entry_id) {
                return Err(Error::invalid(format!("punches[{i}].entry_id"), "error.no_entry"));
            }
            let at = parse_time(&format!("punches[{i}].at"), &p.at)?;
            match p.checkpoint.trim().to_uppercase().as_str() {
                "START" => times.push((p.entry_id, Some(at), None)),
                "FINISH" => times.push((p.entry_id, None, Some(at))),
                code => {
                    let k = course.iter().find(|k| k.code == code).ok_or_else(|| {
                        Error::invalid(format!("punches[{i}].checkpoint"), keyed("error.no_checkpoint", &[code]))
                    })?;
                    rows.push((p.entry_id, k.id, at));
                }
            }
        }
        store::set_times(db, challenge_id, &times).await?;
        store::upsert_punches(db, &rows).await?;
        Ok(punches.len())
    }
    .await;
    me.audited(db, "volunteer.challenge.punches", ("challenge", &challenge_id.to_string()), r).await
}

/// One competitor's score at a station, as written.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
pub struct ScoreInput {
    pub(crate) entry_id: i64,
    /// Score (0 to the station's highest).
    pub score: i64,
}

/// Records the scores of one station (all or nothing).
pub async fn record_scores(
    db: &Db,
    me: &Principal,
    challenge_id: i64,
    station: &str,
    scores: &[ScoreInput],
) -> Result<usize> {
    let r = async {
        organised_challenge(db, me, challenge_id).await?;
        let stations = store::stations(db, challenge_id).await?;
        let s = stations
            .iter()
            .find(|s| s.code == station.trim().to_uppercase())
            .ok_or_else(|| Error::invalid("station", keyed("error.no_station", &[station])))?;
        let entries = store::entries(db, challenge_id).await?;
        let mut rows = Vec::with_capacity(scores.len());
        for (i, x) in scores.iter().enumerate() {
            if !entries.iter().any(|e| e.id == x.entry_id) {
                return Err(Error::invalid(format!("scores[{i}].entry_id"), "error.no_entry"));
            }
            if !(0..=s.max_score).contains(&x.score) {
                return Err(Error::invalid(
                    format!("scores[{i}].score"),
                    keyed("error.station_score", &[&s.max_score.to_string(), &s.name]),
                ));
            }
            rows.push((x.entry_id, s.id, x.score));
        }
        store::upsert_scores(db, &rows).await?;
        Ok(rows.len())
    }
    .await;
    me.audited(db, "volunteer.challenge.scores", ("challenge", &challenge_id.to_string()), r).await
}

/// The results board of a challenge: individuals and teams, best first.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[schema(as = ChallengeBoard)]
pub struct Board {
    /// The challenge.
    pub challenge: store::Challenge,
    pub(crate) individuals: Vec<Ranked>,
    /// Teams (best five members each).
    pub teams: Vec<TeamRanked>,
}

/// Computes the board of a challenge visible in the scope (a read shared by API and pages).
pub async fn board(db: &Db, scope: &Scope, challenge_id: i64) -> Result<Board> {
    let c = store::challenge(db, scope, challenge_id).await?;
    let max_sum: i64 = store::stations(db, challenge_id).await?.iter().map(|s| s.max_score).sum();
    let entries = store::entries(db, challenge_id).await?;
    let results = store::entry_results(db, challenge_id).await?;
    let raw: Vec<challenge::Raw> = entries
        .into_iter()
        .map(|e| {
            let (penalty, missed, sum) = results.iter().find(|r| r.0 == e.id).map_or((0, 0, 0), |r| (r.1, r.2, r.3));
            challenge::Raw {
                entry_id: e.id,
                member_id: e.member_id,
                member_name: e.member_name,
                team_id: e.team_id,
                team_name: e.team_name,
                elapsed_seconds: match (e.started_at, e.finished_at) {
                    (Some(s), Some(f)) => Some((f - s).whole_seconds()),
                    _ => None,
                },
                penalty_seconds: penalty,
                missed: usize::try_from(missed).unwrap_or(0),
                station_sum: sum,
            }
        })
        .collect();
    let individuals = challenge::rank_individuals(&raw, max_sum);
    let teams = challenge::rank_teams(&individuals);
    Ok(Board { challenge: c, individuals, teams })
}
