//! Volunteer teams and members, imports, service events with sign-up, the waiting list and
//! check-in/out (public page and leader), the hours ledger, periods, the challenge board, and the
//! figures volunteers add to campaigns.

#![allow(clippy::many_single_char_names)]

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use crate::helpers::{Client, TestApp, at_once, csrf_in};

const CST: time::UtcOffset = match time::UtcOffset::from_hms(8, 0, 0) {
    Ok(o) => o,
    Err(_) => time::UtcOffset::UTC,
};

/// A time as the API takes it, in China Standard Time.
fn at(t: OffsetDateTime) -> String {
    let t = t.to_offset(CST);
    format!("{:04}-{:02}-{:02} {:02}:{:02}", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute())
}

fn day(t: OffsetDateTime) -> String {
    let t = t.to_offset(CST);
    format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
}

async fn meituan(app: &TestApp) -> i64 {
    app.unit_id("美团小哥消防志愿服务队").await
}

async fn add_member(c: &Client, team: i64, name: &str, phone: &str) -> i64 {
    let r = c
        .json(
            Method::POST,
            &format!("/api/v1/volunteer-teams/{team}/members"),
            &json!({"name": name, "phone": phone, "consent": true, "skills": "first_aid, 驾驶"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

/// An event of a team starting `from` and ending `to`.
async fn new_event(
    c: &Client,
    team: i64,
    title: &str,
    from: OffsetDateTime,
    to: OffsetDateTime,
    capacity: i64,
) -> Value {
    let body = json!({"kind": "home_check", "title": title, "region_code": "220102", "address": "南关区幸福街1号", "starts_at": at(from), "ends_at": at(to), "capacity": capacity});
    let r = c.json(Method::POST, &format!("/api/v1/volunteer-teams/{team}/events"), &body).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    r.json::<Value>().await.unwrap()
}

async fn member_action(
    c: &Client,
    event: i64,
    what: &str,
    member: i64,
    when: Option<OffsetDateTime>,
) -> reqwest::Response {
    let mut body = json!({"member_id": member});
    if let Some(t) = when {
        body["at"] = json!(at(t));
    }
    c.json(Method::POST, &format!("/api/v1/service-events/{event}/{what}"), &body).await
}

pub async fn teams_and_members_keep_phones_sealed_and_reveal_them_audited(app: TestApp) {
    let v = app.login("volunteer").await;
    let team = meituan(&app).await;
    let list: Value = v.get("/api/v1/volunteer-teams").await.json().await.unwrap();
    assert!(list.as_array().unwrap().iter().any(|t| t["id"] == team));
    let r = v
        .json(Method::POST, &format!("/api/v1/volunteer-teams/{team}/members"), &json!({"name": "赵新", "phone": "138 1234 5678", "consent": true, "skills": "急救,gas", "gender": "女", "birth_year": 1990}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let text = r.text().await.unwrap();
    assert!(!text.contains("13812345678"), "no full number in answers: {text}");
    let m: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(m["phone_masked"], "138****5678");
    assert_eq!(m["skills"], "first_aid,gas");
    let id = m["id"].as_i64().unwrap();
    let stored = app.scalar(&format!("select count(*) from volunteer_member where id = {id} and phone_sealed like 'v1:%' and phone_sealed not like '%5678%'")).await;
    assert_eq!(stored, 1, "sealed at rest");
    // No member without consent; a number once per team; bad numbers named.
    let r = v
        .json(
            Method::POST,
            &format!("/api/v1/volunteer-teams/{team}/members"),
            &json!({"name": "钱多", "phone": "13912345678"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "consent");
    let r = v
        .json(
            Method::POST,
            &format!("/api/v1/volunteer-teams/{team}/members"),
            &json!({"name": "孙重", "phone": "+86 13812345678", "consent": true}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "phone");
    let r = v
        .json(
            Method::POST,
            &format!("/api/v1/volunteer-teams/{team}/members"),
            &json!({"name": "孙重", "phone": "1381234", "consent": true}),
        )
        .await;
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "phone");
    let r = v
        .json(
            Method::POST,
            &format!("/api/v1/volunteer-teams/{team}/members"),
            &json!({"name": "孙重", "phone": "13712345678", "consent": true, "skills": "杂技"}),
        )
        .await;
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "skills");
    // The team's details, with a leader from the team.
    let whole = json!({"sponsor": "美团吉林", "leader_member_id": id, "founded_on": "2021-06-01", "description": "外卖骑手志愿者"});
    let r = v.json(Method::PUT, &format!("/api/v1/volunteer-teams/{team}"), &whole).await;
    assert_eq!(r.status(), StatusCode::OK);
    let t: Value = r.json().await.unwrap();
    assert_eq!(t["team"]["leader_name"], "赵新");
    // A PUT replaces the whole team: a body without the sponsor is refused, never erases it.
    let partial = json!({"leader_member_id": id, "founded_on": "2021-06-01", "description": ""});
    let r = v.json(Method::PUT, &format!("/api/v1/volunteer-teams/{team}"), &partial).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "sponsor");
    let t: Value = v.get(&format!("/api/v1/volunteer-teams/{team}")).await.json().await.unwrap();
    assert_eq!(
        (t["team"]["sponsor"].as_str(), t["team"]["founded_on"].as_str()),
        (Some("美团吉林"), Some("2021-06-01"))
    );
    // Credentials, and an update.
    let r = v.json(Method::POST, &format!("/api/v1/volunteer-members/{id}/credentials"), &json!({"kind": "certificate", "name": "应急救护员证", "issued_on": "2024-06-01", "expires_on": "2023-01-01"})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "expires before issued");
    let r = v.json(Method::POST, &format!("/api/v1/volunteer-members/{id}/credentials"), &json!({"kind": "certificate", "name": "应急救护员证", "issued_on": "2024-06-01", "expires_on": "2027-06-01"})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.json::<Value>().await.unwrap()["credentials"][0]["name"], "应急救护员证");
    // Reveal: the full number, audited.
    let before = app.scalar("select count(*) from audit_log where action = 'volunteer.reveal_phone'").await;
    let r = v.json(Method::POST, &format!("/api/v1/volunteer-members/{id}/reveal-phone"), &json!({})).await;
    assert_eq!(r.json::<Value>().await.unwrap()["phone"], "13812345678");
    assert_eq!(app.scalar("select count(*) from audit_log where action = 'volunteer.reveal_phone'").await, before + 1);
    // The pages show masks; the reveal button shows the number once.
    let page = v.get(&format!("/volunteers/teams/{team}")).await.text().await.unwrap();
    assert!(page.contains("138****5678") && !page.contains("13812345678"));
    let page = v.form(&format!("/volunteers/members/{id}/reveal"), &[]).await.text().await.unwrap();
    assert!(page.contains("13812345678"));
    // A leader reads but cannot reveal; another detachment does not see the team at all.
    let leader = app.login("leader").await;
    assert_eq!(leader.get(&format!("/api/v1/volunteer-teams/{team}")).await.status(), StatusCode::OK);
    let r = leader.json(Method::POST, &format!("/api/v1/volunteer-members/{id}/reveal-phone"), &json!({})).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let yanbian = app.login("yanbian").await;
    assert_eq!(yanbian.get(&format!("/api/v1/volunteer-teams/{team}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(yanbian.get(&format!("/api/v1/volunteer-members/{id}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(yanbian.get(&format!("/volunteers/teams/{team}")).await.status(), StatusCode::NOT_FOUND);
    let r = yanbian.json(Method::POST, &format!("/api/v1/volunteer-members/{id}/reveal-phone"), &json!({})).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let theirs: Value = yanbian.get("/api/v1/volunteer-teams").await.json().await.unwrap();
    assert!(theirs.as_array().unwrap().iter().all(|t| t["region_code"] == "222400"), "{theirs}");
    // A volunteer of another team in the same city reads the team but cannot change it.
    let admin = app.login("changchun.admin").await;
    let r = admin
        .json(
            Method::POST,
            "/api/v1/units",
            &json!({"name": "长春青年消防志愿服务队", "kind": "volunteer_team", "region_code": "220100"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let other = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let r = admin.json(Method::POST, "/api/v1/users", &json!({"username": "youth", "display_name": "青年队", "role": "volunteer", "unit_id": other, "password": "a-long-password"})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let youth = app.login_with("youth", "a-long-password").await;
    assert_eq!(youth.get(&format!("/api/v1/volunteer-teams/{team}")).await.status(), StatusCode::OK);
    let r = youth
        .json(
            Method::POST,
            &format!("/api/v1/volunteer-teams/{team}/members"),
            &json!({"name": "周", "phone": "13612345678", "consent": true}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = youth.json(Method::POST, &format!("/api/v1/volunteer-members/{id}/reveal-phone"), &json!({})).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = youth
        .json(
            Method::POST,
            &format!("/api/v1/volunteer-teams/{other}/members"),
            &json!({"name": "周", "phone": "13612345678", "consent": true}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "its own team");
    // The volunteer account manages its own team only.
    let grandmas = app.unit_id("老妈妈防火团").await;
    let r = v
        .json(
            Method::POST,
            &format!("/api/v1/volunteer-teams/{grandmas}/members"),
            &json!({"name": "周", "phone": "13612345678", "consent": true}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

pub async fn member_imports_are_all_or_nothing_and_name_every_bad_cell(app: TestApp) {
    let v = app.login("volunteer").await;
    let team = meituan(&app).await;
    let count_sql = format!("select count(*) from volunteer_member where team_id = {team}");
    let count = || app.scalar(&count_sql);
    let before = count().await;
    let existing = app
        .scalar(&format!(
            "select count(*) from volunteer_member where team_id = {team} and phone_masked = '138****0001'"
        ))
        .await;
    assert_eq!(existing, 0);
    let bad = "姓名,手机号,性别,出生年份,技能,本人同意,入队日期\n\
               王一,13800000001,男,1990,急救,是,2024-11-01\n\
               王二,1380000,,,,是,\n\
               王三,13800000001,,,,是,\n\
               王四,13800000004,,,杂技,是,\n\
               王五,13800000005,,,,否,\n";
    let url = format!("/api/v1/volunteer-teams/{team}/members/import?filename=members.csv");
    let r = v.http.post(format!("{}{url}", v.base)).header("x-csrf-token", &v.csrf).body(bad).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let errors: Value = r.json().await.unwrap();
    let at: Vec<(i64, String)> = errors["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["row"].as_i64().unwrap(), e["column"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        at,
        vec![(3, "手机号".to_owned()), (4, "手机号".to_owned()), (5, "技能".to_owned()), (6, "本人同意".to_owned())],
        "{errors}"
    );
    assert_eq!(count().await, before, "nothing stored");
    let good = "姓名,手机号,技能,本人同意\n王一,13800000001,急救,是\n王二,13800000002,\"gas,driving\",是\n";
    let r = v.http.post(format!("{}{url}", v.base)).header("x-csrf-token", &v.csrf).body(good).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.json::<Value>().await.unwrap()["imported"], 2);
    assert_eq!(count().await, before + 2);
    // The same file again: both numbers are already in the team.
    let r = v.http.post(format!("{}{url}", v.base)).header("x-csrf-token", &v.csrf).body(good).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = r.text().await.unwrap();
    assert!(text.contains("already in the team"), "{text}");
    assert_eq!(count().await, before + 2);
    // An XLSX workbook goes through the same checks.
    let headers: Vec<String> = ["姓名", "手机号", "技能", "本人同意"].iter().map(|h| (*h).to_owned()).collect();
    let rows = vec![vec!["李三".to_owned(), "13800000003".to_owned(), "摄影".to_owned(), "是".to_owned()]];
    let xlsx = firecast::sheet::xlsx_bytes(&[firecast::sheet::OutSheet::text("志愿者", &headers, &rows)], "").unwrap();
    let xurl = format!("/api/v1/volunteer-teams/{team}/members/import?filename=members.xlsx");
    let r = v.http.post(format!("{}{xurl}", v.base)).header("x-csrf-token", &v.csrf).body(xlsx).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(count().await, before + 3);
    // The page offers the template and shows the errors.
    assert_eq!(v.get("/volunteers/import/template.xlsx").await.status(), StatusCode::OK);
    let csv = v.get("/volunteers/import/template.csv").await.text().await.unwrap();
    assert!(csv.contains("本人同意"));
    // The template's example person is refused, never stored as a member.
    let r = v.http.post(format!("{}{url}", v.base)).header("x-csrf-token", &v.csrf).body(csv).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let errors: Value = r.json().await.unwrap();
    assert_eq!((errors["errors"][0]["row"].as_i64(), errors["errors"][0]["column"].as_str()), (Some(2), Some("姓名")));
    assert_eq!(count().await, before + 3);
    let boundary = "----firecastvolunteers";
    let multipart = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"members.csv\"\r\nContent-Type: text/csv\r\n\r\n{bad}\r\n--{boundary}--\r\n"
    );
    let r = v
        .http
        .post(format!("{}/volunteers/teams/{team}/import?_csrf={}", v.base, v.csrf))
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(multipart)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("import-errors"));
}

pub async fn sign_up_honours_capacity_and_promotes_the_waiting_list(app: TestApp) {
    let v = app.login("volunteer").await;
    let team = meituan(&app).await;
    let a = add_member(&v, team, "甲", "13911110001").await;
    let b = add_member(&v, team, "乙", "13911110002").await;
    let c = add_member(&v, team, "丙", "13911110003").await;
    let now = OffsetDateTime::now_utc();
    let e = new_event(&v, team, "楼道查火患", now + Duration::days(2), now + Duration::days(2) + Duration::hours(3), 2)
        .await;
    let id = e["event"]["id"].as_i64().unwrap();
    assert!(e["public_url"].as_str().unwrap().contains("/p/service/"));
    let status = |r: Value| r["status"].as_str().unwrap().to_owned();
    assert_eq!(status(member_action(&v, id, "signups", a, None).await.json().await.unwrap()), "confirmed");
    assert_eq!(status(member_action(&v, id, "signups", b, None).await.json().await.unwrap()), "confirmed");
    assert_eq!(status(member_action(&v, id, "signups", c, None).await.json().await.unwrap()), "waitlisted");
    assert_eq!(member_action(&v, id, "signups", a, None).await.status(), StatusCode::CONFLICT, "once");
    // A waitlisted member cannot check in.
    let r = member_action(&v, id, "check-ins", c, None).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // The first withdraws: the waiting list moves up.
    let r: Value = member_action(&v, id, "cancellations", a, None).await.json().await.unwrap();
    assert_eq!(r["promoted_member_id"], c);
    let d: Value = v.get(&format!("/api/v1/service-events/{id}")).await.json().await.unwrap();
    assert_eq!(d["event"]["confirmed"], 2);
    assert_eq!(d["event"]["waitlisted"], 0);
    let of = |m: i64| d["signups"].as_array().unwrap().iter().find(|s| s["member_id"] == m).unwrap()["status"].clone();
    assert_eq!(of(a), "cancelled");
    assert_eq!(of(c), "confirmed");
    // Signing up again joins at the back: the event is full.
    assert_eq!(status(member_action(&v, id, "signups", a, None).await.json().await.unwrap()), "waitlisted");
    // Another team's member cannot sign up here; bad events are refused by field.
    let grandma = app
        .scalar(
            "select min(id) from volunteer_member where team_id = (select id from unit where name = '老妈妈防火团')",
        )
        .await;
    let province = app.login("province").await;
    let r = member_action(&province, id, "signups", grandma, None).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = json!({"kind": "party", "title": "x", "region_code": "220102", "starts_at": at(now), "ends_at": at(now + Duration::hours(1)), "capacity": 5});
    let r = v.json(Method::POST, &format!("/api/v1/volunteer-teams/{team}/events"), &body).await;
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "kind");
    let body = json!({"kind": "drill", "title": "x", "region_code": "222401", "starts_at": at(now), "ends_at": at(now + Duration::hours(1)), "capacity": 5});
    let r = v.json(Method::POST, &format!("/api/v1/volunteer-teams/{team}/events"), &body).await;
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "region_code", "outside the team's area");
    let body = json!({"kind": "drill", "title": "x", "region_code": "220102", "starts_at": at(now), "ends_at": at(now - Duration::hours(1)), "capacity": 5});
    let r = v.json(Method::POST, &format!("/api/v1/volunteer-teams/{team}/events"), &body).await;
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "ends_at");
    // The leader confirms a check-in on the event page.
    let r = v.form(&format!("/volunteers/events/{id}/check-in"), &[("member_id", &b.to_string()), ("at", "")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("已签到"));
    let r = v.form(&format!("/volunteers/events/{id}/check-in"), &[("member_id", &b.to_string()), ("at", "")]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "a second check-in");
    // The event page shows both lists and the QR code.
    let page = v.get(&format!("/volunteers/events/{id}")).await.text().await.unwrap();
    assert!(page.contains("<svg") && page.contains("waitlist") && page.contains("乙"));
}

async fn public_post(c: &Client, token: &str, phone: &str, action: &str) -> (StatusCode, String) {
    public_post_as(c, token, (phone, "签到人"), action).await
}

async fn public_post_as(c: &Client, token: &str, (phone, name): (&str, &str), action: &str) -> (StatusCode, String) {
    let r = c.form(&format!("/p/service/{token}"), &[("phone", phone), ("name", name), ("action", action)]).await;
    (r.status(), r.text().await.unwrap())
}

pub async fn the_event_page_needs_number_and_name_and_counts_failed_look_ups(app: TestApp) {
    let v = app.login("volunteer").await;
    let team = meituan(&app).await;
    add_member(&v, team, "签到人", "15012345678").await;
    let now = OffsetDateTime::now_utc();
    let e = new_event(&v, team, "送平安", now - Duration::hours(1), now + Duration::hours(2), 10).await;
    let token = e["event"]["token"].as_str().unwrap().to_owned();
    let mut anon = app.anonymous().await;
    anon.csrf = csrf_in(&anon.get(&format!("/p/service/{token}")).await.text().await.unwrap());
    // An unknown number and a known number with another name answer alike.
    let (s, unknown) = public_post_as(&anon, &token, ("13000000000", "签到人"), "cancel").await;
    let (s2, wrong_name) = public_post_as(&anon, &token, ("15012345678", "别人"), "cancel").await;
    assert_eq!((s, s2), (StatusCode::UNPROCESSABLE_ENTITY, StatusCode::UNPROCESSABLE_ENTITY));
    let said = "手机号和姓名与本队登记的志愿者不符";
    assert!(unknown.contains(said) && wrong_name.contains(said), "{wrong_name}");
    let id = e["event"]["id"].as_i64().unwrap();
    assert_eq!(app.scalar(&format!("select count(*) from event_signup where event_id = {id}")).await, 0);
    // Eight more wrong guesses at once use up the address's ten; then even the right pair waits.
    let answers = at_once(32, |i| {
        let anon = anon.clone();
        let token = token.clone();
        async move { public_post_as(&anon, &token, (&format!("1300000{i:04}"), "某人"), "sign_up").await.0 }
    })
    .await;
    let refused = answers.iter().filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY).count();
    let limited = answers.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!((refused, limited), (8, 24), "{answers:?}");
    let (s, body) = public_post(&anon, &token, "15012345678", "sign_up").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert!(body.contains("查询失败次数过多"), "{body}");
}

pub async fn simultaneous_sign_ups_fill_exactly_the_places(app: TestApp) {
    let v = app.login("volunteer").await;
    let team = meituan(&app).await;
    let mut members = Vec::new();
    for i in 0..32 {
        members.push(add_member(&v, team, &format!("队员{i}"), &format!("1391112{i:04}")).await);
    }
    let now = OffsetDateTime::now_utc();
    let e =
        new_event(&v, team, "并发报名", now + Duration::days(3), now + Duration::days(3) + Duration::hours(2), 5).await;
    let id = e["event"]["id"].as_i64().unwrap();
    let answers = at_once(32, |i| {
        let (v, member) = (v.clone(), members[i]);
        async move {
            let r = member_action(&v, id, "signups", member, None).await;
            (r.status(), r.json::<Value>().await.unwrap_or(Value::Null)["status"].as_str().unwrap_or("").to_owned())
        }
    })
    .await;
    assert!(answers.iter().all(|(s, _)| *s == StatusCode::OK || *s == StatusCode::CREATED), "{answers:?}");
    assert_eq!(answers.iter().filter(|(_, s)| s == "confirmed").count(), 5, "{answers:?}");
    assert_eq!(answers.iter().filter(|(_, s)| s == "waitlisted").count(), 27);
    let places =
        app.scalar(&format!("select count(*) from event_signup where event_id = {id} and status = 'confirmed'")).await;
    assert_eq!(places, 5);
}

pub async fn check_in_and_out_credit_hours_once_and_never_past_24_a_day(app: TestApp) {
    let v = app.login("volunteer").await;
    let team = meituan(&app).await;
    let m = add_member(&v, team, "签到人", "15012345678").await;
    let now = OffsetDateTime::now_utc();
    let e = new_event(&v, team, "送平安", now - Duration::hours(1), now + Duration::hours(2), 10).await;
    let (id, token) = (e["event"]["id"].as_i64().unwrap(), e["event"]["token"].as_str().unwrap().to_owned());
    // The public page, phone first, without an account.
    let mut anon = app.anonymous().await;
    let page = anon.get(&format!("/p/service/{token}")).await.text().await.unwrap();
    assert!(page.contains("送平安") && page.contains("inputmode=\"tel\""));
    anon.csrf = csrf_in(&page);
    let (s, body) = public_post(&anon, &token, "13000000000", "sign_up").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("请队长登记"), "unknown numbers get a clear message");
    let (s, _) = public_post(&anon, &token, "150 1234 5678", "sign_up").await;
    assert_eq!(s, StatusCode::OK);
    let (s, body) = public_post(&anon, &token, "15012345678", "check_out").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "check-out before check-in");
    assert!(body.contains("您还没有签到，请先签到再签退"), "{body}");
    let (s, body) = public_post(&anon, &token, "15012345678", "check_in").await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains("签到成功"));
    assert!(body.contains("签**") && !body.contains("签到人"), "the public page masks the name");
    let (s, body) = public_post(&anon, &token, "15012345678", "check_in").await;
    assert_eq!(s, StatusCode::CONFLICT, "a second check-in");
    assert!(body.contains("您已于") && body.contains("签到"), "{body}");
    let (s, _) = public_post(&anon, &token, "15012345678", "check_out").await;
    assert_eq!(s, StatusCode::OK);
    let (s, body) = public_post(&anon, &token, "15012345678", "check_out").await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(body.contains("服务时长只记一次"), "{body}");
    assert!(app.scalar("select count(*) from audit_log where action like 'volunteer.public.%'").await >= 3);
    // Check-in on the public page only around the event's time.
    let later =
        new_event(&v, team, "下周宣讲", now + Duration::days(7), now + Duration::days(7) + Duration::hours(2), 10)
            .await;
    let later_token = later["event"]["token"].as_str().unwrap().to_owned();
    assert_eq!(public_post(&anon, &later_token, "15012345678", "sign_up").await.0, StatusCode::OK);
    let (s, body) = public_post(&anon, &later_token, "15012345678", "check_in").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("本页签到时间为活动开始前1小时至结束"), "the page says it in Chinese: {body}");
    // The leader confirms times for another event two days ago: 12 hours.
    let past = now - Duration::days(2);
    let morning = past.replace_time(time::Time::from_hms(0, 0, 0).unwrap()); // 08:00 CST
    let e2 = new_event(&v, team, "全天演练", morning, morning + Duration::hours(12), 10).await["event"]["id"]
        .as_i64()
        .unwrap();
    let e3 = new_event(&v, team, "晚间宣讲", morning, morning + Duration::hours(14), 10).await["event"]["id"]
        .as_i64()
        .unwrap();
    for e in [e2, e3] {
        assert_eq!(member_action(&v, e, "signups", m, None).await.status(), StatusCode::CREATED);
    }
    assert_eq!(member_action(&v, e2, "check-ins", m, Some(morning)).await.status(), StatusCode::NO_CONTENT);
    let r = member_action(&v, e2, "check-outs", m, Some(morning - Duration::minutes(5))).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "a check-out time before the check-in");
    assert!(r.text().await.unwrap().contains("before check-in"));
    let r: Value = member_action(&v, e2, "check-outs", m, Some(morning + Duration::hours(12) + Duration::minutes(10)))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["minutes"], 720, "rounded down to the quarter");
    // 13 more hours the same day would make 25: refused, and nothing changes.
    assert_eq!(
        member_action(&v, e3, "check-ins", m, Some(morning - Duration::hours(1))).await.status(),
        StatusCode::NO_CONTENT
    );
    let r = member_action(&v, e3, "check-outs", m, Some(morning + Duration::hours(12))).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("at most 24 hours"));
    let d: Value = v.get(&format!("/api/v1/service-events/{e3}")).await.json().await.unwrap();
    assert!(d["signups"][0]["checked_out_at"].is_null(), "nothing corrupted");
    assert_eq!(
        member_action(&v, e3, "check-outs", m, Some(morning + Duration::hours(10))).await.status(),
        StatusCode::OK
    );
    // Manual credits and corrections keep to the same rule; the ledger only grows.
    let r = v
        .json(
            Method::POST,
            &format!("/api/v1/volunteer-members/{m}/hours"),
            &json!({"day": day(morning), "minutes": 90, "reason": "补记"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "past 24 hours");
    let r = v
        .json(
            Method::POST,
            &format!("/api/v1/volunteer-members/{m}/hours"),
            &json!({"day": day(morning), "minutes": -60, "reason": ""}),
        )
        .await;
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "reason");
    let r = v
        .json(
            Method::POST,
            &format!("/api/v1/volunteer-members/{m}/hours"),
            &json!({"day": day(morning), "minutes": -60, "reason": "多记一小时"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let detail: Value = r.json().await.unwrap();
    assert_eq!(detail["total_minutes"], 720 + 660 - 60);
    assert_eq!(
        app.scalar(&format!("select count(*) from volunteer_hours where member_id = {m} and event_id = {id}")).await,
        0,
        "a zero-minute visit credits nothing"
    );
    assert_eq!(app.scalar(&format!("select count(*) from volunteer_hours where member_id = {m}")).await, 3);
    assert!(
        app.exec(&format!("update volunteer_hours set minutes = 0 where member_id = {m}")).await.is_err(),
        "append-only"
    );
    assert!(app.exec(&format!("delete from volunteer_hours where member_id = {m}")).await.is_err(), "append-only");
    let page = v.get(&format!("/volunteers/members/{m}")).await.text().await.unwrap();
    assert!(page.contains("22h00"), "the member's ledger total");
    let page = v.get(&format!("/volunteers/teams/{team}/hours")).await.text().await.unwrap();
    assert!(page.contains("签到人"));
}

pub async fn periods_tally_teams_and_members_and_show_an_honour_roll(app: TestApp) {
    let v = app.login("volunteer").await;
    let province = app.login("province").await;
    let team = meituan(&app).await;
    let a = add_member(&v, team, "榜首", "18612345678").await;
    let b = add_member(&v, team, "榜眼", "18612345679").await;
    let start = (OffsetDateTime::now_utc() - Duration::days(1)).replace_time(time::Time::from_hms(1, 0, 0).unwrap());
    let e = new_event(&v, team, "百日行动入户查火患", start, start + Duration::hours(6), 10).await["event"]["id"]
        .as_i64()
        .unwrap();
    for (m, hours) in [(a, 5), (b, 2)] {
        member_action(&v, e, "signups", m, None).await;
        assert_eq!(member_action(&v, e, "check-ins", m, Some(start)).await.status(), StatusCode::NO_CONTENT);
        assert_eq!(
            member_action(&v, e, "check-outs", m, Some(start + Duration::hours(hours))).await.status(),
            StatusCode::OK
        );
    }
    let d = day(start);
    let r = v
        .json(Method::POST, "/api/v1/service-periods", &json!({"name": "测试时段", "starts_on": d, "ends_on": d}))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "staff set up periods");
    let city = app.login("changchun").await;
    let r = city
        .json(Method::POST, "/api/v1/service-periods", &json!({"name": "测试时段", "starts_on": d, "ends_on": d}))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "periods are province-wide: a city does not claim one");
    let r = province
        .json(Method::POST, "/api/v1/service-periods", &json!({"name": "测试时段", "starts_on": d, "ends_on": d}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let p = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let t: Value = province.get(&format!("/api/v1/service-periods/{p}/tallies")).await.json().await.unwrap();
    let members = t["members"].as_array().unwrap();
    let mine: Vec<&Value> = members.iter().filter(|m| m["team_id"] == team).collect();
    assert_eq!(mine[0]["member_id"], a, "most hours first");
    assert_eq!(mine[0]["minutes"], 300);
    assert_eq!(mine[0]["home_checks"], 1);
    assert_eq!(mine[1]["minutes"], 120);
    let row = t["teams"].as_array().unwrap().iter().find(|x| x["team_id"] == team).unwrap().clone();
    let team_minutes: i64 = mine.iter().map(|m| m["minutes"].as_i64().unwrap()).sum();
    assert_eq!(row["minutes"], team_minutes);
    assert!(row["members"].as_i64().unwrap() >= 2);
    let page = province.get(&format!("/volunteers/periods/{p}")).await.text().await.unwrap();
    assert!(page.contains("honour-roll") && page.contains("榜首") && page.contains("5h00"));
    // The demo's winter period exists with its tallies.
    let periods: Value = province.get("/api/v1/service-periods").await.json().await.unwrap();
    let winter = periods
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"].as_str().unwrap().starts_with("冬季消防志愿服务百日行动"))
        .unwrap()
        .clone();
    let t: Value =
        province.get(&format!("/api/v1/service-periods/{}/tallies", winter["id"])).await.json().await.unwrap();
    assert!(t["teams"].as_array().unwrap().len() >= 10);
    assert!(t["members"].as_array().unwrap().len() >= 10);
    // Loading the demo again changes nothing.
    let count = "select (select count(*) from volunteer_member) + (select count(*) from service_event) + (select count(*) from volunteer_hours) + (select count(*) from challenge_entry)";
    let before = app.scalar(count).await;
    let key = firecast::config::Config::with_database("").data_key("").unwrap();
    firecast::demo::seed(&app.db, &key).await.unwrap();
    assert_eq!(app.scalar(count).await, before);
}

pub async fn the_challenge_board_ranks_individuals_and_teams(app: TestApp) {
    let province = app.login("province").await;
    let mut ids = Vec::new();
    for team in ["美团小哥消防志愿服务队", "老妈妈防火团", "公交车消防志愿服务队"] {
        let sql =
            format!("select min(m.id) from volunteer_member m join unit u on u.id = m.team_id where u.name = '{team}'");
        ids.push(app.scalar(&sql).await);
    }
    let (a, b, c) = (ids[0], ids[1], ids[2]);
    let body = json!({"name": "测试定向赛", "held_on": "2026-11-20", "region_code": "220000",
        "checkpoints": [{"code": "k1", "name": "消防栓", "value": 300}, {"code": "K2", "name": "安全出口", "value": 300}],
        "stations": [{"code": "S1", "name": "灭火器", "value": 50}]});
    let v = app.login("volunteer").await;
    assert_eq!(v.json(Method::POST, "/api/v1/challenges", &body).await.status(), StatusCode::FORBIDDEN);
    let r = province.json(Method::POST, "/api/v1/challenges", &body).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<Value>().await.unwrap()["challenge"]["id"].as_i64().unwrap();
    let r: Value = province
        .json(Method::POST, &format!("/api/v1/challenges/{id}/entries"), &json!({"member_ids": [a, b, c]}))
        .await
        .json()
        .await
        .unwrap();
    let entry =
        |m: i64| r["entries"].as_array().unwrap().iter().find(|e| e["member_id"] == m).unwrap()["id"].as_i64().unwrap();
    let (ea, eb, ec) = (entry(a), entry(b), entry(c));
    // a: 20:00 with both points; b: 10:00 but missed K2 (+5:00 = 15:00); c: no finish.
    let punches = json!([
        {"entry_id": ea, "checkpoint": "START", "at": "2026-11-20 09:00:00"}, {"entry_id": ea, "checkpoint": "K1", "at": "2026-11-20 09:08:00"},
        {"entry_id": ea, "checkpoint": "K2", "at": "2026-11-20 09:15:00"}, {"entry_id": ea, "checkpoint": "finish", "at": "2026-11-20 09:20:00"},
        {"entry_id": eb, "checkpoint": "START", "at": "2026-11-20 09:01:00"}, {"entry_id": eb, "checkpoint": "K1", "at": "2026-11-20 09:05:00"},
        {"entry_id": eb, "checkpoint": "FINISH", "at": "2026-11-20 09:11:00"},
        {"entry_id": ec, "checkpoint": "START", "at": "2026-11-20 09:02:00"}
    ]);
    let r = province.json(Method::POST, &format!("/api/v1/challenges/{id}/punches"), &punches).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let bad = json!([{"entry_id": ea, "checkpoint": "K9", "at": "2026-11-20 09:00:00"}]);
    let r = province.json(Method::POST, &format!("/api/v1/challenges/{id}/punches"), &bad).await;
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "punches[0].checkpoint");
    let r = province
        .json(
            Method::POST,
            &format!("/api/v1/challenges/{id}/stations/S1/scores"),
            &json!([{"entry_id": ea, "score": 51}]),
        )
        .await;
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "scores[0].score", "at most the station's maximum");
    let r = province
        .json(
            Method::POST,
            &format!("/api/v1/challenges/{id}/stations/S1/scores"),
            &json!([{"entry_id": ea, "score": 25}, {"entry_id": eb, "score": 20}, {"entry_id": ec, "score": 50}]),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let board: Value = province.get(&format!("/api/v1/challenges/{id}/board")).await.json().await.unwrap();
    let ind = board["individuals"].as_array().unwrap();
    // b: 100 + 40 = 140; a: 75 + 50 = 125; c: 0 + 100 = 100.
    let order: Vec<i64> = ind.iter().map(|r| r["member_id"].as_i64().unwrap()).collect();
    assert_eq!(order, vec![b, a, c], "{board}");
    assert_eq!(ind[0]["time_seconds"], 900);
    assert_eq!(ind[0]["missed"], 1);
    assert!((ind[0]["total"].as_f64().unwrap() - 140.0).abs() < 0.01);
    assert!((ind[1]["orienteering_points"].as_f64().unwrap() - 75.0).abs() < 0.01);
    assert!(ind[2]["time_seconds"].is_null());
    assert_eq!(board["teams"][0]["team_name"], "老妈妈防火团");
    // The page and its live fragment.
    let page = province.get(&format!("/volunteers/challenges/{id}/board")).await.text().await.unwrap();
    assert!(page.contains("data-refresh") && page.contains("individual-board"));
    let fragment = province.get(&format!("/volunteers/challenges/{id}/board/fragment")).await.text().await.unwrap();
    assert!(fragment.contains("team-board") && !fragment.contains("<html"));
    // The demo's 2024 challenge: 50 volunteers of 10 teams, ranked.
    let list: Value = province.get("/api/v1/challenges").await.json().await.unwrap();
    let demo =
        list.as_array().unwrap().iter().find(|c| c["name"].as_str().unwrap().starts_with("2024年")).unwrap().clone();
    let board: Value = province.get(&format!("/api/v1/challenges/{}/board", demo["id"])).await.json().await.unwrap();
    assert_eq!(board["individuals"].as_array().unwrap().len(), 50);
    assert_eq!(board["teams"].as_array().unwrap().len(), 10);
    let totals: Vec<f64> =
        board["individuals"].as_array().unwrap().iter().map(|r| r["total"].as_f64().unwrap()).collect();
    assert!(totals.windows(2).all(|w| w[0] >= w[1]), "best first");
}

fn value(overview: &Value, code: &str) -> i64 {
    overview["region"]["values"][code].as_i64().unwrap_or(0)
}

fn child_value(overview: &Value, region: &str, code: &str) -> i64 {
    overview["children"].as_array().unwrap().iter().find(|c| c["code"] == region).unwrap()["values"][code]
        .as_i64()
        .unwrap_or(0)
}

pub async fn completing_an_event_files_a_record_and_hours_count_in_the_campaign(app: TestApp) {
    let province = app.login("province").await;
    let now = OffsetDateTime::now_utc();
    let body = json!({"name": "冬季消防宣传测试", "theme": "全民消防 生命至上", "starts_on": day(now - Duration::days(3)), "ends_on": day(now + Duration::days(3))});
    let r = province.json(Method::POST, "/api/v1/campaigns", &body).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let campaign = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let r = province
        .json(Method::POST, &format!("/api/v1/campaigns/{campaign}/status"), &json!({"status": "running"}))
        .await;
    assert!(r.status().is_success());
    let overview = || async {
        province.get(&format!("/api/v1/campaigns/{campaign}/overview")).await.json::<Value>().await.unwrap()
    };
    let before = overview().await;
    let v = app.login("volunteer").await;
    let team = meituan(&app).await;
    let m = add_member(&v, team, "计时人", "18812345678").await;
    let e = new_event(&v, team, "入户查火患（测试）", now - Duration::hours(2), now + Duration::hours(1), 10).await["event"]["id"].as_i64().unwrap();
    let later =
        new_event(&v, team, "明天的宣讲", now + Duration::days(1), now + Duration::days(1) + Duration::hours(1), 10)
            .await["event"]["id"]
            .as_i64()
            .unwrap();
    // Hours: one hour in the campaign's dates.
    member_action(&v, e, "signups", m, None).await;
    member_action(&v, e, "check-ins", m, Some(now - Duration::minutes(90))).await;
    let r: Value = member_action(&v, e, "check-outs", m, Some(now - Duration::minutes(30))).await.json().await.unwrap();
    assert_eq!(r["minutes"], 60);
    let after_hours = overview().await;
    assert_eq!(value(&after_hours, "volunteer_hours"), value(&before, "volunteer_hours") + 1);
    assert_eq!(
        child_value(&after_hours, "220100", "volunteer_hours"),
        child_value(&before, "220100", "volunteer_hours") + 1
    );
    // Completing files a submitted volunteer_service record organised by the team.
    let figures = json!({"handouts": 500, "posters": 40, "homes_checked": 35, "people_reached": 120});
    let r = v.json(Method::POST, &format!("/api/v1/service-events/{later}/complete"), &figures).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "not started yet");
    let r = v.json(Method::POST, &format!("/api/v1/service-events/{e}/complete"), &json!({"handouts": -1})).await;
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "handouts");
    let r = v.json(Method::POST, &format!("/api/v1/service-events/{e}/complete"), &figures).await;
    assert_eq!(r.status(), StatusCode::OK);
    let done: Value = r.json().await.unwrap();
    assert_eq!(done["campaign_id"], campaign);
    let activity = done["activity_id"].as_i64().unwrap();
    assert_eq!(
        v.json(Method::POST, &format!("/api/v1/service-events/{e}/complete"), &figures).await.status(),
        StatusCode::CONFLICT
    );
    assert_eq!(
        member_action(&v, e, "signups", m, None).await.status(),
        StatusCode::CONFLICT,
        "closed events take no sign-ups"
    );
    let detachment = app.login("changchun").await;
    let a: Value = detachment.get(&format!("/api/v1/activities/{activity}")).await.json().await.unwrap();
    assert_eq!(a["activity"]["state"], "submitted");
    assert_eq!(a["activity"]["kind"], "volunteer_service");
    assert_eq!(a["activity"]["organiser_unit_id"], team);
    let handouts_before = value(&overview().await, "handouts");
    let r = detachment
        .json(Method::POST, &format!("/api/v1/activities/{activity}/transitions"), &json!({"transition": "approve"}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let after = overview().await;
    assert_eq!(value(&after, "handouts"), handouts_before + 500);
    assert_eq!(value(&after, "homes_checked"), value(&before, "homes_checked") + 35);
    assert_eq!(value(&after, "volunteer_services"), value(&before, "volunteer_services") + 1);
    assert_eq!(child_value(&after, "220100", "posters"), child_value(&before, "220100", "posters") + 40);
    // The 2024 month gets nothing from volunteers.
    let list: Value = province.get("/api/v1/campaigns").await.json().await.unwrap();
    let y2024 =
        list.as_array().unwrap().iter().find(|c| c["name"].as_str().unwrap().starts_with("2024年")).unwrap()["id"]
            .as_i64()
            .unwrap();
    let o: Value = province.get(&format!("/api/v1/campaigns/{y2024}/overview")).await.json().await.unwrap();
    assert_eq!(value(&o, "volunteer_hours"), 0);
    assert_eq!(value(&o, "homes_checked"), 0);
}

crate::on_both_backends!(
    simultaneous_sign_ups_fill_exactly_the_places,
    teams_and_members_keep_phones_sealed_and_reveal_them_audited,
    member_imports_are_all_or_nothing_and_name_every_bad_cell,
    sign_up_honours_capacity_and_promotes_the_waiting_list,
    check_in_and_out_credit_hours_once_and_never_past_24_a_day,
    the_event_page_needs_number_and_name_and_counts_failed_look_ups,
    periods_tally_teams_and_members_and_show_an_honour_roll,
    the_challenge_board_ranks_individuals_and_teams,
    completing_an_event_files_a_record_and_hours_count_in_the_campaign,
);
