//! A webhook as the form and the API describe it, validated as a whole: every field's error
//! at once, through one constructor that both the UI and the API use.

mod criteria;
mod fields;
pub mod headers;
mod mode;
mod rate;
mod standing;
#[cfg(test)]
mod tests;
mod url;
mod verb;

use chrono::NaiveDate;

pub use self::url::WebhookUrl;
pub use criteria::ListCriteria;
pub use headers::{HeaderDraft, HeaderInput};
pub use mode::Mode;
pub use rate::RateLimit;
pub use standing::Standing;
pub use verb::Verb;

use super::ids::{ProjectFilterId, ProjectId, UserId};
use super::{Entered, FieldErrors};
use crate::domain::catalogue::{Action, ActionFilter, ObjectType};
pub use fields::FieldNames;
use fields::{one_line, parse_body, parse_event, parse_expiry, parse_second_label, text};

/// What is shown of a secret header value, anywhere outside the request itself.
pub const MASK: &str = "••••••••";

pub const WORDING_MAX_CHARS: usize = 200;
pub const DESCRIPTION_MAX_CHARS: usize = 2000;
pub const BODY_MAX_BYTES: usize = 64 * 1024;

/// What a webhook listens to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventFilter {
    pub action: ActionFilter,
    pub object: ObjectType,
    /// A saved project filter; None is All projects.
    pub project_filter: Option<ProjectFilterId>,
}

/// The raw fields, as typed in the form or sent to the API.
#[derive(Debug, Clone, Default)]
pub struct WebhookInput {
    pub wording: String,
    pub description: String,
    pub active: bool,
    pub url: String,
    pub verb: String,
    pub body: String,
    pub headers: Vec<HeaderInput>,
    pub synchronous: bool,
    pub in_transaction: bool,
    pub event_action: Entered<ActionFilter>,
    pub event_object: Entered<ObjectType>,
    pub project_filter: Entered<ProjectFilterId>,
    pub second_label: String,
    pub initiator_user: Entered<UserId>,
    /// Field names, each checked against the object's fields.
    pub excluded_fields: Vec<String>,
    /// A modification fires only when it changes one of these (none: any detail field).
    pub trigger_fields: Vec<String>,
    pub exclude_payload: bool,
    pub valid_until: String,
    /// A single project the webhook is narrowed to.
    pub project: Entered<ProjectId>,
    pub values_as_strings: bool,
    /// Requests per second; blank is no limit.
    pub rate_limit: Entered<i64>,
}

/// What validation depends on besides the input.
pub struct Rules<'a> {
    pub https_only: bool,
    /// The second language when multilingual configuration is on.
    pub second_language: Option<&'a str>,
    pub today: NaiveDate,
    /// Project filters the user may pick.
    pub project_filters: &'a [ProjectFilterId],
    /// The last day stored for the webhook being modified: kept as it is, it may be in the
    /// past (an expired webhook's other fields can still be saved).
    pub kept_expiry: Option<NaiveDate>,
}

#[derive(Debug, Clone)]
pub struct WebhookDraft {
    pub wording: String,
    pub description: String,
    pub active: bool,
    pub url: WebhookUrl,
    pub verb: Verb,
    pub body: String,
    pub headers: Vec<HeaderDraft>,
    pub mode: Mode,
    pub event: EventFilter,
    pub second_label: Option<String>,
    pub initiator_user: Option<UserId>,
    pub excluded_fields: FieldNames,
    pub trigger_fields: FieldNames,
    pub exclude_payload: bool,
    pub valid_until: Option<NaiveDate>,
    pub project_id: Option<ProjectId>,
    pub values_as_strings: bool,
    pub rate_limit: Option<RateLimit>,
}

