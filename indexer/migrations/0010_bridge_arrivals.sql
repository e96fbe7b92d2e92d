-- Where deposits and cross-domain messages arrived: the system transaction that credited an L1
-- deposit (L2Bridge.DepositFinalized / NativeDepositFinalized) or delivered a message
-- (CrossDomain.MessageDelivered). Appended as the receiving domain's blocks are indexed and
-- rolled back with them, so a deposit's or message's stage is read from here and the rows of
-- `deposits` and `messages` are never rewritten.

CREATE TABLE deposit_credits (
    nonce BIGINT NOT NULL PRIMARY KEY,
    domain BIGINT NOT NULL,
    block_number BIGINT NOT NULL,
    tx_hash BYTEA NOT NULL,
    success BIGINT NOT NULL
);
CREATE INDEX deposit_credits_by_block ON deposit_credits (domain, block_number);

CREATE TABLE message_deliveries (
    message_hash BYTEA NOT NULL PRIMARY KEY,
    domain BIGINT NOT NULL,
    block_number BIGINT NOT NULL,
    tx_hash BYTEA NOT NULL,
    success BIGINT NOT NULL
);
CREATE INDEX message_deliveries_by_block ON message_deliveries (domain, block_number);
