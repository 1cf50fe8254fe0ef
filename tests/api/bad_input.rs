//! Malformed forms, JSON bodies and query strings get a 4xx that names the field, never a 500.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::TestApp;

async fn problem(r: reqwest::Response) -> (StatusCode, serde_json::Value) {
    let status = r.status();
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}

pub async fn malformed_input_names_the_field(app: TestApp) {
    let c = app.login("admin").await;
    let (s, p) = problem(c.get("/api/v1/units?parent_id=abc").await).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["field"], "parent_id");
    let (s, p) = problem(c.get("/api/v1/units?kind=castle").await).await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("kind")));
    let (s, p) = problem(c.get("/api/v1/regions?parent=22x").await).await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("parent")));

    let (s, p) =
        problem(c.json(Method::POST, "/api/v1/users", &json!({"username": "x1x", "unit_id": "seven"})).await).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["field"], "unit_id", "{p}");
    let (s, p) = problem(c.json(Method::POST, "/api/v1/users", &json!({"username": "x1x"})).await).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p["field"].is_string(), "a missing field is named: {p}");
    let r = c
        .http
        .post(format!("{}/api/v1/users", c.base))
        .header("x-csrf-token", &c.csrf)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = c
        .http
        .post(format!("{}/api/v1/users", c.base))
        .header("x-csrf-token", &c.csrf)
        .body("plain")
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r).await.1["field"], "content-type");
    let (s, p) = problem(
        c.json(
            Method::POST,
            "/api/v1/units",
            &json!({"name": "新单位", "kind": "brigade", "region_code": "999999", "parent_id": null}),
        )
        .await,
    )
    .await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("region_code")));
    let (s, p) = problem(
        c.json(
            Method::POST,
            "/api/v1/units",
            &json!({"name": "新单位", "kind": "detachment", "region_code": "220102", "parent_id": null}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (s, p["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("kind")),
        "a detachment sits at prefecture level"
    );
    let (s, p) = problem(
        c.json(
            Method::POST,
            "/api/v1/units",
            &json!({"name": "", "kind": "school", "region_code": "220102", "parent_id": null}),
        )
        .await,
    )
    .await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("name")));

    // Pages: a form with a field of the wrong type gets an HTML page naming it.
    let r = c
        .form(
            "/users",
            &[
                ("username", "abc"),
                ("display_name", "x"),
                ("role", "admin"),
                ("unit_id", "NaN"),
                ("password", "long-enough-pass"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("<code>unit_id</code>"), "{page}");
    assert!(page.contains("请求编号"));
    // A form error the user can fix re-shows the form with the message.
    let r = c
        .form(
            "/users",
            &[
                ("username", "a"),
                ("display_name", "x"),
                ("role", "admin"),
                ("unit_id", "1"),
                ("password", "long-enough-pass"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("登录名应为3至32个"));
}

pub async fn unknown_pages_get_a_useful_404(app: TestApp) {
    let c = app.login("nanguan").await;
    let r = c.get("/no/such/page").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    let page = r.text().await.unwrap();
    assert!(page.contains("页面不存在") && page.contains(&id), "the page shows the request id");
    let r = c.get("/api/v1/nothing").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    assert_eq!(c.get("/regions/not-a-code").await.status(), StatusCode::NOT_FOUND);
    // An address whose id is no number names nothing: the not-found page, in Chinese.
    for path in ["/units/99999999999999999999", "/quiz/questions"] {
        let r = c.get(path).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        let page = r.text().await.unwrap();
        assert!(page.contains("页面不存在") && page.contains("不在您的辖区内"), "{page}");
        assert!(!page.contains("Not Found") && !page.contains("not found"), "no English: {page}");
    }
    let r = c.get("/api/v1/units/abc").await;
    assert_eq!(problem(r).await.0, StatusCode::NOT_FOUND);
}

pub async fn control_characters_and_trailing_json_are_refused_naming_the_field(app: TestApp) {
    // Anonymous public forms: a NUL (a 500 on PostgreSQL once) or a bidi override names its field
    // and stores nothing.
    let anonymous = app.anonymous().await;
    let subscriptions = || app.scalar("select count(*) from subscriber");
    let before = subscriptions().await;
    for code in ["220102\u{0}", "2201\u{202e}02", "\u{2066}220102"] {
        let body = json!({"region_code": code, "channel": "inbox", "consent": true});
        let (s, p) = problem(anonymous.json(Method::POST, "/api/v1/public/push/subscriptions", &body).await).await;
        assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("region_code")), "{code:?}: {p}");
    }
    assert_eq!(subscriptions().await, before);

    // Nested JSON names the path; content after the value is refused.
    let province = app.login("province").await;
    let body = json!({"product_id": 1, "targets": ["220100", "2201\u{202d}00"]});
    let (s, p) = problem(province.json(Method::POST, "/api/v1/pushes", &body).await).await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("targets[1]")), "{p}");
    let r = province
        .http
        .post(format!("{}/api/v1/campaigns", province.base))
        .header("x-csrf-token", &province.csrf)
        .header("content-type", "application/json")
        .body(r#"{"name": "冬季百日宣传", "theme": "x", "starts_on": "2026-12-01", "ends_on": "2027-03-10"} {"name": "second"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.scalar("select count(*) from campaign where name = '冬季百日宣传'").await, 0);

    // Query strings, path parameters and forms too; a page says it in Chinese.
    let (s, p) = problem(province.get("/api/v1/units?q=%E2%80%AE").await).await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("q")));
    // The API answers in the language the client asks for.
    for (asked, said) in [("zh-CN,zh;q=0.9", "不可见的控制字符"), ("ko-KR", "제어 문자"), ("en", "invisible control")]
    {
        let r = province
            .http
            .get(format!("{}/api/v1/units?q=%E2%80%AE", province.base))
            .header("accept-language", asked)
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let (s, p) = problem(r).await;
        assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("q")));
        assert!(p["detail"].as_str().unwrap().contains(said), "{asked}: {p}");
    }
    let (s, p) = problem(province.get("/api/v1/regions/2201%00").await).await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("code")));
    let login = app.anonymous().await;
    let r = login.form("/login", &[("username", "admin\u{0}"), ("password", "x")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("控制字符"));
}

