//! Statistics per region, shared by the page, the API and the bench: hazards found, rectified,
//! open and overdue, and the median days to rectify, for a region and each of its subdivisions.
//! Down to township level they are read from the running counters; below it (a township's
//! communities) they are counted from the hazards, which are few there.

use std::collections::HashMap;

use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::store::{self, DaysCount, StateCount};
use super::{COUNTED_PATH_MAX, median_days};
use crate::db::Db;
use crate::org::path::child_path_len;
use crate::org::{self, Scope};
use crate::{Error, Result};

/// One region's figures.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct RegionStats {
    /// Region code.
    pub code: String,
    pub(crate) name: String,
    pub(crate) path: String,
    /// Found: reported, not rejected and not a duplicate.
    pub found: i64,
    /// Rectified (including closed after re-inspection).
    pub rectified: i64,
    /// Open: not closed, rejected or a duplicate.
    pub open: i64,
    /// Open and past their deadline.
    pub overdue: i64,
    /// Median whole days from report to rectification.
    pub median_days: Option<f64>,
}

/// The figures of a region and its subdivisions.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[schema(as = HazardStats)]
pub struct Stats {
    /// The region in focus.
    pub region: RegionStats,
    /// Its level (0 province … 3 township).
    pub level: i16,
    /// Its subdivisions.
    pub children: Vec<RegionStats>,
}

/// Builds the statistics of region `code` (the scope's root when `None`) at `now`.
pub async fn stats(db: &Db, scope: &Scope, code: Option<&str>, now: OffsetDateTime) -> Result<Stats> {
    let region = match code {
        Some(code) => {
            org::store::region(db, scope, code).await.map_err(|_| Error::invalid("region", "error.region_outside"))?
        }
        None => org::store::scope_root(db, scope).await?,
    };
    if region.level >= 4 {
        return Err(Error::invalid("region", "error.stats_township"));
    }
    let children = org::store::region_children(db, scope, &region.code).await?;
    let len = child_path_len(region.level);
    let (counts, days) = if usize::try_from(len).is_ok_and(|l| l <= COUNTED_PATH_MAX) {
        store::counters(db, &region.path, len).await?
    } else {
        store::counters_from_hazards(db, &region.path, len).await?
    };
    let overdue = store::overdue_counts(db, &region.path, len, now).await?;
    let mut by_path = fold(&counts, &days);
    let mut overdue: HashMap<String, i64> = overdue.into_iter().collect();
    let mut row = |r: &org::store::Region| {
        let mut s = by_path.remove(&r.path).unwrap_or_default();
        s.code.clone_from(&r.code);
        s.name.clone_from(&r.name);
        s.path.clone_from(&r.path);
        s.overdue = overdue.remove(&r.path).unwrap_or(0);
        s
    };
    let focus = row(&region);
    let children = children.iter().map(&mut row).collect();
    Ok(Stats { region: focus, level: region.level, children })
}

/// Sums counts by state and the days histogram into figures per region path.
pub fn fold(counts: &[StateCount], days: &[DaysCount]) -> HashMap<String, RegionStats> {
    let mut out: HashMap<String, RegionStats> = HashMap::new();
    for c in counts {
        let state = c.state;
        let s = out.entry(c.region_path.clone()).or_default();
        if state.is_found() {
            s.found += c.n;
        }
        if state.is_rectified() {
            s.rectified += c.n;
        }
        if !state.is_closed() {
            s.open += c.n;
        }
    }
    let mut histograms: HashMap<&str, Vec<(i64, i64)>> = HashMap::new();
    for d in days {
        histograms.entry(&d.region_path).or_default().push((d.days, d.n));
    }
    for (path, h) in histograms {
        out.entry(path.to_owned()).or_default().median_days = median_days(&h);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_fold_into_figures() {
        let c = |p: &str, s: &str, n| StateCount {
            region_path: p.into(),
            state: crate::hazard::State::parse(s).unwrap(),
            n,
        };
        let counts =
            [c("/22/", "reported", 3), c("/22/", "closed", 2), c("/22/", "rejected", 4), c("/22/", "rectified", 1)];
        let days = [DaysCount { region_path: "/22/".into(), days: 4, n: 3 }];
        let s = &fold(&counts, &days)["/22/"];
        assert_eq!((s.found, s.rectified, s.open), (6, 3, 4));
        assert_eq!(s.median_days, Some(4.0));
    }
}
