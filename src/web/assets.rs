//! The stylesheet and script, compiled into the binary so that it runs from any directory.

use actix_web::HttpResponse;

const STYLESHEET: &str = include_str!("../../static/app.css");
const SCRIPT: &str = include_str!("../../static/app.js");
const ICON: &str = include_str!("../../static/favicon.svg");

pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(STYLESHEET)
}

pub async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(SCRIPT)
}

/// The icon, also at /favicon.ico, where browsers look without being told.
pub async fn icon() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header(("Cache-Control", "public, max-age=86400"))
        .body(ICON)
}
