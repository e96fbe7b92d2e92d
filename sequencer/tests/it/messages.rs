//! Cross-domain messages: value sent with `CrossDomain.send` on one domain arrives on another
//! once, after its block commits, with its status, proof and the inbox cursor to follow it; a
//! refusing recipient is credited and its message replayable; a restart delivers nothing twice;
//! a send to a domain that does not exist is refused at the source.

use std::time::Duration;

use alloy::sol_types::SolCall;
use alloy_primitives::{Address, B256, Bytes, U256};
use sec_contracts::{
    bindings::{CrossDomain, test::reverting_recipient::RevertingRecipient},
    predeploy::{CROSS_DOMAIN, NATIVE_RESERVE},
};
use sec_primitives::merkle;
use serde_json::{Value, json};

use crate::common::*;

/// Sends `value` from domain `src` to `to` on `dst` with `data`; the message hash.
async fn send(
    node: &TestNode,
    src: u32,
    dst: u32,
    to: Address,
    value: U256,
    data: Vec<u8>,
) -> B256 {
    let key = dev_key(2);
    let rpc = node.rpc(src);
    let nonce = rpc.nonce(key.address()).await;
    let call = CrossDomain::sendCall { dstDomain: dst, to, data: data.into() };
    let tx = Tx {
        value,
        gas: 300_000,
        ..Tx::call(node.chain_id(src), nonce, CROSS_DOMAIN, call.abi_encode().into())
    };
    let receipt = rpc.send_and_wait(&tx.eip1559(&key)).await;
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    let log = &receipt["logs"][0];
    serde_json::from_value(log["topics"][1].clone()).expect("message hash")
}

