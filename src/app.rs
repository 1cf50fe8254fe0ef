//! The top of firecast: the whole application assembled from every area's JSON API and pages, the
//! middleware stack, the `OpenAPI` document, `/healthz` and `/metrics`, and `serve()` with its
//! background sweeps. The command line and the tests build the application here.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use tokio::net::TcpListener;
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;

use crate::quiz::writer::Writers;
use crate::web::{self, AppState, BODY_LIMIT, assets, layout, session};
use crate::{
    Error, activity, alert, audit, campaign, event, hazard, home, org, partner, push, quiz, report, screen, stream,
    volunteer,
};

#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "firecast API", description = "Fire-safety publicity and education: regions, units, users, campaigns, duties, activities, media, audit."),
    components(schemas(crate::error::Problem)),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(utoipa::openapi::security::ApiKey::Cookie(
                utoipa::openapi::security::ApiKeyValue::new(session::SESSION_COOKIE),
            )),
        );
        components.add_security_scheme(
            "partner_key",
            SecurityScheme::ApiKey(utoipa::openapi::security::ApiKey::Header(
                utoipa::openapi::security::ApiKeyValue::new("X-Partner-Key"),
            )),
        );
    }
}

/// The JSON API of every area, with its `OpenAPI` document.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let api = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(org::api::router())
        .merge(campaign::api::router())
        .merge(activity::api::router())
        .merge(report::api::router())
        .merge(audit::api::router())
        .merge(quiz::api::router())
        .merge(volunteer::api::router())
        .merge(hazard::api::router())
        .merge(event::api::router())
        .merge(stream::api::router())
        .merge(alert::api::router())
        .merge(push::api::router())
        .merge(partner::api::router())
        .merge(home::api::router());
    let (router, mut doc) = api.split_for_parts();
    document_refusals(&mut doc);
    (router, doc)
}

/// Documents the refusals every operation may answer, as `application/problem+json` (`Problem`),
/// where the operation does not describe them itself: 401 everywhere (a bad token), 403 outside
/// the public endpoints, 404 where the path names an object, 409 for writes, 422 for every request
/// (bad input), 429 for the public endpoints (rate limits).
fn document_refusals(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let problem = |why: &str| {
        ResponseBuilder::new()
            .description(why)
            .content(
                "application/problem+json",
                ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build(),
            )
            .build()
    };
    for (path, item) in &mut doc.paths.paths {
        let public = path.starts_with("/api/v1/public/");
        // Partners' calls are counted against their key's hourly budget.
        let limited = public || path.starts_with("/api/v1/partner/");
        let names_object = path.contains('{');
        let operations = [
            (&mut item.get, false),
            (&mut item.post, true),
            (&mut item.put, true),
            (&mut item.patch, true),
            (&mut item.delete, true),
        ];
        for (operation, writes) in operations {
            let Some(op) = operation.as_mut() else { continue };
            let refusals = [
                (
                    "401",
                    true,
                    if public {
                        "A bad `Authorization` header (a token unknown or revoked); public operations need none"
                    } else {
                        "Not signed in: no session, or a token that is unknown, revoked or whose account changed"
                    },
                ),
                ("403", !public, "Signed in, but the role or scope may not do this"),
                ("404", names_object, "No such object within your area"),
                ("409", writes, "The object is not in a state that allows this (it changed meanwhile)"),
                ("422", true, "Bad input: `field` names the field at fault"),
                ("429", limited, "Too many requests from this address, participant or key; try again later"),
            ];
            // Refusals an operation describes itself are problem+json too, as the server sends them.
            for (code, response) in &mut op.responses.responses {
                let utoipa::openapi::RefOr::T(r) = response else { continue };
                let is_problem = |c: &utoipa::openapi::Content| matches!(&c.schema, Some(utoipa::openapi::RefOr::Ref(s)) if s.ref_location.ends_with("/Problem"));
                if code.starts_with('4')
                    && r.content.get("application/json").is_some_and(is_problem)
                    && let Some(content) = r.content.shift_remove("application/json")
                {
                    r.content.insert("application/problem+json".to_owned(), content);
                }
                // A 422 with a body of its own (an import's errors by row) is a problem+json when
                // a parameter, not the file, is at fault.
                if code == "422" && !r.content.contains_key("application/problem+json") {
                    r.content.insert(
                        "application/problem+json".to_owned(),
                        ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build(),
                    );
                }
            }
            for (code, applies, why) in refusals {
                if applies && !op.responses.responses.contains_key(code) {
                    op.responses.responses.insert(code.to_owned(), problem(why).into());
                }
            }
        }
    }
}

