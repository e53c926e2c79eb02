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
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, Instant};

use futures_util::future::{BoxFuture, FutureExt};
use futures_util::stream::{BoxStream, StreamExt, TryStreamExt};
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteConnection, SqliteQueryResult, SqliteRow,
    SqliteStatement, SqliteSynchronous, SqliteTypeInfo,
};
use sqlx::{Connection, Either, Execute, Executor, Sqlite, SqlitePool};
use tokio::sync::{Mutex, Notify, OwnedMutexGuard, watch};

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
    starting: AtomicUsize,
    started: Notify,
    /// How to open the connection that checkpoints the log, and that connection.
    checkpoints: SqliteConnectOptions,
    checkpointer: Mutex<Option<SqliteConnection>>,
    checkpointing: AtomicBool,
    last_checkpoint: StdMutex<Instant>,
}

/// A write under way in the background: requests wait for it (`Writer::caught_up`) until it
/// is dropped, after its transaction has been committed in the background.
pub struct BackgroundWrite(Arc<Writer>);

impl Drop for BackgroundWrite {
    fn drop(&mut self) {
        if self.0.starting.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.started.notify_waiters();
        }
    }
}

/// How often, at most, the log is checkpointed while commits go on.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// Frames (pages) in the log after which it is made to start over (see `restart_log`):
/// 64 MB with 4 KB pages, a pause of a few milliseconds every few seconds of steady writes.
const RESTART_AFTER_FRAMES: i64 = 16_384;

/// What is left of the log file when it starts over: a log that is reused, not regrown,
/// costs its sync no change to the file's size.
const LOG_SIZE_LIMIT: &str = "67108864";

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
            starting: AtomicUsize::new(0),
            started: Notify::new(),
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
    pub fn background_write(self: &Arc<Self>) -> BackgroundWrite {
        self.starting.fetch_add(1, Ordering::AcqRel);
        BackgroundWrite(self.clone())
    }

    /// Returns once everything written in the background so far is committed, so that a
    /// read made after it sees what earlier responses reported. Free when nothing is behind.
    pub async fn caught_up(self: &Arc<Self>) {
        loop {
            // Created before the count is read, so no wake-up can fall between the two.
            let started = self.started.notified();
            if self.starting.load(Ordering::Acquire) == 0 {
                break;
            }
            started.await;
        }
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

    /// Copies the log back into the database file, at most every so often and without
    /// waiting for readers or the writer (a passive checkpoint), on a connection of its own:
    /// the log stays short and the writer never does it itself.
    fn checkpoint_soon(self: &Arc<Self>) {
        if self
            .last_checkpoint
            .lock()
            .expect("checkpoint lock")
            .elapsed()
            < CHECKPOINT_EVERY
            || self.checkpointing.swap(true, Ordering::AcqRel)
        {
            return;
        }
        let me = self.clone();
        tokio::spawn(async move {
            match me.checkpoint().await {
                Ok(frames) if frames >= RESTART_AFTER_FRAMES => me.restart_log().await,
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "cannot checkpoint the database log"),
            }
            *me.last_checkpoint.lock().expect("checkpoint lock") = Instant::now();
            me.checkpointing.store(false, Ordering::Release);
        });
    }

    /// A passive checkpoint on the checkpointing connection; the frames in the log.
    async fn checkpoint(&self) -> sqlx::Result<i64> {
        let mut conn = self.checkpointer.lock().await;
        if conn.is_none() {
            *conn = Some(SqliteConnection::connect_with(&self.checkpoints).await?);
        }
        let conn = conn.as_mut().expect("a checkpointing connection");
        let (_busy, frames, _copied): (i64, i64, i64) =
            sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
                .fetch_one(conn)
                .await?;
        Ok(frames)
    }

    /// Has the log start over from its beginning. SQLite only does so when a transaction
    /// starts with every frame of the log copied into the database, and a writer that never
    /// pauses never lets that happen: under steady writes the log grew without end (870 MB
    /// after 30,000 changes of the benchmark), and with it the work of reading it and of
    /// recovering from a crash. So the writer pauses for a moment: what is open is
    /// committed, the frames written since the last checkpoint are copied, and the next
    /// transaction starts the log over (cut back to `LOG_SIZE_LIMIT`).
    async fn restart_log(self: &Arc<Self>) {
        let mut guard = self.shared.clone().lock_owned().await;
        self.commit_open(&mut guard).await;
        self.sync_soon();
        let started = std::time::Instant::now();
        if let Err(e) = guard.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").await {
            tracing::error!(error = %e, "cannot checkpoint the database log");
        }
        slow("starting the log over", started);
    }

    /// Writes the log to disk for every commit made so far, in a task of its own unless one
    /// is at it already (which goes round again for the commits made meanwhile). One fsync
    /// thus covers every commit made before it started, while the writer goes on.
    fn sync_soon(self: &Arc<Self>) {
        if self.syncing.swap(true, Ordering::AcqRel) {
            return;
        }
        let me = self.clone();
        tokio::spawn(async move {
            loop {
                let covered = me.committed.load(Ordering::Acquire);
                let durable = *me.durable.borrow();
                if covered <= durable {
                    me.syncing.store(false, Ordering::Release);
                    // A commit made between the look and the store has no one to sync it.
                    if me.committed.load(Ordering::Acquire) <= durable
                        || me.syncing.swap(true, Ordering::AcqRel)
                    {
                        return;
                    }
                    continue;
                }
                // Epochs only rolled back since the last sync have nothing to write.
                if me.written.load(Ordering::Acquire) > durable {
                    let wal = me.wal.clone();
                    let directory_synced = me.directory_synced.load(Ordering::Acquire);
                    let started = std::time::Instant::now();
                    let synced =
                        tokio::task::spawn_blocking(move || sync_file(&wal, directory_synced))
                            .await;
                    slow("writing the log to disk", started);
                    let error = match synced {
                        Ok(Ok(())) => {
                            me.directory_synced.store(true, Ordering::Release);
                            None
                        }
                        Ok(Err(e)) => Some(e.to_string()),
                        Err(e) => Some(e.to_string()),
                    };
                    if let Some(e) = error {
                        tracing::error!(error = %e, "cannot write the database log to disk");
                        for epoch in durable + 1..=covered {
                            me.fail(epoch, format!("cannot write to disk: {e}"));
                        }
                    }
                }
                me.durable.send_replace(covered);
                me.checkpoint_soon();
            }
        });
    }
}

