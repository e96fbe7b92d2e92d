//! The branch hashes of a domain's tries, kept on disk so that a restart does not rehash the
//! whole state.
//!
//! The tries themselves live in memory ([`crate::trie`]); this file keeps, for the account trie
//! and every storage trie, the reference of each branch node keyed by its owner and nibble path
//! (as reth keeps `AccountsTrie` and `StoragesTrie`). On open, the tries are built from the flat
//! state with those hashes in place, so only the leaves' paths are laid out and the few
//! branches without a current hash are computed; the root is then checked against the head's.
//!
//! The hashes are written by a [`TrieWriter`] thread, every few blocks and on close, from a
//! snapshot of the tries (a clone that shares their nodes): only the branches not shared with
//! the previous snapshot are written (and those gone removed), and the writes go to a file of
//! their own, so that a block's commit never waits for them (they share only the CPU: no
//! measurable change in throughput, BENCHMARKS "Stored branch hashes"). The file says which
//! block its hashes are for; a restart at a later block (after a crash) does not use the hashes
//! on the paths of the keys the blocks since then changed.
//!
//! The file is a cache: one that cannot be opened or read is started again and the state
//! hashed. Its rows are only ever written whole, one block at a time, so the root check on open
//! (which covers the hashes taken at the top of each unchanged subtree) also vouches for the
//! rows below them; a file altered by hand below that top is not detected.

use std::{
    collections::HashMap,
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
        mpsc,
    },
    thread::JoinHandle,
};

use alloy_primitives::{Address, B256, keccak256};
use alloy_trie::nodes::RlpNode;
use parking_lot::Mutex;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use tracing::{debug, warn};

use crate::{
    state::MissedBranches,
    storage::{StoreError, StoreReader},
    trie::{Trie, nibble},
};

/// (owner, nibble path) -> the branch's reference. The owner is zero for the account trie and
/// the hashed address for a storage trie.
const BRANCHES: TableDefinition<(&[u8; 32], &[u8]), &[u8]> = TableDefinition::new("branches");
/// "at" -> block number (8 bytes, big-endian) and block hash: the block the hashes are for.
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

/// One stored branch: its owner, its nibble path and its reference.
type Row = (B256, Vec<u8>, RlpNode);

/// The owner of the account trie's rows.
pub const ACCOUNT_TRIE: B256 = B256::ZERO;

/// The owner of an account's storage trie rows: the account's key in the account trie, as
/// reth's hashed address.
pub fn storage_owner(address: &Address) -> B256 {
    keccak256(address)
}

/// The file of branch hashes of one domain.
#[derive(Debug)]
pub struct TrieStore {
    db: Database,
}

