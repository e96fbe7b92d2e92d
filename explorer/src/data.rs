//! Reading the index for the pages and the JSON API: one function per view, bound parameters
//! only, every query served by an index (paging is by `LIMIT`/`OFFSET` over indexed order).

use alloy_primitives::{B256, U256, keccak256};
use sec_indexer::Database;
use serde::Serialize;
use sqlx::{Row, any::AnyRow};

use crate::{
    ExplorerError,
    format::{self, address, age, amount, hex, now, sec, units},
};

/// Rows per page everywhere.
pub const PAGE: i64 = 25;

/// A byte column; SQLite hands back an empty BLOB from an expression as NULL, so NULL reads as
/// empty.
pub(crate) fn bytes(row: &AnyRow, col: &str) -> Result<Vec<u8>, ExplorerError> {
    Ok(row.try_get::<Option<Vec<u8>>, _>(col)?.unwrap_or_default())
}
pub(crate) fn opt_bytes(row: &AnyRow, col: &str) -> Result<Option<Vec<u8>>, ExplorerError> {
    Ok(row.try_get::<Option<Vec<u8>>, _>(col)?)
}
pub(crate) fn int(row: &AnyRow, col: &str) -> Result<i64, ExplorerError> {
    Ok(row.try_get::<i64, _>(col)?)
}
pub(crate) fn opt_int(row: &AnyRow, col: &str) -> Result<Option<i64>, ExplorerError> {
    Ok(row.try_get::<Option<i64>, _>(col)?)
}
pub(crate) fn opt_text(row: &AnyRow, col: &str) -> Result<Option<String>, ExplorerError> {
    Ok(row.try_get::<Option<String>, _>(col)?)
}

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
    pub transactions: Vec<TxSummary>,
    pub page: Paging,
}

/// Where a paged list is.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Paging {
    pub page: i64,
    pub prev: Option<i64>,
    pub next: Option<i64>,
}

impl Paging {
    fn new(page: i64, rows: usize) -> Self {
        Self {
            page,
            prev: (page > 1).then_some(page - 1),
            next: (rows as i64 > PAGE).then_some(page + 1),
        }
    }
}

fn offset(page: i64) -> i64 {
    (page.max(1) - 1) * PAGE
}

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

/// A domain's row of `chain_heads`, which the indexer's writer keeps in the transaction of
/// every run: heads and totals without aggregating `blocks` (a cost that grows with the chain).
#[derive(Debug, Clone, Copy)]
struct Heads {
    domain: i64,
    head: i64,
    finalized: Option<i64>,
    transactions: i64,
}

/// Every indexed domain's heads, by domain.
async fn heads(db: &Database) -> Result<Vec<Heads>, ExplorerError> {
    let rows = sqlx::query(
        "SELECT domain, head, finalized, transactions FROM chain_heads ORDER BY domain",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Heads {
                domain: int(r, "domain")?,
                head: int(r, "head")?,
                finalized: Some(int(r, "finalized")?).filter(|f| *f >= 0),
                transactions: int(r, "transactions")?,
            })
        })
        .collect()
}

/// The domains the index holds.
pub async fn domains(db: &Database) -> Result<Vec<i64>, ExplorerError> {
    Ok(heads(db).await?.iter().map(|h| h.domain).collect())
}

/// One domain on the home page.
#[derive(Debug, Clone, Serialize)]
pub struct DomainSummary {
    pub domain: i64,
    pub head: Option<i64>,
    pub finalized: Option<i64>,
    pub blocks: Vec<BlockSummary>,
    /// Transactions per second over the blocks shown.
    pub tps: String,
    /// Per block, oldest first: (number, transactions, gas used) for the charts.
    pub chart: Vec<(i64, i64, i64)>,
    pub max_txs: i64,
    pub max_gas: i64,
}

/// One row of the domains page.
#[derive(Debug, Clone, Serialize)]
pub struct DomainRow {
    pub domain: i64,
    pub chain_id: u64,
    pub head: Option<i64>,
    pub finalized: Option<i64>,
    pub transactions: i64,
    pub tps: String,
    pub last_block_age: Option<String>,
}

/// Every domain: chain id, head, finalized height, transactions, recent rate.
pub async fn domain_rows(
    db: &Database,
    chain_id_base: u64,
) -> Result<Vec<DomainRow>, ExplorerError> {
    let mut rows = Vec::new();
    for (d, heads) in domain_summaries(db).await? {
        rows.push(DomainRow {
            domain: d.domain,
            chain_id: chain_id_base + d.domain as u64,
            head: d.head,
            finalized: d.finalized,
            transactions: heads.transactions,
            tps: d.tps,
            last_block_age: d.blocks.first().map(|b| b.age.clone()),
        });
    }
    Ok(rows)
}

/// The home page.
#[derive(Debug, Clone, Serialize)]
pub struct HomeView {
    pub domains: Vec<DomainSummary>,
    pub transactions: Vec<TxSummary>,
    /// Why the index may not show the chain as it is now, when it may not: the indexer has
    /// stopped reporting, or a domain's index is behind its node.
    pub stale: Option<String>,
    /// Lookup indexes a bulk load (the indexer's first backfill) has yet to build: until they
    /// are, pages found by hash or address scan their tables.
    pub indexes_building: i64,
}

