//! Nobody hands on a right they do not hold: not through a token made for someone else, a
//! role given or edited, nor control over a more powerful account.

use hookline::on_db;
use reqwest::{Client, StatusCode};
use serde_json::json;

use crate::helpers::*;

/// A custom role holding exactly `rights` (codes), made by the administrator.
pub async fn role_with(app: &TestApp, admin: &Client, name: &str, rights: &[&str]) -> i64 {
    let mut fields = vec![("name", name), ("description", "")];
    fields.extend(rights.iter().map(|r| ("rights", *r)));
    let res = app.post(admin, "/roles/new", &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "role {name}");
    on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT id FROM roles WHERE name = $1")
        .bind(name)
        .fetch_one(ex)
        .await)
    .unwrap()
}

/// A client signed in as a new user holding `role`.
async fn user_with_role(app: &TestApp, admin: &Client, email: &str, role: i64) -> Client {
    app.create_user(admin, email, role).await;
    let client = client();
    let res = app.sign_in(&client, email, USER_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    client
}

#[tokio::test]
async fn managing_tokens_alone_does_not_make_a_token_for_an_administrator() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let keeper = role_with(&app, &admin, "Token keeper", &["api_tokens.manage"]).await;
    let tk = user_with_role(&app, &admin, "tk@example.com", keeper).await;

    let res = app
        .post(
            &tk,
            "/api-tokens/new",
            &[
                ("name", "Borrowed power"),
                ("user", "1"),
                ("scopes", "objects.write"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(
        page.contains(&escaped("Manage projects")) && page.contains("which you do not hold"),
        "{page}"
    );
    assert_eq!(app.count("api_tokens").await, 0, "no token was issued");

    // The administrator may make the same token: they hold every right it carries.
    let res = app
        .post(
            &admin,
            "/api-tokens/new",
            &[("name", "CRM"), ("user", "1"), ("scopes", "objects.write")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.count("api_tokens").await, 1);
}

#[tokio::test]
async fn a_token_for_someone_else_may_carry_only_rights_its_maker_holds() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let both = role_with(
        &app,
        &admin,
        "Tokens and webhooks",
        &["api_tokens.manage", "webhooks.view"],
    )
    .await;
    let maker = user_with_role(&app, &admin, "maker@example.com", both).await;
    let viewer = app
        .create_user(&admin, "viewer@example.com", VIEWER)
        .await
        .to_string();
    let manager = app
        .create_user(&admin, "manager@example.com", WEBHOOK_MANAGER)
        .await
        .to_string();
    // Reading webhooks: the maker holds View Webhooks, so a Viewer's token is fine.
    let res = app
        .post(
            &maker,
            "/api-tokens/new",
            &[
                ("name", "Read"),
                ("user", &viewer),
                ("scopes", "webhooks.read"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    // Writing webhooks as a Webhook manager would carry rights the maker lacks.
    let res = app
        .post(
            &maker,
            "/api-tokens/new",
            &[
                ("name", "Write"),
                ("user", &manager),
                ("scopes", "webhooks.write"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains(&escaped("Create a Webhook")),
    );
    assert_eq!(app.count("api_tokens").await, 1);
}

#[tokio::test]
async fn a_user_manager_cannot_raise_anyone_above_themselves() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let people = role_with(&app, &admin, "People", &["users.manage"]).await;
    let um = user_with_role(&app, &admin, "um@example.com", people).await;
    let um_id: i64 = on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT id FROM users WHERE email = 'um@example.com'")
        .fetch_one(ex)
        .await)
        .unwrap();

    // A new administrator, or oneself raised to one: refused.
    let res = app
        .post(
            &um,
            "/users/new",
            &[
                ("email", "new-admin@example.com"),
                ("display_name", "New Admin"),
                ("password", USER_PASSWORD),
                ("password_confirm", USER_PASSWORD),
                ("roles", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("which you do not hold"));
    let admin_role = ADMINISTRATOR.to_string();
    let people_role = people.to_string();
    let res = app
        .post(
            &um,
            &format!("/users/{um_id}"),
            &[
                ("email", "um@example.com"),
                ("display_name", "Test User"),
                ("roles", &people_role),
                ("roles", &admin_role),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A role with more rights than its maker: refused too.
    let res = app
        .post(
            &um,
            "/roles/new",
            &[("name", "Everything"), ("rights", "webhooks.delete")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Nor can they take over or switch off the administrator's account.
    let res = app
        .post(
            &um,
            "/users/1",
            &[
                ("email", "um-owns-this@example.com"),
                ("display_name", "Admin"),
                ("roles", &admin_role),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app.post(&um, "/users/1/deactivate", &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (email, active): (String, bool) =
        on_db!(&app.state.store, ex => sqlx::query_as("SELECT email, active FROM users WHERE id = 1")
            .fetch_one(ex)
            .await)
            .unwrap();
    assert_eq!((email.as_str(), active), (ADMIN_EMAIL, true));
    let admins: i64 = app.count_where("user_roles", "role_id = 1").await;
    assert_eq!(admins, 1);

    // What stays within their own rights still works: a Viewer added.
    let res = app
        .post(
            &um,
            "/users/new",
            &[
                ("email", "peer@example.com"),
                ("display_name", "Peer"),
                ("password", USER_PASSWORD),
                ("password_confirm", USER_PASSWORD),
                ("roles", &people_role),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn an_api_token_cannot_make_an_administrator_unless_its_reach_covers_every_right() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let people = role_with(&app, &admin, "People", &["users.manage"]).await;
    let um = app.create_user(&admin, "um@example.com", people).await;
    let make = async |user: i64, scopes: &[&str]| {
        let draft = hookline::domain::api_token::TokenDraft::parse(
            &hookline::domain::api_token::TokenInput {
                name: "t".into(),
                user: user.to_string(),
                scopes: scopes.iter().map(|s| s.to_string()).collect(),
                expires_on: String::new(),
            },
            chrono::Utc::now().date_naive(),
        )
        .unwrap();
        hookline::services::api_tokens::create(
            &app.state,
            &hookline::services::Actor::system("test"),
            &draft,
        )
        .await
        .unwrap()
        .token
    };
    let new_admin = |email: &str| json!({"email": email, "displayName": "Another", "roleIds": [1], "password": USER_PASSWORD});
    let post = async |token: &str, body: serde_json::Value| {
        client()
            .post(app.url("/api/v1/users"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap()
    };
    let um_token = make(um, &["objects.write"]).await;
    let res = post(&um_token, new_admin("a@example.com")).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["fields"][0]["field"], "roleIds", "{body}");
    // Even the administrator's own token: objects.write reaches only the rights of objects.
    let admin_objects = make(1, &["objects.write"]).await;
    let res = post(&admin_objects, new_admin("b@example.com")).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let admin_all = make(
        1,
        &[
            "webhooks.read",
            "webhooks.write",
            "deliveries.read",
            "deliveries.write",
            "objects.read",
            "objects.write",
        ],
    )
    .await;
    let res = post(&admin_all, new_admin("c@example.com")).await;
    // Manage API tokens is reached by no scope: an API token never makes an administrator.
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let admins: i64 = app.count_where("user_roles", "role_id = 1").await;
    assert_eq!(admins, 1);
}
