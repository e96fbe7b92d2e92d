//! The judge: watches a SEC node for validators that signed two conflicting consensus messages
//! (the node keeps every pair its engines saw, `sec_getEvidence`) and reports each offender to
//! `StakeManager.reportDoubleVote`, which slashes and tombstones the validator and pays the
//! judge. A judge bonds SEC once (`bondJudge`) before it may report.
//!
//! What was reported, and how far each domain's evidence was read, is kept in a state file, so
//! a restarted judge does not report again (the contract would refuse a second report against
//! a tombstoned validator anyway, at the cost of the judge's gas).

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
    time::Duration,
};

use alloy::{signers::local::PrivateKeySigner, sol_types::SolEvent};
use alloy_primitives::{Address, B256, U64, U256};
use sec_contracts::{L1Addresses, bindings::StakeManager};
use sec_primitives::{DoubleVote, SignedVote, SigningDomain};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tracing::{debug, info, warn};

use crate::{BridgeError, L1Client, Receipt, Result, deposit::ensure_allowance};

/// What the judge watches.
#[derive(Debug, Clone)]
pub struct JudgeConfig {
    /// JSON-RPC of a SEC node (any domain's path; evidence of every domain is read from it).
    pub node: String,
    /// Time between reads of the node.
    pub interval: Duration,
    /// Where the judge keeps what it reported (`None`: in memory only).
    pub state: Option<PathBuf>,
}

/// One piece of evidence as the node serves it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Evidence {
    /// The pair's identity (the same whichever message came first).
    pub id: B256,
    /// The height it was seen at.
    pub height: U64,
    /// The signer key that signed both.
    pub offender: Address,
    /// The message seen first.
    pub first: SignedVote,
    /// The conflicting one.
    pub second: SignedVote,
}

impl Evidence {
    /// The two messages.
    pub fn pair(&self) -> DoubleVote {
        DoubleVote { first: self.first, second: self.second }
    }
}

/// What became of one piece of evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The validator was slashed: `amount` SEC wei taken from its pool, `reward` paid to the
    /// judge.
    Slashed {
        /// The validator account.
        validator: Address,
        /// The L1 transaction.
        tx: B256,
        /// Taken from the pool.
        amount: U256,
        /// Paid to the judge.
        reward: U256,
    },
    /// Not reported: the validator is slashed already (one offence, one slash).
    AlreadySlashed(Address),
    /// Not reported: the pair does not hold up (checked before spending gas).
    Invalid(String),
}

/// The state a judge keeps across restarts.
#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    /// Per domain, the lowest height whose evidence may not all have been handled.
    cursors: BTreeMap<u32, u64>,
    /// Evidence handled (reported or found not reportable).
    handled: BTreeSet<B256>,
}

fn state_error(path: &Path, reason: impl std::fmt::Display) -> BridgeError {
    BridgeError::JudgeState { path: path.display().to_string(), reason: reason.to_string() }
}

impl State {
    fn load(path: Option<&Path>) -> Result<Self> {
        let Some(path) = path else { return Ok(Self::default()) };
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| state_error(path, e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(state_error(path, e)),
        }
    }

    /// Written whole or not at all (see [`sec_primitives::durable`]).
    fn save(&self, path: Option<&Path>) -> Result<()> {
        let Some(path) = path else { return Ok(()) };
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| state_error(path, e))?;
        sec_primitives::durable::write_atomically(path, &bytes).map_err(|e| state_error(path, e))
    }
}

/// Bonds `client`'s account as a judge (approving the bond) unless it is bonded already.
/// Returns whether it bonded now.
pub async fn ensure_bonded(client: &L1Client, addresses: &L1Addresses) -> Result<bool> {
    let sm = addresses.stake_manager;
    if client.view(sm, StakeManager::judgeBondsCall(client.address())).await? > U256::ZERO {
        return Ok(false);
    }
    let bond = client.view(sm, StakeManager::judgeBondCall {}).await?;
    ensure_allowance(client, addresses.token, sm, bond).await?;
    client.send_call(sm, StakeManager::bondJudgeCall {}, U256::ZERO).await?;
    Ok(true)
}

/// `reportDoubleVote` of `pair`.
pub fn report_call(pair: &DoubleVote) -> StakeManager::reportDoubleVoteCall {
    StakeManager::reportDoubleVoteCall { a: vote(&pair.first), b: vote(&pair.second) }
}

/// A signed message as `reportDoubleVote` takes it.
fn vote(v: &SignedVote) -> StakeManager::ConsensusVote {
    StakeManager::ConsensusVote {
        kind: v.vote.kind.code(),
        domain: v.vote.domain,
        height: v.vote.height,
        round: v.vote.round,
        timestamp: v.vote.timestamp,
        blockHash: v.vote.block_hash,
        signature: v.signature.as_bytes().to_vec().into(),
    }
}

