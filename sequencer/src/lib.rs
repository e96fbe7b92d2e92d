//! The SEC node: revm execution under Prague rules, a transaction pool and a block producer per
//! domain (each on its own thread, so domains run in parallel), durable storage in redb with one
//! atomic commit per block, an incremental Merkle-Patricia state root, and the Ethereum JSON-RPC
//! (HTTP and WebSocket, domain `d` at `/domain/{d}`).

pub mod checkpoint;
pub mod domain;
pub mod epochs;
pub mod executor;
pub mod mempool;
pub mod node;
pub mod rpc;
pub mod state;
pub mod storage;
pub mod system;
pub mod testing;
pub mod trie;
pub mod trie_store;

pub use domain::{ChainEvent, Domain, DomainConfig, DomainError, SubmitError};
pub use node::{Node, NodeConfig};
