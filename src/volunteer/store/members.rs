//! Team members: sealed phones, skills, imports.

use serde::Serialize;
use sqlx::FromRow;
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use crate::db::{CHUNK_ROWS, Db};
use crate::error::ResultExt as _;
use crate::org::Scope;
use crate::{Error, Result, clock, on_db, on_tx};

/// A member as staff see them (the phone number masked).
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Member {
    pub(crate) id: i64,
    /// Team id.
    pub team_id: i64,
    /// Team name.
    pub team_name: String,
    /// Team region path.
    pub team_path: String,
    pub(crate) name: String,
    /// Phone number, masked: `138****5678`.
    pub phone_masked: String,
    /// `f` or `m`.
    pub gender: Option<String>,
    /// Year of birth.
    pub birth_year: Option<i64>,
    /// Skills, comma-separated codes.
    pub skills: String,
    /// Version of the consent text agreed to.
    pub consent_version: String,
    /// When consent was given.
    #[schema(value_type = String)]
    pub consent_at: OffsetDateTime,
    /// Joined.
    #[schema(value_type = String, format = Date)]
    pub joined_on: Date,
    /// Still active.
    pub active: bool,
}

const MEMBER_SELECT: &str = "select m.id, m.team_id, u.name as team_name, m.team_path, m.name, m.phone_masked, m.gender, \
     m.birth_year, m.skills, m.consent_version, m.consent_at, m.joined_on, m.active \
     from volunteer_member m join unit u on u.id = m.team_id where m.team_path >= $1 and m.team_path < $2";

/// A member to store: the phone number already sealed, indexed and masked.
#[derive(Clone, Debug)]
pub struct NewMember {
    /// Team id.
    pub team_id: i64,
    /// Team region path.
    pub team_path: String,
    pub(crate) name: String,
    /// Sealed phone number.
    pub phone_sealed: String,
    /// Its blind index.
    pub phone_index: String,
    /// Its masked form.
    pub phone_masked: String,
    /// `f` or `m`.
    pub gender: Option<String>,
    /// Year of birth.
    pub birth_year: Option<i64>,
    /// Skills, comma-separated codes.
    pub skills: String,
    /// Consent version.
    pub consent_version: String,
    /// When consent was given.
    pub consent_at: OffsetDateTime,
    pub(crate) joined_on: Date,
}

/// Members of a team inside the scope (active first, by name).
pub async fn members(db: &Db, scope: &Scope, team_id: i64) -> Result<Vec<Member>> {
    let (low, high) = scope.bounds();
    let sql = format!("{MEMBER_SELECT} and m.team_id = $3 order by m.active desc, m.name, m.id");
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(low).bind(&high).bind(team_id).fetch_all(p).await)?)
}

/// One member inside the scope.
pub async fn member(db: &Db, scope: &Scope, id: i64) -> Result<Member> {
    let (low, high) = scope.bounds();
    let sql = format!("{MEMBER_SELECT} and m.id = $3");
    on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(low).bind(&high).bind(id).fetch_optional(p).await)?
        .ok_or(Error::NotFound)
}

/// The sealed phone number of a member inside the scope.
pub async fn member_phone_sealed(db: &Db, scope: &Scope, id: i64) -> Result<String> {
    let (low, high) = scope.bounds();
    on_db!(db, |p| sqlx::query_scalar(
        "select phone_sealed from volunteer_member where id = $1 and team_path >= $2 and team_path < $3"
    )
    .bind(id)
    .bind(low)
    .bind(&high)
    .fetch_optional(p)
    .await)?
    .ok_or(Error::NotFound)
}

/// The active member of a team with this phone number's blind index (public pages).
pub async fn member_by_phone(db: &Db, team_id: i64, phone_index: &str) -> Result<Option<Member>> {
    let sql = format!("{MEMBER_SELECT} and m.team_id = $3 and m.phone_index = $4 and m.active");
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind("/")
        .bind("0")
        .bind(team_id)
        .bind(phone_index)
        .fetch_optional(p)
        .await)?)
}

/// The blind indexes of a team's phone numbers (for duplicate checks of an import).
pub async fn phone_indexes(db: &Db, team_id: i64) -> Result<Vec<String>> {
    Ok(on_db!(db, |p| sqlx::query_scalar("select phone_index from volunteer_member where team_id = $1")
        .bind(team_id)
        .fetch_all(p)
        .await)?)
}

/// Stores members in one transaction of chunked multi-row inserts: all or nothing. A phone number
/// already in the team is a conflict.
pub async fn insert_members(db: &Db, members: &[NewMember]) -> Result<Vec<i64>> {
    let mut tx = db.begin().await?;
    let now = clock::now();
    let mut ids = Vec::with_capacity(members.len());
    on_tx!(&mut tx, |c| {
        for chunk in members.chunks(CHUNK_ROWS) {
            let mut q = sqlx::QueryBuilder::new(
                "insert into volunteer_member (team_id, team_path, name, phone_sealed, phone_index, phone_masked, gender, \
                 birth_year, skills, consent_version, consent_at, joined_on, active, created_at) ",
            );
            q.push_values(chunk, |mut b, m| {
                b.push_bind(m.team_id)
                    .push_bind(&m.team_path)
                    .push_bind(&m.name)
                    .push_bind(&m.phone_sealed)
                    .push_bind(&m.phone_index)
                    .push_bind(&m.phone_masked)
                    .push_bind(&m.gender)
                    .push_bind(m.birth_year)
                    .push_bind(&m.skills)
                    .push_bind(&m.consent_version)
                    .push_bind(m.consent_at)
                    .push_bind(m.joined_on)
                    .push_bind(true)
                    .push_bind(now);
            });
            q.push(" returning id");
            let got: Vec<i64> = q
                .build_query_scalar()
                .fetch_all(&mut *c)
                .await
                .on_constraint("volunteer_member(team_id, phone_index)", "error.phone_in_team")?;
            ids.extend(got);
        }
    });
    tx.commit().await?;
    Ok(ids)
}

/// Changes what may change about a member inside the scope.
#[allow(clippy::too_many_arguments)]
pub async fn update_member(
    db: &Db,
    scope: &Scope,
    id: i64,
    name: &str,
    gender: Option<&str>,
    birth_year: Option<i64>,
    skills: &str,
    active: bool,
) -> Result<()> {
    let (low, high) = scope.bounds();
    let done = on_db!(db, |p| sqlx::query(
        "update volunteer_member set name = $1, gender = $2, birth_year = $3, skills = $4, active = $5 \
         where id = $6 and team_path >= $7 and team_path < $8"
    )
    .bind(name)
    .bind(gender)
    .bind(birth_year)
    .bind(skills)
    .bind(active)
    .bind(id)
    .bind(low)
    .bind(&high)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    if done == 0 { Err(Error::NotFound) } else { Ok(()) }
}
