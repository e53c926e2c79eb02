//! The webhook list's filter: criteria, saved filters (private or public), the active one.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::session::FlashKind;
use crate::auth::{CsrfForm, CurrentUser, TypedSession};
use crate::db::{self, list_filters::SavedFilter};
use crate::domain::catalogue::{ActionFilter, ObjectType};
use crate::domain::ids::{ListFilterId, UserId};
use crate::domain::webhook::ListCriteria;
use crate::domain::{FieldErrors, Right};
use crate::error::{AppError, redirect};
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
    /// The saved filter being modified; None for the criteria of the list.
    editing: Option<ListFilterId>,
    form: FilterForm,
    saved: Vec<SavedFilter>,
    active_id: Option<ListFilterId>,
    me: UserId,
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
    let active = db::list_filters::active(&state.store, user.id).await?;
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
    let page = Page {
        editing: None,
        active_id: active.and_then(|a| a.filter_id),
    };
    render(
        &state,
        &user,
        &session,
        form,
        FieldErrors::new(),
        page,
        StatusCode::OK,
    )
    .await
}

/// A saved filter of one's own, in the form, to change its name, visibility or criteria.
pub async fn edit(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    id: web::Path<ListFilterId>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ViewWebhooks)?;
    let saved = db::list_filters::find_visible(&state.store, user.id, *id)
        .await?
        .filter(|f| f.owner_id == user.id)
        .ok_or(AppError::NotFound)?;
    let criteria: ListCriteria = serde_json::from_str(&saved.criteria).unwrap_or_default();
    let form = FilterForm {
        contains: criteria.contains.clone(),
        active: criteria.active_code().to_owned(),
        object: criteria.object.clone().unwrap_or_default(),
        action: criteria.action.clone().unwrap_or_default(),
        save_name: saved.name,
        visibility: if saved.public { "public" } else { "private" }.into(),
    };
    let page = Page {
        editing: Some(saved.id),
        active_id: None,
    };
    render(
        &state,
        &user,
        &session,
        form,
        FieldErrors::new(),
        page,
        StatusCode::OK,
    )
    .await
}

/// Checks the form: the criteria, and the name and visibility to save them under.
fn checked(form: &FilterForm, errors: &mut FieldErrors) -> Option<(ListCriteria, String)> {
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
    criteria.filter(|_| errors.is_empty()).map(|c| (c, name))
}

fn name_taken(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.is_unique_violation())
}

pub async fn update(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    id: web::Path<ListFilterId>,
    CsrfForm(form): CsrfForm<FilterForm>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ViewWebhooks)?;
    let id = id.into_inner();
    db::list_filters::find_visible(&state.store, user.id, id)
        .await?
        .filter(|f| f.owner_id == user.id)
        .ok_or(AppError::NotFound)?;
    let mut errors = FieldErrors::new();
    if let Some((criteria, name)) = checked(&form, &mut errors) {
        if name.is_empty() {
            errors.add("save_name", "A saved filter needs a name.");
        } else {
            let json = serde_json::to_string(&criteria).map_err(anyhow::Error::from)?;
            let public = form.visibility == "public";
            match db::list_filters::update_own(&state.store, user.id, id, &name, public, &json)
                .await
            {
                Ok(true) => {
                    session.flash(FlashKind::Success, format!("Filter “{name}” saved."));
                    return Ok(redirect("/webhooks/filter"));
                }
                Ok(false) => return Err(AppError::NotFound),
                Err(e) if name_taken(&e) => {
                    errors.add("save_name", "You already have a filter with this name.")
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    let page = Page {
        editing: Some(id),
        active_id: None,
    };
    render(
        &state,
        &user,
        &session,
        form,
        errors,
        page,
        StatusCode::UNPROCESSABLE_ENTITY,
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
    let refused = Page {
        editing: None,
        active_id: None,
    };
    let Some((criteria, name)) = checked(&form, &mut errors) else {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return render(&state, &user, &session, form, errors, refused, status).await;
    };
    let json = serde_json::to_string(&criteria).map_err(anyhow::Error::from)?;
    if name.is_empty() {
        if criteria.is_empty() {
            db::list_filters::clear_active(&state.store, user.id).await?;
        } else {
            db::list_filters::set_active(&state.store, user.id, None, &json).await?;
        }
        return Ok(redirect("/webhooks"));
    }
    let public = form.visibility == "public";
    match db::list_filters::insert(&state.store, user.id, &name, public, &json).await {
        Ok(id) => {
            db::list_filters::set_active(&state.store, user.id, Some(id), &json).await?;
            session.flash(
                FlashKind::Success,
                format!("Filter “{name}” saved and applied."),
            );
            Ok(redirect("/webhooks"))
        }
        Err(e) if name_taken(&e) => {
            errors.add("save_name", "You already have a filter with this name.");
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            render(&state, &user, &session, form, errors, refused, status).await
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
    let id: ListFilterId = form
        .filter_id
        .trim()
        .parse()
        .map_err(|_| AppError::NotFound)?;
    let saved = db::list_filters::find_visible(&state.store, user.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    db::list_filters::set_active(&state.store, user.id, Some(saved.id), &saved.criteria).await?;
    Ok(redirect("/webhooks"))
}

pub async fn clear(
    state: web::Data<AppState>,
    user: CurrentUser,
    _: CsrfForm<serde::de::IgnoredAny>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ViewWebhooks)?;
    db::list_filters::clear_active(&state.store, user.id).await?;
    Ok(redirect("/webhooks"))
}

pub async fn delete(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    id: web::Path<ListFilterId>,
    _: CsrfForm<serde::de::IgnoredAny>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ViewWebhooks)?;
    if !db::list_filters::delete_own(&state.store, user.id, *id).await? {
        return Err(AppError::NotFound);
    }
    session.flash(FlashKind::Success, "Filter deleted.");
    Ok(redirect("/webhooks/filter"))
}

/// Which saved filter the page modifies, if any, and which one is active.
struct Page {
    editing: Option<ListFilterId>,
    active_id: Option<ListFilterId>,
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    session: &TypedSession,
    form: FilterForm,
    errors: FieldErrors,
    page: Page,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let saved = db::list_filters::visible_to(&state.store, user.id).await?;
    let page = FilterPage {
        chrome: Chrome::new(user, session, Area::Webhooks),
        editing: page.editing,
        form,
        saved,
        active_id: page.active_id,
        me: user.id,
        errors,
        objects: ObjectType::ALL,
        actions: ActionFilter::ALL,
    };
    crate::web::render(status, &page)
}
