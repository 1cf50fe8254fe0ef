//! Pages: the activity list (filters, CSV and XLSX export), the phone-friendly activity form,
//! a record with its figures, photos and review buttons, the review queue, spreadsheet import,
//! and the media register.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::actions::{self, ActivityInput, AiringInput, NewsInput};
use super::import::{self, Rejected};
use super::store::{self, Activity, Airing, Figure, Filter, NewsItem, PhotoInfo};
use super::{KINDS, NEWS_LEVELS, State as RecordState, Transition, can_report, can_review};
use crate::campaign;
use crate::campaign::store::{Campaign, Metric};
use crate::clock::show_date;
use crate::i18n::keyed;
use crate::org::caller::Principal;
use crate::org::picker::{self, RegionPicker, Spec};
use crate::sheet::{self, CellError};
use crate::web::AppState;
use crate::web::extract::MultipartForm;
use crate::web::extract::{Form, Path, Query, empty_as_none};
use crate::web::layout::PageCtx;
use crate::{Error, Result};

const PAGE: i64 = 50;

/// Where an activity took place: any region of the reporter's area, the whole of it included.
const PLACE: Spec = Spec::required("region_code", 0, 4);
const EXPORT_MAX: i64 = 200_000;

/// List filters as they come in the query string.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default, deserialize_with = "empty_as_none")]
    campaign: Option<i64>,
    #[serde(default)]
    region: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    q: String,
    #[serde(default, deserialize_with = "empty_as_none")]
    page: Option<i64>,
}

impl ListQuery {
    /// The store filter: the region must lie in the scope (it is resolved to its path).
    async fn filter(&self, state: &AppState, me: &Principal) -> Result<Filter> {
        let under = if self.region.trim().is_empty() {
            None
        } else {
            Some(
                crate::org::store::region(&state.db, &me.scope, self.region.trim())
                    .await
                    .map_err(|_| Error::invalid("region", "error.region_outside"))?
                    .path,
            )
        };
        let date = |field: &str, s: &str| {
            if s.trim().is_empty() { Ok(None) } else { crate::clock::parse_date(field, s).map(Some) }
        };
        Ok(Filter {
            campaign_id: self.campaign,
            under,
            kind: (!self.kind.is_empty()).then(|| super::parse_kind(&self.kind).map(str::to_owned)).transpose()?,
            state: (!self.state.is_empty())
                .then(|| RecordState::parse(&self.state).ok_or_else(|| Error::invalid("state", "error.record_state")))
                .transpose()?,
            from: date("from", &self.from)?,
            to: date("to", &self.to)?,
            q: (!self.q.trim().is_empty()).then(|| self.q.trim().to_owned()),
        })
    }

    /// The same query string with another page (or none), for links.
    fn link(&self, page: Option<i64>) -> String {
        let campaign = self.campaign.map(|c| c.to_string()).unwrap_or_default();
        let page = page.map(|p| p.to_string()).unwrap_or_default();
        crate::web::extract::query_string(&[
            ("campaign", &campaign),
            ("region", &self.region),
            ("kind", &self.kind),
            ("state", &self.state),
            ("from", &self.from),
            ("to", &self.to),
            ("q", &self.q),
            ("page", &page),
        ])
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "activity/list.html")]
struct ListPage {
    ctx: PageCtx,
    q: ListQuery,
    campaigns: Vec<Campaign>,
    activities: Vec<Activity>,
    total: i64,
    page: i64,
    pages: i64,
    kinds: &'static [&'static str],
    can_report: bool,
    place: RegionPicker,
}

impl ListPage {
    fn link(&self, page: i64) -> String {
        self.q.link(Some(page))
    }
    #[allow(clippy::trivially_copy_pass_by_ref)] // templates pass references
    fn is_campaign(&self, id: &i64) -> bool {
        self.q.campaign == Some(*id)
    }
    fn export(&self) -> String {
        self.q.link(None)
    }
}

async fn list(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Query(q): Query<ListQuery>,
) -> Result<ListPage> {
    let filter = q.filter(&state, &me).await?;
    let page = q.page.unwrap_or(1).max(1);
    let total = store::count(&state.db, &me.scope, me.user.unit_id, &filter).await?;
    let activities = store::list(&state.db, &me.scope, me.user.unit_id, &filter, PAGE, (page - 1) * PAGE).await?;
    let campaigns = campaign::store::campaigns(&state.db, &me.scope).await?;
    Ok(ListPage {
        place: picker::build(&state.db, &me.scope, Spec::filter("region", 4), q.region.trim(), false).await?,
        ctx,
        campaigns,
        activities,
        total,
        page,
        pages: (total + PAGE - 1) / PAGE,
        kinds: KINDS,
        can_report: can_report(me.role),
        q,
    })
}

