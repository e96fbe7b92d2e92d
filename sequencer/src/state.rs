//! The world state of one domain: flat account and storage maps for execution, and the
//! account and storage tries that give the state root and `eth_getProof`.
//!
//! Execution reads through an [`Overlay`] that collects a block's writes without touching the
//! head state; [`WorldState::apply`] then applies those [`StateChanges`], updates only the
//! touched trie paths, and returns the values they replaced (for historical reads).

use std::collections::{BTreeMap, HashMap};

use alloy_primitives::{Address, B256, Bytes, KECCAK256_EMPTY, U256, keccak256};
use alloy_trie::{EMPTY_ROOT_HASH, TrieAccount};
use revm::{
    Database, DatabaseCommit, DatabaseRef,
    bytecode::Bytecode,
    primitives::{AddressMap, StorageKey, StorageValue},
    state::{Account as EvmAccount, AccountInfo},
};

use crate::{
    trie::Trie,
    trie_store::{ACCOUNT_TRIE, KnownNodes, TrieSnapshot},
};

/// An account as the state stores it (code lives in a separate map, by hash).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Account {
    /// Nonce.
    pub nonce: u64,
    /// Balance in wei.
    pub balance: U256,
    /// `keccak256(code)`; [`KECCAK256_EMPTY`] for accounts without code.
    pub code_hash: B256,
}

impl Account {
    /// Converts to revm's account info (without the code itself).
    pub fn to_info(self) -> AccountInfo {
        // `code: None` makes revm load the code by hash (the default would be empty code).
        AccountInfo {
            balance: self.balance,
            nonce: self.nonce,
            code_hash: self.code_hash,
            ..Default::default()
        }
        .without_code()
    }

    fn from_info(info: &AccountInfo) -> Self {
        Self { nonce: info.nonce, balance: info.balance, code_hash: info.code_hash }
    }
}

/// Bytecode from bytes that came from outside (disk, RPC overrides): a malformed EIP-7702
/// designator is kept as plain legacy code rather than panicking.
pub(crate) fn bytecode(code: Bytes) -> Bytecode {
    Bytecode::new_raw_checked(code.clone()).unwrap_or_else(|_| Bytecode::new_legacy(code))
}

/// An account with its storage and storage trie.
#[derive(Debug, Clone, Default)]
struct AccountEntry {
    account: Account,
    storage: HashMap<U256, U256>,
    storage_trie: Trie,
    storage_root: B256,
}

/// What one account's entry became during a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountChange {
    /// The account after the block; `None` if it no longer exists.
    pub account: Option<Account>,
    /// Whether its storage was cleared first (self-destruct or re-creation).
    pub wiped: bool,
    /// Storage slots written, after `wiped` is applied; zero means removed.
    pub storage: BTreeMap<U256, U256>,
}

/// All state writes of one block, sorted so that applying and persisting them is deterministic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StateChanges {
    /// Per account, what changed.
    pub accounts: BTreeMap<Address, AccountChange>,
    /// New bytecode by hash.
    pub codes: BTreeMap<B256, Bytes>,
}

/// The values a block replaced: what historical reads at the parent block see.
#[derive(Debug, Clone, Default)]
pub struct Reverts {
    /// Account before the block (`None`: did not exist).
    pub accounts: Vec<(Address, Option<Account>)>,
    /// Storage slot values before the block.
    pub storage: Vec<(Address, U256, U256)>,
}

/// The head state of a domain.
#[derive(Debug, Default)]
pub struct WorldState {
    accounts: HashMap<Address, AccountEntry>,
    codes: HashMap<B256, Bytecode>,
    trie: Trie,
    /// Accounts changed since the last [`WorldState::state_root`]: the root re-encodes only
    /// these, so its cost follows the block, not the size of the state.
    dirty: std::collections::HashSet<Address>,
    /// The sum of every account's balance: the domain's whole native SEC, kept as accounts are
    /// loaded and blocks applied (fees burned by the base fee lower it).
    native_total: U256,
    /// The tries of the latest committed blocks, for proofs at those blocks.
    history: TrieHistory,
    /// Accounts whose storage trie changed since the last [`WorldState::trie_snapshot`].
    storage_changed: std::collections::HashSet<Address>,
}

/// An account as loaded from disk: its address, fields and non-zero storage slots.
pub type LoadedAccount = (Address, Account, Vec<(U256, U256)>);

