//! Every SQL statement of the quiz: the question bank, quizzes, participants, attempts with their
//! drawn questions, and the leaderboard kept as attempts finish (the best attempt of each
//! participant, a count of participants per score and per region).

use serde::Serialize;
use sqlx::FromRow;
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use super::{Answer, Blueprint, Kind, PoolQuestion, Question, Scoring};
use crate::db::{CHUNK_ROWS, Db};
use crate::error::ResultExt as _;
use crate::org::Scope;
use crate::{Error, Result, clock, on_db, on_tx};

fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn broken(what: &str) -> Error {
    Error::Internal(anyhow::anyhow!("a stored {what} does not parse"))
}

// ---- the bank ----

/// A question as stored.
#[derive(Clone, Debug, FromRow)]
pub struct QuestionRow {
    /// Id.
    pub id: i64,
    /// Kind.
    pub kind: String,
    /// Category.
    pub category: String,
    /// Difficulty.
    pub difficulty: i64,
    /// Question text.
    pub stem: String,
    /// Options, JSON.
    pub options: String,
    /// Answer, JSON.
    pub answer: String,
    /// Explanation.
    pub explanation: String,
    /// Source.
    pub source: String,
    /// active or retired.
    pub status: String,
    /// The owning unit's region path.
    pub owner_path: String,
}

/// A question of the bank, for lists and the API.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct BankQuestion {
    /// Id.
    pub id: i64,
    /// active or retired.
    pub status: String,
    /// The question.
    #[schema(value_type = Object)]
    pub question: Question,
}

impl QuestionRow {
    /// The question it holds.
    pub fn question(&self) -> Result<Question> {
        Ok(Question {
            kind: Kind::parse(&self.kind).ok_or_else(|| broken("question kind"))?,
            category: self.category.clone(),
            difficulty: u8::try_from(self.difficulty).map_err(|_| broken("difficulty"))?,
            stem: self.stem.clone(),
            options: serde_json::from_str(&self.options).map_err(|_| broken("option list"))?,
            answer: serde_json::from_str(&self.answer).map_err(|_| broken("answer"))?,
            explanation: self.explanation.clone(),
            source: self.source.clone(),
        })
    }

    /// The question with its id and status.
    pub fn bank(&self) -> Result<BankQuestion> {
        Ok(BankQuestion { id: self.id, status: self.status.clone(), question: self.question()? })
    }
}

const QUESTION_COLUMNS: &str =
    "id, kind, category, difficulty, stem, options, answer, explanation, source, status, owner_path";

/// The stems already in the bank of a unit (for duplicate checks before an import).
pub async fn stems(db: &Db, owner_path: &str) -> Result<Vec<String>> {
    Ok(on_db!(db, |p| sqlx::query_scalar("select stem from question where owner_path = $1")
        .bind(owner_path)
        .fetch_all(p)
        .await)?)
}

