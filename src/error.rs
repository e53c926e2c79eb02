//! The web layer's error: each kind maps to a status code and a friendly page. Internal
//! details go to the log with a short reference that the page shows too, never to the user.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use crate::domain::Right;
use crate::services::{RETRY_UNAVAILABLE_AFTER_SECONDS, ServiceError};

#[derive(Debug, Clone, thiserror::Error)]
pub enum AppError {
    #[error("sign-in required")]
    SignInRequired { next: String },
    #[error("a new password must be chosen first")]
    PasswordChangeRequired,
    #[error("missing right: {0}")]
    Forbidden(Right),
    #[error("missing or invalid form token")]
    Csrf,
    #[error("cross-site request refused")]
    CrossSite,
    #[error("not found")]
    NotFound,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("request body too large")]
    TooLarge { limit_kb: usize },
    /// The database cannot serve just now: worth trying again shortly.
    #[error("database unavailable: {0}")]
    Unavailable(std::sync::Arc<anyhow::Error>),
    #[error("internal error: {0}")]
    Internal(std::sync::Arc<anyhow::Error>),
}

impl AppError {
    pub fn internal(message: &'static str) -> Self {
        AppError::Internal(std::sync::Arc::new(anyhow::anyhow!(message)))
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        ServiceError::from(e).into()
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        anyhow::Error::new(e).into()
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: String,
    reference: Option<String>,
}

/// What an error page says, kept with the response: for a signed-in person the page is
/// shown again inside the usual top bar (see `web::middleware::error_pages`).
#[derive(Debug, Clone)]
pub struct ShownError {
    pub title: &'static str,
    pub message: String,
    pub reference: Option<String>,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::SignInRequired { .. } | AppError::PasswordChangeRequired => {
                StatusCode::SEE_OTHER
            }
            AppError::Forbidden(_) | AppError::Csrf | AppError::CrossSite => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (title, message, reference) = match self {
            AppError::SignInRequired { next } => {
                let location = format!("/sign-in?next={}", url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>());
                return redirect(&location);
            }
            AppError::PasswordChangeRequired => return redirect("/account/password"),
            AppError::Forbidden(right) => (
                "Access denied",
                format!("You do not have the right \u{201c}{}\u{201d} needed for this page. Ask an administrator to give it to one of your roles.", right.label()),
                None,
            ),
            AppError::Csrf => (
                "Form expired",
                "This form has expired or was not sent from Hookline. Go back, reload the page and try again.".to_owned(),
                None,
            ),
            AppError::CrossSite => (
                "Request refused",
                "This request came from another site and was refused.".to_owned(),
                None,
            ),
            AppError::NotFound => ("Not found", "There is nothing at this address.".to_owned(), None),
            AppError::BadRequest(message) => ("Bad request", message.clone(), None),
            AppError::TooLarge { limit_kb } => (
                "Too large",
                format!("The form is too large: at most {limit_kb} KB can be sent. Nothing was saved."),
                None,
            ),
            AppError::Unavailable(error) | AppError::Internal(error) => {
                let reference = crate::random::reference();
                let status = self.status_code().as_u16();
                tracing::error!(reference = %reference, status, error = ?error, "request failed");
                let (title, message) = match self {
                    AppError::Unavailable(_) => ("Database unavailable", "Hookline cannot reach its database just now. Try again in a few seconds; if you were saving something, check whether it was saved before saving it again."),
                    _ => ("Technical error", "A technical error has occurred. Please contact your administrator."),
                };
                (title, message.to_owned(), Some(reference))
            }
        };
        let page = ErrorPage {
            title,
            message: message.clone(),
            reference: reference.clone(),
        };
        let body = page.render().unwrap_or_else(|_| {
            "A technical error has occurred. Please contact your administrator.".to_owned()
        });
        let mut response = HttpResponse::build(self.status_code());
        if matches!(self, AppError::Unavailable(_)) {
            response.insert_header((
                header::RETRY_AFTER,
                RETRY_UNAVAILABLE_AFTER_SECONDS.to_string(),
            ));
        }
        let mut response = response.content_type("text/html; charset=utf-8").body(body);
        response.extensions_mut().insert(ShownError {
            title,
            message,
            reference,
        });
        response
    }
}

/// A service's refusal on a page: not found, or a bad request in words.
impl From<ServiceError> for AppError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound => AppError::NotFound,
            ServiceError::Conflict(message) | ServiceError::Vetoed(message) => {
                AppError::BadRequest(message)
            }
            ServiceError::Unavailable(e) => AppError::Unavailable(std::sync::Arc::new(e)),
            ServiceError::Internal(e) => AppError::Internal(std::sync::Arc::new(e)),
            ServiceError::Invalid(errors) => {
                let text: Vec<_> = errors.iter().map(|(_, m)| m.to_owned()).collect();
                AppError::BadRequest(text.join(" "))
            }
        }
    }
}

pub fn redirect(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}