/// The branches whose hashes a [`WorldState::from_stored`] computed rather than read: per trie
/// (`None`: the account trie), their nibble paths.
pub type MissedBranches = Vec<(Option<Address>, Vec<Vec<u8>>)>;

/// The tries of the last `window` committed blocks. Tries share their nodes, so a block's
/// entry costs the nodes its writes copied, not a copy of the state.
#[derive(Debug, Default)]
struct TrieHistory {
    window: usize,
    /// Oldest first.
    blocks: std::collections::VecDeque<BlockTries>,
    /// Storage tries as they were before the block being applied, of the accounts whose
    /// storage it changes; they become its entry's `storage_before` when it is committed.
    pending: HashMap<Address, Trie>,
}

#[derive(Debug)]
struct BlockTries {
    number: u64,
    /// The account trie after the block.
    accounts: Trie,
    /// Storage tries before the block, of the accounts whose storage it changed.
    storage_before: HashMap<Address, Trie>,
}

impl WorldState {
    /// An empty state.
    pub fn new() -> Self {
        Self::default()
    }

    /// The account at `address`, if it exists.
    pub fn account(&self, address: &Address) -> Option<Account> {
        self.accounts.get(address).map(|e| e.account)
    }

    /// The value of a storage slot (zero if unset).
    pub fn storage(&self, address: &Address, slot: &U256) -> U256 {
        self.accounts.get(address).and_then(|e| e.storage.get(slot).copied()).unwrap_or_default()
    }

    /// Bytecode by its hash.
    pub fn code(&self, hash: &B256) -> Option<&Bytecode> {
        self.codes.get(hash)
    }

    /// The sum of every account's balance.
    pub fn native_total(&self) -> U256 {
        self.native_total
    }

    /// Number of accounts.
    pub fn account_count(&self) -> usize {
        self.accounts.len()
    }

    /// Iterates every account with its storage, for persisting a genesis state.
    pub fn iter(&self) -> impl Iterator<Item = (&Address, Account, &HashMap<U256, U256>)> {
        self.accounts.iter().map(|(a, e)| (a, e.account, &e.storage))
    }

    /// Adds code without touching accounts (loading from disk, genesis).
    pub fn insert_code(&mut self, code: Bytes) -> B256 {
        let hash = keccak256(&code);
        self.codes.entry(hash).or_insert_with(|| bytecode(code));
        hash
    }

    /// The state of `accounts` (and `codes`), its tries built in key order with the branch
    /// hashes `known` gives. Also returns the branches it had to compute, which the store of
    /// hashes lacks. Call [`WorldState::state_root`] after, and check it: a stale hash in
    /// `known` shows as a wrong root.
    pub fn from_stored(
        accounts: Vec<LoadedAccount>,
        codes: Vec<Bytes>,
        known: &KnownNodes,
    ) -> (Self, MissedBranches) {
        use rayon::prelude::*;
        let mut state = Self::new();
        for code in codes {
            state.insert_code(code);
        }
        // Per account: its entry, its key and leaf in the account trie, its storage's misses.
        type Built = (Address, AccountEntry, B256, Vec<u8>, Vec<Vec<u8>>);
        let built: Vec<Built> = accounts
            .into_par_iter()
            .map(|(address, account, slots)| {
                // The account's key in the account trie, which also owns its storage trie's
                // stored hashes (see `trie_store::storage_owner`).
                let key = keccak256(address);
                let mut entry = AccountEntry { account, ..Default::default() };
                let mut leaves: Vec<(B256, Vec<u8>)> = Vec::with_capacity(slots.len());
                for (slot, value) in slots {
                    if !value.is_zero() {
                        leaves
                            .push((keccak256(slot.to_be_bytes::<32>()), alloy_rlp::encode(value)));
                        entry.storage.insert(slot, value);
                    }
                }
                let mut missed = Vec::new();
                if !leaves.is_empty() {
                    leaves.sort_unstable_by_key(|l| l.0);
                    let finder = known.finder(&key);
                    entry.storage_trie = Trie::from_sorted(&mut leaves, &|p| finder.get(p));
                    missed = finder.into_missed();
                }
                entry.storage_root = if entry.storage_trie.is_empty() {
                    EMPTY_ROOT_HASH
                } else {
                    entry.storage_trie.root()
                };
                let leaf = alloy_rlp::encode(TrieAccount {
                    nonce: account.nonce,
                    balance: account.balance,
                    storage_root: entry.storage_root,
                    code_hash: account.code_hash,
                });
                (address, entry, key, leaf, missed)
            })
            .collect();
        let mut leaves = Vec::with_capacity(built.len());
        let mut missed = Vec::new();
        state.accounts.reserve(built.len());
        for (address, entry, key, leaf, storage_missed) in built {
            state.native_total += entry.account.balance;
            state.accounts.insert(address, entry);
            leaves.push((key, leaf));
            if !storage_missed.is_empty() {
                missed.push((Some(address), storage_missed));
            }
        }
        leaves.par_sort_unstable_by_key(|l| l.0);
        let finder = known.finder(&ACCOUNT_TRIE);
        state.trie = Trie::from_sorted(&mut leaves, &|p| finder.get(p));
        let account_missed = finder.into_missed();
        if !account_missed.is_empty() {
            missed.push((None, account_missed));
        }
        (state, missed)
    }

