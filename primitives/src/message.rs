//! Cross-domain (BGC) messages and L1-bound withdrawals, and how they are hashed.
//!
//! Byte for byte the hashing of the `Messages` Solidity library (the L2 outbox, the L2 bridge
//! and the L1 bridge all use it):
//!
//! ```text
//! messageHash = keccak256(abi.encode(MESSAGE_TYPEHASH, srcDomain, nonce, sender, dstDomain,
//!                                    to, value, keccak256(data)))
//! MESSAGE_TYPEHASH = keccak256("Message(uint32 srcDomain,uint64 nonce,address sender,
//!                    uint32 dstDomain,address to,uint256 value,bytes data)")
//! ```
//!
//! A withdrawal is the L1-bound message (`dstDomain == L1_DOMAIN`) sent by the L2 bridge
//! predeploy: `to` is the L1 recipient, `value` is the amount for SEC (native SEC burned on L2)
//! and 0 otherwise, `data = abi.encode(l1Token, amount, l2Sender)`. The withdrawal's identity
//! hash (what the L1 bridge marks as spent) is that message's hash.

use alloy::sol_types::SolValue;
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use serde::{Deserialize, Serialize};

use crate::DomainId;

/// Destination domain id of messages bound for Ethereum.
pub const L1_DOMAIN: DomainId = u32::MAX;

/// The EIP-712-style type string of a message.
pub const MESSAGE_TYPE: &str = "Message(uint32 srcDomain,uint64 nonce,address sender,uint32 dstDomain,address to,uint256 value,bytes data)";

/// Errors decoding a message as a withdrawal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    /// The message is not bound for Ethereum.
    #[error("message to domain {0} is not a withdrawal")]
    NotL1Bound(DomainId),
    /// The message was not sent by the L2 bridge.
    #[error("withdrawal sent by {0}, not by the L2 bridge")]
    WrongSender(Address),
    /// The data is not `abi.encode(address, uint256, address)`.
    #[error("withdrawal data is malformed")]
    MalformedData,
    /// The message value does not match the withdrawal kind.
    #[error("withdrawal value {value} does not match amount {amount}")]
    ValueMismatch {
        /// Message value.
        value: U256,
        /// Amount in the data.
        amount: U256,
    },
}

/// A cross-domain message.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    alloy_rlp::RlpEncodable,
    alloy_rlp::RlpDecodable,
)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// Sending domain.
    pub src_domain: DomainId,
    /// Per-source nonce, from 1, counting all messages the source sent.
    #[serde(with = "crate::quantity")]
    pub nonce: u64,
    /// Account that called `CrossDomain.send`.
    pub sender: Address,
    /// Destination domain (`L1_DOMAIN` for Ethereum).
    pub dst_domain: DomainId,
    /// Recipient on the destination.
    pub to: Address,
    /// Native SEC burned on the source and minted to `to` on delivery.
    pub value: U256,
    /// Calldata for `to` (empty: plain transfer).
    pub data: Bytes,
}

/// `keccak256(MESSAGE_TYPE)`.
pub fn message_typehash() -> B256 {
    keccak256(MESSAGE_TYPE)
}

impl Message {
    /// The message hash, as `Messages.messageHash` computes it.
    pub fn hash(&self) -> B256 {
        keccak256(
            (
                message_typehash(),
                self.src_domain,
                self.nonce,
                self.sender,
                self.dst_domain,
                self.to,
                self.value,
                keccak256(&self.data),
            )
                .abi_encode(),
        )
    }
}

/// A withdrawal to Ethereum, as `L1Bridge.finalizeWithdrawal` takes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Withdrawal {
    /// Domain the tokens were burned on.
    pub src_domain: DomainId,
    /// Nonce of the L1-bound message in that domain's outbox.
    #[serde(with = "crate::quantity")]
    pub nonce: u64,
    /// L2 account that withdrew.
    pub sender: Address,
    /// L1 recipient.
    pub recipient: Address,
    /// L1 token: zero for ETH, SEC's address for SEC, else the ERC-20.
    pub l1_token: Address,
    /// Amount in the token's smallest unit.
    pub amount: U256,
}

