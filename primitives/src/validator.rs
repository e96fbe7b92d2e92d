//! The validator set of an epoch, as `StakeManager` reports it, and the finality certificate
//! a block is committed with.
//!
//! Quorums are by stake, exactly as `CheckpointManager` counts them: `3 · signed > 2 · total`
//! in U256, so nothing the node accepts could be refused on L1 by rounding.

use std::collections::HashSet;

use alloy::sol_types::SolValue;
use alloy_primitives::{Address, B256, Bytes, Signature, U256, keccak256};
use serde::{Deserialize, Serialize};

use crate::{
    DomainId,
    vote::{ConsensusVote, SigningDomain, VoteKind},
};

/// `secp256k1n / 2`: signatures with a larger `s` are the malleated twins L1's
/// `ECDSA.tryRecover` refuses, so the node refuses them too.
pub(crate) const SECP256K1N_HALF: U256 = U256::from_be_slice(&alloy_primitives::hex!(
    "7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0"
));

/// One member of an active set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActiveValidator {
    /// The validator (owner) account that staked on L1.
    pub validator: Address,
    /// The key that signs consensus messages and checkpoints.
    pub signer: Address,
    /// Bonded stake in SEC wei.
    pub stake: U256,
    /// BLS12-381 public key registered on L1 (48 or 96 bytes).
    pub bls_key: Bytes,
}

impl ActiveValidator {
    /// The member `key` makes for validator `validator` with `stake`: `key`'s address as
    /// signer and the BLS key derived from it, as the node derives it for block randomness
    /// ([`crate::randomness::RandaoKey::from_ecdsa_secret`]).
    pub fn derived(
        validator: Address,
        key: &alloy::signers::local::PrivateKeySigner,
        stake: U256,
    ) -> Result<Self, crate::randomness::RandomnessError> {
        let bls = crate::randomness::RandaoKey::from_ecdsa_secret(key.to_bytes().as_slice())?;
        Ok(Self {
            validator,
            signer: key.address(),
            stake,
            bls_key: Bytes::copy_from_slice(&bls.public_key()),
        })
    }
}

/// Why a set of validators is not a valid validator set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidatorSetError {
    /// Two members share a signer key.
    #[error("signer {0} appears twice")]
    DuplicateSigner(Address),
    /// Two members share a validator account.
    #[error("validator {0} appears twice")]
    DuplicateValidator(Address),
    /// A member has no stake (it could never count toward a quorum).
    #[error("validator {0} has no stake")]
    ZeroStake(Address),
}

/// The validators of one epoch, sorted by signer address ascending (the order checkpoint
/// signatures are in), so every node derives the same list, schedule and hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidatorSet {
    members: Vec<ActiveValidator>,
    total: U256,
}

impl ValidatorSet {
    /// A set from members in any order (e.g. `StakeManager.activeSet`, ordered by stake).
    pub fn new(mut members: Vec<ActiveValidator>) -> Result<Self, ValidatorSetError> {
        members.sort_by_key(|m| m.signer);
        let mut validators = HashSet::with_capacity(members.len());
        let mut total = U256::ZERO;
        for (i, m) in members.iter().enumerate() {
            if i > 0 && members[i - 1].signer == m.signer {
                return Err(ValidatorSetError::DuplicateSigner(m.signer));
            }
            if !validators.insert(m.validator) {
                return Err(ValidatorSetError::DuplicateValidator(m.validator));
            }
            if m.stake.is_zero() {
                return Err(ValidatorSetError::ZeroStake(m.validator));
            }
            // bonded stake is bounded by the token supply (1.5e27 wei), far below U256::MAX
            total = total.saturating_add(m.stake);
        }
        Ok(Self { members, total })
    }

