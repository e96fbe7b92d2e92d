//! Stored blocks, transactions and receipts in the shapes of the JSON-RPC specification.

use alloy::{
    consensus::{Header, ReceiptEnvelope, Transaction as _, TxEnvelope, transaction::Recovered},
    eips::eip2718::Decodable2718,
    rpc::types::{
        Block, BlockTransactions, Header as RpcHeader, Log as RpcLog, Transaction as RpcTx,
        TransactionReceipt,
    },
};
use alloy_primitives::{B256, U256};
use alloy_rlp::Encodable;

use super::error::{RpcError, RpcResult};
use crate::{
    executor::create_address,
    storage::{BlockRecord, StoredTx},
};

/// Where a transaction sits in its block.
#[derive(Debug, Clone, Copy)]
pub struct TxPosition {
    pub block_hash: B256,
    pub block_number: u64,
    pub timestamp: u64,
    pub index: u64,
    pub base_fee: Option<u64>,
}

pub fn decode_tx(stored: &StoredTx) -> RpcResult<TxEnvelope> {
    TxEnvelope::decode_2718_exact(stored.raw.as_ref())
        .map_err(|e| RpcError::Internal(format!("stored tx: {e}")))
}

pub fn rpc_tx(tx: TxEnvelope, sender: alloy_primitives::Address, pos: Option<TxPosition>) -> RpcTx {
    let effective_gas_price = pos.map(|p| tx.effective_gas_price(p.base_fee));
    RpcTx {
        inner: Recovered::new_unchecked(tx, sender),
        block_hash: pos.map(|p| p.block_hash),
        block_number: pos.map(|p| p.block_number),
        transaction_index: pos.map(|p| p.index),
        effective_gas_price,
        block_timestamp: pos.map(|p| p.timestamp),
    }
}

pub fn rpc_header(header: &Header, hash: B256, size: Option<u64>) -> RpcHeader {
    RpcHeader {
        hash,
        inner: header.clone(),
        total_difficulty: Some(U256::ZERO),
        size: size.map(U256::from),
    }
}

/// The RLP size of the block of `header` and `txs` (no ommers, no withdrawals).
pub fn block_size(header: &Header, txs: &[TxEnvelope]) -> u64 {
    alloy::consensus::Block {
        header: header.clone(),
        body: alloy::consensus::BlockBody {
            transactions: txs.to_vec(),
            ommers: vec![],
            withdrawals: Some(Default::default()),
        },
    }
    .length() as u64
}

/// The whole block (`full`: with transaction objects, else hashes).
pub fn rpc_block(block: &BlockRecord, full: bool) -> RpcResult<Block> {
    let header = &block.header;
    let txs: Vec<TxEnvelope> = block.txs.iter().map(decode_tx).collect::<RpcResult<_>>()?;
    let size = block_size(header, &txs);
    let transactions = if full {
        BlockTransactions::Full(
            txs.into_iter()
                .zip(&block.txs)
                .enumerate()
                .map(|(i, (tx, s))| rpc_tx(tx, s.sender, Some(position(block, i))))
                .collect(),
        )
    } else {
        BlockTransactions::Hashes(block.tx_hashes.clone())
    };
    Ok(Block {
        header: rpc_header(header, block.hash, Some(size)),
        uncles: vec![],
        transactions,
        withdrawals: Some(Default::default()),
    })
}

/// Position of transaction `index` of `block`.
pub fn position(block: &BlockRecord, index: usize) -> TxPosition {
    TxPosition {
        block_hash: block.hash,
        block_number: block.header.number,
        timestamp: block.header.timestamp,
        index: index as u64,
        base_fee: block.header.base_fee_per_gas,
    }
}

/// Where a receipt sits, and what of its neighbours it depends on.
pub struct ReceiptContext<'a> {
    pub block_hash: B256,
    pub number: u64,
    pub timestamp: u64,
    pub base_fee: Option<u64>,
    pub index: usize,
    pub tx: &'a StoredTx,
    pub tx_hash: B256,
    /// Cumulative gas of the previous receipt (0 for the first).
    pub prev_cumulative: u64,
    /// Block-wide index of the receipt's first log.
    pub first_log: u64,
}

/// A receipt in RPC form.
pub fn build_receipt(
    receipt: ReceiptEnvelope,
    c: ReceiptContext<'_>,
) -> RpcResult<TransactionReceipt> {
    let tx = decode_tx(c.tx)?;
    let gas_used = receipt.cumulative_gas_used() - c.prev_cumulative;
    let mut log_index = c.first_log;
    let inner = receipt.map_logs(|log| {
        let l = RpcLog {
            inner: log,
            block_hash: Some(c.block_hash),
            block_number: Some(c.number),
            block_timestamp: Some(c.timestamp),
            transaction_hash: Some(c.tx_hash),
            transaction_index: Some(c.index as u64),
            log_index: Some(log_index),
            removed: false,
        };
        log_index += 1;
        l
    });
    Ok(TransactionReceipt {
        inner,
        transaction_hash: c.tx_hash,
        transaction_index: Some(c.index as u64),
        block_hash: Some(c.block_hash),
        block_number: Some(c.number),
        gas_used,
        effective_gas_price: tx.effective_gas_price(c.base_fee),
        blob_gas_used: None,
        blob_gas_price: None,
        from: c.tx.sender,
        to: tx.to(),
        contract_address: create_address(&tx, c.tx.sender),
    })
}

fn context(
    block: &BlockRecord,
    index: usize,
    prev_cumulative: u64,
    first_log: u64,
) -> ReceiptContext<'_> {
    ReceiptContext {
        block_hash: block.hash,
        number: block.header.number,
        timestamp: block.header.timestamp,
        base_fee: block.header.base_fee_per_gas,
        index,
        tx: &block.txs[index],
        tx_hash: block.tx_hashes[index],
        prev_cumulative,
        first_log,
    }
}

/// The receipt of transaction `index` of `block`.
pub fn rpc_receipt(block: &BlockRecord, index: usize) -> RpcResult<Option<TransactionReceipt>> {
    let Some(receipt) = block.receipts.get(index) else { return Ok(None) };
    let first_log: usize = block.receipts[..index].iter().map(|r| r.logs().len()).sum();
    let prev = if index == 0 { 0 } else { block.receipts[index - 1].cumulative_gas_used() };
    build_receipt(receipt.clone(), context(block, index, prev, first_log as u64)).map(Some)
}

/// Every receipt of a block, in one pass.
pub fn rpc_receipts(block: &BlockRecord) -> RpcResult<Vec<TransactionReceipt>> {
    let (mut prev, mut first_log) = (0u64, 0u64);
    let mut out = Vec::with_capacity(block.receipts.len());
    for (i, receipt) in block.receipts.iter().enumerate() {
        out.push(build_receipt(receipt.clone(), context(block, i, prev, first_log))?);
        prev = receipt.cumulative_gas_used();
        first_log += receipt.logs().len() as u64;
    }
    Ok(out)
}

/// Logs of a block, as `eth_getLogs` returns them.
pub fn block_logs(block: &BlockRecord) -> RpcResult<Vec<RpcLog>> {
    Ok(rpc_receipts(block)?.into_iter().flat_map(|r| r.inner.into_logs()).collect())
}
