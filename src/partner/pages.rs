//! The staff page of partner keys: each key's partner, scopes and last use (live keys first), the
//! form that issues one and shows it once, and revoking a key.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::store::{self, PartnerKey};
use super::{KeyScope, actions, read_scopes};
use crate::org::caller::Principal;
use crate::org::store::{Unit, UnitFilter};
use crate::org::{self, UnitKind};
use crate::web::AppState;
use crate::web::extract::{Fields, Path};
use crate::web::layout::PageCtx;
use crate::{Error, Result};

#[derive(Template, WebTemplate)]
#[template(path = "partner/list.html")]
struct PartnersPage {
    ctx: PageCtx,
    keys: Vec<PartnerKey>,
    /// Partner units of the caller's area.
    partners: Vec<Unit>,
    /// A new key, shown once.
    key: Option<String>,
    notice: Option<String>,
}

impl PartnersPage {
    fn scopes(&self) -> &'static [KeyScope] {
        KeyScope::ALL
    }
    fn scope_names(&self, k: &PartnerKey) -> String {
        read_scopes(&k.scopes).iter().map(|s| self.ctx.tv("partner_scope", s)).collect::<Vec<_>>().join("、")
    }
}

async fn page(
    state: &AppState,
    ctx: PageCtx,
    me: &Principal,
    key: Option<String>,
    notice: Option<String>,
) -> Result<PartnersPage> {
    if !me.role.is_fire_staff() {
        return Err(Error::Forbidden);
    }
    let keys = store::keys(&state.db, &me.scope).await?;
    let filter = UnitFilter { kind: Some(UnitKind::Partner), ..Default::default() };
    let partners = org::store::units(&state.db, &me.scope, &filter, 500).await?;
    Ok(PartnersPage { ctx, keys, partners, key, notice })
}

async fn list(State(state): State<AppState>, ctx: PageCtx, me: Principal) -> Result<PartnersPage> {
    page(&state, ctx, &me, None, None).await
}

/// Issues a key from the form: a partner unit, what the key is for, and its scopes (a checkbox
/// each, all named `scopes`).
async fn create(State(state): State<AppState>, ctx: PageCtx, me: Principal, f: Fields) -> Result<Response> {
    let scopes: Vec<KeyScope> = f.all("scopes").iter().filter_map(|s| KeyScope::parse(s)).collect();
    let unit_id = f.get("unit_id").parse().unwrap_or(-1);
    match actions::issue(&state.db, &me, unit_id, &f.get("name"), &scopes).await {
        Ok(key) => Ok(page(&state, ctx, &me, Some(key), None).await?.into_response()),
        Err(e) => {
            let (status, message) = ctx.form_error(e, |field| Some(ctx.t(&format!("partner.field.{field}"))))?;
            Ok((status, page(&state, ctx, &me, None, Some(message)).await?).into_response())
        }
    }
}

async fn revoke(State(state): State<AppState>, ctx: PageCtx, me: Principal, Path(id): Path<i64>) -> Result<Response> {
    actions::revoke(&state.db, &me, id).await?;
    let notice = ctx.t("partner.revoked").to_owned();
    Ok(page(&state, ctx, &me, None, Some(notice)).await?.into_response())
}

/// The staff routes of partner keys.
pub fn router() -> Router<AppState> {
    Router::new().route("/partners", get(list).post(create)).route("/partners/{id}/revoke", post(revoke))
}