/// The rows of an export: one line per record, one column per metric with a value.
async fn export_rows(
    state: &AppState,
    ctx: &PageCtx,
    me: &Principal,
    q: &ListQuery,
) -> Result<(Vec<String>, Vec<Vec<String>>)> {
    let filter = q.filter(state, me).await?;
    let records = store::list(&state.db, &me.scope, me.user.unit_id, &filter, EXPORT_MAX, 0).await?;
    let figures = store::list_figures(&state.db, &me.scope, me.user.unit_id, &filter, EXPORT_MAX).await?;
    let catalogue = campaign::store::metrics(&state.db).await?;
    let mut by_record: HashMap<i64, HashMap<&str, i64>> = HashMap::new();
    for f in &figures {
        by_record.entry(f.activity_id).or_default().insert(&f.metric_code, f.value);
    }
    let used: Vec<&Metric> = catalogue.iter().filter(|m| figures.iter().any(|f| f.metric_code == m.code)).collect();
    let mut headers: Vec<String> =
        ["编号", "标题", "类型", "开始日期", "结束日期", "区划代码", "区划", "主办单位", "协办单位", "地点", "状态"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
    headers.extend(used.iter().map(|m| format!("{}（{}）", m.name, m.unit)));
    let rows = records
        .iter()
        .map(|a| {
            let mut row = vec![
                a.id.to_string(),
                a.title.clone(),
                ctx.tv("activity_kind", &a.kind).to_owned(),
                show_date(a.starts_on),
                show_date(a.ends_on),
                a.region_code.clone(),
                a.region_name.clone(),
                a.organiser_name.clone(),
                a.co_organisers.clone(),
                a.venue.clone(),
                ctx.tv("activity_state", a.state).to_owned(),
            ];
            let values = by_record.get(&a.id);
            row.extend(
                used.iter()
                    .map(|m| values.and_then(|v| v.get(m.code.as_str())).map(i64::to_string).unwrap_or_default()),
            );
            row
        })
        .collect();
    Ok((headers, rows))
}

async fn export_csv(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Query(q): Query<ListQuery>,
) -> Result<Response> {
    let (headers, rows) = export_rows(&state, &ctx, &me, &q).await?;
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    Ok(crate::web::download("activities.csv", "text/csv; charset=utf-8", sheet::csv_bytes(&headers, &rows)))
}

async fn export_xlsx(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Query(q): Query<ListQuery>,
) -> Result<Response> {
    let (headers, rows) = export_rows(&state, &ctx, &me, &q).await?;
    let bytes = sheet::xlsx_bytes(&[sheet::OutSheet::text("活动", &headers, &rows)], "")
        .map_err(|e| anyhow::anyhow!("xlsx: {e}"))?;
    Ok(crate::web::download(
        "activities.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        bytes,
    ))
}

// ---- the form ----

#[derive(Template, WebTemplate)]
#[template(path = "activity/form.html")]
struct FormPage {
    ctx: PageCtx,
    action: String,
    input: ActivityInput,
    campaigns: Vec<Campaign>,
    duties: Vec<campaign::store::Duty>,
    metrics: Vec<Metric>,
    kinds: &'static [&'static str],
    place: RegionPicker,
    error: Option<String>,
}

impl FormPage {
    #[allow(clippy::trivially_copy_pass_by_ref)] // templates pass references
    fn is_duty(&self, id: &i64) -> bool {
        self.input.duty_id == Some(*id)
    }
    fn due(&self, d: &campaign::store::Duty) -> String {
        self.ctx.fill("duty.due_by", &[&self.ctx.date(&d.due_on)])
    }
    fn figure(&self, code: &str) -> String {
        self.input.figures.get(code).map(i64::to_string).unwrap_or_default()
    }
}

async fn form_page(
    state: &AppState,
    ctx: PageCtx,
    me: &Principal,
    action: String,
    input: ActivityInput,
    error: Option<String>,
) -> Result<FormPage> {
    let campaigns: Vec<Campaign> = campaign::store::campaigns(&state.db, &me.scope)
        .await?
        .into_iter()
        .filter(|c| c.status != campaign::Status::Closed)
        .collect();
    let duties = campaign::store::unit_duties(&state.db, me.user.unit_id).await?;
    let metrics = campaign::store::metrics(&state.db).await?.into_iter().filter(|m| m.source == "figure").collect();
    let place = picker::build(&state.db, &me.scope, PLACE, input.region_code.trim(), false).await?;
    Ok(FormPage { ctx, action, input, campaigns, duties, metrics, kinds: KINDS, place, error })
}

