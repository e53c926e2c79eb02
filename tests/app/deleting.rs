//! Deleting what webhooks depend on: a project a webhook is narrowed to is kept (never
//! widening the webhook to every project), and a project goes with its phases only when
//! that is confirmed, all in one transaction that any in-transaction webhook can refuse.

use hookline::on_db;
use reqwest::StatusCode;

use crate::events::create_project;
use crate::helpers::*;
use crate::receiver::{Answer, Receiver};
use crate::webhooks::{create as create_webhook, form_with};

#[tokio::test]
async fn a_project_a_webhook_is_narrowed_to_is_not_deleted() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    receiver.script((0..10).map(|_| Answer::status(500)));
    let narrowed = create_project(&app, &admin, "ONLY", &[]).await;
    let other = create_project(&app, &admin, "OTHER", &[]).await;
    let url = format!("{}/veto", receiver.url);
    let id = narrowed.to_string();
    create_webhook(
        &app,
        &admin,
        &form_with(&[
            ("wording", "Guard ONLY"),
            ("url", &url),
            ("project", &id),
            ("synchronous", "on"),
            ("in_transaction", "on"),
        ]),
    )
    .await;

    let res = app
        .post(&admin, &format!("/projects/{narrowed}/delete"), &[])
        .await;
    assert_eq!(location(&res), format!("/projects/{narrowed}"));
    let page = app.get_html(&admin, &format!("/projects/{narrowed}")).await;
    assert!(
        page.contains(&escaped(
            "Webhook(s) “Guard ONLY” fire only for this project"
        )),
        "{page}"
    );
    assert_eq!(app.count("projects").await, 2);
    assert_eq!(
        app.count_where("webhooks", "project_id IS NOT NULL").await,
        1
    );
    // The webhook still guards only its project: another project's edit is not vetoed.
    let res = app
        .post(
            &admin,
            &format!("/projects/{other}"),
            &[("code", "OTHER"), ("name", "Edited"), ("status", "Active")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(receiver.received().is_empty());
}

#[tokio::test]
async fn a_project_goes_with_its_phases_once_confirmed() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let project = create_project(&app, &admin, "CASCADE", &[]).await;
    app.add_phase(&admin, project, "Design").await;
    app.add_phase(&admin, project, "Build").await;
    let page = app.get_html(&admin, &format!("/projects/{project}")).await;
    assert!(
        page.contains("Delete this project and its 2 phase(s)?"),
        "{page}"
    );
    assert!(page.contains("name=\"with_phases\""));

    let events_before = app.count("events").await;
    let res = app
        .post(
            &admin,
            &format!("/projects/{project}/delete"),
            &[("with_phases", "on")],
        )
        .await;
    assert_eq!(location(&res), "/projects");
    assert_eq!(app.count("projects").await, 0);
    assert_eq!(app.count("phases").await, 0);
    let types: Vec<String> =
        on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT event_type FROM events WHERE id > $1 ORDER BY id")
            .bind(events_before)
            .fetch_all(ex)
            .await)
            .unwrap();
    assert_eq!(types, ["phase.deleted", "phase.deleted", "project.deleted"]);
}

#[tokio::test]
async fn a_veto_on_one_phase_keeps_the_project_and_every_phase() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    let project = create_project(&app, &admin, "KEEP", &[]).await;
    app.add_phase(&admin, project, "Design").await;
    app.add_phase(&admin, project, "Build").await;
    let url = format!("{}/phases", receiver.url);
    create_webhook(
        &app,
        &admin,
        &form_with(&[
            ("url", &url),
            ("event_object", "phase"),
            ("event_action", "delete"),
            ("synchronous", "on"),
            ("in_transaction", "on"),
        ]),
    )
    .await;
    // The first phase is approved, the second refused.
    receiver.script([
        Answer::status(200),
        Answer::status(409).body("Build is locked"),
    ]);
    let events_before = app.count("events").await;
    let res = app
        .post(
            &admin,
            &format!("/projects/{project}/delete"),
            &[("with_phases", "on")],
        )
        .await;
    assert_eq!(location(&res), format!("/projects/{project}"));
    let page = app.get_html(&admin, &format!("/projects/{project}")).await;
    assert!(page.contains("Build is locked"), "{page}");
    assert_eq!(app.count("projects").await, 1);
    assert_eq!(app.count("phases").await, 2);
    assert_eq!(app.count("events").await, events_before);
}

#[tokio::test]
async fn by_api_a_project_with_phases_needs_with_phases() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let token = crate::api::admin_token(&app).await;
    let project = create_project(&app, &admin, "API", &[]).await;
    app.add_phase(&admin, project, "Design").await;
    let delete = async |query: &str| {
        client()
            .delete(app.url(&format!("/api/v1/projects/{project}{query}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status()
    };
    assert_eq!(delete("").await, StatusCode::BAD_REQUEST);
    assert_eq!(delete("?withPhases=maybe").await, StatusCode::BAD_REQUEST);
    assert_eq!(app.count("phases").await, 1);
    assert_eq!(delete("?withPhases=true").await, StatusCode::NO_CONTENT);
    assert_eq!(app.count("phases").await, 0);
}
