//! Following a node: one task per domain reads runs of blocks (HTTP batches while behind, a run
//! per new head once caught up) and hands them to one writer, which applies them in order.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::Arc,
    time::{Duration, Instant},
};

use alloy_primitives::{Address, B256};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use tokio::sync::{mpsc, oneshot, watch};
use tracing::{debug, info, warn};

use crate::{
    IndexerError, bulk,
    db::Database,
    ethereum::{self, EthereumConfig},
    extract::{self, BalanceKey, BlockBundle, TokenKind},
    schema::{address, hash, int},
    source::NodeClient,
    state,
    store::Store,
    writer::{self, Batch, Commit},
};

/// Settings of `sec index`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IndexerConfig {
    /// The node's JSON-RPC URL; domain `d` is served at `<rpc>/domain/<d>`. A standard
    /// Ethereum node (one chain at the URL, whatever the path) is indexed as domain 0.
    /// Default `http://127.0.0.1:8545`.
    pub rpc: String,
    /// Domains to index; default: every domain the node serves.
    pub domains: Option<u32>,
    /// Database: a file path (SQLite) or a `postgres://` URL. Default `data/index.db`.
    pub db: String,
    /// Read call trees (`debug_traceBlockByNumber`) for internal transfers. Default true.
    pub traces: bool,
    /// Transactions aimed for in one run of blocks (one request to the node per kind of data).
    /// Default 5,000.
    pub batch_transactions: usize,
    /// Most blocks in one run. Default 500.
    pub batch_blocks: u64,
    /// While far behind the head, transactions indexed between two readings of the balances
    /// they touched (every run that reaches the head reads them). Default 100,000.
    pub balance_read_transactions: usize,
    /// Transactions after which the writer commits the runs it has written while far behind the
    /// head: fewer, larger commits write each index page they change once for more rows. A run
    /// that reaches the head is committed at once, so live indexing does not wait for this.
    /// Default 100,000.
    pub commit_transactions: usize,
    /// Load a fresh index (no block indexed yet) without its lookup indexes (transactions by hash
    /// and address, logs by address, token and internal transfers by token and address), and
    /// build each from its finished table once every domain has caught up: one sort instead of
    /// an insert at a random place per row (see [`crate::bulk`]). Until then the explorer's
    /// lookups by hash and address scan their tables. Default true.
    pub bulk_load: bool,
    /// Stop after this block (or the node's head, if lower) in every domain instead of following
    /// the head. Default: follow.
    pub to_block: Option<u64>,
    /// Show progress bars on a terminal. Default true.
    pub progress: bool,
    /// Ethereum, for deposits, checkpoints and finalized withdrawals. Default: not followed.
    pub ethereum: Option<EthereumConfig>,
}

impl Default for IndexerConfig {
    fn default() -> Self {
        Self {
            rpc: "http://127.0.0.1:8545".into(),
            domains: None,
            db: "data/index.db".into(),
            traces: true,
            batch_transactions: 5_000,
            batch_blocks: 500,
            balance_read_transactions: 100_000,
            commit_transactions: 100_000,
            bulk_load: true,
            to_block: None,
            progress: true,
            ethereum: None,
        }
    }
}

/// How often an idle follower tells the writer it has seen the node (for the explorer's word on
/// how fresh the index is); a run written says so too.
const STATUS_EVERY: Duration = Duration::from_secs(5);

/// How long the writer waits for another run before committing those it has written.
const COMMIT_IDLE: Duration = Duration::from_millis(500);

/// Holders whose balances a follower leaves unread, at most.
const UNREAD_KEYS: usize = 50_000;

/// The deepest reorg the indexer follows; anything deeper needs a re-index.
const MAX_REORG: u64 = 1024;

enum Op {
    Batch(Box<Batch>),
    /// The domain's follower has reached the head (or `--to-block`) for the first time.
    CaughtUp(u32),
    Rollback {
        domain: u32,
        keep_through: u64,
        client: NodeClient,
        done: oneshot::Sender<()>,
    },
    /// The domain's follower has just read the node's head.
    Seen {
        domain: u32,
        node_head: u64,
    },
}

