//! The signed-in user, resolved on every request from the session token: an expired, revoked
//! or deactivated session is refused here, so no handler can forget to check.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use super::TypedSession;
use crate::domain::Right;
use crate::error::AppError;
pub use crate::services::sessions::SignedIn;
use crate::services::sessions::{self, ListState};
use crate::state::AppState;

/// A signed-in user who has no pending password change: what every page but the password
/// page asks for.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub SignedIn);

impl SignedIn {
    pub fn require(&self, right: Right) -> Result<(), AppError> {
        if self.can(right) {
            Ok(())
        } else {
            Err(AppError::Forbidden(right))
        }
    }
}

impl std::ops::Deref for CurrentUser {
    type Target = SignedIn;
    fn deref(&self) -> &SignedIn {
        &self.0
    }
}

fn sign_in_required(req: &HttpRequest) -> AppError {
    let next = match req.query_string() {
        "" => req.path().to_owned(),
        q => format!("{}?{q}", req.path()),
    };
    AppError::SignInRequired { next }
}

impl FromRequest for SignedIn {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let session = TypedSession::extract(req).into_inner();
        let refused = sign_in_required(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| AppError::internal("application state missing"))?;
            let session = session.map_err(|_| refused.clone())?;
            let token = session.token().ok_or_else(|| refused.clone())?;
            match sessions::resolve(&state, &token).await? {
                Some(user) => Ok(user),
                None => {
                    session.sign_out();
                    Err(refused)
                }
            }
        })
    }
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let signed_in = SignedIn::from_request(req, payload);
        Box::pin(async move {
            let user = signed_in.await?;
            if user.must_change_password {
                return Err(AppError::PasswordChangeRequired);
            }
            Ok(CurrentUser(user))
        })
    }
}

/// The current user and the webhook list's state, read together, with the same checks as
/// the `CurrentUser` extractor.
pub async fn current_user_with_list(
    state: &AppState,
    session: &TypedSession,
    req: &HttpRequest,
) -> Result<(CurrentUser, ListState), AppError> {
    let refused = sign_in_required(req);
    let token = session.token().ok_or_else(|| refused.clone())?;
    match sessions::resolve_with_list(state, &token).await? {
        Some((user, _)) if user.must_change_password => Err(AppError::PasswordChangeRequired),
        Some((user, list)) => Ok((CurrentUser(user), list)),
        None => {
            session.sign_out();
            Err(refused)
        }
    }
}
