//! The delivery queue: claiming under a lease, attempts, outcomes, and the pending-orders
//! views.

use sqlx::{FromRow, SqlitePool};

use super::Tx;
use crate::domain::Coded;
use crate::domain::app_log::{LogKind, LogLevel};
use crate::domain::delivery::{DeliveryState, DeliveryStatus, ErrorKind, Trigger};
use crate::domain::webhook::Mode;

#[derive(Debug, Clone, FromRow)]
pub struct Claimed {
    pub id: i64,
    pub event_id: i64,
    pub webhook_id: i64,
    pub message_id: String,
    /// Attempts made, this one included.
    pub attempts: i64,
    /// Of which made by hand (Retry now): they do not move the retry schedule on.
    #[sqlx(default)]
    pub manual_attempts: i64,
    /// The webhooks counter as the claim saw it.
    pub webhooks_version: i64,
    /// For an attempt made by hand: where the delivery goes back to if it fails.
    #[sqlx(skip)]
    pub restore: Option<Restore>,
}

impl Claimed {
    /// The attempt's number in the retry schedule: attempts by hand do not count.
    pub fn scheduled_attempt(&self) -> i64 {
        (self.attempts - self.manual_attempts).max(1)
    }
}

/// A delivery's place before an attempt by hand: pending (due at `next_attempt_at`) or dead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restore {
    pub status: DeliveryStatus,
    pub next_attempt_at: i64,
}

/// Why an attempt by hand could not be claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotClaimed {
    NotFound,
    /// Being sent right now (by a worker, or another Retry now).
    InFlight,
    /// Delivered or cancelled: nothing to send.
    Finished,
    /// An earlier delivery of the same webhook for the same object has not gone out yet.
    Behind {
        earlier: i64,
    },
}

impl std::fmt::Display for NotClaimed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotClaimed::NotFound => f.write_str("There is no such delivery."),
            NotClaimed::InFlight => f.write_str(
                "This delivery is being sent right now: wait for its attempt to finish.",
            ),
            NotClaimed::Finished => {
                f.write_str("This delivery was delivered or cancelled: there is nothing to send.")
            }
            NotClaimed::Behind { earlier } => write!(
                f,
                "An earlier change of the same object has not reached this webhook yet (delivery #{earlier}): it goes first, so that the receiver sees the changes in order. Retry it, and this one follows."
            ),
        }
    }
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
         RETURNING id, event_id, webhook_id, message_id, attempts, manual_attempts,
             (SELECT value FROM change_counters WHERE name = 'webhooks') AS webhooks_version",
    )
    .bind(now)
    .bind(lease_ms)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit_soon().await?;
    Ok(claimed)
}

/// Claims a synchronous delivery its change left queued, for the call that follows.
pub async fn claim_one(
    pool: &SqlitePool,
    id: i64,
    now: i64,
    lease_ms: i64,
) -> sqlx::Result<Option<Claimed>> {
    sqlx::query_as(
        "UPDATE deliveries SET status = 'in_flight', locked_until = ?2 + ?3, attempts = attempts + 1
         WHERE id = ?1 AND status = 'pending'
         RETURNING id, event_id, webhook_id, message_id, attempts, manual_attempts,
             (SELECT value FROM change_counters WHERE name = 'webhooks') AS webhooks_version",
    )
    .bind(id)
    .bind(now)
    .bind(lease_ms)
    .fetch_optional(pool)
    .await
}

