//! The name shown for a user across the UI and in event payloads.

use std::fmt;

pub const DISPLAY_NAME_MAX_CHARS: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(input: &str) -> Result<Self, String> {
        let value = input.trim();
        if value.is_empty() {
            return Err("Display name is required.".into());
        }
        if value.chars().count() > DISPLAY_NAME_MAX_CHARS {
            return Err(format!(
                "Display name must be at most {DISPLAY_NAME_MAX_CHARS} characters."
            ));
        }
        if value.chars().any(char::is_control) {
            return Err("Display name cannot contain control characters.".into());
        }
        Ok(Self(value.to_owned()))
    }
}

impl AsRef<str> for DisplayName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DisplayName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_limits() {
        assert_eq!(
            DisplayName::parse("  Ann Lee ").unwrap().as_ref(),
            "Ann Lee"
        );
        assert!(DisplayName::parse(" ").is_err());
        assert!(DisplayName::parse(&"x".repeat(101)).is_err());
        assert!(DisplayName::parse("a\nb").is_err());
    }
}
