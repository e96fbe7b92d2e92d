//! `eth_getProof` answers verify against the block's state root.

use alloy::{rpc::types::EIP1186AccountProofResponse, sol_types::SolCall};
use alloy_primitives::{Address, B256, U256, keccak256};
use alloy_trie::{Nibbles, TrieAccount, proof::verify_proof};
use serde_json::json;

use crate::common::*;

fn verify(root: B256, p: &EIP1186AccountProofResponse) {
    let account = TrieAccount {
        nonce: p.nonce,
        balance: p.balance,
        storage_root: p.storage_hash,
        code_hash: p.code_hash,
    };
    let exists =
        !(p.nonce == 0 && p.balance.is_zero() && p.code_hash == alloy_primitives::KECCAK256_EMPTY);
    let expected = exists.then(|| alloy_rlp::encode(account));
    verify_proof(root, Nibbles::unpack(keccak256(p.address)), expected, &p.account_proof)
        .expect("account proof");
    for s in &p.storage_proof {
        let key = keccak256(s.key.as_b256());
        let expected = (!s.value.is_zero()).then(|| alloy_rlp::encode(s.value));
        verify_proof(p.storage_hash, Nibbles::unpack(key), expected, &s.proof)
            .expect("storage proof");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn proofs_verify_against_the_state_root() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(TestNode::config(dir.path(), 1)).await;
    let rpc = node.rpc(0);
    let cid = node.chain_id(0);
    let probe = deploy_probe(&rpc, cid).await;
    let key = dev_key(0);
    for v in [5u64, 6, 7] {
        let nonce = rpc.nonce(key.address()).await;
        let data = setCall { v: U256::from(v) }.abi_encode();
        rpc.send_and_wait(&Tx::call(cid, nonce, probe, data.into()).eip1559(&key)).await;
    }
    let block = rpc.call("eth_getBlockByNumber", vec!["latest".into(), false.into()]).await;
    let root: B256 = serde_json::from_value(block["stateRoot"].clone()).unwrap();
    // slot 0 = value; slots[v] lives at keccak(v . 1); one absent slot.
    let mapping_slot = |v: u64| {
        keccak256(
            [U256::from(v).to_be_bytes::<32>(), U256::from(1u64).to_be_bytes::<32>()].concat(),
        )
    };
    let slots = vec![B256::ZERO, mapping_slot(5), mapping_slot(7), B256::repeat_byte(0xee)];
    let p: EIP1186AccountProofResponse = serde_json::from_value(
        rpc.call("eth_getProof", vec![json!(probe), json!(slots), "latest".into()]).await,
    )
    .unwrap();
    assert_eq!(p.storage_proof[0].value, U256::from(7u64));
    assert_eq!(p.storage_proof[1].value, U256::from(6u64));
    assert_eq!(p.storage_proof[3].value, U256::ZERO);
    verify(root, &p);
    // An externally owned account and an account that does not exist.
    for who in [key.address(), Address::repeat_byte(0xab)] {
        let p: EIP1186AccountProofResponse = serde_json::from_value(
            rpc.call("eth_getProof", vec![json!(who), json!([]), "latest".into()]).await,
        )
        .unwrap();
        verify(root, &p);
    }
    // A proof with a wrong balance does not verify.
    let mut forged = p;
    forged.balance += U256::from(1u64);
    let account = TrieAccount {
        nonce: forged.nonce,
        balance: forged.balance,
        storage_root: forged.storage_hash,
        code_hash: forged.code_hash,
    };
    assert!(
        verify_proof(
            root,
            Nibbles::unpack(keccak256(forged.address)),
            Some(alloy_rlp::encode(account)),
            &forged.account_proof
        )
        .is_err()
    );
}

/// Proofs at earlier blocks, within the node's window, verify against those blocks' state
/// roots and give the values of then; older blocks are refused with the oldest one kept.
#[tokio::test(flavor = "multi_thread")]
async fn proofs_at_recent_blocks_verify_against_their_roots() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = TestNode::config(dir.path(), 1);
    config.rpc.proof_window = 6;
    let node = TestNode::start(config).await;
    let rpc = node.rpc(0);
    let cid = node.chain_id(0);
    let probe = deploy_probe(&rpc, cid).await;
    let key = dev_key(0);
    // slot 0 is 5, 6, then 7, each in its own block (a block per transaction here)
    let mut blocks = Vec::new();
    for v in [5u64, 6, 7] {
        let nonce = rpc.nonce(key.address()).await;
        let data = setCall { v: U256::from(v) }.abi_encode();
        let receipt =
            rpc.send_and_wait(&Tx::call(cid, nonce, probe, data.into()).eip1559(&key)).await;
        blocks.push((v, receipt["blockNumber"].clone()));
    }
    // the storage stays as it is in later blocks; the sender's nonce keeps moving
    for _ in 0..2 {
        let nonce = rpc.nonce(key.address()).await;
        let to = Address::repeat_byte(0x77);
        rpc.send_and_wait(&Tx::transfer(cid, nonce, to, U256::from(1u64)).eip1559(&key)).await;
    }
    for (v, number) in &blocks {
        let block = rpc.call("eth_getBlockByNumber", vec![number.clone(), false.into()]).await;
        let root: B256 = serde_json::from_value(block["stateRoot"].clone()).unwrap();
        let p: EIP1186AccountProofResponse = serde_json::from_value(
            rpc.call("eth_getProof", vec![json!(probe), json!(["0x0"]), number.clone()]).await,
        )
        .unwrap();
        assert_eq!(p.storage_proof[0].value, U256::from(*v), "at block {number}");
        verify(root, &p);
        let p: EIP1186AccountProofResponse = serde_json::from_value(
            rpc.call("eth_getProof", vec![json!(key.address()), json!([]), number.clone()]).await,
        )
        .unwrap();
        verify(root, &p);
    }
    // the window of 6 holds the deployment's block and the 5 after it, not the one before
    let first = blocks[0].1.as_str().and_then(|n| u64::from_str_radix(&n[2..], 16).ok());
    let old = format!("{:#x}", first.unwrap() - 2);
    let err = rpc.try_call("eth_getProof", vec![json!(probe), json!(["0x0"]), json!(old)]).await;
    let err = err.unwrap_err();
    assert!(err.message().contains("proofs are kept for the latest blocks only"), "{err:?}");
}
