//! The signed-in user, resolved on every request from the session token: an expired, revoked
//! or deactivated session is refused here, so no handler can forget to check.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use super::TypedSession;
use crate::db;
use crate::domain::{Right, RightSet};
use crate::error::AppError;
use crate::state::AppState;

const TOUCH_EVERY_MS: i64 = 60_000;

/// A signed-in user, who may still have to choose a new password.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub rights: RightSet,
    pub must_change_password: bool,
    /// The hash of this session's token, to keep it when ending the user's other sessions.
    pub token_hash: Vec<u8>,
}

/// A signed-in user who has no pending password change: what every page but the password
/// page asks for.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub SignedIn);

impl SignedIn {
    pub fn can(&self, right: Right) -> bool {
        self.rights.contains(right)
    }

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
            match resolve(&state, &token).await? {
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

/// Finds the session behind `token`; ends it when it is idle for too long, too old, or its
/// user was deactivated.
async fn resolve(state: &AppState, token: &str) -> Result<Option<SignedIn>, AppError> {
    let hash = super::token_hash(token);
    let row = db::sessions::find(&state.pool, &hash).await?;
    check(state, hash, row).await
}

async fn check(
    state: &AppState,
    hash: Vec<u8>,
    row: Option<db::sessions::SessionUser>,
) -> Result<Option<SignedIn>, AppError> {
    let Some(row) = row else {
        return Ok(None);
    };
    let now = db::now_ms();
    let idle_limit = state.settings.session_idle.as_millis() as i64;
    let absolute_limit = state.settings.session_absolute.as_millis() as i64;
    if !row.active || now - row.last_seen_at > idle_limit || now - row.created_at > absolute_limit {
        db::sessions::delete(&state.pool, &hash).await?;
        return Ok(None);
    }
    // Recording activity at most once a minute keeps reads from turning into writes; and
    // at least every tenth of the idle limit, so that the activity not yet recorded never
    // amounts to an idle session.
    if now - row.last_seen_at > TOUCH_EVERY_MS.min(idle_limit / 10) {
        db::sessions::touch(&state.pool, &hash, now).await?;
    }
    let rights = db::roles::rights_from_grants(row.grants.as_deref().unwrap_or_default());
    Ok(Some(SignedIn {
        id: row.user_id,
        email: row.email,
        display_name: row.display_name,
        rights,
        must_change_password: row.must_change_password,
        token_hash: hash,
    }))
}

/// The current user and the webhook list's state, read together (see
/// `db::sessions::find_with_list`), with the same checks as the `CurrentUser` extractor.
pub async fn current_user_with_list(
    state: &AppState,
    session: &TypedSession,
    req: &HttpRequest,
) -> Result<(CurrentUser, db::list_filters::ListState), AppError> {
    let refused = sign_in_required(req);
    let token = session.token().ok_or_else(|| refused.clone())?;
    let hash = super::token_hash(&token);
    let row = db::sessions::find_with_list(&state.pool, &hash).await?;
    let (session_row, list) = match row {
        Some(r) => (Some(r.session), Some(r.list)),
        None => (None, None),
    };
    match (check(state, hash, session_row).await?, list) {
        (Some(user), Some(list)) => {
            if user.must_change_password {
                return Err(AppError::PasswordChangeRequired);
            }
            Ok((CurrentUser(user), list))
        }
        _ => {
            session.sign_out();
            Err(refused)
        }
    }
}
