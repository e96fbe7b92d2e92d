//! The connection the writer writes through, and the few statement shapes it needs.
//!
//! PostgreSQL goes through the sqlx pool. SQLite gets a connection of its own through rusqlite,
//! on the same SQLite library sqlx links: the backfill is bound by that one connection, and
//! rusqlite binds each value straight into a prepared one-row statement, where sqlx's Any
//! driver converted and copied every value on the way (BENCHMARKS.md, "fifth day").

use sqlx::{Any, AnyPool, Row as _};

use crate::{
    IndexerError,
    db::{Backend, Database, Insert, SQLITE_PRAGMAS, Value},
};

/// What a column of a query's result is read as (`Value` of that kind, NULL allowed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// BIGINT.
    Int,
    /// BYTEA.
    Bytes,
    /// TEXT.
    Text,
}

/// A result row: one `Value` per column, of the kinds asked for.
pub type Row = Vec<Value>;

/// Statements a connection keeps prepared: every insert of a run, the updates and the
/// rollback's deletes, with room to spare.
const SQLITE_STATEMENTS: usize = 64;

/// The writer's connection (or, for reads outside a transaction, the pool).
pub enum Store {
    /// Through the sqlx pool; `tx` is the open transaction.
    Any {
        /// The pool.
        pool: AnyPool,
        /// Which database the pool reaches.
        backend: Backend,
        /// The open transaction, if any.
        tx: Option<sqlx::Transaction<'static, Any>>,
    },
    /// SQLite's own connection. A transaction left open when it is dropped is rolled back by
    /// SQLite as the connection closes.
    Sqlite(rusqlite::Connection),
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Store::Any { .. } => "Store::Any",
            Store::Sqlite(_) => "Store::Sqlite",
        })
    }
}

impl Store {
    /// The connection the writer keeps for its life. On SQLite that is one connection: an SQLite
    /// connection drops its page cache when another connection has written since its last
    /// transaction, so changing connections would start most commits with a cold cache.
    pub fn writer(db: &Database) -> Result<Self, IndexerError> {
        let Some(path) = db.sqlite_path() else { return Ok(Self::reader(db)) };
        let conn = rusqlite::Connection::open(path)?;
        for pragma in SQLITE_PRAGMAS {
            // Some pragmas answer with a row (journal_mode, mmap_size): read and drop it.
            conn.query_row(pragma, [], |_| Ok(())).or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(()),
                e => Err(e),
            })?;
        }
        conn.set_prepared_statement_cache_capacity(SQLITE_STATEMENTS);
        Ok(Store::Sqlite(conn))
    }

    /// Through the pool: reads outside a transaction, and the writer's PostgreSQL connection.
    pub fn reader(db: &Database) -> Self {
        Store::Any { pool: db.pool().clone(), backend: db.backend(), tx: None }
    }

    /// Opens a transaction; it is an error to open one inside another. SQLite takes the write
    /// lock at once (IMMEDIATE), waiting out other writers, rather than failing on a later
    /// write when another connection wrote after this one read.
    pub async fn begin(&mut self) -> Result<(), IndexerError> {
        match self {
            Store::Any { tx: Some(_), .. } => {
                Err(IndexerError::Config("a transaction is already open".into()))
            }
            Store::Any { pool, tx, .. } => {
                *tx = Some(pool.begin().await?);
                Ok(())
            }
            Store::Sqlite(conn) => Ok(blocking(|| conn.execute_batch("BEGIN IMMEDIATE"))?),
        }
    }

    /// Commits the open transaction.
    pub async fn commit(&mut self) -> Result<(), IndexerError> {
        match self {
            Store::Any { tx, .. } => match tx.take() {
                Some(tx) => Ok(tx.commit().await?),
                None => Err(IndexerError::Config("no transaction to commit".into())),
            },
            Store::Sqlite(conn) => Ok(blocking(|| conn.execute_batch("COMMIT"))?),
        }
    }

    /// Runs one statement with `$1..$n` parameters; returns the rows it changed.
    pub async fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, IndexerError> {
        match self {
            Store::Any { pool, tx, .. } => {
                let query = bind_any(sqlx::query(sql), params);
                let done = match tx {
                    Some(tx) => query.execute(&mut **tx).await?,
                    None => query.execute(&*pool).await?,
                };
                Ok(done.rows_affected())
            }
            Store::Sqlite(conn) => blocking(|| {
                let mut stmt = conn.prepare_cached(sql)?;
                bind_sqlite(&mut stmt, params)?;
                Ok(stmt.raw_execute()? as u64)
            }),
        }
    }

    /// Runs one query with `$1..$n` parameters; returns its rows, column `i` read as `kinds[i]`.
    pub async fn fetch(
        &mut self,
        sql: &str,
        params: &[Value],
        kinds: &[Kind],
    ) -> Result<Vec<Row>, IndexerError> {
        match self {
            Store::Any { pool, tx, .. } => {
                let query = bind_any(sqlx::query(sql), params);
                let rows = match tx {
                    Some(tx) => query.fetch_all(&mut **tx).await?,
                    None => query.fetch_all(&*pool).await?,
                };
                rows.iter()
                    .map(|row| {
                        kinds
                            .iter()
                            .enumerate()
                            .map(|(i, kind)| {
                                Ok(match kind {
                                    Kind::Int => Value::Int(row.try_get(i)?),
                                    Kind::Bytes => Value::Bytes(row.try_get(i)?),
                                    Kind::Text => Value::Text(row.try_get(i)?),
                                })
                            })
                            .collect::<Result<Row, sqlx::Error>>()
                    })
                    .collect::<Result<_, _>>()
                    .map_err(Into::into)
            }
            Store::Sqlite(conn) => blocking(|| {
                let mut stmt = conn.prepare_cached(sql)?;
                bind_sqlite(&mut stmt, params)?;
                let mut rows = stmt.raw_query();
                let mut out = Vec::new();
                while let Some(row) = rows.next()? {
                    let mut values = Vec::with_capacity(kinds.len());
                    for (i, kind) in kinds.iter().enumerate() {
                        values.push(sqlite_value(row.get_ref(i)?, i, *kind, sql)?);
                    }
                    out.push(values);
                }
                Ok(out)
            }),
        }
    }

    /// Inserts `rows` into the table of `insert`.
    pub async fn insert(&mut self, insert: &Insert, rows: Vec<Row>) -> Result<(), IndexerError> {
        if rows.is_empty() {
            return Ok(());
        }
        match self {
            Store::Any { pool, backend, tx } => match tx {
                Some(tx) => insert.run(tx, *backend, rows).await,
                None => insert.run(&mut *pool.acquire().await?, *backend, rows).await,
            },
            Store::Sqlite(conn) => blocking(|| {
                let mut stmt = conn.prepare_cached(&insert.sql(1, Backend::Sqlite))?;
                for row in &rows {
                    // A short row would leave the last row's values bound in its place.
                    if row.len() != insert.columns.len() {
                        return Err(rusqlite::Error::InvalidParameterCount(
                            row.len(),
                            insert.columns.len(),
                        ));
                    }
                    for (i, value) in row.iter().enumerate() {
                        bind_one(&mut stmt, i + 1, value)?;
                    }
                    stmt.raw_execute()?;
                }
                Ok(())
            }),
        }
    }
}

