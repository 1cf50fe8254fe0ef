//! Public events: an organiser sets one up with its channel links; residents register through a
//! channel's link (places, then the waiting list, one registration a number, a budget per
//! address); a cancellation moves the waiting list up; tickets are checked in at the door by code;
//! finishing files registrations and attendance for review; every write checks the caller's
//! scope; the iCalendar feed parses; the demo carnival's 1,046 registrations are records.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use crate::helpers::{Client, TestApp, at_once, csrf_in};

/// A time as the API takes it, in China Standard Time.
fn at(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::from_hms(8, 0, 0).unwrap());
    format!("{:04}-{:02}-{:02} {:02}:{:02}", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute())
}

/// An event in 南关 starting in an hour (tickets can be checked already), set up by `c`.
async fn new_event(c: &Client, capacity: i64) -> Value {
    let now = OffsetDateTime::now_utc();
    let body = json!({"kind": "open_day", "title": "消防站开放日", "region_code": "220102", "venue": "南关区消防救援站",
        "starts_at": at(now + Duration::hours(1)), "ends_at": at(now + Duration::hours(4)), "capacity": capacity});
    let r = c.json(Method::POST, "/api/v1/public-events", &body).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    r.json().await.unwrap()
}

/// The token of an event's channel.
fn token(detail: &Value, channel: &str) -> String {
    let c = detail["channels"].as_array().unwrap().iter().find(|c| c["channel"] == channel).expect(channel);
    c["token"].as_str().unwrap().to_owned()
}

