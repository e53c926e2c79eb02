//! The `webhooks` table and its headers.

use crate::db::{execute, on};
use sqlx::{AssertSqlSafe, FromRow};

use super::{Source, Store, Tx};
use chrono::NaiveDate;

use crate::domain::catalogue::{ActionFilter, ObjectType};
use crate::domain::ids::{ProjectFilterId, ProjectId, UserId, WebhookId};
use crate::domain::webhook::{
    EventFilter, FieldNames, HeaderDraft, Mode, RateLimit, Verb, WebhookDraft, WebhookUrl,
};
use crate::sealing::{Keyring, Purpose};

/// A sealed secret opened, or a decoding error naming the column.
fn opened(keys: &Keyring, sealed: &str, purpose: Purpose) -> sqlx::Result<String> {
    keys.open(sealed, purpose)
        .map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

impl WebhookRow {
    /// The row as stored, its signing secrets opened.
    fn opened(mut self, keys: &Keyring) -> sqlx::Result<WebhookRow> {
        self.open(keys)?;
        Ok(self)
    }

    /// Opens the row's signing secrets in place.
    pub(super) fn open(&mut self, keys: &Keyring) -> sqlx::Result<()> {
        self.signing_secret = opened(keys, &self.signing_secret, Purpose::SigningSecret)?;
        if let Some(previous) = &self.previous_signing_secret {
            self.previous_signing_secret = Some(opened(keys, previous, Purpose::SigningSecret)?);
        }
        Ok(())
    }
}

impl WebhookRow {
    /// The stored webhook as the domain's draft, its secret header values filled in.
    pub fn draft(&self, headers: &[HeaderRow]) -> WebhookDraft {
        WebhookDraft {
            wording: self.wording.clone(),
            description: self.description.clone(),
            active: self.active,
            url: WebhookUrl::stored(&self.url),
            verb: self.verb,
            body: self.body.clone(),
            headers: headers
                .iter()
                .map(|h| HeaderDraft {
                    name: h.name.clone(),
                    value: Some(h.value.clone()),
                    secret: h.secret,
                })
                .collect(),
            mode: self.mode,
            event: EventFilter {
                action: self.event_action,
                object: self.event_object,
                project_filter: self.project_filter_id,
            },
            second_label: self.second_label.clone(),
            initiator_user: self.initiator_user_id,
            excluded_fields: self.excluded_fields.clone(),
            trigger_fields: self.trigger_fields.clone(),
            exclude_payload: self.exclude_payload,
            valid_until: self.valid_until,
            project_id: self.project_id,
            values_as_strings: self.values_as_strings,
            rate_limit: self.rate_limit,
        }
    }
}

impl HeaderRow {
    pub(super) fn opened(mut self, keys: &Keyring) -> sqlx::Result<HeaderRow> {
        if self.secret {
            self.value = opened(keys, &self.value, Purpose::HeaderValue)?;
        }
        Ok(self)
    }
}

#[derive(Debug, Clone, FromRow)]
pub struct WebhookRow {
    pub id: WebhookId,
    pub wording: String,
    pub description: String,
    pub active: bool,
    pub url: String,
    pub verb: Verb,
    pub body: String,
    pub mode: Mode,
    pub event_action: ActionFilter,
    pub event_object: ObjectType,
    pub project_filter_id: Option<ProjectFilterId>,
    pub second_label: Option<String>,
    pub initiator_user_id: Option<UserId>,
    pub excluded_fields: FieldNames,
    pub exclude_payload: bool,
    pub valid_until: Option<NaiveDate>,
    pub signing_secret: String,
    pub version: i64,
    pub last_execution_at: Option<i64>,
    pub last_status: Option<i64>,
    pub project_id: Option<ProjectId>,
    pub values_as_strings: bool,
    pub previous_signing_secret: Option<String>,
    pub previous_secret_expires_at: Option<i64>,
    pub disabled_reason: Option<String>,
    pub rate_limit: Option<RateLimit>,
    pub trigger_fields: FieldNames,
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct HeaderRow {
    pub name: String,
    pub value: String,
    pub secret: bool,
}

/// The columns a user sets, for insert and update.
pub struct WebhookFields<'a> {
    pub wording: &'a str,
    pub description: &'a str,
    pub active: bool,
    pub url: &'a str,
    pub verb: Verb,
    pub body: &'a str,
    pub mode: Mode,
    pub event_action: ActionFilter,
    pub event_object: ObjectType,
    pub project_filter_id: Option<ProjectFilterId>,
    pub second_label: Option<&'a str>,
    pub initiator_user_id: Option<UserId>,
    pub excluded_fields: &'a FieldNames,
    pub exclude_payload: bool,
    pub valid_until: Option<NaiveDate>,
    pub project_id: Option<ProjectId>,
    pub values_as_strings: bool,
    pub rate_limit: Option<RateLimit>,
    pub trigger_fields: &'a FieldNames,
}

/// Binds the columns a user sets, as $1 to $20 of an insert or update.
macro_rules! bind_fields {
    ($query:expr, $f:expr) => {{
        let f: &WebhookFields<'_> = $f;
        $query
            .bind(f.wording)
            .bind(f.description)
            .bind(f.active)
            .bind(f.url)
            .bind(f.verb)
            .bind(f.body)
            .bind(f.mode.synchronous())
            .bind(f.mode.in_transaction())
            .bind(f.event_action)
            .bind(f.event_object)
            .bind(f.project_filter_id)
            .bind(f.second_label)
            .bind(f.initiator_user_id)
            .bind(f.excluded_fields)
            .bind(f.exclude_payload)
            .bind(f.valid_until)
            .bind(f.project_id)
            .bind(f.values_as_strings)
            .bind(f.rate_limit)
            .bind(f.trigger_fields)
    }};
}

pub(super) const COLUMNS: &str =
    "id, wording, description, active, url, verb, body,
    CASE WHEN in_transaction THEN 'sync_tx' WHEN synchronous THEN 'sync' ELSE 'async' END AS mode, event_action, event_object, project_filter_id, second_label, initiator_user_id, excluded_fields,
    exclude_payload, valid_until, signing_secret, version, last_execution_at, last_status, project_id,
    values_as_strings, previous_signing_secret, previous_secret_expires_at, disabled_reason, rate_limit, trigger_fields";

pub async fn find(
    db: impl Into<Source<'_>>,
    keys: &Keyring,
    id: WebhookId,
) -> sqlx::Result<Option<WebhookRow>> {
    let row: Option<WebhookRow> = on!(db, ex => sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM webhooks WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(ex)
    .await)?;
    row.map(|r| r.opened(keys)).transpose()
}

/// Whether the webhook exists (nothing opened).
pub async fn exists(db: impl Into<Source<'_>>, id: WebhookId) -> sqlx::Result<bool> {
    on!(db, ex => sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM webhooks WHERE id = $1)")
        .bind(id)
        .fetch_one(ex)
        .await)
}

