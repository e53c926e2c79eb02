//! Projects and phases: create, modify, delete. Each change records its event, and the
//! deliveries of the matching webhooks, in its own transaction; a modification that changes
//! no detail field writes nothing at all.

use super::{Actor, ServiceError, is_unique_violation};
use crate::db::{self, Tx};
use crate::domain::project::{PhaseDraft, ProjectDraft};
use crate::events::{self, Action, Change, ObjectType, Recorded};
use crate::state::AppState;

const CODE_TAKEN: &str = "A project with this code already exists.";

/// What a save did.
#[derive(Debug)]
pub enum Saved {
    Changed { id: i64, recorded: Recorded },
    Unchanged { id: i64 },
}

async fn record(
    state: &AppState,
    tx: &mut Tx,
    change: Change,
    actor: &Actor,
) -> Result<Option<Recorded>, ServiceError> {
    Ok(events::record(
        tx,
        change,
        &actor.initiator(),
        state.settings.max_hooks_per_action,
    )
    .await?)
}

async fn check_manager(tx: &mut Tx, manager: Option<i64>) -> Result<(), ServiceError> {
    if let Some(id) = manager
        && db::users::find(&mut **tx, id).await?.is_none()
    {
        return Err(ServiceError::field(
            "manager",
            "Choose a manager from the list.",
        ));
    }
    Ok(())
}

pub async fn create_project(
    state: &AppState,
    actor: &Actor,
    draft: &ProjectDraft,
) -> Result<Saved, ServiceError> {
    let mut tx = db::begin_write(&state.pool).await?;
    check_manager(&mut tx, draft.manager_id).await?;
    let id = match db::projects::insert(&mut tx, draft, db::now_ms()).await {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => return Err(ServiceError::field("code", CODE_TAKEN)),
        Err(e) => return Err(e.into()),
    };
    let row = db::projects::find(&mut *tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let change = Change {
        object: ObjectType::Project,
        action: Action::Create,
        object_id: id,
        parent: None,
        before: None,
        after: Some(row.attributes()),
        change_version: row.change_version,
    };
    let recorded = record(state, &mut tx, change, actor)
        .await?
        .ok_or_else(|| anyhow::anyhow!("a creation always records its event"))?;
    tx.commit().await?;
    Ok(Saved::Changed { id, recorded })
}

pub async fn update_project(
    state: &AppState,
    actor: &Actor,
    id: i64,
    draft: &ProjectDraft,
) -> Result<Saved, ServiceError> {
    let mut tx = db::begin_write(&state.pool).await?;
    let before = db::projects::find(&mut *tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    check_manager(&mut tx, draft.manager_id).await?;
    match db::projects::update(&mut tx, id, draft, db::now_ms()).await {
        Err(e) if is_unique_violation(&e) => return Err(ServiceError::field("code", CODE_TAKEN)),
        other => other?,
    };
    let after = db::projects::find(&mut *tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let change = Change {
        object: ObjectType::Project,
        action: Action::Modify,
        object_id: id,
        parent: None,
        before: Some(before.attributes()),
        after: Some(after.attributes()),
        change_version: after.change_version,
    };
    // Dropping the transaction rolls back the version bump of a save that changed nothing.
    let Some(recorded) = record(state, &mut tx, change, actor).await? else {
        return Ok(Saved::Unchanged { id });
    };
    tx.commit().await?;
    Ok(Saved::Changed { id, recorded })
}

pub async fn delete_project(
    state: &AppState,
    actor: &Actor,
    id: i64,
) -> Result<Recorded, ServiceError> {
    let mut tx = db::begin_write(&state.pool).await?;
    let before = db::projects::find(&mut *tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let phases = db::projects::phase_count(&mut *tx, id).await?;
    if phases > 0 {
        return Err(ServiceError::field(
            "project",
            format!("This project has {phases} phase(s): delete them first."),
        ));
    }
    db::projects::delete(&mut tx, id).await?;
    let change = Change {
        object: ObjectType::Project,
        action: Action::Delete,
        object_id: id,
        parent: None,
        before: Some(before.attributes()),
        after: None,
        change_version: before.change_version + 1,
    };
    let recorded = record(state, &mut tx, change, actor)
        .await?
        .ok_or_else(|| anyhow::anyhow!("a deletion always records its event"))?;
    tx.commit().await?;
    Ok(recorded)
}

pub async fn create_phase(
    state: &AppState,
    actor: &Actor,
    project_id: i64,
    draft: &PhaseDraft,
) -> Result<Saved, ServiceError> {
    let mut tx = db::begin_write(&state.pool).await?;
    db::projects::find(&mut *tx, project_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let id = db::projects::insert_phase(&mut tx, project_id, draft, db::now_ms()).await?;
    let row = db::projects::find_phase(&mut *tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let change = Change {
        object: ObjectType::Phase,
        action: Action::Create,
        object_id: id,
        parent: Some((ObjectType::Project, project_id)),
        before: None,
        after: Some(row.attributes()),
        change_version: row.change_version,
    };
    let recorded = record(state, &mut tx, change, actor)
        .await?
        .ok_or_else(|| anyhow::anyhow!("a creation always records its event"))?;
    tx.commit().await?;
    Ok(Saved::Changed { id, recorded })
}

pub async fn update_phase(
    state: &AppState,
    actor: &Actor,
    id: i64,
    draft: &PhaseDraft,
) -> Result<Saved, ServiceError> {
    let mut tx = db::begin_write(&state.pool).await?;
    let before = db::projects::find_phase(&mut *tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    db::projects::update_phase(&mut tx, id, draft, db::now_ms()).await?;
    let after = db::projects::find_phase(&mut *tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let change = Change {
        object: ObjectType::Phase,
        action: Action::Modify,
        object_id: id,
        parent: Some((ObjectType::Project, after.project_id)),
        before: Some(before.attributes()),
        after: Some(after.attributes()),
        change_version: after.change_version,
    };
    let Some(recorded) = record(state, &mut tx, change, actor).await? else {
        return Ok(Saved::Unchanged { id });
    };
    tx.commit().await?;
    Ok(Saved::Changed { id, recorded })
}

pub async fn delete_phase(
    state: &AppState,
    actor: &Actor,
    id: i64,
) -> Result<(i64, Recorded), ServiceError> {
    let mut tx = db::begin_write(&state.pool).await?;
    let before = db::projects::find_phase(&mut *tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    db::projects::delete_phase(&mut tx, id).await?;
    let change = Change {
        object: ObjectType::Phase,
        action: Action::Delete,
        object_id: id,
        parent: Some((ObjectType::Project, before.project_id)),
        before: Some(before.attributes()),
        after: None,
        change_version: before.change_version + 1,
    };
    let recorded = record(state, &mut tx, change, actor)
        .await?
        .ok_or_else(|| anyhow::anyhow!("a deletion always records its event"))?;
    tx.commit().await?;
    Ok((before.project_id, recorded))
}
