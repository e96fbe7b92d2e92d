//! L1 bridge: deposits (ETH, SEC, ERC-20, fee-on-transfer, limits, reentrancy) and withdrawals
//! (proofs, replay, reentrancy, failed payouts, challenge window, pause, daily limit).

mod common;

use alloy::sol_types::{SolCall, SolConstructor, SolError, SolEvent, SolType, sol_data};
use alloy_primitives::{Address, B256, Bytes, U256};
use common::*;
use sec_contracts::{
    bindings::{
        L1Bridge,
        l1_bridge::Messages,
        test::{
            double_caller::DoubleCaller, fee_on_transfer_token::FeeOnTransferToken,
            reentrant_recipient::ReentrantRecipient, reentrant_token::ReentrantToken,
            reverting_recipient::RevertingRecipient, test_token::TestToken,
        },
    },
    predeploy::L2_BRIDGE,
};
use sec_primitives::{merkle::MerkleTree, message::Withdrawal};

const X: u64 = 30_000;

struct Bridge {
    l1: L1,
    vs: Vec<TestValidator>,
    bridge: Address,
}

impl Bridge {
    fn new(challenge_window: u64) -> Self {
        let mut l1 = L1::with_config(|c| c.challenge_window = challenge_window);
        let vs = register_validators(&mut l1, 1, &[ether(X), ether(X), ether(X)]);
        let bridge = l1.a.l1_bridge;
        // liquidity: 100 ETH and 1M SEC locked by deposits
        l1.chain.must_value(
            OWNER,
            bridge,
            L1Bridge::depositETHCall { domain: 0, to: OWNER, data: Bytes::new() },
            ether(100),
        );
        l1.approve(OWNER, bridge, ether(1_000_000));
        l1.chain.must(
            OWNER,
            bridge,
            L1Bridge::depositSECCall {
                domain: 1,
                to: OWNER,
                amount: ether(1_000_000),
                data: Bytes::new(),
            },
        );
        Self { l1, vs, bridge }
    }

    fn is_sec(&self, w: &Withdrawal) -> bool {
        w.l1_token == self.l1.a.token
    }

    fn hash(&self, w: &Withdrawal) -> B256 {
        w.hash(L2_BRIDGE, self.is_sec(w))
    }

    /// Posts the next checkpoint with `root`; returns its id.
    fn post(&mut self, root: B256) -> u64 {
        let cm = self.l1.a.checkpoint_manager;
        let id =
            self.l1.chain.view(cm, sec_contracts::bindings::CheckpointManager::lastIdCall {}) + 1;
        let cp = checkpoint(&mut self.l1, id, root);
        let sigs = sign_checkpoint(CHAIN_ID, cm, &cp, &[&self.vs[0], &self.vs[1], &self.vs[2]]);
        submit(&mut self.l1, &cp, sigs).unwrap();
        id
    }

    /// Posts a checkpoint over `ws`; returns (id, proofs).
    fn post_withdrawals(&mut self, ws: &[Withdrawal]) -> (u64, Vec<Vec<B256>>) {
        let hashes: Vec<B256> = ws.iter().map(|w| self.hash(w)).collect();
        let tree = MerkleTree::new(&hashes);
        let id = self.post(tree.root());
        (id, (0..ws.len()).map(|i| tree.proof(i).unwrap()).collect())
    }

    fn finalize(&mut self, w: &Withdrawal, id: u64, proof: &[B256]) -> Result<(), Bytes> {
        let bridge = self.bridge;
        self.l1.chain.send(OWNER, bridge, finalize_call(w, id, proof)).map(|_| ())
    }
}

fn sol_w(w: &Withdrawal) -> Messages::Withdrawal {
    Messages::Withdrawal {
        srcDomain: w.src_domain,
        nonce: w.nonce,
        sender: w.sender,
        recipient: w.recipient,
        l1Token: w.l1_token,
        amount: w.amount,
    }
}

fn finalize_call(w: &Withdrawal, id: u64, proof: &[B256]) -> L1Bridge::finalizeWithdrawalCall {
    L1Bridge::finalizeWithdrawalCall { w: sol_w(w), checkpointId: id, proof: proof.to_vec() }
}

