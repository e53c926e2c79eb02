//! The delivery queue: claiming under a lease, settling, Retry now and Cancel, and the
//! pending-orders views.

use crate::db::{execute, on};
use sqlx::FromRow;

use super::{Backend, Source, Store, Tx};
use crate::domain::Coded;
use crate::domain::delivery::{DeliveryState, DeliveryStatus};
use crate::domain::delivery_search::{DeliverySearch, Met};
use crate::domain::ids::{DeliveryId, EventRowId, WebhookId};
use crate::domain::webhook::Mode;
use crate::metrics::QueueFigures;

#[derive(Debug, Clone, FromRow)]
pub struct Claimed {
    pub id: DeliveryId,
    pub event_id: EventRowId,
    pub webhook_id: WebhookId,
    pub message_id: String,
    /// Attempts made, this one included.
    pub attempts: i64,
    /// Of which made by hand (Retry now): they do not move the retry schedule on.
    #[sqlx(default)]
    pub manual_attempts: i64,
    /// The webhooks counter as the claim saw it.
    pub webhooks_version: i64,
    /// For an attempt made by hand: where the delivery goes back to if it fails.
    #[sqlx(skip)]
    pub restore: Option<Restore>,
}

impl Claimed {
    /// The attempt's number in the retry schedule: attempts by hand do not count.
    pub fn scheduled_attempt(&self) -> i64 {
        (self.attempts - self.manual_attempts).max(1)
    }
}

/// A delivery's place before an attempt by hand: pending (due at `next_attempt_at`) or dead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restore {
    pub status: DeliveryStatus,
    pub next_attempt_at: i64,
}

/// Why an attempt by hand could not be claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotClaimed {
    NotFound,
    /// Being sent right now (by a worker, or another Retry now).
    InFlight,
    /// Delivered or cancelled: nothing to send.
    Finished,
    /// An earlier delivery of the same webhook for the same object has not gone out yet.
    Behind {
        earlier: DeliveryId,
    },
}

impl std::fmt::Display for NotClaimed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotClaimed::NotFound => f.write_str("There is no such delivery."),
            NotClaimed::InFlight => f.write_str(
                "This delivery is being sent right now: wait for its attempt to finish.",
            ),
            NotClaimed::Finished => {
                f.write_str("This delivery was delivered or cancelled: there is nothing to send.")
            }
            NotClaimed::Behind { earlier } => write!(
                f,
                "An earlier change of the same object has not reached this webhook yet (delivery #{earlier}): it goes first, so that the receiver sees the changes in order. Retry it, and this one follows."
            ),
        }
    }
}

/// Delivery `d` is in its turn: no earlier delivery of the same webhook for the same object
/// is still to go.
///
/// On PostgreSQL the check ends in `OFFSET 0`, which keeps it a look-up per candidate in the
/// index of queued deliveries by object: without it the planner may turn it into a join,
/// and with the statistics a burst leaves stale (hardly any delivery queued, as far as they
/// know) it chose one that read that whole index again for every candidate — 448 ms for a
/// claim of 64 behind 24,000 queued deliveries, against 6 ms with the look-up.
macro_rules! in_turn {
    ($fence:literal) => {
        concat!(
            "NOT EXISTS (
            SELECT 1 FROM deliveries e
            WHERE e.webhook_id = d.webhook_id AND e.object_key = d.object_key AND e.id < d.id
              AND e.status IN ('pending', 'in_flight')",
            $fence,
            ")"
        )
    };
}

