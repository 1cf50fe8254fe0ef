//! Photos of a report.

use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use crate::db::Db;
use crate::{Error, Result, on_db};

/// A stored photo (without its bytes).
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
#[schema(as = HazardPhotoInfo)]
pub struct PhotoInfo {
    pub(crate) id: i64,
    pub(crate) hazard_id: i64,
    /// Width in pixels.
    pub width: i64,
    /// Height in pixels.
    pub height: i64,
}

/// Stores a cleaned photo of a hazard.
pub async fn insert_photo(db: &Db, hazard_id: i64, photo: &crate::photo::Photo, user_id: Option<i64>) -> Result<i64> {
    Ok(on_db!(db, |p| sqlx::query_scalar(
        "insert into hazard_photo (hazard_id, sha256, width, height, jpeg, uploaded_by, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7) returning id"
    )
    .bind(hazard_id)
    .bind(&photo.sha256)
    .bind(i64::from(photo.width))
    .bind(i64::from(photo.height))
    .bind(&photo.jpeg)
    .bind(user_id)
    .bind(crate::clock::now())
    .fetch_one(p)
    .await)?)
}

/// The photos of a hazard.
pub async fn photos(db: &Db, hazard_id: i64) -> Result<Vec<PhotoInfo>> {
    Ok(on_db!(db, |p| sqlx::query_as(
        "select id, hazard_id, width, height from hazard_photo where hazard_id = $1 order by id"
    )
    .bind(hazard_id)
    .fetch_all(p)
    .await)?)
}

/// The JPEG bytes of a photo of a hazard.
pub async fn photo_bytes(db: &Db, hazard_id: i64, photo_id: i64) -> Result<Vec<u8>> {
    on_db!(db, |p| sqlx::query_scalar("select jpeg from hazard_photo where id = $1 and hazard_id = $2")
        .bind(photo_id)
        .bind(hazard_id)
        .fetch_optional(p)
        .await)?
    .ok_or(Error::NotFound)
}
