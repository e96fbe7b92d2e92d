//! Trade and trust on revm: `TradeEscrow`, `TrustIndex` and `Disputes` installed at their
//! predeploy addresses. Happy paths (confirm, settlement by a third party, dispute upheld,
//! rejected, defaulted), every rejection path, the trust rule at its edges, edge lapse,
//! reentrancy and refused payouts, and value conservation across a mixed sequence.

mod common;

use alloy::sol_types::{SolCall, SolConstructor};
use alloy_primitives::{Address, B256, Bytes, U256};
use common::{trade::*, *};
use sec_contracts::{
    bindings::{
        CrossDomain, Disputes, TradeEscrow, TrustIndex,
        test::{
            fee_on_transfer_token::FeeOnTransferToken, reentrant_token::ReentrantToken,
            test_token::TestToken, trade_actor::TradeActor,
        },
    },
    predeploy::{CROSS_DOMAIN, DISPUTES, TRADE_ESCROW, TRUST_INDEX},
};

// ------------------------------------------------------------------ happy paths

#[test]
fn offer_paid_shipped_confirmed_pays_the_seller_and_starts_trust() {
    let mut m = Market::new();
    let (seller, buyer) = (m.account(), m.account());
    let start = (m.chain.balance(seller), m.chain.balance(buyer));
    let bond = m.bond_for(seller, price());
    assert_eq!(bond, ether(5), "a newcomer bonds 50%");
    let out =
        m.chain.must_value(seller, TRADE_ESCROW, Market::open_call(Address::ZERO, price()), bond);
    let opened = &events::<TradeEscrow::OfferOpened>(&out)[0];
    assert_eq!(
        (opened.offerId, opened.seller, opened.price, opened.bond),
        (1, seller, price(), bond)
    );
    assert_eq!((opened.autoConfirmPeriod, opened.shipPeriod), (7 * 86_400, 14 * 86_400));
    let o = m.offer(1);
    assert_eq!((o.state, o.bondBps, o.descriptionHash), (OPEN, 5000, B256::repeat_byte(0xde)));

    let out = m.chain.must_value(buyer, TRADE_ESCROW, TradeEscrow::payCall { offerId: 1 }, price());
    assert_eq!(events::<TradeEscrow::OfferPaid>(&out)[0].buyer, buyer);
    assert_eq!(m.chain.balance(TRADE_ESCROW), price() + bond);
    let out = m.ship(seller, 1);
    assert_eq!(events::<TradeEscrow::OfferShipped>(&out)[0].trackingHash, B256::repeat_byte(0x70));
    assert_eq!(m.offer(1).shippedAt.to::<u64>(), m.chain.timestamp);
    let out = m.confirm(buyer, 1);
    let done = &events::<TradeEscrow::TradeCompleted>(&out)[0];
    assert_eq!((done.buyer, done.seller, done.bySettle), (buyer, seller, false));
    let edge = &events::<TrustIndex::EdgeRenewed>(&out)[0];
    assert_eq!((edge.count, edge.wasLive), (1, false));
    assert_eq!(events::<TrustIndex::IndexChanged>(&out).len(), 2);

    assert_eq!(m.state(1), COMPLETED);
    assert_eq!(m.chain.balance(seller), start.0 + price());
    assert_eq!(m.chain.balance(buyer), start.1 - price());
    assert_eq!(m.chain.balance(TRADE_ESCROW), U256::ZERO);
    assert_eq!((m.index(seller), m.index(buyer)), (1, 1));
    let e = m.edge(buyer, seller);
    assert!(e.live && e.count == 1 && e.lastTrade.to::<u64>() == m.chain.timestamp);
    assert!(!m.edge(seller, buyer).live, "edges are directed (buyer, seller)");

    // a hand-over in person: the buyer confirms a paid offer that was never marked shipped
    let id = m.open(seller);
    m.pay(buyer, id);
    m.confirm(buyer, id);
    assert_eq!(m.state(id), COMPLETED);
}

#[test]
fn anyone_settles_after_the_auto_confirm_period() {
    let mut m = Market::new();
    let (seller, buyer, stranger) = (m.account(), m.account(), m.account());
    let id = m.shipped(seller, buyer);
    let shipped_at = m.chain.timestamp;
    m.chain.warp(WEEK - 1);
    let err = expect_err::<TradeEscrow::TooEarly, _>(m.chain.send(
        stranger,
        TRADE_ESCROW,
        TradeEscrow::settleCall { offerId: id },
    ));
    assert_eq!(err.readyAt, U256::from(shipped_at + WEEK));
    m.chain.warp(1);
    let before = m.chain.balance(seller);
    let out = m.chain.must(stranger, TRADE_ESCROW, TradeEscrow::settleCall { offerId: id });
    assert!(events::<TradeEscrow::TradeCompleted>(&out)[0].bySettle);
    assert_eq!(m.chain.balance(seller), before + price() + ether(5));
    assert_eq!((m.index(seller), m.index(buyer), m.index(stranger)), (1, 1, 0));
    // a custom period is honoured
    let mut call = Market::open_call(Address::ZERO, price());
    call.autoConfirmPeriod = 3_600;
    let id = m.try_open(seller, call).unwrap();
    m.pay(buyer, id);
    m.ship(seller, id);
    m.chain.warp(3_600);
    m.chain.must(stranger, TRADE_ESCROW, TradeEscrow::settleCall { offerId: id });
    assert_eq!(m.state(id), COMPLETED);
}

#[test]
fn the_buyer_extends_the_period_once() {
    let mut m = Market::new();
    let (seller, buyer, other) = (m.account(), m.account(), m.account());
    m.judges(5);
    let id = m.open(seller);
    m.pay(buyer, id);
    let extend = TradeEscrow::extendCall { offerId: id };
    let e =
        expect_err::<TradeEscrow::WrongState, _>(m.chain.send(buyer, TRADE_ESCROW, extend.clone()));
    assert_eq!(e.state, PAID);
    m.ship(seller, id);
    let shipped_at = m.chain.timestamp;
    for who in [seller, other] {
        expect_err::<TradeEscrow::NotBuyer, _>(m.chain.send(who, TRADE_ESCROW, extend.clone()));
    }
    m.chain.warp(WEEK - 1);
    let out = m.chain.must(buyer, TRADE_ESCROW, extend.clone());
    let ev = &events::<TradeEscrow::ConfirmationExtended>(&out)[0];
    assert_eq!(ev.settlesAt, U256::from(shipped_at + 2 * WEEK));
    assert!(m.offer(id).extended);
    let e = expect_err::<TradeEscrow::AlreadyExtended, _>(m.chain.send(
        buyer,
        TRADE_ESCROW,
        extend.clone(),
    ));
    assert_eq!(e.offerId, id);
    // past the original period: no settlement yet, and the buyer may still dispute
    m.chain.warp(1);
    let e = expect_err::<TradeEscrow::TooEarly, _>(m.chain.send(
        other,
        TRADE_ESCROW,
        TradeEscrow::settleCall { offerId: id },
    ));
    assert_eq!(e.readyAt, U256::from(shipped_at + 2 * WEEK));
    m.chain.warp(WEEK - 1);
    let saved = m.chain.db.clone();
    m.dispute(buyer, id);
    assert_eq!(m.state(id), DISPUTED);
    m.chain.db = saved;
    m.chain.warp(1);
    expect_err::<TradeEscrow::DisputeWindowClosed, _>(m.try_dispute(buyer, id));
    m.chain.must(other, TRADE_ESCROW, TradeEscrow::settleCall { offerId: id });
    assert_eq!(m.state(id), COMPLETED);
    // an extension comes too late once the period is over
    let id = m.shipped(seller, buyer);
    m.chain.warp(WEEK);
    let e = expect_err::<TradeEscrow::DisputeWindowClosed, _>(m.chain.send(
        buyer,
        TRADE_ESCROW,
        TradeEscrow::extendCall { offerId: id },
    ));
    assert_eq!(e.closedAt, U256::from(m.chain.timestamp));
}

