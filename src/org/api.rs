//! JSON API for regions, units, users, API tokens and the current session, under `/api/v1`.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::actions::{self, NewUnit, NewUser, UserChange};
use super::caller::Principal;
use super::store::{self, ApiToken, Region, Unit, UnitFilter, User, UserFilter};
use super::{Permission, Role, UnitKind};
use crate::web::AppState;
use crate::web::extract::{Json, Path, Query};
use crate::{Error, Result};

/// The signed-in user and what they may do.
#[derive(Serialize, ToSchema)]
pub struct SessionInfo {
    /// The account.
    pub user: User,
    /// The region subtree the account works in.
    pub scope: String,
    /// What the role allows.
    pub permissions: Vec<&'static str>,
}

/// The current session.
#[utoipa::path(get, path = "/api/v1/session", tag = "session", responses((status = 200, body = SessionInfo), (status = 401, body = crate::error::Problem)))]
async fn session(me: Principal) -> axum::Json<SessionInfo> {
    let perms = [
        (Permission::ViewUnits, "view_units"),
        (Permission::ManageUnits, "manage_units"),
        (Permission::ViewUsers, "view_users"),
        (Permission::ManageUsers, "manage_users"),
        (Permission::ViewAudit, "view_audit"),
    ];
    axum::Json(SessionInfo {
        scope: me.scope.path().to_owned(),
        permissions: perms.iter().filter(|(p, _)| me.role.can(*p)).map(|(_, n)| *n).collect(),
        user: me.user,
    })
}

/// Region list parameters.
#[derive(Deserialize, IntoParams)]
pub struct RegionQuery {
    /// Subdivisions of this region (default: the top of your area).
    parent: Option<String>,
    /// Search by Chinese name, pinyin or pinyin initials instead.
    q: Option<String>,
}

/// Regions within your area: the subdivisions of one, or a search.
#[utoipa::path(get, path = "/api/v1/regions", tag = "regions", params(RegionQuery), responses((status = 200, body = Vec<Region>)))]
async fn list_regions(
    State(s): State<AppState>,
    me: Principal,
    Query(q): Query<RegionQuery>,
) -> Result<axum::Json<Vec<Region>>> {
    regions_within(&s, &me.scope, q).await.map(axum::Json)
}

/// Regions of the province, for the place pickers of the public forms: the subdivisions of one,
/// or a search.
#[utoipa::path(get, path = "/api/v1/public/regions", tag = "public", params(RegionQuery), responses((status = 200, body = Vec<Region>)))]
async fn public_regions(State(s): State<AppState>, Query(q): Query<RegionQuery>) -> Result<axum::Json<Vec<Region>>> {
    regions_within(&s, &super::Scope::province(), q).await.map(axum::Json)
}

async fn regions_within(s: &AppState, scope: &super::Scope, q: RegionQuery) -> Result<Vec<Region>> {
    if let Some(needle) = q.q.as_deref().filter(|n| !n.trim().is_empty()) {
        return store::search_regions(&s.db, scope, needle, 200).await;
    }
    let Some(parent) = q.parent else {
        return Ok(vec![store::scope_root(&s.db, scope).await?]);
    };
    super::RegionCode::parse(&parent).map_err(|_| Error::invalid("parent", "error.region_code_digits"))?;
    store::region(&s.db, scope, &parent).await?;
    store::region_children(&s.db, scope, &parent).await
}

/// One region within your area.
#[utoipa::path(get, path = "/api/v1/regions/{code}", tag = "regions", params(("code" = String, Path)), responses((status = 200, body = Region), (status = 404, body = crate::error::Problem)))]
async fn get_region(State(s): State<AppState>, me: Principal, Path(code): Path<String>) -> Result<axum::Json<Region>> {
    Ok(axum::Json(store::region(&s.db, &me.scope, &code).await?))
}

/// Unit list parameters.
#[derive(Deserialize, IntoParams)]
pub struct UnitQuery {
    /// Only this kind.
    #[param(value_type = Option<super::UnitKind>)]
    kind: Option<String>,
    /// Name contains.
    q: Option<String>,
    /// Only units directly under this one.
    parent_id: Option<i64>,
}

/// Units within your area.
#[utoipa::path(get, path = "/api/v1/units", tag = "units", params(UnitQuery), responses((status = 200, body = Vec<Unit>)))]
async fn list_units(
    State(s): State<AppState>,
    me: Principal,
    Query(q): Query<UnitQuery>,
) -> Result<axum::Json<Vec<Unit>>> {
    let kind = match q.kind.as_deref() {
        Some(k) => Some(UnitKind::parse(k).ok_or_else(|| Error::invalid("kind", "error.unit_kind"))?),
        None => None,
    };
    let filter = UnitFilter { kind, q: q.q, parent_id: q.parent_id };
    Ok(axum::Json(store::units(&s.db, &me.scope, &filter, 1000).await?))
}

/// One unit within your area.
#[utoipa::path(get, path = "/api/v1/units/{id}", tag = "units", params(("id" = i64, Path)), responses((status = 200, body = Unit), (status = 404, body = crate::error::Problem)))]
async fn get_unit(State(s): State<AppState>, me: Principal, Path(id): Path<i64>) -> Result<axum::Json<Unit>> {
    Ok(axum::Json(store::unit(&s.db, &me.scope, id).await?))
}

