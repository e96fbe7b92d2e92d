//! Trade and trust views: an offer with its stages and dispute, an account's trust index and its
//! history as a chart, a seller's offers and disputes, an account's relationships drawn as a
//! graph, and the cross-domain share of completed trades over time. Read from the tables the
//! indexer fills from the `TradeEscrow`, `Disputes`, `TrustIndex` and hub `HomeDirectory` events
//! and the steps that arrived as cross-domain messages; every query goes through an index of
//! migration 0009 or 0011 (or `transactions_by_from`, `messages`' key).

use std::collections::BTreeMap;

use alloy_primitives::U256;
use sec_indexer::Database;
use serde::Serialize;
use sqlx::any::AnyRow;

use crate::{
    ExplorerError,
    data::{bytes, int, opt_bytes, opt_int, opt_text},
    format::{self, address, age, amount, duration, hex, now, units},
};

/// The convergence period of a relationship edge (contracts/TRADE.md): live while the last trade
/// over it is younger.
pub const CONVERGENCE_PERIOD: i64 = 30 * 86_400;

/// Most offers a seller view reads (newest first).
pub const SELLER_OFFERS: i64 = 500;

/// Most counterparties drawn around an account (those with the most trades).
pub const GRAPH_NODES: usize = 24;

/// Most completed trades the cross-domain chart reads (the newest).
pub const SHARE_TRADES: i64 = 5_000;

/// Buckets of the cross-domain chart.
pub const SHARE_BUCKETS: i64 = 24;

/// Stages an offer is still under way in.
const OPEN_STAGES: [&str; 3] = ["Open", "Paid", "Shipped"];

const TOKEN_SQL: &str = "SELECT symbol, decimals FROM tokens WHERE domain = $1 AND address = $2";
const OFFER_SQL: &str = "SELECT * FROM trade_offers WHERE domain = $1 AND offer_id = $2";
const EVENTS_SQL: &str = "SELECT * FROM trade_events WHERE domain = $1 AND offer_id = $2 \
     ORDER BY block_number, log_index";
const DISPUTE_SQL: &str = "SELECT * FROM trade_disputes WHERE domain = $1 AND dispute_id = $2";
const STEP_MESSAGES_SQL: &str = "SELECT s.block_number, s.log_index, s.message_hash, \
     s.source_domain, m.sender, m.tx_hash FROM trade_step_messages s \
     LEFT JOIN messages m ON m.message_hash = s.message_hash \
     WHERE s.domain = $1 AND s.offer_id = $2";
const VOTES_SQL: &str = "SELECT * FROM trade_votes WHERE domain = $1 AND dispute_id = $2 \
     ORDER BY block_number, log_index";
const TRUST_SQL: &str = "SELECT domain, block_number, log_index, old_index, new_index, reason, \
     tx_hash, timestamp FROM trust_changes WHERE account = $1 \
     ORDER BY timestamp, domain, block_number, log_index";
const COMPLETED_SQL: [&str; 2] = [
    "SELECT COUNT(*) AS n FROM trade_edges WHERE buyer = $1",
    "SELECT COUNT(*) AS n FROM trade_edges WHERE seller = $1",
];
const SELLER_DISPUTES_SQL: &str = "SELECT d.domain, d.dispute_id, d.offer_id, d.buyer, d.seller, \
     d.timestamp, (SELECT v.uphold FROM trade_votes v WHERE v.domain = d.domain \
     AND v.dispute_id = d.dispute_id AND v.judge IS NULL \
     ORDER BY v.block_number DESC, v.log_index DESC LIMIT 1) AS outcome \
     FROM trade_disputes d WHERE d.seller = $1 ORDER BY d.timestamp DESC LIMIT $2";
const CHAIN_TIME_SQL: &str = "SELECT (SELECT b.timestamp FROM blocks b \
     WHERE b.domain = h.domain AND b.number = h.head) AS timestamp FROM chain_heads h";
const GRAPH_SQL: [&str; 2] = [
    "SELECT buyer AS other, COUNT(*) AS n, MAX(timestamp) AS last FROM trade_edges \
     WHERE seller = $1 GROUP BY buyer",
    "SELECT seller AS other, COUNT(*) AS n, MAX(timestamp) AS last FROM trade_edges \
     WHERE buyer = $1 GROUP BY seller",
];

fn seller_sql() -> String {
    format!(
        "SELECT o.domain, o.offer_id, o.seller, o.token, o.price, o.timestamp, \
         {STAGE_OF} AS stage, {BUYER_OF} AS buyer FROM trade_offers o WHERE o.seller = $1 \
         ORDER BY o.timestamp DESC, o.domain, o.offer_id DESC LIMIT $2"
    )
}

fn bought_sql() -> String {
    format!(
        "SELECT o.domain, o.offer_id, o.seller, o.token, o.price, o.timestamp, \
         {STAGE_OF} AS stage, p.account AS buyer \
         FROM trade_events p JOIN trade_offers o ON o.domain = p.domain AND o.offer_id = p.offer_id \
         WHERE p.account = $1 AND p.kind = 'Paid' ORDER BY p.timestamp DESC LIMIT $2"
    )
}

