//! Lists of reports: filters, pages, counts, counts by region, duplicates and the public rate limit.

use time::OffsetDateTime;

use super::{HAZARD_SELECT, Hazard};
use crate::db::Db;
use crate::hazard::State;
use crate::org::Scope;
use crate::{Result, on_db};

/// List filters (every one optional).
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub(crate) state: Option<State>,
    /// Category code.
    pub category: Option<String>,
    /// Under this region path (inside the scope).
    pub under: Option<String>,
    /// Only open hazards past their deadline.
    pub overdue: bool,
    /// Reporter kind.
    pub reporter_kind: Option<crate::hazard::ReporterKind>,
    /// Reported by this account.
    pub reporter_user_id: Option<i64>,
    /// Address, description or tracking code contains.
    pub q: Option<String>,
    /// Escalated to the unit at this path (open, escalated, handled there).
    pub escalated_to: Option<String>,
}

impl Filter {
    /// Whether only the state (or nothing) is filtered, so the counters answer how many match.
    pub fn counted(&self) -> bool {
        self.category.is_none()
            && !self.overdue
            && self.reporter_kind.is_none()
            && self.reporter_user_id.is_none()
            && self.q.is_none()
            && self.escalated_to.is_none()
            && self.under.as_ref().is_none_or(|p| p.len() <= crate::hazard::COUNTED_PATH_MAX)
    }
}

/// Writes the filter's conditions. With `wide`, the region bounds are written so that no index
/// serves them (`region_path || ''`): for a filter that matches many rows, walking the newest ids
/// and skipping the few that do not match beats reading the whole region to sort it.
fn push_filter<DB: sqlx::Database>(
    q: &mut sqlx::QueryBuilder<DB>,
    scope: &Scope,
    f: &Filter,
    now: OffsetDateTime,
    wide: bool,
) where
    String: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    i64: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    OffsetDateTime: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    let (low, high) = scope.bounds();
    let column = if wide { " h.region_path || ''" } else { " h.region_path" };
    q.push(" where")
        .push(column)
        .push(" >= ")
        .push_bind(low.to_owned())
        .push(" and")
        .push(column)
        .push(" < ")
        .push_bind(high);
    if let Some(under) = &f.under {
        let inner_high = Scope::under(under).bounds().1;
        q.push(" and")
            .push(column)
            .push(" >= ")
            .push_bind(under.clone())
            .push(" and")
            .push(column)
            .push(" < ")
            .push_bind(inner_high);
    }
    if let Some(s) = f.state {
        q.push(" and h.state = ").push_bind(s.as_str().to_owned());
    }
    if let Some(c) = &f.category {
        q.push(" and h.category = ").push_bind(c.clone());
    }
    if f.overdue {
        q.push(" and h.closed_at is null and h.due_at < ").push_bind(now);
    }
    if let Some(k) = f.reporter_kind {
        q.push(" and h.reporter_kind = ").push_bind(k.as_str().to_owned());
    }
    if let Some(u) = f.reporter_user_id {
        q.push(" and h.reporter_user_id = ").push_bind(u);
    }
    if let Some(path) = &f.escalated_to {
        q.push(" and h.closed_at is null and h.escalation_level > 0 and h.handling_path = ").push_bind(path.clone());
    }
    if let Some(text) = &f.q {
        q.push(" and (h.address like ")
            .push_bind(format!("%{text}%"))
            .push(" or h.description like ")
            .push_bind(format!("%{text}%"))
            .push(" or h.tracking_code = ")
            .push_bind(text.clone())
            .push(")");
    }
}

/// Hazards inside the scope matching the filter, newest first, `limit` of them below id `before`
/// (keyset paging).
pub async fn list(
    db: &Db,
    scope: &Scope,
    f: &Filter,
    before: Option<i64>,
    limit: i64,
    now: OffsetDateTime,
) -> Result<Vec<Hazard>> {
    let wide = walk_newest(db, scope, f, limit).await?;
    // The ids first, from the hazards alone, so the planner cannot start from a joined table.
    let (fields, joins) = HAZARD_SELECT.split_once(" from hazard h ").unwrap_or((HAZARD_SELECT, ""));
    Ok(on_db!(db, |p| {
        let mut q = sqlx::QueryBuilder::new(format!("{fields} from (select h.id from hazard h"));
        push_filter(&mut q, scope, f, now, wide);
        if let Some(b) = before {
            q.push(" and h.id < ").push_bind(b);
        }
        q.push(" order by h.id desc limit ").push_bind(limit);
        q.push(format!(") k join hazard h on h.id = k.id {joins} order by h.id desc"));
        q.build_query_as().fetch_all(p).await
    })?)
}

/// A filter expected to match at least this many hazards may be listed by walking the newest ids.
const WIDE_ROWS: i64 = 500;

/// Whether walking the newest ids (skipping those that do not match) reads fewer rows than
/// reading every match through the indexes and sorting them: the walk reads about
/// `limit × all / matches` rows, the indexes `matches`. Only the `Db::Sqlite` backend is told
/// so: the `Db::Postgres` planner weighs the same from its statistics, and hiding the region
/// from it spoils its estimate of how many rows match (it then sorts every overdue report
/// instead of walking).
async fn walk_newest(db: &Db, scope: &Scope, f: &Filter, limit: i64) -> Result<bool> {
    if matches!(db, Db::Postgres(_)) {
        return Ok(false);
    }
    let matches = estimate(db, scope, f).await?;
    if matches < WIDE_ROWS {
        return Ok(false);
    }
    let all = if scope.path().len() > crate::hazard::COUNTED_PATH_MAX {
        matches
    } else {
        counted_total(db, scope.path(), None).await?
    };
    Ok(matches.saturating_mul(matches) >= limit.max(1).saturating_mul(all))
}

