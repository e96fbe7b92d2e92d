//! `sec bench`: throughput and latency of any Ethereum JSON-RPC endpoint, measured with
//! pre-signed ERC-20 transfers.
//!
//! Per endpoint (a domain, or any other node): deploy a minimal ERC-20, fund `senders` fresh
//! accounts with gas and tokens, pre-sign every transfer, then submit them with
//! `eth_sendRawTransaction`. By default as wallets and exchanges do: one transaction per HTTP
//! request, `concurrency` requests in flight, every transfer to a fresh recipient (a new
//! storage slot, ~51,000 gas). `--batch N` sends JSON-RPC batches of N instead and
//! `--reuse-recipients N` cycles through N recipients; both are reported beside the figure.
//! Transfers go out in rounds of one transaction per sender, so that a sender's next nonce
//! arrives many requests after the previous one and a node without a nonce queue (hardhat's
//! automine) never sees a nonce gap. Inclusion is observed by following new blocks; latency is the time from a
//! transaction's submission to the first sight of the block that holds it.

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use alloy::{
    consensus::{SignableTransaction, TxEip1559, TxEnvelope},
    eips::eip2718::Encodable2718,
    signers::{SignerSync, local::PrivateKeySigner},
};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, hex, keccak256};
use anyhow::{Context, Result, bail};
use clap::Args;
use jsonrpsee::{
    core::{client::ClientT, params::BatchRequestBuilder},
    http_client::{HttpClient, HttpClientBuilder},
    rpc_params,
};
use rayon::prelude::*;
use sec_primitives::{DEV_MNEMONIC, dev_signers};
use serde_json::Value;

/// Creation code of the benchmark ERC-20 (`BenchToken.sol`, solc 0.8.37, optimizer, prague).
const TOKEN_CODE: &str = include_str!("BenchToken.bin");

