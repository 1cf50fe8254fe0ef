//! JSON API of the push area: the product library (`/api/v1/push/products…`), pushes and their
//! hierarchy (`/api/v1/pushes…`), the units' sign-off work (`/api/v1/push/tasks`, `…/nodes/{id}/…`),
//! partner endpoints, and the residents' subscription and inbox (`/api/v1/public/push/…`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ProductState;
use super::actions::{
    self, ConfirmInput, ForwardInput, ProductInput, PushCreated, PushInput, Recalled, SubscribeInput, Tip,
};
use super::queries::{ProductPage, ProductParams};
use super::store::{self, DeliveryCount, Endpoint, Node, Product, Push, Reach, StateCount, Task, Variant};
use crate::org::caller::Principal;
use crate::org::{self, Role};
use crate::web::AppState;
use crate::web::extract::{Json, Path, Query, SHORT_PAGES, window};
use crate::web::session::RequestCtx;
use crate::{Error, Result, clock};

/// The product library.
#[utoipa::path(get, path = "/api/v1/push/products", tag = "push", params(ProductParams), responses((status = 200, body = ProductPage)))]
async fn products(
    State(s): State<AppState>,
    _me: Principal,
    Query(p): Query<ProductParams>,
) -> Result<axum::Json<ProductPage>> {
    let f = p.filter();
    let (limit, offset) = window(p.limit, p.offset, SHORT_PAGES);
    Ok(axum::Json(ProductPage {
        items: store::products(&s.db, &f, limit, offset).await?,
        total: store::product_count(&s.db, &f).await?,
    }))
}

/// An id just made.
#[derive(Serialize, ToSchema)]
#[schema(as = PushItemCreated)]
pub struct Created {
    pub(crate) id: i64,
}

/// Adds a product as a draft (files are uploaded on the product page).
#[utoipa::path(post, path = "/api/v1/push/products", tag = "push", request_body = ProductInput, responses((status = 201, body = Created), (status = 422, body = crate::error::Problem)))]
async fn create_product(State(s): State<AppState>, me: Principal, Json(input): Json<ProductInput>) -> Result<Response> {
    let id = actions::create_product(&s.db, &me, &input, &[]).await?;
    Ok((StatusCode::CREATED, axum::Json(Created { id })).into_response())
}

/// A product with its variants.
#[derive(Serialize, ToSchema)]
pub struct ProductDetail {
    /// The product.
    pub product: Product,
    /// Its language variants.
    pub variants: Vec<Variant>,
}

/// One product.
#[utoipa::path(get, path = "/api/v1/push/products/{id}", tag = "push", params(("id" = i64, Path)), responses((status = 200, body = ProductDetail), (status = 404, body = crate::error::Problem)))]
async fn product(State(s): State<AppState>, _me: Principal, Path(id): Path<i64>) -> Result<axum::Json<ProductDetail>> {
    Ok(axum::Json(ProductDetail {
        product: store::product(&s.db, id).await?,
        variants: store::variants(&s.db, id).await?,
    }))
}

/// A review decision.
#[derive(Deserialize, ToSchema)]
pub struct ReviewInput {
    /// `approved`, `draft` (send back, with a note) or `retired`.
    pub state: String,
    /// Why.
    #[serde(default)]
    pub note: String,
}

/// Reviews a product.
#[utoipa::path(post, path = "/api/v1/push/products/{id}/review", tag = "push", params(("id" = i64, Path)), request_body = ReviewInput, responses((status = 200, body = ProductDetail), (status = 409, body = crate::error::Problem)))]
async fn review(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Json(r): Json<ReviewInput>,
) -> Result<axum::Json<ProductDetail>> {
    let to = ProductState::parse(&r.state).ok_or_else(|| Error::invalid("state", "error.product_review_state"))?;
    actions::review(&s.db, &me, id, to, &r.note).await?;
    Ok(axum::Json(ProductDetail {
        product: store::product(&s.db, id).await?,
        variants: store::variants(&s.db, id).await?,
    }))
}

/// Paging.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
pub struct PageParams {
    /// At most this many (default 50, at most 200).
    pub limit: Option<i64>,
    /// Skip this many.
    pub offset: Option<i64>,
}

/// Pushes sent from or reaching your area, newest first.
#[utoipa::path(get, path = "/api/v1/pushes", tag = "push", params(PageParams), responses((status = 200, body = Vec<Push>)))]
async fn pushes(
    State(s): State<AppState>,
    me: Principal,
    Query(p): Query<PageParams>,
) -> Result<axum::Json<Vec<Push>>> {
    let (limit, offset) = window(p.limit, p.offset, SHORT_PAGES);
    Ok(axum::Json(store::pushes(&s.db, &me.scope, clock::now(), limit, offset).await?))
}

