-- The Etherscan API's tokennfttx and token1155tx by address: an account's NFT transfers, sent
-- and received, in time order, without reading through its ERC-20 transfers (which the indexes
-- of 0001 hold too). Partial, like those of 0015: ERC-20 transfers add nothing to them.
CREATE INDEX token_transfers_nft_by_from ON token_transfers (from_address, timestamp)
    WHERE token_id IS NOT NULL;
CREATE INDEX token_transfers_nft_by_to ON token_transfers (to_address, timestamp)
    WHERE token_id IS NOT NULL;
