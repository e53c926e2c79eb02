//! Sessions: sign-out, timeouts, deactivation, password change, restart.

use hookline::execute_on;
use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn signing_out_ends_the_session_on_the_server_too() {
    let app = spawn_app().await;
    let client = app.admin().await;
    assert_eq!(app.get(&client, "/users").await.status(), StatusCode::OK);

    let res = app.post(&client, "/sign-out", &[]).await;
    assert_eq!(location(&res), "/sign-in");
    let page = app.get_html(&client, "/sign-in").await;
    assert!(page.contains("You have signed out."));
    assert_eq!(
        location(&app.get(&client, "/users").await),
        "/sign-in?next=%2Fusers"
    );
    let left: i64 = app.count("auth_sessions").await;
    assert_eq!(left, 0);
}

#[tokio::test]
async fn a_replayed_cookie_is_refused_after_sign_out() {
    let app = spawn_app().await;
    let thief = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let signed_in = crate::helpers::client();
    let token = app.csrf(&signed_in).await;
    let res = app
        .post_raw(
            &signed_in,
            "/sign-in",
            &[
                ("csrf_token", &token),
                ("email", ADMIN_EMAIL),
                ("password", ADMIN_PASSWORD),
            ],
        )
        .await;
    let session_cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .find(|c| c.starts_with("hookline_session="))
        .expect("a session cookie at sign-in");
    let with_cookie = |path: &str| {
        thief
            .get(app.url(path))
            .header("cookie", session_cookie.clone())
            .send()
    };
    assert_eq!(
        with_cookie("/users").await.unwrap().status(),
        StatusCode::OK
    );
    app.post(&signed_in, "/sign-out", &[]).await;
    assert_eq!(
        with_cookie("/users").await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_same_site_strict() {
    let app = spawn_app().await;
    let client = crate::helpers::client();
    let token = app.csrf(&client).await;
    let res = app
        .post_raw(
            &client,
            "/sign-in",
            &[
                ("csrf_token", &token),
                ("email", ADMIN_EMAIL),
                ("password", ADMIN_PASSWORD),
            ],
        )
        .await;
    let cookie = res
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("hookline_session="));
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Strict"));
    assert!(
        !cookie.contains("Secure"),
        "plain http has no Secure cookie"
    );
}

#[tokio::test]
async fn cookies_are_secure_when_the_public_url_is_https() {
    let app =
        spawn_app_with(|s| s.public_url = Some("https://hooks.example.com".parse().unwrap())).await;
    let client = crate::helpers::client();
    let res = app.get(&client, "/sign-in").await;
    let cookie = res.headers().get("set-cookie").unwrap().to_str().unwrap();
    assert!(cookie.contains("Secure"));
}

#[tokio::test]
async fn a_new_session_id_is_issued_at_sign_in() {
    let app = spawn_app().await;
    let client = crate::helpers::client();
    let before = app.csrf(&client).await;
    app.sign_in(&client, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let after = app.csrf(&client).await;
    assert_ne!(
        before, after,
        "the CSRF token of the anonymous session does not carry over"
    );
}

#[tokio::test]
async fn an_idle_session_ends() {
    let app = spawn_app().await;
    let client = app.admin().await;
    let thirty_one_minutes = 31 * 60 * 1000;
    execute_on!(
        &app.state.store,
        sqlx::query("UPDATE auth_sessions SET last_seen_at = last_seen_at - $1")
            .bind(thirty_one_minutes)
    )
    .unwrap();
    assert_eq!(
        app.get(&client, "/users").await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_session_in_use_never_counts_as_idle() {
    let app = spawn_app_with(|s| s.session_idle = std::time::Duration::from_secs(60)).await;
    let client = app.admin().await;
    // Time passes (the session's times move back) in steps of 20 to 25 seconds, with a
    // page opened at each: a minute goes by, but never a minute without activity.
    for seconds in [20, 20, 25, 25] {
        execute_on!(&app.state.store, sqlx::query(
            "UPDATE auth_sessions SET last_seen_at = last_seen_at - $1, created_at = created_at - $1",
        )
        .bind(seconds * 1000))
        .unwrap();
        assert_eq!(
            app.get(&client, "/users").await.status(),
            StatusCode::OK,
            "still signed in after {seconds} more seconds of use"
        );
    }
    // A minute and a second without anything: signed out.
    execute_on!(
        &app.state.store,
        sqlx::query("UPDATE auth_sessions SET last_seen_at = last_seen_at - 61000")
    )
    .unwrap();
    assert_eq!(
        app.get(&client, "/users").await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn an_active_session_still_ends_after_the_absolute_timeout() {
    let app = spawn_app().await;
    let client = app.admin().await;
    let nine_hours = 9 * 3600 * 1000;
    execute_on!(
        &app.state.store,
        sqlx::query("UPDATE auth_sessions SET created_at = created_at - $1").bind(nine_hours)
    )
    .unwrap();
    assert_eq!(
        app.get(&client, "/users").await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_deactivated_user_is_signed_out_and_cannot_sign_in() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let email = "leaving@example.com";
    let id = app.create_user(&admin, email, VIEWER).await;
    let user = crate::helpers::client();
    assert_eq!(
        app.sign_in(&user, email, USER_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.get(&user, "/webhooks").await.status(), StatusCode::OK);

    let res = app
        .post(&admin, &format!("/users/{id}/deactivate"), &[])
        .await;
    assert_eq!(location(&res), "/users");
    assert!(
        app.get_html(&admin, "/users")
            .await
            .contains("User deactivated")
    );

    assert_eq!(location(&app.get(&user, "/").await), "/sign-in?next=%2F");
    let again = app
        .sign_in(&crate::helpers::client(), email, USER_PASSWORD)
        .await;
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("Incorrect email or password.")
    );

    app.post(&admin, &format!("/users/{id}/activate"), &[])
        .await;
    assert_eq!(
        app.sign_in(&crate::helpers::client(), email, USER_PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions_only() {
    let app = spawn_app().await;
    let here = app.admin().await;
    let elsewhere = app.admin().await;
    let res = app
        .post(
            &here,
            "/account/password",
            &[
                ("current_password", ADMIN_PASSWORD),
                ("new_password", "a brand new password"),
                ("new_password_confirm", "a brand new password"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.get(&here, "/users").await.status(), StatusCode::OK);
    assert_eq!(
        app.get(&elsewhere, "/users").await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn sessions_survive_a_restart() {
    let app = spawn_app().await;
    let client = app.admin().await;
    let settings = base_settings(&app.dir);
    let second = hookline::startup::Application::build(settings)
        .await
        .unwrap();
    let port = second.port();
    tokio::spawn(second.run_until_stopped());
    // Cookies do not depend on the port: the same browser reaches the restarted server.
    let res = client
        .get(format!("http://127.0.0.1:{port}/users"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_unchanged_session_sends_no_new_cookie() {
    let app = spawn_app().await;
    let client = app.admin().await;
    app.get(&client, "/webhooks").await; // shows and clears the sign-in flash, if any
    let res = app.get(&client, "/webhooks").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers().get("set-cookie").is_none(),
        "a plain page view rewrites no cookie"
    );
}

#[tokio::test]
async fn unread_flash_messages_cannot_grow_the_cookie() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let id = app.create_user(&admin, "flash@example.com", VIEWER).await;
    let token = app.csrf(&admin).await;
    for _ in 0..30 {
        let res = app
            .post_raw(
                &admin,
                &format!("/users/{id}/activate"),
                &[("csrf_token", &token)],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }
    let page = app.get_html(&admin, "/users").await;
    assert_eq!(
        page.matches("class=\"flash flash-").count(),
        5,
        "only the latest few are kept"
    );
}
