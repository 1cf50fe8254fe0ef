//! Webhooks to partner platforms: a signed JSON POST per event.
//!
//! Every request carries `x-firecast-signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` over
//! `"<t>.<body>"` with the partner's secret, and `x-firecast-event`, the event's id, which stays the
//! same when a delivery is retried so the partner can drop duplicates. Partners check a request with
//! [`verify`].

use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::channel::{SendError, hex, unhex};

type HmacSha256 = Hmac<Sha256>;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "x-firecast-signature";
/// The header carrying the event id, the same on every retry of one event.
pub const EVENT_HEADER: &str = "x-firecast-event";
/// The per-request timeout when none is given.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// The MAC of `"<timestamp>.<body>"` under `secret`, ready to finalize or verify.
fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> HmacSha256 {
    // HMAC takes a key of any length, so this never fails.
    let mut mac = HmacSha256::new_from_slice(secret).unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `x-firecast-signature` value for `body` sent at `timestamp` (Unix seconds):
/// `t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`.
pub fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    format!("t={timestamp},v1={}", hex(&mac(secret, timestamp, body).finalize().into_bytes()))
}

/// Checks an `x-firecast-signature` header against `body`: the timestamp must be within
/// `tolerance_secs` of `now_unix` (either way), and one of its `v1` values must be the HMAC of
/// `"<t>.<body>"` under `secret`, compared in constant time.
pub fn verify(
    secret: &[u8],
    header: &str,
    body: &[u8],
    now_unix: i64,
    tolerance_secs: i64,
) -> Result<(), &'static str> {
    let mut timestamp = None;
    let mut candidates = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => {
                timestamp = Some(t.parse::<i64>().map_err(|_| "the signature's timestamp is not a number")?);
            }
            Some(("v1", v)) => candidates.push(v),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or("the signature has no timestamp")?;
    if candidates.is_empty() {
        return Err("the signature has no v1 value");
    }
    if now_unix.abs_diff(timestamp) > tolerance_secs.unsigned_abs() {
        return Err("the signature's timestamp is outside the tolerance");
    }
    let expected = mac(secret, timestamp, body);
    let matches = candidates.iter().filter_map(|v| unhex(v)).any(|given| expected.clone().verify_slice(&given).is_ok());
    if matches { Ok(()) } else { Err("the signature does not match") }
}

/// Posts signed events to partners' webhook URLs over one connection pool.
#[derive(Clone, Debug)]
pub struct WebhookClient {
    http: reqwest::Client,
}

impl WebhookClient {
    /// A client with the default 5 s timeout.
    pub fn new() -> Result<Self, reqwest::Error> {
        Self::with_timeout(DEFAULT_TIMEOUT)
    }

    /// A client whose every request, connecting included, gives up after `timeout`. Redirects are
    /// not followed: a webhook URL is meant to be the endpoint itself.
    pub fn with_timeout(timeout: Duration) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(timeout.min(Duration::from_secs(3)))
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("firecast")
            .build()?;
        Ok(Self { http })
    }

    /// Posts `body` to `url`, signed with `secret`, as event `event_id`. A 2xx answer is success;
    /// 408, 5xx, timeouts and connection errors are [`SendError::Transient`]; 429 is
    /// [`SendError::Throttled`] with the `Retry-After` seconds when given; any other answer is
    /// [`SendError::Permanent`].
    pub async fn post(
        &self,
        url: &str,
        secret: &[u8],
        event_id: &str,
        body: &serde_json::Value,
    ) -> Result<(), SendError> {
        let bytes =
            serde_json::to_vec(body).map_err(|e| SendError::Permanent(format!("the event is not JSON: {e}")))?;
        let timestamp = time::OffsetDateTime::now_utc().unix_timestamp();
        let response = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature(secret, timestamp, &bytes))
            .header(EVENT_HEADER, event_id)
            .body(bytes)
            .send()
            .await?;
        classify(response.status(), response.headers())
    }
}

