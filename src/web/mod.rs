//! The server-rendered UI: handlers by area, the page chrome, and the middleware around them.

mod account;
mod api_tokens;
mod assets;
mod cause;
mod charts;
mod choices;
mod chrome;
mod events;
pub mod format;
mod health;
mod home;
mod inbox;
pub mod middleware;
pub mod pending_orders;
mod phases;
mod project_filters;
mod projects;
mod roles;
mod sign_in;
mod users;
mod webhooks;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

pub use chrome::{Area, Chrome};
pub use webhooks::RenderedRows;

use crate::error::AppError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home::home))
        .route("/static/app.css", web::get().to(assets::stylesheet))
        .route("/static/app.js", web::get().to(assets::script))
        .route("/static/favicon.svg", web::get().to(assets::icon))
        .route("/favicon.ico", web::get().to(assets::icon))
        .configure(health::routes)
        .configure(sign_in::routes)
        .configure(account::routes)
        .configure(api_tokens::routes)
        .configure(users::routes)
        .configure(roles::routes)
        .configure(webhooks::routes)
        .configure(projects::routes)
        .configure(phases::routes)
        .configure(project_filters::routes)
        .configure(events::routes)
        .configure(pending_orders::routes)
        .configure(inbox::routes);
}

/// Renders a page with a status; 422 for a form sent back with errors.
pub fn render(status: StatusCode, page: &impl Template) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(page.render()?))
}

pub fn page(page: &impl Template) -> Result<HttpResponse, AppError> {
    render(StatusCode::OK, page)
}

/// Reads a numeric id sent in a form, such as a role picked in a list.
pub fn parse_ids<Id: std::str::FromStr>(values: &[String]) -> Option<Vec<Id>> {
    values.iter().map(|v| v.trim().parse().ok()).collect()
}

/// The signed-in user as the author of a change.
pub fn actor(user: &crate::auth::SignedIn) -> crate::services::Actor {
    crate::services::Actor {
        id: Some(user.id),
        name: user.display_name.clone(),
        email: user.email.clone(),
        via_token: None,
        authority: crate::services::Authority::Rights(user.rights),
    }
}
