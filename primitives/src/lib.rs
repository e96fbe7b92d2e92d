//! Protocol types shared by every SEC component: domain ids, the SEC header extension and its
//! commitment, cross-domain (BGC) messages and withdrawals, the Merkle tree their roots use,
//! and the genesis/chain configuration.
//!
//! Everything here is pure data and hashing, so that the node, the bridge, the indexer and
//! the contracts' tests agree byte for byte on what a commitment is.

pub mod merkle;
pub mod message;
