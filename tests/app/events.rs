//! Projects, phases and users record exactly the right events, in the change's transaction;
//! matching picks exactly the right webhooks; payloads are valid.

use hookline::domain::ids::{EventRowId, ProjectId, UserId};
use hookline::events::payload::{self, Context, Options};
use hookline::{execute_on, on_db};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::webhooks::{create as create_webhook, form_with};

pub async fn create_project(
    app: &TestApp,
    client: &reqwest::Client,
    code: &str,
    extra: &[(&str, &str)],
) -> i64 {
    let mut fields = vec![("code", code), ("name", "Apollo"), ("status", "Active")];
    for (k, v) in extra {
        fields.retain(|(key, _)| key != k);
        fields.push((k, v));
    }
    let res = app.post(client, "/projects/new", &fields).await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap()
    );
    on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT id FROM projects WHERE code = $1")
        .bind(code)
        .fetch_one(ex)
        .await)
    .unwrap()
}

/// An event row as stored, its codes as text.
#[derive(Debug, sqlx::FromRow)]
#[allow(dead_code)] // read whole, as stored; each test looks at some columns
pub struct EventRow {
    pub id: EventRowId,
    pub event_id: String,
    pub event_type: String,
    pub object_type: String,
    pub object_id: i64,
    pub parent_type: Option<String>,
    pub parent_id: Option<i64>,
    pub project_id: Option<ProjectId>,
    pub parent_attributes: Option<String>,
    pub attributes: Option<String>,
    pub before_attributes: Option<String>,
    pub changes: String,
    pub initiator_id: Option<UserId>,
    pub initiator_name: String,
    pub initiator_email: String,
    pub occurred_at: i64,
    pub change_version: i64,
}

pub async fn events(app: &TestApp) -> Vec<EventRow> {
    on_db!(&app.state.store, ex => sqlx::query_as(EVENTS)
        .fetch_all(ex)
        .await)
    .unwrap()
}

/// The recorded events as the payloads see them.
pub async fn recorded_events(app: &TestApp) -> Vec<hookline::domain::event::Event> {
    on_db!(&app.state.store, ex => sqlx::query_as(EVENTS)
        .fetch_all(ex)
        .await)
    .unwrap()
}

const EVENTS: &str =
        "SELECT id, event_id, event_type, object_type, object_id, parent_type, parent_id, project_id, parent_attributes,
                attributes, before_attributes, changes, initiator_id, initiator_name, initiator_email, initiator_token, occurred_at, change_version
         FROM events ORDER BY id";

fn json(text: &Option<String>) -> Value {
    text.as_deref()
        .map_or(Value::Null, |t| serde_json::from_str(t).unwrap())
}

async fn deliveries(app: &TestApp) -> Vec<(i64, i64, String)> {
    on_db!(&app.state.store, ex => sqlx::query_as("SELECT event_id, webhook_id, mode FROM deliveries ORDER BY id")
        .fetch_all(ex)
        .await)
        .unwrap()
}