/// Claims a delivery for an attempt by hand (Retry now): one waiting, queued or dead, and
/// only when no earlier delivery of its webhook for the same object is still to go, so
/// that receivers keep seeing an object's changes in order. Read and claimed in one write
/// transaction: of simultaneous retries, one gets the claim.
pub async fn claim_manual(
    pool: &SqlitePool,
    id: i64,
    now: i64,
    lease_ms: i64,
) -> sqlx::Result<Result<Claimed, NotClaimed>> {
    let mut tx = super::begin_write(pool).await?;
    let row: Option<(DeliveryStatus, i64, Option<i64>)> = sqlx::query_as(
        "SELECT d.status, d.next_attempt_at,
                (SELECT MIN(e.id) FROM deliveries e
                 WHERE e.webhook_id = d.webhook_id AND e.object_key = d.object_key AND e.id < d.id
                   AND e.status IN ('pending', 'in_flight'))
         FROM deliveries d WHERE d.id = ?1",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let refusal = match &row {
        None => Some(NotClaimed::NotFound),
        Some((DeliveryStatus::InFlight, ..)) => Some(NotClaimed::InFlight),
        Some((DeliveryStatus::Delivered | DeliveryStatus::Cancelled, ..)) => {
            Some(NotClaimed::Finished)
        }
        Some((_, _, Some(earlier))) => Some(NotClaimed::Behind { earlier: *earlier }),
        Some(_) => None,
    };
    let (Some((status, next_attempt_at, _)), None) = (row, refusal.clone()) else {
        tx.rollback().await?;
        return Ok(Err(refusal.expect("a refusal when there is no claim")));
    };
    let mut claimed: Claimed = sqlx::query_as(
        "UPDATE deliveries SET status = 'in_flight', locked_until = ?2 + ?3,
             attempts = attempts + 1, manual_attempts = manual_attempts + 1
         WHERE id = ?1
         RETURNING id, event_id, webhook_id, message_id, attempts, manual_attempts,
             (SELECT value FROM change_counters WHERE name = 'webhooks') AS webhooks_version",
    )
    .bind(id)
    .bind(now)
    .bind(lease_ms)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    claimed.restore = Some(Restore {
        status,
        next_attempt_at,
    });
    Ok(Ok(claimed))
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
    pub trigger: Trigger,
    pub started_at: i64,
    pub duration_ms: i64,
    pub method: &'a str,
    pub url: &'a str,
    pub request_headers: String,
    pub request_body: &'a str,
    pub status: Option<i64>,
    pub response_headers: Option<String>,
    pub response_body: Option<&'a str>,
    pub error_kind: Option<ErrorKind>,
    pub error_message: Option<&'a str>,
    pub error_detail: Option<&'a str>,
}

pub async fn insert_attempt(tx: &mut Tx, a: &NewAttempt<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO delivery_attempts (delivery_id, webhook_id, attempt_no, trigger, started_at, duration_ms, request_method,
             request_url, request_headers, request_body, response_status, response_headers, response_body, error_kind, error_message,
             error_detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) RETURNING id",
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
    .bind(a.error_detail)
    .fetch_one(&mut **tx)
    .await
}

/// Attempts rows per INSERT: 16 parameters a row; SQLite allows 32,766 a statement.
const ATTEMPTS_PER_INSERT: usize = 1000;

/// The largest batch whose statement stays prepared for the next batch of its size. Each
/// size is a statement of its own, growing with it (some 1 KB a row): kept for every size
/// up to 512, they took 8 MB.
const CACHED_ATTEMPTS: usize = 8;

