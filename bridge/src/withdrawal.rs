//! Withdrawals: the Merkle tree of a checkpoint's L1-bound withdrawals, proofs, and
//! finalization on `L1Bridge` (which pays each withdrawal exactly once).

use alloy::sol_types::SolEvent;
use alloy_primitives::{Address, B256, U256};
use sec_contracts::bindings::{CheckpointManager, L1Bridge, l1_bridge::Messages};
use sec_primitives::{
    merkle::{self, MerkleTree},
    message::Withdrawal,
};

use crate::{
    client::{L1Client, Receipt},
    error::{BridgeError, Result},
};

/// The withdrawals a checkpoint covers, in outbox order, and their Merkle tree.
#[derive(Debug, Clone)]
pub struct WithdrawalSet {
    hashes: Vec<B256>,
    tree: MerkleTree,
}

impl WithdrawalSet {
    /// Builds the tree; `l2_bridge` is the L2 bridge predeploy (sender of the messages) and
    /// `l1_sec` the SEC token on L1 (SEC withdrawals carry the amount as message value).
    pub fn new(withdrawals: &[Withdrawal], l2_bridge: Address, l1_sec: Address) -> Self {
        let hashes: Vec<B256> =
            withdrawals.iter().map(|w| w.hash(l2_bridge, w.l1_token == l1_sec)).collect();
        let tree = MerkleTree::new(&hashes);
        Self { hashes, tree }
    }

    /// The root to put in the checkpoint (`keccak256("")` when empty, never zero).
    pub fn root(&self) -> B256 {
        self.tree.root()
    }

    /// The proof of the withdrawal with identity hash `withdrawal_hash`.
    pub fn proof(&self, withdrawal_hash: B256) -> Result<Vec<B256>> {
        self.hashes
            .iter()
            .position(|h| *h == withdrawal_hash)
            .and_then(|i| self.tree.proof(i))
            .ok_or(BridgeError::NotInTree(withdrawal_hash))
    }
}

/// The contract's form of a withdrawal.
pub fn to_contract(w: &Withdrawal) -> Messages::Withdrawal {
    Messages::Withdrawal {
        srcDomain: w.src_domain,
        nonce: w.nonce,
        sender: w.sender,
        recipient: w.recipient,
        l1Token: w.l1_token,
        amount: w.amount,
    }
}

/// A finalized withdrawal, from its `WithdrawalFinalized` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinalizedWithdrawal {
    /// Identity hash.
    pub withdrawal_hash: B256,
    /// Recipient.
    pub recipient: Address,
    /// Token paid (zero for ETH).
    pub token: Address,
    /// Amount.
    pub amount: U256,
    /// Whether the payout went through (a failed one can be retried with `retryPayout`).
    pub paid: bool,
    /// L1 block.
    pub block: u64,
}

/// Finalizes `withdrawal` under checkpoint `checkpoint_id` with `proof`.
///
/// The checkpoint must be accepted and the proof is checked first against the root `CheckpointManager` holds, so a wrong proof or
/// checkpoint costs no gas; the contract then enforces the challenge window, the daily limit
/// and exactly-once payment (a repeat is refused with `AlreadyFinalized` at gas estimation,
/// and nothing is sent).
pub async fn finalize_withdrawal(
    client: &L1Client,
    bridge: Address,
    checkpoint_manager: Address,
    withdrawal: &Withdrawal,
    checkpoint_id: u64,
    proof: Vec<B256>,
) -> Result<FinalizedWithdrawal> {
    let w = to_contract(withdrawal);
    let withdrawal_hash =
        client.view(bridge, L1Bridge::withdrawalHashCall { w: w.clone() }).await?;
    let submitted = client
        .view(checkpoint_manager, CheckpointManager::submittedAtCall { id: checkpoint_id })
        .await?;
    if submitted == 0 {
        return Err(BridgeError::UnknownCheckpoint(checkpoint_id));
    }
    let root = client
        .view(checkpoint_manager, CheckpointManager::withdrawalRootCall { id: checkpoint_id })
        .await?;
    if !merkle::verify_proof(&proof, root, withdrawal_hash) {
        return Err(BridgeError::InvalidProof { withdrawal_hash, checkpoint_id });
    }
    let call = L1Bridge::finalizeWithdrawalCall { w, checkpointId: checkpoint_id, proof };
    let receipt = client.send_call(bridge, call, U256::ZERO).await?;
    finalized_of(bridge, &receipt)
}

fn finalized_of(bridge: Address, receipt: &Receipt) -> Result<FinalizedWithdrawal> {
    receipt
        .logs
        .iter()
        .filter(|l| l.address() == bridge)
        .find_map(|l| L1Bridge::WithdrawalFinalized::decode_log(&l.inner).ok())
        .map(|e| FinalizedWithdrawal {
            withdrawal_hash: e.withdrawalHash,
            recipient: e.recipient,
            token: e.token,
            amount: e.amount,
            paid: e.paid,
            block: receipt.block(),
        })
        .ok_or(BridgeError::MissingEvent {
            tx_hash: receipt.transaction_hash,
            event: "WithdrawalFinalized",
        })
}

/// Whether `L1Bridge` has already finalized the withdrawal with this identity hash.
pub async fn is_finalized(
    client: &L1Client,
    bridge: Address,
    withdrawal_hash: B256,
) -> Result<bool> {
    client.view(bridge, L1Bridge::finalizedCall(withdrawal_hash)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(nonce: u64, token: Address) -> Withdrawal {
        Withdrawal {
            src_domain: 1,
            nonce,
            sender: Address::repeat_byte(1),
            recipient: Address::repeat_byte(2),
            l1_token: token,
            amount: U256::from(nonce * 10),
        }
    }

    #[test]
    fn proofs_verify_and_sec_withdrawals_hash_as_value_carrying() {
        let l2_bridge = Address::repeat_byte(0xb);
        let sec = Address::repeat_byte(0x5e);
        let ws = vec![w(1, Address::ZERO), w(2, sec), w(3, Address::repeat_byte(9))];
        let set = WithdrawalSet::new(&ws, l2_bridge, sec);
        for x in &ws {
            let h = x.hash(l2_bridge, x.l1_token == sec);
            let proof = set.proof(h).unwrap();
            assert!(merkle::verify_proof(&proof, set.root(), h));
        }
        // the SEC withdrawal hashed as non-SEC is not in the tree
        let wrong = ws[1].hash(l2_bridge, false);
        assert!(matches!(set.proof(wrong), Err(BridgeError::NotInTree(h)) if h == wrong));
        assert_eq!(WithdrawalSet::new(&[], l2_bridge, sec).root(), merkle::EMPTY_ROOT);
        let c = to_contract(&ws[2]);
        assert_eq!((c.srcDomain, c.nonce, c.amount), (1, 3, U256::from(30u64)));
    }
}
