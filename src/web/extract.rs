//! Extractors for forms, query strings and JSON bodies whose errors name the field at fault
//! (a 422 problem, never a 500).

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::Error;

fn named<E: std::fmt::Display>(what: &str, e: &serde_path_to_error::Error<E>) -> Error {
    let path = e.path().to_string();
    let message = e.inner().to_string();
    let field = if path == "." { message.split('`').nth(1).unwrap_or(what).to_owned() } else { path };
    Error::Invalid { field: Some(field), message: format!("{what}: {message}") }
}

/// A URL-encoded form body.
pub struct Form<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Form<T> {
    type Rejection = Error;
    async fn from_request(req: Request, _: &S) -> Result<Self, Error> {
        let bytes = axum::body::to_bytes(req.into_body(), 1024 * 1024)
            .await
            .map_err(|_| Error::invalid("body", "the form is larger than 1 MiB"))?;
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(&bytes));
        serde_path_to_error::deserialize(de).map(Form).map_err(|e| named("form", &e))
    }
}

/// A query string.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Error> {
        let q = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(q.as_bytes()));
        serde_path_to_error::deserialize(de).map(Query).map_err(|e| named("query", &e))
    }
}

/// A page of a list asked for with `limit` and `offset` in the query: the limit from 1 to `most`
/// (`default` when absent), the offset never negative. Returns `(limit, offset)`.
pub fn window(limit: Option<i64>, offset: Option<i64>, (default, most): (i64, i64)) -> (i64, i64) {
    (limit.unwrap_or(default).clamp(1, most), offset.unwrap_or(0).max(0))
}

/// Lists of a few hundred rows a page at most: 50 by default, at most 200.
pub const SHORT_PAGES: (i64, i64) = (50, 200);

/// Lists read in bulk: 100 by default, at most 1,000.
pub const LONG_PAGES: (i64, i64) = (100, 1000);

/// A JSON body.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = Error;
    async fn from_request(req: Request, _: &S) -> Result<Self, Error> {
        let json = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !json {
            return Err(Error::invalid("content-type", "expected application/json"));
        }
        let bytes = axum::body::to_bytes(req.into_body(), 1024 * 1024)
            .await
            .map_err(|_| Error::invalid("body", "the body is larger than 1 MiB"))?;
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(&mut de).map(Json).map_err(|e| named("json", &e))
    }
}

/// Deserialises an optional number from a form or query field where an empty string means none.
pub fn empty_as_none<'de, D, T>(de: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    let s: Option<String> = serde::Deserialize::deserialize(de)?;
    match s.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => s.parse().map(Some).map_err(serde::de::Error::custom),
    }
}

/// A path parameter (an id, a code) whose parse error names the parameter.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(e) => Err(Error::invalid("path", e.body_text())),
        }
    }
}

/// One file of a multipart form.
pub struct Upload {
    /// The form field it came in.
    pub field: String,
    /// The file's name on the sender's machine (empty when none was given).
    pub name: String,
    /// Its bytes (never empty: a file input left empty is not kept).
    pub bytes: axum::body::Bytes,
}

/// A multipart form (file uploads) read whole: its text fields in order, repeated ones included,
/// and its files. The body limit of the whole application bounds it; each reader checks its own.
pub struct MultipartForm {
    fields: Vec<(String, String)>,
    files: Vec<Upload>,
}

impl MultipartForm {
    /// The first value of a text field.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Every text field, in the order sent.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The files sent in a field.
    pub fn files<'a>(&'a self, field: &'a str) -> impl Iterator<Item = &'a Upload> {
        self.files.iter().filter(move |f| f.field == field)
    }

    /// Every file sent.
    pub fn uploads(&self) -> &[Upload] {
        &self.files
    }

    /// The file of a field, or a refusal naming it with `missing`.
    pub fn file(&self, field: &str, missing: &str) -> Result<&Upload, Error> {
        self.files.iter().find(|f| f.field == field).ok_or_else(|| Error::invalid(field, missing))
    }
}

impl<S: Send + Sync> FromRequest<S> for MultipartForm {
    type Rejection = Error;
    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        let mut form = axum::extract::Multipart::from_request(req, state)
            .await
            .map_err(|e| Error::invalid("form", e.body_text()))?;
        let (mut fields, mut files) = (Vec::new(), Vec::new());
        while let Some(field) = form.next_field().await.map_err(|e| Error::invalid("form", e.body_text()))? {
            let name = field.name().unwrap_or_default().to_owned();
            let file_name = field.file_name().map(str::to_owned);
            let bytes = field.bytes().await.map_err(|e| Error::invalid(&name, e.body_text()))?;
            // A part is a file when it says so, or when it is not text.
            match (file_name, std::str::from_utf8(&bytes)) {
                (None, Ok(text)) => fields.push((name, text.to_owned())),
                (file_name, _) if !bytes.is_empty() => {
                    files.push(Upload { field: name, name: file_name.unwrap_or_default(), bytes });
                }
                _ => {}
            }
        }
        Ok(Self { fields, files })
    }
}