/// Polls `sec_getMessage` until the message left `pending`.
async fn settled(rpc: &Rpc, hash: B256) -> Value {
    for _ in 0..400 {
        let m = rpc.call("sec_getMessage", vec![json!(hash)]).await;
        if m["status"] != "pending" {
            return m;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("message {hash} was never delivered");
}

#[tokio::test(flavor = "multi_thread")]
async fn messages_are_delivered_once_with_proofs_and_replays() {
    let dir = tempfile::tempdir().unwrap();
    let config = TestNode::config(dir.path(), 3);
    let mut node = TestNode::start(config.clone()).await;
    let bob = Address::repeat_byte(0xb0);

    let supply = |v: &Value, key: &str| -> U256 { serde_json::from_value(v[key].clone()).unwrap() };
    let before2 = node.rpc(0).call("sec_domainSupply", vec![json!(2)]).await;

    // 5 SEC from domain 0 to bob on domain 2
    let h1 = send(&node, 0, 2, bob, sec(5), vec![]).await;
    let m = settled(&node.rpc(1), h1).await;
    assert_eq!(m["status"], "delivered", "{m}");
    assert_eq!(m["message"]["srcDomain"], 0);
    assert_eq!(m["message"]["dstDomain"], 2);
    assert_eq!(m["delivery"]["domain"], 2);
    assert_eq!(balance(&node.rpc(2), bob).await, sec(5));
    assert_eq!(balance(&node.rpc(1), bob).await, U256::ZERO);
    // burned on the source, paid from the destination's reserve
    assert_eq!(balance(&node.rpc(0), CROSS_DOMAIN).await, NATIVE_RESERVE + sec(5));
    assert_eq!(balance(&node.rpc(2), CROSS_DOMAIN).await, NATIVE_RESERVE - sec(5));
    // domain 2's circulating SEC grew by exactly the message (a delivery pays no fee), out of
    // its reserve, its total unchanged; domain 0's outbox holds what was sent
    let after2 = node.rpc(1).call("sec_domainSupply", vec![json!(2)]).await;
    assert_eq!(supply(&after2, "circulating"), supply(&before2, "circulating") + sec(5));
    assert_eq!(supply(&after2, "total"), supply(&before2, "total"));
    let on0 = node.rpc(0).call("sec_domainSupply", vec![]).await;
    assert_eq!(
        (on0["domain"].clone(), supply(&on0, "crossDomain")),
        (json!(0), NATIVE_RESERVE + sec(5))
    );
    // the proof holds against the sending block's outbox root, which its header commits to
    let proof: Vec<B256> = serde_json::from_value(m["proof"].clone()).unwrap();
    let root: B256 = serde_json::from_value(m["outboxRoot"].clone()).unwrap();
    assert!(merkle::verify_proof(&proof, root, h1));
    let ext = node.rpc(0).call("sec_getBlockExtension", vec![m["blockNumber"].clone()]).await;
    assert_eq!(ext["outboxRoot"], m["outboxRoot"]);
    // the delivering block records the inbox cursor, and its system transaction is visible
    let delivered_in = m["delivery"]["blockNumber"].clone();
    let ext = node.rpc(2).call("sec_getBlockExtension", vec![delivered_in]).await;
    assert_eq!(ext["inboxCursor"], json!([{ "srcDomain": 0, "nonce": 1 }]));
    let tx = node
        .rpc(2)
        .call("eth_getTransactionByHash", vec![m["delivery"]["transactionHash"].clone()])
        .await;
    assert_eq!((tx["to"].clone(), tx["gasPrice"].clone()), (json!(CROSS_DOMAIN), json!("0x0")));

    // a refusing contract on domain 1: credited, failed, then replayed by anyone
    let key = dev_key(3);
    let receipt = node
        .rpc(1)
        .send_and_wait(
            &Tx::create(node.chain_id(1), 0, RevertingRecipient::BYTECODE.clone()).eip1559(&key),
        )
        .await;
    let refusing: Address = serde_json::from_value(receipt["contractAddress"].clone()).unwrap();
    let unblock = RevertingRecipient::setBlockedCall { b: false }.abi_encode();
    let h2 = send(&node, 0, 1, refusing, sec(2), unblock.clone()).await;
    let m2 = settled(&node.rpc(0), h2).await;
    assert_eq!(m2["status"], "failed", "{m2}");
    assert_eq!(balance(&node.rpc(1), refusing).await, sec(2));
    let replay = CrossDomain::replayCall {
        srcDomain: 0,
        nonce_: 2,
        sender: dev_key(2).address(),
        to: refusing,
        value: sec(2),
        data: Bytes::from(unblock),
    };
    let tx = Tx {
        gas: 500_000,
        ..Tx::call(node.chain_id(1), 1, CROSS_DOMAIN, replay.abi_encode().into())
    };
    let r = node.rpc(1).send_and_wait(&tx.eip1559(&key)).await;
    assert_eq!(r["status"], "0x1", "{r}");
    let call = RevertingRecipient::blockedCall {}.abi_encode();
    let out = node
        .rpc(1)
        .call(
            "eth_call",
            vec![json!({ "to": refusing, "data": Bytes::from(call) }), json!("latest")],
        )
        .await;
    assert_eq!(out, json!(format!("0x{}", "0".repeat(64))), "the replayed call ran");

    // a domain that does not exist is refused at the source
    let call = CrossDomain::sendCall { dstDomain: 7, to: bob, data: Bytes::new() };
    let err = node
        .rpc(0)
        .try_call(
            "eth_estimateGas",
            vec![json!({ "from": dev_key(2).address(), "to": CROSS_DOMAIN, "data": Bytes::from(call.abi_encode()) })],
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), 3, "{err:?}");

    // a restart delivers nothing twice; the next message once
    node.stop().await;
    let node = TestNode::start(config).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(balance(&node.rpc(2), bob).await, sec(5));
    assert_eq!(settled(&node.rpc(2), h1).await["status"], "delivered");
    let h3 = send(&node, 1, 2, bob, sec(1), vec![]).await;
    assert_eq!(settled(&node.rpc(0), h3).await["status"], "delivered");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(balance(&node.rpc(2), bob).await, sec(6));
    let head = node.rpc(2).call("sec_getBlockExtension", vec![json!("latest")]).await;
    assert_eq!(
        head["inboxCursor"],
        json!([{ "srcDomain": 0, "nonce": 1 }, { "srcDomain": 1, "nonce": 1 }])
    );
    assert_eq!(node.rpc(0).call("sec_getMessage", vec![json!(B256::ZERO)]).await, Value::Null);
}
