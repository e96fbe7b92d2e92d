//! Block hashes, roots, tags and the SEC extension, checked the way an independent client would.

use alloy::{
    consensus::{TxEnvelope, proofs::calculate_transaction_root},
    eips::eip2718::Decodable2718,
    rpc::types::{Block, TransactionReceipt},
};
use alloy_primitives::{Address, B256, U256, keccak256};
use sec_primitives::SecExtension;
use serde_json::{Value, json};

use crate::common::*;

#[tokio::test(flavor = "multi_thread")]
async fn block_hash_is_keccak_of_rlp_header_and_roots_match() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(TestNode::config(dir.path(), 2)).await;
    let rpc = node.rpc(1);
    let cid = node.chain_id(1);
    let key = dev_key(0);
    let to = Address::repeat_byte(7);
    let one = U256::from(1u64);
    // One block with each transaction type, plus a contract deployment.
    rpc.send_and_wait(&Tx::transfer(cid, 0, to, one).eip1559(&key)).await;
    rpc.send_and_wait(&Tx::transfer(cid, 1, to, one).legacy(&key)).await;
    rpc.send_and_wait(&Tx::transfer(cid, 2, to, one).eip2930(&key)).await;
    deploy_probe(&rpc, cid).await;

    let head = quantity(&rpc.call("eth_blockNumber", vec![]).await);
    assert!(head >= 4);
    for n in 0..=head {
        let v = rpc.call("eth_getBlockByNumber", vec![format!("{n:#x}").into(), true.into()]).await;
        let block: Block = serde_json::from_value(v.clone()).unwrap();
        let hash = block.header.hash;
        // The hash any client computes from the header it was given.
        assert_eq!(block.header.inner.hash_slow(), hash, "block {n}");
        assert_eq!(
            rpc.call("eth_getBlockByHash", vec![hash.to_string().into(), true.into()]).await,
            v
        );
        // The transactions root from the transactions.
        let txs: Vec<TxEnvelope> =
            block.transactions.txns().map(|t| t.inner.inner().clone()).collect();
        assert_eq!(calculate_transaction_root(&txs), block.header.transactions_root);
        for t in &txs {
            let encoded = alloy::eips::eip2718::Encodable2718::encoded_2718(t);
            assert_eq!(TxEnvelope::decode_2718_exact(encoded.as_slice()).unwrap(), *t);
        }
        // The receipts root from the receipts.
        let receipts: Vec<TransactionReceipt> = serde_json::from_value(
            rpc.call("eth_getBlockReceipts", vec![format!("{n:#x}").into()]).await,
        )
        .unwrap();
        let consensus: Vec<_> =
            receipts.iter().map(|r| r.inner.clone().map_logs(|l| l.inner)).collect();
        assert_eq!(
            alloy::consensus::proofs::calculate_receipt_root(&consensus),
            block.header.receipts_root
        );
        // extraData commits to the extension that sec_getBlockExtension serves.
        let ext: SecExtension = serde_json::from_value(
            rpc.call("sec_getBlockExtension", vec![format!("{n:#x}").into()]).await,
        )
        .unwrap();
        assert_eq!(ext.domain, 1);
        assert_eq!(block.header.extra_data.as_ref(), ext.commitment().as_slice());
        if n > 0 {
            let parent: Block = serde_json::from_value(
                rpc.call(
                    "eth_getBlockByNumber",
                    vec![format!("{:#x}", n - 1).into(), false.into()],
                )
                .await,
            )
            .unwrap();
            assert_eq!(block.header.parent_hash, parent.header.hash);
            assert!(block.header.timestamp > parent.header.timestamp);
            // mixHash chains the producer's signature over (domain, height) onto the parent's.
            assert_ne!(block.header.mix_hash, parent.header.mix_hash);
        }
        assert_eq!(
            quantity(
                &rpc.call("eth_getBlockTransactionCountByNumber", vec![format!("{n:#x}").into()])
                    .await
            ),
            txs.len() as u64
        );
    }
    let _ = keccak256([]);
}

#[tokio::test(flavor = "multi_thread")]
async fn tags_and_eip1898_ids() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(TestNode::config(dir.path(), 1)).await;
    let rpc = node.rpc(0);
    let cid = node.chain_id(0);
    let key = dev_key(0);
    let r = rpc
        .send_and_wait(
            &Tx::transfer(cid, 0, Address::repeat_byte(9), U256::from(5u64)).eip1559(&key),
        )
        .await;
    let number = r["blockNumber"].clone();
    let hash = r["blockHash"].clone();
    let latest = rpc.call("eth_getBlockByNumber", vec!["latest".into(), false.into()]).await;
    for tag in ["pending", "safe", "finalized"] {
        let b = rpc.call("eth_getBlockByNumber", vec![tag.into(), false.into()]).await;
        assert_eq!(b["number"], latest["number"], "{tag}");
    }
    let earliest = rpc.call("eth_getBlockByNumber", vec!["earliest".into(), false.into()]).await;
    assert_eq!(earliest["number"], "0x0");
    assert_eq!(
        rpc.call("eth_getBlockByNumber", vec!["0xffff".into(), false.into()]).await,
        Value::Null
    );
    let by_hash = json!({ "blockHash": hash });
    let by_number = json!({ "blockNumber": number });
    let addr = json!(Address::repeat_byte(9));
    assert_eq!(rpc.call("eth_getBalance", vec![addr.clone(), by_hash]).await, "0x5");
    assert_eq!(rpc.call("eth_getBalance", vec![addr.clone(), by_number]).await, "0x5");
    // State before the transfer, read from history.
    assert_eq!(rpc.call("eth_getBalance", vec![addr, "0x0".into()]).await, "0x0");
    let unknown = json!({ "blockHash": B256::repeat_byte(1) });
    let e = rpc.try_call("eth_getBalance", vec![json!(Address::ZERO), unknown]).await.unwrap_err();
    assert_eq!((e.code(), e.message()), (-32000, "header not found"));
}

