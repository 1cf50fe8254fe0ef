//! The resident's side of public events, phone first and without an account: the events coming up
//! near them, an event's page with its registration form (reached through a channel's link, which
//! is how registrations are counted by source), and the ticket: its QR code and door code, where it
//! stands (a place, or the waiting list and how it moves), and cancelling it.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::actions::{self, RegistrationInput, Ticket};
use super::store::{self, Event};
use super::{State as EventState, Status};
use crate::config::Config;
use crate::org::picker::{self, RegionPicker, Spec};
use crate::org::{Scope, store as org_store};
use crate::web::AppState;
use crate::web::extract::{Form, Path, Query};
use crate::web::layout::PageCtx;
use crate::web::session::RequestCtx;
use crate::{Result, clock};

/// An event's public page, through a channel's link when `from` is its token.
pub fn event_link(config: &Config, id: i64, from: &str) -> String {
    let query = crate::web::extract::query_string(&[("from", from)]);
    let sep = if query.is_empty() { "" } else { "?" };
    format!("{}/p/events/{id}{sep}{query}", config.base_url())
}

/// A ticket's page.
pub fn ticket_link(config: &Config, secret: &str) -> String {
    format!("{}/p/tickets/{secret}", config.base_url())
}

/// The door page a ticket's QR code opens on a staff phone.
pub fn door_link(config: &Config, id: i64, code: &str) -> String {
    format!("{}/events/{id}/door?code={code}", config.base_url())
}

/// Whether an event concerns a resident of `path`: held inside it, or in an area around it.
pub fn near(e: &Event, path: &str) -> bool {
    crate::org::path::overlap(&e.region_path, path)
}

/// How many places are left, or that the waiting list is open.
fn places_line(ctx: &PageCtx, e: &Event) -> String {
    if !e.registering(clock::now()) {
        return ctx.t("error.registration_closed").to_owned();
    }
    match e.places_left() {
        0 => ctx.t("event.full_waitlist").to_owned(),
        n => ctx.fill("event.places_left", &[&ctx.num(n)]),
    }
}

/// Where the resident lives: any level down to the community.
const PLACE: Spec = Spec::filter("region", 4);

#[derive(Template, WebTemplate)]
#[template(path = "event/public_list.html")]
struct ListPage {
    ctx: PageCtx,
    place: RegionPicker,
    events: Vec<Event>,
    region: String,
}

impl ListPage {
    fn places(&self, e: &Event) -> String {
        places_line(&self.ctx, e)
    }
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(default)]
    region: String,
}

async fn list(State(state): State<AppState>, ctx: PageCtx, Query(q): Query<ListQuery>) -> Result<ListPage> {
    let province = Scope::province();
    let chosen = match q.region.trim() {
        "" => None,
        code => org_store::region(&state.db, &province, code).await.ok(),
    };
    let path = chosen.as_ref().map_or_else(|| province.path().to_owned(), |r| r.path.clone());
    let events = store::upcoming(&state.db, clock::now(), 200).await?.into_iter().filter(|e| near(e, &path)).collect();
    let region = chosen.map(|r| r.code).unwrap_or_default();
    let place = picker::build(&state.db, &province, PLACE, &region, true).await?;
    Ok(ListPage { ctx, place, events, region })
}

#[derive(Template, WebTemplate)]
#[template(path = "event/public_event.html")]
struct EventPage {
    ctx: PageCtx,
    event: Event,
    from: String,
    name: String,
    phone: String,
    error: Option<String>,
}

impl EventPage {
    fn places(&self) -> String {
        places_line(&self.ctx, &self.event)
    }
    fn registering(&self) -> bool {
        self.event.registering(clock::now())
    }
}

#[derive(Debug, Default, Deserialize)]
struct EventQuery {
    #[serde(default)]
    from: String,
}

