//! The delivery engine. Background workers claim due deliveries under a lease, send them with
//! the shared client (bounded overall and per destination host), and record every attempt;
//! failures are retried on the policy's schedule. Committed changes wake the workers, so a
//! delivery leaves without waiting for a poll; a stopped or killed worker's claims are taken
//! up again when their lease runs out.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::SqlitePool;
use tokio::sync::{Notify, Semaphore, mpsc, watch};
use tokio::task::JoinSet;

use super::policy::{Decision, decide};
use super::request::{Outgoing, build};
use super::send::{Outcome, send};
use crate::config::Settings;
use crate::db::events::{EventRow, LogEntry};
use crate::db::webhooks::{HeaderRow, WebhookRow};
use crate::db::{self, deliveries::Claimed, deliveries::NotClaimed};
use crate::domain::app_log::{LogKind, LogLevel};
use crate::domain::delivery::{DeliveryStatus, FailureKind, Trigger};
use crate::sealing::Keyring;

/// The most deliveries claimed at once by one pass.
const CLAIM_BATCH: usize = 256;
/// The most attempts recorded in one transaction.
const RECORD_BATCH: usize = 512;
/// Sleep at most this long between looks at the queue (work from other processes).
const IDLE_POLL: Duration = Duration::from_secs(1);
/// How long a stop waits for requests in flight before giving their claims back.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

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
            duration: std::time::Duration::ZERO,
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
    pub fn as_row(&self, trigger: Trigger, started_at: i64) -> db::deliveries::AttemptRow {
        let response = self.outcome.response.as_ref();
        db::deliveries::AttemptRow {
            id: 0,
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

pub struct Deliverer {
    pool: SqlitePool,
    client: super::client::Client,
    settings: Arc<Settings>,
    wakeup: Notify,
    permits: Arc<Semaphore>,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
    in_flight: Mutex<HashSet<i64>>,
    /// Whether due deliveries wait behind earlier ones of the same objects.
    blocked: AtomicBool,
    /// Where committed changes hand their claimed deliveries while the background loop runs.
    handed: Mutex<Option<mpsc::UnboundedSender<Handed>>>,
    /// Webhooks as last read, for building requests without reading them each time.
    webhooks: WebhookCache,
    /// The keys that open the webhooks' stored secrets.
    keys: Arc<Keyring>,
}

impl Deliverer {
    pub fn new(
        pool: SqlitePool,
        settings: Arc<Settings>,
        keys: Arc<Keyring>,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            client: super::client::Client::build(
                settings.allow_private_targets,
                settings.outgoing_proxy.as_ref(),
            )?,
            permits: Arc::new(Semaphore::new(settings.delivery_concurrency)),
            pool,
            settings,
            wakeup: Notify::new(),
            hosts: Mutex::new(HashMap::new()),
            in_flight: Mutex::new(HashSet::new()),
            blocked: AtomicBool::new(false),
            handed: Mutex::new(None),
            webhooks: WebhookCache::default(),
            keys,
        })
    }

    pub fn keys(&self) -> &Keyring {
        &self.keys
    }

    fn lease_ms(&self) -> i64 {
        self.settings.delivery_lease.as_millis() as i64
    }

    pub fn client(&self) -> &super::client::Client {
        &self.client
    }

    /// Called after a commit that queued deliveries.
    pub fn wake(&self) {
        self.wakeup.notify_one();
    }

    /// Whether the background loop runs, to take deliveries claimed by their changes.
    pub fn takes_hand_overs(&self) -> bool {
        self.handed.lock().expect("hand-over lock").is_some()
    }

    /// Takes deliveries a committed change wrote claimed. Should the loop have stopped
    /// meanwhile, they are given back to the queue.
    pub fn hand_over(&self, handed: Handed) {
        let refused = match &*self.handed.lock().expect("hand-over lock") {
            Some(to_loop) => to_loop.send(handed).err().map(|e| e.0),
            None => Some(handed),
        };
        if let Some(back) = refused {
            let (pool, ids) = (self.pool.clone(), back.ids());
            tokio::spawn(async move { give_back(&pool, ids).await });
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

    /// Claims and sends every delivery due now, and waits for them: for tests and tools.
    pub async fn run_once(self: &Arc<Self>) -> anyhow::Result<usize> {
        let mut total = 0;
        loop {
            let claimed = db::deliveries::claim(
                &self.pool,
                db::now_ms(),
                self.lease_ms(),
                CLAIM_BATCH as i64,
            )
            .await?;
            if claimed.is_empty() {
                return Ok(total);
            }
            total += claimed.len();
            let mut tasks = JoinSet::new();
            for c in claimed {
                let me = self.clone();
                tasks.spawn(async move { me.attempt(c, Trigger::Scheduled, Keep::Durable).await });
            }
            while let Some(done) = tasks.join_next().await {
                done??;
            }
        }
    }

    /// The background loop, until `stop` turns true.
    pub async fn run(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        let mut tasks: JoinSet<()> = JoinSet::new();
        let (finished, to_record) = mpsc::unbounded_channel();
        let recorder = tokio::spawn(self.clone().record_loop(to_record));
        let (to_loop, mut handed) = mpsc::unbounded_channel();
        *self.handed.lock().expect("hand-over lock") = Some(to_loop);
        // Whether to look at the queue; handed-over deliveries need no look.
        let mut look = true;
        let mut idle = IDLE_POLL;
        while !*stop.borrow() {
            while tasks.try_join_next().is_some() {}
            if look {
                let free = self.permits.available_permits().min(CLAIM_BATCH);
                let claimed = if free == 0 {
                    Vec::new()
                } else {
                    db::deliveries::claim(&self.pool, db::now_ms(), self.lease_ms(), free as i64)
                        .await
                        .unwrap_or_else(|e| {
                            tracing::error!(error = %e, "cannot claim deliveries");
                            Vec::new()
                        })
                };
                // As many as asked: there may be more right away.
                let more = free > 0 && claimed.len() == free;
                if !claimed.is_empty() {
                    self.dispatch(claimed, &mut tasks, &finished).await;
                }
                if more {
                    continue;
                }
                idle = self.idle_wait(free == 0).await;
            }
            let deadline = tokio::time::Instant::now() + idle;
            tokio::select! {
                Some(first) = handed.recv() => {
                    // Whatever else was handed meanwhile goes with it.
                    let mut batch = vec![first];
                    while let Ok(more) = handed.try_recv() {
                        batch.push(more);
                    }
                    self.dispatch_handed(batch, &mut tasks, &finished).await;
                    look = false;
                    idle = deadline.saturating_duration_since(tokio::time::Instant::now());
                }
                _ = self.wakeup.notified() => look = true,
                _ = tokio::time::sleep_until(deadline) => look = true,
                _ = stop.changed() => {}
            }
        }
        // Deliveries handed over but not started go back to the queue.
        self.handed.lock().expect("hand-over lock").take();
        handed.close();
        let mut unstarted = Vec::new();
        while let Ok(batch) = handed.try_recv() {
            unstarted.extend(batch.ids());
        }
        give_back(&self.pool, unstarted).await;
        self.shut_down(tasks).await;
        // What was sent is recorded before the workers stop.
        drop(finished);
        let _ = recorder.await;
    }

    /// Sends a claimed batch, each delivery in a task of its own once a permit is free.
    async fn dispatch(
        self: &Arc<Self>,
        claimed: Vec<Claimed>,
        tasks: &mut JoinSet<()>,
        finished: &mpsc::UnboundedSender<Finished>,
    ) {
        match self.load(claimed).await {
            Ok(loaded) => self.spawn_sends(loaded, tasks, finished).await,
            // Claimed but unread: their lease runs out and they are taken up again.
            Err(e) => tracing::error!(error = %e, "cannot read claimed deliveries"),
        }
    }

    /// Sends what committed changes handed over: their events are at hand.
    async fn dispatch_handed(
        self: &Arc<Self>,
        batch: Vec<Handed>,
        tasks: &mut JoinSet<()>,
        finished: &mpsc::UnboundedSender<Finished>,
    ) {
        match self.with_webhooks(batch).await {
            Ok(loaded) => self.spawn_sends(loaded, tasks, finished).await,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the webhooks of handed-over deliveries")
            }
        }
    }

    async fn spawn_sends(
        self: &Arc<Self>,
        loaded: Vec<(Claimed, Option<Rows>)>,
        tasks: &mut JoinSet<()>,
        finished: &mpsc::UnboundedSender<Finished>,
    ) {
        for (c, rows) in loaded {
            let Ok(permit) = self.permits.clone().acquire_owned().await else {
                break;
            };
            self.in_flight.lock().expect("in-flight lock").insert(c.id);
            let (me, finished) = (self.clone(), finished.clone());
            tasks.spawn(async move {
                let id = c.id;
                match me.send_loaded(c, rows, Trigger::Scheduled).await {
                    Ok(Some(f)) => {
                        let _ = finished.send(f);
                    }
                    Ok(None) => {}
                    Err(e) => {
                        tracing::error!(delivery_id = id, error = %e, "delivery attempt failed")
                    }
                }
                me.in_flight.lock().expect("in-flight lock").remove(&id);
                drop(permit);
            });
        }
    }

    async fn idle_wait(&self, saturated: bool) -> Duration {
        if saturated {
            return Duration::from_millis(5);
        }
        match db::deliveries::next_due(&self.pool).await {
            Ok(Some(due)) if due > db::now_ms() => {
                Duration::from_millis((due - db::now_ms()).min(IDLE_POLL.as_millis() as i64) as u64)
            }
            // Due but not claimed: waiting behind an earlier delivery of the same object,
            // which the recorder wakes us for once it is settled.
            Ok(Some(_)) => {
                self.blocked.store(true, Ordering::Relaxed);
                IDLE_POLL
            }
            _ => IDLE_POLL,
        }
    }

    async fn shut_down(&self, mut tasks: JoinSet<()>) {
        let finished = tokio::time::timeout(SHUTDOWN_GRACE, async {
            while tasks.join_next().await.is_some() {}
        })
        .await;
        if finished.is_err() {
            tasks.abort_all();
            let left: Vec<i64> = self
                .in_flight
                .lock()
                .expect("in-flight lock")
                .drain()
                .collect();
            give_back(&self.pool, left).await;
        }
        tracing::info!("delivery workers stopped");
    }

    /// Makes the call of a synchronous delivery its change left queued.
    pub async fn deliver_now(&self, id: i64) -> anyhow::Result<Option<Attempt>> {
        match db::deliveries::claim_one(&self.pool, id, db::now_ms(), self.lease_ms()).await? {
            Some(c) => Ok(self.attempt(c, Trigger::Synchronous, Keep::Soon).await?),
            None => Ok(None),
        }
    }

    /// Retry now: one attempt by hand, whatever the schedule, in the object's order. It does
    /// not use up a scheduled attempt: should it fail, the delivery keeps its place (its
    /// next retry, or dead). The workers are woken after it, for the deliveries behind it.
    pub async fn retry_now(&self, id: i64) -> anyhow::Result<Result<Option<Attempt>, NotClaimed>> {
        let now = db::now_ms();
        let claimed =
            match db::deliveries::claim_manual(&self.pool, id, now, self.lease_ms()).await? {
                Ok(c) => c,
                Err(refusal) => return Ok(Err(refusal)),
            };
        let attempt = self
            .attempt(claimed, Trigger::Manual, Keep::Durable)
            .await?;
        self.wake();
        Ok(Ok(attempt))
    }

    /// A webhook and its headers as of counter `version`, from the cache; None when the
    /// committed state has not reached that counter yet (the caller reads them itself).
    pub async fn webhook_at(&self, version: i64, id: i64) -> sqlx::Result<Option<WebhookRows>> {
        let (at, mut found) = self
            .webhooks
            .get(&self.pool, &self.keys, version, &[id])
            .await?;
        Ok((at >= version).then(|| found.remove(&id).flatten()))
    }

    /// Sends deliveries their change has just written claimed, with its event at hand (a
    /// synchronous call right after the commit); gives the last attempt.
    pub async fn deliver_claimed(
        &self,
        handed: Handed,
        trigger: Trigger,
    ) -> anyhow::Result<Option<Attempt>> {
        let mut last = None;
        for (c, rows) in self.with_webhooks(vec![handed]).await? {
            last = self.attempt_loaded(c, rows, trigger, Keep::Soon).await?;
        }
        Ok(last)
    }

    /// One attempt of a claimed delivery, recorded with its outcome.
    async fn attempt(
        &self,
        c: Claimed,
        trigger: Trigger,
        keep: Keep,
    ) -> anyhow::Result<Option<Attempt>> {
        let mut last = None;
        for (c, rows) in self.load(vec![c]).await? {
            last = self.attempt_loaded(c, rows, trigger, keep).await?;
        }
        Ok(last)
    }

    async fn attempt_loaded(
        &self,
        c: Claimed,
        rows: Option<Rows>,
        trigger: Trigger,
        keep: Keep,
    ) -> anyhow::Result<Option<Attempt>> {
        let Some(finished) = self.send_loaded(c, rows, trigger).await? else {
            return Ok(None);
        };
        let attempt = finished.attempt.clone();
        match keep {
            Keep::Durable => Self::record(&self.pool, &[finished], keep).await?,
            Keep::Soon => {
                // The person is answered now; the record follows in a task of its own, and
                // every request waits for it first.
                let mark = db::writer::writer_of(&self.pool).await?.background_write();
                let pool = self.pool.clone();
                tokio::spawn(async move {
                    if let Err(e) = Self::record(&pool, &[finished], keep).await {
                        tracing::error!(error = %e, "a call's attempt could not be recorded");
                    }
                    drop(mark);
                });
            }
        }
        Ok(Some(attempt))
    }

    /// Claimed deliveries with what sending them needs: their events read in one query,
    /// their webhooks from the cache.
    async fn load(&self, claimed: Vec<Claimed>) -> anyhow::Result<Vec<(Claimed, Option<Rows>)>> {
        let event_ids: Vec<i64> = claimed.iter().map(|c| c.event_id).collect();
        let events: HashMap<i64, Arc<EventRow>> = db::events::find_many(&self.pool, &event_ids)
            .await?
            .into_iter()
            .map(|(id, e)| (id, Arc::new(e)))
            .collect();
        // Grouped by event, in the order claimed (the oldest first).
        let mut by_event: Vec<Handed> = Vec::new();
        let mut slot: HashMap<i64, usize> = HashMap::new();
        let mut orphans = Vec::new();
        for c in claimed {
            let Some(event) = events.get(&c.event_id) else {
                orphans.push((c, None));
                continue;
            };
            let n = *slot.entry(c.event_id).or_insert_with(|| {
                by_event.push(Handed {
                    event: event.clone(),
                    deliveries: Vec::new(),
                });
                by_event.len() - 1
            });
            by_event[n].deliveries.push(c);
        }
        let mut loaded = self.with_webhooks(by_event).await?;
        loaded.extend(orphans);
        Ok(loaded)
    }

    /// Handed-over deliveries with their webhooks (None: the webhook was deleted meanwhile).
    async fn with_webhooks(
        &self,
        batch: Vec<Handed>,
    ) -> anyhow::Result<Vec<(Claimed, Option<Rows>)>> {
        let mut ids: Vec<i64> = batch
            .iter()
            .flat_map(|h| h.deliveries.iter().map(|c| c.webhook_id))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let version = batch
            .iter()
            .flat_map(|h| h.deliveries.iter().map(|c| c.webhooks_version))
            .max()
            .unwrap_or_default();
        let (_, webhooks) = self
            .webhooks
            .get(&self.pool, &self.keys, version, &ids)
            .await?;
        let mut out = Vec::new();
        for h in batch {
            for c in h.deliveries {
                let rows =
                    webhooks
                        .get(&c.webhook_id)
                        .cloned()
                        .flatten()
                        .map(|(webhook, headers)| Rows {
                            webhook,
                            headers,
                            event: h.event.clone(),
                        });
                out.push((c, rows));
            }
        }
        Ok(out)
    }

    /// Sends a claimed delivery with its webhook, headers and event (None: the webhook was
    /// deleted meanwhile). One that cannot be sent at all is settled here.
    async fn send_loaded(
        &self,
        c: Claimed,
        rows: Option<Rows>,
        trigger: Trigger,
    ) -> anyhow::Result<Option<Finished>> {
        let Some(Rows {
            webhook,
            headers,
            event,
        }) = rows
        else {
            let mut tx = db::begin_write(&self.pool).await?;
            db::deliveries::settle(
                &mut tx,
                c.id,
                DeliveryStatus::Cancelled,
                db::now_ms(),
                Some("the webhook was deleted"),
                db::now_ms(),
            )
            .await?;
            tx.commit().await?;
            return Ok(None);
        };
        let started = db::now_ms();
        let request = match build(&webhook, &headers, &event, &c.message_id, false, started) {
            Ok(r) => r,
            Err(e) => {
                let mut tx = db::begin_write(&self.pool).await?;
                db::deliveries::settle(
                    &mut tx,
                    c.id,
                    DeliveryStatus::Dead,
                    started,
                    Some(&format!("cannot build the request: {e}")),
                    started,
                )
                .await?;
                tx.commit().await?;
                return Ok(None);
            }
        };
        let timeout = if trigger == Trigger::Synchronous {
            self.settings.sync_timeout
        } else {
            self.settings.delivery_timeout
        };
        let outcome = {
            let _host = self.host_permits(&request.url).acquire_owned().await?;
            send(&self.client, &request, timeout).await
        };
        Ok(Some(Finished {
            claimed: c,
            wording: webhook.wording.clone(),
            trigger,
            started,
            attempt: Attempt {
                url: request.url.clone(),
                request,
                outcome,
            },
        }))
    }

    /// Records attempts and their outcomes, however many, in one transaction and a handful
    /// of statements: the queue's bookkeeping costs little more for a hundred than for one.
    async fn record(pool: &SqlitePool, batch: &[Finished], keep: Keep) -> anyhow::Result<()> {
        let now = db::now_ms();
        let mut attempts = Vec::with_capacity(batch.len());
        for f in batch {
            attempts.push(new_attempt(
                Some(f.claimed.id),
                f.claimed.webhook_id,
                f.claimed.attempts,
                f.trigger,
                f.started,
                &f.attempt,
            )?);
        }
        let mut delivered = Vec::new();
        let mut statuses: HashMap<i64, (i64, i64)> = HashMap::new();
        let mut tx = db::begin_write(pool).await?;
        for f in batch {
            let (c, a) = (&f.claimed, &f.attempt);
            let status = a
                .outcome
                .response
                .as_ref()
                .map_or(0, |r| i64::from(r.status));
            let latest = statuses.entry(c.webhook_id).or_insert((f.started, status));
            if f.started >= latest.0 {
                *latest = (f.started, status);
            }
            // A synchronous call is made once: the person saw its result.
            let decision = match (f.trigger, a.outcome.failure.is_some()) {
                (Trigger::Synchronous, true) => Decision::Dead,
                (_, failed) => decide(
                    c.scheduled_attempt() as u32,
                    a.outcome.failure.as_ref(),
                    a.outcome.retry_after,
                    // Only a retry's wait has any use for it.
                    if failed {
                        f64::from(crate::random::bytes::<1>()[0]) / 256.0
                    } else {
                        0.0
                    },
                ),
            };
            let error = a.outcome.error.as_deref();
            // A failed attempt by hand leaves the delivery where it was.
            let decision = match (&c.restore, decision) {
                (Some(back), Decision::RetryIn(_) | Decision::Dead) => {
                    let at = back.next_attempt_at;
                    db::deliveries::settle(&mut tx, c.id, back.status, at, error, now).await?;
                    continue;
                }
                (_, decision) => decision,
            };
            match &decision {
                Decision::Delivered => delivered.push(c.id),
                Decision::RetryIn(wait) => {
                    db::deliveries::settle(
                        &mut tx,
                        c.id,
                        DeliveryStatus::Pending,
                        now + wait.as_millis() as i64,
                        error,
                        now,
                    )
                    .await?
                }
                Decision::Dead | Decision::Gone => {
                    db::deliveries::settle(&mut tx, c.id, DeliveryStatus::Dead, now, error, now)
                        .await?;
                    let message = format!(
                        "Delivery {} of webhook “{}” failed for good after {} attempt(s): {}",
                        c.message_id,
                        f.wording,
                        c.attempts,
                        error.unwrap_or("error")
                    );
                    let entry = LogEntry {
                        level: LogLevel::Error,
                        kind: LogKind::DeliveryDead,
                        message: &message,
                        webhook_id: Some(c.webhook_id),
                        event_id: Some(c.event_id),
                        attempt_id: None,
                    };
                    db::events::log(&mut tx, &entry, now).await?;
                }
            }
            if decision == Decision::Gone {
                let reason = format!(
                    "Turned off by Hookline: the receiver answered 410 Gone at {}",
                    a.url
                );
                db::deliveries::disable_webhook(&mut tx, c.webhook_id, &reason).await?;
                let message = format!(
                    "Webhook “{}” was deactivated: its receiver answered 410 Gone.",
                    f.wording
                );
                let entry = LogEntry {
                    level: LogLevel::Warning,
                    kind: LogKind::WebhookDisabled,
                    message: &message,
                    webhook_id: Some(c.webhook_id),
                    event_id: Some(c.event_id),
                    attempt_id: None,
                };
                db::events::log(&mut tx, &entry, now).await?;
            }
        }
        let latest: Vec<(i64, i64, i64)> = statuses
            .into_iter()
            .map(|(webhook, (at, status))| (webhook, at, status))
            .collect();
        db::deliveries::record_outcomes(&mut tx, &attempts, &delivered, &latest, now).await?;
        match keep {
            Keep::Durable => tx.commit().await?,
            Keep::Soon => tx.commit_in_background(),
        }
        Ok(())
    }

    /// Records what the background workers send, in batches, until every sender is gone.
    async fn record_loop(self: Arc<Self>, mut done: mpsc::UnboundedReceiver<Finished>) {
        while let Some(first) = done.recv().await {
            let mut batch = vec![first];
            while batch.len() < RECORD_BATCH {
                match done.try_recv() {
                    Ok(f) => batch.push(f),
                    Err(_) => break,
                }
            }
            if let Err(e) = Self::record(&self.pool, &batch, Keep::Durable).await {
                // Unrecorded attempts stay claimed; their lease runs out and they go again.
                tracing::error!(error = %e, attempts = batch.len(), "delivery attempts could not be recorded");
            } else if self.blocked.swap(false, Ordering::Relaxed) {
                self.wake();
            }
        }
    }
}

/// Returns claimed deliveries that will not be sent now to the queue.
async fn give_back(pool: &SqlitePool, ids: Vec<i64>) {
    if ids.is_empty() {
        return;
    }
    if let Err(e) = db::deliveries::release(pool, &ids).await {
        tracing::error!(error = %e, "cannot give back unfinished deliveries; their lease will expire");
    }
}

/// What sending one delivery needs.
pub struct Rows {
    webhook: Arc<WebhookRow>,
    headers: Arc<Vec<HeaderRow>>,
    event: Arc<EventRow>,
}

/// Deliveries a committed change wrote claimed, with its event.
pub struct Handed {
    pub event: Arc<EventRow>,
    pub deliveries: Vec<Claimed>,
}

impl Handed {
    fn ids(&self) -> Vec<i64> {
        self.deliveries.iter().map(|c| c.id).collect()
    }
}

pub type WebhookRows = Option<(Arc<WebhookRow>, Arc<Vec<HeaderRow>>)>;

/// Webhooks with their headers as committed at one value of the webhooks counter (None for
/// one that does not exist), filled as deliveries need them and dropped when it moves.
#[derive(Default)]
struct WebhookCache {
    at: Mutex<(Option<i64>, HashMap<i64, WebhookRows>)>,
}

impl WebhookCache {
    /// The webhooks `ids` as of counter `version` or later, and the counter they are at: the
    /// last committed one, which may be below `version` when that is not committed yet.
    async fn get(
        &self,
        pool: &SqlitePool,
        keys: &Keyring,
        version: i64,
        ids: &[i64],
    ) -> sqlx::Result<(i64, HashMap<i64, WebhookRows>)> {
        {
            let at = self.at.lock().expect("webhook cache lock");
            if let Some(v) = at.0
                && v >= version
                && ids.iter().all(|id| at.1.contains_key(id))
            {
                return Ok((v, ids.iter().map(|id| (*id, at.1[id].clone())).collect()));
            }
        }
        let (committed, mut webhooks, mut headers) =
            db::webhooks::committed_many(pool, keys, ids).await?;
        let found: HashMap<i64, WebhookRows> = ids
            .iter()
            .map(|id| {
                let rows = webhooks.remove(id).map(|w| {
                    (
                        Arc::new(w),
                        Arc::new(headers.remove(id).unwrap_or_default()),
                    )
                });
                (*id, rows)
            })
            .collect();
        let mut at = self.at.lock().expect("webhook cache lock");
        if at.0 != Some(committed) {
            *at = (Some(committed), HashMap::new());
        }
        at.1.extend(found.iter().map(|(id, rows)| (*id, rows.clone())));
        Ok((committed, found))
    }
}

/// Whether an attempt's record must be on disk before its caller goes on. A background
/// worker waits for the disk; a person waiting for a call's result (a synchronous webhook,
/// Retry now) is answered at once, the record written and committed in the background
/// (see `Writer::background_write`), before any later request reads.
#[derive(Debug, Clone, Copy)]
enum Keep {
    Durable,
    Soon,
}

/// An attempt made and not yet recorded.
struct Finished {
    claimed: Claimed,
    wording: String,
    trigger: Trigger,
    started: i64,
    attempt: Attempt,
}

/// An attempt as the database records it (secret header values masked).
pub fn new_attempt<'a>(
    delivery: Option<i64>,
    webhook_id: i64,
    attempt_no: i64,
    trigger: Trigger,
    started: i64,
    a: &'a Attempt,
) -> anyhow::Result<db::deliveries::NewAttempt<'a>> {
    let response = a.outcome.response.as_ref();
    Ok(db::deliveries::NewAttempt {
        delivery_id: delivery,
        webhook_id,
        attempt_no,
        trigger,
        started_at: started,
        duration_ms: a.outcome.duration.as_millis() as i64,
        method: &a.request.method,
        url: &a.url,
        request_headers: serde_json::to_string(&a.request.masked_headers())?,
        request_body: &a.request.body,
        status: response.map(|r| i64::from(r.status)),
        response_headers: response
            .map(|r| serde_json::to_string(&r.headers))
            .transpose()?,
        response_body: response.map(|r| r.body.as_str()),
        error_kind: a.outcome.failure.map(FailureKind::kind),
        error_message: a.outcome.error.as_deref(),
        error_detail: a.outcome.detail.as_deref(),
    })
}

/// Records an attempt (secret header values masked).
pub async fn insert_attempt(
    tx: &mut db::Tx,
    delivery: Option<i64>,
    webhook_id: i64,
    attempt_no: i64,
    trigger: Trigger,
    started: i64,
    a: &Attempt,
) -> anyhow::Result<i64> {
    let new = new_attempt(delivery, webhook_id, attempt_no, trigger, started, a)?;
    Ok(db::deliveries::insert_attempt(tx, &new).await?)
}