fn eth_w(nonce: u64, to: Address, amount: U256) -> Withdrawal {
    Withdrawal {
        src_domain: 1,
        nonce,
        sender: Address::repeat_byte(0x12),
        recipient: to,
        l1_token: Address::ZERO,
        amount,
    }
}

#[test]
fn deposits_emit_nonced_events_and_lock_funds() {
    let mut b = Bridge::new(0);
    let bridge = b.bridge;
    let user = Address::repeat_byte(0x0u8.wrapping_add(0x31));
    b.l1.chain.fund(user, ether(10));
    let out = b.l1.chain.must_value(
        user,
        bridge,
        L1Bridge::depositETHCall { domain: 3, to: user, data: Bytes::from_static(b"hi") },
        ether(2),
    );
    let ev = L1Bridge::Deposit::decode_log_data(&out.logs[0].data).unwrap();
    assert_eq!((ev.nonce, ev.domain, ev.token, ev.kind), (3, 3, Address::ZERO, 0));
    assert_eq!((ev.from, ev.to, ev.amount), (user, user, ether(2)));
    assert_eq!(ev.data, Bytes::from_static(b"hi"));
    assert_eq!(b.l1.chain.balance(bridge), ether(102));

    // ERC-20 with metadata
    let token = b.l1.chain.deploy_with(
        OWNER,
        &TestToken::BYTECODE,
        TestToken::constructorCall { n: "Dollar".into(), s: "USD".into() }.abi_encode(),
    );
    b.l1.chain.must(OWNER, token, TestToken::mintCall { to: user, amount: ether(50) });
    b.l1.chain.must(user, token, TestToken::approveCall { spender: bridge, value: ether(50) });
    let out = b.l1.chain.must(
        user,
        bridge,
        L1Bridge::depositERC20Call {
            token,
            domain: 0,
            to: user,
            amount: ether(50),
            data: Bytes::new(),
        },
    );
    let ev = L1Bridge::Deposit::decode_log_data(&out.logs.last().unwrap().data).unwrap();
    assert_eq!((ev.nonce, ev.kind, ev.amount), (4, 2, ether(50)));
    let (name, symbol, decimals) =
        <(sol_data::String, sol_data::String, sol_data::Uint<8>) as SolType>::abi_decode_params(
            &ev.tokenMetadata,
        )
        .unwrap();
    assert_eq!((name.as_str(), symbol.as_str(), decimals), ("Dollar", "USD", 18));

    // fee-on-transfer: credited what arrived
    let fee = b.l1.chain.deploy_with(OWNER, &FeeOnTransferToken::BYTECODE, vec![]);
    b.l1.chain.must(OWNER, fee, FeeOnTransferToken::mintCall { to: user, amount: ether(100) });
    b.l1.chain.must(
        user,
        fee,
        FeeOnTransferToken::approveCall { spender: bridge, value: ether(100) },
    );
    let out = b.l1.chain.must(
        user,
        bridge,
        L1Bridge::depositERC20Call {
            token: fee,
            domain: 0,
            to: user,
            amount: ether(100),
            data: Bytes::new(),
        },
    );
    let ev = L1Bridge::Deposit::decode_log_data(&out.logs.last().unwrap().data).unwrap();
    assert_eq!(ev.amount, ether(99));

    // limits
    let err = expect_err::<L1Bridge::UnknownDomain, _>(b.l1.chain.send_value(
        user,
        bridge,
        L1Bridge::depositETHCall { domain: 4, to: user, data: Bytes::new() },
        ether(1),
    ));
    assert_eq!(err.domain, 4);
    expect_err::<L1Bridge::ZeroAmount, _>(b.l1.chain.send(
        user,
        bridge,
        L1Bridge::depositETHCall { domain: 0, to: user, data: Bytes::new() },
    ));
    expect_err::<L1Bridge::ZeroAddress, _>(b.l1.chain.send_value(
        user,
        bridge,
        L1Bridge::depositETHCall { domain: 0, to: Address::ZERO, data: Bytes::new() },
        ether(1),
    ));
    let err = expect_err::<L1Bridge::DepositDataTooLarge, _>(b.l1.chain.send_value(
        user,
        bridge,
        L1Bridge::depositETHCall { domain: 0, to: user, data: Bytes::from(vec![0u8; 4097]) },
        ether(1),
    ));
    assert_eq!(err.length, U256::from(4097));
    b.l1.chain.must_value(
        user,
        bridge,
        L1Bridge::depositETHCall { domain: 0, to: user, data: Bytes::from(vec![0u8; 4096]) },
        ether(1),
    );
    let sec = b.l1.a.token;
    expect_err::<L1Bridge::UseDepositSEC, _>(b.l1.chain.send(
        user,
        bridge,
        L1Bridge::depositERC20Call {
            token: sec,
            domain: 0,
            to: user,
            amount: ether(1),
            data: Bytes::new(),
        },
    ));
    assert_eq!(b.l1.chain.view(bridge, L1Bridge::depositNonceCall {}), 6);
}

