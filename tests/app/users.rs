//! Users and roles screens: validation, uniqueness, the last administrator, custom roles.

use hookline::{execute_on, on_db};
use reqwest::StatusCode;

use crate::helpers::*;

async fn user_count(app: &TestApp) -> i64 {
    app.count("users").await
}

#[tokio::test]
async fn a_new_user_form_with_every_mistake_shows_every_error_and_keeps_the_input() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = app
        .post(
            &admin,
            "/users/new",
            &[
                ("email", "not-an-email"),
                ("display_name", "  "),
                ("password", "short"),
                ("password_confirm", "short"),
                ("roles", "x"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    for message in [
        "Enter a valid email address, such as name@example.com.",
        "Display name is required.",
        "Password must be at least 12 characters.",
        "Choose roles from the list.",
    ] {
        assert!(html.contains(message), "missing {message:?}");
    }
    assert!(html.contains("value=\"not-an-email\""), "input kept");
    assert!(
        !html.contains("value=\"short\""),
        "passwords are never sent back"
    );
    assert_eq!(user_count(&app).await, 1);
}

#[tokio::test]
async fn bad_user_input_is_refused_and_nothing_is_saved() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let long_name = "n".repeat(101);
    let long_password = "p".repeat(129);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![
                ("email", "a@b.c\r\nBcc: x@y.z"),
                ("display_name", "X"),
                ("password", USER_PASSWORD),
                ("password_confirm", USER_PASSWORD),
            ],
            "Enter a valid email address",
        ),
        (
            vec![
                ("email", "ok@example.com"),
                ("display_name", &long_name),
                ("password", USER_PASSWORD),
                ("password_confirm", USER_PASSWORD),
            ],
            "Display name must be at most 100 characters.",
        ),
        (
            vec![
                ("email", "ok@example.com"),
                ("display_name", "X"),
                ("password", &long_password),
                ("password_confirm", &long_password),
            ],
            "Password must be at most 128 characters.",
        ),
        (
            vec![
                ("email", "ok@example.com"),
                ("display_name", "X"),
                ("password", USER_PASSWORD),
                ("password_confirm", "something else"),
            ],
            "The two passwords do not match.",
        ),
        (
            vec![
                ("email", "ok@example.com"),
                ("display_name", "X"),
                ("password", USER_PASSWORD),
                ("password_confirm", USER_PASSWORD),
                ("roles", "999"),
            ],
            "One of the chosen roles does not exist.",
        ),
        (
            vec![
                ("email", "ADMIN@example.com"),
                ("display_name", "X"),
                ("password", USER_PASSWORD),
                ("password_confirm", USER_PASSWORD),
            ],
            "A user with this email already exists.",
        ),
    ];
    for (fields, message) in cases {
        let res = app.post(&admin, "/users/new", &fields).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        assert!(res.text().await.unwrap().contains(message), "{message}");
    }
    assert_eq!(user_count(&app).await, 1);
}

#[tokio::test]
async fn an_administrator_edits_a_user_and_their_roles() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let id = app.create_user(&admin, "ann@example.com", VIEWER).await;
    let form = app.get_html(&admin, &format!("/users/{id}")).await;
    assert!(form.contains("value=\"ann@example.com\""));
    let manager = WEBHOOK_MANAGER.to_string();
    let res = app
        .post(
            &admin,
            &format!("/users/{id}"),
            &[
                ("email", "ann.lee@example.com"),
                ("display_name", "Ann Lee"),
                ("active", "on"),
                ("roles", &manager),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let list = app.get_html(&admin, "/users").await;
    assert!(list.contains("ann.lee@example.com"));
    assert!(list.contains("Webhook manager"));
}

#[tokio::test]
async fn the_last_active_administrator_cannot_be_lost() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let viewer = VIEWER.to_string();
    // Taking the role away from oneself, the only administrator.
    let res = app
        .post(
            &admin,
            "/users/1",
            &[
                ("email", ADMIN_EMAIL),
                ("display_name", "Administrator"),
                ("active", "on"),
                ("roles", &viewer),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Hookline needs at least one active user with the Administrator role.")
    );
    // Deactivating oneself.
    let res = app
        .post(
            &admin,
            "/users/1",
            &[
                ("email", ADMIN_EMAIL),
                ("display_name", "Administrator"),
                ("roles", "1"),
            ],
        )
        .await;
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("You cannot deactivate your own account.")
    );
    let roles: Vec<i64> = on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT role_id FROM user_roles WHERE user_id = 1")
        .fetch_all(ex)
        .await)
        .unwrap();
    assert_eq!(roles, vec![ADMINISTRATOR]);
}

