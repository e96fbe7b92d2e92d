//! Signing and verifying proposals and votes: secp256k1 over `StakeManager`'s EIP-712
//! `ConsensusVote` digest, so a precommit is a certificate signature L1 can check and two
//! conflicting votes are evidence `StakeManager.reportDoubleVote` takes as they are.

use alloy::signers::{SignerSync, local::PrivateKeySigner};
use alloy_primitives::{B256, Signature, U256, keccak256};
use async_trait::async_trait;
use malachitebft_app_channel::{Signer, Verifier};
use malachitebft_core_consensus::MisbehaviorEvidence;
use malachitebft_core_types::{
    NilOrVal, Round, SignedMessage, ValidatorProof, VoteExtensionScope, VoteType,
};
use malachitebft_signing::{Error as SigningError, VerificationResult};
use sec_primitives::{
    DomainId, DoubleVote, SignedVote,
    vote::{ConsensusVote, SigningDomain, VoteKind},
};

use crate::{
    context::{BlockId, NoExtension, Proposal, SecContext, Sig, ValidatorAddress, Vote},
    protection::Protection,
};

/// `n/2` of secp256k1: signatures with a larger `s` are malleable copies and are refused.
const SECP256K1N_HALF: U256 = U256::from_be_slice(&alloy_primitives::hex!(
    "7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0"
));

/// The signed message of a vote or proposal on `domain`.
fn consensus_vote(
    kind: VoteKind,
    domain: DomainId,
    height: u64,
    round: Round,
    value: NilOrVal<&BlockId>,
) -> ConsensusVote {
    let (block_hash, timestamp) = match value {
        NilOrVal::Val(id) => (id.hash, id.timestamp),
        NilOrVal::Nil => (B256::ZERO, 0),
    };
    ConsensusVote {
        kind,
        domain,
        height,
        // rounds of signed messages are never nil; a nil round would sign as round 0
        round: round.as_u32().unwrap_or_default(),
        timestamp,
        block_hash,
    }
}

/// The `ConsensusVote` a vote signs.
pub fn vote_message(domain: DomainId, vote: &Vote) -> ConsensusVote {
    let kind = match vote.kind {
        VoteType::Prevote => VoteKind::Prevote,
        VoteType::Precommit => VoteKind::Precommit,
    };
    consensus_vote(kind, domain, vote.height.0, vote.round, vote.value.as_ref())
}

/// The `ConsensusVote` a proposal signs.
pub fn proposal_message(domain: DomainId, proposal: &Proposal) -> ConsensusVote {
    consensus_vote(
        VoteKind::Proposal,
        domain,
        proposal.height.0,
        proposal.round,
        NilOrVal::Val(&proposal.value),
    )
}

/// The double votes and double proposals the engine saw while deciding a height, as the
/// pairs of signed messages `StakeManager.reportDoubleVote` takes. A pair whose signature
/// cannot be read is left out (the engine verified both before keeping them).
pub fn double_votes(
    domain: DomainId,
    evidence: &MisbehaviorEvidence<SecContext>,
) -> Vec<DoubleVote> {
    let signed = |vote: ConsensusVote, signer: &ValidatorAddress, sig: &Sig| {
        Some(SignedVote { vote, signer: signer.0, signature: Signature::from_raw(&sig.0).ok()? })
    };
    let votes = evidence.votes.iter().flat_map(|(who, pairs)| {
        pairs.iter().filter_map(move |(a, b)| {
            Some(DoubleVote {
                first: signed(vote_message(domain, &a.message), who, &a.signature)?,
                second: signed(vote_message(domain, &b.message), who, &b.signature)?,
            })
        })
    });
    let proposals = evidence.proposals.iter().flat_map(|(who, pairs)| {
        pairs.iter().filter_map(move |(a, b)| {
            Some(DoubleVote {
                first: signed(proposal_message(domain, &a.message), who, &a.signature)?,
                second: signed(proposal_message(domain, &b.message), who, &b.signature)?,
            })
        })
    });
    votes.chain(proposals).collect()
}

/// What a validator proof signs: that the libp2p `peer_id` speaks for `public_key`.
fn proof_digest(public_key: &[u8], peer_id: &[u8]) -> B256 {
    keccak256([b"SEC validator proof".as_slice(), public_key, peer_id].concat())
}

