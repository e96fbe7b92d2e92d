//! `sec bridge`: a token holder's bridge commands. `deposit` locks SEC, ETH or an ERC-20 in
//! `L1Bridge` and waits, with a progress line, until a domain credited it; `status` tells
//! where a deposit is. Sending and reading are `sec-bridge`'s; this module holds the commands,
//! their words and what they print.

use std::{path::PathBuf, time::Duration};

use alloy::{signers::local::PrivateKeySigner, sol_types::SolError};
use alloy_primitives::{Address, B256, U256, utils::parse_units};
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use sec_bridge::{BridgeError, L1Client, L1Deployment, deposit};
use sec_contracts::bindings::{L1Bridge, SECToken};
use serde_json::{Value, json};

#[derive(Args)]
pub struct BridgeArgs {
    /// Ethereum JSON-RPC endpoint.
    #[arg(long, global = true, default_value = "http://127.0.0.1:9545")]
    l1_rpc: String,
    /// The L1 deployment record (`sec l1-deploy --out`, or a devnet's).
    #[arg(long, global = true, default_value = "data/devnet/l1-deployment.json")]
    l1_deployment: PathBuf,
    /// Any domain's JSON-RPC endpoint of the SEC chain (to follow the deposit there).
    #[arg(long, global = true, default_value = "http://127.0.0.1:8545/")]
    rpc: String,
    /// The L1 account's private key (hex). Never printed.
    #[arg(long, global = true, env = "SEC_KEY", hide_env_values = true)]
    key: Option<B256>,
    #[command(subcommand)]
    command: BridgeCommand,
}

#[derive(Subcommand)]
enum BridgeCommand {
    /// Locks tokens in the L1 bridge for an account on a domain, then waits until that domain
    /// credits them (SEC as native balance, ETH and ERC-20s as bridged tokens).
    Deposit {
        /// `SEC`, `ETH`, or an ERC-20's L1 address.
        #[arg(long)]
        token: String,
        /// Amount in whole units of the token ("12.5").
        #[arg(long)]
        amount: String,
        /// Target domain.
        #[arg(long, default_value_t = 0)]
        domain: u32,
        /// Recipient on the domain (default: the sender's own address).
        #[arg(long)]
        to: Option<Address>,
        /// Return once L1 has the deposit instead of waiting for the domain.
        #[arg(long)]
        no_wait: bool,
        /// Longest wait for the domain, in seconds.
        #[arg(long, default_value_t = 600)]
        timeout: u64,
    },
    /// Where deposit `N` is: credited (domain, block, transaction) or not yet.
    Status {
        /// The deposit's nonce (printed by `sec bridge deposit`).
        #[arg(long)]
        deposit: u64,
    },
}

/// What the bridge's refusals mean, in words.
fn refusal(e: &BridgeError) -> Option<String> {
    let data = e.revert_data()?;
    if let Ok(x) = L1Bridge::UnknownDomain::abi_decode(data) {
        return Some(format!("domain {} does not exist on this chain", x.domain));
    }
    if L1Bridge::ZeroAmount::abi_decode(data).is_ok() {
        return Some("the amount must be more than zero".into());
    }
    if L1Bridge::ZeroAddress::abi_decode(data).is_ok() {
        return Some("the recipient must not be the zero address".into());
    }
    if L1Bridge::UseDepositSEC::abi_decode(data).is_ok() {
        return Some("SEC is deposited with --token SEC (it becomes native balance)".into());
    }
    if let Ok(x) = L1Bridge::BridgePaused::abi_decode(data) {
        return Some(format!("the bridge is paused by its guardian until {}", x.until));
    }
    if let Ok(x) = L1Bridge::DailyLimitExceeded::abi_decode(data) {
        return Some(format!("over the token's daily limit: {} left today", x.available));
    }
    if let Ok(x) = SECToken::ERC20InsufficientBalance::abi_decode(data) {
        return Some(format!("insufficient balance: {} held, {} needed", x.balance, x.needed));
    }
    if let Ok(x) = SECToken::ERC20InsufficientAllowance::abi_decode(data) {
        return Some(format!(
            "insufficient allowance: {} approved, {} needed",
            x.allowance, x.needed
        ));
    }
    None
}

