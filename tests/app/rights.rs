//! The rights matrix: every route × every built-in role, and anonymous visitors.

use hookline::domain::Right;
use reqwest::StatusCode;

use crate::helpers::*;

enum Needs {
    /// Any signed-in user.
    SignedIn,
    Has(Right),
}

struct Route {
    method: &'static str,
    path: &'static str,
    needs: Needs,
}

const fn get(path: &'static str, needs: Needs) -> Route {
    Route {
        method: "GET",
        path,
        needs,
    }
}
const fn post(path: &'static str, needs: Needs) -> Route {
    Route {
        method: "POST",
        path,
        needs,
    }
}

/// Every route of the UI. Ids refer to what `prepared` makes: user 2, custom role 4,
/// webhook 1, saved filter 1, project 1 with phase 1, project filter 1, delivery 1.
fn routes() -> Vec<Route> {
    use Needs::*;
    vec![
        get("/", SignedIn),
        get("/account/password", SignedIn),
        get("/users", Has(Right::ManageUsers)),
        get("/users/new", Has(Right::ManageUsers)),
        get("/users/2", Has(Right::ManageUsers)),
        post("/users/new", Has(Right::ManageUsers)),
        post("/users/2", Has(Right::ManageUsers)),
        post("/users/2/deactivate", Has(Right::ManageUsers)),
        post("/users/2/activate", Has(Right::ManageUsers)),
        get("/roles", Has(Right::ManageUsers)),
        get("/roles/new", Has(Right::ManageUsers)),
        get("/roles/4", Has(Right::ManageUsers)),
        post("/roles/new", Has(Right::ManageUsers)),
        post("/roles/4", Has(Right::ManageUsers)),
        post("/roles/4/delete", Has(Right::ManageUsers)),
        get("/webhooks", Has(Right::ViewWebhooks)),
        get("/webhooks/filter", Has(Right::ViewWebhooks)),
        post("/webhooks/filter", Has(Right::ViewWebhooks)),
        post("/webhooks/filter/select", Has(Right::ViewWebhooks)),
        post("/webhooks/filter/clear", Has(Right::ViewWebhooks)),
        get("/webhooks/filters/1", Has(Right::ViewWebhooks)),
        post("/webhooks/filters/1", Has(Right::ViewWebhooks)),
        post("/webhooks/filters/1/delete", Has(Right::ViewWebhooks)),
        get("/webhooks/new", Has(Right::CreateWebhook)),
        post("/webhooks/new", Has(Right::CreateWebhook)),
        post("/webhooks/test", Has(Right::ModifyWebhook)),
        post("/webhooks/preview", Has(Right::ModifyWebhook)),
        get("/inbox", Has(Right::ModifyWebhook)),
        post("/inbox/clear", Has(Right::ModifyWebhook)),
        get("/webhooks/1", Has(Right::ViewWebhooks)),
        get("/webhooks/1/history", Has(Right::ViewWebhooks)),
        get("/webhooks/1/history/1", Has(Right::ViewWebhooks)),
        post("/webhooks/1/history/1/restore", Has(Right::ModifyWebhook)),
        get("/webhooks/1/overview", Has(Right::ViewWebhooks)),
        post("/webhooks/1/recover", Has(Right::ManagePendingOrders)),
        post("/webhooks/1", Has(Right::ModifyWebhook)),
        post("/webhooks/1/rotate-secret", Has(Right::ModifyWebhook)),
        post("/webhooks/1/renew", Has(Right::ModifyWebhook)),
        post("/webhooks/1/delete", Has(Right::DeleteWebhook)),
        get("/event-types", Has(Right::ViewWebhooks)),
        get("/projects", Has(Right::ManageProjects)),
        get("/projects/new", Has(Right::ManageProjects)),
        post("/projects/new", Has(Right::ManageProjects)),
        get("/projects/1", Has(Right::ManageProjects)),
        post("/projects/1", Has(Right::ManageProjects)),
        get("/projects/1/phases/new", Has(Right::ManageProjects)),
        post("/projects/1/phases/new", Has(Right::ManageProjects)),
        get("/phases/1", Has(Right::ManageProjects)),
        post("/phases/1", Has(Right::ManageProjects)),
        post("/phases/1/delete", Has(Right::ManageProjects)),
        post("/projects/1/delete", Has(Right::ManageProjects)),
        get("/project-filters", Has(Right::ManageProjects)),
        post("/project-filters", Has(Right::ManageProjects)),
        get("/project-filters/1", Has(Right::ManageProjects)),
        post("/project-filters/1", Has(Right::ManageProjects)),
        post("/project-filters/1/delete", Has(Right::ManageProjects)),
        get("/pending-orders", Has(Right::ViewPendingOrders)),
        get("/pending-orders/1", Has(Right::ViewPendingOrders)),
        get("/application-log", Has(Right::ViewPendingOrders)),
        get("/attempts/1", Has(Right::ViewPendingOrders)),
        post("/pending-orders/1/cancel", Has(Right::ManagePendingOrders)),
        post("/pending-orders/1/retry", Has(Right::ManagePendingOrders)),
        post("/pending-orders/bulk", Has(Right::ManagePendingOrders)),
        get("/api-tokens", Has(Right::ManageApiTokens)),
        get("/api-tokens/new", Has(Right::ManageApiTokens)),
        post("/api-tokens/new", Has(Right::ManageApiTokens)),
        post("/api-tokens/1/revoke", Has(Right::ManageApiTokens)),
        post("/users/2/delete", Has(Right::ManageUsers)),
    ]
}

