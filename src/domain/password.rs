//! A password someone chooses. Length rules follow NIST SP 800-63B: long passphrases welcome,
//! no composition rules, and an upper bound so hashing cannot be used to exhaust the server.

use super::Secret;

pub const PASSWORD_MIN_CHARS: usize = 12;
pub const PASSWORD_MAX_CHARS: usize = 128;

#[derive(Debug, Clone)]
pub struct NewPassword(Secret);

impl NewPassword {
    pub fn parse(input: &str, confirmation: &str) -> Result<Self, String> {
        let chars = input.chars().count();
        if chars < PASSWORD_MIN_CHARS {
            return Err(format!(
                "Password must be at least {PASSWORD_MIN_CHARS} characters."
            ));
        }
        if chars > PASSWORD_MAX_CHARS {
            return Err(format!(
                "Password must be at most {PASSWORD_MAX_CHARS} characters."
            ));
        }
        if input.trim().is_empty() {
            return Err("Password cannot be only spaces.".into());
        }
        if input != confirmation {
            return Err("The two passwords do not match.".into());
        }
        Ok(Self(Secret::new(input)))
    }

    pub fn secret(&self) -> &Secret {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enforces_length_and_confirmation() {
        assert!(NewPassword::parse("correct horse battery", "correct horse battery").is_ok());
        assert!(NewPassword::parse("short", "short").is_err());
        let long = "x".repeat(PASSWORD_MAX_CHARS + 1);
        assert!(NewPassword::parse(&long, &long).is_err());
        assert!(NewPassword::parse(&" ".repeat(20), &" ".repeat(20)).is_err());
        let err = NewPassword::parse("correct horse battery", "correct horse batterz").unwrap_err();
        assert!(err.contains("do not match"));
    }
}
