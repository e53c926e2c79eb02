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
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::db::Store;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, mpsc};

use super::call::Caller;
use crate::config::Settings;
use crate::db::snapshot::{Snapshot, Webhook};
use crate::db::{self, deliveries::Claimed};
use crate::domain::event::Event;
use crate::domain::ids::DeliveryId;
use crate::metrics::Metrics;
use recording::{Finished, Keep, Unrecorded};
pub use recording::{insert_attempt, new_attempt};

/// The most deliveries claimed at once by one pass.
const CLAIM_BATCH: usize = 256;
/// The most attempts recorded in one transaction.
const RECORD_BATCH: usize = 512;
/// Sleep at most this long while due deliveries wait behind earlier ones of their objects:
/// another instance that settles the earlier one tells no one.
const BLOCKED_POLL: Duration = Duration::from_secs(1);
/// How many deliveries handed over by committed changes may wait for each sender (the
/// delivery concurrency): enough to keep every sender busy between two looks at the queue.
const HANDED_PER_SENDER: usize = 4;
/// How long a change waits for room to hand its deliveries over before it queues them. Long
/// enough to ride out a burst: once queuing starts, later changes queue too until the queue
/// is drained, and each queued delivery costs a claim (at 5 webhooks a change, 50 ms tipped
/// bursts into queuing and cost a fifth of the throughput). Short enough that a change
/// waits little on slow receivers, and only until queuing starts.
const HANDED_WAIT: Duration = Duration::from_millis(250);
/// The most attempts made and not yet recorded.
const UNRECORDED_ROOM: usize = 2 * RECORD_BATCH;
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
    handed: Mutex<Option<mpsc::UnboundedSender<(Handed, OwnedSemaphorePermit)>>>,
    /// Room for handed-over deliveries the loop has not started. A change that finds none
    /// waits a little for it: when the workers are only busy, that paces a burst of changes
    /// to the pace of delivery; when sending is stuck (slow receivers), the deliveries go to
    /// the queue instead of piling up in memory, and so do later ones until it is drained.
    handed_room: Arc<Semaphore>,
    /// Whether changes leave their deliveries in the queue, from a hand-over that found no
    /// room until the workers find the queue drained: deliveries handed over meanwhile would
    /// overtake the queued ones for as long as changes keep coming.
    spilling: AtomicBool,
    /// Room for attempts made and not yet recorded: sending waits for the recorder.
    unrecorded: Arc<Semaphore>,
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
        let handed_room = Arc::new(Semaphore::new(handed_room_size(&settings)));
        Ok(Self {
            caller: Caller::new(settings.clone(), metrics, store.clone())?,
            permits: Arc::new(Semaphore::new(settings.delivery_concurrency)),
            store,
            settings,
            wakeup: Arc::new(Notify::new()),
            in_flight: Mutex::new(HashSet::new()),
            blocked: AtomicBool::new(false),
            handed: Mutex::new(None),
            handed_room,
            spilling: AtomicBool::new(false),
            unrecorded: Arc::new(Semaphore::new(UNRECORDED_ROOM)),
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
        self.running.load(Ordering::Relaxed)
    }

    /// Whether the background loop runs, to take deliveries claimed by their changes, and
    /// no earlier deliveries were sent to the queue for want of room.
    pub fn takes_hand_overs(&self) -> bool {
        !self.spilling.load(Ordering::Relaxed)
            && self.handed.lock().expect("hand-over lock").is_some()
    }

    /// Takes deliveries a committed change wrote claimed, once they have room. With no room
    /// soon, or should the loop have stopped meanwhile, they are given back to the queue.
    pub async fn hand_over(&self, handed: Handed) {
        let wanted = handed
            .deliveries
            .len()
            .clamp(1, handed_room_size(&self.settings)) as u32;
        let room = self.handed_room.clone().acquire_many_owned(wanted);
        let room = tokio::time::timeout(HANDED_WAIT, room).await;
        let to_loop = self.handed.lock().expect("hand-over lock").clone();
        let refused = match (room, to_loop) {
            (Ok(Ok(room)), Some(to_loop)) => to_loop.send((handed, room)).err().map(|e| e.0.0),
            (Err(_no_room_soon), Some(_)) => {
                self.spilling.store(true, Ordering::Relaxed);
                Some(handed)
            }
            _ => Some(handed),
        };
        if let Some(back) = refused {
            let (store, ids) = (self.store.clone(), back.ids());
            let wakeup = self.wakeup.clone();
            tokio::spawn(async move {
                give_back(&store, ids).await;
                wakeup.notify_one();
            });
        }
    }
}

/// How many handed-over deliveries may wait for the loop.
fn handed_room_size(settings: &Settings) -> usize {
    HANDED_PER_SENDER * settings.delivery_concurrency
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
