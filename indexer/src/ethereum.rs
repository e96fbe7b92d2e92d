//! Following Ethereum: the bridge's deposits and finalized withdrawals, the checkpoints, and the
//! validators with their stake, delegations and slashings, read with `eth_getLogs` in ranges
//! (stake and delegations as StakeManager reports them at the range's last block). Each range is written with the cursor (block and hash) in one
//! database transaction; an Ethereum reorg under the cursor rewinds it and deletes what came
//! from the blocks dropped.

use std::{
    collections::{BTreeMap, BTreeSet},
    time::Duration,
};

use alloy::{
    rpc::types::Log,
    sol_types::{SolCall, SolEvent},
};
use alloy_primitives::{Address, B256, Bytes};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use tracing::{info, warn};

use sec_contracts::bindings::{CheckpointManager, L1Bridge, StakeManager};

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
    /// `StakeManager`.
    pub stake_manager: Address,
    /// The contracts holding the allocations of the SEC supply (`IAllocation`).
    #[serde(default)]
    pub allocations: Vec<Address>,
    /// Block of the contracts' deployment: reading starts there.
    pub from_block: u64,
    /// Blocks behind Ethereum's head the indexer stays (reorg margin). Default 0.
    #[serde(default)]
    pub confirmations: u64,
}

/// Blocks read by one `eth_getLogs`.
const RANGE: u64 = 2_000;
/// Stored blocks a reorg's search for the common ancestor compares with the node's, at most;
/// past them, everything is read again from `from_block`.
const MAX_ANCESTOR_WALK: i64 = 1_024;

/// `l1_blocks`: a block read again (after a rewind) replaces its hash.
const L1_BLOCKS: Insert = Insert {
    table: "l1_blocks",
    columns: &["number", "hash"],
    tail: "ON CONFLICT (number) DO UPDATE SET hash = excluded.hash",
};

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

const SLASHINGS: Insert = Insert {
    table: "slashings",
    columns: &[
        "l1_block",
        "log_index",
        "validator",
        "judge",
        "kind",
        "amount",
        "burned",
        "reward",
        "l1_tx_hash",
    ],
    tail: "",
};

#[derive(Default)]
struct Rows {
    deposits: Vec<Vec<Value>>,
    checkpoints: Vec<Vec<Value>>,
    finalizations: Vec<Vec<Value>>,
    slashings: Vec<Vec<Value>>,
    /// Validators whose state changed, with the block they registered in (if in this range).
    validators: BTreeMap<Address, Option<u64>>,
    /// (validator, delegator) pairs whose delegation changed.
    delegations: BTreeSet<(Address, Address)>,
    /// The blocks rows came from, with their hashes.
    blocks: BTreeMap<u64, B256>,
}