/// The outcome of a webhook answer with this status.
fn classify(status: reqwest::StatusCode, headers: &reqwest::header::HeaderMap) -> Result<(), SendError> {
    use reqwest::StatusCode;
    if status.is_success() {
        return Ok(());
    }
    let reason = format!("the partner answered {status}");
    if status == StatusCode::TOO_MANY_REQUESTS {
        let retry_after = headers
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        Err(SendError::Throttled { retry_after, reason })
    } else if status == StatusCode::REQUEST_TIMEOUT || status.is_server_error() {
        Err(SendError::Transient(reason))
    } else {
        Err(SendError::Permanent(reason))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"whsec-partner-1";
    const BODY: &[u8] = br#"{"event":"product.published","id":42}"#;
    const T: i64 = 1_764_000_000;

    #[test]
    fn the_signature_has_the_documented_shape() {
        let header = signature(SECRET, T, BODY);
        let (t, v1) = header.split_once(',').unwrap();
        assert_eq!(t, "t=1764000000");
        let v1 = v1.strip_prefix("v1=").unwrap();
        assert_eq!(v1.len(), 64);
        assert!(v1.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_ne!(header, signature(SECRET, T + 1, BODY), "the timestamp is signed");
    }

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_dot_body() {
        // Expected value computed once with Python:
        // hmac.new(b"key", b"1.{}", hashlib.sha256).hexdigest()
        assert_eq!(
            signature(b"key", 1, b"{}"),
            "t=1,v1=1ba6b8171186efc613e8bcc0cbdab2748f24984d7c5a84faa2637afa0e40d224"
        );
    }

    #[test]
    fn a_fresh_signature_verifies() {
        let header = signature(SECRET, T, BODY);
        assert_eq!(verify(SECRET, &header, BODY, T, 300), Ok(()));
        assert_eq!(verify(SECRET, &header, BODY, T + 300, 300), Ok(()), "at the edge of the tolerance");
        assert_eq!(verify(SECRET, &header, BODY, T - 60, 300), Ok(()), "a little clock skew");
    }

    #[test]
    fn a_tampered_body_is_refused() {
        let header = signature(SECRET, T, BODY);
        let tampered = br#"{"event":"product.published","id":43}"#;
        assert_eq!(verify(SECRET, &header, tampered, T, 300), Err("the signature does not match"));
    }

    #[test]
    fn a_wrong_secret_is_refused() {
        let header = signature(b"another secret", T, BODY);
        assert_eq!(verify(SECRET, &header, BODY, T, 300), Err("the signature does not match"));
    }

    #[test]
    fn a_stale_or_future_timestamp_is_refused() {
        let header = signature(SECRET, T, BODY);
        assert_eq!(
            verify(SECRET, &header, BODY, T + 301, 300),
            Err("the signature's timestamp is outside the tolerance")
        );
        assert_eq!(
            verify(SECRET, &header, BODY, T - 301, 300),
            Err("the signature's timestamp is outside the tolerance")
        );
    }

    #[test]
    fn a_moved_timestamp_is_refused() {
        let header = signature(SECRET, T, BODY);
        let v1 = header.split_once(",v1=").unwrap().1;
        let replayed = format!("t={},v1={v1}", T + 1000);
        assert_eq!(verify(SECRET, &replayed, BODY, T + 1000, 300), Err("the signature does not match"));
    }

    #[test]
    fn malformed_headers_are_refused() {
        let good = signature(SECRET, T, BODY);
        let v1 = good.split_once(",v1=").unwrap().1;
        assert_eq!(verify(SECRET, "", BODY, T, 300), Err("the signature has no timestamp"));
        assert_eq!(verify(SECRET, &format!("v1={v1}"), BODY, T, 300), Err("the signature has no timestamp"));
        assert_eq!(verify(SECRET, "t=abc,v1=00", BODY, T, 300), Err("the signature's timestamp is not a number"));
        assert_eq!(verify(SECRET, &format!("t={T}"), BODY, T, 300), Err("the signature has no v1 value"));
        assert_eq!(verify(SECRET, &format!("t={T},v1=zz"), BODY, T, 300), Err("the signature does not match"));
        assert_eq!(
            verify(SECRET, &format!("t={T},v1={}", &v1[..63]), BODY, T, 300),
            Err("the signature does not match")
        );
    }

    #[test]
    fn any_of_several_v1_values_may_match() {
        let good = signature(SECRET, T, BODY);
        let v1 = good.split_once(",v1=").unwrap().1;
        let rotated = format!("t={T},v1={},v1={v1}", "ab".repeat(32));
        assert_eq!(verify(SECRET, &rotated, BODY, T, 300), Ok(()));
        assert_eq!(
            verify(SECRET, &rotated.to_uppercase().replace("T=", "t=").replace("V1=", "v1="), BODY, T, 300),
            Ok(())
        );
    }

    #[test]
    fn answers_are_classified() {
        use reqwest::StatusCode;
        let none = reqwest::header::HeaderMap::new();
        assert_eq!(classify(StatusCode::OK, &none), Ok(()));
        assert_eq!(classify(StatusCode::NO_CONTENT, &none), Ok(()));
        assert!(matches!(classify(StatusCode::REQUEST_TIMEOUT, &none), Err(SendError::Transient(_))));
        assert!(matches!(classify(StatusCode::BAD_GATEWAY, &none), Err(SendError::Transient(_))));
        assert!(matches!(classify(StatusCode::NOT_FOUND, &none), Err(SendError::Permanent(_))));
        assert!(matches!(classify(StatusCode::FOUND, &none), Err(SendError::Permanent(_))));
        let mut retry = reqwest::header::HeaderMap::new();
        retry.insert(reqwest::header::RETRY_AFTER, reqwest::header::HeaderValue::from_static("7"));
        assert_eq!(
            classify(StatusCode::TOO_MANY_REQUESTS, &retry).unwrap_err().retry_after(),
            Some(Duration::from_secs(7))
        );
        assert!(matches!(
            classify(StatusCode::TOO_MANY_REQUESTS, &none),
            Err(SendError::Throttled { retry_after: None, .. })
        ));
    }
}
