//! One domain's engine on one validator: the loop that answers Malachite's requests with the
//! domain. The scheduled producer builds a block ([`Domain::build_block`]) and streams it;
//! every validator re-executes what it receives ([`Domain::verify_block`]) and tells the engine
//! whether it is valid, so a block that fails re-execution gets only nil votes; a decided block
//! is committed with its certificate ([`Domain::commit`]). Execution runs on the blocking pool.

use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use alloy_primitives::Signature;
use bytes::Bytes;
use malachitebft_app::{
    engine::host::{HeightParams, Next, SyncedValueOutcome},
    streaming::{StreamContent, StreamId, StreamMessage},
};
use malachitebft_app_channel::{AppMsg, Channels, NetworkMsg, NetworkRequest};
use malachitebft_core_consensus::{LocallyProposedValue, MisbehaviorEvidence, ProposedValue};
use malachitebft_core_types::{
    CommitCertificate, ExtendedCommitCertificate, ExtendedCommitSignature, LinearTimeouts, Round,
    Validity,
};
use malachitebft_sync::RawDecidedValue;
use sec_primitives::{CommitSignature, FinalityCertificate, ValidatorSet};
use sec_sequencer::{
    Domain,
    domain::{Expected, Proposal as Block, Rejection, SealedBlock},
    storage::SlotRecord,
};
use tracing::{debug, info, warn};

use crate::context::{
    BlockId, Height, ProposalPart, SecContext, Sig, ValidatorAddress, Validators,
};

/// Seconds a proposed block's timestamp may be ahead of this validator's clock.
pub const MAX_CLOCK_DRIFT: u64 = 2;

/// Longest wait at start for peers holding 2/3 of the stake.
const PEER_WAIT: Duration = Duration::from_secs(10);

/// Misbehaviour a test switches on in one validator, to show that the others refuse it. Always
/// [`Fault::None`] outside tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Fault {
    /// An honest validator.
    #[default]
    None,
    /// Proposes blocks whose header names a wrong state root.
    BadStateRoot,
    /// Proposes blocks whose randomness is signed with a key other than its registered one.
    BadRandomness,
    /// Signs a second, conflicting vote (nil) for every block it votes for: the equivocation
    /// judges report. Needs the `byzantine` feature; without it the validator does not start.
    EquivocateVotes,
}

/// Where a domain's validator sets come from.
#[derive(Clone)]
pub enum Sets {
    /// One set for every height (a chain without epochs).
    Fixed(Arc<ValidatorSet>),
    /// The node's epochs (read from Ethereum).
    Epochs(Arc<sec_sequencer::epochs::Epochs>),
}

/// Why a height could not be started.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    /// The set of an epoch is not known.
    #[error("no validator set for epoch {0}")]
    NoSet(u64),
    /// The set is empty: nobody could propose or vote.
    #[error("the validator set of epoch {0} is empty")]
    EmptySet(u64),
    /// Reading the chain failed.
    #[error("{0}")]
    Node(String),
}

/// The driver of one domain's engine.
pub struct Driver {
    domain: Arc<Domain>,
    ctx: SecContext,
    me: ValidatorAddress,
    sets: Sets,
    timeouts: LinearTimeouts,
    target_time: Option<Duration>,
    /// Blocks built or verified at the current height, by id, until one is decided.
    blocks: HashMap<BlockId, SealedBlock>,
    /// Proposals validated per round of the current height (for `StartedRound`).
    undecided: BTreeMap<(Height, Round), Vec<ProposedValue<SecContext>>>,
    /// Parts of heights not started yet.
    early: Vec<(Height, ProposalPart)>,
    /// The height being decided and its validators.
    current: Option<(Height, Validators)>,
    streams: u64,
    fault: Fault,
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

fn block_id(block: &Block) -> BlockId {
    BlockId { hash: block.hash(), timestamp: block.header.timestamp }
}

impl Driver {
    /// A driver of `domain` for validator `me`, with sets from `sets`; heights start one
    /// `target_time` after the previous one.
    pub fn new(
        domain: Arc<Domain>,
        ctx: SecContext,
        me: ValidatorAddress,
        sets: Sets,
        timeouts: LinearTimeouts,
        target_time: Option<Duration>,
    ) -> Self {
        Self {
            domain,
            ctx,
            me,
            sets,
            timeouts,
            target_time,
            blocks: HashMap::new(),
            undecided: BTreeMap::new(),
            early: Vec::new(),
            current: None,
            streams: 0,
            fault: Fault::None,
        }
    }

