//! Custom roles: create, modify, delete. Built-in roles are read-only.

use crate::db;
use crate::domain::{RightSet, RoleName};
use crate::state::AppState;

use super::{Actor, ServiceError, is_unique_violation};
pub use crate::db::roles::RoleRow;
use crate::domain::ids::RoleId;

pub struct RoleInput {
    pub name: RoleName,
    pub description: String,
    pub rights: RightSet,
}

/// Every role, built-in ones first.
pub async fn roles(state: &AppState) -> Result<Vec<RoleRow>, ServiceError> {
    Ok(db::roles::list(&state.store).await?)
}

/// Every role with the rights it grants.
pub async fn roles_with_rights(state: &AppState) -> Result<Vec<(RoleRow, RightSet)>, ServiceError> {
    let mut all = Vec::new();
    for role in roles(state).await? {
        let rights = db::roles::rights(&state.store, &role).await?;
        all.push((role, rights));
    }
    Ok(all)
}

pub async fn role(state: &AppState, id: RoleId) -> Result<(RoleRow, RightSet), ServiceError> {
    let role = db::roles::find(&state.store, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let rights = db::roles::rights(&state.store, &role).await?;
    Ok((role, rights))
}

pub async fn role_named(state: &AppState, name: &str) -> Result<Option<RoleRow>, ServiceError> {
    Ok(db::roles::find_by_name(&state.store, name).await?)
}

pub const DESCRIPTION_MAX_CHARS: usize = 500;
const NAME_TAKEN: &str = "A role with this name already exists.";

/// A role may carry only rights its maker holds.
fn check_rights(actor: &Actor, rights: RightSet) -> Result<(), ServiceError> {
    actor
        .authority
        .require(rights, "This role")
        .map_err(|m| ServiceError::field("rights", m))
}

pub async fn create_role(
    state: &AppState,
    actor: &Actor,
    input: RoleInput,
) -> Result<RoleId, ServiceError> {
    check_rights(actor, input.rights)?;
    let mut tx = state.store.begin_write().await?;
    let id = match db::roles::insert(&mut tx, input.name.as_ref(), &input.description).await {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => return Err(ServiceError::field("name", NAME_TAKEN)),
        Err(e) => return Err(e.into()),
    };
    db::roles::replace_rights(&mut tx, id, input.rights).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn update_role(
    state: &AppState,
    actor: &Actor,
    id: RoleId,
    input: RoleInput,
) -> Result<(), ServiceError> {
    check_rights(actor, input.rights)?;
    let mut tx = state.store.begin_write().await?;
    let role = db::roles::find(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !role.is_editable() {
        return Err(ServiceError::field(
            "name",
            "Built-in roles cannot be changed.",
        ));
    }
    check_rights(actor, db::roles::rights(&mut tx, &role).await?)?;
    match db::roles::update(&mut tx, id, input.name.as_ref(), &input.description).await {
        Err(e) if is_unique_violation(&e) => return Err(ServiceError::field("name", NAME_TAKEN)),
        other => other?,
    }
    db::roles::replace_rights(&mut tx, id, input.rights).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn delete_role(state: &AppState, actor: &Actor, id: RoleId) -> Result<(), ServiceError> {
    let mut tx = state.store.begin_write().await?;
    let role = db::roles::find(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !role.is_editable() {
        return Err(ServiceError::field(
            "name",
            "Built-in roles cannot be deleted.",
        ));
    }
    check_rights(actor, db::roles::rights(&mut tx, &role).await?)?;
    let holders = db::roles::holders(&mut tx, id).await?;
    if holders > 0 {
        return Err(ServiceError::field(
            "name",
            format!("This role is held by {holders} user(s); take it away from them first."),
        ));
    }
    db::roles::delete(&mut tx, id).await?;
    tx.commit().await?;
    Ok(())
}
