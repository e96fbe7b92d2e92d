//! `JsonRpcL1Source` on hardhat's node: the validator set it reads at an L1 block is the one
//! `StakeManager` reports there (members, order, stakes, BLS keys, hash), a stake change shows
//! at a later block and not at the earlier one, and an origin off the canonical chain is
//! refused.

use alloy::{signers::local::PrivateKeySigner, sol_types::SolValue};
use alloy_primitives::{B256, Bytes, U256, keccak256};
use sec_bridge::{
    JsonRpcL1Source, L1Client, deploy_l1,
    staking::{Registration, delegate, register_validator},
};
use sec_contracts::{
    L1DeployConfig,
    bindings::{SECToken, StakeManager, VestingVault},
};
use sec_primitives::{DEV_MNEMONIC, L1Error, L1Origin, L1Source, ValidatorSet, dev_signers};

use crate::common::*;

/// The contract's own view of its active set at `block`, in the source's terms.
async fn contract_set(
    client: &L1Client,
    sm: alloy_primitives::Address,
    block: u64,
) -> (Vec<(alloy_primitives::Address, alloy_primitives::Address, U256, Bytes)>, B256) {
    let size = client.view_at(sm, StakeManager::activeSetSizeCall {}, Some(block)).await.unwrap();
    let set =
        client.view_at(sm, StakeManager::activeSetCall { n: size }, Some(block)).await.unwrap();
    let mut members = Vec::new();
    for v in set {
        let info = client
            .view_at(sm, StakeManager::validatorCall { v: v.validator }, Some(block))
            .await
            .unwrap();
        members.push((v.validator, v.signer, v.stake, info.blsKey));
    }
    members.sort_by_key(|m| m.1);
    // the contract's signer-sorted view, whose hash checkpoints carry
    let signers =
        client.view_at(sm, StakeManager::activeSignersCall {}, Some(block)).await.unwrap();
    let hash = keccak256((signers.signers, signers.stakes).abi_encode_params());
    (members, hash)
}

fn as_tuples(
    set: &ValidatorSet,
) -> Vec<(alloy_primitives::Address, alloy_primitives::Address, U256, Bytes)> {
    set.members().iter().map(|m| (m.validator, m.signer, m.stake, m.bls_key.clone())).collect()
}

#[test]
fn validator_set_follows_stake_manager_block_by_block() {
    let hardhat = HardhatNode::start();
    let url = hardhat.url();
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let accounts = dev_signers(DEV_MNEMONIC, 6).unwrap();

    // deploy with an active set of 3, register 4 validators with distinct stakes
    let (owner, a) = rt.block_on(async {
        let owner = L1Client::connect(&url, accounts[0].clone()).await.unwrap();
        let now = owner.block(None).await.unwrap().timestamp.to::<u64>();
        let config =
            L1DeployConfig { active_set_size: 3, ..L1DeployConfig::devnet(owner.address(), now) };
        let deployment = deploy_l1(&owner, &config).await.unwrap();
        let a = deployment.addresses;
        owner.send_call(a.angel_vault, VestingVault::releaseCall {}, U256::ZERO).await.unwrap();
        (owner, a)
    });
    let sm = a.stake_manager;
    let min = sec(10_000);
    let stakes = [min + sec(300), min + sec(100), min + sec(400), min + sec(200)];
    let mut validators = Vec::new();
    for (i, stake) in stakes.iter().enumerate() {
        let signer =
            PrivateKeySigner::from_bytes(&keccak256(format!("sec l1 source validator {i}")))
                .unwrap();
        rt.block_on(async {
            let v = owner.with_signer(accounts[i + 1].clone()).await.unwrap();
            owner
                .send_call(
                    a.token,
                    SECToken::transferCall { to: v.address(), value: *stake },
                    U256::ZERO,
                )
                .await
                .unwrap();
            let reg = Registration {
                signer,
                bls_key: Bytes::from(vec![0xb0 + i as u8; 48]),
                commission_bps: 500,
                self_stake: *stake,
            };
            register_validator(&v, sm, a.token, &reg).await.unwrap();
            validators.push(v);
        });
    }

    // called from a plain thread: the source brings its own runtime
    let source = JsonRpcL1Source::connect(&url, &a).unwrap();
    let head = source.head().unwrap();
    let latest = rt.block_on(owner.block(None)).unwrap();
    assert_eq!(head, L1Origin { number: latest.number.to(), hash: latest.hash });
    assert_eq!(source.block_hash(head.number).unwrap(), Some(head.hash));
    assert_eq!(source.block_hash(head.number + 1_000).unwrap(), None);
    let finalized = source.finalized().unwrap();
    assert!(finalized.number <= head.number);
    assert_eq!(source.block_hash(finalized.number).unwrap(), Some(finalized.hash));

    let before = source.validator_set(head).unwrap();
    let (expected, expected_hash) = rt.block_on(contract_set(&owner, sm, head.number));
    assert_eq!(as_tuples(&before), expected);
    assert_eq!(before.hash(), expected_hash);
    // top 3 of 4 by stake: validator 1 (the smallest) is out
    assert_eq!(before.len(), 3);
    assert!(before.members().iter().all(|m| m.validator != validators[1].address()));
    assert_eq!(before.total_stake(), stakes[0] + stakes[2] + stakes[3]);

    // a delegation lifts validator 1 above validator 3 at a later block
    rt.block_on(async {
        let d = owner.with_signer(accounts[5].clone()).await.unwrap();
        owner
            .send_call(
                a.token,
                SECToken::transferCall { to: d.address(), value: sec(1_000) },
                U256::ZERO,
            )
            .await
            .unwrap();
        delegate(&d, sm, a.token, validators[1].address(), sec(1_000)).await.unwrap();
    });
    let later = source.head().unwrap();
    assert!(later.number > head.number);
    let after = source.validator_set(later).unwrap();
    let (expected, expected_hash) = rt.block_on(contract_set(&owner, sm, later.number));
    assert_eq!(as_tuples(&after), expected);
    assert_eq!(after.hash(), expected_hash);
    assert_ne!(after.hash(), before.hash());
    let v1 = after
        .members()
        .iter()
        .find(|m| m.validator == validators[1].address())
        .expect("validator 1 is in");
    assert_eq!(v1.stake, stakes[1] + sec(1_000));
    assert!(after.members().iter().all(|m| m.validator != validators[3].address()));
    // the earlier origin still gives the earlier set
    assert_eq!(source.validator_set(head).unwrap(), before);

    // an origin whose hash is not the canonical block at its number is refused
    let forged = L1Origin { number: head.number, hash: B256::repeat_byte(0x99) };
    assert_eq!(source.validator_set(forged).unwrap_err(), L1Error::NotCanonical(forged));
    assert_eq!(source.deposits(0, 0, forged).unwrap_err(), L1Error::NotCanonical(forged));
    assert_eq!(source.deposits(0, 0, later).unwrap(), vec![], "no deposit was made");
    assert_eq!(source.last_checkpoint().unwrap(), 0);
    assert_eq!(source.checkpoint(1, &[0]).unwrap(), None);
    let future = L1Origin { number: later.number + 50, hash: later.hash };
    assert_eq!(source.validator_set(future).unwrap_err(), L1Error::NotCanonical(future));
}
