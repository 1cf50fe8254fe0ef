//! Hazard reports: fire hazards found on home checks, by grid workers or by residents through a
//! public page, followed through verification, assignment or referral, rectification and
//! re-inspection. The types and rules: states and the transitions between them, who may press
//! which, the deadlines (verification, the answer to the reporter, rectification), escalation to
//! the level above, and the checks of a report's place.

pub mod actions;
pub mod api;
pub mod pages;
pub mod queries;
pub mod stats;
pub mod store;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime, Weekday};
use utoipa::ToSchema;

use crate::org::{Role, text_enum};
use crate::{Error, Result, clock};

text_enum! {
    /// Where a hazard report stands.
    #[schema(as = HazardState)]
    State {
        /// Just reported, waiting for the fire service to verify it.
        Reported = "reported",
        /// Confirmed as a real hazard.
        Verified = "verified",
        /// Not a hazard (with a reason).
        Rejected = "rejected",
        /// Already reported (with a reason and the original).
        Duplicate = "duplicate",
        /// Handed to a unit to have it fixed.
        Assigned = "assigned",
        /// Handed to a line department.
        Referred = "referred",
        /// Being fixed.
        Rectifying = "rectifying",
        /// Reported fixed, waiting for re-inspection.
        Rectified = "rectified",
        /// Re-inspected and closed.
        Closed = "closed",
        /// Closed without being fixed (with a reason).
        ClosedNotFixed = "closed_not_fixed",
    }
}

text_enum! {
    /// A change of state someone asks for.
    #[schema(as = HazardTransition)]
    Transition {
        /// The fire service confirms the hazard.
        Verify = "verify",
        /// The fire service finds no hazard.
        Reject = "reject",
        /// The same hazard was reported before.
        #[serde(rename = "duplicate")]
        MarkDuplicate = "duplicate",
        /// Hands it to a unit.
        Assign = "assign",
        /// Hands it to a line department.
        Refer = "refer",
        /// The assigned unit or department starts fixing it.
        StartRectifying = "start_rectifying",
        /// The assigned unit or department reports it fixed.
        MarkRectified = "mark_rectified",
        /// Re-inspection passed.
        Close = "close",
        /// Re-inspection failed: back to rectifying.
        FailReinspection = "fail_reinspection",
        /// Closed although not fixed.
        CloseNotFixed = "close_not_fixed",
        /// Opened again (back to verified).
        Reopen = "reopen",
    }
}

text_enum! {
    /// Who reported a hazard.
    ReporterKind {
        /// A volunteer, signed in.
        Volunteer = "volunteer",
        /// A community grid worker, signed in.
        GridWorker = "grid_worker",
        /// A resident through the public page (no account).
        Resident = "resident",
        /// Staff of the fire service or another unit, signed in.
        Staff = "staff",
    }
}

impl State {
    /// The state after a transition, or a conflict naming why it is refused.
    pub fn after(self, t: Transition) -> Result<Self> {
        use State::{
            Assigned, Closed, ClosedNotFixed, Duplicate, Rectified, Rectifying, Referred, Rejected, Reported, Verified,
        };
        use Transition::{
            Assign, Close, CloseNotFixed, FailReinspection, MarkDuplicate, MarkRectified, Refer, Reject, Reopen,
            StartRectifying, Verify,
        };
        match (self, t) {
            (Reported, Verify) | (Closed | ClosedNotFixed | Rejected | Duplicate, Reopen) => Ok(Verified),
            (Reported, Reject) => Ok(Rejected),
            (Reported, MarkDuplicate) => Ok(Duplicate),
            (Verified, Assign) => Ok(Assigned),
            (Verified, Refer) => Ok(Referred),
            (Assigned | Referred, StartRectifying) | (Rectified, FailReinspection) => Ok(Rectifying),
            (Rectifying, MarkRectified) => Ok(Rectified),
            (Rectified, Close) => Ok(Closed),
            (Verified | Assigned | Referred | Rectifying, CloseNotFixed) => Ok(ClosedNotFixed),
            (from, t) => Err(Error::Conflict(crate::i18n::keyed(
                "error.hazard_transition",
                &[&crate::i18n::term("hazard_state", from.as_str()), &crate::i18n::term("hazard_action", t.as_str())],
            ))),
        }
    }

