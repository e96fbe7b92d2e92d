//! JSON-RPC errors with the codes and messages Ethereum clients expect.

use alloy_primitives::{Bytes, hex};
use jsonrpsee::types::ErrorObjectOwned;

use crate::{
    domain::SubmitError,
    executor::{CallError, revert_reason},
    storage::StoreError,
};

/// An error answered to a JSON-RPC call.
#[derive(Debug, thiserror::Error)]
pub enum RpcError {
    /// -32602: parameters that do not make sense.
    #[error("{0}")]
    InvalidParams(String),
    /// -32000: geth's generic server error (unknown block, rejected transaction, ...).
    #[error("{0}")]
    Server(String),
    /// 3: the call reverted; data holds the revert bytes.
    #[error("execution reverted")]
    Reverted(Bytes),
    /// -32603: a fault of the node itself.
    #[error("internal error: {0}")]
    Internal(String),
    /// -32001: the requested resource does not exist.
    #[error("{0}")]
    NotFound(String),
    /// -32005: a limit was exceeded (log range, result count).
    #[error("{0}")]
    LimitExceeded(String),
}

impl RpcError {
    /// "header not found", geth's answer for state at an unknown block.
    pub fn header_not_found() -> Self {
        Self::Server("header not found".into())
    }
}

impl From<RpcError> for ErrorObjectOwned {
    fn from(e: RpcError) -> Self {
        match e {
            RpcError::InvalidParams(m) => ErrorObjectOwned::owned(-32602, m, None::<()>),
            RpcError::Server(m) => ErrorObjectOwned::owned(-32000, m, None::<()>),
            RpcError::Reverted(data) => {
                let message = match revert_reason(&data) {
                    Some(reason) => format!("execution reverted: {reason}"),
                    None => "execution reverted".to_string(),
                };
                ErrorObjectOwned::owned(3, message, Some(hex::encode_prefixed(&data)))
            }
            RpcError::Internal(m) => {
                ErrorObjectOwned::owned(-32603, format!("internal error: {m}"), None::<()>)
            }
            RpcError::NotFound(m) => ErrorObjectOwned::owned(-32001, m, None::<()>),
            RpcError::LimitExceeded(m) => ErrorObjectOwned::owned(-32005, m, None::<()>),
        }
    }
}

impl From<StoreError> for RpcError {
    fn from(e: StoreError) -> Self {
        Self::Internal(e.to_string())
    }
}

impl From<crate::state::StateReadError> for RpcError {
    fn from(e: crate::state::StateReadError) -> Self {
        Self::Internal(e.to_string())
    }
}

impl From<SubmitError> for RpcError {
    fn from(e: SubmitError) -> Self {
        Self::Server(e.to_string())
    }
}

impl From<CallError> for RpcError {
    fn from(e: CallError) -> Self {
        match e {
            CallError::Invalid(m) => Self::Server(m),
            CallError::State(e) => Self::Internal(e.to_string()),
            e @ CallError::Timeout(_) => Self::Server(e.to_string()),
        }
    }
}

/// Result of an RPC handler.
pub type RpcResult<T> = Result<T, RpcError>;
