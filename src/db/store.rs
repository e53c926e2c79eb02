//! The storage seam: what services and handlers hold to reach the database — the pooled
//! readers and the one writer — and `Source`, where a query reads: any pooled connection,
//! or a write transaction that sees its own writes. Nothing above `db` names SQLite: a
//! second backend fills these two types in.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use sqlx::sqlite::{SqliteQueryResult, SqliteRow, SqliteStatement, SqliteTypeInfo};
use sqlx::{Either, Execute, Executor, Sqlite, SqliteConnection, SqlitePool};

use super::writer::{BackgroundWrite, SharedConnection, Tx, Writer};

/// A database: pooled connections for reads, one writer for write transactions (see
/// `writer`). Cloning it shares both.
#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
    writer: Arc<Writer>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("pool", &self.pool)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens the database at `database_url` (created if missing) and applies the migrations.
    pub async fn open(database_url: &str) -> anyhow::Result<Store> {
        let pool = super::connect(database_url).await?;
        super::migrate(&pool).await?;
        let writer = Writer::open(&pool).await?;
        Ok(Store { pool, writer })
    }

    /// A write transaction, group-committed with the others on the one writer connection.
    pub async fn begin_write(&self) -> sqlx::Result<Tx> {
        self.writer.begin().await
    }

    /// Returns once what was committed in the background (`Tx::commit_in_background`) is
    /// visible: every request starts with it, so it sees what earlier responses reported.
    pub async fn caught_up(&self) {
        self.writer.caught_up().await
    }

    /// Marks a write left to a task of its own (see `Writer::background_write`).
    pub fn background_write(&self) -> BackgroundWrite {
        self.writer.background_write()
    }

    /// The pooled connections: for this module's queries, and tests that look at rows.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

/// A store runs queries on its pooled connections (tests and tools read rows so).
impl<'c> Executor<'c> for &'c Store {
    type Database = Sqlite;

    fn fetch_many<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxStream<'e, sqlx::Result<Either<SqliteQueryResult, SqliteRow>>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Sqlite>,
    {
        self.pool.fetch_many(query)
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxFuture<'e, sqlx::Result<Option<SqliteRow>>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Sqlite>,
    {
        self.pool.fetch_optional(query)
    }

    fn prepare_with<'e>(
        self,
        sql: sqlx::SqlStr,
        parameters: &'e [SqliteTypeInfo],
    ) -> BoxFuture<'e, sqlx::Result<SqliteStatement>>
    where
        'c: 'e,
    {
        self.pool.prepare_with(sql, parameters)
    }

    fn describe<'e>(self, sql: sqlx::SqlStr) -> BoxFuture<'e, sqlx::Result<sqlx::Describe<Sqlite>>>
    where
        'c: 'e,
    {
        self.pool.describe(sql)
    }
}

/// Where a query reads: `&store` (any pooled connection) or `&mut tx` (inside a write
/// transaction, seeing its writes).
#[derive(Debug)]
pub enum Source<'c> {
    Pool(&'c SqlitePool),
    Tx(&'c mut SharedConnection),
    /// A read transaction of this module's own (a snapshot across several queries).
    Conn(&'c mut SqliteConnection),
}

impl<'c> Source<'c> {
    /// The source a query function was given.
    pub fn of(db: impl Into<Source<'c>>) -> Self {
        db.into()
    }

    /// The same source for one more query, keeping it for those after.
    pub fn reborrow(&mut self) -> Source<'_> {
        match self {
            Source::Pool(pool) => Source::Pool(pool),
            Source::Tx(conn) => Source::Tx(conn),
            Source::Conn(conn) => Source::Conn(conn),
        }
    }
}

impl<'c> From<&'c Store> for Source<'c> {
    fn from(store: &'c Store) -> Self {
        Source::Pool(&store.pool)
    }
}

impl<'c> From<&'c mut Tx> for Source<'c> {
    fn from(tx: &'c mut Tx) -> Self {
        Source::Tx(tx)
    }
}

impl<'c> From<&'c mut SharedConnection> for Source<'c> {
    fn from(conn: &'c mut SharedConnection) -> Self {
        Source::Tx(conn)
    }
}

impl<'c> From<&'c mut SqliteConnection> for Source<'c> {
    fn from(conn: &'c mut SqliteConnection) -> Self {
        Source::Conn(conn)
    }
}

impl<'c> Executor<'c> for Source<'c> {
    type Database = Sqlite;

    fn fetch_many<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxStream<'e, sqlx::Result<Either<SqliteQueryResult, SqliteRow>>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Sqlite>,
    {
        match self {
            Source::Pool(pool) => pool.fetch_many(query),
            Source::Tx(conn) => conn.fetch_many(query),
            Source::Conn(conn) => conn.fetch_many(query),
        }
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxFuture<'e, sqlx::Result<Option<SqliteRow>>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Sqlite>,
    {
        match self {
            Source::Pool(pool) => pool.fetch_optional(query),
            Source::Tx(conn) => conn.fetch_optional(query),
            Source::Conn(conn) => conn.fetch_optional(query),
        }
    }

    fn prepare_with<'e>(
        self,
        sql: sqlx::SqlStr,
        parameters: &'e [SqliteTypeInfo],
    ) -> BoxFuture<'e, sqlx::Result<SqliteStatement>>
    where
        'c: 'e,
    {
        match self {
            Source::Pool(pool) => pool.prepare_with(sql, parameters),
            Source::Tx(conn) => conn.prepare_with(sql, parameters),
            Source::Conn(conn) => conn.prepare_with(sql, parameters),
        }
    }

    fn describe<'e>(self, sql: sqlx::SqlStr) -> BoxFuture<'e, sqlx::Result<sqlx::Describe<Sqlite>>>
    where
        'c: 'e,
    {
        match self {
            Source::Pool(pool) => pool.describe(sql),
            Source::Tx(conn) => conn.describe(sql),
            Source::Conn(conn) => conn.describe(sql),
        }
    }
}
