//! The default payload (an envelope around the event) and the rendering of a webhook's URL,
//! body and header templates from an event.

/// The JSON Schema of the default payload, served at `/schemas/webhook-payload.json`.
pub const SCHEMA: &str = include_str!("../../static/webhook-payload.schema.json");

use chrono::{DateTime, SecondsFormat, Utc};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::domain::catalogue::ObjectType;
use crate::domain::event::Event;
use crate::domain::ids::UserId;
use crate::domain::template::{Segment, Template};

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

fn changed_fields(e: &Event, o: &Options<'_>) -> Value {
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

/// Stored attributes, passed on as they are when the webhook changes nothing in them (no
/// excluded field, values as they are): most payloads are then written without parsing them.
#[derive(Serialize)]
#[serde(untagged)]
enum Stored<'a> {
    AsIs(&'a RawValue),
    Shaped(Value),
}

impl<'a> Stored<'a> {
    /// Attributes as stored: a JSON object written from a map, so its keys are in order.
    fn attributes(json: Option<&'a str>, o: &Options<'_>) -> Self {
        let as_is = (o.excluded.is_empty() && !o.as_strings)
            .then_some(json)
            .flatten()
            .filter(|j| j.starts_with('{'))
            .and_then(|j| serde_json::from_str::<&RawValue>(j).ok());
        match as_is {
            Some(raw) => Stored::AsIs(raw),
            None => Stored::Shaped(shape(parse(json), o)),
        }
    }
}

impl<'a> Stored<'a> {
    /// Changed fields as stored: a JSON list written from values (so each one's keys are in
    /// order), passed on as it is when the webhook changes nothing in it.
    fn changes(e: &'a Event, o: &Options<'_>) -> Self {
        let as_is = (o.excluded.is_empty() && !o.as_strings)
            .then_some(e.changes.as_str())
            .filter(|j| j.starts_with('['))
            .and_then(|j| serde_json::from_str::<&RawValue>(j).ok());
        match as_is {
            Some(raw) => Stored::AsIs(raw),
            None => Stored::Shaped(changed_fields(e, o)),
        }
    }
}

// Fields in alphabetical order, as the payload has always had them.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<'a> {
    change_version: i64,
    data: Data<'a>,
    event_id: &'a str,
    event_type: &'a str,
    message_id: &'a str,
    test: bool,
    timestamp: String,
    webhook_id: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Data<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    attributes: Option<Stored<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    before_attributes: Option<Stored<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    changed_fields: Option<Stored<'a>>,
    id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    initiator: Option<Initiator<'a>>,
    object_type: &'a str,
    parent_entity_id: Option<i64>,
    parent_entity_type: Option<&'a str>,
}

#[derive(Serialize)]
struct Initiator<'a> {
    email: &'a str,
    id: Option<i64>,
    name: &'a str,
}

/// The JSON envelope: identifiers, then the data; only the identifiers when the webhook
/// excludes the payload.
fn envelope_of<'a>(e: &'a Event, o: &'a Options<'_>) -> Envelope<'a> {
    let full = !o.exclude_payload;
    let attributes =
        |json: &'a Option<String>| full.then(|| Stored::attributes(json.as_deref(), o));
    Envelope {
        change_version: e.change_version,
        data: Data {
            attributes: attributes(&e.attributes),
            before_attributes: attributes(&e.before_attributes),
            changed_fields: full.then(|| Stored::changes(e, o)),
            id: e.object_id,
            initiator: full.then_some(Initiator {
                email: &e.initiator_email,
                id: e.initiator_id.map(UserId::get),
                name: &e.initiator_name,
            }),
            object_type: e.object_type.code(),
            parent_entity_id: e.parent_id,
            parent_entity_type: e.parent_type.map(ObjectType::code),
        },
        event_id: &e.event_id,
        event_type: &e.event_type,
        message_id: o.message_id,
        test: o.test,
        timestamp: timestamp(e.occurred_at),
        webhook_id: o.webhook_id,
    }
}

pub fn envelope(e: &Event, o: &Options<'_>) -> Value {
    serde_json::to_value(envelope_of(e, o)).expect("an envelope is JSON")
}

/// The envelope as JSON text, written without building it as a tree first.
fn envelope_text(e: &Event, o: &Options<'_>) -> String {
    serde_json::to_string(&envelope_of(e, o)).expect("an envelope is JSON")
}

/// The value of one placeholder for this event and webhook.
fn value(name: &str, e: &Event, o: &Options<'_>) -> Value {
    match name {
        "event.type" => e.event_type.clone().into(),
        "event.id" => e.event_id.clone().into(),
        "event.timestamp" => timestamp(e.occurred_at).into(),
        "event.change_version" => e.change_version.into(),
        "webhook.id" => o.webhook_id.into(),
        "message.id" => o.message_id.into(),
        "object.id" => e.object_id.into(),
        "object.type" => e.object_type.code().into(),
        "initiator.id" => e.initiator_id.map(UserId::get).into(),
        "initiator.name" => e.initiator_name.clone().into(),
        "initiator.email" => e.initiator_email.clone().into(),
        "changes" => changed_fields(e, o),
        _ => {
            let (scope, field) = name.split_once('.').unwrap_or((name, ""));
            let scope = ObjectType::parse(scope);
            if scope == Some(e.object_type) {
                if field == "id" {
                    return e.object_id.into();
                }
                if o.excluded.iter().any(|x| x == field) {
                    return Value::Null;
                }
                let v = parse(e.attributes.as_deref())
                    .or_else(|| parse(e.before_attributes.as_deref()))
                    .and_then(|mut a| a.remove(field))
                    .unwrap_or(Value::Null);
                return if o.as_strings { stringify(v) } else { v };
            }
            // A phase's project, by its parent's attributes.
            if scope == Some(ObjectType::Project) {
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
fn push_json_fragment(out: &mut String, v: &Value) {
    match v {
        Value::String(s) => {
            let quoted = serde_json::to_string(s).expect("a string is JSON");
            push_markup_escaped(out, &quoted[1..quoted.len() - 1]);
        }
        other => push_markup_escaped(out, &other.to_string()),
    }
}

fn push_markup_escaped(out: &mut String, json: &str) {
    if !json.contains(['<', '>', '&']) {
        out.push_str(json);
        return;
    }
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            c => out.push(c),
        }
    }
}

/// Text as it goes in a URL, a header or plain text.
fn push_plain(out: &mut String, context: Context, text: &str) {
    match context {
        Context::Url => out.extend(utf8_percent_encode(text, COMPONENT)),
        Context::Header => out.extend(text.chars().filter(|c| !c.is_control())),
        Context::Json | Context::Text => out.push_str(text),
    }
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
    e: &Event,
    o: &Options<'_>,
) -> Result<String, String> {
    let parsed = Template::parse(template, e.object_type)?;
    let mut out = String::with_capacity(template.len());
    for segment in parsed.segments() {
        match segment {
            Segment::Text(t) => out.push_str(t),
            // The envelope is a JSON document, written as text without a tree first.
            Segment::Placeholder(p) if p == "payload" => match context {
                Context::Json => push_markup_escaped(&mut out, &envelope_text(e, o)),
                _ => push_plain(&mut out, context, &envelope_text(e, o)),
            },
            Segment::Placeholder(p) => match (context, value(p, e, o)) {
                (Context::Json, v) => push_json_fragment(&mut out, &v),
                (_, v) => push_plain(&mut out, context, &plain(&v)),
            },
        }
    }
    Ok(out)
}
