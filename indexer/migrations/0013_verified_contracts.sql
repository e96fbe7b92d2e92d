-- Contracts whose source is verified: compiled (or, for the chain's own contracts, taken from
-- the committed artifacts) and matched against the code on chain, as Etherscan and Sourcify
-- record them. Ethereum's contracts have domain 4294967295 (the cross-domain id of Ethereum).
-- `full_match` is 1 when the compiler's metadata hash matched too, 0 when only the executable
-- code did (Sourcify's "partial match"). `source` is the compiler's standard-JSON input;
-- `settings` and `abi` are JSON. Written by the indexer (the chain's own contracts) and the
-- explorer (sources users submit); not part of what the indexer derives from blocks, but a
-- reorg that removes a contract removes what users verified for it.
CREATE TABLE verified_contracts (
    domain BIGINT NOT NULL,
    address BYTEA NOT NULL,
    name TEXT NOT NULL,
    file TEXT NOT NULL,
    full_match BIGINT NOT NULL,
    compiler_version TEXT NOT NULL,
    code_format TEXT NOT NULL,
    source TEXT NOT NULL,
    settings TEXT NOT NULL,
    abi TEXT NOT NULL,
    constructor_args BYTEA NOT NULL,
    license TEXT NOT NULL,
    code_hash BYTEA NOT NULL,
    origin TEXT NOT NULL,
    verified_at BIGINT NOT NULL,
    PRIMARY KEY (domain, address)
);
CREATE INDEX verified_contracts_by_address ON verified_contracts (address, domain);

-- An address's contract code in every domain (its page, its Contract tab, verification), in
-- domain order. Contracts are few beside transactions, so the index costs a backfill little.
CREATE INDEX contracts_by_address ON contracts (address, domain);

-- Verification requests (Etherscan's `verifysourcecode` GUIDs) and how they ended:
-- status 'pending', 'pass' or 'fail' (with the reason).
CREATE TABLE verification_jobs (
    guid TEXT NOT NULL PRIMARY KEY,
    address BYTEA NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    submitted_at BIGINT NOT NULL
);
