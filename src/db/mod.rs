//! Storage: one module per table group, free functions over a pool or a transaction.
//! Write transactions are group-committed on one writer connection (see `writer`).

/// The SQL of a user's grants, `kind:right_code` pairs joined by commas (read by
/// `roles::rights_from_grants`), for the user id expression given; a literal, so that the
/// queries that embed it stay static strings.
macro_rules! grants_of {
    ($user:literal) => {
        concat!(
            "(SELECT string_agg(r.kind || ':' || COALESCE(rr.right_code, ''), ',')
              FROM user_roles ur JOIN roles r ON r.id = ur.role_id
              LEFT JOIN role_rights rr ON rr.role_id = r.id
              WHERE ur.user_id = ",
            $user,
            ")"
        )
    };
}

pub mod api_tokens;
pub mod app_log;
pub mod attempts;
pub mod availability;
mod background;
mod codes;
pub mod copy;
pub mod deliveries;
pub mod events;
pub mod history;
pub mod inbox;
pub mod list_filters;
pub mod pacing;
pub mod project_filters;
pub mod projects;
pub mod retention;
pub mod roles;
pub mod secrets;
pub mod seed;
pub mod sessions;
pub mod settings;
pub mod snapshot;
mod store;
pub use crate::execute_on as execute;
pub use crate::on_db as on;
pub mod throttle;
pub mod users;
pub mod webhook_health;
pub mod webhooks;
pub mod writer;

use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context, bail};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, PgPool, SqlitePool};

pub use background::BackgroundWrite;
pub use store::{Backend, PgSource, ReadTx, Source, SqliteSource, Store, Tx, commit_timer};

/// How long a connection waits for another writer before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether `database_url` names a PostgreSQL database rather than a SQLite file.
pub fn is_postgres(database_url: &str) -> bool {
    database_url.starts_with("postgres://") || database_url.starts_with("postgresql://")
}

async fn connect_sqlite(database_url: &str) -> anyhow::Result<SqlitePool> {
    if !database_url.starts_with("sqlite:") {
        bail!(
            "unsupported database URL {database_url:?}: Hookline stores its data in SQLite (sqlite://FILE) or PostgreSQL (postgres://USER@HOST/DATABASE)"
        );
    }
    let options = SqliteConnectOptions::from_str(database_url)
        .with_context(|| format!("invalid database URL {database_url:?}"))?
        .journal_mode(SqliteJournalMode::Wal)
        // FULL: a committed change survives power loss, not only a process crash. (The
        // writer connection commits with NORMAL and syncs the log itself, outside the write
        // lock, before anyone is told: see `writer`.)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        // The writer keeps its callers' savepoints until the shared commit: their undo
        // records stay in memory instead of spilling to a temporary file.
        .pragma("temp_store", "memory")
        .busy_timeout(BUSY_TIMEOUT);
    // The file is made here, once. A pooled connection opened later, while the file is away
    // (moved, deleted), would otherwise make an empty database in its place and stay in the
    // pool on it, failing every query it is given even once the file is back.
    sqlx::SqliteConnection::connect_with(&options.clone().create_if_missing(true))
        .await
        .with_context(|| format!("cannot open the database {database_url:?}"))?
        .close()
        .await?;
    SqlitePoolOptions::new()
        .max_connections(readers())
        .acquire_timeout(CONNECT_TIMEOUT)
        // A pooled SQLite connection cannot go stale; pinging it before each use would cost
        // every query a second hand-off to its thread.
        .test_before_acquire(false)
        .connect_with(options)
        .await
        .with_context(|| format!("cannot open the database {database_url:?}"))
}

/// Pooled connections: two per core, between 2 and 8. SQLite reads use no more cores than
/// there are, and each connection has a thread of its own, which the pool takes in turn: a
/// larger pool only means waking colder threads (measured: 8 cost about 15 % more CPU per
/// change than 2 or 4 on 2 cores), while a few spare ones keep a slow read from holding up
/// the others.
fn readers() -> u32 {
    (2 * cores()).clamp(2, 8)
}

