//! Staff pages of livestreams: the list with the form that sets one up, and a broadcast (its
//! public link and QR code, viewers by day, the views platforms reported with the form to enter
//! them, the comments waiting with show and hide, and finishing).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::actions::{self, ReportedInput, StreamInput};
use super::store::{self, Comment, Reported, Stream};
use super::{CommentState, State as StreamState, may_run};
use crate::org::caller::Principal;
use crate::org::picker::{self, RegionPicker, Spec};
use crate::web::AppState;
use crate::web::extract::{Form, Path};
use crate::web::layout::PageCtx;
use crate::{Error, Result, clock};

/// Where a broadcast is aimed: any region of the area, the whole of it included.
const PLACE: Spec = Spec::required("region_code", 0, 4);

fn field_label(ctx: &PageCtx, field: &str) -> &'static str {
    ctx.t(&format!("stream.field.{field}"))
}

/// The public page of a broadcast.
pub fn public_link(config: &crate::config::Config, id: i64) -> String {
    format!("{}/p/streams/{id}", config.base_url())
}

#[derive(Template, WebTemplate)]
#[template(path = "stream/list.html")]
struct ListPage {
    ctx: PageCtx,
    streams: Vec<Stream>,
    form: Option<(RegionPicker, StreamInput)>,
    error: Option<String>,
}

async fn list_page(
    state: &AppState,
    ctx: PageCtx,
    me: &Principal,
    v: StreamInput,
    error: Option<String>,
) -> Result<ListPage> {
    if !may_run(me.role) {
        return Err(Error::Forbidden);
    }
    let streams = store::streams(&state.db, &me.scope, 500).await?;
    let form = Some((picker::build(&state.db, &me.scope, PLACE, &v.region_code, false).await?, v));
    Ok(ListPage { ctx, streams, form, error })
}

async fn list(State(state): State<AppState>, ctx: PageCtx, me: Principal) -> Result<ListPage> {
    let start = clock::now() + time::Duration::days(3);
    let v = StreamInput {
        starts_at: clock::local_input(start),
        ends_at: clock::local_input(start + time::Duration::hours(2)),
        ..StreamInput::default()
    };
    list_page(&state, ctx, &me, v, None).await
}

async fn create(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Form(input): Form<StreamInput>,
) -> Result<Response> {
    match actions::create(&state.db, &me, &input).await {
        Ok(id) => Ok(Redirect::to(&format!("/streams/{id}")).into_response()),
        Err(e) => {
            let (status, message) = ctx.form_error(e, |f| Some(field_label(&ctx, f)))?;
            Ok((status, list_page(&state, ctx, &me, input, Some(message)).await?).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "stream/view.html")]
struct StreamPage {
    ctx: PageCtx,
    stream: Stream,
    link: String,
    qr: String,
    chart: String,
    reported: Vec<Reported>,
    waiting: Vec<Comment>,
    shown: Vec<Comment>,
    notice: Option<String>,
}

impl StreamPage {
    fn open(&self) -> bool {
        self.stream.state == StreamState::Open
    }
}

/// Unique viewers of the page by day.
#[allow(clippy::cast_precision_loss)]
fn viewers_chart(ctx: &PageCtx, days: &[(time::Date, i64)]) -> String {
    use crate::svg::chart;
    let data = chart::Chart {
        title: ctx.t("stream.viewers_by_day").to_owned(),
        unit: ctx.t("stream.people").to_owned(),
        categories: days.iter().map(|(d, _)| format!("{}/{}", u8::from(d.month()), d.day())).collect(),
        series: vec![chart::Series {
            name: ctx.t("stream.viewers").to_owned(),
            values: days.iter().map(|(_, n)| *n as f64).collect(),
        }],
        lang: ctx.lang,
    };
    chart::for_screens(|w, h| chart::bar(&data, w, h), (720, 280), (340, 260))
}

async fn stream_page(
    state: &AppState,
    ctx: PageCtx,
    me: &Principal,
    id: i64,
    notice: Option<String>,
) -> Result<StreamPage> {
    let stream = actions::run_by(&state.db, me, id).await?;
    let link = public_link(&state.config, id);
    let chart = viewers_chart(&ctx, &store::viewers_by_day(&state.db, id).await?);
    let reported = store::reported(&state.db, id).await?;
    let waiting = store::comments(&state.db, id, Some(CommentState::Waiting), 100).await?;
    let shown = store::comments(&state.db, id, Some(CommentState::Shown), 30).await?;
    Ok(StreamPage { ctx, qr: crate::svg::qr(&link, 160), link, stream, chart, reported, waiting, shown, notice })
}

async fn stream(State(state): State<AppState>, ctx: PageCtx, me: Principal, Path(id): Path<i64>) -> Result<StreamPage> {
    stream_page(&state, ctx, &me, id, None).await
}

async fn after(state: &AppState, ctx: PageCtx, me: &Principal, id: i64, r: Result<String>) -> Result<Response> {
    match r {
        Ok(notice) => Ok(stream_page(state, ctx, me, id, Some(notice)).await?.into_response()),
        Err(e) => {
            let (status, message) = ctx.form_error(e, |f| Some(field_label(&ctx, f)))?;
            Ok((status, stream_page(state, ctx, me, id, Some(message)).await?).into_response())
        }
    }
}

#[derive(Deserialize)]
struct ReportedForm {
    #[serde(default)]
    platform: String,
    #[serde(default)]
    views: String,
    #[serde(default)]
    evidence: String,
}

async fn report_views(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
    Form(f): Form<ReportedForm>,
) -> Result<Response> {
    let input = ReportedInput {
        platform: f.platform,
        views: f.views.trim().replace(',', "").parse().unwrap_or(0),
        evidence: f.evidence,
    };
    let r = actions::report_views(&state.db, &me, id, &input).await.map(|()| ctx.t("stream.reported_added").to_owned());
    after(&state, ctx, &me, id, r).await
}

#[derive(Deserialize)]
struct ModerationForm {
    comment: i64,
    state: String,
}

async fn moderate(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
    Form(f): Form<ModerationForm>,
) -> Result<Response> {
    let to = CommentState::parse(&f.state).ok_or_else(|| Error::invalid("state", "error.comment_state"))?;
    let r =
        actions::moderate(&state.db, &me, id, f.comment, to).await.map(|()| ctx.tv("stream.moderated", to).to_owned());
    after(&state, ctx, &me, id, r).await
}

async fn finish(State(state): State<AppState>, ctx: PageCtx, me: Principal, Path(id): Path<i64>) -> Result<Response> {
    let r = actions::finish(&state.db, &me, id).await.map(|a| match a {
        Some(a) => ctx.fill("stream.finished_filed", &[&a.to_string()]),
        None => ctx.t("event.finished_no_campaign").to_owned(),
    });
    after(&state, ctx, &me, id, r).await
}

/// The staff routes of livestreams.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/streams", get(list).post(create))
        .route("/streams/{id}", get(stream))
        .route("/streams/{id}/reported-views", post(report_views))
        .route("/streams/{id}/comments", post(moderate))
        .route("/streams/{id}/finish", post(finish))
}
