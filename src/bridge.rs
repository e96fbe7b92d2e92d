//! `sec bridge`: the bridge from the command line. A token holder's `deposit` locks SEC, ETH or
//! an ERC-20 in `L1Bridge` and waits, with a progress line, until a domain credited it;
//! `withdraw` burns on a domain and prints the withdrawal's hash; `finalize` waits for the
//! checkpoint that covers it and has L1 pay it; `status` tells where a deposit is. The relayer,
//! `checkpoint`, submits the chain's checkpoints. Sending and reading are `sec-bridge`'s; this
//! module holds the commands, their words and what they print.

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
    /// Every stage of a deposit (locked on L1, credited on its domain) or of a withdrawal
    /// (started, covered by a checkpoint, paid on L1), with its block and time.
    #[command(group(clap::ArgGroup::new("what").required(true).args(["deposit", "withdrawal"])))]
    Status {
        /// The deposit's nonce (printed by `sec bridge deposit`).
        #[arg(long)]
        deposit: Option<u64>,
        /// The withdrawal's hash (printed by `sec bridge withdraw`).
        #[arg(long)]
        withdrawal: Option<B256>,
    },
    /// The supply audit (`sec_supplyAudit` of the node at `--rpc`): per token, what L1 locks,
    /// what the domains hold and what is in flight between them, and whether they balance.
    /// Exits with an error when they do not.
    Audit {
        /// Other L1 ERC-20s to audit besides SEC and ETH.
        #[arg(long, value_delimiter = ',')]
        tokens: Vec<Address>,
    },
    /// Withdraws from the domain at `--rpc` to an L1 address: burns the tokens (or native
    /// SEC) and prints the withdrawal's hash, which `finalize` takes.
    Withdraw {
        /// `SEC` (native), or the bridged token's address on the domain.
        #[arg(long)]
        token: String,
        /// Amount in whole units ("12.5").
        #[arg(long)]
        amount: String,
        /// Recipient on L1 (default: the sender's own address).
        #[arg(long)]
        to: Option<Address>,
    },
    /// Pays a withdrawal on L1: waits until a checkpoint covers it, then proves it to
    /// `L1Bridge` (with the proof the node at `--rpc` serves).
    Finalize {
        /// The withdrawal's hash (printed by `sec bridge withdraw`).
        #[arg(long)]
        withdrawal: B256,
        /// Longest wait for the checkpoint, in seconds.
        #[arg(long, default_value_t = 600)]
        timeout: u64,
    },
    /// The checkpoint relayer: every interval, builds the next checkpoint from the domains'
    /// finalized blocks, signs it with the validator keys in `SEC_VALIDATOR_KEYS`
    /// (comma-separated hex) and submits it from the `--key` account.
    Checkpoint {
        /// Seconds between checkpoints.
        #[arg(long, default_value_t = 60)]
        interval: u64,
        /// Submit one checkpoint now and exit (a refusal is an error, in words).
        #[arg(long)]
        once: bool,
        /// Validator nodes' JSON-RPC URLs (comma-separated): each checks the checkpoint
        /// against its own chain and signs it with its key (`sec_signCheckpoint`).
        #[arg(long, value_delimiter = ',')]
        validator_rpc: Vec<String>,
        /// Validator keys (hex, comma-separated) the relayer signs with itself, for a chain
        /// whose validators run no nodes (a single-producer devnet). Never printed.
        #[arg(long, env = "SEC_VALIDATOR_KEYS", hide_env_values = true, value_delimiter = ',')]
        validator_keys: Vec<B256>,
    },
}

