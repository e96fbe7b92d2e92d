//! L2 predeploys (outbox, bridge, token factory) and byte-for-byte agreement of the Rust
//! hashing in `sec_primitives` with the Solidity contracts; a withdrawal from L2 to L1 end to end.

mod common;

use alloy::sol_types::SolEvent;
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use common::*;
use sec_contracts::{
    bindings::{
        CrossDomain, L1Bridge, L2Bridge, L2TokenFactory, bridged_erc20::BridgedERC20,
        l1_bridge::Messages, test::hash_harness::HashHarness,
    },
    predeploy::{
        CROSS_DOMAIN, ChainParams, L2_BRIDGE, L2_TOKEN_FACTORY, bridged_token_address, predeploys,
    },
};
use sec_primitives::{
    merkle::{self, MerkleTree},
    message::{L1_DOMAIN, Message, Withdrawal},
};

fn harness(chain: &mut Chain) -> Address {
    chain.deploy_with(OWNER, &HashHarness::BYTECODE, vec![])
}

#[test]
fn message_and_withdrawal_hashes_match_solidity() {
    let mut chain = Chain::new();
    chain.fund(OWNER, ether(1));
    let h = harness(&mut chain);
    for i in 0..8u64 {
        let m = Message {
            src_domain: i as u32,
            nonce: i * 1_000_003 + 1,
            sender: Address::from_word(keccak256(i.to_be_bytes())),
            dst_domain: if i % 2 == 0 { L1_DOMAIN } else { 7 },
            to: Address::repeat_byte(i as u8 + 1),
            value: U256::from(i) << (i * 20),
            data: Bytes::from(vec![i as u8; (i * 37) as usize]),
        };
        let on_chain = chain.view(
            h,
            HashHarness::messageHashCall {
                srcDomain: m.src_domain,
                nonce: m.nonce,
                sender: m.sender,
                dstDomain: m.dst_domain,
                to: m.to,
                value: m.value,
                data: m.data.clone(),
            },
        );
        assert_eq!(on_chain, m.hash());
        assert_eq!(
            chain.view(h, HashHarness::leafCall { msgHash: m.hash() }),
            merkle::leaf_hash(m.hash())
        );

        let w = Withdrawal {
            src_domain: i as u32,
            nonce: i + 1,
            sender: Address::repeat_byte(0x10 + i as u8),
            recipient: Address::repeat_byte(0x20 + i as u8),
            l1_token: Address::repeat_byte(0x30 + i as u8),
            amount: U256::from(i + 1) * ether(1),
        };
        for is_sec in [false, true] {
            let sol = HashHarness::withdrawalHashCall {
                w: sec_contracts::bindings::test::hash_harness::Messages::Withdrawal {
                    srcDomain: w.src_domain,
                    nonce: w.nonce,
                    sender: w.sender,
                    recipient: w.recipient,
                    l1Token: w.l1_token,
                    amount: w.amount,
                },
                l2Bridge: L2_BRIDGE,
                isSec: is_sec,
            };
            assert_eq!(chain.view(h, sol), w.hash(L2_BRIDGE, is_sec));
        }
    }
}

#[test]
fn merkle_proofs_match_openzeppelin() {
    let mut chain = Chain::new();
    chain.fund(OWNER, ether(1));
    let h = harness(&mut chain);
    for n in 1..=9usize {
        let hashes: Vec<B256> = (0..n).map(|i| keccak256([n as u8, i as u8])).collect();
        let tree = MerkleTree::new(&hashes);
        for (i, m) in hashes.iter().enumerate() {
            let proof = tree.proof(i).unwrap();
            let root = chain.view(
                h,
                HashHarness::processProofCall {
                    proof: proof.clone(),
                    leafHash: merkle::leaf_hash(*m),
                },
            );
            assert_eq!(root, tree.root(), "n={n} i={i}");
            assert_eq!(root, merkle::process_proof(&proof, *m));
        }
    }
    // an inner node presented as a message hash does not reach the root
    let hashes: Vec<B256> = (0..4u8).map(|i| keccak256([i])).collect();
    let tree = MerkleTree::new(&hashes);
    let inner = merkle::hash_pair(merkle::leaf_hash(hashes[0]), merkle::leaf_hash(hashes[1]));
    let sibling = merkle::hash_pair(merkle::leaf_hash(hashes[2]), merkle::leaf_hash(hashes[3]));
    let root = chain.view(
        h,
        HashHarness::processProofCall { proof: vec![sibling], leafHash: merkle::leaf_hash(inner) },
    );
    assert_ne!(root, tree.root());
}

struct L2 {
    chain: Chain,
    l1_sec: Address,
}

impl L2 {
    fn new(domain: u32, l1_sec: Address) -> Self {
        let mut chain = Chain::new();
        for p in predeploys(domain, &ChainParams::new(4, l1_sec)) {
            chain.install(p.address, p.init_code);
        }
        Self { chain, l1_sec }
    }

