-- Who finalized each block: the round its certificate was decided in and the precommits'
-- signers (their 20-byte addresses, concatenated in signer order); NULL for a block made
-- without validators or read from a node that has no certificates.
ALTER TABLE blocks ADD COLUMN finality_round BIGINT;
ALTER TABLE blocks ADD COLUMN finality_signers BYTEA;

-- Per epoch and validator signing key: the blocks it produced and the slots it missed over
-- every domain, as the node counts them (`sec_validators`), kept current while the epoch runs
-- and read once more when it has ended.
CREATE TABLE validator_production (
    epoch BIGINT NOT NULL,
    signer BYTEA NOT NULL,
    produced BIGINT NOT NULL,
    missed BIGINT NOT NULL,
    PRIMARY KEY (epoch, signer)
);
-- A validator's totals over its epochs: read from this index alone.
CREATE INDEX validator_production_by_signer ON validator_production (signer, epoch, produced, missed);
