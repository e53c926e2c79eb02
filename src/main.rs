use anyhow::Context;
use clap::Parser;

use hookline::cli::{Cli, Command};
use hookline::config::Settings;
use hookline::startup::Application;
use hookline::{commands, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    telemetry::init(&cli.log);
    match cli.command {
        Command::Serve(args) => serve((*args).into_settings(cli.database_url)?).await,
        Command::User(command) => commands::user(&cli.database_url, command).await,
        Command::Audit(command) => commands::audit(&cli.database_url, command).await,
        Command::Token(command) => commands::token(&cli.database_url, command).await,
        Command::Seed { webhooks } => commands::seed(&cli.database_url, webhooks).await,
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let app = Application::build(settings).await?;
    let url = app.state.settings.sign_in_url(app.port());
    if let Some(admin) = &app.initial_admin {
        telemetry::say(&format!("First administrator created: {}", admin.email));
        if let Some(password) = &admin.generated_password {
            telemetry::say(&format!(
                "  password: {}   (shown only this once; you will choose a new one at first sign-in)",
                password.expose()
            ));
        }
    }
    telemetry::say(&format!("Hookline is running. Sign in at {url}"));
    app.run_until_stopped()
        .await
        .context("the server stopped with an error")
}
