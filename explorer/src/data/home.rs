//! The home page and the domains page: heads, rates, latest blocks and transactions, and whether
//! the index is stale.

use sec_indexer::Database;
use serde::Serialize;

use crate::{
    ExplorerError,
    format::{age, now},
};

use super::{
    blocks::{BlockSummary, latest_blocks},
    rows::int,
    transactions::{TxSummary, latest_transactions},
};

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
