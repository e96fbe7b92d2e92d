//! Slashing protection: what a validator last signed on a domain, kept on disk and consulted
//! before every proposal or vote signature, so that no restart (or lost engine log) can make
//! it sign two different messages for one step, which `StakeManager` slashes. As CometBFT's
//! `priv_validator_state`: the last (height, round, step) signed and its message; anything
//! lower is refused, the same step is answered with the stored signature if the message is the
//! same and refused otherwise. The record is on disk (written, synced, renamed) before the
//! signature leaves.

use std::path::{Path, PathBuf};

use parking_lot::Mutex;
use sec_primitives::vote::{ConsensusVote, VoteKind};
use serde::{Deserialize, Serialize};

use crate::context::Sig;

/// Why a signature was refused or the record could not be kept.
#[derive(Debug, thiserror::Error)]
pub enum ProtectionError {
    /// A message for a step before the last one signed.
    #[error(
        "refusing to sign {kind:?} at height {height} round {round}: already signed a later step"
    )]
    Regression {
        /// Step asked for.
        kind: VoteKind,
        /// Height asked for.
        height: u64,
        /// Round asked for.
        round: u32,
    },
    /// A different message for the step already signed: a double sign.
    #[error("refusing to sign a second {kind:?} at height {height} round {round}")]
    Conflict {
        /// Step.
        kind: VoteKind,
        /// Height.
        height: u64,
        /// Round.
        round: u32,
    },
    /// The record could not be read or written.
    #[error("slashing protection record {path}: {reason}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct LastSigned {
    vote: ConsensusVote,
    signature: Vec<u8>,
}

/// The last message signed on one domain, and where it is kept.
#[derive(Debug)]
pub struct Protection {
    path: PathBuf,
    last: Mutex<Option<LastSigned>>,
}

/// Order of steps within a round.
fn step(v: &ConsensusVote) -> (u64, u32, u8) {
    (v.height, v.round, v.kind.code())
}

impl Protection {
    /// Opens (or starts) the record at `path`.
    pub fn open(path: &Path) -> Result<Self, ProtectionError> {
        let io = |e: &dyn std::fmt::Display| ProtectionError::Io {
            path: path.to_path_buf(),
            reason: e.to_string(),
        };
        let last = match std::fs::read(path) {
            Ok(bytes) => Some(serde_json::from_slice(&bytes).map_err(|e| io(&e))?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io(&e)),
        };
        Ok(Self { path: path.to_path_buf(), last: Mutex::new(last) })
    }

    /// Signs `vote` with `sign` if that cannot be a double sign, recording it first; returns
    /// the stored signature for a message already signed.
    pub fn sign(
        &self,
        vote: &ConsensusVote,
        sign: impl FnOnce() -> Option<Sig>,
    ) -> Result<Option<Sig>, ProtectionError> {
        let mut last = self.last.lock();
        if let Some(l) = last.as_ref() {
            match step(vote).cmp(&step(&l.vote)) {
                std::cmp::Ordering::Less => {
                    return Err(ProtectionError::Regression {
                        kind: vote.kind,
                        height: vote.height,
                        round: vote.round,
                    });
                }
                std::cmp::Ordering::Equal if l.vote == *vote => {
                    return Ok(l.signature.as_slice().try_into().ok().map(Sig));
                }
                std::cmp::Ordering::Equal => {
                    return Err(ProtectionError::Conflict {
                        kind: vote.kind,
                        height: vote.height,
                        round: vote.round,
                    });
                }
                std::cmp::Ordering::Greater => {}
            }
        }
        let Some(sig) = sign() else { return Ok(None) };
        let record = LastSigned { vote: *vote, signature: sig.0.to_vec() };
        self.persist(&record)?;
        *last = Some(record);
        Ok(Some(sig))
    }

    /// Writes `record` to a temporary file, syncs it and renames it over the record.
    fn persist(&self, record: &LastSigned) -> Result<(), ProtectionError> {
        let io = |e: &dyn std::fmt::Display| ProtectionError::Io {
            path: self.path.clone(),
            reason: e.to_string(),
        };
        let bytes = serde_json::to_vec(record).map_err(|e| io(&e))?;
        sec_primitives::durable::write_atomically(&self.path, &bytes).map_err(|e| io(&e))
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::B256;

    use super::*;

    fn vote(kind: VoteKind, height: u64, round: u32, hash: u8) -> ConsensusVote {
        ConsensusVote {
            kind,
            domain: 1,
            height,
            round,
            timestamp: 1_800_000_000,
            block_hash: B256::repeat_byte(hash),
        }
    }

    #[test]
    fn never_two_messages_for_one_step_even_after_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signed-1.json");
        let p = Protection::open(&path).unwrap();
        let a = vote(VoteKind::Prevote, 5, 0, 1);
        let first = p.sign(&a, || Some(Sig([1; 65]))).unwrap().unwrap();
        // the same message again: the same signature, nothing signed anew
        assert_eq!(p.sign(&a, || panic!("signed twice")).unwrap(), Some(first));
        // another block at the same step: refused
        let b = vote(VoteKind::Prevote, 5, 0, 2);
        assert!(matches!(p.sign(&b, || Some(Sig([2; 65]))), Err(ProtectionError::Conflict { .. })));
        // later steps are fine
        let c = vote(VoteKind::Precommit, 5, 0, 1);
        p.sign(&c, || Some(Sig([3; 65]))).unwrap();
        drop(p);
        // after a restart: the record holds
        let p = Protection::open(&path).unwrap();
        let d = vote(VoteKind::Precommit, 5, 0, 2);
        assert!(matches!(p.sign(&d, || Some(Sig([4; 65]))), Err(ProtectionError::Conflict { .. })));
        assert!(matches!(
            p.sign(&a, || Some(Sig([5; 65]))),
            Err(ProtectionError::Regression { .. })
        ));
        assert!(
            p.sign(&vote(VoteKind::Prevote, 5, 1, 2), || Some(Sig([6; 65]))).unwrap().is_some()
        );
        assert!(
            p.sign(&vote(VoteKind::Proposal, 6, 0, 7), || Some(Sig([7; 65]))).unwrap().is_some()
        );
    }
}
