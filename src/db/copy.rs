//! Copying a whole Hookline from one database to another — SQLite to PostgreSQL when moving
//! up to several instances, or back — row for row, ids kept: users, roles and rights,
//! filters, webhooks with their sealed secrets, the history with its hash chain, events,
//! deliveries, attempts, tokens, sessions. Into an empty database only.

use anyhow::{Context, bail, ensure};
use chrono::NaiveDate;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{Column, Row, TypeInfo, ValueRef};

use super::{Backend, Store, execute, on};

/// Every table, parents before the tables that refer to them.
pub const TABLES: &[&str] = &[
    "settings",
    "users",
    "roles",
    "role_rights",
    "user_roles",
    "auth_sessions",
    "sign_in_throttle",
    "projects",
    "phases",
    "project_filters",
    "webhooks",
    "webhook_headers",
    "webhook_history",
    "webhook_list_filters",
    "webhook_list_active_filter",
    "events",
    "deliveries",
    "delivery_attempts",
    "app_log",
    "api_tokens",
    "inboxes",
    "inbox_requests",
    // Last: the triggers of the tables above move the counters while they are copied.
    "change_counters",
];

/// Tables a Hookline fills once used: the target must have none of their rows.
const IN_USE: &[&str] = &["users", "webhooks", "projects", "events", "api_tokens"];

/// The migrations' own rows, replaced by the source's.
const SEEDED: &[&str] = &["change_counters", "role_rights", "roles", "settings"];

/// Rows read and written at a time.
const BATCH: i64 = 500;

/// A column's kind, as its backend stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Text,
    Bool,
    Bytes,
    Date,
}

/// One value on its way between backends.
#[derive(Debug, Clone)]
enum Value {
    Null,
    Int(i64),
    Text(String),
    Bool(bool),
    Bytes(Vec<u8>),
    Date(NaiveDate),
}

/// Rows copied per table, in copy order.
pub type Copied = Vec<(&'static str, u64)>;

/// Copies everything in `from` into `to`, which must hold no Hookline yet (an empty
/// database, or one only migrated). One transaction on the target: a failure leaves it as
/// it was.
pub async fn copy(from: &Store, to: &Store) -> anyhow::Result<Copied> {
    for table in IN_USE {
        let n = count(to, table).await?;
        ensure!(
            n == 0,
            "the target database is not empty ({n} rows in {table}): copy into an empty database"
        );
    }
    let mut tx = to.begin_write().await?;
    for table in SEEDED {
        execute!(
            &mut tx,
            sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}")))
        )?;
    }
    let mut copied = Vec::new();
    let mut identities = Vec::new();
    for &table in TABLES {
        let columns = columns(from, table).await?;
        let kinds = target_kinds(&mut tx, table, &columns).await?;
        let keyed = columns.iter().any(|c| c == "id");
        if keyed {
            identities.push(table);
        }
        let list = columns.join(", ");
        let mut after = i64::MIN;
        let mut n = 0u64;
        loop {
            // Keyed tables go by id, in batches; the others are small and go whole.
            let sql = if keyed {
                format!("SELECT {list} FROM {table} WHERE id > $1 ORDER BY id LIMIT {BATCH}")
            } else {
                format!("SELECT {list} FROM {table} WHERE $1 = $1")
            };
            let rows = on!(from, ex => {
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(after).fetch_all(ex).await?;
                rows.iter().map(ReadRow::values).collect::<anyhow::Result<Vec<_>>>()?
            });
            if rows.is_empty() {
                break;
            }
            let rows = rows
                .into_iter()
                .map(|row| convert(row, &kinds, table, &columns))
                .collect::<anyhow::Result<Vec<_>>>()?;
            if keyed {
                let at = columns
                    .iter()
                    .position(|c| c == "id")
                    .expect("an id column");
                match rows.last().map(|r| &r[at]) {
                    Some(Value::Int(id)) => after = *id,
                    _ => bail!("{table}: a row without an id"),
                }
            }
            n += rows.len() as u64;
            let full = rows.len() as i64 == BATCH;
            insert(&mut tx, table, &list, &rows).await?;
            if !keyed || !full {
                break;
            }
        }
        copied.push((table, n));
    }
    // PostgreSQL's identities go on after the ids copied (SQLite's do by themselves).
    if tx.backend() == Backend::Postgres {
        for table in identities {
            execute!(
                &mut tx,
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM {table}"
                )))
            )?;
        }
    }
    tx.commit().await?;
    for &(table, n) in &copied {
        let there = count(to, table).await?;
        ensure!(there == n as i64, "{table}: {n} rows copied, {there} found");
    }
    super::gather_statistics(to).await?;
    Ok(copied)
}

async fn count(store: &Store, table: &str) -> sqlx::Result<i64> {
    on!(store, ex => sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(ex)
        .await)
}

/// A table's columns, in order.
async fn columns(store: &Store, table: &str) -> sqlx::Result<Vec<String>> {
    on!(store, ex => sqlx::query_scalar(ex.pick(
        "SELECT name FROM pragma_table_info($1) ORDER BY cid",
        "SELECT column_name::text FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
    ))
    .bind(table)
    .fetch_all(ex)
    .await)
}

