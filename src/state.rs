//! What every request handler shares.

use std::sync::Arc;

use sqlx::SqlitePool;

use crate::auth::Passwords;
use crate::config::Settings;

#[derive(Clone)]
pub struct AppState {
    pub pool: SqlitePool,
    pub settings: Arc<Settings>,
    pub passwords: Passwords,
}
