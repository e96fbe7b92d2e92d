//! System transactions: how what Ethereum locked reaches a domain.
//!
//! A system transaction is an ordinary signed legacy transaction (EIP-155) that the block's
//! producer signs with gas price zero and places at the start of its block, calling a
//! predeploy's system-only function (`L2Bridge.finalizeNativeDeposit` / `finalizeDeposit`).
//! Clients see it like any other transaction, with a receipt and logs; every node derives the
//! same list from the L1 origin the block records, so a validator can check it. The value
//! comes out of `L2Bridge`'s genesis reserve inside the EVM: no balance changes outside
//! execution, and replays and traces need no special rule beyond the fee ([`is_system`]).
//!
//! Which deposits a block credits is fixed by its L1 origin: block `n` credits the deposits
//! for its domain in L1 blocks `(origin(n-1), origin(n)]`, and the origin is committed in the
//! header extension. So a restart resumes from the stored head's origin and never reads a
//! deposit twice; `L2Bridge.depositProcessed` refuses a second credit in any case.
//!
//! Cross-domain messages arrive the same way: a destination's block delivers, with
//! `CrossDomain.deliver`, the messages the other domains' committed blocks sent it, in nonce
//! order per source, and its header extension records the last nonce delivered per source
//! (the inbox cursor), so the next block resumes there and nothing is delivered twice.
//!
//! [`is_system`]: crate::executor::is_system

use std::sync::{Arc, OnceLock};

use alloy::{
    consensus::{SignableTransaction, TxEnvelope, TxLegacy},
    eips::eip2718::Encodable2718,
    signers::{SignerSync, local::PrivateKeySigner},
    sol_types::{SolCall, SolType, sol_data},
};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use sec_contracts::{
    bindings::{CrossDomain, L2Bridge},
    predeploy::{CROSS_DOMAIN, L2_BRIDGE},
};
use sec_primitives::{
    Deposit, DepositKind, DomainId, InboxCursor, L1Origin, L1Source, message::Message,
};

use crate::{
    mempool::PooledTx,
    storage::{ChainStore, StoreError},
};

/// Gas limit of every system transaction. Measured in the node's deposit test: a native
/// deposit uses 85,311 gas (99,954 when the recipient refuses and is paid by a forced
/// payment), a bridged token's first deposit 709,346 (ETH) and 729,546 (an ERC-20), for
/// deploying the token; a native deposit's or a delivery's recipient call is capped at
/// 300,000 (`L2Bridge.DEPOSIT_CALL_GAS`) and 1,000,000 (`CrossDomain.DELIVERY_CALL_GAS`). Only
/// the gas used counts towards the block.
pub const SYSTEM_TX_GAS: u64 = 3_000_000;

/// Where a domain reads Ethereum, and how cautiously.
#[derive(Clone)]
pub struct L1Feed {
    /// The L1 reader.
    pub source: Arc<dyn L1Source>,
    /// How many L1 blocks a deposit waits before it is credited, so that a shallow L1
    /// reorganisation never reaches a credited deposit.
    pub confirmations: u64,
    /// First L1 block to look for deposits in (the bridge's deployment block).
    pub start_block: u64,
    /// Most L1 blocks one domain block reads, so a domain far behind L1 catches up in steps.
    pub max_blocks_per_read: u64,
}

impl std::fmt::Debug for L1Feed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("L1Feed")
            .field("confirmations", &self.confirmations)
            .field("start_block", &self.start_block)
            .field("max_blocks_per_read", &self.max_blocks_per_read)
            .finish_non_exhaustive()
    }
}

/// Most deposits one block credits; more in range move the origin back to the L1 block before
/// the first deposit that does not fit (a single L1 block is never split).
pub const MAX_DEPOSITS_PER_BLOCK: usize = 256;

