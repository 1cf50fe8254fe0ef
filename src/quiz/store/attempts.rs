//! Attempts: the drawn questions, answers and scoring.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::FromRow;
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use super::{QUESTION_COLUMNS, QuestionRow, json};
use crate::db::{Db, Tx, column};
use crate::quiz::Answer;
use crate::{Error, Result, on_db, on_tx};

/// An attempt.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Attempt {
    /// Id.
    pub id: i64,
    /// The token in the attempt's link.
    pub token: String,
    pub(crate) quiz_id: i64,
    pub(crate) participant_id: i64,
    /// Started.
    #[schema(value_type = String)]
    pub started_at: OffsetDateTime,
    /// Answers are taken until then.
    #[schema(value_type = String)]
    pub deadline_at: OffsetDateTime,
    /// Finished.
    #[schema(value_type = Option<String>)]
    pub submitted_at: Option<OffsetDateTime>,
    pub(crate) score: i64,
    /// Right answers.
    pub correct: i64,
    /// Time taken.
    pub duration_ms: Option<i64>,
    /// Why it is flagged for review (empty: not flagged).
    pub flags: String,
}

pub(super) const ATTEMPT_COLUMNS: &str =
    "id, token, quiz_id, participant_id, started_at, deadline_at, submitted_at, score, correct, duration_ms, flags";

/// An attempt to store, with the questions drawn for it.
#[derive(Clone, Debug)]
pub struct NewAttempt {
    /// The link's token.
    pub token: String,
    /// Quiz.
    pub quiz_id: i64,
    /// Attempts a participant may start in the quiz a day.
    pub attempts_per_day: i64,
    /// Participant.
    pub participant_id: i64,
    /// The participant's region path.
    pub region_path: String,
    /// The participant's school.
    pub school: String,
    /// Local day.
    pub day: Date,
    /// Start.
    pub started_at: OffsetDateTime,
    /// Deadline.
    pub deadline_at: OffsetDateTime,
    /// Flags raised already (a shared device), comma-separated.
    pub flags: String,
    /// The attempt is flagged `many_attempts` when the participant started more than this many
    /// in the quiz, on any day, itself included.
    pub many_attempts: i64,
    /// Client address (its keyed hash).
    pub ip: String,
    /// Attempts one address may start in the hour before `started_at`.
    pub per_address: i64,
    /// The drawn questions with their option orders.
    pub drawn: Vec<(i64, Vec<usize>)>,
}

