//! Activity records and the media register: what units did, with which figures, photos and
//! evidence, and the news and airings they produced.
//!
//! An activity moves draft → submitted → approved, or back to its organiser as returned (with a
//! reason) by the level above. Only approved figures count: approving adds them to the running
//! totals of every region above the activity's place and to the progress of the duty it answers.

pub mod actions;
pub mod api;
pub mod import;
pub mod pages;
pub mod store;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::campaign::store::Metric;
use crate::i18n::keyed;
use crate::org::{Role, UnitKind, text_enum};
use crate::{Error, Result};

/// The kinds of activity the source report describes.
pub const KINDS: &[&str] = &[
    "launch_ceremony",
    "drill",
    "training",
    "campus",
    "exhibition",
    "carnival",
    "contest",
    "livestream",
    "open_venue",
    "vehicle_tour",
    "lecture",
    "street_campaign",
    "short_video",
    "partner_placement",
    "volunteer_service",
    "other",
];

/// Checks an activity kind.
pub fn parse_kind(s: &str) -> Result<&'static str> {
    KINDS
        .iter()
        .find(|k| **k == s.trim())
        .copied()
        .ok_or_else(|| Error::invalid("kind", keyed("error.activity_kind", &[s.trim(), &KINDS.join(", ")])))
}

text_enum! {
    /// What an airing shows.
    AiringKind {
        /// A public-service advertisement.
        Psa = "psa",
        /// A safety caption (on screens and tickers).
        Caption = "caption",
    }
}

text_enum! {
    /// Where an activity record stands.
    #[schema(as = ActivityState)]
    State {
        /// Being written by its organiser; seen only by the organiser's unit.
        Draft = "draft",
        /// Waiting for the level above.
        Submitted = "submitted",
        /// Accepted: its figures count.
        Approved = "approved",
        /// Sent back to the organiser with a reason.
        Returned = "returned",
    }
}

/// A change of state someone asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ActivityTransition)]
pub enum Transition {
    /// The organiser sends it up.
    Submit,
    /// The level above accepts it.
    Approve,
    /// The level above sends it back.
    Return,
}

impl State {
    /// Whether the organiser may still edit it.
    pub fn editable(self) -> bool {
        matches!(self, Self::Draft | Self::Returned)
    }

    /// The state after a transition, or why it is refused.
    pub fn after(self, t: Transition) -> Result<Self> {
        match (self, t) {
            (Self::Draft | Self::Returned, Transition::Submit) => Ok(Self::Submitted),
            (Self::Submitted, Transition::Approve) => Ok(Self::Approved),
            (Self::Submitted, Transition::Return) => Ok(Self::Returned),
            (from, t) => Err(Error::Conflict(keyed(
                match t {
                    Transition::Submit => "error.record_cannot_submit",
                    Transition::Approve => "error.record_cannot_approve",
                    Transition::Return => "error.record_cannot_return",
                },
                &[&crate::i18n::term("activity_state", from.as_str())],
            ))),
        }
    }
}

/// Who may report activities: everyone but read-only leaders.
pub fn can_report(role: Role) -> bool {
    role != Role::Leader
}

/// Whether a reviewer (role, unit, unit kind, unit path) is "the level above" an organiser unit:
/// fire-service staff or admins whose area contains the organiser, who are not the organiser
/// itself, and who sit higher — or at the same region over a unit that is not part of the fire
/// service (a line department, partner, school, community office or volunteer team).
pub fn can_review(reviewer: (Role, i64, UnitKind, &str), organiser: (i64, &str, &str)) -> bool {
    let (role, unit_id, kind, path) = reviewer;
    let (org_id, org_kind, org_path) = organiser;
    let reviewer_role = role.is_fire_staff();
    let fire_service = |k: &str| matches!(k, "corps" | "detachment" | "brigade" | "station");
    reviewer_role
        && fire_service(kind.as_str())
        && unit_id != org_id
        && org_path.starts_with(path)
        && (org_path.len() > path.len() || !fire_service(org_kind))
}

/// Checks figures against the catalogue: known metrics counted from activities, whole numbers
/// from 0 to the metric's plausible maximum for one record. Returns them sorted by metric.
pub fn check_figures(figures: &BTreeMap<String, i64>, catalogue: &[Metric]) -> Result<Vec<(String, i64)>> {
    let mut out = Vec::with_capacity(figures.len());
    for (code, value) in figures {
        let metric = catalogue
            .iter()
            .find(|m| &m.code == code)
            .ok_or_else(|| Error::invalid(format!("figures.{code}"), keyed("error.unknown_metric", &[code])))?;
        if metric.source != "figure" {
            return Err(Error::invalid(
                format!("figures.{code}"),
                keyed(
                    "error.metric_from_register",
                    &[&metric.name, &crate::i18n::term("metric_source", metric.source_kind())],
                ),
            ));
        }
        if *value < 0 {
            return Err(Error::invalid(format!("figures.{code}"), keyed("error.metric_negative", &[&metric.name])));
        }
        if *value > metric.max_per_record {
            return Err(Error::invalid(
                format!("figures.{code}"),
                keyed(
                    "error.metric_implausible",
                    &[&metric.name, &value.to_string(), &metric.unit, &metric.max_per_record.to_string()],
                ),
            ));
        }
        if *value > 0 {
            out.push((code.clone(), *value));
        }
    }
    Ok(out)
}

