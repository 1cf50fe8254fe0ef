//! The outbound channels against local stand-ins: `SmsClient` against a fake Tencent Cloud SMS
//! that checks every signature, and `WebhookClient` against a partner sink that checks its
//! signature with `firecast::push::delivery::webhook::verify`.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use firecast::config::SmsConfig;
use firecast::push::delivery::channel::SendError;
use firecast::push::delivery::sms::SmsClient;
use firecast::push::delivery::webhook::{self, WebhookClient};
use serde_json::json;

use crate::fake_sms::FakeSms;

const SECRET_ID: &str = "AKIDfirecastFAKE00000000000000000000";
const SECRET_KEY: &str = "fakeSecretKey0123456789abcdefghij";

fn config(endpoint: String, secret_key: &str, per_second: u32) -> SmsConfig {
    SmsConfig {
        sms_endpoint: endpoint,
        sms_secret_id: Some(SECRET_ID.into()),
        sms_secret_key: Some(secret_key.into()),
        sms_app_id: Some("1400006666".into()),
        sms_sign_name: Some("吉林消防".into()),
        sms_template_id: Some("1110001".into()),
        sms_code_template_id: Some("1110002".into()),
        sms_region: "ap-guangzhou".into(),
        sms_per_second: per_second,
    }
}

fn client(fake: &FakeSms) -> SmsClient {
    SmsClient::new(&config(fake.endpoint(), SECRET_KEY, 1000)).unwrap()
}

fn numbers(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("+86139{i:08}")).collect()
}

fn params() -> Vec<String> {
    vec!["全省消防宣传月".to_owned(), "11月9日".to_owned()]
}

#[tokio::test]
async fn a_send_is_accepted_and_recorded() {
    let fake = FakeSms::start(SECRET_ID, SECRET_KEY).await;
    let phones = numbers(2);
    let outcomes = client(&fake).send(&phones, &params()).await.unwrap();
    assert_eq!(outcomes.len(), 2);
    for (outcome, phone) in outcomes.iter().zip(&phones) {
        assert_eq!(&outcome.phone, phone);
        assert!(outcome.ok, "{outcome:?}");
        assert_eq!(outcome.code, "Ok");
        assert!(outcome.serial_no.as_deref().is_some_and(|s| s.starts_with("2433:")), "{outcome:?}");
        assert_eq!(outcome.fee, 1);
    }
    assert_ne!(outcomes[0].serial_no, outcomes[1].serial_no);
    assert_eq!(fake.sent(), vec![(phones[0].clone(), params()), (phones[1].clone(), params())]);
    assert!(fake.refused().is_empty(), "{:?}", fake.refused());
}

#[tokio::test]
async fn a_wrong_secret_key_is_refused_as_permanent() {
    let fake = FakeSms::start(SECRET_ID, SECRET_KEY).await;
    let wrong = SmsClient::new(&config(fake.endpoint(), "notTheKey0123456789abcdefghijklm", 1000)).unwrap();
    let err = wrong.send(&numbers(1), &params()).await.unwrap_err();
    assert!(matches!(&err, SendError::Permanent(m) if m.starts_with("AuthFailure.SignatureFailure")), "{err}");
    assert!(!err.is_retryable());
    assert_eq!(fake.refused(), ["AuthFailure.SignatureFailure"]);
    assert!(fake.sent().is_empty());

    let other_id =
        SmsConfig { sms_secret_id: Some("AKIDsomebodyElse".into()), ..config(fake.endpoint(), SECRET_KEY, 1000) };
    let err = SmsClient::new(&other_id).unwrap().send(&numbers(1), &params()).await.unwrap_err();
    assert!(matches!(&err, SendError::Permanent(m) if m.starts_with("AuthFailure.SecretIdNotFound")), "{err}");
}

#[tokio::test]
async fn throttling_is_throttled() {
    let fake = FakeSms::start(SECRET_ID, SECRET_KEY).await;
    let client = client(&fake);
    fake.throttle_next(1);
    let err = client.send(&numbers(3), &params()).await.unwrap_err();
    assert!(matches!(&err, SendError::Throttled { reason, .. } if reason.starts_with("RequestLimitExceeded")), "{err}");
    assert!(err.is_retryable());
    assert!(fake.sent().is_empty());
    let outcomes = client.send(&numbers(3), &params()).await.unwrap();
    assert!(outcomes.iter().all(|o| o.ok), "the next call goes through");
    assert_eq!(fake.sent().len(), 3);
}

#[tokio::test]
async fn a_500_is_transient() {
    let fake = FakeSms::start(SECRET_ID, SECRET_KEY).await;
    let client = client(&fake);
    fake.fail_next(2);
    for _ in 0..2 {
        let err = client.send(&numbers(1), &params()).await.unwrap_err();
        assert!(matches!(&err, SendError::Transient(m) if m.contains("500")), "{err}");
    }
    assert!(client.send(&numbers(1), &params()).await.unwrap()[0].ok);
    assert_eq!(fake.requests(), 3);
}

