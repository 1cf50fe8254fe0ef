//! Every SQL statement of public events: events, their channels, registrations and check-ins.
//! A change to an event's registrations first locks the event's row, so that concurrent
//! registrations cannot give away more places than it has, and a cancellation moves the first on
//! the waiting list up in the same transaction.

use serde::Serialize;
use sqlx::FromRow;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::{Channel, Figures, Kind, State, Status};
use crate::db::{CHUNK_ROWS, Db, Tx};
use crate::error::ResultExt as _;
use crate::org::Scope;
use crate::{Error, Result, on_db, on_tx};

/// A public event with its counts.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
#[schema(as = PublicEvent)]
pub struct Event {
    /// Id.
    pub id: i64,
    /// The organising unit.
    pub unit_id: i64,
    /// Its name.
    pub unit_name: String,
    /// Its region path.
    pub unit_path: String,
    /// What kind of event.
    pub kind: Kind,
    /// Title.
    pub title: String,
    /// What residents will find there.
    pub summary: String,
    /// Where: region code.
    pub region_code: String,
    /// Its name.
    pub region_name: String,
    /// Its path.
    pub region_path: String,
    /// Venue (address).
    pub venue: String,
    /// Start.
    #[schema(value_type = String)]
    pub starts_at: OffsetDateTime,
    /// End.
    #[schema(value_type = String)]
    pub ends_at: OffsetDateTime,
    /// When registration closes.
    #[schema(value_type = String)]
    pub closes_at: OffsetDateTime,
    /// Places.
    pub capacity: i64,
    /// Open, finished or cancelled.
    pub state: State,
    /// The activity record filed when it finished.
    pub activity_id: Option<i64>,
    /// Registrations with a place.
    pub confirmed: i64,
    /// On the waiting list.
    pub waitlisted: i64,
    /// Cancelled registrations.
    pub cancelled: i64,
    /// Checked in at the door.
    pub checked_in: i64,
}

impl Event {
    /// Its figures.
    pub fn figures(&self) -> Figures {
        Figures {
            confirmed: self.confirmed,
            waitlisted: self.waitlisted,
            cancelled: self.cancelled,
            checked_in: self.checked_in,
        }
    }

    /// Where, as an address: the region's name before the venue, unless the venue names it.
    pub fn place(&self) -> String {
        if self.venue.contains(&self.region_name) {
            self.venue.clone()
        } else {
            format!("{}{}", self.region_name, self.venue)
        }
    }

    /// Places still free.
    pub fn places_left(&self) -> i64 {
        (self.capacity - self.confirmed).max(0)
    }

    /// Whether it takes registrations at `now`.
    pub fn registering(&self, now: OffsetDateTime) -> bool {
        self.state == State::Open && now < self.closes_at
    }
}

const EVENT_SELECT: &str = "select e.id, e.unit_id, u.name as unit_name, e.unit_path, e.kind, e.title, e.summary, \
     e.region_code, r.name as region_name, e.region_path, e.venue, e.starts_at, e.ends_at, e.closes_at, e.capacity, \
     e.state, e.activity_id, \
     (select count(*) from registration g where g.event_id = e.id and g.status = 'confirmed') as confirmed, \
     (select count(*) from registration g where g.event_id = e.id and g.status = 'waitlisted') as waitlisted, \
     (select count(*) from registration g where g.event_id = e.id and g.status = 'cancelled') as cancelled, \
     (select count(*) from registration g where g.event_id = e.id and g.checked_in_at is not null) as checked_in \
     from public_event e join unit u on u.id = e.unit_id join region r on r.code = e.region_code";

/// An event to store (checked by the caller).
#[derive(Clone, Debug)]
pub struct NewEvent {
    /// Organising unit: id and region path.
    pub unit: (i64, String),
    /// Kind.
    pub kind: Kind,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: String,
    /// Place: region code and path.
    pub region: (String, String),
    /// Venue.
    pub venue: String,
    /// Start, end and registration deadline.
    pub times: (OffsetDateTime, OffsetDateTime, OffsetDateTime),
    /// Places.
    pub capacity: i64,
    /// Author.
    pub created_by: i64,
}

