//! The write side of the scope matrix: objects of every area that belong to Changchun, and every
//! state-changing endpoint on them tried by a sibling city's staff and admin, and those of
//! Changchun's that reach the level below tried from there (a brigade, a grid worker). Each answer
//! must be a refusal (403, or 404 as if the object did not exist), and the audit trail — which
//! records every change — must show that nothing of theirs went through.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Client, TestApp};

/// Whether an answer refuses the write for whose the object or the place is: 403, 404 (as if it
/// did not exist), or — for a write that names a place, an owner or a campaign — 422 naming that
/// field (or, for a file, a row's such column).
async fn refused(r: reqwest::Response) -> (StatusCode, bool) {
    let status = r.status();
    let whose = ["region", "targets", "audience_region", "campaign_id", "campaign", "product_id", "organiser"];
    let ok = match status {
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND => true,
        StatusCode::UNPROCESSABLE_ENTITY => {
            let e: Value = r.json().await.unwrap_or(Value::Null);
            let named = |f: &Value| whose.iter().any(|w| f.as_str().is_some_and(|f| f.starts_with(w)));
            named(&e["field"])
                || e["errors"].as_array().is_some_and(|all| {
                    all.iter().any(|x| {
                        named(&x["column"]) || ["主办单位", "区划代码"].iter().any(|c| x["column"].as_str() == Some(c))
                    })
                })
        }
        _ => false,
    };
    (status, ok)
}

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
    let volunteer = app.login("volunteer").await;
    let member = created(
        &volunteer,
        Method::POST,
        &format!("/api/v1/volunteer-teams/{team}/members"),
        json!({"name": "越界测试", "phone": "13911110000", "consent": true}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let event_body = json!({"kind": "home_check", "title": "送平安", "region_code": "220102", "address": "南关区幸福街1号", "starts_at": "2027-01-10 09:00", "ends_at": "2027-01-10 11:00", "capacity": 10});
    let event =
        created(&volunteer, Method::POST, &format!("/api/v1/volunteer-teams/{team}/events"), event_body.clone()).await
            ["event"]["id"]
            .as_i64()
            .unwrap();
    let question = app.scalar("select min(id) from question").await;
    let questions: Vec<i64> = vec![question, question + 1, question + 2];
    let live = created(
        &changchun,
        Method::POST,
        "/api/v1/live-matches",
        json!({"title": "长春市知消杯", "teams": [{"name": "南关队", "region": "南关", "members": ["甲", "乙"]}, {"name": "朝阳队", "region": "朝阳", "members": ["丙", "丁"]}],
               "rounds": [{"kind": "compulsory", "points": 10, "seconds": 60, "question_ids": questions}]}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let live_team = app.scalar(&format!("select min(id) from live_team where match_id = {live}")).await;
    let province = app.login("province").await;
    let challenge = created(
        &province,
        Method::POST,
        "/api/v1/challenges",
        json!({"name": "越界定向赛", "held_on": "2026-11-20", "region_code": "220000",
               "checkpoints": [{"code": "K1", "name": "消防栓", "value": 300}], "stations": [{"code": "S1", "name": "灭火器", "value": 50}]}),
    )
    .await["challenge"]["id"]
        .as_i64()
        .unwrap();
    let entry = created(
        &province,
        Method::POST,
        &format!("/api/v1/challenges/{challenge}/entries"),
        json!({"member_ids": [member]}),
    )
    .await["entries"][0]["id"]
        .as_i64()
        .unwrap();
    // A public event of Nanguan with a registration, and a livestream of Changchun with a comment.
    let public_event_body = json!({"kind": "open_day", "title": "南关开放日", "region_code": "220102", "starts_at": "2027-01-10 09:00", "ends_at": "2027-01-10 11:00", "capacity": 10});
    let public_event =
        created(&nanguan, Method::POST, "/api/v1/public-events", public_event_body.clone()).await["event"]["id"]
            .as_i64()
            .unwrap();
    let resident = app.anonymous().await;
    let ticket = created(
        &resident,
        Method::POST,
        &format!("/api/v1/public/events/{public_event}/registrations"),
        json!({"name": "居民", "phone": "13911112222", "consent": true}),
    )
    .await["ticket"]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let stream_body = json!({"title": "长春直播", "region_code": "220100", "starts_at": "2026-01-10 19:00", "ends_at": "2026-01-10 21:00"});
    let stream =
        created(&changchun, Method::POST, "/api/v1/livestreams", stream_body.clone()).await["livestream"]["id"]
            .as_i64()
            .unwrap();
    let comment = created(
        &resident,
        Method::POST,
        &format!("/api/v1/public/livestreams/{stream}/comments"),
        json!({"nickname": "居民", "body": "请问"}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let warning_body = json!({"kind": "heating", "severity": "Moderate", "urgency": "Expected", "certainty": "Likely", "headline": "长春寒潮提示", "description": "降温", "region_codes": "220100", "effective_at": "2026-01-01 08:00", "expires_at": "2099-01-01 08:00"});
    let warning =
        created(&changchun, Method::POST, "/api/v1/alerts", warning_body.clone()).await["id"].as_i64().unwrap();
    let node = app.scalar(&format!("select min(id) from push_node where push_id = {push}")).await;
    let attempt = app.scalar("select min(id) from attempt").await;

    // An approved record in Changchun's report of the running month.
    let told = app
        .scalar(&format!(
            "select min(id) from activity where campaign_id = {} and state = 'approved' and region_path like '/22/2201/%'",
            running["id"]
        ))
        .await;
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
        // Writes that create: in Changchun's places, for its campaign, from its products.
        (
            Method::POST,
            "/api/v1/activities".into(),
            json!({"campaign_id": running["id"], "duty_id": null, "kind": "training", "title": "越界培训", "starts_on": running["starts_on"], "ends_on": "", "region_code": "220102001", "co_organisers": "", "venue": "", "description": "", "figures": {"people_trained": 20}}),
        ),
        (
            Method::POST,
            "/api/v1/hazards".into(),
            json!({"category": categories[0]["code"], "region_code": "220102001002", "address": "恒安社区4号楼", "description": "越界上报", "confirm_new": true}),
        ),
        (Method::POST, "/api/v1/pushes".into(), json!({"product_id": product, "targets": ["220100"]})),
        (
            Method::POST,
            "/api/v1/quizzes".into(),
            json!({"title": "越界竞答", "opens_at": "2020-01-01 00:00", "closes_at": "2099-12-31 23:00", "blueprint": "* * 2", "time_limit_seconds": 600, "attempts_per_day": 3, "audience_region": "220100"}),
        ),
        (
            Method::POST,
            "/api/v1/push/endpoints".into(),
            json!({"name": "越界平台", "url": "https://example.org/hook", "region_code": "220100"}),
        ),
        (Method::POST, format!("/api/v1/campaigns/{campaign}/copy"), json!({"name": "越界复制"})),
        (
            Method::POST,
            "/api/v1/news".into(),
            json!({"campaign_id": campaign, "level": "municipal", "outlet": "延边日报", "title": "越界报道", "published_on": "2026-12-05"}),
        ),
        (
            Method::POST,
            "/api/v1/airings".into(),
            json!({"campaign_id": campaign, "kind": "psa", "channel": "延边电视台", "slot": "19:00", "aired_count": 1, "aired_on": "2026-12-05"}),
        ),
        (
            Method::POST,
            "/api/v1/service-periods".into(),
            json!({"name": "越界时段", "starts_on": "2026-12-01", "ends_on": "2026-12-31"}),
        ),
        (
            Method::POST,
            "/api/v1/challenges".into(),
            json!({"name": "越界赛", "held_on": "2026-11-20", "region_code": "220000", "checkpoints": [{"code": "K1", "name": "消防栓", "value": 300}], "stations": []}),
        ),
        (Method::POST, "/api/v1/public-events".into(), public_event_body),
        (Method::POST, "/api/v1/livestreams".into(), stream_body),
        (Method::POST, "/api/v1/alerts".into(), warning_body),
        (Method::POST, format!("/api/v1/alerts/{warning}/sign-off"), json!({})),
        (Method::POST, format!("/api/v1/alerts/{warning}/cancel"), json!({})),
        // The push's nodes.
        (Method::POST, format!("/api/v1/push/nodes/{node}/sign"), json!({})),
        (Method::POST, format!("/api/v1/push/nodes/{node}/forward"), json!({})),
        (Method::POST, format!("/api/v1/push/nodes/{node}/confirm"), json!({"reach": 1, "ways": ["chat_group"]})),
        // The hazard's and the member's phones.
        (Method::POST, format!("/api/v1/hazards/{hazard}/reveal-phone"), json!({})),
        (Method::POST, format!("/api/v1/volunteer-members/{member}/reveal-phone"), json!({})),
        // The team's members and events.
        (
            Method::POST,
            format!("/api/v1/volunteer-teams/{team}/members"),
            json!({"name": "越界队员", "phone": "13911110001", "consent": true}),
        ),
        (
            Method::PUT,
            format!("/api/v1/volunteer-members/{member}"),
            json!({"name": "改名", "gender": "", "birth_year": null, "skills": "", "active": false}),
        ),
        (
            Method::POST,
            format!("/api/v1/volunteer-members/{member}/credentials"),
            json!({"kind": "certificate", "name": "越界证书", "issued_on": "2024-06-01"}),
        ),
        (
            Method::POST,
            format!("/api/v1/volunteer-members/{member}/hours"),
            json!({"day": "2026-12-01", "minutes": 30, "reason": "越界补记"}),
        ),
        (Method::POST, format!("/api/v1/volunteer-teams/{team}/events"), event_body),
        (Method::POST, format!("/api/v1/service-events/{event}/signups"), json!({"member_id": member})),
        (Method::POST, format!("/api/v1/service-events/{event}/cancellations"), json!({"member_id": member})),
        (Method::POST, format!("/api/v1/service-events/{event}/check-ins"), json!({"member_id": member})),
        (Method::POST, format!("/api/v1/service-events/{event}/check-outs"), json!({"member_id": member})),
        (Method::POST, format!("/api/v1/service-events/{event}/complete"), json!({"handouts": 1})),
        (Method::POST, format!("/api/v1/service-events/{event}/cancel"), json!({})),
        // Nanguan's public event and Changchun's livestream.
        (Method::POST, format!("/api/v1/public-events/{public_event}/channels"), json!({"channel": "kuaishou"})),
        (Method::POST, format!("/api/v1/public-events/{public_event}/check-ins"), json!({"code": ticket})),
        (Method::POST, format!("/api/v1/public-events/{public_event}/finish"), json!({})),
        (Method::POST, format!("/api/v1/public-events/{public_event}/cancel"), json!({})),
        (Method::PUT, format!("/api/v1/livestreams/{stream}/comments/{comment}"), json!({"state": "hidden"})),
        (
            Method::POST,
            format!("/api/v1/livestreams/{stream}/reported-views"),
            json!({"platform": "抖音", "views": 100, "evidence": "越界"}),
        ),
        (Method::POST, format!("/api/v1/livestreams/{stream}/finish"), json!({})),
        // The province's challenge.
        (Method::POST, format!("/api/v1/challenges/{challenge}/entries"), json!({"member_ids": [member]})),
        (
            Method::POST,
            format!("/api/v1/challenges/{challenge}/punches"),
            json!([{"entry_id": entry, "checkpoint": "START", "at": "2026-11-20 09:00:00"}]),
        ),
        (
            Method::POST,
            format!("/api/v1/challenges/{challenge}/stations/S1/scores"),
            json!([{"entry_id": entry, "score": 10}]),
        ),
        // The quiz's bank, its selections and flags, and the live match.
        (Method::POST, format!("/api/v1/questions/{question}/status"), json!({"active": false})),
        (Method::POST, format!("/api/v1/quizzes/{quiz}/selections/draw"), json!({"winners": 1, "seed": "越界"})),
        (
            Method::POST,
            format!("/api/v1/quizzes/{quiz}/selections/teams"),
            json!({"teams": 2, "size": 1, "balance": "region"}),
        ),
        (Method::POST, format!("/api/v1/quizzes/{quiz}/attempts/{attempt}/clear-flag"), json!({"reason": "越界"})),
        (Method::POST, format!("/api/v1/live-matches/{live}/control"), json!({"action": "start"})),
        (
            Method::POST,
            format!("/api/v1/live-matches/{live}/corrections"),
            json!({"team_id": live_team, "points": 5, "reason": "越界"}),
        ),
        // Changchun's report of the running month: its fields, its choice of records, its text.
        (
            Method::PUT,
            format!("/api/v1/campaigns/{}/report/text?region=220100", running["id"]),
            json!({"deployed_by": "越界部署", "documents": "", "next_steps": "越界"}),
        ),
        (
            Method::POST,
            format!("/api/v1/campaigns/{}/report/marks?region=220100", running["id"]),
            json!({"activity_id": told, "mark": "hidden"}),
        ),
        (
            Method::POST,
            format!("/api/v1/campaigns/{}/report/edits?region=220100", running["id"]),
            json!({"paragraph": "lead.1", "text": "越界改写。"}),
        ),
    ];
    // Files sent to Changchun's objects.
    let picture = {
        let img = image::RgbImage::from_fn(40, 30, |x, y| image::Rgb([7, (x * 6) as u8, (y * 8) as u8]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
        out.into_inner()
    };
    let files: Vec<(String, &str, Vec<u8>)> = vec![
        (format!("/api/v1/activities/{record}/photos"), "image/jpeg", picture.clone()),
        (format!("/api/v1/hazards/{hazard}/photos"), "image/jpeg", picture),
        (
            format!("/api/v1/volunteer-teams/{team}/members/import?filename=members.csv"),
            "text/csv",
            "姓名,手机号,同意\n越界导入,13911110002,是\n".as_bytes().to_vec(),
        ),
        (
            format!("/api/v1/activities/import?campaign={}&filename=x.csv", running["id"]),
            "text/csv",
            format!(
                "标题,类型,开始日期,区划代码,主办单位\n越界导入活动,training,{},220102001,长春市南关区消防救援大队\n",
                running["starts_on"].as_str().unwrap()
            )
            .into_bytes(),
        ),
    ];
    // Every write of the API is here, or exempt for a reason said here: a new write without a
    // case fails this test.
    let exempt: &[(&str, &str)] = &[
        ("* /api/v1/public/*", "no account: the secret token in the path, or the address's budget, is the key"),
        ("* /api/v1/units*", "the scope matrix (scope_matrix.rs) tries every role and relation"),
        ("* /api/v1/users*", "the scope matrix (scope_matrix.rs) tries every role and relation"),
        ("delete /api/v1/tokens/{id}", "a user's own tokens: the scope matrix's users"),
        ("post /api/v1/campaigns", "a new campaign is the caller's unit's own"),
        ("post /api/v1/push/products", "a new product is the caller's unit's own"),
        ("post /api/v1/live-matches", "a new match is the caller's unit's own"),
        ("post /api/v1/questions/import", "questions enter the caller's unit's own bank"),
        ("post /api/v1/partner/reach", "a partner's key, not an account: partners.rs tries places outside its area"),
        ("post /api/v1/hazards/sweep", "applies the escalation rules the server applies every few minutes anyway"),
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
        let operation = path.split('?').next().unwrap();
        assert!(documented(method, operation), "{method} {path} is not an operation of the API");
    }
    for (path, _, _) in &files {
        assert!(documented(&Method::POST, path.split('?').next().unwrap()), "POST {path} is not an operation");
    }
    let tried = |method: &str, template: &str| {
        let t: Vec<&str> = template.split('/').collect();
        let matches = |path: &str| {
            let p: Vec<&str> = path.split('?').next().unwrap().split('/').collect();
            p.len() == t.len() && t.iter().zip(&p).all(|(a, b)| a.starts_with('{') || a == b)
        };
        writes.iter().any(|(m, p, _)| m.as_str().eq_ignore_ascii_case(method) && matches(p))
            || (method == "post" && files.iter().any(|(p, _, _)| matches(p)))
    };
    let mut uncovered = Vec::new();
    for (template, ops) in doc["paths"].as_object().unwrap() {
        for method in ["post", "put", "patch", "delete"] {
            if !ops[method].is_object() || tried(method, template) {
                continue;
            }
            let exempted = exempt.iter().any(|(pattern, _)| {
                let (m, path) = pattern.split_once(' ').unwrap();
                (m == "*" || m == method)
                    && path.strip_suffix('*').map_or(path == template, |prefix| template.starts_with(prefix))
            });
            if !exempted {
                uncovered.push(format!("{method} {template}"));
            }
        }
    }
    assert!(uncovered.is_empty(), "writes with no cross-scope case and no reason: {uncovered:#?}");
    let photos = "select (select count(*) from photo) + (select count(*) from hazard_photo)";
    let photos_before = app.scalar(photos).await;
    let mut answered = Vec::new();
    for who in ["yanbian", "yanbian.admin"] {
        let c = app.login(who).await;
        for (method, path, body) in &writes {
            let (status, ok) = refused(c.json(method.clone(), path, body).await).await;
            answered.push(format!("{who} {method} {path}: {status}"));
            assert!(ok, "{who} {method} {path} answered {status}");
        }
    }
    for who in ["yanbian", "yanbian.admin"] {
        let c = app.login(who).await;
        for (path, kind, bytes) in &files {
            let r = c
                .http
                .post(format!("{}{path}", c.base))
                .header("x-csrf-token", &c.csrf)
                .header("content-type", *kind)
                .body(bytes.clone())
                .send()
                .await
                .unwrap();
            let (status, ok) = refused(r).await;
            answered.push(format!("{who} POST {path}: {status}"));
            assert!(ok, "{who} POST {path} answered {status}");
        }
    }
    assert_eq!(answered.len(), 2 * (writes.len() + files.len()));
    // From below: Nanguan's brigade and a grid worker see Changchun's campaign, product, push and
    // quiz (they reach them) and change none of them. (Each level does plan its own units' duties
    // inside a campaign from above — the month's cascade — so duties are not in this list.)
    let from_above = [3, 5, 6, 7];
    for who in ["nanguan", "grid"] {
        let c = app.login(who).await;
        for (method, path, body) in from_above.iter().map(|i| &writes[*i]) {
            let (status, ok) = refused(c.json(method.clone(), path, body).await).await;
            answered.push(format!("{who} {method} {path}: {status}"));
            assert!(ok, "{who} {method} {path} answered {status}");
        }
    }
    let done = app
        .scalar("select count(*) from audit_log where actor in ('yanbian', 'yanbian.admin', 'grid') and outcome = 'ok' and action not like 'session.%'")
        .await;
    assert_eq!(done, 0, "nothing of theirs went through: {answered:#?}");
    assert_eq!(app.scalar(photos).await, photos_before, "no photo stored");
    // And the objects are as their owners left them.
    for sql in [
        format!("select count(*) from hazard where id = {hazard} and state = 'reported'"),
        format!("select count(*) from activity where id = {record} and state = 'draft'"),
        format!("select count(*) from campaign where id = {campaign} and status = 'planning'"),
        format!("select count(*) from push_product where id = {product} and state = 'approved'"),
        format!("select count(*) from push where id = {push} and state <> 'recalled'"),
        format!("select count(*) from volunteer_member where id = {member} and name = '越界测试'"),
        format!("select count(*) from service_event where id = {event} and state = 'open'"),
        format!("select count(*) from question where id = {question} and status = 'active'"),
        format!("select count(*) from live_match where id = {live} and state = 'setup'"),
        format!("select count(*) from public_event where id = {public_event} and state = 'open'"),
        format!("select 1 - count(*) from event_channel where event_id = {public_event} and channel = 'kuaishou'"),
        format!("select count(*) from registration where event_id = {public_event} and checked_in_at is null"),
        format!("select count(*) from livestream where id = {stream} and state = 'open'"),
        format!("select count(*) from alert where id = {warning} and state = 'draft'"),
        "select 1 - count(*) from alert where headline = '长春寒潮提示' and unit_id <> (select unit_id from app_user where username = 'changchun')".into(),
        format!("select count(*) from livestream_comment where id = {comment} and state = 'waiting'"),
        format!("select 1 - count(*) from livestream_reported where livestream_id = {stream}"),
        "select count(*) from volunteer_member where name in ('越界队员', '越界导入') or name = '越界测试'".into(),
        "select 1 - count(*) from activity where title in ('越界培训', '越界导入活动')".into(),
        "select 1 - count(*) from hazard where description = '越界上报'".into(),
        "select 1 - (select count(*) from report_text where region_path like '/22/2201/%') - (select count(*) from report_mark) - (select count(*) from report_edit)".into(),
    ] {
        assert_eq!(app.scalar(&sql).await, 1, "{sql}");
    }
}

crate::on_both_backends!(a_sibling_city_changes_nothing_of_changchun);