    fn deposit_eth(&mut self, nonce: u64, to: Address, amount: U256) -> Result<(), Bytes> {
        self.chain
            .send(
                PRODUCER,
                L2_BRIDGE,
                L2Bridge::finalizeDepositCall {
                    depositNonce: nonce,
                    l1Token: Address::ZERO,
                    name: "Ether".into(),
                    symbol: "ETH".into(),
                    decimals: 18,
                    to,
                    amount,
                },
            )
            .map(|_| ())
    }
}

#[test]
fn l2_bridge_mints_and_withdraws_through_the_outbox() {
    let l1_sec = Address::repeat_byte(0x5e);
    let mut l2 = L2::new(2, l1_sec);
    let user = Address::repeat_byte(0x0a);
    l2.chain.fund(user, ether(100));
    assert_eq!(l2.chain.view(CROSS_DOMAIN, CrossDomain::domainIdCall {}), 2);
    assert_eq!(l2.chain.view(L2_BRIDGE, L2Bridge::l1SecCall {}), l2.l1_sec);

    let err = expect_err::<L2Bridge::NotSystem, _>(l2.chain.send(
        user,
        L2_BRIDGE,
        L2Bridge::finalizeDepositCall {
            depositNonce: 1,
            l1Token: Address::ZERO,
            name: "Ether".into(),
            symbol: "ETH".into(),
            decimals: 18,
            to: user,
            amount: ether(1),
        },
    ));
    assert_eq!(err.caller, user);
    expect_err::<L2Bridge::NativeToken, _>(l2.chain.send(
        PRODUCER,
        L2_BRIDGE,
        L2Bridge::finalizeDepositCall {
            depositNonce: 9,
            l1Token: l1_sec,
            name: "SEC".into(),
            symbol: "SEC".into(),
            decimals: 18,
            to: user,
            amount: ether(1),
        },
    ));
    l2.deposit_eth(1, user, ether(5)).unwrap();
    let err = expect_err::<L2Bridge::DepositAlreadyProcessed, _>(l2.deposit_eth(1, user, ether(5)));
    assert_eq!(err.nonce, 1);
    let weth = bridged_token_address(Address::ZERO);
    assert_eq!(
        l2.chain
            .view(L2_TOKEN_FACTORY, L2TokenFactory::predictAddressCall { l1Token: Address::ZERO }),
        weth
    );
    assert_eq!(l2.chain.view(L2_TOKEN_FACTORY, L2TokenFactory::l2TokenOfCall(Address::ZERO)), weth);
    assert_eq!(l2.chain.view(weth, BridgedERC20::balanceOfCall { account: user }), ether(5));
    assert_eq!(l2.chain.view(weth, BridgedERC20::symbolCall {}), "ETH");
    assert_eq!(l2.chain.view(weth, BridgedERC20::decimalsCall {}), 18);
    expect_err::<BridgedERC20::NotBridge, _>(l2.chain.send(
        user,
        weth,
        BridgedERC20::mintCall { to: user, amount: ether(1) },
    ));

    // withdraw bridged ETH
    let l1_recipient = Address::repeat_byte(0x1e);
    let out = l2.chain.must(
        user,
        L2_BRIDGE,
        L2Bridge::withdrawCall { token: weth, l1Recipient: l1_recipient, amount: ether(2) },
    );
    assert_eq!(l2.chain.view(weth, BridgedERC20::balanceOfCall { account: user }), ether(3));
    let sent = out
        .logs
        .iter()
        .find_map(|l| CrossDomain::MessageSent::decode_log_data(&l.data).ok())
        .unwrap();
    let expected = Withdrawal {
        src_domain: 2,
        nonce: sent.nonce,
        sender: user,
        recipient: l1_recipient,
        l1_token: Address::ZERO,
        amount: ether(2),
    };
    assert_eq!(sent.nonce, 1);
    assert_eq!(sent.messageHash, expected.hash(L2_BRIDGE, false));
    let msg = Message {
        src_domain: 2,
        nonce: 1,
        sender: sent.sender,
        dst_domain: sent.dstDomain,
        to: sent.to,
        value: sent.value,
        data: sent.data.clone(),
    };
    assert_eq!(Withdrawal::from_message(&msg, L2_BRIDGE).unwrap(), expected);

    // withdraw native SEC: the value is burned into the outbox
    let out = l2.chain.must_value(
        user,
        L2_BRIDGE,
        L2Bridge::withdrawCall {
            token: Address::ZERO,
            l1Recipient: l1_recipient,
            amount: ether(7),
        },
        ether(7),
    );
    let sent = out
        .logs
        .iter()
        .find_map(|l| CrossDomain::MessageSent::decode_log_data(&l.data).ok())
        .unwrap();
    let w = Withdrawal { nonce: 2, l1_token: l1_sec, amount: ether(7), ..expected.clone() };
    assert_eq!(sent.messageHash, w.hash(L2_BRIDGE, true));
    assert_eq!(l2.chain.balance(CROSS_DOMAIN), ether(7));
    assert_eq!(l2.chain.view(CROSS_DOMAIN, CrossDomain::totalBurnedCall {}), ether(7));
    assert!(l2.chain.view(CROSS_DOMAIN, CrossDomain::sentCall(sent.messageHash)));

    // rejections
    let err = expect_err::<L2Bridge::WrongValue, _>(l2.chain.send_value(
        user,
        L2_BRIDGE,
        L2Bridge::withdrawCall {
            token: Address::ZERO,
            l1Recipient: l1_recipient,
            amount: ether(7),
        },
        ether(6),
    ));
    assert_eq!(err.value, ether(6));
    let fake = Address::repeat_byte(0xfa);
    let err = expect_err::<L2Bridge::UnknownToken, _>(l2.chain.send(
        user,
        L2_BRIDGE,
        L2Bridge::withdrawCall { token: fake, l1Recipient: l1_recipient, amount: ether(1) },
    ));
    assert_eq!(err.token, fake);
    expect_err::<L2Bridge::ZeroAmount, _>(l2.chain.send(
        user,
        L2_BRIDGE,
        L2Bridge::withdrawCall { token: weth, l1Recipient: l1_recipient, amount: U256::ZERO },
    ));
    expect_err::<CrossDomain::OnlyBridgeToL1, _>(l2.chain.send(
        user,
        CROSS_DOMAIN,
        CrossDomain::sendCall { dstDomain: L1_DOMAIN, to: user, data: Bytes::new() },
    ));
    expect_err::<CrossDomain::SameDomain, _>(l2.chain.send(
        user,
        CROSS_DOMAIN,
        CrossDomain::sendCall { dstDomain: 2, to: user, data: Bytes::new() },
    ));
    let err = expect_err::<CrossDomain::MessageDataTooLarge, _>(l2.chain.send(
        user,
        CROSS_DOMAIN,
        CrossDomain::sendCall { dstDomain: 0, to: user, data: Bytes::from(vec![0; 32 * 1024 + 1]) },
    ));
    assert_eq!(err.length, U256::from(32 * 1024 + 1));

    // a plain BGC message to another domain, hashed like the Rust side
    let out = l2.chain.must_value(
        user,
        CROSS_DOMAIN,
        CrossDomain::sendCall { dstDomain: 0, to: l1_recipient, data: Bytes::from_static(b"pay") },
        ether(1),
    );
    let sent = CrossDomain::MessageSent::decode_log_data(&out.logs[0].data).unwrap();
    let m = Message {
        src_domain: 2,
        nonce: 3,
        sender: user,
        dst_domain: 0,
        to: l1_recipient,
        value: ether(1),
        data: Bytes::from_static(b"pay"),
    };
    assert_eq!(sent.messageHash, m.hash());
    assert_eq!(sent.nonce, 3);
}

