//! Finality and throughput with validators, against one producer on the same machine.
//!
//! `cargo run --release -p sec-consensus --example finality -- [validators] [domains] [txs per
//! domain] [rate per domain] [cross-domain sends per second]` (defaults 4, 4, 6000, 1000, 10):
//! that many validators in this process (own stores, libp2p on loopback, 1 s blocks), native
//! transfers to fresh recipients submitted at `rate` per second per domain, one transaction per
//! submission, each to one validator in turn (the validators gossip it to each other).
//! `validators = 0` runs the single producer instead (the node's own block loop). Alongside
//! that load, `CrossDomain.send` payments to fresh recipients go from each domain to the next
//! in turn, from accounts of their own.
//!
//! Prints, per run: heights committed, the interval between consecutive blocks of a domain
//! (p50/p99: how long finality takes once a height starts), the time from submission to the
//! committed block for each transaction (p50/p99), transactions included per second, and for
//! the cross-domain payments the time from submitting the send to the committed block on the
//! destination that credited it (p50/p99).

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use alloy::sol_types::{SolCall, SolEvent};
use alloy::{
    consensus::{SignableTransaction, TxEip1559, TxEnvelope},
    eips::eip2718::Encodable2718,
    signers::{SignerSync, local::PrivateKeySigner},
};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use malachitebft_core_types::LinearTimeouts;
use rayon::prelude::*;
use sec_consensus::{Fault, Sets, Validator, ValidatorConfig};
use sec_contracts::{bindings::CrossDomain, predeploy::CROSS_DOMAIN};
use sec_primitives::{
    ActiveValidator, DEV_MNEMONIC, GenesisAccount, ValidatorSet, dev_signers_from,
    vote::SigningDomain,
};
use sec_sequencer::{ChainEvent, Domain, NodeConfig, node::open_domains};

const SENDERS: usize = 500;
/// Accounts that send the cross-domain payments (apart from the load's).
const CROSS_SENDERS: usize = 20;

