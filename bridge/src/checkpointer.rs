//! The checkpoint relayer: builds the next checkpoint of the SEC chain from its nodes' finalized
//! blocks, has the validators' keys sign it and submits it to `CheckpointManager`.
//!
//! Checkpoint `id` covers, per domain, the blocks after those checkpoint `id - 1` recorded (read
//! back from L1, so a restarted relayer continues where L1 is, and never submits an id twice:
//! the contract takes ids in sequence only) up to each domain's `finalized` block, and its
//! withdrawal root is the Merkle tree of the L1-bound messages those blocks sent, in the order
//! `sec_primitives::checkpoint` fixes (domain, block, log). Read over plain JSON-RPC
//! (`eth_getBlockByNumber`, `eth_getLogs`), like any client of the SEC chain.

use std::time::Duration;

use alloy::{rpc::types::Filter, signers::local::PrivateKeySigner, sol_types::SolEvent};
use alloy_primitives::{B256, U256};
use sec_contracts::{
    L1Addresses,
    bindings::{
        CheckpointManager::{self, Checkpoint, DomainState, Signature},
        CrossDomain,
    },
    predeploy::CROSS_DOMAIN,
};
use sec_primitives::{merkle::MerkleTree, message::L1_DOMAIN};
use serde_json::json;
use tracing::{debug, info, warn};

use crate::{
    BridgeError, L1Client, Result,
    checkpoint::{SubmittedCheckpoint, sign_checkpoint_by, submit_checkpoint},
    staking::record_active_set,
};

/// What the relayer reads and who signs.
#[derive(Debug, Clone)]
pub struct CheckpointerConfig {
    /// JSON-RPC of each domain, by domain id.
    pub domains: Vec<String>,
    /// Keys the relayer signs with itself (those in the active set sign; the others are
    /// skipped): only for a chain whose validators run no nodes (the single-producer devnet).
    pub signers: Vec<PrivateKeySigner>,
    /// JSON-RPC of validator nodes: each checks the checkpoint against its own chain and signs
    /// it with its key (`sec_signCheckpoint`), which the relayer never holds.
    pub validators: Vec<String>,
    /// Time between checkpoints.
    pub interval: Duration,
}

/// The next checkpoint and what it covers, before it is signed.
#[derive(Debug, Clone)]
pub struct NextCheckpoint {
    /// The checkpoint.
    pub checkpoint: Checkpoint,
    /// Hashes of the withdrawals it covers, in tree order.
    pub withdrawals: Vec<B256>,
}

/// The checkpoint after the last one L1 accepted, signed by the recorded set `set_hash`, or
/// `None` when no domain has a finalized block beyond it.
pub async fn next_checkpoint(
    l1: &L1Client,
    addresses: &L1Addresses,
    domains: &[L1Client],
    set_hash: B256,
) -> Result<Option<NextCheckpoint>> {
    let cm = addresses.checkpoint_manager;
    let last = l1.view(cm, CheckpointManager::lastIdCall {}).await?;
    let mut states = Vec::with_capacity(domains.len());
    let mut withdrawals = Vec::new();
    let mut advanced = false;
    for (d, client) in domains.iter().enumerate() {
        let domain = d as u32;
        let after = if last == 0 {
            0
        } else {
            // a domain the last checkpoint did not cover starts from genesis; any other
            // failure stops the round (reading from 0 would put old withdrawals in the root)
            match l1.view(cm, CheckpointManager::domainStateCall { id: last, domain }).await {
                Ok(state) => state.blockNumber,
                Err(e) if e.revert_as::<CheckpointManager::UnknownDomain>().is_some() => 0,
                Err(e) => return Err(e),
            }
        };
        let head =
            client.block_by_tag(json!("finalized")).await?.ok_or(BridgeError::BadResponse {
                method: "eth_getBlockByNumber",
                reason: format!("domain {domain} has no finalized block"),
            })?;
        let head_number = head.number.to::<u64>();
        if head_number < after {
            return Err(BridgeError::BadResponse {
                method: "eth_getBlockByNumber",
                reason: format!(
                    "domain {domain} is at block {head_number}, behind checkpoint {last} ({after})"
                ),
            });
        }
        advanced |= head_number > after;
        if head_number > after {
            let filter = Filter::new()
                .address(CROSS_DOMAIN)
                .event_signature(CrossDomain::MessageSent::SIGNATURE_HASH)
                .topic3(B256::from(U256::from(L1_DOMAIN)))
                .from_block(after + 1)
                .to_block(head_number);
            let mut logs = client.logs(&filter).await?;
            logs.sort_by_key(|l| (l.block_number, l.log_index));
            for log in logs {
                let sent = CrossDomain::MessageSent::decode_log(&log.inner)?;
                withdrawals.push(sent.data.messageHash);
            }
        }
        states.push(DomainState {
            domain,
            blockNumber: head_number,
            blockHash: head.hash,
            stateRoot: head.state_root,
        });
    }
    if !advanced {
        return Ok(None);
    }
    let checkpoint = Checkpoint {
        id: last + 1,
        domains: states,
        withdrawalRoot: MerkleTree::new(&withdrawals).root(),
        validatorSetHash: set_hash,
    };
    Ok(Some(NextCheckpoint { checkpoint, withdrawals }))
}

