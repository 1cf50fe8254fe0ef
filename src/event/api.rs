//! JSON API for public events, under `/api/v1/public-events` (organisers and door staff) and
//! `/api/v1/public/events` (residents registering, without an account).

use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::actions::{self, ChannelInput, EventInput, Finished, RegistrationInput, Ticket};
use super::store::{self, ChannelRow, Event, Registration};
use crate::Result;
use crate::org::caller::Principal;
use crate::web::AppState;
use crate::web::extract::{Json, Path};
use crate::web::session::RequestCtx;

/// Public events held in the caller's area, the latest first.
#[utoipa::path(get, path = "/api/v1/public-events", tag = "events", responses((status = 200, body = Vec<Event>)))]
async fn events(State(s): State<AppState>, me: Principal) -> Result<axum::Json<Vec<Event>>> {
    Ok(axum::Json(store::events(&s.db, &me.scope, 1000).await?))
}

/// An event with its channel links and latest registrations.
#[derive(Serialize, ToSchema)]
#[schema(as = PublicEventDetail)]
pub struct EventDetail {
    /// The event.
    event: Event,
    /// Its public page.
    public_url: String,
    /// Its channel links, with registrations by source.
    channels: Vec<ChannelRow>,
    /// The latest 200 registrations (phones masked).
    registrations: Vec<Registration>,
}

async fn event_detail(s: &AppState, me: &Principal, id: i64) -> Result<EventDetail> {
    let event = store::event(&s.db, &me.scope, id).await?;
    let public_url = super::public::event_link(&s.config, id, "");
    let (channels, registrations) = (store::channels(&s.db, id).await?, store::registrations(&s.db, id, 200).await?);
    Ok(EventDetail { event, public_url, channels, registrations })
}

/// Sets up a public event of the caller's unit, with links for 微博, 微信 and 抖音.
#[utoipa::path(post, path = "/api/v1/public-events", tag = "events", request_body = EventInput, responses((status = 201, body = EventDetail), (status = 422, body = crate::error::Problem)))]
async fn create(
    State(s): State<AppState>,
    me: Principal,
    Json(input): Json<EventInput>,
) -> Result<(StatusCode, axum::Json<EventDetail>)> {
    let id = actions::create(&s.db, &me, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(event_detail(&s, &me, id).await?)))
}

/// One event with its channels and registrations.
#[utoipa::path(get, path = "/api/v1/public-events/{id}", tag = "events", params(("id" = i64, Path)), responses((status = 200, body = EventDetail), (status = 404, body = crate::error::Problem)))]
async fn event(State(s): State<AppState>, me: Principal, Path(id): Path<i64>) -> Result<axum::Json<EventDetail>> {
    Ok(axum::Json(event_detail(&s, &me, id).await?))
}

/// Adds a channel link (a partner, a poster, 快手…) to an event the caller organises.
#[utoipa::path(post, path = "/api/v1/public-events/{id}/channels", tag = "events", params(("id" = i64, Path)), request_body = ChannelInput, responses((status = 201, body = Vec<ChannelRow>), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
async fn add_channel(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Json(input): Json<ChannelInput>,
) -> Result<(StatusCode, axum::Json<Vec<ChannelRow>>)> {
    Ok((StatusCode::CREATED, axum::Json(actions::add_channel(&s.db, &me, id, &input).await?)))
}

/// A ticket's door code.
#[derive(serde::Deserialize, ToSchema)]
pub struct CheckInInput {
    /// The code on the ticket (`K7PM-3QXA`; case, spaces and the dash ignored).
    code: String,
}

/// Checks a ticket in at the door.
#[utoipa::path(post, path = "/api/v1/public-events/{id}/check-ins", tag = "events", params(("id" = i64, Path)), request_body = CheckInInput, responses((status = 200, body = Ticket), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
async fn check_in(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Json(input): Json<CheckInInput>,
) -> Result<axum::Json<Ticket>> {
    Ok(axum::Json(actions::check_in(&s.db, &s.key, &me, id, &input.code).await?))
}

/// Finishes an event: its registrations and attendance go for review as an activity record.
#[utoipa::path(post, path = "/api/v1/public-events/{id}/finish", tag = "events", params(("id" = i64, Path)), responses((status = 200, body = Finished), (status = 409, body = crate::error::Problem)))]
async fn finish(State(s): State<AppState>, me: Principal, Path(id): Path<i64>) -> Result<axum::Json<Finished>> {
    Ok(axum::Json(actions::finish(&s.db, &me, id).await?))
}

/// Calls an open event off.
#[utoipa::path(post, path = "/api/v1/public-events/{id}/cancel", tag = "events", params(("id" = i64, Path)), responses((status = 204), (status = 409, body = crate::error::Problem)))]
async fn call_off(State(s): State<AppState>, me: Principal, Path(id): Path<i64>) -> Result<StatusCode> {
    actions::call_off(&s.db, &me, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new registration: its ticket and the link to it.
#[derive(Serialize, ToSchema)]
pub struct Registered {
    /// The ticket.
    ticket: Ticket,
    /// The ticket's page (its QR code, and cancelling).
    ticket_url: String,
}

/// Registers a resident: a place while there is room, else the waiting list.
#[utoipa::path(post, path = "/api/v1/public/events/{id}/registrations", tag = "public", params(("id" = i64, Path)), request_body = RegistrationInput, responses((status = 201, body = Registered), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem), (status = 429, body = crate::error::Problem)))]
async fn register(
    State(s): State<AppState>,
    rc: RequestCtx,
    Path(id): Path<i64>,
    Json(input): Json<RegistrationInput>,
) -> Result<(StatusCode, axum::Json<Registered>)> {
    let ticket = actions::register(&s.db, &s.key, id, &input, &rc.ip).await?;
    let ticket_url = super::public::ticket_link(&s.config, &ticket.registration.ticket);
    Ok((StatusCode::CREATED, axum::Json(Registered { ticket, ticket_url })))
}

/// The routes of this area.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(events, create))
        .routes(routes!(event))
        .routes(routes!(add_channel))
        .routes(routes!(check_in))
        .routes(routes!(finish))
        .routes(routes!(call_off))
        .routes(routes!(register))
}