/// Totals of a run of the indexer.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    /// Blocks written.
    pub blocks: u64,
    /// Transactions written.
    pub transactions: u64,
}

/// The URL of domain `d` under the node's base URL.
pub fn domain_url(base: &str, d: u32) -> String {
    format!("{}/domain/{d}", base.trim_end_matches('/'))
}

/// Attempts at a domain's path before discovery takes a failure that is not a 404 for "no
/// such domain" (a node can fail a request in transit as well).
const DISCOVERY_ATTEMPTS: u32 = 5;

/// Finds how many domains the node serves by asking each path in turn.
pub async fn discover_domains(base: &str) -> Result<u32, IndexerError> {
    let mut n = 0;
    'domains: while n < 256 {
        let client = NodeClient::new(&domain_url(base, n))?;
        let mut backoff = crate::retry::Backoff::default();
        loop {
            match client.chain_id().await {
                Ok(_) => break,
                Err(IndexerError::Rpc { message, .. }) if message.contains("404") => {
                    break 'domains;
                }
                Err(e) if backoff.failures() + 1 < DISCOVERY_ATTEMPTS => {
                    backoff.wait(client.url(), &e).await;
                }
                Err(_) => break 'domains,
            }
        }
        n += 1;
    }
    if n == 0 {
        return Err(IndexerError::Rpc { url: base.into(), message: "serves no domain".into() });
    }
    Ok(n)
}

/// Runs the indexer until it has indexed to `to_block` (forever, without one), starting it again
/// whenever it stops on an error, after a pause that doubles up to a minute: what `sec devnet`
/// runs, so that its explorer's index does not stay behind for good on anything the followers
/// do not wait out themselves (the node down at the start, the database failing).
pub async fn run_supervised(config: IndexerConfig, db: Database) -> Stats {
    let mut backoff = crate::retry::Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
    loop {
        let started = Instant::now();
        match run(config.clone(), db.clone()).await {
            Ok(stats) => return stats,
            Err(e) => {
                if started.elapsed() > Duration::from_secs(600) {
                    backoff.reset();
                }
                let delay = backoff.next_delay();
                tracing::error!(
                    error = %e,
                    restart_in_ms = delay.as_millis() as u64,
                    "the indexer stopped; starting it again"
                );
                tokio::time::sleep(delay).await;
            }
        }
    }
}

/// Runs the indexer as `sec index` does: started again, after a pause that doubles up to a
/// minute, when it stops on the node's answers ([`crate::retry::transient`]: the node not up
/// yet, or gone for longer than the followers wait), and stopped with the error on anything
/// else (the database, a chain that is not the indexed one), so that a script or a service
/// manager sees it. Returns the totals of the run that finished.
pub async fn run_waiting_for_node(
    config: IndexerConfig,
    db: Database,
) -> Result<Stats, IndexerError> {
    let mut backoff = crate::retry::Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
    loop {
        let started = Instant::now();
        match run(config.clone(), db.clone()).await {
            Err(e) if crate::retry::transient(&e) => {
                if started.elapsed() > Duration::from_secs(600) {
                    backoff.reset();
                }
                let delay = backoff.next_delay();
                warn!(
                    error = %e,
                    restart_in_ms = delay.as_millis() as u64,
                    "the node did not answer; starting again"
                );
                tokio::time::sleep(delay).await;
            }
            done => return done,
        }
    }
}