/// Records attempts, marks the delivered ones so, and sets each webhook's latest outcome
/// (webhook id, time, status) — in one round trip to SQLite for up to a thousand attempts:
/// the statements go together and their parameters are numbered across them.
pub async fn record_outcomes(
    tx: &mut Tx,
    attempts: &[NewAttempt<'_>],
    delivered: &[i64],
    latest: &[(i64, i64, i64)],
    now: i64,
) -> sqlx::Result<()> {
    let persistent = attempts.len() <= CACHED_ATTEMPTS;
    let mut chunks = attempts.chunks(ATTEMPTS_PER_INSERT).peekable();
    let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new("");
    while let Some(chunk) = chunks.next() {
        q.push(
            "INSERT INTO delivery_attempts (delivery_id, webhook_id, attempt_no, trigger, started_at, duration_ms, request_method,
                 request_url, request_headers, request_body, response_status, response_headers, response_body, error_kind, error_message,
                 error_detail) ",
        );
        q.push_values(chunk, |mut row, a| {
            row.push_bind(a.delivery_id)
                .push_bind(a.webhook_id)
                .push_bind(a.attempt_no)
                .push_bind(a.trigger)
                .push_bind(a.started_at)
                .push_bind(a.duration_ms)
                .push_bind(a.method)
                .push_bind(a.url)
                .push_bind(a.request_headers.as_str())
                .push_bind(a.request_body)
                .push_bind(a.status)
                .push_bind(a.response_headers.as_deref())
                .push_bind(a.response_body)
                .push_bind(a.error_kind)
                .push_bind(a.error_message)
                .push_bind(a.error_detail);
        });
        if chunks.peek().is_some() {
            q.build().persistent(false).execute(&mut **tx).await?;
            q.reset();
        }
    }
    // Statements after the first are separated; the first starts the query.
    let mut started = !attempts.is_empty();
    let mut next = |q: &mut sqlx::QueryBuilder<sqlx::Sqlite>| {
        if std::mem::replace(&mut started, true) {
            q.push("; ");
        }
    };
    if !delivered.is_empty() {
        next(&mut q);
        q.push(
            "UPDATE deliveries SET status = 'delivered', last_error = NULL, locked_until = NULL, next_attempt_at = ",
        );
        q.push_bind(now);
        q.push(", completed_at = ");
        q.push_bind(now);
        q.push(" WHERE id IN (SELECT value FROM json_each(");
        q.push_bind(serde_json::to_string(delivered).expect("ids serialise"));
        q.push("))");
    }
    if !latest.is_empty() {
        next(&mut q);
        q.push(
            "UPDATE webhooks SET last_execution_at = o.value ->> 1, last_status = o.value ->> 2
             FROM json_each(",
        );
        q.push_bind(serde_json::to_string(latest).expect("outcomes serialise"));
        q.push(") AS o WHERE webhooks.id = o.value ->> 0");
    }
    if attempts.is_empty() && delivered.is_empty() && latest.is_empty() {
        return Ok(());
    }
    q.build().persistent(persistent).execute(&mut **tx).await?;
    Ok(())
}

/// Ends a delivery's attempt: delivered, dead, or pending again at `next_attempt_at`.
pub async fn settle(
    tx: &mut Tx,
    id: i64,
    status: DeliveryStatus,
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

/// An approved in-transaction change, saved on its second run: its event and the approving
/// deliveries (delivery id, message id) take the ids their receivers saw on the first run,
/// and those deliveries are delivered — in one round trip.
pub async fn keep_approved(
    tx: &mut Tx,
    event_id: i64,
    event_key: &str,
    approvals: &[(i64, &str)],
    now: i64,
) -> sqlx::Result<()> {
    let approvals = serde_json::to_string(approvals).expect("approvals serialise");
    sqlx::query(
        "UPDATE events SET event_id = ?2 WHERE id = ?1;
         UPDATE deliveries SET status = 'delivered', attempts = 1, next_attempt_at = ?4,
             completed_at = ?4, last_error = NULL, locked_until = NULL,
             message_id = (SELECT json_extract(a.value, '$[1]') FROM json_each(?3) a
                           WHERE json_extract(a.value, '$[0]') = deliveries.id)
         WHERE id IN (SELECT json_extract(value, '$[0]') FROM json_each(?3))",
    )
    .bind(event_id)
    .bind(event_key)
    .bind(approvals)
    .bind(now)
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

#[derive(Debug, Clone, FromRow)]
pub struct DeliveryRow {
    pub id: i64,
    pub event_id: i64,
    pub webhook_id: i64,
    pub wording: Option<String>,
    pub event_type: String,
    pub object_type: String,
    pub object_id: i64,
    pub message_id: String,
    pub mode: Mode,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
}

impl DeliveryRow {
    /// The state as the queue screens and the API name it.
    pub fn state(&self) -> DeliveryState {
        DeliveryState::of(self.status, self.attempts)
    }
}

const DELIVERY_SELECT: &str = "SELECT d.id, d.event_id, d.webhook_id, w.wording, e.event_type, e.object_type, e.object_id, d.message_id,
        d.mode, d.status, d.attempts, d.next_attempt_at, d.last_error, d.created_at
    FROM deliveries d JOIN events e ON e.id = d.event_id LEFT JOIN webhooks w ON w.id = d.webhook_id";

/// The newest deliveries, by state (as the screen names them) and webhook.
pub async fn list(
    pool: &SqlitePool,
    state: Option<DeliveryState>,
    webhook: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<DeliveryRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{DELIVERY_SELECT}
         WHERE (?1 IS NULL
                OR (?1 = 'queued' AND d.status = 'pending' AND d.attempts = 0)
                OR (?1 = 'waiting' AND d.status = 'pending' AND d.attempts > 0)
                OR (?1 NOT IN ('queued', 'waiting') AND d.status = ?1))
           AND (?2 IS NULL OR d.webhook_id = ?2)
         ORDER BY d.id DESC LIMIT ?3"
    )))
    .bind(state.map(|s| s.code()))
    .bind(webhook)
    .bind(limit)
    .fetch_all(pool)
    .await
}

