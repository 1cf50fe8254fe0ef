//! Sessions and API tokens on the wire, and CSRF. The `authenticate` middleware resolves the caller
//! once per request (session cookie or `Authorization: Bearer` token, through `org::caller`),
//! checks the CSRF token of every state-changing request made with cookies, and leaves a
//! [`RequestCtx`] for handlers; `Principal` is extracted from it.

use std::fmt::Write as _;
use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, OptionalFromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::org;
use crate::org::caller::Principal;
use crate::{Error, Result};

/// The session cookie.
pub const SESSION_COOKIE: &str = "fc_session";
/// The CSRF cookie used before signing in (double-submit).
pub const CSRF_COOKIE: &str = "fc_csrf";
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

/// The client's address: the peer's, or behind trusted proxies the nearest address in
/// `X-Forwarded-For` that is not one of them (what a client writes further left is not believed).
fn client_ip(req: &Request, trusted: &[crate::config::Cidr]) -> String {
    let Some(peer) = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()) else {
        return "unknown".to_owned();
    };
    let is_trusted = |ip: std::net::IpAddr| trusted.iter().any(|c| c.contains(ip));
    if !is_trusted(peer) {
        return peer.to_string();
    }
    let forwarded = req.headers().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>();
    let hops: Vec<&str> = forwarded.iter().flat_map(|v| v.split(',')).map(str::trim).collect();
    for hop in hops.iter().rev() {
        match hop.parse::<std::net::IpAddr>() {
            Ok(ip) if is_trusted(ip) => {}
            Ok(ip) => return ip.to_string(),
            Err(_) => break,
        }
    }
    peer.to_string()
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
            let signed_in = ctx.as_ref().is_some_and(|c| c.principal.is_some());
            let mut response = next.run(req).await;
            let headers = response.headers_mut();
            // A shared cache keeps what says `public` (the static files): it never carries a
            // cookie. Everything a signed-in user gets, and every answer that sets a cookie, is
            // kept by no cache at all.
            let public = headers.get(header::CACHE_CONTROL).is_some_and(|v| v.as_bytes().starts_with(b"public"));
            if let Some(c) = new_cookie.filter(|_| !public) {
                headers.append(header::SET_COOKIE, c);
            }
            if !public && (signed_in || headers.contains_key(header::SET_COOKIE)) {
                headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
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
    let ip = client_ip(&req, &state.config.trusted_proxies);
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    if let Some(token) = bearer {
        let principal = Principal::from_token(&state.db, token, &ip).await?;
        let mut req = req;
        req.extensions_mut().insert(RequestCtx { ip, principal: Some(principal), csrf: String::new() });
        return Ok((req, None));
    }
    // A partner's key travels in a header that a cross-site form cannot set: like a bearer token
    // it needs no CSRF token, and the call is nobody's session.
    if req.headers().contains_key(PARTNER_KEY_HEADER) {
        let mut req = req;
        req.extensions_mut().insert(RequestCtx { ip, principal: None, csrf: String::new() });
        return Ok((req, None));
    }
    let principal = match cookie(req.headers(), SESSION_COOKIE) {
        Some(token) => Principal::from_session(&state.db, token, &ip).await?,
        None => None,
    };
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
    let bytes =
        axum::body::to_bytes(body, 1024 * 1024).await.map_err(|_| Error::invalid("body", "error.form_too_large"))?;
    let ok = form_urlencoded::parse(&bytes).any(|(k, v)| k == "_csrf" && same(&v, expected));
    if ok { Ok(Request::from_parts(parts, Body::from(bytes))) } else { Err(Error::Csrf) }
}

/// The header that carries a partner platform's key.
pub const PARTNER_KEY_HEADER: &str = "x-partner-key";

/// The cookie that holds a device's own token (a quiz player, a livestream viewer), a year long.
pub const DEVICE_COOKIE: &str = "fc_device";

/// The device token of the request, and a cookie to set when it had none.
pub fn device(state: &AppState, headers: &HeaderMap) -> (String, Option<HeaderValue>) {
    if let Ok(t) = device_token(headers) {
        (t, None)
    } else {
        let t = crate::org::new_secret();
        let c = set_cookie(state, DEVICE_COOKIE, &t, Some(365 * 24 * 3600));
        (t, Some(c))
    }
}

/// The device token of an app or page: the `X-Device-Token` header, else the page's cookie.
pub fn device_token(headers: &HeaderMap) -> Result<String> {
    headers
        .get("x-device-token")
        .and_then(|v| v.to_str().ok())
        .or_else(|| cookie(headers, DEVICE_COOKIE))
        .filter(|t| {
            (16..=100).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_owned)
        .ok_or_else(|| Error::invalid("x-device-token", "error.device_token"))
}

/// What tells one browser from another without its cookie: its user agent and languages, and its
/// network (the /24 of an IPv4 address, the /48 of an IPv6 one), as one text for the caller to
/// hash with the data key.
pub fn device_traits(headers: &HeaderMap, ip: &str) -> String {
    let said = |name| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let network = match ip.parse() {
        Ok(std::net::IpAddr::V4(a)) => {
            let [a, b, c, _] = a.octets();
            format!("{a}.{b}.{c}")
        }
        Ok(std::net::IpAddr::V6(a)) => {
            let s = a.segments();
            format!("{:x}:{:x}:{:x}", s[0], s[1], s[2])
        }
        Err(_) => ip.to_owned(),
    };
    format!("{}|{}|{network}", said(header::USER_AGENT), said(header::ACCEPT_LANGUAGE))
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

    #[test]
    fn the_client_is_the_peer_unless_a_trusted_proxy_forwarded_it() {
        let trusted: Vec<crate::config::Cidr> = vec!["10.0.0.0/8".parse().unwrap(), "::1".parse().unwrap()];
        let req = |peer: &str, forwarded: &[&str]| {
            let mut r = Request::new(axum::body::Body::empty());
            r.extensions_mut().insert(ConnectInfo(SocketAddr::new(peer.parse().unwrap(), 40000)));
            for f in forwarded {
                r.headers_mut().append("x-forwarded-for", HeaderValue::from_str(f).unwrap());
            }
            r
        };
        // A stranger's header is ignored.
        assert_eq!(client_ip(&req("203.0.113.9", &["198.51.100.1"]), &trusted), "203.0.113.9");
        // Behind a trusted proxy: the nearest untrusted hop, never what the client wrote further left.
        assert_eq!(client_ip(&req("10.1.2.3", &["198.51.100.1"]), &trusted), "198.51.100.1");
        assert_eq!(client_ip(&req("10.1.2.3", &["6.6.6.6, 198.51.100.1, 10.9.9.9"]), &trusted), "198.51.100.1");
        assert_eq!(client_ip(&req("::1", &["6.6.6.6", "198.51.100.7"]), &trusted), "198.51.100.7");
        // Without the header, or with rubbish, the proxy's own address.
        assert_eq!(client_ip(&req("10.1.2.3", &[]), &trusted), "10.1.2.3");
        assert_eq!(client_ip(&req("10.1.2.3", &["not-an-address"]), &trusted), "10.1.2.3");
        // Nothing trusted: the header never counts.
        assert_eq!(client_ip(&req("10.1.2.3", &["198.51.100.1"]), &[]), "10.1.2.3");
    }
}
