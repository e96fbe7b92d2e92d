//! `sec l1-deploy`: deploys the SEC contracts to any Ethereum node, verifies every deployed
//! code hash, writes the addresses file and prints the addresses.

use std::path::PathBuf;

use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::{Address, B256};
use anyhow::{Context, Result};
use clap::Args;
use sec_bridge::{L1Client, L1Deployment, deploy_l1};
use sec_contracts::L1DeployConfig;

/// Arguments of `sec l1-deploy`.
#[derive(Args)]
pub struct L1DeployArgs {
    /// JSON-RPC URL of the Ethereum node.
    #[arg(long)]
    l1_rpc: String,
    /// Deployer private key (hex). Every role defaults to its address.
    #[arg(long, env = "SEC_L1_KEY", hide_env_values = true)]
    key: B256,
    /// Where to write the deployment (addresses, chain id, deployer, block) as JSON.
    #[arg(long)]
    out: PathBuf,
    /// Owner (governance) of the contracts; default: the deployer.
    #[arg(long)]
    owner: Option<Address>,
    /// Bridge guardian (may pause); default: the owner.
    #[arg(long)]
    guardian: Option<Address>,
    /// Production-like parameters (7-day unbonding, 1-hour challenge window, 21 validators)
    /// instead of the devnet ones.
    #[arg(long)]
    mainnet_like: bool,
    /// Number of SEC domains deposits may target.
    #[arg(long, default_value_t = 4)]
    domains: u32,
}

/// Deploys the devnet L1 set from `signer` and verifies it (used by `sec devnet` too).
pub async fn deploy_devnet(
    l1_rpc: &str,
    signer: PrivateKeySigner,
    domains: u32,
) -> Result<L1Deployment> {
    let client = L1Client::connect(l1_rpc, signer)
        .await
        .with_context(|| format!("connecting to {l1_rpc}"))?;
    let owner = client.address();
    let now = client.block(None).await?.timestamp.to::<u64>();
    let config = L1DeployConfig { num_domains: domains, ..L1DeployConfig::devnet(owner, now) };
    deploy_l1(&client, &config).await.context("deploying the L1 contracts")
}

/// Gives each of `accounts` `amount` SEC on L1, out of the angel tranche that vests at
/// deployment (the devnet's owner is its beneficiary), so dev accounts can bridge SEC.
pub async fn fund_dev_accounts(
    l1_rpc: &str,
    owner: PrivateKeySigner,
    deployment: &L1Deployment,
    accounts: &[alloy_primitives::Address],
    amount: alloy_primitives::U256,
) -> Result<()> {
    use sec_contracts::bindings::{SECToken, VestingVault};
    let client = L1Client::connect(l1_rpc, owner).await?;
    let a = &deployment.addresses;
    let zero = alloy_primitives::U256::ZERO;
    client.send_call(a.angel_vault, VestingVault::releaseCall {}, zero).await?;
    for to in accounts.iter().filter(|to| **to != client.address()) {
        client.send_call(a.token, SECToken::transferCall { to: *to, value: amount }, zero).await?;
    }
    Ok(())
}

/// Funds `accounts` on every one of `domains` domains the way a user would: each deposits
/// `per_domain` SEC of its own L1 SEC into `L1Bridge` for itself on each domain (one approval,
/// then one deposit per domain; the accounts in parallel). Returns the highest deposit nonce,
/// the one to wait for on L2.
pub async fn deposit_dev_accounts(
    l1_rpc: &str,
    deployment: &L1Deployment,
    accounts: &[PrivateKeySigner],
    domains: u32,
    per_domain: alloy_primitives::U256,
) -> Result<u64> {
    use sec_bridge::deposit::{deposit_sec, ensure_allowance};
    let a = &deployment.addresses;
    let total = per_domain * alloy_primitives::U256::from(domains);
    let each = accounts.iter().map(|signer| async move {
        let client = L1Client::connect(l1_rpc, signer.clone()).await?;
        ensure_allowance(&client, a.token, a.l1_bridge, total).await?;
        let mut last = 0;
        for domain in 0..domains {
            let d =
                deposit_sec(&client, a.l1_bridge, a.token, domain, client.address(), per_domain)
                    .await?;
            last = last.max(d.nonce);
        }
        Ok::<u64, sec_bridge::BridgeError>(last)
    });
    let nonces = futures_util::future::try_join_all(each).await?;
    Ok(nonces.into_iter().max().unwrap_or_default())
}

/// Registers `validators` on `StakeManager` with the minimum self-stake each, given to them out
/// of `owner`'s SEC: each signs with its own key and registers the BLS key derived from it (the
/// key its blocks' randomness verifies against).
pub async fn register_dev_validators(
    l1_rpc: &str,
    owner: PrivateKeySigner,
    deployment: &L1Deployment,
    validators: &[PrivateKeySigner],
) -> Result<()> {
    use sec_bridge::staking::{Registration, register_validator};
    use sec_contracts::bindings::{SECToken, StakeManager};
    use sec_primitives::randomness::RandaoKey;
    let client = L1Client::connect(l1_rpc, owner).await?;
    let a = &deployment.addresses;
    let stake = client.view(a.stake_manager, StakeManager::minSelfStakeCall {}).await?;
    let zero = alloy_primitives::U256::ZERO;
    for v in validators {
        let transfer = SECToken::transferCall { to: v.address(), value: stake };
        client.send_call(a.token, transfer, zero).await?;
        let validator = L1Client::connect(l1_rpc, v.clone()).await?;
        let registration = Registration {
            signer: v.clone(),
            bls_key: RandaoKey::from_ecdsa_secret(v.to_bytes().as_slice())?
                .public_key()
                .to_vec()
                .into(),
            commission_bps: 500,
            self_stake: stake,
        };
        register_validator(&validator, a.stake_manager, a.token, &registration)
            .await
            .with_context(|| format!("registering validator {}", v.address()))?;
    }
    Ok(())
}

/// Prints a deployment's contracts.
pub fn print(deployment: &L1Deployment) {
    for c in &deployment.contracts {
        println!("  {:<30} {}  code hash {}", c.name, c.address, c.code_hash);
    }
}

/// Runs `sec l1-deploy`.
pub async fn run(args: L1DeployArgs) -> Result<()> {
    let signer = PrivateKeySigner::from_bytes(&args.key).context("invalid --key")?;
    let client = L1Client::connect(&args.l1_rpc, signer)
        .await
        .with_context(|| format!("connecting to {}", args.l1_rpc))?;
    let owner = args.owner.unwrap_or(client.address());
    let guardian = args.guardian.unwrap_or(owner);
    // the presale opens at the chain's time, not this machine's
    let now = client.block(None).await?.timestamp.to::<u64>();
    let mut config = if args.mainnet_like {
        L1DeployConfig::mainnet_like(owner, guardian, now, now + 30 * 86_400)
    } else {
        L1DeployConfig { guardian, ..L1DeployConfig::devnet(owner, now) }
    };
    config.num_domains = args.domains;

    let deployment = deploy_l1(&client, &config).await.context("deploying the L1 contracts")?;
    deployment.save(&args.out)?;

    println!(
        "SEC L1 contracts on chain {} (deployer {}, from block {}):",
        deployment.chain_id, deployment.deployer, deployment.block
    );
    print(&deployment);
    println!("every code hash verified; written to {}", args.out.display());
    Ok(())
}
