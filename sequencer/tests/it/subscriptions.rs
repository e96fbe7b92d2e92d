//! WebSocket subscriptions and polled filters.

use std::time::Duration;

use alloy::sol_types::SolCall;
use alloy_primitives::{Address, U256};
use jsonrpsee::{
    core::client::{Subscription, SubscriptionClientT},
    rpc_params,
    ws_client::WsClientBuilder,
};
use serde_json::{Value, json};

use crate::common::*;

async fn next(sub: &mut Subscription<Value>) -> Value {
    tokio::time::timeout(Duration::from_secs(10), sub.next())
        .await
        .expect("notification in time")
        .expect("open")
        .expect("valid")
}

#[tokio::test(flavor = "multi_thread")]
async fn websocket_subscriptions() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(TestNode::config(dir.path(), 2)).await;
    let rpc = node.rpc(1);
    let cid = node.chain_id(1);
    let probe = deploy_probe(&rpc, cid).await;
    let ws = WsClientBuilder::default().build(node.ws(1)).await.unwrap();
    let mut heads: Subscription<Value> =
        ws.subscribe("eth_subscribe", rpc_params!["newHeads"], "eth_unsubscribe").await.unwrap();
    let mut logs: Subscription<Value> = ws
        .subscribe(
            "eth_subscribe",
            rpc_params!["logs", json!({"address": probe})],
            "eth_unsubscribe",
        )
        .await
        .unwrap();
    let mut pending: Subscription<Value> = ws
        .subscribe("eth_subscribe", rpc_params!["newPendingTransactions"], "eth_unsubscribe")
        .await
        .unwrap();
    assert!(
        matches!(heads.kind(), jsonrpsee::core::client::SubscriptionKind::Subscription(jsonrpsee::types::SubscriptionId::Str(s)) if s.starts_with("0x"))
    );

    let key = dev_key(1);
    let raw =
        Tx::call(cid, 0, probe, setCall { v: U256::from(8u64) }.abi_encode().into()).eip1559(&key);
    let r = rpc.send_and_wait(&raw).await;
    assert_eq!(next(&mut pending).await, r["transactionHash"]);
    let head = next(&mut heads).await;
    assert_eq!(head["hash"], r["blockHash"]);
    assert_eq!(head["number"], r["blockNumber"]);
    let log = next(&mut logs).await;
    assert_eq!(log["transactionHash"], r["transactionHash"]);
    assert_eq!(log, r["logs"][0]);
    heads.unsubscribe().await.unwrap();

    let e = ws
        .subscribe::<Value, _>("eth_subscribe", rpc_params!["nonsense"], "eth_unsubscribe")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("unknown subscription"), "{e}");
}

#[tokio::test(flavor = "multi_thread")]
async fn polled_filters() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(TestNode::config(dir.path(), 1)).await;
    let rpc = node.rpc(0);
    let cid = node.chain_id(0);
    let probe = deploy_probe(&rpc, cid).await;
    let blocks = rpc.call("eth_newBlockFilter", vec![]).await;
    let logs = rpc.call("eth_newFilter", vec![json!({"address": probe})]).await;
    let pending = rpc.call("eth_newPendingTransactionFilter", vec![]).await;
    let key = dev_key(2);
    let r = rpc
        .send_and_wait(
            &Tx::call(cid, 0, probe, setCall { v: U256::from(4u64) }.abi_encode().into())
                .eip1559(&key),
        )
        .await;
    let r2 = rpc
        .send_and_wait(
            &Tx::transfer(cid, 1, Address::repeat_byte(3), U256::from(1u64)).eip1559(&key),
        )
        .await;

    let b = rpc.call("eth_getFilterChanges", vec![blocks.clone()]).await;
    assert_eq!(b, json!([r["blockHash"], r2["blockHash"]]));
    assert_eq!(rpc.call("eth_getFilterChanges", vec![blocks.clone()]).await, json!([]));
    let l = rpc.call("eth_getFilterChanges", vec![logs.clone()]).await;
    assert_eq!(l, r["logs"]);
    assert_eq!(rpc.call("eth_getFilterChanges", vec![logs.clone()]).await, json!([]));
    // As in geth, a filter without fromBlock covers the latest block only; this one starts at 0.
    let from_genesis =
        rpc.call("eth_newFilter", vec![json!({"address": probe, "fromBlock": "0x0"})]).await;
    assert_eq!(rpc.call("eth_getFilterLogs", vec![from_genesis]).await, r["logs"]);
    assert_eq!(rpc.call("eth_getFilterLogs", vec![logs.clone()]).await, json!([]));
    let p = rpc.call("eth_getFilterChanges", vec![pending]).await;
    assert_eq!(p, json!([r["transactionHash"], r2["transactionHash"]]));
    assert_eq!(rpc.call("eth_uninstallFilter", vec![logs.clone()]).await, true);
    assert_eq!(rpc.call("eth_uninstallFilter", vec![logs.clone()]).await, false);
    let e = rpc.try_call("eth_getFilterChanges", vec![logs]).await.unwrap_err();
    assert_eq!((e.code(), e.message()), (-32000, "filter not found"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_log_filter_behind_by_more_than_the_range_limit_catches_up_without_losing_logs() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = TestNode::config(dir.path(), 1);
    config.rpc.max_logs_range = 2;
    let node = TestNode::start(config).await;
    let rpc = node.rpc(0);
    let cid = node.chain_id(0);
    let probe = deploy_probe(&rpc, cid).await;
    let filter = rpc.call("eth_newFilter", vec![json!({"address": probe})]).await;
    let key = dev_key(2);
    let mut expected = Vec::new();
    for v in 0..5u64 {
        let data = setCall { v: U256::from(v) }.abi_encode();
        let r = rpc.send_and_wait(&Tx::call(cid, v, probe, data.into()).eip1559(&key)).await;
        expected.extend(r["logs"].as_array().unwrap().iter().cloned());
    }
    // Five blocks behind with a two-block range limit: three polls, every log once, in order.
    let mut seen = Vec::new();
    for _ in 0..4 {
        let changes = rpc.call("eth_getFilterChanges", vec![filter.clone()]).await;
        seen.extend(changes.as_array().unwrap().iter().cloned());
    }
    assert_eq!(seen, expected);
}
