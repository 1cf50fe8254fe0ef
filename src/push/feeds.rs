//! Feeds of the product library that readers, aggregators and partner screens pull: Atom
//! (RFC 4287) at `/feeds/tips.atom` and RSS 2.0 at `/feeds/tips.rss`, of approved products, the
//! newest approval first. `?region=` keeps those made for that region or above it, `?tag=` those
//! carrying a tag, `?lang=ko` gives the Korean variants (only products that have one) in a feed of
//! their own.

use std::fmt::Write as _;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use quick_xml::escape::escape;
use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::{Rfc2822, Rfc3339};

use super::store::{self, PublicTip};
use super::{Lang, is_tag};
use crate::org::Scope;
use crate::web::AppState;
use crate::web::extract::Query;
use crate::{Error, Result, i18n};

/// Entries in a feed.
pub const ENTRIES: i64 = 50;

/// What a feed holds.
#[derive(Debug, Default, Deserialize)]
pub struct FeedQuery {
    /// A region's code.
    #[serde(default)]
    pub region: String,
    /// A tag.
    #[serde(default)]
    pub tag: String,
    /// `zh` (default) or `ko`.
    #[serde(default)]
    pub lang: String,
}

/// A feed's entries with its title and the query that made it.
struct Feed {
    lang: Lang,
    title: String,
    query: String,
    tips: Vec<PublicTip>,
}

async fn feed(state: &AppState, q: &FeedQuery) -> Result<Feed> {
    let lang = if q.lang.is_empty() { Lang::Zh } else { Lang::parse(&q.lang).ok_or(Error::NotFound)? };
    let ui = if lang == Lang::Ko { i18n::Lang::Ko } else { i18n::Lang::Zh };
    let region = match q.region.trim() {
        "" => None,
        code => Some(crate::org::store::region(&state.db, &Scope::province(), code).await?),
    };
    let tag = q.tag.trim();
    if !tag.is_empty() && !is_tag(tag) {
        return Err(Error::NotFound);
    }
    let path = region.as_ref().map_or("", |r| r.path.as_str());
    let tips = store::public_tips(&state.db, lang, path, ("", tag), ENTRIES).await?;
    let place = region.as_ref().map_or_else(|| ui.t("feed.province").to_owned(), |r| r.name.clone());
    let mut title = ui.text("feed.title", &[place.as_str()]);
    if !tag.is_empty() {
        title = ui.text("feed.title_tag", &[title.as_str(), ui.t(&format!("push_tag.{tag}"))]);
    }
    let query =
        crate::web::extract::query_string(&[("region", q.region.trim()), ("tag", tag), ("lang", lang.as_str())]);
    Ok(Feed { lang, title, query, tips })
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// The public page of a tip, in the feed's language.
fn tip_url(base: &str, lang: Lang, id: i64) -> String {
    format!("{base}/p/tips/{id}?lang={}", lang.as_str())
}

fn atom(base: &str, f: &Feed) -> String {
    let updated = f.tips.first().map_or(OffsetDateTime::UNIX_EPOCH, |t| t.approved_at);
    let self_url = format!("{base}/feeds/tips.atom?{}", f.query);
    let xml_lang = if f.lang == Lang::Ko { "ko" } else { "zh-CN" };
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{xml_lang}\">\n\
         <title>{}</title>\n<id>{}</id>\n<link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n\
         <link rel=\"alternate\" type=\"text/html\" href=\"{base}/p/\"/>\n<updated>{}</updated>\n\
         <generator>firecast</generator>\n",
        escape(&f.title),
        escape(&self_url),
        escape(&self_url),
        rfc3339(updated)
    );
    for t in &f.tips {
        let url = tip_url(base, f.lang, t.id);
        let _ = write!(
            out,
            "<entry>\n<title>{}</title>\n<id>{}</id>\n<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n\
             <updated>{}</updated>\n<author><name>{}</name></author>\n",
            escape(&t.title),
            escape(&url),
            escape(&url),
            rfc3339(t.approved_at),
            escape(&t.unit_name)
        );
        for tag in super::split_tags(&t.tags) {
            let _ = writeln!(out, "<category term=\"{}\"/>", escape(tag));
        }
        let _ = write!(out, "<content type=\"text\">{}</content>\n</entry>\n", escape(&t.body));
    }
    out.push_str("</feed>\n");
    out
}

fn rss(base: &str, f: &Feed) -> String {
    let rfc2822 = |t: OffsetDateTime| t.format(&Rfc2822).unwrap_or_default();
    let updated = f.tips.first().map_or(OffsetDateTime::UNIX_EPOCH, |t| t.approved_at);
    let self_url = format!("{base}/feeds/tips.rss?{}", f.query);
    let language = if f.lang == Lang::Ko { "ko" } else { "zh-cn" };
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\">\n<channel>\n\
         <title>{}</title>\n<link>{base}/p/</link>\n<description>{}</description>\n<language>{language}</language>\n\
         <lastBuildDate>{}</lastBuildDate>\n<atom:link rel=\"self\" type=\"application/rss+xml\" href=\"{}\"/>\n",
        escape(&f.title),
        escape(&f.title),
        rfc2822(updated),
        escape(&self_url)
    );
    for t in &f.tips {
        let url = tip_url(base, f.lang, t.id);
        let _ = write!(
            out,
            "<item>\n<title>{}</title>\n<link>{}</link>\n<guid isPermaLink=\"true\">{}</guid>\n<pubDate>{}</pubDate>\n\
             <description>{}</description>\n",
            escape(&t.title),
            escape(&url),
            escape(&url),
            rfc2822(t.approved_at),
            escape(&t.body)
        );
        for tag in super::split_tags(&t.tags) {
            let _ = writeln!(out, "<category>{}</category>", escape(tag));
        }
        out.push_str("</item>\n");
    }
    out.push_str("</channel>\n</rss>\n");
    out
}

async fn atom_feed(State(state): State<AppState>, Query(q): Query<FeedQuery>) -> Result<Response> {
    let f = feed(&state, &q).await?;
    let body = atom(&state.config.base_url(), &f);
    Ok(([(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")], body).into_response())
}

async fn rss_feed(State(state): State<AppState>, Query(q): Query<FeedQuery>) -> Result<Response> {
    let f = feed(&state, &q).await?;
    let body = rss(&state.config.base_url(), &f);
    Ok(([(header::CONTENT_TYPE, "application/rss+xml; charset=utf-8")], body).into_response())
}

/// The routes of the feeds.
pub fn router() -> Router<AppState> {
    Router::new().route("/feeds/tips.atom", get(atom_feed)).route("/feeds/tips.rss", get(rss_feed))
}
