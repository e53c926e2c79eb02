//! Around every request: one log line, security headers, refusal of cross-site
//! state-changing requests (a second wall behind the CSRF token), and a wait for writes
//! committed in the background.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::web;
use actix_web::{FromRequest, HttpResponse};
use askama::Template;

use crate::auth::{SignedIn, TypedSession};
use crate::error::{AppError, ShownError};
use crate::state::AppState;
use crate::web::{Area, Chrome};

/// Logs method, path (never the query string, which may carry tokens), status and time.
pub async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.path().to_owned();
    let res = next.call(req).await?;
    let status = res.status().as_u16();
    tracing::info!(
        method = %method,
        path = %path,
        status,
        micros = started.elapsed().as_micros() as u64,
        "request"
    );
    if let Some(state) = res.request().app_data::<web::Data<AppState>>() {
        let route = res.request().match_pattern();
        state
            .metrics
            .request(method.as_str(), route.as_deref(), status);
    }
    Ok(res)
}

/// Waits, when some work was committed in the background, until it is visible: a page or
/// API answer read after a response sees what that response reported (a synchronous call's
/// attempt in the history, for one).
pub async fn see_earlier_writes(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if let Some(state) = req.app_data::<web::Data<AppState>>() {
        state.store.caught_up().await;
    }
    next.call(req).await
}

pub async fn refuse_cross_site(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && !req.path().starts_with("/api/") && is_cross_site(&req) {
        return Err(AppError::CrossSite.into());
    }
    next.call(req).await
}

fn is_cross_site(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return true;
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    origin != expected_origin(req)
}

fn expected_origin(req: &ServiceRequest) -> String {
    let public = req.app_data::<web::Data<AppState>>().and_then(|s| {
        s.settings
            .public_url
            .as_ref()
            .map(|u| u.origin().ascii_serialization())
    });
    public.unwrap_or_else(|| {
        let info = req.connection_info();
        format!("{}://{}", info.scheme(), info.host())
    })
}

#[derive(Template)]
#[template(path = "error_signed_in.html")]
struct SignedInErrorPage {
    chrome: Chrome,
    error: ShownError,
}

/// An error page shown to someone signed in keeps the top bar — the way back, and Sign out.
pub async fn error_pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let res = next.call(req).await?;
    let shown = res.response().extensions().get::<ShownError>().cloned();
    // Without its database, the top bar cannot be drawn: the plain page says so at once.
    let Some(error) = shown.filter(|_| res.status() != StatusCode::SERVICE_UNAVAILABLE) else {
        return Ok(res.map_into_boxed_body());
    };
    let (req, res) = res.into_parts();
    let (Ok(user), Ok(session)) = (
        SignedIn::extract(&req).await,
        TypedSession::extract(&req).await,
    ) else {
        return Ok(ServiceResponse::new(req, res).map_into_boxed_body());
    };
    let page = SignedInErrorPage {
        chrome: Chrome::new(&user, &session, Area::Home),
        error,
    };
    let Ok(body) = page.render() else {
        return Ok(ServiceResponse::new(req, res).map_into_boxed_body());
    };
    let replaced = HttpResponse::build(res.status())
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(body);
    Ok(ServiceResponse::new(req, replaced))
}
