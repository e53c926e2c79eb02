//! Writes left to tasks of their own, which requests wait for: each is marked while it runs
//! (a `BackgroundWrite`), and `caught_up` returns once none is.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Notify;

#[derive(Debug, Default)]
pub struct Background {
    running: AtomicUsize,
    finished: Notify,
}

impl Background {
    /// Marks one write as under way until the mark is dropped.
    pub fn start(self: &Arc<Self>) -> BackgroundWrite {
        self.running.fetch_add(1, Ordering::AcqRel);
        BackgroundWrite(self.clone())
    }

    /// Returns once no write is marked. Free when none is.
    pub async fn caught_up(&self) {
        loop {
            // Created before the count is read, so no wake-up can fall between the two.
            let finished = self.finished.notified();
            if self.running.load(Ordering::Acquire) == 0 {
                return;
            }
            finished.await;
        }
    }
}

/// A write under way in the background: requests wait for it until it is dropped.
pub struct BackgroundWrite(Arc<Background>);

impl Drop for BackgroundWrite {
    fn drop(&mut self) {
        if self.0.running.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.finished.notify_waiters();
        }
    }
}
