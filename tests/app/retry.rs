//! Retry now: it keeps an object's changes in order, makes one attempt however many people
//! press it at once, and leaves the retry schedule as it was.

use hookline::{execute_on, on_db};
use std::time::Duration;

use reqwest::StatusCode;

use crate::events::create_project;
use crate::helpers::*;
use crate::receiver::{Answer, Receiver};
use crate::webhooks::{create as create_webhook, form_with};

const WAIT: Duration = Duration::from_secs(10);

/// A webhook to `receiver` for project changes, and a project modified twice: three
/// deliveries for one object. The first one fails twice (the immediate retry included),
/// so it waits for its third try and the two after it wait their turn.
async fn three_changes_first_one_failing(app: &TestApp, receiver: &Receiver) -> Vec<i64> {
    let admin = app.admin().await;
    let url = format!("{}/in", receiver.url);
    create_webhook(
        app,
        &admin,
        &form_with(&[("url", &url), ("event_action", "all")]),
    )
    .await;
    receiver.script([Answer::status(500), Answer::status(500)]);
    let id = create_project(app, &admin, "ORDER", &[]).await;
    for name in ["Second", "Third"] {
        let path = format!("/projects/{id}");
        let fields = [("code", "ORDER"), ("name", name), ("status", "Active")];
        assert_eq!(
            app.post(&admin, &path, &fields).await.status(),
            StatusCode::SEE_OTHER
        );
    }
    app.state.deliverer.run_once().await.unwrap();
    receiver.wait_for(2, WAIT).await;
    on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT id FROM deliveries ORDER BY id")
        .fetch_all(ex)
        .await)
    .unwrap()
}

async fn state_of(app: &TestApp, id: i64) -> (String, i64, i64) {
    on_db!(&app.state.store, ex => sqlx::query_as("SELECT status, attempts, next_attempt_at FROM deliveries WHERE id = $1")
        .bind(id)
        .fetch_one(ex)
        .await)
        .unwrap()
}

async fn retry(app: &TestApp, client: &reqwest::Client, id: i64) -> (StatusCode, String) {
    let res = client
        .post(app.url(&format!("/api/v1/deliveries/{id}/retry")))
        .bearer_auth(crate::api::admin_token(app).await)
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

fn change_version(body: &str) -> i64 {
    serde_json::from_str::<serde_json::Value>(body).unwrap()["changeVersion"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn retry_now_keeps_an_objects_changes_in_order() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let ids = three_changes_first_one_failing(&app, &receiver).await;
    let api = client();
    let (status, body) = retry(&app, &api, ids[2]).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body.contains(&format!("delivery #{}", ids[0])), "{body}");
    assert_eq!(receiver.received().len(), 2, "nothing was sent out of turn");

    let (status, body) = retry(&app, &api, ids[0]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.state.deliverer.run_once().await.unwrap();
    let got = receiver.wait_for(5, WAIT).await;
    let versions: Vec<i64> = got.iter().map(|r| change_version(&r.body)).collect();
    assert_eq!(versions, vec![1, 1, 1, 2, 3]);
}

#[tokio::test]
async fn simultaneous_retries_make_one_attempt() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let ids = three_changes_first_one_failing(&app, &receiver).await;
    receiver.script([Answer::status(200).delay(Duration::from_millis(300))]);
    let token = crate::api::admin_token(&app).await;
    let api = client();
    let answers = futures_util::future::join_all((0..5).map(async |_| {
        api.post(app.url(&format!("/api/v1/deliveries/{}/retry", ids[0])))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status()
    }))
    .await;
    let ok = answers.iter().filter(|s| **s == StatusCode::OK).count();
    let busy = answers
        .iter()
        .filter(|s| **s == StatusCode::CONFLICT)
        .count();
    assert_eq!((ok, busy), (1, 4), "{answers:?}");
    assert_eq!(
        receiver.received().len(),
        3,
        "the message went out once more"
    );
    let (status, attempts, _) = state_of(&app, ids[0]).await;
    assert_eq!((status.as_str(), attempts), ("delivered", 3));
}

#[tokio::test]
async fn a_failed_retry_now_leaves_the_schedule_as_it_was() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let ids = three_changes_first_one_failing(&app, &receiver).await;
    let (_, attempts, next) = state_of(&app, ids[0]).await;
    assert_eq!(attempts, 2);

    receiver.script([Answer::status(500)]);
    let (status, body) = retry(&app, &client(), ids[0]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("\"responseStatus\":500"), "{body}");
    assert_eq!(state_of(&app, ids[0]).await, ("pending".into(), 3, next));

    // Its next scheduled try comes; failing, it waits as the third scheduled try does
    // (5 minutes, give or take the jitter), not as a fourth would (30 minutes).
    execute_on!(
        &app.state.store,
        sqlx::query("UPDATE deliveries SET next_attempt_at = 0 WHERE id = $1").bind(ids[0])
    )
    .unwrap();
    receiver.script([Answer::status(500)]);
    app.state.deliverer.run_once().await.unwrap();
    let (_, attempts, next) = state_of(&app, ids[0]).await;
    assert_eq!(attempts, 4);
    let wait = next - hookline::db::now_ms();
    assert!(
        (200_000..=370_000).contains(&wait),
        "waits {wait} ms, not the next step's 30 minutes"
    );
}
