//! The audit trail: written for logins and changes, unchangeable, and read scoped.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{Backend, TestApp};

pub async fn actions_are_audited_and_records_cannot_change(app: TestApp) {
    let admin = app.login("changchun.admin").await;
    let nanguan = app.unit_id("长春市南关区消防救援大队").await;
    admin.json(Method::PATCH, &format!("/api/v1/units/{nanguan}"), &json!({"name": "南关区消防救援大队"})).await;
    let yanbian = app.unit_id("延边朝鲜族自治州消防救援支队").await;
    let r = admin.json(Method::PATCH, &format!("/api/v1/units/{yanbian}"), &json!({"name": "x"})).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let records: serde_json::Value = admin.get("/api/v1/audit?action=unit.").await.json().await.unwrap();
    let records = records.as_array().unwrap();
    assert_eq!(records.len(), 2, "{records:?}");
    assert_eq!(records[0]["outcome"], "denied");
    assert_eq!(records[0]["object_id"], yanbian.to_string());
    assert_eq!(records[1]["outcome"], "ok");
    assert_eq!(records[1]["actor"], "changchun.admin");
    assert_eq!(records[1]["ip"], "127.0.0.1");
    let logins: serde_json::Value =
        admin.get("/api/v1/audit?action=session.login&outcome=ok").await.json().await.unwrap();
    assert!(!logins.as_array().unwrap().is_empty());

    // The database refuses to change or delete a record.
    assert!(app.exec("update audit_log set outcome = 'ok'").await.is_err());
    assert!(app.exec("delete from audit_log").await.is_err());
    assert_eq!(app.scalar("select count(*) from audit_log where outcome = 'denied'").await, 1);
}

pub async fn audit_is_for_admins_and_scoped(app: TestApp) {
    let yanbian_staff = app.login("yanbian").await;
    assert_eq!(yanbian_staff.get("/api/v1/audit").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(yanbian_staff.get("/audit").await.status(), StatusCode::FORBIDDEN);
    // Logins at the province and in Changchun; the Changchun admin sees only Changchun's.
    app.login("province").await;
    let admin = app.login("changchun.admin").await;
    let page = admin.get("/audit?action=session.login").await.text().await.unwrap();
    assert!(page.contains("changchun.admin"));
    assert!(!page.contains(">province<"), "province login is outside Changchun");
    let top = app.login("admin").await;
    let page = top.get("/audit?action=session.login").await.text().await.unwrap();
    assert!(page.contains("province") && page.contains("changchun.admin"));
    let r = top.get("/api/v1/audit?outcome=maybe").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

pub async fn the_chain_finds_a_record_changed_or_removed_behind_the_triggers(app: TestApp) {
    let admin = app.login("changchun.admin").await;
    let nanguan = app.unit_id("长春市南关区消防救援大队").await;
    for name in ["南关区消防救援大队", "长春市南关区消防救援大队", "南关区消防救援大队", "长春市南关区消防救援大队"]
    {
        let r = admin.json(Method::PATCH, &format!("/api/v1/units/{nanguan}"), &json!({"name": name})).await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    let whole = firecast::audit::verify(&app.db, None).await.unwrap();
    assert_eq!(whole.broken_at, None);
    assert!(whole.chained >= 3, "{whole:?}");
    assert_eq!(whole.before_chain, 0, "a new database is chained from its first record");

    // Someone with the database's own keys turns the triggers off and edits a record…
    let off: &[&str] = match app.backend {
        Backend::Sqlite => &["drop trigger audit_log_no_update", "drop trigger audit_log_no_delete"],
        Backend::Postgres => &["alter table audit_log disable trigger audit_log_no_change"],
    };
    for sql in off {
        app.exec(sql).await.unwrap();
    }
    // Cutting off the newest records leaves a chain that holds, but not the head an earlier walk
    // printed (the checkpoint kept outside the database).
    let head = whole.head.clone().expect("a head");
    let again = firecast::audit::verify(&app.db, Some(&head)).await.unwrap();
    assert_eq!(again.checkpoint_holds, Some(true));
    let newest = app.scalar("select max(id) from audit_log").await;
    app.exec(&format!("delete from audit_log where id = {newest}")).await.unwrap();
    let cut = firecast::audit::verify(&app.db, Some(&head)).await.unwrap();
    assert_eq!((cut.broken_at, cut.checkpoint_holds), (None, Some(false)), "{cut:?}");
    assert!(firecast::audit::verify(&app.db, Some("not a head")).await.is_err());
    let target = app.scalar("select min(id) from audit_log where action like 'unit.%'").await;
    app.exec(&format!("update audit_log set detail = '改过' where id = {target}")).await.unwrap();
    assert_eq!(firecast::audit::verify(&app.db, None).await.unwrap().broken_at, Some(target));
    // …or removes it: the next record's link no longer holds.
    let next = app.scalar(&format!("select min(id) from audit_log where id > {target}")).await;
    app.exec(&format!("delete from audit_log where id = {target}")).await.unwrap();
    assert_eq!(firecast::audit::verify(&app.db, None).await.unwrap().broken_at, Some(next));
}

crate::on_both_backends!(
    actions_are_audited_and_records_cannot_change,
    audit_is_for_admins_and_scoped,
    the_chain_finds_a_record_changed_or_removed_behind_the_triggers
);
