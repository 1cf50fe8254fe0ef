//! The page shell: the context every page template gets (language, user, CSRF token, navigation),
//! the language switch, and the middleware that turns errors into HTML pages.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use time::OffsetDateTime;

use super::AppState;
use super::extract::Query;
use super::i18n::LANG_COOKIE;
use super::session::{RequestCtx, set_cookie};
use crate::error::Problem;
use crate::i18n::Lang;
use crate::org::caller::Principal;
use crate::org::{Permission, Role};
use crate::{Result, clock};

/// What every page template gets as `ctx`.
#[derive(Clone, Debug)]
pub struct PageCtx {
    /// UI language.
    pub lang: Lang,
    /// The signed-in user.
    pub user: Option<Principal>,
    /// The CSRF token for forms on the page.
    pub csrf: String,
    /// The path of the page (for the navigation and the language switch).
    pub path: String,
}

/// One entry of the navigation.
pub struct NavItem {
    pub(crate) href: &'static str,
    pub(crate) label: &'static str,
    /// Whether it is the current area.
    pub active: bool,
}

/// A whole number, however deeply a template borrows it.
pub trait Whole {
    /// The number.
    fn whole(&self) -> i64;
}

impl Whole for i64 {
    fn whole(&self) -> i64 {
        *self
    }
}

impl<T: Whole + ?Sized> Whole for &T {
    fn whole(&self) -> i64 {
        (**self).whole()
    }
}

/// A language in the switcher.
pub struct LangLink {
    /// BCP 47 tag.
    pub tag: &'static str,
    /// Its own name.
    pub name: &'static str,
    /// Whether it is the language in use.
    pub current: bool,
}

