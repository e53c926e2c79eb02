//! The user actions, one function each and one transaction each. The web UI, the command line
//! and (later) the API all call these.

pub mod accounts;
pub mod api_tokens;
pub mod audit;
pub mod bootstrap;
pub mod change;
pub mod dispatch;
pub mod project_filters;
pub mod projects;
pub mod roles;
pub mod seed;
pub mod sign_in;
pub mod webhook_list;
pub mod webhooks;

use crate::domain::FieldErrors;

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
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for ServiceError {
    fn from(e: sqlx::Error) -> Self {
        ServiceError::Internal(e.into())
    }
}

impl ServiceError {
    pub fn field(field: &'static str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::new();
        errors.add(field, message);
        ServiceError::Invalid(errors)
    }
}

impl From<ServiceError> for crate::error::AppError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound => crate::error::AppError::NotFound,
            ServiceError::Conflict(message) | ServiceError::Vetoed(message) => {
                crate::error::AppError::BadRequest(message)
            }
            ServiceError::Internal(e) => e.into(),
            ServiceError::Invalid(errors) => {
                let text: Vec<_> = errors.iter().map(|(_, m)| m.to_owned()).collect();
                crate::error::AppError::BadRequest(text.join(" "))
            }
        }
    }
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.is_unique_violation())
}

/// Who makes a change, as the history and events record it.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: Option<i64>,
    pub name: String,
    pub email: String,
    /// The API token the change came through, named in the history.
    pub via_token: Option<String>,
}

impl Actor {
    /// Changes made by Hookline itself (the first administrator, the command line).
    pub fn system(name: &str) -> Self {
        Actor {
            id: None,
            name: name.to_owned(),
            email: String::new(),
            via_token: None,
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

    pub fn initiator(&self) -> crate::events::Initiator {
        crate::events::Initiator {
            id: self.id,
            name: self.name.clone(),
            email: self.email.clone(),
        }
    }
}
