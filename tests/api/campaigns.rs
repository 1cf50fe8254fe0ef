//! Campaigns, duties, activity records and their review, the media register, imports and exports.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Client, TestApp, at_once, png};

async fn campaign_id(c: &Client, name_starts: &str) -> i64 {
    let list: Value = c.get("/api/v1/campaigns").await.json().await.unwrap();
    list.as_array().unwrap().iter().find(|x| x["name"].as_str().unwrap().starts_with(name_starts)).unwrap()["id"]
        .as_i64()
        .unwrap()
}

/// The running campaign: its id and its first day.
async fn running(c: &Client) -> (i64, time::Date) {
    let list: Value = c.get("/api/v1/campaigns").await.json().await.unwrap();
    let r = list.as_array().unwrap().iter().find(|x| x["status"] == "running").unwrap().clone();
    let first =
        time::Date::parse(r["starts_on"].as_str().unwrap(), &time::format_description::well_known::Iso8601::DATE);
    (r["id"].as_i64().unwrap(), first.unwrap())
}

/// The `n`th day of a campaign that starts on `first` (the first is day 1), as the API writes it.
fn day(first: time::Date, n: i64) -> String {
    (first + time::Duration::days(n - 1)).to_string()
}

fn value(overview: &Value, code: &str) -> i64 {
    overview["region"]["values"][code].as_i64().unwrap_or(0)
}

fn child_value(overview: &Value, region: &str, code: &str) -> i64 {
    let child = overview["children"].as_array().unwrap().iter().find(|c| c["code"] == region).unwrap();
    child["values"][code].as_i64().unwrap_or(0)
}

pub async fn the_demo_month_adds_up_to_the_report(app: TestApp) {
    let c = app.login("province").await;
    let id = campaign_id(&c, "2024年").await;
    let o: Value = c.get(&format!("/api/v1/campaigns/{id}/overview")).await.json().await.unwrap();
    for (code, reported) in firecast::demo::month::REPORTED {
        assert_eq!(value(&o, code), *reported, "{code}");
    }
    assert!(value(&o, "leaders") >= 80, "80+ leaders");
    assert!(value(&o, "registrations") >= 1_000, "1,000+ carnival registrations");
    assert!(child_value(&o, "220500", "people_trained") >= 700, "Tonghua trained 700+");
    assert_eq!(child_value(&o, "220700", "parcel_stickers"), 40_000, "Songyuan's stickers");
    assert_eq!(child_value(&o, "220400", "units_trained"), 42);
    assert_eq!(child_value(&o, "220400", "vehicle_outings"), 23);
    assert!(child_value(&o, "220400", "people_trained") >= 5_000);
    assert_eq!(o["children"].as_array().unwrap().len(), 10, "ten regions");
    let by_children: i64 =
        o["children"].as_array().unwrap().iter().map(|c| c["values"]["handouts"].as_i64().unwrap_or(0)).sum();
    assert_eq!(by_children, 1_050_000, "the regions add up to the province");
    // The running totals equal a recount from the records.
    let from_records = firecast::activity::store::totals_from_records(&app.db, id, "/22/", 9).await.unwrap();
    let kept = firecast::activity::store::totals(&app.db, id, "/22/", 9).await.unwrap();
    let mut a: Vec<_> = from_records.iter().map(|t| (t.region_path.clone(), t.metric_code.clone(), t.value)).collect();
    let mut b: Vec<_> = kept.iter().map(|t| (t.region_path.clone(), t.metric_code.clone(), t.value)).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    // The rows of totals the month wrote (at least the province's and the cities' read above);
    // another campaign's rows are not counted.
    let (daily, total) = firecast::activity::store::total_rows(&app.db, id).await.unwrap();
    assert!(total >= i64::try_from(b.len()).unwrap() && daily > 0, "{daily} daily, {total} running totals");
    assert_eq!(firecast::activity::store::total_rows(&app.db, id + 1_000).await.unwrap(), (0, 0));
    // Some duties were not met in time.
    let overdue = o["duties"].as_array().unwrap().iter().filter(|d| d["overdue"] == true).count();
    assert!((1..10).contains(&overdue), "a few overdue duties: {overdue}");
    // The page shows it.
    let page = c.get(&format!("/campaigns/{id}")).await.text().await.unwrap();
    assert!(page.contains("1,050,000") && page.contains("28,560") && page.contains("逾期"));
}

