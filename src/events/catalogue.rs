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
    pub name: &'static str,
    pub kind: FieldKind,
}

const fn field(name: &'static str, kind: FieldKind) -> Field {
    Field { name, kind }
}

const PROJECT_FIELDS: &[Field] = &[
    field("code", FieldKind::Text),
    field("name", FieldKind::Text),
    field("description", FieldKind::Text),
    field("status", FieldKind::Text),
    field("manager", FieldKind::Reference),
    field("start_date", FieldKind::Date),
    field("finish_date", FieldKind::Date),
    field("budget", FieldKind::Number),
    field("priority", FieldKind::Number),
];

const PHASE_FIELDS: &[Field] = &[
    field("project", FieldKind::Reference),
    field("name", FieldKind::Text),
    field("start_date", FieldKind::Date),
    field("finish_date", FieldKind::Date),
    field("status", FieldKind::Text),
    field("progress", FieldKind::Number),
];

const USER_FIELDS: &[Field] = &[
    field("email", FieldKind::Text),
    field("display_name", FieldKind::Text),
    field("active", FieldKind::Boolean),
    field("roles", FieldKind::Text),
];

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

/// How a webhook's event reads on screen and in its history: "Modify · Project · All
/// projects", with the project filter's name when known (none for User events).
pub fn event_label(
    action: &str,
    object: &str,
    project_filter: Option<i64>,
    filter_name: Option<&str>,
) -> String {
    let action = ActionFilter::parse(action).map_or(action, |a| a.label());
    let parsed = ObjectType::parse(object);
    let filter = match (parsed, project_filter) {
        (Some(ObjectType::User), _) => String::new(),
        (_, None) => " · All projects".to_owned(),
        (_, Some(id)) => format!(
            " · {}",
            filter_name.map_or_else(|| format!("project filter #{id}"), str::to_owned)
        ),
    };
    format!(
        "{action} · {}{filter}",
        parsed.map_or(object, |o| o.label())
    )
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
