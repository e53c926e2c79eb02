use anyhow::Context;
use clap::Parser;

use hookline::cli::{Cli, Command};
use hookline::config::Settings;
use hookline::startup::Application;
use hookline::{commands, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    telemetry::init(&cli.log, cli.log_format);
    let keys = cli.key_source();
    // What the commands other than `serve` work on: the database and its keys.
    let mut base = Settings::new("127.0.0.1:0", cli.database_url.clone());
    base.secret_keys = keys.clone();
    match cli.command {
        Command::Serve(args) => serve((*args).into_settings(cli.database_url, keys)?).await,
        Command::User(command) => commands::user(base, command).await,
        Command::Audit(command) => commands::audit(base, command).await,
        Command::Token(command) => commands::token(base, command).await,
        Command::Db(command) => commands::db(command).await,
        Command::Seed { webhooks, attempts } => commands::seed(base, webhooks, attempts).await,
        Command::Secrets(command) => commands::secrets(base, command).await,
        Command::Backup { file } => commands::backup(base, &file).await,
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
