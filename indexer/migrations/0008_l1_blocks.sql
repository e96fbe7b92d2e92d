-- Hashes of Ethereum blocks the indexer has read: the last block of every range, and every
-- block a row came from. After an Ethereum reorg, the highest of them still on the node's chain
-- is the common ancestor to keep up to: every row from above it came from a block listed above
-- it, and so from a block the reorg dropped.
CREATE TABLE l1_blocks (
    number BIGINT NOT NULL PRIMARY KEY,
    hash BYTEA NOT NULL
);
INSERT INTO l1_blocks (number, hash) SELECT block_number, block_hash FROM l1_cursor;
