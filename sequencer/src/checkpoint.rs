//! Checking a checkpoint before a validator signs it. A validator signs only what its own node
//! holds: the next id after the last one L1 accepted, every domain's block at the number the
//! checkpoint names (committed here, so final) with the same hash and state root, and the
//! withdrawal root of the L1-bound messages those blocks sent after the previous checkpoint's
//! blocks, by the rule of `sec_primitives::checkpoint`. Whoever assembles the checkpoint (the
//! relayer) then cannot make a validator vouch for blocks or withdrawals the chain does not
//! hold. The validator-set hash is left to `CheckpointManager`, which refuses a set it did not
//! record.

use std::sync::Arc;

use alloy_primitives::B256;
use sec_primitives::{
    CheckpointSummary, L1Error, L1Source, checkpoint::Checkpoint, merkle::MerkleTree,
};

use crate::{Domain, storage::StoreError};

/// Why this node does not vouch for a checkpoint.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// Not the id after the last accepted one.
    #[error("checkpoint {got} is not the next one: L1 accepted up to {last}")]
    NotNext {
        /// Proposed id.
        got: u64,
        /// Last id L1 accepted.
        last: u64,
    },
    /// It does not cover exactly this chain's domains, in order.
    #[error("the checkpoint covers domains {got:?}, the chain has {expected:?}")]
    Domains {
        /// Domains named.
        got: Vec<u32>,
        /// This chain's domains.
        expected: Vec<u32>,
    },
    /// A domain's block is below the one the previous checkpoint covered.
    #[error(
        "domain {domain}: block {number} is below block {after}, which checkpoint {previous} covers"
    )]
    Backwards {
        /// The domain.
        domain: u32,
        /// Named block.
        number: u64,
        /// The previous checkpoint's block of the domain.
        after: u64,
        /// The previous checkpoint.
        previous: u64,
    },
    /// A domain's block is not committed here (yet).
    #[error("domain {domain}: block {number} is not committed here (head {head})")]
    Unknown {
        /// The domain.
        domain: u32,
        /// Named block.
        number: u64,
        /// This node's head.
        head: u64,
    },
    /// A domain's block differs from this node's.
    #[error("domain {domain}: block {number} has {field} {here} here, not {got}")]
    Mismatch {
        /// The domain.
        domain: u32,
        /// The block.
        number: u64,
        /// `blockHash` or `stateRoot`.
        field: &'static str,
        /// This node's.
        here: B256,
        /// The checkpoint's.
        got: B256,
    },
    /// The withdrawal root is not the one this node's blocks give.
    #[error("withdrawal root {got}: this node's blocks give {here}")]
    WithdrawalRoot {
        /// The checkpoint's.
        got: B256,
        /// This node's.
        here: B256,
    },
    /// This node reads no L1.
    #[error("this node reads no L1")]
    NoL1,
    /// L1 could not be read.
    #[error("L1: {0}")]
    L1(#[from] L1Error),
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The withdrawals a checkpoint covers, in the order of its tree (the rule of
/// `sec_primitives::checkpoint`): domain by domain, the L1-bound messages of the blocks after the
/// one `previous` covers (block 0 before the first checkpoint) up to `to(domain)` (none where it
/// names no block).
pub fn withdrawals(
    domains: &[Arc<Domain>],
    previous: Option<&CheckpointSummary>,
    to: impl Fn(u32) -> Option<u64>,
) -> Result<Vec<B256>, StoreError> {
    let mut leaves = Vec::new();
    for d in domains {
        let after = previous.and_then(|p| p.block(d.id())).unwrap_or(0);
        let to = to(d.id()).unwrap_or(after);
        leaves.extend(d.store()?.l1_bound(after, to)?.iter().map(|m| m.hash()));
    }
    Ok(leaves)
}

/// Checks `checkpoint` against `domains` (all of this node's, in id order) and `l1`.
pub fn check(
    domains: &[Arc<Domain>],
    l1: &dyn L1Source,
    checkpoint: &Checkpoint,
) -> Result<(), CheckpointError> {
    let last = l1.last_checkpoint()?;
    if checkpoint.id != last + 1 {
        return Err(CheckpointError::NotNext { got: checkpoint.id, last });
    }
    let ids: Vec<u32> = domains.iter().map(|d| d.id()).collect();
    let named: Vec<u32> = checkpoint.domains.iter().map(|d| d.domain).collect();
    if named != ids {
        return Err(CheckpointError::Domains { got: named, expected: ids });
    }
    let previous = if last == 0 { None } else { l1.checkpoint(last, &ids)? };
    for (d, state) in domains.iter().zip(&checkpoint.domains) {
        let domain = d.id();
        let number = state.block_number;
        let after = previous.as_ref().and_then(|p| p.block(domain)).unwrap_or(0);
        if number < after {
            return Err(CheckpointError::Backwards { domain, number, after, previous: last });
        }
        let head = d.head().0;
        let block = d
            .block(number)?
            .filter(|_| number <= head)
            .ok_or(CheckpointError::Unknown { domain, number, head })?;
        for (field, here, got) in [
            ("blockHash", block.hash, state.block_hash),
            ("stateRoot", block.header.state_root, state.state_root),
        ] {
            if here != got {
                return Err(CheckpointError::Mismatch { domain, number, field, here, got });
            }
        }
    }
    let leaves = withdrawals(domains, previous.as_ref(), |d| {
        checkpoint.domains.iter().find(|s| s.domain == d).map(|s| s.block_number)
    })?;
    let here = MerkleTree::new(&leaves).root();
    if here != checkpoint.withdrawal_root {
        return Err(CheckpointError::WithdrawalRoot { got: checkpoint.withdrawal_root, here });
    }
    Ok(())
}