#[tokio::test]
async fn project_create_modify_delete_record_their_events() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let id = create_project(
        &app,
        &admin,
        "PRJ-1",
        &[("budget", "1000"), ("start_date", "2026-03-01")],
    )
    .await;
    let id_s = id.to_string();
    // A modification of one detail field.
    let res = app
        .post(
            &admin,
            &format!("/projects/{id}"),
            &[
                ("code", "PRJ-1"),
                ("name", "Apollo II"),
                ("status", "Active"),
                ("budget", "1000"),
                ("start_date", "2026-03-01"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // Saving without a change records nothing.
    app.post(
        &admin,
        &format!("/projects/{id}"),
        &[
            ("code", "PRJ-1"),
            ("name", "Apollo II"),
            ("status", "Active"),
            ("budget", "1000"),
            ("start_date", "2026-03-01"),
        ],
    )
    .await;
    assert!(
        app.get_html(&admin, "/projects")
            .await
            .contains("nothing changed")
    );
    app.post(&admin, &format!("/projects/{id}/delete"), &[])
        .await;

    let all = events(&app).await;
    let kinds: Vec<&str> = all.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        kinds,
        vec![
            "user.created",
            "project.created",
            "project.modified",
            "project.deleted"
        ],
        "the first is the administrator's creation"
    );
    let (created, modified, deleted) = (&all[1], &all[2], &all[3]);
    assert_eq!(created.object_id, id);
    assert_eq!(json(&created.attributes)["budget"], json!(1000));
    assert_eq!(json(&created.attributes)["start_date"], json!("2026-03-01"));
    assert_eq!(
        json(&created.attributes)["description"],
        Value::Null,
        "empty is null"
    );
    assert_eq!(created.before_attributes, None);
    assert_eq!(json(&modified.before_attributes)["name"], json!("Apollo"));
    assert_eq!(json(&modified.attributes)["name"], json!("Apollo II"));
    assert_eq!(
        serde_json::from_str::<Value>(&modified.changes).unwrap(),
        json!([{"name": "name", "type": "text", "previous": "Apollo", "current": "Apollo II"}])
    );
    assert_eq!(deleted.attributes, None);
    assert_eq!(json(&deleted.before_attributes)["name"], json!("Apollo II"));
    assert_eq!(
        (
            created.change_version,
            modified.change_version,
            deleted.change_version
        ),
        (1, 2, 3),
        "versions increase per object"
    );
    assert_eq!(
        (
            modified.initiator_id,
            modified.initiator_name.as_str(),
            modified.initiator_email.as_str()
        ),
        (Some(UserId::new(1)), "Administrator", ADMIN_EMAIL)
    );
    assert_eq!(id_s, created.object_id.to_string());
}

#[tokio::test]
async fn phase_events_carry_their_project() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let project = create_project(&app, &admin, "PRJ-2", &[]).await;
    let res = app
        .post(
            &admin,
            &format!("/projects/{project}/phases/new"),
            &[
                ("name", "Design"),
                ("status", "Not started"),
                ("progress", "0"),
            ],
        )
        .await;
    assert_eq!(location(&res), format!("/projects/{project}"));
    let phase: i64 = on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT id FROM phases")
        .fetch_one(ex)
        .await)
    .unwrap();
    app.post(
        &admin,
        &format!("/phases/{phase}"),
        &[
            ("name", "Design"),
            ("status", "In progress"),
            ("progress", "40"),
        ],
    )
    .await;
    app.post(&admin, &format!("/phases/{phase}/delete"), &[])
        .await;
    let all = events(&app).await;
    let phases: Vec<&EventRow> = all.iter().filter(|e| e.object_type == "phase").collect();
    assert_eq!(
        phases
            .iter()
            .map(|e| e.event_type.as_str())
            .collect::<Vec<_>>(),
        vec!["phase.created", "phase.modified", "phase.deleted"]
    );
    for e in &phases {
        assert_eq!(
            (e.parent_type.as_deref(), e.parent_id, e.project_id),
            (
                Some("project"),
                Some(project),
                Some(ProjectId::new(project))
            )
        );
        assert_eq!(json(&e.parent_attributes)["code"], json!("PRJ-2"));
    }
    let changes: Value = serde_json::from_str(&phases[1].changes).unwrap();
    let names: Vec<&str> = changes
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["status", "progress"]);
    // A project with phases cannot be deleted, and nothing is recorded for the attempt.
    app.post(
        &admin,
        &format!("/projects/{project}/phases/new"),
        &[("name", "Build"), ("status", "Not started")],
    )
    .await;
    let before = events(&app).await.len();
    let res = app
        .post(&admin, &format!("/projects/{project}/delete"), &[])
        .await;
    assert_eq!(location(&res), format!("/projects/{project}"));
    assert!(
        app.get_html(&admin, &format!("/projects/{project}"))
            .await
            .contains("This project has 1 phase(s): delete them first.")
    );
    assert_eq!(events(&app).await.len(), before);
}

