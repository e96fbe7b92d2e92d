//! Checkpoint signatures from the validator's own node. The relayer that submits checkpoints
//! to Ethereum holds no validator key: it asks each validator's node to sign the checkpoint it
//! assembled (`sec_signCheckpoint`). The node checks it against its own chain
//! ([`sec_sequencer::checkpoint::check`]) and signs with the validator key, which never leaves
//! the process.
//!
//! Two different checkpoints with one id signed by one key are slashable
//! (`StakeManager.reportDoubleCheckpoint`), so every signature is written to disk (fsync)
//! before it is returned, and a different checkpoint with an id already signed is refused with
//! the signed one: the relayer then submits that one (`sec_getSignedCheckpoint`).

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    sync::Arc,
};

use alloy::signers::{SignerSync, local::PrivateKeySigner};
use alloy_primitives::{Address, Signature};
use jsonrpsee::{
    RpcModule,
    types::{ErrorObject, ErrorObjectOwned},
};
use parking_lot::Mutex;
use sec_primitives::{L1Source, checkpoint::Checkpoint};
use sec_sequencer::{Domain, checkpoint::CheckpointError};
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

/// JSON-RPC error code of a checkpoint this node does not sign.
pub const REFUSED: i32 = -32010;
/// JSON-RPC error code of a checkpoint whose id this node signed with another body (the
/// error's data is the signed one).
pub const CONFLICT: i32 = -32011;

/// How long a request waits for this node to commit a block the checkpoint names (the relayer
/// read the heads from another node, which may be a block ahead).
const CATCH_UP: std::time::Duration = std::time::Duration::from_secs(3);

/// A checkpoint with this validator's signature over it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedCheckpoint {
    /// What was signed.
    pub checkpoint: Checkpoint,
    /// The validator's signer key.
    pub signer: Address,
    /// 65-byte signature over the checkpoint's EIP-712 digest.
    pub signature: Signature,
}

