//! `firecast bench`: performance workloads that print their figures beside the machine's own limit
//! measured in the same run, and end with one table: workload, figure, yardstick, ratio, goal, and
//! whether it was met. `firecast bench all` runs every workload (`--quick`: a tenth of each).
#![allow(clippy::cast_precision_loss)] // rates and ratios for people to read

pub mod hazards;
pub mod push;
mod quiz;
mod startup;
mod table;
mod workers;

use std::time::{Duration, Instant};

use clap::ValueEnum;
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use time::Date;

use crate::activity::State;
use crate::activity::store::{self as records, NewActivity};
use crate::db::Db;
use crate::org::{Scope, store};
use crate::personal::DataKey;
use table::Goal;
pub use table::{Size, Table};

/// A workload.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Workload {
    /// Region subtree queries over all 11,860 communities.
    Regions,
    /// 100,000 activities with 1,000,000 figures: storing, the campaign overview, XLSX import.
    Activities,
    /// A year of data, 1,000,000 activities with 10,000,000 figures: the province dashboard and
    /// the Word report.
    Dashboard,
    /// Answer submissions over HTTP against `/healthz` under the same load, and the leaderboard
    /// over 1,000,000 finished attempts.
    Quiz,
    /// 1,000,000 hazard reports: storing them, the list, the statistics per region.
    Hazards,
    /// One push fanned out to 1,000,000 households against a raw insert, and webhook dispatch to a
    /// local sink against a plain load generator.
    Push,
    /// One push fanned out to all 9,426,822 households of the province (for `PostgreSQL`).
    PushProvince,
    /// Webhook deliveries through NATS `JetStream` by 1, 2 and 3 `firecast worker` processes,
    /// and one of three killed mid-batch (needs `--nats-url`).
    Workers,
    /// `firecast demo` on a fresh file until it serves, against `firecast migrate` on a fresh
    /// file; its peak and idle memory; and a restart.
    Startup,
    /// Every workload above, one after the other (the province push only on `PostgreSQL` and
    /// not with `--quick`).
    All,
}

impl Workload {
    /// What `all` runs, in order.
    const EACH: [Self; 9] = [
        Self::Startup,
        Self::Regions,
        Self::Activities,
        Self::Dashboard,
        Self::Hazards,
        Self::Quiz,
        Self::Push,
        Self::PushProvince,
        Self::Workers,
    ];
}

/// Runs a workload against the database at `url` (its reference data is loaded when missing) and
/// prints the table of its figures; fails when the workload fails, not when a goal is missed.
/// `nats` is the NATS server the workers workload runs through.
pub async fn run(workload: Workload, url: &str, nats: Option<&str>, key: &DataKey, size: Size) -> anyhow::Result<()> {
    let started = Instant::now();
    let db = Db::open(url).await?;
    crate::org::reference::load(&db).await?;
    println!("database ready in {} ms ({})", started.elapsed().as_millis(), crate::db::redact_url(url));
    let mut t = Table::default();
    let each: Vec<Workload> = match workload {
        Workload::All => Workload::EACH
            .into_iter()
            .filter(|w| !matches!(w, Workload::PushProvince) || (matches!(db, Db::Postgres(_)) && !size.quick()))
            .collect(),
        one => vec![one],
    };
    for w in each {
        let name = w.to_possible_value().map(|v| v.get_name().to_owned()).unwrap_or_default();
        println!("\n== {name}{} ==", if size.quick() { " (quick)" } else { "" });
        let took = Instant::now();
        match w {
            Workload::Regions => regions(&db, &mut t).await?,
            Workload::Activities => activities(&db, key, &mut t, size).await?,
            Workload::Dashboard => dashboard(&db, key, &mut t, size).await?,
            Workload::Quiz => quiz::run(&db, url, key, &mut t, size).await?,
            Workload::Hazards => hazards::run(&db, key, &mut t, size).await?,
            Workload::Push => push::run(&db, key, &mut t, size).await?,
            Workload::PushProvince => push::province(&db, key, &mut t).await?,
            Workload::Startup => startup::run(&mut t).await?,
            Workload::Workers => workers::run(&db, url, nats, key, &mut t, size).await?,
            Workload::All => {}
        }
        println!("({name}: {:.0} s)", took.elapsed().as_secs_f64());
    }
    println!();
    t.print(&crate::db::redact_url(url), size);
    Ok(())
}

