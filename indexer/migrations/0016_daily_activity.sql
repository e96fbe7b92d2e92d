-- Per domain and UTC day (unix time / 86,400): blocks, transactions and gas used, kept by the
-- writer in the transaction of every run (added to) and rollback (the days from the fork on
-- counted again), so that the explorer's charts read a row per day instead of aggregating
-- `blocks`, whose cost grows with the chain.
CREATE TABLE daily_activity (
    domain BIGINT NOT NULL,
    day BIGINT NOT NULL,
    blocks BIGINT NOT NULL,
    transactions BIGINT NOT NULL,
    gas_used BIGINT NOT NULL,
    PRIMARY KEY (domain, day)
);
-- The charts of every domain: the days in order, each domain's row of a day together.
CREATE INDEX daily_activity_by_day ON daily_activity (day, domain, blocks, transactions, gas_used);
-- An index made before this table: its days, once.
INSERT INTO daily_activity (domain, day, blocks, transactions, gas_used)
SELECT domain, timestamp / 86400, COUNT(*), SUM(tx_count), SUM(gas_used)
FROM blocks GROUP BY domain, timestamp / 86400;
