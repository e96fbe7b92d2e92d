//! `sec`: the one binary of the SEC chain. Wiring only: every behaviour lives in the crates.

mod bench;
mod bridge;
mod l1_deploy;
mod pay;
mod trade;

use std::{net::SocketAddr, path::PathBuf};

use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::{B256, U256};
use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use sec_bridge::L1Deployment;
use sec_explorer::{Explorer, ExplorerConfig};
use sec_indexer::IndexerConfig;
use sec_primitives::{DEV_MNEMONIC, dev_signers};
use sec_sequencer::{Node, NodeConfig};
use tracing::info;

#[derive(Parser)]
#[command(name = "sec", version, about = "SEC chain: devnet, node and tools")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// A complete local network in one process: an Ethereum dev chain and the SEC domains.
    Devnet(DevnetArgs),
    /// Runs the SEC node (all domains) from a TOML config.
    Node(NodeArgs),
    /// Measures any Ethereum JSON-RPC endpoint with pre-signed ERC-20 transfers.
    Bench(bench::BenchArgs),
    /// Deploys the SEC contracts to an Ethereum node and verifies every deployed code hash.
    L1Deploy(l1_deploy::L1DeployArgs),
    /// Indexes every domain of a node into SQLite (default) or PostgreSQL.
    Index(IndexArgs),
    /// Serves the block explorer (HTML, JSON API, Etherscan-compatible API) from an index.
    Explorer(ExplorerArgs),
    /// Bridge commands of a token holder: deposit SEC, ETH or an ERC-20 from Ethereum to a
    /// domain (and wait for it), a deposit's status.
    Bridge(bridge::BridgeArgs),
    /// Pays SEC to an account on its home domain (through a cross-domain message when that is
    /// not the payer's domain).
    Pay(pay::PayArgs),
    /// An account's home domain in the hub's directory: `get`, or `set` from the domain it
    /// lives in.
    Home(pay::HomeArgs),
    /// Escrowed trades and disputes on a domain: offer, pay, ship, confirm, settle, dispute,
    /// judge, status.
    Trade(trade::TradeArgs),
    /// Watches a node for validators that signed conflicting consensus messages and reports
    /// each to `StakeManager` on Ethereum, which slashes it and pays the judge (bonds the
    /// judge's SEC first if needed).
    Judge(JudgeArgs),
}

#[derive(Args)]
struct JudgeArgs {
    /// Ethereum JSON-RPC endpoint.
    #[arg(long, default_value = "http://127.0.0.1:9545")]
    l1_rpc: String,
    /// The L1 deployment record (`sec l1-deploy --out`, or a devnet's).
    #[arg(long, default_value = "data/devnet/l1-deployment.json")]
    l1_deployment: PathBuf,
    /// JSON-RPC endpoint of a SEC node (evidence of every domain is read from it).
    #[arg(long, default_value = "http://127.0.0.1:8545/")]
    rpc: String,
    /// The judge's L1 key (hex): it bonds, reports and is paid. Never printed.
    #[arg(long, env = "SEC_JUDGE_KEY", hide_env_values = true)]
    key: B256,
    /// Seconds between reads of the node.
    #[arg(long, default_value_t = 2)]
    interval: u64,
    /// Where the judge keeps what it reported, so a restart does not report again.
    #[arg(long, default_value = "judge-state.json")]
    state: PathBuf,
}

#[derive(Args)]
struct ExplorerArgs {
    /// TOML config file (every key optional; see `ExplorerConfig`).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Database: an SQLite file path or a postgres:// URL.
    #[arg(long, env = "SEC_INDEX_DB")]
    db: Option<String>,
    /// Listen address.
    #[arg(long)]
    addr: Option<SocketAddr>,
}

