//! Transactions: in lists, and the transaction page with its logs, token and internal transfers,
//! messages and withdrawals.

use alloy_primitives::{B256, U256, keccak256};
use sec_indexer::Database;
use serde::Serialize;
use sqlx::{Row, any::AnyRow};

use crate::{
    ExplorerError,
    format::{self, address, age, amount, hex, now, sec, units},
};

use super::{
    bridge::{
        MESSAGE_COLUMNS, MESSAGE_FROM, MessageView, WITHDRAWAL_COLUMNS, WITHDRAWAL_FROM,
        WithdrawalView, message_view, withdrawal_view,
    },
    rows::{bytes, int, opt_bytes, opt_int, opt_text},
};

/// A transaction in a list.
#[derive(Debug, Clone, Serialize)]
pub struct TxSummary {
    pub domain: i64,
    pub block_number: i64,
    pub tx_index: i64,
    pub hash: String,
    pub from: String,
    pub to: Option<String>,
    pub contract_address: Option<String>,
    pub value: String,
    pub method: Option<String>,
    /// The method's name, where the transaction went to a verified contract (address pages).
    pub method_name: Option<String>,
    pub success: bool,
    pub timestamp: i64,
    pub time: String,
    pub age: String,
}

pub(crate) const TX_SUMMARY_COLUMNS: &str = "domain, block_number, tx_index, hash, from_address, to_address, \
    contract_address, value, substr(input, 1, 4) AS selector, status, timestamp";

pub(crate) fn tx_summary(row: &AnyRow, now: u64) -> Result<TxSummary, ExplorerError> {
    let ts = int(row, "timestamp")?;
    let selector = bytes(row, "selector")?;
    Ok(TxSummary {
        domain: int(row, "domain")?,
        block_number: int(row, "block_number")?,
        tx_index: int(row, "tx_index")?,
        hash: hex(&bytes(row, "hash")?),
        from: address(&bytes(row, "from_address")?),
        to: opt_bytes(row, "to_address")?.map(|b| address(&b)),
        contract_address: opt_bytes(row, "contract_address")?.map(|b| address(&b)),
        value: sec(amount(&bytes(row, "value")?)),
        method: (selector.len() == 4).then(|| hex(&selector)),
        method_name: None,
        success: int(row, "status")? == 1,
        timestamp: ts,
        time: format::utc(ts as u64),
        age: age(ts as u64, now),
    })
}

/// The latest transactions of `domain`.
pub async fn latest_transactions(
    db: &Database,
    domain: i64,
    n: i64,
) -> Result<Vec<TxSummary>, ExplorerError> {
    let now = now();
    let sql = format!(
        "SELECT {TX_SUMMARY_COLUMNS} FROM transactions WHERE domain = $1 \
         ORDER BY block_number DESC, tx_index DESC LIMIT $2"
    );
    sqlx::query(&sql)
        .bind(domain)
        .bind(n)
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| tx_summary(r, now))
        .collect()
}

/// A log of a transaction, decoded when it is a known event.
#[derive(Debug, Clone, Serialize)]
pub struct LogView {
    pub log_index: i64,
    pub address: String,
    pub topics: Vec<String>,
    pub data: String,
    pub event: Option<String>,
    /// The event decoded with the emitting contract's verified ABI.
    pub decoded: Option<crate::contract::Decoded>,
}

/// A token transfer.
#[derive(Debug, Clone, Serialize)]
pub struct TokenTransferView {
    pub domain: i64,
    pub block_number: i64,
    pub tx_hash: String,
    pub token: String,
    pub token_name: Option<String>,
    pub token_symbol: Option<String>,
    pub kind: Option<String>,
    pub from: String,
    pub to: String,
    pub amount: Option<String>,
    pub token_id: Option<String>,
    pub timestamp: i64,
    pub age: String,
}

pub(super) const TRANSFER_COLUMNS: &str = "t.domain, t.block_number, t.tx_hash, t.token, t.from_address, \
    t.to_address, t.amount, t.token_id, t.timestamp, k.name, k.symbol, k.decimals, k.kind";
