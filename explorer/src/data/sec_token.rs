//! The SEC token page: allocations and vesting.

use alloy_primitives::U256;
use sec_indexer::Database;
use serde::Serialize;
use sqlx::Row;

use crate::{
    ExplorerError,
    format::{self, address, amount, now, units},
};

use super::rows::{bytes, int};

/// One allocation of the SEC supply.
#[derive(Debug, Clone, Serialize)]
pub struct AllocationView {
    pub name: String,
    pub contract: String,
    pub total: String,
    pub released: String,
    pub vested: String,
    pub locked: String,
    pub scheduled: bool,
}

/// The SEC token page: allocations, totals, and the vesting schedule as a chart.
#[derive(Debug, Clone, Serialize)]
pub struct SecView {
    pub allocations: Vec<AllocationView>,
    pub total: String,
    pub released: String,
    pub locked: String,
    /// SVG path of the cumulative scheduled unlocks over time (600 x 150 box).
    pub chart_path: String,
    /// Where "now" falls on the chart, 0-600.
    pub now_x: i64,
    pub first_unlock: Option<String>,
    pub last_unlock: Option<String>,
    pub l1_block: Option<i64>,
}

/// The SEC token's allocations as Ethereum reports them.
pub async fn sec_token(db: &Database) -> Result<SecView, ExplorerError> {
    let rows = sqlx::query(
        "SELECT contract, name, total, released, releasable, schedule, l1_block FROM allocations ORDER BY name",
    )
    .fetch_all(db.pool())
    .await?;
    let (mut total, mut released, mut locked) = (U256::ZERO, U256::ZERO, U256::ZERO);
    let mut unlocks: Vec<(u64, U256)> = Vec::new();
    let mut allocations = Vec::new();
    let mut l1_block = None;
    for r in &rows {
        let t = amount(&bytes(r, "total")?);
        let rel = amount(&bytes(r, "released")?);
        let vested = rel.saturating_add(amount(&bytes(r, "releasable")?));
        let schedule: Vec<(u64, String)> =
            serde_json::from_str(&r.try_get::<String, _>("schedule")?).unwrap_or_default();
        for (time, a) in &schedule {
            unlocks.push((*time, a.parse().unwrap_or_default()));
        }
        total = total.saturating_add(t);
        released = released.saturating_add(rel);
        locked = locked.saturating_add(t.saturating_sub(vested));
        l1_block = Some(int(r, "l1_block")?);
        allocations.push(AllocationView {
            name: r.try_get::<String, _>("name")?,
            contract: address(&bytes(r, "contract")?),
            total: units(t, 18),
            released: units(rel, 18),
            vested: units(vested, 18),
            locked: units(t.saturating_sub(vested), 18),
            scheduled: !schedule.is_empty(),
        });
    }
    unlocks.sort();
    let first = unlocks.first().map(|u| u.0);
    let last = unlocks.last().map(|u| u.0);
    let scheduled_total: U256 = unlocks.iter().fold(U256::ZERO, |a, u| a.saturating_add(u.1));
    let (mut path, mut now_x) = (String::from("M 0 150"), 0);
    if let (Some(first), Some(last)) = (first, last) {
        let span = (last - first).max(1) as f64;
        let to_f = |v: U256| -> f64 { v.to_string().parse::<f64>().unwrap_or(0.0) };
        let whole = to_f(scheduled_total).max(1.0);
        let mut cumulative = U256::ZERO;
        for (time, a) in &unlocks {
            let x = (*time - first) as f64 / span * 600.0;
            cumulative = cumulative.saturating_add(*a);
            let y = 150.0 - to_f(cumulative) / whole * 150.0;
            path.push_str(&format!(" H {x:.1} V {y:.1}"));
        }
        path.push_str(" H 600");
        now_x = ((now().saturating_sub(first)) as f64 / span * 600.0).clamp(0.0, 600.0) as i64;
    }
    Ok(SecView {
        allocations,
        total: units(total, 18),
        released: units(released, 18),
        locked: units(locked, 18),
        chart_path: path,
        now_x,
        first_unlock: first.map(format::utc),
        last_unlock: last.map(format::utc),
        l1_block,
    })
}
