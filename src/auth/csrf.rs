//! Synchronizer-token CSRF protection. Every state-changing form is read through `CsrfForm`,
//! which refuses the request unless its `csrf_token` field equals the session's token.

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use super::TypedSession;
use crate::error::AppError;

pub const FIELD: &str = "csrf_token";

/// The largest form body accepted (webhook bodies and headers included).
pub const MAX_FORM_BYTES: usize = 256 * 1024;

pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let session = TypedSession::extract(req).into_inner();
        let body = Bytes::from_request(req, payload);
        Box::pin(async move {
            let session = session.map_err(|_| AppError::Csrf)?;
            let body = body.await.map_err(|e| match e.as_error::<PayloadError>() {
                Some(PayloadError::Overflow) => AppError::TooLarge {
                    limit_kb: MAX_FORM_BYTES / 1024,
                },
                _ => AppError::BadRequest("The form could not be read.".into()),
            })?;
            check_token(&session, &body)?;
            let form = serde_html_form::from_bytes(&body)
                .map_err(|e| AppError::BadRequest(format!("The form could not be read: {e}.")))?;
            Ok(CsrfForm(form))
        })
    }
}

fn check_token(session: &TypedSession, body: &[u8]) -> Result<(), AppError> {
    let fields: Vec<(String, String)> =
        serde_html_form::from_bytes(body).map_err(|_| AppError::Csrf)?;
    let sent = fields
        .iter()
        .find(|(name, _)| name == FIELD)
        .map(|(_, value)| value.as_bytes())
        .ok_or(AppError::Csrf)?;
    let expected = session.existing_csrf_token().ok_or(AppError::Csrf)?;
    if bool::from(sent.ct_eq(expected.as_bytes())) {
        Ok(())
    } else {
        Err(AppError::Csrf)
    }
}
