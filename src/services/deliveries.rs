//! The queue as Pending orders and the API show it: deliveries by state and webhook, each
//! with its attempts, the application log, and what an operator may do (retry now, cancel).

use super::{Actor, ServiceError};
use crate::db;
use crate::db::app_log::LogEntry;
pub use crate::db::app_log::LogRow;
pub use crate::db::attempts::AttemptRow;
pub use crate::db::deliveries::{DeliveryRow, NotClaimed};
use crate::delivery::Attempt;
use crate::domain::app_log::{LogKind, LogLevel};
use crate::domain::delivery_search::{Cursor, DeliverySearch};
use crate::domain::ids::{AttemptId, DeliveryId, WebhookId};
use crate::state::AppState;

/// One delivery and every attempt at it, oldest first.
pub async fn delivery(
    state: &AppState,
    id: DeliveryId,
) -> Result<(DeliveryRow, Vec<AttemptRow>), ServiceError> {
    let d = db::deliveries::find(&state.store, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let attempts = db::attempts::attempts(&state.store, d.id).await?;
    Ok((d, attempts))
}

/// One attempt and the webhook it called: an in-transaction call that refused its change
/// belongs to no delivery, and is reached from the application log.
pub async fn attempt(
    state: &AppState,
    id: AttemptId,
) -> Result<(WebhookId, AttemptRow), ServiceError> {
    db::attempts::attempt(&state.store, id)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// Sends a delivery at once, whatever its schedule; None if its webhook was deleted.
pub async fn retry_now(
    state: &AppState,
    id: DeliveryId,
) -> Result<Result<Option<Attempt>, NotClaimed>, ServiceError> {
    Ok(state.deliverer.retry_now(id).await?)
}

/// Cancels a delivery that has not gone out or gave up; false if it is past that.
pub async fn cancel(state: &AppState, id: DeliveryId) -> Result<bool, ServiceError> {
    db::deliveries::find(&state.store, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    Ok(db::deliveries::cancel(&state.store, id, db::now_ms()).await?)
}

/// The newest entries of the application log.
pub async fn log(state: &AppState, limit: u32) -> Result<Vec<LogRow>, ServiceError> {
    Ok(db::app_log::list(&state.store, i64::from(limit)).await?)
}

/// A page of a delivery search, newest first, and where the next page starts.
pub struct Page {
    pub rows: Vec<DeliveryRow>,
    /// Set when older matches remain: where the next page starts.
    pub next: Option<Cursor>,
}

/// The deliveries that match, a page at a time: never a silent cap.
pub async fn search(state: &AppState, search: &DeliverySearch) -> Result<Page, ServiceError> {
    let mut rows = db::deliveries::search(&state.store, search).await?;
    let more = rows.len() > search.limit as usize;
    rows.truncate(search.limit as usize);
    let next = rows.last().filter(|_| more).map(|r| Cursor {
        created_at: r.created_at,
        id: r.id,
    });
    Ok(Page { rows, next })
}

/// What a bulk action did: how many it changed, how many it left (in flight, delivered, or
/// otherwise past acting on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bulk {
    pub done: u64,
    pub skipped: u64,
}

/// The most deliveries one bulk action takes.
pub const MAX_BULK: usize = 500;

fn bulk_ids(ids: &[DeliveryId]) -> Result<Vec<DeliveryId>, ServiceError> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Err(ServiceError::field("ids", "Select at least one delivery."));
    }
    if ids.len() > MAX_BULK {
        return Err(ServiceError::field(
            "ids",
            format!("Select at most {MAX_BULK} deliveries at a time."),
        ));
    }
    Ok(ids)
}

/// Retry now, for several deliveries: the queued, waiting and dead ones among them fall due
/// at once and the workers send them, in order per object.
pub async fn retry_all(state: &AppState, ids: &[DeliveryId]) -> Result<Bulk, ServiceError> {
    let ids = bulk_ids(ids)?;
    let done = db::deliveries::due_now(&state.store, &ids, db::now_ms()).await?;
    if done > 0 {
        wake_workers(state);
    }
    Ok(Bulk {
        done,
        skipped: ids.len() as u64 - done,
    })
}

/// Cancel, for several deliveries: those that have not gone out or gave up.
pub async fn cancel_all(state: &AppState, ids: &[DeliveryId]) -> Result<Bulk, ServiceError> {
    let ids = bulk_ids(ids)?;
    let done = db::deliveries::cancel_all(&state.store, &ids, db::now_ms()).await?;
    Ok(Bulk {
        done,
        skipped: ids.len() as u64 - done,
    })
}

/// Sends again every failed delivery of a webhook created since `since` (waiting for a
/// retry, dead or cancelled), at once and in order per object, each with its message id;
/// the application log says who did it. Gives how many.
pub async fn recover(
    state: &AppState,
    actor: &Actor,
    webhook: WebhookId,
    since: i64,
) -> Result<u64, ServiceError> {
    let now = db::now_ms();
    if since > now {
        return Err(ServiceError::field("since", "This time has not come yet."));
    }
    let mut tx = state.store.begin_write().await?;
    let w = db::webhooks::find(&mut tx, &state.keys, webhook)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !w.active {
        tx.rollback().await?;
        return Err(ServiceError::Conflict(
            "This webhook is inactive: activate it first, then send its deliveries again.".into(),
        ));
    }
    let n = db::deliveries::recover(&mut tx, webhook, since, now).await?;
    if n > 0 {
        let message = format!(
            "{} sent {n} failed deliveries of webhook “{}” again (those created since {}).",
            actor.name,
            w.wording,
            crate::events::payload::timestamp(since),
        );
        let entry = LogEntry {
            level: LogLevel::Info,
            kind: LogKind::Recovered,
            message: &message,
            webhook_id: Some(webhook),
            event_id: None,
            attempt_id: None,
        };
        db::app_log::log(&mut tx, &entry, now).await?;
    }
    tx.commit().await?;
    if n > 0 {
        wake_workers(state);
    }
    Ok(n)
}

fn wake_workers(state: &AppState) {
    state.deliverer.wake();
    state.store.announce_deliveries();
}