/// The cores this process may run on (2 when the system does not say).
fn cores() -> u32 {
    std::thread::available_parallelism().map_or(2, |n| n.get() as u32)
}

/// Connections per instance on PostgreSQL unless told otherwise: four per core, from 4 to 16.
/// Commits wait for the disk, so a few connections per core keep the cores busy meanwhile
/// and let PostgreSQL write many commits at once. More only add backends competing for the
/// server's cores: measured with the server on the same 2 cores, its CPU per change rose
/// with the backends of all instances (about 440 µs with 16, 600 µs with 32), and two
/// instances of 16 delivered less than one.
fn postgres_connections() -> u32 {
    (4 * cores()).clamp(4, 16)
}

/// Opens a pool of at most `connections` on the PostgreSQL database at `database_url`, once
/// its schema is up to date.
async fn open_postgres(database_url: &str, connections: u32) -> anyhow::Result<PgPool> {
    let shown = without_password(database_url);
    let options = PgConnectOptions::from_str(database_url)
        .with_context(|| format!("invalid database URL {shown:?}"))?
        .application_name("hookline")
        // No change is acknowledged before PostgreSQL has it on disk, whatever the server's
        // default; PostgreSQL groups the commits of concurrent transactions by itself.
        .options([("synchronous_commit", "on")]);
    let connect = async |pool: PgPoolOptions| {
        pool.acquire_timeout(CONNECT_TIMEOUT)
            .connect_with(options.clone())
            .await
            .with_context(|| format!("cannot connect to the database {shown:?}"))
    };
    // On a connection of their own: the pool's open the collation the migrations make. sqlx
    // holds an advisory lock while it migrates, so instances starting together apply each
    // migration once, one after the other.
    let migrating = connect(PgPoolOptions::new().max_connections(1)).await?;
    POSTGRES_MIGRATIONS
        .run(&migrating)
        .await
        .context("cannot apply database migrations")?;
    migrating.close().await;
    connect(postgres_pool(connections)).await
}

/// How the pool of PostgreSQL connections serving an instance behaves.
fn postgres_pool(connections: u32) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(connections)
        // The pool checks each connection when it comes back (a round trip, which sqlx
        // always makes); checking it again when it is taken would cost every change one
        // more round trip (measured: a context switch a change). Only a connection left
        // idle for a while, which the server or the network may have dropped since, is
        // checked again.
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for > RECHECK_IDLE {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
        // Before any query: see `OPEN_NOCASE`.
        .after_connect(|conn, _| {
            Box::pin(async move { sqlx::query(OPEN_NOCASE).execute(conn).await.map(drop) })
        })
}

/// Makes a new PostgreSQL backend open the ICU collation behind `COLLATE NOCASE`, which takes
/// it 5-12 ms the first time. Left to its first use, that is most often a unique-index insert
/// (a project's code, a user's email) holding the index page's lock meanwhile, and every
/// other new backend inserting there waits in line: after a start, the first 100 ms of load
/// took 10-100 ms a change, waiting on that lock (`BufferContent` in `pg_stat_activity`,
/// about half of what the server's backends did in the first second).
const OPEN_NOCASE: &str = "SELECT 'a' = 'A' COLLATE nocase";

/// How long a pooled PostgreSQL connection may rest before it is checked again on use.
const RECHECK_IDLE: Duration = Duration::from_secs(1);

/// How long a start waits for PostgreSQL, and a query for a free connection (on either
/// database: past it, the request is told the database is unavailable).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A database URL as it may be shown or logged: any password replaced.
pub fn without_password(database_url: &str) -> String {
    match url::Url::parse(database_url) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        _ => database_url.to_owned(),
    }
}

/// Each backend's migrations, built into the binary once: applied at start, and what
/// `/health/ready` expects to find applied.
static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