/// Stores attempts and their drawn questions in one transaction; each attempt's id, or why it was
/// refused: its participant used the quiz's attempts of the day (`error.attempts_used_up`), or its
/// address its starts of the hour (`error.starts_per_hour`), counting the attempts before it in
/// `new`. Starts at once from one participant or address take turns.
pub async fn insert_attempts(db: &Db, new: &[NewAttempt]) -> Result<Vec<Result<i64>>> {
    let Some(since) = new.iter().map(|a| a.started_at - time::Duration::hours(1)).min() else {
        return Ok(Vec::new());
    };
    let mut tx = db.begin().await?;
    let mut ips: Vec<&str> = new.iter().map(|a| a.ip.as_str()).collect();
    ips.sort_unstable();
    ips.dedup();
    let mut people: Vec<i64> = new.iter().map(|a| a.participant_id).collect();
    people.sort_unstable();
    people.dedup();
    let mut quizzes: Vec<i64> = new.iter().map(|a| a.quiz_id).collect();
    quizzes.sort_unstable();
    quizzes.dedup();
    let locks =
        ips.iter().map(|ip| format!("quiz-ip:{ip}")).chain(people.iter().map(|id| format!("quiz-participant:{id}")));
    tx.lock_keys(&locks.collect::<Vec<_>>()).await?;
    let (from_ip, started): (Vec<(String, i64)>, Vec<(i64, i64, Date, i64)>) = on_tx!(&mut tx, |c| {
        let mut q = sqlx::QueryBuilder::new("select ip, count(*) from attempt where started_at >= ");
        q.push_bind(since).push(" and ip");
        crate::db::push_in(&mut q, ips.iter().copied());
        let from_ip = q.push(" group by ip").build_query_as().fetch_all(&mut *c).await?;
        // By quiz first, so that the index on (quiz, participant, day) serves.
        let mut q = sqlx::QueryBuilder::new("select quiz_id, participant_id, day, count(*) from attempt where quiz_id");
        crate::db::push_in(&mut q, quizzes.iter().copied());
        q.push(" and participant_id");
        crate::db::push_in(&mut q, people.iter().copied());
        let started = q.push(" group by quiz_id, participant_id, day").build_query_as().fetch_all(&mut *c).await?;
        (from_ip, started)
    });
    let mut from_ip: HashMap<String, i64> = from_ip.into_iter().collect();
    let mut on_day: HashMap<(i64, i64, Date), i64> = HashMap::new();
    let mut in_quiz: HashMap<(i64, i64), i64> = HashMap::new();
    for (quiz, participant, day, n) in started {
        on_day.insert((quiz, participant, day), n);
        *in_quiz.entry((quiz, participant)).or_insert(0) += n;
    }
    let mut outcomes: Vec<Result<&str>> = Vec::with_capacity(new.len());
    let mut rows = Vec::with_capacity(new.len());
    for a in new {
        let ip = from_ip.entry(a.ip.clone()).or_insert(0);
        if *ip >= a.per_address {
            outcomes.push(Err(Error::TooMany("error.starts_per_hour".into())));
            continue;
        }
        let today = on_day.entry((a.quiz_id, a.participant_id, a.day)).or_insert(0);
        if *today >= a.attempts_per_day {
            outcomes.push(Err(Error::TooMany("error.attempts_used_up".into())));
            continue;
        }
        *ip += 1;
        *today += 1;
        let all = in_quiz.entry((a.quiz_id, a.participant_id)).or_insert(0);
        *all += 1;
        let mut flags: Vec<&str> = a.flags.split(',').filter(|f| !f.is_empty()).collect();
        if *all > a.many_attempts {
            flags.push("many_attempts");
        }
        outcomes.push(Ok(a.token.as_str()));
        rows.push((a, flags.join(",")));
    }
    let mut ids: HashMap<String, i64> = HashMap::with_capacity(rows.len());
    for chunk in rows.chunks(crate::db::CHUNK_ROWS / 10) {
        let stored: Vec<(i64, String)> = on_tx!(&mut tx, |c| {
            let mut q = sqlx::QueryBuilder::new(
                "insert into attempt (token, quiz_id, participant_id, day, started_at, deadline_at, flags, region_path, school, ip) ",
            );
            q.push_values(chunk, |mut b, (a, flags)| {
                b.push_bind(&a.token)
                    .push_bind(a.quiz_id)
                    .push_bind(a.participant_id)
                    .push_bind(a.day)
                    .push_bind(a.started_at)
                    .push_bind(a.deadline_at)
                    .push_bind(flags)
                    .push_bind(&a.region_path)
                    .push_bind(&a.school)
                    .push_bind(&a.ip);
            });
            q.push(" returning id, token").build_query_as().fetch_all(&mut *c).await?
        });
        ids.extend(stored.into_iter().map(|(id, token)| (token, id)));
    }
    let id_of = |token: &str| {
        ids.get(token).copied().ok_or_else(|| Error::Internal(anyhow::anyhow!("an attempt was not stored")))
    };
    let mut drawn: Vec<(i64, i64, i64, String)> = Vec::new();
    for (a, _) in &rows {
        let id = id_of(&a.token)?;
        drawn.extend((0..).zip(&a.drawn).map(|(i, (question, order))| (id, i, *question, json(order))));
    }
    // On PostgreSQL as arrays: one statement, the same for any number of rows, prepared once.
    match &mut tx {
        Tx::Sqlite(t, _) => {
            for chunk in drawn.chunks(crate::db::CHUNK_ROWS) {
                let mut q = sqlx::QueryBuilder::new(
                    "insert into attempt_question (attempt_id, position, question_id, option_order) ",
                );
                q.push_values(chunk, |mut b, (id, i, question, order)| {
                    b.push_bind(*id).push_bind(*i).push_bind(*question).push_bind(order);
                });
                q.build().execute(&mut **t).await?;
            }
        }
        Tx::Postgres(t) => {
            sqlx::query(
                "insert into attempt_question (attempt_id, position, question_id, option_order) \
                 select * from unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[])",
            )
            .bind(drawn.iter().map(|d| d.0).collect::<Vec<_>>())
            .bind(drawn.iter().map(|d| d.1).collect::<Vec<_>>())
            .bind(drawn.iter().map(|d| d.2).collect::<Vec<_>>())
            .bind(drawn.iter().map(|d| d.3.as_str()).collect::<Vec<_>>())
            .execute(&mut **t)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(outcomes.into_iter().map(|o| o.and_then(id_of)).collect())
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
    pub(crate) answered_at: Option<OffsetDateTime>,
    /// The answer given (stored order), JSON.
    pub given: Option<String>,
    /// Whether it was right.
    pub correct: Option<bool>,
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
        "select d.position, d.question_id, d.option_order, d.shown_at, d.answered_at, d.given, d.correct, {} \
         from attempt_question d join question q on q.id = d.question_id where d.attempt_id = $1 and ($2 is null or d.position = $2) \
         order by d.position",
        QUESTION_COLUMNS.split(", ").map(|c| format!("q.{c}")).collect::<Vec<_>>().join(", ")
    );
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(attempt_id).bind(position).fetch_all(p).await)?)
}

