//! The search box.

use sec_indexer::Database;
use serde::Serialize;

use crate::{ExplorerError, format::address};

use super::{blocks::block_by_hash, rows::int, tokens::token_summary};

/// What a search found.
#[derive(Debug, Clone, Serialize)]
pub struct SearchHit {
    pub kind: &'static str,
    pub label: String,
    pub url: String,
}

/// The domains with block `$1`: each domain's primary key searched once (through the domains of
/// `chain_heads`), where `WHERE number = $1` alone reads every block of every domain.
const BLOCKS_BY_NUMBER_SQL: &str = "SELECT b.domain FROM chain_heads h \
    JOIN blocks b ON b.domain = h.domain AND b.number = $1 ORDER BY b.domain";

/// The module's statements with their parameters' kinds, for the tests that check each is
/// served by an index.
pub(super) fn search_statements() -> Vec<(String, &'static str)> {
    vec![(BLOCKS_BY_NUMBER_SQL.into(), "i")]
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
        for r in sqlx::query(BLOCKS_BY_NUMBER_SQL).bind(n).fetch_all(db.pool()).await? {
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