/// One caller's part of the shared transaction.
pub struct Tx {
    guard: Option<OwnedMutexGuard<SharedConnection>>,
    /// Whether the caller joined a shared transaction another opened.
    joined: bool,
    epoch: u64,
    writer: Arc<Writer>,
}

impl Tx {
    /// Keeps this caller's changes and returns once they are durable. Savepoints are not
    /// released one by one: the shared commit ends them all, and a later caller's rollback
    /// only goes back to its own.
    pub async fn commit(mut self) -> sqlx::Result<()> {
        drop(self.guard.take());
        self.writer.flush(self.epoch).await
    }

    /// Keeps this caller's changes and returns as soon as others can build on them: when this
    /// caller opened the shared transaction, once everything it read is on disk (the
    /// previous commits), its own commit following in the background; otherwise once
    /// durable. For bookkeeping that may be lost in a crash without harm, such as claiming
    /// deliveries under a lease (a lost claim only means the delivery is sent again).
    pub async fn commit_soon(mut self) -> sqlx::Result<()> {
        drop(self.guard.take());
        if self.joined {
            return self.writer.flush(self.epoch).await;
        }
        self.writer.commit_later(self.epoch);
        self.writer.wait_durable(self.epoch - 1).await
    }

    /// Keeps this caller's changes and returns at once, the commit following in the
    /// background; a request made afterwards waits for it (`Writer::caught_up`), so it sees
    /// them. For the record of a call a person waits for: the change it follows is already
    /// durable, so the person need not wait for the disk a second time. A crash in the
    /// moment before the record lands leaves its delivery as a crash during the call would:
    /// in flight, to be sent again (after its lease, or by hand for a synchronous one).
    pub fn commit_in_background(mut self) {
        drop(self.guard.take());
        self.writer.behind.fetch_max(self.epoch, Ordering::AcqRel);
        self.writer.commit_later(self.epoch);
    }

    /// Undoes this caller's changes only. Nothing waits for the disk: the others in the
    /// shared transaction commit it themselves.
    pub async fn rollback(mut self) -> sqlx::Result<()> {
        let mut guard = self.guard.take().expect("an unfinished transaction");
        undo(&mut guard, self.joined, self.epoch, &self.writer).await;
        Ok(())
    }
}

async fn undo(guard: &mut SharedConnection, joined: bool, epoch: u64, writer: &Arc<Writer>) {
    let result = match (joined, guard.savepoint) {
        // Nothing of this caller's ran.
        (true, Savepoint::Pending | Savepoint::None) => Ok(Default::default()),
        (true, Savepoint::Open) => guard.conn.execute("ROLLBACK TO w; RELEASE w").await,
        // Given up on before SQLite said whether its savepoint opened: going back to the
        // newest one could undo someone else's work instead, so the whole transaction goes,
        // and every caller in it is told their work was not kept. It takes a request dropped
        // within its first statement's fraction of a millisecond.
        (true, Savepoint::Sent) => {
            writer.fail(
                epoch,
                "a write given up on half-way undid its transaction".into(),
            );
            end(guard, epoch, writer).await
        }
        (false, _) => end(guard, epoch, writer).await,
    };
    guard.savepoint = Savepoint::None;
    if let Err(e) = result {
        tracing::error!(error = %e, "cannot roll back a write transaction");
    }
}

/// Rolls the whole shared transaction back.
async fn end(
    guard: &mut SharedConnection,
    epoch: u64,
    writer: &Arc<Writer>,
) -> sqlx::Result<SqliteQueryResult> {
    let result = guard.conn.execute("ROLLBACK").await;
    guard.open = false;
    writer.committed.fetch_max(epoch, Ordering::AcqRel);
    // The epoch is over: the syncing task moves `durable` past it (writing the log only if
    // commits before it still need that).
    writer.sync_soon();
    result
}

