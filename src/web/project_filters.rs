//! Saved project filters: criteria over project fields, private or public (right: Manage
//! projects). Webhooks pick them as their project filter.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{Area, Chrome};
use crate::auth::session::FlashKind;
use crate::auth::{CsrfForm, CurrentUser, TypedSession};
use crate::domain::catalogue::Field;
use crate::domain::catalogue::ObjectType;
use crate::domain::ids::{ProjectFilterId, UserId};
use crate::domain::project_filter::{Operator, ProjectCriteria};
use crate::domain::{FieldErrors, Right};
use crate::error::{AppError, redirect};
use crate::services::ServiceError;
use crate::services::project_filters::{self as service, FilterDraft, ProjectFilterRow};
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/project-filters", web::get().to(show))
        .route("/project-filters", web::post().to(create))
        .route("/project-filters/{id}", web::get().to(edit))
        .route("/project-filters/{id}", web::post().to(update))
        .route("/project-filters/{id}/delete", web::post().to(delete));
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct FilterForm {
    name: String,
    visibility: String,
    field: Vec<String>,
    operator: Vec<String>,
    value: Vec<String>,
}

pub struct Row {
    pub field: String,
    pub operator: String,
    pub value: String,
}

pub struct Saved {
    pub row: ProjectFilterRow,
    pub summary: String,
}

#[derive(Template)]
#[template(path = "projects/filters.html")]
struct FiltersPage {
    chrome: Chrome,
    saved: Vec<Saved>,
    me: UserId,
    /// The filter being modified (None: a new one), and the webhooks using it.
    editing: Option<(ProjectFilterId, i64)>,
    filter_name: String,
    public: bool,
    rows: Vec<Row>,
    fields: &'static [Field],
    operators: [Operator; 7],
    errors: FieldErrors,
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    session: &TypedSession,
    (editing, form): (Option<(ProjectFilterId, i64)>, FilterForm),
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let saved = service::visible(state, user.id)
        .await?
        .into_iter()
        .map(|row| Saved {
            summary: row.criteria.summary(ObjectType::Project),
            row,
        })
        .collect();
    let mut rows: Vec<Row> = (0..form.field.len())
        .map(|i| Row {
            field: form.field[i].clone(),
            operator: form.operator.get(i).cloned().unwrap_or_default(),
            value: form.value.get(i).cloned().unwrap_or_default(),
        })
        .filter(|r| !r.field.is_empty())
        .collect();
    while rows.len() < 3 {
        rows.push(Row {
            field: String::new(),
            operator: String::new(),
            value: String::new(),
        });
    }
    let page = FiltersPage {
        chrome: Chrome::new(user, session, Area::Projects),
        saved,
        me: user.id,
        editing,
        public: form.visibility == "public",
        filter_name: form.name,
        rows,
        fields: ObjectType::Project.fields(),
        operators: Operator::ALL,
        errors,
    };
    super::render(status, &page)
}

async fn show(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ManageProjects)?;
    render(
        &state,
        &user,
        &session,
        (None, FilterForm::default()),
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

/// The form filled with a saved filter of the user's own.
async fn edit(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    id: web::Path<ProjectFilterId>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ManageProjects)?;
    let id = id.into_inner();
    let saved = service::own(&state, user.id, id).await?;
    let used = service::users(&state, user.id, id).await?;
    let criteria = saved.criteria.clone();
    let form = FilterForm {
        name: saved.name,
        visibility: if saved.public { "public" } else { "private" }.to_owned(),
        field: criteria.0.iter().map(|c| c.field.clone()).collect(),
        operator: criteria
            .0
            .iter()
            .map(|c| c.operator.code().to_owned())
            .collect(),
        value: criteria.0.iter().map(|c| c.value.clone()).collect(),
    };
    render(
        &state,
        &user,
        &session,
        (Some((id, used)), form),
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

fn criteria_rows(form: &FilterForm) -> Vec<(String, String, String)> {
    (0..form.field.len())
        .map(|i| {
            (
                form.field[i].clone(),
                form.operator.get(i).cloned().unwrap_or_default(),
                form.value.get(i).cloned().unwrap_or_default(),
            )
        })
        .collect()
}

async fn update(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    id: web::Path<ProjectFilterId>,
    CsrfForm(form): CsrfForm<FilterForm>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ManageProjects)?;
    let id = id.into_inner();
    let used = service::users(&state, user.id, id).await?;
    let mut errors = FieldErrors::new();
    if let Some(criteria) = errors.check("criteria", ProjectCriteria::parse(&criteria_rows(&form)))
    {
        let draft = FilterDraft {
            name: &form.name,
            public: form.visibility == "public",
            criteria: &criteria,
        };
        match service::update(&state, user.id, id, &draft).await {
            Ok(()) => {
                session.flash(
                    FlashKind::Success,
                    format!("Project filter “{}” saved.", form.name.trim()),
                );
                return Ok(redirect("/project-filters"));
            }
            Err(ServiceError::Invalid(e)) => errors = e,
            Err(e) => return Err(e.into()),
        }
    }
    render(
        &state,
        &user,
        &session,
        (Some((id, used)), form),
        errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

async fn create(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    CsrfForm(form): CsrfForm<FilterForm>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ManageProjects)?;
    let mut errors = FieldErrors::new();
    if let Some(criteria) = errors.check("criteria", ProjectCriteria::parse(&criteria_rows(&form)))
    {
        let draft = FilterDraft {
            name: &form.name,
            public: form.visibility == "public",
            criteria: &criteria,
        };
        match service::create(&state, user.id, &draft).await {
            Ok(_) => {
                session.flash(
                    FlashKind::Success,
                    format!("Project filter “{}” saved.", form.name.trim()),
                );
                return Ok(redirect("/project-filters"));
            }
            Err(ServiceError::Invalid(e)) => errors = e,
            Err(e) => return Err(e.into()),
        }
    }
    render(
        &state,
        &user,
        &session,
        (None, form),
        errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

async fn delete(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    id: web::Path<ProjectFilterId>,
    _: CsrfForm<serde::de::IgnoredAny>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ManageProjects)?;
    match service::delete(&state, user.id, *id).await {
        Ok(()) => session.flash(FlashKind::Success, "Project filter deleted."),
        Err(ServiceError::Invalid(e)) => e
            .iter()
            .for_each(|(_, m)| session.flash(FlashKind::Error, m)),
        Err(ServiceError::NotFound) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    }
    Ok(redirect("/project-filters"))
}
