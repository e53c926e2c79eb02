//! API tokens (right: Manage API tokens): the list with last use, a form to make one, the
//! token shown once, and Revoke.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{Area, Chrome, format};
use crate::auth::session::FlashKind;
use crate::auth::{CsrfForm, CurrentUser, TypedSession};
use crate::domain::api_token::{TokenDraft, TokenInput};
use crate::domain::ids::TokenId;
use crate::domain::{FieldErrors, Right, Scope, ScopeSet};
use crate::error::{AppError, redirect};
use crate::services::api_tokens::{self as service, TokenRow};
use crate::services::{ServiceError, accounts};
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api-tokens", web::get().to(list))
        .route("/api-tokens/new", web::get().to(new_form))
        .route("/api-tokens/new", web::post().to(create))
        .route("/api-tokens/{id}/revoke", web::post().to(revoke));
}

pub struct TokenView {
    pub t: TokenRow,
    pub scopes: Vec<&'static str>,
    pub state: &'static str,
    pub created: String,
    pub expires: String,
    pub last_used: String,
}

fn view(t: TokenRow, now: i64) -> TokenView {
    let state = match (t.revoked_at, t.expires_at) {
        (Some(_), _) => "Revoked",
        (None, Some(at)) if at <= now => "Expired",
        _ => "Active",
    };
    TokenView {
        scopes: ScopeSet::from_stored(&t.scopes)
            .iter()
            .map(Scope::code)
            .collect(),
        state,
        created: format::time(t.created_at),
        // Stored as the first instant it no longer works; shown as its last day.
        expires: t
            .expires_at
            .map_or_else(|| "Never".to_owned(), |at| format::date(at - 1)),
        last_used: t
            .last_used_at
            .map_or_else(|| "Never".to_owned(), format::time),
        t,
    }
}

#[derive(Template)]
#[template(path = "api_tokens/list.html")]
struct ListPage {
    chrome: Chrome,
    tokens: Vec<TokenView>,
}

async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ManageApiTokens)?;
    let now = crate::clock::now_ms();
    let tokens = service::tokens(&state)
        .await?
        .into_iter()
        .map(|t| view(t, now))
        .collect();
    super::page(&ListPage {
        chrome: Chrome::new(&user, &session, Area::ApiTokens),
        tokens,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TokenForm {
    name: String,
    user: String,
    scopes: Vec<String>,
    expires_on: String,
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct ScopeChoice {
    pub code: &'static str,
    pub description: &'static str,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "api_tokens/form.html")]
struct FormPage {
    chrome: Chrome,
    form: TokenForm,
    users: Vec<Choice>,
    scopes: Vec<ScopeChoice>,
    errors: FieldErrors,
    today: String,
}

#[derive(Template)]
#[template(path = "api_tokens/issued.html")]
struct IssuedPage {
    chrome: Chrome,
    name: String,
    token: String,
}

async fn new_form(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ManageApiTokens)?;
    let form = TokenForm {
        user: user.id.to_string(),
        ..TokenForm::default()
    };
    show_form(
        &state,
        &user,
        &session,
        form,
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

async fn create(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    CsrfForm(form): CsrfForm<TokenForm>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ManageApiTokens)?;
    let input = TokenInput {
        name: form.name.clone(),
        user: form.user.clone(),
        scopes: form.scopes.clone(),
        expires_on: form.expires_on.clone(),
    };
    let result = match TokenDraft::parse(&input, format::today()) {
        Ok(draft) => service::create(&state, &super::actor(&user), &draft).await,
        Err(e) => Err(ServiceError::Invalid(e)),
    };
    match result {
        Ok(issued) => super::page(&IssuedPage {
            chrome: Chrome::new(&user, &session, Area::ApiTokens),
            name: form.name.trim().to_owned(),
            token: issued.token,
        }),
        Err(ServiceError::Invalid(errors)) => {
            show_form(
                &state,
                &user,
                &session,
                form,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn revoke(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    id: web::Path<TokenId>,
    _: CsrfForm<serde::de::IgnoredAny>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ManageApiTokens)?;
    match service::revoke(&state, *id).await {
        Ok(name) => session.flash(
            FlashKind::Success,
            format!("Token {name} revoked: it no longer works."),
        ),
        Err(ServiceError::Conflict(message)) => session.flash(FlashKind::Error, message),
        Err(e) => return Err(e.into()),
    }
    Ok(redirect("/api-tokens"))
}

async fn show_form(
    state: &AppState,
    user: &CurrentUser,
    session: &TypedSession,
    form: TokenForm,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let users = accounts::users(state)
        .await?
        .into_iter()
        .filter(|u| u.active)
        .map(|u| Choice {
            selected: u.id.to_string() == form.user.trim(),
            value: u.id.to_string(),
            label: super::choices::person(&u.display_name, &u.email),
        })
        .collect();
    let scopes = Scope::ALL
        .iter()
        .map(|s| ScopeChoice {
            code: s.code(),
            description: s.description(),
            checked: form.scopes.iter().any(|c| c == s.code()),
        })
        .collect();
    super::render(
        status,
        &FormPage {
            chrome: Chrome::new(user, session, Area::ApiTokens),
            form,
            users,
            scopes,
            errors,
            today: format::today().format("%Y-%m-%d").to_string(),
        },
    )
}
