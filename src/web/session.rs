//! Sessions and API tokens, CSRF, and who is asking. The `authenticate` middleware resolves the
//! caller once per request (session cookie or `Authorization: Bearer` token), checks the CSRF token
//! of every state-changing request made with cookies, and leaves a [`RequestCtx`] for handlers.

use std::fmt::Write as _;
use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, OptionalFromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use time::Duration;

use super::AppState;
use crate::audit::{self, Actor, Outcome};
use crate::org::{self, Permission, Role, Scope, store};
use crate::{Error, Result, clock};

/// The session cookie.
pub const SESSION_COOKIE: &str = "fc_session";
/// The CSRF cookie used before signing in (double-submit).
pub const CSRF_COOKIE: &str = "fc_csrf";
/// A session ends after this long without a request.
pub const IDLE: Duration = Duration::minutes(30);
/// A session ends this long after sign-in, however busy.
pub const ABSOLUTE: Duration = Duration::hours(12);
/// Failed logins for one name within [`LOCK_WINDOW`] that lock it.
pub const MAX_FAILURES_PER_NAME: i64 = 5;
/// Failed logins from one address within [`LOCK_WINDOW`] that lock it.
pub const MAX_FAILURES_PER_IP: i64 = 30;
/// How far back failures count.
pub const LOCK_WINDOW: Duration = Duration::minutes(15);

/// A signed-in user, with the scope every query takes.
#[derive(Clone, Debug)]
pub struct Principal {
    /// The account.
    pub user: store::User,
    /// Its role.
    pub role: Role,
    /// Its scope: the region subtree of its unit.
    pub scope: Scope,
    /// Client address.
    pub ip: String,
    session_hash: Option<String>,
}

impl Principal {
    fn new(user: store::User, ip: &str, session_hash: Option<String>) -> Option<Self> {
        let role = Role::parse(&user.role)?;
        let scope = Scope::under(&user.region_path);
        Some(Self { user, role, scope, ip: ip.to_owned(), session_hash })
    }

    /// A principal for work done at the command line on behalf of a user.
    pub fn acting_as(user: store::User, ip: &str) -> Option<Self> {
        Self::new(user, ip, None)
    }

    /// Refuses unless the role has `p`.
    pub fn require(&self, p: Permission) -> Result<()> {
        if self.role.can(p) { Ok(()) } else { Err(Error::Forbidden) }
    }

    /// The principal as the actor of an audit record.
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: Some(self.user.id),
            name: self.user.username.clone(),
            ip: self.ip.clone(),
            region_path: self.user.region_path.clone(),
        }
    }

    /// The hash of the session token, when signed in through a session.
    pub fn session_hash(&self) -> Option<&str> {
        self.session_hash.as_deref()
    }
}

/// What `authenticate` learnt about the request.
#[derive(Clone, Debug)]
pub struct RequestCtx {
    /// Client address.
    pub ip: String,
    /// The signed-in user, if any.
    pub principal: Option<Principal>,
    /// The CSRF token forms on this page must carry.
    pub csrf: String,
}

impl<S: Send + Sync> FromRequestParts<S> for RequestCtx {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self> {
        parts.extensions.get::<Self>().cloned().ok_or_else(|| Error::Internal(anyhow::anyhow!("no request context")))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self> {
        parts.extensions.get::<RequestCtx>().and_then(|c| c.principal.clone()).ok_or(Error::Unauthorized)
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for Principal {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>> {
        Ok(parts.extensions.get::<RequestCtx>().and_then(|c| c.principal.clone()))
    }
}

/// The value of a cookie.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: `HttpOnly`, SameSite=Lax, Secure under HTTPS; `None` max-age ends with the
/// browser, `Some(0)` deletes.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age: Option<i64>) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        let _ = write!(c, "; Max-Age={age}");
    }
    if state.config.secure_cookies() {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn client_ip(req: &Request) -> String {
    req.extensions().get::<ConnectInfo<SocketAddr>>().map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string())
}

fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Resolves the caller, enforces CSRF on state-changing cookie requests, and runs the request.
pub async fn authenticate(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match resolve(&state, req).await {
        Ok((req, new_cookie)) => {
            let ctx = req.extensions().get::<RequestCtx>().cloned();
            let mut response = next.run(req).await;
            if let Some(c) = new_cookie {
                response.headers_mut().append(header::SET_COOKIE, c);
            }
            // For the error pages drawn further out.
            if let Some(ctx) = ctx {
                response.extensions_mut().insert(ctx);
            }
            response
        }
        Err(e) => e.into_response(),
    }
}

async fn resolve(state: &AppState, req: Request) -> Result<(Request, Option<HeaderValue>)> {
    let ip = client_ip(&req);
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    if let Some(token) = bearer {
        let user = store::token_user(&state.db, &org::hash_secret(token)).await?.ok_or(Error::Unauthorized)?;
        let principal = Principal::new(user, &ip, None).ok_or(Error::Unauthorized)?;
        let mut req = req;
        req.extensions_mut().insert(RequestCtx { ip, principal: Some(principal), csrf: String::new() });
        return Ok((req, None));
    }
    let mut principal = None;
    if let Some(token) = cookie(req.headers(), SESSION_COOKIE) {
        let hash = org::hash_secret(token);
        if let Some(s) = store::session_user(&state.db, &hash).await? {
            let now = clock::now();
            if now - s.last_seen_at > IDLE || now - s.session_created_at > ABSOLUTE {
                store::delete_session(&state.db, &hash).await?;
            } else {
                if now - s.last_seen_at > Duration::minutes(1) {
                    store::touch_session(&state.db, &hash).await?;
                }
                principal = Principal::new(s.user, &ip, Some(hash)).map(|p| (p, s.csrf_token));
            }
        }
    }
    let (principal, csrf, new_cookie) = match principal {
        Some((p, csrf)) => (Some(p), csrf, None),
        None => {
            if let Some(c) = cookie(req.headers(), CSRF_COOKIE).filter(|c| c.len() >= 32) {
                (None, c.to_owned(), None)
            } else {
                let c = org::new_secret();
                let header = set_cookie(state, CSRF_COOKIE, &c, None);
                (None, c, Some(header))
            }
        }
    };
    let req = if is_unsafe(req.method()) { check_csrf(req, &csrf).await? } else { req };
    let mut req = req;
    req.extensions_mut().insert(RequestCtx { ip, principal, csrf });
    Ok((req, new_cookie))
}

/// Checks the `X-CSRF-Token` header, the `_csrf` field of a URL-encoded form, or (for file
/// uploads, whose body is not read here) the `_csrf` parameter of a multipart form's address.
async fn check_csrf(req: Request, expected: &str) -> Result<Request> {
    if let Some(sent) = req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()) {
        return if same(sent, expected) { Ok(req) } else { Err(Error::Csrf) };
    }
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if content_type.starts_with("multipart/form-data") {
        let query = req.uri().query().unwrap_or_default();
        let ok = form_urlencoded::parse(query.as_bytes()).any(|(k, v)| k == "_csrf" && same(&v, expected));
        return if ok { Ok(req) } else { Err(Error::Csrf) };
    }
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Err(Error::Csrf);
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 1024 * 1024)
        .await
        .map_err(|_| Error::invalid("body", "the form is larger than 1 MiB"))?;
    let ok = form_urlencoded::parse(&bytes).any(|(k, v)| k == "_csrf" && same(&v, expected));
    if ok { Ok(Request::from_parts(parts, Body::from(bytes))) } else { Err(Error::Csrf) }
}

