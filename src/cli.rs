//! The command line: `serve`, and user management from the shell.

use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use url::Url;

use crate::config::{DEFAULT_BIND, DEFAULT_DATABASE_URL, Settings};
use crate::domain::Secret;
use crate::sealing::KeySource;

#[derive(Debug, Parser)]
#[command(
    name = "hookline",
    version,
    about = "Outgoing webhooks for a project-portfolio platform"
)]
pub struct Cli {
    /// The database: a SQLite file (sqlite://FILE, created if missing), or PostgreSQL
    /// (postgres://USER:PASSWORD@HOST/DATABASE) for several instances sharing one.
    #[arg(long, env = "HOOKLINE_DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,

    /// The file of the keys that seal stored secrets (default: beside the SQLite database,
    /// `hookline.db.key`), made on first start. HOOKLINE_SECRET_KEY, when set, gives the
    /// keys instead (base64, comma-separated, the current one first).
    #[arg(long, env = "HOOKLINE_SECRET_KEY_FILE", global = true)]
    pub secret_key_file: Option<std::path::PathBuf>,

    /// Log filter (tracing EnvFilter syntax), e.g. `info` or `hookline=debug`.
    #[arg(long, env = "HOOKLINE_LOG", default_value = "info", global = true)]
    pub log: String,

    /// How log lines are written: `text` for people, `json` (one object per line) for log
    /// collectors.
    #[arg(long, env = "HOOKLINE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (applies database migrations first).
    Serve(Box<ServeArgs>),
    /// Manage users from the shell.
    #[command(subcommand)]
    User(UserCommand),
    /// Check the integrity of the webhook history.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Manage API tokens from the shell.
    #[command(subcommand)]
    Token(TokenCommand),
    /// The keys that seal stored secrets (header secret values, signing secrets).
    #[command(subcommand)]
    Secrets(SecretsCommand),
    /// Write a consistent copy of the database to FILE, while Hookline runs or not.
    Backup {
        /// The copy to write; it must not exist yet.
        file: std::path::PathBuf,
    },
    /// Move a Hookline between databases.
    #[command(subcommand)]
    Db(DbCommand),
    /// Fill the database with generated webhooks, for demos and benchmarks.
    Seed {
        /// How many webhooks to add.
        #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
        webhooks: u32,
        /// Also add about this many delivery attempts over the last week (two per delivery,
        /// on ten more webhooks), for benchmarks of the delivery search.
        #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=10_000_000))]
        attempts: u32,
    },
}

impl Cli {
    /// Where the secret keys come from: HOOKLINE_SECRET_KEY (environment only, never a
    /// flag), the key file named, or the key file beside the database.
    pub fn key_source(&self) -> KeySource {
        match std::env::var("HOOKLINE_SECRET_KEY") {
            Ok(keys) if !keys.trim().is_empty() => KeySource::Given(Secret::new(keys)),
            _ => KeySource::File(
                self.secret_key_file
                    .clone()
                    .unwrap_or_else(|| KeySource::file_beside(&self.database_url)),
            ),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make an API token for a user and print it once (only its hash is kept).
    Create {
        /// The email of the user the token acts for; it never exceeds their rights.
        #[arg(long)]
        user: String,
        #[arg(long)]
        name: String,
        /// Scopes, comma-separated: webhooks.read, webhooks.write, deliveries.read,
        /// deliveries.write, objects.read, objects.write.
        #[arg(long, value_delimiter = ',', required = true)]
        scopes: Vec<String>,
        /// The last day the token works (YYYY-MM-DD); without it, until revoked.
        #[arg(long)]
        expires_on: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Print a new random key, for HOOKLINE_SECRET_KEY.
    NewKey,
    /// Seal every stored secret again under the current key (the first one given), reading
    /// them with any key given: after HOOKLINE_SECRET_KEY="<new>,<old>", so that <old> can go.
    Reencrypt,
    /// With a key file: add a new key to it, seal every stored secret under it, then drop
    /// the old keys from the file. Stop Hookline first.
    RotateKey,
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Copy a whole Hookline into an empty database: users, roles, filters, webhooks with
    /// their sealed secrets, the history, events, deliveries, attempts, tokens. The copy
    /// opens with the same secret key.
    Copy {
        /// The database to copy, e.g. sqlite://hookline.db.
        #[arg(long)]
        from: String,
        /// The empty database to fill, e.g. postgres://hookline@db.internal/hookline.
        #[arg(long)]
        to: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the hash chain of the webhook history; exits with 1 if it is broken.
    Verify,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "HOOKLINE_BIND", default_value = DEFAULT_BIND)]
    pub bind: String,

    /// Public address of Hookline (e.g. https://hooks.example.com); https makes cookies Secure.
    #[arg(long, env = "HOOKLINE_PUBLIC_URL")]
    pub public_url: Option<Url>,

    /// Email of the first administrator, created when the database has no user.
    #[arg(long, env = "HOOKLINE_ADMIN_EMAIL")]
    pub admin_email: Option<String>,

    /// Password of the first administrator (environment only, never a flag).
    #[arg(skip)]
    pub admin_password: Option<Secret>,

    /// Minutes without activity after which a session ends.
    #[arg(long, env = "HOOKLINE_SESSION_IDLE_MINUTES", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=24 * 60))]
    pub session_idle_minutes: u64,

    /// Hours after sign-in after which a session ends, active or not.
    #[arg(long, env = "HOOKLINE_SESSION_ABSOLUTE_HOURS", default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=24 * 30))]
    pub session_absolute_hours: u64,

    /// The most connections this instance opens to PostgreSQL (default: four per core, from 4
    /// to 16). Several instances share the server's max_connections; each connection past a
    /// few per server core only adds contention.
    #[arg(long, env = "HOOKLINE_DATABASE_CONNECTIONS")]
    pub database_connections: Option<u32>,

    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "HOOKLINE_WORKERS")]
    pub workers: Option<usize>,

