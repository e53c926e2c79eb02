//! How times and statuses read on screen.

use chrono::{DateTime, Utc};

/// Unix milliseconds as `2026-11-22 17:04:05 UTC`.
pub fn time(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms).map_or_else(String::new, |t| {
        t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
    })
}

/// Project Monitor's last status: OK for 2xx, ERROR otherwise, with the code.
pub fn last_status(code: Option<i64>) -> Option<(String, &'static str)> {
    match code? {
        c @ 200..=299 => Some((format!("OK ({c})"), "ok")),
        0 => Some(("ERROR (no response)".into(), "err")),
        c => Some((format!("ERROR ({c})"), "err")),
    }
}

/// Unix milliseconds as the UTC day, `2026-11-22`.
pub fn date(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map_or_else(String::new, |t| t.format("%Y-%m-%d").to_string())
}

pub fn today() -> chrono::NaiveDate {
    Utc::now().date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_like_project_monitor() {
        assert_eq!(last_status(None), None);
        assert_eq!(last_status(Some(204)).unwrap().0, "OK (204)");
        assert_eq!(last_status(Some(404)).unwrap().0, "ERROR (404)");
        assert_eq!(time(0), "1970-01-01 00:00:00 UTC");
    }
}
