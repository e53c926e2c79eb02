//! Keeping to each webhook's rate limit: claimed deliveries of a limited webhook get booked
//! start times (see `db::pacing`), and those the limit has no room for within the horizon go
//! back to the queue, due when their turn comes.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use super::{Deliverer, Rows};
use crate::db::{self, deliveries::Claimed};
use crate::domain::ids::{DeliveryId, WebhookId};
use crate::domain::webhook::RateLimit;

/// Calls are booked at most this far ahead: a claim never waits longer for its slot.
const HORIZON: Duration = Duration::from_secs(1);

/// A claimed delivery ready to send, and when its call may start (microseconds since the
/// epoch; None for a webhook without a rate limit).
pub(super) type Paced = (Claimed, Option<Rows>, Option<i64>);

fn now_us() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

impl Deliverer {
    /// Books the calls of rate-limited webhooks, in the order claimed; gives back to the
    /// queue those that must wait longer than the horizon.
    pub(super) async fn pace(&self, loaded: Vec<(Claimed, Option<Rows>)>) -> Vec<Paced> {
        let mut limited: HashMap<WebhookId, (RateLimit, Vec<usize>)> = HashMap::new();
        for (i, (c, rows)) in loaded.iter().enumerate() {
            if let Some(limit) = rows.as_ref().and_then(|r| r.webhook.row.rate_limit) {
                limited
                    .entry(c.webhook_id)
                    .or_insert((limit, Vec::new()))
                    .1
                    .push(i);
            }
        }
        let mut starts: Vec<Option<i64>> = vec![None; loaded.len()];
        if limited.is_empty() {
            return loaded.into_iter().map(|(c, r)| (c, r, None)).collect();
        }
        let now = now_us();
        let mut later = Vec::new();
        for (webhook, (limit, claimed)) in limited {
            let interval = limit.interval_us();
            let horizon = HORIZON.as_micros() as i64;
            let booked = db::pacing::book(&self.store, webhook, claimed.len(), interval, now, horizon)
                .await
                .unwrap_or_else(|e| {
                    // Nothing booked: all of them wait a little in the queue.
                    tracing::error!(error = %e, webhook_id = %webhook, "cannot book calls against a rate limit");
                    db::pacing::Booked { first_us: now, count: 0, next_free_us: now + horizon }
                });
            for (k, &i) in claimed.iter().enumerate() {
                if k < booked.count {
                    starts[i] = Some(booked.first_us + k as i64 * interval);
                } else {
                    // Due when its turn would come, so the queue hands them out at the pace.
                    let turn = booked.next_free_us + (k - booked.count) as i64 * interval;
                    later.push((loaded[i].0.id, turn.div_euclid(1000)));
                }
            }
        }
        if let Err(e) = db::pacing::postpone(&self.store, &later).await {
            // Still claimed: they go again when their lease runs out.
            tracing::error!(error = %e, "cannot put rate-limited deliveries back in the queue");
        }
        let waiting: HashSet<DeliveryId> = later.into_iter().map(|(id, _)| id).collect();
        loaded
            .into_iter()
            .zip(starts)
            .filter(|((c, _), _)| !waiting.contains(&c.id))
            .map(|((c, rows), start)| (c, rows, start))
            .collect()
    }
}

/// Waits until a booked start time.
pub(super) async fn start_at(at_us: Option<i64>) {
    if let Some(at) = at_us {
        let wait = at - now_us();
        if wait > 0 {
            tokio::time::sleep(Duration::from_micros(wait as u64)).await;
        }
    }
}
