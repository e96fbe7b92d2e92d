//! Whole-system tests: the `sec` binary as users run it, killed and restarted, driven by
//! independent clients.

mod common;

mod bench;
mod bridge_crash;
mod bridge_devnet;
mod crash;
mod deposits;
mod epochs;
mod ethers;
mod explorer;
mod indexer;
#[cfg(feature = "byzantine")]
mod judge;
mod l1_hardhat;
mod l1_source;
mod messages;
mod pay;
mod trade;
mod trade_explorer;
mod trade_hardhat;
mod validators;
