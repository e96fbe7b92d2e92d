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
use alloy_primitives::{Address, B256, U256, keccak256};

use sec_primitives::vote::{ConsensusVote, SigningDomain};

use crate::bindings::checkpoint_manager::CheckpointManager::DomainState;

/// EIP-712 domain name of `StakeManager`.
pub const STAKE_MANAGER_NAME: &str = "SEC StakeManager";
/// EIP-712 domain name of `CheckpointManager`.
pub const CHECKPOINT_MANAGER_NAME: &str = "SEC CheckpointManager";
/// EIP-712 domain version of both.
pub const VERSION: &str = "1";

/// `keccak256(abi.encode(EIP712Domain typehash, name, version, chainId, verifyingContract))`.
pub fn domain_separator(name: &str, chain_id: u64, verifying_contract: Address) -> B256 {
    let typehash = keccak256(
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)",
    );
    keccak256(
        (typehash, keccak256(name), keccak256(VERSION), U256::from(chain_id), verifying_contract)
            .abi_encode(),
    )
}

/// `keccak256("\x19\x01" ‖ domainSeparator ‖ structHash)`.
pub fn typed_data_digest(separator: B256, struct_hash: B256) -> B256 {
    let mut buf = [0u8; 66];
    buf[0] = 0x19;
    buf[1] = 0x01;
    buf[2..34].copy_from_slice(separator.as_slice());
    buf[34..].copy_from_slice(struct_hash.as_slice());
    keccak256(buf)
}

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
