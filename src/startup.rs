//! Building the application: database, first administrator, HTTP server.

use std::net::TcpListener;

use actix_session::SessionMiddleware;
use actix_session::config::{BrowserSession, CookieContentSecurity};
use actix_session::storage::CookieSessionStore;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::middleware::{DefaultHeaders, from_fn};
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use tokio::sync::watch;

use crate::config::Settings;
use crate::services::bootstrap::{InitialAdmin, ensure_first_admin};
use crate::state::AppState;
use crate::{db, web as pages};

pub struct Application {
    port: u16,
    server: Server,
    pub state: AppState,
    /// Set when this start created the first administrator.
    pub initial_admin: Option<InitialAdmin>,
}

const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'";

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let state = AppState::open(settings).await?;
        let initial_admin = ensure_first_admin(&state).await?;
        let key = Key::try_from(
            db::settings::session_key(&state.store, &state.keys)
                .await?
                .as_slice(),
        )
        .context("the stored session key is unusable")?;
        let listener = TcpListener::bind(&state.settings.bind)
            .with_context(|| format!("cannot listen on {}", state.settings.bind))?;
        let port = listener.local_addr()?.port();
        let server = server(listener, state.clone(), key)?;
        Ok(Self {
            port,
            server,
            state,
            initial_admin,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until a stop signal (SIGTERM, Ctrl-C: actix stops gracefully), with the
    /// delivery workers beside the server; then stops the workers, which finish or give back
    /// what they hold, and waits for the writes left in the background.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let (stop, stopped) = watch::channel(false);
        let (pool, settings) = (self.state.store.clone(), self.state.settings.clone());
        let housekeeping = tokio::spawn(crate::delivery::housekeeping::run(
            pool,
            settings,
            stopped.clone(),
        ));
        let listening = {
            let (state, stopped) = (self.state.clone(), stopped.clone());
            tokio::spawn(async move {
                let deliverer = state.deliverer.clone();
                let workers = state.settings.run_delivery_workers;
                let wake = move || {
                    if workers {
                        deliverer.wake()
                    }
                };
                state.store.listen(wake, stopped).await
            })
        };
        let workers = self
            .state
            .settings
            .run_delivery_workers
            .then(|| tokio::spawn(self.state.deliverer.clone().run(stopped)));
        let result = self.server.await;
        let _ = stop.send(true);
        if let Some(workers) = workers {
            let _ = workers.await;
        }
        let _ = housekeeping.await;
        let _ = listening.await;
        // The records of the last calls people waited for, written in the background.
        self.state.store.caught_up().await;
        if let Err(e) = crate::db::checkpoint(&self.state.store).await {
            tracing::warn!(error = %e, "the log could not be copied into the database file");
        }
        result
    }
}

fn server(listener: TcpListener, state: AppState, key: Key) -> anyhow::Result<Server> {
    let secure = state.settings.secure_cookies();
    let workers = state.settings.workers;
    let data = web::Data::new(state);
    // Shared by the workers, as the list it renders is.
    let rendered_rows = web::Data::new(pages::RenderedRows::default());
    let mut server = HttpServer::new(move || {
        let sessions = SessionMiddleware::builder(CookieSessionStore::default(), key.clone())
            .cookie_name("hookline_session".into())
            .cookie_http_only(true)
            .cookie_same_site(SameSite::Strict)
            .cookie_secure(secure)
            .cookie_content_security(CookieContentSecurity::Private)
            .session_lifecycle(BrowserSession::default())
            .build();
        App::new()
            .app_data(data.clone())
            .app_data(rendered_rows.clone())
            .app_data(web::PayloadConfig::new(crate::auth::csrf::MAX_FORM_BYTES))
            .configure(crate::api::routes)
            .configure(pages::routes)
            .default_service(web::to(|| async {
                Err::<actix_web::HttpResponse, _>(crate::error::AppError::NotFound)
            }))
            .wrap(from_fn(pages::middleware::error_pages))
            .wrap(from_fn(pages::middleware::see_earlier_writes))
            .wrap(from_fn(pages::middleware::refuse_cross_site))
            .wrap(sessions)
            .wrap(
                DefaultHeaders::new()
                    .add(("X-Content-Type-Options", "nosniff"))
                    .add(("X-Frame-Options", "DENY"))
                    .add(("Referrer-Policy", "same-origin"))
                    .add(("Content-Security-Policy", CONTENT_SECURITY_POLICY)),
            )
            .wrap(from_fn(pages::middleware::log_request))
    })
    .listen(listener)?;
    if let Some(n) = workers {
        server = server.workers(n);
    }
    Ok(server.run())
}
