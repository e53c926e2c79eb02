//! `/api/v1/projects/{id}/phases` and `/api/v1/phases`: a project's phases.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::projects::project;
use super::{invalid, refused};
use crate::api::auth::ApiCaller;
use crate::api::error::{ApiError, ErrorBody};
use crate::domain::ids::{PhaseId, ProjectId};
use crate::domain::project::{PhaseDraft, PhaseInput};
use crate::domain::{Right, Scope};
use crate::services::projects::{self as service, PhaseRow};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = json!({"name": "Design", "status": "In progress", "progress": 40}))]
pub struct PhaseRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Not started, In progress or Done.
    pub status: String,
    #[serde(default)]
    #[schema(format = Date)]
    pub start_date: Option<String>,
    #[serde(default)]
    #[schema(format = Date)]
    pub finish_date: Option<String>,
    /// 0 to 100.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 100)]
    pub progress: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Phase {
    pub id: i64,
    pub project_id: i64,
    pub name: String,
    pub status: String,
    #[schema(format = Date)]
    pub start_date: Option<String>,
    #[schema(format = Date)]
    pub finish_date: Option<String>,
    pub progress: i64,
    pub change_version: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PhaseList {
    pub data: Vec<Phase>,
}

fn phase_out(p: PhaseRow) -> Phase {
    Phase {
        id: p.id.get(),
        project_id: p.project_id.get(),
        name: p.name,
        status: p.status,
        start_date: p.start_date,
        finish_date: p.finish_date,
        progress: p.progress,
        change_version: p.change_version,
    }
}

fn phase_draft(r: &PhaseRequest) -> Result<PhaseDraft, ApiError> {
    PhaseDraft::parse(&PhaseInput {
        name: r.name.clone(),
        start_date: r.start_date.clone().unwrap_or_default(),
        finish_date: r.finish_date.clone().unwrap_or_default(),
        status: r.status.clone(),
        progress: r.progress.into(),
    })
    .map_err(invalid)
}

async fn phase(state: &AppState, id: PhaseId) -> Result<Phase, ApiError> {
    Ok(phase_out(service::phase(state, id).await?))
}

#[utoipa::path(get, path = "/api/v1/projects/{id}/phases", tag = "Objects", summary = "List a project's phases",
    params(("id" = i64, Path, description = "The project's id")),
    security(("bearer" = ["objects.read"])),
    responses(
        (status = 200, description = "The phases", body = PhaseList),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = ErrorBody),
        (status = 403, description = "Missing scope or right", body = ErrorBody),
        (status = 404, description = "No such project", body = ErrorBody),
    ))]
pub async fn list_phases(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<ProjectId>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ObjectsRead, Right::ManageProjects)?;
    project(&state, *id).await?;
    let data = service::phases(&state, *id)
        .await?
        .into_iter()
        .map(phase_out)
        .collect();
    Ok(HttpResponse::Ok().json(PhaseList { data }))
}

#[utoipa::path(post, path = "/api/v1/projects/{id}/phases", tag = "Objects", summary = "Add a phase to a project",
    description = "Fires phase.created.",
    params(("id" = i64, Path, description = "The project's id")),
    request_body = PhaseRequest,
    security(("bearer" = ["objects.write"])),
    responses(
        (status = 201, description = "Created", body = Phase),
        (status = 400, description = "Invalid fields", body = ErrorBody),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = ErrorBody),
        (status = 403, description = "Missing scope or right", body = ErrorBody),
        (status = 404, description = "No such project", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 422, description = "Refused by a synchronous webhook; nothing changed", body = ErrorBody),
    ))]
pub async fn create_phase(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<ProjectId>,
    body: Result<web::Json<PhaseRequest>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ObjectsWrite, Right::ManageProjects)?;
    let body = crate::api::body(body)?;
    let draft = phase_draft(&body)?;
    let saved = service::create_phase(&state, &caller.actor(), *id, &draft)
        .await
        .map_err(refused)?;
    let phase_id = saved.id();
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/phases/{phase_id}")))
        .json(phase(&state, phase_id).await?))
}

#[utoipa::path(get, path = "/api/v1/phases/{id}", tag = "Objects", summary = "Read a phase",
    params(("id" = i64, Path, description = "The phase's id")),
    security(("bearer" = ["objects.read"])),
    responses(
        (status = 200, description = "The phase", body = Phase),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = ErrorBody),
        (status = 403, description = "Missing scope or right", body = ErrorBody),
        (status = 404, description = "No such phase", body = ErrorBody),
    ))]
pub async fn get_phase(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<PhaseId>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ObjectsRead, Right::ManageProjects)?;
    Ok(HttpResponse::Ok().json(phase(&state, *id).await?))
}

#[utoipa::path(put, path = "/api/v1/phases/{id}", tag = "Objects", summary = "Modify a phase",
    params(("id" = i64, Path, description = "The phase's id")),
    request_body = PhaseRequest,
    security(("bearer" = ["objects.write"])),
    responses(
        (status = 200, description = "The phase as saved", body = Phase),
        (status = 400, description = "Invalid fields", body = ErrorBody),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = ErrorBody),
        (status = 403, description = "Missing scope or right", body = ErrorBody),
        (status = 404, description = "No such phase", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 422, description = "Refused by a synchronous webhook; nothing changed", body = ErrorBody),
    ))]
pub async fn update_phase(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<PhaseId>,
    body: Result<web::Json<PhaseRequest>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ObjectsWrite, Right::ManageProjects)?;
    let body = crate::api::body(body)?;
    let draft = phase_draft(&body)?;
    service::update_phase(&state, &caller.actor(), *id, &draft)
        .await
        .map_err(refused)?;
    Ok(HttpResponse::Ok().json(phase(&state, *id).await?))
}

#[utoipa::path(delete, path = "/api/v1/phases/{id}", tag = "Objects", summary = "Delete a phase",
    params(("id" = i64, Path, description = "The phase's id")),
    security(("bearer" = ["objects.write"])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = ErrorBody),
        (status = 403, description = "Missing scope or right", body = ErrorBody),
        (status = 404, description = "No such phase", body = ErrorBody),
        (status = 422, description = "Refused by a synchronous webhook; nothing changed", body = ErrorBody),
    ))]
pub async fn delete_phase(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<PhaseId>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ObjectsWrite, Right::ManageProjects)?;
    service::delete_phase(&state, &caller.actor(), *id)
        .await
        .map_err(refused)?;
    Ok(HttpResponse::NoContent().finish())
}
