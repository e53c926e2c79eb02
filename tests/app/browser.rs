//! Browser tests in headless Chromium, driven through chromedriver (WebDriver).
//! They never skip: a missing browser is a failure, with the command that installs it.

use hookline::on_db;
use std::collections::HashSet;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

use crate::helpers::*;

pub struct Browser {
    pub client: Client,
    driver: Child,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn find(program: &str) -> Option<String> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| format!("{dir}/{program}"))
        .find(|p| std::path::Path::new(p).exists())
}

impl Browser {
    pub async fn start() -> Browser {
        let driver = find("chromedriver").unwrap_or_else(|| {
            panic!("chromedriver is missing: run scripts/test, or apt-get install chromium chromium-driver")
        });
        let chromium = find("chromium")
            .or_else(|| find("chromium-browser"))
            .expect("chromium is missing: apt-get install chromium");
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen within 20 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = tempfile::tempdir().unwrap().keep();
        let caps = serde_json::json!({
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.display()),
                ]
            }
        });
        let serde_json::Value::Object(caps) = caps else {
            unreachable!()
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a Chromium session");
        Browser {
            client,
            driver: child,
        }
    }

    pub async fn goto(&self, app: &TestApp, path: &str) {
        self.client.goto(&app.url(path)).await.unwrap();
    }

    pub async fn fill(&self, id: &str, value: &str) {
        let field = self
            .client
            .find(Locator::Id(id))
            .await
            .unwrap_or_else(|_| panic!("field #{id}"));
        self.centre(&field).await;
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    /// Scrolls the element to the middle of the window, as a person would, then clicks it.
    pub async fn click(&self, css: &str) {
        let el = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|_| panic!("element {css}"));
        self.centre(&el).await;
        el.click().await.unwrap();
    }

    /// Picks an `<option>`.
    pub async fn choose(&self, css: &str) {
        self.click(css).await;
    }

    async fn centre(&self, el: &fantoccini::elements::Element) {
        let arg = serde_json::to_value(el).unwrap();
        self.client
            .execute("arguments[0].scrollIntoView({block: 'center'})", vec![arg])
            .await
            .unwrap();
    }

    /// The page's text once it contains `needle` (pages load after a click), or a failure
    /// showing what the page says after 10 s.
    pub async fn source(&self) -> String {
        self.client.source().await.unwrap()
    }

    pub async fn wait_for_text(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = match self.client.find(Locator::Css("body")).await {
                Ok(body) => body.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if text.contains(needle) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "the page never showed {needle:?}; it shows:\n{text}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn sign_in(&self, app: &TestApp, email: &str, password: &str) {
        self.goto(app, "/sign-in").await;
        self.fill("email", email).await;
        self.fill("password", password).await;
        self.click("button[type=submit].primary").await;
    }

    pub async fn sign_out(&self) {
        self.click("form[action='/sign-out'] button").await;
    }

    pub async fn path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_owned()
    }

    /// Waits until the browser is at `path` (after a submit or a redirect).
    pub async fn wait_for_path(&self, path: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.path().await != path {
            assert!(
                Instant::now() < deadline,
                "the browser never reached {path}; it is at {}",
                self.path().await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn close(mut self) {
        let client = self.client.clone();
        client.close().await.unwrap();
        let _ = self.driver.kill();
    }
}

#[tokio::test]
async fn an_administrator_adds_a_viewer_who_sees_only_what_the_role_allows() {
    let app = spawn_app().await;
    let browser = Browser::start().await;
    browser.sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    browser.wait_for_path("/webhooks").await;
    browser.click("a[href='/users']").await;
    browser.wait_for_path("/users").await;

    browser.click("a[href='/users/new']").await;
    browser.wait_for_path("/users/new").await;
    browser.fill("email", "viewer@example.com").await;
    browser.fill("display_name", "Vera Viewer").await;
    browser.fill("password", USER_PASSWORD).await;
    browser.fill("password_confirm", USER_PASSWORD).await;
    browser.click("#must_change_password").await; // no forced change for this test user
    browser.click(&format!("#role-{VIEWER}")).await;
    browser.click("button[type=submit].primary").await;
    let page = browser
        .wait_for_text("User viewer@example.com created.")
        .await;
    assert!(page.contains("Vera Viewer"));
    browser.sign_out().await;
    browser.wait_for_text("You have signed out.").await;

    browser
        .sign_in(&app, "viewer@example.com", USER_PASSWORD)
        .await;
    browser.wait_for_path("/webhooks").await;
    let page = browser.wait_for_text("Vera Viewer").await;
    assert!(
        !page.contains("Users & roles"),
        "a viewer has no Users & roles link"
    );
    assert!(
        browser
            .client
            .find(Locator::Css("a[href='/webhooks/new']"))
            .await
            .is_err(),
        "no Add for a viewer"
    );
    browser.goto(&app, "/webhooks/new").await;
    let page = browser.wait_for_text("Access denied").await;
    assert!(
        page.contains("Create a Webhook"),
        "the 403 page names the right"
    );
    browser.close().await;
}

async fn is_hidden(browser: &Browser, css: &str) -> bool {
    let el = browser.client.find(Locator::Css(css)).await.unwrap();
    !el.is_displayed().await.unwrap()
}

async fn is_enabled(browser: &Browser, css: &str) -> bool {
    browser
        .client
        .find(Locator::Css(css))
        .await
        .unwrap()
        .is_enabled()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_webhook_is_created_through_the_form() {
    let app = spawn_app().await;
    let browser = Browser::start().await;
    browser.sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    browser.wait_for_path("/webhooks").await;
    browser.click("a[href='/webhooks/new']").await;
    browser.wait_for_path("/webhooks/new").await;

    // Test appears only once Wording, URL, Verb and Event are filled.
    assert!(is_hidden(&browser, "#test-button").await);
    browser.fill("wording", "Notify SharePoint").await;
    assert!(is_hidden(&browser, "#test-button").await);
    browser
        .fill("url", "https://sharepoint.example.com/sites/{project.code}")
        .await;
    assert!(
        !is_hidden(&browser, "#test-button").await,
        "Test shows once the four required fields are filled"
    );

    // Transaction execution only with Synchronous.
    assert!(!is_enabled(&browser, "#in_transaction").await);
    browser.click("#synchronous").await;
    assert!(is_enabled(&browser, "#in_transaction").await);
    browser.click("#in_transaction").await;
    browser.click("#synchronous").await;
    assert!(
        !is_enabled(&browser, "#in_transaction").await,
        "unchecking Synchronous disables it again"
    );
    browser.click("#synchronous").await;
    browser.click("#in_transaction").await;

    // A second header row, added with the button.
    browser.fill("header-name-1", "Authorization").await;
    browser
        .fill("header-value-1", "Bearer browser-secret")
        .await;
    browser.choose("#header-kind-1 option[value=secret]").await;
    browser.click(".add-header").await;
    let names = browser
        .client
        .find_all(Locator::Css("input[name=header_name]"))
        .await
        .unwrap();
    assert_eq!(names.len(), 2, "one row to fill on a new form, one added");
    names[1].send_keys("X-Source").await.unwrap();
    let values = browser
        .client
        .find_all(Locator::Css("input[name=header_value]"))
        .await
        .unwrap();
    values[1].send_keys("hookline").await.unwrap();

    browser.choose("#event_object option[value=user]").await;
    assert!(
        !is_enabled(&browser, "#project_filter").await,
        "no project filter for User"
    );
    browser.choose("#event_object option[value=phase]").await;
    assert!(is_enabled(&browser, "#project_filter").await);

    browser.click("button[value=register]").await;
    let list = browser
        .wait_for_text("Webhook “Notify SharePoint” created.")
        .await;
    assert!(list.contains("Synchronous in transaction"));
    assert!(list.contains("All actions · Phase · All projects"));
    assert!(!browser.source().await.contains("browser-secret"));
    let headers: Vec<(String, bool)> =
        on_db!(&app.state.store, ex => sqlx::query_as("SELECT name, secret FROM webhook_headers ORDER BY position")
            .fetch_all(ex)
            .await)
            .unwrap();
    assert_eq!(
        headers,
        vec![
            ("Authorization".to_owned(), true),
            ("X-Source".to_owned(), false)
        ]
    );

    // The Test dialog opens, and says plainly that nothing can be sent yet.
    browser.click("td a[href^='/webhooks/']").await;
    browser.wait_for_text("See history").await;
    browser.click("#test-button").await;
    browser.wait_for_text("Test the webhook").await;
    browser.click("#test-dialog button.primary").await;
    browser.wait_for_text("Not sent").await;
    browser.close().await;
}

#[tokio::test]
async fn a_public_filter_saved_by_one_user_is_used_by_another() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    crate::webhooks::create(&app, &admin, &crate::webhooks::valid_form()).await;
    crate::webhooks::create(
        &app,
        &admin,
        &crate::webhooks::form_with(&[
            ("wording", "Billing export"),
            ("url", "https://billing.example.com/"),
        ]),
    )
    .await;
    app.create_user(&admin, "manager@example.com", WEBHOOK_MANAGER)
        .await;

    let browser = Browser::start().await;
    browser.sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    browser.wait_for_path("/webhooks").await;
    browser.click("a[href='/webhooks/filter']").await;
    browser.wait_for_path("/webhooks/filter").await;
    browser.fill("contains", "billing").await;
    browser.fill("save_name", "Billing hooks").await;
    browser.click("#visibility-public").await;
    browser.click("button[type=submit].primary").await;
    let list = browser
        .wait_for_text("Filter “Billing hooks” saved and applied.")
        .await;
    assert!(list.contains("Billing export") && !list.contains("Notify CRM"));
    browser.sign_out().await;
    browser.wait_for_text("You have signed out.").await;

    browser
        .sign_in(&app, "manager@example.com", USER_PASSWORD)
        .await;
    browser.wait_for_path("/webhooks").await;
    let list = browser.wait_for_text("Notify CRM").await;
    assert!(list.contains("Filter: All"));
    browser.goto(&app, "/webhooks/filter").await;
    browser.wait_for_text("Billing hooks").await;
    browser.click(".saved-filters button.linklike").await;
    browser.wait_for_path("/webhooks").await;
    let list = browser.wait_for_text("Filter: Billing hooks").await;
    assert!(list.contains("Billing export") && !list.contains("Notify CRM"));
    browser.close().await;
}

#[tokio::test]
async fn a_script_in_a_wording_shows_as_text_and_runs_nothing() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let id = crate::webhooks::create(
        &app,
        &admin,
        &crate::webhooks::form_with(&[("wording", "<script>alert(1)</script>")]),
    )
    .await;
    let browser = Browser::start().await;
    browser.sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    browser.wait_for_path("/webhooks").await;
    for path in [
        "/webhooks".to_owned(),
        format!("/webhooks/{id}"),
        format!("/webhooks/{id}/history"),
    ] {
        browser.goto(&app, &path).await;
        browser.wait_for_text("<script>alert(1)</script>").await;
        assert!(
            browser.client.get_alert_text().await.is_err(),
            "no alert on {path}"
        );
    }
    browser.close().await;
}

#[tokio::test]
async fn the_test_button_shows_the_status_code_of_a_local_receiver() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let receiver = crate::receiver::Receiver::start().await;
    receiver.script([crate::receiver::Answer::status(418).body("I am a teapot")]);
    crate::events::create_project(&app, &admin, "BRW", &[]).await;
    let url = format!("{}/b/{{project.code}}", receiver.url);
    let id =
        crate::webhooks::create(&app, &admin, &crate::webhooks::form_with(&[("url", &url)])).await;
    let browser = Browser::start().await;
    browser.sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    browser.wait_for_path("/webhooks").await;
    browser.goto(&app, &format!("/webhooks/{id}")).await;
    browser.wait_for_text("See history").await;
    browser.click("#test-button").await;
    browser.wait_for_text("Test the webhook").await;
    browser.click("#test-dialog button.primary").await;
    let page = browser.wait_for_text("(status code: 418)").await;
    assert!(page.contains(&format!("Request sent to {}/b/BRW", receiver.url)));
    assert!(page.contains("ERROR (418)"));
    browser.close().await;
}

