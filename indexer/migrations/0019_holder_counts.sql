-- How many rows of `balances` each token has (its holders; an ERC-1155 holder counts per id),
-- kept by the writer as balances appear and disappear, so that a token page reads one row
-- instead of counting hundreds of thousands.
CREATE TABLE token_holder_counts (
    domain BIGINT NOT NULL,
    token BYTEA NOT NULL,
    holders BIGINT NOT NULL,
    PRIMARY KEY (domain, token)
);
-- An index made before this table: its counts, once.
INSERT INTO token_holder_counts (domain, token, holders)
SELECT domain, token, COUNT(*) FROM balances GROUP BY domain, token;
