//! A webhook as the form and the API describe it, validated as a whole: every field's error
//! at once, through one constructor that both the UI and the API use.

mod criteria;
pub mod headers;
mod url;

use chrono::NaiveDate;

pub use self::url::WebhookUrl;
pub use criteria::ListCriteria;
pub use headers::{HeaderDraft, HeaderInput};

use super::FieldErrors;
use crate::domain::catalogue::{ActionFilter, ObjectType};
use crate::domain::template::Template;

pub const WORDING_MAX_CHARS: usize = 200;
pub const DESCRIPTION_MAX_CHARS: usize = 2000;
pub const BODY_MAX_BYTES: usize = 64 * 1024;
pub const MAX_EXCLUDED_FIELDS: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl crate::domain::Coded for Verb {
    const ALL: &'static [Self] = &Verb::ALL;

    fn code(self) -> &'static str {
        self.as_str()
    }
}

impl Verb {
    pub const ALL: [Verb; 5] = [Verb::Get, Verb::Post, Verb::Put, Verb::Patch, Verb::Delete];

    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Post => "POST",
            Verb::Put => "PUT",
            Verb::Patch => "PATCH",
            Verb::Delete => "DELETE",
        }
    }

    pub fn parse(input: &str) -> Option<Verb> {
        Self::ALL.into_iter().find(|v| v.as_str() == input.trim())
    }

    pub fn needs_body(self) -> bool {
        matches!(self, Verb::Post | Verb::Put | Verb::Patch)
    }
}

/// How a webhook is called: through the queue, while the person waits, or inside the
/// change's transaction with the power to refuse it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    Asynchronous,
    Synchronous,
    SynchronousInTransaction,
}

impl crate::domain::Coded for Mode {
    const ALL: &'static [Self] = &[
        Self::Asynchronous,
        Self::Synchronous,
        Self::SynchronousInTransaction,
    ];

    fn code(self) -> &'static str {
        match self {
            Self::Asynchronous => "async",
            Self::Synchronous => "sync",
            Self::SynchronousInTransaction => "sync_tx",
        }
    }
}

impl Mode {
    pub fn from_flags(synchronous: bool, in_transaction: bool) -> Mode {
        match (synchronous, in_transaction) {
            (false, _) => Mode::Asynchronous,
            (true, false) => Mode::Synchronous,
            (true, true) => Mode::SynchronousInTransaction,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Mode::Asynchronous => "Asynchronous",
            Mode::Synchronous => "Synchronous",
            Mode::SynchronousInTransaction => "Synchronous in transaction",
        }
    }

    pub fn synchronous(self) -> bool {
        self != Mode::Asynchronous
    }

    pub fn in_transaction(self) -> bool {
        self == Mode::SynchronousInTransaction
    }
}

/// Whether a webhook fires: Expired once its last day has passed, whatever Active says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Active,
    Inactive,
    Expired,
}

impl Standing {
    /// `valid_until` and `today` as YYYY-MM-DD, which compare as dates.
    pub fn of(active: bool, valid_until: Option<&str>, today: &str) -> Standing {
        match (active, valid_until) {
            (_, Some(until)) if until < today => Standing::Expired,
            (true, _) => Standing::Active,
            (false, _) => Standing::Inactive,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Standing::Active => "active",
            Standing::Inactive => "inactive",
            Standing::Expired => "expired",
        }
    }

    /// The list's Active column.
    pub fn label(self) -> &'static str {
        match self {
            Standing::Active => "Yes",
            Standing::Inactive => "No",
            Standing::Expired => "Expired",
        }
    }
}

/// What a webhook listens to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventFilter {
    pub action: ActionFilter,
    pub object: ObjectType,
    /// A saved project filter; None is All projects.
    pub project_filter: Option<i64>,
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
    pub event_action: String,
    pub event_object: String,
    pub project_filter: String,
    pub second_label: String,
    pub initiator_user: String,
    pub excluded_fields: String,
    pub exclude_payload: bool,
    pub valid_until: String,
    /// A single project the webhook is narrowed to ("" for none).
    pub project: String,
    pub values_as_strings: bool,
}