fn arg(i: usize, default: u64) -> u64 {
    std::env::args().nth(i).and_then(|a| a.parse().ok()).unwrap_or(default)
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// A transfer of 1 wei to `to` (`input` empty), or a call with 1 wei.
fn sign(key: &PrivateKeySigner, chain_id: u64, nonce: u64, to: Address, input: Bytes) -> Bytes {
    let tx = TxEip1559 {
        chain_id,
        nonce,
        gas_limit: if input.is_empty() { 21_000 } else { 300_000 },
        max_fee_per_gas: 100_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to: TxKind::Call(to),
        value: U256::from(1u64),
        input,
        access_list: Default::default(),
    };
    let sig = key.sign_hash_sync(&tx.signature_hash()).expect("sign");
    TxEnvelope::from(tx.into_signed(sig)).encoded_2718().into()
}

#[tokio::main]
async fn main() {
    let validators = arg(1, 4) as usize;
    let domains = arg(2, 4) as u32;
    let txs = arg(3, 6000) as usize;
    let rate = arg(4, 1000) as f64;
    let cross_rate = arg(5, 10) as f64;
    let senders: Vec<PrivateKeySigner> = (0..SENDERS + CROSS_SENDERS)
        .map(|i| PrivateKeySigner::from_bytes(&B256::from(U256::from(i + 1))).unwrap())
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let mut config = NodeConfig {
        domains,
        genesis_timestamp: Some(1_700_000_000),
        block_time_ms: 1000,
        ..Default::default()
    };
    for s in &senders {
        config.alloc.insert(
            s.address(),
            GenesisAccount { balance: U256::from(10u64).pow(U256::from(21)), ..Default::default() },
        );
    }
    let keys = dev_signers_from(DEV_MNEMONIC, 100..100 + validators.max(1) as u32).unwrap();
    let stake = U256::from(10u64).pow(U256::from(20));
    let members = keys.iter().enumerate().map(|(i, k)| {
        ActiveValidator::derived(Address::with_last_byte(i as u8 + 1), k, stake).unwrap()
    });
    let set = ValidatorSet::new(members.collect()).unwrap();
    // every member's domains; the first member's are measured
    let mut members: Vec<Vec<Arc<Domain>>> = Vec::new();
    let mut running = Vec::new();
    if validators == 0 {
        config.datadir = dir.path().join("single");
        let ds = open_domains(&config, &keys[0], None).await.unwrap();
        for d in &ds {
            let d = d.clone();
            std::thread::spawn(move || d.run());
        }
        members.push(ds);
    } else {
        let addrs: Vec<SocketAddr> = (0..validators)
            .map(|_| {
                SocketAddr::from((
                    [127, 0, 0, 1],
                    sec_sequencer::testing::free_port_range(domains as u16 + 1),
                ))
            })
            .collect();
        for (i, key) in keys.iter().enumerate() {
            config.datadir = dir.path().join(format!("v{i}"));
            let ds = open_domains(&config, key, None).await.unwrap();
            let peers =
                addrs.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, a)| *a).collect();
            let v = Validator::start(
                &ds,
                ValidatorConfig {
                    key: key.clone(),
                    signing: SigningDomain { l1_chain_id: 31337, stake_manager: Address::ZERO },
                    datadir: dir.path().join(format!("c{i}")),
                    listen: addrs[i],
                    peers,
                    timeouts: LinearTimeouts {
                        propose: Duration::from_secs(3),
                        prevote: Duration::from_secs(1),
                        precommit: Duration::from_secs(1),
                        ..Default::default()
                    },
                    block_time: Duration::from_secs(1),
                    sets: Sets::Fixed(Arc::new(set.clone())),
                    fault: Fault::None,
                },
            )
            .await
            .unwrap();
            running.push(v);
            members.push(ds);
        }
    }
    // wait for the first heights, so start-up is not measured
    while members.iter().any(|m| m.iter().any(|d| d.head().0 < 2)) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // pre-signed load: per domain `txs` transfers from SENDERS accounts to fresh recipients
    let signed: Vec<Vec<(B256, Bytes)>> = (0..domains)
        .map(|d| {
            let chain_id = members[0][d as usize].chain_id();
            (0..txs)
                .into_par_iter()
                .map(|i| {
                    let to = Address::from_word(alloy_primitives::keccak256(format!("{d}/{i}")));
                    let key = &senders[i % SENDERS];
                    let raw = sign(key, chain_id, (i / SENDERS) as u64, to, Bytes::new());
                    (alloy_primitives::keccak256(&raw), raw)
                })
                .collect()
        })
        .collect();
    // the cross-domain payments over the same run: the k-th from domain k % D to the next
    let cross_count = (txs as f64 / rate * cross_rate) as usize;
    let mut cross_nonces: HashMap<(usize, usize), u64> = HashMap::new();
    let cross: Vec<(usize, B256, Bytes)> = (0..cross_count)
        .map(|k| {
            let src = k % domains as usize;
            let sender = SENDERS + k % CROSS_SENDERS;
            let nonce = cross_nonces.entry((sender, src)).or_default();
            let to = Address::from_word(alloy_primitives::keccak256(format!("cross/{k}")));
            let dst_domain = ((src + 1) % domains as usize) as u32;
            let call = CrossDomain::sendCall { dstDomain: dst_domain, to, data: Bytes::new() };
            let chain_id = members[0][src].chain_id();
            let raw =
                sign(&senders[sender], chain_id, *nonce, CROSS_DOMAIN, call.abi_encode().into());
            *nonce += 1;
            (src, alloy_primitives::keccak256(&raw), raw)
        })
        .collect();
    let expected: std::collections::HashSet<B256> =
        signed.iter().flatten().map(|(h, _)| *h).chain(cross.iter().map(|(_, h, _)| *h)).collect();

    // commit times of blocks and transactions on the first member
    let mut subscriptions: Vec<_> = members[0].iter().map(|d| d.subscribe()).collect();
    let commits = tokio::spawn(async move {
        let mut blocks: Vec<Vec<Instant>> = vec![vec![]; subscriptions.len()];
        let mut included: HashMap<B256, Instant> = HashMap::new();
        let mut awaited = 0;
        // a message's hash -> its send's transaction, and -> when its credit was committed
        let mut sent: HashMap<B256, B256> = HashMap::new();
        let mut credited: HashMap<B256, Instant> = HashMap::new();
        let deadline = Instant::now() + Duration::from_secs(600);
        loop {
            let mut any = false;
            for (d, sub) in subscriptions.iter_mut().enumerate() {
                while let Ok(event) = sub.try_recv() {
                    any = true;
                    if let ChainEvent::Block(b) = event {
                        let now = Instant::now();
                        blocks[d].push(now);
                        for h in &b.tx_hashes {
                            included.insert(*h, now);
                            awaited += usize::from(expected.contains(h));
                        }
                        let logs = b
                            .receipts
                            .iter()
                            .zip(&b.tx_hashes)
                            .flat_map(|(r, h)| r.logs().iter().map(move |l| (h, l)));
                        for (tx, log) in logs.filter(|(_, l)| l.address == CROSS_DOMAIN) {
                            if let Ok(e) = CrossDomain::MessageSent::decode_log(log) {
                                sent.insert(e.messageHash, *tx);
                            } else if let Ok(e) = CrossDomain::MessageDelivered::decode_log(log) {
                                credited.insert(e.messageHash, now);
                            }
                        }
                    }
                }
            }
            if !any {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            if awaited >= expected.len() && credited.len() >= cross_count
                || Instant::now() > deadline
            {
                let delivered = credited
                    .into_iter()
                    .filter_map(|(m, at)| sent.get(&m).map(|tx| (*tx, at)))
                    .collect::<HashMap<_, _>>();
                return (blocks, included, delivered);
            }
        }
    });

    let started = Instant::now();
    let mut submitted: HashMap<B256, Instant> = HashMap::new();
    let interval = Duration::from_secs_f64(1.0 / rate);
    let cross_every = (rate / cross_rate.max(0.001)).max(1.0) as usize;
    let mut cross_load = cross.into_iter();
    for i in 0..txs {
        let due = started + interval.mul_f64(i as f64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            tokio::time::sleep(wait).await;
        }
        for (d, load) in signed.iter().enumerate() {
            let (hash, raw) = &load[i];
            submitted.insert(*hash, Instant::now());
            let domain = members[i % members.len()][d].clone();
            let raw = raw.clone();
            tokio::task::spawn_blocking(move || domain.submit(raw));
        }
        if i % cross_every == 0
            && let Some((src, hash, raw)) = cross_load.next()
        {
            submitted.insert(hash, Instant::now());
            let domain = members[i % members.len()][src].clone();
            tokio::task::spawn_blocking(move || domain.submit(raw));
        }
    }
    let (blocks, included, delivered) = commits.await.unwrap();
    let elapsed = started.elapsed();
    let mut intervals: Vec<f64> =
        blocks.iter().flat_map(|b| b.windows(2).map(|w| (w[1] - w[0]).as_secs_f64())).collect();
    let mut latency: Vec<f64> = included
        .iter()
        .filter_map(|(h, t)| submitted.get(h).map(|s| (*t - *s).as_secs_f64()))
        .collect();
    let mut across: Vec<f64> = delivered
        .iter()
        .filter_map(|(h, t)| submitted.get(h).map(|s| (*t - *s).as_secs_f64()))
        .collect();
    let last = included.values().max().copied().unwrap_or(started);
    println!(
        "validators {validators}, domains {domains}, {} transfers submitted at {rate}/s per domain",
        txs * domains as usize
    );
    println!(
        "included {} in {:.1} s: {:.0} tx/s; heights {:?}",
        latency.len(),
        (last - started).as_secs_f64(),
        latency.len() as f64 / (last - started).as_secs_f64().max(0.001),
        blocks.iter().map(Vec::len).collect::<Vec<_>>()
    );
    println!(
        "block interval p50 {:.2} s, p99 {:.2} s; submission to finality p50 {:.2} s, p99 {:.2} s (run {:.0} s)",
        percentile(&mut intervals, 0.5),
        percentile(&mut intervals, 0.99),
        percentile(&mut latency, 0.5),
        percentile(&mut latency, 0.99),
        elapsed.as_secs_f64()
    );
    println!(
        "cross-domain payments: {cross_count} sent, {} credited; send to credited p50 {:.2} s, p99 {:.2} s, max {:.2} s",
        across.len(),
        percentile(&mut across, 0.5),
        percentile(&mut across, 0.99),
        percentile(&mut across, 1.0)
    );
    for v in running {
        v.stop().await;
    }
}