impl L1Feed {
    /// The L1 origin the next block of `domain` after a block at `parent` reads, and the
    /// deposits it credits. `None` when the origin does not move (nothing new confirmed on
    /// L1); an L1 error is returned for the caller to log, and the block keeps its parent's
    /// origin. [`L1Error::NotCanonical`] with the parent's origin means L1 reorganised deeper
    /// than the confirmation depth: no deposit is credited until an operator resolves it.
    ///
    /// [`L1Error::NotCanonical`]: sec_primitives::L1Error::NotCanonical
    pub fn next(
        &self,
        domain: u32,
        parent: L1Origin,
    ) -> Result<Option<(L1Origin, Vec<Deposit>)>, sec_primitives::L1Error> {
        let head = self.source.head()?;
        let confirmed = head.number.saturating_sub(self.confirmations);
        let from = (parent.number + 1).max(self.start_block);
        if confirmed < from || confirmed <= parent.number {
            return Ok(None);
        }
        let mut to = confirmed.min(from.saturating_add(self.max_blocks_per_read.max(1) - 1));
        let hash = |n| {
            self.source.block_hash(n)?.ok_or(sec_primitives::L1Error::BadResponse {
                method: "eth_getBlockByNumber",
                reason: format!("no L1 block {n} below the head {}", head.number),
            })
        };
        // The parent's origin must still be on L1's chain: after a reorganisation deeper than
        // the confirmations, reading on from its number would skip the deposits the new branch
        // holds below it (and keep credits the old branch held). Deposits stop, loudly, instead.
        if parent != L1Origin::default() && hash(parent.number)? != parent.hash {
            return Err(sec_primitives::L1Error::NotCanonical(parent));
        }
        let mut origin = L1Origin { number: to, hash: hash(to)? };
        let mut deposits = self.source.deposits(domain, from, origin)?;
        if deposits.len() > MAX_DEPOSITS_PER_BLOCK {
            let cut = deposits[MAX_DEPOSITS_PER_BLOCK].block;
            if cut > from {
                to = cut - 1;
                origin = L1Origin { number: to, hash: hash(to)? };
                deposits.retain(|d| d.block <= to);
            }
        }
        deposits.sort_by_key(|d| d.nonce);
        Ok(Some((origin, deposits)))
    }
}

/// Why a proposed block's L1 origin is not one this node accepts.
#[derive(Debug, thiserror::Error)]
pub enum OriginError {
    /// The origin moved back.
    #[error("L1 origin {origin} is below the parent's {parent}")]
    Backwards {
        /// Proposed origin number.
        origin: u64,
        /// Parent's origin number.
        parent: u64,
    },
    /// The origin is not yet `confirmations` deep on this node's L1.
    #[error(
        "L1 origin {origin} is not confirmed here (L1 head {head}, {confirmations} confirmations)"
    )]
    Unconfirmed {
        /// Proposed origin number.
        origin: u64,
        /// This node's L1 head.
        head: u64,
        /// Confirmation depth.
        confirmations: u64,
    },
    /// The origin moved further than one block may read.
    #[error("L1 origin moves {blocks} blocks, more than {max}")]
    TooFar {
        /// Blocks read.
        blocks: u64,
        /// Most allowed.
        max: u64,
    },
    /// The origin (or the parent's) is not on this node's canonical L1 chain.
    #[error("L1 block {number} is not {hash} on this node's L1")]
    NotCanonical {
        /// Block number.
        number: u64,
        /// Hash the block names.
        hash: B256,
    },
    /// The range holds more deposits than one block credits, and could have been cut.
    #[error("{count} deposits, more than {MAX_DEPOSITS_PER_BLOCK} per block")]
    TooManyDeposits {
        /// Deposits in range.
        count: usize,
    },
    /// This node reads no L1, so the origin cannot move.
    #[error("no L1: the origin cannot move")]
    NoL1,
    /// L1 could not be read.
    #[error(transparent)]
    L1(#[from] sec_primitives::L1Error),
}

