//! DPoS epochs: which validator set decides which blocks, as read from Ethereum.
//!
//! Domain 0 keeps time in epochs of `length` blocks: epoch `e` is its blocks `e·L + 1 ..=
//! (e+1)·L`. The last of them, the epoch's *boundary block*, reads the next set from
//! `StakeManager` at the L1 origin it records (already `confirmations` deep), commits the
//! set's hash in its extension (`next_set_hash`) and stores the set with it, so every node
//! that has the block derives the same set, and a node that syncs later checks what its peers
//! give it against the hash. Jailed and slashed validators are not in `StakeManager`'s active
//! set, so they leave at the next epoch.
//!
//! The other domains follow domain 0: a block's epoch is its parent's, or the next one once
//! the boundary block of the parent's epoch is committed and more than [`EPOCH_SWITCH_DELAY`]
//! seconds older than the block. Producers move on as soon as that holds; validators accept
//! either, so a validator that catches up later (and sees the boundary block as long
//! committed) never refuses a block that stayed. The set that decides a height is therefore known when the
//! height starts. Epoch 0's set is the chain's genesis set.

use std::{
    collections::BTreeMap,
    sync::{Arc, OnceLock},
};

use alloy_primitives::B256;
use parking_lot::Mutex;
use sec_primitives::{L1Error, L1Origin, L1Source, ValidatorSet};
use serde::{Deserialize, Serialize};

use crate::storage::{ChainStore, StoreError};

/// Domain-0 blocks per epoch when the configuration does not say (about 3 minutes at 1 s).
pub const DEFAULT_EPOCH_LENGTH: u64 = 200;

/// Seconds a domain other than 0 waits after domain 0's boundary block before it moves to the
/// next epoch.
pub const EPOCH_SWITCH_DELAY: u64 = 2;

/// The validator set of one epoch, with where it was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EpochSet {
    /// The epoch.
    #[serde(with = "sec_primitives::quantity")]
    pub epoch: u64,
    /// Its active validators, as `StakeManager` reported them.
    pub set: ValidatorSet,
    /// The L1 block the set was read at (zero for the genesis set).
    pub origin: L1Origin,
    /// The domain-0 block that fixed it: the previous epoch's boundary block (0 for genesis).
    #[serde(with = "sec_primitives::quantity")]
    pub boundary: u64,
    /// `set.hash()`, as the boundary block's extension commits it.
    pub set_hash: B256,
}

impl EpochSet {
    /// `set` for `epoch`, read at `origin` and fixed by domain-0 block `boundary`.
    pub fn new(epoch: u64, set: ValidatorSet, origin: L1Origin, boundary: u64) -> Self {
        let set_hash = set.hash();
        Self { epoch, set, origin, boundary, set_hash }
    }
}

/// Why an epoch's set could not be had.
#[derive(Debug, thiserror::Error)]
pub enum EpochError {
    /// Ethereum could not be read.
    #[error("reading the validator set: {0}")]
    L1(#[from] L1Error),
    /// The chain has epochs but no Ethereum to read sets from.
    #[error("epochs need an L1 to read validator sets from")]
    NoL1,
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The node's view of epochs, shared by its domains: domain 0 writes sets, every domain reads
/// them.
pub struct Epochs {
    length: u64,
    l1: Option<Arc<dyn L1Source>>,
    /// Epoch 0's set, written with domain 0's genesis (ignored once genesis exists).
    genesis: Option<ValidatorSet>,
    domain0: OnceLock<Arc<ChainStore>>,
    cache: Mutex<BTreeMap<u64, Arc<EpochSet>>>,
}

impl std::fmt::Debug for Epochs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Epochs").field("length", &self.length).finish_non_exhaustive()
    }
}

impl Epochs {
    /// Epochs of `length` domain-0 blocks (at least 1), sets read from `l1`, starting from
    /// `genesis`.
    pub fn new(length: u64, l1: Option<Arc<dyn L1Source>>, genesis: Option<ValidatorSet>) -> Self {
        Self {
            length: length.max(1),
            l1,
            genesis,
            domain0: OnceLock::new(),
            cache: Mutex::new(BTreeMap::new()),
        }
    }

