//! Every SQL statement of the push area: the product library and its variants, pushes with their
//! targets and sign-off nodes (created level by level with one `insert … select` each), residents'
//! subscriptions, partner endpoints, the fan-out of a push into the delivery table (one set-based
//! insert), the workers' claims and results, inboxes, statistics and the campaign figure.

use serde::Serialize;
use sqlx::FromRow;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::{Channel, WEEKLY_CAP};
use crate::db::{Db, Tx};
use crate::org::Scope;
use crate::{Error, Result, on_db, on_tx};

// ---- products ----

/// A product of the library, as listed.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Product {
    /// Id.
    pub id: i64,
    /// Kind (see `push::ProductKind`).
    pub kind: String,
    /// Chinese title.
    pub title: String,
    /// Audience, place and theme tags, stored `,a,b,`.
    pub tags: String,
    /// `draft`, `approved` or `retired`.
    pub state: String,
    /// The unit that made it.
    pub unit_id: i64,
    /// Its name.
    pub unit_name: String,
    /// Who made it.
    pub created_by: i64,
    /// When.
    #[schema(value_type = String)]
    pub created_at: OffsetDateTime,
    /// When it was approved.
    #[schema(value_type = Option<String>)]
    pub reviewed_at: Option<OffsetDateTime>,
    /// The reviewer's note.
    pub review_note: String,
    /// Whether a Korean variant exists.
    pub has_ko: bool,
    /// How many times it was pushed.
    pub pushes: i64,
}

const PRODUCT: &str = "select p.id, p.kind, p.title, p.tags, p.state, p.unit_id, u.name as unit_name, p.created_by, \
     p.created_at, p.reviewed_at, p.review_note, \
     exists (select 1 from push_variant v where v.product_id = p.id and v.lang = 'ko') as has_ko, \
     (select count(*) from push x where x.product_id = p.id) as pushes \
     from push_product p join unit u on u.id = p.unit_id";

/// A language variant (without the file's bytes).
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Variant {
    /// `zh` or `ko`.
    pub lang: String,
    /// Title.
    pub title: String,
    /// Text (the tip itself for tips; a description otherwise).
    pub body: String,
    /// A link to the product elsewhere.
    pub link: String,
    /// Uploaded file name.
    pub file_name: String,
    /// Its media type.
    pub file_type: String,
    /// Its size in bytes.
    pub file_size: i64,
}

/// A new variant with its file.
#[derive(Clone, Debug)]
pub struct NewVariant {
    /// The variant.
    pub variant: Variant,
    /// The uploaded file, if any.
    pub file: Option<Vec<u8>>,
}

/// A new product.
#[derive(Clone, Debug)]
pub struct NewProduct {
    /// Kind.
    pub kind: String,
    /// Chinese title.
    pub title: String,
    /// Stored tags.
    pub tags: String,
    /// State.
    pub state: String,
    /// Lower-case search text (titles, bodies, pinyin).
    pub search: String,
    /// Maker's unit.
    pub unit_id: i64,
    /// Its region path.
    pub region_path: String,
    /// Maker.
    pub created_by: i64,
    /// When.
    pub created_at: OffsetDateTime,
    /// Reviewer and time (products loaded already approved).
    pub reviewed: Option<(i64, OffsetDateTime)>,
}

/// What to list of the library.
#[derive(Clone, Debug, Default)]
pub struct ProductFilter {
    /// Words to find in titles, texts or pinyin.
    pub q: String,
    /// Kind.
    pub kind: Option<String>,
    /// A tag.
    pub tag: Option<String>,
    /// State.
    pub state: Option<String>,
}

/// Stores a product with its variants; returns its id.
pub async fn insert_product(tx: &mut Tx, p: &NewProduct, variants: &[NewVariant]) -> Result<i64> {
    let (reviewed_by, reviewed_at) = p.reviewed.map_or((None, None), |(u, t)| (Some(u), Some(t)));
    let id: i64 = on_tx!(tx, |c| sqlx::query_scalar(
        "insert into push_product (kind, title, tags, state, search, unit_id, region_path, created_by, created_at, \
         reviewed_by, reviewed_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) returning id"
    )
    .bind(&p.kind)
    .bind(&p.title)
    .bind(&p.tags)
    .bind(&p.state)
    .bind(&p.search)
    .bind(p.unit_id)
    .bind(&p.region_path)
    .bind(p.created_by)
    .bind(p.created_at)
    .bind(reviewed_by)
    .bind(reviewed_at)
    .fetch_one(c)
    .await)?;
    for v in variants {
        put_variant(tx, id, v).await?;
    }
    Ok(id)
}

/// Adds or replaces a variant of a product.
pub async fn put_variant(tx: &mut Tx, product_id: i64, v: &NewVariant) -> Result<()> {
    let m = &v.variant;
    on_tx!(tx, |c| sqlx::query(
        "insert into push_variant (product_id, lang, title, body, link, file_name, file_type, file_size, file_data) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         on conflict (product_id, lang) do update set title = excluded.title, body = excluded.body, \
         link = excluded.link, file_name = excluded.file_name, file_type = excluded.file_type, \
         file_size = excluded.file_size, file_data = excluded.file_data"
    )
    .bind(product_id)
    .bind(&m.lang)
    .bind(&m.title)
    .bind(&m.body)
    .bind(&m.link)
    .bind(&m.file_name)
    .bind(&m.file_type)
    .bind(m.file_size)
    .bind(v.file.as_deref())
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Products matching `f`, newest first.
pub async fn products(db: &Db, f: &ProductFilter, limit: i64, offset: i64) -> Result<Vec<Product>> {
    let q = f.q.trim().to_lowercase();
    let sql = format!(
        "{PRODUCT} where ($1 = '' or p.search like '%' || $1 || '%') and ($2 = '' or p.kind = $2) \
         and ($3 = '' or p.tags like '%,' || $3 || ',%') and ($4 = '' or p.state = $4) \
         order by p.id desc limit $5 offset $6"
    );
    Ok(on_db!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(&q)
        .bind(f.kind.as_deref().unwrap_or(""))
        .bind(f.tag.as_deref().unwrap_or(""))
        .bind(f.state.as_deref().unwrap_or(""))
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await)?)
}

/// How many products match `f`.
pub async fn product_count(db: &Db, f: &ProductFilter) -> Result<i64> {
    let q = f.q.trim().to_lowercase();
    Ok(on_db!(db, |pool| sqlx::query_scalar(
        "select count(*) from push_product p where ($1 = '' or p.search like '%' || $1 || '%') \
         and ($2 = '' or p.kind = $2) and ($3 = '' or p.tags like '%,' || $3 || ',%') and ($4 = '' or p.state = $4)"
    )
    .bind(&q)
    .bind(f.kind.as_deref().unwrap_or(""))
    .bind(f.tag.as_deref().unwrap_or(""))
    .bind(f.state.as_deref().unwrap_or(""))
    .fetch_one(pool)
    .await)?)
}

/// One product.
pub async fn product(db: &Db, id: i64) -> Result<Product> {
    let sql = format!("{PRODUCT} where p.id = $1");
    on_db!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await)?
        .ok_or(Error::NotFound)
}

/// The variants of a product, Chinese first.
pub async fn variants(db: &Db, product_id: i64) -> Result<Vec<Variant>> {
    Ok(on_db!(db, |pool| sqlx::query_as(
        "select lang, title, body, link, file_name, file_type, file_size from push_variant \
         where product_id = $1 order by case lang when 'zh' then 0 else 1 end"
    )
    .bind(product_id)
    .fetch_all(pool)
    .await)?)
}

