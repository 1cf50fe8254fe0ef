//! The public side a resident meets without an account: the home page at `/p/` (and the site
//! root for visitors), the tips it links, and the Atom and RSS feeds of approved tips, read with
//! a real feed parser (Python's `feedparser`) where one is installed.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Client, TestApp};

/// Everything the home page needs to show, uncompressed: the page, its stylesheet and its script
/// (about 1.5 s on a 3G line of 400 kbit/s).
const PAGE_WEIGHT_BUDGET: usize = 60_000;

async fn bytes(c: &Client, path: &str) -> Vec<u8> {
    let r = c.get(path).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.bytes().await.unwrap().to_vec()
}

pub async fn a_resident_s_home_shows_the_campaign_tips_and_quiz_and_advertises_the_feeds(app: TestApp) {
    let c = app.anonymous().await;
    let root = c.http.get(format!("{}/", c.base)).send().await.unwrap();
    assert_eq!(root.status(), StatusCode::SEE_OTHER, "a visitor is sent to the resident's home");
    assert_eq!(root.headers()["location"], "/p/");
    let page = String::from_utf8(bytes(&c, "/p/?region=220102001001").await).unwrap();
    // The feeds are advertised for readers and aggregators to find.
    assert!(page.contains(
        "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"安全提示订阅源（Atom）\" href=\"/feeds/tips.atom?region=220102001001&#38;lang=zh\">"
    ), "{page}");
    assert!(page.contains("type=\"application/rss+xml\""));
    // The campaign running where the resident lives, and the quiz open to them.
    let running = app.texts("select name from campaign where status = 'running'").await;
    assert!(running.iter().any(|n| page.contains(n.as_str())), "{running:?}");
    assert!(page.contains("/p/quiz/zhixiao-demo-2026"));
    // Tips link to their public page, approved ones only, in the season's theme first.
    let ids: Vec<i64> =
        page.split("href=\"/p/tips/").skip(1).map(|s| s.split('?').next().unwrap().parse().unwrap()).collect();
    assert!(!ids.is_empty() && ids.len() <= 4, "{ids:?}");
    for id in &ids {
        let state =
            app.scalar(&format!("select count(*) from push_product where id = {id} and state = 'approved'")).await;
        assert_eq!(state, 1, "tip {id} is approved");
    }
    let season = firecast::push::Theme::of_season(firecast::clock::today());
    let first = app
        .scalar(&format!(
            "select count(*) from push_product where id = {} and tags like '%,{}%'",
            ids[0],
            season.as_str()
        ))
        .await;
    let seasonal = app
        .scalar(&format!(
            "select count(*) from push_product where state = 'approved' and kind = 'tip' and tags like '%,{},%'",
            season.as_str()
        ))
        .await;
    assert!(seasonal == 0 || first > 0, "the season's tips come first");
    let tip = String::from_utf8(bytes(&c, &format!("/p/tips/{}", ids[0])).await).unwrap();
    assert!(tip.contains("<h1"), "the tip's page opens for anyone");
    let draft = app.scalar("select coalesce(min(id), 0) from push_product where state <> 'approved'").await;
    if draft > 0 {
        assert_eq!(c.get(&format!("/p/tips/{draft}")).await.status(), StatusCode::NOT_FOUND, "a draft is not public");
    }
    // Ways in, and the staff's door.
    for href in ["/p/hazards/new", "/p/hazards/track", "/p/subscribe", "/login"] {
        assert!(page.contains(&format!("href=\"{href}\"")), "{href}");
    }
    // Light enough for a cheap phone on 3G.
    let weight =
        page.len() + bytes(&c, "/static/firecast.css").await.len() + bytes(&c, "/static/firecast.js").await.len();
    assert!(weight < PAGE_WEIGHT_BUDGET, "the home page weighs {weight} bytes");
    // In Korean, the page and its feeds are Korean.
    c.http.get(format!("{}/lang/ko?next=/p/", c.base)).send().await.unwrap();
    let ko = String::from_utf8(bytes(&c, "/p/").await).unwrap();
    assert!(ko.contains("오늘의 안전 정보") && ko.contains("/feeds/tips.atom?lang=ko"), "{ko}");
}

