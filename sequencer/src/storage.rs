//! Durable storage of one domain in a redb file: blocks, receipts, the transaction index, the
//! flat state and the per-block history of replaced values.
//!
//! A block and all its effects are written in one redb transaction (one fsync), so after a crash
//! the file holds exactly the blocks whose commit returned, and nothing of a block whose commit
//! did not.

use std::{path::Path, sync::OnceLock};

use alloy::consensus::{Header, ReceiptEnvelope};
use alloy::eips::eip2718::{Decodable2718, Encodable2718};
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_rlp::Encodable;
use alloy_rlp::{Decodable, RlpDecodable, RlpEncodable};
use redb::{
    Database, ReadOnlyTable, ReadTransaction, ReadableDatabase, ReadableTable, TableDefinition,
};
use sec_primitives::{DoubleVote, FinalityCertificate, SecExtension, message::Message};

use crate::{
    epochs::EpochSet,
    state::{Account, LoadedAccount, MissedBranches, Reverts, StateChanges, WorldState},
    trie_store::KnownNodes,
};

const HEADERS: TableDefinition<u64, &[u8]> = TableDefinition::new("headers");
const CANONICAL: TableDefinition<u64, &[u8; 32]> = TableDefinition::new("canonical");
const BLOCK_NUMBERS: TableDefinition<&[u8; 32], u64> = TableDefinition::new("block_numbers");
/// (block, index) -> the transaction (rlp `StoredTx`). One row per transaction, so that reading
/// one transaction or receipt never decodes its whole block.
const TRANSACTIONS: TableDefinition<(u64, u32), &[u8]> = TableDefinition::new("transactions");
/// (block, index) -> index of the receipt's first log in the block (u32, big-endian) followed
/// by the receipt (EIP-2718): what `eth_getTransactionReceipt` needs, in one read.
const RECEIPTS: TableDefinition<(u64, u32), &[u8]> = TableDefinition::new("receipts");
const EXTENSIONS: TableDefinition<u64, &[u8]> = TableDefinition::new("extensions");
const TX_LOOKUP: TableDefinition<&[u8; 32], (u64, u32)> = TableDefinition::new("tx_lookup");
const ACCOUNTS: TableDefinition<&[u8; 20], &[u8]> = TableDefinition::new("accounts");
const STORAGE: TableDefinition<(&[u8; 20], &[u8; 32]), &[u8; 32]> = TableDefinition::new("storage");
const CODES: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("codes");
/// Key of `account_history`: (address, block).
type AccountAtBlock = (&'static [u8; 20], u64);
/// (account, block) -> the account before `block` (empty: it did not exist).
const ACCOUNT_HISTORY: TableDefinition<AccountAtBlock, &[u8]> =
    TableDefinition::new("account_history");
/// (account, slot, block) -> the slot's value before `block`.
type SlotAtBlock = (&'static [u8; 20], &'static [u8; 32], u64);
const STORAGE_HISTORY: TableDefinition<SlotAtBlock, &[u8; 32]> =
    TableDefinition::new("storage_history");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
/// block -> the keys it changed ([`ChangedKeys`], RLP): which accounts and slots to revert for
/// a proof at an earlier block, and which stored trie hashes a restart after a crash must not
/// use. Blocks written before the table existed have no row.
const CHANGED: TableDefinition<u64, &[u8]> = TableDefinition::new("changed");
/// Accepted transactions not yet in a block: the pool's journal, so none is lost in a crash.
const POOL: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("pool");
/// L1 deposit nonce -> (block, index) of the system transaction that credited it here.
const DEPOSITS: TableDefinition<u64, (u64, u32)> = TableDefinition::new("deposits");
/// (destination, nonce) -> block (u64, big-endian) and rlp of a message this domain sent: what
/// a destination reads, in order, to deliver.
const OUTBOX: TableDefinition<(u32, u64), &[u8]> = TableDefinition::new("outbox");
/// block -> the hashes (32 bytes each) of the messages it sent, in order: its outbox root's
/// leaves, for proofs.
const BLOCK_OUTBOX: TableDefinition<u64, &[u8]> = TableDefinition::new("block_outbox");
/// message hash -> (destination, nonce) of a message this domain sent.
const SENT: TableDefinition<&[u8; 32], (u32, u64)> = TableDefinition::new("sent");
/// message hash -> (block, index) of the system transaction that delivered it here.
const DELIVERED: TableDefinition<&[u8; 32], (u64, u32)> = TableDefinition::new("delivered");
/// Epoch -> its validator set (JSON of [`EpochSet`]); written by domain 0 with the block that
/// fixed the set.
const EPOCHS: TableDefinition<u64, &[u8]> = TableDefinition::new("epochs");
/// Block number -> the finality certificate it was committed with (JSON of
/// `FinalityCertificate`); absent on a chain without validators.
const CERTIFICATES: TableDefinition<u64, &[u8]> = TableDefinition::new("certificates");
/// (epoch, validator signer) -> (blocks produced, slots missed) in this domain.
const PRODUCTION: TableDefinition<(u64, &[u8; 20]), (u64, u64)> =
    TableDefinition::new("production");
/// (height, evidence id) -> a double vote seen while deciding that height (JSON of
/// `DoubleVote`), for judges (`sec_getEvidence`).
const EVIDENCE: TableDefinition<(u64, &[u8; 32]), &[u8]> = TableDefinition::new("evidence");
/// (height, block hash) -> a proposed block this validator built or found valid at a height not
/// committed yet (RLP): the engine may decide it after a crash that lost the memory copy, and
/// the block must then still be here to be committed (or sent to others).
const UNDECIDED: TableDefinition<(u64, &[u8; 32]), &[u8]> = TableDefinition::new("undecided");

/// Storage errors. All of them mean the disk or the file is unusable.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// redb failed.
    #[error("database: {0}")]
    Db(String),
    /// A stored record did not decode.
    #[error("corrupt record in {table}: {reason}")]
    Corrupt {
        /// Table name.
        table: &'static str,
        /// Decoding error.
        reason: String,
    },
}

