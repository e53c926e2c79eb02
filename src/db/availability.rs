//! Telling a database that cannot serve just now (unreachable, restarting, out of
//! connections, every pooled connection busy past the wait) from a fault in the request or in
//! Hookline: the first is worth trying again in a moment, and is answered 503, not 500.

use sqlx::error::DatabaseError;
use sqlx::postgres::PgDatabaseError;
use sqlx::sqlite::SqliteError;

/// Whether `e` says the database cannot serve just now.
pub fn unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed => true,
        sqlx::Error::Database(d) => unavailable_database(d.as_ref()),
        _ => false,
    }
}

/// Whether `e` says the connection itself was lost (the server or the network dropped it):
/// what a connection left in the pool across a restart or a failover fails with.
pub fn connection_lost(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) => true,
        sqlx::Error::Database(d) => d
            .try_downcast_ref::<PgDatabaseError>()
            .is_some_and(|e| lost_code(e.code())),
        _ => false,
    }
}

/// PostgreSQL's SQLSTATEs for a connection lost (class 08) or ended by a server shutting
/// down or crashed (57P01, 57P02).
fn lost_code(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "57P01" | "57P02")
}

/// Whether any database error behind `e` says the database cannot serve just now.
pub fn unavailable_behind(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|cause| cause.downcast_ref::<sqlx::Error>())
        .any(unavailable)
}

fn unavailable_database(e: &dyn DatabaseError) -> bool {
    if let Some(e) = e.try_downcast_ref::<PgDatabaseError>() {
        // Besides a lost connection: 57P03, the server is still starting; 53300, it has no
        // connection slot left.
        return lost_code(e.code()) || matches!(e.code(), "57P03" | "53300");
    }
    if e.try_downcast_ref::<SqliteError>().is_some() {
        // The primary code under the extended one: 5, the database stayed busy past the
        // wait; 14, its file cannot be opened (moved away, its disk gone).
        let primary = e
            .code()
            .and_then(|c| c.parse::<i32>().ok())
            .map(|c| c & 0xff);
        return matches!(primary, Some(5 | 14));
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lost_connections_and_a_full_pool_are_unavailable_and_faults_are_not() {
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        assert!(unavailable(&sqlx::Error::Io(reset)));
        assert!(unavailable(&sqlx::Error::PoolTimedOut));
        assert!(unavailable(&sqlx::Error::PoolClosed));
        assert!(!unavailable(&sqlx::Error::RowNotFound));
        assert!(!unavailable(&sqlx::Error::Protocol(
            "unexpected message".into()
        )));
        let reset = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        assert!(connection_lost(&sqlx::Error::Io(reset)));
        // Waiting for a connection again would only wait as long again.
        assert!(!connection_lost(&sqlx::Error::PoolTimedOut));
        assert!(!connection_lost(&sqlx::Error::RowNotFound));
    }

    #[test]
    fn an_error_is_found_behind_the_context_given_to_it() {
        let wrapped =
            anyhow::Error::new(sqlx::Error::PoolTimedOut).context("cannot read the webhooks");
        assert!(unavailable_behind(&wrapped));
        let fault = anyhow::Error::new(sqlx::Error::RowNotFound).context("no such webhook");
        assert!(!unavailable_behind(&fault));
        assert!(!unavailable_behind(&anyhow::anyhow!("a bug")));
    }

    #[tokio::test]
    async fn a_sqlite_file_that_cannot_be_opened_is_unavailable() {
        use sqlx::ConnectOptions;
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("away").join("hookline.db");
        let e = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(missing)
            .connect()
            .await
            .expect_err("there is no such file");
        assert!(unavailable(&e), "{e:?}");
    }
}