/// A variant with the product it belongs to.
#[derive(Clone, Debug, FromRow)]
pub struct ProductVariant {
    /// The product.
    pub product_id: i64,
    /// The variant.
    #[sqlx(flatten)]
    pub variant: Variant,
}

/// The variants of several products in one query (an inbox page), Chinese first.
pub async fn variants_of(db: &Db, product_ids: &[i64]) -> Result<Vec<ProductVariant>> {
    if product_ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = product_ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "select product_id, lang, title, body, link, file_name, file_type, file_size from push_variant \
         where product_id in ({list}) order by product_id, case lang when 'zh' then 0 else 1 end"
    );
    Ok(on_db!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).fetch_all(pool).await)?)
}

/// The uploaded file of a variant: (name, media type, bytes).
pub async fn variant_file(db: &Db, product_id: i64, lang: &str) -> Result<(String, String, Vec<u8>)> {
    let row: Option<(String, String, Option<Vec<u8>>)> = on_db!(db, |pool| sqlx::query_as(
        "select file_name, file_type, file_data from push_variant where product_id = $1 and lang = $2"
    )
    .bind(product_id)
    .bind(lang)
    .fetch_optional(pool)
    .await)?;
    match row {
        Some((name, kind, Some(data))) => Ok((name, kind, data)),
        _ => Err(Error::NotFound),
    }
}

