//! Every SQL statement of livestreams: broadcasts, their viewers by day, reported views and comments.

use serde::Serialize;
use sqlx::FromRow;
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use super::{CommentState, State};
use crate::db::{CHUNK_ROWS, Db};
use crate::org::Scope;
use crate::{Error, Result, on_db, on_tx};

/// A broadcast with its counts.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
#[schema(as = Livestream)]
pub struct Stream {
    /// Id.
    pub id: i64,
    /// The organising unit.
    pub unit_id: i64,
    /// Its name.
    pub unit_name: String,
    /// Its region path.
    pub unit_path: String,
    /// Title.
    pub title: String,
    /// What it is about.
    pub summary: String,
    /// Where it is aimed: region code.
    pub region_code: String,
    /// Its path.
    pub region_path: String,
    /// The stream's address (HLS, a video file, or the platform's page).
    pub stream_url: String,
    /// The quiz taken during the stream (its public slug), if any.
    pub quiz_slug: String,
    /// Start.
    #[schema(value_type = String)]
    pub starts_at: OffsetDateTime,
    /// End.
    #[schema(value_type = String)]
    pub ends_at: OffsetDateTime,
    /// Open or finished.
    pub state: State,
    /// The activity record filed when it finished.
    pub activity_id: Option<i64>,
    /// Unique viewers per day on this page, summed over the days.
    pub viewers: i64,
    /// Views outside platforms reported.
    pub reported: i64,
    /// Comments waiting for staff.
    pub waiting: i64,
}

impl Stream {
    /// Every view counted: this page's daily unique viewers and the platforms' reported views.
    pub fn views(&self) -> i64 {
        self.viewers + self.reported
    }
}

const STREAM_SELECT: &str = "select s.id, s.unit_id, u.name as unit_name, s.unit_path, s.title, s.summary, \
     s.region_code, s.region_path, s.stream_url, s.quiz_slug, s.starts_at, s.ends_at, s.state, s.activity_id, \
     (select count(*) from livestream_viewer v where v.livestream_id = s.id) as viewers, \
     (select cast(coalesce(sum(r.views), 0) as bigint) from livestream_reported r where r.livestream_id = s.id) as reported, \
     (select count(*) from livestream_comment c where c.livestream_id = s.id and c.state = 'waiting') as waiting \
     from livestream s join unit u on u.id = s.unit_id";

/// A broadcast to store (checked by the caller).
#[derive(Clone, Debug)]
pub struct NewStream {
    /// Organising unit: id and region path.
    pub unit: (i64, String),
    /// Title and summary.
    pub text: (String, String),
    /// Where it is aimed: region code and path.
    pub region: (String, String),
    /// The stream's address and the quiz's slug.
    pub links: (String, String),
    /// Start and end.
    pub times: (OffsetDateTime, OffsetDateTime),
    /// Author.
    pub created_by: i64,
}

/// Stores a broadcast; returns its id.
pub async fn insert(db: &Db, s: &NewStream, now: OffsetDateTime) -> Result<i64> {
    let mut tx = db.begin().await?;
    let id: i64 = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
        "insert into livestream (unit_id, unit_path, title, summary, region_code, region_path, stream_url, quiz_slug, \
         starts_at, ends_at, created_by, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) returning id"
    )
    .bind(s.unit.0)
    .bind(&s.unit.1)
    .bind(&s.text.0)
    .bind(&s.text.1)
    .bind(&s.region.0)
    .bind(&s.region.1)
    .bind(&s.links.0)
    .bind(&s.links.1)
    .bind(s.times.0)
    .bind(s.times.1)
    .bind(s.created_by)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    })?;
    tx.commit().await?;
    Ok(id)
}

/// Broadcasts aimed inside the scope, the latest first.
pub async fn streams(db: &Db, scope: &Scope, limit: i64) -> Result<Vec<Stream>> {
    let (low, high) = scope.bounds();
    let sql = format!(
        "{STREAM_SELECT} where s.region_path >= $1 and s.region_path < $2 order by s.starts_at desc, s.id desc limit $3"
    );
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(low).bind(&high).bind(limit).fetch_all(p).await)?)
}

