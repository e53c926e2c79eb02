//! Signed-in sessions, looked up by the SHA-256 of the token the browser holds.

use crate::db::{execute, on};
use sqlx::FromRow;

use super::{Store, Tx};
use crate::domain::ids::UserId;

#[derive(Debug, Clone, FromRow)]
pub struct SessionUser {
    pub user_id: UserId,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub email: String,
    pub display_name: String,
    pub active: bool,
    pub must_change_password: bool,
    pub password_generated: bool,
    /// The user's grants as `kind:right_code` pairs joined by commas (see `db::roles`).
    pub grants: Option<String>,
}

pub async fn insert(tx: &mut Tx, token_hash: &[u8], user_id: UserId, now: i64) -> sqlx::Result<()> {
    execute!(&mut *tx, sqlx::query(
        "INSERT INTO auth_sessions (token_hash, user_id, created_at, last_seen_at) VALUES ($1, $2, $3, $3)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(now))?;
    Ok(())
}

/// The session's user, their state and grants; a macro so that the queries stay static
/// strings (this runs on every request).
macro_rules! session_select {
    ($($more:literal),*) => {
        concat!(
            "SELECT s.user_id, s.created_at, s.last_seen_at, u.email, u.display_name, u.active,
                    u.must_change_password, u.password_generated, ",
            grants_of!("s.user_id"),
            " AS grants",
            $($more,)*
            " FROM auth_sessions s JOIN users u ON u.id = s.user_id"
        )
    };
}

pub async fn find(store: &Store, token_hash: &[u8]) -> sqlx::Result<Option<SessionUser>> {
    on!(store, ex => sqlx::query_as(concat!(session_select!(), " WHERE s.token_hash = $1"))
        .bind(token_hash)
        .fetch_optional(ex)
        .await)
}

#[derive(Debug, Clone, FromRow)]
pub struct SessionWithList {
    #[sqlx(flatten)]
    pub session: SessionUser,
    #[sqlx(flatten)]
    pub list: super::list_filters::ListState,
}

/// The session and what the webhook list needs, in one round trip: the list page is the
/// busiest page, and each query costs two thread hand-offs.
pub async fn find_with_list(
    store: &Store,
    token_hash: &[u8],
) -> sqlx::Result<Option<SessionWithList>> {
    on!(store, ex => sqlx::query_as(concat!(
        session_select!(
            ", (SELECT value FROM change_counters WHERE name = 'webhooks') AS generation,
               (SELECT value FROM change_counters WHERE name = 'webhook_status') AS status_generation,
               f.name AS filter_name, a.criteria"
        ),
        " LEFT JOIN webhook_list_active_filter a ON a.user_id = s.user_id
          LEFT JOIN webhook_list_filters f ON f.id = a.filter_id
          WHERE s.token_hash = $1"
    ))
    .bind(token_hash)
    .fetch_optional(ex)
    .await)
}

pub async fn touch(store: &Store, token_hash: &[u8], now: i64) -> sqlx::Result<()> {
    execute!(
        store,
        sqlx::query("UPDATE auth_sessions SET last_seen_at = $2 WHERE token_hash = $1")
            .bind(token_hash)
            .bind(now)
    )?;
    Ok(())
}

pub async fn delete(store: &Store, token_hash: &[u8]) -> sqlx::Result<()> {
    execute!(
        store,
        sqlx::query("DELETE FROM auth_sessions WHERE token_hash = $1").bind(token_hash)
    )?;
    Ok(())
}

/// Ends a user's sessions, all of them or all but one.
pub async fn delete_for_user(
    tx: &mut Tx,
    user_id: UserId,
    keep: Option<&[u8]>,
) -> sqlx::Result<()> {
    execute!(
        &mut *tx,
        sqlx::query(
            "DELETE FROM auth_sessions WHERE user_id = $1 AND token_hash IS DISTINCT FROM $2"
        )
        .bind(user_id)
        .bind(keep)
    )?;
    Ok(())
}

pub async fn delete_expired(
    store: &Store,
    idle_before: i64,
    created_before: i64,
) -> sqlx::Result<u64> {
    let done = execute!(
        store,
        sqlx::query("DELETE FROM auth_sessions WHERE last_seen_at < $1 OR created_at < $2")
            .bind(idle_before)
            .bind(created_before)
    )?;
    Ok(done)
}
