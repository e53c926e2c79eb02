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

/// Every route of the UI. Ids refer to what `prepared` makes: user 2, custom role 4.
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
    ]
}

async fn prepared() -> TestApp {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_user(&admin, "target@example.com", VIEWER).await;
    let res = app.post(&admin, "/roles/new", &[("name", "Custom")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
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
            assert!(
                status.is_success()
                    || status == StatusCode::SEE_OTHER
                    || status == StatusCode::UNPROCESSABLE_ENTITY,
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
