//! Each field of a webhook checked on its own, with the form's messages.

use chrono::NaiveDate;

use super::{BODY_MAX_BYTES, EventFilter, Rules, Verb, WORDING_MAX_CHARS, WebhookInput};
use crate::domain::catalogue::{ActionFilter, ObjectType};
use crate::domain::template::Template;

pub(super) fn text(input: &str, label: &str, max: usize, required: bool) -> Result<String, String> {
    let value = input.trim();
    if required && value.is_empty() {
        return Err(format!("{label} is required."));
    }
    if value.chars().count() > max {
        return Err(format!("{label} must be at most {max} characters."));
    }
    Ok(value.to_owned())
}

pub(super) fn one_line(value: String, label: &str) -> Result<String, String> {
    if value.chars().any(char::is_control) {
        return Err(format!(
            "{label} must be a single line without control characters."
        ));
    }
    Ok(value)
}

pub(super) fn parse_event(input: &WebhookInput, rules: &Rules<'_>) -> Result<EventFilter, String> {
    if input.event_action.is_blank() || input.event_object.is_blank() {
        return Err("Event is required: choose an action and an object type.".into());
    }
    let action = input
        .event_action
        .given_or("Choose an action: All actions, Create, Modify or Delete.")?
        .expect("picked: checked above");
    let object = input
        .event_object
        .given_or("Choose an object type: Phase, Project, User, Webhook or Delivery.")?
        .expect("picked: checked above");
    if let (ActionFilter::Only(a), [only]) = (action, object.actions())
        && a != *only
    {
        return Err(format!(
            "{} events have one action, {}: choose All actions.",
            object.label(),
            only.label()
        ));
    }
    let project_filter = input
        .project_filter
        .given_or("Choose a project filter from the list.")?;
    if let Some(id) = project_filter {
        if !object.has_project() {
            return Err(format!(
                "No project filter can be chosen for {} events.",
                object.label()
            ));
        }
        if !rules.project_filters.contains(&id) {
            return Err("Choose a project filter from the list.".into());
        }
    }
    Ok(EventFilter {
        action,
        object,
        project_filter,
    })
}

pub(super) fn parse_body(
    body: &str,
    verb: Option<Verb>,
    object: ObjectType,
) -> Result<String, String> {
    if body.len() > BODY_MAX_BYTES {
        return Err(format!(
            "Body must be at most {} KB.",
            BODY_MAX_BYTES / 1024
        ));
    }
    let empty = body.trim().is_empty();
    match verb {
        Some(v) if v.needs_body() && empty => {
            return Err(format!(
                "Body is required for {}: write a template, or {{payload}} for the default JSON payload.",
                v.as_str()
            ));
        }
        Some(Verb::Get) if !empty => {
            return Err("A GET request has no body: leave Body empty.".into());
        }
        _ => {}
    }
    Template::parse(body, object)?;
    Ok(if empty {
        String::new()
    } else {
        body.replace("\r\n", "\n")
    })
}

pub(super) fn parse_second_label(
    input: &str,
    language: Option<&str>,
) -> Result<Option<String>, String> {
    let Some(language) = language else {
        return Ok(None);
    };
    let label = format!("Wording ({language})");
    let value = text(input, &label, WORDING_MAX_CHARS, true).and_then(|v| one_line(v, &label))?;
    Ok(Some(value))
}

/// Fields of an object's events, by name: those a webhook never sees (and whose changes
/// alone do not fire it), or those one of whose changes a modification needs to fire it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldNames(Vec<String>);

impl FieldNames {
    /// Names, each a field of `object`'s events; blanks are ignored, repeats kept once (so
    /// there are never more than the object has).
    pub fn parse(names: &[String], object: ObjectType) -> Result<Self, String> {
        let mut fields: Vec<String> = Vec::new();
        for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
            if !object.fields().iter().any(|f| f.name == name) {
                let known: Vec<&str> = object.fields().iter().map(|f| f.name).collect();
                return Err(format!(
                    "Unknown field “{}” for {} events: choose among {}.",
                    name.chars().take(50).collect::<String>(),
                    object.label(),
                    known.join(", ")
                ));
            }
            if !fields.iter().any(|f| f == name) {
                fields.push(name.to_owned());
            }
        }
        Ok(FieldNames(fields))
    }

    /// The names in a text as written ("name, budget"): separated by commas or spaces.
    pub fn words(text: &str) -> Vec<String> {
        text.split([',', ' ', '\n', '\r', '\t'])
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// Names as stored, checked when they were saved.
    pub fn stored(text: &str) -> Self {
        FieldNames(Self::words(text))
    }

    pub fn names(&self) -> &[String] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, field: &str) -> bool {
        self.0.iter().any(|f| f == field)
    }
}

/// "name, budget": how forms, the history and storage write them.
impl std::fmt::Display for FieldNames {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join(", "))
    }
}

pub(super) fn parse_expiry(input: &str, rules: &Rules<'_>) -> Result<Option<NaiveDate>, String> {
    let input = input.trim();
    if input.is_empty() {
        return Ok(None);
    }
    let date = NaiveDate::parse_from_str(input, "%Y-%m-%d")
        .map_err(|_| "Enter the expiry date as YYYY-MM-DD.".to_owned())?;
    if date < rules.today && Some(date) != rules.kept_expiry {
        return Err("The expiry date cannot be in the past.".into());
    }
    Ok(Some(date))
}
