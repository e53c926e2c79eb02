//! Running a change so that synchronous in-transaction webhooks can veto it, without holding
//! SQLite's single write lock across a network call:
//!
//! 1. apply the change in a transaction and record its event and deliveries;
//! 2. if a webhook must approve it, build those requests from the proposed state, roll back;
//! 3. call them all at once — any error or non-2xx cancels the change, and the person is
//!    told why;
//! 4. otherwise apply the change again in a short transaction, refuse it if someone changed
//!    the object meanwhile (its change version moved), keep the message ids the receivers
//!    already saw, and commit.

pub mod record;

pub use record::{Change, Delivery, Initiator, Recorded, Routing, record};

use std::sync::Arc;

use futures_util::future::join_all;

use super::ServiceError;
use super::dispatch::after_commit;
use crate::db::app_log::LogEntry;
use crate::db::attempts::Outcome;
use crate::db::snapshot::{Snapshot, Webhook};
use crate::db::{self, Tx};
use crate::delivery::Attempt;
use crate::delivery::engine::{insert_attempt, new_attempt};
use crate::domain::app_log::{LogKind, LogLevel};
use crate::domain::delivery::Trigger;
use crate::domain::event::Event;
use crate::domain::ids::{DeliveryId, WebhookId};
use crate::domain::webhook::Mode;
use crate::state::AppState;

/// A committed change: its events (one, or a cascade's several: a project deleted with its
/// phases), its value, and the synchronous calls made after commit.
pub struct Committed<T> {
    pub recorded: Vec<Recorded>,
    pub value: T,
    pub calls: Vec<Attempt>,
}

const CHANGED_MEANWHILE: &str = "Someone changed this object while the webhooks were being called: nothing was saved. Reload and try again.";

fn approving(d: &Delivery) -> bool {
    d.mode == Mode::SynchronousInTransaction
}

/// Runs `change` (which writes the change and records its events in the transaction it is
/// given); `None` when it changed nothing. Every in-transaction webhook of every event must
/// approve, or nothing is saved.
pub async fn run<T>(
    state: &AppState,
    change: impl AsyncFn(&mut Tx) -> Result<Option<(Vec<Recorded>, T)>, ServiceError>,
) -> Result<Option<Committed<T>>, ServiceError> {
    let mut tx = state.store.begin_write().await?;
    let Some((recorded, value)) = change(&mut tx).await? else {
        return Ok(None);
    };
    if !recorded.iter().any(|r| r.deliveries.iter().any(approving)) {
        tx.commit().await?;
        state.metrics.changes_recorded(recorded.len());
        let calls = after_commit_all(state, &recorded).await;
        return Ok(Some(Committed {
            recorded,
            value,
            calls,
        }));
    }
    let mut requests = Vec::new();
    for r in &recorded {
        requests.push(approval_requests(&mut tx, &state.webhooks, r).await?);
    }
    tx.rollback().await?;

    let per_event: Vec<usize> = requests.iter().map(Vec::len).collect();
    let attempts = call_all(state, requests.into_iter().flatten().collect()).await;
    if let Some(refusing) = attempts.iter().position(|(_, a)| !a.delivered()) {
        let event = event_of_call(&recorded, &per_event, refusing);
        record_veto(state, &attempts, refusing, event).await?;
        state.metrics.vetoed();
        return Err(ServiceError::Vetoed(veto_message(&attempts[refusing].1)));
    }

    let approved = async {
        let mut tx = state.store.begin_write().await?;
        let Some((again, value)) = change(&mut tx).await? else {
            return Err(ServiceError::Conflict(CHANGED_MEANWHILE.into()));
        };
        let same_versions = again
            .iter()
            .map(|r| r.change_version)
            .eq(recorded.iter().map(|r| r.change_version));
        let same_hooks = again
            .iter()
            .flat_map(|r| r.deliveries.iter().filter(|d| approving(d)))
            .map(|d| d.webhook_id)
            .eq(attempts.iter().map(|(d, _)| d.webhook_id));
        if !same_versions || !same_hooks {
            return Err(ServiceError::Conflict(CHANGED_MEANWHILE.into()));
        }
        let mut from = 0;
        for ((first, again), n) in recorded.iter().zip(&again).zip(&per_event) {
            keep_ids(&mut tx, first, again, &attempts[from..from + n]).await?;
            from += n;
        }
        record_approvals(&mut tx, &attempts.iter().collect::<Vec<_>>()).await?;
        tx.commit().await?;
        let mut again = again;
        for (again, first) in again.iter_mut().zip(&recorded) {
            Arc::make_mut(&mut again.event).event_id = first.event.event_id.clone();
        }
        Ok((again, value))
    };
    let (again, value) = match approved.await {
        Ok(saved) => saved,
        Err(e) => {
            record_approvals_alone(state, &attempts).await?;
            return Err(e);
        }
    };
    state.metrics.changes_recorded(again.len());
    // The approvals are made and settled: what is left are the calls after commit.
    let rest: Vec<Recorded> = again
        .iter()
        .map(|r| Recorded {
            deliveries: r
                .deliveries
                .iter()
                .filter(|d| !approving(d))
                .cloned()
                .collect(),
            ..r.clone()
        })
        .collect();
    let calls = after_commit_all(state, &rest).await;
    Ok(Some(Committed {
        recorded: again,
        value,
        calls,
    }))
}

