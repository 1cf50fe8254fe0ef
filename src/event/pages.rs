//! Staff pages of public events: the list with the form that sets one up, an event (figures,
//! registrations by source with each channel's link and QR code, the latest registrations, finish
//! and call off), and the door page a phone opens from a ticket's QR code or where the code is typed.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::actions::{self, ChannelInput, EventInput, Ticket};
use super::store::{self, ChannelRow, Event, Registration};
use super::{Channel, Kind, State as EventState, may_check_in, may_organise};
use crate::org::caller::Principal;
use crate::org::picker::{self, RegionPicker, Spec};
use crate::web::AppState;
use crate::web::extract::{Form, Path, Query};
use crate::web::layout::PageCtx;
use crate::{Error, Result, clock};

/// Registrations an event's page lists (the latest).
const SHOWN: i64 = 50;

/// Where an event takes place: any region of the area, the whole of it included.
const PLACE: Spec = Spec::required("region_code", 0, 4);

/// The label of a form field, for refusals.
fn field_label(ctx: &PageCtx, field: &str) -> &'static str {
    ctx.t(&format!("event.field.{field}"))
}

#[derive(Template, WebTemplate)]
#[template(path = "event/list.html")]
struct ListPage {
    ctx: PageCtx,
    upcoming: Vec<Event>,
    past: Vec<Event>,
    /// The set-up form, for organisers.
    form: Option<(RegionPicker, EventInput)>,
    error: Option<String>,
}

impl ListPage {
    fn kinds(&self) -> &'static [Kind] {
        Kind::ALL
    }
}

async fn list_page(
    state: &AppState,
    ctx: PageCtx,
    me: &Principal,
    form: EventInput,
    error: Option<String>,
) -> Result<ListPage> {
    if !may_check_in(me.role) {
        return Err(Error::Forbidden);
    }
    let all = store::events(&state.db, &me.scope, 500).await?;
    let now = clock::now();
    let (mut upcoming, past): (Vec<Event>, Vec<Event>) =
        all.into_iter().partition(|e| e.ends_at >= now && e.state == EventState::Open);
    upcoming.reverse();
    let form = if may_organise(me.role) {
        Some((picker::build(&state.db, &me.scope, PLACE, &form.region_code, false).await?, form))
    } else {
        None
    };
    Ok(ListPage { ctx, upcoming, past, form, error })
}

async fn list(State(state): State<AppState>, ctx: PageCtx, me: Principal) -> Result<ListPage> {
    let now = clock::now();
    let values = EventInput {
        kind: Kind::Carnival.as_str().to_owned(),
        starts_at: clock::local_input(now + time::Duration::days(14)),
        ends_at: clock::local_input(now + time::Duration::days(14) + time::Duration::hours(4)),
        closes_at: clock::local_input(now + time::Duration::days(13)),
        capacity: 500,
        ..EventInput::default()
    };
    list_page(&state, ctx, &me, values, None).await
}