    /// Refuse webhook URLs that are not https.
    #[arg(long, env = "HOOKLINE_REQUIRE_HTTPS", default_value_t = false, action = clap::ArgAction::Set)]
    pub require_https: bool,

    /// At most this many webhooks fire for one action; the others go to the application log.
    #[arg(long, env = "HOOKLINE_MAX_HOOKS_PER_ACTION", default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub max_hooks_per_action: u16,

    /// Let webhooks call loopback and private addresses (local demos only).
    #[arg(long, env = "HOOKLINE_ALLOW_PRIVATE_TARGETS", default_value_t = false, action = clap::ArgAction::Set)]
    pub allow_private_targets: bool,

    /// Send every outgoing request through this proxy, e.g. http://proxy.internal:3128
    /// (proxy variables such as HTTP_PROXY are never used).
    #[arg(long, env = "HOOKLINE_OUTGOING_PROXY")]
    pub outgoing_proxy: Option<Url>,

    /// Timeout of one asynchronous delivery attempt, in seconds (at most 30).
    #[arg(long, env = "HOOKLINE_DELIVERY_TIMEOUT_SECONDS", default_value_t = 15)]
    pub delivery_timeout_seconds: u64,

    /// Timeout of a synchronous call, in seconds (at most 30).
    #[arg(long, env = "HOOKLINE_SYNC_TIMEOUT_SECONDS", default_value_t = 10)]
    pub sync_timeout_seconds: u64,

    /// Requests in flight at once, overall.
    #[arg(long, env = "HOOKLINE_DELIVERY_CONCURRENCY", default_value_t = 256)]
    pub delivery_concurrency: usize,

    /// Requests in flight at once to one destination host.
    #[arg(long, env = "HOOKLINE_PER_HOST_CONCURRENCY", default_value_t = 64)]
    pub per_host_concurrency: usize,

    /// Days to keep delivered attempts and the application log.
    #[arg(long, env = "HOOKLINE_RETENTION_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3650))]
    pub retention_days: u64,

    /// Days to keep the attempts of dead deliveries.
    #[arg(long, env = "HOOKLINE_DEAD_RETENTION_DAYS", default_value_t = 90, value_parser = clap::value_parser!(u64).range(1..=3650))]
    pub dead_retention_days: u64,

    /// Seconds a claimed delivery stays with its worker before another may take it up.
    #[arg(long, env = "HOOKLINE_DELIVERY_LEASE_SECONDS", default_value_t = 90)]
    pub delivery_lease_seconds: u64,

