//! A local stand-in for Tencent Cloud SMS `SendSms` (2021-01-11).
//!
//! It checks every request as the real service does: the TC3-HMAC-SHA256 signature (derived here
//! again, independently of firecast's code, so a mistake in either shows up as a mismatch), the
//! timestamp within five minutes, the action, version and region headers and the body's fields.
//! Refusals come as Tencent sends them, `Response.Error` inside a 200. It records accepted messages
//! and injects faults on demand: throttled calls, HTTP 500s, refused numbers and a rate limit.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The template id of tips in [`FakeSms::configure`].
pub const TIP_TEMPLATE: &str = "100001";
/// The template id of verification codes in [`FakeSms::configure`].
pub const CODE_TEMPLATE: &str = "100002";

/// A running fake provider; it stops with the test's runtime.
pub struct FakeSms {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

struct Shared {
    secret_id: String,
    secret_key: String,
    state: Mutex<FakeState>,
}

#[derive(Default)]
struct FakeState {
    requests: usize,
    sent: Vec<(String, Vec<String>)>,
    templates: Vec<String>,
    refused: Vec<String>,
    throttle_next: usize,
    fail_next: usize,
    fail_numbers: HashMap<String, String>,
    rate_limit: Option<usize>,
    window: Option<(Instant, usize)>,
    serial: u64,
}

impl FakeSms {
    /// Starts a fake for the account with this `SecretId` and `SecretKey` on 127.0.0.1.
    pub async fn start(secret_id: &str, secret_key: &str) -> Self {
        let shared = Arc::new(Shared {
            secret_id: secret_id.to_owned(),
            secret_key: secret_key.to_owned(),
            state: Mutex::new(FakeState::default()),
        });
        let app = Router::new().route("/", post(send_sms)).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { addr, shared }
    }

    /// The URL to give as `--sms-endpoint`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Points `config` at this fake as the account `AKIDtest` / `secret-key`, its tips sent with
    /// template [`TIP_TEMPLATE`] and its verification codes with [`CODE_TEMPLATE`].
    pub fn configure(&self, config: &mut firecast::config::Config) {
        config.sms.sms_endpoint = self.endpoint();
        config.sms.sms_secret_id = Some("AKIDtest".into());
        config.sms.sms_secret_key = Some("secret-key".into());
        config.sms.sms_app_id = Some("1400000001".into());
        config.sms.sms_sign_name = Some("吉林消防".into());
        config.sms.sms_template_id = Some(TIP_TEMPLATE.into());
        config.sms.sms_code_template_id = Some(CODE_TEMPLATE.into());
        config.sms.sms_per_second = 1000;
    }

    /// The last verification code sent to `phone` (E.164).
    pub fn last_code(&self, phone: &str) -> Option<String> {
        self.sent_with(CODE_TEMPLATE, phone).pop().and_then(|params| params.into_iter().next())
    }

    /// Every accepted message: the number and the template parameters.
    pub fn sent(&self) -> Vec<(String, Vec<String>)> {
        self.shared.state.lock().unwrap().sent.clone()
    }

    /// The parameters of every accepted message of `template` to `phone`, oldest first.
    pub fn sent_with(&self, template: &str, phone: &str) -> Vec<Vec<String>> {
        let state = self.shared.state.lock().unwrap();
        state
            .sent
            .iter()
            .zip(&state.templates)
            .filter(|((to, _), t)| to == phone && *t == template)
            .map(|((_, params), _)| params.clone())
            .collect()
    }

    /// How many requests arrived, refused ones included.
    pub fn requests(&self) -> usize {
        self.shared.state.lock().unwrap().requests
    }

    /// The error codes of every refused request, in order.
    pub fn refused(&self) -> Vec<String> {
        self.shared.state.lock().unwrap().refused.clone()
    }

    /// Answers the next `n` well-signed requests with `RequestLimitExceeded`.
    pub fn throttle_next(&self, n: usize) {
        self.shared.state.lock().unwrap().throttle_next = n;
    }

    /// Answers the next `n` requests with HTTP 500, before any check.
    pub fn fail_next(&self, n: usize) {
        self.shared.state.lock().unwrap().fail_next = n;
    }

    /// Refuses these numbers, each with its error code, in the per-number statuses.
    pub fn fail_numbers<'a>(&self, numbers: impl IntoIterator<Item = (&'a str, &'a str)>) {
        let mut state = self.shared.state.lock().unwrap();
        state.fail_numbers = numbers.into_iter().map(|(p, c)| (p.to_owned(), c.to_owned())).collect();
    }

