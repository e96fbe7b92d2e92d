//! `sec pay` and `sec home`: paying an account wherever it lives, and telling the hub where one
//! lives. The hub (domain 0) keeps the directory (`HomeDirectory`, read with `sec_homeDomain`);
//! a payment to an account whose home is another domain goes there as a cross-domain message
//! carrying the value, and the command waits until that domain delivered it. `sec home
//! converge` is the wallet's side of domain convergence: it applies the rule to the account's
//! recent trades and moves it where most of its counterparties live.

use std::time::Duration;

use alloy::{signers::local::PrivateKeySigner, sol_types::SolCall};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, utils::parse_units};
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use sec_bridge::{
    L1Client,
    message::{domain_of, sent_message_hash, wait_for_delivery},
};
use sec_contracts::{
    bindings::{CrossDomain, HomeDirectory},
    predeploy::{CROSS_DOMAIN, HOME_DIRECTORY},
    trade::{MIN_TRADES_TO_MOVE, convergence_target},
};
use serde_json::{Value, json};

#[derive(Args)]
pub struct PayArgs {
    /// JSON-RPC of the domain the payer's SEC is on.
    #[arg(long, default_value = "http://127.0.0.1:8545/")]
    rpc: String,
    /// The payer's private key (hex). Never printed.
    #[arg(long, env = "SEC_KEY", hide_env_values = true)]
    key: Option<B256>,
    /// Recipient.
    #[arg(long)]
    to: Address,
    /// Amount of SEC ("12.5").
    #[arg(long)]
    amount: String,
    /// Longest wait for a cross-domain delivery, in seconds.
    #[arg(long, default_value_t = 120)]
    timeout: u64,
}

#[derive(Args)]
pub struct HomeArgs {
    /// JSON-RPC of a domain of the chain.
    #[arg(long, default_value = "http://127.0.0.1:8545/")]
    rpc: String,
    /// The account's private key (hex), for `set`. Never printed.
    #[arg(long, env = "SEC_KEY", hide_env_values = true)]
    key: Option<B256>,
    #[command(subcommand)]
    command: HomeCommand,
}

#[derive(Subcommand)]
enum HomeCommand {
    /// Makes the domain at `--rpc` the account's home (from there, by a message to the hub).
    Set,
    /// Moves the account to domain `--to`: its SEC on the domain at `--rpc` (all of it but
    /// the fee, or `--amount`) goes there by a cross-domain message, then the hub learns the
    /// new home by a message from there.
    Move {
        /// The new home domain.
        #[arg(long)]
        to: u32,
        /// SEC to carry ("12.5"; default: the whole balance less this transaction's fee).
        #[arg(long)]
        amount: Option<String>,
    },
    /// Applies the domain convergence rule (contracts/TRADE.md) to the account: its trades
    /// completed in the last 30 days on every domain, each counterparty's home from the hub; if
    /// a strict majority of at least 2 live on one other domain, moves there as `move` does.
    Converge {
        /// Only say what the rule decides.
        #[arg(long)]
        dry_run: bool,
    },
    /// An account's home domain.
    Get {
        /// The account.
        #[arg(long)]
        address: Address,
    },
}

async fn home_of(client: &L1Client, account: Address) -> Result<(u32, bool)> {
    let h: Value = client.request("sec_homeDomain", vec![json!(account)]).await?;
    Ok((h["domain"].as_u64().unwrap_or_default() as u32, h["set"].as_bool().unwrap_or(false)))
}

fn signer(key: Option<B256>) -> Result<PrivateKeySigner> {
    let key = key.context("give --key or set SEC_KEY")?;
    PrivateKeySigner::from_bytes(&key).context("--key")
}

/// Makes the domain `client` is on the account's home; that domain.
async fn set_home(client: &L1Client) -> Result<u32> {
    let here = domain_of(client).await?;
    if here == 0 {
        let call = HomeDirectory::setHomeCall { domain: 0 };
        client.send_call(HOME_DIRECTORY, call, U256::ZERO).await?;
    } else {
        let data = HomeDirectory::setHomeFromMessageCall {}.abi_encode().into();
        let call = CrossDomain::sendCall { dstDomain: 0, to: HOME_DIRECTORY, data };
        let receipt = client.send_call(CROSS_DOMAIN, call, U256::ZERO).await?;
        let status =
            wait_for_delivery(client, sent_message_hash(&receipt)?, Duration::from_secs(120))
                .await?
                .status;
        if status != "delivered" {
            bail!("the hub refused the home ({status})");
        }
    }
    Ok(here)
}

