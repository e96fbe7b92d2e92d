//! Following Ethereum: the bridge's deposits and finalized withdrawals and the checkpoints, read
//! with `eth_getLogs` in ranges. Each range is written with the cursor (block and hash) in one
//! database transaction; an Ethereum reorg under the cursor rewinds it and deletes what came
//! from the blocks dropped.

use std::time::Duration;

use alloy::{rpc::types::Log, sol_types::SolEvent};
use alloy_primitives::{Address, B256};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use tracing::{info, warn};

use sec_contracts::bindings::{CheckpointManager, L1Bridge};

use crate::{
    IndexerError,
    db::{Backend, Database, Insert, Value},
    schema::{address, hash, int, text, u256},
    source::NodeClient,
};

/// Where the SEC contracts are on Ethereum.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EthereumConfig {
    /// Ethereum JSON-RPC URL.
    pub rpc: String,
    /// `L1Bridge`.
    pub bridge: Address,
    /// `CheckpointManager`.
    pub checkpoint_manager: Address,
    /// Block of the contracts' deployment: reading starts there.
    pub from_block: u64,
    /// Blocks behind Ethereum's head the indexer stays (reorg margin). Default 0.
    #[serde(default)]
    pub confirmations: u64,
}

/// Blocks read by one `eth_getLogs`.
const RANGE: u64 = 2_000;
/// How far back a reorg under the cursor rewinds.
const REWIND: u64 = 64;

const DEPOSITS: Insert = Insert {
    table: "deposits",
    columns: &[
        "nonce",
        "domain",
        "l1_token",
        "kind",
        "from_address",
        "to_address",
        "amount",
        "l1_block",
        "l1_tx_hash",
        "stage",
    ],
    tail: "",
};

const CHECKPOINTS: Insert = Insert {
    table: "checkpoints",
    columns: &[
        "id",
        "withdrawal_root",
        "validator_set_hash",
        "body_hash",
        "signed_stake",
        "l1_block",
        "l1_tx_hash",
    ],
    tail: "",
};

const FINALIZATIONS: Insert = Insert {
    table: "withdrawal_finalizations",
    columns: &[
        "withdrawal_hash",
        "checkpoint_id",
        "recipient",
        "token",
        "amount",
        "paid",
        "l1_block",
        "l1_tx_hash",
    ],
    tail: "",
};

#[derive(Default)]
struct Rows {
    deposits: Vec<Vec<Value>>,
    checkpoints: Vec<Vec<Value>>,
    finalizations: Vec<Vec<Value>>,
}

fn decode(config: &EthereumConfig, logs: &[Log]) -> Rows {
    let mut rows = Rows::default();
    for log in logs {
        if log.removed {
            continue;
        }
        let block = int(log.block_number.unwrap_or_default());
        let tx = hash(log.transaction_hash.unwrap_or_default());
        let Some(topic0) = log.topics().first() else { continue };
        if log.address() == config.bridge && *topic0 == L1Bridge::Deposit::SIGNATURE_HASH {
            if let Ok(e) = L1Bridge::Deposit::decode_log_data(log.data()) {
                rows.deposits.push(vec![
                    int(e.nonce),
                    int(u64::from(e.domain)),
                    address(e.token),
                    int(u64::from(e.kind)),
                    address(e.from),
                    address(e.to),
                    u256(e.amount),
                    block,
                    tx,
                    text("deposited"),
                ]);
            }
        } else if log.address() == config.bridge
            && *topic0 == L1Bridge::WithdrawalFinalized::SIGNATURE_HASH
        {
            if let Ok(e) = L1Bridge::WithdrawalFinalized::decode_log_data(log.data()) {
                rows.finalizations.push(vec![
                    hash(e.withdrawalHash),
                    int(e.checkpointId),
                    address(e.recipient),
                    address(e.token),
                    u256(e.amount),
                    int(u64::from(e.paid)),
                    block,
                    tx,
                ]);
            }
        } else if log.address() == config.checkpoint_manager
            && *topic0 == CheckpointManager::CheckpointSubmitted::SIGNATURE_HASH
            && let Ok(e) = CheckpointManager::CheckpointSubmitted::decode_log_data(log.data())
        {
            rows.checkpoints.push(vec![
                int(e.id),
                hash(e.withdrawalRoot),
                hash(e.validatorSetHash),
                hash(e.bodyHash),
                u256(e.signedStake),
                block,
                tx,
            ]);
        }
    }
    rows
}

