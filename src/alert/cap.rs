//! The published side of warnings: each as a CAP 1.2 document at `/cap/{identifier}.xml`
//! (`application/cap+xml`), and the Atom index of current warnings at `/feeds/alerts.atom`, whose
//! entries link their CAP documents, as alerting hubs read them.

use std::fmt::Write as _;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use quick_xml::escape::escape;

use super::cap_time;
use super::store::{self, Alert};
use crate::web::AppState;
use crate::web::extract::Path;
use crate::{Error, Result, clock, i18n};

/// CAP 1.2's namespace.
pub const NAMESPACE: &str = "urn:oasis:names:tc:emergency:cap:1.2";

/// The CAP `category` and `event` of a warning's kind, in Chinese and Korean.
fn event_name(a: &Alert, lang: i18n::Lang) -> &'static str {
    lang.t(&format!("alert_kind.{}", a.kind))
}

/// One `<info>` block in a language: (CAP language tag, headline, description, instruction).
fn info(out: &mut String, a: &Alert, (tag, lang): (&str, i18n::Lang), texts: (&str, &str, &str), base: &str) {
    let _ = write!(
        out,
        "  <info>\n    <language>{tag}</language>\n    <category>Fire</category>\n    <category>Safety</category>\n    \
         <event>{}</event>\n    <urgency>{}</urgency>\n    <severity>{}</severity>\n    <certainty>{}</certainty>\n    \
         <effective>{}</effective>\n    <expires>{}</expires>\n    <senderName>{}</senderName>\n    <headline>{}</headline>\n    \
         <description>{}</description>\n",
        escape(event_name(a, lang)),
        a.urgency,
        a.severity,
        a.certainty,
        cap_time(a.effective_at),
        cap_time(a.expires_at),
        escape(&a.unit_name),
        escape(texts.0),
        escape(texts.1),
    );
    if !texts.2.is_empty() {
        let _ = writeln!(out, "    <instruction>{}</instruction>", escape(texts.2));
    }
    let _ = write!(out, "    <web>{base}/p/</web>\n    <area>\n      <areaDesc>{}</areaDesc>\n", escape(&a.area_desc));
    for code in a.area_codes.split(',').filter(|c| !c.is_empty()) {
        let _ = writeln!(
            out,
            "      <geocode>\n        <valueName>GB/T 2260</valueName>\n        <value>{code}</value>\n      </geocode>"
        );
    }
    out.push_str("    </area>\n  </info>\n");
}

/// A warning as a CAP 1.2 `Alert` message, or its `Cancel` message when `cancel` (which references
/// the original by sender, identifier and sent time). Chinese `<info>` first, then Korean.
pub fn document(a: &Alert, cancel: bool, base: &str) -> Option<String> {
    let (identifier, sent) = if cancel {
        (a.cancel_identifier.as_deref()?, a.cancelled_at?)
    } else {
        (a.identifier.as_deref()?, a.sent_at?)
    };
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<alert xmlns=\"{NAMESPACE}\">\n  <identifier>{identifier}</identifier>\n  \
         <sender>{}</sender>\n  <sent>{}</sent>\n  <status>Actual</status>\n  <msgType>{}</msgType>\n  <scope>Public</scope>\n",
        a.sender_code,
        cap_time(sent),
        if cancel { "Cancel" } else { "Alert" }
    );
    if cancel {
        let (Some(original), Some(original_sent)) = (a.identifier.as_deref(), a.sent_at) else { return None };
        let _ = writeln!(out, "  <references>{},{original},{}</references>", a.sender_code, cap_time(original_sent));
    }
    info(&mut out, a, ("zh-CN", i18n::Lang::Zh), (&a.headline, &a.description, &a.instruction), base);
    if !a.headline_ko.is_empty() {
        info(&mut out, a, ("ko-KR", i18n::Lang::Ko), (&a.headline_ko, &a.description_ko, &a.instruction_ko), base);
    }
    out.push_str("</alert>\n");
    Some(out)
}

async fn cap_document(State(state): State<AppState>, Path(file): Path<String>) -> Result<Response> {
    let identifier = file.strip_suffix(".xml").ok_or(Error::NotFound)?;
    let a = store::by_identifier(&state.db, identifier).await?;
    let cancel = a.cancel_identifier.as_deref() == Some(identifier);
    let body = document(&a, cancel, &state.config.base_url()).ok_or(Error::NotFound)?;
    Ok(([(header::CONTENT_TYPE, "application/cap+xml; charset=utf-8")], body).into_response())
}

/// The Atom index of current warnings: one entry per message (a warning, and its `Cancel` once
/// called off), each linking its CAP document.
pub fn index(base: &str, alerts: &[Alert]) -> String {
    let zh = i18n::Lang::Zh;
    let mut entries: Vec<(String, time::OffsetDateTime, String, &Alert)> = Vec::new();
    for a in alerts {
        if let (Some(id), Some(at)) = (&a.cancel_identifier, a.cancelled_at) {
            entries.push((id.clone(), at, zh.text("alert.cancelled_title", &[a.headline.as_str()]), a));
        }
        if let (Some(id), Some(at)) = (&a.identifier, a.sent_at) {
            entries.push((id.clone(), at, a.headline.clone(), a));
        }
    }
    entries.sort_by_key(|e| std::cmp::Reverse(e.1));
    let updated = entries.first().map_or(time::OffsetDateTime::UNIX_EPOCH, |e| e.1);
    let self_url = format!("{base}/feeds/alerts.atom");
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"zh-CN\">\n\
         <title>{}</title>\n<id>{self_url}</id>\n<link rel=\"self\" type=\"application/atom+xml\" href=\"{self_url}\"/>\n\
         <updated>{}</updated>\n<generator>firecast</generator>\n",
        escape(zh.t("alert.index_title")),
        cap_time(updated)
    );
    for (id, at, title, a) in entries {
        let url = format!("{base}/cap/{id}.xml");
        let _ = write!(
            out,
            "<entry>\n<title>{}</title>\n<id>{url}</id>\n<link rel=\"alternate\" type=\"application/cap+xml\" href=\"{url}\"/>\n\
             <updated>{}</updated>\n<author><name>{}</name></author>\n<summary>{}</summary>\n</entry>\n",
            escape(&title),
            cap_time(at),
            escape(&a.unit_name),
            escape(&a.area_desc)
        );
    }
    out.push_str("</feed>\n");
    out
}

async fn alerts_atom(State(state): State<AppState>) -> Result<Response> {
    let alerts = store::current(&state.db, clock::now()).await?;
    let body = index(&state.config.base_url(), &alerts);
    Ok(([(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")], body).into_response())
}

/// The routes of the published warnings.
pub fn router() -> Router<AppState> {
    Router::new().route("/cap/{file}", get(cap_document)).route("/feeds/alerts.atom", get(alerts_atom))
}
