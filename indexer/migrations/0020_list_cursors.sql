-- Lists the explorer pages by keyset cursor in these orders, so that a deep page reads what it
-- shows and sorts nothing: withdrawals newest first across domains, tokens in the order they
-- first appeared, a token's transfers newest first to the last tie; and the bridge page's
-- latest messages, read from the end of an index instead of sorting every message. (Deposits
-- and checkpoints are listed by their primary keys.)
CREATE INDEX withdrawals_by_time ON withdrawals (timestamp, domain, nonce);
CREATE INDEX tokens_by_first_block ON tokens (domain, first_block, address);
CREATE INDEX messages_by_block ON messages (block_number, message_hash);
-- A lookup index that a bulk load leaves out and builds at its end (`bulk.rs`), which replaces
-- `token_transfers_by_token` (token, domain, block_number), a prefix of it. An index in the
-- middle of a bulk load gets it now and keeps it up for the rest of the load.
DROP INDEX IF EXISTS token_transfers_by_token;
DELETE FROM deferred_indexes WHERE name = 'token_transfers_by_token';
CREATE INDEX token_transfers_by_token_order ON token_transfers (token, domain, block_number,
    log_index, batch_index);
