//! One caller's part of the shared transaction: commit, commit soon or in the background,
//! roll back, or be dropped — each undoing only its own work.

use super::*;

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
