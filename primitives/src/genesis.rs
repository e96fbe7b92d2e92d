//! Genesis allocation types and the development accounts.

use std::collections::BTreeMap;

use alloy::signers::local::{MnemonicBuilder, PrivateKeySigner, coins_bip39::English};
use alloy_primitives::{B256, Bytes, U256};
use serde::{Deserialize, Serialize};

/// The well-known development mnemonic (the same as hardhat's and anvil's), so that every
/// wallet and tool knows the dev keys. Never use it for anything of value.
pub const DEV_MNEMONIC: &str = "test test test test test test test test test test test junk";

/// One account in a genesis allocation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisAccount {
    /// Balance in wei.
    pub balance: U256,
    /// Account nonce.
    #[serde(default)]
    pub nonce: u64,
    /// Deployed code (empty for externally owned accounts).
    #[serde(default)]
    pub code: Bytes,
    /// Storage slots.
    #[serde(default)]
    pub storage: BTreeMap<B256, B256>,
}

/// Errors deriving development keys.
#[derive(Debug, thiserror::Error)]
pub enum GenesisError {
    /// The mnemonic or derivation path was rejected.
    #[error("cannot derive key {index} from mnemonic: {reason}")]
    Derive {
        /// Account index in the BIP-44 path.
        index: u32,
        /// Why derivation failed.
        reason: String,
    },
}

/// The first `n` accounts of `mnemonic` on the standard Ethereum path `m/44'/60'/0'/0/i`.
pub fn dev_signers(mnemonic: &str, n: u32) -> Result<Vec<PrivateKeySigner>, GenesisError> {
    dev_signers_from(mnemonic, 0..n)
}

/// The accounts of `mnemonic` at the derivation indexes `indexes` (`m/44'/60'/0'/0/i`).
pub fn dev_signers_from(
    mnemonic: &str,
    indexes: std::ops::Range<u32>,
) -> Result<Vec<PrivateKeySigner>, GenesisError> {
    indexes
        .map(|index| {
            MnemonicBuilder::<English>::default()
                .phrase(mnemonic)
                .index(index)
                .and_then(|b| b.build())
                .map_err(|e| GenesisError::Derive { index, reason: e.to_string() })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::address;

    #[test]
    fn dev_mnemonic_gives_the_well_known_accounts() {
        let signers = dev_signers(DEV_MNEMONIC, 2).unwrap();
        assert_eq!(signers[0].address(), address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266"));
        assert_eq!(signers[1].address(), address!("70997970C51812dc3A010C7d01b50e0d17dc79C8"));
    }
}