    /// The tries as they are now, for the store of branch hashes: the account trie and the
    /// storage tries changed since the previous snapshot. Call after [`WorldState::state_root`].
    pub fn trie_snapshot(&mut self, at: (u64, B256)) -> TrieSnapshot {
        let storage = std::mem::take(&mut self.storage_changed)
            .into_iter()
            .map(|a| (a, self.accounts.get(&a).map(|e| e.storage_trie.clone()).unwrap_or_default()))
            .collect();
        TrieSnapshot { at, accounts: self.trie.clone(), storage }
    }

    /// The storage trie of `address` (a snapshot), if it has storage.
    pub fn storage_trie(&self, address: &Address) -> Option<Trie> {
        self.accounts.get(address).map(|e| e.storage_trie.clone()).filter(|t| !t.is_empty())
    }

    /// The account trie (a snapshot: it shares the nodes).
    pub fn account_trie(&self) -> Trie {
        self.trie.clone()
    }

    /// Every storage trie that is not empty, by account (what a new snapshot is compared with).
    pub fn storage_tries(&self) -> HashMap<Address, Trie> {
        self.accounts
            .iter()
            .filter(|(_, e)| !e.storage_trie.is_empty())
            .map(|(a, e)| (*a, e.storage_trie.clone()))
            .collect()
    }

    /// Loads an account and its storage as stored on disk; call [`WorldState::state_root`] after.
    pub fn load_account(
        &mut self,
        address: Address,
        account: Account,
        storage: impl IntoIterator<Item = (U256, U256)>,
    ) {
        let mut entry = AccountEntry { account, ..Default::default() };
        for (slot, value) in storage {
            if !value.is_zero() {
                entry
                    .storage_trie
                    .insert(&keccak256(slot.to_be_bytes::<32>()), alloy_rlp::encode(value));
                entry.storage.insert(slot, value);
            }
        }
        let has_storage = !entry.storage_trie.is_empty();
        if let Some(old) = self.accounts.insert(address, entry) {
            self.native_total -= old.account.balance;
            if !old.storage_trie.is_empty() {
                self.storage_changed.insert(address);
            }
        }
        if has_storage {
            self.storage_changed.insert(address);
        }
        self.native_total += account.balance;
        self.dirty_account(address);
    }

    fn dirty_account(&mut self, address: Address) {
        // Marks the account for re-encoding; done lazily in `state_root`.
        if let Some(entry) = self.accounts.get_mut(&address) {
            entry.storage_root = B256::ZERO;
            self.dirty.insert(address);
        }
    }