/// Blocks in the home page charts.
const CHART_BLOCKS: i64 = 30;

/// The home page: every domain's latest blocks and activity, the latest transactions, and
/// whether the index is stale (`stale_after` seconds without word from the indexer, or a domain
/// indexed to a block that old while its node is ahead).
pub async fn home(db: &Database, stale_after: u64) -> Result<HomeView, ExplorerError> {
    let domains_out: Vec<DomainSummary> =
        domain_summaries(db).await?.into_iter().map(|(d, _)| d).collect();
    let mut transactions = Vec::new();
    for d in &domains_out {
        transactions.extend(latest_transactions(db, d.domain, 10).await?);
    }
    transactions.sort_by(|a, b| b.timestamp.cmp(&a.timestamp).then(a.domain.cmp(&b.domain)));
    transactions.truncate(15);
    let building =
        sqlx::query("SELECT COUNT(*) AS n FROM deferred_indexes").fetch_one(db.pool()).await?;
    let indexes_building = int(&building, "n")?;
    let stale = staleness(db, &domains_out, stale_after).await?;
    Ok(HomeView { domains: domains_out, transactions, stale, indexes_building })
}

/// What the indexer last saw of each domain's node: (domain, node head, unix time).
async fn statuses(db: &Database) -> Result<Vec<(i64, i64, i64)>, ExplorerError> {
    let rows =
        sqlx::query("SELECT domain, node_head, checked_at FROM indexer_status ORDER BY domain")
            .fetch_all(db.pool())
            .await?;
    rows.iter()
        .map(|r| Ok((int(r, "domain")?, int(r, "node_head")?, int(r, "checked_at")?)))
        .collect()
}

/// Why the index is stale, if it is (see [`home`]).
async fn staleness(
    db: &Database,
    domains: &[DomainSummary],
    stale_after: u64,
) -> Result<Option<String>, ExplorerError> {
    let now = now() as i64;
    let statuses = statuses(db).await?;
    let limit = stale_after as i64;
    let last_word = statuses.iter().map(|s| s.2).max();
    match last_word {
        None if !domains.is_empty() => {
            return Ok(Some("The indexer has not reported since this index was made.".into()));
        }
        Some(at) if now - at > limit => {
            return Ok(Some(format!(
                "The indexer last reported {}: it has stopped or cannot reach the node, \
                 and what is shown may be out of date.",
                age(at as u64, now as u64)
            )));
        }
        _ => {}
    }
    for d in domains {
        let Some(&(_, node_head, _)) = statuses.iter().find(|s| s.0 == d.domain) else { continue };
        let (Some(head), Some(latest)) = (d.head, d.blocks.first()) else { continue };
        if node_head > head && now - latest.timestamp > limit {
            return Ok(Some(format!(
                "Domain {} is indexed to block {head} of the node's {node_head}; its latest \
                 indexed block is from {}.",
                d.domain,
                age(latest.timestamp.max(0) as u64, now as u64)
            )));
        }
    }
    Ok(None)
}

/// Every domain's head, finalized height, recent rate and latest blocks.
async fn domain_summaries(db: &Database) -> Result<Vec<(DomainSummary, Heads)>, ExplorerError> {
    let mut out = Vec::new();
    for heads in heads(db).await? {
        let domain = heads.domain;
        let recent = latest_blocks(db, domain, CHART_BLOCKS).await?;
        let txs: i64 = recent.iter().map(|b| b.tx_count).sum();
        let span = match (recent.first(), recent.last()) {
            (Some(a), Some(b)) => (a.timestamp - b.timestamp).max(1),
            _ => 1,
        };
        let chart: Vec<(i64, i64, i64)> =
            recent.iter().rev().map(|b| (b.number, b.tx_count, b.gas_used)).collect();
        let summary = DomainSummary {
            domain,
            head: Some(heads.head),
            finalized: heads.finalized,
            tps: format!("{:.1}", txs as f64 / span as f64),
            max_txs: chart.iter().map(|c| c.1).max().unwrap_or(0).max(1),
            max_gas: chart.iter().map(|c| c.2).max().unwrap_or(0).max(1),
            chart,
            blocks: recent.into_iter().take(6).collect(),
        };
        out.push((summary, heads));
    }
    Ok(out)
}