async fn prepared() -> TestApp {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_user(&admin, "target@example.com", VIEWER).await;
    let res = app.post(&admin, "/roles/new", &[("name", "Custom")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    crate::webhooks::create(&app, &admin, &crate::webhooks::valid_form()).await;
    let res = app
        .post(
            &admin,
            "/webhooks/filter",
            &[
                ("contains", "crm"),
                ("save_name", "Shared"),
                ("visibility", "public"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let project = crate::events::create_project(&app, &admin, "P1", &[]).await;
    // A modification queues delivery 1 for webhook 1 (no worker runs in these tests).
    app.post(
        &admin,
        &format!("/projects/{project}"),
        &[("code", "P1"), ("name", "Apollo"), ("status", "On hold")],
    )
    .await;
    app.post(
        &admin,
        &format!("/projects/{project}/phases/new"),
        &[("name", "Design"), ("status", "Not started")],
    )
    .await;
    let res = app
        .post(
            &admin,
            "/project-filters",
            &[
                ("name", "Active"),
                ("visibility", "public"),
                ("field", "status"),
                ("operator", "equals"),
                ("value", "Active"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = app
        .post(
            &admin,
            "/api-tokens/new",
            &[("name", "CI"), ("user", "1"), ("scopes", "webhooks.read")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    app
}

/// What each built-in role is documented to grant, written out independently of the code.
fn expected_rights(role: i64) -> Vec<Right> {
    use Right::*;
    match role {
        ADMINISTRATOR => Right::ALL.to_vec(),
        WEBHOOK_MANAGER => vec![
            ViewWebhooks,
            CreateWebhook,
            ModifyWebhook,
            DeleteWebhook,
            ViewPendingOrders,
            ManagePendingOrders,
        ],
        VIEWER => vec![ViewWebhooks, ViewPendingOrders],
        _ => unreachable!(),
    }
}

async fn send(app: &TestApp, client: &reqwest::Client, route: &Route) -> reqwest::Response {
    match route.method {
        "GET" => app.get(client, route.path).await,
        _ => app.post(client, route.path, &[]).await,
    }
}

async fn check_role(role: i64) {
    let app = prepared().await;
    let (client, _) = app.signed_in_as(role).await;
    let rights = expected_rights(role);
    for route in routes() {
        let res = send(&app, &client, &route).await;
        let status = res.status();
        let allowed = match route.needs {
            Needs::SignedIn => true,
            Needs::Has(right) => rights.contains(&right),
        };
        if allowed {
            // Allowed: anything but a refusal. The matrix posts empty forms, which some
            // routes answer with their own 4xx (422, or 404 for an unnamed saved filter).
            assert!(
                status != StatusCode::FORBIDDEN && !status.is_server_error(),
                "role {role}: {} {} gave {status}",
                route.method,
                route.path
            );
            assert!(
                !crate::helpers::location(&res).starts_with("/sign-in"),
                "{} {}",
                route.method,
                route.path
            );
        } else {
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "role {role}: {} {}",
                route.method,
                route.path
            );
            let Needs::Has(right) = route.needs else {
                unreachable!()
            };
            let page = res.text().await.unwrap();
            assert!(
                page.contains(right.label()),
                "the 403 page names the missing right"
            );
        }
    }
}

#[tokio::test]
async fn administrator_may_use_every_route() {
    check_role(ADMINISTRATOR).await;
}

#[tokio::test]
async fn webhook_manager_gets_exactly_its_rights() {
    check_role(WEBHOOK_MANAGER).await;
}

#[tokio::test]
async fn viewer_gets_exactly_its_rights() {
    check_role(VIEWER).await;
}

#[tokio::test]
async fn anonymous_visitors_are_sent_to_sign_in() {
    let app = prepared().await;
    let client = client();
    for route in routes() {
        let res = send(&app, &client, &route).await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "{} {}",
            route.method,
            route.path
        );
        assert!(
            location(&res).starts_with("/sign-in?next="),
            "{} {}",
            route.method,
            route.path
        );
    }
}

#[tokio::test]
async fn links_the_user_may_not_use_are_hidden() {
    let app = prepared().await;
    let admin = app.admin().await;
    let page = app.get_html(&admin, "/account/password").await;
    assert!(page.contains("href=\"/users\""));
    let (viewer, _) = app.signed_in_as(VIEWER).await;
    let page = app.get_html(&viewer, "/account/password").await;
    assert!(
        !page.contains("href=\"/users\""),
        "a viewer sees no Users & roles link"
    );
}

#[tokio::test]
async fn the_payload_schema_is_public() {
    let app = spawn_app().await;
    let res = app.get(&client(), "/schemas/webhook-payload.json").await;
    assert_eq!(res.status(), StatusCode::OK);
}