/// Open broadcasts that have not ended by `now`, the soonest first (for the public pages).
pub async fn upcoming(db: &Db, now: OffsetDateTime, limit: i64) -> Result<Vec<Stream>> {
    let sql = format!("{STREAM_SELECT} where s.state = 'open' and s.ends_at > $1 order by s.starts_at, s.id limit $2");
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(now).bind(limit).fetch_all(p).await)?)
}

/// One broadcast aimed inside the scope.
pub async fn stream(db: &Db, scope: &Scope, id: i64) -> Result<Stream> {
    let (low, high) = scope.bounds();
    let sql = format!("{STREAM_SELECT} where s.region_path >= $1 and s.region_path < $2 and s.id = $3");
    on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(low).bind(&high).bind(id).fetch_optional(p).await)?
        .ok_or(Error::NotFound)
}

/// One broadcast as the public sees it.
pub async fn public_stream(db: &Db, id: i64) -> Result<Stream> {
    let sql = format!("{STREAM_SELECT} where s.id = $1");
    on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(p).await)?.ok_or(Error::NotFound)
}

/// Counts a viewer (a keyed hash of their cookie) once a day; whether they were new today.
pub async fn view(db: &Db, id: i64, day: Date, viewer: &str) -> Result<bool> {
    let added = on_db!(db, |p| sqlx::query(
        "insert into livestream_viewer (livestream_id, day, viewer) values ($1, $2, $3) on conflict do nothing"
    )
    .bind(id)
    .bind(day)
    .bind(viewer)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(added > 0)
}

/// Unique viewers by day: (day, viewers).
pub async fn viewers_by_day(db: &Db, id: i64) -> Result<Vec<(Date, i64)>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "select day, count(*) from livestream_viewer where livestream_id = $1 group by day order by day"
    )
    .bind(id)
    .fetch_all(p)
    .await)?)
}

/// Stores viewers already counted (demo data): (broadcast, day, viewer).
pub async fn insert_viewers(db: &Db, rows: &[(i64, Date, String)]) -> Result<()> {
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |c| {
        for chunk in rows.chunks(CHUNK_ROWS) {
            let mut q = sqlx::QueryBuilder::new("insert into livestream_viewer (livestream_id, day, viewer) ");
            q.push_values(chunk, |mut b, (id, day, viewer)| {
                b.push_bind(*id).push_bind(*day).push_bind(viewer);
            });
            q.build().execute(&mut *c).await?;
        }
        Ok::<_, sqlx::Error>(())
    })?;
    tx.commit().await?;
    Ok(())
}

/// Views an outside platform reported.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Reported {
    /// Id.
    pub id: i64,
    /// The platform (抖音, 快手, a partner's name).
    pub platform: String,
    /// Views it reported.
    pub views: i64,
    /// Where the figure can be checked (a link or a screenshot's description).
    pub evidence: String,
    /// Who entered it.
    pub entered_by_name: String,
    /// When.
    #[schema(value_type = String)]
    pub entered_at: OffsetDateTime,
}

/// Enters views a platform reported.
pub async fn insert_reported(
    db: &Db,
    id: i64,
    (platform, views, evidence): (&str, i64, &str),
    by: i64,
    now: OffsetDateTime,
) -> Result<()> {
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |c| sqlx::query(
        "insert into livestream_reported (livestream_id, platform, views, evidence, entered_by, entered_at) \
         values ($1, $2, $3, $4, $5, $6)"
    )
    .bind(id)
    .bind(platform)
    .bind(views)
    .bind(evidence)
    .bind(by)
    .bind(now)
    .execute(&mut *c)
    .await
    .map(|_| ()))?;
    tx.commit().await?;
    Ok(())
}

/// A broadcast's reported views, in the order entered.
pub async fn reported(db: &Db, id: i64) -> Result<Vec<Reported>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "select r.id, r.platform, r.views, r.evidence, u.display_name as entered_by_name, r.entered_at \
         from livestream_reported r join app_user u on u.id = r.entered_by where r.livestream_id = $1 order by r.id"
    )
    .bind(id)
    .fetch_all(p)
    .await)?)
}

