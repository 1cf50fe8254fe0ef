//! Urgent fire-safety warnings in CAP 1.2 (OASIS Common Alerting Protocol), as China's national
//! early-warning release system takes them through its profile GB/T 35965.1-2018: a cold wave in
//! the heating season, high forest-fire danger, the advice after a major incident. Staff compose a
//! warning (area from regions, severity, urgency, certainty, effective and expiry times, Chinese
//! and Korean texts); a second member of staff signs it off, which publishes it at a stable URL
//! (`/cap/{identifier}.xml`) and in the Atom index of current alerts (`/feeds/alerts.atom`), as
//! alerting hubs consume them. Calling a published warning off publishes a `Cancel` message that
//! references it.
//!
//! The profile narrows CAP: the identifier is `ZZZZZZDDDUUUXX_YYYYMMDDhhmmss_N` (the issuing unit's
//! code: its 6-digit region code from GB/T 2260, a 3-digit sector code from GB/T 4657, 3 digits for
//! the unit inside it, 2 for extension; the time it was entered in Beijing time; a sequence digit),
//! times carry `+08:00`, and the Chinese `<info>` comes first.

pub mod actions;
pub mod api;
pub mod cap;
pub mod pages;
pub mod store;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::clock;
use crate::org::{Role, text_enum};

text_enum! {
    /// What a warning is about.
    #[schema(as = AlertKind)]
    Kind {
        /// 寒潮及取暖季用火用电: a cold wave in the heating season.
        Heating = "heating",
        /// 森林草原火险: high forest and grassland fire danger.
        ForestFire = "forest_fire",
        /// 重大火灾事故提示: advice after a major incident.
        Incident = "incident",
    }
}

text_enum! {
    /// CAP `severity`.
    #[schema(as = AlertSeverity)]
    Severity {
        /// Extraordinary threat to life or property.
        Extreme = "Extreme",
        /// Significant threat.
        Severe = "Severe",
        /// Possible threat.
        Moderate = "Moderate",
        /// Minimal to no known threat.
        Minor = "Minor",
    }
}

text_enum! {
    /// CAP `urgency`.
    #[schema(as = AlertUrgency)]
    Urgency {
        /// Act now.
        Immediate = "Immediate",
        /// Act within the next hour.
        Expected = "Expected",
        /// Act in the near future.
        Future = "Future",
    }
}

text_enum! {
    /// CAP `certainty`.
    #[schema(as = AlertCertainty)]
    Certainty {
        /// Determined to have occurred or to be ongoing.
        Observed = "Observed",
        /// Likely (p > ~50%).
        Likely = "Likely",
        /// Possible but not likely.
        Possible = "Possible",
    }
}

text_enum! {
    /// Where a warning stands.
    #[schema(as = AlertState)]
    State {
        /// Being written; not public.
        Draft = "draft",
        /// Signed off and public.
        Published = "published",
        /// Called off: a `Cancel` message replaced it.
        Cancelled = "cancelled",
    }
}

/// The 3-digit sector code (GB/T 4657) in the issuing unit's code when the deployment does not
/// set one (`--cap-sector-code`): the release centre assigns the fire service's.
pub const DEFAULT_SECTOR: &str = "000";

/// The issuing unit's 14-character code: the 6-digit GB/T 2260 code of its region (a station at
/// a township takes its county's, the first six digits), the sector code, "000" for the unit
/// inside the sector and "00" for extension.
pub fn sender_code(region_code: &str, sector: &str) -> String {
    let county: String = region_code.chars().take(6).collect();
    format!("{county:0<6}{sector}00000")
}

/// The warning's identifier: `ZZZZZZDDDUUUXX_YYYYMMDDhhmmss_N`, with the time in Beijing time.
pub fn identifier(sender: &str, entered: OffsetDateTime, sequence: u8) -> String {
    let t = entered.to_offset(clock::CST);
    format!(
        "{sender}_{:04}{:02}{:02}{:02}{:02}{:02}_{}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        sequence % 10
    )
}

/// A time as CAP writes it, in Beijing time with its zone: `2026-12-03T09:30:00+08:00`.
pub fn cap_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(clock::CST);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+08:00",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Whether a warning's area covers a place at `path`: one of its regions is the place or lies
/// around it (a resident of 延吉 is covered by a warning for 延边州 or the province).
pub fn covers(area_codes: &str, path: &str) -> bool {
    let around: Vec<String> =
        crate::org::path::ancestor_paths(path).iter().filter_map(|p| crate::org::path::code_of(p)).collect();
    area_codes.split(',').any(|c| around.iter().any(|a| a == c))
}

/// Whether a role composes, signs off and calls off warnings (fire-service staff, in their area).
pub fn may_issue(role: Role) -> bool {
    role.is_fire_staff()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn identifiers_follow_the_national_profile() {
        let sender = sender_code("220000", DEFAULT_SECTOR);
        assert_eq!(sender, "22000000000000");
        assert_eq!(sender_code("220102001", DEFAULT_SECTOR), "22010200000000", "a station at a township");
        let id = identifier(&sender, datetime!(2026-12-03 01:30:05 UTC), 0);
        assert_eq!(id, "22000000000000_20261203093005_0");
        assert_eq!(id.len(), 31);
        assert_eq!(cap_time(datetime!(2026-12-03 01:30:05 UTC)), "2026-12-03T09:30:05+08:00");
        for s in Severity::ALL {
            assert_eq!(Severity::parse(s.as_str()), Some(*s));
        }
    }
}
