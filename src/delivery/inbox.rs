//! Calls to Hookline's own inbox addresses (`<public URL>/inbox/<key>`) are kept in the
//! inbox at once, in-process: no network, so the outgoing-address guard needs no exception,
//! and the signature is checked with the webhook's secret as a receiver would.

use std::time::{Duration, Instant};

use super::call::Attempt;
use super::request::Outgoing;
use super::send::{Outcome, Response};
use super::signing;
use crate::config::Settings;
use crate::db::webhooks::WebhookRow;
use crate::db::{self, Store};
use crate::domain::delivery::FailureKind;

/// The inbox key of `url` when it is one of Hookline's own inbox addresses: on the public
/// URL's host, or on this machine when there is no public URL.
pub fn key_in(settings: &Settings, url: &str) -> Option<String> {
    // Every call passes here: most are no inbox, told without parsing.
    if !url.contains("/inbox/") {
        return None;
    }
    let parsed = reqwest::Url::parse(url).ok()?;
    let host = parsed.host_str()?;
    let ours = match &settings.public_url {
        Some(public) => public.host_str() == Some(host),
        None => matches!(host, "localhost" | "127.0.0.1" | "[::1]"),
    };
    if !ours {
        return None;
    }
    let path_start = url.find(parsed.path())?;
    let rest = url[path_start..].strip_prefix("/inbox/")?;
    let key = rest.split(['?', '#', '/']).next()?;
    (key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit())).then(|| key.to_owned())
}

/// Whether the request's signature verifies with the webhook's secrets.
fn verified(webhook: &WebhookRow, request: &Outgoing) -> bool {
    let header = |name: &str| {
        request
            .headers
            .iter()
            .find(|(n, _, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v, _)| v.as_str())
    };
    signed_by(webhook, header, &request.body)
}

/// Whether a request with these headers (`header` gives one by name) and `body` carries
/// a Standard Webhooks signature that the webhook's current or rotated secret makes.
pub fn signed_by<'h>(
    webhook: &WebhookRow,
    header: impl Fn(&str) -> Option<&'h str>,
    body: &str,
) -> bool {
    let (Some(id), Some(ts), Some(signature)) = (
        header("webhook-id"),
        header("webhook-timestamp").and_then(|t| t.parse::<i64>().ok()),
        header("webhook-signature"),
    ) else {
        return false;
    };
    let mut secrets = vec![webhook.signing_secret.as_str()];
    secrets.extend(webhook.previous_signing_secret.as_deref());
    signing::verifies(&secrets, id, ts, body.as_bytes(), signature)
}

/// Keeps the request in the inbox of `key` and answers as a receiver would: 202, or 404
/// for an inbox that does not exist.
pub async fn keep(store: &Store, key: &str, webhook: &WebhookRow, request: Outgoing) -> Attempt {
    let started = Instant::now();
    let kept = async {
        let Some(owner) = db::inbox::owner(store, key).await? else {
            return Ok::<_, sqlx::Error>(false);
        };
        let headers = serde_json::to_string(&request.masked_headers()).unwrap_or_default();
        let target = request
            .url
            .find("/inbox/")
            .map_or("/", |i| &request.url[i..]);
        let received = db::inbox::Received {
            webhook: (webhook.id.get() != 0).then_some(webhook.id),
            method: &request.method,
            target,
            headers: &headers,
            body: &request.body,
            verified: Some(verified(webhook, &request)),
        };
        db::inbox::keep(store, owner, &received, db::now_ms()).await?;
        Ok(true)
    }
    .await;
    let answer = |status: u16, body: &str| Response {
        status,
        headers: Vec::new(),
        body: body.to_owned(),
    };
    let (response, failure, error) = match kept {
        Ok(true) => (Some(answer(202, "Kept in Hookline's inbox.")), None, None),
        Ok(false) => (
            Some(answer(404, "There is no such inbox.")),
            Some(FailureKind::Http(404)),
            Some("HTTP 404: there is no such inbox.".to_owned()),
        ),
        Err(e) => (
            None,
            Some(FailureKind::Other),
            Some(format!("The inbox could not keep it: {e}")),
        ),
    };
    let outcome = Outcome {
        response,
        failure,
        error,
        detail: None,
        retry_after: None,
        duration: started.elapsed().max(Duration::from_micros(1)),
    };
    Attempt {
        url: request.url.clone(),
        request,
        outcome,
    }
}
