//! The product library: products, their language variants and files, review states.

use serde::Serialize;
use sqlx::FromRow;
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::db::{Db, Tx};
use crate::push::{Lang, ProductKind, ProductState};
use crate::{Error, Result, on_db, on_tx};

/// A product of the library, as listed.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Product {
    pub(crate) id: i64,
    pub(crate) kind: ProductKind,
    /// Chinese title.
    pub title: String,
    /// Audience, place and theme tags, stored `,a,b,`.
    pub tags: String,
    /// Review state.
    pub state: ProductState,
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
    pub(crate) lang: Lang,
    pub(crate) title: String,
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
    pub(crate) kind: ProductKind,
    /// Chinese title.
    pub title: String,
    /// Stored tags.
    pub tags: String,
    pub(crate) state: ProductState,
    /// Lower-case search text (titles, bodies, pinyin).
    pub search: String,
    /// Maker's unit.
    pub unit_id: i64,
    /// Its region path.
    pub region_path: String,
    pub(crate) created_by: i64,
    pub(crate) created_at: OffsetDateTime,
    /// Reviewer and time (products loaded already approved).
    pub reviewed: Option<(i64, OffsetDateTime)>,
}

/// What to list of the library.
#[derive(Clone, Debug, Default)]
pub struct ProductFilter {
    /// Words to find in titles, texts or pinyin.
    pub q: String,
    pub(crate) kind: Option<String>,
    /// A tag.
    pub tag: Option<String>,
    pub(crate) state: Option<String>,
}

/// An approved product as the public reads it: its title and text in one language.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct PublicTip {
    /// The product.
    pub id: i64,
    pub(crate) kind: ProductKind,
    /// Title.
    pub title: String,
    /// Text.
    pub body: String,
    /// A link to it elsewhere.
    pub link: String,
    /// Its tags, stored `,a,b,`.
    pub tags: String,
    /// The unit that made it.
    pub unit_name: String,
    /// When it was approved.
    #[schema(value_type = String)]
    pub approved_at: OffsetDateTime,
    /// Whether a file comes with it.
    pub has_file: bool,
}

const PUBLIC_TIP: &str = "select p.id, p.kind, v.title, v.body, v.link, p.tags, u.name as unit_name, \
     coalesce(p.reviewed_at, p.created_at) as approved_at, v.file_size > 0 as has_file \
     from push_product p join push_variant v on v.product_id = p.id and v.lang = $1 join unit u on u.id = p.unit_id \
     where p.state = 'approved'";

/// Approved products that have a variant in `lang`, newest approval first: those made for the
/// region at `region_path` or for a region above it (every one when empty), of `kind` and carrying
/// `tag` when given.
pub async fn public_tips(
    db: &Db,
    lang: Lang,
    region_path: &str,
    (kind, tag): (&str, &str),
    limit: i64,
) -> Result<Vec<PublicTip>> {
    let sql = format!(
        "{PUBLIC_TIP} and ($2 = '' or $2 like p.region_path || '%') and ($3 = '' or p.kind = $3) \
         and ($4 = '' or p.tags like '%,' || $4 || ',%') order by approved_at desc, p.id desc limit $5"
    );
    Ok(on_db!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(lang.as_str())
        .bind(region_path)
        .bind(kind)
        .bind(tag)
        .bind(limit)
        .fetch_all(pool)
        .await)?)
}

/// One approved product in `lang`; `NotFound` when it is not approved or has no such variant.
pub async fn public_tip(db: &Db, id: i64, lang: Lang) -> Result<PublicTip> {
    let sql = format!("{PUBLIC_TIP} and p.id = $2");
    on_db!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(lang.as_str())
        .bind(id)
        .fetch_optional(pool)
        .await)?
    .ok_or(Error::NotFound)
}

/// Approved products on a topic: carrying `tag`, or holding `word` in their titles, texts or
/// pinyin; those carrying the season's `theme` first, then the newest.
pub async fn on_topic(db: &Db, tag: &str, word: &str, theme: &str, limit: i64) -> Result<Vec<Product>> {
    let sql = format!(
        "{PRODUCT} where p.state = 'approved' \
         and (($1 <> '' and p.tags like '%,' || $1 || ',%') or ($2 <> '' and p.search like '%' || $2 || '%')) \
         order by case when p.tags like '%,' || $3 || ',%' then 0 else 1 end, p.id desc limit $4"
    );
    Ok(on_db!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(tag)
        .bind(word)
        .bind(theme)
        .bind(limit)
        .fetch_all(pool)
        .await)?)
}

