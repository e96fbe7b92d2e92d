//! The Otterscan namespace (`ots_`, as Erigon and reth serve it) for the Otterscan explorer and
//! tools built on it: call trees, internal transfers, revert data, slim blocks and paged block
//! transactions, and lookups by sender nonce and contract creation.
//!
//! Traces come from the same replay as `debug_traceTransaction` (the call tracer). Lookups the
//! node keeps no index for (a sender's nonce, a contract's creation) binary-search the account
//! history: a nonce only grows, and code once deployed stays. `ots_searchTransactionsBefore`
//! and `ots_searchTransactionsAfter` are not served: they need an address-to-transactions
//! index that the node does not keep (the indexer has it).

use alloy::{
    consensus::Transaction as _,
    eips::{BlockId, BlockNumberOrTag},
    rpc::types::{
        BlockTransactions, TransactionReceipt,
        trace::{
            geth::{CallConfig, CallFrame, GethDebugTracingOptions, GethTrace, TraceResult},
            otterscan::{
                BlockDetails, ContractCreator, InternalIssuance, InternalOperation, OperationType,
                OtsBlock, OtsBlockTransactions, OtsReceipt, OtsTransactionReceipt, TraceEntry,
            },
        },
    },
};
use alloy_primitives::{Address, B256, Bytes, KECCAK256_EMPTY, U256};
use jsonrpsee::{RpcModule, types::ErrorObjectOwned};
use serde_json::Value;
use tracing::debug;

use super::{
    convert,
    debug::trace_block,
    error::{RpcError, RpcResult},
    eth::{Args, EthApi, Reply, finish, to_raw},
};
use crate::storage::BlockRecord;

/// The Otterscan API level these methods match (Otterscan 2.x asks for 8).
const API_LEVEL: u64 = 8;

/// A number as Otterscan sends it (a JSON number) or as other clients do (a hex quantity).
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Number {
    Plain(u64),
    Hex(alloy_primitives::U64),
}

impl Number {
    fn get(&self) -> u64 {
        match self {
            Number::Plain(n) => *n,
            Number::Hex(n) => n.to(),
        }
    }
}

/// A block as Otterscan names it: a JSON number, a hex quantity or a tag.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum BlockParam {
    Plain(u64),
    Tag(BlockNumberOrTag),
}

impl BlockParam {
    fn id(&self) -> BlockId {
        match self {
            BlockParam::Plain(n) => BlockId::number(*n),
            BlockParam::Tag(t) => BlockId::Number(*t),
        }
    }
}

/// Every frame of a call tree in execution order, with its depth (the top call is 0).
fn frames(top: &CallFrame) -> Vec<(&CallFrame, u32)> {
    let mut out = Vec::new();
    let mut stack = vec![(top, 0u32)];
    while let Some((frame, depth)) = stack.pop() {
        out.push((frame, depth));
        stack.extend(frame.calls.iter().rev().map(|c| (c, depth + 1)));
    }
    out
}

/// The call tree of the mined transaction `hash`, replayed on its block's state.
fn call_tree(api: &EthApi, hash: B256) -> RpcResult<CallFrame> {
    let (number, index) = api
        .domain
        .tx_location(&hash)?
        .ok_or_else(|| RpcError::Server(format!("transaction {hash} not found")))?;
    let opts = GethDebugTracingOptions::call_tracer(CallConfig::default());
    match trace_block(api, number, Some(index as usize), &opts)?.pop() {
        Some(TraceResult::Success { result: GethTrace::CallTracer(frame), .. }) => Ok(frame),
        _ => Err(RpcError::Internal(format!("no call trace for {hash}"))),
    }
}

/// `ots_traceTransaction`: every call, creation and self-destruct, flat, with its depth.
fn trace_entries(top: &CallFrame) -> Vec<TraceEntry> {
    frames(top)
        .into_iter()
        .map(|(f, depth)| TraceEntry {
            r#type: f.typ.clone(),
            depth,
            from: f.from,
            to: f.to.unwrap_or_default(),
            // No value moves with these two (Erigon reports none).
            value: match f.typ.as_str() {
                "STATICCALL" | "DELEGATECALL" => None,
                _ => Some(f.value.unwrap_or_default()),
            },
            input: f.input.clone(),
            output: f.output.clone().unwrap_or_default(),
        })
        .collect()
}

