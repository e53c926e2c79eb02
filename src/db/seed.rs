//! Delivery history made up for benchmarks: events, their deliveries and attempts, written
//! by a few set-based statements per batch (a counting CTE both backends run).

use crate::db::{execute, on};

use super::Tx;
use crate::domain::ids::WebhookId;

/// Rows 1..=`count`, as `n(i)`.
const COUNT: &str = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)";

/// Writes `count` changes of projects 1..=1000 (which need not exist), one delivery each to
/// one of `webhooks` in turn, and two attempts per delivery: a 500, then — for nine in ten —
/// a 200 (the others wait for a retry, or died). Their times are spread evenly over the
/// week before `now`. `tag` keeps ids unique across batches.
pub async fn history(
    tx: &mut Tx,
    tag: i64,
    count: i64,
    webhooks: &[WebhookId],
    now: i64,
) -> sqlx::Result<u64> {
    let first: i64 = on!(&mut *tx, ex => sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM events")
        .fetch_one(ex)
        .await)?;
    let first_delivery: i64 = on!(&mut *tx, ex => sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM deliveries")
        .fetch_one(ex)
        .await)?;
    let week = 7 * 86_400_000_i64;
    execute!(&mut *tx, sqlx::query(sqlx::AssertSqlSafe(format!(
        "{COUNT} INSERT INTO events (event_id, event_type, object_type, object_id, project_id, changes,
             initiator_name, initiator_email, occurred_at, change_version)
         SELECT 'evt_seed_' || $2 || '_' || i, 'project.modified', 'project', 1 + i % 1000, 1 + i % 1000,
             '[]', 'Seed', 'seed@example.invalid', $3 - $4 + (i * $4) / $1, 1 + i / 1000
         FROM n"
    )))
    .bind(count)
    .bind(tag)
    .bind(now)
    .bind(week))?;
    let ids = serde_json::to_string(webhooks).expect("ids serialise");
    let k = webhooks.len() as i64;
    on!(&mut *tx, ex => sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO deliveries (event_id, webhook_id, message_id, mode, status, attempts,
             next_attempt_at, created_at, object_key, last_error, completed_at)
         SELECT e.id, {webhook}, 'msg_seed_' || $2 || '_' || (e.id - $1), 'async',
             CASE WHEN e.id % 10 = 0 THEN 'dead' WHEN e.id % 10 = 5 THEN 'pending' ELSE 'delivered' END,
             -- Those waiting are due long after the week, so no worker sends them.
             2, e.occurred_at + 3456000000, e.occurred_at, 'project:' || e.object_id,
             CASE WHEN e.id % 10 IN (0, 5) THEN 'The receiver answered 500' END,
             CASE WHEN e.id % 10 = 5 THEN NULL ELSE e.occurred_at + 5000 END
         FROM events e WHERE e.id > $1 ORDER BY e.id",
        webhook = ex.pick(
            // By tens, so that every webhook has deliveries in every state.
            "(SELECT value FROM json_each($3) WHERE key = (e.id / 10) % $4)",
            "(($3::json) ->> ((e.id / 10) % $4)::int)::bigint",
        ),
    )))
    .bind(first)
    .bind(tag)
    .bind(&ids)
    .bind(k)
    .execute(ex)
    .await
    .map(|r| r.rows_affected()))?;
    let mut written = 0;
    for (no, answer) in [
        (1, "500"),
        (2, "CASE WHEN d.status = 'delivered' THEN 200 ELSE 500 END"),
    ] {
        written += execute!(&mut *tx, sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO delivery_attempts (delivery_id, webhook_id, attempt_no, trigger, started_at,
                 duration_ms, request_method, request_url, request_headers, request_body,
                 response_status, response_headers, response_body, error_kind, error_message)
             SELECT d.id, d.webhook_id, {no}, 'scheduled', d.created_at + {offset}, 5 + d.id % 200, 'POST',
                 'https://receiver.example.invalid/hooks', '[]', '{{}}', {answer}, '[]', '',
                 CASE WHEN {answer} = 200 THEN NULL ELSE 'http' END,
                 CASE WHEN {answer} = 200 THEN NULL ELSE 'The receiver answered 500' END
             FROM deliveries d WHERE d.id > $1 ORDER BY d.id",
            offset = if no == 1 { 0 } else { 5000 },
        )))
        .bind(first_delivery))?;
    }
    Ok(written)
}