pub async fn pay(args: PayArgs) -> Result<()> {
    let client = L1Client::connect(&args.rpc, signer(args.key)?).await?;
    let value: U256 = parse_units(&args.amount, 18).context("--amount")?.into();
    let here = domain_of(&client).await?;
    let (home, set) = home_of(&client, args.to).await?;
    if !set || home == here {
        let receipt = client.send(TxKind::Call(args.to), Bytes::new(), value).await?;
        println!(
            "paid {} SEC to {} on domain {here} in block {}{}",
            args.amount,
            args.to,
            receipt.block(),
            if set { " (its home)" } else { " (it has no home in the hub's directory)" }
        );
        return Ok(());
    }
    let call = CrossDomain::sendCall { dstDomain: home, to: args.to, data: Bytes::new() };
    let receipt = client.send_call(CROSS_DOMAIN, call, value).await?;
    let hash = sent_message_hash(&receipt)?;
    println!(
        "sent {} SEC from domain {here} to {} on its home domain {home}: message {hash}",
        args.amount, args.to
    );
    let status = wait_for_delivery(&client, hash, Duration::from_secs(args.timeout)).await?.status;
    println!("message {hash} {status} on domain {home}");
    Ok(())
}

pub async fn home(args: HomeArgs) -> Result<()> {
    match args.command {
        HomeCommand::Get { address } => {
            let client = L1Client::connect(&args.rpc, PrivateKeySigner::random()).await?;
            match home_of(&client, address).await? {
                (d, true) => println!("{address} lives on domain {d}"),
                (_, false) => println!("{address} has no home in the hub's directory"),
            }
        }
        HomeCommand::Set => {
            let client = L1Client::connect(&args.rpc, signer(args.key)?).await?;
            let here = set_home(&client).await?;
            println!("{} lives on domain {here}", client.address());
        }
        HomeCommand::Move { to, amount } => {
            move_home(signer(args.key)?, &args.rpc, to, amount).await?;
        }
        HomeCommand::Converge { dry_run } => {
            converge(signer(args.key)?, &args.rpc, dry_run).await?;
        }
    }
    Ok(())
}

/// Carries the account's SEC on the domain at `rpc` (all of it but the fee, or `amount`) to
/// domain `to` by a message, then tells the hub from there that it lives on `to`.
async fn move_home(
    key: PrivateKeySigner,
    rpc: &str,
    to: u32,
    amount: Option<String>,
) -> Result<()> {
    let client = L1Client::connect(rpc, key.clone()).await?;
    let here = domain_of(&client).await?;
    if here == to {
        bail!("the account is on domain {to} already: `sec home set` there");
    }
    let me = client.address();
    let call = CrossDomain::sendCall { dstDomain: to, to: me, data: Bytes::new() };
    let value: U256 = match amount {
        Some(a) => parse_units(&a, 18).context("--amount")?.into(),
        None => {
            // the whole balance less the fee this send can cost at most, twice over: the fee
            // cap is read again when the transaction is signed, and the base fee may have risen
            let data: Bytes = call.abi_encode().into();
            let gas = client.estimate_gas(TxKind::Call(CROSS_DOMAIN), &data, U256::ZERO).await?;
            let fees = client.fees().await?;
            let limit = gas.saturating_mul(6) / 5 + 10_000;
            let fee = U256::from(2 * limit) * U256::from(fees.max_fee_per_gas);
            client.balance(me).await?.checked_sub(fee).context("nothing to move")?
        }
    };
    let receipt = client.send_call(CROSS_DOMAIN, call, value).await?;
    let status = wait_for_delivery(&client, sent_message_hash(&receipt)?, Duration::from_secs(120))
        .await?
        .status;
    println!(
        "moved {} SEC from domain {here} to domain {to} ({status})",
        sec_trade::words::sec(value)
    );
    let urls = crate::bridge::domain_urls(rpc).await?;
    let there = urls.get(to as usize).with_context(|| format!("no domain {to}"))?;
    let client = L1Client::connect(there, key).await?;
    set_home(&client).await?;
    println!("{me} lives on domain {to}");
    Ok(())
}

