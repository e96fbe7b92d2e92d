//! The SQL database: SQLite or PostgreSQL behind one `sqlx::Any` pool, one set of migrations,
//! and multi-row inserts written with `$n` placeholders, which both databases accept. The
//! writer's statements go through [`crate::store`].

use std::{
    borrow::Cow,
    fmt,
    future::Future,
    pin::Pin,
    str::FromStr,
    sync::{Arc, Once},
    time::Duration,
};

use sqlx::{
    AnyConnection, AnyPool, Row,
    any::{AnyConnectOptions, AnyPoolOptions},
    error::BoxDynError,
    migrate::{Migration, MigrationSource, MigrationType, Migrator},
};

use crate::{IndexerError, statement_limit};

/// The migrations, in order. The same SQL runs on both databases.
pub(crate) const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "chain", include_str!("../migrations/0001_chain.sql")),
    (2, "bridge", include_str!("../migrations/0002_bridge.sql")),
    (3, "ethereum", include_str!("../migrations/0003_ethereum.sql")),
    (4, "balance_progress", include_str!("../migrations/0004_balance_progress.sql")),
    (5, "deferred_indexes", include_str!("../migrations/0005_deferred_indexes.sql")),
    (6, "chain_heads", include_str!("../migrations/0006_chain_heads.sql")),
    (7, "indexer_status", include_str!("../migrations/0007_indexer_status.sql")),
    (8, "l1_blocks", include_str!("../migrations/0008_l1_blocks.sql")),
    (9, "trade", include_str!("../migrations/0009_trade.sql")),
    (10, "bridge_arrivals", include_str!("../migrations/0010_bridge_arrivals.sql")),
    (11, "trade_messages_homes", include_str!("../migrations/0011_trade_messages_homes.sql")),
    (12, "list_indexes", include_str!("../migrations/0012_list_indexes.sql")),
    (13, "verified_contracts", include_str!("../migrations/0013_verified_contracts.sql")),
    (14, "holder_ranks", include_str!("../migrations/0014_holder_ranks.sql")),
    (15, "nft_indexes", include_str!("../migrations/0015_nft_indexes.sql")),
    (16, "daily_activity", include_str!("../migrations/0016_daily_activity.sql")),
    (
        17,
        "nft_transfers_by_address",
        include_str!("../migrations/0017_nft_transfers_by_address.sql"),
    ),
    (18, "finality", include_str!("../migrations/0018_finality.sql")),
    (19, "holder_counts", include_str!("../migrations/0019_holder_counts.sql")),
    (20, "list_cursors", include_str!("../migrations/0020_list_cursors.sql")),
];

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// Every SQLite connection's settings. WAL lets the explorer read while the indexer writes;
/// NORMAL keeps every committed batch across a process crash (kill -9), which is what resuming
/// relies on. Memory-mapped reads and a page cache that holds
/// a backfill's hot index pages spare the writer copies and re-reads (the pread copies were 3%
/// of its samples; BENCHMARKS.md measures this together with the decoding change, not alone).
/// Checkpoints are run by a task of their own (see `Checkpoints`).
const SQLITE_PRAGMAS: &[&str] = &[
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA busy_timeout = 10000",
    "PRAGMA cache_size = -262144",
    "PRAGMA mmap_size = 17179869184",
    "PRAGMA temp_store = MEMORY",
    "PRAGMA wal_autocheckpoint = 0",
];

/// A connection pool to the index database.
#[derive(Clone)]
pub struct Database {
    pool: AnyPool,
    backend: Backend,
    /// The URL it was opened with, for [`Database::reader`].
    url: Arc<str>,
    /// SQLite: the task that checkpoints the WAL, stopped when the last handle goes.
    _checkpoints: Option<Arc<Checkpoints>>,
}

/// Copies committed pages from SQLite's WAL into the database file on a connection of its own,
/// so that the writer does not: with the automatic checkpoint, the commit that fills the WAL
/// waits for the copy (10% of the writer thread's samples in a backfill).
struct Checkpoints(tokio::task::JoinHandle<()>);

impl Drop for Checkpoints {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// How often the WAL is checkpointed.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);

async fn checkpoint(pool: AnyPool) {
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        // PASSIVE: copies what no reader still needs, never waits for readers or the writer.
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
            tracing::debug!(error = %e, "WAL checkpoint failed; trying again");
        }
    }
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Database").field("backend", &self.backend).finish()
    }
}