#[derive(Deserialize)]
struct NewQuery {
    #[serde(default, deserialize_with = "empty_as_none")]
    campaign: Option<i64>,
    #[serde(default, deserialize_with = "empty_as_none")]
    duty: Option<i64>,
}

async fn new_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Query(q): Query<NewQuery>,
) -> Result<FormPage> {
    if !can_report(me.role) {
        return Err(Error::Forbidden);
    }
    // Opened from a duty: its campaign, a kind that fits its targets, a day before it is due.
    let duty = match q.duty {
        Some(id) => Some(campaign::store::duty(&state.db, &me.scope, id).await?),
        None => None,
    };
    let chosen = match duty.as_ref().map(|d| d.campaign_id).or(q.campaign) {
        Some(id) => Some(campaign::store::campaign(&state.db, &me.scope, id).await?),
        None => campaign::store::current_campaign(&state.db, &me.scope).await?,
    };
    let kind = match &duty {
        Some(d) => {
            let targets = campaign::store::targets(&state.db, &me.scope, d.campaign_id).await?;
            targets.iter().filter(|t| t.duty_id == d.id).find_map(|t| kind_for(&t.metric_code)).unwrap_or_default()
        }
        None => "",
    };
    // A first day the server takes: today, moved inside the campaign (and before the duty's due day).
    let mut day = crate::clock::today();
    if let Some(c) = &chosen {
        let last = duty.as_ref().map_or(c.ends_on, |d| d.due_on.min(c.ends_on));
        day = day.min(last).max(c.starts_on);
    }
    let root = crate::org::store::scope_root(&state.db, &me.scope).await?;
    let input = ActivityInput {
        campaign_id: chosen.map(|c| c.id).unwrap_or_default(),
        duty_id: duty.map(|d| d.id),
        kind: kind.to_owned(),
        region_code: root.code,
        starts_on: show_date(day),
        ..ActivityInput::default()
    };
    form_page(&state, ctx, &me, "/activities".to_owned(), input, None).await
}

/// The kind of activity a duty's target is usually met by.
fn kind_for(metric: &str) -> Option<&'static str> {
    Some(match metric {
        "people_trained" | "units_trained" => "training",
        "venue_openings" | "visitors" => "open_venue",
        "vehicle_outings" => "vehicle_tour",
        "handouts" | "posters" | "parcel_stickers" => "street_campaign",
        "livestream_views" => "livestream",
        "short_videos" => "short_video",
        "quiz_finalists" | "quiz_teams" => "contest",
        "challenge_volunteers" | "challenge_teams" | "homes_checked" | "volunteer_hours" => "volunteer_service",
        _ => return None,
    })
}

/// The activity form as posted: fixed fields, figures as `fig_<metric>`, and which button.
#[derive(Deserialize)]
struct PostedForm {
    campaign_id: i64,
    #[serde(default, deserialize_with = "empty_as_none")]
    duty_id: Option<i64>,
    kind: String,
    title: String,
    starts_on: String,
    #[serde(default)]
    ends_on: String,
    region_code: String,
    #[serde(default)]
    co_organisers: String,
    #[serde(default)]
    venue: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    submit: Option<String>,
    #[serde(flatten)]
    rest: HashMap<String, String>,
}

impl PostedForm {
    fn input(&self) -> Result<ActivityInput> {
        let mut figures = BTreeMap::new();
        for (k, v) in &self.rest {
            let Some(code) = k.strip_prefix("fig_") else { continue };
            let v = v.trim();
            if v.is_empty() {
                continue;
            }
            let n = v
                .parse()
                .map_err(|_| Error::invalid(format!("figures.{code}"), keyed("error.not_whole_number", &[v])))?;
            figures.insert(code.to_owned(), n);
        }
        Ok(ActivityInput {
            campaign_id: self.campaign_id,
            duty_id: self.duty_id,
            kind: self.kind.clone(),
            title: self.title.clone(),
            starts_on: self.starts_on.clone(),
            ends_on: self.ends_on.clone(),
            region_code: self.region_code.clone(),
            co_organisers: self.co_organisers.clone(),
            venue: self.venue.clone(),
            description: self.description.clone(),
            figures,
        })
    }
}

