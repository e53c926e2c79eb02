//! `/api/v1/projects`, `/phases`, `/users`: outside systems change the objects that fire
//! webhooks, through the services the screens use — same events, same synchronous veto.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::ApiCaller;
use super::error::{ApiError, ErrorBody};
use crate::db::{self, projects::PhaseRow, projects::ProjectRow};
use crate::domain::project::{PhaseDraft, PhaseInput, ProjectDraft, ProjectInput};
use crate::domain::{DisplayName, Email, FieldErrors, NewPassword, Right, Scope};
use crate::services::accounts::{self, NewUserInput, UserInput};
use crate::services::projects::{self as service, Saved};
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/projects")
            .route(web::get().to(list_projects))
            .route(web::post().to(create_project)),
    )
    .service(
        web::resource("/projects/{id}")
            .route(web::get().to(get_project))
            .route(web::put().to(update_project))
            .route(web::delete().to(delete_project)),
    )
    .service(
        web::resource("/projects/{id}/phases")
            .route(web::get().to(list_phases))
            .route(web::post().to(create_phase)),
    )
    .service(
        web::resource("/phases/{id}")
            .route(web::get().to(get_phase))
            .route(web::put().to(update_phase))
            .route(web::delete().to(delete_phase)),
    )
    .service(
        web::resource("/users")
            .route(web::get().to(list_users))
            .route(web::post().to(create_user)),
    )
    .service(
        web::resource("/users/{id}")
            .route(web::get().to(get_user))
            .route(web::put().to(update_user))
            .route(web::delete().to(delete_user)),
    );
}

fn snake_to_camel(field: &str) -> &str {
    match field {
        "start_date" => "startDate",
        "finish_date" => "finishDate",
        "manager" => "managerId",
        "display_name" => "displayName",
        "roles" => "roleIds",
        other => other,
    }
}

fn refused(e: crate::services::ServiceError) -> ApiError {
    ApiError::from_service(e, snake_to_camel)
}

fn invalid(e: FieldErrors) -> ApiError {
    ApiError::from_fields(&e, snake_to_camel)
}

fn text(v: Option<i64>) -> String {
    v.map(|n| n.to_string()).unwrap_or_default()
}

// ---- Projects ----

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
        id: p.id,
        code: p.code,
        name: p.name,
        description: p.description,
        status: p.status,
        manager_id: p.manager_id,
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
        manager: text(r.manager_id),
        start_date: r.start_date.clone().unwrap_or_default(),
        finish_date: r.finish_date.clone().unwrap_or_default(),
        budget: text(r.budget),
        priority: text(r.priority),
    })
    .map_err(invalid)
}

async fn project(state: &AppState, id: i64) -> Result<Project, ApiError> {
    Ok(project_out(
        db::projects::find(&state.pool, id)
            .await?
            .ok_or(ApiError::NotFound)?,
    ))
}

/// The project as a save left it: as written when it changed, else as stored.
async fn saved_project(state: &AppState, saved: Saved) -> Result<Project, ApiError> {
    match saved {
        Saved::Changed {
            project: Some(row), ..
        } => Ok(project_out(*row)),
        other => project(state, saved_id(&other)).await,
    }
}

fn saved_id(saved: &Saved) -> i64 {
    match saved {
        Saved::Changed { id, .. } | Saved::Unchanged { id } => *id,
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
    let data = db::projects::list(&state.pool, "")
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
    let body = super::body(body)?;
    let draft = project_draft(&body)?;
    let saved = service::create_project(&state, &caller.actor(), &draft)
        .await
        .map_err(refused)?;
    let id = saved_id(&saved);
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
    id: web::Path<i64>,
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
    id: web::Path<i64>,
    body: Result<web::Json<ProjectRequest>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ObjectsWrite, Right::ManageProjects)?;
    let body = super::body(body)?;
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
    id: web::Path<i64>,
    query: web::Query<DeleteProjectQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ObjectsWrite, Right::ManageProjects)?;
    service::delete_project(&state, &caller.actor(), *id, query.with_phases)
        .await
        .map_err(refused)?;
    Ok(HttpResponse::NoContent().finish())
}

// ---- Phases ----

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
        id: p.id,
        project_id: p.project_id,
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
        progress: text(r.progress),
    })
    .map_err(invalid)
}

async fn phase(state: &AppState, id: i64) -> Result<Phase, ApiError> {
    Ok(phase_out(
        db::projects::find_phase(&state.pool, id)
            .await?
            .ok_or(ApiError::NotFound)?,
    ))
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
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ObjectsRead, Right::ManageProjects)?;
    project(&state, *id).await?;
    let data = db::projects::phases(&state.pool, *id)
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
    id: web::Path<i64>,
    body: Result<web::Json<PhaseRequest>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ObjectsWrite, Right::ManageProjects)?;
    let body = super::body(body)?;
    let draft = phase_draft(&body)?;
    let saved = service::create_phase(&state, &caller.actor(), *id, &draft)
        .await
        .map_err(refused)?;
    let phase_id = saved_id(&saved);
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
    id: web::Path<i64>,
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
    id: web::Path<i64>,
    body: Result<web::Json<PhaseRequest>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ObjectsWrite, Right::ManageProjects)?;
    let body = super::body(body)?;
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
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ObjectsWrite, Right::ManageProjects)?;
    service::delete_phase(&state, &caller.actor(), *id)
        .await
        .map_err(refused)?;
    Ok(HttpResponse::NoContent().finish())
}

