//! A validator node: the domains, the JSON-RPC server and one engine per domain, in one
//! process. Blocks are made only by consensus (there is no single-producer loop), so every
//! committed block carries its certificate and `latest`, `safe` and `finalized` coincide.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use alloy::signers::local::PrivateKeySigner;
use malachitebft_core_types::LinearTimeouts;
use sec_primitives::{L1Source, ValidatorSet};
use sec_sequencer::{
    Domain, NodeConfig,
    node::{NodeError, open_domains},
    rpc::RpcServer,
};
use tracing::info;

use crate::{
    checkpoints::CheckpointSigner,
    driver::{Fault, Sets},
    validator::{Validator, ValidatorConfig, ValidatorError},
};

/// Why a validator node could not start.
#[derive(Debug, thiserror::Error)]
pub enum ValidatorNodeError {
    /// The domains or the RPC did not start.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// The RPC server did not start.
    #[error("rpc: {0}")]
    Rpc(#[from] std::io::Error),
    /// The engines did not start.
    #[error(transparent)]
    Validator(#[from] ValidatorError),
    /// Nothing says who the validators are.
    #[error("no validator set: give the genesis validators (epochs.genesis_validators) or an L1")]
    NoSet,
}

/// Where a validator node listens for the other validators, and who they are.
#[derive(Debug, Clone)]
pub struct P2p {
    /// This node's address; domain `d` listens on port `port + d`.
    pub listen: SocketAddr,
    /// The other validators' addresses.
    pub peers: Vec<SocketAddr>,
}

/// A running validator node.
pub struct ValidatorNode {
    domains: Vec<Arc<Domain>>,
    rpc: RpcServer,
    validator: Validator,
}

impl ValidatorNode {
    /// Opens the domains of `config` with `key` as their producer key, serves JSON-RPC and
    /// starts the engines. Sets come from the node's epochs when it reads an L1, else from the
    /// genesis validators.
    pub async fn start(
        config: &NodeConfig,
        key: PrivateKeySigner,
        l1: Option<Arc<dyn L1Source>>,
        p2p: P2p,
    ) -> Result<Self, ValidatorNodeError> {
        Self::start_with_fault(config, key, l1, p2p, Fault::None).await
    }

    /// [`ValidatorNode::start`] misbehaving as `fault` says: for tests of what the others and
    /// the judges do about it.
    pub async fn start_with_fault(
        config: &NodeConfig,
        key: PrivateKeySigner,
        l1: Option<Arc<dyn L1Source>>,
        p2p: P2p,
        fault: Fault,
    ) -> Result<Self, ValidatorNodeError> {
        // every validator must write the same genesis
        if config.genesis_timestamp.is_none() {
            return Err(
                NodeError::Config("validators need a fixed genesis_timestamp".into()).into()
            );
        }
        let l1_source = l1.clone();
        let signing_key = key.clone();
        let domains = open_domains(config, &key, l1).await?;
        let sets = match domains.first().and_then(|d| d.config().epochs.clone()) {
            Some(epochs) => Sets::Epochs(epochs),
            None if !config.epochs.genesis_validators.is_empty() => Sets::Fixed(Arc::new(
                ValidatorSet::new(config.epochs.genesis_validators.clone())
                    .map_err(|e| NodeError::Config(format!("genesis validators: {e}")))?,
            )),
            None => return Err(ValidatorNodeError::NoSet),
        };
        let c = &config.consensus;
        let validator = Validator::start(
            &domains,
            ValidatorConfig {
                key,
                signing: c.signing,
                datadir: config.datadir.join("consensus"),
                listen: p2p.listen,
                peers: p2p.peers,
                timeouts: LinearTimeouts {
                    propose: Duration::from_millis(c.propose_timeout_ms),
                    prevote: Duration::from_millis(c.vote_timeout_ms),
                    precommit: Duration::from_millis(c.vote_timeout_ms),
                    ..Default::default()
                },
                block_time: Duration::from_millis(config.block_time_ms.max(1)),
                sets,
                fault,
            },
        )
        .await?;
        // checkpoints are signed here, with the key that never leaves this process
        let mut extra = jsonrpsee::Methods::new();
        if let (Some(cm), Some(l1)) = (c.checkpoint_manager, l1_source) {
            let path = config.datadir.join("consensus").join("signed-checkpoints.json");
            let signer = CheckpointSigner::open(
                signing_key,
                c.signing.l1_chain_id,
                cm,
                domains.clone(),
                l1,
                path,
            )
            .map_err(|e| NodeError::Config(e.to_string()))?;
            extra
                .merge(Arc::new(signer).rpc_module())
                .map_err(|e| NodeError::Config(e.to_string()))?;
        }
        let rpc = RpcServer::start_with(&config.rpc, domains.clone(), extra).await?;
        info!(validator = %validator.address(), rpc = %rpc.local_addr(), "validator node started");
        Ok(Self { domains, rpc, validator })
    }

    /// The JSON-RPC address.
    pub fn rpc_addr(&self) -> SocketAddr {
        self.rpc.local_addr()
    }

    /// The domains.
    pub fn domains(&self) -> &[Arc<Domain>] {
        &self.domains
    }

    /// Stops the engines, then the RPC, and closes the stores.
    pub async fn shutdown(self) {
        self.validator.stop().await;
        self.rpc.stop().await;
        let domains = self.domains;
        let _ = tokio::task::spawn_blocking(move || {
            for d in &domains {
                d.close();
            }
        })
        .await;
    }
}
