//! Writing runs of blocks, and undoing them above a reorg, each in one database transaction: a
//! crash leaves either all of a run or none of it.

use std::collections::BTreeSet;

use alloy_primitives::{Address, U256};
use sqlx::{AnyConnection, Row};

use crate::{
    IndexerError,
    db::{Backend, Value},
    extract::{BalanceKey, Extracted},
    schema::{
        self, BALANCES, BLOCKS, CONTRACTS, INTERNAL_TRANSFERS, LOGS, MESSAGES, TOKEN_TRANSFERS,
        TOKENS, TRANSACTIONS, WITHDRAWALS, address, int, opt_u256, text,
    },
    source::NodeClient,
    state::{self, TokenInfo},
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
    /// The node's finalized height when the run was read.
    pub finalized: u64,
    /// The run reaches the head (or `--to-block`): it is committed without waiting for more.
    pub at_target: bool,
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
/// (BENCHMARKS.md). The writer keeps one connection for all its commits: an SQLite connection
/// drops its page cache when another connection has written since its last transaction, so
/// taking whichever connection the pool hands out would start most commits with a cold cache.
pub struct Commit<'c> {
    tx: sqlx::Transaction<'c, sqlx::Any>,
    backend: Backend,
    /// Runs written so far.
    pub runs: usize,
    /// Transactions written so far.
    pub transactions: usize,
}

impl std::fmt::Debug for Commit<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Commit")
            .field("runs", &self.runs)
            .field("transactions", &self.transactions)
            .finish()
    }
}

impl<'c> Commit<'c> {
    /// Opens the database transaction on `conn`.
    pub async fn begin(
        conn: &'c mut AnyConnection,
        backend: Backend,
    ) -> Result<Self, IndexerError> {
        Ok(Self { tx: sqlx::Connection::begin(conn).await?, backend, runs: 0, transactions: 0 })
    }

    /// Writes one run; nothing of it is visible, or durable, before [`Commit::commit`].
    pub async fn write(&mut self, batch: Batch) -> Result<(), IndexerError> {
        self.runs += 1;
        self.transactions += batch.rows.tx_count;
        write_run(&mut self.tx, self.backend, batch).await
    }

    /// Commits every run written.
    pub async fn commit(self) -> Result<(), IndexerError> {
        Ok(self.tx.commit().await?)
    }
}