/// The whole application (on a Tokio runtime: it starts the quiz's answer writer).
pub fn router(state: AppState) -> Router {
    let (api, openapi) = api();
    let pages = Router::new()
        .merge(org::pages::router())
        .merge(campaign::pages::router())
        .merge(activity::pages::router())
        .merge(report::pages::router())
        .merge(audit::pages::router())
        .merge(quiz::pages::router())
        .merge(quiz::public::router())
        .merge(volunteer::pages::router())
        .merge(hazard::pages::router())
        .merge(push::pages::router())
        .merge(push::public::router())
        .merge(push::feeds::router())
        .merge(event::pages::router())
        .merge(event::public::router())
        .merge(event::calendar::router())
        .merge(stream::pages::router())
        .merge(stream::public::router())
        .merge(alert::pages::router())
        .merge(alert::cap::router())
        .merge(screen::pages::router())
        .merge(screen::playlist::router())
        .merge(partner::pages::router())
        .merge(home::public::router())
        .merge(home::pages::router())
        .merge(layout::router());
    // Swagger UI styles some of its elements inline; nothing else needs it.
    let docs: Router<AppState> = Router::from(
        utoipa_swagger_ui::SwaggerUi::new("/api/docs").url("/api/openapi.json", openapi),
    )
    .layer(SetResponseHeaderLayer::if_not_present(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
        ),
    ));
    let hsts = state.config.secure_cookies().then(|| {
        SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        )
    });
    Router::new()
        .merge(pages)
        .merge(api)
        .merge(docs)
        .route("/healthz", get(healthz))
        .merge(assets::router())
        .fallback(|| async { Error::NotFound })
        .layer(Extension(Writers::start(&state.db)))
        .layer(middleware::from_fn_with_state(state.clone(), session::authenticate))
        .layer(middleware::from_fn(layout::html_errors))
        .layer(middleware::from_fn(web::i18n::api_language))
        .layer(middleware::from_fn(web::track_metrics))
        .layer(middleware::from_fn(web::with_request_id))
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        // Every answer, error pages included, under one policy (the docs set their own above).
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
            ),
        ))
        .layer(tower::util::option_layer(hsts))
        .with_state(state)
}

#[derive(serde::Serialize)]
struct Health {
    status: &'static str,
    database: &'static str,
}

async fn healthz(State(state): State<AppState>) -> Response {
    match state.db.ping().await {
        Ok(()) => Json(Health { status: "ok", database: "ok" }).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: database does not answer");
            (axum::http::StatusCode::SERVICE_UNAVAILABLE, Json(Health { status: "unavailable", database: "down" }))
                .into_response()
        }
    }
}

/// The metrics listener's whole application: Prometheus `/metrics`, kept off the public listener
/// as exporters do (`--metrics-listen`).
pub fn metrics_router() -> Router {
    Router::new().route("/metrics", get(metrics_text)).fallback(|| async { Error::NotFound })
}

async fn metrics_text() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], web::prometheus().render())
}

/// Binds the listening address, with a clear error when it is taken.
pub async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr).await.with_context(|| crate::i18n::keyed("error.listen", &[&addr.to_string()]))
}

/// Serves the application on `listener` until `shutdown` completes, then drains requests.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    web::prometheus();
    let metrics = match state.config.metrics_listen {
        Some(addr) => {
            let listener = bind(addr).await?;
            tracing::info!(%addr, "serving /metrics");
            Some(tokio::spawn(async move { axum::serve(listener, metrics_router()).await }))
        }
        None => None,
    };
    let db = state.db.clone();
    let sweeper = tokio::spawn(async move {
        loop {
            let now = crate::clock::now();
            if let Err(e) =
                org::store::delete_expired_sessions(&db, now - org::caller::IDLE, now - org::caller::ABSOLUTE).await
            {
                tracing::warn!(error = %e, "could not remove expired sessions");
            }
            if let Err(e) = hazard::actions::sweep(&db, now).await {
                tracing::warn!(error = %e, "could not escalate overdue hazards");
            }
            tokio::time::sleep(Duration::from_mins(5)).await;
        }
    });
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    let served = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
    sweeper.abort();
    metrics.iter().for_each(tokio::task::JoinHandle::abort);
    served.context("server error")
}

/// Completes on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
    tracing::info!("shutting down: finishing requests in flight");
}
