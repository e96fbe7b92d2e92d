//! Execution through the RPC: receipts, logs, calls with overrides, estimates, traces, fees.

use alloy::sol_types::SolCall;
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use serde_json::{Value, json};

use crate::common::*;

#[tokio::test(flavor = "multi_thread")]
async fn receipts_logs_calls_and_history() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(TestNode::config(dir.path(), 1)).await;
    let rpc = node.rpc(0);
    let cid = node.chain_id(0);
    let key = dev_key(0);
    let probe = deploy_probe(&rpc, cid).await;
    let code = rpc.call("eth_getCode", vec![json!(probe), "latest".into()]).await;
    assert!(code.as_str().unwrap().len() > 100);

    let nonce = rpc.nonce(key.address()).await;
    let r = rpc
        .send_and_wait(
            &Tx::call(cid, nonce, probe, setCall { v: U256::from(42u64) }.abi_encode().into())
                .eip1559(&key),
        )
        .await;
    assert_eq!(r["status"], "0x1");
    assert_eq!(r["from"], json!(key.address()));
    assert_eq!(r["to"], json!(probe));
    assert_eq!(r["contractAddress"], Value::Null);
    assert_eq!(r["type"], "0x2");
    let block = quantity(&r["blockNumber"]);
    let gas_used = quantity(&r["gasUsed"]);
    assert!(gas_used > 21_000 && gas_used == quantity(&r["cumulativeGasUsed"]));
    let header =
        rpc.call("eth_getBlockByNumber", vec![r["blockNumber"].clone(), false.into()]).await;
    let base_fee = quantity(&header["baseFeePerGas"]);
    assert_eq!(
        quantity(&r["effectiveGasPrice"]),
        base_fee + (GWEI as u64).min(10 * GWEI as u64 - base_fee)
    );
    let logs = r["logs"].as_array().unwrap();
    assert_eq!(logs.len(), 1);
    let topic0 = keccak256("Set(address,uint256)");
    assert_eq!(logs[0]["topics"][0], json!(topic0));
    assert_eq!(logs[0]["address"], json!(probe));

    // eth_getLogs by range, address and topics, and by block hash.
    let sender_topic = B256::left_padding_from(key.address().as_slice());
    let filter = json!({"fromBlock": "0x0", "toBlock": "latest", "address": probe, "topics": [topic0, sender_topic]});
    assert_eq!(rpc.call("eth_getLogs", vec![filter]).await.as_array().unwrap().len(), 1);
    let other = json!({"fromBlock": "0x0", "topics": [topic0, B256::repeat_byte(1)]});
    assert_eq!(rpc.call("eth_getLogs", vec![other]).await.as_array().unwrap().len(), 0);
    let by_hash = json!({"blockHash": r["blockHash"]});
    assert_eq!(rpc.call("eth_getLogs", vec![by_hash]).await.as_array().unwrap()[0], logs[0]);

    // eth_call: plain, at an older block (history), and with state and block overrides.
    let value_call = json!({"to": probe, "data": Bytes::from(valueCall {}.abi_encode())});
    let word = |v: u64| json!(B256::from(U256::from(v)));
    assert_eq!(
        rpc.call("eth_call", vec![value_call.clone(), "latest".into()]).await,
        json!(Bytes::from(U256::from(42u64).to_be_bytes::<32>().to_vec()))
    );
    assert_eq!(
        rpc.call("eth_call", vec![value_call.clone(), format!("{:#x}", block - 1).into()]).await,
        json!(Bytes::from(vec![0u8; 32]))
    );
    assert_eq!(
        rpc.call(
            "eth_getStorageAt",
            vec![json!(probe), "0x0".into(), format!("{:#x}", block - 1).into()]
        )
        .await,
        word(0)
    );
    assert_eq!(
        rpc.call("eth_getStorageAt", vec![json!(probe), "0x0".into(), "latest".into()]).await,
        word(42)
    );
    let state = json!({ probe.to_string(): {"stateDiff": { "0x0000000000000000000000000000000000000000000000000000000000000000": word(7) }} });
    assert_eq!(
        rpc.call("eth_call", vec![value_call.clone(), "latest".into(), state]).await,
        json!(Bytes::from(U256::from(7u64).to_be_bytes::<32>().to_vec()))
    );
    let info = json!({"to": probe, "data": Bytes::from(blockInfoCall {}.abi_encode())});
    let out = rpc
        .call(
            "eth_call",
            vec![info, "latest".into(), Value::Null, json!({"number": "0x1234", "time": "0x99"})],
        )
        .await;
    let out: Bytes = serde_json::from_value(out).unwrap();
    assert_eq!(U256::from_be_slice(&out[..32]), U256::from(0x1234u64));
    assert_eq!(U256::from_be_slice(&out[32..64]), U256::from(0x99u64));
    let rich = Address::repeat_byte(0x77);
    let balance_override = json!({ rich.to_string(): {"balance": "0xde0b6b3a7640000"} });
    let pay = json!({"from": rich, "to": Address::repeat_byte(1), "value": "0x1"});
    assert_eq!(
        rpc.call("eth_call", vec![pay.clone(), "latest".into(), balance_override]).await,
        "0x"
    );
    let e = rpc.try_call("eth_call", vec![pay, "latest".into()]).await.unwrap_err();
    assert!(e.message().starts_with("insufficient funds for gas * price + value"), "{e:?}");

    // Estimates: a plain transfer is 21000; a call is enough to succeed and not absurdly more.
    let transfer = json!({"from": key.address(), "to": Address::repeat_byte(2), "value": "0x1"});
    assert_eq!(rpc.call("eth_estimateGas", vec![transfer]).await, "0x5208");
    let set = json!({"from": key.address(), "to": probe, "data": Bytes::from(setCall { v: U256::from(99u64) }.abi_encode())});
    let estimate = quantity(&rpc.call("eth_estimateGas", vec![set.clone()]).await);
    let nonce = rpc.nonce(key.address()).await;
    let mut tx = Tx::call(cid, nonce, probe, setCall { v: U256::from(99u64) }.abi_encode().into());
    tx.gas = estimate;
    let r = rpc.send_and_wait(&tx.eip1559(&key)).await;
    assert_eq!(r["status"], "0x1", "estimate {estimate} was not enough");
    assert!(estimate < quantity(&r["gasUsed"]) * 11 / 10 + 5_000, "estimate {estimate} too high");

    // Access list of a storage write names the contract and its slots.
    let al = rpc.call("eth_createAccessList", vec![set]).await;
    assert_eq!(al["accessList"][0]["address"], json!(probe));
    assert!(al["accessList"][0]["storageKeys"].as_array().unwrap().len() >= 2, "{al}");

    // Fee history and price suggestions.
    let fh =
        rpc.call("eth_feeHistory", vec!["0x3".into(), "latest".into(), json!([25.0, 75.0])]).await;
    assert_eq!(fh["baseFeePerGas"].as_array().unwrap().len(), 4);
    assert_eq!(fh["reward"].as_array().unwrap().len(), 3);
    assert_eq!(fh["gasUsedRatio"].as_array().unwrap().len(), 3);
    let tip = quantity(&rpc.call("eth_maxPriorityFeePerGas", vec![]).await);
    assert_eq!(tip, GWEI as u64);
    assert!(quantity(&rpc.call("eth_gasPrice", vec![]).await) > tip);
}

