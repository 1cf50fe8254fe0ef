//! Demo volunteers.

use crate::db::Db;
use crate::personal::DataKey;

/// Loads the demo volunteers (once).
pub async fn load(_db: &Db, _key: &DataKey) -> anyhow::Result<()> {
    Ok(())
}
