//! `/api/v1/deliveries`: the queue by webhook and state, one delivery with its attempts,
//! and Retry now — as the Pending orders screen shows them.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::ApiCaller;
use super::error::{ApiError, ErrorBody};
use super::timestamp;
use crate::domain::Coded;
use crate::domain::catalogue::Action;
use crate::domain::delivery::{DeliveryStatus, Trigger};
use crate::domain::delivery_search::{DeliverySearch, SearchInput, parse_time};
use crate::domain::ids::{DeliveryId, UserId, WebhookId};
use crate::domain::{Right, Scope};
use crate::services::cause::Cause;
use crate::services::deliveries::{self as service, AttemptRow, DeliveryRow, NotClaimed};
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/deliveries").route(web::get().to(list)))
        .service(web::resource("/deliveries/{id}").route(web::get().to(get)))
        .service(web::resource("/deliveries/{id}/retry").route(web::post().to(retry)))
        .service(web::resource("/webhooks/{id}/recover").route(web::post().to(recover)));
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HeaderPair {
    pub name: String,
    pub value: String,
}

/// One request sent and what came back. Secret header values are masked.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttemptOut {
    pub attempt: i64,
    /// What sent it: scheduled, manual, synchronous or test.
    pub trigger: &'static str,
    #[schema(format = DateTime)]
    pub started_at: String,
    pub duration_ms: i64,
    pub delivered: bool,
    pub request_method: String,
    pub request_url: String,
    pub request_headers: Vec<HeaderPair>,
    pub request_body: String,
    pub response_status: Option<i64>,
    pub response_headers: Vec<HeaderPair>,
    pub response_body: Option<String>,
    /// dns, connect, timeout, tls, refused, http or other.
    pub error_kind: Option<&'static str>,
    /// What went wrong, in words.
    pub error_message: Option<String>,
    /// The HTTP client's own account of the error, when there is one.
    pub error_detail: Option<String>,
}

fn pairs(json: Option<&str>) -> Vec<HeaderPair> {
    json.and_then(|j| serde_json::from_str::<Vec<(String, String)>>(j).ok())
        .unwrap_or_default()
        .into_iter()
        .map(|(name, value)| HeaderPair { name, value })
        .collect()
}