impl L1Feed {
    /// The deposits a block whose parent read L1 up to `parent` credits when it names `origin`,
    /// checked as [`L1Feed::next`] would have chosen it: not backwards, confirmed, canonical,
    /// within `max_blocks_per_read` and the deposit cap. A validator re-derives a proposed
    /// block's system transactions with it.
    pub fn deposits_between(
        &self,
        domain: u32,
        parent: L1Origin,
        origin: L1Origin,
    ) -> Result<Vec<Deposit>, OriginError> {
        if origin == parent {
            return Ok(vec![]);
        }
        if origin.number <= parent.number {
            return Err(OriginError::Backwards { origin: origin.number, parent: parent.number });
        }
        let head = self.source.head()?;
        if origin.number > head.number.saturating_sub(self.confirmations) {
            return Err(OriginError::Unconfirmed {
                origin: origin.number,
                head: head.number,
                confirmations: self.confirmations,
            });
        }
        let from = (parent.number + 1).max(self.start_block);
        let blocks = (origin.number + 1).saturating_sub(from);
        if blocks > self.max_blocks_per_read.max(1) {
            return Err(OriginError::TooFar { blocks, max: self.max_blocks_per_read.max(1) });
        }
        for o in [parent, origin] {
            if o != L1Origin::default() && self.source.block_hash(o.number)? != Some(o.hash) {
                return Err(OriginError::NotCanonical { number: o.number, hash: o.hash });
            }
        }
        let mut deposits = self.source.deposits(domain, from, origin)?;
        if deposits.len() > MAX_DEPOSITS_PER_BLOCK && deposits[MAX_DEPOSITS_PER_BLOCK].block > from
        {
            return Err(OriginError::TooManyDeposits { count: deposits.len() });
        }
        deposits.sort_by_key(|d| d.nonce);
        Ok(deposits)
    }
}

/// `abi.encode(name, symbol, decimals)`, as `L1Bridge` reads it from an ERC-20.
type TokenMetadata = (sol_data::String, sol_data::String, sol_data::Uint<8>);

/// The `L2Bridge` call that credits `deposit`: native SEC from the reserve, or the bridged
/// token minted (ETH as "Ether"/"ETH"/18; an ERC-20 with the metadata L1 read from it, or
/// empty names and 18 decimals when that is unreadable, as `L1Bridge` itself falls back to).
/// `None` for a kind `L1Bridge` never emits.
pub fn deposit_call(deposit: &Deposit) -> Option<Bytes> {
    let call = match DepositKind::from_code(deposit.kind)? {
        DepositKind::Sec => L2Bridge::finalizeNativeDepositCall {
            depositNonce: deposit.nonce,
            from: deposit.from,
            to: deposit.to,
            amount: deposit.amount,
            data: deposit.data.clone(),
        }
        .abi_encode(),
        DepositKind::Eth => L2Bridge::finalizeDepositCall {
            depositNonce: deposit.nonce,
            l1Token: Address::ZERO,
            name: "Ether".into(),
            symbol: "ETH".into(),
            decimals: 18,
            to: deposit.to,
            amount: deposit.amount,
        }
        .abi_encode(),
        DepositKind::Erc20 => {
            let (name, symbol, decimals) =
                TokenMetadata::abi_decode_params(&deposit.token_metadata)
                    .unwrap_or_else(|_| (String::new(), String::new(), 18));
            L2Bridge::finalizeDepositCall {
                depositNonce: deposit.nonce,
                l1Token: deposit.token,
                name,
                symbol,
                decimals,
                to: deposit.to,
                amount: deposit.amount,
            }
            .abi_encode()
        }
    };
    Some(call.into())
}

/// A system call: `input` to the predeploy `to`, as the block's producer must send it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemCall {
    /// `L2_BRIDGE` for a deposit, `CROSS_DOMAIN` for a delivery.
    pub to: Address,
    /// The call.
    pub input: Bytes,
}

