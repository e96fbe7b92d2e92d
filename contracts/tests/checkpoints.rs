//! Checkpoint submission: ids, roots, signer ordering and membership, stake threshold,
//! signature domain separation; and double-checkpoint slashing evidence.

mod common;

use alloy_primitives::{Address, B256, U256};
use common::*;
use sec_contracts::{
    bindings::{CheckpointManager, StakeManager},
    digest,
};
use sec_primitives::{ConsensusVote, SigningDomain, VoteKind};

const X: u64 = 30_000;

fn setup() -> (L1, Vec<TestValidator>) {
    let mut l1 = L1::new();
    let vs = register_validators(&mut l1, 1, &[ether(X), ether(X), ether(X)]);
    (l1, vs)
}

fn root() -> B256 {
    B256::repeat_byte(0xab)
}

#[test]
fn valid_checkpoint_is_stored() {
    let (mut l1, vs) = setup();
    let cm = l1.a.checkpoint_manager;
    let cp = checkpoint(&mut l1, 1, root());
    let sigs = sign_checkpoint(CHAIN_ID, cm, &cp, &[&vs[0], &vs[1], &vs[2]]);
    submit(&mut l1, &cp, sigs).unwrap();
    assert_eq!(l1.chain.view(cm, CheckpointManager::lastIdCall {}), 1);
    assert_eq!(l1.chain.view(cm, CheckpointManager::withdrawalRootCall { id: 1 }), root());
    assert_eq!(l1.chain.view(cm, CheckpointManager::submittedAtCall { id: 1 }), l1.chain.timestamp);
    let d = l1.chain.view(cm, CheckpointManager::domainStateCall { id: 1, domain: 3 });
    assert_eq!(d, cp.domains[3]);
    let err = expect_err::<CheckpointManager::UnknownDomain, _>(l1.chain.send(
        OWNER,
        cm,
        CheckpointManager::domainStateCall { id: 1, domain: 4 },
    ));
    assert_eq!((err.id, err.domain), (1, 4));
    let rec = l1.chain.view(cm, CheckpointManager::checkpointCall { id: 1 });
    assert_eq!(rec.withdrawalRoot, root());
    assert_eq!(rec.validatorSetHash, cp.validatorSetHash);
    assert_eq!(
        l1.chain.view(cm, CheckpointManager::bodyHashCall { cp: cp.clone() }),
        body_hash(&cp)
    );
    expect_err::<CheckpointManager::UnknownCheckpoint, _>(l1.chain.send(
        OWNER,
        cm,
        CheckpointManager::domainStateCall { id: 2, domain: 0 },
    ));
    // the repeat of id 1 and a gap to 3 are refused; 2 is accepted
    let again = sign_checkpoint(CHAIN_ID, cm, &cp, &[&vs[0], &vs[1], &vs[2]]);
    let err = expect_err::<CheckpointManager::NonConsecutiveId, _>(submit(&mut l1, &cp, again));
    assert_eq!((err.expected, err.got), (2, 1));
    let cp3 = checkpoint(&mut l1, 3, root());
    let sigs3 = sign_checkpoint(CHAIN_ID, cm, &cp3, &[&vs[0], &vs[1], &vs[2]]);
    let err = expect_err::<CheckpointManager::NonConsecutiveId, _>(submit(&mut l1, &cp3, sigs3));
    assert_eq!((err.expected, err.got), (2, 3));
    let cp2 = checkpoint(&mut l1, 2, root());
    let sigs2 = sign_checkpoint(CHAIN_ID, cm, &cp2, &[&vs[0], &vs[1], &vs[2]]);
    submit(&mut l1, &cp2, sigs2).unwrap();
}

