//! A token's holders, largest balance first, paged by keyset cursor like the other lists: a page
//! starts below the last row of the one before (`?before=`, the `next` it carries) through the
//! index of migration 0014 in list order, so a deep page reads what it shows where an OFFSET
//! would read every holder above it. Ties are broken by holder, then token id (an ERC-1155
//! holder has a row per id), all descending.

use alloy_primitives::{U256, hex as hexcodec};
use sec_indexer::Database;
use serde::Serialize;

use crate::{
    ExplorerError,
    data::{bytes, int},
    format::{address, amount, units},
    lists::{DEFAULT_LIMIT, ListError, MAX_LIMIT},
};

/// Where a page of holders starts: below this (balance, holder, token id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolderCursor {
    balance: Vec<u8>,
    holder: Vec<u8>,
    token_id: Vec<u8>,
}

/// A balance is 32 bytes, a holder 20, a token id none or 32.
const SHORT: usize = 52;
const LONG: usize = 84;

impl HolderCursor {
    /// Reads a cursor as [`HolderCursor::encode`] writes it (the hex of its parts, joined).
    pub fn parse(s: &str) -> Result<Self, ListError> {
        let bad = || ListError::Cursor(s.chars().take(100).collect());
        let raw = hexcodec::decode(s.trim()).map_err(|_| bad())?;
        if raw.len() != SHORT && raw.len() != LONG {
            return Err(bad());
        }
        Ok(Self {
            balance: raw[..32].to_vec(),
            holder: raw[32..SHORT].to_vec(),
            token_id: raw[SHORT..].to_vec(),
        })
    }

    fn encode(&self) -> String {
        let mut raw = self.balance.clone();
        raw.extend_from_slice(&self.holder);
        raw.extend_from_slice(&self.token_id);
        hexcodec::encode(raw)
    }
}

/// Checks `?limit=` of a holders list.
pub fn parse_limit(limit: Option<&str>) -> Result<i64, ListError> {
    match limit.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(DEFAULT_LIMIT),
        Some(l) => l
            .parse::<i64>()
            .ok()
            .filter(|l| (1..=MAX_LIMIT).contains(l))
            .ok_or(ListError::Limit(l.into())),
    }
}

/// A holder in the list.
#[derive(Debug, Clone, Serialize)]
pub struct HolderView {
    /// Place in the list, from 1 (counted on the first page only: a later page does not know
    /// how many rows are above it without reading them).
    pub rank: Option<i64>,
    pub holder: String,
    /// The balance in the token's units.
    pub amount: String,
    /// The balance in its smallest unit.
    pub raw_amount: String,
    /// The ERC-1155 token id the balance is of.
    pub token_id: Option<String>,
    /// Share of the total supply, "12.5000 %" (empty when the supply is not known).
    pub share: String,
}

/// A page of holders.
#[derive(Debug, Clone, Serialize)]
pub struct HolderPage {
    pub holders: Vec<HolderView>,
    /// The cursor of the next page, if there is one: pass it as `before`.
    pub next: Option<String>,
}

/// The page's statement: `$1` domain, `$2` token, then either `$3` limit or the cursor's three
/// parts and `$6` limit.
fn holders_sql(after: bool) -> &'static str {
    if after {
        "SELECT holder, token_id, balance FROM balances WHERE domain = $1 AND token = $2 \
         AND (balance, holder, token_id) < ($3, $4, $5) \
         ORDER BY balance DESC, holder DESC, token_id DESC LIMIT $6"
    } else {
        "SELECT holder, token_id, balance FROM balances WHERE domain = $1 AND token = $2 \
         ORDER BY balance DESC, holder DESC, token_id DESC LIMIT $3"
    }
}

/// The module's statements with their parameters' kinds (`i` an integer, `a` an address, `b` 32
/// bytes), for the tests that check each is served by an index.
pub fn statements() -> Vec<(String, &'static str)> {
    vec![
        (holders_sql(false).into(), "iai"),
        (holders_sql(true).into(), "iabaai"),
        (COUNT_SQL.into(), "ia"),
    ]
}

/// Token `token` of `domain`'s holders below `before` (from the largest without it), `limit` of
/// them; shares of `supply`, amounts with `decimals`.
pub async fn page(
    db: &Database,
    domain: i64,
    token: &[u8],
    before: Option<&HolderCursor>,
    limit: i64,
    supply: U256,
    decimals: u8,
) -> Result<HolderPage, ExplorerError> {
    let mut query = sqlx::query(holders_sql(before.is_some())).bind(domain).bind(token.to_vec());
    if let Some(c) = before {
        query = query.bind(c.balance.clone()).bind(c.holder.clone()).bind(c.token_id.clone());
    }
    let rows = query.bind(limit + 1).fetch_all(db.pool()).await?;
    let mut holders = Vec::new();
    let mut last = None;
    for (i, r) in rows.iter().take(limit as usize).enumerate() {
        let (balance, holder, id) =
            (bytes(r, "balance")?, bytes(r, "holder")?, bytes(r, "token_id")?);
        let value = amount(&balance);
        let share = if supply.is_zero() {
            String::new()
        } else {
            let millionths = value.saturating_mul(U256::from(1_000_000u64)) / supply;
            format!("{:.4} %", millionths.saturating_to::<u64>() as f64 / 10_000.0)
        };
        holders.push(HolderView {
            rank: before.is_none().then_some(i as i64 + 1),
            holder: address(&holder),
            amount: units(value, decimals),
            raw_amount: value.to_string(),
            token_id: (!id.is_empty()).then(|| amount(&id).to_string()),
            share,
        });
        last = Some(HolderCursor { balance, holder, token_id: id });
    }
    let next = (rows.len() as i64 > limit).then_some(last).flatten().map(|c| c.encode());
    Ok(HolderPage { holders, next })
}

const COUNT_SQL: &str = "SELECT holders FROM token_holder_counts WHERE domain = $1 AND token = $2";

/// How many holders token `token` of `domain` has (rows: an ERC-1155 holder counts per id), as
/// the indexer keeps it: one row read, however many holders.
pub async fn count(db: &Database, domain: i64, token: &[u8]) -> Result<i64, ExplorerError> {
    let row =
        sqlx::query(COUNT_SQL).bind(domain).bind(token.to_vec()).fetch_optional(db.pool()).await?;
    row.map_or(Ok(0), |r| int(&r, "holders"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_bad_ones_are_refused() {
        let c = HolderCursor { balance: vec![7; 32], holder: vec![0xaa; 20], token_id: vec![] };
        assert_eq!(HolderCursor::parse(&c.encode()), Ok(c));
        let c = HolderCursor { balance: vec![1; 32], holder: vec![2; 20], token_id: vec![3; 32] };
        assert_eq!(HolderCursor::parse(&c.encode()), Ok(c));
        for bad in ["", "xyz", "0x12", &"ab".repeat(51), &"ab".repeat(53), &"ab".repeat(85)] {
            assert!(matches!(HolderCursor::parse(bad), Err(ListError::Cursor(_))), "{bad}");
        }
        assert_eq!(parse_limit(None), Ok(DEFAULT_LIMIT));
        assert_eq!(parse_limit(Some("0")), Err(ListError::Limit("0".into())));
        assert_eq!(parse_limit(Some("100")), Ok(100));
    }
}
