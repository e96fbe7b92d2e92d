//! The transaction pool of one domain.
//!
//! Transactions are kept per sender by nonce. Those whose nonces follow the sender's state nonce
//! without a gap are *pending* (executable); the rest are *queued*. Block building takes pending
//! transactions by effective tip, sender by sender in nonce order, like geth's
//! `TransactionsByPriceAndNonce`. Rejections use geth's messages so that clients recognise them.

use std::{
    cmp::Reverse,
    collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap},
    sync::Arc,
};

use alloy::consensus::{Transaction, TxEnvelope};
use alloy_primitives::{Address, B256, Bytes, U256};
use serde::{Deserialize, Serialize};

/// Pool limits and price floor.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PoolConfig {
    /// Most transactions one sender may have in the pool (pending + queued). Default 1024.
    pub max_per_sender: usize,
    /// Most transactions in the pool. Default 100,000.
    pub max_total: usize,
    /// Most encoded bytes in the pool, all transactions together: without it 100,000
    /// transactions of 128 KiB each would be 12.8 GiB. Default 64 MiB.
    pub max_bytes: usize,
    /// How far beyond a sender's next executable nonce a queued transaction may be: nonces
    /// further ahead are refused ("nonce too high"), so no sender can park transactions that
    /// will not run for a long time (geth keeps 64 queued per account). Default 64.
    pub max_nonce_ahead: u64,
    /// Seconds a queued (not yet executable) transaction stays before it is dropped; geth's
    /// lifetime. Default 3 h.
    pub queued_lifetime_secs: u64,
    /// Least priority fee (legacy: gas price) accepted, in wei. Default 1 wei.
    pub min_tip: u128,
    /// Largest encoded transaction accepted, in bytes. Default 128 KiB (geth's limit).
    pub max_tx_size: usize,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            max_per_sender: 1024,
            max_total: 100_000,
            max_bytes: 64 * 1024 * 1024,
            max_nonce_ahead: 64,
            queued_lifetime_secs: 3 * 3600,
            min_tip: 1,
            max_tx_size: 128 * 1024,
        }
    }
}

/// Why a transaction was not accepted; the text is geth's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    /// The pool already has this transaction.
    #[error("already known")]
    AlreadyKnown,
    /// The nonce was already used.
    #[error("nonce too low: address {address}, tx: {tx} state: {state}")]
    NonceTooLow {
        /// Sender.
        address: Address,
        /// Transaction nonce.
        tx: u64,
        /// Account nonce.
        state: u64,
    },
    /// Balance does not cover gas limit × fee cap + value.
    #[error(
        "insufficient funds for gas * price + value: address {address} have {have} want {want}"
    )]
    InsufficientFunds {
        /// Sender.
        address: Address,
        /// Balance.
        have: U256,
        /// Cost.
        want: U256,
    },
    /// Together with the sender's transactions already pooled, more than the balance: the
    /// pool would hold a transaction that can never pay (geth's overdraft check).
    #[error(
        "insufficient funds for gas * price + value: balance {}, queued cost {}, tx cost {}, overshot {}",
        .0.balance, .0.queued, .0.cost, .0.overshot
    )]
    Overdraft(Box<Overdraft>),
    /// The nonce is further ahead of the sender's next nonce than the pool keeps.
    #[error("nonce too high: address {address}, tx: {tx} next: {next}, at most {limit} ahead")]
    NonceTooHigh {
        /// Sender.
        address: Address,
        /// Transaction nonce.
        tx: u64,
        /// The sender's next executable nonce.
        next: u64,
        /// How far ahead the pool accepts.
        limit: u64,
    },
    /// A replacement must raise both fee cap and tip by 10%.
    #[error("replacement transaction underpriced")]
    ReplacementUnderpriced,
    /// Below the pool's price floor.
    #[error("transaction underpriced: tip needed {needed}, tip permitted {permitted}")]
    Underpriced {
        /// The floor.
        needed: u128,
        /// The transaction's tip.
        permitted: u128,
    },
    /// Gas limit above the block gas limit.
    #[error("exceeds block gas limit")]
    ExceedsBlockGasLimit,
    /// Encoded size above the limit.
    #[error("oversized data: transaction size {size}, limit {limit}")]
    OversizedData {
        /// Size.
        size: usize,
        /// Limit.
        limit: usize,
    },
    /// Sender already holds its share of the pool.
    #[error("account limit exceeded")]
    AccountLimitExceeded,
    /// The pool is full of better-paying transactions.
    #[error("txpool is full")]
    PoolFull,
}

