//! The leaderboard kept as attempts finish, with counts per score and region.

use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::{ATTEMPT_COLUMNS, Attempt, PARTICIPANT_COLUMNS, Participant, QUIZ_COLUMNS, Quiz};
use crate::db::Db;
use crate::org::Scope;
use crate::{Error, Result, clock, on_db, on_tx};

/// A line of a leaderboard.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct BoardLine {
    pub(crate) participant_id: i64,
    pub(crate) nickname: String,
    /// Region name.
    pub region_name: String,
    /// School or unit.
    pub school: String,
    pub(crate) score: i64,
    /// Time taken.
    pub duration_ms: i64,
}

/// The best `limit` participants of a quiz, optionally within a region subtree or a school,
/// ranked by score, then time. A `public` board leaves out those whose counting attempt is
/// flagged (too fast, too many identities) until a person clears it.
pub async fn board(
    db: &Db,
    quiz_id: i64,
    region: Option<&Scope>,
    school: Option<&str>,
    public: bool,
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
         and ($7 = false or not exists (select 1 from attempt a where a.id = b.attempt_id and a.flags <> '' \
           and not exists (select 1 from quiz_flag_clearance c where c.attempt_id = a.id))) \
         order by b.score desc, b.duration_ms, b.participant_id limit $6"
    )
    .bind(quiz_id)
    .bind(region)
    .bind(low)
    .bind(high)
    .bind(school)
    .bind(limit)
    .bind(public)
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

/// How many participants finished an attempt, how many attempts were finished, and how many are
/// flagged and not cleared.
pub async fn counts(db: &Db, quiz_id: i64) -> Result<(i64, i64, i64)> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "select (select count(*) from quiz_best where quiz_id = $1), \
         (select count(*) from attempt where quiz_id = $1 and submitted_at is not null), \
         (select count(*) from attempt a where a.quiz_id = $1 and a.flags <> '' \
          and not exists (select 1 from quiz_flag_clearance c where c.attempt_id = a.id))"
    )
    .bind(quiz_id)
    .fetch_one(p)
    .await)?)
}

/// Flagged attempts of a quiz nobody has cleared, newest first.
pub async fn flagged(db: &Db, quiz_id: i64, limit: i64) -> Result<Vec<Attempt>> {
    let sql = format!(
        "select {ATTEMPT_COLUMNS} from attempt a where quiz_id = $1 and flags <> '' \
                 and not exists (select 1 from quiz_flag_clearance c where c.attempt_id = a.id) order by id desc limit $2"
    );
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

/// Fills a quiz's leaderboard with `n` generated participants who finished an attempt
/// (`firecast bench quiz`): participants, attempts and best results in set-based inserts, then the
/// score counts rebuilt, in one transaction (then, on `PostgreSQL`, vacuumed and analysed).
pub async fn fill_board(db: &Db, quiz_id: i64, n: i64, region: (&str, &str)) -> Result<()> {
    let now = clock::now();
    let tag = format!("bench-{quiz_id}-");
    let numbers = db.series();
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
    if let Db::Postgres(_) = db {
        db.analyze(&["participant", "attempt", "quiz_best", "quiz_score_count"]).await?;
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
