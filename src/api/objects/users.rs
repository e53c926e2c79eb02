//! `/api/v1/users`: the people who sign in, and whose changes fire user events.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{invalid, refused};
use crate::api::auth::ApiCaller;
use crate::api::error::{ApiError, ErrorBody};
use crate::domain::ids::{RoleId, UserId};
use crate::domain::{DisplayName, Email, FieldErrors, NewPassword, Right, Scope};
use crate::services::accounts::{self, NewUserInput, UserInput};
use crate::state::AppState;

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

async fn user(state: &AppState, id: UserId) -> Result<User, ApiError> {
    let (u, roles) = accounts::user(state, id).await?;
    Ok(User {
        role_ids: numbers(roles),
        id: u.id.get(),
        email: u.email,
        display_name: u.display_name,
        active: u.active,
    })
}

fn numbers(roles: Vec<RoleId>) -> Vec<i64> {
    roles.into_iter().map(RoleId::get).collect()
}

fn user_input(r: &UserRequest, e: &mut FieldErrors) -> Option<UserInput> {
    let email = e.check("email", Email::parse(&r.email));
    let display_name = e.check("display_name", DisplayName::parse(&r.display_name));
    Some(UserInput {
        email: email?,
        display_name: display_name?,
        role_ids: r.role_ids.iter().copied().map(RoleId::new).collect(),
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
    let data = accounts::users_with_role_ids(&state)
        .await?
        .into_iter()
        .map(|(u, roles)| User {
            role_ids: numbers(roles),
            id: u.id.get(),
            email: u.email,
            display_name: u.display_name,
            active: u.active,
        })
        .collect();
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
    let body = crate::api::body(body)?;
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
    id: web::Path<UserId>,
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
    id: web::Path<UserId>,
    body: Result<web::Json<UserRequest>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ObjectsWrite, Right::ManageUsers)?;
    let body = crate::api::body(body)?;
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
    id: web::Path<UserId>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ObjectsWrite, Right::ManageUsers)?;
    accounts::delete_user(&state, &caller.actor(), *id)
        .await
        .map_err(refused)?;
    Ok(HttpResponse::NoContent().finish())
}
