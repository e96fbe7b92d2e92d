//! The smaller methods, each checked against what the specification says it returns.

use alloy::{
    consensus::{SignableTransaction, TxEip7702, TxEnvelope},
    eips::{eip2718::Encodable2718, eip7702::Authorization},
    signers::SignerSync,
    sol_types::SolCall,
};
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use serde_json::{Value, json};

use crate::common::*;

#[tokio::test(flavor = "multi_thread")]
async fn small_methods() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(TestNode::config(dir.path(), 1)).await;
    let rpc = node.rpc(0);
    let cid = node.chain_id(0);
    assert_eq!(rpc.call("web3_sha3", vec!["0x68656c6c6f".into()]).await, json!(keccak256("hello")));
    assert!(rpc.call("web3_clientVersion", vec![]).await.as_str().unwrap().starts_with("sec/v"));
    assert_eq!(rpc.call("eth_syncing", vec![]).await, false);
    assert_eq!(rpc.call("net_listening", vec![]).await, true);
    assert_eq!(rpc.call("net_peerCount", vec![]).await, "0x0");
    assert_eq!(rpc.call("eth_accounts", vec![]).await, json!([]));

    let key = dev_key(4);
    let r = rpc
        .send_and_wait(
            &Tx::transfer(cid, 0, Address::repeat_byte(0x21), U256::from(9u64)).legacy(&key),
        )
        .await;
    let hash = r["transactionHash"].clone();
    let by_hash = rpc.call("eth_getTransactionByHash", vec![hash.clone()]).await;
    assert_eq!(by_hash["hash"], hash);
    assert_eq!(by_hash["from"], json!(key.address()));
    assert_eq!(by_hash["blockHash"], r["blockHash"]);
    assert_eq!(by_hash["type"], "0x0");
    assert_eq!(by_hash["chainId"], format!("{cid:#x}"));
    let by_index = rpc
        .call("eth_getTransactionByBlockHashAndIndex", vec![r["blockHash"].clone(), "0x0".into()])
        .await;
    assert_eq!(by_index, by_hash);
    let by_number = rpc
        .call(
            "eth_getTransactionByBlockNumberAndIndex",
            vec![r["blockNumber"].clone(), "0x0".into()],
        )
        .await;
    assert_eq!(by_number, by_hash);
    assert_eq!(
        rpc.call(
            "eth_getTransactionByBlockNumberAndIndex",
            vec![r["blockNumber"].clone(), "0x5".into()]
        )
        .await,
        Value::Null
    );
    assert_eq!(
        rpc.call("eth_getTransactionByHash", vec![json!(B256::repeat_byte(3))]).await,
        Value::Null
    );
    assert_eq!(
        rpc.call("eth_getTransactionReceipt", vec![json!(B256::repeat_byte(3))]).await,
        Value::Null
    );
    assert_eq!(
        rpc.call("eth_getBlockTransactionCountByHash", vec![r["blockHash"].clone()]).await,
        "0x1"
    );
    assert_eq!(rpc.call("eth_getUncleCountByBlockHash", vec![r["blockHash"].clone()]).await, "0x0");
    assert_eq!(
        rpc.call("eth_getUncleCountByBlockNumber", vec![r["blockNumber"].clone()]).await,
        "0x0"
    );
    assert_eq!(
        rpc.call("eth_getBlockByHash", vec![json!(B256::repeat_byte(3)), false.into()]).await,
        Value::Null
    );

    // A queued transaction shows in txpool_content and eth_getTransactionByHash (as pending).
    let queued = rpc
        .send(&Tx::transfer(cid, 3, Address::repeat_byte(0x21), U256::from(1u64)).eip1559(&key))
        .await
        .unwrap();
    let content = rpc.call("txpool_content", vec![]).await;
    let entry = &content["queued"][key.address().to_checksum(None)]["3"];
    assert_eq!(entry["hash"], json!(queued));
    assert_eq!(entry["blockHash"], Value::Null);
    assert_eq!(content["pending"], json!({}));
    let pending = rpc.call("eth_getTransactionByHash", vec![json!(queued)]).await;
    assert_eq!(pending["blockNumber"], Value::Null);
    assert_eq!(pending["nonce"], "0x3");
    // The pending nonce counts only the gapless run.
    assert_eq!(rpc.nonce(key.address()).await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn eip7702_delegation_runs_the_delegates_code() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(TestNode::config(dir.path(), 1)).await;
    let rpc = node.rpc(0);
    let cid = node.chain_id(0);
    let probe = deploy_probe(&rpc, cid).await;
    // Account 3 delegates its code to the probe; account 2 pays for the transaction.
    let eoa = dev_key(3);
    let payer = dev_key(2);
    let auth = Authorization { chain_id: U256::from(cid), address: probe, nonce: 0 };
    let sig = eoa.sign_hash_sync(&auth.signature_hash()).unwrap();
    let signed_auth = auth.into_signed(sig);
    let tx = TxEip7702 {
        chain_id: cid,
        nonce: 0,
        gas_limit: 300_000,
        max_fee_per_gas: 10 * GWEI,
        max_priority_fee_per_gas: GWEI,
        to: eoa.address(),
        value: U256::ZERO,
        access_list: Default::default(),
        authorization_list: vec![signed_auth],
        input: setCall { v: U256::from(77u64) }.abi_encode().into(),
    };
    let sig = payer.sign_hash_sync(&tx.signature_hash()).unwrap();
    let raw: Bytes = TxEnvelope::from(tx.into_signed(sig)).encoded_2718().into();
    let r = rpc.send_and_wait(&raw).await;
    assert_eq!(r["status"], "0x1", "{r}");
    assert_eq!(r["type"], "0x4");
    // The probe's code ran in the EOA's storage; the EOA's code is the delegation designator.
    let slot0 = rpc
        .call("eth_getStorageAt", vec![json!(eoa.address()), "0x0".into(), "latest".into()])
        .await;
    assert_eq!(slot0, json!(B256::from(U256::from(77u64))));
    let code: Bytes = serde_json::from_value(
        rpc.call("eth_getCode", vec![json!(eoa.address()), "latest".into()]).await,
    )
    .unwrap();
    assert_eq!(&code[..3], &[0xef, 0x01, 0x00]);
    assert_eq!(&code[3..], probe.as_slice());
    assert_eq!(
        rpc.call("eth_getTransactionCount", vec![json!(eoa.address()), "latest".into()]).await,
        "0x1"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn integrator_methods() {
    use alloy::consensus::{Block, Header, ReceiptEnvelope};
    use alloy::eips::eip2718::Decodable2718;
    use alloy_rlp::Decodable;
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(TestNode::config(dir.path(), 1)).await;
    let rpc = node.rpc(0);
    let cid = node.chain_id(0);
    let probe = deploy_probe(&rpc, cid).await;
    let key = dev_key(2);
    let set = setCall { v: U256::from(42u64) }.abi_encode();
    let r = rpc.send_and_wait(&Tx::call(cid, 0, probe, set.into()).eip1559(&key)).await;
    let number = r["blockNumber"].clone();

    // An index beyond u32 finds nothing instead of dropping the connection.
    assert_eq!(
        rpc.call(
            "eth_getTransactionByBlockNumberAndIndex",
            vec![number.clone(), "0x100000000".into()]
        )
        .await,
        Value::Null
    );
    // Short storage keys, as geth accepts them, echoed as given.
    let proof = rpc.call("eth_getProof", vec![json!(probe), json!(["0x0"]), "latest".into()]).await;
    assert_eq!(proof["storageProof"][0]["key"], "0x0");
    assert_eq!(proof["storageProof"][0]["value"], "0x2a");
    let values = rpc
        .call(
            "eth_getStorageValues",
            vec![
                json!({ probe.to_string(): ["0x0", format!("{:#x}", B256::repeat_byte(9))] }),
                "latest".into(),
            ],
        )
        .await;
    assert_eq!(
        values[probe.to_checksum(None)],
        json!([json!(B256::from(U256::from(42u64))), json!(B256::ZERO)])
    );
    let base_fee = rpc.call("eth_baseFee", vec![]).await;
    let head = rpc.call("eth_getBlockByNumber", vec!["latest".into(), false.into()]).await;
    assert!(quantity(&base_fee) > 0 && quantity(&base_fee) <= quantity(&head["baseFeePerGas"]));

    // Raw encodings hash and root to what the block says.
    let header_rlp: Bytes =
        serde_json::from_value(rpc.call("debug_getRawHeader", vec![number.clone()]).await).unwrap();
    assert_eq!(json!(keccak256(&header_rlp)), r["blockHash"]);
    let block_rlp: Bytes =
        serde_json::from_value(rpc.call("debug_getRawBlock", vec![number.clone()]).await).unwrap();
    let block = Block::<TxEnvelope, Header>::decode(&mut block_rlp.as_ref()).unwrap();
    assert_eq!(json!(block.header.hash_slow()), r["blockHash"]);
    assert_eq!(json!(block.body.transactions[0].tx_hash()), r["transactionHash"]);
    let receipts: Vec<Bytes> =
        serde_json::from_value(rpc.call("debug_getRawReceipts", vec![number.clone()]).await)
            .unwrap();
    let receipts: Vec<ReceiptEnvelope> =
        receipts.iter().map(|b| ReceiptEnvelope::decode_2718_exact(b.as_ref()).unwrap()).collect();
    assert_eq!(
        alloy::consensus::proofs::calculate_receipt_root(&receipts),
        block.header.receipts_root
    );
    let raw: Bytes = serde_json::from_value(
        rpc.call("debug_getRawTransaction", vec![r["transactionHash"].clone()]).await,
    )
    .unwrap();
    assert_eq!(json!(keccak256(&raw)), r["transactionHash"]);
    assert_eq!(rpc.call("debug_getBadBlocks", vec![]).await, json!([]));

    // The pool, per sender and summarised.
    let to = Address::repeat_byte(0x33);
    let queued = rpc.send(&Tx::transfer(cid, 5, to, U256::from(7u64)).eip1559(&key)).await.unwrap();
    let from = rpc.call("txpool_contentFrom", vec![json!(key.address())]).await;
    assert_eq!(from["queued"]["5"]["hash"], json!(queued));
    assert_eq!(from["pending"], json!({}));
    let inspect = rpc.call("txpool_inspect", vec![]).await;
    assert_eq!(
        inspect["queued"][key.address().to_checksum(None)]["5"],
        format!("{}: 7 wei + 21000 gas × {} wei", to.to_checksum(None), 10 * GWEI)
    );
    assert_eq!(
        rpc.call("debug_getRawTransaction", vec![json!(queued)]).await,
        json!(Tx::transfer(cid, 5, to, U256::from(7u64)).eip1559(&key))
    );
}

/// `eth_config` (EIP-7910), `eth_capabilities` and `eth_coinbase`, field by field against the
/// specification's schemas.
#[tokio::test(flavor = "multi_thread")]
async fn config_capabilities_and_coinbase() {
    let dir = tempfile::tempdir().unwrap();
    let node = TestNode::start(TestNode::config(dir.path(), 2)).await;
    let (rpc, rpc1) = (node.rpc(0), node.rpc(1));
    let cid = node.chain_id(0);
    let r = rpc
        .send_and_wait(
            &Tx::transfer(cid, 0, Address::repeat_byte(0x22), U256::from(1u64))
                .eip1559(&dev_key(3)),
        )
        .await;

    let config = rpc.call("eth_config", vec![]).await;
    let current = &config["current"];
    assert_eq!((config["next"].clone(), config["last"].clone()), (Value::Null, Value::Null));
    assert_eq!(current["chainId"], format!("{cid:#x}"));
    assert_eq!(current["activationTime"], 0);
    assert_eq!(current["blobSchedule"]["max"], 0, "blob transactions are refused");
    let fork_id = current["forkId"].as_str().unwrap();
    assert!(fork_id.len() == 10 && fork_id.starts_with("0x"), "{fork_id}");
    // every domain has its own genesis, so its own fork id
    let other = rpc1.call("eth_config", vec![]).await;
    assert_ne!(other["current"]["forkId"], current["forkId"]);
    assert_eq!(other["current"]["chainId"], format!("{:#x}", node.chain_id(1)));
    let precompiles = current["precompiles"].as_object().unwrap();
    assert_eq!(precompiles.len(), 17, "Prague's 17 precompiles");
    assert_eq!(precompiles["ECREC"], json!(Address::with_last_byte(1)));
    assert_eq!(precompiles["BLS12_MAP_FP2_TO_G2"], json!(Address::with_last_byte(0x11)));
    let system = current["systemContracts"].as_object().unwrap();
    assert_eq!(
        system["SEC_CROSS_DOMAIN"],
        json!(sec_contracts::predeploy::CROSS_DOMAIN),
        "{system:?}"
    );
    assert!(system.values().all(|a| a.as_str().unwrap().len() == 42));

    let caps = rpc.call("eth_capabilities", vec![]).await;
    let head = rpc.call("eth_getBlockByNumber", vec!["latest".into(), false.into()]).await;
    let caps_head = caps["head"]["number"].as_str().unwrap();
    assert!(
        u64::from_str_radix(&caps_head[2..], 16).unwrap()
            <= u64::from_str_radix(&head["number"].as_str().unwrap()[2..], 16).unwrap()
    );
    for key in ["state", "tx", "logs", "receipts", "blocks"] {
        assert_eq!(caps[key], json!({ "disabled": false, "oldestBlock": "0x0" }), "{key}");
    }
    assert_eq!(caps["stateproofs"]["disabled"], false);

    let block =
        rpc.call("eth_getBlockByNumber", vec![r["blockNumber"].clone(), false.into()]).await;
    assert_eq!(rpc.call("eth_coinbase", vec![]).await, block["miner"]);
}
