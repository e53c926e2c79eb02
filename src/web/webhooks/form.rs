//! The create / modify form's fields as posted — Wording, Description, Active, URL, Verb,
//! Body, Headers, Synchronous, Transaction execution, Event, Multilingual, and the extras —
//! and its one conversion each way: posted text to the domain's input, a stored webhook to
//! the fields shown. The page around it is `form_page`.

use serde::Deserialize;

use crate::domain::Entered;
use crate::domain::catalogue::{ActionFilter, ObjectType};
use crate::domain::ids::WebhookId;
use crate::domain::webhook::{FieldNames, HeaderInput, WebhookInput};
use crate::services::webhooks::stored::{HeaderRow, WebhookRow};
use crate::services::webhooks::version::Version;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct WebhookForm {
    pub wording: String,
    pub description: String,
    pub active: Option<String>,
    pub url: String,
    pub verb: String,
    pub body: String,
    pub header_name: Vec<String>,
    pub header_value: Vec<String>,
    pub header_kind: Vec<String>,
    pub synchronous: Option<String>,
    pub in_transaction: Option<String>,
    pub event_action: String,
    pub event_object: String,
    pub project_filter: String,
    pub second_label: String,
    pub initiator_user: String,
    pub excluded_fields: String,
    pub trigger_fields: Vec<String>,
    pub exclude_payload: Option<String>,
    pub valid_until: String,
    pub project: String,
    pub values_as_strings: Option<String>,
    pub rate_limit: String,
    pub version: String,
    pub id: String,
    pub action: String,
    pub test_project: String,
    pub test_user: String,
    /// How many recorded events Preview looks at.
    pub preview_last: String,
}

/// A checkbox counts as checked when sent with a value other than empty, "off" or "false".
fn checked(value: &Option<String>) -> bool {
    value
        .as_deref()
        .is_some_and(|v| !matches!(v.trim(), "" | "off" | "false" | "0"))
}

impl WebhookForm {
    /// Unchecked boxes become None, so that the re-rendered form shows what was validated.
    pub(super) fn normalised(mut self) -> Self {
        for flag in [
            &mut self.active,
            &mut self.synchronous,
            &mut self.in_transaction,
            &mut self.exclude_payload,
            &mut self.values_as_strings,
        ] {
            if !checked(flag) {
                *flag = None;
            }
        }
        self
    }

    pub(super) fn input(&self) -> WebhookInput {
        let headers = self
            .header_name
            .iter()
            .enumerate()
            .map(|(i, name)| HeaderInput {
                name: name.clone(),
                value: self.header_value.get(i).cloned().unwrap_or_default(),
                secret: self.header_kind.get(i).is_some_and(|k| k == "secret"),
            })
            .collect();
        WebhookInput {
            wording: self.wording.clone(),
            description: self.description.clone(),
            active: checked(&self.active),
            url: self.url.clone(),
            verb: self.verb.clone(),
            body: self.body.clone(),
            headers,
            synchronous: checked(&self.synchronous),
            in_transaction: checked(&self.in_transaction),
            event_action: Entered::read_with(&self.event_action, ActionFilter::parse),
            event_object: Entered::read_with(&self.event_object, ObjectType::parse),
            project_filter: Entered::read(&self.project_filter),
            second_label: self.second_label.clone(),
            initiator_user: Entered::read(&self.initiator_user),
            excluded_fields: FieldNames::words(&self.excluded_fields),
            trigger_fields: self.trigger_fields.clone(),
            exclude_payload: checked(&self.exclude_payload),
            valid_until: self.valid_until.clone(),
            project: Entered::read(&self.project),
            values_as_strings: checked(&self.values_as_strings),
            rate_limit: Entered::read(&self.rate_limit),
        }
    }

