//! `firecast bench hazards`: 1,000,000 hazard reports over every community of the province in
//! every state, stored in one transaction with the counters built in the same pass; then the
//! province list page's queries, a filtered list, the statistics page per region, and beside them
//! the bare SQL aggregate over the hazards that the counters replace.
#![allow(clippy::cast_precision_loss)] // rates for people to read

use std::collections::HashMap;
use std::time::Instant;

use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use time::Duration;

use super::{Goal, Size, Table, ms, time};
use crate::db::Db;
use crate::hazard::store::{self, Filter, NewHazard};
use crate::hazard::{ReporterKind, State};
use crate::org::{Scope, store as org};
use crate::personal::DataKey;

/// Hazards the bench stores.
pub const N: usize = 1_000_000;
const BATCH: usize = 50_000;
const RUNS: usize = 50;

fn pick_state(rng: &mut StdRng) -> State {
    match rng.random_range(0..100) {
        0..4 => State::Reported,
        4..8 => State::Verified,
        8..14 => State::Assigned,
        14..16 => State::Referred,
        16..22 => State::Rectifying,
        22..26 => State::Rectified,
        26..80 => State::Closed,
        80..88 => State::Rejected,
        88..94 => State::Duplicate,
        _ => State::ClosedNotFixed,
    }
}

const CATEGORIES: [&str; 10] =
    ["fire_lane", "exit", "ebike", "extinguisher", "wiring", "gas", "three_in_one", "flammable", "facilities", "other"];

