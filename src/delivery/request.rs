//! The request a delivery sends: the webhook's URL, body and headers rendered from the event,
//! plus the Standard Webhooks headers.

use crate::db::webhooks::{HeaderRow, WebhookRow};
use crate::domain::event::Event;
use crate::events::payload::{self, Context, Options};

#[derive(Debug, Clone)]
pub struct Outgoing {
    pub method: String,
    pub url: String,
    /// Name, value, and whether the value is secret (masked wherever it is recorded).
    pub headers: Vec<(String, String, bool)>,
    pub body: String,
}

impl Outgoing {
    /// Headers as recorded in an attempt: secret values masked.
    pub fn masked_headers(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .map(|(n, v, secret)| {
                (
                    n.clone(),
                    if *secret {
                        crate::domain::webhook::MASK.to_owned()
                    } else {
                        v.clone()
                    },
                )
            })
            .collect()
    }
}

/// The secrets that sign now: the current one, and a rotated one until it expires.
fn secrets(webhook: &WebhookRow, now_ms: i64) -> Vec<&str> {
    let mut all = vec![webhook.signing_secret.as_str()];
    if let (Some(previous), Some(until)) = (
        &webhook.previous_signing_secret,
        webhook.previous_secret_expires_at,
    ) && until > now_ms
    {
        all.push(previous);
    }
    all
}

pub fn build(
    webhook: &WebhookRow,
    headers: &[HeaderRow],
    event: &Event,
    message_id: &str,
    test: bool,
    now_ms: i64,
) -> Result<Outgoing, String> {
    let options = Options {
        webhook_id: webhook.id.get(),
        message_id,
        excluded: webhook.excluded_fields.names(),
        exclude_payload: webhook.exclude_payload,
        as_strings: webhook.values_as_strings,
        test,
    };
    let url = payload::render(&webhook.url, Context::Url, event, &options)?;
    let context = payload::body_context(&webhook.body);
    let body = if webhook.body.is_empty() {
        String::new()
    } else {
        payload::render(&webhook.body, context, event, &options)?
    };
    let mut out: Vec<(String, String, bool)> = Vec::with_capacity(headers.len() + 4);
    for h in headers {
        out.push((
            h.name.clone(),
            payload::render(&h.value, Context::Header, event, &options)?,
            h.secret,
        ));
    }
    if !body.is_empty()
        && !out
            .iter()
            .any(|(n, _, _)| n.eq_ignore_ascii_case("content-type"))
    {
        let kind = if context == Context::Json {
            "application/json"
        } else {
            "text/plain; charset=utf-8"
        };
        out.push(("content-type".into(), kind.into(), false));
    }
    let timestamp = now_ms / 1000;
    let signature = super::signing::signature_header(
        &secrets(webhook, now_ms),
        message_id,
        timestamp,
        body.as_bytes(),
    )?;
    if test {
        // Whatever the verb: a GET or DELETE has no body to carry `"test": true`.
        out.push(("hookline-test".into(), "true".into(), false));
    }
    out.push(("webhook-id".into(), message_id.to_owned(), false));
    out.push(("webhook-timestamp".into(), timestamp.to_string(), false));
    out.push(("webhook-signature".into(), signature, false));
    Ok(Outgoing {
        method: webhook.verb.as_str().to_owned(),
        url,
        headers: out,
        body,
    })
}
