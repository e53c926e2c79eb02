//! The `users` table and a user's roles.

use sqlx::{FromRow, SqliteExecutor, SqlitePool};

use super::Tx;

#[derive(Debug, Clone, FromRow)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub active: bool,
    pub must_change_password: bool,
    pub created_at: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct Credentials {
    pub id: i64,
    pub password_hash: String,
    pub active: bool,
    pub must_change_password: bool,
}

pub struct NewUser<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub must_change_password: bool,
}

pub async fn count(pool: &SqlitePool) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(pool)
        .await
}

pub async fn insert(tx: &mut Tx, user: &NewUser<'_>, now: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO users (email, display_name, password_hash, must_change_password, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5) RETURNING id",
    )
    .bind(user.email)
    .bind(user.display_name)
    .bind(user.password_hash)
    .bind(user.must_change_password)
    .bind(now)
    .fetch_one(&mut **tx)
    .await
}

pub async fn credentials_by_email(
    pool: &SqlitePool,
    email: &str,
) -> sqlx::Result<Option<Credentials>> {
    sqlx::query_as(
        "SELECT id, password_hash, active, must_change_password FROM users WHERE email = ?1",
    )
    .bind(email)
    .fetch_optional(pool)
    .await
}

pub async fn password_hash(pool: &SqlitePool, id: i64) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT password_hash FROM users WHERE id = ?1")
        .bind(id)
        .fetch_optional(pool)
        .await
}

pub async fn find(db: impl SqliteExecutor<'_>, id: i64) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as(
        "SELECT id, email, display_name, active, must_change_password, created_at
         FROM users WHERE id = ?1",
    )
    .bind(id)
    .fetch_optional(db)
    .await
}

pub async fn find_by_email(
    db: impl SqliteExecutor<'_>,
    email: &str,
) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as(
        "SELECT id, email, display_name, active, must_change_password, created_at
         FROM users WHERE email = ?1",
    )
    .bind(email)
    .fetch_optional(db)
    .await
}

pub async fn update_details(
    tx: &mut Tx,
    id: i64,
    email: &str,
    display_name: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE users SET email = ?2, display_name = ?3, updated_at = ?4
         WHERE id = ?1 AND (email IS NOT ?2 OR display_name IS NOT ?3)",
    )
    .bind(id)
    .bind(email)
    .bind(display_name)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn set_active(tx: &mut Tx, id: i64, active: bool, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE users SET active = ?2, updated_at = ?3 WHERE id = ?1 AND active IS NOT ?2",
    )
    .bind(id)
    .bind(active)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_password(
    tx: &mut Tx,
    id: i64,
    password_hash: &str,
    must_change: bool,
    now: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE users SET password_hash = ?2, must_change_password = ?3, updated_at = ?4 WHERE id = ?1",
    )
    .bind(id)
    .bind(password_hash)
    .bind(must_change)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn role_ids(db: impl SqliteExecutor<'_>, user_id: i64) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar("SELECT role_id FROM user_roles WHERE user_id = ?1 ORDER BY role_id")
        .bind(user_id)
        .fetch_all(db)
        .await
}

pub async fn replace_roles(tx: &mut Tx, user_id: i64, role_ids: &[i64]) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM user_roles WHERE user_id = ?1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    for role_id in role_ids {
        sqlx::query("INSERT INTO user_roles (user_id, role_id) VALUES (?1, ?2)")
            .bind(user_id)
            .bind(role_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Active users holding the Administrator role: the last one must not be lost.
pub async fn active_administrators(db: impl SqliteExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(DISTINCT u.id) FROM users u
         JOIN user_roles ur ON ur.user_id = u.id
         JOIN roles r ON r.id = ur.role_id
         WHERE u.active = 1 AND r.kind = 'administrator'",
    )
    .fetch_one(db)
    .await
}

#[derive(Debug, Clone, FromRow)]
pub struct UserListRow {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub active: bool,
    pub roles: String,
}

pub async fn list_with_roles(pool: &SqlitePool) -> sqlx::Result<Vec<UserListRow>> {
    sqlx::query_as(
        "SELECT u.id, u.email, u.display_name, u.active,
                COALESCE((SELECT group_concat(r.name, ', ') FROM user_roles ur
                          JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = u.id), '') AS roles
         FROM users u ORDER BY u.display_name COLLATE NOCASE, u.id",
    )
    .fetch_all(pool)
    .await
}

/// A user's detail fields as events carry them, and the current change version.
pub async fn attributes(
    tx: &mut Tx,
    id: i64,
) -> sqlx::Result<Option<(serde_json::Map<String, serde_json::Value>, i64)>> {
    let row: Option<(String, String, bool, i64, Option<String>)> = sqlx::query_as(
        "SELECT u.email, u.display_name, u.active, u.change_version,
                (SELECT group_concat(name, ', ') FROM (SELECT r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id
                  WHERE ur.user_id = u.id ORDER BY r.name))
         FROM users u WHERE u.id = ?1",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(|(email, display_name, active, version, roles)| {
        let v = serde_json::json!({"email": email, "display_name": display_name, "active": active, "roles": roles.unwrap_or_default()});
        (v.as_object().cloned().unwrap_or_default(), version)
    }))
}

pub async fn bump_version(tx: &mut Tx, id: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar("UPDATE users SET change_version = change_version + 1 WHERE id = ?1 RETURNING change_version")
        .bind(id)
        .fetch_one(&mut **tx)
        .await
}

pub async fn delete(tx: &mut Tx, id: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM users WHERE id = ?1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