/// Block `number` of `domain`, with a page of its transactions.
pub async fn block(
    db: &Database,
    domain: i64,
    number: i64,
    page: i64,
) -> Result<Option<BlockView>, ExplorerError> {
    let sql = format!("SELECT {BLOCK_COLUMNS} FROM blocks WHERE domain = $1 AND number = $2");
    let Some(row) = sqlx::query(&sql).bind(domain).bind(number).fetch_optional(db.pool()).await?
    else {
        return Ok(None);
    };
    let now = now();
    let sql = format!(
        "SELECT {TX_SUMMARY_COLUMNS} FROM transactions WHERE domain = $1 AND block_number = $2 \
         ORDER BY tx_index LIMIT $3 OFFSET $4"
    );
    let rows = sqlx::query(&sql)
        .bind(domain)
        .bind(number)
        .bind(PAGE + 1)
        .bind(offset(page))
        .fetch_all(db.pool())
        .await?;
    let paging = Paging::new(page, rows.len());
    let transactions =
        rows.iter().take(PAGE as usize).map(|r| tx_summary(r, now)).collect::<Result<_, _>>()?;
    Ok(Some(BlockView {
        summary: block_summary(&row, now)?,
        parent_hash: hex(&bytes(&row, "parent_hash")?),
        base_fee: opt_int(&row, "base_fee")?
            .map(|f| format!("{} gwei", units(U256::from(f as u64), 9))),
        size: int(&row, "size")?,
        state_root: hex(&bytes(&row, "state_root")?),
        extra_data: hex(&bytes(&row, "extra_data")?),
        transactions,
        page: paging,
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

const TRANSFER_COLUMNS: &str = "t.domain, t.block_number, t.tx_hash, t.token, t.from_address, \
    t.to_address, t.amount, t.token_id, t.timestamp, k.name, k.symbol, k.decimals, k.kind";
const TRANSFER_JOIN: &str =
    "token_transfers t LEFT JOIN tokens k ON k.domain = t.domain AND k.address = t.token";

fn transfer_view(row: &AnyRow, now: u64) -> Result<TokenTransferView, ExplorerError> {
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

/// The domain id of Ethereum in cross-domain messages (`Messages.L1_DOMAIN`).
const L1_DOMAIN: i64 = u32::MAX as i64;

fn domain_name(d: i64) -> String {
    if d == L1_DOMAIN { "Ethereum".into() } else { format!("domain {d}") }
}

/// A cross-domain message.
#[derive(Debug, Clone, Serialize)]
pub struct MessageView {
    pub message_hash: String,
    pub source: String,
    pub target: String,
    pub nonce: i64,
    pub sender: String,
    pub to: String,
    pub value: String,
    pub block_number: i64,
    pub tx_hash: String,
    pub status: String,
}

/// Message columns over `messages m`, with the stage the destination reached when it has
/// (`delivered`, or `failed`: delivered, its call reverted; for Ethereum, `finalized`: the
/// withdrawal it carries was paid out there).
const MESSAGE_COLUMNS: &str = "m.message_hash, m.source_domain, m.target_domain, m.nonce, \
    m.sender, m.target, m.value, m.block_number, m.tx_hash, \
    CASE WHEN f.withdrawal_hash IS NOT NULL THEN 'finalized' \
    WHEN x.message_hash IS NULL THEN m.status WHEN x.success = 1 THEN 'delivered' \
    ELSE 'failed' END AS status";
/// `messages m` with their deliveries, on a domain or (a withdrawal's) on Ethereum.
const MESSAGE_FROM: &str = "messages m LEFT JOIN message_deliveries x ON x.message_hash = m.message_hash \
    LEFT JOIN withdrawal_finalizations f ON f.withdrawal_hash = m.message_hash";

fn message_view(r: &AnyRow) -> Result<MessageView, ExplorerError> {
    Ok(MessageView {
        message_hash: hex(&bytes(r, "message_hash")?),
        source: domain_name(int(r, "source_domain")?),
        target: domain_name(int(r, "target_domain")?),
        nonce: int(r, "nonce")?,
        sender: address(&bytes(r, "sender")?),
        to: address(&bytes(r, "target")?),
        value: sec(amount(&bytes(r, "value")?)),
        block_number: int(r, "block_number")?,
        tx_hash: hex(&bytes(r, "tx_hash")?),
        status: r.try_get::<String, _>("status")?,
    })
}

/// A withdrawal to Ethereum.
#[derive(Debug, Clone, Serialize)]
pub struct WithdrawalView {
    pub withdrawal_hash: String,
    pub domain: i64,
    pub nonce: i64,
    pub sender: String,
    pub l1_recipient: String,
    pub l1_token: String,
    pub amount: String,
    pub block_number: i64,
    pub tx_hash: String,
    pub age: String,
    pub stage: String,
}

/// Withdrawal columns, with the stage Ethereum has reached when it has (finalized).
const WITHDRAWAL_COLUMNS: &str = "w.withdrawal_hash, w.domain, w.nonce, w.sender, w.l1_recipient, \
    w.l1_token, w.amount, w.block_number, w.tx_hash, w.timestamp, \
    CASE WHEN f.withdrawal_hash IS NULL THEN w.stage ELSE 'finalized' END AS stage";
const WITHDRAWAL_FROM: &str = "withdrawals w LEFT JOIN withdrawal_finalizations f \
    ON f.withdrawal_hash = w.withdrawal_hash";

fn withdrawal_view(r: &AnyRow, now: u64) -> Result<WithdrawalView, ExplorerError> {
    Ok(WithdrawalView {
        withdrawal_hash: hex(&bytes(r, "withdrawal_hash")?),
        domain: int(r, "domain")?,
        nonce: int(r, "nonce")?,
        sender: address(&bytes(r, "sender")?),
        l1_recipient: address(&bytes(r, "l1_recipient")?),
        l1_token: address(&bytes(r, "l1_token")?),
        // The amount is in the L1 token's units; SEC and bridged tokens use 18 decimals.
        amount: units(amount(&bytes(r, "amount")?), 18),
        block_number: int(r, "block_number")?,
        tx_hash: hex(&bytes(r, "tx_hash")?),
        age: age(int(r, "timestamp")? as u64, now),
        stage: r.try_get::<String, _>("stage")?,
    })
}

/// A deposit from Ethereum.
#[derive(Debug, Clone, Serialize)]
pub struct DepositView {
    pub nonce: i64,
    pub domain: i64,
    pub asset: String,
    pub l1_token: String,
    pub from: String,
    pub to: String,
    pub amount: String,
    pub l1_block: i64,
    pub l1_tx_hash: String,
    pub stage: String,
}

fn deposit_view(r: &AnyRow) -> Result<DepositView, ExplorerError> {
    let kind = int(r, "kind")?;
    Ok(DepositView {
        nonce: int(r, "nonce")?,
        domain: int(r, "domain")?,
        asset: match kind {
            0 => "ETH".into(),
            1 => "SEC".into(),
            _ => "ERC-20".into(),
        },
        l1_token: address(&bytes(r, "l1_token")?),
        from: address(&bytes(r, "from_address")?),
        to: address(&bytes(r, "to_address")?),
        // ETH and SEC have 18 decimals; other tokens are shown in their smallest unit.
        amount: if kind <= 1 {
            units(amount(&bytes(r, "amount")?), 18)
        } else {
            amount(&bytes(r, "amount")?).to_string()
        },
        l1_block: int(r, "l1_block")?,
        l1_tx_hash: hex(&bytes(r, "l1_tx_hash")?),
        stage: r.try_get::<String, _>("stage")?,
    })
}

/// A validator as StakeManager reports it.
#[derive(Debug, Clone, Serialize)]
pub struct ValidatorView {
    pub address: String,
    pub signer: String,
    pub commission: String,
    pub stake: String,
    pub self_stake: String,
    pub delegators: i64,
    pub slashed: String,
    pub jailed: bool,
    pub jailed_until: i64,
    pub registered_l1_block: i64,
}

/// Validators, largest bonded stake first.
pub async fn validators(db: &Database) -> Result<Vec<ValidatorView>, ExplorerError> {
    let rows = sqlx::query(
        "SELECT v.address, v.signer, v.commission_bps, v.stake, v.self_stake, v.jailed, \
           v.jailed_until, v.registered_l1_block, \
           (SELECT COUNT(*) FROM delegations d WHERE d.validator = v.address AND d.delegator <> v.address) AS delegators \
         FROM validators v ORDER BY v.stake DESC, v.address",
    )
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let a = bytes(&r, "address")?;
        // Slashed amounts are summed here: 256-bit values are stored as bytes.
        let slashed = sqlx::query("SELECT amount FROM slashings WHERE validator = $1")
            .bind(a.clone())
            .fetch_all(db.pool())
            .await?
            .iter()
            .map(|s| bytes(s, "amount").map(|b| amount(&b)))
            .try_fold(U256::ZERO, |acc, v| v.map(|v| acc.saturating_add(v)))?;
        let bps = int(&r, "commission_bps")?;
        out.push(ValidatorView {
            address: address(&a),
            signer: address(&bytes(&r, "signer")?),
            commission: format!("{}.{:02} %", bps / 100, bps % 100),
            stake: units(amount(&bytes(&r, "stake")?), 18),
            self_stake: units(amount(&bytes(&r, "self_stake")?), 18),
            delegators: int(&r, "delegators")?,
            slashed: units(slashed, 18),
            jailed: int(&r, "jailed")? != 0,
            jailed_until: int(&r, "jailed_until")?,
            registered_l1_block: int(&r, "registered_l1_block")?,
        });
    }
    Ok(out)
}

/// One allocation of the SEC supply.
#[derive(Debug, Clone, Serialize)]
pub struct AllocationView {
    pub name: String,
    pub contract: String,
    pub total: String,
    pub released: String,
    pub vested: String,
    pub locked: String,
    pub scheduled: bool,
}

/// The SEC token page: allocations, totals, and the vesting schedule as a chart.
#[derive(Debug, Clone, Serialize)]
pub struct SecView {
    pub allocations: Vec<AllocationView>,
    pub total: String,
    pub released: String,
    pub locked: String,
    /// SVG path of the cumulative scheduled unlocks over time (600 x 150 box).
    pub chart_path: String,
    /// Where "now" falls on the chart, 0-600.
    pub now_x: i64,
    pub first_unlock: Option<String>,
    pub last_unlock: Option<String>,
    pub l1_block: Option<i64>,
}

/// The SEC token's allocations as Ethereum reports them.
pub async fn sec_token(db: &Database) -> Result<SecView, ExplorerError> {
    let rows = sqlx::query(
        "SELECT contract, name, total, released, releasable, schedule, l1_block FROM allocations ORDER BY name",
    )
    .fetch_all(db.pool())
    .await?;
    let (mut total, mut released, mut locked) = (U256::ZERO, U256::ZERO, U256::ZERO);
    let mut unlocks: Vec<(u64, U256)> = Vec::new();
    let mut allocations = Vec::new();
    let mut l1_block = None;
    for r in &rows {
        let t = amount(&bytes(r, "total")?);
        let rel = amount(&bytes(r, "released")?);
        let vested = rel.saturating_add(amount(&bytes(r, "releasable")?));
        let schedule: Vec<(u64, String)> =
            serde_json::from_str(&r.try_get::<String, _>("schedule")?).unwrap_or_default();
        for (time, a) in &schedule {
            unlocks.push((*time, a.parse().unwrap_or_default()));
        }
        total = total.saturating_add(t);
        released = released.saturating_add(rel);
        locked = locked.saturating_add(t.saturating_sub(vested));
        l1_block = Some(int(r, "l1_block")?);
        allocations.push(AllocationView {
            name: r.try_get::<String, _>("name")?,
            contract: address(&bytes(r, "contract")?),
            total: units(t, 18),
            released: units(rel, 18),
            vested: units(vested, 18),
            locked: units(t.saturating_sub(vested), 18),
            scheduled: !schedule.is_empty(),
        });
    }
    unlocks.sort();
    let first = unlocks.first().map(|u| u.0);
    let last = unlocks.last().map(|u| u.0);
    let scheduled_total: U256 = unlocks.iter().fold(U256::ZERO, |a, u| a.saturating_add(u.1));
    let (mut path, mut now_x) = (String::from("M 0 150"), 0);
    if let (Some(first), Some(last)) = (first, last) {
        let span = (last - first).max(1) as f64;
        let to_f = |v: U256| -> f64 { v.to_string().parse::<f64>().unwrap_or(0.0) };
        let whole = to_f(scheduled_total).max(1.0);
        let mut cumulative = U256::ZERO;
        for (time, a) in &unlocks {
            let x = (*time - first) as f64 / span * 600.0;
            cumulative = cumulative.saturating_add(*a);
            let y = 150.0 - to_f(cumulative) / whole * 150.0;
            path.push_str(&format!(" H {x:.1} V {y:.1}"));
        }
        path.push_str(" H 600");
        now_x = ((now().saturating_sub(first)) as f64 / span * 600.0).clamp(0.0, 600.0) as i64;
    }
    Ok(SecView {
        allocations,
        total: units(total, 18),
        released: units(released, 18),
        locked: units(locked, 18),
        chart_path: path,
        now_x,
        first_unlock: first.map(format::utc),
        last_unlock: last.map(format::utc),
        l1_block,
    })
}

/// A checkpoint anchored on Ethereum.
#[derive(Debug, Clone, Serialize)]
pub struct CheckpointView {
    pub id: i64,
    pub withdrawal_root: String,
    pub validator_set_hash: String,
    pub body_hash: String,
    pub signed_stake: String,
    pub l1_block: i64,
    pub l1_tx_hash: String,
}

/// Checkpoints, newest first.
pub async fn checkpoints(
    db: &Database,
    page: i64,
) -> Result<(Vec<CheckpointView>, Paging), ExplorerError> {
    let rows = sqlx::query(
        "SELECT id, withdrawal_root, validator_set_hash, body_hash, signed_stake, l1_block, l1_tx_hash \
         FROM checkpoints ORDER BY id DESC LIMIT $1 OFFSET $2",
    )
    .bind(PAGE + 1)
    .bind(offset(page))
    .fetch_all(db.pool())
    .await?;
    let paging = Paging::new(page, rows.len());
    let list = rows
        .iter()
        .take(PAGE as usize)
        .map(|r| {
            Ok(CheckpointView {
                id: int(r, "id")?,
                withdrawal_root: hex(&bytes(r, "withdrawal_root")?),
                validator_set_hash: hex(&bytes(r, "validator_set_hash")?),
                body_hash: hex(&bytes(r, "body_hash")?),
                signed_stake: units(amount(&bytes(r, "signed_stake")?), 18),
                l1_block: int(r, "l1_block")?,
                l1_tx_hash: hex(&bytes(r, "l1_tx_hash")?),
            })
        })
        .collect::<Result<_, ExplorerError>>()?;
    Ok((list, paging))
}

/// The bridge page: deposits and withdrawals newest first, and cross-domain messages.
#[derive(Debug, Clone, Serialize)]
pub struct BridgeView {
    pub deposits: Vec<DepositView>,
    pub withdrawals: Vec<WithdrawalView>,
    pub messages: Vec<MessageView>,
    pub page: Paging,
}

/// A page of withdrawals and the latest messages.
pub async fn bridge(db: &Database, page: i64) -> Result<BridgeView, ExplorerError> {
    let now = now();
    let sql = format!(
        "SELECT {WITHDRAWAL_COLUMNS} FROM {WITHDRAWAL_FROM} \
         ORDER BY w.timestamp DESC, w.withdrawal_hash LIMIT $1 OFFSET $2"
    );
    let rows = sqlx::query(&sql).bind(PAGE + 1).bind(offset(page)).fetch_all(db.pool()).await?;
    let paging = Paging::new(page, rows.len());
    let withdrawals = rows
        .iter()
        .take(PAGE as usize)
        .map(|r| withdrawal_view(r, now))
        .collect::<Result<_, _>>()?;
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} \
         ORDER BY m.block_number DESC, m.message_hash LIMIT $1"
    );
    let messages = sqlx::query(&sql)
        .bind(PAGE)
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(message_view)
        .collect::<Result<_, _>>()?;
    let deposits = sqlx::query(
        "SELECT d.nonce, d.domain, d.l1_token, d.kind, d.from_address, d.to_address, d.amount, \
         d.l1_block, d.l1_tx_hash, \
         CASE WHEN c.nonce IS NULL THEN d.stage ELSE 'credited' END AS stage \
         FROM deposits d LEFT JOIN deposit_credits c ON c.nonce = d.nonce \
         ORDER BY d.nonce DESC LIMIT $1 OFFSET $2",
    )
    .bind(PAGE)
    .bind(offset(page))
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(deposit_view)
    .collect::<Result<_, _>>()?;
    Ok(BridgeView { deposits, withdrawals, messages, page: paging })
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

/// A balance on the address page.
#[derive(Debug, Clone, Serialize)]
pub struct BalanceView {
    pub domain: i64,
    pub token: Option<String>,
    pub name: Option<String>,
    pub symbol: Option<String>,
    pub kind: Option<String>,
    pub amount: String,
    pub token_id: Option<String>,
}

/// A contract's creation.
#[derive(Debug, Clone, Serialize)]
pub struct ContractView {
    pub domain: i64,
    pub creator: String,
    pub tx_hash: String,
    pub block_number: i64,
    pub code: String,
    pub code_size: usize,
}

/// An address page.
#[derive(Debug, Clone, Serialize)]
pub struct AddressView {
    pub address: String,
    pub balances: Vec<BalanceView>,
    pub contracts: Vec<ContractView>,
    pub tokens: Vec<TokenSummary>,
    pub transactions: Vec<TxSummary>,
    pub token_transfers: Vec<TokenTransferView>,
    pub page: Paging,
    /// Paging of the token transfers (the same `page` as the transactions).
    pub transfers_page: Paging,
    /// Where the address holds a verified contract.
    pub verified: Vec<VerifiedBadge>,
}

/// A verified contract at an address, for the address page.
#[derive(Debug, Clone, Serialize)]
pub struct VerifiedBadge {
    pub domain: i64,
    pub where_: String,
    pub name: String,
    pub matched: &'static str,
}

/// A token in a list.
#[derive(Debug, Clone, Serialize)]
pub struct TokenSummary {
    pub domain: i64,
    pub address: String,
    pub kind: String,
    pub name: Option<String>,
    pub symbol: Option<String>,
    pub decimals: Option<i64>,
    pub total_supply: Option<String>,
}

fn token_summary(row: &AnyRow) -> Result<TokenSummary, ExplorerError> {
    let decimals = opt_int(row, "decimals")?;
    Ok(TokenSummary {
        domain: int(row, "domain")?,
        address: address(&bytes(row, "address")?),
        kind: row.try_get::<String, _>("kind")?,
        name: opt_text(row, "name")?,
        symbol: opt_text(row, "symbol")?,
        decimals,
        total_supply: opt_bytes(row, "total_supply")?
            .map(|s| units(amount(&s), decimals.unwrap_or(0).clamp(0, 77) as u8)),
    })
}

/// Address `a`: balances in every domain, contract code, a page of transactions and transfers.
pub async fn address_page(
    db: &Database,
    a: &[u8],
    page: i64,
) -> Result<AddressView, ExplorerError> {
    let now = now();
    let balances = sqlx::query(
        "SELECT b.domain, b.token, b.token_id, b.balance, k.name, k.symbol, k.decimals, k.kind \
         FROM balances b LEFT JOIN tokens k ON k.domain = b.domain AND k.address = b.token \
         WHERE b.holder = $1 ORDER BY b.domain, b.token, b.token_id",
    )
    .bind(a.to_vec())
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        let token = bytes(r, "token")?;
        let native = token.iter().all(|b| *b == 0);
        let value = amount(&bytes(r, "balance")?);
        let id = bytes(r, "token_id")?;
        Ok(BalanceView {
            domain: int(r, "domain")?,
            token: (!native).then(|| address(&token)),
            name: if native { Some("SEC".into()) } else { opt_text(r, "name")? },
            symbol: if native { Some("SEC".into()) } else { opt_text(r, "symbol")? },
            kind: opt_text(r, "kind")?,
            amount: if native {
                units(value, 18)
            } else {
                units(value, opt_int(r, "decimals")?.unwrap_or(0).clamp(0, 77) as u8)
            },
            token_id: (!id.is_empty()).then(|| amount(&id).to_string()),
        })
    })
    .collect::<Result<_, ExplorerError>>()?;
    let contracts = sqlx::query(
        "SELECT domain, creator, tx_hash, block_number, code FROM contracts WHERE address = $1 ORDER BY domain",
    )
    .bind(a.to_vec())
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        let code = bytes(r, "code")?;
        Ok(ContractView {
            domain: int(r, "domain")?,
            creator: address(&bytes(r, "creator")?),
            tx_hash: hex(&bytes(r, "tx_hash")?),
            block_number: int(r, "block_number")?,
            code_size: code.len(),
            code: hex(&code),
        })
    })
    .collect::<Result<_, ExplorerError>>()?;
    let tokens = sqlx::query(
        "SELECT domain, address, kind, name, symbol, decimals, total_supply FROM tokens WHERE address = $1 ORDER BY domain",
    )
    .bind(a.to_vec())
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(token_summary)
    .collect::<Result<_, _>>()?;
    // Newest first, from either side; each side is cut at the page's end through its index
    // before the two are merged.
    let limit = offset(page) + PAGE + 1;
    let sql = format!(
        "SELECT * FROM (SELECT {TX_SUMMARY_COLUMNS} FROM transactions WHERE from_address = $1 \
           ORDER BY timestamp DESC LIMIT $2) f \
         UNION ALL SELECT * FROM (SELECT {TX_SUMMARY_COLUMNS} FROM transactions WHERE to_address = $1 \
           AND from_address <> $1 ORDER BY timestamp DESC LIMIT $2) t \
         ORDER BY timestamp DESC, domain, block_number DESC, tx_index DESC LIMIT $3 OFFSET $4"
    );
    let rows = sqlx::query(&sql)
        .bind(a.to_vec())
        .bind(limit)
        .bind(PAGE + 1)
        .bind(offset(page))
        .fetch_all(db.pool())
        .await?;
    let paging = Paging::new(page, rows.len());
    let mut transactions: Vec<TxSummary> =
        rows.iter().take(PAGE as usize).map(|r| tx_summary(r, now)).collect::<Result<_, _>>()?;
    let calls: Vec<crate::contract::Call> = rows
        .iter()
        .take(PAGE as usize)
        .map(|r| Ok((int(r, "domain")?, opt_bytes(r, "to_address")?, bytes(r, "selector")?)))
        .collect::<Result<_, ExplorerError>>()?;
    let names = crate::contract::method_names(db, &calls).await?;
    for (t, name) in transactions.iter_mut().zip(names) {
        t.method_name = name;
    }
    let verified = crate::contract::verified_at(db, a)
        .await?
        .into_iter()
        .map(|v| VerifiedBadge {
            domain: v.domain,
            where_: v.where_,
            name: v.name,
            matched: v.matched,
        })
        .collect();
    let sql = format!(
        "SELECT * FROM (SELECT {TRANSFER_COLUMNS}, t.log_index, t.batch_index FROM {TRANSFER_JOIN} \
           WHERE t.from_address = $1 ORDER BY t.timestamp DESC LIMIT $2) f \
         UNION ALL SELECT * FROM (SELECT {TRANSFER_COLUMNS}, t.log_index, t.batch_index FROM {TRANSFER_JOIN} \
           WHERE t.to_address = $1 AND t.from_address <> $1 ORDER BY t.timestamp DESC LIMIT $2) t \
         ORDER BY timestamp DESC, domain, block_number DESC, log_index DESC, batch_index \
         LIMIT $3 OFFSET $4"
    );
    let rows = sqlx::query(&sql)
        .bind(a.to_vec())
        .bind(limit)
        .bind(PAGE + 1)
        .bind(offset(page))
        .fetch_all(db.pool())
        .await?;
    let transfers_page = Paging::new(page, rows.len());
    let token_transfers =
        rows.iter().take(PAGE as usize).map(|r| transfer_view(r, now)).collect::<Result<_, _>>()?;
    Ok(AddressView {
        address: address(a),
        balances,
        contracts,
        tokens,
        transactions,
        token_transfers,
        page: paging,
        transfers_page,
        verified,
    })
}