/// `ots_getInternalOperations`: value moved below the top call, contracts created and
/// self-destructs, in execution order.
fn internal_operations(top: &CallFrame) -> Vec<InternalOperation> {
    frames(top)
        .into_iter()
        .filter(|(_, depth)| *depth > 0)
        .filter_map(|(f, _)| {
            let value = f.value.unwrap_or_default();
            let r#type = match f.typ.as_str() {
                "CALL" if !value.is_zero() => OperationType::OpTransfer,
                "CREATE" => OperationType::OpCreate,
                "CREATE2" => OperationType::OpCreate2,
                "SELFDESTRUCT" => OperationType::OpSelfDestruct,
                _ => return None,
            };
            Some(InternalOperation { r#type, from: f.from, to: f.to.unwrap_or_default(), value })
        })
        .collect()
}

/// `ots_getTransactionError`: the revert data of a failed transaction, `0x` otherwise.
fn transaction_error(top: &CallFrame) -> Bytes {
    match &top.error {
        Some(_) => top.output.clone().unwrap_or_default(),
        None => Bytes::new(),
    }
}

fn block_at(api: &EthApi, id: BlockId) -> RpcResult<Option<std::sync::Arc<BlockRecord>>> {
    match api.resolve(id)? {
        Some(n) => Ok(api.domain.block(n)?),
        None => Ok(None),
    }
}

/// `ots_getBlockDetails`: the block without its transactions and bloom, with its
/// transaction count, the fees its senders paid, and its issuance (none: producers earn fees
/// only).
fn block_details(block: &BlockRecord) -> RpcResult<Value> {
    let receipts = convert::rpc_receipts(block)?;
    let total_fees = receipts.iter().fold(U256::ZERO, |sum, r| {
        sum + U256::from(r.gas_used) * U256::from(r.effective_gas_price)
    });
    let details = BlockDetails::new(
        convert::rpc_block(block, false)?,
        InternalIssuance::default(),
        total_fees,
    );
    let mut value = serde_json::to_value(details).map_err(|e| RpcError::Internal(e.to_string()))?;
    if let Some(b) = value.get_mut("block").and_then(Value::as_object_mut) {
        b.insert("logsBloom".into(), Value::Null);
    }
    Ok(value)
}

/// A receipt as Otterscan's block pages want it: no logs, no bloom, with the block time.
fn ots_receipt(r: TransactionReceipt, timestamp: u64) -> OtsTransactionReceipt {
    let receipt = r.map_inner(|inner| OtsReceipt {
        status: inner.status(),
        cumulative_gas_used: inner.cumulative_gas_used(),
        logs: None,
        logs_bloom: None,
        r#type: inner.tx_type() as u8,
    });
    OtsTransactionReceipt { receipt, timestamp: Some(timestamp) }
}

/// `ots_getBlockTransactions`: page `page` of `size` transactions with their receipts. Pages
/// count from the end of the block, as Erigon's do: page 0 holds the last transactions.
fn block_transactions(block: &BlockRecord, page: usize, size: usize) -> RpcResult<Value> {
    let mut full = OtsBlock::from(convert::rpc_block(block, true)?);
    let end = block.txs.len().saturating_sub(page.saturating_mul(size));
    let start = end.saturating_sub(size);
    if let BlockTransactions::Full(txs) = &mut full.block.transactions {
        *txs = txs.drain(start..end).collect();
    }
    let timestamp = block.header.timestamp;
    let receipts = convert::rpc_receipts(block)?
        .into_iter()
        .skip(start)
        .take(end - start)
        .map(|r| ots_receipt(r, timestamp))
        .collect();
    let out = OtsBlockTransactions { fullblock: full, receipts };
    serde_json::to_value(out).map_err(|e| RpcError::Internal(e.to_string()))
}

/// The smallest block in `0..=head` after which `holds` is true, given that it stays true
/// once it is; `None` if it does not hold at the head.
fn first_block_where(
    api: &EthApi,
    holds: impl Fn(&dyn crate::state::StateReader) -> Result<bool, crate::state::StateReadError>,
) -> RpcResult<Option<u64>> {
    let at = |n: u64| -> RpcResult<bool> {
        Ok(api
            .domain
            .with_state(Some(n), |s, _| holds(s))?
            .ok_or_else(RpcError::header_not_found)??)
    };
    let head = api.domain.head().0;
    if !at(head)? {
        return Ok(None);
    }
    let started = std::time::Instant::now();
    let (mut lo, mut hi, mut probes) = (0, head, 1u32);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        probes += 1;
        if at(mid)? { hi = mid } else { lo = mid + 1 }
    }
    debug!(
        head,
        block = lo,
        probes,
        elapsed_us = started.elapsed().as_micros() as u64,
        "history searched"
    );
    Ok(Some(lo))
}

/// `ots_getTransactionBySenderAndNonce`: the block where the sender's nonce passed `nonce`
/// holds the transaction.
fn by_sender_and_nonce(api: &EthApi, sender: Address, nonce: u64) -> RpcResult<Option<B256>> {
    let passed =
        first_block_where(api, |s| Ok(s.account(&sender)?.is_some_and(|a| a.nonce > nonce)))?;
    let Some(number) = passed.filter(|n| *n > 0) else { return Ok(None) };
    let Some(block) = api.domain.block(number)? else { return Ok(None) };
    for (stored, hash) in block.txs.iter().zip(&block.tx_hashes) {
        if stored.sender == sender && convert::decode_tx(stored)?.nonce() == nonce {
            return Ok(Some(*hash));
        }
    }
    // The nonce went up by a contract's own creations, not by a transaction.
    Ok(None)
}