/// A channel link to store: channel, label, token.
pub type NewChannel = (Channel, String, String);

/// Stores an event with its first channels; returns its id.
pub async fn insert_event(db: &Db, e: &NewEvent, channels: &[NewChannel], now: OffsetDateTime) -> Result<i64> {
    let mut tx = db.begin().await?;
    let id: i64 = on_tx!(&mut tx, |c| sqlx::query_scalar(
        "insert into public_event (unit_id, unit_path, kind, title, summary, region_code, region_path, venue, \
         starts_at, ends_at, closes_at, capacity, created_by, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) returning id"
    )
    .bind(e.unit.0)
    .bind(&e.unit.1)
    .bind(e.kind)
    .bind(&e.title)
    .bind(&e.summary)
    .bind(&e.region.0)
    .bind(&e.region.1)
    .bind(&e.venue)
    .bind(e.times.0)
    .bind(e.times.1)
    .bind(e.times.2)
    .bind(e.capacity)
    .bind(e.created_by)
    .bind(now)
    .fetch_one(&mut *c)
    .await)?;
    for (channel, label, token) in channels {
        insert_channel(&mut tx, id, *channel, label, token).await?;
    }
    tx.commit().await?;
    Ok(id)
}

async fn insert_channel(tx: &mut Tx, event_id: i64, channel: Channel, label: &str, token: &str) -> Result<i64> {
    on_tx!(tx, |c| sqlx::query_scalar(
        "insert into event_channel (event_id, channel, label, token) values ($1, $2, $3, $4) returning id"
    )
    .bind(event_id)
    .bind(channel)
    .bind(label)
    .bind(token)
    .fetch_one(&mut *c)
    .await)
    .on_constraint("event_channel(event_id, channel, label)", "error.channel_taken")
}

/// Adds a channel link to an event; returns its id.
pub async fn add_channel(db: &Db, event_id: i64, (channel, label, token): &NewChannel) -> Result<i64> {
    let mut tx = db.begin().await?;
    let id = insert_channel(&mut tx, event_id, *channel, label, token).await?;
    tx.commit().await?;
    Ok(id)
}

/// Events held inside the scope, the latest first.
pub async fn events(db: &Db, scope: &Scope, limit: i64) -> Result<Vec<Event>> {
    let (low, high) = scope.bounds();
    let sql = format!(
        "{EVENT_SELECT} where e.region_path >= $1 and e.region_path < $2 order by e.starts_at desc, e.id desc limit $3"
    );
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(low).bind(&high).bind(limit).fetch_all(p).await)?)
}

/// Open events that have not ended by `now`, the soonest first (for the public pages and feeds).
pub async fn upcoming(db: &Db, now: OffsetDateTime, limit: i64) -> Result<Vec<Event>> {
    let sql = format!("{EVENT_SELECT} where e.state = 'open' and e.ends_at > $1 order by e.starts_at, e.id limit $2");
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(now).bind(limit).fetch_all(p).await)?)
}

/// One event held inside the scope.
pub async fn event(db: &Db, scope: &Scope, id: i64) -> Result<Event> {
    let (low, high) = scope.bounds();
    let sql = format!("{EVENT_SELECT} where e.region_path >= $1 and e.region_path < $2 and e.id = $3");
    on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(low).bind(&high).bind(id).fetch_optional(p).await)?
        .ok_or(Error::NotFound)
}

/// One event as the public sees it (any state: a finished event's page says so).
pub async fn public_event(db: &Db, id: i64) -> Result<Event> {
    let sql = format!("{EVENT_SELECT} where e.id = $1");
    on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(p).await)?.ok_or(Error::NotFound)
}

/// A channel link with what came through it.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
#[schema(as = EventChannel)]
pub struct ChannelRow {
    /// Id.
    pub id: i64,
    /// Which channel.
    pub channel: Channel,
    /// Its label (a partner's name, where the poster hangs).
    pub label: String,
    /// The token of its link (`/p/events/{id}?from={token}`).
    pub token: String,
    /// Registrations made through it (cancelled ones not counted).
    pub registered: i64,
    /// Of them, checked in.
    pub checked_in: i64,
}

