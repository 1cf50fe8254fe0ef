//! The iCalendar feed (RFC 5545) of public events, at `/feeds/events.ics`: the open events that have
//! not ended, for a region (`?region=`: those held in it or in an area around it) or the province,
//! so that a resident's calendar app or a partner's screen lists what is coming. Times are in UTC
//! (no time-zone block needed); text is escaped and lines folded at 75 octets, as the RFC asks.

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use time::OffsetDateTime;
use time::macros::format_description;

use super::State as EventState;
use super::store::{self, Event};
use crate::org::Scope;
use crate::web::AppState;
use crate::web::extract::Query;
use crate::{Result, clock, i18n};

/// Which events the feed holds.
#[derive(Debug, Default, Deserialize)]
struct CalendarQuery {
    /// A region's code.
    #[serde(default)]
    region: String,
}

/// A time as iCalendar writes it in UTC: `20261120T013000Z`.
fn utc(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(format_description!("[year][month][day]T[hour][minute][second]Z"))
        .unwrap_or_default()
}

/// Text as a property value: backslash, semicolon, comma and line breaks escaped.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// One content line, folded so that no line is longer than 75 octets (never inside a character),
/// each continuation starting with a space; ends with CRLF.
fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

/// The calendar of `events`, named `name`, its events' pages under `base`.
pub fn calendar(base: &str, host: &str, name: &str, events: &[Event], now: OffsetDateTime) -> String {
    let mut out = String::new();
    for l in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//firecast//public events//ZH",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ] {
        line(&mut out, l);
    }
    line(&mut out, &format!("X-WR-CALNAME:{}", text(name)));
    line(&mut out, "X-WR-TIMEZONE:Asia/Shanghai");
    for e in events {
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:public-event-{}@{host}", e.id));
        line(&mut out, &format!("DTSTAMP:{}", utc(now)));
        line(&mut out, &format!("DTSTART:{}", utc(e.starts_at)));
        line(&mut out, &format!("DTEND:{}", utc(e.ends_at)));
        line(&mut out, &format!("SUMMARY:{}", text(&e.title)));
        let mut about = e.summary.clone();
        if !about.is_empty() {
            about.push('\n');
        }
        about.push_str(&i18n::Lang::Zh.text("event.organised_by", &[&e.unit_name]));
        line(&mut out, &format!("DESCRIPTION:{}", text(&about)));
        line(&mut out, &format!("LOCATION:{}", text(&e.place())));
        line(&mut out, &format!("URL:{base}/p/events/{}", e.id));
        let status = if e.state == EventState::Cancelled { "CANCELLED" } else { "CONFIRMED" };
        line(&mut out, &format!("STATUS:{status}"));
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
}

async fn events_ics(State(state): State<AppState>, Query(q): Query<CalendarQuery>) -> Result<Response> {
    let region = match q.region.trim() {
        "" => None,
        code => Some(crate::org::store::region(&state.db, &Scope::province(), code).await?),
    };
    let path = region.as_ref().map_or_else(|| Scope::province().path().to_owned(), |r| r.path.clone());
    let now = clock::now();
    let events: Vec<Event> =
        store::upcoming(&state.db, now, 500).await?.into_iter().filter(|e| super::public::near(e, &path)).collect();
    let zh = i18n::Lang::Zh;
    let place = region.as_ref().map_or_else(|| zh.t("feed.province").to_owned(), |r| r.name.clone());
    let name = zh.text("event.calendar_name", &[&place]);
    let base = state.config.base_url();
    let host = base.split("://").nth(1).unwrap_or("firecast").split(['/', ':']).next().unwrap_or("firecast").to_owned();
    let body = calendar(&base, &host, &name, &events, now);
    Ok(([(header::CONTENT_TYPE, "text/calendar; charset=utf-8")], body).into_response())
}

/// The route of the calendar feed.
pub fn router() -> Router<AppState> {
    Router::new().route("/feeds/events.ics", get(events_ics))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_lines_fold_at_75_octets_between_characters() {
        assert_eq!(text("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
        let mut out = String::new();
        let long = format!("SUMMARY:{}", "第四届“吉林消防”科普嘉年华".repeat(5));
        line(&mut out, &long);
        assert!(out.ends_with("\r\n"));
        for (i, l) in out.trim_end_matches("\r\n").split("\r\n").enumerate() {
            assert!(l.len() <= 75, "{l}");
            assert_eq!(i > 0, l.starts_with(' '));
        }
        assert_eq!(out.replace("\r\n ", "").trim_end(), long);
        assert_eq!(utc(time::macros::datetime!(2026-11-20 09:30 +8)), "20261120T013000Z");
    }
}