#[test]
fn erc20_offer_bond_and_price_in_the_token() {
    let mut m = Market::new();
    let (seller, buyer) = (m.account(), m.account());
    let token = m.chain.deploy_with(
        OWNER,
        &TestToken::BYTECODE,
        TestToken::constructorCall { n: "Dollar".into(), s: "USD".into() }.abi_encode(),
    );
    for a in [seller, buyer] {
        m.chain.must(OWNER, token, TestToken::mintCall { to: a, amount: ether(1_000) });
    }
    let bal = |m: &mut Market, a| m.chain.view(token, TestToken::balanceOfCall { account: a });
    // the bond is pulled: without allowance the open fails
    expect_err::<TestToken::ERC20InsufficientAllowance, _>(
        m.try_open(seller, Market::open_call(token, price())),
    );
    m.chain.must(seller, token, TestToken::approveCall { spender: TRADE_ESCROW, value: ether(5) });
    // native value with a token offer is refused
    let err = expect_err::<TradeEscrow::WrongValue, _>(m.chain.send_value(
        seller,
        TRADE_ESCROW,
        Market::open_call(token, price()),
        U256::from(1u64),
    ));
    assert_eq!((err.value, err.expected), (U256::from(1u64), U256::ZERO));
    let id = m.try_open(seller, Market::open_call(token, price())).unwrap();
    assert_eq!(bal(&mut m, TRADE_ESCROW), ether(5));
    // paid without allowance: the token's own error, nothing moves
    let err = expect_err::<TestToken::ERC20InsufficientAllowance, _>(m.try_pay(buyer, id));
    assert_eq!((err.spender, err.allowance, err.needed), (TRADE_ESCROW, U256::ZERO, price()));
    assert_eq!(m.state(id), OPEN);
    m.chain.must(buyer, token, TestToken::approveCall { spender: TRADE_ESCROW, value: price() });
    m.pay(buyer, id);
    m.assert_books(token);
    m.ship(seller, id);
    m.confirm(buyer, id);
    assert_eq!(bal(&mut m, seller), ether(1_010));
    assert_eq!(bal(&mut m, buyer), ether(990));
    assert_eq!(bal(&mut m, TRADE_ESCROW), U256::ZERO);
    m.assert_books(token);

    // a fee-on-transfer token would leave the escrow short: refused
    let fot = m.chain.deploy_with(OWNER, &FeeOnTransferToken::BYTECODE, vec![]);
    m.chain.must(OWNER, fot, FeeOnTransferToken::mintCall { to: seller, amount: ether(100) });
    m.chain.must(
        seller,
        fot,
        FeeOnTransferToken::approveCall { spender: TRADE_ESCROW, value: ether(100) },
    );
    let err = expect_err::<TradeEscrow::UnsupportedToken, _>(
        m.try_open(seller, Market::open_call(fot, price())),
    );
    assert_eq!(err.token, fot);
    // an address without code is no token
    let err = expect_err::<TradeEscrow::NotAToken, _>(
        m.try_open(seller, Market::open_call(Address::repeat_byte(0x77), price())),
    );
    assert_eq!(err.token, Address::repeat_byte(0x77));
}

#[test]
fn dispute_upheld_refunds_the_buyer_with_the_bond_and_pays_the_majority() {
    let mut m = Market::new();
    let (seller, buyer) = (m.account(), m.account());
    let judges = m.judges(7);
    m.raise(seller, 30);
    let bond = m.bond_for(seller, price());
    assert_eq!(bond, ether(10) * U256::from(5000 - 40 * 30) / U256::from(10_000));
    let id = m.shipped(seller, buyer);
    let buyer_before = m.chain.balance(buyer);
    let out = m.chain.must_value(
        buyer,
        TRADE_ESCROW,
        TradeEscrow::disputeCall { offerId: id, evidenceHash: B256::repeat_byte(0xee) },
        fee(),
    );
    let created = &events::<Disputes::DisputeCreated>(&out)[0];
    assert_eq!(
        (created.disputeId, created.offerId, created.buyer, created.seller),
        (1, id, buyer, seller)
    );
    assert_eq!(events::<TradeEscrow::DisputeOpened>(&out)[0].evidenceHash, B256::repeat_byte(0xee));
    assert_eq!(m.state(id), DISPUTED);
    assert_eq!(m.offer(id).disputeId, 1);
    let panel = m.panel(1);
    assert_eq!(panel, created.panel.to_vec());
    let mut sorted = panel.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 5, "five distinct judges");
    assert!(panel.iter().all(|j| judges.contains(j)));
    for j in &panel {
        assert_eq!(m.judge(*j).activePanels, 1);
    }
    // both parties may add evidence while disputed; others may not
    for party in [buyer, seller] {
        m.chain.must(
            party,
            TRADE_ESCROW,
            TradeEscrow::submitEvidenceCall { offerId: id, evidenceHash: B256::repeat_byte(1) },
        );
    }
    expect_err::<TradeEscrow::NotParty, _>(m.chain.send(
        judges[0],
        TRADE_ESCROW,
        TradeEscrow::submitEvidenceCall { offerId: id, evidenceHash: B256::repeat_byte(1) },
    ));
    // no settlement while disputed
    let err = expect_err::<TradeEscrow::WrongState, _>(m.chain.send(
        buyer,
        TRADE_ESCROW,
        TradeEscrow::settleCall { offerId: id },
    ));
    assert_eq!(err.state, DISPUTED);

    // a bonded judge who was not drawn may not vote
    for j in judges.iter().filter(|j| !panel.contains(j)) {
        let e = expect_err::<Disputes::NotOnPanel, _>(m.vote(*j, 1, true));
        assert_eq!(e.account, *j);
    }
    for (i, j) in panel.iter().enumerate() {
        m.vote(*j, 1, i != 1 && i != 3).unwrap();
    }
    assert_eq!(m.chain.view(DISPUTES, Disputes::voteOfCall { disputeId: 1, judge: panel[0] }), 1);
    assert_eq!(m.chain.view(DISPUTES, Disputes::voteOfCall { disputeId: 1, judge: panel[1] }), 2);
    let out =
        m.chain.must(Address::repeat_byte(0x99), DISPUTES, Disputes::decideCall { disputeId: 1 });
    let decided = &events::<Disputes::Decided>(&out)[0];
    assert_eq!((decided.outcome, decided.upholdVotes, decided.rejectVotes), (1, 3, 2));
    assert_eq!(m.state(id), UPHELD);
    assert_eq!(m.chain.balance(buyer), buyer_before - fee() + price() + bond);
    assert_eq!(m.index(seller), 10, "30 - 20");
    assert!(!m.trust(seller).banned);
    assert_eq!(m.trust(seller).penalties, 1);
    // majority seats 0, 2, 4 share the fee, the first takes the remainder
    let third = fee() / U256::from(3);
    assert_eq!(m.claimable(panel[0]), fee() - third * U256::from(2));
    assert_eq!(m.claimable(panel[2]), third);
    assert_eq!(m.claimable(panel[4]), third);
    assert_eq!(m.claimable(panel[1]), U256::ZERO);
    for j in &panel {
        assert_eq!(m.judge(*j).activePanels, 0);
        assert_eq!(m.judge(*j).bonded, judge_bond(), "everyone voted: nobody slashed");
    }
    let before = m.chain.balance(panel[2]);
    m.chain.must(panel[2], DISPUTES, Disputes::claimCall {});
    assert_eq!(m.chain.balance(panel[2]), before + third);
    expect_err::<Disputes::NothingToClaim, _>(m.chain.send(
        panel[2],
        DISPUTES,
        Disputes::claimCall {},
    ));
    expect_err::<Disputes::AlreadyDecided, _>(m.decide(1));
    m.assert_books(Address::ZERO);
}

