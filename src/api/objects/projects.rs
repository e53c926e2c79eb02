//! `/api/v1/projects`: list, create, read, modify, delete.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{invalid, refused};
use crate::api::auth::ApiCaller;
use crate::api::error::{ApiError, ErrorBody};
use crate::domain::ids::{ProjectId, UserId};
use crate::domain::project::{ProjectDraft, ProjectInput};
use crate::domain::{Right, Scope};
use crate::services::projects::{self as service, ProjectRow, Saved};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = json!({"code": "PRJ-42", "name": "Apollo", "status": "Active", "budget": 120000, "priority": 2, "startDate": "2027-01-04"}))]
pub struct ProjectRequest {
    /// Unique; at most 30 characters.
    #[schema(min_length = 1, max_length = 30)]
    pub code: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Draft, Active, On hold, Completed or Cancelled.
    pub status: String,
    #[serde(default)]
    pub manager_id: Option<i64>,
    #[serde(default)]
    #[schema(format = Date)]
    pub start_date: Option<String>,
    #[serde(default)]
    #[schema(format = Date)]
    pub finish_date: Option<String>,
    #[serde(default)]
    #[schema(minimum = 0)]
    pub budget: Option<i64>,
    /// 1 to 5.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 5)]
    pub priority: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub description: String,
    pub status: String,
    pub manager_id: Option<i64>,
    #[schema(format = Date)]
    pub start_date: Option<String>,
    #[schema(format = Date)]
    pub finish_date: Option<String>,
    pub budget: Option<i64>,
    pub priority: Option<i64>,
    /// Grows with every change; events carry it so receivers can order them.
    pub change_version: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectList {
    pub data: Vec<Project>,
}

fn project_out(p: ProjectRow) -> Project {
    Project {
        id: p.id.get(),
        code: p.code,
        name: p.name,
        description: p.description,
        status: p.status,
        manager_id: p.manager_id.map(UserId::get),
        start_date: p.start_date,
        finish_date: p.finish_date,
        budget: p.budget,
        priority: p.priority,
        change_version: p.change_version,
    }
}

fn project_draft(r: &ProjectRequest) -> Result<ProjectDraft, ApiError> {
    ProjectDraft::parse(&ProjectInput {
        code: r.code.clone(),
        name: r.name.clone(),
        description: r.description.clone(),
        status: r.status.clone(),
        manager: r.manager_id.into(),
        start_date: r.start_date.clone().unwrap_or_default(),
        finish_date: r.finish_date.clone().unwrap_or_default(),
        budget: r.budget.into(),
        priority: r.priority.into(),
    })
    .map_err(invalid)
}

pub(super) async fn project(state: &AppState, id: ProjectId) -> Result<Project, ApiError> {
    Ok(project_out(service::project(state, id).await?))
}

/// The project as a save left it: as written when it changed, else as stored.
async fn saved_project(state: &AppState, saved: Saved<ProjectId>) -> Result<Project, ApiError> {
    match saved {
        Saved::Changed {
            project: Some(row), ..
        } => Ok(project_out(*row)),
        other => project(state, other.id()).await,
    }
}

#[utoipa::path(get, path = "/api/v1/projects", tag = "Objects", summary = "List projects",
    security(("bearer" = ["objects.read"])),
    responses(
        (status = 200, description = "Every project", body = ProjectList),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = ErrorBody),
        (status = 403, description = "Missing scope or right", body = ErrorBody),
    ))]
pub async fn list_projects(
    state: web::Data<AppState>,
    caller: ApiCaller,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ObjectsRead, Right::ManageProjects)?;
    let data = service::projects(&state, "")
        .await?
        .into_iter()
        .map(project_out)
        .collect();
    Ok(HttpResponse::Ok().json(ProjectList { data }))
}

