//! The first administrator, made when the database has no user at all.

use anyhow::anyhow;

use crate::domain::ids::RoleId;
use crate::domain::{DisplayName, Email, NewPassword, Secret};
use crate::state::AppState;
use crate::{db, random};

use super::accounts::{NewUserInput, UserInput, create_user};

pub const DEFAULT_ADMIN_EMAIL: &str = "admin@localhost";
const ADMINISTRATOR_ROLE_ID: RoleId = RoleId::new(1);

/// Who was created, and the generated password when there is one to print.
pub struct InitialAdmin {
    pub email: String,
    pub generated_password: Option<Secret>,
}

pub async fn ensure_first_admin(state: &AppState) -> anyhow::Result<Option<InitialAdmin>> {
    if db::users::count(&state.store).await? > 0 {
        return Ok(None);
    }
    let settings = &state.settings;
    let (email, password, generated) = match (&settings.admin_email, &settings.admin_password) {
        (Some(email), Some(password)) => (email.clone(), password.clone(), false),
        _ => (
            DEFAULT_ADMIN_EMAIL.to_owned(),
            Secret::new(random::password(20)),
            true,
        ),
    };
    let email = Email::parse(&email).map_err(|e| anyhow!("HOOKLINE_ADMIN_EMAIL: {e}"))?;
    let new_password = NewPassword::parse(password.expose(), password.expose())
        .map_err(|e| anyhow!("HOOKLINE_ADMIN_PASSWORD: {e}"))?;
    let input = NewUserInput {
        user: UserInput {
            email: email.clone(),
            display_name: DisplayName::parse("Administrator").expect("a valid name"),
            role_ids: vec![ADMINISTRATOR_ROLE_ID],
        },
        password: new_password,
        must_change_password: generated,
        password_generated: generated,
    };
    if let Err(e) = create_user(state, &super::Actor::system("Hookline setup"), input).await {
        // Another instance starting on the same database made one at the same moment.
        if db::users::count(&state.store).await? > 0 {
            return Ok(None);
        }
        return Err(anyhow!("{e:?}").context("cannot create the first administrator"));
    }
    Ok(Some(InitialAdmin {
        email: email.to_string(),
        generated_password: generated.then_some(password),
    }))
}
