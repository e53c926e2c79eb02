//! Hookline's own events, `webhook.disabled` and `delivery.dead`: written in the transaction
//! that turns a webhook off or gives a delivery up, and queued to the webhooks listening to
//! them, so that a team's chat or pager hears when a webhook is in trouble. Never to the
//! webhook an event is about, and a delivery of one of these events that dies tells no one:
//! two webhooks whose receivers are both down cannot keep telling each other.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::payload::timestamp;
use super::routes::{Target, fits, log_over_cap};
use crate::db::events::{Claim, NewDelivery};
use crate::db::snapshot::Snapshot;
use crate::db::{self, Tx};
use crate::domain::catalogue::{ObjectType, event_type};
use crate::domain::event::Event;
use crate::domain::ids::{DeliveryId, EventRowId, WebhookId};

/// Who makes operational events, in payloads and placeholders.
pub const INITIATOR: &str = "Hookline";

/// Something an operator should hear about.
#[derive(Debug, Clone)]
pub enum Notice {
    WebhookDisabled {
        webhook: WebhookId,
        wording: String,
        reason: String,
        /// When its run of failed calls began (none for a 410 Gone).
        failing_since: Option<i64>,
        failures: i64,
    },
    DeliveryDead {
        delivery: DeliveryId,
        /// The event the delivery carried.
        event: EventRowId,
        message_id: String,
        webhook: WebhookId,
        wording: String,
        attempts: i64,
        last_error: Option<String>,
    },
}

/// What a dead delivery carried, as `delivery.dead` tells it.
pub struct Carried<'a> {
    pub event_id: &'a str,
    pub event_type: &'a str,
}

impl Notice {
    pub fn object(&self) -> ObjectType {
        match self {
            Notice::WebhookDisabled { .. } => ObjectType::Webhook,
            Notice::DeliveryDead { .. } => ObjectType::Delivery,
        }
    }

    fn object_id(&self) -> i64 {
        match self {
            Notice::WebhookDisabled { webhook, .. } => webhook.get(),
            Notice::DeliveryDead { delivery, .. } => delivery.get(),
        }
    }

    /// The webhook the event is about, which is never told of it.
    fn about(&self) -> WebhookId {
        match self {
            Notice::WebhookDisabled { webhook, .. } | Notice::DeliveryDead { webhook, .. } => {
                *webhook
            }
        }
    }

    /// The event's attributes, named as the catalogue names the object's fields.
    pub fn attributes(&self, carried: Option<Carried<'_>>) -> Map<String, Value> {
        let value = match self {
            Notice::WebhookDisabled {
                wording,
                reason,
                failing_since,
                failures,
                ..
            } => json!({
                "wording": wording,
                "disabled_reason": reason,
                "failing_since": failing_since.map(timestamp),
                "failures": failures,
            }),
            Notice::DeliveryDead {
                message_id,
                webhook,
                wording,
                attempts,
                last_error,
                ..
            } => json!({
                "message_id": message_id,
                "webhook": webhook,
                "webhook_wording": wording,
                "event_id": carried.as_ref().map(|c| c.event_id),
                "event_type": carried.as_ref().map(|c| c.event_type),
                "attempts": attempts,
                "last_error": last_error,
            }),
        };
        match value {
            Value::Object(map) => map,
            _ => unreachable!("written as an object above"),
        }
    }

    /// The event as recorded (its row id given by the database), made by Hookline now.
    pub fn event(&self, attributes: Map<String, Value>, now: i64) -> Event {
        let object = self.object();
        Event {
            id: EventRowId::new(0),
            event_id: crate::random::sortable_id("evt_", now),
            event_type: event_type(object, object.actions()[0]),
            object_type: object,
            object_id: self.object_id(),
            parent_type: None,
            parent_id: None,
            project_id: None,
            parent_attributes: None,
            attributes: Some(Value::Object(attributes).to_string()),
            before_attributes: None,
            changes: "[]".into(),
            initiator_id: None,
            initiator_name: INITIATOR.into(),
            initiator_email: String::new(),
            initiator_token: None,
            occurred_at: now,
            // Hookline's objects have no versions of their own; time orders their events.
            change_version: now,
        }
    }
}

/// Records each notice that a webhook listens to as an event, with a queued delivery per
/// listening webhook (at most `cap`; the others go to the application log). Gives how
/// many deliveries were queued, for the caller to wake the workers once committed.
pub async fn record(
    tx: &mut Tx,
    snapshot: &Arc<Snapshot>,
    notices: &[Notice],
    cap: usize,
    now: i64,
) -> anyhow::Result<usize> {
    if notices.is_empty() {
        return Ok(0);
    }
    let version = db::snapshot::generations(&mut *tx).await?.generation;
    let webhooks = snapshot.seen_by(tx, version).await?;
    let today = chrono::Utc::now().date_naive();
    let mut queued = 0;
    for notice in notices {
        let object = notice.object();
        let target = Target {
            object,
            action: object.actions()[0],
            initiator: None,
            project: None,
            today,
            changed: &[],
            about: Some(notice.about()),
        };
        let listening: Vec<WebhookId> = webhooks
            .active()
            .map(|w| &w.row)
            .filter(|r| fits(r, &target))
            .map(|r| r.id)
            .collect();
        if listening.is_empty() {
            continue;
        }
        let carried = match notice {
            Notice::DeliveryDead { event, .. } => {
                match db::events::kind_of(&mut *tx, *event).await? {
                    // A notice's own delivery dying tells no one (see the module's note).
                    Some((_, _, carried_object)) if carried_object.is_operational() => continue,
                    found => found,
                }
            }
            Notice::WebhookDisabled { .. } => None,
        };
        let carried = carried.as_ref().map(|(event_id, event_type, _)| Carried {
            event_id,
            event_type,
        });
        let event = notice.event(notice.attributes(carried), now);
        let message_ids: Vec<String> = listening
            .iter()
            .take(cap)
            .map(|_| crate::random::sortable_id("msg_", now))
            .collect();
        let rows: Vec<NewDelivery<'_>> = listening
            .iter()
            .zip(&message_ids)
            .map(|(webhook_id, message_id)| NewDelivery {
                webhook_id: *webhook_id,
                message_id,
                mode: "async",
                claim: Claim::No,
            })
            .collect();
        let object_key = format!("{}:{}", object.code(), notice.object_id());
        let (inserted, written) =
            db::events::insert_with_deliveries(tx, &event, &object_key, &rows, now, 0).await?;
        let over = listening.get(cap..).unwrap_or_default();
        log_over_cap(
            tx,
            over,
            &event.event_type,
            event.object_id,
            inserted.id,
            cap,
            now,
        )
        .await?;
        queued += written.len();
    }
    Ok(queued)
}