#[utoipa::path(post, path = "/api/v1/projects", tag = "Objects", summary = "Create a project",
    description = "Fires project.created to the matching webhooks, exactly as the Projects screen does. A synchronous in-transaction webhook that refuses the change cancels it (422).",
    request_body = ProjectRequest,
    security(("bearer" = ["objects.write"])),
    responses(
        (status = 201, description = "Created", body = Project),
        (status = 400, description = "Invalid fields", body = ErrorBody),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = ErrorBody),
        (status = 403, description = "Missing scope or right", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 422, description = "Refused by a synchronous webhook; nothing changed", body = ErrorBody),
    ))]
pub async fn create_project(
    state: web::Data<AppState>,
    caller: ApiCaller,
    body: Result<web::Json<ProjectRequest>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ObjectsWrite, Right::ManageProjects)?;
    let body = crate::api::body(body)?;
    let draft = project_draft(&body)?;
    let saved = service::create_project(&state, &caller.actor(), &draft)
        .await
        .map_err(refused)?;
    let id = saved.id();
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/projects/{id}")))
        .json(saved_project(&state, saved).await?))
}

#[utoipa::path(get, path = "/api/v1/projects/{id}", tag = "Objects", summary = "Read a project",
    params(("id" = i64, Path, description = "The project's id")),
    security(("bearer" = ["objects.read"])),
    responses(
        (status = 200, description = "The project", body = Project),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = ErrorBody),
        (status = 403, description = "Missing scope or right", body = ErrorBody),
        (status = 404, description = "No such project", body = ErrorBody),
    ))]
pub async fn get_project(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<ProjectId>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ObjectsRead, Right::ManageProjects)?;
    Ok(HttpResponse::Ok().json(project(&state, *id).await?))
}

#[utoipa::path(put, path = "/api/v1/projects/{id}", tag = "Objects", summary = "Modify a project",
    description = "Fires project.modified when a detail field changes; a save that changes nothing fires nothing.",
    params(("id" = i64, Path, description = "The project's id")),
    request_body = ProjectRequest,
    security(("bearer" = ["objects.write"])),
    responses(
        (status = 200, description = "The project as saved", body = Project),
        (status = 400, description = "Invalid fields", body = ErrorBody),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = ErrorBody),
        (status = 403, description = "Missing scope or right", body = ErrorBody),
        (status = 404, description = "No such project", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 422, description = "Refused by a synchronous webhook; nothing changed", body = ErrorBody),
    ))]
pub async fn update_project(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<ProjectId>,
    body: Result<web::Json<ProjectRequest>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ObjectsWrite, Right::ManageProjects)?;
    let body = crate::api::body(body)?;
    let draft = project_draft(&body)?;
    let saved = service::update_project(&state, &caller.actor(), *id, &draft)
        .await
        .map_err(refused)?;
    Ok(HttpResponse::Ok().json(saved_project(&state, saved).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeleteProjectQuery {
    /// Delete its phases with it (each fires phase.deleted), in one transaction.
    #[serde(default)]
    pub with_phases: bool,
}

#[utoipa::path(delete, path = "/api/v1/projects/{id}", tag = "Objects", summary = "Delete a project",
    description = "A project with phases is deleted only with withPhases=true; one that webhooks fire only for is not deleted (400 names them).",
    params(("id" = i64, Path, description = "The project's id"), DeleteProjectQuery),
    security(("bearer" = ["objects.write"])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "It still has phases (and withPhases is not set), or webhooks fire only for it", body = ErrorBody),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = ErrorBody),
        (status = 403, description = "Missing scope or right", body = ErrorBody),
        (status = 404, description = "No such project", body = ErrorBody),
        (status = 422, description = "Refused by a synchronous webhook; nothing changed", body = ErrorBody),
    ))]
pub async fn delete_project(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<ProjectId>,
    query: web::Query<DeleteProjectQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ObjectsWrite, Right::ManageProjects)?;
    service::delete_project(&state, &caller.actor(), *id, query.with_phases)
        .await
        .map_err(refused)?;
    Ok(HttpResponse::NoContent().finish())
}
