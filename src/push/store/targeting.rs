//! Who a push would reach: units, households and subscribers under the target paths.

use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use crate::db::Db;
use crate::org::Scope;
use crate::{Result, on_db};

/// Units and households a set of targets reaches (targets none inside another).
#[derive(Clone, Debug, Default, FromRow, Serialize, ToSchema)]
pub struct Reach {
    /// City detachments.
    pub cities: i64,
    /// County brigades.
    pub counties: i64,
    /// Communities and villages.
    pub communities: i64,
    /// Households (2020 census; below a city, its households in proportion to the communities
    /// the target holds).
    pub households: i64,
    /// Subscribed households reached directly.
    pub subscribers: i64,
}

/// How many units, households and subscribers the target paths reach.
pub async fn reach(db: &Db, paths: &[String]) -> Result<Reach> {
    let mut out = Reach::default();
    for path in paths {
        let inner = Scope::under(path);
        let (low, high) = inner.bounds();
        let r: Reach = on_db!(db, |pool| {
            sqlx::query_as(
            "select \
             (select count(*) from region where level = 1 and ((path >= $1 and path < $2) or $1 like path || '%')) as cities, \
             (select count(*) from region where level = 2 and ((path >= $1 and path < $2) or $1 like path || '%')) as counties, \
             (select count(*) from region where level = 4 and path >= $1 and path < $2) as communities, \
             coalesce((select households from region where path = $1), \
               (select a.households * (select count(*) from region where level = 4 and path >= $1 and path < $2) \
                  / nullif((select count(*) from region c where c.level = 4 and c.path like a.path || '%'), 0) \
                from region a where a.households is not null and $1 like a.path || '%' order by length(a.path) desc limit 1), \
               0) as households, \
             (select count(*) from subscriber where unsubscribed_at is null and region_path >= $1 and region_path < $2) as subscribers"
        )
        .bind(low)
        .bind(&high)
        .fetch_one(pool)
        .await
        })?;
        out.cities += r.cities;
        out.counties += r.counties;
        out.communities += r.communities;
        out.households += r.households;
        out.subscribers += r.subscribers;
    }
    Ok(out)
}
