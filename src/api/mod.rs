//! The REST API under `/api`: bearer tokens with scopes, JSON in and out, one error shape,
//! and its OpenAPI document generated from these handlers.

mod attempts;
mod auth;
mod catalogue;
mod docs;
pub mod error;
mod metrics;
mod objects;
mod webhooks;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::{Next, from_fn};
use actix_web::{ResponseError, web};
use serde::de::DeserializeOwned;

pub use auth::ApiCaller;
pub use docs::openapi;
use error::ApiError;

/// The largest request body: a webhook with a full body template and every header.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.configure(metrics::routes).service(
        web::scope("/api")
            .app_data(web::JsonConfig::default().limit(MAX_BODY_BYTES))
            .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
            .configure(docs::routes)
            .service(
                web::scope("/v1")
                    .configure(webhooks::routes)
                    .configure(attempts::routes)
                    .configure(catalogue::routes)
                    .configure(objects::routes),
            )
            .default_service(web::to(|| async {
                Err::<actix_web::HttpResponse, _>(ApiError::NotFound)
            }))
            .wrap(from_fn(json_errors)),
    );
}

/// Turns every error answer of the API that is not already JSON — a malformed body, a path
/// that does not parse, a method not allowed, a body over the limit — into the API's error
/// shape, so that clients handle one format.
async fn json_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let res = next.call(req).await?;
    let status = res.status();
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return Ok(res.map_into_boxed_body());
    }
    let detail = res.response().error().map(|e| e.to_string());
    let error = match status.as_u16() {
        404 => ApiError::NotFound,
        405 => ApiError::MethodNotAllowed,
        413 => ApiError::TooLarge {
            limit: MAX_BODY_BYTES,
        },
        400..=499 => ApiError::Unreadable {
            status,
            message: match detail {
                Some(d) if d.starts_with("Content type error") => {
                    "Send the body as JSON, with Content-Type: application/json.".to_owned()
                }
                Some(d) => format!("The request could not be read: {d}"),
                None => "The request could not be read.".to_owned(),
            },
        },
        _ => ApiError::Internal(anyhow::anyhow!(
            "{}",
            detail.unwrap_or_else(|| status.to_string())
        )),
    };
    let (req, _) = res.into_parts();
    Ok(ServiceResponse::new(req, error.error_response()))
}

/// A JSON body, read after the token's scope was checked: a caller without the scope learns
/// nothing about the body's shape. Use as `Result<web::Json<T>, actix_web::Error>`.
pub fn body<T>(extracted: Result<web::Json<T>, actix_web::Error>) -> Result<T, ApiError> {
    extracted.map(web::Json::into_inner).map_err(|e| {
        let status = e.as_response_error().status_code();
        if status == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError::TooLarge {
                limit: MAX_BODY_BYTES,
            };
        }
        let message = e.to_string();
        ApiError::Unreadable {
            status,
            message: if message.starts_with("Content type error") {
                "Send the body as JSON, with Content-Type: application/json.".to_owned()
            } else {
                format!("The request could not be read: {message}")
            },
        }
    })
}

/// A JSON body that may be left out entirely.
pub fn optional_json<T: DeserializeOwned + Default>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("The request body is not valid JSON: {e}")))
}

/// Times as RFC 3339 in UTC, as in the payloads.
pub fn timestamp(ms: i64) -> String {
    crate::events::payload::timestamp(ms)
}
