//! Deadlines: overdue reports and their escalation.

use sqlx::FromRow;
use time::OffsetDateTime;

use super::{NewEvent, insert_events};
use crate::db::Db;
use crate::hazard::State;
use crate::{Result, on_db, on_tx};

/// An open hazard past its deadline whose escalation may rise.
#[derive(Clone, Debug, FromRow)]
pub struct Overdue {
    pub(crate) id: i64,
    pub(crate) state: State,
    pub(crate) due_at: OffsetDateTime,
    /// Level now.
    pub escalation_level: i64,
    /// Responsible unit's path.
    pub responsible_path: String,
}

/// Open hazards past their deadline at `now` not yet escalated to the corps (the partial index of
/// open hazards answers it).
pub async fn overdue(db: &Db, now: OffsetDateTime, limit: i64) -> Result<Vec<Overdue>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "select id, state, due_at, escalation_level, responsible_path from hazard where closed_at is null \
         and due_at < $1 and escalation_level < 2 order by due_at limit $2"
    )
    .bind(now)
    .bind(limit)
    .fetch_all(p)
    .await)?)
}

/// Raises the escalation of hazards to new levels (id, state, level), each with its timeline
/// entries, in one transaction; a hazard that moved meanwhile is left alone.
pub async fn escalate(db: &Db, raised: &[(i64, State, i64, String)], events: &[(i64, NewEvent)]) -> Result<u64> {
    let mut tx = db.begin().await?;
    let mut done = 0;
    on_tx!(&mut tx, |c| {
        for (id, state, level, handling) in raised {
            done += sqlx::query(
                "update hazard set escalation_level = $1, handling_path = $2 where id = $3 and state = $4 \
                 and escalation_level < $1 and closed_at is null",
            )
            .bind(level)
            .bind(handling)
            .bind(id)
            .bind(state.as_str())
            .execute(&mut *c)
            .await?
            .rows_affected();
        }
    });
    let refs: Vec<(i64, &NewEvent)> = events.iter().map(|(id, e)| (*id, e)).collect();
    insert_events(&mut tx, &refs).await?;
    tx.commit().await?;
    Ok(done)
}
