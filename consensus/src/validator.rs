//! A validator: one Malachite engine per domain, each with its own libp2p swarm (port
//! `p2p_port + domain`), write-ahead log and driver. The validator's key signs inside this
//! process only; the engines get a signer object, never the key.

use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use alloy::signers::local::PrivateKeySigner;
use malachitebft_app::{
    config::{ConsensusConfig, NodeConfig, P2pConfig, ValueSyncConfig},
    net::Multiaddr,
    types::codec::Codec,
};
use malachitebft_app_channel::{
    Channels, ConsensusContext, EngineHandle, NetworkContext, NetworkIdentity, RequestContext,
    Signer, SyncContext, WalContext, start_engine,
};
use malachitebft_core_types::LinearTimeouts;
use malachitebft_network::Keypair;
use sec_primitives::vote::SigningDomain;
use sec_sequencer::Domain;
use tracing::{info, warn};

use crate::{
    codec::SecCodec,
    context::{SecContext, ValidatorAddress},
    driver::{Driver, Fault, Sets},
    protection::Protection,
    signing::{EcdsaSigner, EcdsaVerifier},
    txgossip::TxGossip,
};

/// How a validator runs.
#[derive(Clone)]
pub struct ValidatorConfig {
    /// The validator's signing key (its registered signer on `StakeManager`).
    pub key: PrivateKeySigner,
    /// The deployment votes are signed for.
    pub signing: SigningDomain,
    /// Where the engines keep their write-ahead logs.
    pub datadir: PathBuf,
    /// Address the engine of domain `d` listens on: this IP, port `p2p_port + d`.
    pub listen: SocketAddr,
    /// The other validators' listen addresses (their base ports).
    pub peers: Vec<SocketAddr>,
    /// Round timeouts.
    pub timeouts: LinearTimeouts,
    /// Time between the starts of two heights (the block time).
    pub block_time: Duration,
    /// Where validator sets come from.
    pub sets: Sets,
    /// A test switch for misbehaviour; [`Fault::None`] otherwise.
    pub fault: Fault,
}

/// Why a validator could not start.
#[derive(Debug, thiserror::Error)]
pub enum ValidatorError {
    /// An engine did not start.
    #[error("domain {domain}: {reason}")]
    Engine {
        /// The domain.
        domain: u32,
        /// Why.
        reason: String,
    },
    /// Transaction gossip did not start.
    #[error("transaction gossip: {0}")]
    Gossip(String),
}

/// What the engines need of a configuration.
#[derive(Clone, Debug)]
struct EngineConfig {
    moniker: String,
    consensus: ConsensusConfig,
    value_sync: ValueSyncConfig,
}

impl NodeConfig for EngineConfig {
    fn moniker(&self) -> &str {
        &self.moniker
    }

    fn consensus(&self) -> &ConsensusConfig {
        &self.consensus
    }

    fn consensus_mut(&mut self) -> &mut ConsensusConfig {
        &mut self.consensus
    }

    fn value_sync(&self) -> &ValueSyncConfig {
        &self.value_sync
    }

    fn value_sync_mut(&mut self) -> &mut ValueSyncConfig {
        &mut self.value_sync
    }
}

fn multiaddr(addr: SocketAddr, domain: u32) -> Result<Multiaddr, String> {
    let port = u32::from(addr.port()) + domain;
    let ip = match addr.ip() {
        std::net::IpAddr::V4(ip) => format!("/ip4/{ip}"),
        std::net::IpAddr::V6(ip) => format!("/ip6/{ip}"),
    };
    format!("{ip}/tcp/{port}").parse().map_err(|e| format!("{e}"))
}

