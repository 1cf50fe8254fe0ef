//! Extractors for forms, query strings, JSON bodies, path parameters and multipart forms whose
//! errors name the field at fault (a 422 problem, never a 500). Every text they read is checked
//! for characters no field takes (`hostile_char`) before it reaches an area.

use std::fmt::Write as _;

use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::Error;
use crate::i18n::keyed;

/// Characters no text field takes: NUL and the other control characters but tab and line breaks,
/// and the bidirectional embedding, override and isolate controls, which make text read otherwise
/// than it is stored (U+202A–U+202E, U+2066–U+2069).
pub fn hostile_char(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{7f}')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Refuses a text holding a `hostile_char`, naming its field.
fn check_text(field: &str, text: &str) -> Result<(), Error> {
    if text.chars().any(hostile_char) { Err(Error::invalid(field, "error.control_chars")) } else { Ok(()) }
}

/// Checks every name and value of a URL-encoded form or query string.
fn check_pairs(bytes: &[u8]) -> Result<(), Error> {
    form_urlencoded::parse(bytes).try_for_each(|(k, v)| check_text(&k, &k).and_then(|()| check_text(&k, &v)))
}

/// Checks every string and key of a JSON value; the field is named by its path (`targets[0]`).
fn check_json(path: &mut String, v: &Value) -> Result<(), Error> {
    let at = path.len();
    match v {
        Value::String(s) => check_text(if path.is_empty() { "body" } else { path }, s)?,
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let _ = write!(path, "[{i}]");
                check_json(path, item)?;
                path.truncate(at);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                check_text(path, key)?;
                check_json(path, item)?;
                path.truncate(at);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
    Ok(())
}

fn named<E: std::fmt::Display>(what: &str, e: &serde_path_to_error::Error<E>) -> Error {
    let path = e.path().to_string();
    let message = e.inner().to_string();
    let field = if path == "." { message.split('`').nth(1).unwrap_or(what).to_owned() } else { path };
    // The reader sees what the field needs; the words of the parser stay for the English reader.
    let number = ["digit", "integer", "float", "expected i", "expected u", "expected f"];
    let key = if message.starts_with("missing field") {
        "error.field_missing"
    } else if message.starts_with("unknown variant") {
        "error.field_choice"
    } else if message.starts_with("unknown field") {
        "error.field_unknown"
    } else if number.iter().any(|n| message.contains(n)) {
        "error.field_number"
    } else {
        "error.field_format"
    };
    Error::Invalid { field: Some(field), message: keyed(key, &[what, &message]) }
}

/// A URL-encoded body read whole (at most 1 MiB), its names and values checked.
async fn form_body(req: Request) -> Result<axum::body::Bytes, Error> {
    let bytes = axum::body::to_bytes(req.into_body(), 1024 * 1024)
        .await
        .map_err(|_| Error::invalid("body", "error.form_too_large"))?;
    check_pairs(&bytes)?;
    Ok(bytes)
}

/// A URL-encoded form body.
pub struct Form<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Form<T> {
    type Rejection = Error;
    async fn from_request(req: Request, _: &S) -> Result<Self, Error> {
        let bytes = form_body(req).await?;
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
        check_pairs(q.as_bytes())?;
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
            return Err(Error::invalid("content-type", "error.json_content_type"));
        }
        let bytes = axum::body::to_bytes(req.into_body(), 1024 * 1024)
            .await
            .map_err(|_| Error::invalid("body", "error.body_too_large"))?;
        // Read whole (content after the value is refused), checked, then shaped.
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|e| Error::invalid("body", keyed("error.json_unreadable", &[&e.to_string()])))?;
        check_json(&mut String::new(), &value)?;
        serde_path_to_error::deserialize(value).map(Json).map_err(|e| named("json", &e))
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

/// The fields of a posted form, keeping repeated names (checkbox groups).
#[derive(Clone, Debug, Default)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    /// Parses a URL-encoded body (unchecked: the extractor checks what a request sends).
    pub fn parse(body: &[u8]) -> Self {
        Self(form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
    }

    /// The first value of a field, trimmed (empty when absent).
    pub fn get(&self, name: &str) -> String {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned()).unwrap_or_default()
    }

    /// Every non-empty value of a field.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, v)| k == name && !v.trim().is_empty()).map(|(_, v)| v.trim().to_owned()).collect()
    }

    /// Whether a field was sent.
    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    /// Adds a field.
    pub fn push(&mut self, k: String, v: String) {
        self.0.push((k, v));
    }
}

impl<S: Send + Sync> FromRequest<S> for Fields {
    type Rejection = Error;
    async fn from_request(req: Request, _: &S) -> Result<Self, Error> {
        Ok(Self::parse(&form_body(req).await?))
    }
}

/// A JSON body that replaces a whole record (`PUT`): every field of `T`'s documented schema must
/// be present, so that nothing a caller leaves out is silently erased. A field to keep is sent with
/// its current value.
pub struct Replacement<T>(pub T);

impl<T: DeserializeOwned + utoipa::PartialSchema, S: Send + Sync> FromRequest<S> for Replacement<T> {
    type Rejection = Error;
    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        let Json(value) = Json::<Value>::from_request(req, state).await?;
        let fields = match T::schema() {
            utoipa::openapi::RefOr::T(utoipa::openapi::schema::Schema::Object(o)) => o.properties.into_keys().collect(),
            _ => Vec::new(),
        };
        if let Some(missing) = fields.iter().find(|f| value.get(f.as_str()).is_none()) {
            return Err(Error::invalid(missing, "error.put_whole"));
        }
        serde_path_to_error::deserialize(value).map(Replacement).map_err(|e| named("json", &e))
    }
}

/// A path parameter (an id, a code) whose parse error names the parameter.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        let raw = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|e| Error::invalid("path", keyed("error.path_unreadable", &[&e.body_text()])))?;
        raw.iter().try_for_each(|(k, v)| check_text(k, v))?;
        // An address whose id is not one (`/units/abc`) names nothing: not found.
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(_) => Err(Error::NotFound),
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
            .map_err(|e| Error::invalid("form", keyed("error.form_unreadable", &[&e.body_text()])))?;
        let (mut fields, mut files) = (Vec::new(), Vec::new());
        while let Some(field) = form
            .next_field()
            .await
            .map_err(|e| Error::invalid("form", keyed("error.form_unreadable", &[&e.body_text()])))?
        {
            let name = field.name().unwrap_or_default().to_owned();
            let file_name = field.file_name().map(str::to_owned);
            check_text(&name, &name)?;
            check_text(&name, file_name.as_deref().unwrap_or_default())?;
            let bytes = field
                .bytes()
                .await
                .map_err(|e| Error::invalid(&name, keyed("error.form_unreadable", &[&e.body_text()])))?;
            // A part is a file when it says so, or when it is not text.
            match (file_name, std::str::from_utf8(&bytes)) {
                (None, Ok(text)) => {
                    check_text(&name, text)?;
                    fields.push((name, text.to_owned()));
                }
                (file_name, _) if !bytes.is_empty() => {
                    files.push(Upload { field: name, name: file_name.unwrap_or_default(), bytes });
                }
                _ => {}
            }
        }
        Ok(Self { fields, files })
    }
}

/// A query string of the pairs whose value is not empty, in order: `region=220100&lang=ko`.
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        q.append_pair(k, v);
    }
    q.finish()
}
