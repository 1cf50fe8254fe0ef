//! The read side shared by the hazard API and pages: list filters and pages, one report with its
//! timeline, the map's counts, and the reporter's tracking view.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::store::{self, Event, Filter, Hazard, PhotoInfo};
use super::{ReporterKind, State as HazardState, Transition, actions};
use crate::db::Db;
use crate::org::{self, caller::Principal};
use crate::{Error, Result, clock};

/// List parameters.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
pub struct ListParams {
    pub(crate) state: Option<String>,
    /// Category code.
    pub category: Option<String>,
    /// Region code (inside your area).
    pub region: Option<String>,
    /// Only open hazards past their deadline (`true`).
    pub overdue: Option<bool>,
    /// `volunteer`, `grid_worker`, `resident` or `staff`.
    pub reporter_kind: Option<String>,
    /// Only those you reported (`true`).
    pub mine: Option<bool>,
    /// Only those overdue and escalated to your unit (`true`).
    pub escalated: Option<bool>,
    /// Address, description or tracking code contains.
    pub q: Option<String>,
    /// Keyset paging: ids below this one.
    pub before: Option<i64>,
    /// Page size (at most 500, default 50).
    pub limit: Option<i64>,
}

impl ListParams {
    /// The store filter; the region must lie inside the scope.
    pub async fn filter(&self, db: &Db, me: &Principal) -> Result<Filter> {
        let blank = |o: &Option<String>| o.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
        let under = match blank(&self.region) {
            Some(code) => Some(
                org::store::region(db, &me.scope, &code)
                    .await
                    .map_err(|_| Error::invalid("region", "error.region_outside"))?
                    .path,
            ),
            None => None,
        };
        Ok(Filter {
            state: blank(&self.state)
                .map(|v| HazardState::parse(&v).ok_or_else(|| Error::invalid("state", "error.hazard_state")))
                .transpose()?,
            category: blank(&self.category),
            under,
            overdue: self.overdue.unwrap_or(false),
            reporter_kind: blank(&self.reporter_kind)
                .map(|v| ReporterKind::parse(&v).ok_or_else(|| Error::invalid("reporter_kind", "error.reporter_kind")))
                .transpose()?,
            reporter_user_id: self.mine.unwrap_or(false).then_some(me.user.id),
            q: blank(&self.q).map(|q| q.chars().take(100).collect()),
            escalated_to: self.escalated.unwrap_or(false).then(|| me.user.region_path.clone()),
        })
    }
}

/// A page of hazards.
#[derive(Serialize, ToSchema)]
pub struct HazardPage {
    /// How many match (from the counters, or counted up to 2,000).
    pub total: i64,
    /// This page, newest first.
    pub items: Vec<Hazard>,
    /// Pass as `before` for the next page (none on the last page).
    pub next_before: Option<i64>,
}

/// A page of hazards for a filter.
pub async fn page(db: &Db, me: &Principal, f: &Filter, before: Option<i64>, limit: i64) -> Result<HazardPage> {
    let now = clock::now();
    let mut items = store::list(db, &me.scope, f, before, limit + 1, now).await?;
    let next_before = if items.len() > usize::try_from(limit).unwrap_or(0) {
        items.truncate(usize::try_from(limit).unwrap_or(0));
        items.last().map(|h| h.id)
    } else {
        None
    };
    let total = store::count(db, &me.scope, f, now, 2_000).await?;
    Ok(HazardPage { total, items, next_before })
}

/// A hazard with its timeline, photos and the transitions you may press.
#[derive(Serialize, ToSchema)]
pub struct HazardDetail {
    /// The hazard.
    pub hazard: Hazard,
    /// Its timeline.
    pub events: Vec<Event>,
    /// Its photos.
    pub photos: Vec<PhotoInfo>,
    /// What you may do now.
    pub allowed: Vec<Transition>,
    /// Open and past its deadline.
    pub overdue: bool,
}

/// One hazard in your area, with everything about it.
pub async fn detail(db: &Db, me: &Principal, id: i64) -> Result<HazardDetail> {
    let hazard = store::hazard(db, &me.scope, id).await?;
    Ok(HazardDetail {
        events: store::events(db, id, false).await?,
        photos: store::photos(db, id).await?,
        allowed: actions::allowed(me, &hazard),
        overdue: hazard.overdue(clock::now()),
        hazard,
    })
}

/// A region's value on the map.
#[derive(Serialize, ToSchema)]
pub struct MapCount {
    /// Region code (6 digits).
    pub code: String,
    pub(crate) count: i64,
}

/// Hazard counts per prefecture or county (the map's values), with the list filters.
pub async fn map_counts(db: &Db, me: &Principal, county: bool, f: &Filter) -> Result<Vec<MapCount>> {
    let len = if county { 16 } else { 9 };
    let rows = store::counts_by_region(db, &me.scope, f, len, clock::now()).await?;
    Ok(rows
        .into_iter()
        .filter_map(|(path, count)| {
            let code = crate::org::path::code_of(&path)?;
            Some(MapCount { code, count })
        })
        .collect())
}

/// What the reporter sees: state and the notes meant for them, no names or numbers.
#[derive(Serialize, ToSchema)]
pub struct Tracking {
    pub(crate) state: HazardState,
    /// Category code.
    pub category: String,
    /// Category name.
    pub category_name: String,
    /// Place name.
    pub region_name: String,
    pub(crate) address: String,
    /// Reported.
    #[schema(value_type = String)]
    pub created_at: OffsetDateTime,
    /// Answer due.
    #[schema(value_type = String)]
    pub answer_due_at: OffsetDateTime,
    /// Closed.
    #[schema(value_type = Option<String>)]
    pub closed_at: Option<OffsetDateTime>,
    /// The timeline.
    pub timeline: Vec<TrackingEntry>,
}

/// One step the reporter sees.
#[derive(Serialize, ToSchema)]
pub struct TrackingEntry {
    /// When.
    #[schema(value_type = String)]
    pub at: OffsetDateTime,
    pub(crate) action: String,
    /// The state after.
    pub state: HazardState,
    /// The note for the reporter.
    pub note: String,
}

/// The reporter's view of a report.
pub async fn tracking(db: &Db, code: &str) -> Result<Tracking> {
    let h = store::by_code(db, code).await?;
    let timeline = store::events(db, h.id, true)
        .await?
        .into_iter()
        .map(|e| TrackingEntry { at: e.at, action: e.action, state: e.to_state, note: e.note })
        .collect();
    Ok(Tracking {
        state: h.state,
        category: h.category,
        category_name: h.category_name,
        region_name: h.region_name,
        address: h.address,
        created_at: h.created_at,
        answer_due_at: h.answer_due_at,
        closed_at: h.closed_at,
        timeline,
    })
}
