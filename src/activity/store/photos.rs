//! Photos of a record.

use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use crate::db::Db;
use crate::{Error, Result, clock, on_db};

/// A stored photo (without its bytes).
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
#[schema(as = ActivityPhotoInfo)]
pub struct PhotoInfo {
    pub(crate) id: i64,
    pub(crate) activity_id: i64,
    /// Picture hash.
    pub sha256: String,
    /// Width in pixels.
    pub width: i64,
    /// Height in pixels.
    pub height: i64,
    /// Another record that carries the same picture, if any.
    pub used_elsewhere: Option<i64>,
}

/// Stores a cleaned photo of a record.
pub async fn insert_photo(db: &Db, activity_id: i64, photo: &crate::photo::Photo, user_id: i64) -> Result<i64> {
    Ok(on_db!(db, |p| {
        sqlx::query_scalar(
        "insert into photo (activity_id, sha256, width, height, jpeg, uploaded_by, created_at) values ($1, $2, $3, $4, $5, $6, $7) returning id"
    )
    .bind(activity_id)
    .bind(&photo.sha256)
    .bind(i64::from(photo.width))
    .bind(i64::from(photo.height))
    .bind(&photo.jpeg)
    .bind(user_id)
    .bind(clock::now())
    .fetch_one(p)
    .await
    })?)
}

/// The photos of a record, each with another record that uses the same picture.
pub async fn photos(db: &Db, activity_id: i64) -> Result<Vec<PhotoInfo>> {
    Ok(on_db!(db, |p| {
        sqlx::query_as(
        "select p.id, p.activity_id, p.sha256, p.width, p.height, \
         (select min(o.activity_id) from photo o where o.sha256 = p.sha256 and o.activity_id <> p.activity_id) as used_elsewhere \
         from photo p where p.activity_id = $1 order by p.id"
    )
    .bind(activity_id)
    .fetch_all(p)
    .await
    })?)
}

/// The JPEG bytes of a photo of a record.
pub async fn photo_bytes(db: &Db, activity_id: i64, photo_id: i64) -> Result<Vec<u8>> {
    on_db!(db, |p| sqlx::query_scalar("select jpeg from photo where id = $1 and activity_id = $2")
        .bind(photo_id)
        .bind(activity_id)
        .fetch_optional(p)
        .await)?
    .ok_or(Error::NotFound)
}
