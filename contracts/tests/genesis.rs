//! `predeploy::genesis_alloc`: the accounts a domain's genesis installs behave like the
//! deployed predeploys (the bridge credits a deposit through the factory at the predicted
//! address, the outbox knows its domain), and match a real creation's code and storage.

mod common;

use alloy::sol_types::{SolCall, SolEvent};
use alloy_primitives::{Address, U256};
use common::*;
use sec_contracts::{
    bindings::{
        CrossDomain, Disputes, L2Bridge, L2TokenFactory, TradeEscrow, TrustIndex,
        bridged_erc20::BridgedERC20,
    },
    predeploy::{
        CROSS_DOMAIN, ChainParams, DISPUTES, HOME_DIRECTORY, L2_BRIDGE, L2_TOKEN_FACTORY,
        NATIVE_RESERVE, TRADE_ESCROW, TRUST_INDEX, bridged_token_address, genesis_alloc,
        predeploys,
    },
};

fn genesis_chain(domain: u32, l1_sec: Address) -> Chain {
    common::genesis_chain(domain, 4, l1_sec)
}

#[test]
fn genesis_accounts_are_the_predeploys_at_their_fixed_addresses() {
    let l1_sec = Address::repeat_byte(0x5e);
    let alloc = genesis_alloc(3, &ChainParams::new(4, l1_sec)).unwrap();
    let addresses: Vec<Address> = alloc.iter().map(|(a, _)| *a).collect();
    assert_eq!(
        addresses,
        vec![
            CROSS_DOMAIN,
            L2_BRIDGE,
            L2_TOKEN_FACTORY,
            TRUST_INDEX,
            TRADE_ESCROW,
            DISPUTES,
            HOME_DIRECTORY
        ]
    );
    for (address, account) in &alloc {
        assert_eq!(account.nonce, 1, "{address}: a created contract starts at nonce 1");
        let reserve =
            if [L2_BRIDGE, CROSS_DOMAIN].contains(address) { NATIVE_RESERVE } else { U256::ZERO };
        assert_eq!(account.balance, reserve, "{address}: only the bridge and inbox hold SEC");
        assert!(!account.code.is_empty());
        assert!(account.storage.values().all(|v| !v.is_zero()), "zero slots are not state");
    }
    // the same code and storage as the creation the contract tests install
    let mut reference = Chain::new();
    for p in predeploys(3, &ChainParams::new(4, l1_sec)) {
        reference.install(p.address, p.init_code);
    }
    for (address, account) in &alloc {
        let info = reference.account(*address);
        assert_eq!(info.code.unwrap().original_bytes(), account.code, "{address}");
    }
    // another domain's outbox differs (its domain id is an immutable), the bridge does not
    let other = genesis_alloc(4, &ChainParams::new(5, l1_sec)).unwrap();
    assert_ne!(alloc[0].1.code, other[0].1.code);
    assert_eq!(alloc[1].1.code, other[1].1.code);
    for i in 3..6 {
        assert_eq!(alloc[i].1.code, other[i].1.code, "trade predeploys are the same everywhere");
    }
    assert_ne!(
        alloc[1].1.code,
        genesis_alloc(3, &ChainParams::new(4, Address::repeat_byte(1))).unwrap()[1].1.code
    );
}

#[test]
fn calls_against_genesis_state_behave() {
    let l1_sec = Address::repeat_byte(0x5e);
    let mut chain = genesis_chain(2, l1_sec);
    assert_eq!(chain.view(CROSS_DOMAIN, CrossDomain::domainIdCall {}), 2);
    assert_eq!(chain.view(L2_BRIDGE, L2Bridge::l1SecCall {}), l1_sec);
    let l1_token = Address::repeat_byte(0x70);
    let predicted = bridged_token_address(l1_token);
    assert_eq!(
        chain.view(L2_TOKEN_FACTORY, L2TokenFactory::predictAddressCall { l1Token: l1_token }),
        predicted
    );
    // a deposit credited by the system deploys the token there and mints
    let user = Address::repeat_byte(0x0a);
    let deposit = |nonce| L2Bridge::finalizeDepositCall {
        depositNonce: nonce,
        l1Token: l1_token,
        name: "Test".into(),
        symbol: "TST".into(),
        decimals: 6,
        to: user,
        amount: U256::from(1_000u64),
    };
    chain.must(PRODUCER, L2_BRIDGE, deposit(1));
    assert_eq!(
        chain.view(predicted, BridgedERC20::balanceOfCall { account: user }),
        U256::from(1_000u64)
    );
    assert_eq!(chain.view(predicted, BridgedERC20::decimalsCall {}), 6);
    // the money rule still holds at genesis: a replayed deposit and a non-system caller fail
    let err = expect_err::<L2Bridge::DepositAlreadyProcessed, _>(chain.send(
        PRODUCER,
        L2_BRIDGE,
        deposit(1),
    ));
    assert_eq!(err.nonce, 1);
    expect_err::<L2Bridge::NotSystem, _>(chain.send(user, L2_BRIDGE, deposit(2)));
    assert_eq!(chain.view(predicted, BridgedERC20::totalSupplyCall {}), U256::from(1_000u64));
}