pub async fn importers_answer_damaged_files_without_a_server_error(app: TestApp) {
    let province = app.login("province").await;
    let volunteer = app.login("volunteer").await;
    let campaigns: serde_json::Value = province.get("/api/v1/campaigns").await.json().await.unwrap();
    let campaign = campaigns[0]["id"].as_i64().unwrap();
    let team = app.unit_id("美团小哥消防志愿服务队").await;
    // Plausible files, then damaged: bytes flipped, cut, or noise behind a real start.
    let starts: [&[u8]; 4] = [
        "标题,类型,开始日期,区划代码,发放宣传资料\n入户宣传,training,2024-11-10,220102,10\n".as_bytes(),
        "姓名,手机号,技能\n张三,13900000000,急救\n".as_bytes(),
        "::Q1:: 火警电话？{=119 ~110}\n".as_bytes(),
        b"PK\x03\x04\x14\x00\x06\x00",
    ];
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut answered = std::collections::BTreeMap::new();
    for round in 0..24 {
        let mut bytes = starts[round % starts.len()].to_vec();
        match round % 3 {
            0 => {
                for _ in 0..6 {
                    let at = usize::try_from(next()).unwrap() % bytes.len();
                    bytes[at] = next().to_le_bytes()[0];
                }
            }
            1 => bytes.truncate(1 + usize::try_from(next()).unwrap() % bytes.len()),
            _ => bytes.extend((0..200).map(|_| next().to_le_bytes()[0])),
        }
        let targets = [
            (&province, format!("/api/v1/activities/import?campaign={campaign}&filename=x.csv")),
            (&province, format!("/api/v1/activities/import?campaign={campaign}&filename=x.xlsx")),
            (&volunteer, format!("/api/v1/volunteer-teams/{team}/members/import?filename=m.csv")),
            (&province, "/api/v1/questions/import?format=gift".to_owned()),
            (&province, "/api/v1/questions/import?format=moodle".to_owned()),
            (&province, "/api/v1/questions/import?format=aiken".to_owned()),
            (&province, "/api/v1/questions/import?format=xlsx".to_owned()),
        ];
        for (c, path) in &targets {
            let r = c
                .http
                .post(format!("{}{path}", c.base))
                .header("x-csrf-token", &c.csrf)
                .body(bytes.clone())
                .send()
                .await
                .unwrap();
            assert!(r.status().as_u16() < 500, "{path} answered {} to round {round}", r.status());
            *answered.entry(r.status().as_u16()).or_insert(0) += 1;
        }
    }
    assert!(answered.contains_key(&422), "damaged files are refused with their errors: {answered:?}");
}

