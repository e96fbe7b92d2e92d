//! The readers' pool ([`Database::reader`]): a statement past its time limit is stopped and its
//! connection serves the next one, on SQLite and PostgreSQL; the writer's pool has no limit.

use std::time::{Duration, Instant};

use sec_indexer::Database;

use super::common::fresh_postgres;

const LIMIT: Duration = Duration::from_millis(200);

/// Counts without end; only an interrupt stops it.
const ENDLESS_SQLITE: &str =
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) AS n FROM c";

/// The database error code of `e`, if it is one.
fn code(e: &sqlx::Error) -> Option<String> {
    e.as_database_error().and_then(|d| d.code()).map(|c| c.into_owned())
}

async fn check(db: &Database, endless: &str, slow: &str, interrupted: &str) {
    let reader = db.reader(LIMIT).expect("reader");
    for round in 0..3 {
        let started = Instant::now();
        let run = sqlx::query(endless).fetch_one(reader.pool());
        let Ok(Err(e)) = tokio::time::timeout(LIMIT * 20, run).await else {
            panic!("round {round}: the endless statement was not stopped")
        };
        let took = started.elapsed();
        assert_eq!(code(&e).as_deref(), Some(interrupted), "round {round}: {e}");
        assert!(took >= LIMIT && took < LIMIT * 10, "round {round}: stopped after {took:?}");
        // The pool holds one connection: it is free again and answers at once.
        let started = Instant::now();
        let one: i64 = sqlx::query_scalar("SELECT 1").fetch_one(reader.pool()).await.expect("next");
        assert_eq!(one, 1);
        assert!(started.elapsed() < LIMIT, "{:?}", started.elapsed());
    }
    // A statement longer than the limit runs to its end on the writer's pool.
    let started = Instant::now();
    sqlx::query(slow).execute(db.pool()).await.expect("no limit on the writer's pool");
    assert!(started.elapsed() > LIMIT * 2, "the slow statement took {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reader_statements_are_stopped_at_their_time_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite =
        Database::connect(dir.path().join("index.db").to_str().unwrap(), 1).await.expect("db");
    let slow = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000000) \
                SELECT COUNT(*) AS n FROM c";
    check(&sqlite, ENDLESS_SQLITE, slow, sec_indexer::statement_limit::INTERRUPTED).await;
    let postgres = fresh_postgres("sec_indexer_limits", 1).await;
    // 57014: query_canceled, what PostgreSQL's statement_timeout answers.
    check(&postgres, "SELECT pg_sleep(3600)", "SELECT pg_sleep(0.6)", "57014").await;
}
