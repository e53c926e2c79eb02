//! Which detail fields changed between two attribute maps, as Projectrak lists them: name,
//! type, previous and current value.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::domain::catalogue::{FieldKind, ObjectType};

/// Fields in alphabetical order, as payloads have always listed them: the stored list then
/// goes into a payload as it is, without being parsed and written again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub current: Value,
    pub name: String,
    pub previous: Value,
    #[serde(rename = "type")]
    pub kind: String,
}

fn kind_name(kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::Text => "text",
        FieldKind::Date => "date",
        FieldKind::Number => "number",
        FieldKind::Boolean => "boolean",
        FieldKind::Reference => "reference",
    }
}

/// The changed detail fields, in catalogue order. A missing side (create, delete) counts as
/// all nulls, so a creation lists every field that has a value.
pub fn diff(
    object: ObjectType,
    before: Option<&Map<String, Value>>,
    after: Option<&Map<String, Value>>,
) -> Vec<FieldChange> {
    let get = |m: Option<&Map<String, Value>>, k: &str| {
        m.and_then(|m| m.get(k)).cloned().unwrap_or(Value::Null)
    };
    object
        .fields()
        .iter()
        .filter_map(|f| {
            let (previous, current) = (get(before, f.name), get(after, f.name));
            (previous != current).then(|| FieldChange {
                name: f.name.to_owned(),
                kind: kind_name(f.kind).to_owned(),
                previous,
                current,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn lists_only_changed_detail_fields() {
        let before = map(json!({"name": "A", "status": "Active", "budget": 10, "ignored": 1}));
        let after = map(json!({"name": "B", "status": "Active", "budget": null, "ignored": 2}));
        let changes = diff(ObjectType::Project, Some(&before), Some(&after));
        let names: Vec<&str> = changes.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, vec!["name", "budget"]);
        assert_eq!(changes[1].previous, json!(10));
        assert_eq!(changes[1].current, Value::Null);
        assert_eq!(changes[1].kind, "number");
        assert!(diff(ObjectType::Project, Some(&before), Some(&before)).is_empty());
    }
}
