//! The address page: balances, contracts, transactions and token transfers.
//!
//! Both lists are newest first and paged by keyset cursor like `/txs` (`?before=` for the
//! transactions, `?transfers_before=` for the token transfers, each the `next` of the page
//! before): each side of a list, sent or received, is read from below the cursor through its
//! index by address and time and cut at a page before the two are merged, so a deep page reads
//! about what it shows where an OFFSET would read every row above it.

use sec_indexer::Database;
use serde::Serialize;

use crate::{
    ExplorerError,
    format::{address, amount, hex, now, units},
};

use crate::lists::encode;

use super::{
    pager::PAGE,
    rows::{bytes, int, opt_bytes, opt_int, opt_text},
    tokens::{TokenSummary, token_summary},
    transactions::{
        TRANSFER_COLUMNS, TRANSFER_JOIN, TX_SUMMARY_COLUMNS, TokenTransferView, TxSummary,
        transfer_view, tx_summary,
    },
};

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
    /// Whether the transactions start at the newest (no `before`).
    pub newest: bool,
    /// The cursor of the next (older) page of transactions, to pass as `before`.
    pub next: Option<String>,
    /// The query string of that page, keeping where the token transfers are.
    pub next_query: Option<String>,
    /// Whether the token transfers start at the newest (no `transfers_before`).
    pub transfers_newest: bool,
    /// The cursor of the next (older) page of token transfers, to pass as `transfers_before`.
    pub transfers_next: Option<String>,
    /// The query string of that page, keeping where the transactions are.
    pub transfers_next_query: Option<String>,
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

/// Where the address page's lists start: below these cursors, or at the newest without them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AddressCursors {
    /// A transaction's (timestamp, domain, block number, index).
    pub before: Option<[i64; 4]>,
    /// A token transfer's (timestamp, domain, block number, log index, batch index).
    pub transfers_before: Option<[i64; 5]>,
}

const TX_ORDER: &str = "ORDER BY timestamp DESC, domain DESC, block_number DESC, tx_index DESC";
const TRANSFER_ORDER: &str = "ORDER BY t.timestamp DESC, t.domain DESC, t.block_number DESC, \
    t.log_index DESC, t.batch_index DESC";
const MERGED_TRANSFER_ORDER: &str = "ORDER BY timestamp DESC, domain DESC, block_number DESC, \
    log_index DESC, batch_index DESC";

/// Address `$1`'s transactions, sent or received, below the cursor (`$2` to `$5`) when `after`,
/// `$2` (or `$6`) of them. The cursor's time bounds each side's index range on its own: the
/// row comparison alone is not one every database turns into a range.
fn transactions_sql(after: bool) -> String {
    let (cursor, limit) = if after {
        (
            "AND timestamp <= $2 AND (timestamp, domain, block_number, tx_index) < ($2, $3, $4, $5)",
            "$6",
        )
    } else {
        ("", "$2")
    };
    format!(
        "SELECT * FROM (SELECT {TX_SUMMARY_COLUMNS} FROM transactions WHERE from_address = $1 \
           {cursor} {TX_ORDER} LIMIT {limit}) f \
         UNION ALL SELECT * FROM (SELECT {TX_SUMMARY_COLUMNS} FROM transactions \
           WHERE to_address = $1 AND from_address <> $1 {cursor} {TX_ORDER} LIMIT {limit}) t \
         {TX_ORDER} LIMIT {limit}"
    )
}

