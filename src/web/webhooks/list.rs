//! The webhook list: sorted, paged, narrowed by the user's active filter.

use std::collections::HashMap;
use std::sync::Mutex;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::TypedSession;
use crate::auth::current_user::current_user_with_list;
use crate::domain::Right;
use crate::domain::catalogue::{Narrowing, event_label};
use crate::domain::ids::WebhookId;
use crate::domain::webhook::Standing;
use crate::error::AppError;
use crate::services::webhook_list::{PageRow, Sort, Stamp};
use crate::state::AppState;
use crate::web::{Area, Chrome, format};

pub const PAGE_SIZE: usize = 50;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    page: Option<i64>,
    sort: String,
    dir: String,
}

pub struct Item {
    pub id: WebhookId,
    pub wording: String,
    pub status: (&'static str, &'static str),
    pub event: String,
    pub url: String,
    pub verb: String,
    pub mode: &'static str,
    pub last_execution: String,
    pub last_status: Option<(String, &'static str)>,
    /// Why Hookline turned it off, while it stays off.
    pub disabled_reason: Option<String>,
}

pub struct Column {
    pub label: &'static str,
    pub href: String,
    pub sorted: Option<&'static str>,
}

/// One row of the list, rendered once per read-model snapshot and reused.
#[derive(Template)]
#[template(path = "webhooks/_row.html")]
struct RowView<'a> {
    w: &'a Item,
}

#[derive(Template)]
#[template(path = "webhooks/list.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<String>,
    total: usize,
    page: usize,
    pages: usize,
    filter_summary: String,
    filter_active: bool,
    can_create: bool,
    columns: Vec<Column>,
    sort: &'static str,
    dir: &'static str,
}

/// Rows of the list as rendered, kept while the list shows the same state (the same
/// webhooks, outcomes and day): most pages show the same rows again.
#[derive(Default)]
pub struct RenderedRows(Mutex<(Option<Stamp>, HashMap<WebhookId, String>)>);

impl RenderedRows {
    fn rows(&self, stamp: Stamp, rows: &[PageRow<'_>], today: chrono::NaiveDate) -> Vec<String> {
        let mut kept = self.0.lock().expect("rendered rows lock");
        if kept.0 != Some(stamp) {
            *kept = (Some(stamp), HashMap::new());
        }
        rows.iter()
            .map(|r| {
                kept.1
                    .entry(r.webhook.row.id)
                    .or_insert_with(|| RowView { w: &item(r, today) }.render().unwrap_or_default())
                    .clone()
            })
            .collect()
    }
}

pub async fn list(
    state: web::Data<AppState>,
    rendered: web::Data<RenderedRows>,
    req: HttpRequest,
    session: TypedSession,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let (user, list_state) = current_user_with_list(&state, &session, &req).await?;
    user.require(Right::ViewWebhooks)?;
    let criteria = list_state.criteria.unwrap_or_default();
    let sort = Sort::parse(&query.sort);
    let descending = query.dir == "desc";
    let today = format::today();
    let requested = query.page.unwrap_or(1).max(1) as usize;
    let (total, page, rows) = state
        .webhook_list
        .page(
            (&state.store, &state.webhooks),
            list_state.generations,
            &criteria,
            (sort, descending),
            ((requested - 1) * PAGE_SIZE, PAGE_SIZE),
            |p| (p.total, requested, rendered.rows(p.stamp, &p.rows, today)),
        )
        .await?;
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    if page > pages {
        return Ok(crate::error::redirect(&format!(
            "/webhooks?page={pages}&sort={}&dir={}",
            sort.code(),
            if descending { "desc" } else { "asc" }
        )));
    }
    let page_view = ListPage {
        chrome: Chrome::new(&user, &session, Area::Webhooks),
        rows,
        total,
        page,
        pages,
        filter_summary: list_state.filter_name.unwrap_or_else(|| criteria.summary()),
        filter_active: !criteria.is_empty(),
        can_create: user.can(Right::CreateWebhook),
        columns: columns(sort, descending),
        sort: sort.code(),
        dir: if descending { "desc" } else { "asc" },
    };
    crate::web::page(&page_view)
}

fn item(p: &PageRow<'_>, today: chrono::NaiveDate) -> Item {
    let w = p.webhook;
    let r = &w.row;
    let triggers = r.trigger_fields.to_string();
    Item {
        status: match Standing::of(r.active, r.valid_until, today) {
            Standing::Active => (Standing::Active.label(), "ok"),
            other => (other.label(), "off"),
        },
        event: event_label(
            r.event_action,
            r.event_object,
            Narrowing {
                project_filter: w.project_filter_name.as_deref(),
                project: w.project_code.as_deref(),
                initiator: w.initiator_name.as_deref(),
                triggers: Some(&triggers),
            },
        ),
        mode: r.mode.label(),
        last_execution: p.last_execution_at.map(format::time).unwrap_or_default(),
        last_status: format::last_status(p.last_status),
        id: r.id,
        wording: r.wording.clone(),
        disabled_reason: r.disabled_reason.clone().filter(|_| !r.active),
        url: r.url.clone(),
        verb: r.verb.as_str().to_owned(),
    }
}

fn columns(sort: Sort, descending: bool) -> Vec<Column> {
    [
        ("Wording", Some(Sort::Wording)),
        ("Active", None),
        ("Event", None),
        ("URL", Some(Sort::Url)),
        ("Verb", Some(Sort::Verb)),
        ("Mode", None),
        ("Last execution", Some(Sort::LastExecution)),
        ("Last status", None),
    ]
    .into_iter()
    .map(|(label, by)| {
        let Some(by) = by else {
            return Column {
                label,
                href: String::new(),
                sorted: None,
            };
        };
        let this = by == sort;
        let next_dir = if this && !descending { "desc" } else { "asc" };
        Column {
            label,
            href: format!("/webhooks?sort={}&dir={next_dir}", by.code()),
            sorted: this.then_some(if descending {
                "descending"
            } else {
                "ascending"
            }),
        }
    })
    .collect()
}