fn latest_sql() -> String {
    format!(
        "SELECT o.domain, o.offer_id, o.seller, o.token, o.price, o.timestamp, \
         {STAGE_OF} AS stage, {BUYER_OF} AS buyer \
         FROM trade_offers o ORDER BY o.timestamp DESC LIMIT 25"
    )
}

fn share_sql() -> String {
    let home = |party: &str| {
        format!(
            "COALESCE((SELECT h.home FROM home_sets h WHERE h.account = e.{party} \
             AND h.timestamp <= e.timestamp \
             ORDER BY h.timestamp DESC, h.block_number DESC, h.log_index DESC LIMIT 1), \
             (SELECT t.domain FROM transactions t WHERE t.from_address = e.{party} \
             ORDER BY t.timestamp, t.domain LIMIT 1))"
        )
    };
    format!(
        "SELECT e.timestamp, {} AS buyer_home, {} AS seller_home, \
         (SELECT s.source_domain FROM trade_step_messages s WHERE s.domain = e.domain \
         AND s.offer_id = e.offer_id AND s.kind = 'Paid' LIMIT 1) AS paid_from \
         FROM trade_events e WHERE e.kind = 'Completed' ORDER BY e.timestamp DESC LIMIT $1",
        home("account"),
        home("seller")
    )
}

/// Every statement of these views with the kinds of its parameters, in order (`a` an address,
/// `i` an integer): for the tests that check each is served by an index.
pub fn statements() -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = vec![
        (TOKEN_SQL.into(), "ia"),
        (OFFER_SQL.into(), "ii"),
        (EVENTS_SQL.into(), "ii"),
        (STEP_MESSAGES_SQL.into(), "ii"),
        (DISPUTE_SQL.into(), "ii"),
        (VOTES_SQL.into(), "ii"),
        (TRUST_SQL.into(), "a"),
        (SELLER_DISPUTES_SQL.into(), "ai"),
        (CHAIN_TIME_SQL.into(), ""),
        (seller_sql(), "ai"),
        (bought_sql(), "ai"),
        (latest_sql(), ""),
        (share_sql(), "i"),
    ];
    out.extend(COMPLETED_SQL.iter().chain(GRAPH_SQL.iter()).map(|s| (s.to_string(), "a")));
    out
}

/// A price's token, as shown: symbol and decimals (native SEC when the token is zero).
#[derive(Debug, Clone)]
struct Asset {
    symbol: String,
    decimals: u8,
}

impl Asset {
    fn show(&self, value: U256) -> String {
        format!("{} {}", units(value, self.decimals), self.symbol)
    }
}

async fn asset(db: &Database, domain: i64, token: &[u8]) -> Result<Asset, ExplorerError> {
    if token.iter().all(|b| *b == 0) {
        return Ok(Asset { symbol: "SEC".into(), decimals: 18 });
    }
    let row =
        sqlx::query(TOKEN_SQL).bind(domain).bind(token.to_vec()).fetch_optional(db.pool()).await?;
    Ok(match row {
        Some(r) => Asset {
            symbol: opt_text(&r, "symbol")?.unwrap_or_else(|| address(token)),
            decimals: opt_int(&r, "decimals")?.unwrap_or(0).clamp(0, 77) as u8,
        },
        None => Asset { symbol: format!("of token {}", address(token)), decimals: 0 },
    })
}

/// The stage subquery of an offer row `o`: its latest stage event.
const STAGE_OF: &str = "(SELECT e.kind FROM trade_events e WHERE e.domain = o.domain \
     AND e.offer_id = o.offer_id AND e.stage = 1 \
     ORDER BY e.block_number DESC, e.log_index DESC LIMIT 1)";

/// The buyer subquery of an offer row `o`: who paid it.
const BUYER_OF: &str = "(SELECT e.account FROM trade_events e WHERE e.domain = o.domain \
     AND e.offer_id = o.offer_id AND e.kind = 'Paid' \
     ORDER BY e.block_number, e.log_index LIMIT 1)";

/// An offer in a list.
#[derive(Debug, Clone, Serialize)]
pub struct OfferSummary {
    pub domain: i64,
    pub offer_id: i64,
    pub seller: String,
    pub buyer: Option<String>,
    pub stage: String,
    pub price: String,
    pub opened: String,
    pub age: String,
}

async fn offer_summary(db: &Database, r: &AnyRow, now: u64) -> Result<OfferSummary, ExplorerError> {
    let domain = int(r, "domain")?;
    let asset = asset(db, domain, &bytes(r, "token")?).await?;
    let ts = int(r, "timestamp")? as u64;
    Ok(OfferSummary {
        domain,
        offer_id: int(r, "offer_id")?,
        seller: address(&bytes(r, "seller")?),
        buyer: opt_bytes(r, "buyer")?.filter(|b| !b.is_empty()).map(|b| address(&b)),
        stage: opt_text(r, "stage")?.unwrap_or_else(|| "Open".into()),
        price: asset.show(amount(&bytes(r, "price")?)),
        opened: format::utc(ts),
        age: age(ts, now),
    })
}