#[test]
fn rust_digest_matches_the_contract() {
    let (mut l1, _) = setup();
    let cm = l1.a.checkpoint_manager;
    let sm = l1.a.stake_manager;
    let cp = checkpoint(&mut l1, 1, root());
    let body = body_hash(&cp);
    assert_eq!(
        l1.chain.view(cm, CheckpointManager::checkpointDigestCall { id: 1, bodyHash_: body }),
        digest::checkpoint_digest(CHAIN_ID, cm, 1, body)
    );
    assert_eq!(
        l1.chain.view(sm, StakeManager::checkpointDigestCall { id: 1, bodyHash: body }),
        digest::checkpoint_digest(CHAIN_ID, cm, 1, body)
    );
    assert_eq!(
        l1.chain.view(cm, CheckpointManager::domainSeparatorCall {}),
        digest::domain_separator(digest::CHECKPOINT_MANAGER_NAME, CHAIN_ID, cm)
    );
    let vote = ConsensusVote {
        kind: VoteKind::Precommit,
        domain: 3,
        height: 9,
        round: 2,
        timestamp: 11,
        block_hash: B256::repeat_byte(4),
    };
    let expected = digest::consensus_vote_digest(CHAIN_ID, sm, &vote);
    assert_eq!(
        l1.chain.view(
            sm,
            StakeManager::consensusVoteDigestCall {
                kind: 2,
                domain: 3,
                height: 9,
                round: 2,
                timestamp: 11,
                blockHash: B256::repeat_byte(4)
            }
        ),
        expected
    );
    assert_eq!(vote.digest(&SigningDomain { l1_chain_id: CHAIN_ID, stake_manager: sm }), expected);
    assert_eq!(
        SigningDomain { l1_chain_id: CHAIN_ID, stake_manager: sm }.separator(),
        digest::domain_separator(digest::STAKE_MANAGER_NAME, CHAIN_ID, sm)
    );
}

#[test]
fn stake_threshold_is_strictly_more_than_two_thirds() {
    let (mut l1, vs) = setup();
    let cm = l1.a.checkpoint_manager;
    let sm = l1.a.stake_manager;
    let cp = checkpoint(&mut l1, 1, root());
    // exactly 2/3 of the stake: refused
    let sigs = sign_checkpoint(CHAIN_ID, cm, &cp, &[&vs[0], &vs[1]]);
    let err =
        expect_err::<CheckpointManager::InsufficientStake, _>(submit(&mut l1, &cp, sigs.clone()));
    assert_eq!(err.signed, ether(2 * X));
    assert_eq!(err.total, ether(3 * X));
    // move 1 wei from validator 2 to validator 1: the same two now hold 2/3 + 1 wei
    let d = Address::repeat_byte(0xde);
    l1.chain.fund(d, ether(1));
    l1.give_sec(d, U256::from(1));
    l1.approve(d, sm, U256::from(1));
    l1.chain.must(d, sm, StakeManager::delegateCall { v: vs[1].owner, amount: U256::from(1) });
    l1.chain.must(
        vs[2].owner,
        sm,
        StakeManager::undelegateCall { v: vs[2].owner, shares: U256::from(1) },
    );
    let (_, _, total) = l1.chain.view(sm, StakeManager::activeSignersCall {}).into();
    assert_eq!(total, ether(3 * X));
    // live stake does not count: the checkpoint's recorded set still gives them 2/3 exactly
    expect_err::<CheckpointManager::InsufficientStake, _>(submit(&mut l1, &cp, sigs));
    // recorded anew, the set gives them the 1 wei more
    let cp = checkpoint(&mut l1, 1, root());
    let sigs = sign_checkpoint(CHAIN_ID, cm, &cp, &[&vs[0], &vs[1]]);
    let out = submit(&mut l1, &cp, sigs);
    assert!(out.is_ok(), "{:?}", out.err().map(|e| describe(&e)));
}

