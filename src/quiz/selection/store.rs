//! Every SQL statement of the quiz's statistics and selections: per-question counts with the
//! upper and lower 27% groups, right answers per region and category, the eligible participants
//! in leaderboard order, stored selections with their entries, and flag clearances. Every query
//! reachable from HTTP is bounded by the caller's scope (the attempts' region paths).

use serde::Serialize;
use sqlx::FromRow;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::{Candidate, PREFECTURE_PATH_LEN};
use crate::db::{CHUNK_ROWS, Db};
use crate::org::Scope;
use crate::{Error, Result, clock, on_db, on_tx};

/// The counts behind a question's indexes, over the finished attempts in a scope.
#[derive(Clone, Debug, FromRow)]
pub struct QuestionCounts {
    pub(crate) question_id: i64,
    /// Its text.
    pub stem: String,
    pub(crate) category: String,
    pub(crate) difficulty: i64,
    /// Times drawn in finished attempts.
    pub answers: i64,
    /// Times answered right.
    pub right_answers: i64,
    /// Drawn in the upper 27% of attempts.
    pub upper_n: i64,
    /// Right there.
    pub upper_right: i64,
    /// Drawn in the lower 27%.
    pub lower_n: i64,
    /// Right there.
    pub lower_right: i64,
}

/// Per question of a quiz: how often drawn and answered right overall and in the upper and lower
/// 27% of finished attempts ranked by score, then time (one grouped query).
pub async fn question_counts(db: &Db, scope: &Scope, quiz_id: i64) -> Result<Vec<QuestionCounts>> {
    let (low, high) = scope.bounds();
    Ok(on_db!(db, |p| {
        sqlx::query_as(
        "with fin as (select id, row_number() over (order by score desc, duration_ms, id) as rk, count(*) over () as total \
           from attempt where quiz_id = $1 and submitted_at is not null and region_path >= $2 and region_path < $3), \
         g as (select id, case when rk <= (total * 27 + 99) / 100 then 1 when rk > total - (total * 27 + 99) / 100 then 2 else 0 end as grp from fin) \
         select q.id as question_id, q.stem, q.category, q.difficulty, count(*) as answers, \
           sum(case when d.correct then 1 else 0 end) as right_answers, \
           sum(case when g.grp = 1 then 1 else 0 end) as upper_n, sum(case when g.grp = 1 and d.correct then 1 else 0 end) as upper_right, \
           sum(case when g.grp = 2 then 1 else 0 end) as lower_n, sum(case when g.grp = 2 and d.correct then 1 else 0 end) as lower_right \
         from g join attempt_question d on d.attempt_id = g.id join question q on q.id = d.question_id \
         group by q.id, q.stem, q.category, q.difficulty order by q.id"
    )
    .bind(quiz_id)
    .bind(low)
    .bind(&high)
    .fetch_all(p)
    .await
    })?)
}

/// Finished attempts of a quiz in a scope.
pub async fn finished(db: &Db, scope: &Scope, quiz_id: i64) -> Result<i64> {
    let (low, high) = scope.bounds();
    Ok(on_db!(db, |p| {
        sqlx::query_scalar(
        "select count(*) from attempt where quiz_id = $1 and submitted_at is not null and region_path >= $2 and region_path < $3"
    )
    .bind(quiz_id)
    .bind(low)
    .bind(&high)
    .fetch_one(p)
    .await
    })?)
}

/// A weak topic of a region.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct WeakTopic {
    /// The region's path.
    pub region_path: String,
    /// Its name.
    pub region_name: String,
    /// Its code.
    pub region_code: String,
    pub(crate) category: String,
    /// Answers to its questions.
    pub answers: i64,
    /// Right ones.
    pub right_answers: i64,
    /// 1 for the weakest category of the region, 2 for the next, …
    pub place: i64,
    /// Approved products of the library on the topic, the season's first.
    #[sqlx(skip)]
    pub products: Vec<Suggestion>,
    /// The latest push on the topic that reached the region, and the right answers around it.
    #[sqlx(skip)]
    pub push: Option<PushEffect>,
}

