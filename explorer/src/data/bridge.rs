//! The bridge page and checkpoints: deposits, withdrawals, cross-domain messages.

use sec_indexer::Database;
use serde::Serialize;
use sqlx::{Row, any::AnyRow};

use crate::{
    ExplorerError,
    format::{address, age, amount, hex, now, sec, units},
    lists::encode,
};

use super::{
    pager::{CursorPage, PAGE},
    rows::{bytes, int},
};

/// The domain id of Ethereum in cross-domain messages (`Messages.L1_DOMAIN`).
const L1_DOMAIN: i64 = u32::MAX as i64;

fn domain_name(d: i64) -> String {
    if d == L1_DOMAIN { "Ethereum".into() } else { format!("domain {d}") }
}

/// A cross-domain message.
#[derive(Debug, Clone, Serialize)]
pub struct MessageView {
    pub message_hash: String,
    pub source: String,
    pub target: String,
    pub nonce: i64,
    pub sender: String,
    pub to: String,
    pub value: String,
    pub block_number: i64,
    pub tx_hash: String,
    pub status: String,
}

/// Message columns over `messages m`, with the stage the destination reached when it has
/// (`delivered`, or `failed`: delivered, its call reverted; for Ethereum, `finalized`: the
/// withdrawal it carries was paid out there).
pub(super) const MESSAGE_COLUMNS: &str = "m.message_hash, m.source_domain, m.target_domain, m.nonce, \
    m.sender, m.target, m.value, m.block_number, m.tx_hash, \
    CASE WHEN f.withdrawal_hash IS NOT NULL THEN 'finalized' \
    WHEN x.message_hash IS NULL THEN m.status WHEN x.success = 1 THEN 'delivered' \
    ELSE 'failed' END AS status";
/// `messages m` with their deliveries, on a domain or (a withdrawal's) on Ethereum.
pub(super) const MESSAGE_FROM: &str = "messages m LEFT JOIN message_deliveries x ON x.message_hash = m.message_hash \
    LEFT JOIN withdrawal_finalizations f ON f.withdrawal_hash = m.message_hash";

pub(super) fn message_view(r: &AnyRow) -> Result<MessageView, ExplorerError> {
    Ok(MessageView {
        message_hash: hex(&bytes(r, "message_hash")?),
        source: domain_name(int(r, "source_domain")?),
        target: domain_name(int(r, "target_domain")?),
        nonce: int(r, "nonce")?,
        sender: address(&bytes(r, "sender")?),
        to: address(&bytes(r, "target")?),
        value: sec(amount(&bytes(r, "value")?)),
        block_number: int(r, "block_number")?,
        tx_hash: hex(&bytes(r, "tx_hash")?),
        status: r.try_get::<String, _>("status")?,
    })
}

/// A withdrawal to Ethereum.
#[derive(Debug, Clone, Serialize)]
pub struct WithdrawalView {
    pub withdrawal_hash: String,
    pub domain: i64,
    pub nonce: i64,
    pub sender: String,
    pub l1_recipient: String,
    pub l1_token: String,
    pub amount: String,
    pub block_number: i64,
    pub tx_hash: String,
    pub age: String,
    pub stage: String,
}

/// Withdrawal columns, with the stage Ethereum has reached when it has (finalized).
pub(super) const WITHDRAWAL_COLUMNS: &str = "w.withdrawal_hash, w.domain, w.nonce, w.sender, w.l1_recipient, \
    w.l1_token, w.amount, w.block_number, w.tx_hash, w.timestamp, \
    CASE WHEN f.withdrawal_hash IS NULL THEN w.stage ELSE 'finalized' END AS stage";
pub(super) const WITHDRAWAL_FROM: &str = "withdrawals w LEFT JOIN withdrawal_finalizations f \
    ON f.withdrawal_hash = w.withdrawal_hash";