/// Sends a product down the hierarchy (and, on its channels, to subscribed households and partners).
#[utoipa::path(post, path = "/api/v1/pushes", tag = "push", request_body = PushInput, responses((status = 201, body = PushCreated), (status = 200, body = PushCreated), (status = 422, body = crate::error::Problem)))]
async fn create_push(State(s): State<AppState>, me: Principal, Json(input): Json<PushInput>) -> Result<Response> {
    let made = actions::push(&s.db, &me, &input).await?;
    let status = if made.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, axum::Json(made)).into_response())
}

/// Target parameters.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
pub struct ReachParams {
    /// Region codes, comma-separated (default: your whole area).
    pub targets: Option<String>,
}

/// Units, households and subscribers a set of targets reaches (the composer's live count).
#[utoipa::path(get, path = "/api/v1/push/reach", tag = "push", params(ReachParams), responses((status = 200, body = Reach)))]
async fn reach(State(s): State<AppState>, me: Principal, Query(p): Query<ReachParams>) -> Result<axum::Json<Reach>> {
    let codes: Vec<String> = p.targets.unwrap_or_default().split(',').map(str::to_owned).collect();
    let regions = actions::targets(&s.db, &me, &codes).await?;
    Ok(axum::Json(actions::reach_of(&s.db, &regions).await?))
}

/// A push with its sign-off summary and deliveries.
#[derive(Serialize, ToSchema)]
pub struct PushDetail {
    /// The push.
    pub push: Push,
    /// Its units by parent, level and state.
    pub nodes: Vec<StateCount>,
    /// Its direct deliveries by region, channel and state.
    pub deliveries: Vec<DeliveryCount>,
}

/// One push.
#[utoipa::path(get, path = "/api/v1/pushes/{id}", tag = "push", params(("id" = i64, Path)), responses((status = 200, body = PushDetail), (status = 404, body = crate::error::Problem)))]
async fn push(State(s): State<AppState>, me: Principal, Path(id): Path<i64>) -> Result<axum::Json<PushDetail>> {
    let now = clock::now();
    let root = org::store::scope_root(&s.db, &me.scope).await?;
    Ok(axum::Json(PushDetail {
        push: store::push(&s.db, &me.scope, id, now).await?,
        nodes: store::node_counts(&s.db, &me.scope, id, now).await?,
        deliveries: store::delivery_counts(&s.db, &me.scope, id, crate::org::path::child_path_len(root.level)).await?,
    }))
}

/// Node parameters.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
pub struct NodeParams {
    /// Down to this level (1 city, 2 county, 4 community; default 2).
    pub level: Option<i64>,
    /// Only the children of this node.
    pub parent: Option<i64>,
}

/// The units a push reached inside your area.
#[utoipa::path(get, path = "/api/v1/pushes/{id}/nodes", tag = "push", params(("id" = i64, Path), NodeParams), responses((status = 200, body = Vec<Node>)))]
async fn nodes(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Query(p): Query<NodeParams>,
) -> Result<axum::Json<Vec<Node>>> {
    store::push(&s.db, &me.scope, id, clock::now()).await?;
    Ok(axum::Json(store::nodes(&s.db, &me.scope, id, p.level.unwrap_or(2), p.parent).await?))
}

/// A reason.
#[derive(Deserialize, ToSchema)]
pub struct RecallInput {
    /// Why the push is recalled.
    pub reason: String,
}

/// Recalls a push: forwarding stops and undelivered direct sends are cancelled.
#[utoipa::path(post, path = "/api/v1/pushes/{id}/recall", tag = "push", params(("id" = i64, Path)), request_body = RecallInput, responses((status = 200, body = Recalled), (status = 409, body = crate::error::Problem)))]
async fn recall(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Json(r): Json<RecallInput>,
) -> Result<axum::Json<Recalled>> {
    Ok(axum::Json(actions::recall(&s.db, &me, id, &r.reason).await?))
}

/// The pushes waiting for your unit to sign, forward or confirm (with `all=true`, also done ones).
#[utoipa::path(get, path = "/api/v1/push/tasks", tag = "push", params(("all" = Option<bool>, Query)), responses((status = 200, body = Vec<Task>)))]
async fn tasks(State(s): State<AppState>, me: Principal, Query(p): Query<TaskParams>) -> Result<axum::Json<Vec<Task>>> {
    let root = org::store::scope_root(&s.db, &me.scope).await?;
    Ok(axum::Json(store::tasks(&s.db, &root.code, p.all.unwrap_or(false), 200).await?))
}