/// One step of an offer.
#[derive(Debug, Clone, Serialize)]
pub struct StepView {
    pub kind: String,
    /// It moved the offer to a new stage (not an extension or evidence).
    pub stage: bool,
    pub block_number: i64,
    pub tx_hash: String,
    pub time: String,
    pub timestamp: i64,
    pub account: Option<String>,
    pub amount: Option<String>,
    pub note: Option<String>,
    /// The tracking or evidence hash.
    pub detail: Option<String>,
    /// The cross-domain message that took the step, when one did.
    pub message: Option<StepMessage>,
}

/// The cross-domain message a step arrived as: sent from another domain, delivered by the
/// producer's system transaction (the step's transaction).
#[derive(Debug, Clone, Serialize)]
pub struct StepMessage {
    pub message_hash: String,
    pub source_domain: i64,
    /// Who sent it (the account that took the step), once the source domain is indexed.
    pub sender: Option<String>,
    /// The transaction that sent it, in the source domain, once indexed.
    pub source_tx_hash: Option<String>,
    /// Its page: the sending transaction's, which lists its messages.
    pub url: Option<String>,
}

/// A judge of a dispute's panel and the vote cast.
#[derive(Debug, Clone, Serialize)]
pub struct PanelSeat {
    pub judge: String,
    /// "uphold", "reject", or `None` (not voted).
    pub vote: Option<String>,
    pub time: Option<String>,
    pub tx_hash: Option<String>,
}

/// A dispute.
#[derive(Debug, Clone, Serialize)]
pub struct DisputeView {
    pub domain: i64,
    pub dispute_id: i64,
    pub offer_id: i64,
    pub buyer: String,
    pub seller: String,
    pub opened: String,
    pub deadline: String,
    pub panel: Vec<PanelSeat>,
    pub uphold_votes: i64,
    pub reject_votes: i64,
    /// Upheld, Rejected or Defaulted; `None` while undecided.
    pub outcome: Option<String>,
    pub decided: Option<String>,
}

/// An offer page.
#[derive(Debug, Clone, Serialize)]
pub struct OfferView {
    pub domain: i64,
    pub offer_id: i64,
    pub seller: String,
    pub buyer: Option<String>,
    pub designated_buyer: Option<String>,
    pub stage: String,
    pub token: Option<String>,
    pub price: String,
    pub bond: String,
    pub description_hash: String,
    /// How long after shipping the trade settles by itself, as said: "30 s", "7 days".
    pub auto_confirm: String,
    pub auto_confirm_secs: i64,
    /// The same in days, to two decimals.
    pub auto_confirm_days: String,
    /// How long after payment the seller must ship by, as said.
    pub ship_within: String,
    pub ship_secs: i64,
    /// The same in days, to two decimals.
    pub ship_days: String,
    /// Once paid: the time the seller must ship by.
    pub ship_by: Option<String>,
    /// Once shipped: the time it settles by itself and the buyer's dispute window closes.
    pub settles_at: Option<String>,
    pub opened: String,
    pub tx_hash: String,
    pub steps: Vec<StepView>,
    pub dispute: Option<DisputeView>,
}

fn days(seconds: i64) -> String {
    let d = seconds as f64 / 86_400.0;
    if seconds % 86_400 == 0 { format!("{}", seconds / 86_400) } else { format!("{d:.2}") }
}