async fn after_commit_all(state: &AppState, recorded: &[Recorded]) -> Vec<Attempt> {
    let mut calls = Vec::new();
    for r in recorded {
        calls.extend(after_commit(state, r).await);
    }
    calls
}

/// An in-transaction webhook to call about the proposed change.
struct Approval {
    webhook: Arc<Webhook>,
    event: Arc<Event>,
    message_id: String,
}

async fn approval_requests(
    tx: &mut Tx,
    webhooks: &Arc<Snapshot>,
    recorded: &Recorded,
) -> Result<Vec<Approval>, ServiceError> {
    let event = &recorded.event;
    // The webhooks exactly as the change saw them.
    let webhooks = webhooks.seen_by(tx, recorded.webhooks_version).await?;
    let mut out = Vec::new();
    for d in recorded.deliveries.iter().filter(|d| approving(d)) {
        let Some(webhook) = webhooks.get(d.webhook_id) else {
            continue;
        };
        out.push(Approval {
            webhook: webhook.clone(),
            event: event.clone(),
            message_id: d.message_id.clone(),
        });
    }
    Ok(out)
}

struct Called {
    webhook_id: WebhookId,
    wording: String,
    message_id: String,
}

/// Calls every approver at once; the first refusal is reported.
async fn call_all(state: &AppState, approvals: Vec<Approval>) -> Vec<(Called, Attempt)> {
    let caller = state.deliverer.caller();
    let calls = approvals.into_iter().map(|a| async move {
        let attempt = caller
            .call(
                &a.webhook.row,
                &a.webhook.headers,
                &a.event,
                &a.message_id,
                Trigger::Synchronous,
            )
            .await
            .unwrap_or_else(Attempt::unsendable);
        let called = Called {
            webhook_id: a.webhook.row.id,
            wording: a.webhook.row.wording.clone(),
            message_id: a.message_id,
        };
        (called, attempt)
    });
    join_all(calls).await
}

/// The event whose approval call number `call` was (calls are made event after event).
fn event_of_call<'a>(recorded: &'a [Recorded], per_event: &[usize], call: usize) -> &'a Event {
    let mut before = 0;
    for (r, n) in recorded.iter().zip(per_event) {
        if call < before + n {
            return &r.event;
        }
        before += n;
    }
    &recorded[recorded.len() - 1].event
}

