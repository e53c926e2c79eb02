//! Placeholder templates for webhook URLs, bodies and header values.
//!
//! A placeholder is `{name}` where name is made of lower-case letters, digits, `_` and `.`,
//! such as `{project.name}`. Any other brace is literal text, so a JSON body needs no
//! escaping: in `{"name": "{project.name}"}` only `{project.name}` is a placeholder.

use super::catalogue::ObjectType;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Text(String),
    Placeholder(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    segments: Vec<Segment>,
}

/// Placeholders every event offers, whatever its object.
const COMMON: &[&str] = &[
    "event.type",
    "event.id",
    "event.timestamp",
    "event.change_version",
    "webhook.id",
    "message.id",
    "object.id",
    "object.type",
    "initiator.id",
    "initiator.name",
    "initiator.email",
    "changes",
    "payload",
];

/// The placeholders a webhook on `object` events may use, in documentation order.
pub fn placeholders(object: ObjectType) -> Vec<String> {
    let mut all: Vec<String> = COMMON.iter().map(|s| (*s).to_owned()).collect();
    let own = object.code();
    // `{webhook.id}` is already the id of the webhook sending (its object's is `{object.id}`).
    if !COMMON.contains(&format!("{own}.id").as_str()) {
        all.push(format!("{own}.id"));
    }
    all.extend(object.fields().iter().map(|f| format!("{own}.{}", f.name)));
    if object == ObjectType::Phase {
        all.extend(["project.id", "project.code", "project.name"].map(String::from));
    }
    all
}

/// Whether `object` events offer placeholder `name` (as `placeholders` lists them, without
/// building the list: a body is parsed for every delivery).
fn offers(object: ObjectType, name: &str) -> bool {
    if COMMON.contains(&name) {
        return true;
    }
    let (scope, field) = name.split_once('.').unwrap_or((name, ""));
    if scope == object.code() {
        return field == "id" || object.fields().iter().any(|f| f.name == field);
    }
    object == ObjectType::Phase && scope == "project" && ["id", "code", "name"].contains(&field)
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.'
}

impl Template {
    /// Splits `input` into text and placeholders, refusing placeholders that `object` events
    /// do not offer.
    pub fn parse(input: &str, object: ObjectType) -> Result<Template, String> {
        let mut segments = Vec::new();
        let mut text = String::new();
        let mut rest = input;
        while let Some(open) = rest.find('{') {
            text.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let name_len = after
                .find(|c: char| !is_name_char(c))
                .unwrap_or(after.len());
            let name = &after[..name_len];
            let closed = after[name_len..].starts_with('}');
            if closed && !name.is_empty() && name.starts_with(|c: char| c.is_ascii_lowercase()) {
                if !offers(object, name) {
                    return Err(format!(
                        "Unknown placeholder {{{name}}} for {} events.",
                        object.label()
                    ));
                }
                if !text.is_empty() {
                    segments.push(Segment::Text(std::mem::take(&mut text)));
                }
                segments.push(Segment::Placeholder(name.to_owned()));
                rest = &after[name_len + 1..];
            } else {
                text.push('{');
                rest = after;
            }
        }
        text.push_str(rest);
        if !text.is_empty() {
            segments.push(Segment::Text(text));
        }
        Ok(Template { segments })
    }

    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    pub fn has_placeholders(&self) -> bool {
        self.segments
            .iter()
            .any(|s| matches!(s, Segment::Placeholder(_)))
    }

    /// The template with each placeholder replaced by `value(name)`.
    pub fn render(&self, mut value: impl FnMut(&str) -> String) -> String {
        let mut out = String::new();
        for segment in &self.segments {
            match segment {
                Segment::Text(t) => out.push_str(t),
                Segment::Placeholder(p) => out.push_str(&value(p)),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_placeholders_a_body_may_use_are_exactly_those_listed() {
        for object in [ObjectType::Project, ObjectType::Phase, ObjectType::User] {
            let listed = placeholders(object);
            for name in &listed {
                assert!(offers(object, name), "{name} for {object:?}");
            }
            let others = [ObjectType::Project, ObjectType::Phase, ObjectType::User]
                .iter()
                .flat_map(|o| placeholders(*o))
                .chain(
                    ["project", "project.", "event", "nope.id", "project.nope"].map(String::from),
                );
            for name in others.filter(|n| !listed.contains(n)) {
                assert!(!offers(object, &name), "{name} for {object:?}");
            }
        }
    }

    #[test]
    fn json_braces_are_text_and_names_are_placeholders() {
        let t = Template::parse(
            r#"{"name": "{project.name}", "n": {object.id}}"#,
            ObjectType::Project,
        )
        .unwrap();
        assert_eq!(
            t.segments(),
            &[
                Segment::Text(r#"{"name": ""#.into()),
                Segment::Placeholder("project.name".into()),
                Segment::Text(r#"", "n": "#.into()),
                Segment::Placeholder("object.id".into()),
                Segment::Text("}".into()),
            ]
        );
        assert_eq!(
            t.render(|p| p.to_uppercase()),
            r#"{"name": "PROJECT.NAME", "n": OBJECT.ID}"#
        );
    }

    #[test]
    fn unknown_or_foreign_placeholders_are_refused() {
        let err = Template::parse("/x/{projet.name}", ObjectType::Project).unwrap_err();
        assert_eq!(err, "Unknown placeholder {projet.name} for Project events.");
        assert!(Template::parse("{phase.name}", ObjectType::Project).is_err());
        assert!(Template::parse("{project.name}", ObjectType::User).is_err());
        assert!(Template::parse("{project.name}", ObjectType::Phase).is_ok());
        assert!(Template::parse("{user.email}", ObjectType::User).is_ok());
    }

    #[test]
    fn stray_and_unclosed_braces_are_text() {
        for input in ["{", "}", "{ }", "{Project}", "{a b}", "{{x", "{1abc}"] {
            let t = Template::parse(input, ObjectType::Project).unwrap();
            assert!(!t.has_placeholders(), "{input}");
            assert_eq!(t.render(|_| unreachable!()), input);
        }
    }
}
