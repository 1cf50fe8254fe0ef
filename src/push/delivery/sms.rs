//! Text messages through Tencent Cloud SMS (`SendSms`, API version 2021-01-11), signed with
//! TC3-HMAC-SHA256 as Tencent Cloud documents it for API 3.0.
//!
//! One call sends one approved template, with its parameters, to up to 200 numbers in E.164 form
//! (`+86…`). The answer says, number by number, whether the message was accepted; a refused number
//! is an [`SmsOutcome`], a refused call is a [`SendError`].

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::channel::{SendError, TokenBucket, hex};
use crate::config::SmsConfig;

type HmacSha256 = Hmac<Sha256>;

/// The signing algorithm's name, the first word of the `Authorization` header.
pub const ALGORITHM: &str = "TC3-HMAC-SHA256";
/// The service name in the credential scope.
pub const SERVICE: &str = "sms";
/// The API version sent as `X-TC-Version`.
pub const VERSION: &str = "2021-01-11";
/// The action sent as `X-TC-Action`.
pub const ACTION: &str = "SendSms";
/// The content type of every request; it is signed, so it must be sent exactly so.
pub const CONTENT_TYPE: &str = "application/json; charset=utf-8";
/// The most numbers one `SendSms` call takes.
pub const MAX_NUMBERS_PER_CALL: usize = 200;
/// The most characters a message may have and still go as one SMS; longer ones go in parts.
pub const SMS_MAX_CHARS: usize = 70;
/// The characters of each part of a message longer than [`SMS_MAX_CHARS`].
pub const SMS_PART_CHARS: usize = 67;
/// How long one call may take, connecting included.
const TIMEOUT: Duration = Duration::from_secs(10);

/// What became of the message to one number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmsOutcome {
    /// The number, as given to [`SmsClient::send`].
    pub phone: String,
    /// Whether the provider accepted the message for this number.
    pub ok: bool,
    /// The provider's code: `Ok`, or why this number was refused (such as
    /// `LimitExceeded.PhoneNumberDailyLimit` or `InvalidParameterValue.IncorrectPhoneNumber`).
    pub code: String,
    /// The provider's serial number of an accepted message, to match delivery reports.
    pub serial_no: Option<String>,
    /// How many SMS the message was billed as (long messages go in parts).
    pub fee: u32,
}

/// The UTC date (`YYYY-MM-DD`) of a Unix timestamp, as the credential scope wants it.
pub fn utc_date(timestamp: i64) -> String {
    let date = time::OffsetDateTime::from_unix_timestamp(timestamp).map_or(time::Date::MIN, time::OffsetDateTime::date);
    format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}

/// Header names and values as they are signed: lower case, trimmed, sorted by name.
fn normalised(headers: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> =
        headers.iter().map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_lowercase())).collect();
    headers.sort();
    headers
}

/// The `SignedHeaders` list: the header names, lower case, sorted, joined by `;`.
pub fn signed_headers(headers: &[(&str, &str)]) -> String {
    normalised(headers).into_iter().map(|(k, _)| k).collect::<Vec<_>>().join(";")
}

/// The canonical request of a POST to `/` with these signed headers and this body: method, URI,
/// empty query, `name:value\n` per header, the signed-header list and the body's SHA-256 in hex.
pub fn canonical_request(headers: &[(&str, &str)], payload: &[u8]) -> String {
    let canonical_headers = normalised(headers).into_iter().fold(String::new(), |mut all, (k, v)| {
        all.push_str(&k);
        all.push(':');
        all.push_str(&v);
        all.push('\n');
        all
    });
    format!("POST\n/\n\n{canonical_headers}\n{}\n{}", signed_headers(headers), hex(&Sha256::digest(payload)))
}

/// The credential scope, `<date>/<service>/tc3_request`.
pub fn credential_scope(timestamp: i64, service: &str) -> String {
    format!("{}/{service}/tc3_request", utc_date(timestamp))
}

/// The string to sign: algorithm, timestamp, credential scope and the canonical request's SHA-256.
pub fn string_to_sign(timestamp: i64, service: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{timestamp}\n{}\n{}",
        credential_scope(timestamp, service),
        hex(&Sha256::digest(canonical_request.as_bytes()))
    )
}

/// HMAC-SHA256 of `message` under `key`.
fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    // HMAC takes a key of any length, so this never fails.
    let mut mac = HmacSha256::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// The signature in hex: the key derived as `TC3<secret_key>` → date → service → `tc3_request`,
