//! `firecast bench push`: the fan-out of one push to 1,000,000 subscribed households (in-app) as a
//! ratio to the same database's bare `insert … select` of as many rows, with the process's peak
//! memory during it; then webhook dispatch to a local sink, while that push's deliveries are in the
//! live table, as a ratio to what the same sink takes from a plain load generator. `firecast bench
//! push-province` fans one push out to the whole province, 9,426,822 households (2020 census):
//! meant for `PostgreSQL`.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration as StdDuration, Instant};

use futures_util::StreamExt as _;
use indicatif::{ProgressBar, ProgressStyle};
use time::Duration;

use super::{Goal, Size, Table};
use crate::db::Db;
use crate::org::{Scope, store as org};
use crate::personal::DataKey;
use crate::push::delivery::dispatch::{Dispatcher, Settings};
use crate::push::delivery::webhook::EVENT_HEADER;
use crate::push::store::{self, Due, NewPush};
use crate::push::{QuietHours, week_start};

/// Households of the province (2020 census).
pub const PROVINCE_HOUSEHOLDS: i64 = 9_426_822;

fn spinner(msg: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} {elapsed}").unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(msg.to_owned());
    bar.enable_steady_tick(StdDuration::from_millis(120));
    bar
}

/// The process's peak resident memory in MB since the last reset (Linux), if known.
fn peak_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Resets the peak so the next reading covers only what follows (Linux); whether it could.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// A push of a new product (never pushed before) to the whole province on `channels`.
pub(super) async fn one_push(db: &Db, key: &str, channels: &str) -> anyhow::Result<Due> {
    let author = org::user_by_username(db, "province").await?.ok_or_else(|| anyhow::anyhow!("no demo account"))?;
    let now = crate::clock::now();
    let mut tx = db.begin().await?;
    let title = format!("冬季取暖安全提示 {}", crate::org::new_secret());
    let product = store::NewProduct {
        kind: crate::push::ProductKind::Tip,
        title: title.clone(),
        tags: String::new(),
        state: crate::push::ProductState::Approved,
        search: title.clone(),
        unit_id: author.unit_id,
        region_path: "/22/".into(),
        created_by: author.id,
        created_at: now,
        reviewed: Some((author.id, now)),
    };
    let variant = store::NewVariant {
        variant: store::Variant {
            lang: crate::push::Lang::Zh,
            title,
            body: "电暖器远离可燃物，人走断电。".into(),
            link: String::new(),
            file_name: String::new(),
            file_type: String::new(),
            file_size: 0,
        },
        file: None,
    };
    let product_id = store::insert_product(&mut tx, product, vec![variant]).await?;
    let (id, _) = store::insert_push(
        &mut tx,
        &NewPush {
            product_id,
            origin_unit_id: author.unit_id,
            origin_path: "/22/".into(),
            targets: vec![("220000".into(), "/22/".into())],
            audiences: String::new(),
            places: String::new(),
            channels: channels.into(),
            note: String::new(),
            scheduled_at: now,
            sign_hours: "24,48,72".into(),
            state: crate::push::PushState::Active,
            idempotency_key: format!("{key}-{}", crate::org::new_secret()),
            created_by: author.id,
            created_at: now,
            fanned_out_at: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Due { id, product_id, channels: channels.into(), tags: String::new(), scheduled_at: now })
}

/// Makes `n` in-app subscribers over the province (when fewer exist) and fans one push out to them:
/// the push and its households, its deliveries left in the live table.
async fn fan_out(db: &Db, n: i64, table: &mut Table, workload: &'static str) -> anyhow::Result<(Due, u64)> {
    let (all, _) = store::subscriber_counts(db, &Scope::province()).await?;
    if all < n {
        let bar = spinner(&format!("making {} subscribers", n - all));
        store::generate_subscribers(db, "/22/", n - all, 0, 0, &[], crate::clock::now()).await?;
        bar.finish_and_clear();
        crate::hazard::store::analyze(db).await.ok();
    }
    let (all, _) = store::subscriber_counts(db, &Scope::province()).await?;
    let bar = spinner(&format!("raw insert … select of {all} rows"));
    let t = Instant::now();
    db.raw_insert_yardstick(all).await?;
    let temp = t.elapsed();
    let t = Instant::now();
    db.raw_insert_yardstick_table(all).await?;
    let raw = t.elapsed();
    bar.finish_and_clear();
    println!(
        "raw insert … select of {all} rows: {:.2} s into a table of this database ({:.0} rows/s); {:.2} s into a temporary table",
        raw.as_secs_f64(),
        all as f64 / raw.as_secs_f64(),
        temp.as_secs_f64()
    );
    let due = one_push(db, "bench-fanout", ",inbox,").await?;
    let now = crate::clock::now();
    let reset = reset_peak();
    let before = peak_mb();
    let bar = spinner("fan-out");
    let t = Instant::now();
    let done = store::fan_out(db, &due, &[], now, now, week_start(now)).await?.unwrap_or_default();
    let took = t.elapsed();
    bar.finish_and_clear();
    let ratio = raw.as_secs_f64() / took.as_secs_f64();
    println!(
        "fan-out of one push to {} households: {:.2} s ({:.0} rows/s) — ratio to the raw insert into a table {ratio:.2} (goal ≥ 0.5), to the temporary table {:.2}",
        done.households,
        took.as_secs_f64(),
        done.households as f64 / took.as_secs_f64(),
        temp.as_secs_f64() / took.as_secs_f64()
    );
    let figure = format!("fan-out to {} households: {:.2} s", done.households, took.as_secs_f64());
    let yardstick = format!("raw insert … select {:.2} s", raw.as_secs_f64());
    table.ratio(workload, figure.clone(), yardstick, ratio, (Goal::AtLeast(0.5), "≥ 0.5×"));
    if n >= PROVINCE_HOUSEHOLDS {
        table.add(workload, figure, None, None, (took.as_secs_f64(), Goal::AtMost(20.0), "< 20 s"));
    }
    // Without a reset the peak would be the whole run's, not the fan-out's.
    if let (true, Some(b), Some(p)) = (reset, before, peak_mb()) {
        println!("peak memory of this process during the fan-out: {p:.0} MB (at its start {b:.0} MB; goal < 300 MB)");
        // What the fan-out itself holds (the process may hold more from workloads before it);
        // nothing when the process gave memory back meanwhile.
        let added = (p - b).max(0.0);
        table.add(
            workload,
            format!("memory the fan-out added: {added:.0} MB (peak {p:.0} MB)"),
            None,
            None,
            (added, Goal::AtMost(300.0), "< 300 MB"),
        );
    }
    Ok((due, done.households))
}

/// A resident's inbox read while the push's deliveries are in the live table (200 households
/// picked at random), the disk they take, and archiving them (the tally, then the rows out).
async fn inbox_and_archive(
    db: &Db,
    due: &Due,
    households: u64,
    table: &mut Table,
    workload: &'static str,
) -> anyhow::Result<()> {
    use rand::Rng as _;
    let (low, high) = store::subscriber_id_range(db).await?;
    let since = crate::clock::now() - Duration::days(crate::push::actions::INBOX_DAYS);
    let mut rng = rand::rng();
    let (p50, p99, _) = super::time(200, || store::inbox(db, rng.random_range(low..=high), since, 100)).await?;
    let (p50, p99) = (super::ms(p50), super::ms(p99));
    println!("a resident's inbox beside it: median {p50:.2} ms, p99 {p99:.2} ms (200 households at random)");
    table.add(
        workload,
        format!("a resident's inbox read: {p50:.2} ms (p99 {p99:.2})"),
        None,
        None,
        (p50, Goal::AtMost(10.0), "< 10 ms"),
    );
    if let Some(bytes) = store::partition_bytes(db, due.id).await? {
        println!(
            "the push's partition: {:.0} MB with its indexes, {:.0} bytes a delivery",
            bytes as f64 / 1e6,
            bytes as f64 / households.max(1) as f64
        );
    }
    let t = Instant::now();
    let n = store::archive_push(db, due.id, false, crate::clock::now()).await?.unwrap_or_default();
    let took = t.elapsed().as_secs_f64();
    println!("archived its {n} deliveries (tallied, then out of the live table in one step): {took:.2} s");
    table.add(workload, format!("archive of {n} deliveries: {took:.2} s"), None, None, (took, Goal::None, "—"));
    Ok(())
}

/// The fan-out of one push to 1,000,000 households (a tenth with `--quick`); webhook dispatch
/// while its deliveries are in the live table, as a week's pushes are; then its archive.
pub async fn run(db: &Db, key: &DataKey, table: &mut Table, size: Size) -> anyhow::Result<()> {
    crate::demo::seed(db, key).await?;
    let (due, households) = fan_out(db, i64::try_from(size.n(1_000_000))?, table, "push").await?;
    webhooks(db, key, table, size, households).await?;
    inbox_and_archive(db, &due, households, table, "push").await
}

/// The fan-out of one push to every household of the province, then its archive.
pub async fn province(db: &Db, key: &DataKey, table: &mut Table) -> anyhow::Result<()> {
    crate::demo::seed(db, key).await?;
    let (due, households) = fan_out(db, PROVINCE_HOUSEHOLDS, table, "push-province").await?;
    inbox_and_archive(db, &due, households, table, "push-province").await
}

/// What the sink got: every post, and the distinct events among them.
#[derive(Default)]
pub(super) struct Got {
    posts: u64,
    events: HashSet<String>,
}

/// A local webhook sink: what it got.
pub(super) type Sink = Arc<Mutex<Got>>;

/// Posts and distinct events the sink got so far.
pub(super) fn seen(sink: &Sink) -> (u64, usize) {
    let g = sink.lock().unwrap_or_else(PoisonError::into_inner);
    (g.posts, g.events.len())
}

/// Starts a sink on a free port; its address.
pub(super) async fn sink() -> anyhow::Result<(String, Sink)> {
    let sink = Sink::default();
    let s = sink.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap| {
            let s = s.clone();
            async move {
                let event = headers.get(EVENT_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
                let mut g = s.lock().unwrap_or_else(PoisonError::into_inner);
                g.posts += 1;
                g.events.insert(event);
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    Ok((format!("http://{addr}/hook"), sink))
}

/// Posts per second a plain load generator gets through to the sink at `url`: `n` signed bodies
/// with the dispatcher's concurrency, each run from a new client (new connections, as a
/// dispatcher starts). The median of three runs: on a noisy day one run's rate moved between
/// 31,000 and 78,000 posts a second from one bench to the next.
pub(super) async fn plain_rate(url: &str, n: usize) -> anyhow::Result<f64> {
    const RUNS: usize = 3;
    let body = serde_json::json!({"event": "push", "push_id": 1, "variants": [{"lang": "zh", "title": "冬季取暖安全", "body": "电暖器远离可燃物，人走断电。"}]});
    let mut rates = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let client = crate::push::delivery::webhook::WebhookClient::new()?;
        let t = Instant::now();
        futures_util::stream::iter(0..n)
            .map(|i| {
                let (client, body) = (&client, &body);
                async move { client.post(url, b"bench-secret", &format!("load-{i}"), body).await.ok() }
            })
            .buffer_unordered(crate::push::delivery::dispatch::WEBHOOK_CONCURRENCY)
            .collect::<Vec<_>>()
            .await;
        rates.push(n as f64 / t.elapsed().as_secs_f64());
    }
    rates.sort_by(f64::total_cmp);
    let plain = rates.get(RUNS / 2).copied().unwrap_or_default();
    let each: Vec<String> = rates.iter().map(|r| format!("{r:.0}/s")).collect();
    println!(
        "plain load generator to the local sink: {n} posts, {RUNS} runs ({}), median {plain:.0}/s",
        each.join(", ")
    );
    Ok(plain)
}

/// `n` partner endpoints over the province posting to `url`.
pub(super) async fn endpoints(db: &Db, url: &str, n: usize) -> anyhow::Result<()> {
    let now = crate::clock::now();
    for i in 0..n {
        let name = format!("bench-partner-{i}-{}", crate::org::new_secret());
        store::insert_endpoint(db, &name, url, "bench-secret", "/22/", now).await?;
    }
    Ok(())
}

/// Webhook deliveries per second through the dispatcher, beside `live` deliveries of an earlier
/// push in the live table, against a plain load generator posting the same signed bodies to the
/// same sink with the same concurrency.
async fn webhooks(db: &Db, key: &DataKey, table: &mut Table, size: Size, live: u64) -> anyhow::Result<()> {
    const ENDPOINTS: usize = 100;
    let pushes_n = size.n(100);
    let (url, got) = sink().await?;
    let n = ENDPOINTS * pushes_n;
    let plain = plain_rate(&url, n).await?;
    let now = crate::clock::now();
    endpoints(db, &url, ENDPOINTS).await?;
    // Endpoints of earlier runs post to sinks gone or elsewhere.
    store::deactivate_endpoints_except(db, &url).await?;
    let mut pushes = Vec::new();
    for _ in 0..pushes_n {
        pushes.push(one_push(db, "bench-webhook", ",webhook,").await?);
    }
    let settings = Settings {
        sms: crate::config::Config::with_database("").sms,
        quiet: QuietHours::DEFAULT,
        webhooks_per_second: 1_000_000.0,
        webhook_timeout: crate::push::delivery::webhook::DEFAULT_TIMEOUT,
        public_url: String::new(),
    };
    let d = Dispatcher::new(db.clone(), Arc::new(key.clone()), &settings)?;
    let mut made = 0;
    for due in &pushes {
        made += store::fan_out(db, due, &[], now, now, week_start(now)).await?.map_or(0, |f| f.partners);
    }
    let before = seen(&got).0;
    let t = Instant::now();
    // As in `serve` and `worker`: two webhook loops.
    let pass = d.drain_channel(crate::push::Channel::Webhook, 2, now + Duration::seconds(1)).await?;
    let took = t.elapsed();
    let got = seen(&got).0 - before;
    let rate = got as f64 / took.as_secs_f64();
    println!(
        "dispatcher, beside {live} deliveries in the live table: {made} webhook deliveries made, {} delivered, sink got {got}: {rate:.0}/s — ratio to the plain load generator {:.2} (goal ≥ 0.5)",
        pass.delivered,
        rate / plain
    );
    table.ratio(
        "push",
        format!("webhook dispatch of {got} (beside {live}): {rate:.0}/s"),
        format!("plain load generator {plain:.0}/s"),
        rate / plain,
        (Goal::AtLeast(0.5), "≥ 0.5×"),
    );
    Ok(())
}
