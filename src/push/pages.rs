//! The push area's staff pages: the product library (search, filters, new product, a product with
//! its variants and review buttons), the composer with a live count of whom a push reaches, the
//! pushes list with "waiting for me", a push's hierarchy view with its delivery statistics, and the
//! sign, forward and confirm forms of the units down the line.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use time::OffsetDateTime;

use super::actions::{self, ConfirmInput, ForwardInput, ProductInput, PushInput, Upload};
use super::store::{self, Node, Product, ProductFilter, Push, Reach, StateCount, Task, Variant};
use super::{Audience, Channel, Lang, NodeState, Place, ProductKind, ProductState, SignHours, Theme, Way};
use crate::org::caller::Principal;
use crate::org::{self, store::Region};
use crate::svg::chart;
use crate::web::AppState;
use crate::web::extract::{Fields, MultipartForm};
use crate::web::extract::{Path, Query};
use crate::web::layout::PageCtx;
use crate::{Error, Result, clock};

const PAGE: i64 = 20;

// ---- shared helpers ----

/// A refused action's status and message, with the push form's field labels.
pub fn user_error(ctx: &PageCtx, e: Error) -> Result<(StatusCode, String)> {
    ctx.form_error(e, |f| Some(ctx.tv("push.field", f)).filter(|l| *l != "?"))
}

/// A choice in a group of checkboxes or a select, with whether it is ticked.
pub struct Choice {
    /// The value sent.
    pub value: &'static str,
    /// The label shown.
    pub label: &'static str,
    /// Ticked or selected.
    pub on: bool,
}

fn choices(ctx: &PageCtx, prefix: &str, values: &[&'static str], on: &[String]) -> Vec<Choice> {
    values.iter().map(|v| Choice { value: v, label: ctx.tv(prefix, v), on: on.iter().any(|o| o == v) }).collect()
}

fn audience_values() -> Vec<&'static str> {
    Audience::ALL.iter().map(|a| a.as_str()).collect()
}
fn place_values() -> Vec<&'static str> {
    Place::ALL.iter().map(|a| a.as_str()).collect()
}
fn theme_values() -> Vec<&'static str> {
    Theme::ALL.iter().map(|a| a.as_str()).collect()
}

/// Tag names of a stored `,a,b,` list in the page's language.
fn tag_names(ctx: &PageCtx, tags: &str) -> Vec<&'static str> {
    super::split_tags(tags).into_iter().map(|t| ctx.tv("push_tag", t)).collect()
}

// ---- the product library ----

#[derive(Clone, Debug, Default, Deserialize)]
struct LibraryQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    tag: String,
    #[serde(default)]
    state: String,
    #[serde(default, deserialize_with = "crate::web::extract::empty_as_none")]
    page: Option<i64>,
}

impl LibraryQuery {
    fn filter(&self) -> ProductFilter {
        super::queries::ProductParams {
            q: Some(self.q.clone()),
            kind: Some(self.kind.clone()),
            tag: Some(self.tag.clone()),
            state: Some(self.state.clone()),
            limit: None,
            offset: None,
        }
        .filter()
    }

    fn link(&self, page: i64) -> String {
        let page = page.to_string();
        crate::web::extract::query_string(&[
            ("q", &self.q),
            ("kind", &self.kind),
            ("tag", &self.tag),
            ("state", &self.state),
            ("page", &page),
        ])
    }
}

/// A product row as the library shows it.
struct ProductRow {
    p: Product,
    tags: Vec<&'static str>,
}

#[derive(Template, WebTemplate)]
#[template(path = "push/products.html")]
struct LibraryPage {
    ctx: PageCtx,
    q: LibraryQuery,
    rows: Vec<ProductRow>,
    total: i64,
    page: i64,
    pages: i64,
    kinds: Vec<Choice>,
    tags: Vec<Choice>,
    states: Vec<Choice>,
    can_write: bool,
}

impl LibraryPage {
    fn link(&self, page: i64) -> String {
        self.q.link(page)
    }
}

