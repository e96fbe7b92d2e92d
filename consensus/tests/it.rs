//! Validators deciding blocks together: four validators in one process, each with its own
//! stores, talking real libp2p on loopback. Every block of every domain is proposed by its
//! scheduled producer, re-executed by the others and committed with the precommits of more
//! than 2/3 of the stake; each stored certificate verifies with exact stake; a transaction
//! sent to the validators is included once.

use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use alloy::{
    consensus::{SignableTransaction, TxEip1559, TxEnvelope},
    eips::eip2718::Encodable2718,
    signers::{SignerSync, local::PrivateKeySigner},
};
use alloy_primitives::{Address, Bytes, TxKind, U256};
use malachitebft_core_types::{LinearTimeouts, Round};
use sec_consensus::{Fault, Sets, Validator, ValidatorConfig, context::Validators};
use sec_primitives::{
    ActiveValidator, DEV_MNEMONIC, GenesisAccount, ValidatorSet, dev_signers_from,
    vote::SigningDomain,
};
use sec_sequencer::{Domain, NodeConfig, node::open_domains, testing::MemoryL1};

const DOMAINS: u32 = 2;
/// One network of four validators at a time: three at once (twelve validators) on a 2-core
/// machine leave one validator so far behind that it does not catch up (see CONSENSUS.md).
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Domain-0 blocks per epoch when the validators read sets from an L1.
const EPOCH: u64 = 4;
const SIGNING: SigningDomain =
    SigningDomain { l1_chain_id: 31337, stake_manager: Address::repeat_byte(0x5e) };

fn sec(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

/// A base port with free ports for every domain's engine and the transaction gossip.
fn free_ports() -> u16 {
    sec_sequencer::testing::free_port_range(DOMAINS as u16 + 1)
}

struct Member {
    domains: Vec<Arc<Domain>>,
    validator: Validator,
    _dir: tempfile::TempDir,
}

fn validator_set(keys: &[PrivateKeySigner], stakes: &[u64]) -> ValidatorSet {
    let members = keys.iter().zip(stakes).enumerate().map(|(i, (k, s))| {
        ActiveValidator::derived(Address::with_last_byte(i as u8 + 1), k, sec(*s)).unwrap()
    });
    ValidatorSet::new(members.collect()).unwrap()
}

async fn start(
    key: &PrivateKeySigner,
    set: &ValidatorSet,
    me: SocketAddr,
    peers: Vec<SocketAddr>,
    fault: Fault,
    l1: Option<Arc<MemoryL1>>,
) -> Member {
    let dir = tempfile::tempdir().unwrap();
    let mut config = NodeConfig {
        datadir: dir.path().join("chain"),
        domains: DOMAINS,
        genesis_timestamp: Some(1_700_000_000),
        ..Default::default()
    };
    config
        .alloc
        .insert(sender().address(), GenesisAccount { balance: sec(1_000), ..Default::default() });
    // with an L1, sets come from epochs of 4 domain-0 blocks starting from `set`
    if l1.is_some() {
        config.l1.confirmations = 1;
        config.l1_sec_token = Address::repeat_byte(0x5e);
        config.epochs.length = EPOCH;
        config.epochs.genesis_validators = set.members().to_vec();
    }
    let l1 = l1.map(|l1| l1 as Arc<dyn sec_primitives::L1Source>);
    let domains = open_domains(&config, key, l1).await.unwrap();
    let sets = match domains[0].config().epochs.clone() {
        Some(epochs) => Sets::Epochs(epochs),
        None => Sets::Fixed(Arc::new(set.clone())),
    };
    let validator = Validator::start(
        &domains,
        ValidatorConfig {
            key: key.clone(),
            signing: SIGNING,
            datadir: dir.path().join("consensus"),
            listen: me,
            peers,
            timeouts: LinearTimeouts {
                propose: Duration::from_secs(3),
                prevote: Duration::from_millis(500),
                precommit: Duration::from_millis(500),
                ..Default::default()
            },
            block_time: Duration::from_secs(1),
            sets,
            fault,
        },
    )
    .await
    .unwrap();
    Member { domains, validator, _dir: dir }
}

fn sender() -> PrivateKeySigner {
    dev_signers_from(DEV_MNEMONIC, 3..4).unwrap().pop().unwrap()
}

fn transfer(chain_id: u64, to: Address, nonce: u64) -> Bytes {
    let tx = TxEip1559 {
        chain_id,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 100_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to: TxKind::Call(to),
        value: sec(2),
        input: Bytes::new(),
        access_list: Default::default(),
    };
    let sig = sender().sign_hash_sync(&tx.signature_hash()).unwrap();
    TxEnvelope::from(tx.into_signed(sig)).encoded_2718().into()
}

/// Four validators with stakes 40/30/20/10 on loopback, with `faults` by index.
async fn network(faults: [Fault; 4]) -> (Vec<Member>, ValidatorSet) {
    network_on(faults, None).await
}

/// [`network`], reading validator sets from `l1` when given.
async fn network_on(faults: [Fault; 4], l1: Option<Arc<MemoryL1>>) -> (Vec<Member>, ValidatorSet) {
    // `RUST_LOG` shows the validators' logs (the test harness captures them per test)
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let keys = dev_signers_from(DEV_MNEMONIC, 100..104).unwrap();
    let set = validator_set(&keys, &[40, 30, 20, 10]);
    let addrs: Vec<SocketAddr> =
        (0..4).map(|_| SocketAddr::from(([127, 0, 0, 1], free_ports()))).collect();
    let mut members = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let peers = addrs.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, a)| *a).collect();
        members.push(start(key, &set, addrs[i], peers, faults[i], l1.clone()).await);
    }
    (members, set)
}