macro_rules! db_err {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::Db(e.to_string())
            }
        }
    )*};
}
db_err!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

fn corrupt(table: &'static str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt { table, reason: e.to_string() }
}

/// A transaction as stored: its network encoding and its recovered sender.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct StoredTx {
    /// EIP-2718 encoding (what `eth_sendRawTransaction` received).
    pub raw: Bytes,
    /// Recovered sender, kept so that reads never recover signatures again.
    pub sender: Address,
}

/// An account a block changed, with the storage slots it changed (those a wipe or the
/// account's removal cleared included).
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct ChangedKeys {
    /// The account.
    pub address: Address,
    /// Its slots whose value changed.
    pub slots: Vec<U256>,
}

/// The keys of `reverts`, by account: what its block changed.
fn changed_keys(reverts: &Reverts) -> Vec<ChangedKeys> {
    let mut slots: std::collections::HashMap<Address, Vec<U256>> = Default::default();
    for (address, slot, _) in &reverts.storage {
        slots.entry(*address).or_default().push(*slot);
    }
    reverts
        .accounts
        .iter()
        .map(|(address, _)| ChangedKeys {
            address: *address,
            slots: slots.remove(address).unwrap_or_default(),
        })
        .collect()
}

#[derive(RlpEncodable, RlpDecodable)]
struct StoredAccount {
    nonce: u64,
    balance: U256,
    code_hash: B256,
}

fn encode_account(a: &Account) -> Vec<u8> {
    alloy_rlp::encode(StoredAccount { nonce: a.nonce, balance: a.balance, code_hash: a.code_hash })
}

fn decode_tx(mut bytes: &[u8]) -> Result<StoredTx, StoreError> {
    StoredTx::decode(&mut bytes).map_err(|e| corrupt("transactions", e))
}

fn decode_receipt(bytes: &[u8]) -> Result<(u32, ReceiptEnvelope), StoreError> {
    let (first_log, mut rest) =
        bytes.split_first_chunk::<4>().ok_or_else(|| corrupt("receipts", "short row"))?;
    let receipt = ReceiptEnvelope::decode_2718(&mut rest).map_err(|e| corrupt("receipts", e))?;
    Ok((u32::from_be_bytes(*first_log), receipt))
}

fn decode_account(mut bytes: &[u8]) -> Result<Account, StoreError> {
    let s = StoredAccount::decode(&mut bytes).map_err(|e| corrupt("accounts", e))?;
    Ok(Account { nonce: s.nonce, balance: s.balance, code_hash: s.code_hash })
}

/// What a block adds to the bridge's indexes, written in the block's commit.
#[derive(Debug, Clone, Default)]
pub struct BlockIndex {
    /// L1 deposits it credited: (deposit nonce, transaction index).
    pub deposits: Vec<(u64, u32)>,
    /// Messages it sent, in order, with their hashes (its outbox root's leaves).
    pub sent: Vec<(B256, Message)>,
    /// Messages it delivered: (message hash, transaction index).
    pub delivered: Vec<(B256, u32)>,
    /// On domain 0's boundary blocks (and genesis): the set it fixed.
    pub next_set: Option<EpochSet>,
    /// The precommits that finalized it, when validators decide blocks.
    pub certificate: Option<FinalityCertificate>,
    /// Who produced it and who missed the slots before it, when validators decide blocks.
    pub slots: Option<SlotRecord>,
}

/// A decided block's place in the producer schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotRecord {
    /// The epoch whose schedule it follows.
    pub epoch: u64,
    /// Its producer.
    pub producer: Address,
    /// The producers of the slots between its parent's and its own, which passed without a
    /// block.
    pub missed: Vec<Address>,
}

/// A message a domain sent, as its store finds it by hash.
#[derive(Debug, Clone)]
pub struct SentMessage {
    /// Block that sent it.
    pub block: u64,
    /// Its index among `leaves`.
    pub position: usize,
    /// The hashes of every message of that block, in order.
    pub leaves: Vec<B256>,
    /// The message.
    pub message: Message,
}

fn decode_outbox_row(bytes: &[u8]) -> Result<(u64, Message), StoreError> {
    let (block, mut rest) =
        bytes.split_first_chunk::<8>().ok_or_else(|| corrupt("outbox", "short row"))?;
    let message = Message::decode(&mut rest).map_err(|e| corrupt("outbox", e))?;
    Ok((u64::from_be_bytes(*block), message))
}