    /// Domain-0 blocks per epoch.
    pub fn length(&self) -> u64 {
        self.length
    }

    /// The genesis set, for domain 0's genesis block.
    pub fn genesis(&self) -> Option<&ValidatorSet> {
        self.genesis.as_ref()
    }

    /// Gives domain 0's store, once it is open; later calls are ignored.
    pub fn attach(&self, domain0: Arc<ChainStore>) {
        let _ = self.domain0.set(domain0);
    }

    /// The epoch of domain-0 block `number`.
    pub fn epoch_of(&self, number: u64) -> u64 {
        number.saturating_sub(1) / self.length
    }

    /// The boundary block of `epoch`: the domain-0 block that fixes the set of `epoch + 1`.
    pub fn boundary(&self, epoch: u64) -> u64 {
        epoch.saturating_add(1).saturating_mul(self.length)
    }

    /// Whether domain-0 block `number` is a boundary block.
    pub fn is_boundary(&self, number: u64) -> bool {
        number > 0 && number.is_multiple_of(self.length)
    }

    /// Reads from Ethereum the set a boundary block at L1 origin `origin` fixes.
    pub fn read_set(&self, origin: L1Origin) -> Result<ValidatorSet, EpochError> {
        let l1 = self.l1.as_ref().ok_or(EpochError::NoL1)?;
        Ok(l1.validator_set(origin)?)
    }

    /// The set of `epoch`, if domain 0 has committed the block that fixed it.
    pub fn set(&self, epoch: u64) -> Result<Option<Arc<EpochSet>>, EpochError> {
        if let Some(s) = self.cache.lock().get(&epoch) {
            return Ok(Some(s.clone()));
        }
        let Some(store) = self.domain0.get() else { return Ok(None) };
        let Some(set) = store.reader()?.epoch_set(epoch)? else { return Ok(None) };
        let set = Arc::new(set);
        let mut cache = self.cache.lock();
        cache.insert(epoch, set.clone());
        while cache.len() > 64 {
            cache.pop_first();
        }
        Ok(Some(set))
    }

    /// The seed of `epoch`'s producer schedule: `keccak(mixHash ‖ epoch)` of domain-0 block
    /// `(epoch − 1)·L`, fixed a whole epoch before it is used, so no producer knows its turn
    /// when it makes that block's randomness; `None` for epochs 0 and 1 (signer order) or
    /// while the block is not committed here.
    pub fn seed(&self, epoch: u64) -> Result<Option<B256>, EpochError> {
        if epoch < 2 {
            return Ok(None);
        }
        let Some(store) = self.domain0.get() else { return Ok(None) };
        let number = (epoch - 1).saturating_mul(self.length);
        Ok(store.reader()?.header(number)?.map(|h| {
            alloy_primitives::keccak256([h.mix_hash.as_slice(), &epoch.to_be_bytes()].concat())
        }))
    }

    /// Timestamp of the boundary block of `epoch`, if domain 0 has committed it.
    pub fn boundary_time(&self, epoch: u64) -> Result<Option<u64>, EpochError> {
        let Some(store) = self.domain0.get() else { return Ok(None) };
        Ok(store.reader()?.header(self.boundary(epoch))?.map(|h| h.timestamp))
    }

    /// The epoch a producer gives a block of a domain other than 0 at `timestamp` whose
    /// parent is in `parent_epoch`: the next one once the parent epoch's boundary block is
    /// committed here and more than [`EPOCH_SWITCH_DELAY`] seconds older (both facts of the
    /// chain, so any validator holding that boundary block agrees the move is allowed;
    /// staying in the parent's epoch is always accepted).
    pub fn follow(&self, parent_epoch: u64, timestamp: u64) -> Result<u64, EpochError> {
        Ok(match self.boundary_time(parent_epoch)? {
            Some(t) if t.saturating_add(EPOCH_SWITCH_DELAY) < timestamp => parent_epoch + 1,
            _ => parent_epoch,
        })
    }
}
