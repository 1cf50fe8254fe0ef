//! Campaigns and the duties they hand out, and the catalogue of figures they are measured by.
//!
//! A campaign (the provincial Fire Safety Publicity Month, say) has a theme, a period and an owner
//! unit; its plan is a set of duties, each assigned to a unit with a due date and target figures.
//! Progress is never typed in: it is summed from approved activity records (see `activity`).

pub mod actions;
pub mod api;
pub mod pages;
pub mod store;

use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use crate::org::caller::Principal;
use crate::org::{Permission, Role, Scope, UnitKind, text_enum};
use crate::{Error, Result};

text_enum! {
    /// Where a campaign stands.
    Status {
        /// Being planned: duties are written, nothing is reported yet.
        Planning = "planning",
        /// Under way: activities are reported against it.
        Running = "running",
        /// Over: figures are final.
        Closed = "closed",
    }
}

/// A checked campaign period: it starts on or before it ends and lasts at most a year.
pub fn check_period(starts_on: Date, ends_on: Date) -> Result<()> {
    if ends_on < starts_on {
        return Err(Error::invalid("ends_on", "error.end_before_start"));
    }
    if (ends_on - starts_on).whole_days() > 366 {
        return Err(Error::invalid("ends_on", "error.at_most_year"));
    }
    Ok(())
}

/// Who may plan campaigns and write duties: admins and fire-service staff of the owner unit.
pub fn can_plan(role: Role, unit_kind: UnitKind) -> bool {
    role.is_fire_staff() && matches!(unit_kind, UnitKind::Corps | UnitKind::Detachment | UnitKind::Brigade)
}

/// Refuses (403) a caller who may not plan ([`can_plan`]).
pub fn require_planner(me: &Principal) -> Result<()> {
    if can_plan(me.role, me.user.unit_kind) { Ok(()) } else { Err(Error::Forbidden) }
}

/// Who adds to the catalogue of metrics every campaign of the province is measured by: the
/// province's admins.
pub fn may_edit_catalogue(me: &Principal) -> bool {
    me.require(Permission::ManageUnits).is_ok() && me.scope == Scope::province()
}

/// A target value for a metric, given by its code and name: a whole number from 1 up to the
/// metric's per-record cap times a thousand (a duty sums many records).
pub fn check_target((code, name): (&str, &str), value: i64, max_per_record: i64) -> Result<()> {
    let cap = max_per_record.max(1_000).saturating_mul(1_000);
    if value < 1 || value > cap {
        return Err(Error::invalid(
            format!("target.{code}"),
            crate::i18n::keyed("error.target_range", &[name, &cap.to_string()]),
        ));
    }
    Ok(())
}

/// The same period one year later (29 February becomes 28 February).
pub fn next_year(d: Date) -> Date {
    let year = d.year() + 1;
    Date::from_calendar_date(year, d.month(), d.day())
        .or_else(|_| Date::from_calendar_date(year, d.month(), d.day() - 1))
        .unwrap_or(d)
}

impl store::Metric {
    /// Its name in `lang`: a built-in metric's from the locale files, another's as it was entered
    /// (Chinese, or its English name in English).
    pub fn name_in(&self, lang: &crate::i18n::Lang) -> &str {
        match *lang {
            _ if self.builtin => lang.t(&format!("metric_name.{}", self.code)),
            crate::i18n::Lang::En => &self.name_en,
            _ => &self.name,
        }
    }

    /// Where its figures come from, a `metric_source` value: typed into activity records
    /// (`figures`), or counted from a register or another area of firecast.
    pub fn source_kind(&self) -> &'static str {
        match self.source.as_str() {
            "figure" => "figures",
            "airings" => "airings",
            "push:products" => "pushes",
            "hazards:found" => "hazards_found",
            "hazards:rectified" => "hazards_rectified",
            "volunteer:hours" => "volunteer_hours",
            _ => "news",
        }
    }

    /// Its unit in `lang` (as entered for one that is not built in).
    pub fn unit_in(&self, lang: &crate::i18n::Lang) -> &str {
        if self.builtin { lang.t(&format!("metric_unit.{}", self.code)) } else { &self.unit }
    }

    /// Name and unit, as labels and tiles show them: 参与人数（人次）, participants (person-times).
    pub fn label_in(&self, lang: &crate::i18n::Lang) -> String {
        match *lang {
            crate::i18n::Lang::Zh => format!("{}（{}）", self.name_in(lang), self.unit_in(lang)),
            _ => format!("{} ({})", self.name_in(lang), self.unit_in(lang)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn periods_are_checked() {
        assert!(check_period(date!(2024 - 11 - 01), date!(2024 - 11 - 30)).is_ok());
        assert!(check_period(date!(2024 - 11 - 30), date!(2024 - 11 - 01)).is_err());
        assert!(check_period(date!(2024 - 01 - 01), date!(2025 - 06 - 01)).is_err());
    }

    #[test]
    fn a_template_moves_one_year() {
        assert_eq!(next_year(date!(2024 - 11 - 08)), date!(2025 - 11 - 08));
        assert_eq!(next_year(date!(2024 - 02 - 29)), date!(2025 - 02 - 28));
    }

    #[test]
    fn targets_are_bounded() {
        assert!(check_target(("handouts", "发放宣传资料"), 40_000, 2_000_000).is_ok());
        assert!(check_target(("handouts", "发放宣传资料"), 0, 2_000_000).is_err());
        assert!(check_target(("venue_openings", "场馆开放"), 10_000_000, 1_000).is_err());
    }

    #[test]
    fn planners_are_fire_service_staff() {
        assert!(can_plan(Role::ProvinceStaff, UnitKind::Corps));
        assert!(can_plan(Role::Admin, UnitKind::Detachment));
        assert!(!can_plan(Role::Leader, UnitKind::Corps));
        assert!(!can_plan(Role::DepartmentLiaison, UnitKind::Department));
    }
}
