//! The questions quizzes draw from, kept in memory. Every start draws from its quiz's whole pool,
//! one row a question of the banks above the quiz, and reading those rows cost more than the rest
//! of a start together (`firecast bench quiz`). A pool is read again once the banks change: it is
//! kept with the banks' version (how many questions are active and the sum of their ids, which
//! every import and every status change moves), read once for each batch of starts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use super::PoolQuestion;
use super::store;
use crate::Result;
use crate::db::Db;

/// The pools of the quizzes started in this process, by the path of the quiz's owner.
#[derive(Clone, Debug, Default)]
pub struct DrawPools(Arc<Mutex<HashMap<String, Kept>>>);

type Kept = ((i64, i64), Arc<Vec<PoolQuestion>>);

impl DrawPools {
    /// The pool of a quiz owned at `owner_path`, as the banks hold it at `version`
    /// ([`store::bank_version`]).
    pub async fn get(&self, db: &Db, owner_path: &str, version: (i64, i64)) -> Result<Arc<Vec<PoolQuestion>>> {
        let kept = self.0.lock().unwrap_or_else(PoisonError::into_inner).get(owner_path).cloned();
        if let Some((v, pool)) = kept
            && v == version
        {
            return Ok(pool);
        }
        let pool = Arc::new(store::pool(db, owner_path).await?);
        self.0.lock().unwrap_or_else(PoisonError::into_inner).insert(owner_path.to_owned(), (version, pool.clone()));
        Ok(pool)
    }
}
