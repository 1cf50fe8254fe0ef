//! The four-level push: products reviewed before they go, a push signed and forwarded from the
//! province to a community and confirmed there, recall, subscriptions and the inbox (read
//! tracking, Chinese fallback, never twice, the weekly cap), webhooks (signed, retried, dead
//! letters), SMS through the fake provider (quiet hours, per-number failures), a worker killed
//! mid-push and restarted, and several workers sharing a NATS JetStream queue.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use axum::http::{HeaderMap, StatusCode as AxumStatus};
use firecast::push::QuietHours;
use firecast::push::delivery::dispatch::{Dispatcher, Settings};
use firecast::push::delivery::webhook;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::datetime;

use crate::fake_sms::FakeSms;
use crate::helpers::{Client, PASSWORD, TestApp, at_once};

/// 华阳社区 in 南关区, where the demo's community worker `grid` works.
const HUAYANG: &str = "220102001001";
/// 10:00 on a weekday in China Standard Time: inside SMS hours.
const DAYTIME: OffsetDateTime = datetime!(2030-03-05 02:00 UTC);

fn key() -> firecast::personal::DataKey {
    firecast::config::Config::with_database("").data_key("").unwrap()
}

fn settings(sms: Option<&FakeSms>) -> Settings {
    let mut config = firecast::config::Config::with_database("");
    if let Some(f) = sms {
        f.configure(&mut config);
    }
    let mut s = firecast::push::delivery::dispatch::Settings::from_config(&config).unwrap();
    s.webhook_timeout = StdDuration::from_secs(1);
    s.webhooks_per_second = 10_000.0;
    s
}

fn dispatcher(app: &TestApp, sms: Option<&FakeSms>) -> Dispatcher {
    Dispatcher::new(app.db.clone(), Arc::new(key()), &settings(sms)).unwrap()
}