    /// Members, sorted by signer ascending.
    pub fn members(&self) -> &[ActiveValidator] {
        &self.members
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether the set has no member.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Sum of the members' stakes.
    pub fn total_stake(&self) -> U256 {
        self.total
    }

    /// The member whose signer key is `signer`.
    pub fn by_signer(&self, signer: Address) -> Option<&ActiveValidator> {
        self.members.binary_search_by_key(&signer, |m| m.signer).ok().map(|i| &self.members[i])
    }

    /// Whether `stake` is a quorum: strictly more than 2/3 of the total.
    pub fn is_quorum(&self, stake: U256) -> bool {
        stake.saturating_mul(U256::from(3)) > self.total.saturating_mul(U256::from(2))
    }

    /// `keccak256(abi.encode(address[] signers, uint256[] stakes))` in signer order: the
    /// `validatorSetHash` checkpoints carry and boundary blocks record as `next_set_hash`.
    pub fn hash(&self) -> B256 {
        let signers: Vec<Address> = self.members.iter().map(|m| m.signer).collect();
        let stakes: Vec<U256> = self.members.iter().map(|m| m.stake).collect();
        set_hash(signers, stakes)
    }
}

/// `keccak256(abi.encode(address[] signers, uint256[] stakes))`: the hash a validator set is
/// recorded and named under (`StakeManager.snapshotActiveSet`, checkpoints'
/// `validatorSetHash`), for signers in ascending order with their stakes.
pub fn set_hash(signers: Vec<Address>, stakes: Vec<U256>) -> B256 {
    keccak256((signers, stakes).abi_encode_params())
}

/// One precommit signature in a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommitSignature {
    /// The signer key's address (what the signature must recover to).
    pub signer: Address,
    /// 65-byte secp256k1 signature over the precommit's EIP-712 digest.
    pub signature: Signature,
}

/// Why a certificate does not finalize its block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    /// A certificate for nil finalizes nothing.
    #[error("certificate for a nil block")]
    NilBlock,
    /// Signatures are not strictly ascending by signer.
    #[error("signatures not sorted by signer at {0}")]
    Unsorted(Address),
    /// The same signer twice.
    #[error("signer {0} signed twice")]
    DuplicateSigner(Address),
    /// A signer outside the validator set.
    #[error("signer {0} is not in the validator set")]
    UnknownSigner(Address),
    /// A signature that does not recover to its signer over the precommit digest, or a
    /// malleable (high-s) one.
    #[error("signature of {0} does not verify")]
    BadSignature(Address),
    /// The signers hold 2/3 of the stake or less.
    #[error("signed stake {signed} of {total} is not more than 2/3")]
    InsufficientStake {
        /// Stake of the valid signers.
        signed: U256,
        /// The set's total stake.
        total: U256,
    },
}

/// The precommits that finalized a block: > 2/3 of the epoch's stake signed `Precommit` for
/// `block_hash` at (`domain`, `height`, `round`). Stored with the block; verifiable on L1 with
/// `ecrecover` because it signs the same digest `StakeManager` checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FinalityCertificate {
    /// Domain of the block.
    pub domain: DomainId,
    /// Block number.
    pub height: u64,
    /// Round the block was decided in.
    pub round: u32,
    /// The block.
    pub block_hash: B256,
    /// The block's header timestamp (part of the signed value).
    pub timestamp: u64,
    /// Epoch whose set signed.
    pub epoch: u64,
    /// Precommit signatures, sorted by signer ascending.
    pub signatures: Vec<CommitSignature>,
}

impl FinalityCertificate {
    /// The precommit every signature signs.
    pub fn precommit(&self) -> ConsensusVote {
        ConsensusVote {
            kind: VoteKind::Precommit,
            domain: self.domain,
            height: self.height,
            round: self.round,
            timestamp: self.timestamp,
            block_hash: self.block_hash,
        }
    }

