//! Small values the program keeps for itself, such as the session cookie key.

use sqlx::SqlitePool;

const SESSION_KEY: &str = "session_key";

/// The key that encrypts session cookies, made once and kept so sessions survive a restart.
pub async fn session_key(pool: &SqlitePool) -> anyhow::Result<Vec<u8>> {
    let fresh = crate::random::bytes::<64>().to_vec();
    // INSERT OR IGNORE then read: two instances starting at once agree on one key.
    sqlx::query("INSERT OR IGNORE INTO settings (key, value) VALUES (?1, ?2)")
        .bind(SESSION_KEY)
        .bind(&fresh)
        .execute(pool)
        .await?;
    let key: Vec<u8> = sqlx::query_scalar("SELECT value FROM settings WHERE key = ?1")
        .bind(SESSION_KEY)
        .fetch_one(pool)
        .await?;
    Ok(key)
}
