//! The JSON API partners call with their key in the `X-Partner-Key` header, under
//! `/api/v1/partner/…`: the approved products of their area, the playlist of a place of their
//! area, and posting reach figures back.

use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::KeyScope;
use super::actions::{self, Filed, ReachInput};
use super::store::PartnerKey;
use crate::screen::Kind;
use crate::screen::playlist::{self, Place, Playlist};
use crate::web::AppState;
use crate::web::extract::{Json, Query};
use crate::web::session::{PARTNER_KEY_HEADER, RequestCtx};
use crate::{Error, Result, clock, push};

/// The partner whose key came with the request.
pub struct Partner(PartnerKey);

impl FromRequestParts<AppState> for Partner {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let key = parts.headers.get(PARTNER_KEY_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
        Ok(Self(actions::authenticate(&state.db, key.trim()).await?))
    }
}

/// Which products.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ProductQuery {
    /// A region code of the partner's area (default all of it): products made for it or above.
    #[serde(default)]
    region: String,
    /// Only those carrying this tag.
    #[serde(default)]
    tag: String,
    /// `zh` (default) or `ko`: the Korean variants.
    #[serde(default)]
    lang: String,
}

/// An approved product a partner may carry.
#[derive(Serialize, ToSchema)]
#[schema(as = PartnerProduct)]
struct Product {
    /// Id (name it when reporting reach).
    id: i64,
    /// Kind: tip, poster, video, …
    kind: String,
    /// Title.
    title: String,
    /// Text.
    body: String,
    /// A link to it elsewhere.
    link: String,
    /// Tags.
    tags: Vec<String>,
    /// The unit that made it.
    unit_name: String,
    /// When it was approved (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    approved_at: OffsetDateTime,
    /// Its file (picture, video, document), when it has one.
    file: Option<String>,
}

/// The approved products of the partner's area, newest first (scope `products`).
#[utoipa::path(get, path = "/api/v1/partner/products", tag = "partner", params(ProductQuery), security(("partner_key" = [])), responses((status = 200, body = Vec<Product>)))]
async fn products(
    State(s): State<AppState>,
    Partner(key): Partner,
    Query(q): Query<ProductQuery>,
) -> Result<axum::Json<Vec<Product>>> {
    actions::require(&key, KeyScope::Products)?;
    let lang = match q.lang.trim() {
        "" => push::Lang::Zh,
        l => push::Lang::parse(l).ok_or_else(|| Error::invalid("lang", "error.feed_lang"))?,
    };
    let tag = q.tag.trim();
    if !tag.is_empty() && !push::is_tag(tag) {
        return Err(Error::invalid("tag", "error.feed_tag"));
    }
    let region = actions::place(&s.db, &key, "region", &q.region).await?;
    let base = s.config.base_url();
    let tips = push::store::public_tips(&s.db, lang, &region.path, ("", tag), 200).await?;
    Ok(axum::Json(
        tips.into_iter()
            .map(|t| Product {
                file: t.has_file.then(|| format!("{base}/p/tips/{}/file", t.id)),
                id: t.id,
                kind: t.kind.to_string(),
                tags: t.tags.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
                title: t.title,
                body: t.body,
                link: t.link,
                unit_name: t.unit_name,
                approved_at: t.approved_at,
            })
            .collect(),
    ))
}

/// Which playlist.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct FeedQuery {
    /// A region code of the partner's area (default all of it).
    #[serde(default)]
    region: String,
    /// What the partner shows it on: `caption`, `estation` (default) or `outdoor`.
    #[serde(default)]
    kind: String,
    /// The longest caption, 4 to 500 (default the kind's).
    #[serde(default)]
    chars: Option<i64>,
}

/// What to show now and next in a place of the partner's area (scope `feeds`): the warnings in
/// force, the captions scheduled for this hour, the campaign's theme, the season's tips, and the
/// events of the coming week.
#[utoipa::path(get, path = "/api/v1/partner/feed", tag = "partner", params(FeedQuery), security(("partner_key" = [])), responses((status = 200, body = Playlist)))]
async fn feed(
    State(s): State<AppState>,
    Partner(key): Partner,
    Query(q): Query<FeedQuery>,
) -> Result<axum::Json<Playlist>> {
    actions::require(&key, KeyScope::Feeds)?;
    let kind = match q.kind.trim() {
        "" => Kind::Estation,
        k => Kind::parse(k).ok_or_else(|| Error::invalid("kind", "error.screen_kind"))?,
    };
    let chars = match q.chars {
        None => kind.default_chars(),
        Some(n) if (4..=500).contains(&n) => n,
        Some(_) => return Err(Error::invalid("chars", "error.screen_chars")),
    };
    let region = actions::place(&s.db, &key, "region", &q.region).await?;
    let at = Place { name: &region.name, region_path: &region.path, kind, chars };
    Ok(axum::Json(playlist::playlist(&s, &at, clock::now()).await?))
}

/// Reports the reach of what the partner carried (scope `reach`): it becomes an activity record
/// (kind `partner_placement`, figure `partner_reach`) waiting for review in the campaign running
/// on its first day.
#[utoipa::path(post, path = "/api/v1/partner/reach", tag = "partner", request_body = ReachInput, security(("partner_key" = [])), responses((status = 201, body = Filed), (status = 422, body = crate::error::Problem)))]
async fn reach(
    State(s): State<AppState>,
    rc: RequestCtx,
    Partner(key): Partner,
    Json(input): Json<ReachInput>,
) -> Result<(StatusCode, axum::Json<Filed>)> {
    Ok((StatusCode::CREATED, axum::Json(actions::file_reach(&s.db, &key, &rc.ip, &input).await?)))
}

/// The partner routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(products)).routes(routes!(feed)).routes(routes!(reach))
}
