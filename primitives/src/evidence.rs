//! Evidence of equivocation: one validator key that signed two consensus messages of one kind
//! for different blocks at one (domain, height, round). Tendermint's safety holds while less
//! than 1/3 of the stake does this, so every such pair is kept by the validators that saw it,
//! served to judges, and submitted as it is to `StakeManager.reportDoubleVote`, which checks
//! the same rules as [`DoubleVote::check`] and slashes the key's validator.

use alloy_primitives::{Address, B256, Signature, keccak256};
use serde::{Deserialize, Serialize};

use crate::{
    validator::SECP256K1N_HALF,
    vote::{ConsensusVote, SigningDomain},
};

/// A consensus message with its signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedVote {
    /// What was signed.
    #[serde(flatten)]
    pub vote: ConsensusVote,
    /// The signer key's address.
    pub signer: Address,
    /// 65-byte secp256k1 signature over the message's EIP-712 digest.
    pub signature: Signature,
}

/// Two conflicting messages of one signer: what a judge reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DoubleVote {
    /// The message seen first.
    pub first: SignedVote,
    /// The conflicting one.
    pub second: SignedVote,
}

/// Why a pair of messages is not evidence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvidenceError {
    /// Different kind, domain, height or round, or the same block: honest messages.
    #[error("the two messages do not conflict")]
    NotConflicting,
    /// A signature does not recover to the named signer (or is a malleated high-s copy).
    #[error("a signature does not recover to {0}")]
    BadSignature(Address),
    /// The two messages name different signers.
    #[error("the messages have different signers")]
    DifferentSigners,
}

impl DoubleVote {
    /// The key that signed both messages.
    pub fn offender(&self) -> Address {
        self.first.signer
    }

    /// The pair's identity, the same whichever message came first (two validators that saw
    /// the messages in different orders hold one piece of evidence).
    pub fn id(&self) -> B256 {
        let (a, b) = (self.first.signature.as_bytes(), self.second.signature.as_bytes());
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        keccak256([lo.as_slice(), hi.as_slice()].concat())
    }

    /// Checks what `StakeManager.reportDoubleVote` checks: one kind, domain, height and round,
    /// two different blocks, both signatures by the named signer under `signing`.
    pub fn check(&self, signing: &SigningDomain) -> Result<(), EvidenceError> {
        let (a, b) = (&self.first.vote, &self.second.vote);
        if a.kind != b.kind
            || a.domain != b.domain
            || a.height != b.height
            || a.round != b.round
            || a.block_hash == b.block_hash
        {
            return Err(EvidenceError::NotConflicting);
        }
        if self.first.signer != self.second.signer {
            return Err(EvidenceError::DifferentSigners);
        }
        for signed in [&self.first, &self.second] {
            let recovered =
                signed.signature.recover_address_from_prehash(&signed.vote.digest(signing));
            if signed.signature.s() > SECP256K1N_HALF || recovered.ok() != Some(signed.signer) {
                return Err(EvidenceError::BadSignature(signed.signer));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use alloy::signers::{SignerSync, local::PrivateKeySigner};

    use super::*;
    use crate::VoteKind;

    const SIGNING: SigningDomain =
        SigningDomain { l1_chain_id: 31337, stake_manager: Address::repeat_byte(9) };

    fn signed(key: &PrivateKeySigner, vote: ConsensusVote) -> SignedVote {
        let signature = key.sign_hash_sync(&vote.digest(&SIGNING)).unwrap();
        SignedVote { vote, signer: key.address(), signature }
    }

    fn vote(hash: u8) -> ConsensusVote {
        ConsensusVote {
            kind: VoteKind::Prevote,
            domain: 1,
            height: 7,
            round: 2,
            timestamp: if hash == 0 { 0 } else { 1_800_000_000 },
            block_hash: B256::repeat_byte(hash),
        }
    }

    #[test]
    fn a_block_and_nil_in_one_round_is_evidence_and_nothing_else_is() {
        let key = PrivateKeySigner::random();
        let pair = DoubleVote { first: signed(&key, vote(4)), second: signed(&key, vote(0)) };
        pair.check(&SIGNING).unwrap();
        assert_eq!(pair.offender(), key.address());
        let swapped = DoubleVote { first: pair.second, second: pair.first };
        assert_eq!(swapped.id(), pair.id());

        // the same block twice, another round, another kind, another height: honest
        let same = DoubleVote { first: signed(&key, vote(4)), second: signed(&key, vote(4)) };
        assert_eq!(same.check(&SIGNING), Err(EvidenceError::NotConflicting));
        for change in [
            |v: &mut ConsensusVote| v.round += 1,
            |v: &mut ConsensusVote| v.kind = VoteKind::Precommit,
            |v: &mut ConsensusVote| v.height += 1,
            |v: &mut ConsensusVote| v.domain += 1,
        ] {
            let mut other = vote(5);
            change(&mut other);
            let pair = DoubleVote { first: signed(&key, vote(4)), second: signed(&key, other) };
            assert_eq!(pair.check(&SIGNING), Err(EvidenceError::NotConflicting));
        }

        // two keys, a forged signer, another deployment
        let other = PrivateKeySigner::random();
        let two = DoubleVote { first: signed(&key, vote(4)), second: signed(&other, vote(5)) };
        assert_eq!(two.check(&SIGNING), Err(EvidenceError::DifferentSigners));
        let mut forged =
            DoubleVote { first: signed(&key, vote(4)), second: signed(&other, vote(5)) };
        forged.second.signer = key.address();
        assert_eq!(forged.check(&SIGNING), Err(EvidenceError::BadSignature(key.address())));
        let elsewhere = SigningDomain { l1_chain_id: 1, ..SIGNING };
        assert_eq!(pair.check(&elsewhere), Err(EvidenceError::BadSignature(key.address())));
    }

    #[test]
    fn evidence_reads_back_from_json() {
        let key = PrivateKeySigner::random();
        let pair = DoubleVote { first: signed(&key, vote(4)), second: signed(&key, vote(0)) };
        let json = serde_json::to_value(pair).unwrap();
        assert_eq!(json["first"]["kind"], "prevote");
        assert_eq!(json["second"]["blockHash"], format!("{}", B256::ZERO));
        let back: DoubleVote = serde_json::from_value(json).unwrap();
        assert_eq!(back, pair);
    }
}