/// Task parameters.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct TaskParams {
    /// Also the ones done.
    pub all: Option<bool>,
}

/// Signs for a push at your unit.
#[utoipa::path(post, path = "/api/v1/push/nodes/{id}/sign", tag = "push", params(("id" = i64, Path)), responses((status = 200, body = Node), (status = 409, body = crate::error::Problem)))]
async fn sign(State(s): State<AppState>, me: Principal, Path(id): Path<i64>) -> Result<axum::Json<Node>> {
    actions::sign(&s.db, &me, id).await?;
    Ok(axum::Json(store::node(&s.db, &me.scope, id).await?))
}

/// How many units a forward reached.
#[derive(Serialize, ToSchema)]
pub struct Forwarded {
    /// The node, now forwarded.
    pub node: Node,
    /// Units below that received it.
    pub units: u64,
}

/// Forwards a push to the level below, with a local note or variant.
#[utoipa::path(post, path = "/api/v1/push/nodes/{id}/forward", tag = "push", params(("id" = i64, Path)), request_body = ForwardInput, responses((status = 200, body = Forwarded), (status = 409, body = crate::error::Problem)))]
async fn forward(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Json(f): Json<ForwardInput>,
) -> Result<axum::Json<Forwarded>> {
    let units = actions::forward(&s.db, &me, id, &f).await?;
    Ok(axum::Json(Forwarded { node: store::node(&s.db, &me.scope, id).await?, units }))
}

/// Confirms how a community passed the product on and how many households it reached.
#[utoipa::path(post, path = "/api/v1/push/nodes/{id}/confirm", tag = "push", params(("id" = i64, Path)), request_body = ConfirmInput, responses((status = 200, body = Node), (status = 422, body = crate::error::Problem)))]
async fn confirm(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Json(c): Json<ConfirmInput>,
) -> Result<axum::Json<Node>> {
    actions::confirm(&s.db, &me, id, &c).await?;
    Ok(axum::Json(store::node(&s.db, &me.scope, id).await?))
}

/// A partner platform to receive pushes.
#[derive(Deserialize, ToSchema)]
pub struct EndpointInput {
    pub(crate) name: String,
    /// Where to post (http or https).
    pub url: String,
    /// The region it serves (default your area).
    #[serde(default)]
    pub region_code: String,
}

/// A partner endpoint just made, with its signing secret (shown once).
#[derive(Serialize, ToSchema)]
pub struct EndpointCreated {
    pub(crate) id: i64,
    /// The HMAC-SHA256 secret for `x-firecast-signature`.
    pub secret: String,
}

/// Adds a partner endpoint (admins and province staff).
#[utoipa::path(post, path = "/api/v1/push/endpoints", tag = "push", request_body = EndpointInput, responses((status = 201, body = EndpointCreated), (status = 403, body = crate::error::Problem)))]
async fn create_endpoint(State(s): State<AppState>, me: Principal, Json(e): Json<EndpointInput>) -> Result<Response> {
    if !matches!(me.role, Role::Admin | Role::ProvinceStaff) {
        return Err(Error::Forbidden);
    }
    let url = e.url.trim();
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(Error::invalid("url", "error.endpoint_url"));
    }
    let codes = vec![e.region_code.clone()];
    let region = actions::targets(&s.db, &me, &codes).await?.into_iter().next().ok_or(Error::NotFound)?;
    let secret = org::new_secret();
    let id = store::insert_endpoint(&s.db, e.name.trim(), url, &secret, &region.path, clock::now()).await?;
    crate::audit::record(
        &s.db,
        &me.actor(),
        "push.endpoint_create",
        ("partner_endpoint", &id.to_string()),
        crate::audit::Outcome::Ok,
        url,
    )
    .await?;
    Ok((StatusCode::CREATED, axum::Json(EndpointCreated { id, secret })).into_response())
}

/// Partner endpoints serving your area.
#[utoipa::path(get, path = "/api/v1/push/endpoints", tag = "push", responses((status = 200, body = Vec<Endpoint>)))]
async fn endpoints(State(s): State<AppState>, me: Principal) -> Result<axum::Json<Vec<Endpoint>>> {
    Ok(axum::Json(store::endpoints(&s.db, &me.scope).await?))
}

/// A subscription just made.
#[derive(Serialize, ToSchema)]
pub struct Subscribed {
    /// The personal inbox token (keep it: it is the only key to the inbox).
    pub token: String,
    /// The inbox page.
    pub inbox: String,
    /// Whether a verification code went to the phone (absent: no phone given); text messages
    /// start once it is sent back to `…/inbox/{token}/confirm`.
    pub code_sent: Option<bool>,
}

