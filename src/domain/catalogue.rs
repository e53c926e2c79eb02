//! The one list of what fires events: object types × actions, and each object's fields.
//! The webhook form, the matching, the API and the documentation all read it from here.
//!
//! Projects, phases and users are created, modified and deleted by people; webhooks and
//! deliveries are Hookline's own objects, whose one event each (`webhook.disabled`,
//! `delivery.dead`) lets a webhook tell a team when another one is in trouble.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectType {
    Phase,
    Project,
    User,
    /// Operational: a webhook Hookline turned off.
    Webhook,
    /// Operational: a delivery that failed for good.
    Delivery,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Create,
    Modify,
    Delete,
    /// A webhook turned off by Hookline (its receiver is gone or keeps failing).
    Disable,
    /// A delivery given up after its last try.
    Die,
}

/// What a webhook listens to: one action, or all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionFilter {
    All,
    Only(Action),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    Date,
    Number,
    Boolean,
    /// The id of another object, e.g. a project's manager.
    Reference,
}

#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// As payloads and `changedFields` name it.
    pub name: &'static str,
    /// As screens name it.
    pub label: &'static str,
    pub kind: FieldKind,
}

const fn field(name: &'static str, label: &'static str, kind: FieldKind) -> Field {
    Field { name, label, kind }
}

const PROJECT_FIELDS: &[Field] = &[
    field("code", "Code", FieldKind::Text),
    field("name", "Name", FieldKind::Text),
    field("description", "Description", FieldKind::Text),
    field("status", "Status", FieldKind::Text),
    field("manager", "Manager", FieldKind::Reference),
    field("start_date", "Start date", FieldKind::Date),
    field("finish_date", "Finish date", FieldKind::Date),
    field("budget", "Budget", FieldKind::Number),
    field("priority", "Priority", FieldKind::Number),
];

const PHASE_FIELDS: &[Field] = &[
    field("project", "Project", FieldKind::Reference),
    field("name", "Name", FieldKind::Text),
    field("start_date", "Start date", FieldKind::Date),
    field("finish_date", "Finish date", FieldKind::Date),
    field("status", "Status", FieldKind::Text),
    field("progress", "Progress", FieldKind::Number),
];

const USER_FIELDS: &[Field] = &[
    field("email", "Email", FieldKind::Text),
    field("display_name", "Display name", FieldKind::Text),
    field("active", "Active", FieldKind::Boolean),
    field("roles", "Roles", FieldKind::Text),
];

// A webhook's URL is left out on purpose: it often carries the receiver's own secret.
const WEBHOOK_FIELDS: &[Field] = &[
    field("wording", "Wording", FieldKind::Text),
    field("disabled_reason", "Reason", FieldKind::Text),
    field("failing_since", "Failing since", FieldKind::Date),
    field("failures", "Failures in a row", FieldKind::Number),
];

const DELIVERY_FIELDS: &[Field] = &[
    field("message_id", "Message id", FieldKind::Text),
    field("webhook", "Webhook", FieldKind::Reference),
    field("webhook_wording", "Webhook wording", FieldKind::Text),
    field("event_id", "Event id", FieldKind::Text),
    field("event_type", "Event type", FieldKind::Text),
    field("attempts", "Attempts", FieldKind::Number),
    field("last_error", "Last error", FieldKind::Text),
];

const CHANGES: &[Action] = &[Action::Create, Action::Modify, Action::Delete];

impl super::Coded for ObjectType {
    const ALL: &'static [Self] = &ObjectType::ALL;

    fn code(self) -> &'static str {
        ObjectType::code(self)
    }
}

impl super::Coded for Action {
    const ALL: &'static [Self] = &Action::ALL;

    fn code(self) -> &'static str {
        Action::code(self)
    }
}

impl super::Coded for ActionFilter {
    const ALL: &'static [Self] = &ActionFilter::ALL;

    fn code(self) -> &'static str {
        ActionFilter::code(self)
    }
}

