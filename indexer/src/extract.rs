//! From what the node returned for a run of blocks to the rows that describe them, and the
//! accounts and tokens whose state must be read again at the end of the run.

use std::collections::{BTreeMap, BTreeSet};

use alloy::sol_types::SolEvent;
use alloy_primitives::{Address, B256, U256};

use sec_contracts::{
    bindings::{CrossDomain, L2Bridge},
    predeploy::{CROSS_DOMAIN, L2_BRIDGE},
};

use crate::{
    IndexerError,
    abi::{Transfer, TransferBatch, TransferSingle},
    db::Value,
    schema::{address, hash, int, opt_address, opt_u256, text, u256},
    wire::{Block, CallFrame, Certificate, Log, Receipt, TxTrace},
};

/// A block as fetched: header and transactions, receipts, and (when traced) call trees.
#[derive(Debug, Clone)]
pub struct BlockBundle {
    /// The block with full transactions.
    pub block: Block,
    /// Its receipts, in transaction order.
    pub receipts: Vec<Receipt>,
    /// Its call trees, in transaction order (empty when tracing is off).
    pub traces: Vec<TxTrace>,
    /// The certificate that finalized it, when the node has one.
    pub certificate: Option<Certificate>,
}

/// The standard a token contract follows, told by the shape of its transfer events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TokenKind {
    /// Fungible.
    Erc20,
    /// Non-fungible.
    Erc721,
    /// Multi-token.
    Erc1155,
}

impl TokenKind {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Erc20 => "ERC-20",
            TokenKind::Erc721 => "ERC-721",
            TokenKind::Erc1155 => "ERC-1155",
        }
    }
}

/// A balance to read again: the native coin (`token` = zero), a token, or one ERC-1155 id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct BalanceKey {
    /// Token contract; zero for the native coin.
    pub token: Address,
    /// Holder.
    pub holder: Address,
    /// ERC-1155 id.
    pub id: Option<U256>,
}

/// Rows of a run of blocks, plus what must be read from the node to complete it.
#[derive(Debug, Default)]
pub struct Extracted {
    /// `blocks` rows.
    pub blocks: Vec<Vec<Value>>,
    /// `transactions` rows.
    pub transactions: Vec<Vec<Value>>,
    /// `logs` rows.
    pub logs: Vec<Vec<Value>>,
    /// `token_transfers` rows.
    pub token_transfers: Vec<Vec<Value>>,
    /// `internal_transfers` rows.
    pub internal_transfers: Vec<Vec<Value>>,
    /// `messages` rows.
    pub messages: Vec<Vec<Value>>,
    /// `withdrawals` rows.
    pub withdrawals: Vec<Vec<Value>>,
    /// `deposit_credits` rows.
    pub deposit_credits: Vec<Vec<Value>>,
    /// `message_deliveries` rows.
    pub message_deliveries: Vec<Vec<Value>>,
    /// Rows of the trade tables.
    pub trade: crate::trade::TradeRows,
    /// Contracts created: address -> (creator, transaction, block).
    pub created: BTreeMap<Address, (Address, B256, u64)>,
    /// Token contracts seen: address -> (kind, first block in this run).
    pub tokens: BTreeMap<Address, (TokenKind, u64)>,
    /// Tokens minted or burned in this run (their supply changed).
    pub supply_changed: BTreeSet<Address>,
    /// Balances touched in this run.
    pub touched: BTreeSet<BalanceKey>,
    /// Transactions seen.
    pub tx_count: usize,
}

fn chain_error(domain: u32, message: String) -> IndexerError {
    IndexerError::Chain { domain, message }
}