#[test]
fn signer_list_rules_are_checked_before_signatures() {
    let (mut l1, vs) = setup();
    let cm = l1.a.checkpoint_manager;
    let cp = checkpoint(&mut l1, 1, root());
    let sigs = sign_checkpoint(CHAIN_ID, cm, &cp, &[&vs[0], &vs[1], &vs[2]]);

    let mut unsorted = sigs.clone();
    unsorted.swap(0, 2);
    expect_err::<CheckpointManager::SignersNotSorted, _>(submit(&mut l1, &cp, unsorted));

    let dup = vec![sigs[0].clone(), sigs[0].clone(), sigs[1].clone()];
    let err = expect_err::<CheckpointManager::DuplicateSigner, _>(submit(&mut l1, &cp, dup));
    assert_eq!(err.signer, sigs[0].signer);

    expect_err::<CheckpointManager::NoSignatures, _>(submit(&mut l1, &cp, vec![]));

    // an unregistered key with a valid signature
    let stranger = TestValidator::new(99);
    let with_unknown = sign_checkpoint(CHAIN_ID, cm, &cp, &[&vs[0], &vs[1], &vs[2], &stranger]);
    let err = expect_err::<CheckpointManager::UnknownSigner, _>(submit(&mut l1, &cp, with_unknown));
    assert_eq!(err.signer, stranger.signer_address());

    // garbage signatures with too little stake fail on stake, before any recovery
    let mut weak = sign_checkpoint(CHAIN_ID, cm, &cp, &[&vs[0]]);
    weak[0].r = B256::repeat_byte(1);
    expect_err::<CheckpointManager::InsufficientStake, _>(submit(&mut l1, &cp, weak));

    // a tampered signature with enough stake
    let mut bad = sigs.clone();
    bad[1].s = B256::repeat_byte(2);
    let err = expect_err::<CheckpointManager::InvalidSignature, _>(submit(&mut l1, &cp, bad));
    assert_eq!(err.signer, sigs[1].signer);
    // a signature claimed for another signer
    let mut swapped = sigs.clone();
    let (r, s, v) = (swapped[0].r, swapped[0].s, swapped[0].v);
    swapped[0].r = swapped[1].r;
    swapped[0].s = swapped[1].s;
    swapped[0].v = swapped[1].v;
    swapped[1].r = r;
    swapped[1].s = s;
    swapped[1].v = v;
    expect_err::<CheckpointManager::InvalidSignature, _>(submit(&mut l1, &cp, swapped));
    submit(&mut l1, &cp, sigs).unwrap();
}

#[test]
fn signatures_bind_chain_contract_id_and_body() {
    let (mut l1, vs) = setup();
    let cm = l1.a.checkpoint_manager;
    let cp = checkpoint(&mut l1, 1, root());
    let all = [&vs[0], &vs[1], &vs[2]];
    for (chain, contract) in [(1u64, cm), (CHAIN_ID, Address::repeat_byte(0xcc))] {
        let sigs = sign_checkpoint(chain, contract, &cp, &all);
        expect_err::<CheckpointManager::InvalidSignature, _>(submit(&mut l1, &cp, sigs));
    }
    // signed as checkpoint 2, submitted as 1
    let mut as_two = cp.clone();
    as_two.id = 2;
    let sigs = sign_checkpoint(CHAIN_ID, cm, &as_two, &all);
    expect_err::<CheckpointManager::InvalidSignature, _>(submit(&mut l1, &cp, sigs));
    // signed over another withdrawal root
    let other = checkpoint(&mut l1, 1, B256::repeat_byte(0xcd));
    let sigs = sign_checkpoint(CHAIN_ID, cm, &other, &all);
    expect_err::<CheckpointManager::InvalidSignature, _>(submit(&mut l1, &cp, sigs));
}

#[test]
fn zero_roots_and_bad_domains_are_refused() {
    let (mut l1, vs) = setup();
    let cm = l1.a.checkpoint_manager;
    let all = [&vs[0], &vs[1], &vs[2]];
    let mut cases = Vec::new();
    let mut c = checkpoint(&mut l1, 1, B256::ZERO);
    cases.push(c.clone());
    c = checkpoint(&mut l1, 1, root());
    c.validatorSetHash = B256::ZERO;
    cases.push(c);
    let mut c = checkpoint(&mut l1, 1, root());
    c.domains[2].blockHash = B256::ZERO;
    cases.push(c);
    let mut c = checkpoint(&mut l1, 1, root());
    c.domains[0].stateRoot = B256::ZERO;
    cases.push(c);
    for cp in cases {
        let sigs = sign_checkpoint(CHAIN_ID, cm, &cp, &all);
        expect_err::<CheckpointManager::ZeroRoot, _>(submit(&mut l1, &cp, sigs));
    }
    let mut cp = checkpoint(&mut l1, 1, root());
    cp.domains.swap(0, 1);
    let sigs = sign_checkpoint(CHAIN_ID, cm, &cp, &all);
    expect_err::<CheckpointManager::DomainsNotSorted, _>(submit(&mut l1, &cp, sigs));
    let mut cp = checkpoint(&mut l1, 1, root());
    cp.domains.clear();
    let sigs = sign_checkpoint(CHAIN_ID, cm, &cp, &all);
    expect_err::<CheckpointManager::NoDomains, _>(submit(&mut l1, &cp, sigs));
}

