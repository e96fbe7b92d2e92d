//! `sec-bridge`: the SEC chain's client for Ethereum (L1), over plain JSON-RPC so it works
//! against any Ethereum node (geth, hardhat's node, this project's own L1 dev chain).
//!
//! It is how everything off-chain acts on the L1 contracts:
//! - [`L1Client`]: one signing key on one node: chain id, nonces, fees, sending and waiting
//!   for receipts, calls, code and logs;
//! - [`deploy_l1`]: deploys the whole L1 set of `sec_contracts::plan_l1_deployment` and
//!   verifies every deployed code hash; [`L1Deployment`] is the JSON file other components read;
//! - [`deposit`]: ETH, SEC and ERC-20 deposits and reading `Deposit` events;
//! - [`staking`]: validator registration, delegation, the active signer set;
//! - [`JsonRpcL1Source`]: the node's `sec_primitives::L1Source` (L1 head, finalized block,
//!   block hashes, the validator set at an L1 origin);
//! - [`checkpoint`]: signing checkpoints (signers sorted ascending) and submitting them;
//! - [`checkpointer`]: the relayer that builds each checkpoint from the domains' finalized
//!   blocks and their withdrawals, signs and submits it;
//! - [`withdrawal`]: withdrawal Merkle trees, proofs and finalization;
//! - [`judge`]: reporting validators that signed conflicting consensus messages;
//! - [`message`]: following a cross-domain message from its send to its delivery.
//!
//! Errors are [`BridgeError`]; a call or transaction the contract refuses comes back as
//! [`BridgeError::Reverted`] with the custom error decoded, before anything is sent.

pub mod checkpoint;
pub mod checkpointer;
pub mod client;
pub mod deploy;
pub mod deposit;
mod error;
pub mod judge;
pub mod l1_source;
pub mod message;
pub mod staking;
pub mod withdrawal;

pub use client::{Fees, L1Client, Receipt};
pub use deploy::{DeployedContract, L1Deployment, check_deployment, deploy_l1};
pub use error::{BridgeError, Result};
pub use l1_source::JsonRpcL1Source;
