//! An email address as users sign in with it: trimmed, lower-cased, syntactically valid.

use std::fmt;

use validator::ValidateEmail;

pub const EMAIL_MAX_CHARS: usize = 254;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, String> {
        let value = input.trim().to_lowercase();
        if value.is_empty() {
            return Err("Email is required.".into());
        }
        if value.chars().count() > EMAIL_MAX_CHARS {
            return Err(format!(
                "Email must be at most {EMAIL_MAX_CHARS} characters."
            ));
        }
        if !value.validate_email() {
            return Err("Enter a valid email address, such as name@example.com.".into());
        }
        Ok(Self(value))
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_space() {
        assert_eq!(
            Email::parse("  Ann@Example.COM ").unwrap().as_ref(),
            "ann@example.com"
        );
    }

    #[test]
    fn accepts_the_first_administrator_address() {
        assert!(Email::parse("admin@localhost").is_ok());
    }

    #[test]
    fn refuses_bad_addresses() {
        for bad in [
            "",
            "   ",
            "plain",
            "a@",
            "@b.c",
            "a b@c.d",
            "a@b@c",
            "a@b.c\r\nBcc: x@y.z",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(Email::parse(&long).is_err());
    }
}
