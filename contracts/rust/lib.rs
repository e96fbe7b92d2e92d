//! The SEC chain's contracts, for Rust: alloy `sol!` bindings generated from the committed
//! compiler artifacts (`contracts/out/*.json`, so building needs no Solidity toolchain), the
//! creation and runtime bytecode of every contract, the deployment plan of the whole Ethereum
//! side in one call, the fixed addresses of the L2 predeploys, and the EIP-712 digests that
//! validators sign (finality votes, checkpoints, signer registration).
//!
//! The node uses it to install predeploys and sign votes, the bridge to deploy, watch and call
//! the L1 contracts, and the tests to run the real contracts on revm.

pub mod artifacts;
pub mod bindings;
pub mod deploy;
pub mod digest;
pub mod predeploy;
pub mod revert;
mod sandbox;
pub mod trade;
pub mod verify;

pub use sandbox::BlockContext;

pub use deploy::{
    DeployError, DeployStep, L1Addresses, L1DeployConfig, L1Deployment, plan_l1_deployment,
};
pub use revert::decode_revert;

/// Errors of this crate's helpers.
#[derive(Debug, thiserror::Error)]
pub enum ContractsError {
    /// The deployment configuration is unusable.
    #[error(transparent)]
    Deploy(#[from] DeployError),
    /// Return data or an event could not be decoded with the contract's ABI.
    #[error("abi decoding failed: {0}")]
    Abi(#[from] alloy::sol_types::Error),
    /// Running a contract's creation code in the local EVM failed.
    #[error("creating {name} failed: {reason}")]
    Creation {
        /// Contract name.
        name: &'static str,
        /// Revert reason, halt reason or EVM error.
        reason: String,
    },
    /// A predeploy's constructor stored its own (temporary) address, so its code cannot be
    /// moved to the fixed predeploy address.
    #[error("{name} captures its creation address and cannot be installed at genesis")]
    AddressCaptured {
        /// Contract name.
        name: &'static str,
    },
    /// The number of block contexts does not match the deployment's steps.
    #[error("{steps} deployment steps but {blocks} block contexts")]
    BlockCount {
        /// Steps in the plan.
        steps: usize,
        /// Block contexts given.
        blocks: usize,
    },
}