#[derive(Args, Debug, Clone)]
pub struct BenchArgs {
    /// JSON-RPC endpoints; each is measured as an independent chain, all at the same time.
    #[arg(long = "rpc", required = true, num_args = 1..)]
    rpc: Vec<String>,
    /// Senders per endpoint.
    #[arg(long, default_value_t = 200)]
    senders: usize,
    /// Transfers per endpoint.
    #[arg(long, default_value_t = 20_000)]
    txs: usize,
    /// Target submission rate per endpoint in tx/s; 0 submits as fast as possible.
    #[arg(long, default_value_t = 0.0)]
    rate: f64,
    /// Transactions per JSON-RPC batch; 1 sends each as a plain request (what wallets do).
    #[arg(long, default_value_t = 1)]
    batch: usize,
    /// Concurrent HTTP connections per endpoint (clients; batches are spread over them).
    #[arg(long, default_value_t = 4)]
    connections: usize,
    /// Requests in flight per endpoint when `--batch 1`.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// With `--batch 1`: send the transactions over WebSocket connections to each endpoint
    /// (`ws://` for `http://`, the same path), as wallets that keep a socket open do; the setup
    /// and the block following stay on HTTP.
    #[arg(long)]
    ws: bool,
    /// Send to this many recipients over and over instead of a fresh one per transfer
    /// (reused recipients write existing storage slots: ~34,500 gas instead of ~51,000).
    #[arg(long)]
    reuse_recipients: Option<usize>,
    /// Key that pays for the setup (default: dev account 0).
    #[arg(long)]
    funder_key: Option<B256>,
    /// Processes whose peak resident memory to report (the nodes under test).
    #[arg(long = "pid")]
    pids: Vec<u32>,
    /// A label printed with the results.
    #[arg(long, default_value = "")]
    label: String,
    /// Seed for the sender keys; distinct seeds let runs against one chain not collide.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

fn client(url: &str) -> Result<HttpClient> {
    Ok(HttpClientBuilder::default()
        .request_timeout(Duration::from_secs(120))
        .max_request_size(256 * 1024 * 1024)
        .max_response_size(256 * 1024 * 1024)
        .build(url)?)
}

async fn quantity(
    c: &HttpClient,
    method: &str,
    params: jsonrpsee::core::params::ArrayParams,
) -> Result<u64> {
    let v: String = c.request(method, params).await.with_context(|| method.to_string())?;
    Ok(u64::from_str_radix(v.trim_start_matches("0x"), 16)?)
}

struct Chain {
    url: String,
    chain_id: u64,
    clients: Vec<HttpClient>,
}

/// Fee and chain settings every transaction of one endpoint shares.
#[derive(Clone, Copy)]
struct Fees {
    chain_id: u64,
    max_fee: u128,
}

/// Signs an EIP-1559 transaction; returns its hash and encoding.
fn sign(
    key: &PrivateKeySigner,
    fees: Fees,
    nonce: u64,
    to: TxKind,
    value: U256,
    input: Bytes,
    gas: u64,
) -> Result<(B256, Bytes)> {
    let tx = TxEip1559 {
        chain_id: fees.chain_id,
        nonce,
        gas_limit: gas,
        max_fee_per_gas: fees.max_fee,
        max_priority_fee_per_gas: 1_000_000_000.min(fees.max_fee),
        to,
        value,
        input,
        access_list: Default::default(),
    };
    let sig = key.sign_hash_sync(&tx.signature_hash())?;
    let env = TxEnvelope::from(tx.into_signed(sig));
    Ok((*env.tx_hash(), Bytes::from(env.encoded_2718())))
}

fn transfer_data(to: Address, amount: U256) -> Bytes {
    let mut data = hex::decode("a9059cbb").expect("constant selector").to_vec();
    data.extend_from_slice(&[0u8; 12]);
    data.extend_from_slice(to.as_slice());
    data.extend_from_slice(&amount.to_be_bytes::<32>());
    data.into()
}

async fn wait_receipt(c: &HttpClient, hash: B256) -> Result<Value> {
    let started = Instant::now();
    loop {
        let r: Value = c.request("eth_getTransactionReceipt", rpc_params![hash]).await?;
        if !r.is_null() {
            if r["status"] != "0x1" {
                bail!("setup transaction {hash} failed: {r}");
            }
            return Ok(r);
        }
        if started.elapsed() > Duration::from_secs(120) {
            bail!("setup transaction {hash} not included after 120 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Sends setup transactions one at a time (in nonce order) and waits for all of them.
///
/// In chunks of 500, waiting for each chunk's receipts: pools limit how many transactions one
/// account may have waiting.
async fn send_in_order(c: &HttpClient, raws: Vec<(B256, Bytes)>) -> Result<Vec<Value>> {
    let mut receipts = Vec::new();
    for chunk in raws.chunks(500) {
        for (_, raw) in chunk {
            let _: B256 = c
                .request("eth_sendRawTransaction", rpc_params![raw])
                .await
                .context("setup transaction")?;
        }
        for (hash, _) in chunk {
            receipts.push(wait_receipt(c, *hash).await?);
        }
    }
    Ok(receipts)
}

struct Prepared {
    /// rounds[r] = the r-th transfer of every sender.
    rounds: Vec<Vec<(B256, Bytes)>>,
}

async fn prepare(
    chain: &Chain,
    args: &BenchArgs,
    index: usize,
    funder: &PrivateKeySigner,
) -> Result<Prepared> {
    let c = &chain.clients[0];
    let gas_price = quantity(c, "eth_gasPrice", rpc_params![]).await?;
    let fee = (gas_price as u128) * 3 + 1_000_000_000;
    let fees = Fees { chain_id: chain.chain_id, max_fee: fee };
    let per_sender = args.txs.div_ceil(args.senders);
    // Senders are derived from the seed, endpoint and index: fresh accounts every run.
    let senders: Vec<PrivateKeySigner> = (0..args.senders)
        .into_par_iter()
        .map(|i| {
            let k = keccak256(format!("sec-bench/{}/{}/{}", args.seed, index, i));
            PrivateKeySigner::from_bytes(&k).context("sender key")
        })
        .collect::<Result<_>>()?;
    let mut nonce =
        quantity(c, "eth_getTransactionCount", rpc_params![funder.address(), "pending"]).await?;
    let code = Bytes::from(hex::decode(TOKEN_CODE.trim())?);
    let mut create = code.to_vec();
    create.extend_from_slice(&U256::MAX.to_be_bytes::<32>());
    let deploy = sign(funder, fees, nonce, TxKind::Create, U256::ZERO, create.into(), 1_500_000)?;
    nonce += 1;
    let receipt = send_in_order(c, vec![deploy]).await?;
    let token: Address =
        serde_json::from_value(receipt[0]["contractAddress"].clone()).context("token address")?;
    // Each sender gets gas for its transfers (60k gas each at `fee`) and tokens.
    let gas_money = U256::from(fee) * U256::from(60_000u64) * U256::from(per_sender as u64 + 1);
    let mut setup = Vec::new();
    for s in &senders {
        setup.push(sign(
            funder,
            fees,
            nonce,
            TxKind::Call(s.address()),
            gas_money,
            Bytes::new(),
            21_000,
        )?);
        nonce += 1;
        let data = transfer_data(s.address(), U256::from(per_sender as u64 * 1000));
        setup.push(sign(funder, fees, nonce, TxKind::Call(token), U256::ZERO, data, 80_000)?);
        nonce += 1;
    }
    send_in_order(c, setup).await?;
    eprintln!("[{}] deployed token {token}, funded {} senders", chain.url, senders.len());
    // Recipients: fresh for every transfer (state grows with transactions, as on a live
    // chain), or a fixed set when asked.
    let recipient = |i: usize, n: u64| match args.reuse_recipients {
        Some(k) => Address::from_word(keccak256(((i as u64 + n) % k.max(1) as u64).to_be_bytes())),
        None => Address::from_word(keccak256(format!("sec-bench/{}/{index}/{i}/{n}", args.seed))),
    };
    let signed: Vec<Vec<(B256, Bytes)>> = senders
        .par_iter()
        .enumerate()
        .map(|(i, s)| {
            (0..per_sender as u64)
                .map(|n| {
                    let to = recipient(i, n);
                    sign(
                        s,
                        fees,
                        n,
                        TxKind::Call(token),
                        U256::ZERO,
                        transfer_data(to, U256::from(1u64)),
                        60_000,
                    )
                })
                .collect::<Result<Vec<_>>>()
        })
        .collect::<Result<_>>()?;
    let mut rounds = vec![Vec::with_capacity(senders.len()); per_sender];
    for txs in signed {
        for (r, tx) in txs.into_iter().enumerate() {
            rounds[r].push(tx);
        }
    }
    let total: usize = rounds.iter().map(|r| r.len()).sum();
    let excess = total.saturating_sub(args.txs);
    if excess > 0
        && let Some(last) = rounds.last_mut()
    {
        last.truncate(last.len().saturating_sub(excess));
    }
    Ok(Prepared { rounds })
}

#[derive(Default, Debug)]
struct Outcome {
    submitted: usize,
    included: usize,
    rejected: usize,
    gas: u64,
    elapsed: f64,
    latencies: Vec<f64>,
    /// Answer time of each `eth_sendRawTransaction` (one-by-one mode only).
    send_latencies: Vec<f64>,
    failed: usize,
}

async fn run_chain(chain: Arc<Chain>, prepared: Prepared, args: BenchArgs) -> Result<Outcome> {
    let start = Instant::now();
    let submit_times: SubmitTimes = Default::default();
    let rejected = Arc::new(AtomicU64::new(0));
    let first_block = quantity(&chain.clients[0], "eth_blockNumber", rpc_params![]).await? + 1;
    let total: usize = prepared.rounds.iter().map(|r| r.len()).sum();

    // Follow blocks: inclusion time of each transaction, and gas.
    let done_submitting = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let follower = {
        let chain = chain.clone();
        let submit_times = submit_times.clone();
        let rejected = rejected.clone();
        let done_submitting = done_submitting.clone();
        tokio::spawn(async move {
            let c = &chain.clients[0];
            let mut next = first_block;
            let mut latencies = Vec::new();
            let mut gas = 0u64;
            let mut seen = 0usize;
            let mut last_inclusion = 0.0f64;
            let deadline = Duration::from_secs(600);
            let mut progress = Instant::now();
            while seen < total && start.elapsed() < deadline {
                // Transactions after a rejected one of the same sender can never be included:
                // stop once everything was sent and nothing moved for a while.
                if done_submitting.load(Ordering::Relaxed)
                    && progress.elapsed() > Duration::from_secs(20)
                {
                    break;
                }
                let head = quantity(c, "eth_blockNumber", rpc_params![]).await?;
                if head < next {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
                // New blocks in batches, so that a chain with a block per transaction (an
                // automining node) is followed as fast as it grows.
                let numbers: Vec<u64> = (next..=head).collect();
                for chunk in numbers.chunks(200) {
                    let mut batch = BatchRequestBuilder::new();
                    for n in chunk {
                        batch
                            .insert("eth_getBlockByNumber", rpc_params![format!("{n:#x}"), false])
                            .expect("serializable");
                    }
                    let blocks = c.batch_request::<Value>(batch).await?;
                    let now = start.elapsed().as_secs_f64();
                    for block in blocks.into_iter().flatten() {
                        let hashes: Vec<B256> =
                            serde_json::from_value(block["transactions"].clone())
                                .unwrap_or_default();
                        let times = submit_times.lock();
                        let mut ours = 0;
                        for h in &hashes {
                            if let Some(t) = times.get(h) {
                                latencies.push(now - t);
                                ours += 1;
                            }
                        }
                        drop(times);
                        if ours > 0 {
                            progress = Instant::now();
                            let used = block["gasUsed"]
                                .as_str()
                                .and_then(|s| {
                                    u64::from_str_radix(s.trim_start_matches("0x"), 16).ok()
                                })
                                .unwrap_or(0);
                            gas += used;
                            seen += ours;
                            last_inclusion = now;
                        }
                    }
                }
                next = head + 1;
                if seen + rejected.load(Ordering::Relaxed) as usize >= total && seen > 0 {
                    break;
                }
            }
            anyhow::Ok((latencies, gas, seen, last_inclusion))
        })
    };

    let send_latencies: Arc<parking_lot::Mutex<Vec<f64>>> = Default::default();
    if args.batch == 1 {
        submit_one_by_one(
            &chain,
            prepared,
            &args,
            start,
            &submit_times,
            &rejected,
            &send_latencies,
        )
        .await?;
    } else {
        submit_batches(&chain, prepared, &args, start, &submit_times, &rejected).await?;
    }
    done_submitting.store(true, Ordering::Relaxed);
    let submitted_at = start.elapsed().as_secs_f64();
    let rejected = rejected.load(Ordering::Relaxed) as usize;
    let (mut latencies, gas, included, last) = follower.await??;
    latencies.sort_by(|a, b| a.total_cmp(b));

    // Check every included transfer succeeded (not timed).
    let hashes: Vec<B256> = submit_times.lock().keys().copied().collect();
    let mut failed = 0;
    for chunk in hashes.chunks(500) {
        let mut b = BatchRequestBuilder::new();
        for h in chunk {
            b.insert("eth_getTransactionReceipt", rpc_params![h]).expect("serializable");
        }
        let r = chain.clients[0].batch_request::<Value>(b).await?;
        failed += r
            .into_iter()
            .filter(|x| matches!(x, Ok(v) if !v.is_null() && v["status"] != "0x1"))
            .count();
    }
    eprintln!("[{}] submitted {} in {submitted_at:.1}s", chain.url, total);
    let send_latencies = std::mem::take(&mut *send_latencies.lock());
    Ok(Outcome {
        submitted: total,
        included,
        rejected,
        gas,
        elapsed: last,
        latencies,
        send_latencies,
        failed,
    })
}

type SubmitTimes = Arc<parking_lot::Mutex<HashMap<B256, f64>>>;

/// A connection the transactions are sent over.
#[derive(Clone)]
enum Sender {
    Http(HttpClient),
    Ws(Arc<jsonrpsee::ws_client::WsClient>),
}

impl Sender {
    async fn send_raw(&self, raw: Bytes) -> Result<B256, jsonrpsee::core::ClientError> {
        match self {
            Sender::Http(c) => c.request("eth_sendRawTransaction", rpc_params![raw]).await,
            Sender::Ws(c) => c.request("eth_sendRawTransaction", rpc_params![raw]).await,
        }
    }
}

/// The connections to send over: the endpoint's HTTP clients, or as many WebSockets to it.
async fn senders(chain: &Chain, ws: bool) -> Result<Vec<Sender>> {
    if !ws {
        return Ok(chain.clients.iter().cloned().map(Sender::Http).collect());
    }
    let url = match chain.url.strip_prefix("http") {
        Some(rest) => format!("ws{rest}"),
        None => bail!("--ws needs an http:// or https:// endpoint, not {}", chain.url),
    };
    let mut out = Vec::new();
    for _ in 0..chain.clients.len() {
        let c = jsonrpsee::ws_client::WsClientBuilder::default()
            .request_timeout(Duration::from_secs(120))
            .max_concurrent_requests(65_536)
            .build(&url)
            .await
            .with_context(|| format!("WebSocket {url}"))?;
        out.push(Sender::Ws(Arc::new(c)));
    }
    Ok(out)
}

/// One `eth_sendRawTransaction` per request, `concurrency` in flight, in round order.
async fn submit_one_by_one(
    chain: &Arc<Chain>,
    prepared: Prepared,
    args: &BenchArgs,
    start: Instant,
    submit_times: &SubmitTimes,
    rejected: &Arc<AtomicU64>,
    send_latencies: &Arc<parking_lot::Mutex<Vec<f64>>>,
) -> Result<()> {
    let queue: Vec<(B256, Bytes)> = prepared.rounds.into_iter().flatten().collect();
    let queue = Arc::new(parking_lot::Mutex::new(queue.into_iter().enumerate()));
    let interval = (args.rate > 0.0).then(|| Duration::from_secs_f64(1.0 / args.rate));
    let connections = senders(chain, args.ws).await?;
    let mut workers = Vec::new();
    for w in 0..args.concurrency {
        let c = connections[w % connections.len()].clone();
        let (queue, times, rejected) = (queue.clone(), submit_times.clone(), rejected.clone());
        let send_latencies = send_latencies.clone();
        workers.push(tokio::spawn(async move {
            loop {
                let Some((i, (hash, raw))) = queue.lock().next() else { return };
                if let Some(iv) = interval {
                    tokio::time::sleep_until((start + iv * i as u32).into()).await;
                }
                let sent = Instant::now();
                times.lock().insert(hash, (sent - start).as_secs_f64());
                let answer = c.send_raw(raw).await;
                send_latencies.lock().push(sent.elapsed().as_secs_f64());
                if let Err(e) = answer {
                    eprintln!("rejected: {e}");
                    rejected.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for w in workers {
        w.await?;
    }
    Ok(())
}

/// Round by round; within a round, batches go out over all connections at once.
async fn submit_batches(
    chain: &Arc<Chain>,
    prepared: Prepared,
    args: &BenchArgs,
    start: Instant,
    submit_times: &SubmitTimes,
    rejected: &Arc<AtomicU64>,
) -> Result<()> {
    let interval = (args.rate > 0.0).then(|| Duration::from_secs_f64(1.0 / args.rate));
    let mut sent = 0usize;
    for round in prepared.rounds {
        let batches: Vec<Vec<(B256, Bytes)>> =
            round.chunks(args.batch).map(|c| c.to_vec()).collect();
        let mut tasks = Vec::new();
        for (i, batch) in batches.into_iter().enumerate() {
            if let Some(iv) = interval {
                let due = start + iv * sent as u32;
                tokio::time::sleep_until(due.into()).await;
            }
            sent += batch.len();
            let c = chain.clients[i % chain.clients.len()].clone();
            let times = submit_times.clone();
            let rejected = rejected.clone();
            tasks.push(tokio::spawn(async move {
                let mut b = BatchRequestBuilder::new();
                for (_, raw) in &batch {
                    b.insert("eth_sendRawTransaction", rpc_params![raw]).expect("serializable");
                }
                let at = start.elapsed().as_secs_f64();
                {
                    let mut t = times.lock();
                    for (h, _) in &batch {
                        t.insert(*h, at);
                    }
                }
                let resp = c.batch_request::<B256>(b).await;
                match resp {
                    Ok(r) => {
                        let errors = r.num_failed_calls();
                        if errors > 0 {
                            if let Some(Err(e)) = r.into_iter().find(|x| x.is_err()) {
                                eprintln!("rejected: {}", e.message());
                            }
                            rejected.fetch_add(errors as u64, Ordering::Relaxed);
                        }
                    }
                    Err(e) => {
                        eprintln!("batch failed: {e}");
                        rejected.fetch_add(batch.len() as u64, Ordering::Relaxed);
                    }
                }
            }));
        }
        for t in tasks {
            t.await?;
        }
    }
    Ok(())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn peak_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

pub async fn run(args: BenchArgs) -> Result<()> {
    if args.senders == 0
        || args.txs == 0
        || args.batch == 0
        || args.connections == 0
        || args.concurrency == 0
    {
        bail!("senders, txs, batch, connections and concurrency must be positive");
    }
    if args.ws && args.batch != 1 {
        bail!("--ws sends one transaction per request: use it with --batch 1");
    }
    let funder = match args.funder_key {
        Some(k) => PrivateKeySigner::from_bytes(&k)?,
        None => dev_signers(DEV_MNEMONIC, 1)?.remove(0),
    };
    let mut chains = Vec::new();
    for url in &args.rpc {
        let clients = (0..args.connections).map(|_| client(url)).collect::<Result<Vec<_>>>()?;
        let chain_id = quantity(&clients[0], "eth_chainId", rpc_params![])
            .await
            .with_context(|| format!("{url} unreachable"))?;
        chains.push(Arc::new(Chain { url: url.clone(), chain_id, clients }));
    }
    let mut prepared = Vec::new();
    for (i, c) in chains.iter().enumerate() {
        prepared.push(prepare(c, &args, i, &funder).await?);
    }
    eprintln!("pre-signed {} transfers; submitting", args.txs * chains.len());
    let mut tasks = Vec::new();
    for (c, p) in chains.iter().zip(prepared) {
        tasks.push(tokio::spawn(run_chain(c.clone(), p, args.clone())));
    }
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await??);
    }
    let included: usize = outcomes.iter().map(|o| o.included).sum();
    let submitted: usize = outcomes.iter().map(|o| o.submitted).sum();
    let rejected: usize = outcomes.iter().map(|o| o.rejected).sum();
    let failed: usize = outcomes.iter().map(|o| o.failed).sum();
    let gas: u64 = outcomes.iter().map(|o| o.gas).sum();
    let elapsed = outcomes.iter().map(|o| o.elapsed).fold(0.0, f64::max);
    let mut lat: Vec<f64> = outcomes.iter().flat_map(|o| o.latencies.iter().copied()).collect();
    lat.sort_by(|a, b| a.total_cmp(b));
    println!("bench {}", args.label);
    println!("  endpoints            {}", args.rpc.join(" "));
    let mode = match args.batch {
        1 if args.ws => format!(
            "one transaction per request over {} WebSockets, {} in flight per endpoint",
            args.connections, args.concurrency
        ),
        1 => format!("one transaction per request, {} in flight per endpoint", args.concurrency),
        n => format!("JSON-RPC batches of {n} (not what wallets send)"),
    };
    let recipients = match args.reuse_recipients {
        Some(n) => format!("{n} reused recipients (existing storage slots)"),
        None => "a fresh recipient per transfer".to_string(),
    };
    println!("  mode                 {mode}; {recipients}");
    println!(
        "  transfers            {submitted} submitted, {included} included, {rejected} rejected, {failed} reverted"
    );
    println!("  window               {elapsed:.2} s");
    println!("  throughput           {:.0} tx/s", included as f64 / elapsed.max(1e-9));
    println!("  gas                  {:.0} gas/s", gas as f64 / elapsed.max(1e-9));
    println!(
        "  latency p50 / p99    {:.3} s / {:.3} s",
        percentile(&lat, 0.5),
        percentile(&lat, 0.99)
    );
    let mut send: Vec<f64> =
        outcomes.iter().flat_map(|o| o.send_latencies.iter().copied()).collect();
    if !send.is_empty() {
        send.sort_by(|a, b| a.total_cmp(b));
        println!(
            "  send p50 / p99       {:.1} ms / {:.1} ms (eth_sendRawTransaction answered)",
            percentile(&send, 0.5) * 1e3,
            percentile(&send, 0.99) * 1e3
        );
    }
    for pid in &args.pids {
        match peak_rss_mib(*pid) {
            Some(m) => println!("  peak RSS pid {pid:<7} {m:.0} MiB"),
            None => println!("  peak RSS pid {pid:<7} unavailable"),
        }
    }
    if included + rejected < submitted {
        println!(
            "  stranded             {} (queued behind a rejected transfer of the same sender)",
            submitted - included - rejected
        );
    }
    Ok(())
}
