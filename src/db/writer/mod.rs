//! Group commit: SQLite has one writer per database file, and each commit must reach the
//! disk before its caller is told it is kept (an fsync, a few hundred microseconds here). So
//! every write transaction of a database runs on one dedicated connection inside a shared
//! transaction (the first caller opens it, each later one works in a savepoint of its own),
//! and whoever finishes first commits everything written so far. Every statement costs a
//! hand-off to SQLite's thread, and the writer is the one thing callers queue for, so a
//! caller's savepoint travels with its first statement and its commit costs it none.
//!
//! The disk is not waited for under the write lock: the writer connection commits with
//! `synchronous=NORMAL` (the commit is written to the write-ahead log, not yet synced), and
//! `sync` then writes the log to disk — one fsync for every commit made before it started —
//! while the next transaction already runs. A caller's `commit` returns only once its work
//! is on disk, exactly as with `synchronous=FULL`; what a power loss can take is only what
//! no one was told was kept, and SQLite's log checksums keep the database whole. A caller
//! that rolls back (or is dropped) undoes only its own work.

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, Instant};

use futures_util::future::{BoxFuture, FutureExt};
use futures_util::stream::{BoxStream, StreamExt, TryStreamExt};
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteConnection, SqliteQueryResult, SqliteRow,
    SqliteStatement, SqliteSynchronous, SqliteTypeInfo,
};
use sqlx::{Connection, Either, Execute, Executor, Sqlite, SqlitePool};
use tokio::sync::{Mutex, OwnedMutexGuard, watch};

use super::background::{Background, BackgroundWrite};

mod connection;
mod disk;
mod tx;

use disk::{LOG_SIZE_LIMIT, slow};

/// The writer's connection, as the caller holding it writes on it (`&mut **tx` is one).
pub struct SharedConnection {
    conn: SqliteConnection,
    /// Whether `BEGIN IMMEDIATE` was issued and not yet committed.
    open: bool,
    /// The number of the open (or last) shared transaction.
    epoch: u64,
    /// The savepoint of the caller holding the connection, when it joined an open transaction.
    savepoint: Savepoint,
}

/// A joining caller's savepoint. Every caller's is called the same, so that the statements
/// it rides on stay in SQLite's statement cache: `ROLLBACK TO` reaches the newest of that
/// name, which is the holder's own once it is known to be open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Savepoint {
    /// None needed (the caller opened the transaction), or it could not be opened and so
    /// nothing of the caller's ran.
    None,
    /// To be opened by the caller's first statement, in the same round trip.
    Pending,
    /// That statement went to SQLite, which has not answered yet.
    Sent,
    Open,
}

const SAVEPOINT: &str = "SAVEPOINT w; ";

pub struct Writer {
    shared: Arc<Mutex<SharedConnection>>,
    /// The last epoch whose commit someone has taken on (see `commit_later`).
    leader: AtomicU64,
    /// The last epoch whose COMMIT or ROLLBACK finished: visible, maybe not yet on disk.
    committed: AtomicU64,
    /// The last epoch actually committed (not rolled back), which a sync has to cover.
    written: AtomicU64,
    /// The last epoch known to be on disk, or to have failed: callers wait on it.
    durable: watch::Sender<u64>,
    /// Whether a task is writing the log to disk.
    syncing: AtomicBool,
    /// SQLite's write-ahead log, which holds every commit until a checkpoint.
    wal: PathBuf,
    /// Whether the log's directory entry is on disk (synced once, after the log is made).
    directory_synced: AtomicBool,
    /// Epochs whose commit failed, with the error, for their callers to report.
    failed: StdMutex<HashMap<u64, String>>,
    /// The last epoch holding work whose caller went on before it was committed (see
    /// `Tx::commit_in_background`).
    behind: AtomicU64,
    /// Writes whose caller went on before they even started (see `background_write`).
    starting: Arc<Background>,
    /// How to open the connection that checkpoints the log, and that connection.
    checkpoints: SqliteConnectOptions,
    checkpointer: Mutex<Option<SqliteConnection>>,
    checkpointing: AtomicBool,
    last_checkpoint: StdMutex<Instant>,
}

/// One caller's part of the shared transaction.
pub struct Tx {
    guard: Option<OwnedMutexGuard<SharedConnection>>,
    /// Whether the caller joined a shared transaction another opened.
    joined: bool,
    epoch: u64,
    writer: Arc<Writer>,
}

