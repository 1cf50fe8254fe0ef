//! Pages: the public report form and tracking page (phone-first, no account), and for signed-in
//! users the hazard list with filters and CSV export, the report form, a hazard with its timeline,
//! photos and the buttons its reader may press, the map and the statistics per region.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use time::OffsetDateTime;

use super::actions::{self, HazardInput, Reported, TransitionInput};
use super::queries::{self, HazardDetail, ListParams, Tracking};
use super::stats::{self, Stats};
use super::store::{self, Category, Hazard};
use super::{ReporterKind, State as HazardState, Transition, is_fire_service, reporter_kind};
use crate::i18n::keyed;
use crate::org::caller::Principal;
use crate::org::picker::{self, RegionPicker, Spec};
use crate::org::{self, Scope, store::Region};
use crate::svg::{chart, map};
use crate::web::AppState;
use crate::web::extract::MultipartForm;
use crate::web::extract::{Form, Path, Query};
use crate::web::layout::PageCtx;
use crate::web::session::RequestCtx;
use crate::{Error, Result, clock};

const PAGE: i64 = 50;
const EXPORT_MAX: i64 = 10_000;

// ---- the report form (public and signed in) ----

/// The place of a report: a township or community of the reporter's area.
const PLACE: Spec = Spec::required("region_code", 3, 4);

/// The form's values as typed.
#[derive(Clone, Debug, Default)]
pub struct Values {
    category: String,
    region_code: String,
    region_q: String,
    address: String,
    description: String,
    latitude: String,
    longitude: String,
    reporter_name: String,
    phone: String,
    consent: bool,
}

impl Values {
    fn from_fields(f: &MultipartForm) -> Self {
        let get = |k: &str| f.text(k).map(|v| v.trim().to_owned()).unwrap_or_default();
        Self {
            category: get("category"),
            // A place chosen among the matches of a search posted without script comes first.
            region_code: Some(get("region_match"))
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| picker::picked(PLACE.field, |k| f.text(k).map(str::to_owned))),
            region_q: get("region_code_q"),
            address: get("address"),
            description: get("description"),
            latitude: get("latitude"),
            longitude: get("longitude"),
            reporter_name: get("reporter_name"),
            phone: get("phone"),
            consent: f.text("consent").is_some(),
        }
    }

    fn input(&self, confirm_new: bool) -> Result<HazardInput> {
        let number = |field: &str, s: &str| {
            if s.is_empty() {
                Ok(None)
            } else {
                s.parse::<f64>().map(Some).map_err(|_| Error::invalid(field, keyed("error.coordinate_number", &[s])))
            }
        };
        Ok(HazardInput {
            category: self.category.clone(),
            region_code: self.region_code.clone(),
            address: self.address.clone(),
            description: self.description.clone(),
            latitude: number("latitude", &self.latitude)?,
            longitude: number("longitude", &self.longitude)?,
            reporter_name: self.reporter_name.clone(),
            phone: self.phone.clone(),
            consent: self.consent,
            confirm_new,
        })
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "hazard/form.html")]
struct FormPage {
    ctx: PageCtx,
    public: bool,
    action: String,
    categories: Vec<Category>,
    place: RegionPicker,
    v: Values,
    error: Option<String>,
    duplicate: Option<(i64, String, String)>,
    matches: Vec<Region>,
}

impl FormPage {
    fn selected_region(&self, code: &str) -> bool {
        self.v.region_code == code
    }
}

#[allow(clippy::too_many_arguments)]
async fn form_page(
    state: &AppState,
    ctx: PageCtx,
    scope: &Scope,
    public: bool,
    v: Values,
    error: Option<String>,
    duplicate: Option<(i64, String, String)>,
    matches: Vec<Region>,
) -> Result<FormPage> {
    let place = picker::build(&state.db, scope, PLACE, &v.region_code, public).await?;
    let action = if public { format!("/p/hazards?_csrf={}", ctx.csrf) } else { format!("/hazards?_csrf={}", ctx.csrf) };
    Ok(FormPage {
        action,
        ctx,
        public,
        categories: store::categories(&state.db).await?,
        place,
        v,
        error,
        duplicate,
        matches,
    })
}