    /// Applies a block's changes and returns what they replaced.
    pub fn apply(&mut self, changes: &StateChanges) -> Reverts {
        let mut reverts = Reverts::default();
        for (hash, code) in &changes.codes {
            self.codes.entry(*hash).or_insert_with(|| bytecode(code.clone()));
        }
        for (address, change) in &changes.accounts {
            let previous = self.accounts.get(address).map(|e| e.account);
            reverts.accounts.push((*address, previous));
            self.native_total -= previous.map(|a| a.balance).unwrap_or_default();
            self.native_total += change.account.map(|a| a.balance).unwrap_or_default();
            let entry = self.accounts.entry(*address).or_default();
            if change.wiped || !change.storage.is_empty() || change.account.is_none() {
                self.storage_changed.insert(*address);
                if self.history.window > 0 {
                    self.history
                        .pending
                        .entry(*address)
                        .or_insert_with(|| entry.storage_trie.clone());
                }
            }
            // A wiped slot that the block writes again reverts to its value before the wipe.
            let mut wiped = HashMap::new();
            if change.wiped {
                for (slot, value) in entry.storage.drain() {
                    if change.storage.contains_key(&slot) {
                        wiped.insert(slot, value);
                    } else {
                        reverts.storage.push((*address, slot, value));
                    }
                }
                entry.storage_trie = Trie::new();
            }
            for (slot, value) in &change.storage {
                let old = if value.is_zero() {
                    entry.storage.remove(slot)
                } else {
                    entry.storage.insert(*slot, *value)
                };
                let old = wiped.remove(slot).or(old);
                reverts.storage.push((*address, *slot, old.unwrap_or_default()));
                let key = keccak256(slot.to_be_bytes::<32>());
                if value.is_zero() {
                    entry.storage_trie.remove(&key);
                } else {
                    entry.storage_trie.insert(&key, alloy_rlp::encode(value));
                }
            }
            match change.account {
                Some(account) => {
                    entry.account = account;
                    entry.storage_root = B256::ZERO;
                    self.dirty.insert(*address);
                }
                None => {
                    // Slots the block did not write leave with the account: record them too,
                    // so the account comes back whole on a revert and in historical reads.
                    if let Some(removed) = self.accounts.remove(address) {
                        for (slot, value) in removed.storage {
                            if !change.storage.contains_key(&slot) {
                                reverts.storage.push((*address, slot, value));
                            }
                        }
                    }
                    self.trie.remove(&keccak256(address));
                }
            }
        }
        reverts
    }

    /// Takes over the accounts whose storage tries `old` changed since its last
    /// [`WorldState::trie_snapshot`], for a state reloaded from disk in its place.
    pub fn carry_trie_changes(&mut self, old: &mut WorldState) {
        self.storage_changed.extend(old.storage_changed.drain());
    }

    /// Undoes [`WorldState::apply`]: `reverts` must be what applying the last block returned.
    /// Lets a validator execute a proposed block, compute its state root and return to the
    /// head, so readers never see a block that is not committed.
    pub fn revert(&mut self, reverts: &Reverts) {
        let mut undo = StateChanges::default();
        for (address, account) in &reverts.accounts {
            undo.accounts.insert(
                *address,
                AccountChange { account: *account, wiped: false, storage: BTreeMap::new() },
            );
        }
        for (address, slot, value) in &reverts.storage {
            if let Some(change) = undo.accounts.get_mut(address) {
                change.storage.insert(*slot, *value);
            }
        }
        self.apply(&undo);
        // the reverted block is not committed: nothing of it goes into the history
        self.history.pending.clear();
    }

    /// Keeps the tries of the last `blocks` committed blocks for [`WorldState::proof_at`]
    /// (0: the head's only).
    pub fn set_history_window(&mut self, blocks: usize) {
        self.history.window = blocks;
        while self.history.blocks.len() > blocks {
            self.history.blocks.pop_front();
        }
    }

    /// How many blocks' tries are kept (see [`WorldState::set_history_window`]).
    pub fn history_window(&self) -> usize {
        self.history.window
    }

    /// Records the tries of block `number`, just applied and committed (its state root
    /// computed): its proofs stay available for the next `window` blocks.
    pub fn record_block(&mut self, number: u64) {
        let storage_before = std::mem::take(&mut self.history.pending);
        if self.history.window == 0 {
            return;
        }
        if self.history.blocks.back().is_some_and(|b| b.number + 1 != number) {
            // not the next block (a reload from disk): what is kept no longer leads here
            self.history.blocks.clear();
        }
        self.history.blocks.push_back(BlockTries {
            number,
            accounts: self.trie.clone(),
            storage_before,
        });
        while self.history.blocks.len() > self.history.window {
            self.history.blocks.pop_front();
        }
    }

    /// The oldest block [`WorldState::proof_at`] answers for, if any is kept.
    pub fn oldest_proof_block(&self) -> Option<u64> {
        self.history.blocks.front().map(|b| b.number)
    }

    /// [`WorldState::proof`] at block `number`, one of the kept ones (`None` otherwise): the
    /// account read from that block's trie, its storage from its storage trie as it was then
    /// (before the first later block that changed it, or as it is now).
    pub fn proof_at(&self, number: u64, address: &Address, slots: &[B256]) -> Option<AccountProof> {
        let oldest = self.history.blocks.front()?.number;
        let at = self.history.blocks.get(usize::try_from(number.checked_sub(oldest)?).ok()?)?;
        let storage = self
            .history
            .blocks
            .iter()
            .skip_while(|b| b.number <= number)
            .find_map(|b| b.storage_before.get(address))
            .or_else(|| self.accounts.get(address).map(|e| &e.storage_trie));
        Some(prove(&at.accounts, storage, address, slots))
    }

