//! `CrossDomain` as an inbox: a message is delivered by a system transaction only, exactly once
//! and in nonce order per source, its value paid out of the reserve (to a refusing recipient
//! too, the message then failed and replayable by anyone until a replay succeeds), with the
//! sender readable during the call; a send to a domain that does not exist is refused.

mod common;

use alloy::sol_types::{SolCall, SolEvent};
use alloy_primitives::{Address, Bytes, U256};
use common::*;
use sec_contracts::{
    bindings::{CrossDomain, HomeDirectory, test::reverting_recipient::RevertingRecipient},
    predeploy::{CROSS_DOMAIN, HOME_DIRECTORY, NATIVE_RESERVE},
};
use sec_primitives::message::Message;

/// Domain 1 of 3 at genesis.
fn domain1() -> Chain {
    domain(1)
}

/// Domain `id` of 3 at genesis.
fn domain(id: u32) -> Chain {
    genesis_chain(id, 3, Address::repeat_byte(0x5e))
}

fn message(src: u32, nonce: u64, to: Address, value: U256, data: Vec<u8>) -> Message {
    Message {
        src_domain: src,
        nonce,
        sender: Address::repeat_byte(0x5e),
        dst_domain: 1,
        to,
        value,
        data: data.into(),
    }
}

fn deliver(m: &Message) -> CrossDomain::deliverCall {
    CrossDomain::deliverCall {
        srcDomain: m.src_domain,
        nonce_: m.nonce,
        sender: m.sender,
        to: m.to,
        value: m.value,
        data: m.data.clone(),
    }
}

fn delivered(out: &Outcome) -> CrossDomain::MessageDelivered {
    out.logs
        .iter()
        .find_map(|l| CrossDomain::MessageDelivered::decode_log_data(&l.data).ok())
        .expect("MessageDelivered")
}

#[test]
fn messages_are_delivered_once_in_order_and_failed_calls_replay() {
    let mut chain = domain1();
    let user = Address::repeat_byte(0x0a);

    // a plain transfer from domain 0: paid out of the reserve, hash as the source computed it
    let m1 = message(0, 1, user, ether(5), vec![]);
    let out = chain.must(PRODUCER, CROSS_DOMAIN, deliver(&m1));
    let e = delivered(&out);
    assert_eq!((e.messageHash, e.srcDomain, e.nonce, e.success), (m1.hash(), 0, 1, true));
    assert_eq!(chain.balance(user), ether(5));
    assert_eq!(chain.balance(CROSS_DOMAIN), NATIVE_RESERVE - ether(5));
    assert!(chain.view(CROSS_DOMAIN, CrossDomain::receivedCall(m1.hash())));
    assert_eq!(chain.view(CROSS_DOMAIN, CrossDomain::deliveredCall(0)), 1);

    // only the producer's own transaction; never twice; never out of order
    let m3 = message(0, 3, user, ether(1), vec![]);
    let err = expect_err::<CrossDomain::NotSystem, _>(chain.send(user, CROSS_DOMAIN, deliver(&m3)));
    assert_eq!(err.caller, user);
    let err = expect_err::<CrossDomain::AlreadyDelivered, _>(chain.send(
        PRODUCER,
        CROSS_DOMAIN,
        deliver(&m1),
    ));
    assert_eq!(err.messageHash, m1.hash());
    chain.must(PRODUCER, CROSS_DOMAIN, deliver(&m3));
    let m2 = message(0, 2, user, ether(1), vec![]);
    let err =
        expect_err::<CrossDomain::OutOfOrder, _>(chain.send(PRODUCER, CROSS_DOMAIN, deliver(&m2)));
    assert_eq!((err.srcDomain, err.lastDelivered, err.nonce), (0, 3, 2));
    // each source has its own order; no source is this domain or beyond the chain
    chain.must(PRODUCER, CROSS_DOMAIN, deliver(&message(2, 1, user, U256::ZERO, vec![])));
    for src in [1, 3] {
        let err = expect_err::<CrossDomain::UnknownDomain, _>(chain.send(
            PRODUCER,
            CROSS_DOMAIN,
            deliver(&message(src, 9, user, U256::ZERO, vec![])),
        ));
        assert_eq!(err.domain, src);
    }

    // a recipient that reverts: credited anyway, failed, replayable by anyone until it works
    chain.fund(OWNER, ether(1));
    let refusing = chain.deploy_with(OWNER, &RevertingRecipient::BYTECODE, vec![]);
    let unblock = RevertingRecipient::setBlockedCall { b: false }.abi_encode();
    let m4 = message(0, 4, refusing, ether(2), unblock.clone());
    let out = chain.must(PRODUCER, CROSS_DOMAIN, deliver(&m4));
    assert!(!delivered(&out).success, "a paying call to a non-payable function reverts");
    assert_eq!(chain.balance(refusing), ether(2));
    assert!(chain.view(CROSS_DOMAIN, CrossDomain::failedCall(m4.hash())));
    let replay = CrossDomain::replayCall {
        srcDomain: 0,
        nonce_: 4,
        sender: m4.sender,
        to: refusing,
        value: ether(2),
        data: Bytes::from(unblock),
    };
    let out = chain.must(user, CROSS_DOMAIN, replay.clone());
    let r = out
        .logs
        .iter()
        .find_map(|l| CrossDomain::MessageReplayed::decode_log_data(&l.data).ok())
        .unwrap();
    assert!(r.success && r.by == user);
    assert!(!chain.view(refusing, RevertingRecipient::blockedCall {}));
    assert!(!chain.view(CROSS_DOMAIN, CrossDomain::failedCall(m4.hash())));
    assert_eq!(chain.balance(refusing), ether(2), "the replay pays nothing again");
    let err = expect_err::<CrossDomain::NotFailed, _>(chain.send(user, CROSS_DOMAIN, replay));
    assert_eq!(err.messageHash, m4.hash());

    // outside a delivery nobody is the cross-domain sender
    expect_err::<CrossDomain::NotInDelivery, _>(chain.send(
        user,
        CROSS_DOMAIN,
        CrossDomain::xDomainMessageSenderCall {},
    ));
}