async fn library(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Query(q): Query<LibraryQuery>,
) -> Result<LibraryPage> {
    let f = q.filter();
    let total = store::product_count(&state.db, &f).await?;
    let pages = ((total + PAGE - 1) / PAGE).max(1);
    let page = q.page.unwrap_or(1).clamp(1, pages);
    let products = store::products(&state.db, &f, PAGE, (page - 1) * PAGE).await?;
    let rows = products.into_iter().map(|p| ProductRow { tags: tag_names(&ctx, &p.tags), p }).collect();
    let kind_values: Vec<&'static str> = ProductKind::ALL.iter().map(|k| k.as_str()).collect();
    let state_values: Vec<&'static str> = ProductState::ALL.iter().map(|k| k.as_str()).collect();
    let tag_values: Vec<&'static str> =
        audience_values().into_iter().chain(place_values()).chain(theme_values()).collect();
    Ok(LibraryPage {
        kinds: choices(&ctx, "push_kind", &kind_values, std::slice::from_ref(&q.kind)),
        tags: choices(&ctx, "push_tag", &tag_values, std::slice::from_ref(&q.tag)),
        states: choices(&ctx, "product_state", &state_values, std::slice::from_ref(&q.state)),
        can_write: actions::may_write(&me),
        ctx,
        rows,
        total,
        page,
        pages,
        q,
    })
}

// ---- a new product ----

#[derive(Clone, Debug, Default)]
struct ProductValues {
    kind: String,
    title: String,
    body: String,
    link: String,
    title_ko: String,
    body_ko: String,
    audiences: Vec<String>,
    places: Vec<String>,
    themes: Vec<String>,
}

impl ProductValues {
    fn from_fields(f: &Fields) -> Self {
        Self {
            kind: f.get("kind"),
            title: f.get("title"),
            body: f.get("body"),
            link: f.get("link"),
            title_ko: f.get("title_ko"),
            body_ko: f.get("body_ko"),
            audiences: f.all("audiences"),
            places: f.all("places"),
            themes: f.all("themes"),
        }
    }

