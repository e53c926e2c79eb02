//! The delivery queue: claiming under a lease, attempts, outcomes, and the pending-orders
//! views.

use sqlx::{FromRow, SqlitePool};

use super::Tx;

#[derive(Debug, Clone, FromRow)]
pub struct Claimed {
    pub id: i64,
    pub event_id: i64,
    pub webhook_id: i64,
    pub message_id: String,
    pub attempts: i64,
}

/// Claims up to `limit` due asynchronous deliveries — and those whose lease ran out, which
/// a stopped worker left behind — in one statement. A delivery waits while an earlier one of
/// the same webhook for the same object is still queued or in flight, so each receiver sees
/// an object's changes in order.
pub async fn claim(
    pool: &SqlitePool,
    now: i64,
    lease_ms: i64,
    limit: i64,
) -> sqlx::Result<Vec<Claimed>> {
    let mut tx = super::begin_write(pool).await?;
    let claimed = sqlx::query_as(
        "UPDATE deliveries SET status = 'in_flight', locked_until = ?1 + ?2, attempts = attempts + 1
         WHERE id IN (
             SELECT d.id FROM deliveries d
             WHERE d.mode = 'async'
               AND ((d.status = 'pending' AND d.next_attempt_at <= ?1) OR (d.status = 'in_flight' AND d.locked_until < ?1))
               AND NOT EXISTS (
                   SELECT 1 FROM deliveries e
                   WHERE e.webhook_id = d.webhook_id AND e.object_key = d.object_key AND e.id < d.id
                     AND e.status IN ('pending', 'in_flight'))
             ORDER BY d.next_attempt_at, d.id
             LIMIT ?3)
         RETURNING id, event_id, webhook_id, message_id, attempts",
    )
    .bind(now)
    .bind(lease_ms)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(claimed)
}

/// Claims one delivery for an immediate call (synchronous mode, Retry now).
pub async fn claim_one(
    pool: &SqlitePool,
    id: i64,
    now: i64,
    lease_ms: i64,
) -> sqlx::Result<Option<Claimed>> {
    sqlx::query_as(
        "UPDATE deliveries SET status = 'in_flight', locked_until = ?2 + ?3, attempts = attempts + 1
         WHERE id = ?1 AND status IN ('pending', 'dead', 'in_flight')
         RETURNING id, event_id, webhook_id, message_id, attempts",
    )
    .bind(id)
    .bind(now)
    .bind(lease_ms)
    .fetch_optional(pool)
    .await
}

/// When the next queued delivery falls due, to sleep until then.
pub async fn next_due(pool: &SqlitePool) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT MIN(CASE WHEN status = 'pending' THEN next_attempt_at ELSE locked_until END) FROM deliveries WHERE mode = 'async' AND status IN ('pending', 'in_flight')")
        .fetch_one(pool)
        .await
}

pub struct NewAttempt<'a> {
    pub delivery_id: Option<i64>,
    pub webhook_id: i64,
    pub attempt_no: i64,
    pub trigger: &'a str,
    pub started_at: i64,
    pub duration_ms: i64,
    pub method: &'a str,
    pub url: &'a str,
    pub request_headers: String,
    pub request_body: &'a str,
    pub status: Option<i64>,
    pub response_headers: Option<String>,
    pub response_body: Option<&'a str>,
    pub error_kind: Option<&'a str>,
    pub error_message: Option<&'a str>,
}

pub async fn insert_attempt(tx: &mut Tx, a: &NewAttempt<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO delivery_attempts (delivery_id, webhook_id, attempt_no, trigger, started_at, duration_ms, request_method,
             request_url, request_headers, request_body, response_status, response_headers, response_body, error_kind, error_message)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) RETURNING id",
    )
    .bind(a.delivery_id)
    .bind(a.webhook_id)
    .bind(a.attempt_no)
    .bind(a.trigger)
    .bind(a.started_at)
    .bind(a.duration_ms)
    .bind(a.method)
    .bind(a.url)
    .bind(&a.request_headers)
    .bind(a.request_body)
    .bind(a.status)
    .bind(&a.response_headers)
    .bind(a.response_body)
    .bind(a.error_kind)
    .bind(a.error_message)
    .fetch_one(&mut **tx)
    .await
}

/// Ends a delivery's attempt: delivered, dead, or pending again at `next_attempt_at`.
pub async fn settle(
    tx: &mut Tx,
    id: i64,
    status: &str,
    next_attempt_at: i64,
    last_error: Option<&str>,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE deliveries SET status = ?2, next_attempt_at = ?3, last_error = ?4, locked_until = NULL,
             completed_at = CASE WHEN ?2 IN ('delivered', 'dead') THEN ?5 ELSE NULL END
         WHERE id = ?1",
    )
    .bind(id)
    .bind(status)
    .bind(next_attempt_at)
    .bind(last_error)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn set_webhook_status(
    tx: &mut Tx,
    webhook_id: i64,
    at: i64,
    status: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE webhooks SET last_execution_at = ?2, last_status = ?3 WHERE id = ?1")
        .bind(webhook_id)
        .bind(at)
        .bind(status)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A 410 Gone turns the webhook off, and says why.
pub async fn disable_webhook(tx: &mut Tx, webhook_id: i64, reason: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE webhooks SET active = 0, disabled_reason = ?2 WHERE id = ?1")
        .bind(webhook_id)
        .bind(reason)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Gives claimed work back at shutdown, so another worker need not wait for the lease.
pub async fn release(pool: &SqlitePool, ids: &[i64]) -> sqlx::Result<()> {
    for id in ids {
        sqlx::query("UPDATE deliveries SET status = 'pending', locked_until = NULL, attempts = attempts - 1 WHERE id = ?1 AND status = 'in_flight'")
            .bind(id)
            .execute(pool)
            .await?;
    }
    Ok(())
}
