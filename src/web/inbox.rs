//! The Inbox screen — each person's own request catcher, served by Hookline — and the
//! address itself, which keeps whatever arrives there (webhooks and Tests pointed at it are
//! kept in-process, without the network).

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::{Area, Chrome, format};
use crate::auth::session::FlashKind;
use crate::auth::{CsrfForm, CurrentUser, TypedSession};
use crate::domain::Right;
use crate::error::{AppError, redirect};
use crate::services::inbox::{self as service, InboxRow, KEPT};
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/inbox", web::get().to(show))
        .route("/inbox/clear", web::post().to(clear))
        .route("/inbox/{key}", web::route().to(receive));
}

struct RequestView {
    r: InboxRow,
    at: String,
    headers: Vec<(String, String)>,
    body: String,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    chrome: Chrome,
    address: String,
    requests: Vec<RequestView>,
    kept: i64,
}

/// Where this Hookline is reached: its public URL, or this machine by the port the browser
/// used (the inbox's in-process path recognises localhost).
fn base(state: &AppState, req: &HttpRequest) -> String {
    match &state.settings.public_url {
        Some(url) => url.as_str().trim_end_matches('/').to_owned(),
        None => {
            let info = req.connection_info();
            let port = info
                .host()
                .rsplit_once(':')
                .map_or("80", |(_, p)| p)
                .to_owned();
            format!("http://localhost:{port}")
        }
    }
}

async fn show(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ModifyWebhook)?;
    let address = service::address(&state, user.id, &base(&state, &req)).await?;
    let requests = service::requests(&state, user.id)
        .await?
        .into_iter()
        .map(|r| RequestView {
            at: format::time(r.received_at),
            headers: serde_json::from_str(&r.headers).unwrap_or_default(),
            body: super::pending_orders::readable(&r.body),
            r,
        })
        .collect();
    super::page(&InboxPage {
        chrome: Chrome::new(&user, &session, Area::Inbox),
        address,
        requests,
        kept: KEPT,
    })
}

async fn clear(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    _: CsrfForm<serde::de::IgnoredAny>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ModifyWebhook)?;
    let n = service::clear(&state, user.id).await?;
    session.flash(FlashKind::Success, format!("Inbox cleared ({n} requests)."));
    Ok(redirect("/inbox"))
}

/// The address itself: no sign-in (a receiver's address), its unguessable key the only
/// way in; whatever arrives is kept, the last 100.
async fn receive(
    state: web::Data<AppState>,
    req: HttpRequest,
    key: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let target = req.uri().to_string();
    let body = String::from_utf8_lossy(&body);
    let kept = service::receive(
        &state,
        &key,
        req.method().as_str(),
        &target,
        &headers,
        &body,
    )
    .await?;
    Ok(if kept {
        HttpResponse::Accepted().body("Kept in Hookline's inbox.")
    } else {
        HttpResponse::NotFound().body("There is no such inbox.")
    })
}