impl From<AttemptRow> for AttemptOut {
    fn from(a: AttemptRow) -> Self {
        AttemptOut {
            attempt: a.attempt_no,
            delivered: a.error_kind.is_none()
                && a.response_status.is_some_and(|s| (200..300).contains(&s)),
            started_at: timestamp(a.started_at),
            duration_ms: a.duration_ms,
            request_headers: pairs(Some(&a.request_headers)),
            response_headers: pairs(a.response_headers.as_deref()),
            trigger: a.trigger.code(),
            request_method: a.request_method,
            request_url: a.request_url,
            request_body: a.request_body,
            response_status: a.response_status,
            response_body: a.response_body,
            error_kind: a.error_kind.map(|k| k.code()),
            error_message: a.error_message,
            error_detail: a.error_detail,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    pub id: i64,
    pub webhook_id: i64,
    /// The webhook's wording; null once the webhook is deleted.
    pub webhook: Option<String>,
    pub event_type: String,
    pub object_type: String,
    pub object_id: i64,
    /// The webhook-id header the receiver sees, the same on every attempt.
    pub message_id: String,
    /// Asynchronous, Synchronous or Synchronous in transaction.
    pub mode: String,
    /// queued, in_flight, waiting, dead, delivered or cancelled.
    pub state: &'static str,
    pub attempts: i64,
    #[schema(format = DateTime)]
    pub next_attempt_at: Option<String>,
    pub last_error: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryDetail {
    #[serde(flatten)]
    pub delivery: Delivery,
    /// Newest first.
    pub attempt_log: Vec<AttemptOut>,
    /// The change that caused the delivery.
    pub cause: Option<CauseOut>,
}

/// The change behind a delivery.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CauseOut {
    pub event_id: String,
    pub event_type: String,
    pub object_type: &'static str,
    pub object_id: i64,
    /// created, modified, deleted (or disabled, dead for Hookline's own events).
    pub action: Option<&'static str>,
    /// How people name the object: a project's code and name, a phase's or user's name.
    pub object_name: Option<String>,
    /// A phase's project.
    pub project_id: Option<i64>,
    pub changed_fields: Vec<ChangedField>,
    pub initiator: CauseInitiator,
    #[schema(format = DateTime)]
    pub occurred_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChangedField {
    pub name: String,
    pub label: &'static str,
    /// A text, number, boolean, or null.
    pub previous: serde_json::Value,
    pub current: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CauseInitiator {
    /// The user's id; null for Hookline itself or the command line.
    pub id: Option<i64>,
    pub name: String,
    pub email: String,
    /// The API token the change came through, by name; null for a change on screen.
    pub api_token: Option<String>,
}

fn cause_out(c: Cause) -> CauseOut {
    CauseOut {
        object_type: c.object.code(),
        action: c.action.map(Action::past),
        changed_fields: c
            .changes
            .into_iter()
            .map(|m| ChangedField {
                name: m.name,
                label: m.label,
                previous: m.previous,
                current: m.current,
            })
            .collect(),
        initiator: CauseInitiator {
            id: c.by_id.map(UserId::get),
            name: c.by_name,
            email: c.by_email,
            api_token: c.via_token,
        },
        occurred_at: timestamp(c.at),
        event_id: c.event_id,
        event_type: c.event_type,
        object_id: c.object_id,
        object_name: c.object_name,
        project_id: c.project_id,
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryList {
    pub data: Vec<Delivery>,
    /// Present when older matches remain: pass it as `cursor` for the next page.
    pub next_cursor: Option<String>,
}

fn delivery_out(d: DeliveryRow) -> Delivery {
    Delivery {
        state: d.state().code(),
        next_attempt_at: (d.status == DeliveryStatus::Pending)
            .then(|| timestamp(d.next_attempt_at)),
        created_at: timestamp(d.created_at),
        mode: d.mode.label().to_owned(),
        id: d.id.get(),
        webhook_id: d.webhook_id.get(),
        webhook: d.wording,
        event_type: d.event_type,
        object_type: d.object_type,
        object_id: d.object_id,
        message_id: d.message_id,
        attempts: d.attempts,
        last_error: d.last_error,
    }
}

#[utoipa::path(get, path = "/api/v1/deliveries", tag = "Deliveries",
    summary = "Search deliveries",
    description = "The newest deliveries first (by creation time when a time range is given), a page at a time: every criterion is optional, and they all apply together. When more match than the page holds, `nextCursor` gives the next page (pass it as `cursor` with the same criteria); no match is ever left out silently.",
    params(
        ("webhookId" = Option<i64>, Query, description = "The webhook's id"),
        ("state" = Option<String>, Query, description = "queued, in_flight, waiting, dead, delivered or cancelled"),
        ("from" = Option<String>, Query, description = "Created at or after this time (RFC 3339)", format = DateTime),
        ("to" = Option<String>, Query, description = "Created before this time (RFC 3339)", format = DateTime),
        ("status" = Option<i64>, Query, description = "Some attempt was answered with this HTTP status"),
        ("failureKind" = Option<String>, Query, description = "Some attempt failed this way: dns, connect, timeout, tls, refused, http (a non-2xx answer) or other"),
        ("messageId" = Option<String>, Query, description = "The webhook-id header the receiver saw"),
        ("eventId" = Option<String>, Query, description = "The event's id (evt_…)"),
        ("objectType" = Option<String>, Query, description = "project, phase, user, webhook or delivery; with objectId"),
        ("objectId" = Option<i64>, Query, description = "The object's id; with objectType"),
        ("cursor" = Option<String>, Query, description = "The nextCursor of the previous page"),
        ("limit" = Option<i64>, Query, description = "Deliveries per page, 1 to 500 (100 by default)"),
    ),
    security(("bearer" = ["deliveries.read"])),
    responses(
        (status = 200, description = "A page of deliveries", body = DeliveryList),
        (status = 400, description = "A criterion that cannot be read, named in `fields`", body = ErrorBody),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = ErrorBody),
        (status = 403, description = "Missing scope or right", body = ErrorBody),
    ))]
pub async fn list(
    state: web::Data<AppState>,
    caller: ApiCaller,
    query: Result<web::Query<SearchInput>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::DeliveriesRead, Right::ViewPendingOrders)?;
    let query =
        query.map_err(|e| ApiError::BadRequest(format!("The query could not be read: {e}")))?;
    let search =
        DeliverySearch::parse(&query, 100).map_err(|e| ApiError::from_fields(&e, |f| f))?;
    let page = service::search(&state, &search).await?;
    Ok(HttpResponse::Ok().json(DeliveryList {
        data: page.rows.into_iter().map(delivery_out).collect(),
        next_cursor: page.next.map(|id| id.to_string()),
    }))
}

#[utoipa::path(get, path = "/api/v1/deliveries/{id}", tag = "Deliveries",
    summary = "Read a delivery with its attempts",
    params(("id" = i64, Path, description = "The delivery's id")),
    security(("bearer" = ["deliveries.read"])),
    responses(
        (status = 200, description = "The delivery and every attempt", body = DeliveryDetail),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = ErrorBody),
        (status = 403, description = "Missing scope or right", body = ErrorBody),
        (status = 404, description = "No such delivery", body = ErrorBody),
    ))]
