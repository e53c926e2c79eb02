//! The command-line actions other than `serve`: users, audit, seed.

use std::io::Read;
use std::sync::Arc;

use anyhow::{Context, anyhow, bail};

use crate::auth::Passwords;
use crate::cli::{AuditCommand, TokenCommand, UserCommand};
use crate::config::Settings;
use crate::domain::api_token::{TokenDraft, TokenInput};
use crate::domain::{DisplayName, Email, NewPassword, Secret};
use crate::services::accounts::{self, NewUserInput, UserInput};
use crate::services::audit::{ChainCheck, verify};
use crate::services::{ServiceError, seed};
use crate::state::AppState;
use crate::{db, random};

async fn state(database_url: &str) -> anyhow::Result<AppState> {
    let pool = db::connect(database_url).await?;
    db::migrate(&pool).await?;
    let settings = Arc::new(Settings::new("127.0.0.1:0", database_url));
    Ok(AppState {
        deliverer: Arc::new(crate::delivery::Deliverer::new(
            pool.clone(),
            settings.clone(),
        )?),
        pool,
        settings,
        passwords: Passwords::new()?,
        webhook_list: Default::default(),
        routes: Default::default(),
    })
}

fn service(e: ServiceError) -> anyhow::Error {
    match e {
        ServiceError::Invalid(errors) => anyhow!(
            errors
                .iter()
                .map(|(_, m)| m.to_owned())
                .collect::<Vec<_>>()
                .join(" ")
        ),
        ServiceError::NotFound => anyhow!("not found"),
        ServiceError::Conflict(m) | ServiceError::Vetoed(m) => anyhow!(m),
        ServiceError::Internal(e) => e,
    }
}

pub async fn user(database_url: &str, command: UserCommand) -> anyhow::Result<()> {
    let state = state(database_url).await?;
    match command {
        UserCommand::Add {
            email,
            name,
            roles,
            password_stdin,
        } => add_user(&state, &email, &name, &roles, password_stdin).await,
        UserCommand::ResetPassword { email } => {
            let email = Email::parse(&email).map_err(|e| anyhow!(e))?;
            let password = Secret::new(random::password(20));
            accounts::reset_password(&state, &email, &password)
                .await
                .map_err(|e| match e {
                    ServiceError::NotFound => anyhow!("no user has the email {email}"),
                    other => service(other),
                })?;
            println!("Password of {email} reset; their sessions have ended.");
            println!(
                "  password: {}   (to be changed at next sign-in)",
                password.expose()
            );
            Ok(())
        }
    }
}

async fn add_user(
    state: &AppState,
    email: &str,
    name: &str,
    roles: &[String],
    password_stdin: bool,
) -> anyhow::Result<()> {
    let email = Email::parse(email).map_err(|e| anyhow!(e))?;
    let display_name = DisplayName::parse(name).map_err(|e| anyhow!(e))?;
    let mut role_ids = Vec::new();
    for role in roles {
        let found = db::roles::find_by_name(&state.pool, role).await?;
        role_ids.push(
            found
                .ok_or_else(|| anyhow!("no role is named {role:?}"))?
                .id,
        );
    }
    let (password, generated) = if password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .read_to_string(&mut line)
            .context("cannot read the password from standard input")?;
        (line.trim_end_matches(['\r', '\n']).to_owned(), false)
    } else {
        (random::password(20), true)
    };
    let password = NewPassword::parse(&password, &password).map_err(|e| anyhow!(e))?;
    let input = NewUserInput {
        user: UserInput {
            email: email.clone(),
            display_name,
            role_ids,
        },
        password: password.clone(),
        must_change_password: generated,
    };
    accounts::create_user(
        state,
        &crate::services::Actor::system("command line"),
        input,
    )
    .await
    .map_err(service)?;
    println!("User {email} created.");
    if generated {
        println!(
            "  password: {}   (to be changed at first sign-in)",
            password.secret().expose()
        );
    }
    Ok(())
}

pub async fn token(database_url: &str, command: TokenCommand) -> anyhow::Result<()> {
    let state = state(database_url).await?;
    match command {
        TokenCommand::Create {
            user,
            name,
            scopes,
            expires_on,
        } => {
            let email = Email::parse(&user).map_err(|e| anyhow!(e))?;
            let found = db::users::find_by_email(&state.pool, email.as_ref())
                .await?
                .ok_or_else(|| anyhow!("no user has the email {email}"))?;
            let input = TokenInput {
                name,
                user: found.id.to_string(),
                scopes,
                expires_on: expires_on.unwrap_or_default(),
            };
            let draft = TokenDraft::parse(&input, chrono::Utc::now().date_naive())
                .map_err(|e| service(ServiceError::Invalid(e)))?;
            let issued = crate::services::api_tokens::create(
                &state,
                &crate::services::Actor::system("command line"),
                &draft,
            )
            .await
            .map_err(service)?;
            println!("{}", issued.token);
            Ok(())
        }
    }
}

pub async fn audit(database_url: &str, command: AuditCommand) -> anyhow::Result<()> {
    let state = state(database_url).await?;
    match command {
        AuditCommand::Verify => match verify(&state.pool).await? {
            ChainCheck::Intact { entries } => {
                println!(
                    "Webhook history intact: {entries} entries, every hash follows from the one before."
                );
                Ok(())
            }
            ChainCheck::Broken { entry_id, reason } => {
                bail!("webhook history broken at entry {entry_id}: {reason}")
            }
        },
    }
}

pub async fn seed(database_url: &str, webhooks: u32) -> anyhow::Result<()> {
    let state = state(database_url).await?;
    let added = seed::seed_webhooks(&state, webhooks)
        .await
        .map_err(service)?;
    println!("Added {added} webhooks.");
    Ok(())
}
