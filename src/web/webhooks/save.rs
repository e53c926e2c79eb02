//! Saving the form: Register and Apply (create, modify), and Delete.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use super::form::WebhookForm;
use super::form_page::{View, render};
use crate::auth::session::FlashKind;
use crate::auth::{CsrfForm, CurrentUser, TypedSession};
use crate::domain::ids::WebhookId;
use crate::domain::webhook::WebhookDraft;
use crate::domain::{FieldErrors, Right};
use crate::error::{AppError, redirect};
use crate::services::{ServiceError, webhooks as service};
use crate::state::AppState;

pub async fn create(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    CsrfForm(form): CsrfForm<WebhookForm>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::CreateWebhook)?;
    let form = form.normalised();
    let errors = match WebhookDraft::parse(
        &form.input(),
        &service::rules(&state, &service::visible_filter_ids(&state, user.id).await?),
    ) {
        Ok(draft) => match service::create(&state, &crate::web::actor(&user), draft).await {
            Ok(id) => {
                session.flash(
                    FlashKind::Success,
                    format!("Webhook “{}” created.", form.wording.trim()),
                );
                return Ok(redirect(&if form.action == "apply" {
                    format!("/webhooks/{id}")
                } else {
                    "/webhooks".to_owned()
                }));
            }
            Err(ServiceError::Invalid(e)) => e,
            Err(e) => return Err(e.into()),
        },
        Err(e) => e,
    };
    let view = View::of(&user, None, true);
    render(
        &state,
        &user,
        &session,
        form,
        errors,
        view,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

pub async fn update(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    id: web::Path<WebhookId>,
    CsrfForm(form): CsrfForm<WebhookForm>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ModifyWebhook)?;
    let form = form.normalised();
    let id = id.into_inner();
    let version: i64 = form.version.trim().parse().map_err(|_| {
        AppError::BadRequest("The form lacks the webhook's version; reload the page.".into())
    })?;
    let stored_expiry = service::stored::webhook(&state, id).await?.valid_until;
    let filters = service::visible_filter_ids(&state, user.id).await?;
    let rules = service::rules_for_update(&state, &filters, stored_expiry);
    let (errors, status) = match WebhookDraft::parse(&form.input(), &rules) {
        Ok(draft) => {
            match service::update(&state, &crate::web::actor(&user), id, version, draft).await {
                Ok(changed) => {
                    let wording = form.wording.trim();
                    session.flash(
                        FlashKind::Success,
                        if changed {
                            format!("Webhook “{wording}” saved.")
                        } else {
                            format!("Webhook “{wording}”: nothing changed.")
                        },
                    );
                    return Ok(redirect(&if form.action == "apply" {
                        format!("/webhooks/{id}")
                    } else {
                        "/webhooks".to_owned()
                    }));
                }
                Err(ServiceError::Invalid(e)) => (e, StatusCode::UNPROCESSABLE_ENTITY),
                Err(ServiceError::Conflict(message)) => {
                    let mut e = FieldErrors::new();
                    e.add("form", message);
                    (e, StatusCode::CONFLICT)
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(e) => (e, StatusCode::UNPROCESSABLE_ENTITY),
    };
    let view = View::of(&user, Some(id), true);
    render(&state, &user, &session, form, errors, view, status).await
}

pub async fn delete(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    id: web::Path<WebhookId>,
    _: CsrfForm<serde::de::IgnoredAny>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::DeleteWebhook)?;
    let id = id.into_inner();
    let wording = service::delete(&state, &crate::web::actor(&user), id).await?;
    session.flash(
        FlashKind::Success,
        format!("Webhook “{wording}” deleted. Its history stays at /webhooks/{id}/history."),
    );
    Ok(redirect("/webhooks"))
}