/// Claims the deliveries `$due` names (a query of ids), returning what a worker needs.
macro_rules! claim_sql {
    ($due:expr) => {
        concat!(
            "UPDATE deliveries SET status = 'in_flight', locked_until = $1 + $2, attempts = attempts + 1
             WHERE id IN (",
            $due,
            ") RETURNING id, event_id, webhook_id, message_id, attempts, manual_attempts,
                 (SELECT value FROM change_counters WHERE name = 'webhooks') AS webhooks_version"
        )
    };
}

/// Due deliveries, those waiting for their time and those whose lease ran out, up to $3.
const CLAIM: &str = claim_sql!(concat!(
    "SELECT d.id FROM deliveries d
     WHERE d.mode = 'async'
       AND ((d.status = 'pending' AND d.next_attempt_at <= $1) OR (d.status = 'in_flight' AND d.locked_until < $1))
       AND ",
    in_turn!(""),
    " ORDER BY d.next_attempt_at, d.id LIMIT $3"
));
/// On PostgreSQL, workers of several instances claim at once: each skips the rows another
/// is claiming, and a delivery another has just claimed still counts as queued ahead of
/// the later ones of its object (the check reads the last committed state).
///
/// Each kind of due delivery is taken from its own index in order, so that a claim reads
/// about as many rows as it takes, however long the queue behind them: one query over
/// both kinds would read and sort every queued delivery on each claim.
const CLAIM_SKIP_LOCKED: &str = claim_sql!(concat!(
    "SELECT id FROM (
         SELECT * FROM (
             SELECT d.id, d.next_attempt_at FROM deliveries d
             WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND d.mode = 'async' AND ",
    in_turn!(" OFFSET 0"),
    "        ORDER BY d.next_attempt_at, d.id LIMIT $3 FOR UPDATE SKIP LOCKED) queued
         UNION ALL
         SELECT * FROM (
             SELECT d.id, d.next_attempt_at FROM deliveries d
             WHERE d.status = 'in_flight' AND d.locked_until < $1 AND d.mode = 'async' AND ",
    in_turn!(" OFFSET 0"),
    "        ORDER BY d.locked_until, d.id LIMIT $3 FOR UPDATE SKIP LOCKED) lapsed
     ) due ORDER BY next_attempt_at, id LIMIT $3"
));

/// The statement with which `claim` claims on `backend` (binds: now, the lease in ms, how
/// many at most): tests read its plan.
pub fn claim_statement(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => CLAIM,
        Backend::Postgres => CLAIM_SKIP_LOCKED,
    }
}

/// Claims up to `limit` due asynchronous deliveries — and those whose lease ran out, which
/// a stopped worker left behind — in one statement. A delivery waits while an earlier one of
/// the same webhook for the same object is still queued or in flight, so each receiver sees
/// an object's changes in order.
pub async fn claim(
    store: &Store,
    now: i64,
    lease_ms: i64,
    limit: i64,
) -> sqlx::Result<Vec<Claimed>> {
    let mut tx = store.begin_write().await?;
    let claimed = on!(&mut tx, ex => sqlx::query_as(claim_statement(store.backend()))
    .bind(now)
    .bind(lease_ms)
    .bind(limit)
    .fetch_all(ex)
    .await)?;
    tx.commit_soon().await?;
    Ok(claimed)
}

/// Claims a synchronous delivery its change left queued, for the call that follows.
pub async fn claim_one(
    store: &Store,
    id: DeliveryId,
    now: i64,
    lease_ms: i64,
) -> sqlx::Result<Option<Claimed>> {
    on!(store, ex => sqlx::query_as(
        "UPDATE deliveries SET status = 'in_flight', locked_until = $2 + $3, attempts = attempts + 1
         WHERE id = $1 AND status = 'pending'
         RETURNING id, event_id, webhook_id, message_id, attempts, manual_attempts,
             (SELECT value FROM change_counters WHERE name = 'webhooks') AS webhooks_version",
    )
    .bind(id)
    .bind(now)
    .bind(lease_ms)
    .fetch_optional(ex)
    .await)
}

/// Claims a delivery for an attempt by hand (Retry now): one waiting, queued or dead, and
/// only when no earlier delivery of its webhook for the same object is still to go, so
/// that receivers keep seeing an object's changes in order. Read and claimed in one write
/// transaction: of simultaneous retries, one gets the claim.
pub async fn claim_manual(
    store: &Store,
    id: DeliveryId,
    now: i64,
    lease_ms: i64,
) -> sqlx::Result<Result<Claimed, NotClaimed>> {
    let mut tx = store.begin_write().await?;
    // Read under a lock on PostgreSQL (SQLite's one writer runs one such read at a time).
    let row: Option<(DeliveryStatus, i64, Option<DeliveryId>)> = on!(&mut tx, ex => sqlx::query_as(ex.pick(
        "SELECT d.status, d.next_attempt_at,
                (SELECT MIN(e.id) FROM deliveries e
                 WHERE e.webhook_id = d.webhook_id AND e.object_key = d.object_key AND e.id < d.id
                   AND e.status IN ('pending', 'in_flight'))
         FROM deliveries d WHERE d.id = $1",
        "SELECT d.status, d.next_attempt_at,
                (SELECT MIN(e.id) FROM deliveries e
                 WHERE e.webhook_id = d.webhook_id AND e.object_key = d.object_key AND e.id < d.id
                   AND e.status IN ('pending', 'in_flight'))
         FROM deliveries d WHERE d.id = $1 FOR UPDATE OF d",
    ))
    .bind(id)
    .fetch_optional(ex)
    .await)?;
    let refusal = match &row {
        None => Some(NotClaimed::NotFound),
        Some((DeliveryStatus::InFlight, ..)) => Some(NotClaimed::InFlight),
        Some((DeliveryStatus::Delivered | DeliveryStatus::Cancelled, ..)) => {
            Some(NotClaimed::Finished)
        }
        Some((_, _, Some(earlier))) => Some(NotClaimed::Behind { earlier: *earlier }),
        Some(_) => None,
    };
    let (Some((status, next_attempt_at, _)), None) = (row, refusal.clone()) else {
        tx.rollback().await?;
        return Ok(Err(refusal.expect("a refusal when there is no claim")));
    };
    let mut claimed: Claimed = on!(&mut tx, ex => sqlx::query_as(
        "UPDATE deliveries SET status = 'in_flight', locked_until = $2 + $3,
             attempts = attempts + 1, manual_attempts = manual_attempts + 1
         WHERE id = $1
         RETURNING id, event_id, webhook_id, message_id, attempts, manual_attempts,
             (SELECT value FROM change_counters WHERE name = 'webhooks') AS webhooks_version",
    )
    .bind(id)
    .bind(now)
    .bind(lease_ms)
    .fetch_one(ex)
    .await)?;
    tx.commit().await?;
    claimed.restore = Some(Restore {
        status,
        next_attempt_at,
    });
    Ok(Ok(claimed))
}

/// When the next queued delivery falls due, to sleep until then.
pub async fn next_due(store: &Store) -> sqlx::Result<Option<i64>> {
    on!(store, ex => sqlx::query_scalar(ex.pick(
        "SELECT MIN(CASE WHEN status = 'pending' THEN next_attempt_at ELSE locked_until END)
         FROM deliveries WHERE mode = 'async' AND status IN ('pending', 'in_flight')",
        // The first entry of each of the claims' indexes.
        "SELECT LEAST(
             (SELECT MIN(next_attempt_at) FROM deliveries WHERE status = 'pending' AND mode = 'async'),
             (SELECT MIN(locked_until) FROM deliveries WHERE status = 'in_flight' AND mode = 'async'))",
    ))
        .fetch_one(ex)
        .await)
}