/// A product suggested for a weak topic.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Suggestion {
    /// The product.
    pub product_id: i64,
    /// Its title.
    pub title: String,
}

/// Answers to a topic's questions and how many were right.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Rate {
    /// Answers.
    pub answers: i64,
    /// Right ones.
    pub right_answers: i64,
}

/// A push on a weak topic that reached the region, with the topic's right answers in the region
/// before it and after it (by when each attempt started).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PushEffect {
    /// The push.
    pub push_id: i64,
    /// When the region received it.
    #[schema(value_type = String)]
    pub at: OffsetDateTime,
    /// Before.
    pub before: Rate,
    /// After.
    pub after: Rate,
    /// One side has too few answers to read a change from.
    pub too_few: bool,
}

/// The `per_region` categories with the lowest share of right answers (at least `min_answers`
/// answers) in each region whose path is `path_len` long, within `within` (and the caller's
/// scope): grouped and ranked in SQL.
pub async fn weak_topics(
    db: &Db,
    scope: &Scope,
    quiz_id: i64,
    within: &Scope,
    path_len: usize,
    min_answers: i64,
    per_region: i64,
) -> Result<Vec<WeakTopic>> {
    let (low, high) = scope.bounds();
    let (wlow, whigh) = within.bounds();
    let len = i32::try_from(path_len).map_err(|_| Error::invalid("region", "error.region_too_deep"))?;
    Ok(on_db!(db, |p| {
        sqlx::query_as(
        "with t as (select substr(a.region_path, 1, $6) as region_path, q.category, count(*) as answers, \
             sum(case when d.correct then 1 else 0 end) as right_answers \
           from attempt a join attempt_question d on d.attempt_id = a.id join question q on q.id = d.question_id \
           where a.quiz_id = $1 and a.submitted_at is not null and a.region_path >= $2 and a.region_path < $3 \
             and a.region_path >= $4 and a.region_path < $5 \
           group by 1, 2 having count(*) >= $7), \
         k as (select region_path, category, answers, right_answers, \
             row_number() over (partition by region_path order by right_answers * 1.0 / answers, category) as place from t) \
         select k.region_path, coalesce(r.name, k.region_path) as region_name, coalesce(r.code, '') as region_code, \
         k.category, k.answers, k.right_answers, k.place \
         from k left join region r on r.path = k.region_path where k.place <= $8 order by k.region_path, k.place"
    )
    .bind(quiz_id)
    .bind(low)
    .bind(&high)
    .bind(wlow)
    .bind(&whigh)
    .bind(len)
    .bind(min_answers)
    .bind(per_region)
    .fetch_all(p)
    .await
    })?)
}

/// Answers to a category's questions in the finished attempts of a quiz in a region (within the
/// scope), and the right ones: of attempts started before `at`, and of those started since.
pub async fn rates_around(
    db: &Db,
    scope: &Scope,
    quiz_id: i64,
    region_path: &str,
    category: &str,
    at: OffsetDateTime,
) -> Result<(Rate, Rate)> {
    let (low, high) = scope.bounds();
    let region = Scope::under(region_path);
    let (rlow, rhigh) = region.bounds();
    let (b, br, a, ar): (i64, i64, i64, i64) = on_db!(db, |p| {
        sqlx::query_as(
        "select count(case when a.started_at < $6 then 1 end), count(case when a.started_at < $6 and d.correct then 1 end), \
         count(case when a.started_at >= $6 then 1 end), count(case when a.started_at >= $6 and d.correct then 1 end) \
         from attempt a join attempt_question d on d.attempt_id = a.id join question q on q.id = d.question_id \
         where a.quiz_id = $1 and a.submitted_at is not null and a.region_path >= $2 and a.region_path < $3 \
           and a.region_path >= $4 and a.region_path < $5 and q.category = $7"
    )
    .bind(quiz_id)
    .bind(low)
    .bind(&high)
    .bind(rlow)
    .bind(&rhigh)
    .bind(at)
    .bind(category)
    .fetch_one(p)
    .await
    })?;
    Ok((Rate { answers: b, right_answers: br }, Rate { answers: a, right_answers: ar }))
}

