//! Test helpers: a fresh app per test on a random port over a database of its own — a
//! SQLite file, or with `HOOKLINE_TEST_DATABASE=postgres` a fresh PostgreSQL database —
//! and a client that keeps cookies and shows redirects instead of following them.

use hookline::on_db;
use std::sync::LazyLock;

use std::path::{Path, PathBuf};

use hookline::config::Settings;
use hookline::domain::Secret;
use hookline::domain::ids::WebhookId;
use hookline::sealing::KeySource;
use hookline::startup::Application;
use hookline::state::AppState;
use reqwest::{Client, Response, StatusCode, redirect};
use tempfile::TempDir;

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "first admin password";
pub const USER_PASSWORD: &str = "a long user password";

/// Built-in role ids, as the first migration creates them.
pub const ADMINISTRATOR: i64 = 1;
pub const WEBHOOK_MANAGER: i64 = 2;
pub const VIEWER: i64 = 3;

static TRACING: LazyLock<()> = LazyLock::new(|| {
    if std::env::var("TEST_LOG").is_ok() {
        hookline::telemetry::init("info", hookline::telemetry::LogFormat::Text);
    }
});

pub struct TestApp {
    pub address: String,
    pub state: AppState,
    pub generated_password: Option<Secret>,
    pub dir: TempDir,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// An app with the first administrator from the environment-style settings, after `tune`.
pub async fn spawn_app_with(tune: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = base_settings(&dir);
    settings.admin_email = Some(ADMIN_EMAIL.into());
    settings.admin_password = Some(Secret::new(ADMIN_PASSWORD));
    tune(&mut settings);
    start(settings, dir).await
}

/// An app on a SQLite file whichever backend the other tests use: for what only SQLite has
/// (its writer, its files), and as the source of copies to PostgreSQL.
pub async fn spawn_sqlite_app() -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = base_settings(&dir);
    settings.database_url = format!("sqlite://{}", dir.path().join("hookline.db").display());
    settings.admin_email = Some(ADMIN_EMAIL.into());
    settings.admin_password = Some(Secret::new(ADMIN_PASSWORD));
    start(settings, dir).await
}

pub fn base_settings(dir: &TempDir) -> Settings {
    let db = dir.path().join("hookline.db");
    let mut settings = Settings::new("127.0.0.1:0", database_url(&db));
    settings.secret_keys = KeySource::File(key_file(&db));
    settings.workers = Some(1);
    // Tests drive the delivery workers themselves (Deliverer::run_once), or turn them on;
    // and their receivers listen on 127.0.0.1.
    settings.run_delivery_workers = false;
    settings.allow_private_targets = true;
    settings
}

pub async fn start(settings: Settings, dir: TempDir) -> TestApp {
    LazyLock::force(&TRACING);
    prepare_database(&settings.database_url);
    let app = Application::build(settings).await.expect("the app builds");
    let port = app.port();
    let state = app.state.clone();
    let generated_password = app
        .initial_admin
        .as_ref()
        .and_then(|a| a.generated_password.clone());
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        state,
        generated_password,
        dir,
    }
}

/// Takes connections from the app's pool and holds them, until one takes longer than a
/// moment (the pool is at its limit) or fails.
pub async fn hold_every_connection(app: &TestApp) -> Vec<hookline::db::ReadTx> {
    let mut held = Vec::new();
    while let Ok(Ok(tx)) = tokio::time::timeout(
        std::time::Duration::from_millis(500),
        app.state.store.begin_read(),
    )
    .await
    {
        held.push(tx);
    }
    held
}

pub fn client() -> Client {
    // reqwest's features are shared with the app's, which brings its own TLS crypto provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder()
        .cookie_store(true)
        .redirect(redirect::Policy::none())
        .build()
        .expect("client")
}

