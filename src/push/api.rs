//! The push area's JSON API.

use utoipa_axum::router::OpenApiRouter;

use crate::web::AppState;

/// The push area's API routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