    fn input(&self) -> ProductInput {
        ProductInput {
            kind: self.kind.clone(),
            title: self.title.clone(),
            body: self.body.clone(),
            link: self.link.clone(),
            title_ko: self.title_ko.clone(),
            body_ko: self.body_ko.clone(),
            audiences: self.audiences.clone(),
            places: self.places.clone(),
            themes: self.themes.clone(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "push/product_new.html")]
struct NewProductPage {
    ctx: PageCtx,
    v: ProductValues,
    kinds: Vec<Choice>,
    audiences: Vec<Choice>,
    places: Vec<Choice>,
    themes: Vec<Choice>,
    error: Option<String>,
}

fn new_product_page(ctx: PageCtx, v: ProductValues, error: Option<String>) -> NewProductPage {
    let kind_values: Vec<&'static str> = ProductKind::ALL.iter().map(|k| k.as_str()).collect();
    NewProductPage {
        kinds: choices(&ctx, "push_kind", &kind_values, std::slice::from_ref(&v.kind)),
        audiences: choices(&ctx, "push_tag", &audience_values(), &v.audiences),
        places: choices(&ctx, "push_tag", &place_values(), &v.places),
        themes: choices(&ctx, "push_tag", &theme_values(), &v.themes),
        ctx,
        v,
        error,
    }
}

async fn new_product(ctx: PageCtx, me: Principal) -> Result<NewProductPage> {
    if !actions::may_write(&me) {
        return Err(Error::Forbidden);
    }
    Ok(new_product_page(ctx, ProductValues { kind: "tip".into(), ..ProductValues::default() }, None))
}

async fn create_product(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    form: MultipartForm,
) -> Result<Response> {
    let mut fields = Fields::default();
    for (name, text) in form.fields() {
        fields.push(name.to_owned(), text.to_owned());
    }
    let uploads: Vec<Upload> = form
        .uploads()
        .iter()
        .filter_map(|f| {
            let lang = f.field.strip_prefix("file_").and_then(Lang::parse)?;
            Some(Upload { lang, name: f.name.clone(), bytes: f.bytes.to_vec() })
        })
        .collect();
    let v = ProductValues::from_fields(&fields);
    match actions::create_product(&state.db, &me, &v.input(), &uploads).await {
        Ok(id) => Ok(Redirect::to(&format!("/pushes/products/{id}")).into_response()),
        Err(e) => {
            let (status, msg) = user_error(&ctx, e)?;
            Ok((status, new_product_page(ctx, v, Some(msg))).into_response())
        }
    }
}

// ---- one product ----

#[derive(Template, WebTemplate)]
#[template(path = "push/product.html")]
struct ProductPage {
    ctx: PageCtx,
    p: Product,
    tags: Vec<&'static str>,
    variants: Vec<Variant>,
    can_review: bool,
    can_push: bool,
    error: Option<String>,
}

async fn product_page(
    state: &AppState,
    ctx: PageCtx,
    me: &Principal,
    id: i64,
    error: Option<String>,
) -> Result<ProductPage> {
    let p = store::product(&state.db, id).await?;
    let variants = store::variants(&state.db, id).await?;
    Ok(ProductPage {
        tags: tag_names(&ctx, &p.tags),
        can_review: actions::may_review(&state.db, me, &p).await?,
        can_push: actions::may_write(me) && p.state == ProductState::Approved,
        ctx,
        p,
        variants,
        error,
    })
}

async fn product(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
) -> Result<ProductPage> {
    product_page(&state, ctx, &me, id, None).await
}

async fn product_file(
    State(state): State<AppState>,
    _me: Principal,
    Path((id, lang)): Path<(i64, String)>,
) -> Result<Response> {
    let lang = Lang::parse(&lang).ok_or(Error::NotFound)?;
    file_response(&state, id, lang).await
}

/// A variant's file as a download, with its stored type.
pub(super) async fn file_response(state: &AppState, product_id: i64, lang: Lang) -> Result<Response> {
    let (name, content_type, bytes) = store::variant_file(&state.db, product_id, lang.as_str()).await?;
    let name = if name.trim().is_empty() { format!("product-{product_id}-{lang}") } else { name };
    Ok(crate::web::download(&name, &content_type, bytes))
}

async fn review(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
    f: Fields,
) -> Result<Response> {
    let to = ProductState::parse(&f.get("to")).ok_or_else(|| Error::invalid("to", "error.product_review_state"))?;
    match actions::review(&state.db, &me, id, to, &f.get("note")).await {
        Ok(()) => Ok(Redirect::to(&format!("/pushes/products/{id}")).into_response()),
        Err(e) => {
            let (status, msg) = user_error(&ctx, e)?;
            Ok((status, product_page(&state, ctx, &me, id, Some(msg)).await?).into_response())
        }
    }
}

// ---- the composer ----

/// A county (or lower region) box of the target picker.
struct PickBox {
    code: String,
    name: String,
    on: bool,
}

/// A city of the target picker with its counties.
struct PickGroup {
    code: String,
    name: String,
    on: bool,
    children: Vec<PickBox>,
}

#[derive(Clone, Debug)]
struct ComposeValues {
    product_id: String,
    targets: Vec<String>,
    audiences: Vec<String>,
    places: Vec<String>,
    channels: Vec<String>,
    note: String,
    schedule: String,
    hours: [String; 3],
}

impl Default for ComposeValues {
    fn default() -> Self {
        let h = SignHours::default().0;
        Self {
            product_id: String::new(),
            targets: Vec::new(),
            audiences: Vec::new(),
            places: Vec::new(),
            channels: vec![Channel::Inbox.as_str().to_owned()],
            note: String::new(),
            schedule: String::new(),
            hours: [h[0].to_string(), h[1].to_string(), h[2].to_string()],
        }
    }
}

/// Parses a `datetime-local` value as China Standard Time.
fn parse_local(field: &str, s: &str) -> Result<Option<OffsetDateTime>> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    clock::parse_time(field, s).map(Some)
}

impl ComposeValues {
    fn from_fields(f: &Fields) -> Self {
        Self {
            product_id: f.get("product_id"),
            targets: f.all("targets"),
            audiences: f.all("audiences"),
            places: f.all("places"),
            channels: f.all("channels"),
            note: f.get("note"),
            schedule: f.get("scheduled_at"),
            hours: [f.get("hours_1"), f.get("hours_2"), f.get("hours_4")],
        }
    }