    /// Checks the certificate against `set` (the set of `self.epoch`) for deployment
    /// `signing`; returns the signed stake. Every signature must verify: one bad signature
    /// voids the certificate rather than being skipped, so stored certificates are clean.
    pub fn verify(
        &self,
        set: &ValidatorSet,
        signing: &SigningDomain,
    ) -> Result<U256, CertificateError> {
        if self.block_hash.is_zero() {
            return Err(CertificateError::NilBlock);
        }
        let digest = self.precommit().digest(signing);
        let mut signed = U256::ZERO;
        let mut previous: Option<Address> = None;
        for s in &self.signatures {
            match previous {
                Some(p) if p == s.signer => {
                    return Err(CertificateError::DuplicateSigner(s.signer));
                }
                Some(p) if p > s.signer => return Err(CertificateError::Unsorted(s.signer)),
                _ => {}
            }
            previous = Some(s.signer);
            let member =
                set.by_signer(s.signer).ok_or(CertificateError::UnknownSigner(s.signer))?;
            if s.signature.s() > SECP256K1N_HALF {
                return Err(CertificateError::BadSignature(s.signer));
            }
            match s.signature.recover_address_from_prehash(&digest) {
                Ok(recovered) if recovered == s.signer => {}
                _ => return Err(CertificateError::BadSignature(s.signer)),
            }
            signed = signed.saturating_add(member.stake);
        }
        if !set.is_quorum(signed) {
            return Err(CertificateError::InsufficientStake { signed, total: set.total_stake() });
        }
        Ok(signed)
    }
}

#[cfg(test)]
mod tests {
    use alloy::signers::{SignerSync, local::PrivateKeySigner};

    use super::*;

    const SIGNING: SigningDomain =
        SigningDomain { l1_chain_id: 31337, stake_manager: Address::repeat_byte(0x5e) };

    fn ether(n: u64) -> U256 {
        U256::from(n) * U256::from(10u64).pow(U256::from(18))
    }

    struct Keys(Vec<PrivateKeySigner>);

    impl Keys {
        fn new(n: u64) -> Self {
            Self(
                (1..=n)
                    .map(|i| {
                        PrivateKeySigner::from_bytes(&B256::from(U256::from(0x5167_0000 + i)))
                            .unwrap()
                    })
                    .collect(),
            )
        }

        fn set(&self, stakes: &[u64]) -> ValidatorSet {
            ValidatorSet::new(
                self.0
                    .iter()
                    .zip(stakes)
                    .enumerate()
                    .map(|(i, (k, s))| ActiveValidator {
                        validator: Address::with_last_byte(i as u8 + 1),
                        signer: k.address(),
                        stake: ether(*s),
                        bls_key: Bytes::from(vec![0xb1; 48]),
                    })
                    .collect(),
            )
            .unwrap()
        }
    }

    fn certificate() -> FinalityCertificate {
        FinalityCertificate {
            domain: 2,
            height: 41,
            round: 1,
            block_hash: B256::repeat_byte(0xab),
            timestamp: 1_800_000_123,
            epoch: 3,
            signatures: vec![],
        }
    }

    fn sign(
        key: &PrivateKeySigner,
        vote: &ConsensusVote,
        signing: &SigningDomain,
    ) -> CommitSignature {
        CommitSignature {
            signer: key.address(),
            signature: key.sign_hash_sync(&vote.digest(signing)).unwrap(),
        }
    }

    /// `cert` signed by `keys`, sorted by signer.
    fn signed_by(mut cert: FinalityCertificate, keys: &[&PrivateKeySigner]) -> FinalityCertificate {
        let vote = cert.precommit();
        cert.signatures = keys.iter().map(|k| sign(k, &vote, &SIGNING)).collect();
        cert.signatures.sort_by_key(|s| s.signer);
        cert
    }

    #[test]
    fn set_is_ordered_by_signer_whatever_the_input_order() {
        let keys = Keys::new(4);
        let set = keys.set(&[40, 30, 20, 10]);
        let signers: Vec<Address> = set.members().iter().map(|m| m.signer).collect();
        let mut sorted = signers.clone();
        sorted.sort();
        assert_eq!(signers, sorted);
        assert_eq!(set.total_stake(), ether(100));
        assert_eq!(set.len(), 4);
        for (k, s) in keys.0.iter().zip([40, 30, 20, 10]) {
            assert_eq!(set.by_signer(k.address()).unwrap().stake, ether(s));
        }
        assert!(set.by_signer(Address::repeat_byte(1)).is_none());
        let mut reversed = set.members().to_vec();
        reversed.reverse();
        let again = ValidatorSet::new(reversed).unwrap();
        assert_eq!(again, set);
        assert_eq!(again.hash(), set.hash());
    }

