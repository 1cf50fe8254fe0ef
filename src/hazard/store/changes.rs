//! A report's transitions, with the counters moved in the same transaction.

use time::{Date, OffsetDateTime};

use super::{Deltas, NewEvent, insert_events};
use crate::db::Db;
use crate::hazard::{State, days_between};
use crate::{Error, Result, on_tx};

/// A change of state to store.
#[derive(Clone, Debug)]
pub struct Change {
    pub(crate) from: State,
    pub(crate) to: State,
    /// The timeline entry.
    pub event: NewEvent,
    /// Assigned unit (assign).
    pub assigned_unit_id: Option<i64>,
    /// Referred department (refer).
    pub referred_unit_id: Option<i64>,
    /// Original (duplicate).
    pub duplicate_of: Option<i64>,
    /// Rectification due (assign, refer).
    pub rectify_due_on: Option<Date>,
}

/// Moves a hazard (fetched through the scope) from `change.from` to `change.to`, refusing when
/// someone moved it first; updates its deadline, resets its escalation, writes the timeline entry
/// and the counters, all in one transaction.
pub async fn transition(db: &Db, id: i64, change: &Change) -> Result<()> {
    let now = change.event.at;
    let mut tx = db.begin().await?;
    let (path, created_at, rectified_at, verify_due_at, rectify_due_on): (
        String,
        OffsetDateTime,
        Option<OffsetDateTime>,
        OffsetDateTime,
        Option<Date>,
    ) = on_tx!(&mut tx, |c| {
        // Take the row (and on SQLite the write lock) first, refusing if it moved meanwhile.
        let held = sqlx::query("update hazard set id = id where id = $1 and state = $2")
            .bind(id)
            .bind(change.from.as_str())
            .execute(&mut *c)
            .await?
            .rows_affected();
        if held == 0 {
            return Err(Error::Conflict("error.hazard_changed".into()));
        }
        sqlx::query_as(
            "select region_path, created_at, rectified_at, verify_due_at, rectify_due_on from hazard where id = $1",
        )
        .bind(id)
        .fetch_one(&mut *c)
        .await?
    });
    let due_on = change.rectify_due_on.or(rectify_due_on);
    let due = crate::hazard::due_in(change.to, now, verify_due_at, due_on);
    let new_rectified = match change.to {
        State::Rectified => Some(now),
        State::Closed => rectified_at,
        _ => None,
    };
    on_tx!(&mut tx, |c| {
        sqlx::query(
            "update hazard set state = $1, due_at = $2, escalation_level = 0, handling_path = responsible_path, \
             verified_at = case when $1 = 'verified' and verified_at is null then $3 else verified_at end, \
             answered_at = coalesce(answered_at, $3), rectified_at = $4, closed_at = $5, \
             assigned_unit_id = case when $1 = 'referred' then null else coalesce($6, assigned_unit_id) end, \
             referred_unit_id = case when $1 = 'assigned' then null else coalesce($7, referred_unit_id) end, \
             duplicate_of = coalesce($8, duplicate_of), rectify_due_on = coalesce($9, rectify_due_on) where id = $10",
        )
        .bind(change.to.as_str())
        .bind(due)
        .bind(now)
        .bind(new_rectified)
        .bind(change.to.is_closed().then_some(now))
        .bind(change.assigned_unit_id)
        .bind(change.referred_unit_id)
        .bind(change.duplicate_of)
        .bind(change.rectify_due_on)
        .bind(id)
        .execute(&mut *c)
        .await?;
    });
    insert_events(&mut tx, &[(id, &change.event)]).await?;
    let mut deltas = Deltas::default();
    deltas.state(&path, change.from, -1);
    deltas.state(&path, change.to, 1);
    match (change.from.is_rectified(), change.to.is_rectified()) {
        (false, true) => deltas.days(&path, days_between(created_at, now), 1),
        (true, false) => {
            if let Some(at) = rectified_at {
                deltas.days(&path, days_between(created_at, at), -1);
            }
        }
        _ => {}
    }
    deltas.apply(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}
