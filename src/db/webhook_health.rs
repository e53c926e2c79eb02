//! A webhook's health as its page shows it: its calls over a window (how many, how many
//! answered 2xx, response times), hour by hour, and its current run of failures. Tests
//! (the Test button) are left out: they say nothing about deliveries.

use crate::db::on;

use super::Store;
use crate::domain::ids::WebhookId;

/// An attempt that was answered 2xx.
const SUCCESS: &str = "(error_kind IS NULL AND response_status BETWEEN 200 AND 299)";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Window {
    pub attempts: i64,
    pub succeeded: i64,
    /// Deliveries created in the window.
    pub deliveries: i64,
    pub p50_ms: Option<i64>,
    pub p95_ms: Option<i64>,
}

/// The calls of `webhook` since `since` (ms).
pub async fn window(store: &Store, webhook: WebhookId, since: i64) -> sqlx::Result<Window> {
    let (attempts, succeeded): (i64, i64) = on!(store, ex => sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN {SUCCESS} THEN 1 ELSE 0 END), 0)
         FROM delivery_attempts WHERE webhook_id = $1 AND started_at >= $2 AND trigger <> 'test'"
    )))
    .bind(webhook)
    .bind(since)
    .fetch_one(ex)
    .await)?;
    let deliveries: i64 = on!(store, ex => sqlx::query_scalar(
        "SELECT COUNT(*) FROM deliveries WHERE webhook_id = $1 AND created_at >= $2",
    )
    .bind(webhook)
    .bind(since)
    .fetch_one(ex)
    .await)?;
    let mut w = Window {
        attempts,
        succeeded,
        deliveries,
        ..Window::default()
    };
    if attempts > 0 {
        w.p50_ms = Some(duration_at(store, webhook, since, (attempts - 1) / 2).await?);
        w.p95_ms = Some(duration_at(store, webhook, since, (attempts - 1) * 95 / 100).await?);
    }
    Ok(w)
}

/// The `rank`-th shortest response time of the window (0 the shortest): a percentile that
/// both backends compute the same way.
async fn duration_at(
    store: &Store,
    webhook: WebhookId,
    since: i64,
    rank: i64,
) -> sqlx::Result<i64> {
    on!(store, ex => sqlx::query_scalar(
        "SELECT duration_ms FROM delivery_attempts
         WHERE webhook_id = $1 AND started_at >= $2 AND trigger <> 'test'
         ORDER BY duration_ms LIMIT 1 OFFSET $3",
    )
    .bind(webhook)
    .bind(since)
    .bind(rank)
    .fetch_one(ex)
    .await)
}

/// One hour of calls.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hour {
    pub succeeded: i64,
    pub failed: i64,
    /// The sum of their response times, for the hour's mean.
    pub total_ms: i64,
}

/// The calls of `webhook` in each of the `hours` hours from `from` (ms), oldest first.
pub async fn hours(
    store: &Store,
    webhook: WebhookId,
    from: i64,
    hours: usize,
) -> sqlx::Result<Vec<Hour>> {
    let rows: Vec<(i64, i64, i64, i64)> = on!(store, ex => sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT (started_at - $2) / 3600000 AS h,
                COALESCE(SUM(CASE WHEN {SUCCESS} THEN 1 ELSE 0 END), 0),
                COALESCE(SUM(CASE WHEN {SUCCESS} THEN 0 ELSE 1 END), 0),
                CAST(COALESCE(SUM(duration_ms), 0) AS BIGINT)
         FROM delivery_attempts WHERE webhook_id = $1 AND started_at >= $2 AND trigger <> 'test'
         GROUP BY h"
    )))
    .bind(webhook)
    .bind(from)
    .fetch_all(ex)
    .await)?;
    let mut out = vec![Hour::default(); hours];
    for (h, succeeded, failed, total_ms) in rows {
        if let Some(slot) = usize::try_from(h).ok().and_then(|h| out.get_mut(h)) {
            *slot = Hour {
                succeeded,
                failed,
                total_ms,
            };
        }
    }
    Ok(out)
}

/// The webhook's current run of failed calls, and when its next retry is due.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Run {
    pub failures: i64,
    pub failing_since: Option<i64>,
    pub next_retry: Option<i64>,
}

pub async fn run(store: &Store, webhook: WebhookId) -> sqlx::Result<Run> {
    let (failures, failing_since): (i64, Option<i64>) = on!(store, ex => sqlx::query_as(
        "SELECT failure_count, failing_since FROM webhooks WHERE id = $1",
    )
    .bind(webhook)
    .fetch_optional(ex)
    .await)?
    .unwrap_or_default();
    let next_retry: Option<i64> = on!(store, ex => sqlx::query_scalar(
        "SELECT MIN(next_attempt_at) FROM deliveries
         WHERE webhook_id = $1 AND status = 'pending' AND attempts > 0",
    )
    .bind(webhook)
    .fetch_one(ex)
    .await)?;
    Ok(Run {
        failures,
        failing_since,
        next_retry,
    })
}
