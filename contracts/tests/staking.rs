//! Validator registration, delegation, unbonding, active set, judges and slashing.

mod common;

use alloy::sol_types::SolEvent;
use alloy_primitives::{Address, B256, Bytes, U256};
use common::*;
use sec_contracts::{
    bindings::{SECToken, StakeManager},
    digest,
};
use sec_primitives::{ConsensusVote, VoteKind};

fn vote(
    v: &TestValidator,
    sm: Address,
    kind: VoteKind,
    (domain, height, round): (u32, u64, u32),
    ts: u64,
    hash: B256,
) -> StakeManager::ConsensusVote {
    let cv = ConsensusVote { kind, domain, height, round, timestamp: ts, block_hash: hash };
    let d = digest::consensus_vote_digest(CHAIN_ID, sm, &cv);
    StakeManager::ConsensusVote {
        kind: kind.code(),
        domain,
        height,
        round,
        timestamp: ts,
        blockHash: hash,
        signature: v.sign(d).as_bytes().to_vec().into(),
    }
}

fn report(
    a: &StakeManager::ConsensusVote,
    b: &StakeManager::ConsensusVote,
) -> StakeManager::reportDoubleVoteCall {
    StakeManager::reportDoubleVoteCall { a: a.clone(), b: b.clone() }
}

fn judge(l1: &mut L1) -> Address {
    let j = Address::repeat_byte(0x1d);
    l1.chain.fund(j, ether(1));
    let bond = l1.config.judge_bond;
    l1.give_sec(j, bond);
    let sm = l1.a.stake_manager;
    l1.approve(j, sm, bond);
    l1.chain.must(j, sm, StakeManager::bondJudgeCall {});
    j
}

