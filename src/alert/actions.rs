//! What staff do with warnings, shared by the JSON API and the pages: compose a draft (its area
//! from regions of their area), sign it off (someone other than its author, over its unit), and
//! call it off. Every change is audited.

use serde::Deserialize;
use utoipa::ToSchema;

use super::store::{self, Alert, NewAlert};
use super::{Certainty, Kind, Severity, State, Urgency, may_issue, sender_code};
use crate::clock::{self, parse_time};
use crate::db::Db;
use crate::i18n::keyed;
use crate::org::caller::Principal;
use crate::org::{self, parse_name, parse_text};
use crate::{Error, Result};

/// A warning as written in the form or a JSON body.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct AlertInput {
    /// `heating`, `forest_fire` or `incident`.
    #[schema(value_type = Kind)]
    pub kind: String,
    /// CAP `severity`: `Extreme`, `Severe`, `Moderate` or `Minor`.
    #[schema(value_type = Severity)]
    pub severity: String,
    /// CAP `urgency`: `Immediate`, `Expected` or `Future`.
    #[schema(value_type = Urgency)]
    pub urgency: String,
    /// CAP `certainty`: `Observed`, `Likely` or `Possible`.
    #[schema(value_type = Certainty)]
    pub certainty: String,
    /// Headline in Chinese.
    pub headline: String,
    /// What is happening.
    pub description: String,
    /// What people should do.
    #[serde(default)]
    pub instruction: String,
    /// The same in Korean (all three, or none).
    #[serde(default)]
    pub headline_ko: String,
    /// 설명.
    #[serde(default)]
    pub description_ko: String,
    /// 행동 요령.
    #[serde(default)]
    pub instruction_ko: String,
    /// The regions it covers: codes inside the caller's area, separated by commas or spaces.
    pub region_codes: String,
    /// From when, `2026-12-03 08:00` (Beijing time) or RFC 3339.
    pub effective_at: String,
    /// Until when.
    pub expires_at: String,
}

/// A text that must not be empty.
fn required(field: &str, s: &str, max: usize) -> Result<String> {
    let text = parse_text(field, s, max)?;
    if text.is_empty() { Err(Error::invalid(field, "error.required")) } else { Ok(text) }
}

fn pick<T: Copy + std::fmt::Display>(field: &str, s: &str, parse: fn(&str) -> Option<T>, all: &[T]) -> Result<T> {
    parse(s).ok_or_else(|| {
        let names: Vec<String> = all.iter().map(ToString::to_string).collect();
        Error::invalid(field, keyed("error.not_one_of", &[s.trim(), &names.join(", ")]))
    })
}

/// Composes a draft warning of the caller's unit. Returns its id.
pub async fn create(db: &Db, me: &Principal, input: &AlertInput, sector: &str) -> Result<i64> {
    let r = async {
        if !may_issue(me.role) {
            return Err(Error::Forbidden);
        }
        let kind = pick("kind", &input.kind, Kind::parse, Kind::ALL)?;
        let severity = pick("severity", &input.severity, Severity::parse, Severity::ALL)?;
        let urgency = pick("urgency", &input.urgency, Urgency::parse, Urgency::ALL)?;
        let certainty = pick("certainty", &input.certainty, Certainty::parse, Certainty::ALL)?;
        let zh = (
            parse_name("headline", &input.headline)?,
            required("description", &input.description, 2000)?,
            parse_text("instruction", &input.instruction, 2000)?,
        );
        let ko = (
            parse_text("headline_ko", &input.headline_ko, 60)?,
            parse_text("description_ko", &input.description_ko, 2000)?,
            parse_text("instruction_ko", &input.instruction_ko, 2000)?,
        );
        if !ko.0.is_empty() && ko.1.is_empty() {
            return Err(Error::invalid("description_ko", "error.required"));
        }
        let mut codes = Vec::new();
        let mut names = Vec::new();
        for typed in input.region_codes.split([',', '，', ' ', '、']).map(str::trim).filter(|c| !c.is_empty()) {
            let region = match org::RegionCode::parse(typed) {
                Ok(code) => org::store::region(db, &me.scope, code.as_str()).await.ok(),
                Err(_) => None,
            }
            .ok_or_else(|| Error::invalid("region_codes", keyed("error.event_region_outside", &[typed])))?;
            if !codes.contains(&region.code) {
                codes.push(region.code);
                names.push(region.name);
            }
        }
        if codes.is_empty() {
            return Err(Error::invalid("region_codes", "error.required"));
        }
        let effective_at = parse_time("effective_at", &input.effective_at)?;
        let expires_at = parse_time("expires_at", &input.expires_at)?;
        if expires_at <= effective_at {
            return Err(Error::invalid("expires_at", "error.expires_early"));
        }
        let unit = org::store::unit(db, &me.scope, me.user.unit_id).await?;
        let a = NewAlert {
            unit: (unit.id, unit.region_path.clone(), sender_code(&unit.region_code, sector)),
            class: (kind, severity, urgency, certainty),
            zh,
            ko,
            area: (codes.join(","), names.join("、")),
            times: (effective_at, expires_at),
            created_by: me.user.id,
        };
        store::insert(db, &a, clock::now()).await
    }
    .await;
    me.audited(db, "alert.create", ("unit", &me.user.unit_id.to_string()), r).await
}

/// A warning the caller issues: of their unit or one below it.
pub async fn issued_by(db: &Db, me: &Principal, id: i64) -> Result<Alert> {
    let a = store::alert(db, &me.scope, id).await?;
    if !may_issue(me.role) {
        return Err(Error::Forbidden);
    }
    Ok(a)
}

/// Signs a draft off, which publishes it; its author cannot. Returns its identifier.
pub async fn sign_off(db: &Db, me: &Principal, id: i64) -> Result<String> {
    let r = async {
        let a = issued_by(db, me, id).await?;
        if a.state != State::Draft {
            return Err(Error::Conflict("error.alert_not_draft".into()));
        }
        if a.created_by == me.user.id {
            return Err(Error::Conflict("error.alert_own".into()));
        }
        let now = clock::now();
        if a.expires_at <= now {
            return Err(Error::Conflict("error.alert_expired".into()));
        }
        store::publish(db, id, me.user.id, now, &a.sender_code).await
    }
    .await;
    me.audited(db, "alert.sign_off", ("alert", &id.to_string()), r).await
}

/// Calls a published warning off: a `Cancel` message replaces it. Returns that message's identifier.
pub async fn call_off(db: &Db, me: &Principal, id: i64) -> Result<String> {
    let r = async {
        let a = issued_by(db, me, id).await?;
        if a.state != State::Published {
            return Err(Error::Conflict("error.alert_not_published".into()));
        }
        let now = clock::now();
        store::cancel(db, id, me.user.id, now, &a.sender_code).await
    }
    .await;
    me.audited(db, "alert.cancel", ("alert", &id.to_string()), r).await
}
