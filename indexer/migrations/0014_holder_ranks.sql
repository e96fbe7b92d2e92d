-- A token's holders in the explorer's order, largest balance first, ties by holder and token id
-- (ERC-1155 holders have a row per id), paged by keyset: each page starts below the last row of
-- the one before, so a deep page reads what it shows. It replaces the index on (domain, token,
-- balance) alone, which the same order also served, but without a total order to page by.
DROP INDEX balances_by_amount;
CREATE INDEX balances_by_rank ON balances (domain, token, balance, holder, token_id);