/// Moves a product from state `from` to `to` (review); false when it was not in `from`.
pub async fn set_product_state(
    db: &Db,
    id: i64,
    from: &str,
    to: &str,
    by: i64,
    at: OffsetDateTime,
    note: &str,
) -> Result<bool> {
    let done = on_db!(db, |pool| sqlx::query(
        "update push_product set state = $3, reviewed_by = $4, reviewed_at = $5, review_note = $6 \
         where id = $1 and state = $2"
    )
    .bind(id)
    .bind(from)
    .bind(to)
    .bind(by)
    .bind(at)
    .bind(note)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

// ---- pushes ----

/// A new push.
#[derive(Clone, Debug)]
pub struct NewPush {
    /// Product.
    pub product_id: i64,
    /// Sending unit.
    pub origin_unit_id: i64,
    /// Its region path.
    pub origin_path: String,
    /// Target regions: (code, path), none inside another.
    pub targets: Vec<(String, String)>,
    /// Stored audience tags.
    pub audiences: String,
    /// Stored place tags.
    pub places: String,
    /// Stored direct channels.
    pub channels: String,
    /// Note to the units below.
    pub note: String,
    /// When it goes out.
    pub scheduled_at: OffsetDateTime,
    /// Hours per level.
    pub sign_hours: String,
    /// `scheduled` or `active`.
    pub state: String,
    /// The caller's idempotency key.
    pub idempotency_key: String,
    /// Sender.
    pub created_by: i64,
    /// When.
    pub created_at: OffsetDateTime,
}

/// A push as listed, with its sign-off progress.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Push {
    /// Id.
    pub id: i64,
    /// Product.
    pub product_id: i64,
    /// Its kind.
    pub kind: String,
    /// Its title.
    pub title: String,
    /// Sending unit's name.
    pub origin: String,
    /// Its region path.
    pub origin_path: String,
    /// Target region codes, comma-separated.
    pub targets: String,
    /// Audience tags.
    pub audiences: String,
    /// Place tags.
    pub places: String,
    /// Direct channels.
    pub channels: String,
    /// Note.
    pub note: String,
    /// When it goes out.
    #[schema(value_type = String)]
    pub scheduled_at: OffsetDateTime,
    /// Hours per level, `24,48,72`.
    pub sign_hours: String,
    /// `scheduled`, `active` or `recalled`.
    pub state: String,
    /// When it was sent.
    #[schema(value_type = String)]
    pub created_at: OffsetDateTime,
    /// When its direct deliveries were made.
    #[schema(value_type = Option<String>)]
    pub fanned_out_at: Option<OffsetDateTime>,
    /// Direct deliveries made.
    pub direct_count: i64,
    /// Deliveries claimed again after a worker stopped mid-send (possible SMS duplicates).
    pub resent_count: i64,
    /// When it was recalled.
    #[schema(value_type = Option<String>)]
    pub recalled_at: Option<OffsetDateTime>,
    /// Why.
    pub recall_reason: String,
    /// Units reached.
    pub nodes: i64,
    /// Units that signed (or went further).
    pub signed: i64,
    /// Units that forwarded or confirmed.
    pub done: i64,
    /// Units past their deadline.
    pub overdue: i64,
}

fn push_select(now_bind: &str) -> String {
    format!(
        "select p.id, p.product_id, pr.kind, pr.title, u.name as origin, p.origin_path, p.targets, p.audiences, \
         p.places, p.channels, p.note, p.scheduled_at, p.sign_hours, p.state, p.created_at, p.fanned_out_at, \
         p.direct_count, p.resent_count, p.recalled_at, p.recall_reason, \
         (select count(*) from push_node n where n.push_id = p.id) as nodes, \
         (select count(*) from push_node n where n.push_id = p.id and n.state in ('signed', 'forwarded', 'confirmed')) as signed, \
         (select count(*) from push_node n where n.push_id = p.id and n.state in ('forwarded', 'confirmed')) as done, \
         (select count(*) from push_node n where n.push_id = p.id and n.state in ('pending', 'signed') and n.due_at < {now_bind}) as overdue \
         from push p join push_product pr on pr.id = p.product_id join unit u on u.id = p.origin_unit_id"
    )
}

/// Stores a push and its targets; with a key already used, returns the earlier push's id and false.
pub async fn insert_push(tx: &mut Tx, p: &NewPush) -> Result<(i64, bool)> {
    let codes: Vec<&str> = p.targets.iter().map(|(c, _)| c.as_str()).collect();
    let id: Option<i64> = on_tx!(tx, |c| sqlx::query_scalar(
        "insert into push (product_id, origin_unit_id, origin_path, targets, audiences, places, channels, note, \
         scheduled_at, sign_hours, state, idempotency_key, created_by, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
         on conflict (idempotency_key) do nothing returning id"
    )
    .bind(p.product_id)
    .bind(p.origin_unit_id)
    .bind(&p.origin_path)
    .bind(codes.join(","))
    .bind(&p.audiences)
    .bind(&p.places)
    .bind(&p.channels)
    .bind(&p.note)
    .bind(p.scheduled_at)
    .bind(&p.sign_hours)
    .bind(&p.state)
    .bind(&p.idempotency_key)
    .bind(p.created_by)
    .bind(p.created_at)
    .fetch_optional(c)
    .await)?;
    let Some(id) = id else {
        let earlier: i64 = on_tx!(tx, |c| sqlx::query_scalar("select id from push where idempotency_key = $1")
            .bind(&p.idempotency_key)
            .fetch_one(c)
            .await)?;
        return Ok((earlier, false));
    };
    for (code, path) in &p.targets {
        on_tx!(tx, |c| sqlx::query("insert into push_target (push_id, region_code, region_path) values ($1, $2, $3)")
            .bind(id)
            .bind(code)
            .bind(path)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
    }
    Ok((id, true))
}

/// Creates the nodes of `level` for a push: every region of that level inside `under` (a path)
/// that lies inside a target or holds one, each due `due_at`. One `insert … select`; returns how many.
pub async fn insert_nodes(
    tx: &mut Tx,
    push_id: i64,
    parent_id: Option<i64>,
    level: i64,
    under: &str,
    received_at: OffsetDateTime,
    due_at: OffsetDateTime,
) -> Result<u64> {
    let inner = Scope::under(under);
    let (low, high) = inner.bounds();
    let done = on_tx!(tx, |c| sqlx::query(
        "insert into push_node (push_id, parent_id, level, region_code, region_path, state, received_at, due_at) \
         select $1, $2, r.level, r.code, r.path, 'pending', $6, $7 from region r \
         where r.level = $3 and r.path >= $4 and r.path < $5 and exists (select 1 from push_target t \
         where t.push_id = $1 and (r.path like t.region_path || '%' or t.region_path like r.path || '%')) \
         on conflict (push_id, region_code) do nothing"
    )
    .bind(push_id)
    .bind(parent_id)
    .bind(level)
    .bind(low)
    .bind(&high)
    .bind(received_at)
    .bind(due_at)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(done)
}

/// A node with its whole history, for loading past pushes (the demo).
#[derive(Clone, Debug)]
pub struct NodeRow {
    /// Id (from [`Tx::reserve_ids`]).
    pub id: i64,
    /// Push.
    pub push_id: i64,
    /// Parent node.
    pub parent_id: Option<i64>,
    /// Level.
    pub level: i64,
    /// Region (code, path).
    pub region: (String, String),
    /// State.
    pub state: &'static str,
    /// Received, due, signed, forwarded or confirmed.
    pub times: [Option<OffsetDateTime>; 5],
    /// Ways and reach when confirmed.
    pub confirmed: Option<(String, i64)>,
}

/// Stores nodes with their history in chunked multi-row inserts.
pub async fn insert_node_rows(tx: &mut Tx, rows: &[NodeRow]) -> Result<()> {
    on_tx!(tx, |c| {
        for chunk in rows.chunks(crate::db::CHUNK_ROWS / 2) {
            let mut q = sqlx::QueryBuilder::new(
                "insert into push_node (id, push_id, parent_id, level, region_code, region_path, state, received_at, \
                 due_at, signed_at, forwarded_at, confirmed_at, ways, reach) ",
            );
            q.push_values(chunk, |mut b, n| {
                b.push_bind(n.id)
                    .push_bind(n.push_id)
                    .push_bind(n.parent_id)
                    .push_bind(n.level)
                    .push_bind(&n.region.0)
                    .push_bind(&n.region.1)
                    .push_bind(n.state)
                    .push_bind(n.times[0])
                    .push_bind(n.times[1])
                    .push_bind(n.times[2])
                    .push_bind(n.times[3])
                    .push_bind(n.times[4])
                    .push_bind(n.confirmed.as_ref().map_or("", |(w, _)| w.as_str()))
                    .push_bind(n.confirmed.as_ref().map(|(_, r)| *r));
            });
            q.build().execute(&mut *c).await?;
        }
        Ok::<(), sqlx::Error>(())
    })?;
    Ok(())
}

/// Regions of levels 1 and 2 (code, path, level, households), by path: the cities and counties.
pub async fn cities_and_counties(db: &Db) -> Result<Vec<(String, String, i64, Option<i64>)>> {
    Ok(on_db!(db, |pool| sqlx::query_as(
        "select code, path, cast(level as bigint), households from region where level in (1, 2) order by path"
    )
    .fetch_all(pool)
    .await)?)
}

/// Marks every `every`-th inbox delivery of a push read when it arrived plus `after` (the demo).
pub async fn mark_some_read(db: &Db, push_id: i64, every: i64, at: OffsetDateTime) -> Result<u64> {
    Ok(on_db!(db, |pool| {
        sqlx::query(
        "update delivery set state = 'read', read_at = $3 where push_id = $1 and channel = 'inbox' and recipient_id % $2 = 0"
    )
    .bind(push_id)
    .bind(every)
    .bind(at)
    .execute(pool)
    .await
    .map(|r| r.rows_affected())
    })?)
}

/// Records a push's fan-out as done at `at` with nothing sent directly (pushes with no direct channel).
pub async fn mark_fanned_out(tx: &mut Tx, id: i64, at: OffsetDateTime) -> Result<()> {
    on_tx!(tx, |c| sqlx::query("update push set fanned_out_at = $2 where id = $1")
        .bind(id)
        .bind(at)
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// How many products the library holds.
pub async fn product_total(db: &Db) -> Result<i64> {
    Ok(on_db!(db, |pool| sqlx::query_scalar("select count(*) from push_product").fetch_one(pool).await)?)
}

/// Pushes sent from inside `scope` or reaching a unit inside it, newest first.
pub async fn pushes(db: &Db, scope: &Scope, now: OffsetDateTime, limit: i64, offset: i64) -> Result<Vec<Push>> {
    let (low, high) = scope.bounds();
    let sql = format!(
        "{} where (p.origin_path >= $2 and p.origin_path < $3) or exists (select 1 from push_target t \
         where t.push_id = p.id and (t.region_path like $2 || '%' or $2 like t.region_path || '%')) \
         order by p.id desc limit $4 offset $5",
        push_select("$1")
    );
    Ok(on_db!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(now)
        .bind(low)
        .bind(&high)
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await)?)
}

/// One push, when it was sent from inside `scope` or reaches it.
pub async fn push(db: &Db, scope: &Scope, id: i64, now: OffsetDateTime) -> Result<Push> {
    let (low, high) = scope.bounds();
    let sql = format!(
        "{} where p.id = $2 and ((p.origin_path >= $3 and p.origin_path < $4) or exists (select 1 from push_target t \
         where t.push_id = p.id and (t.region_path like $3 || '%' or $3 like t.region_path || '%')))",
        push_select("$1")
    );
    on_db!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(now)
        .bind(id)
        .bind(low)
        .bind(&high)
        .fetch_optional(pool)
        .await)?
    .ok_or(Error::NotFound)
}

/// The names of a push's target regions.
pub async fn target_names(db: &Db, push_id: i64) -> Result<Vec<String>> {
    Ok(on_db!(db, |pool| {
        sqlx::query_scalar(
        "select r.name from push_target t join region r on r.code = t.region_code where t.push_id = $1 order by t.region_path"
    )
    .bind(push_id)
    .fetch_all(pool)
    .await
    })?)
}

/// A unit's place in a push.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Node {
    /// Id.
    pub id: i64,
    /// Push.
    pub push_id: i64,
    /// The node above (none at the top).
    pub parent_id: Option<i64>,
    /// Region level: 1 city, 2 county, 4 community.
    pub level: i64,
    /// Region code.
    pub region_code: String,
    /// Region name.
    pub region_name: String,
    /// Region path.
    pub region_path: String,
    /// The unit working there, when it has an account.
    pub unit_name: Option<String>,
    /// See `push::NodeState`.
    pub state: String,
    /// When it arrived.
    #[schema(value_type = String)]
    pub received_at: OffsetDateTime,
    /// Deadline to pass it on.
    #[schema(value_type = String)]
    pub due_at: OffsetDateTime,
    /// When signed.
    #[schema(value_type = Option<String>)]
    pub signed_at: Option<OffsetDateTime>,
    /// When forwarded.
    #[schema(value_type = Option<String>)]
    pub forwarded_at: Option<OffsetDateTime>,
    /// Local note given when forwarding.
    pub note: String,
    /// Variant chosen when forwarding (`zh`, `ko`).
    pub variant: String,
    /// When confirmed.
    #[schema(value_type = Option<String>)]
    pub confirmed_at: Option<OffsetDateTime>,
    /// Ways it was passed on, `,a,b,`.
    pub ways: String,
    /// Households reached.
    pub reach: Option<i64>,
    /// 0, or 1 (raised to the level above) or 2 (to the province) when overdue.
    pub escalation: i64,
    /// Households of the region (2020 census).
    pub households: Option<i64>,
}

const NODE: &str = "select n.id, n.push_id, n.parent_id, n.level, n.region_code, r.name as region_name, n.region_path, \
     (select min(u.name) from unit u where u.region_code = n.region_code \
      and u.kind in ('detachment', 'brigade', 'community_office')) as unit_name, \
     n.state, n.received_at, n.due_at, n.signed_at, n.forwarded_at, n.note, n.variant, n.confirmed_at, n.ways, n.reach, \
     n.escalation, r.households from push_node n join region r on r.code = n.region_code";

/// The nodes of a push inside `scope` down to `max_level`, optionally only the children of one node.
pub async fn nodes(db: &Db, scope: &Scope, push_id: i64, max_level: i64, parent: Option<i64>) -> Result<Vec<Node>> {
    let (low, high) = scope.bounds();
    let sql = format!(
        "{NODE} where n.push_id = $1 and n.region_path >= $2 and n.region_path < $3 and n.level <= $4 \
         and ($5 = 0 or n.parent_id = $5) order by n.region_path"
    );
    Ok(on_db!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(push_id)
        .bind(low)
        .bind(&high)
        .bind(max_level)
        .bind(parent.unwrap_or(0))
        .fetch_all(pool)
        .await)?)
}

/// One node, inside `scope`.
pub async fn node(db: &Db, scope: &Scope, id: i64) -> Result<Node> {
    let (low, high) = scope.bounds();
    let sql = format!("{NODE} where n.id = $1 and n.region_path >= $2 and n.region_path < $3");
    on_db!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(low)
        .bind(&high)
        .fetch_optional(pool)
        .await)?
    .ok_or(Error::NotFound)
}

