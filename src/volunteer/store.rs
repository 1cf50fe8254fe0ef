//! Every SQL statement about volunteer teams, members, credentials, service events and sign-ups,
//! the hours ledger, service periods and the challenge. Every read reachable from HTTP takes the
//! caller's scope (the team's region path lies inside it); public event pages find an event by its
//! random token only.

use serde::Serialize;
use sqlx::FromRow;
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use super::{EventState, SignupStatus, check_day_total, credit_minutes, service_day};
use crate::activity::store::Total;
use crate::db::{CHUNK_ROWS, Db, Tx};
use crate::error::ResultExt as _;
use crate::org::Scope;
use crate::{Error, Result, clock, on_db, on_tx};

// ---- teams ----

/// A volunteer team: its unit and what `volunteer_team` adds.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Team {
    /// Unit id (the team's id).
    pub id: i64,
    /// Name.
    pub name: String,
    /// Region code of the unit.
    pub region_code: String,
    /// Region name.
    pub region_name: String,
    /// Region path.
    pub region_path: String,
    /// Sponsoring organisation.
    pub sponsor: String,
    /// Leading member.
    pub leader_member_id: Option<i64>,
    /// Their name.
    pub leader_name: Option<String>,
    /// Founded.
    #[schema(value_type = Option<String>, format = Date)]
    pub founded_on: Option<Date>,
    /// About the team.
    pub description: String,
    /// Active members.
    pub members: i64,
}

const TEAM_SELECT: &str = "select u.id, u.name, u.region_code, r.name as region_name, u.region_path, \
     coalesce(t.sponsor, '') as sponsor, t.leader_member_id, l.name as leader_name, t.founded_on, \
     coalesce(t.description, '') as description, \
     (select count(*) from volunteer_member m where m.team_id = u.id and m.active) as members \
     from unit u join region r on r.code = u.region_code left join volunteer_team t on t.unit_id = u.id \
     left join volunteer_member l on l.id = t.leader_member_id \
     where u.kind = 'volunteer_team' and u.region_path >= $1 and u.region_path < $2";

/// Teams inside the scope.
pub async fn teams(db: &Db, scope: &Scope) -> Result<Vec<Team>> {
    let (low, high) = scope.bounds();
    let sql = format!("{TEAM_SELECT} order by u.region_path, u.name");
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(low).bind(&high).fetch_all(p).await)?)
}

/// One team inside the scope.
pub async fn team(db: &Db, scope: &Scope, id: i64) -> Result<Team> {
    let (low, high) = scope.bounds();
    let sql = format!("{TEAM_SELECT} and u.id = $3");
    on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(low).bind(&high).bind(id).fetch_optional(p).await)?
        .ok_or(Error::NotFound)
}

/// What `volunteer_team` holds about a team.
#[derive(Clone, Debug)]
pub struct TeamDetails {
    /// Sponsoring organisation.
    pub sponsor: String,
    /// Leading member (a member of the team).
    pub leader_member_id: Option<i64>,
    /// Founded.
    pub founded_on: Option<Date>,
    /// About the team.
    pub description: String,
}

/// Stores a team's details (the caller has checked the team and leader).
pub async fn save_team(db: &Db, team_id: i64, d: &TeamDetails) -> Result<()> {
    on_db!(db, |p| sqlx::query(
        "insert into volunteer_team (unit_id, sponsor, leader_member_id, founded_on, description, updated_at) \
         values ($1, $2, $3, $4, $5, $6) on conflict (unit_id) do update set sponsor = excluded.sponsor, \
         leader_member_id = excluded.leader_member_id, founded_on = excluded.founded_on, \
         description = excluded.description, updated_at = excluded.updated_at"
    )
    .bind(team_id)
    .bind(&d.sponsor)
    .bind(d.leader_member_id)
    .bind(d.founded_on)
    .bind(&d.description)
    .bind(clock::now())
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

// ---- members ----

/// A member as staff see them (the phone number masked).
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Member {
    /// Id.
    pub id: i64,
    /// Team id.
    pub team_id: i64,
    /// Team name.
    pub team_name: String,
    /// Team region path.
    pub team_path: String,
    /// Name.
    pub name: String,
    /// Phone number, masked: `138****5678`.
    pub phone_masked: String,
    /// `f` or `m`.
    pub gender: Option<String>,
    /// Year of birth.
    pub birth_year: Option<i64>,
    /// Skills, comma-separated codes.
    pub skills: String,
    /// Version of the consent text agreed to.
    pub consent_version: String,
    /// When consent was given.
    #[schema(value_type = String)]
    pub consent_at: OffsetDateTime,
    /// Joined.
    #[schema(value_type = String, format = Date)]
    pub joined_on: Date,
    /// Still active.
    pub active: bool,
}

const MEMBER_SELECT: &str = "select m.id, m.team_id, u.name as team_name, m.team_path, m.name, m.phone_masked, m.gender, \
     m.birth_year, m.skills, m.consent_version, m.consent_at, m.joined_on, m.active \
     from volunteer_member m join unit u on u.id = m.team_id where m.team_path >= $1 and m.team_path < $2";

/// A member to store: the phone number already sealed, indexed and masked.
#[derive(Clone, Debug)]
pub struct NewMember {
    /// Team id.
    pub team_id: i64,
    /// Team region path.
    pub team_path: String,
    /// Name.
    pub name: String,
    /// Sealed phone number.
    pub phone_sealed: String,
    /// Its blind index.
    pub phone_index: String,
    /// Its masked form.
    pub phone_masked: String,
    /// `f` or `m`.
    pub gender: Option<String>,
    /// Year of birth.
    pub birth_year: Option<i64>,
    /// Skills, comma-separated codes.
    pub skills: String,
    /// Consent version.
    pub consent_version: String,
    /// When consent was given.
    pub consent_at: OffsetDateTime,
    /// Joined.
    pub joined_on: Date,
}

/// Members of a team inside the scope (active first, by name).
pub async fn members(db: &Db, scope: &Scope, team_id: i64) -> Result<Vec<Member>> {
    let (low, high) = scope.bounds();
    let sql = format!("{MEMBER_SELECT} and m.team_id = $3 order by m.active desc, m.name, m.id");
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(low).bind(&high).bind(team_id).fetch_all(p).await)?)
}

