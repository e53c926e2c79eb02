//! Users: create, modify, (de)activate, delete, change and reset passwords. Changes to a
//! user's details fire user events, in the same transaction.

use super::change::{self, Change, Recorded};
use super::{Actor, ServiceError, is_unique_violation};
use crate::db::webhooks::Narrowed;
use crate::db::{self, Tx, users::NewUser};
use crate::domain::catalogue::{Action, ObjectType};
use crate::domain::{DisplayName, Email, FieldErrors, NewPassword, RightSet, Secret};

use super::dispatch::after_commit;
use crate::domain::ids::{RoleId, UserId};
use crate::state::AppState;

pub struct UserInput {
    pub email: Email,
    pub display_name: DisplayName,
    pub role_ids: Vec<RoleId>,
}

pub struct NewUserInput {
    pub user: UserInput,
    pub password: NewPassword,
    pub must_change_password: bool,
    /// Hookline generated the password (and printed it once).
    pub password_generated: bool,
}

pub use crate::db::users::{UserListRow, UserRow};

/// Everyone, by name, with their roles' names.
pub async fn users(state: &AppState) -> Result<Vec<UserListRow>, ServiceError> {
    Ok(db::users::list_with_roles(&state.store).await?)
}

/// Everyone, by name, with the ids of their roles.
pub async fn users_with_role_ids(
    state: &AppState,
) -> Result<Vec<(UserListRow, Vec<RoleId>)>, ServiceError> {
    let mut grants: std::collections::HashMap<UserId, Vec<RoleId>> = Default::default();
    for (user, role) in db::users::role_grants(&state.store).await? {
        grants.entry(user).or_default().push(role);
    }
    Ok(users(state)
        .await?
        .into_iter()
        .map(|u| {
            let roles = grants.remove(&u.id).unwrap_or_default();
            (u, roles)
        })
        .collect())
}

pub async fn user_by_email(
    state: &AppState,
    email: &Email,
) -> Result<Option<UserRow>, ServiceError> {
    Ok(db::users::find_by_email(&state.store, email.as_ref()).await?)
}

