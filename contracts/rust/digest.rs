//! The EIP-712 digests validators sign, computed exactly as the contracts do.
//!
//! - Consensus messages (proposals, prevotes, precommits) on L2 blocks, under `StakeManager`'s
//!   domain: precommits are finality certificates, and two for different blocks in one round
//!   are what a judge submits as double-sign evidence.
//! - Checkpoints, under `CheckpointManager`'s domain: accepted there, and evidence in
//!   `StakeManager` when two differ for one id.
//! - Signer registration, under `StakeManager`'s domain: the signer key's consent.
//!
//! Every digest binds the L1 chain id and the verifying contract, so a signature is valid for
//! exactly one deployment on one chain.

use alloy::sol_types::SolValue;
use alloy_primitives::{Address, B256, keccak256};

use sec_primitives::vote::{ConsensusVote, SigningDomain};

use crate::bindings::checkpoint_manager::CheckpointManager::{Checkpoint, DomainState};

pub use sec_primitives::vote::{
    EIP712_VERSION as VERSION, STAKE_MANAGER_NAME, domain_separator, typed_data_digest,
};
/// EIP-712 domain name of `CheckpointManager`.
pub const CHECKPOINT_MANAGER_NAME: &str = "SEC CheckpointManager";

/// Digest of a consensus message (`kind` 0 proposal, 1 prevote, 2 precommit) for block
/// `block_hash` with header timestamp `timestamp` at (`domain`, `height`, `round`):
/// `ConsensusVote(uint8 kind,uint32 domain,uint64 height,uint32 round,uint64 timestamp,bytes32 blockHash)`.
/// Computed by `sec_primitives::vote`, which the node signs and verifies with.
pub fn consensus_vote_digest(chain_id: u64, stake_manager: Address, vote: &ConsensusVote) -> B256 {
    vote.digest(&SigningDomain { l1_chain_id: chain_id, stake_manager })
}

/// `keccak256(abi.encode(domains, withdrawalRoot, validatorSetHash))`.
pub fn checkpoint_body_hash(
    domains: &[DomainState],
    withdrawal_root: B256,
    validator_set_hash: B256,
) -> B256 {
    keccak256((domains.to_vec(), withdrawal_root, validator_set_hash).abi_encode_params())
}

/// Digest of checkpoint `id` with body `body_hash`: `Checkpoint(uint64 id,bytes32 bodyHash)`.
pub fn checkpoint_digest(
    chain_id: u64,
    checkpoint_manager: Address,
    id: u64,
    body_hash: B256,
) -> B256 {
    let typehash = keccak256("Checkpoint(uint64 id,bytes32 bodyHash)");
    let struct_hash = keccak256((typehash, id, body_hash).abi_encode());
    typed_data_digest(
        domain_separator(CHECKPOINT_MANAGER_NAME, chain_id, checkpoint_manager),
        struct_hash,
    )
}

/// `checkpoint` in the contract's form.
pub fn checkpoint_to_sol(checkpoint: &sec_primitives::Checkpoint) -> Checkpoint {
    Checkpoint {
        id: checkpoint.id,
        domains: checkpoint
            .domains
            .iter()
            .map(|d| DomainState {
                domain: d.domain,
                blockNumber: d.block_number,
                blockHash: d.block_hash,
                stateRoot: d.state_root,
            })
            .collect(),
        withdrawalRoot: checkpoint.withdrawal_root,
        validatorSetHash: checkpoint.validator_set_hash,
    }
}

/// A checkpoint in the contract's form as the shared type.
pub fn checkpoint_from_sol(checkpoint: &Checkpoint) -> sec_primitives::Checkpoint {
    sec_primitives::Checkpoint {
        id: checkpoint.id,
        domains: checkpoint
            .domains
            .iter()
            .map(|d| sec_primitives::checkpoint::DomainState {
                domain: d.domain,
                block_number: d.blockNumber,
                block_hash: d.blockHash,
                state_root: d.stateRoot,
            })
            .collect(),
        withdrawal_root: checkpoint.withdrawalRoot,
        validator_set_hash: checkpoint.validatorSetHash,
    }
}

/// The digest a validator signs for `checkpoint` (body hash, then [`checkpoint_digest`]).
pub fn checkpoint_signing_digest(
    chain_id: u64,
    checkpoint_manager: Address,
    checkpoint: &sec_primitives::Checkpoint,
) -> B256 {
    let sol = checkpoint_to_sol(checkpoint);
    let body = checkpoint_body_hash(&sol.domains, sol.withdrawalRoot, sol.validatorSetHash);
    checkpoint_digest(chain_id, checkpoint_manager, checkpoint.id, body)
}

/// Digest the signer key signs to serve `validator`: `SignerRegistration(address validator)`.
pub fn signer_registration_digest(
    chain_id: u64,
    stake_manager: Address,
    validator: Address,
) -> B256 {
    let typehash = keccak256("SignerRegistration(address validator)");
    let struct_hash = keccak256((typehash, validator).abi_encode());
    typed_data_digest(domain_separator(STAKE_MANAGER_NAME, chain_id, stake_manager), struct_hash)
}
