//! Activity over time (`/charts`): transactions, gas used and blocks per UTC day, of every
//! domain or of one, read from the indexer's `daily_activity` (a row per domain and day, so the
//! cost is the days shown, not the blocks), drawn as server-rendered SVG bars.

use sec_indexer::Database;
use serde::{Deserialize, Serialize};

use crate::{ExplorerError, data::int, format::iso8601};

/// Days shown unless `days` says otherwise.
pub const DEFAULT_DAYS: i64 = 30;
/// The most days a chart shows.
pub const MAX_DAYS: i64 = 365;
/// Chart box: 600 x 200.
const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 200.0;

/// A charts request the explorer refuses (400), in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChartsError {
    #[error("days: {0:?} is not a whole number from 1 to {MAX_DAYS}")]
    Days(String),
    #[error("domain: {0:?} is not a domain number")]
    Domain(String),
}

/// `?days=&domain=` as given.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ChartsQuery {
    pub days: Option<String>,
    pub domain: Option<String>,
}

impl ChartsQuery {
    /// (days, domain), checked.
    pub fn parse(&self) -> Result<(i64, Option<i64>), ChartsError> {
        fn given(v: &Option<String>) -> Option<&str> {
            v.as_deref().map(str::trim).filter(|s| !s.is_empty())
        }
        let days = match given(&self.days) {
            None => DEFAULT_DAYS,
            Some(d) => d
                .parse::<i64>()
                .ok()
                .filter(|d| (1..=MAX_DAYS).contains(d))
                .ok_or(ChartsError::Days(d.into()))?,
        };
        let domain = given(&self.domain)
            .map(|d| d.parse::<i64>().ok().filter(|d| *d >= 0).ok_or(ChartsError::Domain(d.into())))
            .transpose()?;
        Ok((days, domain))
    }
}

/// One day of the charts, with its bars.
#[derive(Debug, Clone, Serialize)]
pub struct Day {
    /// The day, `YYYY-MM-DD` (UTC).
    pub date: String,
    pub blocks: i64,
    pub transactions: i64,
    pub gas_used: i64,
    /// The bars (chart box 600 x 200): left edge and width, shared; top and height of each.
    pub x: f64,
    pub width: f64,
    pub tx_y: f64,
    pub tx_height: f64,
    pub gas_y: f64,
    pub gas_height: f64,
}

/// The charts.
#[derive(Debug, Clone, Serialize)]
pub struct Charts {
    /// The domain charted, or none for every domain.
    pub domain: Option<i64>,
    /// Oldest first, every day of the window (days without blocks are zero), ending on the
    /// latest day indexed.
    pub days: Vec<Day>,
    pub max_transactions: i64,
    pub max_gas_used: i64,
    pub total_transactions: i64,
    pub total_gas_used: i64,
}

const LATEST_SQL: &str = "SELECT MAX(day) AS day FROM daily_activity";
const LATEST_DOMAIN_SQL: &str = "SELECT MAX(day) AS day FROM daily_activity WHERE domain = $1";

fn days_sql(domain: bool) -> &'static str {
    if domain {
        "SELECT day, blocks, transactions, gas_used FROM daily_activity \
         WHERE domain = $1 AND day >= $2 ORDER BY day"
    } else {
        "SELECT day, CAST(SUM(blocks) AS BIGINT) AS blocks, \
           CAST(SUM(transactions) AS BIGINT) AS transactions, \
           CAST(SUM(gas_used) AS BIGINT) AS gas_used \
         FROM daily_activity WHERE day >= $1 GROUP BY day ORDER BY day"
    }
}

/// The module's statements with their parameters' kinds (`i` an integer), for the tests that
/// check each is served by an index.
pub fn statements() -> Vec<(String, &'static str)> {
    vec![
        (LATEST_SQL.into(), ""),
        (LATEST_DOMAIN_SQL.into(), "i"),
        (days_sql(false).into(), "i"),
        (days_sql(true).into(), "ii"),
    ]
}

