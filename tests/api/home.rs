//! The home page's to-do list: what waits for each role, counted as the database holds it, with
//! links to the pages that list the items.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::TestApp;

/// The count shown on the to-do line that links to `link`, if there is one.
fn shown(page: &str, link: &str) -> Option<i64> {
    let at = page.find(&format!("<a href=\"{link}\">"))?;
    let rest = &page[at..];
    let n = rest.split("<span class=\"n\">").nth(1)?.split('<').next()?;
    n.replace(',', "").parse().ok()
}

pub async fn each_role_sees_what_waits_for_it(app: TestApp) {
    // The grid worker of 华阳社区: the pushes at its community and the hazards handed to its unit.
    let grid = app.login("grid").await;
    let page = grid.get("/").await.text().await.unwrap();
    let pushes = app
        .scalar("select count(*) from push_node where region_code = '220102001001' and state in ('pending', 'signed')")
        .await;
    let unit = app.unit_id("华阳社区居委会").await;
    let to_fix = app
        .scalar(&format!(
            "select count(*) from hazard where closed_at is null and (assigned_unit_id = {unit} or referred_unit_id = {unit}) \
             and state in ('assigned', 'referred', 'rectifying')"
        ))
        .await;
    assert!(pushes > 0 && to_fix > 0, "the demo gives the grid worker work: {pushes} pushes, {to_fix} hazards");
    assert_eq!(shown(&page, "/pushes/tasks"), Some(pushes), "{page}");
    assert_eq!(shown(&page, "/hazards?state=assigned"), Some(to_fix));
    assert!(!page.contains("id=\"todo-none\""), "never 'nothing to do' when something waits");
    // The header's count is the same list, summed, with each line named in the asked language.
    let todo: serde_json::Value = grid.get("/api/v1/home/waiting").await.json().await.unwrap();
    let items = todo["items"].as_array().unwrap();
    let sum: i64 = items.iter().map(|i| i["count"].as_i64().unwrap()).sum();
    assert_eq!(todo["total"].as_i64(), Some(sum));
    assert!(items.iter().any(|i| i["link"] == "/pushes/tasks" && i["count"].as_i64() == Some(pushes)), "{todo}");
    assert!(items.iter().all(|i| i["what"].as_str().is_some_and(|w| !w.is_empty() && !w.starts_with("home."))));
    // The menu fits the role: a grid worker's is its work, not the office's planning and reference.
    let menu = |page: &str, href: &str| page.contains(&format!("<a href=\"{href}\""));
    for href in ["/activities", "/hazards", "/pushes", "/quiz", "/volunteers"] {
        assert!(menu(&page, href), "a grid worker's menu has {href}");
    }
    for href in ["/campaigns", "/media", "/reports", "/regions", "/units", "/review", "/api/docs"] {
        assert!(!menu(&page, href), "a grid worker's menu has no {href}");
    }
    assert_eq!(grid.get("/reports").await.status(), StatusCode::OK, "what the menu leaves out stays open");
    // A push confirmed at the community leaves the list.
    let node = app
        .scalar("select min(id) from push_node where region_code = '220102001001' and state in ('pending', 'signed')")
        .await;
    // Its confirmation page shows the tip being passed on, and the task list counts what waits.
    let tip = format!(
        "select v.body from push_variant v join push p on p.product_id = v.product_id \
         join push_node n on n.push_id = p.id where n.id = {node} and v.lang = 'zh'"
    );
    let body = app.texts(&tip).await.remove(0);
    let confirm_page = grid.get(&format!("/pushes/nodes/{node}/confirm")).await.text().await.unwrap();
    assert!(!body.is_empty() && confirm_page.contains(&body), "the tip itself: {body}");
    let tasks = grid.get("/pushes/tasks").await.text().await.unwrap();
    assert!(tasks.contains(&format!("id=\"waiting-count\">{pushes}</small>")), "{tasks}");
    let r = grid
        .json(
            Method::POST,
            &format!("/api/v1/push/nodes/{node}/confirm"),
            &json!({"reach": 10, "ways": ["chat_group"]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let page = grid.get("/").await.text().await.unwrap();
    assert_eq!(shown(&page, "/pushes/tasks").unwrap_or(0), pushes - 1);
    let tasks = grid.get("/pushes/tasks").await.text().await.unwrap();
    let left = pushes - 1;
    assert!(tasks.contains(&format!("id=\"waiting-count\">{left}</small>")), "the finished task is not counted");

    // A brigade: records sent back to it, reports to verify where it handles them.
    let nanguan = app.login("nanguan").await;
    let page = nanguan.get("/").await.text().await.unwrap();
    let brigade = app.unit_id("长春市南关区消防救援大队").await;
    let returned = app
        .scalar(&format!("select count(*) from activity where organiser_unit_id = {brigade} and state = 'returned'"))
        .await;
    let to_check = app
        .scalar(
            "select count(*) from hazard where closed_at is null and handling_path = '/22/2201/220102/' \
             and state in ('reported', 'rectified')",
        )
        .await;
    assert_eq!(shown(&page, "/activities?state=returned").unwrap_or(0), returned);
    assert_eq!(shown(&page, "/hazards?state=reported").unwrap_or(0), to_check);
    for href in ["/campaigns", "/review", "/media", "/reports"] {
        assert!(page.contains(&format!("<a href=\"{href}\"")), "a brigade's menu has {href}");
    }

    // A volunteer team does not inherit the city's escalated hazards; the province reviews.
    let volunteer = app.login("volunteer").await.get("/").await.text().await.unwrap();
    assert_eq!(shown(&volunteer, "/hazards?escalated=true"), None);
    let province = app.login("province").await.get("/").await.text().await.unwrap();
    assert!(shown(&province, "/review").is_some_and(|n| n > 0), "{province}");

    // Flagged quiz attempts wait for the staff of the unit that owns the quiz, until cleared.
    let flagged = "select count(*) from attempt a where a.flags <> '' and a.submitted_at is not null \
                   and not exists (select 1 from quiz_flag_clearance c where c.attempt_id = a.id)";
    let before = app.scalar(flagged).await;
    let quizzes = app
        .scalar(&format!(
            "select count(distinct a.quiz_id) from attempt a where a.id in ({})",
            flagged.replace("count(*)", "a.id")
        ))
        .await;
    let line = |todo: &serde_json::Value| {
        todo["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["what"].as_str().is_some_and(|w| w.contains("被标记")))
            .cloned()
    };
    let province = app.login("province").await;
    let todo: serde_json::Value = province.get("/api/v1/home/waiting").await.json().await.unwrap();
    assert!(before > 0, "the demo flags some attempts");
    let item = line(&todo).expect("a line for flagged attempts");
    assert_eq!(item["count"].as_i64(), Some(before), "{todo}");
    let attempt = app.scalar(&flagged.replace("count(*)", "min(a.id)")).await;
    let quiz = app.scalar(&format!("select quiz_id from attempt where id = {attempt}")).await;
    if quizzes == 1 {
        assert_eq!(item["link"], format!("/quiz/{quiz}/selection#flagged"));
    }
    let r = province
        .json(
            Method::POST,
            &format!("/api/v1/quizzes/{quiz}/attempts/{attempt}/clear-flag"),
            &json!({"reason": "现场核实为本人作答"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT, "{}", r.text().await.unwrap());
    let todo: serde_json::Value = province.get("/api/v1/home/waiting").await.json().await.unwrap();
    assert_eq!(
        line(&todo).map_or(0, |i| i["count"].as_i64().unwrap()),
        before - 1,
        "a cleared attempt leaves the list"
    );
    let none: serde_json::Value = grid.get("/api/v1/home/waiting").await.json().await.unwrap();
    assert!(line(&none).is_none(), "a grid worker clears no flags: {none}");

    // Nothing waiting says so, and in the reader's language.
    app.exec("update push_node set state = 'confirmed' where region_code = '220102001001'").await.unwrap();
    app.exec(&format!("update hazard set state = 'closed', closed_at = created_at where assigned_unit_id = {unit} or referred_unit_id = {unit}"))
        .await
        .unwrap();
    let page = grid.get("/").await.text().await.unwrap();
    assert!(page.contains("id=\"todo-none\"") && page.contains("暂无待办事项"), "{page}");
}

/// The activity form opened from a duty offers what the server will take: the duty's campaign,
/// a kind that fits its target, and a first day inside the campaign and before the duty is due.
pub async fn a_form_opened_from_a_duty_fits_the_duty(app: TestApp) {
    let nanguan = app.login("nanguan").await;
    let duty = app.scalar("select id from duty where title = '社区消防安全培训'").await;
    let page = nanguan.get(&format!("/activities/new?duty={duty}")).await.text().await.unwrap();
    assert!(page.contains("<option value=\"training\" selected>"), "the kind of a training duty");
    let value = |id: &str| {
        let at = page.find(&format!("id=\"{id}\"")).unwrap();
        page[at..].split("value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned()
    };
    let starts = time::Date::parse(&value("starts_on"), &time::format_description::well_known::Iso8601::DATE).unwrap();
    let (due, first) = (
        app.scalar(&format!("select {} from duty where id = {duty}", day_number(&app, "due_on"))).await,
        app.scalar(&format!(
            "select {} from campaign c join duty d on d.campaign_id = c.id where d.id = {duty}",
            day_number(&app, "c.starts_on")
        ))
        .await,
    );
    let n = i64::from(starts.to_julian_day());
    assert!(first <= n && n <= due, "{starts} lies in the campaign and before the duty is due");
    assert!(page.contains(&format!("<option value=\"{duty}\" selected>")), "the duty is chosen");
    // Posting the form as offered, with a title and a figure, is taken.
    let campaign = app.scalar(&format!("select campaign_id from duty where id = {duty}")).await.to_string();
    let r = nanguan
        .form(
            "/activities",
            &[
                ("campaign_id", campaign.as_str()),
                ("duty_id", &duty.to_string()),
                ("kind", "training"),
                ("title", "默认值可直接提交"),
                ("starts_on", &value("starts_on")),
                ("region_code", &value("region_code")),
                ("fig_people_trained", "30"),
            ],
        )
        .await;
    assert!(r.status().is_redirection(), "{}", r.text().await.unwrap());
}

/// A date column as a Julian day number on either backend.
fn day_number(app: &TestApp, column: &str) -> String {
    match app.db {
        firecast::db::Db::Sqlite(..) => format!("cast(julianday({column}) + 0.5 as integer)"),
        firecast::db::Db::Postgres(_) => format!("({column} - date '4714-11-24 BC')::bigint"),
    }
}

crate::on_both_backends!(each_role_sees_what_waits_for_it);
crate::on_both_backends!(a_form_opened_from_a_duty_fits_the_duty);
