//! The webhook list's filter: criteria, saved filters (private or public), the active one.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::session::FlashKind;
use crate::auth::{CsrfForm, CurrentUser, TypedSession};
use crate::db::{self, list_filters::SavedFilter};
use crate::domain::webhook::ListCriteria;
use crate::domain::{FieldErrors, Right};
use crate::error::{AppError, redirect};
use crate::events::{ActionFilter, ObjectType};
use crate::state::AppState;
use crate::web::{Area, Chrome};

pub const FILTER_NAME_MAX_CHARS: usize = 60;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct FilterForm {
    contains: String,
    active: String,
    object: String,
    action: String,
    save_name: String,
    visibility: String,
}

#[derive(Template)]
#[template(path = "webhooks/filter.html")]
struct FilterPage {
    chrome: Chrome,
    form: FilterForm,
    saved: Vec<SavedFilter>,
    active_id: Option<i64>,
    me: i64,
    errors: FieldErrors,
    objects: [ObjectType; 3],
    actions: [ActionFilter; 4],
}

pub async fn show(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ViewWebhooks)?;
    let active = db::list_filters::active(&state.pool, user.id).await?;
    let criteria: ListCriteria = active
        .as_ref()
        .and_then(|a| serde_json::from_str(&a.criteria).ok())
        .unwrap_or_default();
    let form = FilterForm {
        contains: criteria.contains.clone(),
        active: criteria.active_code().to_owned(),
        object: criteria.object.clone().unwrap_or_default(),
        action: criteria.action.clone().unwrap_or_default(),
        save_name: String::new(),
        visibility: "private".into(),
    };
    render(
        &state,
        &user,
        &session,
        form,
        FieldErrors::new(),
        active.and_then(|a| a.filter_id),
        StatusCode::OK,
    )
    .await
}

/// Register: applies the criteria, and saves them under a name when one is given.
pub async fn apply(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    CsrfForm(form): CsrfForm<FilterForm>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ViewWebhooks)?;
    let mut errors = FieldErrors::new();
    let criteria = errors.check(
        "criteria",
        ListCriteria::parse(&form.contains, &form.active, &form.object, &form.action),
    );
    let name = form.save_name.trim().to_owned();
    if name.chars().count() > FILTER_NAME_MAX_CHARS || name.chars().any(char::is_control) {
        errors.add(
            "save_name",
            format!("The name must be one line of at most {FILTER_NAME_MAX_CHARS} characters."),
        );
    }
    if !matches!(form.visibility.as_str(), "private" | "public" | "") {
        errors.add("visibility", "Choose Private or Public.");
    }
    let (Some(criteria), true) = (criteria, errors.is_empty()) else {
        return render(
            &state,
            &user,
            &session,
            form,
            errors,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let json = serde_json::to_string(&criteria).map_err(anyhow::Error::from)?;
    if name.is_empty() {
        if criteria.is_empty() {
            db::list_filters::clear_active(&state.pool, user.id).await?;
        } else {
            db::list_filters::set_active(&state.pool, user.id, None, &json).await?;
        }
        return Ok(redirect("/webhooks"));
    }
    let public = form.visibility == "public";
    match db::list_filters::insert(&state.pool, user.id, &name, public, &json).await {
        Ok(id) => {
            db::list_filters::set_active(&state.pool, user.id, Some(id), &json).await?;
            session.flash(
                FlashKind::Success,
                format!("Filter “{name}” saved and applied."),
            );
            Ok(redirect("/webhooks"))
        }
        Err(e)
            if e.as_database_error()
                .is_some_and(|d| d.is_unique_violation()) =>
        {
            errors.add("save_name", "You already have a filter with this name.");
            render(
                &state,
                &user,
                &session,
                form,
                errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SelectForm {
    filter_id: String,
}

pub async fn select(
    state: web::Data<AppState>,
    user: CurrentUser,
    CsrfForm(form): CsrfForm<SelectForm>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ViewWebhooks)?;
    let id: i64 = form
        .filter_id
        .trim()
        .parse()
        .map_err(|_| AppError::NotFound)?;
    let saved = db::list_filters::find_visible(&state.pool, user.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    db::list_filters::set_active(&state.pool, user.id, Some(saved.id), &saved.criteria).await?;
    Ok(redirect("/webhooks"))
}

pub async fn clear(
    state: web::Data<AppState>,
    user: CurrentUser,
    _: CsrfForm<serde::de::IgnoredAny>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ViewWebhooks)?;
    db::list_filters::clear_active(&state.pool, user.id).await?;
    Ok(redirect("/webhooks"))
}

pub async fn delete(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    id: web::Path<i64>,
    _: CsrfForm<serde::de::IgnoredAny>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ViewWebhooks)?;
    if !db::list_filters::delete_own(&state.pool, user.id, *id).await? {
        return Err(AppError::NotFound);
    }
    session.flash(FlashKind::Success, "Filter deleted.");
    Ok(redirect("/webhooks/filter"))
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    session: &TypedSession,
    form: FilterForm,
    errors: FieldErrors,
    active_id: Option<i64>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let saved = db::list_filters::visible_to(&state.pool, user.id).await?;
    let page = FilterPage {
        chrome: Chrome::new(user, session, Area::Webhooks),
        form,
        saved,
        active_id,
        me: user.id,
        errors,
        objects: ObjectType::ALL,
        actions: ActionFilter::ALL,
    };
    crate::web::render(status, &page)
}