#[test]
fn an_erc20_dispute_pays_out_in_the_token_and_the_fee_in_sec() {
    let mut m = Market::new();
    let (seller, buyer) = (m.account(), m.account());
    let judges = m.judges(5);
    let token = m.chain.deploy_with(
        OWNER,
        &TestToken::BYTECODE,
        TestToken::constructorCall { n: "Dollar".into(), s: "USD".into() }.abi_encode(),
    );
    for a in [seller, buyer] {
        m.chain.must(OWNER, token, TestToken::mintCall { to: a, amount: ether(100) });
        m.chain.must(a, token, TestToken::approveCall { spender: TRADE_ESCROW, value: ether(100) });
    }
    let id = m.try_open(seller, Market::open_call(token, price())).unwrap();
    m.pay(buyer, id);
    m.ship(seller, id);
    let sec_before = m.chain.balance(buyer);
    let did = m.dispute(buyer, id);
    assert_eq!(m.chain.balance(buyer), sec_before - fee());
    m.assert_books(token);
    m.assert_books(Address::ZERO);
    for j in m.panel(did) {
        m.vote(j, did, true).unwrap();
    }
    m.decide(did).unwrap();
    let bal = |m: &mut Market, a| m.chain.view(token, TestToken::balanceOfCall { account: a });
    assert_eq!(bal(&mut m, buyer), ether(105), "price back and the seller's 5 bond");
    assert_eq!(bal(&mut m, seller), ether(95));
    assert_eq!(bal(&mut m, TRADE_ESCROW), U256::ZERO);
    assert_eq!(m.claimable(judges[0]), fee() / U256::from(5));
    m.assert_books(token);
    m.assert_books(Address::ZERO);
}

#[test]
fn dispute_rejected_pays_the_seller_and_costs_the_buyer_trust() {
    let mut m = Market::new();
    let (seller, buyer) = (m.account(), m.account());
    m.judges(5);
    // the buyer has earned 15 with fifteen sellers
    for _ in 0..15 {
        let s = m.account();
        m.trade(s, buyer);
    }
    assert_eq!(m.index(buyer), 15);
    let id = m.shipped(seller, buyer);
    let seller_before = m.chain.balance(seller);
    let did = m.dispute(buyer, id);
    let panel = m.panel(did);
    for j in &panel[..3] {
        m.vote(*j, did, false).unwrap();
    }
    // not all voted and before the deadline: too early
    expect_err::<Disputes::TooEarly, _>(m.decide(did));
    m.vote(panel[3], did, true).unwrap();
    m.vote(panel[4], did, false).unwrap();
    m.decide(did).unwrap();
    assert_eq!(m.state(id), REJECTED);
    assert_eq!(m.chain.balance(seller), seller_before + price() + ether(5));
    assert_eq!(m.index(buyer), 5, "15 - 10");
    assert_eq!(m.index(seller), 0, "a disputed trade does not raise the seller");
    assert!(!m.edge(buyer, seller).live, "nor make an edge");
    let quarter = fee() / U256::from(4);
    assert_eq!(m.claimable(panel[4]), quarter);
    assert_eq!(m.claimable(panel[0]), fee() - quarter * U256::from(3));
    assert_eq!(m.claimable(panel[3]), U256::ZERO);
    m.assert_books(Address::ZERO);
}

#[test]
fn no_majority_by_the_deadline_defaults_to_the_seller_and_slashes_the_absent() {
    let mut m = Market::new();
    let (seller, buyer) = (m.account(), m.account());
    m.judges(6);
    m.raise(seller, 5);
    let id = m.shipped(seller, buyer);
    let seller_before = m.chain.balance(seller);
    let did = m.dispute(buyer, id);
    let panel = m.panel(did);
    m.vote(panel[0], did, true).unwrap();
    m.vote(panel[1], did, true).unwrap();
    m.vote(panel[2], did, false).unwrap();
    m.chain.warp(3 * DAY - 1);
    expect_err::<Disputes::TooEarly, _>(m.decide(did));
    m.chain.warp(1);
    let err = expect_err::<Disputes::VotingClosed, _>(m.vote(panel[3], did, true));
    assert_eq!(err.deadline.to::<u64>(), m.chain.timestamp);
    let out =
        m.chain.must(Address::repeat_byte(0x99), DISPUTES, Disputes::decideCall { disputeId: did });
    assert_eq!(events::<Disputes::JudgeSlashed>(&out).len(), 2);
    assert_eq!(m.state(id), DEFAULTED);
    assert_eq!(m.chain.balance(seller), seller_before + price() + U256::from(m.offer(id).bond));
    assert_eq!((m.index(seller), m.index(buyer)), (5, 0), "nobody loses trust");
    assert!(!m.trust(buyer).banned);
    // absent judges lose 10%, which with the fee goes to the three who voted
    let slash = judge_bond() / U256::from(10);
    for j in &panel[3..] {
        let info = m.judge(*j);
        assert_eq!(info.bonded, judge_bond() - slash);
        assert!(!info.drawable, "below the minimum bond: no longer drawn");
    }
    let pot = fee() + slash * U256::from(2);
    let share = pot / U256::from(3);
    assert_eq!(m.claimable(panel[0]), pot - share * U256::from(2));
    assert_eq!(m.claimable(panel[1]), share);
    assert_eq!(m.claimable(panel[2]), share);
    assert_eq!(m.chain.view(DISPUTES, Disputes::judgeCountCall {}), U256::from(4));
    // topping up makes a slashed judge drawable again
    m.chain.must_value(panel[3], DISPUTES, Disputes::bondCall {}, slash);
    assert!(m.judge(panel[3]).drawable);
    m.assert_books(Address::ZERO);

    // nobody votes: default again, and the pot (fee + five slashes) goes back to the buyer
    m.judges(1);
    let id = m.shipped(seller, buyer);
    let did = m.dispute(buyer, id);
    let panel = m.panel(did);
    let bonds: Vec<U256> = panel.iter().map(|j| m.judge(*j).bonded).collect();
    m.chain.warp(3 * DAY);
    let out =
        m.chain.must(Address::repeat_byte(0x99), DISPUTES, Disputes::decideCall { disputeId: did });
    let slashed: U256 = bonds.iter().map(|b| *b / U256::from(10)).sum();
    assert_eq!(events::<Disputes::FeeReturned>(&out)[0].amount, fee() + slashed);
    assert_eq!(m.claimable(buyer), fee() + slashed);
    assert_eq!(m.state(id), DEFAULTED);
    m.assert_books(Address::ZERO);
}

#[test]
fn panels_follow_prevrandao_and_spread_over_the_judges() {
    let mut m = Market::new();
    let (seller, buyer) = (m.account(), m.account());
    let judges = m.judges(10);
    let id = m.shipped(seller, buyer);
    // the same dispute under two PREVRANDAO values draws two different panels
    let saved = m.chain.db.clone();
    let mut drawn = Vec::new();
    for byte in [0x01u8, 0x02] {
        m.chain.db = saved.clone();
        m.chain.prevrandao = B256::repeat_byte(byte);
        let did = m.dispute(buyer, id);
        let mut panel = m.panel(did);
        panel.sort();
        drawn.push(panel);
    }
    assert_ne!(drawn[0], drawn[1]);
    // 200 disputes: every judge sits on about half of them (5 of 10 seats)
    let mut seats = vec![0u32; judges.len()];
    for i in 0..200u64 {
        m.chain.prevrandao = alloy_primitives::keccak256(i.to_be_bytes());
        let id = m.shipped(seller, buyer);
        let did = m.dispute(buyer, id);
        for j in m.panel(did) {
            seats[judges.iter().position(|x| *x == j).unwrap()] += 1;
        }
    }
    assert_eq!(seats.iter().sum::<u32>(), 1_000);
    assert!(seats.iter().all(|s| (70..=130).contains(s)), "{seats:?}");
    m.assert_books(Address::ZERO);
}

// ------------------------------------------------------------------ rejection paths

