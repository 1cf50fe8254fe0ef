//! What organisers, door staff and residents do with public events, shared by the JSON API and the
//! pages: set an event up, add a channel link, register and cancel (residents, with a budget per
//! address), check a ticket in at the door, finish the event (its figures filed for review) or call
//! it off. Every change checks that the caller may change that event, and is audited.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::store::{self, ChannelRow, Event, NewChannel, NewEvent, NewRegistration, Registration};
use super::{Channel, FIRST_CHANNELS, Kind, MAX_CAPACITY, REGISTRATIONS_PER_HOUR, State};
use crate::activity;
use crate::audit::{self, Actor, Outcome};
use crate::clock::{self, parse_time};
use crate::db::Db;
use crate::i18n::keyed;
use crate::org::caller::Principal;
use crate::org::{self, parse_name, parse_text};
use crate::personal::{DataKey, PhoneNumber};
use crate::{Error, Result};

/// A public event as written in the form or a JSON body.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[schema(as = PublicEventInput)]
pub struct EventInput {
    /// `carnival`, `open_day`, `contest`, `garden_party`, `lecture` or `exhibition`.
    #[schema(value_type = Kind)]
    pub kind: String,
    /// Title.
    pub title: String,
    /// What residents will find there.
    #[serde(default)]
    pub summary: String,
    /// Where: a region code inside the caller's area.
    pub region_code: String,
    /// Venue (address).
    #[serde(default)]
    pub venue: String,
    /// Start, `2026-11-20 09:00` (China Standard Time) or RFC 3339.
    pub starts_at: String,
    /// End.
    pub ends_at: String,
    /// When registration closes (empty: when the event starts).
    #[serde(default)]
    pub closes_at: String,
    /// Places (1 to 100,000).
    pub capacity: i64,
}

/// Checks an event of the caller's unit, its place resolved to `region` when it lies inside the
/// caller's area.
fn check_event(input: &EventInput, me: &Principal, region: Option<(String, String)>) -> Result<NewEvent> {
    let kind = Kind::parse(&input.kind).ok_or_else(|| {
        let all: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        Error::invalid("kind", keyed("error.event_kind", &[input.kind.trim(), &all.join(", ")]))
    })?;
    let title = parse_name("title", &input.title)?;
    let summary = parse_text("summary", &input.summary, 2000)?;
    let venue = parse_text("venue", &input.venue, 100)?;
    let region = region.ok_or_else(|| {
        Error::invalid("region_code", keyed("error.event_region_outside", &[input.region_code.trim()]))
    })?;
    let starts_at = parse_time("starts_at", &input.starts_at)?;
    let ends_at = parse_time("ends_at", &input.ends_at)?;
    let closes_at =
        if input.closes_at.trim().is_empty() { starts_at } else { parse_time("closes_at", &input.closes_at)? };
    super::check_times(starts_at, ends_at, closes_at)?;
    if !(1..=MAX_CAPACITY).contains(&input.capacity) {
        return Err(Error::invalid("capacity", keyed("error.places_range", &[&MAX_CAPACITY.to_string()])));
    }
    Ok(NewEvent {
        unit: (me.user.unit_id, me.user.region_path.clone()),
        kind,
        title,
        summary,
        region,
        venue,
        times: (starts_at, ends_at, closes_at),
        capacity: input.capacity,
        created_by: me.user.id,
    })
}

/// Sets up an event of the caller's unit, with a link for each of the first channels. Returns its id.
pub async fn create(db: &Db, me: &Principal, input: &EventInput) -> Result<i64> {
    let r = async {
        if !super::may_organise(me.role) {
            return Err(Error::Forbidden);
        }
        let region = match org::RegionCode::parse(&input.region_code) {
            Ok(code) => org::store::region(db, &me.scope, code.as_str()).await.ok().map(|r| (r.code, r.path)),
            Err(_) => None,
        };
        let e = check_event(input, me, region)?;
        let channels: Vec<NewChannel> =
            FIRST_CHANNELS.iter().map(|c| (*c, String::new(), crate::code::new())).collect();
        store::insert_event(db, &e, &channels, clock::now()).await
    }
    .await;
    me.audited(db, "event.create", ("unit", &me.user.unit_id.to_string()), r).await
}

