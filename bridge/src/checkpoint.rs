//! Checkpoints: validators' signatures over a checkpoint, and its submission to
//! `CheckpointManager`, which accepts it with more than 2/3 of the active stake.

use alloy::{
    signers::{SignerSync, local::PrivateKeySigner},
    sol_types::SolEvent,
};
use alloy_primitives::{Address, B256, U256};
use sec_contracts::{
    bindings::CheckpointManager::{self, Checkpoint, Signature},
    digest,
};

use crate::{
    client::{L1Client, Receipt},
    error::{BridgeError, Result},
};

/// The digest validators sign for `checkpoint` on chain `chain_id` at checkpoint manager
/// `checkpoint_manager`.
pub fn checkpoint_digest(
    chain_id: u64,
    checkpoint_manager: Address,
    checkpoint: &Checkpoint,
) -> B256 {
    let body = digest::checkpoint_body_hash(
        &checkpoint.domains,
        checkpoint.withdrawalRoot,
        checkpoint.validatorSetHash,
    );
    digest::checkpoint_digest(chain_id, checkpoint_manager, checkpoint.id, body)
}

/// One validator's signature in the form the contract takes (`v` = 27 or 28).
pub fn sign_checkpoint(
    chain_id: u64,
    checkpoint_manager: Address,
    checkpoint: &Checkpoint,
    signer: &PrivateKeySigner,
) -> Result<Signature> {
    let sig =
        signer.sign_hash_sync(&checkpoint_digest(chain_id, checkpoint_manager, checkpoint))?;
    Ok(Signature {
        signer: signer.address(),
        v: 27 + u8::from(sig.v()),
        r: sig.r().into(),
        s: sig.s().into(),
    })
}

/// Signatures of every signer, sorted ascending by signer address as the contract requires
/// (it refuses unsorted or repeated signers before recovering anything).
pub fn sign_checkpoint_by(
    chain_id: u64,
    checkpoint_manager: Address,
    checkpoint: &Checkpoint,
    signers: &[PrivateKeySigner],
) -> Result<Vec<Signature>> {
    let mut sigs = signers
        .iter()
        .map(|s| sign_checkpoint(chain_id, checkpoint_manager, checkpoint, s))
        .collect::<Result<Vec<_>>>()?;
    sigs.sort_by_key(|s| s.signer);
    Ok(sigs)
}

/// An accepted checkpoint, from its `CheckpointSubmitted` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmittedCheckpoint {
    /// Checkpoint id.
    pub id: u64,
    /// Its withdrawal root.
    pub withdrawal_root: B256,
    /// Stake behind the signatures.
    pub signed_stake: U256,
    /// L1 block it was accepted in.
    pub block: u64,
}

/// Submits `checkpoint` with `signatures` (sorted ascending by signer).
pub async fn submit_checkpoint(
    client: &L1Client,
    checkpoint_manager: Address,
    checkpoint: &Checkpoint,
    signatures: Vec<Signature>,
) -> Result<SubmittedCheckpoint> {
    let call = CheckpointManager::submitCheckpointCall { cp: checkpoint.clone(), signatures };
    let receipt = client.send_call(checkpoint_manager, call, U256::ZERO).await?;
    submitted_of(checkpoint_manager, &receipt)
}

fn submitted_of(checkpoint_manager: Address, receipt: &Receipt) -> Result<SubmittedCheckpoint> {
    receipt
        .logs
        .iter()
        .filter(|l| l.address() == checkpoint_manager)
        .find_map(|l| CheckpointManager::CheckpointSubmitted::decode_log(&l.inner).ok())
        .map(|e| SubmittedCheckpoint {
            id: e.id,
            withdrawal_root: e.withdrawalRoot,
            signed_stake: e.signedStake,
            block: receipt.block(),
        })
        .ok_or(BridgeError::MissingEvent {
            tx_hash: receipt.transaction_hash,
            event: "CheckpointSubmitted",
        })
}

/// Id of the last accepted checkpoint (0 before the first); the next must be this + 1.
pub async fn last_checkpoint_id(client: &L1Client, checkpoint_manager: Address) -> Result<u64> {
    client.view(checkpoint_manager, CheckpointManager::lastIdCall {}).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::Signature as EcdsaSignature;
    use sec_contracts::bindings::CheckpointManager::DomainState;

    #[test]
    fn signatures_are_sorted_and_recover_to_their_signers() {
        let signers: Vec<PrivateKeySigner> = (1..=5u64)
            .map(|i| PrivateKeySigner::from_bytes(&B256::from(U256::from(1000 + i))).unwrap())
            .collect();
        let cm = Address::repeat_byte(7);
        let cp = Checkpoint {
            id: 1,
            domains: vec![DomainState {
                domain: 0,
                blockNumber: 9,
                blockHash: B256::repeat_byte(1),
                stateRoot: B256::repeat_byte(2),
            }],
            withdrawalRoot: B256::repeat_byte(3),
            validatorSetHash: B256::repeat_byte(4),
        };
        let sigs = sign_checkpoint_by(31337, cm, &cp, &signers).unwrap();
        assert!(sigs.windows(2).all(|w| w[0].signer < w[1].signer));
        let digest = checkpoint_digest(31337, cm, &cp);
        for s in &sigs {
            assert!(s.v == 27 || s.v == 28);
            let sig = EcdsaSignature::new(s.r.into(), s.s.into(), s.v == 28);
            assert_eq!(sig.recover_address_from_prehash(&digest).unwrap(), s.signer);
        }
        // another chain id or contract is another digest
        assert_ne!(digest, checkpoint_digest(1, cm, &cp));
        assert_ne!(digest, checkpoint_digest(31337, Address::repeat_byte(8), &cp));
    }
}
