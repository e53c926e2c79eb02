//! The create / modify form: Wording, Description, Active, URL, Verb, Body, Headers,
//! Synchronous, Transaction execution, Event, Multilingual, and the extras. Buttons: Test,
//! Apply, Register, See history, Delete — each shown only to those with the right.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::{CurrentUser, TypedSession};
use crate::domain::catalogue::{ActionFilter, ObjectType};
use crate::domain::ids::WebhookId;
use crate::domain::template::placeholders;
use crate::domain::webhook::{ExcludedFields, HeaderInput, Verb, WebhookDraft, WebhookInput};
use crate::domain::{Entered, FieldErrors, Right};
use crate::error::AppError;
use crate::services::webhooks as service;
use crate::services::webhooks::stored::{self, HeaderRow, WebhookRow};
use crate::services::{accounts, project_filters, projects};
use crate::state::AppState;
use crate::web::{Area, Chrome, format};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct WebhookForm {
    pub wording: String,
    pub description: String,
    pub active: Option<String>,
    pub url: String,
    pub verb: String,
    pub body: String,
    pub header_name: Vec<String>,
    pub header_value: Vec<String>,
    pub header_kind: Vec<String>,
    pub synchronous: Option<String>,
    pub in_transaction: Option<String>,
    pub event_action: String,
    pub event_object: String,
    pub project_filter: String,
    pub second_label: String,
    pub initiator_user: String,
    pub excluded_fields: String,
    pub exclude_payload: Option<String>,
    pub valid_until: String,
    pub project: String,
    pub values_as_strings: Option<String>,
    pub version: String,
    pub id: String,
    pub action: String,
    pub test_project: String,
    pub test_user: String,
}

/// A checkbox counts as checked when sent with a value other than empty, "off" or "false".
fn checked(value: &Option<String>) -> bool {
    value
        .as_deref()
        .is_some_and(|v| !matches!(v.trim(), "" | "off" | "false" | "0"))
}

impl WebhookForm {
    /// Unchecked boxes become None, so that the re-rendered form shows what was validated.
    pub(super) fn normalised(mut self) -> Self {
        for flag in [
            &mut self.active,
            &mut self.synchronous,
            &mut self.in_transaction,
            &mut self.exclude_payload,
            &mut self.values_as_strings,
        ] {
            if !checked(flag) {
                *flag = None;
            }
        }
        self
    }

    pub(super) fn input(&self) -> WebhookInput {
        let headers = self
            .header_name
            .iter()
            .enumerate()
            .map(|(i, name)| HeaderInput {
                name: name.clone(),
                value: self.header_value.get(i).cloned().unwrap_or_default(),
                secret: self.header_kind.get(i).is_some_and(|k| k == "secret"),
            })
            .collect();
        WebhookInput {
            wording: self.wording.clone(),
            description: self.description.clone(),
            active: checked(&self.active),
            url: self.url.clone(),
            verb: self.verb.clone(),
            body: self.body.clone(),
            headers,
            synchronous: checked(&self.synchronous),
            in_transaction: checked(&self.in_transaction),
            event_action: Entered::read_with(&self.event_action, ActionFilter::parse),
            event_object: Entered::read_with(&self.event_object, ObjectType::parse),
            project_filter: Entered::read(&self.project_filter),
            second_label: self.second_label.clone(),
            initiator_user: Entered::read(&self.initiator_user),
            excluded_fields: ExcludedFields::words(&self.excluded_fields),
            exclude_payload: checked(&self.exclude_payload),
            valid_until: self.valid_until.clone(),
            project: Entered::read(&self.project),
            values_as_strings: checked(&self.values_as_strings),
        }
    }

    fn blank() -> Self {
        WebhookForm {
            active: Some("on".into()),
            verb: "POST".into(),
            body: "{payload}".into(),
            event_action: "all".into(),
            event_object: "project".into(),
            ..Self::default()
        }
    }

    fn from_stored(row: &WebhookRow, headers: &[HeaderRow]) -> Self {
        let on = |b: bool| b.then(|| "on".to_owned());
        WebhookForm {
            wording: row.wording.clone(),
            description: row.description.clone(),
            active: on(row.active),
            url: row.url.clone(),
            verb: row.verb.as_str().to_owned(),
            body: row.body.clone(),
            header_name: headers.iter().map(|h| h.name.clone()).collect(),
            // A secret value never goes back to the browser.
            header_value: headers
                .iter()
                .map(|h| {
                    if h.secret {
                        String::new()
                    } else {
                        h.value.clone()
                    }
                })
                .collect(),
            header_kind: headers
                .iter()
                .map(|h| if h.secret { "secret" } else { "plain" }.to_owned())
                .collect(),
            synchronous: on(row.mode.synchronous()),
            in_transaction: on(row.mode.in_transaction()),
            event_action: row.event_action.code().to_owned(),
            event_object: row.event_object.code().to_owned(),
            project_filter: row
                .project_filter_id
                .map(|i| i.to_string())
                .unwrap_or_default(),
            second_label: row.second_label.clone().unwrap_or_default(),
            initiator_user: row
                .initiator_user_id
                .map(|i| i.to_string())
                .unwrap_or_default(),
            excluded_fields: row.excluded_fields.to_string(),
            exclude_payload: on(row.exclude_payload),
            valid_until: row.valid_until.map(|d| d.to_string()).unwrap_or_default(),
            project: row.project_id.map(|i| i.to_string()).unwrap_or_default(),
            values_as_strings: on(row.values_as_strings),
            version: row.version.to_string(),
            id: row.id.to_string(),
            ..Self::default()
        }
    }

    /// Header rows for display, secret values blanked, plus one empty row to fill.
    fn header_rows(&self) -> Vec<HeaderView> {
        let mut rows: Vec<HeaderView> = self
            .header_name
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let secret = self.header_kind.get(i).is_some_and(|k| k == "secret");
                HeaderView {
                    name: name.clone(),
                    value: if secret {
                        String::new()
                    } else {
                        self.header_value.get(i).cloned().unwrap_or_default()
                    },
                    secret,
                }
            })
            .filter(|h| !(h.name.trim().is_empty() && h.value.trim().is_empty() && !h.secret))
            .collect();
        rows.push(HeaderView {
            name: String::new(),
            value: String::new(),
            secret: false,
        });
        rows
    }
}

pub struct HeaderView {
    pub name: String,
    pub value: String,
    pub secret: bool,
}

pub struct Choice {
    pub value: String,
    pub label: String,
}

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
    objects: [ObjectType; 3],
    placeholder_help: Vec<(&'static str, String)>,
    field_help: Vec<(&'static str, String)>,
    today: String,
}

pub(super) struct View {
    pub(super) id: Option<WebhookId>,
    pub(super) can_save: bool,
    pub(super) can_delete: bool,
    pub(super) test_message: Option<String>,
    pub(super) test_attempt: Option<crate::web::pending_orders::AttemptView>,
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
    let users = accounts::users(state)
        .await?
        .into_iter()
        .map(|u| Choice {
            value: u.id.to_string(),
            label: format!("{} <{}>", u.display_name, u.email),
        })
        .collect();
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
    let view = View {
        id: None,
        can_save: true,
        can_delete: false,
        test_message: None,
        test_attempt: None,
    };
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
    let view = View {
        id: Some(row.id),
        can_save: user.can(Right::ModifyWebhook),
        can_delete: user.can(Right::DeleteWebhook),
        test_message: None,
        test_attempt: None,
    };
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