#[test]
fn trade_predeploys_are_wired_to_each_other_at_genesis() {
    let mut chain = genesis_chain(1, Address::repeat_byte(0x5e));
    assert_eq!(chain.view(TRUST_INDEX, TrustIndex::escrowCall {}), TRADE_ESCROW);
    assert_eq!(chain.view(TRUST_INDEX, TrustIndex::disputesCall {}), DISPUTES);
    assert_eq!(chain.view(TRADE_ESCROW, TradeEscrow::trustCall {}), TRUST_INDEX);
    assert_eq!(chain.view(TRADE_ESCROW, TradeEscrow::disputesCall {}), DISPUTES);
    assert_eq!(chain.view(DISPUTES, Disputes::escrowCall {}), TRADE_ESCROW);
    assert_eq!(chain.view(DISPUTES, Disputes::trustCall {}), TRUST_INDEX);
    // a native offer opened and paid against genesis state
    let (seller, buyer) = (Address::repeat_byte(0x51), Address::repeat_byte(0xb1));
    chain.fund(seller, ether(10));
    chain.fund(buyer, ether(10));
    let open = TradeEscrow::openCall {
        token: Address::ZERO,
        price: ether(2),
        descriptionHash: alloy_primitives::B256::repeat_byte(7),
        autoConfirmPeriod: 0,
        shipPeriod: 0,
        designatedBuyer: Address::ZERO,
    };
    let bond = chain.view(TRADE_ESCROW, TradeEscrow::bondForCall { seller, price: ether(2) });
    assert_eq!(bond, ether(1), "a newcomer posts half the price");
    chain.must_value(seller, TRADE_ESCROW, open, bond);
    chain.must_value(buyer, TRADE_ESCROW, TradeEscrow::payCall { offerId: 1 }, ether(2));
    chain.must(buyer, TRADE_ESCROW, TradeEscrow::confirmCall { offerId: 1 });
    assert_eq!(chain.balance(seller), ether(12));
    assert_eq!(chain.view(TRUST_INDEX, TrustIndex::indexOfCall { account: seller }), 1);
}

#[test]
fn native_deposits_are_paid_from_the_reserve_once_even_to_a_refusing_recipient() {
    use sec_contracts::bindings::test::reverting_recipient::RevertingRecipient;
    let mut chain = genesis_chain(0, Address::repeat_byte(0x5e));
    assert_eq!(chain.balance(L2_BRIDGE), NATIVE_RESERVE);
    let (from, user) = (Address::repeat_byte(0x11), Address::repeat_byte(0x0a));
    let deposit = |nonce, to, amount, data: Vec<u8>| L2Bridge::finalizeNativeDepositCall {
        depositNonce: nonce,
        from,
        to,
        amount,
        data: data.into(),
    };
    let finalized = |out: &Outcome| {
        out.logs
            .iter()
            .find_map(|l| L2Bridge::NativeDepositFinalized::decode_log_data(&l.data).ok())
            .expect("NativeDepositFinalized")
    };

    // an account is paid out of the reserve
    let out = chain.must(PRODUCER, L2_BRIDGE, deposit(1, user, ether(3), vec![]));
    assert!(finalized(&out).callSucceeded);
    assert_eq!(chain.balance(user), ether(3));
    assert_eq!(chain.balance(L2_BRIDGE), NATIVE_RESERVE - ether(3));

    // once per nonce; only the producer's own transaction
    let err = expect_err::<L2Bridge::DepositAlreadyProcessed, _>(chain.send(
        PRODUCER,
        L2_BRIDGE,
        deposit(1, user, ether(3), vec![]),
    ));
    assert_eq!(err.nonce, 1);
    let err = expect_err::<L2Bridge::NotSystem, _>(chain.send(
        user,
        L2_BRIDGE,
        deposit(2, user, ether(3), vec![]),
    ));
    assert_eq!(err.caller, user);
    assert_eq!(chain.balance(user), ether(3));

    // a recipient that reverts is credited without running its code
    chain.fund(OWNER, ether(1));
    let refusing = chain.deploy_with(OWNER, &RevertingRecipient::BYTECODE, vec![]);
    let out = chain.must(PRODUCER, L2_BRIDGE, deposit(2, refusing, ether(4), vec![]));
    let event = finalized(&out);
    assert!(!event.callSucceeded);
    assert_eq!((event.depositNonce, event.from, event.to), (2, from, refusing));
    assert_eq!(chain.balance(refusing), ether(4));
    assert_eq!(chain.balance(L2_BRIDGE), NATIVE_RESERVE - ether(7));
    assert!(chain.view(refusing, RevertingRecipient::blockedCall {}));

    // the data is the call the recipient gets
    let unblock = RevertingRecipient::setBlockedCall { b: false }.abi_encode();
    let out = chain.must(PRODUCER, L2_BRIDGE, deposit(3, refusing, U256::ZERO, unblock));
    assert!(finalized(&out).callSucceeded);
    assert!(!chain.view(refusing, RevertingRecipient::blockedCall {}));
}