/// What an overdraft refusal reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overdraft {
    /// Balance.
    pub balance: U256,
    /// Cost of the sender's other pooled transactions.
    pub queued: U256,
    /// This transaction's cost.
    pub cost: U256,
    /// By how much the total exceeds the balance.
    pub overshot: U256,
}

/// A transaction in the pool.
#[derive(Debug)]
pub struct PooledTx {
    /// Transaction hash.
    pub hash: B256,
    /// Recovered sender.
    pub sender: Address,
    /// The signed transaction.
    pub tx: TxEnvelope,
    /// EIP-2718 encoding.
    pub raw: Bytes,
    /// Arrival order, to break ties.
    seq: u64,
    /// When it entered the pool, for the queued lifetime.
    arrived: std::time::Instant,
}

impl PooledTx {
    /// Wraps a decoded, recovered transaction.
    pub fn new(tx: TxEnvelope, sender: Address, raw: Bytes) -> Self {
        Self { hash: *tx.tx_hash(), sender, tx, raw, seq: 0, arrived: std::time::Instant::now() }
    }

    fn nonce(&self) -> u64 {
        self.tx.nonce()
    }

    /// The most the sender pays per gas.
    fn fee_cap(&self) -> u128 {
        self.tx.max_fee_per_gas()
    }

    fn tip_cap(&self) -> u128 {
        self.tx.max_priority_fee_per_gas().unwrap_or_else(|| self.tx.max_fee_per_gas())
    }

    /// Tip per gas the producer receives at `base_fee`; `None` if the fee cap is below it.
    pub fn effective_tip(&self, base_fee: u64) -> Option<u128> {
        self.tx.effective_tip_per_gas(base_fee)
    }

    /// gas limit × fee cap + value.
    fn cost(&self) -> U256 {
        U256::from(self.tx.gas_limit()) * U256::from(self.fee_cap()) + self.tx.value()
    }

    fn price_key(&self) -> (u128, u128, Reverse<u64>, B256) {
        (self.fee_cap(), self.tip_cap(), Reverse(self.seq), self.hash)
    }
}

/// What the pool needs to know about a sender's account.
#[derive(Debug, Clone, Copy)]
pub struct SenderState {
    /// Account nonce.
    pub nonce: u64,
    /// Account balance.
    pub balance: U256,
}

/// Pending and queued transactions of one domain.
#[derive(Debug, Default)]
pub struct Mempool {
    config: PoolConfig,
    by_hash: HashMap<B256, Arc<PooledTx>>,
    by_sender: HashMap<Address, BTreeMap<u64, Arc<PooledTx>>>,
    /// Every transaction ordered by price, cheapest first, for eviction.
    by_price: BTreeSet<(u128, u128, Reverse<u64>, B256)>,
    /// Last known state nonce per sender, to split pending from queued.
    nonces: HashMap<Address, u64>,
    /// Per sender, the summed cost of its pooled transactions (for the overdraft check).
    spend: HashMap<Address, U256>,
    /// Encoded bytes of every pooled transaction.
    bytes: usize,
    seq: u64,
}

impl Mempool {
    /// An empty pool.
    pub fn new(config: PoolConfig) -> Self {
        Self { config, ..Default::default() }
    }

    /// Number of transactions.
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// Encoded bytes of all pooled transactions.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Whether the pool is empty.
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// A pooled transaction by hash.
    pub fn get(&self, hash: &B256) -> Option<Arc<PooledTx>> {
        self.by_hash.get(hash).cloned()
    }