/// The median and the 99th percentile of repeated runs of `f`.
async fn time<F, Fut, T>(runs: usize, mut f: F) -> anyhow::Result<(Duration, Duration, T)>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = crate::Result<T>>,
{
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        last = Some(f().await?);
        times.push(t.elapsed());
    }
    times.sort();
    let last = last.ok_or_else(|| anyhow::anyhow!("no runs"))?;
    Ok((times[runs / 2], times[(runs * 99 / 100).min(runs - 1)], last))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn regions(db: &Db, t: &mut Table) -> anyhow::Result<()> {
    let province = Scope::province();
    let (bare, _, ()) = time(200, || async { db.ping().await.map_err(crate::Error::from) }).await?;
    let (p50, p99, rows) = time(200, || store::communities(db, &province)).await?;
    println!(
        "communities in the province subtree: {} rows, median {:.2} ms, p99 {:.2} ms",
        rows.len(),
        ms(p50),
        ms(p99)
    );
    t.add(
        "regions",
        format!("the province's {} communities: {:.2} ms", rows.len(), ms(p50)),
        Some(format!("round trip {:.3} ms", ms(bare))),
        None,
        (ms(p50), Goal::AtMost(50.0), "< 50 ms"),
    );
    let changchun = Scope::under("/22/2201/");
    let (p50, p99, rows) = time(200, || store::communities(db, &changchun)).await?;
    println!(
        "communities under Changchun:        {} rows, median {:.2} ms, p99 {:.2} ms",
        rows.len(),
        ms(p50),
        ms(p99)
    );
    let (p50, p99, counts) = time(200, || store::region_level_counts(db, &province, "/22/")).await?;
    let villages = counts.iter().find(|c| c.level == 4).map_or(0, |c| c.count);
    println!(
        "counts per level over the province subtree ({villages} communities): median {:.2} ms, p99 {:.2} ms",
        ms(p50),
        ms(p99)
    );
    println!("bare round trip (select 1):         median {:.3} ms", ms(bare));
    Ok(())
}

const FIGURES_EACH: usize = 10;

/// A bench campaign over a year with the demo accounts, and the machine's write yardstick.
struct Setup {
    campaign: i64,
    start: Date,
    corps: (i64, String),
    author: store::User,
    places: Vec<(String, String)>,
    metrics: Vec<String>,
    /// Rows per second of a bare `insert … select`.
    raw_rate: f64,
}

async fn setup(db: &Db, key: &DataKey, year: i32, size: Size) -> anyhow::Result<Setup> {
    crate::demo::seed(db, key).await?;
    let author = store::user_by_username(db, "province").await?.ok_or_else(|| anyhow::anyhow!("no demo account"))?;
    let corps = store::unit_by_name_or_id(db, crate::org::reference::CORPS).await?;
    let n = crate::campaign::store::campaigns(db, &Scope::province()).await?.len();
    let start = Date::from_ordinal_date(year, 1)?;
    let end = Date::from_ordinal_date(year, 365)?;
    let campaign = crate::campaign::store::insert_campaign(
        db,
        &format!("bench {n}"),
        "bench",
        (start, end),
        (corps.id, &corps.region_path),
        None,
    )
    .await?;
    crate::campaign::store::set_status(db, campaign, crate::campaign::Status::Running).await?;
    let raw_rate = yardstick(db, size).await?;
    let places =
        store::regions_in(db, &Scope::province(), 3).await?.into_iter().filter(|(code, _)| code.len() == 9).collect();
    let metrics = crate::campaign::store::metrics(db)
        .await?
        .into_iter()
        .filter(|m| m.source == "figure")
        .map(|m| m.code)
        .skip(2)
        .take(FIGURES_EACH)
        .collect();
    Ok(Setup { campaign, start, corps: (corps.id, corps.region_path), author, places, metrics, raw_rate })
}