/// then HMAC-SHA256 of the string to sign.
pub fn signature(secret_key: &str, timestamp: i64, service: &str, string_to_sign: &str) -> String {
    let date = hmac_sha256(format!("TC3{secret_key}").as_bytes(), utc_date(timestamp).as_bytes());
    let service = hmac_sha256(&date, service.as_bytes());
    let signing = hmac_sha256(&service, b"tc3_request");
    hex(&hmac_sha256(&signing, string_to_sign.as_bytes()))
}

/// The `Authorization` header of a POST with these signed headers and this body, sent at
/// `timestamp` (Unix seconds, also sent as `X-TC-Timestamp`).
pub fn authorization(
    secret_id: &str,
    secret_key: &str,
    service: &str,
    timestamp: i64,
    headers: &[(&str, &str)],
    payload: &[u8],
) -> String {
    let to_sign = string_to_sign(timestamp, service, &canonical_request(headers, payload));
    format!(
        "{ALGORITHM} Credential={secret_id}/{}, SignedHeaders={}, Signature={}",
        credential_scope(timestamp, service),
        signed_headers(headers),
        signature(secret_key, timestamp, service, &to_sign)
    )
}

/// How many characters the provider counts in `text`, the whole message as delivered, the sign
/// name in its `【…】` included: every character, Chinese or Latin, letter, digit or punctuation,
/// counts as one.
pub fn sms_length(text: &str) -> usize {
    text.chars().count()
}

/// How many SMS a message of `length` characters is billed as: one up to [`SMS_MAX_CHARS`], else
/// one per [`SMS_PART_CHARS`].
pub fn sms_parts(length: usize) -> usize {
    if length <= SMS_MAX_CHARS { 1 } else { length.div_ceil(SMS_PART_CHARS) }
}

