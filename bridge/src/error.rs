//! What can go wrong talking to Ethereum, in terms a caller can act on.

use std::time::Duration;

use alloy::sol_types::SolError;
use alloy_primitives::{Address, B256, Bytes};

/// Errors of the L1 client and the bridge operations built on it.
#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    /// The endpoint URL was refused by the HTTP client.
    #[error("invalid L1 endpoint {url}: {reason}")]
    Endpoint {
        /// The URL given.
        url: String,
        /// Why it was refused.
        reason: String,
    },
    /// A JSON-RPC request failed (transport, or an error response that is not a revert).
    #[error("{method} failed: {source}")]
    Rpc {
        /// JSON-RPC method.
        method: &'static str,
        /// The client's error.
        #[source]
        source: jsonrpsee::core::ClientError,
    },
    /// The node answered with something this client cannot read.
    #[error("{method} returned an unexpected response: {reason}")]
    BadResponse {
        /// JSON-RPC method.
        method: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// A call (or the gas estimate before a transaction) reverted: nothing was sent.
    #[error("{method} reverted: {reason}")]
    Reverted {
        /// `eth_call` or `eth_estimateGas`.
        method: &'static str,
        /// Decoded custom error or reason, else the node's message.
        reason: String,
        /// Raw revert data (empty when the node did not return it).
        data: Bytes,
    },
    /// A transaction was mined but failed.
    #[error("transaction {tx_hash} failed on chain (gas used {gas_used})")]
    TransactionFailed {
        /// Transaction hash.
        tx_hash: B256,
        /// Gas it used.
        gas_used: u64,
    },
    /// No receipt appeared in time; the transaction may still be mined later.
    #[error("no receipt for {tx_hash} after {waited:?}")]
    ReceiptTimeout {
        /// Transaction hash.
        tx_hash: B256,
        /// How long we waited.
        waited: Duration,
    },
    /// A cross-domain message was not delivered in time; it may still be later
    /// (`sec_getMessage` follows it).
    #[error("message {hash} not delivered after {waited:?} (sec_getMessage follows it)")]
    DeliveryTimeout {
        /// Message hash.
        hash: B256,
        /// How long we waited.
        waited: Duration,
    },
    /// Signing failed.
    #[error("signing failed: {0}")]
    Signing(#[from] alloy::signers::Error),
    /// Return data or a log did not decode with the contract's ABI.
    #[error("abi decoding failed: {0}")]
    Abi(#[from] alloy::sol_types::Error),
    /// The deployment plan or its local replay failed.
    #[error(transparent)]
    Contracts(#[from] sec_contracts::ContractsError),
    /// The deployment configuration is unusable.
    #[error(transparent)]
    Plan(#[from] sec_contracts::DeployError),
    /// The sender's nonce is not the one a plan step requires (another transaction from the
    /// same key interfered).
    #[error("{name} needs nonce {expected}, but the account's next nonce is {actual}")]
    NonceMoved {
        /// Plan step.
        name: &'static str,
        /// Nonce the plan requires.
        expected: u64,
        /// Nonce the account has.
        actual: u64,
    },
    /// A contract was created somewhere else than planned.
    #[error("{name} was created at {actual:?}, planned {expected}")]
    AddressMismatch {
        /// Plan step.
        name: &'static str,
        /// Planned address.
        expected: Address,
        /// Receipt's contract address.
        actual: Option<Address>,
    },
    /// The code at a deployed address is not what the deployment must have produced.
    #[error("{name} at {address}: code hash {actual}, expected {expected}")]
    CodeMismatch {
        /// Contract.
        name: &'static str,
        /// Address.
        address: Address,
        /// Expected code hash.
        expected: B256,
        /// Code hash on chain.
        actual: B256,
    },
    /// A receipt lacks the event the operation must have emitted.
    #[error("transaction {tx_hash} emitted no {event} event")]
    MissingEvent {
        /// Transaction.
        tx_hash: B256,
        /// Event name.
        event: &'static str,
    },
    /// A withdrawal proof does not lead to the checkpoint's withdrawal root on L1.
    #[error(
        "proof of withdrawal {withdrawal_hash} does not match the root of checkpoint {checkpoint_id}"
    )]
    InvalidProof {
        /// Withdrawal identity hash.
        withdrawal_hash: B256,
        /// Checkpoint.
        checkpoint_id: u64,
    },
    /// `CheckpointManager` has not accepted a checkpoint with this id.
    #[error("checkpoint {0} has not been accepted on L1")]
    UnknownCheckpoint(u64),
    /// A withdrawal is not among the given withdrawals.
    #[error("withdrawal {0} is not in the tree")]
    NotInTree(B256),
    /// A deployment file could not be read or written.
    /// The judge's state file cannot be read or written.
    #[error("judge state {path}: {reason}")]
    JudgeState {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    #[error("deployment file {path}: {reason}")]
    DeploymentFile {
        /// File path.
        path: String,
        /// Why.
        reason: String,
    },
}

impl BridgeError {
    /// The revert data, if this is a revert.
    pub fn revert_data(&self) -> Option<&Bytes> {
        match self {
            Self::Reverted { data, .. } => Some(data),
            _ => None,
        }
    }

    /// The custom error `E` this reverted with, if it did.
    pub fn revert_as<E: SolError>(&self) -> Option<E> {
        self.revert_data().and_then(|d| E::abi_decode(d).ok())
    }
}

/// Result of this crate.
pub type Result<T, E = BridgeError> = std::result::Result<T, E>;