/// A validator node's signature over a checkpoint (`sec_signCheckpoint`,
/// `sec_getSignedCheckpoint`).
#[derive(Debug, Clone, serde::Deserialize)]
struct NodeSignature {
    checkpoint: sec_primitives::Checkpoint,
    signer: alloy_primitives::Address,
    signature: alloy_primitives::Signature,
}

impl NodeSignature {
    /// The signature in the contract's form, if it is `signer`'s over `checkpoint`.
    fn verified(&self, chain_id: u64, cm: alloy_primitives::Address) -> Option<Signature> {
        let digest =
            sec_contracts::digest::checkpoint_signing_digest(chain_id, cm, &self.checkpoint);
        let recovered = self.signature.recover_address_from_prehash(&digest).ok()?;
        (recovered == self.signer).then(|| Signature {
            signer: self.signer,
            v: 27 + u8::from(self.signature.v()),
            r: self.signature.r().into(),
            s: self.signature.s().into(),
        })
    }
}

/// Builds the next checkpoint, has it signed (by the active keys among `signers`, and by the
/// validator nodes `validators`) and submits it; `None` when there is nothing new to cover.
///
/// A checkpoint id some validator already signed keeps the body it signed: signing a second
/// body with one id is slashable, so the nodes refuse it, and the relayer (after a restart,
/// or when a submission failed and the heads moved on) submits the signed one instead.
pub async fn submit_next(
    l1: &L1Client,
    addresses: &L1Addresses,
    domains: &[L1Client],
    signers: &[PrivateKeySigner],
    validators: &[L1Client],
) -> Result<Option<SubmittedCheckpoint>> {
    // the set that signs must be recorded in an earlier block than the checkpoint: a change
    // of stake is recorded now, and the submission (sent after its receipt) comes later
    let (set_hash, active) = record_active_set(l1, addresses.stake_manager).await?;
    let Some(next) = next_checkpoint(l1, addresses, domains, set_hash).await? else {
        return Ok(None);
    };
    let cm = addresses.checkpoint_manager;
    let chain_id = l1.chain_id();
    let mut checkpoint = next.checkpoint;
    let id = checkpoint.id;
    for node in validators {
        let signed: Option<NodeSignature> =
            match node.request("sec_getSignedCheckpoint", vec![json!(format!("{id:#x}"))]).await {
                Ok(s) => s,
                Err(e) => {
                    warn!(node = node.url(), error = %e, "validator node unreachable");
                    continue;
                }
            };
        if let Some(signed) = signed.filter(|s| s.verified(chain_id, cm).is_some()) {
            let body = sec_contracts::digest::checkpoint_to_sol(&signed.checkpoint);
            if body != checkpoint {
                info!(id, signer = %signed.signer, "submitting the checkpoint a validator signed already");
                checkpoint = body;
            }
            break;
        }
    }
    let signing: Vec<PrivateKeySigner> =
        signers.iter().filter(|s| active.signers.contains(&s.address())).cloned().collect();
    let mut signatures = sign_checkpoint_by(chain_id, cm, &checkpoint, &signing)?;
    let shared = sec_contracts::digest::checkpoint_from_sol(&checkpoint);
    for node in validators {
        let signed: NodeSignature =
            match node.request("sec_signCheckpoint", vec![json!(shared)]).await {
                Ok(s) => s,
                Err(e) => {
                    warn!(node = node.url(), id, error = %e, "validator node did not sign");
                    continue;
                }
            };
        match signed.verified(chain_id, cm) {
            Some(sig)
                if signed.checkpoint == shared
                    && active.signers.contains(&sig.signer)
                    && signatures.iter().all(|s| s.signer != sig.signer) =>
            {
                signatures.push(sig)
            }
            _ => warn!(node = node.url(), id, "a validator node's signature does not hold"),
        }
    }
    signatures.sort_by_key(|s| s.signer);
    let submitted = submit_checkpoint(l1, cm, &checkpoint, signatures).await?;
    info!(
        id = submitted.id,
        withdrawals = next.withdrawals.len(),
        l1_block = submitted.block,
        "checkpoint accepted"
    );
    Ok(Some(submitted))
}

/// Rounds a transaction of the relayer may wait in the L1 pool before it is cleared with
/// higher fees.
const STUCK_ROUNDS: u32 = 3;

