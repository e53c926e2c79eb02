//! The event catalogue as a page, and the payload's JSON Schema.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::{Area, Chrome};
use crate::auth::{CurrentUser, TypedSession};
use crate::domain::Right;
use crate::domain::catalogue::{Action, ObjectType};
use crate::domain::catalogue::{event_type, event_types};
use crate::domain::template::placeholders;
use crate::error::AppError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/event-types", web::get().to(catalogue))
        .route("/schemas/webhook-payload.json", web::get().to(schema));
}

pub struct EventTypeView {
    pub name: String,
    pub object: &'static str,
    pub action: &'static str,
}

pub struct ObjectView {
    pub label: &'static str,
    /// Hookline's own object, whose event is not a modification.
    pub operational: bool,
    pub fields: Vec<String>,
    pub placeholders: Vec<String>,
}

#[derive(Template)]
#[template(path = "events.html")]
struct CataloguePage {
    chrome: Chrome,
    types: Vec<EventTypeView>,
    objects: Vec<ObjectView>,
}

async fn catalogue(user: CurrentUser, session: TypedSession) -> Result<HttpResponse, AppError> {
    user.require(Right::ViewWebhooks)?;
    let types = event_types()
        .map(|(o, a): (ObjectType, Action)| EventTypeView {
            name: event_type(o, a),
            object: o.label(),
            action: a.label(),
        })
        .collect();
    let objects = ObjectType::ALL
        .into_iter()
        .map(|o| ObjectView {
            label: o.label(),
            operational: o.is_operational(),
            fields: o.fields().iter().map(|f| f.name.to_owned()).collect(),
            placeholders: placeholders(o).iter().map(|p| format!("{{{p}}}")).collect(),
        })
        .collect();
    super::page(&CataloguePage {
        chrome: Chrome::new(&user, &session, Area::EventTypes),
        types,
        objects,
    })
}

async fn schema() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/schema+json")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(crate::events::payload::SCHEMA)
}
