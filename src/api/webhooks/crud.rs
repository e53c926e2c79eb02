//! List, create, read, modify and delete.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::Days;

use super::model::*;
use super::{MAX_PER_PAGE, draft_of, load};
use crate::api::auth::ApiCaller;
use crate::api::error::{ApiError, ErrorBody};
use crate::domain::ids::WebhookId;
use crate::domain::webhook::ListCriteria;
use crate::domain::{Right, Scope};
use crate::services::webhook_list::Sort;
use crate::services::webhooks as service;
use crate::state::AppState;

#[utoipa::path(get, path = "/api/v1/webhooks", tag = "Webhooks",
    summary = "List webhooks",
    description = "The webhook list, filtered like the list screen, sorted and paged.",
    params(WebhookQuery),
    security(("bearer" = ["webhooks.read"])),
    responses(
        (status = 200, description = "One page of webhooks", body = WebhookPage),
        (status = 400, description = "Invalid filter", body = ErrorBody),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = ErrorBody),
        (status = 403, description = "Missing scope or right", body = ErrorBody),
    ))]
pub async fn list(
    state: web::Data<AppState>,
    caller: ApiCaller,
    query: web::Query<WebhookQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::WebhooksRead, Right::ViewWebhooks)?;
    let q = query.into_inner();
    let active = match q.active {
        None => "",
        Some(true) => "yes",
        Some(false) => "no",
    };
    let criteria = ListCriteria::parse(
        q.contains.as_deref().unwrap_or_default(),
        active,
        q.object_type.as_deref().unwrap_or_default(),
        q.action.as_deref().unwrap_or_default(),
    )
    .map_err(ApiError::BadRequest)?;
    let sort = match q.sort.as_deref() {
        None => Sort::Wording,
        Some(code) => Sort::ALL
            .into_iter()
            .find(|s| s.code() == code)
            .ok_or_else(|| {
                ApiError::BadRequest("sort must be wording, url, verb or last_execution.".into())
            })?,
    };
    let page = q.page.unwrap_or(1);
    let per_page = q.per_page.unwrap_or(50);
    if page == 0 || per_page == 0 || per_page > MAX_PER_PAGE {
        return Err(ApiError::BadRequest(format!(
            "page starts at 1; perPage is between 1 and {MAX_PER_PAGE}."
        )));
    }
    let offset = (page as usize - 1).saturating_mul(per_page as usize);
    let (total, rows) = service::stored::page(
        &state,
        &criteria,
        (sort, q.descending),
        (offset, per_page as usize),
    )
    .await?;
    let today = today();
    let data = rows
        .into_iter()
        .map(|(row, headers)| webhook_out(row, headers, today))
        .collect();
    Ok(HttpResponse::Ok().json(WebhookPage {
        data,
        page,
        per_page,
        total: total as u64,
    }))
}

#[utoipa::path(post, path = "/api/v1/webhooks", tag = "Webhooks",
    summary = "Create a webhook",
    description = "Without a validUntil, a webhook made by API expires after the operator's HOOKLINE_API_WEBHOOK_VALIDITY_DAYS when that is set (renew it to keep it); otherwise never.",
    request_body = WebhookRequest,
    security(("bearer" = ["webhooks.write"])),
    responses(
        (status = 201, description = "Created; the signing secret is in the answer", body = WebhookCreated,
            headers(("Location" = String, description = "The webhook's address"))),
        (status = 400, description = "Invalid fields, with the form's messages", body = ErrorBody),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = ErrorBody),
        (status = 403, description = "Missing scope or right", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
    ))]
pub async fn create(
    state: web::Data<AppState>,
    caller: ApiCaller,
    body: Result<web::Json<WebhookRequest>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::WebhooksWrite, Right::CreateWebhook)?;
    let mut body = crate::api::body(body)?;
    // Subscriptions made by API expire when the operator says so (as Protime's do).
    if let (None, Some(days)) = (&body.valid_until, state.settings.api_webhook_validity_days) {
        let until = chrono::Utc::now().date_naive() + Days::new(u64::from(days));
        body.valid_until = Some(until.format("%Y-%m-%d").to_string());
    }
    let draft = draft_of(&state, &caller, &body, None).await?;
    let id = service::create(&state, &caller.actor(), draft)
        .await
        .map_err(|e| ApiError::from_service(e, api_field))?;
    let (row, webhook) = load(&state, id).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/webhooks/{id}")))
        .json(WebhookCreated {
            webhook,
            signing_secret: row.signing_secret,
        }))
}