pub async fn find(pool: &SqlitePool, id: i64) -> sqlx::Result<Option<DeliveryRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{DELIVERY_SELECT} WHERE d.id = ?1"
    )))
    .bind(id)
    .fetch_optional(pool)
    .await
}

#[derive(Debug, Clone, FromRow)]
pub struct AttemptRow {
    pub id: i64,
    pub attempt_no: i64,
    pub trigger: Trigger,
    pub started_at: i64,
    pub duration_ms: i64,
    pub request_method: String,
    pub request_url: String,
    pub request_headers: String,
    pub request_body: String,
    pub response_status: Option<i64>,
    pub response_headers: Option<String>,
    pub response_body: Option<String>,
    pub error_kind: Option<ErrorKind>,
    pub error_message: Option<String>,
    /// The HTTP client's own account of the error.
    pub error_detail: Option<String>,
}

const ATTEMPT_SELECT: &str = "SELECT id, attempt_no, trigger, started_at, duration_ms, request_method, request_url,
        request_headers, request_body, response_status, response_headers, response_body, error_kind, error_message,
        error_detail
    FROM delivery_attempts";

pub async fn attempts(pool: &SqlitePool, delivery_id: i64) -> sqlx::Result<Vec<AttemptRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{ATTEMPT_SELECT} WHERE delivery_id = ?1 ORDER BY id DESC"
    )))
    .bind(delivery_id)
    .fetch_all(pool)
    .await
}

/// One attempt, with the webhook it called.
pub async fn attempt(pool: &SqlitePool, id: i64) -> sqlx::Result<Option<(i64, AttemptRow)>> {
    let webhook: Option<i64> =
        sqlx::query_scalar("SELECT webhook_id FROM delivery_attempts WHERE id = ?1")
            .bind(id)
            .fetch_optional(pool)
            .await?;
    let Some(webhook) = webhook else {
        return Ok(None);
    };
    let row = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{ATTEMPT_SELECT} WHERE id = ?1"
    )))
    .bind(id)
    .fetch_one(pool)
    .await?;
    Ok(Some((webhook, row)))
}

