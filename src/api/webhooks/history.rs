//! A webhook's history by API: every change, newest first, field by field.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

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
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryList {
    /// Newest first.
    pub data: Vec<HistoryEntryOut>,
}

fn entry_out(e: HistoryEntry) -> HistoryEntryOut {
    let changes: Vec<Change> = serde_json::from_str(&e.changes).unwrap_or_default();
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
    }
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
