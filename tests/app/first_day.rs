//! What a new administrator ran into on their first day: each fixed, each tested here.

use hookline::{execute_on, on_db};
use reqwest::StatusCode;

use crate::events::create_project;
use crate::helpers::*;
use crate::receiver::Receiver;
use crate::webhooks::{create as create_webhook, form_with};

#[tokio::test]
async fn a_change_to_excluded_fields_only_sends_nothing() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    let id = create_project(&app, &admin, "EXCL", &[("description", "first")]).await;
    create_webhook(
        &app,
        &admin,
        &form_with(&[
            ("url", &receiver.url),
            ("excluded_fields", "description, budget"),
        ]),
    )
    .await;
    let modify = async |fields: &[(&str, &str)]| {
        let mut all = vec![("code", "EXCL"), ("status", "Active")];
        all.extend_from_slice(fields);
        let res = app.post(&admin, &format!("/projects/{id}"), &all).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    };
    modify(&[
        ("name", "Apollo"),
        ("description", "second"),
        ("budget", "5"),
    ])
    .await;
    assert_eq!(
        app.count("deliveries").await,
        0,
        "only excluded fields changed"
    );
    modify(&[
        ("name", "Renamed"),
        ("description", "third"),
        ("budget", "5"),
    ])
    .await;
    assert_eq!(app.count("deliveries").await, 1, "the name is seen");
    app.state.deliverer.run_once().await.unwrap();
    let got = receiver.received();
    let payload: serde_json::Value = serde_json::from_str(&got[0].body).unwrap();
    let changed: Vec<&str> = payload["data"]["changedFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(changed, ["name"]);
}

