//! Members' credentials (certificates and trainings).

use serde::Serialize;
use sqlx::FromRow;
use time::Date;
use utoipa::ToSchema;

use crate::db::Db;
use crate::org::Scope;
use crate::volunteer::CredentialKind;
use crate::{Result, clock, on_db};

/// A training attended or a certificate held.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Credential {
    pub(crate) id: i64,
    pub(crate) member_id: i64,
    /// Training or certificate.
    pub kind: CredentialKind,
    pub(crate) name: String,
    /// Issued by.
    pub issuer: String,
    /// Issued or attended.
    #[schema(value_type = String, format = Date)]
    pub issued_on: Date,
    /// Expires.
    #[schema(value_type = Option<String>, format = Date)]
    pub expires_on: Option<Date>,
}

/// Stores a credential of a member (checked by the caller).
pub async fn insert_credential(
    db: &Db,
    member_id: i64,
    kind: &str,
    name: &str,
    issuer: &str,
    issued_on: Date,
    expires_on: Option<Date>,
) -> Result<i64> {
    Ok(on_db!(db, |p| sqlx::query_scalar(
        "insert into volunteer_credential (member_id, kind, name, issuer, issued_on, expires_on, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7) returning id"
    )
    .bind(member_id)
    .bind(kind)
    .bind(name)
    .bind(issuer)
    .bind(issued_on)
    .bind(expires_on)
    .bind(clock::now())
    .fetch_one(p)
    .await)?)
}

/// The credentials of the members of a team (or of one member) inside the scope.
pub async fn credentials(db: &Db, scope: &Scope, team_id: i64, member_id: Option<i64>) -> Result<Vec<Credential>> {
    let (low, high) = scope.bounds();
    Ok(on_db!(db, |p| sqlx::query_as(
        "select c.id, c.member_id, c.kind, c.name, c.issuer, c.issued_on, c.expires_on from volunteer_credential c \
         join volunteer_member m on m.id = c.member_id where m.team_id = $1 and m.team_path >= $2 and m.team_path < $3 \
         and ($4 is null or c.member_id = $4) order by c.issued_on desc, c.id"
    )
    .bind(team_id)
    .bind(low)
    .bind(&high)
    .bind(member_id)
    .fetch_all(p)
    .await)?)
}