#[test]
fn registration_rules() {
    let mut l1 = L1::new();
    let sm = l1.a.stake_manager;
    let v = TestValidator::new(1);
    l1.chain.fund(v.owner, ether(1));
    l1.give_sec(v.owner, ether(100_000));
    l1.approve(v.owner, sm, ether(100_000));
    let good =
        v.sign(digest::signer_registration_digest(CHAIN_ID, sm, v.owner)).as_bytes().to_vec();
    let call = |amount: U256, proof: Vec<u8>, bls: usize| StakeManager::registerValidatorCall {
        signer: v.signer_address(),
        blsKey: Bytes::from(vec![1u8; bls]),
        commissionBps: 500,
        amount,
        signerProof: proof.into(),
    };
    let err = expect_err::<StakeManager::BelowMinSelfStake, _>(l1.chain.send(
        v.owner,
        sm,
        call(ether(9_999), good.clone(), 48),
    ));
    assert_eq!(err.minimum, ether(10_000));
    expect_err::<StakeManager::BadBlsKey, _>(l1.chain.send(
        v.owner,
        sm,
        call(ether(10_000), good.clone(), 47),
    ));
    // a proof signed for another validator address, or by another key, is refused
    let other = TestValidator::new(2);
    let wrong_key =
        other.sign(digest::signer_registration_digest(CHAIN_ID, sm, v.owner)).as_bytes().to_vec();
    expect_err::<StakeManager::BadSignerProof, _>(l1.chain.send(
        v.owner,
        sm,
        call(ether(10_000), wrong_key, 48),
    ));
    let wrong_chain =
        v.sign(digest::signer_registration_digest(1, sm, v.owner)).as_bytes().to_vec();
    expect_err::<StakeManager::BadSignerProof, _>(l1.chain.send(
        v.owner,
        sm,
        call(ether(10_000), wrong_chain, 48),
    ));
    l1.chain.must(v.owner, sm, call(ether(10_000), good.clone(), 48));
    expect_err::<StakeManager::AlreadyRegistered, _>(l1.chain.send(
        v.owner,
        sm,
        call(ether(10_000), good, 48),
    ));
    // the same signer cannot serve a second validator
    l1.chain.fund(other.owner, ether(1));
    l1.give_sec(other.owner, ether(10_000));
    l1.approve(other.owner, sm, ether(10_000));
    let proof =
        v.sign(digest::signer_registration_digest(CHAIN_ID, sm, other.owner)).as_bytes().to_vec();
    let err = expect_err::<StakeManager::SignerTaken, _>(l1.chain.send(
        other.owner,
        sm,
        StakeManager::registerValidatorCall {
            signer: v.signer_address(),
            blsKey: Bytes::from(vec![1u8; 96]),
            commissionBps: 0,
            amount: ether(10_000),
            signerProof: proof.into(),
        },
    ));
    assert_eq!(err.signer, v.signer_address());
    assert_eq!(l1.chain.view(sm, StakeManager::selfStakeCall { v: v.owner }), ether(10_000));

    // commission and set size bounds; only the owner sets the size
    expect_err::<StakeManager::BadParameter, _>(l1.chain.send(
        v.owner,
        sm,
        StakeManager::setCommissionCall { commissionBps: 10_001 },
    ));
    expect_err::<StakeManager::UnknownValidator, _>(l1.chain.send(
        OWNER,
        sm,
        StakeManager::setCommissionCall { commissionBps: 1 },
    ));
    l1.chain.must(v.owner, sm, StakeManager::setCommissionCall { commissionBps: 1_000 });
    assert_eq!(l1.chain.view(sm, StakeManager::validatorCall { v: v.owner }).commissionBps, 1_000);
    // the active-set size (the quorum's base) changes only through the timelock
    expect_err::<StakeManager::OwnableUnauthorizedAccount, _>(l1.chain.send(
        v.owner,
        sm,
        StakeManager::proposeActiveSetSizeCall { size: U256::from(5) },
    ));
    for bad in [0u64, 257] {
        expect_err::<StakeManager::BadParameter, _>(l1.chain.send(
            OWNER,
            sm,
            StakeManager::proposeActiveSetSizeCall { size: U256::from(bad) },
        ));
    }
    expect_err::<StakeManager::NoPendingChange, _>(l1.chain.send(
        OWNER,
        sm,
        StakeManager::applyActiveSetSizeCall {},
    ));
    let before = l1.chain.view(sm, StakeManager::activeSetSizeCall {});
    l1.chain.must(OWNER, sm, StakeManager::proposeActiveSetSizeCall { size: U256::from(21) });
    let until = l1.chain.view(sm, StakeManager::pendingActiveSetSizeAtCall {});
    let err = expect_err::<StakeManager::TimelockActive, _>(l1.chain.send(
        OWNER,
        sm,
        StakeManager::applyActiveSetSizeCall {},
    ));
    assert_eq!(err.until, until);
    assert_eq!(l1.chain.view(sm, StakeManager::activeSetSizeCall {}), before);
    let unbonding = l1.chain.view(sm, StakeManager::unbondingPeriodCall {});
    l1.chain.warp(unbonding);
    expect_err::<StakeManager::OwnableUnauthorizedAccount, _>(l1.chain.send(
        v.owner,
        sm,
        StakeManager::applyActiveSetSizeCall {},
    ));
    l1.chain.must(OWNER, sm, StakeManager::applyActiveSetSizeCall {});
    assert_eq!(l1.chain.view(sm, StakeManager::activeSetSizeCall {}), U256::from(21));
    expect_err::<StakeManager::NoPendingChange, _>(l1.chain.send(
        OWNER,
        sm,
        StakeManager::applyActiveSetSizeCall {},
    ));
}

