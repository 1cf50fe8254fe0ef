//! Every SQL statement about campaigns, duties, their targets and the metric catalogue.

use serde::Serialize;
use sqlx::FromRow;
use time::Date;
use utoipa::ToSchema;

use super::Status;
use crate::db::Db;
use crate::error::ResultExt as _;
use crate::org::Scope;
use crate::{Error, Result, clock, on_db, on_tx};

/// A kind of figure and how it is counted.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Metric {
    /// Stable code, e.g. `handouts`.
    pub code: String,
    /// Chinese name.
    pub name: String,
    /// English name.
    pub name_en: String,
    /// Counting unit: 份, 张, 人, 家, 场次, 条, 条次, 部, 人次, 支.
    pub unit: String,
    /// How it sums: `figure` (approved activity figures), `news:LEVEL` (distinct stories at a media
    /// level), `airings` (aired counts), or counted elsewhere in firecast: `push:products`,
    /// `hazards:found`, `hazards:rectified`, `volunteer:hours` (see `Metric::source_kind`).
    pub source: String,
    /// The largest value one record may carry (0 for register metrics).
    pub max_per_record: i64,
    /// Display order.
    pub sort: i64,
    /// Shipped with firecast (cannot be removed).
    pub builtin: bool,
}

/// A campaign.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Campaign {
    /// Id.
    pub id: i64,
    /// Name, e.g. 2024年全省消防宣传月.
    pub name: String,
    /// Theme, e.g. 全民消防、生命至上.
    pub theme: String,
    /// First day.
    #[schema(value_type = String, format = Date)]
    pub starts_on: Date,
    /// Last day.
    #[schema(value_type = String, format = Date)]
    pub ends_on: Date,
    /// Owner unit.
    pub owner_unit_id: i64,
    /// Its name.
    pub owner_name: String,
    /// Its region path.
    pub owner_path: String,
    /// planning, running or closed.
    pub status: Status,
    /// The campaign this one was started from.
    pub copied_from: Option<i64>,
}

const CAMPAIGN_SELECT: &str = "select c.id, c.name, c.theme, c.starts_on, c.ends_on, c.owner_unit_id, u.name as owner_name, \
     c.owner_path, c.status, c.copied_from from campaign c join unit u on u.id = c.owner_unit_id";

/// Campaigns visible in a scope: those owned inside it and those owned above it.
const CAMPAIGN_VISIBLE: &str = "(c.owner_path >= $1 and c.owner_path < $2 or $1 like c.owner_path || '%')";

/// A duty with the unit it is assigned to.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Duty {
    pub(crate) id: i64,
    pub(crate) campaign_id: i64,
    /// Assigned unit.
    pub unit_id: i64,
    /// Its name.
    pub unit_name: String,
    /// Its kind (a line department's duty is told among the departments' work).
    pub unit_kind: crate::org::UnitKind,
    /// Its region path.
    pub unit_path: String,
    /// What to do.
    pub title: String,
    pub(crate) description: String,
    /// Due date.
    #[schema(value_type = String, format = Date)]
    pub due_on: Date,
}

const DUTY_SELECT: &str = "select d.id, d.campaign_id, d.unit_id, u.name as unit_name, u.kind as unit_kind, d.unit_path, d.title, d.description, \
     d.due_on from duty d join unit u on u.id = d.unit_id";

/// A target of a duty with the progress summed from approved activities.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Target {
    pub(crate) duty_id: i64,
    pub(crate) metric_code: String,
    /// Target value.
    pub target: i64,
    /// Approved so far.
    pub progress: i64,
}

/// A new duty.
#[derive(Clone, Debug)]
pub struct NewDuty {
    /// Assigned unit.
    pub unit_id: i64,
    /// Its region path.
    pub unit_path: String,
    /// What to do.
    pub title: String,
    pub(crate) description: String,
    /// Due date.
    pub due_on: Date,
    /// (metric, target) pairs.
    pub targets: Vec<(String, i64)>,
}

