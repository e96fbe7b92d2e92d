//! Token supply, vesting schedules of every allocation, timelocked reserves, merchant issuance.

mod common;

use alloy_primitives::{Address, U256};
use common::*;
use sec_contracts::{
    bindings::{MerchantIssuance, SECToken, TimelockedReserve, VestingVault},
    deploy::{allocation, angel_tranches, foundation_tranches, team_tranches},
};

fn sec(whole: u128) -> U256 {
    U256::from(whole) * U256::from(10u64).pow(U256::from(18))
}

#[test]
fn total_supply_is_exactly_one_and_a_half_billion_in_the_allocations() {
    let mut l1 = L1::new();
    let token = l1.a.token;
    let supply = l1.chain.view(token, SECToken::totalSupplyCall {});
    assert_eq!(supply, sec(1_500_000_000));
    assert_eq!(allocation::TOTAL, 1_500_000_000);
    assert_eq!(l1.chain.view(token, SECToken::decimalsCall {}), 18);
    // angel vault gave its T0 half to OWNER in setup
    let a = l1.a;
    assert_eq!(l1.sec_balance(a.angel_vault), sec(52_500_000));
    assert_eq!(l1.sec_balance(OWNER), sec(52_500_000));
    assert_eq!(l1.sec_balance(a.presale), sec(495_000_000));
    assert_eq!(l1.sec_balance(a.foundation_vault), sec(150_000_000));
    assert_eq!(l1.sec_balance(a.business_reserve), sec(300_000_000));
    assert_eq!(l1.sec_balance(a.team_vault), sec(150_000_000));
    assert_eq!(l1.sec_balance(a.investment_reserve), sec(300_000_000));
    // nobody but the issuer mints
    let err = expect_err::<SECToken::NotIssuer, _>(l1.chain.send(
        OWNER,
        token,
        SECToken::mintCall { to: OWNER, amount: U256::from(1) },
    ));
    assert_eq!(err.caller, OWNER);
}

/// Checks vestedAt / releasable / release one second before, at and after every tranche.
fn check_vault(
    l1: &mut L1,
    vault: Address,
    beneficiary: Address,
    tranches: &[(u64, U256)],
    name: &str,
) {
    let t0 = START;
    let total: U256 = tranches.iter().map(|t| t.1).sum();
    assert_eq!(l1.chain.view(vault, VestingVault::totalAllocationCall {}), total);
    assert_eq!(l1.chain.view(vault, VestingVault::allocationNameCall {}), name);
    let sched = l1.chain.view(vault, VestingVault::scheduleCall {});
    assert_eq!(sched.times, tranches.iter().map(|t| t0 + t.0).collect::<Vec<_>>());
    assert_eq!(sched.amounts, tranches.iter().map(|t| t.1).collect::<Vec<_>>());

    let mut cumulative = U256::ZERO;
    for (i, (offset, amount)) in tranches.iter().enumerate() {
        let at = t0 + offset;
        if *offset > 0 {
            let before = l1.chain.view(vault, VestingVault::vestedAtCall { t: U256::from(at - 1) });
            assert_eq!(before, cumulative, "{name} tranche {i} one second early");
        }
        cumulative += *amount;
        assert_eq!(
            l1.chain.view(vault, VestingVault::vestedAtCall { t: U256::from(at) }),
            cumulative
        );
        assert_eq!(
            l1.chain.view(vault, VestingVault::vestedAtCall { t: U256::from(at + 1) }),
            cumulative
        );
    }

    // walk time: before each tranche nothing new is releasable, at it exactly the tranche is
    let mut released = l1.chain.view(vault, VestingVault::releasedCall {});
    for (i, (offset, amount)) in tranches.iter().enumerate() {
        let at = t0 + offset;
        if l1.chain.timestamp < at {
            l1.chain.timestamp = at - 1;
            assert_eq!(
                l1.chain.view(vault, VestingVault::releasableCall {}),
                U256::ZERO,
                "{name} {i}"
            );
            expect_err::<VestingVault::NothingToRelease, _>(l1.chain.send(
                beneficiary,
                vault,
                VestingVault::releaseCall {},
            ));
            l1.chain.timestamp = at;
        }
        let releasable = l1.chain.view(vault, VestingVault::releasableCall {});
        let expected_now: U256 = tranches[..=i].iter().map(|t| t.1).sum::<U256>() - released;
        assert_eq!(releasable, expected_now, "{name} tranche {i}");
        if expected_now.is_zero() {
            // only the angel T0 tranche, which the harness already released
            assert_eq!((i, name), (0, "Angel investment"));
            continue;
        }
        assert!(expected_now >= *amount);
        let before = l1.sec_balance(beneficiary);
        // anyone may trigger; the tokens go to the beneficiary
        l1.chain.must(Address::repeat_byte(0x99), vault, VestingVault::releaseCall {});
        assert_eq!(l1.sec_balance(beneficiary) - before, releasable);
        released += releasable;
        assert_eq!(l1.chain.view(vault, VestingVault::releasedCall {}), released);
    }
    assert_eq!(released, total);
    assert_eq!(l1.sec_balance(vault), U256::ZERO);
    l1.chain.timestamp += 10 * 365 * DAY;
    assert_eq!(l1.chain.view(vault, VestingVault::releasableCall {}), U256::ZERO);
    l1.chain.timestamp = START;
}