async fn cursor(db: &Database) -> Result<Option<(u64, Vec<u8>)>, IndexerError> {
    let row = sqlx::query("SELECT block_number, block_hash FROM l1_cursor WHERE id = 1")
        .fetch_optional(db.pool())
        .await?;
    row.map(|r| Ok((r.try_get::<i64, _>("block_number")? as u64, r.try_get("block_hash")?)))
        .transpose()
}

async fn set_cursor(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    number: u64,
    block_hash: B256,
) -> Result<(), IndexerError> {
    sqlx::query("DELETE FROM l1_cursor WHERE id = 1").execute(&mut *conn).await?;
    let row = vec![int(1), int(number), hash(block_hash)];
    let insert =
        Insert { table: "l1_cursor", columns: &["id", "block_number", "block_hash"], tail: "" };
    insert.run(conn, backend, vec![row]).await
}

/// Deletes what came from Ethereum blocks above `keep_through` and moves the cursor there.
async fn rewind(db: &Database, client: &NodeClient, keep_through: u64) -> Result<(), IndexerError> {
    let keep_hash = client.block_hash(keep_through).await?.unwrap_or_default();
    let mut tx = db.pool().begin().await?;
    for table in ["deposits", "checkpoints", "withdrawal_finalizations"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE l1_block > $1"))
            .bind(keep_through as i64)
            .execute(&mut *tx)
            .await?;
    }
    set_cursor(&mut tx, db.backend(), keep_through, keep_hash).await?;
    tx.commit().await?;
    Ok(())
}

/// Follows Ethereum into the database; with `until_head`, stops once it has read up to the head
/// it saw when it started.
pub async fn follow(
    config: EthereumConfig,
    db: Database,
    until_head: bool,
) -> Result<(), IndexerError> {
    let client = NodeClient::new(&config.rpc)?;
    let start_head = client.block_number().await?;
    info!(rpc = %config.rpc, from = config.from_block, "following Ethereum");
    loop {
        let done = match cursor(&db).await? {
            Some((number, stored)) => {
                let canonical = client.block_hash(number).await?;
                if canonical.map(|h| h.to_vec()) != Some(stored) {
                    let keep =
                        number.saturating_sub(REWIND).max(config.from_block.saturating_sub(1));
                    warn!(from = number, to = keep, "Ethereum reorg under the cursor: rewinding");
                    rewind(&db, &client, keep).await?;
                    continue;
                }
                number
            }
            None => config.from_block.saturating_sub(1),
        };
        let head = client.block_number().await?.saturating_sub(config.confirmations);
        if done >= head {
            if until_head && done >= start_head.saturating_sub(config.confirmations) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(1000)).await;
            continue;
        }
        let to = head.min(done + RANGE);
        let logs = client.logs(done + 1, to, &[config.bridge, config.checkpoint_manager]).await?;
        let to_hash = client.block_hash(to).await?.unwrap_or_default();
        let rows = decode(&config, &logs);
        let backend = db.backend();
        let mut tx = db.pool().begin().await?;
        DEPOSITS.run(&mut tx, backend, rows.deposits).await?;
        CHECKPOINTS.run(&mut tx, backend, rows.checkpoints).await?;
        FINALIZATIONS.run(&mut tx, backend, rows.finalizations).await?;
        set_cursor(&mut tx, backend, to, to_hash).await?;
        tx.commit().await?;
    }
}