    /// Whether the report is finished (it has a `closed_at`).
    pub fn is_closed(self) -> bool {
        matches!(self, Self::Closed | Self::ClosedNotFixed | Self::Rejected | Self::Duplicate)
    }

    /// Whether it counts as a hazard found (not rejected, not a duplicate).
    pub fn is_found(self) -> bool {
        !matches!(self, Self::Rejected | Self::Duplicate)
    }

    /// Whether it counts as rectified.
    pub fn is_rectified(self) -> bool {
        matches!(self, Self::Rectified | Self::Closed)
    }
}

impl Transition {
    /// Whether the transition needs a reason.
    pub fn needs_reason(self) -> bool {
        matches!(
            self,
            Self::Reject
                | Self::MarkDuplicate
                | Self::Refer
                | Self::CloseNotFixed
                | Self::Reopen
                | Self::FailReinspection
        )
    }

    /// Whether the assigned unit or referred department presses it (otherwise the fire service).
    pub fn by_rectifier(self) -> bool {
        matches!(self, Self::StartRectifying | Self::MarkRectified)
    }
}

/// Fire-service staff and admins: they verify, assign, refer, re-inspect, close and reopen.
pub fn is_fire_service(role: Role) -> bool {
    role.is_fire_staff()
}

/// Who may report signed in, and as which kind of reporter (leaders only read).
pub fn reporter_kind(role: Role) -> Option<ReporterKind> {
    match role {
        Role::Leader => None,
        Role::Volunteer => Some(ReporterKind::Volunteer),
        Role::CommunityWorker => Some(ReporterKind::GridWorker),
        _ => Some(ReporterKind::Staff),
    }
}

/// Working days (Monday to Friday, in China Standard Time) to answer the reporter.
pub const ANSWER_WORKING_DAYS: u32 = 5;
/// Hours a verified hazard may wait to be assigned or referred.
pub const ASSIGN_HOURS: i64 = 72;
/// Hours a rectified hazard may wait for re-inspection.
pub const REINSPECT_HOURS: i64 = 7 * 24;
/// Days given to rectify when the assigner names no date.
pub const DEFAULT_RECTIFY_DAYS: i64 = 15;
/// A hazard overdue this long is escalated a second time, to the corps.
pub const ESCALATE_AGAIN_HOURS: i64 = 72;
/// Reports of the same community and category within this many hours are offered as duplicates.
pub const DUPLICATE_HOURS: i64 = 24;
/// Public reports one address may send in an hour.
pub const PUBLIC_REPORTS_PER_HOUR: i64 = 10;

/// `t` plus `n` working days (Monday to Friday in China Standard Time), at the same time of day.
pub fn add_working_days(t: OffsetDateTime, n: u32) -> OffsetDateTime {
    let mut local = t.to_offset(clock::CST);
    let mut left = n;
    while left > 0 {
        local += Duration::days(1);
        if !matches!(local.weekday(), Weekday::Saturday | Weekday::Sunday) {
            left -= 1;
        }
    }
    local.to_offset(time::UtcOffset::UTC)
}

/// The end (23:59:59 China Standard Time) of a rectification day, as the instant it is overdue.
pub fn end_of_day(day: time::Date) -> OffsetDateTime {
    day.with_hms(23, 59, 59)
        .unwrap_or_else(|_| day.midnight())
        .assume_offset(clock::CST)
        .to_offset(time::UtcOffset::UTC)
}

/// The deadline that matters in a state: verification while reported, assignment once verified,
/// the rectification date while assigned, referred or rectifying, re-inspection once rectified;
/// none once closed.
pub fn due_in(
    state: State,
    now: OffsetDateTime,
    verify_due_at: OffsetDateTime,
    rectify_due_on: Option<time::Date>,
) -> Option<OffsetDateTime> {
    match state {
        State::Reported => Some(verify_due_at),
        State::Verified => Some(now + Duration::hours(ASSIGN_HOURS)),
        State::Assigned | State::Referred | State::Rectifying => {
            Some(rectify_due_on.map_or_else(|| now + Duration::days(DEFAULT_RECTIFY_DAYS), end_of_day))
        }
        State::Rectified => Some(now + Duration::hours(REINSPECT_HOURS)),
        _ => None,
    }
}