/// A refused file names the line or row, the part and the problem in the language the client
/// asks for: every question format, the activity records and the volunteer list.
pub async fn a_refused_file_is_explained_in_the_reader_s_language(app: TestApp) {
    let province = app.login("province").await;
    let volunteer = app.login("volunteer").await;
    let campaigns: serde_json::Value = province.get("/api/v1/campaigns").await.json().await.unwrap();
    let campaign = campaigns[0]["id"].as_i64().unwrap();
    let team = app.unit_id("美团小哥消防志愿服务队").await;
    let cases: [(&crate::helpers::Client, String, &str, &str, &str); 6] = [
        (
            &province,
            "/api/v1/questions/import?format=gift".into(),
            "$CATEGORY: home\n\n多选 {~%150%甲 ~%-50%乙}\n",
            "答案",
            "分值150%超出-100%至100%的范围",
        ),
        (
            &province,
            "/api/v1/questions/import?format=moodle".into(),
            "<quiz><question type=\"calculated\"><name><text>x</text></name></question></quiz>",
            "题型",
            "暂不能导入“calculated”类型的题目",
        ),
        (
            &province,
            "/api/v1/questions/import?format=aiken".into(),
            "火警电话是？\nA. 110\nB. 119\nANSWER: E\n",
            "答案",
            "“E”不是选项的字母",
        ),
        (
            &province,
            "/api/v1/questions/import?format=csv".into(),
            "题型,题干,答案\n连线,火警电话是多少？,119\n",
            "题型",
            "“连线”不是题型",
        ),
        (
            &province,
            format!("/api/v1/activities/import?campaign={campaign}&filename=x.csv"),
            "标题,类型\n入户宣传,training\n",
            "开始日期",
            "缺少“开始日期”列",
        ),
        (
            &volunteer,
            format!("/api/v1/volunteer-teams/{team}/members/import?filename=m.csv"),
            "姓名\n张三\n",
            "手机号",
            "缺少“手机号”列",
        ),
    ];
    for (c, path, body, column, says) in cases {
        let send = |lang: Option<&str>| {
            let mut r = c.http.post(format!("{}{path}", c.base)).header("x-csrf-token", &c.csrf).body(body.to_owned());
            if let Some(lang) = lang {
                r = r.header("accept-language", lang);
            }
            r.send()
        };
        let r = send(Some("zh-CN,zh;q=0.9")).await.unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        let v: serde_json::Value = r.json().await.unwrap();
        let first = &v["errors"][0];
        assert!(first["row"].as_i64().is_some_and(|n| n >= 1), "{path}: {v}");
        assert_eq!(first["column"], column, "{path}: {v}");
        assert!(first["message"].as_str().unwrap().contains(says), "{path}: {v}");
        let ko: serde_json::Value = send(Some("ko")).await.unwrap().json().await.unwrap();
        assert!(
            ko["errors"][0]["message"].as_str().unwrap().chars().any(|c| ('가'..='힣').contains(&c)),
            "{path}: {ko}"
        );
        let plain: serde_json::Value = send(None).await.unwrap().json().await.unwrap();
        assert!(!plain["errors"][0]["message"].as_str().unwrap().contains(says), "English without the header: {plain}");
    }
}

