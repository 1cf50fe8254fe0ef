//! `spawn_app()`: a real server on a fresh database (`SQLite`, or `PostgreSQL` when
//! `FIRECAST_TEST_POSTGRES_URL` is set), with Jilin's reference data and the demo accounts.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use firecast::app;
use firecast::config::Config;
use firecast::db::Db;
use firecast::web::AppState;
use reqwest::StatusCode;
use tokio::sync::OnceCell;

pub use firecast::demo::PASSWORD;

/// Which backend a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);
static SQLITE_TEMPLATE: OnceCell<PathBuf> = OnceCell::const_new();
static POSTGRES_TEMPLATE: OnceCell<String> = OnceCell::const_new();

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("firecast-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn prepare(url: &str) {
    let db = Db::open(url).await.unwrap();
    firecast::org::reference::load(&db).await.unwrap();
    firecast::demo::seed(&db, &firecast::config::Config::with_database("").data_key("").unwrap()).await.unwrap();
    db.close().await;
}

/// The server URL of `PostgreSQL` with another database name.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let cut = base.rfind('/').unwrap();
    let mut out = format!("{}/{name}", &base[..cut]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

async fn admin_exec(url: &str, sql: String) {
    let Db::Postgres(pool) = Db::connect(url).await.unwrap() else { unreachable!() };
    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&pool).await.unwrap();
    pool.close().await;
}

/// A fresh database URL for one test, or `None` (with the reason printed) when the backend is absent.
async fn fresh_database(backend: Backend) -> Option<(String, Option<String>)> {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let pid = std::process::id();
    match backend {
        Backend::Sqlite => {
            let template = SQLITE_TEMPLATE
                .get_or_init(|| async {
                    let path = scratch().join("template.db");
                    prepare(&format!("sqlite://{}", path.display())).await;
                    path
                })
                .await;
            let path = scratch().join(format!("test-{n}.db"));
            std::fs::copy(template, &path).unwrap();
            Some((format!("sqlite://{}", path.display()), None))
        }
        Backend::Postgres => {
            let Ok(admin) = std::env::var("FIRECAST_TEST_POSTGRES_URL") else {
                eprintln!("skipped on PostgreSQL: FIRECAST_TEST_POSTGRES_URL is not set");
                return None;
            };
            let template = POSTGRES_TEMPLATE
                .get_or_init(|| async {
                    let name = format!("firecast_tmpl_{pid}");
                    admin_exec(&admin, format!("drop database if exists {name} with (force)")).await;
                    admin_exec(&admin, format!("create database {name}")).await;
                    prepare(&with_database(&admin, &name)).await;
                    name
                })
                .await;
            let name = format!("firecast_t_{pid}_{n}");
            admin_exec(&admin, format!("create database {name} template {template}")).await;
            Some((with_database(&admin, &name), Some(name)))
        }
    }
}

/// A running server on its own database.
pub struct TestApp {
    pub base: String,
    pub db: Db,
    /// The database URL (for a worker process on the same database).
    pub url: String,
    pub backend: Backend,
    pg_database: Option<String>,
    sqlite_file: Option<PathBuf>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

/// Serves `db` on a free port with `config`: the address and the switch that stops it.
async fn serve(db: &Db, url: &str, config: Config) -> (String, tokio::sync::oneshot::Sender<()>) {
    let key = config.data_key(url).unwrap();
    let listener = app::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let state = AppState::new(db.clone(), config, key);
    tokio::spawn(async move {
        app::serve(listener, state, async {
            stopped.await.ok();
        })
        .await
        .unwrap();
    });
    (base, stop)
}

/// Starts a server on a fresh database of `backend`; `None` when that backend is not configured.
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    let (url, pg_database) = fresh_database(backend).await?;
    let db = Db::open(&url).await.unwrap();
    let (base, stop) = serve(&db, &url, Config::with_database(&url)).await;
    let sqlite_file = url.strip_prefix("sqlite://").map(PathBuf::from);
    Some(TestApp { base, db, url, backend, pg_database, sqlite_file, stop: Some(stop) })
}

impl TestApp {
    /// The same database served again with `change` made to the configuration (the first server
    /// stops): an SMS account, say.
    pub async fn reconfigured(mut self, change: impl FnOnce(&mut Config)) -> TestApp {
        if let Some(stop) = self.stop.take() {
            stop.send(()).ok();
        }
        let mut config = Config::with_database(&self.url);
        change(&mut config);
        let (base, stop) = serve(&self.db, &self.url, config).await;
        TestApp {
            base,
            db: self.db.clone(),
            url: self.url.clone(),
            backend: self.backend,
            pg_database: self.pg_database.take(),
            sqlite_file: self.sqlite_file.take(),
            stop: Some(stop),
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop.send(()).ok();
        }
        if let Some(path) = &self.sqlite_file {
            for suffix in ["", "-wal", "-shm"] {
                std::fs::remove_file(format!("{}{suffix}", path.display())).ok();
            }
        }
        if let (Some(name), Ok(admin)) = (self.pg_database.take(), std::env::var("FIRECAST_TEST_POSTGRES_URL")) {
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(admin_exec(&admin, format!("drop database if exists {name} with (force)")));
            })
            .join()
            .ok();
        }
    }
}

