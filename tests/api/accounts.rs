//! Sign-in, lock-out, CSRF, sessions, passwords and API tokens.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp};

async fn login_status(app: &TestApp, username: &str, password: &str) -> (StatusCode, String) {
    let c = app.anonymous().await;
    let r = c.form("/login", &[("username", username), ("password", password)]).await;
    (r.status(), r.text().await.unwrap())
}

pub async fn failed_logins_never_reveal_whether_an_account_exists(app: TestApp) {
    let (wrong_status, wrong_page) = login_status(&app, "changchun", "not the password").await;
    let (unknown_status, unknown_page) = login_status(&app, "nobody.here", "not the password").await;
    assert_eq!(wrong_status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_status, unknown_status);
    assert!(wrong_page.contains("用户名或密码错误"));
    let message = |page: &str| page.split("role=\"alert\">").nth(1).unwrap().split('<').next().unwrap().to_owned();
    assert_eq!(message(&wrong_page), message(&unknown_page));
    let denied =
        app.scalar("select count(*) from audit_log where action = 'session.login' and outcome = 'denied'").await;
    assert_eq!(denied, 2, "both failed logins are audited");
}

pub async fn repeated_failures_lock_the_name_whether_or_not_it_exists(app: TestApp) {
    for name in ["nanguan", "ghost.user"] {
        for _ in 0..5 {
            assert_eq!(login_status(&app, name, "wrong password!").await.0, StatusCode::UNAUTHORIZED);
        }
        let (status, page) = login_status(&app, name, PASSWORD).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{name} is locked");
        assert!(page.contains("请15分钟后再试"), "{page}");
    }
    // Another account from the same address is not affected.
    app.login("changchun").await;
    // The lock ends when the failures leave the window.
    app.exec("update login_attempt set at = '2000-01-01T00:00:00Z' where username = 'nanguan'").await.unwrap();
    app.login("nanguan").await;
}

