//! One domain: its state, pool, store and block production loop.
//!
//! Each domain produces blocks on its own thread, so domains execute in parallel. A block is
//! executed against the head state without blocking readers; then, under the write lock, its
//! changes are applied, the state root computed, and the block committed to disk in one
//! transaction before anyone can see it: readers always see a head that is on disk.

use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use alloy::{
    consensus::{
        EMPTY_OMMER_ROOT_HASH, Header, Transaction, TxEnvelope, constants::EMPTY_WITHDRAWALS,
    },
    eips::{eip1559::BaseFeeParams, eip2718::Decodable2718, eip7685::EMPTY_REQUESTS_HASH},
    signers::local::PrivateKeySigner,
};
use alloy_primitives::{Address, B256, Bloom, Bytes, U256, keccak256};
use parking_lot::{Condvar, Mutex, RwLock};
use sec_primitives::{DomainId, GenesisAccount, L1Origin, SecExtension, message::Message};
use tokio::sync::broadcast;
use tracing::{debug, info, warn};

mod block;
mod proof;

pub use proof::ProofError;

pub use block::{Expected, Proposal, Rejection, SealedBlock};

use crate::{
    executor,
    mempool::{Mempool, PoolConfig, PoolError, PooledTx, SenderState},
    state::{Account, HeadReader, StateReadError, StateReader, WorldState},
    storage::{BlockRecord, ChainStore, StoreError, StoreReader},
    system::{L1Feed, Outboxes},
    trie::Trie,
    trie_store::{KnownNodes, TrieStore, TrieWriter},
};

/// Settings of one domain.
#[derive(Debug, Clone)]
pub struct DomainConfig {
    /// Domain index.
    pub id: DomainId,
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// Time between blocks; zero means "a block as soon as transactions arrive".
    pub block_time: Duration,
    /// How far into each `block_time` this domain's blocks fall. A node spreads its domains
    /// over the interval so that they do not all execute, hash and write a block at the same
    /// moment, while requests wait for their commits.
    pub block_phase: Duration,
    /// Block gas limit.
    pub gas_limit: u64,
    /// Base fee of the first block.
    pub initial_base_fee: u64,
    /// Pool limits.
    pub pool: PoolConfig,
    /// Directory for this domain's files.
    pub datadir: PathBuf,
    /// Genesis allocation.
    pub alloc: Vec<(Address, GenesisAccount)>,
    /// Genesis timestamp.
    pub genesis_timestamp: u64,
    /// Page cache of the domain's database, in bytes.
    pub db_cache_bytes: usize,
    /// Where deposits are read from; `None` runs the domain without an L1 (no deposits).
    pub l1: Option<L1Feed>,
    /// The node's domains' outboxes, to deliver their messages from; `None` for a chain of
    /// one domain (nothing to deliver).
    pub outboxes: Option<Arc<Outboxes>>,
    /// The node's epochs; `None` for a chain without DPoS epochs (every block in epoch 0).
    pub epochs: Option<Arc<crate::epochs::Epochs>>,
    /// How many of the latest blocks `eth_getProof` answers for; 0: the head only. The
    /// tries of the latest 64 stay in memory; older ones are made again from the head's and the
    /// changes since, at a cost that is mostly those changes.
    pub proof_window: usize,
}

