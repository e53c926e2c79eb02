//! Recording an event in the change's own transaction, then matching webhooks and writing
//! one delivery per match (the outbox), so that a change, its event and its deliveries
//! commit or roll back together.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::db::events::{Claim, Inserted, NewDelivery, Written};
use crate::db::snapshot::{Snapshot, Webhook};
use crate::db::webhooks::WebhookRow;
use crate::db::{self, Tx};
use crate::domain::Coded;
use crate::domain::catalogue::{Action, ObjectType, event_type};
use crate::domain::event::Event;
use crate::domain::ids::{DeliveryId, EventRowId, ProjectId, UserId, WebhookId};
use crate::domain::webhook::Mode;
use crate::events::changes::{FieldChange, diff};
use crate::events::routes::{Target, fits, log_over_cap};

/// Who made a change.
#[derive(Debug, Clone)]
pub struct Initiator {
    pub id: Option<UserId>,
    pub name: String,
    pub email: String,
    /// The API token it came through, by name.
    pub via_token: Option<String>,
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

#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: DeliveryId,
    pub webhook_id: WebhookId,
    pub message_id: String,
    pub mode: Mode,
    /// Written claimed, for this change to send (or hand to the workers) once committed.
    pub claimed: bool,
}

#[derive(Debug, Clone)]
pub struct Recorded {
    pub event_id: EventRowId,
    pub change_version: i64,
    pub changes: Vec<FieldChange>,
    pub deliveries: Vec<Delivery>,
    /// The event as written, so that what follows the commit needs not read it back.
    pub event: Arc<Event>,
    /// The webhooks counter the change saw.
    pub webhooks_version: i64,
}

fn json(map: &Option<Map<String, Value>>) -> Option<String> {
    map.as_ref().map(|m| Value::Object(m.clone()).to_string())
}

/// How changes reach webhooks.
pub struct Routing<'a> {
    pub webhooks: &'a Arc<Snapshot>,
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
            m.insert("id".into(), project_id.map(ProjectId::get).into());
            m.insert("code".into(), p.get("code").cloned().unwrap_or(Value::Null));
            m.insert("name".into(), p.get("name").cloned().unwrap_or(Value::Null));
            Value::Object(m).to_string()
        }),
        _ => None,
    };
    let kind = event_type(change.object, change.action);
    let mut event = Event {
        // Given by the database when the event is written.
        id: EventRowId::new(0),
        event_id: crate::random::sortable_id("evt_", now),
        event_type: kind.clone(),
        object_type: change.object,
        object_id: change.object_id,
        parent_type: change.parent.map(|(o, _)| o),
        parent_id: change.parent.map(|(_, id)| id),
        project_id,
        parent_attributes,
        attributes: json(&change.after),
        before_attributes: json(&change.before),
        changes: serde_json::to_string(&changes)?,
        initiator_id: by.id,
        initiator_name: by.name.clone(),
        initiator_email: by.email.clone(),
        initiator_token: by.via_token.clone(),
        occurred_at: now,
        change_version: change.change_version,
    };
    let changed: Vec<&str> = changes.iter().map(|c| c.name.as_str()).collect();
    let target = Target {
        object: change.object,
        action: change.action,
        initiator: by.id,
        project: project_id,
        today: chrono::Utc::now().date_naive(),
        changed: &changed,
        about: None,
    };
    let project = project_attributes.as_ref();
    let object_key = format!("{}:{}", change.object.code(), change.object_id);

    // Usually the webhooks have not changed since the routes were last read: the event and
    // its deliveries then go in one round trip, and the counter that comes back confirms it.
    // Otherwise the event is written alone, and its deliveries after it.
    let mut written_first = None;
    if let Some(webhooks) = routing.webhooks.last() {
        let version = webhooks.version;
        let plan = plan(
            &select(tx, webhooks.all(), &target, project).await?,
            routing,
            now,
        );
        if plan.over_cap.is_empty() {
            let (inserted, written) = if plan.firing.is_empty() {
                (db::events::insert(tx, &event).await?, Vec::new())
            } else {
                let rows = plan.rows();
                let lease = routing.lease_ms;
                db::events::insert_with_deliveries(tx, &event, &object_key, &rows, now, lease)
                    .await?
            };
            if inserted.webhooks_version == version {
                written_first = Some((inserted, Some(plan.deliveries(written))));
            } else {
                if !written.is_empty() {
                    db::events::delete_deliveries(tx, inserted.id).await?;
                }
                written_first = Some((inserted, None));
            }
        }
    }
    let (inserted, confirmed) = match written_first {
        Some(first) => first,
        None => (db::events::insert(tx, &event).await?, None),
    };
    let deliveries = match confirmed {
        Some(deliveries) => deliveries,
        None => {
            let webhooks = routing
                .webhooks
                .seen_by(tx, inserted.webhooks_version)
                .await?;
            let written = (&inserted, object_key.as_str());
            let plan = plan(
                &select(tx, webhooks.all(), &target, project).await?,
                routing,
                now,
            );
            enqueue(tx, plan, written, &kind, change.object_id, routing, now).await?
        }
    };
    let event_id = inserted.id;
    event.id = event_id;
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
) -> anyhow::Result<(Option<ProjectId>, Option<Map<String, Value>>)> {
    Ok(match (change.object, change.parent) {
        (ObjectType::Project, _) => (
            Some(ProjectId::new(change.object_id)),
            change.after.clone().or_else(|| change.before.clone()),
        ),
        (ObjectType::Phase, Some((ObjectType::Project, id))) => (
            Some(ProjectId::new(id)),
            db::projects::find(&mut *tx, ProjectId::new(id))
                .await?
                .map(|p| p.attributes()),
        ),
        _ => (None, None),
    })
}

