//! Failed sign-in counters per email address.

use sqlx::SqlitePool;

/// When the account is blocked until, if it is (Unix ms).
pub async fn blocked_until(pool: &SqlitePool, email: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT blocked_until FROM sign_in_throttle WHERE email = ?1")
        .bind(email)
        .fetch_optional(pool)
        .await
}

/// Counts one more failure, atomically; failures older than `forget_before` start the count
/// again. Returns the count.
pub async fn record_failure(
    pool: &SqlitePool,
    email: &str,
    now: i64,
    forget_before: i64,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO sign_in_throttle (email, failures, last_failure_at, blocked_until)
         VALUES (?1, 1, ?2, 0)
         ON CONFLICT (email) DO UPDATE SET
             failures = CASE WHEN last_failure_at < ?3 THEN 1 ELSE failures + 1 END,
             last_failure_at = excluded.last_failure_at
         RETURNING failures",
    )
    .bind(email)
    .bind(now)
    .bind(forget_before)
    .fetch_one(pool)
    .await
}

pub async fn block(pool: &SqlitePool, email: &str, until: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE sign_in_throttle SET blocked_until = ?2 WHERE email = ?1")
        .bind(email)
        .bind(until)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn clear(db: impl sqlx::SqliteExecutor<'_>, email: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sign_in_throttle WHERE email = ?1")
        .bind(email)
        .execute(db)
        .await?;
    Ok(())
}