/// One member inside the scope.
pub async fn member(db: &Db, scope: &Scope, id: i64) -> Result<Member> {
    let (low, high) = scope.bounds();
    let sql = format!("{MEMBER_SELECT} and m.id = $3");
    on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(low).bind(&high).bind(id).fetch_optional(p).await)?
        .ok_or(Error::NotFound)
}

/// The sealed phone number of a member inside the scope.
pub async fn member_phone_sealed(db: &Db, scope: &Scope, id: i64) -> Result<String> {
    let (low, high) = scope.bounds();
    on_db!(db, |p| sqlx::query_scalar(
        "select phone_sealed from volunteer_member where id = $1 and team_path >= $2 and team_path < $3"
    )
    .bind(id)
    .bind(low)
    .bind(&high)
    .fetch_optional(p)
    .await)?
    .ok_or(Error::NotFound)
}

/// The active member of a team with this phone number's blind index (public pages).
pub async fn member_by_phone(db: &Db, team_id: i64, phone_index: &str) -> Result<Option<Member>> {
    let sql = format!("{MEMBER_SELECT} and m.team_id = $3 and m.phone_index = $4 and m.active");
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind("/")
        .bind("0")
        .bind(team_id)
        .bind(phone_index)
        .fetch_optional(p)
        .await)?)
}

/// The blind indexes of a team's phone numbers (for duplicate checks of an import).
pub async fn phone_indexes(db: &Db, team_id: i64) -> Result<Vec<String>> {
    Ok(on_db!(db, |p| sqlx::query_scalar("select phone_index from volunteer_member where team_id = $1")
        .bind(team_id)
        .fetch_all(p)
        .await)?)
}

/// Stores members in one transaction of chunked multi-row inserts: all or nothing. A phone number
/// already in the team is a conflict.
pub async fn insert_members(db: &Db, members: &[NewMember]) -> Result<Vec<i64>> {
    let mut tx = db.begin().await?;
    let now = clock::now();
    let mut ids = Vec::with_capacity(members.len());
    on_tx!(&mut tx, |c| {
        for chunk in members.chunks(CHUNK_ROWS) {
            let mut q = sqlx::QueryBuilder::new(
                "insert into volunteer_member (team_id, team_path, name, phone_sealed, phone_index, phone_masked, gender, \
                 birth_year, skills, consent_version, consent_at, joined_on, active, created_at) ",
            );
            q.push_values(chunk, |mut b, m| {
                b.push_bind(m.team_id)
                    .push_bind(&m.team_path)
                    .push_bind(&m.name)
                    .push_bind(&m.phone_sealed)
                    .push_bind(&m.phone_index)
                    .push_bind(&m.phone_masked)
                    .push_bind(&m.gender)
                    .push_bind(m.birth_year)
                    .push_bind(&m.skills)
                    .push_bind(&m.consent_version)
                    .push_bind(m.consent_at)
                    .push_bind(m.joined_on)
                    .push_bind(true)
                    .push_bind(now);
            });
            q.push(" returning id");
            let got: Vec<i64> = q
                .build_query_scalar()
                .fetch_all(&mut *c)
                .await
                .on_constraint("a member with this phone number is already in the team")?;
            ids.extend(got);
        }
    });
    tx.commit().await?;
    Ok(ids)
}

/// Changes what may change about a member inside the scope.
#[allow(clippy::too_many_arguments)]
pub async fn update_member(
    db: &Db,
    scope: &Scope,
    id: i64,
    name: &str,
    gender: Option<&str>,
    birth_year: Option<i64>,
    skills: &str,
    active: bool,
) -> Result<()> {
    let (low, high) = scope.bounds();
    let done = on_db!(db, |p| sqlx::query(
        "update volunteer_member set name = $1, gender = $2, birth_year = $3, skills = $4, active = $5 \
         where id = $6 and team_path >= $7 and team_path < $8"
    )
    .bind(name)
    .bind(gender)
    .bind(birth_year)
    .bind(skills)
    .bind(active)
    .bind(id)
    .bind(low)
    .bind(&high)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    if done == 0 { Err(Error::NotFound) } else { Ok(()) }
}

// ---- credentials ----

/// A training attended or a certificate held.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Credential {
    /// Id.
    pub id: i64,
    /// Member.
    pub member_id: i64,
    /// `training` or `certificate`.
    pub kind: String,
    /// Name.
    pub name: String,
    /// Issued by.
    pub issuer: String,
    /// Issued or attended.
    #[schema(value_type = String, format = Date)]
    pub issued_on: Date,
    /// Expires.
    #[schema(value_type = Option<String>, format = Date)]
    pub expires_on: Option<Date>,
}

/// Stores a credential of a member (checked by the caller).
pub async fn insert_credential(
    db: &Db,
    member_id: i64,
    kind: &str,
    name: &str,
    issuer: &str,
    issued_on: Date,
    expires_on: Option<Date>,
) -> Result<i64> {
    Ok(on_db!(db, |p| sqlx::query_scalar(
        "insert into volunteer_credential (member_id, kind, name, issuer, issued_on, expires_on, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7) returning id"
    )
    .bind(member_id)
    .bind(kind)
    .bind(name)
    .bind(issuer)
    .bind(issued_on)
    .bind(expires_on)
    .bind(clock::now())
    .fetch_one(p)
    .await)?)
}

/// The credentials of the members of a team (or of one member) inside the scope.
pub async fn credentials(db: &Db, scope: &Scope, team_id: i64, member_id: Option<i64>) -> Result<Vec<Credential>> {
    let (low, high) = scope.bounds();
    Ok(on_db!(db, |p| sqlx::query_as(
        "select c.id, c.member_id, c.kind, c.name, c.issuer, c.issued_on, c.expires_on from volunteer_credential c \
         join volunteer_member m on m.id = c.member_id where m.team_id = $1 and m.team_path >= $2 and m.team_path < $3 \
         and ($4 is null or c.member_id = $4) order by c.issued_on desc, c.id"
    )
    .bind(team_id)
    .bind(low)
    .bind(&high)
    .bind(member_id)
    .fetch_all(p)
    .await)?)
}

// ---- service events ----

