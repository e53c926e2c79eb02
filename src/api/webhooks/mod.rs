//! `/api/v1/webhooks`: the webhook list with the list screen's filters, and create, read,
//! modify, delete, test and renew — through the same validation and services as the form.
//! The request and answer shapes are in `model`.

pub mod actions;
pub mod crud;
pub mod history;
pub mod model;
pub mod preview;

use actix_web::web;

use crate::api::auth::ApiCaller;
use crate::api::error::{ApiError, FieldError};
use crate::domain::catalogue::parse_event_types;
use crate::domain::ids::{ProjectFilterId, ProjectId, UserId, WebhookId};
use crate::domain::webhook::{HeaderInput, WebhookDraft, WebhookInput};
use crate::domain::{Entered, FieldErrors};
use crate::services::webhooks::{self as service, stored::WebhookRow};
use crate::state::AppState;
use actions::{renew, test};
use crud::{create, delete, delete_all, get, list, update};
use model::*;

/// The most webhooks one page of the list holds.
pub const MAX_PER_PAGE: u32 = 200;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/webhooks")
            .route(web::get().to(list))
            .route(web::post().to(create))
            .route(web::delete().to(delete_all)),
    )
    .service(web::resource("/webhooks/preview").route(web::post().to(preview::preview)))
    .service(
        web::resource("/webhooks/{id}")
            .route(web::get().to(get))
            .route(web::put().to(update))
            .route(web::delete().to(delete)),
    )
    .service(web::resource("/webhooks/{id}/test").route(web::post().to(test)))
    .service(web::resource("/webhooks/{id}/history").route(web::get().to(history::history)))
    .service(web::resource("/webhooks/{id}/restore").route(web::post().to(history::restore)))
    .service(web::resource("/webhooks/{id}/renew").route(web::post().to(renew)));
}

pub(super) async fn load(
    state: &AppState,
    id: WebhookId,
) -> Result<(WebhookRow, Webhook), ApiError> {
    let (row, headers) = service::stored::with_headers(state, id).await?;
    Ok((row.clone(), webhook_out(row, headers, today())))
}

/// The request as the domain's input, its typed values as they are: from here on, the
/// form's rules apply unchanged. Event type names are the API's own; their error, if any,
/// comes back beside the input.
fn input_of(r: &WebhookRequest) -> (WebhookInput, Option<String>) {
    let (action, object, event_error) = match parse_event_types(&r.event_types) {
        Ok((a, o)) => (Entered::Given(a), Entered::Given(o), None),
        Err(m) => (Entered::Blank, Entered::Blank, Some(m)),
    };
    let input = WebhookInput {
        wording: r.wording.clone(),
        description: r.description.clone(),
        active: r.active,
        url: r.url.clone(),
        verb: r.verb.clone(),
        body: r.body.clone(),
        headers: r
            .headers
            .iter()
            .map(|h| HeaderInput {
                name: h.name.clone(),
                value: h.value.clone().unwrap_or_default(),
                secret: h.secret,
            })
            .collect(),
        synchronous: r.synchronous,
        in_transaction: r.transaction,
        event_action: action,
        event_object: object,
        project_filter: r.project_filter_id.map(ProjectFilterId::new).into(),
        second_label: r.second_label.clone().unwrap_or_default(),
        initiator_user: r.initiating_user_id.map(UserId::new).into(),
        excluded_fields: r.excluded_fields.clone(),
        trigger_fields: r.trigger_fields.clone(),
        exclude_payload: r.exclude_payload,
        valid_until: r.valid_until.clone().unwrap_or_default(),
        project: r.project_id.map(ProjectId::new).into(),
        values_as_strings: r.values_as_strings,
        rate_limit: r.rate_limit.into(),
    };
    (input, event_error)
}

/// The draft a request describes; `stored_expiry` is the stored last day of a webhook being
/// modified, which may stay as it is once past.
pub(super) async fn draft_of(
    state: &AppState,
    caller: &ApiCaller,
    r: &WebhookRequest,
    stored_expiry: Option<chrono::NaiveDate>,
) -> Result<WebhookDraft, ApiError> {
    let (input, event_error) = input_of(r);
    let filters = service::visible_filter_ids(state, caller.user_id).await?;
    let rules = service::rules_for_update(state, &filters, stored_expiry);
    let mut errors = match WebhookDraft::parse(&input, &rules) {
        Ok(draft) if event_error.is_none() => return Ok(draft),
        Ok(_) => FieldErrors::new(),
        Err(e) => e,
    };
    let mut fields: Vec<FieldError> = Vec::new();
    if let Some(m) = event_error {
        fields.push(FieldError {
            field: "eventTypes".into(),
            message: m,
        });
        errors.remove("event");
    }
    fields.extend(errors.iter().map(|(f, m)| FieldError {
        field: api_field(f).to_owned(),
        message: m.to_owned(),
    }));
    Err(ApiError::Invalid(fields))
}
