//! Charts drawn on the server as SVG: no script, no outside resource, a title and a
//! description for screen readers, and each bar's figures in its tooltip. Only numbers and
//! fixed words go into them.

use std::fmt::Write;

use chrono::{DateTime, Utc};

use crate::services::webhooks::health::Hour;

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 180.0;
/// Room for the axis labels.
const LEFT: f64 = 48.0;
const BOTTOM: f64 = 22.0;
const TOP: f64 = 8.0;
const OK: &str = "#2e7d32";
const ERROR: &str = "#c62828";
const TIME: &str = "#1565c0";

fn hour_label(from: i64, i: usize) -> String {
    DateTime::<Utc>::from_timestamp_millis(from + i as i64 * 3_600_000)
        .map_or_else(String::new, |t| t.format("%H:00").to_string())
}

/// Where bars go: `n` of them side by side, up to `max` high.
struct Plot {
    step: f64,
    scale: f64,
}

impl Plot {
    fn new(n: usize, max: i64) -> Plot {
        Plot {
            step: (WIDTH - LEFT) / n.max(1) as f64,
            scale: (HEIGHT - BOTTOM - TOP) / max.max(1) as f64,
        }
    }

    /// The left edge and width of bar `i`.
    fn x(&self, i: usize) -> (f64, f64) {
        (LEFT + i as f64 * self.step + 1.0, self.step - 2.0)
    }

    fn height(&self, value: i64) -> f64 {
        value as f64 * self.scale
    }
}

/// A frame with its title and description, the y axis up to `max` and the hour labels.
fn frame(id: &str, title: &str, desc: &str, max: i64, unit: &str, from: i64, n: usize) -> String {
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" id="{id}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{id}-title {id}-desc" xmlns="http://www.w3.org/2000/svg"><title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>"#
    );
    let base = HEIGHT - BOTTOM;
    let _ = write!(
        svg,
        r##"<line x1="{LEFT}" y1="{base}" x2="{WIDTH}" y2="{base}" stroke="#999"/><line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{base}" stroke="#999"/><text x="{x}" y="{y}" font-size="11" text-anchor="end" fill="currentColor">{max}{unit}</text><text x="{x}" y="{base}" font-size="11" text-anchor="end" fill="currentColor">0</text>"##,
        x = LEFT - 4.0,
        y = TOP + 10.0,
    );
    let step = (WIDTH - LEFT) / n as f64;
    for i in (0..n).step_by(6) {
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" font-size="11" fill="currentColor">{}</text>"#,
            LEFT + i as f64 * step + 2.0,
            HEIGHT - 6.0,
            hour_label(from, i)
        );
    }
    svg
}

/// Calls per hour, stacked: answered 2xx (OK) below, failed (ERROR) above.
pub fn calls_per_hour(hours: &[Hour], from: i64) -> String {
    let (ok, failed): (i64, i64) = hours
        .iter()
        .fold((0, 0), |(o, f), h| (o + h.succeeded, f + h.failed));
    let max = hours
        .iter()
        .map(|h| h.succeeded + h.failed)
        .max()
        .unwrap_or(0)
        .max(1);
    let desc = format!(
        "Calls per hour over the last 24 hours, in UTC: {ok} OK and {failed} ERROR in all; the busiest hour had {max}."
    );
    let mut svg = frame(
        "calls-chart",
        "Calls per hour, OK and ERROR",
        &desc,
        max,
        "",
        from,
        hours.len(),
    );
    let plot = Plot::new(hours.len(), max);
    let base = HEIGHT - BOTTOM;
    for (i, h) in hours.iter().enumerate() {
        let (x, w) = plot.x(i);
        let ok_h = plot.height(h.succeeded);
        let err_h = plot.height(h.failed);
        let _ = write!(
            svg,
            r#"<g class="bar" data-hour="{label}" data-ok="{ok}" data-error="{err}"><title>{label} UTC: {ok} OK, {err} ERROR</title><rect x="{x:.1}" y="{y_ok:.1}" width="{w:.1}" height="{ok_h:.1}" fill="{OK}"/><rect x="{x:.1}" y="{y_err:.1}" width="{w:.1}" height="{err_h:.1}" fill="{ERROR}"/></g>"#,
            label = hour_label(from, i),
            ok = h.succeeded,
            err = h.failed,
            y_ok = base - ok_h,
            y_err = base - ok_h - err_h,
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The mean response time of each hour's calls.
pub fn response_times(hours: &[Hour], from: i64) -> String {
    let means: Vec<Option<i64>> = hours
        .iter()
        .map(|h| {
            let n = h.succeeded + h.failed;
            (n > 0).then(|| h.total_ms / n)
        })
        .collect();
    let max = means.iter().flatten().copied().max().unwrap_or(0).max(1);
    let desc = match means.iter().flatten().max() {
        Some(slowest) => format!(
            "Mean response time per hour over the last 24 hours, in UTC; the slowest hour's mean was {slowest} ms."
        ),
        None => "No call in the last 24 hours.".to_owned(),
    };
    let mut svg = frame(
        "times-chart",
        "Mean response time per hour",
        &desc,
        max,
        " ms",
        from,
        hours.len(),
    );
    let plot = Plot::new(hours.len(), max);
    let base = HEIGHT - BOTTOM;
    for (i, mean) in means.iter().enumerate() {
        let Some(mean) = mean else { continue };
        let (x, w) = plot.x(i);
        let height = plot.height(*mean);
        let _ = write!(
            svg,
            r#"<g class="bar" data-hour="{label}" data-mean-ms="{mean}"><title>{label} UTC: {mean} ms on average</title><rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{height:.1}" fill="{TIME}"/></g>"#,
            label = hour_label(from, i),
            y = base - height,
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_carry_their_counts_and_the_description_the_totals() {
        let mut hours = vec![Hour::default(); 24];
        hours[23] = Hour {
            succeeded: 3,
            failed: 1,
            total_ms: 40,
        };
        let svg = calls_per_hour(&hours, 0);
        assert!(svg.contains(r#"data-hour="23:00" data-ok="3" data-error="1""#));
        assert!(svg.contains("3 OK and 1 ERROR in all"));
        assert_eq!(svg.matches("<g class=\"bar\"").count(), 24);
        let times = response_times(&hours, 0);
        assert!(times.contains(r#"data-mean-ms="10""#));
        assert_eq!(times.matches("<g class=\"bar\"").count(), 1);
    }
}
