-- Lookup indexes a bulk load of a fresh index has dropped and not yet built (see the indexer's
-- `bulk` module): a row leaves in the transaction that builds its index.
CREATE TABLE deferred_indexes (
    name TEXT NOT NULL PRIMARY KEY
);