/// Offer `offer_id` of `domain`: its terms, every step with its time, and its dispute.
pub async fn offer(
    db: &Database,
    domain: i64,
    offer_id: i64,
) -> Result<Option<OfferView>, ExplorerError> {
    let Some(o) =
        sqlx::query(OFFER_SQL).bind(domain).bind(offer_id).fetch_optional(db.pool()).await?
    else {
        return Ok(None);
    };
    let token = bytes(&o, "token")?;
    let asset = asset(db, domain, &token).await?;
    let events = sqlx::query(EVENTS_SQL).bind(domain).bind(offer_id).fetch_all(db.pool()).await?;
    let mut messages = step_messages(db, domain, offer_id).await?;
    let mut steps = Vec::new();
    let (mut stage, mut buyer, mut dispute_id) = ("Open".to_string(), None, None);
    let (mut paid_at, mut shipped_at, mut extended_to) = (None, None, None);
    for e in &events {
        let kind = e.try_get_text("kind")?;
        let is_stage = int(e, "stage")? == 1;
        let account = opt_bytes(e, "account")?.filter(|b| !b.is_empty()).map(|b| address(&b));
        let flag = int(e, "flag")? == 1;
        let note = match kind.as_str() {
            "Completed" if flag => Some("settled after the auto-confirm period".to_string()),
            "Completed" => Some("confirmed by the buyer".to_string()),
            "Refunded" if flag => Some("refunded by the seller".to_string()),
            "Refunded" => Some("refunded after the ship deadline passed".to_string()),
            "Extended" => opt_int(e, "settles_at")?
                .map(|t| format!("auto-confirm doubled: settles at {}", format::utc(t as u64))),
            "Shipped" => Some("tracking hash".to_string()),
            "Evidence" | "Disputed" => Some("evidence hash".to_string()),
            "Upheld" | "Rejected" | "Defaulted" => Some("paid price and bond".to_string()),
            _ => None,
        };
        let ts = int(e, "timestamp")?;
        match kind.as_str() {
            "Paid" => {
                buyer = account.clone();
                paid_at = Some(ts);
            }
            "Shipped" => shipped_at = Some(ts),
            "Extended" => extended_to = opt_int(e, "settles_at")?,
            _ => {}
        }
        if let Some(d) = opt_int(e, "dispute_id")? {
            dispute_id = Some(d);
        }
        if is_stage {
            stage = kind.clone();
        }
        steps.push(StepView {
            kind,
            stage: is_stage,
            block_number: int(e, "block_number")?,
            tx_hash: hex(&bytes(e, "tx_hash")?),
            time: format::utc(ts as u64),
            timestamp: ts,
            account,
            amount: opt_bytes(e, "amount")?
                .filter(|b| !b.is_empty())
                .map(|b| asset.show(amount(&b))),
            note,
            detail: opt_bytes(e, "detail")?.filter(|b| !b.is_empty()).map(|h| hex(&h)),
            message: messages.remove(&(int(e, "block_number")?, int(e, "log_index")?)),
        });
    }
    // The deadlines as the contract counts them: shipping within the ship period of payment;
    // settling (and the dispute window closing) the auto-confirm period after shipping, or when
    // the buyer's one extension says.
    let auto_confirm = int(&o, "auto_confirm_period")?;
    let ship_period = int(&o, "ship_period")?;
    let ship_by = paid_at.map(|t| format::utc((t + ship_period) as u64));
    let settles_at =
        shipped_at.map(|t| extended_to.unwrap_or(t + auto_confirm)).map(|t| format::utc(t as u64));
    let dispute = match dispute_id {
        Some(id) => dispute(db, domain, id).await?,
        None => None,
    };
    Ok(Some(OfferView {
        domain,
        offer_id,
        seller: address(&bytes(&o, "seller")?),
        buyer,
        designated_buyer: opt_bytes(&o, "designated_buyer")?
            .filter(|b| !b.is_empty())
            .map(|b| address(&b)),
        stage,
        token: (!token.iter().all(|b| *b == 0)).then(|| address(&token)),
        price: asset.show(amount(&bytes(&o, "price")?)),
        bond: asset.show(amount(&bytes(&o, "bond")?)),
        description_hash: hex(&bytes(&o, "description_hash")?),
        auto_confirm: duration(auto_confirm.max(0) as u64),
        auto_confirm_secs: auto_confirm,
        auto_confirm_days: days(auto_confirm),
        ship_within: duration(ship_period.max(0) as u64),
        ship_secs: ship_period,
        ship_days: days(ship_period),
        ship_by,
        settles_at,
        opened: format::utc(int(&o, "timestamp")? as u64),
        tx_hash: hex(&bytes(&o, "tx_hash")?),
        steps,
        dispute,
    }))
}

/// The steps of offer `offer_id` of `domain` that cross-domain messages took, by the step's
/// (block, log index).
async fn step_messages(
    db: &Database,
    domain: i64,
    offer_id: i64,
) -> Result<BTreeMap<(i64, i64), StepMessage>, ExplorerError> {
    let rows =
        sqlx::query(STEP_MESSAGES_SQL).bind(domain).bind(offer_id).fetch_all(db.pool()).await?;
    let mut out = BTreeMap::new();
    for r in &rows {
        let message_hash = hex(&bytes(r, "message_hash")?);
        let source_tx_hash = opt_bytes(r, "tx_hash")?.filter(|b| !b.is_empty()).map(|h| hex(&h));
        let url = source_tx_hash.as_ref().map(|tx| format!("/tx/{tx}#message-{message_hash}"));
        let message = StepMessage {
            source_domain: int(r, "source_domain")?,
            sender: opt_bytes(r, "sender")?.filter(|b| !b.is_empty()).map(|b| address(&b)),
            source_tx_hash,
            url,
            message_hash,
        };
        out.insert((int(r, "block_number")?, int(r, "log_index")?), message);
    }
    Ok(out)
}

/// Reads a TEXT column that is never NULL.
trait TextColumn {
    fn try_get_text(&self, col: &str) -> Result<String, ExplorerError>;
}

impl TextColumn for AnyRow {
    fn try_get_text(&self, col: &str) -> Result<String, ExplorerError> {
        Ok(opt_text(self, col)?.unwrap_or_default())
    }
}