#[test]
fn active_set_orders_by_stake_and_respects_unbonding() {
    let mut l1 = L1::new();
    let sm = l1.a.stake_manager;
    let vs = register_validators(
        &mut l1,
        1,
        &[ether(20_000), ether(50_000), ether(30_000), ether(10_000), ether(40_000)],
    );
    let set = l1.chain.view(sm, StakeManager::activeSetCall { n: U256::from(4) });
    let owners: Vec<Address> = set.iter().map(|v| v.validator).collect();
    assert_eq!(owners, vec![vs[1].owner, vs[4].owner, vs[2].owner, vs[0].owner]);
    assert_eq!(set[0].stake, ether(50_000));

    // delegation moves a validator up
    let d = Address::repeat_byte(0xde);
    l1.chain.fund(d, ether(1));
    l1.give_sec(d, ether(100_000));
    l1.approve(d, sm, ether(100_000));
    l1.chain.must(d, sm, StakeManager::delegateCall { v: vs[3].owner, amount: ether(45_000) });
    let set = l1.chain.view(sm, StakeManager::activeSetCall { n: U256::from(2) });
    assert_eq!(set[0].validator, vs[3].owner);
    assert_eq!(set[0].stake, ether(55_000));

    // undelegating stops counting at once; the tokens come back only after unbonding
    let shares = l1.chain.view(sm, StakeManager::sharesOfCall { _0: vs[3].owner, _1: d });
    l1.chain.must(d, sm, StakeManager::undelegateCall { v: vs[3].owner, shares });
    assert_eq!(l1.chain.view(sm, StakeManager::bondedStakeCall { v: vs[3].owner }), ether(10_000));
    expect_err::<StakeManager::NothingToWithdraw, _>(l1.chain.send(
        d,
        sm,
        StakeManager::withdrawUnbondedCall {},
    ));
    let err = expect_err::<StakeManager::InsufficientShares, _>(l1.chain.send(
        d,
        sm,
        StakeManager::undelegateCall { v: vs[3].owner, shares: U256::from(1) },
    ));
    assert_eq!(err.held, U256::ZERO);
    l1.chain.timestamp += l1.config.unbonding_period;
    let before = l1.sec_balance(d);
    l1.chain.must(d, sm, StakeManager::withdrawUnbondedCall {});
    assert_eq!(l1.sec_balance(d) - before, ether(45_000));

    // a validator whose self-stake falls below the minimum leaves the set
    let own = l1.chain.view(sm, StakeManager::sharesOfCall { _0: vs[1].owner, _1: vs[1].owner });
    l1.chain.must(
        vs[1].owner,
        sm,
        StakeManager::undelegateCall { v: vs[1].owner, shares: own - ether(9_999) },
    );
    let set = l1.chain.view(sm, StakeManager::activeSetCall { n: U256::from(10) });
    assert!(!set.iter().any(|v| v.validator == vs[1].owner));
    assert_eq!(set.len(), 4);
}