async fn event(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<i64>,
    Query(q): Query<EventQuery>,
) -> Result<EventPage> {
    let event = store::public_event(&state.db, id).await?;
    let from = q.from.chars().filter(char::is_ascii_alphanumeric).take(16).collect();
    Ok(EventPage { ctx, event, from, name: String::new(), phone: String::new(), error: None })
}

#[derive(Debug, Default, Deserialize)]
struct RegistrationForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    consent: String,
}

async fn register(
    State(state): State<AppState>,
    ctx: PageCtx,
    rc: RequestCtx,
    Path(id): Path<i64>,
    Form(f): Form<RegistrationForm>,
) -> Result<Response> {
    let input = RegistrationInput {
        name: f.name.clone(),
        phone: f.phone.clone(),
        from: f.from.clone(),
        consent: !f.consent.is_empty(),
    };
    match actions::register(&state.db, &state.key, id, &input, &rc.ip).await {
        Ok(t) => Ok(Redirect::to(&format!("/p/tickets/{}", t.registration.ticket)).into_response()),
        Err(e) => {
            let (status, message) = ctx.form_error(e, |field| Some(ctx.t(&format!("event.field.{field}"))))?;
            let event = store::public_event(&state.db, id).await?;
            let from = f.from.chars().filter(char::is_ascii_alphanumeric).take(16).collect();
            let name = f.name.trim().chars().take(20).collect();
            let phone = f.phone.chars().filter(|c| c.is_ascii_digit() || *c == '+').take(14).collect();
            Ok((status, EventPage { ctx, event, from, name, phone, error: Some(message) }).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "event/ticket.html")]
struct TicketPage {
    ctx: PageCtx,
    event: Event,
    ticket: Ticket,
    qr: String,
    notice: Option<String>,
}

impl TicketPage {
    fn code(&self) -> String {
        crate::code::shown(&self.ticket.registration.code)
    }
    fn confirmed(&self) -> bool {
        self.ticket.registration.status == Status::Confirmed
    }
    fn waitlisted(&self) -> bool {
        self.ticket.registration.status == Status::Waitlisted
    }
    fn cancellable(&self) -> bool {
        self.event.state == EventState::Open
            && self.ticket.registration.status != Status::Cancelled
            && self.ticket.registration.checked_in_at.is_none()
    }
}

async fn ticket_page(state: &AppState, ctx: PageCtx, ticket: Ticket, notice: Option<String>) -> Result<TicketPage> {
    let event = store::public_event(&state.db, ticket.registration.event_id).await?;
    let qr = if ticket.registration.status == Status::Confirmed {
        crate::svg::qr(&door_link(&state.config, event.id, &ticket.registration.code), 240)
    } else {
        String::new()
    };
    Ok(TicketPage { ctx, event, ticket, qr, notice })
}

async fn ticket(State(state): State<AppState>, ctx: PageCtx, Path(secret): Path<String>) -> Result<TicketPage> {
    let t = actions::ticket_of(&state.db, &state.key, &secret).await?;
    ticket_page(&state, ctx, t, None).await
}

async fn cancel(
    State(state): State<AppState>,
    ctx: PageCtx,
    rc: RequestCtx,
    Path(secret): Path<String>,
) -> Result<Response> {
    match actions::cancel(&state.db, &state.key, &secret, &rc.ip).await {
        Ok(t) => {
            let notice = ctx.t("event.ticket_cancelled").to_owned();
            Ok(ticket_page(&state, ctx, t, Some(notice)).await?.into_response())
        }
        Err(e) => {
            let (status, message) = ctx.form_error(e, |_| None)?;
            let t = actions::ticket_of(&state.db, &state.key, &secret).await?;
            Ok((status, ticket_page(&state, ctx, t, Some(message)).await?).into_response())
        }
    }
}

/// The public routes of events.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/p/events", get(list))
        .route("/p/events/{id}", get(event).post(register))
        .route("/p/tickets/{secret}", get(ticket))
        .route("/p/tickets/{secret}/cancel", post(cancel))
}
