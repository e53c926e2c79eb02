//! Options of the forms' selects.

use crate::error::AppError;
use crate::services::accounts;
use crate::state::AppState;

/// One option: the value the form sends, the label the select shows.
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// How a select names a person: "Ann Lee <ann@example.com>".
pub fn person(name: &str, email: &str) -> String {
    format!("{name} <{email}>")
}

/// Everyone, by name, as options.
pub async fn people(state: &AppState) -> Result<Vec<Choice>, AppError> {
    Ok(accounts::users(state)
        .await?
        .into_iter()
        .map(|u| Choice {
            value: u.id.to_string(),
            label: person(&u.display_name, &u.email),
        })
        .collect())
}
