//! Parity `trace_*` and the prestate and flat-call tracers, checked against the call they replay.

use alloy::sol_types::SolCall;
use alloy_primitives::{Address, B256, U256};
use serde_json::{Value, json};

use crate::common::*;

#[tokio::test(flavor = "multi_thread")]
async fn parity_traces_and_the_prestate_and_flat_call_tracers() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(TestNode::config(dir.path(), 1)).await;
    let rpc = node.rpc(0);
    let cid = node.chain_id(0);
    let probe = deploy_probe(&rpc, cid).await;
    let key = dev_key(3);
    let data = callSelfCall { v: U256::from(5u64) }.abi_encode();
    let r = rpc.send_and_wait(&Tx::call(cid, 0, probe, data.into()).eip1559(&key)).await;
    let (hash, number) = (r["transactionHash"].clone(), r["blockNumber"].clone());

    // The outer call and the nested one, in Parity's shape.
    let traces = rpc.call("trace_transaction", vec![hash.clone()]).await;
    let traces = traces.as_array().unwrap();
    assert_eq!(traces.len(), 2, "{traces:?}");
    assert_eq!(traces[0]["action"]["from"], json!(key.address()));
    assert_eq!(traces[0]["action"]["to"], json!(probe));
    assert_eq!(traces[0]["traceAddress"], json!([]));
    assert_eq!(traces[0]["subtraces"], 1);
    assert_eq!(traces[1]["action"]["from"], json!(probe));
    assert_eq!(traces[1]["traceAddress"], json!([0]));
    for t in traces {
        assert_eq!(t["transactionHash"], hash);
        assert_eq!(t["blockNumber"], quantity(&number));
        assert_eq!(t["blockHash"], r["blockHash"]);
    }
    assert_eq!(rpc.call("trace_block", vec![number.clone()]).await, json!(traces));
    // geth's flat call tracer gives the same list.
    let flat = rpc
        .call("debug_traceTransaction", vec![hash.clone(), json!({ "tracer": "flatCallTracer" })])
        .await;
    assert_eq!(flat.as_array().unwrap().len(), 2);
    assert_eq!(flat[1]["action"], traces[1]["action"]);

    // Replays with a state diff: the slot the call wrote.
    let replay = rpc
        .call("trace_replayBlockTransactions", vec![number.clone(), json!(["trace", "stateDiff"])])
        .await;
    assert_eq!(replay[0]["transactionHash"], hash);
    assert_eq!(replay[0]["trace"].as_array().unwrap().len(), 2);
    let slot0 = format!("{:#x}", B256::ZERO);
    let diff = &at(&replay[0]["stateDiff"], probe)["storage"][&slot0];
    assert_eq!(diff["*"]["to"], json!(B256::from(U256::from(5u64))), "{}", replay[0]["stateDiff"]);
    let one = rpc.call("trace_replayTransaction", vec![hash.clone(), json!(["trace"])]).await;
    assert_eq!(one["trace"], replay[0]["trace"]);

    // trace_filter by destination, with paging.
    let by_to = json!({ "fromBlock": number, "toBlock": number, "toAddress": [probe] });
    let found = rpc.call("trace_filter", vec![by_to.clone()]).await;
    assert_eq!(found.as_array().unwrap().len(), 2, "both calls go to the probe");
    let mut paged = by_to.clone();
    paged["after"] = json!(1);
    paged["count"] = json!(5);
    assert_eq!(rpc.call("trace_filter", vec![paged]).await, json!([found[1]]));
    let nobody =
        json!({ "fromBlock": number, "toBlock": number, "toAddress": [Address::repeat_byte(1)] });
    assert_eq!(rpc.call("trace_filter", vec![nobody]).await, json!([]));

    // The prestate tracer: the slot before the call, and in diff mode before and after.
    let pre = rpc
        .call("debug_traceTransaction", vec![hash.clone(), json!({ "tracer": "prestateTracer" })])
        .await;
    assert!(at(&pre, probe)["code"].is_string(), "{pre}");
    let diff = rpc
        .call(
            "debug_traceTransaction",
            vec![
                hash.clone(),
                json!({ "tracer": "prestateTracer", "tracerConfig": { "diffMode": true } }),
            ],
        )
        .await;
    assert!(diff["pre"].is_object() && diff["post"].is_object(), "{diff}");

    // debug_traceCall with block overrides: the call sees the overridden number and time.
    let info = blockInfoCall {}.abi_encode();
    let call = json!({ "to": probe, "data": alloy_primitives::Bytes::from(info) });
    let traced = rpc
        .call(
            "debug_traceCall",
            vec![
                call,
                json!("latest"),
                json!({ "tracer": "callTracer", "blockOverrides": { "number": "0x777", "time": "0x1234" } }),
            ],
        )
        .await;
    let out: alloy_primitives::Bytes = serde_json::from_value(traced["output"].clone()).unwrap();
    assert_eq!(U256::from_be_slice(&out[0..32]), U256::from(0x777u64));
    assert_eq!(U256::from_be_slice(&out[32..64]), U256::from(0x1234u64));
}

/// The entry of `address` in a map keyed by address, whatever the letter case of the keys.
fn at(map: &Value, address: Address) -> Value {
    let map = map.as_object().unwrap_or_else(|| panic!("not a map: {map}"));
    map.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(&address.to_string()))
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| panic!("{address} missing from {map:?}"))
}
