//! A webhook's rate limit: the most requests per second its receiver takes, which the
//! delivery workers keep to, all instances together.

use crate::domain::Entered;

/// At most this many requests per second can be asked for (a pace finer than a millisecond
/// is no limit worth the name).
pub const MAX_PER_SECOND: u16 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit(u16);

impl RateLimit {
    /// The field as the form or the API gave it; blank is no limit.
    pub fn parse(input: Entered<i64>) -> Result<Option<RateLimit>, String> {
        let message = || {
            format!(
                "Rate limit must be a whole number of requests per second, from 1 to {MAX_PER_SECOND}."
            )
        };
        match input.given_or(&message())? {
            None => Ok(None),
            Some(n) => RateLimit::new(n).map(Some).ok_or_else(message),
        }
    }

    /// A stored or given number, if it is a rate limit.
    pub fn new(per_second: i64) -> Option<RateLimit> {
        u16::try_from(per_second)
            .ok()
            .filter(|n| (1..=MAX_PER_SECOND).contains(n))
            .map(RateLimit)
    }

    pub fn per_second(self) -> u16 {
        self.0
    }

    /// The time between two calls, in microseconds, rounded up: a second never holds more
    /// calls than the limit.
    pub fn interval_us(self) -> i64 {
        let n = i64::from(self.0);
        (1_000_000 + n - 1) / n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_limit_is_a_whole_number_of_requests_per_second_in_range() {
        assert_eq!(RateLimit::parse(Entered::Blank), Ok(None));
        assert_eq!(
            RateLimit::parse(Entered::Given(5))
                .unwrap()
                .unwrap()
                .per_second(),
            5
        );
        for bad in [
            Entered::Given(0),
            Entered::Given(-3),
            Entered::Given(1001),
            Entered::Unreadable,
        ] {
            assert!(
                RateLimit::parse(bad)
                    .unwrap_err()
                    .starts_with("Rate limit must be")
            );
        }
    }

    #[test]
    fn a_second_never_holds_more_calls_than_the_limit() {
        for n in [1, 3, 7, 999, 1000] {
            let limit = RateLimit::new(n).unwrap();
            let in_a_second = (1_000_000 - 1) / limit.interval_us() + 1;
            assert!(in_a_second <= n, "{n}: {in_a_second}");
            assert!(in_a_second >= n - 1, "{n}: {in_a_second}");
        }
    }
}