async fn create(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Form(input): Form<EventInput>,
) -> Result<Response> {
    match actions::create(&state.db, &me, &input).await {
        Ok(id) => Ok(Redirect::to(&format!("/events/{id}")).into_response()),
        Err(e) => {
            let (status, message) = ctx.form_error(e, |f| Some(field_label(&ctx, f)))?;
            Ok((status, list_page(&state, ctx, &me, input, Some(message)).await?).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "event/view.html")]
struct EventPage {
    ctx: PageCtx,
    event: Event,
    /// Channels with their links and QR codes.
    channels: Vec<(ChannelRow, String, String)>,
    registrations: Vec<Registration>,
    /// Registrations by source, as a chart.
    chart: String,
    /// The event's own page.
    link: String,
    organise: bool,
    notice: Option<String>,
}

impl EventPage {
    /// How many of all registrations the list shows.
    fn latest(&self) -> String {
        let all = self.event.figures().registered() + self.event.cancelled;
        self.ctx.fill(
            "event.latest_of",
            &[&self.ctx.num(i64::try_from(self.registrations.len()).unwrap_or(i64::MAX)), &self.ctx.num(all)],
        )
    }
    fn channel_kinds(&self) -> &'static [Channel] {
        Channel::ALL
    }
    fn open(&self) -> bool {
        self.event.state == EventState::Open
    }
    fn over(&self) -> bool {
        self.event.ends_at < clock::now() || self.event.state == EventState::Finished
    }
    /// A registration's channel, as the template hands it over (by reference).
    #[allow(clippy::ref_option)]
    fn channel_name(&self, c: &Option<Channel>, label: &Option<String>) -> String {
        let name = self.ctx.tv("event_channel", c.unwrap_or(Channel::Site));
        match label.as_deref().filter(|l| !l.is_empty()) {
            Some(l) => format!("{name}{}", self.ctx.aside(l)),
            None => name.to_owned(),
        }
    }
}

async fn event_page(
    state: &AppState,
    ctx: PageCtx,
    me: &Principal,
    id: i64,
    notice: Option<String>,
) -> Result<EventPage> {
    if !may_check_in(me.role) {
        return Err(Error::Forbidden);
    }
    let event = store::event(&state.db, &me.scope, id).await?;
    let rows = store::channels(&state.db, id).await?;
    let chart = source_chart(&ctx, &rows);
    let channels = rows
        .into_iter()
        .map(|c| {
            let link = super::public::event_link(&state.config, id, &c.token);
            (c, crate::svg::qr(&link, 132), link)
        })
        .collect();
    let registrations = store::registrations(&state.db, id, SHOWN).await?;
    let link = super::public::event_link(&state.config, id, "");
    let organise = may_organise(me.role) && me.scope.contains(&event.unit_path);
    Ok(EventPage { ctx, event, channels, registrations, chart, link, organise, notice })
}

/// Registrations and check-ins by source.
#[allow(clippy::cast_precision_loss)]
fn source_chart(ctx: &PageCtx, rows: &[ChannelRow]) -> String {
    use crate::svg::chart;
    let name = |c: &ChannelRow| {
        let n = ctx.tv("event_channel", c.channel);
        if c.label.is_empty() { n.to_owned() } else { format!("{n}{}", ctx.aside(&c.label)) }
    };
    let data = chart::Chart {
        title: ctx.t("event.by_source").to_owned(),
        unit: ctx.t("event.people").to_owned(),
        categories: rows.iter().map(name).collect(),
        series: vec![
            chart::Series {
                name: ctx.t("event.registered").to_owned(),
                values: rows.iter().map(|c| c.registered as f64).collect(),
            },
            chart::Series {
                name: ctx.t("event.checked_in").to_owned(),
                values: rows.iter().map(|c| c.checked_in as f64).collect(),
            },
        ],
        lang: ctx.lang,
    };
    chart::for_screens(|w, h| chart::bar(&data, w, h), (720, 320), (340, 300))
}

async fn event(State(state): State<AppState>, ctx: PageCtx, me: Principal, Path(id): Path<i64>) -> Result<EventPage> {
    event_page(&state, ctx, &me, id, None).await
}

/// The event page again, with what an action did or why it was refused.
async fn after(state: &AppState, ctx: PageCtx, me: &Principal, id: i64, r: Result<String>) -> Result<Response> {
    match r {
        Ok(notice) => Ok(event_page(state, ctx, me, id, Some(notice)).await?.into_response()),
        Err(e) => {
            let (status, message) = ctx.form_error(e, |f| Some(field_label(&ctx, f)))?;
            Ok((status, event_page(state, ctx, me, id, Some(message)).await?).into_response())
        }
    }
}

async fn add_channel(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
    Form(input): Form<ChannelInput>,
) -> Result<Response> {
    let r = actions::add_channel(&state.db, &me, id, &input).await.map(|_| ctx.t("event.channel_added").to_owned());
    after(&state, ctx, &me, id, r).await
}

async fn finish(State(state): State<AppState>, ctx: PageCtx, me: Principal, Path(id): Path<i64>) -> Result<Response> {
    let r = actions::finish(&state.db, &me, id).await.map(|f| match f.activity_id {
        Some(a) => ctx.fill("event.finished_filed", &[&a.to_string()]),
        None => ctx.t("event.finished_no_campaign").to_owned(),
    });
    after(&state, ctx, &me, id, r).await
}

async fn call_off(State(state): State<AppState>, ctx: PageCtx, me: Principal, Path(id): Path<i64>) -> Result<Response> {
    let r = actions::call_off(&state.db, &me, id).await.map(|()| ctx.t("event.called_off").to_owned());
    after(&state, ctx, &me, id, r).await
}

#[derive(Template, WebTemplate)]
#[template(path = "event/door.html")]
struct DoorPage {
    ctx: PageCtx,
    event: Event,
    code: String,
    /// The ticket just checked in.
    done: Option<Ticket>,
    error: Option<String>,
}

impl DoorPage {
    fn shown_code(&self, code: &str) -> String {
        crate::code::shown(code)
    }
}

#[derive(Debug, Default, Deserialize)]
struct DoorQuery {
    #[serde(default)]
    code: String,
}

async fn door(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
    Query(q): Query<DoorQuery>,
) -> Result<DoorPage> {
    if !may_check_in(me.role) {
        return Err(Error::Forbidden);
    }
    let event = store::event(&state.db, &me.scope, id).await?;
    Ok(DoorPage { ctx, event, code: crate::code::shown(&crate::code::typed(&q.code)), done: None, error: None })
}

async fn check_in(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
    Form(f): Form<DoorQuery>,
) -> Result<Response> {
    let r = actions::check_in(&state.db, &state.key, &me, id, &f.code).await;
    let event = store::event(&state.db, &me.scope, id).await?;
    match r {
        Ok(t) => Ok(DoorPage { ctx, event, code: String::new(), done: Some(t), error: None }.into_response()),
        Err(e) => {
            let (status, message) = ctx.form_error(e, |f| Some(field_label(&ctx, f)))?;
            let code = f.code.chars().take(20).collect();
            Ok((status, DoorPage { ctx, event, code, done: None, error: Some(message) }).into_response())
        }
    }
}

/// The staff routes of public events.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events", get(list).post(create))
        .route("/events/{id}", get(event))
        .route("/events/{id}/channels", post(add_channel))
        .route("/events/{id}/finish", post(finish))
        .route("/events/{id}/cancel", post(call_off))
        .route("/events/{id}/door", get(door).post(check_in))
}