#[tokio::test]
async fn an_administrator_makes_a_token_that_works_until_revoked() {
    let app = spawn_app().await;
    let browser = Browser::start().await;
    browser.sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    browser.wait_for_path("/webhooks").await;
    browser.click("a[href='/api-tokens']").await;
    browser.wait_for_text("No API token yet.").await;
    browser.click("a[href='/api-tokens/new']").await;
    browser.wait_for_path("/api-tokens/new").await;
    browser.click("button[type=submit].primary").await;
    let page = browser.wait_for_text("Choose at least one scope.").await;
    assert!(page.contains("Name is required."));
    browser.fill("name", "Reporting").await;
    browser.click("#scope-webhooks\\.read").await;
    browser.click("button[type=submit].primary").await;
    browser.wait_for_text("shown only this once").await;
    let token = browser
        .client
        .find(Locator::Id("token"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .expect("the token in its field");
    assert!(token.starts_with("hkl_"));
    let api = |token: String| {
        let url = app.url("/api/v1/webhooks");
        async move {
            client()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(api(token.clone()).await, reqwest::StatusCode::OK);

    browser.click("a.button.primary[href='/api-tokens']").await;
    let page = browser.wait_for_text("Reporting").await;
    assert!(page.contains("webhooks.read") && page.contains("Active"));
    browser.click("form[action$='/revoke'] button").await;
    browser.client.accept_alert().await.unwrap();
    browser.wait_for_text("Token Reporting revoked").await;
    assert_eq!(api(token).await, reqwest::StatusCode::UNAUTHORIZED);
    browser.close().await;
}

#[tokio::test]
async fn the_test_dialog_asks_for_what_the_webhook_speaks_of_and_a_project_goes_with_its_phases_once_confirmed()
 {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let project = crate::events::create_project(&app, &admin, "GONE", &[]).await;
    for name in ["Design", "Build"] {
        app.add_phase(&admin, project, name).await;
    }
    let browser = Browser::start().await;
    browser.sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    browser.wait_for_path("/webhooks").await;
    browser.goto(&app, "/webhooks/new").await;
    browser.fill("wording", "People").await;
    browser
        .fill("url", "https://people.example.com/{user.id}")
        .await;
    browser.choose("#event_object option[value=user]").await;
    browser.click("#test-button").await;
    browser.wait_for_text("Test the webhook").await;
    assert!(
        !is_hidden(&browser, "#test_user").await,
        "a user to test with"
    );
    assert!(is_hidden(&browser, "#test_project").await);
    browser.click("#test-dialog .close-dialog").await;
    browser.choose("#event_object option[value=project]").await;
    browser.click("#test-button").await;
    assert!(
        !is_hidden(&browser, "#test_project").await,
        "a project to test with"
    );
    assert!(is_hidden(&browser, "#test_user").await);
    browser.click("#test-dialog .close-dialog").await;

    browser.goto(&app, &format!("/projects/{project}")).await;
    browser
        .wait_for_text("Delete the project and its 2 phase(s)")
        .await;
    browser.click("form.danger-zone button.danger").await;
    let question = browser.client.get_alert_text().await.unwrap();
    assert_eq!(
        question,
        "Delete this project and its 2 phase(s)? Each deletion fires its webhooks."
    );
    browser.client.accept_alert().await.unwrap();
    browser.wait_for_path("/projects").await;
    browser.wait_for_text("Project deletion saved").await;
    assert_eq!(app.count("phases").await, 0);
    browser.close().await;
}

#[tokio::test]
async fn from_the_list_to_a_webhooks_health_a_search_and_recover_after_an_outage() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let receiver = crate::receiver::Receiver::start().await;
    // The receiver is down for the first three changes (each fails, then its first retry).
    receiver.script(std::iter::repeat_n(crate::receiver::Answer::status(503), 6));
    let url = format!("{}/b/{{project.code}}", receiver.url);
    let id = crate::webhooks::create(
        &app,
        &admin,
        &crate::webhooks::form_with(&[("url", &url), ("event_action", "create")]),
    )
    .await;
    let mut projects = Vec::new();
    for code in ["OUT1", "OUT2", "OUT3"] {
        projects.push(crate::events::create_project(&app, &admin, code, &[]).await);
    }
    app.state.deliverer.run_once().await.unwrap();
    assert_eq!(receiver.received().len(), 6);

    let browser = Browser::start().await;
    browser.sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    browser.wait_for_path("/webhooks").await;
    browser
        .click(&format!("td.last-status a[href='/webhooks/{id}/overview']"))
        .await;
    // The list itself may say "Health" (a webhook that never called), so wait for the page.
    browser
        .wait_for_path(&format!("/webhooks/{id}/overview"))
        .await;
    browser.wait_for_text("Failed calls in a row").await;
    let chart = browser
        .client
        .find(Locator::Css("#calls-chart desc"))
        .await
        .unwrap()
        .html(true)
        .await
        .unwrap();
    assert!(chart.contains("0 OK and 6 ERROR in all"), "{chart}");
    assert_eq!(
        chart_totals(&browser).await,
        (0, 6),
        "the bars hold the six failed calls"
    );

    // A search that narrows to one delivery: the second project's.
    browser.choose("#objectType option[value='project']").await;
    browser.fill("objectId", &projects[1].to_string()).await;
    browser.click("form.search-form button[type=submit]").await;
    // The search is a new page: wait until the browser shows its answer, not the old list.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let url = browser.client.current_url().await.unwrap();
        let rows = browser
            .client
            .find_all(Locator::Css("table.grid a[href^='/pending-orders/']"))
            .await
            .map_or(0, |rows| rows.len());
        if url.query().is_some_and(|q| q.contains("objectId=")) && rows == 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the search never narrowed to the project's one delivery: {rows} rows at {url}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // The receiver is back: Recover sends the three again.
    browser
        .goto(&app, &format!("/webhooks/{id}/overview"))
        .await;
    browser.wait_for_text("Recover").await;
    browser.click("form.recover button[type=submit]").await;
    browser.client.accept_alert().await.unwrap();
    browser.wait_for_text("3 deliveries are going again").await;
    app.state.deliverer.run_once().await.unwrap();
    let got = receiver.received();
    assert_eq!(got.len(), 9);
    let again: HashSet<&str> = got[6..].iter().map(|r| r.target.as_str()).collect();
    assert_eq!(
        again,
        HashSet::from(["/b/OUT1", "/b/OUT2", "/b/OUT3"]),
        "each project's delivery went again"
    );
    browser
        .goto(&app, &format!("/webhooks/{id}/overview"))
        .await;
    browser.wait_for_text("Failed calls in a row").await;
    assert_eq!(
        chart_totals(&browser).await,
        (3, 6),
        "the chart counts the recovery"
    );
    browser.close().await;
}

/// The OK and ERROR calls of every bar of the calls chart, added up (a test may straddle
/// the turn of an hour).
async fn chart_totals(browser: &Browser) -> (i64, i64) {
    let mut totals = (0, 0);
    for bar in browser
        .client
        .find_all(Locator::Css("#calls-chart g.bar"))
        .await
        .unwrap()
    {
        let count = |name: &'static str| {
            let bar = bar.clone();
            async move {
                bar.attr(name)
                    .await
                    .unwrap()
                    .and_then(|v| v.parse::<i64>().ok())
                    .unwrap_or(0)
            }
        };
        totals.0 += count("data-ok").await;
        totals.1 += count("data-error").await;
    }
    totals
}

#[tokio::test]
async fn trigger_fields_picked_on_the_form_decide_which_modifications_fire() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let receiver = crate::receiver::Receiver::start().await;
    let project = crate::events::create_project(&app, &admin, "PICK", &[]).await;
    let browser = Browser::start().await;
    browser.sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    browser.wait_for_path("/webhooks").await;
    browser.goto(&app, "/webhooks/new").await;
    browser
        .wait_for_text("Only when one of these fields changes")
        .await;
    browser.fill("wording", "Status only").await;
    browser.fill("url", &receiver.url).await;
    browser.choose("#event_action option[value=modify]").await;
    browser.choose("#event_object option[value=phase]").await;
    let status = "optgroup[data-object=project] option[value=status]";
    assert!(
        !is_enabled(&browser, status).await,
        "only the chosen object's fields are offered"
    );
    browser.choose("#event_object option[value=project]").await;
    assert!(is_enabled(&browser, status).await);
    browser
        .choose("optgroup[data-object=project] option[value=status]")
        .await;
    browser.click("button[value=register]").await;
    let list = browser
        .wait_for_text("Webhook “Status only” created.")
        .await;
    assert!(
        list.contains("Modify · Project · All projects · when status changes"),
        "the list says what fires it: {list}"
    );
    browser.close().await;

    let stored: String =
        on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT trigger_fields FROM webhooks")
        .fetch_one(ex)
        .await)
        .unwrap();
    assert_eq!(stored, "status");
    let change = |fields: &'static [(&'static str, &'static str)]| {
        let (app, admin) = (&app, admin.clone());
        async move {
            let mut form = vec![("code", "PICK"), ("name", "Apollo"), ("status", "Active")];
            for (k, v) in fields {
                form.retain(|(key, _)| key != k);
                form.push((k, v));
            }
            let res = app
                .post(&admin, &format!("/projects/{project}"), &form)
                .await;
            assert_eq!(res.status(), reqwest::StatusCode::SEE_OTHER);
        }
    };
    change(&[("name", "Renamed")]).await;
    change(&[("name", "Renamed"), ("status", "Completed")]).await;
    app.state.deliverer.run_once().await.unwrap();
    let got = receiver.received();
    assert_eq!(got.len(), 1, "the rename alone fired nothing");
    assert!(
        got[0].body.contains("\"current\":\"Completed\""),
        "{}",
        got[0].body
    );
}

