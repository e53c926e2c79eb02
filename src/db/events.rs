//! Events, the deliveries matching writes for them, and the application log.

use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{FromRow, Row};

use super::{Store, Tx, execute, on};

use crate::domain::catalogue::ObjectType;
use crate::domain::event::Event;
use crate::domain::ids::{DeliveryId, EventRowId, WebhookId};

/// The storage edge of a recorded event: its columns, decoded once.
macro_rules! event_from_row {
    ($($row:ty),*) => {$(
impl<'r> FromRow<'r, $row> for Event {
    fn from_row(row: &'r $row) -> sqlx::Result<Event> {
        Ok(Event {
            id: row.try_get("id")?,
            event_id: row.try_get("event_id")?,
            event_type: row.try_get("event_type")?,
            object_type: row.try_get("object_type")?,
            object_id: row.try_get("object_id")?,
            parent_type: row.try_get("parent_type")?,
            parent_id: row.try_get("parent_id")?,
            project_id: row.try_get("project_id")?,
            parent_attributes: row.try_get("parent_attributes")?,
            attributes: row.try_get("attributes")?,
            before_attributes: row.try_get("before_attributes")?,
            changes: row.try_get("changes")?,
            initiator_id: row.try_get("initiator_id")?,
            initiator_name: row.try_get("initiator_name")?,
            initiator_email: row.try_get("initiator_email")?,
            initiator_token: row.try_get("initiator_token")?,
            occurred_at: row.try_get("occurred_at")?,
            change_version: row.try_get("change_version")?,
        })
    }
}
    )*};
}

event_from_row!(SqliteRow, PgRow);

/// A recorded event's id, and the webhooks' change counter as the same transaction sees it
/// (read in the same statement, so that matching rules cached in memory can be trusted
/// without another round trip).
#[derive(Debug, Clone, Copy, FromRow)]
pub struct Inserted {
    pub id: EventRowId,
    pub webhooks_version: i64,
}

/// Writes a new event (its `id` is not read: the database gives it).
pub async fn insert(tx: &mut Tx, e: &Event) -> sqlx::Result<Inserted> {
    on!(tx, ex => {
        let mut q = sqlx::QueryBuilder::new("");
        push_event!(&mut q, e);
        q.build_query_as().fetch_one(ex).await
    })
}