/// Errors of a domain.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The stored state does not hash to the stored head's state root.
    #[error("state root mismatch at block {number}: stored {stored}, computed {computed}")]
    StateRootMismatch {
        /// Head number.
        number: u64,
        /// Header's root.
        stored: B256,
        /// Recomputed root.
        computed: B256,
    },
    /// The directory could not be created.
    #[error("cannot create {path}: {source}")]
    Io {
        /// Path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// Execution could not read state.
    #[error(transparent)]
    State(#[from] crate::state::StateReadError),
    /// A decided block does not extend the head (another block was committed first).
    #[error("block {number} does not extend the head {head}")]
    NotOnHead {
        /// The block's number.
        number: u64,
        /// The head's number.
        head: u64,
    },
    /// The next block's epoch or validator set could not be had.
    #[error(transparent)]
    Epoch(#[from] crate::epochs::EpochError),
    /// A system transaction could not be built or did not execute: the block is not made,
    /// because its L1 origin would otherwise pass a deposit it did not credit.
    #[error("system transaction: {0}")]
    System(String),
    /// The producer's BLS key could not be derived from its key.
    #[error("producer key: {0}")]
    ProducerKey(#[from] sec_primitives::randomness::RandomnessError),
}

/// Why `eth_sendRawTransaction` refused a transaction.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// Bytes are not a transaction.
    #[error("rlp: {0}")]
    Decode(String),
    /// Blob transactions are not carried.
    #[error("transaction type not supported")]
    TypeNotSupported,
    /// Signed for another chain.
    #[error("invalid chain id for signer: have {have} want {want}")]
    InvalidChainId {
        /// Transaction's chain id.
        have: u64,
        /// This domain's.
        want: u64,
    },
    /// Pre-EIP-155 signature.
    #[error("only replay-protected (EIP-155) transactions allowed over RPC")]
    Unprotected,
    /// The signature does not recover.
    #[error("invalid sender")]
    InvalidSender,
    /// Gas limit below intrinsic gas.
    #[error("intrinsic gas too low: gas {gas}, minimum needed {needed}")]
    IntrinsicGas {
        /// Limit given.
        gas: u64,
        /// Intrinsic gas.
        needed: u64,
    },
    /// The pool refused it.
    #[error(transparent)]
    Pool(#[from] PoolError),
}

/// A transaction accepted into the pool. Reply to the sender only once `durable` resolves:
/// then the transaction is journaled on disk and survives a crash.
#[derive(Debug)]
pub struct Submitted {
    /// Transaction hash.
    pub hash: B256,
    /// Resolves when the journal commit that holds the transaction is on disk.
    pub durable: tokio::sync::oneshot::Receiver<()>,
}

/// A transaction ready for the pool: decoded, within the chain's rules, its signer recovered
/// ([`Domain::prepare`]).
#[derive(Debug)]
pub struct Prepared(PooledTx);

/// Pool journal operations, applied in order by the journal thread.
enum JournalOp {
    Insert {
        hash: B256,
        raw: Bytes,
        done: tokio::sync::oneshot::Sender<()>,
    },
    Remove(B256),
    /// Write everything sent before it, then end the thread (its store reference with it).
    Stop,
}

/// Writes journal operations in groups: one durable commit for everything that queued up while
/// the previous commit was in flight.
fn run_journal(store: Arc<ChainStore>, rx: std::sync::mpsc::Receiver<JournalOp>, domain: DomainId) {
    while let Ok(first) = rx.recv() {
        let mut ops = vec![first];
        while ops.len() < 50_000 {
            match rx.try_recv() {
                Ok(op) => ops.push(op),
                Err(_) => break,
            }
        }
        let mut insert = Vec::new();
        let mut remove = Vec::new();
        let mut done = Vec::new();
        let mut stop = false;
        for op in ops {
            match op {
                JournalOp::Stop => stop = true,
                JournalOp::Insert { hash, raw, done: d } => {
                    insert.push((hash, raw));
                    done.push(d);
                }
                JournalOp::Remove(hash) => {
                    // A removal cancels an insert of the same group.
                    if let Some(i) = insert.iter().position(|(h, _)| *h == hash) {
                        insert.swap_remove(i);
                    }
                    remove.push(hash);
                }
            }
        }
        match store.journal(&insert, &remove) {
            Ok(()) => {
                for d in done {
                    let _ = d.send(());
                }
            }
            // Dropping `done` fails the waiting submissions: they are not durable.
            Err(e) => warn!(domain, error = %e, "pool journal write failed"),
        }
        if stop {
            break;
        }
    }
}

/// The head block and the state after it.
#[derive(Debug)]
pub struct Chain {
    /// State after `head`.
    pub state: WorldState,
    /// Head header.
    pub head: Header,
    /// Head hash.
    pub head_hash: B256,
    /// The head's SEC extension (its L1 origin is where the next block reads on from).
    pub head_extension: SecExtension,
}

/// What subscribers hear about.
#[derive(Debug, Clone)]
pub enum ChainEvent {
    /// A block was committed.
    Block(Arc<BlockRecord>),
    /// A transaction entered the pool.
    PendingTx(B256),
}

/// One domain of the chain.
pub struct Domain {
    config: DomainConfig,
    store: Arc<ChainStore>,
    journal: std::sync::mpsc::SyncSender<JournalOp>,
    /// The journal thread, joined by [`Domain::close_journal`].
    journal_thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    chain: RwLock<Chain>,
    pool: Mutex<Mempool>,
    events: broadcast::Sender<ChainEvent>,
    wake: (Mutex<bool>, Condvar),
    stop: AtomicBool,
    producer: PrivateKeySigner,
    /// The producer's BLS key, for the block randomness.
    randao: sec_primitives::randomness::RandaoKey,
    /// The latest blocks, decoded, for the reads that follow a block (receipts, logs, heads).
    recent: Mutex<std::collections::BTreeMap<u64, Arc<BlockRecord>>>,
    /// Code for the snapshot readers.
    codes: CodeCache,
    /// Older blocks read back from disk lately, one slot per block (see [`Domain::block`]).
    read_back: Mutex<std::collections::VecDeque<(u64, ReadSlot)>>,
    /// Writes the tries' branch hashes every [`TRIE_WRITE_BLOCKS`] blocks and on close.
    trie_writer: Mutex<TrieWriter>,
    /// The block of the last snapshot handed to the trie writer.
    trie_written: std::sync::atomic::AtomicU64,
}

/// How many blocks apart the tries' branch hashes are stored. Further apart, each write
/// coalesces more blocks' changes (the upper branches change in every block); a restart after
/// a crash recomputes the branches the blocks since changed.
const TRIE_WRITE_BLOCKS: u64 = 64;

/// A block being read from disk, or read: whoever finds it empty reads it while holding it.
type ReadSlot = Arc<Mutex<Option<Arc<BlockRecord>>>>;

/// How many blocks read back from disk stay decoded, and how many transactions they may hold.
/// An indexer asks for a block, its receipts and its traces at about the same time: the three
/// share one read and decoding.
const READ_BACK_BLOCKS: usize = 64;
const READ_BACK_TXS: usize = 20_000;

/// Journal operations waiting for the journal thread. Bounded so that a disk slower than the
/// submissions slows the submitters down (their replies wait for durability anyway) instead
/// of growing memory; one group commit takes up to 50,000 operations.
const JOURNAL_QUEUE: usize = 100_000;

/// How often queued transactions past their lifetime are looked for.
const EXPIRY_SWEEP: Duration = Duration::from_secs(30);

/// How many recent blocks stay decoded in memory, and how many transactions they may hold in
/// all: enough for the reads that follow a block, without letting memory follow the load.
const RECENT_BLOCKS: usize = 64;
const RECENT_TXS: usize = 20_000;

impl std::fmt::Debug for Domain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Domain")
            .field("id", &self.config.id)
            .field("chain_id", &self.config.chain_id)
            .finish()
    }
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

/// Reads the state after block `block` from one store snapshot, so that a long call or trace
/// never holds the chain lock that block production needs. Below the snapshot's head, values
/// changed since `block` come from the history tables; the rest from the flat state tables.
///
/// Values read once are kept for the reader's life (the snapshot never changes): replaying a
/// block reads the same contract and accounts for every transaction, and each store read is a
/// B-tree lookup.
pub struct SnapshotReader<'a> {
    store: &'a StoreReader,
    block: u64,
    /// Whether `block` is below the snapshot's head.
    historical: bool,
    codes: &'a CodeCache,
    accounts: std::cell::RefCell<std::collections::HashMap<Address, Option<Account>>>,
    slots: std::cell::RefCell<std::collections::HashMap<(Address, U256), U256>>,
}

impl<'a> SnapshotReader<'a> {
    fn new(store: &'a StoreReader, block: u64, head: u64, codes: &'a CodeCache) -> Self {
        Self {
            store,
            block,
            historical: block < head,
            codes,
            accounts: Default::default(),
            slots: Default::default(),
        }
    }

    fn read_account(&self, address: &Address) -> Result<Option<Account>, StateReadError> {
        if self.historical
            && let Some(past) = self.store.account_at(address, self.block).map_err(read_error)?
        {
            return Ok(past);
        }
        self.store.account(address).map_err(read_error)
    }

    fn read_storage(&self, address: &Address, slot: &U256) -> Result<U256, StateReadError> {
        if self.historical
            && let Some(v) = self.store.storage_at(address, slot, self.block).map_err(read_error)?
        {
            return Ok(v);
        }
        self.store.storage(address, slot).map_err(read_error)
    }
}

/// Analysed bytecode by hash, shared by all readers: code never changes under its hash.
type CodeCache = Mutex<std::collections::HashMap<B256, revm::bytecode::Bytecode>>;

impl StateReader for SnapshotReader<'_> {
    fn account(&self, address: &Address) -> Result<Option<Account>, StateReadError> {
        if let Some(a) = self.accounts.borrow().get(address) {
            return Ok(*a);
        }
        let a = self.read_account(address)?;
        self.accounts.borrow_mut().insert(*address, a);
        Ok(a)
    }
    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, StateReadError> {
        if let Some(v) = self.slots.borrow().get(&(*address, *slot)) {
            return Ok(*v);
        }
        let v = self.read_storage(address, slot)?;
        self.slots.borrow_mut().insert((*address, *slot), v);
        Ok(v)
    }
    fn code(&self, hash: &B256) -> Result<Option<revm::bytecode::Bytecode>, StateReadError> {
        if let Some(code) = self.codes.lock().get(hash) {
            return Ok(Some(code.clone()));
        }
        let Some(raw) = self.store.code(hash).map_err(read_error)? else { return Ok(None) };
        let code = crate::state::bytecode(raw);
        self.codes.lock().insert(*hash, code.clone());
        Ok(Some(code))
    }
    fn block_hash(&self, number: u64) -> Result<B256, StateReadError> {
        canonical_hash(self.store, number)
    }
}

