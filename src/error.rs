//! One error type. Its status mapping lives in one `match`; database and internal errors are logged
//! and shown as an opaque 500 with the request id.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being handled (empty outside a request).
pub fn request_id() -> String {
    REQUEST_ID.try_with(Clone::clone).unwrap_or_default()
}

/// Runs `work` as the request with id `id`: errors it answers with quote the id.
pub async fn with_request_id<F: Future>(id: String, work: F) -> F::Output {
    REQUEST_ID.scope(id, work).await
}

/// Result with firecast's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in a handler or command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is wrong; `field` names the part of it that is. The message is a locale key
    /// (`error.…`) or, in older code, English words.
    #[error("{}", crate::i18n::Lang::En.message(.message))]
    Invalid {
        /// The form field, JSON member, query parameter or file column at fault.
        field: Option<String>,
        /// What was expected, in words for the user.
        message: String,
    },
    /// Not signed in (or the session ended).
    #[error("not signed in")]
    Unauthorized,
    /// Signed in, but the role or scope does not allow it.
    #[error("not allowed")]
    Forbidden,
    /// No such thing, or not within the caller's scope.
    #[error("not found")]
    NotFound,
    /// The request conflicts with what is stored (a duplicate name, say).
    #[error("{}", crate::i18n::Lang::En.message(.0))]
    Conflict(String),
    /// Too many attempts; try later.
    #[error("{}", crate::i18n::Lang::En.message(.0))]
    TooMany(String),
    /// The CSRF token was missing or wrong.
    #[error("the form has expired or did not come from this site; reload the page and try again")]
    Csrf,
    /// A database failure.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// Anything else that is our fault.
    #[error("{0:#}")]
    Internal(#[from] anyhow::Error),
}

impl Error {
    /// An input error on a named field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid { field: Some(field.into()), message: message.into() }
    }

    /// The HTTP status for this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden | Self::Csrf => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Db(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// What an error response carries for the HTML layer to render as a page.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// HTTP status code.
    pub status: u16,
    /// Short title.
    pub title: String,
    /// What went wrong, for the user (opaque for 500s).
    pub detail: String,
    /// The field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The request id, to quote when asking for help.
    pub request_id: String,
    /// The message as written (a locale key or words), for the page to show in its language.
    #[serde(skip)]
    pub message: String,
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        let request_id = request_id();
        let (detail, field) = match &self {
            Self::Db(e) => {
                tracing::error!(request_id, error = %e, "database error");
                ("internal error".to_owned(), None)
            }
            Self::Internal(e) => {
                tracing::error!(request_id, error = format!("{e:#}"), "internal error");
                ("internal error".to_owned(), None)
            }
            Self::Invalid { field, .. } => (self.to_string(), field.clone()),
            other => (other.to_string(), None),
        };
        // What a page shows, in the reader's language: the message as written (a locale key).
        let message = match &self {
            Self::Invalid { message, .. } | Self::Conflict(message) | Self::TooMany(message) => message.clone(),
            Self::NotFound => "error.not_found_hint".to_owned(),
            Self::Forbidden => "error.forbidden_hint".to_owned(),
            Self::Unauthorized => "error.unauthorized_hint".to_owned(),
            Self::Csrf => "error.csrf".to_owned(),
            _ => detail.clone(),
        };
        let problem = Problem {
            status: status.as_u16(),
            title: status.canonical_reason().unwrap_or("error").to_owned(),
            detail,
            field,
            request_id,
            message,
        };
        let mut response = problem.response();
        response.extensions_mut().insert(problem);
        response
    }
}

impl Problem {
    /// The problem as an `application/problem+json` answer with its status.
    pub fn response(&self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (
            status,
            [(axum::http::header::CONTENT_TYPE, "application/problem+json")],
            serde_json::to_string(self).unwrap_or_default(),
        )
            .into_response()
    }
}

/// Maps the violation of one unique constraint to a user-facing conflict.
pub trait ResultExt<T> {
    /// A violation of the unique constraint `constraint`, named by its table and columns as
    /// `table(column, …)` (how both backends report it, whatever the index is called), becomes
    /// `Error::Conflict(message)`; any other error, another constraint's included, passes through.
    fn on_constraint(self, constraint: &str, message: &str) -> Result<T>;
}

impl<T> ResultExt<T> for Result<T, sqlx::Error> {
    fn on_constraint(self, constraint: &str, message: &str) -> Result<T> {
        self.map_err(Error::Db).on_constraint(constraint, message)
    }
}

impl<T> ResultExt<T> for Result<T> {
    fn on_constraint(self, constraint: &str, message: &str) -> Result<T> {
        self.map_err(|e| match e {
            Error::Db(sqlx::Error::Database(db)) if violated(db.as_ref()).as_deref() == Some(constraint) => {
                Error::Conflict(message.to_owned())
            }
            other => other,
        })
    }
}

/// The unique constraint a database error violated, as `table(column, …)`.
fn violated(db: &dyn sqlx::error::DatabaseError) -> Option<String> {
    if !db.is_unique_violation() {
        return None;
    }
    if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
        // "Key (team_id, phone_index)=(3, abc) already exists."
        let columns = pg.detail()?.strip_prefix("Key (")?.split(")=").next()?;
        return Some(format!("{}({columns})", pg.table()?));
    }
    sqlite_violated(db.message())
}

/// `SQLite` says `UNIQUE constraint failed: volunteer_member.team_id, volunteer_member.phone_index`.
fn sqlite_violated(message: &str) -> Option<String> {
    let list = message.strip_prefix("UNIQUE constraint failed: ")?;
    let mut table = "";
    let mut columns = Vec::new();
    for item in list.split(", ") {
        let (t, c) = item.split_once('.')?;
        table = t;
        columns.push(c);
    }
    Some(format!("{table}({})", columns.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_names_the_violated_columns() {
        assert_eq!(
            sqlite_violated("UNIQUE constraint failed: volunteer_member.team_id, volunteer_member.phone_index")
                .as_deref(),
            Some("volunteer_member(team_id, phone_index)")
        );
        assert_eq!(
            sqlite_violated("UNIQUE constraint failed: app_user.username").as_deref(),
            Some("app_user(username)")
        );
        assert_eq!(sqlite_violated("NOT NULL constraint failed: user.username"), None);
    }
}