/// Records an event and its deliveries in one round trip: for a change whose webhooks are
/// known before its event is written. SQLite takes the two statements together; PostgreSQL
/// takes one statement at a time with parameters, so there the deliveries' INSERT reads the
/// event's id from the event's own INSERT, both parts of one statement.
pub async fn insert_with_deliveries(
    tx: &mut Tx,
    e: &Event,
    object_key: &str,
    deliveries: &[NewDelivery<'_>],
    now: i64,
    lease_ms: i64,
) -> sqlx::Result<(Inserted, Vec<Written>)> {
    if deliveries.is_empty() {
        return Ok((insert(tx, e).await?, Vec::new()));
    }
    if let Tx::Postgres { tx, .. } = tx {
        let mut q = sqlx::QueryBuilder::<sqlx::Postgres>::new("WITH ev AS (");
        push_event!(&mut q, e);
        q.push("), ins AS (");
        push_deliveries!(
            &mut q,
            EventRef::Ahead,
            object_key,
            deliveries,
            now,
            lease_ms
        );
        q.push(
            ") SELECT ev.id, ev.webhooks_version, ins.id, ins.webhook_id, ins.claimed FROM ev, ins",
        );
        let rows: Vec<(EventRowId, i64, DeliveryId, WebhookId, bool)> =
            q.build_query_as().fetch_all(&mut **tx).await?;
        let (id, webhooks_version) = rows
            .first()
            .map(|r| (r.0, r.1))
            .ok_or(sqlx::Error::RowNotFound)?;
        let written: Vec<_> = rows.iter().map(|r| (r.2, r.3, r.4)).collect();
        let inserted = Inserted {
            id,
            webhooks_version,
        };
        return Ok((inserted, in_order(deliveries, &written)?));
    }
    let rows = on!(tx, ex => {
        let mut q = sqlx::QueryBuilder::new("");
        push_event!(&mut q, e);
        q.push("; ");
        push_deliveries!(
            &mut q,
            EventRef::Key(&e.event_id),
            object_key,
            deliveries,
            now,
            lease_ms
        );
        // The event's row gives its id and the webhooks counter; the deliveries' theirs.
        let rows = q.build().fetch_all(ex).await?;
        let (first, rest) = rows.split_first().ok_or(sqlx::Error::RowNotFound)?;
        let inserted = Inserted {
            id: first.try_get(0)?,
            webhooks_version: first.try_get(1)?,
        };
        let written = rest
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect::<sqlx::Result<Vec<(DeliveryId, WebhookId, bool)>>>()?;
        (inserted, written)
    });
    let (inserted, written) = rows;
    Ok((inserted, in_order(deliveries, &written)?))
}

/// Pushes the INSERT of event `$e` onto query builder `$q` (of either backend).
macro_rules! push_event {
    ($q:expr, $e:expr) => {{
    let (q, e) = ($q, $e);
    q.push(
        "INSERT INTO events (event_id, event_type, object_type, object_id, parent_type, parent_id, project_id,
             parent_attributes, attributes, before_attributes, changes, initiator_id, initiator_name, initiator_email,
             initiator_token, occurred_at, change_version) VALUES (",
    );
    let mut values = q.separated(", ");
    values
        .push_bind(e.event_id.as_str())
        .push_bind(e.event_type.as_str())
        .push_bind(e.object_type)
        .push_bind(e.object_id)
        .push_bind(e.parent_type)
        .push_bind(e.parent_id)
        .push_bind(e.project_id)
        .push_bind(e.parent_attributes.as_deref())
        .push_bind(e.attributes.as_deref())
        .push_bind(e.before_attributes.as_deref())
        .push_bind(e.changes.as_str())
        .push_bind(e.initiator_id)
        .push_bind(e.initiator_name.as_str())
        .push_bind(e.initiator_email.as_str())
        .push_bind(e.initiator_token.as_deref())
        .push_bind(e.occurred_at)
        .push_bind(e.change_version);
    q.push(
        ") RETURNING id, (SELECT value FROM change_counters WHERE name = 'webhooks') AS webhooks_version",
    );
    }};
}
use push_event;

/// An event's public id, type and object type.
pub async fn kind_of(
    tx: &mut Tx,
    id: EventRowId,
) -> sqlx::Result<Option<(String, String, ObjectType)>> {
    on!(tx, ex => sqlx::query_as("SELECT event_id, event_type, object_type FROM events WHERE id = $1")
        .bind(id)
        .fetch_optional(ex)
        .await)
}

/// An event's columns, as `Event` reads them.
macro_rules! event_columns {
    () => {
        "id, event_id, event_type, object_type, object_id, parent_type, parent_id, project_id, parent_attributes,
         attributes, before_attributes, changes, initiator_id, initiator_name, initiator_email, initiator_token,
         occurred_at, change_version"
    };
}

/// Several events by id, in one query.
pub async fn find_many(
    store: &Store,
    ids: &[EventRowId],
) -> sqlx::Result<std::collections::HashMap<EventRowId, Event>> {
    let ids = serde_json::to_string(ids).expect("ids serialise");
    let rows: Vec<Event> = on!(store, ex => sqlx::query_as(ex.pick(
        concat!("SELECT ", event_columns!(), " FROM events WHERE id IN (SELECT value FROM json_each($1))"),
        concat!("SELECT ", event_columns!(), " FROM events WHERE id IN (SELECT value::bigint FROM json_array_elements_text($1::json))"),
    ))
    .bind(ids)
    .fetch_all(ex)
    .await)?;
    Ok(rows.into_iter().map(|e| (e.id, e)).collect())
}

/// The last `n` events recorded, newest first.
pub async fn latest(store: &Store, n: i64) -> sqlx::Result<Vec<Event>> {
    on!(store, ex => sqlx::query_as(concat!("SELECT ", event_columns!(), " FROM events ORDER BY id DESC LIMIT $1"))
        .bind(n)
        .fetch_all(ex)
        .await)
}

/// Whether a new delivery starts out claimed by the change that writes it, to be sent as
/// soon as it commits instead of waiting in the queue for a worker to claim it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    No,
    Yes,
    /// Unless an earlier delivery of the same webhook for the same object is still queued
    /// or in flight: then it waits its turn in the queue.
    InTurn,
}

impl Claim {
    fn code(self) -> i64 {
        match self {
            Claim::No => 0,
            Claim::Yes => 1,
            Claim::InTurn => 2,
        }
    }
}

/// A delivery to write.
pub struct NewDelivery<'a> {
    pub webhook_id: WebhookId,
    pub message_id: &'a str,
    pub mode: &'a str,
    pub claim: Claim,
}