#[tokio::test]
async fn user_changes_fire_user_events_only_when_details_change() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let id = app.create_user(&admin, "uma@example.com", VIEWER).await;
    let viewer = VIEWER.to_string();
    let manager = WEBHOOK_MANAGER.to_string();
    let path = format!("/users/{id}");
    app.post(
        &admin,
        &path,
        &[
            ("email", "uma@example.com"),
            ("display_name", "Test User"),
            ("active", "on"),
            ("roles", &viewer),
        ],
    )
    .await;
    app.post(
        &admin,
        &path,
        &[
            ("email", "uma@example.com"),
            ("display_name", "Test User"),
            ("active", "on"),
            ("roles", &manager),
        ],
    )
    .await;
    app.post(&admin, &format!("{path}/deactivate"), &[]).await;
    app.post(&admin, &format!("{path}/delete"), &[]).await;
    let all: Vec<EventRow> = events(&app)
        .await
        .into_iter()
        .filter(|e| e.object_id == id && e.object_type == "user")
        .collect();
    let kinds: Vec<&str> = all.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        kinds,
        vec![
            "user.created",
            "user.modified",
            "user.modified",
            "user.deleted"
        ]
    );
    assert_eq!(json(&all[1].attributes)["roles"], json!("Webhook manager"));
    assert_eq!(json(&all[2].attributes)["active"], json!(false));
    assert_eq!(
        all.iter().map(|e| e.change_version).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    assert!(
        app.get_html(&admin, "/users")
            .await
            .contains("User uma@example.com deleted.")
    );
}

