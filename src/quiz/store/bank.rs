//! The question bank: questions by unit and category, imports and exports.

use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use crate::db::{CHUNK_ROWS, Db};
use crate::error::ResultExt as _;
use crate::org::Scope;
use crate::quiz::{Kind, PoolQuestion, Question, QuestionStatus};
use crate::{Error, Result, clock, on_db, on_tx};

pub(super) fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

pub(super) fn broken(what: &str) -> Error {
    Error::Internal(anyhow::anyhow!("a stored {what} does not parse"))
}

/// A question as stored.
#[derive(Clone, Debug, FromRow)]
pub struct QuestionRow {
    pub(crate) id: i64,
    pub(crate) kind: String,
    pub(crate) title: String,
    pub(crate) category: String,
    pub(crate) difficulty: i64,
    /// Question text.
    pub stem: String,
    /// Options, JSON.
    pub options: String,
    /// Answer, JSON.
    pub answer: String,
    /// The text as HTML, or empty.
    pub html: String,
    /// Weights, JSON.
    pub weights: String,
    /// Feedback, JSON.
    pub feedback: String,
    pub(crate) explanation: String,
    pub(crate) source: String,
    /// Whether it is drawn.
    pub status: QuestionStatus,
    /// The owning unit's region path.
    pub owner_path: String,
}

/// A question of the bank, for lists and the API.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct BankQuestion {
    pub(crate) id: i64,
    /// Whether it is drawn.
    pub status: QuestionStatus,
    /// The question.
    #[schema(value_type = Object)]
    pub question: Question,
}

impl QuestionRow {
    /// The question it holds.
    pub fn question(&self) -> Result<Question> {
        Ok(Question {
            kind: Kind::parse(&self.kind).ok_or_else(|| broken("question kind"))?,
            title: self.title.clone(),
            html: self.html.clone(),
            category: self.category.clone(),
            difficulty: u8::try_from(self.difficulty).map_err(|_| broken("difficulty"))?,
            stem: self.stem.clone(),
            options: serde_json::from_str(&self.options).map_err(|_| broken("option list"))?,
            answer: serde_json::from_str(&self.answer).map_err(|_| broken("answer"))?,
            weights: serde_json::from_str(&self.weights).map_err(|_| broken("weight list"))?,
            feedback: serde_json::from_str(&self.feedback).map_err(|_| broken("feedback list"))?,
            explanation: self.explanation.clone(),
            source: self.source.clone(),
        })
    }

    /// The question with its id and status.
    pub fn bank(&self) -> Result<BankQuestion> {
        Ok(BankQuestion { id: self.id, status: self.status, question: self.question()? })
    }
}

pub(super) const QUESTION_COLUMNS: &str = "id, kind, title, category, difficulty, stem, html, options, answer, weights, feedback, explanation, source, status, \
     owner_path";

/// The stems already in the bank of a unit (for duplicate checks before an import).
pub async fn stems(db: &Db, owner_path: &str) -> Result<Vec<String>> {
    Ok(on_db!(db, |p| sqlx::query_scalar("select stem from question where owner_path = $1")
        .bind(owner_path)
        .fetch_all(p)
        .await)?)
}

/// Whether the bank holds a picture (by the SHA-256 of its JPEG).
pub async fn image_held(db: &Db, sha256: &str) -> Result<bool> {
    let n: i64 = on_db!(db, |p| sqlx::query_scalar("select count(*) from quiz_image where sha256 = $1")
        .bind(sha256)
        .fetch_one(p)
        .await)?;
    Ok(n > 0)
}

/// A picture of the bank: its JPEG.
pub async fn image(db: &Db, sha256: &str) -> Result<Vec<u8>> {
    on_db!(db, |p| sqlx::query_scalar("select jpeg from quiz_image where sha256 = $1")
        .bind(sha256)
        .fetch_optional(p)
        .await)?
    .ok_or(Error::NotFound)
}

/// A picture to keep with the questions that show it: the SHA-256 of its JPEG, and the photo.
pub type NewImage = (String, crate::photo::Photo);

/// Stores questions for a unit (id, region path), and the pictures they show, in one
/// transaction: all or nothing.
pub async fn insert_questions(
    db: &Db,
    owner: (i64, &str),
    created_by: Option<i64>,
    questions: &[Question],
    images: &[NewImage],
) -> Result<usize> {
    let now = clock::now();
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |conn| {
        for (sha256, photo) in images {
            sqlx::query(
                "insert into quiz_image (sha256, width, height, jpeg, created_at) values ($1, $2, $3, $4, $5) \
                 on conflict (sha256) do nothing",
            )
            .bind(sha256)
            .bind(i64::from(photo.width))
            .bind(i64::from(photo.height))
            .bind(&photo.jpeg)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        }
        for chunk in questions.chunks(CHUNK_ROWS / 2) {
            let mut q = sqlx::QueryBuilder::new(
                "insert into question (kind, title, category, difficulty, stem, html, options, option_count, answer, \
                 weights, feedback, explanation, source, status, owner_unit_id, owner_path, created_by, created_at) ",
            );
            q.push_values(chunk, |mut b, x| {
                b.push_bind(x.kind.as_str())
                    .push_bind(&x.title)
                    .push_bind(&x.category)
                    .push_bind(i64::from(x.difficulty))
                    .push_bind(&x.stem)
                    .push_bind(&x.html)
                    .push_bind(json(&x.options))
                    .push_bind(i64::try_from(x.options.len()).unwrap_or(0))
                    .push_bind(json(&x.answer))
                    .push_bind(json(&x.weights))
                    .push_bind(json(&x.feedback))
                    .push_bind(&x.explanation)
                    .push_bind(&x.source)
                    .push_bind("active")
                    .push_bind(owner.0)
                    .push_bind(owner.1)
                    .push_bind(created_by)
                    .push_bind(now);
            });
            q.build()
                .execute(&mut *conn)
                .await
                .on_constraint("question(owner_path, stem)", "error.question_in_bank")?;
        }
    });
    tx.commit().await?;
    Ok(questions.len())
}