#[test]
fn angel_vesting_schedule() {
    let mut l1 = L1::new();
    let (vault, b) = (l1.a.angel_vault, l1.config.angel_beneficiary);
    assert_eq!(angel_tranches(), vec![(0, sec(52_500_000)), (90 * DAY, sec(52_500_000))]);
    check_vault(&mut l1, vault, b, &angel_tranches(), "Angel investment");
}

#[test]
fn foundation_vesting_schedule() {
    let mut l1 = L1::new();
    let (vault, b) = (l1.a.foundation_vault, l1.config.foundation_beneficiary);
    assert_eq!(
        foundation_tranches(),
        vec![
            (0, sec(30_000_000)),
            (365 * DAY, sec(40_000_000)),
            (730 * DAY, sec(40_000_000)),
            (1095 * DAY, sec(40_000_000))
        ]
    );
    check_vault(&mut l1, vault, b, &foundation_tranches(), "Foundation (technical iteration)");
}

#[test]
fn team_vesting_schedule() {
    let mut l1 = L1::new();
    let (vault, b) = (l1.a.team_vault, l1.config.team_beneficiary);
    assert!(team_tranches().iter().all(|t| t.1 == sec(37_500_000)));
    check_vault(&mut l1, vault, b, &team_tranches(), "Founding team");
}

#[test]
fn vault_beneficiary_change_is_two_step_and_guarded() {
    let mut l1 = L1::new();
    let vault = l1.a.team_vault;
    let stranger = Address::repeat_byte(0x55);
    let next = Address::repeat_byte(0x66);
    expect_err::<VestingVault::NotBeneficiary, _>(l1.chain.send(
        stranger,
        vault,
        VestingVault::proposeBeneficiaryCall { next },
    ));
    l1.chain.must(OWNER, vault, VestingVault::proposeBeneficiaryCall { next });
    expect_err::<VestingVault::NotPendingBeneficiary, _>(l1.chain.send(
        stranger,
        vault,
        VestingVault::acceptBeneficiaryCall {},
    ));
    l1.chain.must(next, vault, VestingVault::acceptBeneficiaryCall {});
    assert_eq!(l1.chain.view(vault, VestingVault::beneficiaryCall {}), next);
    l1.chain.must(stranger, vault, VestingVault::releaseCall {});
    assert_eq!(l1.sec_balance(next), sec(37_500_000));
}

