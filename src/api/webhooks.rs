//! `/api/v1/webhooks`: the webhook list with the list screen's filters, and create, read,
//! modify, delete, test and renew — through the same validation and services as the form.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::attempts::AttemptOut;
use super::auth::ApiCaller;
use super::error::{ApiError, ErrorBody, FieldError};
use super::{optional_json, timestamp};
use crate::db::{self, webhooks::HeaderRow, webhooks::Sort, webhooks::WebhookRow};
use crate::domain::catalogue::{ActionFilter, ObjectType};
use crate::domain::catalogue::{event_types_of, parse_event_types};
use crate::domain::delivery::Trigger;
use crate::domain::webhook::{
    HeaderInput, ListCriteria, Mode, Standing, WebhookDraft, WebhookInput,
};
use crate::domain::{FieldErrors, Right, Scope};
use crate::services::webhooks as service;
use crate::state::AppState;

/// How long Renew extends a webhook when no date is given.
pub const MAX_PER_PAGE: u32 = 200;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/webhooks")
            .route(web::get().to(list))
            .route(web::post().to(create))
            .route(web::delete().to(delete_all)),
    )
    .service(
        web::resource("/webhooks/{id}")
            .route(web::get().to(get))
            .route(web::put().to(update))
            .route(web::delete().to(delete)),
    )
    .service(web::resource("/webhooks/{id}/test").route(web::post().to(test)))
    .service(web::resource("/webhooks/{id}/renew").route(web::post().to(renew)));
}

/// A header the webhook sends. A secret's value is never returned.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookHeader {
    pub name: String,
    /// The value; for a secret, null (or absent) when modifying keeps the stored value, and
    /// it is always null in responses.
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub secret: bool,
}

/// A webhook as sent to create or modify one: the fields of the form.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = json!({
    "wording": "Notify the CRM",
    "url": "https://crm.example.com/hooks/{project.id}",
    "verb": "POST",
    "body": "{payload}",
    "headers": [{"name": "X-Team", "value": "portfolio"}],
    "eventTypes": ["project.modified"]
}))]
pub struct WebhookRequest {
    /// The name in the list; at most 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub wording: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub description: String,
    #[serde(default = "yes")]
    #[schema(default = true)]
    pub active: bool,
    /// Absolute http(s) URL; may hold placeholders such as `{project.id}`.
    pub url: String,
    /// GET, POST, PUT, PATCH or DELETE (`httpVerb`, PPM Express's name, is read too).
    #[serde(default = "post", alias = "httpVerb")]
    #[schema(default = "POST", example = "POST")]
    pub verb: String,
    /// The body template; `{payload}` is the standard JSON payload.
    #[serde(default = "payload")]
    #[schema(default = "{payload}")]
    pub body: String,
    #[serde(default)]
    pub headers: Vec<WebhookHeader>,
    /// Call during the change instead of through the queue.
    #[serde(default)]
    pub synchronous: bool,
    /// Synchronous in transaction: a refusal by the receiver cancels the change.
    #[serde(default)]
    pub transaction: bool,
    /// One event type (`project.created`), or all of one object type (`project.*`).
    #[schema(example = json!(["project.modified"]))]
    pub event_types: Vec<String>,
    /// A saved project filter (yours or a public one); null for all projects.
    #[serde(default)]
    pub project_filter_id: Option<i64>,
    /// Fire only for changes made by this user.
    #[serde(default)]
    pub initiating_user_id: Option<i64>,
    /// Fire only for this project (and its phases).
    #[serde(default)]
    pub project_id: Option<i64>,
    /// Fields left out of the payload.
    #[serde(default)]
    pub excluded_fields: Vec<String>,
    /// Send only the identifiers, no object data.
    #[serde(default)]
    pub exclude_payload: bool,
    /// Every value in the payload as a string.
    #[serde(default)]
    pub values_as_strings: bool,
    /// The wording in the second language, when multilingual configuration is on.
    #[serde(default)]
    pub second_label: Option<String>,
    /// The last day the webhook fires (YYYY-MM-DD); null for no expiry.
    #[serde(default)]
    #[schema(format = Date)]
    pub valid_until: Option<String>,
    /// When modifying: the version read. If the webhook changed since, the answer is 409.
    #[serde(default)]
    pub version: Option<i64>,
}