/// The calls of a refused change, which itself leaves no trace: each kept in its webhook's
/// attempts, and the refusal in the application log with the call that made it.
async fn record_veto(
    state: &AppState,
    attempts: &[(Called, Attempt)],
    refusing: usize,
    event: &Event,
) -> Result<(), ServiceError> {
    let now = db::now_ms();
    let (called, attempt) = &attempts[refusing];
    let mut tx = state.store.begin_write().await?;
    let others: Vec<&(Called, Attempt)> = attempts
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != refusing)
        .map(|(_, a)| a)
        .collect();
    record_approvals(&mut tx, &others).await?;
    let id = insert_attempt(
        &mut tx,
        None,
        called.webhook_id,
        1,
        Trigger::Synchronous,
        now,
        attempt,
    )
    .await?;
    let status = attempt
        .outcome
        .response
        .as_ref()
        .map_or(0, |r| i64::from(r.status));
    let outcome = Outcome::tally([(called.webhook_id, now, status, attempt.delivered())]);
    db::attempts::record_outcomes(&mut tx, &[], &[], &outcome, now).await?;
    let message = format!(
        "Webhook \u{201c}{}\u{201d} refused {} of {} #{} by {}, so nothing was saved. {}",
        called.wording,
        event.event_type,
        event.object_type.code(),
        event.object_id,
        event.initiator_name,
        refusal_reason(attempt)
    );
    let entry = LogEntry {
        level: LogLevel::Warning,
        kind: LogKind::Vetoed,
        message: &message,
        webhook_id: Some(called.webhook_id),
        event_id: None,
        attempt_id: Some(id),
    };
    db::app_log::log(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok(())
}

/// The approval calls of a change that was not saved.
async fn record_approvals_alone(
    state: &AppState,
    attempts: &[(Called, Attempt)],
) -> Result<(), ServiceError> {
    let mut tx = state.store.begin_write().await?;
    record_approvals(&mut tx, &attempts.iter().collect::<Vec<_>>()).await?;
    tx.commit().await?;
    Ok(())
}

/// Every approval call is kept in its webhook's attempts, whichever way the change went:
/// with the change when it is saved, on their own when it is refused.
async fn record_approvals(
    tx: &mut Tx,
    attempts: &[&(Called, Attempt)],
) -> Result<(), ServiceError> {
    let now = db::now_ms();
    let mut rows = Vec::with_capacity(attempts.len());
    let mut calls = Vec::with_capacity(attempts.len());
    for (called, attempt) in attempts {
        rows.push(new_attempt(
            None,
            called.webhook_id,
            1,
            Trigger::Synchronous,
            now,
            attempt,
        )?);
        let status = attempt
            .outcome
            .response
            .as_ref()
            .map_or(0, |r| i64::from(r.status));
        calls.push((called.webhook_id, now, status, attempt.delivered()));
    }
    let outcomes = Outcome::tally(calls);
    db::attempts::record_outcomes(tx, &rows, &[], &outcomes, now).await?;
    Ok(())
}

/// The receivers saw the first run's ids: the committed event and deliveries keep them, and
/// the approvals count as delivered.
async fn keep_ids(
    tx: &mut Tx,
    first: &Recorded,
    again: &Recorded,
    attempts: &[(Called, Attempt)],
) -> Result<(), ServiceError> {
    let approvals: Vec<(DeliveryId, &str)> = again
        .deliveries
        .iter()
        .filter(|d| approving(d))
        .zip(attempts)
        .map(|(d, (called, _))| (d.id, called.message_id.as_str()))
        .collect();
    db::deliveries::keep_approved(
        tx,
        again.event_id,
        &first.event.event_id,
        &approvals,
        db::now_ms(),
    )
    .await?;
    Ok(())
}

/// The refusing call and the reason its receiver gave: "Request sent to <url> (status
/// code: 422): Budget over the limit".
fn refusal_reason(a: &Attempt) -> String {
    let reason: String = a
        .outcome
        .response
        .as_ref()
        .map(|r| r.body.trim().chars().take(200).collect())
        .unwrap_or_default();
    if reason.is_empty() {
        format!("{}.", a.summary())
    } else {
        format!("{}: {reason}", a.summary())
    }
}

fn veto_message(a: &Attempt) -> String {
    format!(
        "The change was cancelled by a webhook. {}",
        refusal_reason(a)
    )
}
