//! How the node reads Ethereum: the [`L1Source`] trait. The bridge implements it over JSON-RPC;
//! tests can feed any L1. Synchronous because its callers (block building and validation) run
//! off the async runtime, like the domains themselves.

use crate::{
    CheckpointSummary, Deposit, DomainId, L1Origin,
    validator::{ValidatorSet, ValidatorSetError},
};

/// Why a read from L1 failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum L1Error {
    /// The L1 node could not be reached or answered with an error.
    #[error("L1 request {method} failed: {reason}")]
    Rpc {
        /// What was asked.
        method: &'static str,
        /// The transport's or node's message.
        reason: String,
    },
    /// The node answered with something unreadable.
    #[error("L1 {method} returned an unexpected response: {reason}")]
    BadResponse {
        /// What was asked.
        method: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// The block is not on the node's canonical chain (unknown, or reorganised away).
    #[error("L1 block {} ({}) is not canonical", .0.number, .0.hash)]
    NotCanonical(L1Origin),
    /// This source cannot answer the request (a test source that models part of L1).
    #[error("this L1 source does not provide {0}")]
    Unsupported(&'static str),
    /// The contract returned a set no node could use.
    #[error("invalid validator set on L1: {0}")]
    InvalidSet(#[from] ValidatorSetError),
}

/// Ethereum as the node needs it: heads, validator sets and deposits, each read at a block the
/// caller names so that every node reading the same origin derives the same thing.
pub trait L1Source: Send + Sync {
    /// The newest block the L1 node has.
    fn head(&self) -> Result<L1Origin, L1Error>;

    /// The newest block the L1 node considers finalized.
    fn finalized(&self) -> Result<L1Origin, L1Error>;

    /// Hash of canonical block `number`; `None` if the node does not have it yet.
    fn block_hash(&self, number: u64) -> Result<Option<alloy_primitives::B256>, L1Error>;

    /// The active set `StakeManager` reports in block `at` (the top `activeSetSize` eligible
    /// validators by bonded stake, with their BLS keys). Read at `at.hash`, so a reorganised
    /// origin is an error ([`L1Error::NotCanonical`]), never another block's set.
    fn validator_set(&self, at: L1Origin) -> Result<ValidatorSet, L1Error>;

    /// The deposits `L1Bridge` recorded for `domain` in L1 blocks `from..=to.number`, in nonce
    /// order. `to` must still be canonical ([`L1Error::NotCanonical`] otherwise), so a range
    /// read across a reorganisation is refused rather than returned half from each branch.
    fn deposits(&self, domain: DomainId, from: u64, to: L1Origin) -> Result<Vec<Deposit>, L1Error>;

    /// Id of the newest checkpoint `CheckpointManager` accepted (0 before the first).
    fn last_checkpoint(&self) -> Result<u64, L1Error>;

    /// Checkpoint `id` as L1 holds it, with the last block it covers of each of `domains`;
    /// `None` if no such checkpoint was accepted.
    fn checkpoint(
        &self,
        id: u64,
        domains: &[DomainId],
    ) -> Result<Option<CheckpointSummary>, L1Error>;

    /// `L1Bridge`'s balance in block `at` of each of `tokens` (the zero address: ETH): what L1
    /// holds locked for the domains, for the supply audit.
    fn bridge_balances(
        &self,
        tokens: &[alloy_primitives::Address],
        at: L1Origin,
    ) -> Result<Vec<alloy_primitives::U256>, L1Error> {
        let _ = (tokens, at);
        Err(L1Error::Unsupported("bridge balances"))
    }

    /// For each withdrawal (by its message hash): whether `L1Bridge` paid it by block `at`
    /// (finalized, and its payout did not fail), for the supply audit.
    fn withdrawals_paid(
        &self,
        hashes: &[alloy_primitives::B256],
        at: L1Origin,
    ) -> Result<Vec<bool>, L1Error> {
        let _ = (hashes, at);
        Err(L1Error::Unsupported("withdrawal payouts"))
    }
}
