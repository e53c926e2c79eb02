//! Recording attempts and settling their deliveries — delivered, retried on the schedule,
//! or dead — in batches of one transaction each.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::db::Store;
use crate::db::snapshot::Snapshot;
use tokio::sync::{Notify, OwnedSemaphorePermit, mpsc};

use super::breaker::{Breaker, Failing, turn_off};
use super::{Deliverer, RECORD_BATCH};
use crate::db::app_log::LogEntry;
use crate::db::attempts::Outcome;
use crate::db::{self, deliveries::Claimed};
use crate::delivery::call::Attempt;
use crate::delivery::policy::{Decision, decide};
use crate::domain::app_log::{LogKind, LogLevel};
use crate::domain::delivery::{DeliveryStatus, FailureKind, Trigger};
use crate::domain::ids::{AttemptId, DeliveryId, WebhookId};
use crate::events::operational::{self, Notice};

/// What recording attempts needs: the database, the breaker's limits, and what operational
/// events need to reach their webhooks.
pub(super) struct Recorder {
    pub(super) store: Store,
    pub(super) breakers: Breaker,
    pub(super) webhooks: Arc<Snapshot>,
    /// The most webhooks fired by one event.
    pub(super) cap: usize,
    /// Wakes the workers for the operational events a record queued.
    pub(super) wakeup: Arc<Notify>,
}

impl Recorder {
    /// Records attempts and their outcomes, however many, in one transaction and a handful
    /// of statements: the queue's bookkeeping costs little more for a hundred than for one.
    pub(super) async fn record(&self, batch: &[Finished], keep: Keep) -> anyhow::Result<()> {
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
        if matches!(keep, Keep::Durable) && batch.iter().all(|f| f.attempt.delivered()) {
            // Nothing to retry, turn off or tell: the common case, in one statement.
            let delivered: Vec<DeliveryId> = batch.iter().map(|f| f.claimed.id).collect();
            let outcomes = Outcome::tally(
                batch
                    .iter()
                    .map(|f| (f.claimed.webhook_id, f.started, status_of(&f.attempt), true)),
            );
            db::attempts::record_delivered(&self.store, &attempts, &delivered, &outcomes, now)
                .await?;
            return Ok(());
        }
        let mut delivered = Vec::new();
        let mut calls = Vec::with_capacity(batch.len());
        // Webhooks whose receiver answered 410 Gone, turned off once the outcomes are
        // written: every writer of outcomes locks webhooks after the outcomes counter.
        let mut gone = HashSet::new();
        let mut turned_off = Vec::new();
        let mut notices = Vec::new();
        let mut tx = self.store.begin_write().await?;
        for f in batch {
            let (c, a) = (&f.claimed, &f.attempt);
            calls.push((c.webhook_id, f.started, status_of(a), a.delivered()));
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
                    db::app_log::log(&mut tx, &entry, now).await?;
                    // A person saw a synchronous call fail; only the queue's losses are told.
                    if f.trigger != Trigger::Synchronous {
                        notices.push(Notice::DeliveryDead {
                            delivery: c.id,
                            event: c.event_id,
                            message_id: c.message_id.clone(),
                            webhook: c.webhook_id,
                            wording: f.wording.clone(),
                            attempts: c.attempts,
                            last_error: error.map(str::to_owned),
                        });
                    }
                }
            }
            if decision == Decision::Gone && gone.insert(c.webhook_id) {
                turned_off.push(f);
            }
        }
        let outcomes = Outcome::tally(calls);
        db::attempts::record_outcomes(&mut tx, &attempts, &delivered, &outcomes, now).await?;
        for f in turned_off {
            let reason = "Turned off by Hookline: its receiver answered 410 Gone.".to_owned();
            let message = format!(
                "Webhook “{}” was deactivated: its receiver answered 410 Gone.",
                f.wording
            );
            let off = Failing {
                webhook: f.claimed.webhook_id,
                wording: &f.wording,
                since: None,
                failures: 0,
            };
            let event = Some(f.claimed.event_id);
            notices.push(turn_off(&mut tx, off, &reason, &message, event, now).await?);
        }
        if outcomes.iter().any(|o| o.failures > 0) {
            notices.extend(self.breakers.trip(&mut tx, &outcomes, now).await?);
        }
        let queued = operational::record(&mut tx, &self.webhooks, &notices, self.cap, now).await?;
        match keep {
            Keep::Durable => tx.commit().await?,
            Keep::Soon => tx.commit_in_background(),
        }
        if queued > 0 {
            self.wakeup.notify_one();
        }
        Ok(())
    }
}

impl Deliverer {
    /// Records what the background workers send, in batches, until every sender is gone.
    pub(super) async fn record_loop(
        self: Arc<Self>,
        mut done: mpsc::UnboundedReceiver<Unrecorded>,
    ) {
        while let Some(first) = done.recv().await {
            let mut batch = vec![first.finished];
            // Free again once the batch is written (or given up on).
            let mut rooms = vec![first.room];
            while batch.len() < RECORD_BATCH {
                match done.try_recv() {
                    Ok(u) => {
                        batch.push(u.finished);
                        rooms.push(u.room);
                    }
                    Err(_) => break,
                }
            }
            if let Err(e) = self.recorder().record(&batch, Keep::Durable).await {
                // Unrecorded attempts stay claimed; their lease runs out and they go again.
                tracing::error!(error = %e, attempts = batch.len(), "delivery attempts could not be recorded");
            } else if self.blocked.swap(false, Ordering::Relaxed) {
                self.wake();
            }
            drop(rooms);
        }
    }
}

/// An attempt's HTTP status, or 0 when none came back.
fn status_of(a: &Attempt) -> i64 {
    a.outcome
        .response
        .as_ref()
        .map_or(0, |r| i64::from(r.status))
}

/// Whether an attempt's record must be on disk before its caller goes on. A background
/// worker waits for the disk; a person waiting for a call's result (a synchronous webhook,
/// Retry now) is answered at once, the record written and committed in the background
/// (see `Writer::background_write`), before any later request reads.
#[derive(Debug, Clone, Copy)]
pub(super) enum Keep {
    Durable,
    Soon,
}

/// An attempt on its way to the recorder, holding its room among the unrecorded.
pub(super) struct Unrecorded {
    pub(super) finished: Finished,
    pub(super) room: OwnedSemaphorePermit,
}

/// An attempt made and not yet recorded.
pub(super) struct Finished {
    pub(super) claimed: Claimed,
    pub(super) wording: String,
    pub(super) trigger: Trigger,
    pub(super) started: i64,
    pub(super) attempt: Attempt,
}

/// An attempt as the database records it (secret header values masked).
pub fn new_attempt<'a>(
    delivery: Option<DeliveryId>,
    webhook_id: WebhookId,
    attempt_no: i64,
    trigger: Trigger,
    started: i64,
    a: &'a Attempt,
) -> anyhow::Result<db::attempts::NewAttempt<'a>> {
    let response = a.outcome.response.as_ref();
    Ok(db::attempts::NewAttempt {
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
    delivery: Option<DeliveryId>,
    webhook_id: WebhookId,
    attempt_no: i64,
    trigger: Trigger,
    started: i64,
    a: &Attempt,
) -> anyhow::Result<AttemptId> {
    let new = new_attempt(delivery, webhook_id, attempt_no, trigger, started, a)?;
    Ok(db::attempts::insert_attempt(tx, &new).await?)
}
