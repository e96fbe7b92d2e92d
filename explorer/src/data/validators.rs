//! Validators as StakeManager reports them.

use alloy_primitives::U256;
use sec_indexer::Database;
use serde::Serialize;

use crate::{
    ExplorerError,
    format::{address, amount, units},
};

use super::rows::{bytes, int};

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