pub async fn state_changing_requests_need_the_csrf_token(app: TestApp) {
    let c = app.login("admin").await;
    let unit = app.unit_id("长春市消防救援支队").await;
    // A form without the token.
    let r = c.http.post(format!("{}/units/{unit}", c.base)).form(&[("name", "改名")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let page = r.text().await.unwrap();
    assert!(page.contains("请刷新页面后重试") && !page.starts_with('{'), "a page in Chinese, not JSON: {page}");
    // A form with another token.
    let r = c
        .http
        .post(format!("{}/units/{unit}", c.base))
        .form(&[("name", "改名"), ("_csrf", "forged-token-forged-token-forged-token")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // JSON with the session cookie but no header.
    let r =
        c.http.patch(format!("{}/api/v1/units/{unit}", c.base)).json(&json!({"name": "改名"})).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // The login form itself needs the pre-session token.
    let anon = app.anonymous().await;
    let r = anon
        .http
        .post(format!("{}/login", anon.base))
        .form(&[("username", "admin"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Nothing changed.
    let name = firecast::org::store::unit_by_name_or_id(&app.db, &unit.to_string()).await.unwrap().name;
    assert_eq!(name, "长春市消防救援支队");
    // With the token it works.
    let r = c.form(&format!("/units/{unit}"), &[("name", "长春市消防救援支队（改）")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

pub async fn logout_and_expiry_end_the_session(app: TestApp) {
    let c = app.login("province").await;
    assert_eq!(c.get("/api/v1/session").await.status(), StatusCode::OK);
    assert_eq!(c.form("/logout", &[]).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(c.get("/api/v1/session").await.status(), StatusCode::UNAUTHORIZED);
    let r = c.get("/units").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(r.headers()["location"].to_str().unwrap().starts_with("/login?next="));

    // Idle for more than 30 minutes.
    let c = app.login("province").await;
    app.exec("update session set last_seen_at = '2000-01-01T00:00:00Z'").await.unwrap();
    assert_eq!(c.get("/api/v1/session").await.status(), StatusCode::UNAUTHORIZED);
    // Signed in more than 12 hours ago, however busy.
    let c = app.login("province").await;
    app.exec("update session set created_at = '2000-01-01T00:00:00Z'").await.unwrap();
    assert_eq!(c.get("/api/v1/session").await.status(), StatusCode::UNAUTHORIZED);
}

/// Opening the login page while signed in says who is signed in; signing in as another account
/// works the first time and ends the session it replaces.
pub async fn signing_in_as_another_account_replaces_the_first(app: TestApp) {
    let mut c = app.login("grid").await;
    let page = c.get("/login").await.text().await.unwrap();
    assert!(page.contains("id=\"signed-in-as\"") && page.contains("华阳社区网格员"), "{page}");
    c.csrf = crate::helpers::csrf_in(&page);
    let sessions = app.scalar("select count(*) from session").await;
    let r = c.form("/login", &[("username", "province"), ("password", crate::helpers::PASSWORD), ("next", "/")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let me: serde_json::Value = c.get("/api/v1/session").await.json().await.unwrap();
    assert_eq!(me["user"]["username"], "province");
    assert_eq!(app.scalar("select count(*) from session").await, sessions, "the grid worker's session ended");
}

pub async fn session_cookie_is_http_only_and_tokens_are_stored_hashed(app: TestApp) {
    let c = app.anonymous().await;
    let r = c.form("/login", &[("username", "admin"), ("password", PASSWORD)]).await;
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("fc_session="))
        .unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    let token = cookie.trim_start_matches("fc_session=").split(';').next().unwrap();
    assert!(token.len() >= 43, "at least 256 bits");
    let stored = app.scalar(&format!("select count(*) from session where token_hash = '{token}'")).await;
    assert_eq!(stored, 0, "the raw token is not stored");
}

pub async fn changing_the_password_ends_other_sessions(app: TestApp) {
    let first = app.login("yanbian").await;
    let second = app.login("yanbian").await;
    let r = second
        .form(
            "/account/password",
            &[("current", "wrong one!!"), ("new", "a-new-long-pass"), ("repeat", "a-new-long-pass")],
        )
        .await;
    assert!(r.text().await.unwrap().contains("当前密码不正确"));
    let r = second
        .form("/account/password", &[("current", PASSWORD), ("new", "a-new-long-pass"), ("repeat", "a-new-long-pass")])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("密码已修改"));
    assert_eq!(second.get("/api/v1/session").await.status(), StatusCode::OK, "the session that changed it stays");
    assert_eq!(first.get("/api/v1/session").await.status(), StatusCode::UNAUTHORIZED, "the other one ends");
    app.login_with("yanbian", "a-new-long-pass").await;
    assert_eq!(login_status(&app, "yanbian", PASSWORD).await.0, StatusCode::UNAUTHORIZED);
}

pub async fn api_tokens_are_shown_once_scoped_and_revocable(app: TestApp) {
    let admin = app.login("changchun.admin").await;
    let nanguan = firecast::org::store::user_by_username(&app.db, "nanguan").await.unwrap().unwrap();
    let r =
        admin.json(Method::POST, &format!("/api/v1/users/{}/tokens", nanguan.id), &json!({"name": "测试对接"})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let body: serde_json::Value = r.json().await.unwrap();
    let token = body["token"].as_str().unwrap().to_owned();
    let id = body["id"].as_i64().unwrap();
    let listed = admin.get(&format!("/api/v1/users/{}/tokens", nanguan.id)).await.text().await.unwrap();
    assert!(!listed.contains(&token), "never listed again");

    let bearer = reqwest::Client::new();
    let get = |path: &str| bearer.get(format!("{}{path}", app.base)).bearer_auth(&token).send();
    let me: serde_json::Value = get("/api/v1/session").await.unwrap().json().await.unwrap();
    assert_eq!(me["user"]["username"], "nanguan");
    assert_eq!(me["scope"], "/22/2201/220102/");
    // Scoped like its owner: the Changchun detachment is above the brigade.
    let detachment = app.unit_id("长春市消防救援支队").await;
    assert_eq!(get(&format!("/api/v1/units/{detachment}")).await.unwrap().status(), StatusCode::NOT_FOUND);
    // A bearer request needs no CSRF token; a brigade-staff token may not change units.
    let own = app.unit_id("长春市南关区消防救援大队").await;
    let r = bearer
        .patch(format!("{}/api/v1/units/{own}", app.base))
        .bearer_auth(&token)
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // An admin of another detachment cannot revoke it; the owner's admin can, once.
    let yanbian = app.unit_id("延边朝鲜族自治州消防救援支队").await;
    app.add_user("yanbian.admin", "延边管理员", firecast::org::Role::Admin, yanbian).await;
    let elsewhere = app.login("yanbian.admin").await;
    assert_eq!(
        elsewhere.json(Method::DELETE, &format!("/api/v1/tokens/{id}"), &json!({})).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(get("/api/v1/session").await.unwrap().status(), StatusCode::OK, "still valid");
    assert_eq!(
        admin.json(Method::DELETE, &format!("/api/v1/tokens/{id}"), &json!({})).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(get("/api/v1/session").await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        admin.json(Method::DELETE, &format!("/api/v1/tokens/{id}"), &json!({})).await.status(),
        StatusCode::NOT_FOUND,
        "already revoked"
    );
    assert_eq!(
        bearer.get(format!("{}/api/v1/session", app.base)).bearer_auth("fct_made-up").send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
}

pub async fn admins_make_users_only_in_their_subtree(app: TestApp) {
    let admin = app.login("changchun.admin").await;
    let nanguan = app.unit_id("长春市南关区消防救援大队").await;
    let yanbian = app.unit_id("延边朝鲜族自治州消防救援支队").await;
    let new = |unit: i64, role: &str, name: &str| json!({"username": name, "display_name": "新用户", "role": role, "unit_id": unit, "password": "long-enough-pass"});
    let r = admin.json(Method::POST, "/api/v1/users", &new(nanguan, "brigade_staff", "nanguan.2")).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = admin.json(Method::POST, "/api/v1/users", &new(yanbian, "detachment_staff", "yanbian.2")).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("unit_id"));
    let r = admin.json(Method::POST, "/api/v1/users", &new(nanguan, "detachment_staff", "nanguan.3")).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "role must fit the unit");
    let r = admin.json(Method::POST, "/api/v1/users", &new(nanguan, "brigade_staff", "nanguan.2")).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    // Through the page, and the new user can sign in.
    let unit = nanguan.to_string();
    let r = admin
        .form(
            "/users",
            &[
                ("username", "nanguan.4"),
                ("display_name", "南关新人"),
                ("role", "brigade_staff"),
                ("unit_id", &unit),
                ("password", "long-enough-pass"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.login_with("nanguan.4", "long-enough-pass").await;
    // An admin cannot lock themselves out.
    let me = firecast::org::store::user_by_username(&app.db, "changchun.admin").await.unwrap().unwrap();
    let r = admin.json(Method::PATCH, &format!("/api/v1/users/{}", me.id), &json!({"disabled": true})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A disabled user cannot sign in.
    let u = firecast::org::store::user_by_username(&app.db, "nanguan.4").await.unwrap().unwrap();
    assert_eq!(
        admin.json(Method::PATCH, &format!("/api/v1/users/{}", u.id), &json!({"disabled": true})).await.status(),
        StatusCode::OK
    );
    assert_eq!(login_status(&app, "nanguan.4", "long-enough-pass").await.0, StatusCode::UNAUTHORIZED);
}

pub async fn api_tokens_end_with_a_new_password_or_a_disabled_account(app: TestApp) {
    let admin = app.login("changchun.admin").await;
    let nanguan = firecast::org::store::user_by_username(&app.db, "nanguan").await.unwrap().unwrap();
    let bearer = reqwest::Client::new();
    let mint = |name: &'static str| {
        let admin = &admin;
        async move {
            let path = format!("/api/v1/users/{}/tokens", nanguan.id);
            let r = admin.json(Method::POST, &path, &json!({"name": name})).await;
            assert_eq!(r.status(), StatusCode::CREATED);
            r.json::<serde_json::Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
        }
    };
    let session = |token: String| {
        let bearer = bearer.clone();
        let url = format!("{}/api/v1/session", app.base);
        async move { bearer.get(url).bearer_auth(token).send().await.unwrap().status() }
    };

    // The owner changes the password: the token ends with the other sessions.
    let token = mint("对接一").await;
    assert_eq!(session(token.clone()).await, StatusCode::OK);
    let owner = app.login("nanguan").await;
    let fields = [("current", PASSWORD), ("new", "a-new-long-pass"), ("repeat", "a-new-long-pass")];
    assert_eq!(owner.form("/account/password", &fields).await.status(), StatusCode::OK);
    assert_eq!(session(token).await, StatusCode::UNAUTHORIZED);

    // The account is disabled: the token ends, and enabling the account again does not revive it.
    let token = mint("对接二").await;
    assert_eq!(session(token.clone()).await, StatusCode::OK);
    let user = format!("/api/v1/users/{}", nanguan.id);
    assert_eq!(admin.json(Method::PATCH, &user, &json!({"disabled": true})).await.status(), StatusCode::OK);
    assert_eq!(admin.json(Method::PATCH, &user, &json!({"disabled": false})).await.status(), StatusCode::OK);
    assert_eq!(session(token).await, StatusCode::UNAUTHORIZED);
    let revoked = app
        .scalar(&format!("select count(*) from api_token where user_id = {} and revoked_at is not null", nanguan.id))
        .await;
    assert_eq!(revoked, 2);
}

crate::on_both_backends!(
    api_tokens_end_with_a_new_password_or_a_disabled_account,
    failed_logins_never_reveal_whether_an_account_exists,
    repeated_failures_lock_the_name_whether_or_not_it_exists,
    state_changing_requests_need_the_csrf_token,
    logout_and_expiry_end_the_session,
    session_cookie_is_http_only_and_tokens_are_stored_hashed,
    changing_the_password_ends_other_sessions,
    api_tokens_are_shown_once_scoped_and_revocable,
    admins_make_users_only_in_their_subtree,
    signing_in_as_another_account_replaces_the_first,
);
