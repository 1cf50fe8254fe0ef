//! Quiz statistics and selection: facility and discrimination on a constructed set of attempts,
//! the weakest topics per region, finalists under eligibility rules and quotas, the seeded prize
//! draw, teams, refusals and scope, and the demo's selections.

use std::collections::{BTreeMap, HashSet};

use firecast::quiz::store::{self, NewAttempt, NewParticipant};
use firecast::quiz::{Answer, selection};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;

const CHANGCHUN: (&str, &str) = ("220102", "/22/2201/220102/");
const JILIN: (&str, &str) = ("220202", "/22/2202/220202/");

/// The constructed data set: attempt `i` of 25 answers three questions (home, gas, ebike).
fn right(i: usize) -> [bool; 3] {
    [i < 10, i >= 18, i < 12]
}

fn region(i: usize) -> (&'static str, &'static str) {
    if i < 6 || i.is_multiple_of(2) { CHANGCHUN } else { JILIN }
}

async fn question_of(app: &TestApp, category: &str) -> i64 {
    app.scalar(&format!("select min(id) from question where category = '{category}' and kind = 'true_false'")).await
}

/// A province quiz with prize threshold 10; returns its id.
async fn make_quiz(app: &TestApp) -> i64 {
    let c = app.login("province").await;
    let r = c
        .json(
            Method::POST,
            "/api/v1/quizzes",
            &json!({"title": "统计测试", "opens_at": "2020-01-01 00:00", "closes_at": "2099-01-01 00:00", "blueprint": "* 1 3",
                "time_limit_seconds": 600, "attempts_per_day": 5, "audience_region": "220000", "prize_min_score": 10}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

/// Stores one finished attempt of participant `who` (created when new) with the given answers,
/// started an hour ago.
async fn attempt(
    app: &TestApp,
    quiz_id: i64,
    who: &str,
    phone: bool,
    region: (&str, &str),
    answers: &[(i64, bool)],
    secs: i64,
    flags: &str,
) -> i64 {
    let started = firecast::clock::now() - time::Duration::hours(1);
    attempt_started(app, quiz_id, who, phone, region, answers, secs, flags, started).await
}

/// Stores one finished attempt, started at `started`.
#[allow(clippy::too_many_arguments)]
async fn attempt_started(
    app: &TestApp,
    quiz_id: i64,
    who: &str,
    phone: bool,
    region: (&str, &str),
    answers: &[(i64, bool)],
    secs: i64,
    flags: &str,
    started: time::OffsetDateTime,
) -> i64 {
    let quiz = store::quiz_by_id(&app.db, quiz_id).await.unwrap();
    let device = format!("dev-{who}");
    let mut p = store::participants(
        &app.db,
        &[NewParticipant {
            device_hash: device.clone(),
            nickname: format!("选手{who}"),
            region_code: region.0.into(),
            school: String::new(),
            fingerprint: format!("fp-{who}"),
            per_fingerprint: firecast::quiz::FINGERPRINT_PLAYERS,
            address: (format!("address-{who}"), i64::MAX),
        }],
    )
    .await
    .unwrap()
    .pop()
    .unwrap()
    .unwrap();
    if phone && p.phone_masked.is_empty() {
        let now = firecast::clock::now();
        let check = store::NewCheck {
            device_hash: &device,
            phone_index: &format!("idx-{who}"),
            phone_sealed: "sealed",
            phone_masked: "138****0000",
            code_hash: "code",
            sent_at: now,
            expires_at: now + time::Duration::minutes(10),
        };
        store::put_check(&app.db, &check).await.unwrap();
        let proved = store::prove_check(&app.db, p.id, &device, "code", now, 5).await.unwrap();
        assert!(matches!(proved, store::Proved::Done), "{proved:?}");
        p = store::participant_by_device(&app.db, &device).await.unwrap().unwrap();
    }
    let drawn: Vec<(i64, Vec<usize>)> = answers.iter().map(|(q, _)| (*q, vec![])).collect();
    let token = format!("tok-{who}-{secs}-{}", answers.len());
    let regions =
        vec!["/22/".to_owned(), firecast::quiz::selection::prefecture(region.1).to_owned(), region.1.to_owned()];
    let stored = store::insert_attempts(
        &app.db,
        &[NewAttempt {
            token: token.clone(),
            quiz_id: quiz.id,
            attempts_per_day: quiz.attempts_per_day,
            participant_id: p.id,
            region_path: p.region_path.clone(),
            school: p.school.clone(),
            day: started.date(),
            started_at: started,
            deadline_at: started + time::Duration::seconds(600),
            flags: String::new(),
            many_attempts: i64::MAX,
            ip: String::new(),
            per_address: i64::MAX,
            drawn,
        }],
    )
    .await
    .unwrap();
    assert!(stored[0].is_ok(), "within the day's attempts");
    let a = store::attempt_by_token(&app.db, &token).await.unwrap();
    let given: Vec<store::NewAnswer> = answers
        .iter()
        .enumerate()
        .map(|(pos, (_, ok))| store::NewAnswer {
            attempt_id: a.id,
            position: i64::try_from(pos).unwrap(),
            given: Answer::Truth(*ok),
            correct: *ok,
            points: if *ok { 10 } else { 0 },
            at: started,
        })
        .collect();
    let mut tx = app.db.begin().await.unwrap();
    store::answer_many(&mut tx, &given).await.unwrap();
    tx.commit().await.unwrap();
    assert!(store::finish(&app.db, &a, flags, started + time::Duration::seconds(secs), &regions).await.unwrap());
    a.id
}

/// Loads attempts `from..to` of the constructed set; attempt 1 is flagged, participant 0 has
/// a phone and a second, slower attempt with the same score.
async fn load(app: &TestApp, quiz: i64, from: usize, to: usize) -> (i64, [i64; 3]) {
    let qs = [question_of(app, "home").await, question_of(app, "gas").await, question_of(app, "ebike").await];
    let mut flagged = 0;
    for i in from..to {
        let r = right(i);
        let answers: Vec<(i64, bool)> = qs.iter().copied().zip(r).collect();
        let flags = if i == 1 { "too_fast" } else { "" };
        let id =
            attempt(app, quiz, &i.to_string(), i == 0, region(i), &answers, 100 + i64::try_from(i).unwrap(), flags)
                .await;
        if i == 1 {
            flagged = id;
        }
    }
    (flagged, qs)
}

fn by_question(stats: &Value, id: i64) -> Value {
    stats["hardest"].as_array().unwrap().iter().find(|q| q["question_id"] == id).unwrap().clone()
}

fn close(v: &Value, expected: f64) -> bool {
    (v.as_f64().unwrap() - expected).abs() < 1e-9
}

pub async fn facility_and_discrimination_on_known_answers(app: TestApp) {
    let quiz = make_quiz(&app).await;
    let c = app.login("province").await;
    let (_, qs) = load(&app, quiz, 0, 19).await;
    let s: Value = c.get(&format!("/api/v1/quizzes/{quiz}/stats")).await.json().await.unwrap();
    assert_eq!(s["finished"], 19);
    assert_eq!(s["too_few"], true);
    assert!(by_question(&s, qs[0])["discrimination"].is_null(), "19 attempts: too few answers");
    assert!(close(&by_question(&s, qs[0])["facility"], 10.0 / 19.0));
    let page = c.get(&format!("/quiz/{quiz}/stats")).await.text().await.unwrap();
    assert!(page.contains("作答太少"));
    load(&app, quiz, 19, 25).await;
    let s: Value = c.get(&format!("/api/v1/quizzes/{quiz}/stats")).await.json().await.unwrap();
    assert_eq!(s["finished"], 25);
    // 27% of 25 is 7 attempts each side: upper = attempts 0–6, lower = 24 and 12–17.
    let (home, gas, ebike) = (by_question(&s, qs[0]), by_question(&s, qs[1]), by_question(&s, qs[2]));
    assert!(close(&home["facility"], 0.4) && close(&home["discrimination"], 1.0), "{home}");
    assert!(close(&gas["facility"], 0.28) && close(&gas["discrimination"], -1.0 / 7.0), "{gas}");
    assert_eq!(gas["check_key"], true);
    assert!(close(&ebike["facility"], 0.48) && close(&ebike["discrimination"], 1.0));
    assert_eq!(s["hardest"][0]["question_id"], qs[1], "the hardest first");
    assert_eq!(s["least_discriminating"][0]["question_id"], qs[1], "the least discriminating first");
    let page = c.get(&format!("/quiz/{quiz}/stats")).await.text().await.unwrap();
    assert!(page.contains("请核对答案") && page.contains("<svg"), "flag and chart on the page");
    let view = c.get(&format!("/quiz/{quiz}")).await.text().await.unwrap();
    assert!(view.contains(&format!("/quiz/{quiz}/stats")));
}

pub async fn weakest_topics_per_region(app: TestApp) {
    let quiz = make_quiz(&app).await;
    let c = app.login("province").await;
    load(&app, quiz, 0, 25).await;
    // Expected from the design, counted plainly: (region, category) → (answers, right).
    let mut expected: BTreeMap<(&str, &str), (i64, i64)> = BTreeMap::new();
    for i in 0..25 {
        for (k, cat) in ["home", "gas", "ebike"].into_iter().enumerate() {
            let e = expected.entry((&region(i).1[..9], cat)).or_default();
            e.0 += 1;
            e.1 += i64::from(right(i)[k]);
        }
    }
    let s: Value = c.get(&format!("/api/v1/quizzes/{quiz}/stats?min_answers=1")).await.json().await.unwrap();
    let topics = s["weak_topics"].as_array().unwrap();
    assert_eq!(topics.len(), 6, "three categories in each of two regions");
    for path in ["/22/2201/", "/22/2202/"] {
        let mine: Vec<&Value> = topics.iter().filter(|t| t["region_path"] == path).collect();
        let shares: Vec<f64> =
            mine.iter().map(|t| t["right_answers"].as_f64().unwrap() / t["answers"].as_f64().unwrap()).collect();
        assert!(shares.windows(2).all(|w| w[0] <= w[1]), "weakest first: {shares:?}");
        for t in mine {
            let e = expected[&(path, t["category"].as_str().unwrap())];
            assert_eq!((t["answers"].as_i64().unwrap(), t["right_answers"].as_i64().unwrap()), e);
        }
    }
    assert_eq!(topics.iter().find(|t| t["region_path"] == "/22/2201/").unwrap()["region_name"], "长春市");
    // A high threshold leaves nothing; the subdivisions of Changchun are its districts.
    let none: Value = c.get(&format!("/api/v1/quizzes/{quiz}/stats?min_answers=1000")).await.json().await.unwrap();
    assert!(none["weak_topics"].as_array().unwrap().is_empty());
    let sub: Value =
        c.get(&format!("/api/v1/quizzes/{quiz}/stats?min_answers=1&region=220100")).await.json().await.unwrap();
    assert!(sub["weak_topics"].as_array().unwrap().iter().all(|t| t["region_path"] == CHANGCHUN.1));
    let page = c.get(&format!("/quiz/{quiz}/stats?min_answers=1")).await.text().await.unwrap();
    assert!(page.contains("建议宣传产品") && page.contains("燃气安全"));
}

/// The loop from a weak topic back to it: a region's weak topic suggests approved products on
/// the topic, its link opens the composer for that region, and once the push has reached the
/// region the page shows the topic's right answers there before and since, with the answers
/// behind each, and says when they are too few to read a change from.
pub async fn a_weak_topic_leads_to_a_push_and_its_measured_effect(app: TestApp) {
    let quiz = make_quiz(&app).await;
    let c = app.login("province").await;
    let (_, qs) = load(&app, quiz, 0, 25).await;
    let stats = || async {
        let s: Value = c.get(&format!("/api/v1/quizzes/{quiz}/stats?min_answers=1")).await.json().await.unwrap();
        s["weak_topics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["region_path"] == CHANGCHUN.1[..9] && t["category"] == "gas")
            .cloned()
            .expect("gas is a weak topic of 长春")
    };
    let gas = stats().await;
    assert_eq!(gas["region_code"], "220100");
    let products = gas["products"].as_array().unwrap();
    assert!(!products.is_empty() && products.len() <= 3, "{gas}");
    for p in products {
        let on_topic = app
            .scalar(&format!(
                "select count(*) from push_product where id = {} and state = 'approved' \
                 and (tags like '%,gas,%' or search like '%燃气%')",
                p["product_id"]
            ))
            .await;
        assert_eq!(on_topic, 1, "an approved product on the topic: {p}");
    }
    // The page links each product to the composer for the region, with a note saying why.
    let product = products[0]["product_id"].as_i64().unwrap();
    let page = c.get(&format!("/quiz/{quiz}/stats?min_answers=1")).await.text().await.unwrap();
    let link = format!("/pushes/new?product={product}&#38;region=220100&#38;note=");
    assert!(page.contains(&link), "{page}");
    let composer = c
        .get(&format!("/pushes/new?product={product}&region=220100&note=%E7%87%83%E6%B0%94"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        composer.contains("value=\"220100\" class=\"pu-target\" checked") && composer.contains("燃气"),
        "{composer}"
    );

    // The push reaches 长春 at once; all answers so far came before it.
    let r = c
        .json(
            Method::POST,
            "/api/v1/pushes",
            &json!({"product_id": product, "targets": ["220100"], "note": "燃气安全"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let push = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let (mut answers, mut rights) = (0, 0);
    for i in (0..25).filter(|&i| region(i) == CHANGCHUN) {
        answers += 1;
        rights += i64::from(right(i)[1]);
    }
    let gas = stats().await;
    assert_eq!(gas["push"]["push_id"], push, "{gas}");
    assert_eq!(
        (gas["push"]["before"]["answers"].as_i64(), gas["push"]["before"]["right_answers"].as_i64()),
        (Some(answers), Some(rights))
    );
    assert_eq!(gas["push"]["after"]["answers"], 0);
    assert_eq!(gas["push"]["too_few"], true);

    // Three residents answer after it, all right: counted after, and too few to call a trend.
    let later = firecast::clock::now() + time::Duration::minutes(1);
    for who in ["后1", "后2", "后3"] {
        attempt_started(&app, quiz, who, false, CHANGCHUN, &[(qs[1], true)], 60, "", later).await;
    }
    let gas = stats().await;
    assert_eq!(
        (gas["push"]["after"]["answers"].as_i64(), gas["push"]["after"]["right_answers"].as_i64()),
        (Some(3), Some(3))
    );
    assert_eq!(gas["push"]["before"]["answers"].as_i64(), Some(answers), "the earlier answers stay before");
    let page = c.get(&format!("/quiz/{quiz}/stats?min_answers=1")).await.text().await.unwrap();
    assert!(page.contains(&format!("/pushes/{push}")) && page.contains("推送后100.0%（3题次）"), "{page}");
    assert!(page.contains("变化仅供参考"));
    // A region the push did not reach shows none.
    let s: Value = c.get(&format!("/api/v1/quizzes/{quiz}/stats?min_answers=1")).await.json().await.unwrap();
    let jilin = s["weak_topics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["region_path"] == JILIN.1[..9] && t["category"] == "gas")
        .cloned()
        .unwrap();
    let reached = app.scalar(&format!("select count(*) from push_node n join push_product pr on pr.id = (select product_id from push where id = n.push_id) where n.region_code = '220200' and (pr.tags like '%,gas,%' or pr.search like '%燃气%')")).await;
    assert_eq!(jilin["push"].is_null(), reached == 0, "{jilin}");
}

async fn finalists(c: &crate::helpers::Client, quiz: i64, body: Value) -> (StatusCode, Value) {
    let r = c.json(Method::POST, &format!("/api/v1/quizzes/{quiz}/selections/finalists"), &body).await;
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

/// The test's own names of a selection's entries (the API masks them, as the CSV does).
async fn nicknames(app: &TestApp, v: &Value) -> Vec<String> {
    let mut names = Vec::new();
    for id in ids(v) {
        let n =
            app.scalar(&format!("select cast(substr(nickname, 3) as bigint) from participant where id = {id}")).await;
        names.push(format!("选手{n}"));
    }
    names
}

pub async fn finalists_follow_the_rules(app: TestApp) {
    let quiz = make_quiz(&app).await;
    let c = app.login("province").await;
    let (flagged, qs) = load(&app, quiz, 0, 25).await;
    // Participant 0 (by phone) tries again, as well but slower: still one place.
    let same: Vec<(i64, bool)> = qs.iter().copied().zip(right(0)).collect();
    attempt(&app, quiz, "0", true, region(0), &same, 500, "").await;
    // Eligible: score ≥ 10 and not flagged: attempts 0, 2–11, 18–24 (18 people).
    let (st, v) = finalists(&c, quiz, json!({"count": 4})).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(v["selection"]["eligible"], 18);
    assert_eq!(
        nicknames(&app, &v).await,
        ["选手0", "选手2", "选手3", "选手4"],
        "best attempt of 0 counts once; 1 is flagged"
    );
    let (_, again) = finalists(&c, quiz, json!({"count": 4})).await;
    assert_eq!(ids(&again), ids(&v), "the same rules give the same list");
    // Quota: at most 2 of Changchun (0, 2, 3, 4, 5, 6 … live there; 7 and 9 in Jilin).
    let (_, q) = finalists(&c, quiz, json!({"count": 4, "region_quota": 2})).await;
    assert_eq!(nicknames(&app, &q).await, ["选手0", "选手2", "选手7", "选手9"]);
    // Impossible rules.
    assert_eq!(finalists(&c, quiz, json!({"count": 3, "region_quota": 1})).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(finalists(&c, quiz, json!({"count": 19})).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(finalists(&c, quiz, json!({"count": 0})).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    // Clearing the flag needs a reason, is audited, and lets attempt 1 count.
    let clear = |reason: &str| json!({ "reason": reason });
    let path = format!("/api/v1/quizzes/{quiz}/attempts/{flagged}/clear-flag");
    assert_eq!(c.json(Method::POST, &path, &clear(" ")).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let brigade = app.login("nanguan").await;
    assert_eq!(brigade.json(Method::POST, &path, &clear("ok")).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(c.json(Method::POST, &path, &clear("人工复核：现场监考确认")).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(c.json(Method::POST, &path, &clear("again")).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.scalar(&format!("select count(*) from audit_log where action = 'quiz.clear_flag' and object_id = '{flagged}' and outcome = 'ok'")).await, 1);
    let (_, v) = finalists(&c, quiz, json!({"count": 2})).await;
    assert_eq!(nicknames(&app, &v).await, ["选手0", "选手1"]);
    assert!(app.scalar("select count(*) from audit_log where action = 'quiz.select_finalists'").await >= 4);
    let page = c.get(&format!("/quiz/{quiz}/selection")).await.text().await.unwrap();
    assert!(page.contains("人工复核"));
    // The form shows input errors on the page.
    let r = c.form(&format!("/quiz/{quiz}/selection/finalists"), &[("count", "500"), ("region_quota", "")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn draw(c: &crate::helpers::Client, quiz: i64, body: Value) -> (StatusCode, Value) {
    let r = c.json(Method::POST, &format!("/api/v1/quizzes/{quiz}/selections/draw"), &body).await;
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

fn ids(v: &Value) -> Vec<i64> {
    v["entries"].as_array().unwrap().iter().map(|e| e["participant_id"].as_i64().unwrap()).collect()
}

pub async fn the_prize_draw_is_reproducible(app: TestApp) {
    let quiz = make_quiz(&app).await;
    let c = app.login("province").await;
    load(&app, quiz, 0, 25).await;
    let (st, a) = draw(&c, quiz, json!({"winners": 3, "seed": "公证-2026-12-01"})).await;
    assert_eq!(st, StatusCode::CREATED, "{a}");
    assert_eq!(a["selection"]["seed"], "公证-2026-12-01");
    assert!(a["selection"]["algorithm"].as_str().unwrap().contains("ChaCha20"));
    let (_, b) = draw(&c, quiz, json!({"winners": 3, "seed": "公证-2026-12-01"})).await;
    assert_eq!(ids(&a), ids(&b), "same seed, same winners");
    let (_, other) = draw(&c, quiz, json!({"winners": 3, "seed": "another seed"})).await;
    assert_ne!(ids(&a), ids(&other), "another seed, other winners");
    // Anyone can repeat it from the published CSV (participant-id order) and the seed.
    let sid = a["selection"]["id"].as_i64().unwrap();
    let csv = c.get(&format!("/api/v1/quizzes/{quiz}/selections/{sid}/csv")).await.text().await.unwrap();
    let list: Vec<i64> = csv.lines().skip(1).map(|l| l.split(',').nth(1).unwrap().parse().unwrap()).collect();
    assert_eq!(list.len(), 18, "everyone eligible is listed");
    assert!(list.windows(2).all(|w| w[0] < w[1]));
    assert!(!csv.contains("选手1") && csv.contains("选**"), "names are masked");
    let json: Value = c.get(&format!("/api/v1/quizzes/{quiz}/selections/{sid}")).await.json().await.unwrap();
    let names: Vec<&str> =
        json["entries"].as_array().unwrap().iter().map(|e| e["nickname"].as_str().unwrap()).collect();
    assert!(!names.is_empty() && names.iter().all(|n| *n == "选**"), "masked as in the CSV: {names:?}");
    let repeat: Vec<i64> =
        selection::draw("公证-2026-12-01", list.len(), 3).unwrap().into_iter().map(|i| list[i]).collect();
    assert_eq!(repeat, ids(&a));
    // Leaving out finalists; a seed chosen from the time when none is given; refusals.
    let (_, f) = finalists(&c, quiz, json!({"count": 5})).await;
    let (_, d) = draw(&c, quiz, json!({"winners": 13, "exclude_selection": f["selection"]["id"]})).await;
    assert!(!d["selection"]["seed"].as_str().unwrap().is_empty());
    let out: HashSet<i64> = ids(&f).into_iter().collect();
    assert!(ids(&d).iter().all(|p| !out.contains(p)));
    assert_eq!(draw(&c, quiz, json!({"winners": 19})).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        draw(&c, quiz, json!({"winners": 1, "exclude_selection": 999_999})).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let page = c.get(&format!("/quiz/{quiz}/selection/{sid}")).await.text().await.unwrap();
    assert!(page.contains("公证-2026-12-01") && page.contains("Fisher-Yates"));
}

async fn teams(c: &crate::helpers::Client, quiz: i64, body: Value) -> (StatusCode, Value) {
    let r = c.json(Method::POST, &format!("/api/v1/quizzes/{quiz}/selections/teams"), &body).await;
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

pub async fn teams_are_balanced(app: TestApp) {
    let quiz = make_quiz(&app).await;
    let c = app.login("province").await;
    load(&app, quiz, 0, 25).await;
    let (_, f) = finalists(&c, quiz, json!({"count": 6, "region_quota": 3})).await;
    let sid = f["selection"]["id"].as_i64().unwrap();
    let (st, t) = teams(&c, quiz, json!({"selection_id": sid, "teams": 3, "size": 2, "balance": "region"})).await;
    assert_eq!(st, StatusCode::CREATED, "{t}");
    let mut by_team: BTreeMap<i64, Vec<&Value>> = BTreeMap::new();
    for e in t["entries"].as_array().unwrap() {
        by_team.entry(e["team"].as_i64().unwrap()).or_default().push(e);
    }
    assert_eq!(by_team.len(), 3);
    for members in by_team.values() {
        assert_eq!(members.len(), 2);
        assert_ne!(
            members[0]["region_path"].as_str().unwrap()[..9],
            members[1]["region_path"].as_str().unwrap()[..9],
            "one of each region"
        );
    }
    let (_, s) = teams(&c, quiz, json!({"selection_id": sid, "teams": 3, "size": 2, "balance": "score"})).await;
    let scores: Vec<i64> = f["entries"].as_array().unwrap().iter().map(|e| e["score"].as_i64().unwrap()).collect();
    let mut totals: BTreeMap<i64, i64> = BTreeMap::new();
    for e in s["entries"].as_array().unwrap() {
        *totals.entry(e["team"].as_i64().unwrap()).or_default() += e["score"].as_i64().unwrap();
    }
    // Snake draft 1-2-3-3-2-1 down the leaderboard: totals s1+s6, s2+s5, s3+s4.
    let mut got: Vec<i64> = totals.values().copied().collect();
    let mut want = vec![scores[0] + scores[5], scores[1] + scores[4], scores[2] + scores[3]];
    got.sort_unstable();
    want.sort_unstable();
    assert_eq!(got, want, "snake draft from {scores:?}");
    // The live competition reads the newest teams.
    let live: Value = c.get(&format!("/api/v1/quizzes/{quiz}/teams")).await.json().await.unwrap();
    assert_eq!(live.as_array().unwrap().len(), 3);
    assert_eq!(live[0]["name"], "第1队");
    assert_eq!(live[0]["members"].as_array().unwrap().len(), 2);
    // Impossible rules.
    assert_eq!(
        teams(&c, quiz, json!({"selection_id": sid, "teams": 4, "size": 2, "balance": "region"})).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        teams(&c, quiz, json!({"selection_id": sid, "teams": 3, "size": 2, "balance": "age"})).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let tid = t["selection"]["id"].as_i64().unwrap();
    assert_eq!(
        teams(&c, quiz, json!({"selection_id": tid, "teams": 3, "size": 2, "balance": "region"})).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let csv = c.get(&format!("/quiz/{quiz}/selection/{tid}/csv")).await.text().await.unwrap();
    assert_eq!(csv.lines().count(), 7);
    let page = c.get(&format!("/quiz/{quiz}/selection/{tid}")).await.text().await.unwrap();
    assert!(page.contains("第3队"));
}

pub async fn selection_is_scoped(app: TestApp) {
    let quiz = make_quiz(&app).await;
    load(&app, quiz, 0, 25).await;
    // A brigade reads only its own residents' attempts and cannot select on a province quiz.
    let brigade = app.login("nanguan").await;
    let s: Value = brigade.get(&format!("/api/v1/quizzes/{quiz}/stats")).await.json().await.unwrap();
    let changchun = (0..25).filter(|&i| region(i) == CHANGCHUN).count();
    assert_eq!(s["finished"].as_u64().unwrap(), u64::try_from(changchun).unwrap());
    let yanbian = app.login("yanbian").await;
    let s: Value = yanbian.get(&format!("/api/v1/quizzes/{quiz}/stats")).await.json().await.unwrap();
    assert_eq!(s["finished"], 0);
    assert!(s["hardest"].as_array().unwrap().is_empty());
    assert_eq!(finalists(&brigade, quiz, json!({"count": 1})).await.0, StatusCode::FORBIDDEN);
    assert_eq!(draw(&brigade, quiz, json!({"winners": 1})).await.0, StatusCode::FORBIDDEN);
    assert!(
        app.scalar("select count(*) from audit_log where action = 'quiz.select_finalists' and outcome = 'denied'")
            .await
            >= 1
    );
    let grid = app.login("grid").await;
    assert_eq!(finalists(&grid, quiz, json!({"count": 1})).await.0, StatusCode::FORBIDDEN);
    let anon = app.anonymous().await;
    assert_eq!(anon.get(&format!("/api/v1/quizzes/{quiz}/stats")).await.status(), StatusCode::UNAUTHORIZED);
}

pub async fn the_demo_has_its_finalists_draw_and_teams(app: TestApp) {
    let c = app.login("province").await;
    let quiz = store::quiz_by_slug(&app.db, "zhixiao-demo-2026").await.unwrap().id;
    let list: Value = c.get(&format!("/api/v1/quizzes/{quiz}/selections")).await.json().await.unwrap();
    let kinds: Vec<&str> = list.as_array().unwrap().iter().map(|s| s["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["teams", "draw", "finalists"]);
    let fid = list[2]["id"].as_i64().unwrap();
    let f: Value = c.get(&format!("/api/v1/quizzes/{quiz}/selections/{fid}")).await.json().await.unwrap();
    let entries = f["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 30);
    let mut per: BTreeMap<String, usize> = BTreeMap::new();
    for e in entries {
        *per.entry(e["region_path"].as_str().unwrap()[..9].to_owned()).or_default() += 1;
    }
    assert!(per.values().all(|&n| n <= 4), "{per:?}");
    let d = &list[1];
    assert_eq!(d["seed"], firecast::demo::quiz_selection::DEMO_SEED);
    let teams: Value = c.get(&format!("/api/v1/quizzes/{quiz}/teams")).await.json().await.unwrap();
    assert_eq!(teams.as_array().unwrap().len(), 10);
    assert!(teams.as_array().unwrap().iter().all(|t| t["members"].as_array().unwrap().len() == 3));
    let page = c.get(&format!("/quiz/{quiz}/selection")).await.text().await.unwrap();
    assert!(page.contains("入围名单") && page.contains("抽奖结果"));
}

/// A class that shared one room of computers is held back as `shared_device`; the reviewer ticks
/// the room's attempts and clears them with one reason, all or none.
pub async fn a_room_of_held_attempts_is_cleared_at_once(app: TestApp) {
    let quiz = make_quiz(&app).await;
    let other = make_quiz(&app).await;
    let qs = [question_of(&app, "home").await, question_of(&app, "gas").await, question_of(&app, "ebike").await];
    let answers: Vec<(i64, bool)> = qs.iter().map(|q| (*q, true)).collect();
    let mut room = Vec::new();
    for i in 0..3 {
        room.push(attempt(&app, quiz, &format!("room{i}"), false, CHANGCHUN, &answers, 120, "shared_device").await);
    }
    let elsewhere = attempt(&app, other, "elsewhere", false, CHANGCHUN, &answers, 120, "shared_device").await;
    let c = app.login("province").await;
    let page = c.get(&format!("/quiz/{quiz}/selection")).await.text().await.unwrap();
    assert!(page.contains("id=\"clear-many\"") && page.contains("解除所选标记"), "the form for the ticked rows");
    let cleared = |ids: &[i64]| {
        let ids = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        format!("select count(*) from quiz_flag_clearance where attempt_id in ({ids})")
    };
    let path = format!("/quiz/{quiz}/selection/clear");
    let reason = ("reason", "同一教室集体作答，监考老师确认为本人");
    // Nothing ticked: said on the page.
    let r = c.form(&path, &[reason]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("请先勾选要解除标记的答题记录"));
    // Another quiz's attempt among the ticked ones: nothing is cleared.
    let (a, b, d, e) = (room[0].to_string(), room[1].to_string(), room[2].to_string(), elsewhere.to_string());
    let r = c.form(&path, &[("attempt", a.as_str()), ("attempt", e.as_str()), reason]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.scalar(&cleared(&room)).await, 0, "all or none");
    // A detachment cannot clear the province's quiz.
    let detachment = app.login("changchun").await;
    let r = detachment.form(&path, &[("attempt", a.as_str()), reason]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // The room at once, with one reason, in one audit record.
    let r = c.form(&path, &[("attempt", a.as_str()), ("attempt", b.as_str()), ("attempt", d.as_str()), reason]).await;
    assert!(r.status().is_success() || r.status().is_redirection(), "{}", r.status());
    assert_eq!(app.scalar(&cleared(&room)).await, 3);
    assert_eq!(app.scalar(&cleared(&[elsewhere])).await, 0);
    let object = format!("{a},{b},{d}");
    let audited = format!(
        "select count(*) from audit_log where action = 'quiz.clear_flag' and object_id = '{object}' and outcome = 'ok'"
    );
    assert_eq!(app.scalar(&audited).await, 1);
    let page = c.get(&format!("/quiz/{quiz}/selection")).await.text().await.unwrap();
    assert!(page.contains("同一教室集体作答") && !page.contains("id=\"clear-many\""), "nothing waits any more");
    // Cleared already: said so.
    let r = c.form(&path, &[("attempt", a.as_str()), reason]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

crate::on_both_backends!(
    facility_and_discrimination_on_known_answers,
    a_room_of_held_attempts_is_cleared_at_once,
    weakest_topics_per_region,
    a_weak_topic_leads_to_a_push_and_its_measured_effect,
    finalists_follow_the_rules,
    the_prize_draw_is_reproducible,
    teams_are_balanced,
    selection_is_scoped,
    the_demo_has_its_finalists_draw_and_teams,
);
