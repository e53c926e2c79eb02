//! What happens right after a change commits: the workers are woken for its asynchronous
//! deliveries, and its synchronous calls are made while the person waits, so the page can
//! show their results.

use crate::db::deliveries::Claimed;
use crate::delivery::Attempt;
use crate::events::Recorded;
use crate::events::record::Mode;
use crate::state::AppState;

/// The synchronous calls' results, in webhook order.
pub async fn after_commit(state: &AppState, recorded: &Recorded) -> Vec<Attempt> {
    if recorded.deliveries.iter().any(|d| d.mode == Mode::Async) {
        state.deliverer.wake();
    }
    let mut results = Vec::new();
    for d in recorded.deliveries.iter().filter(|d| d.mode != Mode::Async) {
        let call = match d.mode {
            // Written already claimed by the change, for this very call.
            Mode::Sync => {
                let claimed = Claimed {
                    id: d.id,
                    event_id: recorded.event_id,
                    webhook_id: d.webhook_id,
                    message_id: d.message_id.clone(),
                    attempts: 1,
                };
                state
                    .deliverer
                    .deliver_claimed(claimed, "synchronous")
                    .await
            }
            _ => state.deliverer.deliver_now(d.id, "synchronous").await,
        };
        match call {
            Ok(Some(attempt)) => results.push(attempt),
            Ok(None) => {}
            Err(e) => {
                tracing::error!(delivery_id = d.id, error = %e, "synchronous call could not be recorded")
            }
        }
    }
    results
}