#[test]
fn a_send_to_a_domain_that_does_not_exist_is_refused() {
    let mut chain = domain1();
    let user = Address::repeat_byte(0x0a);
    chain.fund(user, ether(10));
    for dst in [3u32, 4, 1_000] {
        let err = expect_err::<CrossDomain::UnknownDomain, _>(chain.send_value(
            user,
            CROSS_DOMAIN,
            CrossDomain::sendCall { dstDomain: dst, to: user, data: Bytes::new() },
            ether(1),
        ));
        assert_eq!(err.domain, dst);
    }
    expect_err::<CrossDomain::OnlyBridgeToL1, _>(chain.send(
        user,
        CROSS_DOMAIN,
        CrossDomain::sendCall { dstDomain: u32::MAX, to: user, data: Bytes::new() },
    ));
    chain.must_value(
        user,
        CROSS_DOMAIN,
        CrossDomain::sendCall { dstDomain: 2, to: user, data: Bytes::new() },
        ether(1),
    );
    assert_eq!(chain.balance(CROSS_DOMAIN), NATIVE_RESERVE + ether(1), "burned into the outbox");
}

#[test]
fn the_hub_directory_takes_a_home_from_its_account_or_from_a_message_sent_from_it() {
    let mut hub = domain(0);
    let (alice, bob) = (Address::repeat_byte(0xa1), Address::repeat_byte(0xb0));
    let home = |chain: &mut Chain, who| {
        let h = chain.view(HOME_DIRECTORY, HomeDirectory::homeOfCall { account: who });
        (h.domain, h.set)
    };
    assert_eq!(home(&mut hub, alice), (0, false), "no home until the account chooses");
    hub.must(alice, HOME_DIRECTORY, HomeDirectory::setHomeCall { domain: 2 });
    assert_eq!(home(&mut hub, alice), (2, true));
    let err = expect_err::<HomeDirectory::UnknownDomain, _>(hub.send(
        alice,
        HOME_DIRECTORY,
        HomeDirectory::setHomeCall { domain: 3 },
    ));
    assert_eq!(err.domain, 3);
    // only a delivered message may claim a home for its sender
    let err = expect_err::<HomeDirectory::NotCrossDomain, _>(hub.send(
        bob,
        HOME_DIRECTORY,
        HomeDirectory::setHomeFromMessageCall {},
    ));
    assert_eq!(err.caller, bob);
    // bob, living on domain 1, sends the hub a message: his home becomes domain 1
    let m = Message {
        src_domain: 1,
        nonce: 1,
        sender: bob,
        dst_domain: 0,
        to: HOME_DIRECTORY,
        value: U256::ZERO,
        data: HomeDirectory::setHomeFromMessageCall {}.abi_encode().into(),
    };
    let out = hub.must(PRODUCER, CROSS_DOMAIN, deliver(&m));
    assert!(delivered(&out).success);
    assert_eq!(home(&mut hub, bob), (1, true));
}
