//! Projects and phases: create, modify, delete. Each change records its event, and the
//! deliveries of the matching webhooks, in its own transaction (see `change::run`, which also
//! lets synchronous in-transaction webhooks veto it); a modification that changes no detail
//! field writes nothing at all.

use super::change::{self, Change, Committed, Recorded};
use super::{Actor, ServiceError, is_unique_violation};
pub use crate::db::projects::{PhaseRow, ProjectRow};
use crate::db::webhooks::Narrowed;
use crate::db::{self, Tx};
use crate::delivery::Attempt;
use crate::domain::catalogue::{Action, ObjectType};
use crate::domain::ids::{PhaseId, ProjectId, UserId};
use crate::domain::project::{PhaseDraft, ProjectDraft};
use crate::state::AppState;

const CODE_TAKEN: &str = "A project with this code already exists.";

/// Projects whose code or name holds `search` (every one for an empty search).
pub async fn projects(state: &AppState, search: &str) -> Result<Vec<ProjectRow>, ServiceError> {
    Ok(db::projects::list(&state.store, search).await?)
}

pub async fn project(state: &AppState, id: ProjectId) -> Result<ProjectRow, ServiceError> {
    db::projects::find(&state.store, id)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// A project's phases in their order.
pub async fn phases(state: &AppState, project: ProjectId) -> Result<Vec<PhaseRow>, ServiceError> {
    Ok(db::projects::phases(&state.store, project).await?)
}

pub async fn phase(state: &AppState, id: PhaseId) -> Result<PhaseRow, ServiceError> {
    db::projects::find_phase(&state.store, id)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// What a save did, to the project or phase `Id`.
#[derive(Debug)]
pub enum Saved<Id> {
    Changed {
        id: Id,
        /// A project as saved (None for a phase, or a deletion).
        project: Option<Box<ProjectRow>>,
        /// The change's events: one, or a cascade's several (the phases, then the project).
        recorded: Vec<Recorded>,
        calls: Vec<Attempt>,
    },
    Unchanged {
        id: Id,
    },
}

impl<Id: Copy> Saved<Id> {
    /// The object saved (or left as it was).
    pub fn id(&self) -> Id {
        match self {
            Saved::Changed { id, .. } | Saved::Unchanged { id } => *id,
        }
    }

    /// What `committed` did; a change that changed nothing leaves `id` (the one asked about,
    /// None for a creation, which always changes something).
    fn from(id: Option<Id>, committed: Option<Committed<(Id, Option<ProjectRow>)>>) -> Self {
        match committed {
            Some(c) => Saved::Changed {
                id: c.value.0,
                project: c.value.1.map(Box::new),
                recorded: c.recorded,
                calls: c.calls,
            },
            None => Saved::Unchanged {
                id: id.expect("only a modification can change nothing"),
            },
        }
    }
}

async fn record(
    state: &AppState,
    tx: &mut Tx,
    change: Change,
    actor: &Actor,
) -> Result<Option<Recorded>, ServiceError> {
    Ok(change::record(tx, change, &actor.initiator(), &state.routing()).await?)
}

async fn check_manager(tx: &mut Tx, manager: Option<UserId>) -> Result<(), ServiceError> {
    if let Some(id) = manager
        && db::users::find(&mut *tx, id).await?.is_none()
    {
        return Err(ServiceError::field(
            "manager",
            "Choose a manager from the list.",
        ));
    }
    Ok(())
}

fn unique_code(e: sqlx::Error) -> ServiceError {
    if is_unique_violation(&e) {
        ServiceError::field("code", CODE_TAKEN)
    } else {
        e.into()
    }
}

pub async fn create_project(
    state: &AppState,
    actor: &Actor,
    draft: &ProjectDraft,
) -> Result<Saved<ProjectId>, ServiceError> {
    let done = change::run(state, async |tx: &mut Tx| {
        check_manager(tx, draft.manager_id).await?;
        let row = db::projects::insert(tx, draft, db::now_ms())
            .await
            .map_err(unique_code)?;
        let change = Change {
            object: ObjectType::Project,
            action: Action::Create,
            object_id: row.id.get(),
            parent: None,
            before: None,
            after: Some(row.attributes()),
            change_version: row.change_version,
        };
        Ok(record(state, tx, change, actor)
            .await?
            .map(|r| (vec![r], (row.id, Some(row)))))
    })
    .await?;
    Ok(Saved::from(None, done))
}

pub async fn update_project(
    state: &AppState,
    actor: &Actor,
    id: ProjectId,
    draft: &ProjectDraft,
) -> Result<Saved<ProjectId>, ServiceError> {
    let done = change::run(state, async |tx: &mut Tx| {
        let before = db::projects::find(&mut *tx, id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        check_manager(tx, draft.manager_id).await?;
        let after = db::projects::update(tx, id, draft, db::now_ms())
            .await
            .map_err(unique_code)?
            .ok_or(ServiceError::NotFound)?;
        let change = Change {
            object: ObjectType::Project,
            action: Action::Modify,
            object_id: id.get(),
            parent: None,
            before: Some(before.attributes()),
            after: Some(after.attributes()),
            change_version: after.change_version,
        };
        Ok(record(state, tx, change, actor)
            .await?
            .map(|r| (vec![r], (id, Some(after)))))
    })
    .await?;
    Ok(Saved::from(Some(id), done))
}

/// The webhooks narrowed to an object, named, for a refusal: “A”, “B” and 3 more.
pub fn named(wordings: &[String]) -> String {
    const SHOWN: usize = 3;
    let mut names: Vec<String> = wordings
        .iter()
        .take(SHOWN)
        .map(|w| format!("\u{201c}{w}\u{201d}"))
        .collect();
    if wordings.len() > SHOWN {
        names.push(format!("{} more", wordings.len() - SHOWN));
    }
    match names.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// Deletes a project; with `with_phases`, its phases too (each firing its own event, all in
/// the project's transaction). A project webhooks are narrowed to cannot be deleted: they
/// would start firing for every project.
pub async fn delete_project(
    state: &AppState,
    actor: &Actor,
    id: ProjectId,
    with_phases: bool,
) -> Result<Saved<ProjectId>, ServiceError> {
    let done = change::run(state, async |tx: &mut Tx| {
        let before = db::projects::find(&mut *tx, id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let narrowed = db::webhooks::narrowed_to(&mut *tx, Narrowed::Project(id)).await?;
        if !narrowed.is_empty() {
            return Err(ServiceError::field(
                "project",
                format!(
                    "Webhook(s) {} fire only for this project: change or delete them first.",
                    named(&narrowed)
                ),
            ));
        }
        let phases = db::projects::phases(&mut *tx, id).await?;
        if !phases.is_empty() && !with_phases {
            return Err(ServiceError::field(
                "project",
                format!(
                    "This project has {} phase(s): delete them first.",
                    phases.len()
                ),
            ));
        }
        let mut recorded = Vec::new();
        for phase in phases {
            recorded.extend(remove_phase(state, tx, actor, phase).await?);
        }
        db::projects::delete(tx, id).await?;
        let change = Change {
            object: ObjectType::Project,
            action: Action::Delete,
            object_id: id.get(),
            parent: None,
            before: Some(before.attributes()),
            after: None,
            change_version: before.change_version + 1,
        };
        recorded.extend(record(state, tx, change, actor).await?);
        Ok(Some((recorded, (id, None))))
    })
    .await?;
    Ok(Saved::from(Some(id), done))
}

/// Deletes a phase in `tx` and records its event.
async fn remove_phase(
    state: &AppState,
    tx: &mut Tx,
    actor: &Actor,
    before: PhaseRow,
) -> Result<Option<Recorded>, ServiceError> {
    db::projects::delete_phase(tx, before.id).await?;
    let change = Change {
        object: ObjectType::Phase,
        action: Action::Delete,
        object_id: before.id.get(),
        parent: Some((ObjectType::Project, before.project_id.get())),
        before: Some(before.attributes()),
        after: None,
        change_version: before.change_version + 1,
    };
    record(state, tx, change, actor).await
}

pub async fn create_phase(
    state: &AppState,
    actor: &Actor,
    project_id: ProjectId,
    draft: &PhaseDraft,
) -> Result<Saved<PhaseId>, ServiceError> {
    let done = change::run(state, async |tx: &mut Tx| {
        db::projects::find(&mut *tx, project_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let id = db::projects::insert_phase(tx, project_id, draft, db::now_ms()).await?;
        let row = db::projects::find_phase(&mut *tx, id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let change = Change {
            object: ObjectType::Phase,
            action: Action::Create,
            object_id: id.get(),
            parent: Some((ObjectType::Project, project_id.get())),
            before: None,
            after: Some(row.attributes()),
            change_version: row.change_version,
        };
        Ok(record(state, tx, change, actor)
            .await?
            .map(|r| (vec![r], (id, None))))
    })
    .await?;
    Ok(Saved::from(None, done))
}

pub async fn update_phase(
    state: &AppState,
    actor: &Actor,
    id: PhaseId,
    draft: &PhaseDraft,
) -> Result<Saved<PhaseId>, ServiceError> {
    let done = change::run(state, async |tx: &mut Tx| {
        let before = db::projects::find_phase(&mut *tx, id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        db::projects::update_phase(tx, id, draft, db::now_ms()).await?;
        let after = db::projects::find_phase(&mut *tx, id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let change = Change {
            object: ObjectType::Phase,
            action: Action::Modify,
            object_id: id.get(),
            parent: Some((ObjectType::Project, after.project_id.get())),
            before: Some(before.attributes()),
            after: Some(after.attributes()),
            change_version: after.change_version,
        };
        Ok(record(state, tx, change, actor)
            .await?
            .map(|r| (vec![r], (id, None))))
    })
    .await?;
    Ok(Saved::from(Some(id), done))
}

/// Deletes a phase; gives its project's id.
pub async fn delete_phase(
    state: &AppState,
    actor: &Actor,
    id: PhaseId,
) -> Result<(ProjectId, Saved<PhaseId>), ServiceError> {
    let project = db::projects::find_phase(&state.store, id)
        .await?
        .ok_or(ServiceError::NotFound)?
        .project_id;
    let done = change::run(state, async |tx: &mut Tx| {
        let before = db::projects::find_phase(&mut *tx, id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        Ok(remove_phase(state, tx, actor, before)
            .await?
            .map(|r| (vec![r], (id, None))))
    })
    .await?;
    Ok((project, Saved::from(Some(id), done)))
}
