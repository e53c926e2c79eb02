//! Criteria of the webhook list's filter, as saved and as applied.

use serde::{Deserialize, Serialize};

use crate::domain::catalogue::{ActionFilter, ObjectType};

pub const CONTAINS_MAX_CHARS: usize = 200;

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct ListCriteria {
    /// Text found in the wording, description or URL.
    pub contains: String,
    pub active: Option<bool>,
    #[serde(with = "crate::domain::code::optional_code")]
    pub object: Option<ObjectType>,
    #[serde(with = "crate::domain::code::optional_code")]
    pub action: Option<ActionFilter>,
}

impl ListCriteria {
    /// From the filter form's fields: "" means any; unknown codes are refused.
    pub fn parse(contains: &str, active: &str, object: &str, action: &str) -> Result<Self, String> {
        let contains = contains.trim();
        if contains.chars().count() > CONTAINS_MAX_CHARS {
            return Err(format!(
                "Contains must be at most {CONTAINS_MAX_CHARS} characters."
            ));
        }
        let active = match active {
            "" => None,
            "yes" => Some(true),
            "no" => Some(false),
            _ => return Err("Choose Active: any, yes or no.".into()),
        };
        let object = match object {
            "" => None,
            code => Some(ObjectType::parse(code).ok_or("Choose an object type from the list.")?),
        };
        let action = match action {
            "" => None,
            code => Some(ActionFilter::parse(code).ok_or("Choose an action from the list.")?),
        };
        Ok(Self {
            contains: contains.to_owned(),
            active,
            object,
            action,
        })
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// A short description for the list's "Filter:" line.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if !self.contains.is_empty() {
            parts.push(format!("Contains “{}”", self.contains));
        }
        if let Some(active) = self.active {
            parts.push(if active {
                "Active".to_owned()
            } else {
                "Inactive".to_owned()
            });
        }
        if let Some(o) = self.object {
            parts.push(o.label().to_owned());
        }
        if let Some(a) = self.action {
            parts.push(a.label().to_owned());
        }
        if parts.is_empty() {
            "All".to_owned()
        } else {
            parts.join(" · ")
        }
    }

    pub fn active_code(&self) -> &'static str {
        match self.active {
            None => "",
            Some(true) => "yes",
            Some(false) => "no",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_summarises() {
        let c = ListCriteria::parse(" crm ", "yes", "project", "modify").unwrap();
        assert_eq!(c.summary(), "Contains “crm” · Active · Project · Modify");
        assert!(ListCriteria::parse("", "", "", "").unwrap().is_empty());
        assert!(ListCriteria::parse("", "maybe", "", "").is_err());
        assert!(ListCriteria::parse("", "", "task", "").is_err());
        assert!(ListCriteria::parse(&"x".repeat(201), "", "", "").is_err());
    }
}

#[cfg(test)]
mod stored {
    use super::*;

    #[test]
    fn criteria_are_saved_with_codes_and_read_back_whole() {
        let c = ListCriteria::parse("crm", "yes", "project", "modify").unwrap();
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(
            json,
            r#"{"contains":"crm","active":true,"object":"project","action":"modify"}"#
        );
        assert_eq!(serde_json::from_str::<ListCriteria>(&json).unwrap(), c);
        assert_eq!(
            serde_json::from_str::<ListCriteria>("{}").unwrap(),
            ListCriteria::default()
        );
        assert!(serde_json::from_str::<ListCriteria>(r#"{"object":"task"}"#).is_err());
    }
}
