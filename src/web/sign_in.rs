//! Sign-in and sign-out pages.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::session::{Flash, FlashKind};
use crate::auth::{CsrfForm, TypedSession};
use crate::domain::Secret;
use crate::error::{AppError, redirect};
use crate::services::sign_in::{SignInOutcome, sign_in, sign_out};
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/sign-in", web::get().to(show))
        .route("/sign-in", web::post().to(submit))
        .route("/sign-out", web::post().to(leave));
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    csrf: String,
    email: String,
    next: String,
    error: Option<String>,
    flashes: Vec<Flash>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NextQuery {
    next: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SignInForm {
    email: String,
    password: String,
    next: String,
}

async fn show(
    session: TypedSession,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    let page = SignInPage {
        csrf: session.csrf_token(),
        email: String::new(),
        next: safe_next(&query.next).to_owned(),
        error: None,
        flashes: session.take_flashes(),
    };
    super::page(&page)
}

async fn submit(
    state: web::Data<AppState>,
    session: TypedSession,
    CsrfForm(form): CsrfForm<SignInForm>,
) -> Result<HttpResponse, AppError> {
    let password = Secret::new(form.password);
    let (status, message) = match sign_in(&state, &form.email, &password).await? {
        SignInOutcome::SignedIn {
            token,
            must_change_password,
        } => {
            session.sign_in(&token);
            let target = if must_change_password {
                "/account/password"
            } else {
                safe_next(&form.next)
            };
            return Ok(redirect(target));
        }
        SignInOutcome::Refused => (
            StatusCode::UNAUTHORIZED,
            "Incorrect email or password.".to_owned(),
        ),
        SignInOutcome::Throttled { retry_after_secs } => (
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "Too many failed sign-in attempts for this account. Try again in {}.",
                wait_text(retry_after_secs)
            ),
        ),
    };
    let page = SignInPage {
        csrf: session.csrf_token(),
        email: form.email,
        next: safe_next(&form.next).to_owned(),
        error: Some(message),
        flashes: Vec::new(),
    };
    super::render(status, &page)
}

async fn leave(
    state: web::Data<AppState>,
    session: TypedSession,
    CsrfForm(_): CsrfForm<serde::de::IgnoredAny>,
) -> Result<HttpResponse, AppError> {
    if let Some(token) = session.token() {
        sign_out(&state, &token).await?;
    }
    session.sign_out();
    session.flash(FlashKind::Success, "You have signed out.");
    Ok(redirect("/sign-in"))
}

/// Only a path on this site: never `//host` or an absolute URL (no open redirect).
fn safe_next(next: &str) -> &str {
    let local = next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\");
    if local && !next.chars().any(char::is_control) {
        next
    } else {
        "/"
    }
}

fn wait_text(secs: i64) -> String {
    match secs {
        ..=1 => "1 second".to_owned(),
        2..=90 => format!("{secs} seconds"),
        _ => format!("{} minutes", (secs + 59) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next("/users?x=1"), "/users?x=1");
        for bad in [
            "",
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "users",
            "/a\nb",
        ] {
            assert_eq!(safe_next(bad), "/", "{bad:?}");
        }
    }

    #[test]
    fn waits_read_naturally() {
        assert_eq!(wait_text(1), "1 second");
        assert_eq!(wait_text(30), "30 seconds");
        assert_eq!(wait_text(900), "15 minutes");
    }
}
