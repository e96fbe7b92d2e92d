//! kill -9 at arbitrary moments under load, then restart: nothing returned before the kill is
//! lost or changed (receipts, blocks, and accepted transactions, which the pool journal brings
//! back), and the chain goes on from the same head.

use std::{collections::BTreeMap, time::Duration};

use alloy_primitives::{Address, B256, U256};
use sec_primitives::{DEV_MNEMONIC, dev_signers};
use serde_json::{Value, json};

use crate::common::*;

const DOMAINS: u32 = 2;
const CHAIN_ID_BASE: u64 = 53500;

/// Sends transfers from every key to every domain for `run_for`, recording what was accepted
/// and the receipts seen.
async fn load(
    port: u16,
    nonces: &mut BTreeMap<(u32, usize), u64>,
    accepted: &mut BTreeMap<B256, u32>,
    seen: &mut BTreeMap<B256, (u32, Value)>,
    run_for: Duration,
) {
    let keys = dev_signers(DEV_MNEMONIC, 4).unwrap();
    let clients: Vec<_> = (0..DOMAINS)
        .map(|d| {
            client(&if d == 0 {
                format!("http://127.0.0.1:{port}/")
            } else {
                format!("http://127.0.0.1:{port}/domain/{d}")
            })
        })
        .collect();
    let started = std::time::Instant::now();
    let mut pending: Vec<(u32, B256)> = Vec::new();
    while started.elapsed() < run_for {
        for d in 0..DOMAINS {
            for (k, key) in keys.iter().enumerate() {
                let nonce = nonces.entry((d, k)).or_insert(0);
                let (hash, raw) = transfer(
                    key,
                    CHAIN_ID_BASE + d as u64,
                    *nonce,
                    Address::repeat_byte(0x30 + k as u8),
                    U256::from(1u64),
                );
                if call(&clients[d as usize], "eth_sendRawTransaction", vec![json!(raw)])
                    .await
                    .is_ok()
                {
                    *nonce += 1;
                    accepted.insert(hash, d);
                    pending.push((d, hash));
                }
            }
        }
        let mut still = Vec::new();
        for (d, hash) in pending.drain(..) {
            match call(&clients[d as usize], "eth_getTransactionReceipt", vec![json!(hash)]).await {
                Ok(r) if !r.is_null() => {
                    seen.insert(hash, (d, r));
                }
                _ => still.push((d, hash)),
            }
        }
        pending = still;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_under_load_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut seen: BTreeMap<B256, (u32, Value)> = BTreeMap::new();
    let mut accepted: BTreeMap<B256, u32> = BTreeMap::new();
    let mut heads: Vec<BTreeMap<u32, Value>> = Vec::new();
    for (round, run_for) in [700u64, 1100, 450].into_iter().enumerate() {
        let node = NodeProcess::start(dir.path(), DOMAINS, 0.05, port);
        // Nonces come back from the node, counting the journaled pool.
        let mut nonces = BTreeMap::new();
        let keys = dev_signers(DEV_MNEMONIC, 4).unwrap();
        for d in 0..DOMAINS {
            let c = client(&node.url(d));
            for (k, key) in keys.iter().enumerate() {
                let n = call(
                    &c,
                    "eth_getTransactionCount",
                    vec![json!(key.address()), "latest".into()],
                )
                .await
                .unwrap();
                nonces.insert((d, k), quantity(&n));
            }
        }
        // Everything seen before every earlier kill is still there, unchanged.
        for (hash, (d, receipt)) in &seen {
            let again =
                call(&client(&node.url(*d)), "eth_getTransactionReceipt", vec![json!(hash)])
                    .await
                    .unwrap();
            assert_eq!(&again, receipt, "round {round}: receipt of {hash} changed or vanished");
        }
        for h in &heads {
            for (d, block) in h {
                let again = call(
                    &client(&node.url(*d)),
                    "eth_getBlockByNumber",
                    vec![block["number"].clone(), false.into()],
                )
                .await
                .unwrap();
                assert_eq!(
                    again["hash"], block["hash"],
                    "round {round}: block {} of domain {d} changed",
                    block["number"]
                );
                assert_eq!(again["stateRoot"], block["stateRoot"]);
            }
        }
        load(port, &mut nonces, &mut accepted, &mut seen, Duration::from_millis(run_for)).await;
        let mut h = BTreeMap::new();
        for d in 0..DOMAINS {
            let b = call(
                &client(&node.url(d)),
                "eth_getBlockByNumber",
                vec!["latest".into(), false.into()],
            )
            .await
            .unwrap();
            h.insert(d, b);
        }
        heads.push(h);
        node.kill9();
    }
    assert!(seen.len() > 50, "too little load: {} receipts", seen.len());
    // After the last kill: every accepted transaction is mined, exactly once, and the chain goes on.
    let node = NodeProcess::start(dir.path(), DOMAINS, 0.05, port);
    let started = std::time::Instant::now();
    let mut missing: Vec<(B256, u32)> = accepted.iter().map(|(h, d)| (*h, *d)).collect();
    while !missing.is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{} accepted transactions never mined, e.g. {:?}",
            missing.len(),
            missing[0]
        );
        let mut still = Vec::new();
        for (hash, d) in missing {
            let r = call(&client(&node.url(d)), "eth_getTransactionReceipt", vec![json!(hash)])
                .await
                .unwrap();
            if r.is_null() {
                still.push((hash, d));
            }
        }
        missing = still;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Nonces have no gaps and no repeats: the account nonce equals the number of accepted transfers.
    let keys = dev_signers(DEV_MNEMONIC, 4).unwrap();
    for d in 0..DOMAINS {
        let c = client(&node.url(d));
        let total = accepted.values().filter(|x| **x == d).count() as u64;
        let mut nonces = 0;
        for key in &keys {
            nonces += quantity(
                &call(&c, "eth_getTransactionCount", vec![json!(key.address()), "latest".into()])
                    .await
                    .unwrap(),
            );
        }
        assert_eq!(nonces, total, "domain {d}");
    }
    let c = client(&node.url(1));
    let key = &keys[0];
    let n = quantity(
        &call(&c, "eth_getTransactionCount", vec![json!(key.address()), "latest".into()])
            .await
            .unwrap(),
    );
    let (hash, raw) =
        transfer(key, CHAIN_ID_BASE + 1, n, Address::repeat_byte(0x55), U256::from(1u64));
    call(&c, "eth_sendRawTransaction", vec![json!(raw)]).await.unwrap();
    for _ in 0..200 {
        if !call(&c, "eth_getTransactionReceipt", vec![json!(hash)]).await.unwrap().is_null() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no block after the last restart");
}

/// SIGTERM (what service managers and `docker stop` send) stops the node through its shutdown
/// path, as Ctrl-C does: it exits with success, and starts again on the same chain.
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_stops_the_node_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut node = NodeProcess::start(dir.path(), DOMAINS, 0.05, port);
    let keys = dev_signers(DEV_MNEMONIC, 1).unwrap();
    let c = client(&node.url(0));
    let (hash, raw) =
        transfer(&keys[0], CHAIN_ID_BASE, 0, Address::repeat_byte(0x56), U256::from(1u64));
    call(&c, "eth_sendRawTransaction", vec![json!(raw)]).await.unwrap();
    let pid = i32::try_from(node.child.id()).expect("pid");
    // SAFETY: kill(2) with a pid this test spawned and a valid signal number.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = node.child.try_wait().expect("poll") {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "SIGTERM did not stop the node");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status:?}: ended by the signal, not by its shutdown path");
    let node = NodeProcess::start(dir.path(), DOMAINS, 0.05, port);
    let c = client(&node.url(0));
    for _ in 0..200 {
        if !call(&c, "eth_getTransactionReceipt", vec![json!(hash)]).await.unwrap().is_null() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the transfer sent before SIGTERM is not mined after the restart");
}
