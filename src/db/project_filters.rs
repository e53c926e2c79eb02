//! Saved project filters: private to their owner, or public.

use super::{Source, Store};
use crate::db::{execute, on};
use crate::domain::ids::{ProjectFilterId, UserId};
use crate::domain::project_filter::ProjectCriteria;
use sqlx::FromRow;

#[derive(Debug, Clone, FromRow)]
pub struct ProjectFilterRow {
    pub id: ProjectFilterId,
    pub owner_id: UserId,
    pub owner_name: String,
    pub name: String,
    pub public: bool,
    pub criteria: ProjectCriteria,
}

const SELECT: &str =
    "SELECT f.id, f.owner_id, u.display_name AS owner_name, f.name, f.public, f.criteria
    FROM project_filters f JOIN users u ON u.id = f.owner_id";

pub async fn visible_to(store: &Store, user_id: UserId) -> sqlx::Result<Vec<ProjectFilterRow>> {
    on!(store, ex => sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE f.owner_id = $1 OR f.public ORDER BY f.name COLLATE NOCASE, f.id"
    )))
    .bind(user_id)
    .fetch_all(ex)
    .await)
}

pub async fn find(
    db: impl Into<Source<'_>>,
    id: ProjectFilterId,
) -> sqlx::Result<Option<ProjectFilterRow>> {
    on!(db, ex => sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE f.id = $1")))
        .bind(id)
        .fetch_optional(ex)
        .await)
}

pub async fn insert(
    store: &Store,
    owner_id: UserId,
    name: &str,
    public: bool,
    criteria: &ProjectCriteria,
) -> sqlx::Result<ProjectFilterId> {
    on!(store, ex => sqlx::query_scalar("INSERT INTO project_filters (owner_id, name, public, criteria) VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(owner_id)
        .bind(name)
        .bind(public)
        .bind(criteria)
        .fetch_one(ex)
        .await)
}

pub async fn update_own(
    store: &Store,
    owner_id: UserId,
    id: ProjectFilterId,
    name: &str,
    public: bool,
    criteria: &ProjectCriteria,
) -> sqlx::Result<bool> {
    let done = execute!(store, sqlx::query(
        "UPDATE project_filters SET name = $3, public = $4, criteria = $5 WHERE id = $2 AND owner_id = $1",
    )
    .bind(owner_id)
    .bind(id)
    .bind(name)
    .bind(public)
    .bind(criteria))?;
    Ok(done == 1)
}

/// Filters in use by webhooks cannot be deleted.
pub async fn used_by_webhooks(db: impl Into<Source<'_>>, id: ProjectFilterId) -> sqlx::Result<i64> {
    on!(db, ex => sqlx::query_scalar("SELECT COUNT(*) FROM webhooks WHERE project_filter_id = $1")
        .bind(id)
        .fetch_one(ex)
        .await)
}

pub async fn delete_own(
    store: &Store,
    owner_id: UserId,
    id: ProjectFilterId,
) -> sqlx::Result<bool> {
    let done = execute!(
        store,
        sqlx::query("DELETE FROM project_filters WHERE id = $2 AND owner_id = $1")
            .bind(owner_id)
            .bind(id)
    )?;
    Ok(done == 1)
}
