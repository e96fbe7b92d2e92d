//! Protocol types shared by every SEC component: domain ids, the SEC header extension and its
//! commitment, L1 deposits, cross-domain (BGC) messages and withdrawals, the Merkle tree their roots use,
//! the genesis/chain configuration, consensus votes and their EIP-712 digest, validator sets
//! and finality certificates, and the [`L1Source`] through which the node reads Ethereum.
//!
//! Everything here is pure data and hashing, so that the node, the bridge, the indexer and
//! the contracts' tests agree byte for byte on what a commitment is.

pub mod checkpoint;
pub mod deposit;
pub mod domain;
pub mod durable;
pub mod evidence;
pub mod extension;
pub mod genesis;
pub mod l1;
pub mod merkle;
pub mod message;
pub mod quantity;
pub mod randomness;
pub mod validator;
pub mod vote;

pub use checkpoint::{Checkpoint, CheckpointSummary};
pub use deposit::{Deposit, DepositKind};
pub use domain::DomainId;
pub use evidence::{DoubleVote, EvidenceError, SignedVote};
pub use extension::{InboxCursor, L1Origin, SecExtension};
pub use genesis::{DEV_MNEMONIC, GenesisAccount, dev_signers, dev_signers_from};
pub use l1::{L1Error, L1Source};
pub use validator::{ActiveValidator, CommitSignature, FinalityCertificate, ValidatorSet};
pub use vote::{ConsensusVote, SigningDomain, VoteKind};
