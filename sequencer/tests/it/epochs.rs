//! DPoS epochs read from Ethereum: epoch 0 is the genesis set; each boundary block of domain 0
//! fixes the next epoch's set as `StakeManager` reports it at the block's L1 origin, so a stake
//! change on L1 shows in the next epoch; the other domains follow domain 0; a validator
//! re-reads the set and refuses a boundary block naming another; no boundary block is made
//! while L1 cannot be read.

use std::sync::atomic::Ordering;

use alloy_primitives::{Address, B256};
use sec_primitives::{ActiveValidator, ValidatorSet};
use sec_sequencer::{domain::Rejection, rpc::RpcServer};
use serde_json::json;

use crate::common::*;

/// Validator `i` with `stake` SEC, signing with dev key `30 + i`.
fn member(i: u8, stake: u64) -> ActiveValidator {
    ActiveValidator::derived(Address::repeat_byte(i), &dev_key(30 + u32::from(i)), sec(stake))
        .unwrap()
}

/// `sec_validators`' members without their production counts.
fn listed(epoch: &serde_json::Value) -> serde_json::Value {
    let mut members = epoch["validators"].clone();
    for m in members.as_array_mut().unwrap() {
        let m = m.as_object_mut().unwrap();
        m.remove("blocksProduced");
        m.remove("slotsMissed");
    }
    members
}