    fn input(&self) -> Result<PushInput> {
        let product_id = self
            .product_id
            .parse::<i64>()
            .map_err(|_| Error::invalid("product_id", "error.choose_approved_product"))?;
        Ok(PushInput {
            product_id,
            targets: self.targets.clone(),
            audiences: self.audiences.clone(),
            places: self.places.clone(),
            channels: self.channels.clone(),
            note: self.note.clone(),
            scheduled_at: parse_local("scheduled_at", &self.schedule)?,
            sign_hours: self.hours.join(","),
            idempotency_key: String::new(),
        })
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "push/compose.html")]
struct ComposePage {
    ctx: PageCtx,
    v: ComposeValues,
    products: Vec<Product>,
    root: Region,
    groups: Vec<PickGroup>,
    audiences: Vec<Choice>,
    places: Vec<Choice>,
    channels: Vec<Choice>,
    reach: Reach,
    error: Option<String>,
}

impl ComposePage {
    #[allow(clippy::trivially_copy_pass_by_ref)]
    fn selected_product(&self, id: &i64) -> bool {
        self.v.product_id == id.to_string()
    }
}

async fn compose_page(
    state: &AppState,
    ctx: PageCtx,
    me: &Principal,
    v: ComposeValues,
    error: Option<String>,
) -> Result<ComposePage> {
    if !actions::may_write(me) {
        return Err(Error::Forbidden);
    }
    let f = ProductFilter { state: Some(ProductState::Approved.as_str().to_owned()), ..ProductFilter::default() };
    let products = store::products(&state.db, &f, 500, 0).await?;
    let root = org::store::scope_root(&state.db, &me.scope).await?;
    let mut groups = Vec::new();
    for c in org::store::region_children(&state.db, &me.scope, &root.code).await? {
        let children = if root.level == 0 {
            org::store::region_children(&state.db, &me.scope, &c.code)
                .await?
                .into_iter()
                .map(|k| PickBox { on: v.targets.contains(&k.code), code: k.code, name: k.name })
                .collect()
        } else {
            Vec::new()
        };
        groups.push(PickGroup { on: v.targets.contains(&c.code), code: c.code, name: c.name, children });
    }
    let reach = match actions::targets(&state.db, me, &v.targets).await {
        Ok(regions) => actions::reach_of(&state.db, &regions).await?,
        Err(_) => Reach::default(),
    };
    let channel_values: Vec<&'static str> = Channel::ALL.iter().map(|c| c.as_str()).collect();
    Ok(ComposePage {
        audiences: choices(&ctx, "push_tag", &audience_values(), &v.audiences),
        places: choices(&ctx, "push_tag", &place_values(), &v.places),
        channels: choices(&ctx, "push_channel", &channel_values, &v.channels),
        ctx,
        v,
        products,
        root,
        groups,
        reach,
        error,
    })
}

#[derive(Deserialize)]
struct ComposeQuery {
    #[serde(default)]
    product: String,
    /// A region to push to (a weak topic's region on the quiz statistics).
    #[serde(default)]
    region: String,
    /// A note to the units below.
    #[serde(default)]
    note: String,
}

async fn compose(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Query(q): Query<ComposeQuery>,
) -> Result<ComposePage> {
    let region = q.region.trim();
    let v = ComposeValues {
        product_id: q.product.trim().to_owned(),
        targets: if region.is_empty() { Vec::new() } else { vec![region.to_owned()] },
        note: q.note.trim().chars().take(200).collect(),
        ..ComposeValues::default()
    };
    compose_page(&state, ctx, &me, v, None).await
}

async fn send(State(state): State<AppState>, ctx: PageCtx, me: Principal, f: Fields) -> Result<Response> {
    let v = ComposeValues::from_fields(&f);
    let result = match v.input() {
        Ok(input) => actions::push(&state.db, &me, &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(created) => Ok(Redirect::to(&format!("/pushes/{}", created.id)).into_response()),
        Err(e) => {
            let (status, msg) = user_error(&ctx, e)?;
            Ok((status, compose_page(&state, ctx, &me, v, Some(msg)).await?).into_response())
        }
    }
}

// ---- the pushes list ----

/// A task with its deadline shown.
struct TaskRow {
    t: Task,
    overdue_hours: Option<i64>,
    can_forward: bool,
    can_confirm: bool,
    can_sign: bool,
}

impl ListPage {
    /// How many of the tasks still wait (the full list also holds the finished ones).
    fn waiting(&self) -> usize {
        self.tasks.iter().filter(|r| r.can_forward || r.can_confirm).count()
    }
}

fn overdue_hours(state: NodeState, due_at: OffsetDateTime, now: OffsetDateTime) -> Option<i64> {
    super::is_overdue(state, due_at, now).then(|| (now - due_at).whole_hours().max(1))
}

async fn task_rows(state: &AppState, me: &Principal, all: bool) -> Result<Vec<TaskRow>> {
    if !actions::may_pass_on(me) {
        return Ok(Vec::new());
    }
    let root = org::store::scope_root(&state.db, &me.scope).await?;
    let now = clock::now();
    Ok(store::tasks(&state.db, &root.code, all, 50)
        .await?
        .into_iter()
        .map(|t| {
            let open = matches!(t.state, NodeState::Pending | NodeState::Signed);
            TaskRow {
                overdue_hours: overdue_hours(t.state, t.due_at, now),
                can_sign: t.state == NodeState::Pending,
                can_forward: open && super::next_level(t.level).is_some(),
                can_confirm: open && super::next_level(t.level).is_none(),
                t,
            }
        })
        .collect())
}

#[derive(Template, WebTemplate)]
#[template(path = "push/list.html")]
struct ListPage {
    ctx: PageCtx,
    tasks: Vec<TaskRow>,
    pushes: Vec<Push>,
    tasks_only: bool,
    can_write: bool,
    page: i64,
    more: bool,
    error: Option<String>,
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default, deserialize_with = "crate::web::extract::empty_as_none")]
    page: Option<i64>,
}

