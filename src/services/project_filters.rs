//! Saved project filters: create and delete (a filter a webhook uses cannot be deleted).

use super::{ServiceError, is_unique_violation};
use crate::db;
use crate::domain::project_filter::ProjectCriteria;
use crate::state::AppState;

pub const NAME_MAX_CHARS: usize = 60;

pub async fn create(
    state: &AppState,
    owner: i64,
    name: &str,
    public: bool,
    criteria: &ProjectCriteria,
) -> Result<i64, ServiceError> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > NAME_MAX_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(ServiceError::field(
            "name",
            format!("Name is required: one line of at most {NAME_MAX_CHARS} characters."),
        ));
    }
    let json = serde_json::to_string(criteria).map_err(anyhow::Error::from)?;
    match db::project_filters::insert(&state.pool, owner, name, public, &json).await {
        Ok(id) => Ok(id),
        Err(e) if is_unique_violation(&e) => Err(ServiceError::field(
            "name",
            "You already have a project filter with this name.",
        )),
        Err(e) => Err(e.into()),
    }
}

pub async fn delete(state: &AppState, owner: i64, id: i64) -> Result<(), ServiceError> {
    let users = db::project_filters::used_by_webhooks(&state.pool, id).await?;
    if users > 0 {
        return Err(ServiceError::field(
            "filter",
            format!(
                "This filter is used by {users} webhook(s): choose another project filter for them first."
            ),
        ));
    }
    if !db::project_filters::delete_own(&state.pool, owner, id).await? {
        return Err(ServiceError::NotFound);
    }
    Ok(())
}
