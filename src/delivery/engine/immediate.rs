//! Calls made now, while someone waits: a synchronous call after its commit, and Retry
//! now.

use super::{Deliverer, Handed, Keep, Rows};
use crate::db::{self, deliveries::Claimed, deliveries::NotClaimed};
use crate::delivery::call::Attempt;
use crate::domain::delivery::Trigger;
use crate::domain::ids::DeliveryId;

impl Deliverer {
    /// Makes the call of a synchronous delivery its change left queued.
    pub async fn deliver_now(&self, id: DeliveryId) -> anyhow::Result<Option<Attempt>> {
        match db::deliveries::claim_one(&self.store, id, db::now_ms(), self.lease_ms()).await? {
            Some(c) => Ok(self.attempt(c, Trigger::Synchronous, Keep::Soon).await?),
            None => Ok(None),
        }
    }

    /// Retry now: one attempt by hand, whatever the schedule, in the object's order. It does
    /// not use up a scheduled attempt: should it fail, the delivery keeps its place (its
    /// next retry, or dead). The workers are woken after it, for the deliveries behind it.
    pub async fn retry_now(
        &self,
        id: DeliveryId,
    ) -> anyhow::Result<Result<Option<Attempt>, NotClaimed>> {
        let now = db::now_ms();
        let claimed =
            match db::deliveries::claim_manual(&self.store, id, now, self.lease_ms()).await? {
                Ok(c) => c,
                Err(refusal) => return Ok(Err(refusal)),
            };
        let attempt = self
            .attempt(claimed, Trigger::Manual, Keep::Durable)
            .await?;
        self.wake();
        Ok(Ok(attempt))
    }

    /// Sends deliveries their change has just written claimed, with its event at hand (a
    /// synchronous call right after the commit); gives the last attempt.
    pub async fn deliver_claimed(
        &self,
        handed: Handed,
        trigger: Trigger,
    ) -> anyhow::Result<Option<Attempt>> {
        let mut last = None;
        for (c, rows) in self.with_webhooks(vec![handed]).await? {
            last = self.attempt_loaded(c, rows, trigger, Keep::Soon).await?;
        }
        Ok(last)
    }

    /// One attempt of a claimed delivery, recorded with its outcome.
    pub(super) async fn attempt(
        &self,
        c: Claimed,
        trigger: Trigger,
        keep: Keep,
    ) -> anyhow::Result<Option<Attempt>> {
        let mut last = None;
        for (c, rows) in self.load(vec![c]).await? {
            last = self.attempt_loaded(c, rows, trigger, keep).await?;
        }
        Ok(last)
    }

    pub(super) async fn attempt_loaded(
        &self,
        c: Claimed,
        rows: Option<Rows>,
        trigger: Trigger,
        keep: Keep,
    ) -> anyhow::Result<Option<Attempt>> {
        let Some(finished) = self.send_loaded(c, rows, trigger).await? else {
            return Ok(None);
        };
        let attempt = finished.attempt.clone();
        let recorder = self.recorder();
        match keep {
            Keep::Durable => recorder.record(&[finished], keep).await?,
            Keep::Soon => {
                // The person is answered now; the record follows in a task of its own, and
                // every request waits for it first.
                let mark = self.store.background_write();
                tokio::spawn(async move {
                    if let Err(e) = recorder.record(&[finished], keep).await {
                        tracing::error!(error = %e, "a call's attempt could not be recorded");
                    }
                    drop(mark);
                });
            }
        }
        Ok(Some(attempt))
    }
}
