//! The delivery table's partitions (`PostgreSQL`) and the archive of finished pushes' deliveries:
//! a tally per community, channel and state stays; the rows leave in one step.

use time::OffsetDateTime;

use crate::db::{Db, Tx};
use crate::{Result, on_db, on_tx};

/// The partition of a push's deliveries (`PostgreSQL`).
fn partition_name(push_id: i64) -> String {
    format!("delivery_p{push_id}")
}

/// Where a push's fan-out writes its deliveries, inside the fan-out's transaction: on `PostgreSQL`
/// a new table of its own (checked to hold only this push), attached as the push's partition by
/// [`attach_deliveries`] once filled, so that its key is built in one sorted pass rather than row
/// by row; on `SQLite` the delivery table.
pub async fn delivery_table(tx: &mut Tx, push_id: i64) -> Result<String> {
    let Tx::Postgres(t) = tx else { return Ok("delivery".to_owned()) };
    let name = partition_name(push_id);
    // The name and the check hold digits only.
    let create = format!(
        "create table {name} (like delivery including defaults, constraint {name}_push check (push_id = {push_id}))"
    );
    sqlx::query(sqlx::AssertSqlSafe(create)).execute(&mut **t).await?;
    Ok(name)
}

/// Attaches a filled [`delivery_table`] as the push's partition (`PostgreSQL`), or drops it when
/// the fan-out `made` no delivery: its check spares the scan, and the key and the index of due
/// deliveries are built in one pass each. Attaching
/// locks out only other attaches, so inbox reads and sends go on meanwhile.
pub async fn attach_deliveries(tx: &mut Tx, push_id: i64, made: u64) -> Result<()> {
    let Tx::Postgres(t) = tx else { return Ok(()) };
    if made == 0 {
        // A push with no direct deliveries (nobody subscribed there) keeps no empty partition.
        let drop = format!("drop table {}", partition_name(push_id));
        sqlx::query(sqlx::AssertSqlSafe(drop)).execute(&mut **t).await?;
        return Ok(());
    }
    // Room to sort a province's keys in memory rather than in files.
    sqlx::query("set local maintenance_work_mem = '512MB'").execute(&mut **t).await?;
    let attach = format!("alter table delivery attach partition {} for values in ({push_id})", partition_name(push_id));
    sqlx::query(sqlx::AssertSqlSafe(attach)).execute(&mut **t).await?;
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
        Tx::Sqlite(t, _) => {
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

/// The disk a push's deliveries take with their indexes (`PostgreSQL`, its partition); `None` on
/// `SQLite`, where all pushes share one table.
pub async fn partition_bytes(db: &Db, push_id: i64) -> Result<Option<i64>> {
    let Db::Postgres(pool) = db else { return Ok(None) };
    Ok(sqlx::query_scalar("select pg_total_relation_size(to_regclass($1))")
        .bind(partition_name(push_id))
        .fetch_one(pool)
        .await?)
}
