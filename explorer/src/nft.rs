//! A token's NFT inventory: each ERC-721 id with its current owner (the receiver of the id's
//! latest indexed transfer; burned ids left out), or each ERC-1155 id with its holders and
//! their balances (the indexer's balances). Ids in ascending order, paged by keyset cursor
//! (`?after=`, the `next` of the page before) through the indexes of migration 0015.

use alloy_primitives::hex as hexcodec;
use sec_indexer::Database;
use serde::Serialize;

use crate::{
    ExplorerError,
    data::{bytes, int},
    format::{address, age, amount, now, utc},
    lists::ListError,
};

/// Where a page of the inventory starts: after this id (and, for ERC-1155, this holder).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryCursor {
    token_id: Vec<u8>,
    holder: Vec<u8>,
}

impl InventoryCursor {
    /// Reads a cursor as [`InventoryCursor::encode`] writes it: the id's 32 bytes in hex, and
    /// for ERC-1155 the holder's 20 after them.
    pub fn parse(s: &str) -> Result<Self, ListError> {
        let bad = || ListError::Cursor(s.chars().take(100).collect());
        let raw = hexcodec::decode(s.trim()).map_err(|_| bad())?;
        if raw.len() != 32 && raw.len() != 52 {
            return Err(bad());
        }
        Ok(Self { token_id: raw[..32].to_vec(), holder: raw[32..].to_vec() })
    }

    fn encode(&self) -> String {
        let mut raw = self.token_id.clone();
        raw.extend_from_slice(&self.holder);
        hexcodec::encode(raw)
    }
}

/// An id in the inventory and who holds it.
#[derive(Debug, Clone, Serialize)]
pub struct InventoryItem {
    /// The token id, in decimal.
    pub token_id: String,
    pub owner: String,
    /// How many of the id the owner holds (ERC-1155; an ERC-721 id is one).
    pub balance: String,
    /// When the id last moved (ERC-721).
    pub last_moved: Option<String>,
    pub last_moved_age: Option<String>,
}

/// A page of the inventory.
#[derive(Debug, Clone, Serialize)]
pub struct InventoryPage {
    pub items: Vec<InventoryItem>,
    /// The cursor of the next page, if there is one: pass it as `after`.
    pub next: Option<String>,
}

/// An ERC-721 token's ids after `$3` with their latest transfer, which none of the id's later
/// transfers follows (`$1` domain, `$2` token, then the cursor's id, `$4` the zero address and
/// `$5` the limit; without a cursor one fewer).
fn erc721_sql(after: bool) -> String {
    let (cursor, zero, limit) =
        if after { ("AND t.token_id > $3", "$4", "$5") } else { ("", "$3", "$4") };
    format!(
        "SELECT t.token_id, t.to_address, t.timestamp FROM token_transfers t \
         WHERE t.domain = $1 AND t.token = $2 AND t.token_id IS NOT NULL {cursor} \
           AND NOT EXISTS (SELECT 1 FROM token_transfers n WHERE n.domain = t.domain \
             AND n.token = t.token AND n.token_id = t.token_id AND n.token_id IS NOT NULL \
             AND (n.block_number, n.log_index, n.batch_index) \
               > (t.block_number, t.log_index, t.batch_index)) \
           AND t.to_address <> {zero} \
         ORDER BY t.token_id LIMIT {limit}"
    )
}

/// An ERC-1155 token's (id, holder) rows after the cursor's (`$3`, `$4`), from the balances.
fn erc1155_sql(after: bool) -> &'static str {
    if after {
        "SELECT token_id, holder, balance FROM balances WHERE domain = $1 AND token = $2 \
         AND (token_id, holder) > ($3, $4) ORDER BY token_id, holder LIMIT $5"
    } else {
        "SELECT token_id, holder, balance FROM balances WHERE domain = $1 AND token = $2 \
         ORDER BY token_id, holder LIMIT $3"
    }
}

/// The module's statements with their parameters' kinds (`i` an integer, `a` an address, `b` 32
/// bytes), for the tests that check each is served by an index.
pub fn statements() -> Vec<(String, &'static str)> {
    vec![
        (erc721_sql(false), "iaai"),
        (erc721_sql(true), "iabai"),
        (erc1155_sql(false).into(), "iai"),
        (erc1155_sql(true).into(), "iabai"),
    ]
}

/// A page of token `token` of `domain`'s inventory (`kind` "ERC-721" or "ERC-1155"), `limit`
/// items after `after`. Other kinds have none.
pub async fn inventory(
    db: &Database,
    domain: i64,
    token: &[u8],
    kind: &str,
    after: Option<&InventoryCursor>,
    limit: i64,
) -> Result<InventoryPage, ExplorerError> {
    let erc721 = match kind {
        "ERC-721" => true,
        "ERC-1155" => false,
        _ => return Ok(InventoryPage { items: Vec::new(), next: None }),
    };
    let rows = if erc721 {
        let sql = erc721_sql(after.is_some());
        let mut query = sqlx::query(&sql).bind(domain).bind(token.to_vec());
        if let Some(c) = after {
            query = query.bind(c.token_id.clone());
        }
        query.bind(vec![0u8; 20]).bind(limit + 1).fetch_all(db.pool()).await?
    } else {
        let mut query = sqlx::query(erc1155_sql(after.is_some())).bind(domain).bind(token.to_vec());
        if let Some(c) = after {
            let holder = if c.holder.is_empty() { vec![0u8; 20] } else { c.holder.clone() };
            query = query.bind(c.token_id.clone()).bind(holder);
        }
        query.bind(limit + 1).fetch_all(db.pool()).await?
    };
    let now = now();
    let mut items = Vec::new();
    let mut last = None;
    for r in rows.iter().take(limit as usize) {
        let id = bytes(r, "token_id")?;
        let item = if erc721 {
            let owner = bytes(r, "to_address")?;
            let ts = int(r, "timestamp")?.max(0) as u64;
            last = Some(InventoryCursor { token_id: id.clone(), holder: Vec::new() });
            InventoryItem {
                token_id: amount(&id).to_string(),
                owner: address(&owner),
                balance: "1".into(),
                last_moved: Some(utc(ts)),
                last_moved_age: Some(age(ts, now)),
            }
        } else {
            let holder = bytes(r, "holder")?;
            last = Some(InventoryCursor { token_id: id.clone(), holder: holder.clone() });
            InventoryItem {
                token_id: amount(&id).to_string(),
                owner: address(&holder),
                balance: amount(&bytes(r, "balance")?).to_string(),
                last_moved: None,
                last_moved_age: None,
            }
        };
        items.push(item);
    }
    let next = (rows.len() as i64 > limit).then_some(last).flatten().map(|c| c.encode());
    Ok(InventoryPage { items, next })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_bad_ones_are_refused() {
        let c = InventoryCursor { token_id: vec![7; 32], holder: vec![] };
        assert_eq!(InventoryCursor::parse(&c.encode()), Ok(c));
        let c = InventoryCursor { token_id: vec![7; 32], holder: vec![1; 20] };
        assert_eq!(InventoryCursor::parse(&c.encode()), Ok(c));
        for bad in ["", "q", "0x12", &"ab".repeat(31), &"ab".repeat(53)] {
            assert!(matches!(InventoryCursor::parse(bad), Err(ListError::Cursor(_))), "{bad}");
        }
    }
}