    /// Stateless checks, before the sender's signature is even recovered.
    pub fn precheck(
        &self,
        tx: &TxEnvelope,
        size: usize,
        block_gas_limit: u64,
    ) -> Result<(), PoolError> {
        if size > self.config.max_tx_size {
            return Err(PoolError::OversizedData { size, limit: self.config.max_tx_size });
        }
        if tx.gas_limit() > block_gas_limit {
            return Err(PoolError::ExceedsBlockGasLimit);
        }
        let tip = tx.max_priority_fee_per_gas().unwrap_or_else(|| tx.max_fee_per_gas());
        if tip < self.config.min_tip {
            return Err(PoolError::Underpriced { needed: self.config.min_tip, permitted: tip });
        }
        if self.by_hash.contains_key(tx.tx_hash()) {
            return Err(PoolError::AlreadyKnown);
        }
        Ok(())
    }

    /// Adds a transaction whose sender has `state`. Returns the hashes it evicted.
    pub fn add(&mut self, mut tx: PooledTx, state: SenderState) -> Result<Vec<B256>, PoolError> {
        if self.by_hash.contains_key(&tx.hash) {
            return Err(PoolError::AlreadyKnown);
        }
        let nonce = tx.nonce();
        if nonce < state.nonce {
            return Err(PoolError::NonceTooLow {
                address: tx.sender,
                tx: nonce,
                state: state.nonce,
            });
        }
        let cost = tx.cost();
        if cost > state.balance {
            return Err(PoolError::InsufficientFunds {
                address: tx.sender,
                have: state.balance,
                want: cost,
            });
        }
        let existing = self.by_sender.get(&tx.sender).and_then(|txs| txs.get(&nonce)).cloned();
        if existing.is_none() {
            let next = self.pending_nonce(&tx.sender, state.nonce);
            if nonce > next.saturating_add(self.config.max_nonce_ahead) {
                return Err(PoolError::NonceTooHigh {
                    address: tx.sender,
                    tx: nonce,
                    next,
                    limit: self.config.max_nonce_ahead,
                });
            }
        }
        let queued = self.spend.get(&tx.sender).copied().unwrap_or_default();
        let others = queued.saturating_sub(existing.as_ref().map(|o| o.cost()).unwrap_or_default());
        if others.saturating_add(cost) > state.balance {
            return Err(PoolError::Overdraft(Box::new(Overdraft {
                balance: state.balance,
                queued: others,
                cost,
                overshot: others.saturating_add(cost) - state.balance,
            })));
        }
        self.nonces.insert(tx.sender, state.nonce);
        if let Some(old) = &existing {
            // geth's price bump: both caps must rise by at least 10%.
            let bumped = |old: u128, new: u128| new.saturating_mul(100) >= old.saturating_mul(110);
            if !bumped(old.fee_cap(), tx.fee_cap()) || !bumped(old.tip_cap(), tx.tip_cap()) {
                return Err(PoolError::ReplacementUnderpriced);
            }
        } else if self
            .by_sender
            .get(&tx.sender)
            .is_some_and(|t| t.len() >= self.config.max_per_sender)
        {
            return Err(PoolError::AccountLimitExceeded);
        }
        // Room by count and by bytes: the cheapest transactions make way for a better price,
        // with the later nonces of their senders, which they would leave stranded.
        let freed = existing.as_ref().map(|o| o.raw.len()).unwrap_or_default();
        let size = tx.raw.len();
        let fits = |count: usize, bytes: usize| {
            (existing.is_some() || count < self.config.max_total)
                && bytes - freed + size <= self.config.max_bytes
        };
        if size > self.config.max_bytes {
            return Err(PoolError::PoolFull);
        }
        let (mut count, mut bytes) = (self.by_hash.len(), self.bytes);
        let mut victims: Vec<B256> = Vec::new();
        let mut planned = std::collections::HashSet::new();
        for key in &self.by_price {
            if fits(count, bytes) {
                break;
            }
            if (tx.fee_cap(), tx.tip_cap()) <= (key.0, key.1) {
                return Err(PoolError::PoolFull);
            }
            let Some(victim) = self.by_hash.get(&key.3) else { continue };
            if victim.sender == tx.sender || planned.contains(&victim.hash) {
                continue;
            }
            for (_, t) in self.by_sender[&victim.sender].range(victim.nonce()..) {
                if planned.insert(t.hash) {
                    count -= 1;
                    bytes -= t.raw.len();
                    victims.push(t.hash);
                }
            }
        }
        if !fits(count, bytes) {
            return Err(PoolError::PoolFull);
        }
        for h in &victims {
            self.remove(h);
        }
        let mut evicted = victims;
        if let Some(old) = existing {
            self.remove(&old.hash);
            evicted.push(old.hash);
        }
        self.seq += 1;
        tx.seq = self.seq;
        let tx = Arc::new(tx);
        *self.spend.entry(tx.sender).or_default() += cost;
        self.bytes += tx.raw.len();
        self.by_price.insert(tx.price_key());
        self.by_hash.insert(tx.hash, tx.clone());
        self.by_sender.entry(tx.sender).or_default().insert(nonce, tx);
        Ok(evicted)
    }

