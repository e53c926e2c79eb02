//! Every webhook as committed, kept in memory at one value of the webhooks counter, shared
//! by all who need webhooks often: the list, the routing of changes and the delivery
//! engine. One rule keeps it right whoever wrote: triggers move the webhooks counter on
//! every change to a webhook, its headers, or a name the list shows beside it; a reader
//! that has seen a higher counter than the snapshot's reads the webhooks again.

use crate::db::on;
use std::sync::{Arc, Mutex};

use sqlx::{AssertSqlSafe, FromRow};
use tokio::sync::Mutex as AsyncMutex;

use super::webhooks::{COLUMNS, HeaderRow, WebhookRow};
use super::{Source, Store, Tx};
use crate::domain::ids::WebhookId;
use crate::sealing::Keyring;

/// A webhook with its headers (secrets opened) and the names the list shows beside it.
#[derive(Debug, FromRow)]
pub struct Webhook {
    #[sqlx(flatten)]
    pub row: WebhookRow,
    #[sqlx(skip)]
    pub headers: Vec<HeaderRow>,
    /// What the webhook is narrowed to, by name: its project filter, its single project
    /// (code), the user whose changes alone fire it.
    pub project_filter_name: Option<String>,
    pub project_code: Option<String>,
    pub initiator_name: Option<String>,
}

/// Every webhook at one state of the database.
#[derive(Debug)]
pub struct Webhooks {
    /// The webhooks counter they were read at.
    pub version: i64,
    /// The delivery-outcomes counter (Last execution, Last status) they were read at.
    pub status_version: i64,
    /// In id order.
    all: Vec<Arc<Webhook>>,
}

impl Webhooks {
    pub fn get(&self, id: WebhookId) -> Option<&Arc<Webhook>> {
        self.all
            .binary_search_by_key(&id, |w| w.row.id)
            .ok()
            .map(|i| &self.all[i])
    }

    /// In id order.
    pub fn all(&self) -> &[Arc<Webhook>] {
        &self.all
    }

    /// The active ones, in id order.
    pub fn active(&self) -> impl Iterator<Item = &Arc<Webhook>> {
        self.all.iter().filter(|w| w.row.active)
    }
}

/// The counters a webhook snapshot is read at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromRow)]
pub struct Generations {
    pub generation: i64,
    pub status_generation: i64,
}

const GENERATIONS: &str =
    "SELECT (SELECT value FROM change_counters WHERE name = 'webhooks') AS generation,
        (SELECT value FROM change_counters WHERE name = 'webhook_status') AS status_generation";

pub async fn generations(db: impl Into<Source<'_>>) -> sqlx::Result<Generations> {
    on!(db, ex => sqlx::query_as(GENERATIONS).fetch_one(ex).await)
}

/// Every webhook as `db` sees it, in one state.
async fn read(mut db: Source<'_>, keys: &Keyring) -> sqlx::Result<Webhooks> {
    loop {
        let at = generations(db.reborrow()).await?;
        let webhooks = read_at(db.reborrow(), keys, at).await?;
        // A write transaction reads what is committed statement by statement: a webhook
        // saved between them would mix two states, so the counter is read again.
        if generations(db.reborrow()).await?.generation == at.generation {
            return Ok(webhooks);
        }
    }
}

async fn read_at(mut db: Source<'_>, keys: &Keyring, at: Generations) -> sqlx::Result<Webhooks> {
    let mut all: Vec<Webhook> = on!(db.reborrow(), ex => sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {COLUMNS},
            (SELECT name FROM project_filters f WHERE f.id = webhooks.project_filter_id)
                AS project_filter_name,
            (SELECT code FROM projects p WHERE p.id = webhooks.project_id) AS project_code,
            (SELECT display_name FROM users u WHERE u.id = webhooks.initiator_user_id)
                AS initiator_name
         FROM webhooks ORDER BY id"
    )))
    .fetch_all(ex)
    .await)?;
    let headers: Vec<(WebhookId, HeaderRow)> = on!(db, ex => sqlx::query_as(
        "SELECT webhook_id, name, value, secret FROM webhook_headers
         ORDER BY webhook_id, position",
    )
    .fetch_all(ex)
    .await)?
    .into_iter()
    .map(|(id, name, value, secret)| {
        (
            id,
            HeaderRow {
                name,
                value,
                secret,
            },
        )
    })
    .collect();
    let mut headers = headers.into_iter().peekable();
    for w in &mut all {
        w.row.open(keys)?;
        while headers.next_if(|(id, _)| *id < w.row.id).is_some() {}
        while let Some((_, h)) = headers.next_if(|(id, _)| *id == w.row.id) {
            w.headers.push(h.opened(keys)?);
        }
    }
    Ok(Webhooks {
        version: at.generation,
        status_version: at.status_generation,
        all: all.into_iter().map(Arc::new).collect(),
    })
}

