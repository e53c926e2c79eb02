//! Browser tests in headless Chromium, driven through chromedriver (WebDriver).
//! They never skip: a missing browser is a failure, with the command that installs it.

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
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    pub async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|_| panic!("element {css}"))
            .click()
            .await
            .unwrap();
    }

    /// The page's text once it contains `needle` (pages load after a click), or a failure
    /// showing what the page says after 10 s.
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
    browser.wait_for_path("/users").await;

    browser.click("a[href='/users/new']").await;
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
    let page = browser.wait_for_text("Vera Viewer").await;
    assert!(
        !page.contains("Users & roles"),
        "a viewer has no Users & roles link"
    );
    browser.goto(&app, "/users/new").await;
    let page = browser.wait_for_text("Access denied").await;
    assert!(page.contains("Manage users and roles"));
    browser.close().await;
}
