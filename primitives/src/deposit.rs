//! Deposits: what `L1Bridge` locked on Ethereum for an account on an SEC domain, as every node
//! reads it from the `Deposit` event and credits it with a system transaction.

use alloy_primitives::{Address, Bytes, U256};
use serde::{Deserialize, Serialize};

use crate::DomainId;

/// How a deposit is credited on L2, from the event's `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DepositKind {
    /// Ether: minted as the bridged ETH token.
    Eth,
    /// SEC: native balance.
    Sec,
    /// Any other ERC-20: minted as its bridged token.
    Erc20,
}

impl DepositKind {
    /// The kind `L1Bridge` encodes as `kind` (0, 1, 2); `None` for any other value.
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            KIND_ETH => Some(Self::Eth),
            KIND_SEC => Some(Self::Sec),
            KIND_ERC20 => Some(Self::Erc20),
            _ => None,
        }
    }
}

/// Deposit kind code of ETH.
pub const KIND_ETH: u8 = 0;
/// Deposit kind code of SEC (native balance on L2).
pub const KIND_SEC: u8 = 1;
/// Deposit kind code of other ERC-20s.
pub const KIND_ERC20: u8 = 2;

/// A deposit as `L1Bridge` recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deposit {
    /// Bridge-wide deposit nonce (from 1): the order nodes credit deposits in.
    #[serde(with = "crate::quantity")]
    pub nonce: u64,
    /// Target domain.
    pub domain: DomainId,
    /// L1 token (zero for ETH).
    pub token: Address,
    /// 0 = ETH, 1 = SEC, 2 = ERC-20 (see [`DepositKind::from_code`]).
    pub kind: u8,
    /// L1 depositor.
    pub from: Address,
    /// L2 recipient.
    pub to: Address,
    /// Amount actually locked (fee-on-transfer tokens lock less than sent).
    pub amount: U256,
    /// Calldata for the recipient on L2.
    pub data: Bytes,
    /// `abi.encode(name, symbol, decimals)` for ERC-20 deposits, else empty.
    pub token_metadata: Bytes,
    /// L1 block of the deposit.
    #[serde(with = "crate::quantity")]
    pub block: u64,
}
