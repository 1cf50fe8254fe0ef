//! What a screen shows, pulled with its key: `/feeds/screen.txt?key=…` (a caption a line) or
//! `/feeds/screen.json?key=…` (now and next, with pictures for screens that show them). Now: the
//! warnings in force where the screen stands, the captions scheduled for this time of day, the
//! running campaign's theme, the season's tips; next: the captions scheduled later today and the
//! events of the coming week nearby. Captions are cut to the screen's character limit. Partners
//! read the same playlist for a place of their area.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use utoipa::ToSchema;

use super::store::{self, Screen};
use super::{Kind, PULLS_PER_HOUR, caption};
use crate::web::AppState;
use crate::web::extract::Query;
use crate::{Error, Result, clock};

/// One thing to show.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[schema(as = PlaylistItem)]
pub struct Item {
    /// `alert`, `scheduled`, `campaign`, `tip` or `event`.
    pub kind: &'static str,
    /// The caption, within the screen's limit.
    pub text: String,
    /// A picture or file to show with it, for screens that show them.
    pub file: Option<String>,
    /// When it starts applying (things next).
    pub from: Option<String>,
    /// When it stops applying.
    pub until: Option<String>,
}

/// A screen's playlist.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Playlist {
    /// The screen's name.
    pub screen: String,
    /// The longest caption it shows.
    pub chars: i64,
    /// What to show now, in order.
    pub now: Vec<Item>,
    /// What comes next.
    pub next: Vec<Item>,
}

/// What a playlist is made for: a screen, or a partner's place.
pub struct Place<'a> {
    /// Its name.
    pub name: &'a str,
    /// Where it stands.
    pub region_path: &'a str,
    /// What it shows.
    pub kind: Kind,
    /// The longest caption.
    pub chars: i64,
}

impl Screen {
    /// What its playlist is made for.
    pub fn place(&self) -> Place<'_> {
        Place { name: &self.name, region_path: &self.region_path, kind: self.kind, chars: self.chars }
    }
}

/// The playlist of `place` at `now`: the warnings in force there, the captions scheduled for this
/// time of day, the running campaign's theme and the season's tips; next, the captions scheduled
/// later today and the events of the coming week nearby.
pub async fn playlist(state: &AppState, place: &Place<'_>, now: OffsetDateTime) -> Result<Playlist> {
    let db = &state.db;
    let chars = usize::try_from(place.chars).unwrap_or(20);
    let base = state.config.base_url();
    let path = place.region_path;
    let at = |t: OffsetDateTime| Some(crate::alert::cap_time(t));
    let mut items = Vec::new();
    for a in crate::alert::store::in_force(db, now, Some(path)).await? {
        let text = if place.kind.shows_files() && !a.instruction.is_empty() {
            format!("{}：{}", a.headline, a.instruction)
        } else {
            a.headline.clone()
        };
        items.push(Item {
            kind: "alert",
            text: caption(&text, chars),
            file: None,
            from: None,
            until: at(a.expires_at),
        });
    }
    let local = now.to_offset(clock::CST);
    let today = local.date();
    let midnight = local.replace_time(time::Time::MIDNIGHT);
    let minute = i64::from(local.hour()) * 60 + i64::from(local.minute());
    let mut next = Vec::new();
    for slot in store::slots_over(db, path, today).await? {
        if slot.kind.is_some_and(|k| k != place.kind) || slot.to_minute <= minute {
            continue;
        }
        let (from, until) =
            (midnight + Duration::minutes(slot.from_minute), midnight + Duration::minutes(slot.to_minute));
        let item =
            Item { kind: "scheduled", text: caption(&slot.text, chars), file: None, from: at(from), until: at(until) };
        if slot.from_minute <= minute { items.push(item) } else { next.push(item) }
    }
    for c in crate::campaign::store::running_over(db, path, today).await? {
        if !c.theme.is_empty() {
            items.push(Item { kind: "campaign", text: caption(&c.theme, chars), file: None, from: None, until: None });
        }
    }
    let season = crate::push::Theme::of_season(today);
    let tips = crate::push::store::public_tips(db, crate::push::Lang::Zh, path, ("", season.as_str()), 6).await?;
    for t in tips {
        let file = (place.kind.shows_files() && t.has_file).then(|| format!("{base}/p/tips/{}/file", t.id));
        items.push(Item { kind: "tip", text: caption(&t.title, chars), file, from: None, until: None });
    }
    let week = now + Duration::days(7);
    for e in crate::event::store::upcoming(db, now, 50).await? {
        if e.starts_at < week && crate::event::public::near(&e, path) {
            let day = e.starts_at.to_offset(clock::CST);
            let text = format!("{}月{}日 {}", u8::from(day.month()), day.day(), e.title);
            next.push(Item {
                kind: "event",
                text: caption(&text, chars),
                file: None,
                from: at(e.starts_at),
                until: at(e.ends_at),
            });
        }
    }
    Ok(Playlist { screen: place.name.to_owned(), chars: place.chars, now: items, next })
}

/// How a screen gives its key: `?key=`, or the `X-Screen-Key` header.
#[derive(Debug, Default, Deserialize)]
struct KeyQuery {
    #[serde(default)]
    key: String,
}

/// The screen holding the key, within its hourly budget of pulls.
async fn screen_of(state: &AppState, headers: &HeaderMap, q: &KeyQuery) -> Result<Screen> {
    let header_key = headers.get("x-screen-key").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let key = if q.key.is_empty() { header_key } else { q.key.as_str() };
    // A wrong key is refused (403), not sent to the sign-in page: a screen cannot sign in.
    if !key.starts_with(super::KEY_PREFIX) {
        return Err(Error::Forbidden);
    }
    let hash = crate::org::hash_secret(key);
    let now = clock::now();
    crate::org::store::spend(&state.db, "screen_pull", &hash, now, PULLS_PER_HOUR)
        .await?
        .ok_or_else(|| Error::TooMany("error.pulls_per_hour".into()))?;
    store::pull(&state.db, &hash, now)
        .await
        .map_err(|e| if matches!(e, Error::NotFound) { Error::Forbidden } else { e })
}

async fn as_json(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<KeyQuery>) -> Result<Response> {
    let s = screen_of(&state, &headers, &q).await?;
    Ok(axum::Json(playlist(&state, &s.place(), clock::now()).await?).into_response())
}

async fn as_text(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<KeyQuery>) -> Result<Response> {
    let s = screen_of(&state, &headers, &q).await?;
    let list = playlist(&state, &s.place(), clock::now()).await?;
    let mut text = String::new();
    for item in list.now.iter().chain(&list.next) {
        text.push_str(&item.text);
        text.push('\n');
    }
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
}

/// The routes screens pull from.
pub fn router() -> Router<AppState> {
    Router::new().route("/feeds/screen.json", get(as_json)).route("/feeds/screen.txt", get(as_text))
}
