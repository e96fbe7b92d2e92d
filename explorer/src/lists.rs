//! The latest blocks and transactions of every domain, or of one (`/blocks`, `/txs`), paged by
//! keyset cursor, and the CSV export of an address's transactions.
//!
//! A page is read from where the previous one ended (`?before=`, the cursor its `next` carries)
//! through an index in list order, so the thousandth page costs what the first does, where an
//! OFFSET would read and throw away every row before it. The lists of every domain are ordered
//! newest first by (timestamp, domain, number[, index]), each descending, through the indexes of
//! migration 0012; the lists of one domain by (number[, index]) descending, through the primary
//! keys. Every statement is in [`statements`], which the tests EXPLAIN.

use alloy_primitives::U256;
use sec_indexer::Database;
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;

use crate::{
    ExplorerError,
    data::{
        BLOCK_COLUMNS, BlockSummary, TX_SUMMARY_COLUMNS, TxSummary, block_summary, bytes, int,
        opt_bytes, tx_summary,
    },
    format::{address, amount, hex, iso8601, now, sec, units},
};

/// Rows a page holds unless `limit` says otherwise.
pub const DEFAULT_LIMIT: i64 = 25;
/// The most rows a page holds.
pub const MAX_LIMIT: i64 = 100;
/// The most transactions an address's CSV export holds: its newest.
pub const CSV_ROWS: i64 = 5_000;

/// A list request the explorer refuses (400), in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListError {
    /// `before` is not a cursor of this list.
    #[error(
        "before: {0:?} is not a cursor of this list; pass the `next` of the page before \
         (or leave it out for the newest)"
    )]
    Cursor(String),
    /// `before` is a cursor of another domain's list.
    #[error("before: that cursor is of domain {cursor}'s list, not domain {domain}'s")]
    OtherDomain { cursor: i64, domain: i64 },
    /// `domain` is not a domain number.
    #[error("domain: {0:?} is not a domain number")]
    Domain(String),
    /// `limit` is not a number of rows a page can hold.
    #[error("limit: {0:?} is not a whole number from 1 to {MAX_LIMIT}")]
    Limit(String),
}

/// `?domain=&before=&limit=` as given: text, so that a malformed value is refused in words.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ListQuery {
    pub domain: Option<String>,
    pub before: Option<String>,
    pub limit: Option<String>,
}

/// A list request, checked: `N` is the cursor's arity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRequest<const N: usize> {
    pub domain: Option<i64>,
    pub before: Option<[i64; N]>,
    pub limit: i64,
}

impl ListQuery {
    /// Checks the parameters; a cursor has `N` parts, the second of which is its domain.
    pub fn parse<const N: usize>(&self) -> Result<ListRequest<N>, ListError> {
        fn given(v: &Option<String>) -> Option<&str> {
            v.as_deref().map(str::trim).filter(|s| !s.is_empty())
        }
        let domain = given(&self.domain)
            .map(|d| d.parse::<i64>().ok().filter(|d| *d >= 0).ok_or(ListError::Domain(d.into())))
            .transpose()?;
        let limit = match given(&self.limit) {
            None => DEFAULT_LIMIT,
            Some(l) => l
                .parse::<i64>()
                .ok()
                .filter(|l| (1..=MAX_LIMIT).contains(l))
                .ok_or(ListError::Limit(l.into()))?,
        };
        let before = given(&self.before).map(decode::<N>).transpose()?;
        if let (Some(domain), Some(cursor)) = (domain, before)
            && cursor[1] != domain
        {
            return Err(ListError::OtherDomain { cursor: cursor[1], domain });
        }
        Ok(ListRequest { domain, before, limit })
    }
}

/// A cursor as links carry it: its parts in decimal, joined by dots. Clients pass it back as
/// they got it.
pub(crate) fn encode(parts: &[i64]) -> String {
    parts.iter().map(i64::to_string).collect::<Vec<_>>().join(".")
}

/// Reads a cursor as [`encode`] writes it, of `N` parts.
pub(crate) fn decode<const N: usize>(s: &str) -> Result<[i64; N], ListError> {
    let bad = || ListError::Cursor(s.chars().take(100).collect());
    let mut out = [0i64; N];
    let mut parts = s.split('.');
    for slot in &mut out {
        let part = parts.next().ok_or_else(bad)?;
        // Digits only: no sign, no spaces, nothing a number parser would also take.
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        *slot = part.parse().map_err(|_| bad())?;
    }
    if parts.next().is_some() {
        return Err(bad());
    }
    Ok(out)
}

