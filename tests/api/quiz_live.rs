//! Live team competitions: a match through all three kinds of round with the exact scoreboard,
//! the buzzer race, late and duplicate answers, wagers, judges' corrections, scope and the event
//! stream.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Client, TestApp};

/// Ids of three single-choice questions of the corps' bank and the position of each one's right answer.
async fn questions(c: &Client, n: usize) -> Vec<(i64, usize)> {
    let bank: Value = c.get("/api/v1/questions?kind=single&limit=50").await.json().await.unwrap();
    bank.as_array()
        .unwrap()
        .iter()
        .take(n)
        .map(|q| (q["id"].as_i64().unwrap(), q["question"]["answer"]["choice"][0].as_u64().unwrap() as usize))
        .collect()
}

fn teams() -> Value {
    json!([
        { "name": "长春队", "region": "长春", "members": ["张伟", "李娜", "王芳"] },
        { "name": "吉林队", "region": "吉林", "members": ["赵磊", "孙丽", "周强"] },
        { "name": "延边队", "region": "延边", "members": ["金哲", "朴英", "崔敏"] },
    ])
}

async fn board(c: &Client, id: i64) -> Value {
    c.get(&format!("/api/v1/live-matches/{id}")).await.json().await.unwrap()
}

async fn control(c: &Client, id: i64, action: &str) -> StatusCode {
    c.json(Method::POST, &format!("/api/v1/live-matches/{id}/control"), &json!({ "action": action })).await.status()
}

async fn post(c: &Client, path: &str, body: Value) -> reqwest::Response {
    c.json(Method::POST, path, &body).await
}

fn tokens(b: &Value) -> Vec<String> {
    b["teams"].as_array().unwrap().iter().map(|t| t["token"].as_str().unwrap().to_owned()).collect()
}

