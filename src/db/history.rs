//! The append-only, hash-chained history of webhook changes.

use crate::db::{execute, on};
use sha2::{Digest, Sha256};
use sqlx::FromRow;

use super::{Store, Tx};
use crate::domain::ids::{UserId, WebhookId};

pub struct NewEntry<'a> {
    pub webhook_id: WebhookId,
    pub at: i64,
    pub actor_id: Option<UserId>,
    pub actor_name: &'a str,
    pub action: &'a str,
    pub wording: &'a str,
    /// JSON: a list of {field, before, after}, secrets already masked.
    pub changes: &'a str,
    /// JSON: the whole webhook after the change, secret values left out; kept beside the
    /// chain (not hashed), to show and restore versions.
    pub settings: Option<&'a str>,
}

#[derive(Debug, Clone, FromRow)]
pub struct EntryRow {
    pub id: i64,
    pub webhook_id: WebhookId,
    pub at: i64,
    pub actor_id: Option<UserId>,
    pub actor_name: String,
    pub action: String,
    pub wording: String,
    pub changes: String,
    pub settings: Option<String>,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
}

impl NewEntry<'_> {
    /// The hash of an entry: the previous hash, then each field length-prefixed so that no
    /// two different entries can serialise alike.
    pub fn hash(&self, prev: &[u8]) -> Vec<u8> {
        let mut h = Sha256::new();
        h.update(prev);
        h.update(self.webhook_id.get().to_be_bytes());
        h.update(self.at.to_be_bytes());
        h.update(self.actor_id.map_or(-1, UserId::get).to_be_bytes());
        for text in [self.actor_name, self.action, self.wording, self.changes] {
            h.update((text.len() as u64).to_be_bytes());
            h.update(text.as_bytes());
        }
        h.finalize().to_vec()
    }
}

impl EntryRow {
    pub fn as_new(&self) -> NewEntry<'_> {
        NewEntry {
            webhook_id: self.webhook_id,
            at: self.at,
            actor_id: self.actor_id,
            actor_name: &self.actor_name,
            action: &self.action,
            wording: &self.wording,
            changes: &self.changes,
            settings: self.settings.as_deref(),
        }
    }
}

/// Appends within the caller's write transaction, one at a time (each entry's hash covers
/// the one before).
pub async fn append(tx: &mut Tx, e: &NewEntry<'_>) -> sqlx::Result<()> {
    tx.serialize("webhook history").await?;
    let prev: Vec<u8> =
        on!(&mut *tx, ex => sqlx::query_scalar("SELECT hash FROM webhook_history ORDER BY id DESC LIMIT 1")
            .fetch_optional(ex)
            .await)?
            .unwrap_or_else(|| vec![0u8; 32]);
    let hash = e.hash(&prev);
    execute!(&mut *tx, sqlx::query(
        "INSERT INTO webhook_history (webhook_id, at, actor_id, actor_name, action, wording, changes, prev_hash, hash,
             settings)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(e.webhook_id)
    .bind(e.at)
    .bind(e.actor_id)
    .bind(e.actor_name)
    .bind(e.action)
    .bind(e.wording)
    .bind(e.changes)
    .bind(prev)
    .bind(hash)
    .bind(e.settings))?;
    Ok(())
}

pub async fn find(store: &Store, id: i64) -> sqlx::Result<Option<EntryRow>> {
    on!(store, ex => sqlx::query_as(
        "SELECT id, webhook_id, at, actor_id, actor_name, action, wording, changes, settings, prev_hash, hash
         FROM webhook_history WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(ex)
    .await)
}

pub async fn for_webhook(store: &Store, webhook_id: WebhookId) -> sqlx::Result<Vec<EntryRow>> {
    on!(store, ex => sqlx::query_as(
        "SELECT id, webhook_id, at, actor_id, actor_name, action, wording, changes, settings, prev_hash, hash
         FROM webhook_history WHERE webhook_id = $1 ORDER BY id DESC",
    )
    .bind(webhook_id)
    .fetch_all(ex)
    .await)
}

/// Every entry in chain order, a page at a time.
pub async fn page_in_order(
    store: &Store,
    after_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<EntryRow>> {
    on!(store, ex => sqlx::query_as(
        "SELECT id, webhook_id, at, actor_id, actor_name, action, wording, changes, settings, prev_hash, hash
         FROM webhook_history WHERE id > $1 ORDER BY id LIMIT $2",
    )
    .bind(after_id)
    .bind(limit)
    .fetch_all(ex)
    .await)
}