/// Turns what the user typed (`postgres://...`, `sqlite://...` or a file path) into a URL.
pub fn database_url(spec: &str) -> String {
    if spec.starts_with("postgres://")
        || spec.starts_with("postgresql://")
        || spec.starts_with("sqlite:")
    {
        spec.to_string()
    } else {
        format!("sqlite://{spec}?mode=rwc")
    }
}

impl Database {
    /// Connects (creating an SQLite file if needed) and applies the migrations.
    pub async fn connect(spec: &str, max_connections: u32) -> Result<Self, IndexerError> {
        static DRIVERS: Once = Once::new();
        DRIVERS.call_once(sqlx::any::install_default_drivers);
        let url = database_url(spec);
        let backend = if url.starts_with("sqlite:") { Backend::Sqlite } else { Backend::Postgres };
        if backend == Backend::Sqlite {
            statement_limit::install();
        }
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections.max(1))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        for pragma in SQLITE_PRAGMAS {
                            sqlx::query(pragma).execute(&mut *conn).await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        let checkpoints = (backend == Backend::Sqlite)
            .then(|| Arc::new(Checkpoints(tokio::spawn(checkpoint(pool.clone())))));
        let db = Self { pool, backend, url: url.into(), _checkpoints: checkpoints };
        db.migrate().await?;
        Ok(db)
    }

