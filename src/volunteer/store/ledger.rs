//! The hours ledger: credited minutes per member and day.

use serde::Serialize;
use sqlx::FromRow;
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use super::day_minutes_in;
use crate::activity::store::Total;
use crate::db::{CHUNK_ROWS, Db};
use crate::org::Scope;
use crate::volunteer::check_day_total;
use crate::{Result, clock, on_db, on_tx};

/// One entry of the ledger.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct HoursEntry {
    pub(crate) id: i64,
    pub(crate) member_id: i64,
    /// Member's name.
    pub member_name: String,
    /// The event served (none for manual credits and corrections).
    pub event_id: Option<i64>,
    /// Its title.
    pub event_title: Option<String>,
    /// The day credited.
    #[schema(value_type = String, format = Date)]
    pub day: Date,
    /// Minutes (negative for a correction).
    pub minutes: i64,
    /// Why (for manual credits and corrections).
    pub reason: String,
    /// Who credited it (none for a check-out on the public page).
    pub credited_by: Option<i64>,
    /// When.
    #[schema(value_type = String)]
    pub created_at: OffsetDateTime,
}

/// Ledger entries of a team (or one member) inside the scope, newest first.
pub async fn ledger(
    db: &Db,
    scope: &Scope,
    team_id: i64,
    member_id: Option<i64>,
    limit: i64,
) -> Result<Vec<HoursEntry>> {
    let (low, high) = scope.bounds();
    Ok(on_db!(db, |p| {
        sqlx::query_as(
        "select h.id, h.member_id, m.name as member_name, h.event_id, e.title as event_title, h.day, h.minutes, h.reason, \
         h.credited_by, h.created_at from volunteer_hours h join volunteer_member m on m.id = h.member_id \
         left join service_event e on e.id = h.event_id where h.team_id = $1 and h.team_path >= $2 and h.team_path < $3 \
         and ($4 is null or h.member_id = $4) order by h.day desc, h.id desc limit $5"
    )
    .bind(team_id)
    .bind(low)
    .bind(&high)
    .bind(member_id)
    .bind(limit)
    .fetch_all(p)
    .await
    })?)
}

/// Adds a manual credit or a correction (negative minutes) for a member, refusing a day past 24
/// hours or below zero.
pub async fn add_hours(db: &Db, member_id: i64, day: Date, minutes: i64, reason: &str, by: i64) -> Result<i64> {
    let mut tx = db.begin().await?;
    // Take the write lock first so that two credits of one day cannot both pass the check.
    on_tx!(&mut tx, |c| sqlx::query("update volunteer_member set active = active where id = $1")
        .bind(member_id)
        .execute(&mut *c)
        .await?
        .rows_affected());
    let already = day_minutes_in(&mut tx, member_id, day).await?;
    check_day_total(day, already, minutes)?;
    let id = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
        "insert into volunteer_hours (member_id, team_id, team_path, event_id, day, minutes, reason, credited_by, created_at) \
         select m.id, m.team_id, m.team_path, null, $1, $2, $3, $4, $5 from volunteer_member m where m.id = $6 returning id"
    )
    .bind(day)
    .bind(minutes)
    .bind(reason)
    .bind(by)
    .bind(clock::now())
    .bind(member_id)
    .fetch_one(&mut *c)
    .await?
    });
    tx.commit().await?;
    Ok(id)
}

/// Stores ledger entries (demo data) in one transaction: (member, event, day, minutes, reason).
pub async fn insert_hours(db: &Db, rows: &[(i64, Option<i64>, Date, i64, String)], by: Option<i64>) -> Result<()> {
    let mut tx = db.begin().await?;
    let now = clock::now();
    on_tx!(&mut tx, |c| {
        for chunk in rows.chunks(CHUNK_ROWS) {
            let mut q = sqlx::QueryBuilder::new(
                "insert into volunteer_hours (member_id, team_id, team_path, event_id, day, minutes, reason, credited_by, created_at) \
                 select m.id, m.team_id, m.team_path, v.event_id, v.day, v.minutes, v.reason, v.credited_by, v.created_at from (",
            );
            let mut first = true;
            for (member, event, day, minutes, reason) in chunk {
                if !first {
                    q.push(" union all ");
                }
                first = false;
                q.push("select ")
                    .push_bind(*member)
                    .push(" as member_id, ")
                    .push_bind(*event)
                    .push(" as event_id, ")
                    .push_bind(*day)
                    .push(" as day, ")
                    .push_bind(*minutes)
                    .push(" as minutes, ")
                    .push_bind(reason)
                    .push(" as reason, ")
                    .push_bind(by)
                    .push(" as credited_by, ")
                    .push_bind(now)
                    .push(" as created_at");
            }
            q.push(") v join volunteer_member m on m.id = v.member_id");
            q.build().execute(&mut *c).await?;
        }
    });
    tx.commit().await?;
    Ok(())
}

/// Days that bound the whole ledger (both backends can hold them).
pub const EVER: (Date, Date) = (time::macros::date!(1900 - 01 - 01), time::macros::date!(9999 - 12 - 31));

/// A member's totals (whole ledger, or within a period).
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct MemberTally {
    pub(crate) member_id: i64,
    pub(crate) member_name: String,
    /// Team id.
    pub team_id: i64,
    /// Team name.
    pub team_name: String,
    /// Minutes credited.
    pub minutes: i64,
    /// Events served.
    pub events: i64,
    /// Home hazard checks served.
    pub home_checks: i64,
}