/// Stores questions for a unit (id, region path) in one transaction: all or nothing.
pub async fn insert_questions(
    db: &Db,
    owner: (i64, &str),
    created_by: Option<i64>,
    questions: &[Question],
) -> Result<usize> {
    let now = clock::now();
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |conn| {
        for chunk in questions.chunks(CHUNK_ROWS / 2) {
            let mut q = sqlx::QueryBuilder::new(
                "insert into question (kind, category, difficulty, stem, options, option_count, answer, explanation, source, \
                 status, owner_unit_id, owner_path, created_by, created_at) ",
            );
            q.push_values(chunk, |mut b, x| {
                b.push_bind(x.kind.as_str())
                    .push_bind(&x.category)
                    .push_bind(i64::from(x.difficulty))
                    .push_bind(&x.stem)
                    .push_bind(json(&x.options))
                    .push_bind(i64::try_from(x.options.len()).unwrap_or(0))
                    .push_bind(json(&x.answer))
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
                .on_constraint("a question with the same text is already in the bank")?;
        }
    });
    tx.commit().await?;
    Ok(questions.len())
}

/// Bank list filters.
#[derive(Clone, Debug, Default)]
pub struct BankFilter {
    /// Category.
    pub category: Option<String>,
    /// Kind.
    pub kind: Option<String>,
    /// active or retired.
    pub status: Option<String>,
    /// Text contained in the question.
    pub q: Option<String>,
}

/// Questions owned within the scope, or above it (a city sees the province's bank), in order.
pub async fn questions(db: &Db, scope: &Scope, f: &BankFilter, limit: i64, offset: i64) -> Result<Vec<QuestionRow>> {
    let sql = format!(
        "select {QUESTION_COLUMNS} from question where (owner_path like $1 || '%' or $1 like owner_path || '%') \
         and ($2 is null or category = $2) and ($3 is null or kind = $3) and ($4 is null or status = $4) \
         and ($5 is null or stem like '%' || $5 || '%') order by id limit $6 offset $7"
    );
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(scope.path())
        .bind(&f.category)
        .bind(&f.kind)
        .bind(&f.status)
        .bind(&f.q)
        .bind(limit)
        .bind(offset)
        .fetch_all(p)
        .await)?)
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
pub async fn set_status(db: &Db, scope: &Scope, id: i64, status: &str) -> Result<()> {
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
    category: String,
    difficulty: i64,
    option_count: i64,
}

/// The active questions a quiz owned at `owner_path` draws from: its own unit's and those of the
/// units above it.
pub async fn pool(db: &Db, owner_path: &str) -> Result<Vec<PoolQuestion>> {
    let rows: Vec<PoolRow> = on_db!(db, |p| {
        sqlx::query_as(
        "select id, category, difficulty, option_count from question where status = 'active' and $1 like owner_path || '%'"
    )
    .bind(owner_path)
    .fetch_all(p)
    .await
    })?;
    Ok(rows
        .into_iter()
        .map(|r| PoolQuestion {
            id: r.id,
            category: r.category,
            difficulty: u8::try_from(r.difficulty).unwrap_or(1),
            options: usize::try_from(r.option_count).unwrap_or(0),
        })
        .collect())
}

// ---- quizzes ----

/// A quiz.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Quiz {
    /// Id.
    pub id: i64,
    /// The public link's token: `/p/quiz/{slug}`.
    pub slug: String,
    /// Title.
    pub title: String,
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
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Campaign.
    pub campaign_id: Option<i64>,
    /// Opens.
    pub opens_at: OffsetDateTime,
    /// Closes.
    pub closes_at: OffsetDateTime,
    /// Blueprint.
    pub blueprint: Blueprint,
    /// Seconds per attempt.
    pub time_limit_seconds: i64,
    /// Attempts per participant per day.
    pub attempts_per_day: i64,
    /// Audience subtree.
    pub audience_path: String,
    /// Scoring.
    pub scoring: Scoring,
    /// Prize threshold.
    pub prize_min_score: i64,
    /// Owner (unit id, region path).
    pub owner: (i64, String),
    /// Author.
    pub created_by: i64,
}

const QUIZ_COLUMNS: &str = "id, slug, title, description, campaign_id, opens_at, closes_at, blueprint, time_limit_seconds, \
     attempts_per_day, audience_path, scoring, prize_min_score, owner_unit_id, owner_path";

