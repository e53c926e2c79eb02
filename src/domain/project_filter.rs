//! Saved project filters: criteria over project fields, combined with AND, evaluated on a
//! project's attributes (the same values a payload carries).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::domain::catalogue::FieldKind;
use crate::domain::catalogue::ObjectType;

pub const MAX_CRITERIA: usize = 10;
pub const VALUE_MAX_CHARS: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    Contains,
    Equals,
    NotEquals,
    Before,
    After,
    Greater,
    Less,
}

impl Operator {
    pub const ALL: [Operator; 7] = [
        Operator::Contains,
        Operator::Equals,
        Operator::NotEquals,
        Operator::Before,
        Operator::After,
        Operator::Greater,
        Operator::Less,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Operator::Contains => "contains",
            Operator::Equals => "equals",
            Operator::NotEquals => "not_equals",
            Operator::Before => "before",
            Operator::After => "after",
            Operator::Greater => "greater",
            Operator::Less => "less",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Operator::Contains => "contains",
            Operator::Equals => "equals",
            Operator::NotEquals => "does not equal",
            Operator::Before => "is before",
            Operator::After => "is after",
            Operator::Greater => "is greater than",
            Operator::Less => "is less than",
        }
    }

    fn fits(self, kind: FieldKind) -> bool {
        use Operator::*;
        match kind {
            FieldKind::Text | FieldKind::Reference => matches!(self, Contains | Equals | NotEquals),
            FieldKind::Date => matches!(self, Equals | NotEquals | Before | After),
            FieldKind::Number => matches!(self, Equals | NotEquals | Greater | Less),
            FieldKind::Boolean => matches!(self, Equals | NotEquals),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Criterion {
    pub field: String,
    pub operator: Operator,
    pub value: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProjectCriteria(pub Vec<Criterion>);

fn kind_of(field: &str) -> Option<FieldKind> {
    ObjectType::Project
        .fields()
        .iter()
        .find(|f| f.name == field)
        .map(|f| f.kind)
}

impl ProjectCriteria {
    /// From rows of (field, operator, value); rows with no field are skipped.
    pub fn parse(rows: &[(String, String, String)]) -> Result<Self, String> {
        let mut out = Vec::new();
        for (i, (field, op, value)) in rows
            .iter()
            .enumerate()
            .filter(|(_, (f, _, _))| !f.trim().is_empty())
        {
            let n = i + 1;
            let field = field.trim();
            let kind = kind_of(field)
                .ok_or_else(|| format!("Criterion {n}: choose a project field from the list."))?;
            let operator = Operator::ALL
                .into_iter()
                .find(|o| o.code() == op.trim())
                .ok_or_else(|| format!("Criterion {n}: choose an operator from the list."))?;
            if !operator.fits(kind) {
                return Err(format!(
                    "Criterion {n}: “{}” cannot be used with {field}.",
                    operator.label()
                ));
            }
            let value = value.trim();
            if value.chars().count() > VALUE_MAX_CHARS {
                return Err(format!(
                    "Criterion {n}: the value must be at most {VALUE_MAX_CHARS} characters."
                ));
            }
            match kind {
                FieldKind::Date
                    if crate::domain::project::parse_date(value, "date").is_err()
                        || value.is_empty() =>
                {
                    return Err(format!("Criterion {n}: enter a date as YYYY-MM-DD."));
                }
                FieldKind::Number if value.parse::<f64>().is_err() => {
                    return Err(format!("Criterion {n}: enter a number."));
                }
                _ => {}
            }
            out.push(Criterion {
                field: field.to_owned(),
                operator,
                value: value.to_owned(),
            });
        }
        if out.is_empty() {
            return Err("Add at least one criterion.".into());
        }
        if out.len() > MAX_CRITERIA {
            return Err(format!("At most {MAX_CRITERIA} criteria."));
        }
        Ok(Self(out))
    }

    /// Whether a project with these attributes passes every criterion.
    pub fn matches(&self, project: &Map<String, Value>) -> bool {
        self.0
            .iter()
            .all(|c| c.matches(project.get(&c.field).unwrap_or(&Value::Null)))
    }

    /// The criteria in words, fields by their labels: Status equals “Active” and …
    pub fn summary(&self, object: ObjectType) -> String {
        let label = |name: &str| {
            object
                .fields()
                .iter()
                .find(|f| f.name == name)
                .map_or_else(|| name.to_owned(), |f| f.label.to_owned())
        };
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|c| format!("{} {} “{}”", label(&c.field), c.operator.label(), c.value))
            .collect();
        parts.join(" and ")
    }
}

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

impl Criterion {
    fn matches(&self, value: &Value) -> bool {
        let text = as_text(value);
        let number = value
            .as_f64()
            .or_else(|| text.as_deref().and_then(|t| t.parse().ok()));
        let wanted = self.value.as_str();
        match self.operator {
            Operator::Contains => {
                text.is_some_and(|t| t.to_lowercase().contains(&wanted.to_lowercase()))
            }
            Operator::Equals => equal(text.as_deref(), number, wanted),
            Operator::NotEquals => !equal(text.as_deref(), number, wanted),
            Operator::Before => text.is_some_and(|t| t.as_str() < wanted),
            Operator::After => text.is_some_and(|t| t.as_str() > wanted),
            Operator::Greater => number
                .zip(wanted.parse::<f64>().ok())
                .is_some_and(|(n, w)| n > w),
            Operator::Less => number
                .zip(wanted.parse::<f64>().ok())
                .is_some_and(|(n, w)| n < w),
        }
    }
}

fn equal(text: Option<&str>, number: Option<f64>, wanted: &str) -> bool {
    match (number, wanted.parse::<f64>()) {
        (Some(n), Ok(w)) => n == w,
        _ => text.unwrap_or("").eq_ignore_ascii_case(wanted),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rows(r: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
        r.iter()
            .map(|(a, b, c)| ((*a).into(), (*b).into(), (*c).into()))
            .collect()
    }

    fn project() -> Map<String, Value> {
        json!({"code": "PRJ-7", "name": "Apollo launch", "status": "Active", "manager": "ann@example.com",
               "start_date": "2026-03-01", "finish_date": null, "budget": 5000, "priority": 2})
        .as_object()
        .unwrap()
        .clone()
    }

    #[test]
    fn each_operator() {
        let p = project();
        let check = |f, o, v| {
            ProjectCriteria::parse(&rows(&[(f, o, v)]))
                .unwrap()
                .matches(&p)
        };
        assert!(check("name", "contains", "LAUNCH"));
        assert!(!check("name", "contains", "mars"));
        assert!(check("status", "equals", "active"));
        assert!(check("status", "not_equals", "Draft"));
        assert!(check("start_date", "before", "2026-04-01"));
        assert!(!check("start_date", "after", "2026-04-01"));
        assert!(
            !check("finish_date", "before", "2030-01-01"),
            "an empty date is neither before nor after"
        );
        assert!(check("budget", "greater", "4999"));
        assert!(check("budget", "less", "5000.5"));
        assert!(check("priority", "equals", "2"));
        assert!(check("manager", "equals", "ann@example.com"));
    }

    #[test]
    fn criteria_combine_with_and() {
        let both = ProjectCriteria::parse(&rows(&[
            ("status", "equals", "Active"),
            ("budget", "greater", "10000"),
        ]))
        .unwrap();
        assert!(!both.matches(&project()));
    }

    #[test]
    fn bad_criteria_are_refused() {
        for (r, needle) in [
            (rows(&[("salary", "equals", "1")]), "choose a project field"),
            (rows(&[("name", "before", "x")]), "cannot be used with name"),
            (rows(&[("budget", "greater", "lots")]), "enter a number"),
            (rows(&[("start_date", "after", "soon")]), "YYYY-MM-DD"),
            (rows(&[("name", "like", "x")]), "choose an operator"),
            (rows(&[]), "at least one"),
        ] {
            let err = ProjectCriteria::parse(&r).unwrap_err();
            assert!(err.contains(needle), "{err}");
        }
    }
}
