//! The Otterscan `ots_` namespace on real transactions, in the shapes Otterscan reads.

use alloy::sol_types::SolCall;
use alloy_primitives::{Address, Bytes, U256};
use serde_json::{Value, json};

use crate::common::*;

alloy::sol! {
    function pay(address to);
}

#[tokio::test(flavor = "multi_thread")]
async fn otterscan_methods_on_mined_transactions() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = TestNode::config(dir.path(), 1);
    // Blocks every 300 ms, so that transactions sent together share one.
    config.block_time_ms = 300;
    let node = TestNode::start(config).await;
    let rpc = node.rpc(0);
    let cid = node.chain_id(0);
    let deployer = dev_key(0);
    let deploy = rpc.send_and_wait(&Tx::create(cid, 0, probe_code()).eip1559(&deployer)).await;
    let probe: Address = serde_json::from_value(deploy["contractAddress"].clone()).unwrap();
    let key = dev_key(3);
    let payee = Address::repeat_byte(0x22);
    let call = |nonce, data: Vec<u8>| Tx::call(cid, nonce, probe, data.into());
    let set = rpc
        .send_and_wait(&call(0, setCall { v: U256::from(7u64) }.abi_encode()).eip1559(&key))
        .await;
    let mut paying = call(1, payCall { to: payee }.abi_encode());
    paying.value = U256::from(1000u64);
    let pay = rpc.send_and_wait(&paying.eip1559(&key)).await;
    let fail = rpc.send_and_wait(&call(2, failCall {}.abi_encode()).eip1559(&key)).await;
    assert_eq!(fail["status"], "0x0");
    let nested_data = callSelfCall { v: U256::from(5u64) }.abi_encode();
    let nested = rpc.send_and_wait(&call(3, nested_data.clone()).eip1559(&key)).await;
    let hash = |r: &Value| r["transactionHash"].clone();

    assert_eq!(rpc.call("ots_getApiLevel", vec![]).await, json!(8));

    // ots_hasCode, now and before the deployment.
    assert_eq!(rpc.call("ots_hasCode", vec![json!(probe), json!("latest")]).await, json!(true));
    assert_eq!(
        rpc.call("ots_hasCode", vec![json!(key.address()), json!("latest")]).await,
        json!(false)
    );
    let before = format!("{:#x}", quantity(&deploy["blockNumber"]) - 1);
    assert_eq!(rpc.call("ots_hasCode", vec![json!(probe), json!(before)]).await, json!(false));

    // ots_traceTransaction: the outer call and the nested one, flat, with depths.
    let trace = rpc.call("ots_traceTransaction", vec![hash(&nested)]).await;
    let set_data = Bytes::from(setCall { v: U256::from(5u64) }.abi_encode());
    assert_eq!(
        trace,
        json!([
            { "type": "CALL", "depth": 0, "from": key.address(), "to": probe, "value": "0x0",
              "input": Bytes::from(nested_data), "output": "0x" },
            { "type": "CALL", "depth": 1, "from": probe, "to": probe, "value": "0x0",
              "input": set_data, "output": "0x" },
        ])
    );

    // ots_getInternalOperations: the payment the contract forwarded, not the top-level value.
    let ops = rpc.call("ots_getInternalOperations", vec![hash(&pay)]).await;
    assert_eq!(ops, json!([{ "type": 0, "from": probe, "to": payee, "value": "0x3e8" }]));
    assert_eq!(rpc.call("ots_getInternalOperations", vec![hash(&nested)]).await, json!([]));
    let ops = rpc.call("ots_getInternalOperations", vec![hash(&deploy)]).await;
    assert_eq!(ops, json!([]), "a top-level creation is not internal");

    // ots_getTransactionError: the revert data, or 0x for a success.
    let reason = alloy::sol_types::Revert::from("always fails");
    let data = Bytes::from(alloy::sol_types::SolError::abi_encode(&reason));
    assert_eq!(rpc.call("ots_getTransactionError", vec![hash(&fail)]).await, json!(data));
    assert_eq!(rpc.call("ots_getTransactionError", vec![hash(&set)]).await, json!("0x"));
    let unknown = json!(format!("{:#066x}", 1));
    let e = rpc.try_call("ots_getTransactionError", vec![unknown]).await.unwrap_err();
    assert_eq!(e.code(), -32000);

    // ots_getBlockDetails: the block without transactions and bloom, with count and fees.
    let number = quantity(&pay["blockNumber"]);
    let details = rpc.call("ots_getBlockDetails", vec![json!(number)]).await;
    let block = &details["block"];
    let full =
        rpc.call("eth_getBlockByNumber", vec![json!(format!("{number:#x}")), json!(false)]).await;
    assert_eq!(block["hash"], full["hash"]);
    assert_eq!(block["stateRoot"], full["stateRoot"]);
    assert_eq!(block["logsBloom"], Value::Null);
    assert!(block.get("transactions").is_none(), "{block}");
    let count = full["transactions"].as_array().unwrap().len();
    assert_eq!(block["transactionCount"], json!(count));
    assert_eq!(
        details["issuance"],
        json!({ "blockReward": "0x0", "uncleReward": "0x0", "issuance": "0x0" })
    );
    let receipts = rpc.call("eth_getBlockReceipts", vec![json!(format!("{number:#x}"))]).await;
    let fees: u128 = receipts
        .as_array()
        .unwrap()
        .iter()
        .map(|r| quantity(&r["gasUsed"]) as u128 * quantity(&r["effectiveGasPrice"]) as u128)
        .sum();
    assert_eq!(details["totalFees"], json!(U256::from(fees)));
    let by_hash = rpc.call("ots_getBlockDetailsByHash", vec![full["hash"].clone()]).await;
    assert_eq!(by_hash, details);
    assert_eq!(rpc.call("ots_getBlockDetails", vec![json!(1_000_000)]).await, Value::Null);

    // ots_getTransactionBySenderAndNonce, found by the nonce history.
    for (nonce, r) in [&set, &pay, &fail, &nested].into_iter().enumerate() {
        let found = rpc
            .call("ots_getTransactionBySenderAndNonce", vec![json!(key.address()), json!(nonce)])
            .await;
        assert_eq!(found, hash(r), "nonce {nonce}");
    }
    let next = vec![json!(key.address()), json!("0x4")];
    assert_eq!(rpc.call("ots_getTransactionBySenderAndNonce", next).await, Value::Null);
    let first = vec![json!(deployer.address()), json!(0)];
    assert_eq!(rpc.call("ots_getTransactionBySenderAndNonce", first).await, hash(&deploy));

    // ots_getContractCreator: the deployment; nothing for an account or a genesis predeploy.
    let creator = rpc.call("ots_getContractCreator", vec![json!(probe)]).await;
    assert_eq!(creator, json!({ "hash": hash(&deploy), "creator": deployer.address() }));
    assert_eq!(rpc.call("ots_getContractCreator", vec![json!(payee)]).await, Value::Null);
    let predeploy = sec_contracts::predeploy::CROSS_DOMAIN;
    assert_eq!(rpc.call("ots_getContractCreator", vec![json!(predeploy)]).await, Value::Null);

    // ots_getBlockTransactions: pages counted from the end of a block of several transfers.
    let block = loop {
        let senders = [dev_key(1), dev_key(2), dev_key(4)];
        let mut hashes = Vec::new();
        for k in &senders {
            let nonce = rpc.nonce(k.address()).await;
            let t = Tx::transfer(cid, nonce, payee, U256::from(1u64));
            hashes.push(rpc.send(&t.eip1559(k)).await.unwrap());
        }
        let mut blocks = Vec::new();
        for h in hashes {
            blocks.push(quantity(&rpc.receipt(h).await["blockNumber"]));
        }
        if blocks.iter().all(|b| *b == blocks[0]) {
            break blocks[0];
        }
    };
    let full =
        rpc.call("eth_getBlockByNumber", vec![json!(format!("{block:#x}")), json!(true)]).await;
    let txs = full["transactions"].as_array().unwrap();
    assert!(txs.len() >= 3);
    let n = txs.len();
    let page = |p: u64, size: u64| {
        rpc.call("ots_getBlockTransactions", vec![json!(block), json!(p), json!(size)])
    };
    let last_two = page(0, 2).await;
    assert_eq!(last_two["fullblock"]["transactionCount"], json!(n));
    assert_eq!(last_two["fullblock"]["hash"], full["hash"]);
    let got = last_two["fullblock"]["transactions"].as_array().unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0]["hash"], txs[n - 2]["hash"]);
    assert_eq!(got[1]["hash"], txs[n - 1]["hash"]);
    let receipts = last_two["receipts"].as_array().unwrap();
    assert_eq!(receipts.len(), 2);
    assert_eq!(receipts[1]["transactionHash"], txs[n - 1]["hash"]);
    assert_eq!(receipts[1]["logs"], Value::Null);
    assert_eq!(receipts[1]["logsBloom"], Value::Null);
    assert_eq!(receipts[1]["status"], "0x1");
    assert_eq!(receipts[1]["timestamp"], full["timestamp"]);
    let rest = page(1, 2).await;
    let got = rest["fullblock"]["transactions"].as_array().unwrap();
    assert_eq!(got.len(), n - 2);
    assert_eq!(got[0]["hash"], txs[0]["hash"]);
    assert_eq!(page(9, 2).await["fullblock"]["transactions"], json!([]));
    // Inputs are cut to the selector: the probe call's block.
    let with_call = page_of(&rpc, quantity(&nested["blockNumber"])).await;
    let input = with_call["fullblock"]["transactions"][0]["input"].as_str().unwrap().to_string();
    assert_eq!(input, format!("0x{}", alloy_primitives::hex::encode(callSelfCall::SELECTOR)));
}

async fn page_of(rpc: &Rpc, block: u64) -> Value {
    rpc.call(
        "ots_getBlockTransactions",
        vec![json!(format!("{block:#x}")), json!("0x0"), json!(25)],
    )
    .await
}