/// A sealed block with everything written alongside it.
#[derive(Debug, Clone)]
pub struct BlockRecord {
    /// The header.
    pub header: Header,
    /// `keccak256(rlp(header))`.
    pub hash: B256,
    /// Transactions in order.
    pub txs: Vec<StoredTx>,
    /// Transaction hashes in order.
    pub tx_hashes: Vec<B256>,
    /// Consensus receipts in order.
    pub receipts: Vec<ReceiptEnvelope>,
    /// The SEC extension committed in `extraData`.
    pub extension: SecExtension,
}

/// The redb file of one domain.
#[derive(Debug)]
pub struct ChainStore {
    db: Database,
}

impl ChainStore {
    /// Opens (or creates) the store at `path` with a page cache of `cache_bytes`.
    pub fn open(path: &Path, cache_bytes: usize) -> Result<Self, StoreError> {
        let db = Database::builder().set_cache_size(cache_bytes).create(path)?;
        let tx = db.begin_write()?;
        {
            // Create every table so that readers never see a missing one.
            tx.open_table(HEADERS)?;
            tx.open_table(CANONICAL)?;
            tx.open_table(BLOCK_NUMBERS)?;
            tx.open_table(TRANSACTIONS)?;
            tx.open_table(RECEIPTS)?;
            tx.open_table(EXTENSIONS)?;
            tx.open_table(TX_LOOKUP)?;
            tx.open_table(ACCOUNTS)?;
            tx.open_table(STORAGE)?;
            tx.open_table(CODES)?;
            tx.open_table(ACCOUNT_HISTORY)?;
            tx.open_table(STORAGE_HISTORY)?;
            tx.open_table(META)?;
            tx.open_table(CHANGED)?;
            tx.open_table(POOL)?;
            tx.open_table(DEPOSITS)?;
            tx.open_table(OUTBOX)?;
            tx.open_table(BLOCK_OUTBOX)?;
            tx.open_table(SENT)?;
            tx.open_table(DELIVERED)?;
            tx.open_table(EPOCHS)?;
            tx.open_table(CERTIFICATES)?;
            tx.open_table(PRODUCTION)?;
            tx.open_table(EVIDENCE)?;
            tx.open_table(UNDECIDED)?;
        }
        tx.commit()?;
        Ok(Self { db })
    }

    /// A consistent snapshot for reads.
    pub fn reader(&self) -> Result<StoreReader, StoreError> {
        Ok(StoreReader {
            tx: self.db.begin_read()?,
            account_history: OnceLock::new(),
            storage_history: OnceLock::new(),
            accounts: OnceLock::new(),
            storage: OnceLock::new(),
        })
    }

    /// The head block number, if any block was written.
    pub fn head(&self) -> Result<Option<u64>, StoreError> {
        self.reader()?.head()
    }

    /// Loads the whole flat state into memory (at startup), its tries built with the branch
    /// hashes `known` gives; also returns the branches it had to hash (see
    /// [`WorldState::from_stored`]).
    pub fn load_state(
        &self,
        known: &KnownNodes,
    ) -> Result<(WorldState, MissedBranches), StoreError> {
        let tx = self.db.begin_read()?;
        let mut codes = Vec::new();
        for row in tx.open_table(CODES)?.iter()? {
            let (_, code) = row?;
            codes.push(Bytes::copy_from_slice(code.value()));
        }
        // Both tables are in address order: one pass over each, side by side.
        let mut accounts: Vec<LoadedAccount> = Vec::new();
        for row in tx.open_table(ACCOUNTS)?.iter()? {
            let (address, account) = row?;
            accounts.push((
                Address::from(*address.value()),
                decode_account(account.value())?,
                vec![],
            ));
        }
        let mut at = 0;
        for row in tx.open_table(STORAGE)?.iter()? {
            let (k, v) = row?;
            let (address, slot) = k.value();
            while accounts.get(at).is_some_and(|a| a.0.0.0 < *address) {
                at += 1;
            }
            // Slots of an account that is gone are left by nothing that writes; skip them.
            if let Some(account) = accounts.get_mut(at).filter(|a| a.0.0.0 == *address) {
                account.2.push((U256::from_be_bytes(*slot), U256::from_be_bytes(*v.value())));
            }
        }
        Ok(WorldState::from_stored(accounts, codes, known))
    }

    /// Writes the genesis state and block 0 in one transaction, with epoch 0's set if any.
    pub fn write_genesis(
        &self,
        state: &WorldState,
        block: &BlockRecord,
        index: &BlockIndex,
    ) -> Result<(), StoreError> {
        let tx = self.db.begin_write()?;
        {
            let mut accounts = tx.open_table(ACCOUNTS)?;
            let mut storage = tx.open_table(STORAGE)?;
            let mut codes = tx.open_table(CODES)?;
            for (address, account, slots) in state.iter() {
                accounts.insert(&address.0.0, encode_account(&account).as_slice())?;
                for (slot, value) in slots {
                    storage.insert(
                        (&address.0.0, &slot.to_be_bytes::<32>()),
                        &value.to_be_bytes::<32>(),
                    )?;
                }
                if let Some(code) = state.code(&account.code_hash) {
                    codes.insert(&account.code_hash.0, code.original_byte_slice())?;
                }
            }
        }
        Self::write_index(&tx, 0, index)?;
        Self::write_block_tables(&tx, block)?;
        tx.commit()?;
        Ok(())
    }

