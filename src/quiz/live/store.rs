//! Every SQL statement of live matches: the match with its teams, rounds and questions (stored in
//! one transaction), the host's moves, the teams' wagers, buzzes and answers (each accepted by one
//! conditional statement, so the database decides what came first and what came late), the
//! judges' corrections and the scoreboard.

use serde::Serialize;
use sqlx::FromRow;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::{ItemState, MatchState, Mode, RoundInput, RoundKind, TeamInput};
use crate::db::{CHUNK_ROWS, Db};
use crate::org::Scope;
use crate::{Error, Result, clock, on_db, on_tx};

/// A match as stored.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Match {
    pub(crate) id: i64,
    pub(crate) title: String,
    /// Where the match is.
    pub state: MatchState,
    /// The round under way (1 for the first; 0 before the start).
    pub round_no: i64,
    /// The current question.
    pub item_id: Option<i64>,
    /// The owning unit.
    pub owner_unit_id: i64,
    /// Its region path.
    pub owner_path: String,
    /// When it was set up.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A team as stored.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
#[schema(as = LiveTeam)]
pub struct Team {
    pub(crate) id: i64,
    /// The match.
    pub match_id: i64,
    /// 1 for the first team.
    pub position: i64,
    pub(crate) name: String,
    /// Region it represents.
    pub region: String,
    /// Members' names, JSON.
    #[serde(skip)]
    pub members: String,
    /// The secret of its phone link.
    pub token: String,
}

impl Team {
    /// Its members' names.
    pub fn member_names(&self) -> Vec<String> {
        serde_json::from_str(&self.members).unwrap_or_default()
    }
}

/// A round as stored.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Round {
    /// 1 for the first round.
    pub position: i64,
    /// The kind of round.
    pub kind: RoundKind,
    /// Who answers.
    pub mode: Mode,
    /// Points for a right answer.
    pub points: i64,
    /// Points lost on a wrong buzzer answer.
    pub penalty: i64,
    /// Whether other teams may buzz after a wrong answer.
    pub rebound: bool,
    /// Seconds a question is open.
    pub seconds: i64,
}

/// A question of a match as stored.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Item {
    pub(crate) id: i64,
    /// The match.
    pub match_id: i64,
    /// Its round.
    pub round_no: i64,
    /// 1 for the round's first question.
    pub position: i64,
    /// The bank's question.
    pub question_id: i64,
    /// The team that answers it (compulsory, one team each); none: every team.
    pub team_id: Option<i64>,
    /// Where the question is.
    pub state: ItemState,
    /// When it opened.
    #[serde(with = "time::serde::rfc3339::option")]
    pub opened_at: Option<OffsetDateTime>,
    /// When it stops taking answers.
    #[serde(with = "time::serde::rfc3339::option")]
    pub closes_at: Option<OffsetDateTime>,
    /// Buzzer: the team whose buzz won.
    pub buzz_team_id: Option<i64>,
}

impl Item {
    /// Whether it takes answers at `now`.
    pub fn taking_answers(&self, now: OffsetDateTime) -> bool {
        self.state == ItemState::Open && self.closes_at.is_some_and(|c| now < c)
    }

    /// Seconds until it closes (0 when closed).
    pub fn seconds_left(&self, now: OffsetDateTime) -> i64 {
        match (self.state, self.closes_at) {
            (ItemState::Open, Some(c)) => (c - now).whole_seconds().max(0),
            _ => 0,
        }
    }
}

/// A question placed in a round.
#[derive(Clone, Debug)]
pub struct NewItem {
    /// Round (1-based).
    pub round_no: i64,
    /// Place in the round (1-based).
    pub position: i64,
    /// The bank's question.
    pub question_id: i64,
    /// The team (by its 1-based place in the list) that answers it.
    pub team: Option<i64>,
}

