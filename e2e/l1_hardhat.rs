//! The Ethereum side on a node this project did not write (hardhat's): `sec l1-deploy`, then
//! every bridge operation through `sec-bridge` — deposits of each kind, validator
//! registration, a checkpoint signed by the validators, and a withdrawal finalized exactly
//! once — with each money rule's refusal checked on the way.

use std::process::Command;

use alloy::{
    signers::local::PrivateKeySigner,
    sol_types::{SolConstructor, SolType, SolValue, sol_data},
};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, keccak256};
use sec_bridge::{
    BridgeError, L1Client, L1Deployment, check_deployment,
    checkpoint::{last_checkpoint_id, sign_checkpoint_by, submit_checkpoint},
    deposit::{self, IERC20, KIND_ERC20, KIND_ETH, KIND_SEC},
    staking::{Registration, active_signers, register_validator},
    withdrawal::{WithdrawalSet, finalize_withdrawal, is_finalized},
};
use sec_contracts::{
    bindings::{
        CheckpointManager::{self, Checkpoint, DomainState},
        L1Bridge, SECToken, StakeManager, VestingVault,
        test::{fee_on_transfer_token::FeeOnTransferToken, test_token::TestToken},
    },
    predeploy::L2_BRIDGE,
};
use sec_primitives::{DEV_MNEMONIC, dev_signers, message::Withdrawal};

use crate::common::*;

/// hardhat's account 0.
const KEY0: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

fn l1_deploy(url: &str, out: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sec"))
        .args(["l1-deploy", "--l1-rpc", url, "--key", KEY0, "--out"])
        .arg(out)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run sec l1-deploy")
}

