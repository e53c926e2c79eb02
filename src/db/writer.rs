//! Group commit: SQLite has one writer per database file, and with `synchronous=FULL` each
//! commit waits for the disk (a few hundred microseconds here). So every write transaction of
//! a database runs on one dedicated connection, each as a savepoint inside a shared
//! transaction, and whoever finishes first commits everything written so far in one fsync.
//!
//! A caller's `commit` returns only once its work is durable, exactly as with a transaction
//! of its own; a caller that rolls back (or is dropped) undoes only its savepoint. While one
//! commit waits for the disk, the next callers queue behind it and share the following one,
//! so throughput grows with concurrency instead of being capped at one fsync per change.

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex as StdMutex};

use sqlx::sqlite::SqliteConnection;
use sqlx::{Connection, Executor, SqlitePool};
use tokio::sync::{Mutex, OwnedMutexGuard, watch};

struct Shared {
    conn: SqliteConnection,
    /// Whether `BEGIN IMMEDIATE` was issued and not yet committed.
    open: bool,
    /// The number of the open (or last) shared transaction.
    epoch: u64,
    next_savepoint: u64,
}

pub struct Writer {
    shared: Arc<Mutex<Shared>>,
    /// The last epoch whose commit finished, successfully or not.
    done: watch::Sender<u64>,
    /// Epochs whose commit failed, with the error, for their callers to report.
    failed: StdMutex<HashMap<u64, String>>,
}

type WriterCell = Arc<tokio::sync::OnceCell<Arc<Writer>>>;

/// Writers by database file: each file gets one, whoever opens it.
static WRITERS: LazyLock<StdMutex<HashMap<PathBuf, WriterCell>>> = LazyLock::new(Default::default);

/// The writer of `pool`'s database.
pub async fn writer_of(pool: &SqlitePool) -> sqlx::Result<Arc<Writer>> {
    let options = pool.connect_options();
    let cell = WRITERS
        .lock()
        .expect("writers lock")
        .entry(options.get_filename().to_path_buf())
        .or_default()
        .clone();
    cell.get_or_try_init(|| async {
        let conn = SqliteConnection::connect_with(&options).await?;
        Ok(Arc::new(Writer {
            shared: Arc::new(Mutex::new(Shared {
                conn,
                open: false,
                epoch: 0,
                next_savepoint: 0,
            })),
            done: watch::Sender::new(0),
            failed: StdMutex::new(HashMap::new()),
        }))
    })
    .await
    .cloned()
}

impl Writer {
    /// A write transaction of one's own, as far as the caller can tell.
    pub async fn begin(self: &Arc<Self>) -> sqlx::Result<Tx> {
        let mut guard = self.shared.clone().lock_owned().await;
        if !guard.open {
            guard.conn.execute("BEGIN IMMEDIATE").await?;
            guard.open = true;
            guard.epoch += 1;
        }
        guard.next_savepoint += 1;
        let savepoint = format!("w{}", guard.next_savepoint);
        if let Err(e) = guard
            .conn
            .execute(sqlx::AssertSqlSafe(format!("SAVEPOINT {savepoint}")))
            .await
        {
            let epoch = guard.epoch;
            drop(guard);
            let _ = self.flush(epoch).await;
            return Err(e);
        }
        Ok(Tx {
            epoch: guard.epoch,
            guard: Some(guard),
            savepoint,
            writer: self.clone(),
        })
    }

    /// Returns once epoch `epoch` is committed: commits it if no one has yet.
    async fn flush(&self, epoch: u64) -> sqlx::Result<()> {
        let mut done = self.done.subscribe();
        let committed = async move {
            while *done.borrow_and_update() < epoch {
                if done.changed().await.is_err() {
                    return;
                }
            }
        };
        tokio::select! {
            guard = self.shared.clone().lock_owned() => self.commit_if_open(guard, epoch).await?,
            () = committed => {}
        }
        match self.failed.lock().expect("failures lock").get(&epoch) {
            Some(e) => Err(sqlx::Error::Protocol(format!("the commit failed: {e}"))),
            None => Ok(()),
        }
    }

    async fn commit_if_open(
        &self,
        mut guard: OwnedMutexGuard<Shared>,
        epoch: u64,
    ) -> sqlx::Result<()> {
        if !guard.open || guard.epoch != epoch {
            return Ok(());
        }
        let result = guard.conn.execute("COMMIT").await.map(|_| ());
        if let Err(e) = &result {
            // The transaction is gone either way: start the next one clean.
            let _ = guard.conn.execute("ROLLBACK").await;
            let mut failed = self.failed.lock().expect("failures lock");
            if failed.len() > 1000 {
                failed.clear();
            }
            failed.insert(epoch, e.to_string());
        }
        guard.open = false;
        drop(guard);
        self.done.send_replace(epoch);
        Ok(())
    }
}

/// One caller's part of the shared transaction.
pub struct Tx {
    guard: Option<OwnedMutexGuard<Shared>>,
    savepoint: String,
    epoch: u64,
    writer: Arc<Writer>,
}

impl Tx {
    /// Keeps this caller's changes and returns once they are durable.
    pub async fn commit(mut self) -> sqlx::Result<()> {
        let mut guard = self.guard.take().expect("an unfinished transaction");
        let released = guard
            .conn
            .execute(sqlx::AssertSqlSafe(format!("RELEASE {}", self.savepoint)))
            .await;
        if let Err(e) = released {
            undo(&mut guard, &self.savepoint).await;
            drop(guard);
            self.writer.flush(self.epoch).await?;
            return Err(e);
        }
        drop(guard);
        self.writer.flush(self.epoch).await
    }

    /// Undoes this caller's changes only.
    pub async fn rollback(mut self) -> sqlx::Result<()> {
        let mut guard = self.guard.take().expect("an unfinished transaction");
        undo(&mut guard, &self.savepoint).await;
        drop(guard);
        self.writer.flush(self.epoch).await
    }
}

async fn undo(guard: &mut Shared, savepoint: &str) {
    let sql = format!("ROLLBACK TO {savepoint}; RELEASE {savepoint}");
    if let Err(e) = guard.conn.execute(sqlx::AssertSqlSafe(sql)).await {
        tracing::error!(error = %e, "cannot roll back a savepoint");
    }
}

impl Drop for Tx {
    /// Dropped unfinished (an error returned early): undo this part, then let the shared
    /// transaction end, as a dropped sqlx transaction would roll back.
    fn drop(&mut self) {
        if let Some(mut guard) = self.guard.take() {
            let savepoint = std::mem::take(&mut self.savepoint);
            let writer = self.writer.clone();
            let epoch = self.epoch;
            tokio::spawn(async move {
                undo(&mut guard, &savepoint).await;
                drop(guard);
                let _ = writer.flush(epoch).await;
            });
        }
    }
}

impl Deref for Tx {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        &self.guard.as_ref().expect("an unfinished transaction").conn
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.guard.as_mut().expect("an unfinished transaction").conn
    }
}