async fn public_new(State(state): State<AppState>, ctx: PageCtx) -> Result<FormPage> {
    form_page(&state, ctx, &Scope::province(), true, Values::default(), None, None, Vec::new()).await
}

async fn staff_new(State(state): State<AppState>, ctx: PageCtx, me: Principal) -> Result<FormPage> {
    if reporter_kind(me.role).is_none() {
        return Err(Error::Forbidden);
    }
    form_page(&state, ctx, &me.scope, false, Values::default(), None, None, Vec::new()).await
}

/// The photos of a posted report, at most `MAX_PHOTOS`.
fn photos_of(form: &MultipartForm) -> Result<Vec<&Bytes>> {
    let photos: Vec<&Bytes> = form.files("photos").map(|f| &f.bytes).collect();
    if photos.len() > actions::MAX_PHOTOS {
        return Err(Error::invalid(
            "photo",
            crate::i18n::keyed("error.photos_at_most", &[&actions::MAX_PHOTOS.to_string()]),
        ));
    }
    Ok(photos)
}

#[derive(Template, WebTemplate)]
#[template(path = "hazard/done.html")]
struct DonePage {
    ctx: PageCtx,
    code: String,
    link: String,
    id: Option<i64>,
}

impl DonePage {
    fn shown(&self) -> String {
        crate::code::shown(&self.code)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "hazard/same.html")]
struct SamePage {
    ctx: PageCtx,
}