/// An event's channels with their counts, in the order they were added.
pub async fn channels(db: &Db, event_id: i64) -> Result<Vec<ChannelRow>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "select c.id, c.channel, c.label, c.token, \
         count(g.id) filter (where g.status <> 'cancelled') as registered, \
         count(g.id) filter (where g.checked_in_at is not null) as checked_in \
         from event_channel c left join registration g on g.channel_id = c.id \
         where c.event_id = $1 group by c.id, c.channel, c.label, c.token order by c.id"
    )
    .bind(event_id)
    .fetch_all(p)
    .await)?)
}

/// The id of an event's channel with this token.
pub async fn channel_id(db: &Db, event_id: i64, token: &str) -> Result<Option<i64>> {
    Ok(on_db!(db, |p| sqlx::query_scalar("select id from event_channel where event_id = $1 and token = $2")
        .bind(event_id)
        .bind(token)
        .fetch_optional(p)
        .await)?)
}

/// A registration to store: the caller has sealed the name and phone.
#[derive(Clone, Debug)]
pub struct NewRegistration {
    /// The event.
    pub event_id: i64,
    /// The channel it came through.
    pub channel_id: Option<i64>,
    /// Sealed name.
    pub name_sealed: String,
    /// Sealed phone, its blind index and its masked form.
    pub phone: (String, String, String),
    /// The door code and the ticket link's secret.
    pub code: String,
    /// The ticket's secret.
    pub ticket: String,
}

/// Locks an open event for a change to its registrations (waiting for other writers).
async fn lock_open(tx: &mut Tx, event_id: i64) -> Result<()> {
    let done =
        on_tx!(tx, |c| sqlx::query("update public_event set capacity = capacity where id = $1 and state = 'open'")
            .bind(event_id)
            .execute(&mut *c)
            .await?
            .rows_affected());
    if done == 0 {
        return Err(Error::Conflict("error.public_event_closed".into()));
    }
    Ok(())
}

/// Registers someone: a place while the event has room, else the waiting list. One number
/// registers once; registration closes at the event's deadline.
pub async fn register(db: &Db, r: &NewRegistration, now: OffsetDateTime) -> Result<Status> {
    let mut tx = db.begin().await?;
    lock_open(&mut tx, r.event_id).await?;
    let (capacity, confirmed, closes_at): (i64, i64, OffsetDateTime) = on_tx!(&mut tx, |c| {
        sqlx::query_as(
        "select e.capacity, (select count(*) from registration g where g.event_id = e.id and g.status = 'confirmed'), \
         e.closes_at from public_event e where e.id = $1"
    )
    .bind(r.event_id)
    .fetch_one(&mut *c)
    .await
    })?;
    if now >= closes_at {
        return Err(Error::Conflict("error.registration_closed".into()));
    }
    let status = if confirmed < capacity { Status::Confirmed } else { Status::Waitlisted };
    on_tx!(&mut tx, |c| sqlx::query(
        "insert into registration (event_id, channel_id, name_sealed, phone_sealed, phone_index, phone_masked, status, \
         code, ticket, registered_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    )
    .bind(r.event_id)
    .bind(r.channel_id)
    .bind(&r.name_sealed)
    .bind(&r.phone.0)
    .bind(&r.phone.1)
    .bind(&r.phone.2)
    .bind(status)
    .bind(&r.code)
    .bind(&r.ticket)
    .bind(now)
    .execute(&mut *c)
    .await
    .map(|_| ()))
    .on_constraint("registration(event_id, phone_index)", "error.already_registered")?;
    tx.commit().await?;
    Ok(status)
}

/// A registration (a ticket).
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
#[schema(as = EventRegistration)]
pub struct Registration {
    /// Id (the order of registering).
    pub id: i64,
    /// The event.
    pub event_id: i64,
    /// Where it came from.
    pub channel: Option<Channel>,
    /// The channel's label.
    pub channel_label: Option<String>,
    #[serde(skip)]
    pub(crate) name_sealed: String,
    /// Phone, masked.
    pub phone_masked: String,
    /// Confirmed, waitlisted or cancelled.
    pub status: Status,
    /// The door code.
    pub code: String,
    #[serde(skip)]
    pub(crate) ticket: String,
    /// When.
    #[schema(value_type = String)]
    pub registered_at: OffsetDateTime,
    /// When it moved up from the waiting list.
    #[schema(value_type = Option<String>)]
    pub moved_up_at: Option<OffsetDateTime>,
    /// When it was checked in.
    #[schema(value_type = Option<String>)]
    pub checked_in_at: Option<OffsetDateTime>,
}

const REGISTRATION_SELECT: &str = "select g.id, g.event_id, c.channel, c.label as channel_label, g.name_sealed, \
     g.phone_masked, g.status, g.code, g.ticket, g.registered_at, g.moved_up_at, g.checked_in_at \
     from registration g left join event_channel c on c.id = g.channel_id";

/// The registration with this ticket secret.
pub async fn by_ticket(db: &Db, ticket: &str) -> Result<Registration> {
    let sql = format!("{REGISTRATION_SELECT} where g.ticket = $1");
    on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(ticket).fetch_optional(p).await)?
        .ok_or(Error::NotFound)
}

