//! Livestreams: a broadcast counts its page's viewers once a day by the device cookie, takes
//! comments that show only once staff approve them, takes the views platforms report with their
//! evidence, and files its views for review when it finishes; every write checks the caller runs
//! that broadcast; the demo's 2024 livestream's 1,000,000 views are the platforms' reported records.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use crate::helpers::{Client, TestApp};

fn at(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::from_hms(8, 0, 0).unwrap());
    format!("{:04}-{:02}-{:02} {:02}:{:02}", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute())
}

async fn detail(c: &Client, id: i64) -> Value {
    c.get(&format!("/api/v1/livestreams/{id}")).await.json().await.unwrap()
}

async fn comment(c: &Client, id: i64, nickname: &str, body: &str) -> reqwest::Response {
    c.json(
        Method::POST,
        &format!("/api/v1/public/livestreams/{id}/comments"),
        &json!({"nickname": nickname, "body": body}),
    )
    .await
}

pub async fn a_broadcast_counts_viewers_moderates_comments_and_files_its_views(app: TestApp) {
    let province = app.login("province").await;
    let now = OffsetDateTime::now_utc();
    let good = json!({"title": "冬季防火直播", "region_code": "220000", "stream_url": "https://live.example.cn/jl/index.m3u8",
        "quiz_slug": "zhixiao-demo-2026", "starts_at": at(now - Duration::minutes(10)), "ends_at": at(now + Duration::hours(1))});
    for (change, field) in [
        (json!({"stream_url": "javascript:alert(1)"}), "stream_url"),
        (json!({"quiz_slug": "no-such-quiz"}), "quiz_slug"),
        (json!({"ends_at": at(now - Duration::hours(1))}), "ends_at"),
        (json!({"region_code": "999999"}), "region_code"),
    ] {
        let mut body = good.clone();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = province.json(Method::POST, "/api/v1/livestreams", &body).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{change}");
        assert_eq!(r.json::<Value>().await.unwrap()["field"], field, "{change}");
    }
    let grid = app.login("grid").await;
    assert_eq!(grid.json(Method::POST, "/api/v1/livestreams", &good).await.status(), StatusCode::FORBIDDEN);
    let r = province.json(Method::POST, "/api/v1/livestreams", &good).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<Value>().await.unwrap()["livestream"]["id"].as_i64().unwrap();

    // A viewer counts once a day, however often they open the page; another device counts again.
    let viewer = app.anonymous().await;
    let page = viewer.get(&format!("/p/streams/{id}")).await.text().await.unwrap();
    assert!(page.contains("<video") && page.contains("index.m3u8"), "an HLS stream plays in the page");
    assert!(page.contains("/p/quiz/zhixiao-demo-2026"), "the quiz sits beside the stream");
    viewer.get(&format!("/p/streams/{id}")).await;
    app.anonymous().await.get(&format!("/p/streams/{id}")).await;
    assert_eq!(detail(&province, id).await["livestream"]["viewers"], 2);
    let kept = app.texts(&format!("select viewer from livestream_viewer where livestream_id = {id}")).await;
    assert!(kept.iter().all(|v| v.len() == 64), "only keyed hashes of the cookies are kept: {kept:?}");

    // Comments wait for staff; shown ones appear, hidden ones never do.
    let r = comment(&viewer, id, "", "有问题").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "nickname");
    assert_eq!(comment(&viewer, id, "李", &"长".repeat(201)).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let good_one: Value = comment(&viewer, id, "长春市民", "电暖器晚上要拔插头吗？").await.json().await.unwrap();
    let bad_one: Value = comment(&viewer, id, "路人", "<script>alert(1)</script>广告").await.json().await.unwrap();
    let page = viewer.get(&format!("/p/streams/{id}")).await.text().await.unwrap();
    assert!(!page.contains("电暖器晚上"), "a comment waits for staff");
    let moderate = |c: &Client, comment: &Value, state: &str| {
        let (c, path, state) =
            (c.clone(), format!("/api/v1/livestreams/{id}/comments/{}", comment["id"]), state.to_owned());
        async move { c.json(Method::PUT, &path, &json!({"state": state})).await.status() }
    };
    assert_eq!(moderate(&province, &good_one, "shown").await, StatusCode::NO_CONTENT);
    assert_eq!(moderate(&province, &bad_one, "hidden").await, StatusCode::NO_CONTENT);
    assert_eq!(moderate(&province, &bad_one, "waiting").await, StatusCode::UNPROCESSABLE_ENTITY);
    let page = viewer.get(&format!("/p/streams/{id}")).await.text().await.unwrap();
    assert!(page.contains("电暖器晚上") && !page.contains("广告") && !page.contains("<script>alert"));
    // Another broadcast's comment id is not this one's.
    let other = app.scalar("select min(id) from livestream_comment").await;
    let r = province
        .json(Method::PUT, &format!("/api/v1/livestreams/{id}/comments/{other}"), &json!({"state": "shown"}))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // Scope: a detachment does not run the province's broadcast.
    let yanbian = app.login("yanbian").await;
    assert_eq!(moderate(&yanbian, &good_one, "hidden").await, StatusCode::NOT_FOUND);
    assert_eq!(
        yanbian.json(Method::POST, &format!("/api/v1/livestreams/{id}/finish"), &json!({})).await.status(),
        StatusCode::NOT_FOUND
    );

    // Views a platform reported need their evidence, and are kept apart.
    let r = province
        .json(
            Method::POST,
            &format!("/api/v1/livestreams/{id}/reported-views"),
            &json!({"platform": "抖音", "views": 5000, "evidence": " "}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = province
        .json(
            Method::POST,
            &format!("/api/v1/livestreams/{id}/reported-views"),
            &json!({"platform": "抖音", "views": 5000, "evidence": "抖音后台截图"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let d: Value = r.json().await.unwrap();
    assert_eq!((d["livestream"]["viewers"].as_i64(), d["livestream"]["reported"].as_i64()), (Some(2), Some(5000)));

    // Finishing files the views for review, saying which part the platform reported.
    let r = province.json(Method::POST, &format!("/api/v1/livestreams/{id}/finish"), &json!({})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let record = r.json::<Value>().await.unwrap()["activity_id"].as_i64().expect("a campaign runs today in the demo");
    assert_eq!(
        app.texts(&format!("select metric_code || '=' || value from activity_figure where activity_id = {record}"))
            .await,
        ["livestream_views=5002"]
    );
    let description = app.texts(&format!("select description from activity where id = {record}")).await.concat();
    assert!(
        description.contains("观看2人次") && description.contains("抖音报送观看5000人次（凭证：抖音后台截图）"),
        "{description}"
    );
    assert_eq!(comment(&viewer, id, "迟到", "还有回放吗").await.status(), StatusCode::CONFLICT);
    app.anonymous().await.get(&format!("/p/streams/{id}")).await;
    assert_eq!(detail(&province, id).await["livestream"]["viewers"], 2, "a finished broadcast counts no more");
    assert_eq!(
        province.json(Method::POST, &format!("/api/v1/livestreams/{id}/finish"), &json!({})).await.status(),
        StatusCode::CONFLICT
    );
}

pub async fn the_demo_livestream_s_million_views_are_reported_records(app: TestApp) {
    let reported = app
        .scalar("select cast(sum(r.views) as bigint) from livestream_reported r join livestream s on s.id = r.livestream_id where s.state = 'finished'")
        .await;
    assert_eq!(reported, 1_000_000);
    let figure = app
        .scalar("select f.value from activity_figure f join livestream s on s.activity_id = f.activity_id where f.metric_code = 'livestream_views'")
        .await;
    assert_eq!(figure, reported);
    // The broadcast on air waits for its comments on the province's home page.
    let province = app.login("province").await;
    let waiting: Value = province.get("/api/v1/home/waiting").await.json().await.unwrap();
    let line = waiting["items"].as_array().unwrap().iter().find(|w| w["what"] == "条直播留言待审核").cloned();
    assert_eq!(
        line.map(|l| (l["count"].as_i64(), l["link"].as_str().map(str::to_owned))),
        Some((Some(4), Some("/streams/2#comments".to_owned()))),
        "{waiting}"
    );
}

crate::on_both_backends!(
    a_broadcast_counts_viewers_moderates_comments_and_files_its_views,
    the_demo_livestream_s_million_views_are_reported_records,
);
