//! Pages: the campaign list, a campaign's overview (totals per region, progress per duty, what is
//! overdue), writing duties, starting a campaign from last year's, my duties, and the metric
//! catalogue.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::actions::{self, DutyInput, NewCampaign};
use super::store::{self, Campaign, Metric};
use super::{Status, can_plan};
use crate::org;
use crate::org::caller::Principal;
use crate::report::overview::{self, DutyProgress, Overview};
use crate::web::AppState;
use crate::web::extract::{Form, Path, Query};
use crate::web::layout::PageCtx;
use crate::{Error, Result, clock};

fn planner(me: &Principal) -> bool {
    can_plan(me.role, me.user.unit_kind)
}

#[derive(Template, WebTemplate)]
#[template(path = "campaign/list.html")]
struct ListPage {
    ctx: PageCtx,
    campaigns: Vec<Campaign>,
    planner: bool,
    error: Option<String>,
}

async fn list(State(state): State<AppState>, ctx: PageCtx, me: Principal) -> Result<ListPage> {
    let campaigns = store::campaigns(&state.db, &me.scope).await?;
    Ok(ListPage { ctx, campaigns, planner: planner(&me), error: None })
}

#[derive(Deserialize)]
struct CampaignForm {
    name: String,
    theme: String,
    starts_on: String,
    ends_on: String,
}

