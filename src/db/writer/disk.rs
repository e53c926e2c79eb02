//! Getting commits to disk without holding the writer up: the log synced outside the write
//! lock, checkpoints on a connection of their own, and the log started over when it grows.

use super::*;

/// How often, at most, the log is checkpointed while commits go on.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// Frames (pages) in the log after which it is made to start over (see `restart_log`):
/// 64 MB with 4 KB pages, a pause of a few milliseconds every few seconds of steady writes.
const RESTART_AFTER_FRAMES: i64 = 16_384;

/// What is left of the log file when it starts over: a log that is reused, not regrown,
/// costs its sync no change to the file's size.
pub(super) const LOG_SIZE_LIMIT: &str = "67108864";

impl Writer {
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
    pub(super) fn sync_soon(self: &Arc<Self>) {
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
pub(super) fn slow(what: &str, started: std::time::Instant) {
    let took = started.elapsed();
    if took > std::time::Duration::from_millis(20) {
        tracing::warn!(millis = took.as_millis() as u64, "{what} took long");
    }
}