#[tokio::test]
async fn a_failed_change_records_no_event_and_no_event_exists_without_its_change() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    create_project(&app, &admin, "PRJ-3", &[]).await;
    let before = events(&app).await.len();
    // A duplicate code fails the change: no event.
    let res = app
        .post(
            &admin,
            "/projects/new",
            &[("code", "prj-3"), ("name", "Again"), ("status", "Active")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("A project with this code already exists.")
    );
    assert_eq!(events(&app).await.len(), before);
    // A failure after the event is written (here the outbox refuses its row) rolls back the
    // change and the event together.
    create_webhook(&app, &admin, &form_with(&[("event_action", "create")])).await;
    on_db!(&app.state.store, ex => sqlx::raw_sql(ex.pick(
        "CREATE TRIGGER fail_outbox BEFORE INSERT ON deliveries BEGIN SELECT RAISE(ABORT, 'forced failure'); END",
        "CREATE FUNCTION fail_outbox() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'forced failure'; END $$;
         CREATE TRIGGER fail_outbox BEFORE INSERT ON deliveries FOR EACH ROW EXECUTE FUNCTION fail_outbox()",
    ))
        .execute(ex)
        .await.map(|r| r.rows_affected()))
        .unwrap();
    let res = app
        .post(
            &admin,
            "/projects/new",
            &[("code", "PRJ-4"), ("name", "Doomed"), ("status", "Active")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("A technical error has occurred. Please contact your administrator.")
    );
    let projects: i64 = app.count_where("projects", "code = 'PRJ-4'").await;
    assert_eq!(projects, 0);
    assert_eq!(events(&app).await.len(), before);
}

#[tokio::test]
async fn matching_picks_exactly_the_right_webhooks() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let other_user = app
        .create_user(&admin, "other@example.com", ADMINISTRATOR)
        .await
        .to_string();
    let apollo = create_project(&app, &admin, "APOLLO", &[("budget", "5000")])
        .await
        .to_string();
    // A public project filter: budget over 1000.
    let res = app
        .post(
            &admin,
            "/project-filters",
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
    let big: String = on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT CAST(id AS TEXT) FROM project_filters")
        .fetch_one(ex)
        .await)
        .unwrap();
    let hook = |wording: &'static str, changes: Vec<(&'static str, String)>| {
        let mut c: Vec<(&'static str, String)> = vec![("wording", wording.to_owned())];
        c.extend(changes);
        c
    };
    let specs = vec![
        hook("all project", vec![("event_action", "all".into())]),
        hook("modify project", vec![]),
        hook("create project", vec![("event_action", "create".into())]),
        hook("inactive", vec![("active", "".into())]),
        hook(
            "phase only",
            vec![
                ("event_object", "phase".into()),
                ("event_action", "all".into()),
            ],
        ),
        hook("big budgets", vec![("project_filter", big.clone())]),
        hook(
            "other initiator",
            vec![("initiator_user", other_user.clone())],
        ),
        hook("only apollo", vec![("project", apollo.clone())]),
        hook(
            "phase of big budgets",
            vec![
                ("event_object", "phase".into()),
                ("event_action", "all".into()),
                ("project_filter", big.clone()),
            ],
        ),
    ];
    for spec in &specs {
        let mut form = crate::webhooks::valid_form();
        for (k, v) in spec {
            form.retain(|(key, _)| key != k);
            if !v.is_empty() {
                form.push((*k, v.clone()));
            }
        }
        create_webhook(&app, &admin, &form).await;
    }
    // One expired webhook, made expired behind the form's back (the form refuses past dates).
    create_webhook(&app, &admin, &form_with(&[("wording", "expired")])).await;
    execute_on!(
        &app.state.store,
        sqlx::query("UPDATE webhooks SET valid_until = '2000-01-01' WHERE wording = 'expired'")
    )
    .unwrap();

    let fired = |event_id: EventRowId| {
        let app = &app;
        async move {
            let rows: Vec<String> = on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT w.wording FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.event_id = $1 ORDER BY w.id")
                .bind(event_id)
                .fetch_all(ex)
                .await)
                .unwrap();
            rows
        }
    };
    let path = format!("/projects/{apollo}");
    app.post(
        &admin,
        &path,
        &[
            ("code", "APOLLO"),
            ("name", "Apollo 2"),
            ("status", "Active"),
            ("budget", "5000"),
        ],
    )
    .await;
    let last = events(&app).await.pop().unwrap();
    assert_eq!(
        fired(last.id).await,
        vec![
            "all project",
            "modify project",
            "big budgets",
            "only apollo"
        ]
    );

    // The filter is evaluated on the state after the change: now the budget is small.
    app.post(
        &admin,
        &path,
        &[
            ("code", "APOLLO"),
            ("name", "Apollo 2"),
            ("status", "Active"),
            ("budget", "10"),
        ],
    )
    .await;
    let last = events(&app).await.pop().unwrap();
    assert_eq!(
        fired(last.id).await,
        vec!["all project", "modify project", "only apollo"]
    );

    // A phase of a big-budget project matches through its project.
    app.post(
        &admin,
        &path,
        &[
            ("code", "APOLLO"),
            ("name", "Apollo 2"),
            ("status", "Active"),
            ("budget", "9000"),
        ],
    )
    .await;
    app.post(
        &admin,
        &format!("/projects/{apollo}/phases/new"),
        &[("name", "Design"), ("status", "Not started")],
    )
    .await;
    let last = events(&app).await.pop().unwrap();
    assert_eq!(last.event_type, "phase.created");
    assert_eq!(
        fired(last.id).await,
        vec!["phase only", "phase of big budgets"]
    );

    // Another project: the single-project filter no longer fits.
    create_project(&app, &admin, "GEMINI", &[]).await;
    let last = events(&app).await.pop().unwrap();
    assert_eq!(fired(last.id).await, vec!["all project", "create project"]);

    // Changes made by the other user reach the initiator-filtered webhook.
    let other = crate::helpers::client();
    app.sign_in(&other, "other@example.com", USER_PASSWORD)
        .await;
    app.post(
        &other,
        &path,
        &[
            ("code", "APOLLO"),
            ("name", "Apollo 3"),
            ("status", "Active"),
            ("budget", "9000"),
        ],
    )
    .await;
    let last = events(&app).await.pop().unwrap();
    assert_eq!(
        fired(last.id).await,
        vec![
            "all project",
            "modify project",
            "big budgets",
            "other initiator",
            "only apollo"
        ]
    );
    assert_eq!(
        deliveries(&app)
            .await
            .iter()
            .filter(|d| d.0 == last.id.get())
            .count(),
        5
    );
}