#[tokio::test]
async fn a_veto_leaves_its_call_and_a_log_entry() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    let id = create_project(&app, &admin, "VETO", &[]).await;
    let url = format!("{}/approve", receiver.url);
    create_webhook(
        &app,
        &admin,
        &form_with(&[
            ("wording", "Budget guard"),
            ("url", &url),
            ("synchronous", "on"),
            ("in_transaction", "on"),
        ]),
    )
    .await;
    receiver.script([crate::receiver::Answer::status(422).body("Budget over the limit")]);
    let res = app
        .post(
            &admin,
            &format!("/projects/{id}"),
            &[("code", "VETO"), ("name", "Vetoed"), ("status", "Active")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let log = app.get_html(&admin, "/application-log").await;
    assert!(
        log.contains(&escaped(
            "Webhook “Budget guard” refused project.modified of project #"
        )) && log.contains("Budget over the limit"),
        "{log}"
    );
    let marker = "href=\"/attempts/";
    let start = log.find(marker).expect("a link to the call") + marker.len();
    let attempt: String = log[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let call = app.get_html(&admin, &format!("/attempts/{attempt}")).await;
    assert!(
        call.contains("Budget over the limit") && call.contains("ERROR (422)"),
        "{call}"
    );
    assert!(call.contains("Vetoed"), "the proposed state was sent");
    let list = app.get_html(&admin, "/webhooks").await;
    assert!(
        list.contains("ERROR (422)"),
        "the list's Last status shows it"
    );
    assert_eq!(
        app.count("deliveries").await,
        0,
        "the change itself left nothing"
    );
}

#[tokio::test]
async fn an_expired_webhook_shows_it_can_be_renewed_and_its_other_fields_saved() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let id = create_webhook(&app, &admin, &form_with(&[])).await;
    execute_on!(
        &app.state.store,
        sqlx::query("UPDATE webhooks SET valid_until = '2025-01-31'")
    )
    .unwrap();
    let form = app.get_html(&admin, &format!("/webhooks/{id}")).await;
    assert!(
        form.contains("Expired: its last day was 2025-01-31"),
        "{form}"
    );
    assert!(form.contains(&format!("action=\"/webhooks/{id}/renew\"")));

    let version = crate::webhooks::version(&app, id).await;
    let save = |description: &'static str, until: &'static str| {
        form_with(&[
            ("version", &version),
            ("description", description),
            ("valid_until", until),
        ])
    };
    let path = format!("/webhooks/{id}");
    let res = crate::webhooks::post_form(&app, &admin, &path, &save("Other", "2025-01-30")).await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "another past day"
    );
    let res = crate::webhooks::post_form(&app, &admin, &path, &save("Kept", "2025-01-31")).await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "the stored day is kept as it is"
    );
    let description: String =
        on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT description FROM webhooks")
        .fetch_one(ex)
        .await)
        .unwrap();
    assert_eq!(description, "Kept");

    let res = app
        .post(&admin, &format!("/webhooks/{id}/renew"), &[])
        .await;
    assert_eq!(location(&res), format!("/webhooks/{id}"));
    let until: String = on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT CAST(valid_until AS TEXT) FROM webhooks")
        .fetch_one(ex)
        .await)
        .unwrap();
    let expected = chrono::Utc::now().date_naive() + chrono::Days::new(90);
    assert_eq!(until, expected.format("%Y-%m-%d").to_string());
    let form = app.get_html(&admin, &format!("/webhooks/{id}")).await;
    assert!(!form.contains("Expired:") && form.contains("Webhook renewed"));
    let (viewer, _) = app.signed_in_as(VIEWER).await;
    let res = app
        .post(&viewer, &format!("/webhooks/{id}/renew"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn every_test_request_says_it_is_a_test_and_user_webhooks_test_with_a_user() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    let other = app
        .create_user(&admin, "tested@example.com", VIEWER)
        .await
        .to_string();
    let url = format!("{}/del/{{user.id}}", receiver.url);
    let test = async |extra: &[(&'static str, &str)]| {
        let mut changes = vec![
            ("url", url.as_str()),
            ("verb", "DELETE"),
            ("body", ""),
            ("event_object", "user"),
        ];
        changes.extend_from_slice(extra);
        crate::webhooks::post_form(&app, &admin, "/webhooks/test", &form_with(&changes)).await
    };
    let page = app.get_html(&admin, "/webhooks/new").await;
    assert!(page.contains("<label for=\"test_user\">User</label>"));

    let res = test(&[("test_user", &other)]).await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    let got = receiver
        .wait_for(1, std::time::Duration::from_secs(5))
        .await;
    assert_eq!(got[0].method, "DELETE");
    assert_eq!(got[0].header("hookline-test"), Some("true"));
    assert_eq!(got[0].target, format!("/del/{other}"), "the chosen user");

    let res = test(&[("test_user", "424242")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Choose a user to test with.")
    );
    assert_eq!(receiver.received().len(), 1);
}

#[tokio::test]
async fn the_list_names_what_each_webhook_is_narrowed_to() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let fields = [
        ("name", "Big budgets"),
        ("visibility", "public"),
        ("field", "budget"),
        ("operator", "greater"),
        ("value", "1000"),
    ];
    assert_eq!(
        app.post(&admin, "/project-filters", &fields).await.status(),
        StatusCode::SEE_OTHER
    );
    let project = create_project(&app, &admin, "APOLLO", &[])
        .await
        .to_string();
    let ann = app
        .create_user(&admin, "ann@example.com", VIEWER)
        .await
        .to_string();
    let filter = "1";
    create_webhook(
        &app,
        &admin,
        &form_with(&[("wording", "Filtered"), ("project_filter", filter)]),
    )
    .await;
    create_webhook(
        &app,
        &admin,
        &form_with(&[("wording", "Single"), ("project", &project)]),
    )
    .await;
    create_webhook(
        &app,
        &admin,
        &form_with(&[("wording", "Ann's"), ("initiator_user", &ann)]),
    )
    .await;
    create_webhook(&app, &admin, &form_with(&[("wording", "Any")])).await;
    let list = app.get_html(&admin, "/webhooks").await;
    for label in [
        "Modify · Project · Big budgets",
        "Modify · Project · project APOLLO",
        "Modify · Project · All projects · by Test User",
        "Modify · Project · All projects<",
    ] {
        assert!(
            list.contains(&escaped(label).replace("&#60;", "<")),
            "{label} in {list}"
        );
    }
    assert!(!list.contains("project filter #"));

    // Renamed, the filter is named anew at once.
    let fields = [
        ("name", "Huge budgets"),
        ("visibility", "public"),
        ("field", "budget"),
        ("operator", "greater"),
        ("value", "9000"),
    ];
    let res = app
        .post(&admin, &format!("/project-filters/{filter}"), &fields)
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(
        app.get_html(&admin, "/webhooks")
            .await
            .contains("Huge budgets")
    );
}

#[tokio::test]
async fn a_failed_call_is_told_in_words_with_the_detail_kept() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{closed}/nobody");
    let id = create_webhook(&app, &admin, &form_with(&[("url", &url)])).await;
    let project = create_project(&app, &admin, "WORDS", &[]).await.to_string();
    let version = crate::webhooks::version(&app, id).await;
    let res = crate::webhooks::post_form(
        &app,
        &admin,
        "/webhooks/test",
        &form_with(&[
            ("url", &url),
            ("id", &id.to_string()),
            ("version", &version),
            ("test_project", &project),
        ]),
    )
    .await;
    let page = res.text().await.unwrap();
    let said = format!("Could not connect to 127.0.0.1:{closed}: connection refused");
    assert!(page.contains(&said), "{page}");
    assert!(
        page.contains("Technical detail"),
        "the detail is one click away"
    );
    let (message, detail): (String, String) =
        on_db!(&app.state.store, ex => sqlx::query_as("SELECT error_message, error_detail FROM delivery_attempts")
            .fetch_one(ex)
            .await)
            .unwrap();
    assert_eq!(message, said);
    assert!(detail.contains("error sending request"), "{detail}");
}

#[tokio::test]
async fn deleting_a_webhook_cancels_what_it_still_had_to_send() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    receiver.script([
        crate::receiver::Answer::status(500),
        crate::receiver::Answer::status(500),
    ]);
    let id = create_webhook(
        &app,
        &admin,
        &form_with(&[("url", &receiver.url), ("event_action", "all")]),
    )
    .await;
    create_project(&app, &admin, "GONE", &[]).await;
    app.state.deliverer.run_once().await.unwrap();
    let delivery: i64 =
        on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT id FROM deliveries")
        .fetch_one(ex)
        .await)
        .unwrap();
    let page = app
        .get_html(&admin, &format!("/pending-orders/{delivery}"))
        .await;
    assert!(page.contains("Failed, waiting to retry") && page.contains(">Cancel</button>"));

    let res = app
        .post(&admin, &format!("/webhooks/{id}/delete"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = app
        .get_html(&admin, &format!("/pending-orders/{delivery}"))
        .await;
    assert!(
        page.contains("— Cancelled") && page.contains("the webhook was deleted"),
        "{page}"
    );
    assert!(!page.contains(">Cancel</button>") && !page.contains(">Retry now</button>"));
}

#[tokio::test]
async fn screens_say_things_one_way() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    let async_hook = create_webhook(&app, &admin, &form_with(&[("url", &receiver.url)])).await;
    create_webhook(
        &app,
        &admin,
        &form_with(&[
            ("url", &receiver.url),
            ("synchronous", "on"),
            ("event_action", "all"),
        ]),
    )
    .await;
    // Unchanged, a save says so.
    let version = crate::webhooks::version(&app, async_hook).await;
    let path = format!("/webhooks/{async_hook}");
    let res = crate::webhooks::post_form(
        &app,
        &admin,
        &path,
        &form_with(&[("version", &version), ("url", &receiver.url)]),
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap()
    );
    let list = app.get_html(&admin, "/webhooks").await;
    assert!(
        list.contains(&escaped("Webhook “Notify CRM”: nothing changed.")),
        "{list}"
    );

    // A change fires one asynchronous delivery and one synchronous call: one is queued.
    let project = create_project(&app, &admin, "ONEWAY", &[]).await;
    let res = app
        .post(
            &admin,
            &format!("/projects/{project}"),
            &[
                ("code", "ONEWAY"),
                ("name", "Renamed"),
                ("status", "Active"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let list = app.get_html(&admin, "/projects").await;
    assert!(list.contains("saved; 1 webhook delivery queued."), "{list}");

    // Modes and triggers by their labels, never their codes.
    let delivery: i64 = on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT MAX(id) FROM deliveries WHERE mode = 'async'")
        .fetch_one(ex)
        .await)
        .unwrap();
    let page = app
        .get_html(&admin, &format!("/pending-orders/{delivery}"))
        .await;
    assert!(page.contains("<dd>Asynchronous</dd>"), "{page}");
    let sync: i64 = on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT MAX(id) FROM deliveries WHERE mode = 'sync'")
        .fetch_one(ex)
        .await)
        .unwrap();
    let page = app
        .get_html(&admin, &format!("/pending-orders/{sync}"))
        .await;
    assert!(
        page.contains("<dd>Synchronous</dd>") && page.contains("(Synchronous call)"),
        "{page}"
    );
    assert!(!page.contains("(synchronous)") && !page.contains("<dd>sync</dd>"));
}

#[tokio::test]
async fn after_a_veto_a_phase_keeps_its_saved_name_in_the_heading() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let receiver = Receiver::start().await;
    let project = create_project(&app, &admin, "PH", &[]).await;
    let phase = app.add_phase(&admin, project, "Design").await;
    create_webhook(
        &app,
        &admin,
        &form_with(&[
            ("url", &receiver.url),
            ("event_object", "phase"),
            ("synchronous", "on"),
            ("in_transaction", "on"),
        ]),
    )
    .await;
    receiver.script([crate::receiver::Answer::status(409).body("No renaming")]);
    let res = app
        .post(
            &admin,
            &format!("/phases/{phase}"),
            &[
                ("name", "Refused name"),
                ("status", "Not started"),
                ("progress", "0"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(page.contains("<h1>Phase Design</h1>"), "{page}");
    assert!(page.contains("value=\"Refused name\""), "the input is kept");
}

#[tokio::test]
async fn access_denied_keeps_the_top_bar_and_sign_out() {
    let app = spawn_app().await;
    let (viewer, _) = app.signed_in_as(VIEWER).await;
    let res = app.get(&viewer, "/users").await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let page = res.text().await.unwrap();
    assert!(page.contains("Access denied") && page.contains("Manage users and roles"));
    assert!(
        page.contains("class=\"topbar\"") && page.contains("action=\"/sign-out\""),
        "{page}"
    );
    assert!(
        page.contains("href=\"/webhooks\""),
        "the areas they may open"
    );
    // Signed out, the same page has nothing to sign out of.
    let res = app.get(&client(), "/no-such-page").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(!res.text().await.unwrap().contains("/sign-out"));
}

#[tokio::test]
async fn the_forced_password_change_says_why_truthfully_and_there_is_an_icon() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = app
        .post(
            &admin,
            "/users/new",
            &[
                ("email", "chosen@example.com"),
                ("display_name", "Chosen"),
                ("password", USER_PASSWORD),
                ("password_confirm", USER_PASSWORD),
                ("must_change_password", "on"),
                ("roles", "3"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let chosen = client();
    app.sign_in(&chosen, "chosen@example.com", USER_PASSWORD)
        .await;
    let page = app.get_html(&chosen, "/account/password").await;
    assert!(
        page.contains("was set by an administrator") && !page.contains("generated"),
        "{page}"
    );

    let generated = spawn_app_with(|s| {
        s.admin_email = None;
        s.admin_password = None;
    })
    .await;
    let password = generated.generated_password.clone().unwrap();
    let first = client();
    generated
        .sign_in(&first, "admin@localhost", password.expose())
        .await;
    let page = generated.get_html(&first, "/account/password").await;
    assert!(page.contains("was generated for you"), "{page}");

    let icon = client().get(app.url("/favicon.ico")).send().await.unwrap();
    assert_eq!(icon.status(), StatusCode::OK);
    assert_eq!(icon.headers()["content-type"], "image/svg+xml");
    assert!(
        app.get_html(&admin, "/webhooks")
            .await
            .contains("rel=\"icon\"")
    );
}

#[tokio::test]
async fn seeded_webhooks_fire_at_no_one() {
    let app = spawn_app().await;
    hookline::services::seed::seed_webhooks(&app.state, 30)
        .await
        .unwrap();
    let (active, outside): (i64, i64) = on_db!(&app.state.store, ex => sqlx::query_as(
        "SELECT COUNT(*) FILTER (WHERE active), COUNT(*) FILTER (WHERE url NOT LIKE 'https://hooks%.example.invalid/%') FROM webhooks",
    )
    .fetch_one(ex)
    .await)
    .unwrap();
    assert_eq!((active, outside), (0, 0));
    let admin = app.admin().await;
    create_project(&app, &admin, "SEEDED", &[]).await;
    assert_eq!(
        app.count("deliveries").await,
        0,
        "a change fires none of them"
    );
}

#[tokio::test]
async fn the_api_reads_http_verb_and_gives_api_webhooks_the_operators_validity() {
    let app = spawn_app_with(|s| s.api_webhook_validity_days = Some(30)).await;
    let token = crate::api::admin_token(&app).await;
    let post = async |body: serde_json::Value| {
        let res = client()
            .post(app.url("/api/v1/webhooks"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        (res.status(), res.json::<serde_json::Value>().await.unwrap())
    };
    let (status, made) = post(serde_json::json!({
        "wording": "PPM style", "url": "https://crm.example.com/in", "httpVerb": "PUT",
        "body": "{payload}", "eventTypes": ["project.modified"]
    }))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(made["verb"], "PUT");
    let expected = chrono::Utc::now().date_naive() + chrono::Days::new(30);
    assert_eq!(made["validUntil"], expected.format("%Y-%m-%d").to_string());
    // A date given is kept; a bad verb under either name is a field error.
    let (_, kept) = post(serde_json::json!({
        "wording": "Dated", "url": "https://crm.example.com/in", "verb": "POST",
        "eventTypes": ["project.modified"], "validUntil": "2099-01-31"
    }))
    .await;
    assert_eq!(kept["validUntil"], "2099-01-31");
    let (status, body) = post(serde_json::json!({
        "wording": "Bad", "url": "https://crm.example.com/in", "httpVerb": "TRACE",
        "eventTypes": ["project.modified"]
    }))
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["fields"][0]["field"], "verb", "{body}");
}