impl SystemCall {
    /// The unsigned transaction carrying this call from the producer's account nonce `nonce`:
    /// legacy, gas price zero, [`SYSTEM_TX_GAS`]. A validator compares a proposed block's
    /// leading transactions with exactly this.
    pub fn unsigned(&self, chain_id: u64, nonce: u64) -> TxLegacy {
        TxLegacy {
            chain_id: Some(chain_id),
            nonce,
            gas_price: 0,
            gas_limit: SYSTEM_TX_GAS,
            to: TxKind::Call(self.to),
            value: U256::ZERO,
            input: self.input.clone(),
        }
    }
}

/// The system calls a block crediting `deposits` and delivering `messages` starts with, in
/// order, with the nonce of each deposit credited (deposits of an unknown kind are left out).
pub fn system_calls(deposits: &[Deposit], messages: &[Message]) -> (Vec<SystemCall>, Vec<u64>) {
    let mut calls = Vec::with_capacity(deposits.len() + messages.len());
    let mut credited = Vec::with_capacity(deposits.len());
    for d in deposits {
        let Some(input) = deposit_call(d) else {
            tracing::warn!(nonce = d.nonce, kind = d.kind, "deposit of unknown kind not credited");
            continue;
        };
        calls.push(SystemCall { to: L2_BRIDGE, input });
        credited.push(d.nonce);
    }
    calls.extend(messages.iter().map(|m| SystemCall { to: CROSS_DOMAIN, input: delivery_call(m) }));
    (calls, credited)
}

/// One system transaction: `input` to the predeploy `to`, signed by `producer` with its
/// account nonce `nonce`, gas price zero, [`SYSTEM_TX_GAS`].
pub fn system_tx(
    producer: &PrivateKeySigner,
    chain_id: u64,
    nonce: u64,
    to: Address,
    input: Bytes,
) -> Result<PooledTx, alloy::signers::Error> {
    let tx = SystemCall { to, input }.unsigned(chain_id, nonce);
    let signature = producer.sign_hash_sync(&tx.signature_hash())?;
    let envelope: TxEnvelope = tx.into_signed(signature).into();
    let raw: Bytes = envelope.encoded_2718().into();
    Ok(PooledTx::new(envelope, producer.address(), raw))
}

/// The `CrossDomain.deliver` call for `message`.
pub fn delivery_call(message: &Message) -> Bytes {
    CrossDomain::deliverCall {
        srcDomain: message.src_domain,
        nonce_: message.nonce,
        sender: message.sender,
        to: message.to,
        value: message.value,
        data: message.data.clone(),
    }
    .abi_encode()
    .into()
}

/// Most messages one block delivers (from all sources together).
pub const MAX_MESSAGES_PER_BLOCK: usize = 256;

/// The node's domains' outboxes, as a destination reads them to deliver: filled once every
/// domain of the node is open. Each source is read from a snapshot of its committed blocks;
/// with a single producer a committed block is final. (When blocks are finalized by
/// validators, delivery must read only certified blocks.)
#[derive(Default)]
pub struct Outboxes {
    stores: OnceLock<Vec<Arc<ChainStore>>>,
}

impl std::fmt::Debug for Outboxes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outboxes").field("domains", &self.stores.get().map(Vec::len)).finish()
    }
}

impl Outboxes {
    /// Sets every domain's store, by domain id; later calls are ignored.
    pub fn set(&self, stores: Vec<Arc<ChainStore>>) {
        let _ = self.stores.set(stores);
    }

    /// The messages waiting for `dst` after `cursor` (per source, the last nonce delivered),
    /// sources in id order, each source's in nonce order, at most [`MAX_MESSAGES_PER_BLOCK`].
    pub fn pending(
        &self,
        dst: DomainId,
        cursor: &[InboxCursor],
    ) -> Result<Vec<Message>, StoreError> {
        let Some(stores) = self.stores.get() else {
            return Ok(vec![]);
        };
        let mut out = Vec::new();
        for (src, store) in stores.iter().enumerate() {
            let src = src as DomainId;
            let room = MAX_MESSAGES_PER_BLOCK - out.len();
            if src == dst || room == 0 {
                continue;
            }
            let after = cursor.iter().find(|c| c.src_domain == src).map_or(0, |c| c.nonce);
            out.extend(store.reader()?.outbox(dst, after, room)?.into_iter().map(|(_, m)| m));
        }
        Ok(out)
    }
}

