//! Sending a claimed delivery: its event and webhook gathered (the webhooks from the
//! shared snapshot), the call made, and a delivery that cannot be sent at all settled.

use std::collections::HashMap;
use std::sync::Arc;

use super::{Deliverer, Finished, Handed, Rows};
use crate::db::{self, deliveries::Claimed};
use crate::domain::delivery::{DeliveryStatus, Trigger};
use crate::domain::event::Event;
use crate::domain::ids::EventRowId;

impl Deliverer {
    /// Claimed deliveries with what sending them needs: their events read in one query,
    /// their webhooks from the snapshot.
    pub(super) async fn load(
        &self,
        claimed: Vec<Claimed>,
    ) -> anyhow::Result<Vec<(Claimed, Option<Rows>)>> {
        let event_ids: Vec<EventRowId> = claimed.iter().map(|c| c.event_id).collect();
        let events: HashMap<EventRowId, Arc<Event>> =
            db::events::find_many(&self.store, &event_ids)
                .await?
                .into_iter()
                .map(|(id, e)| (id, Arc::new(e)))
                .collect();
        // Grouped by event, in the order claimed (the oldest first).
        let mut by_event: Vec<Handed> = Vec::new();
        let mut slot: HashMap<EventRowId, usize> = HashMap::new();
        let mut orphans = Vec::new();
        for c in claimed {
            let Some(event) = events.get(&c.event_id) else {
                orphans.push((c, None));
                continue;
            };
            let n = *slot.entry(c.event_id).or_insert_with(|| {
                by_event.push(Handed {
                    event: event.clone(),
                    deliveries: Vec::new(),
                });
                by_event.len() - 1
            });
            by_event[n].deliveries.push(c);
        }
        let mut loaded = self.with_webhooks(by_event).await?;
        loaded.extend(orphans);
        Ok(loaded)
    }

    /// Handed-over deliveries with their webhooks (None: the webhook was deleted meanwhile).
    pub(super) async fn with_webhooks(
        &self,
        batch: Vec<Handed>,
    ) -> anyhow::Result<Vec<(Claimed, Option<Rows>)>> {
        let version = batch
            .iter()
            .flat_map(|h| h.deliveries.iter().map(|c| c.webhooks_version))
            .max()
            .unwrap_or_default();
        let webhooks = self.webhooks.at_least(version).await?;
        let mut out = Vec::new();
        for h in batch {
            for c in h.deliveries {
                let rows = webhooks.get(c.webhook_id).map(|webhook| Rows {
                    webhook: webhook.clone(),
                    event: h.event.clone(),
                });
                out.push((c, rows));
            }
        }
        Ok(out)
    }

    /// Sends a claimed delivery with its webhook, headers and event (None: the webhook was
    /// deleted meanwhile). One that cannot be sent at all is settled here.
    pub(super) async fn send_loaded(
        &self,
        c: Claimed,
        rows: Option<Rows>,
        trigger: Trigger,
    ) -> anyhow::Result<Option<Finished>> {
        let Some(Rows { webhook, event }) = rows else {
            let mut tx = self.store.begin_write().await?;
            db::deliveries::settle(
                &mut tx,
                c.id,
                DeliveryStatus::Cancelled,
                db::now_ms(),
                Some("the webhook was deleted"),
                db::now_ms(),
            )
            .await?;
            tx.commit().await?;
            return Ok(None);
        };
        let started = db::now_ms();
        let called = self
            .caller
            .call(
                &webhook.row,
                &webhook.headers,
                &event,
                &c.message_id,
                trigger,
            )
            .await;
        let attempt = match called {
            Ok(attempt) => attempt,
            Err(e) => {
                let mut tx = self.store.begin_write().await?;
                db::deliveries::settle(
                    &mut tx,
                    c.id,
                    DeliveryStatus::Dead,
                    started,
                    Some(&format!("cannot build the request: {e}")),
                    started,
                )
                .await?;
                tx.commit().await?;
                return Ok(None);
            }
        };
        Ok(Some(Finished {
            claimed: c,
            wording: webhook.row.wording.clone(),
            trigger,
            started,
            attempt,
        }))
    }
}
