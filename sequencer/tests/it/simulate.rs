//! `eth_simulateV1`: chained simulated blocks, overrides, transfer logs, geth's error codes, and
//! that nothing it does reaches the chain.

use alloy::sol_types::SolCall;
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use serde_json::{Value, json};

use crate::common::*;

alloy::sol! {
    function pay(address to);
}

fn hex(data: impl AsRef<[u8]>) -> String {
    alloy_primitives::hex::encode_prefixed(data)
}

fn word(v: u64) -> String {
    format!("{:#066x}", v)
}

/// The 32-byte topic of an address.
fn topic(a: Address) -> Value {
    json!(a.into_word())
}

const ECRECOVER: &str = "0x0000000000000000000000000000000000000001";
const IDENTITY: &str = "0x0000000000000000000000000000000000000004";

async fn simulate(rpc: &Rpc, payload: Value) -> Vec<Value> {
    let v = rpc.call("eth_simulateV1", vec![payload, json!("latest")]).await;
    v.as_array().unwrap_or_else(|| panic!("not an array: {v}")).clone()
}

async fn simulate_err(rpc: &Rpc, payload: Value) -> (i32, String) {
    let e = rpc
        .try_call("eth_simulateV1", vec![payload, json!("latest")])
        .await
        .expect_err("the simulation is refused");
    (e.code(), e.message().to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn blocks_chain_on_the_base_and_see_each_others_writes() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(TestNode::config(dir.path(), 1)).await;
    let rpc = node.rpc(0);
    let probe = deploy_probe(&rpc, node.chain_id(0)).await;
    let base = rpc.call("eth_getBlockByNumber", vec![json!("latest"), json!(false)]).await;
    let base_number = quantity(&base["number"]);
    let base_time = quantity(&base["timestamp"]);
    let sender = Address::repeat_byte(0x42);

    let set = hex(setCall { v: U256::from(5u64) }.abi_encode());
    let blocks = simulate(
        &rpc,
        json!({ "blockStateCalls": [
            { "calls": [{ "from": sender, "to": probe, "input": set }] },
            { "calls": [
                { "from": sender, "to": probe, "input": hex(valueCall {}.abi_encode()) },
                { "from": sender, "to": probe, "input": hex(blockInfoCall {}.abi_encode()) },
            ] },
        ] }),
    )
    .await;
    assert_eq!(blocks.len(), 2);
    let (b1, b2) = (&blocks[0], &blocks[1]);
    // Numbers and times count up from the base, and each block names its parent.
    assert_eq!(quantity(&b1["number"]), base_number + 1);
    assert_eq!(quantity(&b2["number"]), base_number + 2);
    assert_eq!(quantity(&b1["timestamp"]), base_time + 1);
    assert_eq!(quantity(&b2["timestamp"]), base_time + 2);
    assert_eq!(b1["parentHash"], base["hash"]);
    assert_eq!(b2["parentHash"], b1["hash"]);
    // A header a client can check: its hash is keccak(rlp(header)).
    let header: alloy::rpc::types::Header = serde_json::from_value(b1.clone()).unwrap();
    assert_eq!(header.inner.hash_slow(), header.hash);
    assert_eq!(b1["baseFeePerGas"], "0x0", "no validation: base fee zero");

    // The write, its event and the block's transaction that stands for the call.
    let call = &b1["calls"][0];
    assert_eq!(call["status"], "0x1", "{call}");
    assert!(quantity(&call["gasUsed"]) > 21_000);
    assert_eq!(quantity(&b1["gasUsed"]), quantity(&call["gasUsed"]));
    let log = &call["logs"][0];
    assert_eq!(log["address"], json!(probe));
    assert_eq!(log["topics"][0], json!(keccak256("Set(address,uint256)")));
    assert_eq!(log["topics"][1], topic(sender));
    assert_eq!(log["data"], word(5));
    assert_eq!(log["blockHash"], b1["hash"]);
    assert_eq!(log["blockNumber"], b1["number"]);
    assert_eq!(log["transactionHash"], b1["transactions"][0]);
    assert_eq!(log["logIndex"], "0x0");

    // The next block reads it, and BLOCKHASH of the previous block is the simulated one.
    assert_eq!(b2["calls"][0]["returnData"], word(5));
    let info = b2["calls"][1]["returnData"].as_str().unwrap();
    let info = alloy_primitives::hex::decode(info).unwrap();
    assert_eq!(U256::from_be_slice(&info[..32]), U256::from(base_number + 2));
    assert_eq!(U256::from_be_slice(&info[32..64]), U256::from(base_time + 2));
    assert_eq!(json!(B256::from_slice(&info[64..96])), b1["hash"]);
    // Nonces are filled in from the simulated state: the sender's second call has nonce 1.
    let full = simulate(
        &rpc,
        json!({ "returnFullTransactions": true, "blockStateCalls": [
            { "calls": [{ "from": sender, "to": probe }, { "from": sender, "to": probe }] },
        ] }),
    )
    .await;
    let txs = full[0]["transactions"].as_array().unwrap();
    assert_eq!(txs.len(), 2);
    assert_eq!(txs[0]["from"], json!(sender));
    assert_eq!((txs[0]["nonce"].clone(), txs[1]["nonce"].clone()), (json!("0x0"), json!("0x1")));
    assert_eq!(txs[1]["blockHash"], full[0]["hash"]);

    // Nothing reached the chain.
    assert_eq!(quantity(&rpc.call("eth_blockNumber", vec![]).await), base_number);
    let value = rpc
        .call("eth_call", vec![json!({ "to": probe, "input": hex(valueCall {}.abi_encode()) })])
        .await;
    assert_eq!(value, word(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn overrides_gaps_transfer_logs_and_reverts() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(TestNode::config(dir.path(), 1)).await;
    let rpc = node.rpc(0);
    let probe = deploy_probe(&rpc, node.chain_id(0)).await;
    let base_number = quantity(&rpc.call("eth_blockNumber", vec![]).await);
    let rich = Address::repeat_byte(0x11);
    let payee = Address::repeat_byte(0x22);
    let copy = Address::repeat_byte(0x33);
    let code = rpc.call("eth_getCode", vec![json!(probe), json!("latest")]).await;
    let value = hex(valueCall {}.abi_encode());

    let blocks = simulate(
        &rpc,
        json!({ "traceTransfers": true, "blockStateCalls": [
            {
                // A balance for a new account, the probe's code elsewhere, a slot changed.
                "stateOverrides": {
                    rich.to_string(): { "balance": "0xde0b6b3a7640000" },
                    copy.to_string(): { "code": code, "stateDiff": { format!("{:#066x}", 0): word(9) } },
                },
                "blockOverrides": { "time": "0x7fffffff", "feeRecipient": payee, "gasLimit": "0x1c9c380" },
                "calls": [
                    { "from": rich, "to": copy, "input": value },
                    // Value through a contract: the transfer in, then the one it makes.
                    { "from": rich, "to": probe, "value": "0x3e8",
                      "input": hex(payCall { to: payee }.abi_encode()) },
                    // A plain transfer.
                    { "from": rich, "to": payee, "value": "0x7" },
                ],
            },
            // Number 5 past the base: three empty blocks fill the gap.
            {
                "blockOverrides": { "number": format!("{:#x}", base_number + 5) },
                "calls": [
                    { "from": rich, "to": probe, "input": hex(failCall {}.abi_encode()) },
                    { "from": rich, "to": probe, "input": hex(failBareCall {}.abi_encode()) },
                    // A reverting payment: none of its transfers are reported.
                    { "from": rich, "to": probe, "value": "0x1",
                      "input": hex(payCall { to: probe }.abi_encode()) },
                ],
            },
        ] }),
    )
    .await;
    assert_eq!(blocks.len(), 5, "two blocks and the three of the gap");
    let b1 = &blocks[0];
    assert_eq!(b1["timestamp"], "0x7fffffff");
    assert_eq!(b1["miner"], json!(payee));
    assert_eq!(b1["gasLimit"], "0x1c9c380");
    for (i, b) in blocks.iter().enumerate().skip(1).take(3) {
        assert_eq!(quantity(&b["number"]), base_number + 1 + i as u64);
        assert_eq!(quantity(&b["timestamp"]), 0x7fffffff + i as u64);
        assert_eq!(b["calls"], json!([]));
        assert_eq!(b["parentHash"], blocks[i - 1]["hash"]);
    }
    assert_eq!(quantity(&blocks[4]["number"]), base_number + 5);

    let calls = b1["calls"].as_array().unwrap();
    assert_eq!(calls[0]["returnData"], word(9), "stateDiff on overridden code");
    assert_eq!(calls[0]["logs"], json!([]));
    // traceTransfers: ERC-20 Transfer logs from 0xeeee…eeee, in execution order.
    let transfer = keccak256("Transfer(address,address,uint256)");
    let logs = calls[1]["logs"].as_array().unwrap();
    assert_eq!(calls[1]["status"], "0x1", "{}", calls[1]);
    assert_eq!(logs.len(), 2, "{logs:?}");
    let eee = json!(Address::repeat_byte(0xee));
    for (log, (from, to)) in logs.iter().zip([(rich, probe), (probe, payee)]) {
        assert_eq!(log["address"], eee);
        assert_eq!(log["topics"], json!([transfer, from.into_word(), to.into_word()]));
        assert_eq!(log["data"], word(1000));
    }
    assert_eq!(
        (logs[0]["logIndex"].clone(), logs[1]["logIndex"].clone()),
        (json!("0x0"), json!("0x1"))
    );
    assert_eq!(calls[2]["logs"][0]["topics"][2], topic(payee));
    assert_eq!(calls[2]["logs"][0]["data"], word(7));
    assert_eq!(calls[2]["logs"][0]["logIndex"], "0x2", "log indexes run through the block");
    // Transfer logs are not the block's logs: the receipts (and bloom) hold no event here.
    assert_eq!(b1["logsBloom"], json!(alloy_primitives::Bloom::ZERO));

    // Reverts: status 0, code 3, the reason in the message and the revert data in `data`.
    let calls = blocks[4]["calls"].as_array().unwrap();
    assert_eq!(calls[0]["status"], "0x0");
    assert_eq!(calls[0]["error"]["code"], 3);
    assert_eq!(calls[0]["error"]["message"], "execution reverted: always fails");
    let reason = alloy::sol_types::Revert::from("always fails");
    let data = Bytes::from(alloy::sol_types::SolError::abi_encode(&reason));
    assert_eq!(calls[0]["error"]["data"], json!(data));
    assert_eq!(calls[0]["returnData"], "0x");
    assert_eq!(calls[0]["logs"], json!([]));
    assert_eq!(calls[1]["error"]["message"], "execution reverted");
    assert_eq!(calls[1]["error"]["data"], "0x");
    assert_eq!(calls[2]["status"], "0x0");
    assert_eq!(calls[2]["logs"], json!([]), "a reverted call reports no transfer");
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_simulations_get_geths_codes() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(TestNode::config(dir.path(), 1)).await;
    let rpc = node.rpc(0);
    let key = dev_key(0);
    // One mined transaction: the sender's nonce is 1.
    rpc.send_and_wait(
        &Tx::transfer(node.chain_id(0), 0, Address::repeat_byte(1), U256::from(1u64)).eip1559(&key),
    )
    .await;
    let base = rpc.call("eth_getBlockByNumber", vec![json!("latest"), json!(false)]).await;
    let (number, time) = (quantity(&base["number"]), quantity(&base["timestamp"]));
    let poor = Address::repeat_byte(0x99);
    let me = key.address();
    let one = |calls: Value| json!({ "blockStateCalls": [{ "calls": calls }] });
    let moved = |state: Value| json!({ "blockStateCalls": [{ "stateOverrides": state }] });
    let validated =
        |calls: Value| json!({ "validation": true, "blockStateCalls": [{ "calls": calls }] });

    let cases: Vec<(Value, i32)> = vec![
        (json!({ "blockStateCalls": [] }), -32602),
        (json!({ "blockStateCalls": vec![json!({}); 257] }), -38026),
        (
            json!({ "blockStateCalls": [{ "blockOverrides": { "number": format!("{:#x}", number + 257) } }] }),
            -38026,
        ),
        (
            json!({ "blockStateCalls": [{ "blockOverrides": { "number": format!("{number:#x}") } }] }),
            -38020,
        ),
        (
            json!({ "blockStateCalls": [
                { "blockOverrides": { "number": format!("{:#x}", number + 2) } },
                { "blockOverrides": { "number": format!("{:#x}", number + 1) } },
            ] }),
            -38020,
        ),
        (
            json!({ "blockStateCalls": [{ "blockOverrides": { "time": format!("{time:#x}") } }] }),
            -38021,
        ),
        (
            validated(
                json!([{ "from": me, "to": poor, "nonce": "0x0", "maxFeePerGas": "0x3b9aca000" }]),
            ),
            -38010,
        ),
        (
            validated(
                json!([{ "from": me, "to": poor, "nonce": "0x5", "maxFeePerGas": "0x3b9aca000" }]),
            ),
            -38011,
        ),
        (validated(json!([{ "from": me, "to": poor }])), -38012),
        (one(json!([{ "from": poor, "to": me, "value": "0x1" }])), -38014),
        (one(json!([{ "from": me, "to": poor, "gas": "0x1" }])), -38013),
        (
            json!({ "blockStateCalls": [{
                "blockOverrides": { "gasLimit": "0x10000" },
                "calls": [{ "from": me, "to": poor, "gas": "0x10001" }],
            }] }),
            -38015,
        ),
        (moved(json!({ ECRECOVER: { "movePrecompileToAddress": ECRECOVER } })), -38022),
        (
            moved(json!({
                ECRECOVER: { "movePrecompileToAddress": poor },
                IDENTITY: { "movePrecompileToAddress": poor },
            })),
            -38023,
        ),
        (moved(json!({ poor.to_string(): { "movePrecompileToAddress": me } })), -32000),
    ];
    for (payload, code) in cases {
        let (got, message) = simulate_err(&rpc, payload.clone()).await;
        assert_eq!(got, code, "{message} for {payload}");
    }
    // Without validation a wrong nonce and a missing fee are accepted, as in eth_call.
    let blocks = simulate(
        &rpc,
        one(json!([{ "from": me, "to": poor, "nonce": "0x0" }, { "from": me, "to": poor, "nonce": "0x9" }])),
    )
    .await;
    assert_eq!(blocks[0]["calls"][1]["status"], "0x1");
    // With validation and a fee, the base fee is the next block's and the sender pays it.
    let blocks = simulate(
        &rpc,
        validated(
            json!([{ "from": me, "to": poor, "value": "0x1", "maxFeePerGas": "0x3b9aca000" }]),
        ),
    )
    .await;
    let fee = rpc.call("eth_baseFee", vec![]).await;
    assert_eq!(quantity(&blocks[0]["baseFeePerGas"]), quantity(&fee));
    assert_eq!(blocks[0]["calls"][0]["status"], "0x1");
    // An unknown base block.
    let e = rpc
        .try_call("eth_simulateV1", vec![one(json!([])), json!(format!("{:#x}", number + 10))])
        .await
        .unwrap_err();
    assert_eq!((e.code(), e.message()), (-32000, "header not found"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_gas_cap_and_the_evm_timeout_hold_for_the_whole_simulation() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = TestNode::config(dir.path(), 1);
    config.rpc.gas_cap = 1_000_000;
    let mut node = TestNode::start(config).await;
    let rpc = node.rpc(0);
    let at = Address::repeat_byte(0x5b);
    let spin = json!({ at.to_string(): { "code": SPIN } });
    // Two spinning calls of no stated gas: the cap is shared, the second gets what is left.
    let blocks = simulate(
        &rpc,
        json!({ "blockStateCalls": [{ "stateOverrides": spin, "calls": [
            { "to": at, "gas": "0xc3500" }, { "to": at },
        ] }] }),
    )
    .await;
    let calls = blocks[0]["calls"].as_array().unwrap();
    assert_eq!(quantity(&calls[0]["gasUsed"]), 800_000);
    assert_eq!(quantity(&calls[1]["gasUsed"]), 200_000);
    assert_eq!(calls[1]["error"]["code"], -32015);
    assert_eq!(calls[1]["error"]["message"], "out of gas");
    node.stop().await;

    let dir = tempfile::tempdir().unwrap();
    let mut config = TestNode::config(dir.path(), 1);
    config.rpc.evm_timeout_ms = 20;
    let node = TestNode::start(config).await;
    let rpc = node.rpc(0);
    let (code, message) = simulate_err(
        &rpc,
        json!({ "blockStateCalls": [{ "stateOverrides": spin, "calls": [{ "to": at }] }] }),
    )
    .await;
    assert_eq!((code, message.as_str()), (-32016, "execution aborted (timeout = 0.02s)"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_precompile_moves_for_its_block_only() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(TestNode::config(dir.path(), 1)).await;
    let rpc = node.rpc(0);
    let to = Address::repeat_byte(0x12);
    let echo = |at: &str| json!({ "to": at, "input": "0xdeadbeef" });
    let blocks = simulate(
        &rpc,
        json!({ "blockStateCalls": [
            {
                "stateOverrides": { IDENTITY: { "movePrecompileToAddress": to } },
                "calls": [echo(&to.to_string()), echo(IDENTITY)],
            },
            { "calls": [echo(IDENTITY), echo(&to.to_string())] },
        ] }),
    )
    .await;
    let data = |b: usize, c: usize| blocks[b]["calls"][c]["returnData"].clone();
    // Moved: the new address echoes, the old one is an account without code.
    assert_eq!((data(0, 0), data(0, 1)), (json!("0xdeadbeef"), json!("0x")));
    // The next block has the precompile back in its place.
    assert_eq!((data(1, 0), data(1, 1)), (json!("0xdeadbeef"), json!("0x")));
}
