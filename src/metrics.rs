//! What operators scrape at `/metrics`: counters and histograms kept as things happen, and
//! gauges of the queue read from the database at each scrape (so that every instance on a
//! shared database reports the same queue). Labels are closed sets — never a webhook id, a
//! URL or a path with ids in it — so the number of series stays bounded.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

use crate::domain::Coded;
use crate::domain::delivery::{DeliveryState, Trigger};

/// The content type of the exposition (OpenMetrics text, which Prometheus reads).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// How an attempt was made: by the queue (asynchronous, Retry now included), while a person
/// waited (synchronous, in the transaction or after it), or by the Test button.
fn mode(t: Trigger) -> &'static str {
    match t {
        Trigger::Scheduled | Trigger::Manual => "asynchronous",
        Trigger::Synchronous => "synchronous",
        Trigger::Test => "test",
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AttemptLabels {
    /// success (a 2xx answer) or failure.
    outcome: &'static str,
    mode: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    /// The route's pattern (`/api/v1/webhooks/{id}`), or `unmatched`.
    route: String,
    status: u16,
}

/// The queue as the database has it at a scrape.
#[derive(Debug, Default)]
pub struct QueueFigures {
    pub by_state: Vec<(DeliveryState, i64)>,
    /// Seconds since the oldest delivery still waiting to be sent was queued.
    pub oldest_queued_age: Option<f64>,
    pub auto_disabled_webhooks: i64,
}

pub struct Metrics {
    registry: Registry,
    attempts: Family<AttemptLabels, Counter>,
    attempt_seconds: Histogram,
    changes: Counter,
    vetoes: Counter,
    requests: Family<RequestLabels, Counter>,
    deliveries: Family<StateLabels, Gauge>,
    oldest_queued: Gauge<f64, std::sync::atomic::AtomicU64>,
    auto_disabled: Gauge,
}

impl Metrics {
    /// The metrics of one application; `commits` is the storage layer's commit timer.
    pub fn new(commits: Histogram) -> Metrics {
        let m = Metrics {
            registry: Registry::with_prefix("hookline"),
            attempts: Family::default(),
            attempt_seconds: Histogram::new(exponential_buckets(0.005, 2.0, 12)),
            changes: Counter::default(),
            vetoes: Counter::default(),
            requests: Family::default(),
            deliveries: Family::default(),
            oldest_queued: Gauge::default(),
            auto_disabled: Gauge::default(),
        };
        let mut r = Registry::with_prefix("hookline");
        r.register(
            "delivery_attempts",
            "Requests sent to receivers, by outcome (a 2xx answer is a success) and mode",
            m.attempts.clone(),
        );
        r.register_with_unit(
            "delivery_attempt_duration",
            "Time from sending a request to its answer, or to the failure",
            Unit::Seconds,
            m.attempt_seconds.clone(),
        );
        r.register(
            "changes_recorded",
            "Changes of projects, phases and users recorded as events",
            m.changes.clone(),
        );
        r.register(
            "synchronous_vetoes",
            "Changes refused because a synchronous webhook in the transaction failed",
            m.vetoes.clone(),
        );
        r.register(
            "http_requests",
            "HTTP requests answered, by method, route pattern and status",
            m.requests.clone(),
        );
        r.register(
            "deliveries",
            "Deliveries in the database by state",
            m.deliveries.clone(),
        );
        r.register_with_unit(
            "oldest_queued_delivery_age",
            "Age of the oldest delivery waiting to be sent (0 when none waits)",
            Unit::Seconds,
            m.oldest_queued.clone(),
        );
        r.register(
            "auto_disabled_webhooks",
            "Webhooks that Hookline turned off because their receiver kept failing or is gone",
            m.auto_disabled.clone(),
        );
        r.register_with_unit(
            "database_commit_duration",
            "Time a commit takes until it is durable",
            Unit::Seconds,
            commits,
        );
        Metrics { registry: r, ..m }
    }

    pub fn attempt(&self, trigger: Trigger, success: bool, took: Duration) {
        self.attempts
            .get_or_create(&AttemptLabels {
                outcome: if success { "success" } else { "failure" },
                mode: mode(trigger),
            })
            .inc();
        self.attempt_seconds.observe(took.as_secs_f64());
    }

    pub fn changes_recorded(&self, n: usize) {
        self.changes.inc_by(n as u64);
    }

    pub fn vetoed(&self) {
        self.vetoes.inc();
    }

    pub fn request(&self, method: &str, route: Option<&str>, status: u16) {
        // A client may send any method name: only the standard ones become labels.
        let method = match method {
            "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS" => method,
            _ => "other",
        };
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.unwrap_or("unmatched").to_owned(),
                status,
            })
            .inc();
    }

    /// The exposition, with the queue's figures as of now.
    pub fn render(&self, queue: &QueueFigures) -> String {
        for state in DeliveryState::ALL {
            let n = queue
                .by_state
                .iter()
                .find(|(s, _)| s == state)
                .map_or(0, |(_, n)| *n);
            self.deliveries
                .get_or_create(&StateLabels {
                    state: state.code(),
                })
                .set(n);
        }
        self.oldest_queued
            .set(queue.oldest_queued_age.unwrap_or(0.0));
        self.auto_disabled.set(queue.auto_disabled_webhooks);
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// The buckets of the commit timer: from 0.1 ms to about 3 s.
pub fn commit_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0001, 2.0, 16))
}
