//! The campaign overview, shared by the page and the API: the totals of every metric for a region
//! and each of its subdivisions, and the progress of every duty against its targets.

use std::collections::HashMap;

use serde::Serialize;
use time::Date;
use utoipa::ToSchema;

use crate::activity;
use crate::campaign::store::{self, Campaign, Duty, Metric, Target};
use crate::db::Db;
use crate::org::path::child_path_len;
use crate::org::{self, Scope};
use crate::{Error, Result};

/// A duty with its targets and how far along it is.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DutyProgress {
    /// The duty.
    pub duty: Duty,
    /// Its targets with progress.
    pub targets: Vec<Target>,
    /// The least-advanced target, in percent (100 when there are no targets).
    pub percent: i64,
    /// Past its due date with a target not reached.
    pub overdue: bool,
}

impl DutyProgress {
    /// Combines a duty with its targets as of `today`.
    pub fn new(duty: Duty, targets: Vec<Target>, today: Date) -> Self {
        let percent =
            targets.iter().map(|t| (t.progress.saturating_mul(100) / t.target.max(1)).min(100)).min().unwrap_or(100);
        let overdue = duty.due_on < today && percent < 100;
        Self { duty, targets, percent, overdue }
    }
}

/// A region's row in the overview.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RegionRow {
    /// Region code.
    pub code: String,
    pub(crate) name: String,
    pub(crate) path: String,
    /// Value of each metric (by code); metrics without records are absent.
    pub values: HashMap<String, i64>,
}

impl RegionRow {
    /// The value of a metric (0 when absent).
    pub fn value(&self, code: &str) -> i64 {
        self.values.get(code).copied().unwrap_or(0)
    }
}

/// The overview of a campaign for one region.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Overview {
    /// The campaign.
    pub campaign: Campaign,
    /// The region in focus, with its totals.
    pub region: RegionRow,
    /// Its level.
    pub level: i16,
    /// Its subdivisions, with theirs.
    pub children: Vec<RegionRow>,
    /// The catalogue.
    pub metrics: Vec<Metric>,
    /// The duties assigned inside the region.
    pub duties: Vec<DutyProgress>,
}

impl Overview {
    /// The metrics that have a value anywhere in the overview, in catalogue order.
    pub fn shown_metrics(&self) -> Vec<&Metric> {
        self.metrics.iter().filter(|m| self.region.value(&m.code) > 0).collect()
    }

    /// The duties past their due date with a target not reached.
    pub fn overdue(&self) -> Vec<&DutyProgress> {
        self.duties.iter().filter(|d| d.overdue).collect()
    }
}

/// Builds the overview of campaign `id` for the region `code` (the scope's root when `None`).
pub async fn overview(db: &Db, scope: &Scope, id: i64, code: Option<&str>, today: Date) -> Result<Overview> {
    let campaign = store::campaign(db, scope, id).await?;
    let region = match code {
        Some(code) => {
            org::store::region(db, scope, code).await.map_err(|_| Error::invalid("region", "error.region_outside"))?
        }
        None => org::store::scope_root(db, scope).await?,
    };
    let children = org::store::region_children(db, scope, &region.code).await?;
    let len = child_path_len(region.level);
    let mut values: HashMap<String, HashMap<String, i64>> = HashMap::new();
    let totals = activity::store::totals(db, id, &region.path, len).await?;
    let registers = activity::store::register_totals(db, id, &region.path, len).await?;
    let hours =
        crate::volunteer::store::hours_totals(db, campaign.starts_on, campaign.ends_on, &region.path, len).await?;
    let (from, to) = (
        campaign.starts_on.midnight().assume_offset(crate::clock::CST),
        campaign.ends_on.next_day().unwrap_or(campaign.ends_on).midnight().assume_offset(crate::clock::CST),
    );
    let hazards = crate::hazard::store::register_totals(db, &region.path, len, from, to).await?;
    let pushed = crate::push::store::register_totals(db, &region.path, len, from, to).await?;
    for t in totals.into_iter().chain(registers).chain(hours).chain(hazards).chain(pushed) {
        *values.entry(t.region_path).or_default().entry(t.metric_code).or_default() += t.value;
    }
    let mut row = |r: &org::store::Region| RegionRow {
        code: r.code.clone(),
        name: r.name.clone(),
        path: r.path.clone(),
        values: values.remove(&r.path).unwrap_or_default(),
    };
    let focus = row(&region);
    let children = children.iter().map(&mut row).collect();
    let inner = Scope::under(&region.path);
    let duties = store::duties(db, &inner, id).await?;
    let targets = store::targets(db, &inner, id).await?;
    let duties = duties
        .into_iter()
        .map(|d| {
            let mine: Vec<Target> = targets.iter().filter(|t| t.duty_id == d.id).cloned().collect();
            DutyProgress::new(d, mine, today)
        })
        .collect();
    Ok(Overview { campaign, level: region.level, region: focus, children, metrics: store::metrics(db).await?, duties })
}

/// The duties of a unit (in campaigns not closed) with their progress as of `today`.
pub async fn unit_duties(db: &Db, unit_id: i64, today: Date) -> Result<Vec<DutyProgress>> {
    let duties = store::unit_duties(db, unit_id).await?;
    let targets = store::unit_targets(db, unit_id).await?;
    Ok(duties
        .into_iter()
        .map(|d| {
            let mine = targets.iter().filter(|t| t.duty_id == d.id).cloned().collect();
            DutyProgress::new(d, mine, today)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn duty(due_on: Date) -> Duty {
        Duty {
            id: 1,
            campaign_id: 1,
            unit_id: 1,
            unit_name: String::new(),
            unit_kind: crate::org::UnitKind::Detachment,
            unit_path: String::new(),
            title: String::new(),
            description: String::new(),
            due_on,
        }
    }

    fn target(target: i64, progress: i64) -> Target {
        Target { duty_id: 1, metric_code: "handouts".into(), target, progress }
    }

    #[test]
    fn progress_is_the_least_advanced_target() {
        let d = DutyProgress::new(
            duty(date!(2024 - 11 - 30)),
            vec![target(100, 50), target(10, 10)],
            date!(2024 - 11 - 15),
        );
        assert_eq!(d.percent, 50);
        assert!(!d.overdue);
        let late = DutyProgress::new(duty(date!(2024 - 11 - 10)), vec![target(100, 99)], date!(2024 - 11 - 15));
        assert!(late.overdue);
        let done = DutyProgress::new(duty(date!(2024 - 11 - 10)), vec![target(100, 250)], date!(2024 - 11 - 15));
        assert_eq!(done.percent, 100);
        assert!(!done.overdue);
    }
}