/// The signer of one validator for one domain's engine. The key never leaves it.
pub struct EcdsaSigner {
    key: PrivateKeySigner,
    domain: DomainId,
    signing: SigningDomain,
    protection: Option<Protection>,
}

impl EcdsaSigner {
    /// Signs for `domain` with `key`, for deployment `signing`.
    pub fn new(key: PrivateKeySigner, domain: DomainId, signing: SigningDomain) -> Self {
        Self { key, domain, signing, protection: None }
    }

    /// The same signer, refusing anything `protection` says could be a double sign.
    pub fn with_protection(mut self, protection: Protection) -> Self {
        self.protection = Some(protection);
        self
    }

    /// Signs a proposal or vote, through the slashing protection when there is one.
    fn sign_message(&self, message: &ConsensusVote) -> Result<Sig, SigningError> {
        let digest = message.digest(&self.signing);
        match &self.protection {
            None => self.sign(digest),
            Some(p) => p
                .sign(message, || self.sign(digest).ok())
                .map_err(SigningError::from_source)?
                .ok_or_else(|| SigningError::from_source("signing failed")),
        }
    }

    /// The validator's address.
    pub fn address(&self) -> ValidatorAddress {
        ValidatorAddress(self.key.address())
    }

    fn sign(&self, digest: B256) -> Result<Sig, SigningError> {
        let sig = self.key.sign_hash_sync(&digest).map_err(SigningError::from_source)?;
        Ok(Sig(sig.as_bytes()))
    }
}

impl std::fmt::Debug for EcdsaSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EcdsaSigner").field("address", &self.key.address()).finish()
    }
}

/// Checks signatures by recovering the signer: the public key is the signer's address.
#[derive(Debug, Clone)]
pub struct EcdsaVerifier {
    domain: DomainId,
    signing: SigningDomain,
}

impl EcdsaVerifier {
    /// Verifies for `domain` under deployment `signing`.
    pub fn new(domain: DomainId, signing: SigningDomain) -> Self {
        Self { domain, signing }
    }
}

/// Whether `sig` over `digest` recovers to `signer` (and is not a malleable high-s copy).
pub fn recovers_to(digest: B256, sig: &Sig, signer: &ValidatorAddress) -> bool {
    let Ok(signature) = Signature::from_raw(&sig.0) else { return false };
    if signature.s() > SECP256K1N_HALF {
        return false;
    }
    signature.recover_address_from_prehash(&digest).is_ok_and(|a| a == signer.0)
}

#[async_trait]
impl Signer<SecContext> for EcdsaSigner {
    async fn sign_vote(&self, vote: Vote) -> Result<SignedMessage<SecContext, Vote>, SigningError> {
        let signature = self.sign_message(&vote_message(self.domain, &vote))?;
        Ok(SignedMessage::new(vote, signature))
    }

    async fn sign_proposal(
        &self,
        proposal: Proposal,
    ) -> Result<SignedMessage<SecContext, Proposal>, SigningError> {
        let signature = self.sign_message(&proposal_message(self.domain, &proposal))?;
        Ok(SignedMessage::new(proposal, signature))
    }

    async fn sign_vote_extension(
        &self,
        _: VoteExtensionScope<SecContext>,
        _: NoExtension,
    ) -> Result<SignedMessage<SecContext, NoExtension>, SigningError> {
        Err(SigningError::from_source("SEC votes carry no extensions"))
    }

    async fn sign_validator_proof(
        &self,
        public_key: Vec<u8>,
        peer_id: Vec<u8>,
    ) -> Result<ValidatorProof<SecContext>, SigningError> {
        let signature = self.sign(proof_digest(&public_key, &peer_id))?;
        Ok(ValidatorProof::new(public_key, peer_id, signature))
    }
}

#[async_trait]
impl Verifier<SecContext> for EcdsaVerifier {
    async fn verify_signed_vote(
        &self,
        vote: &Vote,
        signature: &Sig,
        public_key: &ValidatorAddress,
    ) -> Result<VerificationResult, SigningError> {
        let digest = vote_message(self.domain, vote).digest(&self.signing);
        Ok(VerificationResult::from_bool(recovers_to(digest, signature, public_key)))
    }