    /// The same driver misbehaving as `fault` says (tests only).
    pub fn with_fault(mut self, fault: Fault) -> Self {
        self.fault = fault;
        self
    }

    /// `block` spoiled as the fault switch says; unchanged for an honest validator.
    fn spoil(&self, mut block: Block) -> Block {
        match self.fault {
            Fault::None | Fault::EquivocateVotes => return block,
            Fault::BadStateRoot => {
                block.header.state_root = alloy_primitives::keccak256(block.header.state_root);
            }
            Fault::BadRandomness => {
                let Ok(key) = sec_primitives::randomness::RandaoKey::from_ecdsa_secret(&[7; 32])
                else {
                    return block;
                };
                let base = self.domain.chain_id() - u64::from(self.ctx.domain);
                let forged = key.sign(base, self.ctx.domain, block.header.number);
                let parent_mix = self.domain.head_header().mix_hash;
                block.extension.randomness = forged.to_vec().into();
                block.header.mix_hash = sec_primitives::randomness::mix(parent_mix, &forged);
                block.header.extra_data = block.extension.commitment().to_vec().into();
            }
        }
        block
    }

    /// The validators deciding `height` (the head's next): the epoch's set, and the slot of
    /// round 0 after the head's.
    fn validators(&self, height: Height) -> Result<Validators, DriverError> {
        let (slot, parent_epoch) = self
            .domain
            .with_head(|_, _, ext, _| (ext.slot, ext.epoch))
            .map_err(|e| DriverError::Node(e.to_string()))?;
        let (set, epoch, seed) = match &self.sets {
            Sets::Fixed(set) => (set.clone(), 0, None),
            Sets::Epochs(epochs) => {
                // domain 0's epochs are fixed by height; the others decide with their parent's
                let epoch =
                    if self.ctx.domain == 0 { epochs.epoch_of(height.0) } else { parent_epoch };
                let set = epochs
                    .set(epoch)
                    .map_err(|e| DriverError::Node(e.to_string()))?
                    .ok_or(DriverError::NoSet(epoch))?;
                let seed = epochs.seed(epoch).map_err(|e| DriverError::Node(e.to_string()))?;
                if epoch >= 2 && seed.is_none() {
                    return Err(DriverError::NoSet(epoch));
                }
                (Arc::new(set.set.clone()), epoch, seed)
            }
        };
        if set.is_empty() {
            return Err(DriverError::EmptySet(epoch));
        }
        Ok(Validators::new(set, epoch, slot + 1, seed))
    }

    fn params(&mut self, height: Height) -> Result<HeightParams<SecContext>, DriverError> {
        let validators = self.validators(height)?;
        self.current = Some((height, validators.clone()));
        self.blocks.clear();
        self.undecided = self.undecided.split_off(&(height, Round::Nil));
        Ok(HeightParams::new(validators, self.timeouts, self.target_time))
    }

