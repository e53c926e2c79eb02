//! Pending orders (the delivery queue) and the application log: what was sent, what came
//! back, what waits for a retry; Retry now and Cancel for those with the right to act.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{Area, Chrome, format};
use crate::auth::session::FlashKind;
use crate::auth::{CsrfForm, CurrentUser, TypedSession};
use crate::domain::app_log::LogLevel;
use crate::domain::delivery::{DeliveryState, DeliveryStatus, Trigger};
use crate::domain::ids::{AttemptId, DeliveryId, WebhookId};
use crate::domain::{Coded, Right};
use crate::error::{AppError, redirect};
use crate::services::deliveries::{self as service, AttemptRow, DeliveryRow, LogRow, NotClaimed};
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/pending-orders", web::get().to(list))
        .route("/pending-orders/{id}", web::get().to(detail))
        .route("/pending-orders/{id}/retry", web::post().to(retry))
        .route("/pending-orders/{id}/cancel", web::post().to(cancel))
        .route("/application-log", web::get().to(log))
        .route("/attempts/{id}", web::get().to(attempt));
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    state: String,
    webhook: String,
}

pub struct Row {
    pub d: DeliveryRow,
    pub state: DeliveryState,
    pub created: String,
    pub next: String,
}

#[derive(Template)]
#[template(path = "pending_orders/list.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<Row>,
    state: String,
    webhook: String,
    states: &'static [DeliveryState],
}

async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ViewPendingOrders)?;
    let filter = DeliveryState::from_code(&query.state);
    let webhook = query.webhook.parse::<WebhookId>().ok();
    let rows = service::deliveries(&state, filter, webhook, 200)
        .await?
        .into_iter()
        .map(|d| Row {
            state: d.state(),
            created: format::time(d.created_at),
            next: if d.status == DeliveryStatus::Pending {
                format::time(d.next_attempt_at)
            } else {
                String::new()
            },
            d,
        })
        .collect();
    super::page(&ListPage {
        chrome: Chrome::new(&user, &session, Area::PendingOrders),
        rows,
        state: query.state.clone(),
        webhook: query.webhook.clone(),
        states: DeliveryState::ALL,
    })
}

pub struct AttemptView {
    pub a: AttemptRow,
    pub at: String,
    pub request_headers: Vec<(String, String)>,
    pub response_headers: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "pending_orders/detail.html")]
struct DetailPage {
    chrome: Chrome,
    d: DeliveryRow,
    state: DeliveryState,
    attempts: Vec<AttemptView>,
    /// Retry now and Cancel: for those with the right, on a delivery still to go or dead.
    can_act: bool,
}

/// An attempt made just now (the Test button), shown like a recorded one.
pub fn attempt_view_of(a: &crate::delivery::Attempt, trigger: Trigger) -> AttemptView {
    attempt_view(a.as_row(trigger, crate::clock::now_ms()))
}

pub fn attempt_view(a: AttemptRow) -> AttemptView {
    AttemptView {
        at: format::time(a.started_at),
        request_headers: serde_json::from_str(&a.request_headers).unwrap_or_default(),
        response_headers: a
            .response_headers
            .as_deref()
            .and_then(|h| serde_json::from_str(h).ok())
            .unwrap_or_default(),
        a,
    }
}

async fn detail(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    id: web::Path<DeliveryId>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ViewPendingOrders)?;
    let (d, attempts) = service::delivery(&state, *id).await?;
    let attempts = attempts.into_iter().map(attempt_view).collect();
    let can_act = user.can(Right::ManagePendingOrders) && d.state().can_act();
    super::page(&DetailPage {
        chrome: Chrome::new(&user, &session, Area::PendingOrders),
        state: d.state(),
        d,
        attempts,
        can_act,
    })
}

async fn retry(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    id: web::Path<DeliveryId>,
    _: CsrfForm<serde::de::IgnoredAny>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ManagePendingOrders)?;
    let id = id.into_inner();
    match service::retry_now(&state, id).await? {
        Ok(Some(a)) if a.delivered() => session.flash(FlashKind::Success, a.summary()),
        Ok(Some(a)) => session.flash(FlashKind::Error, a.summary()),
        Ok(None) => session.flash(
            FlashKind::Error,
            "This delivery was not sent: its webhook was deleted.",
        ),
        Err(NotClaimed::NotFound) => return Err(AppError::NotFound),
        Err(refusal) => session.flash(FlashKind::Error, refusal.to_string()),
    }
    Ok(redirect(&format!("/pending-orders/{id}")))
}

async fn cancel(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    id: web::Path<DeliveryId>,
    _: CsrfForm<serde::de::IgnoredAny>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ManagePendingOrders)?;
    let id = id.into_inner();
    if service::cancel(&state, id).await? {
        session.flash(FlashKind::Success, "Delivery cancelled.");
    } else {
        session.flash(
            FlashKind::Error,
            "Only a queued, waiting or dead delivery can be cancelled.",
        );
    }
    Ok(redirect(&format!("/pending-orders/{id}")))
}

pub struct LogView {
    pub row: LogRow,
    pub at: String,
}

#[derive(Template)]
#[template(path = "pending_orders/log.html")]
struct LogPage {
    chrome: Chrome,
    entries: Vec<LogView>,
}

async fn log(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ViewPendingOrders)?;
    let entries = service::log(&state, 500)
        .await?
        .into_iter()
        .map(|row| LogView {
            at: format::time(row.at),
            row,
        })
        .collect();
    super::page(&LogPage {
        chrome: Chrome::new(&user, &session, Area::PendingOrders),
        entries,
    })
}

#[derive(Template)]
#[template(path = "pending_orders/attempt.html")]
struct AttemptPage {
    chrome: Chrome,
    webhook_id: WebhookId,
    v: AttemptView,
}

/// One call on its own: those that belong to no delivery (an in-transaction call that
/// refused its change) are reached from the application log.
async fn attempt(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    id: web::Path<AttemptId>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ViewPendingOrders)?;
    let (webhook_id, row) = service::attempt(&state, *id).await?;
    super::page(&AttemptPage {
        chrome: Chrome::new(&user, &session, Area::PendingOrders),
        webhook_id,
        v: attempt_view(row),
    })
}