/// The escalation level an open hazard past `due` should have at `now`: 0 in time, 1 overdue
/// (the level above), 2 overdue by more than [`ESCALATE_AGAIN_HOURS`] (the corps).
pub fn escalation_for(due: OffsetDateTime, now: OffsetDateTime) -> i64 {
    if now <= due {
        0
    } else if now - due <= Duration::hours(ESCALATE_AGAIN_HOURS) {
        1
    } else {
        2
    }
}

/// The region path of the unit handling a hazard whose responsible unit sits at `responsible`,
/// at an escalation level: the responsible unit itself, then each level above, up to the province.
pub fn handling_path(responsible: &str, level: i64) -> String {
    let ancestors = crate::org::path::ancestor_paths(responsible);
    let up = usize::try_from(level).unwrap_or(0);
    let keep = ancestors.len().saturating_sub(1).saturating_sub(up);
    ancestors.get(keep).cloned().unwrap_or_else(|| responsible.to_owned())
}

/// The paths whose counters a hazard at `path` adds to: every ancestor from the province down to
/// township level (paths of at most [`COUNTED_PATH_MAX`] characters).
pub fn counted_paths(path: &str) -> Vec<String> {
    crate::org::path::ancestor_paths(path).into_iter().filter(|p| p.len() <= COUNTED_PATH_MAX).collect()
}

/// Counters are kept for regions down to township level (`/22/2201/220102/220102001/`).
pub const COUNTED_PATH_MAX: usize = 26;

/// Jilin's bounding box: (west, south, east, north) in degrees.
pub const JILIN_BOX: (f64, f64, f64, f64) = (121.6, 40.8, 131.4, 46.4);

/// Checks optional coordinates: both or neither, inside Jilin, and inside the chosen place's
/// prefecture when the map knows its outline.
pub fn check_coordinates(lat: Option<f64>, lon: Option<f64>, region_code: &str) -> Result<Option<(f64, f64)>> {
    let (lat, lon) = match (lat, lon) {
        (None, None) => return Ok(None),
        (Some(lat), Some(lon)) if lat.is_finite() && lon.is_finite() => (lat, lon),
        _ => return Err(Error::invalid("latitude", "error.both_coordinates")),
    };
    let (w, s, e, n) = JILIN_BOX;
    if !(s..=n).contains(&lat) || !(w..=e).contains(&lon) {
        return Err(Error::invalid(
            "latitude",
            crate::i18n::keyed("error.outside_jilin", &[&format!("{lat:.5}, {lon:.5}")]),
        ));
    }
    let prefecture = format!("{}00", region_code.get(..4).unwrap_or_default());
    if crate::svg::map::prefecture_contains(&prefecture, lon, lat) == Some(false) {
        return Err(Error::invalid(
            "latitude",
            crate::i18n::keyed("error.outside_prefecture", &[&format!("{lat:.5}, {lon:.5}"), &prefecture]),
        ));
    }
    Ok(Some((lat, lon)))
}

/// Checks that an address does not name a county or prefecture of Jilin other than those the
/// chosen place lies in. `named` holds (name, path) of every prefecture and county; `place` is the
/// chosen place's (name, path).
pub fn check_address(address: &str, named: &[(String, String)], place: (&str, &str)) -> Result<()> {
    let (place_name, place_path) = place;
    for (name, path) in named {
        if name.chars().count() < 2 || !address.contains(name.as_str()) || place_path.starts_with(path.as_str()) {
            continue;
        }
        // The same name elsewhere (two counties called alike) is fine if one of them contains the place.
        let also_ancestor = named.iter().any(|(n, p)| n == name && place_path.starts_with(p.as_str()));
        // A name that is part of an ancestor's own name (长春 inside 长春市) says nothing new.
        let part_of_ancestor =
            named.iter().any(|(n, p)| place_path.starts_with(p.as_str()) && n.contains(name.as_str()));
        if !also_ancestor && !part_of_ancestor {
            return Err(Error::invalid("address", crate::i18n::keyed("error.address_elsewhere", &[name, place_name])));
        }
    }
    Ok(())
}

