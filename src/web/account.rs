//! The signed-in user's own account: changing the password (forced after a generated one).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{Area, Chrome};
use crate::auth::session::FlashKind;
use crate::auth::{CsrfForm, SignedIn, TypedSession};
use crate::domain::{FieldErrors, NewPassword, PASSWORD_MIN_CHARS, Secret};
use crate::error::{AppError, redirect};
use crate::services::{ServiceError, accounts};
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/account/password", web::get().to(show))
        .route("/account/password", web::post().to(submit));
}

#[derive(Template)]
#[template(path = "account/password.html")]
struct PasswordPage {
    chrome: Chrome,
    forced: bool,
    generated: bool,
    errors: FieldErrors,
    min_chars: usize,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
    new_password_confirm: String,
}

async fn show(user: SignedIn, session: TypedSession) -> Result<HttpResponse, AppError> {
    let page = PasswordPage {
        chrome: Chrome::new(&user, &session, Area::Account),
        forced: user.must_change_password,
        generated: user.password_generated,
        errors: FieldErrors::new(),
        min_chars: PASSWORD_MIN_CHARS,
    };
    super::page(&page)
}

async fn submit(
    state: web::Data<AppState>,
    user: SignedIn,
    session: TypedSession,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let mut errors = FieldErrors::new();
    if form.current_password.is_empty() {
        errors.add("current_password", "Enter your current password.");
    }
    let new = errors.check(
        "new_password",
        NewPassword::parse(&form.new_password, &form.new_password_confirm),
    );
    if let (Some(new), true) = (new, errors.is_empty()) {
        let current = Secret::new(form.current_password);
        match accounts::change_password(&state, user.id, &user.token_hash, &current, new).await {
            Ok(()) => {
                session.flash(FlashKind::Success, "Your password has been changed.");
                return Ok(redirect("/"));
            }
            Err(ServiceError::Invalid(e)) => errors = e,
            Err(e) => return Err(e.into()),
        }
    }
    let page = PasswordPage {
        chrome: Chrome::new(&user, &session, Area::Account),
        forced: user.must_change_password,
        generated: user.password_generated,
        errors,
        min_chars: PASSWORD_MIN_CHARS,
    };
    super::render(StatusCode::UNPROCESSABLE_ENTITY, &page)
}