async fn write_run(
    conn: &mut AnyConnection,
    backend: Backend,
    batch: Batch,
) -> Result<(), IndexerError> {
    let d = u64::from(batch.domain);
    let rows = batch.rows;
    BLOCKS.run(conn, backend, rows.blocks).await?;
    TRANSACTIONS.run(conn, backend, rows.transactions).await?;
    LOGS.run(conn, backend, rows.logs).await?;
    TOKEN_TRANSFERS.run(conn, backend, rows.token_transfers).await?;
    INTERNAL_TRANSFERS.run(conn, backend, rows.internal_transfers).await?;
    MESSAGES.run(conn, backend, rows.messages).await?;
    WITHDRAWALS.run(conn, backend, rows.withdrawals).await?;
    CONTRACTS.run(conn, backend, batch.contracts).await?;
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
    TOKENS.run(conn, backend, tokens).await?;
    update_supplies(conn, d, batch.supplies).await?;
    update_balances(conn, backend, d, batch.balances).await?;
    if let Some(through) = batch.balances_through {
        set_balance_progress(conn, d, through).await?;
    }
    sqlx::query("UPDATE blocks SET final = 1 WHERE domain = $1 AND number <= $2 AND final = 0")
        .bind(d as i64)
        .bind(batch.finalized as i64)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn update_supplies(
    conn: &mut AnyConnection,
    d: u64,
    supplies: Vec<(Address, Option<U256>)>,
) -> Result<(), IndexerError> {
    for (token, supply) in supplies {
        let Value::Bytes(supply) = opt_u256(supply) else { continue };
        sqlx::query("UPDATE tokens SET total_supply = $1 WHERE domain = $2 AND address = $3")
            .bind(supply)
            .bind(d as i64)
            .bind(token.to_vec())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

async fn set_balance_progress(
    conn: &mut AnyConnection,
    d: u64,
    through: u64,
) -> Result<(), IndexerError> {
    sqlx::query(
        "INSERT INTO balance_progress (domain, through_block) VALUES ($1, $2) \
         ON CONFLICT (domain) DO UPDATE SET through_block = excluded.through_block",
    )
    .bind(d as i64)
    .bind(through as i64)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The block of `domain` its touched balances were last read at (`None`: never).
pub async fn balance_progress(
    conn: &mut AnyConnection,
    domain: u32,
) -> Result<Option<u64>, IndexerError> {
    let row = sqlx::query("SELECT through_block FROM balance_progress WHERE domain = $1")
        .bind(i64::from(domain))
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|r| r.try_get::<i64, _>("through_block")).transpose()?.map(|n| n as u64))
}

fn id_bytes(id: Option<U256>) -> Vec<u8> {
    id.map(|i| i.to_be_bytes::<32>().to_vec()).unwrap_or_default()
}

async fn update_balances(
    conn: &mut AnyConnection,
    backend: Backend,
    d: u64,
    balances: Vec<(BalanceKey, U256)>,
) -> Result<(), IndexerError> {
    let (zero, nonzero): (Vec<_>, Vec<_>) = balances.into_iter().partition(|(_, v)| v.is_zero());
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
    BALANCES.run(conn, backend, rows).await?;
    for (k, _) in zero {
        sqlx::query(
            "DELETE FROM balances WHERE domain = $1 AND token = $2 AND holder = $3 AND token_id = $4",
        )
        .bind(d as i64)
        .bind(k.token.to_vec())
        .bind(k.holder.to_vec())
        .bind(id_bytes(k.id))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

fn address_of(bytes: &[u8]) -> Option<Address> {
    (bytes.len() == 20).then(|| Address::from_slice(bytes))
}

/// The balances the indexed rows of `domain` above block `above` touched (every block when
/// `None`), and the tokens they moved: the same keys extraction gathers from those blocks.
pub async fn touched_above(
    conn: &mut AnyConnection,
    domain: u32,
    above: Option<u64>,
) -> Result<(BTreeSet<BalanceKey>, BTreeSet<Address>), IndexerError> {
    let d = i64::from(domain);
    let k = above.map_or(-1, |n| n as i64);
    let mut keys = BTreeSet::new();
    let mut tokens = BTreeSet::new();
    let native = |holder| BalanceKey { token: Address::ZERO, holder, id: None };
    for sql in [
        "SELECT miner AS a FROM blocks WHERE domain = $1 AND number > $2",
        "SELECT from_address AS a FROM transactions WHERE domain = $1 AND block_number > $2",
        "SELECT to_address AS a FROM transactions WHERE domain = $1 AND block_number > $2 AND to_address IS NOT NULL",
        "SELECT contract_address AS a FROM transactions WHERE domain = $1 AND block_number > $2 AND contract_address IS NOT NULL",
        "SELECT from_address AS a FROM internal_transfers WHERE domain = $1 AND block_number > $2",
        "SELECT to_address AS a FROM internal_transfers WHERE domain = $1 AND block_number > $2",
    ] {
        for row in sqlx::query(sql).bind(d).bind(k).fetch_all(&mut *conn).await? {
            if let Some(a) = address_of(&row.try_get::<Vec<u8>, _>("a")?) {
                keys.insert(native(a));
            }
        }
    }
    let transfers = sqlx::query(
        "SELECT t.token, t.from_address, t.to_address, t.token_id, k.kind FROM token_transfers t \
         JOIN tokens k ON k.domain = t.domain AND k.address = t.token \
         WHERE t.domain = $1 AND t.block_number > $2",
    )
    .bind(d)
    .bind(k)
    .fetch_all(&mut *conn)
    .await?;
    for row in transfers {
        let Some(token) = address_of(&row.try_get::<Vec<u8>, _>("token")?) else { continue };
        let multi = row.try_get::<String, _>("kind")? == "ERC-1155";
        let id = row
            .try_get::<Option<Vec<u8>>, _>("token_id")?
            .filter(|_| multi)
            .map(|b| schema::read_u256(&b));
        for column in ["from_address", "to_address"] {
            if let Some(holder) = address_of(&row.try_get::<Vec<u8>, _>(column)?)
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
/// balances and supplies the removed blocks had changed, and those left unread below them.
pub async fn rollback(
    conn: &mut AnyConnection,
    backend: Backend,
    client: &NodeClient,
    domain: u32,
    keep_through: u64,
) -> Result<(), IndexerError> {
    let d = domain as i64;
    let k = keep_through as i64;
    let mut tx = sqlx::Connection::begin(conn).await?;
    let conn: &mut AnyConnection = &mut tx;

    // What the removed blocks touched, and what the kept ones touched unread.
    let read_through = balance_progress(conn, domain).await?;
    let above = read_through.map(|n| n.min(keep_through));
    let (mut keys, tokens) = touched_above(conn, domain, above).await?;

    for sql in [
        "DELETE FROM blocks WHERE domain = $1 AND number > $2",
        "DELETE FROM transactions WHERE domain = $1 AND block_number > $2",
        "DELETE FROM logs WHERE domain = $1 AND block_number > $2",
        "DELETE FROM token_transfers WHERE domain = $1 AND block_number > $2",
        "DELETE FROM internal_transfers WHERE domain = $1 AND block_number > $2",
        "DELETE FROM contracts WHERE domain = $1 AND block_number > $2",
        "DELETE FROM tokens WHERE domain = $1 AND first_block > $2",
        "DELETE FROM messages WHERE source_domain = $1 AND block_number > $2",
        "DELETE FROM withdrawals WHERE domain = $1 AND block_number > $2",
    ] {
        sqlx::query(sql).bind(d).bind(k).execute(&mut *conn).await?;
    }
    // Tokens that no longer exist lose their balance rows; the others are read again.
    let mut surviving = BTreeSet::new();
    for token in &tokens {
        let known = sqlx::query("SELECT 1 AS one FROM tokens WHERE domain = $1 AND address = $2")
            .bind(d)
            .bind(token.to_vec())
            .fetch_optional(&mut *conn)
            .await?
            .is_some();
        if known {
            surviving.insert(*token);
        } else {
            sqlx::query("DELETE FROM balances WHERE domain = $1 AND token = $2")
                .bind(d)
                .bind(token.to_vec())
                .execute(&mut *conn)
                .await?;
        }
    }
    keys.retain(|key| key.token.is_zero() || surviving.contains(&key.token));
    let balances = state::balances(client, &keys, keep_through).await?;
    let supplies = state::supplies(client, &surviving, keep_through).await?;
    update_supplies(conn, domain.into(), supplies).await?;
    update_balances(conn, backend, domain.into(), balances).await?;
    set_balance_progress(conn, domain.into(), keep_through).await?;
    tx.commit().await?;
    Ok(())
}
