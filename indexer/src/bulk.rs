//! Loading a fresh index without its lookup indexes, and building them once it has caught up.
//!
//! The lookup indexes (transactions by hash and by address, logs by address, token and internal
//! transfers by token and address) are keyed by values that land each new row at a random
//! place, so inserting into them was half of the writer's SQLite time in a backfill; building one
//! from the finished table is a sort and a sequential write (BENCHMARKS.md, "seventh day"). This
//! is how databases are bulk-loaded (PostgreSQL's "Populating a Database"), and how Erigon builds
//! its transaction-lookup index in a stage of its own.
//!
//! The indexes left out are recorded in `deferred_indexes` in the same transaction that drops
//! them, and each is removed from it in the transaction that builds it, so a kill at any point
//! leaves a database that the next run finishes the same way.

use tracing::info;

use crate::{
    IndexerError,
    db::Value,
    schema::text,
    store::{Kind, Store},
};

/// The lookup indexes a bulk load leaves out, as `migrations/0001_chain.sql` creates them.
pub const LOOKUP_INDEXES: &[(&str, &str)] = &[
    ("transactions_by_hash", "CREATE INDEX transactions_by_hash ON transactions (hash)"),
    (
        "transactions_by_from",
        "CREATE INDEX transactions_by_from ON transactions (from_address, timestamp)",
    ),
    (
        "transactions_by_to",
        "CREATE INDEX transactions_by_to ON transactions (to_address, timestamp)",
    ),
    ("logs_by_address", "CREATE INDEX logs_by_address ON logs (address, domain, block_number)"),
    (
        "token_transfers_by_token",
        "CREATE INDEX token_transfers_by_token ON token_transfers (token, domain, block_number)",
    ),
    (
        "token_transfers_by_from",
        "CREATE INDEX token_transfers_by_from ON token_transfers (from_address, timestamp)",
    ),
    (
        "token_transfers_by_to",
        "CREATE INDEX token_transfers_by_to ON token_transfers (to_address, timestamp)",
    ),
    (
        "internal_transfers_by_tx",
        "CREATE INDEX internal_transfers_by_tx ON internal_transfers (tx_hash)",
    ),
    (
        "internal_transfers_by_from",
        "CREATE INDEX internal_transfers_by_from ON internal_transfers (from_address, timestamp)",
    ),
    (
        "internal_transfers_by_to",
        "CREATE INDEX internal_transfers_by_to ON internal_transfers (to_address, timestamp)",
    ),
];

/// The lookup indexes a bulk load has left out and not built yet (name, statement), in
/// [`LOOKUP_INDEXES`] order.
pub async fn deferred(
    store: &mut Store,
) -> Result<Vec<&'static (&'static str, &'static str)>, IndexerError> {
    let rows = store.fetch("SELECT name FROM deferred_indexes", &[], &[Kind::Text]).await?;
    let names: Vec<Option<String>> = rows
        .into_iter()
        .map(|row| match row.into_iter().next() {
            Some(Value::Text(name)) => name,
            _ => None,
        })
        .collect();
    if let Some(unknown) =
        names.iter().find(|n| !LOOKUP_INDEXES.iter().any(|(known, _)| Some(*known) == n.as_deref()))
    {
        return Err(IndexerError::Corrupt {
            table: "deferred_indexes",
            message: format!("unknown index {unknown:?}"),
        });
    }
    Ok(LOOKUP_INDEXES
        .iter()
        .filter(|(known, _)| names.iter().any(|n| n.as_deref() == Some(*known)))
        .collect())
}

/// Makes this run a bulk load if an earlier run's bulk load has not finished, or if `allowed` and
/// the index holds no block yet (dropping the lookup indexes); returns whether it is one. A
/// started bulk load is finished even when this run was not allowed to start one, so its
/// indexes are never left out for good.
pub async fn begin(store: &mut Store, allowed: bool) -> Result<bool, IndexerError> {
    if !deferred(store).await?.is_empty() {
        info!("resuming a bulk load: lookup indexes are built once every domain has caught up");
        return Ok(true);
    }
    if !allowed {
        return Ok(false);
    }
    store.begin().await?;
    let fresh = store.fetch("SELECT 1 FROM blocks LIMIT 1", &[], &[Kind::Int]).await?.is_empty();
    if fresh {
        for (name, _) in LOOKUP_INDEXES {
            store
                .execute("INSERT INTO deferred_indexes (name) VALUES ($1)", &[text(*name)])
                .await?;
            store.execute(&format!("DROP INDEX IF EXISTS {name}"), &[]).await?;
        }
        info!("fresh index: loading without lookup indexes, built once every domain has caught up");
    }
    store.commit().await?;
    Ok(fresh)
}

/// Builds every lookup index the bulk load left out, each in a transaction of its own.
pub async fn finish(store: &mut Store) -> Result<(), IndexerError> {
    for (name, create) in deferred(store).await? {
        let started = std::time::Instant::now();
        store.begin().await?;
        // An earlier run may have built it and been killed before its commit; the index and the
        // row leave together, so IF NOT EXISTS only guards against a hand-made one.
        let create = create.replacen("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1);
        store.execute(&create, &[]).await?;
        store.execute("DELETE FROM deferred_indexes WHERE name = $1", &[text(*name)]).await?;
        store.commit().await?;
        info!(index = *name, ms = started.elapsed().as_millis() as u64, "lookup index built");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The statements here are the migration's, so a built index is the one a migrated
    /// database would have had.
    #[test]
    fn lookup_indexes_are_the_migrations() {
        let migration = include_str!("../migrations/0001_chain.sql");
        for (name, create) in LOOKUP_INDEXES {
            assert!(
                migration.contains(&format!("{create};")),
                "{name} differs from 0001_chain.sql"
            );
            assert!(create.starts_with(&format!("CREATE INDEX {name} ON ")));
        }
    }
}