impl ObjectType {
    pub const ALL: [ObjectType; 5] = [
        ObjectType::Phase,
        ObjectType::Project,
        ObjectType::User,
        ObjectType::Webhook,
        ObjectType::Delivery,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ObjectType::Phase => "phase",
            ObjectType::Project => "project",
            ObjectType::User => "user",
            ObjectType::Webhook => "webhook",
            ObjectType::Delivery => "delivery",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ObjectType::Phase => "Phase",
            ObjectType::Project => "Project",
            ObjectType::User => "User",
            ObjectType::Webhook => "Webhook",
            ObjectType::Delivery => "Delivery",
        }
    }

    /// What can happen to it: a person's create, modify and delete, or Hookline's one
    /// operational event.
    pub fn actions(self) -> &'static [Action] {
        match self {
            ObjectType::Phase | ObjectType::Project | ObjectType::User => CHANGES,
            ObjectType::Webhook => &[Action::Disable],
            ObjectType::Delivery => &[Action::Die],
        }
    }

    /// Hookline's own objects: their events are told asynchronously (there is no change to
    /// stop) and never to the webhook they are about.
    pub fn is_operational(self) -> bool {
        matches!(self, ObjectType::Webhook | ObjectType::Delivery)
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.code() == code)
    }

    /// The detail fields: a modification fires only when one of them changes.
    pub fn fields(self) -> &'static [Field] {
        match self {
            ObjectType::Phase => PHASE_FIELDS,
            ObjectType::Project => PROJECT_FIELDS,
            ObjectType::User => USER_FIELDS,
            ObjectType::Webhook => WEBHOOK_FIELDS,
            ObjectType::Delivery => DELIVERY_FIELDS,
        }
    }

    /// Whether webhooks on this object can be narrowed by a project filter.
    pub fn has_project(self) -> bool {
        matches!(self, ObjectType::Phase | ObjectType::Project)
    }
}

impl Action {
    pub const ALL: [Action; 5] = [
        Action::Create,
        Action::Modify,
        Action::Delete,
        Action::Disable,
        Action::Die,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Modify => "modify",
            Action::Delete => "delete",
            Action::Disable => "disable",
            Action::Die => "die",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Action::Create => "Create",
            Action::Modify => "Modify",
            Action::Delete => "Delete",
            Action::Disable => "Disabled",
            Action::Die => "Dead",
        }
    }

    /// The past tense used in event type names, e.g. `project.created`.
    pub fn past(self) -> &'static str {
        match self {
            Action::Create => "created",
            Action::Modify => "modified",
            Action::Delete => "deleted",
            Action::Disable => "disabled",
            Action::Die => "dead",
        }
    }
}

impl ActionFilter {
    pub const ALL: [ActionFilter; 4] = [
        ActionFilter::All,
        ActionFilter::Only(Action::Create),
        ActionFilter::Only(Action::Modify),
        ActionFilter::Only(Action::Delete),
    ];

    pub fn code(self) -> &'static str {
        match self {
            ActionFilter::All => "all",
            ActionFilter::Only(a) => a.code(),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ActionFilter::All => "All actions",
            ActionFilter::Only(a) => a.label(),
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.code() == code)
    }

    pub fn matches(self, action: Action) -> bool {
        match self {
            ActionFilter::All => true,
            ActionFilter::Only(a) => a == action,
        }
    }
}

/// An event type name such as `phase.modified`.
pub fn event_type(object: ObjectType, action: Action) -> String {
    format!("{}.{}", object.code(), action.past())
}

/// What a webhook is narrowed to, by name, for its Event label.
#[derive(Debug, Clone, Copy, Default)]
pub struct Narrowing<'a> {
    /// Its project filter's name (`Some("")` when only the filter's id is known).
    pub project_filter: Option<&'a str>,
    /// The single project it fires for (its code).
    pub project: Option<&'a str>,
    /// The user whose changes alone fire it.
    pub initiator: Option<&'a str>,
    /// The fields one of which a modification must change ("status, budget").
    pub triggers: Option<&'a str>,
}

/// How a webhook's event reads on screen and in its history: "Modify · Project · All
/// projects", "All actions · Phase · Big budgets", "Create · User · by Ann Lee",
/// "Disabled · Webhook" — the action, the object and what the webhook is narrowed to.
pub fn event_label(action: ActionFilter, object: ObjectType, narrowing: Narrowing<'_>) -> String {
    let action = match (action, object.actions()) {
        (ActionFilter::All, [only]) => only.label(),
        _ => action.label(),
    };
    let mut label = format!("{action} · {}", object.label());
    if object.has_project() {
        label.push_str(" · ");
        match (narrowing.project, narrowing.project_filter) {
            (Some(code), _) => {
                label.push_str("project ");
                label.push_str(code);
            }
            (None, Some(name)) if !name.is_empty() => label.push_str(name),
            (None, Some(_)) => label.push_str("a project filter"),
            (None, None) => label.push_str("All projects"),
        }
    }
    if let Some(user) = narrowing.initiator {
        label.push_str(" · by ");
        label.push_str(user);
    }
    if let Some(fields) = narrowing.triggers.filter(|f| !f.is_empty()) {
        label.push_str(" · when ");
        label.push_str(fields);
        label.push_str(" changes");
    }
    label
}

