//! Signing in and out, throttling, and the forced password change.

use hookline::{execute_on, on_db};
use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn the_right_password_signs_in_and_opens_the_first_area() {
    let app = spawn_app().await;
    let client = client();
    let res = app.sign_in(&client, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/");
    let res = app.get(&client, "/").await;
    assert_eq!(location(&res), "/webhooks");
    let html = app.get_html(&client, "/users").await;
    assert!(html.contains(ADMIN_EMAIL));
    assert!(html.contains("Sign out"));
}

#[tokio::test]
async fn a_page_asked_for_before_sign_in_opens_after_it() {
    let app = spawn_app().await;
    let client = client();
    let res = app.get(&client, "/roles?x=1").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/sign-in?next=%2Froles%3Fx%3D1");
    let token = app.csrf(&client).await;
    let res = app
        .post_raw(
            &client,
            "/sign-in",
            &[
                ("csrf_token", &token),
                ("email", ADMIN_EMAIL),
                ("password", ADMIN_PASSWORD),
                ("next", "/roles?x=1"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/roles?x=1");
}

#[tokio::test]
async fn next_cannot_send_people_to_another_site() {
    let app = spawn_app().await;
    let client = client();
    let token = app.csrf(&client).await;
    let res = app
        .post_raw(
            &client,
            "/sign-in",
            &[
                ("csrf_token", &token),
                ("email", ADMIN_EMAIL),
                ("password", ADMIN_PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/");
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer() {
    let app = spawn_app().await;
    let client = client();
    let wrong = app.sign_in(&client, ADMIN_EMAIL, "not the password").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let wrong = wrong.text().await.unwrap();
    let unknown = app
        .sign_in(&client, "nobody@example.com", "not the password")
        .await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let unknown = unknown.text().await.unwrap();
    assert!(wrong.contains("Incorrect email or password."));
    assert!(unknown.contains("Incorrect email or password."));
    // Still signed out.
    assert_eq!(
        app.get(&client, "/users").await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn the_email_is_matched_without_regard_to_case_or_spaces() {
    let app = spawn_app().await;
    let res = app
        .sign_in(&client(), "  ADMIN@Example.com ", ADMIN_PASSWORD)
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn repeated_failures_throttle_the_account_even_for_the_right_password() {
    let app = spawn_app().await;
    let client = client();
    for attempt in 1..=4 {
        let res = app.sign_in(&client, ADMIN_EMAIL, "wrong password").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    let fifth = app.sign_in(&client, ADMIN_EMAIL, "wrong password").await;
    assert_eq!(fifth.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(
        fifth.text().await.unwrap().contains(
            "Too many failed sign-in attempts for this account. Try again in 30 seconds."
        )
    );
    let right = app.sign_in(&client, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(right.status(), StatusCode::TOO_MANY_REQUESTS);

    // Unknown addresses are throttled the same way, so throttling reveals nothing.
    for _ in 1..=4 {
        app.sign_in(&client, "ghost@example.com", "wrong password")
            .await;
    }
    let ghost = app
        .sign_in(&client, "ghost@example.com", "wrong password")
        .await;
    assert_eq!(ghost.status(), StatusCode::TOO_MANY_REQUESTS);

    // Once the block has passed (moved into the past here), the right password works again
    // and clears the count.
    execute_on!(
        &app.state.store,
        sqlx::query("UPDATE sign_in_throttle SET blocked_until = 0")
    )
    .unwrap();
    let res = app.sign_in(&client, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let left: i64 = on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT COUNT(*) FROM sign_in_throttle WHERE email = $1")
        .bind(ADMIN_EMAIL)
        .fetch_one(ex)
        .await)
        .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn simultaneous_attempts_check_no_more_passwords_than_the_throttle_allows() {
    let app = spawn_app().await;
    // 31 browsers, each with its own form token, send at the same moment: 30 wrong, 1 right.
    let mut prepared = Vec::new();
    for i in 0..31 {
        let client = client();
        let csrf = csrf_in(&app.get_html(&client, "/sign-in").await);
        let password = if i == 30 {
            ADMIN_PASSWORD
        } else {
            "wrong password"
        };
        prepared.push((client, csrf, password));
    }
    let answers =
        futures_util::future::join_all(prepared.iter().map(async |(client, csrf, password)| {
            let fields = [
                ("csrf_token", csrf.as_str()),
                ("email", ADMIN_EMAIL),
                ("password", password),
            ];
            app.post_raw(client, "/sign-in", &fields).await
        }))
        .await;
    let count = |status: StatusCode| answers.iter().filter(|r| r.status() == status).count();
    let (refused, signed_in, throttled) = (
        count(StatusCode::UNAUTHORIZED),
        count(StatusCode::SEE_OTHER),
        count(StatusCode::TOO_MANY_REQUESTS),
    );
    assert_eq!(refused + signed_in + throttled, 31);
    // The fifth failure blocks, so at most five passwords were checked (the fifth failure
    // itself answers 429, as in sequence).
    assert!(
        refused + signed_in <= 5,
        "{refused} refused, {signed_in} signed in, {throttled} throttled"
    );
    assert!(throttled >= 26);
}

#[tokio::test]
async fn the_next_failure_after_a_block_doubles_it() {
    let app = spawn_app().await;
    let client = client();
    for _ in 1..=5 {
        app.sign_in(&client, ADMIN_EMAIL, "wrong password").await;
    }
    execute_on!(
        &app.state.store,
        sqlx::query("UPDATE sign_in_throttle SET blocked_until = 0")
    )
    .unwrap();
    let sixth = app.sign_in(&client, ADMIN_EMAIL, "wrong password").await;
    assert_eq!(sixth.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(
        sixth
            .text()
            .await
            .unwrap()
            .contains("Try again in 60 seconds.")
    );
}

#[tokio::test]
async fn a_generated_first_password_must_be_changed_before_anything_else() {
    let dir = tempfile::tempdir().unwrap();
    let app = start(base_settings(&dir), dir).await;
    let generated = app
        .generated_password
        .clone()
        .expect("a generated password");
    assert_eq!(generated.expose().len(), 20);
    let client = client();
    let res = app
        .sign_in(&client, "admin@localhost", generated.expose())
        .await;
    assert_eq!(location(&res), "/account/password");
    // Every other page sends back to the password page.
    for path in ["/", "/users", "/roles/new"] {
        let res = app.get(&client, path).await;
        assert_eq!(location(&res), "/account/password", "{path}");
    }
    let page = app.get_html(&client, "/account/password").await;
    assert!(page.contains("Choose a new password to continue"));

    let bad = app
        .post(
            &client,
            "/account/password",
            &[
                ("current_password", "wrong"),
                ("new_password", "short"),
                ("new_password_confirm", "short"),
            ],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = bad.text().await.unwrap();
    assert!(html.contains("Password must be at least 12 characters."));

    let same = app
        .post(
            &client,
            "/account/password",
            &[
                ("current_password", generated.expose()),
                ("new_password", generated.expose()),
                ("new_password_confirm", generated.expose()),
            ],
        )
        .await;
    assert!(
        same.text()
            .await
            .unwrap()
            .contains("The new password must differ from the current one.")
    );

    let mismatch = app
        .post(
            &client,
            "/account/password",
            &[
                ("current_password", generated.expose()),
                ("new_password", "my own new password"),
                ("new_password_confirm", "my own new passwort"),
            ],
        )
        .await;
    assert!(
        mismatch
            .text()
            .await
            .unwrap()
            .contains("The two passwords do not match.")
    );

    let wrong_current = app
        .post(
            &client,
            "/account/password",
            &[
                ("current_password", "not it at all"),
                ("new_password", "my own new password"),
                ("new_password_confirm", "my own new password"),
            ],
        )
        .await;
    assert!(
        wrong_current
            .text()
            .await
            .unwrap()
            .contains("The current password is incorrect.")
    );

    let ok = app
        .post(
            &client,
            "/account/password",
            &[
                ("current_password", generated.expose()),
                ("new_password", "my own new password"),
                ("new_password_confirm", "my own new password"),
            ],
        )
        .await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.get(&client, "/users").await.status(), StatusCode::OK);

    // The old password no longer works, the new one does.
    let other = crate::helpers::client();
    assert_eq!(
        app.sign_in(&other, "admin@localhost", generated.expose())
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.sign_in(&other, "admin@localhost", "my own new password")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn the_first_administrator_is_made_only_once() {
    let app = spawn_app().await;
    let count: i64 = app.count("users").await;
    assert_eq!(count, 1);
    // A second start on the same database makes no other administrator.
    let settings = {
        let mut s = base_settings(&app.dir);
        s.admin_email = Some("other@example.com".into());
        s.admin_password = Some(hookline::domain::Secret::new("another long password"));
        s
    };
    let again = hookline::startup::Application::build(settings)
        .await
        .unwrap();
    assert!(again.initial_admin.is_none());
    let count: i64 = app.count("users").await;
    assert_eq!(count, 1);
}

#[tokio::test]
async fn a_weak_configured_admin_password_stops_the_start_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = base_settings(&dir);
    settings.admin_email = Some("admin@example.com".into());
    settings.admin_password = Some(hookline::domain::Secret::new("short"));
    prepare_database(&settings.database_url);
    let err = hookline::startup::Application::build(settings)
        .await
        .err()
        .expect("refused");
    assert!(
        format!("{err:#}")
            .contains("HOOKLINE_ADMIN_PASSWORD: Password must be at least 12 characters.")
    );
}
