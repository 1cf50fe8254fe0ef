//! Volunteer teams: their sponsor, leader and founding date.

use serde::Serialize;
use sqlx::FromRow;
use time::Date;
use utoipa::ToSchema;

use crate::db::Db;
use crate::org::Scope;
use crate::{Error, Result, clock, on_db};

/// A volunteer team: its unit and what `volunteer_team` adds.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
#[schema(as = VolunteerTeam)]
pub struct Team {
    /// Unit id (the team's id).
    pub id: i64,
    pub(crate) name: String,
    /// Region code of the unit.
    pub region_code: String,
    /// Region name.
    pub region_name: String,
    /// Region path.
    pub region_path: String,
    /// Sponsoring organisation.
    pub sponsor: String,
    /// Leading member.
    pub leader_member_id: Option<i64>,
    /// Their name.
    pub leader_name: Option<String>,
    /// Founded.
    #[schema(value_type = Option<String>, format = Date)]
    pub founded_on: Option<Date>,
    /// About the team.
    pub description: String,
    /// Active members.
    pub members: i64,
}

const TEAM_SELECT: &str = "select u.id, u.name, u.region_code, r.name as region_name, u.region_path, \
     coalesce(t.sponsor, '') as sponsor, t.leader_member_id, l.name as leader_name, t.founded_on, \
     coalesce(t.description, '') as description, \
     (select count(*) from volunteer_member m where m.team_id = u.id and m.active) as members \
     from unit u join region r on r.code = u.region_code left join volunteer_team t on t.unit_id = u.id \
     left join volunteer_member l on l.id = t.leader_member_id \
     where u.kind = 'volunteer_team' and u.region_path >= $1 and u.region_path < $2";

/// Teams inside the scope.
pub async fn teams(db: &Db, scope: &Scope) -> Result<Vec<Team>> {
    let (low, high) = scope.bounds();
    let sql = format!("{TEAM_SELECT} order by u.region_path, u.name");
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(low).bind(&high).fetch_all(p).await)?)
}

/// One team inside the scope.
pub async fn team(db: &Db, scope: &Scope, id: i64) -> Result<Team> {
    let (low, high) = scope.bounds();
    let sql = format!("{TEAM_SELECT} and u.id = $3");
    on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(low).bind(&high).bind(id).fetch_optional(p).await)?
        .ok_or(Error::NotFound)
}

/// What `volunteer_team` holds about a team.
#[derive(Clone, Debug)]
pub struct TeamDetails {
    /// Sponsoring organisation.
    pub sponsor: String,
    /// Leading member (a member of the team).
    pub leader_member_id: Option<i64>,
    pub(crate) founded_on: Option<Date>,
    /// About the team.
    pub description: String,
}

/// Stores a team's details (the caller has checked the team and leader).
pub async fn save_team(db: &Db, team_id: i64, d: &TeamDetails) -> Result<()> {
    on_db!(db, |p| sqlx::query(
        "insert into volunteer_team (unit_id, sponsor, leader_member_id, founded_on, description, updated_at) \
         values ($1, $2, $3, $4, $5, $6) on conflict (unit_id) do update set sponsor = excluded.sponsor, \
         leader_member_id = excluded.leader_member_id, founded_on = excluded.founded_on, \
         description = excluded.description, updated_at = excluded.updated_at"
    )
    .bind(team_id)
    .bind(&d.sponsor)
    .bind(d.leader_member_id)
    .bind(d.founded_on)
    .bind(&d.description)
    .bind(clock::now())
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}
