//! Where a transaction's CPU time goes in the node, stage by stage, for ERC-20 transfers:
//! decode, sender recovery, pool admission, execution, state root and the durable commit.
//!
//! `cargo run --release -p sec-sequencer --example pipeline -- [transfers per block] [blocks]
//! [accounts] [proof window] [page cache MiB]`
//!
//! It drives one domain in-process (no RPC, no block timer) so each stage is timed alone.
//! `accounts` preloads that many funded accounts at genesis, to see how block production
//! scales with the size of the state; every transfer goes to a fresh recipient. `proof window`
//! is how many blocks' tries the domain keeps for `eth_getProof` (default 64, the node's);
//! `page cache MiB` the store's page cache (default 64). At the end it opens the domain again
//! and times the restart, with the tries' branch hashes stored and without them.

use std::time::{Duration, Instant};

use alloy::{
    consensus::{SignableTransaction, TxEip1559, TxEnvelope, transaction::SignerRecoverable},
    eips::eip2718::{Decodable2718, Encodable2718},
    signers::{SignerSync, local::PrivateKeySigner},
};
use alloy_primitives::{Address, Bytes, TxKind, U256, hex, keccak256};
use rayon::prelude::*;
use sec_primitives::GenesisAccount;
use sec_sequencer::{Domain, DomainConfig, mempool::PoolConfig};

const TOKEN: &str = include_str!("../../src/bench/BenchToken.bin");

fn sign(key: &PrivateKeySigner, nonce: u64, to: TxKind, input: Bytes, gas: u64) -> Bytes {
    let tx = TxEip1559 {
        chain_id: 53500,
        nonce,
        gas_limit: gas,
        max_fee_per_gas: 100_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to,
        value: U256::ZERO,
        input,
        access_list: Default::default(),
    };
    let sig = key.sign_hash_sync(&tx.signature_hash()).expect("sign");
    TxEnvelope::from(tx.into_signed(sig)).encoded_2718().into()
}

fn transfer(to: Address, amount: u64) -> Bytes {
    let mut d = hex::decode("a9059cbb").expect("selector");
    d.extend_from_slice(&[0u8; 12]);
    d.extend_from_slice(to.as_slice());
    d.extend_from_slice(&U256::from(amount).to_be_bytes::<32>());
    d.into()
}