/// The last `days` days of activity of every domain, or of `domain`.
pub async fn charts(
    db: &Database,
    days: i64,
    domain: Option<i64>,
) -> Result<Charts, ExplorerError> {
    let latest = match domain {
        Some(d) => sqlx::query(LATEST_DOMAIN_SQL).bind(d).fetch_one(db.pool()).await?,
        None => sqlx::query(LATEST_SQL).fetch_one(db.pool()).await?,
    };
    let latest: Option<i64> = crate::data::opt_int(&latest, "day")?;
    let Some(last) = latest else {
        return Ok(chart(domain, Vec::new()));
    };
    let first = last - days + 1;
    let rows = match domain {
        Some(d) => sqlx::query(days_sql(true)).bind(d).bind(first).fetch_all(db.pool()).await?,
        None => sqlx::query(days_sql(false)).bind(first).fetch_all(db.pool()).await?,
    };
    let mut counts = vec![[0i64; 3]; days as usize];
    for r in &rows {
        let day = int(r, "day")?;
        if let Some(slot) = usize::try_from(day - first).ok().and_then(|i| counts.get_mut(i)) {
            *slot = [int(r, "blocks")?, int(r, "transactions")?, int(r, "gas_used")?];
        }
    }
    let days: Vec<(i64, [i64; 3])> =
        counts.into_iter().enumerate().map(|(i, c)| (first + i as i64, c)).collect();
    Ok(chart(domain, days))
}

/// Lays out the bars of `days` ((day, [blocks, transactions, gas]), oldest first).
pub fn chart(domain: Option<i64>, days: Vec<(i64, [i64; 3])>) -> Charts {
    let max_transactions = days.iter().map(|d| d.1[1]).max().unwrap_or(0).max(1);
    let max_gas_used = days.iter().map(|d| d.1[2]).max().unwrap_or(0).max(1);
    let slot = WIDTH / days.len().max(1) as f64;
    let round = |v: f64| (v * 100.0).round() / 100.0;
    let bar = |v: i64, max: i64| round(v.max(0) as f64 / max as f64 * HEIGHT);
    let days: Vec<Day> = days
        .into_iter()
        .enumerate()
        .map(|(i, (day, [blocks, transactions, gas_used]))| {
            let (tx_height, gas_height) =
                (bar(transactions, max_transactions), bar(gas_used, max_gas_used));
            Day {
                date: iso8601(day.max(0) as u64 * 86_400)[..10].to_string(),
                blocks,
                transactions,
                gas_used,
                x: round(i as f64 * slot),
                width: round((slot * 0.8).max(0.5)),
                tx_y: round(HEIGHT - tx_height),
                tx_height,
                gas_y: round(HEIGHT - gas_height),
                gas_height,
            }
        })
        .collect();
    Charts {
        domain,
        total_transactions: days.iter().map(|d| d.transactions).sum(),
        total_gas_used: days.iter().map(|d| d.gas_used).sum(),
        days,
        max_transactions,
        max_gas_used,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_busiest_day() {
        let c =
            chart(None, vec![(19_675, [10, 4, 100]), (19_676, [0, 0, 0]), (19_677, [5, 8, 50])]);
        assert_eq!(c.days.len(), 3);
        assert_eq!(c.days[0].date, "2023-11-14");
        assert_eq!((c.days[2].tx_height, c.days[2].tx_y), (200.0, 0.0));
        assert_eq!((c.days[0].tx_height, c.days[0].tx_y), (100.0, 100.0));
        assert_eq!((c.days[0].gas_height, c.days[2].gas_height), (200.0, 100.0));
        assert_eq!(c.days[1].tx_height, 0.0);
        assert_eq!((c.days[1].x, c.days[1].width), (200.0, 160.0));
        assert_eq!((c.total_transactions, c.total_gas_used), (12, 150));
        let q = |d: &str| ChartsQuery { days: Some(d.into()), domain: None }.parse();
        assert_eq!(q("7"), Ok((7, None)));
        assert_eq!(q("0"), Err(ChartsError::Days("0".into())));
        assert_eq!(q("366"), Err(ChartsError::Days("366".into())));
    }
}