/// A service event with its sign-up counts.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Event {
    /// Id.
    pub id: i64,
    /// Team id.
    pub team_id: i64,
    /// Team name.
    pub team_name: String,
    /// Team region path.
    pub team_path: String,
    /// Kind (see `EventKind`).
    pub kind: String,
    /// Title.
    pub title: String,
    /// Where: region code.
    pub region_code: String,
    /// Its name.
    pub region_name: String,
    /// Its path.
    pub region_path: String,
    /// Street address.
    pub address: String,
    /// Start.
    #[schema(value_type = String)]
    pub starts_at: OffsetDateTime,
    /// End.
    #[schema(value_type = String)]
    pub ends_at: OffsetDateTime,
    /// Places.
    pub capacity: i64,
    /// The token of the public page (`/p/events/{token}`).
    pub token: String,
    /// open, completed or cancelled.
    pub state: String,
    /// The activity record filed on completion.
    pub activity_id: Option<i64>,
    /// Confirmed sign-ups.
    pub confirmed: i64,
    /// On the waiting list.
    pub waitlisted: i64,
}

const EVENT_SELECT: &str = "select e.id, e.team_id, u.name as team_name, e.team_path, e.kind, e.title, e.region_code, \
     r.name as region_name, e.region_path, e.address, e.starts_at, e.ends_at, e.capacity, e.token, e.state, e.activity_id, \
     (select count(*) from event_signup s where s.event_id = e.id and s.status = 'confirmed') as confirmed, \
     (select count(*) from event_signup s where s.event_id = e.id and s.status = 'waitlisted') as waitlisted \
     from service_event e join unit u on u.id = e.team_id join region r on r.code = e.region_code";

/// An event to store (checked by the caller).
#[derive(Clone, Debug)]
pub struct NewEvent {
    /// Team id and path.
    pub team: (i64, String),
    /// Kind.
    pub kind: String,
    /// Title.
    pub title: String,
    /// Place: region code and path.
    pub region: (String, String),
    /// Address.
    pub address: String,
    /// Start.
    pub starts_at: OffsetDateTime,
    /// End.
    pub ends_at: OffsetDateTime,
    /// Places.
    pub capacity: i64,
    /// Public token.
    pub token: String,
    /// Author.
    pub created_by: i64,
}

/// Stores events in one transaction; returns their ids.
pub async fn insert_events(db: &Db, events: &[NewEvent]) -> Result<Vec<i64>> {
    let mut tx = db.begin().await?;
    let now = clock::now();
    let mut ids = Vec::with_capacity(events.len());
    on_tx!(&mut tx, |c| {
        for chunk in events.chunks(CHUNK_ROWS) {
            let mut q = sqlx::QueryBuilder::new(
                "insert into service_event (team_id, team_path, kind, title, region_code, region_path, address, starts_at, \
                 ends_at, capacity, token, state, created_by, created_at) ",
            );
            q.push_values(chunk, |mut b, e| {
                b.push_bind(e.team.0)
                    .push_bind(&e.team.1)
                    .push_bind(&e.kind)
                    .push_bind(&e.title)
                    .push_bind(&e.region.0)
                    .push_bind(&e.region.1)
                    .push_bind(&e.address)
                    .push_bind(e.starts_at)
                    .push_bind(e.ends_at)
                    .push_bind(e.capacity)
                    .push_bind(&e.token)
                    .push_bind(EventState::Open.as_str())
                    .push_bind(e.created_by)
                    .push_bind(now);
            });
            q.push(" returning id");
            let got: Vec<i64> = q.build_query_scalar().fetch_all(&mut *c).await?;
            ids.extend(got);
        }
    });
    tx.commit().await?;
    Ok(ids)
}

/// Event list filters.
#[derive(Clone, Debug, Default)]
pub struct EventFilter {
    /// One team.
    pub team_id: Option<i64>,
    /// State.
    pub state: Option<EventState>,
    /// Starting on or after.
    pub from: Option<OffsetDateTime>,
}

/// Events of teams inside the scope, soonest last-first.
pub async fn events(db: &Db, scope: &Scope, f: &EventFilter, limit: i64) -> Result<Vec<Event>> {
    let (low, high) = scope.bounds();
    let sql = format!(
        "{EVENT_SELECT} where e.team_path >= $1 and e.team_path < $2 and ($3 is null or e.team_id = $3) \
         and ($4 is null or e.state = $4) and ($5 is null or e.starts_at >= $5) order by e.starts_at desc, e.id desc limit $6"
    );
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(low)
        .bind(&high)
        .bind(f.team_id)
        .bind(f.state.map(EventState::as_str))
        .bind(f.from)
        .bind(limit)
        .fetch_all(p)
        .await)?)
}

/// One event inside the scope.
pub async fn event(db: &Db, scope: &Scope, id: i64) -> Result<Event> {
    let (low, high) = scope.bounds();
    let sql = format!("{EVENT_SELECT} where e.team_path >= $1 and e.team_path < $2 and e.id = $3");
    on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(low).bind(&high).bind(id).fetch_optional(p).await)?
        .ok_or(Error::NotFound)
}

/// The event with this public token.
pub async fn event_by_token(db: &Db, token: &str) -> Result<Event> {
    let sql = format!("{EVENT_SELECT} where e.token = $1");
    on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(token).fetch_optional(p).await)?.ok_or(Error::NotFound)
}

/// A sign-up with its member.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Signup {
    /// Id (the order of signing up).
    pub id: i64,
    /// Event.
    pub event_id: i64,
    /// Member.
    pub member_id: i64,
    /// Member's name.
    pub member_name: String,
    /// Member's phone, masked.
    pub phone_masked: String,
    /// confirmed, waitlisted or cancelled.
    pub status: String,
    /// When they signed up.
    #[schema(value_type = String)]
    pub signed_up_at: OffsetDateTime,
    /// Checked in.
    #[schema(value_type = Option<String>)]
    pub checked_in_at: Option<OffsetDateTime>,
    /// Checked out.
    #[schema(value_type = Option<String>)]
    pub checked_out_at: Option<OffsetDateTime>,
}

const SIGNUP_SELECT: &str = "select s.id, s.event_id, s.member_id, m.name as member_name, m.phone_masked, s.status, \
     s.signed_up_at, s.checked_in_at, s.checked_out_at from event_signup s join volunteer_member m on m.id = s.member_id";