pub async fn headers(
    db: impl Into<Source<'_>>,
    keys: &Keyring,
    id: WebhookId,
) -> sqlx::Result<Vec<HeaderRow>> {
    let rows: Vec<HeaderRow> = on!(db, ex => sqlx::query_as(
        "SELECT name, value, secret FROM webhook_headers WHERE webhook_id = $1 ORDER BY position",
    )
    .bind(id)
    .fetch_all(ex)
    .await)?;
    rows.into_iter().map(|h| h.opened(keys)).collect()
}

/// Every webhook's id, oldest first.
pub async fn all_ids(store: &Store) -> sqlx::Result<Vec<WebhookId>> {
    on!(store, ex => sqlx::query_scalar("SELECT id FROM webhooks ORDER BY id")
        .fetch_all(ex)
        .await)
}

/// What a webhook can be narrowed to, so that it fires for nothing else.
#[derive(Debug, Clone, Copy)]
pub enum Narrowed {
    Project(ProjectId),
    Initiator(UserId),
    ProjectFilter(ProjectFilterId),
}

/// The wordings of the webhooks narrowed so, alphabetically.
pub async fn narrowed_to(db: impl Into<Source<'_>>, by: Narrowed) -> sqlx::Result<Vec<String>> {
    let (sql, id): (&str, i64) = match by {
        Narrowed::Project(id) => (
            "SELECT wording FROM webhooks WHERE project_id = $1 ORDER BY wording COLLATE NOCASE",
            id.get(),
        ),
        Narrowed::Initiator(id) => (
            "SELECT wording FROM webhooks WHERE initiator_user_id = $1 ORDER BY wording COLLATE NOCASE",
            id.get(),
        ),
        Narrowed::ProjectFilter(id) => (
            "SELECT wording FROM webhooks WHERE project_filter_id = $1 ORDER BY wording COLLATE NOCASE",
            id.get(),
        ),
    };
    on!(db, ex => sqlx::query_scalar(sql)
        .bind(id)
        .fetch_all(ex)
        .await)
}

