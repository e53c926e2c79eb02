//! The webhook screens, as in Project Monitor: list with filters, create/modify form, Test,
//! history.

mod actions;
mod filter;
mod form;
mod form_page;
mod history;
mod list;
mod overview;
mod save;

pub use list::RenderedRows;

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/webhooks", web::get().to(list::list))
        .route("/webhooks/filter", web::get().to(filter::show))
        .route("/webhooks/filter", web::post().to(filter::apply))
        .route("/webhooks/filter/select", web::post().to(filter::select))
        .route("/webhooks/filter/clear", web::post().to(filter::clear))
        .route("/webhooks/filters/{id}", web::get().to(filter::edit))
        .route("/webhooks/filters/{id}", web::post().to(filter::update))
        .route(
            "/webhooks/filters/{id}/delete",
            web::post().to(filter::delete),
        )
        .route("/webhooks/new", web::get().to(form_page::new_form))
        .route("/webhooks/new", web::post().to(save::create))
        .route("/webhooks/test", web::post().to(actions::test))
        .route("/webhooks/preview", web::post().to(actions::preview))
        .route("/webhooks/{id}", web::get().to(form_page::edit_form))
        .route("/webhooks/{id}", web::post().to(save::update))
        .route("/webhooks/{id}/delete", web::post().to(save::delete))
        .route("/webhooks/{id}/renew", web::post().to(actions::renew))
        .route(
            "/webhooks/{id}/rotate-secret",
            web::post().to(actions::rotate_secret),
        )
        .route("/webhooks/{id}/history", web::get().to(history::show))
        .route(
            "/webhooks/{id}/history/{entry}",
            web::get().to(history::version),
        )
        .route(
            "/webhooks/{id}/history/{entry}/restore",
            web::post().to(history::restore),
        )
        .route("/webhooks/{id}/overview", web::get().to(overview::show))
        .route("/webhooks/{id}/recover", web::post().to(overview::recover));
}