async fn new_record(c: &Client, campaign: i64, month: time::Date, title: &str, figures: Value) -> reqwest::Response {
    let body = json!({"campaign_id": campaign, "kind": "training", "title": title, "starts_on": day(month, 1), "region_code": "220102001", "figures": figures});
    c.json(Method::POST, "/api/v1/activities", &body).await
}

async fn transition(c: &Client, id: i64, t: &str, reason: &str) -> StatusCode {
    c.json(Method::POST, &format!("/api/v1/activities/{id}/transitions"), &json!({"transition": t, "reason": reason}))
        .await
        .status()
}

pub async fn records_move_through_review_by_the_level_above(app: TestApp) {
    let brigade = app.login("nanguan").await;
    let detachment = app.login("changchun").await;
    let province = app.login("province").await;
    let (campaign, month) = running(&brigade).await;
    let before: Value = province.get(&format!("/api/v1/campaigns/{campaign}/overview")).await.json().await.unwrap();
    let r =
        new_record(&brigade, campaign, month, "社区居民消防培训", json!({"people_trained": 250, "participants": 260}))
            .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<Value>().await.unwrap()["activity"]["id"].as_i64().unwrap();
    // A draft is the brigade's own: the detachment does not see it yet.
    assert_eq!(detachment.get(&format!("/api/v1/activities/{id}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(transition(&detachment, id, "approve", "").await, StatusCode::NOT_FOUND);
    assert_eq!(
        transition(&brigade, id, "approve", "").await,
        StatusCode::FORBIDDEN,
        "a brigade cannot approve its own"
    );
    let submits = at_once(32, |_| {
        let b = brigade.clone();
        async move { transition(&b, id, "submit", "").await }
    })
    .await;
    assert_eq!(submits.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{submits:?}");
    assert_eq!(submits.iter().filter(|s| **s == StatusCode::CONFLICT).count(), 31, "submitted twice: {submits:?}");
    assert_eq!(transition(&brigade, id, "approve", "").await, StatusCode::FORBIDDEN);
    // Another detachment does not see Changchun's records at all.
    let yanbian = app.login("yanbian").await;
    assert_eq!(yanbian.get(&format!("/api/v1/activities/{id}")).await.status(), StatusCode::NOT_FOUND);
    // The level above returns it with a reason, the brigade fixes and resubmits, then it is approved.
    assert_eq!(
        transition(&detachment, id, "return", "").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a reason is required"
    );
    assert_eq!(transition(&detachment, id, "return", "请补充照片").await, StatusCode::OK);
    let body = json!({"campaign_id": campaign, "duty_id": null, "kind": "training", "title": "社区居民消防培训", "starts_on": day(month, 1), "ends_on": "", "region_code": "220102001", "co_organisers": "", "venue": "华阳社区活动室", "description": "", "figures": {"people_trained": 300}});
    let partial = {
        let mut b = body.clone();
        b.as_object_mut().unwrap().remove("venue");
        b
    };
    let r = brigade.json(Method::PUT, &format!("/api/v1/activities/{id}"), &partial).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "a PUT carries every field");
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "venue");
    assert_eq!(brigade.json(Method::PUT, &format!("/api/v1/activities/{id}"), &body).await.status(), StatusCode::OK);
    assert_eq!(transition(&brigade, id, "submit", "").await, StatusCode::OK);
    let queue: Value = detachment.get("/api/v1/review").await.json().await.unwrap();
    assert!(queue.as_array().unwrap().iter().any(|a| a["id"] == id));
    assert_eq!(transition(&detachment, id, "approve", "").await, StatusCode::OK);
    assert_eq!(transition(&detachment, id, "approve", "").await, StatusCode::CONFLICT, "approved once");
    assert_eq!(transition(&detachment, id, "return", "late").await, StatusCode::CONFLICT);
    assert_eq!(
        brigade.json(Method::PUT, &format!("/api/v1/activities/{id}"), &body).await.status(),
        StatusCode::CONFLICT,
        "approved records are final"
    );
    let after: Value = province.get(&format!("/api/v1/campaigns/{campaign}/overview")).await.json().await.unwrap();
    assert_eq!(value(&after, "people_trained"), value(&before, "people_trained") + 300);
    assert_eq!(child_value(&after, "220100", "people_trained"), child_value(&before, "220100", "people_trained") + 300);
    // Its duty's progress moved too (the brigade's training duty has a 2,000 target).
    let duties: Value = brigade.get("/api/v1/duties/mine").await.json().await.unwrap();
    let progress: i64 = duties
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["targets"].as_array().unwrap().iter())
        .filter(|t| t["metric_code"] == "people_trained")
        .map(|t| t["progress"].as_i64().unwrap())
        .sum();
    assert!(progress >= 320, "{duties}");
    let audit = app.scalar("select count(*) from audit_log where action like 'activity.%'").await;
    assert!(audit >= 8);
}

pub async fn absurd_figures_and_wrong_places_are_refused(app: TestApp) {
    let brigade = app.login("nanguan").await;
    let (campaign, month) = running(&brigade).await;
    let problem = |r: reqwest::Response| async move { (r.status(), r.json::<Value>().await.unwrap()) };
    let (s, p) =
        problem(new_record(&brigade, campaign, month, "特大培训", json!({"people_trained": 10_000_000})).await).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["field"], "figures.people_trained");
    assert!(p["detail"].as_str().unwrap().contains("not plausible"));
    let (s, p) = problem(new_record(&brigade, campaign, month, "负数", json!({"handouts": -5})).await).await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("figures.handouts")));
    let (_, p) = problem(new_record(&brigade, campaign, month, "新闻", json!({"news_central": 3})).await).await;
    assert_eq!(p["field"], "figures.news_central", "news are counted from the register");
    let outside = json!({"campaign_id": campaign, "kind": "drill", "title": "十二月演练", "starts_on": "2000-12-01", "region_code": "220102"});
    let (_, p) = problem(brigade.json(Method::POST, "/api/v1/activities", &outside).await).await;
    assert_eq!(p["field"], "starts_on");
    let elsewhere = json!({"campaign_id": campaign, "kind": "drill", "title": "越界", "starts_on": day(month, 1), "region_code": "222401"});
    let (_, p) = problem(brigade.json(Method::POST, "/api/v1/activities", &elsewhere).await).await;
    assert_eq!(p["field"], "region_code");
    let unknown = json!({"campaign_id": campaign, "kind": "party", "title": "x", "starts_on": day(month, 1), "region_code": "220102"});
    let (_, p) = problem(brigade.json(Method::POST, "/api/v1/activities", &unknown).await).await;
    assert_eq!(p["field"], "kind");
    let closed = json!({"campaign_id": campaign_id(&brigade, "2024年").await, "kind": "drill", "title": "x", "starts_on": "2024-11-10", "region_code": "220102"});
    let (_, p) = problem(brigade.json(Method::POST, "/api/v1/activities", &closed).await).await;
    assert_eq!(p["field"], "campaign_id");
    let leader = app.login("leader").await;
    assert_eq!(new_record(&leader, campaign, month, "领导", json!({})).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.scalar("select count(*) from activity where title in ('特大培训', '负数', '新闻', '越界', 'x', '领导')")
            .await,
        0
    );
}

