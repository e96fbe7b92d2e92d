//! The bridge page and checkpoints: deposits, withdrawals, cross-domain messages.

use sec_indexer::Database;
use serde::Serialize;
use sqlx::{Row, any::AnyRow};

use crate::{
    ExplorerError,
    format::{address, age, amount, hex, now, sec, units},
};

use super::{
    pager::{PAGE, Paging, offset},
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

/// Checkpoints, newest first.
pub async fn checkpoints(
    db: &Database,
    page: i64,
) -> Result<(Vec<CheckpointView>, Paging), ExplorerError> {
    let rows = sqlx::query(
        "SELECT id, withdrawal_root, validator_set_hash, body_hash, signed_stake, l1_block, l1_tx_hash \
         FROM checkpoints ORDER BY id DESC LIMIT $1 OFFSET $2",
    )
    .bind(PAGE + 1)
    .bind(offset(page))
    .fetch_all(db.pool())
    .await?;
    let paging = Paging::new(page, rows.len());
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

/// The bridge page: deposits and withdrawals newest first, and cross-domain messages.
#[derive(Debug, Clone, Serialize)]
pub struct BridgeView {
    pub deposits: Vec<DepositView>,
    pub withdrawals: Vec<WithdrawalView>,
    pub messages: Vec<MessageView>,
    pub page: Paging,
}

/// A page of withdrawals and the latest messages.
pub async fn bridge(db: &Database, page: i64) -> Result<BridgeView, ExplorerError> {
    let now = now();
    let sql = format!(
        "SELECT {WITHDRAWAL_COLUMNS} FROM {WITHDRAWAL_FROM} \
         ORDER BY w.timestamp DESC, w.withdrawal_hash LIMIT $1 OFFSET $2"
    );
    let rows = sqlx::query(&sql).bind(PAGE + 1).bind(offset(page)).fetch_all(db.pool()).await?;
    let paging = Paging::new(page, rows.len());
    let withdrawals = rows
        .iter()
        .take(PAGE as usize)
        .map(|r| withdrawal_view(r, now))
        .collect::<Result<_, _>>()?;
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} \
         ORDER BY m.block_number DESC, m.message_hash LIMIT $1"
    );
    let messages = sqlx::query(&sql)
        .bind(PAGE)
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(message_view)
        .collect::<Result<_, _>>()?;
    let deposits = sqlx::query(
        "SELECT d.nonce, d.domain, d.l1_token, d.kind, d.from_address, d.to_address, d.amount, \
         d.l1_block, d.l1_tx_hash, \
         CASE WHEN c.nonce IS NULL THEN d.stage ELSE 'credited' END AS stage \
         FROM deposits d LEFT JOIN deposit_credits c ON c.nonce = d.nonce \
         ORDER BY d.nonce DESC LIMIT $1 OFFSET $2",
    )
    .bind(PAGE)
    .bind(offset(page))
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(deposit_view)
    .collect::<Result<_, _>>()?;
    Ok(BridgeView { deposits, withdrawals, messages, page: paging })
}