#[test]
fn jailed_and_unbonded_signers_do_not_count() {
    let mut l1 = L1::new();
    let cm = l1.a.checkpoint_manager;
    let sm = l1.a.stake_manager;
    let vs = register_validators(&mut l1, 1, &[ether(X), ether(X), ether(X), ether(X)]);
    // validator 3 unbonds everything
    let shares = l1.chain.view(sm, StakeManager::sharesOfCall { _0: vs[3].owner, _1: vs[3].owner });
    l1.chain.must(vs[3].owner, sm, StakeManager::undelegateCall { v: vs[3].owner, shares });
    let cp = checkpoint(&mut l1, 1, root());
    let sigs = sign_checkpoint(CHAIN_ID, cm, &cp, &[&vs[0], &vs[1], &vs[2], &vs[3]]);
    let err = expect_err::<CheckpointManager::UnknownSigner, _>(submit(&mut l1, &cp, sigs));
    assert_eq!(err.signer, vs[3].signer_address());

    // validator 2 double-signs checkpoint 1 and is jailed by a judge
    let j = Address::repeat_byte(0x1d);
    l1.chain.fund(j, ether(1));
    let bond = l1.config.judge_bond;
    l1.give_sec(j, bond);
    l1.approve(j, sm, bond);
    l1.chain.must(j, sm, StakeManager::bondJudgeCall {});
    let other = checkpoint(&mut l1, 1, B256::repeat_byte(0x66));
    let (ha, hb) = (body_hash(&cp), body_hash(&other));
    let sa = vs[2].sign(digest::checkpoint_digest(CHAIN_ID, cm, 1, ha)).as_bytes().to_vec();
    let sb = vs[2].sign(digest::checkpoint_digest(CHAIN_ID, cm, 1, hb)).as_bytes().to_vec();
    let report = StakeManager::reportDoubleCheckpointCall {
        id: 1,
        bodyHashA: ha,
        signatureA: sa.clone().into(),
        bodyHashB: hb,
        signatureB: sb.clone().into(),
    };
    expect_err::<StakeManager::NotConflicting, _>(l1.chain.send(
        j,
        sm,
        StakeManager::reportDoubleCheckpointCall {
            id: 1,
            bodyHashA: ha,
            signatureA: sa.clone().into(),
            bodyHashB: ha,
            signatureB: sa.clone().into(),
        },
    ));
    // a signature for another id does not match
    let sc = vs[2].sign(digest::checkpoint_digest(CHAIN_ID, cm, 2, hb)).as_bytes().to_vec();
    expect_err::<StakeManager::InvalidEvidenceSignature, _>(l1.chain.send(
        j,
        sm,
        StakeManager::reportDoubleCheckpointCall {
            id: 1,
            bodyHashA: ha,
            signatureA: sa.into(),
            bodyHashB: hb,
            signatureB: sc.into(),
        },
    ));
    let judge_before = l1.sec_balance(j);
    l1.chain.must(j, sm, report.clone());
    assert_eq!(l1.sec_balance(j) - judge_before, ether(X) / U256::from(20));
    expect_err::<StakeManager::AlreadySlashed, _>(l1.chain.send(j, sm, report));

    let sigs = sign_checkpoint(CHAIN_ID, cm, &cp, &[&vs[0], &vs[1], &vs[2]]);
    let err = expect_err::<CheckpointManager::UnknownSigner, _>(submit(&mut l1, &cp, sigs));
    assert_eq!(err.signer, vs[2].signer_address());
    // under the recorded set the two remaining validators hold 2/3 exactly: refused; recorded
    // again, the set is the two of them, and they sign
    let sigs = sign_checkpoint(CHAIN_ID, cm, &cp, &[&vs[0], &vs[1]]);
    expect_err::<CheckpointManager::InsufficientStake, _>(submit(&mut l1, &cp, sigs));
    let cp = checkpoint(&mut l1, 1, root());
    let sigs = sign_checkpoint(CHAIN_ID, cm, &cp, &[&vs[0], &vs[1]]);
    submit(&mut l1, &cp, sigs).unwrap();

    // evidence about an accepted checkpoint expires with the unbonding period
    let other2 = checkpoint(&mut l1, 1, B256::repeat_byte(0x67));
    let h2 = body_hash(&other2);
    let s1 = vs[0].sign(digest::checkpoint_digest(CHAIN_ID, cm, 1, ha)).as_bytes().to_vec();
    let s2 = vs[0].sign(digest::checkpoint_digest(CHAIN_ID, cm, 1, h2)).as_bytes().to_vec();
    l1.chain.timestamp += l1.config.unbonding_period + 1;
    expect_err::<StakeManager::EvidenceTooOld, _>(l1.chain.send(
        j,
        sm,
        StakeManager::reportDoubleCheckpointCall {
            id: 1,
            bodyHashA: ha,
            signatureA: s1.into(),
            bodyHashB: h2,
            signatureB: s2.into(),
        },
    ));
}

