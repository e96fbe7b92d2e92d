-- One schema for SQLite and PostgreSQL: only types both understand. Hashes, addresses and byte
-- strings are BYTEA; 256-bit amounts are 32-byte big-endian BYTEA, which both databases compare
-- byte by byte, so ORDER BY on them is numeric order. Every row of a domain's chain carries its
-- domain and block number, which is what a reorg rollback deletes by.

CREATE TABLE blocks (
    domain BIGINT NOT NULL,
    number BIGINT NOT NULL,
    hash BYTEA NOT NULL,
    parent_hash BYTEA NOT NULL,
    timestamp BIGINT NOT NULL,
    miner BYTEA NOT NULL,
    gas_used BIGINT NOT NULL,
    gas_limit BIGINT NOT NULL,
    base_fee BIGINT,
    tx_count BIGINT NOT NULL,
    size BIGINT NOT NULL,
    state_root BYTEA NOT NULL,
    extra_data BYTEA NOT NULL,
    final BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (domain, number)
);
CREATE INDEX blocks_by_hash ON blocks (hash);
CREATE INDEX blocks_by_time ON blocks (domain, timestamp);

-- Transactions with their receipt fields (one row per transaction, as Blockscout keeps them).
CREATE TABLE transactions (
    domain BIGINT NOT NULL,
    block_number BIGINT NOT NULL,
    tx_index BIGINT NOT NULL,
    hash BYTEA NOT NULL,
    from_address BYTEA NOT NULL,
    to_address BYTEA,
    value BYTEA NOT NULL,
    nonce BIGINT NOT NULL,
    gas BIGINT NOT NULL,
    tx_type BIGINT NOT NULL,
    max_fee_per_gas BYTEA,
    max_priority_fee_per_gas BYTEA,
    input BYTEA NOT NULL,
    timestamp BIGINT NOT NULL,
    status BIGINT NOT NULL,
    gas_used BIGINT NOT NULL,
    cumulative_gas_used BIGINT NOT NULL,
    effective_gas_price BYTEA NOT NULL,
    contract_address BYTEA,
    first_log_index BIGINT NOT NULL,
    log_count BIGINT NOT NULL,
    PRIMARY KEY (domain, block_number, tx_index)
);
CREATE INDEX transactions_by_hash ON transactions (hash);
CREATE INDEX transactions_by_from ON transactions (from_address, timestamp);
CREATE INDEX transactions_by_to ON transactions (to_address, timestamp);

CREATE TABLE logs (
    domain BIGINT NOT NULL,
    block_number BIGINT NOT NULL,
    log_index BIGINT NOT NULL,
    tx_index BIGINT NOT NULL,
    tx_hash BYTEA NOT NULL,
    address BYTEA NOT NULL,
    topic0 BYTEA,
    topic1 BYTEA,
    topic2 BYTEA,
    topic3 BYTEA,
    data BYTEA NOT NULL,
    PRIMARY KEY (domain, block_number, log_index)
);
CREATE INDEX logs_by_address ON logs (address, domain, block_number);

-- Contracts that emitted ERC-20/721/1155 transfer events, with the metadata read from them.
CREATE TABLE tokens (
    domain BIGINT NOT NULL,
    address BYTEA NOT NULL,
    kind TEXT NOT NULL,
    name TEXT,
    symbol TEXT,
    decimals BIGINT,
    total_supply BYTEA,
    first_block BIGINT NOT NULL,
    PRIMARY KEY (domain, address)
);
CREATE INDEX tokens_by_symbol ON tokens (symbol);
CREATE INDEX tokens_by_name ON tokens (name);

CREATE TABLE token_transfers (
    domain BIGINT NOT NULL,
    block_number BIGINT NOT NULL,
    log_index BIGINT NOT NULL,
    batch_index BIGINT NOT NULL,
    tx_hash BYTEA NOT NULL,
    timestamp BIGINT NOT NULL,
    token BYTEA NOT NULL,
    from_address BYTEA NOT NULL,
    to_address BYTEA NOT NULL,
    amount BYTEA,
    token_id BYTEA,
    PRIMARY KEY (domain, block_number, log_index, batch_index)
);
CREATE INDEX token_transfers_by_token ON token_transfers (token, domain, block_number);
CREATE INDEX token_transfers_by_from ON token_transfers (from_address, timestamp);
CREATE INDEX token_transfers_by_to ON token_transfers (to_address, timestamp);

-- Current balances, native (token = the zero address) and token, as the node reports them at the
-- last indexed block. token_id is empty except for ERC-1155. Zero balances have no row.
CREATE TABLE balances (
    domain BIGINT NOT NULL,
    token BYTEA NOT NULL,
    holder BYTEA NOT NULL,
    token_id BYTEA NOT NULL,
    balance BYTEA NOT NULL,
    PRIMARY KEY (domain, token, holder, token_id)
);
CREATE INDEX balances_by_holder ON balances (holder);
CREATE INDEX balances_by_amount ON balances (domain, token, balance);

CREATE TABLE contracts (
    domain BIGINT NOT NULL,
    address BYTEA NOT NULL,
    creator BYTEA NOT NULL,
    tx_hash BYTEA NOT NULL,
    block_number BIGINT NOT NULL,
    code BYTEA NOT NULL,
    PRIMARY KEY (domain, address)
);

-- Value moved by calls inside transactions (callTracer frames below the top call).
CREATE TABLE internal_transfers (
    domain BIGINT NOT NULL,
    block_number BIGINT NOT NULL,
    tx_index BIGINT NOT NULL,
    trace_index BIGINT NOT NULL,
    tx_hash BYTEA NOT NULL,
    timestamp BIGINT NOT NULL,
    call_type TEXT NOT NULL,
    from_address BYTEA NOT NULL,
    to_address BYTEA NOT NULL,
    value BYTEA NOT NULL,
    PRIMARY KEY (domain, block_number, tx_index, trace_index)
);
CREATE INDEX internal_transfers_by_tx ON internal_transfers (tx_hash);
CREATE INDEX internal_transfers_by_from ON internal_transfers (from_address, timestamp);
CREATE INDEX internal_transfers_by_to ON internal_transfers (to_address, timestamp);
