//! `eth_getProof` at a past block.
//!
//! The tries of the latest blocks stay in memory (see
//! [`crate::state::WorldState::record_block`]), so a proof
//! at one of them only reads. Further back, within [`super::DomainConfig::proof_window`], the tries of
//! the block are made again, as reth does: the head's tries, shared rather than copied, with
//! every account and slot the later blocks changed set back to its value at that block (from
//! the per-block changed keys and the history tables), and their root checked against the
//! block's state root before anything is proven. The cost is mostly what changed since the
//! block: a proof through the same 30,000 transfers took 37 ms at 105,001 accounts and 81 ms at
//! 5,005,001 (BENCHMARKS, "Stored branch hashes").

use std::collections::{BTreeMap, BTreeSet, HashMap};

use alloy_primitives::{Address, B256, U256, keccak256};
use alloy_trie::{EMPTY_ROOT_HASH, TrieAccount};

use super::Domain;
use crate::{
    state::{AccountProof, prove},
    storage::{StoreError, StoreReader},
    trie::Trie,
};

/// How many of the latest blocks keep their tries in memory (when the window is larger, the
/// older ones are made again on request).
pub(crate) const KEPT_TRIES: usize = 64;

/// How many times the tries are taken again when the head moved on (see
/// [`Domain::proof_from_changes`]).
const ROUNDS: usize = 8;

/// Why `eth_getProof` at a block could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    /// Older than the window.
    #[error(
        "proofs are kept for the latest blocks only (oldest is {oldest}, requested {requested})"
    )]
    OutOfWindow {
        /// The oldest block proofs are given at.
        oldest: u64,
        /// The block asked for.
        requested: u64,
    },
    /// A later block was written before changed keys were recorded.
    #[error("no proofs before block {0}: the changes of that block were not recorded")]
    NotRecorded(u64),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The head moved on faster than the history since the block was read.
    #[error("the chain moved on while the state of block {0} was being made again; try again")]
    Busy(u64),
    /// The tries made again do not hash to the block's state root.
    #[error("the state of block {0} could not be made again")]
    Mismatch(u64),
}

impl Domain {
    /// `eth_getProof` at block `number`: the head, or one of the last
    /// [`super::DomainConfig::proof_window`] blocks.
    pub fn proof_at(
        &self,
        number: u64,
        address: &Address,
        slots: &[B256],
    ) -> Result<AccountProof, ProofError> {
        {
            let chain = self.chain.read();
            if number == chain.head.number {
                return Ok(chain.state.proof(address, slots));
            }
            // The head is one of the window's blocks.
            let window = (self.config.proof_window as u64).saturating_sub(1);
            let oldest = chain.head.number.saturating_sub(window);
            if number < oldest || number > chain.head.number {
                return Err(ProofError::OutOfWindow { oldest, requested: number });
            }
            if let Some(proof) = chain.state.proof_at(number, address, slots) {
                return Ok(proof);
            }
        }
        self.proof_from_changes(number, address, slots)
    }

    /// A proof at `number` from the head's tries set back to that block. The chain lock is
    /// held only to take the tries (a clone shares their nodes); the history is read outside
    /// it. If the head moved on while reading and a storage trie not taken is needed, the
    /// tries are taken again at the new head.
    fn proof_from_changes(
        &self,
        number: u64,
        address: &Address,
        slots: &[B256],
    ) -> Result<AccountProof, ProofError> {
        let mut changed: BTreeMap<u64, Vec<crate::storage::ChangedKeys>> = BTreeMap::new();
        let mut wanted: BTreeSet<Address> = BTreeSet::from([*address]);
        // Each round takes the tries of the accounts the previous one found changed; a head
        // that keeps changing new accounts' storage faster than the history is read ends it.
        for _ in 0..ROUNDS {
            let (head, reader, accounts, storage) = {
                let chain = self.chain.read();
                let reader = self.store.reader()?;
                let storage: HashMap<Address, Trie> = wanted
                    .iter()
                    .filter_map(|a| chain.state.storage_trie(a).map(|t| (*a, t)))
                    .collect();
                (chain.head.number, reader, chain.state.account_trie(), storage)
            };
            let from = changed.last_key_value().map_or(number + 1, |(n, _)| n + 1);
            for n in from..=head {
                changed.insert(n, reader.changed(n)?.ok_or(ProofError::NotRecorded(n))?);
            }
            let mut keys: BTreeMap<Address, BTreeSet<U256>> = BTreeMap::new();
            for c in changed.range(number + 1..=head).flat_map(|(_, c)| c) {
                keys.entry(c.address).or_default().extend(c.slots.iter().copied());
            }
            let needed: BTreeSet<Address> = keys
                .iter()
                .filter(|(_, s)| !s.is_empty())
                .map(|(a, _)| *a)
                .chain([*address])
                .collect();
            if !needed.is_subset(&wanted) {
                wanted = needed;
                continue;
            }
            return set_back(number, &reader, accounts, storage, &keys, address, slots);
        }
        Err(ProofError::Busy(number))
    }
}

/// The proof at `number` from the head's `accounts` trie and the `storage` tries of the accounts
/// whose slots changed, with each key in `keys` set back to its value at `number`.
fn set_back(
    number: u64,
    reader: &StoreReader,
    mut accounts: Trie,
    mut storage: HashMap<Address, Trie>,
    keys: &BTreeMap<Address, BTreeSet<U256>>,
    address: &Address,
    slots: &[B256],
) -> Result<AccountProof, ProofError> {
    for (a, changed_slots) in keys {
        let trie = storage.entry(*a).or_default();
        for slot in changed_slots {
            let value = match reader.storage_at(a, slot, number)? {
                Some(v) => v,
                None => reader.storage(a, slot)?,
            };
            let key = keccak256(slot.to_be_bytes::<32>());
            if value.is_zero() {
                trie.remove(&key);
            } else {
                trie.insert(&key, alloy_rlp::encode(value));
            }
        }
        let key = keccak256(a);
        let account = match reader.account_at(a, number)? {
            Some(then) => then,
            None => reader.account(a)?,
        };
        let Some(account) = account else {
            accounts.remove(&key);
            continue;
        };
        let storage_root = if changed_slots.is_empty() {
            // Its storage is as at the head: the root its leaf there names.
            accounts
                .get(&key)
                .and_then(|l| <TrieAccount as alloy_rlp::Decodable>::decode(&mut &l[..]).ok())
                .map_or(EMPTY_ROOT_HASH, |l| l.storage_root)
        } else if trie.is_empty() {
            EMPTY_ROOT_HASH
        } else {
            trie.root()
        };
        let leaf = TrieAccount {
            nonce: account.nonce,
            balance: account.balance,
            storage_root,
            code_hash: account.code_hash,
        };
        accounts.insert(&key, alloy_rlp::encode(leaf));
    }
    let expected = reader.header(number)?.map(|h| h.state_root);
    if Some(accounts.root()) != expected {
        return Err(ProofError::Mismatch(number));
    }
    let trie = storage.get_mut(address);
    if let Some(t) = trie {
        t.root();
    }
    Ok(prove(&accounts, storage.get(address), address, slots))
}
