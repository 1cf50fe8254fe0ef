//! The read side shared by the selection API and pages.

use super::{entries_csv, store};
use crate::Result;
use crate::db::Db;
use crate::org::caller::Principal;
use crate::quiz::store as quiz_store;

/// A selection's CSV: its file name and bytes.
pub async fn csv(db: &Db, me: &Principal, quiz_id: i64, id: i64) -> Result<(String, Vec<u8>)> {
    let quiz = quiz_store::quiz(db, &me.scope, quiz_id).await?;
    let selection = store::selection(db, quiz.id, id).await?;
    let entries = store::entries(db, selection.id, false).await?;
    Ok((format!("quiz-{}-{}-{}.csv", quiz.id, selection.kind, selection.id), entries_csv(&entries)?))
}
