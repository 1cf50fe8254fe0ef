//! Health, metrics, the `OpenAPI` document, Swagger UI, assets and the language switch.

use reqwest::StatusCode;

use crate::helpers::TestApp;

pub async fn health_metrics_and_api_docs(app: TestApp) {
    let c = reqwest::Client::new();
    let get = |path: &str| c.get(format!("{}{path}", app.base)).send();
    let health: serde_json::Value = get("/healthz").await.unwrap().json().await.unwrap();
    assert_eq!(health["status"], "ok");
    // Metrics live on their own listener (`--metrics-listen`), never on the public one.
    assert_eq!(get("/metrics").await.unwrap().status(), StatusCode::NOT_FOUND);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, firecast::app::metrics_router()).await });
    let metrics = c.get(format!("http://{addr}/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("http_requests_total"), "{metrics}");
    let doc: serde_json::Value = get("/api/openapi.json").await.unwrap().json().await.unwrap();
    for path in [
        "/api/v1/session",
        "/api/v1/regions",
        "/api/v1/units/{id}",
        "/api/v1/users",
        "/api/v1/users/{id}/tokens",
        "/api/v1/audit",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }
    // Every operation documents its refusals as problem+json.
    let responses = |path: &str, method: &str| doc["paths"][path][method]["responses"].clone();
    let unit = responses("/api/v1/units/{id}", "get");
    for code in ["200", "401", "403", "404", "422"] {
        assert!(unit[code].is_object(), "GET /api/v1/units/{{id}} documents {code}: {unit}");
    }
    assert_eq!(unit["404"]["content"]["application/problem+json"]["schema"]["$ref"], "#/components/schemas/Problem");
    let public = responses("/api/v1/public/hazards", "post");
    assert!(public["429"].is_object() && public["422"].is_object() && public["409"].is_object(), "{public}");
    assert!(public["403"].is_null(), "a public form needs no account");
    assert!(
        public["401"]["description"].as_str().unwrap().contains("need none"),
        "only a bad token is refused there: {public}"
    );
    let import = responses("/api/v1/activities/import", "post");
    assert!(
        import["422"]["content"]["application/json"].is_object()
            && import["422"]["content"]["application/problem+json"].is_object(),
        "a file's errors by row, or a parameter's problem: {import}"
    );
    let ui = get("/api/docs/").await.unwrap();
    assert_eq!(ui.status(), StatusCode::OK);
    let html = ui.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "served from the binary, no CDN");
    assert!(!html.contains("https://"), "nothing fetched from the internet");
    let css = get("/static/firecast.css").await.unwrap();
    assert_eq!(css.headers()["content-type"], "text/css");
    assert_eq!(get("/static/nope.css").await.unwrap().status(), StatusCode::NOT_FOUND);
}

