//! The built-in inbox: each person's key, and the last requests their address received.

use sqlx::FromRow;

use super::{Source, Store, execute, on};
use crate::domain::ids::{UserId, WebhookId};

/// The most requests an inbox keeps.
pub const KEPT: i64 = 100;

/// The key of `user`'s inbox, made now if there is none yet.
pub async fn key_of(store: &Store, user: UserId) -> sqlx::Result<String> {
    let fresh = crate::random::token();
    let mut tx = store.begin_write().await?;
    execute!(
        &mut tx,
        sqlx::query(
            "INSERT INTO inboxes (user_id, key) VALUES ($1, $2) ON CONFLICT (user_id) DO NOTHING"
        )
        .bind(user)
        .bind(&fresh)
    )?;
    let key: String = on!(&mut tx, ex => sqlx::query_scalar("SELECT key FROM inboxes WHERE user_id = $1")
        .bind(user)
        .fetch_one(ex)
        .await)?;
    tx.commit().await?;
    Ok(key)
}

/// Whose inbox `key` opens.
pub async fn owner(db: impl Into<Source<'_>>, key: &str) -> sqlx::Result<Option<UserId>> {
    on!(db, ex => sqlx::query_scalar("SELECT user_id FROM inboxes WHERE key = $1")
        .bind(key)
        .fetch_optional(ex)
        .await)
}

/// A request as received.
pub struct Received<'a> {
    pub webhook: Option<WebhookId>,
    pub method: &'a str,
    pub target: &'a str,
    /// JSON: [[name, value], …]
    pub headers: &'a str,
    pub body: &'a str,
    pub verified: Option<bool>,
}

/// Keeps a request in `owner`'s inbox, and only the last `KEPT`.
pub async fn keep(store: &Store, owner: UserId, r: &Received<'_>, now: i64) -> sqlx::Result<()> {
    let mut tx = store.begin_write().await?;
    execute!(
        &mut tx,
        sqlx::query(
            "INSERT INTO inbox_requests (user_id, received_at, webhook_id, method, target, headers, body, verified)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(owner)
        .bind(now)
        .bind(r.webhook)
        .bind(r.method)
        .bind(r.target)
        .bind(r.headers)
        .bind(r.body)
        .bind(r.verified)
    )?;
    execute!(
        &mut tx,
        sqlx::query(
            "DELETE FROM inbox_requests WHERE user_id = $1 AND id NOT IN
                 (SELECT id FROM inbox_requests WHERE user_id = $1 ORDER BY id DESC LIMIT $2)",
        )
        .bind(owner)
        .bind(KEPT)
    )?;
    tx.commit().await
}

#[derive(Debug, Clone, FromRow)]
pub struct InboxRow {
    pub id: i64,
    pub received_at: i64,
    pub webhook_id: Option<WebhookId>,
    pub wording: Option<String>,
    pub method: String,
    pub target: String,
    pub headers: String,
    pub body: String,
    pub verified: Option<bool>,
}

/// `owner`'s requests, newest first.
pub async fn requests(store: &Store, owner: UserId) -> sqlx::Result<Vec<InboxRow>> {
    on!(store, ex => sqlx::query_as(
        "SELECT r.id, r.received_at, r.webhook_id, w.wording, r.method, r.target, r.headers, r.body, r.verified
         FROM inbox_requests r LEFT JOIN webhooks w ON w.id = r.webhook_id
         WHERE r.user_id = $1 ORDER BY r.id DESC",
    )
    .bind(owner)
    .fetch_all(ex)
    .await)
}

/// Empties `owner`'s inbox.
pub async fn clear(store: &Store, owner: UserId) -> sqlx::Result<u64> {
    let mut tx = store.begin_write().await?;
    let n = execute!(
        &mut tx,
        sqlx::query("DELETE FROM inbox_requests WHERE user_id = $1").bind(owner)
    )?;
    tx.commit().await?;
    Ok(n)
}
