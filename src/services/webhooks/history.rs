//! A webhook's fields as people read them, and the field-by-field difference that the
//! history records. Secret header values never enter it.

use serde::{Deserialize, Serialize};

use super::ServiceError;
use super::version::Version;
use crate::db::webhooks::{HeaderRow, WebhookFields};
use crate::db::{self, Tx};
use crate::domain::catalogue::{Narrowing, event_label};
use crate::domain::ids::WebhookId;
use crate::services::Actor;

pub use crate::domain::webhook::MASK;
pub const ACTIVE: &str = "Active";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub field: String,
    pub before: String,
    pub after: String,
}

/// Labelled display values, in form order.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    values: Vec<(&'static str, String)>,
    /// Secret values, compared but never shown.
    secrets: Vec<(String, String)>,
}

fn yes_no(b: bool) -> String {
    if b { "Yes".into() } else { "No".into() }
}

fn headers_label(headers: &[HeaderRow]) -> String {
    let lines: Vec<String> = headers
        .iter()
        .map(|h| {
            if h.secret {
                format!("{}: {MASK}", h.name)
            } else {
                format!("{}: {}", h.name, h.value)
            }
        })
        .collect();
    lines.join("\n")
}

impl Snapshot {
    pub fn empty() -> Self {
        Self::default()
    }

    pub async fn of(
        tx: &mut Tx,
        f: &WebhookFields<'_>,
        headers: &[HeaderRow],
    ) -> Result<Self, ServiceError> {
        let project = match f.project_id {
            Some(id) => db::projects::find(&mut *tx, id)
                .await?
                .map_or(format!("project #{id}"), |p| {
                    format!("{} — {}", p.code, p.name)
                }),
            None => String::new(),
        };
        let project_filter = match f.project_filter_id {
            Some(id) => db::project_filters::find(&mut *tx, id)
                .await?
                .map(|p| p.name),
            None => None,
        };
        let initiator = match f.initiator_user_id {
            Some(id) => db::users::find(&mut *tx, id)
                .await?
                .map_or(format!("user #{id}"), |u| {
                    format!("{} <{}>", u.display_name, u.email)
                }),
            None => String::new(),
        };
        let values = vec![
            ("Wording", f.wording.to_owned()),
            ("Description", f.description.to_owned()),
            (ACTIVE, yes_no(f.active)),
            ("URL", f.url.to_owned()),
            ("Verb", f.verb.as_str().to_owned()),
            ("Body", f.body.to_owned()),
            ("Headers", headers_label(headers)),
            ("Synchronous", yes_no(f.mode.synchronous())),
            ("Transaction execution", yes_no(f.mode.in_transaction())),
            (
                "Event",
                event_label(
                    f.event_action,
                    f.event_object,
                    Narrowing {
                        project_filter: f
                            .project_filter_id
                            .map(|_| project_filter.as_deref().unwrap_or_default()),
                        ..Narrowing::default()
                    },
                ),
            ),
            (
                "Multilingual label",
                f.second_label.unwrap_or_default().to_owned(),
            ),
            ("Initiating user", initiator),
            ("Project", project),
            ("Values as strings", yes_no(f.values_as_strings)),
            (
                "Only when these fields change",
                f.trigger_fields.to_string(),
            ),
            ("Excluded fields", f.excluded_fields.to_string()),
            ("Exclude payload", yes_no(f.exclude_payload)),
            (
                "Expiry date",
                f.valid_until.map(|d| d.to_string()).unwrap_or_default(),
            ),
            (
                "Rate limit",
                f.rate_limit
                    .map(|r| format!("{} per second", r.per_second()))
                    .unwrap_or_default(),
            ),
        ];
        let secrets = headers
            .iter()
            .filter(|h| h.secret)
            .map(|h| (h.name.to_ascii_lowercase(), h.value.clone()))
            .collect();
        Ok(Self { values, secrets })
    }

    fn value(&self, field: &str) -> &str {
        self.values
            .iter()
            .find(|(f, _)| *f == field)
            .map_or("", |(_, v)| v.as_str())
    }

    /// The fields whose display differs, plus a note when only a secret value changed.
    /// Each field's label and value, in form order.
    pub fn rows(&self) -> &[(&'static str, String)] {
        &self.values
    }

    pub fn diff(&self, after: &Snapshot) -> Vec<Change> {
        let fields: Vec<&'static str> = if self.values.is_empty() {
            after.values.iter().map(|(f, _)| *f).collect()
        } else {
            self.values.iter().map(|(f, _)| *f).collect()
        };
        let mut changes: Vec<Change> = fields
            .into_iter()
            .filter_map(|field| {
                let (before, now) = (self.value(field), after.value(field));
                (before != now).then(|| Change {
                    field: field.to_owned(),
                    before: before.to_owned(),
                    after: now.to_owned(),
                })
            })
            .filter(|c| !(c.before.is_empty() && c.after.is_empty()))
            .collect();
        let secrets_changed =
            !self.values.is_empty() && !after.values.is_empty() && self.secrets != after.secrets;
        if secrets_changed && !changes.iter().any(|c| c.field == "Headers") {
            let shown = after.value("Headers").to_owned();
            changes.push(Change {
                field: "Headers".into(),
                before: shown.clone(),
                after: format!("{shown}\n(a secret value was changed)"),
            });
        }
        changes
    }
}

pub async fn record(
    tx: &mut Tx,
    actor: &Actor,
    webhook_id: WebhookId,
    action: &str,
    wording: &str,
    changes: &[Change],
    at: i64,
) -> Result<(), ServiceError> {
    append(tx, actor, (webhook_id, action, wording), changes, None, at).await
}

/// Records a save, with the whole webhook as it now is: a version that can be restored.
pub async fn record_version(
    tx: &mut Tx,
    actor: &Actor,
    (webhook_id, action, wording): (WebhookId, &str, &str),
    changes: &[Change],
    version: &Version,
    at: i64,
) -> Result<(), ServiceError> {
    let version = serde_json::to_string(version).map_err(anyhow::Error::from)?;
    let what = (webhook_id, action, wording);
    append(tx, actor, what, changes, Some(&version), at).await
}

async fn append(
    tx: &mut Tx,
    actor: &Actor,
    (webhook_id, action, wording): (WebhookId, &str, &str),
    changes: &[Change],
    settings: Option<&str>,
    at: i64,
) -> Result<(), ServiceError> {
    let changes = serde_json::to_string(changes).map_err(anyhow::Error::from)?;
    let entry = db::history::NewEntry {
        webhook_id,
        at,
        actor_id: actor.id,
        actor_name: &actor.label(),
        action,
        wording,
        changes: &changes,
        settings,
    };
    db::history::append(tx, &entry).await?;
    Ok(())
}

pub fn parse_changes(json: &str) -> Vec<Change> {
    serde_json::from_str(json).unwrap_or_default()
}