impl PageCtx {
    fn new(headers: &HeaderMap, uri: &Uri, ctx: Option<&RequestCtx>) -> Self {
        Self {
            lang: Lang::from_headers(headers),
            user: ctx.and_then(|c| c.principal.clone()),
            csrf: ctx.map(|c| c.csrf.clone()).unwrap_or_default(),
            path: uri.path_and_query().map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned()),
        }
    }

    /// The UI string for `key`.
    pub fn t(&self, key: &str) -> &'static str {
        self.lang.t(key)
    }

    /// The UI string for an enumerated value: `tv("role", "admin")` is the string of `role.admin`.
    pub fn tv(&self, prefix: &str, value: impl std::fmt::Display) -> &'static str {
        self.lang.tv(prefix, value)
    }

    /// What a form shows when its action is refused: the status and the message, the field's label
    /// (from `label`, when it names one) before the message of an input error. Errors a form
    /// cannot show (not found, forbidden, internal) are passed on to the error page.
    pub fn form_error(
        &self,
        e: crate::Error,
        label: impl Fn(&str) -> Option<&'static str>,
    ) -> crate::Result<(StatusCode, String)> {
        match e {
            crate::Error::Invalid { field, message } => {
                let message = self.lang.message(&message);
                let text = match field.as_deref().and_then(label) {
                    Some(l) if self.lang == crate::i18n::Lang::Zh => format!("{l}：{message}"),
                    Some(l) => format!("{l}: {message}"),
                    None => message.to_owned(),
                };
                Ok((StatusCode::UNPROCESSABLE_ENTITY, text))
            }
            crate::Error::Conflict(m) => Ok((StatusCode::CONFLICT, self.lang.message(&m))),
            crate::Error::TooMany(m) => Ok((StatusCode::TOO_MANY_REQUESTS, self.lang.message(&m))),
            e => Err(e),
        }
    }

    /// The string for `key` with `{1}`, `{2}`… filled in.
    pub fn fill(&self, key: &str, args: &[&str]) -> String {
        self.lang.text(key, args)
    }

    /// A time in China Standard Time.
    pub fn time(&self, t: &OffsetDateTime) -> String {
        clock::show(*t)
    }

    /// An optional time, or a dash.
    pub fn time_or_dash(&self, t: &Option<OffsetDateTime>) -> String {
        t.map_or_else(|| "—".to_owned(), clock::show)
    }

    /// Whether the signed-in user has a permission.
    pub fn can(&self, p: &str) -> bool {
        let p = match p {
            "manage_units" => Permission::ManageUnits,
            "view_users" => Permission::ViewUsers,
            "manage_users" => Permission::ManageUsers,
            "view_audit" => Permission::ViewAudit,
            _ => Permission::ViewUnits,
        };
        self.user.as_ref().is_some_and(|u| u.role.can(p))
    }

    /// The navigation for this user: only areas that exist and that the role may open.
    pub fn nav(&self) -> Vec<NavItem> {
        let Some(user) = &self.user else {
            return Vec::new();
        };
        let area = self.path.split(['/', '?']).nth(1).unwrap_or_default();
        // What each role uses: people in a community or a volunteer team work on records,
        // hazards, pushes and their teams; the planning, media, reporting and reference pages
        // are for the fire service, departments and leaders (still open to anyone by address).
        let field = matches!(user.role, Role::CommunityWorker | Role::Volunteer);
        let fire_service = user.role.is_fire_staff();
        let mut items = vec![("/", "nav.home", "")];
        if !field {
            items.extend([("/dashboard", "nav.dashboard", "dashboard"), ("/campaigns", "nav.campaigns", "campaigns")]);
        }
        items.extend([("/activities", "nav.activities", "activities"), ("/hazards", "nav.hazards", "hazards")]);
        if !matches!(user.role, Role::Volunteer | Role::DepartmentLiaison) {
            items.push(("/pushes", "nav.pushes", "pushes"));
        }
        if fire_service {
            items.push(("/review", "nav.review", "review"));
        }
        if !field {
            items.push(("/media", "nav.media", "media"));
        }
        items.extend([("/quiz", "nav.quiz", "quiz"), ("/volunteers", "nav.volunteers", "volunteers")]);
        if fire_service || field {
            items.push(("/events", "nav.events", "events"));
        }
        if fire_service {
            items.extend([
                ("/streams", "nav.streams", "streams"),
                ("/alerts", "nav.alerts", "alerts"),
                ("/screens", "nav.screens", "screens"),
                ("/partners", "nav.partners", "partners"),
            ]);
        }
        if !field {
            items.extend([
                ("/reports", "nav.reports", "reports"),
                ("/regions", "nav.regions", "regions"),
                ("/units", "nav.units", "units"),
            ]);
        }
        if user.role.can(Permission::ViewUsers) {
            items.push(("/users", "nav.users", "users"));
        }
        if user.role.can(Permission::ViewAudit) {
            items.push(("/audit", "nav.audit", "audit"));
        }
        // The API is for the admins who connect other systems (they issue its tokens).
        if user.role == Role::Admin {
            items.push(("/api/docs", "nav.api", "api"));
        }
        items.into_iter().map(|(href, key, a)| NavItem { href, label: self.t(key), active: a == area }).collect()
    }

    /// Language switch links.
    pub fn langs(&self) -> Vec<LangLink> {
        Lang::ALL.iter().map(|l| LangLink { tag: l.tag(), name: l.name(), current: *l == self.lang }).collect()
    }

    /// A day as the reader writes it in a sentence: 2026年11月15日, 15 Nov 2026, 2026년 11월 15일.
    pub fn date(&self, d: &time::Date) -> String {
        self.lang.date(*d)
    }

    /// A part of a whole, both with digits grouped: 1,234/5,678.
    pub fn ratio<A: Whole, B: Whole>(&self, part: A, whole: B) -> String {
        format!("{}/{}", self.num(part), self.num(whole))
    }

    /// The colon after a label, in the page's language: ： in Chinese, ": " otherwise.
    pub fn colon(&self) -> &'static str {
        match self.lang {
            crate::i18n::Lang::Zh => "：",
            _ => ": ",
        }
    }

    /// A remark after a name, in the page's language: （…） in Chinese, " (…)" otherwise.
    pub fn aside(&self, remark: &str) -> String {
        match self.lang {
            crate::i18n::Lang::Zh => format!("（{remark}）"),
            _ => format!(" ({remark})"),
        }
    }

    /// A span of days as this language writes it: 2026年11月1日至30日, 1 Nov 2026 – 30 Nov 2026.
    pub fn days(&self, from: &time::Date, to: &time::Date) -> String {
        self.lang.days(*from, *to)
    }

    /// When something happens, in China Standard Time, as this language writes it in a sentence:
    /// 2026年12月15日 09:00至16:00 (the day once when both ends fall on it), 15 Dec 2026, 09:00 – 16:00.
    pub fn span(&self, from: &OffsetDateTime, to: &OffsetDateTime) -> String {
        let clock = time::macros::format_description!("[hour]:[minute]");
        let (a, b) = (from.to_offset(clock::CST), to.to_offset(clock::CST));
        let (ta, tb) = (a.format(clock).unwrap_or_default(), b.format(clock).unwrap_or_default());
        let (da, db) = (self.lang.date(a.date()), self.lang.date(b.date()));
        let same = a.date() == b.date();
        match self.lang {
            crate::i18n::Lang::Zh if same => format!("{da} {ta}至{tb}"),
            crate::i18n::Lang::Zh => format!("{da} {ta}至{db} {tb}"),
            crate::i18n::Lang::Ko if same => format!("{da} {ta}~{tb}"),
            crate::i18n::Lang::Ko => format!("{da} {ta}~{db} {tb}"),
            crate::i18n::Lang::En if same => format!("{da}, {ta} – {tb}"),
            crate::i18n::Lang::En => format!("{da}, {ta} – {db}, {tb}"),
        }
    }

    /// A span of time as people write it: 7分49秒, 7 min 49 s, 7분 49초 (hours when there are any).
    pub fn duration<N: Whole>(&self, seconds: N) -> String {
        let s = seconds.whole().max(0);
        let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
        let parts: [(i64, &str); 3] = match self.lang {
            Lang::Zh => [(h, "小时"), (m, "分"), (s, "秒")],
            Lang::En => [(h, " h"), (m, " min"), (s, " s")],
            Lang::Ko => [(h, "시간"), (m, "분"), (s, "초")],
        };
        let sep = if self.lang == Lang::Zh { "" } else { " " };
        let shown: Vec<String> = parts
            .iter()
            .enumerate()
            .filter(|(i, (n, _))| *n > 0 || (*i == 2 && h == 0 && m == 0))
            .map(|(_, (n, unit))| format!("{n}{unit}"))
            .collect();
        shown.join(sep)
    }

    /// A whole number with thousands separators: 9,066,906.
    pub fn num<N: Whole>(&self, n: N) -> String {
        let n = n.whole();
        let digits = n.unsigned_abs().to_string();
        let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
        if n < 0 {
            out.push('-');
        }
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    }

    /// A catalogue name in the page's language: English names for English pages, Chinese otherwise.
    pub fn pick<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        if self.lang == Lang::En { en } else { zh }
    }

    /// A percentage bar width, 0 to 100.
    pub fn pct<A: Whole, B: Whole>(&self, part: A, whole: B) -> i64 {
        let (part, whole) = (part.whole(), whole.whole());
        if whole <= 0 { 0 } else { (part.saturating_mul(100) / whole).clamp(0, 100) }
    }

    /// The name of a region level (0 province … 4 village).
    pub fn level(&self, level: &i16) -> &'static str {
        self.lang.t(&format!("level.{level}"))
    }

    /// The current path, URL-encoded for a `next=` parameter.
    pub fn here(&self) -> String {
        form_urlencoded::byte_serialize(self.path.as_bytes()).collect()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PageCtx {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::new(&parts.headers, &parts.uri, parts.extensions.get::<RequestCtx>()))
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
struct ErrorPage {
    ctx: PageCtx,
    problem: Problem,
}

/// Turns error responses of pages (not of `/api`) into an HTML page, and "not signed in" into a
/// redirect to the login page. It runs outside `authenticate`, so CSRF refusals get a page too.
pub async fn html_errors(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path.starts_with("/api/") || path == "/healthz" || path == "/metrics" {
        return next.run(req).await;
    }
    let (headers, uri) = (req.headers().clone(), req.uri().clone());
    let response = next.run(req).await;
    let Some(problem) = response.extensions().get::<Problem>().cloned() else {
        return response;
    };
    let ctx = PageCtx::new(&headers, &uri, response.extensions().get::<RequestCtx>());
    if problem.status == 401 {
        return Redirect::to(&format!("/login?next={}", ctx.here())).into_response();
    }
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut page = (status, ErrorPage { ctx, problem }).into_response();
    for cookie in response.headers().get_all(header::SET_COOKIE) {
        page.headers_mut().append(header::SET_COOKIE, cookie.clone());
    }
    page
}

#[derive(Deserialize)]
struct Next_ {
    next: Option<String>,
}

/// A local path to go back to (never another site). Browsers drop tabs and line breaks from a
/// URL and read `\\` as `/`, so those are removed or refused first: a target left starting with
/// `//` or `/\\`, or holding any other control character, becomes `/`.
pub fn local_path(next: Option<&str>) -> String {
    let p: String = next.unwrap_or_default().chars().filter(|c| !matches!(c, '\t' | '\r' | '\n')).collect();
    let local = p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') && !p.chars().any(char::is_control);
    if local { p } else { "/".to_owned() }
}

async fn switch_lang(State(state): State<AppState>, Path(tag): Path<String>, Query(q): Query<Next_>) -> Response {
    let lang = Lang::parse(&tag).unwrap_or_default();
    let mut r = Redirect::to(&local_path(q.next.as_deref())).into_response();
    let cookie = set_cookie(&state, LANG_COOKIE, lang.tag(), Some(365 * 24 * 3600));
    r.headers_mut().append(header::SET_COOKIE, cookie);
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// The language switch.
pub fn router() -> Router<AppState> {
    Router::new().route("/lang/{tag}", get(switch_lang))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::org::{Role, UnitKind};

    /// The codes a migration inserts into `table` (the first value of each row).
    fn seeded(table: &str) -> Vec<String> {
        let mut codes = Vec::new();
        for dir in ["migrations/sqlite", "migrations/postgres"] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
            for entry in std::fs::read_dir(path).unwrap() {
                let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
                for block in text.split(&format!("insert into {table} (")).skip(1) {
                    let rows = block.split(';').next().unwrap_or_default();
                    for row in rows.lines().filter_map(|l| l.trim().strip_prefix("('")) {
                        codes.push(row.split('\'').next().unwrap().to_owned());
                    }
                }
            }
        }
        codes.sort();
        codes.dedup();
        codes
    }

    #[test]
    fn built_in_metrics_and_hazard_categories_are_named_in_every_language() {
        let (metrics, categories) = (seeded("metric"), seeded("hazard_category"));
        assert!(metrics.len() >= 29 && categories.len() >= 10, "{metrics:?} {categories:?}");
        for lang in Lang::ALL {
            for code in &metrics {
                for key in [format!("metric_name.{code}"), format!("metric_unit.{code}")] {
                    assert_ne!(lang.t(&key), "?", "{lang:?} lacks {key}");
                }
            }
            for code in &categories {
                assert_ne!(lang.t(&format!("hazard_category.{code}")), "?", "{lang:?} lacks {code}");
            }
        }
    }

    #[test]
    fn durations_and_days_read_as_people_write_them() {
        let ctx = |lang| PageCtx { lang, user: None, csrf: String::new(), path: "/".into() };
        assert_eq!(ctx(Lang::Zh).duration(469_i64), "7分49秒");
        assert_eq!(ctx(Lang::Zh).duration(3_600_i64), "1小时");
        assert_eq!(ctx(Lang::Zh).duration(0_i64), "0秒");
        assert_eq!(ctx(Lang::En).duration(3_725_i64), "1 h 2 min 5 s");
        assert_eq!(ctx(Lang::Ko).duration(60_i64), "1분");
        let day = time::macros::date!(2024 - 11 - 08);
        assert_eq!(ctx(Lang::Zh).date(&day), "2024年11月8日");
        assert_eq!(ctx(Lang::En).date(&day), "8 Nov 2024");
        assert_eq!(ctx(Lang::Ko).date(&day), "2024년 11월 8일");
    }

    #[test]
    fn every_enumerated_value_has_strings() {
        for lang in Lang::ALL {
            for role in Role::ALL {
                assert_ne!(lang.t(&format!("role.{role}")), "?", "{lang:?} role {role}");
            }
            for kind in UnitKind::ALL {
                assert_ne!(lang.t(&format!("unit_kind.{kind}")), "?", "{lang:?} kind {kind}");
            }
            for level in 0..=4 {
                assert_ne!(lang.t(&format!("level.{level}")), "?", "{lang:?} level {level}");
            }
        }
    }

    #[test]
    fn numbers_get_separators() {
        let ctx = PageCtx { lang: Lang::Zh, user: None, csrf: String::new(), path: "/".to_owned() };
        assert_eq!(ctx.num(9_066_906), "9,066,906");
        assert_eq!(ctx.num(582), "582");
        assert_eq!(ctx.num(-1_000), "-1,000");
        assert_eq!(ctx.num(0), "0");
    }

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(local_path(Some("/regions?q=cc")), "/regions?q=cc");
        assert_eq!(local_path(Some("//evil.example")), "/");
        for hostile in
            ["/\t/evil.example", "/\r\n/evil.example", "/\\evil.example", "\t//evil.example", "/x\u{0}", "/\u{7f}"]
        {
            assert_eq!(local_path(Some(hostile)), "/", "{hostile:?}");
        }
        assert_eq!(local_path(Some("/pushes?tab=mine")), "/pushes?tab=mine");
        assert_eq!(local_path(Some("https://evil.example")), "/");
        assert_eq!(local_path(None), "/");
    }
}
