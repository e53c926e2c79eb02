//! What a delivery search asks for — on the Pending orders screen, a webhook's page and
//! `GET /api/v1/deliveries` alike — read once from what was typed, with an error per field.

use chrono::{DateTime, NaiveDateTime};

use super::catalogue::ObjectType;
use super::delivery::{DeliveryState, ErrorKind};
use super::ids::{DeliveryId, WebhookId};
use super::{Coded, FieldErrors};

/// The most deliveries on one page.
pub const MAX_PAGE: u32 = 500;

/// A search as typed: every field optional text, named as in the API's query string.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct SearchInput {
    pub webhook_id: Option<String>,
    pub state: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub status: Option<String>,
    pub failure_kind: Option<String>,
    pub message_id: Option<String>,
    pub event_id: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<String>,
}

impl SearchInput {
    /// Each field given, by its name: to show a search again, or to ask for its next page.
    pub fn pairs(&self) -> Vec<(&'static str, &str)> {
        [
            ("webhookId", &self.webhook_id),
            ("state", &self.state),
            ("from", &self.from),
            ("to", &self.to),
            ("status", &self.status),
            ("failureKind", &self.failure_kind),
            ("messageId", &self.message_id),
            ("eventId", &self.event_id),
            ("objectType", &self.object_type),
            ("objectId", &self.object_id),
            ("cursor", &self.cursor),
            ("limit", &self.limit),
        ]
        .into_iter()
        .filter_map(|(name, value)| Some((name, given(value)?)))
        .collect()
    }
}

/// Where a page ended: the last delivery's creation time and id. Deliveries come newest
/// first — by id, or by creation time (then id) when a time range is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: i64,
    pub id: DeliveryId,
}

impl Cursor {
    fn parse(text: &str) -> Option<Cursor> {
        let (at, id) = text.split_once('.')?;
        let created_at = at.parse::<i64>().ok().filter(|t| *t >= 0)?;
        let id = id.parse::<i64>().ok().filter(|id| *id > 0)?;
        Some(Cursor {
            created_at,
            id: DeliveryId::new(id),
        })
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.created_at, self.id)
    }
}

impl DeliverySearch {
    /// Whether the newest come first by creation time rather than by id.
    pub fn by_time(&self) -> bool {
        self.from.is_some() || self.to.is_some()
    }
}

/// What an attempt of the delivery met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Met {
    /// The receiver answered with this status.
    Status(u16),
    /// The attempt failed this way (for `http`, a non-2xx answer).
    Failure(ErrorKind),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliverySearch {
    pub webhook: Option<WebhookId>,
    pub state: Option<DeliveryState>,
    /// Created at or after (ms).
    pub from: Option<i64>,
    /// Created before (ms).
    pub to: Option<i64>,
    /// Some attempt met this.
    pub met: Vec<Met>,
    pub message_id: Option<String>,
    pub event_id: Option<String>,
    /// `project:12`, as deliveries are keyed by object.
    pub object_key: Option<String>,
    /// Older than this delivery: the page after the one that ended with it.
    pub before: Option<Cursor>,
    pub limit: u32,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// An RFC 3339 time, or a browser's date-time field (`2026-12-04T10:30`, taken as UTC).
pub fn parse_time(text: &str) -> Result<i64, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.timestamp_millis());
    }
    for format in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(t.and_utc().timestamp_millis());
        }
    }
    Err("Give a time such as 2026-12-04T10:30:00Z (RFC 3339).".into())
}

