//! The write side of the scope matrix: objects of every area that belong to Changchun, and every
//! state-changing endpoint on them tried by a sibling city's staff and admin, and those of
//! Changchun's that reach the level below tried from there (a brigade, a grid worker). Each answer
//! must be a refusal (403, or 404 as if the object did not exist), and the audit trail — which
//! records every change — must show that nothing of theirs went through.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Client, TestApp};

async fn created(c: &Client, method: Method, path: &str, body: Value) -> Value {
    let r = c.json(method, path, &body).await;
    assert!(r.status().is_success(), "{path}: {} {}", r.status(), r.text().await.unwrap());
    r.json().await.unwrap()
}

pub async fn a_sibling_city_changes_nothing_of_changchun(app: TestApp) {
    let changchun = app.login("changchun").await;
    let nanguan = app.login("nanguan").await;

    // Changchun's objects, one of each area.
    let categories: Value = nanguan.get("/api/v1/hazard-categories").await.json().await.unwrap();
    let hazard = created(&nanguan, Method::POST, "/api/v1/hazards", json!({"category": categories[0]["code"], "region_code": "220102001002", "address": "恒安社区3号楼", "description": "楼道堆放杂物", "confirm_new": true})).await["id"].as_i64().unwrap();
    let campaigns: Value = nanguan.get("/api/v1/campaigns").await.json().await.unwrap();
    let running = campaigns.as_array().unwrap().iter().find(|c| c["status"] == "running").unwrap().clone();
    let record_body = json!({"campaign_id": running["id"], "duty_id": null, "kind": "training", "title": "南关区消防培训", "starts_on": running["starts_on"], "ends_on": "", "region_code": "220102001", "co_organisers": "", "venue": "", "description": "", "figures": {"people_trained": 20}});
    let record = created(&nanguan, Method::POST, "/api/v1/activities", record_body.clone()).await["activity"]["id"]
        .as_i64()
        .unwrap();
    let campaign = created(
        &changchun,
        Method::POST,
        "/api/v1/campaigns",
        json!({"name": "长春冬季防火", "theme": "冬季防火", "starts_on": "2026-12-01", "ends_on": "2027-02-28"}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let product = created(
        &changchun,
        Method::POST,
        "/api/v1/push/products",
        json!({"kind": "tip", "title": "长春冬季防火提示", "body": "电暖器远离可燃物。"}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    created(&changchun, Method::POST, &format!("/api/v1/push/products/{product}/review"), json!({"state": "approved"}))
        .await;
    let push =
        created(&changchun, Method::POST, "/api/v1/pushes", json!({"product_id": product, "targets": ["220100"]}))
            .await["id"]
            .as_i64()
            .unwrap();
    let quiz = created(&changchun, Method::POST, "/api/v1/quizzes", json!({"title": "长春市消防知识竞答", "opens_at": "2020-01-01 00:00", "closes_at": "2099-12-31 23:00", "blueprint": "* * 2", "time_limit_seconds": 600, "attempts_per_day": 3, "audience_region": "220100"})).await["id"].as_i64().unwrap();
    let team = app.unit_id("美团小哥消防志愿服务队").await;

    // A sibling city's staff and its admin try every write on them.
    let yanbian = app.unit_id("延边朝鲜族自治州消防救援支队").await;
    app.add_user("yanbian.admin", "延边管理员", firecast::org::Role::Admin, yanbian).await;
    let writes: Vec<(Method, String, Value)> = vec![
        (Method::POST, format!("/api/v1/hazards/{hazard}/transitions"), json!({"transition": "verify"})),
        (Method::PUT, format!("/api/v1/activities/{record}"), record_body),
        (
            Method::POST,
            format!("/api/v1/activities/{record}/transitions"),
            json!({"transition": "approve", "reason": ""}),
        ),
        (Method::POST, format!("/api/v1/campaigns/{campaign}/status"), json!({"status": "closed"})),
        (
            Method::POST,
            format!("/api/v1/campaigns/{campaign}/duties"),
            json!([{"unit_id": yanbian, "title": "越界任务", "due_on": "2026-12-20"}]),
        ),
        (Method::POST, format!("/api/v1/push/products/{product}/review"), json!({"state": "retired"})),
        (Method::POST, format!("/api/v1/pushes/{push}/recall"), json!({"reason": "越权撤回"})),
        (Method::POST, format!("/api/v1/quizzes/{quiz}/selections/finalists"), json!({"count": 1})),
        (
            Method::PUT,
            format!("/api/v1/volunteer-teams/{team}"),
            json!({"sponsor": "x", "leader_member_id": null, "founded_on": "", "description": ""}),
        ),
    ];
    // Every write tried is a documented operation (a refusal from a path that does not exist
    // would prove nothing).
    let doc: Value = changchun.get("/api/openapi.json").await.json().await.unwrap();
    let documented = |method: &Method, path: &str| {
        let segments: Vec<&str> = path.split('/').collect();
        doc["paths"].as_object().unwrap().iter().any(|(template, ops)| {
            let t: Vec<&str> = template.split('/').collect();
            t.len() == segments.len()
                && t.iter().zip(&segments).all(|(a, b)| a.starts_with('{') || a == b)
                && ops[method.as_str().to_lowercase()].is_object()
        })
    };
    for (method, path, _) in &writes {
        assert!(documented(method, path), "{method} {path} is not an operation of the API");
    }
    let mut answered = Vec::new();
    for who in ["yanbian", "yanbian.admin"] {
        let c = app.login(who).await;
        for (method, path, body) in &writes {
            let status = c.json(method.clone(), path, body).await.status();
            answered.push(format!("{who} {method} {path}: {status}"));
            assert!(
                status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
                "{who} {method} {path} answered {status}"
            );
        }
    }
    assert_eq!(answered.len(), 2 * writes.len());
    // From below: Nanguan's brigade and a grid worker see Changchun's campaign, product, push and
    // quiz (they reach them) and change none of them. (Each level does plan its own units' duties
    // inside a campaign from above — the month's cascade — so duties are not in this list.)
    let from_above = [3, 5, 6, 7];
    for who in ["nanguan", "grid"] {
        let c = app.login(who).await;
        for (method, path, body) in from_above.iter().map(|i| &writes[*i]) {
            let status = c.json(method.clone(), path, body).await.status();
            answered.push(format!("{who} {method} {path}: {status}"));
            assert!(
                status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
                "{who} {method} {path} answered {status}"
            );
        }
    }
    let done = app
        .scalar("select count(*) from audit_log where actor in ('yanbian', 'yanbian.admin', 'grid') and outcome = 'ok' and action not like 'session.%'")
        .await;
    assert_eq!(done, 0, "nothing of theirs went through: {answered:#?}");
    // And the objects are as their owners left them.
    for sql in [
        format!("select count(*) from hazard where id = {hazard} and state = 'reported'"),
        format!("select count(*) from activity where id = {record} and state = 'draft'"),
        format!("select count(*) from campaign where id = {campaign} and status = 'planning'"),
        format!("select count(*) from push_product where id = {product} and state = 'approved'"),
        format!("select count(*) from push where id = {push} and state <> 'recalled'"),
    ] {
        assert_eq!(app.scalar(&sql).await, 1, "{sql}");
    }
}

crate::on_both_backends!(a_sibling_city_changes_nothing_of_changchun);
