//! The HTTP server: one `AppState`, one `router()` that merges every area's, the middleware (request
//! ids, sessions and CSRF, HTML error pages, metrics, security headers), `/healthz` and `/metrics`.

pub mod assets;
pub mod extract;
pub mod i18n;
pub mod layout;
pub mod session;

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;

use crate::config::Config;
use crate::db::Db;
use crate::personal::DataKey;
use crate::{Error, activity, audit, campaign, hazard, org, push, quiz, report, volunteer};

/// The largest request body: a 20 MiB spreadsheet or a 10 MB photo with room for the form around
/// it. Each reader checks its own, smaller limit.
const BODY_LIMIT: usize = 25 * 1024 * 1024;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub db: Db,
    /// The configuration.
    pub config: Arc<Config>,
    /// The key that seals personal data.
    pub key: Arc<DataKey>,
    /// The task that stores quiz answers in batches.
    pub answers: crate::quiz::writer::AnswerWriter,
}

impl AppState {
    /// State over a database with a config and the data key (on a Tokio runtime: it starts the
    /// quiz's answer writer).
    pub fn new(db: Db, config: Config, key: DataKey) -> Self {
        let answers = crate::quiz::writer::AnswerWriter::start(db.clone());
        Self { db, config: Arc::new(config), key: Arc::new(key), answers }
    }
}

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being handled (empty outside a request).
pub fn request_id() -> String {
    REQUEST_ID.try_with(Clone::clone).unwrap_or_default()
}

async fn with_request_id(req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .map_or_else(|| org::new_secret()[..12].to_owned(), str::to_owned);
    let mut response = REQUEST_ID.scope(id.clone(), next.run(req)).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HeaderName::from_static("x-request-id"), v);
    }
    response
}

fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        PrometheusBuilder::new()
            .install_recorder()
            .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder().handle())
    })
}

async fn track_metrics(req: Request, next: Next) -> Response {
    let path = req.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().to_string();
    let start = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("path", path), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(start.elapsed().as_secs_f64());
    response
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "firecast API", description = "Fire-safety publicity and education: regions, units, users, campaigns, duties, activities, media, audit."),
    components(schemas(crate::error::Problem)),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(utoipa::openapi::security::ApiKey::Cookie(
                utoipa::openapi::security::ApiKeyValue::new(session::SESSION_COOKIE),
            )),
        );
    }
}

/// The JSON API of every area, with its `OpenAPI` document.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(org::api::router())
        .merge(campaign::api::router())
        .merge(activity::api::router())
        .merge(report::api::router())
        .merge(audit::api::router())
        .merge(quiz::api::router())
        .merge(volunteer::api::router())
        .merge(hazard::api::router())
        .merge(push::api::router())
        .split_for_parts()
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let (api, openapi) = api();
    let pages = Router::new()
        .merge(org::pages::router())
        .merge(campaign::pages::router())
        .merge(activity::pages::router())
        .merge(report::pages::router())
        .merge(audit::pages::router())
        .merge(quiz::pages::router())
        .merge(quiz::public::router())
        .merge(volunteer::pages::router())
        .merge(hazard::pages::router())
        .merge(push::pages::router())
        .merge(push::public::router())
        .merge(layout::router())
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
            ),
        ));
    let docs: Router<AppState> =
        utoipa_swagger_ui::SwaggerUi::new("/api/docs").url("/api/openapi.json", openapi).into();
    Router::new()
        .merge(pages)
        .merge(api)
        .merge(docs)
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text))
        .merge(assets::router())
        .fallback(|| async { Error::NotFound })
        .layer(middleware::from_fn_with_state(state.clone(), session::authenticate))
        .layer(middleware::from_fn(layout::html_errors))
        .layer(middleware::from_fn(track_metrics))
        .layer(middleware::from_fn(with_request_id))
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .with_state(state)
}

#[derive(serde::Serialize)]
struct Health {
    status: &'static str,
    database: &'static str,
}

async fn healthz(State(state): State<AppState>) -> Response {
    match state.db.ping().await {
        Ok(()) => Json(Health { status: "ok", database: "ok" }).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: database does not answer");
            (axum::http::StatusCode::SERVICE_UNAVAILABLE, Json(Health { status: "unavailable", database: "down" }))
                .into_response()
        }
    }
}

async fn metrics_text() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], prometheus().render())
}

/// Binds the listening address, with a clear error when it is taken.
pub async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))
}

/// Serves the application on `listener` until `shutdown` completes, then drains requests.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    prometheus();
    let db = state.db.clone();
    let sweeper = tokio::spawn(async move {
        loop {
            let now = crate::clock::now();
            if let Err(e) = org::store::delete_expired_sessions(&db, now - session::IDLE, now - session::ABSOLUTE).await
            {
                tracing::warn!(error = %e, "could not remove expired sessions");
            }
            if let Err(e) = hazard::actions::sweep(&db, now).await {
                tracing::warn!(error = %e, "could not escalate overdue hazards");
            }
            tokio::time::sleep(Duration::from_mins(5)).await;
        }
    });
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    let served = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
    sweeper.abort();
    served.context("server error")
}

/// Completes on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
    tracing::info!("shutting down: finishing requests in flight");
}