/// A feed read by `feedparser`: whether it parsed cleanly, the feed's title and language, and each
/// entry's link and tags; `None` (with the reason printed) when Python or `feedparser` is missing.
fn parsed(xml: &str) -> Option<Value> {
    let script = "import feedparser, json, sys\n\
                  d = feedparser.parse(sys.stdin.buffer.read())\n\
                  print(json.dumps({'bozo': d.bozo, 'version': d.version, 'title': d.feed.get('title'), \
                  'language': d.feed.get('language'), 'entries': [{'link': e.get('link'), 'title': e.get('title'), \
                  'tags': [t['term'] for t in e.get('tags', [])]} for e in d.entries]}))";
    crate::helpers::python_json("the feed parser", script, xml)
}

pub async fn the_feeds_carry_the_approved_tips_and_parse(app: TestApp) {
    let c = app.anonymous().await;
    let count = |lang: &str, extra: &str| {
        format!(
            "select count(*) from push_product p join push_variant v on v.product_id = p.id and v.lang = '{lang}' \
             where p.state = 'approved' {extra}"
        )
    };
    let expect = |n: i64| n.min(firecast::push::feeds::ENTRIES);
    let cases = [
        ("/feeds/tips.atom", "atom10", count("zh", ""), "zh"),
        ("/feeds/tips.rss", "rss20", count("zh", ""), "zh"),
        ("/feeds/tips.atom?lang=ko", "atom10", count("ko", ""), "ko"),
        ("/feeds/tips.rss?tag=heating", "rss20", count("zh", "and p.tags like '%,heating,%'"), "zh"),
        (
            "/feeds/tips.atom?region=222400&lang=ko",
            "atom10",
            count("ko", "and '/22/2224/' like p.region_path || '%'"),
            "ko",
        ),
    ];
    for (path, version, sql, lang) in cases {
        let r = c.get(path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let kind = r.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(kind.starts_with(if version == "atom10" { "application/atom+xml" } else { "application/rss+xml" }));
        let xml = r.text().await.unwrap();
        let n = expect(app.scalar(&sql).await);
        assert!(n > 0, "the demo has tips for {path}");
        // Well-formed XML with one entry per tip.
        let entries = xml.matches(if version == "atom10" { "<entry>" } else { "<item>" }).count();
        assert_eq!(i64::try_from(entries).unwrap(), n, "{path}");
        let mut reader = quick_xml::Reader::from_str(&xml);
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("{path} is not well-formed: {e}"),
            }
        }
        let Some(feed) = parsed(&xml) else { continue };
        assert_eq!(feed["bozo"], false, "{path}: {feed}");
        assert_eq!(feed["version"], version, "{path}");
        let got = feed["entries"].as_array().unwrap();
        assert_eq!(i64::try_from(got.len()).unwrap(), n, "{path}");
        for e in got {
            assert!(e["link"].as_str().unwrap().ends_with(&format!("?lang={lang}")), "{path}: {e}");
            if path.contains("tag=heating") {
                assert!(e["tags"].as_array().unwrap().iter().any(|t| t == "heating"), "{e}");
            }
        }
        if lang == "ko" {
            assert!(feed["title"].as_str().unwrap().contains("소방 안전 정보"), "{feed}");
        }
    }
    for bad in ["/feeds/tips.atom?tag=cats", "/feeds/tips.atom?region=999999", "/feeds/tips.rss?lang=fr"] {
        assert_eq!(c.get(bad).await.status(), StatusCode::NOT_FOUND, "{bad}");
    }
}

crate::on_both_backends!(
    a_resident_s_home_shows_the_campaign_tips_and_quiz_and_advertises_the_feeds,
    the_feeds_carry_the_approved_tips_and_parse
);