/// A team's totals within a period.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct TeamTally {
    /// Team id.
    pub team_id: i64,
    /// Team name.
    pub team_name: String,
    /// Minutes credited to its members.
    pub minutes: i64,
    /// Members credited.
    pub members: i64,
    /// Events completed.
    pub events: i64,
    /// Home hazard checks completed.
    pub home_checks: i64,
}

/// Tallies per member inside the scope between two days (inclusive), most hours first; one team
/// when `team_id` is given.
pub async fn member_tallies(
    db: &Db,
    scope: &Scope,
    from: Date,
    to: Date,
    team_id: Option<i64>,
    limit: i64,
) -> Result<Vec<MemberTally>> {
    let (low, high) = scope.bounds();
    Ok(on_db!(db, |p| {
        sqlx::query_as(
        "select h.member_id, m.name as member_name, h.team_id, u.name as team_name, \
         cast(sum(h.minutes) as bigint) as minutes, count(distinct h.event_id) as events, \
         count(distinct case when e.kind = 'home_check' then h.event_id end) as home_checks \
         from volunteer_hours h join volunteer_member m on m.id = h.member_id join unit u on u.id = h.team_id \
         left join service_event e on e.id = h.event_id \
         where h.team_path >= $1 and h.team_path < $2 and h.day >= $3 and h.day <= $4 and ($5 is null or h.team_id = $5) \
         group by h.member_id, m.name, h.team_id, u.name having sum(h.minutes) > 0 \
         order by minutes desc, h.member_id limit $6"
    )
    .bind(low)
    .bind(&high)
    .bind(from)
    .bind(to)
    .bind(team_id)
    .bind(limit)
    .fetch_all(p)
    .await
    })?)
}

/// Tallies per team inside the scope between two days (inclusive), most hours first.
pub async fn team_tallies(db: &Db, scope: &Scope, from: Date, to: Date) -> Result<Vec<TeamTally>> {
    let (low, high) = scope.bounds();
    let from_t = from.midnight().assume_offset(clock::CST).to_offset(time::UtcOffset::UTC);
    let to_t = to.next_day().unwrap_or(to).midnight().assume_offset(clock::CST).to_offset(time::UtcOffset::UTC);
    Ok(on_db!(db, |p| {
        sqlx::query_as(
        "select u.id as team_id, u.name as team_name, \
         cast(coalesce((select sum(h.minutes) from volunteer_hours h where h.team_id = u.id and h.day >= $3 and h.day <= $4), 0) as bigint) as minutes, \
         (select count(distinct h.member_id) from volunteer_hours h where h.team_id = u.id and h.day >= $3 and h.day <= $4) as members, \
         (select count(*) from service_event e where e.team_id = u.id and e.state = 'completed' and e.starts_at >= $5 and e.starts_at < $6) as events, \
         (select count(*) from service_event e where e.team_id = u.id and e.state = 'completed' and e.kind = 'home_check' \
          and e.starts_at >= $5 and e.starts_at < $6) as home_checks \
         from unit u where u.kind = 'volunteer_team' and u.region_path >= $1 and u.region_path < $2 \
         order by minutes desc, u.id"
    )
    .bind(low)
    .bind(&high)
    .bind(from)
    .bind(to)
    .bind(from_t)
    .bind(to_t)
    .fetch_all(p)
    .await
    })?)
}

/// Volunteer hours (whole hours of the ledger between two days) for the region at `path` and
/// each direct subdivision (paths `child_len` long), as metric `volunteer_hours`: what the
/// campaign overview adds beside the activity figures.
pub async fn hours_totals(db: &Db, from: Date, to: Date, path: &str, child_len: i64) -> Result<Vec<Total>> {
    let inner = Scope::under(path);
    let (low, high) = inner.bounds();
    Ok(on_db!(db, |p| {
        sqlx::query_as(
        "select $1 as region_path, 'volunteer_hours' as metric_code, cast(sum(minutes) as bigint) / 60 as value \
         from volunteer_hours where team_path >= $1 and team_path < $2 and day >= $4 and day <= $5 having sum(minutes) >= 60 \
         union all \
         select substr(team_path, 1, cast($3 as integer)), 'volunteer_hours', cast(sum(minutes) as bigint) / 60 \
         from volunteer_hours where team_path >= $1 and team_path < $2 and day >= $4 and day <= $5 \
         and length(team_path) >= $3 and length(team_path) > length($1) \
         group by substr(team_path, 1, cast($3 as integer)) having sum(minutes) >= 60"
    )
    .bind(low)
    .bind(&high)
    .bind(child_len)
    .bind(from)
    .bind(to)
    .fetch_all(p)
    .await
    })?)
}

/// The teams in the region at `path` that served between two days (by hours credited), most hours
/// first.
pub async fn serving_teams(db: &Db, from: Date, to: Date, path: &str) -> Result<Vec<String>> {
    let inner = Scope::under(path);
    let (low, high) = inner.bounds();
    Ok(on_db!(db, |p| {
        sqlx::query_scalar(
            "select u.name from volunteer_hours h join unit u on u.id = h.team_id where h.team_path >= $1 \
             and h.team_path < $2 and h.day >= $3 and h.day <= $4 group by u.name order by sum(h.minutes) desc, u.name",
        )
        .bind(low)
        .bind(&high)
        .bind(from)
        .bind(to)
        .fetch_all(p)
        .await
    })?)
}