/// The convergence period: trades completed within it count (`TrustIndex.CONVERGENCE_PERIOD`).
const CONVERGENCE_PERIOD_SECS: u64 = 30 * 86_400;

/// The domain convergence rule applied to the account of `key`, from its trades on every
/// domain of the node at `rpc`. A trade counts if it is completed and was paid within the last
/// period (the escrow records when an offer was paid, not when it completed). A counterparty
/// without a home in the directory counts as living on the domain of the offer.
async fn converge(key: PrivateKeySigner, rpc: &str, dry_run: bool) -> Result<()> {
    let urls = crate::bridge::domain_urls(rpc).await?;
    let hub =
        L1Client::connect(urls.first().context("the node lists no domain")?, key.clone()).await?;
    let me = hub.address();
    let (home, set) = match home_of(&hub, me).await? {
        (d, true) => (d, true),
        (_, false) => (domain_of(&L1Client::connect(rpc, key.clone()).await?).await?, false),
    };
    let since =
        hub.block(None).await?.timestamp.to::<u64>().saturating_sub(CONVERGENCE_PERIOD_SECS);
    let mut partner_homes = Vec::new();
    let mut banned = false;
    for (domain, url) in urls.iter().enumerate() {
        let client = L1Client::connect(url, key.clone()).await?;
        let standing: Value = client.request("sec_trustIndex", vec![json!(me)]).await?;
        banned |= standing["banned"].as_bool().unwrap_or(false);
        let mut before: Option<u64> = None;
        loop {
            let mut params = vec![json!(me), json!("latest")];
            if let Some(b) = before {
                params.push(json!(b));
            }
            let page: Value = client.request("sec_trades", params).await?;
            for o in page["offers"].as_array().into_iter().flatten() {
                let paid = o["paidAt"].as_u64().unwrap_or_default();
                if o["stage"] != "Completed" || paid < since {
                    continue;
                }
                let partner = match o["role"].as_str() {
                    Some("seller") => &o["buyer"],
                    Some("buyer") => &o["seller"],
                    _ => continue,
                };
                let partner: Address =
                    serde_json::from_value(partner.clone()).context("sec_trades: a party")?;
                partner_homes.push(match home_of(&hub, partner).await? {
                    (d, true) => d,
                    (_, false) => domain as u32,
                });
            }
            match page["before"].as_u64() {
                Some(b) if page["complete"] != true => before = Some(b),
                _ => break,
            }
        }
    }
    let mut counts = std::collections::BTreeMap::<u32, usize>::new();
    for d in &partner_homes {
        *counts.entry(*d).or_default() += 1;
    }
    let by_domain: Vec<String> =
        counts.iter().map(|(d, n)| format!("{n} with domain {d}")).collect();
    println!(
        "{me} lives on domain {home}{}; {} trade(s) completed in the last 30 days{}",
        if set { "" } else { " (no home in the hub's directory: where --rpc points)" },
        partner_homes.len(),
        if by_domain.is_empty() { String::new() } else { format!(": {}", by_domain.join(", ")) }
    );
    let target = if banned { None } else { convergence_target(home, &partner_homes) };
    match target {
        None if banned => println!("stays: a banned account does not move"),
        None => println!(
            "stays: the rule moves an account when at least {MIN_TRADES_TO_MOVE} of its trades, \
             and more than half, were with one other domain"
        ),
        Some(to) if dry_run => println!("would move to domain {to} (--dry-run: nothing sent)"),
        Some(to) => {
            println!("moves to domain {to}, where most of its trades were");
            let from = urls.get(home as usize).with_context(|| format!("no domain {home}"))?;
            move_home(key, from, to, None).await?;
        }
    }
    Ok(())
}
