//! Group commit: many concurrent write transactions share commits, yet each one's commit,
//! rollback or abandonment affects only its own changes.

use hookline::{execute_on, on_db};
use std::sync::Arc;

use hookline::db;

use crate::helpers::*;

/// Whether this is the PostgreSQL run of the suite, in which the tests that measure SQLite's
/// log as it grows stand aside: they ran in the SQLite run, and a PostgreSQL server busy
/// with the other tests on the same cores is no condition to measure SQLite's files in.
fn measured_in_the_sqlite_run() -> bool {
    on_postgres()
}

/// The writer's connection, as a write part holds it.
fn conn(tx: &mut db::Tx) -> &mut db::writer::SharedConnection {
    match tx {
        db::Tx::Sqlite(tx) => tx,
        db::Tx::Postgres { .. } => unreachable!("the writer's tests run on SQLite"),
    }
}

/// The app's pool, with an empty table `probe (n)` to write in.
async fn probe_table(app: &TestApp) -> hookline::db::Store {
    let pool = app.state.store.clone();
    execute_on!(
        &pool,
        sqlx::query("CREATE TABLE probe (n INTEGER PRIMARY KEY)")
    )
    .unwrap();
    pool
}

#[tokio::test]
async fn concurrent_transactions_keep_exactly_what_each_committed() {
    let app = spawn_sqlite_app().await;
    let pool = probe_table(&app).await;
    let barrier = Arc::new(tokio::sync::Barrier::new(60));
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..60i64 {
        let (pool, barrier) = (pool.clone(), barrier.clone());
        tasks.spawn(async move {
            barrier.wait().await;
            let tx = part_writing(&pool, n).await;
            match n % 3 {
                0 => {
                    tx.commit().await.unwrap();
                    // Durable and visible to every other connection once commit returns.
                    let seen: i64 = on_db!(&pool, ex => sqlx::query_scalar("SELECT COUNT(*) FROM probe WHERE n = $1")
                        .bind(n)
                        .fetch_one(ex)
                        .await)
                        .unwrap();
                    assert_eq!(seen, 1, "row {n} visible after its commit");
                }
                1 => tx.rollback().await.unwrap(),
                _ => drop(tx),
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    // An abandoned part is undone in the background; the next transaction comes after it.
    let tx = pool.begin_write().await.unwrap();
    tx.commit().await.unwrap();
    let kept: Vec<i64> = on_db!(&pool, ex => sqlx::query_scalar("SELECT n FROM probe ORDER BY n")
        .fetch_all(ex)
        .await)
    .unwrap();
    let expected: Vec<i64> = (0..60).filter(|n| n % 3 == 0).collect();
    assert_eq!(kept, expected);
}

#[tokio::test]
async fn a_failed_statement_leaves_the_others_in_the_same_commit_intact() {
    let app = spawn_sqlite_app().await;
    let pool = probe_table(&app).await;
    let first = part_writing(&pool, 1).await;
    let first = tokio::spawn(async move { first.commit().await });
    let mut second = pool.begin_write().await.unwrap();
    let duplicate = execute_on!(&mut second, sqlx::query("INSERT INTO probe (n) VALUES (1)"));
    assert!(duplicate.is_err(), "the same key twice");
    second.rollback().await.unwrap();
    first.await.unwrap().unwrap();
    let count: i64 = on_db!(&pool, ex => sqlx::query_scalar("SELECT COUNT(*) FROM probe")
        .fetch_one(ex)
        .await)
    .unwrap();
    assert_eq!(count, 1);
}

async fn probe_rows(pool: &hookline::db::Store) -> Vec<i64> {
    on_db!(pool, ex => sqlx::query_scalar("SELECT n FROM probe ORDER BY n")
        .fetch_all(ex)
        .await)
    .unwrap()
}

/// A write part that has inserted `n` into the probe table, not yet finished.
async fn part_writing(pool: &hookline::db::Store, n: i64) -> db::Tx {
    let mut tx = pool.begin_write().await.unwrap();
    execute_on!(
        &mut tx,
        sqlx::query("INSERT INTO probe (n) VALUES ($1)").bind(n)
    )
    .unwrap();
    tx
}

#[tokio::test]
async fn undoing_the_first_or_a_later_part_keeps_exactly_the_others() {
    let app = spawn_sqlite_app().await;
    let pool = probe_table(&app).await;
    let insert = |n: i64| sqlx::query("INSERT INTO probe (n) VALUES ($1)").bind(n);
    // The part that opens the shared transaction is undone whole.
    let mut opener = pool.begin_write().await.unwrap();
    insert(1).execute(conn(&mut opener)).await.unwrap();
    opener.rollback().await.unwrap();
    // A part that joins one: only it is undone, before and after parts kept.
    let mut first = pool.begin_write().await.unwrap();
    insert(2).execute(conn(&mut first)).await.unwrap();
    let first = tokio::spawn(async move { first.commit().await });
    let mut second = pool.begin_write().await.unwrap();
    insert(3).execute(conn(&mut second)).await.unwrap();
    second.rollback().await.unwrap();
    let mut third = pool.begin_write().await.unwrap();
    insert(4).execute(conn(&mut third)).await.unwrap();
    third.commit().await.unwrap();
    first.await.unwrap().unwrap();
    assert_eq!(probe_rows(&pool).await, [2, 4]);
}

#[tokio::test]
async fn a_joining_part_whose_first_statement_cannot_even_start_is_undone_alone() {
    let app = spawn_sqlite_app().await;
    let pool = probe_table(&app).await;
    let first = part_writing(&pool, 1).await;
    let first = tokio::spawn(async move { first.commit().await });
    // Its savepoint rides on that statement: a statement SQLite cannot prepare.
    let mut second = pool.begin_write().await.unwrap();
    let wrong = execute_on!(
        &mut second,
        sqlx::query("INSERT INTO no_such_table (n) VALUES (2)")
    );
    assert!(wrong.is_err());
    // It goes on after the error, then gives up: only what it wrote goes.
    execute_on!(&mut second, sqlx::query("INSERT INTO probe (n) VALUES (3)")).unwrap();
    second.rollback().await.unwrap();
    let third = part_writing(&pool, 4).await;
    third.commit().await.unwrap();
    first.await.unwrap().unwrap();
    assert_eq!(probe_rows(&pool).await, [1, 4]);
}

#[tokio::test]
async fn a_part_given_up_on_during_its_first_statement_loses_no_one_s_work_silently() {
    let app = spawn_sqlite_app().await;
    let pool = probe_table(&app).await;
    for round in 0..20i64 {
        let first = part_writing(&pool, 10 * round + 1).await;
        let first = tokio::spawn(async move { first.commit().await });
        let mut second = pool.begin_write().await.unwrap();
        // Sent to SQLite, then dropped before it answers: whether its savepoint opened is
        // not known when it is undone.
        let insert = sqlx::query("INSERT INTO probe (n) VALUES ($1)").bind(10 * round + 2);
        let started = futures_util::FutureExt::now_or_never(insert.execute(conn(&mut second)));
        drop(second);
        let kept = first.await.unwrap();
        let rows = probe_rows(&pool).await;
        let first_row = rows.contains(&(10 * round + 1));
        assert!(
            !rows.contains(&(10 * round + 2)),
            "the abandoned write is never kept"
        );
        // The first part is kept, or told it was not: never lost in silence.
        assert_eq!(
            kept.is_ok(),
            first_row,
            "round {round}: commit said {kept:?}, rows {rows:?}, statement {started:?}"
        );
        // And the writer goes on.
        let next = part_writing(&pool, 10 * round + 3).await;
        next.commit().await.unwrap();
        assert!(probe_rows(&pool).await.contains(&(10 * round + 3)));
    }
}

#[tokio::test]
async fn a_commit_that_does_not_wait_for_the_disk_still_lands() {
    let app = spawn_sqlite_app().await;
    let pool = probe_table(&app).await;
    for n in 0..20i64 {
        let tx = part_writing(&pool, n).await;
        if n % 2 == 0 {
            tx.commit_soon().await.unwrap();
        } else {
            tx.rollback().await.unwrap();
        }
    }
    // Committed in the background: every kept row becomes visible to other connections.
    let expected: Vec<i64> = (0..20).filter(|n| n % 2 == 0).collect();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while probe_rows(&pool).await != expected {
        assert!(
            std::time::Instant::now() < deadline,
            "kept rows: {:?}",
            probe_rows(&pool).await
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn work_committed_in_the_background_is_seen_by_whatever_comes_after() {
    let app = spawn_sqlite_app().await;
    let pool = probe_table(&app).await;
    for n in 0..20i64 {
        let tx = part_writing(&pool, n).await;
        tx.commit_in_background();
        // What a request starts with: every row written so far is there, at once.
        pool.caught_up().await;
        assert_eq!(probe_rows(&pool).await, (0..=n).collect::<Vec<_>>());
    }
    // A write left to a task of its own, slow to even start: it is waited for all the same.
    let mark = pool.background_write();
    let late = pool.clone();
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let tx = part_writing(&late, 20).await;
        tx.commit_in_background();
        drop(mark);
    });
    pool.caught_up().await;
    assert_eq!(probe_rows(&pool).await, (0..=20).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_commit_given_up_on_half_way_neither_loses_its_work_nor_holds_up_the_others() {
    let app = spawn_sqlite_app().await;
    let pool = probe_table(&app).await;
    let first = part_writing(&pool, 1).await;
    // Polled once, then dropped: as when a request is dropped while its commit waits.
    let waited = futures_util::FutureExt::now_or_never(first.commit());
    assert!(waited.is_none(), "a commit waits for the disk");
    // A later part joins the same shared transaction; its commit must not wait forever for
    // the one given up on.
    let second = part_writing(&pool, 2).await;
    tokio::time::timeout(std::time::Duration::from_secs(10), second.commit())
        .await
        .expect("the later commit returns")
        .unwrap();
    assert_eq!(probe_rows(&pool).await, [1, 2]);
}

#[tokio::test]
async fn the_log_is_copied_back_into_the_database_while_writes_go_on() {
    if measured_in_the_sqlite_run() {
        return;
    }
    let app = spawn_sqlite_app().await;
    let pool = app.state.store.clone();
    execute_on!(
        &pool,
        sqlx::query("CREATE TABLE padded (n INTEGER PRIMARY KEY, pad BLOB)")
    )
    .unwrap();
    let file = app.dir.path().join("hookline.db");
    let size = || std::fs::metadata(&file).unwrap().len();
    let before = size();
    // The writer never checkpoints itself: only the checkpointing task makes the database
    // file grow, copying pages from the log.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut n = 0i64;
    while size() < before + 1_000_000 {
        assert!(
            std::time::Instant::now() < deadline,
            "the database file stayed at {} bytes after {n} commits",
            size()
        );
        let mut tx = pool.begin_write().await.unwrap();
        execute_on!(
            &mut tx,
            sqlx::query("INSERT INTO padded (n, pad) VALUES ($1, zeroblob(4000))").bind(n)
        )
        .unwrap();
        tx.commit().await.unwrap();
        n += 1;
    }
}

#[tokio::test]
async fn the_log_starts_over_instead_of_growing_while_writes_go_on() {
    if measured_in_the_sqlite_run() {
        return;
    }
    let app = spawn_sqlite_app().await;
    let pool = app.state.store.clone();
    execute_on!(
        &pool,
        sqlx::query("CREATE TABLE padded (n INTEGER PRIMARY KEY, pad BLOB)")
    )
    .unwrap();
    let log = app.dir.path().join("hookline.db-wal");
    let log_size = || std::fs::metadata(&log).map_or(0, |m| m.len());
    // 512 MB written without a pause: the writer is never idle, which is when SQLite would
    // start the log over by itself. (Checkpoints are looked at every so often, so how far the
    // log gets before it starts over depends on how fast the disk takes writes.)
    let (mut largest, mut last, mut restarts) = (0, 0, 0);
    for part in 0..512i64 {
        let mut tx = pool.begin_write().await.unwrap();
        execute_on!(
            &mut tx,
            sqlx::query(
                "WITH RECURSIVE k (i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < 15)
             INSERT INTO padded (n, pad) SELECT $1 * 16 + i, zeroblob(65536) FROM k",
            )
            .bind(part)
        )
        .unwrap();
        tx.commit().await.unwrap();
        let size = log_size();
        if size < last {
            restarts += 1;
        }
        (largest, last) = (largest.max(size), size);
    }
    // It starts over past 64 MB (and is cut back to that): without that it holds all 512.
    assert!(restarts >= 1, "the log never started over");
    assert!(largest <= 320 << 20, "the log grew to {} MB", largest >> 20);
}