/// The webhooks an event goes to, in id order, their project filters evaluated.
async fn select<'r>(
    tx: &mut Tx,
    webhooks: &'r [Arc<Webhook>],
    target: &Target<'_>,
    project: Option<&Map<String, Value>>,
) -> anyhow::Result<Vec<&'r WebhookRow>> {
    let mut matched = Vec::new();
    for route in webhooks.iter().map(|w| &w.row).filter(|r| fits(r, target)) {
        if let Some(filter_id) = route.project_filter_id {
            let Some(project) = project else { continue };
            let Some(filter) = db::project_filters::find(&mut *tx, filter_id).await? else {
                continue;
            };
            if !filter.criteria.matches(project) {
                continue;
            }
        }
        matched.push(route);
    }
    Ok(matched)
}

/// Which matched webhooks fire (at most the cap) and how, and which are over the cap.
struct Plan {
    firing: Vec<(WebhookId, Mode, String)>,
    over_cap: Vec<WebhookId>,
    hand_over: bool,
}

fn plan(matched: &[&WebhookRow], routing: &Routing<'_>, now: i64) -> Plan {
    let firing = matched
        .iter()
        .take(routing.cap)
        .map(|r| (r.id, r.mode, crate::random::sortable_id("msg_", now)))
        .collect();
    Plan {
        firing,
        over_cap: matched.iter().skip(routing.cap).map(|r| r.id).collect(),
        hand_over: routing.hand_over,
    }
}

impl Plan {
    fn rows(&self) -> Vec<NewDelivery<'_>> {
        self.firing
            .iter()
            .map(|(webhook_id, mode, message_id)| NewDelivery {
                webhook_id: *webhook_id,
                message_id,
                mode: mode.code(),
                claim: match mode {
                    // A synchronous call follows the commit at once, made by this change.
                    Mode::Synchronous => Claim::Yes,
                    Mode::Asynchronous if self.hand_over => Claim::InTurn,
                    _ => Claim::No,
                },
            })
            .collect()
    }

    fn deliveries(self, written: Vec<Written>) -> Vec<Delivery> {
        self.firing
            .into_iter()
            .zip(written)
            .map(|((webhook_id, mode, message_id), w)| Delivery {
                id: w.id,
                webhook_id,
                message_id,
                mode,
                claimed: w.claimed,
            })
            .collect()
    }
}

/// Logs the webhooks over the cap, and writes the deliveries of a recorded event.
async fn enqueue(
    tx: &mut Tx,
    plan: Plan,
    (event, object_key): (&Inserted, &str),
    kind: &str,
    object_id: i64,
    routing: &Routing<'_>,
    now: i64,
) -> anyhow::Result<Vec<Delivery>> {
    log_over_cap(
        tx,
        &plan.over_cap,
        kind,
        object_id,
        event.id,
        routing.cap,
        now,
    )
    .await?;
    let written = db::events::insert_deliveries(
        tx,
        event.id,
        object_key,
        &plan.rows(),
        now,
        routing.lease_ms,
    )
    .await?;
    Ok(plan.deliveries(written))
}