/// States of the nodes below one node (or of a whole push when `parent` is none), per child
/// subtree: (child node id, state, count, overdue count) for the community level summary.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct StateCount {
    /// The node whose children these are.
    pub parent_id: Option<i64>,
    /// Level.
    pub level: i64,
    /// State.
    pub state: String,
    /// Nodes.
    pub n: i64,
    /// Of them overdue.
    pub overdue: i64,
    /// Households reached (confirmed).
    pub reach: i64,
}

/// Node counts of a push inside `scope` by parent, level and state.
pub async fn node_counts(db: &Db, scope: &Scope, push_id: i64, now: OffsetDateTime) -> Result<Vec<StateCount>> {
    let (low, high) = scope.bounds();
    Ok(on_db!(db, |pool| sqlx::query_as(
        "select parent_id, level, state, count(*) as n, \
         sum(case when state in ('pending', 'signed') and due_at < $4 then 1 else 0 end) as overdue, \
         cast(coalesce(sum(reach), 0) as bigint) as reach \
         from push_node where push_id = $1 and region_path >= $2 and region_path < $3 \
         group by parent_id, level, state"
    )
    .bind(push_id)
    .bind(low)
    .bind(&high)
    .bind(now)
    .fetch_all(pool)
    .await)?)
}

/// A node on someone's list to sign, with its push.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Task {
    /// The node.
    pub node_id: i64,
    /// The push.
    pub push_id: i64,
    /// Product title.
    pub title: String,
    /// Product kind.
    pub kind: String,
    /// Node state.
    pub state: String,
    /// Level.
    pub level: i64,
    /// Deadline.
    #[schema(value_type = String)]
    pub due_at: OffsetDateTime,
    /// When it arrived.
    #[schema(value_type = String)]
    pub received_at: OffsetDateTime,
    /// The note from above (the parent's forwarding note, else the sender's).
    pub note: String,
    /// Escalation.
    pub escalation: i64,
}

/// The nodes at a unit's own region that are waiting for it (pending or signed), oldest due first;
/// with `all`, also the ones it finished, newest first after.
pub async fn tasks(db: &Db, region_code: &str, all: bool, limit: i64) -> Result<Vec<Task>> {
    Ok(on_db!(db, |pool| sqlx::query_as(
        "select n.id as node_id, n.push_id, pr.title, pr.kind, n.state, n.level, n.due_at, n.received_at, \
         coalesce((select f.note from push_node f where f.id = n.parent_id), p.note) as note, n.escalation \
         from push_node n join push p on p.id = n.push_id join push_product pr on pr.id = p.product_id \
         where n.region_code = $1 and ($2 or n.state in ('pending', 'signed')) \
         order by case when n.state in ('pending', 'signed') then 0 else 1 end, \
         case when n.state in ('pending', 'signed') then n.due_at end, n.id desc limit $3"
    )
    .bind(region_code)
    .bind(all)
    .bind(limit)
    .fetch_all(pool)
    .await)?)
}

