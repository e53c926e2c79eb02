//! A webhook's history: every change by every user, newest first. It stays readable after
//! the webhook is deleted.

use actix_web::{HttpResponse, web};
use askama::Template;

use crate::auth::{CurrentUser, TypedSession};
use crate::domain::Right;
use crate::domain::ids::WebhookId;
use crate::error::AppError;
use crate::services::webhooks::history::{Change, parse_changes};
use crate::services::webhooks::stored;
use crate::state::AppState;
use crate::web::{Area, Chrome, format};

pub struct Entry {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub changes: Vec<Change>,
}

#[derive(Template)]
#[template(path = "webhooks/history.html")]
struct HistoryPage {
    chrome: Chrome,
    id: WebhookId,
    wording: String,
    exists: bool,
    entries: Vec<Entry>,
}

pub async fn show(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    id: web::Path<WebhookId>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ViewWebhooks)?;
    let id = id.into_inner();
    let (rows, exists) = stored::history(&state, id).await?;
    let wording = rows.first().ok_or(AppError::NotFound)?.wording.clone();
    let entries = rows
        .into_iter()
        .map(|r| Entry {
            at: format::time(r.at),
            actor: r.actor_name,
            action: capitalised(&r.action),
            changes: parse_changes(&r.changes),
        })
        .collect();
    crate::web::page(&HistoryPage {
        chrome: Chrome::new(&user, &session, Area::Webhooks),
        id,
        wording,
        exists,
        entries,
    })
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}
