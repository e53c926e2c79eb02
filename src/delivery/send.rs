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
    /// What went wrong, in words a person reads: "Could not connect to host:443: connection
    /// refused".
    pub error: Option<String>,
    /// The HTTP client's own account of it, kept in the attempt for whoever digs deeper.
    pub detail: Option<String>,
    pub retry_after: Option<Duration>,
    pub duration: Duration,
}

impl Outcome {
    fn failed(kind: FailureKind, error: String, detail: Option<String>, started: Instant) -> Self {
        Outcome {
            response: None,
            failure: Some(kind),
            error: Some(error),
            detail,
            retry_after: None,
            duration: started.elapsed(),
        }
    }
}

/// The error of a request that got no answer, in words: what failed, where, and why.
fn in_words(kind: &FailureKind, url: &reqwest::Url, chain: &str, timeout: Duration) -> String {
    let host = url.host_str().unwrap_or_default();
    let at = format!("{host}:{}", url.port_or_known_default().unwrap_or(0));
    let lower = chain.to_lowercase();
    let reason = |known: &[(&str, &'static str)], otherwise: &'static str| {
        known
            .iter()
            .find(|(needle, _)| lower.contains(needle))
            .map_or(otherwise, |(_, said)| said)
    };
    match kind {
        FailureKind::Refused => match lower.find("refused: ") {
            Some(at) => format!("Not sent: {}", &chain[at + "refused: ".len()..]),
            None => "Not sent: the address is private or local.".to_owned(),
        },
        FailureKind::Connect => format!(
            "Could not connect to {at}: {}",
            reason(
                &[
                    ("connection refused", "connection refused"),
                    ("network is unreachable", "network unreachable"),
                    ("no route to host", "no route to the host"),
                    ("host is unreachable", "host unreachable"),
                    ("connection reset", "the connection was reset"),
                ],
                "the connection failed",
            )
        ),
        FailureKind::Timeout => format!(
            "No answer from {at} within {} s: it timed out.",
            timeout.as_secs()
        ),
        FailureKind::Dns => format!("Could not find the address of {host} (DNS)."),
        FailureKind::Tls => format!(
            "The secure connection to {at} failed: {}",
            reason(
                &[
                    ("expired", "its certificate has expired"),
                    (
                        "unknownissuer",
                        "its certificate is not signed by a known authority"
                    ),
                    ("not valid for name", "its certificate is for another name"),
                    ("certificate", "its certificate was refused"),
                ],
                "the TLS handshake failed",
            )
        ),
        FailureKind::Http(status) => format!("status code {status}"),
        FailureKind::Other => format!(
            "The request to {at} failed: {}",
            reason(
                &[
                    (
                        "connection closed",
                        "the connection closed before an answer"
                    ),
                    ("incomplete message", "the answer was cut off"),
                    ("invalid", "the answer was not valid HTTP"),
                ],
                "an unexpected error",
            )
        ),
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
                format!("The URL {} is not valid: {e}.", out.url),
                None,
                started,
            );
        }
    };
    if let Some(refusal) = client.refusal(&url).await {
        let said = in_words(&FailureKind::Refused, &url, &refusal, timeout);
        return Outcome::failed(FailureKind::Refused, said, Some(refusal), started);
    }
    let method =
        reqwest::Method::from_bytes(out.method.as_bytes()).unwrap_or(reqwest::Method::POST);
    let mut request = client.http.request(method, url.clone()).timeout(timeout);
    for (name, value, _) in &out.headers {
        request = request.header(name.as_str(), value.as_str());
    }
    if !out.body.is_empty() {
        request = request.body(out.body.clone());
    }
    let response = match request.send().await {
        Ok(r) => r,
        Err(e) => {
            let (kind, chain) = classify(&e);
            let said = in_words(&kind, &url, &chain, timeout);
            return Outcome::failed(kind, said, Some(chain), started);
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
        detail: None,
        response: Some(Response {
            status,
            headers,
            body,
        }),
        retry_after,
        duration: started.elapsed(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(kind: FailureKind, url: &str, chain: &str) -> String {
        in_words(&kind, &url.parse().unwrap(), chain, Duration::from_secs(15))
    }

    #[test]
    fn errors_read_as_words_with_the_address() {
        let chain = "error sending request for url (http://127.0.0.1:1/x): client error (Connect): tcp connect error: Connection refused (os error 111)";
        assert_eq!(
            said(FailureKind::Connect, "http://127.0.0.1:1/x", chain),
            "Could not connect to 127.0.0.1:1: connection refused"
        );
        assert_eq!(
            said(
                FailureKind::Timeout,
                "https://hooks.example.com/x",
                "operation timed out"
            ),
            "No answer from hooks.example.com:443 within 15 s: it timed out."
        );
        assert_eq!(
            said(
                FailureKind::Dns,
                "https://nowhere.invalid/x",
                "dns error: failed to lookup"
            ),
            "Could not find the address of nowhere.invalid (DNS)."
        );
        assert_eq!(
            said(
                FailureKind::Refused,
                "http://localhost/x",
                "error sending request: refused: localhost resolves to a private or local address (set X)"
            ),
            "Not sent: localhost resolves to a private or local address (set X)"
        );
    }
}
