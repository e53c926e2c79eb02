//! Settings: command-line flags over `HOOKLINE_*` environment variables over defaults,
//! validated once at start.

use std::time::Duration;

use anyhow::{bail, ensure};
use url::Url;

use crate::domain::Secret;
use crate::sealing::KeySource;

pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://hookline.db";
/// Bounds of HOOKLINE_DATABASE_CONNECTIONS. One connection listens for the other instances
/// and housekeeping holds one while its work takes another: with fewer, requests would wait
/// behind them.
pub const MIN_DATABASE_CONNECTIONS: u32 = 4;
pub const MAX_DATABASE_CONNECTIONS: u32 = 1000;

#[derive(Debug, Clone)]
pub struct Settings {
    /// Address and port to listen on; port 0 picks a free one (tests).
    pub bind: String,
    pub database_url: String,
    /// The most connections this instance opens to PostgreSQL; by default four per core,
    /// from 4 to 16. SQLite has connections of its own making.
    pub database_connections: Option<u32>,
    /// The address people use to reach Hookline; decides the Secure cookie flag and the
    /// origin that forms must come from.
    pub public_url: Option<Url>,
    pub admin_email: Option<String>,
    pub admin_password: Option<Secret>,
    pub session_idle: Duration,
    pub session_absolute: Duration,
    /// HTTP worker threads; the number of cores when unset.
    pub workers: Option<usize>,
    /// Webhook URLs must be https.
    pub require_https: bool,
    /// The second language of multilingual configuration (HOOKLINE_LANGUAGES="en,fr" → fr).
    pub second_language: Option<String>,
    /// At most this many webhooks fire for one action; the others are logged.
    pub max_hooks_per_action: usize,
    /// Let webhooks call loopback and private addresses (local demos, tests).
    pub allow_private_targets: bool,
    /// Every outgoing request goes through this proxy (a fixed egress address); never one
    /// from the environment.
    pub outgoing_proxy: Option<Url>,
    /// Per-attempt timeouts: asynchronous deliveries, synchronous calls.
    pub delivery_timeout: Duration,
    pub sync_timeout: Duration,
    pub delivery_concurrency: usize,
    pub per_host_concurrency: usize,
    /// How long a claimed delivery stays with its worker; a crashed worker's claims are
    /// taken up again after it. Longer than any attempt.
    pub delivery_lease: Duration,
    /// Run the background delivery workers (tests may drive them by hand instead; on
    /// PostgreSQL an instance may leave the queue to the others').
    pub run_delivery_workers: bool,
    /// How long idle workers wait before looking at the queue unasked.
    pub queue_poll: Duration,
    /// Attempts of delivered deliveries, and the application log, are kept this long; those
    /// of dead deliveries longer.
    pub retention: Duration,
    pub dead_retention: Duration,
    /// The circuit breaker: a webhook whose calls have all failed for at least this long,
    /// and at least `auto_disable_min_failures` times in a row, is turned off.
    pub auto_disable_after: Duration,
    pub auto_disable_min_failures: u32,
    /// Where the keys that seal stored secrets come from.
    pub secret_keys: KeySource,
    /// Webhooks made by API without a last day get one this many days ahead.
    pub api_webhook_validity_days: Option<u32>,
}

impl Settings {
    /// Settings for a server on `bind` over `database_url`, everything else at its default.
    pub fn new(bind: impl Into<String>, database_url: impl Into<String>) -> Self {
        let database_url = database_url.into();
        Self {
            bind: bind.into(),
            secret_keys: KeySource::File(KeySource::file_beside(&database_url)),
            api_webhook_validity_days: None,
            database_url,
            database_connections: None,
            public_url: None,
            admin_email: None,
            admin_password: None,
            session_idle: Duration::from_secs(30 * 60),
            session_absolute: Duration::from_secs(8 * 3600),
            workers: None,
            require_https: false,
            second_language: None,
            max_hooks_per_action: 10,
            allow_private_targets: false,
            outgoing_proxy: None,
            delivery_timeout: Duration::from_secs(15),
            sync_timeout: Duration::from_secs(10),
            delivery_concurrency: 256,
            per_host_concurrency: 64,
            delivery_lease: Duration::from_secs(90),
            run_delivery_workers: true,
            queue_poll: Duration::from_secs(1),
            retention: Duration::from_secs(30 * 86_400),
            dead_retention: Duration::from_secs(90 * 86_400),
            auto_disable_after: Duration::from_secs(120 * 3600),
            auto_disable_min_failures: 10,
        }
    }

