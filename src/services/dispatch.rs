//! What happens right after a change commits: the deliveries it wrote claimed go to the
//! workers (the others wait in the queue, and the workers are woken for them), and its
//! synchronous calls are made while the person waits, so the page can show their results.

use super::change::{Delivery, Recorded};
use crate::db::deliveries::Claimed;
use crate::delivery::Attempt;
use crate::delivery::engine::Handed;
use crate::domain::delivery::Trigger;
use crate::domain::webhook::Mode;
use crate::state::AppState;

/// The synchronous calls' results, in webhook order.
pub async fn after_commit(state: &AppState, recorded: &Recorded) -> Vec<Attempt> {
    let (handed, queued): (Vec<&Delivery>, Vec<&Delivery>) = recorded
        .deliveries
        .iter()
        .filter(|d| d.mode == Mode::Asynchronous)
        .partition(|d| d.claimed);
    if !handed.is_empty() {
        state
            .deliverer
            .hand_over(Handed {
                event: recorded.event.clone(),
                deliveries: handed.into_iter().map(|d| claimed(recorded, d)).collect(),
            })
            .await;
    }
    if !queued.is_empty() {
        state.deliverer.wake();
        // Workers of other instances sharing the database may take them as well.
        state.store.announce_deliveries();
    }
    let mut results = Vec::new();
    for d in recorded
        .deliveries
        .iter()
        .filter(|d| d.mode != Mode::Asynchronous)
    {
        let call = if d.claimed {
            let handed = Handed {
                event: recorded.event.clone(),
                deliveries: vec![claimed(recorded, d)],
            };
            state
                .deliverer
                .deliver_claimed(handed, Trigger::Synchronous)
                .await
        } else {
            state.deliverer.deliver_now(d.id).await
        };
        match call {
            Ok(Some(attempt)) => results.push(attempt),
            Ok(None) => {}
            Err(e) => {
                tracing::error!(delivery_id = %d.id, error = %e, "synchronous call could not be recorded")
            }
        }
    }
    results
}

/// A delivery the change wrote claimed, as the engine takes it.
fn claimed(recorded: &Recorded, d: &Delivery) -> Claimed {
    Claimed {
        id: d.id,
        event_id: recorded.event_id,
        webhook_id: d.webhook_id,
        message_id: d.message_id.clone(),
        attempts: 1,
        manual_attempts: 0,
        webhooks_version: recorded.webhooks_version,
        restore: None,
    }
}
