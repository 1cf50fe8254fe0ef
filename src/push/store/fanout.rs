//! The fan-out of a push into the delivery table: one set-based `insert … select`.

use serde::Serialize;
use sqlx::FromRow;
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::db::Db;
use crate::org::Scope;
use crate::push::{Channel, WEEKLY_CAP};
use crate::{Result, on_db, on_tx};

/// A push due for fan-out.
#[derive(Clone, Debug, FromRow)]
pub struct Due {
    pub(crate) id: i64,
    pub(crate) product_id: i64,
    pub(crate) channels: String,
    /// Product tags.
    pub tags: String,
    /// When it goes out.
    pub scheduled_at: OffsetDateTime,
}

/// Pushes whose time has come and whose direct deliveries are not made yet.
pub async fn due_pushes(db: &Db, now: OffsetDateTime) -> Result<Vec<Due>> {
    Ok(on_db!(db, |pool| {
        sqlx::query_as(
        "select p.id, p.product_id, p.channels, pr.tags, p.scheduled_at from push p join push_product pr on pr.id = p.product_id \
         where p.state in ('scheduled', 'active') and p.fanned_out_at is null and p.scheduled_at <= $1 order by p.id"
    )
    .bind(now)
    .fetch_all(pool)
    .await
    })?)
}

/// Marks scheduled pushes whose time has come active; returns them (id, origin path) to send down.
pub async fn activate_scheduled(db: &Db, now: OffsetDateTime) -> Result<Vec<i64>> {
    Ok(on_db!(db, |pool| sqlx::query_scalar(
        "update push set state = 'active' where state = 'scheduled' and scheduled_at <= $1 returning id"
    )
    .bind(now)
    .fetch_all(pool)
    .await)?)
}

/// What the fan-out of one push made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct FanOut {
    /// In-app and SMS deliveries to households.
    pub households: u64,
    /// Webhook deliveries to partners.
    pub partners: u64,
}