/// Stores a quiz with a new public token; returns its id.
pub async fn insert_quiz(db: &Db, q: &NewQuiz, slug: &str) -> Result<i64> {
    Ok(on_db!(db, |p| sqlx::query_scalar(
        "insert into quiz (slug, title, description, campaign_id, opens_at, closes_at, blueprint, time_limit_seconds, \
         attempts_per_day, audience_path, scoring, prize_min_score, owner_unit_id, owner_path, created_by, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) returning id"
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
    .fetch_one(p)
    .await)?)
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

// ---- participants ----

/// Someone who takes quizzes.
#[derive(Clone, Debug, FromRow)]
pub struct Participant {
    /// Id.
    pub id: i64,
    /// Nickname shown on leaderboards.
    pub nickname: String,
    /// Where they live.
    pub region_code: String,
    /// Its path.
    pub region_path: String,
    /// Their school or unit (for the per-school board).
    pub school: String,
    /// The masked phone number, when they identified by phone.
    pub phone_masked: String,
}

/// A participant to find or register.
#[derive(Clone, Debug)]
pub struct NewParticipant {
    /// The hash of the device token (nickname mode), or the phone's blind index (phone mode).
    pub key: ParticipantKey,
    /// Nickname.
    pub nickname: String,
    /// Region (code, path).
    pub region: (String, String),
    /// School or unit.
    pub school: String,
}

/// How a participant is recognised.
#[derive(Clone, Debug)]
pub enum ParticipantKey {
    /// The hash of the token kept by their browser.
    Device(String),
    /// A verified phone: (blind index, sealed, masked).
    Phone(String, String, String),
}

const PARTICIPANT_COLUMNS: &str = "id, nickname, region_code, region_path, school, phone_masked";

/// The participant with this key, registering them first when new. An existing participant keeps
/// the region and school they registered with.
pub async fn participant(db: &Db, p: &NewParticipant) -> Result<Participant> {
    let (device, phone) = match &p.key {
        ParticipantKey::Device(h) => (Some(h.as_str()), None),
        ParticipantKey::Phone(i, s, m) => (None, Some((i.as_str(), s.as_str(), m.as_str()))),
    };
    let column = if device.is_some() { "device_hash" } else { "phone_index" };
    let key = device.or(phone.map(|x| x.0)).unwrap_or_default();
    let insert = format!(
        "insert into participant (device_hash, phone_index, phone_sealed, phone_masked, nickname, region_code, region_path, \
         school, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict ({column}) do nothing"
    );
    let select = format!("select {PARTICIPANT_COLUMNS} from participant where {column} = $1");
    on_db!(db, |pool| {
        sqlx::query(sqlx::AssertSqlSafe(insert))
            .bind(device)
            .bind(phone.map(|x| x.0))
            .bind(phone.map(|x| x.1))
            .bind(phone.map_or("", |x| x.2))
            .bind(&p.nickname)
            .bind(&p.region.0)
            .bind(&p.region.1)
            .bind(&p.school)
            .bind(clock::now())
            .execute(pool)
            .await?;
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(select)).bind(key).fetch_one(pool).await?)
    })
}

/// A registered participant by device hash (no registration).
pub async fn participant_by_device(db: &Db, device_hash: &str) -> Result<Option<Participant>> {
    let sql = format!("select {PARTICIPANT_COLUMNS} from participant where device_hash = $1");
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(device_hash).fetch_optional(p).await)?)
}

// ---- attempts ----

/// An attempt.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Attempt {
    /// Id.
    pub id: i64,
    /// The token in the attempt's link.
    pub token: String,
    /// Quiz.
    pub quiz_id: i64,
    /// Participant.
    pub participant_id: i64,
    /// Started.
    #[schema(value_type = String)]
    pub started_at: OffsetDateTime,
    /// Answers are taken until then.
    #[schema(value_type = String)]
    pub deadline_at: OffsetDateTime,
    /// Finished.
    #[schema(value_type = Option<String>)]
    pub submitted_at: Option<OffsetDateTime>,
    /// Points.
    pub score: i64,
    /// Right answers.
    pub correct: i64,
    /// Time taken.
    pub duration_ms: Option<i64>,
    /// Why it is flagged for review (empty: not flagged).
    pub flags: String,
}

const ATTEMPT_COLUMNS: &str =
    "id, token, quiz_id, participant_id, started_at, deadline_at, submitted_at, score, correct, duration_ms, flags";

/// Attempts a participant started in a quiz on a day, and all their attempts in it.
pub async fn attempts_started(db: &Db, quiz_id: i64, participant_id: i64, day: Date) -> Result<(i64, i64)> {
    Ok(on_db!(db, |p| {
        sqlx::query_as(
        "select cast(coalesce(sum(case when day = $3 then 1 else 0 end), 0) as bigint), count(*) from attempt where quiz_id = $1 and participant_id = $2"
    )
    .bind(quiz_id)
    .bind(participant_id)
    .bind(day)
    .fetch_one(p)
    .await
    })?)
}