/// A match to store.
pub struct NewMatch<'a> {
    pub(crate) title: &'a str,
    /// Owning unit (id, region path).
    pub owner: (i64, &'a str),
    /// Who sets it up.
    pub created_by: i64,
    /// Teams with the token of each.
    pub teams: &'a [(TeamInput, String)],
    /// Rounds in order.
    pub rounds: &'a [RoundInput],
    /// Their questions.
    pub items: &'a [NewItem],
}

/// Stores a match with its teams, rounds and questions in one transaction. Returns its id.
pub async fn insert_match(db: &Db, m: &NewMatch<'_>) -> Result<i64> {
    let now = clock::now();
    let mut tx = db.begin().await?;
    let id = on_tx!(&mut tx, |conn| {
        let id: i64 = sqlx::query_scalar(
            "insert into live_match (title, state, round_no, owner_unit_id, owner_path, created_by, created_at) \
             values ($1, 'setup', 0, $2, $3, $4, $5) returning id",
        )
        .bind(m.title)
        .bind(m.owner.0)
        .bind(m.owner.1)
        .bind(m.created_by)
        .bind(now)
        .fetch_one(&mut *conn)
        .await?;
        let mut q =
            sqlx::QueryBuilder::new("insert into live_team (match_id, position, name, region, members, token) ");
        q.push_values(m.teams.iter().enumerate(), |mut b, (i, (t, token))| {
            b.push_bind(id)
                .push_bind(i64::try_from(i + 1).unwrap_or(0))
                .push_bind(t.name.trim())
                .push_bind(t.region.trim())
                .push_bind(serde_json::to_string(&t.members).unwrap_or_default())
                .push_bind(token);
        });
        q.build().execute(&mut *conn).await?;
        let mut q = sqlx::QueryBuilder::new(
            "insert into live_round (match_id, position, kind, mode, points, penalty, rebound, seconds) ",
        );
        q.push_values(m.rounds.iter().enumerate(), |mut b, (i, r)| {
            b.push_bind(id)
                .push_bind(i64::try_from(i + 1).unwrap_or(0))
                .push_bind(r.kind.as_str())
                .push_bind(r.mode().as_str())
                .push_bind(r.points)
                .push_bind(r.penalty)
                .push_bind(r.rebound)
                .push_bind(r.seconds);
        });
        q.build().execute(&mut *conn).await?;
        let teams: Vec<(i64, i64)> = sqlx::query_as("select position, id from live_team where match_id = $1")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
        let team_id = |p: Option<i64>| p.and_then(|p| teams.iter().find(|t| t.0 == p).map(|t| t.1));
        for chunk in m.items.chunks(CHUNK_ROWS / 6) {
            let mut q = sqlx::QueryBuilder::new(
                "insert into live_item (match_id, round_no, position, question_id, team_id, state) ",
            );
            q.push_values(chunk, |mut b, it| {
                b.push_bind(id)
                    .push_bind(it.round_no)
                    .push_bind(it.position)
                    .push_bind(it.question_id)
                    .push_bind(team_id(it.team))
                    .push_bind("pending");
            });
            q.build().execute(&mut *conn).await?;
        }
        id
    });
    tx.commit().await?;
    Ok(id)
}

const MATCH_COLUMNS: &str = "id, title, state, round_no, item_id, owner_unit_id, owner_path, created_at";

/// The matches owned inside the scope, newest first.
pub async fn matches(db: &Db, scope: &Scope) -> Result<Vec<Match>> {
    let (low, high) = scope.bounds();
    let sql =
        format!("select {MATCH_COLUMNS} from live_match where owner_path >= $1 and owner_path < $2 order by id desc");
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(low).bind(&high).fetch_all(p).await)?)
}

/// One match owned inside the scope.
pub async fn find(db: &Db, scope: &Scope, id: i64) -> Result<Match> {
    let (low, high) = scope.bounds();
    let sql = format!("select {MATCH_COLUMNS} from live_match where id = $1 and owner_path >= $2 and owner_path < $3");
    on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).bind(low).bind(&high).fetch_optional(p).await)?
        .ok_or(Error::NotFound)
}

