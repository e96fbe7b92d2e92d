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