/// An attempt to store, with the questions drawn for it.
pub struct NewAttempt<'a> {
    /// The link's token.
    pub token: &'a str,
    /// Quiz.
    pub quiz: &'a Quiz,
    /// Participant.
    pub participant: &'a Participant,
    /// Local day.
    pub day: Date,
    /// Start.
    pub started_at: OffsetDateTime,
    /// Deadline.
    pub deadline_at: OffsetDateTime,
    /// Flags raised already (many attempts from one device).
    pub flags: &'a str,
    /// Client address.
    pub ip: &'a str,
    /// The drawn questions with their option orders.
    pub drawn: &'a [(i64, Vec<usize>)],
}

/// Stores an attempt and its drawn questions in one transaction; returns its id.
pub async fn insert_attempt(db: &Db, a: &NewAttempt<'_>) -> Result<i64> {
    let mut tx = db.begin().await?;
    let id = on_tx!(&mut tx, |conn| {
        let id: i64 = sqlx::query_scalar(
            "insert into attempt (token, quiz_id, participant_id, day, started_at, deadline_at, flags, region_path, school, ip) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning id",
        )
        .bind(a.token)
        .bind(a.quiz.id)
        .bind(a.participant.id)
        .bind(a.day)
        .bind(a.started_at)
        .bind(a.deadline_at)
        .bind(a.flags)
        .bind(&a.participant.region_path)
        .bind(&a.participant.school)
        .bind(a.ip)
        .fetch_one(&mut *conn)
        .await?;
        let mut q =
            sqlx::QueryBuilder::new("insert into attempt_question (attempt_id, position, question_id, option_order) ");
        q.push_values(a.drawn.iter().enumerate(), |mut b, (i, (question, order))| {
            b.push_bind(id).push_bind(i64::try_from(i).unwrap_or(0)).push_bind(*question).push_bind(json(order));
        });
        q.build().execute(&mut *conn).await?;
        id
    });
    tx.commit().await?;
    Ok(id)
}

/// An attempt by its token.
pub async fn attempt_by_token(db: &Db, token: &str) -> Result<Attempt> {
    let sql = format!("select {ATTEMPT_COLUMNS} from attempt where token = $1");
    on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(token).fetch_optional(p).await)?.ok_or(Error::NotFound)
}

/// A question of an attempt, with what was answered.
#[derive(Clone, Debug, FromRow)]
pub struct Drawn {
    /// Position in the attempt (0-based).
    pub position: i64,
    /// The question.
    pub question_id: i64,
    /// The options' order as shown, JSON.
    pub option_order: String,
    /// First shown.
    pub shown_at: Option<OffsetDateTime>,
    /// Answered.
    pub answered_at: Option<OffsetDateTime>,
    /// The answer given (stored order), JSON.
    pub given: Option<String>,
    /// Whether it was right.
    pub correct: Option<bool>,
    /// Points.
    pub points: i64,
    /// The question's columns.
    #[sqlx(flatten)]
    pub q: QuestionRow,
}

impl Drawn {
    /// The order of options as shown.
    pub fn order(&self) -> Vec<usize> {
        serde_json::from_str(&self.option_order).unwrap_or_default()
    }
}

/// The questions of an attempt in order, or one of them.
pub async fn drawn(db: &Db, attempt_id: i64, position: Option<i64>) -> Result<Vec<Drawn>> {
    let sql = format!(
        "select d.position, d.question_id, d.option_order, d.shown_at, d.answered_at, d.given, d.correct, d.points, {} \
         from attempt_question d join question q on q.id = d.question_id where d.attempt_id = $1 and ($2 is null or d.position = $2) \
         order by d.position",
        QUESTION_COLUMNS.split(", ").map(|c| format!("q.{c}")).collect::<Vec<_>>().join(", ")
    );
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(attempt_id).bind(position).fetch_all(p).await)?)
}