#[derive(Args)]
struct IndexArgs {
    /// TOML config file (every key optional; see `IndexerConfig`).
    #[arg(long)]
    config: Option<PathBuf>,
    /// The node's JSON-RPC URL (domain d at <rpc>/domain/d; any other Ethereum node: its one
    /// chain, as domain 0).
    #[arg(long)]
    rpc: Option<String>,
    /// Database: an SQLite file path or a postgres:// URL.
    #[arg(long, env = "SEC_INDEX_DB")]
    db: Option<String>,
    /// Number of domains (default: every domain the node serves).
    #[arg(long)]
    domains: Option<u32>,
    /// Do not read call trees (no internal transfers; faster).
    #[arg(long)]
    no_traces: bool,
    /// Stop after this block of every domain (or the head, if lower) instead of following.
    #[arg(long)]
    to_block: Option<u64>,
    /// No progress bars.
    #[arg(long)]
    no_progress: bool,
    /// Ethereum JSON-RPC URL, to index deposits, checkpoints and finalized withdrawals.
    #[arg(long, requires = "l1_deployment")]
    l1_rpc: Option<String>,
    /// The L1 deployment record (`sec l1-deploy --out`, or `l1-deployment.json` of a devnet).
    #[arg(long, requires = "l1_rpc")]
    l1_deployment: Option<PathBuf>,
}

/// What the indexer follows on Ethereum, from a deployment record.
fn ethereum_config(
    rpc: String,
    deployment: &L1Deployment,
) -> sec_indexer::ethereum::EthereumConfig {
    sec_indexer::ethereum::EthereumConfig {
        rpc,
        bridge: deployment.addresses.l1_bridge,
        checkpoint_manager: deployment.addresses.checkpoint_manager,
        stake_manager: deployment.addresses.stake_manager,
        from_block: deployment.block,
        confirmations: 0,
        allocations: {
            let a = &deployment.addresses;
            vec![
                a.angel_vault,
                a.presale,
                a.foundation_vault,
                a.business_reserve,
                a.team_vault,
                a.investment_reserve,
            ]
        },
    }
}

/// Settings shared by `devnet` and `node`; flags override the config file.
#[derive(Args, Clone)]
struct NodeFlags {
    /// Data directory (resumes from it on restart).
    #[arg(long, env = "SEC_DATADIR")]
    datadir: Option<PathBuf>,
    /// Number of domains.
    #[arg(long)]
    domains: Option<u32>,
    /// Seconds between blocks; 0 makes a block as soon as transactions arrive.
    #[arg(long)]
    block_time: Option<f64>,
    /// JSON-RPC listen address.
    #[arg(long)]
    rpc_addr: Option<SocketAddr>,
    /// Chain id of domain 0 (domain d has base + d).
    #[arg(long)]
    chain_id_base: Option<u64>,
}

impl NodeFlags {
    fn apply(&self, c: &mut NodeConfig) {
        if let Some(d) = &self.datadir {
            c.datadir = d.clone();
        }
        if let Some(d) = self.domains {
            c.domains = d;
        }
        if let Some(t) = self.block_time {
            c.block_time_ms = (t * 1000.0).round() as u64;
        }
        if let Some(a) = self.rpc_addr {
            c.rpc.addr = a;
        }
        if let Some(b) = self.chain_id_base {
            c.chain_id_base = b;
        }
    }
}

#[derive(Args)]
struct DevnetArgs {
    #[command(flatten)]
    node: NodeFlags,
    /// JSON-RPC address of the embedded Ethereum dev chain.
    #[arg(long, default_value = "127.0.0.1:9545")]
    l1_addr: SocketAddr,
    /// Address of the block explorer.
    #[arg(long, default_value = "127.0.0.1:8080")]
    explorer_addr: SocketAddr,
    /// Number of funded dev accounts (from the dev mnemonic) on L1 and every domain.
    #[arg(long, default_value_t = 10)]
    accounts: u32,
    /// Seconds between checkpoints submitted to L1.
    #[arg(long, default_value_t = 5)]
    checkpoint_interval: u64,
    /// Run the domains on this many of the 4 staked dev validators (each in this process with
    /// its own stores, deciding blocks by consensus; the first one serves --rpc-addr); 0 runs
    /// them on a single dev producer instead.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u8).range(0..=4))]
    validators: u8,
    /// First port of the validators' networks: validator i listens from port + 10·i.
    #[arg(long, default_value_t = 30300)]
    p2p_port: u16,
    /// Test only: validator I signs a conflicting vote for every vote it casts.
    #[cfg(feature = "byzantine")]
    #[arg(long, hide = true, value_name = "I")]
    equivocate: Option<usize>,
}

