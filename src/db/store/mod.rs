//! The storage seam: what services and handlers hold to reach the database, on either
//! backend — SQLite (one file, pooled readers and one group-committing writer) or
//! PostgreSQL (a pool, shared by as many instances as run) — and `Source`, where a query
//! reads: any pooled connection, or a transaction that sees its own writes. Nothing above
//! `db` names a backend; a query is written once and runs on both through `on_db!`.

mod callers;
mod executors;

use std::sync::Arc;

use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};

pub use callers::Callers;
pub use executors::{PgSource, SqliteSource};

use super::background::{Background, BackgroundWrite};
use super::writer::{self, Writer};

/// Runs `$body` with `$ex` bound to the backend's executor for `$db` (a `&Store`, a
/// `&mut Tx`, a `&mut ReadTx` or a `Source`): the body is compiled once per backend, so one
/// query text serves both. Where the dialects differ, `$ex.pick(sqlite, postgres)` chooses.
#[macro_export]
macro_rules! on_db {
    ($db:expr, $ex:ident => $body:expr) => {
        match $crate::db::Source::of($db) {
            $crate::db::Source::Sqlite($ex) => $body,
            $crate::db::Source::Pg($ex) => $body,
        }
    };
}

/// The channel on which instances announce queued deliveries to each other.
const DELIVERIES_CHANNEL: &str = "hookline_deliveries";
/// The channel on which the database's triggers announce changes to what an API caller is
/// read from (tokens, users, roles, rights): see the migration that made them.
const ACCESS_CHANNEL: &str = "hookline_access";

/// Begins a transaction with `begin`. A pooled connection that the server dropped since its
/// last use (a restart, a failover) fails at its BEGIN, before anything was done: another is
/// taken, up to as many as the pool holds, so that the dead connections a restart leaves in
/// the pool cost no request. (One left idle for a while is checked before use anyway.)
async fn begin_postgres(
    pool: &PgPool,
    begin: &'static str,
) -> sqlx::Result<Transaction<'static, Postgres>> {
    let mut lost = 0;
    loop {
        match pool.begin_with(begin).await {
            Err(e)
                if lost < pool.options().get_max_connections()
                    && super::availability::connection_lost(&e) =>
            {
                tracing::info!(error = %e, "a pooled connection was lost; taking another");
                lost += 1;
            }
            begun => return begun,
        }
    }
}

async fn listener(pool: &PgPool) -> sqlx::Result<sqlx::postgres::PgListener> {
    let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
    listener
        .listen_all([DELIVERIES_CHANNEL, ACCESS_CHANNEL])
        .await?;
    Ok(listener)
}

/// Runs statement `$query` (an `sqlx::query(…)` with its binds) on `$db` as `on_db!` does,
/// giving the number of rows it affected (each backend has a result type of its own).
#[macro_export]
macro_rules! execute_on {
    ($db:expr, $query:expr) => {
        $crate::on_db!($db, ex => $query.execute(ex).await.map(|r| r.rows_affected()))
    };
}

/// A file as the system knows it (device and inode): a file put back under the same name,
/// or made anew there, is another file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileId {
    device: u64,
    inode: u64,
}

impl FileId {
    pub fn of(meta: &std::fs::Metadata) -> FileId {
        use std::os::unix::fs::MetadataExt;
        FileId {
            device: meta.dev(),
            inode: meta.ino(),
        }
    }
}

/// Which database a store holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database. Cloning it shares its connections.
#[derive(Clone)]
pub struct Store {
    inner: Inner,
}

#[derive(Clone)]
enum Inner {
    Sqlite {
        pool: SqlitePool,
        writer: Arc<Writer>,
        /// The database file as opened; `None` for a database in memory.
        file: Option<FileId>,
    },
    Postgres {
        pool: PgPool,
        background: Arc<Background>,
        callers: Arc<Callers>,
    },
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens the database at `database_url` — `sqlite://FILE` (created if missing) or
    /// `postgres://…` — and applies its backend's migrations.
    pub async fn open(database_url: &str) -> anyhow::Result<Store> {
        Self::open_with(database_url, None).await
    }

