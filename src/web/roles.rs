//! Roles: built-in ones to read, custom ones to create, modify and delete (right: Manage
//! users and roles).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{Area, Chrome};
use crate::auth::session::FlashKind;
use crate::auth::{CsrfForm, CurrentUser, TypedSession};
use crate::domain::ids::RoleId;
use crate::domain::{FieldErrors, Right, RightSet, RoleName};
use crate::error::{AppError, redirect};
use crate::services::ServiceError;
use crate::services::roles::{self as service, DESCRIPTION_MAX_CHARS, RoleInput, RoleRow};
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/roles", web::get().to(list))
        .route("/roles/new", web::get().to(new_form))
        .route("/roles/new", web::post().to(create))
        .route("/roles/{id}", web::get().to(edit_form))
        .route("/roles/{id}", web::post().to(update))
        .route("/roles/{id}/delete", web::post().to(delete));
}

pub struct RoleSummary {
    pub role: RoleRow,
    pub rights: Vec<&'static str>,
}

#[derive(Template)]
#[template(path = "roles/list.html")]
struct ListPage {
    chrome: Chrome,
    roles: Vec<RoleSummary>,
}

pub struct RightChoice {
    pub code: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RoleForm {
    name: String,
    description: String,
    rights: Vec<String>,
}

#[derive(Template)]
#[template(path = "roles/form.html")]
struct FormPage {
    chrome: Chrome,
    id: Option<RoleId>,
    editable: bool,
    form: RoleForm,
    rights: Vec<RightChoice>,
    errors: FieldErrors,
}

async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ManageUsers)?;
    let roles = service::roles_with_rights(&state)
        .await?
        .into_iter()
        .map(|(role, rights)| RoleSummary {
            role,
            rights: rights.iter().map(Right::label).collect(),
        })
        .collect();
    super::page(&ListPage {
        chrome: Chrome::new(&user, &session, Area::Users),
        roles,
    })
}

async fn new_form(user: CurrentUser, session: TypedSession) -> Result<HttpResponse, AppError> {
    user.require(Right::ManageUsers)?;
    show_form(
        &user,
        &session,
        None,
        true,
        RoleForm::default(),
        FieldErrors::new(),
        StatusCode::OK,
    )
}

async fn edit_form(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    id: web::Path<RoleId>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ManageUsers)?;
    let (role, rights) = service::role(&state, *id).await?;
    let form = RoleForm {
        rights: rights.iter().map(|r| r.code().to_owned()).collect(),
        name: role.name.clone(),
        description: role.description.clone(),
    };
    show_form(
        &user,
        &session,
        Some(role.id),
        role.is_editable(),
        form,
        FieldErrors::new(),
        StatusCode::OK,
    )
}

async fn create(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    CsrfForm(form): CsrfForm<RoleForm>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ManageUsers)?;
    let mut errors = FieldErrors::new();
    if let Some(input) = parse(&form, &mut errors) {
        match service::create_role(&state, &super::actor(&user), input).await {
            Ok(_) => {
                session.flash(
                    FlashKind::Success,
                    format!("Role {} created.", form.name.trim()),
                );
                return Ok(redirect("/roles"));
            }
            Err(ServiceError::Invalid(e)) => errors = e,
            Err(e) => return Err(e.into()),
        }
    }
    show_form(
        &user,
        &session,
        None,
        true,
        form,
        errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

async fn update(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    id: web::Path<RoleId>,
    CsrfForm(form): CsrfForm<RoleForm>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ManageUsers)?;
    let id = id.into_inner();
    let mut errors = FieldErrors::new();
    if let Some(input) = parse(&form, &mut errors) {
        match service::update_role(&state, &super::actor(&user), id, input).await {
            Ok(()) => {
                session.flash(FlashKind::Success, "Role saved.");
                return Ok(redirect("/roles"));
            }
            Err(ServiceError::Invalid(e)) => errors = e,
            Err(e) => return Err(e.into()),
        }
    }
    show_form(
        &user,
        &session,
        Some(id),
        true,
        form,
        errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

async fn delete(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    id: web::Path<RoleId>,
    _: CsrfForm<serde::de::IgnoredAny>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ManageUsers)?;
    match service::delete_role(&state, &super::actor(&user), *id).await {
        Ok(()) => session.flash(FlashKind::Success, "Role deleted."),
        Err(ServiceError::Invalid(errors)) => errors
            .iter()
            .for_each(|(_, m)| session.flash(FlashKind::Error, m)),
        Err(e) => return Err(e.into()),
    }
    Ok(redirect("/roles"))
}

fn parse(form: &RoleForm, errors: &mut FieldErrors) -> Option<RoleInput> {
    let name = errors.check("name", RoleName::parse(&form.name));
    let description = form.description.trim().to_owned();
    if description.chars().count() > DESCRIPTION_MAX_CHARS {
        errors.add(
            "description",
            format!("Description must be at most {DESCRIPTION_MAX_CHARS} characters."),
        );
    }
    let rights: Option<RightSet> = form.rights.iter().map(|c| Right::from_code(c)).collect();
    let rights = errors.check(
        "rights",
        rights.ok_or_else(|| "Choose rights from the list.".to_owned()),
    );
    if !errors.is_empty() {
        return None;
    }
    Some(RoleInput {
        name: name?,
        description,
        rights: rights?,
    })
}

fn show_form(
    user: &CurrentUser,
    session: &TypedSession,
    id: Option<RoleId>,
    editable: bool,
    form: RoleForm,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let rights = Right::ALL
        .iter()
        .map(|r| RightChoice {
            code: r.code(),
            label: r.label(),
            checked: form.rights.iter().any(|c| c == r.code()),
        })
        .collect();
    let page = FormPage {
        chrome: Chrome::new(user, session, Area::Users),
        id,
        editable,
        form,
        rights,
        errors,
    };
    super::render(status, &page)
}