/// Extracts the rows of `bundles` (consecutive blocks of `domain`).
pub fn extract(domain: u32, bundles: &[BlockBundle]) -> Result<Extracted, IndexerError> {
    let mut out = Extracted::default();
    let d = u64::from(domain);
    for bundle in bundles {
        let block = &bundle.block;
        let number = block.number;
        let ts = block.timestamp;
        let txs = &block.transactions;
        if txs.len() != bundle.receipts.len() {
            return Err(chain_error(
                domain,
                format!(
                    "block {number}: {} transactions but {} receipts",
                    txs.len(),
                    bundle.receipts.len()
                ),
            ));
        }
        out.blocks.push(vec![
            int(d),
            int(number),
            hash(block.hash),
            hash(block.parent_hash),
            int(ts),
            address(block.miner),
            int(block.gas_used),
            int(block.gas_limit),
            Value::Int(block.base_fee_per_gas.map(|f| f as i64)),
            int(txs.len() as u64),
            int(block.size.unwrap_or(0)),
            hash(block.state_root),
            Value::Bytes(Some(block.extra_data.to_vec())),
            int(0),
            Value::Int(bundle.certificate.as_ref().map(|c| i64::from(c.round))),
            Value::Bytes(
                bundle
                    .certificate
                    .as_ref()
                    .map(|c| c.signatures.iter().flat_map(|s| s.signer.into_array()).collect()),
            ),
        ]);
        out.touched.insert(BalanceKey { token: Address::ZERO, holder: block.miner, id: None });
        let mut next_log_index = 0u64;
        for (i, (tx, receipt)) in txs.iter().zip(&bundle.receipts).enumerate() {
            let tx_hash = tx.hash;
            if receipt.transaction_hash != tx_hash {
                return Err(chain_error(
                    domain,
                    format!("block {number}: receipt {i} is not of transaction {tx_hash}"),
                ));
            }
            let from = tx.from;
            let logs = &receipt.logs;
            // Logs are numbered through the block; a transaction's are a contiguous range.
            let first_log_index = logs.first().and_then(|l| l.log_index).unwrap_or(next_log_index);
            next_log_index = first_log_index + logs.len() as u64;
            let success = receipt.success();
            out.transactions.push(vec![
                int(d),
                int(number),
                int(i as u64),
                hash(tx_hash),
                address(from),
                opt_address(tx.to),
                u256(tx.value),
                int(tx.nonce),
                int(tx.gas),
                int(tx.tx_type),
                opt_u256(tx.max_fee_per_gas),
                opt_u256(tx.max_priority_fee_per_gas),
                Value::Bytes(Some(tx.input.to_vec())),
                int(ts),
                int(u64::from(success)),
                int(receipt.gas_used),
                int(receipt.cumulative_gas_used),
                u256(receipt.effective_gas_price),
                opt_address(receipt.contract_address),
                int(first_log_index),
                int(logs.len() as u64),
            ]);
            for a in [Some(from), tx.to, receipt.contract_address].into_iter().flatten() {
                out.touched.insert(BalanceKey { token: Address::ZERO, holder: a, id: None });
            }
            if let Some(created) = receipt.contract_address.filter(|_| success) {
                out.created.insert(created, (from, tx_hash, number));
            }
            for log in logs {
                let log_index = log.log_index.unwrap_or_default();
                let topics = &log.topics;
                let topic = |k: usize| Value::Bytes(topics.get(k).map(|t| t.to_vec()));
                out.logs.push(vec![
                    int(d),
                    int(number),
                    int(log_index),
                    int(i as u64),
                    hash(tx_hash),
                    address(log.address),
                    topic(0),
                    topic(1),
                    topic(2),
                    topic(3),
                    Value::Bytes(Some(log.data.to_vec())),
                ]);
                token_transfers(&mut out, d, number, ts, tx_hash, log_index, log);
                system_events(&mut out, d, number, ts, tx_hash, log_index, log);
                if success {
                    let at = crate::trade::At {
                        domain: d,
                        block: number,
                        timestamp: ts,
                        tx_hash,
                        log_index,
                    };
                    crate::trade::extract(&mut out.trade, at, log);
                }
            }
            if let Some(frame) = bundle.traces.get(i).and_then(|t| t.result.as_ref())
                && success
            {
                let mut index = 0;
                for call in &frame.calls {
                    internal(&mut out, d, number, ts, i as u64, tx_hash, call, &mut index);
                }
            }
        }
        out.tx_count += txs.len();
    }
    Ok(out)
}

fn topic_address(t: &B256) -> Address {
    Address::from_word(*t)
}

/// One token id and amount moved (ids for ERC-721/1155, amounts for ERC-20/1155).
type Move = (Option<U256>, Option<U256>);

/// Adds the token transfers one log describes, if it is an ERC-20/721/1155 transfer event.
fn token_transfers(
    out: &mut Extracted,
    d: u64,
    number: u64,
    ts: u64,
    tx_hash: B256,
    log_index: u64,
    log: &Log,
) {
    let topics = &log.topics;
    let Some(topic0) = topics.first() else { return };
    let data = &log.data;
    let (kind, from, to, moves): (TokenKind, Address, Address, Vec<Move>) =
        if *topic0 == Transfer::SIGNATURE_HASH && topics.len() == 3 && data.len() == 32 {
            let amount = U256::from_be_slice(data);
            (
                TokenKind::Erc20,
                topic_address(&topics[1]),
                topic_address(&topics[2]),
                vec![(None, Some(amount))],
            )
        } else if *topic0 == Transfer::SIGNATURE_HASH && topics.len() == 4 && data.is_empty() {
            let id = U256::from_be_bytes(topics[3].0);
            (
                TokenKind::Erc721,
                topic_address(&topics[1]),
                topic_address(&topics[2]),
                vec![(Some(id), None)],
            )
        } else if *topic0 == TransferSingle::SIGNATURE_HASH && topics.len() == 4 {
            match TransferSingle::decode_raw_log(topics.iter().copied(), data) {
                Ok(e) => (TokenKind::Erc1155, e.from, e.to, vec![(Some(e.id), Some(e.value))]),
                Err(_) => return,
            }
        } else if *topic0 == TransferBatch::SIGNATURE_HASH && topics.len() == 4 {
            match TransferBatch::decode_raw_log(topics.iter().copied(), data) {
                Ok(e) if e.ids.len() == e.values.len() => (
                    TokenKind::Erc1155,
                    e.from,
                    e.to,
                    e.ids.iter().zip(&e.values).map(|(i, v)| (Some(*i), Some(*v))).collect(),
                ),
                _ => return,
            }
        } else {
            return;
        };
    let token = log.address;
    out.tokens.entry(token).or_insert((kind, number));
    if from.is_zero() || to.is_zero() {
        out.supply_changed.insert(token);
    }
    for (batch_index, (id, amount)) in moves.into_iter().enumerate() {
        out.token_transfers.push(vec![
            int(d),
            int(number),
            int(log_index),
            int(batch_index as u64),
            hash(tx_hash),
            int(ts),
            address(token),
            address(from),
            address(to),
            opt_u256(amount),
            opt_u256(id),
        ]);
        let balance_id = if kind == TokenKind::Erc1155 { id } else { None };
        for holder in [from, to] {
            if !holder.is_zero() {
                out.touched.insert(BalanceKey { token, holder, id: balance_id });
            }
        }
    }
}