    /// Writes a block, its state changes and their reverts atomically, with what it adds to the
    /// bridge's indexes.
    pub fn write_block(
        &self,
        block: &BlockRecord,
        changes: &StateChanges,
        reverts: &Reverts,
        index: &BlockIndex,
    ) -> Result<(), StoreError> {
        let tx = self.db.begin_write()?;
        let number = block.header.number;
        {
            let mut accounts = tx.open_table(ACCOUNTS)?;
            let mut storage = tx.open_table(STORAGE)?;
            let mut codes = tx.open_table(CODES)?;
            for (hash, code) in &changes.codes {
                codes.insert(&hash.0, code.as_ref())?;
            }
            for (address, change) in &changes.accounts {
                let a = &address.0.0;
                if change.wiped {
                    storage.retain_in((a, &[0u8; 32])..=(a, &[0xffu8; 32]), |_, _| false)?;
                }
                for (slot, value) in &change.storage {
                    let key = (a, &slot.to_be_bytes::<32>());
                    if value.is_zero() {
                        storage.remove(key)?;
                    } else {
                        storage.insert(key, &value.to_be_bytes::<32>())?;
                    }
                }
                match &change.account {
                    Some(account) => {
                        accounts.insert(a, encode_account(account).as_slice())?;
                    }
                    None => {
                        accounts.remove(a)?;
                    }
                }
            }
            let mut account_history = tx.open_table(ACCOUNT_HISTORY)?;
            for (address, before) in &reverts.accounts {
                let value = before.as_ref().map(encode_account).unwrap_or_default();
                account_history.insert((&address.0.0, number), value.as_slice())?;
            }
            let mut storage_history = tx.open_table(STORAGE_HISTORY)?;
            for (address, slot, before) in &reverts.storage {
                storage_history.insert(
                    (&address.0.0, &slot.to_be_bytes::<32>(), number),
                    &before.to_be_bytes::<32>(),
                )?;
            }
            tx.open_table(CHANGED)?
                .insert(number, alloy_rlp::encode(changed_keys(reverts)).as_slice())?;
        }
        Self::write_index(&tx, number, index)?;
        Self::write_block_tables(&tx, block)?;
        tx.commit()?;
        Ok(())
    }

    fn write_index(
        tx: &redb::WriteTransaction,
        number: u64,
        index: &BlockIndex,
    ) -> Result<(), StoreError> {
        let mut deposits = tx.open_table(DEPOSITS)?;
        for (nonce, i) in &index.deposits {
            deposits.insert(nonce, (number, *i))?;
        }
        let mut delivered = tx.open_table(DELIVERED)?;
        for (hash, i) in &index.delivered {
            delivered.insert(&hash.0, (number, *i))?;
        }
        if let Some(c) = &index.certificate {
            let json = serde_json::to_vec(c).map_err(|e| corrupt("certificates", e))?;
            tx.open_table(CERTIFICATES)?.insert(number, json.as_slice())?;
        }
        if let Some(slots) = &index.slots {
            let mut production = tx.open_table(PRODUCTION)?;
            let mut count = |who: &Address, produced: u64, missed: u64| {
                let key = (slots.epoch, &who.0.0);
                let (p, m) = production.get(key)?.map(|v| v.value()).unwrap_or_default();
                production.insert(key, (p + produced, m + missed))?;
                Ok::<(), StoreError>(())
            };
            count(&slots.producer, 1, 0)?;
            for who in &slots.missed {
                count(who, 0, 1)?;
            }
        }
        if let Some(set) = &index.next_set {
            let json = serde_json::to_vec(set).map_err(|e| corrupt("epochs", e))?;
            tx.open_table(EPOCHS)?.insert(set.epoch, json.as_slice())?;
        }
        if index.sent.is_empty() {
            return Ok(());
        }
        let mut outbox = tx.open_table(OUTBOX)?;
        let mut sent = tx.open_table(SENT)?;
        let mut hashes = Vec::with_capacity(index.sent.len() * 32);
        for (hash, m) in &index.sent {
            let mut row = number.to_be_bytes().to_vec();
            m.encode(&mut row);
            outbox.insert((m.dst_domain, m.nonce), row.as_slice())?;
            sent.insert(&hash.0, (m.dst_domain, m.nonce))?;
            hashes.extend_from_slice(hash.as_slice());
        }
        tx.open_table(BLOCK_OUTBOX)?.insert(number, hashes.as_slice())?;
        Ok(())
    }

    /// Replaces block `number`'s certificate with `certificate` (one with more precommits,
    /// collected after the block was committed).
    pub fn write_certificate(
        &self,
        number: u64,
        certificate: &FinalityCertificate,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_vec(certificate).map_err(|e| corrupt("certificates", e))?;
        let tx = self.db.begin_write()?;
        tx.open_table(CERTIFICATES)?.insert(number, json.as_slice())?;
        tx.commit()?;
        Ok(())
    }

