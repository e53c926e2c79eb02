//! The OpenAPI 3 document, generated from the handlers' annotations, and a readable page of
//! it served by Hookline itself (no script, no CDN).

use std::sync::OnceLock;

use actix_web::{HttpResponse, web};
use askama::Template;
use serde_json::Value;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{attempts, catalogue, metrics, objects, webhooks};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Hookline API",
        version = "1",
        description = "Register and manage webhooks, read and retry deliveries, and change the projects, phases and users whose changes fire webhooks. Authenticate with an API token (Authorization: Bearer <token>), made on the API tokens screen; each operation names the scope it needs, and a token never exceeds its user's rights. Every error has one JSON shape (ErrorBody)."
    ),
    paths(
        webhooks::crud::list, webhooks::crud::create, webhooks::crud::get,
        webhooks::crud::update, webhooks::crud::delete, webhooks::crud::delete_all,
        webhooks::actions::test, webhooks::actions::renew, webhooks::preview::preview,
        webhooks::history::history, webhooks::history::restore,
        attempts::list, attempts::get, attempts::retry, attempts::recover,
        catalogue::list, catalogue::schema, metrics::scrape,
        objects::projects::list_projects, objects::projects::create_project,
        objects::projects::get_project, objects::projects::update_project,
        objects::projects::delete_project,
        objects::phases::list_phases, objects::phases::create_phase, objects::phases::get_phase,
        objects::phases::update_phase, objects::phases::delete_phase,
        objects::users::list_users, objects::users::create_user, objects::users::get_user,
        objects::users::update_user, objects::users::delete_user,
    ),
    modifiers(&BearerToken),
    tags(
        (name = "Webhooks", description = "Webhooks, with the rules of the webhook form."),
        (name = "Deliveries", description = "The delivery queue: what was sent, what came back."),
        (name = "Events", description = "What fires webhooks, and what they carry."),
        (name = "Operations", description = "What operators scrape and probe."),
        (name = "Objects", description = "Projects, phases and users: changes made here fire webhooks like changes made on screen."),
    )
)]
struct ApiDoc;

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API token (hkl_…) from the API tokens screen or `hookline token create`.",
                    ))
                    .build(),
            ),
        );
    }
}

pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

fn document() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        openapi()
            .to_pretty_json()
            .expect("the OpenAPI document serialises")
    })
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/openapi.json", web::get().to(openapi_json))
        .route("", web::get().to(page));
}

async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("Cache-Control", "public, max-age=300"))
        .body(document())
}

pub struct Param {
    pub name: String,
    pub place: String,
    pub required: bool,
    pub description: String,
}

pub struct Operation {
    pub anchor: String,
    pub method: String,
    pub path: String,
    pub summary: String,
    pub description: String,
    pub scopes: String,
    pub params: Vec<Param>,
    pub request: String,
    pub responses: Vec<(String, String, String)>,
}

pub struct Section {
    pub name: String,
    pub description: String,
    pub operations: Vec<Operation>,
}

pub struct Property {
    pub name: String,
    pub kind: String,
    pub required: bool,
    pub description: String,
}

pub struct SchemaView {
    pub name: String,
    pub description: String,
    pub properties: Vec<Property>,
}

#[derive(Template)]
#[template(path = "api/docs.html")]
struct DocsPage {
    description: String,
    sections: Vec<Section>,
    schemas: Vec<SchemaView>,
}

fn text(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// A schema's type in a few words: `string (date)`, `array of Webhook`, `integer or null`.
fn kind(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return r.rsplit('/').next().unwrap_or(r).to_owned();
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(list) = schema.get(key).and_then(Value::as_array) {
            return list.iter().map(kind).collect::<Vec<_>>().join(" or ");
        }
    }
    let base = match schema.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "any".to_owned(),
    };
    if let Some(items) = schema.get("items") {
        return format!("{base} of {}", kind(items));
    }
    match schema.get("format").and_then(Value::as_str) {
        Some(f) => format!("{base} ({f})"),
        None => base,
    }
}

fn sections(doc: &Value) -> Vec<Section> {
    let mut sections: Vec<Section> = doc["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| Section {
            name: text(t, "name"),
            description: text(t, "description"),
            operations: Vec::new(),
        })
        .collect();
    let paths = doc["paths"].as_object().into_iter().flatten();
    for (path, item) in paths {
        for method in ["get", "post", "put", "delete"] {
            let Some(op) = item.get(method) else { continue };
            let tag = op["tags"][0].as_str().unwrap_or_default();
            let scopes = op["security"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|s| s.as_object().into_iter().flatten())
                .flat_map(|(_, v)| v.as_array().into_iter().flatten())
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", ");
            let params = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| Param {
                    name: text(p, "name"),
                    place: text(p, "in"),
                    required: p["required"].as_bool().unwrap_or(false),
                    description: text(p, "description"),
                })
                .collect();
            let request = op["requestBody"]["content"]
                .as_object()
                .and_then(|c| c.values().next())
                .map(|c| kind(&c["schema"]))
                .unwrap_or_default();
            let responses = op["responses"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(status, r)| {
                    let body = r["content"]
                        .as_object()
                        .and_then(|c| c.values().next())
                        .map(|c| kind(&c["schema"]))
                        .unwrap_or_default();
                    (status.clone(), text(r, "description"), body)
                })
                .collect();
            let operation = Operation {
                anchor: format!("{method}-{}", path.replace(['/', '{', '}'], "-")),
                method: method.to_uppercase(),
                path: path.clone(),
                summary: text(op, "summary"),
                description: text(op, "description"),
                scopes,
                params,
                request,
                responses,
            };
            if let Some(s) = sections.iter_mut().find(|s| s.name == tag) {
                s.operations.push(operation);
            }
        }
    }
    sections
}

fn add_properties(out: &mut Vec<Property>, obj: &Value, required: &[&str]) {
    for (p, v) in obj["properties"].as_object().into_iter().flatten() {
        out.push(Property {
            name: p.clone(),
            kind: kind(v),
            required: required.contains(&p.as_str())
                || obj["required"]
                    .as_array()
                    .is_some_and(|r| r.iter().any(|x| x == p)),
            description: text(v, "description"),
        });
    }
}

fn schemas(doc: &Value) -> Vec<SchemaView> {
    doc["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, s)| {
            let required: Vec<&str> = s["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let mut properties: Vec<Property> = Vec::new();
            add_properties(&mut properties, s, &required);
            for part in s["allOf"].as_array().into_iter().flatten() {
                match part.get("$ref").and_then(Value::as_str) {
                    Some(r) => properties.push(Property {
                        name: "…".into(),
                        kind: r.rsplit('/').next().unwrap_or(r).to_owned(),
                        required: true,
                        description: "Every field of this schema.".into(),
                    }),
                    None => add_properties(&mut properties, part, &required),
                }
            }
            SchemaView {
                name: name.clone(),
                description: text(s, "description"),
                properties,
            }
        })
        .collect()
}

/// The API page: HTML, but the API's own (served without sign-in, from its document).
async fn page() -> Result<HttpResponse, super::error::ApiError> {
    let doc: Value = serde_json::from_str(document()).map_err(anyhow::Error::new)?;
    let html = DocsPage {
        description: text(&doc["info"], "description"),
        sections: sections(&doc),
        schemas: schemas(&doc),
    }
    .render()
    .map_err(anyhow::Error::new)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(html))
}