#[test]
fn double_vote_evidence_is_refused_unless_it_is_one_step_of_one_validator() {
    let mut l1 = L1::new();
    let sm = l1.a.stake_manager;
    let vs = register_validators(&mut l1, 1, &[ether(100_000), ether(20_000)]);
    let j = judge(&mut l1);
    let ts = l1.chain.timestamp;
    let step = (2, 77, 1);
    let a = vote(&vs[0], sm, VoteKind::Prevote, step, ts, B256::repeat_byte(1));
    let b = vote(&vs[0], sm, VoteKind::Prevote, step, ts, B256::repeat_byte(2));

    // only bonded judges report
    let err =
        expect_err::<StakeManager::NotBondedJudge, _>(l1.chain.send(OWNER, sm, report(&a, &b)));
    assert_eq!(err.caller, OWNER);
    // the same block twice is not a conflict
    expect_err::<StakeManager::NotConflicting, _>(l1.chain.send(j, sm, report(&a, &a)));
    // Tendermint lets an honest validator vote for another block in a later round, and
    // prevote one block then precommit nil or another: none of these is an offence
    let other_round = vote(&vs[0], sm, VoteKind::Prevote, (2, 77, 2), ts, B256::repeat_byte(2));
    let other_height = vote(&vs[0], sm, VoteKind::Prevote, (2, 78, 1), ts, B256::repeat_byte(2));
    let other_domain = vote(&vs[0], sm, VoteKind::Prevote, (3, 77, 1), ts, B256::repeat_byte(2));
    let other_kind = vote(&vs[0], sm, VoteKind::Precommit, step, ts, B256::repeat_byte(2));
    let nil_precommit = vote(&vs[0], sm, VoteKind::Precommit, step, 0, B256::ZERO);
    for b in [&other_round, &other_height, &other_domain, &other_kind, &nil_precommit] {
        expect_err::<StakeManager::NotConflicting, _>(l1.chain.send(j, sm, report(&a, b)));
    }
    // a kind no validator signs
    let mut kind3 = |hash: B256| {
        let d = l1_digest(&mut l1, 3, step, ts, hash);
        StakeManager::ConsensusVote {
            kind: 3,
            domain: step.0,
            height: step.1,
            round: step.2,
            timestamp: ts,
            blockHash: hash,
            signature: vs[0].sign(d).as_bytes().to_vec().into(),
        }
    };
    let (k1, k2) = (kind3(B256::repeat_byte(1)), kind3(B256::repeat_byte(2)));
    let err = expect_err::<StakeManager::BadVoteKind, _>(l1.chain.send(j, sm, report(&k1, &k2)));
    assert_eq!(err.kind, 3);
    // wrong signer: b signed by another validator
    let forged = vote(&vs[1], sm, VoteKind::Prevote, step, ts, B256::repeat_byte(2));
    expect_err::<StakeManager::InvalidEvidenceSignature, _>(l1.chain.send(
        j,
        sm,
        report(&a, &forged),
    ));
    // a signature over another round than the one claimed recovers to nobody in particular
    let mut moved = other_round.clone();
    moved.round = step.2;
    expect_err::<StakeManager::InvalidEvidenceSignature, _>(l1.chain.send(
        j,
        sm,
        report(&a, &moved),
    ));
    // a signature over another contract's digest
    let mut wrong_contract = b.clone();
    let cv = ConsensusVote {
        kind: VoteKind::Prevote,
        domain: 2,
        height: 77,
        round: 1,
        timestamp: ts,
        block_hash: B256::repeat_byte(2),
    };
    wrong_contract.signature = vs[0]
        .sign(digest::consensus_vote_digest(CHAIN_ID, Address::repeat_byte(3), &cv))
        .as_bytes()
        .to_vec()
        .into();
    expect_err::<StakeManager::InvalidEvidenceSignature, _>(l1.chain.send(
        j,
        sm,
        report(&a, &wrong_contract),
    ));
    // garbage bytes, and the malleated (high-s) twin of a valid signature
    let mut garbage = b.clone();
    garbage.signature = Bytes::from(vec![7u8; 65]);
    expect_err::<StakeManager::InvalidEvidenceSignature, _>(l1.chain.send(
        j,
        sm,
        report(&a, &garbage),
    ));
    let sig = alloy_primitives::Signature::from_raw(&b.signature).unwrap();
    let n = U256::from_be_slice(&alloy_primitives::hex!(
        "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"
    ));
    let high_s = alloy_primitives::Signature::new(sig.r(), n - sig.s(), !sig.v());
    let mut malleated = b.clone();
    malleated.signature = high_s.as_bytes().to_vec().into();
    expect_err::<StakeManager::InvalidEvidenceSignature, _>(l1.chain.send(
        j,
        sm,
        report(&a, &malleated),
    ));
    // a key no validator registered
    let stranger = TestValidator::new(99);
    let (sa, sb) = (
        vote(&stranger, sm, VoteKind::Prevote, step, ts, B256::repeat_byte(1)),
        vote(&stranger, sm, VoteKind::Prevote, step, ts, B256::repeat_byte(2)),
    );
    let err = expect_err::<StakeManager::UnknownSigner, _>(l1.chain.send(j, sm, report(&sa, &sb)));
    assert_eq!(err.signer, stranger.signer_address());
    // self-report: the validator's owner cannot collect the reward for its own misbehaviour
    let bond = l1.config.judge_bond;
    l1.give_sec(vs[0].owner, bond);
    l1.approve(vs[0].owner, sm, bond);
    l1.chain.must(vs[0].owner, sm, StakeManager::bondJudgeCall {});
    expect_err::<StakeManager::SelfReport, _>(l1.chain.send(vs[0].owner, sm, report(&a, &b)));

    // none of the refusals touched the validator
    let val = l1.chain.view(sm, StakeManager::validatorCall { v: vs[0].owner });
    assert!(!val.jailed);
    assert_eq!(val.stake, 100_000u128 * 10u128.pow(18));
    l1.chain.must(j, sm, report(&a, &b));
}