impl TrieStore {
    /// Opens (or creates) the file at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let db = Database::builder().set_cache_size(16 << 20).create(path)?;
        let tx = db.begin_write()?;
        tx.open_table(BRANCHES)?;
        tx.open_table(META)?;
        tx.commit()?;
        Ok(Self { db })
    }

    /// The block the stored hashes are for, if any were written.
    pub fn at(&self) -> Result<Option<(u64, B256)>, StoreError> {
        let tx = self.db.begin_read()?;
        let meta = tx.open_table(META)?;
        let Some(v) = meta.get("at")? else { return Ok(None) };
        let v = v.value();
        if v.len() != 40 {
            return Err(StoreError::Corrupt { table: "meta", reason: "bad trie block".into() });
        }
        let mut number = [0u8; 8];
        number.copy_from_slice(&v[..8]);
        Ok(Some((u64::from_be_bytes(number), B256::from_slice(&v[8..]))))
    }

    /// Every stored hash, to build the tries with.
    pub fn load(&self) -> Result<KnownNodes, StoreError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(BRANCHES)?;
        let mut owners: HashMap<B256, HashMap<Vec<u8>, RlpNode>> = HashMap::new();
        for row in table.iter()? {
            let (k, v) = row?;
            let (owner, path) = k.value();
            let node = RlpNode::from_raw(v.value()).ok_or_else(|| StoreError::Corrupt {
                table: "branches",
                reason: "reference longer than 33 bytes".into(),
            })?;
            owners.entry(B256::from(*owner)).or_default().insert(path.to_vec(), node);
        }
        Ok(KnownNodes { owners, ..Default::default() })
    }

    /// The stored hashes that hold at the chain's head `head`, read through `reader` (a snapshot
    /// at that head): all of them if they were stored at the head; if they were stored at an
    /// earlier block of this chain, all but those on the paths of the keys changed since
    /// (after a crash); none otherwise.
    pub fn known_at(
        &self,
        reader: &StoreReader,
        head: (u64, B256),
    ) -> Result<KnownNodes, StoreError> {
        let Some(at) = self.at()? else { return Ok(KnownNodes::default()) };
        if at == head {
            return self.load();
        }
        if at.0 > head.0 || reader.block_hash(at.0)? != Some(at.1) {
            return Ok(KnownNodes::default());
        }
        let mut known = self.load()?;
        for number in at.0 + 1..=head.0 {
            let Some(changed) = reader.changed(number)? else {
                return Ok(KnownNodes::default());
            };
            for keys in changed {
                // The account's key is also the owner of its storage trie's rows.
                let owner = storage_owner(&keys.address);
                known.invalidate(ACCOUNT_TRIE, owner);
                for slot in keys.slots {
                    known.invalidate(owner, keccak256(slot.to_be_bytes::<32>()));
                }
            }
        }
        known.seal();
        Ok(known)
    }

    /// Writes a batch in one transaction: its removals first, then its rows, and records its
    /// block.
    fn write(&self, batch: &Batch) -> Result<(), StoreError> {
        let tx = self.db.begin_write()?;
        {
            if batch.reset {
                tx.delete_table(BRANCHES)?;
            }
            let mut table = tx.open_table(BRANCHES)?;
            for owner in &batch.cleared {
                let lo: &[u8] = &[];
                let hi: &[u8] = &[0xff];
                table.retain_in((&owner.0, lo)..(&owner.0, hi), |_, _| false)?;
            }
            for (owner, path) in &batch.removed {
                table.remove((&owner.0, path.as_slice()))?;
            }
            for (owner, path, node) in &batch.rows {
                table.insert((&owner.0, path.as_slice()), node.as_slice())?;
            }
            let mut value = batch.at.0.to_be_bytes().to_vec();
            value.extend_from_slice(batch.at.1.as_slice());
            tx.open_table(META)?.insert("at", value.as_slice())?;
        }
        tx.commit()?;
        Ok(())
    }
}

/// What one write stores: the tries as they are at block `at`, as changes to the file's rows.
#[derive(Debug, Default)]
struct Batch {
    at: (u64, B256),
    /// Drop every row first (a new chain in a data directory that held another).
    reset: bool,
    /// Owners whose tries are now empty.
    cleared: Vec<B256>,
    /// Branches that no longer exist.
    removed: Vec<(B256, Vec<u8>)>,
    /// Branches new or changed.
    rows: Vec<Row>,
}

/// Stored branch hashes, by owner and nibble path, and what must not be taken from them.
#[derive(Debug, Default)]
pub struct KnownNodes {
    owners: HashMap<B256, HashMap<Vec<u8>, RlpNode>>,
    /// Per owner, the keys (sorted) changed after the stored block: no branch on their paths
    /// is current.
    changed: HashMap<B256, Vec<B256>>,
}

impl KnownNodes {
    /// Number of stored branch hashes.
    pub fn len(&self) -> usize {
        self.owners.values().map(HashMap::len).sum()
    }

    /// Whether nothing is known.
    pub fn is_empty(&self) -> bool {
        self.owners.is_empty()
    }

    /// Marks `key` of `owner`'s trie as changed since the stored block (a wiped or removed
    /// account's storage is all its slots changed).
    pub fn invalidate(&mut self, owner: B256, key: B256) {
        self.changed.entry(owner).or_default().push(key);
    }

