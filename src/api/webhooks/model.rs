//! What the webhooks API reads and answers, and how a stored webhook reads in it.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::timestamp;
use crate::domain::catalogue::event_types_of;
use crate::domain::ids::{ProjectFilterId, ProjectId, UserId};
use crate::domain::webhook::{RateLimit, Standing};
use crate::services::webhooks::stored::{HeaderRow, WebhookRow};
use chrono::NaiveDate;

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
    /// One event type (`project.created`), or all of one object type (`project.*`); Hookline's
    /// own `webhook.disabled` and `delivery.dead` tell of another webhook in trouble.
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
    /// For modifications: fire only when one of these fields changes (names as in
    /// `changedFields`, e.g. `["status"]`); empty for any detail field.
    #[serde(default)]
    #[schema(example = json!(["status"]))]
    pub trigger_fields: Vec<String>,
    /// Send only the identifiers, no object data.
    #[serde(default)]
    pub exclude_payload: bool,
    /// Every value in the payload as a string.
    #[serde(default)]
    pub values_as_strings: bool,
    /// The most requests per second the delivery workers send it (1 to 1000, all instances
    /// together); null for no limit. Asynchronous webhooks only.
    #[serde(default)]
    pub rate_limit: Option<i64>,
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
    /// Modifications fire only when one of these fields changes; empty for any.
    pub trigger_fields: Vec<String>,
    pub exclude_payload: bool,
    pub values_as_strings: bool,
    /// Requests per second; null for no limit.
    pub rate_limit: Option<u16>,
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
        "trigger_fields" => "triggerFields",
        "valid_until" => "validUntil",
        "rate_limit" => "rateLimit",
        "history_id" => "historyId",
        "project" | "test_project" => "projectId",
        "test_user" => "userId",
        other => other,
    }
}

pub fn webhook_out(row: WebhookRow, headers: Vec<HeaderRow>, today: NaiveDate) -> Webhook {
    Webhook {
        state: Standing::of(row.active, row.valid_until, today).code(),
        mode: row.mode.label(),
        headers: headers
            .into_iter()
            .map(|h| WebhookHeader {
                value: (!h.secret).then_some(h.value),
                name: h.name,
                secret: h.secret,
            })
            .collect(),
        event_types: event_types_of(row.event_action, row.event_object),
        excluded_fields: row.excluded_fields.names().to_vec(),
        trigger_fields: row.trigger_fields.names().to_vec(),
        last_execution_at: row.last_execution_at.map(timestamp),
        id: row.id.get(),
        version: row.version,
        wording: row.wording,
        description: row.description,
        active: row.active,
        url: row.url,
        verb: row.verb.as_str().to_owned(),
        body: row.body,
        synchronous: row.mode.synchronous(),
        transaction: row.mode.in_transaction(),
        project_filter_id: row.project_filter_id.map(ProjectFilterId::get),
        initiating_user_id: row.initiator_user_id.map(UserId::get),
        project_id: row.project_id.map(ProjectId::get),
        exclude_payload: row.exclude_payload,
        values_as_strings: row.values_as_strings,
        rate_limit: row.rate_limit.map(RateLimit::per_second),
        second_label: row.second_label,
        valid_until: row.valid_until.map(|d| d.to_string()),
        last_status: row.last_status,
        disabled_reason: row.disabled_reason,
    }
}

pub(super) fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}
