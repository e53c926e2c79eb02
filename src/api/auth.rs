//! The caller of an API request: a bearer token, resolved on every request. A missing,
//! unknown, expired or revoked token, or one whose user was deactivated, is refused here.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use super::error::ApiError;
use crate::db;
use crate::domain::ids::UserId;
use crate::domain::{Right, RightSet, Scope, ScopeSet};
use crate::services::Actor;
use crate::state::AppState;

const TOUCH_EVERY_MS: i64 = 60_000;

#[derive(Debug, Clone)]
pub struct ApiCaller {
    pub token_name: String,
    pub user_id: UserId,
    pub user_name: String,
    pub email: String,
    rights: RightSet,
    scopes: ScopeSet,
}

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

    /// The rights the token can exercise: its user's, narrowed to those its scopes reach. A
    /// token for managing objects cannot hand out webhook or token rights, even its user's.
    fn reach(&self) -> RightSet {
        self.rights
            .iter()
            .filter(|r| self.scopes.iter().any(|s| s.rights().contains(r)))
            .collect()
    }

    pub fn actor(&self) -> Actor {
        Actor {
            id: Some(self.user_id),
            name: self.user_name.clone(),
            email: self.email.clone(),
            via_token: Some(self.token_name.clone()),
            authority: crate::services::Authority::Rights(self.reach()),
        }
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
            let hash = crate::auth::token_hash(&token?);
            let row = db::api_tokens::caller(&state.store, &hash)
                .await?
                .ok_or(ApiError::Unauthorized(INVALID))?;
            let now = db::now_ms();
            if row.revoked_at.is_some() || row.expires_at.is_some_and(|at| at <= now) || !row.active
            {
                return Err(ApiError::Unauthorized(INVALID));
            }
            // At most one write a minute per token keeps reads from turning into writes.
            if row.last_used_at.is_none_or(|at| now - at > TOUCH_EVERY_MS) {
                db::api_tokens::touch(&state.store, row.id, now).await?;
            }
            Ok(ApiCaller {
                token_name: row.name,
                user_id: row.user_id,
                user_name: row.display_name,
                email: row.email,
                rights: db::roles::rights_from_grants(row.grants.as_deref().unwrap_or_default()),
                scopes: ScopeSet::from_stored(&row.scopes),
            })
        })
    }
}
