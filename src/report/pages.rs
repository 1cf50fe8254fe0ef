//! Pages: the dashboard (headline figures, duty progress, charts and the map for any metric) and
//! the written report with its downloads.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::export::{self, Format};
use super::overview::{self, Overview};
use super::{HEADLINE, Picture, Report, Segment};
use super::{actions, store};
use crate::activity;
use crate::campaign::store::{self as campaigns, Campaign, Metric};
use crate::db::Db;
use crate::org::Scope;
use crate::org::caller::Principal;
use crate::org::path::child_path_len;
use crate::org::picker::{self, RegionPicker, Spec};
use crate::svg::map;
use crate::web::AppState;
use crate::web::extract::{Form, Query, empty_as_none};
use crate::web::layout::PageCtx;
use crate::{Error, Result, clock};

/// Dashboard and report parameters.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ViewQuery {
    #[serde(default, deserialize_with = "empty_as_none")]
    campaign: Option<i64>,
    #[serde(default)]
    region: String,
    #[serde(default)]
    metric: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    format: String,
}

impl ViewQuery {
    /// The campaign a form posts to.
    fn campaign(&self) -> Result<i64> {
        self.campaign.ok_or_else(|| Error::invalid("campaign", "error.choose_campaign"))
    }

    /// The region chosen, if one is.
    fn region(&self) -> Option<&str> {
        (!self.region.is_empty()).then_some(self.region.as_str())
    }

    /// Back to the report, at `anchor`.
    fn back(&self, anchor: &str) -> Response {
        let campaign = self.campaign.unwrap_or_default();
        Redirect::to(&format!("/reports?campaign={campaign}&region={}#{anchor}", self.region)).into_response()
    }
}

async fn chosen_campaign(db: &Db, me: &Principal, id: Option<i64>) -> Result<(Vec<Campaign>, Option<Campaign>)> {
    let all = campaigns::campaigns(db, &me.scope).await?;
    let chosen = match id {
        Some(id) => Some(campaigns::campaign(db, &me.scope, id).await?),
        None => campaigns::current_campaign(db, &me.scope).await?,
    };
    Ok((all, chosen))
}

#[derive(Template, WebTemplate)]
#[template(path = "report/dashboard.html")]
struct DashboardPage {
    ctx: PageCtx,
    campaigns: Vec<Campaign>,
    o: Option<Overview>,
    metric: String,
    level: String,
    pictures: Vec<Picture>,
    headline: Vec<(Metric, i64, String)>,
    place: Option<RegionPicker>,
    done: usize,
    overdue: usize,
    /// The four-level push in the region: units reached and passing it on, reach, reads.
    push: crate::push::store::Totals,
    /// Inbox deliveries of pushes in the campaign's dates, and how many were read.
    reads: (i64, i64),
}

impl DashboardPage {
    fn metrics(&self) -> &[Metric] {
        self.o.as_ref().map_or(&[], |o| &o.metrics)
    }
    fn query(&self, region: &str) -> String {
        let campaign = self.o.as_ref().map_or(0, |o| o.campaign.id);
        format!("campaign={campaign}&region={region}&metric={}&level={}", self.metric, self.level)
    }
}

async fn dashboard(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Query(q): Query<ViewQuery>,
) -> Result<DashboardPage> {
    let (all, chosen) = chosen_campaign(&state.db, &me, q.campaign).await?;
    let metric = if q.metric.is_empty() { "handouts" } else { q.metric.as_str() };
    let level = if q.level == "county" { "county" } else { "prefecture" };
    let region = q.region();
    build_dashboard(&state.db, &me.scope, ctx, all, chosen.map(|c| c.id), region, metric, level).await
}

