//! A webhook's mode: how it is called.

/// How a webhook is called: through the queue, while the person waits, or inside the
/// change's transaction with the power to refuse it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    Asynchronous,
    Synchronous,
    SynchronousInTransaction,
}

impl crate::domain::Coded for Mode {
    const ALL: &'static [Self] = &[
        Self::Asynchronous,
        Self::Synchronous,
        Self::SynchronousInTransaction,
    ];

    fn code(self) -> &'static str {
        match self {
            Self::Asynchronous => "async",
            Self::Synchronous => "sync",
            Self::SynchronousInTransaction => "sync_tx",
        }
    }
}

impl Mode {
    pub fn from_flags(synchronous: bool, in_transaction: bool) -> Mode {
        match (synchronous, in_transaction) {
            (false, _) => Mode::Asynchronous,
            (true, false) => Mode::Synchronous,
            (true, true) => Mode::SynchronousInTransaction,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Mode::Asynchronous => "Asynchronous",
            Mode::Synchronous => "Synchronous",
            Mode::SynchronousInTransaction => "Synchronous in transaction",
        }
    }

    pub fn synchronous(self) -> bool {
        self != Mode::Asynchronous
    }

    pub fn in_transaction(self) -> bool {
        self == Mode::SynchronousInTransaction
    }
}
