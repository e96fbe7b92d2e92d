//! The SEC header extension: what a domain block commits to beyond a standard Ethereum header.
//!
//! The header's `extraData` holds `keccak256(rlp(SecExtension))` (32 bytes), so any Ethereum
//! client can verify the block hash while SEC components can check the extension served by
//! `sec_getBlockExtension` against it.

use alloy_primitives::{Address, B256, Bytes, keccak256};
use alloy_rlp::{RlpDecodable, RlpEncodable};
use serde::{Deserialize, Serialize};

use crate::DomainId;

/// The last delivered cross-domain message nonce from one source domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, RlpEncodable, RlpDecodable, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InboxCursor {
    /// Source domain of the messages.
    pub src_domain: DomainId,
    /// Nonce of the last message from `src_domain` delivered into this domain.
    pub nonce: u64,
}

/// The L1 block at which a domain block read its deposits and validator set.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, RlpEncodable, RlpDecodable, Serialize, Deserialize,
)]
pub struct L1Origin {
    /// L1 block number.
    #[serde(with = "crate::quantity")]
    pub number: u64,
    /// L1 block hash.
    pub hash: B256,
}

/// Everything a domain block commits to in its `extraData`.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecExtension {
    /// The domain this block belongs to.
    pub domain: DomainId,
    /// The validator that produced the block.
    pub producer: Address,
    /// Merkle root of the cross-domain messages this block appended to its outbox.
    pub outbox_root: B256,
    /// Per source domain, the last message nonce delivered up to and including this block.
    pub inbox_cursor: Vec<InboxCursor>,
    /// The L1 block deposits and the validator set were read at.
    pub l1_origin: L1Origin,
    /// The DPoS epoch of the block.
    #[serde(with = "crate::quantity")]
    pub epoch: u64,
    /// The producer's slot: the parent's slot plus one plus the slots skipped before this
    /// block (a consensus round each). Stored so that every node, including one syncing from
    /// certificates, recomputes who was due to produce it and who missed their slot.
    #[serde(with = "crate::quantity")]
    pub slot: u64,
    /// The producer's BLS signature over (domain, height) that the block's `mixHash` mixes in
    /// (see [`crate::randomness`]); empty at genesis.
    pub randomness: Bytes,
    /// On an epoch's boundary block, the hash of the next epoch's validator set
    /// ([`crate::validator::ValidatorSet::hash`]), so a node syncing from genesis can check the
    /// sets its peers give it against certified blocks; zero on every other block.
    pub next_set_hash: B256,
}

impl SecExtension {
    /// `keccak256(rlp(self))`: the 32 bytes stored in the header's `extraData`.
    pub fn commitment(&self) -> B256 {
        keccak256(alloy_rlp::encode(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commitment_changes_with_every_field() {
        let base = SecExtension {
            domain: 1,
            producer: Address::repeat_byte(1),
            outbox_root: B256::ZERO,
            inbox_cursor: vec![InboxCursor { src_domain: 0, nonce: 3 }],
            l1_origin: L1Origin { number: 7, hash: B256::repeat_byte(7) },
            epoch: 2,
            slot: 5,
            randomness: Bytes::from_static(&[9; 96]),
            next_set_hash: B256::ZERO,
        };
        let mut seen = vec![base.commitment()];
        let mut variants = vec![];
        let mut v = base.clone();
        v.domain = 2;
        variants.push(v);
        let mut v = base.clone();
        v.producer = Address::repeat_byte(2);
        variants.push(v);
        let mut v = base.clone();
        v.outbox_root = B256::repeat_byte(1);
        variants.push(v);
        let mut v = base.clone();
        v.inbox_cursor[0].nonce = 4;
        variants.push(v);
        let mut v = base.clone();
        v.l1_origin.number = 8;
        variants.push(v);
        let mut v = base.clone();
        v.epoch = 3;
        variants.push(v);
        let mut v = base.clone();
        v.slot = 6;
        variants.push(v);
        let mut v = base.clone();
        v.randomness = Bytes::from_static(&[8; 96]);
        variants.push(v);
        let mut v = base.clone();
        v.next_set_hash = B256::repeat_byte(3);
        variants.push(v);
        for v in variants {
            let c = v.commitment();
            assert!(!seen.contains(&c));
            seen.push(c);
        }
        let decoded: SecExtension =
            alloy_rlp::Decodable::decode(&mut alloy_rlp::encode(&base).as_slice()).unwrap();
        assert_eq!(decoded, base);
    }

    #[test]
    fn json_uses_quantities() {
        let ext = SecExtension {
            domain: 0,
            producer: Address::ZERO,
            outbox_root: B256::ZERO,
            inbox_cursor: vec![],
            l1_origin: L1Origin { number: 255, hash: B256::ZERO },
            epoch: 16,
            slot: 17,
            randomness: Bytes::new(),
            next_set_hash: B256::ZERO,
        };
        let json = serde_json::to_value(&ext).unwrap();
        assert_eq!(json["l1Origin"]["number"], "0xff");
        assert_eq!(json["epoch"], "0x10");
        assert_eq!(json["slot"], "0x11");
        let back: SecExtension = serde_json::from_value(json).unwrap();
        assert_eq!(back, ext);
    }
}