/// Address `$1`'s token transfers, sent or received, below the cursor (`$2` to `$6`) when
/// `after`, `$2` (or `$7`) of them.
fn transfers_sql(after: bool) -> String {
    let (cursor, limit) = if after {
        (
            "AND t.timestamp <= $2 AND (t.timestamp, t.domain, t.block_number, t.log_index, \
             t.batch_index) < ($2, $3, $4, $5, $6)",
            "$7",
        )
    } else {
        ("", "$2")
    };
    format!(
        "SELECT * FROM (SELECT {TRANSFER_COLUMNS}, t.log_index, t.batch_index FROM {TRANSFER_JOIN} \
           WHERE t.from_address = $1 {cursor} {TRANSFER_ORDER} LIMIT {limit}) f \
         UNION ALL SELECT * FROM (SELECT {TRANSFER_COLUMNS}, t.log_index, t.batch_index \
           FROM {TRANSFER_JOIN} WHERE t.to_address = $1 AND t.from_address <> $1 {cursor} \
           {TRANSFER_ORDER} LIMIT {limit}) t \
         {MERGED_TRANSFER_ORDER} LIMIT {limit}"
    )
}

/// The module's statements with their parameters' kinds (`i` an integer, `a` an address), for
/// the tests that check each is served by an index.
pub(super) fn address_statements() -> Vec<(String, &'static str)> {
    vec![
        (transactions_sql(false), "ai"),
        (transactions_sql(true), "aiiiii"),
        (transfers_sql(false), "ai"),
        (transfers_sql(true), "aiiiiii"),
    ]
}

/// The query string of a list's next page (`key=cursor`), keeping the other list's cursor.
fn next_query(key: &str, cursor: &str, other: Option<(&str, String)>) -> String {
    match other {
        Some((k, c)) => format!("{key}={cursor}&{k}={c}"),
        None => format!("{key}={cursor}"),
    }
}

/// Address `a`: balances in every domain, contract code, a page of transactions and transfers
/// (below `cursors`).
pub async fn address_page(
    db: &Database,
    a: &[u8],
    cursors: AddressCursors,
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
    let sql = transactions_sql(cursors.before.is_some());
    let mut query = sqlx::query(&sql).bind(a.to_vec());
    if let Some([ts, d, n, i]) = cursors.before {
        query = query.bind(ts).bind(d).bind(n).bind(i);
    }
    let rows = query.bind(PAGE + 1).fetch_all(db.pool()).await?;

    let mut transactions: Vec<TxSummary> =
        rows.iter().take(PAGE as usize).map(|r| tx_summary(r, now)).collect::<Result<_, _>>()?;
    let next = (rows.len() as i64 > PAGE)
        .then(|| transactions.last())
        .flatten()
        .map(|t| encode(&[t.timestamp, t.domain, t.block_number, t.tx_index]));
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
    let sql = transfers_sql(cursors.transfers_before.is_some());
    let mut query = sqlx::query(&sql).bind(a.to_vec());
    if let Some([ts, d, n, l, b]) = cursors.transfers_before {
        query = query.bind(ts).bind(d).bind(n).bind(l).bind(b);
    }
    let rows = query.bind(PAGE + 1).fetch_all(db.pool()).await?;
    let token_transfers =
        rows.iter().take(PAGE as usize).map(|r| transfer_view(r, now)).collect::<Result<_, _>>()?;
    let transfers_next = match rows.get(PAGE as usize - 1) {
        Some(last) if rows.len() as i64 > PAGE => Some(encode(&[
            int(last, "timestamp")?,
            int(last, "domain")?,
            int(last, "block_number")?,
            int(last, "log_index")?,
            int(last, "batch_index")?,
        ])),
        _ => None,
    };
    let before = cursors.before.map(|c| encode(&c));
    let transfers_before = cursors.transfers_before.map(|c| encode(&c));
    Ok(AddressView {
        address: address(a),
        balances,
        contracts,
        tokens,
        transactions,
        token_transfers,
        newest: cursors.before.is_none(),
        next_query: next
            .as_deref()
            .map(|c| next_query("before", c, transfers_before.map(|t| ("transfers_before", t)))),
        next,
        transfers_newest: cursors.transfers_before.is_none(),
        transfers_next_query: transfers_next
            .as_deref()
            .map(|c| next_query("transfers_before", c, before.map(|b| ("before", b)))),
        transfers_next,
        verified,
    })
}