#[test]
fn escrow_rejects_every_out_of_turn_call() {
    let mut m = Market::new();
    let (seller, buyer, other) = (m.account(), m.account(), m.account());
    let id = m.open(seller);
    let wrong_state = |r: Result<(), Bytes>, state: u8| {
        let e = expect_err::<TradeEscrow::WrongState, _>(r);
        assert_eq!(e.state, state);
    };
    // unknown offers
    let e = expect_err::<TradeEscrow::UnknownOffer, _>(m.try_pay(buyer, 99));
    assert_eq!(e.offerId, 99);
    // pay own offer
    expect_err::<TradeEscrow::OwnOffer, _>(m.try_pay(seller, id));
    // wrong payment amount: less, more, none
    for value in [price() - U256::from(1u64), price() + U256::from(1u64), U256::ZERO] {
        let e = expect_err::<TradeEscrow::WrongValue, _>(m.chain.send_value(
            buyer,
            TRADE_ESCROW,
            TradeEscrow::payCall { offerId: id },
            value,
        ));
        assert_eq!((e.value, e.expected), (value, price()));
    }
    // ship, confirm, settle, refund, dispute before payment
    let e = expect_err::<TradeEscrow::WrongState, _>(m.chain.send(
        seller,
        TRADE_ESCROW,
        TradeEscrow::shipCall { offerId: id, trackingHash: B256::ZERO },
    ));
    assert_eq!(e.state, OPEN);
    // cancel by a non-seller
    expect_err::<TradeEscrow::NotSeller, _>(m.chain.send(
        other,
        TRADE_ESCROW,
        TradeEscrow::cancelCall { offerId: id },
    ));

    m.pay(buyer, id);
    // pay twice (by the buyer or anyone else)
    wrong_state(m.try_pay(buyer, id), PAID);
    wrong_state(m.try_pay(other, id), PAID);
    // cancel after payment
    wrong_state(
        m.chain.send(seller, TRADE_ESCROW, TradeEscrow::cancelCall { offerId: id }).map(|_| ()),
        PAID,
    );
    // ship by a non-seller
    let e = expect_err::<TradeEscrow::NotSeller, _>(m.chain.send(
        buyer,
        TRADE_ESCROW,
        TradeEscrow::shipCall { offerId: id, trackingHash: B256::ZERO },
    ));
    assert_eq!(e.caller, buyer);
    // confirm by a non-buyer (the seller, a stranger)
    for who in [seller, other] {
        let e = expect_err::<TradeEscrow::NotBuyer, _>(m.chain.send(
            who,
            TRADE_ESCROW,
            TradeEscrow::confirmCall { offerId: id },
        ));
        assert_eq!(e.caller, who);
    }
    // settle before shipping
    wrong_state(
        m.chain.send(other, TRADE_ESCROW, TradeEscrow::settleCall { offerId: id }).map(|_| ()),
        PAID,
    );
    // dispute before shipping
    wrong_state(m.try_dispute(buyer, id).map(|_| ()), PAID);
    // a stranger refunds before the ship deadline
    expect_err::<TradeEscrow::TooEarly, _>(m.chain.send(
        other,
        TRADE_ESCROW,
        TradeEscrow::refundCall { offerId: id },
    ));

    m.ship(seller, id);
    // ship twice
    wrong_state(
        m.chain
            .send(
                seller,
                TRADE_ESCROW,
                TradeEscrow::shipCall { offerId: id, trackingHash: B256::ZERO },
            )
            .map(|_| ()),
        SHIPPED,
    );
    // settle early
    expect_err::<TradeEscrow::TooEarly, _>(m.chain.send(
        other,
        TRADE_ESCROW,
        TradeEscrow::settleCall { offerId: id },
    ));
    // dispute by a non-buyer
    for who in [seller, other] {
        expect_err::<TradeEscrow::NotBuyer, _>(m.try_dispute(who, id));
    }
    // the fee must be exact (the disputes contract checks it)
    m.judges(5);
    let e = expect_err::<Disputes::WrongValue, _>(m.chain.send_value(
        buyer,
        TRADE_ESCROW,
        TradeEscrow::disputeCall { offerId: id, evidenceHash: B256::ZERO },
        fee() - U256::from(1u64),
    ));
    assert_eq!(e.expected, fee());
    // the dispute window is the auto-confirm period: closed once it ends, settled or not
    m.chain.warp(WEEK);
    let e = expect_err::<TradeEscrow::DisputeWindowClosed, _>(m.try_dispute(buyer, id));
    assert_eq!(e.closedAt.to::<u64>(), m.chain.timestamp);
    m.chain.must(other, TRADE_ESCROW, TradeEscrow::settleCall { offerId: id });
    // after settlement: dispute, confirm, settle, refund all refused
    wrong_state(m.try_dispute(buyer, id).map(|_| ()), COMPLETED);
    wrong_state(
        m.chain.send(buyer, TRADE_ESCROW, TradeEscrow::confirmCall { offerId: id }).map(|_| ()),
        COMPLETED,
    );
    wrong_state(
        m.chain.send(other, TRADE_ESCROW, TradeEscrow::settleCall { offerId: id }).map(|_| ()),
        COMPLETED,
    );
    wrong_state(
        m.chain.send(seller, TRADE_ESCROW, TradeEscrow::refundCall { offerId: id }).map(|_| ()),
        COMPLETED,
    );
    // only the disputes contract resolves; only the escrow opens disputes
    expect_err::<TradeEscrow::NotDisputes, _>(m.chain.send(
        seller,
        TRADE_ESCROW,
        TradeEscrow::resolveCall { offerId: id, outcome: 2 },
    ));
    expect_err::<Disputes::NotEscrow, _>(m.chain.send_value(
        buyer,
        DISPUTES,
        Disputes::openCall { offerId: id, buyer, seller },
        fee(),
    ));
    // nothing owed
    expect_err::<TradeEscrow::NothingOwed, _>(m.chain.send(
        buyer,
        TRADE_ESCROW,
        TradeEscrow::withdrawCall { token: Address::ZERO },
    ));
    m.assert_books(Address::ZERO);
}

#[test]
fn open_validates_its_terms_and_the_designated_buyer() {
    let mut m = Market::new();
    let (seller, buyer, other) = (m.account(), m.account(), m.account());
    expect_err::<TradeEscrow::ZeroPrice, _>(
        m.try_open(seller, Market::open_call(Address::ZERO, U256::ZERO)),
    );
    expect_err::<TradeEscrow::PriceTooLarge, _>(m.chain.send(
        seller,
        TRADE_ESCROW,
        Market::open_call(Address::ZERO, U256::from(u128::MAX) + U256::from(1u64)),
    ));
    for (auto, ship) in [(3_599u32, 0u32), (0, 3_599), (91 * 86_400, 0), (0, 91 * 86_400)] {
        let mut call = Market::open_call(Address::ZERO, price());
        call.autoConfirmPeriod = auto;
        call.shipPeriod = ship;
        expect_err::<TradeEscrow::BadPeriod, _>(m.try_open(seller, call));
    }
    // wrong bond value
    let bond = m.bond_for(seller, price());
    let e = expect_err::<TradeEscrow::WrongValue, _>(m.chain.send_value(
        seller,
        TRADE_ESCROW,
        Market::open_call(Address::ZERO, price()),
        bond - U256::from(1u64),
    ));
    assert_eq!(e.expected, bond);
    // a designated buyer: nobody else may pay, and it is not the seller
    let mut call = Market::open_call(Address::ZERO, price());
    call.designatedBuyer = seller;
    expect_err::<TradeEscrow::OwnOffer, _>(m.try_open(seller, call.clone()));
    call.designatedBuyer = buyer;
    let id = m.try_open(seller, call).unwrap();
    let e = expect_err::<TradeEscrow::NotDesignatedBuyer, _>(m.try_pay(other, id));
    assert_eq!((e.caller, e.buyer), (other, buyer));
    m.pay(buyer, id);
    assert_eq!(m.offer(id).buyer, buyer);
    // rounding: the bond rounds up, never to zero
    let id = m.try_open(seller, Market::open_call(Address::ZERO, U256::from(1u64))).unwrap();
    assert_eq!(m.offer(id).bond, 1);
}