/// The dashboard page for a region of a campaign, drawn for a metric.
#[allow(clippy::too_many_arguments)]
async fn build_dashboard(
    db: &Db,
    scope: &Scope,
    ctx: PageCtx,
    campaigns: Vec<Campaign>,
    campaign: Option<i64>,
    region: Option<&str>,
    metric: &str,
    level: &str,
) -> Result<DashboardPage> {
    let (metric, level) = (metric.to_owned(), level.to_owned());
    let Some(id) = campaign else {
        return Ok(DashboardPage {
            ctx,
            campaigns,
            o: None,
            metric,
            level,
            pictures: Vec::new(),
            headline: Vec::new(),
            place: None,
            done: 0,
            overdue: 0,
            push: crate::push::store::Totals::default(),
            reads: (0, 0),
        });
    };
    let o = overview::overview(db, scope, id, region, clock::today()).await?;
    if !o.metrics.iter().any(|m| m.code == metric) {
        return Err(Error::invalid("metric", crate::i18n::keyed("error.unknown_metric", &[&metric])));
    }
    let daily = activity::store::daily(db, id, &o.region.path).await?;
    let (days, day_totals) = super::by_day(&daily);
    // The county map of the whole province needs the county totals.
    let counties = if o.level == 0 && level == "county" { Some(county_values(db, &o, &metric).await?) } else { None };
    let pictures = super::pictures(
        &o,
        &o.metrics,
        &days,
        &day_totals,
        &metric,
        super::Drawing::Screens(ctx.lang),
        counties.as_deref(),
    );
    let headline = HEADLINE
        .iter()
        .filter_map(|code| o.metrics.iter().find(|m| m.code == *code))
        .map(|m| (m.clone(), o.region.value(&m.code), super::href(o.campaign.id, &o.region.code, &m.code)))
        .collect();
    let done = o.duties.iter().filter(|d| d.percent >= 100).count();
    let overdue = o.overdue().len();
    let inner = Scope::under(&o.region.path);
    let (from, to) = (
        o.campaign.starts_on.midnight().assume_offset(clock::CST),
        o.campaign.ends_on.next_day().unwrap_or(o.campaign.ends_on).midnight().assume_offset(clock::CST),
    );
    let push = crate::push::store::totals(db, &inner, clock::now(), from, to).await?;
    let reads = crate::push::store::read_rate(db, &inner, from, to).await?;
    let place = Some(picker::build(db, scope, Spec::filter("region", 2), &o.region.code, false).await?);
    Ok(DashboardPage {
        ctx,
        campaigns,
        o: Some(o),
        metric,
        level,
        pictures,
        headline,
        place,
        done,
        overdue,
        push,
        reads,
    })
}

/// The province dashboard of a campaign as HTML, for a reader without a session (`firecast bench`
/// times it).
pub async fn dashboard_html(db: &Db, id: i64, metric: &str) -> Result<String> {
    let scope = Scope::province();
    let ctx = PageCtx { lang: crate::i18n::Lang::Zh, user: None, csrf: String::new(), path: "/dashboard".to_owned() };
    let campaigns = campaigns::campaigns(db, &scope).await?;
    let page = build_dashboard(db, &scope, ctx, campaigns, Some(id), None, metric, "prefecture").await?;
    page.render().map_err(|e| Error::Internal(anyhow::anyhow!("template: {e}")))
}

/// Values of a metric for every county in the province (for the county map).
async fn county_values(db: &Db, o: &Overview, metric: &str) -> Result<Vec<map::MapValue>> {
    let mut values = Vec::new();
    for child in &o.children {
        let totals = activity::store::totals(db, o.campaign.id, &child.path, child_path_len(1)).await?;
        for t in totals.into_iter().filter(|t| t.metric_code == metric && t.region_path != child.path) {
            let code = t.region_path.trim_end_matches('/').rsplit('/').next().unwrap_or_default().to_owned();
            values.push(map::MapValue { code, value: t.value as f64 });
        }
    }
    Ok(values)
}

/// What a report's authors need on its page: the campaign and region the forms post to.
pub struct Author {
    pub(super) ctx: PageCtx,
    pub(super) campaign: i64,
    pub(super) region: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "report/report.html")]
struct ReportPage {
    ctx: PageCtx,
    campaigns: Vec<Campaign>,
    r: Option<Report>,
    campaign: i64,
    region: String,
    place: Option<RegionPicker>,
    /// Set for planners: the report's forms.
    author: Option<Author>,
    error: Option<String>,
}