#[tokio::test]
async fn at_most_the_cap_fires_and_the_rest_is_logged() {
    let app = spawn_app_with(|s| s.max_hooks_per_action = 3).await;
    let admin = app.admin().await;
    for i in 0..5 {
        create_webhook(
            &app,
            &admin,
            &form_with(&[
                ("wording", &format!("hook {i}")),
                ("event_action", "create"),
            ]),
        )
        .await;
    }
    create_project(&app, &admin, "CAP", &[]).await;
    let last = events(&app).await.pop().unwrap();
    let fired: Vec<i64> = on_db!(&app.state.store, ex => sqlx::query_scalar(
        "SELECT webhook_id FROM deliveries WHERE event_id = $1 ORDER BY webhook_id",
    )
    .bind(last.id)
    .fetch_all(ex)
    .await)
    .unwrap();
    assert_eq!(fired, vec![1, 2, 3], "the first three, in a stable order");
    let logged: Vec<(i64, String)> = on_db!(&app.state.store, ex => sqlx::query_as(
        "SELECT webhook_id, message FROM app_log WHERE kind = 'over_cap' ORDER BY webhook_id",
    )
    .fetch_all(ex)
    .await)
    .unwrap();
    assert_eq!(logged.iter().map(|l| l.0).collect::<Vec<_>>(), vec![4, 5]);
    assert!(
        logged[0]
            .1
            .contains("at most 3 webhooks fire for one action")
    );
}

/// The webhooks of the last event, by id.
async fn fired_by_last_event(app: &TestApp) -> Vec<i64> {
    let last = events(app).await.pop().unwrap();
    on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT webhook_id FROM deliveries WHERE event_id = $1 ORDER BY webhook_id")
        .bind(last.id)
        .fetch_all(ex)
        .await)
        .unwrap()
}

#[tokio::test]
async fn matching_follows_every_committed_webhook_change_and_never_a_rolled_back_one() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let first = create_webhook(&app, &admin, &form_with(&[("event_action", "all")])).await;
    create_project(&app, &admin, "ONE", &[]).await;
    assert_eq!(fired_by_last_event(&app).await, [first]);

    // Turned off by another process: the next change sees it.
    execute_on!(
        &app.state.store,
        sqlx::query("UPDATE webhooks SET active = FALSE WHERE id = $1").bind(first)
    )
    .unwrap();
    let two = create_project(&app, &admin, "TWO", &[]).await;
    assert!(fired_by_last_event(&app).await.is_empty());

    // A transaction turns it back on and records an event that goes to it, then rolls back.
    let mut tx = app.state.store.begin_write().await.unwrap();
    execute_on!(
        &mut tx,
        sqlx::query("UPDATE webhooks SET active = TRUE WHERE id = $1").bind(first)
    )
    .unwrap();
    let attributes = |name: &str| {
        json!({"code": "TWO", "name": name, "status": "Active"})
            .as_object()
            .cloned()
    };
    let change = hookline::services::change::Change {
        object: hookline::domain::catalogue::ObjectType::Project,
        action: hookline::domain::catalogue::Action::Modify,
        object_id: two,
        parent: None,
        before: attributes("Apollo"),
        after: attributes("Renamed"),
        change_version: 2,
    };
    let by = hookline::services::change::Initiator {
        id: None,
        name: "Test".into(),
        email: "test@example.com".into(),
        via_token: None,
    };
    let recorded = hookline::services::change::record(&mut tx, change, &by, &app.state.routing())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        recorded
            .deliveries
            .iter()
            .map(|d| d.webhook_id.get())
            .collect::<Vec<_>>(),
        [first],
        "inside the transaction, its own change counts"
    );
    tx.rollback().await.unwrap();

    // Another webhook is committed instead: the counter moves as far as the rolled-back
    // change had moved it, yet the first webhook stays off.
    let second = create_webhook(&app, &admin, &form_with(&[("event_action", "all")])).await;
    create_project(&app, &admin, "THREE", &[]).await;
    assert_eq!(fired_by_last_event(&app).await, [second]);
}