#[tokio::test]
async fn an_unreachable_provider_is_transient() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let cfg = config(format!("http://{addr}"), SECRET_KEY, 1000);
    let err = SmsClient::new(&cfg).unwrap().send(&numbers(1), &params()).await.unwrap_err();
    assert!(matches!(err, SendError::Transient(_)), "{err}");
}

#[tokio::test]
async fn per_number_failures_are_outcomes() {
    let fake = FakeSms::start(SECRET_ID, SECRET_KEY).await;
    fake.fail_numbers([("+8613900000001", "LimitExceeded.PhoneNumberDailyLimit")]);
    let phones = vec!["+8613900000000".to_owned(), "+8613900000001".to_owned(), "+86139".to_owned()];
    let outcomes = client(&fake).send(&phones, &params()).await.unwrap();
    let summary: Vec<(&str, bool, &str)> = outcomes.iter().map(|o| (o.phone.as_str(), o.ok, o.code.as_str())).collect();
    assert_eq!(
        summary,
        [
            ("+8613900000000", true, "Ok"),
            ("+8613900000001", false, "LimitExceeded.PhoneNumberDailyLimit"),
            ("+86139", false, "InvalidParameterValue.IncorrectPhoneNumber"),
        ]
    );
    assert_eq!(outcomes[1].serial_no, None);
    assert_eq!(outcomes[1].fee, 0);
    assert_eq!(fake.sent(), vec![("+8613900000000".to_owned(), params())]);
}

#[tokio::test]
async fn two_hundred_numbers_go_in_one_call() {
    let fake = FakeSms::start(SECRET_ID, SECRET_KEY).await;
    let client = client(&fake);
    let phones = numbers(200);
    let outcomes = client.send(&phones, &params()).await.unwrap();
    assert_eq!(outcomes.len(), 200);
    assert!(outcomes.iter().all(|o| o.ok));
    assert_eq!(outcomes.iter().map(|o| o.phone.clone()).collect::<Vec<_>>(), phones);
    assert_eq!(fake.requests(), 1);
    assert_eq!(fake.sent().len(), 200);

    let err = client.send(&numbers(201), &params()).await.unwrap_err();
    assert!(matches!(err, SendError::Permanent(_)), "{err}");
    assert_eq!(fake.requests(), 1, "201 numbers are refused before sending");
}

#[tokio::test]
async fn the_client_keeps_under_the_provider_s_rate_limit() {
    let fake = FakeSms::start(SECRET_ID, SECRET_KEY).await;
    fake.rate_limit(5);
    let client = SmsClient::new(&config(fake.endpoint(), SECRET_KEY, 4)).unwrap();
    let start = Instant::now();
    for _ in 0..8 {
        client.send(&numbers(1), &params()).await.unwrap();
    }
    let elapsed = start.elapsed();
    assert!(elapsed >= Duration::from_millis(1700), "8 calls at 4 a second took {elapsed:?}");
    assert!(fake.refused().is_empty(), "{:?}", fake.refused());
    assert_eq!(fake.requests(), 8);
}