/// What validation depends on besides the input.
pub struct Rules<'a> {
    pub https_only: bool,
    /// The second language when multilingual configuration is on.
    pub second_language: Option<&'a str>,
    pub today: NaiveDate,
    /// Project filters the user may pick.
    pub project_filters: &'a [i64],
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
    pub initiator_user: Option<i64>,
    pub excluded_fields: Vec<String>,
    pub exclude_payload: bool,
    pub valid_until: Option<NaiveDate>,
    pub project_id: Option<i64>,
    pub values_as_strings: bool,
}

fn text(input: &str, label: &str, max: usize, required: bool) -> Result<String, String> {
    let value = input.trim();
    if required && value.is_empty() {
        return Err(format!("{label} is required."));
    }
    if value.chars().count() > max {
        return Err(format!("{label} must be at most {max} characters."));
    }
    Ok(value.to_owned())
}

fn one_line(value: String, label: &str) -> Result<String, String> {
    if value.chars().any(char::is_control) {
        return Err(format!(
            "{label} must be a single line without control characters."
        ));
    }
    Ok(value)
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
            parse_optional_id(&input.initiator_user, "Choose a user from the list."),
        );
        let excluded_fields = e.check(
            "excluded_fields",
            parse_excluded(&input.excluded_fields, object),
        );
        let valid_until = e.check("valid_until", parse_expiry(&input.valid_until, rules));
        let project_id = e.check(
            "project",
            parse_optional_id(&input.project, "Choose a project from the list."),
        );
        if project_id.flatten().is_some() && !object.has_project() {
            e.add("project", "No project can be chosen for User events.");
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
            exclude_payload: input.exclude_payload,
            valid_until: valid_until.expect(unwrap),
            project_id: project_id.expect(unwrap),
            values_as_strings: input.values_as_strings,
        })
    }

    /// The four required fields (Wording, URL, Verb, Event) are filled and valid: the Test
    /// button may be offered.
    pub fn testable(input: &WebhookInput) -> bool {
        !input.wording.trim().is_empty()
            && !input.url.trim().is_empty()
            && Verb::parse(&input.verb).is_some()
            && ActionFilter::parse(&input.event_action).is_some()
            && ObjectType::parse(&input.event_object).is_some()
    }
}

