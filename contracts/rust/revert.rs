//! Human-readable revert reasons: every contract reverts with custom errors, which clients
//! (the bridge CLI, the explorer) should show by name rather than as a hex selector.

use alloy::sol_types::{Revert, SolError, SolInterface};

use crate::bindings::{
    CheckpointManager, CrossDomain, Disputes, L1Bridge, L2Bridge, L2TokenFactory, MerchantIssuance,
    Presale, SECToken, StakeManager, TimelockedReserve, TradeEscrow, TrustIndex, VestingVault,
    bridged_erc20::BridgedERC20,
};

/// Decodes revert data from any SEC contract: a custom error (e.g. `InvalidProof(..)`) with
/// its fields, or an `Error(string)` reason. `None` for empty or unknown data.
pub fn decode_revert(data: &[u8]) -> Option<String> {
    macro_rules! try_errors {
        ($($errors:ty),* $(,)?) => {
            $(
                if let Ok(e) = <$errors>::abi_decode(data) {
                    return Some(format!("{e:?}"));
                }
            )*
        };
    }
    if data.len() < 4 {
        return None;
    }
    if let Ok(r) = Revert::abi_decode(data) {
        return Some(r.reason);
    }
    try_errors!(
        L1Bridge::L1BridgeErrors,
        CheckpointManager::CheckpointManagerErrors,
        StakeManager::StakeManagerErrors,
        SECToken::SECTokenErrors,
        Presale::PresaleErrors,
        VestingVault::VestingVaultErrors,
        TimelockedReserve::TimelockedReserveErrors,
        MerchantIssuance::MerchantIssuanceErrors,
        CrossDomain::CrossDomainErrors,
        L2Bridge::L2BridgeErrors,
        L2TokenFactory::L2TokenFactoryErrors,
        BridgedERC20::BridgedERC20Errors,
        TradeEscrow::TradeEscrowErrors,
        Disputes::DisputesErrors,
        TrustIndex::TrustIndexErrors,
    );
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::B256;

    #[test]
    fn names_custom_errors_and_reasons() {
        let data = L1Bridge::AlreadyFinalized { withdrawalHash: B256::repeat_byte(1) }.abi_encode();
        let text = decode_revert(&data).unwrap();
        assert!(text.contains("AlreadyFinalized"), "{text}");
        let data = CheckpointManager::NonConsecutiveId { expected: 2, got: 5 }.abi_encode();
        let text = decode_revert(&data).unwrap();
        assert!(text.contains("NonConsecutiveId") && text.contains('5'), "{text}");
        let data = Revert::from("blocked").abi_encode();
        assert_eq!(decode_revert(&data).as_deref(), Some("blocked"));
        assert_eq!(decode_revert(&[1, 2]), None);
        assert_eq!(decode_revert(&[0xde, 0xad, 0xbe, 0xef]), None);
    }
}