/// Rows per second of one bare `insert … select` into a temporary table: the machine's write
/// limit, measured in the same run as what it is held against.
async fn yardstick(db: &Db, size: Size) -> anyhow::Result<f64> {
    let n = size.n(1_000_000);
    let t = Instant::now();
    db.raw_insert_yardstick(i64::try_from(n)?).await?;
    let raw = t.elapsed();
    let rate = n as f64 / raw.as_secs_f64();
    println!("yardstick: one bare insert … select of {n} rows: {:.0} ms ({rate:.0} rows/s)", ms(raw));
    Ok(rate)
}

/// The goal of storing records in bulk against the raw insert: 0.1× on `SQLite`. On `PostgreSQL`
/// the raw insert goes into a temporary table, which writes no WAL and has no keys, while every
/// record checks four foreign keys and writes four indexes; there the goals are the XLSX import's
/// 20,000 rows/s and half the bare copy of the same rows, and this ratio is measured.
fn raw_goal(db: &Db) -> (Goal, &'static str) {
    if matches!(db, Db::Sqlite(..)) { (Goal::AtLeast(0.1), "≥ 0.1×") } else { (Goal::None, "measured") }
}

impl Setup {
    /// Records `range` of the generated year, in a given state.
    fn generate(&self, range: std::ops::Range<usize>, state: State) -> Vec<NewActivity> {
        let mut rng = StdRng::seed_from_u64(range.start as u64);
        range
            .map(|i| {
                let on = self.start + time::Duration::days(rng.random_range(0..365));
                NewActivity {
                    campaign_id: self.campaign,
                    duty_id: None,
                    kind: "volunteer_service".into(),
                    title: format!("bench activity {i}"),
                    starts_on: on,
                    ends_on: on,
                    region: self.places[rng.random_range(0..self.places.len())].clone(),
                    organiser: self.corps.clone(),
                    co_organisers: String::new(),
                    venue: String::new(),
                    description: String::new(),
                    figures: self.metrics.iter().map(|m| (m.clone(), rng.random_range(1..500))).collect(),
                    state,
                    created_by: self.author.id,
                }
            })
            .collect()
    }
}