/// A token page.
#[derive(Debug, Clone, Serialize)]
pub struct TokenView {
    #[serde(flatten)]
    pub summary: TokenSummary,
    pub holder_count: i64,
    /// A page of holders, largest first: the first, or the one below `holders_before`.
    pub holders: Vec<crate::holders::HolderView>,
    /// The cursor of the next page of holders (`?holders_before=`), if there is one.
    pub holders_next: Option<String>,
    /// A page of the NFT inventory (ERC-721 and ERC-1155): the first, or the one after
    /// `inventory_after`.
    pub inventory: Vec<crate::nft::InventoryItem>,
    /// The cursor of the next page of the inventory (`?inventory_after=`), if there is one.
    pub inventory_next: Option<String>,
    pub transfers: Vec<TokenTransferView>,
    pub page: Paging,
}

/// A token's metadata with its total supply as a number.
pub struct TokenInfo {
    pub summary: TokenSummary,
    pub supply: U256,
}

const TOKEN_SQL: &str = "SELECT domain, address, kind, name, symbol, decimals, total_supply \
    FROM tokens WHERE domain = $1 AND address = $2";

/// Token `a` of `domain`'s metadata, if it is indexed.
pub async fn token_summary_of(
    db: &Database,
    domain: i64,
    a: &[u8],
) -> Result<Option<TokenInfo>, ExplorerError> {
    let row =
        sqlx::query(TOKEN_SQL).bind(domain).bind(a.to_vec()).fetch_optional(db.pool()).await?;
    row.map(|row| {
        Ok(TokenInfo {
            summary: token_summary(&row)?,
            supply: opt_bytes(&row, "total_supply")?.map(|s| amount(&s)).unwrap_or_default(),
        })
    })
    .transpose()
}