/// The query string of the page after `cursor`, with the request's domain and limit.
fn next_query(domain: Option<i64>, limit: i64, cursor: &str) -> String {
    let mut q = String::new();
    if let Some(d) = domain {
        q.push_str(&format!("domain={d}&"));
    }
    if limit != DEFAULT_LIMIT {
        q.push_str(&format!("limit={limit}&"));
    }
    q.push_str(&format!("before={cursor}"));
    q
}

/// A block in the list: what Etherscan's shows.
#[derive(Debug, Clone, Serialize)]
pub struct BlockRow {
    #[serde(flatten)]
    pub block: BlockSummary,
    /// Gas used as a share of the limit, "41.2 %".
    pub gas_used_percent: String,
}

/// A page of the latest blocks.
#[derive(Debug, Clone, Serialize)]
pub struct BlockList {
    /// The domain listed, or none for every domain.
    pub domain: Option<i64>,
    pub limit: i64,
    /// Whether this is the newest page (no `before`).
    pub newest: bool,
    pub blocks: Vec<BlockRow>,
    /// The cursor of the next (older) page, if there is one: pass it as `before`.
    pub next: Option<String>,
    /// The query string of the next page (`domain=1&before=...`).
    pub next_query: Option<String>,
}

/// A transaction in the list: what Etherscan's shows.
#[derive(Debug, Clone, Serialize)]
pub struct TxRow {
    #[serde(flatten)]
    pub tx: TxSummary,
    /// The value in wei.
    pub value_wei: String,
    /// Gas used times the effective gas price, in SEC ("0.000021 SEC").
    pub fee: String,
    /// The fee in wei.
    pub fee_wei: String,
}

/// A page of the latest transactions.
#[derive(Debug, Clone, Serialize)]
pub struct TxList {
    pub domain: Option<i64>,
    pub limit: i64,
    pub newest: bool,
    pub transactions: Vec<TxRow>,
    pub next: Option<String>,
    pub next_query: Option<String>,
}

const BLOCK_ORDER: &str = "ORDER BY timestamp DESC, domain DESC, number DESC";
const DOMAIN_BLOCK_ORDER: &str = "ORDER BY number DESC";
const TX_ORDER: &str = "ORDER BY timestamp DESC, domain DESC, block_number DESC, tx_index DESC";
const DOMAIN_TX_ORDER: &str = "ORDER BY block_number DESC, tx_index DESC";
const TX_LIST_COLUMNS: &str = "gas_used, effective_gas_price";

fn blocks_sql(domain: bool, after: bool) -> String {
    match (domain, after) {
        (false, false) => format!("SELECT {BLOCK_COLUMNS} FROM blocks {BLOCK_ORDER} LIMIT $1"),
        (false, true) => format!(
            "SELECT {BLOCK_COLUMNS} FROM blocks WHERE (timestamp, domain, number) < ($1, $2, $3) \
             {BLOCK_ORDER} LIMIT $4"
        ),
        (true, false) => format!(
            "SELECT {BLOCK_COLUMNS} FROM blocks WHERE domain = $1 {DOMAIN_BLOCK_ORDER} LIMIT $2"
        ),
        (true, true) => format!(
            "SELECT {BLOCK_COLUMNS} FROM blocks WHERE domain = $1 AND number < $2 \
             {DOMAIN_BLOCK_ORDER} LIMIT $3"
        ),
    }
}

fn txs_sql(domain: bool, after: bool) -> String {
    let columns = format!("{TX_SUMMARY_COLUMNS}, {TX_LIST_COLUMNS}");
    match (domain, after) {
        (false, false) => format!("SELECT {columns} FROM transactions {TX_ORDER} LIMIT $1"),
        (false, true) => format!(
            "SELECT {columns} FROM transactions \
             WHERE (timestamp, domain, block_number, tx_index) < ($1, $2, $3, $4) \
             {TX_ORDER} LIMIT $5"
        ),
        (true, false) => format!(
            "SELECT {columns} FROM transactions WHERE domain = $1 {DOMAIN_TX_ORDER} LIMIT $2"
        ),
        (true, true) => format!(
            "SELECT {columns} FROM transactions \
             WHERE domain = $1 AND (block_number, tx_index) < ($2, $3) {DOMAIN_TX_ORDER} LIMIT $4"
        ),
    }
}

