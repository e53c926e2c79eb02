//! Sending one request and classifying what happened.

use std::time::{Duration, Instant};

use super::client::Client;
use super::policy::{FailureKind, parse_retry_after};
use super::request::Outgoing;

/// Response bodies are kept up to this size.
pub const RESPONSE_BODY_LIMIT: usize = 20 * 1024;

#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

#[derive(Debug, Clone)]
pub struct Outcome {
    pub response: Option<Response>,
    pub failure: Option<FailureKind>,
    pub error: Option<String>,
    pub retry_after: Option<Duration>,
    pub duration: Duration,
}

impl Outcome {
    fn failed(kind: FailureKind, error: String, started: Instant) -> Self {
        Outcome {
            response: None,
            failure: Some(kind),
            error: Some(error),
            retry_after: None,
            duration: started.elapsed(),
        }
    }
}

fn classify(error: &reqwest::Error) -> (FailureKind, String) {
    let mut chain = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(s) = source {
        chain.push_str(": ");
        chain.push_str(&s.to_string());
        source = s.source();
    }
    let lower = chain.to_lowercase();
    let kind = if lower.contains("refused: ") && lower.contains("private or local") {
        FailureKind::Refused
    } else if error.is_timeout() {
        FailureKind::Timeout
    } else if lower.contains("dns")
        || lower.contains("failed to lookup")
        || lower.contains("name or service not known")
    {
        FailureKind::Dns
    } else if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake")
    {
        FailureKind::Tls
    } else if error.is_connect() {
        FailureKind::Connect
    } else {
        FailureKind::Other
    };
    (kind, chain)
}

async fn read_limited(mut response: reqwest::Response) -> String {
    let mut body: Vec<u8> = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = RESPONSE_BODY_LIMIT - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= RESPONSE_BODY_LIMIT {
            break;
        }
    }
    String::from_utf8_lossy(&body).into_owned()
}

pub async fn send(client: &Client, out: &Outgoing, timeout: Duration) -> Outcome {
    let started = Instant::now();
    let url = match reqwest::Url::parse(&out.url) {
        Ok(u) => u,
        Err(e) => {
            return Outcome::failed(
                FailureKind::Other,
                format!("invalid URL {}: {e}", out.url),
                started,
            );
        }
    };
    if let Some(refusal) = client.refusal(&url).await {
        return Outcome::failed(FailureKind::Refused, refusal, started);
    }
    let method =
        reqwest::Method::from_bytes(out.method.as_bytes()).unwrap_or(reqwest::Method::POST);
    let mut request = client.http.request(method, url).timeout(timeout);
    for (name, value, _) in &out.headers {
        request = request.header(name.as_str(), value.as_str());
    }
    if !out.body.is_empty() {
        request = request.body(out.body.clone());
    }
    let response = match request.send().await {
        Ok(r) => r,
        Err(e) => {
            let (kind, message) = classify(&e);
            return Outcome::failed(kind, message, started);
        }
    };
    let status = response.status().as_u16();
    let headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after);
    let body = read_limited(response).await;
    let ok = (200..300).contains(&status);
    Outcome {
        failure: (!ok).then_some(FailureKind::Http(status)),
        error: (!ok).then(|| format!("status code {status}")),
        response: Some(Response {
            status,
            headers,
            body,
        }),
        retry_after,
        duration: started.elapsed(),
    }
}