/// The label of a field of the record form, to name it before an input error.
fn field_label(ctx: &PageCtx, field: &str) -> Option<&'static str> {
    let key = match field {
        "campaign_id" => "activity.campaign",
        "duty_id" => "activity.duty",
        "kind" => "activity.kind",
        "title" => "activity.title",
        "starts_on" => "activity.starts_on",
        "ends_on" => "activity.ends_on",
        "region_code" => "activity.region",
        "co_organisers" => "activity.co_organisers",
        "venue" => "activity.venue",
        "description" => "activity.description",
        f if f.starts_with("figures.") => "activity.figures",
        _ => return None,
    };
    Some(ctx.t(key))
}

/// Saves the form (a new record when `id` is `None`), sending it up when asked; re-shows the form
/// with the message when the input is wrong.
async fn save(state: &AppState, ctx: PageCtx, me: &Principal, id: Option<i64>, f: PostedForm) -> Result<Response> {
    let action = id.map_or_else(|| "/activities".to_owned(), |id| format!("/activities/{id}"));
    let input = match f.input() {
        Ok(i) => i,
        Err(e) => {
            let fallback = ActivityInput {
                campaign_id: f.campaign_id,
                kind: f.kind.clone(),
                title: f.title.clone(),
                starts_on: f.starts_on.clone(),
                ends_on: f.ends_on.clone(),
                region_code: f.region_code.clone(),
                ..ActivityInput::default()
            };
            let (status, msg) = ctx.form_error(e, |f| field_label(&ctx, f))?;
            return Ok((status, form_page(state, ctx, me, action, fallback, Some(msg)).await?).into_response());
        }
    };
    let saved = match id {
        Some(id) => actions::update(&state.db, me, id, &input).await.map(|()| id),
        None => actions::create(&state.db, me, &input).await,
    };
    match saved {
        Ok(id) => {
            if f.submit.is_some() {
                actions::transition(&state.db, me, id, Transition::Submit, "").await?;
            }
            Ok(Redirect::to(&format!("/activities/{id}")).into_response())
        }
        Err(e) => {
            let (status, msg) = ctx.form_error(e, |_| None)?;
            Ok((status, form_page(state, ctx, me, action, input, Some(msg)).await?).into_response())
        }
    }
}

async fn create(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Form(f): Form<PostedForm>,
) -> Result<Response> {
    save(&state, ctx, &me, None, f).await
}

async fn update(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
    Form(f): Form<PostedForm>,
) -> Result<Response> {
    save(&state, ctx, &me, Some(id), f).await
}

async fn edit_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
) -> Result<FormPage> {
    let a = store::activity(&state.db, &me.scope, me.user.unit_id, id).await?;
    if a.organiser_unit_id != me.user.unit_id || !a.state.editable() {
        return Err(Error::Forbidden);
    }
    let figures = store::figures(&state.db, id).await?.into_iter().map(|f| (f.metric_code, f.value)).collect();
    let input = ActivityInput {
        campaign_id: a.campaign_id,
        duty_id: a.duty_id,
        kind: a.kind,
        title: a.title,
        starts_on: show_date(a.starts_on),
        ends_on: show_date(a.ends_on),
        region_code: a.region_code,
        co_organisers: a.co_organisers,
        venue: a.venue,
        description: a.description,
        figures,
    };
    form_page(&state, ctx, &me, format!("/activities/{id}"), input, None).await
}

// ---- one record ----

#[derive(Template, WebTemplate)]
#[template(path = "activity/view.html")]
struct ViewPage {
    ctx: PageCtx,
    a: Activity,
    figures: Vec<(Metric, i64)>,
    photos: Vec<PhotoInfo>,
    editable: bool,
    reviewer: bool,
    notice: Option<String>,
}

async fn view_page(
    state: &AppState,
    ctx: PageCtx,
    me: &Principal,
    id: i64,
    notice: Option<String>,
) -> Result<ViewPage> {
    let a = store::activity(&state.db, &me.scope, me.user.unit_id, id).await?;
    let catalogue = campaign::store::metrics(&state.db).await?;
    let figures: Vec<Figure> = store::figures(&state.db, id).await?;
    let figures = catalogue
        .into_iter()
        .filter_map(|m| figures.iter().find(|f| f.metric_code == m.code).map(|f| (m.clone(), f.value)))
        .collect();
    let photos = store::photos(&state.db, id).await?;
    let editable = a.organiser_unit_id == me.user.unit_id && can_report(me.role) && a.state.editable();
    let reviewer = a.state == RecordState::Submitted
        && can_review(
            (me.role, me.user.unit_id, me.user.unit_kind, &me.user.region_path),
            (a.organiser_unit_id, &a.organiser_kind, &a.organiser_path),
        );
    Ok(ViewPage { ctx, a, figures, photos, editable, reviewer, notice })
}