#[derive(FromRow)]
struct CandidateRow {
    participant_id: i64,
    attempt_id: i64,
    score: i64,
    duration_ms: i64,
    region_path: String,
}

/// The participants eligible in a quiz, in leaderboard order (score, then time): each person
/// (one per phone, one per device) with their best finished attempt that scored at least
/// `min_score` and is not flagged, or whose flag a reviewer cleared; within the scope.
pub async fn candidates(db: &Db, scope: &Scope, quiz_id: i64, min_score: i64) -> Result<Vec<Candidate>> {
    let (low, high) = scope.bounds();
    let rows: Vec<CandidateRow> = on_db!(db, |p| {
        sqlx::query_as(
        "with ok as (select a.id, a.participant_id, a.score, a.duration_ms, a.region_path, \
             coalesce('phone:' || p.phone_index, 'device:' || p.device_hash, 'id:' || cast(p.id as text)) as person \
           from attempt a join participant p on p.id = a.participant_id \
           where a.quiz_id = $1 and a.submitted_at is not null and a.score >= $2 and a.region_path >= $3 and a.region_path < $4 \
             and (a.flags = '' or exists (select 1 from quiz_flag_clearance c where c.attempt_id = a.id))), \
         best as (select ok.*, row_number() over (partition by person order by score desc, duration_ms, id) as n from ok) \
         select participant_id, id as attempt_id, score, coalesce(duration_ms, 0) as duration_ms, region_path from best where n = 1 \
         order by score desc, duration_ms, participant_id"
    )
    .bind(quiz_id)
    .bind(min_score)
    .bind(low)
    .bind(&high)
    .fetch_all(p)
    .await
    })?;
    Ok(rows
        .into_iter()
        .map(|r| Candidate {
            participant_id: r.participant_id,
            attempt_id: r.attempt_id,
            score: r.score,
            duration_ms: r.duration_ms,
            region_path: r.region_path,
        })
        .collect())
}

/// A selection to store.
pub struct NewSelection<'a> {
    pub(crate) quiz_id: i64,
    /// What it is.
    pub kind: super::Kind,
    /// The finalists a team list was formed from.
    pub source_id: Option<i64>,
    /// Its rules, JSON.
    pub rules: String,
    /// The draw's seed.
    pub seed: &'a str,
    /// The draw's algorithm.
    pub algorithm: &'a str,
    /// How many were eligible.
    pub eligible: i64,
    /// Who ran it.
    pub created_by: i64,
}

/// An entry to store: (candidate, chosen order or none, team or none).
pub type NewEntry<'a> = (&'a Candidate, Option<i64>, Option<i64>);

/// Stores a selection and its entries (chunked multi-row inserts) in one transaction.
pub async fn insert_selection(db: &Db, s: &NewSelection<'_>, entries: &[NewEntry<'_>]) -> Result<i64> {
    let mut tx = db.begin().await?;
    let id = on_tx!(&mut tx, |conn| {
        let id: i64 = sqlx::query_scalar(
            "insert into quiz_selection (quiz_id, kind, source_id, rules, seed, algorithm, eligible, created_by, created_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id",
        )
        .bind(s.quiz_id)
        .bind(s.kind)
        .bind(s.source_id)
        .bind(&s.rules)
        .bind(s.seed)
        .bind(s.algorithm)
        .bind(s.eligible)
        .bind(s.created_by)
        .bind(clock::now())
        .fetch_one(&mut *conn)
        .await?;
        for (n, chunk) in entries.chunks(CHUNK_ROWS / 2).enumerate() {
            let mut q = sqlx::QueryBuilder::new(
                "insert into quiz_selection_entry (selection_id, position, participant_id, attempt_id, score, duration_ms, region_path, chosen, team) ",
            );
            q.push_values(chunk.iter().enumerate(), |mut b, (i, (c, chosen, team))| {
                b.push_bind(id)
                    .push_bind(i64::try_from(n * (CHUNK_ROWS / 2) + i).unwrap_or(0))
                    .push_bind(c.participant_id)
                    .push_bind(c.attempt_id)
                    .push_bind(c.score)
                    .push_bind(c.duration_ms)
                    .push_bind(&c.region_path)
                    .push_bind(*chosen)
                    .push_bind(*team);
            });
            q.build().execute(&mut *conn).await?;
        }
        id
    });
    tx.commit().await?;
    Ok(id)
}

