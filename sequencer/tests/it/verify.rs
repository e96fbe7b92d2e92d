//! A validator's side of a block: re-executing another node's proposal on its own head before
//! voting for it. A follower commits exactly the producer's blocks (transfers, a contract,
//! deposits from L1, a cross-domain message numbered after a withdrawal); a block with a wrong state root, producer,
//! randomness, system transaction, L1 origin or transaction list is refused; building a
//! proposal leaves the head as it was.

use alloy::sol_types::SolCall;
use alloy_primitives::{Address, B256, Bytes};
use sec_contracts::{
    bindings::{CrossDomain, L2Bridge},
    predeploy::{CROSS_DOMAIN, L2_BRIDGE},
};
use sec_primitives::{L1Source, deposit::KIND_SEC, randomness::RandaoKey};
use sec_sequencer::{
    Domain,
    domain::{Expected, Proposal, Rejection},
};

use crate::common::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_follower_commits_exactly_the_producers_blocks() {
    let l1 = MemoryL1::new();
    let (producer_key, follower_key) = (dev_key(20), dev_key(21));
    let producer = side(&producer_key, &l1, |_| {}).await;
    let follower = side(&follower_key, &l1, |_| {}).await;
    for d in 0..2 {
        assert_eq!(producer.domains[d].head(), follower.domains[d].head(), "same genesis");
    }
    let (p0, f0) = (&producer.domains[0], &follower.domains[0]);
    let (p1, f1) = (&producer.domains[1], &follower.domains[1]);
    let key = dev_key(2);
    let alice = Address::repeat_byte(0xa1);

    // transfers to fresh recipients and a contract, a withdrawal to L1, then a message from
    // domain 0 to 1 (its nonce 2: a domain numbers its messages to every destination in one
    // sequence) and a deposit on L1 for domain 1
    for n in 0..5u64 {
        let to = Address::with_last_byte(0x30 + n as u8);
        p0.submit(Tx::transfer(p0.chain_id(), n, to, sec(1)).eip1559(&key)).unwrap();
    }
    p0.submit(Tx::create(p0.chain_id(), 5, probe_code()).eip1559(&key)).unwrap();
    let withdraw =
        L2Bridge::withdrawCall { token: Address::ZERO, l1Recipient: alice, amount: sec(1) };
    let tx = Tx {
        value: sec(1),
        gas: 300_000,
        ..Tx::call(p0.chain_id(), 6, L2_BRIDGE, withdraw.abi_encode().into())
    };
    p0.submit(tx.eip1559(&key)).unwrap();
    let send = CrossDomain::sendCall { dstDomain: 1, to: alice, data: Bytes::new() };
    let tx = Tx {
        value: sec(7),
        gas: 300_000,
        ..Tx::call(p0.chain_id(), 7, CROSS_DOMAIN, send.abi_encode().into())
    };
    p0.submit(tx.eip1559(&key)).unwrap();
    l1.mine(vec![deposit(1, 1, KIND_SEC, alice, sec(3))]);
    l1.mine(vec![]);

    let mut blocks = 0;
    for _ in 0..3 {
        for (p, f) in [(p0, f0), (p1, f1)] {
            let expect = expected(f, &producer_key);
            let sealed = p.produce_block().unwrap().record;
            let verified = f.verify_block(&proposal(&sealed), &expect).unwrap();
            assert_eq!(verified.hash(), sealed.hash);
            f.commit(verified).unwrap();
            assert_eq!(f.head(), p.head());
            blocks += 1;
        }
    }
    assert_eq!(blocks, 6);
    // the follower's state is the producer's: the deposit and the message arrived on both
    let balance = |d: &Domain, a| {
        d.with_head(|s, _, _, _| s.account(&a).unwrap().map(|a| a.balance)).unwrap()
    };
    assert_eq!(balance(f1, alice), Some(sec(10)));
    assert_eq!(balance(f1, alice), balance(p1, alice));
    // by two system transactions of the producer, re-derived by the follower
    let system: usize = (1..=f1.head().0)
        .map(|n| f1.block(n).unwrap().unwrap())
        .map(|b| b.txs.iter().filter(|t| t.sender == producer_key.address()).count())
        .sum();
    assert_eq!(system, 2);
    assert_eq!(f0.head_header().state_root, p0.head_header().state_root);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_block_that_does_not_re_execute_is_refused() {
    let l1 = MemoryL1::new();
    let (producer_key, follower_key) = (dev_key(20), dev_key(21));
    let producer = side(&producer_key, &l1, |_| {}).await;
    let follower = side(&follower_key, &l1, |_| {}).await;
    let (p, f) = (&producer.domains[0], &follower.domains[0]);
    let key = dev_key(2);
    for n in 0..3u64 {
        let to = Address::with_last_byte(0x40 + n as u8);
        p.submit(Tx::transfer(p.chain_id(), n, to, sec(1)).eip1559(&key)).unwrap();
    }
    let expect = expected(f, &producer_key);
    let head = p.head();
    let sealed = p.build_block(expect.slot).unwrap();
    assert_eq!(p.head(), head, "building leaves the head");
    assert_eq!(p.pool().len(), 3, "and the pool");
    let good = sealed.proposal();
    assert_eq!(good.txs.len(), 3);
    let refused = |proposal: &Proposal, expect: &Expected| {
        f.verify_block(proposal, expect).map(|_| ()).expect_err("must be refused")
    };

    // bad state root
    let mut bad = good.clone();
    bad.header.state_root = B256::repeat_byte(1);
    let e = refused(&bad, &expect);
    assert!(matches!(e, Rejection::Mismatch { field: "stateRoot", .. }), "{e}");

    // a producer other than the scheduled one
    let other = Expected { producer: dev_key(22).address(), ..expect.clone() };
    let e = refused(&good, &other);
    assert!(matches!(e, Rejection::Mismatch { field: "producer", .. }), "{e}");

    // randomness signed by another key (mixHash and commitment made consistent with it)
    let mut bad = good.clone();
    let forged = RandaoKey::from_ecdsa_secret(&[9u8; 32]).unwrap().sign(53500, 0, 1);
    let parent_mix = f.head_header().mix_hash;
    bad.extension.randomness = Bytes::copy_from_slice(&forged);
    bad.header.mix_hash = sec_primitives::randomness::mix(parent_mix, &forged);
    recommit(&mut bad);
    let e = refused(&bad, &expect);
    assert!(matches!(e, Rejection::Randomness(_)), "{e}");

    // the extension changed but not its commitment
    let mut bad = good.clone();
    bad.extension.outbox_root = B256::repeat_byte(2);
    let e = refused(&bad, &expect);
    assert!(matches!(e, Rejection::Mismatch { field: "extraData", .. }), "{e}");

    // a wrong slot
    let e = refused(&good, &Expected { slot: 7, ..expect.clone() });
    assert!(matches!(e, Rejection::Mismatch { field: "slot", .. }), "{e}");

    // a transaction left out: the list no longer gives the header's roots
    let mut bad = good.clone();
    bad.txs.remove(1);
    let e = refused(&bad, &expect);
    assert!(matches!(e, Rejection::InvalidTransaction { index: 1, .. }), "{e}");
    let mut bad = good.clone();
    bad.txs.pop();
    let e = refused(&bad, &expect);
    assert!(matches!(e, Rejection::Mismatch { field: "transactionsRoot", .. }), "{e}");

    // the producer slipping in a fee-free transaction of its own (a forged deposit credit)
    let mut bad = good.clone();
    let call = sec_contracts::bindings::L2Bridge::finalizeNativeDepositCall {
        depositNonce: 99,
        from: Address::ZERO,
        to: producer_key.address(),
        amount: sec(1_000),
        data: Bytes::new(),
    };
    let forged = sec_sequencer::system::system_tx(
        &producer_key,
        p.chain_id(),
        0,
        sec_contracts::predeploy::L2_BRIDGE,
        call.abi_encode().into(),
    )
    .unwrap();
    bad.txs.insert(0, forged.raw);
    let e = refused(&bad, &expect);
    assert!(matches!(e, Rejection::SystemTransaction { index: 0, .. }), "{e}");

    // an L1 origin this node does not see confirmed
    let mut bad = good.clone();
    l1.mine(vec![]);
    bad.extension.l1_origin = l1.head().unwrap();
    recommit(&mut bad);
    let e = refused(&bad, &expect);
    assert!(matches!(e, Rejection::Origin(_)), "{e}");

    // a timestamp ahead of the follower's clock
    let e = refused(
        &good,
        &Expected { max_timestamp: Some(good.header.timestamp - 1), ..expect.clone() },
    );
    assert!(matches!(e, Rejection::Timestamp { .. }), "{e}");

    // a transaction that does not decode
    let mut bad = good.clone();
    bad.txs[2] = Bytes::from_static(&[0x02, 0xc0]);
    let e = refused(&bad, &expect);
    assert!(matches!(e, Rejection::BadTransaction { index: 2, .. }), "{e}");

    // the untouched block is accepted and commits; the same block again does not extend
    let verified = f.verify_block(&good, &expect).unwrap();
    f.commit(verified).unwrap();
    assert_eq!(f.head().1, sealed.hash());
    let e = refused(&good, &expect);
    assert!(matches!(e, Rejection::NotOnHead { .. }), "{e}");
    // the producer commits what it built; a second commit of it is refused
    p.commit(sealed.clone()).unwrap();
    assert_eq!(p.head(), f.head());
    assert_eq!(p.pool().len(), 0, "mined transactions left the pool");
    assert!(p.commit(sealed).is_err());
}
