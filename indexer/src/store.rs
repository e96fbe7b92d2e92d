//! The connection the writer writes through, and the few statement shapes it needs.
//!
//! Everything goes through the sqlx pool, for SQLite and PostgreSQL alike. (A writer with an
//! SQLite connection of its own, through rusqlite, was 3.5% faster once a fresh index is
//! bulk-loaded, too little for a second driver: BENCHMARKS.md, "seventh day".)

use sqlx::{Any, AnyPool, Row as _};

use crate::{
    IndexerError,
    db::{Backend, Database, Insert, Value},
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

/// The writer's statements: inside its open transaction, or on the pool outside one.
#[derive(Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// The open transaction, if any; dropped unfinished, sqlx rolls it back.
    tx: Option<sqlx::Transaction<'static, Any>>,
    /// Whether balance writes keep `token_holder_counts` current. Off during a bulk load,
    /// which counts every token's holders once at its end ([`crate::bulk::finish`]): checking
    /// each written balance for an existing row took a PostgreSQL backfill of 1,008,004
    /// transactions from 94.8 s to 173.4 s (BENCHMARKS.md, "The same pages on PostgreSQL").
    pub holder_counts: bool,
}

impl Store {
    /// A store on `db`'s pool, with no transaction open.
    pub fn new(db: &Database) -> Self {
        Store { pool: db.pool().clone(), backend: db.backend(), tx: None, holder_counts: true }
    }

    /// Opens a transaction; it is an error to open one inside another. SQLite takes the write
    /// lock at once (IMMEDIATE), waiting out other writers, rather than failing on a later
    /// write when another connection wrote after this one read.
    pub async fn begin(&mut self) -> Result<(), IndexerError> {
        if self.tx.is_some() {
            return Err(IndexerError::Config("a transaction is already open".into()));
        }
        self.tx = Some(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        });
        Ok(())
    }

    /// Commits the open transaction.
    pub async fn commit(&mut self) -> Result<(), IndexerError> {
        match self.tx.take() {
            Some(tx) => Ok(tx.commit().await?),
            None => Err(IndexerError::Config("no transaction to commit".into())),
        }
    }

    /// Drops the open transaction, if any: the database rolls it back.
    pub fn abort(&mut self) {
        self.tx = None;
    }

    /// Runs one statement with `$1..$n` parameters; returns the rows it changed.
    pub async fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, IndexerError> {
        let query = bind_any(sqlx::query(sql), params);
        let done = match &mut self.tx {
            Some(tx) => query.execute(&mut **tx).await?,
            None => query.execute(&self.pool).await?,
        };
        Ok(done.rows_affected())
    }

    /// Runs one query with `$1..$n` parameters; returns its rows, column `i` read as `kinds[i]`.
    pub async fn fetch(
        &mut self,
        sql: &str,
        params: &[Value],
        kinds: &[Kind],
    ) -> Result<Vec<Row>, IndexerError> {
        let query = bind_any(sqlx::query(sql), params);
        let rows = match &mut self.tx {
            Some(tx) => query.fetch_all(&mut **tx).await?,
            None => query.fetch_all(&self.pool).await?,
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

    /// Inserts `rows` into the table of `insert`.
    pub async fn insert(&mut self, insert: &Insert, rows: Vec<Row>) -> Result<(), IndexerError> {
        if rows.is_empty() {
            return Ok(());
        }
        match &mut self.tx {
            Some(tx) => insert.run(tx, self.backend, rows).await,
            None => insert.run(&mut *self.pool.acquire().await?, self.backend, rows).await,
        }
    }
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