    /// The state root; re-encodes only accounts changed since the last call.
    pub fn state_root(&mut self) -> B256 {
        use rayon::prelude::*;
        // The changed entries leave the map while their roots are computed in parallel.
        let mut dirty: Vec<(Address, AccountEntry)> = std::mem::take(&mut self.dirty)
            .into_iter()
            .filter_map(|a| self.accounts.remove_entry(&a))
            .collect();
        let leaves: Vec<(B256, Vec<u8>)> = dirty
            .par_iter_mut()
            .map(|(address, entry)| {
                entry.storage_root = if entry.storage_trie.is_empty() {
                    EMPTY_ROOT_HASH
                } else {
                    entry.storage_trie.root()
                };
                let leaf = TrieAccount {
                    nonce: entry.account.nonce,
                    balance: entry.account.balance,
                    storage_root: entry.storage_root,
                    code_hash: entry.account.code_hash,
                };
                (keccak256(*address), alloy_rlp::encode(leaf))
            })
            .collect();
        self.accounts.extend(dirty);
        for (key, value) in leaves {
            self.trie.insert(&key, value);
        }
        self.trie.root()
    }

    /// Account proof and storage proofs for `eth_getProof`, against the last
    /// [`WorldState::state_root`] (which every committed head has had computed).
    pub fn proof(&self, address: &Address, slots: &[B256]) -> AccountProof {
        prove(&self.trie, self.accounts.get(address).map(|e| &e.storage_trie), address, slots)
    }
}

/// The proof of `address` and its `slots` in the account trie `accounts`, with the account's
/// storage trie of the same block (`None`: no storage). The account and the slot values are
/// read from the tries themselves, so the head and a kept past block are proven alike.
pub(crate) fn prove(
    accounts: &Trie,
    storage: Option<&Trie>,
    address: &Address,
    slots: &[B256],
) -> AccountProof {
    let key = keccak256(address);
    let account_proof = accounts.proof(&key);
    let leaf = accounts
        .get(&key)
        .and_then(|l| <TrieAccount as alloy_rlp::Decodable>::decode(&mut &l[..]).ok());
    let Some(leaf) = leaf else {
        return AccountProof {
            account: Account { code_hash: KECCAK256_EMPTY, ..Default::default() },
            storage_root: EMPTY_ROOT_HASH,
            account_proof,
            storage_proofs: slots.iter().map(|s| (*s, U256::ZERO, Vec::new())).collect(),
        };
    };
    let empty = Trie::new();
    let storage = storage.unwrap_or(&empty);
    let storage_proofs = slots
        .iter()
        .map(|slot| {
            let k = keccak256(slot);
            let value = storage
                .get(&k)
                .and_then(|v| <U256 as alloy_rlp::Decodable>::decode(&mut &v[..]).ok())
                .unwrap_or_default();
            (*slot, value, storage.proof(&k))
        })
        .collect();
    AccountProof {
        account: Account { nonce: leaf.nonce, balance: leaf.balance, code_hash: leaf.code_hash },
        storage_root: leaf.storage_root,
        account_proof,
        storage_proofs,
    }
}

/// The data of `eth_getProof`.
#[derive(Debug, Clone)]
pub struct AccountProof {
    /// The account (a default one with the empty code hash if absent).
    pub account: Account,
    /// Its storage root.
    pub storage_root: B256,
    /// Nodes from the state root to the account.
    pub account_proof: Vec<Bytes>,
    /// Per requested slot: key, value, nodes from the storage root.
    pub storage_proofs: Vec<(B256, U256, Vec<Bytes>)>,
}

/// A read-only view of state at some block, as execution needs it. Reads may fail (a past
/// block's values come from disk), and a failure must reach the caller, never read as zero.
pub trait StateReader {
    /// The account at `address`.
    fn account(&self, address: &Address) -> Result<Option<Account>, StateReadError>;
    /// A storage slot's value.
    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, StateReadError>;
    /// Bytecode by hash.
    fn code(&self, hash: &B256) -> Result<Option<Bytecode>, StateReadError>;
    /// Hash of a canonical block (for BLOCKHASH).
    fn block_hash(&self, number: u64) -> Result<B256, StateReadError>;
}

/// An error reading state; the store is local, so this means a corrupt or unreadable disk.
#[derive(Debug, thiserror::Error)]
#[error("state read failed: {0}")]
pub struct StateReadError(pub String);

