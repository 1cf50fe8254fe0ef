//! `firecast bench`: performance workloads that print their figures beside the machine's own limit
//! measured in the same run.

use std::time::{Duration, Instant};

use clap::ValueEnum;

use crate::db::Db;
use crate::org::{Scope, store};

/// A workload.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Workload {
    /// Region subtree queries over all 11,860 communities.
    Regions,
}

/// Runs a workload against the database at `url` (its reference data is loaded when missing).
pub async fn run(workload: Workload, url: &str) -> anyhow::Result<()> {
    let started = Instant::now();
    let db = Db::open(url).await?;
    crate::org::reference::load(&db).await?;
    println!(
        "database ready in {} ms ({url})",
        started.elapsed().as_millis()
    );
    match workload {
        Workload::Regions => regions(&db).await,
    }
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
    Ok((
        times[runs / 2],
        times[(runs * 99 / 100).min(runs - 1)],
        last,
    ))
}

async fn regions(db: &Db) -> anyhow::Result<()> {
    let province = Scope::province();
    let (p50, p99, rows) = time(200, || store::communities(db, &province)).await?;
    println!(
        "communities in the province subtree: {} rows, median {:.2} ms, p99 {:.2} ms",
        rows.len(),
        ms(p50),
        ms(p99)
    );
    let changchun = Scope::under("/22/2201/");
    let (p50, p99, rows) = time(200, || store::communities(db, &changchun)).await?;
    println!(
        "communities under Changchun:        {} rows, median {:.2} ms, p99 {:.2} ms",
        rows.len(),
        ms(p50),
        ms(p99)
    );
    let (p50, _, ()) = time(200, || async {
        db.ping().await.map_err(crate::Error::from)
    })
    .await?;
    println!(
        "bare round trip (select 1):         median {:.3} ms",
        ms(p50)
    );
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
