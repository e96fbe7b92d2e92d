//! `sec index` killed with SIGKILL mid-backfill, three times, then run to the end: the database
//! holds exactly what a run that was never interrupted holds, rows and indexes.
//! And a node this project did not write, hardhat's, indexed as the one chain it serves; and an
//! indexer started before its node, which waits for it.

use std::{
    path::Path,
    process::{Command, Stdio},
    time::Duration,
};

use sec_indexer::Database;

use crate::common::*;

fn index_command(rpc: &str, db: &Path, to_block: u64) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sec"));
    cmd.args(["index", "--no-progress", "--rpc", rpc, "--to-block", &to_block.to_string(), "--db"])
        .arg(db);
    cmd.env("RUST_LOG", "warn").stdout(Stdio::null()).stderr(Stdio::inherit());
    cmd
}

/// The killed runs read balances every few hundred transactions, the clean one only at the
/// end: both must end with the same balances. Their runs and commits are small too (about 40 commits
/// for the chain below instead of a few), so that a kill lands mid-backfill on a fast machine.
fn killed_index_command(rpc: &str, db: &Path, to_block: u64, config: &Path) -> Command {
    let mut cmd = index_command(rpc, db, to_block);
    cmd.arg("--config").arg(config);
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_indexer_resumes_to_the_same_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let node = NodeProcess::start(dir.path(), 2, 0.0, port);
    let rpc = format!("http://127.0.0.1:{port}");

    // A chain worth indexing: ERC-20 transfers from many senders in both domains.
    bench(&node, &["--senders", "100", "--txs", "6000"]);
    let head = quantity(&call(&client(&node.url(0)), "eth_blockNumber", vec![]).await.unwrap());

    let clean = dir.path().join("clean.db");
    assert!(index_command(&rpc, &clean, head).status().expect("index").success());

    // Kill it when a quarter, a half and three quarters of the blocks are in: wherever it is in
    // its batch at that moment.
    let killed = dir.path().join("killed.db");
    let config = dir.path().join("index.toml");
    std::fs::write(
        &config,
        "balance_read_transactions = 300\nbatch_transactions = 300\ncommit_transactions = 300\n",
    )
    .expect("config");
    let watcher = Database::connect(killed.to_str().unwrap(), 1).await.expect("killed db");
    let total = 2 * (head + 1);
    for quarter in 1..=3u64 {
        let mut child =
            killed_index_command(&rpc, &killed, head, &config).spawn().expect("spawn index");
        loop {
            let indexed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM blocks")
                .fetch_one(watcher.pool())
                .await
                .expect("count");
            if indexed as u64 * 4 >= total * quarter {
                break;
            }
            let finished = child.try_wait().expect("poll").is_some();
            assert!(!finished, "indexing finished before {quarter}/4 of the blocks were in");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let finished = child.try_wait().expect("poll").is_some();
        child.kill().ok();
        child.wait().expect("reap");
        assert!(
            !finished,
            "indexing finished before the kill at {quarter}/4: make the chain longer"
        );
    }
    // Every kill landed in the bulk load a fresh index starts with; the last run is told not to
    // start one, and still finishes the one begun, building the lookup indexes left out.
    let deferred: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM deferred_indexes")
        .fetch_one(watcher.pool())
        .await
        .expect("count");
    assert!(deferred > 0, "the killed runs were bulk-loading");
    let last = dir.path().join("last.toml");
    let last_config = std::fs::read_to_string(&config).expect("config") + "bulk_load = false\n";
    std::fs::write(&last, last_config).expect("config");
    let status = killed_index_command(&rpc, &killed, head, &last).status().expect("index");
    assert!(status.success());

    let clean = Database::connect(clean.to_str().unwrap(), 1).await.expect("clean db");
    let killed = Database::connect(killed.to_str().unwrap(), 1).await.expect("killed db");
    let (a, b) = (clean.dump().await.expect("dump"), killed.dump().await.expect("dump"));
    assert!(a.lines().count() > 12_000, "the chain is indexed: {} rows", a.lines().count());
    assert!(a == b, "the resumed index differs from the clean one");
    node.kill9();
}

/// A standard Ethereum node, hardhat's (one chain at its URL, whatever the path; no
/// `eth_getBlockReceipts`, no `debug_traceBlockByNumber`), is indexed as domain 0: every block
/// and transaction with its receipt, the token and its transfers, balances as the node reports.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standard_ethereum_node_is_indexed_as_one_chain() {
    use alloy::sol_types::SolValue;
    use alloy_primitives::{Address, Bytes, TxKind, U256, hex};
    use sqlx::Row;

    let hardhat = HardhatNode::start();
    let url = hardhat.url();
    let accounts = sec_primitives::dev_signers(sec_primitives::DEV_MNEMONIC, 3).unwrap();
    let client = sec_bridge::L1Client::connect(&url, accounts[0].clone()).await.unwrap();
    let (b, c) = (accounts[1].address(), accounts[2].address());
    for i in 0..3u64 {
        let r = client.send(TxKind::Call(b), Bytes::new(), U256::from(1_000 + i)).await.unwrap();
        assert!(r.succeeded());
    }
    let mut code = hex::decode(include_str!("../src/bench/BenchToken.bin").trim()).unwrap();
    code.extend(U256::from(1_000_000u64).abi_encode());
    let deployed = client.send(TxKind::Create, code.into(), U256::ZERO).await.unwrap();
    let token = deployed.contract_address.expect("token created");
    let mut transfer = alloy_primitives::keccak256("transfer(address,uint256)")[..4].to_vec();
    transfer.extend((c, U256::from(250u64)).abi_encode_params());
    let moved = client.send(TxKind::Call(token), transfer.into(), U256::ZERO).await.unwrap();
    assert!(moved.succeeded());
    let head = client.block_number().await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let db = Database::connect(dir.path().join("index.db").to_str().unwrap(), 4).await.unwrap();
    let config = sec_indexer::IndexerConfig {
        rpc: url.clone(),
        db: "unused".into(),
        progress: false,
        to_block: Some(head),
        ..Default::default()
    };
    sec_indexer::run(config, db.clone()).await.expect("indexing hardhat's node succeeds");

    let count = |sql: &'static str| {
        let pool = db.pool().clone();
        async move { sqlx::query(sql).fetch_one(&pool).await.unwrap().try_get::<i64, _>(0).unwrap() }
    };
    assert_eq!(count("SELECT COUNT(*) FROM blocks WHERE domain = 0").await, head as i64 + 1);
    assert_eq!(count("SELECT COUNT(*) FROM blocks WHERE domain <> 0").await, 0);
    assert_eq!(count("SELECT COUNT(*) FROM transactions WHERE status = 1").await, 5);
    assert_eq!(count("SELECT COUNT(*) FROM token_transfers").await, 2, "the mint and the transfer");
    assert_eq!(count("SELECT COUNT(*) FROM contracts").await, 1);
    assert_eq!(count("SELECT COUNT(*) FROM internal_transfers").await, 0);
    assert_eq!(count("SELECT transactions FROM chain_heads WHERE domain = 0").await, 5);
    let balance = |token: Address, holder: Address| {
        let pool = db.pool().clone();
        async move {
            let row = sqlx::query(
                "SELECT balance FROM balances WHERE domain = 0 AND token = $1 AND holder = $2",
            )
            .bind(token.to_vec())
            .bind(holder.to_vec())
            .fetch_one(&pool)
            .await
            .unwrap();
            U256::from_be_slice(&row.try_get::<Vec<u8>, _>("balance").unwrap())
        }
    };
    assert_eq!(balance(Address::ZERO, b).await, client.balance(b).await.unwrap());
    assert_eq!(
        balance(Address::ZERO, client.address()).await,
        client.balance(client.address()).await.unwrap()
    );
    assert_eq!(balance(token, c).await, U256::from(250u64));
}

/// `sec index` started before its node (as when both start together) waits for it, and indexes
/// once it is up, where it used to give up after about a second and a half.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_indexer_waits_for_a_node_that_is_not_up_yet() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let rpc = format!("http://127.0.0.1:{port}");
    let db = dir.path().join("early.db");
    /// Kills the indexer if the test fails while it runs: it no longer gives up by itself.
    struct Running(std::process::Child);
    impl Drop for Running {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut indexer = Running(index_command(&rpc, &db, 0).spawn().expect("index starts"));
    std::thread::sleep(Duration::from_secs(4));
    assert!(indexer.0.try_wait().expect("poll").is_none(), "it waits for the node");
    let _node = NodeProcess::start(dir.path(), 2, 0.0, port);
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = indexer.0.try_wait().expect("poll") {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(90), "the indexer never finished");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success());
    let db = Database::connect(db.to_str().expect("utf-8"), 1).await.expect("db");
    let blocks: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM blocks")
        .fetch_one(db.pool())
        .await
        .expect("count");
    assert_eq!(blocks, 2, "genesis of both domains");
}