#[test]
fn deposit_reentrancy_through_a_token_is_blocked() {
    let mut b = Bridge::new(0);
    let bridge = b.bridge;
    let token = b.l1.chain.deploy_with(OWNER, &ReentrantToken::BYTECODE, vec![]);
    b.l1.chain.must(OWNER, token, ReentrantToken::mintCall { to: OWNER, amount: ether(100) });
    b.l1.chain.must(
        OWNER,
        token,
        ReentrantToken::approveCall { spender: bridge, value: ether(100) },
    );
    let inner = L1Bridge::depositERC20Call {
        token,
        domain: 0,
        to: OWNER,
        amount: ether(10),
        data: Bytes::new(),
    };
    b.l1.chain.must(
        OWNER,
        token,
        ReentrantToken::armCall { target_: bridge, data: inner.abi_encode().into() },
    );
    let out = b.l1.chain.must(
        OWNER,
        bridge,
        L1Bridge::depositERC20Call {
            token,
            domain: 0,
            to: OWNER,
            amount: ether(10),
            data: Bytes::new(),
        },
    );
    assert!(!b.l1.chain.view(token, ReentrantToken::reentrySucceededCall {}));
    let result = b.l1.chain.view(token, ReentrantToken::reentryResultCall {});
    assert_eq!(&result[..4], L1Bridge::ReentrancyGuardReentrantCall::SELECTOR.as_slice());
    let ev = L1Bridge::Deposit::decode_log_data(&out.logs.last().unwrap().data).unwrap();
    assert_eq!(ev.amount, ether(10));
}

#[test]
fn withdrawals_pay_once_with_a_valid_proof() {
    let mut b = Bridge::new(0);
    let sec = b.l1.a.token;
    let alice = Address::repeat_byte(0xa1);
    let ws = vec![
        eth_w(1, alice, ether(3)),
        Withdrawal { l1_token: sec, ..eth_w(2, alice, ether(500)) },
        eth_w(3, Address::repeat_byte(0xb2), ether(1)),
    ];
    let (id, proofs) = b.post_withdrawals(&ws);
    b.finalize(&ws[0], id, &proofs[0]).unwrap();
    assert_eq!(b.l1.chain.balance(alice), ether(3));
    b.finalize(&ws[1], id, &proofs[1]).unwrap();
    assert_eq!(b.l1.sec_balance(alice), ether(500));
    let h = b.hash(&ws[0]);
    let err = expect_err::<L1Bridge::AlreadyFinalized, _>(b.finalize(&ws[0], id, &proofs[0]));
    assert_eq!(err.withdrawalHash, h);
    assert!(b.l1.chain.view(b.bridge, L1Bridge::finalizedCall(h)));
    assert_eq!(
        b.l1.chain.view(b.bridge, L1Bridge::withdrawalHashCall { w: sol_w(&ws[1]) }),
        b.hash(&ws[1])
    );

    // the same withdrawal twice in one transaction
    let caller = b.l1.chain.deploy_with(OWNER, &DoubleCaller::BYTECODE, vec![]);
    let bridge = b.bridge;
    expect_err::<L1Bridge::AlreadyFinalized, _>(b.l1.chain.send(
        OWNER,
        caller,
        DoubleCaller::callTwiceCall {
            target: bridge,
            data: finalize_call(&ws[2], id, &proofs[2]).abi_encode().into(),
        },
    ));
    assert_eq!(b.l1.chain.balance(ws[2].recipient), U256::ZERO);
}

