//! Attempts: each request sent and what came back, recorded with its delivery's outcome.

use sqlx::FromRow;

use super::writer::SharedConnection;
use super::{Store, Tx, on};
use crate::domain::Coded;
use crate::domain::delivery::{ErrorKind, Trigger};
use crate::domain::ids::{AttemptId, DeliveryId, WebhookId};

pub struct NewAttempt<'a> {
    pub delivery_id: Option<DeliveryId>,
    pub webhook_id: WebhookId,
    pub attempt_no: i64,
    pub trigger: Trigger,
    pub started_at: i64,
    pub duration_ms: i64,
    pub method: &'a str,
    pub url: &'a str,
    pub request_headers: String,
    pub request_body: &'a str,
    pub status: Option<i64>,
    pub response_headers: Option<String>,
    pub response_body: Option<&'a str>,
    pub error_kind: Option<ErrorKind>,
    pub error_message: Option<&'a str>,
    pub error_detail: Option<&'a str>,
}

pub async fn insert_attempt(tx: &mut Tx, a: &NewAttempt<'_>) -> sqlx::Result<AttemptId> {
    on!(&mut *tx, ex => sqlx::query_scalar(
        "INSERT INTO delivery_attempts (delivery_id, webhook_id, attempt_no, trigger, started_at, duration_ms, request_method,
             request_url, request_headers, request_body, response_status, response_headers, response_body, error_kind, error_message,
             error_detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id",
    )
    .bind(a.delivery_id)
    .bind(a.webhook_id)
    .bind(a.attempt_no)
    .bind(a.trigger)
    .bind(a.started_at)
    .bind(a.duration_ms)
    .bind(a.method)
    .bind(a.url)
    .bind(&a.request_headers)
    .bind(a.request_body)
    .bind(a.status)
    .bind(&a.response_headers)
    .bind(a.response_body)
    .bind(a.error_kind)
    .bind(a.error_message)
    .bind(a.error_detail)
    .fetch_one(ex)
    .await)
}

/// Attempts rows per INSERT: 16 parameters a row; SQLite allows 32,766 a statement.
const ATTEMPTS_PER_INSERT: usize = 1000;

/// The largest batch whose statement stays prepared for the next batch of its size. Each
/// size is a statement of its own, growing with it (some 1 KB a row): kept for every size
/// up to 512, they took 8 MB.
const CACHED_ATTEMPTS: usize = 8;

const INSERT_ATTEMPTS: &str = "INSERT INTO delivery_attempts (delivery_id, webhook_id, attempt_no, trigger, started_at,
    duration_ms, request_method, request_url, request_headers, request_body, response_status, response_headers,
    response_body, error_kind, error_message, error_detail) ";

/// Pushes attempt `$a`'s values onto a row of a query builder of either backend.
macro_rules! push_attempt {
    ($row:expr, $a:expr) => {{
        let a: &NewAttempt<'_> = $a;
        $row.push_bind(a.delivery_id)
            .push_bind(a.webhook_id)
            .push_bind(a.attempt_no)
            .push_bind(a.trigger)
            .push_bind(a.started_at)
            .push_bind(a.duration_ms)
            .push_bind(a.method)
            .push_bind(a.url)
            .push_bind(a.request_headers.as_str())
            .push_bind(a.request_body)
            .push_bind(a.status)
            .push_bind(a.response_headers.as_deref())
            .push_bind(a.response_body)
            .push_bind(a.error_kind)
            .push_bind(a.error_message)
            .push_bind(a.error_detail);
    }};
}

/// What a batch of calls did to a webhook: its latest call (Last execution, Last status)
/// and how its run of failed calls moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub webhook: WebhookId,
    pub at: i64,
    pub status: i64,
    /// A call succeeded: the run starts again from the failures after it.
    pub reset: bool,
    /// Failed calls (after the last success, when there was one).
    pub failures: i64,
    /// When the first of those was made.
    pub failing_since: Option<i64>,
}

impl Outcome {
    /// Tallies calls (webhook, started at, status or 0, answered 2xx) per webhook.
    pub fn tally(calls: impl IntoIterator<Item = (WebhookId, i64, i64, bool)>) -> Vec<Outcome> {
        let mut calls: Vec<_> = calls.into_iter().collect();
        calls.sort_by_key(|(webhook, at, ..)| (*webhook, *at));
        let mut out: Vec<Outcome> = Vec::new();
        for (webhook, at, status, ok) in calls {
            let o = match out.last_mut() {
                Some(o) if o.webhook == webhook => o,
                _ => {
                    out.push(Outcome {
                        webhook,
                        at,
                        status,
                        reset: false,
                        failures: 0,
                        failing_since: None,
                    });
                    out.last_mut().expect("just pushed")
                }
            };
            (o.at, o.status) = (at, status);
            if ok {
                (o.reset, o.failures, o.failing_since) = (true, 0, None);
            } else {
                o.failures += 1;
                o.failing_since.get_or_insert(at);
            }
        }
        out
    }