const OUTCOMES: [&str; 4] = ["None", "Upheld", "Rejected", "Defaulted"];

/// Dispute `dispute_id` of `domain` with its panel, votes and decision.
pub async fn dispute(
    db: &Database,
    domain: i64,
    dispute_id: i64,
) -> Result<Option<DisputeView>, ExplorerError> {
    let Some(d) =
        sqlx::query(DISPUTE_SQL).bind(domain).bind(dispute_id).fetch_optional(db.pool()).await?
    else {
        return Ok(None);
    };
    let mut panel: Vec<PanelSeat> = bytes(&d, "panel")?
        .chunks(20)
        .map(|j| PanelSeat { judge: address(j), vote: None, time: None, tx_hash: None })
        .collect();
    let votes = sqlx::query(VOTES_SQL).bind(domain).bind(dispute_id).fetch_all(db.pool()).await?;
    let (mut ups, mut downs, mut outcome, mut decided) = (0, 0, None, None);
    for v in &votes {
        let time = format::utc(int(v, "timestamp")? as u64);
        let uphold = int(v, "uphold")?;
        match opt_bytes(v, "judge")?.filter(|b| !b.is_empty()) {
            Some(judge) => {
                let judge = address(&judge);
                if uphold == 1 {
                    ups += 1
                } else {
                    downs += 1
                }
                if let Some(seat) = panel.iter_mut().find(|s| s.judge == judge) {
                    seat.vote = Some(if uphold == 1 { "uphold" } else { "reject" }.into());
                    seat.time = Some(time);
                    seat.tx_hash = Some(hex(&bytes(v, "tx_hash")?));
                }
            }
            None => {
                outcome = OUTCOMES.get(uphold as usize).map(|s| s.to_string());
                decided = Some(time);
            }
        }
    }
    Ok(Some(DisputeView {
        domain,
        dispute_id,
        offer_id: int(&d, "offer_id")?,
        buyer: address(&bytes(&d, "buyer")?),
        seller: address(&bytes(&d, "seller")?),
        opened: format::utc(int(&d, "timestamp")? as u64),
        deadline: format::utc(int(&d, "deadline")? as u64),
        panel,
        uphold_votes: ups,
        reject_votes: downs,
        outcome,
        decided,
    }))
}

/// A change of an account's trust index.
#[derive(Debug, Clone, Serialize)]
pub struct TrustChange {
    pub domain: i64,
    pub old_index: i64,
    pub new_index: i64,
    pub reason: String,
    pub time: String,
    pub timestamp: i64,
    pub tx_hash: String,
}

/// An account's trust index in one domain (each domain has its own `TrustIndex`).
#[derive(Debug, Clone, Serialize)]
pub struct TrustLine {
    pub domain: i64,
    pub index: i64,
    pub banned: bool,
    pub changes: usize,
    /// SVG path of the index over time (step line; chart box 600 x 200, index 0 to `top`).
    pub path: String,
    pub color: &'static str,
}

/// An account's trust page.
#[derive(Debug, Clone, Serialize)]
pub struct TrustView {
    pub address: String,
    pub domains: Vec<TrustLine>,
    /// Newest first.
    pub history: Vec<TrustChange>,
    pub first: Option<String>,
    pub last: Option<String>,
    /// The index at the top of the chart (the bottom is 0).
    pub top: i64,
    /// Completed trades as buyer or seller (relationship renewals).
    pub completed_trades: i64,
}

const COLORS: [&str; 6] = ["#4361ee", "#f77f00", "#2a9d8f", "#e63946", "#8338ec", "#6c757d"];

fn reason(r: i64) -> &'static str {
    match r {
        1 => "completed trade",
        2 => "fake goods upheld",
        3 => "malicious complaint",
        4 => "banned",
        _ => "unknown",
    }
}

/// Chart box of the trust chart.
pub const TRUST_W: f64 = 600.0;
/// Chart box of the trust chart.
pub const TRUST_H: f64 = 200.0;

