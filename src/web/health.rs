//! Probes for load balancers and orchestrators, answered without sign-in: `/health/live`
//! (the process answers) and `/health/ready` (it can serve: database, migrations, workers).
//! They say what is wrong in a few fixed words and nothing more.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::services::health::{self, Workers};
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/health/live", web::get().to(live))
        .route("/healthz", web::get().to(live))
        .route("/health/ready", web::get().to(ready));
}

async fn live() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(json!({ "status": "live" }))
}

async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let r = health::readiness(&state).await;
    let database = match r.database {
        Ok(()) => "ok".to_owned(),
        Err(e) => e.to_string(),
    };
    let workers = match r.workers {
        Workers::Running => "running",
        Workers::Off => "off",
        Workers::Stopped => "stopped",
    };
    let body = json!({
        "status": if r.ready() { "ready" } else { "not ready" },
        "checks": { "database": database, "workers": workers },
    });
    let mut res = if r.ready() {
        HttpResponse::Ok()
    } else {
        HttpResponse::ServiceUnavailable()
    };
    res.insert_header(("Cache-Control", "no-store")).json(body)
}