fn read_error(e: StoreError) -> StateReadError {
    StateReadError(e.to_string())
}

/// Hash of canonical block `number`, zero if there is none (BLOCKHASH of an unknown block).
fn canonical_hash(store: &StoreReader, number: u64) -> Result<B256, StateReadError> {
    Ok(store.block_hash(number).map_err(read_error)?.unwrap_or_default())
}

/// Opens the file of stored trie hashes at `path`. It only saves work, so one that cannot be
/// opened is replaced by an empty one (and the state hashed) rather than stopping the domain.
fn open_tries(path: &std::path::Path, domain: u32) -> Result<TrieStore, StoreError> {
    TrieStore::open(path).or_else(|e| {
        warn!(domain, error = %e, "stored trie hashes unusable; starting them again");
        let _ = std::fs::remove_file(path);
        TrieStore::open(path)
    })
}

impl Domain {
    /// Opens the domain's store (creating genesis on first start) and loads its state.
    pub fn open(
        config: DomainConfig,
        producer: PrivateKeySigner,
    ) -> Result<Arc<Self>, DomainError> {
        std::fs::create_dir_all(&config.datadir)
            .map_err(|source| DomainError::Io { path: config.datadir.clone(), source })?;
        let store =
            Arc::new(ChainStore::open(&config.datadir.join("chain.redb"), config.db_cache_bytes)?);
        if let (Some(epochs), 0) = (&config.epochs, config.id) {
            epochs.attach(store.clone());
        }
        let tries = open_tries(&config.datadir.join("trie.redb"), config.id)?;
        let (chain, missed, fresh) = match store.head()? {
            Some(number) => {
                let started = Instant::now();
                let reader = store.reader()?;
                let head = reader.header(number)?.ok_or(StoreError::Corrupt {
                    table: "headers",
                    reason: "head missing".into(),
                })?;
                let head_hash = head.hash_slow();
                let known = tries.known_at(&reader, (number, head_hash)).unwrap_or_else(|e| {
                    warn!(domain = config.id, error = %e, "stored trie hashes unreadable; rehashing");
                    KnownNodes::default()
                });
                let stored = known.len();
                let (mut state, mut missed) = store.load_state(&known)?;
                drop(known);
                let loaded_ms = started.elapsed().as_millis() as u64;
                let mut computed = state.state_root();
                if computed != head.state_root && stored > 0 {
                    // The stored hashes do not give the head's root (the file was written for
                    // another chain, or damaged): hash everything instead, and store it all
                    // again. The check covers the hashes taken at the top of each unchanged
                    // subtree; the rows below them are of the same write (one transaction per
                    // block, and none after a failed one), so they hold too.
                    warn!(domain = config.id, number, "stored trie hashes stale; rehashing");
                    (state, missed) = store.load_state(&KnownNodes::default())?;
                    computed = state.state_root();
                }
                if computed != head.state_root {
                    return Err(DomainError::StateRootMismatch {
                        number,
                        stored: head.state_root,
                        computed,
                    });
                }
                info!(
                    domain = config.id,
                    number,
                    accounts = state.account_count(),
                    stored_branches = stored,
                    hashed_branches = missed.iter().map(|(_, p)| p.len()).sum::<usize>(),
                    loaded_ms,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "resumed"
                );
                let head_extension = reader.extension(number)?.ok_or(StoreError::Corrupt {
                    table: "extensions",
                    reason: "head extension missing".into(),
                })?;
                (Chain { state, head, head_hash, head_extension }, missed, false)
            }
            None => (Self::genesis(&config, &store)?, Vec::new(), true),
        };
        let mut chain = chain;
        chain.state.set_history_window(config.proof_window.min(proof::KEPT_TRIES));
        chain.state.record_block(chain.head.number);
        let at = (chain.head.number, chain.head_hash);
        let trie_writer = if fresh {
            // Genesis: compared with nothing, so all is written, in place of any earlier rows.
            let empty = (Trie::new(), HashMap::new());
            let writer = TrieWriter::start(tries, config.id, at, empty, vec![], true);
            writer.write(chain.state.trie_snapshot(at));
            writer
        } else {
            let built = (chain.state.account_trie(), chain.state.storage_tries());
            TrieWriter::start(tries, config.id, at, built, missed, false)
        };
        let (events, _) = broadcast::channel(4096);
        let (journal, journal_rx) = std::sync::mpsc::sync_channel(JOURNAL_QUEUE);
        let journal_thread = {
            let store = store.clone();
            let id = config.id;
            std::thread::Builder::new()
                .name(format!("journal-{id}"))
                .spawn(move || run_journal(store, journal_rx, id))
                .map_err(|source| DomainError::Io { path: config.datadir.clone(), source })?
        };
        let domain = Arc::new(Self {
            journal,
            journal_thread: Mutex::new(Some(journal_thread)),
            pool: Mutex::new(Mempool::new(config.pool.clone())),
            config,
            store,
            chain: RwLock::new(chain),
            events,
            wake: (Mutex::new(false), Condvar::new()),
            stop: AtomicBool::new(false),
            randao: sec_primitives::randomness::RandaoKey::from_ecdsa_secret(
                producer.to_bytes().as_slice(),
            )?,
            producer,
            recent: Mutex::new(Default::default()),
            read_back: Mutex::new(Default::default()),
            codes: Mutex::new(Default::default()),
            trie_writer: Mutex::new(trie_writer),
            trie_written: std::sync::atomic::AtomicU64::new(at.0),
        });
        domain.restore_pool()?;
        Ok(domain)
    }