// ---- Users ----

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = json!({"email": "ann.lee@example.com", "displayName": "Ann Lee", "roleIds": [3], "password": "a long enough password"}))]
pub struct UserRequest {
    pub email: String,
    pub display_name: String,
    #[serde(default)]
    pub role_ids: Vec<i64>,
    /// When modifying: false deactivates the user.
    #[serde(default = "yes")]
    #[schema(default = true)]
    pub active: bool,
    /// Required when creating; ignored when modifying.
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub must_change_password: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub active: bool,
    pub role_ids: Vec<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    pub data: Vec<User>,
}

async fn user(state: &AppState, id: i64) -> Result<User, ApiError> {
    let u = db::users::find(&state.pool, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(User {
        role_ids: db::users::role_ids(&state.pool, id).await?,
        id: u.id,
        email: u.email,
        display_name: u.display_name,
        active: u.active,
    })
}

fn user_input(r: &UserRequest, e: &mut FieldErrors) -> Option<UserInput> {
    let email = e.check("email", Email::parse(&r.email));
    let display_name = e.check("display_name", DisplayName::parse(&r.display_name));
    Some(UserInput {
        email: email?,
        display_name: display_name?,
        role_ids: r.role_ids.clone(),
    })
}

#[utoipa::path(get, path = "/api/v1/users", tag = "Objects", summary = "List users",
    security(("bearer" = ["objects.read"])),
    responses(
        (status = 200, description = "Every user", body = UserList),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = ErrorBody),
        (status = 403, description = "Missing scope or right", body = ErrorBody),
    ))]
pub async fn list_users(
    state: web::Data<AppState>,
    caller: ApiCaller,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ObjectsRead, Right::ManageUsers)?;
    let mut data = Vec::new();
    for u in db::users::list_with_roles(&state.pool).await? {
        data.push(User {
            role_ids: db::users::role_ids(&state.pool, u.id).await?,
            id: u.id,
            email: u.email,
            display_name: u.display_name,
            active: u.active,
        });
    }
    Ok(HttpResponse::Ok().json(UserList { data }))
}

#[utoipa::path(post, path = "/api/v1/users", tag = "Objects", summary = "Create a user",
    description = "Fires user.created.",
    request_body = UserRequest,
    security(("bearer" = ["objects.write"])),
    responses(
        (status = 201, description = "Created", body = User),
        (status = 400, description = "Invalid fields", body = ErrorBody),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = ErrorBody),
        (status = 403, description = "Missing scope or right", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
    ))]
pub async fn create_user(
    state: web::Data<AppState>,
    caller: ApiCaller,
    body: Result<web::Json<UserRequest>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ObjectsWrite, Right::ManageUsers)?;
    let body = super::body(body)?;
    let mut e = FieldErrors::new();
    let details = user_input(&body, &mut e);
    let password = e.check(
        "password",
        match body.password.as_deref() {
            Some(p) => NewPassword::parse(p, p),
            None => Err("Password is required.".to_owned()),
        },
    );
    let (Some(details), Some(password), true) = (details, password, e.is_empty()) else {
        return Err(invalid(e));
    };
    let input = NewUserInput {
        user: details,
        password,
        must_change_password: body.must_change_password,
        password_generated: false,
    };
    let id = accounts::create_user(&state, &caller.actor(), input)
        .await
        .map_err(refused)?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/users/{id}")))
        .json(user(&state, id).await?))
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "Objects", summary = "Read a user",
    params(("id" = i64, Path, description = "The user's id")),
    security(("bearer" = ["objects.read"])),
    responses(
        (status = 200, description = "The user", body = User),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = ErrorBody),
        (status = 403, description = "Missing scope or right", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
    ))]
pub async fn get_user(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ObjectsRead, Right::ManageUsers)?;
    Ok(HttpResponse::Ok().json(user(&state, *id).await?))
}

#[utoipa::path(put, path = "/api/v1/users/{id}", tag = "Objects", summary = "Modify a user",
    description = "Fires user.modified when a detail changes. The password is not changed here.",
    params(("id" = i64, Path, description = "The user's id")),
    request_body = UserRequest,
    security(("bearer" = ["objects.write"])),
    responses(
        (status = 200, description = "The user as saved", body = User),
        (status = 400, description = "Invalid fields", body = ErrorBody),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = ErrorBody),
        (status = 403, description = "Missing scope or right", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
    ))]
pub async fn update_user(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<i64>,
    body: Result<web::Json<UserRequest>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ObjectsWrite, Right::ManageUsers)?;
    let body = super::body(body)?;
    let mut e = FieldErrors::new();
    let Some(details) = user_input(&body, &mut e).filter(|_| e.is_empty()) else {
        return Err(invalid(e));
    };
    accounts::update_user(&state, &caller.actor(), *id, details, body.active)
        .await
        .map_err(refused)?;
    Ok(HttpResponse::Ok().json(user(&state, *id).await?))
}

#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "Objects", summary = "Delete a user",
    params(("id" = i64, Path, description = "The user's id")),
    security(("bearer" = ["objects.write"])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Cannot be deleted (the token's own user, the last administrator, a project manager…)", body = ErrorBody),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = ErrorBody),
        (status = 403, description = "Missing scope or right", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
    ))]
pub async fn delete_user(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ObjectsWrite, Right::ManageUsers)?;
    accounts::delete_user(&state, &caller.actor(), *id)
        .await
        .map_err(refused)?;
    Ok(HttpResponse::NoContent().finish())
}