async fn list_page(
    state: &AppState,
    ctx: PageCtx,
    me: &Principal,
    page: i64,
    tasks_only: bool,
    error: Option<String>,
) -> Result<ListPage> {
    let tasks = task_rows(state, me, tasks_only).await?;
    let page = page.max(1);
    let mut pushes = if tasks_only {
        Vec::new()
    } else {
        store::pushes(&state.db, &me.scope, clock::now(), PAGE + 1, (page - 1) * PAGE).await?
    };
    let more = pushes.len() > usize::try_from(PAGE).unwrap_or(20);
    pushes.truncate(usize::try_from(PAGE).unwrap_or(20));
    Ok(ListPage { ctx, tasks, pushes, tasks_only, can_write: actions::may_write(me), page, more, error })
}

async fn list(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Query(q): Query<ListQuery>,
) -> Result<ListPage> {
    list_page(&state, ctx, &me, q.page.unwrap_or(1), false, None).await
}

async fn tasks(State(state): State<AppState>, ctx: PageCtx, me: Principal) -> Result<ListPage> {
    list_page(&state, ctx, &me, 1, true, None).await
}

// ---- one push ----

/// A node as the tree shows it.
struct NodeView {
    n: Node,
    overdue_hours: Option<i64>,
    ways: Vec<&'static str>,
    /// For a county: its communities by state.
    summary: Option<Summary>,
}

impl NodeView {
    fn css(&self) -> String {
        let mut c = format!("pu-node pu-lvl-{} pu-st-{}", self.n.level, self.n.state);
        if self.overdue_hours.is_some() {
            c.push_str(" pu-overdue");
        }
        c
    }
}

/// Communities of one county by state.
struct Summary {
    total: i64,
    /// (state, nodes, bar offset, bar width) in percent.
    parts: Vec<(String, i64, i64, i64)>,
    overdue: i64,
    reach: i64,
}

fn summary(counts: &[StateCount], parent: i64) -> Option<Summary> {
    let rows: Vec<&StateCount> = counts.iter().filter(|c| c.parent_id == Some(parent)).collect();
    if rows.is_empty() {
        return None;
    }
    let total: i64 = rows.iter().map(|c| c.n).sum();
    let mut x = 0;
    let mut parts = Vec::new();
    for s in NodeState::ALL {
        let n: i64 = rows.iter().filter(|c| c.state == *s).map(|c| c.n).sum();
        if n > 0 {
            let w = if total > 0 { (n * 100 / total).max(1) } else { 0 };
            parts.push((s.as_str().to_owned(), n, x, w));
            x += w;
        }
    }
    Some(Summary {
        total,
        parts,
        overdue: rows.iter().map(|c| c.overdue).sum(),
        reach: rows.iter().map(|c| c.reach).sum(),
    })
}