async fn migrate_sqlite(pool: &SqlitePool) -> anyhow::Result<()> {
    SQLITE_MIGRATIONS
        .run(pool)
        .await
        .context("cannot apply database migrations")
}

/// Writes a consistent copy of the database to `file` (SQLite's `VACUUM INTO`: one read
/// transaction, so writes may go on meanwhile), compacted and with nothing in a log beside it.
pub async fn backup(store: &Store, file: &std::path::Path) -> anyhow::Result<()> {
    let Some(pool) = store.sqlite() else {
        bail!(
            "on PostgreSQL, back up with PostgreSQL's own tools: pg_dump --format=custom DATABASE > FILE"
        );
    };
    let path = file
        .to_str()
        .context("the backup file's name must be valid UTF-8")?;
    sqlx::query("VACUUM INTO $1")
        .bind(path)
        .execute(pool)
        .await
        .with_context(|| format!("cannot write the backup to {path}"))?;
    Ok(())
}

/// After a bulk load, PostgreSQL's planner statistics, as autovacuum would gather them within
/// a minute or so: until then, plans are made for tables of unknown contents, and each
/// connection keeps those it made while a table was empty (reading it whole, the cheapest
/// way through an empty table). SQLite plans without statistics, and keeps it so.
pub async fn gather_statistics(store: &Store) -> sqlx::Result<()> {
    if let Some(pool) = store.postgres() {
        sqlx::query("ANALYZE").execute(pool).await?;
    }
    Ok(())
}

/// Copies the write-ahead log into the database file and empties it, so that after a clean
/// stop the database file alone holds everything (copying it is a backup too).
/// Nothing to do on PostgreSQL, which keeps its own log.
pub async fn checkpoint(store: &Store) -> sqlx::Result<()> {
    if let Some(pool) = store.sqlite() {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(pool)
            .await?;
    }
    Ok(())
}

pub use crate::clock::now_ms;

/// Why the database is not ready to serve, as `/health/ready` says it: in words that give
/// nothing away to whoever asks (the details go to the log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotReady {
    Unreachable,
    MigrationsMissing,
}

impl std::fmt::Display for NotReady {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NotReady::Unreachable => "the database does not answer",
            NotReady::MigrationsMissing => {
                "the database lacks migrations this version of Hookline needs"
            }
        })
    }
}

/// Whether the database answers within `within` — on SQLite, also whether the file it was
/// opened on is still in its place (pooled connections would go on writing into a deleted
/// file) — and has every migration this binary knows.
pub async fn check_ready(store: &Store, within: Duration) -> Result<(), NotReady> {
    let known = match store.backend() {
        Backend::Sqlite => &SQLITE_MIGRATIONS,
        Backend::Postgres => &POSTGRES_MIGRATIONS,
    }
    .iter()
    .map(|m| m.version)
    .max();
    let applied = async {
        if let Some((path, opened)) = store.sqlite_file() {
            let now = tokio::fs::metadata(&path)
                .await
                .with_context(|| format!("the database file {} is gone", path.display()))?;
            // A new connection would have made an empty file in its place.
            anyhow::ensure!(
                store::FileId::of(&now) == opened,
                "the database file {} was replaced",
                path.display()
            );
        }
        let applied: Option<i64> = on!(store, ex => sqlx::query_scalar(
            "SELECT MAX(version) FROM _sqlx_migrations WHERE success",
        )
        .fetch_one(ex)
        .await)?;
        anyhow::Ok(applied)
    };
    match tokio::time::timeout(within, applied).await {
        Ok(Ok(applied)) if applied >= known => Ok(()),
        Ok(Ok(_)) => Err(NotReady::MigrationsMissing),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: the database does not answer");
            Err(NotReady::Unreachable)
        }
        Err(_) => {
            tracing::warn!("readiness: the database did not answer in time");
            Err(NotReady::Unreachable)
        }
    }
}