pub(super) fn withdrawal_view(r: &AnyRow, now: u64) -> Result<WithdrawalView, ExplorerError> {
    Ok(WithdrawalView {
        withdrawal_hash: hex(&bytes(r, "withdrawal_hash")?),
        domain: int(r, "domain")?,
        nonce: int(r, "nonce")?,
        sender: address(&bytes(r, "sender")?),
        l1_recipient: address(&bytes(r, "l1_recipient")?),
        l1_token: address(&bytes(r, "l1_token")?),
        // The amount is in the L1 token's units; SEC and bridged tokens use 18 decimals.
        amount: units(amount(&bytes(r, "amount")?), 18),
        block_number: int(r, "block_number")?,
        tx_hash: hex(&bytes(r, "tx_hash")?),
        age: age(int(r, "timestamp")? as u64, now),
        stage: r.try_get::<String, _>("stage")?,
    })
}

/// A deposit from Ethereum.
#[derive(Debug, Clone, Serialize)]
pub struct DepositView {
    pub nonce: i64,
    pub domain: i64,
    pub asset: String,
    pub l1_token: String,
    pub from: String,
    pub to: String,
    pub amount: String,
    pub l1_block: i64,
    pub l1_tx_hash: String,
    pub stage: String,
}

fn deposit_view(r: &AnyRow) -> Result<DepositView, ExplorerError> {
    let kind = int(r, "kind")?;
    Ok(DepositView {
        nonce: int(r, "nonce")?,
        domain: int(r, "domain")?,
        asset: match kind {
            0 => "ETH".into(),
            1 => "SEC".into(),
            _ => "ERC-20".into(),
        },
        l1_token: address(&bytes(r, "l1_token")?),
        from: address(&bytes(r, "from_address")?),
        to: address(&bytes(r, "to_address")?),
        // ETH and SEC have 18 decimals; other tokens are shown in their smallest unit.
        amount: if kind <= 1 {
            units(amount(&bytes(r, "amount")?), 18)
        } else {
            amount(&bytes(r, "amount")?).to_string()
        },
        l1_block: int(r, "l1_block")?,
        l1_tx_hash: hex(&bytes(r, "l1_tx_hash")?),
        stage: r.try_get::<String, _>("stage")?,
    })
}

/// A checkpoint anchored on Ethereum.
#[derive(Debug, Clone, Serialize)]
pub struct CheckpointView {
    pub id: i64,
    pub withdrawal_root: String,
    pub validator_set_hash: String,
    pub body_hash: String,
    pub signed_stake: String,
    pub l1_block: i64,
    pub l1_tx_hash: String,
}

/// Checkpoints below `$1`, newest first, `$2` of them.
const CHECKPOINTS_SQL: &str = "SELECT id, withdrawal_root, validator_set_hash, body_hash, \
    signed_stake, l1_block, l1_tx_hash FROM checkpoints WHERE id < $1 ORDER BY id DESC LIMIT $2";

/// Deposits below nonce `$1`, newest first, `$2` of them.
const DEPOSITS_SQL: &str = "SELECT d.nonce, d.domain, d.l1_token, d.kind, d.from_address, \
    d.to_address, d.amount, d.l1_block, d.l1_tx_hash, \
    CASE WHEN c.nonce IS NULL THEN d.stage ELSE 'credited' END AS stage \
    FROM deposits d LEFT JOIN deposit_credits c ON c.nonce = d.nonce \
    WHERE d.nonce < $1 ORDER BY d.nonce DESC LIMIT $2";

/// Withdrawals below (`$1` to `$3`) a withdrawal's (time, domain, nonce), newest first, `$4` of
/// them. The time bounds the index range on its own (see the address page's lists).
fn withdrawals_sql() -> String {
    format!(
        "SELECT {WITHDRAWAL_COLUMNS} FROM {WITHDRAWAL_FROM} \
         WHERE w.timestamp <= $1 AND (w.timestamp, w.domain, w.nonce) < ($1, $2, $3) \
         ORDER BY w.timestamp DESC, w.domain DESC, w.nonce DESC LIMIT $4"
    )
}

/// The latest `$1` cross-domain messages.
fn latest_messages_sql() -> String {
    format!(
        "SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} \
         ORDER BY m.block_number DESC, m.message_hash DESC LIMIT $1"
    )
}

