//! The webhook list: sorted, paged, narrowed by the user's active filter.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{event_label, mode_label};
use crate::auth::{CurrentUser, TypedSession};
use crate::db::{self, webhooks::Sort};
use crate::domain::Right;
use crate::domain::webhook::ListCriteria;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::{Area, Chrome, format};

pub const PAGE_SIZE: i64 = 50;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    page: Option<i64>,
    sort: String,
    dir: String,
}

pub struct Item {
    pub id: i64,
    pub wording: String,
    pub status: (&'static str, &'static str),
    pub event: String,
    pub url: String,
    pub verb: String,
    pub mode: &'static str,
    pub last_execution: String,
    pub last_status: Option<(String, &'static str)>,
}

pub struct Column {
    pub label: &'static str,
    pub href: String,
    pub sorted: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "webhooks/list.html")]
struct ListPage {
    chrome: Chrome,
    items: Vec<Item>,
    total: i64,
    page: i64,
    pages: i64,
    filter_summary: String,
    filter_active: bool,
    can_create: bool,
    columns: Vec<Column>,
    sort: &'static str,
    dir: &'static str,
}

/// The user's active filter, if any: its name (when saved) and criteria.
pub async fn active_criteria(
    state: &AppState,
    user_id: i64,
) -> Result<(Option<String>, ListCriteria), AppError> {
    Ok(
        match db::list_filters::active(&state.pool, user_id).await? {
            Some(a) => (
                a.name,
                serde_json::from_str(&a.criteria).unwrap_or_default(),
            ),
            None => (None, ListCriteria::default()),
        },
    )
}

pub async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: TypedSession,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    user.require(Right::ViewWebhooks)?;
    let (name, criteria) = active_criteria(&state, user.id).await?;
    let sort = Sort::parse(&query.sort);
    let descending = query.dir == "desc";
    let total = db::webhooks::count(&state.pool, &criteria).await?;
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let page = query.page.unwrap_or(1).clamp(1, pages);
    let rows = db::webhooks::list(
        &state.pool,
        &criteria,
        sort,
        descending,
        PAGE_SIZE,
        (page - 1) * PAGE_SIZE,
    )
    .await?;
    let today = format::today().format("%Y-%m-%d").to_string();
    let items = rows
        .into_iter()
        .map(|r| Item {
            status: match (r.active, r.valid_until.as_deref()) {
                (_, Some(until)) if until < today.as_str() => ("Expired", "off"),
                (true, _) => ("Yes", "ok"),
                (false, _) => ("No", "off"),
            },
            event: event_label(&r.event_action, &r.event_object, r.project_filter_id),
            mode: mode_label(&r),
            last_execution: r.last_execution_at.map(format::time).unwrap_or_default(),
            last_status: format::last_status(r.last_status),
            id: r.id,
            wording: r.wording,
            url: r.url,
            verb: r.verb,
        })
        .collect();
    let dir = if descending { "desc" } else { "asc" };
    let page_view = ListPage {
        chrome: Chrome::new(&user, &session, Area::Webhooks),
        items,
        total,
        page,
        pages,
        filter_summary: name.unwrap_or_else(|| criteria.summary()),
        filter_active: !criteria.is_empty(),
        can_create: user.can(Right::CreateWebhook),
        columns: columns(sort, descending),
        sort: sort.code(),
        dir,
    };
    crate::web::page(&page_view)
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
