//! Requests whose statements run past `query_timeout_ms` are stopped and answered 503 (a page
//! for the HTML pages, JSON for the JSON API, the Etherscan API's "Query Timeout" error) while
//! the database is held up, more of them at once than the explorer has connections, and the
//! explorer answers normally once it is not: over PostgreSQL (the tables locked by another
//! session) and SQLite (statements made slow by rows they must read through).

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use sec_explorer::{Explorer, ExplorerConfig};
use sec_indexer::Database;
use serde_json::Value;

use super::{
    common::{fresh_postgres, load_empty_blocks},
    fetch, json,
};

/// Requests sent at once: more than the explorer's pool has connections.
const AT_ONCE: usize = 6;

/// Checks the answers to `paths` and to the Etherscan API's `etherscan` while `db` is held up
/// (`hold` ran), then after `release` ran.
async fn check_held_up(
    db: Database,
    limit_ms: u64,
    hold: impl AsyncFnOnce(),
    release: impl AsyncFnOnce(),
    paths: &'static [&'static str],
    etherscan: &'static str,
) {
    let config = ExplorerConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        query_timeout_ms: limit_ms,
        ..Default::default()
    };
    let explorer = Explorer::start(config, db).await.expect("explorer");
    let addr = explorer.addr();
    let blocks = json_blocking(addr, "/api/v1/blocks?domain=0").await;
    assert_eq!(blocks["blocks"].as_array().map(Vec::len), Some(25), "{blocks}");

    hold().await;
    let started = Instant::now();
    let answers = tokio::task::spawn_blocking(move || {
        let threads: Vec<_> = (0..AT_ONCE)
            .map(|i| {
                let path = paths[i % paths.len()];
                std::thread::spawn(move || (path, fetch(addr, path)))
            })
            .collect();
        threads.into_iter().map(|t| t.join().expect("request")).collect::<Vec<_>>()
    })
    .await
    .expect("requests");
    let took = started.elapsed();
    for (path, (status, head, body)) in &answers {
        assert_eq!(*status, 503, "{path}: {body}");
        assert!(head.contains("retry-after: 5"), "{path}: {head}");
        if path.starts_with("/api/") {
            assert!(head.contains("content-type: application/json"), "{path}: {head}");
            let error: Value = serde_json::from_str(body).expect("JSON");
            assert!(error["error"].as_str().unwrap().contains("took too long"), "{body}");
        } else {
            // A page for a visitor: the layout of the others, saying what happened.
            assert!(head.contains("content-type: text/html"), "{path}: {head}");
            assert!(body.starts_with("<!doctype html>"), "{path}: {body}");
            assert!(
                body.contains("<link rel=\"stylesheet\" href=\"/static/style.css\">"),
                "{body}"
            );
            assert!(body.contains("<h1>Busy</h1>") && body.contains("took too long"), "{body}");
            assert!(body.contains("Try again in 5 seconds"), "{body}");
        }
    }
    assert!(answers.iter().any(|(p, _)| p.starts_with("/api/")), "an API path");
    assert!(answers.iter().any(|(p, _)| !p.starts_with("/api/")), "a page");
    // Each waited at most the limit for its statement and twice the limit, or the 1 s floor,
    // for a connection: none held a connection for long.
    assert!(took < Duration::from_secs(6), "{AT_ONCE} requests took {took:?}");
    let etherscan = json_blocking(addr, etherscan).await;
    assert_eq!(etherscan["status"], "0", "{etherscan}");
    assert_eq!(etherscan["message"], "NOTOK");
    assert_eq!(
        etherscan["result"],
        "Error! Query Timeout occured. Please select a smaller result dataset"
    );

    release().await;
    let blocks = json_blocking(addr, "/api/v1/blocks?domain=0").await;
    assert_eq!(blocks["blocks"][0]["number"], 99, "{blocks}");
    assert_eq!(fetch_blocking(addr, "/blocks").await, 200);
    explorer.stop();
}

async fn json_blocking(addr: SocketAddr, path: &'static str) -> Value {
    tokio::task::spawn_blocking(move || json(addr, path)).await.expect("request")
}

async fn fetch_blocking(addr: SocketAddr, path: &'static str) -> u16 {
    tokio::task::spawn_blocking(move || fetch(addr, path).0).await.expect("request")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_queries_are_stopped_and_answered_503() {
    // PostgreSQL: another session locks the tables the lists read; the explorer's statements
    // wait for the lock until `statement_timeout` stops them.
    let postgres = fresh_postgres("sec_explorer_limits", 2).await;
    load_empty_blocks(&postgres, 0, 100, 0).await;
    let (go, start) = tokio::sync::oneshot::channel::<()>();
    let (lock, unlock) = tokio::sync::oneshot::channel::<()>();
    let (locked, is_locked) = tokio::sync::oneshot::channel::<()>();
    let holder = postgres.clone();
    let held = tokio::spawn(async move {
        start.await.expect("start");
        let mut tx = holder.pool().begin().await.expect("begin");
        sqlx::query("LOCK TABLE blocks, transactions IN ACCESS EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await
            .expect("lock");
        locked.send(()).expect("locked");
        unlock.await.ok();
        tx.rollback().await.expect("rollback");
    });
    check_held_up(
        postgres,
        300,
        async || {
            go.send(()).expect("start");
            is_locked.await.expect("locked");
        },
        async || {
            lock.send(()).expect("unlock");
            held.await.expect("holder");
        },
        &[
            "/api/v1/blocks?domain=0",
            "/blocks",
            "/api/v1/txs",
            "/block/0/5",
            "/address/0x0000000000000000000000000000000000000001",
            "/api/v1/address/0x0000000000000000000000000000000000000001",
        ],
        "/api?module=account&action=txlist&address=0x0000000000000000000000000000000000000001",
    )
    .await;

    // SQLite: 1,000,000 logs and tokens that no filter matches, which a search by name and a
    // getLogs by topic alone read through, each past the limit until interrupted.
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite =
        Database::connect(dir.path().join("index.db").to_str().unwrap(), 2).await.expect("db");
    load_empty_blocks(&sqlite, 0, 100, 0).await;
    let writer = sqlite.clone();
    check_held_up(
        sqlite,
        50,
        async || {
            for sql in [
                "INSERT INTO tokens (domain, address, kind, name, symbol, first_block) \
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000) \
                 SELECT 0, randomblob(20), 'ERC-20', 'token ' || i, 'T' || i, 0 FROM n",
                "INSERT INTO logs (domain, block_number, log_index, tx_index, tx_hash, address, \
                 topic0, data) \
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000) \
                 SELECT 0, i % 100, i, 0, randomblob(32), randomblob(20), randomblob(32), x'' \
                 FROM n",
            ] {
                sqlx::query(sql).execute(writer.pool()).await.expect("insert");
            }
        },
        async || {
            for sql in ["DELETE FROM tokens", "DELETE FROM logs"] {
                sqlx::query(sql).execute(writer.pool()).await.expect("delete");
            }
        },
        &["/search?q=nothing-like-it", "/api/v1/search?q=nothing-like-it"],
        "/api?module=logs&action=getLogs&fromBlock=0&toBlock=99&topic0=0x\
         1111111111111111111111111111111111111111111111111111111111111111",
    )
    .await;
}
