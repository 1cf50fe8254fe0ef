//! The residents' pages: subscribe, inbox, unsubscribe.

use axum::Router;

use crate::web::AppState;

/// The residents' pages.
pub fn router() -> Router<AppState> {
    Router::new()
}
