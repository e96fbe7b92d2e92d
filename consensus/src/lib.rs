//! SEC validators: each runs one Malachite (Tendermint) engine per domain, which decides that
//! domain's blocks by stake. The scheduled producer builds a block, every validator re-executes
//! it before voting, and a block is committed with the precommits of more than 2/3 of the
//! epoch's stake (its finality certificate). Design and choice of engine:
//! `sequencer/CONSENSUS.md`.

pub mod checkpoints;
pub mod codec;
pub mod context;
pub mod driver;
pub mod node;
pub mod protection;
pub mod signing;
pub mod txgossip;
pub mod validator;

pub use checkpoints::{CheckpointSigner, SignedCheckpoint};
pub use driver::{Fault, Sets};
pub use node::{P2p, ValidatorNode, ValidatorNodeError};
pub use validator::{Validator, ValidatorConfig, ValidatorError};
