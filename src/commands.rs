//! The command-line actions other than `serve`: users, audit, seed.

use std::io::Read;

use anyhow::{Context, anyhow, bail};

use crate::cli::{AuditCommand, DbCommand, SecretsCommand, TokenCommand, UserCommand};
use crate::config::Settings;
use crate::domain::api_token::{TokenDraft, TokenInput};
use crate::domain::{DisplayName, Email, NewPassword, Secret};
use crate::sealing::KeySource;
use crate::services::accounts::{self, NewUserInput, UserInput};
use crate::services::audit::{ChainCheck, verify};
use crate::services::{ServiceError, secret_keys, seed};
use crate::state::AppState;
use crate::{random, services};

async fn state(settings: Settings) -> anyhow::Result<AppState> {
    AppState::open(settings).await
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
        ServiceError::Unavailable(e) | ServiceError::Internal(e) => e,
    }
}

pub async fn user(settings: Settings, command: UserCommand) -> anyhow::Result<()> {
    let state = state(settings).await?;
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
        let found = services::roles::role_named(state, role).await?;
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
        password_generated: generated,
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

pub async fn token(settings: Settings, command: TokenCommand) -> anyhow::Result<()> {
    let state = state(settings).await?;
    match command {
        TokenCommand::Create {
            user,
            name,
            scopes,
            expires_on,
        } => {
            let email = Email::parse(&user).map_err(|e| anyhow!(e))?;
            let found = services::accounts::user_by_email(&state, &email)
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

pub async fn audit(settings: Settings, command: AuditCommand) -> anyhow::Result<()> {
    let state = state(settings).await?;
    match command {
        AuditCommand::Verify => match verify(&state.store).await? {
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

pub async fn seed(settings: Settings, webhooks: u32, attempts: u32) -> anyhow::Result<()> {
    let state = state(settings).await?;
    if webhooks > 0 {
        let added = seed::seed_webhooks(&state, webhooks)
            .await
            .map_err(service)?;
        println!("Added {added} webhooks.");
    }
    if attempts > 0 {
        let added = seed::seed_history(&state, attempts)
            .await
            .map_err(service)?;
        println!("Added {added} delivery attempts over the last week, on 10 more webhooks.");
    }
    Ok(())
}

pub async fn secrets(settings: Settings, command: SecretsCommand) -> anyhow::Result<()> {
    match command {
        SecretsCommand::NewKey => {
            println!("{}", crate::sealing::new_key());
            Ok(())
        }
        SecretsCommand::Reencrypt => {
            let state = state(settings).await?;
            let n = secret_keys::reseal_all(&state.store, &state.keys).await?;
            println!(
                "{n} stored secret(s) sealed again under key {}; the other keys given can go.",
                state.keys.current_id()
            );
            Ok(())
        }
        SecretsCommand::RotateKey => rotate_key(settings).await,
    }
}

/// A new key first in the key file, every secret sealed under it, then the file without
/// the old keys. A crash at any step leaves a file that opens every stored secret.
async fn rotate_key(mut settings: Settings) -> anyhow::Result<()> {
    let KeySource::File(path) = settings.secret_keys.clone() else {
        bail!(
            "the keys come from HOOKLINE_SECRET_KEY: set it to \"<new key>,<old key>\" (`hookline secrets new-key` makes one), run `hookline secrets reencrypt`, then keep only the new key"
        );
    };
    let old = KeySource::file_keys(&path)?;
    let new = crate::sealing::new_key();
    let mut all = vec![new.clone()];
    all.extend(old);
    KeySource::write_file(&path, &all)?;
    settings.secret_keys = KeySource::File(path.clone());
    let state = state(settings).await?;
    let n = secret_keys::reseal_all(&state.store, &state.keys).await?;
    KeySource::write_file(&path, &[new])?;
    println!(
        "{n} stored secret(s) sealed under the new key {}; {} holds only that key now.",
        state.keys.current_id(),
        path.display()
    );
    Ok(())
}

pub async fn backup(settings: Settings, file: &std::path::Path) -> anyhow::Result<()> {
    if file.exists() {
        bail!("{} exists already: name a new file", file.display());
    }
    let state = state(settings).await?;
    services::backup::write(&state, file).await?;
    println!(
        "Backup written to {}. Its secrets are sealed: keep the key ({:?}) too, stored apart from the backup.",
        file.display(),
        state.settings.secret_keys
    );
    Ok(())
}

pub async fn db(command: DbCommand) -> anyhow::Result<()> {
    match command {
        DbCommand::Copy { from, to } => {
            let copied = services::backup::copy(&from, &to).await.map_err(service)?;
            for (table, rows) in &copied {
                println!("{table}: {rows} rows");
            }
            println!(
                "Copied into {}. Its secrets are sealed with the source's key: start Hookline on it with the same key (HOOKLINE_SECRET_KEY, or --secret-key-file naming the source's key file).",
                crate::db::without_password(&to)
            );
            Ok(())
        }
    }
}