    #[test]
    fn hash_is_abi_encode_of_signers_and_stakes() {
        let keys = Keys::new(2);
        let set = keys.set(&[7, 9]);
        let m = set.members();
        // abi.encode(address[], uint256[]): two offsets, then length-prefixed arrays
        let mut encoded = Vec::new();
        let word = |v: U256| v.to_be_bytes::<32>();
        encoded.extend(word(U256::from(0x40)));
        encoded.extend(word(U256::from(0x40 + 32 * 3)));
        encoded.extend(word(U256::from(2)));
        for x in m {
            encoded.extend(B256::left_padding_from(x.signer.as_slice()));
        }
        encoded.extend(word(U256::from(2)));
        for x in m {
            encoded.extend(word(x.stake));
        }
        assert_eq!(set.hash(), keccak256(&encoded));
        // stake and membership change it; BLS keys are not part of it
        assert_ne!(keys.set(&[7, 10]).hash(), set.hash());
        assert_ne!(Keys::new(3).set(&[7, 9, 1]).hash(), set.hash());
        let mut other_bls = m.to_vec();
        other_bls[0].bls_key = Bytes::from(vec![2; 96]);
        assert_eq!(ValidatorSet::new(other_bls).unwrap().hash(), set.hash());
    }

    #[test]
    fn malformed_sets_are_refused() {
        let keys = Keys::new(2);
        let set = keys.set(&[1, 2]);
        let mut twice = set.members().to_vec();
        twice.push(ActiveValidator { validator: Address::repeat_byte(9), ..twice[0].clone() });
        assert_eq!(
            ValidatorSet::new(twice).unwrap_err(),
            ValidatorSetError::DuplicateSigner(set.members()[0].signer)
        );
        let mut same_owner = set.members().to_vec();
        same_owner[1].validator = same_owner[0].validator;
        assert_eq!(
            ValidatorSet::new(same_owner).unwrap_err(),
            ValidatorSetError::DuplicateValidator(set.members()[0].validator)
        );
        let mut zero = set.members().to_vec();
        zero[1].stake = U256::ZERO;
        assert_eq!(
            ValidatorSet::new(zero).unwrap_err(),
            ValidatorSetError::ZeroStake(set.members()[1].validator)
        );
    }

    #[test]
    fn quorum_is_strictly_more_than_two_thirds_of_stake() {
        let set = Keys::new(3).set(&[1, 1, 1]);
        assert!(!set.is_quorum(ether(2)));
        assert!(set.is_quorum(ether(2) + U256::from(1)));
        assert!(set.is_quorum(ether(3)));
        assert!(!ValidatorSet::new(vec![]).unwrap().is_quorum(U256::ZERO));
    }

    #[test]
    fn certificate_with_more_than_two_thirds_verifies() {
        let keys = Keys::new(4);
        let set = keys.set(&[40, 30, 20, 10]);
        let k = &keys.0;
        let cert = signed_by(certificate(), &[&k[0], &k[1]]);
        assert_eq!(cert.verify(&set, &SIGNING), Ok(ether(70)));
        let all = signed_by(certificate(), &[&k[0], &k[1], &k[2], &k[3]]);
        assert_eq!(all.verify(&set, &SIGNING), Ok(ether(100)));
        // stake, not head count: three of four validators holding 60% are not enough
        let three = signed_by(certificate(), &[&k[1], &k[2], &k[3]]);
        assert_eq!(
            three.verify(&set, &SIGNING),
            Err(CertificateError::InsufficientStake { signed: ether(60), total: ether(100) })
        );
        let none = certificate();
        assert_eq!(
            none.verify(&set, &SIGNING),
            Err(CertificateError::InsufficientStake { signed: U256::ZERO, total: ether(100) })
        );
    }

    #[test]
    fn exactly_two_thirds_is_refused() {
        let keys = Keys::new(3);
        let set = keys.set(&[1, 1, 1]);
        let cert = signed_by(certificate(), &[&keys.0[0], &keys.0[1]]);
        assert_eq!(
            cert.verify(&set, &SIGNING),
            Err(CertificateError::InsufficientStake { signed: ether(2), total: ether(3) })
        );
    }