fn decode(config: &EthereumConfig, logs: &[Log]) -> Rows {
    let mut rows = Rows::default();
    for log in logs {
        if log.removed {
            continue;
        }
        let block = int(log.block_number.unwrap_or_default());
        let tx = hash(log.transaction_hash.unwrap_or_default());
        if let (Some(number), Some(block_hash)) = (log.block_number, log.block_hash) {
            rows.blocks.insert(number, block_hash);
        }
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
        } else if log.address() == config.stake_manager {
            stake_event(&mut rows, log, block.clone(), tx.clone());
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

/// Notes what a StakeManager event changed.
fn stake_event(rows: &mut Rows, log: &Log, block: Value, tx: Value) {
    use StakeManager as S;
    let data = log.data();
    let number = log.block_number.unwrap_or_default();
    let Some(topic0) = log.topics().first().copied() else { return };
    let touch = |rows: &mut Rows, v: Address| {
        rows.validators.entry(v).or_insert(None);
    };
    if topic0 == S::ValidatorRegistered::SIGNATURE_HASH {
        if let Ok(e) = S::ValidatorRegistered::decode_log_data(data) {
            rows.validators.insert(e.validator, Some(number));
            rows.delegations.insert((e.validator, e.validator));
        }
    } else if topic0 == S::Delegated::SIGNATURE_HASH {
        if let Ok(e) = S::Delegated::decode_log_data(data) {
            touch(rows, e.validator);
            rows.delegations.insert((e.validator, e.delegator));
        }
    } else if topic0 == S::Undelegated::SIGNATURE_HASH {
        if let Ok(e) = S::Undelegated::decode_log_data(data) {
            touch(rows, e.validator);
            rows.delegations.insert((e.validator, e.delegator));
        }
    } else if topic0 == S::CommissionUpdated::SIGNATURE_HASH {
        if let Ok(e) = S::CommissionUpdated::decode_log_data(data) {
            touch(rows, e.validator);
        }
    } else if topic0 == S::Jailed::SIGNATURE_HASH {
        if let Ok(e) = S::Jailed::decode_log_data(data) {
            touch(rows, e.validator);
        }
    } else if topic0 == S::Unjailed::SIGNATURE_HASH {
        if let Ok(e) = S::Unjailed::decode_log_data(data) {
            touch(rows, e.validator);
        }
    } else if topic0 == S::Slashed::SIGNATURE_HASH
        && let Ok(e) = S::Slashed::decode_log_data(data)
    {
        touch(rows, e.validator);
        rows.slashings.push(vec![
            block,
            int(log.log_index.unwrap_or_default()),
            address(e.validator),
            address(e.judge),
            int(u64::from(e.kind)),
            u256(e.amount),
            u256(e.burned),
            u256(e.reward),
            tx,
        ]);
    }
}

async fn view<C: SolCall>(
    client: &NodeClient,
    to: Address,
    call: C,
    at: u64,
) -> Result<Option<C::Return>, IndexerError> {
    let answers = client.calls(&[(to, Bytes::from(call.abi_encode()))], at).await?;
    Ok(answers.into_iter().next().flatten().and_then(|b| C::abi_decode_returns(&b).ok()))
}

/// Reads `validators` and `delegations` from StakeManager at `at` and writes their rows.
/// `registered` gives the registration block of validators first seen now; others keep theirs.
async fn refresh_stake(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    client: &NodeClient,
    stake_manager: Address,
    validators: &BTreeMap<Address, Option<u64>>,
    delegations: &BTreeSet<(Address, Address)>,
    at: u64,
) -> Result<(), IndexerError> {
    use StakeManager as S;
    for (v, registered) in validators {
        let Some(info) = view(client, stake_manager, S::validatorCall { v: *v }, at).await? else {
            continue;
        };
        let bonded = view(client, stake_manager, S::bondedStakeCall { v: *v }, at).await?;
        let own = view(client, stake_manager, S::selfStakeCall { v: *v }, at).await?;
        let registered = match registered {
            Some(n) => *n,
            None => sqlx::query("SELECT registered_l1_block FROM validators WHERE address = $1")
                .bind(v.to_vec())
                .fetch_optional(&mut *conn)
                .await?
                .map(|r| r.try_get::<i64, _>("registered_l1_block"))
                .transpose()?
                .unwrap_or(at as i64) as u64,
        };
        sqlx::query("DELETE FROM validators WHERE address = $1")
            .bind(v.to_vec())
            .execute(&mut *conn)
            .await?;
        if info.signer.is_zero() {
            continue;
        }
        let row = vec![
            address(*v),
            address(info.signer),
            int(u64::from(info.commissionBps)),
            int(u64::from(info.jailed)),
            int(info.jailedUntil),
            u256(bonded.unwrap_or_default()),
            u256(own.unwrap_or_default()),
            int(registered),
        ];
        VALIDATORS.run(conn, backend, vec![row]).await?;
    }
    for (v, d) in delegations {
        let amount =
            view(client, stake_manager, S::delegationCall { v: *v, delegator: *d }, at).await?;
        sqlx::query("DELETE FROM delegations WHERE validator = $1 AND delegator = $2")
            .bind(v.to_vec())
            .bind(d.to_vec())
            .execute(&mut *conn)
            .await?;
        if let Some(amount) = amount.filter(|a| !a.is_zero()) {
            let row = vec![address(*v), address(*d), u256(amount)];
            DELEGATIONS.run(conn, backend, vec![row]).await?;
        }
    }
    Ok(())
}

alloy::sol! {
    /// `IAllocation`: how every allocation of the SEC supply reports itself.
    interface IAllocation {
        function allocationName() external view returns (string memory);
        function totalAllocation() external view returns (uint256);
        function released() external view returns (uint256);
        function releasable() external view returns (uint256);
        function schedule() external view returns (uint64[] memory times, uint256[] memory amounts);
    }
}

const ALLOCATIONS: Insert = Insert {
    table: "allocations",
    columns: &["contract", "name", "total", "released", "releasable", "schedule", "l1_block"],
    tail: "",
};

/// Reads every allocation at `at` and replaces its row.
async fn refresh_allocations(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    client: &NodeClient,
    contracts: &[Address],
    at: u64,
) -> Result<(), IndexerError> {
    use IAllocation as A;
    let mut calls = Vec::with_capacity(contracts.len() * 5);
    for c in contracts {
        calls.push((*c, Bytes::from(A::allocationNameCall {}.abi_encode())));
        calls.push((*c, Bytes::from(A::totalAllocationCall {}.abi_encode())));
        calls.push((*c, Bytes::from(A::releasedCall {}.abi_encode())));
        calls.push((*c, Bytes::from(A::releasableCall {}.abi_encode())));
        calls.push((*c, Bytes::from(A::scheduleCall {}.abi_encode())));
    }
    let answers = client.calls(&calls, at).await?;
    for (c, a) in contracts.iter().zip(answers.chunks(5)) {
        let get = |i: usize| a.get(i).cloned().flatten().unwrap_or_default();
        let (Ok(name), Ok(total), Ok(released), Ok(releasable)) = (
            A::allocationNameCall::abi_decode_returns(&get(0)),
            A::totalAllocationCall::abi_decode_returns(&get(1)),
            A::releasedCall::abi_decode_returns(&get(2)),
            A::releasableCall::abi_decode_returns(&get(3)),
        ) else {
            continue; // not an allocation contract (or not deployed at `at`)
        };
        let schedule = A::scheduleCall::abi_decode_returns(&get(4))
            .map(|s| {
                s.times
                    .iter()
                    .zip(&s.amounts)
                    .map(|(t, a)| serde_json::json!([t, a.to_string()]))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        sqlx::query("DELETE FROM allocations WHERE contract = $1")
            .bind(c.to_vec())
            .execute(&mut *conn)
            .await?;
        let row = vec![
            address(*c),
            text(name.replace('\0', "")),
            u256(total),
            u256(released),
            u256(releasable),
            text(serde_json::Value::Array(schedule).to_string()),
            int(at),
        ];
        ALLOCATIONS.run(conn, backend, vec![row]).await?;
    }
    Ok(())
}

const VALIDATORS: Insert = Insert {
    table: "validators",
    columns: &[
        "address",
        "signer",
        "commission_bps",
        "jailed",
        "jailed_until",
        "stake",
        "self_stake",
        "registered_l1_block",
    ],
    tail: "",
};

const DELEGATIONS: Insert =
    Insert { table: "delegations", columns: &["validator", "delegator", "amount"], tail: "" };

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
async fn rewind(
    db: &Database,
    client: &NodeClient,
    stake_manager: Address,
    allocations: &[Address],
    keep_through: u64,
) -> Result<(), IndexerError> {
    let keep_hash = client.block_hash(keep_through).await?.unwrap_or_default();
    let mut tx = db.pool().begin().await?;
    for table in ["deposits", "checkpoints", "withdrawal_finalizations", "slashings", "l1_blocks"] {
        let column = if table == "l1_blocks" { "number" } else { "l1_block" };
        sqlx::query(&format!("DELETE FROM {table} WHERE {column} > $1"))
            .bind(keep_through as i64)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("DELETE FROM validators WHERE registered_l1_block > $1")
        .bind(keep_through as i64)
        .execute(&mut *tx)
        .await?;
    // Every remaining validator and delegation is read again as of the block kept.
    let mut validators = BTreeMap::new();
    for r in sqlx::query("SELECT address FROM validators").fetch_all(&mut *tx).await? {
        let a: Vec<u8> = r.try_get("address")?;
        if a.len() == 20 {
            validators.insert(Address::from_slice(&a), None);
        }
    }
    let mut delegations = BTreeSet::new();
    for r in sqlx::query("SELECT validator, delegator FROM delegations").fetch_all(&mut *tx).await?
    {
        let (v, d): (Vec<u8>, Vec<u8>) = (r.try_get("validator")?, r.try_get("delegator")?);
        if v.len() == 20 && d.len() == 20 {
            delegations.insert((Address::from_slice(&v), Address::from_slice(&d)));
        }
    }
    sqlx::query("DELETE FROM delegations").execute(&mut *tx).await?;
    refresh_stake(
        &mut tx,
        db.backend(),
        client,
        stake_manager,
        &validators,
        &delegations,
        keep_through,
    )
    .await?;
    refresh_allocations(&mut tx, db.backend(), client, allocations, keep_through).await?;
    set_cursor(&mut tx, db.backend(), keep_through, keep_hash).await?;
    tx.commit().await?;
    Ok(())
}

/// Follows Ethereum into the database; with `until_head`, stops once it has read up to the head
/// it saw when it started. A request Ethereum's node fails is tried again after a backoff,
/// however often: nothing is written of a range until all of it has been read.
pub async fn follow(
    config: EthereumConfig,
    db: Database,
    until_head: bool,
) -> Result<(), IndexerError> {
    let client = NodeClient::new(&config.rpc)?;
    let mut backoff = crate::retry::Backoff::default();
    let start_head = loop {
        match client.block_number().await {
            Ok(head) => break head,
            Err(e) if crate::retry::transient(&e) => backoff.wait(&config.rpc, &e).await,
            Err(e) => return Err(e),
        }
    };
    backoff.reset();
    info!(rpc = %config.rpc, from = config.from_block, "following Ethereum");
    let stop_at = until_head.then(|| start_head.saturating_sub(config.confirmations));
    loop {
        match step(&config, &db, &client, stop_at).await {
            Ok(Step::Done) => return Ok(()),
            Ok(Step::Idle) => {
                backoff.reset();
                tokio::time::sleep(Duration::from_millis(1000)).await;
            }
            Ok(Step::Read) => backoff.reset(),
            Err(e) if crate::retry::transient(&e) => backoff.wait(&config.rpc, &e).await,
            Err(e) => return Err(e),
        }
    }
}

/// What one step of following Ethereum did.
enum Step {
    /// Read a range (or rewound a reorg).
    Read,
    /// Nothing new yet.
    Idle,
    /// Reached the head to stop at.
    Done,
}

/// Rewinds a reorg under the cursor, or reads and writes the next range.
async fn step(
    config: &EthereumConfig,
    db: &Database,
    client: &NodeClient,
    stop_at: Option<u64>,
) -> Result<Step, IndexerError> {
    let done = match cursor(db).await? {
        Some((number, stored)) => {
            let canonical = client.block_hash(number).await?;
            if canonical.map(|h| h.to_vec()) != Some(stored) {
                let keep = common_ancestor(db, client, number, config.from_block).await?;
                warn!(from = number, to = keep, "Ethereum reorg under the cursor: rewinding");
                rewind(db, client, config.stake_manager, &config.allocations, keep).await?;
                return Ok(Step::Read);
            }
            number
        }
        None => config.from_block.saturating_sub(1),
    };
    let head = client.block_number().await?.saturating_sub(config.confirmations);
    if done >= head {
        if stop_at.is_some_and(|stop| done >= stop) {
            return Ok(Step::Done);
        }
        return Ok(Step::Idle);
    }
    let to = head.min(done + RANGE);
    let contracts = [config.bridge, config.checkpoint_manager, config.stake_manager];
    let logs = client.logs(done + 1, to, &contracts).await?;
    let to_hash = client.block_hash(to).await?.unwrap_or_default();
    let rows = decode(config, &logs);
    let backend = db.backend();
    let mut tx = db.pool().begin().await?;
    DEPOSITS.run(&mut tx, backend, rows.deposits).await?;
    CHECKPOINTS.run(&mut tx, backend, rows.checkpoints).await?;
    FINALIZATIONS.run(&mut tx, backend, rows.finalizations).await?;
    SLASHINGS.run(&mut tx, backend, rows.slashings).await?;
    refresh_stake(
        &mut tx,
        backend,
        client,
        config.stake_manager,
        &rows.validators,
        &rows.delegations,
        to,
    )
    .await?;
    refresh_allocations(&mut tx, backend, client, &config.allocations, to).await?;
    let mut blocks = rows.blocks;
    blocks.insert(to, to_hash);
    let blocks = blocks.into_iter().map(|(n, h)| vec![int(n), hash(h)]).collect();
    L1_BLOCKS.run(&mut tx, backend, blocks).await?;
    set_cursor(&mut tx, backend, to, to_hash).await?;
    tx.commit().await?;
    Ok(Step::Read)
}

/// The highest block below `top` that the indexer read and the node still has (the same hash):
/// the common ancestor of what was indexed and the node's chain, walked back to one stored
/// block at a time. Nothing stored is left (or all of the walk was reorged): the block before
/// `from_block`, so that everything is read again.
async fn common_ancestor(
    db: &Database,
    client: &NodeClient,
    top: u64,
    from_block: u64,
) -> Result<u64, IndexerError> {
    let floor = from_block.saturating_sub(1);
    let stored = sqlx::query(
        "SELECT number, hash FROM l1_blocks WHERE number < $1 AND number >= $2 \
         ORDER BY number DESC LIMIT $3",
    )
    .bind(top as i64)
    .bind(floor as i64)
    .bind(MAX_ANCESTOR_WALK)
    .fetch_all(db.pool())
    .await?;
    for row in stored {
        let number = row.try_get::<i64, _>("number")? as u64;
        let ours: Vec<u8> = row.try_get("hash")?;
        if client.block_hash(number).await?.is_some_and(|h| h.as_slice() == ours.as_slice()) {
            return Ok(number);
        }
    }
    Ok(floor)
}
