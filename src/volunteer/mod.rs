//! Volunteer teams and their work: members (with consent, a sealed phone number, skills,
//! trainings and certificates), service events with sign-up, a waiting list, check-in and
//! check-out, the append-only hours ledger, service periods with tallies and an honour roll, and
//! the orienteering and skills challenge.
//!
//! A team is a unit of kind `volunteer_team`; `volunteer_team` adds its sponsor, leader and
//! founding date. Fire-service staff manage the teams in their area; a volunteer account manages
//! its own team only. Completing an event files a `volunteer_service` activity record for review,
//! and the ledger's hours count as the campaign metric `volunteer_hours`.

pub mod actions;
pub mod api;
pub mod challenge;
pub mod import;
pub mod pages;
pub mod store;

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use crate::org::{Role, text_enum};
use crate::{Error, Result, clock};

text_enum! {
    /// What a member can do (a fixed list).
    Skill {
        /// First aid.
        FirstAid = "first_aid",
        /// Using extinguishers.
        Extinguisher = "extinguisher",
        /// Electrical safety.
        Electrical = "electrical",
        /// Gas safety.
        Gas = "gas",
        /// Publicity and lecturing.
        Publicity = "publicity",
        /// Korean language.
        Korean = "korean",
        /// Driving.
        Driving = "driving",
        /// Photography.
        Photography = "photography",
    }
}

text_enum! {
    /// The kinds of service event.
    EventKind {
        /// 入户查火患: checking homes for hazards.
        HomeCheck = "home_check",
        /// 送平安: a safety visit.
        SafetyVisit = "safety_visit",
        /// 发放宣传品: handing out leaflets.
        Handout = "handout",
        /// 宣讲: a talk.
        Lecture = "lecture",
        /// 演练: a drill.
        Drill = "drill",
    }
}

text_enum! {
    /// Where a service event stands.
    EventState {
        /// Taking sign-ups and check-ins.
        Open = "open",
        /// Done, with its figures filed.
        Completed = "completed",
        /// Called off.
        Cancelled = "cancelled",
    }
}

text_enum! {
    /// A member's place on an event.
    SignupStatus {
        /// Has a place.
        Confirmed = "confirmed",
        /// On the waiting list.
        Waitlisted = "waitlisted",
        /// Withdrew.
        Cancelled = "cancelled",
    }
}

text_enum! {
    /// A training attended or a certificate held.
    CredentialKind {
        /// A training course.
        Training = "training",
        /// A certificate.
        Certificate = "certificate",
    }
}

/// The version of the consent text members agree to (shown on the member form and the import
/// template).
pub const CONSENT_VERSION: &str = "2024-11";

/// The most minutes one member may be credited on one day.
pub const DAY_MINUTES: i64 = 24 * 60;

/// Parses a comma-separated list of skills (codes or their names in any UI language), sorted and
/// without repeats; the error names the first unknown one.
pub fn parse_skills(field: &str, s: &str) -> Result<Vec<Skill>> {
    let mut out = Vec::new();
    for part in s.split([',', '，', '、', ';', '；']).map(str::trim).filter(|p| !p.is_empty()) {
        let skill = Skill::parse(part)
            .or_else(|| {
                Skill::ALL
                    .iter()
                    .copied()
                    .find(|k| crate::i18n::Lang::ALL.iter().any(|l| l.t(&format!("volunteer_skill.{k}")) == part))
            })
            .ok_or_else(|| {
                let all: Vec<&str> = Skill::ALL.iter().map(|k| k.as_str()).collect();
                Error::invalid(field, crate::i18n::keyed("error.skill", &[part, &all.join(", ")]))
            })?;
        if !out.contains(&skill) {
            out.push(skill);
        }
    }
    out.sort_by_key(|k| Skill::ALL.iter().position(|x| x == k));
    Ok(out)
}

/// Skills as stored: codes joined by commas.
pub fn skills_text(skills: &[Skill]) -> String {
    skills.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",")
}

/// Whether a user may manage a team (members, events, check-ins, hours): fire-service staff and
/// admins of the team's area, or a volunteer account of that team. The team must already be in
/// the user's scope.
pub fn can_manage(role: Role, my_unit: i64, team_unit: i64) -> bool {
    match role {
        Role::Admin | Role::ProvinceStaff | Role::DetachmentStaff | Role::BrigadeStaff => true,
        Role::Volunteer => my_unit == team_unit,
        _ => false,
    }
}

