//! `firecast bench startup`: `firecast demo` on a fresh `SQLite` file until it answers `/healthz`,
//! held against `firecast migrate` on a fresh file (the schema and the reference data alone); the
//! demo's peak memory (the higher of its loader process's and its server's) and its memory once
//! idle; and a restart on the file it made. Each runs as a process of its own, as a user starts
//! it; both starts are timed three times and the medians compared.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::process::{Child, Command};

use super::{Goal, Table};

/// A process's memory figure from `/proc/{pid}/status` in MB (Linux): `VmHWM` (peak) or `VmRSS`.
fn memory_mb(pid: u32, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// The highest peak memory among the running children of `pid` (the demo's loader), in MB.
fn children_peak_mb(pid: u32) -> Option<f64> {
    let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).ok()?;
    children.split_whitespace().filter_map(|c| memory_mb(c.parse().ok()?, "VmHWM:")).reduce(f64::max)
}

/// Starts `firecast demo` on `file` and waits until it answers; returns the process, the time, and
/// the peak memory of the process that loaded the data (sampled while it ran; `None` when the
/// file was loaded already).
async fn demo(dir: &Path, file: &str) -> anyhow::Result<(Child, Duration, Option<f64>)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let url = format!("sqlite://{}", dir.join(file).display());
    let key = dir.join(format!("{file}.key"));
    let started = Instant::now();
    let child = Command::new(std::env::current_exe()?)
        .current_dir(dir)
        .args(["demo", "--listen", &format!("127.0.0.1:{port}"), "--database-url", &url])
        .arg("--data-key-file")
        .arg(&key)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let client = reqwest::Client::new();
    let health = format!("http://127.0.0.1:{port}/healthz");
    let pid = child.id().context("the demo's process id")?;
    let mut loader: Option<f64> = None;
    while started.elapsed() < Duration::from_mins(2) {
        if client.get(&health).send().await.is_ok_and(|r| r.status().is_success()) {
            return Ok((child, started.elapsed(), loader));
        }
        if let Some(mb) = children_peak_mb(pid) {
            loader = Some(loader.map_or(mb, |m| m.max(mb)));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    anyhow::bail!("the demo did not answer within two minutes")
}

/// How many times each side is timed; the median counts (a single start on a busy machine can take
/// half as long again).
const RUNS: usize = 3;

/// The median of `times`.
fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

/// `firecast migrate` on a fresh file in `dir`.
async fn migrate(dir: &Path, file: &str) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let status = Command::new(std::env::current_exe()?)
        .args(["migrate", "--database-url", &format!("sqlite://{}", dir.join(file).display())])
        .stdout(std::process::Stdio::null())
        .status()
        .await?;
    anyhow::ensure!(status.success(), "firecast migrate failed");
    Ok(started.elapsed())
}

/// The workload.
pub async fn run(table: &mut Table) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("firecast-bench-startup-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut migrates = Vec::with_capacity(RUNS);
    for run in 0..RUNS {
        migrates.push(migrate(&dir, &format!("migrate-{run}.db")).await?);
    }
    let migrate = median(migrates);
    println!(
        "firecast migrate on a fresh file (schema and reference data): {:.2} s (median of {RUNS})",
        migrate.as_secs_f64()
    );

    // Each start on a fresh file; the last one stays up to be measured idle and restarted.
    let (mut fresh, mut loader_peak, mut server_peak) = (Vec::with_capacity(RUNS), None, None);
    let mut last = None;
    for run in 0..RUNS {
        let file = format!("demo-{run}.db");
        let (mut child, took, loader) = demo(&dir, &file).await?;
        let server = memory_mb(child.id().context("the demo's process id")?, "VmHWM:");
        fresh.push(took);
        loader_peak = loader_peak.into_iter().chain(loader).reduce(f64::max);
        server_peak = server_peak.into_iter().chain(server).reduce(f64::max);
        if run + 1 < RUNS {
            child.kill().await?;
        } else {
            last = Some((child, file));
        }
    }
    let fresh = median(fresh);
    // The demo's peak: its loader's or its server's, whichever is higher, in its worst run.
    let peak = loader_peak.into_iter().chain(server_peak).reduce(f64::max);
    let (mut child, file) = last.context("no demo run")?;
    let pid = child.id().context("the demo's process id")?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle = memory_mb(pid, "VmRSS:");
    child.kill().await?;
    let (mut again, restart, _) = demo(&dir, &file).await?;
    let restart_peak = again.id().and_then(|p| memory_mb(p, "VmHWM:"));
    again.kill().await?;
    std::fs::remove_dir_all(&dir).ok();

    let ratio = fresh.as_secs_f64() / migrate.as_secs_f64();
    println!(
        "firecast demo on a fresh file until it serves: {:.2} s (median of {RUNS}; {ratio:.1}× migrate; goal ≤ 8×), \
         peak {} MB (the loader's {} MB, the server's {} MB), idle {} MB; a restart {:.0} ms, peak {} MB",
        fresh.as_secs_f64(),
        peak.map_or_else(|| "?".into(), |m| format!("{m:.0}")),
        loader_peak.map_or_else(|| "?".into(), |m| format!("{m:.0}")),
        server_peak.map_or_else(|| "?".into(), |m| format!("{m:.0}")),
        idle.map_or_else(|| "?".into(), |m| format!("{m:.0}")),
        restart.as_secs_f64() * 1000.0,
        restart_peak.map_or_else(|| "?".into(), |m| format!("{m:.0}")),
    );
    let figure = format!("demo on a fresh file to serving: {:.2} s (median of {RUNS})", fresh.as_secs_f64());
    let yardstick = format!("migrate on a fresh file {:.2} s (median of {RUNS})", migrate.as_secs_f64());
    table.ratio("startup", figure, yardstick, ratio, (Goal::AtMost(8.0), "≤ 8×"));
    if let Some(p) = peak {
        table.add(
            "startup",
            format!("demo's peak memory (its loader or its server): {p:.0} MB"),
            None,
            None,
            (p, Goal::AtMost(150.0), "< 150 MB"),
        );
    }
    if let Some(m) = idle {
        table.add(
            "startup",
            format!("demo's memory once idle: {m:.0} MB"),
            None,
            None,
            (m, Goal::AtMost(60.0), "< 60 MB"),
        );
    }
    let ms = restart.as_secs_f64() * 1000.0;
    table.add("startup", format!("restart on its file: {ms:.0} ms"), None, None, (ms, Goal::None, "—"));
    Ok(())
}