#[derive(Args)]
struct NodeArgs {
    /// TOML config file (every key optional; see `NodeConfig`).
    #[arg(long)]
    config: Option<PathBuf>,
    #[command(flatten)]
    node: NodeFlags,
    /// Block producer key (hex). Default: the dev producer key, for local use only.
    #[arg(long, env = "SEC_PRODUCER_KEY", hide_env_values = true)]
    producer_key: Option<B256>,
    /// Ethereum JSON-RPC URL: the domains credit the deposits `L1Bridge` records there.
    #[arg(long, requires = "l1_deployment")]
    l1_rpc: Option<String>,
    /// The L1 deployment record (`sec l1-deploy --out`, or `l1-deployment.json` of a devnet).
    #[arg(long, requires = "l1_rpc")]
    l1_deployment: Option<PathBuf>,
    /// L1 blocks a deposit waits before it is credited (default: the config's, 6).
    #[arg(long)]
    l1_confirmations: Option<u64>,
    /// Run as a validator with this signing key (hex): blocks are then made and finalized by
    /// the validators together, not by a producer key. The key stays in this process.
    #[arg(
        long,
        env = "SEC_VALIDATOR_KEY",
        hide_env_values = true,
        conflicts_with = "producer_key"
    )]
    validator_key: Option<B256>,
    /// Where this validator listens for the others (domain d on port + d).
    #[arg(long, requires = "validator_key", default_value = "127.0.0.1:30300")]
    p2p_addr: SocketAddr,
    /// The other validators' --p2p-addr, comma separated.
    #[arg(long, requires = "validator_key", value_delimiter = ',')]
    peers: Vec<SocketAddr>,
}

/// The node's reader of Ethereum for `deployment`, connected off the async runtime (the source
/// is synchronous and brings its own).
async fn l1_source(
    url: String,
    deployment: &L1Deployment,
) -> Result<std::sync::Arc<dyn sec_primitives::L1Source>> {
    let addresses = deployment.addresses;
    let source =
        tokio::task::spawn_blocking(move || sec_bridge::JsonRpcL1Source::connect(&url, &addresses))
            .await?
            .context("connecting to L1")?;
    Ok(std::sync::Arc::new(source))
}

/// 10,000 ether, what each dev account gets.
fn dev_balance() -> U256 {
    U256::from(10_000u64) * U256::from(10u64).pow(U256::from(18u64))
}

/// 100,000 SEC, what each dev account holds on the dev L1 to bridge (the first account keeps
/// the rest of the angel tranche).
fn dev_sec_on_l1() -> U256 {
    U256::from(100_000u64) * U256::from(10u64).pow(U256::from(18u64))
}

/// The devnet's 4 validators: dev mnemonic accounts 100..104, staked on the dev L1 at first
/// start; they sign checkpoints.
fn dev_validators() -> Result<Vec<PrivateKeySigner>> {
    Ok(sec_primitives::dev_signers_from(DEV_MNEMONIC, 100..104)?)
}

/// The dev block producer: an account of the dev mnemonic that is never funded.
fn dev_producer() -> Result<PrivateKeySigner> {
    dev_signers(DEV_MNEMONIC, 21)?.pop().context("dev producer key")
}

