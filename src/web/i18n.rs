//! The language of a request: the switcher's cookie, else Chinese; for the API, `Accept-Language`.

use axum::extract::Request;
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::Response;

use super::session::cookie;
use crate::error::Problem;
use crate::i18n::Lang;

/// The language cookie.
pub const LANG_COOKIE: &str = "fc_lang";

impl Lang {
    /// The language chosen with the switcher (cookie), else Chinese.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        cookie(headers, LANG_COOKIE).and_then(Self::parse).unwrap_or_default()
    }

    /// The language an API client asks for with `Accept-Language` (the highest weighted one
    /// firecast speaks: `zh-CN`, `zh`, `ko`, `en`…), if it asks.
    pub fn from_accept_language(headers: &HeaderMap) -> Option<Self> {
        let value = headers.get(axum::http::header::ACCEPT_LANGUAGE)?.to_str().ok()?;
        let mut asked: Vec<(f32, Self)> = value
            .split(',')
            .filter_map(|part| {
                let mut bits = part.trim().split(';');
                let lang = Self::by_first_part(bits.next()?)?;
                let q =
                    bits.find_map(|b| b.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok())).unwrap_or(1.0);
                (q > 0.0).then_some((q, lang))
            })
            .collect();
        asked.sort_by(|a, b| b.0.total_cmp(&a.0));
        asked.first().map(|(_, lang)| *lang)
    }
}

/// Gives an API refusal's `detail` in the language the client's `Accept-Language` asks for, when
/// its message has strings in the locale files (English otherwise, and without the header).
pub async fn api_language(req: Request, next: Next) -> Response {
    let lang = req.uri().path().starts_with("/api/").then(|| Lang::from_accept_language(req.headers())).flatten();
    let response = next.run(req).await;
    let (Some(lang), Some(problem)) = (lang, response.extensions().get::<Problem>()) else { return response };
    if !problem.message.starts_with("error.") {
        return response;
    }
    let mut translated = Problem { detail: lang.message(&problem.message), ..problem.clone() }.response();
    for (name, value) in response.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            translated.headers_mut().append(name, value.clone());
        }
    }
    translated
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_highest_weight_firecast_speaks() {
        let pick = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(axum::http::header::ACCEPT_LANGUAGE, v.parse().unwrap());
            Lang::from_accept_language(&h)
        };
        assert_eq!(pick("zh-CN,zh;q=0.9,en;q=0.8"), Some(Lang::Zh));
        assert_eq!(pick("fr-FR, ko;q=0.7, en;q=0.5"), Some(Lang::Ko));
        assert_eq!(pick("en;q=0.2, zh;q=0.9"), Some(Lang::Zh));
        assert_eq!(pick("fr, de"), None);
        assert_eq!(Lang::from_accept_language(&HeaderMap::new()), None);
    }
}