pub async fn insert(
    tx: &mut Tx,
    keys: &Keyring,
    f: &WebhookFields<'_>,
    signing_secret: &str,
    now: i64,
) -> sqlx::Result<WebhookId> {
    on!(tx, ex => bind_fields!(
        sqlx::query_scalar(
            "INSERT INTO webhooks (wording, description, active, url, verb, body, synchronous,
                 in_transaction, event_action, event_object, project_filter_id, second_label,
                 initiator_user_id, excluded_fields, exclude_payload, valid_until, project_id,
                 values_as_strings, rate_limit, trigger_fields, signing_secret, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
                 $19, $20, $21, $22, $22)
             RETURNING id",
        ),
        f
    )
    .bind(keys.seal(signing_secret, Purpose::SigningSecret))
    .bind(now)
    .fetch_one(ex)
    .await)
}

/// Updates a webhook made from `version`; false when someone changed it meanwhile.
pub async fn update(
    tx: &mut Tx,
    id: WebhookId,
    version: i64,
    f: &WebhookFields<'_>,
    now: i64,
) -> sqlx::Result<bool> {
    let done = execute!(tx, bind_fields!(
        sqlx::query(
            "UPDATE webhooks SET wording = $1, description = $2, active = $3, url = $4, verb = $5, body = $6,
                 synchronous = $7, in_transaction = $8, event_action = $9, event_object = $10,
                 project_filter_id = $11, second_label = $12, initiator_user_id = $13, excluded_fields = $14,
                 exclude_payload = $15, valid_until = $16, project_id = $17, values_as_strings = $18,
                 rate_limit = $19, trigger_fields = $20, updated_at = $21, version = version + 1,
                 -- Turning a webhook on again clears why Hookline turned it off, and its
                 -- run of failures starts over.
                 disabled_reason = CASE WHEN $3 THEN NULL ELSE disabled_reason END,
                 failure_count = CASE WHEN $3 AND NOT active THEN 0 ELSE failure_count END,
                 failing_since = CASE WHEN $3 AND NOT active THEN NULL ELSE failing_since END
             WHERE id = $22 AND version = $23",
        ),
        f
    )
    .bind(now)
    .bind(id)
    .bind(version))?;
    Ok(done == 1)
}

pub async fn replace_headers(
    tx: &mut Tx,
    keys: &Keyring,
    id: WebhookId,
    headers: &[HeaderRow],
) -> sqlx::Result<()> {
    execute!(
        &mut *tx,
        sqlx::query("DELETE FROM webhook_headers WHERE webhook_id = $1").bind(id)
    )?;
    for (position, h) in headers.iter().enumerate() {
        let value = if h.secret {
            keys.seal(&h.value, Purpose::HeaderValue)
        } else {
            h.value.clone()
        };
        execute!(&mut *tx, sqlx::query("INSERT INTO webhook_headers (webhook_id, position, name, value, secret) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(position as i64)
            .bind(&h.name)
            .bind(value)
            .bind(h.secret))?;
    }
    Ok(())
}

/// A new signing secret; the current one becomes the previous, which signs too until
/// `previous_expires_at`.
pub async fn rotate_secret(
    tx: &mut Tx,
    keys: &Keyring,
    id: WebhookId,
    new_secret: &str,
    previous_expires_at: i64,
) -> sqlx::Result<()> {
    execute!(&mut *tx, sqlx::query("UPDATE webhooks SET previous_signing_secret = signing_secret, previous_secret_expires_at = $2, signing_secret = $3 WHERE id = $1")
        .bind(id)
        .bind(previous_expires_at)
        .bind(keys.seal(new_secret, Purpose::SigningSecret)))?;
    Ok(())
}

pub async fn delete(tx: &mut Tx, id: WebhookId) -> sqlx::Result<bool> {
    let done = execute!(
        &mut *tx,
        sqlx::query("DELETE FROM webhooks WHERE id = $1").bind(id)
    )?;
    Ok(done == 1)
}