/// The latest push, not recalled, that reached the region at `region_path` with a product on a
/// topic (as [`on_topic`] finds them): its id and when the region received it.
pub async fn latest_on_topic(
    db: &Db,
    region_path: &str,
    tag: &str,
    word: &str,
) -> Result<Option<(i64, OffsetDateTime)>> {
    Ok(on_db!(db, |pool| sqlx::query_as(
        "select p.id, n.received_at from push_node n join region r on r.code = n.region_code \
         join push p on p.id = n.push_id join push_product pr on pr.id = p.product_id \
         where r.path = $1 and p.state <> 'recalled' \
         and (($2 <> '' and pr.tags like '%,' || $2 || ',%') or ($3 <> '' and pr.search like '%' || $3 || '%')) \
         order by n.received_at desc, p.id desc limit 1"
    )
    .bind(region_path)
    .bind(tag)
    .bind(word)
    .fetch_optional(pool)
    .await)?)
}

/// Stores new products with their variants, in order: their ids reserved at once, then one
/// multi-row insert per table and chunk (the demo's library of 582 is two statements, not 1,248).
/// Returns the products' ids.
pub async fn insert_products(tx: &mut Tx, products: &[(NewProduct, Vec<NewVariant>)]) -> Result<Vec<i64>> {
    let first = tx.reserve_ids("push_product", products.len()).await?;
    let ids: Vec<i64> = (first..).take(products.len()).collect();
    let variants: Vec<(i64, &NewVariant)> =
        ids.iter().zip(products).flat_map(|(id, (_, vs))| vs.iter().map(move |v| (*id, v))).collect();
    let rows: Vec<(i64, &NewProduct)> = ids.iter().copied().zip(products.iter().map(|(p, _)| p)).collect();
    on_tx!(tx, |c| {
        crate::db::insert_chunked(&mut *c, &rows, crate::db::CHUNK_ROWS, |chunk| {
            let mut q = sqlx::QueryBuilder::new(
                "insert into push_product (id, kind, title, tags, state, search, unit_id, region_path, created_by, \
                 created_at, reviewed_by, reviewed_at) ",
            );
            q.push_values(chunk, |mut b, (id, p)| {
                b.push_bind(*id)
                    .push_bind(p.kind)
                    .push_bind(&p.title)
                    .push_bind(&p.tags)
                    .push_bind(p.state)
                    .push_bind(&p.search)
                    .push_bind(p.unit_id)
                    .push_bind(&p.region_path)
                    .push_bind(p.created_by)
                    .push_bind(p.created_at)
                    .push_bind(p.reviewed.map(|(u, _)| u))
                    .push_bind(p.reviewed.map(|(_, t)| t));
            });
            q
        })
        .await?;
        crate::db::insert_chunked(c, &variants, crate::db::CHUNK_ROWS, |chunk| {
            let mut q = sqlx::QueryBuilder::new(
                "insert into push_variant (product_id, lang, title, body, link, file_name, file_type, file_size, file_data) ",
            );
            q.push_values(chunk, |mut b, (id, v)| {
                let m = &v.variant;
                b.push_bind(*id)
                    .push_bind(m.lang)
                    .push_bind(&m.title)
                    .push_bind(&m.body)
                    .push_bind(&m.link)
                    .push_bind(&m.file_name)
                    .push_bind(&m.file_type)
                    .push_bind(m.file_size)
                    .push_bind(v.file.as_deref());
            });
            q
        })
        .await
    })?;
    Ok(ids)
}

/// Stores one product with its variants (see [`insert_products`]); returns its id.
pub async fn insert_product(tx: &mut Tx, p: NewProduct, variants: Vec<NewVariant>) -> Result<i64> {
    insert_products(tx, &[(p, variants)]).await?.pop().ok_or(Error::NotFound)
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
