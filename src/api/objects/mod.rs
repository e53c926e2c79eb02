//! `/api/v1/projects`, `/phases`, `/users`: outside systems change the objects that fire
//! webhooks, through the services the screens use — same events, same synchronous veto. One
//! module per resource.

pub mod phases;
pub mod projects;
pub mod users;

use actix_web::web;

use super::error::ApiError;
use crate::domain::FieldErrors;
use phases::{create_phase, delete_phase, get_phase, list_phases, update_phase};
use projects::{create_project, delete_project, get_project, list_projects, update_project};
use users::{create_user, delete_user, get_user, list_users, update_user};

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

pub(super) fn snake_to_camel(field: &str) -> &str {
    match field {
        "start_date" => "startDate",
        "finish_date" => "finishDate",
        "manager" => "managerId",
        "display_name" => "displayName",
        "roles" => "roleIds",
        other => other,
    }
}

pub(super) fn refused(e: crate::services::ServiceError) -> ApiError {
    ApiError::from_service(e, snake_to_camel)
}

pub(super) fn invalid(e: FieldErrors) -> ApiError {
    ApiError::from_fields(&e, snake_to_camel)
}