pub async fn get(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<DeliveryId>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::DeliveriesRead, Right::ViewPendingOrders)?;
    let (d, attempts) = service::delivery(&state, *id).await?;
    let cause = crate::services::cause::of_delivery(&state, &d)
        .await?
        .map(cause_out);
    let attempt_log = attempts.into_iter().map(AttemptOut::from).collect();
    Ok(HttpResponse::Ok().json(DeliveryDetail {
        delivery: delivery_out(d),
        attempt_log,
        cause,
    }))
}

#[utoipa::path(post, path = "/api/v1/deliveries/{id}/retry", tag = "Deliveries",
    summary = "Retry a delivery now",
    description = "Sends a queued, waiting or dead delivery at once, whatever its schedule, and answers with the attempt. An earlier delivery of the same webhook for the same object goes first (409 names it); a failed retry leaves the delivery's schedule as it was.",
    params(("id" = i64, Path, description = "The delivery's id")),
    security(("bearer" = ["deliveries.write"])),
    responses(
        (status = 200, description = "The attempt made", body = AttemptOut),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = ErrorBody),
        (status = 403, description = "Missing scope or right", body = ErrorBody),
        (status = 404, description = "No such delivery", body = ErrorBody),
        (status = 409, description = "Delivered, cancelled, in flight, behind an earlier delivery of the same object, or its webhook was deleted", body = ErrorBody),
    ))]
pub async fn retry(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<DeliveryId>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::DeliveriesWrite, Right::ManagePendingOrders)?;
    let id = id.into_inner();
    let started = crate::clock::now_ms();
    match service::retry_now(&state, id).await? {
        Ok(Some(a)) => {
            Ok(HttpResponse::Ok().json(AttemptOut::from(a.as_row(Trigger::Manual, started))))
        }
        Ok(None) => Err(ApiError::Conflict(
            "This delivery was not sent: its webhook was deleted.".into(),
        )),
        Err(NotClaimed::NotFound) => Err(ApiError::NotFound),
        Err(refusal) => Err(ApiError::Conflict(refusal.to_string())),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecoverRequest {
    /// Deliveries created at or after this time are sent again (RFC 3339).
    #[schema(format = DateTime)]
    pub since: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Recovered {
    /// How many deliveries were queued to go again.
    pub count: u64,
}

#[utoipa::path(post, path = "/api/v1/webhooks/{id}/recover", tag = "Deliveries",
    summary = "Send a webhook's failed deliveries again",
    description = "Every delivery of the webhook created since the time given that is waiting for a retry, dead or cancelled goes again at once, each with its original message id, and in order per object. The webhook must be active. The application log records who did it.",
    params(("id" = i64, Path, description = "The webhook's id")),
    request_body = RecoverRequest,
    security(("bearer" = ["deliveries.write"])),
    responses(
        (status = 202, description = "Queued to go again", body = Recovered),
        (status = 400, description = "A time that cannot be read, or still to come", body = ErrorBody),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = ErrorBody),
        (status = 403, description = "Missing scope or right", body = ErrorBody),
        (status = 404, description = "No such webhook", body = ErrorBody),
        (status = 409, description = "The webhook is inactive", body = ErrorBody),
    ))]
pub async fn recover(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<WebhookId>,
    body: Result<web::Json<RecoverRequest>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::DeliveriesWrite, Right::ManagePendingOrders)?;
    let request = super::body(body)?;
    let since = parse_time(request.since.trim()).map_err(|m| ApiError::field("since", m))?;
    let count = service::recover(&state, &caller.actor(), *id, since).await?;
    Ok(HttpResponse::Accepted().json(Recovered { count }))
}