/// The sign-ups of an event (the caller has checked its scope), in sign-up order.
pub async fn signups(db: &Db, event_id: i64) -> Result<Vec<Signup>> {
    let sql = format!("{SIGNUP_SELECT} where s.event_id = $1 order by s.id");
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(event_id).fetch_all(p).await)?)
}

/// A sign-up as stored by bulk loads: (event, member, status, signed up, checked in, checked out).
pub type NewSignup = (i64, i64, SignupStatus, OffsetDateTime, Option<OffsetDateTime>, Option<OffsetDateTime>);

/// Stores sign-ups (demo data, already consistent with capacity) in chunked multi-row inserts.
pub async fn insert_signups(db: &Db, rows: &[NewSignup]) -> Result<()> {
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |c| {
        for chunk in rows.chunks(CHUNK_ROWS) {
            let mut q = sqlx::QueryBuilder::new(
                "insert into event_signup (event_id, member_id, status, signed_up_at, checked_in_at, checked_out_at) ",
            );
            q.push_values(chunk, |mut b, (event, member, status, at, checked_in, checked_out)| {
                b.push_bind(*event)
                    .push_bind(*member)
                    .push_bind(status.as_str())
                    .push_bind(*at)
                    .push_bind(*checked_in)
                    .push_bind(*checked_out);
            });
            q.build().execute(&mut *c).await?;
        }
    });
    tx.commit().await?;
    Ok(())
}

/// Locks an open event for a change to its sign-ups (waiting for other writers).
async fn lock_open(tx: &mut Tx, event_id: i64) -> Result<()> {
    let done =
        on_tx!(tx, |c| sqlx::query("update service_event set capacity = capacity where id = $1 and state = 'open'")
            .bind(event_id)
            .execute(&mut *c)
            .await?
            .rows_affected());
    if done == 0 {
        return Err(Error::Conflict("the event is no longer open".into()));
    }
    Ok(())
}

type SignupState = (i64, String, Option<OffsetDateTime>, Option<OffsetDateTime>);

async fn signup_state(tx: &mut Tx, event_id: i64, member_id: i64) -> Result<Option<SignupState>> {
    Ok(on_tx!(tx, |c| sqlx::query_as(
        "select id, status, checked_in_at, checked_out_at from event_signup where event_id = $1 and member_id = $2"
    )
    .bind(event_id)
    .bind(member_id)
    .fetch_optional(&mut *c)
    .await?))
}

/// Signs a member up: a place while the event has room, else the waiting list. Returns the status.
pub async fn sign_up(db: &Db, event_id: i64, member_id: i64) -> Result<SignupStatus> {
    let mut tx = db.begin().await?;
    lock_open(&mut tx, event_id).await?;
    let existing = signup_state(&mut tx, event_id, member_id).await?;
    if let Some((_, status, _, _)) = &existing
        && status != SignupStatus::Cancelled.as_str()
    {
        return Err(Error::Conflict(format!(
            "already signed up ({})",
            if status == "confirmed" { "has a place" } else { "on the waiting list" }
        )));
    }
    let now = clock::now();
    let status = on_tx!(&mut tx, |c| {
        let (capacity, confirmed): (i64, i64) = sqlx::query_as(
            "select e.capacity, (select count(*) from event_signup s where s.event_id = e.id and s.status = 'confirmed') \
             from service_event e where e.id = $1",
        )
        .bind(event_id)
        .fetch_one(&mut *c)
        .await?;
        let status = if confirmed < capacity { SignupStatus::Confirmed } else { SignupStatus::Waitlisted };
        // A member who withdrew signs up again at the back of the queue.
        sqlx::query("delete from event_signup where event_id = $1 and member_id = $2 and status = 'cancelled'")
            .bind(event_id)
            .bind(member_id)
            .execute(&mut *c)
            .await?;
        sqlx::query("insert into event_signup (event_id, member_id, status, signed_up_at) values ($1, $2, $3, $4)")
            .bind(event_id)
            .bind(member_id)
            .bind(status.as_str())
            .bind(now)
            .execute(&mut *c)
            .await?;
        status
    });
    tx.commit().await?;
    Ok(status)
}

/// Withdraws a member's sign-up; when that frees a place, the first on the waiting list gets it.
/// Returns the member promoted, if any.
pub async fn cancel_signup(db: &Db, event_id: i64, member_id: i64) -> Result<Option<i64>> {
    let mut tx = db.begin().await?;
    lock_open(&mut tx, event_id).await?;
    let Some((_, status, checked_in, _)) = signup_state(&mut tx, event_id, member_id).await? else {
        return Err(Error::Conflict("not signed up for this event".into()));
    };
    if status == SignupStatus::Cancelled.as_str() {
        return Err(Error::Conflict("the sign-up was already withdrawn".into()));
    }
    if checked_in.is_some() {
        return Err(Error::Conflict("already checked in: check out instead".into()));
    }
    let promoted = on_tx!(&mut tx, |c| {
        sqlx::query("update event_signup set status = 'cancelled' where event_id = $1 and member_id = $2")
            .bind(event_id)
            .bind(member_id)
            .execute(&mut *c)
            .await?;
        if status == SignupStatus::Confirmed.as_str() {
            let next: Option<(i64, i64)> = sqlx::query_as(
                "select id, member_id from event_signup where event_id = $1 and status = 'waitlisted' order by id limit 1",
            )
            .bind(event_id)
            .fetch_optional(&mut *c)
            .await?;
            if let Some((id, _)) = next {
                sqlx::query("update event_signup set status = 'confirmed' where id = $1")
                    .bind(id)
                    .execute(&mut *c)
                    .await?;
            }
            next.map(|(_, m)| m)
        } else {
            None
        }
    });
    tx.commit().await?;
    Ok(promoted)
}

