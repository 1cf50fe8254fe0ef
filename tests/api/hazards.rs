//! Hazard reports: the lifecycle and its refusals, scope, public reports followed with the
//! tracking code, duplicates, places, photos, the overdue sweep, the counters, the campaign
//! figures and the public rate limit.

use firecast::db::Db;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use crate::helpers::{Client, TestApp, at_once};

/// 恒安社区 in 南关区: the demo keeps it free of reports of its own.
const HENGAN: &str = "220102001002";

async fn report(c: &Client, region: &str, category: &str, address: &str, confirm_new: bool) -> reqwest::Response {
    let body = json!({"category": category, "region_code": region, "address": address,
        "description": "楼道内电动车飞线充电", "confirm_new": confirm_new});
    c.json(Method::POST, "/api/v1/hazards", &body).await
}

async fn new_hazard(c: &Client, category: &str) -> i64 {
    let r = report(c, HENGAN, category, "恒安社区8号楼", true).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

async fn step(c: &Client, id: i64, body: Value) -> (StatusCode, Value) {
    let r = c.json(Method::POST, &format!("/api/v1/hazards/{id}/transitions"), &body).await;
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn state_of(c: &Client, id: i64) -> String {
    let d: Value = c.get(&format!("/api/v1/hazards/{id}")).await.json().await.unwrap();
    d["hazard"]["state"].as_str().unwrap().to_owned()
}

pub async fn every_transition_is_recorded_and_illegal_ones_are_refused(app: TestApp) {
    let brigade = app.login("nanguan").await;
    let yjt = app.login("yjt").await;
    let volunteer = app.login("volunteer").await;
    let leader = app.login("leader").await;
    let own = app.unit_id("长春市南关区消防救援大队").await;
    let department = app.unit_id("吉林省应急管理厅").await;
    let id = new_hazard(&brigade, "ebike").await;
    assert_eq!(state_of(&brigade, id).await, "reported");

    // Refused in this state (409), by role (403), or without a reason (422).
    assert_eq!(step(&brigade, id, json!({"transition": "close"})).await.0, StatusCode::CONFLICT);
    assert_eq!(step(&brigade, id, json!({"transition": "start_rectifying"})).await.0, StatusCode::CONFLICT);
    assert_eq!(step(&volunteer, id, json!({"transition": "verify"})).await.0, StatusCode::FORBIDDEN);
    assert_eq!(step(&leader, id, json!({"transition": "verify"})).await.0, StatusCode::FORBIDDEN);
    assert_eq!(step(&brigade, id, json!({"transition": "reject"})).await.0, StatusCode::UNPROCESSABLE_ENTITY);

    let path = [
        (json!({"transition": "verify", "reason": "现场核实属实"}), "verified"),
        (json!({"transition": "assign", "unit_id": own, "rectify_due_on": "2099-01-31"}), "assigned"),
        (json!({"transition": "start_rectifying"}), "rectifying"),
        (json!({"transition": "mark_rectified"}), "rectified"),
        (json!({"transition": "fail_reinspection", "reason": "仍有飞线"}), "rectifying"),
        (json!({"transition": "mark_rectified", "reason": "已拆除飞线"}), "rectified"),
        (json!({"transition": "close"}), "closed"),
        (json!({"transition": "reopen", "reason": "居民反映又出现"}), "verified"),
    ];
    for (body, to) in path {
        let (status, d) = step(&brigade, id, body.clone()).await;
        assert_eq!(status, StatusCode::OK, "{body}: {d}");
        assert_eq!(d["hazard"]["state"], to, "{body}");
    }
    assert_eq!(
        step(&brigade, id, json!({"transition": "fail_reinspection", "reason": "x"})).await.0,
        StatusCode::CONFLICT
    );
    // Referral to a line department, which then works on it; the brigade may not.
    assert_eq!(
        step(&brigade, id, json!({"transition": "refer", "unit_id": department})).await.0,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a referral needs a reason"
    );
    assert_eq!(
        step(&brigade, id, json!({"transition": "refer", "unit_id": own, "reason": "x"})).await.0,
        StatusCode::UNPROCESSABLE_ENTITY,
        "only line departments take referrals"
    );
    let (status, _) =
        step(&brigade, id, json!({"transition": "refer", "unit_id": department, "reason": "属燃气安全监管职责"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(step(&brigade, id, json!({"transition": "start_rectifying"})).await.0, StatusCode::FORBIDDEN);
    assert_eq!(step(&yjt, id, json!({"transition": "start_rectifying"})).await.0, StatusCode::OK);
    assert_eq!(step(&yjt, id, json!({"transition": "close_not_fixed", "reason": "x"})).await.0, StatusCode::FORBIDDEN);
    let (status, d) = step(&brigade, id, json!({"transition": "close_not_fixed", "reason": "业主拒不整改"})).await;
    assert_eq!((status, d["hazard"]["state"].as_str()), (StatusCode::OK, Some("closed_not_fixed")));
    assert!(d["hazard"]["closed_at"].is_string());

    // Rejected and duplicate reports, and reopening them.
    let other = new_hazard(&brigade, "gas").await;
    let (status, d) = step(&brigade, other, json!({"transition": "reject", "reason": "未发现隐患"})).await;
    assert_eq!((status, d["hazard"]["state"].as_str()), (StatusCode::OK, Some("rejected")));
    assert_eq!(step(&brigade, other, json!({"transition": "reopen", "reason": "复核"})).await.0, StatusCode::OK);
    let third = new_hazard(&brigade, "wiring").await;
    assert_eq!(
        step(&brigade, third, json!({"transition": "duplicate", "reason": "同一处"})).await.0,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a duplicate names the original"
    );
    let (status, d) =
        step(&brigade, third, json!({"transition": "duplicate", "duplicate_of": id, "reason": "同一处"})).await;
    assert_eq!((status, d["hazard"]["duplicate_of"].as_i64()), (StatusCode::OK, Some(id)), "{d}");
    assert_eq!(step(&brigade, third, json!({"transition": "verify"})).await.0, StatusCode::CONFLICT);
    assert_eq!(step(&brigade, third, json!({"transition": "reopen", "reason": "不是同一处"})).await.0, StatusCode::OK);

    // Every transition is in the timeline with who, when and why.
    let d: Value = brigade.get(&format!("/api/v1/hazards/{id}")).await.json().await.unwrap();
    let events = d["events"].as_array().unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "report",
            "verify",
            "assign",
            "start_rectifying",
            "mark_rectified",
            "fail_reinspection",
            "mark_rectified",
            "close",
            "reopen",
            "refer",
            "start_rectifying",
            "close_not_fixed"
        ]
    );
    let fail = events.iter().find(|e| e["action"] == "fail_reinspection").unwrap();
    assert_eq!((fail["note"].as_str(), fail["actor_name"].as_str()), (Some("仍有飞线"), Some("南关区大队")));
    assert_eq!(
        events.iter().find(|e| e["action"] == "start_rectifying" && e["from_state"] == "referred").unwrap()["actor_name"],
        "应急管理厅联络员"
    );
    assert!(d["hazard"]["answered_at"].is_string(), "the first transition answers the reporter");
    assert_eq!(
        app.scalar(&format!(
            "select count(*) from audit_log where action like 'hazard.%' and outcome = 'ok' and object_id = '{id}'"
        ))
        .await,
        11
    );
    // The counters still equal a recount after all this.
    let (kept, recount) = firecast::hazard::store::all_counters(&app.db).await.unwrap();
    assert_eq!(kept, recount);
}

pub async fn another_detachment_sees_nothing(app: TestApp) {
    let brigade = app.login("nanguan").await;
    let yanbian = app.login("yanbian").await;
    let id = new_hazard(&brigade, "exit").await;
    assert_eq!(yanbian.get(&format!("/api/v1/hazards/{id}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(step(&yanbian, id, json!({"transition": "verify"})).await.0, StatusCode::NOT_FOUND);
    assert_eq!(yanbian.get(&format!("/hazards/{id}")).await.status(), StatusCode::NOT_FOUND);
    let list: Value = yanbian.get("/api/v1/hazards?limit=500").await.json().await.unwrap();
    assert!(
        list["items"].as_array().unwrap().iter().all(|h| h["region_path"].as_str().unwrap().starts_with("/22/2224/"))
    );
    assert!(list["total"].as_i64().unwrap() > 0, "延边 has hazards of its own");
    let changchun = app.login("changchun").await;
    assert_eq!(changchun.get(&format!("/api/v1/hazards/{id}")).await.status(), StatusCode::OK);
    // The brigade reports only inside its area.
    assert_eq!(
        report(&brigade, "222401001001", "exit", "延吉市某街", true).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

async fn public_report(c: &Client, body: &Value) -> reqwest::Response {
    c.json(Method::POST, "/api/v1/public/hazards", body).await
}

pub async fn a_resident_reports_in_public_and_follows_with_the_code(app: TestApp) {
    let resident = app.anonymous().await;
    let mut body = json!({"category": "fire_lane", "region_code": HENGAN, "address": "恒安社区南门",
        "description": "消防车通道被私家车堵住", "reporter_name": "李女士", "phone": "139 1234 5678", "confirm_new": true});
    let r = public_report(&resident, &body).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "a phone number needs consent");
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "consent");
    body["consent"] = json!(true);
    // Without the CSRF header the public form is refused.
    let no_csrf = resident.http.post(format!("{}/api/v1/public/hazards", app.base)).json(&body).send().await.unwrap();
    assert_eq!(no_csrf.status(), StatusCode::FORBIDDEN);
    let r = public_report(&resident, &body).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let created: Value = r.json().await.unwrap();
    let code = created["tracking_code"].as_str().unwrap().to_owned();
    let id = created["id"].as_i64().unwrap();
    // A code a person reads over the phone: 8 characters, no 0, O, 1 or I.
    assert!(code.len() == 8 && code.chars().all(|c| "23456789ABCDEFGHJKLMNPQRSTUVWXYZ".contains(c)), "{code}");
    assert_eq!(created["tracking_link"], format!("/p/hazards/track?code={code}"));
    let sealed = app.scalar(&format!("select count(*) from hazard where id = {id} and reporter_phone_sealed like 'v1:%' and reporter_phone_sealed not like '%5678%'")).await;
    assert_eq!(sealed, 1, "the phone is sealed at rest");
    // Thirty-two reports at once: each stored or refused for its rate, never a server error.
    let before = app.scalar("select count(*) from hazard").await;
    let answers = at_once(32, |i| {
        let (c, mut body) = (resident.clone(), body.clone());
        body["address"] = json!(format!("恒安社区{i}号楼"));
        async move { public_report(&c, &body).await.status() }
    })
    .await;
    assert!(answers.iter().all(|s| *s == StatusCode::CREATED || *s == StatusCode::TOO_MANY_REQUESTS), "{answers:?}");
    let created = i64::try_from(answers.iter().filter(|s| **s == StatusCode::CREATED).count()).unwrap();
    assert!(created > 0);
    assert_eq!(app.scalar("select count(*) from hazard").await, before + created);
    let public = app.scalar("select count(*) from hazard where reporter_ip_hash is not null").await;
    assert_eq!(
        public,
        firecast::hazard::PUBLIC_REPORTS_PER_HOUR,
        "the hour's limit holds, however many arrive at once"
    );

    // Staff see the number masked, and reveal it in an audited action.
    let brigade = app.login("nanguan").await;
    let d: Value = brigade.get(&format!("/api/v1/hazards/{id}")).await.json().await.unwrap();
    assert_eq!(d["hazard"]["reporter_phone_masked"], "139****5678");
    assert_eq!(d["hazard"]["reporter_kind"], "resident");
    let shown: Value = brigade
        .json(Method::POST, &format!("/api/v1/hazards/{id}/reveal-phone"), &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shown["phone"], "13912345678");
    assert_eq!(
        app.scalar("select count(*) from audit_log where action = 'hazard.reveal_phone' and outcome = 'ok'").await,
        1
    );
    let grid = app.login("volunteer").await;
    let denied = grid.json(Method::POST, &format!("/api/v1/hazards/{id}/reveal-phone"), &json!({})).await;
    assert_eq!(denied.status(), StatusCode::FORBIDDEN);

    // The brigade answers, with one note for the reporter and one kept inside.
    assert_eq!(
        step(&brigade, id, json!({"transition": "verify", "reason": "已派员核实，确有堵塞"})).await.0,
        StatusCode::OK
    );
    let own = app.unit_id("长春市南关区消防救援大队").await;
    let (s, _) = step(
        &brigade,
        id,
        json!({"transition": "assign", "unit_id": own, "reason": "内部：车主王某", "public": false}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let track: Value = resident.get(&format!("/api/v1/public/hazards/track?code={code}")).await.json().await.unwrap();
    assert_eq!(track["state"], "assigned");
    let notes: Vec<&str> = track["timeline"].as_array().unwrap().iter().map(|e| e["note"].as_str().unwrap()).collect();
    assert!(notes.contains(&"已派员核实，确有堵塞"));
    let text = track.to_string();
    for secret in ["内部：车主王某", "南关区大队", "5678", "李女士"] {
        assert!(!text.contains(secret), "the tracking view leaks {secret}: {text}");
    }
    let page = resident.get(&format!("/p/hazards/track?code={code}")).await.text().await.unwrap();
    assert!(page.contains("已交办") && page.contains("已派员核实") && !page.contains("内部"));
    // Typed in small letters, split or with a dash, it finds the same report.
    let spoken = format!("{} {}", code[..4].to_lowercase(), &code[4..]);
    let r = resident.get(&format!("/p/hazards/track?code={}", spoken.replace(' ', "+"))).await;
    assert_eq!(r.status(), StatusCode::OK);
    let dashed: Value = resident
        .get(&format!("/api/v1/public/hazards/track?code={}-{}", &code[..4], &code[4..]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(dashed["category"], "fire_lane", "{dashed}");
    assert_eq!(resident.get("/p/hazards/track?code=nonsense").await.status(), StatusCode::NOT_FOUND);
    // Guessing is bounded: an address has 20 failed look-ups an hour, then even a right code waits.
    let guesses = app.scalar("select count(*) from address_use where kind = 'hazard_lookup'").await;
    for i in guesses..20 {
        let r = resident.get(&format!("/api/v1/public/hazards/track?code=ZZZZZZ{:02}", i % 100)).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    }
    let r = resident.get(&format!("/p/hazards/track?code={code}")).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let page = r.text().await.unwrap();
    assert!(page.contains("查询失败次数过多"), "{page}");
    app.exec("delete from address_use where kind = 'hazard_lookup'").await.unwrap();
    // The public form renders for someone with no account.
    let form = resident.get("/p/hazards/new").await;
    assert_eq!(form.status(), StatusCode::OK);
    assert!(form.text().await.unwrap().contains("region-picker"));
    let regions: Value = resident.get("/api/v1/public/regions?parent=220102001").await.json().await.unwrap();
    assert!(regions.as_array().unwrap().iter().any(|r| r["code"] == HENGAN));
    // The picker's search finds a place by its pinyin initials, and says where it lies.
    let found: Value = resident.get("/api/v1/public/regions?q=ngq").await.json().await.unwrap();
    let nanguan = found.as_array().unwrap().iter().find(|r| r["code"] == "220102").expect("南关区 by its initials");
    assert_eq!(nanguan["parent_name"], "长春市");
}

/// A multipart form body (the pages take reports with photos this way).
fn multipart(fields: &[(&str, &str)]) -> (String, Vec<u8>) {
    let boundary = "hazardformboundary7MA4YWxk";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
    }
    body.extend(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

pub async fn the_same_place_within_a_day_is_offered_as_a_duplicate(app: TestApp) {
    let brigade = app.login("nanguan").await;
    let first = new_hazard(&brigade, "flammable").await;
    let r = report(&brigade, HENGAN, "flammable", "恒安社区8号楼车库", false).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let offer: Value = r.json().await.unwrap();
    assert_eq!(offer["candidate"]["id"].as_i64(), Some(first));
    assert_eq!(offer["candidate"]["address"], "恒安社区8号楼");
    assert_eq!(
        app.scalar(&format!("select count(*) from hazard where region_code = '{HENGAN}'")).await,
        1,
        "nothing stored"
    );
    let second = report(&brigade, HENGAN, "flammable", "恒安社区8号楼车库", true).await;
    assert_eq!(second.status(), StatusCode::CREATED);
    let second = second.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    assert_eq!(
        report(&brigade, HENGAN, "other", "恒安社区9号楼", false).await.status(),
        StatusCode::CREATED,
        "another category"
    );
    // The page offers "it is the same" and "it is a different one".
    let form = multipart(&[
        ("category", "flammable"),
        ("region_code", HENGAN),
        ("address", "恒安社区8号楼"),
        ("description", "车库存放汽油"),
    ]);
    let page = brigade
        .http
        .post(format!("{}/hazards?_csrf={}", app.base, brigade.csrf))
        .header("content-type", form.0)
        .body(form.1)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::CONFLICT);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("id=\"same\"") && html.contains(&format!("/hazards/{second}")) && html.contains("confirm_new")
    );
}

pub async fn places_outside_the_region_are_refused(app: TestApp) {
    let brigade = app.login("nanguan").await;
    let base = json!({"category": "gas", "region_code": HENGAN, "address": "恒安社区1号楼", "description": "燃气软管老化", "confirm_new": true});
    let cases = [
        (json!({"address": "吉林市船营区德胜街5号"}), "address"),
        (json!({"latitude": 42.9, "longitude": 129.5}), "latitude"),
        (json!({"latitude": 39.9, "longitude": 116.4}), "latitude"),
        (json!({"latitude": 43.88}), "latitude"),
        (json!({"region_code": "220102"}), "region_code"),
        (json!({"region_code": "22010200100x"}), "region_code"),
        (json!({"category": "unicorns"}), "category"),
        (json!({"description": ""}), "description"),
    ];
    for (patch, field) in cases {
        let mut body = base.clone();
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = brigade.json(Method::POST, "/api/v1/hazards", &body).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{patch}");
        let p: Value = r.json().await.unwrap();
        assert_eq!(p["field"], field, "{patch}: {p}");
        if field == "address" {
            let detail = p["detail"].as_str().unwrap();
            assert!(detail.contains("吉林市") && detail.contains("恒安社区"), "{detail}");
        }
    }
    let mut fine = base.clone();
    fine["latitude"] = json!(43.87);
    fine["longitude"] = json!(125.35);
    fine["address"] = json!("长春市南关区恒安社区1号楼");
    assert_eq!(brigade.json(Method::POST, "/api/v1/hazards", &fine).await.status(), StatusCode::CREATED);
    assert_eq!(app.scalar(&format!("select count(*) from hazard where region_code = '{HENGAN}'")).await, 1);
    // The Changbaishan zone has no divisions in the reference data: a resident chooses the zone
    // itself, where a county with townships is refused as too large.
    let resident = app.anonymous().await;
    let zone = json!({"category": "fire_lane", "region_code": "229900", "address": "池北区美林路8号", "description": "消防车通道被占用",
        "confirm_new": true, "reporter_name": "游客", "phone": "13912345678", "consent": true});
    let r = resident.json(Method::POST, "/api/v1/public/hazards", &zone).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
}

fn jpeg_with_gps() -> Vec<u8> {
    let img = image::RgbImage::from_fn(48, 32, |x, y| {
        image::Rgb([200, u8::try_from(x * 5).unwrap(), u8::try_from(y * 7).unwrap()])
    });
    let mut plain = std::io::Cursor::new(Vec::new());
    img.write_to(&mut plain, image::ImageFormat::Jpeg).unwrap();
    let plain = plain.into_inner();
    // An APP1 Exif segment: IFD0 points to a GPS IFD holding latitude N 43°.
    let mut tiff: Vec<u8> = b"II*\0\x08\0\0\0".to_vec();
    tiff.extend([1, 0, 0x25, 0x88, 4, 0, 1, 0, 0, 0, 26, 0, 0, 0, 0, 0, 0, 0]);
    tiff.extend([2, 0, 1, 0, 2, 0, 2, 0, 0, 0, b'N', 0, 0, 0, 2, 0, 5, 0, 3, 0, 0, 0, 56, 0, 0, 0, 0, 0, 0, 0]);
    for v in [43_u32, 1, 52, 1, 0, 1] {
        tiff.extend(v.to_le_bytes());
    }
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(&tiff);
    let len = u16::try_from(app1.len() + 2).unwrap();
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend(len.to_be_bytes());
    out.extend(app1);
    out.extend(&plain[2..]);
    out
}

pub async fn photos_are_checked_and_stripped(app: TestApp) {
    let brigade = app.login("nanguan").await;
    let id = new_hazard(&brigade, "extinguisher").await;
    let upload = |bytes: Vec<u8>| {
        brigade
            .http
            .post(format!("{}/api/v1/hazards/{id}/photos", app.base))
            .header("x-csrf-token", &brigade.csrf)
            .header("content-type", "image/jpeg")
            .body(bytes)
            .send()
    };
    let r = upload(b"<script>alert(1)</script>".to_vec()).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "photo");
    let r = upload(b"%PDF-1.4 not a photo".to_vec()).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let original = jpeg_with_gps();
    assert!(original.windows(6).any(|w| w == b"Exif\0\0"), "the upload carries EXIF");
    let r = upload(original).await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let photo = r.json::<Value>().await.unwrap()["ids"][0].as_i64().unwrap();
    let stored = brigade.get(&format!("/hazards/{id}/photos/{photo}")).await.bytes().await.unwrap();
    assert_eq!(&stored[..2], &[0xFF, 0xD8]);
    assert!(!stored.windows(4).any(|w| w == b"Exif"), "EXIF and GPS are gone");
    let yanbian = app.login("yanbian").await;
    assert_eq!(yanbian.get(&format!("/hazards/{id}/photos/{photo}")).await.status(), StatusCode::NOT_FOUND);
    let d: Value = brigade.get(&format!("/api/v1/hazards/{id}")).await.json().await.unwrap();
    assert_eq!(d["photos"].as_array().unwrap().len(), 1, "refused files stored nothing");
}

async fn escalations(app: &TestApp, id: i64) -> i64 {
    app.scalar(&format!("select count(*) from hazard_event where hazard_id = {id} and action = 'escalate'")).await
}

pub async fn the_sweep_escalates_an_overdue_report_once_per_level(app: TestApp) {
    let brigade = app.login("nanguan").await;
    let id = new_hazard(&brigade, "fire_lane").await; // 24 hours to verify
    let now = firecast::clock::now();
    firecast::hazard::actions::sweep(&app.db, now).await.unwrap();
    assert_eq!(escalations(&app, id).await, 0, "not yet overdue");
    let later = now + Duration::hours(30);
    assert!(firecast::hazard::actions::sweep(&app.db, later).await.unwrap() >= 1);
    firecast::hazard::actions::sweep(&app.db, later).await.unwrap();
    assert_eq!(escalations(&app, id).await, 1, "once per level");
    let d: Value = brigade.get(&format!("/api/v1/hazards/{id}")).await.json().await.unwrap();
    assert_eq!(
        (d["hazard"]["escalation_level"].as_i64(), d["hazard"]["handling_path"].as_str()),
        (Some(1), Some("/22/2201/"))
    );
    // It is in the detachment's queue, not the brigade's.
    let changchun = app.login("changchun").await;
    let queue: Value = changchun.get("/api/v1/hazards?escalated=true&limit=500").await.json().await.unwrap();
    assert!(queue["items"].as_array().unwrap().iter().any(|h| h["id"] == id));
    let own: Value = brigade.get("/api/v1/hazards?escalated=true&limit=500").await.json().await.unwrap();
    assert!(own["items"].as_array().unwrap().iter().all(|h| h["id"] != id));
    // The timeline names the sweep and what it did in the reader's language.
    let page = changchun.get(&format!("/hazards/{id}")).await.text().await.unwrap();
    assert!(page.contains("系统 · 逾期升级"), "{page}");
    assert!(!page.contains("overdue") && !page.contains("system ·"), "no English on the page: {page}");
    let list = changchun.get("/hazards?escalated=1").await.text().await.unwrap();
    assert!(list.contains(&format!("/hazards/{id}\"")) && list.contains("已升级至支队"), "{list}");
    // Three more days and it reaches the corps, with one more entry.
    firecast::hazard::actions::sweep(&app.db, later + Duration::hours(80)).await.unwrap();
    assert_eq!(escalations(&app, id).await, 2);
    let province = app.login("province").await;
    let queue: Value = province.get("/api/v1/hazards?escalated=true&limit=500").await.json().await.unwrap();
    assert!(queue["items"].as_array().unwrap().iter().any(|h| h["id"] == id));
    let list = province.get("/hazards?escalated=1").await.text().await.unwrap();
    assert!(list.contains("已升级至总队") && !list.contains("已升级至支队"), "{list}");
    // Acting on it hands it back to the brigade.
    assert_eq!(step(&brigade, id, json!({"transition": "verify"})).await.0, StatusCode::OK);
    let d: Value = brigade.get(&format!("/api/v1/hazards/{id}")).await.json().await.unwrap();
    assert_eq!(d["hazard"]["escalation_level"], 0);
    // The timeline entries of escalation are not shown to the reporter.
    let code = d["hazard"]["tracking_code"].as_str().unwrap();
    let track: Value = brigade.get(&format!("/api/v1/public/hazards/track?code={code}")).await.json().await.unwrap();
    assert!(track["timeline"].as_array().unwrap().iter().all(|e| e["action"] != "escalate"));
}

pub async fn the_counters_equal_a_recount_and_the_statistics_add_up(app: TestApp) {
    let brigade = app.login("nanguan").await;
    let own = app.unit_id("长春市南关区消防救援大队").await;
    let before: Value = brigade.get("/api/v1/hazards/stats").await.json().await.unwrap();
    let a = new_hazard(&brigade, "ebike").await;
    let b = new_hazard(&brigade, "gas").await;
    for body in [
        json!({"transition": "verify"}),
        json!({"transition": "assign", "unit_id": own}),
        json!({"transition": "start_rectifying"}),
        json!({"transition": "mark_rectified"}),
        json!({"transition": "close"}),
    ] {
        assert_eq!(step(&brigade, a, body).await.0, StatusCode::OK);
    }
    assert_eq!(step(&brigade, b, json!({"transition": "reject", "reason": "不属实"})).await.0, StatusCode::OK);
    let (kept, recount) = firecast::hazard::store::all_counters(&app.db).await.unwrap();
    assert_eq!(kept, recount);
    for path in ["/22/", "/22/2201/", "/22/2201/220102/"] {
        let len = i64::try_from(path.len()).unwrap();
        let child = match len {
            4 => 9,
            9 => 16,
            _ => 26,
        };
        let mut fast = firecast::hazard::store::counters(&app.db, path, child).await.unwrap();
        let mut bare = firecast::hazard::store::counters_from_hazards(&app.db, path, child).await.unwrap();
        fast.0.sort();
        bare.0.sort();
        fast.1.sort();
        bare.1.sort();
        assert_eq!(fast, bare, "{path}");
    }
    let after: Value = brigade.get("/api/v1/hazards/stats").await.json().await.unwrap();
    let n = |v: &Value, k: &str| v["region"][k].as_i64().unwrap();
    assert_eq!(n(&after, "found"), n(&before, "found") + 1, "a rejected report is not a hazard found");
    assert_eq!(n(&after, "rectified"), n(&before, "rectified") + 1);
    assert_eq!(n(&after, "open"), n(&before, "open"));
    let children: i64 = after["children"].as_array().unwrap().iter().map(|c| c["found"].as_i64().unwrap()).sum();
    assert_eq!(children, n(&after, "found"), "the streets add up to the district");
    assert!(after["region"]["median_days"].is_number());
    // The pages render with their pictures.
    let stats = brigade.get("/hazards/stats").await.text().await.unwrap();
    assert!(stats.contains("<svg") && stats.contains("南岭街道"));
    let province = app.login("province").await;
    let map = province.get("/hazards/map?state=closed").await.text().await.unwrap();
    assert!(map.contains("示意图") && map.contains("data-code=\"220100\""));
    // Every filter of the map, alone and together, on both backends; the cities add up.
    let categories: Value = province.get("/api/v1/hazard-categories").await.json().await.unwrap();
    let category = categories[0]["code"].as_str().unwrap().to_owned();
    let filters = [
        String::new(),
        "state=closed".into(),
        format!("category={category}"),
        "overdue=true".into(),
        "reporter_kind=resident".into(),
        format!("state=rectified&category={category}&overdue=false&reporter_kind=grid_worker"),
    ];
    for q in &filters {
        for level in ["", "&level=county"] {
            let r = province.get(&format!("/api/v1/hazards/map?{q}{level}")).await;
            assert_eq!(r.status(), StatusCode::OK, "map ?{q}{level}: {}", r.text().await.unwrap());
            assert_eq!(
                province.get(&format!("/hazards/map?{q}{level}")).await.status(),
                StatusCode::OK,
                "page ?{q}{level}"
            );
        }
    }
    let sum = |v: Value| v.as_array().unwrap().iter().map(|c| c["count"].as_i64().unwrap()).sum::<i64>();
    let by_city: Value = province.get(&format!("/api/v1/hazards/map?category={category}")).await.json().await.unwrap();
    let stored = app.scalar(&format!("select count(*) from hazard where category = '{category}'")).await;
    // The map colours each city by its count (codes as the regions have them: 220100, not 2201).
    let cities = by_city.as_array().unwrap();
    assert!(cities.iter().all(|c| c["code"].as_str().is_some_and(|code| code.len() == 6)), "{by_city}");
    let page = province.get(&format!("/hazards/map?category={category}")).await.text().await.unwrap();
    for c in cities {
        let shown = format!("data-code=\"{}\" data-value=\"{}\"", c["code"].as_str().unwrap(), c["count"]);
        assert!(page.contains(&shown), "the map shows {shown}");
    }
    assert_eq!(sum(by_city), stored, "every {category} report is on the map once");
    let list = province.get("/hazards?state=rejected&region=220102").await.text().await.unwrap();
    assert!(list.contains(&format!("/hazards/{b}")));
    let csv = province.get("/hazards/export.csv?region=220102").await.text().await.unwrap();
    assert!(csv.contains("恒安社区"));
    let township: Value = province.get("/api/v1/hazards/stats?region=220102001").await.json().await.unwrap();
    let hengan = township["children"].as_array().unwrap().iter().find(|c| c["code"] == HENGAN).unwrap();
    assert_eq!((hengan["found"].as_i64(), hengan["rectified"].as_i64()), (Some(1), Some(1)));
}

async fn found_in(db: &Db, from: OffsetDateTime, to: OffsetDateTime) -> i64 {
    let sql = "select count(*) from hazard where created_at >= $1 and created_at < $2 and state not in ('rejected', 'duplicate')";
    match db {
        Db::Sqlite(p, _) => sqlx::query_scalar(sql).bind(from).bind(to).fetch_one(p).await.unwrap(),
        Db::Postgres(p) => sqlx::query_scalar(sql).bind(from).bind(to).fetch_one(p).await.unwrap(),
    }
}

pub async fn campaigns_count_the_hazards_found_and_rectified(app: TestApp) {
    let c = app.login("province").await;
    let list: Value = c.get("/api/v1/campaigns").await.json().await.unwrap();
    let running = list.as_array().unwrap().iter().find(|x| x["status"] == "running").unwrap().clone();
    let id = running["id"].as_i64().unwrap();
    let day = |s: &str| time::Date::parse(&s[..10], time::macros::format_description!("[year]-[month]-[day]")).unwrap();
    let from = day(running["starts_on"].as_str().unwrap()).midnight().assume_offset(firecast::clock::CST);
    let to =
        (day(running["ends_on"].as_str().unwrap()) + Duration::days(1)).midnight().assume_offset(firecast::clock::CST);
    let o: Value = c.get(&format!("/api/v1/campaigns/{id}/overview")).await.json().await.unwrap();
    let found = o["region"]["values"]["hazards_found"].as_i64().unwrap_or(0);
    assert_eq!(found, found_in(&app.db, from, to).await);
    assert!(found > 0, "the demo's reports of the month count");
    let by_children: i64 =
        o["children"].as_array().unwrap().iter().map(|r| r["values"]["hazards_found"].as_i64().unwrap_or(0)).sum();
    assert_eq!(by_children, found);
    assert!(o["region"]["values"]["hazards_rectified"].as_i64().unwrap_or(0) > 0);
    let page = c.get(&format!("/campaigns/{id}")).await.text().await.unwrap();
    assert!(page.contains("排查发现火灾隐患"));
    // The 2024 month has no hazard figures.
    let old = list.as_array().unwrap().iter().find(|x| x["name"].as_str().unwrap().starts_with("2024年")).unwrap();
    let o: Value = c.get(&format!("/api/v1/campaigns/{}/overview", old["id"])).await.json().await.unwrap();
    assert!(o["region"]["values"]["hazards_found"].is_null());
}

pub async fn the_public_form_is_rate_limited(app: TestApp) {
    let resident = app.anonymous().await;
    for i in 0..10 {
        let body = json!({"category": "other", "region_code": HENGAN, "address": format!("恒安社区{i}号楼"),
            "description": "楼道私设煤炉", "confirm_new": true});
        assert_eq!(public_report(&resident, &body).await.status(), StatusCode::CREATED, "report {i}");
    }
    let body = json!({"category": "other", "region_code": HENGAN, "address": "恒安社区11号楼", "description": "楼道私设煤炉", "confirm_new": true});
    let r = public_report(&resident, &body).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.json::<Value>().await.unwrap()["detail"].as_str().unwrap().contains("at most 10 reports an hour"));
    // The page says so too, and stores nothing.
    let form = multipart(&[
        ("category", "other"),
        ("region_code", HENGAN),
        ("address", "恒安社区12号楼"),
        ("description", "楼道私设煤炉"),
        ("confirm_new", "1"),
    ]);
    let page = resident
        .http
        .post(format!("{}/p/hazards?_csrf={}", app.base, resident.csrf))
        .header("content-type", form.0)
        .body(form.1)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(page.text().await.unwrap().contains("每小时最多提交10条隐患报告"), "in the reader's language");
    assert_eq!(app.scalar(&format!("select count(*) from hazard where region_code = '{HENGAN}'")).await, 10);
}

pub async fn one_phone_number_reports_a_bounded_number_an_hour_from_anywhere(app: TestApp) {
    use firecast::hazard::actions::{HazardInput, Reported, create_public};
    let key = firecast::config::Config::with_database(&app.url).data_key(&app.url).unwrap();
    let most = firecast::hazard::PUBLIC_REPORTS_PER_HOUR;
    let report = |i: i64| HazardInput {
        category: "other".into(),
        region_code: HENGAN.into(),
        address: format!("恒安社区{i}号楼"),
        description: "楼道私设煤炉".into(),
        phone: "13812340000".into(),
        consent: true,
        confirm_new: true,
        ..HazardInput::default()
    };
    // Each from its own address: the address budget never binds, the number's does.
    for i in 0..most {
        let r = create_public(&app.db, &key, &format!("10.9.0.{i}"), &report(i)).await.unwrap();
        assert!(matches!(r, Reported::Stored(..)));
    }
    let e = create_public(&app.db, &key, "10.9.1.1", &report(most)).await.unwrap_err();
    assert!(matches!(e, firecast::Error::TooMany(_)), "{e:?}");
    let stored = app.scalar(&format!("select count(*) from hazard where region_code = '{HENGAN}'")).await;
    assert!(stored >= most, "{stored}");
    // Without a number, the next address reports as before.
    let plain = HazardInput { phone: String::new(), consent: false, ..report(most + 1) };
    assert!(create_public(&app.db, &key, "10.9.1.2", &plain).await.is_ok());
}

crate::on_both_backends!(
    one_phone_number_reports_a_bounded_number_an_hour_from_anywhere,
    every_transition_is_recorded_and_illegal_ones_are_refused,
    another_detachment_sees_nothing,
    a_resident_reports_in_public_and_follows_with_the_code,
    the_same_place_within_a_day_is_offered_as_a_duplicate,
    places_outside_the_region_are_refused,
    photos_are_checked_and_stripped,
    the_sweep_escalates_an_overdue_report_once_per_level,
    the_counters_equal_a_recount_and_the_statistics_add_up,
    campaigns_count_the_hazards_found_and_rectified,
    the_public_form_is_rate_limited,
);