/// Roughly how many hazards a filter matches: the counters for the region and state, thinned by
/// a guess for each other condition.
async fn estimate(db: &Db, scope: &Scope, f: &Filter) -> Result<i64> {
    let path = f.under.clone().unwrap_or_else(|| scope.path().to_owned());
    if path.len() > crate::hazard::COUNTED_PATH_MAX {
        return Ok(0);
    }
    let mut n = counted_total(db, &path, f.state).await?;
    for (on, share) in [
        (f.category.is_some(), 10),
        (f.reporter_kind.is_some(), 4),
        (f.overdue, 10),
        (f.reporter_user_id.is_some(), 1000),
        (f.escalated_to.is_some(), 100),
        (f.q.is_some(), 1000),
    ] {
        if on {
            n /= share;
        }
    }
    Ok(n)
}

/// How many hazards the filter finds, read from the counters when only the region and state are
/// filtered, else counted (up to `cap`).
pub async fn count(db: &Db, scope: &Scope, f: &Filter, now: OffsetDateTime, cap: i64) -> Result<i64> {
    if f.counted() {
        let path = f.under.clone().unwrap_or_else(|| scope.path().to_owned());
        return counted_total(db, &path, f.state).await;
    }
    let wide = walk_newest(db, scope, f, cap).await?;
    Ok(on_db!(db, |p| {
        let mut q = sqlx::QueryBuilder::new("select count(*) from (select 1 from hazard h");
        push_filter(&mut q, scope, f, now, wide);
        q.push(" limit ").push_bind(cap).push(") t");
        q.build_query_scalar().fetch_one(p).await
    })?)
}

/// The counters' total for a region path (down to township level), of one state or all.
async fn counted_total(db: &Db, path: &str, state: Option<State>) -> Result<i64> {
    Ok(on_db!(db, |p| {
        sqlx::query_scalar(
        "select cast(coalesce(sum(n), 0) as bigint) from hazard_count where region_path = $1 and ($2 is null or state = $2)"
    )
    .bind(path)
    .bind(state.map(State::as_str))
    .fetch_one(p)
    .await
    })?)
}

/// Hazards per region (paths cut to `len` characters) inside the scope matching the filter: the
/// choropleth's values. Read from the counters when only the state is filtered.
pub async fn counts_by_region(
    db: &Db,
    scope: &Scope,
    f: &Filter,
    len: i64,
    now: OffsetDateTime,
) -> Result<Vec<(String, i64)>> {
    let high = scope.bounds().1;
    if f.counted() && f.under.is_none() && usize::try_from(len).is_ok_and(|l| l <= crate::hazard::COUNTED_PATH_MAX) {
        return Ok(on_db!(db, |p| sqlx::query_as(
            "select region_path, cast(sum(n) as bigint) from hazard_count where region_path >= $1 and region_path < $2 \
             and length(region_path) = $3 and ($4 is null or state = $4) group by region_path"
        )
        .bind(scope.path())
        .bind(&high)
        .bind(len)
        .bind(f.state.map(State::as_str))
        .fetch_all(p)
        .await)?);
    }
    Ok(on_db!(db, |p| {
        // One bound length, cast (PostgreSQL's substr takes an integer), grouped by position: two
        // binds would be two expressions to PostgreSQL.
        let mut q = sqlx::QueryBuilder::new("select substr(h.region_path, 1, cast(");
        q.push_bind(len).push(" as integer)) as path, count(*) from hazard h");
        push_filter(&mut q, scope, f, now, false);
        q.push(" group by 1");
        q.build_query_as().fetch_all(p).await
    })?)
}

/// An open report of the same place and category made since `since`: (id, reported, address).
pub async fn duplicate_candidate(
    db: &Db,
    region_path: &str,
    category: &str,
    since: OffsetDateTime,
) -> Result<Option<(i64, OffsetDateTime, String)>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "select id, created_at, address from hazard where region_path = $1 and category = $2 and created_at >= $3 \
         and closed_at is null order by id desc limit 1"
    )
    .bind(region_path)
    .bind(category)
    .bind(since)
    .fetch_optional(p)
    .await)?)
}

/// What waits for a unit among open reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Waiting {
    /// To verify, or to re-inspect once fixed, where the unit handles them (fire service only).
    pub to_check: i64,
    /// Given to the unit to fix (assigned or referred, not yet reported fixed).
    pub to_fix: i64,
    /// Raised to the unit past their deadline (fire service only).
    pub escalated: i64,
}

/// The open reports waiting for the unit `unit_id` at region `path`; `checks` when it verifies
/// and re-inspects (the fire service).
pub async fn waiting(db: &Db, unit_id: i64, path: &str, checks: bool) -> Result<Waiting> {
    let (to_check, to_fix, escalated): (i64, i64, i64) = on_db!(db, |p| {
        sqlx::query_as(
        "select \
           cast(coalesce(sum(case when $3 and handling_path = $2 and state in ('reported', 'rectified') then 1 else 0 end), 0) as bigint), \
           cast(coalesce(sum(case when (assigned_unit_id = $1 or referred_unit_id = $1) \
             and state in ('assigned', 'referred', 'rectifying') then 1 else 0 end), 0) as bigint), \
           cast(coalesce(sum(case when $3 and handling_path = $2 and escalation_level > 0 then 1 else 0 end), 0) as bigint) \
         from hazard where closed_at is null and (handling_path = $2 or assigned_unit_id = $1 or referred_unit_id = $1)"
    )
    .bind(unit_id)
    .bind(path)
    .bind(checks)
    .fetch_one(p)
    .await
    })?;
    Ok(Waiting { to_check, to_fix, escalated })
}
