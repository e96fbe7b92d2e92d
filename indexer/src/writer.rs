//! Writing runs of blocks, and undoing them above a reorg, each in one database transaction: a
//! crash leaves either all of a run or none of it.

use std::collections::{BTreeMap, BTreeSet};

use alloy_primitives::{Address, U256};

use crate::{
    IndexerError,
    db::Value,
    extract::{BalanceKey, Extracted},
    schema::{
        self, BALANCES, BLOCKS, CONTRACTS, INTERNAL_TRANSFERS, LOGS, MESSAGES, TOKEN_TRANSFERS,
        TOKENS, TRANSACTIONS, WITHDRAWALS, address, int, opt_u256, text,
    },
    source::NodeClient,
    state::{self, TokenInfo},
    store::{Kind, Store},
    trade,
};

/// A run of consecutive blocks of one domain, ready to write.
#[derive(Debug, Default)]
pub struct Batch {
    /// Domain.
    pub domain: u32,
    /// Rows extracted from the blocks.
    pub rows: Extracted,
    /// Contracts created, with their code: (address, creator, tx hash, block, code).
    pub contracts: Vec<Vec<Value>>,
    /// Tokens first seen in this run.
    pub new_tokens: Vec<(Address, u64, TokenInfo)>,
    /// Token supplies read again.
    pub supplies: Vec<(Address, Option<U256>)>,
    /// Balances read again.
    pub balances: Vec<(BalanceKey, U256)>,
    /// The block `balances` were read at, when this run read every balance touched since the
    /// last such run (see [`touched_above`]); `None` when it left them for a later run.
    pub balances_through: Option<u64>,
    /// The run's last block.
    pub through: u64,
    /// The node's head when the run was read.
    pub node_head: u64,
    /// The node's finalized height when the run was read.
    pub finalized: u64,
    /// The run reaches the head (or `--to-block`): it is committed without waiting for more.
    pub at_target: bool,
    /// `validator_production` rows read with the run (domain 0's, at the head).
    pub production: Vec<Vec<Value>>,
}

/// Strips what PostgreSQL's TEXT cannot hold (NUL); everything else is kept as the chain has it
/// and escaped where it is shown.
fn clean(s: Option<String>) -> Value {
    Value::Text(s.map(|s| s.replace('\0', "")))
}

/// Runs of blocks (of any domains, each domain's in order) written into one open database
/// transaction and committed together. Few large commits instead of one per run: random keys
/// (hashes, addresses) put a commit's inserts on pages all over every secondary index, and each
/// page a commit changes costs it a copy into SQLite's WAL and later into the file
/// (BENCHMARKS.md). The writer keeps one [`Store`] for all its commits.
#[derive(Debug)]
pub struct Commit<'s> {
    store: &'s mut Store,
    /// Runs written so far.
    pub runs: usize,
    /// Transactions written so far.
    pub transactions: usize,
}

impl<'s> Commit<'s> {
    /// Opens the database transaction on `store`.
    pub async fn begin(store: &'s mut Store) -> Result<Self, IndexerError> {
        store.begin().await?;
        Ok(Self { store, runs: 0, transactions: 0 })
    }

    /// Writes one run; nothing of it is visible, or durable, before [`Commit::commit`].
    pub async fn write(&mut self, batch: Batch) -> Result<(), IndexerError> {
        self.runs += 1;
        self.transactions += batch.rows.tx_count;
        write_run(self.store, batch).await
    }

    /// Records what a follower saw of the node, with the runs.
    pub async fn seen(&mut self, domain: u32, node_head: u64) -> Result<(), IndexerError> {
        record_seen(self.store, domain, node_head).await
    }

    /// Commits every run written.
    pub async fn commit(self) -> Result<(), IndexerError> {
        self.store.commit().await
    }
}