/// Ends a delivery's attempt: delivered, dead, or pending again at `next_attempt_at`.
pub async fn settle(
    tx: &mut Tx,
    id: DeliveryId,
    status: DeliveryStatus,
    next_attempt_at: i64,
    last_error: Option<&str>,
    now: i64,
) -> sqlx::Result<()> {
    execute!(&mut *tx, sqlx::query(
        "UPDATE deliveries SET status = $2, next_attempt_at = $3, last_error = $4, locked_until = NULL,
             completed_at = CASE WHEN $2 IN ('delivered', 'dead') THEN $5 ELSE NULL END
         WHERE id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(next_attempt_at)
    .bind(last_error)
    .bind(now))?;
    Ok(())
}

/// An approved in-transaction change, saved on its second run: its event and the approving
/// deliveries (delivery id, message id) take the ids their receivers saw on the first run,
/// and those deliveries are delivered — in one round trip.
pub async fn keep_approved(
    tx: &mut Tx,
    event_id: EventRowId,
    event_key: &str,
    approvals: &[(DeliveryId, &str)],
    now: i64,
) -> sqlx::Result<()> {
    match Source::of(tx) {
        Source::Sqlite(ex) => {
            let approvals = serde_json::to_string(approvals).expect("approvals serialise");
            sqlx::query(KEEP_APPROVED_SQLITE)
                .bind(event_id)
                .bind(event_key)
                .bind(approvals)
                .bind(now)
                .execute(ex)
                .await?;
        }
        // Arrays, whose length PostgreSQL's planner knows: a JSON array's rows it guesses
        // at a hundred, and joined a hundred guessed rows to a young deliveries table by
        // reading the whole table (2-3 ms a change at 5,000 deliveries).
        Source::Pg(ex) => {
            let (ids, messages): (Vec<i64>, Vec<&str>) = approvals
                .iter()
                .map(|&(id, message)| (id.get(), message))
                .unzip();
            sqlx::query(KEEP_APPROVED_POSTGRES)
                .bind(event_id)
                .bind(event_key)
                .bind(ids)
                .bind(messages)
                .bind(now)
                .execute(ex)
                .await?;
        }
    }
    Ok(())
}

/// `keep_approved` on SQLite: the approvals as one JSON array (`$3`), the time (`$4`).
const KEEP_APPROVED_SQLITE: &str = "UPDATE events SET event_id = $2 WHERE id = $1;
     UPDATE deliveries SET status = 'delivered', attempts = 1, next_attempt_at = $4,
         completed_at = $4, last_error = NULL, locked_until = NULL,
         message_id = (SELECT json_extract(a.value, '$[1]') FROM json_each($3) a
                       WHERE json_extract(a.value, '$[0]') = deliveries.id)
     WHERE id IN (SELECT json_extract(value, '$[0]') FROM json_each($3))";

/// `keep_approved` on PostgreSQL: delivery ids (`$3`) and message ids (`$4`) as arrays, the
/// time (`$5`).
const KEEP_APPROVED_POSTGRES: &str =
    "WITH renamed AS (UPDATE events SET event_id = $2 WHERE id = $1)
     UPDATE deliveries SET status = 'delivered', attempts = 1, next_attempt_at = $5,
         completed_at = $5, last_error = NULL, locked_until = NULL, message_id = a.message_id
     FROM UNNEST($3::bigint[], $4::text[]) AS a (id, message_id) WHERE deliveries.id = a.id";

/// A 410 Gone turns the webhook off, and says why.
pub async fn disable_webhook(tx: &mut Tx, webhook_id: WebhookId, reason: &str) -> sqlx::Result<()> {
    execute!(
        &mut *tx,
        sqlx::query("UPDATE webhooks SET active = FALSE, disabled_reason = $2 WHERE id = $1")
            .bind(webhook_id)
            .bind(reason)
    )?;
    Ok(())
}

/// Gives claimed work back at shutdown, so another worker need not wait for the lease.
pub async fn release(store: &Store, ids: &[DeliveryId]) -> sqlx::Result<()> {
    for id in ids {
        execute!(store, sqlx::query("UPDATE deliveries SET status = 'pending', locked_until = NULL, attempts = attempts - 1 WHERE id = $1 AND status = 'in_flight'")
            .bind(id))?;
    }
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub struct DeliveryRow {
    pub id: DeliveryId,
    pub event_id: EventRowId,
    pub webhook_id: WebhookId,
    pub wording: Option<String>,
    pub event_type: String,
    pub object_type: String,
    pub object_id: i64,
    pub message_id: String,
    pub mode: Mode,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
}

impl DeliveryRow {
    /// The state as the queue screens and the API name it.
    pub fn state(&self) -> DeliveryState {
        DeliveryState::of(self.status, self.attempts)
    }
}

const DELIVERY_SELECT: &str = "SELECT d.id, d.event_id, d.webhook_id, w.wording, e.event_type, e.object_type, e.object_id, d.message_id,
        d.mode, d.status, d.attempts, d.next_attempt_at, d.last_error, d.created_at
    FROM deliveries d JOIN events e ON e.id = d.event_id LEFT JOIN webhooks w ON w.id = d.webhook_id";

pub async fn find(store: &Store, id: DeliveryId) -> sqlx::Result<Option<DeliveryRow>> {
    on!(store, ex => sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{DELIVERY_SELECT} WHERE d.id = $1"
    )))
    .bind(id)
    .fetch_optional(ex)
    .await)
}