#[test]
fn escape_hatches_cancel_refund_and_the_ship_deadline() {
    let mut m = Market::new();
    let (seller, buyer, other) = (m.account(), m.account(), m.account());
    let s0 = m.chain.balance(seller);
    let b0 = m.chain.balance(buyer);
    // cancel an unpaid offer: the bond comes back, the offer cannot be paid
    let id = m.open(seller);
    m.chain.must(seller, TRADE_ESCROW, TradeEscrow::cancelCall { offerId: id });
    assert_eq!(m.state(id), CANCELLED);
    assert_eq!(m.chain.balance(seller), s0);
    let e = expect_err::<TradeEscrow::WrongState, _>(m.try_pay(buyer, id));
    assert_eq!(e.state, CANCELLED);
    // the seller refunds a paid offer (out of stock) and a shipped one (a return)
    for ship in [false, true] {
        let id = m.open(seller);
        m.pay(buyer, id);
        if ship {
            m.ship(seller, id);
        }
        let out = m.chain.must(seller, TRADE_ESCROW, TradeEscrow::refundCall { offerId: id });
        assert!(events::<TradeEscrow::TradeRefunded>(&out)[0].bySeller);
        assert_eq!(m.state(id), REFUNDED);
    }
    assert_eq!((m.chain.balance(seller), m.chain.balance(buyer)), (s0, b0));
    // never shipped: past the deadline the seller can no longer ship and anyone refunds
    let id = m.open(seller);
    m.pay(buyer, id);
    m.chain.warp(14 * DAY);
    let e = expect_err::<TradeEscrow::ShipDeadlinePassed, _>(m.chain.send(
        seller,
        TRADE_ESCROW,
        TradeEscrow::shipCall { offerId: id, trackingHash: B256::ZERO },
    ));
    assert_eq!(e.deadline.to::<u64>(), m.chain.timestamp);
    // a stranger may not refund a shipped offer, only an unshipped one past its deadline
    let out = m.chain.must(other, TRADE_ESCROW, TradeEscrow::refundCall { offerId: id });
    assert!(!events::<TradeEscrow::TradeRefunded>(&out)[0].bySeller);
    assert_eq!((m.chain.balance(seller), m.chain.balance(buyer)), (s0, b0));
    let id = m.shipped(seller, buyer);
    m.chain.warp(14 * DAY);
    let e = expect_err::<TradeEscrow::WrongState, _>(m.chain.send(
        other,
        TRADE_ESCROW,
        TradeEscrow::refundCall { offerId: id },
    ));
    assert_eq!(e.state, SHIPPED);
    assert_eq!((m.index(seller), m.index(buyer)), (0, 0), "refunds do not build trust");
    m.assert_books(Address::ZERO);
}

#[test]
fn judges_bond_vote_once_and_unbond_only_off_panel() {
    let mut m = Market::new();
    let (seller, buyer, outsider) = (m.account(), m.account(), m.account());
    // bonding: zero, below the minimum
    expect_err::<Disputes::ZeroAmount, _>(m.chain.send(outsider, DISPUTES, Disputes::bondCall {}));
    let e = expect_err::<Disputes::BondTooLow, _>(m.chain.send_value(
        outsider,
        DISPUTES,
        Disputes::bondCall {},
        judge_bond() - U256::from(1u64),
    ));
    assert_eq!(e.minimum, judge_bond());
    // an account that never bonded cannot unbond
    expect_err::<Disputes::NotJudge, _>(m.chain.send(
        outsider,
        DISPUTES,
        Disputes::requestUnbondCall {},
    ));
    expect_err::<Disputes::NotUnbonding, _>(m.chain.send(
        outsider,
        DISPUTES,
        Disputes::withdrawBondCall {},
    ));

    // four judges plus the buyer: only four eligible, no panel
    let judges = m.judges(4);
    m.chain.must_value(buyer, DISPUTES, Disputes::bondCall {}, judge_bond());
    let id = m.shipped(seller, buyer);
    let e = expect_err::<Disputes::NotEnoughJudges, _>(m.try_dispute(buyer, id));
    assert_eq!(e.needed, U256::from(5));
    // a sixth judge unbonds before the dispute: not drawn
    let leaving = m.judges(1)[0];
    m.chain.must(leaving, DISPUTES, Disputes::requestUnbondCall {});
    expect_err::<Disputes::Unbonding, _>(m.chain.send(
        leaving,
        DISPUTES,
        Disputes::requestUnbondCall {},
    ));
    expect_err::<Disputes::Unbonding, _>(m.chain.send_value(
        leaving,
        DISPUTES,
        Disputes::bondCall {},
        judge_bond(),
    ));
    expect_err::<Disputes::NotEnoughJudges, _>(m.try_dispute(buyer, id));
    let fifth = m.judges(1)[0];
    let did = m.dispute(buyer, id);
    let panel = m.panel(did);
    let mut expected = judges.clone();
    expected.push(fifth);
    let mut sorted = panel.clone();
    sorted.sort();
    expected.sort();
    assert_eq!(sorted, expected, "the buyer and the unbonding judge are never drawn");

    // a judge on a panel cannot unbond
    let e = expect_err::<Disputes::OnPanel, _>(m.chain.send(
        panel[0],
        DISPUTES,
        Disputes::requestUnbondCall {},
    ));
    assert_eq!(e.panels, 1);
    // voting twice, off the panel, by the party, by the unbonding judge
    m.vote(panel[0], did, true).unwrap();
    let e = expect_err::<Disputes::AlreadyVoted, _>(m.vote(panel[0], did, false));
    assert_eq!(e.judge, panel[0]);
    for who in [outsider, buyer, seller, leaving] {
        let e = expect_err::<Disputes::NotOnPanel, _>(m.vote(who, did, true));
        assert_eq!(e.account, who);
    }
    expect_err::<Disputes::UnknownDispute, _>(m.vote(panel[0], 42, true));
    // the unbonding judge withdraws after the delay, and is then no judge at all
    let e = expect_err::<Disputes::TooEarly, _>(m.chain.send(
        leaving,
        DISPUTES,
        Disputes::withdrawBondCall {},
    ));
    m.chain.warp(e.readyAt.to::<u64>() - m.chain.timestamp);
    let before = m.chain.balance(leaving);
    m.chain.must(leaving, DISPUTES, Disputes::withdrawBondCall {});
    assert_eq!(m.chain.balance(leaving), before + judge_bond());
    assert_eq!(m.judge(leaving).bonded, U256::ZERO);
    expect_err::<Disputes::NotJudge, _>(m.chain.send(
        leaving,
        DISPUTES,
        Disputes::requestUnbondCall {},
    ));
    expect_err::<Disputes::NotOnPanel, _>(m.vote(leaving, did, true));
    // the deadline passed with one vote: decided (default), and the panel is free to unbond
    let e = expect_err::<Disputes::VotingClosed, _>(m.vote(panel[1], did, true));
    assert!(e.deadline.to::<u64>() <= m.chain.timestamp);
    m.decide(did).unwrap();
    assert_eq!(m.state(id), DEFAULTED);
    m.chain.must(panel[0], DISPUTES, Disputes::requestUnbondCall {});
    expect_err::<Disputes::AlreadyDecided, _>(m.vote(panel[0], did, true));
    m.assert_books(Address::ZERO);
}

#[test]
fn a_judge_banned_as_a_trader_cannot_vote() {
    let mut m = Market::new();
    let judges = m.judges(6);
    let (buyer, seller, other) = (m.account(), m.account(), m.account());
    // judge 0 sells fake goods; the other five uphold the claim and ban them
    let id = m.shipped(judges[0], buyer);
    let did = m.dispute(buyer, id);
    let panel = m.panel(did);
    assert!(!panel.contains(&judges[0]), "a party never sits on its own panel");
    for j in &panel {
        m.vote(*j, did, true).unwrap();
    }
    m.decide(did).unwrap();
    assert!(m.trust(judges[0]).banned);
    assert!(m.judge(judges[0]).drawable, "still bonded and drawn");
    // find a draw that seats them, then their vote is refused and they count as absent
    let id = m.shipped(seller, other);
    let saved = m.chain.db.clone();
    let mut seated = None;
    for byte in 1..=32u8 {
        m.chain.db = saved.clone();
        m.chain.prevrandao = B256::repeat_byte(byte);
        let did = m.dispute(other, id);
        if m.panel(did).contains(&judges[0]) {
            seated = Some(did);
            break;
        }
    }
    let did = seated.expect("a draw with judge 0 on the panel");
    let e = expect_err::<Disputes::Banned, _>(m.vote(judges[0], did, false));
    assert_eq!(e.account, judges[0]);
    m.chain.warp(3 * DAY);
    m.decide(did).unwrap();
    assert_eq!(m.judge(judges[0]).bonded, judge_bond() - judge_bond() / U256::from(10));
    m.assert_books(Address::ZERO);
}