    /// Accepts at most `per_second` requests in each one-second window (the first request after a
    /// window ends opens the next one); the rest get `RequestLimitExceeded`.
    pub fn rate_limit(&self, per_second: usize) {
        self.shared.state.lock().unwrap().rate_limit = Some(per_second);
    }
}

/// A refusal as Tencent Cloud sends it: HTTP 200 with `Response.Error`.
fn refusal(state: &mut FakeState, code: &str, message: &str) -> Response {
    state.refused.push(code.to_owned());
    let body = json!({"Response": {"Error": {"Code": code, "Message": message}, "RequestId": "fake-request"}});
    (StatusCode::OK, axum::Json(body)).into_response()
}

async fn send_sms(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let mut state = shared.state.lock().unwrap();
    state.requests += 1;
    if state.fail_next > 0 {
        state.fail_next -= 1;
        return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
    }
    if let Err((code, message)) = check_request(&shared, &headers, &body) {
        return refusal(&mut state, code, &message);
    }
    if let Some(limit) = state.rate_limit {
        let now = Instant::now();
        let window = match state.window {
            Some((start, count)) if now.duration_since(start) < Duration::from_secs(1) => (start, count + 1),
            _ => (now, 1),
        };
        state.window = Some(window);
        if window.1 > limit {
            return refusal(&mut state, "RequestLimitExceeded", "Your current request count exceeds the limit.");
        }
    }
    if state.throttle_next > 0 {
        state.throttle_next -= 1;
        return refusal(&mut state, "RequestLimitExceeded", "Your current request count exceeds the limit.");
    }
    let request: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => return refusal(&mut state, "InvalidParameter", "The body is not JSON."),
    };
    let (phones, params) = match check_body(&request) {
        Ok(fields) => fields,
        Err((code, message)) => return refusal(&mut state, code, message),
    };
    let mut statuses = Vec::new();
    for phone in phones {
        let code = if !is_e164(&phone) {
            "InvalidParameterValue.IncorrectPhoneNumber".to_owned()
        } else if let Some(code) = state.fail_numbers.get(&phone) {
            code.clone()
        } else {
            "Ok".to_owned()
        };
        if code == "Ok" {
            state.serial += 1;
            let serial = format!("2433:fake{:012}", state.serial);
            state.sent.push((phone.clone(), params.clone()));
            state.templates.push(request["TemplateId"].as_str().unwrap_or_default().to_owned());
            statuses.push(json!({"SerialNo": serial, "PhoneNumber": phone, "Fee": 1, "SessionContext": "",
                "Code": "Ok", "Message": "send success", "IsoCode": "CN"}));
        } else {
            statuses.push(json!({"SerialNo": "", "PhoneNumber": phone, "Fee": 0, "SessionContext": "",
                "Code": code, "Message": "refused by the fake", "IsoCode": "CN"}));
        }
    }
    let body = json!({"Response": {"SendStatusSet": statuses, "RequestId": "fake-request"}});
    (StatusCode::OK, axum::Json(body)).into_response()
}