/// An event the caller organises: held in their area and set up by their unit or one below it.
pub async fn organised(db: &Db, me: &Principal, id: i64) -> Result<Event> {
    let e = store::event(db, &me.scope, id).await?;
    if !super::may_organise(me.role) || !me.scope.contains(&e.unit_path) {
        return Err(Error::Forbidden);
    }
    Ok(e)
}

/// A channel link as written in the form or a JSON body.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[schema(as = EventChannelInput)]
pub struct ChannelInput {
    /// `weibo`, `wechat`, `douyin`, `kuaishou`, `partner`, `poster` or `site`.
    #[schema(value_type = Channel)]
    pub channel: String,
    /// A label: the partner's name, where the poster hangs (needed for partners and posters).
    #[serde(default)]
    pub label: String,
}

/// Adds a channel link to an event the caller organises. Returns the event's channels.
pub async fn add_channel(db: &Db, me: &Principal, id: i64, input: &ChannelInput) -> Result<Vec<ChannelRow>> {
    let r = async {
        organised(db, me, id).await?;
        let channel = Channel::parse(&input.channel).ok_or_else(|| {
            let all: Vec<&str> = Channel::ALL.iter().map(|c| c.as_str()).collect();
            Error::invalid("channel", keyed("error.channel_kind", &[input.channel.trim(), &all.join(", ")]))
        })?;
        let label = parse_text("label", &input.label, 30)?;
        if label.is_empty() && matches!(channel, Channel::Partner | Channel::Poster) {
            return Err(Error::invalid("label", "error.channel_label"));
        }
        store::add_channel(db, id, &(channel, label, crate::code::new())).await?;
        store::channels(db, id).await
    }
    .await;
    me.audited(db, "event.channel.add", ("public_event", &id.to_string()), r).await
}

/// A ticket as its holder or the door sees it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Ticket {
    /// The registration.
    #[serde(flatten)]
    pub registration: Registration,
    /// The registrant's name.
    pub name: String,
}

/// Opens a registration's name.
fn ticket(key: &DataKey, registration: Registration) -> Result<Ticket> {
    let name = key.open(&registration.name_sealed)?;
    Ok(Ticket { registration, name })
}

/// Checks a ticket in at the door by its code (typed, or read from its QR code). Staff,
/// community workers and volunteers in the event's area may.
pub async fn check_in(db: &Db, key: &DataKey, me: &Principal, id: i64, code: &str) -> Result<Ticket> {
    let r = async {
        if !super::may_check_in(me.role) {
            return Err(Error::Forbidden);
        }
        let e = store::event(db, &me.scope, id).await?;
        let now = clock::now();
        if now < e.starts_at - time::Duration::hours(2) || now > e.ends_at {
            let window = [clock::show(e.starts_at - time::Duration::hours(2)), clock::show(e.ends_at)];
            return Err(Error::invalid("code", keyed("error.door_window", &[&window[0], &window[1]])));
        }
        let registration = store::by_code(db, id, &crate::code::typed(code))
            .await
            .map_err(|_| Error::invalid("code", keyed("error.no_ticket", &[code.trim()])))?;
        store::check_in(db, &registration, me.user.id, now).await?;
        ticket(key, store::by_code(db, id, &registration.code).await?)
    }
    .await;
    me.audited(db, "event.check_in", ("public_event", &id.to_string()), r).await
}

/// What finishing an event filed.
#[derive(Clone, Copy, Debug, Serialize, ToSchema)]
#[schema(as = EventFinished)]
pub struct Finished {
    /// The activity record filed for review (none when no campaign ran on its day).
    pub activity_id: Option<i64>,
    /// Its campaign.
    pub campaign_id: Option<i64>,
}

/// Finishes an event that has started: its registrations and attendance are filed as an activity
/// record for review in the campaign running that day.
pub async fn finish(db: &Db, me: &Principal, id: i64) -> Result<Finished> {
    let r = async {
        let e = organised(db, me, id).await?;
        if e.state != State::Open {
            return Err(Error::Conflict("error.public_event_closed".into()));
        }
        if e.starts_at > clock::now() {
            return Err(Error::Conflict("error.event_not_started".into()));
        }
        let f = e.figures();
        let figures =
            BTreeMap::from([("registrations".to_owned(), f.registered()), ("participants".to_owned(), f.checked_in)]);
        let input = activity::actions::ActivityInput {
            kind: e.kind.activity_kind().to_owned(),
            title: e.title.clone(),
            starts_on: clock::show_date(e.starts_at.to_offset(clock::CST).date()),
            ends_on: clock::show_date(e.ends_at.to_offset(clock::CST).date()),
            region_code: e.region_code.clone(),
            venue: e.venue.clone(),
            description: e.summary.clone(),
            figures,
            ..Default::default()
        };
        let region = (e.region_code.clone(), e.region_path.clone());
        let filed =
            activity::actions::file_for_review(db, input, region, (e.unit_id, &e.unit_path), me.user.id).await?;
        store::close(db, id, State::Finished, filed.map(|f| f.0)).await?;
        Ok(Finished { activity_id: filed.map(|f| f.0), campaign_id: filed.map(|f| f.1) })
    }
    .await;
    me.audited(db, "event.finish", ("public_event", &id.to_string()), r).await
}

