//! A new API token as the token screen and the command line describe it.

use chrono::NaiveDate;

use super::ids::UserId;
use super::{FieldErrors, Scope, ScopeSet};

pub const NAME_MAX_CHARS: usize = 100;

#[derive(Debug, Clone, Default)]
pub struct TokenInput {
    pub name: String,
    pub user: String,
    pub scopes: Vec<String>,
    /// The last day the token works, YYYY-MM-DD; empty for no expiry.
    pub expires_on: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenDraft {
    pub name: String,
    pub user_id: UserId,
    pub scopes: ScopeSet,
    pub expires_on: Option<NaiveDate>,
}

impl TokenDraft {
    pub fn parse(input: &TokenInput, today: NaiveDate) -> Result<TokenDraft, FieldErrors> {
        let mut e = FieldErrors::new();
        let name = input.name.trim();
        if name.is_empty() {
            e.add("name", "Name is required.");
        } else if name.chars().count() > NAME_MAX_CHARS {
            e.add(
                "name",
                format!("Name must be at most {NAME_MAX_CHARS} characters."),
            );
        } else if name.chars().any(char::is_control) {
            e.add("name", "Name must be a single line.");
        }
        let user_id = input.user.trim().parse::<UserId>().ok();
        if user_id.is_none() {
            e.add("user", "Choose the user the token acts for.");
        }
        let mut scopes = ScopeSet::default();
        for code in &input.scopes {
            match Scope::parse(code) {
                Some(s) => scopes.insert(s),
                None => e.add("scopes", format!("Unknown scope: {}.", code.trim())),
            }
        }
        if scopes.is_empty() {
            e.add("scopes", "Choose at least one scope.");
        }
        let expires_on = match input.expires_on.trim() {
            "" => None,
            text => match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
                Ok(d) if d < today => {
                    e.add("expires_on", "The expiry date cannot be in the past.");
                    None
                }
                Ok(d) => Some(d),
                Err(_) => {
                    e.add("expires_on", "Enter the expiry date as YYYY-MM-DD.");
                    None
                }
            },
        };
        match user_id {
            Some(user_id) if e.is_empty() => Ok(TokenDraft {
                name: name.to_owned(),
                user_id,
                scopes,
                expires_on,
            }),
            _ => Err(e),
        }
    }

    /// The first instant the token no longer works: the day after its last day, 00:00 UTC.
    pub fn expires_at_ms(&self) -> Option<i64> {
        self.expires_on.and_then(|d| {
            d.succ_opt()?
                .and_hms_opt(0, 0, 0)
                .map(|t| t.and_utc().timestamp_millis())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
    }

    #[test]
    fn every_error_at_once() {
        let e = TokenDraft::parse(
            &TokenInput {
                name: " ".into(),
                user: "x".into(),
                scopes: vec!["root".into()],
                expires_on: "2026-11-21".into(),
            },
            today(),
        )
        .unwrap_err();
        assert_eq!(e.get("name"), Some("Name is required."));
        assert!(e.get("user").is_some());
        assert_eq!(e.get("scopes"), Some("Unknown scope: root."));
        assert_eq!(
            e.get("expires_on"),
            Some("The expiry date cannot be in the past.")
        );
    }

    #[test]
    fn a_token_works_through_its_last_day() {
        let d = TokenDraft::parse(
            &TokenInput {
                name: "CI".into(),
                user: "1".into(),
                scopes: vec!["webhooks.read".into()],
                expires_on: "2026-11-22".into(),
            },
            today(),
        )
        .unwrap();
        let end = NaiveDate::from_ymd_opt(2026, 11, 23)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp_millis();
        assert_eq!(d.expires_at_ms(), Some(end));
    }
}