/// A row of the delivery statistics: one region and channel.
struct DeliveryRow {
    region: String,
    channel: String,
    sent: i64,
    delivered: i64,
    read: i64,
    failed: i64,
    pending: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "push/view.html")]
struct ViewPage {
    ctx: PageCtx,
    p: Push,
    variants: Vec<Variant>,
    nodes: Vec<NodeView>,
    county: Option<NodeView>,
    communities: Vec<NodeView>,
    deliveries: Vec<DeliveryRow>,
    chart: String,
    ko_fallback: i64,
    can_recall: bool,
    channels: Vec<&'static str>,
    targets: Vec<String>,
    error: Option<String>,
    states: &'static [NodeState],
}

impl ViewPage {
    fn state_label(&self, s: impl std::fmt::Display) -> &'static str {
        self.ctx.tv("node_state", s)
    }

    /// A county's communities by state, in a sentence: 社区70个：待签收 62 · 已签收 8.
    fn communities_of(&self, s: &Summary) -> String {
        let parts: Vec<String> = s.parts.iter().map(|(st, n, _, _)| format!("{} {n}", self.state_label(st))).collect();
        self.ctx.fill("push.communities_of", &[&s.total.to_string(), &parts.join(" · ")])
    }
}

fn view_node(ctx: &PageCtx, n: Node, now: OffsetDateTime, counts: &[StateCount]) -> NodeView {
    let s = if n.level == 2 { summary(counts, n.id) } else { None };
    NodeView {
        overdue_hours: overdue_hours(n.state, n.due_at, now),
        ways: super::split_tags(&n.ways).into_iter().map(|w| ctx.tv("way", w)).collect(),
        summary: s,
        n,
    }
}