/// Notes when a question was first shown (for speed scoring and the too-fast check).
pub async fn mark_shown(db: &Db, attempt_id: i64, position: i64, at: OffsetDateTime) -> Result<()> {
    on_db!(db, |p| sqlx::query(
        "update attempt_question set shown_at = $3 where attempt_id = $1 and position = $2 and shown_at is null"
    )
    .bind(attempt_id)
    .bind(position)
    .bind(at)
    .execute(p)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// An answer to store.
#[derive(Clone, Debug)]
pub struct NewAnswer {
    /// Attempt.
    pub attempt_id: i64,
    /// Position of the question in it.
    pub position: i64,
    /// The answer in the stored order of options.
    pub given: Answer,
    /// Whether it is right.
    pub correct: bool,
    /// Its points.
    pub points: i64,
    /// When it arrived.
    pub at: OffsetDateTime,
}

/// Records answers in one transaction, each once: false for a question answered already.
pub async fn answer_many(db: &Db, answers: &[NewAnswer]) -> Result<Vec<bool>> {
    let mut out = Vec::with_capacity(answers.len());
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |c| {
        for a in answers {
            let done = sqlx::query(
                "update attempt_question set answered_at = $3, given = $4, correct = $5, points = $6 \
                 where attempt_id = $1 and position = $2 and answered_at is null",
            )
            .bind(a.attempt_id)
            .bind(a.position)
            .bind(a.at)
            .bind(json(&a.given))
            .bind(a.correct)
            .bind(a.points)
            .execute(&mut *c)
            .await?
            .rows_affected();
            out.push(done == 1);
        }
    });
    tx.commit().await?;
    Ok(out)
}

/// What answering one question needs, in one read: the attempt's state, the drawn question, the
/// quiz's scoring and time, and how many questions the attempt has.
#[derive(Clone, Debug, FromRow)]
pub struct AnswerContext {
    /// Attempt.
    pub attempt_id: i64,
    /// Its deadline.
    pub deadline_at: OffsetDateTime,
    /// Whether it is finished.
    pub submitted_at: Option<OffsetDateTime>,
    /// The options' order as shown, JSON.
    pub option_order: Option<String>,
    /// First shown.
    pub shown_at: Option<OffsetDateTime>,
    /// Answered already.
    pub answered_at: Option<OffsetDateTime>,
    /// The question's kind.
    pub kind: Option<String>,
    /// Its options, JSON.
    pub options: Option<String>,
    /// Its answer, JSON.
    pub answer: Option<String>,
    /// accuracy or speed.
    pub scoring: String,
    /// Seconds per attempt.
    pub time_limit_seconds: i64,
    /// Questions in the attempt.
    pub questions: i64,
}

/// The context of answering question `position` of the attempt with this token.
pub async fn answer_context(db: &Db, token: &str, position: i64) -> Result<AnswerContext> {
    on_db!(db, |p| sqlx::query_as(
        "select a.id as attempt_id, a.deadline_at, a.submitted_at, d.option_order, d.shown_at, d.answered_at, q.kind, q.options, \
         q.answer, z.scoring, z.time_limit_seconds, (select count(*) from attempt_question c where c.attempt_id = a.id) as questions \
         from attempt a join quiz z on z.id = a.quiz_id left join attempt_question d on d.attempt_id = a.id and d.position = $2 \
         left join question q on q.id = d.question_id where a.token = $1"
    )
    .bind(token)
    .bind(position)
    .fetch_optional(p)
    .await)?
    .ok_or(Error::NotFound)
}

/// Finishes an attempt once (false when it was finished already): its score is the sum of its
/// answers' points; the participant's best attempt, the score counts and the region counts move
/// with it in the same transaction. `regions` are the paths the participant counts in.
pub async fn finish(db: &Db, attempt: &Attempt, flags: &str, now: OffsetDateTime, regions: &[String]) -> Result<bool> {
    let mut tx = db.begin().await?;
    let finished = on_tx!(&mut tx, |c| {
        let (score, correct): (i64, i64) = sqlx::query_as(
            "select cast(coalesce(sum(points), 0) as bigint), cast(coalesce(sum(case when correct then 1 else 0 end), 0) as bigint) from attempt_question where attempt_id = $1",
        )
        .bind(attempt.id)
        .fetch_one(&mut *c)
        .await?;
        let duration = (now.min(attempt.deadline_at) - attempt.started_at).whole_milliseconds();
        let duration = i64::try_from(duration).unwrap_or(i64::MAX);
        let done = sqlx::query(
            "update attempt set submitted_at = $2, score = $3, correct = $4, duration_ms = $5, flags = $6 where id = $1 and submitted_at is null",
        )
        .bind(attempt.id)
        .bind(now)
        .bind(score)
        .bind(correct)
        .bind(duration)
        .bind(flags)
        .execute(&mut *c)
        .await?
        .rows_affected();
        if done == 0 {
            false
        } else {
            let best: Option<(i64, i64)> =
                sqlx::query_as("select score, duration_ms from quiz_best where quiz_id = $1 and participant_id = $2")
                    .bind(attempt.quiz_id)
                    .bind(attempt.participant_id)
                    .fetch_optional(&mut *c)
                    .await?;
            let better = best.is_none_or(|(s, d)| score > s || (score == s && duration < d));
            if better {
                if let Some((old, _)) = best {
                    sqlx::query("update quiz_score_count set n = n - 1 where quiz_id = $1 and score = $2")
                        .bind(attempt.quiz_id)
                        .bind(old)
                        .execute(&mut *c)
                        .await?;
                } else {
                    for path in regions {
                        sqlx::query(
                            "insert into quiz_region_count (quiz_id, region_path, participants) values ($1, $2, 1) \
                             on conflict (quiz_id, region_path) do update set participants = quiz_region_count.participants + 1",
                        )
                        .bind(attempt.quiz_id)
                        .bind(path)
                        .execute(&mut *c)
                        .await?;
                    }
                }
                sqlx::query(
                    "insert into quiz_score_count (quiz_id, score, n) values ($1, $2, 1) \
                     on conflict (quiz_id, score) do update set n = quiz_score_count.n + 1",
                )
                .bind(attempt.quiz_id)
                .bind(score)
                .execute(&mut *c)
                .await?;
                sqlx::query(
                    "insert into quiz_best (quiz_id, participant_id, attempt_id, score, duration_ms, region_path, school) \
                     select quiz_id, participant_id, id, score, duration_ms, region_path, school from attempt where id = $1 \
                     on conflict (quiz_id, participant_id) do update set attempt_id = excluded.attempt_id, score = excluded.score, \
                     duration_ms = excluded.duration_ms",
                )
                .bind(attempt.id)
                .execute(&mut *c)
                .await?;
            }
            true
        }
    });
    tx.commit().await?;
    Ok(finished)
}

// ---- leaderboards ----

/// A line of a leaderboard.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct BoardLine {
    /// Participant.
    pub participant_id: i64,
    /// Nickname.
    pub nickname: String,
    /// Region name.
    pub region_name: String,
    /// School or unit.
    pub school: String,
    /// Points.
    pub score: i64,
    /// Time taken.
    pub duration_ms: i64,
}

