-- NFTs in the explorer. Partial indexes: only ERC-721 and ERC-1155 transfers carry a token id,
-- so ERC-20 transfers (most of them) add nothing to either.
--
-- A token's inventory: each id's latest transfer (its owner, for ERC-721) found by id, and the
-- ids listed in order, paged by keyset.
CREATE INDEX token_transfers_nft_by_id ON token_transfers (domain, token, token_id, block_number,
    log_index, batch_index) WHERE token_id IS NOT NULL;
-- The Etherscan API's tokennfttx and token1155tx by contract: a token's NFT transfers in block
-- order to the last tie, with no sort.
CREATE INDEX token_transfers_nft_by_token ON token_transfers (token, domain, block_number,
    log_index, batch_index) WHERE token_id IS NOT NULL;
-- An ERC-1155 token's inventory: its ids in order, each with its holders.
CREATE INDEX balances_by_token_id ON balances (domain, token, token_id, holder);
