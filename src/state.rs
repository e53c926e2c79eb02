//! What every request handler shares.

use std::sync::Arc;

use crate::db::Store;
use crate::db::snapshot::Snapshot;

use crate::auth::Passwords;
use crate::config::Settings;
use crate::delivery::Deliverer;
use crate::metrics::Metrics;
use crate::sealing::Keyring;
use crate::services::change::Routing;
use crate::services::webhook_list::WebhookList;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub settings: Arc<Settings>,
    pub passwords: Passwords,
    /// The webhook list's in-memory read model.
    pub webhook_list: Arc<WebhookList>,
    /// Every webhook as committed, shared by the list, routing and the delivery engine.
    pub webhooks: Arc<Snapshot>,
    pub deliverer: Arc<Deliverer>,
    /// The keys that seal stored secrets.
    pub keys: Arc<Keyring>,
    pub metrics: Arc<Metrics>,
}

impl AppState {
    /// Opens the database (migrations applied) and the secret keys, and builds what the
    /// server and the command line share on them.
    pub async fn open(settings: Settings) -> anyhow::Result<AppState> {
        settings.validate()?;
        let store = Store::open_with(&settings.database_url, settings.database_connections).await?;
        let keys = crate::services::secret_keys::open(&store, &settings.secret_keys).await?;
        let keys = Arc::new(keys);
        let settings = Arc::new(settings);
        let webhooks = Arc::new(Snapshot::new(store.clone(), keys.clone()));
        let metrics = Arc::new(Metrics::new(crate::db::commit_timer()));
        let deliverer = Deliverer::new(
            store.clone(),
            settings.clone(),
            webhooks.clone(),
            metrics.clone(),
        )?;
        Ok(AppState {
            store,
            settings,
            passwords: Passwords::new()?,
            webhook_list: Default::default(),
            webhooks,
            deliverer: Arc::new(deliverer),
            keys,
            metrics,
        })
    }

    pub fn routing(&self) -> Routing<'_> {
        Routing {
            webhooks: &self.webhooks,
            cap: self.settings.max_hooks_per_action,
            lease_ms: self.settings.delivery_lease.as_millis() as i64,
            hand_over: self.deliverer.takes_hand_overs(),
        }
    }
}
