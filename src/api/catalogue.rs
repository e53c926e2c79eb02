//! `/api/v1/event-types` and the payload's JSON Schema.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::ApiCaller;
use super::error::{ApiError, ErrorBody};
use crate::domain::catalogue::{event_type, event_types};
use crate::domain::template::placeholders;
use crate::domain::{Right, Scope};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/event-types").route(web::get().to(list)))
        .service(web::resource("/schemas/webhook-payload").route(web::get().to(schema)));
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventType {
    /// E.g. `project.created`.
    pub name: String,
    pub object_type: &'static str,
    pub action: &'static str,
    /// The object's fields, as the payload's Attributes carry them.
    pub fields: Vec<&'static str>,
    /// What URL, body and header templates may use, e.g. `{project.id}`.
    pub placeholders: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventTypeList {
    pub data: Vec<EventType>,
}

#[utoipa::path(get, path = "/api/v1/event-types", tag = "Events",
    summary = "The event catalogue",
    security(("bearer" = ["webhooks.read"])),
    responses(
        (status = 200, description = "Every event type", body = EventTypeList),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = ErrorBody),
        (status = 403, description = "Missing scope or right", body = ErrorBody),
    ))]
pub async fn list(caller: ApiCaller) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::WebhooksRead, Right::ViewWebhooks)?;
    let data = event_types()
        .map(|(o, a)| EventType {
            name: event_type(o, a),
            object_type: o.code(),
            action: a.code(),
            fields: o.fields().iter().map(|f| f.name).collect(),
            placeholders: placeholders(o).iter().map(|p| format!("{{{p}}}")).collect(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(EventTypeList { data }))
}

#[utoipa::path(get, path = "/api/v1/schemas/webhook-payload", tag = "Events",
    summary = "The JSON Schema of the payload",
    description = "What `{payload}` sends: the envelope and the object's data. Public, like the document it describes.",
    responses((status = 200, description = "A JSON Schema (draft 2020-12)", content_type = "application/schema+json", body = Object)))]
pub async fn schema() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/schema+json")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(crate::events::payload::SCHEMA)
}