#[test]
fn timelocked_reserve_needs_seven_days() {
    let mut l1 = L1::new();
    for reserve in [l1.a.business_reserve, l1.a.investment_reserve] {
        let to = Address::repeat_byte(0x77);
        let before = l1.sec_balance(to);
        let stranger = Address::repeat_byte(0x55);
        let err = expect_err::<TimelockedReserve::OwnableUnauthorizedAccount, _>(l1.chain.send(
            stranger,
            reserve,
            TimelockedReserve::announceCall { to, amount: sec(1) },
        ));
        assert_eq!(err.account, stranger);
        let err = expect_err::<TimelockedReserve::ExceedsReserve, _>(l1.chain.send(
            OWNER,
            reserve,
            TimelockedReserve::announceCall { to, amount: sec(300_000_001) },
        ));
        assert_eq!(err.available, sec(300_000_000));
        let id = l1
            .chain
            .send(OWNER, reserve, TimelockedReserve::announceCall { to, amount: sec(1_000_000) })
            .unwrap();
        let start = l1.chain.timestamp;
        l1.chain.timestamp = start + 7 * DAY - 1;
        let err = expect_err::<TimelockedReserve::TooEarly, _>(l1.chain.send(
            OWNER,
            reserve,
            TimelockedReserve::executeCall { id },
        ));
        assert_eq!(err.eta, start + 7 * DAY);
        assert_eq!(l1.chain.view(reserve, TimelockedReserve::releasableCall {}), U256::ZERO);
        l1.chain.timestamp = start + 7 * DAY;
        assert_eq!(l1.chain.view(reserve, TimelockedReserve::releasableCall {}), sec(1_000_000));
        expect_err::<TimelockedReserve::OwnableUnauthorizedAccount, _>(l1.chain.send(
            stranger,
            reserve,
            TimelockedReserve::executeCall { id },
        ));
        l1.chain.must(OWNER, reserve, TimelockedReserve::executeCall { id });
        assert_eq!(l1.sec_balance(to) - before, sec(1_000_000));
        expect_err::<TimelockedReserve::ReleaseClosed, _>(l1.chain.send(
            OWNER,
            reserve,
            TimelockedReserve::executeCall { id },
        ));
        // cancelled announcements never execute
        let id2 = l1
            .chain
            .send(OWNER, reserve, TimelockedReserve::announceCall { to, amount: sec(5) })
            .unwrap();
        l1.chain.must(OWNER, reserve, TimelockedReserve::cancelCall { id: id2 });
        l1.chain.timestamp += 8 * DAY;
        expect_err::<TimelockedReserve::ReleaseClosed, _>(l1.chain.send(
            OWNER,
            reserve,
            TimelockedReserve::executeCall { id: id2 },
        ));
        expect_err::<TimelockedReserve::UnknownRelease, _>(l1.chain.send(
            OWNER,
            reserve,
            TimelockedReserve::executeCall { id: U256::from(99) },
        ));
        assert_eq!(l1.chain.view(reserve, TimelockedReserve::releasedCall {}), sec(1_000_000));
        assert_eq!(
            l1.chain.view(reserve, TimelockedReserve::totalAllocationCall {}),
            sec(300_000_000)
        );
        l1.chain.timestamp = START;
    }
}