#[tokio::test]
async fn a_client_faster_than_the_provider_s_limit_is_throttled() {
    let fake = FakeSms::start(SECRET_ID, SECRET_KEY).await;
    fake.rate_limit(5);
    let client = client(&fake);
    let mut throttled = 0;
    for _ in 0..10 {
        match client.send(&numbers(1), &params()).await {
            Ok(outcomes) => assert!(outcomes[0].ok),
            Err(SendError::Throttled { .. }) => throttled += 1,
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert!(throttled >= 4, "{throttled} of 10 calls at 1000 a second were throttled by a limit of 5");
    assert_eq!(fake.sent().len(), 10 - throttled);
}

// --- Webhooks ---

const WEBHOOK_SECRET: &[u8] = b"partner-webhook-secret";

/// What the sink saw of one request.
#[derive(Clone, Debug)]
struct Seen {
    event: Option<String>,
    content_type: Option<String>,
    user_agent: Option<String>,
    verified: Result<(), &'static str>,
    body: serde_json::Value,
}

#[derive(Clone)]
struct SinkState {
    answer: StatusCode,
    retry_after: Option<&'static str>,
    delay: Duration,
    seen: Arc<Mutex<Vec<Seen>>>,
}

/// A partner's webhook endpoint: verifies the signature (401 when it fails), then answers `answer`
/// after `delay`.
struct Sink {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Sink {
    async fn start(answer: StatusCode, retry_after: Option<&'static str>, delay: Duration) -> Self {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let state = SinkState { answer, retry_after, delay, seen: seen.clone() };
        let app = Router::new().route("/hook", post(sink)).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { addr, seen }
    }

    fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn sink(State(state): State<SinkState>, headers: HeaderMap, body: Bytes) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let verified = match header(webhook::SIGNATURE_HEADER) {
        Some(signature) => webhook::verify(WEBHOOK_SECRET, &signature, &body, now, 300),
        None => Err("no signature"),
    };
    state.seen.lock().unwrap().push(Seen {
        event: header(webhook::EVENT_HEADER),
        content_type: header("content-type"),
        user_agent: header("user-agent"),
        verified,
        body: serde_json::from_slice(&body).unwrap_or_default(),
    });
    if verified.is_err() {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    tokio::time::sleep(state.delay).await;
    let mut response = state.answer.into_response();
    if let Some(retry_after) = state.retry_after {
        response.headers_mut().insert("retry-after", HeaderValue::from_static(retry_after));
    }
    response
}

fn event() -> serde_json::Value {
    json!({"event": "product.published", "product": {"id": 42, "title": "冬季防火 十项提示"}})
}

#[tokio::test]
async fn webhook_2xx_is_ok_and_signed() {
    let sink = Sink::start(StatusCode::NO_CONTENT, None, Duration::ZERO).await;
    let client = WebhookClient::new().unwrap();
    client.post(&sink.url(), WEBHOOK_SECRET, "evt-0001", &event()).await.unwrap();
    client.post(&sink.url(), WEBHOOK_SECRET, "evt-0001", &event()).await.unwrap();
    let seen = sink.seen();
    assert_eq!(seen.len(), 2);
    for s in &seen {
        assert_eq!(s.verified, Ok(()));
        assert_eq!(s.event.as_deref(), Some("evt-0001"), "the same id on every delivery of one event");
        assert_eq!(s.content_type.as_deref(), Some("application/json"));
        assert_eq!(s.user_agent.as_deref(), Some("firecast"));
        assert_eq!(s.body, event());
    }
}

#[tokio::test]
async fn webhook_with_the_wrong_secret_is_refused_by_the_partner() {
    let sink = Sink::start(StatusCode::OK, None, Duration::ZERO).await;
    let err = WebhookClient::new().unwrap().post(&sink.url(), b"not the secret", "evt-2", &event()).await.unwrap_err();
    assert!(matches!(&err, SendError::Permanent(m) if m.contains("401")), "{err}");
    assert_eq!(sink.seen()[0].verified, Err("the signature does not match"));
}

#[tokio::test]
async fn webhook_500_is_transient() {
    let sink = Sink::start(StatusCode::INTERNAL_SERVER_ERROR, None, Duration::ZERO).await;
    let err = WebhookClient::new().unwrap().post(&sink.url(), WEBHOOK_SECRET, "evt-3", &event()).await.unwrap_err();
    assert!(matches!(&err, SendError::Transient(m) if m.contains("500")), "{err}");
    assert_eq!(sink.seen()[0].verified, Ok(()));
}

#[tokio::test]
async fn webhook_400_is_permanent() {
    let sink = Sink::start(StatusCode::BAD_REQUEST, None, Duration::ZERO).await;
    let err = WebhookClient::new().unwrap().post(&sink.url(), WEBHOOK_SECRET, "evt-4", &event()).await.unwrap_err();
    assert!(matches!(&err, SendError::Permanent(m) if m.contains("400")), "{err}");
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn webhook_429_is_throttled_with_retry_after() {
    let sink = Sink::start(StatusCode::TOO_MANY_REQUESTS, Some("30"), Duration::ZERO).await;
    let err = WebhookClient::new().unwrap().post(&sink.url(), WEBHOOK_SECRET, "evt-5", &event()).await.unwrap_err();
    assert!(matches!(err, SendError::Throttled { retry_after: Some(d), .. } if d == Duration::from_secs(30)), "{err}");
}

#[tokio::test]
async fn webhook_a_slow_partner_is_transient_within_the_timeout() {
    let sink = Sink::start(StatusCode::OK, None, Duration::from_secs(10)).await;
    let client = WebhookClient::with_timeout(Duration::from_secs(1)).unwrap();
    let start = Instant::now();
    let err = client.post(&sink.url(), WEBHOOK_SECRET, "evt-6", &event()).await.unwrap_err();
    let elapsed = start.elapsed();
    assert!(matches!(err, SendError::Transient(_)), "{err}");
    assert!(elapsed >= Duration::from_millis(900) && elapsed < Duration::from_secs(3), "gave up after {elapsed:?}");
}

#[tokio::test]
async fn webhook_an_unreachable_partner_is_transient() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = WebhookClient::new()
        .unwrap()
        .post(&format!("http://{addr}/hook"), WEBHOOK_SECRET, "evt-7", &event())
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::Transient(_)), "{err}");
    let err = WebhookClient::new().unwrap().post("not a url", WEBHOOK_SECRET, "evt-8", &event()).await.unwrap_err();
    assert!(matches!(err, SendError::Permanent(_)), "a URL that cannot be used will not start working: {err}");
}