/// Why a checkpoint is not signed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The checkpoint does not match this node's chain.
    #[error("not signed: {0}")]
    Refused(#[from] CheckpointError),
    /// This id was signed with another body.
    #[error("checkpoint {} was signed with another body", .0.checkpoint.id)]
    Conflict(Box<SignedCheckpoint>),
    /// The record of signatures cannot be read or written: nothing is signed without it.
    #[error("signed checkpoints {path}: {reason}")]
    Record {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// Signing failed.
    #[error("signing: {0}")]
    Signing(String),
}

/// Signs checkpoints the node holds, never two bodies for one id.
pub struct CheckpointSigner {
    key: PrivateKeySigner,
    chain_id: u64,
    checkpoint_manager: Address,
    domains: Vec<Arc<Domain>>,
    l1: Arc<dyn L1Source>,
    path: PathBuf,
    signed: Mutex<BTreeMap<u64, SignedCheckpoint>>,
}

/// The answer to a request for an id already signed (`done`): the same signature for the same
/// checkpoint, a conflict for another.
fn again(done: SignedCheckpoint, checkpoint: &Checkpoint) -> Result<SignedCheckpoint, SignError> {
    if done.checkpoint == *checkpoint { Ok(done) } else { Err(SignError::Conflict(Box::new(done))) }
}

fn record_error(path: &Path, e: impl std::fmt::Display) -> SignError {
    SignError::Record { path: path.display().to_string(), reason: e.to_string() }
}

impl CheckpointSigner {
    /// A signer for checkpoints of `checkpoint_manager` on L1 chain `chain_id`, keeping its
    /// record in `path` (read back if it exists).
    pub fn open(
        key: PrivateKeySigner,
        chain_id: u64,
        checkpoint_manager: Address,
        domains: Vec<Arc<Domain>>,
        l1: Arc<dyn L1Source>,
        path: PathBuf,
    ) -> Result<Self, SignError> {
        let signed = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| record_error(&path, e))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(record_error(&path, e)),
        };
        Ok(Self {
            key,
            chain_id,
            checkpoint_manager,
            domains,
            l1,
            path,
            signed: Mutex::new(signed),
        })
    }

    /// What this validator signed for checkpoint `id`, if anything.
    pub fn signed(&self, id: u64) -> Option<SignedCheckpoint> {
        self.signed.lock().get(&id).cloned()
    }

    /// Checks `checkpoint` against the node's chain and signs it; the same checkpoint again
    /// gets the same signature, another one with a signed id a [`SignError::Conflict`].
    pub fn sign(&self, checkpoint: &Checkpoint) -> Result<SignedCheckpoint, SignError> {
        if let Some(done) = self.signed(checkpoint.id) {
            return again(done, checkpoint);
        }
        // the relayer read the heads from one node: this one may be a block or two behind
        let started = std::time::Instant::now();
        loop {
            match sec_sequencer::checkpoint::check(&self.domains, self.l1.as_ref(), checkpoint) {
                Err(CheckpointError::Unknown { .. }) if started.elapsed() < CATCH_UP => {
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                checked => break checked?,
            }
        }
        let digest = sec_contracts::digest::checkpoint_signing_digest(
            self.chain_id,
            self.checkpoint_manager,
            checkpoint,
        );
        let signature =
            self.key.sign_hash_sync(&digest).map_err(|e| SignError::Signing(e.to_string()))?;
        let signed = SignedCheckpoint {
            checkpoint: checkpoint.clone(),
            signer: self.key.address(),
            signature,
        };
        let mut all = self.signed.lock();
        // checked again under the lock: two requests for one id may have raced
        if let Some(done) = all.get(&checkpoint.id) {
            return again(done.clone(), checkpoint);
        }
        all.insert(checkpoint.id, signed.clone());
        if let Err(e) = self.persist(&all) {
            all.remove(&checkpoint.id);
            return Err(e);
        }
        info!(id = checkpoint.id, signer = %signed.signer, "checkpoint signed");
        Ok(signed)
    }

    /// Writes the record whole (see [`sec_primitives::durable`]).
    fn persist(&self, all: &BTreeMap<u64, SignedCheckpoint>) -> Result<(), SignError> {
        let bytes = serde_json::to_vec(all).map_err(|e| record_error(&self.path, e))?;
        sec_primitives::durable::write_atomically(&self.path, &bytes)
            .map_err(|e| record_error(&self.path, e))
    }

    /// `sec_signCheckpoint(checkpoint)` and `sec_getSignedCheckpoint(id)`.
    pub fn rpc_module(self: Arc<Self>) -> RpcModule<Arc<Self>> {
        let mut m = RpcModule::new(self);
        m.register_blocking_method(
            "sec_signCheckpoint",
            |p, signer, _| -> Result<SignedCheckpoint, ErrorObjectOwned> {
                let checkpoint: Checkpoint = p
                    .one()
                    .map_err(|e| ErrorObject::owned(-32602, e.message().to_string(), None::<()>))?;
                signer.sign(&checkpoint).map_err(|e| {
                    warn!(id = checkpoint.id, error = %e, "checkpoint not signed");
                    let message = e.to_string();
                    match e {
                        SignError::Conflict(done) => {
                            ErrorObject::owned(CONFLICT, message, Some(*done))
                        }
                        _ => ErrorObject::owned(REFUSED, message, None::<()>),
                    }
                })
            },
        )
        .expect("unique method");
        m.register_method("sec_getSignedCheckpoint", |p, signer, _| {
            let id: alloy_primitives::U64 = p
                .one()
                .map_err(|e| ErrorObject::owned(-32602, e.message().to_string(), None::<()>))?;
            Ok::<_, ErrorObjectOwned>(signer.signed(id.to()))
        })
        .expect("unique method");
        m
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::B256;
    use sec_primitives::{DEV_MNEMONIC, checkpoint::DomainState, dev_signers_from};
    use sec_sequencer::{NodeConfig, node::open_domains, testing::MemoryL1};

    use super::*;

    const CM: Address = Address::repeat_byte(0xc4);

    /// Two domains with three blocks each, made by the node's own producer.
    async fn chain(dir: &Path) -> (Vec<Arc<Domain>>, Arc<MemoryL1>) {
        let config = NodeConfig {
            datadir: dir.join("chain"),
            domains: 2,
            genesis_timestamp: Some(1_700_000_000),
            ..Default::default()
        };
        let l1 = MemoryL1::new();
        let key = dev_signers_from(DEV_MNEMONIC, 100..101).unwrap().pop().unwrap();
        let domains = open_domains(&config, &key, None).await.unwrap();
        for d in &domains {
            for _ in 0..3 {
                d.produce_block().unwrap();
            }
        }
        (domains, l1)
    }

    fn checkpoint(domains: &[Arc<Domain>], id: u64) -> Checkpoint {
        Checkpoint {
            id,
            domains: domains
                .iter()
                .map(|d| {
                    let b = d.block(2).unwrap().unwrap();
                    DomainState {
                        domain: d.id(),
                        block_number: 2,
                        block_hash: b.hash,
                        state_root: b.header.state_root,
                    }
                })
                .collect(),
            // no withdrawals: the root of an empty tree
            withdrawal_root: sec_primitives::merkle::MerkleTree::new(&[]).root(),
            validator_set_hash: B256::repeat_byte(5),
        }
    }

    #[tokio::test]
    async fn a_validator_signs_only_what_its_chain_holds_and_one_body_per_id() {
        let dir = tempfile::tempdir().unwrap();
        let (domains, l1) = chain(dir.path()).await;
        let key = dev_signers_from(DEV_MNEMONIC, 100..101).unwrap().pop().unwrap();
        let path = dir.path().join("signed-checkpoints.json");
        let open = || {
            CheckpointSigner::open(
                key.clone(),
                31337,
                CM,
                domains.clone(),
                l1.clone(),
                path.clone(),
            )
            .unwrap()
        };
        let signer = open();
        let good = checkpoint(&domains, 1);

        // each rule's refusal, before anything is signed
        let refused = |cp: &Checkpoint| match signer.sign(cp) {
            Err(SignError::Refused(e)) => e,
            other => panic!("signed {cp:?}: {other:?}"),
        };
        let mut cp = good.clone();
        cp.id = 2;
        assert!(matches!(refused(&cp), CheckpointError::NotNext { got: 2, last: 0 }));
        let mut cp = good.clone();
        cp.domains.pop();
        assert!(matches!(refused(&cp), CheckpointError::Domains { .. }));
        let mut cp = good.clone();
        cp.domains[1].block_hash = B256::repeat_byte(1);
        assert!(matches!(refused(&cp), CheckpointError::Mismatch { field: "blockHash", .. }));
        let mut cp = good.clone();
        cp.domains[0].state_root = B256::repeat_byte(1);
        assert!(matches!(refused(&cp), CheckpointError::Mismatch { field: "stateRoot", .. }));
        let mut cp = good.clone();
        cp.domains[0].block_number = 9;
        assert!(matches!(refused(&cp), CheckpointError::Unknown { number: 9, head: 3, .. }));
        let mut cp = good.clone();
        cp.withdrawal_root = B256::repeat_byte(1);
        assert!(matches!(refused(&cp), CheckpointError::WithdrawalRoot { .. }));
        assert_eq!(signer.signed(1), None);

        // the checkpoint the chain holds is signed, by this key, over the contract's digest
        let signed = signer.sign(&good).unwrap();
        assert_eq!(signed.signer, key.address());
        let digest = sec_contracts::digest::checkpoint_signing_digest(31337, CM, &good);
        assert_eq!(signed.signature.recover_address_from_prehash(&digest).unwrap(), key.address());
        assert_eq!(signer.sign(&good).unwrap(), signed, "the same body: the same signature");

        // another body with the same id (later heads) would be slashable: refused with the
        // signed one, also after a restart
        let mut later = good.clone();
        for (s, d) in later.domains.iter_mut().zip(&domains) {
            let b = d.block(3).unwrap().unwrap();
            (s.block_number, s.block_hash, s.state_root) = (3, b.hash, b.header.state_root);
        }
        drop(signer);
        let signer = open();
        assert_eq!(signer.signed(1), Some(signed.clone()));
        match signer.sign(&later) {
            Err(SignError::Conflict(done)) => assert_eq!(*done, signed),
            other => panic!("{other:?}"),
        }

        // L1 accepted checkpoint 1 (blocks 2): checkpoint 2 may not go below it
        l1.checkpoints.lock().push(sec_primitives::CheckpointSummary {
            id: 1,
            withdrawal_root: good.withdrawal_root,
            submitted_at: 0,
            blocks: domains.iter().map(|d| (d.id(), 2)).collect(),
        });
        let mut below = checkpoint(&domains, 2);
        let b = domains[1].block(1).unwrap().unwrap();
        below.domains[1] = DomainState {
            domain: 1,
            block_number: 1,
            block_hash: b.hash,
            state_root: b.header.state_root,
        };
        match signer.sign(&below) {
            Err(SignError::Refused(CheckpointError::Backwards { number: 1, after: 2, .. })) => {}
            other => panic!("{other:?}"),
        }
        later.id = 2;
        assert_eq!(signer.sign(&later).unwrap().checkpoint, later, "the next one, above it");
    }
}