/// Account `a`'s trust index in every domain and its history, with the chart.
pub async fn trust(db: &Database, a: &[u8]) -> Result<TrustView, ExplorerError> {
    let rows = sqlx::query(TRUST_SQL).bind(a.to_vec()).fetch_all(db.pool()).await?;
    let mut history = Vec::with_capacity(rows.len());
    for r in &rows {
        let ts = int(r, "timestamp")?;
        history.push(TrustChange {
            domain: int(r, "domain")?,
            old_index: int(r, "old_index")?,
            new_index: int(r, "new_index")?,
            reason: reason(int(r, "reason")?).into(),
            time: format::utc(ts as u64),
            timestamp: ts,
            tx_hash: hex(&bytes(r, "tx_hash")?),
        });
    }
    let first = history.first().map(|c| c.timestamp);
    // The chart runs to now or the last change, whichever is later (a chain whose clock is in
    // the past still draws its history), and a twentieth further, so that a last change shows.
    let last = history.last().map(|c| {
        let end = c.timestamp.max(now() as i64);
        end + (end - first.unwrap_or(end)) / 20 + 1
    });
    // The scale's top: the highest index reached, rounded up to ten (at least 10), so that a
    // young account's steps are seen.
    let top = history.iter().map(|c| c.new_index.max(c.old_index)).max().unwrap_or(0);
    let top = ((top + 9) / 10 * 10).clamp(10, 100);
    let mut by_domain: BTreeMap<i64, Vec<&TrustChange>> = BTreeMap::new();
    for c in &history {
        by_domain.entry(c.domain).or_default().push(c);
    }
    let domains = by_domain
        .iter()
        .enumerate()
        .map(|(i, (domain, changes))| {
            let (first, last) = (first.unwrap_or(0), last.unwrap_or(0));
            let span = (last - first).max(1) as f64;
            let x = |t: i64| (t - first) as f64 / span * TRUST_W;
            let y = |v: i64| TRUST_H - v.clamp(0, top) as f64 / top as f64 * TRUST_H;
            let mut path = format!("M 0 {:.1}", y(0));
            for c in changes {
                path.push_str(&format!(" H {:.1} V {:.1}", x(c.timestamp), y(c.new_index)));
            }
            path.push_str(&format!(" H {TRUST_W:.0}"));
            let current = changes.last().map_or(0, |c| c.new_index);
            TrustLine {
                domain: *domain,
                index: current,
                banned: changes.iter().any(|c| c.reason == "banned"),
                changes: changes.len(),
                path,
                color: COLORS[i % COLORS.len()],
            }
        })
        .collect();
    let completed = completed_trades(db, a).await?;
    history.reverse();
    Ok(TrustView {
        address: address(a),
        domains,
        history,
        first: first.map(|t| format::utc(t as u64)),
        last: last.map(|t| format::utc(t as u64)),
        top,
        completed_trades: completed,
    })
}

async fn completed_trades(db: &Database, a: &[u8]) -> Result<i64, ExplorerError> {
    let mut n = 0;
    for sql in COMPLETED_SQL {
        let r = sqlx::query(sql).bind(a.to_vec()).fetch_one(db.pool()).await?;
        n += int(&r, "n")?;
    }
    Ok(n)
}

/// A dispute in a list.
#[derive(Debug, Clone, Serialize)]
pub struct DisputeSummary {
    pub domain: i64,
    pub dispute_id: i64,
    pub offer_id: i64,
    pub buyer: String,
    pub seller: String,
    pub opened: String,
    pub outcome: Option<String>,
}

/// A seller's page.
#[derive(Debug, Clone, Serialize)]
pub struct SellerView {
    pub address: String,
    /// Offers still under way: Open, Paid or Shipped.
    pub open: Vec<OfferSummary>,
    pub completed: Vec<OfferSummary>,
    /// Every other offer: cancelled, refunded, disputed, decided.
    pub other: Vec<OfferSummary>,
    /// Disputes over the account's offers, newest first.
    pub disputes: Vec<DisputeSummary>,
    /// Offers bought by the account, newest first.
    pub bought: Vec<OfferSummary>,
    /// The lists hold at most this many offers each (the newest).
    pub limit: i64,
}

/// Account `a` as a seller (its newest offers by stage, and the disputes over them) and as a
/// buyer.
pub async fn seller(db: &Database, a: &[u8]) -> Result<SellerView, ExplorerError> {
    let now = now();
    let rows = sqlx::query(&seller_sql())
        .bind(a.to_vec())
        .bind(SELLER_OFFERS)
        .fetch_all(db.pool())
        .await?;
    let (mut open, mut completed, mut other) = (Vec::new(), Vec::new(), Vec::new());
    for r in &rows {
        let o = offer_summary(db, r, now).await?;
        if OPEN_STAGES.contains(&o.stage.as_str()) {
            open.push(o);
        } else if o.stage == "Completed" {
            completed.push(o);
        } else {
            other.push(o);
        }
    }
    let disputes = sqlx::query(SELLER_DISPUTES_SQL)
        .bind(a.to_vec())
        .bind(SELLER_OFFERS)
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(DisputeSummary {
                domain: int(r, "domain")?,
                dispute_id: int(r, "dispute_id")?,
                offer_id: int(r, "offer_id")?,
                buyer: address(&bytes(r, "buyer")?),
                seller: address(&bytes(r, "seller")?),
                opened: format::utc(int(r, "timestamp")? as u64),
                outcome: opt_int(r, "outcome")?
                    .and_then(|o| OUTCOMES.get(o as usize))
                    .map(|s| s.to_string()),
            })
        })
        .collect::<Result<_, ExplorerError>>()?;
    let rows = sqlx::query(&bought_sql())
        .bind(a.to_vec())
        .bind(SELLER_OFFERS)
        .fetch_all(db.pool())
        .await?;
    let mut bought = Vec::with_capacity(rows.len());
    for r in &rows {
        bought.push(offer_summary(db, r, now).await?);
    }
    Ok(SellerView {
        address: address(a),
        open,
        completed,
        other,
        disputes,
        bought,
        limit: SELLER_OFFERS,
    })
}