/// A JSON document fetched without credentials (a public or health endpoint).
pub async fn get_json(url: &str) -> serde_json::Value {
    client()
        .get(url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Asks `status` again every 20 ms until it gives `expected`, for what another party tells
/// an instance a moment later; fails the test after 10 s.
pub async fn until_status<F: Future<Output = StatusCode>>(
    expected: StatusCode,
    mut status: impl FnMut() -> F,
) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let got = status().await;
        if got == expected {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still {got}, not {expected}, after 10 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

pub fn location(res: &Response) -> &str {
    res.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// The CSRF token of the forms in `html`.
pub fn csrf_in(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).expect("a CSRF field in the page") + marker.len();
    html[start..start + 64].to_owned()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, client: &Client, path: &str) -> Response {
        client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn get_html(&self, client: &Client, path: &str) -> String {
        let res = self.get(client, path).await;
        assert_eq!(res.status(), StatusCode::OK, "GET {path}");
        res.text().await.unwrap()
    }

    /// The session's CSRF token, read from a page any visitor may open.
    pub async fn csrf(&self, client: &Client) -> String {
        let res = self.get(client, "/account/password").await;
        let html = if res.status() == StatusCode::OK {
            res.text().await.unwrap()
        } else {
            self.get_html(client, "/sign-in").await
        };
        csrf_in(&html)
    }

    /// Posts a form with this session's CSRF token added.
    pub async fn post(&self, client: &Client, path: &str, fields: &[(&str, &str)]) -> Response {
        let token = self.csrf(client).await;
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", &token)];
        all.extend_from_slice(fields);
        self.post_raw(client, path, &all).await
    }

    pub async fn post_raw(&self, client: &Client, path: &str, fields: &[(&str, &str)]) -> Response {
        let body = serde_html_form::to_string(fields).unwrap();
        client
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("POST")
    }

    pub async fn sign_in(&self, client: &Client, email: &str, password: &str) -> Response {
        self.post(
            client,
            "/sign-in",
            &[("email", email), ("password", password)],
        )
        .await
    }

    /// A client signed in as the first administrator.
    pub async fn admin(&self) -> Client {
        let client = client();
        let res = self.sign_in(&client, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "admin sign-in");
        client
    }

    /// Creates a user holding `role` (no forced password change) and returns their id.
    pub async fn create_user(&self, admin: &Client, email: &str, role: i64) -> i64 {
        let role = role.to_string();
        let res = self
            .post(
                admin,
                "/users/new",
                &[
                    ("email", email),
                    ("display_name", "Test User"),
                    ("password", USER_PASSWORD),
                    ("password_confirm", USER_PASSWORD),
                    ("roles", &role),
                ],
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "create user {email}: {}",
            res.text().await.unwrap()
        );
        let id: i64 = on_db!(&self.state.store, ex => sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(email)
            .fetch_one(ex)
            .await)
            .unwrap();
        id
    }

    /// How many rows `table` holds.
    /// How many rows a table holds: where nothing may have been saved, or all must be.
    pub async fn count(&self, table: &str) -> i64 {
        self.count_where(table, "TRUE").await
    }

    pub async fn count_where(&self, table: &str, condition: &str) -> i64 {
        on_db!(&self.state.store, ex => sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM {table} WHERE {condition}"
        )))
        .fetch_one(ex)
        .await)
        .unwrap()
    }

    /// Adds a phase to `project` through its form; gives the phase's id.
    pub async fn add_phase(&self, client: &Client, project: i64, name: &str) -> i64 {
        let fields = [("name", name), ("status", "Not started"), ("progress", "0")];
        let res = self
            .post(client, &format!("/projects/{project}/phases/new"), &fields)
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "phase {name}");
        on_db!(&self.state.store, ex => sqlx::query_scalar("SELECT MAX(id) FROM phases")
            .fetch_one(ex)
            .await)
        .unwrap()
    }

    /// A webhook's signing secret, opened as Hookline opens it (it is stored sealed).
    pub async fn signing_secret(&self, webhook: i64) -> String {
        let keys = &self.state.keys;
        hookline::db::webhooks::find(&self.state.store, keys, WebhookId::new(webhook))
            .await
            .unwrap()
            .expect("the webhook exists")
            .signing_secret
    }

    /// A webhook's header values in order, opened as Hookline opens them.
    pub async fn header_values(&self, webhook: i64) -> Vec<String> {
        let keys = &self.state.keys;
        hookline::db::webhooks::headers(&self.state.store, keys, WebhookId::new(webhook))
            .await
            .unwrap()
            .into_iter()
            .map(|h| h.value)
            .collect()
    }

    /// A client signed in as a new user holding `role`.
    pub async fn signed_in_as(&self, role: i64) -> (Client, i64) {
        let admin = self.admin().await;
        let email = format!("role{role}-{}@example.com", hookline::random::reference());
        let id = self.create_user(&admin, &email, role).await;
        let client = client();
        let res = self.sign_in(&client, &email, USER_PASSWORD).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        (client, id)
    }
}

