//! Validators as StakeManager reports them.

use alloy_primitives::U256;
use sec_indexer::Database;
use serde::Serialize;

use crate::{
    ExplorerError,
    format::{address, amount, units},
};

use super::rows::{bytes, int, opt_int};

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
    /// Blocks produced and slots missed over every domain in the latest epoch indexed, and
    /// over all the epochs indexed.
    pub production: Production,
}

/// What a validator produced, as the chain counts it (`sec_validators`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Production {
    pub epoch: Option<i64>,
    pub epoch_produced: i64,
    pub epoch_missed: i64,
    pub produced: i64,
    pub missed: i64,
}

const LATEST_EPOCH_SQL: &str = "SELECT MAX(epoch) AS epoch FROM validator_production";
// (SUM of BIGINT is NUMERIC on PostgreSQL, which the Any driver does not read: cast back)
const TOTALS_SQL: &str = "SELECT CAST(COALESCE(SUM(produced), 0) AS BIGINT) AS produced, \
    CAST(COALESCE(SUM(missed), 0) AS BIGINT) AS missed \
    FROM validator_production WHERE signer = $1";
const EPOCH_SQL: &str =
    "SELECT produced, missed FROM validator_production WHERE epoch = $1 AND signer = $2";

/// The production statements with their parameters' kinds (`i` integer, `a` address), for
/// the test that checks each one's plan.
pub fn production_statements() -> Vec<(String, &'static str)> {
    vec![(LATEST_EPOCH_SQL.into(), ""), (TOTALS_SQL.into(), "a"), (EPOCH_SQL.into(), "ia")]
}

/// `signer`'s production: its row of `epoch` (the latest indexed) and its sums over every epoch.
async fn production(
    db: &Database,
    signer: &[u8],
    epoch: Option<i64>,
) -> Result<Production, ExplorerError> {
    let totals = sqlx::query(TOTALS_SQL).bind(signer.to_vec()).fetch_one(db.pool()).await?;
    let mut p = Production {
        epoch,
        produced: int(&totals, "produced")?,
        missed: int(&totals, "missed")?,
        ..Default::default()
    };
    if let Some(e) = epoch {
        let row =
            sqlx::query(EPOCH_SQL).bind(e).bind(signer.to_vec()).fetch_optional(db.pool()).await?;
        if let Some(r) = row {
            p.epoch_produced = int(&r, "produced")?;
            p.epoch_missed = int(&r, "missed")?;
        }
    }
    Ok(p)
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
    let latest = sqlx::query(LATEST_EPOCH_SQL).fetch_one(db.pool()).await?;
    let epoch = opt_int(&latest, "epoch")?;
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
        let signer = bytes(&r, "signer")?;
        let production = production(db, &signer, epoch).await?;
        out.push(ValidatorView {
            address: address(&a),
            signer: address(&signer),
            commission: format!("{}.{:02} %", bps / 100, bps % 100),
            stake: units(amount(&bytes(&r, "stake")?), 18),
            self_stake: units(amount(&bytes(&r, "self_stake")?), 18),
            delegators: int(&r, "delegators")?,
            slashed: units(slashed, 18),
            jailed: int(&r, "jailed")? != 0,
            jailed_until: int(&r, "jailed_until")?,
            registered_l1_block: int(&r, "registered_l1_block")?,
            production,
        });
    }
    Ok(out)
}