/// An address's newest transactions, sent or received, for the CSV export: each side cut
/// through its index before the two are merged (`$2` rows at most).
fn csv_sql() -> String {
    let columns = format!("{TX_SUMMARY_COLUMNS}, {TX_LIST_COLUMNS}");
    format!(
        "SELECT * FROM (SELECT {columns} FROM transactions WHERE from_address = $1 \
           {TX_ORDER} LIMIT $2) f \
         UNION ALL SELECT * FROM (SELECT {columns} FROM transactions WHERE to_address = $1 \
           AND from_address <> $1 {TX_ORDER} LIMIT $2) t \
         {TX_ORDER} LIMIT $2"
    )
}

/// Every statement of this module with its parameters' kinds (`i` an integer, `a` an address),
/// for the tests that check each is served by an index.
pub fn statements() -> Vec<(String, &'static str)> {
    vec![
        (blocks_sql(false, false), "i"),
        (blocks_sql(false, true), "iiii"),
        (blocks_sql(true, false), "ii"),
        (blocks_sql(true, true), "iii"),
        (txs_sql(false, false), "i"),
        (txs_sql(false, true), "iiiii"),
        (txs_sql(true, false), "ii"),
        (txs_sql(true, true), "iiii"),
        (csv_sql(), "ai"),
    ]
}

/// A page of the latest blocks of every domain, or of `request.domain`.
pub async fn blocks(db: &Database, request: &ListRequest<3>) -> Result<BlockList, ExplorerError> {
    let sql = blocks_sql(request.domain.is_some(), request.before.is_some());
    let mut query = sqlx::query(&sql);
    if let Some(d) = request.domain {
        query = query.bind(d);
    }
    match (request.domain, request.before) {
        (None, Some([ts, d, n])) => query = query.bind(ts).bind(d).bind(n),
        (Some(_), Some([_, _, n])) => query = query.bind(n),
        (_, None) => {}
    }
    let rows = query.bind(request.limit + 1).fetch_all(db.pool()).await?;
    let now = now();
    let blocks = rows
        .iter()
        .take(request.limit as usize)
        .map(|r| {
            let block = block_summary(r, now)?;
            let percent = if block.gas_limit > 0 {
                format!("{:.1} %", block.gas_used as f64 * 100.0 / block.gas_limit as f64)
            } else {
                "0.0 %".into()
            };
            Ok(BlockRow { block, gas_used_percent: percent })
        })
        .collect::<Result<Vec<_>, ExplorerError>>()?;
    let next = (rows.len() as i64 > request.limit)
        .then(|| blocks.last())
        .flatten()
        .map(|b| encode(&[b.block.timestamp, b.block.domain, b.block.number]));
    Ok(BlockList {
        domain: request.domain,
        limit: request.limit,
        newest: request.before.is_none(),
        next_query: next.as_deref().map(|c| next_query(request.domain, request.limit, c)),
        next,
        blocks,
    })
}

fn tx_row(row: &AnyRow, now: u64) -> Result<TxRow, ExplorerError> {
    let tx = tx_summary(row, now)?;
    let value = amount(&bytes(row, "value")?);
    let fee = fee(row)?;
    Ok(TxRow { tx, value_wei: value.to_string(), fee: sec(fee), fee_wei: fee.to_string() })
}

/// Gas used times the effective gas price, in wei.
fn fee(row: &AnyRow) -> Result<U256, ExplorerError> {
    let price = amount(&bytes(row, "effective_gas_price")?);
    Ok(price.saturating_mul(U256::from(int(row, "gas_used")?.max(0) as u64)))
}

/// A page of the latest transactions of every domain, or of `request.domain`.
pub async fn transactions(
    db: &Database,
    request: &ListRequest<4>,
) -> Result<TxList, ExplorerError> {
    let sql = txs_sql(request.domain.is_some(), request.before.is_some());
    let mut query = sqlx::query(&sql);
    if let Some(d) = request.domain {
        query = query.bind(d);
    }
    match (request.domain, request.before) {
        (None, Some([ts, d, n, i])) => query = query.bind(ts).bind(d).bind(n).bind(i),
        (Some(_), Some([_, _, n, i])) => query = query.bind(n).bind(i),
        (_, None) => {}
    }
    let rows = query.bind(request.limit + 1).fetch_all(db.pool()).await?;
    let now = now();
    let transactions = rows
        .iter()
        .take(request.limit as usize)
        .map(|r| tx_row(r, now))
        .collect::<Result<Vec<_>, _>>()?;
    let next = (rows.len() as i64 > request.limit)
        .then(|| transactions.last())
        .flatten()
        .map(|t| encode(&[t.tx.timestamp, t.tx.domain, t.tx.block_number, t.tx.tx_index]));
    Ok(TxList {
        domain: request.domain,
        limit: request.limit,
        newest: request.before.is_none(),
        next_query: next.as_deref().map(|c| next_query(request.domain, request.limit, c)),
        next,
        transactions,
    })
}