async fn activities(db: &Db, key: &DataKey, t: &mut Table, size: Size) -> anyhow::Result<()> {
    let n = size.n(100_000);
    let s = setup(db, key, 2030, size).await?;
    let batch = s.generate(0..n, State::Approved);
    let started = Instant::now();
    records::insert_many(db, &batch, &|_| {}).await?;
    let stored = started.elapsed();
    let rate = (n * FIGURES_EACH) as f64 / stored.as_secs_f64();
    println!(
        "stored {n} activities with {} figures in one transaction, totals rebuilt: {:.0} ms ({rate:.0} figure rows/s, {:.2}× the yardstick's rate)",
        n * FIGURES_EACH,
        ms(stored),
        rate / s.raw_rate
    );
    t.ratio(
        "activities",
        format!("{n} records stored: {rate:.0} figure rows/s"),
        format!("raw insert {:.0} rows/s", s.raw_rate),
        rate / s.raw_rate,
        raw_goal(db),
    );
    // What bounds it: the database writing the same rows into the same tables and indexes: a
    // record, its ten figures, and the daily and running totals storing them wrote.
    let records_copy = db.copy_rate("activity", i64::try_from(n)?).await?;
    let figures_copy = db.copy_rate("activity_figure", i64::try_from(n * FIGURES_EACH)?).await?;
    let (daily, total) = records::total_rows(db, s.campaign).await?;
    let daily_copy = db.copy_rate("figure_daily", daily).await?;
    let total_copy = db.copy_rate("figure_total", total).await?;
    let copy_secs = n as f64 / records_copy
        + (n * FIGURES_EACH) as f64 / figures_copy
        + daily as f64 / daily_copy
        + total as f64 / total_copy;
    let bound = (n * FIGURES_EACH) as f64 / copy_secs;
    println!(
        "the database's own copy into empty tables of the same shape: {records_copy:.0} records/s, {figures_copy:.0} figure rows/s, \
         {daily_copy:.0} daily total rows/s ({daily} written), {total_copy:.0} running total rows/s ({total} written); \
         the same rows at best {bound:.0} figure rows/s — firecast stores at {:.2}× of it",
        rate / bound
    );
    t.ratio(
        "activities",
        format!("{n} records stored: {rate:.0} figure rows/s"),
        format!("bare copy of the same rows and totals {bound:.0} figure rows/s"),
        rate / bound,
        (Goal::AtLeast(0.5), "≥ 0.5× the bare copy"),
    );
    let today = crate::clock::today();
    let scope = Scope::province();
    let (bare, _, rows) = time(5, || records::totals_from_records(db, s.campaign, "/22/", 9)).await?;
    println!(
        "bare aggregate SQL over the records (province and its 10 regions × metrics): {} rows, median {:.1} ms",
        rows.len(),
        ms(bare)
    );
    let (page, p99, html) = time(20, || async {
        let o = crate::report::overview::overview(db, &scope, s.campaign, None, today).await?;
        crate::campaign::pages::render_overview(o)
    })
    .await?;
    println!(
        "campaign overview page (queries and HTML, {} KB): median {:.1} ms, p99 {:.1} ms — {:.2}× the bare aggregate (goal < 100 ms and ≤ 1.5×)",
        html.len() / 1024,
        ms(page),
        ms(p99),
        page.as_secs_f64() / bare.as_secs_f64()
    );
    let ratio = page.as_secs_f64() / bare.as_secs_f64();
    t.ratio(
        "activities",
        format!("campaign overview page: {:.1} ms", ms(page)),
        format!("bare aggregate {:.1} ms", ms(bare)),
        ratio,
        (Goal::AtMost(1.5), "≤ 1.5×"),
    );
    t.add(
        "activities",
        format!("campaign overview page: {:.1} ms", ms(page)),
        None,
        None,
        (ms(page), Goal::AtMost(100.0), "< 100 ms"),
    );

    // XLSX import of 100,000 rows through the whole importer.
    let headers = crate::activity::import::template_headers(&crate::campaign::store::metrics(db).await?);
    let column = |name: &str| headers.iter().position(|h| h == name);
    let (handouts, posters) = (column("发放宣传资料"), column("张贴海报挂图标语"));
    let rows: Vec<Vec<String>> = (0..n)
        .map(|i| {
            let mut row = vec![String::new(); headers.len()];
            row[0] = format!("导入活动 {i}");
            row[1] = "volunteer_service".into();
            row[2] = crate::clock::show_date(s.start);
            row[4].clone_from(&s.places[i % s.places.len()].0);
            if let Some(h) = handouts {
                row[h] = (i % 900 + 1).to_string();
            }
            if let Some(p) = posters {
                row[p] = (i % 300 + 1).to_string();
            }
            row
        })
        .collect();
    let xlsx = crate::sheet::xlsx_bytes(&[crate::sheet::OutSheet::text("活动", &headers, &rows)], "")
        .map_err(|e| anyhow::anyhow!(e))?;
    let me = crate::org::caller::Principal::acting_as(s.author.clone(), "bench");
    let started = Instant::now();
    let sheet = crate::sheet::read(&xlsx, "bench.xlsx").map_err(|e| anyhow::anyhow!("{:?}", e.first()))?;
    let read = started.elapsed();
    let t1 = Instant::now();
    let ctx = crate::activity::import::Context::load(db, &me, s.campaign).await?;
    let loaded = t1.elapsed();
    let t2 = Instant::now();
    let parsed =
        crate::activity::import::parse(&sheet, &ctx, &me).map_err(|e| anyhow::anyhow!("{:?}", e.first()))?.len();
    println!(
        "  of which: reading the XLSX {:.0} ms, loading the regions and units its rows are checked against {:.0} ms (the import does both at once), checking {parsed} rows {:.0} ms",
        ms(read),
        ms(loaded),
        ms(t2.elapsed())
    );
    let started = Instant::now();
    let outcome = crate::activity::import::run(db, &me, s.campaign, &xlsx, "bench.xlsx", &|_, _| {}).await?;
    let took = started.elapsed();
    let imported = outcome.map_err(|r| anyhow::anyhow!("bench import rejected: {:?}", r.0.first()))?.len();
    let rate = imported as f64 / took.as_secs_f64();
    println!(
        "XLSX import of {imported} rows ({} KB): {:.0} ms, {rate:.0} rows/s (goal ≥ 20,000 rows/s)",
        xlsx.len() / 1024,
        ms(took),
    );
    t.add(
        "activities",
        format!("XLSX import of {imported} rows: {rate:.0} rows/s"),
        Some(format!("raw insert {:.0} rows/s", s.raw_rate)),
        Some(rate / s.raw_rate),
        (rate, Goal::AtLeast(20_000.0), "≥ 20,000 rows/s"),
    );
    // What bounds it: the database's own copy of as many records, each with its figures.
    let each = [handouts, posters].iter().flatten().count() as f64;
    let copied = 1.0 / (1.0 / records_copy + each / figures_copy);
    t.ratio(
        "activities",
        format!("XLSX import of {imported} rows: {rate:.0} rows/s"),
        format!("bare copy of as many records and figures {copied:.0} rows/s"),
        rate / copied,
        (Goal::None, "measured"),
    );
    Ok(())
}