/// Checks a confirmed member in at `at`. Refuses a second check-in.
pub async fn check_in(db: &Db, event_id: i64, member_id: i64, at: OffsetDateTime) -> Result<()> {
    let mut tx = db.begin().await?;
    lock_open(&mut tx, event_id).await?;
    match signup_state(&mut tx, event_id, member_id).await? {
        None => return Err(Error::invalid("member", "not signed up for this event: sign up first")),
        Some((_, status, _, _)) if status == SignupStatus::Waitlisted.as_str() => {
            return Err(Error::invalid("member", "on the waiting list: a place is needed to check in"));
        }
        Some((_, status, _, _)) if status == SignupStatus::Cancelled.as_str() => {
            return Err(Error::invalid("member", "the sign-up was withdrawn: sign up again"));
        }
        Some((_, _, Some(t), _)) => {
            return Err(Error::Conflict(format!("already checked in at {}", clock::show(t))));
        }
        Some(_) => {}
    }
    on_tx!(&mut tx, |c| sqlx::query(
        "update event_signup set checked_in_at = $1 where event_id = $2 and member_id = $3 and checked_in_at is null"
    )
    .bind(at)
    .bind(event_id)
    .bind(member_id)
    .execute(&mut *c)
    .await?
    .rows_affected());
    tx.commit().await?;
    Ok(())
}

/// Checks a member out at `at` and credits the time since check-in (rounded down to a quarter
/// hour) to the ledger, once. Refuses a check-out before check-in, a second check-out, and a
/// credit that would take the member's day past 24 hours. Returns the minutes credited.
pub async fn check_out(
    db: &Db,
    event_id: i64,
    member_id: i64,
    at: OffsetDateTime,
    credited_by: Option<i64>,
) -> Result<i64> {
    let mut tx = db.begin().await?;
    lock_open(&mut tx, event_id).await?;
    let checked_in = match signup_state(&mut tx, event_id, member_id).await? {
        None => return Err(Error::invalid("member", "not signed up for this event")),
        Some((_, _, None, _)) => {
            return Err(Error::invalid("member", "not checked in yet: check in before checking out"));
        }
        Some((_, _, _, Some(t))) => {
            return Err(Error::Conflict(format!("already checked out at {}: hours are credited once", clock::show(t))));
        }
        Some((_, _, Some(t), None)) => t,
    };
    let minutes = credit_minutes(checked_in, at)?;
    let day = service_day(checked_in);
    let already = day_minutes_in(&mut tx, member_id, day).await?;
    check_day_total(day, already, minutes)?;
    let now = clock::now();
    on_tx!(&mut tx, |c| {
        sqlx::query("update event_signup set checked_out_at = $1 where event_id = $2 and member_id = $3")
            .bind(at)
            .bind(event_id)
            .bind(member_id)
            .execute(&mut *c)
            .await?;
        if minutes > 0 {
            sqlx::query(
                "insert into volunteer_hours (member_id, team_id, team_path, event_id, day, minutes, reason, credited_by, created_at) \
                 select m.id, m.team_id, m.team_path, $1, $2, $3, '', $4, $5 from volunteer_member m where m.id = $6",
            )
            .bind(event_id)
            .bind(day)
            .bind(minutes)
            .bind(credited_by)
            .bind(now)
            .bind(member_id)
            .execute(&mut *c)
            .await
            .on_constraint("the hours of this event are already credited")?;
        }
    });
    tx.commit().await?;
    Ok(minutes)
}

async fn day_minutes_in(tx: &mut Tx, member_id: i64, day: Date) -> Result<i64> {
    Ok(on_tx!(tx, |c| sqlx::query_scalar(
        "select cast(coalesce(sum(minutes), 0) as bigint) from volunteer_hours where member_id = $1 and day = $2"
    )
    .bind(member_id)
    .bind(day)
    .fetch_one(&mut *c)
    .await?))
}

/// Marks an open event completed (with the activity filed for it) or cancelled.
pub async fn close_event(db: &Db, event_id: i64, to: EventState, activity_id: Option<i64>) -> Result<()> {
    let done = on_db!(db, |p| sqlx::query(
        "update service_event set state = $1, activity_id = $2, completed_at = $3 where id = $4 and state = 'open'"
    )
    .bind(to.as_str())
    .bind(activity_id)
    .bind(clock::now())
    .bind(event_id)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    if done == 0 { Err(Error::Conflict("the event is no longer open".into())) } else { Ok(()) }
}

// ---- the hours ledger ----

/// One entry of the ledger.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct HoursEntry {
    /// Id.
    pub id: i64,
    /// Member.
    pub member_id: i64,
    /// Member's name.
    pub member_name: String,
    /// The event served (none for manual credits and corrections).
    pub event_id: Option<i64>,
    /// Its title.
    pub event_title: Option<String>,
    /// The day credited.
    #[schema(value_type = String, format = Date)]
    pub day: Date,
    /// Minutes (negative for a correction).
    pub minutes: i64,
    /// Why (for manual credits and corrections).
    pub reason: String,
    /// Who credited it (none for a check-out on the public page).
    pub credited_by: Option<i64>,
    /// When.
    #[schema(value_type = String)]
    pub created_at: OffsetDateTime,
}

/// Ledger entries of a team (or one member) inside the scope, newest first.
pub async fn ledger(
    db: &Db,
    scope: &Scope,
    team_id: i64,
    member_id: Option<i64>,
    limit: i64,
) -> Result<Vec<HoursEntry>> {
    let (low, high) = scope.bounds();
    Ok(on_db!(db, |p| {
        sqlx::query_as(
        "select h.id, h.member_id, m.name as member_name, h.event_id, e.title as event_title, h.day, h.minutes, h.reason, \
         h.credited_by, h.created_at from volunteer_hours h join volunteer_member m on m.id = h.member_id \
         left join service_event e on e.id = h.event_id where h.team_id = $1 and h.team_path >= $2 and h.team_path < $3 \
         and ($4 is null or h.member_id = $4) order by h.day desc, h.id desc limit $5"
    )
    .bind(team_id)
    .bind(low)
    .bind(&high)
    .bind(member_id)
    .bind(limit)
    .fetch_all(p)
    .await
    })?)
}

