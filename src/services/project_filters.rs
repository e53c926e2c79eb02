//! Saved project filters: create, modify and delete by their owner (a filter a webhook uses
//! cannot be deleted). Someone else's private filter does not exist for anyone else: every
//! action checks the owner before saying anything about the filter.

use super::{ServiceError, is_unique_violation};
use crate::db;
pub use crate::db::project_filters::ProjectFilterRow;
use crate::db::webhooks::Narrowed;
use crate::domain::ids::{ProjectFilterId, UserId};
use crate::domain::project_filter::ProjectCriteria;
use crate::state::AppState;

pub const NAME_MAX_CHARS: usize = 60;

/// A filter to save: its name, whether everyone may use it, and its criteria.
pub struct FilterDraft<'a> {
    pub name: &'a str,
    pub public: bool,
    pub criteria: &'a ProjectCriteria,
}

impl FilterDraft<'_> {
    fn checked(&self) -> Result<&str, ServiceError> {
        let name = self.name.trim();
        if name.is_empty()
            || name.chars().count() > NAME_MAX_CHARS
            || name.chars().any(char::is_control)
        {
            return Err(ServiceError::field(
                "name",
                format!("Name is required: one line of at most {NAME_MAX_CHARS} characters."),
            ));
        }
        Ok(name)
    }
}

/// The user's own project filters and everyone's public ones.
pub async fn visible(
    state: &AppState,
    user: UserId,
) -> Result<Vec<ProjectFilterRow>, ServiceError> {
    Ok(db::project_filters::visible_to(&state.store, user).await?)
}

fn name_taken(e: sqlx::Error) -> ServiceError {
    if is_unique_violation(&e) {
        ServiceError::field("name", "You already have a project filter with this name.")
    } else {
        e.into()
    }
}

pub async fn create(
    state: &AppState,
    owner: UserId,
    draft: &FilterDraft<'_>,
) -> Result<ProjectFilterId, ServiceError> {
    let name = draft.checked()?;
    db::project_filters::insert(&state.store, owner, name, draft.public, draft.criteria)
        .await
        .map_err(name_taken)
}

/// The filter `id` if `owner` owns it; anyone else is told it does not exist.
pub async fn own(
    state: &AppState,
    owner: UserId,
    id: ProjectFilterId,
) -> Result<ProjectFilterRow, ServiceError> {
    match db::project_filters::find(&state.store, id).await? {
        Some(f) if f.owner_id == owner => Ok(f),
        _ => Err(ServiceError::NotFound),
    }
}

/// How many webhooks pick the filter (`owner`'s own only).
pub async fn users(
    state: &AppState,
    owner: UserId,
    id: ProjectFilterId,
) -> Result<i64, ServiceError> {
    own(state, owner, id).await?;
    Ok(db::project_filters::used_by_webhooks(&state.store, id).await?)
}

pub async fn update(
    state: &AppState,
    owner: UserId,
    id: ProjectFilterId,
    draft: &FilterDraft<'_>,
) -> Result<(), ServiceError> {
    let name = draft.checked()?;
    let used = users(state, owner, id).await?;
    if used > 0 && !draft.public && own(state, owner, id).await?.public {
        return Err(ServiceError::field(
            "visibility",
            format!("{used} webhook(s) use this filter: it stays public while they do."),
        ));
    }
    let saved = db::project_filters::update_own(
        &state.store,
        owner,
        id,
        name,
        draft.public,
        draft.criteria,
    )
    .await
    .map_err(name_taken)?;
    if saved {
        Ok(())
    } else {
        Err(ServiceError::NotFound)
    }
}

pub async fn delete(
    state: &AppState,
    owner: UserId,
    id: ProjectFilterId,
) -> Result<(), ServiceError> {
    own(state, owner, id).await?;
    let users = db::webhooks::narrowed_to(&state.store, Narrowed::ProjectFilter(id)).await?;
    if !users.is_empty() {
        return Err(ServiceError::field(
            "filter",
            format!(
                "This filter is used by {} webhook(s), {}: choose another project filter for them first.",
                users.len(),
                super::projects::named(&users)
            ),
        ));
    }
    if !db::project_filters::delete_own(&state.store, owner, id).await? {
        return Err(ServiceError::NotFound);
    }
    Ok(())
}
