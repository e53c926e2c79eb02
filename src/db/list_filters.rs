//! Saved filters of the webhook list, and each user's active one.

use super::Store;
use crate::db::{execute, on};
use crate::domain::ids::{ListFilterId, UserId};
use crate::domain::webhook::ListCriteria;
use sqlx::FromRow;

#[derive(Debug, Clone, FromRow)]
pub struct SavedFilter {
    pub id: ListFilterId,
    pub owner_id: UserId,
    pub owner_name: String,
    pub name: String,
    pub public: bool,
    pub criteria: ListCriteria,
}

/// The user's own filters and everyone's public ones.
pub async fn visible_to(store: &Store, user_id: UserId) -> sqlx::Result<Vec<SavedFilter>> {
    on!(store, ex => sqlx::query_as(
        "SELECT f.id, f.owner_id, u.display_name AS owner_name, f.name, f.public, f.criteria
         FROM webhook_list_filters f JOIN users u ON u.id = f.owner_id
         WHERE f.owner_id = $1 OR f.public
         ORDER BY f.name COLLATE NOCASE, f.id",
    )
    .bind(user_id)
    .fetch_all(ex)
    .await)
}

pub async fn find_visible(
    store: &Store,
    user_id: UserId,
    id: ListFilterId,
) -> sqlx::Result<Option<SavedFilter>> {
    on!(store, ex => sqlx::query_as(
        "SELECT f.id, f.owner_id, u.display_name AS owner_name, f.name, f.public, f.criteria
         FROM webhook_list_filters f JOIN users u ON u.id = f.owner_id
         WHERE f.id = $2 AND (f.owner_id = $1 OR f.public)",
    )
    .bind(user_id)
    .bind(id)
    .fetch_optional(ex)
    .await)
}

pub async fn insert(
    store: &Store,
    owner_id: UserId,
    name: &str,
    public: bool,
    criteria: &ListCriteria,
) -> sqlx::Result<ListFilterId> {
    on!(store, ex => sqlx::query_scalar("INSERT INTO webhook_list_filters (owner_id, name, public, criteria) VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(owner_id)
        .bind(name)
        .bind(public)
        .bind(criteria)
        .fetch_one(ex)
        .await)
}

/// Saves new criteria under a filter of `owner_id`'s, and into every user's active copy of
/// it; false when they own no such filter.
pub async fn update_own(
    store: &Store,
    owner_id: UserId,
    id: ListFilterId,
    name: &str,
    public: bool,
    criteria: &ListCriteria,
) -> sqlx::Result<bool> {
    let mut tx = store.begin_write().await?;
    let done = execute!(&mut tx, sqlx::query(
        "UPDATE webhook_list_filters SET name = $3, public = $4, criteria = $5 WHERE id = $2 AND owner_id = $1",
    )
    .bind(owner_id)
    .bind(id)
    .bind(name)
    .bind(public)
    .bind(criteria))?;
    if done != 1 {
        tx.rollback().await?;
        return Ok(false);
    }
    // Those who had it active keep it, with its new criteria; once it is private, others
    // keep the criteria without the filter.
    execute!(
        &mut tx,
        sqlx::query(
            "UPDATE webhook_list_active_filter
         SET criteria = $2, filter_id = CASE WHEN $4 OR user_id = $3 THEN filter_id END
         WHERE filter_id = $1",
        )
        .bind(id)
        .bind(criteria)
        .bind(owner_id)
        .bind(public)
    )?;
    tx.commit().await?;
    Ok(true)
}

pub async fn delete_own(store: &Store, owner_id: UserId, id: ListFilterId) -> sqlx::Result<bool> {
    let done = execute!(
        store,
        sqlx::query("DELETE FROM webhook_list_filters WHERE id = $2 AND owner_id = $1")
            .bind(owner_id)
            .bind(id)
    )?;
    Ok(done == 1)
}

#[derive(Debug, Clone, FromRow)]
pub struct ActiveFilter {
    pub filter_id: Option<ListFilterId>,
    pub name: Option<String>,
    pub criteria: ListCriteria,
}

pub async fn active(store: &Store, user_id: UserId) -> sqlx::Result<Option<ActiveFilter>> {
    on!(store, ex => sqlx::query_as(
        "SELECT a.filter_id, f.name, a.criteria FROM webhook_list_active_filter a
         LEFT JOIN webhook_list_filters f ON f.id = a.filter_id WHERE a.user_id = $1",
    )
    .bind(user_id)
    .fetch_optional(ex)
    .await)
}

pub async fn set_active(
    store: &Store,
    user_id: UserId,
    filter_id: Option<ListFilterId>,
    criteria: &ListCriteria,
) -> sqlx::Result<()> {
    execute!(store, sqlx::query(
        "INSERT INTO webhook_list_active_filter (user_id, filter_id, criteria) VALUES ($1, $2, $3)
         ON CONFLICT (user_id) DO UPDATE SET filter_id = excluded.filter_id, criteria = excluded.criteria",
    )
    .bind(user_id)
    .bind(filter_id)
    .bind(criteria))?;
    Ok(())
}

pub async fn clear_active(store: &Store, user_id: UserId) -> sqlx::Result<()> {
    execute!(
        store,
        sqlx::query("DELETE FROM webhook_list_active_filter WHERE user_id = $1").bind(user_id)
    )?;
    Ok(())
}

/// What the list page needs besides the webhooks (read with the session, see
/// `sessions::find_with_list`): the webhooks change counter and the user's active filter.
#[derive(Debug, Clone, FromRow)]
pub struct ListState {
    #[sqlx(flatten)]
    pub generations: super::snapshot::Generations,
    pub filter_name: Option<String>,
    pub criteria: Option<ListCriteria>,
}