/// Adds a manual credit or a correction (negative minutes) for a member, refusing a day past 24
/// hours or below zero.
pub async fn add_hours(db: &Db, member_id: i64, day: Date, minutes: i64, reason: &str, by: i64) -> Result<i64> {
    let mut tx = db.begin().await?;
    // Take the write lock first so that two credits of one day cannot both pass the check.
    on_tx!(&mut tx, |c| sqlx::query("update volunteer_member set active = active where id = $1")
        .bind(member_id)
        .execute(&mut *c)
        .await?
        .rows_affected());
    let already = day_minutes_in(&mut tx, member_id, day).await?;
    check_day_total(day, already, minutes)?;
    let id = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
        "insert into volunteer_hours (member_id, team_id, team_path, event_id, day, minutes, reason, credited_by, created_at) \
         select m.id, m.team_id, m.team_path, null, $1, $2, $3, $4, $5 from volunteer_member m where m.id = $6 returning id"
    )
    .bind(day)
    .bind(minutes)
    .bind(reason)
    .bind(by)
    .bind(clock::now())
    .bind(member_id)
    .fetch_one(&mut *c)
    .await?
    });
    tx.commit().await?;
    Ok(id)
}

/// Stores ledger entries (demo data) in one transaction: (member, event, day, minutes, reason).
pub async fn insert_hours(db: &Db, rows: &[(i64, Option<i64>, Date, i64, String)], by: Option<i64>) -> Result<()> {
    let mut tx = db.begin().await?;
    let now = clock::now();
    on_tx!(&mut tx, |c| {
        for chunk in rows.chunks(CHUNK_ROWS) {
            let mut q = sqlx::QueryBuilder::new(
                "insert into volunteer_hours (member_id, team_id, team_path, event_id, day, minutes, reason, credited_by, created_at) \
                 select m.id, m.team_id, m.team_path, v.event_id, v.day, v.minutes, v.reason, v.credited_by, v.created_at from (",
            );
            let mut first = true;
            for (member, event, day, minutes, reason) in chunk {
                if !first {
                    q.push(" union all ");
                }
                first = false;
                q.push("select ")
                    .push_bind(*member)
                    .push(" as member_id, ")
                    .push_bind(*event)
                    .push(" as event_id, ")
                    .push_bind(*day)
                    .push(" as day, ")
                    .push_bind(*minutes)
                    .push(" as minutes, ")
                    .push_bind(reason)
                    .push(" as reason, ")
                    .push_bind(by)
                    .push(" as credited_by, ")
                    .push_bind(now)
                    .push(" as created_at");
            }
            q.push(") v join volunteer_member m on m.id = v.member_id");
            q.build().execute(&mut *c).await?;
        }
    });
    tx.commit().await?;
    Ok(())
}

/// Days that bound the whole ledger (both backends can hold them).
pub const EVER: (Date, Date) = (time::macros::date!(1900 - 01 - 01), time::macros::date!(9999 - 12 - 31));

/// A member's totals (whole ledger, or within a period).
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct MemberTally {
    /// Member.
    pub member_id: i64,
    /// Name.
    pub member_name: String,
    /// Team id.
    pub team_id: i64,
    /// Team name.
    pub team_name: String,
    /// Minutes credited.
    pub minutes: i64,
    /// Events served.
    pub events: i64,
    /// Home hazard checks served.
    pub home_checks: i64,
}

/// A team's totals within a period.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct TeamTally {
    /// Team id.
    pub team_id: i64,
    /// Team name.
    pub team_name: String,
    /// Minutes credited to its members.
    pub minutes: i64,
    /// Members credited.
    pub members: i64,
    /// Events completed.
    pub events: i64,
    /// Home hazard checks completed.
    pub home_checks: i64,
}

/// Tallies per member inside the scope between two days (inclusive), most hours first; one team
/// when `team_id` is given.
pub async fn member_tallies(
    db: &Db,
    scope: &Scope,
    from: Date,
    to: Date,
    team_id: Option<i64>,
    limit: i64,
) -> Result<Vec<MemberTally>> {
    let (low, high) = scope.bounds();
    Ok(on_db!(db, |p| {
        sqlx::query_as(
        "select h.member_id, m.name as member_name, h.team_id, u.name as team_name, \
         cast(sum(h.minutes) as bigint) as minutes, count(distinct h.event_id) as events, \
         count(distinct case when e.kind = 'home_check' then h.event_id end) as home_checks \
         from volunteer_hours h join volunteer_member m on m.id = h.member_id join unit u on u.id = h.team_id \
         left join service_event e on e.id = h.event_id \
         where h.team_path >= $1 and h.team_path < $2 and h.day >= $3 and h.day <= $4 and ($5 is null or h.team_id = $5) \
         group by h.member_id, m.name, h.team_id, u.name having sum(h.minutes) > 0 \
         order by minutes desc, h.member_id limit $6"
    )
    .bind(low)
    .bind(&high)
    .bind(from)
    .bind(to)
    .bind(team_id)
    .bind(limit)
    .fetch_all(p)
    .await
    })?)
}

/// Tallies per team inside the scope between two days (inclusive), most hours first.
pub async fn team_tallies(db: &Db, scope: &Scope, from: Date, to: Date) -> Result<Vec<TeamTally>> {
    let (low, high) = scope.bounds();
    let from_t = from.midnight().assume_offset(clock::CST).to_offset(time::UtcOffset::UTC);
    let to_t = to.next_day().unwrap_or(to).midnight().assume_offset(clock::CST).to_offset(time::UtcOffset::UTC);
    Ok(on_db!(db, |p| {
        sqlx::query_as(
        "select u.id as team_id, u.name as team_name, \
         cast(coalesce((select sum(h.minutes) from volunteer_hours h where h.team_id = u.id and h.day >= $3 and h.day <= $4), 0) as bigint) as minutes, \
         (select count(distinct h.member_id) from volunteer_hours h where h.team_id = u.id and h.day >= $3 and h.day <= $4) as members, \
         (select count(*) from service_event e where e.team_id = u.id and e.state = 'completed' and e.starts_at >= $5 and e.starts_at < $6) as events, \
         (select count(*) from service_event e where e.team_id = u.id and e.state = 'completed' and e.kind = 'home_check' \
          and e.starts_at >= $5 and e.starts_at < $6) as home_checks \
         from unit u where u.kind = 'volunteer_team' and u.region_path >= $1 and u.region_path < $2 \
         order by minutes desc, u.id"
    )
    .bind(low)
    .bind(&high)
    .bind(from)
    .bind(to)
    .bind(from_t)
    .bind(to_t)
    .fetch_all(p)
    .await
    })?)
}