/// The webhook of the delivery with message id `message_id`.
pub async fn webhook_of_message(
    store: &Store,
    message_id: &str,
) -> sqlx::Result<Option<WebhookId>> {
    on!(store, ex => sqlx::query_scalar("SELECT webhook_id FROM deliveries WHERE message_id = $1")
        .bind(message_id)
        .fetch_optional(ex)
        .await)
}

/// Cancels a delivery that has not gone out (or gave up); false if it cannot be.
pub async fn cancel(store: &Store, id: DeliveryId, now: i64) -> sqlx::Result<bool> {
    let done = execute!(store, sqlx::query("UPDATE deliveries SET status = 'cancelled', completed_at = $2, locked_until = NULL WHERE id = $1 AND status IN ('pending', 'dead')")
        .bind(id)
        .bind(now))?;
    Ok(done == 1)
}

/// Cancels every delivery of a webhook still waiting to go (queued, or failed and waiting
/// for a retry), saying why; those in flight are settled when their attempt ends.
pub async fn cancel_waiting(
    tx: &mut Tx,
    webhook_id: WebhookId,
    reason: &str,
    now: i64,
) -> sqlx::Result<u64> {
    let done = execute!(&mut *tx, sqlx::query(
        "UPDATE deliveries SET status = 'cancelled', completed_at = $3, last_error = $2, locked_until = NULL
         WHERE webhook_id = $1 AND status = 'pending'",
    )
    .bind(webhook_id)
    .bind(reason)
    .bind(now))?;
    Ok(done)
}

