//! Webhooks as stored, for the form, the API and the history page: secrets opened, headers
//! in order.

use super::ServiceError;
use crate::db;
pub use crate::db::history::EntryRow as HistoryEntry;
pub use crate::db::webhooks::{HeaderRow, WebhookRow};
use crate::domain::ids::WebhookId;
use crate::domain::webhook::ListCriteria;
use crate::services::webhook_list::Sort;
use crate::state::AppState;

/// One webhook, if it exists.
pub async fn find(state: &AppState, id: WebhookId) -> Result<Option<WebhookRow>, ServiceError> {
    Ok(db::webhooks::find(&state.store, &state.keys, id).await?)
}

/// One webhook.
pub async fn webhook(state: &AppState, id: WebhookId) -> Result<WebhookRow, ServiceError> {
    find(state, id).await?.ok_or(ServiceError::NotFound)
}

/// One webhook and its headers in order.
pub async fn with_headers(
    state: &AppState,
    id: WebhookId,
) -> Result<(WebhookRow, Vec<HeaderRow>), ServiceError> {
    let row = webhook(state, id).await?;
    let headers = db::webhooks::headers(&state.store, &state.keys, id).await?;
    Ok((row, headers))
}

/// A webhook's history, newest first, and whether the webhook still exists (its history
/// outlives it). None if it never existed.
pub async fn history(
    state: &AppState,
    id: WebhookId,
) -> Result<(Vec<HistoryEntry>, bool), ServiceError> {
    let entries = db::history::for_webhook(&state.store, id).await?;
    if entries.is_empty() {
        return Err(ServiceError::NotFound);
    }
    Ok((entries, db::webhooks::exists(&state.store, id).await?))
}

/// A page of the webhooks matching `criteria` in the list's order, with their headers, and
/// how many match in all.
pub async fn page(
    state: &AppState,
    criteria: &ListCriteria,
    order: (Sort, bool),
    (offset, limit): (usize, usize),
) -> Result<(usize, Vec<(WebhookRow, Vec<HeaderRow>)>), ServiceError> {
    let generations = db::snapshot::generations(&state.store).await?;
    state
        .webhook_list
        .page(
            (&state.store, &state.webhooks),
            generations,
            criteria,
            order,
            (offset, limit),
            |p| {
                let rows = p.rows.iter().map(|r| {
                    let mut row = r.webhook.row.clone();
                    row.last_execution_at = r.last_execution_at;
                    row.last_status = r.last_status;
                    (row, r.webhook.headers.clone())
                });
                (p.total, rows.collect())
            },
        )
        .await
}
