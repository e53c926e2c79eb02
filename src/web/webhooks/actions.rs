//! The form's other actions: Test, Renew, and rotating the signing secret.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use super::form::WebhookForm;
use super::form_page::{PreviewItem, PreviewRequest, PreviewView, View, render};
use crate::auth::session::FlashKind;
use crate::auth::{CsrfForm, CurrentUser, TypedSession};
use crate::domain::ids::{ProjectId, UserId, WebhookId};
use crate::domain::webhook::WebhookDraft;
use crate::domain::{FieldErrors, Right};
use crate::error::{AppError, redirect};
use crate::services::webhooks::preview as preview_service;
use crate::services::{ServiceError, webhooks as service};
use crate::state::AppState;
use crate::web::format;

/// The form a Test or Preview acts on, for those who may create or modify webhooks: its
/// stored webhook's id, if any, and the page's view (saved by those who may).
fn acting_on(
    user: &CurrentUser,
    form: WebhookForm,
) -> Result<(WebhookForm, Option<WebhookId>, View), AppError> {
    if !user.can(Right::CreateWebhook) && !user.can(Right::ModifyWebhook) {
        return Err(AppError::Forbidden(Right::ModifyWebhook));
    }
    let form = form.normalised();
    let id = form.id.parse::<WebhookId>().ok();
    let can_save = if id.is_some() {
        user.can(Right::ModifyWebhook)
    } else {
        user.can(Right::CreateWebhook)
    };
    Ok((form, id, View::of(user, id, can_save)))
}

/// The Test dialog's submit: the four required fields are checked here too, then one real
/// request goes out, built from the chosen project, and the page shows what was sent and
/// what came back.
pub async fn test(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    CsrfForm(form): CsrfForm<WebhookForm>,
) -> Result<HttpResponse, AppError> {
    let (form, id, mut view) = acting_on(&user, form)?;
    if !WebhookDraft::testable(&form.input()) {
        view.test_message = Some(
            "Fill in the four required fields (Wording, URL, Verb, Event) before testing."
                .to_owned(),
        );
        return render(
            &state,
            &user,
            &session,
            form,
            FieldErrors::new(),
            view,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let draft = match WebhookDraft::parse(
        &form.input(),
        &service::rules(&state, &service::visible_filter_ids(&state, user.id).await?),
    ) {
        Ok(d) => d,
        Err(errors) => {
            view.test_message = Some("Not sent: correct the webhook first.".to_owned());
            return render(
                &state,
                &user,
                &session,
                form,
                errors,
                view,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let subject = service::test::Subject {
        project: form.test_project.parse::<ProjectId>().ok(),
        user: form.test_user.parse::<UserId>().ok(),
    };
    match service::test::test(&state, &crate::web::actor(&user), &draft, id, subject).await {
        Ok(attempt) => {
            view.test_message = Some(attempt.summary());
            view.test_attempt = Some(crate::web::pending_orders::attempt_view_of(
                &attempt,
                crate::domain::delivery::Trigger::Test,
            ));
            render(
                &state,
                &user,
                &session,
                form,
                FieldErrors::new(),
                view,
                StatusCode::OK,
            )
            .await
        }
        Err(ServiceError::Invalid(errors)) => {
            view.test_message = Some(format!(
                "Not sent: {}",
                errors.iter().map(|(_, m)| m).collect::<Vec<_>>().join(" ")
            ));
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
        Err(e) => Err(e.into()),
    }
}

/// Preview: the form's webhook against the last recorded events, nothing sent or saved; the
/// page shows each event it would fire for with the request it would make.
pub async fn preview(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    CsrfForm(form): CsrfForm<WebhookForm>,
) -> Result<HttpResponse, AppError> {
    let (form, id, view) = acting_on(&user, form)?;
    let typed = match form.preview_last.trim() {
        "" => Some(50),
        text => text.parse().ok(),
    };
    let filters = service::visible_filter_ids(&state, user.id).await?;
    let rules = service::rules(&state, &filters);
    let outcome = match (
        preview_service::last(typed, "preview_last"),
        WebhookDraft::parse(&form.input(), &rules),
    ) {
        (Ok(last), Ok(draft)) => preview_service::preview(&state, &draft, id, last).await,
        (Err(e), _) => Err(e),
        (_, Err(errors)) => Err(ServiceError::Invalid(errors)),
    };
    match outcome {
        Ok(found) => {
            let view = View {
                preview: Some(PreviewView {
                    examined: found.examined,
                    matches: found.matches.into_iter().map(preview_item).collect(),
                }),
                ..view
            };
            render(
                &state,
                &user,
                &session,
                form,
                FieldErrors::new(),
                view,
                StatusCode::OK,
            )
            .await
        }
        Err(ServiceError::Invalid(errors)) => {
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
        Err(e) => Err(e.into()),
    }
}

fn preview_item(p: preview_service::Preview) -> PreviewItem {
    PreviewItem {
        event_type: p.event.event_type,
        object: format!("{} #{}", p.event.object_type.label(), p.event.object_id),
        at: format::time(p.event.occurred_at),
        request: p.request.map(|r| PreviewRequest {
            line: format!("{} {}", r.method, r.url),
            headers: r.headers.into_iter().map(|(n, v, _)| (n, v)).collect(),
            body: crate::web::pending_orders::readable(&r.body),
        }),
    }
}

pub async fn rotate_secret(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    id: web::Path<WebhookId>,
    _: CsrfForm<serde::de::IgnoredAny>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ModifyWebhook)?;
    service::rotate_secret(&state, &crate::web::actor(&user), *id).await?;
    session.flash(
        FlashKind::Success,
        "A new signing secret was made; the previous one also signs for 24 hours.",
    );
    Ok(redirect(&format!("/webhooks/{}", *id)))
}

/// Renew: the last day moves 90 days from today (the API's default).
pub async fn renew(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    id: web::Path<WebhookId>,
    _: CsrfForm<serde::de::IgnoredAny>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ModifyWebhook)?;
    let until = format::today() + chrono::Days::new(service::RENEW_DAYS);
    service::renew(&state, &crate::web::actor(&user), *id, Some(until), true).await?;
    session.flash(
        FlashKind::Success,
        format!(
            "Webhook renewed: it fires through {}.",
            until.format("%Y-%m-%d")
        ),
    );
    Ok(redirect(&format!("/webhooks/{}", *id)))
}