#[test]
fn withdrawal_from_l2_is_paid_on_l1() {
    let mut l1 = L1::new();
    let vs = register_validators(&mut l1, 1, &[ether(30_000), ether(30_000), ether(30_000)]);
    let bridge = l1.a.l1_bridge;
    let sec = l1.a.token;
    // lock SEC on L1 (the deposit that funded the L2 balance)
    l1.approve(OWNER, bridge, ether(1_000));
    l1.chain.must(
        OWNER,
        bridge,
        L1Bridge::depositSECCall { domain: 0, to: OWNER, amount: ether(1_000), data: Bytes::new() },
    );

    let mut l2 = L2::new(0, sec);
    let user = Address::repeat_byte(0x0a);
    l2.chain.fund(user, ether(1_000));
    let recipient = Address::repeat_byte(0x1e);
    let out = l2.chain.must_value(
        user,
        L2_BRIDGE,
        L2Bridge::withdrawCall { token: Address::ZERO, l1Recipient: recipient, amount: ether(250) },
        ether(250),
    );
    let sent = out
        .logs
        .iter()
        .find_map(|l| CrossDomain::MessageSent::decode_log_data(&l.data).ok())
        .unwrap();
    let msg = Message {
        src_domain: 0,
        nonce: sent.nonce,
        sender: sent.sender,
        dst_domain: sent.dstDomain,
        to: sent.to,
        value: sent.value,
        data: sent.data,
    };
    let w = Withdrawal::from_message(&msg, L2_BRIDGE).unwrap();
    let others: Vec<B256> = (0..4u8).map(|i| keccak256([i])).collect();
    let mut leaves = others.clone();
    leaves.insert(2, msg.hash());
    let tree = MerkleTree::new(&leaves);
    let cm = l1.a.checkpoint_manager;
    let cp = checkpoint(&mut l1, 1, tree.root());
    let sigs = sign_checkpoint(CHAIN_ID, cm, &cp, &[&vs[0], &vs[1], &vs[2]]);
    submit(&mut l1, &cp, sigs).unwrap();
    l1.chain.must(
        OWNER,
        bridge,
        L1Bridge::finalizeWithdrawalCall {
            w: Messages::Withdrawal {
                srcDomain: w.src_domain,
                nonce: w.nonce,
                sender: w.sender,
                recipient: w.recipient,
                l1Token: w.l1_token,
                amount: w.amount,
            },
            checkpointId: 1,
            proof: tree.proof(2).unwrap(),
        },
    );
    assert_eq!(l1.sec_balance(recipient), ether(250));
}