/// The CSV export's columns.
pub const CSV_HEADER: &str = "domain,block_number,tx_index,hash,timestamp,time_utc,from,to,\
    contract_address,value_wei,value_sec,fee_wei,fee_sec,status,method";

/// A field as CSV writes it: quoted when it holds a comma, a quote or a line break.
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.into()
    }
}

/// An amount of wei in SEC, in full and without grouping ("1234.5").
fn plain_sec(wei: U256) -> String {
    units(wei, 18).replace(',', "")
}

/// Address `a`'s newest transactions (at most [`CSV_ROWS`]), sent or received in any domain,
/// newest first, as CSV: [`CSV_HEADER`], then a line each. Values and fees in wei and in SEC,
/// times in unix seconds and ISO 8601 UTC. Returns the text and its number of rows.
pub async fn address_csv(db: &Database, a: &[u8]) -> Result<(String, usize), ExplorerError> {
    let rows = sqlx::query(&csv_sql()).bind(a.to_vec()).bind(CSV_ROWS).fetch_all(db.pool()).await?;
    let mut out = String::with_capacity(64 + rows.len() * 400);
    out.push_str(CSV_HEADER);
    out.push_str("\r\n");
    for r in &rows {
        let ts = int(r, "timestamp")?;
        let value = amount(&bytes(r, "value")?);
        let fee = fee(r)?;
        let selector = bytes(r, "selector")?;
        let cells = [
            int(r, "domain")?.to_string(),
            int(r, "block_number")?.to_string(),
            int(r, "tx_index")?.to_string(),
            hex(&bytes(r, "hash")?),
            ts.to_string(),
            iso8601(ts.max(0) as u64),
            address(&bytes(r, "from_address")?),
            opt_bytes(r, "to_address")?.map(|b| address(&b)).unwrap_or_default(),
            opt_bytes(r, "contract_address")?.map(|b| address(&b)).unwrap_or_default(),
            value.to_string(),
            plain_sec(value),
            fee.to_string(),
            plain_sec(fee),
            if int(r, "status")? == 1 { "success" } else { "failed" }.to_string(),
            if selector.len() == 4 { hex(&selector) } else { String::new() },
        ];
        let line: Vec<String> = cells.iter().map(|c| field(c)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    Ok((out, rows.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(domain: Option<&str>, before: Option<&str>, limit: Option<&str>) -> ListQuery {
        ListQuery {
            domain: domain.map(Into::into),
            before: before.map(Into::into),
            limit: limit.map(Into::into),
        }
    }

    #[test]
    fn cursors_round_trip_and_bad_ones_are_refused() {
        let c = encode(&[1_700_000_000, 2, 41]);
        assert_eq!(
            q(None, Some(&c), None).parse::<3>(),
            Ok(ListRequest { domain: None, before: Some([1_700_000_000, 2, 41]), limit: 25 })
        );
        for bad in [
            "",
            "x",
            "1.2",
            "1.2.3.4",
            "1.-2.3",
            "1.+2.3",
            "1..3",
            "1.2.3.",
            "1.2.99999999999999999999",
        ] {
            let parsed = q(None, Some(bad), None).parse::<3>();
            if bad.is_empty() {
                assert_eq!(parsed.map(|r| r.before), Ok(None));
            } else {
                assert!(matches!(parsed, Err(ListError::Cursor(_))), "{bad}: {parsed:?}");
            }
        }
        assert_eq!(
            q(Some("1"), Some("5.2.7"), None).parse::<3>(),
            Err(ListError::OtherDomain { cursor: 2, domain: 1 })
        );
        assert_eq!(q(Some("one"), None, None).parse::<3>(), Err(ListError::Domain("one".into())));
        assert_eq!(q(Some("-1"), None, None).parse::<3>(), Err(ListError::Domain("-1".into())));
        assert_eq!(q(None, None, Some("0")).parse::<4>(), Err(ListError::Limit("0".into())));
        assert_eq!(q(None, None, Some("101")).parse::<4>(), Err(ListError::Limit("101".into())));
        assert_eq!(q(None, None, Some("100")).parse::<4>().map(|r| r.limit), Ok(100));
    }

    #[test]
    fn csv_fields_are_quoted_when_they_must_be() {
        assert_eq!(field("0xab"), "0xab");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"x\""), "\"say \"\"x\"\"\"");
        assert_eq!(plain_sec(U256::from(1_234_500_000_000_000_000_000u128)), "1234.5");
    }
}