#[test]
fn only_a_set_recorded_in_an_earlier_block_current_or_previous_signs() {
    let (mut l1, vs) = setup();
    let cm = l1.a.checkpoint_manager;
    let sm = l1.a.stake_manager;
    let all: Vec<&TestValidator> = vs.iter().collect();
    // a set nobody recorded
    let mut cp = checkpoint(&mut l1, 1, root());
    cp.validatorSetHash = B256::repeat_byte(0xee);
    let sigs = sign_checkpoint(CHAIN_ID, cm, &cp, &all);
    let err = expect_err::<CheckpointManager::UnknownValidatorSet, _>(submit(&mut l1, &cp, sigs));
    assert_eq!(err.setHash, B256::repeat_byte(0xee));
    // stake bought and recorded in the checkpoint's own block does not sign it
    let d = Address::repeat_byte(0xd1);
    l1.chain.fund(d, ether(1));
    l1.give_sec(d, ether(1));
    l1.approve(d, sm, ether(1));
    l1.chain.must(d, sm, StakeManager::delegateCall { v: vs[0].owner, amount: ether(1) });
    l1.chain.must(OWNER, sm, StakeManager::snapshotActiveSetCall {});
    let fresh = l1.chain.view(sm, StakeManager::currentSetHashCall {});
    let mut cp = checkpoint_with_set(1, fresh);
    let sigs = sign_checkpoint(CHAIN_ID, cm, &cp, &all);
    let err = expect_err::<CheckpointManager::ValidatorSetTooNew, _>(submit(&mut l1, &cp, sigs));
    assert_eq!(err.setHash, fresh);
    // from the next block it may, and so may the previous set for the hand-over
    l1.chain.number += 1;
    let sigs = sign_checkpoint(CHAIN_ID, cm, &cp, &all);
    submit(&mut l1, &cp, sigs).unwrap();
    // two recordings later the first set is stale
    let first = l1.chain.view(sm, StakeManager::previousSetHashCall {});
    for _ in 0..2 {
        l1.give_sec(d, U256::from(1));
        l1.approve(d, sm, U256::from(1));
        l1.chain.must(d, sm, StakeManager::delegateCall { v: vs[1].owner, amount: U256::from(1) });
        record_set(&mut l1);
    }
    cp = checkpoint_with_set(2, first);
    let sigs = sign_checkpoint(CHAIN_ID, cm, &cp, &all);
    let err = expect_err::<CheckpointManager::StaleValidatorSet, _>(submit(&mut l1, &cp, sigs));
    assert_eq!(err.setHash, first);
}

fn checkpoint_with_set(id: u64, set: B256) -> CheckpointManager::Checkpoint {
    CheckpointManager::Checkpoint {
        id,
        domains: domains(4, 0x10),
        withdrawalRoot: root(),
        validatorSetHash: set,
    }
}