/// What the bridge contracts' refusals (L1 and L2; `ZeroAmount` and `ZeroAddress` have the
/// same selector in both) mean, in words.
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
    if let Ok(x) = sec_contracts::bindings::L2Bridge::UnknownToken::abi_decode(data) {
        return Some(format!("{} is not a bridged token", x.token));
    }
    {
        use sec_contracts::bindings::CheckpointManager as C;
        if let Ok(x) = C::InsufficientStake::abi_decode(data) {
            return Some(format!(
                "the signatures carry {} of the set's {} stake; a checkpoint needs more than 2/3",
                x.signed, x.total
            ));
        }
        if let Ok(x) = C::UnknownSigner::abi_decode(data) {
            return Some(format!(
                "{} is not a validator of the set the checkpoint names",
                x.signer
            ));
        }
        if let Ok(x) = C::NonConsecutiveId::abi_decode(data) {
            return Some(format!(
                "checkpoint {} is not the next one: L1 expects {}",
                x.got, x.expected
            ));
        }
        if C::NoSignatures::abi_decode(data).is_ok() {
            return Some("no validator key given signs for the active set".into());
        }
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

/// A block's number and time, on the chain `client` reads.
async fn block_line(client: &L1Client, number: u64) -> String {
    match client.block(Some(number)).await {
        Ok(b) => format!("block {number}, {}", sec_trade::words::time(U256::from(b.timestamp))),
        Err(_) => format!("block {number}"),
    }
}

/// The deployment record and an L1 reader (no key needed).
async fn l1_reader(args: &BridgeArgs) -> Result<(L1Deployment, L1Client)> {
    let deployment = L1Deployment::load(&args.l1_deployment)
        .with_context(|| format!("reading {}", args.l1_deployment.display()))?;
    let l1 = L1Client::connect(&args.l1_rpc, PrivateKeySigner::random()).await?;
    Ok((deployment, l1))
}

async fn deposit_stages(args: &BridgeArgs, nonce: u64) -> Result<()> {
    use alloy::{rpc::types::Filter, sol_types::SolEvent};
    let (deployment, l1) = l1_reader(args).await?;
    let filter = Filter::new()
        .address(deployment.addresses.l1_bridge)
        .event_signature(L1Bridge::Deposit::SIGNATURE_HASH)
        .topic1(B256::from(U256::from(nonce)))
        .from_block(deployment.block);
    let Some(log) = l1.logs(&filter).await?.into_iter().next() else {
        bail!("L1 has no deposit {nonce}");
    };
    let e = L1Bridge::Deposit::decode_log(&log.inner)?;
    println!("deposit {nonce}: to {} on domain {}", e.to, e.domain);
    let locked = block_line(&l1, log.block_number.unwrap_or_default()).await;
    println!("  locked on L1      {locked}");
    let d = deposit_status(&args.rpc, nonce).await?;
    if d.is_null() {
        println!("  credited          not yet (waiting for its confirmations)");
        return Ok(());
    }
    let urls = domain_urls(&args.rpc).await?;
    let url = urls.get(e.domain as usize).context("the node has no such domain")?;
    let l2 = L1Client::connect(url, PrivateKeySigner::random()).await?;
    let credited = block_line(&l2, quantity(&d["blockNumber"])).await;
    println!(
        "  credited          {credited}, transaction {} ({})",
        d["transactionHash"].as_str().unwrap_or_default(),
        d["status"].as_str().unwrap_or_default()
    );
    Ok(())
}

async fn withdrawal_stages(args: &BridgeArgs, hash: B256) -> Result<()> {
    use alloy::{rpc::types::Filter, sol_types::SolEvent};
    let node = L1Client::connect(&args.rpc, PrivateKeySigner::random()).await?;
    let m: Value = node.request("sec_getMessage", vec![json!(hash)]).await?;
    if m.is_null() {
        bail!("no domain of the chain at {} sent {hash}", args.rpc);
    }
    let src = m["message"]["srcDomain"].as_u64().unwrap_or_default();
    let urls = domain_urls(&args.rpc).await?;
    let l2 = L1Client::connect(
        urls.get(src as usize).context("no such domain")?,
        PrivateKeySigner::random(),
    )
    .await?;
    println!("withdrawal {hash}: to {} on L1", m["message"]["to"].as_str().unwrap_or_default());
    println!(
        "  started           domain {src} {}",
        block_line(&l2, quantity(&m["blockNumber"])).await
    );
    let p: Value = node.request("sec_getWithdrawalProof", vec![json!(hash)]).await?;
    if p["status"] != "proven" {
        println!("  checkpoint        not yet (last checkpoint {})", p["lastCheckpoint"]);
        return Ok(());
    }
    let submitted = p["submittedAt"].as_u64().unwrap_or_default();
    println!(
        "  checkpoint        {} accepted on L1, {}",
        p["checkpointId"],
        sec_trade::words::time(U256::from(submitted))
    );
    let (deployment, l1) = l1_reader(args).await?;
    let filter = Filter::new()
        .address(deployment.addresses.l1_bridge)
        .event_signature(L1Bridge::WithdrawalFinalized::SIGNATURE_HASH)
        .topic1(hash)
        .from_block(deployment.block);
    match l1.logs(&filter).await?.into_iter().next() {
        Some(log) => {
            let paid = block_line(&l1, log.block_number.unwrap_or_default()).await;
            println!("  paid on L1        {paid}");
        }
        None => println!("  paid on L1        not yet (sec bridge finalize --withdrawal {hash})"),
    }
    Ok(())
}

/// The domains' JSON-RPC URLs, from the node's `sec_domains` at `rpc`.
pub async fn domain_urls(rpc: &str) -> Result<Vec<String>> {
    let client = L1Client::connect(rpc, PrivateKeySigner::random()).await?;
    let domains: Vec<Value> = client.request("sec_domains", vec![]).await?;
    let base = rpc.trim_end_matches('/');
    let base = base.split("/domain/").next().unwrap_or(base);
    Ok(domains.iter().map(|d| format!("{base}{}", d["path"].as_str().unwrap_or("/"))).collect())
}

async fn withdraw(args: &BridgeArgs, token: &str, amount: &str, to: Option<Address>) -> Result<()> {
    use sec_contracts::{bindings::L2Bridge, predeploy::L2_BRIDGE};
    let key = args.key.context("give --key or set SEC_KEY (the account on the domain)")?;
    let l2 =
        L1Client::connect(&args.rpc, PrivateKeySigner::from_bytes(&key).context("--key")?).await?;
    let to = to.unwrap_or(l2.address());
    let (token, value, amount) = if token.eq_ignore_ascii_case("SEC") {
        let v: U256 = parse_units(amount, 18).context("--amount")?.into();
        (Address::ZERO, v, v)
    } else {
        let address: Address = token.parse().context("--token: SEC or a bridged token address")?;
        let decimals = l2.view(address, SECToken::decimalsCall {}).await.context("--token")?;
        let v: U256 = parse_units(amount, decimals).context("--amount")?.into();
        (address, U256::ZERO, v)
    };
    let call = L2Bridge::withdrawCall { token, l1Recipient: to, amount };
    let receipt = l2.send_call(L2_BRIDGE, call, value).await.map_err(explain)?;
    let hash = receipt
        .logs
        .iter()
        .find_map(|l| {
            use alloy::sol_types::SolEvent;
            L2Bridge::WithdrawalInitiated::decode_log(&l.inner).ok()
        })
        .map(|e| e.withdrawalHash)
        .context("no WithdrawalInitiated event")?;
    println!("withdrawal {hash} started in block {} for {to} on L1", receipt.block());
    println!("  once a checkpoint covers it: sec bridge finalize --withdrawal {hash}");
    Ok(())
}

/// A wait that polls often and redraws its progress line once a second.
struct Progress {
    started: std::time::Instant,
    shown: Option<u64>,
}

impl Progress {
    fn start() -> Self {
        Self { started: std::time::Instant::now(), shown: None }
    }

    /// The whole seconds waited, when a new one has begun since the last line was drawn.
    fn due(&mut self) -> Option<u64> {
        let seconds = self.started.elapsed().as_secs();
        (self.shown != Some(seconds)).then(|| {
            self.shown = Some(seconds);
            seconds
        })
    }

    fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

async fn finalize(args: &BridgeArgs, hash: B256, timeout: u64) -> Result<()> {
    let mut progress = Progress::start();
    let key = args.key.context("give --key or set SEC_KEY (the L1 account that sends)")?;
    let deployment = L1Deployment::load(&args.l1_deployment)
        .with_context(|| format!("reading {}", args.l1_deployment.display()))?;
    let a = deployment.addresses;
    let l1 = L1Client::connect(&args.l1_rpc, PrivateKeySigner::from_bytes(&key).context("--key")?)
        .await?;
    let node = L1Client::connect(&args.rpc, PrivateKeySigner::random()).await?;
    let proof = loop {
        let p: Value = node.request("sec_getWithdrawalProof", vec![json!(hash)]).await?;
        match p["status"].as_str() {
            Some("proven") => break p,
            // the proof is looked for five times a second, the line redrawn once a second
            Some(_) => {
                if let Some(seconds) = progress.due() {
                    eprint!(
                        "\rwaiting for a checkpoint to cover block {} of domain {} (last checkpoint {}, {seconds} s)   ",
                        quantity(&p["blockNumber"]),
                        p["srcDomain"],
                        p["lastCheckpoint"],
                    );
                }
            }
            None => bail!("no domain of the chain at {} sent withdrawal {hash}", args.rpc),
        }
        if progress.elapsed() > Duration::from_secs(timeout) {
            eprintln!();
            bail!("no checkpoint covers withdrawal {hash} after {timeout} s");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let finalizable = progress.elapsed();
    let withdrawal: sec_primitives::message::Withdrawal =
        serde_json::from_value(proof["withdrawal"].clone()).context("withdrawal")?;
    let path: Vec<B256> = serde_json::from_value(proof["proof"].clone()).context("proof")?;
    let id = proof["checkpointId"].as_u64().context("checkpointId")?;
    let done = sec_bridge::withdrawal::finalize_withdrawal(
        &l1,
        a.l1_bridge,
        a.checkpoint_manager,
        &withdrawal,
        id,
        path,
    )
    .await
    .map_err(explain)?;
    let (symbol, decimals) = if done.token == Address::ZERO {
        ("ETH".to_string(), 18)
    } else {
        let symbol = l1.view(done.token, SECToken::symbolCall {}).await.unwrap_or_default();
        (symbol, l1.view(done.token, SECToken::decimalsCall {}).await.unwrap_or(18))
    };
    let amount = sec_trade::words::units(done.amount, decimals);
    println!(
        "withdrawal {hash} paid on L1 in block {} under checkpoint {id}: {amount} {symbol} to {}{}",
        done.block,
        done.recipient,
        if done.paid { "" } else { " (payout failed: retry with L1Bridge.retryPayout)" }
    );
    println!(
        "  finalizable {:.2} s after this command started, paid {:.2} s after",
        finalizable.as_secs_f64(),
        progress.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn checkpoint(
    args: &BridgeArgs,
    interval: u64,
    once: bool,
    validator_rpc: &[String],
    keys: &[B256],
) -> Result<()> {
    let key = args.key.context("give --key or set SEC_KEY (the L1 account that submits)")?;
    let deployment = L1Deployment::load(&args.l1_deployment)
        .with_context(|| format!("reading {}", args.l1_deployment.display()))?;
    let l1 = L1Client::connect(&args.l1_rpc, PrivateKeySigner::from_bytes(&key).context("--key")?)
        .await?;
    let signers = keys
        .iter()
        .map(|k| PrivateKeySigner::from_bytes(k).context("SEC_VALIDATOR_KEYS"))
        .collect::<Result<Vec<_>>>()?;
    let config = sec_bridge::checkpointer::CheckpointerConfig {
        domains: domain_urls(&args.rpc).await?,
        signers,
        validators: validator_rpc.to_vec(),
        interval: Duration::from_secs(interval.max(1)),
    };
    if once {
        let connect = |urls: Vec<String>| async move {
            let mut clients = Vec::with_capacity(urls.len());
            for url in &urls {
                clients.push(L1Client::connect(url, PrivateKeySigner::random()).await?);
            }
            Ok::<_, BridgeError>(clients)
        };
        let domains = connect(config.domains.clone()).await?;
        let validators = connect(config.validators.clone()).await?;
        let next = sec_bridge::checkpointer::submit_next(
            &l1,
            &deployment.addresses,
            &domains,
            &config.signers,
            &validators,
        )
        .await
        .map_err(explain)?;
        match next {
            Some(c) => println!(
                "checkpoint {} accepted in L1 block {} (signed stake {})",
                c.id, c.block, c.signed_stake
            ),
            None => println!("no new finalized blocks to checkpoint"),
        }
        return Ok(());
    }
    println!(
        "checkpoint relayer: {} domains, {} validator nodes, {} validator keys, every {interval} s",
        config.domains.len(),
        config.validators.len(),
        config.signers.len()
    );
    let stop = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    sec_bridge::checkpointer::run(l1, deployment.addresses, config, stop).await?;
    Ok(())
}

pub async fn run(args: BridgeArgs) -> Result<()> {
    match &args.command {
        BridgeCommand::Withdraw { token, amount, to } => withdraw(&args, token, amount, *to).await,
        BridgeCommand::Finalize { withdrawal, timeout } => {
            finalize(&args, *withdrawal, *timeout).await
        }
        BridgeCommand::Checkpoint { interval, once, validator_rpc, validator_keys } => {
            checkpoint(&args, *interval, *once, validator_rpc, validator_keys).await
        }
        BridgeCommand::Status { deposit: Some(nonce), .. } => deposit_stages(&args, *nonce).await,
        BridgeCommand::Status { withdrawal: Some(hash), .. } => {
            withdrawal_stages(&args, *hash).await
        }
        BridgeCommand::Status { .. } => bail!("give --deposit or --withdrawal"),
        BridgeCommand::Audit { tokens } => audit(&args, tokens).await,
        BridgeCommand::Deposit { token, amount, domain, to, no_wait, timeout } => {
            deposit_and_wait(&args, token, amount, *domain, *to, *no_wait, *timeout).await
        }
    }
}

async fn deposit_and_wait(
    args: &BridgeArgs,
    token: &str,
    amount: &str,
    domain: u32,
    to: Option<Address>,
    no_wait: bool,
    timeout: u64,
) -> Result<()> {
    let key = args.key.context("give --key or set SEC_KEY (the L1 account)")?;
    let signer = PrivateKeySigner::from_bytes(&key).context("--key")?;
    let deployment = L1Deployment::load(&args.l1_deployment)
        .with_context(|| format!("reading {}", args.l1_deployment.display()))?;
    let a = deployment.addresses;
    let l1 = L1Client::connect(&args.l1_rpc, signer).await?;
    let to = to.unwrap_or(l1.address());
    let d = match token.to_ascii_uppercase().as_str() {
        "SEC" => {
            let value: U256 = parse_units(amount, 18).context("--amount")?.into();
            deposit::deposit_sec(&l1, a.l1_bridge, a.token, domain, to, value).await
        }
        "ETH" => {
            let value: U256 = parse_units(amount, 18).context("--amount")?.into();
            deposit::deposit_eth(&l1, a.l1_bridge, domain, to, value).await
        }
        _ => {
            let address: Address = token.parse().context("--token: SEC, ETH or an address")?;
            let decimals = l1
                .view(address, SECToken::decimalsCall {})
                .await
                .context("--token is not an ERC-20 (no decimals())")?;
            let value: U256 = parse_units(amount, decimals).context("--amount")?.into();
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
    // the receipt arrived (it is polled every 100 ms): the deposit is in an L1 block from here
    let mut progress = Progress::start();
    loop {
        let c = deposit_status(&args.rpc, d.nonce).await?;
        if !c.is_null() {
            eprintln!();
            print_credited(&c);
            println!("  {:.2} s from its L1 block to the credit", progress.elapsed().as_secs_f64());
            return Ok(());
        }
        // the credit is looked for five times a second, the line redrawn once a second
        if let Some(seconds) = progress.due() {
            let head = l1.block_number().await.unwrap_or(d.block);
            eprint!(
                "\rwaiting for domain {}: L1 block {} of the deposit, L1 head {} ({seconds} s)   ",
                d.domain, d.block, head,
            );
        }
        if progress.elapsed() > Duration::from_secs(timeout) {
            eprintln!();
            bail!(
                "deposit {} not credited after {timeout} s; `sec bridge status --deposit {}` follows it",
                d.nonce,
                d.nonce
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Prints `sec_supplyAudit`, one token per block of lines, amounts in whole units.
async fn audit(args: &BridgeArgs, tokens: &[Address]) -> Result<()> {
    let client = L1Client::connect(&args.rpc, PrivateKeySigner::random()).await?;
    let report: Value = client.request("sec_supplyAudit", vec![json!(tokens)]).await?;
    // SEC and ETH in whole units (18 decimals); other tokens in their smallest unit
    let amount = |v: &Value, whole: bool| -> String {
        let text = v.as_str().unwrap_or("0");
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let value = if let Some(hex) = digits.strip_prefix("0x") {
            U256::from_str_radix(hex, 16).unwrap_or_default()
        } else {
            U256::from_str_radix(digits, 10).unwrap_or_default()
        };
        let shown = if whole { sec_trade::words::sec(value) } else { value.to_string() };
        format!("{}{shown}", if negative { "-" } else { "" })
    };
    println!("supply audit at L1 block {}", amount(&report["l1Block"]["number"], false));
    for t in report["tokens"].as_array().into_iter().flatten() {
        let whole = matches!(t["token"].as_str(), Some("SEC" | "ETH"));
        println!(
            "{}: {}",
            t["token"].as_str().unwrap_or("?"),
            if t["balanced"] == true { "balanced" } else { "NOT BALANCED" }
        );
        for (label, key) in [
            ("locked on L1", "l1Locked"),
            ("allocated at genesis", "genesisAllocated"),
            ("on the domains", "onDomains"),
            ("burned as fees", "feesBurned"),
            ("deposits in flight", "depositsInFlight"),
            ("messages in flight", "messagesInFlight"),
            ("withdrawals in flight", "withdrawalsInFlight"),
            ("difference", "difference"),
        ] {
            println!("  {label:<22} {}", amount(&t[key], whole));
        }
    }
    if report["balanced"] != true {
        bail!("the supply does not balance");
    }
    Ok(())
}