/// One user and the ids of their roles.
pub async fn user(state: &AppState, id: UserId) -> Result<(UserRow, Vec<RoleId>), ServiceError> {
    let user = db::users::find(&state.store, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    Ok((user, db::users::role_ids(&state.store, id).await?))
}

const EMAIL_TAKEN: &str = "A user with this email already exists.";
const LAST_ADMIN: &str = "Hookline needs at least one active user with the Administrator role.";
const NOT_YOURSELF: &str = "You cannot deactivate your own account.";

pub async fn create_user(
    state: &AppState,
    actor: &Actor,
    input: NewUserInput,
) -> Result<UserId, ServiceError> {
    check_roles_exist(state, &input.user.role_ids).await?;
    check_grant(state, actor, &input.user.role_ids, &[]).await?;
    let hash = state.passwords.hash(input.password.secret()).await?;
    let mut tx = state.store.begin_write().await?;
    let new = NewUser {
        email: input.user.email.as_ref(),
        display_name: input.user.display_name.as_ref(),
        password_hash: &hash,
        must_change_password: input.must_change_password,
        password_generated: input.password_generated,
    };
    let id = match db::users::insert(&mut tx, &new, db::now_ms()).await {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => return Err(ServiceError::field("email", EMAIL_TAKEN)),
        Err(e) => return Err(e.into()),
    };
    db::users::replace_roles(&mut tx, id, &[], &input.user.role_ids).await?;
    let (after, version) = db::users::attributes(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let change = Change {
        object: ObjectType::User,
        action: Action::Create,
        object_id: id.get(),
        parent: None,
        before: None,
        after: Some(after),
        change_version: version,
    };
    let recorded = change::record(&mut tx, change, &actor.initiator(), &state.routing()).await?;
    tx.commit().await?;
    if let Some(recorded) = &recorded {
        after_commit(state, recorded).await;
    }
    tracing::info!(user_id = %id, "user created");
    Ok(id)
}

/// Records a modification made in `tx` since `before` was read; bumps the change version
/// only when a detail field changed. Returns the recorded event, if one did.
async fn record_modification(
    state: &AppState,
    tx: &mut Tx,
    actor: &Actor,
    id: UserId,
    before: serde_json::Map<String, serde_json::Value>,
) -> Result<Option<Recorded>, ServiceError> {
    let (after, _) = db::users::attributes(tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if crate::events::changes::diff(ObjectType::User, Some(&before), Some(&after)).is_empty() {
        return Ok(None);
    }
    let version = db::users::bump_version(tx, id).await?;
    let change = Change {
        object: ObjectType::User,
        action: Action::Modify,
        object_id: id.get(),
        parent: None,
        before: Some(before),
        after: Some(after),
        change_version: version,
    };
    Ok(change::record(tx, change, &actor.initiator(), &state.routing()).await?)
}

pub async fn update_user(
    state: &AppState,
    actor: &Actor,
    id: UserId,
    input: UserInput,
    active: bool,
) -> Result<(), ServiceError> {
    if actor.id == Some(id) && !active {
        return Err(ServiceError::field("active", NOT_YOURSELF));
    }
    check_roles_exist(state, &input.role_ids).await?;
    let mut tx = state.store.begin_write().await?;
    let (before, _) = db::users::attributes(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    check_outranks(&mut tx, actor, id).await?;
    let held = db::users::role_ids(&mut tx, id).await?;
    check_grant(state, actor, &input.role_ids, &held).await?;
    let now = db::now_ms();
    match db::users::update_details(
        &mut tx,
        id,
        input.email.as_ref(),
        input.display_name.as_ref(),
        now,
    )
    .await
    {
        Err(e) if is_unique_violation(&e) => return Err(ServiceError::field("email", EMAIL_TAKEN)),
        other => other?,
    }
    db::users::replace_roles(&mut tx, id, &held, &input.role_ids).await?;
    if db::users::set_active(&mut tx, id, active, now).await? && !active {
        db::sessions::delete_for_user(&mut tx, id, None).await?;
    }
    if db::users::active_administrators(&mut tx).await? == 0 {
        return Err(ServiceError::field("roles", LAST_ADMIN));
    }
    if let Some(recorded) = record_modification(state, &mut tx, actor, id, before).await? {
        tx.commit().await?;
        after_commit(state, &recorded).await;
        tracing::info!(user_id = %id, actor_id = ?actor.id, "user modified");
    }
    Ok(())
}

pub async fn set_active(
    state: &AppState,
    actor: &Actor,
    id: UserId,
    active: bool,
) -> Result<(), ServiceError> {
    if actor.id == Some(id) && !active {
        return Err(ServiceError::field("active", NOT_YOURSELF));
    }
    let mut tx = state.store.begin_write().await?;
    let (before, _) = db::users::attributes(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    check_outranks(&mut tx, actor, id).await?;
    if db::users::set_active(&mut tx, id, active, db::now_ms()).await? && !active {
        db::sessions::delete_for_user(&mut tx, id, None).await?;
    }
    if db::users::active_administrators(&mut tx).await? == 0 {
        return Err(ServiceError::field("active", LAST_ADMIN));
    }
    if let Some(recorded) = record_modification(state, &mut tx, actor, id, before).await? {
        tx.commit().await?;
        after_commit(state, &recorded).await;
        tracing::info!(
            user_id = %id,
            actor_id = ?actor.id,
            active,
            "user activation changed"
        );
    }
    Ok(())
}

pub async fn delete_user(
    state: &AppState,
    actor: &Actor,
    id: UserId,
) -> Result<String, ServiceError> {
    if actor.id == Some(id) {
        return Err(ServiceError::field(
            "user",
            "You cannot delete your own account.",
        ));
    }
    let mut tx = state.store.begin_write().await?;
    let (before, version) = db::users::attributes(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    check_outranks(&mut tx, actor, id).await?;
    let managed = db::projects::managed_by(&mut tx, id).await?;
    if managed > 0 {
        return Err(ServiceError::field(
            "user",
            format!(
                "This user manages {managed} project(s): choose another manager for them first."
            ),
        ));
    }
    let hooks = db::webhooks::narrowed_to(&mut tx, Narrowed::Initiator(id)).await?;
    if !hooks.is_empty() {
        return Err(ServiceError::field(
            "user",
            format!(
                "Webhook(s) {} fire only for this user's changes: change them first.",
                super::projects::named(&hooks)
            ),
        ));
    }
    db::users::delete(&mut tx, id).await?;
    if db::users::active_administrators(&mut tx).await? == 0 {
        return Err(ServiceError::field("user", LAST_ADMIN));
    }
    let email = before
        .get("email")
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_owned();
    let change = Change {
        object: ObjectType::User,
        action: Action::Delete,
        object_id: id.get(),
        parent: None,
        before: Some(before),
        after: None,
        change_version: version + 1,
    };
    let recorded = change::record(&mut tx, change, &actor.initiator(), &state.routing()).await?;
    tx.commit().await?;
    if let Some(recorded) = &recorded {
        after_commit(state, recorded).await;
    }
    tracing::info!(user_id = %id, actor_id = ?actor.id, "user deleted");
    Ok(email)
}

/// The user's own change: checks the current password, ends their other sessions.
pub async fn change_password(
    state: &AppState,
    user_id: UserId,
    keep_session: &[u8],
    current: &Secret,
    new: NewPassword,
) -> Result<(), ServiceError> {
    let stored = db::users::password_hash(&state.store, user_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let mut errors = FieldErrors::new();
    if !state.passwords.verify(current, Some(&stored)).await? {
        errors.add("current_password", "The current password is incorrect.");
    } else if current.expose() == new.secret().expose() {
        errors.add(
            "new_password",
            "The new password must differ from the current one.",
        );
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let hash = state.passwords.hash(new.secret()).await?;
    let mut tx = state.store.begin_write().await?;
    db::users::set_password(&mut tx, user_id, &hash, false, false, db::now_ms()).await?;
    db::sessions::delete_for_user(&mut tx, user_id, Some(keep_session)).await?;
    tx.commit().await?;
    tracing::info!(user_id = %user_id, "password changed");
    Ok(())
}

/// An administrator's reset (from the shell): a new password to change at next sign-in.
pub async fn reset_password(
    state: &AppState,
    email: &Email,
    new: &Secret,
) -> Result<(), ServiceError> {
    let hash = state.passwords.hash(new).await?;
    let mut tx = state.store.begin_write().await?;
    let user = db::users::find_by_email(&mut tx, email.as_ref())
        .await?
        .ok_or(ServiceError::NotFound)?;
    db::users::set_password(&mut tx, user.id, &hash, true, true, db::now_ms()).await?;
    db::sessions::delete_for_user(&mut tx, user.id, None).await?;
    db::throttle::clear(&mut tx, email.as_ref()).await?;
    tx.commit().await?;
    tracing::info!(user_id = %user.id, "password reset");
    Ok(())
}

/// Roles given that the user did not hold before carry only rights the actor holds.
async fn check_grant(
    state: &AppState,
    actor: &Actor,
    role_ids: &[RoleId],
    held: &[RoleId],
) -> Result<(), ServiceError> {
    let mut given = RightSet::default();
    for id in role_ids.iter().filter(|id| !held.contains(id)) {
        if let Some(role) = db::roles::find(&state.store, *id).await? {
            given.extend(db::roles::rights(&state.store, &role).await?);
        }
    }
    actor
        .authority
        .require(given, "Giving these roles")
        .map_err(|m| ServiceError::field("roles", m))
}

/// Only someone holding every right of a user may change, deactivate or delete them: an
/// account is a way to act with its rights.
async fn check_outranks(tx: &mut Tx, actor: &Actor, id: UserId) -> Result<(), ServiceError> {
    let theirs = db::roles::rights_of(&mut *tx, id).await?;
    actor
        .authority
        .require(theirs, "Managing this user")
        .map_err(|m| ServiceError::field("user", m))
}

async fn check_roles_exist(state: &AppState, role_ids: &[RoleId]) -> Result<(), ServiceError> {
    for id in role_ids {
        if db::roles::find(&state.store, *id).await?.is_none() {
            return Err(ServiceError::field(
                "roles",
                "One of the chosen roles does not exist.",
            ));
        }
    }
    Ok(())
}
