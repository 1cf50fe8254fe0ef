//! The residents' pages, phone first and without an account: subscribe (place down to the
//! community, language, themes, channel, consent), the personal inbox with its tips, one tip, and
//! the one-click unsubscribe from any inbox page or the link in a text message.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use super::actions::{self, SubscribeInput, Tip};
use super::pages::{Choice, file_response, user_error};
use super::store::{self, PublicTip, Subscriber};
use super::{Lang, Theme};
use crate::org::Scope;
use crate::org::picker::{self, RegionPicker, Spec};
use crate::web::AppState;
use crate::web::extract::Fields;
use crate::web::extract::{Path, Query};
use crate::web::layout::PageCtx;
use crate::web::session::RequestCtx;
use crate::{Error, Result};

/// A household's community.
const HOME: Spec = Spec::required("region_code", 4, 4);

#[derive(Clone, Debug, Default)]
struct SubscribeValues {
    region_code: String,
    lang: String,
    interests: Vec<String>,
    channel: String,
    phone: String,
    consent: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "push/subscribe.html")]
struct SubscribePage {
    ctx: PageCtx,
    v: SubscribeValues,
    place: RegionPicker,
    themes: Vec<Choice>,
    consent: &'static str,
    sms_on: bool,
    error: Option<String>,
}

async fn subscribe_page(
    state: &AppState,
    ctx: PageCtx,
    v: SubscribeValues,
    error: Option<String>,
) -> Result<SubscribePage> {
    let theme_values: Vec<&'static str> = Theme::ALL.iter().map(|t| t.as_str()).collect();
    let themes = theme_values
        .iter()
        .map(|t| Choice { value: t, label: ctx.tv("push_tag", t), on: v.interests.iter().any(|i| i == t) })
        .collect();
    Ok(SubscribePage {
        place: picker::build(&state.db, &Scope::province(), HOME, &v.region_code, true).await?,
        themes,
        consent: actions::consent_for(ctx.lang),
        sms_on: state.config.sms.sends_codes(),
        ctx,
        v,
        error,
    })
}

async fn subscribe_form(State(state): State<AppState>, ctx: PageCtx) -> Result<SubscribePage> {
    // A Korean reader's tips default to Korean.
    let lang = if ctx.lang == crate::i18n::Lang::Ko { Lang::Ko } else { Lang::Zh };
    let v = SubscribeValues { lang: lang.as_str().into(), channel: "inbox".into(), ..SubscribeValues::default() };
    subscribe_page(&state, ctx, v, None).await
}

