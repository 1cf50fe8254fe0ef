//! The delivery table's partitions (`PostgreSQL`) and the archive of finished pushes' deliveries:
//! a tally per community, channel and state stays; the rows leave in one step.

use time::OffsetDateTime;

use crate::db::{Db, Tx};
use crate::{Result, on_db, on_tx};

/// The partition of a push's deliveries (`PostgreSQL`).
fn partition_name(push_id: i64) -> String {
    format!("delivery_p{push_id}")
}

/// On `PostgreSQL`, gives the push a partition of the delivery table of its own, when it has none:
/// an empty table attached in a short transaction. Attaching locks out only other attaches, so
/// inbox reads and other pushes' fan-outs and sends go on meanwhile.
pub async fn delivery_partition(db: &Db, push_id: i64) -> Result<()> {
    let Db::Postgres(pool) = db else { return Ok(()) };
    let name = partition_name(push_id);
    let mut tx = pool.begin().await?;
    sqlx::query("lock table delivery in share update exclusive mode").execute(&mut *tx).await?;
    let attached: bool = sqlx::query_scalar(
        "select exists (select 1 from pg_inherits i join pg_class c on c.oid = i.inhrelid \
         where c.relname = $1 and i.inhparent = 'delivery'::regclass)",
    )
    .bind(&name)
    .fetch_one(&mut *tx)
    .await?;
    if !attached {
        // The name holds digits only.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "create table if not exists {name} (like delivery including defaults)"
        )))
        .execute(&mut *tx)
        .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "alter table delivery attach partition {name} for values in ({push_id})"
        )))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The pushes fanned out before `before` whose deliveries are all finished (none waiting or being
/// sent) and not yet archived, oldest first.
pub async fn finished_pushes(db: &Db, before: OffsetDateTime) -> Result<Vec<i64>> {
    Ok(on_db!(db, |pool| sqlx::query_scalar(
        "select p.id from push p where p.fanned_out_at < $1 and p.archived_at is null and not exists \
         (select 1 from delivery d where d.push_id = p.id and d.state in ('pending', 'sending')) order by p.id"
    )
    .bind(before)
    .fetch_all(pool)
    .await)?)
}

/// Archives one finished push's deliveries in one transaction: tallies them by community (webhooks
/// under `''`), channel and state, marks the push archived, and takes the rows out of the live
/// table. On `PostgreSQL` its partition is detached and dropped, or with `keep` moved to the
/// schema `delivery_archive` (to dump and drop later); on `SQLite` the rows are deleted. Returns
/// the deliveries tallied; nothing when the push is not finished or already archived.
pub async fn archive_push(db: &Db, push_id: i64, keep: bool, now: OffsetDateTime) -> Result<Option<i64>> {
    let mut tx = db.begin().await?;
    let mine = on_tx!(&mut tx, |c| sqlx::query(
        "update push set archived_at = $2 where id = $1 and archived_at is null and fanned_out_at is not null \
         and not exists (select 1 from delivery d where d.push_id = $1 and d.state in ('pending', 'sending'))"
    )
    .bind(push_id)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    if mine == 0 {
        return Ok(None);
    }
    let tallied = on_tx!(&mut tx, |c| sqlx::query(
        "insert into delivery_tally (push_id, region_path, channel, state, n, ko, read) \
         select $1, coalesce(s.region_path, ''), d.channel, d.state, count(*), \
         sum(case when d.lang = 'ko' then 1 else 0 end), count(d.read_at) \
         from delivery d left join subscriber s on d.channel <> 'webhook' and s.id = d.recipient_id \
         where d.push_id = $1 group by coalesce(s.region_path, ''), d.channel, d.state"
    )
    .bind(push_id)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    let n: i64 = on_tx!(&mut tx, |c| sqlx::query_scalar(
        "select cast(coalesce(sum(n), 0) as bigint) from delivery_tally where push_id = $1"
    )
    .bind(push_id)
    .fetch_one(c)
    .await)?;
    tracing::debug!(push = push_id, groups = tallied, deliveries = n, "deliveries tallied");
    match &mut tx {
        Tx::Sqlite(t) => {
            sqlx::query("delete from delivery where push_id = $1").bind(push_id).execute(&mut **t).await?;
        }
        Tx::Postgres(t) => {
            let name = partition_name(push_id);
            let exists: bool =
                sqlx::query_scalar("select to_regclass($1) is not null").bind(&name).fetch_one(&mut **t).await?;
            if exists {
                // The name holds digits only.
                let detach = format!("alter table delivery detach partition {name}");
                sqlx::query(sqlx::AssertSqlSafe(detach)).execute(&mut **t).await?;
                let then = if keep {
                    sqlx::query("create schema if not exists delivery_archive").execute(&mut **t).await?;
                    format!("alter table {name} set schema delivery_archive")
                } else {
                    format!("drop table {name}")
                };
                sqlx::query(sqlx::AssertSqlSafe(then)).execute(&mut **t).await?;
            }
        }
    }
    tx.commit().await?;
    Ok(Some(n))
}
