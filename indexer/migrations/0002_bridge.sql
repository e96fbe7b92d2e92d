-- Cross-domain messages as their source domain sent them (CrossDomain.MessageSent), and
-- withdrawals to Ethereum as the L2 bridge started them (L2Bridge.WithdrawalInitiated). Later
-- stages (delivered; checkpointed, finalized on Ethereum) update `status` / `stage`.

CREATE TABLE messages (
    message_hash BYTEA NOT NULL PRIMARY KEY,
    source_domain BIGINT NOT NULL,
    nonce BIGINT NOT NULL,
    target_domain BIGINT NOT NULL,
    sender BYTEA NOT NULL,
    target BYTEA NOT NULL,
    value BYTEA NOT NULL,
    data BYTEA NOT NULL,
    block_number BIGINT NOT NULL,
    tx_hash BYTEA NOT NULL,
    log_index BIGINT NOT NULL,
    status TEXT NOT NULL
);
CREATE INDEX messages_by_source ON messages (source_domain, block_number);
CREATE INDEX messages_by_tx ON messages (tx_hash);

CREATE TABLE withdrawals (
    withdrawal_hash BYTEA NOT NULL PRIMARY KEY,
    domain BIGINT NOT NULL,
    nonce BIGINT NOT NULL,
    sender BYTEA NOT NULL,
    l1_recipient BYTEA NOT NULL,
    l1_token BYTEA NOT NULL,
    amount BYTEA NOT NULL,
    block_number BIGINT NOT NULL,
    tx_hash BYTEA NOT NULL,
    log_index BIGINT NOT NULL,
    timestamp BIGINT NOT NULL,
    stage TEXT NOT NULL
);
CREATE INDEX withdrawals_by_domain ON withdrawals (domain, block_number);
CREATE INDEX withdrawals_by_sender ON withdrawals (sender);
CREATE INDEX withdrawals_by_tx ON withdrawals (tx_hash);
