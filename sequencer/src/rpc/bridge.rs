//! The bridge and routing methods: `sec_getDeposit` (where an L1 deposit was credited),
//! `sec_getMessage` (where a cross-domain message is: sent, delivered or failed, with its
//! Merkle proof against the sending block's outbox root), `sec_getWithdrawalProof` (what L1
//! needs to pay a withdrawal) and `sec_homeDomain` (the hub's directory entry of an account).
//! All answer from any domain's path: a deposit names its domain on L1, a message its
//! destination, and a wallet may not know which path serves it.

use alloy::sol_types::SolEvent;
use alloy_primitives::{Address, B256, U64};
use jsonrpsee::{RpcModule, types::ErrorObjectOwned};
use sec_contracts::{
    bindings::{CrossDomain, HomeDirectory},
    predeploy::{CROSS_DOMAIN, HOME_DIRECTORY, L2_BRIDGE},
};
use sec_primitives::{L1Error, merkle::MerkleTree, message::Withdrawal};
use serde_json::{Value, json};

use super::{
    error::{RpcError, RpcResult},
    eth::{Args, EthApi},
    views::views_at,
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

/// The proof that L1 can finalize withdrawal `hash`: the checkpoint that covers it, the
/// withdrawal in `L1Bridge.finalizeWithdrawal`'s form and its Merkle proof against that
/// checkpoint's withdrawal root, recomputed from this node's own blocks by the rule of
/// `sec_primitives::checkpoint` (and checked against the root L1 holds). While no checkpoint
/// covers it yet: `status` "waiting" and the newest checkpoint. `null` if no domain sent it.
fn withdrawal_proof(api: &EthApi, hash: B256) -> RpcResult<Value> {
    let Some((src, sent)) = api
        .all
        .iter()
        .map(|d| d.store().and_then(|s| s.sent_message(&hash)).map(|m| m.map(|m| (d.id(), m))))
        .find_map(|r| r.transpose())
        .transpose()?
    else {
        return Ok(Value::Null);
    };
    let withdrawal = Withdrawal::from_message(&sent.message, L2_BRIDGE)
        .map_err(|e| RpcError::InvalidParams(format!("{hash} is not a withdrawal: {e}")))?;
    let l1 =
        api.domain.config().l1.as_ref().map(|f| f.source.clone()).ok_or_else(|| {
            RpcError::Server("this node reads no L1: it knows no checkpoints".into())
        })?;
    let l1_error = |e: L1Error| RpcError::Server(e.to_string());
    let last = l1.last_checkpoint().map_err(l1_error)?;
    // the first checkpoint whose block of `src` reaches the withdrawal's block
    let (mut lo, mut hi) = (1u64, last + 1);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let covered = l1.checkpoint(mid, &[src]).map_err(l1_error)?.and_then(|c| c.block(src));
        if covered.is_some_and(|b| b >= sent.block) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    if lo > last {
        return Ok(json!({
            "status": "waiting",
            "withdrawalHash": hash,
            "blockNumber": format!("{:#x}", sent.block),
            "srcDomain": src,
            "lastCheckpoint": last,
        }));
    }
    let domains: Vec<u32> = api.all.iter().map(|d| d.id()).collect();
    let checkpoint = l1
        .checkpoint(lo, &domains)
        .map_err(l1_error)?
        .ok_or_else(|| RpcError::Internal(format!("checkpoint {lo} vanished")))?;
    let previous = match lo {
        1 => None,
        id => l1.checkpoint(id - 1, &domains).map_err(l1_error)?,
    };
    let leaves =
        crate::checkpoint::withdrawals(&api.all, previous.as_ref(), |d| checkpoint.block(d))?;
    let tree = MerkleTree::new(&leaves);
    if tree.root() != checkpoint.withdrawal_root {
        return Err(RpcError::Internal(format!(
            "checkpoint {lo} holds withdrawal root {}, this node's blocks give {}",
            checkpoint.withdrawal_root,
            tree.root()
        )));
    }
    let proof = leaves.iter().position(|h| *h == hash).and_then(|i| tree.proof(i));
    let proof =
        proof.ok_or_else(|| RpcError::Internal("withdrawal not in its checkpoint".into()))?;
    Ok(json!({
        "status": "proven",
        "withdrawalHash": hash,
        "withdrawal": withdrawal,
        "checkpointId": lo,
        "submittedAt": checkpoint.submitted_at,
        "withdrawalRoot": checkpoint.withdrawal_root,
        "proof": proof,
    }))
}

/// `account`'s home domain as the hub's `HomeDirectory` (domain 0, latest block) holds it:
/// `{domain, set, since}`; an account that never chose lives on the hub (`set` false).
fn home_domain(api: &EthApi, account: Address) -> RpcResult<Value> {
    let hub = api.all.first().ok_or_else(|| RpcError::Internal("no domain 0".into()))?;
    let (head, _) = hub.head();
    views_at(hub, head, api.deadline(), |v| {
        let h = v.call(HOME_DIRECTORY, HomeDirectory::homeOfCall { account })?;
        Ok(json!({
            "address": account,
            "domain": h.domain,
            "set": h.set,
            "since": (h.since != 0).then_some(h.since),
        }))
    })
}

/// Domain `domain`'s native SEC at its head: every balance (`total`), what the two system
/// contracts hold (`l2Bridge`: the deposit reserve's remainder; `crossDomain`: the delivery
/// reserve's remainder plus what sends locked) and the `circulating` rest.
fn domain_supply(api: &EthApi, domain: Option<u32>) -> RpcResult<Value> {
    let id = domain.unwrap_or(api.domain.id());
    let d = api
        .all
        .iter()
        .find(|d| d.id() == id)
        .ok_or_else(|| RpcError::InvalidParams(format!("no domain {id}")))?;
    let supply = d.native_supply();
    Ok(json!({
        "domain": id,
        "blockNumber": format!("{:#x}", supply.head),
        "total": supply.total,
        "l2Bridge": supply.l2_bridge,
        "crossDomain": supply.cross_domain,
        "circulating": supply.circulating(),
    }))
}

/// Registers `sec_getDeposit`, `sec_getMessage`, `sec_getWithdrawalProof`, `sec_homeDomain`
/// and `sec_domainSupply`.
pub fn register(m: &mut RpcModule<EthApi>) {
    m.register_method("sec_domainSupply", |p, api, _| -> Result<Value, ErrorObjectOwned> {
        let mut args = Args::new(&p);
        let domain: Option<u32> = args.opt()?;
        domain_supply(api, domain).map_err(Into::into)
    })
    .expect("unique method");
    m.register_blocking_method("sec_homeDomain", |p, api, _| -> Result<Value, ErrorObjectOwned> {
        let mut args = Args::new(&p);
        let account: Address = args.next()?;
        home_domain(&api, account).map_err(Into::into)
    })
    .expect("unique method");
    m.register_blocking_method(
        "sec_getWithdrawalProof",
        |p, api, _| -> Result<Value, ErrorObjectOwned> {
            let mut args = Args::new(&p);
            let hash: B256 = args.next()?;
            withdrawal_proof(&api, hash).map_err(Into::into)
        },
    )
    .expect("unique method");
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