async fn view_page(
    state: &AppState,
    ctx: PageCtx,
    me: &Principal,
    id: i64,
    county: Option<i64>,
    error: Option<String>,
) -> Result<ViewPage> {
    let now = clock::now();
    let p = store::push(&state.db, &me.scope, id, now).await?;
    let variants = store::variants(&state.db, p.product_id).await?;
    let states = store::node_counts(&state.db, &me.scope, id, now).await?;
    let nodes: Vec<NodeView> = store::nodes(&state.db, &me.scope, id, 2, None)
        .await?
        .into_iter()
        .map(|n| view_node(&ctx, n, now, &states))
        .collect();
    let root = org::store::scope_root(&state.db, &me.scope).await?;
    // A community user sees their own node, which is below level 2.
    let own: Vec<NodeView> = if root.level >= 3 {
        store::nodes(&state.db, &me.scope, id, 4, None)
            .await?
            .into_iter()
            .map(|n| view_node(&ctx, n, now, &states))
            .collect()
    } else {
        Vec::new()
    };
    let (county, communities) = match county {
        Some(cid) => {
            let c = store::node(&state.db, &me.scope, cid).await?;
            if c.push_id != id {
                return Err(Error::NotFound);
            }
            let kids = store::nodes(&state.db, &me.scope, id, 4, Some(cid)).await?;
            (
                Some(view_node(&ctx, c, now, &states)),
                kids.into_iter().map(|n| view_node(&ctx, n, now, &states)).collect(),
            )
        }
        None => (None, own),
    };
    // Delivery statistics by the scope root's subdivisions.
    let child_len = crate::org::path::child_path_len(root.level);
    let sent = store::delivery_counts(&state.db, &me.scope, id, child_len).await?;
    let names: HashMap<String, String> = org::store::region_children(&state.db, &me.scope, &root.code)
        .await?
        .into_iter()
        .map(|r| (r.path, r.name))
        .collect();
    let mut deliveries: Vec<DeliveryRow> = Vec::new();
    for c in &sent {
        let region = if c.channel == Channel::Webhook {
            ctx.t("push.partners").to_owned()
        } else {
            names.get(&c.region_path).cloned().unwrap_or_else(|| root.name.clone())
        };
        let found = deliveries.iter().position(|d| d.region == region && d.channel == c.channel.as_str());
        let i = if let Some(i) = found {
            i
        } else {
            deliveries.push(DeliveryRow {
                region,
                channel: c.channel.as_str().to_owned(),
                sent: 0,
                delivered: 0,
                read: 0,
                failed: 0,
                pending: 0,
            });
            deliveries.len() - 1
        };
        let d = &mut deliveries[i];
        d.sent += c.n;
        match c.state.as_str() {
            "delivered" => d.delivered += c.n,
            "read" => {
                d.delivered += c.n;
                d.read += c.n;
            }
            "failed" | "dead" => d.failed += c.n,
            "pending" | "sending" => d.pending += c.n,
            _ => {}
        }
    }
    let has_ko = variants.iter().any(|v| v.lang == Lang::Ko);
    let ko_fallback =
        if has_ko { 0 } else { sent.iter().filter(|c| c.channel != Channel::Webhook).map(|c| c.ko).sum() };
    let mut regions: Vec<String> = Vec::new();
    for d in &deliveries {
        if !regions.contains(&d.region) {
            regions.push(d.region.clone());
        }
    }
    #[allow(clippy::cast_precision_loss)]
    let series = |name: &str, f: fn(&DeliveryRow) -> i64| chart::Series {
        name: name.to_owned(),
        values: regions
            .iter()
            .map(|r| deliveries.iter().filter(|d| &d.region == r).map(f).sum::<i64>() as f64)
            .collect(),
    };
    let data = chart::Chart {
        title: ctx.t("push.delivery_chart").to_owned(),
        unit: ctx.t("push.unit_deliveries").to_owned(),
        lang: ctx.lang,
        categories: regions.clone(),
        series: vec![
            series(ctx.t("push.delivered"), |d| d.delivered),
            series(ctx.t("push.read"), |d| d.read),
            series(ctx.t("push.failed"), |d| d.failed),
        ],
    };
    let chart = if deliveries.is_empty() {
        String::new()
    } else {
        chart::for_screens(|w, h| chart::bar(&data, w, h), (720, 320), (340, 300))
    };
    let can_recall = p.state != super::PushState::Recalled && actions::may_recall(me, &p);
    Ok(ViewPage {
        channels: super::split_tags(&p.channels).into_iter().map(|c| ctx.tv("push_channel", c)).collect(),
        targets: store::target_names(&state.db, p.id).await?,
        ctx,
        p,
        variants,
        nodes,
        county,
        communities,
        deliveries,
        chart,
        ko_fallback,
        can_recall,
        error,
        states: NodeState::ALL,
    })
}

#[derive(Deserialize)]
struct ViewQuery {
    #[serde(default, deserialize_with = "crate::web::extract::empty_as_none")]
    county: Option<i64>,
}

async fn view(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
    Query(q): Query<ViewQuery>,
) -> Result<ViewPage> {
    view_page(&state, ctx, &me, id, q.county, None).await
}

async fn recall(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
    f: Fields,
) -> Result<Response> {
    match actions::recall(&state.db, &me, id, &f.get("reason")).await {
        Ok(_) => Ok(Redirect::to(&format!("/pushes/{id}")).into_response()),
        Err(e) => {
            let (status, msg) = user_error(&ctx, e)?;
            Ok((status, view_page(&state, ctx, &me, id, None, Some(msg)).await?).into_response())
        }
    }
}

// ---- sign, forward, confirm ----

/// Where to go back to after acting on a node: the page that sent the form, else the list.
fn back(f: &Fields) -> String {
    crate::web::layout::local_path(Some(&f.get("next")))
}

async fn node_done(state: &AppState, ctx: PageCtx, me: &Principal, f: &Fields, r: Result<()>) -> Result<Response> {
    match r {
        Ok(()) => {
            let to = back(f);
            Ok(Redirect::to(if to == "/" { "/pushes" } else { &to }).into_response())
        }
        Err(e) => {
            let (status, msg) = user_error(&ctx, e)?;
            Ok((status, list_page(state, ctx, me, 1, false, Some(msg)).await?).into_response())
        }
    }
}