#[tokio::test(flavor = "multi_thread")]
async fn domains_are_separate_chains() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(TestNode::config(dir.path(), 3)).await;
    let key = dev_key(2);
    for d in 0..3 {
        assert_eq!(quantity(&node.rpc(d).call("eth_chainId", vec![]).await), node.chain_id(d));
        assert_eq!(node.rpc(d).call("net_version", vec![]).await, node.chain_id(d).to_string());
    }
    // A transaction signed for domain 0 is refused by domain 2 (replay protection).
    let raw =
        Tx::transfer(node.chain_id(0), 0, Address::repeat_byte(1), U256::from(1u64)).eip1559(&key);
    let e = node.rpc(2).send(&raw).await.unwrap_err();
    assert!(e.message().starts_with("invalid chain id for signer"), "{e:?}");
    node.rpc(0).send_and_wait(&raw).await;
    let bal = |d: u32| {
        let rpc = node.rpc(d);
        async move {
            rpc.call("eth_getBalance", vec![json!(Address::repeat_byte(1)), "latest".into()]).await
        }
    };
    assert_eq!(bal(0).await, "0x1");
    assert_eq!(bal(2).await, "0x0");
    // The system contracts are in every domain's genesis, at the same addresses.
    for d in 0..3 {
        for a in [
            sec_contracts::predeploy::CROSS_DOMAIN,
            sec_contracts::predeploy::L2_BRIDGE,
            sec_contracts::predeploy::L2_TOKEN_FACTORY,
        ] {
            let code = node.rpc(d).call("eth_getCode", vec![json!(a), "0x0".into()]).await;
            assert!(code.as_str().unwrap().len() > 100, "no code at {a} in domain {d}");
        }
    }
    let domains = node.rpc(1).call("sec_domains", vec![]).await;
    assert_eq!(domains.as_array().unwrap().len(), 3);
    assert_eq!(domains[2]["path"], "/domain/2");
    assert_eq!(domains[2]["chainId"], format!("{:#x}", node.chain_id(2)));
}

/// Every block's `mixHash` mixes in its producer's BLS signature over (domain, height), which
/// verifies against the producer's key, and PREVRANDAO returns it.
#[tokio::test(flavor = "multi_thread")]
async fn block_randomness_is_the_producers_bls_signature_and_prevrandao_returns_it() {
    use sec_primitives::randomness::{self, RandaoKey};
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(TestNode::config(dir.path(), 2)).await;
    let rpc = node.rpc(1);
    let cid = node.chain_id(1);
    for nonce in 0..3 {
        rpc.send_and_wait(
            &Tx::transfer(cid, nonce, Address::repeat_byte(9), U256::from(1u64))
                .eip1559(&dev_key(0)),
        )
        .await;
    }
    let producer =
        RandaoKey::from_ecdsa_secret(dev_key(20).to_bytes().as_slice()).unwrap().public_key();
    let head = quantity(&rpc.call("eth_blockNumber", vec![]).await);
    let mix = |b: &Value| -> B256 { serde_json::from_value(b["mixHash"].clone()).unwrap() };
    let mut parent = rpc.call("eth_getBlockByNumber", vec![json!("0x0"), json!(false)]).await;
    // PREVRANDAO of a call at a block: bytecode `PREVRANDAO PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN`
    let reader = Address::repeat_byte(0x44);
    let code = "0x4460005260206000f3";
    for n in 1..=head {
        let block =
            rpc.call("eth_getBlockByNumber", vec![json!(format!("{n:#x}")), json!(false)]).await;
        let ext: SecExtension = serde_json::from_value(
            rpc.call("sec_getBlockExtension", vec![json!(format!("{n:#x}"))]).await,
        )
        .unwrap();
        assert_eq!(ext.randomness.len(), 96);
        randomness::verify(&producer, 53500, 1, n, &ext.randomness, mix(&parent), mix(&block))
            .unwrap_or_else(|e| panic!("block {n}: {e}"));
        // another domain's block at the same height is another value
        assert!(
            randomness::verify(&producer, 53500, 0, n, &ext.randomness, mix(&parent), mix(&block))
                .is_err()
        );
        let out = rpc
            .call(
                "eth_call",
                vec![
                    json!({ "to": reader }),
                    json!(format!("{n:#x}")),
                    json!({ reader.to_string(): { "code": code } }),
                ],
            )
            .await;
        assert_eq!(serde_json::from_value::<B256>(out).unwrap(), mix(&block), "PREVRANDAO at {n}");
        parent = block;
    }
}
