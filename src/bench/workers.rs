//! `firecast bench workers`: webhook deliveries through NATS `JetStream` by 1, 2 and 3 `firecast
//! worker` processes on one stream, to a local sink, against what a plain load generator gets
//! through to the same sink; then three workers of which one is killed mid-batch: what was lost
//! (nothing, the goal) and what was sent twice (at most a batch on each of its two webhook loops).

use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

use super::push::{Sink, endpoints, one_push, plain_rate, seen, sink};
use super::{Goal, Size, Table};
use crate::db::Db;
use crate::personal::DataKey;
use crate::push::delivery::dispatch::BATCH;
use crate::push::delivery::queue::ACK_WAIT;
use crate::push::store;
use crate::push::week_start;

/// Partner endpoints each push goes to.
const ENDPOINTS: usize = 100;

/// A `firecast worker` on the database at `url`, through the stream at `nats`, posting as fast as
/// the sink takes.
fn worker(url: &str, nats: &str) -> anyhow::Result<Child> {
    Ok(Command::new(std::env::current_exe()?)
        .arg("worker")
        .env("FIRECAST_DATABASE_URL", url)
        .env("FIRECAST_NATS_URL", nats)
        .env("FIRECAST_WEBHOOKS_PER_SECOND", "1000000")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()?)
}

/// Fans out `pushes` new webhook pushes (to [`ENDPOINTS`] partners each); their ids, and the
/// deliveries made.
async fn pushes(db: &Db, pushes: usize) -> anyhow::Result<(Vec<i64>, usize)> {
    let now = crate::clock::now();
    let mut ids = Vec::with_capacity(pushes);
    let mut made = 0;
    for _ in 0..pushes {
        let due = one_push(db, "bench-workers", ",webhook,").await?;
        made += store::fan_out(db, &due, &[], now, now, week_start(now)).await?.map_or(0, |f| f.partners);
        ids.push(due.id);
    }
    Ok((ids, usize::try_from(made)?))
}

/// Waits until the sink has `want` more distinct events than `from`; the time from its first new
/// post to then, or an error after `limit`.
async fn until_delivered(sink: &Sink, from: (u64, usize), want: usize, limit: Duration) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut first = None;
    loop {
        let (posts, events) = seen(sink);
        if first.is_none() && posts > from.0 {
            first = Some(Instant::now());
        }
        if events >= from.1 + want {
            return Ok(first.map_or(Duration::ZERO, |f| f.elapsed()));
        }
        if started.elapsed() > limit {
            anyhow::bail!("the workers delivered {} of {want} in {} s", events - from.1, limit.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Waits until the workers have recorded all `n` deliveries of the pushes `ids` as delivered: a
/// worker stopped between its last post and its record would leave them to be sent again.
async fn until_recorded(db: &Db, ids: &[i64], n: usize) -> anyhow::Result<()> {
    let started = Instant::now();
    while store::delivered_and_resent(db, ids).await?.0 < i64::try_from(n)? {
        if started.elapsed() > Duration::from_mins(2) {
            anyhow::bail!("the workers posted every delivery but did not record them within 2 minutes");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// The workload; without a NATS server it says so and measures nothing.
pub async fn run(
    db: &Db,
    url: &str,
    nats: Option<&str>,
    key: &DataKey,
    t: &mut Table,
    size: Size,
) -> anyhow::Result<()> {
    let Some(nats) = nats else {
        println!("not run: give the NATS server with --nats-url (or FIRECAST_NATS_URL)");
        return Ok(());
    };
    async_nats::connect(nats).await.map_err(|e| anyhow::anyhow!("cannot connect to NATS at {nats}: {e}"))?;
    crate::demo::seed(db, key).await?;
    let (hook, sink) = sink().await?;
    let per_run = size.n(500);
    let plain = plain_rate(&hook, per_run * ENDPOINTS).await?;
    endpoints(db, &hook, ENDPOINTS).await?;
    // Endpoints of earlier runs post to sinks gone or elsewhere.
    store::deactivate_endpoints_except(db, &hook).await?;
    for workers in 1..=3 {
        let (ids, n) = pushes(db, per_run).await?;
        let from = seen(&sink);
        let children = (0..workers).map(|_| worker(url, nats)).collect::<anyhow::Result<Vec<_>>>()?;
        let took = until_delivered(&sink, from, n, Duration::from_mins(10)).await?;
        until_recorded(db, &ids, n).await?;
        drop(children);
        let rate = n as f64 / took.as_secs_f64();
        let posts = seen(&sink).0 - from.0;
        println!(
            "{workers} worker(s): {n} deliveries in {:.2} s from the first post, {rate:.0}/s ({posts} posts) — ratio to the plain load generator {:.2}",
            took.as_secs_f64(),
            rate / plain
        );
        let s = if workers == 1 { "" } else { "s" };
        t.ratio(
            "workers",
            format!("{workers} worker{s} through JetStream: {rate:.0} deliveries/s"),
            format!("plain load generator {plain:.0}/s"),
            rate / plain,
            (Goal::None, "measured"),
        );
    }
    killed(db, url, nats, &sink, per_run, t).await
}

/// Three workers, one killed hard once a third of the deliveries went out: the others (and the
/// stream, after its ack wait) finish; counts what was lost and what was sent twice.
async fn killed(db: &Db, url: &str, nats: &str, sink: &Sink, per_run: usize, t: &mut Table) -> anyhow::Result<()> {
    let (ids, n) = pushes(db, per_run).await?;
    let from = seen(sink);
    let mut children = (0..3).map(|_| worker(url, nats)).collect::<anyhow::Result<Vec<_>>>()?;
    until_delivered(sink, from, n / 3, Duration::from_mins(10)).await?;
    children[0].kill().await?;
    let at = seen(sink).1 - from.1;
    let started = Instant::now();
    let rest = until_delivered(sink, (seen(sink).0, from.1), n, ACK_WAIT + Duration::from_mins(10)).await;
    if rest.is_ok() {
        until_recorded(db, &ids, n).await?;
    }
    drop(children);
    rest?;
    let (posts, events) = seen(sink);
    let twice = (posts - from.0) as usize - (events - from.1);
    let (delivered, counted) = store::delivered_and_resent(db, &ids).await?;
    let lost = n.saturating_sub(usize::try_from(delivered)?);
    let bound = 2 * usize::try_from(BATCH)?;
    println!(
        "3 workers, one killed after {at} of {n}: the rest done {:.1} s later; {lost} lost, {twice} sent twice \
         (bound: a batch on each of its 2 loops, {bound}); {counted} counted on the pushes as possible resends",
        started.elapsed().as_secs_f64()
    );
    t.add(
        "workers",
        format!("one of 3 killed mid-batch: {delivered} of {n} delivered, {lost} lost"),
        None,
        None,
        (lost as f64, Goal::AtMost(0.0), "none lost"),
    );
    t.add(
        "workers",
        format!("one of 3 killed mid-batch: {twice} sent twice, {counted} counted"),
        Some(format!("bound {bound} (2 batches in flight)")),
        None,
        (twice as f64, Goal::AtMost(bound as f64), "≤ 2 batches"),
    );
    Ok(())
}