async fn sign(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
    f: Fields,
) -> Result<Response> {
    let r = actions::sign(&state.db, &me, id).await;
    node_done(&state, ctx, &me, &f, r).await
}

async fn forward(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
    f: Fields,
) -> Result<Response> {
    let input = ForwardInput { note: f.get("note"), variant: f.get("variant") };
    let r = actions::forward(&state.db, &me, id, &input).await.map(|_| ());
    node_done(&state, ctx, &me, &f, r).await
}

#[derive(Template, WebTemplate)]
#[template(path = "push/confirm.html")]
struct ConfirmPage {
    ctx: PageCtx,
    n: Node,
    title: String,
    /// What is passed on: the product's variants (Chinese first), text, link and file.
    variants: Vec<Variant>,
    product_id: i64,
    ways: Vec<Choice>,
    reach: String,
    error: Option<String>,
}

async fn confirm_page(
    state: &AppState,
    ctx: PageCtx,
    me: &Principal,
    id: i64,
    ways: &[String],
    reach: String,
    error: Option<String>,
) -> Result<ConfirmPage> {
    let n = store::node(&state.db, &me.scope, id).await?;
    let p = store::push(&state.db, &me.scope, n.push_id, clock::now()).await?;
    let way_values: Vec<&'static str> = Way::ALL.iter().map(|w| w.as_str()).collect();
    let variants = store::variants(&state.db, p.product_id).await?;
    Ok(ConfirmPage {
        ways: choices(&ctx, "way", &way_values, ways),
        ctx,
        n,
        title: p.title,
        variants,
        product_id: p.product_id,
        reach,
        error,
    })
}

async fn confirm_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
) -> Result<ConfirmPage> {
    confirm_page(&state, ctx, &me, id, &[], String::new(), None).await
}

async fn confirm(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
    f: Fields,
) -> Result<Response> {
    let ways = f.all("ways");
    let reach_text = f.get("reach");
    let result = match reach_text.parse::<i64>() {
        Ok(reach) => actions::confirm(&state.db, &me, id, &ConfirmInput { ways: ways.clone(), reach }).await,
        Err(_) => Err(Error::invalid("reach", crate::i18n::keyed("error.reach_number", &[&reach_text]))),
    };
    match result {
        Ok(()) => {
            let n = store::node(&state.db, &me.scope, id).await?;
            Ok(Redirect::to(&format!("/pushes/{}", n.push_id)).into_response())
        }
        Err(e) => {
            let (status, msg) = user_error(&ctx, e)?;
            Ok((status, confirm_page(&state, ctx, &me, id, &ways, reach_text, Some(msg)).await?).into_response())
        }
    }
}

/// The push area's staff pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/pushes", get(list))
        .route("/pushes/tasks", get(tasks))
        .route("/pushes/new", get(compose).post(send))
        .route("/pushes/products", get(library))
        .route("/pushes/products/new", get(new_product).post(create_product))
        .route("/pushes/products/{id}", get(product))
        .route("/pushes/products/{id}/review", post(review))
        .route("/pushes/products/{id}/file/{lang}", get(product_file))
        .route("/pushes/nodes/{id}/sign", post(sign))
        .route("/pushes/nodes/{id}/forward", post(forward))
        .route("/pushes/nodes/{id}/confirm", get(confirm_form).post(confirm))
        .route("/pushes/{id}", get(view))
        .route("/pushes/{id}/recall", post(recall))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_keep_every_ticked_box() {
        let f = Fields::parse(b"targets=220100&targets=220200&targets=&note=+hi+&x=");
        assert_eq!(f.all("targets"), vec!["220100", "220200"]);
        assert_eq!(f.get("note"), "hi");
        assert!(f.has("x") && !f.has("y"));
    }

    #[test]
    fn schedules_are_read_as_china_time() {
        let t = parse_local("scheduled_at", "2026-12-01T20:30").unwrap().unwrap();
        assert_eq!(t, time::macros::datetime!(2026-12-01 12:30 UTC));
        assert!(parse_local("scheduled_at", "").unwrap().is_none());
        assert!(parse_local("scheduled_at", "tomorrow").is_err());
    }
}
