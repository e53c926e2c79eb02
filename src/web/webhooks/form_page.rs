//! The create / modify page: the form with its choices (project filters, users, projects,
//! placeholders) and buttons — Test, Apply, Register, See history, Delete — each shown only
//! to those with the right.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::form::{HeaderView, WebhookForm};
use crate::auth::{CurrentUser, TypedSession};
use crate::domain::catalogue::{Action, ActionFilter, ObjectType};
use crate::domain::ids::WebhookId;
use crate::domain::template::placeholders;
use crate::domain::webhook::{Verb, WebhookDraft};
use crate::domain::{FieldErrors, Right};
use crate::error::AppError;
use crate::services::webhooks as service;
use crate::services::webhooks::stored;
use crate::services::{project_filters, projects};
use crate::state::AppState;
use crate::web::choices::{self, Choice};
use crate::web::{Area, Chrome, format};

#[derive(Template)]
#[template(path = "webhooks/form.html")]
struct FormPage {
    chrome: Chrome,
    id: Option<WebhookId>,
    form: WebhookForm,
    headers: Vec<HeaderView>,
    errors: FieldErrors,
    can_save: bool,
    can_delete: bool,
    testable: bool,
    test_message: Option<String>,
    test_attempt: Option<crate::web::pending_orders::AttemptView>,
    preview: Option<PreviewView>,
    signing_secret: Option<String>,
    disabled_reason: Option<String>,
    /// The wording as saved, for the heading (the form may hold a refused one).
    saved_wording: String,
    /// The last day of a stored webhook that has expired.
    expired_on: Option<String>,
    renew_days: u64,
    /// The signed-in user's id, the Test dialog's default user.
    me: String,
    second_language: Option<String>,
    users: Vec<Choice>,
    projects: Vec<Choice>,
    project_filters: Vec<Choice>,
    verbs: [Verb; 5],
    actions: [ActionFilter; 4],
    objects: [ObjectType; 5],
    placeholder_help: Vec<(&'static str, String)>,
    field_help: Vec<(&'static str, String)>,
    /// The fields a modification of each object can be narrowed to.
    trigger_groups: Vec<TriggerGroup>,
    today: String,
}

/// One object's fields in the "Only when one of these fields changes" list.
struct TriggerGroup {
    object: &'static str,
    label: &'static str,
    fields: Vec<(&'static str, &'static str)>,
}

pub(super) struct View {
    pub(super) id: Option<WebhookId>,
    pub(super) can_save: bool,
    pub(super) can_delete: bool,
    pub(super) test_message: Option<String>,
    pub(super) test_attempt: Option<crate::web::pending_orders::AttemptView>,
    pub(super) preview: Option<PreviewView>,
}

/// What Preview found: how many events it looked at, and each it would fire for.
pub(super) struct PreviewView {
    pub(super) examined: usize,
    pub(super) matches: Vec<PreviewItem>,
}

pub(super) struct PreviewItem {
    pub(super) event_type: String,
    pub(super) object: String,
    pub(super) at: String,
    /// The request, or why it could not be built.
    pub(super) request: Result<PreviewRequest, String>,
}

pub(super) struct PreviewRequest {
    /// "POST https://…"
    pub(super) line: String,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: String,
}

impl View {
    /// The form of webhook `id` (None: a new one), saved by those who may; only a stored
    /// webhook can be deleted, by those with the right.
    pub(super) fn of(user: &CurrentUser, id: Option<WebhookId>, can_save: bool) -> Self {
        View {
            id,
            can_save,
            can_delete: id.is_some() && user.can(Right::DeleteWebhook),
            test_message: None,
            test_attempt: None,
            preview: None,
        }
    }
}

pub(super) async fn render(
    state: &AppState,
    user: &CurrentUser,
    session: &TypedSession,
    form: WebhookForm,
    errors: FieldErrors,
    view: View,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let users = choices::people(state).await?;
    let projects = projects::projects(state, "")
        .await?
        .into_iter()
        .map(|p| Choice {
            value: p.id.to_string(),
            label: format!("{} — {}", p.code, p.name),
        })
        .collect();
    let project_filters = project_filters::visible(state, user.id)
        .await?
        .into_iter()
        .map(|f| Choice {
            value: f.id.to_string(),
            label: f.name,
        })
        .collect();
    let stored = match view.id {
        Some(id) => stored::find(state, id).await?,
        None => None,
    };
    // The signing secret is shown, on demand, only to those who may modify the webhook.
    let signing_secret = stored
        .as_ref()
        .filter(|_| view.can_save)
        .map(|w| w.signing_secret.clone());
    let expired_on = stored
        .as_ref()
        .and_then(|w| w.valid_until)
        .filter(|until| *until < format::today())
        .map(|until| until.to_string());
    let saved_wording = stored
        .as_ref()
        .map(|w| w.wording.clone())
        .unwrap_or_default();
    let disabled_reason = stored.and_then(|w| w.disabled_reason.filter(|_| form.active.is_none()));
    let page = FormPage {
        chrome: Chrome::new(user, session, Area::Webhooks),
        id: view.id,
        headers: form.header_rows(),
        testable: WebhookDraft::testable(&form.input()),
        form,
        errors,
        can_save: view.can_save,
        can_delete: view.can_delete,
        test_message: view.test_message,
        test_attempt: view.test_attempt,
        preview: view.preview,
        signing_secret,
        disabled_reason,
        saved_wording,
        expired_on,
        renew_days: service::RENEW_DAYS,
        me: user.id.to_string(),
        second_language: state.settings.second_language.clone(),
        users,
        projects,
        project_filters,
        verbs: Verb::ALL,
        actions: ActionFilter::ALL,
        objects: ObjectType::ALL,
        placeholder_help: ObjectType::ALL
            .iter()
            .map(|o| {
                (
                    o.label(),
                    placeholders(*o)
                        .iter()
                        .map(|p| format!("{{{p}}}"))
                        .collect::<Vec<_>>()
                        .join(" "),
                )
            })
            .collect(),
        field_help: ObjectType::ALL
            .iter()
            .map(|o| {
                (
                    o.label(),
                    o.fields()
                        .iter()
                        .map(|f| f.name)
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            })
            .collect(),
        trigger_groups: ObjectType::ALL
            .iter()
            .filter(|o| o.actions().contains(&Action::Modify))
            .map(|o| TriggerGroup {
                object: o.code(),
                label: o.label(),
                fields: o.fields().iter().map(|f| (f.name, f.label)).collect(),
            })
            .collect(),
        today: format::today().to_string(),
    };
    crate::web::render(status, &page)
}

pub async fn new_form(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
) -> Result<HttpResponse, AppError> {
    user.require(Right::CreateWebhook)?;
    let view = View::of(&user, None, true);
    render(
        &state,
        &user,
        &session,
        WebhookForm::blank(),
        FieldErrors::new(),
        view,
        StatusCode::OK,
    )
    .await
}

pub async fn edit_form(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    id: web::Path<WebhookId>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ViewWebhooks)?;
    let (row, headers) = stored::with_headers(&state, *id).await?;
    let view = View::of(&user, Some(row.id), user.can(Right::ModifyWebhook));
    render(
        &state,
        &user,
        &session,
        WebhookForm::from_stored(&row, &headers),
        FieldErrors::new(),
        view,
        StatusCode::OK,
    )
    .await
}
