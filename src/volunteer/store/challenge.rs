//! The orienteering and skills challenge: stations, results and the board.

use serde::Serialize;
use sqlx::FromRow;
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use crate::db::{CHUNK_ROWS, Db};
use crate::error::ResultExt as _;
use crate::org::Scope;
use crate::{Error, Result, clock, on_db, on_tx};

/// A challenge.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Challenge {
    pub(crate) id: i64,
    pub(crate) name: String,
    /// Day held.
    #[schema(value_type = String, format = Date)]
    pub held_on: Date,
    /// Region code.
    pub region_code: String,
    /// Region path.
    pub region_path: String,
}

/// A checkpoint of the orienteering course.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Checkpoint {
    pub(crate) id: i64,
    /// Code on the course (`K1`).
    pub code: String,
    pub(crate) name: String,
    /// Order on the course.
    pub sort: i64,
    /// Penalty for missing it, seconds.
    pub penalty_seconds: i64,
}

/// A skills station.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Station {
    pub(crate) id: i64,
    /// Code (`S1`).
    pub code: String,
    pub(crate) name: String,
    /// Highest score.
    pub max_score: i64,
}

/// A competitor.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
#[schema(as = ChallengeEntry)]
pub struct Entry {
    pub(crate) id: i64,
    pub(crate) member_id: i64,
    pub(crate) member_name: String,
    /// Team id.
    pub team_id: i64,
    /// Team name.
    pub team_name: String,
    /// Start.
    #[schema(value_type = Option<String>)]
    pub started_at: Option<OffsetDateTime>,
    /// Finish.
    #[schema(value_type = Option<String>)]
    pub finished_at: Option<OffsetDateTime>,
}

/// Challenges held inside the scope (or above it), newest first.
pub async fn challenges(db: &Db, scope: &Scope) -> Result<Vec<Challenge>> {
    let (low, high) = scope.bounds();
    Ok(on_db!(db, |p| sqlx::query_as(
        "select id, name, held_on, region_code, region_path from challenge \
         where (region_path >= $1 and region_path < $2 or $1 like region_path || '%') order by held_on desc, id desc"
    )
    .bind(low)
    .bind(&high)
    .fetch_all(p)
    .await)?)
}

/// One challenge visible in the scope.
pub async fn challenge(db: &Db, scope: &Scope, id: i64) -> Result<Challenge> {
    let (low, high) = scope.bounds();
    on_db!(db, |p| sqlx::query_as(
        "select id, name, held_on, region_code, region_path from challenge \
         where id = $3 and (region_path >= $1 and region_path < $2 or $1 like region_path || '%')"
    )
    .bind(low)
    .bind(&high)
    .bind(id)
    .fetch_optional(p)
    .await)?
    .ok_or(Error::NotFound)
}

/// Stores a challenge with its course and stations in one transaction.
pub async fn insert_challenge(
    db: &Db,
    name: &str,
    held_on: Date,
    region: (&str, &str),
    checkpoints: &[(String, String, i64)],
    stations: &[(String, String, i64)],
) -> Result<i64> {
    let mut tx = db.begin().await?;
    let id = on_tx!(&mut tx, |c| {
        let id: i64 = sqlx::query_scalar(
            "insert into challenge (name, held_on, region_code, region_path, created_at) values ($1, $2, $3, $4, $5) returning id",
        )
        .bind(name)
        .bind(held_on)
        .bind(region.0)
        .bind(region.1)
        .bind(clock::now())
        .fetch_one(&mut *c)
        .await?;
        if !checkpoints.is_empty() {
            let mut q = sqlx::QueryBuilder::new(
                "insert into challenge_checkpoint (challenge_id, code, name, sort, penalty_seconds) ",
            );
            q.push_values(checkpoints.iter().enumerate(), |mut b, (i, (code, name, penalty))| {
                b.push_bind(id)
                    .push_bind(code)
                    .push_bind(name)
                    .push_bind(i64::try_from(i).unwrap_or(0))
                    .push_bind(*penalty);
            });
            q.build()
                .execute(&mut *c)
                .await
                .on_constraint("challenge_checkpoint(challenge_id, code)", "error.checkpoint_code_twice")?;
        }
        if !stations.is_empty() {
            let mut q = sqlx::QueryBuilder::new("insert into challenge_station (challenge_id, code, name, max_score) ");
            q.push_values(stations, |mut b, (code, name, max)| {
                b.push_bind(id).push_bind(code).push_bind(name).push_bind(*max);
            });
            q.build()
                .execute(&mut *c)
                .await
                .on_constraint("challenge_station(challenge_id, code)", "error.station_code_twice")?;
        }
        id
    });
    tx.commit().await?;
    Ok(id)
}

/// The course of a challenge.
pub async fn checkpoints(db: &Db, challenge_id: i64) -> Result<Vec<Checkpoint>> {
    Ok(on_db!(db, |p| {
        sqlx::query_as(
        "select id, code, name, sort, penalty_seconds from challenge_checkpoint where challenge_id = $1 order by sort, id"
    )
    .bind(challenge_id)
    .fetch_all(p)
    .await
    })?)
}

/// The stations of a challenge.
pub async fn stations(db: &Db, challenge_id: i64) -> Result<Vec<Station>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "select id, code, name, max_score from challenge_station where challenge_id = $1 order by code, id"
    )
    .bind(challenge_id)
    .fetch_all(p)
    .await)?)
}