    /// As `open`, with at most `postgres_connections` connections to PostgreSQL (None: the
    /// default, see `db::postgres_connections`).
    pub async fn open_with(
        database_url: &str,
        postgres_connections: Option<u32>,
    ) -> anyhow::Result<Store> {
        let inner = if super::is_postgres(database_url) {
            let connections = postgres_connections.unwrap_or_else(super::postgres_connections);
            let pool = super::open_postgres(database_url, connections).await?;
            Inner::Postgres {
                pool,
                background: Arc::default(),
                callers: Arc::default(),
            }
        } else {
            let pool = super::connect_sqlite(database_url).await?;
            super::migrate_sqlite(&pool).await?;
            let writer = Writer::open(&pool).await?;
            let file = std::fs::metadata(pool.connect_options().get_filename())
                .ok()
                .map(|m| FileId::of(&m));
            Inner::Sqlite { pool, writer, file }
        };
        Ok(Store { inner })
    }

    pub fn backend(&self) -> Backend {
        match self.inner {
            Inner::Sqlite { .. } => Backend::Sqlite,
            Inner::Postgres { .. } => Backend::Postgres,
        }
    }

    /// A write transaction: on SQLite group-committed with the others on the one writer
    /// connection; on PostgreSQL a transaction of its own, committed when its caller says.
    pub async fn begin_write(&self) -> sqlx::Result<Tx> {
        match &self.inner {
            Inner::Sqlite { writer, .. } => Ok(Tx::Sqlite(writer.begin().await?)),
            Inner::Postgres {
                pool,
                background,
                callers,
            } => Ok(Tx::Postgres {
                tx: begin_postgres(pool, "BEGIN").await?,
                background: background.clone(),
                callers: callers.clone(),
                changes_access: false,
            }),
        }
    }

    /// A read transaction: one state of the database across several queries.
    pub async fn begin_read(&self) -> sqlx::Result<ReadTx> {
        match &self.inner {
            Inner::Sqlite { pool, .. } => Ok(ReadTx::Sqlite(pool.begin().await?)),
            Inner::Postgres { pool, .. } => Ok(ReadTx::Postgres(
                begin_postgres(pool, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?,
            )),
        }
    }

    /// Returns once what was committed in the background (`Tx::commit_in_background`) is
    /// visible: every request starts with it, so it sees what earlier responses reported.
    pub async fn caught_up(&self) {
        match &self.inner {
            Inner::Sqlite { writer, .. } => writer.caught_up().await,
            Inner::Postgres { background, .. } => background.caught_up().await,
        }
    }

    /// Marks a write left to a task of its own (see `Writer::background_write`).
    pub fn background_write(&self) -> BackgroundWrite {
        match &self.inner {
            Inner::Sqlite { writer, .. } => writer.background_write(),
            Inner::Postgres { background, .. } => background.start(),
        }
    }

    /// The SQLite database file: where it is, and which file it was when opened.
    pub(in crate::db) fn sqlite_file(&self) -> Option<(std::path::PathBuf, FileId)> {
        match &self.inner {
            Inner::Sqlite {
                pool,
                file: Some(file),
                ..
            } => Some((pool.connect_options().get_filename().to_owned(), *file)),
            _ => None,
        }
    }

    pub(in crate::db) fn sqlite(&self) -> Option<&SqlitePool> {
        match &self.inner {
            Inner::Sqlite { pool, .. } => Some(pool),
            Inner::Postgres { .. } => None,
        }
    }

    /// The API callers remembered between requests: PostgreSQL's alone (see `Callers`).
    pub(in crate::db) fn callers(&self) -> Option<&Callers> {
        match &self.inner {
            Inner::Postgres { callers, .. } => Some(callers),
            Inner::Sqlite { .. } => None,
        }
    }

    pub(in crate::db) fn postgres(&self) -> Option<&PgPool> {
        match &self.inner {
            Inner::Postgres { pool, .. } => Some(pool),
            Inner::Sqlite { .. } => None,
        }
    }

    /// Runs `work` unless another instance is running the task called `name` right now,
    /// in which case it gives None: for housekeeping, which one instance at a time does. On
    /// PostgreSQL a session advisory lock, which PostgreSQL releases should the instance
    /// die; SQLite has one instance.
    pub async fn alone<T>(
        &self,
        name: &str,
        work: impl Future<Output = T>,
    ) -> sqlx::Result<Option<T>> {
        let Some(pool) = self.postgres() else {
            return Ok(Some(work.await));
        };
        // Held by a transaction of its own: however `work` ends, even dropped half-way, the
        // transaction ends and the lock goes with it.
        let mut holder = pool.begin().await?;
        let locked: bool =
            sqlx::query_scalar("SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0))")
                .bind(name)
                .fetch_one(&mut *holder)
                .await?;
        if !locked {
            return Ok(None);
        }
        let done = work.await;
        holder.rollback().await?;
        Ok(Some(done))
    }

    /// Tells every instance's workers that deliveries are waiting in the queue (PostgreSQL's
    /// NOTIFY, sent by a task of its own so that no request waits for it; nothing to tell on
    /// SQLite, whose one instance wakes its own).
    pub fn announce_deliveries(&self) {
        let Some(pool) = self.postgres().cloned() else {
            return;
        };
        tokio::spawn(async move {
            if let Err(e) = sqlx::query("SELECT pg_notify($1, '')")
                .bind(DELIVERIES_CHANNEL)
                .execute(&pool)
                .await
            {
                tracing::warn!(error = %e, "cannot tell the other instances of queued deliveries");
            }
        });
    }

    /// Hears what other instances and writers announce, until `stop` turns true: queued
    /// deliveries (calling `wake`) and changes to API callers (forgetting those
    /// remembered). Nothing to hear on SQLite, whose one instance knows its own writes.
    ///
    /// Announcements made while the connection is down are lost: on connecting again, the
    /// workers look for queued deliveries at once (their polling would find them later), and
    /// no caller read before is used.
    pub async fn listen(&self, wake: impl Fn(), mut stop: tokio::sync::watch::Receiver<bool>) {
        let Inner::Postgres { pool, callers, .. } = &self.inner else {
            return;
        };
        loop {
            let mut listener = match listener(pool).await {
                Ok(listener) => listener,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for other instances' announcements; trying again");
                    tokio::select! {
                        _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => continue,
                        _ = stop.changed() => return,
                    }
                }
            };
            callers.listening();
            wake();
            loop {
                tokio::select! {
                    heard = listener.try_recv() => match heard {
                        Ok(Some(n)) if n.channel() == ACCESS_CHANNEL => callers.changed(),
                        Ok(Some(_)) => wake(),
                        // The connection was lost, and is back.
                        Ok(None) => {
                            callers.listening();
                            wake();
                        }
                        // Lost, and not back: a new listener connects again.
                        Err(e) => {
                            tracing::warn!(error = %e, "listening for other instances' announcements failed; trying again");
                            break;
                        }
                    },
                    _ = stop.changed() => {
                        callers.deaf();
                        return;
                    }
                }
            }
            callers.deaf();
        }
    }