async fn view(State(state): State<AppState>, ctx: PageCtx, me: Principal, Path(id): Path<i64>) -> Result<ViewPage> {
    view_page(&state, ctx, &me, id, None).await
}

#[derive(Deserialize)]
struct TransitionForm {
    transition: Transition,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    next: Option<String>,
}

async fn transition(
    State(state): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Form(f): Form<TransitionForm>,
) -> Result<Redirect> {
    actions::transition(&state.db, &me, id, f.transition, &f.reason).await?;
    Ok(match f.next.as_deref() {
        Some(next) => Redirect::to(&crate::web::layout::local_path(Some(next))),
        None => Redirect::to(&format!("/activities/{id}")),
    })
}

async fn upload_photo(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
    form: MultipartForm,
) -> Result<Response> {
    let photo = form.file("photo", "error.choose_photo")?;
    match actions::add_photo(&state.db, &me, id, &photo.bytes).await {
        Ok((_, Some(other))) => {
            let notice = format!("{} #{other}", ctx.t("photo.reused"));
            Ok(view_page(&state, ctx, &me, id, Some(notice)).await?.into_response())
        }
        Ok((_, None)) => Ok(Redirect::to(&format!("/activities/{id}")).into_response()),
        Err(e) => {
            let (status, msg) = ctx.form_error(e, |_| None)?;
            Ok((status, view_page(&state, ctx, &me, id, Some(msg)).await?).into_response())
        }
    }
}

async fn photo(
    State(state): State<AppState>,
    me: Principal,
    Path((id, photo_id)): Path<(i64, i64)>,
) -> Result<Response> {
    store::activity(&state.db, &me.scope, me.user.unit_id, id).await?;
    let bytes = store::photo_bytes(&state.db, id, photo_id).await?;
    Ok(([(header::CONTENT_TYPE, "image/jpeg"), (header::CACHE_CONTROL, "private, max-age=86400")], bytes)
        .into_response())
}

// ---- review queue ----

#[derive(Template, WebTemplate)]
#[template(path = "activity/review.html")]
struct ReviewPage {
    ctx: PageCtx,
    activities: Vec<Activity>,
}

async fn review(State(state): State<AppState>, ctx: PageCtx, me: Principal) -> Result<ReviewPage> {
    let activities = super::actions::review_queue(&state.db, &me, 500).await?;
    Ok(ReviewPage { ctx, activities })
}

// ---- import ----

#[derive(Template, WebTemplate)]
#[template(path = "activity/import.html")]
struct ImportPage {
    ctx: PageCtx,
    campaigns: Vec<Campaign>,
    errors: Vec<CellError>,
    imported: Option<usize>,
}

async fn import_page(State(state): State<AppState>, ctx: PageCtx, me: Principal) -> Result<ImportPage> {
    let campaigns = campaign::store::campaigns(&state.db, &me.scope)
        .await?
        .into_iter()
        .filter(|c| c.status != campaign::Status::Closed)
        .collect();
    Ok(ImportPage { ctx, campaigns, errors: Vec::new(), imported: None })
}

async fn import_file(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    form: MultipartForm,
) -> Result<Response> {
    if !can_report(me.role) {
        return Err(Error::Forbidden);
    }
    let campaign_id = form
        .text("campaign")
        .and_then(|t| t.trim().parse::<i64>().ok())
        .ok_or_else(|| Error::invalid("campaign", "error.choose_campaign"))?;
    let file = form.file("file", "error.choose_file")?;
    let (name, bytes) = (file.name.as_str(), &file.bytes);
    let campaigns = campaign::store::campaigns(&state.db, &me.scope)
        .await?
        .into_iter()
        .filter(|c| c.status != campaign::Status::Closed)
        .collect();
    match import::run(&state.db, &me, campaign_id, bytes, name, &|_, _| {}).await? {
        Ok(ids) => Ok(ImportPage { ctx, campaigns, errors: Vec::new(), imported: Some(ids.len()) }.into_response()),
        Err(Rejected(errors)) => {
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, ImportPage { ctx, campaigns, errors, imported: None })
                .into_response())
        }
    }
}