/// Runs `n` requests at the same time, each on its own task; their answers in no order.
pub async fn at_once<F, Fut, T>(n: usize, make: F) -> Vec<T>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let mut set = tokio::task::JoinSet::new();
    for i in 0..n {
        set.spawn(make(i));
    }
    set.join_all().await
}

/// A browser-like client with its own cookie jar (a clone shares it).
#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub csrf: String,
}

/// The key a page shows once.
pub fn shown_key(page: &str) -> String {
    page.split("id=\"key\" aria-label")
        .next()
        .unwrap()
        .rsplit("value=\"")
        .next()
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

/// The value of `name="_csrf"` or of the csrf-token meta tag in a page.
pub fn csrf_in(html: &str) -> String {
    let key = "name=\"csrf-token\" content=\"";
    let start = html.find(key).expect("page has a csrf-token meta tag") + key.len();
    html[start..].split('"').next().unwrap().to_owned()
}

impl TestApp {
    /// A new anonymous client (no cookies yet) that has loaded the login page.
    pub async fn anonymous(&self) -> Client {
        let http =
            reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let page = http.get(format!("{}/login", self.base)).send().await.unwrap().text().await.unwrap();
        Client { http, base: self.base.clone(), csrf: csrf_in(&page) }
    }

    /// A client signed in as `username`.
    pub async fn login(&self, username: &str) -> Client {
        self.login_with(username, PASSWORD).await
    }

    /// A client signed in with a password.
    pub async fn login_with(&self, username: &str, password: &str) -> Client {
        let mut c = self.anonymous().await;
        let r = c.form("/login", &[("username", username), ("password", password), ("next", "/")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "login of {username} failed");
        let page = c.get("/").await.text().await.unwrap();
        c.csrf = csrf_in(&page);
        c
    }

    /// Runs one SQL statement on the app's database (test set-up only).
    pub async fn exec(&self, sql: &str) -> Result<u64, sqlx::Error> {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        match &self.db {
            Db::Sqlite(p, _) => sqlx::query(sql).execute(p).await.map(|r| r.rows_affected()),
            Db::Postgres(p) => sqlx::query(sql).execute(p).await.map(|r| r.rows_affected()),
        }
    }

    /// One integer from a query (test checks only).
    pub async fn scalar(&self, sql: &str) -> i64 {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        match &self.db {
            Db::Sqlite(p, _) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
            Db::Postgres(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
        }
    }

    /// The texts of a one-column query, in its order (test checks only).
    pub async fn texts(&self, sql: &str) -> Vec<String> {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        match &self.db {
            Db::Sqlite(p, _) => sqlx::query_scalar(sql).fetch_all(p).await.unwrap(),
            Db::Postgres(p) => sqlx::query_scalar(sql).fetch_all(p).await.unwrap(),
        }
    }

    /// Adds an account (with the test password) to a unit, beside the demo's.
    pub async fn add_user(&self, username: &str, display_name: &str, role: firecast::org::Role, unit_id: i64) {
        let hash = firecast::org::Password::parse(PASSWORD).unwrap().hash().unwrap();
        firecast::org::store::insert_user(&self.db, username, display_name, role, unit_id, &hash).await.unwrap();
    }

    /// The id of a unit by name.
    pub async fn unit_id(&self, name: &str) -> i64 {
        firecast::org::store::unit_by_name_or_id(&self.db, name).await.unwrap().id
    }
}

impl Client {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(format!("{}{path}", self.base)).send().await.unwrap()
    }

    /// Posts a form with the CSRF token added.
    pub async fn form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("_csrf", &self.csrf));
        self.http.post(format!("{}{path}", self.base)).form(&all).send().await.unwrap()
    }

    /// Sends JSON with the CSRF header.
    pub async fn json(&self, method: reqwest::Method, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.http
            .request(method, format!("{}{path}", self.base))
            .header("x-csrf-token", &self.csrf)
            .json(body)
            .send()
            .await
            .unwrap()
    }
}

/// Runs a Python `script` on `input` (its standard input) and reads the JSON it prints: how the
/// tests open files with the tools their readers use (feed readers, calendars). `None`, with the
/// reason printed, when Python or the module `what` needs is missing.
pub fn python_json(what: &str, script: &str, input: &str) -> Option<serde_json::Value> {
    let child = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        eprintln!("skipped {what}: python3 is not installed");
        return None;
    };
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    if !out.status.success() {
        eprintln!("skipped {what}: {}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

/// A small PNG picture, different for each seed.
pub fn png(seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(40, 30, |x, y| {
        image::Rgb([seed, u8::try_from(x * 6).unwrap(), u8::try_from(y * 8).unwrap()])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// Generates, for each test function, a module with one `#[tokio::test]` per backend.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use $crate::helpers::{Backend, spawn_app};
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(spawn_app(Backend::Sqlite).await.unwrap()).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = spawn_app(Backend::Postgres).await {
                    super::$name(app).await;
                }
            }
        }
    )*};
}