impl revm::database_interface::DBErrorMarker for StateReadError {}

#[derive(Debug, Default, Clone)]
struct OverlayAccount {
    account: Option<Account>,
    wiped: bool,
    storage: HashMap<U256, U256>,
}

/// Collects the writes of a block (or a call) on top of a [`StateReader`], as a revm database.
pub struct Overlay<R> {
    base: R,
    accounts: HashMap<Address, OverlayAccount>,
    codes: HashMap<B256, Bytecode>,
}

impl<R: StateReader> Overlay<R> {
    /// An overlay with no writes yet.
    pub fn new(base: R) -> Self {
        Self { base, accounts: HashMap::new(), codes: HashMap::new() }
    }

    /// The underlying reader.
    pub fn base(&self) -> &R {
        &self.base
    }

    /// Sets an account's fields directly (state overrides of `eth_call`, system credits).
    pub fn set_account(
        &mut self,
        address: Address,
        account: Account,
    ) -> Result<(), StateReadError> {
        self.entry(address)?.account = Some(account);
        Ok(())
    }

    /// Replaces an account's whole storage (`state` override of `eth_call`).
    pub fn replace_storage(
        &mut self,
        address: Address,
        storage: impl IntoIterator<Item = (U256, U256)>,
    ) -> Result<(), StateReadError> {
        let entry = self.entry(address)?;
        entry.wiped = true;
        entry.storage = storage.into_iter().collect();
        Ok(())
    }

    /// Sets one storage slot (`stateDiff` override of `eth_call`).
    pub fn set_storage(
        &mut self,
        address: Address,
        slot: U256,
        value: U256,
    ) -> Result<(), StateReadError> {
        self.entry(address)?.storage.insert(slot, value);
        Ok(())
    }

    /// Installs code for an account and returns its hash.
    pub fn set_code(&mut self, address: Address, code: Bytes) -> Result<(), StateReadError> {
        let hash = if code.is_empty() { KECCAK256_EMPTY } else { keccak256(&code) };
        self.codes.insert(hash, bytecode(code));
        let entry = self.entry(address)?;
        let mut account =
            entry.account.unwrap_or(Account { code_hash: KECCAK256_EMPTY, ..Default::default() });
        account.code_hash = hash;
        entry.account = Some(account);
        Ok(())
    }

    /// The overlay's entry for `address`, starting from the account as the base has it.
    fn entry(&mut self, address: Address) -> Result<&mut OverlayAccount, StateReadError> {
        if !self.accounts.contains_key(&address) {
            let account = self.base.account(&address)?;
            self.accounts.insert(address, OverlayAccount { account, ..Default::default() });
        }
        Ok(self.accounts.entry(address).or_default())
    }

    /// The entry for an account whose every field is about to be written (no base read).
    fn entry_overwritten(&mut self, address: Address) -> &mut OverlayAccount {
        self.accounts.entry(address).or_default()
    }

    /// The account as this overlay sees it.
    pub fn account(&self, address: &Address) -> Result<Option<Account>, StateReadError> {
        match self.accounts.get(address) {
            Some(a) => Ok(a.account),
            None => self.base.account(address),
        }
    }

    /// The block's writes, sorted.
    pub fn into_changes(self) -> StateChanges {
        let accounts = self
            .accounts
            .into_iter()
            .map(|(address, a)| {
                let change = AccountChange {
                    account: a.account,
                    wiped: a.wiped,
                    storage: a.storage.into_iter().collect(),
                };
                (address, change)
            })
            .collect();
        let codes = self
            .codes
            .into_iter()
            .filter(|(h, _)| *h != KECCAK256_EMPTY)
            .map(|(h, c)| (h, c.original_bytes()))
            .collect();
        StateChanges { accounts, codes }
    }
}

impl<R: StateReader> DatabaseRef for Overlay<R> {
    type Error = StateReadError;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        Ok(self.account(&address)?.map(Account::to_info))
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        if code_hash == KECCAK256_EMPTY {
            return Ok(Bytecode::default());
        }
        if let Some(code) = self.codes.get(&code_hash) {
            return Ok(code.clone());
        }
        self.base
            .code(&code_hash)?
            .ok_or_else(|| StateReadError(format!("missing code {code_hash}")))
    }

    fn storage_ref(
        &self,
        address: Address,
        index: StorageKey,
    ) -> Result<StorageValue, Self::Error> {
        if let Some(a) = self.accounts.get(&address) {
            if let Some(v) = a.storage.get(&index) {
                return Ok(*v);
            }
            if a.wiped {
                return Ok(U256::ZERO);
            }
        }
        self.base.storage(&address, &index)
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, Self::Error> {
        self.base.block_hash(number)
    }
}

