//! Booking calls against a webhook's rate limit. Each webhook with a limit keeps, in the
//! database, the earliest time its next call may start; workers of every instance book
//! their calls against it in one short transaction (the row locked on PostgreSQL, the one
//! writer on SQLite), so the limit holds for all of them together.

use super::{Store, execute, on};
use crate::domain::ids::{DeliveryId, WebhookId};

/// Calls booked for a webhook: `count` of the wanted, the first at `first_us` and the rest
/// one interval apart; the next free time after them is `next_free_us`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Booked {
    pub first_us: i64,
    pub count: usize,
    pub next_free_us: i64,
}

/// Books up to `wanted` calls `interval_us` apart, none starting later than `now_us +
/// horizon_us` (calls further off would hold their claims idle; they wait in the queue).
pub async fn book(
    store: &Store,
    webhook: WebhookId,
    wanted: usize,
    interval_us: i64,
    now_us: i64,
    horizon_us: i64,
) -> sqlx::Result<Booked> {
    let mut tx = store.begin_write().await?;
    let next: Option<i64> = on!(&mut tx, ex => sqlx::query_scalar(ex.pick(
        "SELECT rate_next_at FROM webhooks WHERE id = $1",
        "SELECT rate_next_at FROM webhooks WHERE id = $1 FOR UPDATE",
    ))
    .bind(webhook)
    .fetch_optional(ex)
    .await)?;
    let first_us = next.unwrap_or(now_us).max(now_us);
    let room = now_us + horizon_us - first_us;
    let fit = if room < 0 {
        0
    } else {
        (room / interval_us + 1) as usize
    };
    let count = fit.min(wanted);
    let next_free_us = first_us + count as i64 * interval_us;
    if count > 0 {
        execute!(
            &mut tx,
            sqlx::query("UPDATE webhooks SET rate_next_at = $2 WHERE id = $1")
                .bind(webhook)
                .bind(next_free_us)
        )?;
    }
    // A booking lost in a crash only frees its slots again.
    tx.commit_soon().await?;
    Ok(Booked {
        first_us,
        count,
        next_free_us,
    })
}

/// Puts claimed deliveries back in the queue, each due at its time (milliseconds), as if
/// they had not been claimed: their rate limit has no room for them yet.
pub async fn postpone(store: &Store, due: &[(DeliveryId, i64)]) -> sqlx::Result<()> {
    if due.is_empty() {
        return Ok(());
    }
    let mut tx = store.begin_write().await?;
    for (id, at) in due {
        execute!(
            &mut tx,
            sqlx::query(
                "UPDATE deliveries SET status = 'pending', locked_until = NULL, attempts = attempts - 1,
                     next_attempt_at = $2
                 WHERE id = $1 AND status = 'in_flight'",
            )
            .bind(id)
            .bind(at)
        )?;
    }
    tx.commit_soon().await
}
