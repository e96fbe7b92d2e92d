//! Every rejection answers with the code and message clients expect (geth's wording).

use alloy::{
    consensus::{SignableTransaction, TxEip1559, TxEnvelope, TxLegacy},
    eips::eip2718::Encodable2718,
    signers::{Signature, SignerSync},
    sol_types::SolCall,
};
use alloy_primitives::{Address, Bytes, U256};
use serde_json::{Value, json};

use crate::common::*;

fn assert_error(
    r: Result<impl std::fmt::Debug, jsonrpsee::types::ErrorObjectOwned>,
    code: i32,
    message: &str,
) {
    match r {
        Ok(v) => panic!("expected error {code} {message:?}, got {v:?}"),
        Err(e) => {
            assert_eq!((e.code(), e.message()), (code, message), "full error: {e:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn pool_rejections() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(TestNode::config(dir.path(), 1)).await;
    let rpc = node.rpc(0);
    let cid = node.chain_id(0);
    let key = dev_key(1);
    let me = key.address();
    let to = Address::repeat_byte(0x42);
    let one = U256::from(1u64);

    // A mined transaction, so that nonce 0 is used.
    rpc.send_and_wait(&Tx::transfer(cid, 0, to, one).eip1559(&key)).await;
    let mut stale = Tx::transfer(cid, 0, to, one);
    stale.tip += 1;
    assert_error(
        rpc.send(&stale.eip1559(&key)).await,
        -32000,
        &format!("nonce too low: address {me}, tx: 0 state: 1"),
    );

    // A queued transaction (nonce gap) stays in the pool: resend it, then replace it.
    let queued = Tx::transfer(cid, 5, to, one);
    rpc.send(&queued.eip1559(&key)).await.unwrap();
    assert_error(rpc.send(&queued.eip1559(&key)).await, -32000, "already known");
    let mut bump9 = queued.clone();
    bump9.max_fee = queued.max_fee * 109 / 100;
    bump9.tip = queued.tip * 109 / 100;
    assert_error(
        rpc.send(&bump9.eip1559(&key)).await,
        -32000,
        "replacement transaction underpriced",
    );
    let mut bump10 = queued.clone();
    bump10.max_fee = queued.max_fee * 110 / 100;
    bump10.tip = queued.tip * 110 / 100;
    rpc.send(&bump10.eip1559(&key)).await.expect("a 10% bump replaces");
    let status = rpc.call("txpool_status", vec![]).await;
    assert_eq!(status, json!({"pending": "0x0", "queued": "0x1"}));

    // An account without funds.
    let poor = alloy::signers::local::PrivateKeySigner::random();
    let tx = Tx::transfer(cid, 0, to, one);
    let want = U256::from(21_000u64) * U256::from(tx.max_fee) + one;
    assert_error(
        rpc.send(&tx.eip1559(&poor)).await,
        -32000,
        &format!(
            "insufficient funds for gas * price + value: address {} have 0 want {want}",
            poor.address()
        ),
    );

    let mut t = Tx::transfer(cid, 1, to, one);
    t.tip = 0;
    assert_error(
        rpc.send(&t.eip1559(&key)).await,
        -32000,
        "transaction underpriced: tip needed 1, tip permitted 0",
    );
    let mut t = Tx::transfer(cid, 1, to, one);
    t.max_fee = 0;
    assert_error(
        rpc.send(&t.legacy(&key)).await,
        -32000,
        "transaction underpriced: tip needed 1, tip permitted 0",
    );

    let t = Tx::transfer(1, 1, to, one);
    assert_error(
        rpc.send(&t.eip1559(&key)).await,
        -32000,
        &format!("invalid chain id for signer: have 1 want {cid}"),
    );

    let mut t = Tx::transfer(cid, 1, to, one);
    t.gas = 20_000;
    assert_error(
        rpc.send(&t.eip1559(&key)).await,
        -32000,
        "intrinsic gas too low: gas 20000, minimum needed 21000",
    );

    let mut t = Tx::transfer(cid, 1, to, one);
    t.gas = node.config.gas_limit + 1;
    assert_error(rpc.send(&t.eip1559(&key)).await, -32000, "exceeds block gas limit");

    let mut t = Tx::call(cid, 1, to, Bytes::from(vec![1u8; 130 * 1024]));
    t.gas = 10_000_000;
    let raw = t.eip1559(&key);
    assert_error(
        rpc.send(&raw).await,
        -32000,
        &format!("oversized data: transaction size {}, limit 131072", raw.len()),
    );

    // A signature that recovers to no key.
    let tx = TxEip1559 {
        chain_id: cid,
        nonce: 1,
        gas_limit: 21_000,
        max_fee_per_gas: 10 * GWEI,
        max_priority_fee_per_gas: GWEI,
        to: to.into(),
        ..Default::default()
    };
    let good = key.sign_hash_sync(&tx.signature_hash()).unwrap();
    let bad = Signature::new(U256::ZERO, good.s(), good.v());
    let raw: Bytes = TxEnvelope::from(tx.into_signed(bad)).encoded_2718().into();
    assert_error(rpc.send(&raw).await, -32000, "invalid sender");

    // Pre-EIP-155 legacy transactions are refused over RPC, as geth does by default.
    let legacy = TxLegacy {
        chain_id: None,
        nonce: 1,
        gas_price: 10 * GWEI,
        gas_limit: 21_000,
        to: to.into(),
        ..Default::default()
    };
    let sig = key.sign_hash_sync(&legacy.signature_hash()).unwrap();
    let raw: Bytes = TxEnvelope::from(legacy.into_signed(sig)).encoded_2718().into();
    assert_error(
        rpc.send(&raw).await,
        -32000,
        "only replay-protected (EIP-155) transactions allowed over RPC",
    );

    let e = rpc.send(&Bytes::from_static(&[0x02, 0xc0])).await.unwrap_err();
    assert_eq!(e.code(), -32000);
    assert!(e.message().starts_with("rlp: "), "{e:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn rpc_errors() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(TestNode::config(dir.path(), 2)).await;
    let rpc = node.rpc(0);
    let cid = node.chain_id(0);
    let probe = deploy_probe(&rpc, cid).await;
    let call = |data: Vec<u8>| json!({"to": probe, "data": Bytes::from(data)});

    // Revert with a reason: code 3, the reason in the message, the raw data in `data`.
    let e = rpc
        .try_call("eth_call", vec![call(failCall {}.abi_encode()), "latest".into()])
        .await
        .unwrap_err();
    assert_eq!((e.code(), e.message()), (3, "execution reverted: always fails"));
    let data: Bytes = serde_json::from_str(e.data().unwrap().get()).unwrap();
    assert_eq!(&data[..4], &[0x08, 0xc3, 0x79, 0xa0]);
    let e = rpc.try_call("eth_call", vec![call(failBareCall {}.abi_encode())]).await.unwrap_err();
    assert_eq!(
        (e.code(), e.message(), e.data().unwrap().get()),
        (3, "execution reverted", "\"0x\"")
    );
    let e = rpc
        .try_call("eth_estimateGas", vec![call(setCall { v: U256::from(13u64) }.abi_encode())])
        .await
        .unwrap_err();
    assert_eq!((e.code(), e.message()), (3, "execution reverted: unlucky number"));

    assert_error(
        rpc.try_call("eth_getBalance", vec![json!(probe), "0x999".into()]).await,
        -32000,
        "header not found",
    );
    let e = rpc.try_call("eth_getBalance", vec!["0x12".into(), "latest".into()]).await.unwrap_err();
    assert_eq!(e.code(), -32602, "{e:?}");
    let e = rpc.try_call("eth_nonexistent", vec![]).await.unwrap_err();
    assert_eq!((e.code(), e.message()), (-32601, "Method not found"));
    assert_error(
        rpc.try_call("eth_getLogs", vec![json!({"fromBlock": "0x0", "toBlock": "0x4e20"})]).await,
        -32005,
        "query exceeds max block range 10000",
    );
    assert_error(
        rpc.try_call("eth_getLogs", vec![json!({"fromBlock": "0x2", "toBlock": "0x1"})]).await,
        -32602,
        "invalid block range params",
    );
    assert_error(
        rpc.try_call("eth_getFilterChanges", vec!["0x1234".into()]).await,
        -32000,
        "filter not found",
    );

    // Malformed requests, sent raw.
    let (status, body) = raw_post(node.addr, "/", "{not json").await;
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!((status, v["error"]["code"].clone()), (200, json!(-32700)), "{body}");
    let (_, body) = raw_post(node.addr, "/", r#"{"jsonrpc":"2.0","id":1,"params":[]}"#).await;
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["error"]["code"], -32600, "{body}");
    let (status, _) =
        raw_post(node.addr, "/domain/7", r#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}"#)
            .await;
    assert_eq!(status, 404);

    // Batches: answered item by item, and limited in size.
    let batch = r#"[{"jsonrpc":"2.0","id":1,"method":"eth_chainId"},{"jsonrpc":"2.0","id":2,"method":"nope"}]"#;
    let (_, body) = raw_post(node.addr, "/domain/1", batch).await;
    let v: Value = serde_json::from_str(&body).unwrap();
    let by_id = |id: u64| v.as_array().unwrap().iter().find(|x| x["id"] == id).unwrap().clone();
    assert_eq!(by_id(1)["result"], format!("{:#x}", node.chain_id(1)));
    assert_eq!(by_id(2)["error"]["code"], -32601);
    let big: Vec<Value> =
        (0..1001).map(|i| json!({"jsonrpc":"2.0","id":i,"method":"eth_chainId"})).collect();
    let (_, body) = raw_post(node.addr, "/", &serde_json::to_string(&big).unwrap()).await;
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["error"]["code"], -32010, "{body}");
    assert_eq!(v["error"]["message"], "The batch request was too large", "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn request_size_limit() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = TestNode::config(dir.path(), 1);
    config.rpc.max_request_size = 2_000;
    let node = TestNode::start(config).await;
    let small = r#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}"#;
    let (status, _) = raw_post(node.addr, "/", small).await;
    assert_eq!(status, 200);
    let big = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"web3_sha3","params":["0x{}"]}}"#,
        "ab".repeat(2_000)
    );
    let (status, body) = raw_post(node.addr, "/", &big).await;
    assert_eq!(status, 413, "{body}");
}

/// Transactions admitted together (one group of the RPC's admission thread, or one call of
/// `Domain::admit`) each get their own answer: a refused one does not refuse the others, a second
/// copy in the same group is "already known", and nonces out of order in one group all get in.
#[tokio::test(flavor = "multi_thread")]
async fn transactions_admitted_together_each_get_their_own_answer() {
    use sec_sequencer::{domain::SubmitError, mempool::PoolError};
    let dir = tempfile::tempdir().unwrap();
    let mut config = TestNode::config(dir.path(), 1);
    // No block while the test looks at the pool.
    config.block_time_ms = 600_000;
    let node = TestNode::start(config).await;
    let domain = node.node.as_ref().expect("running").domains()[0].clone();
    let cid = node.chain_id(0);
    let to = Address::repeat_byte(0x43);
    let one = U256::from(1u64);
    let key = dev_key(2);
    let raw = |nonce| Tx::transfer(cid, nonce, to, one).eip1559(&key);

    let group = vec![
        raw(1),
        raw(0),
        Bytes::from_static(&[0x02, 0x01]),
        Tx::transfer(cid + 1, 0, to, one).eip1559(&key),
        raw(1),
        raw(2),
    ];
    let prepared = group.into_iter().map(|r| domain.prepare(r)).collect();
    let results = domain.admit(prepared);
    assert_eq!(results.len(), 6);
    assert!(results[0].is_ok() && results[1].is_ok() && results[5].is_ok(), "{results:?}");
    assert!(matches!(results[2], Err(SubmitError::Decode(_))), "{:?}", results[2]);
    assert!(matches!(results[3], Err(SubmitError::InvalidChainId { .. })), "{:?}", results[3]);
    assert!(
        matches!(results[4], Err(SubmitError::Pool(PoolError::AlreadyKnown))),
        "{:?}",
        results[4]
    );
    for submitted in results.into_iter().flatten() {
        submitted.durable.await.expect("journaled");
    }

    // Over the RPC, from many connections at once: three senders' nonces 0-49 in a shuffled
    // order, each sent twice at the same time. Each transaction is taken once and refused as
    // already known once, and all 150 are pending (gaps filled by later arrivals).
    let rpc = std::sync::Arc::new(node.rpc(0));
    let keys: Vec<_> = [0, 1, 3].into_iter().map(dev_key).collect();
    let mut sends: Vec<Bytes> = Vec::new();
    for k in &keys {
        for nonce in 0..50 {
            let signed = Tx::transfer(cid, nonce, to, one).eip1559(k);
            sends.push(signed.clone());
            sends.push(signed);
        }
    }
    // A fixed shuffle: every seventh of 300 (7 and 300 are coprime).
    let order: Vec<usize> = (0..sends.len()).map(|i| i * 7 % sends.len()).collect();
    let mut tasks = tokio::task::JoinSet::new();
    for i in order {
        let (rpc, signed) = (rpc.clone(), sends[i].clone());
        tasks.spawn(async move { (signed.clone(), rpc.send(&signed).await) });
    }
    let mut answers: std::collections::HashMap<Bytes, (usize, usize)> = Default::default();
    while let Some(done) = tasks.join_next().await {
        let (signed, answer) = done.expect("task");
        let entry = answers.entry(signed).or_default();
        match answer {
            Ok(_) => entry.0 += 1,
            Err(e) if e.message() == "already known" => entry.1 += 1,
            Err(e) => panic!("unexpected refusal: {e:?}"),
        }
    }
    assert_eq!(answers.len(), 150);
    assert!(answers.values().all(|a| *a == (1, 1)), "{answers:?}");
    let status = rpc.call("txpool_status", vec![]).await;
    assert_eq!(quantity(&status["pending"]), 153, "{status}");
    assert_eq!(quantity(&status["queued"]), 0, "{status}");
}
