//! What can go wrong with a trade step, in terms a user can act on.

/// Errors of [`crate::TradeClient`].
#[derive(Debug, thiserror::Error)]
pub enum TradeError {
    /// The contract refused the step (found by the gas estimate: nothing was sent).
    #[error("refused: {0}")]
    Refused(String),
    /// A step sent from another domain was refused when it arrived (the offer changed in the
    /// meantime); the value it carried went back by a message.
    #[error("refused on delivery: {why}; {} SEC it carried went back to domain {source_domain}", crate::words::sec(*value))]
    RefusedOnDelivery {
        /// The escrow's refusal in words.
        why: String,
        /// What the message carried, returned.
        value: alloy_primitives::U256,
        /// Where it went back to.
        source_domain: u32,
    },
    /// Judges act on the dispute's own domain.
    #[error("judges act on the dispute's own domain: give its --rpc, without --from-domain")]
    NotRelayed,
    /// A message carries SEC only: a token price is paid on the offer's domain.
    #[error("{0} is an ERC-20: messages carry SEC only, so pay on the offer's domain")]
    TokenAcrossDomains(alloy_primitives::Address),
    /// `--from-domain` named the offer's own domain.
    #[error("the account is already on domain {0}: leave out --from-domain")]
    SameDomain(u32),
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
