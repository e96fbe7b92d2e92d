//! Private placement: whitelist, hard cap, soft-cap refunds, claim delay, unsold tokens.

mod common;

use alloy_primitives::{Address, U256};
use common::*;
use sec_contracts::bindings::{Presale, TimelockedReserve};

fn sec(whole: u64) -> U256 {
    ether(whole)
}

fn setup() -> (L1, Address, Address, Address) {
    let mut l1 = L1::new();
    let p = l1.a.presale;
    let (alice, bob) = (Address::repeat_byte(0xa1), Address::repeat_byte(0xb0));
    l1.chain.fund(alice, ether(50_000));
    l1.chain.fund(bob, ether(50_000));
    l1.chain.must(
        OWNER,
        p,
        Presale::setWhitelistCall { accounts: vec![alice, bob], allowed: true },
    );
    (l1, p, alice, bob)
}

#[test]
fn only_whitelisted_buyers_during_the_sale() {
    let (mut l1, p, alice, _) = setup();
    let eve = Address::repeat_byte(0xee);
    l1.chain.fund(eve, ether(10));
    let err = expect_err::<Presale::NotWhitelisted, _>(l1.chain.send_value(
        eve,
        p,
        Presale::buyCall {},
        ether(1),
    ));
    assert_eq!(err.buyer, eve);
    expect_err::<Presale::OwnableUnauthorizedAccount, _>(l1.chain.send(
        eve,
        p,
        Presale::setWhitelistCall { accounts: vec![eve], allowed: true },
    ));
    expect_err::<Presale::ZeroContribution, _>(l1.chain.send_value(
        alice,
        p,
        Presale::buyCall {},
        U256::ZERO,
    ));
    // removed from the whitelist: refused again
    l1.chain.must(OWNER, p, Presale::setWhitelistCall { accounts: vec![alice], allowed: false });
    expect_err::<Presale::NotWhitelisted, _>(l1.chain.send_value(
        alice,
        p,
        Presale::buyCall {},
        ether(1),
    ));
    // after the end nobody buys
    l1.chain.must(OWNER, p, Presale::setWhitelistCall { accounts: vec![alice], allowed: true });
    l1.chain.timestamp = START + 30 * DAY;
    expect_err::<Presale::SaleNotOpen, _>(l1.chain.send_value(
        alice,
        p,
        Presale::buyCall {},
        ether(1),
    ));
}

#[test]
fn hard_cap_closes_the_sale_and_starts_the_claim_clock() {
    let (mut l1, p, alice, bob) = setup();
    l1.chain.must_value(alice, p, Presale::buyCall {}, ether(30_000));
    let err = expect_err::<Presale::HardCapExceeded, _>(l1.chain.send_value(
        bob,
        p,
        Presale::buyCall {},
        ether(9_601),
    ));
    assert_eq!(err.available, ether(9_600));
    l1.chain.warp(DAY);
    let closed_at = l1.chain.timestamp;
    l1.chain.must_value(bob, p, Presale::buyCall {}, ether(9_600));
    assert_eq!(l1.chain.view(p, Presale::hardCapReachedAtCall {}), closed_at);
    assert!(l1.chain.view(p, Presale::isClosedCall {}));
    expect_err::<Presale::SaleNotOpen, _>(l1.chain.send_value(
        bob,
        p,
        Presale::buyCall {},
        ether(1),
    ));

    // finalize: ETH to the treasury, unsold to the Business reserve
    let treasury_before = l1.chain.balance(l1.config.presale_treasury);
    let reserve_before = l1.sec_balance(l1.a.business_reserve);
    l1.chain.must(alice, p, Presale::finalizeCall {});
    expect_err::<Presale::AlreadyFinalized, _>(l1.chain.send(alice, p, Presale::finalizeCall {}));
    assert_eq!(l1.chain.balance(l1.config.presale_treasury) - treasury_before, ether(39_600));
    let sold = sec(39_600 * 11_000);
    assert_eq!(l1.sec_balance(l1.a.business_reserve) - reserve_before, sec(495_000_000) - sold);
    let reserve = l1.a.business_reserve;
    assert_eq!(
        l1.chain.view(reserve, TimelockedReserve::totalAllocationCall {}),
        sec(300_000_000) + sec(495_000_000) - sold
    );

    // early claim refused until 90 days after the close
    l1.chain.timestamp = closed_at + 90 * DAY - 1;
    let err =
        expect_err::<Presale::ClaimNotOpen, _>(l1.chain.send(alice, p, Presale::claimCall {}));
    assert_eq!(err.opensAt, U256::from(closed_at + 90 * DAY));
    assert_eq!(l1.chain.view(p, Presale::releasableCall {}), U256::ZERO);
    expect_err::<Presale::SoftCapReached, _>(l1.chain.send(alice, p, Presale::refundCall {}));
    l1.chain.timestamp = closed_at + 90 * DAY;
    assert_eq!(l1.chain.view(p, Presale::releasableCall {}), sold);
    l1.chain.must(alice, p, Presale::claimCall {});
    assert_eq!(l1.sec_balance(alice), sec(30_000 * 11_000));
    expect_err::<Presale::NothingToClaim, _>(l1.chain.send(alice, p, Presale::claimCall {}));
    l1.chain.must(bob, p, Presale::claimCall {});
    assert_eq!(l1.sec_balance(bob), sec(9_600 * 11_000));
    assert_eq!(l1.sec_balance(p), U256::ZERO);
    assert_eq!(l1.chain.view(p, Presale::releasedCall {}), sec(495_000_000));
    let sched = l1.chain.view(p, Presale::scheduleCall {});
    assert_eq!(sched.times, vec![closed_at + 90 * DAY]);
    assert_eq!(sched.amounts, vec![sold]);
}