// ---- metrics ----

/// The metric catalogue in display order.
pub async fn metrics(db: &Db) -> Result<Vec<Metric>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "select code, name, name_en, unit, source, max_per_record, sort, builtin from metric order by sort, code"
    )
    .fetch_all(p)
    .await)?)
}

/// Adds a metric counted from activity figures.
pub async fn insert_metric(
    db: &Db,
    code: &str,
    name: &str,
    name_en: &str,
    unit: &str,
    max_per_record: i64,
) -> Result<()> {
    on_db!(db, |p| sqlx::query(
        "insert into metric (code, name, name_en, unit, source, max_per_record, sort, builtin) \
         values ($1, $2, $3, $4, 'figure', $5, (select coalesce(max(sort), 0) + 10 from metric), false)"
    )
    .bind(code)
    .bind(name)
    .bind(name_en)
    .bind(unit)
    .bind(max_per_record)
    .execute(p)
    .await
    .map(|_| ()))
    .on_constraint("metric(code)", "error.metric_code_taken")
}

// ---- campaigns ----

/// Campaigns visible in the scope, newest first.
pub async fn campaigns(db: &Db, scope: &Scope) -> Result<Vec<Campaign>> {
    let (low, high) = scope.bounds();
    let sql = format!("{CAMPAIGN_SELECT} where {CAMPAIGN_VISIBLE} order by c.starts_on desc, c.id desc");
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(low).bind(&high).fetch_all(p).await)?)
}

/// The campaigns running on `today` over the place at `path`: owned by its unit or one above it.
pub async fn running_over(db: &Db, path: &str, today: Date) -> Result<Vec<Campaign>> {
    Ok(campaigns(db, &Scope::under(path))
        .await?
        .into_iter()
        .filter(|c| c.starts_on <= today && today <= c.ends_on && path.starts_with(&c.owner_path))
        .collect())
}

/// One campaign visible in the scope.
pub async fn campaign(db: &Db, scope: &Scope, id: i64) -> Result<Campaign> {
    let (low, high) = scope.bounds();
    let sql = format!("{CAMPAIGN_SELECT} where {CAMPAIGN_VISIBLE} and c.id = $3");
    on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(low).bind(&high).bind(id).fetch_optional(p).await)?
        .ok_or(Error::NotFound)
}

/// The newest campaign visible in the scope that is running (or else the newest at all).
pub async fn current_campaign(db: &Db, scope: &Scope) -> Result<Option<Campaign>> {
    let all = campaigns(db, scope).await?;
    let running = all.iter().position(|c| c.status == Status::Running);
    Ok(running.or(if all.is_empty() { None } else { Some(0) }).map(|i| all[i].clone()))
}

/// Stores a campaign (the caller has checked the owner unit and period).
pub async fn insert_campaign(
    db: &Db,
    name: &str,
    theme: &str,
    period: (Date, Date),
    owner: (i64, &str),
    copied_from: Option<i64>,
) -> Result<i64> {
    Ok(on_db!(db, |p| {
        sqlx::query_scalar(
        "insert into campaign (name, theme, starts_on, ends_on, owner_unit_id, owner_path, status, copied_from, created_at) \
         values ($1, $2, $3, $4, $5, $6, 'planning', $7, $8) returning id"
    )
    .bind(name)
    .bind(theme)
    .bind(period.0)
    .bind(period.1)
    .bind(owner.0)
    .bind(owner.1)
    .bind(copied_from)
    .bind(clock::now())
    .fetch_one(p)
    .await
    })?)
}

/// Changes a campaign's status.
pub async fn set_status(db: &Db, id: i64, status: Status) -> Result<()> {
    on_db!(db, |p| sqlx::query("update campaign set status = $1 where id = $2")
        .bind(status)
        .bind(id)
        .execute(p)
        .await
        .map(|_| ()))?;
    Ok(())
}

// ---- duties ----

