//! Failed sign-in counters per email address.
use super::{Source, Store, Tx};
use crate::db::{execute, on};

/// What a reservation found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// The attempt may check its password; it is the `n`th counted in a row. Should it
    /// fail, the block that `n` failures earn is already in place (`blocked_until`).
    Granted { n: i64 },
    /// Blocked until then (Unix ms): no password is checked.
    Blocked { until: i64 },
}

/// Reserves one sign-in attempt for `email`, atomically: unless the address is blocked, the
/// attempt is counted as a failure before its password is checked, and the block it would
/// earn set, so that attempts made at the same moment cannot all slip under the limit. A
/// success clears it all (`clear`). `block_ms(n)` is the block after `n` failures, 0 for
/// none; failures older than `forget_before` start the count again.
pub async fn reserve(
    store: &Store,
    email: &str,
    now: i64,
    forget_before: i64,
    block_ms: impl Fn(i64) -> i64,
) -> sqlx::Result<Reservation> {
    let mut tx = store.begin_write().await?;
    tx.serialize(&format!("sign-in {email}")).await?;
    let row: Option<(i64, i64, i64)> = on!(&mut tx, ex => sqlx::query_as(
        "SELECT failures, last_failure_at, blocked_until FROM sign_in_throttle WHERE email = $1",
    )
    .bind(email)
    .fetch_optional(ex)
    .await)?;
    let n = match row {
        Some((_, _, until)) if until > now => {
            tx.rollback().await?;
            return Ok(Reservation::Blocked { until });
        }
        Some((failures, last, _)) if last >= forget_before => failures + 1,
        _ => 1,
    };
    let block = block_ms(n);
    execute!(
        &mut tx,
        sqlx::query(
            "INSERT INTO sign_in_throttle (email, failures, last_failure_at, blocked_until)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (email) DO UPDATE SET failures = excluded.failures,
             last_failure_at = excluded.last_failure_at, blocked_until = excluded.blocked_until",
        )
        .bind(email)
        .bind(n)
        .bind(now)
        .bind(if block > 0 { now + block } else { 0 })
    )?;
    tx.commit().await?;
    Ok(Reservation::Granted { n })
}

/// Clears the count after a right password, the `n`th attempt counted: unless attempts were
/// counted after it (made at the same moment, still being checked), which keep counting
/// towards the block instead of starting again.
pub async fn clear_after_success(tx: &mut Tx, email: &str, n: i64) -> sqlx::Result<()> {
    execute!(
        tx,
        sqlx::query("DELETE FROM sign_in_throttle WHERE email = $1 AND failures <= $2")
            .bind(email)
            .bind(n)
    )?;
    Ok(())
}

pub async fn clear(db: impl Into<Source<'_>>, email: &str) -> sqlx::Result<()> {
    execute!(
        Source::of(db),
        sqlx::query("DELETE FROM sign_in_throttle WHERE email = $1").bind(email)
    )?;
    Ok(())
}

/// Forgets failures older than `forget_before` whose block is over.
pub async fn forget(store: &Store, forget_before: i64, now: i64) -> sqlx::Result<u64> {
    let done = execute!(
        store,
        sqlx::query(
            "DELETE FROM sign_in_throttle WHERE last_failure_at < $1 AND blocked_until <= $2",
        )
        .bind(forget_before)
        .bind(now)
    )?;
    Ok(done)
}