#[tokio::test]
async fn a_custom_role_grants_exactly_its_rights() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = app
        .post(
            &admin,
            "/roles/new",
            &[
                ("name", "People managers"),
                ("description", "Users only"),
                ("rights", "users.manage"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let role_id: i64 = on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT id FROM roles WHERE name = 'People managers'")
        .fetch_one(ex)
        .await)
        .unwrap();
    let list = app.get_html(&admin, "/roles").await;
    assert!(list.contains("People managers"));
    assert!(list.contains("Manage users and roles"));

    let (client, _) = app.signed_in_as(role_id).await;
    assert_eq!(app.get(&client, "/users").await.status(), StatusCode::OK);

    // A duplicate name, an unknown right, an empty name: refused, nothing saved.
    for (fields, message) in [
        (
            vec![("name", "people MANAGERS")],
            "A role with this name already exists.",
        ),
        (
            vec![("name", "X"), ("rights", "everything.please")],
            "Choose rights from the list.",
        ),
        (vec![("name", " ")], "Name is required."),
    ] {
        let res = app.post(&admin, "/roles/new", &fields).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().await.unwrap().contains(message), "{message}");
    }
    let count: i64 = app.count("roles").await;
    assert_eq!(count, 4);

    // A role someone holds cannot be deleted; once nobody holds it, it can.
    app.post(&admin, &format!("/roles/{role_id}/delete"), &[])
        .await;
    assert!(
        app.get_html(&admin, "/roles")
            .await
            .contains("This role is held by 1 user(s)")
    );
    execute_on!(
        &app.state.store,
        sqlx::query("DELETE FROM user_roles WHERE role_id = $1").bind(role_id)
    )
    .unwrap();
    app.post(&admin, &format!("/roles/{role_id}/delete"), &[])
        .await;
    assert!(
        app.get_html(&admin, "/roles")
            .await
            .contains("Role deleted.")
    );
}

#[tokio::test]
async fn built_in_roles_cannot_be_changed_or_deleted() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = app
        .post(
            &admin,
            "/roles/3",
            &[("name", "Renamed"), ("rights", "users.manage")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Built-in roles cannot be changed.")
    );
    app.post(&admin, "/roles/1/delete", &[]).await;
    assert!(
        app.get_html(&admin, "/roles")
            .await
            .contains("Built-in roles cannot be deleted.")
    );
    let name: String =
        on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT name FROM roles WHERE id = 3")
        .fetch_one(ex)
        .await)
        .unwrap();
    assert_eq!(name, "Viewer");
}

#[tokio::test]
async fn unknown_ids_are_404_pages() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    for path in ["/users/999", "/roles/999", "/no/such/page"] {
        let res = app.get(&admin, path).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("There is nothing at this address.")
        );
    }
    let res = app.get(&admin, "/users/not-a-number").await;
    assert!(res.status().is_client_error());
}

#[tokio::test]
async fn pages_carry_security_headers() {
    let app = spawn_app().await;
    let res = app.get(&client(), "/sign-in").await;
    let h = res.headers();
    assert_eq!(h.get("x-frame-options").unwrap(), "DENY");
    assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
    assert!(
        h.get("content-security-policy")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("default-src 'self'")
    );
    let css = app.get(&client(), "/static/app.css").await;
    assert_eq!(css.status(), StatusCode::OK);
    assert!(
        css.headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
}