/// The event type names a webhook's filter covers, e.g. all three `project.*` for All actions.
pub fn event_types_of(action: ActionFilter, object: ObjectType) -> Vec<String> {
    object
        .actions()
        .iter()
        .filter(|a| action.matches(**a))
        .map(|a| event_type(object, *a))
        .collect()
}

/// Reads event type names as the API receives them: one type (`project.created`), or all
/// of one object type (`project.*`, or its three names), which is what a webhook can hold.
pub fn parse_event_types(names: &[String]) -> Result<(ActionFilter, ObjectType), String> {
    let mut object = None;
    let mut actions = Vec::new();
    for name in names {
        let name = name.trim();
        let unknown = || {
            format!(
                "Unknown event type: {name}. The event types are listed at /api/v1/event-types."
            )
        };
        let (o, a) = name.split_once('.').ok_or_else(unknown)?;
        let o = ObjectType::parse(o).ok_or_else(unknown)?;
        if object.is_some_and(|prev| prev != o) {
            return Err("All event types of a webhook must be of one object type.".into());
        }
        object = Some(o);
        if a == "*" {
            actions.extend(o.actions());
        } else {
            actions.push(
                o.actions()
                    .iter()
                    .copied()
                    .find(|x| x.past() == a)
                    .ok_or_else(unknown)?,
            );
        }
    }
    let object = object.ok_or("Choose at least one event type.")?;
    actions.sort_by_key(|a| *a as u8);
    actions.dedup();
    match actions.as_slice() {
        // An object with one event (webhook.disabled) is listened to whole.
        all if all.len() == object.actions().len() => Ok((ActionFilter::All, object)),
        [one] => Ok((ActionFilter::Only(*one), object)),
        _ => Err(format!(
            "Choose one event type, or all of one object type ({}.*).",
            object.code()
        )),
    }
}

/// Every event type, in catalogue order.
pub fn event_types() -> impl Iterator<Item = (ObjectType, Action)> {
    ObjectType::ALL
        .into_iter()
        .flat_map(|o| o.actions().iter().map(move |a| (o, *a)))
}

impl fmt::Display for ObjectType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eleven_event_types_with_stable_names() {
        let names: Vec<String> = event_types().map(|(o, a)| event_type(o, a)).collect();
        assert_eq!(names.len(), 11);
        assert!(names.contains(&"webhook.disabled".to_owned()));
        assert!(names.contains(&"delivery.dead".to_owned()));
        assert!(names.contains(&"project.created".to_owned()));
        assert!(names.contains(&"phase.modified".to_owned()));
        assert!(names.contains(&"user.deleted".to_owned()));
    }

    #[test]
    fn event_type_lists_map_to_a_webhook_filter() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            parse_event_types(&names(&["project.created"])),
            Ok((ActionFilter::Only(Action::Create), ObjectType::Project))
        );
        assert_eq!(
            parse_event_types(&names(&["phase.*"])),
            Ok((ActionFilter::All, ObjectType::Phase))
        );
        assert_eq!(
            parse_event_types(&names(&["user.created", "user.modified", "user.deleted"])),
            Ok((ActionFilter::All, ObjectType::User))
        );
        assert!(
            parse_event_types(&names(&["task.created"]))
                .unwrap_err()
                .starts_with("Unknown event type: task.created.")
        );
        assert!(parse_event_types(&names(&["project.created", "user.created"])).is_err());
        assert!(parse_event_types(&names(&["project.created", "project.deleted"])).is_err());
        assert!(parse_event_types(&[]).is_err());
        assert_eq!(
            parse_event_types(&names(&["webhook.disabled"])),
            Ok((ActionFilter::All, ObjectType::Webhook))
        );
        assert_eq!(
            parse_event_types(&names(&["delivery.*"])),
            Ok((ActionFilter::All, ObjectType::Delivery))
        );
        assert!(parse_event_types(&names(&["webhook.created"])).is_err());
        assert!(parse_event_types(&names(&["project.dead"])).is_err());
        for a in ActionFilter::ALL {
            let types = event_types_of(a, ObjectType::Phase);
            assert_eq!(parse_event_types(&types), Ok((a, ObjectType::Phase)));
        }
    }

    #[test]
    fn codes_round_trip() {
        for o in ObjectType::ALL {
            assert_eq!(ObjectType::parse(o.code()), Some(o));
        }
        for a in ActionFilter::ALL {
            assert_eq!(ActionFilter::parse(a.code()), Some(a));
        }
        assert_eq!(ObjectType::parse("task"), None);
        assert!(ActionFilter::All.matches(Action::Delete));
        assert!(!ActionFilter::Only(Action::Create).matches(Action::Delete));
    }
}