pub(super) const TRANSFER_JOIN: &str =
    "token_transfers t LEFT JOIN tokens k ON k.domain = t.domain AND k.address = t.token";

pub(super) fn transfer_view(row: &AnyRow, now: u64) -> Result<TokenTransferView, ExplorerError> {
    let decimals = opt_int(row, "decimals")?.unwrap_or(0).clamp(0, 77) as u8;
    let ts = int(row, "timestamp")?;
    Ok(TokenTransferView {
        domain: int(row, "domain")?,
        block_number: int(row, "block_number")?,
        tx_hash: hex(&bytes(row, "tx_hash")?),
        token: address(&bytes(row, "token")?),
        token_name: opt_text(row, "name")?,
        token_symbol: opt_text(row, "symbol")?,
        kind: opt_text(row, "kind")?,
        from: address(&bytes(row, "from_address")?),
        to: address(&bytes(row, "to_address")?),
        amount: opt_bytes(row, "amount")?.map(|a| units(amount(&a), decimals)),
        token_id: opt_bytes(row, "token_id")?.map(|a| amount(&a).to_string()),
        timestamp: ts,
        age: age(ts as u64, now),
    })
}

/// A value transfer inside a transaction.
#[derive(Debug, Clone, Serialize)]
pub struct InternalView {
    pub call_type: String,
    pub from: String,
    pub to: String,
    pub value: String,
}

/// A transaction page.
#[derive(Debug, Clone, Serialize)]
pub struct TxView {
    #[serde(flatten)]
    pub summary: TxSummary,
    pub nonce: i64,
    pub gas: i64,
    pub gas_used: i64,
    pub cumulative_gas_used: i64,
    pub effective_gas_price: String,
    pub fee: String,
    pub tx_type: i64,
    pub input: String,
    /// The input decoded with the verified ABI of the contract called.
    pub decoded_input: Option<crate::contract::Decoded>,
    pub finalized: bool,
    pub logs: Vec<LogView>,
    pub token_transfers: Vec<TokenTransferView>,
    pub internal_transfers: Vec<InternalView>,
    pub messages: Vec<MessageView>,
    pub withdrawals: Vec<WithdrawalView>,
}

/// Signature hashes of the events the transaction page names, computed once.
static KNOWN_EVENTS: std::sync::LazyLock<Vec<(B256, &'static str)>> =
    std::sync::LazyLock::new(|| {
        [
            "Transfer(address,address,uint256)",
            "Approval(address,address,uint256)",
            "TransferSingle(address,address,address,uint256,uint256)",
            "TransferBatch(address,address,address,uint256[],uint256[])",
            "ApprovalForAll(address,address,bool)",
        ]
        .into_iter()
        .map(|e| (keccak256(e.as_bytes()), e))
        .collect()
    });

fn event_name(topic0: &[u8]) -> Option<&'static str> {
    KNOWN_EVENTS.iter().find(|(h, _)| h.as_slice() == topic0).map(|(_, e)| *e)
}

