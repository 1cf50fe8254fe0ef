//! JSON API of what waits for the caller, under `/api/v1/home`: the home page's to-do list, for
//! the header's count and for workbench apps.

use axum::extract::State;
use axum::http::HeaderMap;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::waiting::waiting;
use crate::i18n::Lang;
use crate::org::caller::Principal;
use crate::report::overview;
use crate::web::AppState;
use crate::{Result, clock};

/// One kind of work waiting.
#[derive(Serialize, ToSchema)]
pub struct TodoItem {
    /// What waits, in the language of `Accept-Language` (Chinese without it).
    pub what: String,
    /// How many.
    pub count: i64,
    /// The page that lists them.
    pub link: String,
    /// Some are past their deadline.
    pub late: bool,
}

/// Everything waiting for the caller.
#[derive(Serialize, ToSchema)]
pub struct Todo {
    /// All items together.
    pub total: i64,
    /// Each kind with something waiting.
    pub items: Vec<TodoItem>,
}

/// What waits for you: pushes to sign or pass on, records to review or fix, hazards, duties and
/// today's events.
#[utoipa::path(get, path = "/api/v1/home/waiting", tag = "session", responses((status = 200, body = Todo), (status = 401, body = crate::error::Problem)))]
async fn get_waiting(State(s): State<AppState>, me: Principal, headers: HeaderMap) -> Result<axum::Json<Todo>> {
    let lang = Lang::from_accept_language(&headers).unwrap_or_default();
    let duties = overview::unit_duties(&s.db, me.user.unit_id, clock::today()).await?;
    let items: Vec<TodoItem> = waiting(&s.db, &me, &duties)
        .await?
        .into_iter()
        .map(|w| TodoItem { what: lang.t(w.key).to_owned(), count: w.count, link: w.link, late: w.late })
        .collect();
    Ok(axum::Json(Todo { total: items.iter().map(|i| i.count).sum(), items }))
}

/// The routes of this area.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_waiting))
}