/// Volunteer hours (whole hours of the ledger between two days) for the region at `path` and
/// each direct subdivision (paths `child_len` long), as metric `volunteer_hours`: what the
/// campaign overview adds beside the activity figures.
pub async fn hours_totals(db: &Db, from: Date, to: Date, path: &str, child_len: i64) -> Result<Vec<Total>> {
    let inner = Scope::under(path);
    let (low, high) = inner.bounds();
    Ok(on_db!(db, |p| {
        sqlx::query_as(
        "select $1 as region_path, 'volunteer_hours' as metric_code, cast(sum(minutes) as bigint) / 60 as value \
         from volunteer_hours where team_path >= $1 and team_path < $2 and day >= $4 and day <= $5 having sum(minutes) >= 60 \
         union all \
         select substr(team_path, 1, cast($3 as integer)), 'volunteer_hours', cast(sum(minutes) as bigint) / 60 \
         from volunteer_hours where team_path >= $1 and team_path < $2 and day >= $4 and day <= $5 \
         and length(team_path) >= $3 and length(team_path) > length($1) \
         group by substr(team_path, 1, cast($3 as integer)) having sum(minutes) >= 60"
    )
    .bind(low)
    .bind(&high)
    .bind(child_len)
    .bind(from)
    .bind(to)
    .fetch_all(p)
    .await
    })?)
}

// ---- service periods ----

/// A service period such as the winter 100-day campaign.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Period {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// First day.
    #[schema(value_type = String, format = Date)]
    pub starts_on: Date,
    /// Last day.
    #[schema(value_type = String, format = Date)]
    pub ends_on: Date,
}

/// Every period, newest first.
pub async fn periods(db: &Db) -> Result<Vec<Period>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "select id, name, starts_on, ends_on from service_period order by starts_on desc, id desc"
    )
    .fetch_all(p)
    .await)?)
}

/// One period.
pub async fn period(db: &Db, id: i64) -> Result<Period> {
    on_db!(db, |p| sqlx::query_as("select id, name, starts_on, ends_on from service_period where id = $1")
        .bind(id)
        .fetch_optional(p)
        .await)?
    .ok_or(Error::NotFound)
}

/// Stores a period (checked by the caller).
pub async fn insert_period(db: &Db, name: &str, starts_on: Date, ends_on: Date) -> Result<i64> {
    on_db!(db, |p| sqlx::query_scalar(
        "insert into service_period (name, starts_on, ends_on, created_at) values ($1, $2, $3, $4) returning id"
    )
    .bind(name)
    .bind(starts_on)
    .bind(ends_on)
    .bind(clock::now())
    .fetch_one(p)
    .await)
    .on_constraint("a period with this name already exists")
}

// ---- the challenge ----

/// A challenge.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Challenge {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Day held.
    #[schema(value_type = String, format = Date)]
    pub held_on: Date,
    /// Region code.
    pub region_code: String,
    /// Region path.
    pub region_path: String,
}

/// A checkpoint of the orienteering course.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Checkpoint {
    /// Id.
    pub id: i64,
    /// Code on the course (`K1`).
    pub code: String,
    /// Name.
    pub name: String,
    /// Order on the course.
    pub sort: i64,
    /// Penalty for missing it, seconds.
    pub penalty_seconds: i64,
}

/// A skills station.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Station {
    /// Id.
    pub id: i64,
    /// Code (`S1`).
    pub code: String,
    /// Name.
    pub name: String,
    /// Highest score.
    pub max_score: i64,
}

/// A competitor.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Entry {
    /// Id.
    pub id: i64,
    /// Member.
    pub member_id: i64,
    /// Name.
    pub member_name: String,
    /// Team id.
    pub team_id: i64,
    /// Team name.
    pub team_name: String,
    /// Start.
    #[schema(value_type = Option<String>)]
    pub started_at: Option<OffsetDateTime>,
    /// Finish.
    #[schema(value_type = Option<String>)]
    pub finished_at: Option<OffsetDateTime>,
}

/// Challenges held inside the scope (or above it), newest first.
pub async fn challenges(db: &Db, scope: &Scope) -> Result<Vec<Challenge>> {
    let (low, high) = scope.bounds();
    Ok(on_db!(db, |p| sqlx::query_as(
        "select id, name, held_on, region_code, region_path from challenge \
         where (region_path >= $1 and region_path < $2 or $1 like region_path || '%') order by held_on desc, id desc"
    )
    .bind(low)
    .bind(&high)
    .fetch_all(p)
    .await)?)
}

/// One challenge visible in the scope.
pub async fn challenge(db: &Db, scope: &Scope, id: i64) -> Result<Challenge> {
    let (low, high) = scope.bounds();
    on_db!(db, |p| sqlx::query_as(
        "select id, name, held_on, region_code, region_path from challenge \
         where id = $3 and (region_path >= $1 and region_path < $2 or $1 like region_path || '%')"
    )
    .bind(low)
    .bind(&high)
    .bind(id)
    .fetch_optional(p)
    .await)?
    .ok_or(Error::NotFound)
}

/// Stores a challenge with its course and stations in one transaction.
pub async fn insert_challenge(
    db: &Db,
    name: &str,
    held_on: Date,
    region: (&str, &str),
    checkpoints: &[(String, String, i64)],
    stations: &[(String, String, i64)],
) -> Result<i64> {
    let mut tx = db.begin().await?;
    let id = on_tx!(&mut tx, |c| {
        let id: i64 = sqlx::query_scalar(
            "insert into challenge (name, held_on, region_code, region_path, created_at) values ($1, $2, $3, $4, $5) returning id",
        )
        .bind(name)
        .bind(held_on)
        .bind(region.0)
        .bind(region.1)
        .bind(clock::now())
        .fetch_one(&mut *c)
        .await?;
        if !checkpoints.is_empty() {
            let mut q = sqlx::QueryBuilder::new(
                "insert into challenge_checkpoint (challenge_id, code, name, sort, penalty_seconds) ",
            );
            q.push_values(checkpoints.iter().enumerate(), |mut b, (i, (code, name, penalty))| {
                b.push_bind(id)
                    .push_bind(code)
                    .push_bind(name)
                    .push_bind(i64::try_from(i).unwrap_or(0))
                    .push_bind(*penalty);
            });
            q.build().execute(&mut *c).await.on_constraint("two checkpoints have the same code")?;
        }
        if !stations.is_empty() {
            let mut q = sqlx::QueryBuilder::new("insert into challenge_station (challenge_id, code, name, max_score) ");
            q.push_values(stations, |mut b, (code, name, max)| {
                b.push_bind(id).push_bind(code).push_bind(name).push_bind(*max);
            });
            q.build().execute(&mut *c).await.on_constraint("two stations have the same code")?;
        }
        id
    });
    tx.commit().await?;
    Ok(id)
}

