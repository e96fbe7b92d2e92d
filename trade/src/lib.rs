//! `sec-trade`: a client for the trade-and-trust predeploys (`TradeEscrow`, `TrustIndex`,
//! `Disputes`; rules in `contracts/TRADE.md`) over plain JSON-RPC.
//!
//! - [`TradeClient`]: one account on one domain: sends each step (estimated, signed EIP-1559,
//!   waited for) and reads offers, disputes and trust;
//! - [`words`]: stages, outcomes, the contracts' custom errors ("only the buyer may do this"),
//!   amounts and times, as a person reads them.
//!
//! A step the contract refuses is never sent: it comes back as [`TradeError::Refused`].

pub mod client;
pub mod error;
pub mod words;

pub use client::{Standing, TokenInfo, TradeClient, event, hash_text};
pub use error::{Result, TradeError};
pub use words::{Target, explain};