/// Adds the cross-domain message, withdrawal, deposit credit or message delivery a log of the
/// system contracts describes.
fn system_events(
    out: &mut Extracted,
    d: u64,
    number: u64,
    ts: u64,
    tx_hash: B256,
    log_index: u64,
    log: &Log,
) {
    let Some(topic0) = log.topics.first() else { return };
    if log.address == CROSS_DOMAIN
        && *topic0 == CrossDomain::MessageSent::SIGNATURE_HASH
        && let Ok(e) =
            CrossDomain::MessageSent::decode_raw_log(log.topics.iter().copied(), &log.data)
    {
        out.messages.push(vec![
            hash(e.messageHash),
            int(d),
            int(e.nonce),
            int(u64::from(e.dstDomain)),
            address(e.sender),
            address(e.to),
            u256(e.value),
            Value::Bytes(Some(e.data.to_vec())),
            int(number),
            hash(tx_hash),
            int(log_index),
            text("sent"),
        ]);
    } else if log.address == CROSS_DOMAIN
        && *topic0 == CrossDomain::MessageDelivered::SIGNATURE_HASH
        && let Ok(e) =
            CrossDomain::MessageDelivered::decode_raw_log(log.topics.iter().copied(), &log.data)
    {
        out.message_deliveries.push(vec![
            hash(e.messageHash),
            int(d),
            int(number),
            hash(tx_hash),
            int(u64::from(e.success)),
        ]);
    } else if log.address == L2_BRIDGE
        && *topic0 == L2Bridge::NativeDepositFinalized::SIGNATURE_HASH
        && let Ok(e) =
            L2Bridge::NativeDepositFinalized::decode_raw_log(log.topics.iter().copied(), &log.data)
    {
        out.deposit_credits.push(vec![
            int(e.depositNonce),
            int(d),
            int(number),
            hash(tx_hash),
            int(u64::from(e.callSucceeded)),
        ]);
    } else if log.address == L2_BRIDGE
        && *topic0 == L2Bridge::DepositFinalized::SIGNATURE_HASH
        && let Ok(e) =
            L2Bridge::DepositFinalized::decode_raw_log(log.topics.iter().copied(), &log.data)
    {
        out.deposit_credits.push(vec![
            int(e.depositNonce),
            int(d),
            int(number),
            hash(tx_hash),
            int(1),
        ]);
    } else if log.address == L2_BRIDGE
        && *topic0 == L2Bridge::WithdrawalInitiated::SIGNATURE_HASH
        && let Ok(e) =
            L2Bridge::WithdrawalInitiated::decode_raw_log(log.topics.iter().copied(), &log.data)
    {
        out.withdrawals.push(vec![
            hash(e.withdrawalHash),
            int(d),
            int(e.nonce),
            address(e.sender),
            address(e.l1Recipient),
            address(e.l1Token),
            u256(e.amount),
            int(number),
            hash(tx_hash),
            int(log_index),
            int(ts),
            text("initiated"),
        ]);
    }
}

/// Walks a call tree below the top call: value moved by calls that did not fail, and contracts
/// created inside the transaction. A failed frame's subtree moved nothing.
#[allow(clippy::too_many_arguments)]
fn internal(
    out: &mut Extracted,
    d: u64,
    number: u64,
    ts: u64,
    tx_index: u64,
    tx_hash: B256,
    frame: &CallFrame,
    index: &mut u64,
) {
    let this = *index;
    *index += 1;
    if frame.error.is_some() {
        return;
    }
    let kind = frame.typ.to_ascii_uppercase();
    if let Some(to) = frame.to {
        if kind.starts_with("CREATE") {
            out.created.entry(to).or_insert((frame.from, tx_hash, number));
        }
        let value = frame.value.unwrap_or_default();
        if !value.is_zero() && kind != "DELEGATECALL" {
            out.internal_transfers.push(vec![
                int(d),
                int(number),
                int(tx_index),
                int(this),
                hash(tx_hash),
                int(ts),
                text(kind.clone()),
                address(frame.from),
                address(to),
                u256(value),
            ]);
            for holder in [frame.from, to] {
                out.touched.insert(BalanceKey { token: Address::ZERO, holder, id: None });
            }
        }
    }
    for call in &frame.calls {
        internal(out, d, number, ts, tx_index, tx_hash, call, index);
    }
}