/// Runs SQLite work on this thread, telling a multi-threaded runtime to move its other tasks
/// elsewhere meanwhile; a single-threaded runtime (tests) just runs it.
fn blocking<T>(work: impl FnOnce() -> Result<T, rusqlite::Error>) -> Result<T, IndexerError> {
    let multi = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    let result = if multi { tokio::task::block_in_place(work) } else { work() };
    Ok(result?)
}

fn bind_any<'q>(
    mut query: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    params: &[Value],
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
    for value in params {
        query = match value.clone() {
            Value::Int(v) => query.bind(v),
            Value::Bytes(v) => query.bind(v),
            Value::Text(v) => query.bind(v),
        };
    }
    query
}

/// Binds `$1..$n` by name: SQLite numbers named parameters in order of first appearance, which
/// need not be the order of their numbers.
fn bind_sqlite(stmt: &mut rusqlite::CachedStatement<'_>, params: &[Value]) -> rusqlite::Result<()> {
    for (i, value) in params.iter().enumerate() {
        match stmt.parameter_index(&format!("${}", i + 1))? {
            Some(index) => bind_one(stmt, index, value)?,
            None => return Err(rusqlite::Error::InvalidParameterName(format!("${}", i + 1))),
        }
    }
    Ok(())
}

fn bind_one(
    stmt: &mut rusqlite::CachedStatement<'_>,
    index: usize,
    value: &Value,
) -> rusqlite::Result<()> {
    match value {
        Value::Int(v) => stmt.raw_bind_parameter(index, v),
        Value::Bytes(v) => stmt.raw_bind_parameter(index, v),
        Value::Text(v) => stmt.raw_bind_parameter(index, v),
    }
}

fn sqlite_value(
    value: rusqlite::types::ValueRef<'_>,
    column: usize,
    kind: Kind,
    sql: &str,
) -> rusqlite::Result<Value> {
    use rusqlite::types::ValueRef;
    Ok(match (kind, value) {
        (Kind::Int, ValueRef::Null) => Value::Int(None),
        (Kind::Bytes, ValueRef::Null) => Value::Bytes(None),
        (Kind::Text, ValueRef::Null) => Value::Text(None),
        (Kind::Int, ValueRef::Integer(v)) => Value::Int(Some(v)),
        (Kind::Bytes, ValueRef::Blob(v)) => Value::Bytes(Some(v.to_vec())),
        (Kind::Text, ValueRef::Text(v)) => Value::Text(Some(String::from_utf8_lossy(v).into())),
        (_, other) => {
            return Err(rusqlite::Error::InvalidColumnType(
                column,
                format!("{kind:?} in {sql}"),
                other.data_type(),
            ));
        }
    })
}