/// Records that the indexer has just seen `domain`'s node at head `node_head` (in the open
/// transaction, if any): what the explorer tells its visitors how fresh the index is by.
pub async fn record_seen(
    store: &mut Store,
    domain: u32,
    node_head: u64,
) -> Result<(), IndexerError> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    store
        .execute(
            "INSERT INTO indexer_status (domain, node_head, checked_at) VALUES ($1, $2, $3) \
             ON CONFLICT (domain) DO UPDATE SET node_head = excluded.node_head, \
             checked_at = excluded.checked_at",
            &[int(domain.into()), int(node_head), int(now)],
        )
        .await?;
    Ok(())
}

async fn write_run(store: &mut Store, batch: Batch) -> Result<(), IndexerError> {
    let d = u64::from(batch.domain);
    let rows = batch.rows;
    let days = daily_activity(&rows.blocks);
    store.insert(&BLOCKS, rows.blocks).await?;
    add_daily_activity(store, d, days).await?;
    store.insert(&TRANSACTIONS, rows.transactions).await?;
    store.insert(&LOGS, rows.logs).await?;
    store.insert(&TOKEN_TRANSFERS, rows.token_transfers).await?;
    store.insert(&INTERNAL_TRANSFERS, rows.internal_transfers).await?;
    store.insert(&MESSAGES, rows.messages).await?;
    store.insert(&WITHDRAWALS, rows.withdrawals).await?;
    store.insert(&schema::DEPOSIT_CREDITS, rows.deposit_credits).await?;
    store.insert(&schema::MESSAGE_DELIVERIES, rows.message_deliveries).await?;
    let trade = rows.trade;
    store.insert(&trade::TRADE_OFFERS, trade.offers).await?;
    store.insert(&trade::TRADE_EVENTS, trade.events).await?;
    store.insert(&trade::TRADE_DISPUTES, trade.disputes).await?;
    store.insert(&trade::TRADE_VOTES, trade.votes).await?;
    store.insert(&trade::TRUST_CHANGES, trade.trust).await?;
    store.insert(&trade::TRADE_EDGES, trade.edges).await?;
    store.insert(&trade::TRADE_STEP_MESSAGES, trade.step_messages).await?;
    store.insert(&trade::HOME_SETS, trade.homes).await?;
    store.insert(&CONTRACTS, batch.contracts).await?;
    store.insert(&schema::VALIDATOR_PRODUCTION, batch.production).await?;
    let tokens = batch
        .new_tokens
        .into_iter()
        .map(|(token, first_block, info)| {
            vec![
                int(d),
                address(token),
                text(info.kind.as_str()),
                clean(info.name),
                clean(info.symbol),
                Value::Int(info.decimals.map(i64::from)),
                opt_u256(info.total_supply),
                int(first_block),
            ]
        })
        .collect();
    store.insert(&TOKENS, tokens).await?;
    update_supplies(store, d, batch.supplies).await?;
    update_balances(store, d, batch.balances).await?;
    if let Some(through) = batch.balances_through {
        set_balance_progress(store, d, through).await?;
    }
    advance_head(store, d, batch.through, rows.tx_count as u64, batch.finalized).await?;
    record_seen(store, batch.domain, batch.node_head.max(batch.through)).await
}

/// Seconds in a day of `daily_activity`.
const DAY_SECS: i64 = 86_400;

/// Per UTC day, the blocks, transactions and gas used of `blocks` (rows of [`BLOCKS`]).
fn daily_activity(blocks: &[Vec<Value>]) -> BTreeMap<i64, [i64; 3]> {
    let column = |name: &str| BLOCKS.columns.iter().position(|c| *c == name);
    let (Some(ts), Some(txs), Some(gas)) =
        (column("timestamp"), column("tx_count"), column("gas_used"))
    else {
        return BTreeMap::new();
    };
    let value = |row: &[Value], i: usize| match row.get(i) {
        Some(Value::Int(Some(v))) => *v,
        _ => 0,
    };
    let mut days: BTreeMap<i64, [i64; 3]> = BTreeMap::new();
    for row in blocks {
        let day = days.entry(value(row, ts).div_euclid(DAY_SECS)).or_default();
        day[0] += 1;
        day[1] += value(row, txs);
        day[2] += value(row, gas);
    }
    days
}

