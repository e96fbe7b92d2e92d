//! No input panics the node: every JSON-RPC method gets generated parameters (shapes clients
//! send, values at the edges of every integer width, hashes and addresses that exist), and the
//! transaction decoder gets random bytes and mutated valid transactions. Each request must be
//! answered with a result or a JSON-RPC error, never a dropped connection, and no thread of the
//! node may panic.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use alloy_primitives::{Address, Bytes, U256};
use proptest::{prelude::*, test_runner::TestRunner};
use serde_json::{Map, Value, json};

use crate::common::*;

/// Counts panics on any thread (the blocking pool's panics do not reach the client as a
/// dropped connection, so the transport alone would not show them).
fn count_panics() -> Arc<AtomicUsize> {
    static COUNT: std::sync::OnceLock<Arc<AtomicUsize>> = std::sync::OnceLock::new();
    COUNT
        .get_or_init(|| {
            let count = Arc::new(AtomicUsize::new(0));
            let hook = std::panic::take_hook();
            let c = count.clone();
            std::panic::set_hook(Box::new(move |info| {
                c.fetch_add(1, Ordering::SeqCst);
                hook(info);
            }));
            count
        })
        .clone()
}

/// Values that sit on the edges the decoders must handle.
fn atoms(known: &[Value]) -> Vec<Value> {
    let mut v: Vec<Value> = [
        "0x",
        "0x0",
        "0x00",
        "0x1",
        "0x01",
        "0x7f",
        "0xff",
        "0xffff",
        "0x7fffffff",
        "0xffffffff",
        "0x100000000",
        "0x7fffffffffffffff",
        "0xffffffffffffffff",
        "0x10000000000000000",
        "0xffffffffffffffffffffffffffffffff",
        "0x100000000000000000000000000000000",
        "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "0x10000000000000000000000000000000000000000000000000000000000000000",
        "0xzz",
        "0x-1",
        "-0x1",
        "1",
        "",
        "latest",
        "pending",
        "earliest",
        "safe",
        "finalized",
        "callTracer",
        "prestateTracer",
        "flatCallTracer",
        "4byteTracer",
        "noopTracer",
        "0x0000000000000000000000000000000000000000",
        "0x5ec0000000000000000000000000000000000001",
        "0x0000000000000000000000000000000000000000000000000000000000000000",
        "1s",
        "10ms",
        "-1s",
    ]
    .iter()
    .map(|s| json!(s))
    .collect();
    v.extend([
        Value::Null,
        json!(true),
        json!(false),
        json!(0),
        json!(-1),
        json!(u64::MAX),
        json!(1e300),
        json!(4294967296u64),
        json!([]),
        json!({}),
    ]);
    v.extend_from_slice(known);
    v
}

/// Object keys of every parameter object the spec defines (transactions, filters, overrides,
/// tracer options, simulation requests).
const KEYS: &[&str] = &[
    "from",
    "to",
    "gas",
    "gasPrice",
    "maxFeePerGas",
    "maxPriorityFeePerGas",
    "value",
    "data",
    "input",
    "nonce",
    "type",
    "chainId",
    "accessList",
    "authorizationList",
    "fromBlock",
    "toBlock",
    "address",
    "topics",
    "blockHash",
    "blockNumber",
    "tracer",
    "tracerConfig",
    "onlyTopCall",
    "withLog",
    "timeout",
    "disableStorage",
    "enableMemory",
    "stateOverrides",
    "blockOverrides",
    "balance",
    "code",
    "state",
    "stateDiff",
    "number",
    "time",
    "gasLimit",
    "baseFeePerGas",
    "blockStateCalls",
    "calls",
    "validation",
    "traceTransfers",
    "returnFullTransactions",
    "after",
    "count",
    "fromAddress",
    "toAddress",
];

fn json_value(atoms: Vec<Value>) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        8 => proptest::sample::select(atoms),
        1 => "0x[0-9a-f]{0,70}".prop_map(Value::String),
        1 => any::<i64>().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec((proptest::sample::select(KEYS), inner), 0..5).prop_map(
                |kv| Value::Object(
                    kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect::<Map<_, _>>()
                )
            ),
        ]
    })
}

/// A node with blocks, transactions, a contract and logs, so that decoded parameters reach
/// the code that reads them.
async fn busy_node(dir: &std::path::Path) -> (TestNode, Vec<Value>) {
    let node = TestNode::start(TestNode::config(dir, 2)).await;
    let rpc = node.rpc(0);
    let cid = node.chain_id(0);
    let probe = deploy_probe(&rpc, cid).await;
    let key = dev_key(0);
    let nonce = rpc.nonce(key.address()).await;
    let set = alloy::sol_types::SolCall::abi_encode(&setCall { v: U256::from(7u64) });
    let receipt = rpc.send_and_wait(&Tx::call(cid, nonce, probe, set.into()).eip1559(&key)).await;
    let transfer = Tx::transfer(cid, nonce + 1, Address::repeat_byte(9), U256::from(1u64));
    rpc.send_and_wait(&transfer.eip1559(&key)).await;
    let known = vec![
        json!(probe),
        json!(key.address()),
        receipt["transactionHash"].clone(),
        receipt["blockHash"].clone(),
        receipt["blockNumber"].clone(),
    ];
    (node, known)
}