#[tokio::test]
async fn a_deliverys_cause_leads_to_the_project_whose_page_leads_back() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let receiver = crate::receiver::Receiver::start().await;
    crate::webhooks::create(
        &app,
        &admin,
        &crate::webhooks::form_with(&[("url", &receiver.url), ("event_action", "create")]),
    )
    .await;
    let project = crate::events::create_project(&app, &admin, "CAUSE", &[]).await;
    app.state.deliverer.run_once().await.unwrap();
    let delivery: i64 =
        on_db!(&app.state.store, ex => sqlx::query_scalar("SELECT id FROM deliveries")
        .fetch_one(ex)
        .await)
        .unwrap();

    let browser = Browser::start().await;
    browser.sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    browser.wait_for_path("/webhooks").await;
    browser
        .goto(&app, &format!("/pending-orders/{delivery}"))
        .await;
    let page = browser.wait_for_text("Cause").await;
    assert!(page.contains("Create · Project CAUSE — Apollo"), "{page}");
    browser
        .click(&format!("dl.cause a[href='/projects/{project}']"))
        .await;
    browser.wait_for_path(&format!("/projects/{project}")).await;
    browser.wait_for_text("Webhooks its changes fired").await;
    browser
        .click(&format!(
            "section.fired a[href='/pending-orders/{delivery}']"
        ))
        .await;
    browser
        .wait_for_path(&format!("/pending-orders/{delivery}"))
        .await;
    browser.close().await;
}