/// The snapshot holder: the newest committed webhooks read so far.
pub struct Snapshot {
    store: Store,
    keys: Arc<Keyring>,
    current: Mutex<Option<Arc<Webhooks>>>,
    /// One read at a time; those who waited find it done.
    reading: AsyncMutex<()>,
}

impl Snapshot {
    pub fn new(store: Store, keys: Arc<Keyring>) -> Self {
        Snapshot {
            store,
            keys,
            current: Mutex::new(None),
            reading: AsyncMutex::new(()),
        }
    }

    /// The newest snapshot read so far, if any.
    pub fn last(&self) -> Option<Arc<Webhooks>> {
        self.current.lock().expect("snapshot lock").clone()
    }

    fn at(&self, version: i64) -> Option<Arc<Webhooks>> {
        self.last().filter(|w| w.version >= version)
    }

    /// The committed webhooks at counter `version` or later; the last committed ones, which
    /// may be older, when `version` is not committed yet.
    pub async fn at_least(&self, version: i64) -> sqlx::Result<Arc<Webhooks>> {
        if let Some(w) = self.at(version) {
            return Ok(w);
        }
        let _reading = self.reading.lock().await;
        if let Some(w) = self.at(version) {
            return Ok(w);
        }
        let mut conn = self.store.begin_read().await?;
        let read = Arc::new(read(Source::from(&mut conn), &self.keys).await?);
        conn.commit().await?;
        tracing::debug!(
            version = read.version,
            webhooks = read.all.len(),
            "webhooks read"
        );
        let mut current = self.current.lock().expect("snapshot lock");
        if current.as_ref().is_none_or(|c| c.version < read.version) {
            *current = Some(read.clone());
        }
        Ok(read)
    }

    /// The webhooks exactly as a write transaction that sees counter `version` sees them.
    ///
    /// Only committed states are shared: a committed counter value names one state of the
    /// webhooks, whereas a transaction's own uncommitted changes may be rolled back and the
    /// same value reached again with other contents. A transaction that sees uncommitted
    /// webhook changes reads them itself.
    ///
    /// Nor does a transaction wait for the shared read, which takes a connection of its
    /// own: were every pooled connection held by a transaction waiting so, none would be
    /// left for the read. A state not read yet is read by the transaction itself, and for
    /// the others in the background.
    pub async fn seen_by(
        self: &Arc<Self>,
        tx: &mut Tx,
        version: i64,
    ) -> sqlx::Result<Arc<Webhooks>> {
        let last = self.last();
        if let Some(last) = &last
            && last.version == version
        {
            return Ok(last.clone());
        }
        if last.is_none_or(|w| w.version < version) {
            let snapshot = self.clone();
            tokio::spawn(async move {
                if let Err(e) = snapshot.at_least(version).await {
                    tracing::warn!(error = %e, "cannot read the webhooks");
                }
            });
        }
        Ok(Arc::new(read(Source::from(tx), &self.keys).await?))
    }
}

/// Delivery outcomes recorded after outcomes counter `since`: (id, last execution, last
/// status), with the counters they were read at.
#[allow(clippy::type_complexity)]
pub async fn statuses_since(
    store: &Store,
    since: i64,
) -> sqlx::Result<(Generations, Vec<(WebhookId, Option<i64>, Option<i64>)>)> {
    let mut tx = store.begin_read().await?;
    let generations = generations(&mut tx).await?;
    let rows = on!(&mut tx, ex => sqlx::query_as(
        "SELECT id, last_execution_at, last_status FROM webhooks WHERE status_seq > $1",
    )
    .bind(since)
    .fetch_all(ex)
    .await)?;
    tx.commit().await?;
    Ok((generations, rows))
}