impl Drop for Tx {
    /// Dropped unfinished (an error returned early): undo this part, as a dropped sqlx
    /// transaction would roll back.
    fn drop(&mut self) {
        if let Some(mut guard) = self.guard.take() {
            let (joined, epoch, writer) = (self.joined, self.epoch, self.writer.clone());
            tokio::spawn(async move {
                undo(&mut guard, joined, epoch, &writer).await;
            });
        }
    }
}

impl Deref for Tx {
    type Target = SharedConnection;
    fn deref(&self) -> &SharedConnection {
        self.guard.as_ref().expect("an unfinished transaction")
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut SharedConnection {
        self.guard.as_mut().expect("an unfinished transaction")
    }
}

impl std::fmt::Debug for SharedConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedConnection")
            .field("open", &self.open)
            .field("epoch", &self.epoch)
            .field("savepoint", &self.savepoint)
            .finish_non_exhaustive()
    }
}

/// Statements run on the connection as they are, except a joining caller's first, which
/// opens its savepoint on the way (`SAVEPOINT w; ` before it, one round trip for both).
impl<'c> Executor<'c> for &'c mut SharedConnection {
    type Database = Sqlite;

    fn fetch_many<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxStream<'e, sqlx::Result<Either<SqliteQueryResult, SqliteRow>>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Sqlite>,
    {
        let SharedConnection {
            conn, savepoint, ..
        } = self;
        if *savepoint != Savepoint::Pending {
            return conn.fetch_many(query);
        }
        let mut results = conn.fetch_many(WithSavepoint(query));
        let mut answered = false;
        futures_util::stream::poll_fn(move |cx| {
            // From the first poll on, the statements are SQLite's.
            if !answered {
                *savepoint = Savepoint::Sent;
            }
            loop {
                let next = std::task::ready!(results.poll_next_unpin(cx));
                if answered {
                    return std::task::Poll::Ready(next);
                }
                answered = true;
                match next {
                    // The savepoint's own result: not the caller's to see.
                    Some(Ok(Either::Left(_))) => *savepoint = Savepoint::Open,
                    // It could not be opened, so nothing after it ran.
                    other => {
                        *savepoint = Savepoint::None;
                        return std::task::Poll::Ready(other);
                    }
                }
            }
        })
        .boxed()
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxFuture<'e, sqlx::Result<Option<SqliteRow>>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Sqlite>,
    {
        if self.savepoint != Savepoint::Pending {
            return self.conn.fetch_optional(query);
        }
        async move {
            let mut results = self.fetch_many(query);
            while let Some(result) = results.try_next().await? {
                if let Either::Right(row) = result {
                    return Ok(Some(row));
                }
            }
            Ok(None)
        }
        .boxed()
    }

    fn prepare_with<'e>(
        self,
        sql: sqlx::SqlStr,
        parameters: &'e [SqliteTypeInfo],
    ) -> BoxFuture<'e, sqlx::Result<SqliteStatement>>
    where
        'c: 'e,
    {
        self.conn.prepare_with(sql, parameters)
    }

    fn describe<'e>(self, sql: sqlx::SqlStr) -> BoxFuture<'e, sqlx::Result<sqlx::Describe<Sqlite>>>
    where
        'c: 'e,
    {
        self.conn.describe(sql)
    }
}

/// A statement with the savepoint opened before it.
struct WithSavepoint<E>(E);

impl<'q, E: Execute<'q, Sqlite>> Execute<'q, Sqlite> for WithSavepoint<E> {
    fn sql(self) -> sqlx::SqlStr {
        sqlx::SqlSafeStr::into_sql_str(sqlx::AssertSqlSafe(format!(
            "{SAVEPOINT}{}",
            self.0.sql().as_str()
        )))
    }

    fn statement(&self) -> Option<&SqliteStatement> {
        None
    }

    fn take_arguments(&mut self) -> Result<Option<SqliteArguments>, sqlx::error::BoxDynError> {
        self.0.take_arguments()
    }

    fn persistent(&self) -> bool {
        self.0.persistent()
    }
}

/// Writes a file's data to disk. The log's directory entry too, unless `directory_synced`:
/// the log is created by SQLite's first write after the database is opened.
fn sync_file(path: &std::path::Path, directory_synced: bool) -> std::io::Result<()> {
    match std::fs::File::open(path) {
        Ok(log) => log.sync_data()?,
        // No log: every commit is in the database file, which checkpoints sync.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    }
    if directory_synced {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            std::path::Path::new(".")
        } else {
            dir
        };
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// Says so when the disk holds every write up: a commit that checkpoints the log, or a sync,
/// taking far longer than the usual fraction of a millisecond.
fn slow(what: &str, started: std::time::Instant) {
    let took = started.elapsed();
    if took > std::time::Duration::from_millis(20) {
        tracing::warn!(millis = took.as_millis() as u64, "{what} took long");
    }
}