/// Adds a run's days to `daily_activity`.
async fn add_daily_activity(
    store: &mut Store,
    d: u64,
    days: BTreeMap<i64, [i64; 3]>,
) -> Result<(), IndexerError> {
    for (day, [blocks, transactions, gas]) in days {
        store
            .execute(
                "INSERT INTO daily_activity (domain, day, blocks, transactions, gas_used) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (domain, day) DO UPDATE SET \
                 blocks = daily_activity.blocks + excluded.blocks, \
                 transactions = daily_activity.transactions + excluded.transactions, \
                 gas_used = daily_activity.gas_used + excluded.gas_used",
                &[
                    int(d),
                    Value::Int(Some(day)),
                    Value::Int(Some(blocks)),
                    Value::Int(Some(transactions)),
                    Value::Int(Some(gas)),
                ],
            )
            .await?;
    }
    Ok(())
}

/// The days a rollback to block `$2` of domain `$1` changes (the day of the kept head on),
/// removed before the blocks are; [`RECOUNT_DAYS`] counts them again from the blocks kept.
pub const FORGET_DAYS: &str = "DELETE FROM daily_activity WHERE domain = $1 AND day >= \
    COALESCE((SELECT timestamp FROM blocks WHERE domain = $1 AND number = $2), 0) / 86400";

/// The days [`FORGET_DAYS`] removed, counted from the blocks a rollback kept (through the
/// blocks' index by domain and time: a day's blocks at most).
pub const RECOUNT_DAYS: &str = "INSERT INTO daily_activity (domain, day, blocks, transactions, \
    gas_used) SELECT domain, timestamp / 86400, COUNT(*), SUM(tx_count), SUM(gas_used) \
    FROM blocks WHERE domain = $1 AND timestamp >= \
      COALESCE((SELECT timestamp FROM blocks WHERE domain = $1 AND number = $2), 0) / 86400 \
        * 86400 \
    GROUP BY domain, timestamp / 86400";

/// Marks final the blocks of a domain above its watermark (`$2`, the highest block marked
/// before) up to `$3`: a primary-key range as long as the blocks that became final since, so the
/// cost of a run does not grow with the chain's height (every block from 0 was read before).
pub const MARK_FINAL: &str =
    "UPDATE blocks SET final = 1 WHERE domain = $1 AND number > $2 AND number <= $3";

/// Moves the domain's row of `chain_heads` to the run ending at block `through` with
/// `transactions` transactions, and marks blocks final up to the node's `finalized` height
/// (only blocks indexed can be marked: no higher than `through`).
async fn advance_head(
    store: &mut Store,
    d: u64,
    through: u64,
    transactions: u64,
    finalized: u64,
) -> Result<(), IndexerError> {
    store
        .execute(
            "INSERT INTO chain_heads (domain, head, finalized, transactions) VALUES ($1, $2, -1, $3) \
             ON CONFLICT (domain) DO UPDATE SET head = excluded.head, \
             transactions = chain_heads.transactions + excluded.transactions",
            &[int(d), int(through), int(transactions)],
        )
        .await?;
    let rows = store
        .fetch("SELECT finalized FROM chain_heads WHERE domain = $1", &[int(d)], &[Kind::Int])
        .await?;
    let marked = match rows.first().and_then(|r| r.first()) {
        Some(Value::Int(Some(n))) => *n,
        _ => -1,
    };
    let target = finalized.min(through) as i64;
    if target > marked {
        store
            .execute(MARK_FINAL, &[int(d), Value::Int(Some(marked)), Value::Int(Some(target))])
            .await?;
        store
            .execute(
                "UPDATE chain_heads SET finalized = $2 WHERE domain = $1",
                &[int(d), Value::Int(Some(target))],
            )
            .await?;
    }
    Ok(())
}