/// Token `a` of `domain`, a page of its holders (the largest, or those below `holders_before`)
/// and a page of its transfers.
pub async fn token(
    db: &Database,
    domain: i64,
    a: &[u8],
    page: i64,
    holders_before: Option<&crate::holders::HolderCursor>,
    inventory_after: Option<&crate::nft::InventoryCursor>,
) -> Result<Option<TokenView>, ExplorerError> {
    let Some(TokenInfo { summary, supply }) = token_summary_of(db, domain, a).await? else {
        return Ok(None);
    };
    let now = now();
    let decimals = summary.decimals.unwrap_or(0).clamp(0, 77) as u8;
    let holder_count = crate::holders::count(db, domain, a).await?;
    let holders =
        crate::holders::page(db, domain, a, holders_before, PAGE, supply, decimals).await?;
    let inventory =
        crate::nft::inventory(db, domain, a, &summary.kind, inventory_after, PAGE).await?;
    let sql = format!(
        "SELECT {TRANSFER_COLUMNS} FROM {TRANSFER_JOIN} WHERE t.token = $1 AND t.domain = $2 \
         ORDER BY t.block_number DESC, t.log_index DESC, t.batch_index LIMIT $3 OFFSET $4"
    );
    let rows = sqlx::query(&sql)
        .bind(a.to_vec())
        .bind(domain)
        .bind(PAGE + 1)
        .bind(offset(page))
        .fetch_all(db.pool())
        .await?;
    let paging = Paging::new(page, rows.len());
    let transfers =
        rows.iter().take(PAGE as usize).map(|r| transfer_view(r, now)).collect::<Result<_, _>>()?;
    Ok(Some(TokenView {
        summary,
        holder_count,
        holders: holders.holders,
        holders_next: holders.next,
        inventory: inventory.items,
        inventory_next: inventory.next,
        transfers,
        page: paging,
    }))
}