/// A stored selection.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Selection {
    pub(crate) id: i64,
    pub(crate) quiz_id: i64,
    /// What it is.
    pub kind: super::Kind,
    /// The finalists a team list was formed from.
    pub source_id: Option<i64>,
    /// The rules it was run with, JSON.
    pub rules: String,
    /// The draw's published seed.
    pub seed: String,
    /// The draw's algorithm.
    pub algorithm: String,
    /// How many participants were eligible.
    pub eligible: i64,
    /// When.
    #[schema(value_type = String)]
    pub created_at: OffsetDateTime,
}

const SELECTION_COLUMNS: &str =
    "s.id, s.quiz_id, s.kind, s.source_id, s.rules, s.seed, s.algorithm, s.eligible, s.created_at";

/// The selections of a quiz, newest first.
pub async fn selections(db: &Db, quiz_id: i64) -> Result<Vec<Selection>> {
    let sql = format!("select {SELECTION_COLUMNS} from quiz_selection s where s.quiz_id = $1 order by s.id desc");
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(quiz_id).fetch_all(p).await)?)
}

/// One selection of a quiz.
pub async fn selection(db: &Db, quiz_id: i64, id: i64) -> Result<Selection> {
    let sql = format!("select {SELECTION_COLUMNS} from quiz_selection s where s.quiz_id = $1 and s.id = $2");
    on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(quiz_id).bind(id).fetch_optional(p).await)?
        .ok_or(Error::NotFound)
}

/// The newest selection of a kind in a quiz.
pub async fn latest(db: &Db, quiz_id: i64, kind: super::Kind) -> Result<Option<Selection>> {
    let sql = format!(
        "select {SELECTION_COLUMNS} from quiz_selection s where s.quiz_id = $1 and s.kind = $2 order by s.id desc limit 1"
    );
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(quiz_id).bind(kind).fetch_optional(p).await)?)
}

/// An entry of a selection, with what is shown of the participant.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
#[schema(as = SelectionEntry)]
pub struct Entry {
    /// Position (leaderboard order for finalists, participant-id order for a draw's eligible list).
    pub position: i64,
    pub(crate) participant_id: i64,
    /// The attempt that counted.
    pub attempt_id: i64,
    pub(crate) nickname: String,
    /// Masked phone number ('' for device participants).
    pub phone_masked: String,
    /// Prefecture-level region.
    pub region_name: String,
    /// Its path.
    pub region_path: String,
    pub(crate) score: i64,
    pub(crate) duration_ms: i64,
    /// Order chosen (a finalist's place; a winner's order in the draw; none: not drawn).
    pub chosen: Option<i64>,
    /// Team (1-based), for team lists.
    pub team: Option<i64>,
}

/// The entries of a selection in order; `only_chosen` leaves out a draw's other eligible.
pub async fn entries(db: &Db, selection_id: i64, only_chosen: bool) -> Result<Vec<Entry>> {
    let len = i32::try_from(PREFECTURE_PATH_LEN).unwrap_or(9);
    Ok(on_db!(db, |p| {
        sqlx::query_as(
        "select e.position, e.participant_id, e.attempt_id, p.nickname, p.phone_masked, coalesce(r.name, '') as region_name, \
           e.region_path, e.score, e.duration_ms, e.chosen, e.team \
         from quiz_selection_entry e join participant p on p.id = e.participant_id \
         left join region r on r.path = substr(e.region_path, 1, $2) \
         where e.selection_id = $1 and ($3 = false or e.chosen is not null) \
         order by case when $3 then e.chosen else e.position end"
    )
    .bind(selection_id)
    .bind(len)
    .bind(only_chosen)
    .fetch_all(p)
    .await
    })?)
}

