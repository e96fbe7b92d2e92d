-- The block of each domain at which the balances its rows touched were last read. While far
-- behind the head the indexer reads the balances of many runs of blocks at once (every read is
-- a call to the node); after a restart, the rows above this block say which balances are still
-- to be read.
CREATE TABLE balance_progress (
    domain BIGINT NOT NULL PRIMARY KEY,
    through_block BIGINT NOT NULL
);
