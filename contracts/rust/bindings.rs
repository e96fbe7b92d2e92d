//! `sol!` bindings for every contract, generated from the committed artifacts in
//! `contracts/out/`. Each module holds one contract (`<module>::<Contract>`) with its calls,
//! events, errors, structs and `BYTECODE` / `DEPLOYED_BYTECODE`.
//!
//! One module per contract because structs declared in shared libraries (e.g.
//! `Messages.Withdrawal`) are generated next to each contract that uses them.

#![allow(missing_docs, clippy::too_many_arguments)]

macro_rules! binding {
    ($module:ident, $name:ident, $path:literal) => {
        #[doc = concat!("Binding of `", stringify!($name), "` (", $path, ").")]
        pub mod $module {
            alloy::sol!(
                #[allow(missing_docs)]
                #[derive(Debug, PartialEq, Eq)]
                $name,
                $path
            );
        }
    };
}

binding!(sec_token, SECToken, "out/SECToken.json");
binding!(vesting_vault, VestingVault, "out/VestingVault.json");
binding!(presale, Presale, "out/Presale.json");
binding!(timelocked_reserve, TimelockedReserve, "out/TimelockedReserve.json");
binding!(merchant_issuance, MerchantIssuance, "out/MerchantIssuance.json");
binding!(stake_manager, StakeManager, "out/StakeManager.json");
binding!(checkpoint_manager, CheckpointManager, "out/CheckpointManager.json");
binding!(l1_bridge, L1Bridge, "out/L1Bridge.json");
binding!(cross_domain, CrossDomain, "out/CrossDomain.json");
binding!(l2_bridge, L2Bridge, "out/L2Bridge.json");
binding!(l2_token_factory, L2TokenFactory, "out/L2TokenFactory.json");
binding!(bridged_erc20, BridgedERC20, "out/BridgedERC20.json");
binding!(trust_index, TrustIndex, "out/TrustIndex.json");
binding!(trade_escrow, TradeEscrow, "out/TradeEscrow.json");
binding!(disputes, Disputes, "out/Disputes.json");
binding!(home_directory, HomeDirectory, "out/HomeDirectory.json");

/// Contracts used only by tests (attackers, odd tokens, hashing harness). Not for production.
pub mod test {
    binding!(test_token, TestToken, "out/test/TestToken.json");
    binding!(fee_on_transfer_token, FeeOnTransferToken, "out/test/FeeOnTransferToken.json");
    binding!(reentrant_token, ReentrantToken, "out/test/ReentrantToken.json");
    binding!(reverting_recipient, RevertingRecipient, "out/test/RevertingRecipient.json");
    binding!(reentrant_recipient, ReentrantRecipient, "out/test/ReentrantRecipient.json");
    binding!(double_caller, DoubleCaller, "out/test/DoubleCaller.json");
    binding!(hash_harness, HashHarness, "out/test/HashHarness.json");
    binding!(trade_actor, TradeActor, "out/test/TradeActor.json");
}

pub use checkpoint_manager::CheckpointManager;
pub use cross_domain::CrossDomain;
pub use disputes::Disputes;
pub use home_directory::HomeDirectory;
pub use l1_bridge::L1Bridge;
pub use l2_bridge::L2Bridge;
pub use l2_token_factory::L2TokenFactory;
pub use merchant_issuance::MerchantIssuance;
pub use presale::Presale;
pub use sec_token::SECToken;
pub use stake_manager::StakeManager;
pub use timelocked_reserve::TimelockedReserve;
pub use trade_escrow::TradeEscrow;
pub use trust_index::TrustIndex;
pub use vesting_vault::VestingVault;