/// `text` as the templates escape it into HTML.
pub fn escaped(text: &str) -> String {
    text.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

/// Whether the tests run on PostgreSQL (`HOOKLINE_TEST_DATABASE=postgres`) rather than
/// SQLite.
pub fn on_postgres() -> bool {
    static CHOICE: LazyLock<bool> =
        LazyLock::new(
            || match std::env::var("HOOKLINE_TEST_DATABASE").as_deref() {
                Ok("postgres") => true,
                Ok("sqlite") | Err(_) => false,
                Ok(other) => panic!("HOOKLINE_TEST_DATABASE={other}: use sqlite or postgres"),
            },
        );
    *CHOICE
}

/// The server the PostgreSQL databases of the tests are made on.
pub fn postgres_server() -> String {
    std::env::var("HOOKLINE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// The database a test keeps as file `db`: that SQLite file, or on PostgreSQL a database
/// named after it (the same file always names the same database), made by
/// `prepare_database`.
pub fn database_url(db: &Path) -> String {
    if !on_postgres() {
        return format!("sqlite://{}", db.display());
    }
    let name: String = db
        .to_string_lossy()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    // PostgreSQL names stop at 63 bytes: the temporary directory's random part and the
    // file name are at the end.
    let tail = &name[name.len().saturating_sub(40)..];
    format!("{}/hltest_{}_{tail}", postgres_server(), std::process::id())
}

/// The key file of the database kept as `db` (beside it, as Hookline makes it for SQLite).
pub fn key_file(db: &Path) -> PathBuf {
    PathBuf::from(format!("{}.key", db.display()))
}

/// Makes a PostgreSQL test database if it does not exist yet (nothing to do for SQLite).
/// The first call also drops the databases of test runs that are over.
pub fn prepare_database(url: &str) {
    if !url.starts_with("postgres") {
        return;
    }
    let url = url.to_owned();
    // A runtime of its own: callable from tests with or without one.
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async move {
                use sqlx::migrate::MigrateDatabase;
                static CLEANED: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
                CLEANED.get_or_init(drop_finished_runs).await;
                if !sqlx::Postgres::database_exists(&url).await.unwrap_or(false) {
                    sqlx::Postgres::create_database(&url)
                        .await
                        .unwrap_or_else(|e| {
                            panic!(
                                "cannot make the test database {url} (is PostgreSQL running? scripts/test starts it): {e}"
                            )
                        });
                }
            })
    })
    .join()
    .expect("the test database is ready");
}

/// Drops the test databases of processes that have ended.
async fn drop_finished_runs() {
    use sqlx::Connection;
    let Ok(mut conn) =
        sqlx::PgConnection::connect(&format!("{}/postgres", postgres_server())).await
    else {
        return;
    };
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'hltest\\_%'")
            .fetch_all(&mut conn)
            .await
            .unwrap_or_default();
    for name in names {
        let pid = name.split('_').nth(1).unwrap_or_default();
        if !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
            )))
            .execute(&mut conn)
            .await;
        }
    }
}