/// The best `limit` participants of a quiz, optionally within a region subtree or a school,
/// ranked by score, then time.
pub async fn board(
    db: &Db,
    quiz_id: i64,
    region: Option<&Scope>,
    school: Option<&str>,
    limit: i64,
) -> Result<Vec<BoardLine>> {
    let (low, high) = region.map_or((String::new(), String::new()), |s| {
        let (l, h) = s.bounds();
        (l.to_owned(), h)
    });
    let region = region.is_some();
    Ok(on_db!(db, |p| {
        sqlx::query_as(
        "select b.participant_id, p.nickname, r.name as region_name, b.school, b.score, b.duration_ms from quiz_best b \
         join participant p on p.id = b.participant_id join region r on r.code = p.region_code \
         where b.quiz_id = $1 and ($2 = false or (b.region_path >= $3 and b.region_path < $4)) and ($5 is null or b.school = $5) \
         order by b.score desc, b.duration_ms, b.participant_id limit $6"
    )
    .bind(quiz_id)
    .bind(region)
    .bind(low)
    .bind(high)
    .bind(school)
    .bind(limit)
    .fetch_all(p)
    .await
    })?)
}

/// A participant's best result and rank in a quiz (1 = first), if they finished an attempt.
pub async fn rank(db: &Db, quiz_id: i64, participant_id: i64) -> Result<Option<(i64, i64, i64)>> {
    let best: Option<(i64, i64)> = on_db!(db, |p| sqlx::query_as(
        "select score, duration_ms from quiz_best where quiz_id = $1 and participant_id = $2"
    )
    .bind(quiz_id)
    .bind(participant_id)
    .fetch_optional(p)
    .await)?;
    let Some((score, duration)) = best else { return Ok(None) };
    let above: i64 = on_db!(db, |p| sqlx::query_scalar(
        "select cast(coalesce(sum(n), 0) as bigint) from quiz_score_count where quiz_id = $1 and score > $2"
    )
    .bind(quiz_id)
    .bind(score)
    .fetch_one(p)
    .await)?;
    let tied_before: i64 = on_db!(db, |p| {
        sqlx::query_scalar(
        "select count(*) from quiz_best where quiz_id = $1 and score = $2 and (duration_ms < $3 or (duration_ms = $3 and participant_id < $4))"
    )
    .bind(quiz_id)
    .bind(score)
    .bind(duration)
    .bind(participant_id)
    .fetch_one(p)
    .await
    })?;
    Ok(Some((above + tied_before + 1, score, duration)))
}

