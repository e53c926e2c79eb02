//! The caller of an API request: a bearer token, resolved on every request. A missing,
//! unknown, expired or revoked token, or one whose user was deactivated, is refused here.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use super::error::ApiError;
use crate::domain::{Right, Scope};
use crate::services;
use crate::state::AppState;

/// The holder of the request's bearer token.
pub use crate::services::api_tokens::TokenHolder as ApiCaller;

impl ApiCaller {
    /// The request needs the scope on the token and the right on its user.
    pub fn require(&self, scope: Scope, right: Right) -> Result<(), ApiError> {
        if !self.scopes.contains(scope) {
            return Err(ApiError::MissingScope(scope));
        }
        if !self.rights.contains(right) {
            return Err(ApiError::MissingRight(right));
        }
        Ok(())
    }
}

fn bearer(req: &HttpRequest) -> Result<String, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or(ApiError::Unauthorized(
            "An API token is required: send it as Authorization: Bearer <token>.",
        ))?;
    let value = value.to_str().unwrap_or_default().trim();
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim().to_owned())
        }
        _ => Err(ApiError::Unauthorized(
            "The Authorization header must be Bearer <token>.",
        )),
    }
}

const INVALID: &str = "This API token is invalid, expired or revoked.";

impl FromRequest for ApiCaller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| anyhow::anyhow!("application state missing"))?;
            services::api_tokens::authenticate(&state, &token?)
                .await?
                .ok_or(ApiError::Unauthorized(INVALID))
        })
    }
}
