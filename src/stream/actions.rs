//! What staff and viewers do with livestreams, shared by the JSON API and the pages: set a
//! broadcast up, count a viewer, post a comment (viewers, with a budget per address), moderate it,
//! enter the views a platform reported, and finish the broadcast (its views filed for review).
//! Every staff change checks that the caller runs that broadcast, and is audited.

use std::collections::BTreeMap;

use serde::Deserialize;
use utoipa::ToSchema;

use super::store::{self, NewStream, Stream};
use super::{COMMENT_CHARS, COMMENTS_PER_HOUR, CommentState, State, may_run, playback};
use crate::activity;
use crate::clock::{self, parse_time};
use crate::db::Db;
use crate::i18n::keyed;
use crate::org::caller::Principal;
use crate::org::{self, parse_name, parse_text};
use crate::personal::DataKey;
use crate::{Error, Result};

/// A broadcast as written in the form or a JSON body.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[schema(as = LivestreamInput)]
pub struct StreamInput {
    /// Title.
    pub title: String,
    /// What it is about.
    #[serde(default)]
    pub summary: String,
    /// Where it is aimed: a region code inside the caller's area.
    pub region_code: String,
    /// The stream's address: an HLS (`.m3u8`) or video address played in the page, or the
    /// platform's page (抖音, 快手, 视频号), linked.
    #[serde(default)]
    pub stream_url: String,
    /// The public slug of a quiz to take during the stream.
    #[serde(default)]
    pub quiz_slug: String,
    /// Start, `2026-11-20 19:00` (China Standard Time) or RFC 3339.
    pub starts_at: String,
    /// End.
    pub ends_at: String,
}

/// Sets up a broadcast of the caller's unit. Returns its id.
pub async fn create(db: &Db, me: &Principal, input: &StreamInput) -> Result<i64> {
    let r = async {
        if !may_run(me.role) {
            return Err(Error::Forbidden);
        }
        let title = parse_name("title", &input.title)?;
        let summary = parse_text("summary", &input.summary, 2000)?;
        let region = org::picker::place(db, &me.scope, "region_code", &input.region_code).await?;
        let region = (region.code, region.path);
        let url = input.stream_url.trim();
        if !url.is_empty() && (playback(url).is_none() || url.len() > 500) {
            return Err(Error::invalid("stream_url", "error.link_scheme"));
        }
        let slug = input.quiz_slug.trim();
        if !slug.is_empty() {
            crate::quiz::store::quiz_by_slug(db, slug)
                .await
                .map_err(|_| Error::invalid("quiz_slug", keyed("error.no_quiz_slug", &[slug])))?;
        }
        let starts_at = parse_time("starts_at", &input.starts_at)?;
        let ends_at = parse_time("ends_at", &input.ends_at)?;
        if ends_at <= starts_at {
            return Err(Error::invalid("ends_at", "error.event_ends_early"));
        }
        let s = NewStream {
            unit: (me.user.unit_id, me.user.region_path.clone()),
            text: (title, summary),
            region,
            links: (url.to_owned(), slug.to_owned()),
            times: (starts_at, ends_at),
            created_by: me.user.id,
        };
        store::insert(db, &s, clock::now()).await
    }
    .await;
    me.audited(db, "stream.create", ("unit", &me.user.unit_id.to_string()), r).await
}

/// A broadcast the caller runs: aimed in their area and set up by their unit or one below it.
pub async fn run_by(db: &Db, me: &Principal, id: i64) -> Result<Stream> {
    let s = store::stream(db, &me.scope, id).await?;
    if !may_run(me.role) || !me.scope.contains(&s.unit_path) {
        return Err(Error::Forbidden);
    }
    Ok(s)
}

/// Counts the viewer holding `device` (their cookie's token) once a day while the broadcast is
/// open; only a keyed hash of the token is kept.
pub async fn view(db: &Db, key: &DataKey, s: &Stream, device: &str) -> Result<()> {
    if s.state == State::Open {
        store::view(db, s.id, clock::today(), &key.index(&format!("viewer:{device}"))).await?;
    }
    Ok(())
}

/// A viewer's comment or question.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[schema(as = LivestreamCommentInput)]
pub struct CommentInput {
    /// The name to show (1 to 20 characters).
    pub nickname: String,
    /// The comment (1 to 200 characters).
    pub body: String,
}