/// Signs a pending node; false when it was not pending.
pub async fn sign(db: &Db, id: i64, by: i64, at: OffsetDateTime) -> Result<bool> {
    let done = on_db!(db, |pool| sqlx::query(
        "update push_node set state = 'signed', signed_at = $3, signed_by = $2 where id = $1 and state = 'pending'"
    )
    .bind(id)
    .bind(by)
    .bind(at)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Marks a pending or signed node forwarded (signing it too); false when it was neither.
pub async fn mark_forwarded(
    tx: &mut Tx,
    id: i64,
    by: i64,
    at: OffsetDateTime,
    note: &str,
    variant: &str,
) -> Result<bool> {
    let done = on_tx!(tx, |c| sqlx::query(
        "update push_node set state = 'forwarded', signed_at = coalesce(signed_at, $3), \
         signed_by = coalesce(signed_by, $2), forwarded_at = $3, forwarded_by = $2, note = $4, variant = $5 \
         where id = $1 and state in ('pending', 'signed')"
    )
    .bind(id)
    .bind(by)
    .bind(at)
    .bind(note)
    .bind(variant)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Confirms how a node passed the product on and how many households it reached.
pub async fn confirm(db: &Db, id: i64, by: i64, at: OffsetDateTime, ways: &str, reach: i64) -> Result<bool> {
    let done = on_db!(db, |pool| sqlx::query(
        "update push_node set state = 'confirmed', signed_at = coalesce(signed_at, $3), \
         signed_by = coalesce(signed_by, $2), confirmed_at = $3, confirmed_by = $2, ways = $4, reach = $5 \
         where id = $1 and state in ('pending', 'signed')"
    )
    .bind(id)
    .bind(by)
    .bind(at)
    .bind(ways)
    .bind(reach)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Recalls a push: its open nodes stop and its undelivered direct sends are cancelled. Returns
/// (nodes stopped, deliveries cancelled), or `None` when it was already recalled.
pub async fn recall(db: &Db, id: i64, by: i64, at: OffsetDateTime, reason: &str) -> Result<Option<(u64, u64)>> {
    let mut tx = db.begin().await?;
    let done = on_tx!(&mut tx, |c| sqlx::query(
        "update push set state = 'recalled', recalled_at = $2, recalled_by = $3, recall_reason = $4 \
         where id = $1 and state <> 'recalled'"
    )
    .bind(id)
    .bind(at)
    .bind(by)
    .bind(reason)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    if done == 0 {
        return Ok(None);
    }
    let nodes = on_tx!(&mut tx, |c| sqlx::query(
        "update push_node set state = 'recalled' where push_id = $1 and state in ('pending', 'signed')"
    )
    .bind(id)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    let sends = on_tx!(&mut tx, |c| sqlx::query(
        "update delivery set state = 'cancelled', next_at = null where push_id = $1 and state = 'pending'"
    )
    .bind(id)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(Some((nodes, sends)))
}

/// Raises overdue nodes: to the level above once past their deadline, to the province a day
/// later. Returns (raised to the level above, raised to the province).
pub async fn escalate(db: &Db, now: OffsetDateTime) -> Result<(u64, u64)> {
    let first = on_db!(db, |pool| {
        sqlx::query(
        "update push_node set escalation = 1 where state in ('pending', 'signed') and due_at < $1 and escalation = 0"
    )
    .bind(now)
    .execute(pool)
    .await
    .map(|r| r.rows_affected())
    })?;
    let second = on_db!(db, |pool| {
        sqlx::query(
        "update push_node set escalation = 2 where state in ('pending', 'signed') and due_at < $1 and escalation = 1"
    )
    .bind(now - time::Duration::days(1))
    .execute(pool)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok((first, second))
}

// ---- targeting ----

/// Units and households a set of targets reaches (targets none inside another).
#[derive(Clone, Debug, Default, FromRow, Serialize, ToSchema)]
pub struct Reach {
    /// City detachments.
    pub cities: i64,
    /// County brigades.
    pub counties: i64,
    /// Communities and villages.
    pub communities: i64,
    /// Households (2020 census).
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
             coalesce((select households from region where path = $1), 0) as households, \
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

// ---- subscribers ----

/// A new subscription.
#[derive(Clone, Debug)]
pub struct NewSubscriber {
    /// Inbox token.
    pub token: String,
    /// Community or village.
    pub region_code: String,
    /// Its path.
    pub region_path: String,
    /// `zh` or `ko`.
    pub lang: String,
    /// Stored theme tags (empty: everything).
    pub interests: String,
    /// `inbox` or `sms`.
    pub channel: String,
    /// Sealed phone, blind index, masked phone.
    pub phone: Option<(String, String, String)>,
    /// The consent text agreed to.
    pub consent: String,
    /// When.
    pub created_at: OffsetDateTime,
}

/// A subscriber as their own page shows them.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Subscriber {
    /// Id.
    pub id: i64,
    /// Inbox token.
    pub token: String,
    /// Region code.
    pub region_code: String,
    /// Region name.
    pub region_name: String,
    /// Region path.
    pub region_path: String,
    /// Language.
    pub lang: String,
    /// Theme tags.
    pub interests: String,
    /// Channel.
    pub channel: String,
    /// Masked phone.
    pub phone_masked: Option<String>,
    /// When they subscribed.
    #[schema(value_type = String)]
    pub created_at: OffsetDateTime,
    /// When they left.
    #[schema(value_type = Option<String>)]
    pub unsubscribed_at: Option<OffsetDateTime>,
}

/// Stores a subscription; a phone already subscribed is a conflict.
pub async fn insert_subscriber(db: &Db, s: &NewSubscriber) -> Result<i64> {
    let (sealed, index, masked) = s.phone.clone().map_or((None, None, None), |(a, b, c)| (Some(a), Some(b), Some(c)));
    let id: Result<i64, sqlx::Error> = on_db!(db, |pool| {
        sqlx::query_scalar(
        "insert into subscriber (token, region_code, region_path, lang, interests, channel, phone_sealed, phone_index, \
         phone_masked, consent, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) returning id"
    )
    .bind(&s.token)
    .bind(&s.region_code)
    .bind(&s.region_path)
    .bind(&s.lang)
    .bind(&s.interests)
    .bind(&s.channel)
    .bind(sealed)
    .bind(index)
    .bind(masked)
    .bind(&s.consent)
    .bind(s.created_at)
    .fetch_one(pool)
    .await
    });
    match id {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(Error::Conflict(
            "this phone number is already subscribed; use the link in any message to change it".into(),
        )),
        other => Ok(other?),
    }
}

/// The subscriber of an inbox token.
pub async fn subscriber(db: &Db, token: &str) -> Result<Subscriber> {
    on_db!(db, |pool| sqlx::query_as(
        "select s.id, s.token, s.region_code, r.name as region_name, s.region_path, s.lang, s.interests, s.channel, \
         s.phone_masked, s.created_at, s.unsubscribed_at from subscriber s join region r on r.code = s.region_code \
         where s.token = $1"
    )
    .bind(token)
    .fetch_optional(pool)
    .await)?
    .ok_or(Error::NotFound)
}

/// Ends a subscription (their phone's blind index is cleared so they may subscribe again).
pub async fn unsubscribe(db: &Db, token: &str, at: OffsetDateTime) -> Result<bool> {
    let done = on_db!(db, |pool| {
        sqlx::query(
        "update subscriber set unsubscribed_at = $2, phone_index = null where token = $1 and unsubscribed_at is null"
    )
    .bind(token)
    .bind(at)
    .execute(pool)
    .await
    .map(|r| r.rows_affected())
    })?;
    if done == 1 {
        on_db!(db, |pool| sqlx::query(
            "update delivery set state = 'cancelled', next_at = null where state = 'pending' and channel <> 'webhook' \
             and recipient_id = (select id from subscriber where token = $1)"
        )
        .bind(token)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    }
    Ok(done == 1)
}

/// Generates `n` in-app subscribers spread over the communities under `path` (demo and bench),
/// in one statement: every `ko_every`-th reads Korean, every `sms_every`-th takes SMS (with a
/// made-up sealed phone), interests cycle through `themes`. Returns how many were made.
pub async fn generate_subscribers(
    db: &Db,
    path: &str,
    n: i64,
    ko_every: i64,
    sms_every: i64,
    themes: &[&str],
    at: OffsetDateTime,
) -> Result<u64> {
    let inner = Scope::under(path);
    let (low, high) = inner.bounds();
    let themes: Vec<String> = std::iter::once(String::new()).chain(themes.iter().map(|t| format!(",{t},"))).collect();
    let k = i64::try_from(themes.len()).unwrap_or(1);
    let cases: String = themes.iter().enumerate().fold(String::new(), |mut acc, (i, t)| {
        use std::fmt::Write as _;
        let _ = write!(acc, " when {i} then '{t}'");
        acc
    });
    let done = match db {
        Db::Sqlite(pool) => {
            // The communities numbered in a temporary table keyed by their number, so each
            // generated row finds its community by key.
            let mut c = pool.acquire().await?;
            sqlx::query("create temp table if not exists gen_community (k integer primary key, code text, path text)")
                .execute(&mut *c)
                .await?;
            sqlx::query("delete from gen_community").execute(&mut *c).await?;
            sqlx::query(
                "insert into gen_community (k, code, path) select row_number() over (order by path) - 1, code, path \
                 from region where level = 4 and path >= $1 and path < $2",
            )
            .bind(low)
            .bind(&high)
            .execute(&mut *c)
            .await?;
            let sql = format!(
                "with recursive m(cnt) as (select count(*) from gen_community), \
                 g(i) as (select 0 union all select i + 1 from g where i + 1 < $1) \
                 insert into subscriber (token, region_code, region_path, lang, interests, channel, phone_sealed, phone_masked, consent, created_at) \
                 select lower(hex(randomblob(16))), c.code, c.path, case when $2 > 0 and g.i % $2 = 0 then 'ko' else 'zh' end, \
                 case g.i % {k}{cases} end, case when $3 > 0 and g.i % $3 = 1 then 'sms' else 'inbox' end, \
                 case when $3 > 0 and g.i % $3 = 1 then 'demo' end, \
                 case when $3 > 0 and g.i % $3 = 1 then '139****' || substr('0000' || (g.i % 10000), -4) end, 'demo', $4 \
                 from g, m join gen_community c on c.k = g.i % m.cnt"
            );
            let made = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(n)
                .bind(ko_every)
                .bind(sms_every)
                .bind(at)
                .execute(&mut *c)
                .await?
                .rows_affected();
            sqlx::query("delete from gen_community").execute(&mut *c).await?;
            made
        }
        Db::Postgres(pool) => {
            let sql = format!(
                "with c as (select row_number() over (order by path) - 1 as k, code, path from region \
                 where level = 4 and path >= $1 and path < $2), m as (select count(*) as cnt from c) \
                 insert into subscriber (token, region_code, region_path, lang, interests, channel, phone_sealed, phone_masked, consent, created_at) \
                 select md5(random()::text || g.i::text), c.code, c.path, case when $4 > 0 and g.i % $4 = 0 then 'ko' else 'zh' end, \
                 case g.i % {k}{cases} end, case when $5 > 0 and g.i % $5 = 1 then 'sms' else 'inbox' end, \
                 case when $5 > 0 and g.i % $5 = 1 then 'demo' end, \
                 case when $5 > 0 and g.i % $5 = 1 then '139****' || lpad((g.i % 10000)::text, 4, '0') end, 'demo', $6 \
                 from generate_series(0, $3 - 1) as g(i) cross join m join c on c.k = g.i % m.cnt"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(low)
                .bind(&high)
                .bind(n)
                .bind(ko_every)
                .bind(sms_every)
                .bind(at)
                .execute(pool)
                .await?
                .rows_affected()
        }
    };
    Ok(done)
}

/// Subscribers, all and still subscribed.
pub async fn subscriber_counts(db: &Db, scope: &Scope) -> Result<(i64, i64)> {
    let (low, high) = scope.bounds();
    Ok(on_db!(db, |pool| {
        sqlx::query_as(
        "select count(*), count(*) - count(unsubscribed_at) from subscriber where region_path >= $1 and region_path < $2"
    )
    .bind(low)
    .bind(&high)
    .fetch_one(pool)
    .await
    })?)
}

// ---- partner endpoints ----

/// A partner platform receiving pushes by webhook.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Endpoint {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Where to post.
    pub url: String,
    /// Region served.
    pub region_path: String,
    /// Whether it receives.
    pub active: bool,
}

/// Stores a partner endpoint with its signing secret.
pub async fn insert_endpoint(
    db: &Db,
    name: &str,
    url: &str,
    secret: &str,
    region_path: &str,
    at: OffsetDateTime,
) -> Result<i64> {
    Ok(on_db!(db, |pool| {
        sqlx::query_scalar(
        "insert into partner_endpoint (name, url, secret, region_path, created_at) values ($1, $2, $3, $4, $5) returning id"
    )
    .bind(name)
    .bind(url)
    .bind(secret)
    .bind(region_path)
    .bind(at)
    .fetch_one(pool)
    .await
    })?)
}

/// Partner endpoints inside `scope`.
pub async fn endpoints(db: &Db, scope: &Scope) -> Result<Vec<Endpoint>> {
    let (low, high) = scope.bounds();
    Ok(on_db!(db, |pool| sqlx::query_as(
        "select id, name, url, region_path, active from partner_endpoint where region_path >= $1 and region_path < $2 \
         or $1 like region_path || '%' order by name"
    )
    .bind(low)
    .bind(&high)
    .fetch_all(pool)
    .await)?)
}

// ---- fan-out ----

/// A push due for fan-out.
#[derive(Clone, Debug, FromRow)]
pub struct Due {
    /// Push.
    pub id: i64,
    /// Product.
    pub product_id: i64,
    /// Channels.
    pub channels: String,
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
    let earlier: Vec<i64> = on_tx!(&mut tx, |c| sqlx::query_scalar(
        "select id from push where product_id = $1 and id <> $2 and fanned_out_at is not null"
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
    let channels: Vec<&str> = super::split_tags(&due.channels)
        .into_iter()
        .filter(|c| *c == Channel::Inbox.as_str() || *c == Channel::Sms.as_str())
        .collect();
    let mut households = 0;
    if !channels.is_empty() && !paths.is_empty() {
        let in_id_order = matches!(db, Db::Sqlite(_));
        let sql = fan_out_sql(&paths, &channels, themes, &earlier, &this_week, in_id_order);
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
    if super::split_tags(&due.channels).contains(&Channel::Webhook.as_str()) {
        let done = on_tx!(&mut tx, |c| sqlx::query(
            "insert into delivery (push_id, recipient_id, channel, state, lang, attempts, next_at) \
             select $1, e.id, 'webhook', 'pending', 'zh', 0, $2 from partner_endpoint e where e.active and exists \
             (select 1 from push_target t where t.push_id = $1 and (e.region_path like t.region_path || '%' \
             or t.region_path like e.region_path || '%')) on conflict do nothing"
        )
        .bind(due.id)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
        partners = done;
    }
    on_tx!(&mut tx, |c| sqlx::query("update push set direct_count = $2 where id = $1")
        .bind(due.id)
        .bind(i64::try_from(households + partners).unwrap_or(i64::MAX))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(Some(FanOut { households, partners }))
}

/// The one `insert … select` of a push's household deliveries. Binds: $1 push, $2 when SMS may go,
/// $3 the weekly cap. An in-app delivery arrives when its push is fanned out, so its row carries no
/// time of its own (narrower rows, a faster fan-out). Paths, channels and tags are digits, `/` and known tag names only.
/// With `in_id_order` (`SQLite`), the subscribers are scanned in id order rather than through the
/// region index, so the delivery keys are appended in order: several times faster for big targets.
fn fan_out_sql(
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
    let mut sql = String::from(
        "insert into delivery (push_id, recipient_id, channel, state, lang, attempts, next_at, sent_at) \
         select $1, s.id, s.channel, case when s.channel = 'inbox' then 'delivered' else 'pending' end, s.lang, 0, \
         case when s.channel = 'inbox' then null else $2 end, null \
         from subscriber s where s.unsubscribed_at is null and (",
    );
    let ranges: Vec<String> = paths
        .iter()
        .filter(|p| safe(p))
        .map(|p| {
            let inner = Scope::under(p);
            let (low, high) = inner.bounds();
            let column = if in_id_order { "+s.region_path" } else { "s.region_path" };
            format!("({column} >= '{low}' and {column} < '{high}')")
        })
        .collect();
    sql.push_str(if ranges.is_empty() { "false" } else { "" });
    sql.push_str(&ranges.join(" or "));
    let chans: Vec<String> = channels.iter().filter(|c| safe(c)).map(|c| format!("'{c}'")).collect();
    let _ = write!(sql, ") and s.channel in ({})", chans.join(", "));
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

// ---- dispatch ----

/// A delivery claimed by a worker.
#[derive(Clone, Debug, FromRow, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Claimed {
    /// Push.
    pub push_id: i64,
    /// Subscriber or partner endpoint.
    pub recipient_id: i64,
    /// Channel.
    pub channel: String,
    /// Tries so far, this one included.
    pub attempts: i64,
    /// The recipient's language.
    pub lang: String,
    /// Whether a worker had claimed it before and stopped without a result (a possible resend).
    pub resent: bool,
}

/// Claims up to `n` due deliveries of one channel for `lease` (a crashed worker's expired claims
/// are due again and counted as possible resends on their push).
pub async fn claim(db: &Db, channel: &str, n: i64, now: OffsetDateTime, lease: time::Duration) -> Result<Vec<Claimed>> {
    let until = now + lease;
    let mut tx = db.begin().await?;
    let rows: Vec<Claimed> =
        match &mut tx {
            Tx::Sqlite(t) => {
                // Take the write lock first so the rows chosen stay ours.
                sqlx::query("update delivery set state = state where push_id = -1").execute(&mut **t).await?;
                sqlx::query_as(
                "select push_id, recipient_id, channel, attempts + 1 as attempts, lang, state = 'sending' as resent \
                 from delivery where channel = $1 and next_at <= $2 and state in ('pending', 'sending') \
                 order by next_at limit $3",
            )
            .bind(channel)
            .bind(now)
            .bind(n)
            .fetch_all(&mut **t)
            .await?
            }
            Tx::Postgres(t) => sqlx::query_as(
                "select push_id, recipient_id, channel, attempts + 1 as attempts, lang, state = 'sending' as resent \
                 from delivery where channel = $1 and next_at <= $2 and state in ('pending', 'sending') \
                 order by next_at limit $3 for update skip locked",
            )
            .bind(channel)
            .bind(now)
            .bind(n)
            .fetch_all(&mut **t)
            .await?,
        };
    if rows.is_empty() {
        return Ok(rows);
    }
    update_keys(
        &mut tx,
        "state = 'sending', attempts = attempts + 1, next_at = $1, lease_until = $1",
        "true",
        &rows,
        until,
    )
    .await?;
    // Possible resends, counted once per push.
    let mut resent: std::collections::BTreeMap<i64, i64> = std::collections::BTreeMap::new();
    for r in rows.iter().filter(|r| r.resent) {
        *resent.entry(r.push_id).or_default() += 1;
    }
    for (push_id, n) in resent {
        on_tx!(&mut tx, |c| sqlx::query("update push set resent_count = resent_count + $2 where id = $1")
            .bind(push_id)
            .bind(n)
            .execute(c)
            .await
            .map(|_| ()))?;
    }
    tx.commit().await?;
    Ok(rows)
}

/// Updates the deliveries of `rows` (where `cond` holds) with `set`, binding `at` as `$1`: on
/// `SQLite` by a row-value list, on `PostgreSQL` by arrays joined with `unnest` (an index semi-join).
async fn update_keys(tx: &mut Tx, set: &str, cond: &str, rows: &[Claimed], at: OffsetDateTime) -> Result<()> {
    match tx {
        Tx::Sqlite(t) => {
            let sql = format!(
                "update delivery set {set} where {cond} and (push_id, recipient_id, channel) in ({})",
                keys_of(rows)
            );
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(at).execute(&mut **t).await?;
        }
        Tx::Postgres(t) => {
            let sql = format!(
                "update delivery set {set} where {cond} and (push_id, recipient_id, channel) in \
                 (select * from unnest($2::bigint[], $3::bigint[], $4::text[]))"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(at)
                .bind(rows.iter().map(|r| r.push_id).collect::<Vec<_>>())
                .bind(rows.iter().map(|r| r.recipient_id).collect::<Vec<_>>())
                .bind(rows.iter().map(|r| r.channel.clone()).collect::<Vec<_>>())
                .execute(&mut **t)
                .await?;
        }
    }
    Ok(())
}

/// The row-value list of deliveries' keys (numbers and known channel names only).
fn keys_of(rows: &[Claimed]) -> String {
    rows.iter()
        .filter(|r| Channel::parse(&r.channel).is_some())
        .map(|r| format!("({}, {}, '{}')", r.push_id, r.recipient_id, r.channel))
        .collect::<Vec<_>>()
        .join(", ")
}

/// How a send ended, for [`record`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Delivered.
    Delivered,
    /// Try again at the given time.
    Retry(OffsetDateTime, String),
    /// Refused for good.
    Failed(String),
    /// Too many tries: dead letter.
    Dead(String),
}

/// Records the results of sends, only for deliveries still claimed (a recall may have cancelled
/// nothing in flight, but an expired lease re-claimed elsewhere is left to the new holder).
pub async fn record(db: &Db, results: &[(Claimed, Outcome)], now: OffsetDateTime) -> Result<()> {
    if results.is_empty() {
        return Ok(());
    }
    let mut tx = db.begin().await?;
    // The delivered ones (nearly all) in one statement; the rest one by one.
    let delivered: Vec<Claimed> =
        results.iter().filter(|(_, r)| *r == Outcome::Delivered).map(|(c, _)| c.clone()).collect();
    for chunk in delivered.chunks(crate::db::CHUNK_ROWS) {
        update_keys(
            &mut tx,
            "state = 'delivered', next_at = null, sent_at = $1, error = null, lease_until = null",
            "state = 'sending'",
            chunk,
            now,
        )
        .await?;
    }
    for (c, r) in results.iter().filter(|(_, r)| *r != Outcome::Delivered) {
        let (state, next, sent, error): (&str, Option<OffsetDateTime>, Option<OffsetDateTime>, Option<&str>) = match r {
            Outcome::Delivered => ("delivered", None, Some(now), None),
            Outcome::Retry(at, e) => ("pending", Some(*at), None, Some(e)),
            Outcome::Failed(e) => ("failed", None, None, Some(e)),
            Outcome::Dead(e) => ("dead", None, None, Some(e)),
        };
        on_tx!(&mut tx, |conn| sqlx::query(
            "update delivery set state = $4, next_at = $5, sent_at = $6, error = $7, lease_until = null \
             where push_id = $1 and recipient_id = $2 and channel = $3 and state = 'sending'"
        )
        .bind(c.push_id)
        .bind(c.recipient_id)
        .bind(&c.channel)
        .bind(state)
        .bind(next)
        .bind(sent)
        .bind(error)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    }
    tx.commit().await?;
    Ok(())
}

/// What a worker needs to send one push: the product's kind, and its variants' titles and texts.
#[derive(Clone, Debug, FromRow)]
pub struct Message {
    /// Push.
    pub push_id: i64,
    /// Product.
    pub product_id: i64,
    /// Kind.
    pub kind: String,
    /// Variant language.
    pub lang: String,
    /// Title.
    pub title: String,
    /// Text.
    pub body: String,
    /// Link.
    pub link: String,
    /// Push state (a recalled push sends nothing more).
    pub state: String,
}

/// The variants of a push's product.
pub async fn messages(db: &Db, push_id: i64) -> Result<Vec<Message>> {
    Ok(on_db!(db, |pool| sqlx::query_as(
        "select p.id as push_id, pr.id as product_id, pr.kind, v.lang, v.title, v.body, v.link, p.state \
         from push p join push_product pr on pr.id = p.product_id join push_variant v on v.product_id = pr.id \
         where p.id = $1"
    )
    .bind(push_id)
    .fetch_all(pool)
    .await)?)
}

/// Sealed phones and inbox tokens of subscribers: (id, sealed phone, token).
pub async fn recipients(db: &Db, ids: &[i64]) -> Result<Vec<(i64, Option<String>, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
    let sql = format!("select id, phone_sealed, token from subscriber where id in ({list})");
    Ok(on_db!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).fetch_all(pool).await)?)
}

/// Partner endpoints by id: (id, url, secret).
pub async fn endpoint_secrets(db: &Db, ids: &[i64]) -> Result<Vec<(i64, String, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
    let sql = format!("select id, url, secret from partner_endpoint where id in ({list})");
    Ok(on_db!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).fetch_all(pool).await)?)
}

// ---- inbox ----

/// A tip in a resident's inbox.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct InboxItem {
    /// Push.
    pub push_id: i64,
    /// Product.
    pub product_id: i64,
    /// Kind.
    pub kind: String,
    /// The language the resident reads.
    pub lang: String,
    /// When it arrived.
    #[schema(value_type = Option<String>)]
    pub sent_at: Option<OffsetDateTime>,
    /// When they opened it.
    #[schema(value_type = Option<String>)]
    pub read_at: Option<OffsetDateTime>,
}

const INBOX: &str = "select d.push_id, p.product_id, pr.kind, d.lang, coalesce(d.sent_at, p.fanned_out_at) as sent_at, \
     d.read_at from delivery d join push p on p.id = d.push_id join push_product pr on pr.id = p.product_id";

/// The tips delivered to a subscriber's inbox since `since`, newest first.
pub async fn inbox(db: &Db, subscriber_id: i64, since: OffsetDateTime, limit: i64) -> Result<Vec<InboxItem>> {
    let sql = format!(
        "{INBOX} where d.push_id in (select id from push where fanned_out_at >= $2 and state <> 'recalled') \
         and d.recipient_id = $1 and d.channel = 'inbox' order by d.push_id desc limit $3"
    );
    Ok(on_db!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(subscriber_id)
        .bind(since)
        .bind(limit)
        .fetch_all(pool)
        .await)?)
}

/// One tip of a subscriber's inbox (not of a recalled push).
pub async fn inbox_item(db: &Db, subscriber_id: i64, push_id: i64) -> Result<InboxItem> {
    let sql = format!(
        "{INBOX} where d.push_id = $2 and d.recipient_id = $1 and d.channel = 'inbox' and p.state <> 'recalled'"
    );
    on_db!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(subscriber_id)
        .bind(push_id)
        .fetch_optional(pool)
        .await)?
    .ok_or(Error::NotFound)
}

/// Marks a tip read the first time it is opened; false when it is not in the inbox or was read.
pub async fn mark_read(db: &Db, subscriber_id: i64, push_id: i64, at: OffsetDateTime) -> Result<bool> {
    let done = on_db!(db, |pool| sqlx::query(
        "update delivery set state = 'read', read_at = $3 where push_id = $2 and recipient_id = $1 \
         and channel = 'inbox' and read_at is null"
    )
    .bind(subscriber_id)
    .bind(push_id)
    .bind(at)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

// ---- statistics ----

/// Deliveries of a push by region, channel and state.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct DeliveryCount {
    /// The region (a direct subdivision of the one asked for), by path.
    pub region_path: String,
    /// Channel.
    pub channel: String,
    /// State.
    pub state: String,
    /// Deliveries.
    pub n: i64,
    /// Of them to Korean readers.
    pub ko: i64,
}

/// A push's household deliveries inside `scope`, by subdivision (paths cut to `child_len`),
/// channel and state; partner webhooks are listed under the scope's own path.
pub async fn delivery_counts(db: &Db, scope: &Scope, push_id: i64, child_len: i64) -> Result<Vec<DeliveryCount>> {
    let (low, high) = scope.bounds();
    Ok(on_db!(db, |pool| sqlx::query_as(
        "select substr(s.region_path, 1, cast($4 as integer)) as region_path, d.channel, d.state, count(*) as n, \
         sum(case when d.lang = 'ko' then 1 else 0 end) as ko \
         from delivery d join subscriber s on s.id = d.recipient_id \
         where d.push_id = $1 and d.channel <> 'webhook' and s.region_path >= $2 and s.region_path < $3 \
         group by substr(s.region_path, 1, cast($4 as integer)), d.channel, d.state \
         union all \
         select $2, channel, state, count(*), 0 from delivery where push_id = $1 and channel = 'webhook' \
         group by channel, state order by 1, 2, 3"
    )
    .bind(push_id)
    .bind(low)
    .bind(&high)
    .bind(child_len)
    .fetch_all(pool)
    .await)?)
}

/// The push figures of a region subtree: pushes and products reaching it, direct deliveries, its
/// units and how many passed the product on or are overdue, and the households they reached.
#[derive(Clone, Debug, Default, FromRow, Serialize, ToSchema)]
pub struct Totals {
    /// Pushes.
    pub pushes: i64,
    /// Distinct products pushed.
    pub products: i64,
    /// Direct deliveries.
    pub direct: i64,
    /// Units reached.
    pub nodes: i64,
    /// Units that passed it on (forwarded or confirmed).
    pub passed_on: i64,
    /// Units overdue now.
    pub overdue: i64,
    /// Households reached as confirmed by the units, summed over pushes (household contacts).
    pub reach: i64,
}

/// The push totals of a region subtree for the pushes sent between two instants.
pub async fn totals(
    db: &Db,
    scope: &Scope,
    now: OffsetDateTime,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Result<Totals> {
    let (low, high) = scope.bounds();
    Ok(on_db!(db, |pool| {
        sqlx::query_as(
            "with w as (select id, product_id, direct_count, origin_path from push \
             where created_at >= $4 and created_at < $5 and state <> 'recalled'), \
             n as (select push_id, state, due_at, reach from push_node \
             where region_path >= $1 and region_path < $2 and push_id in (select id from w)) \
             select (select count(distinct push_id) from n) as pushes, \
             (select count(distinct w.product_id) from w where w.id in (select push_id from n)) as products, \
             (select cast(coalesce(sum(direct_count), 0) as bigint) from w where origin_path >= $1 and origin_path < $2) as direct, \
             (select count(*) from n) as nodes, \
             (select count(*) from n where state in ('forwarded', 'confirmed')) as passed_on, \
             (select count(*) from n where state in ('pending', 'signed') and due_at < $3) as overdue, \
             (select cast(coalesce(sum(reach), 0) as bigint) from n) as reach",
        )
        .bind(low)
        .bind(&high)
        .bind(now)
        .bind(from)
        .bind(to)
        .fetch_one(pool)
        .await
    })?)
}

/// Inbox deliveries and reads of pushes sent in a time window inside a subtree: (delivered, read).
pub async fn read_rate(db: &Db, scope: &Scope, from: OffsetDateTime, to: OffsetDateTime) -> Result<(i64, i64)> {
    let (low, high) = scope.bounds();
    Ok(on_db!(db, |pool| sqlx::query_as(
        "select count(*), count(d.read_at) from delivery d join subscriber s on s.id = d.recipient_id \
         where d.push_id in (select id from push where fanned_out_at >= $3 and fanned_out_at < $4) \
         and d.channel = 'inbox' and s.region_path >= $1 and s.region_path < $2"
    )
    .bind(low)
    .bind(&high)
    .bind(from)
    .bind(to)
    .fetch_one(pool)
    .await)?)
}

/// Distinct products pushed to the region at `path` and each direct subdivision between two
/// instants, like the other registers' totals (the campaign's "products pushed").
pub async fn register_totals(
    db: &Db,
    path: &str,
    child_len: i64,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Result<Vec<crate::activity::store::Total>> {
    let inner = Scope::under(path);
    let (low, high) = inner.bounds();
    Ok(on_db!(db, |p| {
        sqlx::query_as(
        "select $2 as region_path, 'products_pushed' as metric_code, count(distinct p.product_id) as value \
         from push p where p.created_at >= $4 and p.created_at < $5 and p.state <> 'recalled' and exists \
         (select 1 from push_target t where t.push_id = p.id and (t.region_path like $2 || '%' or $2 like t.region_path || '%')) \
         having count(distinct p.product_id) > 0 \
         union all \
         select substr(n.region_path, 1, cast($1 as integer)), 'products_pushed', count(distinct p.product_id) \
         from push_node n join push p on p.id = n.push_id where p.created_at >= $4 and p.created_at < $5 \
         and p.state <> 'recalled' and n.region_path >= $2 and n.region_path < $3 \
         and length(n.region_path) = $1 group by substr(n.region_path, 1, cast($1 as integer))"
    )
    .bind(child_len)
    .bind(low)
    .bind(&high)
    .bind(from)
    .bind(to)
    .fetch_all(p)
    .await
    })?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fan_out_is_one_statement_with_only_safe_text_in_it() {
        let sql = fan_out_sql(
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
        let capped = fan_out_sql(&["/22/".into()], &["inbox"], &[], &[], &[3, 4], true);
        assert!(capped.contains("+s.region_path >= '/22/'"), "{capped}");
        assert!(capped.contains("push_id in (3, 4)") && capped.contains("having count(*) >= $3"), "{capped}");
    }
}