    /// Sorts the invalidated keys; call after the last [`KnownNodes::invalidate`].
    pub fn seal(&mut self) {
        for keys in self.changed.values_mut() {
            keys.sort_unstable();
            keys.dedup();
        }
    }

    /// The lookup for one trie, which records the paths it could not answer.
    pub fn finder(&self, owner: &B256) -> Finder<'_> {
        Finder {
            nodes: self.owners.get(owner),
            changed: self.changed.get(owner).map(Vec::as_slice).unwrap_or_default(),
            missed: Mutex::new(Vec::new()),
        }
    }
}

/// The stored hashes of one trie, for [`Trie::from_sorted`].
#[derive(Debug)]
pub struct Finder<'a> {
    nodes: Option<&'a HashMap<Vec<u8>, RlpNode>>,
    changed: &'a [B256],
    missed: Mutex<Vec<Vec<u8>>>,
}

impl Finder<'_> {
    /// The current hash of the branch at `path`, if stored and not on a changed key's path.
    pub fn get(&self, path: &[u8]) -> Option<RlpNode> {
        let found =
            if self.touched(path) { None } else { self.nodes.and_then(|n| n.get(path)).cloned() };
        if found.is_none() {
            self.missed.lock().push(path.to_vec());
        }
        found
    }

    /// Whether a changed key starts with `path`.
    fn touched(&self, path: &[u8]) -> bool {
        let mut lowest = B256::ZERO;
        for (i, n) in path.iter().enumerate() {
            lowest[i / 2] |= if i.is_multiple_of(2) { n << 4 } else { *n };
        }
        let i = self.changed.partition_point(|k| *k < lowest);
        self.changed
            .get(i)
            .is_some_and(|k| path.iter().enumerate().all(|(depth, n)| nibble(k, depth) == *n))
    }

    /// The branch paths that were not answered: their hashes were computed and must be stored.
    pub fn into_missed(self) -> Vec<Vec<u8>> {
        self.missed.into_inner()
    }
}

/// A snapshot of a domain's tries at a committed block, for the [`TrieWriter`].
#[derive(Debug)]
pub struct TrieSnapshot {
    /// The block and its hash.
    pub at: (u64, B256),
    /// The account trie, its root computed.
    pub accounts: Trie,
    /// The storage tries changed since the previous snapshot (empty: no storage left).
    pub storage: Vec<(Address, Trie)>,
}

/// The thread that writes the branch hashes of snapshots to a [`TrieStore`].
///
/// Each write is one transaction, so the file always holds the rows of one block. After a
/// failed write the thread writes nothing more: a later snapshot compared with the tries the
/// failed write was to store would leave that write's rows stale while naming a later block.
/// The file then still names the block of its last write, and the next start recomputes what
/// changed since.
#[derive(Debug)]
pub struct TrieWriter {
    sender: Option<mpsc::SyncSender<TrieSnapshot>>,
    /// Snapshots handed over and not yet written (the first write counts as one).
    outstanding: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

impl TrieWriter {
    /// Starts the writer. `accounts` and `storage` are the tries as built on open at block
    /// `opened` (what the first snapshot is compared with; every storage trie that is not
    /// empty); `missed` the branches whose hashes were computed then rather than read (`None`:
    /// the account trie), which it writes first. `reset` drops every stored row first (a new
    /// chain).
    pub fn start(
        store: TrieStore,
        domain: u32,
        opened: (u64, B256),
        (accounts, storage): (Trie, HashMap<Address, Trie>),
        missed: MissedBranches,
        reset: bool,
    ) -> Self {
        let (sender, receiver) = mpsc::sync_channel::<TrieSnapshot>(1);
        let outstanding = Arc::new(AtomicUsize::new(1));
        let done = outstanding.clone();
        let thread = std::thread::Builder::new()
            .name(format!("trie-writer-{domain}"))
            .spawn(move || {
                let mut first = Batch { at: opened, reset, ..Default::default() };
                for (address, paths) in &missed {
                    let (owner, trie) = match address {
                        None => (ACCOUNT_TRIE, Some(&accounts)),
                        Some(a) => (storage_owner(a), storage.get(a)),
                    };
                    for path in paths {
                        if let Some(node) = trie.and_then(|t| t.branch(path)) {
                            first.rows.push((owner, path.clone(), node));
                        }
                    }
                }
                let mut healthy =
                    (first.rows.is_empty() && !reset && store.at().ok().flatten() == Some(opened))
                        || store_batch(&store, domain, &first);
                done.fetch_sub(1, Ordering::AcqRel);
                let mut last_accounts = accounts;
                let mut last_storage = storage;
                for snapshot in receiver {
                    if healthy {
                        let batch = changes(&snapshot, &last_accounts, &last_storage);
                        healthy = store_batch(&store, domain, &batch);
                        last_accounts = snapshot.accounts;
                        for (address, trie) in snapshot.storage {
                            if trie.is_empty() {
                                last_storage.remove(&address);
                            } else {
                                last_storage.insert(address, trie);
                            }
                        }
                    }
                    done.fetch_sub(1, Ordering::AcqRel);
                }
            })
            .ok();
        Self { sender: Some(sender), outstanding, thread }
    }

