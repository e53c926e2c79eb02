//! A webhook's own page: its settings in short, its health over the last day and week with
//! charts, its deliveries with search, and Recover for an outage of its receiver.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::session::FlashKind;
use crate::auth::{CsrfForm, CurrentUser, TypedSession};
use crate::domain::delivery_search::{SearchInput, parse_time};
use crate::domain::ids::WebhookId;
use crate::domain::{Coded, Right};
use crate::error::{AppError, redirect};
use crate::services::ServiceError;
use crate::services::deliveries as deliveries_service;
use crate::services::webhooks::health::{self as service, Health, Window};
use crate::state::AppState;
use crate::web::pending_orders::Search;
use crate::web::{Area, Chrome, actor, charts, format};

/// A window's figures as the page shows them.
pub struct Figures {
    pub deliveries: i64,
    pub calls: i64,
    pub success_rate: String,
    pub p50: String,
    pub p95: String,
}

impl Figures {
    fn of(w: &Window) -> Figures {
        let ms = |v: Option<i64>| v.map_or_else(|| "—".to_owned(), |v| format!("{v} ms"));
        Figures {
            deliveries: w.deliveries,
            calls: w.attempts,
            success_rate: if w.attempts == 0 {
                "—".to_owned()
            } else {
                format!("{:.1} %", w.succeeded as f64 * 100.0 / w.attempts as f64)
            },
            p50: ms(w.p50_ms),
            p95: ms(w.p95_ms),
        }
    }
}

#[derive(Template)]
#[template(path = "webhooks/overview.html")]
struct OverviewPage {
    chrome: Chrome,
    id: WebhookId,
    wording: String,
    active: bool,
    url: String,
    verb: String,
    mode: &'static str,
    rate_limit: Option<u16>,
    disabled_reason: Option<String>,
    day: Figures,
    week: Figures,
    failures: i64,
    failing_since: String,
    next_retry: String,
    calls_chart: String,
    times_chart: String,
    /// The webhook's deliveries, for those who may see the queue.
    search: Option<Search>,
    /// Recover, for those who may act on the queue.
    can_recover: bool,
    recover_since: String,
    recover_error: Option<String>,
}

pub async fn show(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    id: web::Path<WebhookId>,
    query: Result<web::Query<SearchInput>, actix_web::Error>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ViewWebhooks)?;
    let id = id.into_inner();
    let query = query
        .map_err(|e| AppError::BadRequest(format!("The search could not be read: {e}")))?
        .into_inner();
    let health = service::health(&state, id).await?;
    let search = if user.can(Right::ViewPendingOrders) {
        let path = format!("/webhooks/{id}/overview");
        Some(Search::run(&state, &path, query, Some(id)).await?)
    } else {
        None
    };
    let page = overview(&user, &session, health, search, None);
    crate::web::page(&page)
}

fn overview(
    user: &CurrentUser,
    session: &TypedSession,
    h: Health,
    search: Option<Search>,
    recover_error: Option<String>,
) -> OverviewPage {
    let w = h.webhook;
    let day_ago = crate::clock::now_ms() - 24 * 3_600_000;
    OverviewPage {
        chrome: Chrome::new(user, session, Area::Webhooks),
        id: w.id,
        active: w.active,
        disabled_reason: w.disabled_reason.filter(|_| !w.active),
        mode: w.mode.label(),
        rate_limit: w.rate_limit.map(|r| r.per_second()),
        verb: w.verb.as_str().to_owned(),
        url: w.url,
        wording: w.wording,
        day: Figures::of(&h.day),
        week: Figures::of(&h.week),
        failures: h.run.failures,
        failing_since: h.run.failing_since.map(format::time).unwrap_or_default(),
        next_retry: h.run.next_retry.map(format::time).unwrap_or_default(),
        calls_chart: charts::calls_per_hour(&h.hours, h.hours_from),
        times_chart: charts::response_times(&h.hours, h.hours_from),
        search,
        can_recover: user.can(Right::ManagePendingOrders),
        recover_since: chrono::DateTime::<chrono::Utc>::from_timestamp_millis(day_ago)
            .map(|t| t.format("%Y-%m-%dT%H:%M").to_string())
            .unwrap_or_default(),
        recover_error,
    }
}

/// `since` may be missing, so that the rights are checked before the form is.
#[derive(Deserialize)]
pub struct RecoverForm {
    #[serde(default)]
    since: String,
}

/// Recover: sends again every failed delivery since the time given.
pub async fn recover(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    id: web::Path<WebhookId>,
    form: CsrfForm<RecoverForm>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ManagePendingOrders)?;
    let id = id.into_inner();
    let since = parse_time(form.0.since.trim());
    let outcome = match since {
        Ok(since) => deliveries_service::recover(&state, &actor(&user), id, since).await,
        Err(message) => Err(ServiceError::field("since", message)),
    };
    match outcome {
        Ok(0) => session.flash(
            FlashKind::Success,
            "No failed delivery since then: nothing to send again.",
        ),
        Ok(n) => session.flash(
            FlashKind::Success,
            format!("{n} deliveries are going again, in order, each with its message id."),
        ),
        Err(ServiceError::Invalid(errors)) => {
            let health = service::health(&state, id).await?;
            let message = errors.get("since").map(str::to_owned);
            let mut page = overview(&user, &session, health, None, message);
            page.recover_since = form.0.since;
            return crate::web::render(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
        Err(ServiceError::Conflict(message)) => session.flash(FlashKind::Error, message),
        Err(e) => return Err(e.into()),
    }
    Ok(redirect(&format!("/webhooks/{id}/overview")))
}