#[tokio::test]
async fn the_default_is_ten_per_action() {
    let app = spawn_app().await;
    assert_eq!(app.state.settings.max_hooks_per_action, 10);
}

fn options<'a>(excluded: &'a [String], exclude_payload: bool, as_strings: bool) -> Options<'a> {
    Options {
        webhook_id: 7,
        message_id: "msg_01KAMZ8X6Q3V9T2C4D5E6F7G8H",
        excluded,
        exclude_payload,
        as_strings,
        test: false,
    }
}

async fn schema_validator() -> jsonschema::Validator {
    let app = spawn_app().await;
    let res = app
        .get(&crate::helpers::client(), "/schemas/webhook-payload.json")
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "the schema is served by Hookline"
    );
    let schema: Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
    jsonschema::validator_for(&schema).expect("a valid JSON Schema")
}

fn assert_valid(validator: &jsonschema::Validator, payload: &Value) {
    let errors: Vec<String> = validator
        .iter_errors(payload)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}\n{payload:#}");
}

#[tokio::test]
async fn payloads_follow_the_schema_in_every_variant() {
    let validator = schema_validator().await;
    let app = spawn_app().await;
    let admin = app.admin().await;
    let project = create_project(
        &app,
        &admin,
        "SCHEMA",
        &[
            ("budget", "12"),
            ("priority", "2"),
            ("finish_date", "2026-12-31"),
        ],
    )
    .await;
    app.post(
        &admin,
        &format!("/projects/{project}/phases/new"),
        &[("name", "Design"), ("status", "Not started")],
    )
    .await;
    app.post(
        &admin,
        &format!("/projects/{project}"),
        &[
            ("code", "SCHEMA"),
            ("name", "Renamed"),
            ("status", "On hold"),
            ("budget", "12"),
        ],
    )
    .await;
    app.create_user(&admin, "schema@example.com", VIEWER).await;
    let excluded = vec!["name".to_owned(), "budget".to_owned()];
    for event in recorded_events(&app).await {
        for (exclude_payload, as_strings) in [(false, false), (false, true), (true, false)] {
            let p = payload::envelope(&event, &options(&excluded, exclude_payload, as_strings));
            assert_valid(&validator, &p);
            if exclude_payload {
                assert!(
                    p["data"].get("attributes").is_none() && p["data"].get("initiator").is_none(),
                    "only identifiers"
                );
                assert_eq!(p["data"]["id"], json!(event.object_id));
            } else {
                let text = p.to_string();
                assert!(
                    !text.contains("\"name\":\"Renamed\"") && !text.contains("\"budget\""),
                    "excluded fields are removed everywhere: {text}"
                );
            }
            if as_strings && event.event_type == "project.created" {
                assert_eq!(p["data"]["attributes"]["priority"], json!("2"));
            }
        }
    }
}