/// Calls off an open event.
pub async fn call_off(db: &Db, me: &Principal, id: i64) -> Result<()> {
    let r = async {
        organised(db, me, id).await?;
        store::close(db, id, State::Cancelled, None).await
    }
    .await;
    me.audited(db, "event.cancel", ("public_event", &id.to_string()), r).await
}

/// A resident's registration.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct RegistrationInput {
    /// Name (1 to 20 characters).
    pub name: String,
    /// Mobile number.
    pub phone: String,
    /// The channel link's token it came through (`from` in the link); unknown or empty: the site.
    #[serde(default)]
    pub from: String,
    /// Agreement that the name and number are kept for this event only.
    #[serde(default)]
    pub consent: bool,
}

/// The actor of a resident's change: their masked number and address.
fn resident(phone_masked: &str, ip: &str, e: &Event) -> Actor {
    Actor {
        user_id: None,
        name: format!("resident:{phone_masked}"),
        ip: ip.to_owned(),
        region_path: e.region_path.clone(),
    }
}

/// Registers a resident for an event: a place while there is room, else the waiting list. One
/// number registers once; an address registers at most [`REGISTRATIONS_PER_HOUR`] times an hour.
pub async fn register(db: &Db, key: &DataKey, id: i64, input: &RegistrationInput, ip: &str) -> Result<Ticket> {
    let e = store::public_event(db, id).await?;
    let now = clock::now();
    if e.state != State::Open {
        return Err(Error::Conflict("error.public_event_closed".into()));
    }
    if !e.registering(now) {
        return Err(Error::Conflict("error.registration_closed".into()));
    }
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 20 || name.chars().any(char::is_control) {
        return Err(Error::invalid("name", "error.registrant_name"));
    }
    let phone = PhoneNumber::parse("phone", &input.phone)?;
    if !input.consent {
        return Err(Error::invalid("consent", "error.consent_required"));
    }
    let address = key.index(&format!("event-register:{ip}"));
    org::store::spend(db, "event_register", &address, now, REGISTRATIONS_PER_HOUR)
        .await?
        .ok_or_else(|| Error::TooMany("error.registrations_per_hour".into()))?;
    let channel_id = match input.from.trim() {
        "" => None,
        token => store::channel_id(db, id, token).await?,
    };
    let new = NewRegistration {
        event_id: id,
        channel_id,
        name_sealed: key.seal(name),
        phone: (key.seal(phone.as_str()), key.index(&format!("event:{}", phone.as_str())), phone.masked()),
        code: crate::code::new(),
        ticket: org::new_secret(),
    };
    let status = store::register(db, &new, now).await?;
    audit::record(
        db,
        &resident(&new.phone.2, ip, &e),
        &format!("event.register.{status}"),
        ("public_event", &id.to_string()),
        Outcome::Ok,
        "",
    )
    .await?;
    ticket(key, store::by_ticket(db, &new.ticket).await?)
}

/// A ticket by its link's secret.
pub async fn ticket_of(db: &Db, key: &DataKey, secret: &str) -> Result<Ticket> {
    ticket(key, store::by_ticket(db, secret).await?)
}

/// Cancels a resident's registration from their ticket; the first on the waiting list moves up.
pub async fn cancel(db: &Db, key: &DataKey, secret: &str, ip: &str) -> Result<Ticket> {
    let r = store::by_ticket(db, secret).await?;
    let e = store::public_event(db, r.event_id).await?;
    store::cancel(db, &r, clock::now()).await?;
    audit::record(
        db,
        &resident(&r.phone_masked, ip, &e),
        "event.register.cancel",
        ("public_event", &e.id.to_string()),
        Outcome::Ok,
        "",
    )
    .await?;
    ticket_of(db, key, secret).await
}