/// The match of a team (reached through the team's secret link).
pub async fn match_of_team(db: &Db, team: &Team) -> Result<Match> {
    let sql = format!("select {MATCH_COLUMNS} from live_match where id = $1");
    on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(team.match_id).fetch_optional(p).await)?
        .ok_or(Error::NotFound)
}

/// Moves the match: its state, round and current question.
pub async fn set_position(db: &Db, id: i64, state: MatchState, round_no: i64, item_id: Option<i64>) -> Result<()> {
    on_db!(db, |p| sqlx::query("update live_match set state = $1, round_no = $2, item_id = $3 where id = $4")
        .bind(state.as_str())
        .bind(round_no)
        .bind(item_id)
        .bind(id)
        .execute(p)
        .await
        .map(|_| ()))?;
    Ok(())
}

const TEAM_COLUMNS: &str = "id, match_id, position, name, region, members, token";

/// The teams of a match in order.
pub async fn teams(db: &Db, match_id: i64) -> Result<Vec<Team>> {
    let sql = format!("select {TEAM_COLUMNS} from live_team where match_id = $1 order by position");
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(match_id).fetch_all(p).await)?)
}

/// The team of a phone link.
pub async fn team_by_token(db: &Db, token: &str) -> Result<Team> {
    let sql = format!("select {TEAM_COLUMNS} from live_team where token = $1");
    on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(token).fetch_optional(p).await)?.ok_or(Error::NotFound)
}

/// The rounds of a match in order.
pub async fn rounds(db: &Db, match_id: i64) -> Result<Vec<Round>> {
    Ok(on_db!(db, |p| {
        sqlx::query_as(
        "select position, kind, mode, points, penalty, rebound, seconds from live_round where match_id = $1 order by position"
    )
    .bind(match_id)
    .fetch_all(p)
    .await
    })?)
}

const ITEM_COLUMNS: &str =
    "id, match_id, round_no, position, question_id, team_id, state, opened_at, closes_at, buzz_team_id";

/// The questions of a match in order.
pub async fn items(db: &Db, match_id: i64) -> Result<Vec<Item>> {
    let sql = format!("select {ITEM_COLUMNS} from live_item where match_id = $1 order by round_no, position");
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(match_id).fetch_all(p).await)?)
}

/// One question of a match.
pub async fn item(db: &Db, match_id: i64, id: i64) -> Result<Item> {
    let sql = format!("select {ITEM_COLUMNS} from live_item where id = $1 and match_id = $2");
    on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).bind(match_id).fetch_optional(p).await)?
        .ok_or(Error::NotFound)
}