pub async fn a_refused_record_says_why_in_the_reader_s_language(app: TestApp) {
    let c = app.login("nanguan").await;
    let list: serde_json::Value = c.get("/api/v1/campaigns").await.json().await.unwrap();
    let running = list.as_array().unwrap().iter().find(|x| x["status"] == "running").unwrap().clone();
    let starts = running["starts_on"].as_str().unwrap().to_owned();
    let body = |starts_on: &str, ends_on: &str, people: i64| {
        serde_json::json!({"campaign_id": running["id"], "duty_id": null, "kind": "training", "title": "社区消防培训",
            "starts_on": starts_on, "ends_on": ends_on, "region_code": "220102001", "co_organisers": "", "venue": "",
            "description": "", "figures": {"people_trained": people}})
    };
    let ask = |lang: &'static str, body: serde_json::Value| {
        let c = c.clone();
        async move {
            let r = c
                .http
                .post(format!("{}/api/v1/activities", c.base))
                .header("x-csrf-token", &c.csrf)
                .header("accept-language", lang)
                .json(&body)
                .send()
                .await
                .unwrap();
            problem(r).await
        }
    };
    let (s, p) = ask("zh-CN", body(&starts, "2000-01-01", 10)).await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("ends_on")));
    assert_eq!(p["detail"], "结束日期不能早于开始日期");
    let (_, p) = ask("zh-CN", body("2000-01-01", "2000-01-01", 10)).await;
    let said = p["detail"].as_str().unwrap();
    assert!(said.starts_with("活动日期须在本次宣传活动期间（") && said.contains("年") && !said.contains('-'), "{said}");
    let (_, p) = ask("ko", body("2000-01-01", "2000-01-01", 10)).await;
    assert!(p["detail"].as_str().unwrap().contains("캠페인 기간"), "{p}");
    let (_, p) = ask("zh-CN", body(&starts, "", 99_999_999)).await;
    assert_eq!(p["field"], "figures.people_trained");
    assert!(p["detail"].as_str().unwrap().contains("不合常理"), "{p}");
    let (_, p) = ask("zh-CN", body("11月8日", "", 10)).await;
    assert_eq!(p["detail"], "“11月8日”不是日期，请按2024-11-08的格式填写");
    // Without Accept-Language the API keeps to English.
    let r = c.json(Method::POST, "/api/v1/activities", &body(&starts, "2000-01-01", 10)).await;
    assert_eq!(problem(r).await.1["detail"], "the activity must end on or after the day it starts");
}