    /// A version from the history, as the form shows it (secret values empty, as always).
    pub(super) fn from_version(v: &Version, id: WebhookId, version: i64) -> Self {
        let on = |b: bool| b.then(|| "on".to_owned());
        let text = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
        WebhookForm {
            wording: v.wording.clone(),
            description: v.description.clone(),
            active: on(v.active),
            url: v.url.clone(),
            verb: v.verb.clone(),
            body: v.body.clone(),
            header_name: v.headers.iter().map(|h| h.name.clone()).collect(),
            header_value: v
                .headers
                .iter()
                .map(|h| h.value.clone().unwrap_or_default())
                .collect(),
            header_kind: v
                .headers
                .iter()
                .map(|h| if h.secret { "secret" } else { "plain" }.to_owned())
                .collect(),
            synchronous: on(v.synchronous),
            in_transaction: on(v.in_transaction),
            event_action: v.event_action.clone(),
            event_object: v.event_object.clone(),
            project_filter: text(v.project_filter),
            second_label: v.second_label.clone().unwrap_or_default(),
            initiator_user: text(v.initiator_user),
            excluded_fields: v.excluded_fields.join(", "),
            trigger_fields: v.trigger_fields.clone(),
            exclude_payload: on(v.exclude_payload),
            valid_until: v.valid_until.clone().unwrap_or_default(),
            project: text(v.project),
            values_as_strings: on(v.values_as_strings),
            rate_limit: v.rate_limit.map(|r| r.to_string()).unwrap_or_default(),
            version: version.to_string(),
            id: id.to_string(),
            ..Self::default()
        }
    }

    /// Whether `field` is among the trigger fields picked.
    pub(super) fn has_trigger(&self, field: &str) -> bool {
        self.trigger_fields.iter().any(|f| f == field)
    }

    pub(super) fn blank() -> Self {
        WebhookForm {
            active: Some("on".into()),
            verb: "POST".into(),
            body: "{payload}".into(),
            event_action: "all".into(),
            event_object: "project".into(),
            ..Self::default()
        }
    }

    pub(super) fn from_stored(row: &WebhookRow, headers: &[HeaderRow]) -> Self {
        let on = |b: bool| b.then(|| "on".to_owned());
        WebhookForm {
            wording: row.wording.clone(),
            description: row.description.clone(),
            active: on(row.active),
            url: row.url.clone(),
            verb: row.verb.as_str().to_owned(),
            body: row.body.clone(),
            header_name: headers.iter().map(|h| h.name.clone()).collect(),
            // A secret value never goes back to the browser.
            header_value: headers
                .iter()
                .map(|h| {
                    if h.secret {
                        String::new()
                    } else {
                        h.value.clone()
                    }
                })
                .collect(),
            header_kind: headers
                .iter()
                .map(|h| if h.secret { "secret" } else { "plain" }.to_owned())
                .collect(),
            synchronous: on(row.mode.synchronous()),
            in_transaction: on(row.mode.in_transaction()),
            event_action: row.event_action.code().to_owned(),
            event_object: row.event_object.code().to_owned(),
            project_filter: row
                .project_filter_id
                .map(|i| i.to_string())
                .unwrap_or_default(),
            second_label: row.second_label.clone().unwrap_or_default(),
            initiator_user: row
                .initiator_user_id
                .map(|i| i.to_string())
                .unwrap_or_default(),
            excluded_fields: row.excluded_fields.to_string(),
            trigger_fields: row.trigger_fields.names().to_vec(),
            exclude_payload: on(row.exclude_payload),
            valid_until: row.valid_until.map(|d| d.to_string()).unwrap_or_default(),
            project: row.project_id.map(|i| i.to_string()).unwrap_or_default(),
            values_as_strings: on(row.values_as_strings),
            rate_limit: row
                .rate_limit
                .map(|r| r.per_second().to_string())
                .unwrap_or_default(),
            version: row.version.to_string(),
            id: row.id.to_string(),
            ..Self::default()
        }
    }

    /// Header rows for display, secret values blanked, plus one empty row to fill.
    pub(super) fn header_rows(&self) -> Vec<HeaderView> {
        let mut rows: Vec<HeaderView> = self
            .header_name
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let secret = self.header_kind.get(i).is_some_and(|k| k == "secret");
                HeaderView {
                    name: name.clone(),
                    value: if secret {
                        String::new()
                    } else {
                        self.header_value.get(i).cloned().unwrap_or_default()
                    },
                    secret,
                }
            })
            .filter(|h| !(h.name.trim().is_empty() && h.value.trim().is_empty() && !h.secret))
            .collect();
        rows.push(HeaderView {
            name: String::new(),
            value: String::new(),
            secret: false,
        });
        rows
    }
}

/// A header row as the form shows it.
pub struct HeaderView {
    pub name: String,
    pub value: String,
    pub secret: bool,
}
