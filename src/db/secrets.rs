//! Every stored secret, for sealing them all at once (on the first start that seals, and
//! when they are sealed again under a new key).

use super::{Source, Tx};
use crate::db::{execute, on};
use crate::domain::ids::WebhookId;

/// Each webhook's signing secret and the previous one of a rotation.
pub async fn signing_secrets(
    db: impl Into<Source<'_>>,
) -> sqlx::Result<Vec<(WebhookId, String, Option<String>)>> {
    on!(db, ex => sqlx::query_as("SELECT id, signing_secret, previous_signing_secret FROM webhooks ORDER BY id")
        .fetch_all(ex)
        .await)
}

pub async fn set_signing_secrets(
    tx: &mut Tx,
    id: WebhookId,
    current: &str,
    previous: Option<&str>,
) -> sqlx::Result<()> {
    execute!(
        &mut *tx,
        sqlx::query(
            "UPDATE webhooks SET signing_secret = $2, previous_signing_secret = $3 WHERE id = $1",
        )
        .bind(id)
        .bind(current)
        .bind(previous)
    )?;
    Ok(())
}

/// Secret header values: (webhook id, position, value).
pub async fn secret_headers(
    db: impl Into<Source<'_>>,
) -> sqlx::Result<Vec<(WebhookId, i64, String)>> {
    on!(db, ex => sqlx::query_as(
        "SELECT webhook_id, position, value FROM webhook_headers WHERE secret
         ORDER BY webhook_id, position",
    )
    .fetch_all(ex)
    .await)
}

pub async fn set_header_value(
    tx: &mut Tx,
    webhook_id: WebhookId,
    position: i64,
    value: &str,
) -> sqlx::Result<()> {
    execute!(
        &mut *tx,
        sqlx::query(
            "UPDATE webhook_headers SET value = $3 WHERE webhook_id = $1 AND position = $2"
        )
        .bind(webhook_id)
        .bind(position)
        .bind(value)
    )?;
    Ok(())
}
