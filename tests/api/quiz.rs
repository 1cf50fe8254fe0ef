//! The knowledge quiz: the bank's imports (all or nothing, errors by line) and exports, a quiz
//! taken through the public API with server-side scoring, the leaderboard and ranks, and every
//! refused submission (a client's score, a question not drawn, a replay, after the deadline).

use std::collections::HashMap;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::fake_sms::FakeSms;
use crate::helpers::{Client, TestApp, at_once};

async fn bank_size(c: &Client) -> usize {
    let v: Value = c.get("/api/v1/questions?limit=1000&status=active").await.json().await.unwrap();
    v.as_array().unwrap().len()
}

async fn import(c: &Client, format: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let r = c
        .http
        .post(format!("{}/api/v1/questions/import?format={format}", c.base))
        .header("x-csrf-token", &c.csrf)
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

pub async fn the_bank_imports_all_or_nothing_and_exports_every_format(app: TestApp) {
    let province = app.login("province").await;
    assert!(bank_size(&province).await >= 200, "the demo loads the starting bank");
    let changchun = app.login("changchun").await;
    let before = bank_size(&changchun).await;
    assert_eq!(before, bank_size(&province).await, "a detachment draws on the province's bank");

    // Broken files: a clear error by line, nothing imported.
    let broken = [
        ("gift", "$CATEGORY: home\n\n灭火器的压力表指针应在{=绿区 ~红区\n\n好题 {T}\n".as_bytes().to_vec(), 3, "not closed"),
        ("gift", "$CATEGORY: home\n\n多选 {~%150%甲 ~%-50%乙}\n".as_bytes().to_vec(), 3, "outside -100% to 100%"),
        (
            "moodle",
            b"<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;\">]>\n<quiz>&lol2;</quiz>".to_vec(),
            2,
            "DOCTYPE",
        ),
        ("csv", "type,stem\nsingle,火警电话？\n".as_bytes().to_vec(), 1, "missing"),
        ("aiken", "火警电话是？\nA. 110\nB. 119\nANSWER: C\n".as_bytes().to_vec(), 4, "not one of the options"),
    ];
    for (format, body, line, says) in broken {
        let (s, v) = import(&changchun, format, body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{format}: {v}");
        let e = &v["errors"][0];
        assert_eq!(e["row"], line, "{format}: {v}");
        assert!(e["message"].as_str().unwrap().contains(says), "{format}: {v}");
    }
    assert_eq!(bank_size(&changchun).await, before, "a refused file imports nothing");

    // Every export reads back; the detachment's own bank takes the GIFT export whole.
    for format in ["xlsx", "csv", "gift", "moodle", "aiken"] {
        let r = province.get(&format!("/api/v1/questions/export?format={format}")).await;
        assert_eq!(r.status(), StatusCode::OK, "{format}");
        assert!(r.headers()["content-disposition"].to_str().unwrap().contains("question-bank"));
        let bytes = r.bytes().await.unwrap().to_vec();
        assert!(!bytes.is_empty());
        if format == "gift" {
            let (s, v) = import(&changchun, "gift", bytes.clone()).await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
            assert_eq!(v["imported"].as_u64().unwrap() as usize, before);
            // The same file again: every question is already in that bank as it is, and nothing
            // changes.
            let (s, v) = import(&changchun, "gift", bytes.clone()).await;
            assert_eq!(
                (s, v["imported"].as_u64(), v["skipped"].as_u64()),
                (StatusCode::CREATED, Some(0), Some(before as u64)),
                "{v}"
            );
            // A question of the bank with other answers is refused by its line, and the whole file with it.
            let text = String::from_utf8(bytes).unwrap();
            let changed = text.replacen("{=", "{~%50%改过的答案 =", 1);
            let (s, v) = import(&changchun, "gift", changed.into_bytes()).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
            assert!(v["errors"][0]["message"].as_str().unwrap().contains("already in the bank"), "{v}");
        }
    }
    assert_eq!(bank_size(&changchun).await, 2 * before);
    // The detachment's export is its own bank, not the province's above it: taken out and read
    // back in, it gives the same bank, question by question.
    let unit = app.unit_id("长春市消防救援支队").await;
    let own = format!(
        "select kind || '|' || title || '|' || category || '|' || difficulty || '|' || stem || '|' || options || '|' \
         || answer || '|' || weights || '|' || feedback || '|' || explanation || '|' || source from question \
         where owner_unit_id = {unit} order by stem"
    );
    let bank = app.texts(&own).await;
    assert_eq!(bank.len(), before, "the detachment's own bank");
    for format in ["gift", "moodle", "csv", "xlsx"] {
        let exported = changchun.get(&format!("/api/v1/questions/export?format={format}")).await.bytes().await.unwrap();
        app.exec(&format!("delete from question where owner_unit_id = {unit}")).await.unwrap();
        let (s, v) = import(&changchun, format, exported.to_vec()).await;
        assert_eq!(s, StatusCode::CREATED, "{format}: {v}");
        assert_eq!(v["imported"].as_u64().unwrap() as usize, before, "{format}: only its own bank");
        assert_eq!(app.texts(&own).await, bank, "{format} gives the same bank");
    }
    // Titles, formatting, weights and feedback are kept; what a file holds that the bank does
    // not keep is said by line and part, in the reader's language.
    let titled = "$CATEGORY: $course$/top/家庭防火/电气\n\n::一一九::[html]<p onclick\\=\"x()\">火警电话是<b>多少</b>？</p><script>x()</script>\
                  {=119#对 ~%50%一一九#写数字 ~110#错}\n\n[markdown]**别**用湿手碰开关。{T}\n\n\
                  [html]<img src\\=\"https\\://example.com/a.png\">灭火器要定期检查。{T}\n";
    let r = changchun
        .http
        .post(format!("{}/api/v1/questions/import?format=gift", changchun.base))
        .header("x-csrf-token", &changchun.csrf)
        .header("accept-language", "zh-CN")
        .body(titled)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    let said: Vec<(i64, &str, &str)> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["row"].as_i64().unwrap(), w["column"].as_str().unwrap(), w["message"].as_str().unwrap()))
        .collect();
    assert_eq!(said, vec![(7, "题干", "1张图片未保存")], "{v}");
    let markdown =
        app.texts(&format!("select html from question where owner_unit_id = {unit} and stem like '别用%'")).await;
    assert_eq!(markdown, ["<p><strong>别</strong>用湿手碰开关。</p>"], "Markdown keeps its formatting");
    let kept = app
        .texts(&format!(
            "select title || '|' || category || '|' || stem || '|' || html || '|' || weights || '|' || feedback \
             from question where owner_unit_id = {unit} and title = '一一九'"
        ))
        .await;
    assert_eq!(
        kept,
        vec![
            r#"一一九|home/电气|火警电话是多少？|<p>火警电话是<b>多少</b>？</p>|[100.0,50.0,0.0]|["对","写数字","错"]"#
        ]
    );
    // Essays and descriptions come in and stay in the bank, but no quiz draws them.
    let open = "$CATEGORY: escape\n\n请简述家中起火时的逃生要点。{}\n\n以下题目关于电动自行车充电。\n";
    let (s, v) = import(&changchun, "gift", open.as_bytes().to_vec()).await;
    assert_eq!((s, v["imported"].as_u64()), (StatusCode::CREATED, Some(2)), "{v}");
    let kept = app
        .scalar(&format!(
            "select count(*) from question where owner_unit_id = {unit} and kind in ('essay', 'description')"
        ))
        .await;
    assert_eq!(kept, 2);
    let pool = firecast::quiz::store::pool(&app.db, "/22/2201/").await.unwrap();
    let drawn_kinds = app
        .scalar(&format!(
            "select count(*) from question where kind in ('essay', 'description') and id in ({})",
            pool.iter().map(|q| q.id.to_string()).collect::<Vec<_>>().join(",")
        ))
        .await;
    assert_eq!(drawn_kinds, 0, "the pool leaves them out");
    // A volunteer may not import.
    let volunteer = app.login("volunteer").await;
    let (s, _) = import(&volunteer, "gift", b"x {T}".to_vec()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

/// The bank's questions by their text, as the staff API shows them.
async fn answer_key(c: &Client) -> HashMap<String, Value> {
    let v: Value = c.get("/api/v1/questions?limit=1000").await.json().await.unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|q| (q["question"]["stem"].as_str().unwrap().to_owned(), q["question"].clone()))
        .collect()
}

/// The answer to send for a shown question, right or wrong.
fn reply(key: &HashMap<String, Value>, shown: &Value, right: bool) -> Value {
    let q = &key[shown["stem"].as_str().unwrap()];
    let answer = &q["answer"];
    if let Some(t) = answer.get("truth") {
        return json!({"truth": t.as_bool().unwrap() == right});
    }
    if let Some(m) = answer.get("match") {
        // The answer of each item as shown; turned by one, every pair is wrong.
        let items = q["options"].as_array().unwrap();
        let mut picked: Vec<&Value> = shown["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| &m["pairs"][items.iter().position(|i| i == item).unwrap()])
            .collect();
        if !right {
            picked.rotate_left(1);
        }
        return json!({ "text": picked });
    }
    if let Some(texts) = answer.get("text") {
        return json!({"text": [if right { texts[0].as_str().unwrap() } else { "不知道" }]});
    }
    let stored: Vec<String> = q["options"].as_array().unwrap().iter().map(|o| o.as_str().unwrap().to_owned()).collect();
    let correct: Vec<&str> =
        answer["choice"].as_array().unwrap().iter().map(|i| stored[i.as_u64().unwrap() as usize].as_str()).collect();
    let shown_opts: Vec<&str> = shown["options"].as_array().unwrap().iter().map(|o| o.as_str().unwrap()).collect();
    let picked: Vec<usize> = if right {
        shown_opts.iter().enumerate().filter(|(_, o)| correct.contains(o)).map(|(i, _)| i).collect()
    } else {
        vec![shown_opts.iter().position(|o| !correct.contains(o)).unwrap()]
    };
    json!({"choice": picked})
}

#[derive(Clone)]
struct Resident {
    c: Client,
    device: String,
}

impl Resident {
    /// A resident on a phone of their own.
    async fn new(app: &TestApp, name: &str, region: &str) -> Self {
        Self::on(app, name, region, None).await
    }

    /// A resident on a browser that says `user_agent` (their own phone's when `None`).
    async fn on(app: &TestApp, name: &str, region: &str, user_agent: Option<&str>) -> Self {
        let c = app.anonymous().await;
        let device = firecast::org::new_secret();
        let user_agent = user_agent.map_or_else(|| format!("phone {device}"), str::to_owned);
        let r = c
            .http
            .post(format!("{}/api/v1/public/participants", c.base))
            .header("x-csrf-token", &c.csrf)
            .header("x-device-token", &device)
            .header("user-agent", user_agent)
            .json(&json!({"nickname": name, "region_code": region}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
        Self { c, device }
    }

    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut r = self
            .c
            .http
            .request(method, format!("{}{path}", self.c.base))
            .header("x-csrf-token", &self.c.csrf)
            .header("x-device-token", &self.device);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let r = r.send().await.unwrap();
        (r.status(), r.json().await.unwrap_or(Value::Null))
    }

    async fn start(&self, slug: &str) -> (StatusCode, Value) {
        self.send(Method::POST, &format!("/api/v1/public/quizzes/{slug}/attempts"), None).await
    }

    /// Takes a whole attempt, answering `right` of the questions rightly; returns the result.
    async fn take(&self, slug: &str, key: &HashMap<String, Value>, right: usize) -> Value {
        let (s, started) = self.start(slug).await;
        assert_eq!(s, StatusCode::CREATED, "{started}");
        let token = started["token"].as_str().unwrap().to_owned();
        for i in 0..started["total"].as_i64().unwrap() {
            let (s, shown) =
                self.send(Method::GET, &format!("/api/v1/public/attempts/{token}/questions/{i}"), None).await;
            assert_eq!(s, StatusCode::OK, "{shown}");
            let body = json!({"answer": reply(key, &shown, usize::try_from(i).unwrap() < right)});
            let (s, v) =
                self.send(Method::POST, &format!("/api/v1/public/attempts/{token}/questions/{i}"), Some(body)).await;
            assert_eq!((s, v["accepted"].as_bool()), (StatusCode::OK, Some(true)), "{v}");
        }
        let (s, mut v) = self.send(Method::POST, &format!("/api/v1/public/attempts/{token}/finish"), None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["token"] = json!(token);
        v
    }
}

async fn new_quiz(c: &Client, title: &str, audience: &str, blueprint: &str) -> Value {
    let body = json!({
        "title": title, "opens_at": "2020-01-01 00:00", "closes_at": "2099-12-31 23:00", "blueprint": blueprint,
        "time_limit_seconds": 600, "attempts_per_day": 3, "audience_region": audience
    });
    let r = c.json(Method::POST, "/api/v1/quizzes", &body).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json().await.unwrap()
}

pub async fn residents_take_a_quiz_scored_by_the_server_and_see_their_rank(app: TestApp) {
    let province = app.login("province").await;
    let key = answer_key(&province).await;
    let quiz = new_quiz(&province, "测试竞答", "220000", "* * 5").await;
    let slug = quiz["slug"].as_str().unwrap();

    let ace = Resident::new(&app, "满分选手", "220102").await;
    let best = ace.take(slug, &key, 5).await;
    assert_eq!(
        (best["score"].as_i64(), best["correct"].as_i64(), best["total"].as_i64()),
        (Some(50), Some(5), Some(5)),
        "{best}"
    );
    assert_eq!(best["rank"], 1);
    let weak = Resident::new(&app, "新手", "222401").await;
    let low = weak.take(slug, &key, 2).await;
    assert_eq!(
        (low["score"].as_i64(), low["rank"].as_i64(), low["ranked"].as_i64()),
        (Some(20), Some(2), Some(2)),
        "{low}"
    );

    // The leaderboard: by score, then time; per region too.
    let id = quiz["id"].as_i64().unwrap();
    let board: Value = province.get(&format!("/api/v1/quizzes/{id}/leaderboard")).await.json().await.unwrap();
    let names: Vec<&str> = board.as_array().unwrap().iter().map(|l| l["nickname"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["满分选手", "新手"]);
    let yanbian: Value =
        province.get(&format!("/api/v1/quizzes/{id}/leaderboard?region=222400")).await.json().await.unwrap();
    assert_eq!(yanbian.as_array().unwrap().len(), 1);
    assert_eq!(yanbian[0]["nickname"], "新手");

    // A second, worse attempt does not lower the best; answers came faster than anyone reads.
    let again = weak.take(slug, &key, 0).await;
    assert_eq!(again["rank"], 2);
    let flagged =
        app.scalar(&format!("select count(*) from attempt where quiz_id = {id} and flags like '%too_fast%'")).await;
    assert!(flagged >= 3, "answers sooner than anyone reads are flagged: {flagged}");
    let page = province.get(&format!("/quiz/{id}")).await.text().await.unwrap();
    assert!(
        page.contains("满分选手") && page.contains("多道题作答快于读题所需的时间"),
        "the quiz page lists the board and the flags"
    );
    // The public board holds back flagged results until a person clears them.
    let public = app.anonymous().await;
    let board = public.get(&format!("/p/quiz/{slug}/board")).await.text().await.unwrap();
    assert!(!board.contains("满分选手") && !board.contains("新手"), "flagged results are held back");
    let attempt = app
        .scalar("select b.attempt_id from quiz_best b join participant p on p.id = b.participant_id where p.nickname = '满分选手'")
        .await;
    let r = province
        .form(
            &format!("/quiz/{id}/selection/clear"),
            &[("attempt", attempt.to_string().as_str()), ("reason", "现场核实为本人作答")],
        )
        .await;
    assert!(r.status().is_success() || r.status().is_redirection(), "{}", r.status());
    let board = public.get(&format!("/p/quiz/{slug}/board")).await.text().await.unwrap();
    assert!(board.contains("满分选手") && !board.contains("新手"), "a cleared result is shown");

    // The result page shows the explanations and the rank; the share card carries the score.
    let token = best["token"].as_str().unwrap();
    let result = ace.c.get(&format!("/p/attempts/{token}/result")).await.text().await.unwrap();
    assert!(result.contains("答题解析") && result.contains("id=\"rank\">1<"), "the result page");
    // The share card is a PNG a phone saves on a long press, with the score drawn in red.
    let card = ace.c.get(&format!("/p/attempts/{token}/card.png")).await;
    assert_eq!(card.headers()["content-type"], "image/png");
    let png = resvg::tiny_skia::Pixmap::decode_png(&card.bytes().await.unwrap()).unwrap();
    assert_eq!((png.width(), png.height()), (1200, 640));
    let red = (400..800)
        .flat_map(|x| (230..350).map(move |y| (x, y)))
        .filter(|&(x, y)| png.pixel(x, y).is_some_and(|p| p.red() > 150 && p.green() < 90))
        .count();
    assert!(red > 2_000, "the score is drawn ({red} red pixels)");

    // The fourth attempt of the day is refused.
    assert_eq!(weak.start(slug).await.0, StatusCode::CREATED);
    let (s, v) = weak.start(slug).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{v}");
}

pub async fn refused_submissions_count_nothing(app: TestApp) {
    let province = app.login("province").await;
    let key = answer_key(&province).await;
    let quiz = new_quiz(&province, "提交检查", "220000", "* * 3").await;
    let slug = quiz["slug"].as_str().unwrap();
    let r = Resident::new(&app, "检查员", "220102").await;
    let (_, started) = r.start(slug).await;
    let token = started["token"].as_str().unwrap().to_owned();
    let (_, shown) = r.send(Method::GET, &format!("/api/v1/public/attempts/{token}/questions/0"), None).await;
    let right = reply(&key, &shown, true);
    let path = format!("/api/v1/public/attempts/{token}/questions/0");

    // A client-sent score is refused outright.
    let (s, v) = r.send(Method::POST, &path, Some(json!({"answer": right, "score": 1000}))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    // A question not drawn for the attempt.
    let (s, v) = r
        .send(Method::POST, &format!("/api/v1/public/attempts/{token}/questions/99"), Some(json!({"answer": right})))
        .await;
    assert_eq!((s, v["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("position")), "{v}");
    // Answered once; the replay is accepted as a no-op.
    let (s, v) = r.send(Method::POST, &path, Some(json!({"answer": right}))).await;
    assert_eq!((s, v["accepted"].as_bool()), (StatusCode::OK, Some(true)));
    let wrong = reply(&key, &shown, false);
    let (s, v) = r.send(Method::POST, &path, Some(json!({"answer": wrong}))).await;
    assert_eq!((s, v["accepted"].as_bool()), (StatusCode::OK, Some(false)), "a replay changes nothing");
    // Another attempt's token cannot answer this one's questions, and an unknown token is 404.
    let (s, _) =
        r.send(Method::POST, "/api/v1/public/attempts/not-a-token/questions/0", Some(json!({"answer": right}))).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Ten answers to one question at once (they reach the writer together): one is stored.
    let third = format!("/api/v1/public/attempts/{token}/questions/2");
    let (_, shown) = r.send(Method::GET, &third, None).await;
    let wrong = reply(&key, &shown, false);
    let sent = at_once(10, |_| {
        let (r, third, wrong) = (r.clone(), third.clone(), wrong.clone());
        async move { r.send(Method::POST, &third, Some(json!({"answer": wrong}))).await }
    })
    .await;
    assert!(sent.iter().all(|(s, _)| *s == StatusCode::OK), "{sent:?}");
    assert_eq!(sent.iter().filter(|(_, v)| v["accepted"] == true).count(), 1, "{sent:?}");
    // After the deadline nothing is taken.
    app.exec(&format!("update attempt set deadline_at = started_at where token = '{token}'")).await.unwrap();
    let (s, v) = r
        .send(Method::POST, &format!("/api/v1/public/attempts/{token}/questions/1"), Some(json!({"answer": right})))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let (s, v) = r.send(Method::POST, &format!("/api/v1/public/attempts/{token}/finish"), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (v["score"].as_i64(), v["correct"].as_i64()),
        (Some(10), Some(1)),
        "only the one answer counts, once: {v}"
    );
    let (s, again) = r.send(Method::POST, &format!("/api/v1/public/attempts/{token}/finish"), None).await;
    assert_eq!((s, again["score"].as_i64()), (StatusCode::OK, Some(10)), "finishing twice changes nothing");
    let best = app.scalar(&format!("select count(*) from quiz_best where quiz_id = {}", quiz["id"])).await;
    assert_eq!(best, 1);
}

pub async fn a_regional_quiz_is_for_its_residents(app: TestApp) {
    let changchun = app.login("changchun").await;
    let quiz = new_quiz(&changchun, "长春市消防知识竞答", "220100", "* * 2").await;
    let slug = quiz["slug"].as_str().unwrap();
    let outsider = Resident::new(&app, "延吉人", "222401").await;
    let (s, _) = outsider.start(slug).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let local = Resident::new(&app, "长春人", "220102").await;
    let (s, _) = local.start(slug).await;
    assert_eq!(s, StatusCode::CREATED);
    // A blueprint the bank cannot fill is refused when the quiz is set up.
    let r = changchun
        .json(Method::POST, "/api/v1/quizzes", &json!({"title": "太多", "opens_at": "2020-01-01 00:00", "closes_at": "2099-01-01 00:00", "blueprint": "home 3 90", "time_limit_seconds": 600, "attempts_per_day": 1, "audience_region": "220100"}))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["field"], "blueprint", "{v}");
    // Yanbian's staff do not see Changchun's quiz.
    let yanbian = app.login("yanbian").await;
    let r = yanbian.get(&format!("/api/v1/quizzes/{}/leaderboard", quiz["id"])).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

/// The quiz form sets its blueprint with rows of choices and shows it as a sentence; a bad row
/// is named in Chinese and what was typed stays; the audience defaults to the creator's area.
pub async fn the_quiz_form_is_filled_with_choices_not_codes(app: TestApp) {
    let changchun = app.login("changchun").await;
    let form = changchun.get("/quiz").await.text().await.unwrap();
    assert!(form.contains("name=\"bp0_category\"") && !form.contains("name=\"blueprint\""));
    assert!(form.contains("id=\"audience_region\" value=\"220100\""), "the city's own area by default");
    let base = [
        ("title", "长春市冬季防火竞答"),
        ("opens_at", "2026-01-01T08:00"),
        ("closes_at", "2099-12-31T20:00"),
        ("time_limit_minutes", "10"),
        ("attempts_per_day", "3"),
        ("audience_region", "220100"),
        ("scoring", "accuracy"),
    ];
    let mut bad = base.to_vec();
    bad.extend([("bp0_category", "*"), ("bp0_difficulty", "1"), ("bp0_count", "三")]);
    let r = changchun.form("/quiz", &bad).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = r.text().await.unwrap();
    assert!(text.contains("组卷规则：第1行的题数应为1至100的整数"), "{text}");
    assert!(text.contains("value=\"长春市冬季防火竞答\""), "what was typed stays");
    let mut good = base.to_vec();
    good.extend([
        ("bp0_category", "home"),
        ("bp0_difficulty", "*"),
        ("bp0_count", "2"),
        ("bp1_category", "*"),
        ("bp1_difficulty", "2"),
        ("bp1_count", "3"),
        ("bp2_count", ""),
    ]);
    let r = changchun.form("/quiz", &good).await;
    assert!(r.status().is_redirection(), "{}", r.text().await.unwrap());
    let at = r.headers()["location"].to_str().unwrap().to_owned();
    let page = changchun.get(&at).await.text().await.unwrap();
    assert!(page.contains("每次答题抽取5题：家庭防火（不限难度）2题；不限分类（中等）3题"), "{page}");
}

pub async fn simultaneous_starts_and_finishes_neither_beat_a_limit_nor_fail(app: TestApp) {
    let province = app.login("province").await;
    let quiz = new_quiz(&province, "并发检查", "220000", "* * 2").await;
    let slug = quiz["slug"].as_str().unwrap();
    let resident = Resident::new(&app, "手快", "220102").await;
    // Twelve starts at once against three attempts a day: exactly three begin.
    let starts = at_once(12, |_| {
        let (r, slug) = (resident.clone(), slug.to_owned());
        async move { r.start(&slug).await }
    })
    .await;
    let status = |s: &[(StatusCode, Value)], want: StatusCode| s.iter().filter(|(st, _)| *st == want).count();
    assert_eq!(status(&starts, StatusCode::CREATED), 3, "{starts:?}");
    assert_eq!(status(&starts, StatusCode::TOO_MANY_REQUESTS), 9, "{starts:?}");
    let id = quiz["id"].as_i64().unwrap();
    assert_eq!(app.scalar(&format!("select count(*) from attempt where quiz_id = {id}")).await, 3);
    // Ten finishes of one attempt at once: every one answered, the result counted once.
    let token = starts.iter().find(|(s, _)| *s == StatusCode::CREATED).unwrap().1["token"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/public/attempts/{token}/finish");
    let finishes = at_once(10, |_| {
        let (r, path) = (resident.clone(), path.clone());
        async move { r.send(Method::POST, &path, None).await }
    })
    .await;
    assert_eq!(status(&finishes, StatusCode::OK), 10, "{finishes:?}");
    assert_eq!(app.scalar(&format!("select count(*) from quiz_best where quiz_id = {id}")).await, 1);
    assert_eq!(
        app.scalar(&format!("select count(*) from attempt where quiz_id = {id} and submitted_at is not null")).await,
        1
    );
}

pub async fn one_browser_registering_many_players_is_held_for_staff(app: TestApp) {
    let province = app.login("province").await;
    let quiz = new_quiz(&province, "机房竞答", "220000", "* * 3").await;
    let slug = quiz["slug"].as_str().unwrap();
    // Cookies cleared again and again on one computer: the same browser on the same network.
    let lab = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0 机房";
    let mut flags = Vec::new();
    for i in 0..5 {
        let r = Resident::on(&app, &format!("分身{i}"), "220102", Some(lab)).await;
        let (s, v) = r.start(slug).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let sql = format!(
            "select a.flags from attempt a join participant p on p.id = a.participant_id where p.nickname = '分身{i}'"
        );
        flags.push(app.texts(&sql).await.concat());
    }
    let held: Vec<bool> = flags.iter().map(|f| f.contains("shared_device")).collect();
    assert_eq!(held, [false, false, false, true, true], "the fourth identity of one browser on is held: {flags:?}");
    // Someone else on the same network, on their own phone, is not.
    let other = Resident::new(&app, "邻居", "220102").await;
    assert_eq!(other.start(slug).await.0, StatusCode::CREATED);
    let theirs = app
        .texts("select a.flags from attempt a join participant p on p.id = a.participant_id where p.nickname = '邻居'")
        .await;
    assert_eq!(theirs, [""]);
    // Staff see why.
    let id = quiz["id"].as_i64().unwrap();
    let page = province.get(&format!("/quiz/{id}")).await.text().await.unwrap();
    assert!(page.contains("同一浏览器（同一网络）一天内登记多名参赛者"), "the reason is shown to staff");
    let stored = app
        .scalar("select count(*) from participant where fingerprint like '%机房%' or fingerprint like '%Chrome%'")
        .await;
    assert_eq!(stored, 0, "the fingerprint is kept hashed, never the browser's own words");
}

pub async fn a_proved_phone_is_one_player_on_every_device(app: TestApp) {
    let body = json!({
        "title": "知消杯", "opens_at": "2020-01-01 00:00", "closes_at": "2099-12-31 23:00", "blueprint": "* * 3",
        "time_limit_seconds": 600, "attempts_per_day": 3, "audience_region": "220000", "phone_required": true
    });
    // Without an SMS account that sends codes, a quiz cannot ask for proved phones.
    let r = app.login("province").await.json(Method::POST, "/api/v1/quizzes", &body).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "phone_required");
    let fake = FakeSms::start("AKIDtest", "secret-key").await;
    let app = app.reconfigured(|c| fake.configure(c)).await;
    let r = app.login("province").await.json(Method::POST, "/api/v1/quizzes", &body).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let quiz: Value = r.json().await.unwrap();
    let slug = quiz["slug"].as_str().unwrap();

    let phone = Resident::new(&app, "张三", "220102").await;
    assert_eq!(phone.start(slug).await.0, StatusCode::CONFLICT, "no proved phone, no attempt");
    let code_for = |r: &Resident, number: &str| {
        let (r, number) = (r.clone(), number.to_owned());
        async move { r.send(Method::POST, "/api/v1/public/participants/code", Some(json!({ "phone": number }))).await }
    };
    let prove = |r: &Resident, code: String| {
        let r = r.clone();
        async move { r.send(Method::POST, "/api/v1/public/participants/phone", Some(json!({ "code": code }))).await }
    };
    let (s, e) = code_for(&phone, "12345").await;
    assert_eq!((s, e["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("phone")), "{e}");
    let (s, v) = code_for(&phone, "139 1234 5678").await;
    assert_eq!((s, &v["sent"]), (StatusCode::OK, &json!(true)), "{v}");
    assert_eq!(code_for(&phone, "13912345678").await.0, StatusCode::TOO_MANY_REQUESTS, "one code a minute");
    let code = fake.last_code("+8613912345678").expect("a code was sent");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (s, e) = prove(&phone, wrong.into()).await;
    assert_eq!((s, e["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("code")), "{e}");
    let (s, me) = prove(&phone, code).await;
    assert_eq!((s, me["phone"].as_str(), me["nickname"].as_str()), (StatusCode::OK, Some("139****5678"), Some("张三")));
    assert_eq!(phone.start(slug).await.0, StatusCode::CREATED);

    // The same phone on another device, under another name: the same player, with the same
    // attempts of the day.
    let tablet = Resident::new(&app, "李四", "220102").await;
    assert_eq!(tablet.start(slug).await.0, StatusCode::CONFLICT);
    assert_eq!(code_for(&tablet, "+86 139-1234-5678").await.0, StatusCode::OK);
    let (s, me) = prove(&tablet, fake.last_code("+8613912345678").unwrap()).await;
    assert_eq!((s, me["nickname"].as_str()), (StatusCode::OK, Some("张三")), "{me}");
    assert_eq!(tablet.start(slug).await.0, StatusCode::CREATED);
    assert_eq!(tablet.start(slug).await.0, StatusCode::CREATED);
    assert_eq!(tablet.start(slug).await.0, StatusCode::TOO_MANY_REQUESTS, "three a day for the person, on any device");
    assert_eq!(app.scalar("select count(*) from participant where phone_index is not null").await, 1);
    let sealed = app.scalar("select count(*) from participant where phone_sealed like '%13912345678%'").await;
    assert_eq!(sealed, 0, "the number is kept sealed");

    // A proved phone is one person, even on a browser that registered many.
    for i in 0..3 {
        Resident::on(&app, &format!("机房{i}"), "220102", Some("lab")).await;
    }
    let fourth = Resident::on(&app, "机房3", "220102", Some("lab")).await;
    assert_eq!(code_for(&fourth, "13800001111").await.0, StatusCode::OK);
    assert_eq!(prove(&fourth, fake.last_code("+8613800001111").unwrap()).await.0, StatusCode::OK);
    assert_eq!(fourth.start(slug).await.0, StatusCode::CREATED);
    let flags = app
        .texts("select a.flags from attempt a join participant p on p.id = a.participant_id where p.nickname = '机房3'")
        .await;
    assert_eq!(flags, [""], "not held back");
}

pub async fn draw_pools_are_kept_until_the_banks_change(app: TestApp) {
    use firecast::quiz::pools::DrawPools;
    let pools = DrawPools::default();
    let version = || async { firecast::quiz::store::bank_version(&app.db).await.unwrap() };
    let before = pools.get(&app.db, "/22/2201/", version().await).await.unwrap();
    let again = pools.get(&app.db, "/22/2201/", version().await).await.unwrap();
    assert!(std::sync::Arc::ptr_eq(&before, &again), "kept while the banks stand still");
    // A question retired: gone from the next start's pool.
    let retired = before[0].id;
    let province = app.login("province").await;
    let r =
        province.json(Method::POST, &format!("/api/v1/questions/{retired}/status"), &json!({"active": false})).await;
    assert!(r.status().is_success(), "{}", r.status());
    let after = pools.get(&app.db, "/22/2201/", version().await).await.unwrap();
    assert_eq!(after.len(), before.len() - 1);
    assert!(after.iter().all(|q| q.id != retired));
    // A question imported by the detachment: in its quizzes' pools at once.
    let (s, v) =
        import(&app.login("changchun").await, "gift", "::新题::电动自行车不要在楼道里充电。{T}\n".as_bytes().to_vec())
            .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let grown = pools.get(&app.db, "/22/2201/", version().await).await.unwrap();
    assert_eq!(grown.len(), after.len() + 1);
}

pub async fn one_address_registers_a_bounded_number_of_new_players(app: TestApp) {
    use firecast::quiz::actions::{JoinInput, join};
    let key = firecast::config::Config::with_database(&app.url).data_key(&app.url).unwrap();
    let most = firecast::quiz::NEW_PLAYERS_PER_HOUR;
    let writers = firecast::quiz::writer::Writers::start(&app.db);
    for i in 0..most - 10 {
        let input = JoinInput { nickname: format!("玩家{i}"), region_code: "220102".into(), school: String::new() };
        join(&writers, &key, &format!("device-{i}"), &format!("phone-{i}"), &input, "127.0.0.1").await.unwrap();
    }
    // Thirty-two new devices at once from the same address: ten get in.
    let c = app.anonymous().await;
    let joins = at_once(32, |i| {
        let c = c.clone();
        async move {
            c.http
                .post(format!("{}/api/v1/public/participants", c.base))
                .header("x-csrf-token", &c.csrf)
                .header("x-device-token", format!("burst-device-{i:06}"))
                .json(&json!({"nickname": format!("连点{i}"), "region_code": "220102"}))
                .send()
                .await
                .unwrap()
                .status()
        }
    })
    .await;
    let ok = joins.iter().filter(|s| **s == StatusCode::OK).count();
    let limited = joins.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!((ok, limited), (10, 22), "{joins:?}");
    assert_eq!(app.scalar("select count(*) from participant where nickname like '连点%'").await, 10);
    // A player already registered comes back without spending anything.
    let input = JoinInput { nickname: "玩家0".into(), region_code: "220102".into(), school: String::new() };
    assert!(join(&writers, &key, "device-0", "phone-0", &input, "127.0.0.1").await.is_ok());
}

/// A bank from elsewhere: a category of its own, a matching question, and answers worth part of
/// the points, drawn by the category's name and scored as weighted.
pub async fn matching_questions_and_part_marks_score_as_weighted(app: TestApp) {
    let changchun = app.login("changchun").await;
    let gift = "$CATEGORY: $course$/top/校园安全/实验室\n\n\
                ::灭火::[html]连一连<b>灭火方法</b>。{=油锅起火 -> 盖锅盖 =电器起火 -> 先断电 = -> 用水浇}\n\n\
                实验室应配备哪些？{~%50%灭火器 ~%50%灭火毯 ~%-100%酒精灯}\n\n\
                火警电话是{=119 =%50%一一九#请写数字 =%0%110#那是匪警}。\n";
    let (s, v) = import(&changchun, "gift", gift.as_bytes().to_vec()).await;
    assert_eq!((s, v["imported"].as_u64()), (StatusCode::CREATED, Some(3)), "{v}");
    assert_eq!(v["warnings"], json!([]), "nothing lost");
    // The blueprint names the category as people write it; the quiz draws the levels below it.
    let quiz = new_quiz(&changchun, "实验室安全", "220100", "校园安全 * 3").await;
    let slug = quiz["slug"].as_str().unwrap();
    let resident = Resident::new(&app, "实验员", "220102").await;
    let (s, started) = resident.start(slug).await;
    assert_eq!(s, StatusCode::CREATED, "{started}");
    let token = started["token"].as_str().unwrap().to_owned();
    for i in 0..3 {
        let path = format!("/api/v1/public/attempts/{token}/questions/{i}");
        let (_, shown) = resident.send(Method::GET, &path, None).await;
        let options: Vec<&str> = shown["options"].as_array().unwrap().iter().map(|o| o.as_str().unwrap()).collect();
        let answer = if shown["kind"] == "matching" {
            assert_eq!(
                shown["choices"],
                json!(["先断电", "用水浇", "盖锅盖"]),
                "answers in an order that tells nothing"
            );
            let page = resident.c.get(&format!("/p/attempts/{token}/{i}")).await.text().await.unwrap();
            assert_eq!(page.matches("name=\"match\"").count(), 2, "one list an item");
            assert!(
                page.contains("连一连<b>灭火方法</b>。") && shown["stem"] == "连一连灭火方法。",
                "formatted, its words plain"
            );
            // One pair right, one wrong: half the points.
            json!({"text": options.iter().map(|o| if *o == "油锅起火" { "盖锅盖" } else { "用水浇" }).collect::<Vec<_>>()})
        } else if shown["kind"] == "multiple" {
            json!({"choice": [options.iter().position(|o| *o == "灭火器").unwrap()]})
        } else {
            json!({"text": ["一一九"]})
        };
        let (s, v) = resident.send(Method::POST, &path, Some(json!({ "answer": answer }))).await;
        assert_eq!((s, v["accepted"].as_bool()), (StatusCode::OK, Some(true)), "{v}");
    }
    let (s, done) = resident.send(Method::POST, &format!("/api/v1/public/attempts/{token}/finish"), None).await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!((done["score"].as_i64(), done["correct"].as_i64()), (Some(15), Some(0)), "three halves: {done}");
    // The review says so, with the feedback on the answer given.
    let review = resident.c.get(&format!("/p/attempts/{token}/result")).await.text().await.unwrap();
    assert_eq!(review.matches("部分得分").count(), 3, "{review}");
    assert!(review.contains("请写数字") && review.contains("油锅起火 → 盖锅盖；电器起火 → 先断电"), "{review}");
    // The bank lists a category with the levels below it.
    let key = changchun.get("/api/v1/questions?category=校园安全&limit=10").await.json::<Value>().await.unwrap();
    assert_eq!(key.as_array().unwrap().len(), 3);
}

/// Pictures in a Moodle question come in cleaned (re-encoded as JPEG, like photos), are served
/// to the quiz's pages, and go out with the question in its Moodle export; one that cannot be
/// read, or one of another installation's bank, is left out and said.
pub async fn pictures_come_in_cleaned_and_go_out_with_their_question(app: TestApp) {
    use base64::Engine as _;
    use sha2::Digest as _;
    let changchun = app.login("changchun").await;
    let data = base64::engine::general_purpose::STANDARD.encode(crate::helpers::png(7));
    let xml = format!(
        "<?xml version=\"1.0\"?>\n<quiz>\n<question type=\"truefalse\"><name><text>认灭火器</text></name>\
         <questiontext format=\"html\"><text><![CDATA[<p>图中是干粉灭火器：</p><p><img src=\"@@PLUGINFILE@@/%E7%81%AD%E7%81%AB%E5%99%A8.png\" alt=\"x\" width=\"40\"></p>]]></text>\
         <file name=\"灭火器.png\" path=\"/\" encoding=\"base64\">{data}</file></questiontext>\
         <answer fraction=\"100\"><text>true</text></answer><answer fraction=\"0\"><text>false</text></answer></question>\n\
         <question type=\"truefalse\"><questiontext format=\"html\"><text><![CDATA[<p>坏图<img src=\"@@PLUGINFILE@@/bad.png\"></p>]]></text>\
         <file name=\"bad.png\" encoding=\"base64\">bm90IGEgcGljdHVyZQ==</file></questiontext>\
         <answer fraction=\"100\"><text>true</text></answer><answer fraction=\"0\"><text>false</text></answer></question>\n</quiz>"
    );
    let (s, v) = import(&changchun, "moodle", xml.into_bytes()).await;
    assert_eq!((s, v["imported"].as_u64()), (StatusCode::CREATED, Some(2)), "{v}");
    assert_eq!(v["warnings"].as_array().unwrap().len(), 1, "the file that is no picture is said: {v}");
    assert_eq!(v["warnings"][0]["row"], 4, "{v}");
    let html = app.texts("select html from question where title = '认灭火器'").await.remove(0);
    let sha256 = html.split("/p/quiz/images/").nth(1).unwrap().split(".jpg").next().unwrap().to_owned();
    assert_eq!(html, format!("<p>图中是干粉灭火器：</p><p><img src=\"/p/quiz/images/{sha256}.jpg\" alt=\"\"></p>"));
    assert_eq!(app.texts("select html from question where stem = '坏图'").await, vec![""], "plain text once it goes");
    // Served to anyone (the quiz is public), as a cleaned JPEG named by its own hash.
    let picture = app.anonymous().await.get(&format!("/p/quiz/images/{sha256}.jpg")).await;
    assert_eq!(picture.status(), StatusCode::OK);
    assert_eq!(picture.headers()["content-type"], "image/jpeg");
    let jpeg = picture.bytes().await.unwrap();
    assert!(jpeg.starts_with(&[0xFF, 0xD8]), "re-encoded as JPEG");
    assert_eq!(format!("{:x}", sha2::Sha256::digest(&jpeg)), sha256);
    let missing = app.anonymous().await.get(&format!("/p/quiz/images/{}.jpg", "0".repeat(64))).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    // Out with its question in Moodle XML, and back in as the same question.
    let exported = changchun.get("/api/v1/questions/export?format=moodle").await.text().await.unwrap();
    assert!(exported.contains(&format!("<file name=\"{sha256}.jpg\" path=\"/\" encoding=\"base64\">")));
    let (s, v) = import(&changchun, "moodle", exported.into_bytes()).await;
    assert_eq!((s, v["imported"].as_u64()), (StatusCode::CREATED, Some(0)), "{v}");
    // A picture of another installation's bank, named in a GIFT file, is left out and said.
    let gift = format!("[html]<p>别处的图<img src\\=\"/p/quiz/images/{}.jpg\"></p>{{T}}\n", "a".repeat(64));
    let (s, v) = import(&changchun, "gift", gift.into_bytes()).await;
    assert_eq!(
        (s, v["warnings"][0]["message"].as_str()),
        (StatusCode::CREATED, Some("A picture of another installation's bank was not kept")),
        "{v}"
    );
    assert_eq!(app.texts("select html from question where stem = '别处的图'").await, vec![""]);
}

crate::on_both_backends!(
    pictures_come_in_cleaned_and_go_out_with_their_question,
    matching_questions_and_part_marks_score_as_weighted,
    simultaneous_starts_and_finishes_neither_beat_a_limit_nor_fail,
    one_address_registers_a_bounded_number_of_new_players,
    the_bank_imports_all_or_nothing_and_exports_every_format,
    residents_take_a_quiz_scored_by_the_server_and_see_their_rank,
    one_browser_registering_many_players_is_held_for_staff,
    a_proved_phone_is_one_player_on_every_device,
    draw_pools_are_kept_until_the_banks_change,
    refused_submissions_count_nothing,
    a_regional_quiz_is_for_its_residents,
    the_quiz_form_is_filled_with_choices_not_codes,
);