/// Participation per region: (region path, participants) of the quiz at the paths of one length.
pub async fn participation(db: &Db, quiz_id: i64, path_len: i64) -> Result<Vec<(String, i64)>> {
    Ok(on_db!(db, |p| {
        sqlx::query_as(
        "select region_path, participants from quiz_region_count where quiz_id = $1 and length(region_path) = $2 order by region_path"
    )
    .bind(quiz_id)
    .bind(path_len)
    .fetch_all(p)
    .await
    })?)
}

/// How many participants finished an attempt, and how many attempts were finished and flagged.
pub async fn counts(db: &Db, quiz_id: i64) -> Result<(i64, i64, i64)> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "select (select count(*) from quiz_best where quiz_id = $1), \
         (select count(*) from attempt where quiz_id = $1 and submitted_at is not null), \
         (select count(*) from attempt where quiz_id = $1 and flags <> '')"
    )
    .bind(quiz_id)
    .fetch_one(p)
    .await)?)
}

/// Flagged attempts of a quiz, newest first.
pub async fn flagged(db: &Db, quiz_id: i64, limit: i64) -> Result<Vec<Attempt>> {
    let sql =
        format!("select {ATTEMPT_COLUMNS} from attempt where quiz_id = $1 and flags <> '' order by id desc limit $2");
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(quiz_id).bind(limit).fetch_all(p).await)?)
}

/// A quiz by id (for participants, who have no scope).
pub async fn quiz_by_id(db: &Db, id: i64) -> Result<Quiz> {
    let sql = format!("select {QUIZ_COLUMNS} from quiz where id = $1");
    on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(p).await)?.ok_or(Error::NotFound)
}

/// How many questions an attempt drew.
pub async fn drawn_count(db: &Db, attempt_id: i64) -> Result<i64> {
    Ok(on_db!(db, |p| sqlx::query_scalar("select count(*) from attempt_question where attempt_id = $1")
        .bind(attempt_id)
        .fetch_one(p)
        .await)?)
}

/// A participant by id.
pub async fn participant_of(db: &Db, id: i64) -> Result<Participant> {
    let sql = format!("select {PARTICIPANT_COLUMNS} from participant where id = $1");
    on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(p).await)?.ok_or(Error::NotFound)
}

