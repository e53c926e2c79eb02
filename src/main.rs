use std::io::Read;

use anyhow::{Context, anyhow};
use clap::Parser;

use hookline::cli::{Cli, Command, UserCommand};
use hookline::config::Settings;
use hookline::domain::{DisplayName, Email, NewPassword, Secret};
use hookline::services::accounts::{self, NewUserInput, UserInput};
use hookline::startup::Application;
use hookline::state::AppState;
use hookline::{auth::Passwords, db, random, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    telemetry::init(&cli.log);
    match cli.command {
        Command::Serve(args) => serve(args.into_settings(cli.database_url)?).await,
        Command::User(command) => user(&cli.database_url, command).await,
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let app = Application::build(settings).await?;
    let url = app.state.settings.sign_in_url(app.port());
    if let Some(admin) = &app.initial_admin {
        println!("First administrator created: {}", admin.email);
        if let Some(password) = &admin.generated_password {
            println!(
                "  password: {}   (shown only this once; you will choose a new one at first sign-in)",
                password.expose()
            );
        }
    }
    println!("Hookline is running. Sign in at {url}");
    app.run_until_stopped()
        .await
        .context("the server stopped with an error")
}

async fn user(database_url: &str, command: UserCommand) -> anyhow::Result<()> {
    let pool = db::connect(database_url).await?;
    db::migrate(&pool).await?;
    let state = AppState {
        pool,
        settings: std::sync::Arc::new(Settings::new("127.0.0.1:0", database_url)),
        passwords: Passwords::new()?,
    };
    match command {
        UserCommand::Add {
            email,
            name,
            roles,
            password_stdin,
        } => {
            let email = Email::parse(&email).map_err(|e| anyhow!(e))?;
            let display_name = DisplayName::parse(&name).map_err(|e| anyhow!(e))?;
            let mut role_ids = Vec::new();
            for role in &roles {
                let found = db::roles::find_by_name(&state.pool, role).await?;
                role_ids.push(
                    found
                        .ok_or_else(|| anyhow!("no role is named {role:?}"))?
                        .id,
                );
            }
            let (password, generated) = if password_stdin {
                let mut line = String::new();
                std::io::stdin().read_to_string(&mut line)?;
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
            accounts::create_user(&state, input)
                .await
                .map_err(|e| anyhow!("{e:?}"))?;
            println!("User {email} created.");
            if generated {
                println!(
                    "  password: {}   (to be changed at first sign-in)",
                    password.secret().expose()
                );
            }
        }
        UserCommand::ResetPassword { email } => {
            let email = Email::parse(&email).map_err(|e| anyhow!(e))?;
            let password = Secret::new(random::password(20));
            accounts::reset_password(&state, &email, &password)
                .await
                .map_err(|e| match e {
                    hookline::services::ServiceError::NotFound => {
                        anyhow!("no user has the email {email}")
                    }
                    other => anyhow!("{other:?}"),
                })?;
            println!("Password of {email} reset; their sessions have ended.");
            println!(
                "  password: {}   (to be changed at next sign-in)",
                password.expose()
            );
        }
    }
    Ok(())
}