    fn remove(&mut self, hash: &B256) -> Option<Arc<PooledTx>> {
        let tx = self.by_hash.remove(hash)?;
        self.by_price.remove(&tx.price_key());
        self.bytes -= tx.raw.len();
        if let Some(spend) = self.spend.get_mut(&tx.sender) {
            *spend = spend.saturating_sub(tx.cost());
        }
        if let Some(txs) = self.by_sender.get_mut(&tx.sender) {
            txs.remove(&tx.nonce());
            if txs.is_empty() {
                self.by_sender.remove(&tx.sender);
                self.nonces.remove(&tx.sender);
                self.spend.remove(&tx.sender);
            }
        }
        Some(tx)
    }

    /// Drops a transaction that turned out invalid at execution.
    pub fn discard(&mut self, hash: &B256) {
        self.remove(hash);
    }

    /// After a block: senders' new nonces; drops what they made stale and returns those hashes.
    pub fn on_new_nonces(&mut self, nonces: impl IntoIterator<Item = (Address, u64)>) -> Vec<B256> {
        let mut dropped = Vec::new();
        for (sender, nonce) in nonces {
            let stale: Vec<B256> = match self.by_sender.get(&sender) {
                Some(txs) => txs.range(..nonce).map(|(_, t)| t.hash).collect(),
                None => continue,
            };
            for h in stale {
                self.remove(&h);
                dropped.push(h);
            }
            if self.by_sender.contains_key(&sender) {
                self.nonces.insert(sender, nonce);
            }
        }
        dropped
    }

    /// Drops queued (not executable) transactions older than the queued lifetime; returns
    /// their hashes.
    pub fn expire_queued(&mut self, now: std::time::Instant) -> Vec<B256> {
        let lifetime = std::time::Duration::from_secs(self.config.queued_lifetime_secs);
        let (_, queued) = self.content();
        let old: Vec<B256> = queued
            .values()
            .flat_map(|txs| txs.values())
            .filter(|t| now.saturating_duration_since(t.arrived) >= lifetime)
            .map(|t| t.hash)
            .collect();
        for h in &old {
            self.remove(h);
        }
        old
    }

    /// The next nonce a sender can use: state nonce plus its gapless pooled run.
    pub fn pending_nonce(&self, sender: &Address, state_nonce: u64) -> u64 {
        let mut next = state_nonce;
        if let Some(txs) = self.by_sender.get(sender) {
            for n in txs.range(state_nonce..).map(|(n, _)| *n) {
                if n != next {
                    break;
                }
                next += 1;
            }
        }
        next
    }