async fn subscribe(State(state): State<AppState>, ctx: PageCtx, rc: RequestCtx, f: Fields) -> Result<Response> {
    let v = SubscribeValues {
        region_code: picker::picked(HOME.field, |k| Some(f.get(k))),
        lang: f.get("lang"),
        interests: f.all("interests"),
        channel: f.get("channel"),
        phone: f.get("phone"),
        consent: f.has("consent"),
    };
    let input = SubscribeInput {
        region_code: v.region_code.clone(),
        lang: v.lang.clone(),
        interests: v.interests.clone(),
        channel: v.channel.clone(),
        phone: v.phone.clone(),
        consent: v.consent,
    };
    match actions::subscribe(&state.db, &state.key, &state.config.sms, &input, &rc.ip).await {
        Ok(done) => {
            let unsent = if done.code_sent == Some(false) { "&unsent=1" } else { "" };
            Ok(Redirect::to(&format!("/p/inbox/{}?new=1{unsent}", done.token)).into_response())
        }
        Err(e) => {
            let (status, msg) = user_error(&ctx, e)?;
            Ok((status, subscribe_page(&state, ctx, v, Some(msg)).await?).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "push/inbox.html")]
struct InboxPage {
    ctx: PageCtx,
    me: Subscriber,
    tips: Vec<Tip>,
    fresh: bool,
    error: Option<String>,
    notice: Option<String>,
}

#[derive(serde::Deserialize)]
struct InboxQuery {
    #[serde(default)]
    new: String,
    /// The verification code could not be sent just now.
    #[serde(default)]
    unsent: String,
}

/// The language a resident reads, for the page's own strings when they have not chosen one.
fn resident_ctx(mut ctx: PageCtx, headers: &axum::http::HeaderMap, lang: &str) -> PageCtx {
    if crate::web::session::cookie(headers, crate::web::i18n::LANG_COOKIE).is_none() && lang == Lang::Ko.as_str() {
        ctx.lang = crate::i18n::Lang::Ko;
    }
    ctx
}

async fn inbox(
    State(state): State<AppState>,
    ctx: PageCtx,
    headers: axum::http::HeaderMap,
    Path(token): Path<String>,
    crate::web::extract::Query(q): crate::web::extract::Query<InboxQuery>,
) -> Result<Response> {
    let (me, tips) = actions::inbox(&state.db, &token).await?;
    if me.unsubscribed_at.is_some() {
        let ctx = resident_ctx(ctx, &headers, &me.lang);
        return Ok(LeftPage { ctx }.into_response());
    }
    let ctx = resident_ctx(ctx, &headers, &me.lang);
    let notice = (!q.unsent.is_empty() && me.phone_pending).then(|| ctx.t("push.code_not_sent").to_owned());
    Ok(InboxPage { ctx, me, tips, fresh: !q.new.is_empty(), error: None, notice }.into_response())
}

/// The inbox again after a code was typed or asked for, with what became of it.
async fn inbox_after(
    state: &AppState,
    ctx: PageCtx,
    headers: &axum::http::HeaderMap,
    token: &str,
    done: Result<&'static str>,
) -> Result<Response> {
    let (me, tips) = actions::inbox(&state.db, token).await?;
    let ctx = resident_ctx(ctx, headers, &me.lang);
    let (status, error, notice) = match done {
        Ok(key) => (axum::http::StatusCode::OK, None, Some(ctx.t(key).to_owned())),
        Err(e) => {
            let (status, msg) = user_error(&ctx, e)?;
            (status, Some(msg), None)
        }
    };
    Ok((status, InboxPage { ctx, me, tips, fresh: false, error, notice }).into_response())
}

async fn prove(
    State(state): State<AppState>,
    ctx: PageCtx,
    headers: axum::http::HeaderMap,
    Path(token): Path<String>,
    f: Fields,
) -> Result<Response> {
    let done = actions::prove_phone(&state.db, &state.key, &token, &f.get("code")).await.map(|()| "push.proved");
    inbox_after(&state, ctx, &headers, &token, done).await
}

async fn resend(
    State(state): State<AppState>,
    ctx: PageCtx,
    headers: axum::http::HeaderMap,
    Path(token): Path<String>,
) -> Result<Response> {
    let done = actions::resend_code(&state.db, &state.key, &state.config.sms, &token)
        .await
        .map(|sent| if sent { "push.code_resent" } else { "push.code_not_sent" });
    inbox_after(&state, ctx, &headers, &token, done).await
}

#[derive(Template, WebTemplate)]
#[template(path = "push/tip.html")]
struct TipPage {
    ctx: PageCtx,
    me: Subscriber,
    tip: Tip,
}

async fn open(
    State(state): State<AppState>,
    ctx: PageCtx,
    headers: axum::http::HeaderMap,
    Path((token, push_id)): Path<(String, i64)>,
) -> Result<TipPage> {
    let (me, tip) = actions::open(&state.db, &token, push_id).await?;
    if me.unsubscribed_at.is_some() {
        return Err(Error::NotFound);
    }
    let ctx = resident_ctx(ctx, &headers, &me.lang);
    Ok(TipPage { ctx, me, tip })
}

async fn tip_file(State(state): State<AppState>, Path((token, push_id)): Path<(String, i64)>) -> Result<Response> {
    let (me, tip) = actions::open(&state.db, &token, push_id).await?;
    if me.unsubscribed_at.is_some() || !tip.has_file {
        return Err(Error::NotFound);
    }
    file_response(&state, tip.product_id, Lang::parse(&tip.lang).unwrap_or(Lang::Zh)).await
}

#[derive(Template, WebTemplate)]
#[template(path = "push/public_tip.html")]
struct PublicTipPage {
    ctx: PageCtx,
    tip: PublicTip,
    lang: Lang,
}

#[derive(serde::Deserialize)]
struct TipQuery {
    #[serde(default)]
    lang: String,
}

/// An approved product in the language asked for (else the page's), and that language.
async fn approved_tip(state: &AppState, ctx: &PageCtx, id: i64, asked: &str) -> Result<(PublicTip, Lang)> {
    let lang = Lang::parse(asked).unwrap_or(if ctx.lang == crate::i18n::Lang::Ko { Lang::Ko } else { Lang::Zh });
    Ok((store::public_tip(&state.db, id, lang).await?, lang))
}

/// An approved product for anyone, as the feeds and the resident's home link it.
async fn public_tip(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<i64>,
    Query(q): Query<TipQuery>,
) -> Result<PublicTipPage> {
    let (tip, lang) = approved_tip(&state, &ctx, id, &q.lang).await?;
    Ok(PublicTipPage { ctx, tip, lang })
}

async fn public_tip_file(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<i64>,
    Query(q): Query<TipQuery>,
) -> Result<Response> {
    let (tip, lang) = approved_tip(&state, &ctx, id, &q.lang).await?;
    if !tip.has_file {
        return Err(Error::NotFound);
    }
    file_response(&state, id, lang).await
}

#[derive(Template, WebTemplate)]
#[template(path = "push/unsubscribe.html")]
struct UnsubscribePage {
    ctx: PageCtx,
    token: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "push/left.html")]
struct LeftPage {
    ctx: PageCtx,
}

async fn unsubscribe_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    headers: axum::http::HeaderMap,
    Path(token): Path<String>,
) -> Result<Response> {
    let me = super::store::subscriber(&state.db, &token).await?;
    let ctx = resident_ctx(ctx, &headers, &me.lang);
    if me.unsubscribed_at.is_some() {
        return Ok(LeftPage { ctx }.into_response());
    }
    Ok(UnsubscribePage { ctx, token }.into_response())
}

async fn unsubscribe(
    State(state): State<AppState>,
    ctx: PageCtx,
    headers: axum::http::HeaderMap,
    Path(token): Path<String>,
) -> Result<LeftPage> {
    let me = super::store::subscriber(&state.db, &token).await?;
    actions::unsubscribe(&state.db, &token).await?;
    Ok(LeftPage { ctx: resident_ctx(ctx, &headers, &me.lang) })
}

/// The residents' pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/p/subscribe", get(subscribe_form).post(subscribe))
        .route("/p/inbox/{token}", get(inbox))
        .route("/p/inbox/{token}/confirm", axum::routing::post(prove))
        .route("/p/inbox/{token}/code", axum::routing::post(resend))
        .route("/p/inbox/{token}/{push_id}", get(open))
        .route("/p/inbox/{token}/{push_id}/file", get(tip_file))
        .route("/p/u/{token}", get(unsubscribe_form).post(unsubscribe))
        .route("/p/tips/{id}", get(public_tip))
        .route("/p/tips/{id}/file", get(public_tip_file))
}
