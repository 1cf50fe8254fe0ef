//! Pages: sign in and out, change password, the region tree, units, users and their API tokens.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::actions::{self, NewUnit, NewUser, UserChange};
use super::caller::{self, Principal, SignInError};
use super::picker::{self, RegionPicker, Spec};
use super::store::{self, ApiToken, Region, Unit, UnitFilter, User, UserFilter};
use super::{Permission, RegionKind, Role, UnitKind};
use crate::web::AppState;
use crate::web::extract::{Form, Path, Query, empty_as_none};
use crate::web::layout::{PageCtx, local_path};
use crate::web::session::{self, RequestCtx};
use crate::{Error, Result};

// ---- sign in, sign out, password ----

#[derive(Template, WebTemplate)]
#[template(path = "org/login.html")]
struct LoginPage {
    ctx: PageCtx,
    next: String,
    username: String,
    error: Option<&'static str>,
}

impl LoginPage {
    /// Who is signed in already, when someone is: signing in here replaces them.
    fn signed_in_as(&self) -> Option<String> {
        let me = self.ctx.user.as_ref()?;
        Some(self.ctx.fill("login.signed_in_as", &[&me.user.display_name, &me.user.unit_name]))
    }
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
}

async fn login_page(ctx: PageCtx, Query(q): Query<LoginQuery>) -> LoginPage {
    LoginPage { ctx, next: local_path(q.next.as_deref()), username: String::new(), error: None }
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    ctx: PageCtx,
    req: RequestCtx,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response> {
    let ua = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let next = local_path(f.next.as_deref());
    match caller::sign_in(&state.db, &f.username, &f.password, &req.ip, ua).await? {
        Ok(token) => {
            // Signing in as someone else ends the session this browser held.
            if let Some(before) = &req.principal {
                caller::sign_out(&state.db, before).await?;
            }
            let mut r = Redirect::to(&next).into_response();
            r.headers_mut()
                .append(header::SET_COOKIE, session::set_cookie(&state, session::SESSION_COOKIE, &token, None));
            Ok(r)
        }
        Err(e) => {
            let error = Some(match e {
                SignInError::Wrong => "login.wrong",
                SignInError::Locked => "login.locked",
            });
            let status = match e {
                SignInError::Wrong => axum::http::StatusCode::UNAUTHORIZED,
                SignInError::Locked => axum::http::StatusCode::TOO_MANY_REQUESTS,
            };
            Ok((status, LoginPage { ctx, next, username: f.username, error }).into_response())
        }
    }
}

async fn logout(State(state): State<AppState>, me: Principal) -> Result<Response> {
    caller::sign_out(&state.db, &me).await?;
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut().append(header::SET_COOKIE, session::set_cookie(&state, session::SESSION_COOKIE, "", Some(0)));
    Ok(r)
}

#[derive(Template, WebTemplate)]
#[template(path = "org/password.html")]
struct PasswordPage {
    ctx: PageCtx,
    error: Option<String>,
    done: bool,
}

async fn password_page(ctx: PageCtx, _me: Principal) -> PasswordPage {
    PasswordPage { ctx, error: None, done: false }
}

#[derive(Deserialize)]
struct PasswordForm {
    current: String,
    new: String,
    repeat: String,
}

async fn change_password(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Form(f): Form<PasswordForm>,
) -> Result<PasswordPage> {
    if f.new != f.repeat {
        return Ok(PasswordPage { error: Some(ctx.t("password.mismatch").to_owned()), ctx, done: false });
    }
    match actions::change_own_password(&state.db, &me, &f.current, &f.new).await {
        Ok(()) => Ok(PasswordPage { ctx, error: None, done: true }),
        Err(e @ Error::Invalid { .. }) => {
            let (_, message) = ctx.form_error(e, |_| None)?;
            Ok(PasswordPage { ctx, error: Some(message), done: false })
        }
        Err(e) => Err(e),
    }
}

// ---- regions ----

#[derive(Template, WebTemplate)]
#[template(path = "org/regions.html")]
struct RegionsPage {
    ctx: PageCtx,
    region: Region,
    trail: Vec<Region>,
    children: Vec<Region>,
    levels: Vec<store::LevelCount>,
    q: String,
    found: Option<Vec<Region>>,
}

#[derive(Deserialize)]
struct RegionQuery {
    q: Option<String>,
}

async fn regions_root(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    q: Query<RegionQuery>,
) -> Result<RegionsPage> {
    let root = store::scope_root(&state.db, &me.scope).await?;
    region_page(&state, ctx, &me, root, q.0).await
}

async fn region(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(code): Path<String>,
    q: Query<RegionQuery>,
) -> Result<RegionsPage> {
    let region = store::region(&state.db, &me.scope, &code).await?;
    region_page(&state, ctx, &me, region, q.0).await
}

async fn region_page(
    state: &AppState,
    ctx: PageCtx,
    me: &Principal,
    region: Region,
    q: RegionQuery,
) -> Result<RegionsPage> {
    let db = &state.db;
    let q = q.q.unwrap_or_default().trim().to_owned();
    let found = if q.is_empty() { None } else { Some(store::search_regions(db, &me.scope, &q, 100).await?) };
    Ok(RegionsPage {
        trail: store::region_ancestors(db, &me.scope, &region.path).await?,
        children: store::region_children(db, &me.scope, &region.code).await?,
        levels: store::region_level_counts(db, &me.scope, &region.path).await?,
        ctx,
        region,
        q,
        found,
    })
}

// ---- units ----

#[derive(Template, WebTemplate)]
#[template(path = "org/units.html")]
struct UnitsPage {
    ctx: PageCtx,
    units: Vec<Unit>,
    kind: String,
    q: String,
    kinds: &'static [UnitKind],
}

#[derive(Deserialize)]
struct UnitQuery {
    kind: Option<String>,
    q: Option<String>,
}

async fn units(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Query(q): Query<UnitQuery>,
) -> Result<UnitsPage> {
    let kind = q.kind.unwrap_or_default();
    let filter =
        UnitFilter { kind: UnitKind::parse(&kind), q: q.q.clone().filter(|s| !s.trim().is_empty()), parent_id: None };
    let units = store::units(&state.db, &me.scope, &filter, 500).await?;
    Ok(UnitsPage { ctx, units, kind, q: q.q.unwrap_or_default(), kinds: UnitKind::ALL })
}

#[derive(Template, WebTemplate)]
#[template(path = "org/unit.html")]
struct UnitPage {
    ctx: PageCtx,
    unit: Unit,
    children: Vec<Unit>,
    users: Vec<User>,
}

async fn unit(State(state): State<AppState>, ctx: PageCtx, me: Principal, Path(id): Path<i64>) -> Result<UnitPage> {
    let unit = store::unit(&state.db, &me.scope, id).await?;
    let children =
        store::units(&state.db, &me.scope, &UnitFilter { parent_id: Some(id), ..UnitFilter::default() }, 500).await?;
    let users = if me.role.can(Permission::ViewUsers) {
        store::users(&state.db, &me.scope, &UserFilter { unit_id: Some(id), ..UserFilter::default() }, 500).await?
    } else {
        Vec::new()
    };
    Ok(UnitPage { ctx, unit, children, users })
}

#[derive(Deserialize)]
struct RenameForm {
    name: String,
}

async fn rename_unit(
    State(state): State<AppState>,
    me: Principal,
    Path(id): Path<i64>,
    Form(f): Form<RenameForm>,
) -> Result<Redirect> {
    actions::rename_unit(&state.db, &me, id, &f.name).await?;
    Ok(Redirect::to(&format!("/units/{id}")))
}

#[derive(Template, WebTemplate)]
#[template(path = "org/unit_new.html")]
struct NewUnitPage {
    ctx: PageCtx,
    parents: Vec<Unit>,
    kinds: &'static [UnitKind],
    v: NewUnitForm,
    place: RegionPicker,
    error: Option<String>,
}

impl NewUnitPage {
    #[allow(clippy::trivially_copy_pass_by_ref)] // templates pass references
    fn is_parent(&self, id: &i64) -> bool {
        self.v.parent_id == Some(*id)
    }
}

/// A unit works in a region of the creator's area, the whole of it included.
const UNIT_REGION: Spec = Spec::required("region_code", 0, 4);

async fn unit_form(
    state: &AppState,
    ctx: PageCtx,
    me: &Principal,
    v: NewUnitForm,
    error: Option<String>,
) -> Result<NewUnitPage> {
    let parents = store::units(&state.db, &me.scope, &UnitFilter::default(), 1000).await?;
    let place = picker::build(&state.db, &me.scope, UNIT_REGION, v.region_code.trim(), false).await?;
    Ok(NewUnitPage { ctx, parents, kinds: UnitKind::ALL, v, place, error })
}

async fn new_unit_page(State(state): State<AppState>, ctx: PageCtx, me: Principal) -> Result<NewUnitPage> {
    me.require(Permission::ManageUnits)?;
    unit_form(&state, ctx, &me, NewUnitForm::default(), None).await
}

#[derive(Default, Deserialize)]
struct NewUnitForm {
    name: String,
    kind: String,
    region_code: String,
    #[serde(default, deserialize_with = "empty_as_none")]
    parent_id: Option<i64>,
}

async fn create_unit(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Form(f): Form<NewUnitForm>,
) -> Result<Response> {
    let input = NewUnit {
        name: f.name.clone(),
        kind: f.kind.clone(),
        region_code: f.region_code.clone(),
        parent_id: f.parent_id,
    };
    match actions::create_unit(&state.db, &me, &input).await {
        Ok(id) => Ok(Redirect::to(&format!("/units/{id}")).into_response()),
        Err(e) => {
            let (status, msg) = ctx.form_error(e, |_| None)?;
            Ok((status, unit_form(&state, ctx, &me, f, Some(msg)).await?).into_response())
        }
    }
}

// ---- users ----

#[derive(Template, WebTemplate)]
#[template(path = "org/users.html")]
struct UsersPage {
    ctx: PageCtx,
    users: Vec<User>,
    role: String,
    q: String,
    roles: &'static [Role],
}

#[derive(Deserialize)]
struct UserQuery {
    role: Option<String>,
    q: Option<String>,
}

async fn users(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Query(q): Query<UserQuery>,
) -> Result<UsersPage> {
    me.require(Permission::ViewUsers)?;
    let role = q.role.unwrap_or_default();
    let filter =
        UserFilter { role: Role::parse(&role), unit_id: None, q: q.q.clone().filter(|s| !s.trim().is_empty()) };
    let users = store::users(&state.db, &me.scope, &filter, 500).await?;
    Ok(UsersPage { ctx, users, role, q: q.q.unwrap_or_default(), roles: Role::ALL })
}

#[derive(Template, WebTemplate)]
#[template(path = "org/user.html")]
struct UserPage {
    ctx: PageCtx,
    user: User,
    units: Vec<Unit>,
    roles: &'static [Role],
    tokens: Vec<ApiToken>,
    new_token: Option<String>,
    error: Option<String>,
    notice: Option<&'static str>,
}

async fn user_page(
    state: &AppState,
    ctx: PageCtx,
    me: &Principal,
    id: i64,
    new_token: Option<String>,
    error: Option<String>,
    notice: Option<&'static str>,
) -> Result<UserPage> {
    me.require(Permission::ViewUsers)?;
    let user = store::user(&state.db, &me.scope, id).await?;
    let (units, tokens) = if me.role.can(Permission::ManageUsers) {
        (
            store::units(&state.db, &me.scope, &UnitFilter::default(), 1000).await?,
            store::tokens(&state.db, &me.scope, id).await?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    Ok(UserPage { ctx, user, units, roles: Role::ALL, tokens, new_token, error, notice })
}

async fn user(State(state): State<AppState>, ctx: PageCtx, me: Principal, Path(id): Path<i64>) -> Result<UserPage> {
    user_page(&state, ctx, &me, id, None, None, None).await
}

#[derive(Deserialize)]
struct UserForm {
    display_name: String,
    role: String,
    unit_id: i64,
    #[serde(default)]
    disabled: Option<String>,
}

/// Re-shows the user page with an input error, or passes other errors on.
async fn user_outcome(
    state: &AppState,
    ctx: PageCtx,
    me: &Principal,
    id: i64,
    result: Result<()>,
    notice: &'static str,
) -> Result<Response> {
    match result {
        Ok(()) => Ok(user_page(state, ctx, me, id, None, None, Some(notice)).await?.into_response()),
        Err(e) => {
            let (status, msg) = ctx.form_error(e, |_| None)?;
            Ok((status, user_page(state, ctx, me, id, None, Some(msg), None).await?).into_response())
        }
    }
}

async fn update_user(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
    Form(f): Form<UserForm>,
) -> Result<Response> {
    let change = UserChange {
        display_name: Some(f.display_name),
        role: Some(f.role),
        unit_id: Some(f.unit_id),
        disabled: Some(f.disabled.is_some()),
    };
    let result = actions::update_user(&state.db, &me, id, &change).await;
    user_outcome(&state, ctx, &me, id, result, "user.saved").await
}

#[derive(Deserialize)]
struct ResetForm {
    password: String,
}

async fn reset_password(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
    Form(f): Form<ResetForm>,
) -> Result<Response> {
    let result = actions::reset_password(&state.db, &me, id, &f.password).await;
    user_outcome(&state, ctx, &me, id, result, "user.password_set").await
}

#[derive(Deserialize)]
struct TokenForm {
    name: String,
}

async fn create_token(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Path(id): Path<i64>,
    Form(f): Form<TokenForm>,
) -> Result<Response> {
    match actions::create_token(&state.db, &me, id, &f.name).await {
        Ok((_, token)) => Ok(user_page(&state, ctx, &me, id, Some(token), None, None).await?.into_response()),
        Err(e) => user_outcome(&state, ctx, &me, id, Err(e), "").await,
    }
}

async fn revoke_token(State(state): State<AppState>, me: Principal, Path(id): Path<i64>) -> Result<Redirect> {
    let owner = actions::revoke_token(&state.db, &me, id).await?;
    Ok(Redirect::to(&format!("/users/{owner}")))
}

#[derive(Template, WebTemplate)]
#[template(path = "org/user_new.html")]
struct NewUserPage {
    ctx: PageCtx,
    units: Vec<Unit>,
    roles: &'static [Role],
    error: Option<String>,
}

async fn new_user_page(State(state): State<AppState>, ctx: PageCtx, me: Principal) -> Result<NewUserPage> {
    me.require(Permission::ManageUsers)?;
    let units = store::units(&state.db, &me.scope, &UnitFilter::default(), 1000).await?;
    Ok(NewUserPage { ctx, units, roles: Role::ALL, error: None })
}

#[derive(Deserialize)]
struct NewUserForm {
    username: String,
    display_name: String,
    role: String,
    unit_id: i64,
    password: String,
}

async fn create_user(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: Principal,
    Form(f): Form<NewUserForm>,
) -> Result<Response> {
    let input = NewUser {
        username: f.username,
        display_name: f.display_name,
        role: f.role,
        unit_id: f.unit_id,
        password: f.password,
    };
    match actions::create_user(&state.db, &me, &input).await {
        Ok(id) => Ok(Redirect::to(&format!("/users/{id}")).into_response()),
        Err(e) => {
            let (status, msg) = ctx.form_error(e, |_| None)?;
            let units = store::units(&state.db, &me.scope, &UnitFilter::default(), 1000).await?;
            Ok((status, NewUserPage { ctx, units, roles: Role::ALL, error: Some(msg) }).into_response())
        }
    }
}

/// The routes of this area's pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/account/password", get(password_page).post(change_password))
        .route("/regions", get(regions_root))
        .route("/regions/{code}", get(region))
        .route("/units", get(units).post(create_unit))
        .route("/units/new", get(new_unit_page))
        .route("/units/{id}", get(unit).post(rename_unit))
        .route("/users", get(users).post(create_user))
        .route("/users/new", get(new_user_page))
        .route("/users/{id}", get(user).post(update_user))
        .route("/users/{id}/password", post(reset_password))
        .route("/users/{id}/tokens", post(create_token))
        .route("/tokens/{id}/revoke", post(revoke_token))
}