#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "Webhooks",
    summary = "Read a webhook",
    params(("id" = i64, Path, description = "The webhook's id")),
    security(("bearer" = ["webhooks.read"])),
    responses(
        (status = 200, description = "The webhook", body = Webhook),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = ErrorBody),
        (status = 403, description = "Missing scope or right", body = ErrorBody),
        (status = 404, description = "No such webhook", body = ErrorBody),
    ))]
pub async fn get(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<WebhookId>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::WebhooksRead, Right::ViewWebhooks)?;
    Ok(HttpResponse::Ok().json(load(&state, *id).await?.1))
}

#[utoipa::path(put, path = "/api/v1/webhooks/{id}", tag = "Webhooks",
    summary = "Modify a webhook",
    description = "Replaces every field. Send the version you read: if someone changed the webhook since, the answer is 409 and nothing is saved.",
    params(("id" = i64, Path, description = "The webhook's id")),
    request_body = WebhookRequest,
    security(("bearer" = ["webhooks.write"])),
    responses(
        (status = 200, description = "The webhook as saved", body = Webhook),
        (status = 400, description = "Invalid fields, with the form's messages", body = ErrorBody),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = ErrorBody),
        (status = 403, description = "Missing scope or right", body = ErrorBody),
        (status = 404, description = "No such webhook", body = ErrorBody),
        (status = 409, description = "Changed by someone else since the version sent", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
    ))]
pub async fn update(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<WebhookId>,
    body: Result<web::Json<WebhookRequest>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::WebhooksWrite, Right::ModifyWebhook)?;
    let body = crate::api::body(body)?;
    let id = id.into_inner();
    let current = service::stored::webhook(&state, id).await?;
    let version = body.version.ok_or_else(|| {
        ApiError::field(
            "version",
            format!(
                "Send the version you read (now {}), so that no one's change is overwritten.",
                current.version
            ),
        )
    })?;
    let draft = draft_of(&state, &caller, &body, current.valid_until).await?;
    service::update(&state, &caller.actor(), id, version, draft)
        .await
        .map_err(|e| ApiError::from_service(e, api_field))?;
    Ok(HttpResponse::Ok().json(load(&state, id).await?.1))
}

#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "Webhooks",
    summary = "Delete a webhook",
    params(("id" = i64, Path, description = "The webhook's id")),
    security(("bearer" = ["webhooks.write"])),
    responses(
        (status = 204, description = "Deleted; its history stays readable"),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = ErrorBody),
        (status = 403, description = "Missing scope or right", body = ErrorBody),
        (status = 404, description = "No such webhook", body = ErrorBody),
    ))]
pub async fn delete(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<WebhookId>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::WebhooksWrite, Right::DeleteWebhook)?;
    service::delete(&state, &caller.actor(), *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(delete, path = "/api/v1/webhooks", tag = "Webhooks",
    summary = "Delete every webhook",
    description = "Needs `confirm=true`. Each deletion is recorded in its webhook's history.",
    params(DeleteAllQuery),
    security(("bearer" = ["webhooks.write"])),
    responses(
        (status = 200, description = "How many were deleted", body = Deleted),
        (status = 400, description = "confirm=true is missing", body = ErrorBody),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = ErrorBody),
        (status = 403, description = "Missing scope or right", body = ErrorBody),
    ))]
pub async fn delete_all(
    state: web::Data<AppState>,
    caller: ApiCaller,
    query: web::Query<DeleteAllQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::WebhooksWrite, Right::DeleteWebhook)?;
    if query.confirm != Some(true) {
        return Err(ApiError::BadRequest(
            "Deleting every webhook needs the parameter confirm=true.".into(),
        ));
    }
    let deleted = service::delete_all(&state, &caller.actor()).await?;
    Ok(HttpResponse::Ok().json(Deleted { deleted }))
}