/// Moves a question from one of `from` to `to` (opening it sets its times); false when it was
/// not in one of `from` (another move came first).
pub async fn move_item(
    db: &Db,
    id: i64,
    from: &[ItemState],
    to: ItemState,
    times: Option<(OffsetDateTime, OffsetDateTime)>,
) -> Result<bool> {
    let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
    let list = from.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "update live_item set state = $1, opened_at = coalesce($2, opened_at), closes_at = case when $4 then $3 else closes_at end \
         where id = $5 and state in ({list})"
    );
    let (opened, closes) = times.map_or((None, None), |(a, b)| (Some(a), Some(b)));
    let n = on_db!(db, |p| sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(to.as_str())
        .bind(opened)
        .bind(closes)
        .bind(times.is_some())
        .bind(id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Stakes (or changes) a team's wager while the question takes wagers; false when it does not.
pub async fn stake(db: &Db, item_id: i64, team_id: i64, amount: i64) -> Result<bool> {
    let n = on_db!(db, |p| sqlx::query(
        "insert into live_wager (item_id, team_id, amount) select $1, $2, $3 where exists \
         (select 1 from live_item where id = $1 and state = 'wager') \
         on conflict (item_id, team_id) do update set amount = excluded.amount"
    )
    .bind(item_id)
    .bind(team_id)
    .bind(amount)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n >= 1)
}

/// A team's wager on a question.
pub async fn wager(db: &Db, item_id: i64, team_id: i64) -> Result<Option<i64>> {
    Ok(on_db!(db, |p| sqlx::query_scalar("select amount from live_wager where item_id = $1 and team_id = $2")
        .bind(item_id)
        .bind(team_id)
        .fetch_optional(p)
        .await)?)
}

/// How many teams have staked a wager on a question.
pub async fn wager_count(db: &Db, item_id: i64) -> Result<i64> {
    Ok(on_db!(db, |p| sqlx::query_scalar("select count(*) from live_wager where item_id = $1")
        .bind(item_id)
        .fetch_one(p)
        .await)?)
}

/// A team buzzes: it wins when the question is open, nobody has won the buzz yet and the team has
/// not answered it. The first such statement to reach the database wins.
pub async fn buzz(db: &Db, item_id: i64, team_id: i64, now: OffsetDateTime) -> Result<bool> {
    let n = on_db!(db, |p| {
        sqlx::query(
        "update live_item set buzz_team_id = $2 where id = $1 and state = 'open' and closes_at > $3 and buzz_team_id is null \
         and not exists (select 1 from live_answer where item_id = $1 and team_id = $2)"
    )
    .bind(item_id)
    .bind(team_id)
    .bind(now)
    .execute(p)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// An answer to store.
pub struct NewAnswer<'a> {
    /// The question of the match.
    pub item_id: i64,
    /// The team.
    pub team_id: i64,
    /// What it gave, JSON.
    pub given: &'a str,
    /// Whether it is right.
    pub correct: bool,
    /// Its points.
    pub points: i64,
    /// When it arrived.
    pub at: OffsetDateTime,
    /// Buzzer: only the team whose buzz won may answer.
    pub buzzer: bool,
    /// Buzzer: after this (wrong) answer the question goes back to the other teams.
    pub rebound: bool,
}

/// Stores an answer when the question takes it from this team: open, before its deadline, the
/// team's own question (or everyone's), the buzz winner in a buzzer round, and the team's first
/// answer. A buzzer question closes after its answer, or goes back to the others after a wrong
/// one when the round says so. False when the answer was refused.
pub async fn answer(db: &Db, a: &NewAnswer<'_>) -> Result<bool> {
    let mut tx = db.begin().await?;
    let taken = on_tx!(&mut tx, |conn| {
        let n = sqlx::query(
            "insert into live_answer (item_id, team_id, given, correct, points, answered_at) \
             select $1, $2, $3, $4, $5, $6 where exists (select 1 from live_item where id = $1 and state = 'open' \
             and closes_at > $6 and (team_id is null or team_id = $2) and ($7 = false or buzz_team_id = $2)) \
             on conflict (item_id, team_id) do nothing",
        )
        .bind(a.item_id)
        .bind(a.team_id)
        .bind(a.given)
        .bind(a.correct)
        .bind(a.points)
        .bind(a.at)
        .bind(a.buzzer)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if n == 1 && a.buzzer {
            let sql = if a.rebound && !a.correct {
                "update live_item set buzz_team_id = null where id = $1"
            } else {
                "update live_item set state = 'closed' where id = $1"
            };
            sqlx::query(sql).bind(a.item_id).execute(&mut *conn).await?;
        }
        n == 1
    });
    tx.commit().await?;
    Ok(taken)
}

/// An answer with its team, for the reveal.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct AnswerLine {
    /// The team.
    pub team_id: i64,
    /// Its name.
    pub team: String,
    /// What it gave, JSON.
    pub given: String,
    /// Whether it was right.
    pub correct: bool,
    /// Its points.
    pub points: i64,
    /// When it arrived.
    #[serde(with = "time::serde::rfc3339")]
    pub answered_at: OffsetDateTime,
}

/// The answers to a question in the order they arrived.
pub async fn answers(db: &Db, item_id: i64) -> Result<Vec<AnswerLine>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "select a.team_id, t.name as team, a.given, a.correct, a.points, a.answered_at from live_answer a \
         join live_team t on t.id = a.team_id where a.item_id = $1 order by a.answered_at, t.position"
    )
    .bind(item_id)
    .fetch_all(p)
    .await)?)
}