/// `ots_getContractCreator`: the first block after which `address` has code, replayed to find
/// the creation frame; the creator is the account that ran CREATE (a factory, or the sender).
/// An account without code at the head (never deployed, or self-destructed) has none.
fn contract_creator(api: &EthApi, address: Address) -> RpcResult<Option<ContractCreator>> {
    let deployed = first_block_where(api, |s| {
        Ok(s.account(&address)?.is_some_and(|a| a.code_hash != KECCAK256_EMPTY))
    })?;
    // Genesis code (the predeploys) has no creating transaction.
    let Some(number) = deployed.filter(|n| *n > 0) else { return Ok(None) };
    let opts = GethDebugTracingOptions::call_tracer(CallConfig::default());
    for trace in trace_block(api, number, None, &opts)? {
        let TraceResult::Success { result: GethTrace::CallTracer(top), tx_hash: Some(hash) } =
            trace
        else {
            continue;
        };
        let created = frames(&top).into_iter().find(|(f, _)| {
            matches!(f.typ.as_str(), "CREATE" | "CREATE2")
                && f.to == Some(address)
                && f.error.is_none()
        });
        if let Some((f, _)) = created {
            return Ok(Some(ContractCreator { hash, creator: f.from }));
        }
    }
    Ok(None)
}

/// Registers the `ots_` namespace (on the blocking pool: replays and history searches).
pub fn register(m: &mut RpcModule<EthApi>) {
    type Handler = fn(&EthApi, &mut Args<'_>) -> RpcResult<Reply>;
    let handlers: [(&'static str, Handler); 10] = [
        ("ots_getApiLevel", |_, _| Ok(Value::from(API_LEVEL).into())),
        ("ots_hasCode", |api, a| {
            let address: Address = a.next()?;
            let block: Option<BlockId> = a.opt()?;
            let number = api
                .resolve(block.unwrap_or(BlockId::latest()))?
                .ok_or_else(RpcError::header_not_found)?;
            let has = api
                .domain
                .with_state(Some(number), |s, _| s.account(&address))?
                .ok_or_else(RpcError::header_not_found)??
                .is_some_and(|a| a.code_hash != KECCAK256_EMPTY);
            Ok(Value::Bool(has).into())
        }),
        ("ots_traceTransaction", |api, a| {
            let hash: B256 = a.next()?;
            Ok(to_raw(&trace_entries(&call_tree(api, hash)?))?.into())
        }),
        ("ots_getInternalOperations", |api, a| {
            let hash: B256 = a.next()?;
            Ok(to_raw(&internal_operations(&call_tree(api, hash)?))?.into())
        }),
        ("ots_getTransactionError", |api, a| {
            let hash: B256 = a.next()?;
            Ok(to_raw(&transaction_error(&call_tree(api, hash)?))?.into())
        }),
        ("ots_getBlockDetails", |api, a| {
            let block: BlockParam = a.next()?;
            match block_at(api, block.id())? {
                Some(b) => Ok(block_details(&b)?.into()),
                None => Ok(Value::Null.into()),
            }
        }),
        ("ots_getBlockDetailsByHash", |api, a| {
            let hash: B256 = a.next()?;
            match block_at(api, BlockId::from(hash))? {
                Some(b) => Ok(block_details(&b)?.into()),
                None => Ok(Value::Null.into()),
            }
        }),
        ("ots_getBlockTransactions", |api, a| {
            let block: BlockParam = a.next()?;
            let page: Number = a.next()?;
            let size: Number = a.next()?;
            let (page, size) = (page.get() as usize, size.get() as usize);
            match block_at(api, block.id())? {
                Some(b) => Ok(block_transactions(&b, page, size)?.into()),
                None => Ok(Value::Null.into()),
            }
        }),
        ("ots_getTransactionBySenderAndNonce", |api, a| {
            let sender: Address = a.next()?;
            let nonce: Number = a.next()?;
            let hash = by_sender_and_nonce(api, sender, nonce.get())?;
            Ok(to_raw(&hash)?.into())
        }),
        ("ots_getContractCreator", |api, a| {
            let address: Address = a.next()?;
            Ok(to_raw(&contract_creator(api, address)?)?.into())
        }),
    ];
    for (name, f) in handlers {
        m.register_blocking_method(name, move |p, api, _| -> Result<Reply, ErrorObjectOwned> {
            let mut args = Args::new(&p);
            finish(f(&api, &mut args))
        })
        .expect("unique method");
    }
}