/// The queue's figures for `/metrics`: deliveries by state, the oldest still to be sent,
/// and how many webhooks Hookline turned off itself.
pub async fn queue_figures(store: &Store, now: i64) -> sqlx::Result<QueueFigures> {
    let counts: Vec<(DeliveryStatus, bool, i64)> = on!(store, ex => sqlx::query_as(
        "SELECT status, attempts > 0 AS tried, COUNT(*) FROM deliveries GROUP BY status, tried",
    )
    .fetch_all(ex)
    .await)?;
    let mut by_state: Vec<(DeliveryState, i64)> = Vec::new();
    for (status, tried, n) in counts {
        let state = DeliveryState::of(status, i64::from(tried));
        match by_state.iter_mut().find(|(s, _)| *s == state) {
            Some((_, total)) => *total += n,
            None => by_state.push((state, n)),
        }
    }
    let oldest: Option<i64> = on!(store, ex => sqlx::query_scalar(
        "SELECT MIN(created_at) FROM deliveries WHERE status = 'pending'",
    )
    .fetch_one(ex)
    .await)?;
    let auto_disabled: i64 = on!(store, ex => sqlx::query_scalar(
        "SELECT COUNT(*) FROM webhooks WHERE disabled_reason IS NOT NULL",
    )
    .fetch_one(ex)
    .await)?;
    Ok(QueueFigures {
        by_state,
        oldest_queued_age: oldest.map(|at| (now - at).max(0) as f64 / 1000.0),
        auto_disabled_webhooks: auto_disabled,
    })
}

/// Past this many attempts that met a criterion, a search looks them up from each delivery.
const MANY_ATTEMPTS: i64 = 5_000;

