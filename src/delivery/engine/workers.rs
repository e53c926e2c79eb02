//! The background workers: claiming due deliveries (and those whose lease ran out) under a
//! lease, taking those committed changes hand over, sending them within the concurrency
//! limit, and giving back what a stop leaves unsent.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use super::pacing::start_at;
use super::{
    BLOCKED_POLL, CLAIM_BATCH, Deliverer, Handed, Keep, Rows, SHUTDOWN_GRACE, Unrecorded, give_back,
};
use crate::db::{self, deliveries::Claimed};
use crate::domain::delivery::Trigger;

impl Deliverer {
    /// Claims and sends every delivery due now, and waits for them: for tests and tools.
    pub async fn run_once(self: &Arc<Self>) -> anyhow::Result<usize> {
        let mut total = 0;
        loop {
            let claimed = db::deliveries::claim(
                &self.store,
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
            for (c, rows, start) in self.pace(self.load(claimed).await?).await {
                let me = self.clone();
                tasks.spawn(async move {
                    start_at(start).await;
                    me.attempt_loaded(c, rows, Trigger::Scheduled, Keep::Durable)
                        .await
                });
            }
            while let Some(done) = tasks.join_next().await {
                done??;
            }
        }
    }

    /// The background loop, until `stop` turns true.
    pub async fn run(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        let _running = Running::start(&self.running);
        let mut tasks: JoinSet<()> = JoinSet::new();
        let (finished, to_record) = mpsc::unbounded_channel();
        let recorder = tokio::spawn(self.clone().record_loop(to_record));
        let (to_loop, mut handed) = mpsc::unbounded_channel();
        *self.handed.lock().expect("hand-over lock") = Some(to_loop);
        // Whether to look at the queue; handed-over deliveries need no look.
        let mut look = true;
        let mut idle = self.idle_poll();
        while !*stop.borrow() {
            while tasks.try_join_next().is_some() {}
            if look {
                let free = self.permits.available_permits().min(CLAIM_BATCH);
                let claimed = if free == 0 {
                    Vec::new()
                } else {
                    db::deliveries::claim(&self.store, db::now_ms(), self.lease_ms(), free as i64)
                        .await
                        .unwrap_or_else(|e| {
                            tracing::error!(error = %e, "cannot claim deliveries");
                            Vec::new()
                        })
                };
                // As many as asked: there may be more right away.
                let more = free > 0 && claimed.len() == free;
                if free > 0 && !more {
                    // The queue is drained: changes may hand their deliveries over again.
                    self.spilling.store(false, Ordering::Relaxed);
                }
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
                Some((first, room)) = handed.recv() => {
                    // Whatever else was handed meanwhile goes with it; their room is free
                    // again once they are started.
                    let mut batch = vec![first];
                    let mut rooms = vec![room];
                    while let Ok((more, room)) = handed.try_recv() {
                        batch.push(more);
                        rooms.push(room);
                    }
                    self.dispatch_handed(batch, &mut tasks, &finished).await;
                    drop(rooms);
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
        while let Ok((batch, _)) = handed.try_recv() {
            unstarted.extend(batch.ids());
        }
        give_back(&self.store, unstarted).await;
        self.shut_down(tasks).await;
        // What was sent is recorded before the workers stop.
        drop(finished);
        let _ = recorder.await;
    }

    /// Sends a claimed batch, each delivery in a task of its own once a permit is free.
    pub(super) async fn dispatch(
        self: &Arc<Self>,
        claimed: Vec<Claimed>,
        tasks: &mut JoinSet<()>,
        finished: &mpsc::UnboundedSender<Unrecorded>,
    ) {
        match self.load(claimed).await {
            Ok(loaded) => self.spawn_sends(loaded, tasks, finished).await,
            // Claimed but unread: their lease runs out and they are taken up again.
            Err(e) => tracing::error!(error = %e, "cannot read claimed deliveries"),
        }
    }

    /// Sends what committed changes handed over: their events are at hand.
    pub(super) async fn dispatch_handed(
        self: &Arc<Self>,
        batch: Vec<Handed>,
        tasks: &mut JoinSet<()>,
        finished: &mpsc::UnboundedSender<Unrecorded>,
    ) {
        match self.with_webhooks(batch).await {
            Ok(loaded) => self.spawn_sends(loaded, tasks, finished).await,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the webhooks of handed-over deliveries")
            }
        }
    }

    pub(super) async fn spawn_sends(
        self: &Arc<Self>,
        loaded: Vec<(Claimed, Option<Rows>)>,
        tasks: &mut JoinSet<()>,
        finished: &mpsc::UnboundedSender<Unrecorded>,
    ) {
        for (c, rows, start) in self.pace(loaded).await {
            // A finished task keeps its memory until joined: a long batch must not hoard them.
            while tasks.try_join_next().is_some() {}
            let Ok(room) = self.unrecorded.clone().acquire_owned().await else {
                break;
            };
            let Ok(permit) = self.permits.clone().acquire_owned().await else {
                break;
            };
            self.in_flight.lock().expect("in-flight lock").insert(c.id);
            let (me, finished) = (self.clone(), finished.clone());
            tasks.spawn(async move {
                let id = c.id;
                start_at(start).await;
                match me.send_loaded(c, rows, Trigger::Scheduled).await {
                    Ok(Some(f)) => {
                        let _ = finished.send(Unrecorded { finished: f, room });
                    }
                    Ok(None) => {}
                    Err(e) => {
                        tracing::error!(delivery_id = %id, error = %e, "delivery attempt failed")
                    }
                }
                me.in_flight.lock().expect("in-flight lock").remove(&id);
                drop(permit);
            });
        }
    }

    pub(super) async fn idle_wait(&self, saturated: bool) -> Duration {
        if saturated {
            return Duration::from_millis(5);
        }
        match db::deliveries::next_due(&self.store).await {
            Ok(Some(due)) if due > db::now_ms() => {
                let poll = self.idle_poll().as_millis() as i64;
                Duration::from_millis((due - db::now_ms()).min(poll) as u64)
            }
            // Due but not claimed: waiting behind an earlier delivery of the same object,
            // which the recorder wakes us for once it is settled.
            Ok(Some(_)) => {
                self.blocked.store(true, Ordering::Relaxed);
                BLOCKED_POLL.min(self.idle_poll())
            }
            _ => self.idle_poll(),
        }
    }

    pub(super) async fn shut_down(&self, mut tasks: JoinSet<()>) {
        let finished = tokio::time::timeout(SHUTDOWN_GRACE, async {
            while tasks.join_next().await.is_some() {}
        })
        .await;
        if finished.is_err() {
            tasks.abort_all();
            let left: Vec<crate::domain::ids::DeliveryId> = self
                .in_flight
                .lock()
                .expect("in-flight lock")
                .drain()
                .collect();
            give_back(&self.store, left).await;
        }
        tracing::info!("delivery workers stopped");
    }
}

/// Marks the loop as running until dropped: at its end, or as a panic unwinds it.
struct Running<'a>(&'a AtomicBool);

impl<'a> Running<'a> {
    fn start(flag: &'a AtomicBool) -> Self {
        flag.store(true, Ordering::Relaxed);
        Running(flag)
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Relaxed);
    }
}
