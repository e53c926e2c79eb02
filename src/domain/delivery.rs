//! A delivery's life as closed sets: where it stands, how screens and the API name that,
//! what made each attempt, and how one failed.

use super::code::Coded;

/// Where a delivery stands in the queue, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryStatus {
    /// Queued, or failed and waiting for its retry.
    Pending,
    /// Claimed under a lease: being sent.
    InFlight,
    Delivered,
    /// Out of tries, or refused for good.
    Dead,
    Cancelled,
}

impl Coded for DeliveryStatus {
    const ALL: &'static [Self] = &[
        Self::Pending,
        Self::InFlight,
        Self::Delivered,
        Self::Dead,
        Self::Cancelled,
    ];

    fn code(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::InFlight => "in_flight",
            Self::Delivered => "delivered",
            Self::Dead => "dead",
            Self::Cancelled => "cancelled",
        }
    }
}

/// A delivery's state as the queue screen and the API name it: pending splits into queued
/// (never tried) and waiting (failed, to be retried).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryState {
    Queued,
    InFlight,
    Waiting,
    Dead,
    Delivered,
    Cancelled,
}

impl Coded for DeliveryState {
    const ALL: &'static [Self] = &[
        Self::Queued,
        Self::InFlight,
        Self::Waiting,
        Self::Dead,
        Self::Delivered,
        Self::Cancelled,
    ];

    fn code(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::InFlight => "in_flight",
            Self::Waiting => "waiting",
            Self::Dead => "dead",
            Self::Delivered => "delivered",
            Self::Cancelled => "cancelled",
        }
    }
}

impl DeliveryState {
    pub fn of(status: DeliveryStatus, attempts: i64) -> Self {
        match status {
            DeliveryStatus::Pending if attempts == 0 => Self::Queued,
            DeliveryStatus::Pending => Self::Waiting,
            DeliveryStatus::InFlight => Self::InFlight,
            DeliveryStatus::Delivered => Self::Delivered,
            DeliveryStatus::Dead => Self::Dead,
            DeliveryStatus::Cancelled => Self::Cancelled,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Queued => "Queued",
            Self::InFlight => "In flight",
            Self::Waiting => "Failed, waiting to retry",
            Self::Dead => "Dead",
            Self::Delivered => "Delivered",
            Self::Cancelled => "Cancelled",
        }
    }

    /// Whether Retry now and Cancel apply: the delivery has still to go, or gave up.
    pub fn can_act(self) -> bool {
        matches!(self, Self::Queued | Self::Waiting | Self::Dead)
    }
}

/// What made an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Trigger {
    /// The workers, on the queue's schedule.
    Scheduled,
    /// Retry now.
    Manual,
    /// The Test button.
    Test,
    /// A synchronous webhook, while the person waited.
    Synchronous,
}

impl Coded for Trigger {
    const ALL: &'static [Self] = &[Self::Scheduled, Self::Manual, Self::Test, Self::Synchronous];

    fn code(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Manual => "manual",
            Self::Test => "test",
            Self::Synchronous => "synchronous",
        }
    }
}

impl Trigger {
    pub fn label(self) -> &'static str {
        match self {
            Self::Scheduled => "Delivery",
            Self::Manual => "Retried by hand",
            Self::Test => "Test",
            Self::Synchronous => "Synchronous call",
        }
    }
}

/// Why an attempt failed, with the status code for a non-2xx answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    Dns,
    Connect,
    Timeout,
    Tls,
    /// The address is not allowed (private, loopback …): never sent.
    Refused,
    /// The receiver answered, but not with a 2xx (redirects included: they are not followed).
    Http(u16),
    Other,
}

impl FailureKind {
    pub fn kind(self) -> ErrorKind {
        match self {
            Self::Dns => ErrorKind::Dns,
            Self::Connect => ErrorKind::Connect,
            Self::Timeout => ErrorKind::Timeout,
            Self::Tls => ErrorKind::Tls,
            Self::Refused => ErrorKind::Refused,
            Self::Http(_) => ErrorKind::Http,
            Self::Other => ErrorKind::Other,
        }
    }

    pub fn code(self) -> &'static str {
        self.kind().code()
    }
}

/// A failure's kind as stored with its attempt (the status code is stored beside it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    Dns,
    Connect,
    Timeout,
    Tls,
    Refused,
    Http,
    Other,
}

impl Coded for ErrorKind {
    const ALL: &'static [Self] = &[
        Self::Dns,
        Self::Connect,
        Self::Timeout,
        Self::Tls,
        Self::Refused,
        Self::Http,
        Self::Other,
    ];

    fn code(self) -> &'static str {
        match self {
            Self::Dns => "dns",
            Self::Connect => "connect",
            Self::Timeout => "timeout",
            Self::Tls => "tls",
            Self::Refused => "refused",
            Self::Http => "http",
            Self::Other => "other",
        }
    }
}

impl ErrorKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Dns => "DNS",
            Self::Connect => "Connection",
            Self::Timeout => "Timeout",
            Self::Tls => "TLS",
            Self::Refused => "Refused",
            Self::Http => "HTTP status",
            Self::Other => "Other",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for s in DeliveryStatus::ALL {
            assert_eq!(DeliveryStatus::from_code(s.code()), Some(*s));
        }
        for s in DeliveryState::ALL {
            assert_eq!(DeliveryState::from_code(s.code()), Some(*s));
        }
        for t in Trigger::ALL {
            assert_eq!(Trigger::from_code(t.code()), Some(*t));
        }
        assert_eq!(ErrorKind::from_code("nope"), None);
        assert_eq!(FailureKind::Http(503).code(), "http");
    }

    #[test]
    fn pending_splits_into_queued_and_waiting() {
        assert_eq!(
            DeliveryState::of(DeliveryStatus::Pending, 0),
            DeliveryState::Queued
        );
        assert_eq!(
            DeliveryState::of(DeliveryStatus::Pending, 2),
            DeliveryState::Waiting
        );
        assert!(!DeliveryState::Cancelled.can_act());
    }
}