/// Handles a posted report (public when `me` is `None`): finds the place, cleans the photos
/// first, stores, and answers the tracking code; shows the form again with the message, the
/// duplicate on offer, or the places matching a typed name.
async fn post_report(
    state: &AppState,
    ctx: PageCtx,
    rc: &RequestCtx,
    me: Option<&Principal>,
    form: MultipartForm,
) -> Result<Response> {
    let public = me.is_none();
    let scope = me.map_or_else(Scope::province, |m| m.scope.clone());
    let posted = photos_of(&form)?;
    let mut v = Values::from_fields(&form);
    let confirm_new = form.text("confirm_new").is_some();
    let scope = &scope;
    let again = |ctx, v, status: StatusCode, error: Option<String>, dup, matches| async move {
        let page = form_page(state, ctx, scope, public, v, error, dup, matches).await?;
        Ok::<Response, Error>((status, page).into_response())
    };
    if v.region_code.is_empty() && !v.region_q.is_empty() {
        let found: Vec<Region> = org::store::search_regions(&state.db, scope, &v.region_q, 30)
            .await?
            .into_iter()
            .filter(|r| r.level >= 3)
            .collect();
        match found.len() {
            0 => {
                let msg = ctx.t("hazard.no_place").to_owned();
                return again(ctx, v, StatusCode::UNPROCESSABLE_ENTITY, Some(msg), None, Vec::new()).await;
            }
            1 => v.region_code.clone_from(&found[0].code),
            _ => {
                let msg = ctx_pick_place(&ctx);
                return again(ctx, v, StatusCode::OK, Some(msg), None, found).await;
            }
        }
    }
    let mut photos = Vec::with_capacity(posted.len());
    let mut result: Result<Reported> = Ok(Reported::Duplicate(0, clock::now(), String::new()));
    for bytes in posted {
        match actions::clean_photo(bytes).await {
            Ok(p) => photos.push(p),
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    if result.is_ok() {
        result = match v.input(confirm_new) {
            Ok(input) => match me {
                Some(me) => actions::create(&state.db, me, &input).await,
                None => actions::create_public(&state.db, &state.key, &rc.ip, &input).await,
            },
            Err(e) => Err(e),
        };
    }
    match result {
        Ok(Reported::Stored(id, code)) => {
            if !photos.is_empty() {
                actions::add_public_photos(&state.db, &code, &photos).await?;
            }
            let link = actions::tracking_link(&code);
            Ok(DonePage { ctx, code, link, id: (!public).then_some(id) }.into_response())
        }
        Ok(Reported::Duplicate(id, at, address)) => {
            let msg = ctx.t("hazard.duplicate_offer").to_owned();
            again(ctx, v, StatusCode::CONFLICT, Some(msg), Some((id, clock::show(at), address)), Vec::new()).await
        }
        Err(e) => {
            let (status, msg) = ctx.form_error(e, |f| Some(field_label(&ctx, f)))?;
            again(ctx, v, status, Some(msg), None, Vec::new()).await
        }
    }
}

fn ctx_pick_place(ctx: &PageCtx) -> String {
    ctx.t("hazard.pick_place").to_owned()
}

/// The form label of a field named in an error.
fn field_label(ctx: &PageCtx, field: &str) -> &'static str {
    match field {
        "category" => ctx.t("hazard.category"),
        "region_code" | "region_code_q" => ctx.t("hazard.place"),
        "address" => ctx.t("hazard.address"),
        "description" => ctx.t("hazard.description"),
        "latitude" | "longitude" => ctx.t("hazard.coordinates"),
        "phone" => ctx.t("hazard.phone"),
        "consent" => ctx.t("hazard.consent_short"),
        "photo" => ctx.t("hazard.photos"),
        _ => ctx.t("hazard.form"),
    }
}

async fn public_post(
    State(state): State<AppState>,
    ctx: PageCtx,
    rc: RequestCtx,
    form: MultipartForm,
) -> Result<Response> {
    post_report(&state, ctx, &rc, None, form).await
}

async fn staff_post(
    State(state): State<AppState>,
    ctx: PageCtx,
    rc: RequestCtx,
    me: Principal,
    form: MultipartForm,
) -> Result<Response> {
    post_report(&state, ctx, &rc, Some(&me), form).await
}

async fn public_same(ctx: PageCtx) -> SamePage {
    SamePage { ctx }
}

// ---- tracking ----

#[derive(Template, WebTemplate)]
#[template(path = "hazard/track.html")]
struct TrackPage {
    ctx: PageCtx,
    code: String,
    t: Option<Tracking>,
}

#[derive(Deserialize)]
struct TrackQuery {
    #[serde(default)]
    code: String,
}

async fn track(
    State(state): State<AppState>,
    ctx: PageCtx,
    rc: RequestCtx,
    Query(q): Query<TrackQuery>,
) -> Result<Response> {
    let code = crate::code::typed(&q.code);
    if code.is_empty() {
        return Ok(TrackPage { ctx, code, t: None }.into_response());
    }
    match actions::track(&state.db, &state.key, &code, &rc.ip).await {
        Ok(t) => Ok(TrackPage { ctx, code, t: Some(t) }.into_response()),
        Err(Error::NotFound) => Ok((StatusCode::NOT_FOUND, TrackPage { ctx, code, t: None }).into_response()),
        Err(e) => Err(e),
    }
}

// ---- the list ----

/// List filters as they come in the query string.
#[derive(Clone, Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    overdue: String,
    #[serde(default)]
    reporter_kind: String,
    #[serde(default)]
    mine: String,
    #[serde(default)]
    escalated: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    level: String,
    #[serde(default, deserialize_with = "crate::web::extract::empty_as_none")]
    before: Option<i64>,
}

impl ListQuery {
    fn params(&self) -> ListParams {
        let some = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
        ListParams {
            state: some(&self.state),
            category: some(&self.category),
            region: some(&self.region),
            overdue: Some(!self.overdue.is_empty()),
            reporter_kind: some(&self.reporter_kind),
            mine: Some(!self.mine.is_empty()),
            escalated: Some(!self.escalated.is_empty()),
            q: some(&self.q),
            before: self.before,
            limit: None,
        }
    }