fn set(members: &[(u8, u64)]) -> ValidatorSet {
    ValidatorSet::new(members.iter().map(|(i, s)| member(*i, *s)).collect()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn each_epoch_takes_the_set_ethereum_reports_at_its_boundary() {
    let l1 = MemoryL1::new();
    let genesis = set(&[(1, 100), (2, 100)]);
    let first = set(&[(1, 100), (2, 100), (3, 50)]);
    l1.set_validators(0, first.clone());
    let configure = |c: &mut sec_sequencer::NodeConfig| {
        c.epochs.length = 4;
        c.epochs.genesis_validators = genesis.members().to_vec();
    };
    let producer_key = dev_key(20);
    let producer = side(&producer_key, &l1, configure).await;
    let follower = side(&dev_key(21), &l1, configure).await;
    let (d0, d1) = (&producer.domains[0], &producer.domains[1]);
    let (f0, f1) = (&follower.domains[0], &follower.domains[1]);
    let epochs = d0.config().epochs.clone().unwrap();
    let block = |d: &sec_sequencer::Domain, n| d.block(n).unwrap().unwrap();

    // epoch 0: the genesis set, committed by domain 0's genesis block
    assert_eq!(block(d0, 0).extension.next_set_hash, genesis.hash());
    assert_eq!(epochs.set(0).unwrap().unwrap().set, genesis);
    assert_eq!(block(d1, 0).extension.next_set_hash, B256::ZERO);

    // blocks 1-4 are epoch 0; block 4 reads epoch 1's set at its L1 origin
    l1.mine(vec![]);
    l1.mine(vec![]);
    let commit = |p: &sec_sequencer::Domain, f: &sec_sequencer::Domain| {
        let expect = expected(f, &producer_key);
        let made = p.produce_block().unwrap().record;
        f.commit(f.verify_block(&proposal(&made), &expect).unwrap()).unwrap();
        made
    };
    for n in 1..=4 {
        let b = commit(d0, f0);
        assert_eq!(b.extension.epoch, 0, "block {n}");
        let expected_hash = if n == 4 { first.hash() } else { B256::ZERO };
        assert_eq!(b.extension.next_set_hash, expected_hash, "block {n}");
    }
    let one = epochs.set(1).unwrap().unwrap();
    assert_eq!(one.set, first);
    assert_eq!((one.boundary, one.origin), (4, block(d0, 4).extension.l1_origin));
    assert_eq!(f0.config().epochs.as_ref().unwrap().set(1).unwrap().unwrap().set, first);

    // a stake change on L1: validator 3 leaves (jailed), validator 2 gains stake
    let second = set(&[(1, 100), (2, 300)]);
    let changed = l1.mine(vec![]);
    l1.set_validators(changed, second.clone());
    l1.mine(vec![]);
    for n in 5..=7 {
        assert_eq!(commit(d0, f0).extension.epoch, 1, "block {n}");
    }
    // a boundary block naming another set is refused by a validator reading L1 itself
    let expect = expected(f0, &producer_key);
    let sealed = d0.build_block(expect.slot).unwrap();
    let mut forged = sealed.proposal();
    assert_eq!(forged.extension.next_set_hash, second.hash());
    forged.extension.next_set_hash = first.hash();
    recommit(&mut forged);
    let e = f0.verify_block(&forged, &expect).map(|_| ()).unwrap_err();
    assert!(matches!(e, Rejection::Mismatch { field: "nextSetHash", .. }), "{e}");
    f0.commit(f0.verify_block(&sealed.proposal(), &expect).unwrap()).unwrap();
    d0.commit(sealed).unwrap();
    let two = epochs.set(2).unwrap().unwrap();
    assert_eq!(two.set, second, "the change shows in the next epoch");
    assert!(two.origin.number >= changed);

    // domain 1 follows: one epoch at a time, only after domain 0's boundary block, and a
    // validator agrees on each. A validator that has not committed that boundary block yet
    // (catching up) cannot judge a block that moved on: it says it is behind instead of
    // refusing the block, and accepts it once domain 0 caught up.
    let late = side(&dev_key(22), &l1, configure).await;
    let (l0, l1d) = (&late.domains[0], &late.domains[1]);
    let mut behind = 0;
    let mut last = 0;
    for _ in 0..20 {
        let b = commit(d1, f1);
        let expect = expected(l1d, &producer_key);
        let checked = l1d.verify_block(&proposal(&b), &expect);
        let sealed = match checked {
            Ok(sealed) => sealed,
            Err(e) => {
                assert!(matches!(e, Rejection::Behind(_)) && e.is_local(), "{e}");
                behind += 1;
                while l0.head().0 < d0.head().0 {
                    let next = block(d0, l0.head().0 + 1);
                    l0.commit(
                        l0.verify_block(&proposal(&next), &expected(l0, &producer_key)).unwrap(),
                    )
                    .unwrap();
                }
                l1d.verify_block(&proposal(&b), &expect).unwrap()
            }
        };
        l1d.commit(sealed).unwrap();
        assert!(b.extension.epoch == last || b.extension.epoch == last + 1);
        if b.extension.epoch > last {
            let boundary = block(d0, epochs.boundary(last));
            assert!(b.header.timestamp > boundary.header.timestamp + 2);
            last = b.extension.epoch;
        }
        if last == 2 {
            break;
        }
    }
    assert_eq!(last, 2, "domain 1 reached epoch 2");
    assert_eq!(behind, 1, "the late validator was behind once, at the first move");

    // the methods
    let server = RpcServer::start(
        &TestNode::config(std::path::Path::new("."), 2).rpc,
        producer.domains.clone(),
    )
    .await
    .unwrap();
    let rpc = Rpc::new(&format!("http://{}", server.local_addr()));
    // the head (block 8) is the last block of epoch 1; epoch 2's set is already fixed
    let now = rpc.call("sec_validators", vec![]).await;
    assert_eq!((&now["epoch"], &now["currentEpoch"]), (&json!("0x1"), &json!("0x1")));
    assert_eq!(now["setHash"], json!(first.hash()));
    assert_eq!((&now["firstBlock"], &now["boundaryBlock"]), (&json!("0x5"), &json!("0x8")));
    let next = rpc.call("sec_validators", vec![json!("0x2")]).await;
    assert_eq!(listed(&next), serde_json::to_value(second.members()).unwrap());
    // nobody produced or missed anything: a single producer outside the set made the blocks
    assert!(next["validators"].as_array().unwrap().iter().all(|v| v["blocksProduced"] == "0x0"));
    assert_eq!(next["totalStake"], json!(sec(400)));
    assert_eq!(next["fixedBy"], "0x8");
    let zero = rpc.call("sec_validators", vec![json!("0x0")]).await;
    assert_eq!(listed(&zero), serde_json::to_value(genesis.members()).unwrap());
    let stored = rpc.call("sec_getValidatorSet", vec![json!("0x1")]).await;
    assert_eq!(stored["setHash"], json!(first.hash()));
    assert_eq!(stored["boundary"], "0x4");
    assert!(rpc.call("sec_getValidatorSet", vec![json!("0x9")]).await.is_null());
}

#[tokio::test(flavor = "multi_thread")]
async fn no_boundary_block_is_made_while_l1_cannot_be_read() {
    let l1 = MemoryL1::new();
    l1.set_validators(0, set(&[(1, 100)]));
    let node = side(&dev_key(20), &l1, |c| c.epochs.length = 2).await;
    let d0 = &node.domains[0];
    l1.mine(vec![]);
    l1.mine(vec![]);
    d0.produce_block().unwrap();
    l1.down.store(true, Ordering::SeqCst);
    let e = d0.produce_block().unwrap_err();
    assert!(e.to_string().contains("validator set"), "{e}");
    assert_eq!(d0.head().0, 1, "the boundary block waits for its set");
    l1.down.store(false, Ordering::SeqCst);
    let b = d0.produce_block().unwrap().record;
    assert_eq!(b.header.number, 2);
    assert_eq!(b.extension.next_set_hash, set(&[(1, 100)]).hash());
}
