//! `/metrics`: the Prometheus scrape, for a token with `metrics.read`.

use actix_web::{HttpResponse, web};

use super::auth::ApiCaller;
use super::error::{ApiError, ErrorBody};
use crate::domain::{Right, Scope};
use crate::services::health;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/metrics", web::get().to(scrape));
}

#[utoipa::path(get, path = "/metrics", tag = "Operations",
    summary = "Metrics in the OpenMetrics text format",
    description = "Delivery attempts by outcome and mode, their duration, deliveries by state, the age of the oldest queued delivery, changes recorded, synchronous vetoes, webhooks turned off by Hookline, HTTP requests by route and status, and commit latency. Labels never carry ids or URLs.",
    security(("bearer" = ["metrics.read"])),
    responses(
        (status = 200, description = "The exposition", content_type = "application/openmetrics-text", body = String),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = ErrorBody),
        (status = 403, description = "Missing scope or right", body = ErrorBody),
    ))]
pub async fn scrape(
    caller: ApiCaller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::MetricsRead, Right::ViewPendingOrders)?;
    let body = health::metrics(&state).await?;
    Ok(HttpResponse::Ok()
        .content_type(crate::metrics::CONTENT_TYPE)
        .insert_header(("Cache-Control", "no-store"))
        .body(body))
}
