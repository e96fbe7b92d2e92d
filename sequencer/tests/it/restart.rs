//! A node restarted on the same data directory resumes exactly where it stopped.

use alloy_primitives::{Address, U256};
use serde_json::{Value, json};

use crate::common::*;

#[tokio::test(flavor = "multi_thread")]
async fn restart_resumes_head_state_and_receipts() {
    let dir = tempfile::tempdir().unwrap();
    let config = TestNode::config(dir.path(), 2);
    let mut node = TestNode::start(config.clone()).await;
    let key = dev_key(3);
    let mut receipts = Vec::new();
    for d in 0..2 {
        let rpc = node.rpc(d);
        let cid = node.chain_id(d);
        deploy_probe(&rpc, cid).await;
        for i in 0..5u64 {
            let raw =
                Tx::transfer(cid, i, Address::repeat_byte(i as u8 + 0x10), U256::from(100 + i))
                    .eip1559(&key);
            receipts.push((d, rpc.send_and_wait(&raw).await));
        }
    }
    let mut txs = Vec::new();
    for (d, r) in &receipts {
        txs.push(
            node.rpc(*d).call("eth_getTransactionByHash", vec![r["transactionHash"].clone()]).await,
        );
    }
    let block_receipts = node.rpc(1).call("eth_getBlockReceipts", vec!["latest".into()]).await;
    let heads: Vec<Value> = futures_heads(&node).await;
    node.stop().await;

    let node = TestNode::start(config).await;
    assert_eq!(futures_heads(&node).await, heads);
    // After a restart nothing is cached: these come from the per-transaction rows on disk.
    for ((d, r), tx) in receipts.iter().zip(&txs) {
        let hash = r["transactionHash"].clone();
        let again = node.rpc(*d).call("eth_getTransactionReceipt", vec![hash.clone()]).await;
        assert_eq!(&again, r);
        let again = node.rpc(*d).call("eth_getTransactionByHash", vec![hash]).await;
        assert_eq!(&again, tx);
    }
    assert_eq!(
        node.rpc(1).call("eth_getBlockReceipts", vec![heads[1][0].clone()]).await,
        block_receipts
    );
    // It keeps producing on top of the restored state.
    let rpc = node.rpc(1);
    let nonce = rpc.nonce(key.address()).await;
    assert_eq!(nonce, 5);
    let r = rpc
        .send_and_wait(
            &Tx::transfer(node.chain_id(1), nonce, Address::repeat_byte(0x10), U256::from(1u64))
                .eip1559(&key),
        )
        .await;
    assert_eq!(r["status"], "0x1");
    assert_eq!(
        rpc.call("eth_getBalance", vec![json!(Address::repeat_byte(0x10)), "latest".into()]).await,
        "0x65"
    );
}

async fn futures_heads(node: &TestNode) -> Vec<Value> {
    let mut out = Vec::new();
    for d in 0..2 {
        let b = node.rpc(d).call("eth_getBlockByNumber", vec!["latest".into(), false.into()]).await;
        out.push(json!([b["number"], b["hash"], b["stateRoot"]]));
    }
    out
}
