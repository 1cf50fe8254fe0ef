//! Our own static files (CSS, JS, icons), compiled in and served under `/static/`.

use axum::Router;
use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_embed::RustEmbed;

use super::AppState;
use crate::Error;

#[derive(RustEmbed)]
#[folder = "static/"]
struct Static;

async fn file(Path(path): Path<String>) -> Response {
    match Static::get(&path) {
        Some(f) => {
            let mime = mime_guess::from_path(&path).first_or_octet_stream();
            ([(header::CONTENT_TYPE, mime.as_ref()), (header::CACHE_CONTROL, "public, max-age=3600")], f.data)
                .into_response()
        }
        None => Error::NotFound.into_response(),
    }
}

/// `/static/{path}` and `/favicon.ico`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/static/{*path}", get(file))
        .route("/favicon.ico", get(|| file(Path("favicon.svg".to_owned()))))
}
