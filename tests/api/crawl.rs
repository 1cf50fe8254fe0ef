//! Every demo account, signed in, follows the links of its menu and of the pages they lead to: no
//! page answers 4xx or 5xx, and none shows a locale key, a missing string or raw JSON.

use std::collections::{BTreeSet, HashMap, VecDeque};

use reqwest::StatusCode;

use crate::helpers::TestApp;

/// Every account the demo makes.
const ROLES: [&str; 10] =
    ["admin", "province", "leader", "changchun.admin", "changchun", "yanbian", "nanguan", "grid", "yjt", "volunteer"];

/// Pages of one shape (the path with its numbers taken out) visited per account.
const PER_SHAPE: usize = 2;

/// The first segments of every locale key (`error`, `nav`, `quiz`…).
fn key_prefixes() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/locales")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
            if let Some((key, _)) = line.split_once('=')
                && let Some((first, _)) = key.trim().split_once('.')
            {
                out.insert(first.to_owned());
            }
        }
    }
    out
}

/// The text a reader sees: the page without scripts, styles and tags.
fn visible(html: &str) -> String {
    let mut text = html.to_owned();
    for tag in ["script", "style"] {
        while let Some(start) = text.find(&format!("<{tag}")) {
            let end = text[start..].find(&format!("</{tag}>")).map_or(text.len(), |e| start + e + tag.len() + 3);
            text.replace_range(start..end, " ");
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// What is wrong with a page's text, if anything.
fn untranslated(text: &str, prefixes: &BTreeSet<String>) -> Option<String> {
    for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.')) {
        if let Some((first, rest)) = word.split_once('.')
            && prefixes.contains(first)
            && !rest.is_empty()
            && rest.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && rest.chars().all(|c| c.is_ascii_lowercase() || c == '_' || c == '.')
        {
            return Some(format!("a locale key: {word}"));
        }
    }
    if text.split_whitespace().any(|w| w == "?") {
        return Some("a missing string (?)".to_owned());
    }
    if text.contains("{\"") {
        return Some("raw JSON".to_owned());
    }
    None
}

/// The same-site page links of a page.
fn links(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(|h| h.replace("&amp;", "&"))
        .filter(|h| h.starts_with('/') && !h.starts_with("//"))
        .map(|h| h.split('#').next().unwrap_or_default().to_owned())
        .filter(|h| {
            !h.is_empty()
                && !["/api/", "/static/", "/lang/", "/logout", "/p/live/", "/metrics"].iter().any(|p| h.starts_with(p))
                && ![".csv", ".xlsx", ".docx", ".pdf", ".png", ".svg", ".xml", ".txt", ".gift", ".ics", ".atom"]
                    .iter()
                    .any(|e| h.split('?').next().unwrap_or_default().ends_with(e))
                && !h.contains("/download")
                && !h.contains("/export")
                && !h.contains("format=")
        })
        .collect()
}

/// A path with its numbers taken out: pages of one shape.
fn shape(path: &str) -> String {
    let path = path.split('?').next().unwrap_or_default();
    path.split('/').map(|s| if s.chars().any(|c| c.is_ascii_digit()) { "#" } else { s }).collect::<Vec<_>>().join("/")
}

pub async fn every_role_follows_every_link_without_an_error_or_a_key(app: TestApp) {
    let prefixes = key_prefixes();
    let mut failures = Vec::new();
    let mut seen_total = 0;
    for role in ROLES {
        let c = app.login(role).await;
        let home = c.get("/").await.text().await.unwrap();
        let nav = home.split("id=\"main-nav\"").nth(1).and_then(|n| n.split("</nav>").next()).unwrap_or_default();
        let mut queue: VecDeque<(String, usize)> = links(nav).into_iter().map(|l| (l, 0)).collect();
        queue.push_front(("/".to_owned(), 0));
        let mut seen = BTreeSet::new();
        let mut shapes: HashMap<String, usize> = HashMap::new();
        while let Some((path, depth)) = queue.pop_front() {
            if !seen.insert(path.clone()) {
                continue;
            }
            let n = shapes.entry(shape(&path)).or_default();
            if *n >= PER_SHAPE {
                continue;
            }
            *n += 1;
            let r = c.get(&path).await;
            let status = r.status();
            if status.is_redirection() {
                continue;
            }
            let html = r.text().await.unwrap();
            if status.is_client_error() || status.is_server_error() {
                failures.push(format!("{role} {path}: {status}"));
                continue;
            }
            assert_eq!(status, StatusCode::OK);
            if let Some(what) = untranslated(&visible(&html), &prefixes) {
                failures.push(format!("{role} {path}: {what}"));
            }
            if depth < 1 {
                queue.extend(links(&html).into_iter().map(|l| (l, depth + 1)));
            }
        }
        assert!(seen.len() > 5, "{role} reached only {seen:?}");
        seen_total += seen.len();
    }
    assert!(failures.is_empty(), "{} of {seen_total} pages:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn the_checks_catch_what_they_look_for() {
    let prefixes: BTreeSet<String> = ["error", "nav"].iter().map(|s| (*s).to_owned()).collect();
    assert!(untranslated("请选择 nav.menu 然后", &prefixes).is_some());
    assert!(untranslated("出错了：error.not_found", &prefixes).is_some());
    assert!(untranslated("名称 ? 类型", &prefixes).is_some());
    assert!(untranslated("{\"count\": 3}", &prefixes).is_some());
    assert!(untranslated("吉林省 firecast.example 2026年", &prefixes).is_none());
    assert_eq!(visible("<p>甲<script>x.y</script>乙</p>").split_whitespace().collect::<String>(), "甲乙");
    assert_eq!(shape("/activities/12?x=1"), "/activities/#");
    assert_eq!(links("<a href=\"/a?b=1&amp;c=2\">x</a><a href=\"/report.csv\">y</a>"), vec!["/a?b=1&c=2"]);
}

crate::on_both_backends!(every_role_follows_every_link_without_an_error_or_a_key);