/// Posts a comment for staff to show or hide; an address may post [`COMMENTS_PER_HOUR`] an hour.
pub async fn comment(db: &Db, key: &DataKey, id: i64, input: &CommentInput, ip: &str) -> Result<i64> {
    let s = store::public_stream(db, id).await?;
    if s.state != State::Open {
        return Err(Error::Conflict("error.stream_finished".into()));
    }
    let nickname = input.nickname.trim();
    if nickname.is_empty() || nickname.chars().count() > 20 || nickname.chars().any(char::is_control) {
        return Err(Error::invalid("nickname", "error.nickname"));
    }
    let body = input.body.trim();
    if body.is_empty() || body.chars().count() > COMMENT_CHARS || body.chars().any(char::is_control) {
        return Err(Error::invalid("body", keyed("error.comment_length", &[&COMMENT_CHARS.to_string()])));
    }
    let address = key.index(&format!("stream-comment:{ip}"));
    org::store::spend(db, "stream_comment", &address, clock::now(), COMMENTS_PER_HOUR)
        .await?
        .ok_or_else(|| Error::TooMany("error.comments_per_hour".into()))?;
    store::insert_comment(db, id, nickname, body, clock::now()).await
}

/// Shows or hides a comment of a broadcast the caller runs.
pub async fn moderate(db: &Db, me: &Principal, id: i64, comment: i64, to: CommentState) -> Result<()> {
    let r = async {
        run_by(db, me, id).await?;
        if to == CommentState::Waiting {
            return Err(Error::invalid("state", "error.comment_state"));
        }
        store::moderate(db, id, comment, to, me.user.id).await
    }
    .await;
    me.audited(db, &format!("stream.comment.{to}"), ("livestream", &id.to_string()), r).await
}

/// Views a platform reported, as entered by staff.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct ReportedInput {
    /// The platform (抖音, 快手, a partner's name).
    pub platform: String,
    /// Views it reported.
    pub views: i64,
    /// Where the figure can be checked: the platform's statistics page, or what the screenshot
    /// on file shows.
    pub evidence: String,
}

/// Enters the views a platform reported for a broadcast the caller runs.
pub async fn report_views(db: &Db, me: &Principal, id: i64, input: &ReportedInput) -> Result<()> {
    let r = async {
        run_by(db, me, id).await?;
        let platform = parse_name("platform", &input.platform)?;
        if !(1..=100_000_000).contains(&input.views) {
            return Err(Error::invalid("views", keyed("error.whole_number_range", &["100000000"])));
        }
        let evidence = input.evidence.trim();
        if evidence.is_empty() || evidence.chars().count() > 500 || evidence.chars().any(char::is_control) {
            return Err(Error::invalid("evidence", "error.evidence_needed"));
        }
        store::insert_reported(db, id, (&platform, input.views, evidence), me.user.id, clock::now()).await
    }
    .await;
    me.audited(db, "stream.reported_views", ("livestream", &id.to_string()), r).await
}

/// Finishes a broadcast that has started: its views (this page's daily unique viewers and the
/// platforms' reported views, said apart in the description) are filed as `livestream_views` for
/// review. Returns the record, when a campaign ran that day.
pub async fn finish(db: &Db, me: &Principal, id: i64) -> Result<Option<i64>> {
    let r = async {
        let s = run_by(db, me, id).await?;
        if s.state != State::Open {
            return Err(Error::Conflict("error.stream_finished".into()));
        }
        if s.starts_at > clock::now() {
            return Err(Error::Conflict("error.event_not_started".into()));
        }
        let reported = store::reported(db, id).await?;
        let mut description = crate::i18n::Lang::Zh.text("stream.record_viewers", &[&s.viewers.to_string()]);
        for r in &reported {
            description.push_str(
                &crate::i18n::Lang::Zh
                    .text("stream.record_reported", &[&r.platform, &r.views.to_string(), &r.evidence]),
            );
        }
        let day = |t: time::OffsetDateTime| clock::show_date(t.to_offset(clock::CST).date());
        let input = activity::actions::ActivityInput {
            kind: "livestream".to_owned(),
            title: s.title.clone(),
            starts_on: day(s.starts_at),
            ends_on: day(s.ends_at),
            region_code: s.region_code.clone(),
            venue: String::new(),
            description,
            figures: BTreeMap::from([("livestream_views".to_owned(), s.views())]),
            ..Default::default()
        };
        let region = (s.region_code.clone(), s.region_path.clone());
        let filed =
            activity::actions::file_for_review(db, input, region, (s.unit_id, &s.unit_path), me.user.id).await?;
        store::finish(db, id, filed.map(|f| f.0)).await?;
        Ok(filed.map(|f| f.0))
    }
    .await;
    me.audited(db, "stream.finish", ("livestream", &id.to_string()), r).await
}