/// How the target stores each of `columns`.
async fn target_kinds(
    tx: &mut super::Tx,
    table: &str,
    columns: &[String],
) -> anyhow::Result<Vec<Kind>> {
    let types: Vec<(String, String)> = on!(&mut *tx, ex => sqlx::query_as(ex.pick(
        "SELECT name, type FROM pragma_table_info($1)",
        "SELECT column_name::text, data_type::text FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = $1",
    ))
    .bind(table)
    .fetch_all(ex)
    .await)?;
    columns
        .iter()
        .map(|c| {
            let (_, ty) = types
                .iter()
                .find(|(name, _)| name == c)
                .with_context(|| format!("the target has no column {table}.{c}"))?;
            Ok(match ty.to_ascii_lowercase().as_str() {
                "integer" | "bigint" => Kind::Int,
                "text" => Kind::Text,
                "boolean" => Kind::Bool,
                "blob" | "bytea" => Kind::Bytes,
                "date" => Kind::Date,
                other => bail!("{table}.{c}: a column of type {other} cannot be copied"),
            })
        })
        .collect()
}

/// A source row's values, read by the type each one has.
trait ReadRow {
    fn values(&self) -> anyhow::Result<Vec<Value>>;
}

impl ReadRow for SqliteRow {
    fn values(&self) -> anyhow::Result<Vec<Value>> {
        (0..self.columns().len())
            .map(|i| {
                let raw = self.try_get_raw(i)?;
                if raw.is_null() {
                    return Ok(Value::Null);
                }
                let ty = raw.type_info().name().to_owned();
                Ok(match ty.as_str() {
                    "INTEGER" => Value::Int(self.try_get(i)?),
                    "TEXT" => Value::Text(self.try_get(i)?),
                    "BLOB" => Value::Bytes(self.try_get(i)?),
                    other => bail!("a SQLite value of type {other} cannot be copied"),
                })
            })
            .collect()
    }
}

impl ReadRow for PgRow {
    fn values(&self) -> anyhow::Result<Vec<Value>> {
        (0..self.columns().len())
            .map(|i| {
                if self.try_get_raw(i)?.is_null() {
                    return Ok(Value::Null);
                }
                let ty = self.columns()[i].type_info().name().to_owned();
                Ok(match ty.as_str() {
                    "INT8" | "INT4" => Value::Int(self.try_get(i)?),
                    "TEXT" | "VARCHAR" => Value::Text(self.try_get(i)?),
                    "BOOL" => Value::Bool(self.try_get(i)?),
                    "BYTEA" => Value::Bytes(self.try_get(i)?),
                    "DATE" => Value::Date(self.try_get(i)?),
                    other => bail!("a PostgreSQL value of type {other} cannot be copied"),
                })
            })
            .collect()
    }
}

/// A row's values as the target stores them.
fn convert(
    row: Vec<Value>,
    kinds: &[Kind],
    table: &str,
    columns: &[String],
) -> anyhow::Result<Vec<Value>> {
    row.into_iter()
        .zip(kinds)
        .zip(columns)
        .map(|((value, &kind), column)| {
            Ok(match (value, kind) {
                (Value::Null, _) => Value::Null,
                (Value::Int(n), Kind::Bool) => Value::Bool(n != 0),
                (Value::Bool(b), Kind::Int) => Value::Int(b.into()),
                (Value::Text(t), Kind::Date) => Value::Date(
                    NaiveDate::parse_from_str(&t, "%Y-%m-%d")
                        .with_context(|| format!("{table}.{column}: {t:?} is not a date"))?,
                ),
                (Value::Date(d), Kind::Text) => Value::Text(d.format("%Y-%m-%d").to_string()),
                (Value::Text(t), Kind::Bytes) => Value::Bytes(t.into_bytes()),
                (Value::Bytes(b), Kind::Text) => Value::Text(
                    String::from_utf8(b)
                        .with_context(|| format!("{table}.{column}: bytes that are not text"))?,
                ),
                (v @ Value::Int(_), Kind::Int)
                | (v @ Value::Text(_), Kind::Text)
                | (v @ Value::Bool(_), Kind::Bool)
                | (v @ Value::Bytes(_), Kind::Bytes)
                | (v @ Value::Date(_), Kind::Date) => v,
                (v, k) => bail!("{table}.{column}: {v:?} cannot be stored as {k:?}"),
            })
        })
        .collect()
}

/// Writes `rows` into `table` in one statement.
async fn insert(
    tx: &mut super::Tx,
    table: &str,
    list: &str,
    rows: &[Vec<Value>],
) -> sqlx::Result<()> {
    on!(tx, ex => {
        let mut q = sqlx::QueryBuilder::new(format!("INSERT INTO {table} ({list}) "));
        q.push_values(rows, |mut b, row| {
            for value in row {
                match value {
                    Value::Null => b.push("NULL"),
                    Value::Int(n) => b.push_bind(*n),
                    Value::Text(t) => b.push_bind(t.clone()),
                    Value::Bool(v) => b.push_bind(*v),
                    Value::Bytes(v) => b.push_bind(v.clone()),
                    Value::Date(d) => b.push_bind(*d),
                };
            }
        });
        q.build().persistent(false).execute(ex).await.map(|r| r.rows_affected())
    })?;
    Ok(())
}
