//! The viewer's page of a broadcast, phone first and without an account: the player (or the
//! platform's page linked), the quiz to take during the stream, the comments staff have shown and
//! the box to ask a question. Opening the page counts the viewer once a day by the device cookie.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use super::actions::{self, CommentInput};
use super::store::{self, Comment, Stream};
use super::{CommentState, Playback, State as StreamState, playback};
use crate::web::AppState;
use crate::web::extract::{Form, Path};
use crate::web::layout::PageCtx;
use crate::web::session::{RequestCtx, device};
use crate::{Result, clock};

/// Comments the page shows.
const SHOWN: i64 = 30;

#[derive(Template, WebTemplate)]
#[template(path = "stream/public.html")]
struct StreamPage {
    ctx: PageCtx,
    stream: Stream,
    comments: Vec<Comment>,
    nickname: String,
    body: String,
    notice: Option<String>,
    error: Option<String>,
}

impl StreamPage {
    fn in_page(&self) -> bool {
        playback(&self.stream.stream_url) == Some(Playback::Video)
    }
    fn linked(&self) -> bool {
        playback(&self.stream.stream_url) == Some(Playback::Link)
    }
    fn on_air(&self) -> bool {
        let now = clock::now();
        self.stream.state == StreamState::Open && self.stream.starts_at <= now && now < self.stream.ends_at
    }
    fn open(&self) -> bool {
        self.stream.state == StreamState::Open
    }
}

async fn page(
    state: &AppState,
    ctx: PageCtx,
    id: i64,
    form: (String, String),
    said: (Option<String>, Option<String>),
) -> Result<StreamPage> {
    let stream = store::public_stream(&state.db, id).await?;
    let comments = store::comments(&state.db, id, Some(CommentState::Shown), SHOWN).await?;
    Ok(StreamPage { ctx, stream, comments, nickname: form.0, body: form.1, notice: said.0, error: said.1 })
}

async fn show(
    State(state): State<AppState>,
    ctx: PageCtx,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response> {
    let page = page(&state, ctx, id, (String::new(), String::new()), (None, None)).await?;
    let (token, cookie) = device(&state, &headers);
    actions::view(&state.db, &state.key, &page.stream, &token).await?;
    let mut r = page.into_response();
    if let Some(c) = cookie {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(r)
}

#[derive(Debug, Default, Deserialize)]
struct CommentForm {
    #[serde(default)]
    nickname: String,
    #[serde(default)]
    body: String,
}

async fn post(
    State(state): State<AppState>,
    ctx: PageCtx,
    rc: RequestCtx,
    Path(id): Path<i64>,
    Form(f): Form<CommentForm>,
) -> Result<Response> {
    let input = CommentInput { nickname: f.nickname.clone(), body: f.body.clone() };
    match actions::comment(&state.db, &state.key, id, &input, &rc.ip).await {
        Ok(_) => {
            let notice = ctx.t("stream.comment_sent").to_owned();
            Ok(page(&state, ctx, id, (f.nickname.trim().to_owned(), String::new()), (Some(notice), None))
                .await?
                .into_response())
        }
        Err(e) => {
            let (status, message) = ctx.form_error(e, |field| Some(ctx.t(&format!("stream.field.{field}"))))?;
            let kept = (f.nickname.chars().take(20).collect(), f.body.chars().take(super::COMMENT_CHARS).collect());
            Ok((status, page(&state, ctx, id, kept, (None, Some(message))).await?).into_response())
        }
    }
}

/// The public routes of livestreams.
pub fn router() -> Router<AppState> {
    Router::new().route("/p/streams/{id}", get(show).post(post))
}
