//! `firecast bench quiz`: answer submissions through the whole stack over HTTP on loopback (many
//! concurrent keep-alive connections; CSRF, parsing, the attempt's checks, scoring, the write),
//! beside the same server's `/healthz` under the same load; then the leaderboard's top 100 and a
//! participant's rank among 1,000,000 finished attempts.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow};
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;

use super::{Goal, Size, Table, ms, time};
use crate::app;
use crate::config::Config;
use crate::db::Db;
use crate::personal::DataKey;
use crate::quiz::actions::{self, JoinInput};
use crate::quiz::store::{self, NewQuiz};
use crate::quiz::writer::Writers;
use crate::quiz::{Answer, Blueprint, Kind, Scoring};
use crate::web::AppState;

const CONNECTIONS: usize = 64;
const ATTEMPTS: usize = 5_000;
const QUESTIONS: u32 = 10;
const BOARD: i64 = 1_000_000;
/// The double-submit CSRF token the load generator sends as cookie and header.
const CSRF: &str = "bench-csrf-token-0123456789abcdefghijklmnop";

/// One keep-alive HTTP/1.1 connection that sends a request and reads the whole response.
struct Conn {
    stream: BufReader<TcpStream>,
    host: String,
}

impl Conn {
    async fn open(addr: std::net::SocketAddr) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self { stream: BufReader::new(stream), host: addr.to_string() })
    }

    async fn request(&mut self, method: &str, path: &str, body: &str) -> anyhow::Result<u16> {
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nCookie: fc_csrf={CSRF}\r\nX-CSRF-Token: {CSRF}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.host,
            body.len()
        );
        self.stream.get_mut().write_all(head.as_bytes()).await?;
        let mut line = String::new();
        self.stream.read_line(&mut line).await?;
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| anyhow!("bad status line {line:?}"))?;
        let mut length = 0usize;
        loop {
            line.clear();
            self.stream.read_line(&mut line).await?;
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        self.stream.read_exact(&mut body).await?;
        Ok(status)
    }
}