    /// The query string without the page (for links to the next page, the map and exports).
    fn link(&self) -> String {
        crate::web::extract::query_string(&[
            ("state", &self.state),
            ("category", &self.category),
            ("region", &self.region),
            ("overdue", &self.overdue),
            ("reporter_kind", &self.reporter_kind),
            ("mine", &self.mine),
            ("escalated", &self.escalated),
            ("q", &self.q),
        ])
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "hazard/list.html")]
struct ListPage {
    ctx: PageCtx,
    q: ListQuery,
    categories: Vec<Category>,
    items: Vec<Hazard>,
    total: i64,
    next_before: Option<i64>,
    can_report: bool,
    now: OffsetDateTime,
    states: &'static [HazardState],
    kinds: &'static [ReporterKind],
    place: RegionPicker,
}

impl ListPage {
    fn link(&self) -> String {
        self.q.link()
    }
    fn overdue(&self, h: &Hazard) -> bool {
        h.overdue(self.now)
    }
}

async fn list(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Query(q): Query<ListQuery>,
) -> Result<ListPage> {
    let f = q.params().filter(&state.db, &me).await?;
    let page = queries::page(&state.db, &me, &f, q.before, PAGE).await?;
    Ok(ListPage {
        place: picker::build(&state.db, &me.scope, Spec::filter("region", 4), q.region.trim(), false).await?,
        ctx,
        categories: store::categories(&state.db).await?,
        items: page.items,
        total: page.total,
        next_before: page.next_before,
        can_report: reporter_kind(me.role).is_some(),
        now: clock::now(),
        states: HazardState::ALL,
        kinds: ReporterKind::ALL,
        q,
    })
}

async fn export_csv(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Query(q): Query<ListQuery>,
) -> Result<Response> {
    let f = q.params().filter(&state.db, &me).await?;
    let items = store::list(&state.db, &me.scope, &f, None, EXPORT_MAX, clock::now()).await?;
    let headers = [
        "编号",
        "类别",
        "区划代码",
        "区划",
        "地址",
        "状态",
        "报告人类型",
        "报告时间",
        "责任单位",
        "整改期限",
        "整改时间",
        "办结时间",
    ];
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|h| {
            vec![
                h.id.to_string(),
                h.category_name.clone(),
                h.region_code.clone(),
                h.region_name.clone(),
                h.address.clone(),
                ctx.tv("hazard_state", h.state).to_owned(),
                ctx.tv("reporter_kind", h.reporter_kind).to_owned(),
                clock::show(h.created_at),
                h.responsible_name.clone(),
                h.rectify_due_on.map(crate::clock::show_date).unwrap_or_default(),
                h.rectified_at.map(clock::show).unwrap_or_default(),
                h.closed_at.map(clock::show).unwrap_or_default(),
            ]
        })
        .collect();
    let bytes = crate::sheet::csv_bytes(&headers, &rows);
    Ok(crate::web::download("hazards.csv", "text/csv; charset=utf-8", bytes))
}

// ---- one hazard ----

#[derive(Template, WebTemplate)]
#[template(path = "hazard/view.html")]
struct ViewPage {
    ctx: PageCtx,
    d: HazardDetail,
    units: Vec<org::store::Unit>,
    departments: Vec<org::store::Unit>,
    can_reveal: bool,
    phone: Option<String>,
    notice: Option<String>,
    default_due: String,
}