/// A comment or question.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
#[schema(as = LivestreamComment)]
pub struct Comment {
    /// Id.
    pub id: i64,
    /// The broadcast.
    pub livestream_id: i64,
    /// The name the viewer gave.
    pub nickname: String,
    /// What they wrote.
    pub body: String,
    /// Waiting, shown or hidden.
    pub state: CommentState,
    /// When.
    #[schema(value_type = String)]
    pub posted_at: OffsetDateTime,
}

/// Stores a comment, waiting for staff.
pub async fn insert_comment(db: &Db, id: i64, nickname: &str, body: &str, now: OffsetDateTime) -> Result<i64> {
    let mut tx = db.begin().await?;
    let cid = on_tx!(&mut tx, |c| {
        sqlx::query_scalar(
        "insert into livestream_comment (livestream_id, nickname, body, posted_at) values ($1, $2, $3, $4) returning id"
    )
    .bind(id)
    .bind(nickname)
    .bind(body)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    })?;
    tx.commit().await?;
    Ok(cid)
}

/// A broadcast's comments in a state (all when `None`), the latest first.
pub async fn comments(db: &Db, id: i64, state: Option<CommentState>, limit: i64) -> Result<Vec<Comment>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "select id, livestream_id, nickname, body, state, posted_at from livestream_comment \
         where livestream_id = $1 and ($2 is null or state = $2) order by id desc limit $3"
    )
    .bind(id)
    .bind(state)
    .bind(limit)
    .fetch_all(p)
    .await)?)
}

/// Shows or hides a comment of a broadcast; `NotFound` when it has no such comment.
pub async fn moderate(db: &Db, id: i64, comment: i64, to: CommentState, by: i64) -> Result<()> {
    let mut tx = db.begin().await?;
    let done = on_tx!(&mut tx, |c| sqlx::query(
        "update livestream_comment set state = $3, moderated_by = $4 where id = $2 and livestream_id = $1"
    )
    .bind(id)
    .bind(comment)
    .bind(to)
    .bind(by)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    if done == 0 {
        return Err(Error::NotFound);
    }
    tx.commit().await?;
    Ok(())
}

/// Finishes an open broadcast with the record it filed.
pub async fn finish(db: &Db, id: i64, activity_id: Option<i64>) -> Result<()> {
    let mut tx = db.begin().await?;
    let done = on_tx!(&mut tx, |c| sqlx::query(
        "update livestream set state = 'finished', activity_id = $2 where id = $1 and state = 'open'"
    )
    .bind(id)
    .bind(activity_id)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    if done == 0 {
        return Err(Error::Conflict("error.stream_finished".into()));
    }
    tx.commit().await?;
    Ok(())
}

/// Broadcasts with comments waiting, inside the scope: (broadcast, title, comments waiting).
pub async fn waiting(db: &Db, scope: &Scope) -> Result<Vec<(i64, String, i64)>> {
    let (low, high) = scope.bounds();
    Ok(on_db!(db, |p| sqlx::query_as(
        "select s.id, s.title, count(*) from livestream s join livestream_comment c on c.livestream_id = s.id \
         where s.unit_path >= $1 and s.unit_path < $2 and s.state = 'open' and c.state = 'waiting' \
         group by s.id, s.title order by s.id"
    )
    .bind(low)
    .bind(&high)
    .fetch_all(p)
    .await)?)
}

/// The views platforms reported for a campaign's broadcasts whose records were approved in the
/// campaign inside a region: (platform, views), the most first.
pub async fn reported_in(db: &Db, campaign_id: i64, path: &str) -> Result<Vec<(String, i64)>> {
    let area = Scope::under(path);
    let (low, high) = area.bounds();
    Ok(on_db!(db, |p| {
        sqlx::query_as(
        "select r.platform, cast(sum(r.views) as bigint) as n from livestream s join activity a on a.id = s.activity_id \
         join livestream_reported r on r.livestream_id = s.id \
         where a.campaign_id = $1 and a.state = 'approved' and a.region_path >= $2 and a.region_path < $3 \
         group by r.platform order by n desc, r.platform"
    )
    .bind(campaign_id)
    .bind(low)
    .bind(&high)
    .fetch_all(p)
    .await
    })?)
}