/// Transaction `hash` (the first, if the same hash is in two domains).
pub async fn transaction(db: &Database, hash: &[u8]) -> Result<Option<TxView>, ExplorerError> {
    let sql = format!(
        "SELECT {TX_SUMMARY_COLUMNS}, nonce, gas, gas_used, cumulative_gas_used, effective_gas_price, \
         tx_type, input, first_log_index, log_count FROM transactions WHERE hash = $1 \
         ORDER BY domain LIMIT 1"
    );
    let Some(row) = sqlx::query(&sql).bind(hash.to_vec()).fetch_optional(db.pool()).await? else {
        return Ok(None);
    };
    let now = now();
    let summary = tx_summary(&row, now)?;
    let (domain, number) = (summary.domain, summary.block_number);
    let price = amount(&bytes(&row, "effective_gas_price")?);
    let gas_used = int(&row, "gas_used")?;
    let finalized = sqlx::query("SELECT final FROM blocks WHERE domain = $1 AND number = $2")
        .bind(domain)
        .bind(number)
        .fetch_optional(db.pool())
        .await?
        .map(|r| int(&r, "final"))
        .transpose()?
        .unwrap_or(0)
        != 0;
    // The transaction's logs are the range [first, last] of the block's: a primary-key range.
    let first_log = int(&row, "first_log_index")?;
    let last_log = first_log + int(&row, "log_count")? - 1;
    let log_rows = sqlx::query(
        "SELECT log_index, address, topic0, topic1, topic2, topic3, data FROM logs \
         WHERE domain = $1 AND block_number = $2 AND log_index >= $3 AND log_index <= $4 \
         ORDER BY log_index",
    )
    .bind(domain)
    .bind(number)
    .bind(first_log)
    .bind(last_log)
    .fetch_all(db.pool())
    .await?;
    let mut abis = crate::contract::Abis::default();
    let mut logs = Vec::with_capacity(log_rows.len());
    for r in &log_rows {
        let topics: Vec<Vec<u8>> = ["topic0", "topic1", "topic2", "topic3"]
            .iter()
            .filter_map(|c| opt_bytes(r, c).transpose())
            .collect::<Result<_, _>>()?;
        let emitter = bytes(r, "address")?;
        let data = bytes(r, "data")?;
        let decoded = abis
            .get(db, domain, &emitter)
            .await?
            .and_then(|abi| crate::contract::decode_log(abi, &topics, &data));
        logs.push(LogView {
            log_index: int(r, "log_index")?,
            address: address(&emitter),
            event: decoded
                .as_ref()
                .map(|d| d.signature.clone())
                .or_else(|| topics.first().and_then(|t| event_name(t)).map(String::from)),
            topics: topics.iter().map(|t| hex(t)).collect(),
            data: hex(&data),
            decoded,
        });
    }
    let input = bytes(&row, "input")?;
    let decoded_input = match opt_bytes(&row, "to_address")? {
        Some(to) => abis
            .get(db, domain, &to)
            .await?
            .and_then(|abi| crate::contract::decode_input(abi, &input)),
        None => None,
    };
    let sql = format!(
        "SELECT {TRANSFER_COLUMNS} FROM {TRANSFER_JOIN} WHERE t.domain = $1 AND t.block_number = $2 \
         AND t.log_index >= $3 AND t.log_index <= $4 ORDER BY t.log_index, t.batch_index"
    );
    let token_transfers = sqlx::query(&sql)
        .bind(domain)
        .bind(number)
        .bind(first_log)
        .bind(last_log)
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| transfer_view(r, now))
        .collect::<Result<_, _>>()?;
    let internal_transfers = sqlx::query(
        "SELECT call_type, from_address, to_address, value FROM internal_transfers \
         WHERE domain = $1 AND block_number = $2 AND tx_index = $3 ORDER BY trace_index",
    )
    .bind(domain)
    .bind(number)
    .bind(summary.tx_index)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(InternalView {
            call_type: r.try_get::<String, _>("call_type")?,
            from: address(&bytes(r, "from_address")?),
            to: address(&bytes(r, "to_address")?),
            value: sec(amount(&bytes(r, "value")?)),
        })
    })
    .collect::<Result<_, ExplorerError>>()?;
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} WHERE m.tx_hash = $1 ORDER BY m.log_index"
    );
    let messages = sqlx::query(&sql)
        .bind(hash.to_vec())
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(message_view)
        .collect::<Result<_, _>>()?;
    let sql = format!(
        "SELECT {WITHDRAWAL_COLUMNS} FROM {WITHDRAWAL_FROM} WHERE w.tx_hash = $1 ORDER BY w.log_index"
    );
    let withdrawals = sqlx::query(&sql)
        .bind(hash.to_vec())
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| withdrawal_view(r, now))
        .collect::<Result<_, _>>()?;
    Ok(Some(TxView {
        summary,
        messages,
        withdrawals,
        nonce: int(&row, "nonce")?,
        gas: int(&row, "gas")?,
        gas_used,
        cumulative_gas_used: int(&row, "cumulative_gas_used")?,
        effective_gas_price: format!("{} gwei", units(price, 9)),
        fee: sec(price * U256::from(gas_used as u64)),
        tx_type: int(&row, "tx_type")?,
        input: hex(&input),
        decoded_input,
        finalized,
        logs,
        token_transfers,
        internal_transfers,
    }))
}
