//! Test and Renew.

use actix_web::{HttpResponse, web};
use chrono::{Days, NaiveDate};

use super::load;
use super::model::*;
use crate::api::attempts::AttemptOut;
use crate::api::auth::ApiCaller;
use crate::api::error::{ApiError, ErrorBody};
use crate::api::optional_json;
use crate::domain::delivery::Trigger;
use crate::domain::ids::{ProjectId, UserId, WebhookId};
use crate::domain::{Right, Scope};
use crate::services::webhooks as service;
use crate::state::AppState;

#[utoipa::path(post, path = "/api/v1/webhooks/{id}/test", tag = "Webhooks",
    summary = "Test a webhook",
    description = "Sends one real request, marked as a test, about the chosen project (or its first phase; for User webhooks, the token's user). Nothing changes; the webhook's history records the test.",
    params(("id" = i64, Path, description = "The webhook's id")),
    request_body(content = Option<TestRequest>, description = "Optional"),
    security(("bearer" = ["webhooks.write"])),
    responses(
        (status = 200, description = "The attempt: request sent and response received", body = AttemptOut),
        (status = 400, description = "No project to test with", body = ErrorBody),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = ErrorBody),
        (status = 403, description = "Missing scope or right", body = ErrorBody),
        (status = 404, description = "No such webhook", body = ErrorBody),
    ))]
pub async fn test(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<WebhookId>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::WebhooksWrite, Right::ModifyWebhook)?;
    let request: TestRequest = optional_json(&body)?;
    let subject = service::test::Subject {
        project: request.project_id.map(ProjectId::new),
        user: request.user_id.map(UserId::new),
    };
    let attempt = service::test::test_stored(&state, &caller.actor(), *id, subject)
        .await
        .map_err(|e| ApiError::from_service(e, api_field))?;
    Ok(HttpResponse::Ok().json(AttemptOut::from(
        attempt.as_row(Trigger::Test, crate::clock::now_ms()),
    )))
}

#[utoipa::path(post, path = "/api/v1/webhooks/{id}/renew", tag = "Webhooks",
    summary = "Renew a webhook",
    description = "Moves its last day (validUntil) to the date given, or 90 days from today. A webhook without expiry keeps none unless a date is given.",
    params(("id" = i64, Path, description = "The webhook's id")),
    request_body(content = Option<RenewRequest>, description = "Optional"),
    security(("bearer" = ["webhooks.write"])),
    responses(
        (status = 200, description = "The webhook as saved", body = Webhook),
        (status = 400, description = "Invalid date", body = ErrorBody),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = ErrorBody),
        (status = 403, description = "Missing scope or right", body = ErrorBody),
        (status = 404, description = "No such webhook", body = ErrorBody),
    ))]
pub async fn renew(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<WebhookId>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::WebhooksWrite, Right::ModifyWebhook)?;
    let request: RenewRequest = optional_json(&body)?;
    let today = chrono::Utc::now().date_naive();
    let until = match request.valid_until.as_deref() {
        Some(text) => {
            let d = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
                ApiError::field("validUntil", "Enter the expiry date as YYYY-MM-DD.")
            })?;
            if d < today {
                return Err(ApiError::field(
                    "validUntil",
                    "The expiry date cannot be in the past.",
                ));
            }
            Some(d)
        }
        None => today.checked_add_days(Days::new(service::RENEW_DAYS)),
    };
    service::renew(
        &state,
        &caller.actor(),
        *id,
        until,
        request.valid_until.is_some(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(load(&state, *id).await?.1))
}