pub async fn planners_write_duties_and_start_next_year_from_this_one(app: TestApp) {
    let province = app.login("province").await;
    let r = province.json(Method::POST, "/api/v1/campaigns", &json!({"name": "冬季百日宣传", "theme": "冬春火灾防控", "starts_on": "2026-12-01", "ends_on": "2027-03-10"})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let songyuan = app.unit_id("松原市消防救援支队").await;
    let duties = json!([{"unit_id": songyuan, "title": "平安寄递", "due_on": "2026-12-20", "targets": {"parcel_stickers": 40000}}]);
    assert_eq!(
        province.json(Method::POST, &format!("/api/v1/campaigns/{id}/duties"), &duties).await.status(),
        StatusCode::CREATED
    );
    let late = json!([{"unit_id": songyuan, "title": "太晚", "due_on": "2027-05-01"}]);
    let r = province.json(Method::POST, &format!("/api/v1/campaigns/{id}/duties"), &late).await;
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "due_on");
    let bad = json!([{"unit_id": songyuan, "title": "x", "due_on": "2026-12-20", "targets": {"parcel_stickers": 0}}]);
    assert_eq!(
        province.json(Method::POST, &format!("/api/v1/campaigns/{id}/duties"), &bad).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // A detachment cannot plan for the province; a leader cannot plan at all.
    let leader = app.login("leader").await;
    assert_eq!(
        leader
            .json(
                Method::POST,
                "/api/v1/campaigns",
                &json!({"name": "x", "theme": "y", "starts_on": "2026-12-01", "ends_on": "2026-12-02"})
            )
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let changchun = app.login("changchun").await;
    assert_eq!(
        changchun.json(Method::POST, &format!("/api/v1/campaigns/{id}/duties"), &duties).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "Songyuan is outside Changchun"
    );
    // Next year's from this one.
    let r = province
        .json(Method::POST, &format!("/api/v1/campaigns/{id}/copy"), &json!({"name": "冬季百日宣传（下一年）"}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let copy: Value = r.json().await.unwrap();
    assert_eq!(copy["starts_on"], "2027-12-01");
    assert_eq!(copy["copied_from"], id);
    let copied: Value = province.get(&format!("/api/v1/campaigns/{}/duties", copy["id"])).await.json().await.unwrap();
    assert_eq!(copied[0]["duty"]["due_on"], "2027-12-20");
    assert_eq!(copied[0]["targets"][0]["target"], 40000);
    // The assignee sees it on the home page.
    let sy = firecast::org::store::unit_by_name_or_id(&app.db, "松原市消防救援支队").await.unwrap();
    app.add_user("songyuan", "松原支队", firecast::org::Role::DetachmentStaff, sy.id).await;
    let songyuan_user = app.login("songyuan").await;
    let home = songyuan_user.get("/").await.text().await.unwrap();
    assert!(home.contains("平安寄递") && home.contains("40,000"), "{home}");
    assert_eq!(
        province
            .json(Method::POST, &format!("/api/v1/campaigns/{id}/status"), &json!({"status": "running"}))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        province
            .json(Method::POST, &format!("/api/v1/campaigns/{id}/status"), &json!({"status": "paused"}))
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

pub async fn reposts_count_once_and_airings_add_up(app: TestApp) {
    let c = app.login("changchun").await;
    let (campaign, month) = running(&c).await;
    let province = app.login("province").await;
    let before: Value = province.get(&format!("/api/v1/campaigns/{campaign}/overview")).await.json().await.unwrap();
    for outlet in ["长春日报", "长春晚报", "新文化报"] {
        let item = json!({"campaign_id": campaign, "level": "municipal", "outlet": outlet, "title": "长春：冬季消防宣传进万家！", "published_on": day(month, 3)});
        assert_eq!(c.json(Method::POST, "/api/v1/news", &item).await.status(), StatusCode::CREATED);
    }
    let other = json!({"campaign_id": campaign, "level": "municipal", "outlet": "长春日报", "title": "长春开展消防演练", "published_on": day(month, 4)});
    c.json(Method::POST, "/api/v1/news", &other).await;
    let bad = json!({"campaign_id": campaign, "level": "galactic", "outlet": "x", "title": "x", "published_on": day(month, 4)});
    assert_eq!(c.json(Method::POST, "/api/v1/news", &bad).await.json::<Value>().await.unwrap()["field"], "level");
    let airing = json!({"campaign_id": campaign, "kind": "psa", "channel": "长春电视台", "slot": "19:00", "aired_count": 120, "aired_on": day(month, 5)});
    assert_eq!(c.json(Method::POST, "/api/v1/airings", &airing).await.status(), StatusCode::CREATED);
    let after: Value = province.get(&format!("/api/v1/campaigns/{campaign}/overview")).await.json().await.unwrap();
    assert_eq!(value(&after, "news_municipal"), value(&before, "news_municipal") + 2, "three reposts count once");
    assert_eq!(value(&after, "airings"), value(&before, "airings") + 120);
    assert_eq!(child_value(&after, "220100", "news_municipal"), 2);
}

pub async fn spreadsheets_import_all_or_nothing(app: TestApp) {
    let c = app.login("changchun").await;
    let (campaign, month) = running(&c).await;
    let (d1, d2) = (day(month, 1), day(month, 2));
    let count = || app.scalar("select count(*) from activity");
    let before = count().await;
    let upload = |bytes: Vec<u8>, name: &str| {
        c.http
            .post(format!("{}/api/v1/activities/import?campaign={campaign}&filename={name}", c.base))
            .header("x-csrf-token", &c.csrf)
            .body(bytes)
            .send()
    };
    // GBK-encoded CSV, as Chinese Excel saves it.
    let csv = format!(
        "标题,类型,开始日期,区划代码,主办单位,发放宣传资料\n宽城区入户宣传,志愿服务,{d1},220103,长春市宽城区消防救援大队,\"1,200\"\n绿园区消防演练,drill,{d2},220106,,300\n"
    );
    let (gbk, _, _) = encoding_rs::GBK.encode(&csv);
    let r = upload(gbk.into_owned(), "reports.csv").await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    assert_eq!(count().await, before + 2);
    let kuancheng =
        app.scalar("select count(*) from activity where title = '宽城区入户宣传' and state = 'submitted'").await;
    assert_eq!(kuancheng, 1);
    // Records in another unit's name come only from the level that reviews that unit: the
    // province's line-department liaison cannot file them for a detachment.
    let yjt = app.login("yjt").await;
    let r = yjt
        .http
        .post(format!("{}/api/v1/activities/import?campaign={campaign}&filename=x.csv", yjt.base))
        .header("x-csrf-token", &yjt.csrf)
        .body(format!("标题,类型,开始日期,区划代码,主办单位\n代报一场,training,{d1},220102,长春市消防救援支队\n"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let errors: Value = r.json().await.unwrap();
    assert_eq!(
        (errors["errors"][0]["row"].as_i64(), errors["errors"][0]["column"].as_str()),
        (Some(2), Some("主办单位"))
    );
    assert_eq!(count().await, before + 2);
    // Every bad row and column is named, and nothing is stored.
    let bad = format!(
        "标题,类型,开始日期,区划代码,培训人数\n好的一行,training,{d1},220102,10\n,training,{d1},220102,10\n坏日期,training,2024/13/01,220102,10\n越界,training,{d1},222401,10\n荒唐,training,{d1},220102,10000000\n"
    );
    let r = upload(bad.into_bytes(), "bad.csv").await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let errors: Value = r.json().await.unwrap();
    let errors = errors["errors"].as_array().unwrap();
    let at = |row: i64, column: &str| errors.iter().any(|e| e["row"] == row && e["column"] == column);
    assert!(at(3, "标题"), "{errors:?}");
    assert!(at(4, "开始日期"), "{errors:?}");
    assert!(at(5, "区划代码"), "{errors:?}");
    assert!(at(6, "培训人数"), "{errors:?}");
    assert_eq!(count().await, before + 2, "nothing from the bad file");
    // A formula-injection cell is refused, naming where it is.
    let injected = format!("标题,类型,开始日期,区划代码\n=HYPERLINK(\"http://x\"),training,{d1},220102\n");
    let r = upload(injected.into_bytes(), "injected.csv").await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let errors: Value = r.json().await.unwrap();
    assert_eq!(errors["errors"][0]["row"], 2);
    assert_eq!(errors["errors"][0]["column"], "标题");
    // A spreadsheet with a formula is refused.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (i, h) in ["标题", "类型", "开始日期", "区划代码", "发放宣传资料"].iter().enumerate() {
        sheet.write_string(0, u16::try_from(i).unwrap(), *h).unwrap();
    }
    sheet.write_string(1, 0, "公式").unwrap();
    sheet.write_string(1, 1, "training").unwrap();
    sheet.write_string(1, 2, &d1).unwrap();
    sheet.write_string(1, 3, "220102").unwrap();
    sheet.write_formula(1, 4, "=1+1").unwrap();
    let r = upload(book.save_to_buffer().unwrap(), "formula.xlsx").await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("formula"));
    assert_eq!(count().await, before + 2);
    // The template's example row names the downloader's own region, and is refused until it is
    // deleted or made a record of one's own.
    let y = app.login("yanbian").await;
    let template = y.get(&format!("/activities/import/template.csv?campaign={campaign}")).await.text().await.unwrap();
    let example = template.lines().nth(1).unwrap_or_default();
    assert!(example.contains(",222400,"), "{example}");
    let upload_as_yanbian = |body: String| {
        y.http
            .post(format!("{}/api/v1/activities/import?campaign={campaign}&filename=template.csv", y.base))
            .header("x-csrf-token", &y.csrf)
            .body(body)
            .send()
    };
    let r = upload_as_yanbian(template.clone()).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let errors: Value = r.json().await.unwrap();
    assert_eq!(
        (errors["errors"][0]["row"].as_i64(), errors["errors"][0]["column"].as_str()),
        (Some(2), Some("说明")),
        "{errors}"
    );
    assert_eq!(count().await, before + 2);
    let r = upload_as_yanbian(template.replace("示例：请删除此行", "延吉市消防安全培训")).await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    assert_eq!(count().await, before + 3);
}

pub async fn exports_escape_formula_cells(app: TestApp) {
    let c = app.login("nanguan").await;
    let (campaign, month) = running(&c).await;
    let r = new_record(&c, campaign, month, "=HYPERLINK(\"http://evil\",\"点我\")", json!({"people_trained": 5})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let csv = c.get(&format!("/activities/export.csv?campaign={campaign}")).await;
    assert_eq!(csv.status(), StatusCode::OK);
    let text = csv.text().await.unwrap();
    assert!(text.starts_with('\u{feff}'), "a BOM for Excel");
    assert!(text.contains("'=HYPERLINK"), "{text}");
    assert!(!text.contains(",=HYPERLINK") && !text.contains("\"=HYPERLINK"));
    let xlsx = c.get(&format!("/activities/export.xlsx?campaign={campaign}")).await.bytes().await.unwrap();
    assert_eq!(&xlsx[..2], b"PK");
    let sheet = firecast::sheet::read(&xlsx, "export.xlsx").unwrap();
    assert!(sheet.rows.iter().any(|r| r.cells.iter().any(|c| c.starts_with("'=HYPERLINK"))));
}

pub async fn photos_are_checked_and_reuse_is_flagged(app: TestApp) {
    let c = app.login("nanguan").await;
    let (campaign, month) = running(&c).await;
    let mut ids = Vec::new();
    for title in ["第一次活动", "第二次活动"] {
        let r = new_record(&c, campaign, month, title, json!({"people_trained": 10})).await;
        ids.push(r.json::<Value>().await.unwrap()["activity"]["id"].as_i64().unwrap());
    }
    let upload = |id: i64, bytes: Vec<u8>| {
        c.http
            .post(format!("{}/api/v1/activities/{id}/photos", c.base))
            .header("x-csrf-token", &c.csrf)
            .body(bytes)
            .send()
    };
    let r = upload(ids[0], png(1)).await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert!(r.json::<Value>().await.unwrap()["used_elsewhere"].is_null());
    let r = upload(ids[1], png(1)).await.unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["used_elsewhere"], ids[0], "the same picture is flagged");
    assert!(upload(ids[1], png(2)).await.unwrap().json::<Value>().await.unwrap()["used_elsewhere"].is_null());
    for bad in
        [b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>".to_vec(), b"just text".to_vec()]
    {
        let r = upload(ids[0], bad).await.unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json::<Value>().await.unwrap()["field"], "photo");
    }
    // Stored photos are JPEG re-encodings; another detachment cannot fetch them.
    let photo_id = app.scalar(&format!("select min(id) from photo where activity_id = {}", ids[0])).await;
    let got = c.get(&format!("/activities/{}/photos/{photo_id}", ids[0])).await;
    assert_eq!(got.headers()["content-type"], "image/jpeg");
    assert_eq!(&got.bytes().await.unwrap()[..2], &[0xFF, 0xD8]);
    let yanbian = app.login("yanbian").await;
    assert_eq!(yanbian.get(&format!("/activities/{}/photos/{photo_id}", ids[0])).await.status(), StatusCode::NOT_FOUND);
}

pub async fn a_closed_campaign_is_final(app: TestApp) {
    let c = app.login("changchun").await;
    let closed = campaign_id(&c, "2024年").await;
    let news = json!({"campaign_id": closed, "level": "municipal", "outlet": "长春日报", "title": "迟到的新闻", "published_on": "2024-11-12"});
    let r = c.json(Method::POST, "/api/v1/news", &news).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("closed"));
    let airing = json!({"campaign_id": closed, "kind": "psa", "channel": "长春电视台", "aired_count": 5, "aired_on": "2024-11-12"});
    assert_eq!(c.json(Method::POST, "/api/v1/airings", &airing).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let province = app.login("province").await;
    let unit = app.unit_id("长春市消防救援支队").await;
    let duty = json!([{"unit_id": unit, "title": "补充任务", "due_on": "2024-11-20"}]);
    assert_eq!(
        province.json(Method::POST, &format!("/api/v1/campaigns/{closed}/duties"), &duty).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // Reopening is the owner's decision; then the register takes entries again.
    assert_eq!(
        province
            .json(Method::POST, &format!("/api/v1/campaigns/{closed}/status"), &json!({"status": "running"}))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(c.json(Method::POST, "/api/v1/news", &news).await.status(), StatusCode::CREATED);
}

pub async fn only_the_province_extends_the_metric_catalogue(app: TestApp) {
    let fields = [
        ("code", "fire_drills_2"),
        ("name", "消防演练场次"),
        ("name_en", "Fire drills"),
        ("unit", "场"),
        ("max_per_record", "100"),
    ];
    let city = app.login("changchun.admin").await;
    assert!(!city.get("/campaigns/metrics").await.text().await.unwrap().contains("action=\"/campaigns/metrics\""));
    assert_eq!(city.form("/campaigns/metrics", &fields).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.scalar("select count(*) from metric where code = 'fire_drills_2'").await, 0);
    let admin = app.login("admin").await;
    assert!(admin.get("/campaigns/metrics").await.text().await.unwrap().contains("action=\"/campaigns/metrics\""));
    let r = admin.form("/campaigns/metrics", &fields).await;
    assert!(r.status().is_success() || r.status().is_redirection(), "{}", r.status());
    assert_eq!(app.scalar("select count(*) from metric where code = 'fire_drills_2'").await, 1);
    // The catalogue reads in the reader's language and says where each metric's figures come from.
    let page = admin.get("/campaigns/metrics").await.text().await.unwrap();
    assert!(page.contains("消防演练场次") && !page.contains("Fire drills"), "{page}");
    for source in [
        "审核通过的活动数据求和",
        "新闻登记（转载只计一次）",
        "隐患报告（整改完成即计）",
        "志愿服务签到签退时长",
        "四级推送记录",
    ] {
        assert!(page.contains(source), "{source}: {page}");
    }
}

crate::on_both_backends!(
    only_the_province_extends_the_metric_catalogue,
    a_closed_campaign_is_final,
    photos_are_checked_and_reuse_is_flagged,
    the_demo_month_adds_up_to_the_report,
    records_move_through_review_by_the_level_above,
    absurd_figures_and_wrong_places_are_refused,
    planners_write_duties_and_start_next_year_from_this_one,
    reposts_count_once_and_airings_add_up,
    spreadsheets_import_all_or_nothing,
    exports_escape_formula_cells,
);