/// The registration of an event with this door code.
pub async fn by_code(db: &Db, event_id: i64, code: &str) -> Result<Registration> {
    let sql = format!("{REGISTRATION_SELECT} where g.event_id = $1 and g.code = $2");
    on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(event_id).bind(code).fetch_optional(p).await)?
        .ok_or(Error::NotFound)
}

/// An event's registrations in the order they were made (the latest `limit`).
pub async fn registrations(db: &Db, event_id: i64, limit: i64) -> Result<Vec<Registration>> {
    let sql = format!("{REGISTRATION_SELECT} where g.event_id = $1 order by g.id desc limit $2");
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(event_id).bind(limit).fetch_all(p).await)?)
}

/// Cancels a registration; when that frees a place, the first on the waiting list gets it.
/// Returns the id of the registration moved up, if any.
pub async fn cancel(db: &Db, r: &Registration, now: OffsetDateTime) -> Result<Option<i64>> {
    let mut tx = db.begin().await?;
    lock_open(&mut tx, r.event_id).await?;
    let (status, checked_in): (Status, Option<OffsetDateTime>) =
        on_tx!(&mut tx, |c| sqlx::query_as("select status, checked_in_at from registration where id = $1")
            .bind(r.id)
            .fetch_one(&mut *c)
            .await)?;
    if status == Status::Cancelled {
        return Err(Error::Conflict("error.registration_cancelled".into()));
    }
    if checked_in.is_some() {
        return Err(Error::Conflict("error.registration_checked_in".into()));
    }
    let moved = on_tx!(&mut tx, |c| {
        sqlx::query("update registration set status = 'cancelled', cancelled_at = $2 where id = $1")
            .bind(r.id)
            .bind(now)
            .execute(&mut *c)
            .await?;
        if status == Status::Confirmed {
            let next: Option<i64> = sqlx::query_scalar(
                "select id from registration where event_id = $1 and status = 'waitlisted' order by id limit 1",
            )
            .bind(r.event_id)
            .fetch_optional(&mut *c)
            .await?;
            if let Some(id) = next {
                sqlx::query("update registration set status = 'confirmed', moved_up_at = $2 where id = $1")
                    .bind(id)
                    .bind(now)
                    .execute(&mut *c)
                    .await?;
            }
            Ok::<_, sqlx::Error>(next)
        } else {
            Ok(None)
        }
    })?;
    tx.commit().await?;
    Ok(moved)
}