/// The course of a challenge.
pub async fn checkpoints(db: &Db, challenge_id: i64) -> Result<Vec<Checkpoint>> {
    Ok(on_db!(db, |p| {
        sqlx::query_as(
        "select id, code, name, sort, penalty_seconds from challenge_checkpoint where challenge_id = $1 order by sort, id"
    )
    .bind(challenge_id)
    .fetch_all(p)
    .await
    })?)
}

/// The stations of a challenge.
pub async fn stations(db: &Db, challenge_id: i64) -> Result<Vec<Station>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "select id, code, name, max_score from challenge_station where challenge_id = $1 order by code, id"
    )
    .bind(challenge_id)
    .fetch_all(p)
    .await)?)
}

/// The competitors of a challenge.
pub async fn entries(db: &Db, challenge_id: i64) -> Result<Vec<Entry>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "select e.id, e.member_id, m.name as member_name, e.team_id, u.name as team_name, e.started_at, e.finished_at \
         from challenge_entry e join volunteer_member m on m.id = e.member_id join unit u on u.id = e.team_id \
         where e.challenge_id = $1 order by u.name, m.name, e.id"
    )
    .bind(challenge_id)
    .fetch_all(p)
    .await)?)
}

/// Enters members (with their teams) into a challenge in one statement per chunk; returns the
/// entry ids.
pub async fn insert_entries(db: &Db, challenge_id: i64, members: &[(i64, i64)]) -> Result<Vec<i64>> {
    let mut tx = db.begin().await?;
    let mut ids = Vec::with_capacity(members.len());
    on_tx!(&mut tx, |c| {
        for chunk in members.chunks(CHUNK_ROWS) {
            let mut q = sqlx::QueryBuilder::new("insert into challenge_entry (challenge_id, member_id, team_id) ");
            q.push_values(chunk, |mut b, (member, team)| {
                b.push_bind(challenge_id).push_bind(*member).push_bind(*team);
            });
            q.push(" returning id");
            let got: Vec<i64> = q
                .build_query_scalar()
                .fetch_all(&mut *c)
                .await
                .on_constraint("a member is already entered in this challenge")?;
            ids.extend(got);
        }
    });
    tx.commit().await?;
    Ok(ids)
}

/// Sets start and finish times of entries of a challenge: (entry, start, finish).
pub async fn set_times(
    db: &Db,
    challenge_id: i64,
    times: &[(i64, Option<OffsetDateTime>, Option<OffsetDateTime>)],
) -> Result<()> {
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |c| {
        for (entry, start, finish) in times {
            sqlx::query(
                "update challenge_entry set started_at = coalesce($1, started_at), finished_at = coalesce($2, finished_at) \
                 where id = $3 and challenge_id = $4",
            )
            .bind(start)
            .bind(finish)
            .bind(entry)
            .bind(challenge_id)
            .execute(&mut *c)
            .await?;
        }
    });
    tx.commit().await?;
    Ok(())
}

/// Records checkpoint punches (entry, checkpoint, time) in chunked upserts.
pub async fn upsert_punches(db: &Db, punches: &[(i64, i64, OffsetDateTime)]) -> Result<()> {
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |c| {
        for chunk in punches.chunks(CHUNK_ROWS) {
            let mut q = sqlx::QueryBuilder::new("insert into challenge_punch (entry_id, checkpoint_id, punched_at) ");
            q.push_values(chunk, |mut b, (entry, checkpoint, at)| {
                b.push_bind(*entry).push_bind(*checkpoint).push_bind(*at);
            });
            q.push(" on conflict (entry_id, checkpoint_id) do update set punched_at = excluded.punched_at");
            q.build().execute(&mut *c).await?;
        }
    });
    tx.commit().await?;
    Ok(())
}

/// Records station scores (entry, station, score) in chunked upserts.
pub async fn upsert_scores(db: &Db, scores: &[(i64, i64, i64)]) -> Result<()> {
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |c| {
        for chunk in scores.chunks(CHUNK_ROWS) {
            let mut q = sqlx::QueryBuilder::new("insert into challenge_score (entry_id, station_id, score) ");
            q.push_values(chunk, |mut b, (entry, station, score)| {
                b.push_bind(*entry).push_bind(*station).push_bind(*score);
            });
            q.push(" on conflict (entry_id, station_id) do update set score = excluded.score");
            q.build().execute(&mut *c).await?;
        }
    });
    tx.commit().await?;
    Ok(())
}

/// Per entry of a challenge: penalty seconds of the checkpoints it missed, how many it missed,
/// and the sum of its station scores.
pub async fn entry_results(db: &Db, challenge_id: i64) -> Result<Vec<(i64, i64, i64, i64)>> {
    Ok(on_db!(db, |p| {
        sqlx::query_as(
        "select e.id, \
         cast(coalesce((select sum(k.penalty_seconds) from challenge_checkpoint k where k.challenge_id = e.challenge_id \
           and not exists (select 1 from challenge_punch p where p.entry_id = e.id and p.checkpoint_id = k.id)), 0) as bigint), \
         (select count(*) from challenge_checkpoint k where k.challenge_id = e.challenge_id \
           and not exists (select 1 from challenge_punch p where p.entry_id = e.id and p.checkpoint_id = k.id)), \
         cast(coalesce((select sum(s.score) from challenge_score s where s.entry_id = e.id), 0) as bigint) \
         from challenge_entry e where e.challenge_id = $1"
    )
    .bind(challenge_id)
    .fetch_all(p)
    .await
    })?)
}

/// The station scores of a challenge: (entry, station, score).
pub async fn scores(db: &Db, challenge_id: i64) -> Result<Vec<(i64, i64, i64)>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "select s.entry_id, s.station_id, s.score from challenge_score s join challenge_entry e on e.id = s.entry_id \
         where e.challenge_id = $1"
    )
    .bind(challenge_id)
    .fetch_all(p)
    .await)?)
}
