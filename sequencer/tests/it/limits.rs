//! Limits that protect the node: a call that runs too long is aborted, and a pool flooded by
//! cheap senders stays within its limits and still lets an honest sender in.

use alloy_primitives::{Address, Bytes, U256};
use serde_json::json;

use crate::common::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_call_past_the_evm_timeout_is_aborted() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = TestNode::config(dir.path(), 1);
    config.rpc.evm_timeout_ms = 20;
    let node = TestNode::start(config).await;
    let rpc = node.rpc(0);
    let e = rpc.try_call("eth_call", spin_call()).await.unwrap_err();
    assert_eq!((e.code(), e.message()), (-32000, "execution aborted (timeout = 0.02s)"));
    let e = rpc.try_call("eth_estimateGas", spin_call()).await.unwrap_err();
    assert_eq!((e.code(), e.message()), (-32000, "execution aborted (timeout = 0.02s)"));
    // A quick call in the same node still answers.
    let at = Address::repeat_byte(0x5b);
    let quick = vec![json!({ "to": at }), json!("latest")];
    assert_eq!(rpc.call("eth_call", quick).await, json!("0x"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flooded_pool_stays_bounded_and_lets_an_honest_sender_in() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = TestNode::config(dir.path(), 1);
    // No block for the length of the test: the flood stays in the pool.
    config.block_time_ms = 120_000;
    config.pool.max_bytes = 256 * 1024;
    config.pool.max_total = 2_000;
    config.pool.min_tip = 1;
    let cheap: Vec<_> = (0..40u8)
        .map(|i| {
            let secret = alloy_primitives::B256::repeat_byte(i + 1);
            alloy::signers::local::PrivateKeySigner::from_bytes(&secret).unwrap()
        })
        .collect();
    config.fund(cheap.iter().map(|k| k.address()), U256::from(10u64).pow(U256::from(18u64)));
    let node = TestNode::start(config.clone()).await;
    let rpc = node.rpc(0);
    let cid = node.chain_id(0);
    let domain = node.node.as_ref().unwrap().domains()[0].clone();

    // Each cheap sender offers 64 transactions of 2 KiB at the lowest price: ~5 MiB in all,
    // twenty times what the pool holds.
    let filler = Bytes::from(vec![0xab; 2048]);
    let (mut accepted, mut full) = (0, 0);
    for n in 0..64u64 {
        for key in &cheap {
            let mut t = Tx::call(cid, n, Address::repeat_byte(1), filler.clone());
            t.tip = 1;
            t.max_fee = 2 * GWEI;
            t.gas = 150_000;
            match rpc.send(&t.eip1559(key)).await {
                Ok(_) => accepted += 1,
                Err(e) => {
                    assert_eq!(e.message(), "txpool is full", "{e:?}");
                    full += 1;
                }
            }
            let pool = domain.pool();
            assert!(pool.bytes() <= config.pool.max_bytes, "{} bytes", pool.bytes());
            assert!(pool.len() <= config.pool.max_total);
        }
    }
    assert!(full > 0 && accepted > 0, "accepted {accepted}, refused {full}");
    // An honest sender paying a normal tip gets in at once, evicting the cheapest.
    let honest = dev_key(1);
    let hash = rpc
        .send(&Tx::transfer(cid, 0, Address::repeat_byte(2), U256::from(1u64)).eip1559(&honest))
        .await
        .expect("an honest transaction is accepted into a full pool");
    assert!(domain.pool().get(&hash).is_some());
    assert!(domain.pool().bytes() <= config.pool.max_bytes);
}
