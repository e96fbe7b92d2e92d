//! Building, verifying and committing one domain block.
//!
//! The three steps are separate because under consensus they happen at different times and on
//! different nodes: the scheduled producer builds a block and proposes it; every validator
//! re-executes the proposal on its own head ([`Domain::verify_block`]) before voting; the
//! block is committed only once decided ([`Domain::commit`]). Building and verifying execute
//! and compute the state root on the head's state, then return it to the head, so readers
//! never see a block that is not committed. A single producer builds and commits in one step
//! ([`Domain::produce_block`]), keeping the state it computed.

use std::{sync::Arc, time::Instant};

use alloy::{
    consensus::{
        Header, Transaction, TxEnvelope,
        proofs::{calculate_receipt_root, calculate_transaction_root},
        transaction::SignerRecoverable,
    },
    eips::eip2718::Decodable2718,
};
use alloy_primitives::{Address, B256, Bloom, Bytes};
use parking_lot::{RwLockUpgradableReadGuard, RwLockWriteGuard};
use sec_primitives::{Deposit, L1Origin, SecExtension, message::Message};
use tracing::{debug, info};

use super::{
    BlockTimings, Chain, ChainEvent, Domain, DomainError, ProducedBlock, RECENT_BLOCKS, RECENT_TXS,
    canonical_hash, next_base_fee, now_secs, post_merge_header,
};
use crate::{
    epochs::{EpochError, EpochSet},
    executor::{self, BlockExecution, BlockInput},
    mempool::PooledTx,
    state::{HeadReader, Reverts, StateChanges},
    storage::{BlockIndex, BlockRecord, StoredTx},
    system::{InboxError, OriginError, SystemCall},
};

/// A block as its producer proposes it: what a validator receives and re-executes.
#[derive(Debug, Clone, PartialEq, Eq, alloy_rlp::RlpEncodable, alloy_rlp::RlpDecodable)]
pub struct Proposal {
    /// The header, with every root the producer computed.
    pub header: Header,
    /// The extension its `extraData` commits to.
    pub extension: SecExtension,
    /// The transactions, EIP-2718 encoded, in order.
    pub txs: Vec<Bytes>,
}

impl Proposal {
    /// The block hash.
    pub fn hash(&self) -> B256 {
        self.header.hash_slow()
    }
}

/// What a proposed block must be, besides re-executing to its own header.
#[derive(Debug, Clone)]
pub struct Expected {
    /// The producer's slot.
    pub slot: u64,
    /// The scheduled producer (its ECDSA address: beneficiary and system transaction signer).
    pub producer: Address,
    /// The producer's BLS public key, which the block randomness must verify against.
    pub bls_key: Vec<u8>,
    /// The latest timestamp accepted (now plus the allowed clock drift); `None` accepts any
    /// timestamp after the parent's.
    pub max_timestamp: Option<u64>,
}

/// A block executed and sealed on top of the head, not yet committed.
#[derive(Debug, Clone)]
pub struct SealedBlock {
    /// The block.
    pub record: Arc<BlockRecord>,
    /// Its state writes.
    changes: StateChanges,
    /// What it credited, sent and delivered.
    index: BlockIndex,
    /// Pool transactions execution found invalid, to drop at commit.
    invalid: Vec<B256>,
    /// Where building it took its time.
    timings: BlockTimings,
}

impl SealedBlock {
    /// The block as a proposal to send to the other validators.
    pub fn proposal(&self) -> Proposal {
        Proposal {
            header: self.record.header.clone(),
            extension: self.record.extension.clone(),
            txs: self.record.txs.iter().map(|t| t.raw.clone()).collect(),
        }
    }

    /// The block hash.
    pub fn hash(&self) -> B256 {
        self.record.hash
    }

    /// The block with the certificate it is to be committed with and its place in the
    /// producer schedule.
    pub fn certified(
        mut self,
        certificate: sec_primitives::FinalityCertificate,
        slots: crate::storage::SlotRecord,
    ) -> Self {
        self.index.certificate = Some(certificate);
        self.index.slots = Some(slots);
        self
    }
}