impl Writer {
    /// The writer of `pool`'s database, on a connection of its own. One `Store` opens it.
    pub async fn open(pool: &SqlitePool) -> sqlx::Result<Arc<Writer>> {
        let options = pool.connect_options();
        // The commit itself does not wait for the disk: `sync` does, outside the write lock,
        // before any caller is told its work is kept (see the module's documentation).
        // Nor does it copy the log back into the database now and then (a checkpoint, some
        // 20 ms of disk work every thousand pages): `checkpoint_soon` does, on a connection
        // of its own, while the writer goes on.
        let checkpoints = (*options).clone();
        let options = (*options)
            .clone()
            .synchronous(SqliteSynchronous::Normal)
            .pragma("wal_autocheckpoint", "0")
            .pragma("journal_size_limit", LOG_SIZE_LIMIT)
            // Every write statement of the application runs here, some also with a joining
            // caller's savepoint before them: room for all of them to stay prepared.
            .statement_cache_capacity(256);
        let conn = SqliteConnection::connect_with(&options).await?;
        let mut wal = options.get_filename().as_os_str().to_owned();
        wal.push("-wal");
        Ok(Arc::new(Writer {
            shared: Arc::new(Mutex::new(SharedConnection {
                conn,
                open: false,
                epoch: 0,
                savepoint: Savepoint::None,
            })),
            leader: AtomicU64::new(0),
            committed: AtomicU64::new(0),
            written: AtomicU64::new(0),
            durable: watch::Sender::new(0),
            syncing: AtomicBool::new(false),
            wal: wal.into(),
            directory_synced: AtomicBool::new(false),
            failed: StdMutex::new(HashMap::new()),
            behind: AtomicU64::new(0),
            starting: Arc::default(),
            checkpoints,
            checkpointer: Mutex::new(None),
            checkpointing: AtomicBool::new(false),
            last_checkpoint: StdMutex::new(Instant::now()),
        }))
    }
}

impl Writer {
    /// A write transaction of one's own, as far as the caller can tell. The caller that
    /// opens the shared transaction is alone in it until it finishes, so it needs no
    /// savepoint: undoing its work is undoing the whole transaction. A caller that joins
    /// one gets a savepoint with its first statement.
    pub async fn begin(self: &Arc<Self>) -> sqlx::Result<Tx> {
        let mut guard = self.shared.clone().lock_owned().await;
        let joined = guard.open;
        if joined {
            guard.savepoint = Savepoint::Pending;
        } else {
            guard.conn.execute("BEGIN IMMEDIATE").await?;
            guard.open = true;
            guard.epoch += 1;
            guard.savepoint = Savepoint::None;
        }
        Ok(Tx {
            epoch: guard.epoch,
            guard: Some(guard),
            joined,
            writer: self.clone(),
        })
    }

    /// Marks a write its caller leaves to a task of its own, to commit with
    /// `Tx::commit_in_background`: until the mark is dropped, requests wait for it.
    pub fn background_write(&self) -> BackgroundWrite {
        self.starting.start()
    }

    /// Returns once everything written in the background so far is committed, so that a
    /// read made after it sees what earlier responses reported. Free when nothing is behind.
    pub async fn caught_up(self: &Arc<Self>) {
        self.starting.caught_up().await;
        let behind = self.behind.load(Ordering::Acquire);
        if behind > *self.durable.borrow()
            && let Err(e) = self.flush(behind).await
        {
            tracing::error!(error = %e, "a background commit failed");
        }
    }

    /// Returns once epoch `epoch` is committed and on disk.
    async fn flush(self: &Arc<Self>, epoch: u64) -> sqlx::Result<()> {
        self.commit_later(epoch);
        self.wait_durable(epoch).await
    }

    /// Has epoch `epoch` committed, then synced, unless someone already asked: one task per
    /// epoch waits for the writer, not every caller in it (each would otherwise take the
    /// writer in turn only to find the work done), and one that is given up on half-way
    /// cannot leave the others waiting.
    fn commit_later(self: &Arc<Self>, epoch: u64) {
        if self.leader.fetch_max(epoch, Ordering::AcqRel) >= epoch {
            return;
        }
        let me = self.clone();
        tokio::spawn(async move {
            let guard = me.shared.clone().lock_owned().await;
            me.commit_if_open(guard, epoch).await;
            me.sync_soon();
        });
    }

    async fn wait_durable(&self, epoch: u64) -> sqlx::Result<()> {
        let mut durable = self.durable.subscribe();
        while *durable.borrow_and_update() < epoch {
            if durable.changed().await.is_err() {
                break;
            }
        }
        match self.failed.lock().expect("failures lock").get(&epoch) {
            Some(e) => Err(sqlx::Error::Protocol(format!("the commit failed: {e}"))),
            None => Ok(()),
        }
    }

    fn fail(&self, epoch: u64, error: String) {
        let mut failed = self.failed.lock().expect("failures lock");
        if failed.len() > 1000 {
            failed.clear();
        }
        failed.insert(epoch, error);
    }

    async fn commit_if_open(&self, mut guard: OwnedMutexGuard<SharedConnection>, epoch: u64) {
        if guard.epoch == epoch {
            self.commit_open(&mut guard).await;
        }
    }

    /// Commits the shared transaction, if one is open (its callers have all finished: the
    /// caller holds the connection).
    async fn commit_open(&self, guard: &mut SharedConnection) {
        if !guard.open {
            return;
        }
        let epoch = guard.epoch;
        let started = std::time::Instant::now();
        let result = guard.conn.execute("COMMIT").await;
        slow("a commit", started);
        match result {
            Ok(_) => {
                self.written.fetch_max(epoch, Ordering::AcqRel);
            }
            Err(e) => {
                tracing::error!(error = %e, "a shared commit failed");
                // The transaction is gone either way: start the next one clean.
                let _ = guard.conn.execute("ROLLBACK").await;
                self.fail(epoch, e.to_string());
            }
        }
        guard.open = false;
        self.committed.fetch_max(epoch, Ordering::AcqRel);
    }
}
