//! `/`: the home page.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::routing::get;

use super::waiting::{Waiting, waiting};
use crate::campaign::store::{self as campaigns, Metric};
use crate::org::caller::Principal;
use crate::org::store;
use crate::report::overview::{self, DutyProgress};
use crate::web::AppState;
use crate::web::layout::PageCtx;
use crate::{Result, clock};

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
struct HomePage {
    ctx: PageCtx,
    root: store::Region,
    levels: Vec<store::LevelCount>,
    units: usize,
    duties: Vec<DutyProgress>,
    metrics: Vec<Metric>,
    waiting: Vec<Waiting>,
}

impl HomePage {
    fn welcome(&self, me: &Principal) -> String {
        self.ctx.fill("home.welcome", &[&me.user.display_name])
    }
}

/// The home page, or for a visitor who is not signed in the resident's home.
async fn home(State(state): State<AppState>, ctx: PageCtx) -> Result<axum::response::Response> {
    use axum::response::IntoResponse as _;
    let Some(me) = ctx.user.clone() else { return Ok(axum::response::Redirect::to("/p/").into_response()) };
    Ok(staff_home(&state, ctx, &me).await?.into_response())
}

async fn staff_home(state: &AppState, ctx: PageCtx, me: &Principal) -> Result<HomePage> {
    let root = store::scope_root(&state.db, &me.scope).await?;
    let levels = store::region_level_counts(&state.db, &me.scope, &root.path).await?;
    let units = store::units(&state.db, &me.scope, &store::UnitFilter::default(), 10_000).await?.len();
    let duties = overview::unit_duties(&state.db, me.user.unit_id, clock::today()).await?;
    let metrics = campaigns::metrics(&state.db).await?;
    let waiting = waiting(&state.db, me, &duties).await?;
    Ok(HomePage { ctx, root, levels, units, duties, metrics, waiting })
}

/// The home page.
pub fn router() -> Router<AppState> {
    Router::new().route("/", get(home))
}