/// A POST asking for Chinese refusals.
async fn post_zh(c: &Client, path: &str, body: &Value) -> reqwest::Response {
    c.http
        .post(format!("{}{path}", c.base))
        .header("x-csrf-token", &c.csrf)
        .header("accept-language", "zh-CN")
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn register(c: &Client, event: i64, name: &str, phone: &str, from: &str) -> reqwest::Response {
    let body = json!({"name": name, "phone": phone, "from": from, "consent": true});
    post_zh(c, &format!("/api/v1/public/events/{event}/registrations"), &body).await
}

async fn registered(c: &Client, event: i64, name: &str, phone: &str, from: &str) -> Value {
    let r = register(c, event, name, phone, from).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    r.json().await.unwrap()
}

async fn check_in(c: &Client, event: i64, code: &str) -> reqwest::Response {
    post_zh(c, &format!("/api/v1/public-events/{event}/check-ins"), &json!({"code": code})).await
}

async fn detail(c: &Client, event: i64) -> Value {
    c.get(&format!("/api/v1/public-events/{event}")).await.json().await.unwrap()
}

pub async fn a_resident_registers_from_a_channel_waits_moves_up_and_is_checked_in(app: TestApp) {
    let province = app.login("province").await;
    let created = new_event(&province, 2).await;
    let id = created["event"]["id"].as_i64().unwrap();
    let channels: Vec<&str> =
        created["channels"].as_array().unwrap().iter().map(|c| c["channel"].as_str().unwrap()).collect();
    assert_eq!(channels, ["site", "weibo", "wechat", "douyin"]);
    let douyin = token(&created, "douyin");

    // Two places, then the waiting list; all three came through the 抖音 link.
    let anon = app.anonymous().await;
    let a = registered(&anon, id, "金美玉", "139 0433 1234", &douyin).await;
    let b = registered(&anon, id, "李华", "13800000002", &douyin).await;
    let c = registered(&anon, id, "王强", "13800000003", &douyin).await;
    let statuses: Vec<&str> = [&a, &b, &c].iter().map(|r| r["ticket"]["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["confirmed", "confirmed", "waitlisted"]);
    assert_eq!(a["ticket"]["name"], "金美玉");
    assert_eq!(a["ticket"]["phone_masked"], "139****1234");
    assert!(a["ticket"].get("ticket").is_none(), "the ticket's secret is only in its link");
    // Names and numbers are sealed at rest.
    let stored =
        app.texts(&format!("select name_sealed || phone_sealed from registration where event_id = {id}")).await;
    assert!(stored.iter().all(|s| !s.contains("金美玉") && !s.contains("13904331234")), "{stored:?}");

    // One registration a number; consent is needed; refusals speak Chinese.
    let again = register(&anon, id, "金美玉", "13904331234", "").await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert!(again.text().await.unwrap().contains("已经报过名"));
    let r = post_zh(
        &anon,
        &format!("/api/v1/public/events/{id}/registrations"),
        &json!({"name": "赵六", "phone": "13800000009"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem["field"], "consent");
    assert!(problem["detail"].as_str().unwrap().contains("我同意"), "{problem}");

    // B cancels from the ticket page; C moves up and its ticket shows the QR code.
    let b_url = b["ticket_url"].as_str().unwrap();
    let b_path = &b_url[b_url.find("/p/tickets/").unwrap()..];
    let page = anon.get(b_path).await.text().await.unwrap();
    assert!(page.contains("报名成功") && page.contains("<svg"), "a confirmed ticket shows its QR code");
    let resident = crate::helpers::Client { csrf: csrf_in(&page), ..anon.clone() };
    let r = resident.form(&format!("{b_path}/cancel"), &[]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("已取消报名"));
    let c_url = c["ticket_url"].as_str().unwrap();
    let c_page = anon.get(&c_url[c_url.find("/p/tickets/").unwrap()..]).await.text().await.unwrap();
    assert!(c_page.contains("报名成功"), "the first on the waiting list moved up");
    let d = detail(&province, id).await;
    assert_eq!((d["event"]["confirmed"].as_i64(), d["event"]["waitlisted"].as_i64()), (Some(2), Some(0)));
    let moved =
        d["registrations"].as_array().unwrap().iter().find(|r| r["phone_masked"] == "138****0003").unwrap().clone();
    assert!(moved["moved_up_at"].is_string());
    // A second cancellation is refused.
    let r = resident.form(&format!("{b_path}/cancel"), &[]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);

    // The door: C's code as read out (lower case, with the dash) checks in once.
    let code = c["ticket"]["code"].as_str().unwrap();
    let spoken = format!("{}-{}", &code[..4], &code[4..]).to_lowercase();
    let nanguan = app.login("nanguan").await;
    let r = check_in(&nanguan, id, &spoken).await;
    assert_eq!(r.status(), StatusCode::OK, "staff of the area check tickets of an event held there");
    assert_eq!(r.json::<Value>().await.unwrap()["name"], "王强");
    let twice = check_in(&nanguan, id, code).await;
    assert_eq!(twice.status(), StatusCode::CONFLICT);
    assert!(twice.text().await.unwrap().contains("签到"));
    let cancelled = check_in(&province, id, b["ticket"]["code"].as_str().unwrap()).await;
    assert_eq!(cancelled.status(), StatusCode::CONFLICT);
    let unknown = check_in(&province, id, "ZZZZ-ZZZZ").await;
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unknown.text().await.unwrap().contains("ZZZZ-ZZZZ"));

    // The source table: the 抖音 link brought the two who hold places (the cancelled one not counted).
    let d = detail(&province, id).await;
    let row = d["channels"].as_array().unwrap().iter().find(|c| c["channel"] == "douyin").unwrap().clone();
    assert_eq!((row["registered"].as_i64(), row["checked_in"].as_i64()), (Some(2), Some(1)));
    let page = province.get(&format!("/events/{id}")).await.text().await.unwrap();
    assert!(page.contains("各渠道报名人数") && page.contains("抖音"));

    // Scope: 延边 cannot see or touch it; the 南关 brigade may check in but not finish the
    // province's event; a grid worker may check in (the door) but not organise.
    let yanbian = app.login("yanbian").await;
    assert_eq!(check_in(&yanbian, id, code).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        yanbian.json(Method::POST, &format!("/api/v1/public-events/{id}/finish"), &json!({})).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        nanguan.json(Method::POST, &format!("/api/v1/public-events/{id}/finish"), &json!({})).await.status(),
        StatusCode::FORBIDDEN
    );
    let grid = app.login("grid").await;
    let r = grid
        .json(
            Method::POST,
            &format!("/api/v1/public-events/{id}/channels"),
            &json!({"channel": "poster", "label": "楼道"}),
        )
        .await;
    assert!(r.status() == StatusCode::FORBIDDEN || r.status() == StatusCode::NOT_FOUND, "{}", r.status());
    let yjt = app.login("yjt").await;
    assert_eq!(check_in(&yjt, id, code).await.status(), StatusCode::FORBIDDEN);

    // A channel for a partner needs its name; the same one twice is refused.
    let r = province
        .json(Method::POST, &format!("/api/v1/public-events/{id}/channels"), &json!({"channel": "partner"}))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = province
        .json(
            Method::POST,
            &format!("/api/v1/public-events/{id}/channels"),
            &json!({"channel": "partner", "label": "美团"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = province
        .json(
            Method::POST,
            &format!("/api/v1/public-events/{id}/channels"),
            &json!({"channel": "partner", "label": "美团"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);

    // It has not started: it cannot be finished yet. Once under way, finishing files the figures.
    let r = province.json(Method::POST, &format!("/api/v1/public-events/{id}/finish"), &json!({})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let started = if app.backend == crate::helpers::Backend::Postgres {
        "now() - interval '10 minutes'"
    } else {
        "strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-10 minutes')"
    };
    app.exec(&format!("update public_event set starts_at = {started} where id = {id}")).await.unwrap();
    let r = province.json(Method::POST, &format!("/api/v1/public-events/{id}/finish"), &json!({})).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let filed: Value = r.json().await.unwrap();
    let record = filed["activity_id"].as_i64().expect("a campaign runs today in the demo");
    let figures = app
        .texts(&format!(
            "select metric_code || '=' || value from activity_figure where activity_id = {record} order by metric_code"
        ))
        .await;
    assert_eq!(figures, ["participants=1", "registrations=2"]);
    assert_eq!(app.texts(&format!("select state from activity where id = {record}")).await, ["submitted"]);
    assert_eq!(register(&anon, id, "迟到", "13800000010", "").await.status(), StatusCode::CONFLICT);
    assert_eq!(check_in(&province, id, a["ticket"]["code"].as_str().unwrap()).await.status(), StatusCode::CONFLICT);
}

pub async fn concurrent_registrations_never_give_away_more_places(app: TestApp) {
    let province = app.login("province").await;
    let id = new_event(&province, 5).await["event"]["id"].as_i64().unwrap();
    let anon = app.anonymous().await;
    let results = at_once(12, |i| {
        let anon = anon.clone();
        async move { register(&anon, id, "居民", &format!("1380000{i:04}"), "").await.status() }
    })
    .await;
    assert!(results.iter().all(|s| *s == StatusCode::CREATED), "{results:?}");
    let d = detail(&province, id).await;
    assert_eq!((d["event"]["confirmed"].as_i64(), d["event"]["waitlisted"].as_i64()), (Some(5), Some(7)));
    // The same number at once: one registration.
    let twice = at_once(4, |_| {
        let anon = anon.clone();
        async move { register(&anon, id, "居民", "13912345678", "").await.status() }
    })
    .await;
    assert_eq!(twice.iter().filter(|s| **s == StatusCode::CREATED).count(), 1, "{twice:?}");
    assert!(twice.iter().all(|s| *s == StatusCode::CREATED || *s == StatusCode::CONFLICT), "{twice:?}");
    // An address has a budget of 20 tries an hour (16 spent above): the 21st is refused.
    for i in 0..4 {
        assert_eq!(register(&anon, id, "居民", &format!("1391234{i:04}"), "").await.status(), StatusCode::CREATED);
    }
    let over = register(&anon, id, "居民", "13912349999", "").await;
    assert_eq!(over.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(over.text().await.unwrap().contains("一小时"));
}

pub async fn events_refuse_bad_input_and_places_outside_the_area(app: TestApp) {
    let nanguan = app.login("nanguan").await;
    let now = OffsetDateTime::now_utc();
    let good = json!({"kind": "open_day", "title": "开放日", "region_code": "220102", "starts_at": at(now + Duration::days(2)),
        "ends_at": at(now + Duration::days(2) + Duration::hours(2)), "capacity": 30});
    for (change, field) in [
        (json!({"kind": "party"}), "kind"),
        (json!({"capacity": 0}), "capacity"),
        (json!({"region_code": "222401"}), "region_code"),
        (json!({"ends_at": at(now + Duration::days(1))}), "ends_at"),
        (json!({"closes_at": at(now + Duration::days(3))}), "closes_at"),
        (json!({"starts_at": "下周二"}), "starts_at"),
        (json!({"title": ""}), "title"),
    ] {
        let mut body = good.clone();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = nanguan.json(Method::POST, "/api/v1/public-events", &body).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{change}");
        assert_eq!(r.json::<Value>().await.unwrap()["field"], field, "{change}");
    }
    let r = nanguan.json(Method::POST, "/api/v1/public-events", &good).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    // A community worker checks tickets but does not set events up.
    let grid = app.login("grid").await;
    assert_eq!(grid.json(Method::POST, "/api/v1/public-events", &good).await.status(), StatusCode::FORBIDDEN);
    // The staff form refuses in Chinese, naming the field, and keeps what was typed.
    let page = nanguan.get("/events").await.text().await.unwrap();
    let form = crate::helpers::Client { csrf: csrf_in(&page), ..nanguan.clone() };
    let r = form
        .form(
            "/events",
            &[
                ("kind", "open_day"),
                ("title", "开放日甲"),
                ("region_code", "220102"),
                ("starts_at", "2026-01-02T09:00"),
                ("ends_at", "2026-01-02T08:00"),
                ("capacity", "30"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("结束时间：结束时间须晚于开始时间"), "{page}");
    assert!(page.contains("value=\"开放日甲\""));
}

pub async fn the_demo_carnival_s_registrations_are_records_and_the_calendar_parses(app: TestApp) {
    // The 2024 carnival: 1,046 registrations by channel, and its record's figures are their count.
    let rows = app
        .texts(
            "select c.channel || '=' || count(*) from registration g join event_channel c on c.id = g.channel_id \
             join public_event e on e.id = g.event_id where e.state = 'finished' and g.status <> 'cancelled' group by c.channel order by c.channel",
        )
        .await;
    assert_eq!(rows, ["douyin=231", "site=47", "wechat=356", "weibo=412"]);
    let figures = app
        .texts(
            "select f.metric_code || '=' || f.value from activity_figure f join public_event e on e.activity_id = f.activity_id \
             where e.state = 'finished' order by f.metric_code",
        )
        .await;
    let came = app.scalar("select count(*) from registration g join public_event e on e.id = g.event_id where e.state = 'finished' and g.checked_in_at is not null").await;
    assert_eq!(figures, [format!("participants={came}"), "registrations=1046".to_owned()]);

    // The calendar of events near 延吉: RFC 5545 lines, read by a real parser where there is one.
    let anon = app.anonymous().await;
    let r = anon.get("/feeds/events.ics?region=222401").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/calendar"));
    let ics = r.text().await.unwrap();
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n") && ics.ends_with("END:VCALENDAR\r\n"));
    assert!(ics.split("\r\n").all(|l| l.len() <= 75), "lines are folded at 75 octets");
    assert!(!ics.replace("\r\n", "").contains('\n'), "every line ends with CRLF");
    let unfolded = ics.replace("\r\n ", "");
    assert!(unfolded.contains("SUMMARY:延吉市消防科普游园会"));
    assert!(
        !unfolded.contains("走进南关区") && !unfolded.contains("第五届"),
        "events in 长春 are not in 延吉's calendar"
    );
    assert!(anon.get("/feeds/events.ics").await.text().await.unwrap().replace("\r\n ", "").contains("SUMMARY:第五届"));
    if let Some(parsed) = parse_calendar(&ics) {
        let names: Vec<&str> =
            parsed["events"].as_array().unwrap().iter().map(|e| e["summary"].as_str().unwrap()).collect();
        assert!(names.contains(&"延吉市消防科普游园会"), "{parsed}");
        assert!(parsed["events"].as_array().unwrap().iter().all(|e| e["start"].as_str().unwrap().ends_with("+00:00")));
    }
    assert_eq!(anon.get("/feeds/events.ics?region=999999").await.status(), StatusCode::NOT_FOUND);
    // The resident's home advertises the calendar and lists the events near them.
    let home = anon.get("/p/?region=222401").await.text().await.unwrap();
    assert!(home.contains("type=\"text/calendar\""));
    assert!(home.contains("延吉市消防科普游园会"));
}

/// A calendar read by Python's `icalendar`: its events' summaries and starts; `None` (with the
/// reason printed) when Python or `icalendar` is missing.
fn parse_calendar(ics: &str) -> Option<Value> {
    let script = "import icalendar, json, sys\n\
                  c = icalendar.Calendar.from_ical(sys.stdin.buffer.read())\n\
                  print(json.dumps({'events': [{'summary': str(e.get('summary')), 'start': e.decoded('dtstart').isoformat()} \
                  for e in c.walk('VEVENT')]}))";
    crate::helpers::python_json("the calendar parser", script, ics)
}

crate::on_both_backends!(
    a_resident_registers_from_a_channel_waits_moves_up_and_is_checked_in,
    concurrent_registrations_never_give_away_more_places,
    events_refuse_bad_input_and_places_outside_the_area,
    the_demo_carnival_s_registrations_are_records_and_the_calendar_parses,
);
