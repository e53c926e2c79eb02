//! The queue as Pending orders and the API show it: deliveries by state and webhook, each
//! with its attempts, the application log, and what an operator may do (retry now, cancel).

use super::ServiceError;
use crate::db;
pub use crate::db::app_log::LogRow;
pub use crate::db::attempts::AttemptRow;
pub use crate::db::deliveries::{DeliveryRow, NotClaimed};
use crate::delivery::Attempt;
use crate::domain::delivery::DeliveryState;
use crate::domain::ids::{AttemptId, DeliveryId, WebhookId};
use crate::state::AppState;

/// The newest deliveries first, by state and webhook.
pub async fn deliveries(
    state: &AppState,
    by_state: Option<DeliveryState>,
    webhook: Option<WebhookId>,
    limit: u32,
) -> Result<Vec<DeliveryRow>, ServiceError> {
    Ok(db::deliveries::list(&state.store, by_state, webhook, i64::from(limit)).await?)
}

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
