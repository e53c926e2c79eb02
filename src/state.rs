//! What every request handler shares.

use std::sync::Arc;

use sqlx::SqlitePool;

use crate::auth::Passwords;
use crate::config::Settings;
use crate::delivery::Deliverer;
use crate::services::webhook_list::WebhookList;

#[derive(Clone)]
pub struct AppState {
    pub pool: SqlitePool,
    pub settings: Arc<Settings>,
    pub passwords: Passwords,
    /// The webhook list's in-memory read model.
    pub webhook_list: Arc<WebhookList>,
    pub deliverer: Arc<Deliverer>,
}
