//! The built-in inbox: each person's address served by Hookline itself, where webhooks and
//! Tests pointed at it are kept (the last 100), with whether their signature verifies.

use super::ServiceError;
use crate::db;
pub use crate::db::inbox::{InboxRow, KEPT};
use crate::domain::ids::UserId;
use crate::state::AppState;

/// `user`'s inbox address under `base` (the public URL, or this machine's address).
pub async fn address(state: &AppState, user: UserId, base: &str) -> Result<String, ServiceError> {
    let key = db::inbox::key_of(&state.store, user).await?;
    Ok(format!("{}/inbox/{key}", base.trim_end_matches('/')))
}

pub async fn requests(state: &AppState, user: UserId) -> Result<Vec<InboxRow>, ServiceError> {
    Ok(db::inbox::requests(&state.store, user).await?)
}

pub async fn clear(state: &AppState, user: UserId) -> Result<u64, ServiceError> {
    Ok(db::inbox::clear(&state.store, user).await?)
}

/// A request that came over the network to an inbox address: kept, its signature checked
/// when its `webhook-id` names a delivery of a webhook. False when there is no such inbox.
pub async fn receive(
    state: &AppState,
    key: &str,
    method: &str,
    target: &str,
    headers: &[(String, String)],
    body: &str,
) -> Result<bool, ServiceError> {
    let Some(owner) = db::inbox::owner(&state.store, key).await? else {
        return Ok(false);
    };
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let sender = match header("webhook-id") {
        Some(message_id) => db::deliveries::webhook_of_message(&state.store, message_id).await?,
        None => None,
    };
    let verified = match sender {
        Some(id) => db::webhooks::find(&state.store, &state.keys, id)
            .await?
            .map(|w| crate::delivery::inbox::signed_by(&w, header, body)),
        None => None,
    };
    let shown: Vec<(String, String)> = headers.to_vec();
    let headers = serde_json::to_string(&shown).unwrap_or_default();
    let received = db::inbox::Received {
        webhook: sender,
        method,
        target,
        headers: &headers,
        body,
        verified,
    };
    db::inbox::keep(&state.store, owner, &received, db::now_ms()).await?;
    Ok(true)
}
