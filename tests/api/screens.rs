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
    let key = crate::helpers::shown_key(&page);
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

pub async fn staff_schedule_captions_by_time_slot(app: TestApp) {
    let nanguan = app.login("nanguan").await;
    let page = nanguan.get("/screens/schedule").await.text().await.unwrap();
    assert!(page.contains("冬季取暖防火灾"), "Changchun's schedule shows below it: {page}");
    let form = crate::helpers::Client { csrf: csrf_in(&page), ..nanguan.clone() };
    let slot = [
        ("text", "华阳社区：楼道不堆物，通道要畅通"),
        ("region_code", "220102001001"),
        ("kind", "estation"),
        ("campaign_id", ""),
        ("starts_on", ""),
        ("ends_on", ""),
        ("from", "00:00"),
        ("to", "24:00"),
    ];
    let r = form.form("/screens/schedule", &slot).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("已添加播放时段"));
    // The 华阳 e-station shows it now, after the warning; the Changchun caption board does not
    // (another place) and neither would a caption board at 华阳 (another kind).
    let anon = app.anonymous().await;
    let json: Value = anon.get("/feeds/screen.json?key=fcs_demo_huayang_estation").await.json().await.unwrap();
    let now = json["now"].as_array().unwrap();
    let at = now.iter().position(|i| i["kind"] == "scheduled" && i["text"] == "华阳社区：楼道不堆物，通道要畅通");
    assert!(at.is_some_and(|i| i > 0 && now[0]["kind"] == "alert"), "{json}");
    assert!(now[at.unwrap()]["until"].as_str().unwrap().ends_with("+08:00"));
    let board = anon.get("/feeds/screen.txt?key=fcs_demo_changchun_station").await.text().await.unwrap();
    assert!(!board.contains("楼道不堆物"), "{board}");
    // Bad slots name the field and add nothing.
    let slots = app.scalar("select count(*) from screen_slot").await;
    for (field, value, says) in [
        ("to", "00:00", "每天结束时间须晚于开始时间"),
        ("from", "7点", "请按“时:分”填写时间"),
        ("region_code", "222401", "222401"),
        ("ends_on", "2020-01-01", "结束日期不能早于"),
        ("text", "", "请填写字幕内容"),
    ] {
        let bad: Vec<(&str, &str)> = slot.iter().map(|&(k, v)| (k, if k == field { value } else { v })).collect();
        let r = form.form("/screens/schedule", &bad).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert!(r.text().await.unwrap().contains(says), "{field}");
    }
    assert_eq!(app.scalar("select count(*) from screen_slot").await, slots);
    // 南关 changes its hours: the form comes filled in, and saving replaces the slot.
    let id = app.scalar("select id from screen_slot where text like '华阳社区%'").await;
    let edit = nanguan.get(&format!("/screens/schedule?edit={id}")).await.text().await.unwrap();
    assert!(edit.contains(&format!("name=\"replaces\" value=\"{id}\"")) && edit.contains("value=\"00:00\""));
    let mut changed: Vec<(&str, &str)> =
        slot.iter().map(|&(k, v)| (k, if k == "from" { "06:00" } else { v })).collect();
    let replaces = id.to_string();
    changed.push(("replaces", &replaces));
    let r = form.form("/screens/schedule", &changed).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("已修改播放时段"));
    assert_eq!(app.scalar("select count(*) from screen_slot where text like '华阳社区%'").await, 1);
    assert_eq!(app.scalar("select from_minute from screen_slot where text like '华阳社区%'").await, 360);
    let id = app.scalar("select id from screen_slot where text like '华阳社区%'").await;
    // 延边 can neither change nor remove it; 南关 removes it, and the e-station stops showing it.
    let yanbian = app.login("yanbian").await;
    assert_eq!(yanbian.get(&format!("/screens/schedule?edit={id}")).await.status(), StatusCode::NOT_FOUND);
    let ypage = yanbian.get("/screens/schedule").await.text().await.unwrap();
    assert!(!ypage.contains("楼道不堆物"));
    let yform = crate::helpers::Client { csrf: csrf_in(&ypage), ..yanbian.clone() };
    let replaces = id.to_string();
    let theirs: Vec<(&str, &str)> = slot
        .iter()
        .map(|&(k, v)| (k, if k == "region_code" { "222401" } else { v }))
        .chain([("replaces", replaces.as_str())])
        .collect();
    assert_eq!(yform.form("/screens/schedule", &theirs).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.scalar("select count(*) from screen_slot where region_code = '222401'").await, 0, "nothing stored");
    assert_eq!(yform.form(&format!("/screens/schedule/{id}/delete"), &[]).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(form.form(&format!("/screens/schedule/{id}/delete"), &[]).await.status(), StatusCode::OK);
    let json: Value = anon.get("/feeds/screen.json?key=fcs_demo_huayang_estation").await.json().await.unwrap();
    assert!(!json.to_string().contains("楼道不堆物"));
    assert_eq!(app.login("grid").await.get("/screens/schedule").await.status(), StatusCode::FORBIDDEN);
}

crate::on_both_backends!(staff_schedule_captions_by_time_slot);