/// Reports `pair` to `StakeManager`: checked here first (signatures under this deployment,
/// a real conflict), skipped if the validator is tombstoned already, else submitted.
pub async fn report(
    client: &L1Client,
    addresses: &L1Addresses,
    pair: &DoubleVote,
) -> Result<Outcome> {
    let sm = addresses.stake_manager;
    let signing = SigningDomain { l1_chain_id: client.chain_id(), stake_manager: sm };
    if let Err(e) = pair.check(&signing) {
        return Ok(Outcome::Invalid(e.to_string()));
    }
    let validator = client.view(sm, StakeManager::validatorOfSignerCall(pair.offender())).await?;
    if validator == Address::ZERO {
        return Ok(Outcome::Invalid(format!("{} is no validator's signer", pair.offender())));
    }
    if client.view(sm, StakeManager::tombstonedCall(validator)).await? {
        return Ok(Outcome::AlreadySlashed(validator));
    }
    let receipt = match client.send_call(sm, report_call(pair), U256::ZERO).await {
        Ok(r) => r,
        Err(e) if e.revert_as::<StakeManager::AlreadySlashed>().is_some() => {
            return Ok(Outcome::AlreadySlashed(validator));
        }
        Err(e) => return Err(e),
    };
    Ok(slashed(&receipt).unwrap_or(Outcome::Slashed {
        validator,
        tx: receipt.transaction_hash,
        amount: U256::ZERO,
        reward: U256::ZERO,
    }))
}

/// The `Slashed` event of a report's receipt.
fn slashed(receipt: &Receipt) -> Option<Outcome> {
    receipt.logs.iter().find_map(|log| {
        let e = StakeManager::Slashed::decode_log_data(&log.inner.data).ok()?;
        Some(Outcome::Slashed {
            validator: e.validator,
            tx: receipt.transaction_hash,
            amount: e.amount,
            reward: e.reward,
        })
    })
}

/// The domains the node serves.
async fn domains(node: &L1Client) -> Result<Vec<u32>> {
    let list: Vec<serde_json::Value> = node.request("sec_domains", vec![]).await?;
    Ok(list.iter().filter_map(|d| d["id"].as_u64().and_then(|id| u32::try_from(id).ok())).collect())
}

/// One pass over every domain's evidence from where the last one stopped; returns what was
/// done with each new piece.
async fn pass(
    l1: &L1Client,
    addresses: &L1Addresses,
    node: &L1Client,
    domains: &[u32],
    state: &mut State,
    path: Option<&Path>,
) -> Result<Vec<(Evidence, Outcome)>> {
    let mut done = Vec::new();
    for &domain in domains {
        let cursor = state.cursors.get(&domain).copied().unwrap_or_default();
        let page: Vec<Evidence> = node
            .request(
                "sec_getEvidence",
                vec![json!(format!("{domain:#x}")), json!(format!("{cursor:#x}"))],
            )
            .await?;
        for evidence in page {
            if state.handled.contains(&evidence.id) {
                continue;
            }
            let outcome = report(l1, addresses, &evidence.pair()).await?;
            match &outcome {
                Outcome::Slashed { validator, tx, amount, reward } => info!(
                    domain,
                    height = evidence.height.to::<u64>(),
                    offender = %evidence.offender,
                    %validator,
                    %tx,
                    %amount,
                    %reward,
                    "validator slashed for equivocation"
                ),
                Outcome::AlreadySlashed(validator) => {
                    debug!(domain, height = evidence.height.to::<u64>(), %validator, "already slashed")
                }
                Outcome::Invalid(reason) => {
                    warn!(domain, height = evidence.height.to::<u64>(), %reason, "evidence not reportable")
                }
            }
            state.handled.insert(evidence.id);
            // evidence comes in height order: heights below this one are all handled
            state.cursors.insert(domain, evidence.height.to());
            state.save(path)?;
            done.push((evidence, outcome));
        }
    }
    Ok(done)
}

/// Watches the node every `config.interval` until `stop` resolves: bonds first if needed, then
/// reports every new piece of evidence. A failed pass (node or L1 unreachable) is logged and
/// tried again at the next interval.
pub async fn run(
    l1: L1Client,
    addresses: L1Addresses,
    config: JudgeConfig,
    stop: impl std::future::Future<Output = ()>,
) -> Result<()> {
    let node = L1Client::connect(&config.node, PrivateKeySigner::random()).await?;
    let path = config.state.as_deref();
    let mut state = State::load(path)?;
    if ensure_bonded(&l1, &addresses).await? {
        info!(judge = %l1.address(), "bonded as a judge");
    }
    tokio::pin!(stop);
    let mut tick = tokio::time::interval(config.interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // a chain's domains are fixed at its genesis: read once (again only while it fails)
    let mut known: Vec<u32> = Vec::new();
    loop {
        tokio::select! {
            _ = &mut stop => return Ok(()),
            _ = tick.tick() => {}
        }
        if known.is_empty() {
            match domains(&node).await {
                Ok(d) => known = d,
                Err(e) => {
                    warn!(error = %e, "the node's domains cannot be read; retrying next interval");
                    continue;
                }
            }
        }
        if let Err(e) = pass(&l1, &addresses, &node, &known, &mut state, path).await {
            warn!(error = %e, "judge pass failed; retrying next interval");
        }
    }
}
