-- One row per domain, kept by the writer in the transaction of every run and rollback: the
-- highest block indexed, the highest block marked final (-1: none), and the transactions
-- indexed. Marking finality then touches only the blocks above `finalized`, and the explorer
-- reads heads and totals here instead of aggregating `blocks`, whose cost grows with the chain.
CREATE TABLE chain_heads (
    domain BIGINT NOT NULL PRIMARY KEY,
    head BIGINT NOT NULL,
    finalized BIGINT NOT NULL,
    transactions BIGINT NOT NULL
);
-- An index made before this table: its rows, once (final is set on every block up to a height).
INSERT INTO chain_heads (domain, head, finalized, transactions)
SELECT domain, MAX(number), COALESCE(MAX(CASE WHEN final = 1 THEN number END), -1),
       COALESCE(SUM(tx_count), 0)
FROM blocks GROUP BY domain;
