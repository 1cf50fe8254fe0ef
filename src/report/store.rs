//! What a report's authors add to the records, for one campaign and one region's report: the
//! deployment, documents and next steps; the records pinned into the text or hidden from it; the
//! paragraphs rewritten by hand.

use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use crate::db::Db;
use crate::{Result, clock, on_db};

/// The authors' fields of a report.
#[derive(Clone, Debug, Default, Deserialize, FromRow, Serialize, ToSchema)]
#[serde(default)]
pub struct Authored {
    /// Whose deployment the campaign followed (按照……的统一部署).
    pub deployed_by: String,
    /// The documents issued for it, one a line, each told as a sentence.
    pub documents: String,
    /// The next steps (下一步工作), one paragraph a line.
    pub next_steps: String,
}

/// The authors' fields of a region's report (empty when none were written).
pub async fn authored(db: &Db, campaign_id: i64, region_path: &str) -> Result<Authored> {
    let row: Option<Authored> = on_db!(db, |p| {
        sqlx::query_as(
            "select deployed_by, documents, next_steps from report_text where campaign_id = $1 and region_path = $2",
        )
        .bind(campaign_id)
        .bind(region_path)
        .fetch_optional(p)
        .await
    })?;
    Ok(row.unwrap_or_default())
}

/// Writes the authors' fields of a region's report.
pub async fn set_authored(db: &Db, campaign_id: i64, region_path: &str, a: &Authored, by: i64) -> Result<()> {
    on_db!(db, |p| {
        sqlx::query(
            "insert into report_text (campaign_id, region_path, deployed_by, documents, next_steps, updated_by, updated_at) \
             values ($1, $2, $3, $4, $5, $6, $7) on conflict (campaign_id, region_path) do update set \
             deployed_by = excluded.deployed_by, documents = excluded.documents, next_steps = excluded.next_steps, \
             updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        )
        .bind(campaign_id)
        .bind(region_path)
        .bind(&a.deployed_by)
        .bind(&a.documents)
        .bind(&a.next_steps)
        .bind(by)
        .bind(clock::now())
        .execute(p)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// The records pinned (`pinned`) or hidden (`hidden`) in a region's report: (record, mark).
pub async fn marks(db: &Db, campaign_id: i64, region_path: &str) -> Result<Vec<(i64, String)>> {
    Ok(on_db!(db, |p| {
        sqlx::query_as("select activity_id, mark from report_mark where campaign_id = $1 and region_path = $2")
            .bind(campaign_id)
            .bind(region_path)
            .fetch_all(p)
            .await
    })?)
}

/// Pins or hides a record in a region's report, or (`None`) lets its salience decide again.
pub async fn set_mark(
    db: &Db,
    campaign_id: i64,
    region_path: &str,
    activity_id: i64,
    mark: Option<&str>,
    by: i64,
) -> Result<()> {
    on_db!(db, |p| {
        match mark {
            Some(mark) => sqlx::query(
                "insert into report_mark (campaign_id, region_path, activity_id, mark, set_by, set_at) \
                 values ($1, $2, $3, $4, $5, $6) on conflict (campaign_id, region_path, activity_id) do update set \
                 mark = excluded.mark, set_by = excluded.set_by, set_at = excluded.set_at",
            )
            .bind(campaign_id)
            .bind(region_path)
            .bind(activity_id)
            .bind(mark)
            .bind(by)
            .bind(clock::now())
            .execute(p)
            .await
            .map(|_| ()),
            None => {
                sqlx::query("delete from report_mark where campaign_id = $1 and region_path = $2 and activity_id = $3")
                    .bind(campaign_id)
                    .bind(region_path)
                    .bind(activity_id)
                    .execute(p)
                    .await
                    .map(|_| ())
            }
        }
    })?;
    Ok(())
}

/// A paragraph rewritten by hand.
#[derive(Clone, Debug, FromRow)]
pub struct Edit {
    /// The paragraph's key (its section and place).
    pub paragraph: String,
    /// The text as rewritten.
    pub body: String,
    /// The generated paragraph it was written over, as JSON segments.
    pub base: String,
}

/// The hand-written paragraphs of a region's report.
pub async fn edits(db: &Db, campaign_id: i64, region_path: &str) -> Result<Vec<Edit>> {
    Ok(on_db!(db, |p| {
        sqlx::query_as("select paragraph, body, base from report_edit where campaign_id = $1 and region_path = $2")
            .bind(campaign_id)
            .bind(region_path)
            .fetch_all(p)
            .await
    })?)
}

/// Keeps a paragraph as rewritten (`Some`) or drops the rewrite (`None`), over the generated
/// paragraph `base`.
pub async fn set_edit(
    db: &Db,
    (campaign_id, region_path): (i64, &str),
    paragraph: &str,
    body: Option<(&str, &str)>,
    by: i64,
) -> Result<()> {
    on_db!(db, |p| {
        match body {
            Some((body, base)) => sqlx::query(
                "insert into report_edit (campaign_id, region_path, paragraph, body, base, edited_by, edited_at) \
                 values ($1, $2, $3, $4, $5, $6, $7) on conflict (campaign_id, region_path, paragraph) do update set \
                 body = excluded.body, base = excluded.base, edited_by = excluded.edited_by, edited_at = excluded.edited_at",
            )
            .bind(campaign_id)
            .bind(region_path)
            .bind(paragraph)
            .bind(body)
            .bind(base)
            .bind(by)
            .bind(clock::now())
            .execute(p)
            .await
            .map(|_| ()),
            None => sqlx::query(
                "delete from report_edit where campaign_id = $1 and region_path = $2 and paragraph = $3",
            )
            .bind(campaign_id)
            .bind(region_path)
            .bind(paragraph)
            .execute(p)
            .await
            .map(|_| ()),
        }
    })?;
    Ok(())
}
