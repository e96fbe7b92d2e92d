//! `sec_trustIndex` and `sec_trades` against the trade predeploys of a running node: a trade
//! taken through every step moves both, at the block asked for.

use alloy::{signers::local::PrivateKeySigner, sol_types::SolCall};
use alloy_primitives::{Address, B256, Bytes, U256};
use sec_contracts::{bindings::TradeEscrow, predeploy::TRADE_ESCROW};
use serde_json::{Value, json};

use crate::common::*;

const ETHER: u64 = 1_000_000_000_000_000_000;

/// Sends one call to the escrow and asserts it succeeded.
async fn escrow(rpc: &Rpc, cid: u64, key: &PrivateKeySigner, data: Vec<u8>, value: U256) -> Value {
    let nonce = rpc.nonce(key.address()).await;
    let tx = Tx { value, gas: 400_000, ..Tx::call(cid, nonce, TRADE_ESCROW, Bytes::from(data)) };
    let r = rpc.send_and_wait(&tx.eip1559(key)).await;
    assert_eq!(r["status"], "0x1", "escrow call failed: {r}");
    r
}

fn open(price: U256, buyer: Address) -> Vec<u8> {
    TradeEscrow::openCall {
        token: Address::ZERO,
        price,
        descriptionHash: B256::repeat_byte(0xd0),
        autoConfirmPeriod: 3600,
        shipPeriod: 0,
        designatedBuyer: buyer,
    }
    .abi_encode()
}

#[tokio::test(flavor = "multi_thread")]
async fn trust_index_and_trades_follow_a_trade() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(TestNode::config(dir.path(), 1)).await;
    let rpc = node.rpc(0);
    let cid = node.chain_id(0);
    let (seller, buyer, other) = (dev_key(0), dev_key(1), dev_key(2));
    let price = U256::from(10 * ETHER);

    let fresh = rpc.call("sec_trustIndex", vec![json!(seller.address())]).await;
    assert_eq!(fresh["index"], 0);
    assert_eq!(fresh["banned"], false);
    assert_eq!(fresh["completedTrades"], 0);
    assert_eq!(fresh["bondBps"], 5000);
    let none = rpc.call("sec_trades", vec![json!(seller.address())]).await;
    assert_eq!(none["lastOfferId"], 0);
    assert_eq!(none["complete"], true);
    assert_eq!(none["offers"], json!([]));

    // a newcomer bonds half the price
    let bond = U256::from(5 * ETHER);
    escrow(&rpc, cid, &seller, open(price, Address::ZERO), bond).await;
    let paid =
        escrow(&rpc, cid, &buyer, TradeEscrow::payCall { offerId: 1 }.abi_encode(), price).await;
    let trades = rpc.call("sec_trades", vec![json!(buyer.address())]).await;
    let o = &trades["offers"][0];
    assert_eq!(
        (o["offerId"].clone(), o["role"].clone(), o["stage"].clone()),
        (json!(1), json!("buyer"), json!("Paid"))
    );
    let block = quantity(&paid["blockNumber"]);
    let header =
        rpc.call("eth_getBlockByNumber", vec![paid["blockNumber"].clone(), false.into()]).await;
    let paid_at = quantity(&header["timestamp"]);
    assert_eq!(o["paidAt"], paid_at);
    assert_eq!(o["shipBy"], paid_at + 14 * 24 * 3600);
    assert_eq!(o["settlesAt"], Value::Null);
    assert_eq!(o["price"], json!(price));
    assert_eq!(o["bond"], json!(bond));

    let tracking = B256::repeat_byte(0x7a);
    escrow(
        &rpc,
        cid,
        &seller,
        TradeEscrow::shipCall { offerId: 1, trackingHash: tracking }.abi_encode(),
        U256::ZERO,
    )
    .await;
    let shipped = rpc.call("sec_trades", vec![json!(seller.address())]).await;
    let o = &shipped["offers"][0];
    assert_eq!((o["role"].clone(), o["stage"].clone()), (json!("seller"), json!("Shipped")));
    assert_eq!(o["settlesAt"], quantity_u64(&o["shippedAt"]) + 3600);
    escrow(&rpc, cid, &buyer, TradeEscrow::confirmCall { offerId: 1 }.abi_encode(), U256::ZERO)
        .await;

    for who in [&seller, &buyer] {
        let t = rpc.call("sec_trustIndex", vec![json!(who.address())]).await;
        assert_eq!(t["index"], 1, "{t}");
        assert_eq!(t["completedTrades"], 1, "{t}");
        assert_eq!(t["disputesLost"], 0, "{t}");
        // the bond falls with the index: 5000 - 40
        assert_eq!(t["bondBps"], 4960, "{t}");
    }
    // at the block where it was paid, nothing had completed yet
    let then = rpc
        .call("sec_trustIndex", vec![json!(seller.address()), json!(format!("{block:#x}"))])
        .await;
    assert_eq!(then["index"], 0);
    let then =
        rpc.call("sec_trades", vec![json!(seller.address()), json!(format!("{block:#x}"))]).await;
    assert_eq!(then["offers"][0]["stage"], "Paid");

    // a second offer for a designated buyer: listed for both, newest first
    escrow(
        &rpc,
        cid,
        &seller,
        open(price, other.address()),
        U256::from(4_960_000_000_000_000_000u64),
    )
    .await;
    let mine = rpc.call("sec_trades", vec![json!(seller.address())]).await;
    let stages: Vec<_> = mine["offers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["offerId"].clone(), o["stage"].clone()))
        .collect();
    assert_eq!(stages, vec![(json!(2), json!("Open")), (json!(1), json!("Completed"))]);
    let theirs = rpc.call("sec_trades", vec![json!(other.address())]).await;
    assert_eq!(theirs["offers"].as_array().unwrap().len(), 1);
    assert_eq!(theirs["offers"][0]["role"], "designatedBuyer");
    assert_eq!(theirs["offers"][0]["paidAt"], Value::Null);
    // paging: offers below id 2 only
    let page =
        rpc.call("sec_trades", vec![json!(seller.address()), json!("latest"), json!(2)]).await;
    assert_eq!(page["offers"].as_array().unwrap().len(), 1);
    assert_eq!(page["offers"][0]["offerId"], 1);
    // a stranger has none
    let stranger = rpc.call("sec_trades", vec![json!(Address::repeat_byte(0x99))]).await;
    assert_eq!(stranger["offers"], json!([]));
    assert_eq!(stranger["lastOfferId"], 2);

    // bad parameters and unknown blocks are refused with the usual codes
    let e = rpc.try_call("sec_trustIndex", vec![json!("0x1234")]).await.unwrap_err();
    assert_eq!(e.code(), -32602);
    let e = rpc
        .try_call("sec_trades", vec![json!(seller.address()), json!("0xffffff")])
        .await
        .unwrap_err();
    assert_eq!(e.code(), -32000);
    assert!(e.message().contains("header not found"), "{e:?}");
}

fn quantity_u64(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a number: {v}"))
}