#[test]
fn forged_and_mutated_proofs_are_refused() {
    let mut b = Bridge::new(0);
    let alice = Address::repeat_byte(0xa1);
    let ws: Vec<Withdrawal> = (1..=5).map(|n| eth_w(n, alice, ether(1))).collect();
    let (id, proofs) = b.post_withdrawals(&ws);
    let other: Vec<Withdrawal> = (10..=12).map(|n| eth_w(n, alice, ether(1))).collect();
    let (id2, _) = b.post_withdrawals(&other);

    // valid proof, but against another checkpoint
    expect_err::<L1Bridge::InvalidProof, _>(b.finalize(&ws[0], id2, &proofs[0]));
    // extra sibling, missing sibling, wrong sibling
    let mut extra = proofs[0].clone();
    extra.push(B256::repeat_byte(1));
    expect_err::<L1Bridge::InvalidProof, _>(b.finalize(&ws[0], id, &extra));
    expect_err::<L1Bridge::InvalidProof, _>(b.finalize(
        &ws[0],
        id,
        &proofs[0][..proofs[0].len() - 1],
    ));
    let mut wrong = proofs[0].clone();
    wrong[0] = B256::repeat_byte(2);
    expect_err::<L1Bridge::InvalidProof, _>(b.finalize(&ws[0], id, &wrong));
    // the proof of another withdrawal
    expect_err::<L1Bridge::InvalidProof, _>(b.finalize(&ws[0], id, &proofs[1]));
    // altered fields (amount, recipient, token, domain)
    for w in [
        Withdrawal { amount: ether(2), ..ws[0].clone() },
        Withdrawal { recipient: Address::repeat_byte(0xee), ..ws[0].clone() },
        Withdrawal { l1_token: b.l1.a.token, ..ws[0].clone() },
        Withdrawal { src_domain: 2, ..ws[0].clone() },
    ] {
        expect_err::<L1Bridge::InvalidProof, _>(b.finalize(&w, id, &proofs[0]));
    }
    // unknown checkpoint
    let err = expect_err::<L1Bridge::UnknownCheckpoint, _>(b.finalize(&ws[0], 9, &proofs[0]));
    assert_eq!(err.id, 9);
    // and the genuine one still works
    b.finalize(&ws[0], id, &proofs[0]).unwrap();
}

#[test]
fn reentrant_recipient_cannot_double_spend() {
    let mut b = Bridge::new(0);
    let bridge = b.bridge;
    let attacker = b.l1.chain.deploy_with(OWNER, &ReentrantRecipient::BYTECODE, vec![]);
    let ws = vec![eth_w(1, attacker, ether(5)), eth_w(2, attacker, ether(6))];
    let (id, proofs) = b.post_withdrawals(&ws);
    // on receiving the first payout it tries the same withdrawal again
    b.l1.chain.must(
        OWNER,
        attacker,
        ReentrantRecipient::armCall {
            target_: bridge,
            data: finalize_call(&ws[0], id, &proofs[0]).abi_encode().into(),
        },
    );
    b.finalize(&ws[0], id, &proofs[0]).unwrap();
    assert_eq!(b.l1.chain.balance(attacker), ether(5));
    assert!(!b.l1.chain.view(attacker, ReentrantRecipient::reentrySucceededCall {}));
    let ret = b.l1.chain.view(attacker, ReentrantRecipient::reentryResultCall {});
    assert_eq!(&ret[..4], L1Bridge::ReentrancyGuardReentrantCall::SELECTOR.as_slice());
    // and a different withdrawal from inside the payout is blocked too
    b.l1.chain.must(
        OWNER,
        attacker,
        ReentrantRecipient::armCall {
            target_: bridge,
            data: finalize_call(&ws[1], id, &proofs[1]).abi_encode().into(),
        },
    );
    let third = eth_w(3, attacker, ether(1));
    let (id2, p2) = b.post_withdrawals(std::slice::from_ref(&third));
    b.finalize(&third, id2, &p2[0]).unwrap();
    assert!(!b.l1.chain.view(attacker, ReentrantRecipient::reentrySucceededCall {}));
    assert_eq!(b.l1.chain.balance(attacker), ether(6));
    b.finalize(&ws[1], id, &proofs[1]).unwrap();
    assert_eq!(b.l1.chain.balance(attacker), ether(12));
}

