//! Service events: sign-ups, check-in and completion.

use serde::Serialize;
use sqlx::FromRow;
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use crate::db::{CHUNK_ROWS, Db, Tx};
use crate::error::ResultExt as _;
use crate::org::Scope;
use crate::volunteer::{EventKind, EventState, SignupStatus, check_day_total, credit_minutes, service_day};
use crate::{Error, Result, clock, on_db, on_tx};

/// A service event with its sign-up counts.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
#[schema(as = ServiceEvent)]
pub struct Event {
    pub(crate) id: i64,
    /// Team id.
    pub team_id: i64,
    /// Team name.
    pub team_name: String,
    /// Team region path.
    pub team_path: String,
    pub(crate) kind: EventKind,
    pub(crate) title: String,
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
    pub(crate) capacity: i64,
    /// The token of the public page (`/p/service/{token}`).
    pub token: String,
    /// Open, completed or cancelled.
    pub state: EventState,
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
    pub(crate) kind: String,
    pub(crate) title: String,
    /// Place: region code and path.
    pub region: (String, String),
    pub(crate) address: String,
    pub(crate) starts_at: OffsetDateTime,
    pub(crate) ends_at: OffsetDateTime,
    pub(crate) capacity: i64,
    /// Public token.
    pub token: String,
    pub(crate) created_by: i64,
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
    pub(crate) state: Option<EventState>,
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
    pub(crate) event_id: i64,
    pub(crate) member_id: i64,
    /// Member's name.
    pub member_name: String,
    /// Member's phone, masked.
    pub phone_masked: String,
    /// Confirmed, waitlisted or cancelled.
    pub status: SignupStatus,
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
        return Err(Error::Conflict("error.event_not_open".into()));
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
        let key = if status == "confirmed" { "error.signed_up_placed" } else { "error.signed_up_waiting" };
        return Err(Error::Conflict(key.into()));
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
        return Err(Error::Conflict("error.not_signed_up".into()));
    };
    if status == SignupStatus::Cancelled.as_str() {
        return Err(Error::Conflict("error.already_withdrawn".into()));
    }
    if checked_in.is_some() {
        return Err(Error::Conflict("error.checked_in_check_out".into()));
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
        None => return Err(Error::invalid("member", "error.sign_up_first")),
        Some((_, status, _, _)) if status == SignupStatus::Waitlisted.as_str() => {
            return Err(Error::invalid("member", "error.waiting_no_check_in"));
        }
        Some((_, status, _, _)) if status == SignupStatus::Cancelled.as_str() => {
            return Err(Error::invalid("member", "error.withdrawn_sign_up_again"));
        }
        Some((_, _, Some(t), _)) => {
            return Err(Error::Conflict(crate::i18n::keyed("error.already_checked_in", &[&clock::show(t)])));
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
        None => return Err(Error::invalid("member", "error.not_signed_up")),
        Some((_, _, None, _)) => {
            return Err(Error::invalid("member", "error.not_checked_in"));
        }
        Some((_, _, _, Some(t))) => {
            return Err(Error::Conflict(crate::i18n::keyed("error.already_checked_out", &[&clock::show(t)])));
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
            .on_constraint("volunteer_hours(member_id, event_id)", "error.event_hours_credited")?;
        }
    });
    tx.commit().await?;
    Ok(minutes)
}

pub(super) async fn day_minutes_in(tx: &mut Tx, member_id: i64, day: Date) -> Result<i64> {
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
    if done == 0 { Err(Error::Conflict("error.event_not_open".into())) } else { Ok(()) }
}
