//! Projects: list with search and project filters, create, modify, delete (right: Manage
//! projects); their phases are in `phases`. Every change fires its webhooks.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::choices::{self, Choice};
use super::{Area, Chrome, actor};
use crate::auth::session::FlashKind;
use crate::auth::{CsrfForm, CurrentUser, TypedSession};
use crate::domain::catalogue::ObjectType;
use crate::domain::ids::ProjectId;
use crate::domain::project::{PROJECT_STATUSES, ProjectDraft, ProjectInput};
use crate::domain::webhook::Mode;
use crate::domain::{Entered, FieldErrors, Right};
use crate::error::{AppError, redirect};
use crate::services::project_filters;
use crate::services::projects::{self as service, PhaseRow, ProjectRow, Saved};
use crate::services::{ServiceError, projects::Saved::Changed};
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/projects", web::get().to(list))
        .route("/projects/new", web::get().to(new_form))
        .route("/projects/new", web::post().to(create))
        .route("/projects/{id}", web::get().to(edit_form))
        .route("/projects/{id}", web::post().to(update))
        .route("/projects/{id}/delete", web::post().to(delete));
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    q: String,
    filter: String,
}

pub struct FilterChoice {
    pub id: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "projects/list.html")]
struct ListPage {
    chrome: Chrome,
    projects: Vec<ProjectRow>,
    q: String,
    filter: String,
    filters: Vec<FilterChoice>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ProjectForm {
    code: String,
    name: String,
    description: String,
    status: String,
    manager: String,
    start_date: String,
    finish_date: String,
    budget: String,
    priority: String,
}

impl ProjectForm {
    fn input(&self) -> ProjectInput {
        ProjectInput {
            code: self.code.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            status: self.status.clone(),
            manager: Entered::read(&self.manager),
            start_date: self.start_date.clone(),
            finish_date: self.finish_date.clone(),
            budget: Entered::read(&self.budget),
            priority: Entered::read(&self.priority),
        }
    }

    fn from_row(p: &ProjectRow) -> Self {
        let text = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
        ProjectForm {
            code: p.code.clone(),
            name: p.name.clone(),
            description: p.description.clone(),
            status: p.status.clone(),
            manager: p.manager_id.map(|m| m.to_string()).unwrap_or_default(),
            start_date: p.start_date.clone().unwrap_or_default(),
            finish_date: p.finish_date.clone().unwrap_or_default(),
            budget: text(p.budget),
            priority: text(p.priority),
        }
    }
}

#[derive(Template)]
#[template(path = "projects/form.html")]
struct FormPage {
    chrome: Chrome,
    id: Option<ProjectId>,
    /// The project's code as saved, for the heading (the form may hold a refused one).
    saved_code: String,
    form: ProjectForm,
    errors: FieldErrors,
    statuses: [&'static str; 5],
    managers: Vec<Choice>,
    phases: Vec<PhaseRow>,
    /// The webhooks the project's changes fired (a stored project, for those who see the
    /// queue).
    fired: Option<super::pending_orders::Search>,
}

/// "Project saved; 2 webhook deliveries queued." (the asynchronous ones: synchronous calls
/// are made, not queued), and the errors of synchronous calls as Project Monitor shows them:
/// "Request sent to <url> (status code: <code>)".
pub(super) fn report<Id>(session: &TypedSession, what: &str, saved: &Saved<Id>) {
    let text = match saved {
        Changed { recorded, .. } => {
            let queued = recorded
                .iter()
                .flat_map(|r| &r.deliveries)
                .filter(|d| d.mode == Mode::Asynchronous)
                .count();
            match queued {
                0 => format!("{what} saved."),
                1 => format!("{what} saved; 1 webhook delivery queued."),
                n => format!("{what} saved; {n} webhook deliveries queued."),
            }
        }
        Saved::Unchanged { .. } => format!("{what}: nothing changed."),
    };
    session.flash(FlashKind::Success, text);
    if let Changed { calls, .. } = saved {
        for call in calls.iter().filter(|c| !c.delivered()) {
            session.flash(FlashKind::Error, call.summary());
        }
    }
}

/// Field errors, or the reason a webhook refused the change, for the form to show.
pub(super) fn refusal(e: ServiceError) -> Result<FieldErrors, AppError> {
    match e {
        ServiceError::Invalid(errors) => Ok(errors),
        ServiceError::Vetoed(message) | ServiceError::Conflict(message) => {
            let mut errors = FieldErrors::new();
            errors.add("form", message);
            Ok(errors)
        }
        other => Err(other.into()),
    }
}

async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ManageProjects)?;
    let mut projects = service::projects(&state, query.q.trim()).await?;
    let visible = project_filters::visible(&state, user.id).await?;
    if let Some(f) = visible.iter().find(|f| f.id.to_string() == query.filter) {
        projects.retain(|p| f.criteria.matches(&p.attributes()));
    }
    let filters = visible
        .into_iter()
        .map(|f| FilterChoice {
            id: f.id.to_string(),
            name: f.name,
        })
        .collect();
    super::page(&ListPage {
        chrome: Chrome::new(&user, &session, Area::Projects),
        projects,
        q: query.q.clone(),
        filter: query.filter.clone(),
        filters,
    })
}

