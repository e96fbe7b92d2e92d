//! `sec_getDeposit` and `sec_getMessage`: where an L1 deposit was credited, and where a
//! cross-domain message is (sent, delivered or failed, with its Merkle proof against the
//! sending block's outbox root). Both answer from any domain's path: a deposit names its
//! domain on L1 and a message its destination, and a wallet may not know which path serves it.

use alloy::sol_types::SolEvent;
use alloy_primitives::{B256, U64};
use jsonrpsee::{RpcModule, types::ErrorObjectOwned};
use sec_contracts::{bindings::CrossDomain, predeploy::CROSS_DOMAIN};
use sec_primitives::merkle::MerkleTree;
use serde_json::{Value, json};

use super::{
    error::RpcResult,
    eth::{Args, EthApi},
};

/// The deposit with L1 nonce `nonce` as credited in some domain: `null` while no domain has
/// credited it (still waiting for its confirmations on L1, or unknown).
fn deposit(api: &EthApi, nonce: u64) -> RpcResult<Value> {
    for domain in api.all.iter() {
        let Some((number, index)) = domain.store()?.deposit(nonce)? else {
            continue;
        };
        let Some(block) = domain.block(number)? else {
            continue;
        };
        let i = index as usize;
        let (Some(hash), Some(receipt)) = (block.tx_hashes.get(i), block.receipts.get(i)) else {
            continue;
        };
        let status = if receipt.status() { "credited" } else { "failed" };
        return Ok(json!({
            "nonce": format!("{nonce:#x}"),
            "domain": domain.id(),
            "status": status,
            "transactionHash": hash,
            "transactionIndex": format!("{index:#x}"),
            "blockNumber": format!("{number:#x}"),
            "blockHash": block.hash,
            "l1Origin": block.extension.l1_origin,
        }));
    }
    Ok(Value::Null)
}

/// Message `hash` as the domain that sent it recorded it: the message, the block that sent it
/// with the proof of its leaf against that block's outbox root, and whether its destination
/// delivered it (`pending`, `delivered`, `failed`: delivered, its call reverted, replayable)
/// or, bound for Ethereum, `sent` (a withdrawal waits for a checkpoint). `null` if no domain
/// sent it.
fn message(api: &EthApi, hash: B256) -> RpcResult<Value> {
    for src in api.all.iter() {
        let Some(sent) = src.store()?.sent_message(&hash)? else {
            continue;
        };
        let Some(block) = src.block(sent.block)? else {
            continue;
        };
        let proof = MerkleTree::new(&sent.leaves).proof(sent.position).unwrap_or_default();
        let dst = sent.message.dst_domain;
        let mut delivery = Value::Null;
        let status = match api.all.iter().find(|d| d.id() == dst) {
            None => "sent",
            Some(d) => match d.store()?.delivered(&hash)? {
                None => "pending",
                Some((number, index)) => {
                    let record = d.block(number)?;
                    let receipt = record.as_ref().and_then(|b| b.receipts.get(index as usize));
                    let success = receipt
                        .into_iter()
                        .flat_map(|r| r.logs())
                        .filter(|l| l.address == CROSS_DOMAIN)
                        .find_map(|l| CrossDomain::MessageDelivered::decode_log_data(&l.data).ok())
                        .is_some_and(|e| e.success);
                    delivery = json!({
                        "domain": dst,
                        "blockNumber": format!("{number:#x}"),
                        "blockHash": record.as_ref().map(|b| b.hash),
                        "transactionHash": record.as_ref().and_then(|b| b.tx_hashes.get(index as usize)),
                        "transactionIndex": format!("{index:#x}"),
                    });
                    if success { "delivered" } else { "failed" }
                }
            },
        };
        return Ok(json!({
            "hash": hash,
            "message": sent.message,
            "status": status,
            "blockNumber": format!("{:#x}", sent.block),
            "blockHash": block.hash,
            "outboxRoot": block.extension.outbox_root,
            "index": sent.position,
            "proof": proof,
            "delivery": delivery,
        }));
    }
    Ok(Value::Null)
}

/// Registers `sec_getDeposit` and `sec_getMessage`.
pub fn register(m: &mut RpcModule<EthApi>) {
    m.register_blocking_method("sec_getMessage", |p, api, _| -> Result<Value, ErrorObjectOwned> {
        let mut args = Args::new(&p);
        let hash: B256 = args.next()?;
        message(&api, hash).map_err(Into::into)
    })
    .expect("unique method");
    m.register_blocking_method("sec_getDeposit", |p, api, _| -> Result<Value, ErrorObjectOwned> {
        let mut args = Args::new(&p);
        let nonce: U64 = args.next()?;
        deposit(&api, nonce.to()).map_err(Into::into)
    })
    .expect("unique method");
}