    /// A second pool on the same database for readers that must not hold a connection long (the
    /// explorer): each statement on it fails after `statement_timeout` (PostgreSQL's
    /// `statement_timeout`; on SQLite an interrupt, see [`statement_limit`], and a busy wait cut
    /// to the same time), and a connection is waited for at most twice that. The pool is as large
    /// as this one and connects lazily; the schema is this one's.
    ///
    /// [`statement_limit`]: crate::statement_limit
    pub fn reader(&self, statement_timeout: Duration) -> Result<Self, IndexerError> {
        let ms = statement_timeout.as_millis().clamp(1, u128::from(u32::MAX)) as u64;
        let backend = self.backend;
        let options = AnyConnectOptions::from_str(&self.url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(self.pool.options().get_max_connections())
            .acquire_timeout(statement_timeout.saturating_mul(2).max(Duration::from_secs(1)))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    match backend {
                        Backend::Sqlite => {
                            for pragma in SQLITE_PRAGMAS {
                                sqlx::query(pragma).execute(&mut *conn).await?;
                            }
                            let busy = format!("PRAGMA busy_timeout = {}", ms.min(10_000));
                            sqlx::query(&busy).execute(&mut *conn).await?;
                            let limit = format!("SELECT {}($1)", statement_limit::FUNCTION);
                            sqlx::query(&limit).bind(ms as i64).execute(&mut *conn).await?;
                        }
                        Backend::Postgres => {
                            let set = format!("SET statement_timeout = {ms}");
                            sqlx::query(&set).execute(&mut *conn).await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect_lazy_with(options);
        Ok(Self { pool, backend, url: self.url.clone(), _checkpoints: self._checkpoints.clone() })
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool, for readers (the explorer, tests).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Brings the schema up to date. Two processes opening a new SQLite file at once (an
    /// indexer and an explorer started together) both try to apply the migrations; SQLite has
    /// no lock the migrator could take, so the loser's transaction fails and is rolled back
    /// whole, and it tries again, finding them applied. (PostgreSQL gets an advisory lock.)
    async fn migrate(&self) -> Result<(), IndexerError> {
        let migrator = Migrator::new(Embedded).await?;
        let mut attempt = 0;
        loop {
            match migrator.run(&self.pool).await {
                Ok(()) => return Ok(()),
                Err(e) if attempt < 20 && self.backend == Backend::Sqlite => {
                    attempt += 1;
                    tracing::debug!(error = %e, attempt, "migrations raced another process; retrying");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Highest indexed block of `domain`, with its hash.
    pub async fn head(&self, domain: u32) -> Result<Option<(u64, Vec<u8>)>, IndexerError> {
        let row = sqlx::query(
            "SELECT number, hash FROM blocks WHERE domain = $1 ORDER BY number DESC LIMIT 1",
        )
        .bind(i64::from(domain))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((int(&r, "number")? as u64, r.try_get::<Vec<u8>, _>("hash")?))).transpose()
    }

    /// The stored hash of block `number` of `domain`.
    pub async fn block_hash(
        &self,
        domain: u32,
        number: u64,
    ) -> Result<Option<Vec<u8>>, IndexerError> {
        let row = sqlx::query("SELECT hash FROM blocks WHERE domain = $1 AND number = $2")
            .bind(i64::from(domain))
            .bind(number as i64)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get::<Vec<u8>, _>("hash")).transpose()?)
    }
}

/// Every table the indexer writes, in dump order, with the columns that order its rows
/// (`indexer_status`, which says when the indexer last looked at the node, is left out: it is
/// not part of what was indexed).
pub const TABLES: &[(&str, &str)] = &[
    ("blocks", "domain, number"),
    ("transactions", "domain, block_number, tx_index"),
    ("logs", "domain, block_number, log_index"),
    ("tokens", "domain, address"),
    ("token_transfers", "domain, block_number, log_index, batch_index"),
    ("balances", "domain, token, holder, token_id"),
    ("token_holder_counts", "domain, token"),
    ("balance_progress", "domain"),
    ("contracts", "domain, address"),
    ("internal_transfers", "domain, block_number, tx_index, trace_index"),
    ("messages", "message_hash"),
    ("withdrawals", "withdrawal_hash"),
    ("deposit_credits", "nonce"),
    ("message_deliveries", "message_hash"),
    ("deposits", "nonce"),
    ("checkpoints", "id"),
    ("withdrawal_finalizations", "withdrawal_hash"),
    ("validators", "address"),
    ("delegations", "validator, delegator"),
    ("slashings", "l1_block, log_index"),
    ("allocations", "contract"),
    ("deferred_indexes", "name"),
    ("chain_heads", "domain"),
    ("daily_activity", "domain, day"),
    ("l1_blocks", "number"),
    ("trade_offers", "domain, offer_id"),
    ("trade_events", "domain, block_number, log_index"),
    ("trade_disputes", "domain, dispute_id"),
    ("trade_votes", "domain, block_number, log_index"),
    ("trust_changes", "domain, block_number, log_index"),
    ("trade_edges", "domain, block_number, log_index"),
    ("trade_step_messages", "domain, block_number, log_index"),
    ("home_sets", "domain, block_number, log_index"),
];

impl Database {
    /// Every row of every table as text, in key order: two databases that hold the same index
    /// dump the same text, whichever backend each is.
    pub async fn dump(&self) -> Result<String, IndexerError> {
        let mut out = String::new();
        for (table, order) in TABLES {
            out.push_str(&format!("# {table}\n"));
            let sql = format!("SELECT * FROM {table} ORDER BY {order}");
            for row in sqlx::query(&sql).fetch_all(&self.pool).await? {
                let mut cells = Vec::with_capacity(row.len());
                for i in 0..row.len() {
                    let cell = if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
                        v.map_or("NULL".into(), |v| v.to_string())
                    } else if let Ok(v) = row.try_get::<Option<Vec<u8>>, _>(i) {
                        v.map_or("NULL".into(), |v| {
                            format!("0x{}", alloy_primitives::hex::encode(v))
                        })
                    } else {
                        row.try_get::<Option<String>, _>(i)?
                            .map_or("NULL".into(), |v| format!("{v:?}"))
                    };
                    cells.push(cell);
                }
                out.push_str(&cells.join("|"));
                out.push('\n');
            }
        }
        out.push_str("# indexes\n");
        for name in self.index_names().await? {
            out.push_str(&name);
            out.push('\n');
        }
        Ok(out)
    }

    /// The names of the secondary indexes the schema has now (primary keys left out), sorted.
    pub async fn index_names(&self) -> Result<Vec<String>, IndexerError> {
        let sql = match self.backend {
            Backend::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'index' \
                 AND name NOT LIKE 'sqlite_autoindex_%' ORDER BY name"
            }
            Backend::Postgres => {
                "SELECT indexname::text AS name FROM pg_indexes WHERE schemaname = current_schema() \
                 AND indexname NOT LIKE '%_pkey' ORDER BY indexname"
            }
        };
        let rows = sqlx::query(sql).fetch_all(&self.pool).await?;
        rows.iter().map(|row| Ok(row.try_get::<String, _>("name")?)).collect()
    }
}

/// Reads an integer column (SQLite and PostgreSQL both hand back BIGINT as i64).
pub(crate) fn int(row: &sqlx::any::AnyRow, column: &str) -> Result<i64, IndexerError> {
    Ok(row.try_get::<i64, _>(column)?)
}

#[derive(Debug)]
struct Embedded;

impl MigrationSource<'static> for Embedded {
    fn resolve(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxDynError>> + Send + 'static>> {
        Box::pin(async {
            Ok(MIGRATIONS
                .iter()
                .map(|(version, name, sql)| {
                    Migration::new(
                        *version,
                        Cow::Borrowed(name),
                        MigrationType::Simple,
                        Cow::Borrowed(sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

/// One value of a row to insert. Nulls carry their type because PostgreSQL wants typed nulls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// BIGINT.
    Int(Option<i64>),
    /// BYTEA.
    Bytes(Option<Vec<u8>>),
    /// TEXT.
    Text(Option<String>),
}

impl From<u64> for Value {
    fn from(v: u64) -> Self {
        Value::Int(Some(v as i64))
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Bytes(Some(v))
    }
}
impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Self {
        Value::Bytes(Some(v.to_vec()))
    }
}

/// A multi-row `INSERT` of one table.
#[derive(Debug, Clone, Copy)]
pub struct Insert {
    /// Table name.
    pub table: &'static str,
    /// Column names, in the order of each row's values.
    pub columns: &'static [&'static str],
    /// What follows the VALUES list (an `ON CONFLICT` clause, or empty).
    pub tail: &'static str,
}

/// Rows per multi-row statement, largest first. Only these sizes are ever prepared, so each
/// connection caches a handful of statements per table instead of one per batch length (a
/// prepared statement with thousands of parameters is large, and preparing it is not free).
const CHUNK_ROWS: [usize; 5] = [256, 64, 16, 4, 1];

impl Insert {
    /// The statement for `rows` rows. PostgreSQL numbers its parameters (`$n`); SQLite gets
    /// anonymous `?`, because resolving thousands of numbered names costs it quadratic time.
    fn sql(&self, rows: usize, backend: Backend) -> String {
        let cols = self.columns.len();
        // SQLite: OR FAIL stops a statement at a constraint failure without undoing its rows
        // (the writer rolls the whole transaction back then anyway), which spares SQLite a
        // journal, per statement, of the pages it changes (15% of the writer thread's samples).
        let verb = match backend {
            Backend::Postgres => "INSERT",
            Backend::Sqlite => "INSERT OR FAIL",
        };
        let mut sql = format!("{verb} INTO {} ({}) VALUES ", self.table, self.columns.join(", "));
        for r in 0..rows {
            if r > 0 {
                sql.push(',');
            }
            sql.push('(');
            for c in 0..cols {
                if c > 0 {
                    sql.push(',');
                }
                match backend {
                    Backend::Postgres => {
                        sql.push('$');
                        sql.push_str(&(r * cols + c + 1).to_string());
                    }
                    Backend::Sqlite => sql.push('?'),
                }
            }
            sql.push(')');
        }
        sql.push(' ');
        sql.push_str(self.tail);
        sql
    }

    /// Inserts `rows` in statements of [`CHUNK_ROWS`] rows.
    pub async fn run(
        &self,
        conn: &mut AnyConnection,
        backend: Backend,
        rows: Vec<Vec<Value>>,
    ) -> Result<(), IndexerError> {
        let mut left = rows.len();
        let mut rows = rows.into_iter();
        while left > 0 {
            let size = CHUNK_ROWS.into_iter().find(|s| *s <= left).unwrap_or(1);
            left -= size;
            let chunk: Vec<Vec<Value>> = rows.by_ref().take(size).collect();
            let sql = self.sql(chunk.len(), backend);
            let mut query = sqlx::query(&sql);
            for row in chunk {
                debug_assert_eq!(row.len(), self.columns.len(), "{}", self.table);
                for value in row {
                    query = match value {
                        Value::Int(v) => query.bind(v),
                        Value::Bytes(v) => query.bind(v),
                        Value::Text(v) => query.bind(v),
                    };
                }
            }
            query.execute(&mut *conn).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_across_rows() {
        let insert = Insert { table: "t", columns: &["a", "b"], tail: "ON CONFLICT DO NOTHING" };
        assert_eq!(
            insert.sql(2, Backend::Postgres),
            "INSERT INTO t (a, b) VALUES ($1,$2),($3,$4) ON CONFLICT DO NOTHING"
        );
        assert_eq!(
            insert.sql(2, Backend::Sqlite),
            "INSERT OR FAIL INTO t (a, b) VALUES (?,?),(?,?) ON CONFLICT DO NOTHING"
        );
    }

    #[test]
    fn paths_become_sqlite_urls() {
        assert_eq!(database_url("/x/index.db"), "sqlite:///x/index.db?mode=rwc");
        assert_eq!(database_url("postgres://u@h/db"), "postgres://u@h/db");
    }
}
