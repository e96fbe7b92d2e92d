//! Deposits from an L1 (here an in-memory one behind `L1Source`) credited by system
//! transactions: after their confirmations, in their domain only, once across a restart, to a
//! refusing contract too, visible and traceable like any transaction; an unreachable L1 does
//! not stop the chain.

use std::{sync::atomic::Ordering, time::Duration};

use alloy::sol_types::{SolCall, SolEvent};
use alloy_primitives::{Address, B256, Bytes, U256};
use sec_contracts::{
    bindings::{
        L2Bridge, bridged_erc20::BridgedERC20, test::reverting_recipient::RevertingRecipient,
    },
    predeploy::{L2_BRIDGE, NATIVE_RESERVE, bridged_token_address},
};
use sec_primitives::{
    L1Origin,
    deposit::{KIND_ERC20, KIND_ETH, KIND_SEC},
};
use serde_json::{Value, json};

use crate::common::*;

async fn view<C: SolCall>(rpc: &Rpc, to: Address, call: C) -> C::Return {
    let data = Bytes::from(call.abi_encode());
    let out = rpc.call("eth_call", vec![json!({ "to": to, "data": data }), json!("latest")]).await;
    let bytes: Bytes = serde_json::from_value(out).expect("bytes");
    C::abi_decode_returns(&bytes).expect("decodes")
}