/// Why a proposed block is refused: a validator votes nil on it and it is never finalized.
#[derive(Debug, thiserror::Error)]
pub enum Rejection {
    /// It does not extend this node's head.
    #[error("block {number} with parent {parent} does not extend the head {head_number} ({head})")]
    NotOnHead {
        /// Proposed number.
        number: u64,
        /// Proposed parent.
        parent: B256,
        /// This node's head number.
        head_number: u64,
        /// This node's head hash.
        head: B256,
    },
    /// A header or extension field differs from what the block must have.
    #[error("{field}: block has {got}, expected {expected}")]
    Mismatch {
        /// The field.
        field: &'static str,
        /// The proposal's value.
        got: String,
        /// The value re-execution or the schedule gives.
        expected: String,
    },
    /// The timestamp is not after the parent's or too far ahead of this node's clock.
    #[error("timestamp {timestamp} outside ({parent}, {max}]")]
    Timestamp {
        /// Proposed.
        timestamp: u64,
        /// Parent's.
        parent: u64,
        /// Latest accepted.
        max: u64,
    },
    /// The randomness does not verify against the producer's BLS key.
    #[error("randomness: {0}")]
    Randomness(#[from] sec_primitives::randomness::RandomnessError),
    /// A transaction does not decode, is of a refused type, is for another chain or does not
    /// recover.
    #[error("transaction {index}: {reason}")]
    BadTransaction {
        /// Position in the block.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// The leading system transactions are not exactly the deposits and deliveries the L1
    /// origin and inbox cursor name, or the producer sent another transaction.
    #[error("system transaction {index}: {reason}")]
    SystemTransaction {
        /// Position in the block.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// The L1 origin is not acceptable.
    #[error("L1 origin: {0}")]
    Origin(#[from] OriginError),
    /// The inbox cursor is not acceptable.
    #[error("inbox: {0}")]
    Inbox(#[from] InboxError),
    /// A transaction failed validity in execution (nonce, balance, gas).
    #[error("transaction {index} is invalid: {reason}")]
    InvalidTransaction {
        /// Position in the block.
        index: usize,
        /// Execution's reason.
        reason: String,
    },
    /// The epoch or the validator set the block names is not the one this node derives.
    #[error("epoch: {0}")]
    Epoch(#[from] EpochError),
    /// This node cannot judge the block yet: it lacks a fact the block builds on (domain 0's
    /// boundary block that lets it move to the next epoch). Not the block's fault.
    #[error("cannot be checked yet: {0} is not committed here")]
    Behind(String),
    /// The node could not run the check (storage or state read failed).
    #[error(transparent)]
    Node(#[from] DomainError),
}

impl Rejection {
    /// Whether the rejection is about this node (behind, or failing) rather than the block: a
    /// block finalized by the others and refused for such a reason is to be checked again later.
    pub fn is_local(&self) -> bool {
        matches!(
            self,
            Rejection::Behind(_)
                | Rejection::Node(_)
                | Rejection::Origin(OriginError::Unconfirmed { .. })
        )
    }
}

/// The parts of a block chosen before executing it.
struct Plan {
    l1_origin: L1Origin,
    deposits: Vec<Deposit>,
    messages: Vec<Message>,
    slot: u64,
}

/// Whether a sealed block is committed at once or the state returned to the head.
#[derive(PartialEq, Eq)]
enum Then {
    Commit,
    Revert,
}

fn mismatch(
    field: &'static str,
    got: impl std::fmt::Display,
    expected: impl std::fmt::Display,
) -> Rejection {
    Rejection::Mismatch { field, got: got.to_string(), expected: expected.to_string() }
}

impl Domain {
    /// The BLS public key of this node's producer key (48 bytes, compressed).
    pub fn bls_public_key(&self) -> [u8; 48] {
        self.randao.public_key()
    }

    /// The next block's L1 origin and deposits, and the messages it delivers, as this node's
    /// producer would choose them now.
    fn plan(&self, slot: u64) -> Plan {
        let (l1_origin, deposits) = self.read_l1();
        let messages = self.read_inbox();
        Plan { l1_origin, deposits, messages, slot }
    }

    /// The single producer's slot for the next block: the one after the parent's.
    fn next_slot(&self) -> u64 {
        self.chain.read().head_extension.slot + 1
    }

    /// The epoch of the next block (number `number`, at `timestamp`, reading L1 at
    /// `l1_origin`) and, on domain 0's boundary blocks, the set it fixes (see
    /// [`crate::epochs`]).
    fn next_epoch(
        &self,
        chain: &Chain,
        number: u64,
        timestamp: u64,
        l1_origin: L1Origin,
    ) -> Result<(u64, Option<EpochSet>), EpochError> {
        let Some(epochs) = &self.config.epochs else { return Ok((0, None)) };
        if self.config.id != 0 {
            return Ok((epochs.follow(chain.head_extension.epoch, timestamp)?, None));
        }
        let epoch = epochs.epoch_of(number);
        if !epochs.is_boundary(number) {
            return Ok((epoch, None));
        }
        let set = epochs.read_set(l1_origin)?;
        Ok((epoch, Some(EpochSet::new(epoch + 1, set, l1_origin, number))))
    }

    /// Builds, executes, commits and announces one block (the single producer's step).
    pub fn produce_block(&self) -> Result<ProducedBlock, DomainError> {
        let plan = self.plan(self.next_slot());
        self.produce(plan)
    }

    /// [`Domain::produce_block`] with the L1 origin, deposits and messages already read.
    pub(super) fn produce_block_with(
        &self,
        l1_origin: L1Origin,
        deposits: Vec<Deposit>,
        messages: Vec<Message>,
    ) -> Result<ProducedBlock, DomainError> {
        self.produce(Plan { l1_origin, deposits, messages, slot: self.next_slot() })
    }

    fn produce(&self, plan: Plan) -> Result<ProducedBlock, DomainError> {
        let sealed = self.build(plan, Then::Commit)?;
        Ok(ProducedBlock { record: sealed.record, timings: sealed.timings })
    }

    /// Builds and seals the next block for `slot` without committing it: what a scheduled
    /// producer proposes. The head is unchanged.
    pub fn build_block(&self, slot: u64) -> Result<SealedBlock, DomainError> {
        self.build(self.plan(slot), Then::Revert)
    }

    /// Chooses transactions, executes them and seals the block at L1 origin `plan.l1_origin`,
    /// crediting `plan.deposits` (all those of this domain between the parent's origin and
    /// it) and delivering `plan.messages` (the next ones after the parent's inbox cursor).
    fn build(&self, plan: Plan, then: Then) -> Result<SealedBlock, DomainError> {
        let started = Instant::now();
        let chain = self.chain.upgradable_read();
        let parent = &chain.head;
        let number = parent.number + 1;
        let base_fee = next_base_fee(parent);
        let timestamp = now_secs().max(parent.timestamp + 1);
        let (epoch, next_set) = self.next_epoch(&chain, number, timestamp, plan.l1_origin)?;
        // the producer's BLS signature over (domain, height): unique, so nothing to grind
        let chain_id_base = self.config.chain_id - u64::from(self.config.id);
        let randomness = self.randao.sign(chain_id_base, self.config.id, number);
        let mix_hash = sec_primitives::randomness::mix(parent.mix_hash, &randomness);
        let producer = self.producer.address();
        let input = BlockInput {
            number,
            timestamp,
            beneficiary: producer,
            gas_limit: self.config.gas_limit,
            base_fee,
            prevrandao: mix_hash,
        };
        // Candidates by declared gas limits, several blocks' worth: transactions use less than
        // they declare, and execution stops adding them when the gas actually used is full.
        let budget = self.config.gas_limit.saturating_mul(4);
        let producer_nonce = chain.state.account(&producer).map(|a| a.nonce).unwrap_or_default();
        let (calls, credited) = crate::system::system_calls(&plan.deposits, &plan.messages);
        let system_count = calls.len();
        let mut candidates: Vec<Arc<PooledTx>> = Vec::with_capacity(system_count);
        for (i, call) in calls.into_iter().enumerate() {
            let tx = crate::system::system_tx(
                &self.producer,
                self.config.chain_id,
                producer_nonce + i as u64,
                call.to,
                call.input,
            )
            .map_err(|e| DomainError::System(e.to_string()))?;
            candidates.push(Arc::new(tx));
        }
        // The producer's account sends only system transactions (they run without the base
        // fee, see `executor::is_system`), so its pool transactions wait.
        candidates.extend(
            self.pool
                .lock()
                .best(base_fee, budget, |a| {
                    chain.state.account(a).map(|a| a.nonce).unwrap_or_default()
                })
                .into_iter()
                .filter(|t| t.sender != producer),
        );
        let store = self.store.reader()?;
        let reader = HeadReader { state: &chain.state, block_hash: |n| canonical_hash(&store, n) };
        let txs: Vec<(&TxEnvelope, Address)> =
            candidates.iter().map(|t| (&t.tx, t.sender)).collect();
        let selected_at = started.elapsed();
        let exec = executor::execute_block(reader, self.config.chain_id, &input, &txs)?;
        let executed_at = started.elapsed();
        drop(store);
        // Every system transaction must be in the block, in place: the origin moves past
        // their deposits.
        if exec.included.iter().take(system_count).map(|(i, _)| *i).ne(0..system_count) {
            let reason = exec.invalid.first().map(|(_, r)| r.clone()).unwrap_or_default();
            return Err(DomainError::System(format!("not included: {reason}")));
        }
        let invalid = exec.invalid.iter().map(|(i, _)| candidates[*i].hash).collect();
        for (i, reason) in &exec.invalid {
            debug!(domain = self.config.id, tx = %candidates[*i].hash, reason, "dropping invalid transaction");
        }
        let included: Vec<&PooledTx> =
            exec.included.iter().map(|(i, _)| &*candidates[*i]).collect();
        let inbox_cursor =
            crate::system::advance_cursor(&chain.head_extension.inbox_cursor, &plan.messages);
        let mut index = BlockIndex {
            delivered: plan
                .messages
                .iter()
                .map(|m| m.hash())
                .zip(credited.len() as u32..)
                .collect(),
            deposits: credited.into_iter().zip(0u32..).collect(),
            sent: vec![],
            next_set: None,
            certificate: None,
            slots: None,
        };
        let body = Body::new(self.config.id, &exec, &mut index);
        let extension = SecExtension {
            domain: self.config.id,
            producer,
            outbox_root: body.outbox_root,
            inbox_cursor,
            l1_origin: plan.l1_origin,
            epoch,
            slot: plan.slot,
            randomness: Bytes::copy_from_slice(&randomness),
            next_set_hash: next_set.as_ref().map(|s| s.set_hash).unwrap_or_default(),
        };
        index.next_set = next_set;
        let mut chain = RwLockUpgradableReadGuard::upgrade(chain);
        let reverts = chain.state.apply(&exec.changes);
        let state_root = chain.state.state_root();
        let rooted_at = started.elapsed();
        let header = Header {
            parent_hash: chain.head_hash,
            beneficiary: producer,
            state_root,
            transactions_root: body.transactions_root(&included),
            receipts_root: calculate_receipt_root(&body.receipts),
            logs_bloom: body.logs_bloom,
            number,
            gas_limit: self.config.gas_limit,
            gas_used: exec.gas_used,
            timestamp,
            extra_data: Bytes::copy_from_slice(extension.commitment().as_slice()),
            mix_hash,
            base_fee_per_gas: Some(base_fee),
            ..post_merge_header()
        };
        let hash = header.hash_slow();
        let record = Arc::new(BlockRecord {
            header,
            hash,
            txs: included
                .iter()
                .map(|t| StoredTx { raw: t.raw.clone(), sender: t.sender })
                .collect(),
            tx_hashes: included.iter().map(|t| t.hash).collect(),
            receipts: body.receipts,
            extension,
        });
        let mut sealed = SealedBlock {
            record,
            changes: exec.changes,
            index,
            invalid,
            timings: BlockTimings {
                select: selected_at,
                execute: executed_at - selected_at,
                state_root: rooted_at - executed_at,
                ..Default::default()
            },
        };
        match then {
            Then::Revert => {
                chain.state.revert(&reverts);
                chain.state.state_root();
            }
            Then::Commit => {
                self.store_and_publish(chain, &sealed, &reverts)?;
                sealed.timings.commit = started.elapsed() - rooted_at;
                sealed.timings.total = started.elapsed();
                self.log_block(&sealed);
            }
        }
        Ok(sealed)
    }

    /// Re-executes a proposed block on the head and checks it is exactly the block the
    /// schedule, the L1 origin, the inbox and execution give: header, extension, producer,
    /// randomness, system transactions, every root. Returns it sealed, ready to commit once
    /// decided; the head is unchanged.
    pub fn verify_block(
        &self,
        proposal: &Proposal,
        expected: &Expected,
    ) -> Result<SealedBlock, Rejection> {
        let started = Instant::now();
        let header = &proposal.header;
        let ext = &proposal.extension;
        let chain = self.chain.upgradable_read();
        let parent = &chain.head;
        if header.parent_hash != chain.head_hash || header.number != parent.number + 1 {
            return Err(Rejection::NotOnHead {
                number: header.number,
                parent: header.parent_hash,
                head_number: parent.number,
                head: chain.head_hash,
            });
        }
        let number = header.number;
        // Who, when and in which slot, before any execution.
        if ext.domain != self.config.id {
            return Err(mismatch("domain", ext.domain, self.config.id));
        }
        if ext.producer != expected.producer {
            return Err(mismatch("producer", ext.producer, expected.producer));
        }
        if header.beneficiary != expected.producer {
            return Err(mismatch("beneficiary", header.beneficiary, expected.producer));
        }
        let (epoch, next_set) = self.next_epoch(&chain, number, header.timestamp, ext.l1_origin)?;
        // Outside domain 0 the move to the next epoch is the producer's to make once allowed:
        // a validator that sees domain 0 later (catching up) accepts the parent's epoch too,
        // so whether a block moved on never depends on when a validator looked.
        let parent_epoch = chain.head_extension.epoch;
        let epoch =
            if self.config.id != 0 && ext.epoch == parent_epoch { parent_epoch } else { epoch };
        if self.config.id != 0
            && ext.epoch == parent_epoch + 1
            && epoch == parent_epoch
            && let Some(epochs) = &self.config.epochs
            && epochs.boundary_time(parent_epoch)?.is_none()
        {
            return Err(Rejection::Behind(format!(
                "domain 0's block {} (the boundary of epoch {parent_epoch})",
                epochs.boundary(parent_epoch)
            )));
        }
        for (field, got, want) in [
            ("slot", ext.slot, expected.slot),
            ("epoch", ext.epoch, epoch),
            ("gasLimit", header.gas_limit, self.config.gas_limit),
            ("baseFeePerGas", header.base_fee_per_gas.unwrap_or_default(), next_base_fee(parent)),
        ] {
            if got != want {
                return Err(mismatch(field, got, want));
            }
        }
        let next_set_hash = next_set.as_ref().map(|s| s.set_hash).unwrap_or_default();
        if ext.next_set_hash != next_set_hash {
            return Err(mismatch("nextSetHash", ext.next_set_hash, next_set_hash));
        }
        let commitment = ext.commitment();
        if header.extra_data.as_ref() != commitment.as_slice() {
            return Err(mismatch("extraData", &header.extra_data, commitment));
        }
        let max = expected.max_timestamp.unwrap_or(u64::MAX);
        if header.timestamp <= parent.timestamp || header.timestamp > max {
            return Err(Rejection::Timestamp {
                timestamp: header.timestamp,
                parent: parent.timestamp,
                max,
            });
        }
        let chain_id_base = self.config.chain_id - u64::from(self.config.id);
        sec_primitives::randomness::verify(
            &expected.bls_key,
            chain_id_base,
            self.config.id,
            number,
            &ext.randomness,
            parent.mix_hash,
            header.mix_hash,
        )?;

        // The transactions: decoded and recovered in parallel, then the system prefix.
        let txs = self.decode_proposal_txs(&proposal.txs)?;
        let deposits = match &self.config.l1 {
            Some(feed) => feed.deposits_between(
                self.config.id,
                chain.head_extension.l1_origin,
                ext.l1_origin,
            )?,
            None if ext.l1_origin == chain.head_extension.l1_origin => vec![],
            None => return Err(OriginError::NoL1.into()),
        };
        let messages = match &self.config.outboxes {
            Some(outboxes) => outboxes.delivered_between(
                self.config.id,
                &chain.head_extension.inbox_cursor,
                &ext.inbox_cursor,
            )?,
            None if ext.inbox_cursor == chain.head_extension.inbox_cursor => vec![],
            None => return Err(InboxError::Malformed(ext.inbox_cursor.clone()).into()),
        };
        let (calls, credited) = crate::system::system_calls(&deposits, &messages);
        let producer_nonce =
            chain.state.account(&expected.producer).map(|a| a.nonce).unwrap_or_default();
        check_system_prefix(&txs, &calls, expected.producer, self.config.chain_id, producer_nonce)?;

        let input = BlockInput::from_header(header);
        let store = self.store.reader().map_err(DomainError::from)?;
        let reader = HeadReader { state: &chain.state, block_hash: |n| canonical_hash(&store, n) };
        let refs: Vec<(&TxEnvelope, Address)> = txs.iter().map(|t| (&t.tx, t.sender)).collect();
        let selected_at = started.elapsed();
        let exec = executor::execute_block(reader, self.config.chain_id, &input, &refs)
            .map_err(DomainError::from)?;
        let executed_at = started.elapsed();
        drop(store);
        if let Some((index, reason)) = exec.invalid.first() {
            return Err(Rejection::InvalidTransaction { index: *index, reason: reason.clone() });
        }
        if let Some(index) =
            (0..txs.len()).find(|i| exec.included.get(*i).map(|(j, _)| j) != Some(i))
        {
            return Err(Rejection::InvalidTransaction {
                index,
                reason: "left out by execution (block gas limit)".into(),
            });
        }
        let mut index = BlockIndex {
            deposits: credited.iter().copied().zip(0u32..).collect(),
            delivered: messages.iter().map(|m| m.hash()).zip(credited.len() as u32..).collect(),
            sent: vec![],
            next_set,
            certificate: None,
            slots: None,
        };
        let body = Body::new(self.config.id, &exec, &mut index);
        let included: Vec<&PooledTx> = txs.iter().collect();
        let computed = [
            ("outboxRoot", ext.outbox_root, body.outbox_root),
            ("transactionsRoot", header.transactions_root, body.transactions_root(&included)),
            ("receiptsRoot", header.receipts_root, calculate_receipt_root(&body.receipts)),
        ];
        for (field, got, want) in computed {
            if got != want {
                return Err(mismatch(field, got, want));
            }
        }
        if header.logs_bloom != body.logs_bloom {
            return Err(mismatch("logsBloom", header.logs_bloom, body.logs_bloom));
        }
        if header.gas_used != exec.gas_used {
            return Err(mismatch("gasUsed", header.gas_used, exec.gas_used));
        }
        let mut chain = RwLockUpgradableReadGuard::upgrade(chain);
        let reverts = chain.state.apply(&exec.changes);
        let state_root = chain.state.state_root();
        chain.state.revert(&reverts);
        chain.state.state_root();
        let rooted_at = started.elapsed();
        drop(chain);
        if header.state_root != state_root {
            return Err(mismatch("stateRoot", header.state_root, state_root));
        }
        // Every computed field matched; what is left must be the constants every block has.
        let rebuilt = Header {
            parent_hash: header.parent_hash,
            beneficiary: header.beneficiary,
            state_root,
            transactions_root: header.transactions_root,
            receipts_root: header.receipts_root,
            logs_bloom: header.logs_bloom,
            number,
            gas_limit: header.gas_limit,
            gas_used: header.gas_used,
            timestamp: header.timestamp,
            extra_data: header.extra_data.clone(),
            mix_hash: header.mix_hash,
            base_fee_per_gas: header.base_fee_per_gas,
            ..post_merge_header()
        };
        if &rebuilt != header {
            return Err(mismatch("header", "non-standard constant fields", "post-merge constants"));
        }
        let record = Arc::new(BlockRecord {
            header: header.clone(),
            hash: header.hash_slow(),
            txs: txs.iter().map(|t| StoredTx { raw: t.raw.clone(), sender: t.sender }).collect(),
            tx_hashes: txs.iter().map(|t| t.hash).collect(),
            receipts: body.receipts,
            extension: ext.clone(),
        });
        Ok(SealedBlock {
            record,
            changes: exec.changes,
            index,
            invalid: vec![],
            timings: BlockTimings {
                select: selected_at,
                execute: executed_at - selected_at,
                state_root: rooted_at - executed_at,
                ..Default::default()
            },
        })
    }

    /// Decodes and recovers a proposal's transactions (in parallel: recovery is the cost).
    fn decode_proposal_txs(&self, raw: &[Bytes]) -> Result<Vec<PooledTx>, Rejection> {
        use rayon::prelude::*;
        let chain_id = self.config.chain_id;
        raw.par_iter()
            .enumerate()
            .map(|(index, raw)| {
                let bad = |reason: String| Rejection::BadTransaction { index, reason };
                let tx = TxEnvelope::decode_2718_exact(raw.as_ref())
                    .map_err(|e| bad(format!("rlp: {e}")))?;
                if tx.is_eip4844() {
                    return Err(bad("blob transactions are not carried".into()));
                }
                if tx.chain_id() != Some(chain_id) {
                    return Err(bad(format!("chain id {:?}, not {chain_id}", tx.chain_id())));
                }
                let sender = tx.recover_signer().map_err(|_| bad("invalid sender".into()))?;
                Ok(PooledTx::new(tx, sender, raw.clone()))
            })
            .collect()
    }

    /// Commits a sealed block (built here or verified from a proposal) once it is decided:
    /// applies it to the head, checks the state root again, writes it and announces it.
    pub fn commit(&self, mut sealed: SealedBlock) -> Result<Arc<BlockRecord>, DomainError> {
        let started = Instant::now();
        let mut chain = self.chain.write();
        let header = &sealed.record.header;
        if header.parent_hash != chain.head_hash {
            return Err(DomainError::NotOnHead { number: header.number, head: chain.head.number });
        }
        let reverts = chain.state.apply(&sealed.changes);
        let computed = chain.state.state_root();
        if computed != header.state_root {
            chain.state.revert(&reverts);
            chain.state.state_root();
            return Err(DomainError::StateRootMismatch {
                number: header.number,
                stored: header.state_root,
                computed,
            });
        }
        self.store_and_publish(chain, &sealed, &reverts)?;
        sealed.timings.commit = started.elapsed();
        sealed.timings.total = started.elapsed();
        self.log_block(&sealed);
        Ok(sealed.record)
    }

    /// Writes an applied block, moves the head to it, updates the pool and announces it.
    /// `chain` holds the block's writes already; on a store failure it is reloaded from disk.
    fn store_and_publish(
        &self,
        mut chain: RwLockWriteGuard<'_, Chain>,
        sealed: &SealedBlock,
        reverts: &Reverts,
    ) -> Result<(), DomainError> {
        let record = &sealed.record;
        if let Err(e) = self.store.write_block(record, &sealed.changes, reverts, &sealed.index) {
            // The in-memory state already moved; reload it from disk so it matches the head.
            let window = chain.state.history_window();
            let (mut state, _) = self.store.load_state(&crate::trie_store::KnownNodes::default())?;
            state.carry_trie_changes(&mut chain.state);
            chain.state = state;
            chain.state.state_root();
            chain.state.set_history_window(window);
            return Err(e.into());
        }
        chain.head = record.header.clone();
        chain.head_hash = record.hash;
        chain.head_extension = record.extension.clone();
        chain.state.record_block(record.header.number);
        self.maybe_write_tries(&mut chain, (record.header.number, record.hash));
        {
            let mut recent = self.recent.lock();
            recent.insert(record.header.number, record.clone());
            let mut txs: usize = recent.values().map(|b| b.txs.len()).sum();
            while recent.len() > RECENT_BLOCKS || (txs > RECENT_TXS && recent.len() > 1) {
                if let Some((_, b)) = recent.pop_first() {
                    txs -= b.txs.len();
                }
            }
        }
        let new_nonces: Vec<(Address, u64)> = record
            .txs
            .iter()
            .map(|t| {
                (t.sender, chain.state.account(&t.sender).map(|a| a.nonce).unwrap_or_default())
            })
            .collect();
        let chain = RwLockWriteGuard::downgrade(chain);
        let dropped = {
            let mut pool = self.pool.lock();
            let mut dropped = Vec::new();
            for hash in &sealed.invalid {
                pool.discard(hash);
                dropped.push(*hash);
            }
            dropped.extend(pool.on_new_nonces(new_nonces));
            dropped
        };
        // Mined transactions leave the journal with their block; the rest are forgotten here.
        let mined: std::collections::HashSet<&B256> = record.tx_hashes.iter().collect();
        self.forget(dropped.into_iter().filter(|h| !mined.contains(h)));
        drop(chain);
        let _ = self.events.send(ChainEvent::Block(record.clone()));
        Ok(())
    }

    fn log_block(&self, sealed: &SealedBlock) {
        let record = &sealed.record;
        let number = record.header.number;
        if !sealed.index.deposits.is_empty() || !sealed.index.delivered.is_empty() {
            info!(
                domain = self.config.id,
                number,
                deposits = sealed.index.deposits.len(),
                messages = sealed.index.delivered.len(),
                l1_origin = record.extension.l1_origin.number,
                "deposits credited, messages delivered"
            );
        }
        let t = &sealed.timings;
        debug!(
            domain = self.config.id,
            number,
            txs = record.txs.len(),
            gas = record.header.gas_used,
            select_us = t.select.as_micros() as u64,
            exec_us = t.execute.as_micros() as u64,
            root_us = t.state_root.as_micros() as u64,
            commit_us = t.commit.as_micros() as u64,
            total_us = t.total.as_micros() as u64,
            "block"
        );
    }
}

/// What a block's receipts give: receipts, bloom and the messages it sent.
struct Body {
    receipts: Vec<alloy::consensus::ReceiptEnvelope>,
    logs_bloom: Bloom,
    outbox_root: B256,
}

impl Body {
    /// Receipts of the included transactions; fills `index.sent` from their logs.
    fn new(
        domain: sec_primitives::DomainId,
        exec: &BlockExecution,
        index: &mut BlockIndex,
    ) -> Self {
        let receipts: Vec<_> = exec.included.iter().map(|(_, e)| e.receipt.clone()).collect();
        let mut logs_bloom = Bloom::ZERO;
        for r in &receipts {
            logs_bloom.accrue_bloom(r.logs_bloom());
        }
        index.sent = crate::system::sent_messages(domain, receipts.iter().flat_map(|r| r.logs()));
        let sent: Vec<B256> = index.sent.iter().map(|(hash, _)| *hash).collect();
        let outbox_root = sec_primitives::merkle::MerkleTree::new(&sent).root();
        Self { receipts, logs_bloom, outbox_root }
    }

    fn transactions_root(&self, included: &[&PooledTx]) -> B256 {
        let envelopes: Vec<TxEnvelope> = included.iter().map(|t| t.tx.clone()).collect();
        calculate_transaction_root(&envelopes)
    }
}

/// The proposal's first transactions must be exactly `calls`, signed by the producer from its
/// account nonce on; the producer may send nothing else (its transactions run without the
/// base fee, so anything else from it could mint or skip fees).
fn check_system_prefix(
    txs: &[PooledTx],
    calls: &[SystemCall],
    producer: Address,
    chain_id: u64,
    producer_nonce: u64,
) -> Result<(), Rejection> {
    for (index, call) in calls.iter().enumerate() {
        let bad = |reason: &str| Rejection::SystemTransaction { index, reason: reason.into() };
        let tx = txs.get(index).ok_or_else(|| bad("missing"))?;
        if tx.sender != producer {
            return Err(bad("not signed by the producer"));
        }
        let expected = call.unsigned(chain_id, producer_nonce + index as u64);
        if tx.tx.as_legacy().map(|t| t.tx()) != Some(&expected) {
            return Err(bad("not the deposit or delivery the L1 origin and inbox cursor name"));
        }
    }
    if let Some(index) = txs.iter().skip(calls.len()).position(|t| t.sender == producer) {
        return Err(Rejection::SystemTransaction {
            index: calls.len() + index,
            reason: "the producer sends only system transactions".into(),
        });
    }
    Ok(())
}