fn scores(b: &Value) -> Vec<(String, i64)> {
    let mut s: Vec<(String, i64)> = b["scores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["name"].as_str().unwrap().to_owned(), l["total"].as_i64().unwrap()))
        .collect();
    s.sort();
    s
}

fn wrong(right: usize) -> usize {
    (right + 1) % 2
}

async fn a_match_runs_through_all_three_kinds_of_round(app: TestApp) {
    let host = app.login("province").await;
    let q = questions(&host, 6).await;
    let ids = |r: std::ops::Range<usize>| q[r].iter().map(|x| x.0).collect::<Vec<_>>();
    let r = post(
        &host,
        "/api/v1/live-matches",
        json!({ "title": "知消杯决赛", "teams": teams(), "rounds": [
            { "kind": "compulsory", "points": 10, "seconds": 60, "question_ids": ids(0..3) },
            { "kind": "buzzer", "points": 20, "penalty": 10, "rebound": true, "seconds": 60, "question_ids": ids(3..4) },
            { "kind": "risk", "seconds": 60, "question_ids": ids(4..5) },
        ]}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let b = board(&host, id).await;
    let t = tokens(&b);
    let phone = app.anonymous().await;
    let answer = |token: &str, choice: usize| {
        let path = format!("/api/v1/public/live/{token}/answer");
        let phone = &phone;
        async move { post(phone, &path, json!({ "answer": { "choice": [choice] } })).await.status() }
    };
    assert_eq!(control(&host, id, "start").await, StatusCode::OK);
    // Compulsory, each team its own question: 长春 right, 吉林 wrong, 延边 right.
    for (k, ok) in [true, false, true].iter().enumerate() {
        assert_eq!(control(&host, id, "open").await, StatusCode::OK);
        let right = q[k].1;
        let other = (k + 1) % 3;
        assert_eq!(answer(&t[other], right).await, StatusCode::CONFLICT, "another team's question is refused");
        assert_eq!(answer(&t[k], if *ok { right } else { wrong(right) }).await, StatusCode::OK);
        assert_eq!(control(&host, id, "reveal").await, StatusCode::OK);
        assert_eq!(control(&host, id, "next").await, StatusCode::OK);
    }
    // Buzzer: 吉林 buzzes first and is wrong (−10), the question goes back, 延边 buzzes and is right (+20).
    assert_eq!(control(&host, id, "open").await, StatusCode::OK);
    let buzz = |token: &str| {
        let path = format!("/api/v1/public/live/{token}/buzz");
        let phone = &phone;
        async move { post(phone, &path, json!({})).await.json::<Value>().await.unwrap()["won"].as_bool().unwrap() }
    };
    assert!(buzz(&t[1]).await);
    assert!(!buzz(&t[0]).await, "the buzz is taken");
    assert_eq!(answer(&t[0], q[3].1).await, StatusCode::CONFLICT, "only the buzz winner answers");
    assert_eq!(answer(&t[1], wrong(q[3].1)).await, StatusCode::OK);
    assert!(!buzz(&t[1]).await, "a team that answered does not buzz again");
    assert!(buzz(&t[2]).await);
    assert_eq!(answer(&t[2], q[3].1).await, StatusCode::OK);
    assert_eq!(control(&host, id, "reveal").await, StatusCode::OK);
    assert_eq!(control(&host, id, "next").await, StatusCode::OK);
    // Risk: wagers 30 (right), 20 (wrong), 10 (right).
    assert_eq!(control(&host, id, "open").await, StatusCode::OK);
    let b = board(&host, id).await;
    assert!(b["current"]["question"].is_null(), "the question is hidden while wagers are taken");
    for (k, w) in [30, 20, 10].iter().enumerate() {
        let r = post(&phone, &format!("/api/v1/public/live/{}/wager", t[k]), json!({ "amount": w })).await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    assert_eq!(control(&host, id, "open").await, StatusCode::OK);
    let late = post(&phone, &format!("/api/v1/public/live/{}/wager", t[0]), json!({ "amount": 10 })).await;
    assert_eq!(late.status(), StatusCode::CONFLICT, "no wager once the question shows");
    assert_eq!(answer(&t[0], q[4].1).await, StatusCode::OK);
    assert_eq!(answer(&t[1], wrong(q[4].1)).await, StatusCode::OK);
    assert_eq!(answer(&t[2], q[4].1).await, StatusCode::OK);
    assert_eq!(control(&host, id, "reveal").await, StatusCode::OK);
    let b = board(&host, id).await;
    assert_eq!(b["current"]["answers"].as_array().unwrap().len(), 3);
    assert_eq!(control(&host, id, "next").await, StatusCode::OK);
    let b = board(&host, id).await;
    assert_eq!(b["m"]["state"], "finished");
    // 长春 10 + 30; 吉林 0 − 10 − 20; 延边 10 + 20 + 10.
    assert_eq!(scores(&b), vec![("吉林队".to_owned(), -30), ("延边队".to_owned(), 40), ("长春队".to_owned(), 40)]);
    let view: Value = phone.get(&format!("/api/v1/public/live/{}", t[1])).await.json().await.unwrap();
    assert_eq!(view["score"], -30);
    assert_eq!(view["rank"], 3);
}

/// A started match whose first round is one buzzer question (or `kind`), with its host and tokens.
async fn running(app: &TestApp, kind: &str) -> (Client, i64, Vec<String>, usize) {
    let host = app.login("province").await;
    let q = questions(&host, 1).await;
    let r = post(
        &host,
        "/api/v1/live-matches",
        json!({ "title": "练习赛", "teams": teams(), "rounds": [ { "kind": kind, "mode": "all", "seconds": 30, "question_ids": [q[0].0] } ] }),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let id = host.get("/api/v1/live-matches").await.json::<Value>().await.unwrap()[0]["id"].as_i64().unwrap();
    let t = tokens(&board(&host, id).await);
    assert_eq!(control(&host, id, "start").await, StatusCode::OK);
    (host, id, t, q[0].1)
}

async fn two_teams_buzz_at_once_and_exactly_one_wins(app: TestApp) {
    let (host, id, t, _) = running(&app, "buzzer").await;
    assert_eq!(control(&host, id, "open").await, StatusCode::OK);
    let a = app.anonymous().await;
    let b = app.anonymous().await;
    let (pa, pb) = (format!("/api/v1/public/live/{}/buzz", t[0]), format!("/api/v1/public/live/{}/buzz", t[1]));
    let (ra, rb) = tokio::join!(post(&a, &pa, json!({})), post(&b, &pb, json!({})));
    let wa = ra.json::<Value>().await.unwrap()["won"].as_bool().unwrap();
    let wb = rb.json::<Value>().await.unwrap()["won"].as_bool().unwrap();
    assert!(wa ^ wb, "exactly one buzz wins: {wa} {wb}");
    let winner = board(&host, id).await["current"]["buzz_team"].as_str().unwrap().to_owned();
    assert_eq!(winner, if wa { "长春队" } else { "吉林队" });
}

async fn late_and_duplicate_answers_are_refused_and_not_counted(app: TestApp) {
    let (host, id, t, right) = running(&app, "compulsory").await;
    let phone = app.anonymous().await;
    let path = format!("/api/v1/public/live/{}/answer", t[0]);
    assert_eq!(
        post(&phone, &path, json!({ "answer": { "choice": [right] } })).await.status(),
        StatusCode::CONFLICT,
        "not open yet"
    );
    assert_eq!(control(&host, id, "open").await, StatusCode::OK);
    let item = board(&host, id).await["current"]["item"]["id"].as_i64().unwrap();
    assert_eq!(
        post(&phone, &path, json!({ "item_id": item, "answer": { "choice": [right] } })).await.status(),
        StatusCode::OK
    );
    let again = post(&phone, &path, json!({ "item_id": item, "answer": { "choice": [wrong(right)] } })).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert!(again.text().await.unwrap().contains("already answered"));
    // The deadline passes (moved into the past in the database): a late answer is refused.
    app.exec(&format!("update live_item set closes_at = opened_at where id = {item}")).await.unwrap();
    let late = post(
        &phone,
        &format!("/api/v1/public/live/{}/answer", t[1]),
        json!({ "item_id": item, "answer": { "choice": [right] } }),
    )
    .await;
    assert_eq!(late.status(), StatusCode::CONFLICT);
    assert_eq!(app.scalar(&format!("select count(*) from live_answer where item_id = {item}")).await, 1);
    let b = board(&host, id).await;
    assert_eq!(scores(&b), vec![("吉林队".to_owned(), 0), ("延边队".to_owned(), 0), ("长春队".to_owned(), 10)]);
    // An answer for a question that is no longer current is refused too.
    assert_eq!(control(&host, id, "next").await, StatusCode::OK);
    let old = post(
        &phone,
        &format!("/api/v1/public/live/{}/answer", t[2]),
        json!({ "item_id": item, "answer": { "choice": [right] } }),
    )
    .await;
    assert_eq!(old.status(), StatusCode::CONFLICT);
}

async fn a_wager_outside_the_allowed_values_is_refused(app: TestApp) {
    let (host, id, t, _) = running(&app, "risk").await;
    assert_eq!(control(&host, id, "open").await, StatusCode::OK);
    let phone = app.anonymous().await;
    for bad in [0, 15, 40, -10] {
        let r = post(&phone, &format!("/api/v1/public/live/{}/wager", t[0]), json!({ "amount": bad })).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "wager {bad}");
    }
    assert_eq!(app.scalar("select count(*) from live_wager").await, 0);
    let r = post(&phone, &format!("/api/v1/public/live/{}/wager", t[0]), json!({ "amount": 20 })).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(app.scalar("select amount from live_wager").await, 20);
}

async fn a_judge_correction_changes_the_scoreboard_and_is_audited(app: TestApp) {
    let (host, id, _, _) = running(&app, "compulsory").await;
    let b = board(&host, id).await;
    let team = b["teams"][1]["id"].as_i64().unwrap();
    let path = format!("/api/v1/live-matches/{id}/corrections");
    assert_eq!(
        post(&host, &path, json!({ "team_id": team, "points": 5, "reason": "" })).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        post(&host, &path, json!({ "team_id": team, "points": 0, "reason": "x" })).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let r = post(&host, &path, json!({ "team_id": team, "points": 5, "reason": "第2题答案“119”同样正确" })).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let b = board(&host, id).await;
    assert_eq!(scores(&b)[0], ("吉林队".to_owned(), 5));
    assert_eq!(b["corrections"][0]["reason"], "第2题答案“119”同样正确");
    assert_eq!(b["corrections"][0]["by"], "总队宣传处");
    assert_eq!(
        app.scalar("select count(*) from audit_log where action = 'quiz.live_correct' and outcome = 'ok'").await,
        1
    );
    let page = host.get(&format!("/quiz/live/{id}")).await.text().await.unwrap();
    assert!(page.contains("同样正确"));
}

async fn another_detachment_cannot_host_the_corps_match(app: TestApp) {
    let (_, id, t, _) = running(&app, "compulsory").await;
    let other = app.login("changchun").await;
    assert_eq!(other.get(&format!("/api/v1/live-matches/{id}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(control(&other, id, "open").await, StatusCode::NOT_FOUND);
    assert_eq!(other.get(&format!("/quiz/live/{id}/host")).await.status(), StatusCode::NOT_FOUND);
    let r = post(
        &other,
        &format!("/api/v1/live-matches/{id}/corrections"),
        json!({ "team_id": 1, "points": 5, "reason": "x" }),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(other.get("/api/v1/live-matches").await.json::<Value>().await.unwrap().as_array().unwrap().is_empty());
    let grid = app.login("grid").await;
    let r = post(
        &grid,
        "/api/v1/live-matches",
        json!({ "title": "x", "teams": teams(), "rounds": [ { "kind": "risk", "count": 1 } ] }),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        app.scalar("select count(*) from audit_log where action = 'quiz.live_open' and outcome = 'denied'").await >= 1
    );
    // A made-up team link finds nothing.
    let phone = app.anonymous().await;
    assert_eq!(phone.get("/p/live/not-a-token").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(phone.get(&format!("/p/live/{}", t[0])).await.status(), StatusCode::OK);
}

async fn the_event_stream_tells_when_a_question_opens(app: TestApp) {
    let (host, id, t, _) = running(&app, "compulsory").await;
    let mut stream = host.get(&format!("/api/v1/live-matches/{id}/events")).await;
    assert_eq!(stream.status(), StatusCode::OK);
    assert!(stream.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let mut team = app.anonymous().await.get(&format!("/api/v1/public/live/{}/events", t[0])).await;
    let mut seen = String::new();
    while !seen.contains("event: hello") {
        seen.push_str(&String::from_utf8_lossy(&stream.chunk().await.unwrap().unwrap()));
    }
    assert_eq!(control(&host, id, "open").await, StatusCode::OK);
    let read = async |r: &mut reqwest::Response| {
        let mut seen = String::new();
        while !seen.contains("event: open") {
            seen.push_str(&String::from_utf8_lossy(&r.chunk().await.unwrap().unwrap()));
        }
        seen
    };
    let seen = tokio::time::timeout(std::time::Duration::from_secs(5), read(&mut stream)).await.expect("an open event");
    assert!(seen.contains("\"kind\":\"open\""), "{seen}");
    tokio::time::timeout(std::time::Duration::from_secs(5), read(&mut team)).await.expect("the team hears it too");
}

async fn the_pages_render_and_take_a_pasted_team_list(app: TestApp) {
    let host = app.login("province").await;
    let r = host
        .form(
            "/quiz/live",
            &[
                ("title", "页面赛"),
                ("teams", "甲队, 长春, 张伟 李娜\n乙队\t吉林\t赵磊、孙丽"),
                ("round0_kind", "compulsory"),
                ("round0_count", "1"),
                ("round1_kind", "buzzer"),
                ("round1_count", "1"),
                ("round1_penalty", "5"),
                ("round1_rebound", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // A team of one is refused, in Chinese, naming the box.
    let bad = host
        .form(
            "/quiz/live",
            &[("title", "坏"), ("teams", "甲队, 长春, 张伟"), ("round0_kind", "compulsory"), ("round0_count", "1")],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = bad.text().await.unwrap();
    assert!(text.contains("参赛队：第1行：参赛队“甲队”有1名队员"), "{text}");
    // A round's box that is not a number is named with its row.
    let bad = host
        .form(
            "/quiz/live",
            &[
                ("title", "坏"),
                ("teams", "甲队, 长春, 张伟 李娜\n乙队, 吉林, 赵磊 孙丽"),
                ("round0_kind", "risk"),
                ("round0_seconds", "半分钟"),
            ],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = bad.text().await.unwrap();
    assert!(text.contains("第1轮的“作答秒数”应为整数"), "{text}");
    assert!(text.contains("value=\"半分钟\""), "what was typed stays");
    let id = host.get("/api/v1/live-matches").await.json::<Value>().await.unwrap()[0]["id"].as_i64().unwrap();
    let setup = host.get(&format!("/quiz/live/{id}")).await.text().await.unwrap();
    assert!(setup.contains("<svg") && setup.contains("/p/live/"), "links with QR codes");
    assert!(host.form(&format!("/quiz/live/{id}/control"), &[("action", "start")]).await.status().is_redirection());
    assert!(host.form(&format!("/quiz/live/{id}/control"), &[("action", "open")]).await.status().is_redirection());
    let hostpage = host.get(&format!("/quiz/live/{id}/host")).await.text().await.unwrap();
    assert!(hostpage.contains("id=\"answered\">0<"));
    assert!(host.get(&format!("/quiz/live/{id}/screen")).await.status().is_success());
    let token = tokens(&board(&host, id).await)[0].clone();
    let phone = app.anonymous().await;
    let page = phone.get(&format!("/p/live/{token}")).await.text().await.unwrap();
    assert!(page.contains("id=\"answer\""), "the team whose question it is can answer");
    let item = board(&host, id).await["current"]["item"]["id"].as_i64().unwrap().to_string();
    let r = phone.form(&format!("/p/live/{token}/answer"), &[("item_id", &item), ("option", "0")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let again = phone.form(&format!("/p/live/{token}/answer"), &[("item_id", &item), ("option", "1")]).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let hostpage = host.get(&format!("/quiz/live/{id}/host")).await.text().await.unwrap();
    assert!(hostpage.contains("id=\"answered\">1<"));
}

crate::on_both_backends!(
    a_match_runs_through_all_three_kinds_of_round,
    two_teams_buzz_at_once_and_exactly_one_wins,
    late_and_duplicate_answers_are_refused_and_not_counted,
    a_wager_outside_the_allowed_values_is_refused,
    a_judge_correction_changes_the_scoreboard_and_is_audited,
    another_detachment_cannot_host_the_corps_match,
    the_event_stream_tells_when_a_question_opens,
    the_pages_render_and_take_a_pasted_team_list,
);