/// The competitors of a challenge.
pub async fn entries(db: &Db, challenge_id: i64) -> Result<Vec<Entry>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "select e.id, e.member_id, m.name as member_name, e.team_id, u.name as team_name, e.started_at, e.finished_at \
         from challenge_entry e join volunteer_member m on m.id = e.member_id join unit u on u.id = e.team_id \
         where e.challenge_id = $1 order by u.name, m.name, e.id"
    )
    .bind(challenge_id)
    .fetch_all(p)
    .await)?)
}

/// Enters members (with their teams) into a challenge in one statement per chunk; returns the
/// entry ids.
pub async fn insert_entries(db: &Db, challenge_id: i64, members: &[(i64, i64)]) -> Result<Vec<i64>> {
    let mut tx = db.begin().await?;
    let mut ids = Vec::with_capacity(members.len());
    on_tx!(&mut tx, |c| {
        for chunk in members.chunks(CHUNK_ROWS) {
            let mut q = sqlx::QueryBuilder::new("insert into challenge_entry (challenge_id, member_id, team_id) ");
            q.push_values(chunk, |mut b, (member, team)| {
                b.push_bind(challenge_id).push_bind(*member).push_bind(*team);
            });
            q.push(" returning id");
            let got: Vec<i64> = q
                .build_query_scalar()
                .fetch_all(&mut *c)
                .await
                .on_constraint("challenge_entry(challenge_id, member_id)", "error.entered_already")?;
            ids.extend(got);
        }
    });
    tx.commit().await?;
    Ok(ids)
}

/// Sets start and finish times of entries of a challenge: (entry, start, finish).
pub async fn set_times(
    db: &Db,
    challenge_id: i64,
    times: &[(i64, Option<OffsetDateTime>, Option<OffsetDateTime>)],
) -> Result<()> {
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |c| {
        for (entry, start, finish) in times {
            sqlx::query(
                "update challenge_entry set started_at = coalesce($1, started_at), finished_at = coalesce($2, finished_at) \
                 where id = $3 and challenge_id = $4",
            )
            .bind(start)
            .bind(finish)
            .bind(entry)
            .bind(challenge_id)
            .execute(&mut *c)
            .await?;
        }
    });
    tx.commit().await?;
    Ok(())
}

/// Records checkpoint punches (entry, checkpoint, time) in chunked upserts.
pub async fn upsert_punches(db: &Db, punches: &[(i64, i64, OffsetDateTime)]) -> Result<()> {
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |c| {
        for chunk in punches.chunks(CHUNK_ROWS) {
            let mut q = sqlx::QueryBuilder::new("insert into challenge_punch (entry_id, checkpoint_id, punched_at) ");
            q.push_values(chunk, |mut b, (entry, checkpoint, at)| {
                b.push_bind(*entry).push_bind(*checkpoint).push_bind(*at);
            });
            q.push(" on conflict (entry_id, checkpoint_id) do update set punched_at = excluded.punched_at");
            q.build().execute(&mut *c).await?;
        }
    });
    tx.commit().await?;
    Ok(())
}

/// Records station scores (entry, station, score) in chunked upserts.
pub async fn upsert_scores(db: &Db, scores: &[(i64, i64, i64)]) -> Result<()> {
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |c| {
        for chunk in scores.chunks(CHUNK_ROWS) {
            let mut q = sqlx::QueryBuilder::new("insert into challenge_score (entry_id, station_id, score) ");
            q.push_values(chunk, |mut b, (entry, station, score)| {
                b.push_bind(*entry).push_bind(*station).push_bind(*score);
            });
            q.push(" on conflict (entry_id, station_id) do update set score = excluded.score");
            q.build().execute(&mut *c).await?;
        }
    });
    tx.commit().await?;
    Ok(())
}

/// Per entry of a challenge: penalty seconds of the checkpoints it missed, how many it missed,
/// and the sum of its station scores.
pub async fn entry_results(db: &Db, challenge_id: i64) -> Result<Vec<(i64, i64, i64, i64)>> {
    Ok(on_db!(db, |p| {
        sqlx::query_as(
        "select e.id, \
         cast(coalesce((select sum(k.penalty_seconds) from challenge_checkpoint k where k.challenge_id = e.challenge_id \
           and not exists (select 1 from challenge_punch p where p.entry_id = e.id and p.checkpoint_id = k.id)), 0) as bigint), \
         (select count(*) from challenge_checkpoint k where k.challenge_id = e.challenge_id \
           and not exists (select 1 from challenge_punch p where p.entry_id = e.id and p.checkpoint_id = k.id)), \
         cast(coalesce((select sum(s.score) from challenge_score s where s.entry_id = e.id), 0) as bigint) \
         from challenge_entry e where e.challenge_id = $1"
    )
    .bind(challenge_id)
    .fetch_all(p)
    .await
    })?)
}

/// The station scores of a challenge: (entry, station, score).
pub async fn scores(db: &Db, challenge_id: i64) -> Result<Vec<(i64, i64, i64)>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "select s.entry_id, s.station_id, s.score from challenge_score s join challenge_entry e on e.id = s.entry_id \
         where e.challenge_id = $1"
    )
    .bind(challenge_id)
    .fetch_all(p)
    .await)?)
}