async fn update_supplies(
    store: &mut Store,
    d: u64,
    supplies: Vec<(Address, Option<U256>)>,
) -> Result<(), IndexerError> {
    for (token, supply) in supplies {
        let supply = opt_u256(supply);
        store
            .execute(
                "UPDATE tokens SET total_supply = $1 WHERE domain = $2 AND address = $3",
                &[supply, int(d), address(token)],
            )
            .await?;
    }
    Ok(())
}

async fn set_balance_progress(store: &mut Store, d: u64, through: u64) -> Result<(), IndexerError> {
    store
        .execute(
            "INSERT INTO balance_progress (domain, through_block) VALUES ($1, $2) \
             ON CONFLICT (domain) DO UPDATE SET through_block = excluded.through_block",
            &[int(d), int(through)],
        )
        .await?;
    Ok(())
}

/// The block of `domain` its touched balances were last read at (`None`: never).
pub async fn balance_progress(store: &mut Store, domain: u32) -> Result<Option<u64>, IndexerError> {
    let rows = store
        .fetch(
            "SELECT through_block FROM balance_progress WHERE domain = $1",
            &[int(domain.into())],
            &[Kind::Int],
        )
        .await?;
    Ok(rows.into_iter().next().and_then(|row| match row.first() {
        Some(Value::Int(Some(n))) => Some(*n as u64),
        _ => None,
    }))
}

fn id_bytes(id: Option<U256>) -> Vec<u8> {
    id.map(|i| i.to_be_bytes::<32>().to_vec()).unwrap_or_default()
}

async fn update_balances(
    store: &mut Store,
    d: u64,
    balances: Vec<(BalanceKey, U256)>,
) -> Result<(), IndexerError> {
    let (zero, nonzero): (Vec<_>, Vec<_>) = balances.into_iter().partition(|(_, v)| v.is_zero());
    // each token's holders: the rows the upsert adds (keys without a row yet), less the rows
    // the deletes remove
    let mut delta: BTreeMap<Address, i64> = BTreeMap::new();
    if store.holder_counts {
        let existing = existing_rows(store, d, nonzero.iter().map(|(k, _)| k)).await?;
        for (k, _) in &nonzero {
            *delta.entry(k.token).or_default() += 1;
        }
        for (token, n) in existing {
            *delta.entry(token).or_default() -= n;
        }
    }
    let rows = nonzero
        .into_iter()
        .map(|(k, v)| {
            vec![
                int(d),
                address(k.token),
                address(k.holder),
                Value::Bytes(Some(id_bytes(k.id))),
                schema::u256(v),
            ]
        })
        .collect();
    store.insert(&BALANCES, rows).await?;
    for (k, _) in zero {
        let removed = store
            .execute(
                "DELETE FROM balances \
                 WHERE domain = $1 AND token = $2 AND holder = $3 AND token_id = $4",
                &[int(d), address(k.token), address(k.holder), Value::Bytes(Some(id_bytes(k.id)))],
            )
            .await?;
        if store.holder_counts {
            *delta.entry(k.token).or_default() -= removed as i64;
        }
    }
    for (token, n) in delta.into_iter().filter(|(_, n)| *n != 0) {
        store
            .execute(
                "INSERT INTO token_holder_counts (domain, token, holders) VALUES ($1, $2, $3) \
                 ON CONFLICT (domain, token) \
                 DO UPDATE SET holders = token_holder_counts.holders + excluded.holders",
                &[int(d), address(token), Value::Int(Some(n))],
            )
            .await?;
        if n < 0 {
            // a token without holders has no row, as in an index built afresh
            store
                .execute(
                    "DELETE FROM token_holder_counts \
                     WHERE domain = $1 AND token = $2 AND holders <= 0",
                    &[int(d), address(token)],
                )
                .await?;
        }
    }
    Ok(())
}

/// Most keys one existence query names (two parameters each).
const EXISTING_CHUNK: usize = 200;