    /// Re-admits the journaled transactions after a restart; those the chain made stale are
    /// removed from the journal.
    fn restore_pool(&self) -> Result<(), DomainError> {
        use rayon::prelude::*;
        let journaled = self.store.journaled()?;
        if journaled.is_empty() {
            return Ok(());
        }
        let mut txs: Vec<(B256, Option<PooledTx>)> = journaled
            .into_par_iter()
            .map(|(hash, raw)| {
                use alloy::consensus::transaction::SignerRecoverable;
                let tx = TxEnvelope::decode_2718_exact(raw.as_ref()).ok();
                let pooled =
                    tx.and_then(|tx| tx.recover_signer().ok().map(|s| PooledTx::new(tx, s, raw)));
                (hash, pooled)
            })
            .collect();
        txs.sort_by_key(|(_, t)| t.as_ref().map(|t| (t.sender, t.tx.nonce())));
        let (mut restored, mut dropped) = (0usize, Vec::new());
        {
            let chain = self.chain.read();
            let mut pool = self.pool.lock();
            for (hash, tx) in txs {
                let Some(tx) = tx else {
                    dropped.push(hash);
                    continue;
                };
                let account = chain.state.account(&tx.sender).unwrap_or_default();
                match pool.add(tx, SenderState { nonce: account.nonce, balance: account.balance }) {
                    Ok(evicted) => {
                        restored += 1;
                        dropped.extend(evicted);
                    }
                    Err(_) => dropped.push(hash),
                }
            }
        }
        info!(
            domain = self.config.id,
            restored,
            dropped = dropped.len(),
            "pool restored from journal"
        );
        self.store.journal(&[], &dropped)?;
        Ok(())
    }

