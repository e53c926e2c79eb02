//! Users: list, create, modify, activate and deactivate (right: Manage users and roles).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{Area, Chrome, parse_ids};
use crate::auth::session::FlashKind;
use crate::auth::{CsrfForm, CurrentUser, TypedSession};
use crate::domain::catalogue::ObjectType;
use crate::domain::ids::{RoleId, UserId};
use crate::domain::{DisplayName, Email, FieldErrors, NewPassword, PASSWORD_MIN_CHARS, Right};
use crate::error::{AppError, redirect};
use crate::services::ServiceError;
use crate::services::accounts::{self, NewUserInput, UserInput, UserListRow};
use crate::services::roles;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/users", web::get().to(list))
        .route("/users/new", web::get().to(new_form))
        .route("/users/new", web::post().to(create))
        .route("/users/{id}", web::get().to(edit_form))
        .route("/users/{id}", web::post().to(update))
        .route("/users/{id}/activate", web::post().to(activate))
        .route("/users/{id}/deactivate", web::post().to(deactivate))
        .route("/users/{id}/delete", web::post().to(delete));
}

#[derive(Template)]
#[template(path = "users/list.html")]
struct ListPage {
    chrome: Chrome,
    users: Vec<UserListRow>,
    me: UserId,
}

pub struct RoleChoice {
    pub id: RoleId,
    pub name: String,
    pub description: String,
    pub checked: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct UserForm {
    email: String,
    display_name: String,
    password: String,
    password_confirm: String,
    must_change_password: Option<String>,
    active: Option<String>,
    roles: Vec<String>,
}

#[derive(Template)]
#[template(path = "users/form.html")]
struct FormPage {
    chrome: Chrome,
    /// None for a new user.
    id: Option<UserId>,
    form: UserForm,
    roles: Vec<RoleChoice>,
    errors: FieldErrors,
    min_chars: usize,
    /// The webhooks the user's changes fired (a stored user, for those who see the queue).
    fired: Option<super::pending_orders::Search>,
}

async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ManageUsers)?;
    let users = accounts::users(&state).await?;
    super::page(&ListPage {
        chrome: Chrome::new(&user, &session, Area::Users),
        users,
        me: user.id,
    })
}

async fn new_form(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ManageUsers)?;
    let form = UserForm {
        must_change_password: Some("on".into()),
        active: Some("on".into()),
        ..UserForm::default()
    };
    show_form(
        &state,
        &user,
        &session,
        None,
        form,
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

async fn edit_form(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    id: web::Path<UserId>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ManageUsers)?;
    let id = id.into_inner();
    let (target, roles) = accounts::user(&state, id).await?;
    let form = UserForm {
        email: target.email,
        display_name: target.display_name,
        active: target.active.then(|| "on".into()),
        roles: roles.iter().map(RoleId::to_string).collect(),
        ..UserForm::default()
    };
    show_form(
        &state,
        &user,
        &session,
        Some(id),
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
    CsrfForm(form): CsrfForm<UserForm>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ManageUsers)?;
    let mut errors = FieldErrors::new();
    let details = parse_details(&form, &mut errors);
    let password = errors.check(
        "password",
        NewPassword::parse(&form.password, &form.password_confirm),
    );
    if let (Some(details), Some(password), true) = (details, password, errors.is_empty()) {
        let input = NewUserInput {
            user: details,
            password,
            must_change_password: form.must_change_password.is_some(),
            password_generated: false,
        };
        match accounts::create_user(&state, &super::actor(&user), input).await {
            Ok(_) => {
                session.flash(
                    FlashKind::Success,
                    format!("User {} created.", form.email.trim()),
                );
                return Ok(redirect("/users"));
            }
            Err(ServiceError::Invalid(e)) => errors = e,
            Err(e) => return Err(e.into()),
        }
    }
    show_form(
        &state,
        &user,
        &session,
        None,
        form,
        errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

async fn update(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    id: web::Path<UserId>,
    CsrfForm(form): CsrfForm<UserForm>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ManageUsers)?;
    let id = id.into_inner();
    let mut errors = FieldErrors::new();
    if let (Some(details), true) = (parse_details(&form, &mut errors), errors.is_empty()) {
        match accounts::update_user(
            &state,
            &super::actor(&user),
            id,
            details,
            form.active.is_some(),
        )
        .await
        {
            Ok(()) => {
                session.flash(FlashKind::Success, "User saved.");
                return Ok(redirect("/users"));
            }
            Err(ServiceError::Invalid(e)) => errors = e,
            Err(e) => return Err(e.into()),
        }
    }
    show_form(
        &state,
        &user,
        &session,
        Some(id),
        form,
        errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

async fn activate(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    id: web::Path<UserId>,
    _: CsrfForm<serde::de::IgnoredAny>,
) -> Result<HttpResponse, AppError> {
    set_active(state, user, session, id.into_inner(), true).await
}

async fn deactivate(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    id: web::Path<UserId>,
    _: CsrfForm<serde::de::IgnoredAny>,
) -> Result<HttpResponse, AppError> {
    set_active(state, user, session, id.into_inner(), false).await
}

async fn set_active(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    id: UserId,
    active: bool,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ManageUsers)?;
    match accounts::set_active(&state, &super::actor(&user), id, active).await {
        Ok(()) => session.flash(
            FlashKind::Success,
            if active {
                "User activated."
            } else {
                "User deactivated: their sessions have ended."
            },
        ),
        Err(ServiceError::Invalid(errors)) => {
            for (_, message) in errors.iter() {
                session.flash(FlashKind::Error, message);
            }
        }
        Err(e) => return Err(e.into()),
    }
    Ok(redirect("/users"))
}

async fn delete(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    id: web::Path<UserId>,
    _: CsrfForm<serde::de::IgnoredAny>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ManageUsers)?;
    match accounts::delete_user(&state, &super::actor(&user), *id).await {
        Ok(email) => session.flash(FlashKind::Success, format!("User {email} deleted.")),
        Err(ServiceError::Invalid(errors)) => {
            errors
                .iter()
                .for_each(|(_, m)| session.flash(FlashKind::Error, m));
            return Ok(redirect(&format!("/users/{}", *id)));
        }
        Err(e) => return Err(e.into()),
    }
    Ok(redirect("/users"))
}

fn parse_details(form: &UserForm, errors: &mut FieldErrors) -> Option<UserInput> {
    let email = errors.check("email", Email::parse(&form.email));
    let display_name = errors.check("display_name", DisplayName::parse(&form.display_name));
    let role_ids = errors.check(
        "roles",
        parse_ids(&form.roles).ok_or_else(|| "Choose roles from the list.".to_owned()),
    );
    Some(UserInput {
        email: email?,
        display_name: display_name?,
        role_ids: role_ids?,
    })
}

async fn show_form(
    state: &AppState,
    user: &CurrentUser,
    session: &TypedSession,
    id: Option<UserId>,
    form: UserForm,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let roles = roles::roles(state)
        .await?
        .into_iter()
        .map(|r| RoleChoice {
            checked: form.roles.contains(&r.id.to_string()),
            id: r.id,
            name: r.name,
            description: r.description,
        })
        .collect();
    let fired = match id {
        Some(id) => {
            super::pending_orders::fired_by(state, user, ObjectType::User, id.get()).await?
        }
        None => None,
    };
    let page = FormPage {
        chrome: Chrome::new(user, session, Area::Users),
        id,
        form,
        roles,
        errors,
        min_chars: PASSWORD_MIN_CHARS,
        fired,
    };
    super::render(status, &page)
}