/// Makes a unit (admins).
#[utoipa::path(post, path = "/api/v1/units", tag = "units", request_body = NewUnit, responses((status = 201, body = Unit), (status = 422, body = crate::error::Problem)))]
async fn create_unit(
    State(s): State<AppState>,
    me: Principal,
    Json(input): Json<NewUnit>,
) -> Result<(StatusCode, axum::Json<Unit>)> {
    let id = actions::create_unit(&s.db, &me, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(store::unit(&s.db, &me.scope, id).await?)))
}

/// A unit's new name.
#[derive(Deserialize, ToSchema)]
pub struct UnitChange {
    /// New name.
    name: String,
}

/// Renames a unit (admins).
#[utoipa::path(patch, path = "/api/v1/units/{id}", tag = "units", params(("id" = i64, Path)), request_body = UnitChange, responses((status = 200, body = Unit), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
async fn update_unit(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Json(input): Json<UnitChange>,
) -> Result<axum::Json<Unit>> {
    actions::rename_unit(&s.db, &me, id, &input.name).await?;
    Ok(axum::Json(store::unit(&s.db, &me.scope, id).await?))
}

/// User list parameters.
#[derive(Deserialize, IntoParams)]
pub struct UserQuery {
    /// Only this role.
    #[param(value_type = Option<super::Role>)]
    role: Option<String>,
    /// Only this unit.
    unit_id: Option<i64>,
    /// Login or display name contains.
    q: Option<String>,
}

/// Users within your area.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(UserQuery), responses((status = 200, body = Vec<User>), (status = 403, body = crate::error::Problem)))]
async fn list_users(
    State(s): State<AppState>,
    me: Principal,
    Query(q): Query<UserQuery>,
) -> Result<axum::Json<Vec<User>>> {
    me.require(Permission::ViewUsers)?;
    let role = match q.role.as_deref() {
        Some(r) => Some(Role::parse(r).ok_or_else(|| Error::invalid("role", "error.role"))?),
        None => None,
    };
    let filter = UserFilter { role, unit_id: q.unit_id, q: q.q };
    Ok(axum::Json(store::users(&s.db, &me.scope, &filter, 1000).await?))
}

/// One user within your area.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path)), responses((status = 200, body = User), (status = 404, body = crate::error::Problem)))]
async fn get_user(State(s): State<AppState>, me: Principal, Path(id): Path<i64>) -> Result<axum::Json<User>> {
    me.require(Permission::ViewUsers)?;
    Ok(axum::Json(store::user(&s.db, &me.scope, id).await?))
}

/// Makes a user (admins).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUser, responses((status = 201, body = User), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
async fn create_user(
    State(s): State<AppState>,
    me: Principal,
    Json(input): Json<NewUser>,
) -> Result<(StatusCode, axum::Json<User>)> {
    let id = actions::create_user(&s.db, &me, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(store::user(&s.db, &me.scope, id).await?)))
}

/// Changes a user (admins).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path)), request_body = UserChange, responses((status = 200, body = User), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
async fn update_user(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Json(change): Json<UserChange>,
) -> Result<axum::Json<User>> {
    actions::update_user(&s.db, &me, id, &change).await?;
    Ok(axum::Json(store::user(&s.db, &me.scope, id).await?))
}

/// A new token's name.
#[derive(Deserialize, ToSchema)]
pub struct NewToken {
    /// What the token is for.
    name: String,
}

/// A new API token: shown this once, stored only hashed.
#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    /// Token id.
    id: i64,
    /// The token: send it as `Authorization: Bearer …`.
    token: String,
}

/// Makes an API token acting as a user (admins); it is scoped like its owner.
#[utoipa::path(post, path = "/api/v1/users/{id}/tokens", tag = "tokens", params(("id" = i64, Path)), request_body = NewToken, responses((status = 201, body = CreatedToken)))]
async fn create_token(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Json(input): Json<NewToken>,
) -> Result<(StatusCode, axum::Json<CreatedToken>)> {
    let (id, token) = actions::create_token(&s.db, &me, id, &input.name).await?;
    Ok((StatusCode::CREATED, axum::Json(CreatedToken { id, token })))
}

/// A user's API tokens (never the tokens themselves).
#[utoipa::path(get, path = "/api/v1/users/{id}/tokens", tag = "tokens", params(("id" = i64, Path)), responses((status = 200, body = Vec<ApiToken>)))]
async fn list_tokens(
    State(s): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
) -> Result<axum::Json<Vec<ApiToken>>> {
    me.require(Permission::ManageUsers)?;
    Ok(axum::Json(store::tokens(&s.db, &me.scope, id).await?))
}

/// Revokes an API token (admins).
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens", params(("id" = i64, Path)), responses((status = 204), (status = 404, body = crate::error::Problem)))]
async fn revoke_token(State(s): State<AppState>, me: Principal, Path(id): Path<i64>) -> Result<StatusCode> {
    actions::revoke_token(&s.db, &me, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The routes of this area.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(session))
        .routes(routes!(list_regions))
        .routes(routes!(public_regions))
        .routes(routes!(get_region))
        .routes(routes!(list_units, create_unit))
        .routes(routes!(get_unit, update_unit))
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
}
