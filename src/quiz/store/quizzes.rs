//! Quizzes: their blueprint, period and place.

use serde::Serialize;
use sqlx::FromRow;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::{broken, json};
use crate::db::Db;
use crate::org::Scope;
use crate::quiz::{Blueprint, Scoring};
use crate::{Error, Result, clock, on_db};

/// A quiz.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Quiz {
    /// Id.
    pub id: i64,
    /// The public link's token: `/p/quiz/{slug}`.
    pub slug: String,
    pub(crate) title: String,
    /// What it is about, shown on the start page.
    pub description: String,
    /// The campaign it belongs to.
    pub campaign_id: Option<i64>,
    /// Opens.
    #[schema(value_type = String)]
    pub opens_at: OffsetDateTime,
    /// Closes.
    #[schema(value_type = String)]
    pub closes_at: OffsetDateTime,
    /// The blueprint, JSON.
    pub blueprint: String,
    /// Seconds an attempt has.
    pub time_limit_seconds: i64,
    /// Attempts one participant may start a day.
    pub attempts_per_day: i64,
    /// Who may take it: residents of this region subtree (`/22/` for the whole province).
    pub audience_path: String,
    /// accuracy or speed.
    pub scoring: String,
    /// The least score that makes an attempt eligible for prizes.
    pub prize_min_score: i64,
    /// Owning unit.
    pub owner_unit_id: i64,
    /// Its region path.
    pub owner_path: String,
    /// Whether it takes only participants who proved a phone (one phone, one person).
    pub phone_required: bool,
}

impl Quiz {
    /// The blueprint.
    pub fn blueprint(&self) -> Result<Blueprint> {
        serde_json::from_str(&self.blueprint).map_err(|_| broken("blueprint"))
    }
    /// The scoring.
    pub fn scoring(&self) -> Scoring {
        Scoring::parse(&self.scoring).unwrap_or(Scoring::Accuracy)
    }
    /// Whether it takes attempts at `now`.
    pub fn is_open(&self, now: OffsetDateTime) -> bool {
        self.opens_at <= now && now < self.closes_at
    }
}

/// A quiz to store.
#[derive(Clone, Debug)]
pub struct NewQuiz {
    pub(crate) title: String,
    pub(crate) description: String,
    pub(crate) campaign_id: Option<i64>,
    pub(crate) opens_at: OffsetDateTime,
    pub(crate) closes_at: OffsetDateTime,
    pub(crate) blueprint: Blueprint,
    /// Seconds per attempt.
    pub time_limit_seconds: i64,
    /// Attempts per participant per day.
    pub attempts_per_day: i64,
    /// Audience subtree.
    pub audience_path: String,
    pub(crate) scoring: Scoring,
    /// Prize threshold.
    pub prize_min_score: i64,
    /// Owner (unit id, region path).
    pub owner: (i64, String),
    pub(crate) created_by: i64,
    /// Only participants who proved a phone take it.
    pub phone_required: bool,
}

pub(super) const QUIZ_COLUMNS: &str = "id, slug, title, description, campaign_id, opens_at, closes_at, blueprint, time_limit_seconds, \
     attempts_per_day, audience_path, scoring, prize_min_score, owner_unit_id, owner_path, phone_required";

/// Stores a quiz with a new public token; returns its id.
pub async fn insert_quiz(db: &Db, q: &NewQuiz, slug: &str) -> Result<i64> {
    Ok(on_db!(db, |p| {
        sqlx::query_scalar(
        "insert into quiz (slug, title, description, campaign_id, opens_at, closes_at, blueprint, time_limit_seconds, \
         attempts_per_day, audience_path, scoring, prize_min_score, owner_unit_id, owner_path, created_by, created_at, \
         phone_required) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) returning id"
    )
    .bind(slug)
    .bind(&q.title)
    .bind(&q.description)
    .bind(q.campaign_id)
    .bind(q.opens_at)
    .bind(q.closes_at)
    .bind(json(&q.blueprint))
    .bind(q.time_limit_seconds)
    .bind(q.attempts_per_day)
    .bind(&q.audience_path)
    .bind(q.scoring.as_str())
    .bind(q.prize_min_score)
    .bind(q.owner.0)
    .bind(&q.owner.1)
    .bind(q.created_by)
    .bind(clock::now())
    .bind(q.phone_required)
    .fetch_one(p)
    .await
    })?)
}

/// Quizzes owned within the scope or above it, newest first.
pub async fn quizzes(db: &Db, scope: &Scope) -> Result<Vec<Quiz>> {
    let sql = format!(
        "select {QUIZ_COLUMNS} from quiz where owner_path like $1 || '%' or $1 like owner_path || '%' order by opens_at desc, id desc"
    );
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(scope.path()).fetch_all(p).await)?)
}

/// One quiz visible in the scope.
pub async fn quiz(db: &Db, scope: &Scope, id: i64) -> Result<Quiz> {
    let sql = format!(
        "select {QUIZ_COLUMNS} from quiz where id = $1 and (owner_path like $2 || '%' or $2 like owner_path || '%')"
    );
    on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).bind(scope.path()).fetch_optional(p).await)?
        .ok_or(Error::NotFound)
}

/// A quiz by its public token.
pub async fn quiz_by_slug(db: &Db, slug: &str) -> Result<Quiz> {
    let sql = format!("select {QUIZ_COLUMNS} from quiz where slug = $1");
    on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(slug).fetch_optional(p).await)?.ok_or(Error::NotFound)
}