/// The contract's own digest, for messages `ConsensusVote` cannot express.
fn l1_digest(
    l1: &mut L1,
    kind: u8,
    (domain, height, round): (u32, u64, u32),
    ts: u64,
    hash: B256,
) -> B256 {
    let sm = l1.a.stake_manager;
    l1.chain.view(
        sm,
        StakeManager::consensusVoteDigestCall {
            kind,
            domain,
            height,
            round,
            timestamp: ts,
            blockHash: hash,
        },
    )
}

#[test]
fn double_vote_slashes_once_tombstones_and_pays_the_judge() {
    let mut l1 = L1::new();
    let sm = l1.a.stake_manager;
    let token = l1.a.token;
    let cm = l1.a.checkpoint_manager;
    let vs = register_validators(&mut l1, 1, &[ether(100_000), ether(20_000)]);
    // a delegator shares the pool, and the slash
    let d = Address::repeat_byte(0xde);
    l1.chain.fund(d, ether(1));
    l1.give_sec(d, ether(50_000));
    l1.approve(d, sm, ether(50_000));
    l1.chain.must(d, sm, StakeManager::delegateCall { v: vs[0].owner, amount: ether(50_000) });
    let j = judge(&mut l1);
    let ts = l1.chain.timestamp;
    // a precommit for a block and a nil precommit in the same round are a double vote
    let a = vote(&vs[0], sm, VoteKind::Precommit, (1, 500, 3), ts, B256::repeat_byte(1));
    let b = vote(&vs[0], sm, VoteKind::Precommit, (1, 500, 3), 0, B256::ZERO);

    let supply_before = l1.chain.view(token, SECToken::totalSupplyCall {});
    let judge_before = l1.sec_balance(j);
    let out = l1.chain.must(j, sm, report(&a, &b));
    // 10% of 150,000 slashed; half burned, half to the judge
    let slashed = out
        .logs
        .iter()
        .find_map(|l| StakeManager::Slashed::decode_log_data(&l.data).ok())
        .expect("Slashed event");
    assert_eq!(
        (
            slashed.validator,
            slashed.judge,
            slashed.kind,
            slashed.amount,
            slashed.burned,
            slashed.reward
        ),
        (vs[0].owner, j, 1, ether(15_000), ether(7_500), ether(7_500))
    );
    assert_eq!(l1.sec_balance(j) - judge_before, ether(7_500));
    assert_eq!(supply_before - l1.chain.view(token, SECToken::totalSupplyCall {}), ether(7_500));
    let val = l1.chain.view(sm, StakeManager::validatorCall { v: vs[0].owner });
    assert!(val.jailed);
    assert_eq!(val.jailedUntil, u64::MAX);
    assert_eq!(val.stake, 135_000u128 * 10u128.pow(18));
    assert!(l1.chain.view(sm, StakeManager::tombstonedCall(vs[0].owner)));
    assert!(!l1.chain.view(sm, StakeManager::tombstonedCall(vs[1].owner)));
    let set = l1.chain.view(sm, StakeManager::activeSetCall { n: U256::from(10) });
    assert_eq!(set.len(), 1);
    assert_eq!(set[0].validator, vs[1].owner);
    let signers = l1.chain.view(sm, StakeManager::activeSignersCall {});
    assert_eq!(signers.signers, vec![vs[1].signer_address()]);

    // slashed at most once: the same pair, another offence at another height, and a double
    // checkpoint all revert, so evidence cannot drain the pool
    let err = expect_err::<StakeManager::AlreadySlashed, _>(l1.chain.send(j, sm, report(&a, &b)));
    assert_eq!(err.validator, vs[0].owner);
    let c = vote(&vs[0], sm, VoteKind::Prevote, (0, 9, 0), ts, B256::repeat_byte(5));
    let e = vote(&vs[0], sm, VoteKind::Prevote, (0, 9, 0), ts, B256::repeat_byte(6));
    expect_err::<StakeManager::AlreadySlashed, _>(l1.chain.send(j, sm, report(&c, &e)));
    let (ha, hb) = (B256::repeat_byte(0x0a), B256::repeat_byte(0x0b));
    let checkpoint_report = StakeManager::reportDoubleCheckpointCall {
        id: 1,
        bodyHashA: ha,
        signatureA: vs[0]
            .sign(digest::checkpoint_digest(CHAIN_ID, cm, 1, ha))
            .as_bytes()
            .to_vec()
            .into(),
        bodyHashB: hb,
        signatureB: vs[0]
            .sign(digest::checkpoint_digest(CHAIN_ID, cm, 1, hb))
            .as_bytes()
            .to_vec()
            .into(),
    };
    expect_err::<StakeManager::AlreadySlashed, _>(l1.chain.send(j, sm, checkpoint_report));
    assert_eq!(
        l1.chain.view(sm, StakeManager::validatorCall { v: vs[0].owner }).stake,
        135_000u128 * 10u128.pow(18)
    );
    // a tombstoned validator takes no delegations and never unjails
    expect_err::<StakeManager::ValidatorJailed, _>(l1.chain.send(
        OWNER,
        sm,
        StakeManager::delegateCall { v: vs[0].owner, amount: ether(1) },
    ));
    l1.chain.timestamp += l1.config.jail_period + l1.config.unbonding_period;
    let err = expect_err::<StakeManager::Tombstoned, _>(l1.chain.send(
        vs[0].owner,
        sm,
        StakeManager::unjailCall {},
    ));
    assert_eq!(err.validator, vs[0].owner);
    // its delegators keep the unslashed 90% and can leave
    let shares = l1.chain.view(sm, StakeManager::sharesOfCall { _0: vs[0].owner, _1: d });
    l1.chain.must(d, sm, StakeManager::undelegateCall { v: vs[0].owner, shares });
    l1.chain.timestamp += l1.config.unbonding_period;
    l1.chain.must(d, sm, StakeManager::withdrawUnbondedCall {});
    assert_eq!(l1.sec_balance(d), ether(45_000));
    // the other validator is untouched
    let other = l1.chain.view(sm, StakeManager::validatorCall { v: vs[1].owner });
    assert!(!other.jailed);
    assert_eq!(other.stake, 20_000u128 * 10u128.pow(18));
}

