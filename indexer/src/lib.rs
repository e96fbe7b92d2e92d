//! The SEC indexer: follows every domain of a node over JSON-RPC into SQL (SQLite by default,
//! PostgreSQL at scale, one set of migrations), resumable and reorg-safe, for the explorer and
//! anyone who wants to query the chain with SQL.

pub mod abi;
pub mod bulk;
pub mod db;
mod error;
pub mod ethereum;
pub mod extract;
pub mod follow;
pub mod retry;
pub mod schema;
pub mod source;
pub mod state;
pub mod statement_limit;
pub mod store;
pub mod trade;
pub mod verified;
pub mod wire;
pub mod writer;

pub use db::{Backend, Database};
pub use error::IndexerError;
pub use follow::{IndexerConfig, Stats, run, run_supervised, run_waiting_for_node};