fn is_e164(phone: &str) -> bool {
    phone
        .strip_prefix('+')
        .is_some_and(|digits| (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// An error code and message to answer.
type Refusal = (&'static str, &'static str);

/// The phone numbers and template parameters of a well-formed `SendSms` body.
fn check_body(request: &Value) -> Result<(Vec<String>, Vec<String>), Refusal> {
    let strings =
        |v: &Value| -> Option<Vec<String>> { v.as_array()?.iter().map(|s| s.as_str().map(str::to_owned)).collect() };
    let phones = request.get("PhoneNumberSet").ok_or(("MissingParameter", "PhoneNumberSet is missing."))?;
    let phones = strings(phones).ok_or(("InvalidParameter", "PhoneNumberSet is not a list of strings."))?;
    if phones.is_empty() {
        return Err(("MissingParameter", "PhoneNumberSet is empty."));
    }
    if phones.len() > 200 {
        return Err(("LimitExceeded.PhoneNumberCountLimit", "More than 200 numbers."));
    }
    for field in ["SmsSdkAppId", "SignName", "TemplateId"] {
        match request.get(field).and_then(Value::as_str) {
            Some(v) if !v.is_empty() => {}
            Some(_) => return Err(("InvalidParameter", "A field is blank.")),
            None => return Err(("MissingParameter", "SmsSdkAppId, SignName or TemplateId is missing.")),
        }
    }
    let params = match request.get("TemplateParamSet") {
        None => Vec::new(),
        Some(v) => strings(v).ok_or(("InvalidParameter", "TemplateParamSet is not a list of strings."))?,
    };
    Ok((phones, params))
}

/// Checks the headers and the signature; on failure, the error code and message to answer.
fn check_request(shared: &Shared, headers: &HeaderMap, body: &[u8]) -> Result<(), (&'static str, String)> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if header("content-type") != Some("application/json; charset=utf-8") {
        return Err(("InvalidParameter", format!("Unexpected content type {:?}.", header("content-type"))));
    }
    if header("x-tc-action") != Some("SendSms") {
        return Err(("InvalidAction", format!("Unexpected action {:?}.", header("x-tc-action"))));
    }
    if header("x-tc-version") != Some("2021-01-11") {
        return Err(("NoSuchVersion", format!("Unexpected version {:?}.", header("x-tc-version"))));
    }
    if header("x-tc-region").is_none_or(str::is_empty) {
        return Err(("MissingParameter", "X-TC-Region is missing.".into()));
    }
    let timestamp: i64 = header("x-tc-timestamp")
        .and_then(|t| t.parse().ok())
        .ok_or(("MissingParameter", "X-TC-Timestamp is missing or not a number.".to_owned()))?;
    let now =
        i64::try_from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()).unwrap();
    if (now - timestamp).abs() > 300 {
        return Err(("AuthFailure.SignatureExpire", "The timestamp is more than five minutes away.".into()));
    }
    let authorization =
        header("authorization").ok_or(("AuthFailure.SignatureFailure", "No Authorization.".to_owned()))?;
    let fields = authorization
        .strip_prefix("TC3-HMAC-SHA256 ")
        .ok_or(("AuthFailure.SignatureFailure", format!("Unknown algorithm in {authorization:?}.")))?;
    let mut parts = HashMap::new();
    for part in fields.split(", ") {
        let (k, v) = part.split_once('=').ok_or(("AuthFailure.SignatureFailure", format!("Malformed {part:?}.")))?;
        parts.insert(k, v);
    }
    let (Some(credential), Some(signed_headers), Some(signature)) =
        (parts.get("Credential"), parts.get("SignedHeaders"), parts.get("Signature"))
    else {
        return Err(("AuthFailure.SignatureFailure", "Credential, SignedHeaders or Signature is missing.".into()));
    };
    let scope: Vec<&str> = credential.split('/').collect();
    let &[secret_id, date, service, terminator] = scope.as_slice() else {
        return Err(("AuthFailure.SignatureFailure", format!("Malformed credential {credential:?}.")));
    };
    if secret_id != shared.secret_id {
        return Err(("AuthFailure.SecretIdNotFound", "The SecretId is not found.".into()));
    }
    if date != day_of(timestamp) || service != "sms" || terminator != "tc3_request" {
        return Err(("AuthFailure.SignatureFailure", format!("Wrong credential scope {credential:?}.")));
    }
    let names: Vec<&str> = signed_headers.split(';').collect();
    if !names.contains(&"content-type") || !names.contains(&"host") || !names.is_sorted() {
        return Err(("AuthFailure.SignatureFailure", format!("Bad SignedHeaders {signed_headers:?}.")));
    }
    let mut canonical_headers = String::new();
    for name in &names {
        let value = header(name).ok_or(("AuthFailure.SignatureFailure", format!("Signed header {name} not sent.")))?;
        canonical_headers += &[name, ":", &value.trim().to_lowercase(), "\n"].concat();
    }
    let canonical_request =
        format!("POST\n/\n\n{canonical_headers}\n{signed_headers}\n{}", to_hex(&Sha256::digest(body)));
    let string_to_sign = format!(
        "TC3-HMAC-SHA256\n{timestamp}\n{date}/sms/tc3_request\n{}",
        to_hex(&Sha256::digest(canonical_request.as_bytes()))
    );
    let k_date = hmac(format!("TC3{}", shared.secret_key).as_bytes(), date.as_bytes());
    let k_service = hmac(&k_date, b"sms");
    let k_signing = hmac(&k_service, b"tc3_request");
    let expected = to_hex(&hmac(&k_signing, string_to_sign.as_bytes()));
    if *signature != expected {
        return Err(("AuthFailure.SignatureFailure", "The provided credentials could not be validated.".into()));
    }
    Ok(())
}

fn hmac(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap();
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| [char::from(DIGITS[usize::from(b >> 4)]), char::from(DIGITS[usize::from(b & 0xf)])])
        .collect()
}

/// The UTC date of a Unix timestamp, by the civil-from-days algorithm (no date library).
fn day_of(timestamp: i64) -> String {
    let z = timestamp.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[test]
fn the_fake_s_calendar_is_right() {
    assert_eq!(day_of(0), "1970-01-01");
    assert_eq!(day_of(1_551_113_065), "2019-02-25");
    assert_eq!(day_of(951_782_400), "2000-02-29");
    assert_eq!(day_of(1_764_606_600), "2025-12-01");
}
