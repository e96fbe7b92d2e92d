//! The node: every domain of the chain, their production threads and the RPC server.

use std::{
    collections::BTreeMap, net::SocketAddr, path::PathBuf, sync::Arc, thread::JoinHandle,
    time::Duration,
};

use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::{Address, U256};
use sec_contracts::predeploy::ChainParams;
use sec_primitives::{DomainId, GenesisAccount, L1Source, ValidatorSet, domain::domain_chain_id};
use serde::{Deserialize, Serialize};

use crate::{
    domain::{Domain, DomainConfig, DomainError},
    epochs::Epochs,
    mempool::PoolConfig,
    rpc::{RpcConfig, RpcServer},
    system::{L1Feed, Outboxes},
};

/// Settings of a node; every field has a documented default so a TOML file may set any subset.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NodeConfig {
    /// Where each domain keeps its files (`<datadir>/domain-<d>/`). Default `./data`.
    pub datadir: PathBuf,
    /// Chain id of domain 0; domain `d` has `chain_id_base + d`. Default 53500.
    pub chain_id_base: u64,
    /// Number of domains. Default 4.
    pub domains: u32,
    /// Milliseconds between blocks; 0 produces a block as soon as transactions arrive. Default 1000.
    ///
    /// A domain's capacity is gas per second, `gas_limit / block_time`: at the defaults
    /// 150 M gas/s, about 2,900 ERC-20 transfers to fresh recipients (~51,000 gas each) or 4,300
    /// to known ones (~34,500). Shorter blocks at the same gas per second (500 ms, 75 M) halve
    /// the wait for inclusion and double the blocks to store, hash, sign and, with consensus,
    /// vote on; more gas per block raises capacity until one execution thread is the limit.
    pub block_time_ms: u64,
    /// Block gas limit (see `block_time_ms` for the trade-off). Default 150,000,000.
    pub gas_limit: u64,
    /// Base fee of block 1 in wei. Default 1 gwei.
    pub initial_base_fee: u64,
    /// Page cache of each domain's database in MiB. Default 32.
    pub db_cache_mib: usize,
    /// Genesis timestamp; default: the time of first start.
    pub genesis_timestamp: Option<u64>,
    /// Accounts funded at genesis in every domain.
    pub alloc: BTreeMap<Address, GenesisAccount>,
    /// The SEC token on Ethereum, which the L2 bridge predeploy refers to. Default: zero (no
    /// L1 known yet).
    pub l1_sec_token: Address,
    /// Shortest auto-confirm and ship period of a trade offer, in seconds (`TradeEscrow`'s
    /// `minPeriod`, fixed at genesis). Default 3,600 (1 hour); `sec devnet` uses 30 so a trade
    /// settles while one watches.
    pub trade_min_period_secs: u32,
    /// Transaction pool limits.
    pub pool: PoolConfig,
    /// JSON-RPC server.
    pub rpc: RpcConfig,
    /// How deposits are read from Ethereum, when the node is given an L1 (see
    /// [`Node::start_with_l1`]).
    pub l1: L1Settings,
    /// DPoS epochs, when the node has an L1 to read validator sets from.
    pub epochs: EpochSettings,
    /// How validators decide blocks, when the node runs one (`sec node --validator-key`).
    pub consensus: ConsensusSettings,
}

/// Settings of a validator's engines.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsensusSettings {
    /// The deployment votes are signed for (L1 chain id and `StakeManager`); set from the L1
    /// deployment when the node reads one. Default: chain 0, the zero address.
    pub signing: sec_primitives::SigningDomain,
    /// How long validators wait for a round's proposal before voting nil, in ms (grows by
    /// half a second per round). Default 3,000, Malachite's own default: it must exceed
    /// building, sending and re-executing a block, or load turns into skipped slots (not yet
    /// measured at full blocks; CONSENSUS.md section 6).
    pub propose_timeout_ms: u64,
    /// How long validators wait for more votes after a split vote, in ms. Default 1,000.
    pub vote_timeout_ms: u64,
    /// `CheckpointManager` on L1: a validator node signs checkpoints of it that its own chain
    /// holds (`sec_signCheckpoint`); set from the L1 deployment. Default: none (no signing).
    pub checkpoint_manager: Option<Address>,
}

impl Default for ConsensusSettings {
    fn default() -> Self {
        Self {
            signing: sec_primitives::SigningDomain { l1_chain_id: 0, stake_manager: Address::ZERO },
            propose_timeout_ms: 3_000,
            vote_timeout_ms: 1_000,
            checkpoint_manager: None,
        }
    }
}

