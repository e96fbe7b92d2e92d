-- The explorer's lists of the latest blocks and transactions of every domain (`/blocks`,
-- `/txs`), paged by keyset: newest first by time, ties by domain, number and index. Keys grow
-- with the chain, so new rows are appended at the index's end (no random-place inserts, unlike
-- the lookup indexes a bulk load defers). A reorg rollback deletes rows by domain and number,
-- and the index entries go with them. The lists of one domain read the primary keys.
CREATE INDEX blocks_by_time_all ON blocks (timestamp, domain, number);
CREATE INDEX transactions_by_time ON transactions (timestamp, domain, block_number, tx_index);