    fn forget(&self, hashes: impl IntoIterator<Item = B256>) {
        for h in hashes {
            let _ = self.journal.send(JournalOp::Remove(h));
        }
    }

    /// The genesis block: the same for every node of the chain, whatever its key.
    fn genesis(config: &DomainConfig, store: &ChainStore) -> Result<Chain, DomainError> {
        let mut state = WorldState::new();
        for (address, a) in &config.alloc {
            let code_hash = if a.code.is_empty() {
                alloy_primitives::KECCAK256_EMPTY
            } else {
                state.insert_code(a.code.clone())
            };
            let account = Account { nonce: a.nonce, balance: a.balance, code_hash };
            let storage =
                a.storage.iter().map(|(k, v)| (U256::from_be_bytes(k.0), U256::from_be_bytes(v.0)));
            state.load_account(*address, account, storage);
        }
        let state_root = state.state_root();
        // Domain 0's genesis fixes epoch 0's set.
        let genesis_set = match (&config.epochs, config.id) {
            (Some(epochs), 0) => epochs
                .genesis()
                .map(|set| crate::epochs::EpochSet::new(0, set.clone(), L1Origin::default(), 0)),
            _ => None,
        };
        let extension = SecExtension {
            domain: config.id,
            producer: Address::ZERO,
            outbox_root: B256::ZERO,
            inbox_cursor: vec![],
            l1_origin: L1Origin::default(),
            epoch: 0,
            slot: 0,
            randomness: Bytes::new(),
            next_set_hash: genesis_set.as_ref().map(|s| s.set_hash).unwrap_or_default(),
        };
        let header = Header {
            parent_hash: B256::ZERO,
            beneficiary: Address::ZERO,
            state_root,
            transactions_root: alloy_trie::EMPTY_ROOT_HASH,
            receipts_root: alloy_trie::EMPTY_ROOT_HASH,
            logs_bloom: Bloom::ZERO,
            number: 0,
            gas_limit: config.gas_limit,
            gas_used: 0,
            timestamp: config.genesis_timestamp,
            extra_data: Bytes::copy_from_slice(extension.commitment().as_slice()),
            mix_hash: keccak256(format!("sec-domain-{}", config.id)),
            base_fee_per_gas: Some(config.initial_base_fee),
            ..post_merge_header()
        };
        let hash = header.hash_slow();
        let record = BlockRecord {
            header: header.clone(),
            hash,
            txs: vec![],
            tx_hashes: vec![],
            receipts: vec![],
            extension,
        };
        let index = crate::storage::BlockIndex { next_set: genesis_set, ..Default::default() };
        store.write_genesis(&state, &record, &index)?;
        info!(domain = config.id, %hash, %state_root, "genesis written");
        Ok(Chain { state, head: header, head_hash: hash, head_extension: record.extension })
    }

    /// Domain index.
    pub fn id(&self) -> DomainId {
        self.config.id
    }

    /// Chain id.
    pub fn chain_id(&self) -> u64 {
        self.config.chain_id
    }

    /// The address that produces (and is the beneficiary of) this domain's blocks.
    pub fn producer_address(&self) -> Address {
        self.producer.address()
    }

    /// The domain's store (for the other domains' deliveries).
    pub fn chain_store(&self) -> Arc<ChainStore> {
        self.store.clone()
    }

    /// Settings.
    pub fn config(&self) -> &DomainConfig {
        &self.config
    }

    /// Events: committed blocks, pooled transactions.
    pub fn subscribe(&self) -> broadcast::Receiver<ChainEvent> {
        self.events.subscribe()
    }

    /// Head number and hash.
    pub fn head(&self) -> (u64, B256) {
        let c = self.chain.read();
        (c.head.number, c.head_hash)
    }

    /// Head header.
    pub fn head_header(&self) -> Header {
        self.chain.read().head.clone()
    }

    /// A consistent snapshot of the store.
    pub fn store(&self) -> Result<StoreReader, StoreError> {
        self.store.reader()
    }

    /// Block `number`, from memory if recent or read lately. Requests for the same block at
    /// the same time read it once: the first holds its slot while reading, the others wait for
    /// it. (Blocks are keyed by number: this node never replaces a committed block.)
    pub fn block(&self, number: u64) -> Result<Option<Arc<BlockRecord>>, StoreError> {
        if let Some(b) = self.recent.lock().get(&number) {
            return Ok(Some(b.clone()));
        }
        let slot = {
            let mut slots = self.read_back.lock();
            match slots.iter().find(|(n, _)| *n == number) {
                Some((_, slot)) => slot.clone(),
                None => {
                    let slot = ReadSlot::default();
                    slots.push_back((number, slot.clone()));
                    // Slots still being read count as empty.
                    let size =
                        |s: &ReadSlot| s.try_lock().and_then(|b| b.as_ref().map(|b| b.txs.len()));
                    let mut txs: usize = slots.iter().filter_map(|(_, s)| size(s)).sum();
                    while slots.len() > READ_BACK_BLOCKS || (txs > READ_BACK_TXS && slots.len() > 1)
                    {
                        if let Some((_, s)) = slots.pop_front() {
                            txs -= size(&s).unwrap_or(0);
                        }
                    }
                    slot
                }
            }
        };
        let mut held = slot.lock();
        if let Some(b) = held.as_ref() {
            return Ok(Some(b.clone()));
        }
        let Some(block) = self.store.reader()?.block(number)? else { return Ok(None) };
        let block = Arc::new(block);
        *held = Some(block.clone());
        Ok(Some(block))
    }