#[test]
fn no_parameters_panic_any_method() {
    let panics = count_panics();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (node, known) = rt.block_on(busy_node(dir.path()));
    let methods: Vec<&'static str> = node
        .node
        .as_ref()
        .unwrap()
        .rpc_methods()
        .iter()
        .copied()
        .filter(|m| !m.ends_with("subscribe"))
        .collect();
    assert!(methods.len() > 50, "only {} methods", methods.len());
    let rpc = node.rpc(0);
    let mut runner = TestRunner::new(ProptestConfig { cases: 3000, ..ProptestConfig::default() });
    let strategy = (
        proptest::sample::select(methods),
        proptest::collection::vec(json_value(atoms(&known)), 0..5),
    );
    runner
        .run(&strategy, |(method, params)| {
            // A transport error (a dropped connection) panics inside `try_call`.
            let _ = rt.block_on(rpc.try_call(method, params));
            Ok(())
        })
        .unwrap();
    assert_eq!(panics.load(Ordering::SeqCst), 0, "a node thread panicked");
}

/// Every method, in the parameter shapes the spec uses, with each position replaced in turn by
/// every edge value: the combinations that random generation reaches too rarely (a valid
/// block with an index of 2^32, a filter with a huge block number).
#[test]
fn no_edge_value_in_any_position_panics_any_method() {
    let panics = count_panics();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (node, known) = rt.block_on(busy_node(dir.path()));
    let methods: Vec<&'static str> = node.node.as_ref().unwrap().rpc_methods().to_vec();
    let [contract, account, tx, block_hash, block_number] = known.clone().try_into().unwrap();
    let shapes: Vec<Vec<Value>> = vec![
        vec![],
        vec![block_number.clone(), json!(true)],
        vec![block_number.clone(), json!("0x0")],
        vec![block_hash.clone(), json!("0x0")],
        vec![tx.clone(), json!({})],
        vec![account.clone(), json!("latest")],
        vec![contract.clone(), json!(["0x0"]), json!("latest")],
        vec![json!({ "to": contract, "from": account }), json!("latest"), json!({}), json!({})],
        vec![json!({ "fromBlock": "0x0", "toBlock": "latest", "address": contract })],
        vec![json!("0x5"), json!("latest"), json!([25, 75])],
        // eth_simulateV1
        vec![
            json!({
                "blockStateCalls": [{
                    "blockOverrides": { "number": block_number, "time": "0x1" },
                    "stateOverrides": { contract.as_str().unwrap_or_default(): { "balance": "0x1" } },
                    "calls": [{ "to": contract, "from": account }],
                }],
                "traceTransfers": true,
                "validation": true,
            }),
            json!("latest"),
        ],
        // ots_getBlockTransactions, ots_getTransactionBySenderAndNonce
        vec![block_number.clone(), json!(0), json!(10)],
        vec![account.clone(), json!(0)],
    ];
    let edges: Vec<Value> = atoms(&[]).into_iter().filter(|v| !v.is_object()).collect();
    let rpc = node.rpc(0);
    let mut calls = 0;
    rt.block_on(async {
        for method in methods.iter().filter(|m| !m.ends_with("subscribe")) {
            for shape in &shapes {
                for at in 0..shape.len().max(1) {
                    for edge in &edges {
                        let mut params = shape.clone();
                        match params.get_mut(at) {
                            Some(p) => *p = edge.clone(),
                            None => params.push(edge.clone()),
                        }
                        // A transport error (a dropped connection) panics inside `try_call`.
                        let _ = rpc.try_call(method, params).await;
                        calls += 1;
                    }
                }
            }
        }
    });
    assert!(calls > 10_000, "{calls} calls");
    assert_eq!(panics.load(Ordering::SeqCst), 0, "a node thread panicked");
}

#[test]
fn no_transaction_bytes_panic_the_decoder() {
    let panics = count_panics();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let node = rt.block_on(TestNode::start(TestNode::config(dir.path(), 1)));
    let rpc = node.rpc(0);
    let cid = node.chain_id(0);
    let key = dev_key(3);
    let valid: Vec<Bytes> = (0..4)
        .flat_map(|n| {
            let t = Tx::call(cid, n, Address::repeat_byte(5), Bytes::from(vec![1, 2, 3]));
            [t.eip1559(&key), t.legacy(&key), t.eip2930(&key)]
        })
        .collect();
    let mutated = (proptest::sample::select(valid), any::<usize>(), any::<u8>(), 0u8..4).prop_map(
        |(tx, at, byte, how)| {
            let mut b = tx.to_vec();
            let i = at % b.len();
            match how {
                0 => b[i] ^= byte.max(1),
                1 => b.truncate(i),
                2 => b.insert(i, byte),
                _ => b[i] = byte,
            }
            b
        },
    );
    let random = (
        proptest::sample::select(vec![
            0x00u8, 0x01, 0x02, 0x03, 0x04, 0x05, 0x7e, 0x7f, 0xc0, 0xf8, 0xff,
        ]),
        proptest::collection::vec(any::<u8>(), 0..200),
    )
        .prop_map(|(first, rest)| [vec![first], rest].concat());
    let mut runner = TestRunner::new(ProptestConfig { cases: 3000, ..ProptestConfig::default() });
    runner
        .run(&prop_oneof![mutated, random], |raw| {
            let _ = rt.block_on(rpc.send(&Bytes::from(raw)));
            Ok(())
        })
        .unwrap();
    assert_eq!(panics.load(Ordering::SeqCst), 0, "a node thread panicked");
}