/// A counterparty in an account's relationship graph.
#[derive(Debug, Clone, Serialize)]
pub struct GraphNode {
    pub address: String,
    /// Completed trades with the account as its buyer (the account sold).
    pub sold_to: i64,
    /// Completed trades with the account as its seller (the account bought).
    pub bought_from: i64,
    pub trades: i64,
    pub last_trade: String,
    /// A trade within the convergence period (30 days) before the newest indexed block.
    pub live: bool,
    pub x: f64,
    pub y: f64,
    /// Stroke width of the edge: grows with the trades.
    pub width: f64,
}

/// An account's relationship graph.
#[derive(Debug, Clone, Serialize)]
pub struct GraphView {
    pub address: String,
    pub nodes: Vec<GraphNode>,
    /// Counterparties in all (the picture shows the [`GRAPH_NODES`] with the most trades).
    pub counterparties: usize,
    pub trades: i64,
    /// Centre of the picture (box 600 x 600).
    pub cx: f64,
    pub cy: f64,
}

/// The time of the newest indexed block: "now" for the chain (its clock need not be the wall's).
async fn chain_time(db: &Database) -> Result<i64, ExplorerError> {
    let rows = sqlx::query(CHAIN_TIME_SQL).fetch_all(db.pool()).await?;
    let mut t = 0;
    for r in &rows {
        t = t.max(opt_int(r, "timestamp")?.unwrap_or(0));
    }
    Ok(t)
}

/// Account `a`'s relationships: every counterparty of a completed trade, with the count each
/// way, laid out on a circle around the account.
pub async fn graph(db: &Database, a: &[u8]) -> Result<GraphView, ExplorerError> {
    let mut others: BTreeMap<Vec<u8>, (i64, i64, i64)> = BTreeMap::new();
    for (sql, sold) in [(GRAPH_SQL[0], true), (GRAPH_SQL[1], false)] {
        for r in sqlx::query(sql).bind(a.to_vec()).fetch_all(db.pool()).await? {
            let e = others.entry(bytes(&r, "other")?).or_default();
            let n = int(&r, "n")?;
            if sold {
                e.0 += n
            } else {
                e.1 += n
            }
            e.2 = e.2.max(opt_int(&r, "last")?.unwrap_or(0));
        }
    }
    let counterparties = others.len();
    let mut list: Vec<_> = others.into_iter().collect();
    list.sort_by(|x, y| (y.1.0 + y.1.1).cmp(&(x.1.0 + x.1.1)).then(x.0.cmp(&y.0)));
    list.truncate(GRAPH_NODES);
    let now = chain_time(db).await?;
    let max = list.iter().map(|(_, (s, b, _))| s + b).max().unwrap_or(1).max(1) as f64;
    let (cx, cy, radius) = (300.0, 300.0, 220.0);
    let n = list.len().max(1) as f64;
    let nodes = list
        .iter()
        .enumerate()
        .map(|(i, (other, (sold, bought, last)))| {
            let angle = std::f64::consts::TAU * i as f64 / n - std::f64::consts::FRAC_PI_2;
            let trades = sold + bought;
            GraphNode {
                address: address(other),
                sold_to: *sold,
                bought_from: *bought,
                trades,
                last_trade: format::utc(*last as u64),
                live: now < last + CONVERGENCE_PERIOD,
                x: (cx + radius * angle.cos()).round(),
                y: (cy + radius * angle.sin()).round(),
                width: (1.0 + 9.0 * trades as f64 / max).round(),
            }
        })
        .collect::<Vec<_>>();
    let trades = nodes.iter().map(|n| n.trades).sum();
    Ok(GraphView { address: address(a), nodes, counterparties, trades, cx, cy })
}

/// One period of the cross-domain chart.
#[derive(Debug, Clone, Serialize)]
pub struct ShareBucket {
    pub start: String,
    pub end: String,
    pub trades: i64,
    pub cross_domain: i64,
    /// Percent of the period's trades that crossed domains (`None`: no trades).
    pub share: Option<f64>,
    /// Bar of the trades (chart box 600 x 200).
    pub x: f64,
    pub width: f64,
    pub bar_height: f64,
}

/// The trade overview: latest offers, and the cross-domain share of completed trades.
#[derive(Debug, Clone, Serialize)]
pub struct TradeHome {
    pub latest: Vec<OfferSummary>,
    pub buckets: Vec<ShareBucket>,
    /// SVG path of the share (0-100 %) over the buckets, chart box 600 x 200.
    pub share_path: String,
    pub trades: i64,
    pub cross_domain: i64,
    /// Percent over every trade read.
    pub share: Option<f64>,
    pub max_trades: i64,
    /// How many completed trades the chart reads at most (the newest).
    pub sample: i64,
    /// What counts as cross-domain, and where homes come from.
    pub definition: &'static str,
}