/// Reads never change an overlay: the mutable interface is the shared one.
impl<R: StateReader> Database for Overlay<R> {
    type Error = StateReadError;

    fn basic(&mut self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        self.basic_ref(address)
    }

    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        self.code_by_hash_ref(code_hash)
    }

    fn storage(
        &mut self,
        address: Address,
        index: StorageKey,
    ) -> Result<StorageValue, Self::Error> {
        self.storage_ref(address, index)
    }

    fn block_hash(&mut self, number: u64) -> Result<B256, Self::Error> {
        self.block_hash_ref(number)
    }
}

impl<R: StateReader> DatabaseCommit for Overlay<R> {
    fn commit(&mut self, changes: AddressMap<EvmAccount>) {
        for (address, account) in changes {
            if !account.is_touched() {
                continue;
            }
            // Self-destructed, or touched and empty (EIP-161): the account is removed.
            if account.is_selfdestructed() || account.is_empty() {
                let entry = self.entry_overwritten(address);
                entry.account = None;
                entry.wiped = true;
                entry.storage.clear();
                continue;
            }
            if let Some(code) = &account.info.code
                && account.info.code_hash != KECCAK256_EMPTY
            {
                self.codes.entry(account.info.code_hash).or_insert_with(|| code.clone());
            }
            let created = account.is_created();
            let entry = self.entry_overwritten(address);
            if created {
                entry.wiped = true;
                entry.storage.clear();
            }
            entry.account = Some(Account::from_info(&account.info));
            for (slot, value) in account.storage {
                if value.is_changed() || created {
                    entry.storage.insert(slot, value.present_value());
                }
            }
        }
    }
}

/// The head state as a [`StateReader`], with block hashes from a callback.
pub struct HeadReader<'a, F> {
    /// The state.
    pub state: &'a WorldState,
    /// Canonical block hash by number.
    pub block_hash: F,
}

impl<F: Fn(u64) -> Result<B256, StateReadError>> StateReader for HeadReader<'_, F> {
    fn account(&self, address: &Address) -> Result<Option<Account>, StateReadError> {
        Ok(self.state.account(address))
    }
    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, StateReadError> {
        Ok(self.state.storage(address, slot))
    }
    fn code(&self, hash: &B256) -> Result<Option<Bytecode>, StateReadError> {
        Ok(self.state.code(hash).cloned())
    }
    fn block_hash(&self, number: u64) -> Result<B256, StateReadError> {
        (self.block_hash)(number)
    }
}

