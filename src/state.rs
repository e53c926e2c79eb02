//! What every request handler shares.

use std::sync::Arc;

use sqlx::SqlitePool;

use crate::auth::Passwords;
use crate::config::Settings;
use crate::delivery::Deliverer;
use crate::events::Routing;
use crate::events::routes::Routes;
use crate::services::webhook_list::WebhookList;

#[derive(Clone)]
pub struct AppState {
    pub pool: SqlitePool,
    pub settings: Arc<Settings>,
    pub passwords: Passwords,
    /// The webhook list's in-memory read model.
    pub webhook_list: Arc<WebhookList>,
    /// The active webhooks' routes, cached for recording changes.
    pub routes: Arc<Routes>,
    pub deliverer: Arc<Deliverer>,
}

impl AppState {
    pub fn routing(&self) -> Routing<'_> {
        Routing {
            routes: &self.routes,
            pool: &self.pool,
            cap: self.settings.max_hooks_per_action,
            lease_ms: self.settings.delivery_lease.as_millis() as i64,
            hand_over: self.deliverer.takes_hand_overs(),
        }
    }
}