/// Per token, how many of `keys` (of domain `d`) have a `balances` row already.
async fn existing_rows(
    store: &mut Store,
    d: u64,
    keys: impl Iterator<Item = &BalanceKey>,
) -> Result<BTreeMap<Address, i64>, IndexerError> {
    let mut by_token: BTreeMap<Address, Vec<&BalanceKey>> = BTreeMap::new();
    for k in keys {
        by_token.entry(k.token).or_default().push(k);
    }
    let mut out = BTreeMap::new();
    for (token, keys) in by_token {
        for chunk in keys.chunks(EXISTING_CHUNK) {
            // the primary key's equalities, OR'ed: each an index lookup on both databases
            let pairs: Vec<String> = (0..chunk.len())
                .map(|i| format!("(holder = ${} AND token_id = ${})", 3 + 2 * i, 4 + 2 * i))
                .collect();
            let sql = format!(
                "SELECT COUNT(*) FROM balances WHERE domain = $1 AND token = $2 AND ({})",
                pairs.join(" OR ")
            );
            let mut params = vec![int(d), address(token)];
            for k in chunk {
                params.push(address(k.holder));
                params.push(Value::Bytes(Some(id_bytes(k.id))));
            }
            let rows = store.fetch(&sql, &params, &[Kind::Int]).await?;
            let n = match rows.first().and_then(|r| r.first()) {
                Some(Value::Int(Some(n))) => *n,
                _ => 0,
            };
            *out.entry(token).or_default() += n;
        }
    }
    Ok(out)
}

fn address_of(value: Option<&Value>) -> Option<Address> {
    match value {
        Some(Value::Bytes(Some(bytes))) if bytes.len() == 20 => Some(Address::from_slice(bytes)),
        _ => None,
    }
}

/// The balances the indexed rows of `domain` above block `above` touched (every block when
/// `None`), and the tokens they moved: the same keys extraction gathers from those blocks.
pub async fn touched_above(
    store: &mut Store,
    domain: u32,
    above: Option<u64>,
) -> Result<(BTreeSet<BalanceKey>, BTreeSet<Address>), IndexerError> {
    let params = [int(domain.into()), Value::Int(Some(above.map_or(-1, |n| n as i64)))];
    let mut keys = BTreeSet::new();
    let mut tokens = BTreeSet::new();
    let native = |holder| BalanceKey { token: Address::ZERO, holder, id: None };
    for sql in [
        "SELECT miner FROM blocks WHERE domain = $1 AND number > $2",
        "SELECT from_address FROM transactions WHERE domain = $1 AND block_number > $2",
        "SELECT to_address FROM transactions WHERE domain = $1 AND block_number > $2 AND to_address IS NOT NULL",
        "SELECT contract_address FROM transactions WHERE domain = $1 AND block_number > $2 AND contract_address IS NOT NULL",
        "SELECT from_address FROM internal_transfers WHERE domain = $1 AND block_number > $2",
        "SELECT to_address FROM internal_transfers WHERE domain = $1 AND block_number > $2",
    ] {
        for row in store.fetch(sql, &params, &[Kind::Bytes]).await? {
            if let Some(a) = address_of(row.first()) {
                keys.insert(native(a));
            }
        }
    }
    let transfers = store
        .fetch(
            "SELECT t.token, t.from_address, t.to_address, t.token_id, k.kind \
             FROM token_transfers t JOIN tokens k ON k.domain = t.domain AND k.address = t.token \
             WHERE t.domain = $1 AND t.block_number > $2",
            &params,
            &[Kind::Bytes, Kind::Bytes, Kind::Bytes, Kind::Bytes, Kind::Text],
        )
        .await?;
    for row in transfers {
        let Some(token) = address_of(row.first()) else { continue };
        let multi = matches!(row.get(4), Some(Value::Text(Some(kind))) if kind == "ERC-1155");
        let id = match row.get(3) {
            Some(Value::Bytes(Some(b))) if multi => Some(schema::read_u256(b)),
            _ => None,
        };
        for column in [1, 2] {
            if let Some(holder) = address_of(row.get(column))
                && !holder.is_zero()
            {
                keys.insert(BalanceKey { token, holder, id });
            }
        }
        tokens.insert(token);
    }
    Ok((keys, tokens))
}