/// Runs the workload.
pub async fn run(db: &Db, key: &DataKey, table: &mut Table, size: Size) -> anyhow::Result<()> {
    crate::demo::seed(db, key).await?;
    let raw_rate = super::yardstick(db, size).await?;
    let n_all = size.n(N);

    let all = Scope::province();
    let communities: Vec<(String, String)> =
        org::regions_in(db, &all, 4).await?.into_iter().filter(|(code, _)| code.len() == 12).collect();
    let fire = store::fire_units(db).await?;
    let mut responsible: HashMap<String, (i64, String)> = HashMap::new();
    for (_, path) in &communities {
        if let std::collections::hash_map::Entry::Vacant(slot) = responsible.entry(path[..16].to_owned()) {
            let unit = fire
                .iter()
                .filter(|(_, _, p)| path.starts_with(p.as_str()))
                .max_by_key(|(_, _, p)| p.len())
                .map(|(id, _, p)| (*id, p.clone()))
                .ok_or_else(|| anyhow::anyhow!("no fire-service unit above {path}"))?;
            slot.insert(unit);
        }
    }
    let now = crate::clock::now();
    let mut rng = StdRng::seed_from_u64(1_000_000);
    let mut made = 0;
    let mut next = || {
        if made >= n_all {
            return None;
        }
        let n = BATCH.min(n_all - made);
        made += n;
        Some(
            (0..n)
                .map(|_| {
                    let (code, path) = &communities[rng.random_range(0..communities.len())];
                    let state = pick_state(&mut rng);
                    let created = now - Duration::minutes(rng.random_range(60..365 * 24 * 60));
                    let verify_due_at = created + Duration::hours(72);
                    let rectified = state.is_rectified().then(|| created + Duration::hours(rng.random_range(24..900)));
                    let closed = state
                        .is_closed()
                        .then(|| rectified.unwrap_or(created) + Duration::hours(rng.random_range(2..200)));
                    // Open reports are mostly within their deadline; about one in ten is late.
                    let due = (!state.is_closed()).then(|| now + Duration::hours(rng.random_range(-40..400)));
                    NewHazard {
                        tracking_code: crate::code::new(),
                        category: CATEGORIES[rng.random_range(0..CATEGORIES.len())].to_owned(),
                        region: (code.clone(), path.clone()),
                        address: "某小区1号楼".to_owned(),
                        coordinates: None,
                        description: "电动自行车楼道充电".to_owned(),
                        state,
                        reporter_kind: ReporterKind::ALL[rng.random_range(0..4)],
                        reporter_user_id: None,
                        reporter_name: "群众".to_owned(),
                        phone: None,
                        ip_hash: None,
                        responsible: responsible[&path[..16]].clone(),
                        assigned_unit_id: None,
                        referred_unit_id: None,
                        duplicate_of: None,
                        verify_due_at,
                        answer_due_at: created + Duration::days(7),
                        rectify_due_on: None,
                        due_at: due,
                        escalation_level: 0,
                        created_at: created,
                        verified_at: (state != State::Reported).then_some(created + Duration::hours(5)),
                        answered_at: (state != State::Reported).then_some(created + Duration::hours(5)),
                        rectified_at: rectified,
                        closed_at: closed,
                        events: Vec::new(),
                    }
                })
                .collect(),
        )
    };
    let t = Instant::now();
    store::insert_stream(db, &mut next, &mut |_| {}).await?;
    let stored = t.elapsed();
    let rate = n_all as f64 / stored.as_secs_f64();
    println!(
        "stored {n_all} hazards in one transaction with the counters built in the same pass: {:.1} s ({rate:.0} rows/s, {:.2}× the yardstick's rate)",
        stored.as_secs_f64(),
        rate / raw_rate
    );
    table.add(
        "hazards",
        format!("{n_all} reports stored with their counters: {rate:.0} rows/s"),
        Some(format!("raw insert {raw_rate:.0} rows/s")),
        Some(rate / raw_rate),
        (rate, Goal::AtLeast(50_000.0), "≥ 50,000 rows/s"),
    );
    // What bounds it: the database writing rows of this width into this many indexes.
    let copy = db.copy_rate("hazard", i64::try_from(n_all)?).await?;
    println!(
        "the database's own copy of those rows into an empty table with the hazard table's indexes and foreign keys: {copy:.0} rows/s — firecast stores at {:.2}× of it",
        rate / copy
    );
    table.ratio(
        "hazards",
        format!("{n_all} reports stored with their counters: {rate:.0} rows/s"),
        format!("bare copy into the same table {copy:.0} rows/s"),
        rate / copy,
        (Goal::AtLeast(0.5), "≥ 0.5× the bare copy"),
    );
    let t = Instant::now();
    store::analyze(db).await?;
    println!("planner statistics refreshed in {:.1} s", t.elapsed().as_secs_f64());

    let total = store::count(db, &all, &Filter::default(), now, 10_000).await?;
    println!("hazards in the province (from the counters): {total}");
    let province = Filter::default();
    let (p50, p99, rows) = time(RUNS, || async {
        let items = store::list(db, &all, &province, None, 51, now).await?;
        let n = store::count(db, &all, &province, now, 2_000).await?;
        Ok((items.len(), n))
    })
    .await?;
    println!(
        "province list page (50 newest and the total): {} rows of {}, median {:.2} ms, p99 {:.2} ms",
        rows.0.min(50),
        rows.1,
        ms(p50),
        ms(p99)
    );
    table.add("hazards", format!("province list page: {:.2} ms", ms(p50)), None, None, (ms(p50), Goal::None, "—"));
    let filtered = Filter {
        state: Some(State::Assigned),
        category: Some("ebike".into()),
        under: Some("/22/2201/".into()),
        ..Filter::default()
    };
    let (p50, p99, rows) = time(RUNS, || async {
        let items = store::list(db, &all, &filtered, None, 51, now).await?;
        let n = store::count(db, &all, &filtered, now, 2_000).await?;
        Ok((items.len(), n))
    })
    .await?;
    println!(
        "filtered list (assigned e-bike hazards in Changchun): {} rows of {}, median {:.2} ms, p99 {:.2} ms",
        rows.0.min(50),
        rows.1,
        ms(p50),
        ms(p99)
    );
    let overdue = Filter { overdue: true, ..Filter::default() };
    let (p50, p99, rows) = time(RUNS, || async {
        let items = store::list(db, &all, &overdue, None, 51, now).await?;
        let n = store::count(db, &all, &overdue, now, 2_000).await?;
        Ok((items.len(), n))
    })
    .await?;
    println!(
        "overdue list of the province: {} rows of {}{}, median {:.2} ms, p99 {:.2} ms",
        rows.0.min(50),
        rows.1,
        if rows.1 >= 2_000 { "+" } else { "" },
        ms(p50),
        ms(p99)
    );
    let (p50, p99, html) = time(RUNS, || crate::hazard::pages::stats_html(db, &all, None)).await?;
    println!(
        "statistics page of the province (counters, overdue per region, chart and HTML, {} KB): median {:.2} ms, p99 {:.2} ms",
        html.len() / 1024,
        ms(p50),
        ms(p99)
    );
    let stats_p50 = p50;
    let (p50, p99, _) = time(RUNS, || crate::hazard::pages::stats_html(db, &all, Some("220100"))).await?;
    println!("statistics page of Changchun (its counties): median {:.2} ms, p99 {:.2} ms", ms(p50), ms(p99));
    let (p50, p99, _) = time(RUNS, || crate::hazard::pages::stats_html(db, &all, Some("220102001"))).await?;
    println!(
        "statistics page of a township (its communities, counted from the hazards): median {:.2} ms, p99 {:.2} ms",
        ms(p50),
        ms(p99)
    );
    let (bare, bare99, rows) = time(5, || store::counters_from_hazards(db, "/22/", 9)).await?;
    println!(
        "bare SQL aggregate over the hazards (counts by region and state, rectification days; what the counters replace): {} rows, median {:.0} ms, p99 {:.0} ms — the statistics page takes {:.3}× of it",
        rows.0.len() + rows.1.len(),
        ms(bare),
        ms(bare99),
        stats_p50.as_secs_f64() / bare.as_secs_f64()
    );
    let ratio = stats_p50.as_secs_f64() / bare.as_secs_f64();
    table.ratio(
        "hazards",
        format!("province statistics page: {:.2} ms", ms(stats_p50)),
        format!("bare aggregate {:.0} ms", ms(bare)),
        ratio,
        (Goal::AtMost(1.5), "≤ 1.5×"),
    );
    let (bare, _, n) = time(5, || async {
        store::count(db, &all, &Filter { category: Some("ebike".into()), ..Filter::default() }, now, i64::MAX).await
    })
    .await?;
    println!("bare count(*) of one category over the province ({n} rows): median {:.0} ms", ms(bare));
    Ok(())
}
