//! The webhook list's filter: criteria, saved filters (private or public), the active one.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::session::FlashKind;
use crate::auth::{CsrfForm, CurrentUser, TypedSession};
use crate::domain::catalogue::{ActionFilter, ObjectType};
use crate::domain::ids::{ListFilterId, UserId};
use crate::domain::webhook::ListCriteria;
use crate::domain::{FieldErrors, Right};
use crate::error::{AppError, redirect};
use crate::services::ServiceError;
use crate::services::list_filters::{self as service, Naming, SavedFilter};
use crate::state::AppState;
use crate::web::{Area, Chrome};

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
    objects: [ObjectType; 5],
    actions: [ActionFilter; 4],
}

impl FilterForm {
    fn of(criteria: &ListCriteria, save_name: String, public: bool) -> Self {
        FilterForm {
            contains: criteria.contains.clone(),
            active: criteria.active_code().to_owned(),
            object: criteria
                .object
                .map(ObjectType::code)
                .unwrap_or_default()
                .to_owned(),
            action: criteria
                .action
                .map(ActionFilter::code)
                .unwrap_or_default()
                .to_owned(),
            save_name,
            visibility: if public { "public" } else { "private" }.into(),
        }
    }

    fn naming(&self) -> Naming<'_> {
        Naming {
            name: &self.save_name,
            public: self.visibility == "public",
        }
    }
}

pub async fn show(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ViewWebhooks)?;
    let active = service::active(&state, user.id).await?;
    let form = FilterForm::of(&active.criteria, String::new(), false);
    let page = Page {
        editing: None,
        active_id: active.filter_id,
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
    let (saved, criteria) = service::own(&state, user.id, *id).await?;
    let form = FilterForm::of(&criteria, saved.name, saved.public);
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
fn checked(form: &FilterForm, errors: &mut FieldErrors) -> Option<ListCriteria> {
    let criteria = errors.check(
        "criteria",
        ListCriteria::parse(&form.contains, &form.active, &form.object, &form.action),
    );
    errors.check("save_name", service::check_name(&form.save_name));
    if !matches!(form.visibility.as_str(), "private" | "public" | "") {
        errors.add("visibility", "Choose Private or Public.");
    }
    criteria.filter(|_| errors.is_empty())
}

/// The service's refusal as the form's errors; anything else goes up.
fn refused(e: ServiceError) -> Result<FieldErrors, AppError> {
    match e {
        ServiceError::Invalid(errors) => Ok(errors),
        other => Err(other.into()),
    }
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
    service::own(&state, user.id, id).await?;
    let mut errors = FieldErrors::new();
    if let Some(criteria) = checked(&form, &mut errors) {
        match service::update(&state, user.id, id, &form.naming(), &criteria).await {
            Ok(()) => {
                let name = form.save_name.trim();
                session.flash(FlashKind::Success, format!("Filter “{name}” saved."));
                return Ok(redirect("/webhooks/filter"));
            }
            Err(e) => errors = refused(e)?,
        }
    }
    let page = Page {
        editing: Some(id),
        active_id: None,
    };
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    render(&state, &user, &session, form, errors, page, status).await
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
    if let Some(criteria) = checked(&form, &mut errors) {
        let name = form.save_name.trim();
        if name.is_empty() {
            service::apply(&state, user.id, &criteria).await?;
            return Ok(redirect("/webhooks"));
        }
        match service::save(&state, user.id, &form.naming(), &criteria).await {
            Ok(()) => {
                session.flash(
                    FlashKind::Success,
                    format!("Filter “{name}” saved and applied."),
                );
                return Ok(redirect("/webhooks"));
            }
            Err(e) => errors = refused(e)?,
        }
    }
    let page = Page {
        editing: None,
        active_id: None,
    };
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    render(&state, &user, &session, form, errors, page, status).await
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
    let id: ListFilterId = form.filter_id.parse().map_err(|_| AppError::NotFound)?;
    service::select(&state, user.id, id).await?;
    Ok(redirect("/webhooks"))
}

pub async fn clear(
    state: web::Data<AppState>,
    user: CurrentUser,
    _: CsrfForm<serde::de::IgnoredAny>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ViewWebhooks)?;
    service::clear(&state, user.id).await?;
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
    service::delete(&state, user.id, *id).await?;
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
    let saved = service::visible(state, user.id).await?;
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
