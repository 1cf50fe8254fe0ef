//! The staff page of screens: the register (each screen's place, kind, character limit and when
//! it last pulled, silent ones first and marked), the form that adds one and shows its key once,
//! and revoking a key.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::store::{self, NewScreen, Screen};
use super::{KEY_PREFIX, Kind, SILENT_AFTER};
use crate::org::caller::Principal;
use crate::org::picker::{self, RegionPicker, Spec};
use crate::org::{self, parse_name};
use crate::web::AppState;
use crate::web::extract::{Form, Path};
use crate::web::layout::PageCtx;
use crate::{Error, Result, clock};

/// Where a screen stands: any region of the area.
const PLACE: Spec = Spec::required("region_code", 0, 4);

#[derive(Template, WebTemplate)]
#[template(path = "screen/list.html")]
struct ScreensPage {
    ctx: PageCtx,
    screens: Vec<Screen>,
    place: RegionPicker,
    /// A new screen's key and its pull addresses, shown once.
    key: Option<(String, String)>,
    notice: Option<String>,
}

impl ScreensPage {
    fn kinds(&self) -> &'static [Kind] {
        Kind::ALL
    }
    fn silent(&self, s: &Screen) -> bool {
        s.revoked_at.is_none() && s.pulled_at.is_none_or(|t| clock::now() - t > SILENT_AFTER)
    }
}

async fn page(
    state: &AppState,
    ctx: PageCtx,
    me: &Principal,
    key: Option<(String, String)>,
    notice: Option<String>,
) -> Result<ScreensPage> {
    if !me.role.is_fire_staff() {
        return Err(Error::Forbidden);
    }
    let screens = store::screens(&state.db, &me.scope).await?;
    let place = picker::build(&state.db, &me.scope, PLACE, "", false).await?;
    Ok(ScreensPage { ctx, screens, place, key, notice })
}

async fn list(State(state): State<AppState>, ctx: PageCtx, me: Principal) -> Result<ScreensPage> {
    page(&state, ctx, &me, None, None).await
}

#[derive(Debug, Deserialize)]
struct ScreenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    region_code: String,
    #[serde(default)]
    chars: String,
}

/// Adds a screen of the caller's unit in a region of their area; returns its key.
async fn add(state: &AppState, me: &Principal, f: &ScreenForm) -> Result<String> {
    let r = async {
        if !me.role.is_fire_staff() {
            return Err(Error::Forbidden);
        }
        let name = parse_name("name", &f.name)?;
        let kind = Kind::parse(&f.kind).ok_or_else(|| Error::invalid("kind", "error.screen_kind"))?;
        let region = match org::RegionCode::parse(&f.region_code) {
            Ok(code) => org::store::region(&state.db, &me.scope, code.as_str()).await.ok(),
            Err(_) => None,
        }
        .ok_or_else(|| {
            Error::invalid("region_code", crate::i18n::keyed("error.event_region_outside", &[f.region_code.trim()]))
        })?;
        let chars = match f.chars.trim() {
            "" => kind.default_chars(),
            n => n
                .parse::<i64>()
                .ok()
                .filter(|n| (4..=500).contains(n))
                .ok_or_else(|| Error::invalid("chars", "error.screen_chars"))?,
        };
        let key = format!("{KEY_PREFIX}{}", org::new_secret());
        let hint = key[key.len() - 4..].to_owned();
        let s = NewScreen {
            unit: (me.user.unit_id, me.user.region_path.clone()),
            region: (region.code, region.path),
            what: (name, kind, chars),
            key: (org::hash_secret(&key), hint),
            created_by: me.user.id,
        };
        store::insert(&state.db, &s, clock::now()).await?;
        Ok(key)
    }
    .await;
    me.audited(&state.db, "screen.create", ("unit", &me.user.unit_id.to_string()), r).await
}

async fn create(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Form(f): Form<ScreenForm>,
) -> Result<Response> {
    match add(&state, &me, &f).await {
        Ok(key) => {
            let url = format!("{}/feeds/screen.txt?key={key}", state.config.base_url());
            Ok(page(&state, ctx, &me, Some((key, url)), None).await?.into_response())
        }
        Err(e) => {
            let (status, message) = ctx.form_error(e, |field| Some(ctx.t(&format!("screen.field.{field}"))))?;
            Ok((status, page(&state, ctx, &me, None, Some(message)).await?).into_response())
        }
    }
}

async fn revoke(State(state): State<AppState>, ctx: PageCtx, me: Principal, Path(id): Path<i64>) -> Result<Response> {
    let r = async {
        if !me.role.is_fire_staff() {
            return Err(Error::Forbidden);
        }
        store::screen(&state.db, &me.scope, id).await?;
        store::revoke(&state.db, id, clock::now()).await
    }
    .await;
    me.audited(&state.db, "screen.revoke", ("screen", &id.to_string()), r).await?;
    let notice = ctx.t("screen.revoked").to_owned();
    Ok(page(&state, ctx, &me, None, Some(notice)).await?.into_response())
}

/// The staff routes of screens.
pub fn router() -> Router<AppState> {
    Router::new().route("/screens", get(list).post(create)).route("/screens/{id}/revoke", post(revoke))
}
