//! Group commit: many concurrent write transactions share commits, yet each one's commit,
//! rollback or abandonment affects only its own changes.

use std::sync::Arc;

use hookline::db;

use crate::helpers::*;

#[tokio::test]
async fn concurrent_transactions_keep_exactly_what_each_committed() {
    let app = spawn_app().await;
    let pool = app.state.pool.clone();
    sqlx::query("CREATE TABLE probe (n INTEGER PRIMARY KEY)")
        .execute(&pool)
        .await
        .unwrap();
    let barrier = Arc::new(tokio::sync::Barrier::new(60));
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..60i64 {
        let (pool, barrier) = (pool.clone(), barrier.clone());
        tasks.spawn(async move {
            barrier.wait().await;
            let mut tx = db::begin_write(&pool).await.unwrap();
            sqlx::query("INSERT INTO probe (n) VALUES (?1)")
                .bind(n)
                .execute(&mut *tx)
                .await
                .unwrap();
            match n % 3 {
                0 => {
                    tx.commit().await.unwrap();
                    // Durable and visible to every other connection once commit returns.
                    let seen: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM probe WHERE n = ?1")
                        .bind(n)
                        .fetch_one(&pool)
                        .await
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
    let tx = db::begin_write(&pool).await.unwrap();
    tx.commit().await.unwrap();
    let kept: Vec<i64> = sqlx::query_scalar("SELECT n FROM probe ORDER BY n")
        .fetch_all(&pool)
        .await
        .unwrap();
    let expected: Vec<i64> = (0..60).filter(|n| n % 3 == 0).collect();
    assert_eq!(kept, expected);
}

#[tokio::test]
async fn a_failed_statement_leaves_the_others_in_the_same_commit_intact() {
    let app = spawn_app().await;
    let pool = app.state.pool.clone();
    sqlx::query("CREATE TABLE probe (n INTEGER PRIMARY KEY)")
        .execute(&pool)
        .await
        .unwrap();
    let mut first = db::begin_write(&pool).await.unwrap();
    sqlx::query("INSERT INTO probe (n) VALUES (1)")
        .execute(&mut *first)
        .await
        .unwrap();
    let first = tokio::spawn(async move { first.commit().await });
    let mut second = db::begin_write(&pool).await.unwrap();
    let duplicate = sqlx::query("INSERT INTO probe (n) VALUES (1)")
        .execute(&mut *second)
        .await;
    assert!(duplicate.is_err(), "the same key twice");
    second.rollback().await.unwrap();
    first.await.unwrap().unwrap();
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM probe")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 1);
}