/// Stores duties with their targets in one transaction.
pub async fn insert_duties(db: &Db, campaign_id: i64, duties: &[NewDuty]) -> Result<Vec<i64>> {
    let mut tx = db.begin().await?;
    let now = clock::now();
    let mut ids = Vec::with_capacity(duties.len());
    on_tx!(&mut tx, |c| {
        for d in duties {
            let id: i64 = sqlx::query_scalar(
                "insert into duty (campaign_id, unit_id, unit_path, title, description, due_on, created_at) \
                 values ($1, $2, $3, $4, $5, $6, $7) returning id",
            )
            .bind(campaign_id)
            .bind(d.unit_id)
            .bind(&d.unit_path)
            .bind(&d.title)
            .bind(&d.description)
            .bind(d.due_on)
            .bind(now)
            .fetch_one(&mut *c)
            .await?;
            for (metric, target) in &d.targets {
                sqlx::query("insert into duty_target (duty_id, metric_code, target) values ($1, $2, $3)")
                    .bind(id)
                    .bind(metric)
                    .bind(target)
                    .execute(&mut *c)
                    .await?;
            }
            ids.push(id);
        }
    });
    tx.commit().await?;
    Ok(ids)
}

/// Duties of a campaign assigned to units inside the scope, by due date.
pub async fn duties(db: &Db, scope: &Scope, campaign_id: i64) -> Result<Vec<Duty>> {
    let (low, high) = scope.bounds();
    let sql = format!(
        "{DUTY_SELECT} where d.campaign_id = $1 and d.unit_path >= $2 and d.unit_path < $3 order by d.due_on, d.unit_path, d.id"
    );
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(campaign_id)
        .bind(low)
        .bind(&high)
        .fetch_all(p)
        .await)?)
}

/// One duty assigned inside the scope.
pub async fn duty(db: &Db, scope: &Scope, id: i64) -> Result<Duty> {
    let (low, high) = scope.bounds();
    let sql = format!("{DUTY_SELECT} where d.id = $1 and d.unit_path >= $2 and d.unit_path < $3");
    on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).bind(low).bind(&high).fetch_optional(p).await)?
        .ok_or(Error::NotFound)
}

/// The duties of one unit in campaigns that are not closed, by due date.
pub async fn unit_duties(db: &Db, unit_id: i64) -> Result<Vec<Duty>> {
    let sql = format!(
        "{DUTY_SELECT} join campaign c on c.id = d.campaign_id where d.unit_id = $1 and c.status <> 'closed' order by d.due_on, d.id"
    );
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(unit_id).fetch_all(p).await)?)
}

/// Targets and progress of a campaign's duties inside the scope.
pub async fn targets(db: &Db, scope: &Scope, campaign_id: i64) -> Result<Vec<Target>> {
    let (low, high) = scope.bounds();
    Ok(on_db!(db, |p| sqlx::query_as(
        "select t.duty_id, t.metric_code, t.target, coalesce(g.value, 0) as progress from duty_target t \
         join duty d on d.id = t.duty_id \
         left join duty_progress g on g.duty_id = t.duty_id and g.metric_code = t.metric_code \
         where d.campaign_id = $1 and d.unit_path >= $2 and d.unit_path < $3 order by t.duty_id, t.metric_code"
    )
    .bind(campaign_id)
    .bind(low)
    .bind(&high)
    .fetch_all(p)
    .await)?)
}

/// Targets and progress of one unit's duties in campaigns that are not closed.
pub async fn unit_targets(db: &Db, unit_id: i64) -> Result<Vec<Target>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "select t.duty_id, t.metric_code, t.target, coalesce(g.value, 0) as progress from duty_target t \
         join duty d on d.id = t.duty_id join campaign c on c.id = d.campaign_id \
         left join duty_progress g on g.duty_id = t.duty_id and g.metric_code = t.metric_code \
         where d.unit_id = $1 and c.status <> 'closed' order by t.duty_id, t.metric_code"
    )
    .bind(unit_id)
    .fetch_all(p)
    .await)?)
}