/// Why a proposed block's inbox cursor is not one this node accepts.
#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    /// The cursor is not the parent's moved forward over whole runs of messages.
    #[error("inbox cursor {0:?} does not follow the parent's")]
    Malformed(Vec<InboxCursor>),
    /// More messages than one block delivers.
    #[error("at least {0} messages, more than {MAX_MESSAGES_PER_BLOCK} per block")]
    TooMany(u64),
    /// This node has not seen the source's block that sent them (yet).
    #[error("messages from domain {src} up to nonce {nonce} are not in this node's outbox")]
    Unknown {
        /// Source domain.
        src: DomainId,
        /// Last nonce the cursor names.
        nonce: u64,
    },
    /// A store could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Outboxes {
    /// The messages a block delivers when its parent's cursor is `parent` and its own is
    /// `proposed`: per source in id order, the run of nonces between the two. A validator
    /// re-derives a proposed block's deliveries with it.
    pub fn delivered_between(
        &self,
        dst: DomainId,
        parent: &[InboxCursor],
        proposed: &[InboxCursor],
    ) -> Result<Vec<Message>, InboxError> {
        let after = |src| parent.iter().find(|c| c.src_domain == src).map_or(0, |c| c.nonce);
        if proposed.iter().any(|c| c.src_domain == dst || c.nonce < after(c.src_domain)) {
            return Err(InboxError::Malformed(proposed.to_vec()));
        }
        let stores = self.stores.get();
        let mut out = Vec::new();
        for c in proposed {
            let from = after(c.src_domain);
            if c.nonce == from {
                continue;
            }
            let Some(store) = stores.and_then(|s| s.get(c.src_domain as usize)) else {
                return Err(InboxError::Malformed(proposed.to_vec()));
            };
            // A source numbers its messages to every destination (Ethereum included) in one
            // sequence, so the run for this destination is every message it has between the
            // two nonces, not `c.nonce - from` of them. One more than the room left shows a run
            // too long for a block.
            let room = MAX_MESSAGES_PER_BLOCK - out.len();
            let run: Vec<Message> = store
                .reader()?
                .outbox(dst, from, room + 1)?
                .into_iter()
                .map(|(_, m)| m)
                .take_while(|m| m.nonce <= c.nonce)
                .collect();
            if run.len() > room {
                return Err(InboxError::TooMany((out.len() + run.len()) as u64));
            }
            // this node holds the source's messages in block order: holding the last one named
            // means holding the whole run
            if run.last().map(|m| m.nonce) != Some(c.nonce) {
                return Err(InboxError::Unknown { src: c.src_domain, nonce: c.nonce });
            }
            out.extend(run);
        }
        // Sorted by source, nothing dropped from the parent's: exactly what production writes.
        if advance_cursor(parent, &out) != proposed {
            return Err(InboxError::Malformed(proposed.to_vec()));
        }
        Ok(out)
    }
}

/// `cursor` moved past `delivered`: per source the highest nonce, sorted by source, sources
/// with nothing delivered yet left out.
pub fn advance_cursor(cursor: &[InboxCursor], delivered: &[Message]) -> Vec<InboxCursor> {
    let mut next: std::collections::BTreeMap<DomainId, u64> =
        cursor.iter().map(|c| (c.src_domain, c.nonce)).collect();
    for m in delivered {
        let n = next.entry(m.src_domain).or_default();
        *n = (*n).max(m.nonce);
    }
    next.into_iter().map(|(src_domain, nonce)| InboxCursor { src_domain, nonce }).collect()
}