#[test]
fn reentrant_token_cannot_reenter_finalize() {
    let mut b = Bridge::new(0);
    let bridge = b.bridge;
    let token = b.l1.chain.deploy_with(OWNER, &ReentrantToken::BYTECODE, vec![]);
    b.l1.chain.must(OWNER, token, ReentrantToken::mintCall { to: OWNER, amount: ether(100) });
    b.l1.chain.must(
        OWNER,
        token,
        ReentrantToken::approveCall { spender: bridge, value: ether(100) },
    );
    b.l1.chain.must(
        OWNER,
        bridge,
        L1Bridge::depositERC20Call {
            token,
            domain: 0,
            to: OWNER,
            amount: ether(100),
            data: Bytes::new(),
        },
    );
    let bob = Address::repeat_byte(0xb0);
    let ws = vec![
        Withdrawal { l1_token: token, ..eth_w(1, bob, ether(10)) },
        Withdrawal { l1_token: token, ..eth_w(2, bob, ether(20)) },
    ];
    let (id, proofs) = b.post_withdrawals(&ws);
    b.l1.chain.must(
        OWNER,
        token,
        ReentrantToken::armCall {
            target_: bridge,
            data: finalize_call(&ws[1], id, &proofs[1]).abi_encode().into(),
        },
    );
    b.finalize(&ws[0], id, &proofs[0]).unwrap();
    assert!(!b.l1.chain.view(token, ReentrantToken::reentrySucceededCall {}));
    let ret = b.l1.chain.view(token, ReentrantToken::reentryResultCall {});
    assert_eq!(&ret[..4], L1Bridge::ReentrancyGuardReentrantCall::SELECTOR.as_slice());
    assert_eq!(b.l1.chain.view(token, ReentrantToken::balanceOfCall { account: bob }), ether(10));
}

#[test]
fn failed_payout_stays_claimable() {
    let mut b = Bridge::new(0);
    let bridge = b.bridge;
    let rec = b.l1.chain.deploy_with(OWNER, &RevertingRecipient::BYTECODE, vec![]);
    let w = eth_w(1, rec, ether(4));
    let (id, proofs) = b.post_withdrawals(std::slice::from_ref(&w));
    let out = b.l1.chain.must(OWNER, bridge, finalize_call(&w, id, &proofs[0]));
    let ev = L1Bridge::WithdrawalFinalized::decode_log_data(&out.logs[0].data).unwrap();
    assert!(!ev.paid);
    let h = b.hash(&w);
    assert!(b.l1.chain.view(bridge, L1Bridge::failedPayoutCall(h)));
    assert_eq!(b.l1.chain.balance(rec), U256::ZERO);
    // cannot be finalized again, retry fails while the recipient still reverts
    expect_err::<L1Bridge::AlreadyFinalized, _>(b.finalize(&w, id, &proofs[0]));
    let err = expect_err::<L1Bridge::PayoutFailed, _>(b.l1.chain.send(
        OWNER,
        bridge,
        L1Bridge::retryPayoutCall { w: sol_w(&w) },
    ));
    assert_eq!(err.withdrawalHash, h);
    // only the recipient may redirect
    expect_err::<L1Bridge::NotRecipient, _>(b.l1.chain.send(
        OWNER,
        bridge,
        L1Bridge::claimFailedPayoutToCall { w: sol_w(&w), to: OWNER },
    ));
    b.l1.chain.must(OWNER, rec, RevertingRecipient::setBlockedCall { b: false });
    b.l1.chain.must(OWNER, bridge, L1Bridge::retryPayoutCall { w: sol_w(&w) });
    assert_eq!(b.l1.chain.balance(rec), ether(4));
    expect_err::<L1Bridge::NoFailedPayout, _>(b.l1.chain.send(
        OWNER,
        bridge,
        L1Bridge::retryPayoutCall { w: sol_w(&w) },
    ));
}

#[test]
fn challenge_window_must_pass() {
    let mut b = Bridge::new(3_600);
    let w = eth_w(1, Address::repeat_byte(0xa1), ether(1));
    let (id, proofs) = b.post_withdrawals(std::slice::from_ref(&w));
    let posted = b.l1.chain.timestamp;
    b.l1.chain.timestamp = posted + 3_599;
    let err = expect_err::<L1Bridge::ChallengeWindowOpen, _>(b.finalize(&w, id, &proofs[0]));
    assert_eq!(err.until, U256::from(posted + 3_600));
    b.l1.chain.timestamp = posted + 3_600;
    b.finalize(&w, id, &proofs[0]).unwrap();
}

