//! What operators ask of a running instance: whether it can serve (`/health/ready`) and its
//! figures (`/metrics`).

use std::time::Duration;

use crate::db::{self, NotReady};
use crate::state::AppState;

/// How long readiness waits for the database before calling it unreachable: a probe must
/// answer well within a load balancer's own timeout.
const DATABASE_WITHIN: Duration = Duration::from_secs(2);

/// The state of the delivery workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workers {
    Running,
    /// Turned off by the operator (`HOOKLINE_RUN_DELIVERY_WORKERS=false`): not a fault.
    Off,
    Stopped,
}

#[derive(Debug)]
pub struct Readiness {
    pub database: Result<(), NotReady>,
    pub workers: Workers,
}

impl Readiness {
    pub fn ready(&self) -> bool {
        self.database.is_ok() && self.workers != Workers::Stopped
    }
}

pub async fn readiness(state: &AppState) -> Readiness {
    let workers = if !state.settings.run_delivery_workers {
        Workers::Off
    } else if state.deliverer.is_running() {
        Workers::Running
    } else {
        Workers::Stopped
    };
    Readiness {
        database: db::check_ready(&state.store, DATABASE_WITHIN).await,
        workers,
    }
}

/// The exposition for `/metrics`, with the queue read now.
pub async fn metrics(state: &AppState) -> anyhow::Result<String> {
    let queue = db::deliveries::queue_figures(&state.store, db::now_ms()).await?;
    Ok(state.metrics.render(&queue))
}