#[test]
fn only_the_escrow_and_disputes_write_trust() {
    let mut m = Market::new();
    let (a, b) = (m.account(), m.account());
    for caller in [a, b] {
        expect_err::<TrustIndex::NotAuthorized, _>(m.chain.send(
            caller,
            TRUST_INDEX,
            TrustIndex::recordTradeCall { buyer: a, seller: a },
        ));
    }
    for caller in [a, b] {
        expect_err::<TrustIndex::NotAuthorized, _>(m.chain.send(
            caller,
            TRUST_INDEX,
            TrustIndex::recordLossCall { account: a, fakeGoods: true },
        ));
    }
}

// ------------------------------------------------------------------ the trust rule

#[test]
fn trust_starts_at_one_rises_once_per_live_edge_and_caps_at_one_hundred() {
    let mut m = Market::new();
    let (seller, buyer) = (m.account(), m.account());
    assert_eq!(
        m.trust(seller),
        TrustIndex::accountOfReturn { index: 0, banned: false, completed: 0, penalties: 0 }
    );
    m.trade(seller, buyer);
    assert_eq!((m.index(seller), m.index(buyer)), (1, 1), "0 -> 1 on the first trade");
    // a repeat trade over a live edge counts but does not raise
    m.trade(seller, buyer);
    assert_eq!((m.index(seller), m.index(buyer)), (1, 1));
    assert_eq!(m.trust(seller).completed, 2);
    assert_eq!(m.edge(buyer, seller).count, 2);
    // up to 99 with fresh buyers, then 99 -> 100, then capped
    m.raise(seller, 99);
    assert_eq!(
        m.bond_for(seller, price()),
        ether(10) * U256::from(5000 - 40 * 99) / U256::from(10_000)
    );
    let b = m.account();
    m.trade(seller, b);
    assert_eq!(m.index(seller), 100);
    let b = m.account();
    let id = m.open(seller);
    assert_eq!(m.offer(id).bondBps, 1000, "10% at the top");
    m.pay(b, id);
    m.ship(seller, id);
    let out = m.confirm(b, id);
    assert_eq!(m.index(seller), 100, "capped");
    let changed = events::<TrustIndex::IndexChanged>(&out);
    assert_eq!(changed.len(), 1, "only the buyer moved");
    assert_eq!(changed[0].account, b);
    assert_eq!(m.trust(seller).completed, 102);
}

#[test]
fn an_edge_lapses_after_the_convergence_period_and_renewal_raises_again() {
    let mut m = Market::new();
    let (seller, buyer) = (m.account(), m.account());
    m.trade(seller, buyer);
    let at = m.chain.timestamp;
    m.chain.warp(30 * DAY - 1);
    let e = m.edge(buyer, seller);
    assert!(e.live && e.lastTrade.to::<u64>() == at && e.count == 1);
    m.chain.warp(1);
    let e = m.edge(buyer, seller);
    assert!(!e.live && e.count == 1, "lapsed after 30 days without a trade");
    let id = m.open(seller);
    m.pay(buyer, id);
    m.ship(seller, id);
    let out = m.confirm(buyer, id);
    assert!(!events::<TrustIndex::EdgeRenewed>(&out)[0].wasLive);
    let e = m.edge(buyer, seller);
    assert!(e.live && e.count == 2 && e.lastTrade.to::<u64>() == m.chain.timestamp);
    assert_eq!((m.index(seller), m.index(buyer)), (2, 2), "a renewed edge raises again");
}

#[test]
fn one_to_zero_bans_permanently() {
    let mut m = Market::new();
    let (seller, buyer, other) = (m.account(), m.account(), m.account());
    m.judges(5);
    m.trade(seller, other);
    assert_eq!(m.index(seller), 1);
    // two shipped offers; the first is disputed and upheld
    let disputed = m.shipped(seller, buyer);
    let pending = m.shipped(seller, other);
    let unpaid = m.open(seller);
    let did = m.dispute(buyer, disputed);
    for j in m.panel(did) {
        m.vote(j, did, true).unwrap();
    }
    let out =
        m.chain.must(Address::repeat_byte(0x99), DISPUTES, Disputes::decideCall { disputeId: did });
    assert_eq!(events::<TrustIndex::AccountBanned>(&out)[0].account, seller);
    let t = m.trust(seller);
    assert!(t.index == 0 && t.banned && t.penalties == 1, "1 -> 0: banned");
    // banned: cannot open, pay or judge
    let e = expect_err::<TradeEscrow::Banned, _>(
        m.try_open(seller, Market::open_call(Address::ZERO, price())),
    );
    assert_eq!(e.account, seller);
    let id = m.open(other);
    expect_err::<TradeEscrow::Banned, _>(m.try_pay(seller, id));
    expect_err::<Disputes::Banned, _>(m.chain.send_value(
        seller,
        DISPUTES,
        Disputes::bondCall {},
        judge_bond(),
    ));
    // a trade already under way still completes and pays, but never lifts the ban
    let before = m.chain.balance(seller);
    m.confirm(other, pending);
    let bond = U256::from(m.offer(pending).bond);
    assert_eq!(bond, ether(10) * U256::from(4960) / U256::from(10_000), "opened at index 1");
    assert_eq!(m.chain.balance(seller), before + price() + bond);
    assert_eq!(m.trust(seller).index, 0);
    assert!(m.trust(seller).banned);
    m.chain.warp(31 * DAY);
    let unpaid_state = m.state(unpaid);
    assert_eq!(unpaid_state, OPEN, "an offer opened before the ban stays cancellable");
    expect_err::<TradeEscrow::Banned, _>(m.try_pay(seller, id));
    m.chain.must(seller, TRADE_ESCROW, TradeEscrow::cancelCall { offerId: unpaid });
    assert!(m.trust(seller).banned, "permanent");
}

#[test]
fn a_newcomer_who_loses_a_dispute_is_banned_too() {
    let mut m = Market::new();
    let (seller, buyer) = (m.account(), m.account());
    m.judges(5);
    let id = m.shipped(seller, buyer);
    let did = m.dispute(buyer, id);
    for j in m.panel(did) {
        m.vote(j, did, false).unwrap();
    }
    m.decide(did).unwrap();
    assert!(m.trust(buyer).banned, "a rejected complaint at 0 bans the buyer");
    assert!(!m.trust(seller).banned);
    expect_err::<TradeEscrow::Banned, _>(
        m.try_open(buyer, Market::open_call(Address::ZERO, price())),
    );
}

// ------------------------------------------------------------------ hostile counterparties

fn actor(m: &mut Market) -> Address {
    let a = m.chain.deploy_with(OWNER, &TradeActor::BYTECODE, vec![]);
    m.chain.fund(a, ether(1_000));
    m.accounts.push(a);
    a
}

fn exec<C: SolCall>(
    m: &mut Market,
    actor: Address,
    target: Address,
    call: C,
    value: U256,
) -> Result<(), Bytes> {
    let driver = Address::repeat_byte(0xd1);
    m.chain.fund(driver, value);
    m.chain
        .send_value(
            driver,
            actor,
            TradeActor::execCall { target, data: call.abi_encode().into() },
            value,
        )
        .map(|_| ())
}

