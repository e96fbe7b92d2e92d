//! Tokens: in lists and the token page.

use alloy_primitives::U256;
use sec_indexer::Database;
use serde::Serialize;
use sqlx::{Row, any::AnyRow};

use crate::{
    ExplorerError,
    format::{address, amount, now, units},
};

use super::{
    pager::{PAGE, Paging, offset},
    rows::{bytes, int, opt_bytes, opt_int, opt_text},
    transactions::{TRANSFER_COLUMNS, TRANSFER_JOIN, TokenTransferView, transfer_view},
};

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

pub(super) fn token_summary(row: &AnyRow) -> Result<TokenSummary, ExplorerError> {
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