/// Why a password sign-in failed; the message never says whether the account exists.
#[derive(Debug, PartialEq, Eq)]
pub enum SignInError {
    /// Wrong name or password (or a disabled account).
    Wrong,
    /// Too many failures: locked for a while.
    Locked,
}

/// Checks a password sign-in with throttling and lock-out, records it in the audit trail, and on
/// success starts a session whose `Set-Cookie` header is returned.
pub async fn sign_in(
    state: &AppState,
    username: &str,
    password: &str,
    ip: &str,
    user_agent: &str,
) -> Result<Result<HeaderValue, SignInError>> {
    let db = &state.db;
    let name = username.trim().to_lowercase();
    let (by_name, by_ip) = store::recent_failures(db, &name, ip, clock::now() - LOCK_WINDOW).await?;
    let unknown = Actor {
        user_id: None,
        name: name.clone(),
        ip: ip.to_owned(),
        region_path: Scope::province().path().to_owned(),
    };
    if by_name >= MAX_FAILURES_PER_NAME || by_ip >= MAX_FAILURES_PER_IP {
        store::record_login_attempt(db, &name, ip, false).await?;
        audit::record(db, &unknown, "session.login", ("user", &name), Outcome::Denied, "locked").await?;
        return Ok(Err(SignInError::Locked));
    }
    let creds = store::credentials(db, &name).await?;
    let hash = creds.as_ref().map_or(org::DECOY_HASH, |c| c.password_hash.as_str()).to_owned();
    let password = password.to_owned();
    let matches = tokio::task::spawn_blocking(move || org::verify_password(&password, &hash))
        .await
        .map_err(|e| anyhow::anyhow!("password check: {e}"))?;
    let user = match creds {
        Some(c) if matches && !c.disabled => store::user_by_username(db, &name).await?,
        _ => None,
    };
    let Some(user) = user else {
        store::record_login_attempt(db, &name, ip, false).await?;
        audit::record(db, &unknown, "session.login", ("user", &name), Outcome::Denied, "wrong name or password")
            .await?;
        return Ok(Err(SignInError::Wrong));
    };
    store::record_login_attempt(db, &name, ip, true).await?;
    let token = org::new_secret();
    let hash = org::hash_secret(&token);
    store::insert_session(
        db,
        &hash,
        user.id,
        &org::new_secret(),
        ip,
        &user_agent.chars().take(200).collect::<String>(),
    )
    .await?;
    let actor = Actor {
        user_id: Some(user.id),
        name: user.username.clone(),
        ip: ip.to_owned(),
        region_path: user.region_path.clone(),
    };
    audit::record(db, &actor, "session.login", ("user", &user.id.to_string()), Outcome::Ok, "").await?;
    Ok(Ok(set_cookie(state, SESSION_COOKIE, &token, None)))
}

/// Ends the caller's session; returns the `Set-Cookie` header that clears it.
pub async fn sign_out(state: &AppState, principal: &Principal) -> Result<HeaderValue> {
    if let Some(hash) = principal.session_hash() {
        store::delete_session(&state.db, hash).await?;
    }
    audit::record(
        &state.db,
        &principal.actor(),
        "session.logout",
        ("user", &principal.user.id.to_string()),
        Outcome::Ok,
        "",
    )
    .await?;
    Ok(set_cookie(state, SESSION_COOKIE, "", Some(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cookies() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=1; fc_session=abc; fc_lang=en"));
        assert_eq!(cookie(&h, "fc_session"), Some("abc"));
        assert_eq!(cookie(&h, "fc_lang"), Some("en"));
        assert_eq!(cookie(&h, "missing"), None);
    }

    #[test]
    fn compares_tokens() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "abcd"));
    }
}
