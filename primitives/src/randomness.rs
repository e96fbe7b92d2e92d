//! The block randomness: each block's producer signs `(domain, height)` with its BLS12-381 key
//! and `mixHash = keccak256(parent.mixHash ‖ signature)`.
//!
//! A BLS signature (min-pk: 48-byte public keys, as `StakeManager` registers them; 96-byte
//! signatures) is unique for a key and a message, so the producer cannot grind it: its only
//! lever is to withhold its block (one bit of bias, as with Ethereum's RANDAO). The message has
//! no round, so the value is fixed per (domain, height) and producer; every node verifies it
//! against the producer's registered key, and PREVRANDAO returns the `mixHash`.
//!
//! A validator's BLS key is derived from its secp256k1 key (`keccak256(sk ‖ "SEC BLS")` as key
//! material), so one key file gives both.

use alloy_primitives::{B256, keccak256};
use blst::{
    BLST_ERROR,
    min_pk::{PublicKey, SecretKey, Signature},
};

use crate::DomainId;

/// Hash-to-curve domain separation tag of the signatures (the IETF BLS "NUL" scheme).
pub const DST: &[u8] = b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_";

/// Length of a compressed signature.
pub const SIGNATURE_LEN: usize = 96;

/// Why a block's randomness is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RandomnessError {
    /// The producer's key is not a valid BLS12-381 public key.
    #[error("invalid BLS public key")]
    BadKey,
    /// No BLS key could be derived from the key material.
    #[error("BLS key derivation failed: {0}")]
    KeyDerivation(String),
    /// The signature bytes do not decode, or fail to verify.
    #[error("BLS signature does not verify: {0}")]
    BadSignature(String),
    /// `mixHash` is not `keccak256(parent.mixHash ‖ signature)`.
    #[error("mixHash {got} is not {expected}")]
    WrongMix {
        /// In the header.
        got: B256,
        /// From the parent and the signature.
        expected: B256,
    },
}

/// A producer's BLS key.
pub struct RandaoKey(SecretKey);

impl std::fmt::Debug for RandaoKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("RandaoKey").field(&self.public_key()).finish()
    }
}

impl RandaoKey {
    /// The BLS key of the validator whose secp256k1 secret key is `ecdsa_secret`.
    pub fn from_ecdsa_secret(ecdsa_secret: &[u8]) -> Result<Self, RandomnessError> {
        let ikm = keccak256([ecdsa_secret, b"SEC BLS"].concat());
        SecretKey::key_gen(ikm.as_slice(), &[])
            .map(Self)
            .map_err(|e| RandomnessError::KeyDerivation(format!("{e:?}")))
    }

    /// The 48-byte compressed public key (what `StakeManager.registerValidator` takes).
    pub fn public_key(&self) -> [u8; 48] {
        self.0.sk_to_pk().compress()
    }

    /// The signature of block `height` of `domain` on chain `chain_id_base`.
    pub fn sign(&self, chain_id_base: u64, domain: DomainId, height: u64) -> [u8; SIGNATURE_LEN] {
        self.0.sign(&message(chain_id_base, domain, height), DST, &[]).compress()
    }
}

/// What a producer signs for block `height` of `domain`:
/// `"SEC-RANDAO" ‖ chain_id_base ‖ domain ‖ height`, big-endian.
pub fn message(chain_id_base: u64, domain: DomainId, height: u64) -> Vec<u8> {
    [
        b"SEC-RANDAO".as_slice(),
        &chain_id_base.to_be_bytes(),
        &domain.to_be_bytes(),
        &height.to_be_bytes(),
    ]
    .concat()
}

/// `keccak256(parent_mix ‖ signature)`.
pub fn mix(parent_mix: B256, signature: &[u8]) -> B256 {
    keccak256([parent_mix.as_slice(), signature].concat())
}

/// Checks block `height` of `domain`: `signature` is `public_key`'s over the block's message,
/// and `mix_hash` follows from `parent_mix` and it.
pub fn verify(
    public_key: &[u8],
    chain_id_base: u64,
    domain: DomainId,
    height: u64,
    signature: &[u8],
    parent_mix: B256,
    mix_hash: B256,
) -> Result<(), RandomnessError> {
    let pk = PublicKey::key_validate(public_key).map_err(|_| RandomnessError::BadKey)?;
    let sig = Signature::sig_validate(signature, true)
        .map_err(|e| RandomnessError::BadSignature(format!("{e:?}")))?;
    match sig.verify(true, &message(chain_id_base, domain, height), DST, &[], &pk, false) {
        BLST_ERROR::BLST_SUCCESS => {}
        e => return Err(RandomnessError::BadSignature(format!("{e:?}"))),
    }
    let expected = mix(parent_mix, signature);
    if expected != mix_hash {
        return Err(RandomnessError::WrongMix { got: mix_hash, expected });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_for_its_block_only_and_fixes_the_mix() {
        let key = RandaoKey::from_ecdsa_secret(&[7u8; 32]).unwrap();
        let pk = key.public_key();
        let sig = key.sign(53500, 2, 10);
        assert_eq!(sig, key.sign(53500, 2, 10), "unique: nothing to grind");
        let parent = B256::repeat_byte(1);
        let mixed = mix(parent, &sig);
        verify(&pk, 53500, 2, 10, &sig, parent, mixed).unwrap();
        // another block, domain, chain or key does not verify; a wrong mix is refused
        for (base, domain, height) in [(53500, 2, 11), (53500, 3, 10), (53600, 2, 10)] {
            let err = verify(&pk, base, domain, height, &sig, parent, mixed).unwrap_err();
            assert!(matches!(err, RandomnessError::BadSignature(_)), "{err}");
        }
        let other = RandaoKey::from_ecdsa_secret(&[8u8; 32]).unwrap().public_key();
        assert!(verify(&other, 53500, 2, 10, &sig, parent, mixed).is_err());
        let err = verify(&pk, 53500, 2, 10, &sig, parent, B256::ZERO).unwrap_err();
        assert!(matches!(err, RandomnessError::WrongMix { .. }));
        let mut forged = sig;
        forged[5] ^= 1;
        assert!(verify(&pk, 53500, 2, 10, &forged, parent, mix(parent, &forged)).is_err());
        assert_eq!(
            verify(&[0u8; 48], 53500, 2, 10, &sig, parent, mixed),
            Err(RandomnessError::BadKey)
        );
    }
}