/// Bank list filters.
#[derive(Clone, Debug, Default)]
pub struct BankFilter {
    pub(crate) category: Option<String>,
    pub(crate) kind: Option<String>,
    /// active or retired.
    pub status: Option<String>,
    /// Text contained in the question.
    pub q: Option<String>,
    /// Only the bank of this unit (not those above it).
    pub owner_unit: Option<i64>,
}

/// Questions owned within the scope, or above it (a city sees the province's bank), in order.
pub async fn questions(db: &Db, scope: &Scope, f: &BankFilter, limit: i64, offset: i64) -> Result<Vec<QuestionRow>> {
    let sql = format!(
        "select {QUESTION_COLUMNS} from question where (owner_path like $1 || '%' or $1 like owner_path || '%') \
         and ($2 is null or category = $2 or category like $2 || '/%') and ($3 is null or kind = $3) and ($4 is null or status = $4) \
         and ($5 is null or stem like '%' || $5 || '%') and ($8 is null or owner_unit_id = $8) order by id limit $6 offset $7"
    );
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(scope.path())
        .bind(&f.category)
        .bind(&f.kind)
        .bind(&f.status)
        .bind(&f.q)
        .bind(limit)
        .bind(offset)
        .bind(f.owner_unit)
        .fetch_all(p)
        .await)?)
}

/// The categories of the questions visible in the scope (as [`questions`] sees them), after the
/// built-in ones, each once: what a form offers to choose from.
pub async fn categories(db: &Db, scope: &Scope) -> Result<Vec<String>> {
    let used: Vec<String> = on_db!(db, |p| sqlx::query_scalar(
        "select distinct category from question where owner_path like $1 || '%' or $1 like owner_path || '%' \
         order by category"
    )
    .bind(scope.path())
    .fetch_all(p)
    .await)?;
    let mut all: Vec<String> = crate::quiz::CATEGORIES.iter().map(|c| (*c).to_owned()).collect();
    for path in used {
        // Each level above a category is one to choose too (校园安全 above 校园安全/实验室).
        let levels: Vec<&str> = path.split('/').collect();
        for depth in 1..=levels.len() {
            let above = levels[..depth].join("/");
            if !all.contains(&above) {
                all.push(above);
            }
        }
    }
    Ok(all)
}

/// One question visible in the scope.
pub async fn question(db: &Db, scope: &Scope, id: i64) -> Result<QuestionRow> {
    let sql = format!(
        "select {QUESTION_COLUMNS} from question where id = $1 and (owner_path like $2 || '%' or $2 like owner_path || '%')"
    );
    on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).bind(scope.path()).fetch_optional(p).await)?
        .ok_or(Error::NotFound)
}

/// Retires or reactivates a question owned inside the scope.
pub async fn set_status(db: &Db, scope: &Scope, id: i64, status: QuestionStatus) -> Result<()> {
    let done =
        on_db!(db, |p| sqlx::query("update question set status = $1 where id = $2 and owner_path like $3 || '%'")
            .bind(status)
            .bind(id)
            .bind(scope.path())
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
    if done == 0 { Err(Error::NotFound) } else { Ok(()) }
}

#[derive(FromRow)]
struct PoolRow {
    id: i64,
    kind: String,
    category: String,
    difficulty: i64,
    option_count: i64,
}

/// The banks' version: how many questions are active, and the sum of their ids. Every import and
/// every status change moves it (see [`crate::quiz::pools`]).
pub async fn bank_version(db: &Db) -> Result<(i64, i64)> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "select count(*), cast(coalesce(sum(id), 0) as bigint) from question where status = 'active'"
    )
    .fetch_one(p)
    .await)?)
}

/// The active questions a quiz owned at `owner_path` draws from: its own unit's and those of the
/// units above it (their paths listed, which the database matches far faster than a `like` a
/// row), of the kinds a quiz scores by itself (`Kind::SCORED`).
pub async fn pool(db: &Db, owner_path: &str) -> Result<Vec<PoolQuestion>> {
    let banks = crate::org::path::ancestor_paths(owner_path);
    if banks.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (1..=banks.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "select id, kind, category, difficulty, option_count from question where status = 'active' \
         and owner_path in ({}) and kind not in ('essay', 'description')",
        marks.join(", ")
    );
    let rows: Vec<PoolRow> = on_db!(db, |p| {
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
        for bank in &banks {
            q = q.bind(bank);
        }
        q.fetch_all(p).await
    })?;
    Ok(rows
        .into_iter()
        .map(|r| PoolQuestion {
            id: r.id,
            kind: Kind::parse(&r.kind).unwrap_or(Kind::Single),
            category: r.category,
            difficulty: u8::try_from(r.difficulty).unwrap_or(1),
            options: usize::try_from(r.option_count).unwrap_or(0),
        })
        .collect())
}
