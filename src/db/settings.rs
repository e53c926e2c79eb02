//! Small values the program keeps for itself: the session cookie key, and the check that
//! tells whether the secret keys given fit the database.

use super::{Source, Store, Tx, execute, on};
use crate::sealing::{Keyring, Purpose};

const SESSION_KEY: &str = "session_key";
pub const KEY_CHECK: &str = "secret_key_check";

/// A setting's stored bytes (text or blob alike).
pub async fn get(db: impl Into<Source<'_>>, key: &str) -> sqlx::Result<Option<Vec<u8>>> {
    on!(db, ex => sqlx::query_scalar(ex.pick(
        "SELECT CAST(value AS BLOB) FROM settings WHERE key = $1",
        "SELECT convert_to(value, 'UTF8') FROM settings WHERE key = $1",
    ))
        .bind(key)
        .fetch_optional(ex)
        .await)
}

pub async fn put(tx: &mut Tx, key: &str, value: &str) -> sqlx::Result<()> {
    execute!(
        &mut *tx,
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
    )?;
    Ok(())
}

/// The key that encrypts session cookies, made once, kept sealed so sessions survive a
/// restart and any instance sharing the database and the keys reads the same one.
pub async fn session_key(store: &Store, keys: &Keyring) -> anyhow::Result<Vec<u8>> {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    let fresh = keys.seal(
        &STANDARD.encode(crate::random::bytes::<64>()),
        Purpose::SessionKey,
    );
    // Insert unless present, then read: two instances starting at once agree on one key.
    execute!(
        store,
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING"
        )
        .bind(SESSION_KEY)
        .bind(&fresh)
    )?;
    let stored = get(store, SESSION_KEY).await?.unwrap_or_default();
    let opened = keys.open(&String::from_utf8_lossy(&stored), Purpose::SessionKey)?;
    Ok(STANDARD.decode(opened)?)
}

/// The stored session key as it was before secrets were sealed (raw bytes), sealed.
pub async fn seal_legacy_session_key(tx: &mut Tx, keys: &Keyring) -> anyhow::Result<()> {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    if let Some(raw) = get(&mut *tx, SESSION_KEY).await? {
        put(
            tx,
            SESSION_KEY,
            &keys.seal(&STANDARD.encode(raw), Purpose::SessionKey),
        )
        .await?;
    }
    Ok(())
}

/// The stored session key, sealed again under the current key.
pub async fn reseal_session_key(tx: &mut Tx, keys: &Keyring) -> anyhow::Result<()> {
    if let Some(stored) = get(&mut *tx, SESSION_KEY).await? {
        let stored = String::from_utf8_lossy(&stored).into_owned();
        if !keys.is_current(&stored) {
            let plain = keys.open(&stored, Purpose::SessionKey)?;
            put(tx, SESSION_KEY, &keys.seal(&plain, Purpose::SessionKey)).await?;
        }
    }
    Ok(())
}
