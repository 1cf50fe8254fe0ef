//! The command line: `serve`, `demo`, `migrate`, `user`, `import`, `bench`. It writes in Chinese, or
//! in English or Korean with `--lang`; every failure ends with one line (`错误：…`) and a non-zero
//! exit.

use std::io::BufRead as _;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context as _, anyhow};
use clap::{Parser, Subcommand, ValueEnum as _};

use crate::app;
use crate::config::{Config, LogFormat};
use crate::db::Db;
use crate::i18n::Lang;
use crate::org::{self, Password, Role, Scope, Username, store};
use crate::web::AppState;
use crate::{bench, demo};

/// firecast — fire-safety publicity and education for a province.
#[derive(Debug, Parser)]
#[command(name = "firecast", version, about)]
pub struct Cli {
    #[command(flatten)]
    config: Config,
    /// The language of what the command writes: zh-CN, en or ko.
    #[arg(long, global = true, env = "FIRECAST_LANG", default_value = "zh-CN")]
    lang: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the web UI and API on a real database (no demo data).
    Serve,
    /// Load Jilin's data and demo accounts into `firecast-demo.db` and serve it.
    Demo,
    /// Load the demo's data and end (what `demo` runs first, in a process of its own).
    #[command(hide = true)]
    DemoLoad,
    /// Bring the database schema up to date and load the reference data.
    Migrate,
    /// Send pushes' direct deliveries (SMS, webhooks) without serving pages; run several, on one
    /// database or sharing a NATS `JetStream` queue (`--nats-url`).
    Worker,
    /// Copy the database, consistent while the server writes, with its data key beside it
    /// (`FILE.key`); to restore, stop the server and put both files in place (see
    /// `docs/operations.md`).
    Backup {
        /// The new file to write.
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Take the deliveries of pushes sent before a day, and finished, out of the live table: a
    /// tally per community, channel and state keeps their figures. On `PostgreSQL` each push's
    /// partition is detached and dropped (or kept in the schema `delivery_archive`); on `SQLite`
    /// the rows are deleted. The day must lie beyond what residents' inboxes show (90 days).
    Archive {
        /// Pushes sent before this day (`2026-01-01`, Beijing time).
        #[arg(long)]
        before: String,
        /// On `PostgreSQL`, keep the detached partitions in the schema `delivery_archive`.
        #[arg(long)]
        keep: bool,
    },
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Write a campaign's report for a region to a file.
    Report {
        /// The campaign id.
        #[arg(long)]
        campaign: i64,
        /// The region code (default: the province).
        #[arg(long)]
        region: Option<String>,
        /// docx, xlsx, csv, html or pdf (pdf prints the printable HTML with headless Chromium).
        #[arg(long, value_enum)]
        format: crate::report::export::Format,
        /// Where to write it.
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Import records from a spreadsheet.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Check the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Run a performance workload and print its figures.
    Bench {
        /// Which workload (`all` runs each).
        #[arg(value_enum)]
        workload: bench::Workload,
        /// A tenth of each workload's size, for a run of a few minutes.
        #[arg(long)]
        quick: bool,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Walk the hash chain of the audit log, oldest first: exits with an error naming the first
    /// record that was changed or removed. Prints the chain's head (`id:hash`): keep it outside
    /// the database and give it back with `--checkpoint` to prove that no record up to it was cut
    /// off or rewritten since.
    Verify {
        /// A head printed by an earlier run.
        #[arg(long)]
        checkpoint: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum ImportCommand {
    /// Activity records from an XLSX or CSV file (UTF-8 or GBK), all or nothing; they are
    /// submitted for review as if the named user had uploaded them.
    Activities {
        /// The file.
        file: std::path::PathBuf,
        /// The campaign id.
        #[arg(long)]
        campaign: i64,
        /// The login name of the user reporting them (their unit organises rows without one).
        #[arg(long = "as")]
        as_user: String,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Make an account.
    Add {
        /// Login name.
        username: String,
        /// Role: admin, `province_staff`, `detachment_staff`, `brigade_staff`, `community_worker`,
        /// `department_liaison`, volunteer, leader.
        #[arg(long)]
        role: String,
        /// The unit (exact name or id), e.g. 吉林省消防救援总队.
        #[arg(long)]
        unit: String,
        /// Name shown (defaults to the login name).
        #[arg(long)]
        display_name: Option<String>,
        /// Read the password from standard input (one line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Set an account's password (ends its sessions).
    Passwd {
        /// Login name.
        username: String,
        /// Read the password from standard input (one line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// List accounts.
    List,
}

/// The demo's database unless `--database-url` names another.
const DEMO_URL: &str = "sqlite://firecast-demo.db";

/// Parses the command line, runs it, and turns any failure into one line, in the language asked
/// for, and exit code 1.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.config.log_format);
    let Some(lang) = Lang::by_first_part(&cli.lang) else {
        eprintln!("{}", Lang::Zh.text("cli.error", &[&Lang::Zh.text("cli.no_lang", &[&cli.lang])]));
        return ExitCode::FAILURE;
    };
    let done = tokio::runtime::Runtime::new()
        .context(lang.t("cli.no_runtime"))
        .and_then(|runtime| runtime.block_on(run(cli, lang)));
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}", lang.text("cli.error", &[&shown(&e, lang)]));
            ExitCode::FAILURE
        }
    }
}

/// A failure and its causes in `lang`: firecast's own messages (locale keys) in its words, the
/// system's (a file, the network, the database server) as they came.
fn shown(e: &anyhow::Error, lang: Lang) -> String {
    let mut parts = Vec::new();
    for cause in e.chain() {
        match cause.downcast_ref::<crate::Error>() {
            Some(
                crate::Error::Invalid { message, .. }
                | crate::Error::Conflict(message)
                | crate::Error::TooMany(message),
            ) => {
                parts.push(lang.message(message));
            }
            Some(crate::Error::NotFound) => parts.push(lang.t("cli.not_found").to_owned()),
            Some(crate::Error::Forbidden) => parts.push(lang.t("error.forbidden_hint").to_owned()),
            // Their words hold their causes already.
            Some(crate::Error::Internal(inner)) => {
                parts.push(shown(inner, lang));
                break;
            }
            Some(crate::Error::Db(e)) => {
                parts.push(lang.text("cli.database", &[&e.to_string()]));
                break;
            }
            Some(other) => {
                parts.push(lang.message(&other.to_string()));
                break;
            }
            None => {
                let said = lang.message(&cause.to_string());
                // A driver's error often holds its source's words already.
                if !parts.last().is_some_and(|outer: &String| outer.ends_with(&said)) {
                    parts.push(said);
                }
            }
        }
    }
    parts.into_iter().reduce(|outer, inner| lang.text("cli.cause", &[&outer, &inner])).unwrap_or_default()
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("FIRECAST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

async fn run(cli: Cli, lang: Lang) -> anyhow::Result<()> {
    let config = cli.config;
    match cli.command {
        Command::Serve => {
            let started = Instant::now();
            let db = open(&config, "sqlite://firecast.db", lang).await?;
            serve(config, db, "sqlite://firecast.db", started, lang).await
        }
        Command::Demo => {
            let started = Instant::now();
            load_demo(&config, lang).await?;
            println!("{}", lang.text("cli.demo.title", &[&config.shown_url()]));
            println!("{}", lang.text("cli.demo.accounts", &[demo::PASSWORD]));
            for a in demo::accounts() {
                let role = lang.tv("role", a.role);
                println!("  {:<16} {}", a.username, lang.text("cli.demo.account", &[a.unit, role]));
            }
            let db = open(&config, DEMO_URL, lang).await?;
            serve(config, db, DEMO_URL, started, lang).await
        }
        Command::DemoLoad => {
            let db = open(&config, DEMO_URL, lang).await?;
            demo::seed(&db, &config.data_key(config.database_url_or(DEMO_URL))?).await?;
            let lap = Instant::now();
            demo::push::subscribers(&db, crate::clock::now()).await?;
            tracing::debug!(part = "subscribers", ms = lap.elapsed().as_millis(), "demo part loaded");
            db.close().await;
            Ok(())
        }
        Command::Worker => {
            let db = open(&config, "sqlite://firecast.db", lang).await?;
            let key = config.data_key(config.database_url_or("sqlite://firecast.db"))?;
            let tasks = crate::push::delivery::dispatch::start(db, std::sync::Arc::new(key), &config).await?;
            let queue = if config.nats_url.is_some() { "NATS JetStream" } else { lang.t("cli.queue.database") };
            println!("{}", lang.text("cli.worker", &[queue]));
            app::shutdown_signal().await;
            tasks.iter().for_each(tokio::task::JoinHandle::abort);
            Ok(())
        }
        Command::Migrate => {
            open(&config, "sqlite://firecast.db", lang).await?;
            println!("{}", lang.t("cli.migrated"));
            Ok(())
        }
        Command::Archive { before, keep } => {
            let db = open(&config, "sqlite://firecast.db", lang).await?;
            let before = crate::clock::parse_date("before", &before)?;
            let bar = progress_bar(&format!("{{bar:40}} {{pos}}/{{len}} {} {{elapsed}}", lang.t("cli.archive.pushes")));
            let done = crate::push::actions::archive(&db, before, keep, |i, n| {
                bar.set_length(n as u64);
                bar.set_position(i as u64);
            })
            .await?;
            bar.finish_and_clear();
            println!("{}", lang.text("cli.archive.done", &[&done.pushes.to_string(), &done.deliveries.to_string()]));
            Ok(())
        }
        Command::User(cmd) => user(&open(&config, "sqlite://firecast.db", lang).await?, cmd, lang).await,
        Command::Audit(AuditCommand::Verify { checkpoint }) => {
            let db = open(&config, "sqlite://firecast.db", lang).await?;
            let v = crate::audit::verify(&db, checkpoint.as_deref()).await?;
            let chained = v.chained.to_string();
            if let Some(id) = v.broken_at {
                anyhow::bail!(lang.text("cli.audit.broken", &[&id.to_string(), &chained]));
            }
            if v.checkpoint_holds == Some(false) {
                anyhow::bail!(lang.text("cli.audit.checkpoint_gone", &[&checkpoint.unwrap_or_default(), &chained]));
            }
            println!("{}", lang.text("cli.audit.holds", &[&chained, &v.before_chain.to_string()]));
            if v.checkpoint_holds == Some(true) {
                println!("{}", lang.t("cli.audit.checkpoint_holds"));
            }
            if let Some(head) = v.head {
                println!("{}", lang.text("cli.audit.head", &[&head]));
            }
            Ok(())
        }
        Command::Backup { out } => {
            let url = config.database_url_or("sqlite://firecast.db");
            let db = Db::connect(url).await?;
            let started = Instant::now();
            let key = config.data_key_file.clone().unwrap_or_else(|| crate::personal::default_key_path(url));
            let no_key = || lang.text("cli.backup.no_key", &[&key.display().to_string()]);
            // Without its key a copy's phone numbers could not be read: none is written (on
            // PostgreSQL, the answer is how to copy with its own tool).
            if matches!(db, Db::Sqlite(..)) {
                std::fs::metadata(&key).with_context(no_key)?;
            }
            db.backup(&out).await?;
            let key_copy = std::path::PathBuf::from(format!("{}.key", out.display()));
            std::fs::copy(&key, &key_copy).with_context(no_key)?;
            let size = std::fs::metadata(&out).map_or(0, |m| m.len());
            let (out, key_copy) = (out.display().to_string(), key_copy.display().to_string());
            let (mb, ms) = ((size / 1_000_000).to_string(), started.elapsed().as_millis().to_string());
            println!("{}", lang.text("cli.backup.done", &[&out, &mb, &key_copy, &ms]));
            Ok(())
        }
        Command::Report { campaign, region, format, out } => {
            let db = open(&config, "sqlite://firecast.db", lang).await?;
            let started = Instant::now();
            let report =
                crate::report::build(&db, &Scope::province(), campaign, region.as_deref(), crate::clock::today())
                    .await
                    .map_err(|e| match e {
                        crate::Error::NotFound => {
                            anyhow!(lang.text("cli.report.no_campaign", &[&campaign.to_string()]))
                        }
                        e => e.into(),
                    })?;
            let bytes = crate::report::export::render(&report, format)?;
            let shown = out.display().to_string();
            std::fs::write(&out, &bytes).with_context(|| lang.text("cli.report.unwritable", &[&shown]))?;
            let (kb, ms) = ((bytes.len() / 1024).to_string(), started.elapsed().as_millis().to_string());
            println!("{}", lang.text("cli.report.done", &[&shown, &kb, &ms]));
            Ok(())
        }
        Command::Import(ImportCommand::Activities { file, campaign, as_user }) => {
            import_activities(&open(&config, "sqlite://firecast.db", lang).await?, &file, campaign, &as_user, lang)
                .await
        }
        Command::Bench { workload, quick } => {
            let url = config.database_url_or("sqlite://firecast-bench.db");
            bench::run(workload, url, config.nats_url.as_deref(), &config.data_key(url)?, bench::Size::new(quick)).await
        }
    }
}

/// Loads the demo's data in a process of its own (`firecast demo-load`, on the same database and
/// data key, logging the same way): loading allocates some 70 MB on the way, which the allocator
/// would keep for reuse in the server; a process that ends gives all of it back. The server then
/// starts as small as a restart does.
async fn load_demo(config: &Config, lang: Lang) -> anyhow::Result<()> {
    let mut loader = tokio::process::Command::new(std::env::current_exe()?);
    loader.arg("demo-load").env("FIRECAST_DATABASE_URL", config.database_url_or(DEMO_URL));
    // A one-off job: the allocator returns freed memory at once instead of keeping it for reuse
    // (peak 133 → 96 MB, no slower).
    loader.env("MIMALLOC_PURGE_DELAY", "0");
    if let Some(key) = &config.data_key_file {
        loader.env("FIRECAST_DATA_KEY_FILE", key);
    }
    if let Some(format) = config.log_format.to_possible_value() {
        loader.env("FIRECAST_LOG_FORMAT", format.get_name());
    }
    loader.env("FIRECAST_LANG", lang.tag());
    let status = loader.status().await.context(lang.t("cli.demo.no_loader"))?;
    anyhow::ensure!(status.success(), lang.t("cli.demo.not_loaded"));
    Ok(())
}

/// Opens the database, migrates it and loads the reference data.
async fn open(config: &Config, default_url: &str, lang: Lang) -> anyhow::Result<Db> {
    let db = Db::open(config.database_url_or(default_url)).await?;
    org::reference::load(&db).await.context(lang.t("cli.reference"))?;
    Ok(db)
}

async fn serve(config: Config, db: Db, default_url: &str, started: Instant, lang: Lang) -> anyhow::Result<()> {
    let key = config.data_key(config.database_url_or(default_url))?;
    let listener = app::bind(config.listen).await?;
    let ready_ms = started.elapsed().as_millis();
    tracing::info!(url = %config.shown_url(), ready_ms, "serving");
    println!("{}", lang.text("cli.serving", &[&config.shown_url(), &ready_ms.to_string()]));
    let state = AppState::new(db, config, key);
    let workers = crate::push::delivery::dispatch::start(state.db.clone(), state.key.clone(), &state.config).await?;
    let served = app::serve(listener, state, app::shutdown_signal()).await;
    workers.iter().for_each(tokio::task::JoinHandle::abort);
    served
}

fn read_password(lang: Lang) -> anyhow::Result<Password> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context(lang.t("cli.user.no_password"))?;
    Ok(Password::parse(line.trim_end_matches(['\r', '\n']))?)
}

/// A progress bar drawn with `template`.
fn progress_bar(template: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(template).unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

/// Rows as a table in plain text: each column as wide as its widest cell (a Chinese or Korean
/// character taking two columns) and two spaces apart.
fn columns<const N: usize>(rows: &[[String; N]]) -> Vec<String> {
    let widths: Vec<usize> =
        (0..N).map(|i| rows.iter().map(|r| crate::sheet::display_width(&r[i])).max().unwrap_or(0)).collect();
    rows.iter()
        .map(|r| {
            let cells = r
                .iter()
                .zip(&widths)
                .map(|(cell, w)| format!("{cell}{}", " ".repeat(w.saturating_sub(crate::sheet::display_width(cell)))));
            cells.collect::<Vec<_>>().join("  ").trim_end().to_owned()
        })
        .collect()
}

async fn user(db: &Db, cmd: UserCommand, lang: Lang) -> anyhow::Result<()> {
    match cmd {
        UserCommand::Add { username, role, unit, display_name, password_stdin: _ } => {
            let username = Username::parse(&username)?;
            let role = Role::parse(&role).ok_or_else(|| {
                let all: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
                anyhow!(lang.text("cli.user.unknown_role", &[&role, &all.join(", ")]))
            })?;
            let unit = store::unit_by_name_or_id(db, &unit).await?;
            org::check_role_fits(role, unit.kind)?;
            let hash = read_password(lang)?.hash()?;
            let display = display_name.unwrap_or_else(|| username.as_str().to_owned());
            let id = store::insert_user(db, username.as_str(), &display, role, unit.id, &hash).await?;
            crate::audit::record(
                db,
                &operator(&unit.region_path),
                "user.create",
                ("user", &id.to_string()),
                crate::audit::Outcome::Ok,
                "command line",
            )
            .await?;
            let role = lang.tv("role", role);
            println!("{}", lang.text("cli.user.made", &[username.as_str(), role, &unit.name, &id.to_string()]));
        }
        UserCommand::Passwd { username, password_stdin: _ } => {
            let user = store::user_by_username(db, &username.to_lowercase())
                .await?
                .ok_or_else(|| anyhow!(lang.text("cli.no_user", &[&username])))?;
            let hash = read_password(lang)?.hash()?;
            store::set_password(db, user.id, &hash, None).await?;
            crate::audit::record(
                db,
                &operator(&user.region_path),
                "user.password_reset",
                ("user", &user.id.to_string()),
                crate::audit::Outcome::Ok,
                "command line",
            )
            .await?;
            println!("{}", lang.text("cli.user.password_set", &[&user.username]));
        }
        UserCommand::List => {
            let users = store::users(db, &Scope::province(), &store::UserFilter::default(), i64::MAX).await?;
            if users.is_empty() {
                let first =
                    format!("firecast user add NAME --role admin --unit {} --password-stdin", org::reference::CORPS);
                println!("{}", lang.text("cli.user.none", &[&first]));
                return Ok(());
            }
            let heading = ["cli.user.id", "user.username", "user.display_name", "user.role", "user.state", "user.unit"];
            let mut rows = vec![heading.map(|k| lang.t(k).to_owned())];
            rows.extend(users.into_iter().map(|u| {
                let role = lang.tv("role", u.role).to_owned();
                let state = lang.t(if u.disabled { "user.disabled" } else { "user.active" }).to_owned();
                [u.id.to_string(), u.username, u.display_name, role, state, u.unit_name]
            }));
            for line in columns(&rows) {
                println!("{line}");
            }
        }
    }
    Ok(())
}

async fn import_activities(
    db: &Db,
    file: &std::path::Path,
    campaign: i64,
    as_user: &str,
    lang: Lang,
) -> anyhow::Result<()> {
    let shown = file.display().to_string();
    let bytes = std::fs::read(file).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => anyhow!(lang.text("cli.import.missing", &[&shown])),
        _ => anyhow!(lang.text("cli.import.unreadable", &[&shown, &e.to_string()])),
    })?;
    let user = store::user_by_username(db, &as_user.to_lowercase())
        .await?
        .ok_or_else(|| anyhow!(lang.text("cli.no_user", &[as_user])))?;
    if user.disabled {
        return Err(anyhow!(lang.text("cli.import.disabled", &[as_user])));
    }
    let me = crate::org::caller::Principal::acting_as(user, "local");
    if !crate::activity::can_report(me.role) {
        return Err(anyhow!(lang.text("cli.import.may_not_report", &[as_user, lang.tv("role", me.role)])));
    }
    let bar = progress_bar(&format!("{{msg}} [{{bar:40}}] {{pos}}/{{len}} {} ({{eta}})", lang.t("cli.import.rows")));
    bar.set_message(lang.t("cli.import.storing"));
    let name = file.file_name().map_or_else(|| "file".to_owned(), |n| n.to_string_lossy().into_owned());
    let outcome = crate::activity::import::run(db, &me, campaign, &bytes, &name, &|done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })
    .await?;
    bar.finish_and_clear();
    match outcome {
        Ok(ids) => {
            println!("{}", lang.text("cli.import.done", &[&name, &ids.len().to_string()]));
            Ok(())
        }
        Err(crate::activity::import::Rejected(errors)) => {
            for e in errors.iter().take(50) {
                eprintln!("  {}", e.shown(&lang));
            }
            if errors.len() > 50 {
                eprintln!("  {}", lang.text("cli.import.more", &[&(errors.len() - 50).to_string()]));
            }
            Err(anyhow!(lang.text("cli.import.failed", &[&name, &errors.len().to_string()])))
        }
    }
}

fn operator(region_path: &str) -> crate::audit::Actor {
    let name = std::env::var("USER").unwrap_or_else(|_| "operator".to_owned());
    crate::audit::Actor {
        user_id: None,
        name: format!("cli:{name}"),
        ip: "local".to_owned(),
        region_path: region_path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_is_shown_in_the_readers_words_with_the_systems_reason_after_them() {
        let io = std::io::Error::other("disk full");
        let keyed = anyhow::Error::new(io).context(crate::i18n::keyed("error.database_open", &["sqlite://x.db"]));
        assert_eq!(shown(&keyed, Lang::Zh), "无法打开数据库sqlite://x.db：disk full");
        assert_eq!(shown(&keyed, Lang::En), "cannot open database sqlite://x.db: disk full");
        // Wrapped as an internal error, the keyed message is still read as one.
        let internal = anyhow::Error::new(crate::Error::Internal(keyed));
        assert_eq!(shown(&internal, Lang::Zh), "无法打开数据库sqlite://x.db：disk full");
        let invalid = anyhow::Error::new(crate::Error::invalid("unit", crate::i18n::keyed("error.no_unit", &["{2}"])));
        assert_eq!(shown(&invalid, Lang::Ko), "이름이나 번호가 ‘{2}’인 단위가 없습니다");
        let db = anyhow::Error::new(crate::Error::Db(sqlx::Error::RowNotFound));
        assert!(shown(&db, Lang::Zh).starts_with("数据库出错："), "{}", shown(&db, Lang::Zh));
        assert_eq!(Lang::by_first_part("zh_CN.UTF-8"), Some(Lang::Zh));
        assert_eq!(Lang::by_first_part("ko-KR"), Some(Lang::Ko));
        assert_eq!(Lang::by_first_part("fr"), None);
    }

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory as _;
        Cli::command().debug_assert();
    }
}