/// A team's answer to a question.
pub async fn answer_of(db: &Db, item_id: i64, team_id: i64) -> Result<Option<AnswerLine>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "select a.team_id, t.name as team, a.given, a.correct, a.points, a.answered_at from live_answer a \
         join live_team t on t.id = a.team_id where a.item_id = $1 and a.team_id = $2"
    )
    .bind(item_id)
    .bind(team_id)
    .fetch_optional(p)
    .await)?)
}

/// How many answers a question has.
pub async fn answer_count(db: &Db, item_id: i64) -> Result<i64> {
    Ok(on_db!(db, |p| sqlx::query_scalar("select count(*) from live_answer where item_id = $1")
        .bind(item_id)
        .fetch_one(p)
        .await)?)
}

/// Stores a judge's correction of a team's score; false when the team is not in the match.
pub async fn insert_correction(
    db: &Db,
    match_id: i64,
    team_id: i64,
    points: i64,
    reason: &str,
    by: i64,
) -> Result<Option<i64>> {
    Ok(on_db!(db, |p| {
        sqlx::query_scalar(
        "insert into live_correction (match_id, team_id, points, reason, by_user, created_at) \
         select $1, $2, $3, $4, $5, $6 where exists (select 1 from live_team where id = $2 and match_id = $1) returning id"
    )
    .bind(match_id)
    .bind(team_id)
    .bind(points)
    .bind(reason)
    .bind(by)
    .bind(clock::now())
    .fetch_optional(p)
    .await
    })?)
}

/// A judge's correction.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Correction {
    pub(crate) id: i64,
    /// The team.
    pub team_id: i64,
    /// Its name.
    pub team: String,
    /// Points added (negative: taken).
    pub points: i64,
    pub(crate) reason: String,
    /// The judge's name.
    pub by: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// The corrections of a match, oldest first.
pub async fn corrections(db: &Db, match_id: i64) -> Result<Vec<Correction>> {
    Ok(on_db!(db, |p| {
        sqlx::query_as(
        "select c.id, c.team_id, t.name as team, c.points, c.reason, u.display_name as by, c.created_at from live_correction c \
         join live_team t on t.id = c.team_id join app_user u on u.id = c.by_user where c.match_id = $1 order by c.id"
    )
    .bind(match_id)
    .fetch_all(p)
    .await
    })?)
}

/// A line of the scoreboard.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct ScoreLine {
    /// The team.
    pub team_id: i64,
    /// Its place in the team list.
    pub position: i64,
    /// Its name.
    pub name: String,
    /// Its region.
    pub region: String,
    /// Points of its answers.
    pub answered: i64,
    /// Points of the judges' corrections.
    pub corrected: i64,
    /// The two together.
    pub total: i64,
}

/// The scoreboard: each team's answer points plus corrections, best first.
pub async fn scoreboard(db: &Db, match_id: i64) -> Result<Vec<ScoreLine>> {
    Ok(on_db!(db, |p| {
        sqlx::query_as(
        "select team_id, position, name, region, answered, corrected, answered + corrected as total from ( \
         select t.id as team_id, t.position, t.name, t.region, \
         cast(coalesce((select sum(a.points) from live_answer a where a.team_id = t.id), 0) as bigint) as answered, \
         cast(coalesce((select sum(c.points) from live_correction c where c.team_id = t.id), 0) as bigint) as corrected \
         from live_team t where t.match_id = $1) s order by total desc, position"
    )
    .bind(match_id)
    .fetch_all(p)
    .await
    })?)
}