/// Attempts started from one address (its hash) since a time.
pub async fn starts_from(db: &Db, ip_hash: &str, since: OffsetDateTime) -> Result<i64> {
    Ok(on_db!(db, |p| sqlx::query_scalar("select count(*) from attempt where ip = $1 and started_at >= $2")
        .bind(ip_hash)
        .bind(since)
        .fetch_one(p)
        .await)?)
}

/// Fills a quiz's leaderboard with `n` generated participants who finished an attempt
/// (`firecast bench quiz`): participants, attempts and best results in set-based inserts, then the
/// score counts rebuilt, in one transaction (then, on `PostgreSQL`, vacuumed and analysed).
pub async fn fill_board(db: &Db, quiz_id: i64, n: i64, region: (&str, &str)) -> Result<()> {
    let now = clock::now();
    let tag = format!("bench-{quiz_id}-");
    let numbers = match db {
        Db::Sqlite(_) => "with recursive g(i) as (select 1 union all select i + 1 from g where i < $1) select i from g",
        Db::Postgres(_) => "select i from generate_series(1, $1) as g(i)",
    };
    let participants = format!(
        "insert into participant (device_hash, nickname, region_code, region_path, school, created_at) \
         select $2 || i, '选手' || i, $3, $4, '', $5 from ({numbers}) as n"
    );
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |c| {
        sqlx::query(sqlx::AssertSqlSafe(participants))
            .bind(n)
            .bind(&tag)
            .bind(region.0)
            .bind(region.1)
            .bind(now)
            .execute(&mut *c)
            .await?;
        sqlx::query(
            "insert into attempt (token, quiz_id, participant_id, day, started_at, deadline_at, submitted_at, score, correct, \
             duration_ms, region_path, school) select p.device_hash, $1, p.id, $2, $3, $3, $3, (p.id * 7919) % 101, \
             ((p.id * 7919) % 101) / 10, 60000 + (p.id * 104729) % 500000, p.region_path, '' \
             from participant p where p.device_hash like $4 || '%'",
        )
        .bind(quiz_id)
        .bind(now.date())
        .bind(now)
        .bind(&tag)
        .execute(&mut *c)
        .await?;
        sqlx::query(
            "insert into quiz_best (quiz_id, participant_id, attempt_id, score, duration_ms, region_path, school) \
             select quiz_id, participant_id, id, score, duration_ms, region_path, school from attempt \
             where quiz_id = $1 and token like $2 || '%'",
        )
        .bind(quiz_id)
        .bind(&tag)
        .execute(&mut *c)
        .await?;
        sqlx::query("delete from quiz_score_count where quiz_id = $1").bind(quiz_id).execute(&mut *c).await?;
        sqlx::query(
            "insert into quiz_score_count (quiz_id, score, n) select quiz_id, score, count(*) from quiz_best \
             where quiz_id = $1 group by quiz_id, score",
        )
        .bind(quiz_id)
        .execute(&mut *c)
        .await?;
    });
    tx.commit().await?;
    // After a bulk load PostgreSQL needs fresh statistics, and the visibility map so that counts
    // of the ranking index need not visit the table.
    if let Db::Postgres(p) = db {
        sqlx::query("vacuum analyze participant, attempt, quiz_best, quiz_score_count").execute(p).await?;
    }
    Ok(())
}

/// How many answers the attempts of a quiz have taken.
pub async fn answered(db: &Db, quiz_id: i64) -> Result<i64> {
    Ok(on_db!(db, |p| {
        sqlx::query_scalar(
        "select count(*) from attempt_question d join attempt a on a.id = d.attempt_id where a.quiz_id = $1 and d.answered_at is not null"
    )
    .bind(quiz_id)
    .fetch_one(p)
    .await
    })?)
}

/// The lowest and highest participant id on a quiz's leaderboard.
pub async fn participant_range(db: &Db, quiz_id: i64) -> Result<(i64, i64)> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "select coalesce(min(participant_id), 0), coalesce(max(participant_id), 0) from quiz_best where quiz_id = $1"
    )
    .bind(quiz_id)
    .fetch_one(p)
    .await)?)
}
