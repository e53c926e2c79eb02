//! A webhook's history: every change by every user, newest first. It stays readable after
//! the webhook is deleted.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::form::WebhookForm;
use super::form_page::{View, render};
use crate::auth::session::FlashKind;
use crate::auth::{CsrfForm, CurrentUser, TypedSession};
use crate::domain::Right;
use crate::domain::ids::WebhookId;
use crate::error::AppError;
use crate::error::redirect;
use crate::services::ServiceError;
use crate::services::webhooks::history::{Change, parse_changes};
use crate::services::webhooks::restore;
use crate::services::webhooks::stored;
use crate::state::AppState;
use crate::web::{Area, Chrome, format};

pub struct Entry {
    pub id: i64,
    /// Whether the entry holds a whole version, to view and restore.
    pub version: bool,
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
            id: r.id,
            version: r.settings.is_some(),
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

#[derive(Template)]
#[template(path = "webhooks/version.html")]
struct VersionPage {
    chrome: Chrome,
    id: WebhookId,
    history_id: i64,
    at: String,
    rows: Vec<(&'static str, String, String)>,
    invalid: Option<String>,
    can_restore: bool,
}

/// A version from the history beside the webhook as it is now, with Restore.
pub async fn version(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    path: web::Path<(WebhookId, i64)>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ViewWebhooks)?;
    let (id, history_id) = path.into_inner();
    let c = match restore::compare(&state, &crate::web::actor(&user), id, history_id).await {
        Err(ServiceError::Invalid(_)) => return Err(AppError::NotFound),
        other => other?,
    };
    crate::web::page(&VersionPage {
        chrome: Chrome::new(&user, &session, Area::Webhooks),
        id,
        history_id,
        at: format::time(c.at),
        rows: c.rows,
        can_restore: user.can(Right::ModifyWebhook) && c.invalid.is_none(),
        invalid: c.invalid,
    })
}

/// Restore this version: saved as a new history entry. When the restored URL's host
/// differs and there are secret headers, the form opens with the version for them.
pub async fn restore(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    path: web::Path<(WebhookId, i64)>,
    _: CsrfForm<serde::de::IgnoredAny>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ModifyWebhook)?;
    let (id, history_id) = path.into_inner();
    let back = format!("/webhooks/{id}/history/{history_id}");
    match restore::restore(&state, &crate::web::actor(&user), id, history_id).await {
        Ok(true) => {
            session.flash(FlashKind::Success, "The version was restored.");
            Ok(redirect(&format!("/webhooks/{id}")))
        }
        Ok(false) => {
            session.flash(
                FlashKind::Success,
                "This version is the current one: nothing changed.",
            );
            Ok(redirect(&back))
        }
        Err(ServiceError::Invalid(errors)) if errors.get("headers").is_some() => {
            let (version, _) = restore::version_of(&state, id, history_id).await?;
            let current = crate::services::webhooks::stored::webhook(&state, id).await?;
            let form = WebhookForm::from_version(&version, id, current.version);
            let mut view = View::of(&user, Some(id), true);
            view.test_message = None;
            render(
                &state,
                &user,
                &session,
                form,
                errors,
                view,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(ServiceError::Invalid(errors)) => {
            let why: Vec<&str> = errors.iter().map(|(_, m)| m).collect();
            session.flash(FlashKind::Error, why.join(" "));
            Ok(redirect(&back))
        }
        Err(e) => Err(e.into()),
    }
}
