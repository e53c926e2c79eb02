//! Recording an event in the change's own transaction, then matching webhooks and writing
//! one delivery per match (the outbox), so that a change, its event and its deliveries
//! commit or roll back together.

use std::sync::Arc;

use serde_json::{Map, Value};
use sqlx::SqlitePool;

use super::catalogue::{Action, ObjectType, event_type};
use super::changes::{FieldChange, diff};
use super::routes::{Routes, Target, fits};
use crate::db::events::{Claim, EventRow, NewDelivery, Route};
use crate::db::{self, Tx};
use crate::domain::project_filter::ProjectCriteria;

/// Who made a change.
#[derive(Debug, Clone)]
pub struct Initiator {
    pub id: Option<i64>,
    pub name: String,
    pub email: String,
}

pub struct Change {
    pub object: ObjectType,
    pub action: Action,
    pub object_id: i64,
    /// A phase's project.
    pub parent: Option<(ObjectType, i64)>,
    pub before: Option<Map<String, Value>>,
    pub after: Option<Map<String, Value>>,
    pub change_version: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Async,
    Sync,
    SyncInTransaction,
}

impl Mode {
    fn code(self) -> &'static str {
        match self {
            Mode::Async => "async",
            Mode::Sync => "sync",
            Mode::SyncInTransaction => "sync_tx",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: i64,
    pub webhook_id: i64,
    pub message_id: String,
    pub mode: Mode,
    /// Written claimed, for this change to send (or hand to the workers) once committed.
    pub claimed: bool,
}

#[derive(Debug, Clone)]
pub struct Recorded {
    pub event_id: i64,
    pub change_version: i64,
    pub changes: Vec<FieldChange>,
    pub deliveries: Vec<Delivery>,
    /// The event as written, so that what follows the commit needs not read it back.
    pub event: Arc<EventRow>,
    /// The webhooks counter the change saw.
    pub webhooks_version: i64,
}

fn json(map: &Option<Map<String, Value>>) -> Option<String> {
    map.as_ref().map(|m| Value::Object(m.clone()).to_string())
}

/// How changes reach webhooks.
pub struct Routing<'a> {
    pub routes: &'a Routes,
    pub pool: &'a SqlitePool,
    /// The most webhooks fired by one action; the others go to the application log.
    pub cap: usize,
    /// The lease a delivery written claimed gets, for the call that follows the commit.
    pub lease_ms: i64,
    /// Whether asynchronous deliveries are written claimed, in their turn, and handed to the
    /// running workers after commit (no claim on the way to the receiver); otherwise they
    /// are queued for the workers to claim.
    pub hand_over: bool,
}

/// Records the change; `None` for a modification that changed no detail field (the caller
/// rolls back).
pub async fn record(
    tx: &mut Tx,
    change: Change,
    by: &Initiator,
    routing: &Routing<'_>,
) -> anyhow::Result<Option<Recorded>> {
    let changes = diff(change.object, change.before.as_ref(), change.after.as_ref());
    if change.action == Action::Modify && changes.is_empty() {
        return Ok(None);
    }
    let now = db::now_ms();
    let (project_id, project_attributes) = concerned_project(tx, &change).await?;
    let parent_attributes = match change.parent {
        Some((ObjectType::Project, _)) => project_attributes.as_ref().map(|p| {
            let mut m = Map::new();
            m.insert("id".into(), project_id.into());
            m.insert("code".into(), p.get("code").cloned().unwrap_or(Value::Null));
            m.insert("name".into(), p.get("name").cloned().unwrap_or(Value::Null));
            Value::Object(m).to_string()
        }),
        _ => None,
    };
    let kind = event_type(change.object, change.action);
    let event_key = format!("evt_{}", crate::random::token()[..24].to_owned());
    let event = db::events::NewEvent {
        event_id: &event_key,
        event_type: &kind,
        object_type: change.object.code(),
        object_id: change.object_id,
        parent_type: change.parent.map(|(o, _)| o.code()),
        parent_id: change.parent.map(|(_, id)| id),
        project_id,
        parent_attributes,
        attributes: json(&change.after),
        before_attributes: json(&change.before),
        changes: serde_json::to_string(&changes)?,
        initiator_id: by.id,
        initiator_name: &by.name,
        initiator_email: &by.email,
        occurred_at: now,
        change_version: change.change_version,
    };
    let inserted = db::events::insert(tx, &event).await?;
    let event_id = inserted.id;
    let routes = routing
        .routes
        .seen_by(tx, routing.pool, inserted.webhooks_version)
        .await?;
    let deliveries = match_and_enqueue(
        tx,
        &change,
        event_id,
        &kind,
        by,
        (project_id, project_attributes.as_ref()),
        (&routes, routing),
        now,
    )
    .await?;
    let event = EventRow {
        id: event_id,
        event_id: event.event_id.to_owned(),
        event_type: event.event_type.to_owned(),
        object_type: change.object.code().to_owned(),
        object_id: change.object_id,
        parent_type: event.parent_type.map(str::to_owned),
        parent_id: event.parent_id,
        project_id: event.project_id,
        parent_attributes: event.parent_attributes,
        attributes: event.attributes,
        before_attributes: event.before_attributes,
        changes: event.changes,
        initiator_id: event.initiator_id,
        initiator_name: by.name.clone(),
        initiator_email: by.email.clone(),
        occurred_at: event.occurred_at,
        change_version: event.change_version,
    };
    Ok(Some(Recorded {
        event_id,
        change_version: change.change_version,
        changes,
        deliveries,
        event: Arc::new(event),
        webhooks_version: inserted.webhooks_version,
    }))
}