/// Whether a user may set up service periods and challenges: admins and fire-service staff.
pub fn can_organise(role: Role) -> bool {
    role.is_fire_staff()
}

/// The day a time falls on in China Standard Time (the day service is credited to).
pub fn service_day(t: OffsetDateTime) -> Date {
    t.to_offset(clock::CST).date()
}

/// The minutes a check-out credits: the time since check-in, rounded down to a quarter hour.
/// Refuses a check-out before the check-in.
pub fn credit_minutes(checked_in: OffsetDateTime, checked_out: OffsetDateTime) -> Result<i64> {
    if checked_out < checked_in {
        return Err(Error::invalid(
            "at",
            crate::i18n::keyed("error.check_out_before_in", &[&clock::show(checked_out), &clock::show(checked_in)]),
        ));
    }
    let minutes = (checked_out - checked_in).whole_minutes();
    Ok(minutes - minutes % 15)
}

/// Refuses a credit that would take a member's day past 24 hours, or below nothing.
pub fn check_day_total(day: Date, already: i64, adding: i64) -> Result<()> {
    let after = already + adding;
    if after > DAY_MINUTES {
        return Err(Error::invalid(
            "minutes",
            crate::i18n::keyed("error.day_over", &[&clock::show_date(day), &hours(after), &hours(already)]),
        ));
    }
    if after < 0 {
        return Err(Error::invalid(
            "minutes",
            crate::i18n::keyed("error.day_below_zero", &[&clock::show_date(day), &hours(already)]),
        ));
    }
    Ok(())
}

/// Minutes as hours and minutes, `5h00`.
fn hours(minutes: i64) -> String {
    format!("{}h{:02}", minutes / 60, minutes % 60)
}

/// Minutes as `12h30`.
pub fn show_minutes(minutes: i64) -> String {
    let sign = if minutes < 0 { "-" } else { "" };
    let m = minutes.abs();
    format!("{sign}{}h{:02}", m / 60, m % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn skills_parse_by_code_or_name() {
        assert_eq!(parse_skills("skills", "gas, first_aid,gas").unwrap(), vec![Skill::FirstAid, Skill::Gas]);
        assert_eq!(parse_skills("skills", "急救、驾驶").unwrap(), vec![Skill::FirstAid, Skill::Driving]);
        assert!(parse_skills("skills", "").unwrap().is_empty());
        let err = parse_skills("skills", "juggling").unwrap_err().to_string();
        assert!(err.contains("'juggling' is not a skill"), "{err}");
    }

    #[test]
    fn check_out_credits_whole_quarters() {
        let a = datetime!(2026-11-20 01:00 UTC);
        assert_eq!(credit_minutes(a, datetime!(2026-11-20 03:44 UTC)).unwrap(), 150);
        assert_eq!(credit_minutes(a, a).unwrap(), 0);
        let err = credit_minutes(a, datetime!(2026-11-20 00:59 UTC)).unwrap_err().to_string();
        assert!(err.contains("before check-in"), "{err}");
    }

    #[test]
    fn a_day_holds_at_most_24_hours() {
        let d = date!(2026 - 11 - 20);
        assert!(check_day_total(d, 720, 720).is_ok());
        let err = check_day_total(d, 720, 735).unwrap_err().to_string();
        assert!(err.contains("at most 24 hours"), "{err}");
        assert!(check_day_total(d, 60, -90).is_err());
        assert!(check_day_total(d, 60, -60).is_ok());
    }

    #[test]
    fn only_staff_and_the_team_itself_manage() {
        assert!(can_manage(Role::DetachmentStaff, 1, 9));
        assert!(can_manage(Role::Volunteer, 9, 9));
        assert!(!can_manage(Role::Volunteer, 8, 9));
        assert!(!can_manage(Role::Leader, 1, 9));
        assert!(!can_manage(Role::CommunityWorker, 1, 9));
        assert_eq!(service_day(datetime!(2026-11-19 17:00 UTC)), date!(2026 - 11 - 20));
        assert_eq!(show_minutes(-75), "-1h15");
    }

    #[test]
    fn enums_round_trip() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Some(*k));
        }
        for s in SignupStatus::ALL {
            assert_eq!(SignupStatus::parse(s.as_str()), Some(*s));
        }
    }
}