async fn dashboard(db: &Db, key: &DataKey, t: &mut Table, size: Size) -> anyhow::Result<()> {
    let n = size.n(1_000_000);
    let chunk = size.n(100_000);
    let s = setup(db, key, 2031, size).await?;
    let started = Instant::now();
    for start in (0..n).step_by(chunk) {
        records::insert_many(db, &s.generate(start..start + chunk, State::Submitted), &|_| {}).await?;
    }
    let stored = started.elapsed();
    let started = Instant::now();
    let approved = records::approve_all(db, s.campaign, s.author.id).await?;
    let totals = started.elapsed();
    let rate = (n * FIGURES_EACH) as f64 / stored.as_secs_f64();
    println!(
        "stored {n} activities with {} figures: {:.1} s ({rate:.0} figure rows/s, {:.2}× the yardstick's rate); approved {approved} and built the totals in {:.1} s",
        n * FIGURES_EACH,
        stored.as_secs_f64(),
        rate / s.raw_rate,
        totals.as_secs_f64()
    );
    t.ratio(
        "dashboard",
        format!("{n} records stored in chunks: {rate:.0} figure rows/s"),
        format!("raw insert {:.0} rows/s", s.raw_rate),
        rate / s.raw_rate,
        raw_goal(db),
    );
    let (bare, _, _) = time(1, || async {
        let t = records::totals_from_records(db, s.campaign, "/22/", 9).await?;
        let d = records::daily_from_records(db, s.campaign, "/22/").await?;
        Ok((t, d))
    })
    .await?;
    println!(
        "bare aggregate queries over the records (totals per region and metric, daily trend): median {:.0} ms",
        ms(bare)
    );
    let (page, p99, html) = time(10, || crate::report::pages::dashboard_html(db, s.campaign, "handouts")).await?;
    println!(
        "province dashboard (queries, 4 charts and the map, HTML {} KB): median {:.0} ms, p99 {:.0} ms — {:.2}× the bare queries (goal < 300 ms and ≤ 1.5×)",
        html.len() / 1024,
        ms(page),
        ms(p99),
        page.as_secs_f64() / bare.as_secs_f64()
    );
    let ratio = page.as_secs_f64() / bare.as_secs_f64();
    let figure = format!("province dashboard over {n} records: {:.0} ms", ms(page));
    t.ratio(
        "dashboard",
        figure.clone(),
        format!("bare queries {:.0} ms", ms(bare)),
        ratio,
        (Goal::AtMost(1.5), "≤ 1.5×"),
    );
    t.add("dashboard", figure, None, None, (ms(page), Goal::AtMost(300.0), "< 300 ms"));
    let (docx, _, bytes) = time(3, || async {
        let r = crate::report::build(db, &Scope::province(), s.campaign, None, crate::clock::today()).await?;
        crate::report::export::render(&r, crate::report::export::Format::Docx)
    })
    .await?;
    println!("Word report of the province ({} KB): median {:.0} ms (goal < 2 s)", bytes.len() / 1024, ms(docx));
    t.add(
        "dashboard",
        format!("Word report of the province: {:.0} ms", ms(docx)),
        None,
        None,
        (ms(docx), Goal::AtMost(2000.0), "< 2 s"),
    );
    Ok(())
}