async fn view_page(
    state: &AppState,
    ctx: PageCtx,
    me: &Principal,
    id: i64,
    phone: Option<String>,
    notice: Option<String>,
) -> Result<ViewPage> {
    let d = queries::detail(&state.db, me, id).await?;
    let needs_targets = d.allowed.iter().any(|t| matches!(t, Transition::Assign | Transition::Refer));
    let (units, departments) =
        if needs_targets { actions::targets(&state.db, me, &d.hazard).await? } else { (Vec::new(), Vec::new()) };
    let can_reveal = is_fire_service(me.role) && d.hazard.reporter_phone_masked.is_some();
    let default_due = crate::clock::show_date(clock::today() + time::Duration::days(super::DEFAULT_RECTIFY_DAYS));
    Ok(ViewPage { ctx, d, units, departments, can_reveal, phone, notice, default_due })
}

async fn view(State(state): State<AppState>, ctx: PageCtx, me: Principal, Path(id): Path<i64>) -> Result<ViewPage> {
    view_page(&state, ctx, &me, id, None, None).await
}

#[derive(Deserialize)]
struct TransitionForm {
    transition: Transition,
    #[serde(default)]
    reason: String,
    #[serde(default, deserialize_with = "crate::web::extract::empty_as_none")]
    unit_id: Option<i64>,
    #[serde(default, deserialize_with = "crate::web::extract::empty_as_none")]
    duplicate_of: Option<i64>,
    #[serde(default)]
    rectify_due_on: String,
    #[serde(default)]
    public: Option<String>,
}

async fn transition(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
    Form(f): Form<TransitionForm>,
) -> Result<Response> {
    let input = TransitionInput {
        transition: f.transition,
        reason: f.reason,
        unit_id: f.unit_id,
        duplicate_of: f.duplicate_of,
        rectify_due_on: Some(f.rectify_due_on),
        public: f.public.is_some(),
    };
    match actions::transition(&state.db, &me, id, &input).await {
        Ok(()) => Ok(Redirect::to(&format!("/hazards/{id}")).into_response()),
        Err(e) => {
            let (status, msg) = ctx.form_error(e, |_| None)?;
            Ok((status, view_page(&state, ctx, &me, id, None, Some(msg)).await?).into_response())
        }
    }
}

async fn reveal(State(state): State<AppState>, ctx: PageCtx, me: Principal, Path(id): Path<i64>) -> Result<ViewPage> {
    let phone = actions::reveal_phone(&state.db, &state.key, &me, id).await?;
    let shown = Some(phone.unwrap_or_else(|| "—".to_owned()));
    view_page(&state, ctx, &me, id, shown, None).await
}

async fn upload_photo(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
    form: MultipartForm,
) -> Result<Response> {
    let bytes = &form.file("photos", "error.choose_photo")?.bytes;
    match actions::add_photo(&state.db, &me, id, bytes).await {
        Ok(_) => Ok(Redirect::to(&format!("/hazards/{id}")).into_response()),
        Err(e) => {
            let (status, msg) = ctx.form_error(e, |_| None)?;
            Ok((status, view_page(&state, ctx, &me, id, None, Some(msg)).await?).into_response())
        }
    }
}

async fn photo(
    State(state): State<AppState>,
    me: Principal,
    Path((id, photo_id)): Path<(i64, i64)>,
) -> Result<Response> {
    store::hazard(&state.db, &me.scope, id).await?;
    let bytes = store::photo_bytes(&state.db, id, photo_id).await?;
    Ok(([(header::CONTENT_TYPE, "image/jpeg"), (header::CACHE_CONTROL, "private, max-age=86400")], bytes)
        .into_response())
}

// ---- map and statistics ----

#[derive(Template, WebTemplate)]
#[template(path = "hazard/map.html")]
struct MapPage {
    ctx: PageCtx,
    q: ListQuery,
    categories: Vec<Category>,
    svg: String,
    total: i64,
    states: &'static [HazardState],
    kinds: &'static [ReporterKind],
}