/// Trims a text and checks its length (`min` characters at least, `max` at most).
pub fn text(field: &str, s: &str, min: usize, max: usize) -> Result<String> {
    let s = s.trim();
    let n = s.chars().count();
    if n < min {
        return Err(Error::invalid(
            field,
            if min <= 1 {
                "error.required".to_owned()
            } else {
                crate::i18n::keyed("error.at_least_chars", &[&min.to_string()])
            },
        ));
    }
    if n > max || s.chars().any(|c| c.is_control() && c != '\n' && c != '\r') {
        return Err(Error::invalid(field, crate::i18n::keyed("error.at_most_chars", &[&max.to_string()])));
    }
    Ok(s.to_owned())
}

/// The median of a histogram of (days, count), or `None` when it is empty. With an even count it
/// is the mean of the two middle values.
#[allow(clippy::cast_precision_loss)]
pub fn median_days(histogram: &[(i64, i64)]) -> Option<f64> {
    let mut sorted: Vec<(i64, i64)> = histogram.iter().copied().filter(|(_, n)| *n > 0).collect();
    sorted.sort_unstable();
    let total: i64 = sorted.iter().map(|(_, n)| n).sum();
    if total == 0 {
        return None;
    }
    let nth = |k: i64| {
        let mut seen = 0;
        for (days, n) in &sorted {
            seen += n;
            if seen > k {
                return *days;
            }
        }
        0
    };
    let (a, b) = if total % 2 == 1 { (nth(total / 2), nth(total / 2)) } else { (nth(total / 2 - 1), nth(total / 2)) };
    Some((a + b) as f64 / 2.0)
}