/// What a round does about the relayer's transactions still waiting in the L1 pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PoolAction {
    /// None waits: build and submit.
    Proceed,
    /// One waits (this run's, or one a killed run left there): submitting now would stack a
    /// second submission of the same checkpoint behind it, which L1 refuses after both are paid.
    Wait,
    /// One has waited [`STUCK_ROUNDS`] rounds: replace it with a transfer of nothing at
    /// `fee_factor` times the fees, then go on.
    Cancel { nonce: u64, fee_factor: u128 },
}

/// The round's [`PoolAction`] from the key's mined and pending nonces; `stuck` remembers which
/// nonce has been waiting for how many rounds.
fn pool_action(mined: u64, pending: u64, stuck: &mut Option<(u64, u32)>) -> PoolAction {
    if pending <= mined {
        *stuck = None;
        return PoolAction::Proceed;
    }
    let rounds = match *stuck {
        Some((nonce, rounds)) if nonce == mined => rounds + 1,
        _ => 1,
    };
    *stuck = Some((mined, rounds));
    if rounds < STUCK_ROUNDS {
        return PoolAction::Wait;
    }
    // doubling from the first replacement on, so a replacement that was itself too cheap for a
    // rising base fee is outbid by the next
    let fee_factor = 2u128 << (rounds - STUCK_ROUNDS).min(6);
    PoolAction::Cancel { nonce: mined, fee_factor }
}

/// Submits a checkpoint every `config.interval` until `stop` resolves; a failed round (L1 or a
/// node unreachable, a refusal) is logged and tried again at the next interval. A round with a
/// transaction of the relayer still in the L1 pool waits for it (after a restart, the killed
/// run's submission may still be there), and clears it with higher fees if it is stuck.
pub async fn run(
    l1: L1Client,
    addresses: L1Addresses,
    config: CheckpointerConfig,
    stop: impl std::future::Future<Output = ()>,
) -> Result<()> {
    let mut domains = Vec::with_capacity(config.domains.len());
    for url in &config.domains {
        domains.push(L1Client::connect(url, PrivateKeySigner::random()).await?);
    }
    let mut validators = Vec::with_capacity(config.validators.len());
    for url in &config.validators {
        validators.push(L1Client::connect(url, PrivateKeySigner::random()).await?);
    }
    tokio::pin!(stop);
    let mut tick = tokio::time::interval(config.interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut stuck = None;
    loop {
        tokio::select! {
            _ = &mut stop => return Ok(()),
            _ = tick.tick() => {}
        }
        let me = l1.address();
        let nonces = async {
            Ok::<_, BridgeError>((l1.mined_nonce(me).await?, l1.pending_nonce(me).await?))
        };
        let (mined, pending) = match nonces.await {
            Ok(n) => n,
            Err(e) => {
                warn!(error = %e, "checkpoint round failed; retrying next interval");
                continue;
            }
        };
        match pool_action(mined, pending, &mut stuck) {
            PoolAction::Proceed => {}
            PoolAction::Wait => {
                debug!(nonce = mined, "a transaction of the relayer waits in the L1 pool");
                continue;
            }
            PoolAction::Cancel { nonce, fee_factor } => {
                warn!(nonce, fee_factor, "clearing a stuck L1 transaction with higher fees");
                if let Err(e) = l1.cancel_pending(nonce, fee_factor).await {
                    warn!(error = %e, "could not clear the stuck transaction; retrying next interval");
                }
                continue;
            }
        }
        match submit_next(&l1, &addresses, &domains, &config.signers, &validators).await {
            Ok(Some(_)) => {}
            Ok(None) => debug!("no new finalized blocks to checkpoint"),
            Err(e) => warn!(error = %e, "checkpoint round failed; retrying next interval"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_waiting_transaction_is_waited_for_then_cleared_with_rising_fees() {
        let mut stuck = None;
        assert_eq!(pool_action(5, 5, &mut stuck), PoolAction::Proceed);
        // one waits: two rounds of patience (it is usually mined in the next block)
        assert_eq!(pool_action(5, 6, &mut stuck), PoolAction::Wait);
        assert_eq!(pool_action(5, 6, &mut stuck), PoolAction::Wait);
        assert_eq!(pool_action(5, 6, &mut stuck), PoolAction::Cancel { nonce: 5, fee_factor: 2 });
        assert_eq!(pool_action(5, 6, &mut stuck), PoolAction::Cancel { nonce: 5, fee_factor: 4 });
        // mined at last: the count starts over for the next one
        assert_eq!(pool_action(6, 6, &mut stuck), PoolAction::Proceed);
        assert_eq!(pool_action(6, 7, &mut stuck), PoolAction::Wait);
        assert_eq!(pool_action(7, 8, &mut stuck), PoolAction::Wait, "a new nonce waits afresh");
        for _ in 0..20 {
            pool_action(7, 8, &mut stuck);
        }
        assert_eq!(pool_action(7, 8, &mut stuck), PoolAction::Cancel { nonce: 7, fee_factor: 128 });
    }
}