/// Whether the node at `base` is a standard Ethereum node: one chain at the URL itself, the
/// same chain whatever the path (a SEC node serves a different chain id at each
/// `/domain/{d}`, and 404 under no domain).
pub async fn single_chain(base: &str) -> Result<bool, IndexerError> {
    let (first, second) =
        (NodeClient::new(&domain_url(base, 0))?, NodeClient::new(&domain_url(base, 1))?);
    let mut backoff = crate::retry::Backoff::default();
    loop {
        match tokio::try_join!(first.chain_id(), second.chain_id()) {
            Ok((a, b)) => return Ok(a == b),
            Err(IndexerError::Rpc { message, .. }) if message.contains("404") => {
                // No domain paths at all (or a SEC node with one domain): is the URL a chain?
                let root = NodeClient::new(base)?;
                return Ok(root.chain_id().await.is_ok() && first.chain_id().await.is_err());
            }
            Err(e) if backoff.failures() + 1 < DISCOVERY_ATTEMPTS => {
                backoff.wait(base, &e).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Indexes every domain of the node into the database until `to_block` (or forever); a
/// standard Ethereum node (see [`single_chain`]) is indexed as domain 0.
pub async fn run(config: IndexerConfig, db: Database) -> Result<Stats, IndexerError> {
    let single = config.domains.is_none() && single_chain(&config.rpc).await?;
    let domains = match config.domains {
        Some(n) => n,
        None if single => 1,
        None => discover_domains(&config.rpc).await?,
    };
    info!(domains, rpc = %config.rpc, backend = ?db.backend(), "indexing");
    let bars = MultiProgress::with_draw_target(if config.progress {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    });
    // Room for a run from every follower, so that followers read on while the writer writes.
    // The chain's own contracts are verified from the committed artifacts; a failure here (a
    // node not up yet) leaves them for the next start and does not keep the index back.
    let urls: Vec<(u32, String)> = (0..domains)
        .map(|d| (d, if single { config.rpc.clone() } else { domain_url(&config.rpc, d) }))
        .collect();
    if let Err(e) =
        crate::verified::record_system_contracts(&db, &urls, config.ethereum.as_ref()).await
    {
        warn!(error = %e, "could not record the system contracts as verified");
    }
    let (tx, rx) = mpsc::channel::<Op>(domains.max(2) as usize);
    let config = Arc::new(config);
    let mut followers = tokio::task::JoinSet::new();
    for d in 0..domains {
        let url = if single { config.rpc.clone() } else { domain_url(&config.rpc, d) };
        let follower =
            Follower::new(d, &url, config.clone(), db.clone(), tx.clone(), &bars).await?;
        followers.spawn(follower.run());
    }
    drop(tx);
    if let Some(ethereum) = config.ethereum.clone() {
        followers.spawn(ethereum::follow(ethereum, db.clone(), config.to_block.is_some()));
    }
    let writer = tokio::spawn(write_ops(db.clone(), rx, domains, config.clone()));
    let mut failure = None;
    while let Some(result) = followers.join_next().await {
        let result = result.map_err(|e| IndexerError::Config(format!("follower panicked: {e}")));
        if let Err(e) = result.and_then(|r| r) {
            failure.get_or_insert(e);
            followers.abort_all();
        }
    }
    let stats =
        writer.await.map_err(|e| IndexerError::Config(format!("writer panicked: {e}")))??;
    match failure {
        Some(e) => Err(e),
        None => Ok(stats),
    }
}

/// The writer: applies the followers' runs and rollbacks one at a time, in the order they
/// arrive, until every follower has stopped; builds a bulk load's lookup indexes once all
/// `domains` have caught up.
async fn write_ops(
    db: Database,
    mut rx: mpsc::Receiver<Op>,
    domains: u32,
    config: Arc<IndexerConfig>,
) -> Result<Stats, IndexerError> {
    let mut stats = Stats::default();
    let mut store = Store::new(&db);
    let mut bulk = bulk::begin(&mut store, config.bulk_load).await?;
    store.holder_counts = !bulk;
    let mut caught_up = BTreeSet::new();
    let mut next = None;
    loop {
        let op = match next.take() {
            Some(op) => op,
            None => {
                let idle = Instant::now();
                let Some(op) = rx.recv().await else { break };
                debug!(ms = idle.elapsed().as_millis() as u64, "writer waited");
                op
            }
        };
        match op {
            Op::Rollback { domain, keep_through, client, done } => {
                let mut backoff = crate::retry::Backoff::default();
                loop {
                    match writer::rollback(&mut store, &client, domain, keep_through).await {
                        Ok(()) => break,
                        Err(e) if crate::retry::transient(&e) => {
                            backoff.wait(client.url(), &e).await;
                        }
                        Err(e) => return Err(e),
                    }
                }
                let _ = done.send(());
            }
            Op::Seen { domain, node_head } => {
                writer::record_seen(&mut store, domain, node_head).await?;
            }
            Op::CaughtUp(domain) => {
                caught_up.insert(domain);
                if bulk && caught_up.len() as u32 >= domains {
                    bulk::finish(&mut store).await?;
                    bulk = false;
                    store.holder_counts = true;
                }
            }
            Op::Batch(batch) => {
                let limit = config.commit_transactions;
                match write_group(&mut store, &mut rx, batch, limit, &mut stats).await? {
                    GroupEnd::Committed => {}
                    GroupEnd::Then(op) => next = Some(op),
                    GroupEnd::Closed => break,
                }
            }
        }
    }
    Ok(stats)
}

/// What came after a group of runs the writer committed together.
enum GroupEnd {
    /// Nothing yet: the group was full, reached the target, or no run came within COMMIT_IDLE.
    Committed,
    /// An operation that must wait for the group's commit (a rollback).
    Then(Op),
    /// Every follower has stopped.
    Closed,
}

/// Writes `batch` and the runs that follow it within [`COMMIT_IDLE`] of each other in one
/// transaction, up to `commit_transactions` or a run that reaches the target, then commits.
async fn write_group(
    store: &mut Store,
    rx: &mut mpsc::Receiver<Op>,
    mut batch: Box<Batch>,
    commit_transactions: usize,
    stats: &mut Stats,
) -> Result<GroupEnd, IndexerError> {
    let (mut group, opened) = (Commit::begin(store).await?, Instant::now());
    let mut waited = Duration::ZERO;
    let end = loop {
        stats.blocks += batch.rows.blocks.len() as u64;
        stats.transactions += batch.rows.tx_count as u64;
        let at_target = batch.at_target;
        group.write(*batch).await?;
        if at_target || group.transactions >= commit_transactions {
            break GroupEnd::Committed;
        }
        // A backfill's runs keep coming: wait a little for the next before committing (what a
        // follower saw of the node goes into the open transaction meanwhile).
        let wait = Instant::now();
        let more = loop {
            match tokio::time::timeout(COMMIT_IDLE, rx.recv()).await {
                Ok(Some(Op::Seen { domain, node_head })) => {
                    group.seen(domain, node_head).await?;
                }
                other => break other,
            }
        };
        waited += wait.elapsed();
        match more {
            Ok(Some(Op::Batch(more))) => batch = more,
            // A rollback (or the index build a catch-up may start) comes after the runs before
            // it are committed.
            Ok(Some(op)) => break GroupEnd::Then(op),
            Ok(None) => break GroupEnd::Closed,
            Err(_) => break GroupEnd::Committed,
        }
    };
    let (runs, txs, started) = (group.runs, group.transactions, Instant::now());
    group.commit().await?;
    debug!(
        runs,
        txs,
        open_ms = opened.elapsed().as_millis() as u64,
        waited_ms = waited.as_millis() as u64,
        commit_ms = started.elapsed().as_millis() as u64,
        "committed"
    );
    Ok(end)
}

struct Follower {
    domain: u32,
    config: Arc<IndexerConfig>,
    db: Database,
    client: NodeClient,
    ops: mpsc::Sender<Op>,
    /// Hashes of the latest indexed blocks, to check that new blocks extend them.
    recent: BTreeMap<u64, B256>,
    /// Tokens already in the database.
    known_tokens: BTreeSet<Address>,
    /// Balances touched by indexed runs whose reading was left for a later run.
    unread: BTreeSet<BalanceKey>,
    /// Transactions in the runs since balances were last read.
    unread_transactions: usize,
    /// The writer has been told this domain reached the head (or `--to-block`).
    caught_up: bool,
    /// When the writer was last told what this follower saw of the node.
    reported: Option<Instant>,
    /// The epoch whose production domain 0's follower read last.
    production_epoch: Option<u64>,
    bar: ProgressBar,
}

impl Follower {
    async fn new(
        domain: u32,
        url: &str,
        config: Arc<IndexerConfig>,
        db: Database,
        ops: mpsc::Sender<Op>,
        bars: &MultiProgress,
    ) -> Result<Self, IndexerError> {
        let client = NodeClient::new(url)?;
        let bar = bars.add(ProgressBar::new(0));
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix:>9} [{bar:30}] {pos}/{len} blocks {per_sec} ETA {eta} {msg}",
            )
            .map_err(|e| IndexerError::Config(e.to_string()))?
            .progress_chars("=> "),
        );
        bar.set_prefix(format!("domain {domain}"));
        let mut follower = Self {
            domain,
            config,
            db,
            client,
            ops,
            recent: BTreeMap::new(),
            known_tokens: BTreeSet::new(),
            unread: BTreeSet::new(),
            unread_transactions: 0,
            caught_up: false,
            reported: None,
            production_epoch: None,
            bar,
        };
        follower.load().await?;
        Ok(follower)
    }

    /// Reads back what the database holds of this domain: recent hashes and known tokens.
    async fn load(&mut self) -> Result<(), IndexerError> {
        let d = i64::from(self.domain);
        let rows = sqlx::query(
            "SELECT number, hash FROM blocks WHERE domain = $1 ORDER BY number DESC LIMIT $2",
        )
        .bind(d)
        .bind(MAX_REORG as i64)
        .fetch_all(self.db.pool())
        .await?;
        self.recent.clear();
        for row in rows {
            let number = row.try_get::<i64, _>("number")? as u64;
            let bytes: Vec<u8> = row.try_get("hash")?;
            let hash = B256::try_from(bytes.as_slice()).map_err(|_| IndexerError::Corrupt {
                table: "blocks",
                message: format!("hash of block {number}"),
            })?;
            self.recent.insert(number, hash);
        }
        self.known_tokens.clear();
        for row in sqlx::query("SELECT address FROM tokens WHERE domain = $1")
            .bind(d)
            .fetch_all(self.db.pool())
            .await?
        {
            let bytes: Vec<u8> = row.try_get("address")?;
            if bytes.len() == 20 {
                self.known_tokens.insert(Address::from_slice(&bytes));
            }
        }
        // Balances the last runs before a stop left unread: found again from their rows.
        let mut store = Store::new(&self.db);
        let read_through = writer::balance_progress(&mut store, self.domain).await?;
        let top = self.recent.last_key_value().map(|(n, _)| *n);
        self.unread.clear();
        self.unread_transactions = 0;
        if top.is_some_and(|top| read_through.is_none_or(|r| r < top)) {
            self.unread = writer::touched_above(&mut store, self.domain, read_through).await?.0;
        }
        Ok(())
    }

    fn next(&self) -> u64 {
        self.recent.last_key_value().map(|(n, _)| n + 1).unwrap_or(0)
    }

    async fn run(mut self) -> Result<(), IndexerError> {
        let (head_tx, mut head_rx) = watch::channel(0u64);
        let live = self.config.to_block.is_none();
        let subscription = live.then(|| {
            let client = self.client.clone();
            tokio::spawn(async move {
                loop {
                    let sent = client.follow_heads(|n| {
                        head_tx.send_replace(n);
                    });
                    if let Err(e) = sent.await {
                        warn!(url = client.url(), error = %e, "newHeads subscription ended");
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            })
        });
        let result = self.follow(&mut head_rx).await;
        if let Some(s) = subscription {
            s.abort();
        }
        self.bar.finish();
        result
    }

    /// Follows the node; a request the node fails is tried again after a backoff, however
    /// often, so only the database, the writer or the chain itself (a reorg too deep) stop it.
    async fn follow(&mut self, heads: &mut watch::Receiver<u64>) -> Result<(), IndexerError> {
        let who = self.client.url().to_string();
        let mut backoff = crate::retry::Backoff::default();
        loop {
            match self.reconcile().await {
                Ok(()) => break,
                Err(e) if crate::retry::transient(&e) => backoff.wait(&who, &e).await,
                Err(e) => return Err(e),
            }
        }
        backoff.reset();
        // Most blocks per request; halved when the node fails a request (too large a response).
        let mut cap = self.config.batch_blocks.max(1);
        // Transaction counts of blocks ahead, to size each request by transactions, not blocks:
        // a run of empty blocks says nothing about the next. Only used for sizing.
        let mut sizes: BTreeMap<u64, u64> = BTreeMap::new();
        let mut last_log = Instant::now();
        loop {
            let head = match self.client.block_number().await {
                Ok(head) => head,
                Err(e) if crate::retry::transient(&e) => {
                    backoff.wait(&who, &e).await;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let target = self.config.to_block.map_or(head, |t| t.min(head));
            self.bar.set_length(target + 1);
            self.bar.set_position(self.next());
            let next = self.next();
            if next > target {
                if self.reported.is_none_or(|at| at.elapsed() >= STATUS_EVERY) {
                    self.reported = Some(Instant::now());
                    self.send(Op::Seen { domain: self.domain, node_head: head }).await?;
                }
                if !self.caught_up {
                    self.caught_up = true;
                    self.send(Op::CaughtUp(self.domain)).await?;
                }
                if self.config.to_block.is_some() {
                    return Ok(());
                }
                tokio::select! {
                    _ = heads.changed() => {}
                    _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                }
                continue;
            }
            let window = cap.min(target - next + 1);
            sizes.retain(|n, _| *n >= next);
            let unknown: Vec<u64> =
                (next..next + window).filter(|n| !sizes.contains_key(n)).collect();
            if !unknown.is_empty() {
                match self.client.tx_counts(&unknown).await {
                    Ok(counts) => sizes.extend(unknown.iter().copied().zip(counts)),
                    Err(e) if crate::retry::transient(&e) => {
                        backoff.wait(&who, &e).await;
                        continue;
                    }
                    Err(e) => return Err(e),
                }
            }
            let mut count = 0u64;
            let mut txs = 0u64;
            for n in next..next + window {
                let t = sizes.get(&n).copied().unwrap_or(0);
                if count > 0 && txs + t > self.config.batch_transactions as u64 {
                    break;
                }
                count += 1;
                txs += t;
            }
            let numbers: Vec<u64> = (next..next + count).collect();
            let batch = match self.read(&numbers, next + count > target, head).await {
                Ok(Some(batch)) => batch,
                Ok(None) => {
                    // The chain changed under us: find where it forked and roll back to there.
                    match self.reconcile().await {
                        Ok(()) => {}
                        Err(e) if crate::retry::transient(&e) => backoff.wait(&who, &e).await,
                        Err(e) => return Err(e),
                    }
                    continue;
                }
                Err(e) if crate::retry::transient(&e) => {
                    sizes.clear();
                    // The failure may be the response's size: ask for fewer blocks next.
                    if count > 1 {
                        cap = (count / 2).max(1);
                    }
                    debug!(domain = self.domain, blocks = count, "run failed");
                    backoff.wait(&who, &e).await;
                    continue;
                }
                Err(e) => return Err(e),
            };
            backoff.reset();
            self.reported = Some(Instant::now());
            cap = (cap + cap / 4 + 1).min(self.config.batch_blocks.max(1));
            let txs = batch.rows.tx_count;
            self.bar.inc(batch.rows.blocks.len() as u64);
            self.bar.set_message(format!("{txs} txs in last run"));
            if last_log.elapsed() > Duration::from_secs(10) {
                info!(domain = self.domain, block = next + count - 1, target, "indexed");
                last_log = Instant::now();
            }
            self.send(Op::Batch(Box::new(batch))).await?;
        }
    }

    async fn send(&self, op: Op) -> Result<(), IndexerError> {
        self.ops.send(op).await.map_err(|_| IndexerError::Config("writer stopped".into()))
    }

    /// Makes sure the latest stored block is still on the node's chain; rolls back to the
    /// common ancestor if not.
    async fn reconcile(&mut self) -> Result<(), IndexerError> {
        let Some((&top, _)) = self.recent.last_key_value() else { return Ok(()) };
        let mut number = top;
        loop {
            let Some(ours) = self.recent.get(&number).copied() else {
                return Err(IndexerError::Chain {
                    domain: self.domain,
                    message: format!("reorg deeper than {MAX_REORG} blocks below {top}"),
                });
            };
            if self.client.block_hash(number).await? == Some(ours) {
                break;
            }
            if number == 0 {
                return Err(IndexerError::Chain {
                    domain: self.domain,
                    message: "the node's genesis differs from the indexed one".into(),
                });
            }
            number -= 1;
        }
        if number < top {
            warn!(domain = self.domain, from = top, to = number, "reorg: rolling back");
            let (done, wait) = oneshot::channel();
            self.send(Op::Rollback {
                domain: self.domain,
                keep_through: number,
                client: self.client.clone(),
                done,
            })
            .await?;
            wait.await.map_err(|_| IndexerError::Config("writer stopped".into()))?;
            self.load().await?;
        }
        Ok(())
    }

    /// Reads blocks `numbers` and everything needed to write them; `None` if they do not extend
    /// what is indexed (a reorg). `at_target`: they reach the head (or `--to-block`).
    ///
    /// Balances are read at the end of a run that reaches the head, so that while following the
    /// head every run leaves them current. While far behind, reading the same holders' balances
    /// after every run would cost the node an `eth_call` per holder and run; they are read once
    /// every `balance_read_transactions` transactions (or [`UNREAD_KEYS`] holders) instead.
    async fn read(
        &mut self,
        numbers: &[u64],
        at_target: bool,
        node_head: u64,
    ) -> Result<Option<Batch>, IndexerError> {
        let started = Instant::now();
        // A node without eth_getBlockReceipts gets a receipt request per transaction, once
        // its blocks are read; one without debug_traceBlockByNumber gives no call trees.
        let traces = async {
            match self.config.traces {
                true => self.client.traces(numbers).await,
                false => Ok(Vec::new()),
            }
        };
        let certificates = self.client.certificates(self.domain, numbers);
        let (blocks, receipts, traces, certificates) = if self.client.block_receipts() {
            tokio::try_join!(
                self.client.blocks(numbers),
                self.client.receipts(numbers),
                traces,
                certificates
            )?
        } else {
            let (blocks, traces, certificates) =
                tokio::try_join!(self.client.blocks(numbers), traces, certificates)?;
            let receipts = self.client.transaction_receipts(&blocks).await?;
            (blocks, receipts, traces, certificates)
        };
        let mut traces = traces.into_iter();
        let mut certificates = certificates.into_iter();
        let mut bundles = Vec::with_capacity(blocks.len());
        let mut parent = numbers
            .first()
            .and_then(|n| n.checked_sub(1))
            .and_then(|p| self.recent.get(&p).copied());
        for (block, receipts) in blocks.into_iter().zip(receipts) {
            if let Some(p) = parent
                && block.parent_hash != p
            {
                if bundles.is_empty() {
                    return Ok(None);
                }
                break; // the node reorged while we read: keep the part that links
            }
            parent = Some(block.hash);
            // a certificate is the block's only if it names the block read
            let certificate = certificates.next().flatten().filter(|c| c.block_hash == block.hash);
            bundles.push(BlockBundle {
                block,
                receipts,
                traces: traces.next().unwrap_or_default(),
                certificate,
            });
        }
        let fetched = started.elapsed();
        let domain = self.domain;
        let (bundles, rows) = tokio::task::spawn_blocking(move || {
            let rows = extract::extract(domain, &bundles);
            (bundles, rows)
        })
        .await
        .map_err(|e| IndexerError::Config(format!("extraction panicked: {e}")))?;
        let rows = rows?;
        let Some(last) = bundles.last().map(|b| b.block.number) else { return Ok(None) };

        let new_tokens: BTreeMap<Address, TokenKind> = rows
            .tokens
            .iter()
            .filter(|(a, _)| !self.known_tokens.contains(*a))
            .map(|(a, (kind, _))| (*a, *kind))
            .collect();
        let supply_tokens: BTreeSet<Address> =
            rows.supply_changed.iter().filter(|t| !new_tokens.contains_key(*t)).copied().collect();
        let created: Vec<Address> = rows.created.keys().copied().collect();
        let read_balances = at_target
            || self.unread_transactions + rows.tx_count >= self.config.balance_read_transactions
            || self.unread.len() + rows.touched.len() >= UNREAD_KEYS;
        let keys = if read_balances {
            self.unread.union(&rows.touched).copied().collect()
        } else {
            BTreeSet::new()
        };
        let (infos, supplies, balances, codes, finalized) = tokio::try_join!(
            state::token_infos(&self.client, &new_tokens, last),
            state::supplies(&self.client, &supply_tokens, last),
            state::balances(&self.client, &keys, last),
            self.client.codes(&created, last),
            self.client.finalized(),
        )?;
        let production =
            if domain == 0 && at_target { self.production().await? } else { Vec::new() };
        debug!(
            domain,
            blocks = bundles.len(),
            txs = rows.tx_count,
            fetch_ms = fetched.as_millis() as u64,
            total_ms = started.elapsed().as_millis() as u64,
            read_balances,
            "read run"
        );
        let d = u64::from(domain);
        let contracts = rows
            .created
            .iter()
            .zip(codes)
            .map(|((a, (creator, tx, block)), code)| {
                vec![
                    int(d),
                    address(*a),
                    address(*creator),
                    hash(*tx),
                    int(*block),
                    code.to_vec().into(),
                ]
            })
            .collect();
        let new_tokens = infos
            .into_iter()
            .map(|(a, info)| (a, rows.tokens.get(&a).map(|t| t.1).unwrap_or(last), info))
            .collect::<Vec<_>>();
        for (a, _, _) in &new_tokens {
            self.known_tokens.insert(*a);
        }
        for b in &bundles {
            self.recent.insert(b.block.number, b.block.hash);
        }
        while self.recent.len() as u64 > MAX_REORG {
            self.recent.pop_first();
        }
        if read_balances {
            self.unread.clear();
            self.unread_transactions = 0;
        } else {
            self.unread.extend(rows.touched.iter().copied());
            self.unread_transactions += rows.tx_count;
        }
        let balances_through = read_balances.then_some(last);
        Ok(Some(Batch {
            domain,
            rows,
            contracts,
            new_tokens,
            supplies,
            balances,
            balances_through,
            through: last,
            node_head,
            finalized,
            at_target,
            production,
        }))
    }

    /// What the validators produced, read by domain 0's follower at the head: the current
    /// epoch's figures so far, and the final ones of the epochs that ended since the last
    /// reading (at the first reading, of up to [`PRODUCTION_EPOCHS_BACK`] before it). Rows of
    /// `validator_production`; none on a chain without validators.
    async fn production(&mut self) -> Result<Vec<Vec<crate::db::Value>>, IndexerError> {
        let Some(current) = self.client.production(None).await? else {
            return Ok(Vec::new());
        };
        let from = self
            .production_epoch
            .unwrap_or_else(|| current.epoch.saturating_sub(PRODUCTION_EPOCHS_BACK));
        let mut epochs = Vec::new();
        for epoch in from..current.epoch {
            epochs.extend(self.client.production(Some(epoch)).await?);
        }
        self.production_epoch = Some(current.epoch);
        epochs.push(current);
        Ok(epochs
            .iter()
            .flat_map(|e| {
                e.validators.iter().map(|v| {
                    vec![
                        int(e.epoch),
                        address(v.signer),
                        int(v.blocks_produced),
                        int(v.slots_missed),
                    ]
                })
            })
            .collect())
    }
}

/// How many ended epochs a follower's first production reading goes back: enough for an
/// index started on a running chain to show recent production, without a call per epoch of
/// the chain's whole history.
const PRODUCTION_EPOCHS_BACK: u64 = 64;