#[tokio::test]
async fn a_preview_before_register_shows_the_requests_and_sends_nothing() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let receiver = crate::receiver::Receiver::start().await;
    for code in ["SEEN1", "SEEN2"] {
        crate::events::create_project(&app, &admin, code, &[]).await;
    }
    let browser = Browser::start().await;
    browser.sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    browser.wait_for_path("/webhooks").await;
    browser.goto(&app, "/webhooks/new").await;
    browser
        .wait_for_text("Preview on the last events recorded")
        .await;
    browser.fill("wording", "Not yet").await;
    browser
        .fill("url", &format!("{}/hook/{{project.code}}", receiver.url))
        .await;
    browser.choose("#event_action option[value=create]").await;
    browser
        .click("button[formaction='/webhooks/preview']")
        .await;
    let page = browser.wait_for_text("this webhook would fire for 2").await;
    assert!(
        page.contains(&format!("POST {}/hook/SEEN2", receiver.url)),
        "{page}"
    );
    assert!(page.contains("project.created"));
    // The form is still there, as typed, to be registered or changed.
    let wording = browser
        .client
        .find(Locator::Id("wording"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(wording.as_deref(), Some("Not yet"));
    browser.close().await;
    assert!(receiver.received().is_empty(), "nothing was sent");
    assert_eq!(app.count("webhooks").await, 0, "nothing was saved");
}

#[tokio::test]
async fn a_test_into_ones_inbox_shows_there_with_its_signature_verified() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    crate::events::create_project(&app, &admin, "BOX", &[]).await;
    let browser = Browser::start().await;
    browser.sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    browser.wait_for_path("/webhooks").await;
    browser.click("nav a[href='/inbox']").await;
    browser.wait_for_text("Your inbox address").await;
    let inbox = browser
        .client
        .find(Locator::Id("inbox-address"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    browser.wait_for_text("Nothing has arrived yet.").await;

    browser.goto(&app, "/webhooks/new").await;
    browser.fill("wording", "Try it").await;
    browser.fill("url", &inbox).await;
    browser.click("#test-button").await;
    browser.wait_for_text("Test the webhook").await;
    browser.click("#test-dialog button.primary").await;
    browser.wait_for_text("(status code: 202)").await;

    browser.goto(&app, "/inbox").await;
    let page = browser.wait_for_text("signature verified").await;
    assert!(page.contains("hookline-test"), "{page}");
    browser.close().await;
}

#[tokio::test]
async fn a_version_is_restored_from_the_history_screen() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let id = crate::webhooks::create(
        &app,
        &admin,
        &crate::webhooks::form_with(&[("wording", "Before the change")]),
    )
    .await;
    let version = crate::webhooks::version(&app, id).await;
    let res = crate::webhooks::post_form(
        &app,
        &admin,
        &format!("/webhooks/{id}"),
        &crate::webhooks::form_with(&[("wording", "After the change"), ("version", &version)]),
    )
    .await;
    assert_eq!(res.status(), reqwest::StatusCode::SEE_OTHER);

    let browser = Browser::start().await;
    browser.sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    browser.wait_for_path("/webhooks").await;
    browser.goto(&app, &format!("/webhooks/{id}/history")).await;
    browser.wait_for_text("History of").await;
    let links = browser
        .client
        .find_all(Locator::Css("a[href*='/history/']"))
        .await
        .unwrap();
    assert_eq!(links.len(), 2, "each save is a version");
    // The oldest is the creation.
    links[1].clone().click().await.unwrap();
    let page = browser.wait_for_text("This version").await;
    assert!(page.contains("Before the change") && page.contains("After the change"));
    browser.click("form.restore button[type=submit]").await;
    browser.client.accept_alert().await.unwrap();
    browser.wait_for_text("The version was restored.").await;
    let wording = browser
        .client
        .find(Locator::Id("wording"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(wording.as_deref(), Some("Before the change"));
    browser.goto(&app, &format!("/webhooks/{id}/history")).await;
    browser.wait_for_text("version of 20").await;
    browser.close().await;
}