    /// As the statements read it: [webhook, at, status, reset, failures, failing since].
    fn row(&self) -> (WebhookId, i64, i64, bool, i64, Option<i64>) {
        (
            self.webhook,
            self.at,
            self.status,
            self.reset,
            self.failures,
            self.failing_since,
        )
    }
}

fn outcome_rows(latest: &[Outcome]) -> String {
    let rows: Vec<_> = latest.iter().map(Outcome::row).collect();
    serde_json::to_string(&rows).expect("outcomes serialise")
}

/// Records attempts, marks the delivered ones so, and sets each webhook's latest outcome
/// and run of failures.
pub async fn record_outcomes(
    tx: &mut Tx,
    attempts: &[NewAttempt<'_>],
    delivered: &[DeliveryId],
    latest: &[Outcome],
    now: i64,
) -> sqlx::Result<()> {
    match tx {
        Tx::Sqlite(tx) => record_outcomes_sqlite(tx, attempts, delivered, latest, now).await,
        Tx::Postgres { tx, .. } => {
            record_outcomes_postgres(&mut **tx, attempts, delivered, latest, now).await
        }
    }
}

/// On SQLite, in one round trip for up to a thousand attempts: the statements go together
/// and their parameters are numbered across them.
async fn record_outcomes_sqlite(
    conn: &mut SharedConnection,
    attempts: &[NewAttempt<'_>],
    delivered: &[DeliveryId],
    latest: &[Outcome],
    now: i64,
) -> sqlx::Result<()> {
    let persistent = attempts.len() <= CACHED_ATTEMPTS;
    let mut chunks = attempts.chunks(ATTEMPTS_PER_INSERT).peekable();
    let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new("");
    while let Some(chunk) = chunks.next() {
        q.push(INSERT_ATTEMPTS);
        q.push_values(chunk, |mut row, a| push_attempt!(row, a));
        if chunks.peek().is_some() {
            q.build().persistent(false).execute(&mut *conn).await?;
            q.reset();
        }
    }
    // Statements after the first are separated; the first starts the query.
    let mut started = !attempts.is_empty();
    let mut next = |q: &mut sqlx::QueryBuilder<sqlx::Sqlite>| {
        if std::mem::replace(&mut started, true) {
            q.push("; ");
        }
    };
    if !delivered.is_empty() {
        next(&mut q);
        q.push(
            "UPDATE deliveries SET status = 'delivered', last_error = NULL, locked_until = NULL, next_attempt_at = ",
        );
        q.push_bind(now);
        q.push(", completed_at = ");
        q.push_bind(now);
        q.push(" WHERE id IN (SELECT value FROM json_each(");
        q.push_bind(serde_json::to_string(delivered).expect("ids serialise"));
        q.push("))");
    }
    if !latest.is_empty() {
        next(&mut q);
        q.push(
            "UPDATE webhooks SET last_execution_at = o.value ->> 1, last_status = o.value ->> 2,
                 failure_count = CASE WHEN o.value ->> 3 THEN 0 ELSE failure_count END + (o.value ->> 4),
                 failing_since = CASE WHEN o.value ->> 3 THEN o.value ->> 5 ELSE COALESCE(failing_since, o.value ->> 5) END
             FROM json_each(",
        );
        q.push_bind(outcome_rows(latest));
        q.push(") AS o WHERE webhooks.id = o.value ->> 0");
    }
    if attempts.is_empty() && delivered.is_empty() && latest.is_empty() {
        return Ok(());
    }
    q.build().persistent(persistent).execute(&mut *conn).await?;
    Ok(())
}

/// On PostgreSQL, one statement whatever the batch's size: the attempts go as one array a
/// column (one statement text), with the delivered deliveries' update and the webhooks'
/// outcomes.
///
/// The arrays reach the rest of the statement through `input`, which PostgreSQL cannot
/// see into when it plans: a plan made for the arrays' actual lengths (1 to 3 items, where
/// the statement's own plan assumes 10) always looked cheaper, so the statement was planned
/// anew on nearly every call (3,654 plans in 4,188 calls of a benchmark run, 0.18 ms each)
/// instead of keeping its plan, which reads the same rows by the same keys.
///
/// Locks are taken in the order every writer of outcomes keeps, so that two instances'
/// workers cannot deadlock: the deliveries' rows, then the outcomes counter (which the
/// webhooks' trigger moves), then the webhooks' rows. Parts of one statement run in no set
/// order, so the order is made by what each part reads: the counter's lock waits for the
/// settled deliveries, and a webhook row reaches the update only joined to the counter's.
const RECORD_POSTGRES: &str = "WITH input AS MATERIALIZED (
        SELECT $1::bigint[] AS delivery_id, $2::bigint[] AS webhook_id, $3::bigint[] AS attempt_no,
            $4::text[] AS trigger, $5::bigint[] AS started_at, $6::bigint[] AS duration_ms,
            $7::text[] AS request_method, $8::text[] AS request_url, $9::text[] AS request_headers,
            $10::text[] AS request_body, $11::bigint[] AS response_status,
            $12::text[] AS response_headers, $13::text[] AS response_body, $14::text[] AS error_kind,
            $15::text[] AS error_message, $16::text[] AS error_detail, $18::bigint[] AS settled),
    recorded AS (
        INSERT INTO delivery_attempts (delivery_id, webhook_id, attempt_no, trigger, started_at,
            duration_ms, request_method, request_url, request_headers, request_body, response_status,
            response_headers, response_body, error_kind, error_message, error_detail)
        SELECT a.* FROM input, UNNEST(input.delivery_id, input.webhook_id, input.attempt_no,
            input.trigger, input.started_at, input.duration_ms, input.request_method,
            input.request_url, input.request_headers, input.request_body, input.response_status,
            input.response_headers, input.response_body, input.error_kind, input.error_message,
            input.error_detail) AS a),
    settled AS (
        UPDATE deliveries SET status = 'delivered', last_error = NULL, locked_until = NULL,
            next_attempt_at = $17, completed_at = $17
        FROM input WHERE deliveries.id = ANY(input.settled) RETURNING deliveries.id),
    turn AS (
        SELECT value FROM change_counters
        WHERE name = 'webhook_status' AND (SELECT count(*) FROM settled) >= 0 FOR UPDATE)
    UPDATE webhooks SET last_execution_at = (o.value ->> 1)::bigint,
        last_status = (o.value ->> 2)::bigint,
        failure_count = CASE WHEN (o.value ->> 3)::boolean THEN 0 ELSE failure_count END
            + (o.value ->> 4)::bigint,
        failing_since = CASE WHEN (o.value ->> 3)::boolean THEN (o.value ->> 5)::bigint
            ELSE COALESCE(failing_since, (o.value ->> 5)::bigint) END
    FROM turn, json_array_elements($19::json) AS o WHERE webhooks.id = (o.value ->> 0)::bigint";

async fn record_outcomes_postgres<'c>(
    conn: impl sqlx::PgExecutor<'c>,
    attempts: &[NewAttempt<'_>],
    delivered: &[DeliveryId],
    latest: &[Outcome],
    now: i64,
) -> sqlx::Result<()> {
    if attempts.is_empty() && delivered.is_empty() && latest.is_empty() {
        return Ok(());
    }
    let c = AttemptColumns::of(attempts);
    let delivered: Vec<i64> = delivered.iter().map(|d| d.get()).collect();
    sqlx::query(RECORD_POSTGRES)
        .bind(c.delivery_id)
        .bind(c.webhook_id)
        .bind(c.attempt_no)
        .bind(c.trigger)
        .bind(c.started_at)
        .bind(c.duration_ms)
        .bind(c.method)
        .bind(c.url)
        .bind(c.request_headers)
        .bind(c.request_body)
        .bind(c.status)
        .bind(c.response_headers)
        .bind(c.response_body)
        .bind(c.error_kind)
        .bind(c.error_message)
        .bind(c.error_detail)
        .bind(now)
        .bind(delivered)
        .bind(outcome_rows(latest))
        .execute(conn)
        .await?;
    Ok(())
}

/// Past this many attempts, a batch's message is worth giving back to the allocator.
const SHRINK_AFTER: usize = 16;

/// Records a batch of calls that were all delivered, durably, and returns once it is on
/// disk. On PostgreSQL its one statement commits by itself, sparing a transaction's two
/// round trips; on SQLite it is a write transaction of the writer's.
pub async fn record_delivered(
    store: &Store,
    attempts: &[NewAttempt<'_>],
    delivered: &[DeliveryId],
    latest: &[Outcome],
    now: i64,
) -> sqlx::Result<()> {
    let Some(pool) = store.postgres() else {
        let mut tx = store.begin_write().await?;
        record_outcomes(&mut tx, attempts, delivered, latest, now).await?;
        return tx.commit().await;
    };
    let started = std::time::Instant::now();
    let mut conn = pool.acquire().await?;
    record_outcomes_postgres(&mut *conn, attempts, delivered, latest, now).await?;
    super::store::commit_timer().observe(started.elapsed().as_secs_f64());
    if attempts.len() > SHRINK_AFTER {
        // A connection keeps the largest message it ever sent: give a batch's back.
        sqlx::Connection::shrink_buffers(&mut *conn);
    }
    Ok(())
}

/// Attempts as PostgreSQL's UNNEST takes them: a column at a time.
#[derive(Default)]
struct AttemptColumns<'a> {
    delivery_id: Vec<Option<i64>>,
    webhook_id: Vec<i64>,
    attempt_no: Vec<i64>,
    trigger: Vec<&'static str>,
    started_at: Vec<i64>,
    duration_ms: Vec<i64>,
    method: Vec<&'a str>,
    url: Vec<&'a str>,
    request_headers: Vec<&'a str>,
    request_body: Vec<&'a str>,
    status: Vec<Option<i64>>,
    response_headers: Vec<Option<&'a str>>,
    response_body: Vec<Option<&'a str>>,
    error_kind: Vec<Option<&'static str>>,
    error_message: Vec<Option<&'a str>>,
    error_detail: Vec<Option<&'a str>>,
}

impl<'a> AttemptColumns<'a> {
    fn of(attempts: &'a [NewAttempt<'a>]) -> Self {
        let mut c = AttemptColumns::default();
        for a in attempts {
            c.delivery_id.push(a.delivery_id.map(DeliveryId::get));
            c.webhook_id.push(a.webhook_id.get());
            c.attempt_no.push(a.attempt_no);
            c.trigger.push(a.trigger.code());
            c.started_at.push(a.started_at);
            c.duration_ms.push(a.duration_ms);
            c.method.push(a.method);
            c.url.push(a.url);
            c.request_headers.push(&a.request_headers);
            c.request_body.push(a.request_body);
            c.status.push(a.status);
            c.response_headers.push(a.response_headers.as_deref());
            c.response_body.push(a.response_body);
            c.error_kind.push(a.error_kind.map(ErrorKind::code));
            c.error_message.push(a.error_message);
            c.error_detail.push(a.error_detail);
        }
        c
    }
}

#[derive(Debug, Clone, FromRow)]
pub struct AttemptRow {
    pub id: AttemptId,
    pub attempt_no: i64,
    pub trigger: Trigger,
    pub started_at: i64,
    pub duration_ms: i64,
    pub request_method: String,
    pub request_url: String,
    pub request_headers: String,
    pub request_body: String,
    pub response_status: Option<i64>,
    pub response_headers: Option<String>,
    pub response_body: Option<String>,
    pub error_kind: Option<ErrorKind>,
    pub error_message: Option<String>,
    /// The HTTP client's own account of the error.
    pub error_detail: Option<String>,
}

const ATTEMPT_SELECT: &str = "SELECT id, attempt_no, trigger, started_at, duration_ms, request_method, request_url,
        request_headers, request_body, response_status, response_headers, response_body, error_kind, error_message,
        error_detail
    FROM delivery_attempts";

pub async fn attempts(store: &Store, delivery_id: DeliveryId) -> sqlx::Result<Vec<AttemptRow>> {
    on!(store, ex => sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{ATTEMPT_SELECT} WHERE delivery_id = $1 ORDER BY id DESC"
    )))
    .bind(delivery_id)
    .fetch_all(ex)
    .await)
}

/// One attempt, with the webhook it called.
pub async fn attempt(
    store: &Store,
    id: AttemptId,
) -> sqlx::Result<Option<(WebhookId, AttemptRow)>> {
    let webhook: Option<WebhookId> = on!(store, ex => sqlx::query_scalar("SELECT webhook_id FROM delivery_attempts WHERE id = $1")
            .bind(id)
            .fetch_optional(ex)
            .await)?;
    let Some(webhook) = webhook else {
        return Ok(None);
    };
    let row = on!(store, ex => sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{ATTEMPT_SELECT} WHERE id = $1"
    )))
    .bind(id)
    .fetch_one(ex)
    .await)?;
    Ok(Some((webhook, row)))
}