/// Makes the direct deliveries of a push in one transaction: one `insert … select` from the
/// subscribers inside its targets on its channels (interests matching its themes, under the weekly
/// cap, never a product twice), one more for partner endpoints. Nothing when already done (another
/// worker got there first). SMS rows wait until `sms_from` (quiet hours).
pub async fn fan_out(
    db: &Db,
    due: &Due,
    themes: &[&str],
    now: OffsetDateTime,
    sms_from: OffsetDateTime,
    week_from: OffsetDateTime,
) -> Result<Option<FanOut>> {
    let mut tx = db.begin().await?;
    // Take the push (the write lock on SQLite; the row on PostgreSQL), so two workers never both do it.
    let mine = on_tx!(&mut tx, |c| sqlx::query(
        "update push set fanned_out_at = $2 where id = $1 and fanned_out_at is null and state <> 'recalled'"
    )
    .bind(due.id)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    if mine == 0 {
        return Ok(None);
    }
    let paths: Vec<String> =
        on_tx!(&mut tx, |c| sqlx::query_scalar("select region_path from push_target where push_id = $1")
            .bind(due.id)
            .fetch_all(c)
            .await)?;
    // Only pushes that delivered something directly can have reached a household already.
    let earlier: Vec<i64> = on_tx!(&mut tx, |c| sqlx::query_scalar(
        "select id from push where product_id = $1 and id <> $2 and fanned_out_at is not null and direct_count > 0"
    )
    .bind(due.product_id)
    .bind(due.id)
    .fetch_all(c)
    .await)?;
    let this_week: Vec<i64> = on_tx!(&mut tx, |c| sqlx::query_scalar(
        "select id from push where id <> $1 and fanned_out_at >= $2 and direct_count > 0"
    )
    .bind(due.id)
    .bind(week_from)
    .fetch_all(c)
    .await)?;
    // A household gets at most one delivery a push, so none can have reached the cap before the
    // week has had that many pushes: until then the fan-out skips counting.
    let this_week = if this_week.len() >= usize::try_from(WEEKLY_CAP).unwrap_or(0) { this_week } else { Vec::new() };
    let table = super::delivery_table(&mut tx, due.id).await?;
    let channels: Vec<&str> = crate::push::split_tags(&due.channels)
        .into_iter()
        .filter(|c| *c == Channel::Inbox.as_str() || *c == Channel::Sms.as_str())
        .collect();
    let mut households = 0;
    if !channels.is_empty() && !paths.is_empty() {
        let in_id_order = matches!(db, Db::Sqlite(..));
        let sql = fan_out_sql(&table, &paths, &channels, themes, &earlier, &this_week, in_id_order);
        let done = on_tx!(&mut tx, |c| sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(due.id)
            .bind(sms_from)
            .bind(WEEKLY_CAP)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        households = done;
    }
    let mut partners = 0;
    if crate::push::split_tags(&due.channels).contains(&Channel::Webhook.as_str()) {
        // The table is `delivery` or the push's own (digits only).
        let sql = format!(
            "insert into {table} (push_id, recipient_id, channel, state, lang, attempts, next_at) \
             select $1, e.id, 'webhook', 'pending', 'zh', 0, $2 from partner_endpoint e where e.active and exists \
             (select 1 from push_target t where t.push_id = $1 and (e.region_path like t.region_path || '%' \
             or t.region_path like e.region_path || '%')) on conflict do nothing"
        );
        let done = on_tx!(&mut tx, |c| sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(due.id)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        partners = done;
    }
    super::attach_deliveries(&mut tx, due.id, households + partners).await?;
    // Text messages or webhooks to send: the workers look at this push from now on.
    let open = partners > 0 || (households > 0 && channels.contains(&Channel::Sms.as_str()));
    on_tx!(&mut tx, |c| sqlx::query("update push set direct_count = $2, direct_open = $3 where id = $1")
        .bind(due.id)
        .bind(i64::try_from(households + partners).unwrap_or(i64::MAX))
        .bind(open)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(Some(FanOut { households, partners }))
}

/// The one `insert … select` of a push's household deliveries into `table` (the delivery table, or
/// the push's own on `PostgreSQL`; digits, letters and `_` only). Binds: $1 push, $2 when SMS may go,
/// $3 the weekly cap. An in-app delivery arrives when its push is fanned out, so its row carries no
/// time of its own (narrower rows, a faster fan-out). Paths, channels and tags are digits, `/` and known tag names only.
/// With `in_id_order` (`SQLite`), the subscribers are scanned in id order rather than through the
/// region index, so the delivery keys are appended in order: several times faster for big targets.
fn fan_out_sql(
    table: &str,
    paths: &[String],
    channels: &[&str],
    themes: &[&str],
    earlier: &[i64],
    this_week: &[i64],
    in_id_order: bool,
) -> String {
    use std::fmt::Write as _;
    let ids = |v: &[i64]| v.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
    let safe = |s: &str| s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'/' || b == b'_');
    let chans: Vec<&str> = channels.iter().copied().filter(|c| safe(c)).collect();
    // A push on one channel writes its channel and state as constants, and every push leaves out
    // the columns whose defaults hold (no attempts; nothing sent; an in-app delivery no time): a
    // `case` a row and the extra columns took a tenth of the fan-out on `SQLite`.
    let (columns, values) = match chans.as_slice() {
        [only] if *only == Channel::Inbox.as_str() => ("", format!("'{only}', 'delivered'")),
        [only] => (", next_at", format!("'{only}', 'pending', $2")),
        _ => (
            ", next_at",
            "s.channel, case when s.channel = 'inbox' then 'delivered' else 'pending' end, \
             case when s.channel = 'inbox' then null else $2 end"
                .to_owned(),
        ),
    };
    let mut sql = format!(
        "insert into {table} (push_id, recipient_id, lang, channel, state{columns}) select $1, s.id, s.lang, {values} \
         from subscriber s where s.unsubscribed_at is null and ("
    );
    // Every subscriber lives in the province: a push to all of it tests no path, two text
    // comparisons fewer for each of millions of rows.
    let ranges: Vec<String> = if paths.iter().any(|p| p == Scope::province().path()) {
        vec!["true".to_owned()]
    } else {
        paths
            .iter()
            .filter(|p| safe(p))
            .map(|p| {
                let inner = Scope::under(p);
                let (low, high) = inner.bounds();
                let column = if in_id_order { "+s.region_path" } else { "s.region_path" };
                format!("({column} >= '{low}' and {column} < '{high}')")
            })
            .collect()
    };
    sql.push_str(if ranges.is_empty() { "false" } else { "" });
    sql.push_str(&ranges.join(" or "));
    let listed: Vec<String> = chans.iter().map(|c| format!("'{c}'")).collect();
    let _ = write!(sql, ") and s.channel in ({})", listed.join(", "));
    let themes: Vec<&&str> = themes.iter().filter(|t| safe(t)).collect();
    if !themes.is_empty() {
        sql.push_str(" and (s.interests = ''");
        for t in themes {
            let _ = write!(sql, " or s.interests like '%,{t},%'");
        }
        sql.push(')');
    }
    if !earlier.is_empty() {
        let _ = write!(
            sql,
            " and not exists (select 1 from delivery d where d.push_id in ({}) and d.recipient_id = s.id and d.channel = s.channel)",
            ids(earlier)
        );
    }
    if this_week.is_empty() {
        sql.push_str(" and $3 > 0");
    } else {
        let _ = write!(
            sql,
            " and s.id not in (select recipient_id from delivery where push_id in ({}) and channel <> 'webhook' \
             group by recipient_id having count(*) >= $3)",
            ids(this_week)
        );
    }
    // No `on conflict`: the push was taken in this transaction and subscriber ids are unique, so
    // no row can collide (the key would refuse one), and skipping the check halves the time on
    // PostgreSQL.
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fan_out_is_one_statement_with_only_safe_text_in_it() {
        let sql = fan_out_sql(
            "delivery",
            &["/22/2201/".into(), "/22/2224/'; drop table x; --/".into()],
            &["inbox", "sms"],
            &["heating"],
            &[7],
            &[],
            false,
        );
        assert_eq!(sql.matches("insert into delivery").count(), 1);
        assert!(sql.contains("s.region_path >= '/22/2201/' and s.region_path < '/22/22010'"), "{sql}");
        assert!(!sql.contains("drop table"), "{sql}");
        assert!(sql.contains("s.interests like '%,heating,%'"));
        assert!(sql.contains("d.push_id in (7)"));
        assert!(!sql.contains("having count"), "no weekly-cap clause without pushes this week");
        let capped = fan_out_sql("delivery_p9", &["/22/".into()], &["inbox"], &[], &[], &[3, 4], true);
        assert!(
            capped.starts_with("insert into delivery_p9 ")
                && capped.contains("is null and (true)")
                && !capped.contains("region_path"),
            "the whole province needs no path test: {capped}"
        );
        let county = fan_out_sql("delivery", &["/22/2224/".into()], &["inbox"], &[], &[], &[], true);
        assert!(county.contains("(+s.region_path >= '/22/2224/' and +s.region_path < '/22/22240')"), "{county}");
        assert!(capped.contains("push_id in (3, 4)") && capped.contains("having count(*) >= $3"), "{capped}");
        // One channel: its values as constants; both: chosen per subscriber.
        assert!(
            capped.contains("select $1, s.id, s.lang, 'inbox', 'delivered' from") && !capped.contains("case"),
            "{capped}"
        );
        let texts = fan_out_sql("delivery", &["/22/".into()], &["sms"], &[], &[], &[], true);
        assert!(texts.contains("(push_id, recipient_id, lang, channel, state, next_at) select $1, s.id, s.lang, 'sms', 'pending', $2 from"), "{texts}");
        assert!(sql.contains("case when s.channel = 'inbox' then 'delivered' else 'pending' end"), "{sql}");
    }
}
