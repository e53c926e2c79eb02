//! Where a query reads, per backend: pooled connections or one connection in a transaction.
//! Each is an sqlx executor of its database, so a query written once runs on either (see
//! `on_db!`).

use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use sqlx::{Database, Either, Execute, Executor, PgConnection, PgPool, Postgres, Sqlite};
use sqlx::{SqliteConnection, SqlitePool};

use crate::db::writer::SharedConnection;

/// A SQLite source: a pooled connection, the writer's (inside a write transaction), or a
/// read transaction's.
#[derive(Debug)]
pub enum SqliteSource<'c> {
    Pool(&'c SqlitePool),
    Tx(&'c mut SharedConnection),
    Conn(&'c mut SqliteConnection),
}

/// A PostgreSQL source: a pooled connection, or a transaction's.
#[derive(Debug)]
pub enum PgSource<'c> {
    Pool(&'c PgPool),
    Conn(&'c mut PgConnection),
}

impl SqliteSource<'_> {
    /// The SQL of this backend, where the two dialects differ.
    pub fn pick<T>(&self, sqlite: T, _postgres: T) -> T {
        sqlite
    }

    pub fn reborrow(&mut self) -> SqliteSource<'_> {
        match self {
            SqliteSource::Pool(pool) => SqliteSource::Pool(pool),
            SqliteSource::Tx(conn) => SqliteSource::Tx(conn),
            SqliteSource::Conn(conn) => SqliteSource::Conn(conn),
        }
    }
}

impl PgSource<'_> {
    /// The SQL of this backend, where the two dialects differ.
    pub fn pick<T>(&self, _sqlite: T, postgres: T) -> T {
        postgres
    }

    pub fn reborrow(&mut self) -> PgSource<'_> {
        match self {
            PgSource::Pool(pool) => PgSource::Pool(pool),
            PgSource::Conn(conn) => PgSource::Conn(conn),
        }
    }
}

/// Runs each executor method on whichever connection the source holds.
macro_rules! executor_by_variant {
    ($source:ident, $db:ty, $($variant:ident),+) => {
        impl<'c> Executor<'c> for $source<'c> {
            type Database = $db;

            fn fetch_many<'e, 'q: 'e, E>(
                self,
                query: E,
            ) -> BoxStream<
                'e,
                sqlx::Result<Either<<$db as Database>::QueryResult, <$db as Database>::Row>>,
            >
            where
                'c: 'e,
                E: 'q + Execute<'q, $db>,
            {
                match self {
                    $($source::$variant(x) => x.fetch_many(query),)+
                }
            }

            fn fetch_optional<'e, 'q: 'e, E>(
                self,
                query: E,
            ) -> BoxFuture<'e, sqlx::Result<Option<<$db as Database>::Row>>>
            where
                'c: 'e,
                E: 'q + Execute<'q, $db>,
            {
                match self {
                    $($source::$variant(x) => x.fetch_optional(query),)+
                }
            }

            fn prepare_with<'e>(
                self,
                sql: sqlx::SqlStr,
                parameters: &'e [<$db as Database>::TypeInfo],
            ) -> BoxFuture<'e, sqlx::Result<<$db as Database>::Statement>>
            where
                'c: 'e,
            {
                match self {
                    $($source::$variant(x) => x.prepare_with(sql, parameters),)+
                }
            }

            fn describe<'e>(
                self,
                sql: sqlx::SqlStr,
            ) -> BoxFuture<'e, sqlx::Result<sqlx::Describe<$db>>>
            where
                'c: 'e,
            {
                match self {
                    $($source::$variant(x) => x.describe(sql),)+
                }
            }
        }
    };
}

executor_by_variant!(SqliteSource, Sqlite, Pool, Tx, Conn);
executor_by_variant!(PgSource, Postgres, Pool, Conn);
