//! Blocks: in lists, the block page, and where a block hash is.

use alloy_primitives::U256;
use sec_indexer::Database;
use serde::Serialize;
use sqlx::any::AnyRow;

use crate::{
    ExplorerError,
    format::{self, address, age, hex, now, units},
};

use crate::lists::encode;

use super::{
    pager::PAGE,
    rows::{bytes, int, opt_int},
    transactions::{TX_SUMMARY_COLUMNS, TxSummary, tx_summary},
};

/// A block in a list.
#[derive(Debug, Clone, Serialize)]
pub struct BlockSummary {
    pub domain: i64,
    pub number: i64,
    pub hash: String,
    pub timestamp: i64,
    pub time: String,
    pub age: String,
    pub miner: String,
    pub tx_count: i64,
    pub gas_used: i64,
    pub gas_limit: i64,
    pub finalized: bool,
}

pub(crate) const BLOCK_COLUMNS: &str = "domain, number, hash, parent_hash, timestamp, miner, gas_used, \
    gas_limit, base_fee, tx_count, size, state_root, extra_data, final";

pub(crate) fn block_summary(row: &AnyRow, now: u64) -> Result<BlockSummary, ExplorerError> {
    let ts = int(row, "timestamp")?;
    Ok(BlockSummary {
        domain: int(row, "domain")?,
        number: int(row, "number")?,
        hash: hex(&bytes(row, "hash")?),
        timestamp: ts,
        time: format::utc(ts as u64),
        age: age(ts as u64, now),
        miner: address(&bytes(row, "miner")?),
        tx_count: int(row, "tx_count")?,
        gas_used: int(row, "gas_used")?,
        gas_limit: int(row, "gas_limit")?,
        finalized: int(row, "final")? != 0,
    })
}

/// A block page.
#[derive(Debug, Clone, Serialize)]
pub struct BlockView {
    #[serde(flatten)]
    pub summary: BlockSummary,
    pub parent_hash: String,
    pub base_fee: Option<String>,
    pub size: i64,
    pub state_root: String,
    pub extra_data: String,
    /// The certificate that finalized it; `None` for a block made without validators.
    pub finality: Option<Finality>,
    pub transactions: Vec<TxSummary>,
    /// Whether the transactions start at the block's first (no `after`).
    pub first: bool,
    /// The cursor of the next page of transactions (the last index shown): pass it as `after`.
    pub next: Option<String>,
}

/// Who finalized a block: the round its certificate was decided in and the validators'
/// signing keys whose precommits it carries.
#[derive(Debug, Clone, Serialize)]
pub struct Finality {
    pub round: i64,
    pub signers: Vec<String>,
}

fn finality(row: &AnyRow) -> Result<Option<Finality>, ExplorerError> {
    let Some(round) = opt_int(row, "finality_round")? else { return Ok(None) };
    let signers = bytes(row, "finality_signers")?;
    Ok(Some(Finality { round, signers: signers.chunks_exact(20).map(address).collect() }))
}

/// The latest blocks of `domain`.
pub async fn latest_blocks(
    db: &Database,
    domain: i64,
    n: i64,
) -> Result<Vec<BlockSummary>, ExplorerError> {
    let now = now();
    let sql = format!(
        "SELECT {BLOCK_COLUMNS} FROM blocks WHERE domain = $1 ORDER BY number DESC LIMIT $2"
    );
    sqlx::query(&sql)
        .bind(domain)
        .bind(n)
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| block_summary(r, now))
        .collect()
}

/// A block's transactions in order, after index `$3` when `after` (from its primary key, so a
/// page of a full block reads what it shows), `$3` (or `$4`) of them.
fn block_transactions_sql(after: bool) -> String {
    let (cursor, limit) = if after { ("AND tx_index > $3", "$4") } else { ("", "$3") };
    format!(
        "SELECT {TX_SUMMARY_COLUMNS} FROM transactions WHERE domain = $1 AND block_number = $2 \
         {cursor} ORDER BY tx_index LIMIT {limit}"
    )
}

/// The module's statements with their parameters' kinds (`i` an integer), for the tests that
/// check each is served by an index.
pub(super) fn block_statements() -> Vec<(String, &'static str)> {
    vec![(block_transactions_sql(false), "iii"), (block_transactions_sql(true), "iiii")]
}

/// Block `number` of `domain`, with a page of its transactions: those after index `after`, or
/// its first.
pub async fn block(
    db: &Database,
    domain: i64,
    number: i64,
    after: Option<i64>,
) -> Result<Option<BlockView>, ExplorerError> {
    let sql = format!(
        "SELECT {BLOCK_COLUMNS}, finality_round, finality_signers FROM blocks \
         WHERE domain = $1 AND number = $2"
    );
    let Some(row) = sqlx::query(&sql).bind(domain).bind(number).fetch_optional(db.pool()).await?
    else {
        return Ok(None);
    };
    let now = now();
    let sql = block_transactions_sql(after.is_some());
    let mut query = sqlx::query(&sql).bind(domain).bind(number);
    if let Some(i) = after {
        query = query.bind(i);
    }
    let rows = query.bind(PAGE + 1).fetch_all(db.pool()).await?;
    let transactions = rows
        .iter()
        .take(PAGE as usize)
        .map(|r| tx_summary(r, now))
        .collect::<Result<Vec<_>, _>>()?;
    let next = (rows.len() as i64 > PAGE)
        .then(|| transactions.last())
        .flatten()
        .map(|t| encode(&[t.tx_index]));
    Ok(Some(BlockView {
        summary: block_summary(&row, now)?,
        parent_hash: hex(&bytes(&row, "parent_hash")?),
        base_fee: opt_int(&row, "base_fee")?
            .map(|f| format!("{} gwei", units(U256::from(f as u64), 9))),
        size: int(&row, "size")?,
        state_root: hex(&bytes(&row, "state_root")?),
        extra_data: hex(&bytes(&row, "extra_data")?),
        finality: finality(&row)?,
        transactions,
        first: after.is_none(),
        next,
    }))
}

/// Where a block hash is.
pub async fn block_by_hash(
    db: &Database,
    hash: &[u8],
) -> Result<Option<(i64, i64)>, ExplorerError> {
    let row = sqlx::query("SELECT domain, number FROM blocks WHERE hash = $1")
        .bind(hash.to_vec())
        .fetch_optional(db.pool())
        .await?;
    row.map(|r| Ok((int(&r, "domain")?, int(&r, "number")?))).transpose()
}