/// All tokens, a page at a time.
pub async fn tokens(
    db: &Database,
    page: i64,
) -> Result<(Vec<TokenSummary>, Paging), ExplorerError> {
    let rows = sqlx::query(
        "SELECT domain, address, kind, name, symbol, decimals, total_supply FROM tokens \
         ORDER BY domain, first_block, address LIMIT $1 OFFSET $2",
    )
    .bind(PAGE + 1)
    .bind(offset(page))
    .fetch_all(db.pool())
    .await?;
    let paging = Paging::new(page, rows.len());
    Ok((rows.iter().take(PAGE as usize).map(token_summary).collect::<Result<_, _>>()?, paging))
}

/// What a search found.
#[derive(Debug, Clone, Serialize)]
pub struct SearchHit {
    pub kind: &'static str,
    pub label: String,
    pub url: String,
}

/// Finds transactions, blocks, addresses and tokens matching `q`.
pub async fn search(db: &Database, q: &str) -> Result<Vec<SearchHit>, ExplorerError> {
    let q = q.trim();
    let mut hits = Vec::new();
    let hex_body = q.strip_prefix("0x").unwrap_or(q);
    let is_hex = !hex_body.is_empty() && hex_body.chars().all(|c| c.is_ascii_hexdigit());
    if is_hex && hex_body.len() == 64 {
        let bytes = alloy_primitives::hex::decode(hex_body).unwrap_or_default();
        for r in sqlx::query("SELECT domain FROM transactions WHERE hash = $1")
            .bind(bytes.clone())
            .fetch_all(db.pool())
            .await?
        {
            let d = int(&r, "domain")?;
            let h = format!("0x{}", hex_body.to_lowercase());
            hits.push(SearchHit {
                kind: "transaction",
                label: format!("{h} (domain {d})"),
                url: format!("/tx/{h}"),
            });
        }
        if let Some((d, n)) = block_by_hash(db, &bytes).await? {
            hits.push(SearchHit {
                kind: "block",
                label: format!("block {n} of domain {d}"),
                url: format!("/block/{d}/{n}"),
            });
        }
    } else if is_hex && hex_body.len() == 40 {
        let bytes = alloy_primitives::hex::decode(hex_body).unwrap_or_default();
        hits.push(SearchHit {
            kind: "address",
            label: address(&bytes),
            url: format!("/address/{}", address(&bytes)),
        });
    } else if let Ok(n) = q.parse::<i64>() {
        for r in sqlx::query("SELECT domain FROM blocks WHERE number = $1 ORDER BY domain")
            .bind(n)
            .fetch_all(db.pool())
            .await?
        {
            let d = int(&r, "domain")?;
            hits.push(SearchHit {
                kind: "block",
                label: format!("block {n} of domain {d}"),
                url: format!("/block/{d}/{n}"),
            });
        }
    }
    if !q.is_empty() && q.len() <= 64 {
        let pattern = format!("%{}%", q.to_lowercase().replace(['%', '_'], ""));
        for r in sqlx::query(
            "SELECT domain, address, kind, name, symbol, decimals, total_supply FROM tokens \
             WHERE LOWER(symbol) LIKE $1 OR LOWER(name) LIKE $1 ORDER BY domain, address LIMIT 20",
        )
        .bind(pattern)
        .fetch_all(db.pool())
        .await?
        {
            let t = token_summary(&r)?;
            hits.push(SearchHit {
                kind: "token",
                label: format!(
                    "{} ({}) on domain {}",
                    t.name.clone().unwrap_or_default(),
                    t.symbol.clone().unwrap_or_default(),
                    t.domain
                ),
                url: format!("/token/{}/{}", t.domain, t.address),
            });
        }
    }
    Ok(hits)
}

/// Parses a 32-byte hash.
pub fn parse_hash(s: &str) -> Option<B256> {
    s.parse().ok()
}

/// Parses an address.
pub fn parse_address(s: &str) -> Option<alloy_primitives::Address> {
    s.parse().ok()
}
