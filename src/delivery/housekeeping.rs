//! Housekeeping: retention of everything that grows — finished deliveries with their
//! attempts, events no delivery needs, the application log, ended sessions, old sign-in
//! failures — on a timer of its own, so that a long pass never holds up a delivery.

use std::time::Duration;

use crate::db::Store;
use tokio::sync::watch;

use crate::config::Settings;
use crate::db;

/// How often retention runs.
const EVERY: Duration = Duration::from_secs(3600);
/// A sign-in failure older than this no longer counts (see `services::sign_in`).
const THROTTLE_FORGOTTEN_AFTER: Duration = Duration::from_secs(3600);

/// One pass; returns the rows removed.
pub async fn prune(store: &Store, settings: &Settings) -> sqlx::Result<u64> {
    let now = db::now_ms();
    let ms = |d: Duration| d.as_millis() as i64;
    let mut removed = db::retention::prune(
        store,
        now,
        ms(settings.retention),
        ms(settings.dead_retention),
    )
    .await?;
    removed += db::sessions::delete_expired(
        store,
        now - ms(settings.session_idle),
        now - ms(settings.session_absolute),
    )
    .await?;
    removed += db::throttle::forget(store, now - ms(THROTTLE_FORGOTTEN_AFTER), now).await?;
    Ok(removed)
}

/// Prunes now and every hour until `stop` turns true.
pub async fn run(
    store: Store,
    settings: std::sync::Arc<Settings>,
    mut stop: watch::Receiver<bool>,
) {
    while !*stop.borrow() {
        // With several instances on one database, one of them prunes at a time.
        match store.alone("housekeeping", prune(&store, &settings)).await {
            Ok(Some(Ok(0))) => {}
            Ok(Some(Ok(n))) => tracing::info!(removed = n, "retention: old rows removed"),
            Ok(None) => tracing::debug!("retention: another instance is at it"),
            Ok(Some(Err(e))) | Err(e) => {
                tracing::error!(error = %e, "retention failed; it runs again in an hour")
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(EVERY) => {}
            _ = stop.changed() => {}
        }
    }
}
