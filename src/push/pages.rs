//! The push area's staff pages.

use axum::Router;

use crate::web::AppState;

/// The push area's staff pages.
pub fn router() -> Router<AppState> {
    Router::new()
}