    /// Reads `HOOKLINE_LANGUAGES`: one or two language codes, the second one multilingual.
    pub fn parse_languages(input: &str) -> anyhow::Result<Option<String>> {
        let codes: Vec<&str> = input
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        for code in &codes {
            ensure!(
                (2..=8).contains(&code.len())
                    && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
                "HOOKLINE_LANGUAGES: {code:?} is not a language code such as en or fr"
            );
        }
        match codes.as_slice() {
            [] | [_] => Ok(None),
            [_, second] => Ok(Some((*second).to_owned())),
            _ => bail!("HOOKLINE_LANGUAGES names at most two languages, such as en,fr"),
        }
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        ensure!(
            !self.session_idle.is_zero(),
            "the session idle timeout must be at least one minute"
        );
        for (name, t) in [
            ("HOOKLINE_DELIVERY_TIMEOUT_SECONDS", self.delivery_timeout),
            ("HOOKLINE_SYNC_TIMEOUT_SECONDS", self.sync_timeout),
        ] {
            ensure!(
                !t.is_zero() && t <= Duration::from_secs(30),
                "{name} must be from 1 to 30 seconds"
            );
        }
        if let Some(connections) = self.database_connections {
            ensure!(
                crate::db::is_postgres(&self.database_url),
                "HOOKLINE_DATABASE_CONNECTIONS sizes this instance's share of a PostgreSQL server; Hookline sizes a SQLite database's own (one writer, readers by the number of cores)"
            );
            ensure!(
                (MIN_DATABASE_CONNECTIONS..=MAX_DATABASE_CONNECTIONS).contains(&connections),
                "HOOKLINE_DATABASE_CONNECTIONS must be from {MIN_DATABASE_CONNECTIONS} to {MAX_DATABASE_CONNECTIONS}"
            );
        }
        ensure!(
            self.delivery_concurrency > 0 && self.per_host_concurrency > 0,
            "delivery concurrency must be at least 1"
        );
        ensure!(
            self.delivery_lease > self.delivery_timeout.max(self.sync_timeout),
            "HOOKLINE_DELIVERY_LEASE_SECONDS must be longer than the delivery timeouts"
        );
        ensure!(
            self.queue_poll >= Duration::from_millis(100)
                && self.queue_poll <= Duration::from_secs(3600),
            "HOOKLINE_QUEUE_POLL must be from 100ms to 1h"
        );
        ensure!(
            self.session_idle <= self.session_absolute,
            "the session idle timeout cannot be longer than the absolute timeout"
        );
        if let Some(url) = &self.public_url {
            ensure!(
                matches!(url.scheme(), "http" | "https") && url.host().is_some(),
                "HOOKLINE_PUBLIC_URL must be an http(s) URL with a host, such as https://hooks.example.com"
            );
        }
        if let Some(proxy) = &self.outgoing_proxy {
            ensure!(
                matches!(proxy.scheme(), "http" | "https" | "socks5" | "socks5h")
                    && proxy.host().is_some(),
                "HOOKLINE_OUTGOING_PROXY must be a proxy URL such as http://proxy.internal:3128"
            );
        }
        match (&self.admin_email, &self.admin_password) {
            (Some(_), None) | (None, Some(_)) => {
                bail!("set both HOOKLINE_ADMIN_EMAIL and HOOKLINE_ADMIN_PASSWORD, or neither")
            }
            _ => Ok(()),
        }
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_ref()
            .is_some_and(|u| u.scheme() == "https")
    }

    /// Where to tell people to sign in.
    pub fn sign_in_url(&self, port: u16) -> String {
        match &self.public_url {
            Some(url) => format!("{}/sign-in", url.as_str().trim_end_matches('/')),
            None => {
                let host = self.bind.rsplit_once(':').map_or("127.0.0.1", |(h, _)| h);
                let host = if host == "0.0.0.0" || host == "[::]" {
                    "localhost"
                } else {
                    host
                };
                format!("http://{host}:{port}/sign-in")
            }
        }
    }
}
