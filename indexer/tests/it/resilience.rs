//! A node that fails requests: the followers wait each failure out and the index ends as a
//! clean run's; an indexer started while its node is down is started again until the node is up.

use std::time::Duration;

use sec_indexer::Database;

use crate::common::*;

/// One in four requests to either chain fails (the connection closed unanswered or a 503):
/// the run still completes, with the index a run against the nodes themselves makes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flaky_node_is_indexed_as_a_clean_one() {
    use sec_bridge::deposit::deposit_eth;

    let dir = tempfile::tempdir().expect("tempdir");
    let l1 = L1Chain::start(&dir.path().join("l1")).await;
    let bridge = l1.deployment.addresses.l1_bridge;
    deposit_eth(&l1.client, bridge, 1, dev_key(1).address(), ether(2)).await.expect("deposit");
    l1.register_and_delegate(ether(200)).await;
    let node = start_node(&dir.path().join("l2"), 2).await;
    build_chain(&node).await;

    let clean =
        Database::connect(dir.path().join("clean.db").to_str().unwrap(), 4).await.expect("db");
    let mut config = index_config(&node, "unused", 1_000);
    config.ethereum = Some(l1.ethereum_config());
    sec_indexer::run(config.clone(), clean.clone()).await.expect("clean indexing succeeds");

    let l2_proxy = FlakyProxy::start(&base_url(&node), 4, 0).await;
    let l1_proxy = FlakyProxy::start(l1.client.url(), 4, 0).await;
    let mut flaky_config = config;
    flaky_config.rpc = l2_proxy.url.clone();
    if let Some(ethereum) = flaky_config.ethereum.as_mut() {
        ethereum.rpc = l1_proxy.url.clone();
    }
    let flaky =
        Database::connect(dir.path().join("flaky.db").to_str().unwrap(), 4).await.expect("db");
    tokio::time::timeout(Duration::from_secs(300), sec_indexer::run(flaky_config, flaky.clone()))
        .await
        .expect("indexing through the proxies ends")
        .expect("indexing through the proxies succeeds");
    assert!(l2_proxy.failures() >= 10, "{} requests to the node failed", l2_proxy.failures());
    assert!(l1_proxy.failures() >= 3, "{} requests to Ethereum failed", l1_proxy.failures());
    assert!(
        flaky.dump().await.expect("dump") == clean.dump().await.expect("dump"),
        "the index made through the flaky proxies differs from the clean one"
    );
    node.shutdown().await;
    l1.node.shutdown().await;
}

/// `run_supervised` (what `sec devnet` runs) started while nothing answers at the node's
/// address: each run stops (no domain found), and is started again until the node is there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_supervised_indexer_starts_again_until_the_node_is_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start_node(&dir.path().join("node"), 2).await;
    build_chain(&node).await;
    let clean =
        Database::connect(dir.path().join("clean.db").to_str().unwrap(), 4).await.expect("db");
    index(&node, &clean, 1_000).await;

    let port = free_port();
    let mut config = index_config(&node, "unused", 1_000);
    config.rpc = format!("http://127.0.0.1:{port}");
    let db = Database::connect(dir.path().join("index.db").to_str().unwrap(), 4).await.expect("db");
    let supervised = tokio::spawn(sec_indexer::run_supervised(config, db.clone()));
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(!supervised.is_finished(), "the indexer gave up while the node was down");
    let _node_up = FlakyProxy::start(&base_url(&node), 0, port).await;
    let stats = tokio::time::timeout(Duration::from_secs(120), supervised)
        .await
        .expect("the indexer finishes once the node is up")
        .expect("no panic");
    assert!(stats.blocks > 0);
    assert!(db.dump().await.expect("dump") == clean.dump().await.expect("dump"));
    node.shutdown().await;
}
