//! The writer's connection as a caller writes on it: each statement goes to SQLite with the
//! caller's savepoint riding on the first.

use super::*;

impl std::fmt::Debug for SharedConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedConnection")
            .field("open", &self.open)
            .field("epoch", &self.epoch)
            .field("savepoint", &self.savepoint)
            .finish_non_exhaustive()
    }
}

/// Statements run on the connection as they are, except a joining caller's first, which
/// opens its savepoint on the way (`SAVEPOINT w; ` before it, one round trip for both).
impl<'c> Executor<'c> for &'c mut SharedConnection {
    type Database = Sqlite;

    fn fetch_many<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxStream<'e, sqlx::Result<Either<SqliteQueryResult, SqliteRow>>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Sqlite>,
    {
        let SharedConnection {
            conn, savepoint, ..
        } = self;
        if *savepoint != Savepoint::Pending {
            return conn.fetch_many(query);
        }
        let mut results = conn.fetch_many(WithSavepoint(query));
        let mut answered = false;
        futures_util::stream::poll_fn(move |cx| {
            // From the first poll on, the statements are SQLite's.
            if !answered {
                *savepoint = Savepoint::Sent;
            }
            loop {
                let next = std::task::ready!(results.poll_next_unpin(cx));
                if answered {
                    return std::task::Poll::Ready(next);
                }
                answered = true;
                match next {
                    // The savepoint's own result: not the caller's to see.
                    Some(Ok(Either::Left(_))) => *savepoint = Savepoint::Open,
                    // It could not be opened, so nothing after it ran.
                    other => {
                        *savepoint = Savepoint::None;
                        return std::task::Poll::Ready(other);
                    }
                }
            }
        })
        .boxed()
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxFuture<'e, sqlx::Result<Option<SqliteRow>>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Sqlite>,
    {
        if self.savepoint != Savepoint::Pending {
            return self.conn.fetch_optional(query);
        }
        async move {
            let mut results = self.fetch_many(query);
            while let Some(result) = results.try_next().await? {
                if let Either::Right(row) = result {
                    return Ok(Some(row));
                }
            }
            Ok(None)
        }
        .boxed()
    }

    fn prepare_with<'e>(
        self,
        sql: sqlx::SqlStr,
        parameters: &'e [SqliteTypeInfo],
    ) -> BoxFuture<'e, sqlx::Result<SqliteStatement>>
    where
        'c: 'e,
    {
        self.conn.prepare_with(sql, parameters)
    }

    fn describe<'e>(self, sql: sqlx::SqlStr) -> BoxFuture<'e, sqlx::Result<sqlx::Describe<Sqlite>>>
    where
        'c: 'e,
    {
        self.conn.describe(sql)
    }
}

/// A statement with the savepoint opened before it.
struct WithSavepoint<E>(E);

impl<'q, E: Execute<'q, Sqlite>> Execute<'q, Sqlite> for WithSavepoint<E> {
    fn sql(self) -> sqlx::SqlStr {
        sqlx::SqlSafeStr::into_sql_str(sqlx::AssertSqlSafe(format!(
            "{SAVEPOINT}{}",
            self.0.sql().as_str()
        )))
    }

    fn statement(&self) -> Option<&SqliteStatement> {
        None
    }

    fn take_arguments(&mut self) -> Result<Option<SqliteArguments>, sqlx::error::BoxDynError> {
        self.0.take_arguments()
    }

    fn persistent(&self) -> bool {
        self.0.persistent()
    }
}