async fn report(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Query(q): Query<ViewQuery>,
) -> Result<ReportPage> {
    report_page(&state.db, ctx, &me, &q, None).await
}

async fn report_page(
    db: &Db,
    ctx: PageCtx,
    me: &Principal,
    q: &ViewQuery,
    error: Option<String>,
) -> Result<ReportPage> {
    let (all, chosen) = chosen_campaign(db, me, q.campaign).await?;
    let Some(c) = chosen else {
        return Ok(ReportPage {
            ctx,
            campaigns: all,
            r: None,
            campaign: 0,
            region: String::new(),
            place: None,
            author: None,
            error,
        });
    };
    let r = super::build(db, &me.scope, c.id, q.region(), clock::today()).await?;
    let code = r.overview.as_ref().map(|o| o.region.code.clone()).unwrap_or_default();
    let place = Some(picker::build(db, &me.scope, Spec::filter("region", 3), &code, false).await?);
    let author = crate::campaign::can_plan(me.role, me.user.unit_kind).then(|| Author {
        ctx: ctx.clone(),
        campaign: c.id,
        region: code.clone(),
    });
    Ok(ReportPage { ctx, campaigns: all, r: Some(r), campaign: c.id, region: code, place, author, error })
}

/// The report page again with the error of a form, or the report at `anchor`.
async fn after(
    state: &AppState,
    ctx: PageCtx,
    me: &Principal,
    at: &ViewQuery,
    done: Result<()>,
    anchor: &str,
) -> Result<Response> {
    match done {
        Ok(()) => Ok(at.back(anchor)),
        Err(e) => {
            let (status, msg) = ctx.form_error(e, |_| None)?;
            let page = report_page(&state.db, ctx, me, at, Some(msg)).await?;
            Ok((status, page).into_response())
        }
    }
}

async fn set_text(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Query(at): Query<ViewQuery>,
    Form(f): Form<store::Authored>,
) -> Result<Response> {
    let done = actions::set_authored(&state.db, &me, at.campaign()?, at.region(), &f).await;
    after(&state, ctx, &me, &at, done, "authored").await
}

async fn set_mark(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Query(at): Query<ViewQuery>,
    Form(f): Form<actions::MarkInput>,
) -> Result<Response> {
    let done = actions::set_mark(&state.db, &me, at.campaign()?, at.region(), &f).await;
    after(&state, ctx, &me, &at, done, "choices").await
}

async fn edit(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Query(at): Query<ViewQuery>,
    Form(f): Form<actions::EditInput>,
) -> Result<Response> {
    let done = actions::edit(&state.db, &me, at.campaign()?, at.region(), &f).await;
    let anchor = format!("p-{}", f.paragraph);
    after(&state, ctx, &me, &at, done, &anchor).await
}

async fn download(State(state): State<AppState>, me: Principal, Query(q): Query<ViewQuery>) -> Result<Response> {
    let format = Format::parse(&q.format)?;
    let id = q.campaign()?;
    let r = super::build(&state.db, &me.scope, id, q.region(), clock::today()).await?;
    let code = r.overview.as_ref().map(|o| o.region.code.clone()).unwrap_or_default();
    let name = format!("report-{id}-{code}.{}", format.extension());
    let bytes = tokio::task::spawn_blocking(move || export::render(&r, format))
        .await
        .map_err(|e| anyhow::anyhow!("report: {e}"))??;
    crate::audit::record(
        &state.db,
        &me.actor(),
        "report.export",
        ("campaign", &id.to_string()),
        crate::audit::Outcome::Ok,
        format.extension(),
    )
    .await?;
    let disposition =
        if format == Format::Html { "inline".to_owned() } else { format!("attachment; filename=\"{name}\"") };
    // The printable page carries its own styles inline.
    let policy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'";
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CONTENT_SECURITY_POLICY, policy.to_owned()),
        ],
        bytes,
    )
        .into_response())
}

/// The routes of this area's pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/dashboard", get(dashboard))
        .route("/reports", get(report))
        .route("/reports/download", get(download))
        .route("/reports/text", post(set_text))
        .route("/reports/mark", post(set_mark))
        .route("/reports/edit", post(edit))
}
