//! Screens pull their playlists with keys of their own: warnings in force first, captions within
//! the screen's length; another key, a revoked key or none is refused; the register shows a silent
//! screen; adding and revoking stay inside the caller's area.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, csrf_in};

pub async fn screens_pull_their_playlists_with_their_own_keys(app: TestApp) {
    // The demo's 延吉 screen has been silent for five hours: the register says so.
    let page = app.login("yanbian").await.get("/screens").await.text().await.unwrap();
    assert!(page.contains("延吉市人民广场户外大屏") && page.contains("超过2小时未拉取"), "a silent screen shows");
    let anon = app.anonymous().await;
    let text = anon.get("/feeds/screen.txt?key=fcs_demo_changchun_station").await;
    assert_eq!(text.status(), StatusCode::OK);
    assert!(text.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = text.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() >= 3, "{text}");
    assert!(lines[0].starts_with("寒潮来袭"), "the warning in force comes first: {text}");
    assert!(lines.iter().all(|l| l.chars().count() <= 20), "a caption board shows 20 characters: {text}");
    // JSON: now and next, with pictures only for screens that show them.
    let json: Value = anon.get("/feeds/screen.json?key=fcs_demo_huayang_estation").await.json().await.unwrap();
    assert_eq!(json["screen"], "华阳社区科普服务e站");
    assert_eq!(json["now"][0]["kind"], "alert");
    assert!(json["now"].as_array().unwrap().iter().any(|i| i["kind"] == "campaign"), "{json}");
    let with_bearer = anon
        .http
        .get(format!("{}/feeds/screen.json", anon.base))
        .header("x-screen-key", "fcs_demo_yanji_square")
        .send()
        .await
        .unwrap();
    assert_eq!(with_bearer.status(), StatusCode::OK);
    let yanji: Value = with_bearer.json().await.unwrap();
    assert!(
        yanji["next"].as_array().unwrap().iter().any(|i| i["text"].as_str().unwrap().contains("延吉市消防科普游园会")),
        "{yanji}"
    );
    assert!(!yanji["next"].as_array().unwrap().iter().any(|i| i["text"].as_str().unwrap().contains("南关")), "{yanji}");
    let first = yanji["now"][0]["text"].as_str().unwrap();
    assert!(first.starts_with("寒潮来袭") && first.contains('：') && first.chars().count() <= 40, "{first}");
    // Another key, or none, is refused.
    for bad in ["/feeds/screen.txt?key=fcs_not_a_key", "/feeds/screen.txt", "/feeds/screen.json?key=fct_an_api_token"] {
        assert_eq!(anon.get(bad).await.status(), StatusCode::FORBIDDEN, "{bad}");
    }
    let pulls = app.scalar("select pulls from screen where name = '长春站北广场LED字幕屏'").await;
    assert_eq!(pulls, 2, "the demo's pull and this one");

    // The 南关 brigade adds a screen: its key is shown once and pulls.
    let nanguan = app.login("nanguan").await;
    let page = nanguan.get("/screens").await.text().await.unwrap();
    let form = crate::helpers::Client { csrf: csrf_in(&page), ..nanguan.clone() };
    let r = form
        .form("/screens", &[("name", "南湖公园e站"), ("kind", "estation"), ("region_code", "220102"), ("chars", "")])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    let key = page
        .split("id=\"key\" aria-label")
        .next()
        .unwrap()
        .rsplit("value=\"")
        .next()
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    assert!(key.starts_with("fcs_"), "{key}");
    let stored = app.texts("select key_hash from screen where name = '南湖公园e站'").await;
    assert!(!stored[0].contains(&key), "only the key's hash is kept");
    assert_eq!(anon.get(&format!("/feeds/screen.json?key={key}")).await.status(), StatusCode::OK);
    let bad =
        form.form("/screens", &[("name", "x"), ("kind", "estation"), ("region_code", "222401"), ("chars", "")]).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY, "延吉 is outside 南关");
    let bad =
        form.form("/screens", &[("name", "x"), ("kind", "estation"), ("region_code", "220102"), ("chars", "2")]).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().await.unwrap().contains("4至500"));

    // 延边 cannot revoke it; 南关 can, and the key stops working.
    let id = app.scalar("select id from screen where name = '南湖公园e站'").await;
    let yanbian = app.login("yanbian").await;
    let ypage = yanbian.get("/screens").await.text().await.unwrap();
    assert!(ypage.contains("延吉市人民广场户外大屏") && !ypage.contains("超过2小时未拉取"), "it pulled above");
    assert!(!ypage.contains("南湖公园e站"));
    let yform = crate::helpers::Client { csrf: csrf_in(&ypage), ..yanbian.clone() };
    assert_eq!(yform.form(&format!("/screens/{id}/revoke"), &[]).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(anon.get(&format!("/feeds/screen.json?key={key}")).await.status(), StatusCode::OK);
    assert_eq!(form.form(&format!("/screens/{id}/revoke"), &[]).await.status(), StatusCode::OK);
    assert_eq!(anon.get(&format!("/feeds/screen.json?key={key}")).await.status(), StatusCode::FORBIDDEN);
    // A grid worker does not manage screens.
    assert_eq!(app.login("grid").await.get("/screens").await.status(), StatusCode::FORBIDDEN);
}

crate::on_both_backends!(screens_pull_their_playlists_with_their_own_keys);