/// A bridge error with the refusal in words when there is one.
fn explain(e: BridgeError) -> anyhow::Error {
    match refusal(&e) {
        Some(words) => anyhow::anyhow!("refused: {words}"),
        None => anyhow::Error::new(e),
    }
}

/// `sec_getDeposit(nonce)` on the SEC chain: the credit, or null.
async fn deposit_status(rpc: &str, nonce: u64) -> Result<Value> {
    let client = L1Client::connect(rpc, PrivateKeySigner::random()).await?;
    Ok(client.request::<Value>("sec_getDeposit", vec![json!(format!("{nonce:#x}"))]).await?)
}

fn quantity(v: &Value) -> u64 {
    v.as_str()
        .and_then(|n| u64::from_str_radix(n.trim_start_matches("0x"), 16).ok())
        .unwrap_or_default()
}

fn print_credited(d: &Value) {
    println!(
        "deposit {} credited on domain {} in block {}: transaction {} ({})",
        quantity(&d["nonce"]),
        d["domain"],
        quantity(&d["blockNumber"]),
        d["transactionHash"].as_str().unwrap_or_default(),
        d["status"].as_str().unwrap_or_default(),
    );
}

pub async fn run(args: BridgeArgs) -> Result<()> {
    match args.command {
        BridgeCommand::Status { deposit } => {
            let d = deposit_status(&args.rpc, deposit).await?;
            if d.is_null() {
                println!("deposit {deposit} is not credited on any domain (yet)");
            } else {
                print_credited(&d);
            }
            Ok(())
        }
        BridgeCommand::Deposit { token, amount, domain, to, no_wait, timeout } => {
            let key = args.key.context("give --key or set SEC_KEY (the L1 account)")?;
            let signer = PrivateKeySigner::from_bytes(&key).context("--key")?;
            let deployment = L1Deployment::load(&args.l1_deployment)
                .with_context(|| format!("reading {}", args.l1_deployment.display()))?;
            let a = deployment.addresses;
            let l1 = L1Client::connect(&args.l1_rpc, signer).await?;
            let to = to.unwrap_or(l1.address());
            let d = match token.to_ascii_uppercase().as_str() {
                "SEC" => {
                    let value: U256 = parse_units(&amount, 18).context("--amount")?.into();
                    deposit::deposit_sec(&l1, a.l1_bridge, a.token, domain, to, value).await
                }
                "ETH" => {
                    let value: U256 = parse_units(&amount, 18).context("--amount")?.into();
                    deposit::deposit_eth(&l1, a.l1_bridge, domain, to, value).await
                }
                _ => {
                    let address: Address =
                        token.parse().context("--token: SEC, ETH or an address")?;
                    let decimals = l1
                        .view(address, SECToken::decimalsCall {})
                        .await
                        .context("--token is not an ERC-20 (no decimals())")?;
                    let value: U256 = parse_units(&amount, decimals).context("--amount")?.into();
                    deposit::deposit_erc20(&l1, a.l1_bridge, address, domain, to, value).await
                }
            }
            .map_err(explain)?;
            println!(
                "deposit {} locked on L1 in block {}: {} for {} on domain {}",
                d.nonce, d.block, amount, d.to, d.domain
            );
            if no_wait {
                return Ok(());
            }
            let started = std::time::Instant::now();
            loop {
                let c = deposit_status(&args.rpc, d.nonce).await?;
                if !c.is_null() {
                    eprintln!();
                    print_credited(&c);
                    return Ok(());
                }
                let head = l1.block_number().await.unwrap_or(d.block);
                eprint!(
                    "\rwaiting for domain {}: L1 block {} of the deposit, L1 head {} ({} s)   ",
                    d.domain,
                    d.block,
                    head,
                    started.elapsed().as_secs()
                );
                if started.elapsed() > Duration::from_secs(timeout) {
                    eprintln!();
                    bail!(
                        "deposit {} not credited after {timeout} s; `sec bridge status --deposit {}` follows it",
                        d.nonce,
                        d.nonce
                    );
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}