/// Runs `jobs` (method, path, body) over `CONNECTIONS` connections; returns the wall time and
/// every request's latency. Any status but 200 is an error.
async fn load(
    addr: std::net::SocketAddr,
    jobs: Vec<Vec<(String, String)>>,
    method: &'static str,
) -> anyhow::Result<(Duration, Vec<Duration>)> {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for batch in jobs {
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(addr).await?;
            let mut latencies = Vec::with_capacity(batch.len());
            for (path, body) in batch {
                let t = Instant::now();
                let status = conn.request(method, &path, &body).await?;
                if status != 200 {
                    return Err(anyhow!("{method} {path}: status {status}"));
                }
                latencies.push(t.elapsed());
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    let wall = started.elapsed();
    all.sort();
    Ok((wall, all))
}

fn report(what: &str, n: usize, wall: Duration, latencies: &[Duration]) -> f64 {
    let rate = n as f64 / wall.as_secs_f64();
    let p = |q: usize| {
        latencies.get((latencies.len() * q / 100).min(latencies.len().saturating_sub(1))).copied().unwrap_or_default()
    };
    println!(
        "{what}: {n} requests over {CONNECTIONS} connections in {:.2} s = {rate:.0}/s, p50 {:.2} ms, p99 {:.2} ms",
        wall.as_secs_f64(),
        ms(p(50)),
        ms(p(99))
    );
    rate
}

/// Runs `step` on every item, `CONNECTIONS` at a time, with a progress bar; returns the outcomes
/// in the items' order and the wall time.
async fn concurrently<I, T, F, Fut>(items: &[I], what: &'static str, step: F) -> anyhow::Result<(Vec<T>, Duration)>
where
    I: Clone + Send + 'static,
    T: Send + 'static,
    F: Fn(I) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>> + Send + 'static,
{
    let bar = indicatif::ProgressBar::new(items.len() as u64);
    bar.set_message(what);
    let started = Instant::now();
    let mut running = tokio::task::JoinSet::new();
    let mut out: Vec<Option<T>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    for (n, item) in items.iter().enumerate() {
        if running.len() >= CONNECTIONS
            && let Some(done) = running.join_next().await
        {
            let (i, t) = done??;
            out[i] = Some(t);
            bar.inc(1);
        }
        let fut = step(item.clone());
        running.spawn(async move { anyhow::Ok((n, fut.await?)) });
    }
    while let Some(done) = running.join_next().await {
        let (i, t) = done??;
        out[i] = Some(t);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let took = started.elapsed();
    Ok((out.into_iter().flatten().collect(), took))
}

/// The workload.
pub async fn run(db: &Db, url: &str, key: &DataKey, table: &mut Table, size: Size) -> anyhow::Result<()> {
    crate::demo::seed(db, key).await?;
    // Every size runs the full 5,000 players (a few seconds): a tenth of them is over before the
    // 64 connections are all busy, and its rate says more about the start than the steady flow.
    let attempts_n = ATTEMPTS;
    let board_n = i64::try_from(size.n(usize::try_from(BOARD)?))?;

    let corps = crate::org::store::unit_by_name_or_id(db, crate::org::reference::CORPS).await?;
    let by = crate::org::store::user_by_username(db, "province").await?.context("the demo account province")?;
    let now = crate::clock::now();
    let id = store::insert_quiz(
        db,
        &NewQuiz {
            title: format!("bench {}", crate::clock::show(now)),
            description: String::new(),
            campaign_id: None,
            opens_at: now - time::Duration::hours(1),
            closes_at: now + time::Duration::days(1),
            blueprint: Blueprint::parse(&format!("* * {QUESTIONS}"))?,
            time_limit_seconds: 7200,
            attempts_per_day: 50,
            audience_path: "/22/".into(),
            scoring: Scoring::Accuracy,
            prize_min_score: 0,
            owner: (corps.id, corps.region_path.clone()),
            created_by: by.id,
            phone_required: false,
        },
        &crate::org::new_secret()[..16],
    )
    .await?;
    let quiz = store::quiz_by_id(db, id).await?;

    // Players join and then start at once, as when a quiz opens: CONNECTIONS at a time, each from
    // its own address. The two steps are timed apart, so the run says which one bounds the rate.
    let players: Vec<(usize, String)> = (0..attempts_n).map(|i| (i, format!("10.{}.{}.1", i / 250, i % 250))).collect();
    let writers = Writers::start(db);
    let (joined, took_join) = concurrently(&players, "joining", |(i, address)| {
        let (key, writers) = (key.clone(), writers.clone());
        async move {
            let input =
                JoinInput { nickname: format!("压测{i}"), region_code: "220102".into(), school: String::new() };
            let device = format!("bench-device-{id}-{i:07}");
            let p = actions::join(&writers, &key, &device, &device, &input, &address).await?;
            anyhow::Ok((p, address))
        }
    })
    .await?;
    let (attempts, took_start) = concurrently(&joined, "starting attempts", |(p, address)| {
        let (key, quiz, writers) = (key.clone(), quiz.clone(), writers.clone());
        async move { anyhow::Ok(actions::start(&writers, &key, &quiz, &p, &address).await?) }
    })
    .await?;
    let per = |took: Duration| took.as_secs_f64() * 1e6 / attempts_n as f64;
    let join_rate = attempts_n as f64 / (took_join + took_start).as_secs_f64();
    println!(
        "{attempts_n} participants joined ({:.0} µs each) and started an attempt ({:.0} µs each), \
         {CONNECTIONS} at a time: {join_rate:.0}/s",
        per(took_join),
        per(took_start)
    );
    table.add(
        "quiz",
        format!("joins and starts: {join_rate:.0}/s"),
        None,
        None,
        (join_rate, Goal::AtLeast(2_000.0), "≥ 2,000/s"),
    );

    // Every answer of every attempt, in question order per attempt: the first half handed to the
    // answer writer directly (judging and storing alone), the second over HTTP (the whole stack).
    let mut direct = Vec::new();
    let mut jobs: Vec<Vec<(String, String)>> = vec![Vec::new(); CONNECTIONS];
    for (n, token) in attempts.iter().enumerate() {
        let a = store::attempt_by_token(db, token).await?;
        for d in store::drawn(db, a.id, None).await? {
            let answer = match d.q.question()?.kind {
                Kind::Single | Kind::Multiple => Answer::Choice(vec![0]),
                Kind::TrueFalse => Answer::Truth(true),
                Kind::Fill | Kind::Numerical => Answer::Text(vec!["119".into()]),
                Kind::Matching => Answer::Text(vec!["119".into(); d.order().len()]),
                Kind::Essay | Kind::Description => Answer::Open,
            };
            if n % 2 == 0 {
                direct.push((token.clone(), d.position, answer));
            } else {
                let body = serde_json::to_string(&serde_json::json!({ "answer": answer }))?;
                jobs[n % CONNECTIONS].push((format!("/api/v1/public/attempts/{token}/questions/{}", d.position), body));
            }
        }
    }
    let answers: usize = jobs.iter().map(Vec::len).sum();

    let state = AppState::new(db.clone(), Config::with_database(url), key.clone());
    let (written, took_direct) = concurrently(&direct, "answering", |(token, position, answer)| {
        let writers = writers.clone();
        async move { anyhow::Ok(actions::answer(&writers, &token, position, &answer).await?) }
    })
    .await?;
    if written.iter().any(|stored| !stored) {
        return Err(anyhow!("an answer handed to the writer was not stored"));
    }
    let direct_rate = direct.len() as f64 / took_direct.as_secs_f64();

    let listener = app::bind("127.0.0.1:0".parse()?).await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(app::serve(listener, state, std::future::pending()));
    let per = answers / CONNECTIONS;
    let health: Vec<Vec<(String, String)>> =
        (0..CONNECTIONS).map(|_| vec![("/healthz".to_owned(), String::new()); per]).collect();
    let (wall, lat) = load(addr, health, "GET").await?;
    let health_rate = report("GET /healthz", per * CONNECTIONS, wall, &lat);
    let (wall, lat) = load(addr, jobs, "POST").await?;
    let answer_rate = report("POST answer", answers, wall, &lat);
    let micros = |rate: f64| 1e6 / rate;
    println!(
        "where an answer's time goes (µs of the whole machine per answer): HTTP and the server's layers \
         {:.0} (GET /healthz), judging and storing {:.0} (the writer alone, {direct_rate:.0}/s), \
         the answer's own parsing and checks {:.0}; in all {:.0}",
        micros(health_rate),
        micros(direct_rate),
        (micros(answer_rate) - micros(health_rate) - micros(direct_rate)).max(0.0),
        micros(answer_rate)
    );
    let figure = format!("answers over HTTP: {answer_rate:.0}/s");
    let yardstick = format!("GET /healthz {health_rate:.0}/s");
    table.ratio("quiz", figure.clone(), yardstick, answer_rate / health_rate, (Goal::AtLeast(0.5), "≥ 0.5×"));
    // The rate's goal is set for SQLite on two cores; PostgreSQL's is reported beside its ratio.
    let goal =
        if matches!(db, Db::Sqlite(..)) { (Goal::AtLeast(10_000.0), "≥ 10,000/s") } else { (Goal::None, "measured") };
    table.add("quiz", figure, None, None, (answer_rate, goal.0, goal.1));
    let p99 = ms(lat.get(lat.len() * 99 / 100).copied().unwrap_or_default());
    table.add("quiz", format!("answers over HTTP: p99 {p99:.1} ms"), None, None, (p99, Goal::AtMost(50.0), "< 50 ms"));
    let stored = store::answered(db, id).await?;
    if stored != i64::try_from(answers + direct.len())? {
        return Err(anyhow!("{stored} answers stored, {} sent", answers + direct.len()));
    }
    server.abort();

    let t = Instant::now();
    store::fill_board(db, id, board_n, ("220102", "/22/2201/220102/")).await?;
    println!("leaderboard of {board_n} finished attempts built in {:.1} s", t.elapsed().as_secs_f64());
    let (p50, p99, top) = time(200, || store::board(db, id, None, None, true, 100)).await?;
    println!(
        "top 100 of {board_n}: median {:.2} ms, p99 {:.2} ms ({} lines; goal < 10 ms)",
        ms(p50),
        ms(p99),
        top.len()
    );
    table.add(
        "quiz",
        format!("top 100 of {board_n}: {:.2} ms", ms(p50)),
        None,
        None,
        (ms(p50), Goal::AtMost(10.0), "< 10 ms"),
    );
    let (low, high) = store::participant_range(db, id).await?;
    let mut rng = StdRng::seed_from_u64(119);
    let picks: Vec<i64> = (0..200).map(|_| rng.random_range(low..=high)).collect();
    let next = Arc::new(AtomicUsize::new(0));
    let (p50, p99, rank) = time(200, || {
        let p = picks[next.fetch_add(1, Ordering::Relaxed) % picks.len()];
        async move { store::rank(db, id, p).await }
    })
    .await?;
    println!(
        "my rank among {board_n} (random participants): median {:.2} ms, p99 {:.2} ms (last: {:?}; goal < 10 ms)",
        ms(p50),
        ms(p99),
        rank.map(|r| r.0)
    );
    table.add(
        "quiz",
        format!("my rank among {board_n}: {:.2} ms", ms(p50)),
        None,
        None,
        (ms(p50), Goal::AtMost(10.0), "< 10 ms"),
    );
    Ok(())
}