    /// Whether a snapshot is still being written.
    pub fn is_busy(&self) -> bool {
        self.outstanding.load(Ordering::Acquire) > 0
    }

    /// Hands a snapshot to the writer. When not [`TrieWriter::is_busy`] this never waits (the
    /// writer's queue is empty).
    pub fn write(&self, snapshot: TrieSnapshot) {
        if let Some(sender) = &self.sender {
            self.outstanding.fetch_add(1, Ordering::AcqRel);
            if sender.send(snapshot).is_err() {
                self.outstanding.fetch_sub(1, Ordering::AcqRel);
            }
        }
    }

    /// Writes `last` (if given) and waits for every write to finish.
    pub fn close(&mut self, last: Option<TrieSnapshot>) {
        if let Some(snapshot) = last {
            self.write(snapshot);
        }
        self.sender = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for TrieWriter {
    fn drop(&mut self) {
        self.close(None);
    }
}

/// Writes one batch, logging the outcome; whether it was written.
fn store_batch(store: &TrieStore, domain: u32, batch: &Batch) -> bool {
    let started = std::time::Instant::now();
    match store.write(batch) {
        Ok(()) => {
            debug!(
                domain,
                block = batch.at.0,
                branches = batch.rows.len(),
                removed = batch.removed.len(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "trie hashes stored"
            );
            true
        }
        // Not fatal: the chain is intact. The writer stops (see [`TrieWriter`]), and the next
        // start recomputes the hashes changed since the file's block.
        Err(e) => {
            warn!(domain, block = batch.at.0, error = %e, "trie hashes not stored; no more until a restart");
            false
        }
    }
}

/// What a snapshot writes, compared with the last written tries.
fn changes(
    snapshot: &TrieSnapshot,
    last_accounts: &Trie,
    last_storage: &HashMap<Address, Trie>,
) -> Batch {
    let mut batch = Batch { at: snapshot.at, ..Default::default() };
    let (rows, removed) = (&mut batch.rows, &mut batch.removed);
    snapshot.accounts.changed_branches(
        last_accounts,
        &mut |path, node| rows.push((ACCOUNT_TRIE, path.to_vec(), node.clone())),
        &mut |path| removed.push((ACCOUNT_TRIE, path.to_vec())),
    );
    let empty = Trie::new();
    for (address, trie) in &snapshot.storage {
        let owner = storage_owner(address);
        let last = last_storage.get(address);
        if trie.is_empty() {
            if last.is_some() {
                batch.cleared.push(owner);
            }
            continue;
        }
        trie.changed_branches(
            last.unwrap_or(&empty),
            &mut |path, node| rows.push((owner, path.to_vec(), node.clone())),
            &mut |path| removed.push((owner, path.to_vec())),
        );
    }
    batch
}