#[tokio::test]
async fn templates_render_every_placeholder_with_the_right_escaping() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let tricky = "Quote \" back\\slash </script> & new\nline";
    let project = create_project(
        &app,
        &admin,
        "TPL",
        &[("description", tricky), ("budget", "99")],
    )
    .await;
    app.post(
        &admin,
        &format!("/projects/{project}/phases/new"),
        &[("name", "Phase <1>"), ("status", "Not started")],
    )
    .await;
    let all = recorded_events(&app).await;
    let project_event = all
        .iter()
        .find(|e| e.event_type == "project.created")
        .unwrap();
    let phase_event = all
        .iter()
        .find(|e| e.event_type == "phase.created")
        .unwrap();
    let none: Vec<String> = Vec::new();
    let o = options(&none, false, false);

    // Every placeholder a project event offers renders, none is left as text.
    let every: String =
        hookline::domain::template::placeholders(hookline::domain::catalogue::ObjectType::Project)
            .iter()
            .map(|p| format!("{{{p}}}|"))
            .collect();
    let text = payload::render(&every, Context::Text, project_event, &o).unwrap();
    assert!(
        !text.contains("{project.") && !text.contains("{event."),
        "{text}"
    );
    assert!(text.contains("project.created|") && text.contains("TPL|") && text.contains("99|"));

    // In a JSON body, values are escaped inside strings and the result parses.
    let body = payload::render(
        r#"{"d": "{project.description}", "b": {project.budget}, "changes": {changes}}"#,
        Context::Json,
        project_event,
        &o,
    )
    .unwrap();
    assert!(!body.contains("</script>"), "{body}");
    let parsed: Value = serde_json::from_str(&body).expect("the rendered body is JSON");
    assert_eq!(parsed["d"], json!(tricky));
    assert_eq!(parsed["b"], json!(99));
    assert!(parsed["changes"].is_array());

    // In a URL, values are percent-encoded.
    let url = payload::render(
        "https://x.example.com/p/{project.code}?d={project.description}",
        Context::Url,
        project_event,
        &o,
    )
    .unwrap();
    assert!(url.starts_with("https://x.example.com/p/TPL?d=Quote%20%22%20back%5Cslash%20%3C%2Fscript%3E%20%26%20new%0Aline"), "{url}");
    // In a header, line breaks cannot get through.
    let header =
        payload::render("{project.description}", Context::Header, project_event, &o).unwrap();
    assert!(!header.contains('\n') && !header.contains('\r'));
    // A phase event offers its project's code and name.
    let phase = payload::render(
        "{phase.name} of {project.code} / {project.name}",
        Context::Text,
        phase_event,
        &o,
    )
    .unwrap();
    assert_eq!(phase, "Phase <1> of TPL / Apollo");
    // {payload} is the envelope.
    let whole = payload::render(
        "{payload}",
        payload::body_context("{payload}"),
        project_event,
        &o,
    )
    .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&whole).unwrap()["eventType"],
        json!("project.created")
    );
    // Written straight to text (stored attributes passed on as they are when nothing in
    // them changes), it is byte for byte the envelope serialised from its tree.
    let excluded = vec!["budget".to_owned()];
    for options in [
        &o,
        &options(&excluded, false, true),
        &options(&none, true, false),
    ] {
        for event in &all {
            let text = payload::render("{payload}", Context::Text, event, options).unwrap();
            assert_eq!(text, payload::envelope(event, options).to_string());
        }
    }
}

