//! The audit log page: filter and page through records within the admin's area.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::routing::get;

use super::queries::AuditQuery;
use super::store::{self, Record};
use crate::Result;
use crate::org::Permission;
use crate::org::caller::Principal;
use crate::web::AppState;
use crate::web::extract::Query;
use crate::web::layout::PageCtx;

const PAGE: i64 = 100;

#[derive(Template, WebTemplate)]
#[template(path = "audit/list.html")]
struct AuditPage {
    ctx: PageCtx,
    records: Vec<Record>,
    action: String,
    actor: String,
    outcome: String,
    older: Option<String>,
}

impl AuditPage {
    /// What it was done to: the kind as the reader's language names it, and its number.
    fn object(&self, r: &Record) -> String {
        format!("{} {}", self.ctx.tv("audit_object", &r.object_kind), r.object_id)
    }

    /// What was done, as the reader's language names it.
    fn action_name(&self, action: &str) -> &'static str {
        self.ctx.tv("audit_action", action)
    }
}

async fn list(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Query(q): Query<AuditQuery>,
) -> Result<AuditPage> {
    me.require(Permission::ViewAudit)?;
    let records = store::list(&state.db, &me.scope, &q.filter()?, PAGE).await?;
    let action = q.action.unwrap_or_default();
    let actor = q.actor.unwrap_or_default();
    let outcome = q.outcome.unwrap_or_default();
    let older = (records.len() == usize::try_from(PAGE).unwrap_or(usize::MAX)).then(|| {
        let last = records.last().map_or(0, |r| r.id);
        let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        format!("/audit?action={}&actor={}&outcome={}&before_id={last}", enc(&action), enc(&actor), enc(&outcome))
    });
    Ok(AuditPage { ctx, records, action, actor, outcome, older })
}

/// The routes of this area's pages.
pub fn router() -> Router<AppState> {
    Router::new().route("/audit", get(list))
}
