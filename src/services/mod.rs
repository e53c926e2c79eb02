//! The user actions, one function each and one transaction each. The web UI, the command line
//! and (later) the API all call these.

pub mod accounts;
pub mod api_tokens;
pub mod audit;
pub mod backup;
pub mod bootstrap;
pub mod cause;
pub mod change;
pub mod deliveries;
pub mod dispatch;
pub mod health;
pub mod inbox;
pub mod list_filters;
pub mod project_filters;
pub mod projects;
pub mod roles;
pub mod secret_keys;
pub mod seed;
pub mod sessions;
pub mod sign_in;
pub mod webhook_list;
pub mod webhooks;

use crate::domain::ids::UserId;
use crate::domain::{FieldErrors, RightSet};

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("invalid input")]
    Invalid(FieldErrors),
    #[error("not found")]
    NotFound,
    /// Someone else changed the object since it was read.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A synchronous in-transaction webhook refused the change; nothing was saved.
    #[error("vetoed: {0}")]
    Vetoed(String),
    /// The database cannot serve just now (unreachable, restarting, every connection busy
    /// past the wait): worth trying again shortly, unlike an internal error.
    #[error("database unavailable: {0}")]
    Unavailable(anyhow::Error),
    #[error(transparent)]
    Internal(anyhow::Error),
}

/// How long a caller told that the database is unavailable is asked to wait (Retry-After).
pub const RETRY_UNAVAILABLE_AFTER_SECONDS: u32 = 5;

impl From<anyhow::Error> for ServiceError {
    fn from(e: anyhow::Error) -> Self {
        if crate::db::availability::unavailable_behind(&e) {
            ServiceError::Unavailable(e)
        } else {
            ServiceError::Internal(e)
        }
    }
}

impl From<sqlx::Error> for ServiceError {
    fn from(e: sqlx::Error) -> Self {
        anyhow::Error::from(e).into()
    }
}

impl ServiceError {
    pub fn field(field: &'static str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::new();
        errors.add(field, message);
        ServiceError::Invalid(errors)
    }
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.is_unique_violation())
}

/// Who makes a change, as the history and events record it, and what they may hand on.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: Option<UserId>,
    pub name: String,
    pub email: String,
    /// The API token the change came through, named in the history.
    pub via_token: Option<String>,
    pub authority: Authority,
}

/// How far a person's power to act through others reaches: nobody gives a role, a token or
/// control over an account that carries a right they do not hold themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authority {
    /// The operator at the command line, and Hookline itself: the machine is theirs.
    Operator,
    /// A person, through the UI or an API token: bounded by the rights they hold.
    Rights(RightSet),
}

impl Authority {
    /// Whether every right in `rights` is held.
    pub fn covers(self, rights: RightSet) -> bool {
        match self {
            Authority::Operator => true,
            Authority::Rights(held) => rights.iter().all(|r| held.contains(r)),
        }
    }

    /// The refusal when `rights` are not all held, naming the first missing one.
    pub fn require(self, rights: RightSet, what: &str) -> Result<(), String> {
        match self {
            Authority::Operator => Ok(()),
            Authority::Rights(held) => match rights.iter().find(|r| !held.contains(*r)) {
                None => Ok(()),
                Some(missing) => Err(format!(
                    "{what} would carry the right \u{201c}{missing}\u{201d}, which you do not hold: only someone who holds every right involved can do this."
                )),
            },
        }
    }
}

impl Actor {
    /// Changes made by Hookline itself (the first administrator, the command line).
    pub fn system(name: &str) -> Self {
        Actor {
            id: None,
            name: name.to_owned(),
            email: String::new(),
            via_token: None,
            authority: Authority::Operator,
        }
    }

    /// The history's wording: "Ann Lee <ann@example.com>", and "via API token “CI”" for
    /// changes made through the API.
    pub fn label(&self) -> String {
        let who = if self.email.is_empty() {
            self.name.clone()
        } else {
            format!("{} <{}>", self.name, self.email)
        };
        match &self.via_token {
            Some(token) => format!("{who} via API token \u{201c}{token}\u{201d}"),
            None => who,
        }
    }

    pub fn initiator(&self) -> change::Initiator {
        change::Initiator {
            id: self.id,
            name: self.name.clone(),
            email: self.email.clone(),
            via_token: self.via_token.clone(),
        }
    }
}