/// Waits until every member has committed `target` blocks on every domain.
async fn reach(members: &[Member], target: u64) -> Duration {
    let started = Instant::now();
    while members.iter().any(|m| m.domains.iter().any(|d| d.head().0 < target)) {
        assert!(
            started.elapsed() < Duration::from_secs(150),
            "heads after 150 s: {:?}",
            members
                .iter()
                .map(|m| m.domains.iter().map(|d| d.head().0).collect::<Vec<_>>())
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_validators_finalize_every_domain_by_stake() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (members, set) = network([Fault::None; 4]).await;
    // a transfer sent to one validator, and one that cannot be included yet (a nonce gap) sent
    // to another: gossip takes both to every validator's pool
    let to = Address::repeat_byte(0x77);
    members[0].domains[0].submit(transfer(members[0].domains[0].chain_id(), to, 0)).unwrap();
    let queued = members[2].domains[0]
        .submit(transfer(members[2].domains[0].chain_id(), to, 5))
        .unwrap()
        .hash;
    let started = Instant::now();
    while members.iter().any(|m| m.domains[0].pool().get(&queued).is_none()) {
        assert!(started.elapsed() < Duration::from_secs(20), "the transaction was not gossiped");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let target = 5;
    let took = reach(&members, target).await;
    eprintln!("{target} heights on {DOMAINS} domains in {took:?}");

    let mut producers = std::collections::HashSet::new();
    let mut included = 0;
    for d in 0..DOMAINS as usize {
        for number in 1..=target {
            let blocks: Vec<_> =
                members.iter().map(|m| m.domains[d].block(number).unwrap().unwrap()).collect();
            let hash = blocks[0].hash;
            assert!(blocks.iter().all(|b| b.hash == hash), "domain {d} block {number} differs");
            let block = &blocks[0];
            // produced by the slot's scheduled producer
            let slot = block.extension.slot;
            let due = set.members()[((slot + d as u64) % 4) as usize].signer;
            assert_eq!(block.extension.producer, due, "domain {d} block {number} slot {slot}");
            producers.insert(block.extension.producer);
            // committed with > 2/3 of the stake, on every validator
            for m in &members {
                let cert = m.domains[d].store().unwrap().certificate(number).unwrap().unwrap();
                assert_eq!(cert.block_hash, hash);
                let signed = cert.verify(&set, &SIGNING).unwrap();
                assert!(signed * U256::from(3) > set.total_stake() * U256::from(2));
            }
            if d == 0 {
                included += block.tx_hashes.len();
            }
        }
    }
    assert!(producers.len() >= 3, "producers rotate: {producers:?}");
    assert_eq!(included, 1, "the transfer is in exactly one block");
    for m in &members {
        let balance = m.domains[0]
            .with_head(|s, _, _, _| s.account(&to).unwrap().map(|a| a.balance))
            .unwrap();
        assert_eq!(balance, Some(sec(2)));
    }
    for m in members {
        m.validator.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn blocks_that_fail_re_execution_are_never_finalized() {
    let _one = ONE_AT_A_TIME.lock().await;
    // validator 2 (20 %) proposes blocks with a wrong state root, validator 3 (10 %) blocks
    // with forged randomness: 70 % of the stake is honest, so the chain goes on without them
    let (members, set) =
        network([Fault::None, Fault::None, Fault::BadStateRoot, Fault::BadRandomness]).await;
    let target = 7;
    let took = reach(&members, target).await;
    eprintln!("{target} heights with two faulty proposers in {took:?}");
    let keys = dev_signers_from(DEV_MNEMONIC, 100..104).unwrap();
    let (bad_root, bad_rand) = (keys[2].address(), keys[3].address());
    for m in members {
        m.validator.stop().await;
        for d in &m.domains {
            let head = d.head().0;
            let mut produced = 0;
            for number in 1..=head {
                let block = d.block(number).unwrap().unwrap();
                assert!(
                    block.extension.producer != bad_root && block.extension.producer != bad_rand,
                    "domain {} block {number} by a faulty proposer",
                    d.id()
                );
                let cert = d.store().unwrap().certificate(number).unwrap().unwrap();
                cert.verify(&set, &SIGNING).unwrap();
                produced += 1;
            }
            // the schedule's account: every block produced by someone, the faulty slots missed
            let production = d.store().unwrap().production(0).unwrap();
            let total: u64 = production.iter().map(|(_, p, _)| p).sum();
            assert_eq!(total, produced);
            let missed: u64 = production
                .iter()
                .filter(|(who, ..)| *who == bad_root || *who == bad_rand)
                .map(|(_, _, m)| m)
                .sum();
            assert!(missed >= 2, "domain {}: faulty slots missed: {production:?}", d.id());
            assert!(
                production
                    .iter()
                    .all(|(who, p, _)| *p == 0 || (*who != bad_root && *who != bad_rand))
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_epoch_is_decided_by_the_set_ethereum_reported() {
    let _one = ONE_AT_A_TIME.lock().await;
    let l1 = MemoryL1::new();
    let keys = dev_signers_from(DEV_MNEMONIC, 100..104).unwrap();
    let first = validator_set(&keys, &[40, 30, 20, 10]);
    l1.set_validators(0, first.clone());
    l1.mine(vec![]);
    l1.mine(vec![]);
    let (members, _) = network_on([Fault::None; 4], Some(l1.clone())).await;
    // validator 3 is jailed on L1 once the chain runs; validator 0 gains stake
    let second = validator_set(&keys[..3], &[50, 30, 20]);
    reach(&members, 1).await;
    let changed = l1.mine(vec![]);
    l1.set_validators(changed, second.clone());
    let mine = {
        let l1 = l1.clone();
        tokio::spawn(async move {
            loop {
                l1.mine(vec![]);
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        })
    };
    // The first domain-0 block that read L1 after the change (how far the chain is by then
    // depends on how fast the domains started): the boundary at or after it fixes the new set
    // for the epoch that follows, and the chain is followed to that epoch's end.
    let d0 = members[0].domains[0].clone();
    let epochs = d0.config().epochs.clone().unwrap();
    let read_after = |d0: &sec_sequencer::Domain| {
        (1..=d0.head().0).find(|n| {
            d0.block(*n).unwrap().is_some_and(|b| b.extension.l1_origin.number >= changed)
        })
    };
    let started = Instant::now();
    let seen = loop {
        if let Some(n) = read_after(&d0) {
            break n;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "no block read L1 after the change");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let new_epoch = seen.div_ceil(EPOCH);
    let target = (new_epoch + 1) * EPOCH;
    let took = reach(&members, target).await;
    mine.abort();
    eprintln!(
        "L1 change first read by block {seen}; the new set decides epoch {new_epoch}; {target} heights in {took:?}"
    );
    let out = keys[3].address();
    for m in members {
        m.validator.stop().await;
        let d0 = &m.domains[0];
        // the sets: the genesis set until the boundary that read L1 after the change, the new
        // set from the epoch it fixes
        for e in 0..=new_epoch {
            let fixed = epochs.set(e).unwrap().unwrap();
            if e < new_epoch {
                assert_eq!(fixed.set, first, "epoch {e}");
            } else {
                assert_eq!(fixed.set, second, "epoch {e}");
                assert!(fixed.origin.number >= changed, "epoch {e} read L1 after the change");
            }
        }
        // every block of domain 0 certified by its epoch's set; none by the jailed validator
        // once it is out
        for number in 1..=target {
            let block = d0.block(number).unwrap().unwrap();
            let epoch = block.extension.epoch;
            assert_eq!(epoch, epochs.epoch_of(number));
            let set = epochs.set(epoch).unwrap().unwrap().set.clone();
            let cert = d0.store().unwrap().certificate(number).unwrap().unwrap();
            assert_eq!(cert.epoch, epoch);
            cert.verify(&set, &SIGNING).unwrap();
            // produced by its slot's producer in the epoch's schedule (seeded from epoch 2 on)
            let parent_slot = d0.block(number - 1).unwrap().unwrap().extension.slot;
            let seed = epochs.seed(epoch).unwrap();
            assert_eq!(seed.is_some(), epoch >= 2);
            let schedule = Validators::new(Arc::new(set.clone()), epoch, parent_slot + 1, seed);
            let round = Round::new((block.extension.slot - parent_slot - 1) as u32);
            assert_eq!(schedule.producer(0, round).unwrap().address.0, block.extension.producer);
            if set.by_signer(out).is_none() {
                assert_ne!(block.extension.producer, out, "block {number}");
                assert!(cert.signatures.iter().all(|s| s.signer != out), "block {number}");
            }
        }
    }
}