/// Waits for Ctrl-C (SIGINT) or SIGTERM, which service managers and `docker stop` send, so that
/// either stops the process through its shutdown path (journal written, stores closed) rather
/// than SIGTERM's default of ending it where it is.
async fn wait_for_ctrl_c() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
    info!("shutting down");
}

/// The devnet's domains: made by the dev producer, or decided by validators.
enum L2 {
    Producer(Node),
    Validators(Vec<sec_consensus::ValidatorNode>),
}

impl L2 {
    /// The JSON-RPC address (the first validator's).
    fn rpc_addr(&self) -> SocketAddr {
        match self {
            L2::Producer(n) => n.rpc_addr(),
            L2::Validators(v) => v[0].rpc_addr(),
        }
    }

    fn domains(&self) -> &[std::sync::Arc<sec_sequencer::Domain>] {
        match self {
            L2::Producer(n) => n.domains(),
            L2::Validators(v) => v[0].domains(),
        }
    }

    async fn shutdown(self) {
        match self {
            L2::Producer(n) => n.shutdown().await,
            L2::Validators(v) => {
                for n in v {
                    n.shutdown().await;
                }
            }
        }
    }
}

async fn devnet(args: DevnetArgs) -> Result<()> {
    let accounts = dev_signers(DEV_MNEMONIC, args.accounts)?;
    let addresses: Vec<_> = accounts.iter().map(|s| s.address()).collect();
    let mut l2 = NodeConfig { datadir: PathBuf::from("data/devnet"), ..Default::default() };
    args.node.apply(&mut l2);
    // no genesis balances on L2: the dev accounts deposit their SEC from L1 at the first start,
    // so what L1 locks is what the domains hold
    let mut l1 = NodeConfig {
        datadir: l2.datadir.join("l1"),
        chain_id_base: 31337,
        domains: 1,
        block_time_ms: 1000,
        gas_limit: 30_000_000,
        ..Default::default()
    };
    l1.rpc.addr = args.l1_addr;
    l1.fund(addresses.iter().copied(), dev_balance());
    let validators = dev_validators()?;
    l1.fund(validators.iter().map(|v| v.address()), dev_balance());
    let data = l2.datadir.clone();
    l2.datadir = l2.datadir.join("l2");

    let producer = dev_producer()?;
    let l1_node = Node::start(l1, producer.clone()).await.context("starting the L1 dev chain")?;
    // The L1 contracts are deployed once, at the first start; later starts read the record.
    let deployment_file = data.join("l1-deployment.json");
    // the last of the first start's funding deposits, to wait for on L2
    let mut funding = None;
    let deployment = if deployment_file.exists() {
        L1Deployment::load(&deployment_file)?
    } else {
        let url = format!("http://{}", l1_node.rpc_addr());
        info!(%url, "deploying the L1 contracts");
        let d = l1_deploy::deploy_devnet(&url, accounts[0].clone(), l2.domains).await?;
        l1_deploy::fund_dev_accounts(&url, accounts[0].clone(), &d, &addresses, dev_sec_on_l1())
            .await
            .context("giving the dev accounts SEC on L1")?;
        l1_deploy::register_dev_validators(&url, accounts[0].clone(), &d, &validators)
            .await
            .context("staking the dev validators on L1")?;
        let last = l1_deploy::deposit_dev_accounts(&url, &d, &accounts, l2.domains, dev_balance())
            .await
            .context("depositing the dev accounts' SEC into the domains")?;
        funding = Some(last);
        d.save(&deployment_file)?;
        d
    };
    l2.l1_sec_token = deployment.addresses.token;
    // Deposits on the dev chain are credited after one confirmation (a block a second).
    l2.l1.confirmations = 1;
    // Trades may settle 30 s after shipping, so one can be followed to the end by hand.
    l2.trade_min_period_secs = 30;
    l2.l1.start_block = deployment.block;
    let l1_url = format!("http://{}", l1_node.rpc_addr());
    let source = l1_source(l1_url.clone(), &deployment).await?;
    // Epochs of 20 domain-0 blocks; at the first start epoch 0's set is the one just staked on
    // L1 (later starts find it in the genesis block).
    l2.epochs.length = 20;
    if funding.is_some() {
        let s = source.clone();
        let set = tokio::task::spawn_blocking(move || s.head().and_then(|h| s.validator_set(h)))
            .await?
            .context("reading the dev validators' set from L1")?;
        l2.epochs.genesis_validators = set.members().to_vec();
    }
    // Validators must all write the same genesis: its time is kept with the deployment.
    let genesis_file = data.join("l2-genesis.json");
    if args.validators > 0 {
        let saved: Option<u64> = std::fs::read(&genesis_file)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|v| v["genesisTimestamp"].as_u64());
        let t = saved.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or_default()
        });
        l2.genesis_timestamp = Some(t);
        std::fs::write(&genesis_file, serde_json::json!({ "genesisTimestamp": t }).to_string())?;
        l2.consensus.signing = sec_primitives::SigningDomain {
            l1_chain_id: deployment.chain_id,
            stake_manager: deployment.addresses.stake_manager,
        };
        l2.consensus.checkpoint_manager = Some(deployment.addresses.checkpoint_manager);
    }
    let l2_node = if args.validators == 0 {
        L2::Producer(
            Node::start_with_l1(l2.clone(), producer, Some(source))
                .await
                .context("starting the SEC domains")?,
        )
    } else {
        let n = usize::from(args.validators);
        let addr = |i: usize| {
            SocketAddr::from(([127, 0, 0, 1], args.p2p_port.saturating_add(10 * i as u16)))
        };
        let mut nodes = Vec::with_capacity(n);
        for (i, key) in validators.iter().take(n).enumerate() {
            let mut config = l2.clone();
            config.datadir = l2.datadir.join(format!("validator-{i}"));
            if i > 0 {
                config.rpc.addr = SocketAddr::from(([127, 0, 0, 1], 0));
            }
            let p2p = sec_consensus::P2p {
                listen: addr(i),
                peers: (0..n).filter(|j| *j != i).map(addr).collect(),
            };
            #[cfg(feature = "byzantine")]
            let fault = if args.equivocate == Some(i) {
                sec_consensus::Fault::EquivocateVotes
            } else {
                sec_consensus::Fault::None
            };
            #[cfg(not(feature = "byzantine"))]
            let fault = sec_consensus::Fault::None;
            let node = sec_consensus::ValidatorNode::start_with_fault(
                &config,
                key.clone(),
                Some(source.clone()),
                p2p,
                fault,
            )
            .await
            .with_context(|| format!("starting validator {i}"))?;
            nodes.push(node);
        }
        L2::Validators(nodes)
    };

    let rpc = l2_node.rpc_addr();
    if let Some(nonce) = funding {
        wait_for_deposit(&format!("http://{rpc}"), nonce).await?;
    }
    // The indexer follows the domains into an SQLite file in the data directory (started again
    // whenever it stops on an error); the explorer serves it.
    let index_db = data.join("index.db");
    let db = sec_indexer::Database::connect(&index_db.to_string_lossy(), 16)
        .await
        .context("opening the index")?;
    let indexer_config = IndexerConfig {
        rpc: format!("http://{rpc}"),
        domains: Some(l2.domains),
        db: index_db.to_string_lossy().into_owned(),
        progress: false,
        ethereum: Some(ethereum_config(format!("http://{}", l1_node.rpc_addr()), &deployment)),
        ..Default::default()
    };
    // The checkpoint relayer, submitting from the first validator's account. Validator nodes
    // sign on their own (their keys stay in them); the single-producer devnet has none, so
    // the relayer signs with the dev validators' keys itself.
    let relayer = {
        let l1 = sec_bridge::L1Client::connect(&l1_url, validators[0].clone()).await?;
        let path = |d: u32| if d == 0 { String::new() } else { format!("domain/{d}") };
        let (signers, validator_rpc) = match &l2_node {
            L2::Producer(_) => (validators.clone(), vec![]),
            L2::Validators(nodes) => {
                (vec![], nodes.iter().map(|n| format!("http://{}", n.rpc_addr())).collect())
            }
        };
        let config = sec_bridge::checkpointer::CheckpointerConfig {
            domains: (0..l2.domains).map(|d| format!("http://{rpc}/{}", path(d))).collect(),
            signers,
            validators: validator_rpc,
            interval: std::time::Duration::from_secs(args.checkpoint_interval.max(1)),
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let run = sec_bridge::checkpointer::run(l1, deployment.addresses, config, async {
            let _ = stopped.await;
        });
        (tokio::spawn(run), stop)
    };
    let index_db_handle = db.clone();
    let indexer = tokio::spawn(sec_indexer::run_supervised(indexer_config, index_db_handle));
    let explorer_config = ExplorerConfig {
        addr: args.explorer_addr,
        db: index_db.to_string_lossy().into_owned(),
        chain_id_base: l2.chain_id_base,
        ..Default::default()
    };
    let explorer = Explorer::start(explorer_config, db).await.context("starting the explorer")?;
    println!("SEC devnet");
    println!("  L1 (Ethereum dev chain)  http://{}  chain id 31337", l1_node.rpc_addr());
    for d in l2_node.domains() {
        let path = if d.id() == 0 { String::new() } else { format!("domain/{}", d.id()) };
        println!(
            "  domain {:<2}                http://{rpc}/{path}  chain id {}  (ws://{rpc}/{path})",
            d.id(),
            d.chain_id()
        );
    }
    println!(
        "  explorer                 http://{}  (JSON API /api/v1/, Etherscan API /api)",
        explorer.addr()
    );
    match &l2_node {
        L2::Producer(_) => println!("  blocks                   made by the single dev producer"),
        L2::Validators(nodes) => println!(
            "  blocks                   decided by {} validators (Malachite), p2p from port {}; \
             each validator's RPC: {}",
            nodes.len(),
            args.p2p_port,
            nodes.iter().map(|n| format!("http://{}", n.rpc_addr())).collect::<Vec<_>>().join(" ")
        ),
    }
    println!("  data directory           {}", data.display());
    println!("\nL1 contracts (chain 31337, from block {}):", deployment.block);
    l1_deploy::print(&deployment);
    println!("\nL2 system contracts (the same address in every domain):");
    println!("  CrossDomain                    {}", sec_contracts::predeploy::CROSS_DOMAIN);
    println!("  L2Bridge                       {}", sec_contracts::predeploy::L2_BRIDGE);
    println!("  L2TokenFactory                 {}", sec_contracts::predeploy::L2_TOKEN_FACTORY);
    println!("  TrustIndex                     {}", sec_contracts::predeploy::TRUST_INDEX);
    println!("  TradeEscrow                    {}", sec_contracts::predeploy::TRADE_ESCROW);
    println!("  Disputes                       {}", sec_contracts::predeploy::DISPUTES);
    println!(
        "\nDev accounts (10,000 ETH and 60,000 SEC on L1, 10,000 SEC on every domain deposited from there; mnemonic \"{DEV_MNEMONIC}\"):"
    );
    for (i, s) in accounts.iter().enumerate() {
        println!("  ({i}) {}  0x{}", s.address(), alloy_primitives::hex::encode(s.to_bytes()));
    }
    println!(
        "\nBridge SEC (or ETH, or an ERC-20) from L1 to a domain:\n  SEC_KEY=<a dev key> sec bridge deposit --token SEC --amount 100 --domain 1 --l1-deployment {}",
        deployment_file.display()
    );
    println!("\nCtrl-C stops it; starting it again with the same --datadir resumes.");
    wait_for_ctrl_c().await;
    let _ = relayer.1.send(());
    let _ = relayer.0.await;
    explorer.stop();
    indexer.abort();
    l2_node.shutdown().await;
    l1_node.shutdown().await;
    Ok(())
}