/// A flagged attempt with its clearance, if any.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Flagged {
    pub(crate) attempt_id: i64,
    /// Participant's nickname.
    pub nickname: String,
    pub(crate) score: i64,
    pub(crate) duration_ms: Option<i64>,
    /// Why it was flagged.
    pub flags: String,
    /// Why a reviewer cleared it ('' when not cleared).
    pub cleared_reason: String,
}

/// The flagged finished attempts of a quiz within the scope, best first.
pub async fn flagged(db: &Db, scope: &Scope, quiz_id: i64, limit: i64) -> Result<Vec<Flagged>> {
    let (low, high) = scope.bounds();
    Ok(on_db!(db, |p| {
        sqlx::query_as(
        "select a.id as attempt_id, p.nickname, a.score, a.duration_ms, a.flags, coalesce(c.reason, '') as cleared_reason \
         from attempt a join participant p on p.id = a.participant_id left join quiz_flag_clearance c on c.attempt_id = a.id \
         where a.quiz_id = $1 and a.flags <> '' and a.submitted_at is not null and a.region_path >= $2 and a.region_path < $3 \
         order by a.score desc, a.duration_ms, a.id limit $4"
    )
    .bind(quiz_id)
    .bind(low)
    .bind(&high)
    .bind(limit)
    .fetch_all(p)
    .await
    })?)
}

/// Flagged finished attempts nobody has cleared yet, per quiz owned within the scope (whose flags
/// the scope's staff may clear): quiz id and count, by quiz.
pub async fn flags_waiting(db: &Db, scope: &Scope) -> Result<Vec<(i64, i64)>> {
    let (low, high) = scope.bounds();
    Ok(on_db!(db, |p| {
        sqlx::query_as(
            "select q.id, count(*) from quiz q join attempt a on a.quiz_id = q.id \
         where q.owner_path >= $1 and q.owner_path < $2 and a.flags <> '' and a.submitted_at is not null \
         and not exists (select 1 from quiz_flag_clearance c where c.attempt_id = a.id) \
         group by q.id order by q.id",
        )
        .bind(low)
        .bind(&high)
        .fetch_all(p)
        .await
    })?)
}

/// Clears the flags of attempts of the quiz within the scope, with one reason, all or none:
/// `NotFound` when one is no flagged attempt of the quiz there; how many were not cleared before.
pub async fn clear_flags(
    db: &Db,
    scope: &Scope,
    quiz_id: i64,
    attempt_ids: &[i64],
    reason: &str,
    by: i64,
) -> Result<u64> {
    let mut ids = attempt_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let (low, high) = scope.bounds();
    let now = clock::now();
    let mut tx = db.begin().await?;
    let mut done = 0;
    for chunk in ids.chunks(crate::db::CHUNK_ROWS) {
        let flagged: i64 = on_tx!(&mut tx, |c| {
            let mut q = sqlx::QueryBuilder::new("select count(*) from attempt where quiz_id = ");
            q.push_bind(quiz_id).push(" and flags <> '' and region_path >= ").push_bind(low);
            q.push(" and region_path < ").push_bind(&high).push(" and id");
            crate::db::push_in(&mut q, chunk.iter().copied());
            q.build_query_scalar().fetch_one(&mut *c).await?
        });
        if usize::try_from(flagged).ok() != Some(chunk.len()) {
            return Err(Error::NotFound);
        }
        done += on_tx!(&mut tx, |c| {
            let mut q = sqlx::QueryBuilder::new(
                "insert into quiz_flag_clearance (attempt_id, reason, cleared_by, cleared_at) ",
            );
            q.push_values(chunk, |mut b, id| _ = b.push_bind(*id).push_bind(reason).push_bind(by).push_bind(now));
            q.push(" on conflict (attempt_id) do nothing").build().execute(&mut *c).await.map(|r| r.rows_affected())?
        });
    }
    tx.commit().await?;
    Ok(done)
}
