//! Pending orders (the delivery queue) and the application log: what was sent, what came
//! back, what waits for a retry; Retry now and Cancel for those with the right to act.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{Area, Chrome, format};
use crate::auth::session::FlashKind;
use crate::auth::{CsrfForm, CurrentUser, TypedSession};
use crate::domain::app_log::LogLevel;
use crate::domain::catalogue::ObjectType;
use crate::domain::delivery::{DeliveryState, DeliveryStatus, ErrorKind, Trigger};
use crate::domain::delivery_search::{DeliverySearch, SearchInput};
use crate::domain::ids::{AttemptId, DeliveryId, WebhookId};
use crate::domain::{Coded, FieldErrors, Right};
use crate::error::{AppError, redirect};
use crate::services::ServiceError;
use crate::services::deliveries::{self as service, AttemptRow, DeliveryRow, LogRow, NotClaimed};
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/pending-orders", web::get().to(list))
        .route("/pending-orders/bulk", web::post().to(bulk))
        .route("/pending-orders/{id}", web::get().to(detail))
        .route("/pending-orders/{id}/retry", web::post().to(retry))
        .route("/pending-orders/{id}/cancel", web::post().to(cancel))
        .route("/application-log", web::get().to(log))
        .route("/attempts/{id}", web::get().to(attempt));
}

pub struct Row {
    pub d: DeliveryRow,
    pub state: DeliveryState,
    pub created: String,
    pub next: String,
}

impl Row {
    pub fn of(d: DeliveryRow) -> Row {
        Row {
            state: d.state(),
            created: format::time(d.created_at),
            next: if d.status == DeliveryStatus::Pending {
                format::time(d.next_attempt_at)
            } else {
                String::new()
            },
            d,
        }
    }
}

/// A delivery search as typed, shown back in its form with an error per field, and the
/// page it found.
pub struct Search {
    pub input: SearchInput,
    pub errors: FieldErrors,
    pub rows: Vec<Row>,
    /// The address of the next (older) page, when there is one.
    pub next: Option<String>,
    pub states: &'static [DeliveryState],
    pub kinds: &'static [ErrorKind],
}

impl Search {
    pub fn value(&self, name: &str) -> &str {
        self.input
            .pairs()
            .into_iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, v)| v)
    }

    pub fn error(&self, name: &str) -> Option<&str> {
        self.errors.get(name)
    }

    /// Runs the search typed at `path`; `webhook` narrows it to one webhook's deliveries.
    pub async fn run(
        state: &AppState,
        path: &str,
        mut input: SearchInput,
        webhook: Option<WebhookId>,
    ) -> Result<Search, AppError> {
        if let Some(w) = webhook {
            input.webhook_id = Some(w.to_string());
        }
        let mut search = Search {
            input,
            errors: FieldErrors::new(),
            rows: Vec::new(),
            next: None,
            states: DeliveryState::ALL,
            kinds: ErrorKind::ALL,
        };
        match DeliverySearch::parse(&search.input, 50) {
            Err(errors) => search.errors = errors,
            Ok(criteria) => {
                let page = service::search(state, &criteria).await?;
                search.rows = page.rows.into_iter().map(Row::of).collect();
                search.next = page.next.map(|id| {
                    let mut query = url::form_urlencoded::Serializer::new(String::new());
                    for (name, value) in search.input.pairs() {
                        // The webhook's own page carries its id in the path.
                        if name != "cursor" && !(webhook.is_some() && name == "webhookId") {
                            query.append_pair(name, value);
                        }
                    }
                    query.append_pair("cursor", &id.to_string());
                    format!("{path}?{}", query.finish())
                });
            }
        }
        Ok(search)
    }
}