/// Waits until the node at `rpc` credited every L1 deposit up to `last` (each in its domain:
/// domains read L1 independently, so one crediting `last` says nothing of the others).
async fn wait_for_deposit(rpc: &str, last: u64) -> Result<()> {
    let client = sec_bridge::L1Client::connect(rpc, PrivateKeySigner::random()).await?;
    let started = std::time::Instant::now();
    let mut nonce = 1;
    while nonce <= last {
        let d: serde_json::Value =
            client.request("sec_getDeposit", vec![serde_json::json!(nonce)]).await?;
        if d["status"] == "credited" {
            nonce += 1;
            continue;
        }
        if started.elapsed() > std::time::Duration::from_secs(120) {
            anyhow::bail!("deposit {nonce} was not credited within 2 minutes");
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    Ok(())
}

async fn node(args: NodeArgs) -> Result<()> {
    let mut config: NodeConfig = read_config(args.config.as_ref())?;
    args.node.apply(&mut config);
    let producer = match args.producer_key {
        Some(k) => PrivateKeySigner::from_bytes(&k).context("producer key")?,
        None if args.validator_key.is_some() => PrivateKeySigner::random(),
        None => {
            tracing::warn!("no --producer-key: using the public dev producer key");
            dev_producer()?
        }
    };
    let source = match (args.l1_rpc, args.l1_deployment) {
        (Some(url), Some(file)) => {
            let deployment = L1Deployment::load(&file)?;
            // the L2 bridge predeploy must name the same SEC token the L1 bridge locks
            config.l1_sec_token = deployment.addresses.token;
            config.l1.start_block = config.l1.start_block.max(deployment.block);
            // validators sign votes for this deployment's StakeManager
            config.consensus.signing = sec_primitives::SigningDomain {
                l1_chain_id: deployment.chain_id,
                stake_manager: deployment.addresses.stake_manager,
            };
            // and sign the checkpoints of its CheckpointManager that their chain holds
            config.consensus.checkpoint_manager = Some(deployment.addresses.checkpoint_manager);
            Some(l1_source(url, &deployment).await?)
        }
        _ => None,
    };
    if let Some(c) = args.l1_confirmations {
        config.l1.confirmations = c;
    }
    if let Some(key) = args.validator_key {
        let key = PrivateKeySigner::from_bytes(&key).context("validator key")?;
        let p2p = sec_consensus::P2p { listen: args.p2p_addr, peers: args.peers };
        let node = sec_consensus::ValidatorNode::start(&config, key, source, p2p).await?;
        println!(
            "SEC validator node: JSON-RPC on http://{} ({} domains), peers on {}",
            node.rpc_addr(),
            node.domains().len(),
            args.p2p_addr
        );
        wait_for_ctrl_c().await;
        node.shutdown().await;
        return Ok(());
    }
    let node = Node::start_with_l1(config, producer, source).await?;
    println!("SEC node: JSON-RPC on http://{} ({} domains)", node.rpc_addr(), node.domains().len());
    wait_for_ctrl_c().await;
    node.shutdown().await;
    Ok(())
}

fn read_config<T: serde::de::DeserializeOwned + Default>(path: Option<&PathBuf>) -> Result<T> {
    match path {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
        }
        None => Ok(T::default()),
    }
}

async fn index(args: IndexArgs) -> Result<()> {
    let mut config: IndexerConfig = read_config(args.config.as_ref())?;
    if let Some(rpc) = args.rpc {
        config.rpc = rpc;
    }
    if let Some(db) = args.db {
        config.db = db;
    }
    if args.domains.is_some() {
        config.domains = args.domains;
    }
    if args.to_block.is_some() {
        config.to_block = args.to_block;
    }
    if let (Some(rpc), Some(path)) = (args.l1_rpc, args.l1_deployment.as_ref()) {
        config.ethereum = Some(ethereum_config(rpc, &L1Deployment::load(path)?));
    }
    config.traces &= !args.no_traces;
    config.progress &= !args.no_progress;
    if let Some(parent) = std::path::Path::new(&config.db).parent()
        && !config.db.contains("://")
    {
        std::fs::create_dir_all(parent).ok();
    }
    let db = sec_indexer::Database::connect(&config.db, 4).await.context("opening the database")?;
    let started = std::time::Instant::now();
    let stats = tokio::select! {
        // An indexer waits out its node (not up yet, or gone for a while); anything else ends
        // it with the error.
        stats = sec_indexer::run_waiting_for_node(config, db) => stats?,
        _ = wait_for_ctrl_c() => return Ok(()),
    };
    let secs = started.elapsed().as_secs_f64();
    info!(
        blocks = stats.blocks,
        transactions = stats.transactions,
        seconds = format!("{secs:.1}"),
        tx_per_s = format!("{:.0}", stats.transactions as f64 / secs.max(1e-9)),
        "indexed"
    );
    Ok(())
}

async fn explorer(args: ExplorerArgs) -> Result<()> {
    let mut config: ExplorerConfig = read_config(args.config.as_ref())?;
    if let Some(db) = args.db {
        config.db = db;
    }
    if let Some(addr) = args.addr {
        config.addr = addr;
    }
    let db =
        sec_indexer::Database::connect(&config.db, 16).await.context("opening the database")?;
    let server = Explorer::start(config, db).await?;
    println!("SEC explorer on http://{}", server.addr());
    wait_for_ctrl_c().await;
    server.stop();
    Ok(())
}

async fn judge(args: JudgeArgs) -> Result<()> {
    let deployment = L1Deployment::load(&args.l1_deployment)
        .with_context(|| format!("reading {}", args.l1_deployment.display()))?;
    let key = PrivateKeySigner::from_bytes(&args.key).context("--key")?;
    let l1 = sec_bridge::L1Client::connect(&args.l1_rpc, key).await?;
    println!("judge {} watching {} for equivocation", l1.address(), args.rpc);
    let config = sec_bridge::judge::JudgeConfig {
        node: args.rpc,
        interval: std::time::Duration::from_secs(args.interval.max(1)),
        state: Some(args.state),
    };
    sec_bridge::judge::run(l1, deployment.addresses, config, wait_for_ctrl_c()).await?;
    Ok(())
}

/// A command that prints its answer and exits ends quietly when its reader goes away
/// (`sec bridge status … | head`), by SIGPIPE as Unix tools do, instead of panicking in its
/// printing (Rust ignores SIGPIPE by default). The long-running commands keep ignoring it:
/// their output is logs, and a closed log pipe must not stop a node.
#[allow(unsafe_code)]
fn default_sigpipe() {
    // SAFETY: `signal` with SIG_DFL only resets a disposition; it runs before any other
    // thread exists, so nothing else is changing signal handling at the same time.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    if matches!(
        cli.command,
        Command::Bench(_)
            | Command::L1Deploy(_)
            | Command::Trade(_)
            | Command::Bridge(_)
            | Command::Pay(_)
            | Command::Home(_)
    ) {
        default_sigpipe();
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Devnet(a) => devnet(a).await,
            Command::Node(a) => node(a).await,
            Command::Bench(a) => bench::run(a).await,
            Command::L1Deploy(a) => l1_deploy::run(a).await,
            Command::Index(a) => index(a).await,
            Command::Explorer(a) => explorer(a).await,
            Command::Trade(a) => trade::run(a).await,
            Command::Bridge(a) => bridge::run(a).await,
            Command::Pay(a) => pay::pay(a).await,
            Command::Home(a) => pay::home(a).await,
            Command::Judge(a) => judge(a).await,
        }
    })
}