/// Subscribes a household (no account).
#[utoipa::path(post, path = "/api/v1/public/push/subscriptions", tag = "push", request_body = SubscribeInput, responses((status = 201, body = Subscribed), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
async fn subscribe(State(s): State<AppState>, rc: RequestCtx, Json(input): Json<SubscribeInput>) -> Result<Response> {
    let done = actions::subscribe(&s.db, &s.key, &s.config.sms, &input, &rc.ip).await?;
    let inbox = format!("/p/inbox/{}", done.token);
    Ok((StatusCode::CREATED, axum::Json(Subscribed { token: done.token, inbox, code_sent: done.code_sent }))
        .into_response())
}

/// A verification code typed back.
#[derive(Deserialize, ToSchema)]
pub struct PhoneCode {
    /// The six digits sent to the phone.
    pub code: String,
}

/// Proves the subscription's phone with the code sent to it; text messages start.
#[utoipa::path(post, path = "/api/v1/public/push/inbox/{token}/confirm", tag = "push", params(("token" = String, Path)), request_body = PhoneCode, responses((status = 204), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
async fn prove(
    State(s): State<AppState>,
    Path(token): Path<String>,
    Json(input): Json<PhoneCode>,
) -> Result<StatusCode> {
    actions::prove_phone(&s.db, &s.key, &token, &input.code).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Whether a new code went out.
#[derive(Serialize, ToSchema)]
pub struct CodeSent {
    /// Whether the SMS provider took it.
    pub sent: bool,
}

/// Sends a new verification code to the subscription's phone (once a minute, five an hour a number).
#[utoipa::path(post, path = "/api/v1/public/push/inbox/{token}/code", tag = "push", params(("token" = String, Path)), responses((status = 202, body = CodeSent), (status = 404, body = crate::error::Problem), (status = 429, body = crate::error::Problem)))]
async fn resend(State(s): State<AppState>, Path(token): Path<String>) -> Result<Response> {
    let sent = actions::resend_code(&s.db, &s.key, &s.config.sms, &token).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(CodeSent { sent })).into_response())
}

/// An inbox.
#[derive(Serialize, ToSchema)]
pub struct Inbox {
    /// The subscription.
    pub subscriber: store::Subscriber,
    /// Tips, newest first.
    pub tips: Vec<Tip>,
}

/// A resident's inbox.
#[utoipa::path(get, path = "/api/v1/public/push/inbox/{token}", tag = "push", params(("token" = String, Path)), responses((status = 200, body = Inbox), (status = 404, body = crate::error::Problem)))]
async fn inbox(State(s): State<AppState>, Path(token): Path<String>) -> Result<axum::Json<Inbox>> {
    let (subscriber, tips) = actions::inbox(&s.db, &token).await?;
    Ok(axum::Json(Inbox { subscriber, tips }))
}

/// Opens one tip (marking it read).
#[utoipa::path(post, path = "/api/v1/public/push/inbox/{token}/{push_id}", tag = "push", params(("token" = String, Path), ("push_id" = i64, Path)), responses((status = 200, body = Tip), (status = 404, body = crate::error::Problem)))]
async fn open(State(s): State<AppState>, Path((token, push_id)): Path<(String, i64)>) -> Result<axum::Json<Tip>> {
    Ok(axum::Json(actions::open(&s.db, &token, push_id).await?.1))
}

/// Leaves (every message carries this link).
#[utoipa::path(post, path = "/api/v1/public/push/unsubscribe/{token}", tag = "push", params(("token" = String, Path)), responses((status = 204), (status = 404, body = crate::error::Problem)))]
async fn unsubscribe(State(s): State<AppState>, Path(token): Path<String>) -> Result<StatusCode> {
    actions::unsubscribe(&s.db, &token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The push area's API routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(products, create_product))
        .routes(routes!(product))
        .routes(routes!(review))
        .routes(routes!(pushes, create_push))
        .routes(routes!(reach))
        .routes(routes!(push))
        .routes(routes!(nodes))
        .routes(routes!(recall))
        .routes(routes!(tasks))
        .routes(routes!(sign))
        .routes(routes!(forward))
        .routes(routes!(confirm))
        .routes(routes!(create_endpoint, endpoints))
        .routes(routes!(subscribe))
        .routes(routes!(inbox))
        .routes(routes!(prove))
        .routes(routes!(resend))
        .routes(routes!(open))
        .routes(routes!(unsubscribe))
}