    /// Closes every connection (a clean stop).
    pub async fn close(&self) {
        match &self.inner {
            Inner::Sqlite { pool, .. } => pool.close().await,
            Inner::Postgres { pool, .. } => pool.close().await,
        }
    }
}

/// A write transaction.
/// Durable commits are timed here, where they happen. One timer per process: the storage
/// layer has no handle on an application's metrics, and a server serves one database.
static COMMITS: std::sync::LazyLock<prometheus_client::metrics::histogram::Histogram> =
    std::sync::LazyLock::new(crate::metrics::commit_histogram);

/// The timer of durable commits, for `/metrics`.
pub fn commit_timer() -> prometheus_client::metrics::histogram::Histogram {
    COMMITS.clone()
}

pub enum Tx {
    Sqlite(writer::Tx),
    Postgres {
        tx: Transaction<'static, Postgres>,
        background: Arc<Background>,
        callers: Arc<Callers>,
        /// Whether the transaction changes what an API caller is read from.
        changes_access: bool,
    },
}

impl std::fmt::Debug for Tx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Tx::Sqlite(_) => "Tx::Sqlite",
            Tx::Postgres { .. } => "Tx::Postgres",
        })
    }
}

impl Tx {
    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::Postgres { .. } => Backend::Postgres,
        }
    }

    /// Makes this transaction the only one at a time, among every instance, to go past this
    /// point for `what` until it ends: for a read followed by a write that depends on it
    /// (a chain of hashes, a count that must not reach zero). SQLite's one writer already
    /// runs write transactions one at a time; PostgreSQL takes an advisory lock.
    pub async fn serialize(&mut self, what: &str) -> sqlx::Result<()> {
        if let Tx::Postgres { tx, .. } = self {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                .bind(what)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Marks the transaction as one that changes a token, a user's state or rights: once
    /// committed, the API callers this instance remembers are forgotten, before any later
    /// request can use them (other instances hear of it from the database's triggers).
    pub fn changes_access(&mut self) {
        if let Tx::Postgres { changes_access, .. } = self {
            *changes_access = true;
        }
    }

    /// Keeps the changes and returns once they are durable.
    pub async fn commit(self) -> sqlx::Result<()> {
        let started = std::time::Instant::now();
        let done = match self {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres {
                tx,
                callers,
                changes_access,
                ..
            } => commit_postgres(tx, &callers, changes_access).await,
        };
        COMMITS.observe(started.elapsed().as_secs_f64());
        done
    }

    /// Keeps the changes and returns as soon as others can build on them (see
    /// `writer::Tx::commit_soon`); on PostgreSQL, once durable.
    pub async fn commit_soon(self) -> sqlx::Result<()> {
        match self {
            Tx::Sqlite(tx) => tx.commit_soon().await,
            Tx::Postgres {
                tx,
                callers,
                changes_access,
                ..
            } => commit_postgres(tx, &callers, changes_access).await,
        }
    }

    /// Keeps the changes and returns at once, the commit following in the background; a
    /// request made afterwards waits for it (`Store::caught_up`).
    pub fn commit_in_background(self) {
        match self {
            Tx::Sqlite(tx) => tx.commit_in_background(),
            Tx::Postgres {
                tx,
                background,
                callers,
                changes_access,
            } => {
                let mark = background.start();
                tokio::spawn(async move {
                    if let Err(e) = commit_postgres(tx, &callers, changes_access).await {
                        tracing::error!(error = %e, "a background commit failed");
                    }
                    drop(mark);
                });
            }
        }
    }

    /// Undoes the changes.
    pub async fn rollback(self) -> sqlx::Result<()> {
        match self {
            Tx::Sqlite(tx) => tx.rollback().await,
            Tx::Postgres { tx, .. } => tx.rollback().await,
        }
    }
}

async fn commit_postgres(
    tx: Transaction<'static, Postgres>,
    callers: &Callers,
    changes_access: bool,
) -> sqlx::Result<()> {
    let done = tx.commit().await;
    // Even a commit that reports failure may have happened.
    if changes_access {
        callers.changed();
    }
    done
}

/// A read-only transaction: every query in it sees the same state.
pub enum ReadTx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl ReadTx {
    pub async fn commit(self) -> sqlx::Result<()> {
        match self {
            ReadTx::Sqlite(tx) => tx.commit().await,
            ReadTx::Postgres(tx) => tx.commit().await,
        }
    }
}

/// Where a query reads: `&store` (any pooled connection), `&mut tx` (inside a write
/// transaction, seeing its writes) or `&mut read` (a read transaction).
#[derive(Debug)]
pub enum Source<'c> {
    Sqlite(SqliteSource<'c>),
    Pg(PgSource<'c>),
}

impl<'c> Source<'c> {
    /// The source a query function was given.
    pub fn of(db: impl Into<Source<'c>>) -> Self {
        db.into()
    }

    /// The same source for one more query, keeping it for those after.
    pub fn reborrow(&mut self) -> Source<'_> {
        match self {
            Source::Sqlite(s) => Source::Sqlite(s.reborrow()),
            Source::Pg(s) => Source::Pg(s.reborrow()),
        }
    }
}

impl<'c> From<&'c Store> for Source<'c> {
    fn from(store: &'c Store) -> Self {
        match &store.inner {
            Inner::Sqlite { pool, .. } => Source::Sqlite(SqliteSource::Pool(pool)),
            Inner::Postgres { pool, .. } => Source::Pg(PgSource::Pool(pool)),
        }
    }
}

impl<'c> From<&'c mut Tx> for Source<'c> {
    fn from(tx: &'c mut Tx) -> Self {
        match tx {
            Tx::Sqlite(tx) => Source::Sqlite(SqliteSource::Tx(tx)),
            Tx::Postgres { tx, .. } => Source::Pg(PgSource::Conn(tx)),
        }
    }
}

impl<'c> From<&'c mut ReadTx> for Source<'c> {
    fn from(tx: &'c mut ReadTx) -> Self {
        match tx {
            ReadTx::Sqlite(tx) => Source::Sqlite(SqliteSource::Conn(tx)),
            ReadTx::Postgres(tx) => Source::Pg(PgSource::Conn(tx)),
        }
    }
}