fn per_tx(d: Duration, n: usize) -> f64 {
    d.as_secs_f64() * 1e6 / n as f64
}

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let per_block = args.first().copied().unwrap_or(5_000);
    let blocks = args.get(1).copied().unwrap_or(10);
    let accounts = args.get(2).copied().unwrap_or(0);
    let proof_window = args.get(3).copied().unwrap_or(64);
    let cache_mib = args.get(4).copied().unwrap_or(64);
    let dir = tempfile::tempdir().expect("tempdir");
    let senders: Vec<PrivateKeySigner> = (0..per_block)
        .into_par_iter()
        .map(|i| PrivateKeySigner::from_bytes(&keccak256(i.to_be_bytes())).expect("key"))
        .collect();
    let deployer = PrivateKeySigner::from_bytes(&keccak256(b"deployer")).expect("key");
    let mut alloc: Vec<(Address, GenesisAccount)> = senders
        .iter()
        .map(|s| {
            (
                s.address(),
                GenesisAccount {
                    balance: U256::from(10u64).pow(U256::from(21u64)),
                    ..Default::default()
                },
            )
        })
        .collect();
    alloc.par_extend((0..accounts).into_par_iter().map(|i| {
        let address = Address::from_word(keccak256(format!("account {i}")));
        (address, GenesisAccount { balance: U256::from(1u64), ..Default::default() })
    }));
    alloc.push((
        deployer.address(),
        GenesisAccount { balance: U256::from(10u64).pow(U256::from(22u64)), ..Default::default() },
    ));
    let config = DomainConfig {
        id: 0,
        chain_id: 53500,
        block_time: Duration::ZERO,
        block_phase: Duration::ZERO,
        gas_limit: 1_000_000_000,
        initial_base_fee: 1_000_000_000,
        pool: PoolConfig { max_total: 1_000_000, max_per_sender: 1_000_000, ..Default::default() },
        datadir: dir.path().to_path_buf(),
        alloc,
        genesis_timestamp: 1_700_000_000,
        db_cache_bytes: cache_mib << 20,
        l1: None,
        outboxes: None,
        epochs: None,
        proof_window,
    };
    let opened = Instant::now();
    let domain = Domain::open(config, deployer.clone()).expect("domain");
    let genesis_s = opened.elapsed().as_secs_f64();

    // Deploy the token and give every sender a balance.
    let mut create = hex::decode(TOKEN.trim()).expect("hex");
    create.extend_from_slice(&U256::MAX.to_be_bytes::<32>());
    domain.submit(sign(&deployer, 0, TxKind::Create, create.into(), 2_000_000)).expect("deploy");
    domain.produce_block().expect("block");
    let token = deployer.address().create(0);
    for chunk in senders.chunks(5_000).enumerate() {
        for (i, s) in chunk.1.iter().enumerate() {
            let nonce = 1 + (chunk.0 * 5_000 + i) as u64;
            domain
                .submit(sign(
                    &deployer,
                    nonce,
                    TxKind::Call(token),
                    transfer(s.address(), 1_000_000),
                    100_000,
                ))
                .expect("fund");
        }
        domain.produce_block().expect("block");
    }

    let (mut decode, mut recover, mut admit, mut n) =
        (Duration::ZERO, Duration::ZERO, Duration::ZERO, 0usize);
    let (mut execute, mut root, mut commit, mut total) =
        (Duration::ZERO, Duration::ZERO, Duration::ZERO, Duration::ZERO);
    // On stderr, so that a profiler can be attached once the setup is done.
    eprintln!("producing {blocks} blocks");
    for b in 0..blocks {
        let raws: Vec<Bytes> = senders
            .par_iter()
            .enumerate()
            .map(|(i, s)| {
                sign(
                    s,
                    b as u64,
                    TxKind::Call(token),
                    transfer(Address::from_word(keccak256(format!("to {b} {i}"))), 1),
                    60_000,
                )
            })
            .collect();
        let t = Instant::now();
        let decoded: Vec<TxEnvelope> = raws
            .iter()
            .map(|r| TxEnvelope::decode_2718_exact(r.as_ref()).expect("decode"))
            .collect();
        decode += t.elapsed();
        let t = Instant::now();
        for tx in &decoded {
            tx.recover_signer().expect("recover");
        }
        recover += t.elapsed();
        // Admission as eth_sendRawTransaction does it (decode + recover + checks + pool), on one core.
        let t = Instant::now();
        for raw in raws {
            domain.submit(raw).expect("submit");
        }
        admit += t.elapsed();
        let produced = domain.produce_block().expect("block");
        assert_eq!(produced.record.txs.len(), per_block, "every transfer fits the block");
        assert!(produced.record.receipts.iter().all(|r| r.status()), "every transfer succeeds");
        execute += produced.timings.execute;
        root += produced.timings.state_root;
        commit += produced.timings.commit;
        total += produced.timings.total;
        n += per_block;
    }
    println!(
        "ERC-20 transfers to fresh recipients: {n} in {blocks} blocks of {per_block}, one core per stage, {} accounts in the state (genesis written in {genesis_s:.1} s)",
        accounts + per_block + 1
    );
    println!("  decode (EIP-2718)          {:>7.2} µs/tx", per_tx(decode, n));
    println!("  sender recovery            {:>7.2} µs/tx", per_tx(recover, n));
    println!("  pool admission (all of it) {:>7.2} µs/tx", per_tx(admit, n));
    println!("  execution (revm)           {:>7.2} µs/tx", per_tx(execute, n));
    println!("  state root (incremental)   {:>7.2} µs/tx", per_tx(root, n));
    println!(
        "  durable commit (1 fsync)   {:>7.2} µs/tx  ({:.1} ms/block)",
        per_tx(commit, n),
        commit.as_secs_f64() * 1e3 / blocks as f64
    );
    println!("  block production, total    {:>7.2} µs/tx", per_tx(total, n));
    if let Some(rss) = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).map(str::to_string))
    {
        println!("  resident memory            {}", rss.trim_start_matches("VmRSS:").trim());
    }
    // A restart: the store is opened again and the state loaded, its tries built with the
    // branch hashes stored on close and their root checked against the head's.
    let config = domain.config().clone();
    let t = Instant::now();
    domain.close();
    println!("  close (journal, the tries' branch hashes) {:.1} s", t.elapsed().as_secs_f64());
    drop(domain);
    let t = Instant::now();
    let reopened = Domain::open(config.clone(), deployer.clone()).expect("reopen");
    println!("  restart, branch hashes stored   {:.1} s", t.elapsed().as_secs_f64());
    // Only the head's tries are in memory now: a proof at the block before the transfers is
    // made from the head's tries with every key the transfers changed set back.
    let (head, _) = reopened.head();
    let t = Instant::now();
    let proof = reopened.proof_at(head - blocks as u64, &token, &[]).expect("proof");
    println!(
        "  eth_getProof of the token {blocks} blocks back ({} transfers since) {:.0} ms",
        n,
        t.elapsed().as_secs_f64() * 1e3
    );
    assert!(!proof.account_proof.is_empty());
    reopened.close();
    drop(reopened);
    // Without them (a data directory from before they were stored): every branch hashed.
    std::fs::remove_file(config.datadir.join("trie.redb")).expect("remove trie.redb");
    let t = Instant::now();
    let reopened = Domain::open(config, deployer).expect("reopen");
    println!("  restart, every branch hashed    {:.1} s", t.elapsed().as_secs_f64());
    reopened.close();
}
