//! The default payload (an envelope around the event) and the rendering of a webhook's URL,
//! body and header templates from an event.

use chrono::{DateTime, SecondsFormat, Utc};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Map, Value, json};

use super::catalogue::ObjectType;
use super::template::{Segment, Template};
use crate::db::events::EventRow;

/// How one webhook wants its payload.
pub struct Options<'a> {
    pub webhook_id: i64,
    pub message_id: &'a str,
    pub excluded: &'a [String],
    pub exclude_payload: bool,
    /// Every attribute value as a string, as PlanMill's payloads have them.
    pub as_strings: bool,
    pub test: bool,
}

fn parse(json: Option<&str>) -> Option<Map<String, Value>> {
    json.and_then(|j| serde_json::from_str::<Value>(j).ok())
        .and_then(|v| v.as_object().cloned())
}

fn stringify(v: Value) -> Value {
    match v {
        Value::Null | Value::String(_) => v,
        other => Value::String(other.to_string()),
    }
}

fn shape(map: Option<Map<String, Value>>, o: &Options<'_>) -> Value {
    let Some(map) = map else { return Value::Null };
    let kept = map
        .into_iter()
        .filter(|(k, _)| !o.excluded.contains(k))
        .map(|(k, v)| (k, if o.as_strings { stringify(v) } else { v }));
    Value::Object(kept.collect())
}

fn changed_fields(e: &EventRow, o: &Options<'_>) -> Value {
    let all: Vec<Value> = serde_json::from_str(&e.changes).unwrap_or_default();
    let kept = all
        .into_iter()
        .filter(|c| {
            c.get("name")
                .and_then(Value::as_str)
                .is_none_or(|n| !o.excluded.iter().any(|x| x == n))
        })
        .map(|mut c| {
            if o.as_strings {
                for key in ["previous", "current"] {
                    if let Some(v) = c.get_mut(key) {
                        *v = stringify(v.take());
                    }
                }
            }
            c
        });
    Value::Array(kept.collect())
}

pub fn timestamp(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn initiator(e: &EventRow) -> Value {
    json!({"id": e.initiator_id, "name": e.initiator_name, "email": e.initiator_email})
}

/// The JSON envelope: identifiers, then the data; only the identifiers when the webhook
/// excludes the payload.
pub fn envelope(e: &EventRow, o: &Options<'_>) -> Value {
    let mut data = json!({
        "id": e.object_id,
        "objectType": e.object_type,
        "parentEntityId": e.parent_id,
        "parentEntityType": e.parent_type,
    });
    if !o.exclude_payload {
        let extra = json!({
            "attributes": shape(parse(e.attributes.as_deref()), o),
            "beforeAttributes": shape(parse(e.before_attributes.as_deref()), o),
            "changedFields": changed_fields(e, o),
            "initiator": initiator(e),
        });
        if let (Some(d), Value::Object(x)) = (data.as_object_mut(), extra) {
            d.extend(x);
        }
    }
    json!({
        "webhookId": o.webhook_id,
        "messageId": o.message_id,
        "eventId": e.event_id,
        "eventType": e.event_type,
        "timestamp": timestamp(e.occurred_at),
        "changeVersion": e.change_version,
        "test": o.test,
        "data": data,
    })
}

/// The value of one placeholder for this event and webhook.
fn value(name: &str, e: &EventRow, o: &Options<'_>) -> Value {
    let object = ObjectType::parse(&e.object_type);
    let attributes = parse(e.attributes.as_deref())
        .or_else(|| parse(e.before_attributes.as_deref()))
        .unwrap_or_default();
    match name {
        "event.type" => e.event_type.clone().into(),
        "event.id" => e.event_id.clone().into(),
        "event.timestamp" => timestamp(e.occurred_at).into(),
        "event.change_version" => e.change_version.into(),
        "webhook.id" => o.webhook_id.into(),
        "message.id" => o.message_id.into(),
        "object.id" => e.object_id.into(),
        "object.type" => e.object_type.clone().into(),
        "initiator.id" => e.initiator_id.into(),
        "initiator.name" => e.initiator_name.clone().into(),
        "initiator.email" => e.initiator_email.clone().into(),
        "changes" => changed_fields(e, o),
        "payload" => envelope(e, o),
        _ => {
            let (scope, field) = name.split_once('.').unwrap_or((name, ""));
            if object.is_some_and(|ob| ob.code() == scope) {
                if field == "id" {
                    return e.object_id.into();
                }
                if o.excluded.iter().any(|x| x == field) {
                    return Value::Null;
                }
                let v = attributes.get(field).cloned().unwrap_or(Value::Null);
                return if o.as_strings { stringify(v) } else { v };
            }
            if scope == "project" {
                return parse(e.parent_attributes.as_deref())
                    .and_then(|p| p.get(field).cloned())
                    .unwrap_or(Value::Null);
            }
            Value::Null
        }
    }
}

fn plain(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Characters left as they are in a URL component (RFC 3986 unreserved).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Inside a JSON document: a string's characters escaped (no quotes added), with `<`, `>`
/// and `&` as \u escapes so a value cannot close a surrounding `<script>`; other values as
/// JSON.
fn json_fragment(v: &Value) -> String {
    let text = match v {
        Value::String(s) => {
            let quoted = Value::String(s.clone()).to_string();
            quoted[1..quoted.len() - 1].to_owned()
        }
        other => other.to_string(),
    };
    text.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    Url,
    Json,
    Text,
    Header,
}

/// A body template is JSON when it starts like a JSON object or array.
pub fn body_context(template: &str) -> Context {
    if template.trim_start().starts_with(['{', '[']) {
        Context::Json
    } else {
        Context::Text
    }
}

pub fn render(
    template: &str,
    context: Context,
    e: &EventRow,
    o: &Options<'_>,
) -> Result<String, String> {
    let object = ObjectType::parse(&e.object_type).ok_or("unknown object type")?;
    let parsed = Template::parse(template, object)?;
    let mut out = String::with_capacity(template.len());
    for segment in parsed.segments() {
        match segment {
            Segment::Text(t) => out.push_str(t),
            Segment::Placeholder(p) => {
                let v = value(p, e, o);
                match context {
                    Context::Url => out.extend(utf8_percent_encode(&plain(&v), COMPONENT)),
                    Context::Json => out.push_str(&json_fragment(&v)),
                    Context::Text => out.push_str(&plain(&v)),
                    Context::Header => out.extend(plain(&v).chars().filter(|c| !c.is_control())),
                }
            }
        }
    }
    Ok(out)
}