/// The deliveries an object's changes made, newest first, for its page: shown to those who
/// may see the queue, with the way to all of them on Pending orders.
pub async fn fired_by(
    state: &AppState,
    user: &CurrentUser,
    object: ObjectType,
    id: i64,
) -> Result<Option<Search>, AppError> {
    if !user.can(Right::ViewPendingOrders) {
        return Ok(None);
    }
    let input = SearchInput {
        object_type: Some(object.code().to_owned()),
        object_id: Some(id.to_string()),
        limit: Some("10".into()),
        ..SearchInput::default()
    };
    Search::run(state, "/pending-orders", input, None)
        .await
        .map(Some)
}

#[derive(Template)]
#[template(path = "pending_orders/list.html")]
struct ListPage {
    chrome: Chrome,
    search: Search,
    /// Retry now and Cancel on the selected deliveries.
    can_act: bool,
}

async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    query: Result<web::Query<SearchInput>, actix_web::Error>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ViewPendingOrders)?;
    let query = query
        .map_err(|e| AppError::BadRequest(format!("The search could not be read: {e}")))?
        .into_inner();
    let search = Search::run(&state, "/pending-orders", query, None).await?;
    super::page(&ListPage {
        chrome: Chrome::new(&user, &session, Area::PendingOrders),
        search,
        can_act: user.can(Right::ManagePendingOrders),
    })
}

/// Every field may be missing, so that the rights are checked before the form is.
#[derive(Deserialize)]
struct BulkForm {
    #[serde(default)]
    ids: Vec<String>,
    #[serde(default)]
    action: String,
}

/// Retry now or Cancel on the deliveries ticked in the list.
async fn bulk(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    form: CsrfForm<BulkForm>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ManagePendingOrders)?;
    let form = form.0;
    let ids: Vec<DeliveryId> = super::parse_ids(&form.ids)
        .ok_or_else(|| AppError::BadRequest("Choose deliveries from the list.".into()))?;
    let outcome = match form.action.as_str() {
        "retry" => service::retry_all(&state, &ids).await,
        "cancel" => service::cancel_all(&state, &ids).await,
        _ => return Err(AppError::BadRequest("Choose Retry now or Cancel.".into())),
    };
    match outcome {
        Ok(bulk) => {
            let done = match form.action.as_str() {
                "retry" => format!("{} deliveries queued to go now.", bulk.done),
                _ => format!("{} deliveries cancelled.", bulk.done),
            };
            let skipped = if bulk.skipped > 0 {
                format!(
                    " {} left as they were (in flight, delivered or cancelled).",
                    bulk.skipped
                )
            } else {
                String::new()
            };
            session.flash(FlashKind::Success, format!("{done}{skipped}"));
        }
        Err(ServiceError::Invalid(errors)) => {
            let message = errors.get("ids").unwrap_or("Select deliveries first.");
            session.flash(FlashKind::Error, message.to_owned());
        }
        Err(e) => return Err(e.into()),
    }
    Ok(redirect("/pending-orders"))
}

pub struct AttemptView {
    pub a: AttemptRow,
    pub at: String,
    pub request_headers: Vec<(String, String)>,
    pub response_headers: Vec<(String, String)>,
    /// The bodies as shown: indented when they are JSON.
    pub request_body: String,
    pub response_body: Option<String>,
}

/// A body indented for reading when it is JSON, as it came otherwise.
pub fn readable(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .filter(|v| v.is_object() || v.is_array())
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| body.to_owned())
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
    cause: Option<super::cause::CauseView>,
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
        request_body: readable(&a.request_body),
        response_body: a.response_body.as_deref().map(readable),
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
    let cause = crate::services::cause::of_delivery(&state, &d)
        .await?
        .map(super::cause::CauseView::of);
    let attempts = attempts.into_iter().map(attempt_view).collect();
    let can_act = user.can(Right::ManagePendingOrders) && d.state().can_act();
    super::page(&DetailPage {
        chrome: Chrome::new(&user, &session, Area::PendingOrders),
        state: d.state(),
        d,
        attempts,
        can_act,
        cause,
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
        chrome: Chrome::new(&user, &session, Area::ApplicationLog),
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