    /// Whether this instance sends queued deliveries. Off, it serves the screens and the
    /// API (synchronous calls included) and leaves the queue to the other instances'
    /// workers: PostgreSQL only.
    #[arg(long, env = "HOOKLINE_DELIVERY_WORKERS", default_value_t = true, action = clap::ArgAction::Set)]
    pub delivery_workers: bool,

    /// How often idle workers look at the queue unasked (e.g. `1s`, `30s`): a backstop,
    /// since every commit that queues deliveries wakes the workers of every instance.
    #[arg(long, env = "HOOKLINE_QUEUE_POLL", default_value = "1s", value_parser = parse_duration)]
    pub queue_poll: Duration,

    /// Webhooks made by API without an expiry date expire this many days after they are
    /// made (renewing moves it on); by default they never expire.
    #[arg(long, env = "HOOKLINE_API_WEBHOOK_VALIDITY_DAYS", value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub api_webhook_validity_days: Option<u32>,

    /// A webhook whose every call has failed for this long (e.g. `120h`, `30m`, `30s`) and at
    /// least HOOKLINE_AUTO_DISABLE_MIN_FAILURES times is turned off.
    #[arg(long, env = "HOOKLINE_AUTO_DISABLE_AFTER", default_value = "120h", value_parser = parse_duration)]
    pub auto_disable_after: Duration,

    /// The fewest failed calls in a row that turn a webhook off.
    #[arg(long, env = "HOOKLINE_AUTO_DISABLE_MIN_FAILURES", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub auto_disable_min_failures: u32,

    /// Languages, e.g. `en,fr`: a second one turns multilingual labels on.
    #[arg(long, env = "HOOKLINE_LANGUAGES", default_value = "en")]
    pub languages: String,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user. A password is generated and printed once, unless --password-stdin is given.
    Add {
        #[arg(long)]
        email: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// Role name, e.g. Administrator, "Webhook manager", Viewer; repeatable.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Give a user a new generated password, to be changed at next sign-in; ends their
    /// sessions and lifts any sign-in throttling.
    ResetPassword {
        #[arg(long)]
        email: String,
    },
}

impl ServeArgs {
    pub fn into_settings(
        self,
        database_url: String,
        secret_keys: KeySource,
    ) -> anyhow::Result<Settings> {
        anyhow::ensure!(
            self.delivery_workers || crate::db::is_postgres(&database_url),
            "HOOKLINE_DELIVERY_WORKERS=false leaves the queue to other instances, which share a PostgreSQL database; on SQLite nothing would send it"
        );
        let settings = Settings {
            secret_keys,
            api_webhook_validity_days: self.api_webhook_validity_days,
            bind: self.bind,
            database_url,
            database_connections: self.database_connections,
            public_url: self.public_url,
            admin_email: self.admin_email,
            admin_password: self.admin_password.or_else(|| {
                std::env::var("HOOKLINE_ADMIN_PASSWORD")
                    .ok()
                    .map(Secret::new)
            }),
            session_idle: Duration::from_secs(self.session_idle_minutes * 60),
            session_absolute: Duration::from_secs(self.session_absolute_hours * 3600),
            workers: self.workers,
            require_https: self.require_https,
            second_language: Settings::parse_languages(&self.languages)?,
            max_hooks_per_action: self.max_hooks_per_action.into(),
            allow_private_targets: self.allow_private_targets,
            outgoing_proxy: self.outgoing_proxy,
            delivery_timeout: Duration::from_secs(self.delivery_timeout_seconds),
            sync_timeout: Duration::from_secs(self.sync_timeout_seconds),
            delivery_concurrency: self.delivery_concurrency,
            per_host_concurrency: self.per_host_concurrency,
            delivery_lease: Duration::from_secs(self.delivery_lease_seconds),
            run_delivery_workers: self.delivery_workers,
            queue_poll: self.queue_poll,
            retention: Duration::from_secs(self.retention_days * 86_400),
            dead_retention: Duration::from_secs(self.dead_retention_days * 86_400),
            auto_disable_after: self.auto_disable_after,
            auto_disable_min_failures: self.auto_disable_min_failures,
        };
        settings.validate()?;
        Ok(settings)
    }
}

/// A duration such as `120h`, `90m`, `30s` or `1h 30m`.
fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim())
        .map_err(|e| format!("{e}: give a duration such as 120h, 30m or 30s"))
}
