//! `/p/`: a resident's home page, phone first and without an account (the site root sends
//! visitors who are not signed in here): the campaign running where they live, today's tips for
//! their area and the season, the quizzes open to them, and the ways to subscribe, report a hazard
//! or follow a report, and the events coming up near them. Its head advertises the feeds of tips
//! and the calendar of events, as readers, aggregators and calendar apps find them.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::Deserialize;

use crate::campaign::store::{self as campaigns, Campaign};
use crate::org::picker::{self, RegionPicker, Spec};
use crate::org::{Scope, store};
use crate::push::Theme;
use crate::push::store::{self as products, PublicTip};
use crate::quiz::store::{self as quizzes, Quiz};
use crate::web::AppState;
use crate::web::extract::Query;
use crate::web::layout::PageCtx;
use crate::{Result, clock};

/// Tips shown on the page.
const TIPS: i64 = 4;

/// Events shown on the page.
const EVENTS: usize = 3;

/// Where the resident lives: any level down to the community.
const PLACE: Spec = Spec::filter("region", 4);

#[derive(Template, WebTemplate)]
#[template(path = "home/resident.html")]
struct ResidentPage {
    ctx: PageCtx,
    place: RegionPicker,
    /// The chosen region's code (empty: the whole province).
    region: String,
    campaigns: Vec<Campaign>,
    tips: Vec<PublicTip>,
    quizzes: Vec<Quiz>,
    events: Vec<crate::event::store::Event>,
    /// Warnings in force where the resident lives.
    alerts: Vec<crate::alert::store::Alert>,
    /// Broadcasts on air or coming up.
    streams: Vec<crate::stream::store::Stream>,
    /// The feeds' language: Korean for a Korean page.
    feed_lang: &'static str,
}

impl ResidentPage {
    fn until(&self, q: &Quiz) -> String {
        self.ctx.fill("resident.quiz_until", &[&self.ctx.time(&q.closes_at)])
    }
    fn on_air(&self, s: &crate::stream::store::Stream) -> bool {
        s.starts_at <= clock::now()
    }
    fn calendar_query(&self) -> String {
        crate::web::extract::query_string(&[("region", self.region.as_str())])
    }
    fn feed_query(&self) -> String {
        crate::web::extract::query_string(&[("region", self.region.as_str()), ("lang", self.feed_lang)])
    }
}

#[derive(Debug, Default, Deserialize)]
struct ResidentQuery {
    #[serde(default)]
    region: String,
}

async fn resident(State(state): State<AppState>, ctx: PageCtx, Query(q): Query<ResidentQuery>) -> Result<ResidentPage> {
    let province = Scope::province();
    let chosen = match q.region.trim() {
        "" => None,
        code => store::region(&state.db, &province, code).await.ok(),
    };
    let path = chosen.as_ref().map_or_else(|| province.path().to_owned(), |r| r.path.clone());
    let today = clock::today();
    let now = clock::now();
    let campaigns = campaigns::running_over(&state.db, &path, today).await?;
    let lang = if ctx.lang == crate::i18n::Lang::Ko { crate::push::Lang::Ko } else { crate::push::Lang::Zh };
    let season = Theme::of_season(today);
    let mut tips = products::public_tips(&state.db, lang, &path, ("tip", season.as_str()), TIPS).await?;
    let missing = usize::try_from(TIPS).unwrap_or(0).saturating_sub(tips.len());
    if missing > 0 {
        let more = products::public_tips(&state.db, lang, &path, ("tip", ""), TIPS).await?;
        let more: Vec<PublicTip> =
            more.into_iter().filter(|t| !tips.iter().any(|s| s.id == t.id)).take(missing).collect();
        tips.extend(more);
    }
    let quizzes = quizzes::quizzes(&state.db, &Scope::under(&path))
        .await?
        .into_iter()
        .filter(|q| q.opens_at <= now && now < q.closes_at && path.starts_with(&q.audience_path))
        .collect();
    let events = crate::event::store::upcoming(&state.db, now, 200)
        .await?
        .into_iter()
        .filter(|e| crate::event::public::near(e, &path))
        .take(EVENTS)
        .collect();
    let alerts = crate::alert::store::in_force(&state.db, now, chosen.as_ref().map(|_| path.as_str())).await?;
    let streams = crate::stream::store::upcoming(&state.db, now, 50)
        .await?
        .into_iter()
        .filter(|s| crate::org::path::overlap(&s.region_path, &path))
        .take(2)
        .collect();
    let region = chosen.map(|r| r.code).unwrap_or_default();
    let place = picker::build(&state.db, &province, PLACE, &region, true).await?;
    let feed_lang = lang.as_str();
    Ok(ResidentPage { ctx, place, region, campaigns, tips, quizzes, events, alerts, streams, feed_lang })
}

/// The routes of the resident's home.
pub fn router() -> Router<AppState> {
    Router::new().route("/p", get(resident)).route("/p/", get(resident))
}