async fn render_form(
    state: &AppState,
    user: &CurrentUser,
    session: &TypedSession,
    id: Option<ProjectId>,
    form: ProjectForm,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let managers = choices::people(state).await?;
    let phases = match id {
        Some(id) => service::phases(state, id).await?,
        None => Vec::new(),
    };
    let saved_code = match id {
        Some(id) => service::project(state, id).await?.code,
        None => String::new(),
    };
    let fired = match id {
        Some(id) => {
            super::pending_orders::fired_by(state, user, ObjectType::Project, id.get()).await?
        }
        None => None,
    };
    let page = FormPage {
        chrome: Chrome::new(user, session, Area::Projects),
        id,
        saved_code,
        form,
        errors,
        statuses: PROJECT_STATUSES,
        managers,
        phases,
        fired,
    };
    super::render(status, &page)
}

async fn new_form(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ManageProjects)?;
    let form = ProjectForm {
        status: "Draft".into(),
        ..ProjectForm::default()
    };
    render_form(
        &state,
        &user,
        &session,
        None,
        form,
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

async fn edit_form(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    id: web::Path<ProjectId>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ManageProjects)?;
    let project = service::project(&state, *id).await?;
    render_form(
        &state,
        &user,
        &session,
        Some(project.id),
        ProjectForm::from_row(&project),
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

async fn create(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    CsrfForm(form): CsrfForm<ProjectForm>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ManageProjects)?;
    let errors = match ProjectDraft::parse(&form.input()) {
        Ok(draft) => match service::create_project(&state, &actor(&user), &draft).await {
            Ok(saved) => {
                report(&session, &format!("Project “{}”", draft.name), &saved);
                return Ok(redirect("/projects"));
            }
            Err(e) => refusal(e)?,
        },
        Err(e) => e,
    };
    render_form(
        &state,
        &user,
        &session,
        None,
        form,
        errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

async fn update(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    id: web::Path<ProjectId>,
    CsrfForm(form): CsrfForm<ProjectForm>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ManageProjects)?;
    let id = id.into_inner();
    let errors = match ProjectDraft::parse(&form.input()) {
        Ok(draft) => match service::update_project(&state, &actor(&user), id, &draft).await {
            Ok(saved) => {
                report(&session, &format!("Project “{}”", draft.name), &saved);
                return Ok(redirect("/projects"));
            }
            Err(e) => refusal(e)?,
        },
        Err(e) => e,
    };
    render_form(
        &state,
        &user,
        &session,
        Some(id),
        form,
        errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

pub(super) fn flash_errors(session: &TypedSession, errors: &FieldErrors) {
    for (_, m) in errors.iter() {
        session.flash(FlashKind::Error, m);
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeleteForm {
    /// The person confirmed that the project's phases go with it.
    with_phases: Option<String>,
}

async fn delete(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    id: web::Path<ProjectId>,
    CsrfForm(form): CsrfForm<DeleteForm>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ManageProjects)?;
    let with_phases = form.with_phases.is_some();
    match service::delete_project(&state, &actor(&user), *id, with_phases).await {
        Ok(saved) => report(&session, "Project deletion", &saved),
        Err(e) => {
            flash_errors(&session, &refusal(e)?);
            return Ok(redirect(&format!("/projects/{}", *id)));
        }
    }
    Ok(redirect("/projects"))
}