#[derive(Deserialize)]
struct TemplateQuery {
    campaign: i64,
}

async fn template(
    State(state): State<AppState>,
    me: Principal,
    Path(format): Path<String>,
    Query(q): Query<TemplateQuery>,
) -> Result<Response> {
    let c = campaign::store::campaign(&state.db, &me.scope, q.campaign).await?;
    let catalogue = campaign::store::metrics(&state.db).await?;
    let headers = import::template_headers(&catalogue);
    let rows = vec![import::template_example(&catalogue, &c, &me.user.region_path)];
    match format.as_str() {
        "template.csv" => {
            let h: Vec<&str> = headers.iter().map(String::as_str).collect();
            Ok(crate::web::download("activities-template.csv", "text/csv; charset=utf-8", sheet::csv_bytes(&h, &rows)))
        }
        "template.xlsx" => {
            let bytes = sheet::xlsx_bytes(&[sheet::OutSheet::text("活动", &headers, &rows)], "")
                .map_err(|e| anyhow::anyhow!("xlsx: {e}"))?;
            Ok(crate::web::download(
                "activities-template.xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                bytes,
            ))
        }
        _ => Err(Error::NotFound),
    }
}

// ---- media register ----

#[derive(Template, WebTemplate)]
#[template(path = "activity/media.html")]
struct MediaPage {
    ctx: PageCtx,
    campaign: Option<Campaign>,
    campaigns: Vec<Campaign>,
    news: Vec<NewsItem>,
    airings: Vec<Airing>,
    levels: &'static [&'static str],
    error: Option<String>,
    can_report: bool,
}

#[derive(Deserialize)]
struct MediaQuery {
    #[serde(default, deserialize_with = "empty_as_none")]
    campaign: Option<i64>,
}

async fn media_page(
    state: &AppState,
    ctx: PageCtx,
    me: &Principal,
    campaign_id: Option<i64>,
    error: Option<String>,
) -> Result<MediaPage> {
    let campaigns = campaign::store::campaigns(&state.db, &me.scope).await?;
    let campaign = match campaign_id {
        Some(id) => Some(campaign::store::campaign(&state.db, &me.scope, id).await?),
        None => campaign::store::current_campaign(&state.db, &me.scope).await?,
    };
    let (news, airings) = match &campaign {
        Some(c) => (
            store::news(&state.db, &me.scope, c.id, 200).await?,
            store::airings(&state.db, &me.scope, c.id, 200).await?,
        ),
        None => (Vec::new(), Vec::new()),
    };
    Ok(MediaPage {
        ctx,
        campaign,
        campaigns,
        news,
        airings,
        levels: NEWS_LEVELS,
        error,
        can_report: can_report(me.role),
    })
}

async fn media(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Query(q): Query<MediaQuery>,
) -> Result<MediaPage> {
    media_page(&state, ctx, &me, q.campaign, None).await
}

async fn media_outcome(
    state: &AppState,
    ctx: PageCtx,
    me: &Principal,
    campaign: i64,
    r: Result<()>,
) -> Result<Response> {
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/media?campaign={campaign}")).into_response()),
        Err(e) => {
            let (status, msg) = ctx.form_error(e, |_| None)?;
            Ok((status, media_page(state, ctx, me, Some(campaign), Some(msg)).await?).into_response())
        }
    }
}

async fn add_news(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Form(f): Form<NewsInput>,
) -> Result<Response> {
    let r = actions::add_news(&state.db, &me, &f).await;
    media_outcome(&state, ctx, &me, f.campaign_id, r).await
}

async fn add_airing(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Form(f): Form<AiringInput>,
) -> Result<Response> {
    let r = actions::add_airing(&state.db, &me, &f).await;
    media_outcome(&state, ctx, &me, f.campaign_id, r).await
}

/// The routes of this area's pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/activities", get(list).post(create))
        .route("/activities/new", get(new_page))
        .route("/activities/export.csv", get(export_csv))
        .route("/activities/export.xlsx", get(export_xlsx))
        .route("/activities/import", get(import_page).post(import_file))
        .route("/activities/import/{format}", get(template))
        .route("/activities/{id}", get(view).post(update))
        .route("/activities/{id}/edit", get(edit_page))
        .route("/activities/{id}/transition", post(transition))
        .route("/activities/{id}/photos", post(upload_photo))
        .route("/activities/{id}/photos/{photo}", get(photo))
        .route("/review", get(review))
        .route("/media", get(media))
        .route("/media/news", post(add_news))
        .route("/media/airings", post(add_airing))
}