/// How the chain's validator sets change (see [`crate::epochs`]); used only when the node has
/// an L1.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EpochSettings {
    /// Domain-0 blocks per epoch; 0 turns epochs off (every block in epoch 0). Default 200
    /// (`sec devnet`: 20).
    pub length: u64,
    /// Epoch 0's set, committed in domain 0's genesis block. Default: none.
    pub genesis_validators: Vec<sec_primitives::ActiveValidator>,
}

impl Default for EpochSettings {
    fn default() -> Self {
        Self { length: crate::epochs::DEFAULT_EPOCH_LENGTH, genesis_validators: vec![] }
    }
}

/// How the domains read Ethereum's deposits; used only when the node has an L1.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct L1Settings {
    /// L1 blocks a deposit waits before it is credited. Default 6 (about 72 s on Ethereum;
    /// `sec devnet` uses 1 on its own chain).
    pub confirmations: u64,
    /// First L1 block to look for deposits in: the bridge's deployment block. Default 0.
    pub start_block: u64,
    /// Most L1 blocks one domain block reads (an `eth_getLogs` range). Default 1,000.
    pub max_blocks_per_read: u64,
}

impl Default for L1Settings {
    fn default() -> Self {
        Self { confirmations: 6, start_block: 0, max_blocks_per_read: 1_000 }
    }
}

impl Default for NodeConfig {
    fn default() -> Self {
        Self {
            datadir: PathBuf::from("data"),
            chain_id_base: 53500,
            domains: 4,
            block_time_ms: 1000,
            gas_limit: 150_000_000,
            initial_base_fee: 1_000_000_000,
            db_cache_mib: 32,
            genesis_timestamp: None,
            alloc: BTreeMap::new(),
            l1_sec_token: Address::ZERO,
            trade_min_period_secs: ChainParams::PUBLIC_TRADE_MIN_PERIOD,
            pool: PoolConfig::default(),
            rpc: RpcConfig::default(),
            l1: L1Settings::default(),
            epochs: EpochSettings::default(),
            consensus: ConsensusSettings::default(),
        }
    }
}

impl NodeConfig {
    /// Funds `addresses` with `balance` wei in every domain's genesis.
    pub fn fund(&mut self, addresses: impl IntoIterator<Item = Address>, balance: U256) {
        for a in addresses {
            self.alloc.insert(a, GenesisAccount { balance, ..Default::default() });
        }
    }
}