async fn map_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Query(q): Query<ListQuery>,
) -> Result<MapPage> {
    let mut params = q.params();
    params.region = None;
    let f = params.filter(&state.db, &me).await?;
    let county = q.level == "county" || me.scope.path().len() > 4;
    let per_region = queries::map_counts(&state.db, &me, county, &f).await?;
    let total = per_region.iter().map(|c| c.count).sum();
    #[allow(clippy::cast_precision_loss)]
    let values: Vec<map::MapValue> =
        per_region.into_iter().map(|c| map::MapValue { code: c.code, value: c.count as f64 }).collect();
    let level = if county { map::Level::County } else { map::Level::Prefecture };
    let (title, unit) = (ctx.t("hazard.map"), ctx.t("hazard.unit"));
    let svg =
        chart::for_screens(|w, h| map::choropleth(ctx.lang, level, &values, title, unit, w, h), (720, 560), (340, 340));
    Ok(MapPage {
        ctx,
        categories: store::categories(&state.db).await?,
        svg,
        total,
        states: HazardState::ALL,
        kinds: ReporterKind::ALL,
        q,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "hazard/stats.html")]
struct StatsPage {
    ctx: PageCtx,
    s: Stats,
    chart: String,
    crumbs: Vec<Region>,
}

#[derive(Deserialize)]
struct StatsQuery {
    #[serde(default)]
    region: String,
}

/// The statistics page's HTML for a region (the bench times it).
pub async fn stats_html(db: &crate::db::Db, scope: &Scope, code: Option<&str>) -> Result<String> {
    let s = stats::stats(db, scope, code, clock::now()).await?;
    let ctx = PageCtx { lang: crate::i18n::Lang::Zh, user: None, csrf: String::new(), path: "/hazards/stats".into() };
    render_stats(ctx, s, Vec::new()).render().map_err(|e| Error::Internal(anyhow::anyhow!("template: {e}")))
}

fn render_stats(ctx: PageCtx, s: Stats, crumbs: Vec<Region>) -> StatsPage {
    #[allow(clippy::cast_precision_loss)]
    let series = |name: &str, f: fn(&stats::RegionStats) -> i64| chart::Series {
        name: name.to_owned(),
        values: s.children.iter().map(|c| f(c) as f64).collect(),
    };
    let data = chart::Chart {
        title: ctx.fill("hazard.chart_title", &[&s.region.name]),
        unit: ctx.t("hazard.unit").to_owned(),
        categories: s.children.iter().map(|c| c.name.clone()).collect(),
        lang: ctx.lang,
        series: vec![
            series(ctx.t("hazard.found"), |c| c.found),
            series(ctx.t("hazard.rectified"), |c| c.rectified),
            series(ctx.t("hazard.overdue"), |c| c.overdue),
        ],
    };
    let chart = chart::for_screens(|w, h| chart::bar(&data, w, h), (720, 360), (340, 320));
    StatsPage { ctx, s, chart, crumbs }
}

async fn stats_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Query(q): Query<StatsQuery>,
) -> Result<StatsPage> {
    let code = Some(q.region.trim()).filter(|c| !c.is_empty());
    let s = stats::stats(&state.db, &me.scope, code, clock::now()).await?;
    let crumbs = org::store::region_ancestors(&state.db, &me.scope, &s.region.path).await?;
    Ok(render_stats(ctx, s, crumbs))
}

/// The routes of this area's pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/p/hazards", post(public_post))
        .route("/p/hazards/new", get(public_new))
        .route("/p/hazards/track", get(track))
        .route("/p/hazards/same", get(public_same))
        .route("/hazards", get(list).post(staff_post))
        .route("/hazards/new", get(staff_new))
        .route("/hazards/export.csv", get(export_csv))
        .route("/hazards/map", get(map_page))
        .route("/hazards/stats", get(stats_page))
        .route("/hazards/{id}", get(view))
        .route("/hazards/{id}/transition", post(transition))
        .route("/hazards/{id}/reveal", post(reveal))
        .route("/hazards/{id}/photos", post(upload_photo))
        .route("/hazards/{id}/photos/{photo}", get(photo))
}
