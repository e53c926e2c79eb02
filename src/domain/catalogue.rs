//! The one list of what fires events: object types × actions, and each object's fields.
//! The webhook form, the matching, the API and the documentation all read it from here.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectType {
    Phase,
    Project,
    User,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Create,
    Modify,
    Delete,
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
    pub const ALL: [ObjectType; 3] = [ObjectType::Phase, ObjectType::Project, ObjectType::User];

    pub fn code(self) -> &'static str {
        match self {
            ObjectType::Phase => "phase",
            ObjectType::Project => "project",
            ObjectType::User => "user",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ObjectType::Phase => "Phase",
            ObjectType::Project => "Project",
            ObjectType::User => "User",
        }
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
        }
    }

    /// Whether webhooks on this object can be narrowed by a project filter.
    pub fn has_project(self) -> bool {
        !matches!(self, ObjectType::User)
    }
}

impl Action {
    pub const ALL: [Action; 3] = [Action::Create, Action::Modify, Action::Delete];

    pub fn code(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Modify => "modify",
            Action::Delete => "delete",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Action::Create => "Create",
            Action::Modify => "Modify",
            Action::Delete => "Delete",
        }
    }

    /// The past tense used in event type names, e.g. `project.created`.
    pub fn past(self) -> &'static str {
        match self {
            Action::Create => "created",
            Action::Modify => "modified",
            Action::Delete => "deleted",
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
}

/// How a webhook's event reads on screen and in its history: "Modify · Project · All
/// projects", "All actions · Phase · Big budgets", "Create · User · by Ann Lee" — the action,
/// the object and what the webhook is narrowed to.
pub fn event_label(action: ActionFilter, object: ObjectType, narrowing: Narrowing<'_>) -> String {
    let mut label = format!("{} · {}", action.label(), object.label());
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
    label
}

/// The event type names a webhook's filter covers, e.g. all three `project.*` for All actions.
pub fn event_types_of(action: ActionFilter, object: ObjectType) -> Vec<String> {
    Action::ALL
        .into_iter()
        .filter(|a| action.matches(*a))
        .map(|a| event_type(object, a))
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
            actions.extend(Action::ALL);
        } else {
            actions.push(
                Action::ALL
                    .into_iter()
                    .find(|x| x.past() == a)
                    .ok_or_else(unknown)?,
            );
        }
    }
    let object = object.ok_or("Choose at least one event type.")?;
    actions.sort_by_key(|a| *a as u8);
    actions.dedup();
    match actions.as_slice() {
        [one] => Ok((ActionFilter::Only(*one), object)),
        all if all.len() == Action::ALL.len() => Ok((ActionFilter::All, object)),
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
        .flat_map(|o| Action::ALL.into_iter().map(move |a| (o, a)))
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
    fn nine_event_types_with_stable_names() {
        let names: Vec<String> = event_types().map(|(o, a)| event_type(o, a)).collect();
        assert_eq!(names.len(), 9);
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
