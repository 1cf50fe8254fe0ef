//! What planners do, shared by the JSON API and the pages: make a campaign (or start one from
//! last year's), change its status, write duties with targets. Each action checks role and scope
//! and is audited.

use std::collections::BTreeMap;

use serde::Deserialize;
use utoipa::ToSchema;

use super::store::{self, NewDuty};
use super::{Status, check_period, check_target, next_year, require_planner};
use crate::clock::parse_date;
use crate::db::Db;
use crate::i18n::keyed;
use crate::org::caller::Principal;
use crate::org::{self, parse_name};
use crate::{Error, Result};

/// A new campaign, owned by the caller's unit.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewCampaign {
    pub(crate) name: String,
    pub(crate) theme: String,
    /// First day, `2024-11-01`.
    pub starts_on: String,
    /// Last day.
    pub ends_on: String,
}

/// Makes a campaign owned by the caller's unit.
pub async fn create(db: &Db, me: &Principal, input: &NewCampaign) -> Result<i64> {
    let r = async {
        require_planner(me)?;
        let name = parse_name("name", &input.name)?;
        let theme = parse_name("theme", &input.theme)?;
        let starts = parse_date("starts_on", &input.starts_on)?;
        let ends = parse_date("ends_on", &input.ends_on)?;
        check_period(starts, ends)?;
        store::insert_campaign(db, &name, &theme, (starts, ends), (me.user.unit_id, &me.user.region_path), None).await
    }
    .await;
    me.audited(db, "campaign.create", ("campaign", &input.name), r).await
}

/// Starts a campaign from an earlier one: same theme and duties (with targets), one year later.
pub async fn copy(db: &Db, me: &Principal, from: i64, name: &str) -> Result<i64> {
    let r = async {
        require_planner(me)?;
        let old = store::campaign(db, &me.scope, from).await?;
        if old.owner_unit_id != me.user.unit_id {
            return Err(Error::Forbidden);
        }
        let name = parse_name("name", name)?;
        let id = store::insert_campaign(
            db,
            &name,
            &old.theme,
            (next_year(old.starts_on), next_year(old.ends_on)),
            (old.owner_unit_id, &old.owner_path),
            Some(old.id),
        )
        .await?;
        let duties = store::duties(db, &me.scope, from).await?;
        let targets = store::targets(db, &me.scope, from).await?;
        let copies: Vec<NewDuty> = duties
            .iter()
            .map(|d| NewDuty {
                unit_id: d.unit_id,
                unit_path: d.unit_path.clone(),
                title: d.title.clone(),
                description: d.description.clone(),
                due_on: next_year(d.due_on),
                targets: targets
                    .iter()
                    .filter(|t| t.duty_id == d.id)
                    .map(|t| (t.metric_code.clone(), t.target))
                    .collect(),
            })
            .collect();
        store::insert_duties(db, id, &copies).await?;
        Ok(id)
    }
    .await;
    me.audited(db, "campaign.copy", ("campaign", &from.to_string()), r).await
}

/// Changes a campaign's status (its owner's planners).
pub async fn set_status(db: &Db, me: &Principal, id: i64, status: &str) -> Result<()> {
    let r = async {
        require_planner(me)?;
        let status = Status::parse(status).ok_or_else(|| Error::invalid("status", "error.campaign_status"))?;
        let c = store::campaign(db, &me.scope, id).await?;
        if !me.scope.contains(&c.owner_path) {
            return Err(Error::Forbidden);
        }
        store::set_status(db, id, status).await
    }
    .await;
    me.audited(db, "campaign.status", ("campaign", &id.to_string()), r).await
}

/// A duty to write.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DutyInput {
    /// The unit it is assigned to (inside the planner's area).
    pub unit_id: i64,
    /// What to do.
    pub title: String,
    /// Details.
    #[serde(default)]
    pub description: String,
    /// Due date, `2024-11-30`.
    pub due_on: String,
    /// Target figures by metric code.
    #[serde(default)]
    pub targets: BTreeMap<String, i64>,
}

/// Writes duties of a campaign: for units inside the planner's area, due within the campaign.
pub async fn add_duties(db: &Db, me: &Principal, campaign_id: i64, inputs: &[DutyInput]) -> Result<Vec<i64>> {
    let r = async {
        require_planner(me)?;
        let c = store::campaign(db, &me.scope, campaign_id).await?;
        if c.status == Status::Closed {
            return Err(Error::invalid("campaign_id", "error.campaign_closed_duties"));
        }
        let catalogue = store::metrics(db).await?;
        let mut duties = Vec::with_capacity(inputs.len());
        for d in inputs {
            let unit = org::store::unit(db, &me.scope, d.unit_id)
                .await
                .map_err(|_| Error::invalid("unit_id", "error.unit_outside"))?;
            let due_on = parse_date("due_on", &d.due_on)?;
            if due_on < c.starts_on || due_on > c.ends_on {
                return Err(Error::invalid(
                    "due_on",
                    keyed(
                        "error.due_outside",
                        &[&crate::clock::show_date(c.starts_on), &crate::clock::show_date(c.ends_on)],
                    ),
                ));
            }
            let mut targets = Vec::with_capacity(d.targets.len());
            for (code, value) in &d.targets {
                let metric = catalogue
                    .iter()
                    .find(|m| &m.code == code)
                    .ok_or_else(|| Error::invalid(format!("target.{code}"), keyed("error.unknown_metric", &[code])))?;
                check_target((code, &metric.name), *value, metric.max_per_record)?;
                targets.push((code.clone(), *value));
            }
            duties.push(NewDuty {
                unit_id: unit.id,
                unit_path: unit.region_path,
                title: parse_name("title", &d.title)?,
                description: d.description.trim().to_owned(),
                due_on,
                targets,
            });
        }
        store::insert_duties(db, campaign_id, &duties).await
    }
    .await;
    me.audited(db, "duty.create", ("campaign", &campaign_id.to_string()), r).await
}
