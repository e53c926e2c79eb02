//! The webhooks the engine sends for, as committed, read once per change of the webhooks
//! counter.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::db::Store;

use crate::db::webhooks::{HeaderRow, WebhookRow};
use crate::db::{self};
use crate::domain::ids::WebhookId;
use crate::sealing::Keyring;

pub type WebhookRows = Option<(Arc<WebhookRow>, Arc<Vec<HeaderRow>>)>;

/// Webhooks with their headers as committed at one value of the webhooks counter (None for
/// one that does not exist), filled as deliveries need them and dropped when it moves.
#[derive(Default)]
pub(super) struct WebhookCache {
    at: Mutex<(Option<i64>, HashMap<WebhookId, WebhookRows>)>,
}

impl WebhookCache {
    /// The webhooks `ids` as of counter `version` or later, and the counter they are at: the
    /// last committed one, which may be below `version` when that is not committed yet.
    pub(super) async fn get(
        &self,
        pool: &Store,
        keys: &Keyring,
        version: i64,
        ids: &[WebhookId],
    ) -> sqlx::Result<(i64, HashMap<WebhookId, WebhookRows>)> {
        {
            let at = self.at.lock().expect("webhook cache lock");
            if let Some(v) = at.0
                && v >= version
                && ids.iter().all(|id| at.1.contains_key(id))
            {
                return Ok((v, ids.iter().map(|id| (*id, at.1[id].clone())).collect()));
            }
        }
        let (committed, mut webhooks, mut headers) =
            db::webhooks::committed_many(pool, keys, ids).await?;
        let found: HashMap<WebhookId, WebhookRows> = ids
            .iter()
            .map(|id| {
                let rows = webhooks.remove(id).map(|w| {
                    (
                        Arc::new(w),
                        Arc::new(headers.remove(id).unwrap_or_default()),
                    )
                });
                (*id, rows)
            })
            .collect();
        let mut at = self.at.lock().expect("webhook cache lock");
        if at.0 != Some(committed) {
            *at = (Some(committed), HashMap::new());
        }
        at.1.extend(found.iter().map(|(id, rows)| (*id, rows.clone())));
        Ok((committed, found))
    }
}