#[tokio::test]
async fn project_filters_are_private_or_public_and_filter_the_project_list() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    create_project(&app, &admin, "BIG", &[("budget", "9000")]).await;
    create_project(&app, &admin, "SMALL", &[("budget", "10")]).await;
    app.post(
        &admin,
        "/project-filters",
        &[
            ("name", "Mine"),
            ("visibility", "private"),
            ("field", "budget"),
            ("operator", "greater"),
            ("value", "100"),
        ],
    )
    .await;
    let bad = app
        .post(
            &admin,
            "/project-filters",
            &[
                ("name", "Bad"),
                ("field", "name"),
                ("operator", "greater"),
                ("value", "1"),
            ],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.text()
            .await
            .unwrap()
            .contains("cannot be used with name")
    );
    let id: i64 =
        on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT id FROM project_filters")
        .fetch_one(ex)
        .await)
        .unwrap();
    let list = app
        .get_html(&admin, &format!("/projects?filter={id}"))
        .await;
    assert!(list.contains(">BIG<") && !list.contains(">SMALL<"));
    let list = app.get_html(&admin, "/projects?q=sma").await;
    assert!(!list.contains(">BIG<") && list.contains(">SMALL<"));

    // Another user with projects rights does not see a private filter, and cannot use it.
    let other_id = app
        .create_user(&admin, "pm@example.com", ADMINISTRATOR)
        .await;
    let other = crate::helpers::client();
    app.sign_in(&other, "pm@example.com", USER_PASSWORD).await;
    assert!(
        !app.get_html(&other, "/project-filters")
            .await
            .contains("Mine")
    );
    let hook = crate::webhooks::post_form(
        &app,
        &other,
        "/webhooks/new",
        &form_with(&[("project_filter", &id.to_string())]),
    )
    .await;
    assert_eq!(hook.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        hook.text()
            .await
            .unwrap()
            .contains("Choose a project filter from the list.")
    );
    let _ = other_id;

    // A filter in use cannot be deleted.
    create_webhook(
        &app,
        &admin,
        &form_with(&[("project_filter", &id.to_string())]),
    )
    .await;
    app.post(&admin, &format!("/project-filters/{id}/delete"), &[])
        .await;
    assert!(
        app.get_html(&admin, "/project-filters")
            .await
            .contains("This filter is used by 1 webhook(s)")
    );
}

#[tokio::test]
async fn bad_project_and_phase_input_is_refused_with_nothing_saved() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let long = "n".repeat(201);
    for (fields, message) in [
        (
            vec![("code", ""), ("name", "X"), ("status", "Active")],
            "Code is required.",
        ),
        (
            vec![("code", "A B"), ("name", "X"), ("status", "Active")],
            "Code may hold letters, digits, - _ and . only.",
        ),
        (
            vec![
                ("code", "OK"),
                ("name", long.as_str()),
                ("status", "Active"),
            ],
            "Name must be at most 200 characters.",
        ),
        (
            vec![("code", "OK"), ("name", "X"), ("status", "Sleeping")],
            "Choose a status",
        ),
        (
            vec![
                ("code", "OK"),
                ("name", "X"),
                ("status", "Active"),
                ("budget", "-1"),
            ],
            "Budget must be a whole number",
        ),
        (
            vec![
                ("code", "OK"),
                ("name", "X"),
                ("status", "Active"),
                ("priority", "7"),
            ],
            "Priority must be a whole number from 1 to 5.",
        ),
        (
            vec![
                ("code", "OK"),
                ("name", "X"),
                ("status", "Active"),
                ("start_date", "2026-05-02"),
                ("finish_date", "2026-05-01"),
            ],
            "The finish date cannot be before the start date.",
        ),
        (
            vec![
                ("code", "OK"),
                ("name", "X"),
                ("status", "Active"),
                ("manager", "999"),
            ],
            "Choose a manager from the list.",
        ),
    ] {
        let res = app.post(&admin, "/projects/new", &fields).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        assert!(res.text().await.unwrap().contains(message), "{message}");
    }
    let count: i64 = app.count("projects").await;
    assert_eq!(count, 0);
    let project = create_project(&app, &admin, "OK", &[]).await;
    let res = app
        .post(
            &admin,
            &format!("/projects/{project}/phases/new"),
            &[("name", "P"), ("status", "Done"), ("progress", "101")],
        )
        .await;
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Progress must be a whole number from 0 to 100.")
    );
    assert_eq!(
        app.get(&admin, "/projects/999/phases/new").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_event_catalogue_page_lists_every_event_type() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let page = app.get_html(&admin, "/event-types").await;
    for name in [
        "project.created",
        "project.modified",
        "project.deleted",
        "phase.created",
        "phase.deleted",
        "user.modified",
    ] {
        assert!(page.contains(name), "{name}");
    }
    assert!(page.contains("{project.budget}"));
}
