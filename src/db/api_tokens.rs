//! API tokens, looked up by the SHA-256 of the token the integrator sends.

use crate::db::{execute, on};
use sqlx::FromRow;

use super::{Source, Store, Tx};
use crate::domain::ids::{TokenId, UserId};

#[derive(Debug, Clone, FromRow)]
pub struct TokenRow {
    pub id: TokenId,
    pub name: String,
    pub user_id: UserId,
    pub user_email: String,
    pub user_name: String,
    pub prefix: String,
    pub scopes: String,
    pub expires_at: Option<i64>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// The token and its user as a request needs them: the user's state and grants are read in
/// the same query, so a deactivated user's tokens stop working at once.
#[derive(Debug, Clone, FromRow)]
pub struct TokenCaller {
    pub id: TokenId,
    pub name: String,
    pub scopes: String,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub user_id: UserId,
    pub email: String,
    pub display_name: String,
    pub active: bool,
    pub grants: Option<String>,
}

pub struct NewToken<'a> {
    pub name: &'a str,
    pub user_id: UserId,
    pub hash: &'a [u8],
    pub prefix: &'a str,
    pub scopes: &'a str,
    pub expires_at: Option<i64>,
    pub created_by: Option<UserId>,
}

pub async fn insert(tx: &mut Tx, t: &NewToken<'_>, now: i64) -> sqlx::Result<TokenId> {
    let (id,): (TokenId,) = on!(&mut *tx, ex => sqlx::query_as(
        "INSERT INTO api_tokens (name, user_id, token_hash, prefix, scopes, expires_at, created_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(t.name)
    .bind(t.user_id)
    .bind(t.hash)
    .bind(t.prefix)
    .bind(t.scopes)
    .bind(t.expires_at)
    .bind(now)
    .bind(t.created_by)
    .fetch_one(ex)
    .await)?;
    Ok(id)
}

const TOKEN_SELECT: &str =
    "SELECT t.id, t.name, t.user_id, u.email AS user_email, u.display_name AS user_name,
        t.prefix, t.scopes, t.expires_at, t.created_at, t.last_used_at, t.revoked_at
    FROM api_tokens t JOIN users u ON u.id = t.user_id";

pub async fn list(store: &Store) -> sqlx::Result<Vec<TokenRow>> {
    on!(store, ex => sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{TOKEN_SELECT} ORDER BY t.revoked_at IS NOT NULL, t.id DESC"
    )))
    .fetch_all(ex)
    .await)
}

pub async fn find(db: impl Into<Source<'_>>, id: TokenId) -> sqlx::Result<Option<TokenRow>> {
    on!(db, ex => sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{TOKEN_SELECT} WHERE t.id = $1"
    )))
    .bind(id)
    .fetch_optional(ex)
    .await)
}

/// The caller `hash` names, as committed; on PostgreSQL remembered between requests (see
/// `Callers`).
pub async fn caller(store: &Store, hash: &[u8]) -> sqlx::Result<Option<TokenCaller>> {
    let callers = store.callers();
    if let Some(caller) = callers.and_then(|c| c.get(hash)) {
        return Ok(Some(caller));
    }
    let epoch = callers.and_then(|c| c.epoch());
    let caller: Option<TokenCaller> = on!(store, ex => sqlx::query_as(concat!(
        "SELECT t.id, t.name, t.scopes, t.expires_at, t.last_used_at, t.revoked_at,
                t.user_id, u.email, u.display_name, u.active, ",
        grants_of!("t.user_id"),
        " AS grants
         FROM api_tokens t JOIN users u ON u.id = t.user_id
         WHERE t.token_hash = $1"
    ))
    .bind(hash)
    .fetch_optional(ex)
    .await)?;
    if let (Some(callers), Some(epoch), Some(caller)) = (callers, epoch, &caller) {
        callers.remember(epoch, hash, caller.clone());
    }
    Ok(caller)
}

pub async fn touch(store: &Store, id: TokenId, now: i64) -> sqlx::Result<()> {
    execute!(
        store,
        sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
            .bind(id)
            .bind(now)
    )?;
    if let Some(callers) = store.callers() {
        callers.used(id, now);
    }
    Ok(())
}

/// Revokes a token; false if it does not exist or was already revoked.
pub async fn revoke(tx: &mut Tx, id: TokenId, now: i64) -> sqlx::Result<bool> {
    let done = execute!(
        &mut *tx,
        sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
            .bind(id)
            .bind(now)
    )?;
    if done == 1 {
        tx.changes_access();
    }
    Ok(done == 1)
}