fn yes() -> bool {
    true
}
fn post() -> String {
    "POST".into()
}
fn payload() -> String {
    "{payload}".into()
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    pub id: i64,
    /// Changes on every modification; send it back when modifying.
    pub version: i64,
    pub wording: String,
    pub description: String,
    pub active: bool,
    /// `active`, `inactive` or `expired`.
    pub state: &'static str,
    pub url: String,
    pub verb: String,
    pub body: String,
    pub headers: Vec<WebhookHeader>,
    pub synchronous: bool,
    pub transaction: bool,
    /// Asynchronous, Synchronous or Synchronous in transaction.
    pub mode: &'static str,
    pub event_types: Vec<String>,
    pub project_filter_id: Option<i64>,
    pub initiating_user_id: Option<i64>,
    pub project_id: Option<i64>,
    pub excluded_fields: Vec<String>,
    pub exclude_payload: bool,
    pub values_as_strings: bool,
    pub second_label: Option<String>,
    #[schema(format = Date)]
    pub valid_until: Option<String>,
    #[schema(format = DateTime)]
    pub last_execution_at: Option<String>,
    /// The HTTP status of the last call; 0 when no response came.
    pub last_status: Option<i64>,
    /// Why Hookline stopped calling it, if it did.
    pub disabled_reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookCreated {
    #[serde(flatten)]
    pub webhook: Webhook,
    /// The secret that signs every request (Standard Webhooks). Also shown on the webhook's
    /// page to those who may modify it.
    pub signing_secret: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookPage {
    pub data: Vec<Webhook>,
    pub page: u32,
    pub per_page: u32,
    pub total: u64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WebhookQuery {
    /// Text in the wording, description or URL.
    pub contains: Option<String>,
    pub active: Option<bool>,
    /// phase, project or user.
    pub object_type: Option<String>,
    /// all, create, modify or delete: the webhook's action.
    pub action: Option<String>,
    /// wording, url, verb or last_execution.
    pub sort: Option<String>,
    #[serde(default)]
    pub descending: bool,
    #[param(minimum = 1, default = 1)]
    pub page: Option<u32>,
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub per_page: Option<u32>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteAllQuery {
    /// Must be `true`: deleting every webhook is never implied.
    pub confirm: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Deleted {
    pub deleted: u64,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TestRequest {
    /// The project the test speaks of (for Project and Phase webhooks).
    #[serde(default)]
    pub project_id: Option<i64>,
    /// The user the test speaks of (for User webhooks; the token's user when left out).
    #[serde(default)]
    pub user_id: Option<i64>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RenewRequest {
    /// The new last day; by default 90 days from today.
    #[serde(default)]
    #[schema(format = Date)]
    pub valid_until: Option<String>,
}

/// The form's field names as the API names them, so that both show the same messages.
pub fn api_field(form_field: &str) -> &str {
    match form_field {
        "in_transaction" => "transaction",
        "event" => "eventTypes",
        "second_label" => "secondLabel",
        "initiator_user" => "initiatingUserId",
        "excluded_fields" => "excludedFields",
        "valid_until" => "validUntil",
        "project" | "test_project" => "projectId",
        "test_user" => "userId",
        other => other,
    }
}

pub fn webhook_out(row: WebhookRow, headers: Vec<HeaderRow>, today: &str) -> Webhook {
    let object = ObjectType::parse(&row.event_object);
    let event_types = match (ActionFilter::parse(&row.event_action), object) {
        (Some(a), Some(o)) => event_types_of(a, o),
        _ => Vec::new(),
    };
    Webhook {
        state: Standing::of(row.active, row.valid_until.as_deref(), today).code(),
        mode: Mode::from_flags(row.synchronous, row.in_transaction).label(),
        headers: headers
            .into_iter()
            .map(|h| WebhookHeader {
                value: (!h.secret).then_some(h.value),
                name: h.name,
                secret: h.secret,
            })
            .collect(),
        event_types,
        excluded_fields: row
            .excluded_fields
            .split(", ")
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        last_execution_at: row.last_execution_at.map(timestamp),
        id: row.id,
        version: row.version,
        wording: row.wording,
        description: row.description,
        active: row.active,
        url: row.url,
        verb: row.verb,
        body: row.body,
        synchronous: row.synchronous,
        transaction: row.in_transaction,
        project_filter_id: row.project_filter_id,
        initiating_user_id: row.initiator_user_id,
        project_id: row.project_id,
        exclude_payload: row.exclude_payload,
        values_as_strings: row.values_as_strings,
        second_label: row.second_label,
        valid_until: row.valid_until,
        last_status: row.last_status,
        disabled_reason: row.disabled_reason,
    }
}

fn today() -> String {
    chrono::Utc::now()
        .date_naive()
        .format("%Y-%m-%d")
        .to_string()
}

async fn load(state: &AppState, id: i64) -> Result<(WebhookRow, Webhook), ApiError> {
    let row = db::webhooks::find(&state.pool, &state.keys, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let headers = db::webhooks::headers(&state.pool, &state.keys, id).await?;
    Ok((row.clone(), webhook_out(row, headers, &today())))
}

/// The request as the form's raw input: from here on, the form's rules apply unchanged.
/// Event type names are the API's own; their error, if any, comes back beside the input.
fn input_of(r: &WebhookRequest) -> (WebhookInput, Option<String>) {
    let (action, object, event_error) = match parse_event_types(&r.event_types) {
        Ok((a, o)) => (a.code().to_owned(), o.code().to_owned(), None),
        Err(m) => (String::new(), String::new(), Some(m)),
    };
    let id = |v: Option<i64>| v.map(|i| i.to_string()).unwrap_or_default();
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
        project_filter: id(r.project_filter_id),
        second_label: r.second_label.clone().unwrap_or_default(),
        initiator_user: id(r.initiating_user_id),
        excluded_fields: r.excluded_fields.join(", "),
        exclude_payload: r.exclude_payload,
        valid_until: r.valid_until.clone().unwrap_or_default(),
        project: id(r.project_id),
        values_as_strings: r.values_as_strings,
    };
    (input, event_error)
}

/// The draft a request describes; `stored_expiry` is the stored last day of a webhook being
/// modified, which may stay as it is once past.
async fn draft_of(
    state: &AppState,
    caller: &ApiCaller,
    r: &WebhookRequest,
    stored_expiry: Option<&str>,
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
    let generations = db::webhooks::generations(&state.pool).await?;
    let offset = (page as usize - 1).saturating_mul(per_page as usize);
    let (total, ids) = state
        .webhook_list
        .page(
            &state.pool,
            generations,
            &criteria,
            (sort, q.descending),
            (offset, per_page as usize),
            |p| (p.total, p.rows.iter().map(|r| r.row.id).collect::<Vec<_>>()),
        )
        .await?;
    let today = today();
    let mut rows = db::webhooks::find_many(&state.pool, &state.keys, &ids).await?;
    let mut headers = db::webhooks::headers_of_many(&state.pool, &state.keys, &ids).await?;
    // Keep the list's order; rows deleted since the snapshot are left out.
    let data = ids
        .iter()
        .filter_map(|id| {
            let row = rows.remove(id)?;
            Some(webhook_out(
                row,
                headers.remove(id).unwrap_or_default(),
                &today,
            ))
        })
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
    let mut body = super::body(body)?;
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
    id: web::Path<i64>,
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
    id: web::Path<i64>,
    body: Result<web::Json<WebhookRequest>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::WebhooksWrite, Right::ModifyWebhook)?;
    let body = super::body(body)?;
    let id = id.into_inner();
    let current = db::webhooks::find(&state.pool, &state.keys, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let version = body.version.ok_or_else(|| {
        ApiError::field(
            "version",
            format!(
                "Send the version you read (now {}), so that no one's change is overwritten.",
                current.version
            ),
        )
    })?;
    let draft = draft_of(&state, &caller, &body, current.valid_until.as_deref()).await?;
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
    id: web::Path<i64>,
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
    id: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::WebhooksWrite, Right::ModifyWebhook)?;
    let request: TestRequest = optional_json(&body)?;
    let subject = service::test::Subject {
        project: request.project_id,
        user: request.user_id,
    };
    let attempt = service::test::test_stored(&state, &caller.actor(), *id, subject)
        .await
        .map_err(|e| ApiError::from_service(e, api_field))?;
    Ok(HttpResponse::Ok().json(AttemptOut::from(
        attempt.as_row(Trigger::Test, db::now_ms()),
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
    id: web::Path<i64>,
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
