//! Wire, WAL and sync encodings of the engine's messages: Borsh, as the engine's own types
//! implement it, with the two it does not cover (validator proofs and decided values with
//! their certificates) written out here field by field.

use bytes::Bytes;
use malachitebft_app::{
    streaming::StreamMessage,
    types::codec::{Codec, HasEncodedLen},
};
use malachitebft_core_consensus::{LivenessMsg, ProposedValue, SignedConsensusMsg};
use malachitebft_core_types::{
    ExtendedCommitCertificate, ExtendedCommitSignature, PolkaCertificate, Round, ValidatorProof,
};
use malachitebft_sync as sync;

use crate::context::{BlockId, Height, ProposalPart, SecContext, Sig, ValidatorAddress};

/// Why bytes did not decode.
#[derive(Debug, thiserror::Error)]
#[error("codec: {0}")]
pub struct CodecError(String);

/// The codec of every engine channel.
#[derive(Debug, Clone, Copy, Default)]
pub struct SecCodec;

fn from_borsh<T: borsh::BorshDeserialize>(bytes: &[u8]) -> Result<T, CodecError> {
    borsh::from_slice(bytes).map_err(|e| CodecError(e.to_string()))
}

fn to_borsh<T: borsh::BorshSerialize>(value: &T) -> Result<Bytes, CodecError> {
    borsh::to_vec(value).map(Bytes::from).map_err(|e| CodecError(e.to_string()))
}

macro_rules! borsh_codec {
    ($($t:ty),* $(,)?) => {$(
        impl Codec<$t> for SecCodec {
            type Error = CodecError;

            fn decode(&self, bytes: Bytes) -> Result<$t, CodecError> {
                from_borsh(&bytes)
            }

            fn encode(&self, msg: &$t) -> Result<Bytes, CodecError> {
                to_borsh(msg)
            }
        }
    )*};
}

borsh_codec!(
    ProposalPart,
    SignedConsensusMsg<SecContext>,
    LivenessMsg<SecContext>,
    StreamMessage<ProposalPart>,
    ProposedValue<SecContext>,
    PolkaCertificate<SecContext>,
    sync::Status<SecContext>,
    sync::Request<SecContext>,
);

/// [`ValidatorProof`] as Borsh would write it.
#[derive(borsh::BorshSerialize, borsh::BorshDeserialize)]
struct ProofWire {
    public_key: Vec<u8>,
    peer_id: Vec<u8>,
    signature: Sig,
}

impl Codec<ValidatorProof<SecContext>> for SecCodec {
    type Error = CodecError;

    fn decode(&self, bytes: Bytes) -> Result<ValidatorProof<SecContext>, CodecError> {
        let w: ProofWire = from_borsh(&bytes)?;
        Ok(ValidatorProof::new(w.public_key, w.peer_id, w.signature))
    }

    fn encode(&self, p: &ValidatorProof<SecContext>) -> Result<Bytes, CodecError> {
        to_borsh(&ProofWire {
            public_key: p.public_key.clone(),
            peer_id: p.peer_id.clone(),
            signature: p.signature,
        })
    }
}

/// A decided value as sync sends it: the block and its precommits (vote extensions are not
/// used, so none are carried).
#[derive(borsh::BorshSerialize, borsh::BorshDeserialize)]
struct DecidedWire {
    value_bytes: Vec<u8>,
    height: Height,
    round: Round,
    value_id: BlockId,
    signatures: Vec<(ValidatorAddress, Sig)>,
}

#[derive(borsh::BorshSerialize, borsh::BorshDeserialize)]
struct ResponseWire {
    start_height: Height,
    values: Vec<DecidedWire>,
}

fn response_wire(r: &sync::Response<SecContext>) -> ResponseWire {
    let sync::Response::ValueResponse(v) = r;
    ResponseWire {
        start_height: v.start_height,
        values: v
            .values
            .iter()
            .map(|d| DecidedWire {
                value_bytes: d.value_bytes.to_vec(),
                height: d.certificate.height,
                round: d.certificate.round,
                value_id: d.certificate.value_id,
                signatures: d
                    .certificate
                    .commit_signatures
                    .iter()
                    .map(|s| (s.address, s.signature))
                    .collect(),
            })
            .collect(),
    }
}

impl Codec<sync::Response<SecContext>> for SecCodec {
    type Error = CodecError;

    fn decode(&self, bytes: Bytes) -> Result<sync::Response<SecContext>, CodecError> {
        let w: ResponseWire = from_borsh(&bytes)?;
        let values = w
            .values
            .into_iter()
            .map(|d| {
                let certificate = ExtendedCommitCertificate {
                    height: d.height,
                    round: d.round,
                    value_id: d.value_id,
                    commit_signatures: d
                        .signatures
                        .into_iter()
                        .map(|(a, s)| ExtendedCommitSignature::new(a, s, None))
                        .collect(),
                };
                sync::RawDecidedValue::new(Bytes::from(d.value_bytes), certificate)
            })
            .collect();
        Ok(sync::Response::ValueResponse(sync::ValueResponse::new(w.start_height, values)))
    }

    fn encode(&self, r: &sync::Response<SecContext>) -> Result<Bytes, CodecError> {
        to_borsh(&response_wire(r))
    }
}

impl HasEncodedLen<sync::Response<SecContext>> for SecCodec {
    fn encoded_len(&self, r: &sync::Response<SecContext>) -> Result<usize, CodecError> {
        Ok(self.encode(r)?.len())
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{Address, B256};

    use super::*;

    #[test]
    fn decided_values_and_proofs_round_trip() {
        let id = BlockId { hash: B256::repeat_byte(3), timestamp: 77 };
        let sig = Sig([5; 65]);
        let who = ValidatorAddress(Address::repeat_byte(9));
        let certificate = ExtendedCommitCertificate {
            height: Height(4),
            round: Round::new(1),
            value_id: id,
            commit_signatures: vec![ExtendedCommitSignature::new(who, sig, None)],
        };
        let response = sync::Response::ValueResponse(sync::ValueResponse::new(
            Height(4),
            vec![sync::RawDecidedValue::new(Bytes::from_static(b"block"), certificate)],
        ));
        let bytes = SecCodec.encode(&response).unwrap();
        let back: sync::Response<SecContext> = SecCodec.decode(bytes).unwrap();
        assert_eq!(back, response);
        let proof = ValidatorProof::<SecContext>::new(vec![1; 20], vec![2; 38], sig);
        let back: ValidatorProof<SecContext> =
            SecCodec.decode(SecCodec.encode(&proof).unwrap()).unwrap();
        assert_eq!(back, proof);
        let garbage: Result<sync::Response<SecContext>, _> =
            SecCodec.decode(Bytes::from_static(&[1, 2, 3]));
        assert!(garbage.is_err());
    }
}