async fn create(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Form(f): Form<CampaignForm>,
) -> Result<Response> {
    let input = NewCampaign { name: f.name, theme: f.theme, starts_on: f.starts_on, ends_on: f.ends_on };
    match actions::create(&state.db, &me, &input).await {
        Ok(id) => Ok(Redirect::to(&format!("/campaigns/{id}")).into_response()),
        Err(e) => {
            let (status, msg) = ctx.form_error(e, |_| None)?;
            let campaigns = store::campaigns(&state.db, &me.scope).await?;
            Ok((status, ListPage { ctx, campaigns, planner: planner(&me), error: Some(msg) }).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "campaign/overview.html")]
struct OverviewPage {
    ctx: PageCtx,
    o: Overview,
    planner: bool,
    owner: bool,
    units: Vec<org::store::Unit>,
    statuses: &'static [Status],
    error: Option<String>,
}

#[derive(Deserialize)]
struct OverviewQuery {
    region: Option<String>,
}

async fn overview_page(
    state: &AppState,
    ctx: PageCtx,
    me: &Principal,
    id: i64,
    region: Option<&str>,
    error: Option<String>,
) -> Result<OverviewPage> {
    let o = overview::overview(&state.db, &me.scope, id, region.filter(|r| !r.is_empty()), clock::today()).await?;
    let planner = planner(me);
    let owner = planner && me.user.unit_id == o.campaign.owner_unit_id;
    let units = if planner {
        org::store::units(&state.db, &me.scope, &org::store::UnitFilter::default(), 2000).await?
    } else {
        Vec::new()
    };
    Ok(OverviewPage { ctx, o, planner, owner, units, statuses: Status::ALL, error })
}

/// The overview page as HTML, for a reader without a session (`firecast bench` times it).
pub fn render_overview(o: Overview) -> Result<String> {
    let ctx = PageCtx {
        lang: crate::i18n::Lang::Zh,
        user: None,
        csrf: String::new(),
        path: format!("/campaigns/{}", o.campaign.id),
    };
    let page =
        OverviewPage { ctx, o, planner: false, owner: false, units: Vec::new(), statuses: Status::ALL, error: None };
    askama::Template::render(&page).map_err(|e| Error::Internal(anyhow::anyhow!("template: {e}")))
}

async fn show(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
    Query(q): Query<OverviewQuery>,
) -> Result<OverviewPage> {
    overview_page(&state, ctx, &me, id, q.region.as_deref(), None).await
}

#[derive(Deserialize)]
struct StatusForm {
    status: String,
}

async fn set_status(
    State(state): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Form(f): Form<StatusForm>,
) -> Result<Redirect> {
    actions::set_status(&state.db, &me, id, &f.status).await?;
    Ok(Redirect::to(&format!("/campaigns/{id}")))
}

#[derive(Deserialize)]
struct CopyForm {
    name: String,
}

async fn copy(
    State(state): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Form(f): Form<CopyForm>,
) -> Result<Redirect> {
    let new = actions::copy(&state.db, &me, id, &f.name).await?;
    Ok(Redirect::to(&format!("/campaigns/{new}")))
}

#[derive(Deserialize)]
struct DutyForm {
    unit_id: i64,
    title: String,
    #[serde(default)]
    description: String,
    due_on: String,
    #[serde(default)]
    metric1: String,
    #[serde(default)]
    target1: String,
    #[serde(default)]
    metric2: String,
    #[serde(default)]
    target2: String,
}

async fn add_duty(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
    Form(f): Form<DutyForm>,
) -> Result<Response> {
    let mut targets = std::collections::BTreeMap::new();
    for (metric, target) in [(&f.metric1, &f.target1), (&f.metric2, &f.target2)] {
        if metric.is_empty() || target.trim().is_empty() {
            continue;
        }
        let value =
            target.trim().parse().map_err(|_| Error::invalid(format!("target.{metric}"), "error.target_number"))?;
        targets.insert(metric.clone(), value);
    }
    let input = DutyInput { unit_id: f.unit_id, title: f.title, description: f.description, due_on: f.due_on, targets };
    match actions::add_duties(&state.db, &me, id, &[input]).await {
        Ok(_) => Ok(Redirect::to(&format!("/campaigns/{id}#duties")).into_response()),
        Err(e) => {
            let (status, msg) = ctx.form_error(e, |_| None)?;
            Ok((status, overview_page(&state, ctx, &me, id, None, Some(msg)).await?).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "campaign/duties.html")]
struct DutiesPage {
    ctx: PageCtx,
    duties: Vec<DutyProgress>,
    metrics: Vec<Metric>,
}

async fn my_duties(State(state): State<AppState>, ctx: PageCtx, me: Principal) -> Result<DutiesPage> {
    let duties = overview::unit_duties(&state.db, me.user.unit_id, clock::today()).await?;
    Ok(DutiesPage { ctx, duties, metrics: store::metrics(&state.db).await? })
}

#[derive(Template, WebTemplate)]
#[template(path = "campaign/metrics.html")]
struct MetricsPage {
    ctx: PageCtx,
    metrics: Vec<Metric>,
    editor: bool,
    error: Option<String>,
}

async fn metrics(State(state): State<AppState>, ctx: PageCtx, me: Principal) -> Result<MetricsPage> {
    Ok(MetricsPage {
        ctx,
        metrics: store::metrics(&state.db).await?,
        editor: super::may_edit_catalogue(&me),
        error: None,
    })
}

#[derive(Deserialize)]
struct MetricForm {
    code: String,
    name: String,
    name_en: String,
    unit: String,
    max_per_record: i64,
}

async fn add_metric(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Form(f): Form<MetricForm>,
) -> Result<Response> {
    let result = async {
        if !super::may_edit_catalogue(&me) {
            return Err(Error::Forbidden);
        }
        let code = f.code.trim();
        if code.is_empty()
            || code.len() > 40
            || !code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(Error::invalid("code", "error.metric_code_form"));
        }
        if !(1..=1_000_000_000).contains(&f.max_per_record) {
            return Err(Error::invalid(
                "max_per_record",
                crate::i18n::keyed("error.whole_number_range", &["1000000000"]),
            ));
        }
        store::insert_metric(
            &state.db,
            code,
            &org::parse_name("name", &f.name)?,
            &org::parse_name("name_en", &f.name_en)?,
            &org::parse_name("unit", &f.unit)?,
            f.max_per_record,
        )
        .await
    }
    .await;
    let result = me.audited(&state.db, "metric.create", ("metric", &f.code), result).await;
    match result {
        Ok(()) => Ok(Redirect::to("/campaigns/metrics").into_response()),
        Err(e) => {
            let (status, msg) = ctx.form_error(e, |_| None)?;
            Ok((status, MetricsPage { ctx, metrics: store::metrics(&state.db).await?, editor: true, error: Some(msg) })
                .into_response())
        }
    }
}

/// The routes of this area's pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/campaigns", get(list).post(create))
        .route("/campaigns/metrics", get(metrics).post(add_metric))
        .route("/campaigns/{id}", get(show))
        .route("/campaigns/{id}/status", post(set_status))
        .route("/campaigns/{id}/copy", post(copy))
        .route("/campaigns/{id}/duties", post(add_duty))
        .route("/duties", get(my_duties))
}
