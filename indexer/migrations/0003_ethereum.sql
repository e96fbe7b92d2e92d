-- What the indexer reads from Ethereum: deposits into the bridge, checkpoints, and withdrawals
-- finalized there; and how far it has read (block and hash, to notice an Ethereum reorg).

CREATE TABLE deposits (
    nonce BIGINT NOT NULL PRIMARY KEY,
    domain BIGINT NOT NULL,
    l1_token BYTEA NOT NULL,
    kind BIGINT NOT NULL,
    from_address BYTEA NOT NULL,
    to_address BYTEA NOT NULL,
    amount BYTEA NOT NULL,
    l1_block BIGINT NOT NULL,
    l1_tx_hash BYTEA NOT NULL,
    stage TEXT NOT NULL
);
CREATE INDEX deposits_by_to ON deposits (to_address);
CREATE INDEX deposits_by_from ON deposits (from_address);

CREATE TABLE checkpoints (
    id BIGINT NOT NULL PRIMARY KEY,
    withdrawal_root BYTEA NOT NULL,
    validator_set_hash BYTEA NOT NULL,
    body_hash BYTEA NOT NULL,
    signed_stake BYTEA NOT NULL,
    l1_block BIGINT NOT NULL,
    l1_tx_hash BYTEA NOT NULL
);

CREATE TABLE withdrawal_finalizations (
    withdrawal_hash BYTEA NOT NULL PRIMARY KEY,
    checkpoint_id BIGINT NOT NULL,
    recipient BYTEA NOT NULL,
    token BYTEA NOT NULL,
    amount BYTEA NOT NULL,
    paid BIGINT NOT NULL,
    l1_block BIGINT NOT NULL,
    l1_tx_hash BYTEA NOT NULL
);

CREATE TABLE l1_cursor (
    id BIGINT NOT NULL PRIMARY KEY,
    block_number BIGINT NOT NULL,
    block_hash BYTEA NOT NULL
);

-- Validators as StakeManager reports them at the last Ethereum block read.
CREATE TABLE validators (
    address BYTEA NOT NULL PRIMARY KEY,
    signer BYTEA NOT NULL,
    commission_bps BIGINT NOT NULL,
    jailed BIGINT NOT NULL,
    jailed_until BIGINT NOT NULL,
    stake BYTEA NOT NULL,
    self_stake BYTEA NOT NULL,
    registered_l1_block BIGINT NOT NULL
);
CREATE INDEX validators_by_stake ON validators (stake);

-- Bonded delegations (the validator's own stake included), current value; zero has no row.
CREATE TABLE delegations (
    validator BYTEA NOT NULL,
    delegator BYTEA NOT NULL,
    amount BYTEA NOT NULL,
    PRIMARY KEY (validator, delegator)
);

CREATE TABLE slashings (
    l1_block BIGINT NOT NULL,
    log_index BIGINT NOT NULL,
    validator BYTEA NOT NULL,
    judge BYTEA NOT NULL,
    kind BIGINT NOT NULL,
    amount BYTEA NOT NULL,
    burned BYTEA NOT NULL,
    reward BYTEA NOT NULL,
    l1_tx_hash BYTEA NOT NULL,
    PRIMARY KEY (l1_block, log_index)
);
CREATE INDEX slashings_by_validator ON slashings (validator);

-- The allocations of the SEC supply (every contract implementing IAllocation), as they report
-- themselves at the last Ethereum block read. `schedule` is JSON: [[unix time, amount], ...].
CREATE TABLE allocations (
    contract BYTEA NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    total BYTEA NOT NULL,
    released BYTEA NOT NULL,
    releasable BYTEA NOT NULL,
    schedule TEXT NOT NULL,
    l1_block BIGINT NOT NULL
);
