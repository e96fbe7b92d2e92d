//! The address page: balances, contracts, transactions and token transfers.

use sec_indexer::Database;
use serde::Serialize;

use crate::{
    ExplorerError,
    format::{address, amount, hex, now, units},
};

use super::{
    pager::{PAGE, Paging, offset},
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