#[test]
fn missed_soft_cap_refunds_everyone() {
    let (mut l1, p, alice, bob) = setup();
    l1.chain.must_value(alice, p, Presale::buyCall {}, ether(10_000));
    l1.chain.must_value(bob, p, Presale::buyCall {}, ether(9_799));
    expect_err::<Presale::SaleNotClosed, _>(l1.chain.send(alice, p, Presale::refundCall {}));
    expect_err::<Presale::SaleNotClosed, _>(l1.chain.send(alice, p, Presale::finalizeCall {}));
    l1.chain.timestamp = START + 30 * DAY;
    let before = l1.chain.balance(alice);
    l1.chain.must(alice, p, Presale::refundCall {});
    assert_eq!(l1.chain.balance(alice) - before, ether(10_000));
    expect_err::<Presale::NothingToClaim, _>(l1.chain.send(alice, p, Presale::refundCall {}));
    // finalize sends every token to the reserve; claims are refused
    let reserve_before = l1.sec_balance(l1.a.business_reserve);
    l1.chain.must(bob, p, Presale::finalizeCall {});
    assert_eq!(l1.sec_balance(l1.a.business_reserve) - reserve_before, sec(495_000_000));
    l1.chain.timestamp += 365 * DAY;
    expect_err::<Presale::SoftCapMissed, _>(l1.chain.send(bob, p, Presale::claimCall {}));
    let before = l1.chain.balance(bob);
    l1.chain.must(bob, p, Presale::refundCall {});
    assert_eq!(l1.chain.balance(bob) - before, ether(9_799));
    assert_eq!(l1.chain.balance(p), U256::ZERO);
}

#[test]
fn exactly_the_soft_cap_succeeds() {
    let (mut l1, p, alice, _) = setup();
    l1.chain.must_value(alice, p, Presale::buyCall {}, ether(19_800));
    l1.chain.timestamp = START + 30 * DAY;
    expect_err::<Presale::SoftCapReached, _>(l1.chain.send(alice, p, Presale::refundCall {}));
    expect_err::<Presale::NotFinalized, _>(l1.chain.send(alice, p, Presale::claimCall {}));
    l1.chain.must(alice, p, Presale::finalizeCall {});
    l1.chain.timestamp = START + 120 * DAY;
    l1.chain.must(alice, p, Presale::claimCall {});
    assert_eq!(l1.sec_balance(alice), sec(19_800 * 11_000));
}

#[test]
fn a_treasury_that_rejects_eth_does_not_block_claims() {
    use sec_contracts::bindings::test::reverting_recipient::RevertingRecipient;
    let treasury = Address::repeat_byte(0x7e);
    let mut l1 = L1::with_config(|c| c.presale_treasury = treasury);
    l1.chain.install(treasury, RevertingRecipient::BYTECODE.clone());
    let p = l1.a.presale;
    let alice = Address::repeat_byte(0xa1);
    l1.chain.fund(alice, ether(40_000));
    l1.chain.must(OWNER, p, Presale::setWhitelistCall { accounts: vec![alice], allowed: true });
    expect_err::<Presale::NotFinalized, _>(l1.chain.send(
        alice,
        p,
        Presale::withdrawProceedsCall {},
    ));
    l1.chain.must_value(alice, p, Presale::buyCall {}, ether(20_000));
    l1.chain.timestamp = START + 30 * DAY;
    l1.chain.must(alice, p, Presale::finalizeCall {});
    assert_eq!(l1.chain.balance(p), ether(20_000));
    expect_err::<Presale::TreasuryPaymentFailed, _>(l1.chain.send(
        alice,
        p,
        Presale::withdrawProceedsCall {},
    ));
    l1.chain.timestamp = START + 120 * DAY;
    l1.chain.must(alice, p, Presale::claimCall {});
    assert_eq!(l1.sec_balance(alice), sec(20_000 * 11_000));
    l1.chain.must(OWNER, treasury, RevertingRecipient::setBlockedCall { b: false });
    l1.chain.must(alice, p, Presale::withdrawProceedsCall {});
    assert_eq!(l1.chain.balance(treasury), ether(20_000));
}
