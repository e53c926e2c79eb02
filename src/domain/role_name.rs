//! A role's name, unique without regard to case (the database enforces uniqueness), and
//! its kind.

use std::fmt;

pub const ROLE_NAME_MAX_CHARS: usize = 60;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleName(String);

impl RoleName {
    pub fn parse(input: &str) -> Result<Self, String> {
        let value = input.trim();
        if value.is_empty() {
            return Err("Name is required.".into());
        }
        if value.chars().count() > ROLE_NAME_MAX_CHARS {
            return Err(format!(
                "Name must be at most {ROLE_NAME_MAX_CHARS} characters."
            ));
        }
        if value.chars().any(char::is_control) {
            return Err("Name cannot contain control characters.".into());
        }
        Ok(Self(value.to_owned()))
    }
}

impl AsRef<str> for RoleName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RoleName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Administrator holds every right, present and future; built-in roles are read-only;
/// custom roles are made by administrators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleKind {
    Administrator,
    Builtin,
    Custom,
}

impl super::Coded for RoleKind {
    const ALL: &'static [Self] = &[Self::Administrator, Self::Builtin, Self::Custom];

    fn code(self) -> &'static str {
        match self {
            Self::Administrator => "administrator",
            Self::Builtin => "builtin",
            Self::Custom => "custom",
        }
    }
}