#[test]
fn a_seller_that_refuses_payment_cannot_block_settlement_and_withdraws_later() {
    let mut m = Market::new();
    let seller = actor(&mut m);
    let buyer = m.account();
    let bond = m.bond_for(seller, price());
    exec(&mut m, seller, TRADE_ESCROW, Market::open_call(Address::ZERO, price()), bond).unwrap();
    m.pay(buyer, 1);
    exec(
        &mut m,
        seller,
        TRADE_ESCROW,
        TradeEscrow::shipCall { offerId: 1, trackingHash: B256::ZERO },
        U256::ZERO,
    )
    .unwrap();
    m.chain.must(OWNER, seller, TradeActor::setRefusingCall { r: true });
    let before = m.chain.balance(seller);
    let out = m.confirm(buyer, 1);
    let deferred = &events::<TradeEscrow::PayoutDeferred>(&out)[0];
    assert_eq!((deferred.to, deferred.amount), (seller, price() + bond));
    assert_eq!(m.state(1), COMPLETED);
    assert_eq!(m.chain.balance(seller), before);
    m.assert_books(Address::ZERO);
    // still refusing: the withdrawal fails and keeps the debt
    let withdraw = TradeEscrow::withdrawCall { token: Address::ZERO };
    expect_err::<TradeEscrow::TransferFailed, _>(exec(
        &mut m,
        seller,
        TRADE_ESCROW,
        withdraw.clone(),
        U256::ZERO,
    ));
    m.chain.must(OWNER, seller, TradeActor::setRefusingCall { r: false });
    exec(&mut m, seller, TRADE_ESCROW, withdraw, U256::ZERO).unwrap();
    assert_eq!(m.chain.balance(seller), before + price() + bond);
    assert_eq!(
        m.chain.view(TRADE_ESCROW, TradeEscrow::owedCall { _0: seller, _1: Address::ZERO }),
        U256::ZERO
    );
    m.assert_books(Address::ZERO);
}

#[test]
fn reentering_on_payout_is_refused() {
    let mut m = Market::new();
    let seller = actor(&mut m);
    let buyer = m.account();
    let bond = m.bond_for(seller, price());
    exec(&mut m, seller, TRADE_ESCROW, Market::open_call(Address::ZERO, price()), bond).unwrap();
    m.pay(buyer, 1);
    exec(
        &mut m,
        seller,
        TRADE_ESCROW,
        TradeEscrow::shipCall { offerId: 1, trackingHash: B256::ZERO },
        U256::ZERO,
    )
    .unwrap();
    // on receiving the payout, the seller tries to settle the same trade again
    m.chain.warp(WEEK);
    let settle = TradeEscrow::settleCall { offerId: 1 }.abi_encode();
    m.chain.must(
        OWNER,
        seller,
        TradeActor::armReentryCall { target: TRADE_ESCROW, data: settle.into() },
    );
    let before = m.chain.balance(seller);
    m.chain.must(buyer, TRADE_ESCROW, TradeEscrow::settleCall { offerId: 1 });
    assert!(!m.chain.view(seller, TradeActor::reentrySucceededCall {}));
    let reason = m.chain.view(seller, TradeActor::reentryResultCall {});
    assert!(describe(&reason).contains("ReentrancyGuardReentrantCall"), "{}", describe(&reason));
    assert_eq!(m.chain.balance(seller), before + price() + bond, "paid once");
    m.assert_books(Address::ZERO);
}

#[test]
fn a_token_that_reenters_on_transfer_is_refused() {
    let mut m = Market::new();
    let (seller, buyer) = (m.account(), m.account());
    let token = m.chain.deploy_with(OWNER, &ReentrantToken::BYTECODE, vec![]);
    for a in [seller, buyer] {
        m.chain.must(OWNER, token, ReentrantToken::mintCall { to: a, amount: ether(100) });
        m.chain.must(
            a,
            token,
            ReentrantToken::approveCall { spender: TRADE_ESCROW, value: ether(100) },
        );
    }
    let id = m.try_open(seller, Market::open_call(token, price())).unwrap();
    m.pay(buyer, id);
    m.ship(seller, id);
    m.chain.warp(WEEK);
    // during the payout the token calls settle on the same offer again
    let settle = TradeEscrow::settleCall { offerId: id }.abi_encode();
    m.chain.must(
        OWNER,
        token,
        ReentrantToken::armCall { target_: TRADE_ESCROW, data: settle.into() },
    );
    m.chain.must(buyer, TRADE_ESCROW, TradeEscrow::settleCall { offerId: id });
    assert!(!m.chain.view(token, ReentrantToken::reentrySucceededCall {}));
    let reason = m.chain.view(token, ReentrantToken::reentryResultCall {});
    assert!(describe(&reason).contains("ReentrancyGuardReentrantCall"), "{}", describe(&reason));
    let bal = m.chain.view(token, ReentrantToken::balanceOfCall { account: seller });
    assert_eq!(bal, ether(110), "100 - bond + price + bond: paid once");
    m.assert_books(token);
}

// ------------------------------------------------------------------ value conservation

#[test]
fn value_is_conserved_across_a_mixed_sequence() {
    let mut m = Market::new();
    let sellers: Vec<Address> = (0..3).map(|_| m.account()).collect();
    let buyers: Vec<Address> = (0..4).map(|_| m.account()).collect();
    let judges = m.judges(7);
    let total = m.total();
    let check = |m: &mut Market| {
        assert_eq!(m.total(), total, "no wei created or lost");
        m.assert_books(Address::ZERO);
    };
    check(&mut m);
    // completed trades
    for (i, s) in sellers.iter().enumerate() {
        m.trade(*s, buyers[i]);
        check(&mut m);
    }
    // an auto-settled one
    let id = m.shipped(sellers[0], buyers[3]);
    check(&mut m);
    // a cancelled one and a refunded one
    let c = m.open(sellers[1]);
    check(&mut m);
    m.chain.must(sellers[1], TRADE_ESCROW, TradeEscrow::cancelCall { offerId: c });
    check(&mut m);
    let r = m.open(sellers[2]);
    m.pay(buyers[0], r);
    check(&mut m);
    // three disputes: upheld, rejected, defaulted
    let d1 = m.shipped(sellers[0], buyers[1]);
    let d2 = m.shipped(sellers[1], buyers[2]);
    let d3 = m.shipped(sellers[2], buyers[3]);
    let did1 = m.dispute(buyers[1], d1);
    check(&mut m);
    let did2 = m.dispute(buyers[2], d2);
    let did3 = m.dispute(buyers[3], d3);
    check(&mut m);
    for j in m.panel(did1) {
        m.vote(j, did1, true).unwrap();
    }
    for j in m.panel(did2) {
        m.vote(j, did2, false).unwrap();
    }
    let p3 = m.panel(did3);
    m.vote(p3[0], did3, true).unwrap();
    m.decide(did1).unwrap();
    check(&mut m);
    m.decide(did2).unwrap();
    check(&mut m);
    m.chain.warp(3 * DAY);
    m.decide(did3).unwrap();
    check(&mut m);
    m.chain.warp(WEEK);
    m.chain.must(judges[0], TRADE_ESCROW, TradeEscrow::settleCall { offerId: id });
    check(&mut m);
    m.chain.warp(14 * DAY);
    m.chain.must(judges[1], TRADE_ESCROW, TradeEscrow::refundCall { offerId: r });
    check(&mut m);
    // rewards claimed, a judge leaves
    for j in judges.clone() {
        if m.claimable(j) > U256::ZERO {
            m.chain.must(j, DISPUTES, Disputes::claimCall {});
        }
    }
    check(&mut m);
    let free = judges.iter().copied().find(|j| !p3.contains(j)).unwrap();
    m.chain.must(free, DISPUTES, Disputes::requestUnbondCall {});
    m.chain.warp(7 * DAY);
    m.chain.must(free, DISPUTES, Disputes::withdrawBondCall {});
    check(&mut m);
    // every offer ended in a final state, the contracts hold only the judges' bonds
    for id in 1..=m.chain.view(TRADE_ESCROW, TradeEscrow::lastOfferIdCall {}) {
        assert!(matches!(
            m.state(id),
            COMPLETED | CANCELLED | REFUNDED | UPHELD | REJECTED | DEFAULTED
        ));
    }
    assert_eq!(m.chain.balance(TRADE_ESCROW), U256::ZERO);
    let bonds: U256 = judges.iter().map(|j| m.judge(*j).bonded).sum();
    let claims: U256 = m.accounts.clone().iter().map(|a| m.claimable(*a)).sum();
    assert_eq!(m.chain.balance(DISPUTES), bonds + claims);
}

