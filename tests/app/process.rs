//! Hookline as a real process: started on a random port over a database file, with the
//! settings a test gives, killed when the test ends; and its command line.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use reqwest::{Client, StatusCode};

use crate::helpers::*;

pub const BIN: &str = env!("CARGO_BIN_EXE_hookline");

pub struct Server {
    pub child: Child,
    pub base: String,
}

/// A failing test must not leave a server behind.
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The command line over the test database kept as `db` (see `database_url`), with nothing
/// from the test's environment.
pub fn hookline(db: &Path) -> Command {
    let url = database_url(db);
    prepare_database(&url);
    command(&url, db)
}

/// The command line over the SQLite file `db`, whichever backend the other tests use: for
/// what only SQLite has (its backups, its files).
pub fn hookline_sqlite(db: &Path) -> Command {
    command(&format!("sqlite://{}", db.display()), db)
}

fn command(url: &str, db: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("HOOKLINE_DATABASE_URL", url)
        .env("HOOKLINE_SECRET_KEY_FILE", key_file(db))
        .env("HOOKLINE_LOG", "info");
    cmd
}

/// Runs a command-line subcommand and gives what it printed; fails the test on failure.
pub fn run(db: &Path, args: &[&str]) -> String {
    stdout_of(hookline(db).args(args))
}

/// `run` over the SQLite file `db`.
pub fn run_sqlite(db: &Path, args: &[&str]) -> String {
    stdout_of(hookline_sqlite(db).args(args))
}

/// What a command printed; fails the test, with what it said, when it fails.
pub fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "hookline {:?}: {}",
        cmd.get_args().collect::<Vec<_>>(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

impl Server {
    /// `hookline serve` over `db` with the first administrator, private targets allowed,
    /// and `env` on top; its log goes to `stderr`.
    pub fn start(db: &Path, env: &[(&str, &str)], stderr: Stdio) -> Server {
        Server::launch(hookline(db), env, stderr)
    }

    /// `start` over the SQLite file `db`.
    pub fn start_sqlite(db: &Path, env: &[(&str, &str)], stderr: Stdio) -> Server {
        Server::launch(hookline_sqlite(db), env, stderr)
    }

    fn launch(mut cmd: Command, env: &[(&str, &str)], stderr: Stdio) -> Server {
        cmd.args(["serve", "--bind", "127.0.0.1:0"])
            .env("HOOKLINE_ADMIN_EMAIL", ADMIN_EMAIL)
            .env("HOOKLINE_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("HOOKLINE_ALLOW_PRIVATE_TARGETS", "true")
            .env("HOOKLINE_LOG", "warn");
        for (name, value) in env {
            cmd.env(name, value);
        }
        let mut child = cmd.stdout(Stdio::piped()).stderr(stderr).spawn().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let base = loop {
            let line = lines
                .next()
                .expect("the server prints where to sign in")
                .unwrap();
            if let Some(url) = line.strip_prefix("Hookline is running. Sign in at ") {
                break url.trim_end_matches("/sign-in").to_owned();
            }
        };
        std::thread::spawn(move || lines.for_each(drop));
        Server { child, base }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A client signed in as the first administrator, with its form token.
    pub async fn signed_in(&self) -> (Client, String) {
        let client = client();
        let page = client.get(self.url("/sign-in")).send().await.unwrap();
        let page = page.text().await.unwrap();
        let res = client
            .post(self.url("/sign-in"))
            .form(&[
                ("csrf_token", csrf_in(&page).as_str()),
                ("email", ADMIN_EMAIL),
                ("password", ADMIN_PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let page = client.get(self.url("/account/password")).send().await;
        let page = page.unwrap().text().await.unwrap();
        (client, csrf_in(&page))
    }
}