pub async fn the_public_forms_refuse_in_chinese(app: TestApp) {
    let anon = app.anonymous().await;
    // Each public form, sent as a resident's phone sends it, with one thing wrong.
    let cases: [(&str, Vec<(&str, &str)>, &str); 4] = [
        ("/p/subscribe", vec![("region_code", "220102001001"), ("channel", "inbox")], "请勾选同意接收消防安全提示"),
        ("/p/subscribe", vec![("region_code", "220102"), ("consent", "1")], "请一直选到社区（村）一级"),
        ("/p/quiz/zhixiao-demo-2026/join", vec![("nickname", ""), ("region_code", "220102")], "昵称请填写1至20个字"),
        (
            "/p/quiz/zhixiao-demo-2026/join",
            vec![("nickname", "小明"), ("region_code", "999999")],
            "请选择吉林省内的地区",
        ),
    ];
    for (path, fields, said) in cases {
        let r = anon.form(path, &fields).await;
        let status = r.status();
        let page = r.text().await.unwrap();
        assert!(status.is_client_error() || status == StatusCode::OK, "{path}: {status}");
        assert!(page.contains(said), "{path} {fields:?} should say {said}: {page}");
    }
    // A volunteer event page: a malformed number.
    let token: String = match &app.db {
        firecast::db::Db::Sqlite(p, _) => {
            sqlx::query_scalar("select token from service_event where state = 'open' limit 1")
                .fetch_one(p)
                .await
                .unwrap()
        }
        firecast::db::Db::Postgres(p) => {
            sqlx::query_scalar("select token from service_event where state = 'open' limit 1")
                .fetch_one(p)
                .await
                .unwrap()
        }
    };
    let r =
        anon.form(&format!("/p/service/{token}"), &[("phone", "123"), ("name", "张三"), ("action", "sign_up")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("请填写11位手机号码"));
    // A resident's hazard report, from a phone that asks for Chinese.
    let r = anon
        .http
        .post(format!("{}/api/v1/public/hazards", anon.base))
        .header("x-csrf-token", &anon.csrf)
        .header("accept-language", "zh-CN")
        .json(&serde_json::json!({"category": "other", "region_code": "220102", "address": "南关区某小区",
            "description": "楼道堆放杂物"}))
        .send()
        .await
        .unwrap();
    let (s, p) = problem(r).await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("region_code")));
    assert!(p["detail"].as_str().unwrap().contains("范围太大，请选到社区（村）或乡镇（街道）"), "{p}");
    // A Korean reader reads the consent in Korean, and their tips default to Korean.
    anon.get("/lang/ko?next=/p/subscribe").await;
    let page = anon.get("/p/subscribe").await.text().await.unwrap();
    assert!(page.contains("동의합니다") && page.contains(r#"value="ko" id="lang-ko" checked"#), "{page}");
    let r = anon.form("/p/subscribe", &[("region_code", "220102001001"), ("channel", "inbox")]).await;
    assert!(r.text().await.unwrap().contains("안전 안내 수신에 동의하려면"));
}

/// Every JSON write operation of the API, sent a body of the wrong shape with
/// `Accept-Language: zh-CN`, is refused with a Chinese message (not the extractor's English):
/// 422, or another refusal the object's state gives first.
pub async fn every_api_area_refuses_a_bad_body_in_chinese(app: TestApp) {
    let province = app.login("province").await;
    let doc: serde_json::Value = province.get("/api/openapi.json").await.json().await.unwrap();
    let (mut tried, mut refused_422) = (0, 0);
    let mut wrong = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if op["requestBody"]["content"].get("application/json").is_none() {
                continue;
            }
            let url: String =
                path.split('/').map(|seg| if seg.starts_with('{') { "1" } else { seg }).collect::<Vec<_>>().join("/");
            let mut r = province
                .http
                .request(method.to_uppercase().parse::<Method>().unwrap(), format!("{}{url}", province.base))
                .header("x-csrf-token", &province.csrf)
                .header("accept-language", "zh-CN,zh;q=0.9");
            // Partners call with their key instead of an account.
            if path.starts_with("/api/v1/partner/") {
                r = r.header("x-partner-key", "fcp_demo_meituan");
            }
            let r = r.json(&json!([1, 2, 3])).send().await.unwrap();
            tried += 1;
            let (status, p) = problem(r).await;
            let detail = p["detail"].as_str().unwrap_or_default();
            let chinese = detail.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
            refused_422 += usize::from(status == StatusCode::UNPROCESSABLE_ENTITY);
            if !status.is_client_error() || !chinese {
                wrong.push(format!("{method} {path}: {status} {detail}"));
            }
        }
    }
    assert!(tried > 40 && refused_422 + 3 >= tried, "{refused_422} of {tried} operations answer 422");
    assert!(wrong.is_empty(), "{} of {tried}:\n{}", wrong.len(), wrong.join("\n"));
}

crate::on_both_backends!(
    every_api_area_refuses_a_bad_body_in_chinese,
    the_public_forms_refuse_in_chinese,
    a_refused_record_says_why_in_the_reader_s_language,
    a_refused_file_is_explained_in_the_reader_s_language,
    importers_answer_damaged_files_without_a_server_error,
    malformed_input_names_the_field,
    unknown_pages_get_a_useful_404,
    control_characters_and_trailing_json_are_refused_naming_the_field
);