// ------------------------------------------------------------------ from another domain

/// The message `events` shows the escrow sending back to `to` on domain `dst`, if any.
fn bounced(out: &Outcome) -> Option<CrossDomain::MessageSent> {
    events::<CrossDomain::MessageSent>(out).into_iter().next()
}

#[test]
fn a_buyer_on_another_domain_pays_confirms_and_gains_trust_by_messages() {
    let mut m = Market::new();
    let seller = m.account();
    // the buyer's SEC is on domain 2: it holds nothing here
    let buyer = Address::repeat_byte(0xb2);
    let id = m.open(seller);
    let reserve = m.chain.balance(CROSS_DOMAIN);
    let out = m.deliver(2, buyer, TradeEscrow::payCall { offerId: id }, price());
    assert!(events::<CrossDomain::MessageDelivered>(&out)[0].success);
    assert!(events::<TradeEscrow::RelayRefused>(&out).is_empty());
    assert_eq!(events::<TradeEscrow::OfferPaid>(&out)[0].buyer, buyer, "the sender pays");
    assert_eq!((m.state(id), m.offer(id).buyer), (PAID, buyer));
    assert_eq!(m.chain.balance(CROSS_DOMAIN), reserve - price(), "paid out of the reserve");
    m.assert_books(Address::ZERO);

    m.ship(seller, id);
    // only the buyer's own messages act as the buyer
    let out = m.deliver(1, seller, TradeEscrow::confirmCall { offerId: id }, U256::ZERO);
    let refused = &events::<TradeEscrow::RelayRefused>(&out)[0];
    assert_eq!((refused.sender, refused.srcDomain), (seller, 1));
    assert_eq!(refused.selector, TradeEscrow::confirmCall::SELECTOR);
    let e = expect_err::<TradeEscrow::NotBuyer, _>(Err::<(), _>(refused.reason.clone()));
    assert_eq!(e.caller, seller);
    assert!(bounced(&out).is_none(), "nothing carried, nothing returned");
    let out = m.deliver(2, buyer, TradeEscrow::confirmCall { offerId: id }, U256::ZERO);
    assert_eq!(events::<TradeEscrow::TradeCompleted>(&out)[0].buyer, buyer);
    assert_eq!(m.state(id), COMPLETED);
    assert_eq!((m.index(seller), m.index(buyer)), (1, 1));
    m.assert_books(Address::ZERO);
}

#[test]
fn a_payment_refused_on_arrival_goes_back_to_its_domain() {
    let mut m = Market::new();
    let (seller, local) = (m.account(), m.account());
    let remote = Address::repeat_byte(0xb3);
    let id = m.open(seller);
    m.pay(local, id);
    let escrow = m.chain.balance(TRADE_ESCROW);
    let burned = m.chain.view(CROSS_DOMAIN, CrossDomain::totalBurnedCall {});

    // paid already: the delivery succeeds, the step is refused, the value goes home
    let out = m.deliver(3, remote, TradeEscrow::payCall { offerId: id }, price());
    assert!(events::<CrossDomain::MessageDelivered>(&out)[0].success, "never a failed message");
    let refused = &events::<TradeEscrow::RelayRefused>(&out)[0];
    assert_eq!((refused.sender, refused.srcDomain, refused.value), (remote, 3, price()));
    let e = expect_err::<TradeEscrow::WrongState, _>(Err::<(), _>(refused.reason.clone()));
    assert_eq!((e.offerId, e.state), (id, PAID));
    let back = bounced(&out).expect("the value goes back");
    assert_eq!(
        (back.dstDomain, back.to, back.value, back.sender),
        (3, remote, price(), TRADE_ESCROW)
    );
    assert!(back.data.is_empty());
    assert_eq!(m.chain.balance(TRADE_ESCROW), escrow, "nothing stays in the escrow");
    assert_eq!(
        m.chain.view(CROSS_DOMAIN, CrossDomain::totalBurnedCall {}),
        burned + price(),
        "sent back: locked on this domain, paid out again on domain 3"
    );
    assert_eq!(m.offer(id).buyer, local);

    // the wrong amount, an unknown offer, a dispute fee short: each refused and returned
    let other = m.open(seller);
    for (call, value) in [
        (TradeEscrow::payCall { offerId: other }.abi_encode(), price() - U256::from(1u64)),
        (TradeEscrow::payCall { offerId: 99 }.abi_encode(), price()),
        (TradeEscrow::disputeCall { offerId: id, evidenceHash: B256::ZERO }.abi_encode(), ether(1)),
    ] {
        let out = m.deliver_raw(3, remote, call, value);
        assert_eq!(events::<TradeEscrow::RelayRefused>(&out).len(), 1);
        assert_eq!(bounced(&out).expect("returned").value, value);
        assert_eq!(m.chain.balance(TRADE_ESCROW), escrow + U256::from(m.offer(other).bond));
    }
    assert_eq!(m.state(other), OPEN);
    m.assert_books(Address::ZERO);
}

#[test]
fn a_seller_on_another_domain_opens_ships_and_is_paid_here() {
    let mut m = Market::new();
    let seller = Address::repeat_byte(0x5a);
    let buyer = m.account();
    let bond = m.bond_for(seller, price());
    let out = m.deliver(1, seller, Market::open_call(Address::ZERO, price()), bond);
    let id = events::<TradeEscrow::OfferOpened>(&out)[0].offerId;
    assert_eq!(m.offer(id).seller, seller);
    m.pay(buyer, id);
    let out = m.deliver(
        1,
        seller,
        TradeEscrow::shipCall { offerId: id, trackingHash: B256::ZERO },
        U256::ZERO,
    );
    assert!(events::<TradeEscrow::RelayRefused>(&out).is_empty());
    m.confirm(buyer, id);
    assert_eq!(m.chain.balance(seller), price() + bond, "paid on the offer's domain");
    m.assert_books(Address::ZERO);
}

#[test]
fn the_shortest_period_is_a_chain_parameter() {
    let mut params = sec_contracts::predeploy::ChainParams::new(4, Address::ZERO);
    params.trade_min_period = 30;
    let mut m = Market::with_params(params);
    assert_eq!(m.chain.view(TRADE_ESCROW, TradeEscrow::minPeriodCall {}), 30);
    let (seller, buyer) = (m.account(), m.account());
    let mut call = Market::open_call(Address::ZERO, price());
    call.autoConfirmPeriod = 29;
    let e = expect_err::<TradeEscrow::BadPeriod, _>(m.try_open(seller, call.clone()));
    assert_eq!((e.period, e.min, e.max), (U256::from(29), U256::from(30), U256::from(90 * DAY)));
    call.autoConfirmPeriod = 30;
    call.shipPeriod = 30;
    let id = m.try_open(seller, call).unwrap();
    m.pay(buyer, id);
    m.ship(seller, id);
    m.chain.warp(29);
    expect_err::<TradeEscrow::TooEarly, _>(m.chain.send(
        buyer,
        TRADE_ESCROW,
        TradeEscrow::settleCall { offerId: id },
    ));
    m.chain.warp(1);
    m.chain.must(buyer, TRADE_ESCROW, TradeEscrow::settleCall { offerId: id });
    assert_eq!(m.state(id), COMPLETED);
    // a public chain's minimum is an hour
    let mut public = Market::new();
    assert_eq!(public.chain.view(TRADE_ESCROW, TradeEscrow::minPeriodCall {}), 3_600);
    // and a chain cannot be built without one, nor with one above the default period
    for bad in [0u32, 7 * 86_400 + 1] {
        let init = TradeEscrow::constructorCall {
            trust_: TRUST_INDEX,
            disputes_: DISPUTES,
            crossDomain_: CROSS_DOMAIN,
            minPeriod_: bad,
        }
        .abi_encode();
        let mut code = TradeEscrow::BYTECODE.to_vec();
        code.extend(init);
        let deployer = public.account();
        let out =
            public.chain.exec(deployer, alloy_primitives::TxKind::Create, code.into(), U256::ZERO);
        assert!(!out.success, "minPeriod {bad} refused");
    }
}