#[test]
fn evidence_older_than_the_unbonding_period_is_refused() {
    let mut l1 = L1::new();
    let sm = l1.a.stake_manager;
    let vs = register_validators(&mut l1, 1, &[ether(100_000)]);
    let j = judge(&mut l1);
    let ts = l1.chain.timestamp;
    // aged by the newer vote: a nil vote's zero timestamp does not make the pair old
    let a = vote(&vs[0], sm, VoteKind::Prevote, (0, 5, 0), 0, B256::ZERO);
    let b = vote(&vs[0], sm, VoteKind::Prevote, (0, 5, 0), ts, B256::repeat_byte(2));
    l1.chain.timestamp = ts + l1.config.unbonding_period + 1;
    let err = expect_err::<StakeManager::EvidenceTooOld, _>(l1.chain.send(j, sm, report(&a, &b)));
    assert_eq!(err.evidenceTime, U256::from(ts));
    expect_err::<StakeManager::EvidenceTooOld, _>(l1.chain.send(j, sm, report(&b, &a)));
    // exactly at the window's end it still counts
    l1.chain.timestamp = ts + l1.config.unbonding_period;
    l1.chain.must(j, sm, report(&a, &b));
}

#[test]
fn unbonding_stake_stays_slashable() {
    let mut l1 = L1::new();
    let sm = l1.a.stake_manager;
    let vs = register_validators(&mut l1, 1, &[ether(100_000)]);
    let j = judge(&mut l1);
    let shares = l1.chain.view(sm, StakeManager::sharesOfCall { _0: vs[0].owner, _1: vs[0].owner });
    l1.chain.must(vs[0].owner, sm, StakeManager::undelegateCall { v: vs[0].owner, shares });
    let ts = l1.chain.timestamp;
    let a = vote(&vs[0], sm, VoteKind::Proposal, (1, 9, 0), ts, B256::repeat_byte(1));
    let b = vote(&vs[0], sm, VoteKind::Proposal, (1, 9, 0), ts, B256::repeat_byte(2));
    l1.chain.must(j, sm, report(&a, &b));
    l1.chain.timestamp += l1.config.unbonding_period;
    let before = l1.sec_balance(vs[0].owner);
    l1.chain.must(vs[0].owner, sm, StakeManager::withdrawUnbondedCall {});
    assert_eq!(l1.sec_balance(vs[0].owner) - before, ether(90_000));
    assert!(l1.chain.view(sm, StakeManager::validatorsCall {}).is_empty());
}