async fn product(c: &Client, kind: &str, title: &str, body: &str, ko: bool) -> i64 {
    let mut p = json!({"kind": kind, "title": title, "body": body, "themes": ["heating"], "audiences": ["elderly"], "places": ["homes"]});
    if ko {
        p["title_ko"] = json!("겨울철 난방 안전");
        p["body_ko"] = json!("난방기 주변에 가연물을 두지 마세요.");
    }
    let r = c.json(Method::POST, "/api/v1/push/products", &p).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

async fn approved(c: &Client, kind: &str, title: &str, ko: bool) -> i64 {
    let id = product(c, kind, title, "冬季取暖注意安全，电暖器远离可燃物，人走断电。", ko).await;
    let r = c.json(Method::POST, &format!("/api/v1/push/products/{id}/review"), &json!({"state": "approved"})).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    id
}

async fn send(c: &Client, product: i64, targets: &[&str], channels: &[&str]) -> Value {
    let r = c
        .json(Method::POST, "/api/v1/pushes", &json!({"product_id": product, "targets": targets, "channels": channels}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    r.json().await.unwrap()
}

async fn subscribe(app: &TestApp, body: Value) -> (StatusCode, Value) {
    let c = app.anonymous().await;
    let r = c.json(Method::POST, "/api/v1/public/push/subscriptions", &body).await;
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// `n` text-message households of 华阳社区 with numbers `PREFIX00000000…`, as the public form
/// would store them from as many homes (one address may subscribe only a few an hour).
async fn text_households(app: &TestApp, prefix: &str, n: i64) {
    let (key, now) = (key(), firecast::clock::now());
    let community = firecast::org::store::region(&app.db, &firecast::org::Scope::province(), HUAYANG).await.unwrap();
    for i in 0..n {
        let p = firecast::personal::PhoneNumber::parse("phone", &format!("{prefix}{i:08}")).unwrap();
        let household = firecast::push::store::NewSubscriber {
            token: firecast::org::new_secret(),
            region_code: HUAYANG.to_owned(),
            region_path: community.path.clone(),
            lang: "zh".to_owned(),
            interests: String::new(),
            channel: "sms".to_owned(),
            phone: Some((key.seal(p.as_str()), key.index(p.as_str()), p.masked())),
            consent: firecast::push::actions::CONSENT.to_owned(),
            created_at: now,
            ip_hash: format!("home-{i}"),
            proof: None,
        };
        firecast::push::store::insert_subscriber(&app.db, &household, now, 1).await.unwrap().unwrap();
    }
}

async fn task_for(c: &Client, push: i64) -> i64 {
    let tasks: Value = c.get("/api/v1/push/tasks").await.json().await.unwrap();
    tasks.as_array().unwrap().iter().find(|t| t["push_id"] == push).unwrap_or_else(|| panic!("no task in {tasks}"))["node_id"]
        .as_i64()
        .unwrap()
}

pub async fn products_are_checked_and_reviewed_before_they_are_pushed(app: TestApp) {
    let province = app.login("province").await;
    let long = "冬".repeat(75);
    let r = province
        .json(Method::POST, "/api/v1/push/products", &json!({"kind": "tip", "title": "太长", "body": long}))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["field"], "body");
    assert!(e["detail"].as_str().unwrap().contains("75 characters"), "{e}");
    let r = province
        .json(
            Method::POST,
            "/api/v1/push/products",
            &json!({"kind": "tip", "title": "x", "body": "y", "themes": ["cats"]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let video = product(&province, "video", "取暖季防火微视频", "一段三分钟的视频", false).await;
    let r = province.json(Method::POST, "/api/v1/pushes", &json!({"product_id": video, "targets": ["220100"]})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "a draft cannot be pushed");
    let r =
        province.json(Method::POST, &format!("/api/v1/push/products/{video}/review"), &json!({"state": "draft"})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "sending back needs a note");
    let r = province
        .json(Method::POST, &format!("/api/v1/push/products/{video}/review"), &json!({"state": "approved"}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = province
        .json(Method::POST, &format!("/api/v1/push/products/{video}/review"), &json!({"state": "approved"}))
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "approving twice");
    let r = province
        .json(Method::POST, "/api/v1/pushes", &json!({"product_id": video, "targets": ["220100"], "channels": ["sms"]}))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "a video cannot go by SMS");
    let r = province.json(Method::POST, "/api/v1/pushes", &json!({"product_id": video, "targets": ["999999"]})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Search finds it by words and by pinyin initials; the tag filter works.
    let found: Value = province.get("/api/v1/push/products?q=防火微视频").await.json().await.unwrap();
    assert_eq!(found["total"], 1);
    let found: Value = province.get("/api/v1/push/products?q=qnjfhwsp&tag=elderly").await.json().await.unwrap();
    assert_eq!(found["items"][0]["id"], video);
    let none: Value = province.get("/api/v1/push/products?q=防火微视频&tag=schools").await.json().await.unwrap();
    assert_eq!(none["total"], 0);
    // A tag's name finds its products: 电动车 finds those tagged 电动车充电 ("电动自行车…" in their titles).
    let ebike: Value = province.get("/api/v1/push/products?q=电动车").await.json().await.unwrap();
    let items = ebike["items"].as_array().unwrap();
    assert!(!items.is_empty(), "{ebike}");
    assert!(items.iter().all(|p| p["tags"].as_str().unwrap().contains("ebike")), "{ebike}");
    // And a county target reaches its share of the city's households, not 0.
    let reach: Value = province.get("/api/v1/push/reach?targets=220102").await.json().await.unwrap();
    let city: Value = province.get("/api/v1/push/reach?targets=220100").await.json().await.unwrap();
    let (county, whole) = (reach["households"].as_i64().unwrap(), city["households"].as_i64().unwrap());
    let share = whole * reach["communities"].as_i64().unwrap() / city["communities"].as_i64().unwrap();
    assert!(county > 0 && county == share, "{reach} of {city}");

    // The same idempotency key twice sends once.
    let body = json!({"product_id": video, "targets": ["220100"], "idempotency_key": "once-only"});
    let first = province.json(Method::POST, "/api/v1/pushes", &body).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let again = province.json(Method::POST, "/api/v1/pushes", &body).await;
    assert_eq!(again.status(), StatusCode::OK);
    let (a, b): (Value, Value) = (first.json().await.unwrap(), again.json().await.unwrap());
    assert_eq!(a["id"], b["id"]);
    assert_eq!(b["created"], false);
}

pub async fn a_push_goes_down_to_a_community_with_sign_off_at_every_level(app: TestApp) {
    let province = app.login("province").await;
    let tip = approved(&province, "tip", "取暖安全提示", true).await;
    let made = send(&province, tip, &["220100"], &[]).await;
    let id = made["id"].as_i64().unwrap();
    assert_eq!(made["reach"]["cities"], 1);
    assert!(made["reach"]["counties"].as_i64().unwrap() >= 10, "{made}");
    assert!(made["reach"]["households"].as_i64().unwrap() > 1_000_000, "{made}");

    // 长春 signs and forwards with a Korean variant refused? No: it has one; a local note.
    let changchun = app.login("changchun").await;
    let node = task_for(&changchun, id).await;
    let yanbian = app.login("yanbian").await;
    let r = yanbian.json(Method::POST, &format!("/api/v1/push/nodes/{node}/sign"), &json!({})).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "another city cannot see it");
    let nanguan = app.login("nanguan").await;
    let r = nanguan.json(Method::POST, &format!("/api/v1/push/nodes/{node}/sign"), &json!({})).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "a brigade cannot sign for its detachment");
    // Thirty-two signs at once (a double tap on a slow phone, many times over): one counts.
    let signs = at_once(32, |_| {
        let c = changchun.clone();
        async move { c.json(Method::POST, &format!("/api/v1/push/nodes/{node}/sign"), &json!({})).await.status() }
    })
    .await;
    assert_eq!(signs.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{signs:?}");
    assert_eq!(signs.iter().filter(|s| **s == StatusCode::CONFLICT).count(), 31, "signed twice: {signs:?}");
    let r = changchun
        .json(Method::POST, &format!("/api/v1/push/nodes/{node}/forward"), &json!({"note": "请各大队本周内转发到社区"}))
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let f: Value = r.json().await.unwrap();
    let counties = f["units"].as_i64().unwrap();
    assert_eq!(counties, made["reach"]["counties"].as_i64().unwrap());
    assert_eq!(f["node"]["state"], "forwarded");

    // 南关 sees the note from above, forwards to its communities.
    let tasks: Value = nanguan.get("/api/v1/push/tasks").await.json().await.unwrap();
    let mine = tasks.as_array().unwrap().iter().find(|t| t["push_id"] == id).unwrap();
    assert_eq!(mine["note"], "请各大队本周内转发到社区");
    let county = mine["node_id"].as_i64().unwrap();
    let r =
        nanguan.json(Method::POST, &format!("/api/v1/push/nodes/{county}/forward"), &json!({"variant": "ko"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let communities = r.json::<Value>().await.unwrap()["units"].as_i64().unwrap();
    assert!(communities > 10, "{communities}");

    // The grid worker of 华阳社区 confirms: too many households is refused, naming the community.
    let grid = app.login("grid").await;
    let community = task_for(&grid, id).await;
    let r = grid.json(Method::POST, &format!("/api/v1/push/nodes/{community}/forward"), &json!({})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "communities confirm, they do not forward");
    let r = grid
        .json(
            Method::POST,
            &format!("/api/v1/push/nodes/{community}/confirm"),
            &json!({"ways": ["chat_group"], "reach": 99_999_999}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("华阳社区"));
    let r = grid
        .json(Method::POST, &format!("/api/v1/push/nodes/{community}/confirm"), &json!({"ways": [], "reach": 10}))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "a way is needed");
    let r = grid
        .json(
            Method::POST,
            &format!("/api/v1/push/nodes/{community}/confirm"),
            &json!({"ways": ["chat_group", "door_to_door"], "reach": 420}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    assert_eq!(r.json::<Value>().await.unwrap()["ways"], ",chat_group,door_to_door,");

    // The province sees it all: nodes by level and state, with the reach.
    let d: Value = province.get(&format!("/api/v1/pushes/{id}")).await.json().await.unwrap();
    assert_eq!(d["push"]["nodes"].as_i64(), Some(1 + counties + communities), "{d}");
    assert_eq!(d["push"]["done"], 3);
    let confirmed =
        d["nodes"].as_array().unwrap().iter().find(|c| c["state"] == "confirmed").unwrap_or_else(|| panic!("{d}"));
    assert_eq!(confirmed["reach"], 420);
    let tree: Value = province.get(&format!("/api/v1/pushes/{id}/nodes?level=2")).await.json().await.unwrap();
    assert_eq!(tree.as_array().unwrap().len() as i64, 1 + counties);
    // The page counts the county's communities in a Chinese sentence.
    let page = province.get(&format!("/pushes/{id}")).await.text().await.unwrap();
    assert!(page.contains(&format!("社区{communities}个：待签收 {} · 已落实 1", communities - 1)), "{page}");

    // Overdue units are raised by the sweep; recall stops the rest.
    set_time(
        &app,
        &format!("update push_node set due_at = $1 where push_id = {id} and state = 'pending'"),
        datetime!(2020-01-01 00:00 UTC),
    )
    .await;
    let (_, raised) = firecast::push::actions::sweep(&app.db, firecast::clock::now()).await.unwrap();
    assert!(raised >= 2, "{raised}");
    let d: Value = province.get(&format!("/api/v1/pushes/{id}")).await.json().await.unwrap();
    assert_eq!(d["push"]["overdue"].as_i64().unwrap(), counties - 1 + communities - 1);
    let r = changchun.json(Method::POST, &format!("/api/v1/pushes/{id}/recall"), &json!({"reason": "x"})).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "only the sender recalls");
    let r = province.json(Method::POST, &format!("/api/v1/pushes/{id}/recall"), &json!({"reason": "内容需更新"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["units"].as_i64().unwrap(), counties - 1 + communities - 1);
    let open: Value = changchun.get("/api/v1/push/tasks").await.json().await.unwrap();
    assert!(open.as_array().unwrap().iter().all(|t| t["push_id"] != id), "nothing left to do after a recall");
    let all: Value = changchun.get("/api/v1/push/tasks?all=true").await.json().await.unwrap();
    let done = all.as_array().unwrap().iter().find(|t| t["push_id"] == id).unwrap();
    assert_eq!(
        (done["node_id"].as_i64(), done["state"].as_str()),
        (Some(node), Some("forwarded")),
        "the finished node stays"
    );
    let r = nanguan.json(Method::POST, &format!("/api/v1/push/nodes/{county}/forward"), &json!({})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
}

pub async fn residents_get_tips_in_their_inbox_once_and_under_the_weekly_cap(app: TestApp) {
    // The demo's own pushes of this week go out first, before anyone subscribed here.
    dispatcher(&app, None).fan_out_due(firecast::clock::now()).await.unwrap();
    let (status, e) = subscribe(&app, json!({"region_code": HUAYANG, "lang": "ko"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["field"], "consent");
    let (status, e) =
        subscribe(&app, json!({"region_code": HUAYANG, "channel": "sms", "consent": true, "phone": "13912345678"}))
            .await;
    assert_eq!(
        (status, e["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("channel")),
        "no SMS account: {e}"
    );
    let fake = FakeSms::start("AKIDtest", "secret-key").await;
    let app = app.reconfigured(|c| fake.configure(c)).await;
    let (status, e) = subscribe(&app, json!({"region_code": HUAYANG, "channel": "sms", "consent": true})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["field"], "phone");
    let (status, _) = subscribe(&app, json!({"region_code": "220102", "consent": true})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "down to the community");
    let (status, s) = subscribe(&app, json!({"region_code": HUAYANG, "lang": "ko", "consent": true})).await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    assert_eq!(s["code_sent"], Value::Null, "no phone, no code");
    let token = s["token"].as_str().unwrap().to_owned();

    // A phone for text messages: a code goes to it. Somebody else types the same number: nothing
    // tells them it is taken, and it is nobody's until the code the phone received comes back.
    let sms = json!({"region_code": HUAYANG, "channel": "sms", "consent": true, "phone": "13912345678"});
    let (status, owner) = subscribe(&app, sms.clone()).await;
    assert_eq!((status, &owner["code_sent"]), (StatusCode::CREATED, &json!(true)), "{owner}");
    let owners_code = fake.last_code("+8613912345678").unwrap();
    let (status, stranger) =
        subscribe(&app, json!({"region_code": HUAYANG, "channel": "sms", "consent": true, "phone": "139 1234 5678"}))
            .await;
    assert_eq!(status, StatusCode::CREATED, "{stranger}");
    let stored = app
        .scalar("select count(*) from subscriber where phone_sealed like 'v1:%' and phone_masked = '139****5678'")
        .await;
    assert_eq!(stored, 2, "phones are sealed and masked");
    let plain: i64 = app.scalar("select count(*) from subscriber where phone_sealed like '%13912345678%'").await;
    assert_eq!(plain, 0);
    assert_eq!(app.scalar("select count(*) from subscriber where channel = 'sms'").await, 0, "nothing proved yet");
    let anon = app.anonymous().await;
    let confirm = |t: &Value| format!("/api/v1/public/push/inbox/{}/confirm", t["token"].as_str().unwrap());
    let r = anon.json(Method::POST, &confirm(&stranger), &json!({"code": "000000"})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "a guessed code");
    let r = anon.json(Method::POST, &confirm(&stranger), &json!({"code": "12a"})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = anon.json(Method::POST, &confirm(&owner), &json!({"code": owners_code})).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT, "{}", r.text().await.unwrap());
    assert_eq!(
        app.scalar("select count(*) from subscriber where channel = 'sms' and phone_index is not null").await,
        1,
        "the owner's subscription gets text messages"
    );
    let r = anon.json(Method::POST, &confirm(&owner), &json!({"code": "000000"})).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "nothing waits once proved");
    // Five wrong codes and the code is spent; a new one waits a minute, and a number gets at
    // most five codes an hour whoever asks.
    for _ in 0..4 {
        let r = anon.json(Method::POST, &confirm(&stranger), &json!({"code": "000000"})).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let right = fake.last_code("+8613912345678").unwrap();
    let r = anon.json(Method::POST, &confirm(&stranger), &json!({"code": right})).await;
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["detail"], "too many wrong codes; ask for a new one", "{e}");
    let resend = format!("/api/v1/public/push/inbox/{}/code", stranger["token"].as_str().unwrap());
    let r = anon.json(Method::POST, &resend, &json!({})).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "a minute between codes");
    let a_while_ago = firecast::clock::now() - time::Duration::minutes(2);
    for _ in 0..3 {
        set_time(&app, "update phone_check set sent_at = $1", a_while_ago).await;
        let r = anon.json(Method::POST, &resend, &json!({})).await;
        assert_eq!(r.status(), StatusCode::ACCEPTED);
    }
    let fresh = fake.last_code("+8613912345678").unwrap();
    set_time(&app, "update phone_check set sent_at = $1", a_while_ago).await;
    let r = anon.json(Method::POST, &resend, &json!({})).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "five codes an hour to one number");
    assert_eq!(fake.sent_with(crate::fake_sms::CODE_TEMPLATE, "+8613912345678").len(), 5);
    let (status, e) = subscribe(&app, sms.clone()).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "nor by subscribing again: {e}");
    // The newest code, typed back on the second subscription, moves the number there: it is
    // whoever holds the phone that decides; the first subscription keeps its inbox.
    let r = anon.json(Method::POST, &confirm(&stranger), &json!({"code": fresh})).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.scalar("select count(*) from subscriber where channel = 'sms' and phone_index is not null").await,
        1,
        "one subscription holds a number"
    );

    let province = app.login("province").await;
    let zh_only = approved(&province, "tip", "取暖提示", false).await;
    let push = send(&province, zh_only, &["220102"], &["inbox"]).await;
    assert_eq!(push["fallback_to_chinese"], true);
    let pid = push["id"].as_i64().unwrap();
    let d = dispatcher(&app, None);
    d.fan_out_due(firecast::clock::now()).await.unwrap();
    let inbox: Value =
        app.anonymous().await.get(&format!("/api/v1/public/push/inbox/{token}")).await.json().await.unwrap();
    let tips = inbox["tips"].as_array().unwrap();
    assert_eq!(tips.len(), 1, "{inbox}");
    assert_eq!(tips[0]["fallback"], true, "no Korean variant: Chinese, and said so");
    assert_eq!(tips[0]["read"], false);
    let anon = app.anonymous().await;
    let r = anon.json(Method::POST, &format!("/api/v1/public/push/inbox/{token}/{pid}"), &json!({})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let inbox: Value = anon.get(&format!("/api/v1/public/push/inbox/{token}")).await.json().await.unwrap();
    assert_eq!(inbox["tips"][0]["read"], true);
    let r = anon.json(Method::POST, &format!("/api/v1/public/push/inbox/wrong-token/{pid}"), &json!({})).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // The same product again reaches nobody twice; a Korean product reaches them in Korean.
    send(&province, zh_only, &["220102"], &["inbox"]).await;
    let ko = approved(&province, "tip", "韩文提示", true).await;
    send(&province, ko, &["220102"], &["inbox"]).await;
    d.fan_out_due(firecast::clock::now()).await.unwrap();
    let inbox: Value = anon.get(&format!("/api/v1/public/push/inbox/{token}")).await.json().await.unwrap();
    let tips = inbox["tips"].as_array().unwrap();
    assert_eq!(tips.len(), 2, "{inbox}");
    assert_eq!(tips[0]["lang"], "ko");
    assert_eq!(tips[0]["fallback"], false);

    // Four more products: the weekly cap (5) lets three through.
    for i in 0..4 {
        let p = approved(&province, "tip", &format!("第{i}条"), false).await;
        send(&province, p, &["220102"], &["inbox"]).await;
        d.fan_out_due(firecast::clock::now()).await.unwrap();
    }
    let inbox: Value = anon.get(&format!("/api/v1/public/push/inbox/{token}")).await.json().await.unwrap();
    assert_eq!(inbox["tips"].as_array().unwrap().len(), firecast::push::WEEKLY_CAP as usize);

    // One click leaves; nothing more arrives.
    let r = anon.json(Method::POST, &format!("/api/v1/public/push/unsubscribe/{token}"), &json!({})).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let left: i64 =
        app.scalar("select count(*) from subscriber where unsubscribed_at is not null and phone_index is null").await;
    assert_eq!(left, 1);
    let (status, _) = subscribe(&app, json!({"region_code": HUAYANG, "consent": true})).await;
    assert_eq!(status, StatusCode::CREATED, "after leaving, one may subscribe again");
}

/// Types back the last code `fake` sent to `phone` for the subscription of `token`.
async fn prove(app: &TestApp, token: &str, fake: &FakeSms, phone: &str) {
    let code = fake.last_code(phone).expect("a code was sent");
    let r = app
        .anonymous()
        .await
        .json(Method::POST, &format!("/api/v1/public/push/inbox/{token}/confirm"), &json!({"code": code}))
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT, "{}", r.text().await.unwrap());
}

#[derive(Clone, Default)]
struct Sink {
    got: Arc<Mutex<Vec<(String, Value)>>>,
    fail_first: Arc<Mutex<usize>>,
    always: Arc<Mutex<Option<u16>>>,
    /// How long each signed post is held before the answer (a slow partner).
    hold: StdDuration,
    /// Posts held now, and the most held at once.
    held: Arc<AtomicUsize>,
    most: Arc<AtomicUsize>,
}

async fn sink_post(
    axum::extract::State(s): axum::extract::State<Sink>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> AxumStatus {
    let sig = headers.get(webhook::SIGNATURE_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let now = OffsetDateTime::now_utc().unix_timestamp();
    if webhook::verify(b"partner-secret", sig, &body, now, 300).is_err() {
        return AxumStatus::UNAUTHORIZED;
    }
    s.most.fetch_max(s.held.fetch_add(1, SeqCst) + 1, SeqCst);
    tokio::time::sleep(s.hold).await;
    s.held.fetch_sub(1, SeqCst);
    if let Some(code) = *s.always.lock().unwrap() {
        return AxumStatus::from_u16(code).unwrap();
    }
    {
        let mut f = s.fail_first.lock().unwrap();
        if *f > 0 {
            *f -= 1;
            return AxumStatus::INTERNAL_SERVER_ERROR;
        }
    }
    let event = headers.get(webhook::EVENT_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    s.got.lock().unwrap().push((event, serde_json::from_slice(&body).unwrap()));
    AxumStatus::OK
}

async fn start_sink(sink: Sink) -> String {
    let app = axum::Router::new().route("/hook", axum::routing::post(sink_post)).with_state(sink);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/hook")
}

pub async fn partners_get_signed_webhooks_retried_until_dead_letter(app: TestApp) {
    let province = app.login("province").await;
    let good = Sink { fail_first: Arc::new(Mutex::new(2)), ..Sink::default() };
    let bad = Sink { always: Arc::new(Mutex::new(Some(503))), ..Sink::default() };
    let good_url = start_sink(good.clone()).await;
    let bad_url = start_sink(bad.clone()).await;
    let mut ids = Vec::new();
    for (name, url) in [("吉林日报客户端", &good_url), ("某政务平台", &bad_url)] {
        let r = province.json(Method::POST, "/api/v1/push/endpoints", &json!({"name": name, "url": url})).await;
        assert_eq!(r.status(), StatusCode::CREATED);
        let e: Value = r.json().await.unwrap();
        ids.push(e["id"].as_i64().unwrap());
    }
    // A second endpoint of the same name is refused, in Chinese, and nothing is stored.
    let r = province
        .http
        .post(format!("{}/api/v1/push/endpoints", province.base))
        .header("x-csrf-token", &province.csrf)
        .header("accept-language", "zh-CN")
        .json(&json!({"name": "吉林日报客户端", "url": good_url}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem["detail"], "已有同名合作平台", "{problem}");
    app.exec("update partner_endpoint set secret = 'partner-secret'").await.unwrap();
    let changchun = app.login("changchun").await;
    let r = changchun.json(Method::POST, "/api/v1/push/endpoints", &json!({"name": "x", "url": "http://x"})).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    let p = approved(&province, "poster", "电动自行车充电海报", false).await;
    let push = send(&province, p, &["220000"], &["webhook"]).await;
    let pid = push["id"].as_i64().unwrap();
    let d = dispatcher(&app, None);
    let fanned = d.fan_out_due(firecast::clock::now()).await.unwrap();
    assert_eq!(fanned.partners, 2);
    // Pass after pass, time moving on by an hour each: the good partner succeeds on the third try,
    // the bad one goes to the dead letters after MAX_ATTEMPTS.
    let mut now = firecast::clock::now();
    for _ in 0..(firecast::push::MAX_ATTEMPTS + 2) {
        d.drain(now).await.unwrap();
        now += time::Duration::hours(2);
    }
    let got = good.got.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "delivered once after two failures");
    assert_eq!(got[0].0, format!("push-{pid}-partner-{}", ids[0]));
    assert_eq!(got[0].1["variants"][0]["title"], "电动自行车充电海报");
    let states: Vec<(String, i64)> =
        firecast::push::store::delivery_counts(&app.db, &firecast::org::Scope::province(), pid, 9)
            .await
            .unwrap()
            .into_iter()
            .map(|c| (c.state.as_str().to_owned(), c.n))
            .collect();
    assert!(states.contains(&("delivered".into(), 1)) && states.contains(&("dead".into(), 1)), "{states:?}");
    let attempts = app.scalar(&format!("select max(attempts) from delivery where push_id = {pid}")).await;
    assert_eq!(attempts, firecast::push::MAX_ATTEMPTS);
}

/// However many loops send, at most `WEBHOOK_CONCURRENCY` posts are in flight at once: the limit
/// is the dispatcher's, not each loop's.
pub async fn webhook_posts_in_flight_keep_to_one_limit_over_both_loops(app: TestApp) {
    use firecast::push::delivery::dispatch::WEBHOOK_CONCURRENCY;
    let province = app.login("province").await;
    let partner = Sink { hold: StdDuration::from_millis(100), ..Sink::default() };
    let url = start_sink(partner.clone()).await;
    let now = firecast::clock::now();
    for i in 0..300 {
        firecast::push::store::insert_endpoint(&app.db, &format!("合作平台{i}"), &url, "partner-secret", "/22/", now)
            .await
            .unwrap();
    }
    let mut pushes = Vec::new();
    for title in ["冬季取暖安全", "电动自行车充电"] {
        let p = approved(&province, "tip", title, false).await;
        pushes.push(send(&province, p, &["220000"], &["webhook"]).await["id"].as_i64().unwrap());
    }
    let d = dispatcher(&app, None);
    assert_eq!(d.fan_out_due(firecast::clock::now()).await.unwrap().partners, 600);
    // 600 due: one loop claims a batch of 500, the other the last 100, and both post at once.
    let pass = d.drain_channel(firecast::push::Channel::Webhook, 2, firecast::clock::now()).await.unwrap();
    assert_eq!(pass.delivered, 600);
    let most = partner.most.load(SeqCst);
    assert!(most <= WEBHOOK_CONCURRENCY, "{most} posts in flight at once");
    assert!(most > WEBHOOK_CONCURRENCY / 2, "posts go side by side: at most {most} at once");
    // Each push is closed as the results of its last deliveries are recorded, not left open for
    // a later claim to find with nothing to send.
    let open = format!("select count(*) from push where id in ({}, {}) and direct_open", pushes[0], pushes[1]);
    assert_eq!(app.scalar(&open).await, 0);
}

pub async fn a_push_with_nothing_due_is_passed_over_for_a_second(app: TestApp) {
    use firecast::push::Channel::Webhook;
    let province = app.login("province").await;
    let sink = Sink { fail_first: Arc::new(Mutex::new(1)), ..Sink::default() };
    let url = start_sink(sink.clone()).await;
    let made =
        province.json(Method::POST, "/api/v1/push/endpoints", &json!({"name": "吉林日报客户端", "url": url})).await;
    assert_eq!(made.status(), StatusCode::CREATED);
    app.exec("update partner_endpoint set secret = 'partner-secret'").await.unwrap();
    let tip = approved(&province, "tip", "冬季取暖安全提示", false).await;
    let pid = send(&province, tip, &["220000"], &["webhook"]).await["id"].as_i64().unwrap();
    let (a, b) = (dispatcher(&app, None), dispatcher(&app, None));
    assert_eq!(a.fan_out_due(firecast::clock::now()).await.unwrap().partners, 1);
    let t = firecast::clock::now();
    let rows = a.claim(Webhook, t).await.unwrap();
    assert_eq!(rows.len(), 1);
    // In flight with A: neither finds it due, and both note the push as waiting.
    assert!(a.claim(Webhook, t).await.unwrap().is_empty());
    assert!(b.claim(Webhook, t).await.unwrap().is_empty());
    // A's post fails and is to be retried; its retry falls due at once.
    let pass = a.send(Webhook, rows, t).await.unwrap();
    assert_eq!((pass.handled, pass.delivered), (1, 0));
    let due = format!("update delivery set next_at = $1 where push_id = {pid} and state = 'pending'");
    set_time(&app, &due, t).await;
    // B, which did not record that retry, passes the push over until its second is up; A looks
    // again at once.
    assert!(b.claim(Webhook, t).await.unwrap().is_empty(), "B passes the push over");
    let again = a.claim(Webhook, t).await.unwrap();
    assert_eq!(again.len(), 1, "A's own retry brings the push back");
    assert_eq!(again[0].attempts, 2);
    // Handed back as if A had stopped: a second later, B takes it.
    let back = format!("update delivery set state = 'pending', next_at = $1 where push_id = {pid}");
    set_time(&app, &back, t).await;
    assert!(b.claim(Webhook, t).await.unwrap().is_empty());
    let later = b.claim(Webhook, t + time::Duration::seconds(2)).await.unwrap();
    assert_eq!(later.len(), 1, "B looks again after its second");
    let pass = b.send(Webhook, later, t).await.unwrap();
    assert_eq!(pass.delivered, 1);
    assert_eq!(sink.got.lock().unwrap().len(), 1);
    // Done: the next claim closes the push, which is then not looked at again.
    assert!(b.claim(Webhook, t + time::Duration::seconds(4)).await.unwrap().is_empty());
    assert_eq!(app.scalar(&format!("select count(*) from push where id = {pid} and direct_open")).await, 0);
}

pub async fn text_messages_go_through_the_provider_outside_quiet_hours(app: TestApp) {
    let fake = FakeSms::start("AKIDtest", "secret-key").await;
    let app = app.reconfigured(|c| fake.configure(c)).await;
    let mut tokens = Vec::new();
    for phone in ["13900000001", "13900000002", "13900000003"] {
        let (status, s) =
            subscribe(&app, json!({"region_code": HUAYANG, "channel": "sms", "consent": true, "phone": phone})).await;
        assert_eq!(status, StatusCode::CREATED);
        let token = s["token"].as_str().unwrap().to_owned();
        prove(&app, &token, &fake, &format!("+86{phone}")).await;
        tokens.push(token);
    }
    let codes = fake.sent().len();
    fake.fail_numbers([("+8613900000003", "InvalidParameterValue.IncorrectPhoneNumber")]);
    let province = app.login("province").await;
    let tip = approved(&province, "tip", "燃气安全", false).await;
    let pid = send(&province, tip, &["220102"], &["sms"]).await["id"].as_i64().unwrap();
    let d = dispatcher(&app, Some(&fake));
    // At 23:30 nothing goes: the messages wait for 08:00.
    let night = datetime!(2030-03-05 15:30 UTC);
    d.fan_out_due(night).await.unwrap();
    d.drain(night).await.unwrap();
    assert_eq!(fake.sent().len(), codes, "no tip at night");
    let waiting =
        app.scalar(&format!("select count(*) from delivery where push_id = {pid} and state = 'pending'")).await;
    assert_eq!(waiting, 3);
    // A throttle answer is retried; the next morning they go, each with its own unsubscribe link.
    fake.throttle_next(1);
    let morning = datetime!(2030-03-06 00:00:30 UTC);
    for _ in 0..3 {
        d.drain(morning + time::Duration::minutes(10)).await.unwrap();
    }
    let sent: Vec<_> = fake.sent().into_iter().skip(codes).collect();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(sent.iter().any(|(phone, params)| phone == "+8613900000001"
        && params[0].contains("冬季取暖")
        && tokens.iter().any(|t| params[1].ends_with(&format!("/p/u/{t}")))));
    let failed = app.scalar(&format!("select count(*) from delivery where push_id = {pid} and state = 'failed'")).await;
    assert_eq!(failed, 1, "a refused number is a failed delivery, not a retry");
    let refused = fake.refused();
    assert!(refused.iter().all(|r| r == "RequestLimitExceeded"), "every request was correctly signed: {refused:?}");
}

/// The worker binary on the test's database, sending to the fake provider with no quiet hours;
/// with `nats`, through the stream of that server and prefix.
fn worker(app: &TestApp, fake: &FakeSms, nats: Option<(&str, &str)>) -> std::process::Child {
    let key_file = std::env::temp_dir().join(format!("firecast-{}.key", std::process::id()));
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_firecast"));
    cmd.arg("worker")
        .env("FIRECAST_DATABASE_URL", &app.url)
        .env("FIRECAST_DATA_KEY_FILE", key_file)
        .env("FIRECAST_SMS_QUIET_HOURS", "none")
        .env("FIRECAST_SMS_ENDPOINT", fake.endpoint())
        .env("FIRECAST_SMS_SECRET_ID", "AKIDtest")
        .env("FIRECAST_SMS_SECRET_KEY", "secret-key")
        .env("FIRECAST_SMS_APP_ID", "1400000001")
        .env("FIRECAST_SMS_SIGN_NAME", "吉林消防")
        .env("FIRECAST_SMS_TEMPLATE_ID", "100001")
        .env("FIRECAST_SMS_PER_SECOND", "400")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    if let Some((url, prefix)) = nats {
        cmd.env("FIRECAST_NATS_URL", url).env("FIRECAST_NATS_PREFIX", prefix);
    }
    cmd.spawn().unwrap()
}

/// Runs one update binding a time (stored the way the store stores times on each backend).
async fn set_time(app: &TestApp, sql: &str, at: OffsetDateTime) {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    match &app.db {
        firecast::db::Db::Sqlite(p, _) => sqlx::query(sql).bind(at).execute(p).await.map(|_| ()).unwrap(),
        firecast::db::Db::Postgres(p) => sqlx::query(sql).bind(at).execute(p).await.map(|_| ()).unwrap(),
    }
}

async fn wait_for(app: &TestApp, sql: &str, want: i64, secs: u64) -> i64 {
    let mut got = 0;
    for _ in 0..secs * 10 {
        got = app.scalar(sql).await;
        if got >= want {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    got
}

pub async fn a_worker_killed_mid_push_resumes_without_losing_or_doubling(app: TestApp) {
    killed_mid_push(app, None).await;
}

/// The same through JetStream: the killed worker's batch comes round again after the ack wait,
/// and sends only what its claim still holds.
pub async fn a_worker_killed_mid_batch_on_jetstream_loses_nothing_and_doubles_at_most_its_batch(app: TestApp) {
    let url = std::env::var("FIRECAST_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into());
    if async_nats::connect(&url).await.is_err() {
        eprintln!("skipped: no NATS server answers at {url} (set FIRECAST_TEST_NATS_URL)");
        return;
    }
    let prefix = format!("_K{}_{}", std::process::id(), app.backend as u8);
    killed_mid_push(app, Some((&url, &prefix))).await;
}

async fn killed_mid_push(app: TestApp, nats: Option<(&str, &str)>) {
    let inbox = 20_000;
    let sms = 1_500;
    firecast::push::store::generate_subscribers(&app.db, "/22/2201/", inbox, 0, 0, &[], firecast::clock::now())
        .await
        .unwrap();
    text_households(&app, "137", sms).await;
    let fake = FakeSms::start("AKIDtest", "secret-key").await;
    let province = app.login("province").await;
    let tip = approved(&province, "tip", "冬季防火", false).await;
    let pid = send(&province, tip, &["220100"], &["inbox", "sms"]).await["id"].as_i64().unwrap();

    let mut w = worker(&app, &fake, nats);
    // Kill it hard once some messages went out.
    for _ in 0..300 {
        if fake.sent().len() >= 300 {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    w.kill().unwrap();
    w.wait().unwrap();
    let before = fake.sent().len();
    assert!(before >= 300 && before < sms as usize, "killed mid-push after {before} messages");
    // The claims of the dead worker run out (here: at once), and a new worker finishes.
    set_time(&app, "update delivery set next_at = $1 where state = 'sending'", datetime!(2020-01-01 00:00 UTC)).await;
    let mut w = worker(&app, &fake, nats);
    let done = wait_for(
        &app,
        &format!("select count(*) from delivery where push_id = {pid} and channel = 'sms' and state = 'delivered'"),
        sms,
        120,
    )
    .await;
    w.kill().unwrap();
    w.wait().unwrap();
    assert_eq!(done, sms, "every message delivered");
    let inboxes =
        app.scalar(&format!("select count(*) from delivery where push_id = {pid} and channel = 'inbox'")).await;
    assert_eq!(inboxes, inbox, "in-app deliveries exactly once");
    let sent = fake.sent();
    let mut phones: Vec<&str> = sent.iter().map(|(p, _)| p.as_str()).collect();
    phones.sort_unstable();
    phones.dedup();
    assert_eq!(phones.len() as i64, sms, "nobody lost");
    let doubles = sent.len() as i64 - sms;
    let counted = app.scalar(&format!("select resent_count from push where id = {pid}")).await;
    assert!(
        doubles <= firecast::push::delivery::dispatch::BATCH,
        "duplicates bounded by the batch in flight: {doubles}"
    );
    assert!(counted >= doubles, "every possible duplicate is counted: {counted} ≥ {doubles}");
}

pub async fn workers_share_a_jetstream_queue(app: TestApp) {
    let url = std::env::var("FIRECAST_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into());
    if async_nats::connect(&url).await.is_err() {
        eprintln!("skipped: no NATS server answers at {url} (set FIRECAST_TEST_NATS_URL)");
        return;
    }
    let fake = FakeSms::start("AKIDtest", "secret-key").await;
    let n = 600;
    text_households(&app, "136", n).await;
    let province = app.login("province").await;
    let tip = approved(&province, "tip", "队列测试", false).await;
    let pid = send(&province, tip, &["220102"], &["sms"]).await["id"].as_i64().unwrap();
    // A stream of its own for this test, two dispatchers consuming it.
    let prefix = format!("_T{}_{pid}_{}", std::process::id(), app.backend as u8);
    let q = firecast::push::delivery::queue::Queue::connect(&url, &prefix).await.unwrap();
    // Workers send at the time of day they run: no quiet hours here, whenever the test runs.
    let around_the_clock = || {
        let mut s = settings(Some(&fake));
        s.quiet = QuietHours::parse("none").unwrap();
        Dispatcher::new(app.db.clone(), Arc::new(key()), &s).unwrap()
    };
    let (a, b) = (around_the_clock(), around_the_clock());
    a.fan_out_due(DAYTIME).await.unwrap();
    // Feed the queue by hand (claims at daytime), then let both consume.
    loop {
        let rows = a.claim(firecast::push::Channel::Sms, DAYTIME).await.unwrap();
        if rows.is_empty() {
            break;
        }
        q.publish(&firecast::push::delivery::queue::Batch { channel: "sms".into(), rows }).await.unwrap();
    }
    let (qa, qb) = (q.clone(), q.clone());
    let ta = tokio::spawn(async move { qa.consume_once(&a, firecast::push::Channel::Sms, 1).await.unwrap() });
    let tb = tokio::spawn(async move { qb.consume_once(&b, firecast::push::Channel::Sms, 1).await.unwrap() });
    let (ha, hb) = (ta.await.unwrap(), tb.await.unwrap());
    let mut rest = 0;
    let c = around_the_clock();
    for _ in 0..20 {
        rest += q.consume_once(&c, firecast::push::Channel::Sms, 8).await.unwrap();
    }
    assert!(ha > 0 && hb > 0, "both workers took batches: {ha} and {hb}");
    assert_eq!(ha + hb + rest, n as usize);
    let delivered =
        app.scalar(&format!("select count(*) from delivery where push_id = {pid} and state = 'delivered'")).await;
    assert_eq!(delivered, n);
    assert_eq!(fake.sent().len(), n as usize, "each message sent once");
}

pub async fn no_level_changes_a_push_or_product_it_does_not_own(app: TestApp) {
    let province = app.login("province").await;
    let changchun = app.login("changchun").await;
    let changchun_admin = app.login("changchun.admin").await;
    let yanbian = app.login("yanbian").await;
    let corps_tip = approved(&province, "tip", "冬季取暖安全提示", false).await;
    let city_tip = product(&changchun, "tip", "长春冰雪节防火提示", "冰雪节期间注意用火用电安全。", false).await;

    // Products: a detachment reviews neither the corps' nor a sibling city's; the corps reviews
    // a city's.
    for (who, id, state) in [(&changchun, corps_tip, "retired"), (&yanbian, city_tip, "approved")] {
        let r = who.json(Method::POST, &format!("/api/v1/push/products/{id}/review"), &json!({"state": state})).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "product {id} to {state}");
    }
    let page = changchun.get(&format!("/pushes/products/{corps_tip}")).await.text().await.unwrap();
    assert!(
        page.contains("冬季取暖安全提示") && !page.contains("id=\"retire\""),
        "no review buttons for a product from above"
    );
    let own = province.get(&format!("/pushes/products/{corps_tip}")).await.text().await.unwrap();
    assert!(own.contains("id=\"retire\""), "the owner sees them");
    let r = province
        .json(Method::POST, &format!("/api/v1/push/products/{city_tip}/review"), &json!({"state": "approved"}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        app.scalar(&format!("select count(*) from push_product where id = {corps_tip} and state = 'approved'")).await,
        1
    );

    // Pushes: a city's admin cannot recall the corps' push (it would stop every city); the city's
    // own push, yes.
    let from_above = send(&province, corps_tip, &["220100", "222400"], &[]).await["id"].as_i64().unwrap();
    let r = changchun_admin
        .json(Method::POST, &format!("/api/v1/pushes/{from_above}/recall"), &json!({"reason": "x"}))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let view = changchun_admin.get(&format!("/pushes/{from_above}")).await.text().await.unwrap();
    assert!(
        view.contains("冬季取暖安全提示") && !view.contains("id=\"recall\""),
        "no recall button for a push from above"
    );
    // The deadlines per level, named, not a bare list of numbers; each wraps as a whole.
    assert!(
        view.contains(
            "<span class=\"pu-deadline\">市（州）24</span> · <span class=\"pu-deadline\">县（市、区）48</span> · \
             <span class=\"pu-deadline\">村（社区）72</span>"
        ),
        "{view}"
    );
    assert_eq!(
        app.scalar(&format!("select count(*) from push where id = {from_above} and state = 'recalled'")).await,
        0
    );
    let own = send(&changchun, city_tip, &["220100"], &[]).await["id"].as_i64().unwrap();
    let r = changchun_admin
        .json(Method::POST, &format!("/api/v1/pushes/{own}/recall"), &json!({"reason": "更换版本"}))
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());

    // Tasks: a line department's liaison at the city level reads pushes but does not sign or
    // forward the detachment's node.
    let admin = app.login("admin").await;
    let r = admin
        .json(
            Method::POST,
            "/api/v1/units",
            &json!({"name": "长春市教育局", "kind": "department", "region_code": "220100"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let unit = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let user = json!({"username": "cc.edu", "display_name": "教育局联络员", "role": "department_liaison", "unit_id": unit, "password": PASSWORD});
    let r = admin.json(Method::POST, "/api/v1/users", &user).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let liaison = app.login("cc.edu").await;
    let node = task_for(&changchun, from_above).await;
    for action in ["sign", "forward"] {
        let r = liaison.json(Method::POST, &format!("/api/v1/push/nodes/{node}/{action}"), &json!({})).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{action}");
    }
    assert_eq!(app.scalar(&format!("select count(*) from push_node where id = {node} and state = 'pending'")).await, 1);
}

pub async fn one_address_subscribes_a_few_households_an_hour_however_fast(app: TestApp) {
    let c = app.anonymous().await;
    let answers = at_once(12, |_| {
        let c = c.clone();
        async move {
            let body = json!({"region_code": HUAYANG, "channel": "inbox", "consent": true});
            c.json(Method::POST, "/api/v1/public/push/subscriptions", &body).await.status()
        }
    })
    .await;
    let most = usize::try_from(firecast::push::SUBSCRIPTIONS_PER_HOUR).unwrap();
    assert_eq!(answers.iter().filter(|s| **s == StatusCode::CREATED).count(), most, "{answers:?}");
    assert_eq!(answers.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count(), 12 - most, "{answers:?}");
    let stored = app.scalar("select count(*) from subscriber where ip_hash <> ''").await;
    assert_eq!(stored, firecast::push::SUBSCRIPTIONS_PER_HOUR);
    // The page's form says it in Chinese.
    let page = c.form("/p/subscribe", &[("region_code", HUAYANG), ("channel", "inbox"), ("consent", "on")]).await;
    assert_eq!(page.status(), StatusCode::TOO_MANY_REQUESTS);
}

/// Runs `firecast archive` on the test's database; its exit status and output.
fn archive_cli(app: &TestApp, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_firecast"))
        .arg("archive")
        .args(args)
        .env("FIRECAST_DATABASE_URL", &app.url)
        .env_remove("FIRECAST_LANG")
        .output()
        .unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

pub async fn finished_pushes_leave_the_live_table_and_keep_their_figures(app: TestApp) {
    firecast::push::store::generate_subscribers(&app.db, "/22/2201/", 3_000, 0, 0, &[], firecast::clock::now())
        .await
        .unwrap();
    text_households(&app, "135", 20).await;
    let province = app.login("province").await;
    let tip = approved(&province, "tip", "归档测试", false).await;
    let done = send(&province, tip, &["220100"], &["inbox"]).await["id"].as_i64().unwrap();
    let other = approved(&province, "tip", "短信未发完", false).await;
    let waiting = send(&province, other, &["220102"], &["sms"]).await["id"].as_i64().unwrap();
    dispatcher(&app, None).fan_out_due(firecast::clock::now()).await.unwrap();
    firecast::push::store::mark_some_read(&app.db, done, 3, firecast::clock::now()).await.unwrap();
    let live = |id: i64| format!("select count(*) from delivery where push_id = {id}");
    let (rows, waiting_rows) = (app.scalar(&live(done)).await, app.scalar(&live(waiting)).await);
    assert!(rows >= 3_000 && waiting_rows >= 20, "{rows} and {waiting_rows} deliveries");
    // Both pushes went out 100 days ago; the text messages still wait (no provider).
    let long_ago = firecast::clock::now() - time::Duration::days(100);
    // The push's own figures, and the read rate of the days around it (the server fans out the
    // demo's pushes of this week meanwhile).
    let figures = || async {
        let detail: Value = province.get(&format!("/api/v1/pushes/{done}")).await.json().await.unwrap();
        let (from, to) = (long_ago - time::Duration::days(1), long_ago + time::Duration::days(1));
        let reads =
            firecast::push::store::read_rate(&app.db, &firecast::org::Scope::province(), from, to).await.unwrap();
        (detail["deliveries"].clone(), reads)
    };
    set_time(&app, &format!("update push set fanned_out_at = $1 where id in ({done}, {waiting})"), long_ago).await;
    let before = figures().await;
    assert!(before.0.as_array().unwrap().len() > 1 && before.1.0 == rows && before.1.1 > 0, "{before:?}");

    // A day whose pushes residents still see in their inboxes is refused.
    let (ok, said) = archive_cli(&app, &["--before", &firecast::clock::show_date(firecast::clock::today())]);
    assert!(!ok && said.contains("错误：居民收件箱仍显示近90天的推送，归档截止日期最晚可填"), "{said}");
    let (ok, said) = archive_cli(&app, &["--before", "2026-13-01"]);
    assert!(!ok && said.contains("“2026-13-01”不是日期"), "{said}");
    assert_eq!(app.scalar(&live(done)).await, rows, "nothing archived");

    let day = firecast::clock::show_date(
        (firecast::clock::now() - time::Duration::days(95)).to_offset(firecast::clock::CST).date(),
    );
    let (ok, said) = archive_cli(&app, &["--before", &day]);
    assert!(ok, "{said}");
    assert!(said.contains("已归档") && said.contains(&format!("次推送，{rows}条投递记录已汇总。")), "{said}");
    assert_eq!(app.scalar(&live(done)).await, 0, "the finished push left the live table");
    assert_eq!(app.scalar(&live(waiting)).await, waiting_rows, "the push still sending stays");
    assert_eq!(
        app.scalar(&format!("select count(*) from push where id = {done} and archived_at is not null")).await,
        1
    );
    assert_eq!(figures().await, before, "the push's figures and the read rate are the same from the tally");
    if matches!(app.db, firecast::db::Db::Postgres(_)) {
        let gone = app.scalar(&format!("select count(*) from pg_class where relname = 'delivery_p{done}'")).await;
        let kept = app.scalar(&format!("select count(*) from pg_class where relname = 'delivery_p{waiting}'")).await;
        assert_eq!((gone, kept), (0, 1), "the finished push's partition was dropped in one step");
    }
    let (ok, said) = archive_cli(&app, &["--before", &day]);
    assert!(ok && said.contains("已归档0次推送"), "twice archives nothing more: {said}");

    // Pushes after the archive still fan out into (partitions of) the live table.
    let next = approved(&province, "tip", "归档之后", false).await;
    let after = send(&province, next, &["220100"], &["inbox"]).await["id"].as_i64().unwrap();
    dispatcher(&app, None).fan_out_due(firecast::clock::now()).await.unwrap();
    assert!(app.scalar(&live(after)).await >= 3_000);
}

crate::on_both_backends!(
    one_address_subscribes_a_few_households_an_hour_however_fast,
    no_level_changes_a_push_or_product_it_does_not_own,
    products_are_checked_and_reviewed_before_they_are_pushed,
    a_push_goes_down_to_a_community_with_sign_off_at_every_level,
    residents_get_tips_in_their_inbox_once_and_under_the_weekly_cap,
    partners_get_signed_webhooks_retried_until_dead_letter,
    webhook_posts_in_flight_keep_to_one_limit_over_both_loops,
    a_push_with_nothing_due_is_passed_over_for_a_second,
    text_messages_go_through_the_provider_outside_quiet_hours,
    a_worker_killed_mid_push_resumes_without_losing_or_doubling,
    a_worker_killed_mid_batch_on_jetstream_loses_nothing_and_doubles_at_most_its_batch,
    workers_share_a_jetstream_queue,
    finished_pushes_leave_the_live_table_and_keep_their_figures,
);
