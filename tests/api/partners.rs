//! Partner platforms call the API with keys of their own: each key reads and reports only what its
//! scopes allow, within its partner's area and its hourly budget; reach figures arrive as records
//! for review; staff issue keys (shown once) and revoke them, inside their own area only.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Client, TestApp, csrf_in, shown_key};

const DEMO_KEY: &str = "fcp_demo_meituan";

/// A partner's call: no cookies, the key in its header.
async fn call(c: &Client, key: &str, method: Method, path: &str, body: Option<Value>) -> reqwest::Response {
    let mut r = reqwest::Client::new()
        .request(method, format!("{}{path}", c.base))
        .header("x-partner-key", key)
        .header("accept-language", "zh-CN");
    if let Some(b) = body {
        r = r.json(&b);
    }
    r.send().await.unwrap()
}

pub async fn partners_read_and_report_with_scoped_keys(app: TestApp) {
    let anon = app.anonymous().await;
    // Products of the partner's area, with their files' addresses.
    let r = call(&anon, DEMO_KEY, Method::GET, "/api/v1/partner/products", None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let products: Value = r.json().await.unwrap();
    let products = products.as_array().unwrap();
    assert!(!products.is_empty());
    assert!(products.iter().all(|p| p["id"].is_i64() && !p["title"].as_str().unwrap().is_empty()));
    let approved = products[0]["approved_at"].as_str().unwrap();
    assert!(
        time::OffsetDateTime::parse(approved, &time::format_description::well_known::Rfc3339).is_ok(),
        "{approved}"
    );
    for p in products.iter().filter(|p| !p["file"].is_null()) {
        let file = p["file"].as_str().unwrap();
        let path = format!("/p/{}", file.split_once("/p/").unwrap().1);
        assert_eq!(anon.get(&path).await.status(), StatusCode::OK, "{file} opens");
    }
    let ko: Value =
        call(&anon, DEMO_KEY, Method::GET, "/api/v1/partner/products?lang=ko", None).await.json().await.unwrap();
    assert!(ko.as_array().unwrap().len() < products.len(), "only products with a Korean variant");
    // The playlist of a place: Changchun's caption boards get the winter schedule and the warning.
    let r = call(&anon, DEMO_KEY, Method::GET, "/api/v1/partner/feed?region=220100&kind=caption", None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let feed: Value = r.json().await.unwrap();
    assert_eq!(feed["screen"], "长春市");
    let items: Vec<&Value> = feed["now"].as_array().unwrap().iter().chain(feed["next"].as_array().unwrap()).collect();
    assert!(items.iter().all(|i| i["text"].as_str().unwrap().chars().count() <= 20), "{feed}");
    assert_eq!(feed["now"][0]["kind"], "alert", "{feed}");
    let scheduled = items.iter().filter(|i| i["kind"] == "scheduled").count();
    let minute = {
        let t = time::OffsetDateTime::now_utc().to_offset(firecast::clock::CST);
        i64::from(t.hour()) * 60 + i64::from(t.minute())
    };
    // The demo schedules 07–09 and 17–19 for caption boards and 19–22 for every screen: those
    // not over yet today show, now or next.
    let expected = [(420, 540), (1020, 1140), (1140, 1320)].iter().filter(|(_, to)| minute < *to).count();
    assert_eq!(scheduled, expected, "at minute {minute}: {feed}");
    for bad in
        ["/api/v1/partner/feed?kind=billboard", "/api/v1/partner/feed?chars=2", "/api/v1/partner/feed?region=999999"]
    {
        let r = call(&anon, DEMO_KEY, Method::GET, bad, None).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }

    // Reach posted back becomes a record waiting for review in the running campaign.
    let province = app.login("province").await;
    let campaigns: Value = province.get("/api/v1/campaigns").await.json().await.unwrap();
    let running = campaigns.as_array().unwrap().iter().find(|c| c["status"] == "running").unwrap().clone();
    let day = running["starts_on"].as_str().unwrap();
    let body = json!({"title": "美团App首页冬季防火提示", "starts_on": day, "region_code": "220100", "reach": 1_234_567, "evidence": "美团商家后台曝光统计"});
    let r = call(&anon, DEMO_KEY, Method::POST, "/api/v1/partner/reach", Some(body.clone())).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);
    let filed: Value = r.json().await.unwrap();
    assert_eq!(filed["campaign_id"], running["id"]);
    let id = filed["activity_id"].as_i64().unwrap();
    let record: Value = province.get(&format!("/api/v1/activities/{id}")).await.json().await.unwrap();
    let record = if record["activity"].is_object() { record["activity"].clone() } else { record };
    assert_eq!(record["state"], "submitted", "{record}");
    assert_eq!(record["kind"], "partner_placement");
    assert!(record["description"].as_str().unwrap().contains("美团商家后台曝光统计"));
    let figure = app
        .scalar(&format!(
            "select value from activity_figure where activity_id = {id} and metric_code = 'partner_reach'"
        ))
        .await;
    assert_eq!(figure, 1_234_567);
    let audit = app.texts("select actor from audit_log where action = 'partner.reach'").await;
    assert!(audit.iter().any(|a| a.contains("美团吉林")), "{audit:?}");
    // Bad reports name the field, in Chinese, and file nothing.
    let records = app.scalar("select count(*) from activity").await;
    for (change, field) in [
        (json!({"region_code": "999999"}), "region_code"),
        (json!({"evidence": " "}), "evidence"),
        (json!({"product_id": 999_999}), "product_id"),
        (json!({"starts_on": "2019-01-01"}), "starts_on"),
        (json!({"title": ""}), "title"),
    ] {
        let mut b = body.clone();
        for (k, v) in change.as_object().unwrap() {
            b[k] = v.clone();
        }
        let r = call(&anon, DEMO_KEY, Method::POST, "/api/v1/partner/reach", Some(b)).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        let p: Value = r.json().await.unwrap();
        assert_eq!(p["field"], field, "{p}");
        assert!(p["detail"].as_str().unwrap().chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{p}");
    }
    assert_eq!(app.scalar("select count(*) from activity").await, records);

    // Staff issue a key that may only read products: it is shown once and only its hash kept.
    let page = province.get("/partners").await.text().await.unwrap();
    assert!(page.contains("美团App首页安全提示") && page.contains("苏宁易购吉林"), "the demo key and the partners");
    let form = Client { csrf: csrf_in(&page), ..province.clone() };
    let suning = app.unit_id("苏宁易购吉林").await.to_string();
    let r = form.form("/partners", &[("unit_id", &suning), ("name", "苏宁易购门店屏"), ("scopes", "products")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let key = shown_key(&r.text().await.unwrap());
    assert!(key.starts_with("fcp_"), "{key}");
    assert!(!app.texts("select key_hash from partner_key").await.iter().any(|h| h.contains(&key)));
    assert_eq!(call(&anon, &key, Method::GET, "/api/v1/partner/products", None).await.status(), StatusCode::OK);
    assert_eq!(call(&anon, &key, Method::GET, "/api/v1/partner/feed", None).await.status(), StatusCode::FORBIDDEN);
    let r = call(&anon, &key, Method::POST, "/api/v1/partner/reach", Some(body.clone())).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // A key needs a partner unit and a scope.
    let yjt = app.unit_id("长春人文学院").await.to_string();
    let r = form.form("/partners", &[("unit_id", &yjt), ("name", "x"), ("scopes", "products")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "a school is not a partner");
    let r = form.form("/partners", &[("unit_id", &suning), ("name", "x")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("请至少选择一项权限"));

    // No key, another key, a token of a user: refused.
    for bad in ["", "fcp_not_a_key", "fct_an_api_token"] {
        let r = call(&anon, bad, Method::GET, "/api/v1/partner/products", None).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{bad:?}");
    }
    // Changchun sees no province partner's key and cannot revoke one; the province can.
    let id = app.scalar("select id from partner_key where name = '苏宁易购门店屏'").await;
    let changchun = app.login("changchun").await;
    let cpage = changchun.get("/partners").await.text().await.unwrap();
    assert!(!cpage.contains("苏宁易购门店屏"));
    let cform = Client { csrf: csrf_in(&cpage), ..changchun.clone() };
    assert_eq!(cform.form(&format!("/partners/{id}/revoke"), &[]).await.status(), StatusCode::NOT_FOUND);
    let r = cform.form("/partners", &[("unit_id", &suning), ("name", "越界"), ("scopes", "reach")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "a partner outside Changchun");
    assert_eq!(call(&anon, &key, Method::GET, "/api/v1/partner/products", None).await.status(), StatusCode::OK);
    assert_eq!(form.form(&format!("/partners/{id}/revoke"), &[]).await.status(), StatusCode::OK);
    let r = call(&anon, &key, Method::GET, "/api/v1/partner/products", None).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "a revoked key");
    assert_eq!(app.scalar(&format!("select uses from partner_key where id = {id}")).await, 4);
    // Grid workers do not manage partners.
    assert_eq!(app.login("grid").await.get("/partners").await.status(), StatusCode::FORBIDDEN);

    // A Changchun partner's key reads and reports in Changchun only.
    let admin = app.login("admin").await;
    let unit = admin
        .json(
            Method::POST,
            "/api/v1/units",
            &json!({"name": "长春共享单车", "kind": "partner", "region_code": "220100", "parent_id": null}),
        )
        .await;
    assert_eq!(unit.status(), StatusCode::CREATED);
    let bikes = app.unit_id("长春共享单车").await.to_string();
    let page = changchun.get("/partners").await.text().await.unwrap();
    let cform = Client { csrf: csrf_in(&page), ..changchun.clone() };
    let r = cform
        .form("/partners", &[("unit_id", &bikes), ("name", "单车App"), ("scopes", "feeds"), ("scopes", "reach")])
        .await;
    let city_key = shown_key(&r.text().await.unwrap());
    let r = call(&anon, &city_key, Method::GET, "/api/v1/partner/feed?region=222401", None).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "延吉 is outside its area");
    let feed: Value = call(&anon, &city_key, Method::GET, "/api/v1/partner/feed", None).await.json().await.unwrap();
    assert_eq!(feed["screen"], "长春市");
    let mut yanji = body.clone();
    yanji["region_code"] = json!("222401");
    let r = call(&anon, &city_key, Method::POST, "/api/v1/partner/reach", Some(yanji)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "region_code");

    // The hourly budget: past 600 calls the key waits.
    let hash = firecast::org::hash_secret(DEMO_KEY);
    while app.scalar(&format!("select count(*) from address_use where key_hash = '{hash}'")).await < 600 {
        app.exec(&format!("insert into address_use (kind, key_hash, at) select kind, key_hash, at from address_use where key_hash = '{hash}'")).await.unwrap();
    }
    let r = call(&anon, DEMO_KEY, Method::GET, "/api/v1/partner/products", None).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}

crate::on_both_backends!(partners_read_and_report_with_scoped_keys);