/// Notes when questions (attempt, position) were first shown (for speed scoring and the too-fast
/// check), in one transaction of one statement a chunk (as [`answer_many`] stores answers).
pub async fn mark_shown(db: &Db, shown: &[(i64, i64, OffsetDateTime)]) -> Result<()> {
    let mut tx = db.begin().await?;
    for chunk in shown.chunks(crate::db::CHUNK_ROWS) {
        on_tx!(&mut tx, |c| {
            let mut q = sqlx::QueryBuilder::new("with v (a, p, at) as (");
            q.push_values(chunk, |mut b, (attempt_id, position, at)| {
                b.push_bind(*attempt_id).push_bind(*position).push_bind(*at);
            });
            q.push(
                ") update attempt_question as d set shown_at = v.at from v \
                 where d.attempt_id = v.a and d.position = v.p and d.shown_at is null",
            );
            q.build().execute(&mut *c).await.map(|_| ())
        })?;
    }
    tx.commit().await?;
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

/// Records answers, each once: false for a question answered already (before, or earlier in
/// `answers`). One statement stores a chunk of answers.
pub async fn answer_many(tx: &mut Tx, answers: &[NewAnswer]) -> Result<Vec<bool>> {
    const UPDATE: &str = " update attempt_question as d set answered_at = v.at, given = v.g, correct = v.c, \
         points = v.pts from v where d.attempt_id = v.a and d.position = v.p and d.answered_at is null \
         returning attempt_id, position";
    let mut seen = std::collections::HashSet::with_capacity(answers.len());
    let first: Vec<bool> = answers.iter().map(|a| seen.insert((a.attempt_id, a.position))).collect();
    let unique: Vec<&NewAnswer> = answers.iter().zip(&first).filter(|(_, f)| **f).map(|(a, _)| a).collect();
    if unique.is_empty() {
        return Ok(first.into_iter().map(|_| false).collect());
    }
    // On PostgreSQL as arrays: one statement for any batch, prepared once. A list of values is a
    // statement of its own for each batch size, planned again each time.
    let stored: std::collections::HashSet<(i64, i64)> = match tx {
        Tx::Sqlite(c, _) => {
            let mut stored = std::collections::HashSet::with_capacity(unique.len());
            for chunk in unique.chunks(crate::db::CHUNK_ROWS) {
                let mut q = sqlx::QueryBuilder::new("with v (a, p, at, g, c, pts) as (");
                q.push_values(chunk, |mut b, a| {
                    b.push_bind(a.attempt_id)
                        .push_bind(a.position)
                        .push_bind(a.at)
                        .push_bind(json(&a.given))
                        .push_bind(a.correct)
                        .push_bind(a.points);
                });
                q.push(")").push(UPDATE);
                let rows: Vec<(i64, i64)> = q.build_query_as().fetch_all(&mut **c).await?;
                stored.extend(rows);
            }
            stored
        }
        Tx::Postgres(c) => {
            let rows: Vec<(i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "with v (a, p, at, g, c, pts) as (select * from unnest($1::bigint[], $2::bigint[], \
                 $3::timestamptz[], $4::text[], $5::boolean[], $6::bigint[])){UPDATE}"
            )))
            .bind(column(&unique, |a| a.attempt_id))
            .bind(column(&unique, |a| a.position))
            .bind(column(&unique, |a| a.at))
            .bind(column(&unique, |a| json(&a.given)))
            .bind(column(&unique, |a| a.correct))
            .bind(column(&unique, |a| a.points))
            .fetch_all(&mut **c)
            .await?;
            rows.into_iter().collect()
        }
    };
    Ok(answers.iter().zip(first).map(|(a, f)| f && stored.contains(&(a.attempt_id, a.position))).collect())
}