/// Errors starting a node.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// A domain failed to open.
    #[error("domain {domain}: {source}")]
    Domain {
        /// Which.
        domain: DomainId,
        /// Why.
        source: DomainError,
    },
    /// The RPC server failed to start.
    #[error("rpc: {0}")]
    Rpc(#[from] std::io::Error),
    /// Bad configuration.
    #[error("config: {0}")]
    Config(String),
    /// The predeployed contracts could not be built.
    #[error("predeploys: {0}")]
    Predeploys(#[from] sec_contracts::ContractsError),
}

/// A running node.
pub struct Node {
    domains: Vec<Arc<Domain>>,
    threads: Vec<JoinHandle<()>>,
    rpc: RpcServer,
}

impl Node {
    /// Opens every domain, starts block production and serves JSON-RPC, without an L1: no
    /// deposits are credited (the embedded dev chain, benchmarks, tests of the node alone).
    pub async fn start(config: NodeConfig, producer: PrivateKeySigner) -> Result<Self, NodeError> {
        Self::start_with_l1(config, producer, None).await
    }

    /// [`Node::start`], with every domain crediting the deposits it reads from `l1`.
    pub async fn start_with_l1(
        config: NodeConfig,
        producer: PrivateKeySigner,
        l1: Option<Arc<dyn L1Source>>,
    ) -> Result<Self, NodeError> {
        let domains = open_domains(&config, &producer, l1).await?;
        let threads = domains
            .iter()
            .map(|d| {
                let d = d.clone();
                std::thread::Builder::new()
                    .name(format!("domain-{}", d.id()))
                    .spawn(move || d.run())
                    .map_err(NodeError::Rpc)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let rpc = RpcServer::start(&config.rpc, domains.clone()).await?;
        Ok(Self { domains, threads, rpc })
    }

    /// The domains, by index.
    pub fn domains(&self) -> &[Arc<Domain>] {
        &self.domains
    }

    /// Where JSON-RPC listens.
    pub fn rpc_addr(&self) -> SocketAddr {
        self.rpc.local_addr()
    }

    /// Every JSON-RPC method a domain serves.
    pub fn rpc_methods(&self) -> &[&'static str] {
        self.rpc.method_names()
    }

    /// Stops RPC, then block production, waiting for the blocks in progress to commit and for
    /// the pool journal to be written.
    pub async fn shutdown(self) {
        self.rpc.stop().await;
        for d in &self.domains {
            d.shutdown();
        }
        let threads = self.threads;
        let domains = self.domains;
        let _ = tokio::task::spawn_blocking(move || {
            for t in threads {
                let _ = t.join();
            }
            // The last block's journal removals; then, once the RPC's references are gone, the
            // stores close here, not whenever the last reference happens to drop.
            for d in &domains {
                d.close();
            }
            let deadline = std::time::Instant::now() + Duration::from_secs(5);
            while domains.iter().any(|d| Arc::strong_count(d) > 1)
                && std::time::Instant::now() < deadline
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            drop(domains);
        })
        .await;
    }
}

/// Opens every domain of `config` (creating genesis on first start), without starting block
/// production or the RPC: what [`Node::start_with_l1`] runs on, and what a test or a validator
/// that drives the domains itself opens. Each domain credits the deposits it reads from `l1`.
pub async fn open_domains(
    config: &NodeConfig,
    producer: &PrivateKeySigner,
    l1: Option<Arc<dyn L1Source>>,
) -> Result<Vec<Arc<Domain>>, NodeError> {
    if config.domains == 0 {
        return Err(NodeError::Config("at least one domain is required".into()));
    }
    if l1.is_some() && config.l1_sec_token.is_zero() {
        // the L2 bridge would take ETH (L1 token zero) for native SEC
        return Err(NodeError::Config("an L1 needs l1_sec_token, the SEC token there".into()));
    }
    let genesis_timestamp = config.genesis_timestamp.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default()
    });
    let chain = ChainParams {
        domains: config.domains,
        l1_sec: config.l1_sec_token,
        trade_min_period: config.trade_min_period_secs,
    };
    let mut domains = Vec::new();
    // every domain delivers the others' messages; a chain of one has none
    let outboxes = (config.domains > 1).then(|| Arc::new(Outboxes::default()));
    let epochs = match (&l1, config.epochs.length) {
        (Some(l1), length) if length > 0 => {
            let genesis = &config.epochs.genesis_validators;
            let genesis = (!genesis.is_empty())
                .then(|| ValidatorSet::new(genesis.clone()))
                .transpose()
                .map_err(|e| NodeError::Config(format!("genesis validators: {e}")))?;
            Some(Arc::new(Epochs::new(length, Some(l1.clone()), genesis)))
        }
        _ => None,
    };
    for id in 0..config.domains {
        // Every domain starts with the system contracts (cross-domain messages, the L2
        // bridge, the token factory) at their fixed addresses.
        let mut alloc: Vec<(Address, GenesisAccount)> =
            config.alloc.iter().map(|(a, g)| (*a, g.clone())).collect();
        alloc.extend(sec_contracts::predeploy::genesis_alloc(id, &chain)?);
        let dc = DomainConfig {
            id,
            chain_id: domain_chain_id(config.chain_id_base, id),
            block_time: Duration::from_millis(config.block_time_ms),
            block_phase: Duration::from_millis(config.block_time_ms) * id / config.domains.max(1),
            gas_limit: config.gas_limit,
            initial_base_fee: config.initial_base_fee,
            pool: config.pool.clone(),
            datadir: config.datadir.join(format!("domain-{id}")),
            alloc,
            genesis_timestamp,
            db_cache_bytes: config.db_cache_mib * 1024 * 1024,
            l1: l1.clone().map(|source| L1Feed {
                source,
                confirmations: config.l1.confirmations,
                start_block: config.l1.start_block,
                max_blocks_per_read: config.l1.max_blocks_per_read,
            }),
            outboxes: outboxes.clone(),
            epochs: epochs.clone(),
            proof_window: usize::try_from(config.rpc.proof_window).unwrap_or(usize::MAX),
        };
        let producer = producer.clone();
        let domain = tokio::task::spawn_blocking(move || Domain::open(dc, producer))
            .await
            .map_err(|e| NodeError::Config(e.to_string()))?
            .map_err(|source| NodeError::Domain { domain: id, source })?;
        domains.push(domain);
    }
    if let Some(outboxes) = &outboxes {
        outboxes.set(domains.iter().map(|d| d.chain_store()).collect());
    }
    Ok(domains)
}