#[tokio::test(flavor = "multi_thread")]
async fn l1_deploy_and_bridge_on_hardhat() {
    let hardhat = HardhatNode::start();
    let url = hardhat.url();
    let dir = tempfile::tempdir().unwrap();

    // ---------------------------------------------------------------- sec l1-deploy
    let out_file = dir.path().join("l1.json");
    let out = l1_deploy(&url, &out_file);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "l1-deploy failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let deployment = L1Deployment::load(&out_file).unwrap();
    let accounts = dev_signers(DEV_MNEMONIC, 6).unwrap();
    assert_eq!(deployment.chain_id, 31337);
    assert_eq!(deployment.deployer, accounts[0].address());
    assert_eq!(deployment.contracts.len(), 11);
    for c in &deployment.contracts {
        assert!(stdout.contains(&c.address.to_string()), "{} not printed:\n{stdout}", c.name);
        assert!(c.block >= deployment.block);
    }
    let a = deployment.addresses;
    assert_eq!(deployment.contracts[0].address, a.token);
    assert_eq!(deployment.contracts[10].address, a.l1_bridge);

    let owner = L1Client::connect(&url, accounts[0].clone()).await.unwrap();
    // the file's code hashes are what the chain holds; a tampered file is caught
    check_deployment(&owner, &deployment).await.unwrap();
    let mut tampered = deployment.clone();
    tampered.contracts[3].code_hash = B256::repeat_byte(1);
    let err = check_deployment(&owner, &tampered).await.unwrap_err();
    assert!(
        matches!(err, BridgeError::CodeMismatch { address, .. } if address == a.foundation_vault),
        "{err}"
    );
    // the whole supply was minted into the allocation contracts
    assert_eq!(
        owner.view(a.token, SECToken::totalSupplyCall {}).await.unwrap(),
        sec(1_500_000_000)
    );
    assert_eq!(
        owner.view(a.token, SECToken::balanceOfCall { account: a.presale }).await.unwrap(),
        sec(495_000_000)
    );

    // the owner (angel beneficiary in devnet) takes the T0 tranche: 52.5M SEC
    owner.send_call(a.angel_vault, VestingVault::releaseCall {}, U256::ZERO).await.unwrap();
    let owner_sec =
        owner.view(a.token, SECToken::balanceOfCall { account: owner.address() }).await.unwrap();
    assert_eq!(owner_sec, sec(52_500_000));

    // ---------------------------------------------------------------- deposits
    let l2_user = Address::repeat_byte(0x42);
    let first_block = owner.block_number().await.unwrap() + 1;
    let bridge_eth_before = owner.balance(a.l1_bridge).await.unwrap();
    let d_eth = deposit::deposit_eth(&owner, a.l1_bridge, 1, l2_user, sec(3)).await.unwrap();
    assert_eq!(
        (d_eth.kind, d_eth.token, d_eth.amount, d_eth.domain),
        (KIND_ETH, Address::ZERO, sec(3), 1)
    );
    assert_eq!(owner.balance(a.l1_bridge).await.unwrap(), bridge_eth_before + sec(3));

    let d_sec =
        deposit::deposit_sec(&owner, a.l1_bridge, a.token, 2, l2_user, sec(1_000)).await.unwrap();
    assert_eq!(
        (d_sec.kind, d_sec.token, d_sec.amount, d_sec.nonce),
        (KIND_SEC, a.token, sec(1_000), d_eth.nonce + 1)
    );

    // an ERC-20 from the test artifacts
    let init: Bytes = [
        TestToken::BYTECODE.to_vec(),
        TestToken::constructorCall { n: "Test Dollar".into(), s: "TUSD".into() }.abi_encode(),
    ]
    .concat()
    .into();
    let receipt = owner.send(TxKind::Create, init, U256::ZERO).await.unwrap();
    let tusd = receipt.contract_address.unwrap();
    owner
        .send_call(tusd, TestToken::mintCall { to: owner.address(), amount: sec(500) }, U256::ZERO)
        .await
        .unwrap();
    let d_erc =
        deposit::deposit_erc20(&owner, a.l1_bridge, tusd, 3, l2_user, sec(200)).await.unwrap();
    assert_eq!((d_erc.kind, d_erc.token, d_erc.amount), (KIND_ERC20, tusd, sec(200)));
    let (name, symbol, decimals) =
        <(sol_data::String, sol_data::String, sol_data::Uint<8>) as SolType>::abi_decode_params(
            &d_erc.token_metadata,
        )
        .unwrap();
    assert_eq!((name.as_str(), symbol.as_str(), decimals), ("Test Dollar", "TUSD", 18));
    assert_eq!(
        owner.view(tusd, IERC20::balanceOfCall { account: a.l1_bridge }).await.unwrap(),
        sec(200)
    );

    // a fee-on-transfer token: the deposit credits what arrived (99%), not what was sent
    let fee_token = owner
        .send(TxKind::Create, FeeOnTransferToken::BYTECODE.clone(), U256::ZERO)
        .await
        .unwrap()
        .contract_address
        .unwrap();
    owner
        .send_call(
            fee_token,
            FeeOnTransferToken::mintCall { to: owner.address(), amount: sec(100) },
            U256::ZERO,
        )
        .await
        .unwrap();
    let d_fee =
        deposit::deposit_erc20(&owner, a.l1_bridge, fee_token, 0, l2_user, sec(100)).await.unwrap();
    assert_eq!(d_fee.amount, sec(99));
    assert_eq!(
        owner.view(fee_token, IERC20::balanceOfCall { account: a.l1_bridge }).await.unwrap(),
        sec(99)
    );

    // refusals: nothing is sent, so the nonce does not move
    let nonce = owner.next_nonce().await;
    let err = deposit::deposit_eth(&owner, a.l1_bridge, 4, l2_user, sec(1)).await.unwrap_err();
    assert_eq!(err.revert_as::<L1Bridge::UnknownDomain>().map(|e| e.domain), Some(4), "{err}");
    let err = deposit::deposit_eth(&owner, a.l1_bridge, 0, l2_user, U256::ZERO).await.unwrap_err();
    assert!(err.revert_as::<L1Bridge::ZeroAmount>().is_some(), "{err}");
    let err =
        deposit::deposit_eth(&owner, a.l1_bridge, 0, Address::ZERO, sec(1)).await.unwrap_err();
    assert!(err.revert_as::<L1Bridge::ZeroAddress>().is_some(), "{err}");
    let err =
        deposit::deposit_erc20(&owner, a.l1_bridge, a.token, 0, l2_user, sec(1)).await.unwrap_err();
    assert!(err.revert_as::<L1Bridge::UseDepositSEC>().is_some(), "{err}");
    let err = deposit::deposit_erc20(&owner, a.l1_bridge, tusd, 0, l2_user, sec(1_000))
        .await
        .unwrap_err();
    assert!(matches!(err, BridgeError::Reverted { .. }), "more than the balance: {err}");
    // the two ERC-20 refusals each sent an approval (the allowance was short), no deposit
    assert_eq!(owner.next_nonce().await, nonce + 2, "only the two approvals were sent");

    // the watcher's view: exactly the four deposits, in order
    let latest = owner.block_number().await.unwrap();
    let seen = deposit::deposits(&owner, a.l1_bridge, None, first_block, latest).await.unwrap();
    assert_eq!(seen, vec![d_eth.clone(), d_sec.clone(), d_erc.clone(), d_fee.clone()]);
    assert_eq!(seen.iter().map(|d| d.nonce).collect::<Vec<_>>(), vec![1, 2, 3, 4]);

    // ---------------------------------------------------------------- validators
    let signer_keys: Vec<PrivateKeySigner> = (1..=4u64)
        .map(|i| {
            PrivateKeySigner::from_bytes(&keccak256(format!("sec e2e validator {i}"))).unwrap()
        })
        .collect();
    let min_stake = owner.view(a.stake_manager, StakeManager::minSelfStakeCall {}).await.unwrap();
    let mut validators = Vec::new();
    let mut last_registration = 0;
    for (i, signer) in signer_keys.iter().enumerate() {
        let v = owner.with_signer(accounts[i + 1].clone()).await.unwrap();
        let stake = min_stake + sec(i as u64);
        owner
            .send_call(
                a.token,
                SECToken::transferCall { to: v.address(), value: stake * U256::from(2) },
                U256::ZERO,
            )
            .await
            .unwrap();
        let reg = Registration {
            signer: signer.clone(),
            bls_key: Bytes::from(vec![0xb1; 48]),
            commission_bps: 500,
            self_stake: stake,
        };
        if i == 0 {
            // below the minimum self-stake is refused
            let low = Registration { self_stake: min_stake - U256::from(1), ..reg.clone() };
            let err = register_validator(&v, a.stake_manager, a.token, &low).await.unwrap_err();
            let e = err
                .revert_as::<StakeManager::BelowMinSelfStake>()
                .unwrap_or_else(|| panic!("{err}"));
            assert_eq!(e.minimum, min_stake);
        }
        let receipt = register_validator(&v, a.stake_manager, a.token, &reg).await.unwrap();
        last_registration = receipt.block();
        validators.push(v);
    }
    // registering twice, or with another's signer key, is refused
    let again = Registration {
        signer: signer_keys[0].clone(),
        bls_key: Bytes::from(vec![0xb1; 48]),
        commission_bps: 0,
        self_stake: min_stake,
    };
    let err =
        register_validator(&validators[0], a.stake_manager, a.token, &again).await.unwrap_err();
    assert!(err.revert_as::<StakeManager::AlreadyRegistered>().is_some(), "{err}");
    let outsider = owner.with_signer(accounts[5].clone()).await.unwrap();
    let err = register_validator(&outsider, a.stake_manager, a.token, &again).await.unwrap_err();
    assert!(err.revert_as::<StakeManager::SignerTaken>().is_some(), "{err}");

    let set = active_signers(&owner, a.stake_manager, None).await.unwrap();
    // at the block before the last registration, the set had three validators
    let earlier =
        active_signers(&owner, a.stake_manager, Some(last_registration - 1)).await.unwrap();
    assert_eq!(earlier.signers.len(), 3);
    assert!(!earlier.signers.contains(&signer_keys[3].address()));
    let mut expected_signers: Vec<Address> = signer_keys.iter().map(|s| s.address()).collect();
    expected_signers.sort();
    assert_eq!(set.signers, expected_signers);
    assert_eq!(set.total, min_stake * U256::from(4) + sec(6));

    // ---------------------------------------------------------------- checkpoint
    let eth_recipient = Address::repeat_byte(0xe1);
    let sec_recipient = Address::repeat_byte(0xe2);
    let withdrawals = vec![
        Withdrawal {
            src_domain: 1,
            nonce: 1,
            sender: l2_user,
            recipient: eth_recipient,
            l1_token: Address::ZERO,
            amount: sec(2),
        },
        Withdrawal {
            src_domain: 2,
            nonce: 1,
            sender: l2_user,
            recipient: sec_recipient,
            l1_token: a.token,
            amount: sec(400),
        },
        Withdrawal {
            src_domain: 3,
            nonce: 1,
            sender: l2_user,
            recipient: sec_recipient,
            l1_token: tusd,
            amount: sec(50),
        },
    ];
    let tree = WithdrawalSet::new(&withdrawals, L2_BRIDGE, a.token);
    let id = last_checkpoint_id(&owner, a.checkpoint_manager).await.unwrap() + 1;
    assert_eq!(id, 1);
    // the set that signs is recorded on StakeManager first, under the hash checkpoints carry
    let (set_hash, recorded) =
        sec_bridge::staking::record_active_set(&owner, a.stake_manager).await.unwrap();
    assert_eq!(recorded, set);
    assert_eq!(set_hash, keccak256((set.signers.clone(), set.stakes.clone()).abi_encode_params()));
    let cp = Checkpoint {
        id,
        domains: (0..4u32)
            .map(|d| DomainState {
                domain: d,
                blockNumber: 10 + d as u64,
                blockHash: keccak256(format!("block {d}")),
                stateRoot: keccak256(format!("state {d}")),
            })
            .collect(),
        withdrawalRoot: tree.root(),
        validatorSetHash: set_hash,
    };
    let cm = a.checkpoint_manager;
    // two of four (about half the stake) is not a quorum
    let half = sign_checkpoint_by(31337, cm, &cp, &signer_keys[..2]).unwrap();
    let err = submit_checkpoint(&owner, cm, &cp, half).await.unwrap_err();
    assert!(err.revert_as::<CheckpointManager::InsufficientStake>().is_some(), "{err}");
    // unsorted signers are refused
    let mut unsorted = sign_checkpoint_by(31337, cm, &cp, &signer_keys).unwrap();
    unsorted.swap(0, 1);
    let err = submit_checkpoint(&owner, cm, &cp, unsorted).await.unwrap_err();
    assert!(err.revert_as::<CheckpointManager::SignersNotSorted>().is_some(), "{err}");
    // signatures for another chain id recover to other addresses: refused
    let foreign = sign_checkpoint_by(1, cm, &cp, &signer_keys).unwrap();
    let err = submit_checkpoint(&owner, cm, &cp, foreign).await.unwrap_err();
    assert!(err.revert_as::<CheckpointManager::InvalidSignature>().is_some(), "{err}");

    let sigs = sign_checkpoint_by(31337, cm, &cp, &signer_keys).unwrap();
    let submitted = submit_checkpoint(&owner, cm, &cp, sigs.clone()).await.unwrap();
    assert_eq!(submitted.id, 1);
    assert_eq!(submitted.withdrawal_root, tree.root());
    assert_eq!(submitted.signed_stake, set.total);
    // the same id again is not consecutive
    let err = submit_checkpoint(&owner, cm, &cp, sigs).await.unwrap_err();
    let e =
        err.revert_as::<CheckpointManager::NonConsecutiveId>().unwrap_or_else(|| panic!("{err}"));
    assert_eq!((e.expected, e.got), (2, 1));

    // ---------------------------------------------------------------- withdrawals
    // a relayer (not the recipient) pays the gas, so the recipient's balance moves by the amount
    let relayer = owner.with_signer(accounts[5].clone()).await.unwrap();
    let w_eth = &withdrawals[0];
    let h_eth = w_eth.hash(L2_BRIDGE, false);
    let proof = tree.proof(h_eth).unwrap();
    assert_eq!(owner.balance(eth_recipient).await.unwrap(), U256::ZERO);

    // a proof against the wrong checkpoint or a forged proof is refused before sending
    let err = finalize_withdrawal(&relayer, a.l1_bridge, cm, w_eth, 1, vec![B256::repeat_byte(9)])
        .await
        .unwrap_err();
    assert!(matches!(err, BridgeError::InvalidProof { checkpoint_id: 1, .. }), "{err}");
    let mut inflated = w_eth.clone();
    inflated.amount = sec(3);
    let err = finalize_withdrawal(&relayer, a.l1_bridge, cm, &inflated, 1, proof.clone())
        .await
        .unwrap_err();
    assert!(matches!(err, BridgeError::InvalidProof { .. }), "{err}");

    let paid =
        finalize_withdrawal(&relayer, a.l1_bridge, cm, w_eth, 1, proof.clone()).await.unwrap();
    assert!(paid.paid);
    assert_eq!((paid.withdrawal_hash, paid.recipient, paid.amount), (h_eth, eth_recipient, sec(2)));
    assert_eq!(owner.balance(eth_recipient).await.unwrap(), sec(2));
    assert!(is_finalized(&owner, a.l1_bridge, h_eth).await.unwrap());
    let relayer_nonce = relayer.next_nonce().await;
    let err = finalize_withdrawal(&relayer, a.l1_bridge, cm, w_eth, 1, proof).await.unwrap_err();
    let e = err.revert_as::<L1Bridge::AlreadyFinalized>().unwrap_or_else(|| panic!("{err}"));
    assert_eq!(e.withdrawalHash, h_eth);
    assert_eq!(owner.balance(eth_recipient).await.unwrap(), sec(2), "paid exactly once");
    assert_eq!(relayer.next_nonce().await, relayer_nonce, "the refused finalize was not sent");

    // SEC and the ERC-20 are paid from what the deposits locked
    for w in &withdrawals[1..] {
        let h = w.hash(L2_BRIDGE, w.l1_token == a.token);
        let before =
            owner.view(w.l1_token, IERC20::balanceOfCall { account: w.recipient }).await.unwrap();
        let done = finalize_withdrawal(&relayer, a.l1_bridge, cm, w, 1, tree.proof(h).unwrap())
            .await
            .unwrap();
        assert!(done.paid);
        let after =
            owner.view(w.l1_token, IERC20::balanceOfCall { account: w.recipient }).await.unwrap();
        assert_eq!(after - before, w.amount);
    }
    assert_eq!(
        owner.view(tusd, IERC20::balanceOfCall { account: a.l1_bridge }).await.unwrap(),
        sec(150)
    );
    // an unknown checkpoint is refused by the contract
    let err = finalize_withdrawal(&relayer, a.l1_bridge, cm, w_eth, 7, vec![]).await.unwrap_err();
    assert!(matches!(err, BridgeError::UnknownCheckpoint(7)), "{err}");

    // a second deployment on the same chain from the same key works from the next nonce
    let second = dir.path().join("l1-second.json");
    let out = l1_deploy(&url, &second);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let again = L1Deployment::load(&second).unwrap();
    assert_ne!(again.addresses.token, a.token);
    check_deployment(&owner, &again).await.unwrap();
    drop(hardhat);
}
