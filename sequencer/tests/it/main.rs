//! Integration tests of the node: an in-process node with real storage and a real JSON-RPC
//! server, driven over HTTP and WebSocket like any client would.

mod common;

mod blocks;
mod deposits;
mod epochs;
mod errors;
mod execution;
mod fuzz;
mod limits;
mod messages;
mod methods;
mod ots;
mod packing;
mod proofs;
mod restart;
mod simulate;
mod subscriptions;
mod traces;
mod trade;
mod tries;
mod verify;
