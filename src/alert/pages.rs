//! Staff pages of warnings: the list with the form that composes one, and a warning (its texts and
//! area, signing off and calling off, the CAP documents once published).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::actions::{self, AlertInput};
use super::store::{self, Alert};
use super::{Certainty, Kind, Severity, State as AlertState, Urgency, may_issue};
use crate::org::caller::Principal;
use crate::org::picker::{self, RegionPicker, Spec};
use crate::web::AppState;
use crate::web::extract::{Form, Path};
use crate::web::layout::PageCtx;
use crate::{Error, Result, clock};

/// The area a warning from the form covers: one region of the caller's area (the API takes several).
const AREA: Spec = Spec::required("region_codes", 0, 4);

fn field_label(ctx: &PageCtx, field: &str) -> &'static str {
    ctx.t(&format!("alert.field.{field}"))
}

#[derive(Template, WebTemplate)]
#[template(path = "alert/list.html")]
struct ListPage {
    ctx: PageCtx,
    alerts: Vec<Alert>,
    place: RegionPicker,
    v: AlertInput,
    error: Option<String>,
}

impl ListPage {
    fn kinds(&self) -> &'static [Kind] {
        Kind::ALL
    }
    fn severities(&self) -> &'static [Severity] {
        Severity::ALL
    }
    fn urgencies(&self) -> &'static [Urgency] {
        Urgency::ALL
    }
    fn certainties(&self) -> &'static [Certainty] {
        Certainty::ALL
    }
}

async fn list_page(
    state: &AppState,
    ctx: PageCtx,
    me: &Principal,
    v: AlertInput,
    error: Option<String>,
) -> Result<ListPage> {
    if !may_issue(me.role) {
        return Err(Error::Forbidden);
    }
    let place = picker::build(&state.db, &me.scope, AREA, v.region_codes.trim(), false).await?;
    Ok(ListPage { ctx, alerts: store::alerts(&state.db, &me.scope, 200).await?, place, v, error })
}

async fn list(State(state): State<AppState>, ctx: PageCtx, me: Principal) -> Result<ListPage> {
    let now = clock::now();
    let v = AlertInput {
        kind: Kind::Heating.as_str().to_owned(),
        severity: Severity::Moderate.as_str().to_owned(),
        urgency: Urgency::Expected.as_str().to_owned(),
        certainty: Certainty::Likely.as_str().to_owned(),
        effective_at: clock::local_input(now),
        expires_at: clock::local_input(now + time::Duration::days(3)),
        ..AlertInput::default()
    };
    list_page(&state, ctx, &me, v, None).await
}

async fn create(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Form(v): Form<AlertInput>,
) -> Result<Response> {
    match actions::create(&state.db, &me, &v, &state.config.cap_sector_code).await {
        Ok(id) => Ok(Redirect::to(&format!("/alerts/{id}")).into_response()),
        Err(e) => {
            let (status, message) = ctx.form_error(e, |f| Some(field_label(&ctx, f)))?;
            Ok((status, list_page(&state, ctx, &me, v, Some(message)).await?).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "alert/view.html")]
struct AlertPage {
    ctx: PageCtx,
    alert: Alert,
    mine: bool,
    notice: Option<String>,
}

impl AlertPage {
    fn draft(&self) -> bool {
        self.alert.state == AlertState::Draft
    }
    fn published(&self) -> bool {
        self.alert.state == AlertState::Published
    }
}

async fn alert_page(
    state: &AppState,
    ctx: PageCtx,
    me: &Principal,
    id: i64,
    notice: Option<String>,
) -> Result<AlertPage> {
    let alert = actions::issued_by(&state.db, me, id).await?;
    let mine = alert.created_by == me.user.id;
    Ok(AlertPage { ctx, alert, mine, notice })
}

async fn alert(State(state): State<AppState>, ctx: PageCtx, me: Principal, Path(id): Path<i64>) -> Result<AlertPage> {
    alert_page(&state, ctx, &me, id, None).await
}

async fn after(state: &AppState, ctx: PageCtx, me: &Principal, id: i64, r: Result<String>) -> Result<Response> {
    match r {
        Ok(notice) => Ok(alert_page(state, ctx, me, id, Some(notice)).await?.into_response()),
        Err(e) => {
            let (status, message) = ctx.form_error(e, |f| Some(field_label(&ctx, f)))?;
            Ok((status, alert_page(state, ctx, me, id, Some(message)).await?).into_response())
        }
    }
}

async fn sign_off(State(state): State<AppState>, ctx: PageCtx, me: Principal, Path(id): Path<i64>) -> Result<Response> {
    let r = actions::sign_off(&state.db, &me, id).await.map(|i| ctx.fill("alert.signed_off", &[&i]));
    after(&state, ctx, &me, id, r).await
}

async fn call_off(State(state): State<AppState>, ctx: PageCtx, me: Principal, Path(id): Path<i64>) -> Result<Response> {
    let r = actions::call_off(&state.db, &me, id).await.map(|i| ctx.fill("alert.called_off", &[&i]));
    after(&state, ctx, &me, id, r).await
}

/// The staff routes of warnings.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/alerts", get(list).post(create))
        .route("/alerts/{id}", get(alert))
        .route("/alerts/{id}/sign-off", post(sign_off))
        .route("/alerts/{id}/cancel", post(call_off))
}