#[test]
fn judge_bond_exit_takes_the_unbonding_period() {
    let mut l1 = L1::new();
    let sm = l1.a.stake_manager;
    let j = judge(&mut l1);
    expect_err::<StakeManager::JudgeAlreadyBonded, _>(l1.chain.send(
        j,
        sm,
        StakeManager::bondJudgeCall {},
    ));
    l1.chain.must(j, sm, StakeManager::unbondJudgeCall {});
    expect_err::<StakeManager::JudgeUnbonding, _>(l1.chain.send(
        j,
        sm,
        StakeManager::unbondJudgeCall {},
    ));
    // an exiting judge can no longer report
    let vs = register_validators(&mut l1, 1, &[ether(100_000)]);
    let ts = l1.chain.timestamp;
    let a = vote(&vs[0], sm, VoteKind::Prevote, (1, 9, 0), ts, B256::repeat_byte(1));
    let b = vote(&vs[0], sm, VoteKind::Prevote, (1, 9, 0), ts, B256::repeat_byte(2));
    expect_err::<StakeManager::NotBondedJudge, _>(l1.chain.send(j, sm, report(&a, &b)));
    l1.chain.timestamp += l1.config.unbonding_period;
    l1.chain.must(j, sm, StakeManager::unbondJudgeCall {});
    assert_eq!(l1.sec_balance(j), l1.config.judge_bond);
}

#[test]
fn active_set_matches_a_reference_sort() {
    let mut l1 = L1::with_config(|c| c.active_set_size = 20);
    let sm = l1.a.stake_manager;
    // pseudo-random stakes with ties
    let stakes: Vec<U256> = (0..30u64).map(|i| ether(10_000 + (i * 7919) % 13)).collect();
    let vs = register_validators(&mut l1, 1, &stakes);
    let mut expected: Vec<(U256, Address, Address)> =
        vs.iter().zip(&stakes).map(|(v, s)| (*s, v.owner, v.signer_address())).collect();
    expected.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for n in [0usize, 1, 7, 20, 30, 50] {
        let set = l1.chain.view(sm, StakeManager::activeSetCall { n: U256::from(n) });
        let got: Vec<(U256, Address, Address)> =
            set.iter().map(|v| (v.stake, v.validator, v.signer)).collect();
        assert_eq!(got, expected[..n.min(30)].to_vec(), "n={n}");
    }
    let signers = l1.chain.view(sm, StakeManager::activeSignersCall {});
    let mut top: Vec<(Address, U256)> = expected[..20].iter().map(|e| (e.2, e.0)).collect();
    top.sort();
    assert_eq!(signers.signers, top.iter().map(|t| t.0).collect::<Vec<_>>());
    assert_eq!(signers.stakes, top.iter().map(|t| t.1).collect::<Vec<_>>());
    assert_eq!(signers.total, top.iter().map(|t| t.1).sum::<U256>());
}
