//! The consensus messages validators sign, and the EIP-712 digest they sign over.
//!
//! Every proposal, prevote and precommit is a secp256k1 signature over
//! `ConsensusVote(uint8 kind,uint32 domain,uint64 height,uint32 round,uint64 timestamp,bytes32 blockHash)`
//! under `StakeManager`'s EIP-712 domain, so the same bytes that finalize a block on L2 are what
//! `StakeManager.reportDoubleVote` verifies on L1: a certificate or a double vote needs no
//! translation to be checked by `ecrecover`.

use alloy::sol_types::SolValue;
use alloy_primitives::{Address, B256, U256, keccak256};
use serde::{Deserialize, Serialize};

use crate::DomainId;

/// The EIP-712 type string of a consensus message.
pub const CONSENSUS_VOTE_TYPE: &str = "ConsensusVote(uint8 kind,uint32 domain,uint64 height,uint32 round,uint64 timestamp,bytes32 blockHash)";

/// EIP-712 domain name of `StakeManager`, the contract votes are signed for.
pub const STAKE_MANAGER_NAME: &str = "SEC StakeManager";

/// Which Tendermint step a message belongs to; the numbers are the signed `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum VoteKind {
    /// The proposer's proposal of a block.
    Proposal = 0,
    /// First voting step.
    Prevote = 1,
    /// Second voting step; > 2/3 of stake in precommits finalizes the block.
    Precommit = 2,
}

impl VoteKind {
    /// The `uint8 kind` signed.
    pub const fn code(self) -> u8 {
        self as u8
    }
}

/// The deployment votes are bound to: L1 chain id and `StakeManager` address. A signature is
/// valid for exactly one deployment on one chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SigningDomain {
    /// Chain id of the L1 the `StakeManager` is deployed on.
    pub l1_chain_id: u64,
    /// The `StakeManager` (EIP-712 `verifyingContract`).
    pub stake_manager: Address,
}

impl SigningDomain {
    /// `keccak256(abi.encode(EIP712Domain typehash, "SEC StakeManager", "1", chainId, stakeManager))`.
    pub fn separator(&self) -> B256 {
        domain_separator(STAKE_MANAGER_NAME, self.l1_chain_id, self.stake_manager)
    }
}

/// One signed consensus message, without its signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsensusVote {
    /// Step.
    pub kind: VoteKind,
    /// Domain whose chain the vote is for.
    pub domain: DomainId,
    /// Block number voted on.
    pub height: u64,
    /// Tendermint round within the height.
    pub round: u32,
    /// Header timestamp of the block (0 for nil): what L1 ages evidence by.
    pub timestamp: u64,
    /// Block hash; zero for a nil vote.
    pub block_hash: B256,
}

impl ConsensusVote {
    /// `keccak256(abi.encode(typehash, kind, domain, height, round, timestamp, blockHash))`.
    pub fn struct_hash(&self) -> B256 {
        let typehash = keccak256(CONSENSUS_VOTE_TYPE);
        keccak256(
            (
                typehash,
                U256::from(self.kind.code()),
                self.domain,
                self.height,
                self.round,
                self.timestamp,
                self.block_hash,
            )
                .abi_encode(),
        )
    }

    /// The EIP-712 digest signed: `keccak256("\x19\x01" ‖ separator ‖ structHash)`.
    pub fn digest(&self, signing: &SigningDomain) -> B256 {
        typed_data_digest(signing.separator(), self.struct_hash())
    }
}

/// EIP-712 domain version of the SEC contracts.
pub const EIP712_VERSION: &str = "1";

/// `keccak256(abi.encode(EIP712Domain typehash, name, version, chainId, verifyingContract))`.
pub fn domain_separator(name: &str, chain_id: u64, verifying_contract: Address) -> B256 {
    let typehash = keccak256(
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)",
    );
    keccak256(
        (
            typehash,
            keccak256(name),
            keccak256(EIP712_VERSION),
            U256::from(chain_id),
            verifying_contract,
        )
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

#[cfg(test)]
mod tests {
    use super::*;

    fn vote() -> ConsensusVote {
        ConsensusVote {
            kind: VoteKind::Precommit,
            domain: 1,
            height: 9,
            round: 0,
            timestamp: 1_800_000_000,
            block_hash: B256::repeat_byte(4),
        }
    }

    #[test]
    fn every_field_and_the_deployment_change_the_digest() {
        let signing = SigningDomain { l1_chain_id: 31337, stake_manager: Address::repeat_byte(9) };
        let base = vote();
        let mut variants = vec![base];
        let mut v = base;
        v.kind = VoteKind::Prevote;
        variants.push(v);
        let mut v = base;
        v.domain = 2;
        variants.push(v);
        let mut v = base;
        v.height = 10;
        variants.push(v);
        let mut v = base;
        v.round = 1;
        variants.push(v);
        let mut v = base;
        v.timestamp += 1;
        variants.push(v);
        let mut v = base;
        v.block_hash = B256::ZERO;
        variants.push(v);
        let mut digests: Vec<B256> = variants.iter().map(|v| v.digest(&signing)).collect();
        digests.push(base.digest(&SigningDomain { l1_chain_id: 1, ..signing }));
        digests.push(base.digest(&SigningDomain { stake_manager: Address::ZERO, ..signing }));
        let mut unique = digests.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), digests.len());
    }

    #[test]
    fn kinds_are_the_signed_codes() {
        assert_eq!(
            [VoteKind::Proposal, VoteKind::Prevote, VoteKind::Precommit].map(VoteKind::code),
            [0, 1, 2]
        );
    }
}