    /// How many transactions block `number` has, without reading them.
    pub fn tx_count(&self, number: u64) -> Result<Option<u64>, StoreError> {
        if let Some(b) = self.recent.lock().get(&number) {
            return Ok(Some(b.txs.len() as u64));
        }
        self.store.reader()?.tx_count(number)
    }

    /// Block `number` if it is among the recent blocks kept decoded in memory.
    pub fn recent_block(&self, number: u64) -> Option<Arc<BlockRecord>> {
        self.recent.lock().get(&number).cloned()
    }

    /// Number of the block with `hash`.
    pub fn block_number(&self, hash: &B256) -> Result<Option<u64>, StoreError> {
        self.store.reader()?.block_number(hash)
    }

    /// Block number and index of a mined transaction.
    pub fn tx_location(&self, hash: &B256) -> Result<Option<(u64, u32)>, StoreError> {
        self.store.reader()?.tx_location(hash)
    }

    /// The pool.
    pub fn pool(&self) -> parking_lot::MutexGuard<'_, Mempool> {
        self.pool.lock()
    }

    /// Runs `f` with the state after block `number` (the head if `None`), read from a store
    /// snapshot: it may run for seconds while blocks are produced (see [`SnapshotReader`]).
    pub fn with_state<T>(
        &self,
        number: Option<u64>,
        f: impl FnOnce(&dyn StateReader, &Header) -> T,
    ) -> Result<Option<T>, StoreError> {
        let store = self.store.reader()?;
        let head = store.head()?.unwrap_or_default();
        let number = number.unwrap_or(head);
        if number > head {
            return Ok(None);
        }
        let Some(header) = store.header(number)? else { return Ok(None) };
        let reader = SnapshotReader::new(&store, number, head, &self.codes);
        Ok(Some(f(&reader, &header)))
    }

    /// Runs `f` on the head's in-memory state, with the head's header and extension and the
    /// domain's native total, all of one block: for reads that must see a block whole (the
    /// supply audit). Block production waits while `f` runs, so keep it to a few reads.
    pub fn with_head<T>(
        &self,
        f: impl FnOnce(&dyn StateReader, &Header, &SecExtension, U256) -> T,
    ) -> Result<T, StoreError> {
        let store = self.store.reader()?;
        let chain = self.chain.read();
        let reader = HeadReader { state: &chain.state, block_hash: |n| canonical_hash(&store, n) };
        Ok(f(&reader, &chain.head, &chain.head_extension, chain.state.native_total()))
    }

    /// Accepts a raw transaction into the pool: [`Domain::prepare`] then [`Domain::admit`].
    /// CPU-heavy (signature recovery): call it off the async runtime.
    pub fn submit(&self, raw: Bytes) -> Result<Submitted, SubmitError> {
        let prepared = self.prepare(raw);
        self.admit(vec![prepared])
            .pop()
            .unwrap_or(Err(SubmitError::Decode("no transaction".into())))
    }

    /// Decodes a raw transaction, checks it against the chain's rules and the pool's floor, and
    /// recovers its signer: the part of admission that needs no account state, so that many can
    /// run at once (see the RPC's grouped admission). CPU-heavy.
    pub fn prepare(&self, raw: Bytes) -> Result<Prepared, SubmitError> {
        let tx = TxEnvelope::decode_2718_exact(raw.as_ref())
            .map_err(|e| SubmitError::Decode(e.to_string()))?;
        if tx.is_eip4844() {
            return Err(SubmitError::TypeNotSupported);
        }
        match tx.chain_id() {
            None => return Err(SubmitError::Unprotected),
            Some(id) if id != self.config.chain_id => {
                return Err(SubmitError::InvalidChainId { have: id, want: self.config.chain_id });
            }
            _ => {}
        }
        self.pool.lock().precheck(&tx, raw.len(), self.config.gas_limit)?;
        let sender = {
            use alloy::consensus::transaction::SignerRecoverable;
            tx.recover_signer().map_err(|_| SubmitError::InvalidSender)?
        };
        let env = executor::tx_env(&tx, sender);
        let needed = executor::intrinsic_gas(&env);
        if tx.gas_limit() < needed {
            return Err(SubmitError::IntrinsicGas { gas: tx.gas_limit(), needed });
        }
        Ok(Prepared(PooledTx::new(tx, sender, raw)))
    }

    /// Puts prepared transactions into the pool in their order, each checked against its
    /// sender's account and pooled transactions, under one read of the chain and one lock of the
    /// pool; each is journaled, and its `durable` resolves when the journal commit holding it is
    /// on disk. Returns one result per input, in order; an input that failed preparation keeps
    /// its error.
    pub fn admit(
        &self,
        txs: Vec<Result<Prepared, SubmitError>>,
    ) -> Vec<Result<Submitted, SubmitError>> {
        let mut evicted = Vec::new();
        let mut admitted = Vec::new();
        let results: Vec<Result<Submitted, SubmitError>> = {
            let chain = self.chain.read();
            let mut pool = self.pool.lock();
            txs.into_iter()
                .map(|prepared| {
                    let Prepared(pooled) = prepared?;
                    let (hash, sender, raw) = (pooled.hash, pooled.sender, pooled.raw.clone());
                    let account = chain.state.account(&sender).unwrap_or_default();
                    let state = SenderState { nonce: account.nonce, balance: account.balance };
                    evicted.extend(pool.add(pooled, state)?);
                    let (done, durable) = tokio::sync::oneshot::channel();
                    admitted.push(JournalOp::Insert { hash, raw, done });
                    Ok(Submitted { hash, durable })
                })
                .collect()
        };
        let hashes: Vec<B256> = results.iter().flatten().map(|s| s.hash).collect();
        for op in admitted {
            let _ = self.journal.send(op);
        }
        self.forget(evicted);
        for hash in &hashes {
            let _ = self.events.send(ChainEvent::PendingTx(*hash));
        }
        // Only a producer that builds on arrival wants to hear of each transaction; with a
        // block timer, waking it would cost a thread switch per transaction for nothing.
        if self.config.block_time.is_zero() && !hashes.is_empty() {
            let (lock, cv) = &self.wake;
            *lock.lock() = true;
            cv.notify_one();
        }
        results
    }

    /// The nonce for a sender's next transaction, counting pooled ones.
    pub fn pending_nonce(&self, sender: &Address) -> u64 {
        let chain = self.chain.read();
        let nonce = chain.state.account(sender).map(|a| a.nonce).unwrap_or_default();
        self.pool.lock().pending_nonce(sender, nonce)
    }

    /// The domain's native SEC at the head.
    pub fn native_supply(&self) -> NativeSupply {
        use sec_contracts::predeploy::{CROSS_DOMAIN, L2_BRIDGE};
        let chain = self.chain.read();
        let balance = |a| chain.state.account(&a).map(|a| a.balance).unwrap_or_default();
        NativeSupply {
            head: chain.head.number,
            total: chain.state.native_total(),
            l2_bridge: balance(L2_BRIDGE),
            cross_domain: balance(CROSS_DOMAIN),
        }
    }

    /// The base fee of the next block.
    pub fn next_base_fee(&self) -> u64 {
        let chain = self.chain.read();
        next_base_fee(&chain.head)
    }

    /// Writes every journal operation queued so far and ends the journal thread; call it once
    /// block production has stopped. Transactions submitted after it are refused (their
    /// durability never resolves). With the last reference to the domain dropped after it, the
    /// store is closed when this returns (a shutdown leaves the files whole for a copy).
    pub fn close_journal(&self) {
        let _ = self.journal.send(JournalOp::Stop);
        if let Some(t) = self.journal_thread.lock().take() {
            let _ = t.join();
        }
    }

    /// Closes what the domain writes behind its blocks, once it makes no more: the journal
    /// ([`Domain::close_journal`]) and the tries' branch hashes ([`Domain::close_tries`]). Every
    /// node's shutdown calls this.
    pub fn close(&self) {
        self.close_journal();
        self.close_tries();
    }

    /// Stores the tries' branch hashes at the head and waits until they are written, so that
    /// the next start uses all of them. Call once the domain makes no more blocks.
    pub fn close_tries(&self) {
        let snapshot = {
            let mut chain = self.chain.write();
            let at = (chain.head.number, chain.head_hash);
            chain.state.trie_snapshot(at)
        };
        self.trie_writer.lock().close(Some(snapshot));
    }

    /// Hands the tries to the trie writer if [`TRIE_WRITE_BLOCKS`] passed since the last time
    /// and it is free; `chain` has just committed block `at`.
    fn maybe_write_tries(&self, chain: &mut Chain, at: (u64, B256)) {
        if at.0 < self.trie_written.load(Ordering::Relaxed) + TRIE_WRITE_BLOCKS {
            return;
        }
        let writer = self.trie_writer.lock();
        if !writer.is_busy() {
            writer.write(chain.state.trie_snapshot(at));
            self.trie_written.store(at.0, Ordering::Relaxed);
        }
    }

    /// Asks the loop to stop after the current block.
    pub fn shutdown(&self) {
        self.stop.store(true, Ordering::SeqCst);
        let (lock, cv) = &self.wake;
        *lock.lock() = true;
        cv.notify_all();
    }

    /// The block production loop; returns on [`Domain::shutdown`].
    pub fn run(self: Arc<Self>) {
        let block_time = self.config.block_time;
        let mut next = Instant::now() + block_time + self.config.block_phase;
        let mut last_sweep = Instant::now();
        while !self.stop.load(Ordering::SeqCst) {
            {
                let (lock, cv) = &self.wake;
                let mut woken = lock.lock();
                if block_time.is_zero() {
                    if !*woken && self.pool.lock().is_empty() {
                        cv.wait_for(&mut woken, Duration::from_millis(200));
                    }
                } else {
                    while !self.stop.load(Ordering::SeqCst) && Instant::now() < next {
                        cv.wait_until(&mut woken, next);
                    }
                    // The next slot of this domain's phase, skipping any a stall missed.
                    next += block_time;
                    let now = Instant::now();
                    if next < now {
                        let behind = (now - next).as_nanos() / block_time.as_nanos();
                        next += block_time * u32::try_from(behind + 1).unwrap_or(u32::MAX);
                    }
                }
                *woken = false;
            }
            if self.stop.load(Ordering::SeqCst) {
                break;
            }
            if last_sweep.elapsed() >= EXPIRY_SWEEP {
                last_sweep = Instant::now();
                let expired = self.pool.lock().expire_queued(last_sweep);
                if !expired.is_empty() {
                    debug!(
                        domain = self.config.id,
                        count = expired.len(),
                        "queued transactions expired"
                    );
                    self.forget(expired);
                }
            }
            let produced = if block_time.is_zero() && self.pool.lock().is_empty() {
                // on demand: a block for deposits that L1 confirmed or messages other domains
                // sent, else none
                if self.config.l1.is_none() && self.config.outboxes.is_none() {
                    continue;
                }
                let (origin, deposits) = self.read_l1();
                let messages = self.read_inbox();
                if deposits.is_empty() && messages.is_empty() {
                    continue;
                }
                self.produce_block_with(origin, deposits, messages)
            } else {
                self.produce_block()
            };
            if let Err(e) = produced {
                warn!(domain = self.config.id, error = %e, "block production failed");
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        info!(domain = self.config.id, "block production stopped");
    }

    /// The next block's L1 origin and the deposits it credits, read before the block is built
    /// (only this thread produces, so the head cannot move meanwhile). An unreachable L1
    /// keeps the parent's origin: blocks go on without deposits until it answers again.
    fn read_l1(&self) -> (L1Origin, Vec<sec_primitives::Deposit>) {
        let parent = self.chain.read().head_extension.l1_origin;
        let Some(feed) = &self.config.l1 else {
            return (parent, vec![]);
        };
        match feed.next(self.config.id, parent) {
            Ok(Some(next)) => next,
            Ok(None) => (parent, vec![]),
            Err(sec_primitives::L1Error::NotCanonical(origin)) if origin == parent => {
                tracing::error!(
                    domain = self.config.id,
                    number = parent.number,
                    hash = %parent.hash,
                    "the L1 block this domain read deposits up to is no longer canonical: L1 \
                     reorganised deeper than the confirmation depth; deposits are held"
                );
                (parent, vec![])
            }
            Err(e) => {
                warn!(domain = self.config.id, error = %e, "L1 unreadable; block keeps its parent's L1 origin");
                (parent, vec![])
            }
        }
    }

    /// The messages other domains sent this one that the next block delivers (after the
    /// parent's inbox cursor). A store that cannot be read delays them to a later block.
    fn read_inbox(&self) -> Vec<Message> {
        let Some(outboxes) = &self.config.outboxes else {
            return vec![];
        };
        let cursor = self.chain.read().head_extension.inbox_cursor.clone();
        outboxes.pending(self.config.id, &cursor).unwrap_or_else(|e| {
            warn!(domain = self.config.id, error = %e, "outboxes unreadable; delivery waits");
            vec![]
        })
    }
}

/// A header with the fields every SEC block shares: no ommers, no proof of work, no withdrawals
/// or blobs, and the empty Prague requests hash, so that standard clients hash it as they
/// hash an Ethereum block.
pub(crate) fn post_merge_header() -> Header {
    Header {
        ommers_hash: EMPTY_OMMER_ROOT_HASH,
        difficulty: U256::ZERO,
        withdrawals_root: Some(EMPTY_WITHDRAWALS),
        blob_gas_used: Some(0),
        excess_blob_gas: Some(0),
        parent_beacon_block_root: Some(B256::ZERO),
        requests_hash: Some(EMPTY_REQUESTS_HASH),
        ..Default::default()
    }
}

/// A domain's native SEC at a block. The two system contracts hold the reserves deposits and
/// deliveries are paid from (and what sends locked), so the circulating supply is `total`
/// less the other two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NativeSupply {
    /// The block.
    pub head: u64,
    /// Every account's balance.
    pub total: U256,
    /// `L2Bridge`'s balance: what is left of the deposit reserve.
    pub l2_bridge: U256,
    /// `CrossDomain`'s balance: what is left of the delivery reserve, plus what sends locked.
    pub cross_domain: U256,
}

impl NativeSupply {
    /// `total` less the two system contracts' balances.
    pub fn circulating(&self) -> U256 {
        self.total.saturating_sub(self.l2_bridge).saturating_sub(self.cross_domain)
    }
}

/// A block just produced, with where its production time went.
#[derive(Debug, Clone)]
pub struct ProducedBlock {
    /// The block.
    pub record: Arc<BlockRecord>,
    /// Time per stage.
    pub timings: BlockTimings,
}

/// Where the time of producing one block went.
#[derive(Debug, Clone, Copy, Default)]
pub struct BlockTimings {
    /// Choosing transactions from the pool.
    pub select: Duration,
    /// Running them in the EVM.
    pub execute: Duration,
    /// Applying the writes and computing the state root.
    pub state_root: Duration,
    /// The durable commit (one fsync).
    pub commit: Duration,
    /// All of it, including announcing the block.
    pub total: Duration,
}

/// EIP-1559 base fee of the block after `parent`.
pub fn next_base_fee(parent: &Header) -> u64 {
    parent.next_block_base_fee(BaseFeeParams::ethereum()).unwrap_or_default()
}