/// Whether at least `MANY_ATTEMPTS` attempts have `value` in `column` (counted on its index,
/// stopping there).
async fn attempts_met_are_many(
    store: &Store,
    column: &'static str,
    value: &Bound,
) -> sqlx::Result<bool> {
    let sql = format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM delivery_attempts WHERE {column} = $1 LIMIT $2) AS met"
    );
    let n: i64 = on!(store, ex => {
        let q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql));
        let q = match value {
            Bound::Int(v) => q.bind(*v),
            Bound::Text(v) => q.bind(v.clone()),
        };
        q.bind(MANY_ATTEMPTS).fetch_one(ex).await
    })?;
    Ok(n >= MANY_ATTEMPTS)
}

/// A value bound to a search's query, in the order of its placeholders.
enum Bound {
    Int(i64),
    Text(String),
}

/// Deliveries matching `search`, newest first, at most `search.limit + 1` of them (the one
/// past the page says there is a next). Only the conditions asked for are in the query, so
/// that each can use its index.
pub async fn search(store: &Store, search: &DeliverySearch) -> sqlx::Result<Vec<DeliveryRow>> {
    let mut sql = format!("{DELIVERY_SELECT} WHERE TRUE");
    let mut binds: Vec<Bound> = Vec::new();
    let mut push = |sql: &mut String, condition: &str, value: Bound| {
        binds.push(value);
        sql.push_str(&condition.replace('?', &format!("${}", binds.len())));
    };
    if let Some(w) = search.webhook {
        push(&mut sql, " AND d.webhook_id = ?", Bound::Int(w.get()));
    }
    match search.state {
        None => {}
        Some(DeliveryState::Queued) => sql.push_str(" AND d.status = 'pending' AND d.attempts = 0"),
        Some(DeliveryState::Waiting) => {
            sql.push_str(" AND d.status = 'pending' AND d.attempts > 0")
        }
        Some(s) => push(
            &mut sql,
            " AND d.status = ?",
            Bound::Text(s.code().to_owned()),
        ),
    }
    if let Some(from) = search.from {
        push(&mut sql, " AND d.created_at >= ?", Bound::Int(from));
    }
    if let Some(to) = search.to {
        push(&mut sql, " AND d.created_at < ?", Bound::Int(to));
    }
    for met in &search.met {
        let (column, value) = match met {
            Met::Status(s) => ("response_status", Bound::Int(i64::from(*s))),
            Met::Failure(kind) => ("error_kind", Bound::Text(kind.code().to_owned())),
        };
        // Attempts that met it are looked up from the delivery when they are many (a page
        // fills quickly), and the deliveries from them when they are few (no long scan).
        let condition = if attempts_met_are_many(store, column, &value).await? {
            format!(
                " AND EXISTS (SELECT 1 FROM delivery_attempts a WHERE a.delivery_id = d.id AND a.{column} = ?)"
            )
        } else {
            format!(
                " AND d.id IN (SELECT a.delivery_id FROM delivery_attempts a WHERE a.{column} = ?)"
            )
        };
        push(&mut sql, &condition, value);
    }
    if let Some(m) = &search.message_id {
        push(&mut sql, " AND d.message_id = ?", Bound::Text(m.clone()));
    }
    if let Some(e) = &search.event_id {
        push(
            &mut sql,
            " AND d.event_id = (SELECT x.id FROM events x WHERE x.event_id = ?)",
            Bound::Text(e.clone()),
        );
    }
    if let Some(k) = &search.object_key {
        push(&mut sql, " AND d.object_key = ?", Bound::Text(k.clone()));
    }
    let by_time = search.by_time();
    if let Some(before) = search.before {
        if by_time {
            push(
                &mut sql,
                " AND (d.created_at < ?",
                Bound::Int(before.created_at),
            );
            push(
                &mut sql,
                " OR (d.created_at = ?",
                Bound::Int(before.created_at),
            );
            push(&mut sql, " AND d.id < ?))", Bound::Int(before.id.get()));
        } else {
            push(&mut sql, " AND d.id < ?", Bound::Int(before.id.get()));
        }
    }
    // A time range reads its index from the end of the range; otherwise the newest ids.
    sql.push_str(if by_time {
        " ORDER BY d.created_at DESC, d.id DESC"
    } else {
        " ORDER BY d.id DESC"
    });
    push(
        &mut sql,
        " LIMIT ?",
        Bound::Int(i64::from(search.limit) + 1),
    );
    on!(store, ex => {
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
        for b in &binds {
            q = match b {
                Bound::Int(v) => q.bind(*v),
                Bound::Text(v) => q.bind(v.clone()),
            };
        }
        q.fetch_all(ex).await
    })
}