/// Removes every row of `domain` above block `keep_through` and reads again, at that block, the
/// balances and supplies the removed blocks had changed, and those left unread below them. On
/// failure (the node failing a read, say) nothing is changed, and it can be tried again.
pub async fn rollback(
    store: &mut Store,
    client: &NodeClient,
    domain: u32,
    keep_through: u64,
) -> Result<(), IndexerError> {
    let result = rollback_once(store, client, domain, keep_through).await;
    if result.is_err() {
        store.abort();
    }
    result
}

async fn rollback_once(
    store: &mut Store,
    client: &NodeClient,
    domain: u32,
    keep_through: u64,
) -> Result<(), IndexerError> {
    let params = [int(domain.into()), int(keep_through)];
    store.begin().await?;

    // What the removed blocks touched, and what the kept ones touched unread.
    let read_through = balance_progress(store, domain).await?;
    let above = read_through.map(|n| n.min(keep_through));
    let (mut keys, tokens) = touched_above(store, domain, above).await?;

    for sql in [
        // The head row first, while the removed blocks are there to be counted.
        "UPDATE chain_heads SET \
           transactions = transactions - \
             (SELECT COALESCE(SUM(tx_count), 0) FROM blocks WHERE domain = $1 AND number > $2), \
           head = $2, \
           finalized = CASE WHEN finalized > $2 THEN $2 ELSE finalized END \
         WHERE domain = $1",
        FORGET_DAYS,
        "DELETE FROM blocks WHERE domain = $1 AND number > $2",
        RECOUNT_DAYS,
        "DELETE FROM transactions WHERE domain = $1 AND block_number > $2",
        "DELETE FROM logs WHERE domain = $1 AND block_number > $2",
        "DELETE FROM token_transfers WHERE domain = $1 AND block_number > $2",
        "DELETE FROM internal_transfers WHERE domain = $1 AND block_number > $2",
        // Source a user verified for a contract the fork removes no longer describes the
        // address (another contract may be created there); the chain's own are not in blocks.
        "DELETE FROM verified_contracts WHERE domain = $1 AND origin = 'user' AND address IN \
           (SELECT address FROM contracts WHERE domain = $1 AND block_number > $2)",
        "DELETE FROM contracts WHERE domain = $1 AND block_number > $2",
        "DELETE FROM tokens WHERE domain = $1 AND first_block > $2",
        "DELETE FROM messages WHERE source_domain = $1 AND block_number > $2",
        "DELETE FROM withdrawals WHERE domain = $1 AND block_number > $2",
        "DELETE FROM deposit_credits WHERE domain = $1 AND block_number > $2",
        "DELETE FROM message_deliveries WHERE domain = $1 AND block_number > $2",
    ]
    .into_iter()
    .chain(trade::ROLLBACK.iter().copied())
    {
        store.execute(sql, &params).await?;
    }
    // Tokens that no longer exist lose their balance rows; the others are read again.
    let mut surviving = BTreeSet::new();
    for token in &tokens {
        let token_params = [int(domain.into()), address(*token)];
        let known = !store
            .fetch(
                "SELECT 1 FROM tokens WHERE domain = $1 AND address = $2",
                &token_params,
                &[Kind::Int],
            )
            .await?
            .is_empty();
        if known {
            surviving.insert(*token);
        } else {
            store
                .execute("DELETE FROM balances WHERE domain = $1 AND token = $2", &token_params)
                .await?;
            store
                .execute(
                    "DELETE FROM token_holder_counts WHERE domain = $1 AND token = $2",
                    &token_params,
                )
                .await?;
        }
    }
    keys.retain(|key| key.token.is_zero() || surviving.contains(&key.token));
    let balances = state::balances(client, &keys, keep_through).await?;
    let supplies = state::supplies(client, &surviving, keep_through).await?;
    update_supplies(store, domain.into(), supplies).await?;
    update_balances(store, domain.into(), balances).await?;
    set_balance_progress(store, domain.into(), keep_through).await?;
    store.commit().await
}