#[test]
fn guardian_pause_blocks_and_expires() {
    let mut b = Bridge::new(0);
    let bridge = b.bridge;
    let w = eth_w(1, Address::repeat_byte(0xa1), ether(1));
    let (id, proofs) = b.post_withdrawals(std::slice::from_ref(&w));
    let stranger = Address::repeat_byte(0x55);
    let err = expect_err::<L1Bridge::NotGuardian, _>(b.l1.chain.send(
        stranger,
        bridge,
        L1Bridge::pauseCall {},
    ));
    assert_eq!(err.caller, stranger);
    b.l1.chain.must(OWNER, bridge, L1Bridge::pauseCall {});
    let until = b.l1.chain.timestamp + 3 * DAY;
    let err = expect_err::<L1Bridge::BridgePaused, _>(b.finalize(&w, id, &proofs[0]));
    assert_eq!(err.until, until);
    expect_err::<L1Bridge::BridgePaused, _>(b.l1.chain.send_value(
        OWNER,
        bridge,
        L1Bridge::depositETHCall { domain: 0, to: OWNER, data: Bytes::new() },
        ether(1),
    ));
    // the pause ends by itself; a new one needs the cooldown
    b.l1.chain.timestamp = until;
    let err = expect_err::<L1Bridge::PauseCooldown, _>(b.l1.chain.send(
        OWNER,
        bridge,
        L1Bridge::pauseCall {},
    ));
    assert_eq!(err.until, U256::from(until + DAY));
    b.finalize(&w, id, &proofs[0]).unwrap();
    // after the cooldown the guardian may pause again; the owner can lift it early
    b.l1.chain.timestamp = until + DAY;
    b.l1.chain.must(OWNER, bridge, L1Bridge::pauseCall {});
    assert!(b.l1.chain.view(bridge, L1Bridge::pausedCall {}));
    expect_err::<L1Bridge::BridgePaused, _>(b.l1.chain.send(OWNER, bridge, L1Bridge::pauseCall {}));
    expect_err::<L1Bridge::NotGuardian, _>(b.l1.chain.send(
        stranger,
        bridge,
        L1Bridge::unpauseCall {},
    ));
    b.l1.chain.must(OWNER, bridge, L1Bridge::unpauseCall {});
    assert!(!b.l1.chain.view(bridge, L1Bridge::pausedCall {}));
}

#[test]
fn daily_outflow_limit_per_token() {
    let mut b = Bridge::new(0);
    let bridge = b.bridge;
    let alice = Address::repeat_byte(0xa1);
    let ws: Vec<Withdrawal> = (1..=3).map(|n| eth_w(n, alice, ether(6) / U256::from(10))).collect();
    let (id, proofs) = b.post_withdrawals(&ws);
    expect_err::<L1Bridge::OwnableUnauthorizedAccount, _>(b.l1.chain.send(
        alice,
        bridge,
        L1Bridge::setDailyLimitCall { token: Address::ZERO, limit: ether(1) },
    ));
    b.l1.chain.must(
        OWNER,
        bridge,
        L1Bridge::setDailyLimitCall { token: Address::ZERO, limit: ether(1) },
    );
    // start of a UTC day
    b.l1.chain.timestamp = b.l1.chain.timestamp.div_ceil(DAY) * DAY;
    b.finalize(&ws[0], id, &proofs[0]).unwrap();
    let err = expect_err::<L1Bridge::DailyLimitExceeded, _>(b.finalize(&ws[1], id, &proofs[1]));
    assert_eq!(err.available, ether(4) / U256::from(10));
    // SEC has its own (unset) limit: unaffected
    b.l1.chain.timestamp += DAY;
    b.finalize(&ws[1], id, &proofs[1]).unwrap();
    let err = expect_err::<L1Bridge::DailyLimitExceeded, _>(b.finalize(&ws[2], id, &proofs[2]));
    assert_eq!(err.token, Address::ZERO);
    assert_eq!(b.l1.chain.balance(alice), ether(12) / U256::from(10));
}
