//! The language of a request: the switcher's cookie, else Chinese.

use axum::http::HeaderMap;

use super::session::cookie;
use crate::i18n::Lang;

/// The language cookie.
pub const LANG_COOKIE: &str = "fc_lang";

impl Lang {
    /// The language chosen with the switcher (cookie), else Chinese.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        cookie(headers, LANG_COOKIE).and_then(Self::parse).unwrap_or_default()
    }
}
