//! Thousands of cross-domain transfers between the accounts of all domains of a `sec node`, sent
//! as wallets send (one signed transaction per request), with the node killed with SIGKILL and
//! restarted half way: every message delivered exactly once, in nonce order per pair of
//! domains, and every account's balance on every domain exactly what it sent, paid in fees and
//! received.

use std::{
    collections::{BTreeMap, BTreeSet},
    time::{Duration, Instant},
};

use alloy::sol_types::{SolCall, SolEvent};
use alloy_primitives::{Address, B256, Bytes, U256};
use sec_contracts::{bindings::CrossDomain, predeploy::CROSS_DOMAIN};
use sec_primitives::{DEV_MNEMONIC, dev_signers, domain::domain_chain_id};
use serde_json::{Value, json};

use crate::common::*;

const DOMAINS: u32 = 4;
const ACCOUNTS: usize = 8;
const MESSAGES: usize = 2_000;

/// One transfer: from `key` on domain `src` to `to` on domain `dst`.
struct Send {
    key: usize,
    src: u32,
    dst: u32,
    to: usize,
    value: U256,
    tx: B256,
}

fn quantity_u256(v: &Value) -> U256 {
    U256::from_str_radix(v.as_str().expect("quantity").trim_start_matches("0x"), 16).unwrap()
}

async fn balances(node: &NodeProcess, accounts: &[Address]) -> BTreeMap<(u32, usize), U256> {
    let mut out = BTreeMap::new();
    for d in 0..DOMAINS {
        for (i, a) in accounts.iter().enumerate() {
            out.insert((d, i), balance(&node.url(d), *a).await);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn thousands_of_cross_domain_transfers_arrive_once_in_order_across_a_kill() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut node = NodeProcess::start(dir.path(), DOMAINS, 0.2, port);
    let keys = dev_signers(DEV_MNEMONIC, ACCOUNTS as u32).unwrap();
    let accounts: Vec<Address> = keys.iter().map(|k| k.address()).collect();
    let start = balances(&node, &accounts).await;

    // a seeded random plan: who sends what to whom, from and to which domain
    let mut seed = 0x5ec_3e55_u64;
    let mut next = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let mut nonces: BTreeMap<(usize, u32), u64> = BTreeMap::new();
    let mut sends = Vec::with_capacity(MESSAGES);
    for _ in 0..MESSAGES {
        let (key, src) = (next(ACCOUNTS as u64) as usize, next(u64::from(DOMAINS)) as u32);
        let dst = (src + 1 + next(u64::from(DOMAINS) - 1) as u32) % DOMAINS;
        let to = next(ACCOUNTS as u64) as usize;
        let value = U256::from(1 + next(1_000)) * U256::from(10u64).pow(U256::from(15u64));
        let nonce = nonces.entry((key, src)).or_default();
        let data: Bytes =
            CrossDomain::sendCall { dstDomain: dst, to: accounts[to], data: Bytes::new() }
                .abi_encode()
                .into();
        let chain_id = domain_chain_id(53500, src);
        let (tx, raw) =
            signed_call(&keys[key], chain_id, *nonce, CROSS_DOMAIN, data, value, 200_000);
        *nonce += 1;
        sends.push((Send { key, src, dst, to, value, tx }, raw));
    }

    // one request per transaction; SIGKILL half way, restart, go on
    for (i, (s, raw)) in sends.iter().enumerate() {
        if i == MESSAGES / 2 {
            node.kill9();
            node = NodeProcess::start(dir.path(), DOMAINS, 0.2, port);
        }
        let c = client(&node.url(s.src));
        let started = Instant::now();
        loop {
            match call(&c, "eth_sendRawTransaction", vec![json!(raw)]).await {
                Ok(v) => {
                    assert_eq!(v, json!(s.tx));
                    break;
                }
                // accepted before the kill and brought back by the pool journal
                Err(e) if e.to_string().contains("already known") => break,
                Err(e) => {
                    assert!(started.elapsed() < Duration::from_secs(30), "tx {i}: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    // every send mined and successful; its message and what it cost
    let mut hashes = BTreeMap::new();
    let mut fees: BTreeMap<(u32, usize), U256> = BTreeMap::new();
    for (s, _) in &sends {
        let c = client(&node.url(s.src));
        let started = Instant::now();
        let receipt = loop {
            let r = call(&c, "eth_getTransactionReceipt", vec![json!(s.tx)]).await.unwrap();
            if !r.is_null() {
                break r;
            }
            assert!(started.elapsed() < Duration::from_secs(60), "{} never mined", s.tx);
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(receipt["status"], "0x1", "{receipt}");
        let fee = quantity_u256(&receipt["gasUsed"]) * quantity_u256(&receipt["effectiveGasPrice"]);
        *fees.entry((s.src, s.key)).or_default() += fee;
        let log = &receipt["logs"][0];
        assert_eq!(log["topics"][0], json!(CrossDomain::MessageSent::SIGNATURE_HASH));
        let hash: B256 = serde_json::from_value(log["topics"][1].clone()).unwrap();
        hashes.insert(hash, s);
    }
    assert_eq!(hashes.len(), MESSAGES);

    // every message delivered
    let started = Instant::now();
    for hash in hashes.keys() {
        loop {
            let m = call(&client(&node.url(0)), "sec_getMessage", vec![json!(hash)]).await.unwrap();
            if m["status"] == "delivered" {
                break;
            }
            assert_eq!(m["status"], "pending", "{m}");
            assert!(started.elapsed() < Duration::from_secs(120), "{hash} not delivered: {m}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    // once each, and in nonce order per (source, destination)
    let mut seen = BTreeSet::new();
    for dst in 0..DOMAINS {
        let c = client(&node.url(dst));
        let head = quantity(&call(&c, "eth_blockNumber", vec![]).await.unwrap());
        let filter = json!({
            "fromBlock": "0x0",
            "toBlock": format!("{head:#x}"),
            "address": CROSS_DOMAIN,
            "topics": [CrossDomain::MessageDelivered::SIGNATURE_HASH],
        });
        let logs = call(&c, "eth_getLogs", vec![filter]).await.unwrap();
        let mut last: BTreeMap<u64, u64> = BTreeMap::new();
        for log in logs.as_array().unwrap() {
            let hash: B256 = serde_json::from_value(log["topics"][1].clone()).unwrap();
            let src = quantity(&log["topics"][2]);
            let nonce = quantity(&log["topics"][3]);
            assert!(seen.insert(hash), "{hash} delivered twice");
            let s = hashes.get(&hash).expect("a delivered message was sent");
            assert_eq!((u64::from(s.src), s.dst), (src, dst));
            let prev = last.insert(src, nonce).unwrap_or(0);
            assert!(nonce > prev, "domain {dst}: from {src}, nonce {nonce} after {prev}");
        }
    }
    assert_eq!(seen.len(), MESSAGES, "every message delivered once");

    // to the wei: sent, paid in fees, received
    let end = balances(&node, &accounts).await;
    let mut expected = start.clone();
    for s in hashes.values() {
        let from = expected.get_mut(&(s.src, s.key)).unwrap();
        *from -= s.value;
        *expected.get_mut(&(s.dst, s.to)).unwrap() += s.value;
    }
    for (k, fee) in &fees {
        *expected.get_mut(k).unwrap() -= *fee;
    }
    assert_eq!(end, expected);
}