/// Whole days from report to rectification.
pub fn days_between(from: OffsetDateTime, to: OffsetDateTime) -> i64 {
    (to - from).whole_days().max(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn every_pair_of_state_and_transition_is_allowed_or_refused() {
        use State::*;
        use Transition::*;
        let allowed = [
            (Reported, Verify, Verified),
            (Reported, Reject, Rejected),
            (Reported, MarkDuplicate, Duplicate),
            (Verified, Assign, Assigned),
            (Verified, Refer, Referred),
            (Verified, CloseNotFixed, ClosedNotFixed),
            (Assigned, StartRectifying, Rectifying),
            (Assigned, CloseNotFixed, ClosedNotFixed),
            (Referred, StartRectifying, Rectifying),
            (Referred, CloseNotFixed, ClosedNotFixed),
            (Rectifying, MarkRectified, Rectified),
            (Rectifying, CloseNotFixed, ClosedNotFixed),
            (Rectified, Close, Closed),
            (Rectified, FailReinspection, Rectifying),
            (Closed, Reopen, Verified),
            (ClosedNotFixed, Reopen, Verified),
            (Rejected, Reopen, Verified),
            (Duplicate, Reopen, Verified),
        ];
        let mut refused = 0;
        for from in State::ALL {
            for t in Transition::ALL {
                if let Some((_, _, to)) = allowed.iter().find(|(f, tr, _)| f == from && tr == t) {
                    assert_eq!(from.after(*t).unwrap(), *to, "{from:?} {t:?}");
                } else {
                    let err = from.after(*t).unwrap_err();
                    assert!(matches!(err, Error::Conflict(_)), "{from:?} {t:?}");
                    refused += 1;
                }
            }
        }
        assert_eq!(refused, State::ALL.len() * Transition::ALL.len() - allowed.len());
    }

    #[test]
    fn enums_round_trip() {
        for s in State::ALL {
            assert_eq!(State::parse(s.as_str()), Some(*s));
        }
        for t in Transition::ALL {
            assert_eq!(Transition::parse(t.as_str()), Some(*t));
            assert_eq!(serde_json::to_value(t).unwrap(), t.as_str(), "the API name is the stored name");
        }
        for s in State::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        for k in ReporterKind::ALL {
            assert_eq!(ReporterKind::parse(k.as_str()), Some(*k));
        }
        assert_eq!(State::parse("nonsense"), None);
    }

    #[test]
    fn the_answer_is_due_after_five_working_days() {
        // Friday 10:00 CST → the next Friday.
        let friday = datetime!(2026-11-27 02:00 UTC);
        assert_eq!(add_working_days(friday, 5), datetime!(2026-12-04 02:00 UTC));
        // Monday → the next Monday.
        let monday = datetime!(2026-11-23 02:00 UTC);
        assert_eq!(add_working_days(monday, 5), datetime!(2026-11-30 02:00 UTC));
        // Saturday → the Friday after.
        let saturday = datetime!(2026-11-28 02:00 UTC);
        assert_eq!(add_working_days(saturday, 5), datetime!(2026-12-04 02:00 UTC));
    }

    #[test]
    fn overdue_hazards_escalate_one_level_then_to_the_corps() {
        let due = datetime!(2026-11-01 00:00 UTC);
        assert_eq!(escalation_for(due, due), 0);
        assert_eq!(escalation_for(due, due + Duration::hours(1)), 1);
        assert_eq!(escalation_for(due, due + Duration::hours(ESCALATE_AGAIN_HOURS + 1)), 2);
        let brigade = "/22/2201/220102/";
        assert_eq!(handling_path(brigade, 0), brigade);
        assert_eq!(handling_path(brigade, 1), "/22/2201/");
        assert_eq!(handling_path(brigade, 2), "/22/");
        assert_eq!(handling_path("/22/2201/", 2), "/22/");
        assert_eq!(handling_path("/22/", 1), "/22/");
    }

    #[test]
    fn deadlines_follow_the_state() {
        let now = datetime!(2026-11-01 00:00 UTC);
        let verify = now + Duration::hours(24);
        assert_eq!(due_in(State::Reported, now, verify, None), Some(verify));
        assert_eq!(due_in(State::Closed, now, verify, None), None);
        assert_eq!(
            due_in(State::Assigned, now, verify, Some(date!(2026 - 11 - 10))),
            Some(datetime!(2026-11-10 15:59:59 UTC))
        );
    }

    #[test]
    fn counters_stop_at_township_level() {
        assert_eq!(
            counted_paths("/22/2201/220102/220102001/220102001001/"),
            vec!["/22/", "/22/2201/", "/22/2201/220102/", "/22/2201/220102/220102001/"]
        );
    }

    #[test]
    fn addresses_naming_another_county_are_refused() {
        let named = vec![
            ("长春市".to_owned(), "/22/2201/".to_owned()),
            ("南关区".to_owned(), "/22/2201/220102/".to_owned()),
            ("朝阳区".to_owned(), "/22/2201/220104/".to_owned()),
            ("吉林市".to_owned(), "/22/2202/".to_owned()),
        ];
        let place = ("华阳社区", "/22/2201/220102/220102001/220102001001/");
        assert!(check_address("长春市南关区华阳街12号", &named, place).is_ok());
        let err = check_address("吉林市船营区某街", &named, place).unwrap_err().to_string();
        assert!(err.contains("吉林市") && err.contains("华阳社区"), "{err}");
        assert!(check_address("朝阳区红旗街", &named, place).is_err());
        assert!(check_address("华阳街12号3单元", &named, place).is_ok());
    }

    #[test]
    fn coordinates_must_lie_in_jilin() {
        assert!(check_coordinates(None, None, "220102001001").unwrap().is_none());
        assert!(check_coordinates(Some(43.88), None, "220102001001").is_err());
        let err = check_coordinates(Some(39.9), Some(116.4), "220102001001").unwrap_err().to_string();
        assert!(err.contains("outside Jilin"), "{err}");
        assert!(check_coordinates(Some(43.88), Some(125.33), "220102001001").is_ok(), "Changchun");
        let err = check_coordinates(Some(42.9), Some(129.5), "220102001001").unwrap_err().to_string();
        assert!(err.contains("prefecture"), "Yanji is not in Changchun: {err}");
    }

    #[test]
    fn medians_of_histograms() {
        assert_eq!(median_days(&[]), None);
        assert_eq!(median_days(&[(3, 1)]), Some(3.0));
        assert_eq!(median_days(&[(1, 1), (5, 1)]), Some(3.0));
        assert_eq!(median_days(&[(10, 1), (2, 2), (7, 0)]), Some(2.0));
    }
}
