//! Events, the deliveries matching writes for them, and the application log.

use sqlx::{FromRow, SqliteExecutor};

use super::Tx;

pub struct NewEvent<'a> {
    pub event_id: &'a str,
    pub event_type: &'a str,
    pub object_type: &'a str,
    pub object_id: i64,
    pub parent_type: Option<&'a str>,
    pub parent_id: Option<i64>,
    pub project_id: Option<i64>,
    pub parent_attributes: Option<String>,
    pub attributes: Option<String>,
    pub before_attributes: Option<String>,
    pub changes: String,
    pub initiator_id: Option<i64>,
    pub initiator_name: &'a str,
    pub initiator_email: &'a str,
    pub occurred_at: i64,
    pub change_version: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct EventRow {
    pub id: i64,
    pub event_id: String,
    pub event_type: String,
    pub object_type: String,
    pub object_id: i64,
    pub parent_type: Option<String>,
    pub parent_id: Option<i64>,
    pub project_id: Option<i64>,
    pub parent_attributes: Option<String>,
    pub attributes: Option<String>,
    pub before_attributes: Option<String>,
    pub changes: String,
    pub initiator_id: Option<i64>,
    pub initiator_name: String,
    pub initiator_email: String,
    pub occurred_at: i64,
    pub change_version: i64,
}

pub async fn insert(tx: &mut Tx, e: &NewEvent<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO events (event_id, event_type, object_type, object_id, parent_type, parent_id, project_id,
             parent_attributes, attributes, before_attributes, changes, initiator_id, initiator_name, initiator_email,
             occurred_at, change_version)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) RETURNING id",
    )
    .bind(e.event_id)
    .bind(e.event_type)
    .bind(e.object_type)
    .bind(e.object_id)
    .bind(e.parent_type)
    .bind(e.parent_id)
    .bind(e.project_id)
    .bind(&e.parent_attributes)
    .bind(&e.attributes)
    .bind(&e.before_attributes)
    .bind(&e.changes)
    .bind(e.initiator_id)
    .bind(e.initiator_name)
    .bind(e.initiator_email)
    .bind(e.occurred_at)
    .bind(e.change_version)
    .fetch_one(&mut **tx)
    .await
}

pub async fn find(db: impl SqliteExecutor<'_>, id: i64) -> sqlx::Result<Option<EventRow>> {
    sqlx::query_as(
        "SELECT id, event_id, event_type, object_type, object_id, parent_type, parent_id, project_id, parent_attributes,
                attributes, before_attributes, changes, initiator_id, initiator_name, initiator_email, occurred_at, change_version
         FROM events WHERE id = ?1",
    )
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Several events by id, in one query.
pub async fn find_many(
    pool: &sqlx::SqlitePool,
    ids: &[i64],
) -> sqlx::Result<std::collections::HashMap<i64, EventRow>> {
    let ids = serde_json::to_string(ids).expect("ids serialise");
    let rows: Vec<EventRow> = sqlx::query_as(
        "SELECT id, event_id, event_type, object_type, object_id, parent_type, parent_id, project_id, parent_attributes,
                attributes, before_attributes, changes, initiator_id, initiator_name, initiator_email, occurred_at, change_version
         FROM events WHERE id IN (SELECT value FROM json_each(?1))",
    )
    .bind(ids)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|e| (e.id, e)).collect())
}

/// A webhook that may fire for an event, before its project filter is evaluated.
#[derive(Debug, Clone, FromRow)]
pub struct Candidate {
    pub id: i64,
    pub synchronous: bool,
    pub in_transaction: bool,
    pub project_filter_id: Option<i64>,
}

/// Active, unexpired webhooks on this object type and action, whose initiating-user and
/// single-project filters fit, in a stable order (by id).
pub async fn candidates(
    tx: &mut Tx,
    object_type: &str,
    action: &str,
    initiator: Option<i64>,
    project: Option<i64>,
    today: &str,
) -> sqlx::Result<Vec<Candidate>> {
    sqlx::query_as(
        "SELECT id, synchronous, in_transaction, project_filter_id FROM webhooks
         WHERE active = 1 AND event_object = ?1 AND (event_action = 'all' OR event_action = ?2)
           AND (valid_until IS NULL OR valid_until >= ?5)
           AND (initiator_user_id IS NULL OR initiator_user_id IS ?3)
           AND (project_id IS NULL OR project_id IS ?4)
         ORDER BY id",
    )
    .bind(object_type)
    .bind(action)
    .bind(initiator)
    .bind(project)
    .bind(today)
    .fetch_all(&mut **tx)
    .await
}

pub async fn insert_delivery(
    tx: &mut Tx,
    event_id: i64,
    webhook_id: i64,
    message_id: &str,
    mode: &str,
    object_key: &str,
    now: i64,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO deliveries (event_id, webhook_id, message_id, mode, object_key, next_attempt_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) RETURNING id",
    )
    .bind(event_id)
    .bind(webhook_id)
    .bind(message_id)
    .bind(mode)
    .bind(object_key)
    .bind(now)
    .fetch_one(&mut **tx)
    .await
}

pub async fn log(
    tx: &mut Tx,
    level: &str,
    kind: &str,
    message: &str,
    webhook_id: Option<i64>,
    event_id: Option<i64>,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO app_log (at, level, kind, message, webhook_id, event_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
        .bind(now)
        .bind(level)
        .bind(kind)
        .bind(message)
        .bind(webhook_id)
        .bind(event_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
