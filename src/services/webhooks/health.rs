//! A webhook's health: its calls over the last day and week, hour by hour over the last
//! day, its current run of failures and its next retry.

use crate::db;
pub use crate::db::webhook_health::{Hour, Run, Window};
use crate::db::webhooks::WebhookRow;
use crate::domain::ids::WebhookId;
use crate::services::ServiceError;
use crate::state::AppState;

const HOUR_MS: i64 = 3_600_000;
pub const HOURS: usize = 24;

pub struct Health {
    pub webhook: WebhookRow,
    pub day: Window,
    pub week: Window,
    pub run: Run,
    /// The last 24 hours, oldest first; the last one ends now.
    pub hours: Vec<Hour>,
    /// When the first of those hours starts (ms).
    pub hours_from: i64,
}

pub async fn health(state: &AppState, id: WebhookId) -> Result<Health, ServiceError> {
    let webhook = super::stored::webhook(state, id).await?;
    let now = db::now_ms();
    // Whole hours, the current one last.
    let hours_from = (now / HOUR_MS + 1 - HOURS as i64) * HOUR_MS;
    let store = &state.store;
    Ok(Health {
        day: db::webhook_health::window(store, id, now - 24 * HOUR_MS).await?,
        week: db::webhook_health::window(store, id, now - 7 * 24 * HOUR_MS).await?,
        run: db::webhook_health::run(store, id).await?,
        hours: db::webhook_health::hours(store, id, hours_from, HOURS).await?,
        hours_from,
        webhook,
    })
}
