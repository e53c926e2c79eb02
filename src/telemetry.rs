//! Logging to standard error, filtered by `HOOKLINE_LOG`. A log line that cannot be written
//! (stderr closed, disk full) is dropped and counted, never allowed to fail the request or
//! delivery that logged it; once writing works again, one line says how many were lost.

use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};

use tracing_subscriber::EnvFilter;

pub use crate::cli::LogFormat;
use tracing_subscriber::fmt::MakeWriter;

/// Log lines dropped since the last one that could be written.
static LOST: AtomicU64 = AtomicU64::new(0);

pub fn init(filter: &str, format: LogFormat) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(LossyStderr)
        // Its own report of a failed write goes to stderr with eprintln!, which panics.
        .log_internal_errors(false);
    // A second call (several apps in one test process) keeps the first subscriber.
    let _ = match format {
        LogFormat::Text => builder.with_ansi(io::stderr().is_terminal()).try_init(),
        // One JSON object per line: time, level, target, message and the event's fields.
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// Log lines lost so far and not yet reported.
pub fn lost_lines() -> u64 {
    LOST.load(Ordering::Relaxed)
}

/// Standard error, where a failed write is counted instead of reported to the caller.
#[derive(Clone, Copy)]
struct LossyStderr;

impl<'a> MakeWriter<'a> for LossyStderr {
    type Writer = LossyStderr;

    fn make_writer(&'a self) -> Self::Writer {
        *self
    }
}

impl Write for LossyStderr {
    fn write(&mut self, line: &[u8]) -> io::Result<usize> {
        let mut err = io::stderr().lock();
        let lost = LOST.load(Ordering::Relaxed);
        if lost > 0
            && writeln!(
                err,
                "WARN hookline: {lost} log line(s) could not be written and were lost"
            )
            .is_ok()
        {
            LOST.fetch_sub(lost, Ordering::Relaxed);
        }
        if err.write_all(line).is_err() {
            LOST.fetch_add(1, Ordering::Relaxed);
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let _ = io::stderr().flush();
        Ok(())
    }
}

/// Prints a line for the person at the console; a closed or full standard output must not
/// stop the server (`println!` would panic).
pub fn say(line: &str) {
    let _ = writeln!(io::stdout(), "{line}");
}
