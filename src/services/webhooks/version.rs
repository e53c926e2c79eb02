//! A webhook's whole settings as one history entry keeps them — a version — and the way
//! back from a version to the form's input, to show it beside the current one or restore it.
//! Secret header values are never kept: a restore keeps the current ones.

use serde::{Deserialize, Serialize};

use crate::domain::Entered;
use crate::domain::catalogue::{ActionFilter, ObjectType};
use crate::domain::ids::{ProjectFilterId, ProjectId, UserId};
use crate::domain::webhook::{HeaderInput, WebhookDraft, WebhookInput};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionHeader {
    pub name: String,
    /// None for a secret value.
    pub value: Option<String>,
    pub secret: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    pub wording: String,
    pub description: String,
    pub active: bool,
    pub url: String,
    pub verb: String,
    pub body: String,
    pub headers: Vec<VersionHeader>,
    pub synchronous: bool,
    pub in_transaction: bool,
    pub event_action: String,
    pub event_object: String,
    pub project_filter: Option<i64>,
    pub second_label: Option<String>,
    pub initiator_user: Option<i64>,
    pub excluded_fields: Vec<String>,
    #[serde(default)]
    pub trigger_fields: Vec<String>,
    pub exclude_payload: bool,
    pub valid_until: Option<String>,
    pub project: Option<i64>,
    pub values_as_strings: bool,
    #[serde(default)]
    pub rate_limit: Option<u16>,
}

impl Version {
    pub fn of(d: &WebhookDraft) -> Version {
        Version {
            wording: d.wording.clone(),
            description: d.description.clone(),
            active: d.active,
            url: d.url.as_ref().to_owned(),
            verb: d.verb.as_str().to_owned(),
            body: d.body.clone(),
            headers: d
                .headers
                .iter()
                .map(|h| VersionHeader {
                    name: h.name.clone(),
                    value: (!h.secret).then(|| h.value.clone().unwrap_or_default()),
                    secret: h.secret,
                })
                .collect(),
            synchronous: d.mode.synchronous(),
            in_transaction: d.mode.in_transaction(),
            event_action: d.event.action.code().to_owned(),
            event_object: d.event.object.code().to_owned(),
            project_filter: d.event.project_filter.map(ProjectFilterId::get),
            second_label: d.second_label.clone(),
            initiator_user: d.initiator_user.map(UserId::get),
            excluded_fields: d.excluded_fields.names().to_vec(),
            trigger_fields: d.trigger_fields.names().to_vec(),
            exclude_payload: d.exclude_payload,
            valid_until: d.valid_until.map(|v| v.to_string()),
            project: d.project_id.map(ProjectId::get),
            values_as_strings: d.values_as_strings,
            rate_limit: d.rate_limit.map(|r| r.per_second()),
        }
    }

    /// As the form would send it: secret values empty, to be kept from the current ones.
    pub fn input(&self) -> WebhookInput {
        WebhookInput {
            wording: self.wording.clone(),
            description: self.description.clone(),
            active: self.active,
            url: self.url.clone(),
            verb: self.verb.clone(),
            body: self.body.clone(),
            headers: self
                .headers
                .iter()
                .map(|h| HeaderInput {
                    name: h.name.clone(),
                    value: h.value.clone().unwrap_or_default(),
                    secret: h.secret,
                })
                .collect(),
            synchronous: self.synchronous,
            in_transaction: self.in_transaction,
            event_action: Entered::read_with(&self.event_action, ActionFilter::parse),
            event_object: Entered::read_with(&self.event_object, ObjectType::parse),
            project_filter: self.project_filter.map(ProjectFilterId::new).into(),
            second_label: self.second_label.clone().unwrap_or_default(),
            initiator_user: self.initiator_user.map(UserId::new).into(),
            excluded_fields: self.excluded_fields.clone(),
            trigger_fields: self.trigger_fields.clone(),
            exclude_payload: self.exclude_payload,
            valid_until: self.valid_until.clone().unwrap_or_default(),
            project: self.project.map(ProjectId::new).into(),
            values_as_strings: self.values_as_strings,
            rate_limit: self.rate_limit.map(i64::from).into(),
        }
    }
}
