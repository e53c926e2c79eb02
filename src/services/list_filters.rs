//! The webhook list's saved filters and each user's active criteria. A saved filter is its
//! owner's to change; a public one may be applied by anyone, a private one exists for no one
//! else.

use super::{ServiceError, is_unique_violation};
use crate::db;
pub use crate::db::list_filters::SavedFilter;
use crate::domain::ids::{ListFilterId, UserId};
use crate::domain::webhook::ListCriteria;
use crate::state::AppState;

pub const NAME_MAX_CHARS: usize = 60;

/// The criteria the user's list applies, and the saved filter they came from, if any.
#[derive(Debug, Default)]
pub struct Active {
    pub filter_id: Option<ListFilterId>,
    pub criteria: ListCriteria,
}

/// A name to save criteria under: one line, not too long, unique per owner.
pub struct Naming<'a> {
    pub name: &'a str,
    pub public: bool,
}

fn taken(e: sqlx::Error) -> ServiceError {
    if is_unique_violation(&e) {
        ServiceError::field("save_name", "You already have a filter with this name.")
    } else {
        e.into()
    }
}

/// The name trimmed, if it is one line of at most [`NAME_MAX_CHARS`] (empty is no name).
pub fn check_name(name: &str) -> Result<&str, String> {
    let name = name.trim();
    if name.chars().count() > NAME_MAX_CHARS || name.chars().any(char::is_control) {
        return Err(format!(
            "The name must be one line of at most {NAME_MAX_CHARS} characters."
        ));
    }
    Ok(name)
}

impl Naming<'_> {
    fn checked(&self) -> Result<&str, ServiceError> {
        match check_name(self.name) {
            Ok("") => Err(ServiceError::field(
                "save_name",
                "A saved filter needs a name.",
            )),
            Ok(name) => Ok(name),
            Err(message) => Err(ServiceError::field("save_name", message)),
        }
    }
}

pub async fn active(state: &AppState, user: UserId) -> Result<Active, ServiceError> {
    Ok(db::list_filters::active(&state.store, user)
        .await?
        .map(|a| Active {
            filter_id: a.filter_id,
            criteria: a.criteria,
        })
        .unwrap_or_default())
}

/// The user's own filters and everyone's public ones, by name.
pub async fn visible(state: &AppState, user: UserId) -> Result<Vec<SavedFilter>, ServiceError> {
    Ok(db::list_filters::visible_to(&state.store, user).await?)
}

/// One of the user's own filters with its criteria; anyone else's does not exist here.
pub async fn own(
    state: &AppState,
    user: UserId,
    id: ListFilterId,
) -> Result<(SavedFilter, ListCriteria), ServiceError> {
    let saved = db::list_filters::find_visible(&state.store, user, id)
        .await?
        .filter(|f| f.owner_id == user)
        .ok_or(ServiceError::NotFound)?;
    let criteria = saved.criteria.clone();
    Ok((saved, criteria))
}

/// Applies criteria to the user's list without saving them (none: the whole list).
pub async fn apply(
    state: &AppState,
    user: UserId,
    criteria: &ListCriteria,
) -> Result<(), ServiceError> {
    if criteria.is_empty() {
        db::list_filters::clear_active(&state.store, user).await?;
    } else {
        db::list_filters::set_active(&state.store, user, None, criteria).await?;
    }
    Ok(())
}

/// Saves criteria under a name and applies them.
pub async fn save(
    state: &AppState,
    user: UserId,
    naming: &Naming<'_>,
    criteria: &ListCriteria,
) -> Result<(), ServiceError> {
    let name = naming.checked()?;
    let id = db::list_filters::insert(&state.store, user, name, naming.public, criteria)
        .await
        .map_err(taken)?;
    db::list_filters::set_active(&state.store, user, Some(id), criteria).await?;
    Ok(())
}

/// Renames, shares or narrows one of the user's own filters.
pub async fn update(
    state: &AppState,
    user: UserId,
    id: ListFilterId,
    naming: &Naming<'_>,
    criteria: &ListCriteria,
) -> Result<(), ServiceError> {
    own(state, user, id).await?;
    let name = naming.checked()?;
    let updated =
        db::list_filters::update_own(&state.store, user, id, name, naming.public, criteria)
            .await
            .map_err(taken)?;
    if updated {
        Ok(())
    } else {
        Err(ServiceError::NotFound)
    }
}

/// Applies a saved filter: the user's own or a public one.
pub async fn select(state: &AppState, user: UserId, id: ListFilterId) -> Result<(), ServiceError> {
    let saved = db::list_filters::find_visible(&state.store, user, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    db::list_filters::set_active(&state.store, user, Some(saved.id), &saved.criteria).await?;
    Ok(())
}

/// The whole list again.
pub async fn clear(state: &AppState, user: UserId) -> Result<(), ServiceError> {
    db::list_filters::clear_active(&state.store, user).await?;
    Ok(())
}

pub async fn delete(state: &AppState, user: UserId, id: ListFilterId) -> Result<(), ServiceError> {
    if db::list_filters::delete_own(&state.store, user, id).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound)
    }
}