/// The messages a block's receipts show `CrossDomain` sent from domain `src`, in order, with
/// their hashes as the event carries them (`Messages.messageHash`, the one definition that
/// `sec_primitives::message` mirrors and the contract tests compare).
pub fn sent_messages<'a>(
    src: DomainId,
    logs: impl IntoIterator<Item = &'a alloy_primitives::Log>,
) -> Vec<(B256, Message)> {
    use alloy::sol_types::SolEvent;
    logs.into_iter()
        .filter(|l| l.address == CROSS_DOMAIN)
        .filter_map(|l| CrossDomain::MessageSent::decode_log_data(&l.data).ok())
        .map(|e| {
            let message = Message {
                src_domain: src,
                nonce: e.nonce,
                sender: e.sender,
                dst_domain: e.dstDomain,
                to: e.to,
                value: e.value,
                data: e.data,
            };
            (e.messageHash, message)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::consensus::{Transaction, transaction::SignerRecoverable};

    fn deposit(kind: u8) -> Deposit {
        Deposit {
            nonce: 7,
            domain: 1,
            token: Address::repeat_byte(0x70),
            kind,
            from: Address::repeat_byte(1),
            to: Address::repeat_byte(2),
            amount: U256::from(5u64),
            data: Bytes::new(),
            token_metadata: TokenMetadata::abi_encode_params(&(
                "Token".to_string(),
                "TKN".to_string(),
                6u8,
            ))
            .into(),
            block: 3,
        }
    }

    #[test]
    fn each_kind_calls_the_bridge_function_that_credits_it() {
        let native = deposit_call(&deposit(1)).unwrap();
        let call = L2Bridge::finalizeNativeDepositCall::abi_decode(&native).unwrap();
        assert_eq!(
            (call.depositNonce, call.to, call.amount),
            (7, Address::repeat_byte(2), U256::from(5u64))
        );
        let eth =
            L2Bridge::finalizeDepositCall::abi_decode(&deposit_call(&deposit(0)).unwrap()).unwrap();
        assert_eq!((eth.l1Token, eth.symbol.as_str(), eth.decimals), (Address::ZERO, "ETH", 18));
        let erc =
            L2Bridge::finalizeDepositCall::abi_decode(&deposit_call(&deposit(2)).unwrap()).unwrap();
        assert_eq!(
            (erc.l1Token, erc.name.as_str(), erc.decimals),
            (Address::repeat_byte(0x70), "Token", 6)
        );
        let mut broken = deposit(2);
        broken.token_metadata = Bytes::from_static(b"junk");
        let erc =
            L2Bridge::finalizeDepositCall::abi_decode(&deposit_call(&broken).unwrap()).unwrap();
        assert_eq!((erc.name.as_str(), erc.decimals), ("", 18));
        assert!(deposit_call(&deposit(9)).is_none());
    }

    #[test]
    fn system_transactions_are_signed_by_the_producer_for_the_domain() {
        let producer = PrivateKeySigner::random();
        let (calls, credited) = system_calls(&[deposit(1), deposit(9), deposit(0)], &[]);
        assert_eq!(credited, vec![7, 7], "the unknown kind is left out");
        for (i, call) in calls.iter().enumerate() {
            let nonce = 4 + i as u64;
            let tx = system_tx(&producer, 53501, nonce, call.to, call.input.clone()).unwrap();
            assert_eq!(tx.tx.recover_signer().unwrap(), producer.address());
            assert_eq!(tx.tx.nonce(), nonce);
            assert_eq!(tx.tx.chain_id(), Some(53501));
            assert_eq!(tx.tx.max_fee_per_gas(), 0);
            assert_eq!(tx.tx.to(), Some(L2_BRIDGE));
            assert_eq!(tx.tx.as_legacy().map(|t| t.tx()), Some(&call.unsigned(53501, nonce)));
        }
    }
}