/// What the chart counts ([`share_sql`] is its query).
pub const SHARE_DEFINITION: &str = "A completed trade (confirmed by the buyer or settled) is \
     cross-domain when its payment arrived by a cross-domain message, or when its buyer's and its \
     seller's home domains differ. An account's home is the one the hub's directory \
     (HomeDirectory, on domain 0) gave it when the trade completed; an account that had not set \
     one by then counts in the domain of its first indexed transaction.";

/// The trade overview.
pub async fn trade_home(db: &Database) -> Result<TradeHome, ExplorerError> {
    let now = now();
    let rows = sqlx::query(&latest_sql()).fetch_all(db.pool()).await?;
    let mut latest = Vec::with_capacity(rows.len());
    for r in &rows {
        latest.push(offer_summary(db, r, now).await?);
    }
    let trades: Vec<(i64, bool)> = sqlx::query(&share_sql())
        .bind(SHARE_TRADES)
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| {
            let (b, s) = (opt_int(r, "buyer_home")?, opt_int(r, "seller_home")?);
            let by_message = opt_int(r, "paid_from")?.is_some();
            Ok((int(r, "timestamp")?, by_message || (b.is_some() && s.is_some() && b != s)))
        })
        .collect::<Result<_, ExplorerError>>()?;
    Ok(share_chart(latest, &trades))
}

/// Buckets `trades` (time, crossed domains) into [`SHARE_BUCKETS`] equal periods from the first
/// to the last.
pub fn share_chart(latest: Vec<OfferSummary>, trades: &[(i64, bool)]) -> TradeHome {
    let first = trades.iter().map(|t| t.0).min().unwrap_or(0);
    let last = trades.iter().map(|t| t.0).max().unwrap_or(0);
    let n = if trades.is_empty() { 0 } else { SHARE_BUCKETS };
    let width = ((last - first) / SHARE_BUCKETS.max(1) + 1).max(1);
    let mut counts = vec![(0i64, 0i64); n as usize];
    for (t, cross) in trades {
        let i = (((t - first) / width) as usize).min(counts.len() - 1);
        counts[i].0 += 1;
        counts[i].1 += i64::from(*cross);
    }
    let max_trades = counts.iter().map(|c| c.0).max().unwrap_or(0).max(1);
    let bar = 600.0 / n.max(1) as f64;
    let mut share_path = String::new();
    let buckets: Vec<ShareBucket> = counts
        .iter()
        .enumerate()
        .map(|(i, (total, cross))| {
            let start = first + i as i64 * width;
            let share =
                (*total > 0).then(|| (*cross as f64 * 1000.0 / *total as f64).round() / 10.0);
            if let Some(s) = share {
                let x = i as f64 * bar + bar / 2.0;
                let y = 200.0 - s * 2.0;
                let cmd = if share_path.is_empty() { "M" } else { "L" };
                share_path.push_str(&format!("{cmd} {x:.1} {y:.1} "));
            }
            ShareBucket {
                start: format::utc(start as u64),
                end: format::utc((start + width) as u64),
                trades: *total,
                cross_domain: *cross,
                share,
                x: (i as f64 * bar).round(),
                width: (bar - 2.0).max(1.0).round(),
                bar_height: (*total as f64 / max_trades as f64 * 200.0).round(),
            }
        })
        .collect();
    let total = trades.len() as i64;
    let cross = trades.iter().filter(|t| t.1).count() as i64;
    TradeHome {
        latest,
        buckets,
        share_path: share_path.trim_end().to_string(),
        trades: total,
        cross_domain: cross,
        share: (total > 0).then(|| (cross as f64 * 1000.0 / total as f64).round() / 10.0),
        max_trades,
        sample: SHARE_TRADES,
        definition: SHARE_DEFINITION,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_share_chart_buckets_trades_by_time() {
        // Four trades early, one of them cross-domain; two late, both cross-domain.
        let trades = [(0, false), (10, true), (20, false), (30, false), (2400, true), (2399, true)];
        let chart = share_chart(vec![], &trades);
        assert_eq!(chart.buckets.len(), SHARE_BUCKETS as usize);
        assert_eq!((chart.buckets[0].trades, chart.buckets[0].cross_domain), (4, 1));
        assert_eq!(chart.buckets[0].share, Some(25.0));
        let last = chart.buckets.last().unwrap();
        assert_eq!((last.trades, last.share), (2, Some(100.0)));
        assert!(chart.buckets[5].share.is_none());
        assert_eq!(chart.share, Some(50.0));
        // The line goes through the two periods with trades only: 25 % then 100 %.
        assert_eq!(chart.share_path, "M 12.5 150.0 L 587.5 0.0");
        assert_eq!(chart.buckets[0].bar_height, 200.0);
        assert_eq!(last.bar_height, 100.0);
    }

    #[test]
    fn no_trades_no_buckets() {
        let chart = share_chart(vec![], &[]);
        assert!(chart.buckets.is_empty() && chart.share.is_none() && chart.share_path.is_empty());
    }
}