/// Makes the given deliveries due now — those queued, waiting for a retry or dead; the
/// others (in flight, delivered, cancelled) are left as they are. Gives how many.
pub async fn due_now(store: &Store, ids: &[DeliveryId], now: i64) -> sqlx::Result<u64> {
    update_listed(
        store,
        "SET status = 'pending', next_attempt_at = $2, completed_at = NULL, locked_until = NULL
         WHERE mode = 'async' AND status IN ('pending', 'dead')",
        ids,
        now,
    )
    .await
}

/// Cancels the given deliveries that have not gone out or gave up. Gives how many.
pub async fn cancel_all(store: &Store, ids: &[DeliveryId], now: i64) -> sqlx::Result<u64> {
    update_listed(
        store,
        "SET status = 'cancelled', completed_at = $2, locked_until = NULL
         WHERE status IN ('pending', 'dead')",
        ids,
        now,
    )
    .await
}

/// `UPDATE deliveries {change}` for the deliveries listed (`$1`) that its `WHERE` keeps,
/// with `$2` the time; gives how many changed.
async fn update_listed(
    store: &Store,
    change: &'static str,
    ids: &[DeliveryId],
    now: i64,
) -> sqlx::Result<u64> {
    let ids = serde_json::to_string(ids).expect("ids serialise");
    on!(store, ex => sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE deliveries {change} AND id IN ({})",
        ex.pick(IDS_SQLITE, IDS_POSTGRES)
    )))
    .bind(ids)
    .bind(now)
    .execute(ex)
    .await
    .map(|r| r.rows_affected()))
}

/// The ids of a JSON array bound as `$1`.
const IDS_SQLITE: &str = "SELECT value FROM json_each($1)";
const IDS_POSTGRES: &str = "SELECT value::bigint FROM json_array_elements_text($1::json)";

/// Sends again every failed delivery of a webhook created since `since` — waiting for a
/// retry, dead or cancelled — at once: due now, each with its message id. The workers take
/// them in order per object, as ever. Gives how many.
pub async fn recover(tx: &mut Tx, webhook: WebhookId, since: i64, now: i64) -> sqlx::Result<u64> {
    execute!(&mut *tx, sqlx::query(
        "UPDATE deliveries SET status = 'pending', next_attempt_at = $3, completed_at = NULL, locked_until = NULL
         WHERE webhook_id = $1 AND created_at >= $2 AND mode = 'async'
           AND (status IN ('dead', 'cancelled') OR (status = 'pending' AND attempts > 0))",
    )
    .bind(webhook)
    .bind(since)
    .bind(now))
}

/// A webhook whose calls have all failed for a while.
#[derive(Debug, Clone, FromRow)]
pub struct Failing {
    pub id: WebhookId,
    pub wording: String,
    pub failures: i64,
    pub failing_since: i64,
}

/// Of `webhooks`, the active ones whose calls have all failed since `before` or earlier,
/// at least `min_failures` times in a row.
pub async fn failing_too_long(
    tx: &mut Tx,
    webhooks: &[WebhookId],
    before: i64,
    min_failures: i64,
) -> sqlx::Result<Vec<Failing>> {
    if webhooks.is_empty() {
        return Ok(Vec::new());
    }
    let ids = serde_json::to_string(webhooks).expect("ids serialise");
    on!(tx, ex => sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT id, wording, failure_count AS failures, failing_since FROM webhooks
         WHERE id IN ({}) AND active AND failure_count >= $2 AND failing_since <= $3
         ORDER BY id",
        ex.pick(IDS_SQLITE, IDS_POSTGRES)
    )))
    .bind(ids)
    .bind(min_failures)
    .bind(before)
    .fetch_all(ex)
    .await)
}