    #[test]
    fn duplicate_unsorted_and_unknown_signers_are_refused() {
        let keys = Keys::new(4);
        let set = keys.set(&[40, 30, 20, 10]);
        let k = &keys.0;
        let cert = signed_by(certificate(), &[&k[0], &k[1]]);
        let mut dup = cert.clone();
        dup.signatures.push(dup.signatures[1]);
        assert_eq!(
            dup.verify(&set, &SIGNING),
            Err(CertificateError::DuplicateSigner(cert.signatures[1].signer))
        );
        let mut unsorted = cert.clone();
        unsorted.signatures.reverse();
        assert_eq!(
            unsorted.verify(&set, &SIGNING),
            Err(CertificateError::Unsorted(cert.signatures[0].signer))
        );
        // a valid precommit from a key outside the set
        let stranger = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x77)).unwrap();
        let mut unknown = signed_by(certificate(), &[&k[0], &k[1], &stranger]);
        unknown.signatures.sort_by_key(|s| s.signer);
        assert_eq!(
            unknown.verify(&set, &SIGNING),
            Err(CertificateError::UnknownSigner(stranger.address()))
        );
    }

    #[test]
    fn signatures_over_anything_but_this_precommit_are_refused() {
        let keys = Keys::new(4);
        let set = keys.set(&[40, 30, 20, 10]);
        let k = &keys.0;
        let good = signed_by(certificate(), &[&k[0], &k[1]]);
        let precommit = good.precommit();
        let victim = good.signatures.iter().position(|s| s.signer == k[1].address()).unwrap();
        let mut wrong = vec![
            ConsensusVote { kind: VoteKind::Prevote, ..precommit },
            ConsensusVote { round: 0, ..precommit },
            ConsensusVote { height: 40, ..precommit },
            ConsensusVote { domain: 1, ..precommit },
            ConsensusVote { timestamp: precommit.timestamp + 1, ..precommit },
            ConsensusVote { block_hash: B256::repeat_byte(0xac), ..precommit },
        ]
        .into_iter()
        .map(|v| sign(&k[1], &v, &SIGNING))
        .collect::<Vec<_>>();
        // the right vote for another deployment
        wrong.push(sign(&k[1], &precommit, &SigningDomain { l1_chain_id: 1, ..SIGNING }));
        wrong.push(sign(
            &k[1],
            &precommit,
            &SigningDomain { stake_manager: Address::repeat_byte(1), ..SIGNING },
        ));
        // another member's valid signature claimed as k[1]'s
        wrong.push(CommitSignature { signer: k[1].address(), ..sign(&k[2], &precommit, &SIGNING) });
        for s in wrong {
            let mut cert = good.clone();
            cert.signatures[victim] = s;
            assert_eq!(
                cert.verify(&set, &SIGNING),
                Err(CertificateError::BadSignature(k[1].address()))
            );
        }
        // the malleated (high-s) twin recovers to the same key, but L1 refuses it: so do we
        let n = U256::from_be_slice(&alloy_primitives::hex!(
            "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"
        ));
        let sig = good.signatures[victim].signature;
        let twin = Signature::new(sig.r(), n - sig.s(), !sig.v());
        assert_eq!(
            twin.recover_address_from_prehash(&precommit.digest(&SIGNING)).unwrap(),
            k[1].address()
        );
        let mut cert = good.clone();
        cert.signatures[victim].signature = twin;
        assert_eq!(
            cert.verify(&set, &SIGNING),
            Err(CertificateError::BadSignature(k[1].address()))
        );
        // a certificate for nil finalizes nothing
        let nil = signed_by(
            FinalityCertificate { block_hash: B256::ZERO, timestamp: 0, ..certificate() },
            &[&k[0], &k[1]],
        );
        assert_eq!(nil.verify(&set, &SIGNING), Err(CertificateError::NilBlock));
    }

    #[test]
    fn certificate_round_trips_through_json() {
        let keys = Keys::new(2);
        let cert = signed_by(certificate(), &[&keys.0[0], &keys.0[1]]);
        let json = serde_json::to_string(&cert).unwrap();
        let back: FinalityCertificate = serde_json::from_str(&json).unwrap();
        assert_eq!(back, cert);
        assert_eq!(back.verify(&keys.set(&[1, 1]), &SIGNING), Ok(ether(2)));
    }
}
