//! The application log: what operators should know, written with the change or the attempt
//! it is about.

use crate::db::{execute, on};
use sqlx::FromRow;

use super::{Store, Tx};
use crate::domain::app_log::{LogKind, LogLevel};
use crate::domain::ids::{AttemptId, EventRowId, WebhookId};

/// An entry of the application log, and what it is about.
#[derive(Debug, Clone)]
pub struct LogEntry<'a> {
    pub level: LogLevel,
    pub kind: LogKind,
    pub message: &'a str,
    pub webhook_id: Option<WebhookId>,
    pub event_id: Option<EventRowId>,
    /// The call it is about, when one was made.
    pub attempt_id: Option<AttemptId>,
}

pub async fn log(tx: &mut Tx, entry: &LogEntry<'_>, now: i64) -> sqlx::Result<()> {
    execute!(&mut *tx, sqlx::query("INSERT INTO app_log (at, level, kind, message, webhook_id, event_id, attempt_id) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(now)
        .bind(entry.level)
        .bind(entry.kind)
        .bind(entry.message)
        .bind(entry.webhook_id)
        .bind(entry.event_id)
        .bind(entry.attempt_id))?;
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub struct LogRow {
    pub id: i64,
    pub at: i64,
    pub level: LogLevel,
    pub kind: LogKind,
    pub message: String,
    pub webhook_id: Option<WebhookId>,
    pub event_id: Option<EventRowId>,
    pub attempt_id: Option<AttemptId>,
}

pub async fn list(store: &Store, limit: i64) -> sqlx::Result<Vec<LogRow>> {
    on!(store, ex => sqlx::query_as("SELECT id, at, level, kind, message, webhook_id, event_id, attempt_id FROM app_log ORDER BY id DESC LIMIT $1").bind(limit).fetch_all(ex).await)
}
