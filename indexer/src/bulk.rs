//! Loading a fresh index without its lookup indexes, and building them once it has caught up.
//!
//! The lookup indexes (transactions by hash and by address, logs by address, token and internal
//! transfers by token and address) are keyed by values that land each new row at a random
//! place, so inserting into them was more than half of SQLite's insert time in a backfill
//! (`scripts/sqlite-insert-floor.py`: 39.5 µs per transaction with them, 16.2 without); building
//! one from the finished table is a sort and a sequential write (BENCHMARKS.md, "seventh day").
//! This is how databases are bulk-loaded (PostgreSQL's "Populating a Database"), and how Erigon
//! builds its transaction-lookup index in a stage of its own.
//!
//! The indexes left out are recorded in `deferred_indexes` in the same transaction that drops
//! them, and each is removed from it in the transaction that builds it, so a kill at any point
//! leaves a database that the next run finishes the same way.

use tracing::info;

use crate::{
    IndexerError,
    db::{MIGRATIONS, Value},
    schema::text,
    store::{Kind, Store},
};

/// The lookup indexes a bulk load leaves out, by name.
pub const LOOKUP_INDEXES: &[&str] = &[
    "transactions_by_hash",
    "transactions_by_from",
    "transactions_by_to",
    "logs_by_address",
    "token_transfers_by_token_order",
    "token_transfers_by_from",
    "token_transfers_by_to",
    "internal_transfers_by_tx",
    "internal_transfers_by_from",
    "internal_transfers_by_to",
];

/// `CREATE INDEX name ON ...` as the latest migration that creates it writes it, if one does: a
/// bulk load builds each index with that statement, so the index built is the one a migrated
/// database has.
fn create_statement(name: &str) -> Option<&'static str> {
    MIGRATIONS.iter().rev().find_map(|(_, _, sql)| {
        let start = sql.find(&format!("CREATE INDEX {name} ON "))?;
        let len = sql[start..].find(';')?;
        Some(&sql[start..start + len])
    })
}

/// The lookup indexes a bulk load has left out and not built yet, in [`LOOKUP_INDEXES`] order.
pub async fn deferred(store: &mut Store) -> Result<Vec<&'static str>, IndexerError> {
    let rows = store.fetch("SELECT name FROM deferred_indexes", &[], &[Kind::Text]).await?;
    let names: Vec<Option<String>> = rows
        .into_iter()
        .map(|row| match row.into_iter().next() {
            Some(Value::Text(name)) => name,
            _ => None,
        })
        .collect();
    if let Some(unknown) =
        names.iter().find(|n| !LOOKUP_INDEXES.iter().any(|known| Some(*known) == n.as_deref()))
    {
        return Err(IndexerError::Corrupt {
            table: "deferred_indexes",
            message: format!("unknown index {unknown:?}"),
        });
    }
    Ok(LOOKUP_INDEXES
        .iter()
        .copied()
        .filter(|known| names.iter().any(|n| n.as_deref() == Some(*known)))
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
        for name in LOOKUP_INDEXES {
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

/// Counts every token's holders (the load did not keep the counts), then builds every lookup
/// index the bulk load left out, each in a transaction of its own. A kill before the last
/// index leaves the load unfinished, so the next run counts again.
pub async fn finish(store: &mut Store) -> Result<(), IndexerError> {
    store.begin().await?;
    store.execute("DELETE FROM token_holder_counts", &[]).await?;
    store
        .execute(
            "INSERT INTO token_holder_counts (domain, token, holders) \
             SELECT domain, token, COUNT(*) FROM balances GROUP BY domain, token",
            &[],
        )
        .await?;
    store.commit().await?;
    for name in deferred(store).await? {
        let create = create_statement(name)
            .ok_or_else(|| IndexerError::Config(format!("no migration creates {name}")))?;
        let started = std::time::Instant::now();
        store.begin().await?;
        // An earlier run may have built it and been killed before its commit; the index and the
        // row leave together, so IF NOT EXISTS only guards against a hand-made one.
        let create = create.replacen("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1);
        store.execute(&create, &[]).await?;
        store.execute("DELETE FROM deferred_indexes WHERE name = $1", &[text(name)]).await?;
        store.commit().await?;
        info!(index = name, ms = started.elapsed().as_millis() as u64, "lookup index built");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every lookup index is one the migration creates, so each can be built again.
    #[test]
    fn every_lookup_index_has_its_migration_statement() {
        for name in LOOKUP_INDEXES {
            let create = create_statement(name).unwrap_or_else(|| panic!("{name} not created"));
            assert!(
                create.starts_with(&format!("CREATE INDEX {name} ON ")) && create.ends_with(')')
            );
        }
        assert_eq!(
            create_statement("transactions_by_hash"),
            Some("CREATE INDEX transactions_by_hash ON transactions (hash)")
        );
        assert!(
            create_statement("token_transfers_by_token_order")
                .is_some_and(|c| c.ends_with("block_number,\n    log_index, batch_index)"))
        );
        assert_eq!(create_statement("no_such_index"), None);
    }
}
