//! One way to make a call, whatever asks for it — a delivery from the queue, a synchronous
//! or in-transaction call, Retry now, the Test button: the request is built from the webhook
//! and the event, signed, and sent through the guarded client under the per-host limit.
//! Recording the attempt is the caller's part: each records it where it belongs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;

use super::client::Client;
use super::inbox;
use super::request::{Outgoing, build};
use super::send::{Outcome, send};
use crate::config::Settings;
use crate::db::webhooks::{HeaderRow, WebhookRow};
use crate::db::{self, Store};
use crate::domain::delivery::{FailureKind, Trigger};
use crate::domain::event::Event;
use crate::metrics::Metrics;

/// What one attempt did, as the synchronous modes and the Test dialog report it.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub url: String,
    pub request: Outgoing,
    pub outcome: Outcome,
}

impl Attempt {
    /// A request that could not even be built (a template that no longer renders).
    pub fn unsendable(error: String) -> Self {
        let outcome = Outcome {
            response: None,
            failure: Some(FailureKind::Other),
            error: Some(error),
            detail: None,
            retry_after: None,
            duration: Duration::ZERO,
        };
        Attempt {
            url: String::new(),
            request: Outgoing {
                method: String::new(),
                url: String::new(),
                headers: Vec::new(),
                body: String::new(),
            },
            outcome,
        }
    }

    /// The attempt as it would be recorded, for showing one that was not (a Test).
    pub fn as_row(&self, trigger: Trigger, started_at: i64) -> db::attempts::AttemptRow {
        let response = self.outcome.response.as_ref();
        db::attempts::AttemptRow {
            id: crate::domain::ids::AttemptId::new(0),
            attempt_no: 1,
            trigger,
            started_at,
            duration_ms: self.outcome.duration.as_millis() as i64,
            request_method: self.request.method.clone(),
            request_url: self.url.clone(),
            request_headers: serde_json::to_string(&self.request.masked_headers())
                .unwrap_or_default(),
            request_body: self.request.body.clone(),
            response_status: response.map(|r| i64::from(r.status)),
            response_headers: response.and_then(|r| serde_json::to_string(&r.headers).ok()),
            response_body: response.map(|r| r.body.clone()),
            error_kind: self.outcome.failure.map(FailureKind::kind),
            error_message: self.outcome.error.clone(),
            error_detail: self.outcome.detail.clone(),
        }
    }

    pub fn delivered(&self) -> bool {
        self.outcome.failure.is_none()
    }

    /// Project Monitor's message: "Request sent to <url> (status code: <code>)", or the
    /// network error.
    pub fn summary(&self) -> String {
        match (&self.outcome.response, &self.outcome.error) {
            (Some(r), _) => format!("Request sent to {} (status code: {})", self.url, r.status),
            (None, Some(e)) => format!("Request to {} failed: {e}", self.url),
            (None, None) => format!("Request sent to {}", self.url),
        }
    }
}

/// Makes calls: the shared client, and a limit of requests in flight per destination host
/// that every kind of call respects.
pub struct Caller {
    client: Client,
    settings: Arc<Settings>,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
    metrics: Arc<Metrics>,
    /// Where calls to Hookline's own inboxes are kept, without the network.
    store: Store,
}

impl Caller {
    pub fn new(
        settings: Arc<Settings>,
        metrics: Arc<Metrics>,
        store: Store,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            client: Client::build(
                settings.allow_private_targets,
                settings.outgoing_proxy.as_ref(),
            )?,
            settings,
            hosts: Mutex::new(HashMap::new()),
            metrics,
            store,
        })
    }

    /// Calls `webhook` about `event` with message id `message_id`: the attempt, or why the
    /// request could not even be built (a template that no longer renders). A person waits
    /// for a synchronous call and a test: they get the shorter timeout.
    pub async fn call(
        &self,
        webhook: &WebhookRow,
        headers: &[HeaderRow],
        event: &Event,
        message_id: &str,
        trigger: Trigger,
    ) -> Result<Attempt, String> {
        let test = trigger == Trigger::Test;
        let request = build(webhook, headers, event, message_id, test, db::now_ms())?;
        let timeout = match trigger {
            Trigger::Synchronous | Trigger::Test => self.settings.sync_timeout,
            Trigger::Scheduled | Trigger::Manual => self.settings.delivery_timeout,
        };
        let attempt = match inbox::key_in(&self.settings, &request.url) {
            Some(key) => inbox::keep(&self.store, &key, webhook, request).await,
            None => self.send(request, timeout).await,
        };
        self.metrics
            .attempt(trigger, attempt.delivered(), attempt.outcome.duration);
        Ok(attempt)
    }

    /// Sends a request built already, under the per-host limit.
    pub async fn send(&self, request: Outgoing, timeout: Duration) -> Attempt {
        let permits = self.host_permits(&request.url);
        let outcome = {
            // The semaphore is never closed: a permit always comes.
            let _host = permits.acquire_owned().await;
            send(&self.client, &request, timeout).await
        };
        Attempt {
            url: request.url.clone(),
            request,
            outcome,
        }
    }

    fn host_permits(&self, url: &str) -> Arc<Semaphore> {
        let host = reqwest::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default();
        let mut hosts = self.hosts.lock().expect("hosts lock");
        hosts
            .entry(host)
            .or_insert_with(|| Arc::new(Semaphore::new(self.settings.per_host_concurrency)))
            .clone()
    }
}
