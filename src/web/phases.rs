//! A project's phases: add, modify, delete (right: Manage projects). Every change fires its
//! webhooks.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::projects::{flash_errors, refusal, report};
use super::{Area, Chrome, actor};
use crate::auth::{CsrfForm, CurrentUser, TypedSession};
use crate::domain::catalogue::ObjectType;
use crate::domain::ids::{PhaseId, ProjectId};
use crate::domain::project::{PHASE_STATUSES, PhaseDraft, PhaseInput};
use crate::domain::{Entered, FieldErrors, Right};
use crate::error::{AppError, redirect};
use crate::services::projects::{self as service, ProjectRow};
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/projects/{id}/phases/new", web::get().to(new_phase_form))
        .route("/projects/{id}/phases/new", web::post().to(create_phase))
        .route("/phases/{id}", web::get().to(edit_phase_form))
        .route("/phases/{id}", web::post().to(update_phase))
        .route("/phases/{id}/delete", web::post().to(delete_phase));
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PhaseForm {
    name: String,
    start_date: String,
    finish_date: String,
    status: String,
    progress: String,
}

impl PhaseForm {
    fn input(&self) -> PhaseInput {
        PhaseInput {
            name: self.name.clone(),
            start_date: self.start_date.clone(),
            finish_date: self.finish_date.clone(),
            status: self.status.clone(),
            progress: Entered::read(&self.progress),
        }
    }
}

#[derive(Template)]
#[template(path = "projects/phase_form.html")]
struct PhasePage {
    chrome: Chrome,
    id: Option<PhaseId>,
    /// The phase's name as saved, for the heading (the form may hold a refused one).
    saved_name: String,
    project: ProjectRow,
    form: PhaseForm,
    errors: FieldErrors,
    statuses: [&'static str; 3],
    /// The webhooks the phase's changes fired (a stored phase, for those who see the queue).
    fired: Option<super::pending_orders::Search>,
}

async fn render_phase(
    state: &AppState,
    user: &CurrentUser,
    session: &TypedSession,
    (project_id, id): (ProjectId, Option<PhaseId>),
    form: PhaseForm,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let project = service::project(state, project_id).await?;
    let saved_name = match id {
        Some(id) => service::phase(state, id).await?.name,
        None => String::new(),
    };
    let fired = match id {
        Some(id) => {
            super::pending_orders::fired_by(state, user, ObjectType::Phase, id.get()).await?
        }
        None => None,
    };
    super::render(
        status,
        &PhasePage {
            chrome: Chrome::new(user, session, Area::Projects),
            id,
            saved_name,
            project,
            form,
            errors,
            statuses: PHASE_STATUSES,
            fired,
        },
    )
}

async fn new_phase_form(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    id: web::Path<ProjectId>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ManageProjects)?;
    let form = PhaseForm {
        status: "Not started".into(),
        progress: "0".into(),
        ..PhaseForm::default()
    };
    render_phase(
        &state,
        &user,
        &session,
        (*id, None),
        form,
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

async fn edit_phase_form(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    id: web::Path<PhaseId>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ManageProjects)?;
    let p = service::phase(&state, *id).await?;
    let form = PhaseForm {
        name: p.name,
        start_date: p.start_date.unwrap_or_default(),
        finish_date: p.finish_date.unwrap_or_default(),
        status: p.status,
        progress: p.progress.to_string(),
    };
    render_phase(
        &state,
        &user,
        &session,
        (p.project_id, Some(p.id)),
        form,
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

async fn create_phase(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    id: web::Path<ProjectId>,
    CsrfForm(form): CsrfForm<PhaseForm>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ManageProjects)?;
    let project_id = id.into_inner();
    let errors = match PhaseDraft::parse(&form.input()) {
        Ok(draft) => match service::create_phase(&state, &actor(&user), project_id, &draft).await {
            Ok(saved) => {
                report(&session, &format!("Phase “{}”", draft.name), &saved);
                return Ok(redirect(&format!("/projects/{project_id}")));
            }
            Err(e) => refusal(e)?,
        },
        Err(e) => e,
    };
    render_phase(
        &state,
        &user,
        &session,
        (project_id, None),
        form,
        errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

async fn update_phase(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    id: web::Path<PhaseId>,
    CsrfForm(form): CsrfForm<PhaseForm>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ManageProjects)?;
    let id = id.into_inner();
    let phase = service::phase(&state, id).await?;
    let errors = match PhaseDraft::parse(&form.input()) {
        Ok(draft) => match service::update_phase(&state, &actor(&user), id, &draft).await {
            Ok(saved) => {
                report(&session, &format!("Phase “{}”", draft.name), &saved);
                return Ok(redirect(&format!("/projects/{}", phase.project_id)));
            }
            Err(e) => refusal(e)?,
        },
        Err(e) => e,
    };
    render_phase(
        &state,
        &user,
        &session,
        (phase.project_id, Some(id)),
        form,
        errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

async fn delete_phase(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    id: web::Path<PhaseId>,
    _: CsrfForm<serde::de::IgnoredAny>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ManageProjects)?;
    let phase = service::phase(&state, *id).await?;
    match service::delete_phase(&state, &actor(&user), *id).await {
        Ok((project_id, saved)) => {
            report(&session, "Phase deletion", &saved);
            Ok(redirect(&format!("/projects/{project_id}")))
        }
        Err(e) => {
            flash_errors(&session, &refusal(e)?);
            Ok(redirect(&format!("/phases/{}", phase.id)))
        }
    }
}