    /// Transactions for the next block, best tip first, nonces in order per sender.
    ///
    /// `state_nonce` gives each sender's account nonce at the parent block.
    pub fn best(
        &self,
        base_fee: u64,
        gas_limit: u64,
        mut state_nonce: impl FnMut(&Address) -> u64,
    ) -> Vec<Arc<PooledTx>> {
        let mut heap = BinaryHeap::new();
        let mut next_nonce: HashMap<Address, u64> = HashMap::new();
        for (sender, txs) in &self.by_sender {
            let nonce = state_nonce(sender);
            if let Some(tx) = txs.get(&nonce)
                && let Some(tip) = tx.effective_tip(base_fee)
            {
                heap.push((tip, Reverse(tx.seq), tx.hash));
                next_nonce.insert(*sender, nonce + 1);
            }
        }
        let mut out = Vec::new();
        let mut gas_left = gas_limit;
        while let Some((_, _, hash)) = heap.pop() {
            let Some(tx) = self.by_hash.get(&hash).cloned() else { continue };
            if gas_left < 21_000 {
                break;
            }
            if tx.tx.gas_limit() > gas_left {
                continue; // this sender waits for the next block
            }
            gas_left -= tx.tx.gas_limit();
            let next = next_nonce.get(&tx.sender).copied().unwrap_or_default();
            if let Some(n) = self.by_sender.get(&tx.sender).and_then(|t| t.get(&next))
                && let Some(tip) = n.effective_tip(base_fee)
            {
                heap.push((tip, Reverse(n.seq), n.hash));
                next_nonce.insert(tx.sender, next + 1);
            }
            out.push(tx);
        }
        out
    }

    /// Pending and queued transactions by sender and nonce (`txpool_content`).
    pub fn content(&self) -> (PoolView, PoolView) {
        let mut pending = PoolView::new();
        let mut queued = PoolView::new();
        for (sender, txs) in &self.by_sender {
            let mut next = self.nonces.get(sender).copied().unwrap_or_default();
            for (nonce, tx) in txs {
                if *nonce == next {
                    pending.entry(*sender).or_default().insert(*nonce, tx.clone());
                    next += 1;
                } else {
                    queued.entry(*sender).or_default().insert(*nonce, tx.clone());
                }
            }
        }
        (pending, queued)
    }

    /// (pending, queued) counts (`txpool_status`).
    pub fn status(&self) -> (usize, usize) {
        // Counted in place: the same split as `content`, without building it.
        let mut pending = 0;
        for (sender, txs) in &self.by_sender {
            let first = self.nonces.get(sender).copied().unwrap_or_default();
            pending += (first..).zip(txs.keys()).take_while(|(want, have)| want == *have).count();
        }
        (pending, self.by_hash.len() - pending)
    }
}