/// The project an event concerns and its attributes: the project itself (after the change,
/// or before it for a delete), or a phase's project as it is now.
async fn concerned_project(
    tx: &mut Tx,
    change: &Change,
) -> anyhow::Result<(Option<i64>, Option<Map<String, Value>>)> {
    Ok(match (change.object, change.parent) {
        (ObjectType::Project, _) => (
            Some(change.object_id),
            change.after.clone().or_else(|| change.before.clone()),
        ),
        (ObjectType::Phase, Some((ObjectType::Project, id))) => (
            Some(id),
            db::projects::find(&mut **tx, id)
                .await?
                .map(|p| p.attributes()),
        ),
        _ => (None, None),
    })
}

#[allow(clippy::too_many_arguments)]
async fn match_and_enqueue(
    tx: &mut Tx,
    change: &Change,
    event_id: i64,
    kind: &str,
    by: &Initiator,
    (project_id, project): (Option<i64>, Option<&Map<String, Value>>),
    (routes, routing): (&[Route], &Routing<'_>),
    now: i64,
) -> anyhow::Result<Vec<Delivery>> {
    let today = chrono::Utc::now().date_naive().to_string();
    let target = Target {
        object: change.object.code(),
        action: change.action.code(),
        initiator: by.id,
        project: project_id,
        today: &today,
    };
    let mut matched = Vec::new();
    for route in routes.iter().filter(|r| fits(r, &target)) {
        if let Some(filter_id) = route.project_filter_id {
            let Some(project) = project else { continue };
            let Some(filter) = db::project_filters::find(&mut **tx, filter_id).await? else {
                continue;
            };
            let criteria: ProjectCriteria =
                serde_json::from_str(&filter.criteria).unwrap_or_default();
            if !criteria.matches(project) {
                continue;
            }
        }
        matched.push(route);
    }
    let cap = routing.cap;
    for over in matched.iter().skip(cap) {
        let message = format!(
            "Webhook #{} was not fired for {kind} (object #{}): at most {cap} webhooks fire for one action.",
            over.id, change.object_id
        );
        db::events::log(
            tx,
            "warning",
            "over_cap",
            &message,
            Some(over.id),
            Some(event_id),
            now,
        )
        .await?;
        tracing::warn!(
            webhook_id = over.id,
            event_id,
            cap,
            "webhook over the per-action cap not fired"
        );
    }
    let firing: Vec<(&Route, Mode, String)> = matched
        .into_iter()
        .take(cap)
        .map(|r| {
            let mode = match (r.synchronous, r.in_transaction) {
                (false, _) => Mode::Async,
                (true, false) => Mode::Sync,
                (true, true) => Mode::SyncInTransaction,
            };
            (r, mode, format!("msg_{}", &crate::random::token()[..24]))
        })
        .collect();
    let rows: Vec<NewDelivery> = firing
        .iter()
        .map(|(r, mode, message_id)| NewDelivery {
            webhook_id: r.id,
            message_id,
            mode: mode.code(),
            claim: match mode {
                // A synchronous call follows the commit at once, made by this change itself.
                Mode::Sync => Claim::Yes,
                Mode::Async if routing.hand_over => Claim::InTurn,
                _ => Claim::No,
            },
        })
        .collect();
    let object_key = format!("{}:{}", change.object.code(), change.object_id);
    let written =
        db::events::insert_deliveries(tx, event_id, &object_key, &rows, now, routing.lease_ms)
            .await?;
    Ok(firing
        .into_iter()
        .zip(written)
        .map(|((r, mode, message_id), w)| Delivery {
            id: w.id,
            webhook_id: r.id,
            message_id,
            mode,
            claimed: w.claimed,
        })
        .collect())
}
