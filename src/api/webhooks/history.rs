//! A webhook's history by API: every change, newest first, field by field.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::load;
use super::model::{Webhook, api_field};
use crate::domain::catalogue::{ActionFilter, ObjectType, event_types_of};
use crate::services::webhooks::restore;
use crate::services::webhooks::version::Version;

use crate::api::auth::ApiCaller;
use crate::api::error::{ApiError, ErrorBody};
use crate::api::timestamp;
use crate::domain::ids::{UserId, WebhookId};
use crate::domain::{Right, Scope};
use crate::services::webhooks::history::Change;
use crate::services::webhooks::stored::{self, HistoryEntry};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryChange {
    pub field: String,
    /// As the screens show it; secret header values masked.
    pub before: String,
    pub after: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntryOut {
    pub id: i64,
    #[schema(format = DateTime)]
    pub at: String,
    /// The user's id; null for Hookline itself or the command line.
    pub author_id: Option<i64>,
    /// Who made it, as the history screen names them (with the API token, if any).
    pub author: String,
    /// created, modified, activated, deactivated, deleted or tested.
    pub action: String,
    /// The webhook's wording at the time.
    pub wording: String,
    pub changes: Vec<HistoryChange>,
    /// The whole webhook as this save left it (secret header values left out), in the
    /// create body's terms; null for entries that hold no whole version.
    #[schema(value_type = Option<Object>)]
    pub fields: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryList {
    /// Newest first.
    pub data: Vec<HistoryEntryOut>,
}

/// A version in the API's terms: the create body's field names.
fn fields_of(v: Version) -> serde_json::Value {
    json!({
        "wording": v.wording,
        "description": v.description,
        "active": v.active,
        "url": v.url,
        "verb": v.verb,
        "body": v.body,
        "headers": v.headers.iter().map(|h| json!({"name": h.name, "value": h.value, "secret": h.secret})).collect::<Vec<_>>(),
        "synchronous": v.synchronous,
        "transaction": v.in_transaction,
        "eventTypes": ActionFilter::parse(&v.event_action)
            .zip(ObjectType::parse(&v.event_object))
            .map(|(a, o)| event_types_of(a, o))
            .unwrap_or_default(),
        "projectFilterId": v.project_filter,
        "initiatingUserId": v.initiator_user,
        "projectId": v.project,
        "excludedFields": v.excluded_fields,
        "triggerFields": v.trigger_fields,
        "excludePayload": v.exclude_payload,
        "valuesAsStrings": v.values_as_strings,
        "rateLimit": v.rate_limit,
        "secondLabel": v.second_label,
        "validUntil": v.valid_until,
    })
}

fn entry_out(e: HistoryEntry) -> HistoryEntryOut {
    let changes: Vec<Change> = serde_json::from_str(&e.changes).unwrap_or_default();
    let fields = e
        .settings
        .as_deref()
        .and_then(|s| serde_json::from_str::<Version>(s).ok())
        .map(fields_of);
    HistoryEntryOut {
        id: e.id,
        at: timestamp(e.at),
        author_id: e.actor_id.map(UserId::get),
        author: e.actor_name,
        action: e.action,
        wording: e.wording,
        changes: changes
            .into_iter()
            .map(|c| HistoryChange {
                field: c.field,
                before: c.before,
                after: c.after,
            })
            .collect(),
        fields,
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RestoreRequest {
    /// The history entry whose version to put back (an `id` from the history).
    pub history_id: i64,
}

#[utoipa::path(post, path = "/api/v1/webhooks/{id}/restore", tag = "Webhooks",
    summary = "Restore a version from the history",
    description = "Puts back the settings a history entry kept, as a new history entry (\"restored version of <time>\"). Secret header values stay as they are now, unless the restored URL's host differs: then the answer is 400 and the values must be set again (PUT).",
    params(("id" = i64, Path, description = "The webhook's id")),
    request_body = RestoreRequest,
    security(("bearer" = ["webhooks.write"])),
    responses(
        (status = 200, description = "The webhook as restored", body = Webhook),
        (status = 400, description = "No such entry of this webhook, an entry without a whole version, or settings no longer valid", body = ErrorBody),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = ErrorBody),
        (status = 403, description = "Missing scope or right", body = ErrorBody),
        (status = 404, description = "No such webhook", body = ErrorBody),
    ))]
pub async fn restore(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<WebhookId>,
    body: Result<web::Json<RestoreRequest>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::WebhooksWrite, Right::ModifyWebhook)?;
    let body = crate::api::body(body)?;
    let id = id.into_inner();
    restore::restore(&state, &caller.actor(), id, body.history_id)
        .await
        .map_err(|e| ApiError::from_service(e, api_field))?;
    let (_, webhook) = load(&state, id).await?;
    Ok(HttpResponse::Ok().json(webhook))
}

#[utoipa::path(get, path = "/api/v1/webhooks/{id}/history", tag = "Webhooks",
    summary = "A webhook's history",
    description = "Every change to the webhook, newest first, field by field, with who made it and when (kept after the webhook is deleted; `hookline audit verify` proves nothing was altered).",
    params(("id" = i64, Path, description = "The webhook's id")),
    security(("bearer" = ["webhooks.read"])),
    responses(
        (status = 200, description = "The entries, newest first", body = HistoryList),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = ErrorBody),
        (status = 403, description = "Missing scope or right", body = ErrorBody),
        (status = 404, description = "No such webhook, nor any history of it", body = ErrorBody),
    ))]
pub async fn history(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<WebhookId>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::WebhooksRead, Right::ViewWebhooks)?;
    let (entries, _) = stored::history(&state, *id).await?;
    Ok(HttpResponse::Ok().json(HistoryList {
        data: entries.into_iter().map(entry_out).collect(),
    }))
}