/// Checks a confirmed registration in; a second check-in is refused with the time of the first.
pub async fn check_in(db: &Db, r: &Registration, by: i64, now: OffsetDateTime) -> Result<()> {
    let mut tx = db.begin().await?;
    lock_open(&mut tx, r.event_id).await?;
    let done = on_tx!(&mut tx, |c| sqlx::query(
        "update registration set checked_in_at = $2, checked_in_by = $3 \
         where id = $1 and status = 'confirmed' and checked_in_at is null"
    )
    .bind(r.id)
    .bind(now)
    .bind(by)
    .execute(&mut *c)
    .await?
    .rows_affected());
    if done == 0 {
        let (status, at): (Status, Option<OffsetDateTime>) =
            on_tx!(&mut tx, |c| sqlx::query_as("select status, checked_in_at from registration where id = $1")
                .bind(r.id)
                .fetch_one(&mut *c)
                .await)?;
        return Err(match (status, at) {
            (_, Some(at)) => Error::Conflict(crate::i18n::keyed("error.ticket_checked_in", &[&crate::clock::show(at)])),
            (Status::Waitlisted, None) => Error::Conflict("error.ticket_waitlisted".into()),
            _ => Error::Conflict("error.registration_cancelled".into()),
        });
    }
    tx.commit().await?;
    Ok(())
}

/// Closes an open event: finished (with the record it filed) or cancelled.
pub async fn close(db: &Db, event_id: i64, to: State, activity_id: Option<i64>) -> Result<()> {
    let mut tx = db.begin().await?;
    lock_open(&mut tx, event_id).await?;
    on_tx!(&mut tx, |c| sqlx::query("update public_event set state = $2, activity_id = $3 where id = $1")
        .bind(event_id)
        .bind(to)
        .bind(activity_id)
        .execute(&mut *c)
        .await
        .map(|_| ()))?;
    tx.commit().await?;
    Ok(())
}

/// A registration as the demo loads it: the new registration, its status, when it was made and
/// when it was checked in.
pub type LoadedRegistration = (NewRegistration, Status, OffsetDateTime, Option<OffsetDateTime>);

/// Stores registrations already consistent with the event's places (demo data), in chunked
/// multi-row inserts.
pub async fn insert_registrations(db: &Db, rows: &[LoadedRegistration]) -> Result<()> {
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |c| {
        for chunk in rows.chunks(CHUNK_ROWS) {
            let mut q = sqlx::QueryBuilder::new(
                "insert into registration (event_id, channel_id, name_sealed, phone_sealed, phone_index, phone_masked, \
                 status, code, ticket, registered_at, checked_in_at) ",
            );
            q.push_values(chunk, |mut b, (r, status, at, checked_in)| {
                b.push_bind(r.event_id)
                    .push_bind(r.channel_id)
                    .push_bind(&r.name_sealed)
                    .push_bind(&r.phone.0)
                    .push_bind(&r.phone.1)
                    .push_bind(&r.phone.2)
                    .push_bind(*status)
                    .push_bind(&r.code)
                    .push_bind(&r.ticket)
                    .push_bind(*at)
                    .push_bind(*checked_in);
            });
            q.build().execute(&mut *c).await?;
        }
        Ok::<_, sqlx::Error>(())
    })?;
    tx.commit().await?;
    Ok(())
}

/// Where the registrations of a campaign's events came from, inside a region: the channels of the
/// events whose records were approved in the campaign there, with the registrations each brought
/// (cancelled ones not counted), the most first.
pub async fn sources_in(db: &Db, campaign_id: i64, path: &str) -> Result<Vec<(Channel, String, i64)>> {
    let area = Scope::under(path);
    let (low, high) = area.bounds();
    Ok(on_db!(db, |p| {
        sqlx::query_as(
        "select c.channel, c.label, count(g.id) as n from public_event e join activity a on a.id = e.activity_id \
         join event_channel c on c.event_id = e.id join registration g on g.channel_id = c.id and g.status <> 'cancelled' \
         where a.campaign_id = $1 and a.state = 'approved' and a.region_path >= $2 and a.region_path < $3 \
         group by c.channel, c.label order by n desc, c.channel"
    )
    .bind(campaign_id)
    .bind(low)
    .bind(&high)
    .fetch_all(p)
    .await
    })?)
}
