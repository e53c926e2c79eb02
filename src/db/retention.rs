//! Retention: deleting, in short batches, what has been kept long enough.
use super::Store;
use crate::db::{execute, on};

/// Rows deleted per statement: each batch is a short write, so that retention never holds
/// the database's write lock for long.
const PRUNE_BATCH: i64 = 2000;

/// Runs a deletion of at most `PRUNE_BATCH` rows (its `$2`) until none is left; returns the
/// rows removed.
async fn delete_in_batches(store: &Store, sql: &'static str, before: i64) -> sqlx::Result<u64> {
    let mut removed = 0;
    loop {
        let done = execute!(store, sqlx::query(sql).bind(before).bind(PRUNE_BATCH))?;
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
pub async fn prune(store: &Store, now: i64, keep_ms: i64, keep_dead_ms: i64) -> sqlx::Result<u64> {
    let (before, dead_before) = (now - keep_ms, now - keep_dead_ms);
    // A delivered or dead delivery's next_attempt_at is when it ended (see `settle` and
    // `record_outcomes`): the index on (status, next_attempt_at) finds them.
    let mut removed = delete_in_batches(
        store,
        "DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries
             WHERE status = 'delivered' AND next_attempt_at < $1 LIMIT $2)",
        before,
    )
    .await?;
    removed += delete_in_batches(
        store,
        "DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries
             WHERE status = 'dead' AND next_attempt_at < $1 LIMIT $2)",
        dead_before,
    )
    .await?;
    removed += delete_in_batches(
        store,
        "DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries
             WHERE status = 'cancelled' AND COALESCE(completed_at, created_at) < $1 LIMIT $2)",
        before,
    )
    .await?;
    removed += delete_in_batches(
        store,
        "DELETE FROM delivery_attempts WHERE id IN (SELECT id FROM delivery_attempts
             WHERE started_at < $1 AND delivery_id IS NULL LIMIT $2)",
        before,
    )
    .await?;
    removed += delete_in_batches(
        store,
        "DELETE FROM app_log WHERE id IN (SELECT id FROM app_log WHERE at < $1 LIMIT $2)",
        before,
    )
    .await?;
    // Events are numbered in time order: those before the first one young enough to keep
    // are the candidates, found without reading the whole table.
    let first_kept: Option<i64> = on!(store, ex => sqlx::query_scalar(
        "SELECT COALESCE((SELECT id FROM events WHERE occurred_at >= $1 ORDER BY id LIMIT 1),
                         (SELECT MAX(id) + 1 FROM events))",
    )
    .bind(before)
    .fetch_one(ex)
    .await)?;
    if let Some(first_kept) = first_kept {
        removed += delete_in_batches(
            store,
            "DELETE FROM events WHERE id IN (SELECT e.id FROM events e
                 WHERE e.id < $1 AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id)
                 LIMIT $2)",
            first_kept,
        )
        .await?;
    }
    Ok(removed)
}
