//! The delivery engine. Background workers claim due deliveries under a lease, send them with
//! the shared client (bounded overall and per destination host), and record every attempt;
//! failures are retried on the policy's schedule. Committed changes wake the workers, so a
//! delivery leaves without waiting for a poll; a stopped or killed worker's claims are taken
//! up again when their lease runs out. In parts: `workers` (claiming and the loop),
//! `sending`, `recording`, `immediate` (calls made while someone waits); the webhooks come from the
//! shared snapshot (`db::snapshot`); retention
//! is `delivery::housekeeping`.

mod breaker;
mod immediate;
mod pacing;
mod recording;
mod sending;
mod workers;

use std::collections::HashSet;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::db::Store;
use tokio::sync::{Notify, Semaphore, mpsc};

use super::call::Caller;
use crate::config::Settings;
use crate::db::snapshot::{Snapshot, Webhook};
use crate::db::{self, deliveries::Claimed};
use crate::domain::event::Event;
use crate::domain::ids::DeliveryId;
use crate::metrics::Metrics;
use recording::{Finished, Keep};
pub use recording::{insert_attempt, new_attempt};

/// The most deliveries claimed at once by one pass.
const CLAIM_BATCH: usize = 256;
/// The most attempts recorded in one transaction.
const RECORD_BATCH: usize = 512;
/// Sleep at most this long while due deliveries wait behind earlier ones of their objects:
/// another instance that settles the earlier one tells no one.
const BLOCKED_POLL: Duration = Duration::from_secs(1);
/// How long a stop waits for requests in flight before giving their claims back.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

pub struct Deliverer {
    store: Store,
    caller: Caller,
    settings: Arc<Settings>,
    wakeup: Arc<Notify>,
    permits: Arc<Semaphore>,
    in_flight: Mutex<HashSet<DeliveryId>>,
    /// Whether due deliveries wait behind earlier ones of the same objects.
    blocked: AtomicBool,
    /// Where committed changes hand their claimed deliveries while the background loop runs.
    handed: Mutex<Option<mpsc::UnboundedSender<Handed>>>,
    /// Every webhook as committed, for building requests without reading them each time.
    webhooks: Arc<Snapshot>,
    /// Whether the background loop is running (for `/health/ready`).
    running: AtomicBool,
    /// When a failing webhook is turned off.
    breakers: breaker::Breaker,
}

impl Deliverer {
    pub fn new(
        store: Store,
        settings: Arc<Settings>,
        webhooks: Arc<Snapshot>,
        metrics: Arc<Metrics>,
    ) -> anyhow::Result<Self> {
        let breakers = breaker::Breaker::of(&settings);
        Ok(Self {
            caller: Caller::new(settings.clone(), metrics, store.clone())?,
            permits: Arc::new(Semaphore::new(settings.delivery_concurrency)),
            store,
            settings,
            wakeup: Arc::new(Notify::new()),
            in_flight: Mutex::new(HashSet::new()),
            blocked: AtomicBool::new(false),
            handed: Mutex::new(None),
            webhooks,
            running: AtomicBool::new(false),
            breakers,
        })
    }

    /// How long idle workers wait before looking at the queue unasked.
    fn idle_poll(&self) -> Duration {
        self.settings.queue_poll
    }

    fn lease_ms(&self) -> i64 {
        self.settings.delivery_lease.as_millis() as i64
    }

    /// What records attempts: a value of its own, for records written in a task of their own.
    fn recorder(&self) -> recording::Recorder {
        recording::Recorder {
            store: self.store.clone(),
            breakers: self.breakers,
            webhooks: self.webhooks.clone(),
            cap: self.settings.max_hooks_per_action,
            wakeup: self.wakeup.clone(),
        }
    }

    /// What makes every call, under the same limits.
    pub fn caller(&self) -> &Caller {
        &self.caller
    }

    /// Called after a commit that queued deliveries.
    pub fn wake(&self) {
        self.wakeup.notify_one();
    }

    /// Whether the background workers are running; false again once their loop has ended,
    /// however it ended.
    pub fn is_running(&self) -> bool {
        self.running.load(std::sync::atomic::Ordering::Relaxed)
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
            let (store, ids) = (self.store.clone(), back.ids());
            tokio::spawn(async move { give_back(&store, ids).await });
        }
    }
}

/// Returns claimed deliveries that will not be sent now to the queue.
async fn give_back(store: &Store, ids: Vec<DeliveryId>) {
    if ids.is_empty() {
        return;
    }
    if let Err(e) = db::deliveries::release(store, &ids).await {
        tracing::error!(error = %e, "cannot give back unfinished deliveries; their lease will expire");
    }
}

/// What sending one delivery needs.
pub struct Rows {
    webhook: Arc<Webhook>,
    event: Arc<Event>,
}

/// Deliveries a committed change wrote claimed, with its event.
pub struct Handed {
    pub event: Arc<Event>,
    pub deliveries: Vec<Claimed>,
}

impl Handed {
    fn ids(&self) -> Vec<DeliveryId> {
        self.deliveries.iter().map(|c| c.id).collect()
    }
}