    async fn verify_signed_proposal(
        &self,
        proposal: &Proposal,
        signature: &Sig,
        public_key: &ValidatorAddress,
    ) -> Result<VerificationResult, SigningError> {
        let digest = proposal_message(self.domain, proposal).digest(&self.signing);
        Ok(VerificationResult::from_bool(recovers_to(digest, signature, public_key)))
    }

    async fn verify_signed_vote_extension(
        &self,
        _: &VoteExtensionScope<SecContext>,
        _: &NoExtension,
        _: &Sig,
        _: &ValidatorAddress,
    ) -> Result<VerificationResult, SigningError> {
        Ok(VerificationResult::Invalid)
    }

    async fn verify_validator_proof(
        &self,
        proof: &ValidatorProof<SecContext>,
    ) -> Result<VerificationResult, SigningError> {
        let Ok(bytes) = <[u8; 20]>::try_from(proof.public_key.as_slice()) else {
            return Ok(VerificationResult::Invalid);
        };
        let signer = ValidatorAddress(bytes.into());
        let digest = proof_digest(&proof.public_key, &proof.peer_id);
        Ok(VerificationResult::from_bool(recovers_to(digest, &proof.signature, &signer)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::Height;
    use alloy_primitives::Address;

    const SIGNING: SigningDomain =
        SigningDomain { l1_chain_id: 31337, stake_manager: Address::repeat_byte(0x5e) };

    fn block() -> BlockId {
        BlockId { hash: B256::repeat_byte(7), timestamp: 1_800_000_000 }
    }

    #[tokio::test]
    async fn a_vote_verifies_for_its_signer_domain_and_deployment_only() {
        let key = PrivateKeySigner::random();
        let signer = EcdsaSigner::new(key.clone(), 2, SIGNING);
        let vote = Vote {
            kind: VoteType::Precommit,
            height: Height(9),
            round: Round::new(1),
            value: NilOrVal::Val(block()),
            validator: signer.address(),
        };
        let signed = signer.sign_vote(vote.clone()).await.unwrap();
        let me = signer.address();
        async fn check(
            vote: &Vote,
            sig: &Sig,
            me: &ValidatorAddress,
            d: u32,
            s: SigningDomain,
        ) -> bool {
            let v = EcdsaVerifier::new(d, s);
            v.verify_signed_vote(vote, sig, me).await.unwrap().is_valid()
        }
        assert!(check(&vote, &signed.signature, &me, 2, SIGNING).await);
        assert!(!check(&vote, &signed.signature, &me, 3, SIGNING).await, "another domain");
        let other = SigningDomain { l1_chain_id: 1, ..SIGNING };
        assert!(!check(&vote, &signed.signature, &me, 2, other).await, "another deployment");
        // the precommit is exactly what a finality certificate (and L1) checks
        let digest = vote_message(2, &signed.message).digest(&SIGNING);
        let sig = Signature::from_raw(&signed.signature.0).unwrap();
        assert_eq!(sig.recover_address_from_prehash(&digest).unwrap(), key.address());
        // someone else's address does not verify
        let stranger = ValidatorAddress(Address::repeat_byte(1));
        let v = EcdsaVerifier::new(2, SIGNING);
        assert!(
            !v.verify_signed_vote(&signed.message, &signed.signature, &stranger)
                .await
                .unwrap()
                .is_valid()
        );
        // a changed vote does not verify
        let mut changed = signed.message.clone();
        changed.round = Round::new(2);
        assert!(!v.verify_signed_vote(&changed, &signed.signature, &me).await.unwrap().is_valid());
    }

    #[tokio::test]
    async fn a_validator_proof_binds_a_peer_to_the_signer() {
        let signer = EcdsaSigner::new(PrivateKeySigner::random(), 0, SIGNING);
        let me = signer.address().0.to_vec();
        let proof = signer.sign_validator_proof(me.clone(), vec![1, 2, 3]).await.unwrap();
        let v = EcdsaVerifier::new(0, SIGNING);
        assert!(v.verify_validator_proof(&proof).await.unwrap().is_valid());
        let mut other_peer = proof.clone();
        other_peer.peer_id = vec![1, 2, 4];
        assert!(!v.verify_validator_proof(&other_peer).await.unwrap().is_valid());
    }
}
