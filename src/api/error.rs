//! The API's one error shape: `{"status", "code", "message", "fields"?, "missingScope"?}`.
//! Every failure of an `/api` route, including malformed JSON, a body too large and an unknown
//! path, answers with it.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::{FieldErrors, Right, Scope};
use crate::services::{RETRY_UNAVAILABLE_AFTER_SECONDS, ServiceError};

const UNAVAILABLE: &str = "Hookline cannot reach its database just now. Try again in a few seconds; if this request made a change, check whether it was saved before making it again.";

/// One field's error, as the form shows it beside the field.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldError {
    /// The request field, e.g. `url` or `eventTypes`.
    pub field: String,
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// The HTTP status, repeated.
    pub status: u16,
    /// A stable code: invalid_request, invalid_fields, unauthorized, forbidden, not_found,
    /// conflict, vetoed, too_large, unavailable (the database cannot serve just now: try
    /// again after the Retry-After header's seconds), internal.
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing_scope: Option<&'static str>,
    /// For internal errors and an unavailable database: the reference to give the
    /// administrator, found in the log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("invalid request: {0}")]
    BadRequest(String),
    #[error("invalid fields")]
    Invalid(Vec<FieldError>),
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    #[error("missing scope {0}")]
    MissingScope(Scope),
    #[error("missing right {0}")]
    MissingRight(Right),
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("vetoed: {0}")]
    Vetoed(String),
    #[error("body too large")]
    TooLarge { limit: usize },
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A request the framework could not read (e.g. 415 for a body that is not JSON).
    #[error("unreadable request: {message}")]
    Unreadable { status: StatusCode, message: String },
    #[error("database unavailable: {0}")]
    Unavailable(anyhow::Error),
    #[error("internal: {0}")]
    Internal(anyhow::Error),
}

impl ApiError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        ApiError::Invalid(vec![FieldError {
            field: field.to_owned(),
            message: message.into(),
        }])
    }

    /// Field errors from the shared validation, renamed to the API's field names.
    pub fn from_fields(errors: &FieldErrors, rename: fn(&str) -> &str) -> Self {
        ApiError::Invalid(
            errors
                .iter()
                .map(|(f, m)| FieldError {
                    field: rename(f).to_owned(),
                    message: m.to_owned(),
                })
                .collect(),
        )
    }

    pub fn from_service(e: ServiceError, rename: fn(&str) -> &str) -> Self {
        match e {
            ServiceError::Invalid(errors) => Self::from_fields(&errors, rename),
            ServiceError::NotFound => ApiError::NotFound,
            ServiceError::Conflict(m) => ApiError::Conflict(m),
            ServiceError::Vetoed(m) => ApiError::Vetoed(m),
            ServiceError::Unavailable(e) => ApiError::Unavailable(e),
            ServiceError::Internal(e) => ApiError::Internal(e),
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        ApiError::from_service(e, |f| f)
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        ServiceError::from(e).into()
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) | ApiError::Invalid(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::MissingScope(_) | ApiError::MissingRight(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            // The change was refused by a receiver: the request was fine, its effect was not.
            ApiError::Vetoed(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Unreadable { status, .. } => *status,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let mut body = ErrorBody {
            status: status.as_u16(),
            code: "",
            message: String::new(),
            fields: Vec::new(),
            missing_scope: None,
            reference: None,
        };
        (body.code, body.message) = match self {
            ApiError::BadRequest(m) => ("invalid_request", m.clone()),
            ApiError::Invalid(fields) => {
                body.fields = fields.clone();
                (
                    "invalid_fields",
                    "Some fields are invalid; nothing was saved.".to_owned(),
                )
            }
            ApiError::Unauthorized(m) => ("unauthorized", (*m).to_owned()),
            ApiError::MissingScope(scope) => {
                body.missing_scope = Some(scope.code());
                (
                    "forbidden",
                    format!("This token does not have the scope {scope}."),
                )
            }
            ApiError::MissingRight(right) => (
                "forbidden",
                format!(
                    "The token's user does not have the right \u{201c}{}\u{201d}.",
                    right.label()
                ),
            ),
            ApiError::NotFound => ("not_found", "There is nothing at this address.".to_owned()),
            ApiError::Conflict(m) => ("conflict", m.clone()),
            ApiError::Vetoed(m) => ("vetoed", m.clone()),
            ApiError::TooLarge { limit } => (
                "too_large",
                format!(
                    "The request body is too large: at most {} KB. Nothing was saved.",
                    limit / 1024
                ),
            ),
            ApiError::MethodNotAllowed => (
                "method_not_allowed",
                "This method is not allowed here.".to_owned(),
            ),
            ApiError::Unreadable { message, .. } => ("invalid_request", message.clone()),
            ApiError::Unavailable(e) | ApiError::Internal(e) => {
                let reference = crate::random::reference();
                tracing::error!(reference = %reference, status = status.as_u16(), error = ?e, "API request failed");
                body.reference = Some(reference);
                match self {
                    ApiError::Unavailable(_) => ("unavailable", UNAVAILABLE.to_owned()),
                    _ => (
                        "internal",
                        "A technical error has occurred. Please contact your administrator."
                            .to_owned(),
                    ),
                }
            }
        };
        let mut response = HttpResponse::build(status);
        response.insert_header(("Cache-Control", "no-store"));
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header((
                header::RETRY_AFTER,
                RETRY_UNAVAILABLE_AFTER_SECONDS.to_string(),
            ));
        }
        if status == StatusCode::UNAUTHORIZED {
            response.insert_header(("WWW-Authenticate", "Bearer realm=\"hookline\""));
        }
        response.json(body)
    }
}