    /// [`Driver::params`], waiting while they cannot be had: the set of the height's epoch
    /// may be fixed by a domain-0 block this node has not committed yet (it is catching up),
    /// and the engine cannot start the height without it.
    async fn params_when_known(&mut self, height: Height) -> HeightParams<SecContext> {
        let mut warned = false;
        loop {
            match self.params(height) {
                Ok(params) => return params,
                Err(e) if !warned => {
                    warn!(domain = self.ctx.domain, %height, error = %e, "waiting to start height");
                    warned = true;
                }
                Err(_) => {}
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The next height to decide: the one after the committed head.
    fn next_height(&self) -> Height {
        Height(self.domain.head().0 + 1)
    }

    /// Serves the engine until its channel closes.
    pub async fn run(mut self, mut channels: Channels<SecContext>) {
        while let Some(msg) = channels.consensus.recv().await {
            self.handle(msg, &channels).await;
        }
        info!(domain = self.ctx.domain, "consensus channel closed");
    }

    async fn handle(&mut self, msg: AppMsg<SecContext>, channels: &Channels<SecContext>) {
        match msg {
            AppMsg::ConsensusReady { reply } => {
                let height = self.next_height();
                let params = self.params_when_known(height).await;
                self.await_peers(channels, &params.validator_set).await;
                info!(domain = self.ctx.domain, %height, "consensus ready");
                let _ = reply.send((height, params));
            }
            AppMsg::StartedRound { height, round, proposer, reply_value, .. } => {
                debug!(domain = self.ctx.domain, %height, %round, %proposer, "round");
                let early = std::mem::take(&mut self.early);
                for (h, part) in early {
                    if h == height {
                        self.received(part).await;
                    } else if h > height {
                        self.early.push((h, part));
                    }
                }
                let known = self.undecided.get(&(height, round)).cloned().unwrap_or_default();
                let _ = reply_value.send(known);
            }
            AppMsg::GetValue { height, round, reply, .. } => {
                let Some(slot) = self.current_validators(height).map(|v| v.slot(round)) else {
                    return;
                };
                let domain = self.domain.clone();
                let built = tokio::task::spawn_blocking(move || domain.build_block(slot)).await;
                let sealed = match built {
                    Ok(Ok(sealed)) => sealed,
                    Ok(Err(e)) => {
                        // no reply: the engine's propose timeout passes the slot on
                        warn!(domain = self.ctx.domain, %height, error = %e, "cannot build");
                        return;
                    }
                    Err(e) => {
                        warn!(domain = self.ctx.domain, error = %e, "build task failed");
                        return;
                    }
                };
                let block = self.spoil(sealed.proposal());
                let id = block_id(&block);
                let bytes = alloy_rlp::encode(&block);
                if matches!(self.fault, Fault::None | Fault::EquivocateVotes) {
                    self.keep(height, id.hash, bytes.clone()).await;
                    self.blocks.insert(id, sealed);
                }
                let _ = reply.send(LocallyProposedValue::new(height, round, id));
                self.stream(channels, height, round, Round::Nil, bytes).await;
            }
            AppMsg::RestreamProposal { height, round, valid_round, value_id, .. } => {
                let block = match self.blocks.get(&value_id) {
                    Some(sealed) => Some(alloy_rlp::encode(sealed.proposal())),
                    None => self.kept_bytes(height, &value_id),
                };
                if let Some(block) = block {
                    self.stream(channels, height, round, valid_round, block).await;
                }
            }
            AppMsg::ReceivedProposalPart { part, reply, .. } => {
                let value = match part.content {
                    StreamContent::Data(part) => {
                        let height = part.height;
                        match &self.current {
                            Some((h, _)) if *h == height => self.received(part).await,
                            Some((h, _)) if *h < height => {
                                self.early.push((height, part));
                                None
                            }
                            _ => None,
                        }
                    }
                    StreamContent::Fin => None,
                };
                let _ = reply.send(value);
            }
            AppMsg::Decided { certificate, reply, .. } => {
                self.decided(certificate).await;
                let _ = reply.send(());
            }
            AppMsg::Finalized { certificate, evidence, reply, .. } => {
                // the certificate now holds the precommits that arrived in time: keep the
                // larger one (more stake on record for L1)
                self.record_certificate(&certificate);
                self.record_evidence(certificate.height, &evidence);
                let height = self.next_height();
                let params = self.params_when_known(height).await;
                if height.0 == certificate.height.0 + 1 {
                    let _ = reply.send(Next::Start(height, params));
                } else {
                    warn!(domain = self.ctx.domain, %height, "decided block not committed; restarting");
                    let _ = reply.send(Next::Restart(height, params));
                }
            }
            AppMsg::GetHistoryMinHeight { reply } => {
                let _ = reply.send(Height(1));
            }
            AppMsg::GetDecidedValues { range, reply } => {
                let domain = self.domain.clone();
                let values = tokio::task::spawn_blocking(move || decided_values(&domain, range))
                    .await
                    .unwrap_or_default();
                let _ = reply.send(values);
            }
            AppMsg::ProcessSyncedValue { height, round, proposer, value_bytes, reply } => {
                let outcome = self.synced(height, round, proposer, value_bytes).await;
                let _ = reply.send(outcome);
            }
            AppMsg::ExtendVote { reply, .. } => {
                let _ = reply.send(None);
            }
            AppMsg::VerifyVoteExtensions { extensions, reply, .. } => {
                let verdicts = extensions
                    .into_iter()
                    .map(|(a, _)| {
                        (a, Err(malachitebft_core_consensus::VoteExtensionError::InvalidSignature))
                    })
                    .collect();
                let _ = reply.send(verdicts);
            }
        }
    }

    /// Waits (at most [`PEER_WAIT`]) until this validator and the peers it is connected to
    /// (with a verified validator proof and in a gossip mesh) hold more than 2/3 of the
    /// voting power, so the first proposal is not published to nobody; a validator alone
    /// (the others down) starts anyway after the wait and catches up by sync.
    async fn await_peers(&self, channels: &Channels<SecContext>, validators: &Validators) {
        let started = std::time::Instant::now();
        while started.elapsed() < PEER_WAIT {
            if let Ok(Some(dump)) = NetworkRequest::dump_state(&channels.net_requests).await {
                let connected: u64 = validators
                    .members
                    .iter()
                    .filter(|m| {
                        m.address == self.me
                            || dump.peers.values().any(|p| {
                                !p.topics.is_empty()
                                    && p.consensus_public_key.as_deref()
                                        == Some(m.address.0.as_slice())
                            })
                    })
                    .map(|m| m.power)
                    .sum();
                if connected.saturating_mul(3) > validators.total_power().saturating_mul(2) {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        warn!(domain = self.ctx.domain, "starting without peers holding 2/3 of the stake");
    }

    fn current_validators(&self, height: Height) -> Option<&Validators> {
        match &self.current {
            Some((h, v)) if *h == height => Some(v),
            _ => None,
        }
    }

    /// Publishes `block` as the proposal of (`height`, `round`).
    async fn stream(
        &mut self,
        channels: &Channels<SecContext>,
        height: Height,
        round: Round,
        pol_round: Round,
        block: Vec<u8>,
    ) {
        self.streams += 1;
        let id = StreamId::new(Bytes::from(
            [height.0.to_be_bytes(), self.streams.to_be_bytes()].concat(),
        ));
        let part = ProposalPart { height, round, pol_round, proposer: self.me, block };
        for msg in [
            StreamMessage::new(id.clone(), 0, StreamContent::Data(part)),
            StreamMessage::new(id, 1, StreamContent::Fin),
        ] {
            if channels.network.send(NetworkMsg::PublishProposalPart(msg)).await.is_err() {
                warn!(domain = self.ctx.domain, "network channel closed");
            }
        }
    }

    /// What a block at the current height must be: produced in a slot of this height (round
    /// 0 up to `round`, the slot of a re-proposed block is the one it was built for) by that
    /// slot's producer.
    fn expected(&self, validators: &Validators, round: Round, block: &Block) -> Option<Expected> {
        let slot = block.extension.slot;
        let last = validators.slot(round);
        if slot < validators.base_slot || slot > last {
            return None;
        }
        let r = Round::new(u32::try_from(slot - validators.base_slot).ok()?);
        let producer = validators.producer(self.ctx.domain, r)?;
        Some(Expected {
            slot,
            producer: producer.address.0,
            bls_key: producer.bls_key.to_vec(),
            max_timestamp: Some(now() + MAX_CLOCK_DRIFT),
        })
    }

    /// Re-executes a received proposal and returns the engine's verdict on it.
    async fn received(&mut self, part: ProposalPart) -> Option<ProposedValue<SecContext>> {
        let (height, validators) = self.current.clone()?;
        // only the round's proposer may propose in it
        if validators.producer(self.ctx.domain, part.round).map(|v| v.address)
            != Some(part.proposer)
        {
            debug!(domain = self.ctx.domain, proposer = %part.proposer, "not the round's proposer");
            return None;
        }
        let block: Block = alloy_rlp::Decodable::decode(&mut part.block.as_slice()).ok()?;
        let id = block_id(&block);
        let validity = if self.blocks.contains_key(&id) {
            Validity::Valid
        } else {
            let validity = self.verify(&validators, part.round, block, height).await;
            if validity == Validity::Valid {
                self.keep(height, id.hash, part.block).await;
            }
            validity
        };
        let value = ProposedValue {
            height,
            round: part.round,
            valid_round: part.pol_round,
            proposer: part.proposer,
            value: id,
            validity,
        };
        self.undecided.entry((height, part.round)).or_default().push(value.clone());
        Some(value)
    }

    /// Re-executes `block` as the proposal of `round`: a rejection for a reason of this node's
    /// (behind, failing) counts as invalid, since a vote cannot wait.
    async fn verify(
        &mut self,
        validators: &Validators,
        round: Round,
        block: Block,
        height: Height,
    ) -> Validity {
        match self.verify_checked(validators, round, block, height).await {
            Ok(validity) => validity,
            Err(rejection) => {
                warn!(domain = self.ctx.domain, %height, %rejection, "cannot verify the block here yet");
                Validity::Invalid
            }
        }
    }

    /// [`Driver::verify`], returning the rejections that are this node's (see
    /// [`Rejection::is_local`]) instead of a verdict.
    async fn verify_checked(
        &mut self,
        validators: &Validators,
        round: Round,
        block: Block,
        height: Height,
    ) -> Result<Validity, Rejection> {
        let Some(expected) = self.expected(validators, round, &block) else {
            warn!(domain = self.ctx.domain, %height, slot = block.extension.slot, "block of another slot");
            return Ok(Validity::Invalid);
        };
        let id = block_id(&block);
        let domain = self.domain.clone();
        let verified =
            tokio::task::spawn_blocking(move || domain.verify_block(&block, &expected)).await;
        match verified {
            Ok(Ok(sealed)) => {
                self.blocks.insert(id, sealed);
                Ok(Validity::Valid)
            }
            Ok(Err(rejection)) if rejection.is_local() => Err(rejection),
            Ok(Err(rejection)) => {
                warn!(domain = self.ctx.domain, %height, block = %id.hash, %rejection, "invalid block");
                Ok(Validity::Invalid)
            }
            Err(e) => {
                warn!(domain = self.ctx.domain, error = %e, "verify task failed");
                Ok(Validity::Invalid)
            }
        }
    }

    /// The certificate of a decided value, checked with exact stake against its set.
    fn certificate(
        &self,
        certificate: &CommitCertificate<SecContext>,
    ) -> Option<FinalityCertificate> {
        let (_, validators) = self.current.as_ref()?;
        let mut signatures: Vec<CommitSignature> = certificate
            .commit_signatures
            .iter()
            .filter_map(|s| {
                Some(CommitSignature {
                    signer: s.address.0,
                    signature: Signature::from_raw(&s.signature.0).ok()?,
                })
            })
            .collect();
        signatures.sort_by_key(|s| s.signer);
        Some(FinalityCertificate {
            domain: self.ctx.domain,
            height: certificate.height.0,
            round: certificate.round.as_u32().unwrap_or_default(),
            block_hash: certificate.value_id.hash,
            timestamp: certificate.value_id.timestamp,
            epoch: validators.epoch,
            signatures,
        })
    }

    /// Keeps `block`, proposed at `height`, on disk before the engine may vote for it: after a
    /// crash the engine can decide it from its write-ahead log, and the block itself must then
    /// still be here (all validators of a devnet crash together; without this, a block decided
    /// just before such a crash would be held by nobody, and the domain would stop).
    async fn keep(&self, height: Height, hash: alloy_primitives::B256, bytes: Vec<u8>) {
        let store = self.domain.chain_store();
        let kept =
            tokio::task::spawn_blocking(move || store.keep_undecided(height.0, &hash, &bytes))
                .await;
        if !matches!(kept, Ok(Ok(()))) {
            warn!(domain = self.ctx.domain, %height, "proposed block not kept on disk");
        }
    }

    /// A block of `height` kept by [`Driver::keep`], as kept (RLP).
    fn kept_bytes(&self, height: Height, id: &BlockId) -> Option<Vec<u8>> {
        self.domain.store().ok()?.undecided(height.0, &id.hash).ok()?
    }

    /// [`Driver::kept_bytes`], decoded.
    fn kept(&self, height: Height, id: &BlockId) -> Option<Block> {
        alloy_rlp::Decodable::decode(&mut self.kept_bytes(height, id)?.as_slice()).ok()
    }

    /// The decided block from disk, re-executed on the head (a restart lost the memory copy).
    async fn recover(
        &mut self,
        certificate: &CommitCertificate<SecContext>,
    ) -> Option<SealedBlock> {
        let height = certificate.height;
        let block = self.kept(height, &certificate.value_id)?;
        let validators = self.current_validators(height)?.clone();
        let validity = self.verify(&validators, certificate.round, block, height).await;
        info!(domain = self.ctx.domain, %height, ?validity, "decided block recovered from disk");
        self.blocks.remove(&certificate.value_id)
    }

    /// Commits the decided block with its certificate.
    async fn decided(&mut self, certificate: CommitCertificate<SecContext>) {
        let height = certificate.height;
        let sealed = match self.blocks.remove(&certificate.value_id) {
            Some(sealed) => sealed,
            None => match self.recover(&certificate).await {
                Some(sealed) => sealed,
                None => {
                    warn!(domain = self.ctx.domain, %height, "decided a block this node does not have");
                    return;
                }
            },
        };
        let Some(cert) = self.certificate(&certificate) else { return };
        // exact stake, as L1 would count it: rounding in voting power can never finalize
        // what L1 would refuse
        if let Some((_, validators)) = &self.current
            && let Err(e) = cert.verify(&validators.set, &self.ctx.signing)
        {
            warn!(domain = self.ctx.domain, %height, error = %e, "certificate refused");
            return;
        }
        let Some(slots) =
            self.slot_record(sealed.record.extension.slot, sealed.record.extension.producer)
        else {
            return;
        };
        let domain = self.domain.clone();
        let committed =
            tokio::task::spawn_blocking(move || domain.commit(sealed.certified(cert, slots))).await;
        match committed {
            Ok(Ok(record)) => info!(
                domain = self.ctx.domain,
                number = record.header.number,
                round = %certificate.round,
                signers = certificate.commit_signatures.len(),
                "finalized"
            ),
            Ok(Err(e)) => warn!(domain = self.ctx.domain, %height, error = %e, "commit failed"),
            Err(e) => warn!(domain = self.ctx.domain, error = %e, "commit task failed"),
        }
    }

    /// The schedule's account of a block produced by `producer` in `slot`: the producers of
    /// the slots of this height before it missed theirs.
    fn slot_record(&self, slot: u64, producer: alloy_primitives::Address) -> Option<SlotRecord> {
        let (_, validators) = self.current.as_ref()?;
        let missed = (validators.base_slot..slot)
            .filter_map(|s| {
                let round = Round::new(u32::try_from(s - validators.base_slot).ok()?);
                validators.producer(self.ctx.domain, round).map(|v| v.address.0)
            })
            .collect();
        Some(SlotRecord { epoch: validators.epoch, producer, missed })
    }

    /// Stores the larger certificate of a block already committed.
    fn record_certificate(&self, certificate: &CommitCertificate<SecContext>) {
        let Some((_, validators)) = &self.current else { return };
        let Some(cert) = self.certificate(certificate) else { return };
        if cert.verify(&validators.set, &self.ctx.signing).is_err() {
            return;
        }
        let store = self.domain.chain_store();
        let stored = store.reader().and_then(|r| r.certificate(cert.height));
        if let Ok(Some(old)) = stored
            && old.block_hash == cert.block_hash
            && old.signatures.len() < cert.signatures.len()
            && let Err(e) = store.write_certificate(cert.height, &cert)
        {
            warn!(domain = self.ctx.domain, error = %e, "certificate not updated");
        }
    }

    /// Keeps the double votes seen while deciding `height`, for judges.
    fn record_evidence(&self, height: Height, evidence: &MisbehaviorEvidence<SecContext>) {
        if evidence.is_empty() {
            return;
        }
        let pairs = crate::signing::double_votes(self.ctx.domain, evidence);
        for pair in &pairs {
            warn!(
                domain = self.ctx.domain,
                %height,
                offender = %pair.offender(),
                kind = ?pair.first.vote.kind,
                round = pair.first.vote.round,
                "equivocation"
            );
        }
        if let Err(e) = self.domain.chain_store().write_evidence(height.0, &pairs) {
            warn!(domain = self.ctx.domain, %height, error = %e, "evidence not kept");
        }
    }

    /// A block a peer sent while this node caught up: verified as a proposal of its round.
    async fn synced(
        &mut self,
        height: Height,
        round: Round,
        proposer: ValidatorAddress,
        bytes: Bytes,
    ) -> SyncedValueOutcome<SecContext> {
        let Ok(block) = alloy_rlp::Decodable::decode(&mut bytes.as_ref()) else {
            return SyncedValueOutcome::PeerFault;
        };
        let block: Block = block;
        let Some(validators) = self.current_validators(height).cloned() else {
            return SyncedValueOutcome::LocalTransientError;
        };
        let id = block_id(&block);
        let validity = match self.verify_checked(&validators, round, block, height).await {
            Ok(validity) => validity,
            // finalized by the others: refused here only because this node is behind (domain
            // 0 or L1 not caught up yet), so the engine asks again later instead of taking
            // the block for invalid and waiting at this height for good
            Err(rejection) => {
                debug!(domain = self.ctx.domain, %height, %rejection, "synced block checked again later");
                return SyncedValueOutcome::LocalTransientError;
            }
        };
        SyncedValueOutcome::Verdict(ProposedValue {
            height,
            round,
            valid_round: Round::Nil,
            proposer,
            value: id,
            validity,
        })
    }
}

/// Committed blocks in `range` with their certificates, for peers catching up.
fn decided_values(
    domain: &Domain,
    range: std::ops::RangeInclusive<Height>,
) -> Vec<RawDecidedValue<SecContext>> {
    let Ok(store) = domain.store() else { return vec![] };
    let mut out = Vec::new();
    for number in range.start().0..=range.end().0 {
        let (Ok(Some(block)), Ok(Some(cert))) = (domain.block(number), store.certificate(number))
        else {
            break;
        };
        let proposal = Block {
            header: block.header.clone(),
            extension: block.extension.clone(),
            txs: block.txs.iter().map(|t| t.raw.clone()).collect(),
        };
        let certificate = ExtendedCommitCertificate {
            height: Height(number),
            round: Round::new(cert.round),
            value_id: BlockId { hash: cert.block_hash, timestamp: cert.timestamp },
            commit_signatures: cert
                .signatures
                .iter()
                .map(|s| {
                    ExtendedCommitSignature::new(
                        ValidatorAddress(s.signer),
                        Sig(s.signature.as_bytes()),
                        None,
                    )
                })
                .collect(),
        };
        out.push(RawDecidedValue::new(Bytes::from(alloy_rlp::encode(&proposal)), certificate));
    }
    out
}

#[cfg(test)]
mod tests {
    use alloy::signers::{SignerSync, local::PrivateKeySigner};
    use malachitebft_core_types::{CommitSignature as EngineSignature, NilOrVal, VoteType};
    use sec_primitives::{ActiveValidator, DEV_MNEMONIC, SigningDomain, dev_signers_from};
    use sec_sequencer::{NodeConfig, node::open_domains};

    use super::*;
    use crate::context::Vote;

    const SIGNING: SigningDomain =
        SigningDomain { l1_chain_id: 31337, stake_manager: alloy_primitives::Address::ZERO };

    async fn domain(dir: &std::path::Path, key: &PrivateKeySigner) -> Arc<Domain> {
        let config = NodeConfig {
            datadir: dir.to_path_buf(),
            domains: 1,
            genesis_timestamp: Some(1_700_000_000),
            ..Default::default()
        };
        open_domains(&config, key, None).await.unwrap().remove(0)
    }

    /// A validator that found a proposal valid and crashed before the engine decided it (all
    /// validators of a devnet die together): after the restart, the engine decides the block
    /// from its write-ahead log, and the restarted driver commits it from disk.
    #[tokio::test]
    async fn a_block_decided_after_a_restart_is_committed_from_disk() {
        let keys = dev_signers_from(DEV_MNEMONIC, 100..104).unwrap();
        let members = keys.iter().enumerate().map(|(i, k)| {
            let stake = alloy_primitives::U256::from(10u64).pow(alloy_primitives::U256::from(21));
            ActiveValidator::derived(
                alloy_primitives::Address::with_last_byte(i as u8 + 1),
                k,
                stake,
            )
            .unwrap()
        });
        let set = Arc::new(ValidatorSet::new(members.collect()).unwrap());
        let schedule = Validators::new(set.clone(), 0, 1, None);
        let proposer = schedule.producer(0, Round::new(0)).unwrap().address;
        let producer_key = keys.iter().find(|k| k.address() == proposer.0).unwrap();
        let me = keys.iter().find(|k| k.address() != proposer.0).unwrap();

        let dirs = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let producer = domain(dirs.0.path(), producer_key).await;
        let block = producer.build_block(1).unwrap().proposal();
        let id = block_id(&block);
        let ctx = SecContext { domain: 0, signing: SIGNING };
        let driver = |d: Arc<Domain>| {
            Driver::new(
                d,
                ctx.clone(),
                ValidatorAddress(me.address()),
                Sets::Fixed(set.clone()),
                LinearTimeouts::default(),
                None,
            )
        };
        let mine = domain(dirs.1.path(), me).await;
        let mut before = driver(mine.clone());
        before.params(Height(1)).unwrap();
        let part = ProposalPart {
            height: Height(1),
            round: Round::new(0),
            pol_round: Round::Nil,
            proposer,
            block: alloy_rlp::encode(&block),
        };
        let verdict = before.received(part).await.unwrap();
        assert_eq!(verdict.validity, Validity::Valid);
        drop(before);

        // the restarted driver has nothing in memory; three of four precommits decide the block
        let mut after = driver(mine.clone());
        after.params(Height(1)).unwrap();
        let commit_signatures = keys
            .iter()
            .take(3)
            .map(|k| {
                let vote = Vote {
                    kind: VoteType::Precommit,
                    height: Height(1),
                    round: Round::new(0),
                    value: NilOrVal::Val(id),
                    validator: ValidatorAddress(k.address()),
                };
                let digest = crate::signing::vote_message(0, &vote).digest(&SIGNING);
                let sig = k.sign_hash_sync(&digest).unwrap();
                EngineSignature::new(ValidatorAddress(k.address()), Sig(sig.as_bytes()))
            })
            .collect();
        let certificate = CommitCertificate {
            height: Height(1),
            round: Round::new(0),
            value_id: id,
            commit_signatures,
        };
        after.decided(certificate).await;
        assert_eq!(mine.head(), (1, block.hash()), "committed from disk");
        assert!(mine.store().unwrap().certificate(1).unwrap().is_some());
    }
}