/// The error a Tencent Cloud error code stands for.
pub fn classify_error(code: &str, message: &str) -> SendError {
    let reason = format!("{code}: {message}");
    if code.starts_with("RequestLimitExceeded") || code.starts_with("LimitExceeded") {
        SendError::Throttled { retry_after: None, reason }
    } else if code.starts_with("InternalError") {
        SendError::Transient(reason)
    } else {
        // AuthFailure.*, InvalidParameter*, MissingParameter, FailedOperation.*, UnauthorizedOperation.*
        // and anything unknown: sending the same request again will not help.
        SendError::Permanent(reason)
    }
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "Response")]
    response: ResponseBody,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ResponseBody {
    error: Option<ApiError>,
    send_status_set: Option<Vec<SendStatus>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ApiError {
    code: String,
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SendStatus {
    #[serde(default)]
    serial_no: String,
    phone_number: String,
    #[serde(default)]
    fee: u32,
    code: String,
}

/// The code of an outcome the provider's answer said nothing about.
pub const NO_STATUS: &str = "NoStatus";

/// Reads an answer to `SendSms` for `phones`: an error, or one outcome per number in their order.
fn interpret(status: reqwest::StatusCode, body: &[u8], phones: &[String]) -> Result<Vec<SmsOutcome>, SendError> {
    let parsed = serde_json::from_slice::<Envelope>(body).ok().map(|e| e.response);
    if let Some(ResponseBody { error: Some(error), .. }) = &parsed {
        return Err(classify_error(&error.code, &error.message));
    }
    if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        return Err(SendError::Throttled { retry_after: None, reason: format!("the SMS provider answered {status}") });
    }
    if status.is_server_error() {
        return Err(SendError::Transient(format!("the SMS provider answered {status}")));
    }
    if !status.is_success() {
        return Err(SendError::Permanent(format!("the SMS provider answered {status}")));
    }
    let Some(statuses) = parsed.and_then(|r| r.send_status_set) else {
        return Err(SendError::Transient("the SMS provider's answer has neither an error nor statuses".into()));
    };
    let mut by_phone: HashMap<String, Vec<SendStatus>> = HashMap::new();
    for s in statuses.into_iter().rev() {
        by_phone.entry(s.phone_number.clone()).or_default().push(s);
    }
    Ok(phones
        .iter()
        .map(|phone| match by_phone.get_mut(phone).and_then(Vec::pop) {
            Some(s) => SmsOutcome {
                phone: phone.clone(),
                ok: s.code == "Ok",
                code: s.code,
                serial_no: Some(s.serial_no).filter(|n| !n.is_empty()),
                fee: s.fee,
            },
            None => SmsOutcome { phone: phone.clone(), ok: false, code: NO_STATUS.into(), serial_no: None, fee: 0 },
        })
        .collect())
}

/// A Tencent Cloud SMS account: sends one template to many numbers, no faster than
/// `--sms-per-second` calls a second.
pub struct SmsClient {
    http: reqwest::Client,
    endpoint: reqwest::Url,
    host: String,
    secret_id: String,
    secret_key: String,
    app_id: String,
    sign_name: String,
    template_id: String,
    code_template_id: Option<String>,
    region: String,
    bucket: TokenBucket,
}

impl fmt::Debug for SmsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmsClient")
            .field("endpoint", &self.endpoint.as_str())
            .field("secret_id", &self.secret_id)
            .field("app_id", &self.app_id)
            .field("template_id", &self.template_id)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl SmsClient {
    /// A client for the account in `cfg`, or `None` when SMS is not configured (or its endpoint is
    /// not a URL, which is logged).
    pub fn new(cfg: &SmsConfig) -> Option<Self> {
        if !cfg.is_configured() {
            return None;
        }
        let endpoint = match reqwest::Url::parse(&cfg.sms_endpoint) {
            Ok(url) if url.host_str().is_some() => url,
            _ => {
                tracing::error!(endpoint = %cfg.sms_endpoint, "the SMS endpoint is not a URL; SMS is off");
                return None;
            }
        };
        let host = match (endpoint.host_str(), endpoint.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => return None,
        };
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .timeout(TIMEOUT)
            .user_agent("firecast")
            .build()
            .inspect_err(|e| tracing::error!(error = %e, "the SMS client cannot be built; SMS is off"))
            .ok()?;
        let field = |v: &Option<String>| v.as_deref().unwrap_or_default().trim().to_owned();
        Some(Self {
            http,
            endpoint,
            host,
            secret_id: field(&cfg.sms_secret_id),
            secret_key: field(&cfg.sms_secret_key),
            app_id: field(&cfg.sms_app_id),
            sign_name: field(&cfg.sms_sign_name),
            template_id: field(&cfg.sms_template_id),
            code_template_id: Some(field(&cfg.sms_code_template_id)).filter(|t| !t.is_empty()),
            region: cfg.sms_region.trim().to_owned(),
            // A burst of one: calls are spaced evenly, so no second sees more than the limit.
            bucket: TokenBucket::new(f64::from(cfg.sms_per_second), 1),
        })
    }

    /// Sends the template with `params` to `phones` (E.164, at most [`MAX_NUMBERS_PER_CALL`]) in one
    /// call, waiting for the rate limit first. Returns one outcome per number, in their order; a
    /// number the provider refused is an outcome with `ok == false`, not an error.
    pub async fn send(&self, phones: &[String], params: &[String]) -> Result<Vec<SmsOutcome>, SendError> {
        self.call(&self.template_id, phones, params).await
    }

    /// Sends the verification-code template to one number: the code and the minutes it holds.
    pub async fn send_code(&self, phone: &str, code: &str, minutes: i64) -> Result<SmsOutcome, SendError> {
        let template = self.code_template_id.as_deref().ok_or_else(|| {
            SendError::Permanent("no verification-code template is configured (--sms-code-template-id)".into())
        })?;
        let outcome = self.call(template, &[phone.to_owned()], &[code.to_owned(), minutes.to_string()]).await?;
        outcome.into_iter().next().ok_or_else(|| SendError::Permanent(NO_STATUS.into()))
    }

    /// One `SendSms` call of `template`.
    async fn call(&self, template: &str, phones: &[String], params: &[String]) -> Result<Vec<SmsOutcome>, SendError> {
        if phones.is_empty() {
            return Ok(Vec::new());
        }
        if phones.len() > MAX_NUMBERS_PER_CALL {
            return Err(SendError::Permanent(format!(
                "{} numbers in one call; SendSms takes at most {MAX_NUMBERS_PER_CALL}",
                phones.len()
            )));
        }
        let body = serde_json::json!({
            "PhoneNumberSet": phones,
            "SmsSdkAppId": self.app_id,
            "SignName": self.sign_name,
            "TemplateId": template,
            "TemplateParamSet": params,
        });
        let payload = serde_json::to_vec(&body).map_err(|e| SendError::Permanent(e.to_string()))?;
        self.bucket.take(1).await;
        let timestamp = time::OffsetDateTime::now_utc().unix_timestamp();
        let signed = [("content-type", CONTENT_TYPE), ("host", self.host.as_str()), ("x-tc-action", ACTION)];
        let auth = authorization(&self.secret_id, &self.secret_key, SERVICE, timestamp, &signed, &payload);
        let response = self
            .http
            .post(self.endpoint.clone())
            .header(reqwest::header::AUTHORIZATION, auth)
            .header(reqwest::header::CONTENT_TYPE, CONTENT_TYPE)
            .header("X-TC-Action", ACTION)
            .header("X-TC-Version", VERSION)
            .header("X-TC-Timestamp", timestamp.to_string())
            .header("X-TC-Region", &self.region)
            .body(payload)
            .send()
            .await?;
        let status = response.status();
        let answer = response.bytes().await?;
        interpret(status, &answer, phones)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;

    /// Tencent Cloud's worked example of signature v3 (CVM `DescribeInstances`, the documentation's
    /// example `SecretId` and `SecretKey`), signing `content-type` and `host` only.
    #[test]
    fn authorization_matches_tencent_s_worked_example() {
        let payload = br#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;
        let headers = [("Content-Type", "application/json; charset=utf-8"), ("Host", "cvm.tencentcloudapi.com")];
        let canonical = canonical_request(&headers, payload);
        assert_eq!(
            canonical,
            "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\n\
             content-type;host\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
        );
        assert_eq!(
            string_to_sign(1_551_113_065, "cvm", &canonical),
            "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n\
             5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
        );
        assert_eq!(
            authorization(
                "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
                "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
                "cvm",
                1_551_113_065,
                &headers,
                payload
            ),
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, \
             SignedHeaders=content-type;host, \
             Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
        );
    }

    /// A `SendSms` request at 00:30 China time (16:30 UTC the day before). The expected values were
    /// computed once with Python's `hashlib` and `hmac`, following Tencent Cloud's steps.
    #[test]
    fn send_sms_signing_matches_values_computed_by_hand() {
        let payload = r#"{"PhoneNumberSet":["+8613800000000"],"SmsSdkAppId":"1400000000","SignName":"吉林消防","TemplateId":"100001","TemplateParamSet":["防火"]}"#;
        let headers = [("content-type", CONTENT_TYPE), ("host", "sms.tencentcloudapi.com"), ("x-tc-action", ACTION)];
        let canonical = canonical_request(&headers, payload.as_bytes());
        assert_eq!(
            canonical,
            "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:sms.tencentcloudapi.com\n\
             x-tc-action:sendsms\n\ncontent-type;host;x-tc-action\n\
             7b3d9da94ef78ed8877ed831eb9da47a221f5ab8b6c797321f4d9e305de63bd2"
        );
        let to_sign = string_to_sign(1_764_606_600, SERVICE, &canonical);
        assert_eq!(
            to_sign,
            "TC3-HMAC-SHA256\n1764606600\n2025-12-01/sms/tc3_request\n\
             675c8667a92af7576a54884a35e696f20afdee3d4344ea287e89c16c4e5e69ea"
        );
        assert_eq!(
            authorization(
                "AKIDfirecastEXAMPLE0000000000000000",
                "firecastEXAMPLEkey00000000000000",
                SERVICE,
                1_764_606_600,
                &headers,
                payload.as_bytes()
            ),
            "TC3-HMAC-SHA256 Credential=AKIDfirecastEXAMPLE0000000000000000/2025-12-01/sms/tc3_request, \
             SignedHeaders=content-type;host;x-tc-action, \
             Signature=cd5f676ada4da1fdbfff8de68e22464b351b7c98a3971376808a422191140068"
        );
    }

    #[test]
    fn headers_are_signed_lower_case_and_sorted() {
        let headers = [("X-TC-Action", "SendSms"), ("Host", "sms.tencentcloudapi.com"), ("Content-Type", CONTENT_TYPE)];
        assert_eq!(signed_headers(&headers), "content-type;host;x-tc-action");
        assert!(canonical_request(&headers, b"").contains("\nx-tc-action:sendsms\n\ncontent-type;host;x-tc-action\n"));
        assert_ne!(canonical_request(&headers, b"{}"), canonical_request(&headers, b"{ }"), "the body is signed");
    }

    #[test]
    fn the_scope_date_is_utc() {
        // 2019-02-26 00:44:25 in China, still the 25th in UTC.
        assert_eq!(utc_date(1_551_113_065), "2019-02-25");
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(credential_scope(1_764_606_600, SERVICE), "2025-12-01/sms/tc3_request");
    }

    #[test]
    fn the_signature_depends_on_every_input() {
        let base = signature("key", 1_764_606_600, SERVICE, "to sign");
        assert_eq!(base.len(), 64);
        assert_ne!(base, signature("kez", 1_764_606_600, SERVICE, "to sign"));
        assert_ne!(base, signature("key", 1_764_606_600 + 86_400, SERVICE, "to sign"));
        assert_ne!(base, signature("key", 1_764_606_600, "cvm", "to sign"));
        assert_ne!(base, signature("key", 1_764_606_600, SERVICE, "to sigm"));
    }

    #[test]
    fn sms_length_counts_every_character_as_one() {
        assert_eq!(sms_length("【吉林消防】"), 6);
        assert_eq!(sms_length("【吉林消防】Fire safety month, 11.9"), 6 + 23);
        assert_eq!(sms_length(""), 0);
        let seventy = format!("【吉林消防】{}", "火".repeat(64));
        assert_eq!(sms_length(&seventy), SMS_MAX_CHARS);
        assert_eq!(sms_parts(sms_length(&seventy)), 1);
        assert_eq!(sms_parts(71), 2);
        assert_eq!(sms_parts(134), 2);
        assert_eq!(sms_parts(135), 3);
    }

    #[test]
    fn error_codes_are_classified() {
        let throttled = |code: &str| matches!(classify_error(code, "m"), SendError::Throttled { .. });
        assert!(throttled("RequestLimitExceeded"));
        assert!(throttled("RequestLimitExceeded.UinLimitExceeded"));
        assert!(throttled("LimitExceeded.AppDailyLimit"));
        assert!(matches!(classify_error("InternalError.Timeout", "m"), SendError::Transient(_)));
        assert!(matches!(classify_error("InternalError", "m"), SendError::Transient(_)));
        for code in [
            "AuthFailure.SignatureFailure",
            "InvalidParameterValue.TemplateParameterFormatError",
            "FailedOperation.InsufficientBalanceInSmsPackage",
            "Whatever",
        ] {
            assert!(matches!(classify_error(code, "m"), SendError::Permanent(_)), "{code}");
        }
        assert_eq!(
            classify_error("AuthFailure.SignatureFailure", "bad"),
            SendError::Permanent("AuthFailure.SignatureFailure: bad".into())
        );
    }

    fn phones(list: &[&str]) -> Vec<String> {
        list.iter().map(|p| (*p).to_owned()).collect()
    }

    #[test]
    fn per_number_statuses_become_outcomes_in_order() {
        let body = br#"{"Response":{"SendStatusSet":[
            {"SerialNo":"","PhoneNumber":"+8613900000002","Fee":0,"SessionContext":"","Code":"LimitExceeded.PhoneNumberDailyLimit","Message":"daily limit","IsoCode":"CN"},
            {"SerialNo":"5000:1045710669157053657849499619","PhoneNumber":"+8613900000001","Fee":1,"SessionContext":"","Code":"Ok","Message":"send success","IsoCode":"CN"}
        ],"RequestId":"a0aabda6-cf91-4f3e-a81f-9198114a2279"}}"#;
        let outcomes =
            interpret(StatusCode::OK, body, &phones(&["+8613900000001", "+8613900000002", "+8613900000003"])).unwrap();
        assert_eq!(outcomes.len(), 3);
        assert_eq!(
            outcomes[0],
            SmsOutcome {
                phone: "+8613900000001".into(),
                ok: true,
                code: "Ok".into(),
                serial_no: Some("5000:1045710669157053657849499619".into()),
                fee: 1
            }
        );
        assert!(!outcomes[1].ok);
        assert_eq!(outcomes[1].code, "LimitExceeded.PhoneNumberDailyLimit");
        assert_eq!(outcomes[1].serial_no, None);
        assert_eq!((outcomes[2].ok, outcomes[2].code.as_str()), (false, NO_STATUS), "a number the answer left out");
    }

    #[test]
    fn a_repeated_number_gets_each_of_its_statuses() {
        let body = br#"{"Response":{"SendStatusSet":[
            {"SerialNo":"1","PhoneNumber":"+8613900000001","Fee":1,"Code":"Ok"},
            {"SerialNo":"2","PhoneNumber":"+8613900000001","Fee":1,"Code":"Ok"}
        ]}}"#;
        let outcomes = interpret(StatusCode::OK, body, &phones(&["+8613900000001", "+8613900000001"])).unwrap();
        assert_eq!(outcomes[0].serial_no.as_deref(), Some("1"));
        assert_eq!(outcomes[1].serial_no.as_deref(), Some("2"));
    }

    #[test]
    fn errors_in_the_answer_are_send_errors() {
        let p = phones(&["+8613900000001"]);
        let auth = br#"{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure","Message":"The provided credentials could not be validated."},"RequestId":"x"}}"#;
        assert!(
            matches!(interpret(StatusCode::OK, auth, &p), Err(SendError::Permanent(m)) if m.starts_with("AuthFailure.SignatureFailure"))
        );
        let limit = br#"{"Response":{"Error":{"Code":"RequestLimitExceeded","Message":"too fast"},"RequestId":"x"}}"#;
        assert!(matches!(interpret(StatusCode::OK, limit, &p), Err(SendError::Throttled { .. })));
        assert!(matches!(interpret(StatusCode::INTERNAL_SERVER_ERROR, b"oops", &p), Err(SendError::Transient(_))));
        assert!(matches!(interpret(StatusCode::BAD_GATEWAY, b"", &p), Err(SendError::Transient(_))));
        assert!(matches!(interpret(StatusCode::TOO_MANY_REQUESTS, b"", &p), Err(SendError::Throttled { .. })));
        assert!(matches!(interpret(StatusCode::FORBIDDEN, b"<html>", &p), Err(SendError::Permanent(_))));
        assert!(matches!(interpret(StatusCode::OK, b"not json", &p), Err(SendError::Transient(_))));
        assert!(matches!(interpret(StatusCode::OK, br#"{"Response":{}}"#, &p), Err(SendError::Transient(_))));
    }

    fn config() -> SmsConfig {
        SmsConfig {
            sms_endpoint: "http://127.0.0.1:9".into(),
            sms_secret_id: Some("AKIDtest".into()),
            sms_secret_key: Some("very secret".into()),
            sms_app_id: Some("1400000000".into()),
            sms_sign_name: Some("吉林消防".into()),
            sms_template_id: Some("100001".into()),
            sms_code_template_id: Some("1110002".into()),
            sms_region: "ap-guangzhou".into(),
            sms_per_second: 50,
        }
    }

    #[test]
    fn configuration_needs_every_credential() {
        assert!(config().is_configured());
        assert!(SmsClient::new(&config()).is_some());
        let missing = SmsConfig { sms_template_id: None, ..config() };
        assert!(!missing.is_configured());
        assert!(SmsClient::new(&missing).is_none());
        let blank = SmsConfig { sms_secret_key: Some("  ".into()), ..config() };
        assert!(!blank.is_configured());
        assert!(SmsClient::new(&SmsConfig { sms_endpoint: "not a url".into(), ..config() }).is_none());
    }

    #[test]
    fn the_secret_key_is_not_printed() {
        let printed = format!("{:?}", config());
        assert!(!printed.contains("very secret"), "{printed}");
        assert!(printed.contains("AKIDtest") && printed.contains("***"));
        let client = format!("{:?}", SmsClient::new(&config()).unwrap());
        assert!(!client.contains("very secret"), "{client}");
    }

    #[test]
    fn the_flags_parse_with_their_defaults() {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            sms: SmsConfig,
        }
        let cli =
            <Cli as clap::Parser>::try_parse_from(["firecast", "--sms-secret-id", "AKID1", "--sms-per-second", "20"])
                .unwrap();
        assert_eq!(cli.sms.sms_endpoint, "https://sms.tencentcloudapi.com");
        assert_eq!(cli.sms.sms_region, "ap-guangzhou");
        assert_eq!(cli.sms.sms_per_second, 20);
        assert_eq!(cli.sms.sms_secret_id.as_deref(), Some("AKID1"));
        assert!(!cli.sms.is_configured());
        <Cli as clap::CommandFactory>::command().debug_assert();
    }

    #[tokio::test]
    async fn more_than_200_numbers_are_refused_before_sending() {
        let client = SmsClient::new(&config()).unwrap();
        let many: Vec<String> = (0..201).map(|i| format!("+86139{i:08}")).collect();
        let err = client.send(&many, &[]).await.unwrap_err();
        assert!(matches!(&err, SendError::Permanent(m) if m.contains("201")), "{err}");
        assert_eq!(client.send(&[], &[]).await, Ok(Vec::new()));
    }
}
