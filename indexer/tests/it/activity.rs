//! `daily_activity`: the writer adds each run's blocks, transactions and gas to their UTC days,
//! and a rollback counts the days from the fork on again from the blocks it keeps, so the table
//! always equals the aggregate of `blocks`; on SQLite and PostgreSQL.

use sec_indexer::{
    Database,
    writer::{FORGET_DAYS, RECOUNT_DAYS},
};
use sqlx::Row;

use super::common::{fresh_postgres, load_empty_blocks};

type Days = Vec<(i64, i64, i64, i64, i64)>;

async fn days(db: &Database, sql: &str) -> Days {
    sqlx::query(sql)
        .fetch_all(db.pool())
        .await
        .expect("days")
        .iter()
        .map(|r| {
            let v = |i: usize| r.try_get::<i64, _>(i).expect("integer");
            (v(0), v(1), v(2), v(3), v(4))
        })
        .collect()
}

async fn kept(db: &Database) -> Days {
    days(db, "SELECT domain, day, blocks, transactions, gas_used FROM daily_activity ORDER BY domain, day")
        .await
}

async fn aggregated(db: &Database) -> Days {
    days(
        db,
        "SELECT domain, timestamp / 86400, COUNT(*), CAST(SUM(tx_count) AS BIGINT), \
         CAST(SUM(gas_used) AS BIGINT) FROM blocks \
         GROUP BY domain, timestamp / 86400 ORDER BY 1, 2",
    )
    .await
}

/// Rolls `domain` back to `keep` as the writer's rollback does to these tables.
async fn roll_back(db: &Database, domain: i64, keep: i64) {
    let mut tx = db.pool().begin().await.expect("begin");
    for sql in [FORGET_DAYS, "DELETE FROM blocks WHERE domain = $1 AND number > $2", RECOUNT_DAYS] {
        sqlx::query(sql).bind(domain).bind(keep).execute(&mut *tx).await.expect(sql);
    }
    tx.commit().await.expect("commit");
}

async fn check(db: Database) {
    // Blocks a second apart from 1,700,000,000: day 19,675 ends after block 6,399.
    load_empty_blocks(&db, 0, 10_000, 0).await;
    load_empty_blocks(&db, 1, 500, 0).await;
    let days = kept(&db).await;
    assert_eq!(days.len(), 3, "{days:?}");
    assert_eq!((days[0].1, days[0].2), (19_675, 6_400));
    assert_eq!((days[1].1, days[1].2), (19_676, 3_600));
    assert_eq!(days[0].4, 6_400 * 21_000);
    assert_eq!(days, aggregated(&db).await);

    // Within the second day, then back across the day boundary, then to the first block.
    for keep in [8_000, 3_000, 0] {
        roll_back(&db, 0, keep).await;
        assert_eq!(kept(&db).await, aggregated(&db).await, "kept through {keep}");
    }
    let days = kept(&db).await;
    assert_eq!(days.len(), 2, "{days:?}");
    assert_eq!((days[0].0, days[0].2), (0, 1));
    assert_eq!((days[1].0, days[1].2), (1, 500), "the other domain untouched");
    // Writing again after the rollback adds to the kept day.
    load_empty_blocks(&db, 2, 100, 0).await;
    assert_eq!(kept(&db).await, aggregated(&db).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daily_activity_follows_runs_and_rollbacks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite =
        Database::connect(dir.path().join("index.db").to_str().unwrap(), 2).await.expect("db");
    // The rollback's statements read the kept day's blocks through their index by domain and
    // time, and the domain's days through the primary key.
    for (sql, index) in
        [(RECOUNT_DAYS, "blocks_by_time"), (FORGET_DAYS, "sqlite_autoindex_daily_activity_1")]
    {
        let plan: Vec<String> = sqlx::query(&format!("EXPLAIN QUERY PLAN {sql}"))
            .bind(0i64)
            .bind(1i64)
            .fetch_all(sqlite.pool())
            .await
            .expect("plan")
            .iter()
            .map(|r| r.get::<String, _>("detail"))
            .collect();
        assert!(plan.iter().all(|p| !p.starts_with("SCAN")), "{sql}: {plan:?}");
        assert!(plan.iter().any(|p| p.contains(index)), "{sql}: {plan:?}");
    }
    check(sqlite).await;
    check(fresh_postgres("sec_indexer_activity", 2).await).await;
}