/// What answering one question needs: the attempt's state, the drawn question, the quiz's scoring
/// and time, and how many questions the attempt has.
#[derive(Clone, Debug, FromRow)]
pub struct AnswerContext {
    /// Which of the answers asked for this is (see [`answer_contexts`]).
    n: i64,
    pub(crate) attempt_id: i64,
    /// The question's position in the attempt.
    pub position: i64,
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
    /// Its weights, JSON.
    pub weights: Option<String>,
    /// accuracy or speed.
    pub scoring: String,
    /// Seconds per attempt.
    pub time_limit_seconds: i64,
    /// Questions in the attempt.
    pub questions: i64,
}

/// The contexts of answering questions (attempt token, position), in one read for all of them:
/// one an answer asked for, `None` where no attempt has the token. A position the attempt did
/// not draw has no question (`option_order` and the question's columns are `None`). Read in the
/// transaction that stores the answers: on `SQLite` its connection's pages are the freshest.
pub async fn answer_contexts(tx: &mut Tx, wanted: &[(&str, i64)]) -> Result<Vec<Option<AnswerContext>>> {
    const SELECT: &str = " select w.n, a.id as attempt_id, w.position, a.deadline_at, a.submitted_at, d.option_order, \
         d.shown_at, d.answered_at, q.kind, q.options, q.answer, q.weights, z.scoring, z.time_limit_seconds, \
         (select count(*) from attempt_question c where c.attempt_id = a.id) as questions \
         from wanted w join attempt a on a.token = w.token join quiz z on z.id = a.quiz_id \
         left join attempt_question d on d.attempt_id = a.id and d.position = w.position \
         left join question q on q.id = d.question_id";
    let numbered: Vec<(i64, &str, i64)> =
        (0..).zip(wanted).map(|(n, (token, position))| (n, *token, *position)).collect();
    // On PostgreSQL as arrays, as in [`answer_many`].
    let rows: Vec<AnswerContext> = match tx {
        Tx::Sqlite(c, _) => {
            let mut rows = Vec::with_capacity(wanted.len());
            for chunk in numbered.chunks(crate::db::CHUNK_ROWS) {
                let mut q = sqlx::QueryBuilder::new("with wanted (n, token, position) as (");
                q.push_values(chunk, |mut b, (n, token, position)| {
                    b.push_bind(*n).push_bind(*token).push_bind(*position);
                });
                q.push(")").push(SELECT);
                rows.extend(q.build_query_as::<AnswerContext>().fetch_all(&mut **c).await?);
            }
            rows
        }
        Tx::Postgres(c) => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "with wanted (n, token, position) as (select * from unnest($1::bigint[], $2::text[], $3::bigint[])){SELECT}"
        )))
        .bind(column(&numbered, |w| w.0))
        .bind(column(&numbered, |w| w.1))
        .bind(column(&numbered, |w| w.2))
        .fetch_all(&mut **c)
        .await?,
    };
    let mut out = vec![None; wanted.len()];
    for row in rows {
        if let Some(slot) = usize::try_from(row.n).ok().and_then(|n| out.get_mut(n)) {
            *slot = Some(row);
        }
    }
    Ok(out)
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
                } else if !regions.is_empty() {
                    // One statement for the participant's regions (distinct paths, so no row twice).
                    let mut q =
                        sqlx::QueryBuilder::new("insert into quiz_region_count (quiz_id, region_path, participants) ");
                    q.push_values(regions, |mut b, path| {
                        b.push_bind(attempt.quiz_id).push_bind(path).push_bind(1_i64);
                    });
                    q.push(
                        " on conflict (quiz_id, region_path) do update set participants = quiz_region_count.participants + 1",
                    );
                    q.build().execute(&mut *c).await?;
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