/// The media levels of the news register.
pub const NEWS_LEVELS: &[&str] = &["central", "provincial", "municipal", "county", "matrix"];

/// Checks a news level.
pub fn parse_news_level(s: &str) -> Result<&'static str> {
    NEWS_LEVELS.iter().find(|k| **k == s.trim()).copied().ok_or_else(|| Error::invalid("level", "error.news_level"))
}

/// The key under which reposts of one story count once: the title without spaces, punctuation
/// and case.
pub fn story_key(title: &str) -> String {
    title.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

#[cfg(test)]
#[allow(clippy::cast_possible_wrap)]
mod tests {
    use super::*;

    fn metric(code: &str, source: &str, max: i64) -> Metric {
        Metric {
            code: code.into(),
            name: code.into(),
            name_en: code.into(),
            unit: "人".into(),
            source: source.into(),
            max_per_record: max,
            sort: 0,
            builtin: true,
        }
    }

    #[test]
    fn the_state_machine_allows_only_its_transitions() {
        use State::{Approved, Draft, Returned, Submitted};
        use Transition::{Approve, Return, Submit};
        assert_eq!(Draft.after(Submit).unwrap(), Submitted);
        assert_eq!(Returned.after(Submit).unwrap(), Submitted);
        assert_eq!(Submitted.after(Approve).unwrap(), Approved);
        assert_eq!(Submitted.after(Return).unwrap(), Returned);
        for (from, t) in [
            (Draft, Approve),
            (Draft, Return),
            (Submitted, Submit),
            (Approved, Submit),
            (Approved, Return),
            (Approved, Approve),
            (Returned, Approve),
        ] {
            assert!(from.after(t).is_err(), "{from:?} {t:?}");
        }
    }

    #[test]
    fn figures_are_checked_against_the_catalogue() {
        let catalogue = [
            metric("people_trained", "figure", 100_000),
            metric("news_central", "news:central", 0),
            metric("hazards_found", "hazards:found", 0),
        ];
        let ok = BTreeMap::from([("people_trained".to_owned(), 700)]);
        assert_eq!(check_figures(&ok, &catalogue).unwrap(), vec![("people_trained".to_owned(), 700)]);
        let absurd = BTreeMap::from([("people_trained".to_owned(), 10_000_000)]);
        let err = check_figures(&absurd, &catalogue).unwrap_err().to_string();
        assert!(err.contains("not plausible"), "{err}");
        assert!(check_figures(&BTreeMap::from([("people_trained".to_owned(), -1)]), &catalogue).is_err());
        assert!(check_figures(&BTreeMap::from([("unicorns".to_owned(), 1)]), &catalogue).is_err());
        let err = check_figures(&BTreeMap::from([("news_central".to_owned(), 1)]), &catalogue).unwrap_err().to_string();
        assert!(err.contains("from the news register"), "{err}");
        let err =
            check_figures(&BTreeMap::from([("hazards_found".to_owned(), 1)]), &catalogue).unwrap_err().to_string();
        assert!(err.contains("from the hazard reports (counted when reported)"), "it names where it comes from: {err}");
    }

    #[test]
    fn the_level_above_reviews() {
        let detachment = (Role::DetachmentStaff, 2, UnitKind::Detachment, "/22/2201/");
        assert!(can_review(detachment, (5, "brigade", "/22/2201/220102/")));
        assert!(!can_review(detachment, (2, "detachment", "/22/2201/")), "not its own");
        assert!(!can_review(detachment, (9, "brigade", "/22/2202/220202/")), "not another detachment's");
        let brigade = (Role::BrigadeStaff, 5, UnitKind::Brigade, "/22/2201/220102/");
        assert!(!can_review(brigade, (5, "brigade", "/22/2201/220102/")), "a brigade cannot approve its own");
        assert!(!can_review(brigade, (2, "detachment", "/22/2201/")));
        let province = (Role::ProvinceStaff, 1, UnitKind::Corps, "/22/");
        assert!(can_review(province, (40, "department", "/22/")), "line departments report to the corps");
        assert!(!can_review((Role::Leader, 1, UnitKind::Corps, "/22/"), (5, "brigade", "/22/2201/220102/")));
    }

    #[test]
    fn reposts_share_a_story_key() {
        assert_eq!(story_key("吉林：全民消防 生命至上！"), story_key("吉林全民消防，生命至上"));
        assert_ne!(story_key("长春开展演练"), story_key("吉林开展演练"));
    }
}