#[test]
fn merchant_issuance_price_cap_and_proceeds() {
    let mut l1 = L1::new();
    let mi = l1.a.merchant_issuance;
    let token = l1.a.token;
    let merchant = Address::repeat_byte(0x4d);
    l1.chain.fund(merchant, ether(10_000));
    let err = expect_err::<MerchantIssuance::NotMerchant, _>(l1.chain.send_value(
        merchant,
        mi,
        MerchantIssuance::buyCall { minAmount: U256::ZERO },
        ether(1),
    ));
    assert_eq!(err.caller, merchant);
    l1.chain.must(OWNER, mi, MerchantIssuance::setMerchantCall { merchant, allowed: true });

    let foundation_before = l1.chain.balance(l1.config.foundation_treasury);
    l1.chain.must_value(
        merchant,
        mi,
        MerchantIssuance::buyCall { minAmount: sec(11_000) },
        ether(1),
    );
    assert_eq!(l1.sec_balance(merchant), sec(11_000));
    assert_eq!(l1.chain.balance(l1.config.foundation_treasury) - foundation_before, ether(1));
    assert_eq!(l1.chain.view(token, SECToken::totalSupplyCall {}), sec(1_500_011_000));

    // owner-set price, with slippage protection for the buyer
    l1.chain.must(OWNER, mi, MerchantIssuance::setPriceCall { newPrice: U256::from(10_000) });
    let err = expect_err::<MerchantIssuance::Slippage, _>(l1.chain.send_value(
        merchant,
        mi,
        MerchantIssuance::buyCall { minAmount: sec(11_000) },
        ether(1),
    ));
    assert_eq!(err.amount, sec(10_000));
    expect_err::<MerchantIssuance::ZeroPrice, _>(l1.chain.send(
        OWNER,
        mi,
        MerchantIssuance::setPriceCall { newPrice: U256::ZERO },
    ));

    // yearly cap: devnet 15M SEC per year; 11,000 used; 1,498 ETH at 10,000 = 14.98M fits
    l1.chain.must_value(
        merchant,
        mi,
        MerchantIssuance::buyCall { minAmount: U256::ZERO },
        ether(1_498),
    );
    let err = expect_err::<MerchantIssuance::YearlyCapExceeded, _>(l1.chain.send_value(
        merchant,
        mi,
        MerchantIssuance::buyCall { minAmount: U256::ZERO },
        ether(1),
    ));
    assert_eq!(err.year, U256::ZERO);
    assert_eq!(err.available, sec(15_000_000) - sec(11_000) - sec(14_980_000));
    // next year the cap is fresh
    l1.chain.timestamp = START + 365 * DAY;
    l1.chain.must_value(
        merchant,
        mi,
        MerchantIssuance::buyCall { minAmount: U256::ZERO },
        ether(1),
    );
    assert_eq!(l1.chain.view(mi, MerchantIssuance::issuedInYearCall(U256::from(1))), sec(10_000));
}

#[test]
fn permit_sets_allowance_from_a_signature() {
    use alloy::signers::{SignerSync, local::PrivateKeySigner};
    use alloy::sol_types::SolValue;
    use alloy_primitives::{B256, keccak256};
    let mut l1 = L1::new();
    let token = l1.a.token;
    let holder = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x42)).unwrap();
    let spender = Address::repeat_byte(0x5b);
    l1.give_sec(holder.address(), sec(10));
    let deadline = U256::from(START + 3_600);
    let value = sec(7);
    let typehash = keccak256(
        "Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)",
    );
    let struct_hash =
        keccak256((typehash, holder.address(), spender, value, U256::ZERO, deadline).abi_encode());
    let separator = l1.chain.view(token, SECToken::DOMAIN_SEPARATORCall {});
    assert_eq!(separator, sec_contracts::digest::domain_separator("SEC", CHAIN_ID, token));
    let digest = sec_contracts::digest::typed_data_digest(separator, struct_hash);
    let sig = holder.sign_hash_sync(&digest).unwrap();
    let call = SECToken::permitCall {
        owner: holder.address(),
        spender,
        value,
        deadline,
        v: 27 + sig.v() as u8,
        r: sig.r().into(),
        s: sig.s().into(),
    };
    l1.chain.must(spender, token, call.clone());
    assert_eq!(
        l1.chain.view(token, SECToken::allowanceCall { owner: holder.address(), spender }),
        value
    );
    // replay fails: the nonce moved on
    expect_err::<SECToken::ERC2612InvalidSigner, _>(l1.chain.send(spender, token, call.clone()));
    // expired
    l1.chain.timestamp = START + 3_601;
    expect_err::<SECToken::ERC2612ExpiredSignature, _>(l1.chain.send(spender, token, call));
}
