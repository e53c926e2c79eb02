//! Preview: a draft webhook against the last recorded events, nothing sent or saved.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::draft_of;
use super::model::{WebhookRequest, api_field};
use crate::api::attempts::HeaderPair;
use crate::api::auth::ApiCaller;
use crate::api::error::{ApiError, ErrorBody};
use crate::api::timestamp;
use crate::domain::{Right, Scope};
use crate::services::webhooks::preview::{self as service, Preview};
use crate::state::AppState;

fn fifty() -> i64 {
    50
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PreviewRequest {
    /// The webhook as it would be created.
    pub webhook: WebhookRequest,
    /// How many of the last recorded events to look at: 1 to 500.
    #[serde(default = "fifty")]
    pub last: i64,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PreviewedRequest {
    pub method: String,
    /// With its placeholders filled.
    pub url: String,
    /// Secret values masked; the signature is made when a request is sent.
    pub headers: Vec<HeaderPair>,
    pub body: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PreviewMatch {
    pub event_id: String,
    pub event_type: String,
    pub object_type: &'static str,
    pub object_id: i64,
    #[schema(format = DateTime)]
    pub occurred_at: String,
    /// The request the webhook would send; null when it could not be built (see `error`).
    pub request: Option<PreviewedRequest>,
    pub error: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PreviewResult {
    /// How many recorded events were looked at.
    pub examined: usize,
    /// The events it would fire for, newest first.
    pub data: Vec<PreviewMatch>,
}

fn match_out(p: Preview) -> PreviewMatch {
    let (request, error) = match p.request {
        Ok(r) => (
            Some(PreviewedRequest {
                headers: r
                    .headers
                    .into_iter()
                    .map(|(name, value, _)| HeaderPair { name, value })
                    .collect(),
                method: r.method,
                url: r.url,
                body: r.body,
            }),
            None,
        ),
        Err(e) => (None, Some(e)),
    };
    PreviewMatch {
        event_id: p.event.event_id,
        event_type: p.event.event_type,
        object_type: p.event.object_type.code(),
        object_id: p.event.object_id,
        occurred_at: timestamp(p.event.occurred_at),
        request,
        error,
    }
}

#[utoipa::path(post, path = "/api/v1/webhooks/preview", tag = "Webhooks",
    summary = "Preview a webhook on recorded events",
    description = "Which of the last recorded events the webhook described would fire for, and the exact request each would make (secret header values masked). Nothing is sent and nothing is saved.",
    request_body = PreviewRequest,
    security(("bearer" = ["webhooks.write"])),
    responses(
        (status = 200, description = "The events it would fire for", body = PreviewResult),
        (status = 400, description = "Invalid webhook fields, or `last` out of range", body = ErrorBody),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = ErrorBody),
        (status = 403, description = "Missing scope or right", body = ErrorBody),
    ))]
pub async fn preview(
    state: web::Data<AppState>,
    caller: ApiCaller,
    body: Result<web::Json<PreviewRequest>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::WebhooksWrite, Right::CreateWebhook)?;
    let body = crate::api::body(body)?;
    let last =
        service::last(Some(body.last), "last").map_err(|e| ApiError::from_service(e, api_field))?;
    let draft = draft_of(&state, &caller, &body.webhook, None).await?;
    let previewed = service::preview(&state, &draft, None, last)
        .await
        .map_err(|e| ApiError::from_service(e, api_field))?;
    Ok(HttpResponse::Ok().json(PreviewResult {
        examined: previewed.examined,
        data: previewed.matches.into_iter().map(match_out).collect(),
    }))
}