impl WebhookDraft {
    pub fn parse(input: &WebhookInput, rules: &Rules<'_>) -> Result<WebhookDraft, FieldErrors> {
        let mut e = FieldErrors::new();
        let wording = e.check(
            "wording",
            text(&input.wording, "Wording", WORDING_MAX_CHARS, true)
                .and_then(|w| one_line(w, "Wording")),
        );
        let description = e.check(
            "description",
            text(
                &input.description,
                "Description",
                DESCRIPTION_MAX_CHARS,
                false,
            ),
        );
        let event = e.check("event", parse_event(input, rules));
        // Placeholders depend on the object type; without one, check against the widest set.
        let object = event.map_or(ObjectType::Phase, |ev| ev.object);
        let url = e.check(
            "url",
            WebhookUrl::parse(&input.url, object, rules.https_only),
        );
        let verb = e.check(
            "verb",
            Verb::parse(&input.verb)
                .ok_or_else(|| "Choose a verb: GET, POST, PUT, PATCH or DELETE.".to_owned()),
        );
        let body = e.check("body", parse_body(&input.body, verb, object));
        let headers = e.check("headers", headers::parse(&input.headers, object));
        if input.in_transaction && !input.synchronous {
            e.add(
                "in_transaction",
                "Transaction execution can only be checked when Synchronous is checked.",
            );
        }
        let second_label = e.check(
            "second_label",
            parse_second_label(&input.second_label, rules.second_language),
        );
        let initiator_user = e.check(
            "initiator_user",
            input
                .initiator_user
                .given_or("Choose a user from the list."),
        );
        let excluded_fields = e.check(
            "excluded_fields",
            FieldNames::parse(&input.excluded_fields, object),
        );
        let trigger_fields = e.check(
            "trigger_fields",
            FieldNames::parse(&input.trigger_fields, object).and_then(|names| {
                check_triggers(
                    names,
                    event.map(|ev| ev.action),
                    object,
                    excluded_fields.as_ref(),
                )
            }),
        );
        let valid_until = e.check("valid_until", parse_expiry(&input.valid_until, rules));
        let project_id = e.check(
            "project",
            input.project.given_or("Choose a project from the list."),
        );
        if project_id.flatten().is_some() && !object.has_project() {
            e.add(
                "project",
                format!("No project can be chosen for {} events.", object.label()),
            );
        }
        let rate_limit = e.check("rate_limit", RateLimit::parse(input.rate_limit));
        if input.synchronous && rate_limit.flatten().is_some() {
            e.add(
                "rate_limit",
                "A rate limit is for asynchronous webhooks: a synchronous call cannot wait its turn.",
            );
        }
        if object.is_operational() {
            // Hookline makes these events, after the fact: no person, nothing to stop.
            if input.synchronous {
                e.add(
                    "synchronous",
                    format!(
                        "{} events are sent asynchronously: there is no change for them to stop.",
                        object.label()
                    ),
                );
            }
            if initiator_user.flatten().is_some() {
                e.add(
                    "initiator_user",
                    format!(
                        "{} events are made by Hookline, not by a user.",
                        object.label()
                    ),
                );
            }
        }
        if !e.is_empty() {
            return Err(e);
        }
        let unwrap = "every field checked above";
        Ok(WebhookDraft {
            wording: wording.expect(unwrap),
            description: description.expect(unwrap),
            active: input.active,
            url: url.expect(unwrap),
            verb: verb.expect(unwrap),
            body: body.expect(unwrap),
            headers: headers.expect(unwrap),
            mode: Mode::from_flags(input.synchronous, input.in_transaction),
            event: event.expect(unwrap),
            second_label: second_label.expect(unwrap),
            initiator_user: initiator_user.expect(unwrap),
            excluded_fields: excluded_fields.expect(unwrap),
            trigger_fields: trigger_fields.expect(unwrap),
            exclude_payload: input.exclude_payload,
            valid_until: valid_until.expect(unwrap),
            project_id: project_id.expect(unwrap),
            values_as_strings: input.values_as_strings,
            rate_limit: rate_limit.expect(unwrap),
        })
    }
}

/// Trigger fields make sense for modifications only, and not for a field the webhook never
/// sees (a change of it alone does not fire the webhook).
fn check_triggers(
    names: FieldNames,
    action: Option<ActionFilter>,
    object: ObjectType,
    excluded: Option<&FieldNames>,
) -> Result<FieldNames, String> {
    if names.is_empty() {
        return Ok(names);
    }
    let modifies = object.actions().contains(&Action::Modify)
        && action.is_none_or(|a| a.matches(Action::Modify));
    if !modifies {
        return Err(
            "Only when these fields change is for modifications: choose Modify or All actions."
                .into(),
        );
    }
    if let Some(field) = names
        .names()
        .iter()
        .find(|n| excluded.is_some_and(|x| x.contains(n)))
    {
        return Err(format!(
            "“{field}” is excluded from the payload, so its change cannot fire the webhook."
        ));
    }
    Ok(names)
}

impl WebhookDraft {
    /// The four required fields (Wording, URL, Verb, Event) are filled and valid: the Test
    /// button may be offered.
    pub fn testable(input: &WebhookInput) -> bool {
        !input.wording.trim().is_empty()
            && !input.url.trim().is_empty()
            && Verb::parse(&input.verb).is_some()
            && matches!(input.event_action, Entered::Given(_))
            && matches!(input.event_object, Entered::Given(_))
    }
}
