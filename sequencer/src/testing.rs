//! An Ethereum in memory, behind [`L1Source`]: blocks holding deposits, `StakeManager`'s
//! active set from any block on, and a switch that makes it unreachable. Tests and examples
//! feed it to nodes and validators where the behaviour under test is the node's, not
//! Ethereum's (the bridge's tests run a real Ethereum node).

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use alloy_primitives::{B256, keccak256};
use parking_lot::Mutex;
use sec_primitives::{
    CheckpointSummary, Deposit, DomainId, L1Error, L1Origin, L1Source, ValidatorSet,
};

/// An Ethereum of blocks that hold deposits; it can be switched off.
#[derive(Debug, Default)]
pub struct MemoryL1 {
    /// Block `i` is number `i`: its hash and deposits.
    pub blocks: Mutex<Vec<(B256, Vec<Deposit>)>>,
    /// While set, every read fails as an unreachable node's would.
    pub down: AtomicBool,
    /// `StakeManager`'s active set from each L1 block number on.
    pub sets: Mutex<Vec<(u64, ValidatorSet)>>,
    /// Accepted checkpoints, id `i + 1` at index `i`, each with every domain's last block.
    pub checkpoints: Mutex<Vec<CheckpointSummary>>,
}

impl MemoryL1 {
    /// An Ethereum with its genesis block.
    pub fn new() -> Arc<Self> {
        let l1 = Arc::new(Self::default());
        l1.mine(vec![]);
        l1
    }

    /// Appends a block holding `deposits` (their `block` set to its number).
    pub fn mine(&self, mut deposits: Vec<Deposit>) -> u64 {
        let mut blocks = self.blocks.lock();
        let number = blocks.len() as u64;
        for d in &mut deposits {
            d.block = number;
        }
        blocks.push((keccak256(format!("l1 block {number}")), deposits));
        number
    }

    /// From L1 block `from` on, `StakeManager` reports `set`.
    pub fn set_validators(&self, from: u64, set: ValidatorSet) {
        self.sets.lock().push((from, set));
    }

    fn check(&self, method: &'static str) -> Result<(), L1Error> {
        if self.down.load(Ordering::SeqCst) {
            return Err(L1Error::Rpc { method, reason: "connection refused".into() });
        }
        Ok(())
    }
}

impl L1Source for MemoryL1 {
    fn head(&self) -> Result<L1Origin, L1Error> {
        self.check("eth_getBlockByNumber")?;
        let blocks = self.blocks.lock();
        let (hash, _) = blocks.last().ok_or(L1Error::BadResponse {
            method: "eth_getBlockByNumber",
            reason: "no blocks".into(),
        })?;
        Ok(L1Origin { number: blocks.len() as u64 - 1, hash: *hash })
    }

    fn finalized(&self) -> Result<L1Origin, L1Error> {
        self.head()
    }

    fn block_hash(&self, number: u64) -> Result<Option<B256>, L1Error> {
        self.check("eth_getBlockByNumber")?;
        Ok(self.blocks.lock().get(number as usize).map(|b| b.0))
    }

    fn validator_set(&self, at: L1Origin) -> Result<ValidatorSet, L1Error> {
        self.check("eth_call")?;
        if self.blocks.lock().get(at.number as usize).map(|b| b.0) != Some(at.hash) {
            return Err(L1Error::NotCanonical(at));
        }
        let sets = self.sets.lock();
        let set = sets.iter().rev().find(|(from, _)| *from <= at.number);
        set.map(|(_, s)| s.clone())
            .ok_or(L1Error::BadResponse { method: "eth_call", reason: "no StakeManager".into() })
    }

    fn last_checkpoint(&self) -> Result<u64, L1Error> {
        self.check("eth_call")?;
        Ok(self.checkpoints.lock().len() as u64)
    }

    fn checkpoint(
        &self,
        id: u64,
        domains: &[DomainId],
    ) -> Result<Option<CheckpointSummary>, L1Error> {
        self.check("eth_call")?;
        let all = self.checkpoints.lock();
        let Some(c) = id.checked_sub(1).and_then(|i| all.get(i as usize)) else { return Ok(None) };
        let mut c = c.clone();
        c.blocks.retain(|(d, _)| domains.contains(d));
        Ok(Some(c))
    }

    fn deposits(&self, domain: DomainId, from: u64, to: L1Origin) -> Result<Vec<Deposit>, L1Error> {
        self.check("eth_getLogs")?;
        let blocks = self.blocks.lock();
        if blocks.get(to.number as usize).map(|b| b.0) != Some(to.hash) {
            return Err(L1Error::NotCanonical(to));
        }
        Ok(blocks
            .get(from as usize..=to.number as usize)
            .unwrap_or_default()
            .iter()
            .flat_map(|(_, ds)| ds.iter().filter(|d| d.domain == domain).cloned())
            .collect())
    }
}

/// A base port with `n - 1` free ports after it, for a validator's networks (domain `d` on
/// `base + d`). Taken below Linux's ephemeral range (32768–60999): a port picked there can be
/// taken, between the check and the listen, by any outgoing connection of the many libp2p
/// makes. Each call in a process starts after the ports earlier calls returned, so tests
/// running at once do not pick the same ports.
pub fn free_port_range(n: u16) -> u16 {
    use std::sync::atomic::AtomicU32;
    const FIRST: u32 = 20_000;
    const SPAN: u32 = 12_000;
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let start = std::process::id().wrapping_mul(7_919) % SPAN;
    loop {
        let offset = NEXT.fetch_add(u32::from(n), Ordering::SeqCst);
        let base = FIRST + (start + offset) % (SPAN - u32::from(n));
        let base = u16::try_from(base).unwrap_or(20_000);
        if (0..n).all(|i| std::net::TcpListener::bind(("127.0.0.1", base + i)).is_ok()) {
            return base;
        }
    }
}
