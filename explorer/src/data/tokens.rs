//! Tokens: in lists and the token page.

use alloy_primitives::U256;
use sec_indexer::Database;
use serde::Serialize;
use sqlx::{Row, any::AnyRow};

use crate::{
    ExplorerError,
    format::{address, amount, now, units},
    lists::{ListError, decode, encode},
};

use super::{
    pager::{CursorPage, PAGE},
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
    /// Where the transfers are: `next` is a transfer's (block, log index, batch index), passed
    /// back as `transfers_before`.
    pub transfers_page: CursorPage,
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

/// Token `$1` of domain `$2`'s transfers below (`$3` to `$5`) a transfer's (block, log index,
/// batch index), newest first, `$6` of them. The block bounds the index range on its own (see
/// the address page's lists).
fn token_transfers_sql() -> String {
    format!(
        "SELECT {TRANSFER_COLUMNS}, t.log_index, t.batch_index FROM {TRANSFER_JOIN} \
         WHERE t.token = $1 AND t.domain = $2 AND t.block_number <= $3 \
         AND (t.block_number, t.log_index, t.batch_index) < ($3, $4, $5) \
         ORDER BY t.block_number DESC, t.log_index DESC, t.batch_index DESC LIMIT $6"
    )
}

/// Every token, in the order they first appeared (domain, first block, address), from above
/// (`$1` to `$3`) a token's.
const TOKENS_SQL: &str = "SELECT domain, address, kind, name, symbol, decimals, total_supply, \
    first_block FROM tokens WHERE domain >= $1 AND (domain, first_block, address) > ($1, $2, $3) \
    ORDER BY domain, first_block, address LIMIT $4";

/// The module's statements with their parameters' kinds, for the tests that check each is
/// served by an index.
pub(super) fn token_statements() -> Vec<(String, &'static str)> {
    vec![(token_transfers_sql(), "aiiiii"), (TOKENS_SQL.to_string(), "iiai")]
}

/// Where the token page's lists start: below or after these cursors, or at their start
/// without them.
#[derive(Debug, Clone, Default)]
pub struct TokenCursors {
    /// A transfer's (block, log index, batch index).
    pub transfers_before: Option<[i64; 3]>,
    /// A holder's place in the holder list.
    pub holders_before: Option<crate::holders::HolderCursor>,
    /// An NFT inventory item.
    pub inventory_after: Option<crate::nft::InventoryCursor>,
}

/// Token `a` of `domain`, a page of its holders (the largest, or those below
/// `cursors.holders_before`), of its NFT inventory and of its transfers (the newest, or those
/// below `cursors.transfers_before`).
pub async fn token(
    db: &Database,
    domain: i64,
    a: &[u8],
    cursors: &TokenCursors,
) -> Result<Option<TokenView>, ExplorerError> {
    let TokenCursors { transfers_before, holders_before, inventory_after } = cursors;
    let transfers_before = *transfers_before;
    let Some(TokenInfo { summary, supply }) = token_summary_of(db, domain, a).await? else {
        return Ok(None);
    };
    let now = now();
    let decimals = summary.decimals.unwrap_or(0).clamp(0, 77) as u8;
    let holder_count = crate::holders::count(db, domain, a).await?;
    let holders =
        crate::holders::page(db, domain, a, holders_before.as_ref(), PAGE, supply, decimals)
            .await?;
    let inventory =
        crate::nft::inventory(db, domain, a, &summary.kind, inventory_after.as_ref(), PAGE).await?;
    let sql = token_transfers_sql();
    let [block, log, batch] = transfers_before.unwrap_or([i64::MAX; 3]);
    let rows = sqlx::query(&sql)
        .bind(a.to_vec())
        .bind(domain)
        .bind(block)
        .bind(log)
        .bind(batch)
        .bind(PAGE + 1)
        .fetch_all(db.pool())
        .await?;
    let transfers_page = CursorPage::new(transfers_before.is_none(), &rows, |r| {
        Ok(encode(&[int(r, "block_number")?, int(r, "log_index")?, int(r, "batch_index")?]))
    })?;
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
        transfers_page,
    }))
}

/// Where the token list starts: after this token's (domain, first block, address).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokensCursor {
    pub domain: i64,
    pub first_block: i64,
    pub address: alloy_primitives::Address,
}

impl TokensCursor {
    /// Reads a cursor as the list writes it: `domain.first_block.0xaddress`.
    pub fn parse(s: &str) -> Result<Self, ListError> {
        let bad = || ListError::Cursor(s.chars().take(100).collect());
        let (numbers, addr) = s.trim().rsplit_once('.').ok_or_else(bad)?;
        let [domain, first_block] = decode::<2>(numbers).map_err(|_| bad())?;
        let address =
            super::parse_address(addr).filter(|_| addr.starts_with("0x")).ok_or_else(bad)?;
        Ok(Self { domain, first_block, address })
    }
}

/// All tokens, a page at a time: the first, or the one after `after`.
pub async fn tokens(
    db: &Database,
    after: Option<&TokensCursor>,
) -> Result<(Vec<TokenSummary>, CursorPage), ExplorerError> {
    let (domain, first_block, addr) = match after {
        Some(c) => (c.domain, c.first_block, c.address.to_vec()),
        None => (-1, -1, Vec::new()),
    };
    let rows = sqlx::query(TOKENS_SQL)
        .bind(domain)
        .bind(first_block)
        .bind(addr)
        .bind(PAGE + 1)
        .fetch_all(db.pool())
        .await?;
    let paging = CursorPage::new(after.is_none(), &rows, |r| {
        let token = address(&bytes(r, "address")?);
        Ok(format!("{}.{}.{token}", int(r, "domain")?, int(r, "first_block")?))
    })?;
    Ok((rows.iter().take(PAGE as usize).map(token_summary).collect::<Result<_, _>>()?, paging))
}
