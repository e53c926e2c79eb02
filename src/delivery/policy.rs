//! The retry policy, as pure code: when to try again after a failure, and how failures are
//! classified.

use std::time::Duration;

pub use crate::domain::delivery::FailureKind;

/// Delays before each retry: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. After the
/// last one fails, the delivery is dead (9 attempts in all, over about 28 hours).
pub const SCHEDULE: [Duration; 8] = [
    Duration::ZERO,
    Duration::from_secs(5),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(5 * 3600),
    Duration::from_secs(10 * 3600),
    Duration::from_secs(10 * 3600),
];

/// The longest wait a receiver's Retry-After can impose.
pub const RETRY_AFTER_CAP: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Delivered,
    RetryIn(Duration),
    /// Out of tries, or nothing a retry could fix.
    Dead,
    /// 410 Gone: the receiver says the endpoint is gone for good; disable the webhook.
    Gone,
}

/// What to do after attempt number `attempt` (1-based) ended with `status` or `failure`.
/// `jitter` in [0, 1) spreads retries by ±20 % so that a recovering receiver is not hit by
/// every queued delivery at once.
pub fn decide(
    attempt: u32,
    failure: Option<&FailureKind>,
    retry_after: Option<Duration>,
    jitter: f64,
) -> Decision {
    let Some(failure) = failure else {
        return Decision::Delivered;
    };
    match failure {
        FailureKind::Http(410) => return Decision::Gone,
        FailureKind::Refused => return Decision::Dead,
        _ => {}
    }
    let Some(base) = SCHEDULE.get(attempt as usize - 1).copied() else {
        return Decision::Dead;
    };
    if let (FailureKind::Http(429 | 503), Some(wait)) = (failure, retry_after) {
        return Decision::RetryIn(wait.min(RETRY_AFTER_CAP).max(base));
    }
    let factor = 0.8 + 0.4 * jitter.clamp(0.0, 1.0);
    Decision::RetryIn(base.mul_f64(factor))
}

/// Reads a Retry-After header given in seconds (dates are rare for webhooks and ignored).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_is_delivered() {
        assert_eq!(decide(1, None, None, 0.5), Decision::Delivered);
    }

    #[test]
    fn failures_follow_the_schedule_then_die() {
        let http = FailureKind::Http(500);
        assert_eq!(
            decide(1, Some(&http), None, 0.5),
            Decision::RetryIn(Duration::ZERO)
        );
        assert_eq!(
            decide(2, Some(&http), None, 0.5),
            Decision::RetryIn(Duration::from_secs(5))
        );
        assert_eq!(
            decide(3, Some(&FailureKind::Timeout), None, 0.5),
            Decision::RetryIn(Duration::from_secs(300))
        );
        assert_eq!(
            decide(8, Some(&http), None, 0.5),
            Decision::RetryIn(Duration::from_secs(36_000))
        );
        assert_eq!(decide(9, Some(&http), None, 0.5), Decision::Dead);
    }

    #[test]
    fn jitter_stays_within_twenty_percent() {
        let http = FailureKind::Http(502);
        assert_eq!(
            decide(3, Some(&http), None, 0.0),
            Decision::RetryIn(Duration::from_secs(240))
        );
        assert_eq!(
            decide(3, Some(&http), None, 0.999_999),
            Decision::RetryIn(Duration::from_secs(300).mul_f64(0.8 + 0.4 * 0.999_999))
        );
    }

    #[test]
    fn retry_after_is_honoured_on_429_and_503_and_capped() {
        let busy = FailureKind::Http(429);
        assert_eq!(
            decide(2, Some(&busy), Some(Duration::from_secs(120)), 0.5),
            Decision::RetryIn(Duration::from_secs(120))
        );
        assert_eq!(
            decide(
                2,
                Some(&FailureKind::Http(503)),
                Some(Duration::from_secs(86_400)),
                0.5
            ),
            Decision::RetryIn(RETRY_AFTER_CAP)
        );
        // Never sooner than the schedule.
        assert_eq!(
            decide(4, Some(&busy), Some(Duration::from_secs(1)), 0.5),
            Decision::RetryIn(Duration::from_secs(1800))
        );
        // Ignored on other statuses.
        assert_eq!(
            decide(
                2,
                Some(&FailureKind::Http(500)),
                Some(Duration::from_secs(120)),
                0.5
            ),
            Decision::RetryIn(Duration::from_secs(5))
        );
        assert_eq!(parse_retry_after(" 30 "), Some(Duration::from_secs(30)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }

    #[test]
    fn gone_and_refused_stop_at_once() {
        assert_eq!(
            decide(1, Some(&FailureKind::Http(410)), None, 0.5),
            Decision::Gone
        );
        assert_eq!(
            decide(1, Some(&FailureKind::Refused), None, 0.5),
            Decision::Dead
        );
    }
}
