//! The HTTP toolkit every area's handlers are written with: the shared [`AppState`], extractors whose
//! errors name the field, sessions and CSRF, the page shell and its languages, the embedded assets,
//! and the request-id and metrics middleware. It imports no area: `app` assembles the application.

pub mod assets;
pub mod extract;
pub mod i18n;
pub mod layout;
pub mod session;

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::header;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::config::Config;
use crate::db::Db;
use crate::org;
use crate::personal::DataKey;

/// The largest request body: a 20 MiB spreadsheet or a 10 MB photo with room for the form around
/// it. Each reader checks its own, smaller limit.
pub const BODY_LIMIT: usize = 25 * 1024 * 1024;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub db: Db,
    /// The configuration.
    pub config: Arc<Config>,
    /// The key that seals personal data.
    pub key: Arc<DataKey>,
}

impl AppState {
    /// State over a database with a config and the data key.
    pub fn new(db: Db, config: Config, key: DataKey) -> Self {
        Self { db, config: Arc::new(config), key: Arc::new(key) }
    }
}

/// Gives the request an id (the caller's `x-request-id` when it is short and plain, else a new
/// one), runs it under that id (see [`crate::error::request_id`]) and echoes the id.
pub async fn with_request_id(req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .map_or_else(|| org::new_secret()[..12].to_owned(), str::to_owned);
    let mut response = crate::error::with_request_id(id.clone(), next.run(req)).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HeaderName::from_static("x-request-id"), v);
    }
    response
}

/// The Prometheus recorder, installed once per process.
pub fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        PrometheusBuilder::new()
            .install_recorder()
            .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder().handle())
    })
}

/// Counts requests and their durations by method, matched route and status.
pub async fn track_metrics(req: Request, next: Next) -> Response {
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

/// A file to download: its type (`application/octet-stream` when unknown) and a name that every
/// browser keeps (an ASCII `filename`, and the full name in `filename*`).
pub fn download(filename: &str, content_type: &str, bytes: Vec<u8>) -> Response {
    let safe: String = filename.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')).collect();
    let safe = if safe.trim_matches('.').is_empty() { "download".to_owned() } else { safe };
    let encoded: String = form_urlencoded::byte_serialize(filename.as_bytes()).collect();
    let disposition = format!("attachment; filename=\"{safe}\"; filename*=UTF-8''{encoded}");
    let content_type = if content_type.is_empty() { "application/octet-stream" } else { content_type };
    ([(header::CONTENT_TYPE, content_type.to_owned()), (header::CONTENT_DISPOSITION, disposition)], bytes)
        .into_response()
}