/// Transactions by sender and nonce.
pub type PoolView = BTreeMap<Address, BTreeMap<u64, Arc<PooledTx>>>;

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::eips::eip2718::Encodable2718;
    use alloy::{
        consensus::{SignableTransaction, TxEip1559, TxLegacy},
        signers::{SignerSync, local::PrivateKeySigner},
    };
    use alloy_primitives::TxKind;

    fn signer(i: u8) -> PrivateKeySigner {
        PrivateKeySigner::from_bytes(&B256::repeat_byte(i + 1)).unwrap()
    }

    fn tx(s: &PrivateKeySigner, nonce: u64, max_fee: u128, tip: u128) -> PooledTx {
        let t = TxEip1559 {
            chain_id: 1,
            nonce,
            gas_limit: 21_000,
            max_fee_per_gas: max_fee,
            max_priority_fee_per_gas: tip,
            to: TxKind::Call(Address::ZERO),
            ..Default::default()
        };
        let sig = s.sign_hash_sync(&t.signature_hash()).unwrap();
        let env = TxEnvelope::from(t.into_signed(sig));
        let raw = Bytes::from(env.encoded_2718());
        PooledTx::new(env, s.address(), raw)
    }

    const RICH: SenderState = SenderState { nonce: 0, balance: U256::MAX };

    #[test]
    fn rejections_carry_geths_messages() {
        let s = signer(0);
        let mut pool = Mempool::new(PoolConfig { max_per_sender: 2, ..Default::default() });
        pool.add(tx(&s, 0, 100, 10), RICH).unwrap();
        let dup = tx(&s, 0, 100, 10);
        assert_eq!(pool.add(dup, RICH).unwrap_err().to_string(), "already known");
        let low =
            pool.add(tx(&s, 0, 200, 20), SenderState { nonce: 1, balance: U256::MAX }).unwrap_err();
        assert!(low.to_string().starts_with("nonce too low: address "), "{low}");
        let poor = pool
            .add(tx(&s, 1, 100, 10), SenderState { nonce: 0, balance: U256::from(1) })
            .unwrap_err();
        assert!(
            poor.to_string().starts_with("insufficient funds for gas * price + value"),
            "{poor}"
        );
        // 9% bump is not enough; 10% is.
        let e = pool.add(tx(&s, 0, 109, 11), RICH).unwrap_err();
        assert_eq!(e.to_string(), "replacement transaction underpriced");
        let evicted = pool.add(tx(&s, 0, 110, 11), RICH).unwrap();
        assert_eq!(evicted.len(), 1);
        pool.add(tx(&s, 1, 100, 10), RICH).unwrap();
        assert_eq!(
            pool.add(tx(&s, 2, 100, 10), RICH).unwrap_err().to_string(),
            "account limit exceeded"
        );
    }

    #[test]
    fn precheck_limits() {
        let s = signer(0);
        let pool = Mempool::new(PoolConfig { min_tip: 5, max_tx_size: 200, ..Default::default() });
        let t = tx(&s, 0, 100, 4);
        let e = pool.precheck(&t.tx, t.raw.len(), 30_000_000).unwrap_err();
        assert_eq!(e.to_string(), "transaction underpriced: tip needed 5, tip permitted 4");
        let t = tx(&s, 0, 100, 5);
        assert_eq!(
            pool.precheck(&t.tx, t.raw.len(), 20_000).unwrap_err().to_string(),
            "exceeds block gas limit"
        );
        assert!(
            pool.precheck(&t.tx, 201, 30_000_000)
                .unwrap_err()
                .to_string()
                .starts_with("oversized data")
        );
        let legacy = TxLegacy { gas_price: 4, gas_limit: 21_000, ..Default::default() };
        let sig = s.sign_hash_sync(&legacy.signature_hash()).unwrap();
        let env = TxEnvelope::from(legacy.into_signed(sig));
        assert!(matches!(pool.precheck(&env, 100, 30_000_000), Err(PoolError::Underpriced { .. })));
    }

    #[test]
    fn full_pool_evicts_the_cheapest_only_for_a_better_price() {
        let mut pool = Mempool::new(PoolConfig { max_total: 2, ..Default::default() });
        pool.add(tx(&signer(0), 0, 100, 10), RICH).unwrap();
        pool.add(tx(&signer(1), 0, 200, 10), RICH).unwrap();
        assert_eq!(pool.add(tx(&signer(2), 0, 50, 10), RICH).unwrap_err(), PoolError::PoolFull);
        let evicted = pool.add(tx(&signer(2), 0, 300, 10), RICH).unwrap();
        assert_eq!(evicted.len(), 1);
        assert_eq!(pool.len(), 2);
        assert!(!pool.by_sender.contains_key(&signer(0).address()));
    }

    #[test]
    fn best_orders_by_tip_and_nonce_and_splits_pending_from_queued() {
        let (a, b) = (signer(0), signer(1));
        let mut pool = Mempool::new(PoolConfig::default());
        pool.add(tx(&a, 0, 100, 1), RICH).unwrap();
        pool.add(tx(&a, 1, 100, 50), RICH).unwrap();
        pool.add(tx(&b, 0, 100, 20), RICH).unwrap();
        pool.add(tx(&b, 5, 100, 90), RICH).unwrap();
        let best = pool.best(10, 30_000_000, |_| 0);
        let order: Vec<(Address, u64)> = best.iter().map(|t| (t.sender, t.nonce())).collect();
        assert_eq!(order, vec![(b.address(), 0), (a.address(), 0), (a.address(), 1)]);
        assert_eq!(pool.status(), (3, 1));
        assert_eq!(pool.pending_nonce(&a.address(), 0), 2);
        // Fee cap below the base fee: not included.
        assert!(pool.best(101, 30_000_000, |_| 0).is_empty());
        pool.on_new_nonces([(a.address(), 2)]);
        assert_eq!(pool.len(), 2);
    }

    #[test]
    fn a_nonce_too_far_ahead_is_refused() {
        let s = signer(0);
        let mut pool = Mempool::new(PoolConfig { max_nonce_ahead: 3, ..Default::default() });
        pool.add(tx(&s, 0, 100, 10), RICH).unwrap();
        // Next executable nonce is 1: up to 1 + 3 may wait in the queue.
        pool.add(tx(&s, 4, 100, 10), RICH).unwrap();
        let e = pool.add(tx(&s, 5, 100, 10), RICH).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("nonce too high: address {}, tx: 5 next: 1, at most 3 ahead", s.address())
        );
        // Filling the gap moves the window.
        for n in 1..4 {
            pool.add(tx(&s, n, 100, 10), RICH).unwrap();
        }
        pool.add(tx(&s, 5, 100, 10), RICH).unwrap();
    }

    #[test]
    fn a_sender_cannot_pool_more_than_its_balance_pays() {
        let s = signer(0);
        let mut pool = Mempool::new(PoolConfig::default());
        let one = tx(&s, 0, 100, 10).cost();
        let state = SenderState { nonce: 0, balance: one * U256::from(2u64) };
        pool.add(tx(&s, 0, 100, 10), state).unwrap();
        pool.add(tx(&s, 1, 100, 10), state).unwrap();
        let e = pool.add(tx(&s, 2, 100, 10), state).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "insufficient funds for gas * price + value: balance {}, queued cost {}, tx cost {one}, overshot {one}",
                one * U256::from(2u64),
                one * U256::from(2u64)
            )
        );
        // A replacement is charged only what it adds: +10% does not fit, the same count does.
        assert!(matches!(pool.add(tx(&s, 1, 110, 11), state), Err(PoolError::Overdraft(_))));
        // Once a transaction is mined its cost leaves the sender's total.
        pool.on_new_nonces([(s.address(), 1)]);
        pool.add(tx(&s, 2, 100, 10), SenderState { nonce: 1, balance: state.balance }).unwrap();
    }

    #[test]
    fn the_pool_is_bounded_by_bytes_and_evicts_the_cheapest_for_a_better_price() {
        let size = tx(&signer(0), 0, 100, 10).raw.len();
        let mut pool = Mempool::new(PoolConfig { max_bytes: 3 * size, ..Default::default() });
        for i in 0..3 {
            pool.add(tx(&signer(i), 0, 100 + i as u128, 10), RICH).unwrap();
        }
        assert_eq!(pool.bytes(), 3 * size);
        assert_eq!(pool.add(tx(&signer(3), 0, 100, 10), RICH).unwrap_err(), PoolError::PoolFull);
        // (A higher fee can encode a byte longer: then the next cheapest goes too.)
        let evicted = pool.add(tx(&signer(3), 0, 500, 10), RICH).unwrap();
        assert!(!evicted.is_empty());
        assert!(!pool.by_sender.contains_key(&signer(0).address()), "the cheapest went");
        assert!(pool.by_sender.contains_key(&signer(2).address()), "the dearest stayed");
        assert!(pool.bytes() <= 3 * size);
        // A sender's own cheaper transactions never make way for its later ones.
        let mut pool = Mempool::new(PoolConfig { max_bytes: 2 * size, ..Default::default() });
        pool.add(tx(&signer(0), 0, 100, 10), RICH).unwrap();
        pool.add(tx(&signer(0), 1, 100, 10), RICH).unwrap();
        assert_eq!(pool.add(tx(&signer(0), 2, 900, 10), RICH).unwrap_err(), PoolError::PoolFull);
    }

    #[test]
    fn queued_transactions_expire_and_pending_ones_stay() {
        let s = signer(0);
        let mut pool = Mempool::new(PoolConfig { queued_lifetime_secs: 60, ..Default::default() });
        pool.add(tx(&s, 0, 100, 10), RICH).unwrap();
        let queued = tx(&s, 5, 100, 10);
        let queued_hash = queued.hash;
        pool.add(queued, RICH).unwrap();
        let now = std::time::Instant::now();
        assert!(pool.expire_queued(now).is_empty());
        let expired = pool.expire_queued(now + std::time::Duration::from_secs(61));
        assert_eq!(expired, vec![queued_hash]);
        assert_eq!(pool.status(), (1, 0));
    }
}