/// The module's statements with their parameters' kinds, for the tests that check each is
/// served by an index.
pub(super) fn bridge_statements() -> Vec<(String, &'static str)> {
    vec![
        (CHECKPOINTS_SQL.into(), "ii"),
        (DEPOSITS_SQL.into(), "ii"),
        (withdrawals_sql(), "iiii"),
        (latest_messages_sql(), "i"),
    ]
}

/// Checkpoints, newest first: a page below checkpoint `before`, or the newest.
pub async fn checkpoints(
    db: &Database,
    before: Option<i64>,
) -> Result<(Vec<CheckpointView>, CursorPage), ExplorerError> {
    let rows = sqlx::query(CHECKPOINTS_SQL)
        .bind(before.unwrap_or(i64::MAX))
        .bind(PAGE + 1)
        .fetch_all(db.pool())
        .await?;
    let paging = CursorPage::new(before.is_none(), &rows, |r| Ok(int(r, "id")?.to_string()))?;
    let list = rows
        .iter()
        .take(PAGE as usize)
        .map(|r| {
            Ok(CheckpointView {
                id: int(r, "id")?,
                withdrawal_root: hex(&bytes(r, "withdrawal_root")?),
                validator_set_hash: hex(&bytes(r, "validator_set_hash")?),
                body_hash: hex(&bytes(r, "body_hash")?),
                signed_stake: units(amount(&bytes(r, "signed_stake")?), 18),
                l1_block: int(r, "l1_block")?,
                l1_tx_hash: hex(&bytes(r, "l1_tx_hash")?),
            })
        })
        .collect::<Result<_, ExplorerError>>()?;
    Ok((list, paging))
}

/// The bridge page: deposits and withdrawals newest first, each paged by cursor, and the latest
/// cross-domain messages.
#[derive(Debug, Clone, Serialize)]
pub struct BridgeView {
    pub deposits: Vec<DepositView>,
    pub withdrawals: Vec<WithdrawalView>,
    pub messages: Vec<MessageView>,
    /// Where the deposits are: `next` is a deposit nonce, passed back as `deposits_before`.
    pub deposits_page: CursorPage,
    /// Where the withdrawals are: `next` is a withdrawal's (time, domain, nonce), passed back as
    /// `withdrawals_before`.
    pub withdrawals_page: CursorPage,
}

/// Where the bridge page's lists start: below these cursors, or at the newest without them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BridgeCursors {
    /// A deposit's nonce.
    pub deposits_before: Option<i64>,
    /// A withdrawal's (timestamp, domain, nonce).
    pub withdrawals_before: Option<[i64; 3]>,
}

/// A page of deposits and of withdrawals, and the latest messages.
pub async fn bridge(db: &Database, cursors: BridgeCursors) -> Result<BridgeView, ExplorerError> {
    let now = now();
    let sql = withdrawals_sql();
    let [time, domain, nonce] = cursors.withdrawals_before.unwrap_or([i64::MAX; 3]);
    let rows = sqlx::query(&sql)
        .bind(time)
        .bind(domain)
        .bind(nonce)
        .bind(PAGE + 1)
        .fetch_all(db.pool())
        .await?;
    let withdrawals_page = CursorPage::new(cursors.withdrawals_before.is_none(), &rows, |r| {
        Ok(encode(&[int(r, "timestamp")?, int(r, "domain")?, int(r, "nonce")?]))
    })?;
    let withdrawals = rows
        .iter()
        .take(PAGE as usize)
        .map(|r| withdrawal_view(r, now))
        .collect::<Result<_, _>>()?;
    let sql = latest_messages_sql();
    let messages = sqlx::query(&sql)
        .bind(PAGE)
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(message_view)
        .collect::<Result<_, _>>()?;
    let rows = sqlx::query(DEPOSITS_SQL)
        .bind(cursors.deposits_before.unwrap_or(i64::MAX))
        .bind(PAGE + 1)
        .fetch_all(db.pool())
        .await?;
    let deposits_page = CursorPage::new(cursors.deposits_before.is_none(), &rows, |r| {
        Ok(int(r, "nonce")?.to_string())
    })?;
    let deposits = rows.iter().take(PAGE as usize).map(deposit_view).collect::<Result<_, _>>()?;
    Ok(BridgeView { deposits, withdrawals, messages, deposits_page, withdrawals_page })
}
