//! What can go wrong with a trade step, in terms a user can act on.

/// Errors of [`crate::TradeClient`].
#[derive(Debug, thiserror::Error)]
pub enum TradeError {
    /// The contract refused the step (found by the gas estimate: nothing was sent).
    #[error("refused: {0}")]
    Refused(String),
    /// A step that sends a transaction was asked of a client without a key.
    #[error("this step sends a transaction: give --key or set SEC_KEY")]
    NoKey,
    /// No offer has this id.
    #[error("there is no offer {0}")]
    UnknownOffer(u64),
    /// The receipt lacks the event the step emits.
    #[error("the receipt has no {0} event")]
    MissingEvent(&'static str),
    /// Talking to the node failed (transport, fees, a transaction failed on chain).
    #[error(transparent)]
    Client(#[from] sec_bridge::BridgeError),
}

/// Result of a trade step.
pub type Result<T> = std::result::Result<T, TradeError>;
