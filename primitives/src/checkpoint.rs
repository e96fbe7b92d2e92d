//! Checkpoints as the node reads them back from `CheckpointManager`, and the rule that fixes
//! which withdrawals a checkpoint covers.
//!
//! Checkpoint `id` covers, in every domain `d`, the blocks after the one checkpoint `id - 1`
//! recorded for `d` (block 0 before the first checkpoint) up to and including the one it
//! records itself. Its `withdrawalRoot` is the Merkle tree ([`crate::merkle`]) of the hashes of
//! the L1-bound messages (withdrawals) those blocks sent, ordered by domain, then block, then
//! their order in the block's outbox. The relayer that builds a checkpoint and the node that
//! serves a withdrawal's proof both follow this rule, so the node's proof verifies against
//! the root L1 holds.

use alloy_primitives::B256;
use serde::{Deserialize, Serialize};

use crate::DomainId;

/// What L1 holds of an accepted checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckpointSummary {
    /// Checkpoint id (from 1).
    #[serde(with = "crate::quantity")]
    pub id: u64,
    /// Root of the withdrawals it covers.
    pub withdrawal_root: B256,
    /// L1 block time it was accepted at (the challenge window runs from here).
    #[serde(with = "crate::quantity")]
    pub submitted_at: u64,
    /// Last block covered, for each domain asked about, in the order asked.
    pub blocks: Vec<(DomainId, u64)>,
}

impl CheckpointSummary {
    /// The last block of `domain` covered, if it was asked about and covered.
    pub fn block(&self, domain: DomainId) -> Option<u64> {
        self.blocks.iter().find(|(d, _)| *d == domain).map(|(_, n)| *n)
    }
}

/// One domain's place in a checkpoint (`CheckpointManager.DomainState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DomainState {
    /// The domain.
    pub domain: DomainId,
    /// Its last block covered.
    #[serde(with = "crate::quantity")]
    pub block_number: u64,
    /// That block's hash.
    pub block_hash: B256,
    /// That block's state root (what withdrawals and state proofs are checked against).
    pub state_root: B256,
}

/// A checkpoint as validators sign it and `CheckpointManager.submitCheckpoint` takes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Checkpoint {
    /// Id: the last accepted one's plus one.
    #[serde(with = "crate::quantity")]
    pub id: u64,
    /// Every domain, in id order.
    pub domains: Vec<DomainState>,
    /// Root of the withdrawals the covered blocks sent (the rule above).
    pub withdrawal_root: B256,
    /// The recorded validator set whose stake signs it.
    pub validator_set_hash: B256,
}
