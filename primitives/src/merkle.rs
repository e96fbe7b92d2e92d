//! Binary Merkle tree over message and withdrawal hashes (roots checked on Ethereum).