#[tokio::test(flavor = "multi_thread")]
async fn traces_in_geths_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(TestNode::config(dir.path(), 1)).await;
    let rpc = node.rpc(0);
    let cid = node.chain_id(0);
    let key = dev_key(0);
    let probe = deploy_probe(&rpc, cid).await;
    let nonce = rpc.nonce(key.address()).await;
    let data: Bytes = callSelfCall { v: U256::from(3u64) }.abi_encode().into();
    let r = rpc.send_and_wait(&Tx::call(cid, nonce, probe, data.clone()).eip1559(&key)).await;
    let hash = r["transactionHash"].clone();

    let call_tracer = json!({"tracer": "callTracer"});
    let frame = rpc.call("debug_traceTransaction", vec![hash.clone(), call_tracer.clone()]).await;
    assert_eq!(frame["type"], "CALL");
    assert_eq!(frame["from"], json!(key.address()));
    assert_eq!(frame["to"], json!(probe));
    assert_eq!(frame["input"], json!(data));
    assert_eq!(quantity(&frame["gasUsed"]), quantity(&r["gasUsed"]));
    assert_eq!(frame["calls"][0]["type"], "CALL");
    assert_eq!(frame["calls"][0]["from"], json!(probe));
    assert_eq!(frame["calls"][0]["to"], json!(probe));

    let logger = rpc.call("debug_traceTransaction", vec![hash, json!({})]).await;
    assert_eq!(logger["failed"], false);
    assert_eq!(logger["gas"], json!(quantity(&r["gasUsed"])));
    let ops: Vec<&str> = logger["structLogs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["op"].as_str().unwrap())
        .collect();
    assert!(ops.contains(&"SSTORE") && ops.contains(&"CALL") && ops.contains(&"LOG2"), "{ops:?}");

    let block = rpc
        .call("debug_traceBlockByNumber", vec![r["blockNumber"].clone(), call_tracer.clone()])
        .await;
    assert_eq!(block.as_array().unwrap().len(), 1);
    assert_eq!(block[0]["txHash"], r["transactionHash"]);
    assert_eq!(block[0]["result"], frame);
    let by_hash =
        rpc.call("debug_traceBlockByHash", vec![r["blockHash"].clone(), call_tracer.clone()]).await;
    assert_eq!(by_hash, block);

    // A call that reverts in the inner frame.
    let fail = json!({"from": key.address(), "to": probe, "data": Bytes::from(callSelfCall { v: U256::from(13u64) }.abi_encode())});
    let t = rpc.call("debug_traceCall", vec![fail, "latest".into(), call_tracer]).await;
    assert_eq!(t["error"], "execution reverted");
    assert_eq!(t["calls"][0]["error"], "execution reverted");
    assert_eq!(t["calls"][0]["revertReason"], "unlucky number");
}