impl DeliverySearch {
    pub fn parse(input: &SearchInput, default_limit: u32) -> Result<Self, FieldErrors> {
        let mut e = FieldErrors::new();
        let mut s = DeliverySearch {
            limit: default_limit,
            ..Default::default()
        };
        if let Some(v) = given(&input.webhook_id) {
            s.webhook = e.check(
                "webhookId",
                v.parse::<i64>()
                    .ok()
                    .filter(|id| *id > 0)
                    .map(WebhookId::new)
                    .ok_or_else(|| "A webhook id is a positive whole number.".to_owned()),
            );
        }
        if let Some(v) = given(&input.state) {
            s.state = e.check(
                "state",
                DeliveryState::from_code(v).ok_or_else(|| {
                    "The state is queued, in_flight, waiting, dead, delivered or cancelled."
                        .to_owned()
                }),
            );
        }
        if let Some(v) = given(&input.from) {
            s.from = e.check("from", parse_time(v));
        }
        if let Some(v) = given(&input.to) {
            s.to = e.check("to", parse_time(v));
        }
        if let (Some(from), Some(to)) = (s.from, s.to)
            && from >= to
        {
            e.add("to", "The end of the time range comes after its start.");
        }
        if let Some(v) = given(&input.status)
            && let Some(status) = e.check(
                "status",
                v.parse::<u16>()
                    .ok()
                    .filter(|s| (100..=599).contains(s))
                    .ok_or_else(|| "An HTTP status is a number from 100 to 599.".to_owned()),
            )
        {
            s.met.push(Met::Status(status));
        }
        if let Some(v) = given(&input.failure_kind)
            && let Some(kind) = e.check(
                "failureKind",
                ErrorKind::from_code(v).ok_or_else(|| {
                    "The failure kind is dns, connect, timeout, tls, refused, http or other."
                        .to_owned()
                }),
            )
        {
            s.met.push(Met::Failure(kind));
        }
        s.message_id = given(&input.message_id).map(str::to_owned);
        s.event_id = given(&input.event_id).map(str::to_owned);
        match (given(&input.object_type), given(&input.object_id)) {
            (None, None) => {}
            (Some(t), Some(id)) => {
                let t = e.check(
                    "objectType",
                    ObjectType::from_code(t)
                        .ok_or_else(|| "The object type is project, phase or user.".to_owned()),
                );
                let id = e.check(
                    "objectId",
                    id.parse::<i64>()
                        .ok()
                        .filter(|id| *id > 0)
                        .ok_or_else(|| "An object id is a positive whole number.".to_owned()),
                );
                if let (Some(t), Some(id)) = (t, id) {
                    s.object_key = Some(format!("{}:{id}", t.code()));
                }
            }
            (None, Some(_)) => e.add("objectType", "Give the object's type with its id."),
            (Some(_), None) => e.add("objectId", "Give the object's id with its type."),
        }
        if let Some(v) = given(&input.cursor) {
            s.before = e.check(
                "cursor",
                Cursor::parse(v).ok_or_else(|| {
                    "This cursor was not given by Hookline: use nextCursor as it came.".to_owned()
                }),
            );
        }
        if let Some(v) = given(&input.limit) {
            s.limit = e
                .check(
                    "limit",
                    v.parse::<u32>()
                        .ok()
                        .filter(|l| (1..=MAX_PAGE).contains(l))
                        .ok_or_else(|| format!("The limit is between 1 and {MAX_PAGE}.")),
                )
                .unwrap_or(default_limit);
        }
        if e.is_empty() { Ok(s) } else { Err(e) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(pairs: &[(&str, &str)]) -> SearchInput {
        let fields: serde_json::Map<String, serde_json::Value> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(*v)))
            .collect();
        serde_json::from_value(fields.into()).unwrap()
    }

    #[test]
    fn a_full_search_is_read_once() {
        let s = DeliverySearch::parse(
            &input(&[
                ("webhookId", "3"),
                ("state", "dead"),
                ("from", "2026-12-01T00:00:00Z"),
                ("to", "2026-12-02T00:00"),
                ("status", "500"),
                ("failureKind", "timeout"),
                ("objectType", "project"),
                ("objectId", "12"),
                ("cursor", "1796350887505.99"),
                ("limit", "20"),
            ]),
            100,
        )
        .unwrap();
        assert_eq!(s.webhook, Some(WebhookId::new(3)));
        assert_eq!(s.state, Some(DeliveryState::Dead));
        assert_eq!(s.to.unwrap() - s.from.unwrap(), 86_400_000);
        assert_eq!(s.met, [Met::Status(500), Met::Failure(ErrorKind::Timeout)]);
        assert_eq!(s.object_key.as_deref(), Some("project:12"));
        assert_eq!(
            s.before,
            Some(Cursor {
                created_at: 1_796_350_887_505,
                id: DeliveryId::new(99)
            })
        );
        assert_eq!(s.before.unwrap().to_string(), "1796350887505.99");
        assert_eq!(s.limit, 20);
    }

    #[test]
    fn each_bad_field_gets_its_own_error() {
        let e = DeliverySearch::parse(
            &input(&[
                ("webhookId", "x"),
                ("state", "lost"),
                ("from", "yesterday"),
                ("status", "999"),
                ("failureKind", "boom"),
                ("objectId", "4"),
                ("cursor", "-1"),
                ("limit", "501"),
            ]),
            100,
        )
        .unwrap_err();
        for field in [
            "webhookId",
            "state",
            "from",
            "status",
            "failureKind",
            "objectType",
            "cursor",
            "limit",
        ] {
            assert!(e.get(field).is_some(), "no error for {field}");
        }
    }

    #[test]
    fn a_range_ends_after_it_starts() {
        let e = DeliverySearch::parse(
            &input(&[
                ("from", "2026-12-02T00:00:00Z"),
                ("to", "2026-12-01T00:00:00Z"),
            ]),
            100,
        )
        .unwrap_err();
        assert!(e.get("to").is_some());
    }
}