    /// Keeps the double votes seen while deciding `height`; a pair already kept (in either
    /// order) is not kept twice. Returns how many were new.
    pub fn write_evidence(
        &self,
        height: u64,
        evidence: &[DoubleVote],
    ) -> Result<usize, StoreError> {
        let tx = self.db.begin_write()?;
        let mut added = 0;
        {
            let mut t = tx.open_table(EVIDENCE)?;
            for e in evidence {
                let id = e.id();
                if t.get((height, &id.0))?.is_some() {
                    continue;
                }
                let json = serde_json::to_vec(e).map_err(|e| corrupt("evidence", e))?;
                t.insert((height, &id.0), json.as_slice())?;
                added += 1;
            }
        }
        tx.commit()?;
        Ok(added)
    }

    /// Keeps proposed block `block` (RLP) of height `height` durably, and forgets those of
    /// lower heights (committed by now).
    pub fn keep_undecided(&self, height: u64, hash: &B256, block: &[u8]) -> Result<(), StoreError> {
        let tx = self.db.begin_write()?;
        {
            let mut t = tx.open_table(UNDECIDED)?;
            let old: Vec<(u64, [u8; 32])> = t
                .range(..(height, &[0u8; 32]))?
                .map(|r| r.map(|(k, _)| (k.value().0, *k.value().1)))
                .collect::<Result<_, _>>()?;
            for (h, id) in old {
                t.remove((h, &id))?;
            }
            t.insert((height, &hash.0), block)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Journals accepted transactions and forgets dropped ones, in one durable commit.
    pub fn journal(&self, insert: &[(B256, Bytes)], remove: &[B256]) -> Result<(), StoreError> {
        let tx = self.db.begin_write()?;
        {
            let mut pool = tx.open_table(POOL)?;
            for (hash, raw) in insert {
                pool.insert(&hash.0, raw.as_ref())?;
            }
            for hash in remove {
                pool.remove(&hash.0)?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The journaled pool (at startup).
    pub fn journaled(&self) -> Result<Vec<(B256, Bytes)>, StoreError> {
        let tx = self.db.begin_read()?;
        let pool = tx.open_table(POOL)?;
        let mut out = Vec::new();
        for row in pool.iter()? {
            let (k, v) = row?;
            out.push((B256::from(*k.value()), Bytes::copy_from_slice(v.value())));
        }
        Ok(out)
    }

    fn write_block_tables(
        tx: &redb::WriteTransaction,
        block: &BlockRecord,
    ) -> Result<(), StoreError> {
        let number = block.header.number;
        {
            // Mined transactions leave the pool journal in the same commit as their block.
            let mut pool = tx.open_table(POOL)?;
            for hash in &block.tx_hashes {
                pool.remove(&hash.0)?;
            }
        }
        tx.open_table(HEADERS)?.insert(number, alloy_rlp::encode(&block.header).as_slice())?;
        tx.open_table(CANONICAL)?.insert(number, &block.hash.0)?;
        tx.open_table(BLOCK_NUMBERS)?.insert(&block.hash.0, number)?;
        {
            let mut txs = tx.open_table(TRANSACTIONS)?;
            let mut receipts = tx.open_table(RECEIPTS)?;
            let mut first_log = 0u32;
            for (i, (t, r)) in block.txs.iter().zip(&block.receipts).enumerate() {
                txs.insert((number, i as u32), alloy_rlp::encode(t).as_slice())?;
                let mut value = first_log.to_be_bytes().to_vec();
                r.encode_2718(&mut value);
                receipts.insert((number, i as u32), value.as_slice())?;
                first_log += r.logs().len() as u32;
            }
        }
        tx.open_table(EXTENSIONS)?
            .insert(number, alloy_rlp::encode(&block.extension).as_slice())?;
        let mut lookup = tx.open_table(TX_LOOKUP)?;
        for (i, hash) in block.tx_hashes.iter().enumerate() {
            lookup.insert(&hash.0, (number, i as u32))?;
        }
        tx.open_table(META)?.insert("head", number.to_be_bytes().as_slice())?;
        Ok(())
    }
}

/// The table in `cell`, opening it with `open` the first time.
fn opened<T>(
    cell: &OnceLock<T>,
    open: impl FnOnce() -> Result<T, redb::TableError>,
) -> Result<&T, StoreError> {
    if let Some(t) = cell.get() {
        return Ok(t);
    }
    let t = open()?;
    Ok(cell.get_or_init(|| t))
}

/// Key of the flat storage table: (address, slot).
type SlotKey = (&'static [u8; 20], &'static [u8; 32]);

/// A read snapshot of the store.
pub struct StoreReader {
    tx: ReadTransaction,
    /// The history tables, opened on first use: replaying a block for a trace reads them once
    /// per account and slot it touches, and opening a table costs more than the lookup.
    account_history: OnceLock<ReadOnlyTable<AccountAtBlock, &'static [u8]>>,
    storage_history: OnceLock<ReadOnlyTable<SlotAtBlock, &'static [u8; 32]>>,
    /// The flat state tables, opened on first use for the same reason.
    accounts: OnceLock<ReadOnlyTable<&'static [u8; 20], &'static [u8]>>,
    storage: OnceLock<ReadOnlyTable<SlotKey, &'static [u8; 32]>>,
}

impl StoreReader {
    /// The head block number.
    pub fn head(&self) -> Result<Option<u64>, StoreError> {
        let meta = self.tx.open_table(META)?;
        let Some(v) = meta.get("head")? else { return Ok(None) };
        let bytes: [u8; 8] = v.value().try_into().map_err(|e| corrupt("meta", e))?;
        Ok(Some(u64::from_be_bytes(bytes)))
    }

    /// Header of block `number`.
    pub fn header(&self, number: u64) -> Result<Option<Header>, StoreError> {
        let t = self.tx.open_table(HEADERS)?;
        let Some(v) = t.get(number)? else { return Ok(None) };
        Header::decode(&mut v.value()).map(Some).map_err(|e| corrupt("headers", e))
    }

    /// Hash of canonical block `number`.
    pub fn block_hash(&self, number: u64) -> Result<Option<B256>, StoreError> {
        let t = self.tx.open_table(CANONICAL)?;
        Ok(t.get(number)?.map(|v| B256::from(*v.value())))
    }

    /// Number of the block with `hash`.
    pub fn block_number(&self, hash: &B256) -> Result<Option<u64>, StoreError> {
        let t = self.tx.open_table(BLOCK_NUMBERS)?;
        Ok(t.get(&hash.0)?.map(|v| v.value()))
    }

    /// Transactions of block `number`.
    pub fn body(&self, number: u64) -> Result<Vec<StoredTx>, StoreError> {
        let t = self.tx.open_table(TRANSACTIONS)?;
        let mut out = Vec::new();
        for row in t.range((number, 0)..=(number, u32::MAX))? {
            out.push(decode_tx(row?.1.value())?);
        }
        Ok(out)
    }

    /// How many transactions block `number` has (`None`: no such block): the index of its last
    /// transaction row, one lookup instead of reading them all.
    pub fn tx_count(&self, number: u64) -> Result<Option<u64>, StoreError> {
        if self.block_hash(number)?.is_none() {
            return Ok(None);
        }
        let t = self.tx.open_table(TRANSACTIONS)?;
        let last = t.range((number, 0)..=(number, u32::MAX))?.next_back().transpose()?;
        Ok(Some(last.map_or(0, |(k, _)| u64::from(k.value().1) + 1)))
    }

    /// Receipts of block `number`.
    pub fn receipts(&self, number: u64) -> Result<Vec<ReceiptEnvelope>, StoreError> {
        let t = self.tx.open_table(RECEIPTS)?;
        let mut out = Vec::new();
        for row in t.range((number, 0)..=(number, u32::MAX))? {
            out.push(decode_receipt(row?.1.value())?.1);
        }
        Ok(out)
    }

    /// Transaction `index` of block `number`.
    pub fn transaction(&self, number: u64, index: u32) -> Result<Option<StoredTx>, StoreError> {
        let t = self.tx.open_table(TRANSACTIONS)?;
        t.get((number, index))?.map(|v| decode_tx(v.value())).transpose()
    }

    /// Receipt `index` of block `number`, with the block-wide index of its first log.
    pub fn receipt(
        &self,
        number: u64,
        index: u32,
    ) -> Result<Option<(u32, ReceiptEnvelope)>, StoreError> {
        let t = self.tx.open_table(RECEIPTS)?;
        t.get((number, index))?.map(|v| decode_receipt(v.value())).transpose()
    }

    /// Everything about block `number`.
    pub fn block(&self, number: u64) -> Result<Option<BlockRecord>, StoreError> {
        let Some(header) = self.header(number)? else { return Ok(None) };
        let hash = self.block_hash(number)?.unwrap_or_else(|| header.hash_slow());
        let txs = self.body(number)?;
        let tx_hashes = txs.iter().map(|t| alloy_primitives::keccak256(&t.raw)).collect();
        let receipts = self.receipts(number)?;
        let extension = self.extension(number)?.ok_or(StoreError::Corrupt {
            table: "extensions",
            reason: format!("block {number} missing"),
        })?;
        Ok(Some(BlockRecord { header, hash, txs, tx_hashes, receipts, extension }))
    }

    /// The SEC extension of block `number`.
    pub fn extension(&self, number: u64) -> Result<Option<SecExtension>, StoreError> {
        let t = self.tx.open_table(EXTENSIONS)?;
        let Some(v) = t.get(number)? else { return Ok(None) };
        SecExtension::decode(&mut v.value()).map(Some).map_err(|e| corrupt("extensions", e))
    }

    /// Block number and index of a transaction.
    pub fn tx_location(&self, hash: &B256) -> Result<Option<(u64, u32)>, StoreError> {
        let t = self.tx.open_table(TX_LOOKUP)?;
        Ok(t.get(&hash.0)?.map(|v| v.value()))
    }

    /// Block and index of the system transaction that credited L1 deposit `nonce` here.
    pub fn deposit(&self, nonce: u64) -> Result<Option<(u64, u32)>, StoreError> {
        let t = self.tx.open_table(DEPOSITS)?;
        Ok(t.get(nonce)?.map(|v| v.value()))
    }

    /// The certificate block `number` was committed with, if any.
    pub fn certificate(&self, number: u64) -> Result<Option<FinalityCertificate>, StoreError> {
        let t = self.tx.open_table(CERTIFICATES)?;
        let Some(v) = t.get(number)? else { return Ok(None) };
        serde_json::from_slice(v.value()).map(Some).map_err(|e| corrupt("certificates", e))
    }

    /// Proposed block `hash` of height `height` (RLP), if this validator kept it.
    pub fn undecided(&self, height: u64, hash: &B256) -> Result<Option<Vec<u8>>, StoreError> {
        let t = self.tx.open_table(UNDECIDED)?;
        Ok(t.get((height, &hash.0))?.map(|v| v.value().to_vec()))
    }

    /// Up to `limit` double votes kept for heights from `from`, in height order.
    pub fn evidence(&self, from: u64, limit: usize) -> Result<Vec<(u64, DoubleVote)>, StoreError> {
        let t = self.tx.open_table(EVIDENCE)?;
        let mut out = Vec::new();
        for row in t.range((from, &[0u8; 32])..)?.take(limit) {
            let (k, v) = row?;
            let e = serde_json::from_slice(v.value()).map_err(|e| corrupt("evidence", e))?;
            out.push((k.value().0, e));
        }
        Ok(out)
    }

    /// Per validator of `epoch`: blocks produced and slots missed in this domain.
    pub fn production(&self, epoch: u64) -> Result<Vec<(Address, u64, u64)>, StoreError> {
        let t = self.tx.open_table(PRODUCTION)?;
        let mut out = Vec::new();
        for row in t.range((epoch, &[0u8; 20])..=(epoch, &[0xffu8; 20]))? {
            let (k, v) = row?;
            let (produced, missed) = v.value();
            out.push((Address::from(*k.value().1), produced, missed));
        }
        Ok(out)
    }

    /// The highest block with a certificate: the finalized head.
    pub fn last_certified(&self) -> Result<Option<u64>, StoreError> {
        let t = self.tx.open_table(CERTIFICATES)?;
        Ok(t.last()?.map(|(k, _)| k.value()))
    }

    /// The validator set of `epoch`, if this (domain 0's) store holds it.
    pub fn epoch_set(&self, epoch: u64) -> Result<Option<EpochSet>, StoreError> {
        let t = self.tx.open_table(EPOCHS)?;
        let Some(v) = t.get(epoch)? else { return Ok(None) };
        serde_json::from_slice(v.value()).map(Some).map_err(|e| corrupt("epochs", e))
    }

    /// Up to `limit` messages this domain sent to `dst` with nonces above `after`, in order,
    /// each with the block that sent it.
    pub fn outbox(
        &self,
        dst: u32,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, Message)>, StoreError> {
        let t = self.tx.open_table(OUTBOX)?;
        let mut out = Vec::new();
        for row in t.range((dst, after.saturating_add(1))..=(dst, u64::MAX))?.take(limit) {
            out.push(decode_outbox_row(row?.1.value())?);
        }
        Ok(out)
    }

    /// A message this domain sent, by hash: the block that sent it, its position among that
    /// block's messages (its outbox root's leaves) and the message.
    pub fn sent_message(&self, hash: &B256) -> Result<Option<SentMessage>, StoreError> {
        let Some((dst, nonce)) = self.tx.open_table(SENT)?.get(&hash.0)?.map(|v| v.value()) else {
            return Ok(None);
        };
        let row = self.tx.open_table(OUTBOX)?.get((dst, nonce))?;
        let Some(row) = row else {
            return Err(corrupt("outbox", "sent message missing"));
        };
        let (block, message) = decode_outbox_row(row.value())?;
        let leaves = self.block_outbox(block)?;
        let position = leaves
            .iter()
            .position(|h| h == hash)
            .ok_or_else(|| corrupt("block_outbox", "sent message not among its block's"))?;
        Ok(Some(SentMessage { block, position, leaves, message }))
    }

    /// The hashes of the messages block `number` sent, in order (its outbox root's leaves).
    pub fn block_outbox(&self, number: u64) -> Result<Vec<B256>, StoreError> {
        let t = self.tx.open_table(BLOCK_OUTBOX)?;
        Ok(t.get(number)?
            .map(|v| v.value().chunks_exact(32).map(B256::from_slice).collect())
            .unwrap_or_default())
    }

    /// The L1-bound messages (withdrawals) sent by blocks `after + 1 ..= to`, in block order
    /// and then in each block's outbox order: the part of a checkpoint's withdrawal set this
    /// domain contributes (see `sec_primitives::checkpoint`).
    pub fn l1_bound(&self, after: u64, to: u64) -> Result<Vec<Message>, StoreError> {
        let mut out = Vec::new();
        if after >= to {
            return Ok(out);
        }
        let blocks = self.tx.open_table(BLOCK_OUTBOX)?;
        let sent = self.tx.open_table(SENT)?;
        let outbox = self.tx.open_table(OUTBOX)?;
        for row in blocks.range(after + 1..=to)? {
            let (_, hashes) = row?;
            for hash in hashes.value().chunks_exact(32) {
                let key: &[u8; 32] =
                    hash.try_into().map_err(|_| corrupt("block_outbox", "hash"))?;
                let Some((dst, nonce)) = sent.get(key)?.map(|v| v.value()) else {
                    return Err(corrupt("sent", "block outbox hash missing"));
                };
                if dst != sec_primitives::message::L1_DOMAIN {
                    continue;
                }
                let row = outbox.get((dst, nonce))?.ok_or_else(|| corrupt("outbox", "missing"))?;
                out.push(decode_outbox_row(row.value())?.1);
            }
        }
        Ok(out)
    }

    /// Block and index of the system transaction that delivered message `hash` here.
    pub fn delivered(&self, hash: &B256) -> Result<Option<(u64, u32)>, StoreError> {
        let t = self.tx.open_table(DELIVERED)?;
        Ok(t.get(&hash.0)?.map(|v| v.value()))
    }

    /// The keys block `number` changed; `None` for a block written before they were recorded.
    pub fn changed(&self, number: u64) -> Result<Option<Vec<ChangedKeys>>, StoreError> {
        let t = self.tx.open_table(CHANGED)?;
        match t.get(number)? {
            None => Ok(None),
            Some(v) => Vec::<ChangedKeys>::decode(&mut v.value())
                .map(Some)
                .map_err(|e| corrupt("changed", e)),
        }
    }

    /// The account as it was at the end of block `block`, if it changed after that block;
    /// `None` means "unchanged since: read the head state".
    pub fn account_at(
        &self,
        address: &Address,
        block: u64,
    ) -> Result<Option<Option<Account>>, StoreError> {
        let t = opened(&self.account_history, || self.tx.open_table(ACCOUNT_HISTORY))?;
        let a = &address.0.0;
        let mut range = t.range((a, block + 1)..=(a, u64::MAX))?;
        match range.next() {
            None => Ok(None),
            Some(row) => {
                let (_, v) = row?;
                let v = v.value();
                if v.is_empty() { Ok(Some(None)) } else { decode_account(v).map(|a| Some(Some(a))) }
            }
        }
    }

    /// A storage slot as it was at the end of `block`, if it changed after that block.
    pub fn storage_at(
        &self,
        address: &Address,
        slot: &U256,
        block: u64,
    ) -> Result<Option<U256>, StoreError> {
        let t = opened(&self.storage_history, || self.tx.open_table(STORAGE_HISTORY))?;
        let a = &address.0.0;
        let s = slot.to_be_bytes::<32>();
        let mut range = t.range((a, &s, block + 1)..=(a, &s, u64::MAX))?;
        match range.next() {
            None => Ok(None),
            Some(row) => Ok(Some(U256::from_be_bytes(*row?.1.value()))),
        }
    }

    /// The account as of this snapshot's head.
    pub fn account(&self, address: &Address) -> Result<Option<Account>, StoreError> {
        let t = opened(&self.accounts, || self.tx.open_table(ACCOUNTS))?;
        t.get(&address.0.0)?.map(|v| decode_account(v.value())).transpose()
    }

    /// A storage slot as of this snapshot's head (zero if unset).
    pub fn storage(&self, address: &Address, slot: &U256) -> Result<U256, StoreError> {
        let t = opened(&self.storage, || self.tx.open_table(STORAGE))?;
        let v = t.get((&address.0.0, &slot.to_be_bytes::<32>()))?;
        Ok(v.map(|v| U256::from_be_bytes(*v.value())).unwrap_or_default())
    }

    /// Code by hash.
    pub fn code(&self, hash: &B256) -> Result<Option<Bytes>, StoreError> {
        let t = self.tx.open_table(CODES)?;
        Ok(t.get(&hash.0)?.map(|v| Bytes::copy_from_slice(v.value())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undecided_blocks_survive_a_reopen_until_a_higher_height_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chain.redb");
        let (a, b) = (B256::repeat_byte(1), B256::repeat_byte(2));
        {
            let store = ChainStore::open(&path, 1 << 20).unwrap();
            store.keep_undecided(5, &a, b"five-a").unwrap();
            store.keep_undecided(5, &b, b"five-b").unwrap();
        }
        let store = ChainStore::open(&path, 1 << 20).unwrap();
        let r = store.reader().unwrap();
        assert_eq!(r.undecided(5, &a).unwrap().as_deref(), Some(&b"five-a"[..]));
        assert_eq!(r.undecided(5, &b).unwrap().as_deref(), Some(&b"five-b"[..]));
        assert_eq!(r.undecided(6, &a).unwrap(), None);
        drop(r);
        // height 6 kept: height 5 was committed by then, its blocks go
        store.keep_undecided(6, &a, b"six").unwrap();
        let r = store.reader().unwrap();
        assert_eq!(r.undecided(5, &a).unwrap(), None);
        assert_eq!(r.undecided(5, &b).unwrap(), None);
        assert_eq!(r.undecided(6, &a).unwrap().as_deref(), Some(&b"six"[..]));
    }
}
