//! Group commit: SQLite has one writer per database file, and with `synchronous=FULL` each
//! commit waits for the disk (a few hundred microseconds here). So every write transaction of
//! a database runs on one dedicated connection inside a shared transaction (the first caller
//! opens it, each later one works in a savepoint of its own), and whoever finishes first
//! commits everything written so far in one fsync. Every statement costs a hand-off to
//! SQLite's thread, so a caller pays one for its start and none for its commit.
//!
//! A caller's `commit` returns only once its work is durable, exactly as with a transaction
//! of its own; a caller that rolls back (or is dropped) undoes only its own work. While one
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
    /// A write transaction of one's own, as far as the caller can tell. The caller that
    /// opens the shared transaction is alone in it until it finishes, so it needs no
    /// savepoint: undoing its work is undoing the whole transaction.
    pub async fn begin(self: &Arc<Self>) -> sqlx::Result<Tx> {
        let mut guard = self.shared.clone().lock_owned().await;
        let savepoint = if guard.open {
            guard.next_savepoint += 1;
            let savepoint = format!("w{}", guard.next_savepoint);
            guard
                .conn
                .execute(sqlx::AssertSqlSafe(format!("SAVEPOINT {savepoint}")))
                .await?;
            Some(savepoint)
        } else {
            guard.conn.execute("BEGIN IMMEDIATE").await?;
            guard.open = true;
            guard.epoch += 1;
            None
        };
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
    /// None for the caller that opened the shared transaction.
    savepoint: Option<String>,
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

    /// Keeps this caller's changes and returns as soon as others can build on them: at once
    /// when this caller opened the shared transaction (everything it read was already
    /// committed), the commit following in the background; otherwise once durable. For
    /// bookkeeping that may be lost in a crash without harm, such as claiming deliveries
    /// under a lease (a lost claim only means the delivery is sent again).
    pub async fn commit_soon(mut self) -> sqlx::Result<()> {
        drop(self.guard.take());
        if self.savepoint.is_some() {
            return self.writer.flush(self.epoch).await;
        }
        let (writer, epoch) = (self.writer.clone(), self.epoch);
        tokio::spawn(async move {
            if let Err(e) = writer.flush(epoch).await {
                tracing::error!(error = %e, "a background commit failed");
            }
        });
        Ok(())
    }

    /// Undoes this caller's changes only. Nothing waits for the disk: the others in the
    /// shared transaction commit it themselves.
    pub async fn rollback(mut self) -> sqlx::Result<()> {
        let mut guard = self.guard.take().expect("an unfinished transaction");
        undo(
            &mut guard,
            self.savepoint.as_deref(),
            self.epoch,
            &self.writer,
        )
        .await;
        Ok(())
    }
}

async fn undo(guard: &mut Shared, savepoint: Option<&str>, epoch: u64, writer: &Writer) {
    let result = match savepoint {
        Some(s) => {
            let sql = format!("ROLLBACK TO {s}; RELEASE {s}");
            guard.conn.execute(sqlx::AssertSqlSafe(sql)).await
        }
        None => {
            let result = guard.conn.execute("ROLLBACK").await;
            guard.open = false;
            writer.done.send_replace(epoch);
            result
        }
    };
    if let Err(e) = result {
        tracing::error!(error = %e, "cannot roll back a write transaction");
    }
}

impl Drop for Tx {
    /// Dropped unfinished (an error returned early): undo this part, as a dropped sqlx
    /// transaction would roll back.
    fn drop(&mut self) {
        if let Some(mut guard) = self.guard.take() {
            let savepoint = self.savepoint.take();
            let writer = self.writer.clone();
            let epoch = self.epoch;
            tokio::spawn(async move {
                undo(&mut guard, savepoint.as_deref(), epoch, &writer).await;
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