impl<T: StateReader + ?Sized> StateReader for &T {
    fn account(&self, address: &Address) -> Result<Option<Account>, StateReadError> {
        (**self).account(address)
    }
    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, StateReadError> {
        (**self).storage(address, slot)
    }
    fn code(&self, hash: &B256) -> Result<Option<Bytecode>, StateReadError> {
        (**self).code(hash)
    }
    fn block_hash(&self, number: u64) -> Result<B256, StateReadError> {
        (**self).block_hash(number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_trie::{HashBuilder, Nibbles};

    /// The root of a state rebuilt from scratch with alloy-trie's builder.
    fn reference_root(state: &WorldState) -> B256 {
        let mut leaves: Vec<(B256, Vec<u8>)> = state
            .accounts
            .iter()
            .map(|(a, e)| {
                let mut slots: Vec<(B256, Vec<u8>)> = e
                    .storage
                    .iter()
                    .map(|(k, v)| (keccak256(k.to_be_bytes::<32>()), alloy_rlp::encode(v)))
                    .collect();
                slots.sort();
                let mut hb = HashBuilder::default();
                for (k, v) in &slots {
                    hb.add_leaf(Nibbles::unpack(k), v);
                }
                let storage_root = hb.root();
                let leaf = TrieAccount {
                    nonce: e.account.nonce,
                    balance: e.account.balance,
                    storage_root,
                    code_hash: e.account.code_hash,
                };
                (keccak256(a), alloy_rlp::encode(leaf))
            })
            .collect();
        leaves.sort();
        let mut hb = HashBuilder::default();
        for (k, v) in &leaves {
            hb.add_leaf(Nibbles::unpack(k), v);
        }
        hb.root()
    }

    fn acct(n: u64) -> Account {
        Account { nonce: n, balance: U256::from(n * 1000), code_hash: KECCAK256_EMPTY }
    }

    #[test]
    fn incremental_root_matches_a_rebuild_across_blocks() {
        let mut state = WorldState::new();
        for block in 0u64..5 {
            let mut changes = StateChanges::default();
            for i in 0..50u64 {
                let address = Address::with_last_byte((i * 3 + block) as u8);
                let storage =
                    (0..(i % 4)).map(|s| (U256::from(s + block), U256::from(i * s))).collect();
                let account = if (i + block) % 11 == 0 { None } else { Some(acct(i + block)) };
                changes
                    .accounts
                    .insert(address, AccountChange { account, wiped: i % 7 == 0, storage });
            }
            state.apply(&changes);
            assert_eq!(state.state_root(), reference_root(&state), "block {block}");
        }
    }

    /// Every account with its storage, sorted, to compare two states.
    fn contents(state: &WorldState) -> Vec<(Address, Account, BTreeMap<U256, U256>)> {
        let mut out: Vec<_> = state
            .iter()
            .map(|(a, account, storage)| {
                (*a, account, storage.iter().map(|(k, v)| (*k, *v)).collect())
            })
            .collect();
        out.sort_by_key(|(a, ..)| *a);
        out
    }

    #[test]
    fn revert_returns_to_the_state_and_root_before_the_block() {
        let mut state = WorldState::new();
        let mut history = vec![];
        for block in 0u64..6 {
            let mut changes = StateChanges::default();
            for i in 0..40u64 {
                let address = Address::with_last_byte((i * 5 + block) as u8);
                let storage = (0..(i % 5))
                    .map(|s| (U256::from(s + block % 2), U256::from((i + block) * s % 3)))
                    .collect();
                let account = if (i + block) % 9 == 0 { None } else { Some(acct(i + block)) };
                changes
                    .accounts
                    .insert(address, AccountChange { account, wiped: i % 6 == 0, storage });
            }
            let before = (state.state_root(), contents(&state), state.native_total());
            let reverts = state.apply(&changes);
            state.state_root();
            history.push((before, reverts));
        }
        while let Some(((root, accounts, total), reverts)) = history.pop() {
            state.revert(&reverts);
            assert_eq!(state.state_root(), root);
            assert_eq!(state.state_root(), reference_root(&state));
            assert_eq!(contents(&state), accounts);
            assert_eq!(state.native_total(), total);
        }
        assert_eq!(state.account_count(), 0);
    }

    #[test]
    fn native_total_is_the_sum_of_balances_through_loads_and_blocks() {
        let mut state = WorldState::new();
        let (a, b, c) =
            (Address::with_last_byte(1), Address::with_last_byte(2), Address::with_last_byte(3));
        state.load_account(a, acct(10), []);
        state.load_account(b, acct(5), []);
        state.load_account(b, acct(6), []);
        assert_eq!(state.native_total(), U256::from(16_000));
        let mut changes = StateChanges::default();
        let change = |account| AccountChange { account, wiped: false, storage: BTreeMap::new() };
        changes.accounts.insert(a, change(Some(acct(7))));
        changes.accounts.insert(b, change(None));
        changes.accounts.insert(c, change(Some(acct(2))));
        state.apply(&changes);
        let sum: U256 = state.iter().map(|(_, account, _)| account.balance).sum();
        assert_eq!(state.native_total(), U256::from(9_000));
        assert_eq!(state.native_total(), sum);
    }

    #[test]
    fn reverts_hold_previous_values() {
        let mut state = WorldState::new();
        let a = Address::with_last_byte(1);
        let mut changes = StateChanges::default();
        changes.accounts.insert(
            a,
            AccountChange {
                account: Some(acct(1)),
                wiped: false,
                storage: [(U256::from(1), U256::from(5))].into(),
            },
        );
        let reverts = state.apply(&changes);
        assert_eq!(reverts.accounts, vec![(a, None)]);
        assert_eq!(reverts.storage, vec![(a, U256::from(1), U256::ZERO)]);
        let mut changes = StateChanges::default();
        changes.accounts.insert(
            a,
            AccountChange { account: Some(acct(2)), wiped: true, storage: BTreeMap::new() },
        );
        let reverts = state.apply(&changes);
        assert_eq!(reverts.accounts, vec![(a, Some(acct(1)))]);
        assert_eq!(reverts.storage, vec![(a, U256::from(1), U256::from(5))]);
        assert_eq!(state.storage(&a, &U256::from(1)), U256::ZERO);
    }
}
