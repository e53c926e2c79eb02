//! Turning off a webhook whose receiver is gone or keeps failing — the circuit breaker —
//! with the reason on its page, in the list, in the API, in its history and in the
//! application log. Activating it again clears the reason and its run of failures.

use serde_json::json;

use crate::config::Settings;
use crate::db::app_log::LogEntry;
use crate::db::attempts::Outcome;
use crate::db::{self, Tx};
use crate::domain::app_log::{LogKind, LogLevel};
use crate::domain::ids::{EventRowId, WebhookId};
use crate::events::operational::Notice;
use crate::events::payload::timestamp;

/// HOOKLINE_AUTO_DISABLE_AFTER and HOOKLINE_AUTO_DISABLE_MIN_FAILURES.
#[derive(Debug, Clone, Copy)]
pub(super) struct Breaker {
    after_ms: i64,
    min_failures: i64,
}

impl Breaker {
    pub(super) fn of(settings: &Settings) -> Breaker {
        Breaker {
            after_ms: settings.auto_disable_after.as_millis() as i64,
            min_failures: i64::from(settings.auto_disable_min_failures),
        }
    }

    /// Turns off each webhook of `outcomes` whose calls have all failed for long enough and
    /// often enough; gives what operators are told of it.
    pub(super) async fn trip(
        self,
        tx: &mut Tx,
        outcomes: &[Outcome],
        now: i64,
    ) -> anyhow::Result<Vec<Notice>> {
        let failing: Vec<WebhookId> = outcomes
            .iter()
            .filter(|o| o.failures > 0)
            .map(|o| o.webhook)
            .collect();
        let worn =
            db::deliveries::failing_too_long(tx, &failing, now - self.after_ms, self.min_failures)
                .await?;
        let mut notices = Vec::new();
        for w in worn {
            let reason = format!(
                "Turned off by Hookline: every call has failed since {} ({} in a row).",
                timestamp(w.failing_since),
                w.failures
            );
            let message = format!(
                "Webhook “{}” was deactivated: every call has failed since {} ({} in a row).",
                w.wording,
                timestamp(w.failing_since),
                w.failures
            );
            let off = Failing {
                webhook: w.id,
                wording: &w.wording,
                since: Some(w.failing_since),
                failures: w.failures,
            };
            notices.push(turn_off(tx, off, &reason, &message, None, now).await?);
        }
        Ok(notices)
    }
}

/// A webhook to turn off, with its run of failed calls.
pub(super) struct Failing<'a> {
    pub(super) webhook: WebhookId,
    pub(super) wording: &'a str,
    /// When the run began (none for a 410 Gone, which needs no run).
    pub(super) since: Option<i64>,
    pub(super) failures: i64,
}

/// Turns a webhook off, saying why, and cancels its deliveries still waiting to go (Recover
/// sends them again once it is back on); gives the `webhook.disabled` notice.
pub(super) async fn turn_off(
    tx: &mut Tx,
    Failing {
        webhook,
        wording,
        since: failing_since,
        failures,
    }: Failing<'_>,
    reason: &str,
    message: &str,
    event: Option<EventRowId>,
    now: i64,
) -> anyhow::Result<Notice> {
    db::deliveries::disable_webhook(tx, webhook, reason).await?;
    db::deliveries::cancel_waiting(tx, webhook, reason, now).await?;
    let entry = LogEntry {
        level: LogLevel::Warning,
        kind: LogKind::WebhookDisabled,
        message,
        webhook_id: Some(webhook),
        event_id: event,
        attempt_id: None,
    };
    db::app_log::log(tx, &entry, now).await?;
    let changes = json!([
        { "field": "Active", "before": "Yes", "after": "No" },
        { "field": "Reason", "before": "", "after": reason },
    ])
    .to_string();
    let entry = db::history::NewEntry {
        webhook_id: webhook,
        at: now,
        actor_id: None,
        actor_name: "Hookline",
        action: "deactivated",
        wording,
        changes: &changes,
        settings: None,
    };
    db::history::append(tx, &entry).await?;
    Ok(Notice::WebhookDisabled {
        webhook,
        wording: wording.to_owned(),
        reason: reason.to_owned(),
        failing_since,
        failures,
    })
}