fn parse_event(input: &WebhookInput, rules: &Rules<'_>) -> Result<EventFilter, String> {
    if input.event_action.trim().is_empty() || input.event_object.trim().is_empty() {
        return Err("Event is required: choose an action and an object type.".into());
    }
    let action = ActionFilter::parse(&input.event_action)
        .ok_or("Choose an action: All actions, Create, Modify or Delete.")?;
    let object = ObjectType::parse(&input.event_object)
        .ok_or("Choose an object type: Phase, Project or User.")?;
    let project_filter = parse_optional_id(
        &input.project_filter,
        "Choose a project filter from the list.",
    )?;
    if let Some(id) = project_filter {
        if !object.has_project() {
            return Err("No project filter can be chosen for User events.".into());
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

fn parse_body(body: &str, verb: Option<Verb>, object: ObjectType) -> Result<String, String> {
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

fn parse_second_label(input: &str, language: Option<&str>) -> Result<Option<String>, String> {
    let Some(language) = language else {
        return Ok(None);
    };
    let label = format!("Wording ({language})");
    let value = text(input, &label, WORDING_MAX_CHARS, true).and_then(|v| one_line(v, &label))?;
    Ok(Some(value))
}

fn parse_optional_id(input: &str, message: &str) -> Result<Option<i64>, String> {
    match input.trim() {
        "" => Ok(None),
        v => v.parse().map(Some).map_err(|_| message.to_owned()),
    }
}

fn parse_excluded(input: &str, object: ObjectType) -> Result<Vec<String>, String> {
    let mut fields: Vec<String> = Vec::new();
    for name in input
        .split([',', ' ', '\n', '\r', '\t'])
        .filter(|s| !s.is_empty())
    {
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
    if fields.len() > MAX_EXCLUDED_FIELDS {
        return Err(format!("At most {MAX_EXCLUDED_FIELDS} excluded fields."));
    }
    Ok(fields)
}

fn parse_expiry(input: &str, rules: &Rules<'_>) -> Result<Option<NaiveDate>, String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> WebhookInput {
        WebhookInput {
            wording: "Notify".into(),
            active: true,
            url: "https://hooks.example.com/{project.id}".into(),
            verb: "POST".into(),
            body: "{payload}".into(),
            event_action: "all".into(),
            event_object: "project".into(),
            ..WebhookInput::default()
        }
    }

    fn rules() -> Rules<'static> {
        Rules {
            https_only: false,
            second_language: None,
            today: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            project_filters: &[7],
            kept_expiry: None,
        }
    }

    #[test]
    fn a_complete_input_becomes_a_draft() {
        let d = WebhookDraft::parse(&input(), &rules()).unwrap();
        assert_eq!(d.verb, Verb::Post);
        assert_eq!(d.mode, Mode::Asynchronous);
        assert_eq!(d.event.object, ObjectType::Project);
    }

    #[test]
    fn every_error_is_reported_at_once() {
        let bad = WebhookInput {
            wording: " ".into(),
            url: "ftp://x".into(),
            verb: "TRACE".into(),
            in_transaction: true,
            valid_until: "2025-12-31".into(),
            excluded_fields: "name, nope".into(),
            ..input()
        };
        let e = WebhookDraft::parse(&bad, &rules()).unwrap_err();
        for field in [
            "wording",
            "url",
            "verb",
            "in_transaction",
            "valid_until",
            "excluded_fields",
        ] {
            assert!(e.get(field).is_some(), "{field}");
        }
    }

    #[test]
    fn body_rules_follow_the_verb() {
        let e = WebhookDraft::parse(
            &WebhookInput {
                body: "".into(),
                ..input()
            },
            &rules(),
        )
        .unwrap_err();
        assert!(
            e.get("body")
                .unwrap()
                .starts_with("Body is required for POST")
        );
        let e = WebhookDraft::parse(
            &WebhookInput {
                verb: "GET".into(),
                ..input()
            },
            &rules(),
        )
        .unwrap_err();
        assert!(e.get("body").unwrap().contains("GET request has no body"));
        assert!(
            WebhookDraft::parse(
                &WebhookInput {
                    verb: "DELETE".into(),
                    body: "".into(),
                    ..input()
                },
                &rules()
            )
            .is_ok()
        );
        let big = "x".repeat(BODY_MAX_BYTES + 1);
        assert!(
            WebhookDraft::parse(
                &WebhookInput {
                    body: big,
                    ..input()
                },
                &rules()
            )
            .is_err()
        );
    }

    #[test]
    fn a_past_expiry_is_refused_unless_it_is_the_one_kept() {
        let expired = WebhookInput {
            valid_until: "2025-06-30".into(),
            ..input()
        };
        let e = WebhookDraft::parse(&expired, &rules()).unwrap_err();
        assert_eq!(
            e.get("valid_until"),
            Some("The expiry date cannot be in the past.")
        );
        let kept = Rules {
            kept_expiry: NaiveDate::from_ymd_opt(2025, 6, 30),
            ..rules()
        };
        assert!(WebhookDraft::parse(&expired, &kept).is_ok());
        let other = WebhookInput {
            valid_until: "2025-06-29".into(),
            ..input()
        };
        assert!(WebhookDraft::parse(&other, &kept).is_err());
    }

    #[test]
    fn project_filters_fit_the_object() {
        let ok = WebhookInput {
            project_filter: "7".into(),
            ..input()
        };
        assert_eq!(
            WebhookDraft::parse(&ok, &rules())
                .unwrap()
                .event
                .project_filter,
            Some(7)
        );
        let unknown = WebhookInput {
            project_filter: "8".into(),
            ..input()
        };
        assert!(WebhookDraft::parse(&unknown, &rules()).is_err());
        let user = WebhookInput {
            project_filter: "7".into(),
            event_object: "user".into(),
            url: "https://e.com/".into(),
            ..input()
        };
        let e = WebhookDraft::parse(&user, &rules()).unwrap_err();
        assert_eq!(
            e.get("event"),
            Some("No project filter can be chosen for User events.")
        );
    }

    #[test]
    fn multilingual_label_is_required_when_on() {
        let r = Rules {
            second_language: Some("fr"),
            ..rules()
        };
        let e = WebhookDraft::parse(&input(), &r).unwrap_err();
        assert_eq!(e.get("second_label"), Some("Wording (fr) is required."));
        let ok = WebhookInput {
            second_label: "Notifier".into(),
            ..input()
        };
        assert_eq!(
            WebhookDraft::parse(&ok, &r)
                .unwrap()
                .second_label
                .as_deref(),
            Some("Notifier")
        );
    }
}