/// Cancels a delivery that has not gone out (or gave up); false if it cannot be.
pub async fn cancel(pool: &SqlitePool, id: i64, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE deliveries SET status = 'cancelled', completed_at = ?2, locked_until = NULL WHERE id = ?1 AND status IN ('pending', 'dead')")
        .bind(id)
        .bind(now)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Cancels every delivery of a webhook still waiting to go (queued, or failed and waiting
/// for a retry), saying why; those in flight are settled when their attempt ends.
pub async fn cancel_waiting(
    tx: &mut Tx,
    webhook_id: i64,
    reason: &str,
    now: i64,
) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE deliveries SET status = 'cancelled', completed_at = ?3, last_error = ?2, locked_until = NULL
         WHERE webhook_id = ?1 AND status = 'pending'",
    )
    .bind(webhook_id)
    .bind(reason)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

#[derive(Debug, Clone, FromRow)]
pub struct LogRow {
    pub id: i64,
    pub at: i64,
    pub level: LogLevel,
    pub kind: LogKind,
    pub message: String,
    pub webhook_id: Option<i64>,
    pub event_id: Option<i64>,
    pub attempt_id: Option<i64>,
}

pub async fn app_log(pool: &SqlitePool, limit: i64) -> sqlx::Result<Vec<LogRow>> {
    sqlx::query_as("SELECT id, at, level, kind, message, webhook_id, event_id, attempt_id FROM app_log ORDER BY id DESC LIMIT ?1").bind(limit).fetch_all(pool).await
}

/// Rows deleted per statement: each batch is a short write, so that retention never holds
/// the database's write lock for long.
const PRUNE_BATCH: i64 = 2000;

/// Runs a deletion of at most `PRUNE_BATCH` rows (its `?2`) until none is left; returns the
/// rows removed.
async fn delete_in_batches(pool: &SqlitePool, sql: &'static str, before: i64) -> sqlx::Result<u64> {
    let mut removed = 0;
    loop {
        let done = sqlx::query(sql)
            .bind(before)
            .bind(PRUNE_BATCH)
            .execute(pool)
            .await?
            .rows_affected();
        removed += done;
        if done < PRUNE_BATCH as u64 {
            return Ok(removed);
        }
    }
}

/// Retention: finished deliveries (delivered or cancelled) with their attempts after
/// `keep_ms`, dead ones after `keep_dead_ms`; attempts of no delivery (tests, approvals) and
/// the application log after `keep_ms`; then every event older than `keep_ms` that no
/// delivery refers to any more. Queued and waiting deliveries, and their events, stay.
/// Returns the rows removed.
pub async fn prune(
    pool: &SqlitePool,
    now: i64,
    keep_ms: i64,
    keep_dead_ms: i64,
) -> sqlx::Result<u64> {
    let (before, dead_before) = (now - keep_ms, now - keep_dead_ms);
    // A delivered or dead delivery's next_attempt_at is when it ended (see `settle` and
    // `record_outcomes`): the index on (status, next_attempt_at) finds them.
    let mut removed = delete_in_batches(
        pool,
        "DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries
             WHERE status = 'delivered' AND next_attempt_at < ?1 LIMIT ?2)",
        before,
    )
    .await?;
    removed += delete_in_batches(
        pool,
        "DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries
             WHERE status = 'dead' AND next_attempt_at < ?1 LIMIT ?2)",
        dead_before,
    )
    .await?;
    removed += delete_in_batches(
        pool,
        "DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries
             WHERE status = 'cancelled' AND COALESCE(completed_at, created_at) < ?1 LIMIT ?2)",
        before,
    )
    .await?;
    removed += delete_in_batches(
        pool,
        "DELETE FROM delivery_attempts WHERE id IN (SELECT id FROM delivery_attempts
             WHERE started_at < ?1 AND delivery_id IS NULL LIMIT ?2)",
        before,
    )
    .await?;
    removed += delete_in_batches(
        pool,
        "DELETE FROM app_log WHERE id IN (SELECT id FROM app_log WHERE at < ?1 LIMIT ?2)",
        before,
    )
    .await?;
    // Events are numbered in time order: those before the first one young enough to keep
    // are the candidates, found without reading the whole table.
    let first_kept: Option<i64> = sqlx::query_scalar(
        "SELECT COALESCE((SELECT id FROM events WHERE occurred_at >= ?1 ORDER BY id LIMIT 1),
                         (SELECT MAX(id) + 1 FROM events))",
    )
    .bind(before)
    .fetch_one(pool)
    .await?;
    if let Some(first_kept) = first_kept {
        removed += delete_in_batches(
            pool,
            "DELETE FROM events WHERE id IN (SELECT e.id FROM events e
                 WHERE e.id < ?1 AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id)
                 LIMIT ?2)",
            first_kept,
        )
        .await?;
    }
    Ok(removed)
}