pub async fn chinese_by_default_with_english_and_korean(app: TestApp) {
    let c = app.login("province").await;
    let page = c.get("/regions").await.text().await.unwrap();
    assert!(page.contains("lang=\"zh-CN\"") && page.contains("下级区划"));
    let r = c.get("/lang/en?next=/regions").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/regions");
    let page = c.get("/regions").await.text().await.unwrap();
    assert!(page.contains("lang=\"en\"") && page.contains("Subdivisions"));
    c.get("/lang/ko?next=//evil.example").await;
    let page = c.get("/").await.text().await.unwrap();
    assert!(page.contains("lang=\"ko\"") && page.contains("행정구역"));
    let headers = c.get("/").await;
    assert!(headers.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'self'"));
    // The menu fits the role: the API's documentation is for the admins who connect systems.
    assert!(!page.contains("href=\"/api/docs\""), "no API link for staff");
    let admin = app.login("admin").await.get("/").await.text().await.unwrap();
    assert!(admin.contains("href=\"/api/docs\""));
}

pub async fn caches_keep_nothing_personal_and_every_answer_has_a_policy(app: TestApp) {
    let anonymous = reqwest::Client::new();
    let get = |path: &str| anonymous.get(format!("{}{path}", app.base)).send();
    let header = |r: &reqwest::Response, name: &str| {
        r.headers().get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
    };
    // Static files: cacheable, and so never with a cookie.
    let css = get("/static/firecast.css").await.unwrap();
    assert!(header(&css, "cache-control").starts_with("public"));
    assert!(css.headers().get("set-cookie").is_none(), "no cookie on a cacheable file");
    // A page that sets the sign-in form's cookie is kept by no cache.
    let login = get("/login").await.unwrap();
    assert!(login.headers().get("set-cookie").is_some());
    assert_eq!(header(&login, "cache-control"), "no-store");
    // Error pages and the API docs carry a content security policy too; no HSTS over plain HTTP.
    let missing = get("/no/such/page").await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(header(&missing, "content-security-policy").contains("default-src 'self'"));
    assert!(header(&missing, "strict-transport-security").is_empty());
    let docs = get("/api/docs/").await.unwrap();
    assert!(header(&docs, "content-security-policy").contains("script-src 'self'"));
    // Whatever a signed-in user gets: pages, JSON, CSV, and the redirect of a language switch.
    let c = app.login("province").await;
    for path in ["/", "/api/v1/session", "/hazards/export.csv?region=220102", "/lang/en?next=/regions"] {
        let r = c.get(path).await;
        assert!(r.status().is_success() || r.status().is_redirection(), "{path}: {}", r.status());
        assert_eq!(header(&r, "cache-control"), "no-store", "{path}");
    }
    // Served behind an https address, every answer asks browsers to keep to https.
    let mut config = firecast::config::Config::with_database(&app.url);
    config.public_url = Some("https://119.jl.example".to_owned());
    let key = config.data_key(&app.url).unwrap();
    let https = firecast::app::router(firecast::web::AppState::new(app.db.clone(), config, key));
    let request = axum::http::Request::get("/healthz").body(axum::body::Body::empty()).unwrap();
    let r = tower::ServiceExt::oneshot(https, request).await.unwrap();
    assert_eq!(r.headers()["strict-transport-security"], "max-age=31536000; includeSubDomains");
    // A switch's target that a browser would read as another site goes home instead.
    for next in ["/%09/evil.example", "/%5Cevil.example", "%0D%0A//evil.example"] {
        let r = c.get(&format!("/lang/zh-CN?next={next}")).await;
        assert_eq!(header(&r, "location"), "/", "{next}");
    }
}

crate::on_both_backends!(
    health_metrics_and_api_docs,
    chinese_by_default_with_english_and_korean,
    caches_keep_nothing_personal_and_every_answer_has_a_policy
);

fn migration_files(backend: &str) -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// Both backends' migrations are the same files, in the same order, and build the same tables with
/// the same columns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_backends_have_the_same_migrations_and_schema() {
    let sqlite = migration_files("sqlite");
    assert!(sqlite.len() >= 10, "{sqlite:?}");
    assert_eq!(sqlite, migration_files("postgres"), "migrations/sqlite and migrations/postgres differ");

    let lite = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite).await.unwrap();
    let lite_columns = lite.db.columns().await.unwrap();
    assert!(lite_columns.contains(&("delivery".to_owned(), "push_id".to_owned())), "the reader sees the schema");
    let Some(pg) = crate::helpers::spawn_app(crate::helpers::Backend::Postgres).await else { return };
    let pg_columns = pg.db.columns().await.unwrap();
    let only_sqlite: Vec<_> = lite_columns.difference(&pg_columns).collect();
    let only_pg: Vec<_> = pg_columns.difference(&lite_columns).collect();
    assert!(
        only_sqlite.is_empty() && only_pg.is_empty(),
        "columns only on SQLite: {only_sqlite:?}; only on PostgreSQL: {only_pg:?}"
    );
}

/// On `PostgreSQL` a bulk insert's ids are one consecutive block drawn from the table's sequence;
/// a block another writer's ids broke up is refused as a conflict, never stored with gaps.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_bulk_ids_are_one_block_or_refused() {
    let Some(pg) = crate::helpers::spawn_app(crate::helpers::Backend::Postgres).await else { return };
    let firecast::db::Db::Postgres(pool) = &pg.db else { panic!("not PostgreSQL") };
    let db = &pg.db;
    let reserve = |n: usize| async move {
        let mut tx = db.begin().await?;
        let first = tx.reserve_ids("hazard", n).await;
        tx.commit().await?;
        first
    };
    let first = reserve(5000).await.unwrap();
    assert_eq!(reserve(3).await.unwrap(), first + 5000, "the next block follows the last");
    // Another writer's ids between ours, as a sequence stepping by two draws them.
    sqlx::query("alter table hazard alter column id set increment by 2").execute(pool).await.unwrap();
    let err = reserve(3).await.expect_err("a broken block is refused");
    assert!(matches!(err, firecast::Error::Conflict(ref m) if m == "error.bulk_write_busy"), "{err:?}");
    sqlx::query("alter table hazard alter column id set increment by 1").execute(pool).await.unwrap();
    let after = reserve(1).await.unwrap();
    assert_eq!(reserve(2).await.unwrap(), after + 1);
}
