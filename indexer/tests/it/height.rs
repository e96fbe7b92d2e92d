//! Costs that must not grow with the chain's height: a run of new blocks on top of 100,000
//! indexed ones reads about as many rows of `blocks` as it has blocks, on SQLite and PostgreSQL.

use sec_indexer::{
    Database,
    store::Store,
    writer::{Commit, MARK_FINAL},
};
use sqlx::Row;

use crate::common::*;

/// Blocks indexed below the run measured.
const HEIGHT: u64 = 100_000;
/// Blocks of the run measured.
const RUN: u64 = 300;
/// Blocks the node's finalized height lags behind each run's end.
const LAG: u64 = 10;

async fn write_run(db: &Database, from: u64, to: u64, finalized: u64) {
    let mut store = Store::new(db);
    let mut commit = Commit::begin(&mut store).await.expect("begin");
    commit.write(empty_run(0, from, to, finalized)).await.expect("write");
    commit.commit().await.expect("commit");
}

async fn scalar(db: &Database, sql: &str) -> i64 {
    sqlx::query(sql).fetch_one(db.pool()).await.expect(sql).try_get::<i64, _>(0).expect(sql)
}

/// Finality and the head row are right after the runs: every block up to the finalized height
/// (no higher than the last indexed) is final, and no other.
async fn check_final(db: &Database, head: u64, finalized: u64) {
    let not_final = scalar(db, "SELECT COUNT(*) FROM blocks WHERE final = 0").await;
    assert_eq!(not_final as u64, head - finalized);
    let top_final = scalar(db, "SELECT MAX(number) FROM blocks WHERE final = 1").await;
    assert_eq!(top_final as u64, finalized);
    let row = sqlx::query("SELECT head, finalized, transactions FROM chain_heads WHERE domain = 0")
        .fetch_one(db.pool())
        .await
        .expect("chain_heads row");
    assert_eq!(row.try_get::<i64, _>("head").unwrap() as u64, head);
    assert_eq!(row.try_get::<i64, _>("finalized").unwrap() as u64, finalized);
    let transactions: i64 = (0..=head as i64).map(|n| n % 3).sum();
    assert_eq!(row.try_get::<i64, _>("transactions").unwrap(), transactions);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marking_finality_costs_the_new_blocks_not_the_chain() {
    let top = HEIGHT + RUN - 1;

    // SQLite: the statement is a primary-key range bounded on both sides.
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = Database::connect(dir.path().join("index.db").to_str().expect("path"), 1)
        .await
        .expect("sqlite");
    load_empty_blocks(&sqlite, 0, HEIGHT, LAG).await;
    let plan: Vec<String> = sqlx::query(&format!("EXPLAIN QUERY PLAN {MARK_FINAL}"))
        .bind(0i64)
        .bind(HEIGHT as i64 - 1)
        .bind(top as i64)
        .fetch_all(sqlite.pool())
        .await
        .expect("plan")
        .iter()
        .map(|r| r.try_get::<String, _>("detail").expect("detail"))
        .collect();
    assert!(
        plan.iter().any(|p| p.starts_with("SEARCH blocks")
            && p.contains("(domain=? AND number>? AND number<?)")),
        "{plan:?}"
    );
    write_run(&sqlite, HEIGHT, top, top - 5).await;
    check_final(&sqlite, top, top - 5).await;
    // A finalized height above the last block indexed marks no further than that block.
    write_run(&sqlite, top + 1, top + 1, top + 50).await;
    check_final(&sqlite, top + 1, top + 1).await;

    // PostgreSQL: the run reads about as many rows as it writes, not the chain.
    let postgres = fresh_postgres("sec_index_height", 1).await;
    load_empty_blocks(&postgres, 0, HEIGHT, LAG).await;
    sqlx::query("ANALYZE blocks").execute(postgres.pool()).await.expect("analyze");
    let before = pg_rows_read(&postgres, "blocks").await;
    write_run(&postgres, HEIGHT, top, top - 5).await;
    let read = pg_rows_read(&postgres, "blocks").await - before;
    assert!(read <= 4 * RUN as i64, "a run of {RUN} blocks read {read} rows of blocks");
    check_final(&postgres, top, top - 5).await;
    let plan: Vec<String> = sqlx::query(&format!("EXPLAIN {MARK_FINAL}"))
        .bind(0i64)
        .bind(HEIGHT as i64 - 1)
        .bind(top as i64)
        .fetch_all(postgres.pool())
        .await
        .expect("plan")
        .iter()
        .map(|r| r.try_get::<String, _>(0).expect("plan line"))
        .collect();
    assert!(plan.iter().any(|l| l.contains("Index Cond") && l.contains("number >")), "{plan:?}");
}