impl Withdrawal {
    /// The L1-bound message the L2 bridge (`l2_bridge`) sent for this withdrawal; `is_sec`
    /// tells whether `l1_token` is SEC (the message then carried the amount as value).
    pub fn to_message(&self, l2_bridge: Address, is_sec: bool) -> Message {
        Message {
            src_domain: self.src_domain,
            nonce: self.nonce,
            sender: l2_bridge,
            dst_domain: L1_DOMAIN,
            to: self.recipient,
            value: if is_sec { self.amount } else { U256::ZERO },
            data: (self.l1_token, self.amount, self.sender).abi_encode_params().into(),
        }
    }

    /// Identity hash: the hash of [`Self::to_message`].
    pub fn hash(&self, l2_bridge: Address, is_sec: bool) -> B256 {
        self.to_message(l2_bridge, is_sec).hash()
    }

    /// Reads a withdrawal back from an L1-bound message sent by `l2_bridge`.
    pub fn from_message(message: &Message, l2_bridge: Address) -> Result<Self, MessageError> {
        if message.dst_domain != L1_DOMAIN {
            return Err(MessageError::NotL1Bound(message.dst_domain));
        }
        if message.sender != l2_bridge {
            return Err(MessageError::WrongSender(message.sender));
        }
        let (l1_token, amount, sender) =
            <(Address, U256, Address)>::abi_decode_params(&message.data)
                .map_err(|_| MessageError::MalformedData)?;
        if !message.value.is_zero() && message.value != amount {
            return Err(MessageError::ValueMismatch { value: message.value, amount });
        }
        Ok(Self {
            src_domain: message.src_domain,
            nonce: message.nonce,
            sender,
            recipient: message.to,
            l1_token,
            amount,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Withdrawal {
        Withdrawal {
            src_domain: 2,
            nonce: 7,
            sender: Address::repeat_byte(1),
            recipient: Address::repeat_byte(2),
            l1_token: Address::repeat_byte(3),
            amount: U256::from(1_000u64),
        }
    }

    #[test]
    fn withdrawal_round_trips_through_its_message() {
        let bridge = Address::repeat_byte(9);
        let w = sample();
        let m = w.to_message(bridge, true);
        assert_eq!(m.value, w.amount);
        assert_eq!(Withdrawal::from_message(&m, bridge).unwrap(), w);
        assert_eq!(
            Withdrawal::from_message(&m, Address::repeat_byte(8)),
            Err(MessageError::WrongSender(bridge))
        );
        let mut other = m.clone();
        other.dst_domain = 1;
        assert_eq!(Withdrawal::from_message(&other, bridge), Err(MessageError::NotL1Bound(1)));
        let mut bad = m.clone();
        bad.data = Bytes::from_static(&[1, 2, 3]);
        assert_eq!(Withdrawal::from_message(&bad, bridge), Err(MessageError::MalformedData));
    }

    #[test]
    fn every_field_changes_the_hash() {
        let bridge = Address::repeat_byte(9);
        let base = sample();
        let h = base.hash(bridge, false);
        assert_ne!(h, base.hash(bridge, true));
        let mut variants = Vec::new();
        let mut w = base.clone();
        w.src_domain = 3;
        variants.push(w);
        let mut w = base.clone();
        w.nonce = 8;
        variants.push(w);
        let mut w = base.clone();
        w.sender = Address::repeat_byte(4);
        variants.push(w);
        let mut w = base.clone();
        w.recipient = Address::repeat_byte(4);
        variants.push(w);
        let mut w = base.clone();
        w.l1_token = Address::ZERO;
        variants.push(w);
        let mut w = base.clone();
        w.amount = U256::from(1_001u64);
        variants.push(w);
        for v in variants {
            assert_ne!(v.hash(bridge, false), h, "{v:?}");
        }
    }
}