/// Polls `sec_getDeposit(nonce)` until a domain has credited it.
async fn credited(rpc: &Rpc, nonce: u64) -> Value {
    for _ in 0..400 {
        let d = rpc.call("sec_getDeposit", vec![json!(format!("{nonce:#x}"))]).await;
        if !d.is_null() {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("deposit {nonce} was never credited");
}

#[tokio::test(flavor = "multi_thread")]
async fn deposits_are_credited_once_in_their_domain_after_their_confirmations() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = TestNode::config(dir.path(), 2);
    config.l1.confirmations = 1;
    config.l1_sec_token = Address::repeat_byte(0x5e);
    let l1 = MemoryL1::new();
    let mut node = TestNode::start_with_l1(config.clone(), Some(l1.clone())).await;
    let (rpc0, rpc1) = (node.rpc(0), node.rpc(1));
    let (alice, bob) = (Address::repeat_byte(0xa1), Address::repeat_byte(0xb0));

    // a contract on domain 1 that refuses SEC
    let key = dev_key(1);
    let receipt = rpc1
        .send_and_wait(
            &Tx::create(node.chain_id(1), 0, RevertingRecipient::BYTECODE.clone()).eip1559(&key),
        )
        .await;
    let refusing: Address = serde_json::from_value(receipt["contractAddress"].clone()).unwrap();

    let first = l1.mine(vec![
        deposit(1, 1, KIND_SEC, alice, sec(3)),
        deposit(2, 0, KIND_ETH, bob, sec(2)),
        deposit(3, 1, KIND_ERC20, alice, U256::from(5_000_000u64)),
        deposit(4, 1, KIND_SEC, refusing, sec(4)),
    ]);
    // not before one more L1 block confirms them
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(rpc0.call("sec_getDeposit", vec![json!("0x1")]).await, Value::Null);
    assert_eq!(balance(&rpc1, alice).await, U256::ZERO);
    let confirming = l1.mine(vec![]);

    let d1 = credited(&rpc0, 1).await;
    assert_eq!((d1["domain"].as_u64(), d1["status"].as_str()), (Some(1), Some("credited")));
    for nonce in 2..=4 {
        let d = credited(&rpc0, nonce).await;
        assert_eq!(d["status"], "credited", "deposit {nonce}: {d}");
    }
    // in their domain only
    assert_eq!(balance(&rpc1, alice).await, sec(3));
    assert_eq!(balance(&rpc0, alice).await, U256::ZERO);
    assert_eq!(credited(&rpc1, 2).await["domain"], 0, "any path answers for any domain");
    // ETH and the ERC-20 became bridged tokens with the L1 token's metadata
    let weth = bridged_token_address(Address::ZERO);
    assert_eq!(view(&rpc0, weth, BridgedERC20::balanceOfCall { account: bob }).await, sec(2));
    assert_eq!(view(&rpc0, weth, BridgedERC20::symbolCall {}).await, "ETH");
    let tmd = bridged_token_address(Address::repeat_byte(0x70));
    assert_eq!(
        view(&rpc1, tmd, BridgedERC20::balanceOfCall { account: alice }).await,
        U256::from(5_000_000u64)
    );
    assert_eq!(view(&rpc1, tmd, BridgedERC20::decimalsCall {}).await, 6);
    assert_eq!(view(&rpc1, tmd, BridgedERC20::nameCall {}).await, "Tomato Dollar");
    // the refusing contract is credited without running its code
    assert_eq!(balance(&rpc1, refusing).await, sec(4));
    assert_eq!(balance(&rpc1, L2_BRIDGE).await, NATIVE_RESERVE - sec(7));

    // a system transaction is an ordinary signed transaction of the producer, gas price 0
    let hash = d1["transactionHash"].clone();
    let tx = rpc1.call("eth_getTransactionByHash", vec![hash.clone()]).await;
    let producer = dev_key(20).address();
    assert_eq!(tx["from"], json!(producer));
    assert_eq!(tx["to"], json!(L2_BRIDGE));
    assert_eq!((tx["gasPrice"].as_str(), tx["type"].as_str()), (Some("0x0"), Some("0x0")));
    assert_eq!(tx["blockNumber"], d1["blockNumber"]);
    let receipt = rpc1.call("eth_getTransactionReceipt", vec![hash.clone()]).await;
    assert_eq!(receipt["status"], "0x1");
    let refused = credited(&rpc0, 4).await;
    let logs = rpc1
        .call("eth_getTransactionReceipt", vec![refused["transactionHash"].clone()])
        .await["logs"]
        .clone();
    let event = logs
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["topics"][0] == json!(L2Bridge::NativeDepositFinalized::SIGNATURE_HASH))
        .expect("NativeDepositFinalized");
    assert_eq!(event["topics"][3], json!(refusing.into_word()));
    assert!(event["data"].as_str().unwrap().ends_with(&"0".repeat(64)), "callSucceeded is false");
    // the block records the L1 block it read up to: the confirmed one, not the head
    let ext = rpc1.call("sec_getBlockExtension", vec![d1["blockNumber"].clone()]).await;
    assert_eq!(ext["l1Origin"]["number"], json!(format!("{first:#x}")));
    assert_eq!(confirming, first + 1);
    // a replay (trace) runs it under the same rule: the value goes to alice
    let trace =
        rpc1.call("debug_traceTransaction", vec![hash, json!({ "tracer": "callTracer" })]).await;
    assert_eq!(trace["from"], json!(producer));
    assert_eq!(trace["calls"][0]["to"], json!(alice));
    assert_eq!(trace["calls"][0]["value"], json!(format!("{:#x}", sec(3))));
    // a user can still send, the producer's pool transactions are not taken
    let fee_before = balance(&rpc1, producer).await;
    rpc1.send_and_wait(&Tx::transfer(node.chain_id(1), 1, alice, sec(1)).eip1559(&key)).await;
    assert_eq!(balance(&rpc1, alice).await, sec(4));
    assert!(balance(&rpc1, producer).await > fee_before, "the producer earned the tip");

    // restart: nothing is credited twice, later deposits still arrive
    let heads =
        (rpc0.call("eth_blockNumber", vec![]).await, rpc1.call("eth_blockNumber", vec![]).await);
    node.stop().await;
    let node = TestNode::start_with_l1(config, Some(l1.clone())).await;
    let (rpc0, rpc1) = (node.rpc(0), node.rpc(1));
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        (rpc0.call("eth_blockNumber", vec![]).await, rpc1.call("eth_blockNumber", vec![]).await),
        heads,
        "no block re-credits what is already credited"
    );
    assert_eq!(balance(&rpc1, alice).await, sec(4));
    assert_eq!(credited(&rpc0, 1).await, d1);
    l1.mine(vec![deposit(5, 1, KIND_SEC, alice, sec(10))]);
    l1.mine(vec![]);
    credited(&rpc0, 5).await;
    assert_eq!(balance(&rpc1, alice).await, sec(14));
    assert_eq!(balance(&rpc1, L2_BRIDGE).await, NATIVE_RESERVE - sec(17));

    // L1 unreachable: the chain goes on without deposits, and catches up when it returns
    l1.down.store(true, Ordering::SeqCst);
    l1.mine(vec![deposit(6, 1, KIND_SEC, bob, sec(1))]);
    l1.mine(vec![]);
    let r = rpc1.send_and_wait(&Tx::transfer(node.chain_id(1), 2, bob, sec(1)).eip1559(&key)).await;
    assert_eq!(r["status"], "0x1");
    assert_eq!(rpc0.call("sec_getDeposit", vec![json!("0x6")]).await, Value::Null);
    l1.down.store(false, Ordering::SeqCst);
    credited(&rpc0, 6).await;
    assert_eq!(balance(&rpc1, bob).await, sec(2));

    // L1 reorganises below what domain 1 has read: its deposits are held, not skipped or
    // read from the other branch, while its blocks go on
    let read_to: L1Origin = serde_json::from_value(
        rpc1.call("sec_getBlockExtension", vec![json!("latest")]).await["l1Origin"].clone(),
    )
    .unwrap();
    l1.blocks.lock()[read_to.number as usize].0 = B256::repeat_byte(0xee);
    l1.mine(vec![deposit(7, 1, KIND_SEC, bob, sec(1))]);
    l1.mine(vec![]);
    let head = quantity(&rpc1.call("eth_blockNumber", vec![]).await);
    rpc1.send_and_wait(&Tx::transfer(node.chain_id(1), 3, bob, sec(1)).eip1559(&key)).await;
    assert!(quantity(&rpc1.call("eth_blockNumber", vec![]).await) > head);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(rpc0.call("sec_getDeposit", vec![json!("0x7")]).await, Value::Null);
    let ext = rpc1.call("sec_getBlockExtension", vec![json!("latest")]).await;
    assert_eq!(serde_json::from_value::<L1Origin>(ext["l1Origin"].clone()).unwrap(), read_to);
}