/// The engine's libp2p identity, kept in `path` so its peer id survives restarts (a new one
/// is made on first start). It only names the node on the network; the validator's key signs.
fn network_key(path: &std::path::Path) -> Result<Keypair, String> {
    match std::fs::read(path) {
        Ok(bytes) => Keypair::from_protobuf_encoding(&bytes).map_err(|e| e.to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = Keypair::generate_ed25519();
            let bytes = key.to_protobuf_encoding().map_err(|e| e.to_string())?;
            std::fs::write(path, bytes).map_err(|e| e.to_string())?;
            Ok(key)
        }
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// An engine whose network sends, for every vote, a second conflicting one signed with the
/// raw key: the slashing protection of the honest signer would (rightly) refuse to sign it.
#[cfg(feature = "byzantine")]
async fn equivocating_engine(
    ctx: &SecContext,
    engine_config: EngineConfig,
    wal: PathBuf,
    identity: NetworkIdentity,
    consensus: ConsensusContext<SecContext>,
    config: &ValidatorConfig,
) -> Result<(Channels<SecContext>, EngineHandle), String> {
    use malachitebft_engine_byzantine::{ByzantineConfig, Trigger};
    let byzantine = malachitebft_app_channel::ByzantineContext {
        identity,
        codec: SecCodec,
        config: ByzantineConfig::default().with_equivocate_votes(Trigger::Always),
        signer: Box::new(EcdsaSigner::new(config.key.clone(), ctx.domain, config.signing)),
        address: ValidatorAddress(config.key.address()),
        conflicting_value_fn: None,
        conflicting_vote_value_fn: None,
    };
    warn!(domain = ctx.domain, "this validator equivocates (test fault)");
    malachitebft_app_channel::EngineBuilder::new(ctx.clone(), engine_config)
        .with_default_wal(WalContext::new(wal, SecCodec))
        .with_byzantine_network(byzantine)
        .await
        .map_err(|e| e.to_string())?
        .with_default_sync(SyncContext::new(SecCodec))
        .with_default_consensus(consensus)
        .with_default_request(RequestContext::new(100))
        .build()
        .await
        .map_err(|e| e.to_string())
}

#[cfg(not(feature = "byzantine"))]
async fn equivocating_engine(
    _: &SecContext,
    _: EngineConfig,
    _: PathBuf,
    _: NetworkIdentity,
    _: ConsensusContext<SecContext>,
    _: &ValidatorConfig,
) -> Result<(Channels<SecContext>, EngineHandle), String> {
    Err("the equivocation fault needs a build with the `byzantine` feature".into())
}

/// A running validator.
pub struct Validator {
    address: ValidatorAddress,
    engines: Vec<(EngineHandle, tokio::task::JoinHandle<()>)>,
    gossip: TxGossip,
}

impl Validator {
    /// Starts one engine per domain of `domains` (opened with this validator's key as their
    /// producer key).
    pub async fn start(
        domains: &[Arc<Domain>],
        config: ValidatorConfig,
    ) -> Result<Self, ValidatorError> {
        let address = ValidatorAddress(config.key.address());
        let mut engines = Vec::new();
        for domain in domains {
            let id = domain.id();
            let fail = |reason: String| ValidatorError::Engine { domain: id, reason };
            let ctx = SecContext { domain: id, signing: config.signing };
            let p2p = P2pConfig {
                listen_addr: multiaddr(config.listen, id).map_err(fail)?,
                persistent_peers: config
                    .peers
                    .iter()
                    .map(|p| multiaddr(*p, id))
                    .collect::<Result<_, _>>()
                    .map_err(fail)?,
                ..Default::default()
            };
            let engine_config = EngineConfig {
                moniker: format!("{address}-{id}"),
                consensus: ConsensusConfig { p2p, ..Default::default() },
                value_sync: ValueSyncConfig {
                    status_update_interval: Duration::from_secs(2),
                    ..Default::default()
                },
            };
            std::fs::create_dir_all(&config.datadir).map_err(|e| fail(e.to_string()))?;
            let protection = Protection::open(&config.datadir.join(format!("signed-{id}.json")))
                .map_err(|e| fail(e.to_string()))?;
            let signer = EcdsaSigner::new(config.key.clone(), id, config.signing)
                .with_protection(protection);
            let keypair =
                network_key(&config.datadir.join(format!("p2p-key-{id}"))).map_err(fail)?;
            let peer_id = keypair.public().to_peer_id();
            let proof = signer
                .sign_validator_proof(address.0.to_vec(), peer_id.to_bytes())
                .await
                .map_err(|e| fail(e.to_string()))?;
            let proof_bytes = SecCodec.encode(&proof).map_err(|e| fail(e.to_string()))?;
            let identity = NetworkIdentity::new_validator(
                engine_config.moniker.clone(),
                keypair,
                address.to_string(),
                proof_bytes,
            );
            let wal = config.datadir.join(format!("wal-{id}"));
            let consensus = ConsensusContext::new_validator(
                address,
                Box::new(EcdsaVerifier::new(id, config.signing)),
                Box::new(signer),
            );
            let (channels, handle) = if config.fault == Fault::EquivocateVotes {
                equivocating_engine(&ctx, engine_config, wal, identity, consensus, &config)
                    .await
                    .map_err(fail)?
            } else {
                start_engine(
                    ctx.clone(),
                    engine_config,
                    WalContext::new(wal, SecCodec),
                    NetworkContext::new(identity, SecCodec),
                    consensus,
                    SyncContext::new(SecCodec),
                    RequestContext::new(100),
                )
                .await
                .map_err(|e| fail(e.to_string()))?
            };
            let driver = Driver::new(
                domain.clone(),
                ctx,
                address,
                config.sets.clone(),
                config.timeouts,
                Some(config.block_time),
            )
            .with_fault(config.fault);
            let task = tokio::spawn(driver.run(channels));
            info!(domain = id, validator = %address, listen = %config.listen, "engine started");
            engines.push((handle, task));
        }
        // transactions travel on their own swarm, on the port after the engines'
        let n = u32::try_from(domains.len()).unwrap_or(u32::MAX);
        let gossip = TxGossip::start(
            domains,
            multiaddr(config.listen, n).map_err(ValidatorError::Gossip)?,
            config
                .peers
                .iter()
                .map(|p| multiaddr(*p, n))
                .collect::<Result<_, _>>()
                .map_err(ValidatorError::Gossip)?,
        )
        .map_err(|e| ValidatorError::Gossip(e.to_string()))?;
        Ok(Self { address, engines, gossip })
    }

    /// The validator's address.
    pub fn address(&self) -> ValidatorAddress {
        self.address
    }

    /// Stops every engine and waits for their actors (network, consensus, WAL) to end, so the
    /// write-ahead logs can be opened again in this process.
    pub async fn stop(self) {
        self.gossip.stop();
        for (handle, task) in self.engines {
            let wait = Some(Duration::from_secs(10));
            handle.actor.stop_children_and_wait(None, wait).await;
            if let Err(e) = handle.actor.stop_and_wait(None, wait).await {
                warn!(error = %e, "engine did not stop in time");
            }
            handle.handle.abort();
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_network_identity_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p2p-key-0");
        let first = network_key(&path).unwrap().public().to_peer_id();
        assert_eq!(network_key(&path).unwrap().public().to_peer_id(), first);
        std::fs::write(&path, b"junk").unwrap();
        assert!(network_key(&path).is_err(), "a damaged key is not silently replaced");
    }
}