/// A written delivery: its id, and whether it was written claimed.
#[derive(Debug, Clone, Copy)]
pub struct Written {
    pub id: DeliveryId,
    pub claimed: bool,
}

/// Writes an event's deliveries in one statement, deciding which start out claimed under
/// a lease; gives them in the given order.
pub async fn insert_deliveries(
    tx: &mut Tx,
    event_id: EventRowId,
    object_key: &str,
    deliveries: &[NewDelivery<'_>],
    now: i64,
    lease_ms: i64,
) -> sqlx::Result<Vec<Written>> {
    if deliveries.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(DeliveryId, WebhookId, bool)> = on!(tx, ex => {
        let mut q = sqlx::QueryBuilder::new("");
        push_deliveries!(
            &mut q,
            EventRef::Id(event_id),
            object_key,
            deliveries,
            now,
            lease_ms
        );
        q.build_query_as().fetch_all(ex).await?
    });
    in_order(deliveries, &rows)
}

/// Removes an event's deliveries (written for webhooks that turned out to have changed).
pub async fn delete_deliveries(tx: &mut Tx, event_id: EventRowId) -> sqlx::Result<()> {
    execute!(
        &mut *tx,
        sqlx::query("DELETE FROM deliveries WHERE event_id = $1").bind(event_id)
    )?;
    Ok(())
}

/// How a statement names the event its deliveries belong to.
enum EventRef<'a> {
    Id(EventRowId),
    /// The event written by the statement before, by its unique key.
    Key(&'a str),
    /// The event written by the same statement, in its `ev` part.
    Ahead,
}

/// Pushes the INSERT of an event's deliveries onto query builder `$q` (of either backend),
/// returning (id, webhook, claimed) for each.
macro_rules! push_deliveries {
    ($q:expr, $event:expr, $object_key:expr, $deliveries:expr, $now:expr, $lease_ms:expr) => {{
    let (q, event, object_key, deliveries, now, lease_ms): (_, EventRef<'_>, &str, &[NewDelivery<'_>], i64, i64) =
        ($q, $event, $object_key, $deliveries, $now, $lease_ms);
    q.push("WITH new (webhook_id, message_id, mode, claim) AS (");
    q.push_values(deliveries, |mut row, d| {
        row.push_bind(d.webhook_id)
            .push_bind(d.message_id)
            .push_bind(d.mode)
            .push_bind(d.claim.code());
    });
    q.push(
        "), decided AS MATERIALIZED (
            SELECT webhook_id, message_id, mode,
                claim = 1 OR (claim = 2 AND NOT EXISTS (
                    SELECT 1 FROM deliveries e
                    WHERE e.webhook_id = new.webhook_id AND e.object_key = ",
    );
    q.push_bind(object_key);
    q.push(
        " AND e.status IN ('pending', 'in_flight'))) AS claimed
            FROM new)
        INSERT INTO deliveries (event_id, webhook_id, message_id, mode, object_key, next_attempt_at,
            created_at, status, locked_until, attempts)
        SELECT ",
    );
    match event {
        EventRef::Id(id) => {
            q.push_bind(id);
        }
        EventRef::Key(key) => {
            q.push("(SELECT id FROM events WHERE event_id = ");
            q.push_bind(key);
            q.push(")");
        }
        EventRef::Ahead => {
            q.push("(SELECT id FROM ev)");
        }
    }
    q.push(", webhook_id, message_id, mode, ");
    q.push_bind(object_key);
    q.push(", ");
    q.push_bind(now);
    q.push(", ");
    q.push_bind(now);
    q.push(", CASE WHEN claimed THEN 'in_flight' ELSE 'pending' END, CASE WHEN claimed THEN ");
    q.push_bind(now + lease_ms);
    q.push(" END, CASE WHEN claimed THEN 1 ELSE 0 END FROM decided WHERE true RETURNING id, webhook_id, status = 'in_flight' AS claimed");
    }};
}
use push_deliveries;

/// Written deliveries (id, webhook, claimed) in the order asked: RETURNING promises none,
/// and webhooks are unique within an event.
fn in_order(
    deliveries: &[NewDelivery<'_>],
    rows: &[(DeliveryId, WebhookId, bool)],
) -> sqlx::Result<Vec<Written>> {
    deliveries
        .iter()
        .map(|d| {
            rows.iter()
                .find(|(_, w, _)| *w == d.webhook_id)
                .map(|&(id, _, claimed)| Written { id, claimed })
                .ok_or(sqlx::Error::RowNotFound)
        })
        .collect()
}
