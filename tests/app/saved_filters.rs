//! Saved filters, of projects and of the webhook list: their owner modifies and deletes
//! them; to anyone else a private one does not exist.

use hookline::on_db;
use reqwest::StatusCode;

use crate::helpers::*;

async fn project_filter(app: &TestApp, client: &reqwest::Client, name: &str, public: bool) -> i64 {
    let visibility = if public { "public" } else { "private" };
    let fields = [
        ("name", name),
        ("visibility", visibility),
        ("field", "start_date"),
        ("operator", "after"),
        ("value", "2026-01-01"),
    ];
    let res = app.post(client, "/project-filters", &fields).await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap()
    );
    on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT MAX(id) FROM project_filters")
        .fetch_one(ex)
        .await)
    .unwrap()
}

/// A second user who manages projects, signed in.
async fn other_manager(app: &TestApp) -> reqwest::Client {
    let (client, _) = app.signed_in_as(ADMINISTRATOR).await;
    client
}

#[tokio::test]
async fn another_users_private_project_filter_gives_nothing_away() {
    let app = spawn_app().await;
    let a = app.admin().await;
    let private = project_filter(&app, &a, "Mine", false).await;
    crate::webhooks::create(
        &app,
        &a,
        &crate::webhooks::form_with(&[("project_filter", &private.to_string())]),
    )
    .await;
    let b = other_manager(&app).await;

    let res = app
        .post(&b, &format!("/project-filters/{private}/delete"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let page = res.text().await.unwrap();
    assert!(
        !page.contains("used by") && !page.contains("1 webhook"),
        "{page}"
    );
    let flashes = app.get_html(&b, "/project-filters").await;
    assert!(
        !flashes.contains("used by"),
        "no flash tells B about A's filter"
    );
    for res in [
        app.get(&b, &format!("/project-filters/{private}")).await,
        app.post(
            &b,
            &format!("/project-filters/{private}"),
            &[
                ("name", "Stolen"),
                ("field", "name"),
                ("operator", "contains"),
                ("value", "x"),
            ],
        )
        .await,
    ] {
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
    let name: String = on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT name FROM project_filters WHERE id = $1")
        .bind(private)
        .fetch_one(ex)
        .await)
        .unwrap();
    assert_eq!(name, "Mine");
    // Its owner is told why it stays.
    let res = app
        .post(&a, &format!("/project-filters/{private}/delete"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = app.get_html(&a, "/project-filters").await;
    assert!(page.contains("used by 1 webhook(s)"), "{page}");
}

#[tokio::test]
async fn a_project_filter_is_modified_by_its_owner_and_shows_field_labels() {
    let app = spawn_app().await;
    let a = app.admin().await;
    let id = project_filter(&app, &a, "Recent", false).await;
    let list = app.get_html(&a, "/project-filters").await;
    assert!(
        list.contains("Start date is after"),
        "labels, not codes: {list}"
    );
    assert!(!list.contains("start_date is after"));
    let form = app.get_html(&a, &format!("/project-filters/{id}")).await;
    assert!(form.contains("Modify project filter") && form.contains("value=\"Recent\""));
    assert!(
        form.contains("<option value=\"start_date\" selected>Start date</option>"),
        "{form}"
    );

    let res = app
        .post(
            &a,
            &format!("/project-filters/{id}"),
            &[
                ("name", "Big budgets"),
                ("visibility", "public"),
                ("field", "budget"),
                ("operator", "greater"),
                ("value", "1000"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let list = app.get_html(&a, "/project-filters").await;
    assert!(list.contains("Big budgets") && list.contains("Budget is greater than"));
    // A bad modification is refused whole, the form kept.
    let res = app
        .post(
            &a,
            &format!("/project-filters/{id}"),
            &[
                ("name", ""),
                ("field", "budget"),
                ("operator", "greater"),
                ("value", "x"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (name, public): (String, bool) =
        on_db!(&app.state.store, ex => sqlx::query_as("SELECT name, public FROM project_filters WHERE id = $1")
            .bind(id)
            .fetch_one(ex)
            .await)
            .unwrap();
    assert_eq!((name.as_str(), public), ("Big budgets", true));
}

#[tokio::test]
async fn a_saved_list_filter_is_modified_and_stays_applied_with_its_new_criteria() {
    let app = spawn_app().await;
    let a = app.admin().await;
    let res = app
        .post(
            &a,
            "/webhooks/filter",
            &[
                ("contains", "crm"),
                ("save_name", "CRM"),
                ("visibility", "private"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let id: i64 =
        on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT id FROM webhook_list_filters")
        .fetch_one(ex)
        .await)
        .unwrap();
    let page = app.get_html(&a, "/webhooks/filter").await;
    assert!(
        page.contains("class=\"badge neutral\">Private"),
        "Private is not an error"
    );
    let form = app.get_html(&a, &format!("/webhooks/filters/{id}")).await;
    assert!(form.contains("value=\"crm\"") && form.contains("value=\"CRM\""));

    let res = app
        .post(
            &a,
            &format!("/webhooks/filters/{id}"),
            &[
                ("contains", "erp"),
                ("save_name", "ERP"),
                ("visibility", "public"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let active: String =
        on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT criteria FROM webhook_list_active_filter WHERE filter_id = $1")
            .bind(id)
            .fetch_one(ex)
            .await)
            .unwrap();
    assert!(active.contains("erp"), "the active copy follows: {active}");
    let list = app.get_html(&a, "/webhooks").await;
    assert!(list.contains("ERP"), "{list}");

    // Someone else can use it, not change it.
    let b = other_manager(&app).await;
    for res in [
        app.get(&b, &format!("/webhooks/filters/{id}")).await,
        app.post(
            &b,
            &format!("/webhooks/filters/{id}"),
            &[("save_name", "Mine now")],
        )
        .await,
    ] {
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
    let res = app
        .post(&a, &format!("/webhooks/filters/{id}"), &[("save_name", "")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
