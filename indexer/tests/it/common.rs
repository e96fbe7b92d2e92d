//! What the indexer tests share: a node on a free port with funded dev accounts, a small
//! transaction sender, and the fixture contracts.

use std::{path::Path, time::Duration};

use alloy::{
    consensus::{SignableTransaction, TxEip1559, TxEnvelope},
    eips::eip2718::Encodable2718,
    signers::{SignerSync, local::PrivateKeySigner},
    sol,
    sol_types::{SolCall, SolValue},
};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, hex};
use jsonrpsee::{
    core::client::ClientT,
    http_client::{HttpClient, HttpClientBuilder},
    rpc_params,
};
use sec_indexer::{Database, IndexerConfig};
use sec_primitives::{DEV_MNEMONIC, dev_signers};
use sec_sequencer::{Node, NodeConfig};
use serde_json::Value;

sol! {
    function transfer(address to, uint256 value) returns (bool);
    function burn(uint256 value);
    function mint(address to, uint256 id);
    function transferFrom(address from, address to, uint256 id);
    function split(address a, address b);
    function spawn() returns (address);
    function splitAndFail(address a);
    function balanceOf(address holder) returns (uint256);
    function send(uint32 dstDomain, address to, bytes data) returns (bytes32);
    function withdraw(address token, address l1Recipient, uint256 amount) returns (bytes32);
}

fn fixture(hex_text: &str) -> Vec<u8> {
    hex::decode(hex_text.trim()).expect("fixture hex")
}

/// Creation code of `NamedToken(name, symbol, supply)`.
pub fn named_token(name: &str, symbol: &str, supply: U256) -> Bytes {
    let mut code = fixture(include_str!("../fixtures/NamedToken.bin"));
    code.extend((name.to_string(), symbol.to_string(), supply).abi_encode_params());
    code.into()
}

/// Creation code of `Collectible`.
pub fn collectible() -> Bytes {
    fixture(include_str!("../fixtures/Collectible.bin")).into()
}

/// Creation code of `Forwarder`.
pub fn forwarder() -> Bytes {
    fixture(include_str!("../fixtures/Forwarder.bin")).into()
}

/// Dev account `i`.
pub fn dev_key(i: u32) -> PrivateKeySigner {
    dev_signers(DEV_MNEMONIC, i + 1).expect("dev keys").pop().expect("one key")
}

pub fn ether(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18u64))
}

/// A node with `domains` domains on a free port; a block as soon as transactions arrive.
pub async fn start_node(datadir: &Path, domains: u32) -> Node {
    let mut config = NodeConfig {
        datadir: datadir.to_path_buf(),
        domains,
        block_time_ms: 0,
        genesis_timestamp: Some(1_700_000_000),
        ..Default::default()
    };
    config.rpc.addr = "127.0.0.1:0".parse().expect("addr");
    config.fund((0..5).map(|i| dev_key(i).address()), ether(10_000));
    Node::start(config, dev_key(20)).await.expect("node starts")
}

/// [`start_node`] crediting the deposits of `l1` as soon as they are mined.
pub async fn start_node_with_l1(datadir: &Path, domains: u32, l1: &L1Chain) -> Node {
    let mut config = NodeConfig {
        datadir: datadir.to_path_buf(),
        domains,
        block_time_ms: 0,
        genesis_timestamp: Some(1_700_000_000),
        l1_sec_token: l1.deployment.addresses.token,
        ..Default::default()
    };
    config.l1.confirmations = 0;
    config.rpc.addr = "127.0.0.1:0".parse().expect("addr");
    config.fund((0..5).map(|i| dev_key(i).address()), ether(10_000));
    let url = format!("http://{}", l1.node.rpc_addr());
    let addresses = l1.deployment.addresses;
    let source = tokio::task::spawn_blocking(move || {
        sec_bridge::JsonRpcL1Source::connect(&url, &addresses).expect("L1 source")
    })
    .await
    .expect("connect");
    Node::start_with_l1(config, dev_key(20), Some(std::sync::Arc::new(source)))
        .await
        .expect("node starts")
}

/// Waits until `node` credited L1 deposit `nonce` in some domain.
pub async fn credited(node: &Node, nonce: u64) {
    let client = HttpClientBuilder::default().build(base_url(node)).expect("client");
    for _ in 0..400 {
        let d: Value =
            client.request("sec_getDeposit", rpc_params![format!("{nonce:#x}")]).await.expect("d");
        if !d.is_null() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("deposit {nonce} never credited");
}

pub fn base_url(node: &Node) -> String {
    format!("http://{}", node.rpc_addr())
}

/// Indexer settings for a test: no progress bars, stop at `to_block`.
pub fn index_config(node: &Node, db: &str, to_block: u64) -> IndexerConfig {
    IndexerConfig {
        rpc: base_url(node),
        db: db.to_string(),
        progress: false,
        to_block: Some(to_block),
        batch_transactions: 7,
        // Balances read in the middle of a backfill too, not only at its end.
        balance_read_transactions: 20,
        ..Default::default()
    }
}

/// Indexes `node` into `db` up to `to_block` of every domain.
pub async fn index(node: &Node, db: &Database, to_block: u64) {
    let config = index_config(node, "unused", to_block);
    sec_indexer::run(config, db.clone()).await.expect("indexing succeeds");
}

/// Asserts that `db`, whatever it went through (rollbacks, restarts), holds exactly what a
/// fresh index of `node` (up to block 1,000, in an SQLite file under `dir`) holds.
/// Every token's holder count, as the writer keeps it, is the number of its balance rows.
pub async fn assert_holder_counts(db: &Database) {
    use sqlx::Row;
    let rows = sqlx::query(
        "SELECT b.domain, b.token, COUNT(*) AS n, MAX(c.holders) AS kept FROM balances b \
         LEFT JOIN token_holder_counts c ON c.domain = b.domain AND c.token = b.token \
         GROUP BY b.domain, b.token",
    )
    .fetch_all(db.pool())
    .await
    .expect("holder counts");
    assert!(!rows.is_empty(), "balances indexed");
    for r in rows {
        let n: i64 = r.try_get("n").expect("n");
        let kept: Option<i64> = r.try_get("kept").expect("kept");
        assert_eq!(kept, Some(n), "token {:?}", r.try_get::<Vec<u8>, _>("token"));
    }
    let orphans = sqlx::query(
        "SELECT COUNT(*) FROM token_holder_counts c WHERE NOT EXISTS \
         (SELECT 1 FROM balances b WHERE b.domain = c.domain AND b.token = c.token)",
    )
    .fetch_one(db.pool())
    .await
    .expect("orphans")
    .try_get::<i64, _>(0)
    .expect("count");
    assert_eq!(orphans, 0, "a count kept for a token without balances");
}

pub async fn assert_matches_fresh_index(node: &Node, db: &Database, dir: &Path) {
    let clean =
        Database::connect(dir.join("clean.db").to_str().expect("path"), 4).await.expect("sqlite");
    index(node, &clean, 1_000).await;
    assert_eq!(db.dump().await.expect("dump"), clean.dump().await.expect("dump"));
    assert_holder_counts(db).await;
}

/// The PostgreSQL server the test command starts.
pub fn postgres_url() -> String {
    std::env::var("SEC_TEST_POSTGRES").expect(
        "SEC_TEST_POSTGRES must name a PostgreSQL database (./scripts/test.sh installs and starts one)",
    )
}

/// A fresh, empty PostgreSQL database `name` (migrated), on a pool of `connections`.
pub async fn fresh_postgres(name: &str, connections: u32) -> Database {
    let admin = postgres_url();
    let pool = sqlx::PgPool::connect(&admin).await.expect("PostgreSQL reachable");
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&pool)
        .await
        .expect("drop");
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&pool).await.expect("create");
    let (base, _) = admin.rsplit_once('/').expect("url with a database");
    Database::connect(&format!("{base}/{name}"), connections).await.expect("connect fresh database")
}

fn empty_block_hash(domain: u64, n: u64) -> B256 {
    B256::from(U256::from(n + 1) | (U256::from(domain) << 128))
}

/// A run of empty blocks `from..=to` of `domain` (each the parent of the next, every third
/// claiming a transaction or two, for the totals), as the writer takes runs: for costs measured
/// at heights no test chain reaches.
pub fn empty_run(domain: u32, from: u64, to: u64, finalized: u64) -> sec_indexer::writer::Batch {
    use sec_indexer::{
        db::Value,
        schema::{address, hash, int},
    };
    let d = u64::from(domain);
    let blocks = (from..=to)
        .map(|n| {
            vec![
                int(d),
                int(n),
                hash(empty_block_hash(d, n)),
                hash(if n == 0 { B256::ZERO } else { empty_block_hash(d, n - 1) }),
                int(1_700_000_000 + n),
                address(Address::ZERO),
                int(21_000),
                int(30_000_000),
                Value::Int(Some(7)),
                int(n % 3),
                int(600),
                hash(B256::ZERO),
                Value::Bytes(Some(Vec::new())),
                int(0),
                Value::Int(None),
                Value::Bytes(None),
            ]
        })
        .collect();
    sec_indexer::writer::Batch {
        domain,
        rows: sec_indexer::extract::Extracted {
            blocks,
            tx_count: (from..=to).map(|n| (n % 3) as usize).sum(),
            ..Default::default()
        },
        through: to,
        finalized,
        ..Default::default()
    }
}

/// Writes blocks `0..height` of `domain` as the writer does, in runs of 1,000 committed ten at
/// a time, the node's finalized height `lag` blocks behind each run's end.
pub async fn load_empty_blocks(db: &Database, domain: u32, height: u64, lag: u64) {
    use sec_indexer::{store::Store, writer::Commit};
    let mut store = Store::new(db);
    for group in 0..height.div_ceil(10_000) {
        let mut commit = Commit::begin(&mut store).await.expect("begin");
        for r in 0..10 {
            let from = group * 10_000 + r * 1_000;
            let to = (from + 999).min(height - 1);
            if from > to {
                break;
            }
            commit.write(empty_run(domain, from, to, to.saturating_sub(lag))).await.expect("write");
        }
        commit.commit().await.expect("commit");
    }
}

/// Rows of `table` (every table: "%") PostgreSQL has read so far, on a pool of one connection
/// (the counters of other connections reach the statistics later): heap rows scanned and
/// fetched, and index entries read.
pub async fn pg_rows_read(db: &Database, table: &str) -> i64 {
    use sqlx::Row;
    // This backend's pending counters reach the shared statistics when it goes idle after this.
    sqlx::query("SELECT pg_stat_force_next_flush()").execute(db.pool()).await.expect("flush");
    sqlx::query(
        "SELECT ((SELECT COALESCE(SUM(COALESCE(seq_tup_read, 0) + COALESCE(idx_tup_fetch, 0)), 0) \
           FROM pg_stat_user_tables WHERE relname LIKE $1) \
         + (SELECT COALESCE(SUM(idx_tup_read), 0) FROM pg_stat_user_indexes \
           WHERE relname LIKE $1))::BIGINT",
    )
    .bind(table)
    .fetch_one(db.pool())
    .await
    .expect("statistics")
    .try_get::<i64, _>(0)
    .expect("count")
}

/// Sends signed transactions to one domain and waits for their receipts.
pub struct Sender {
    pub client: HttpClient,
    pub chain_id: u64,
}

impl Sender {
    pub fn new(node: &Node, domain: u32) -> Self {
        let url = format!("{}/domain/{domain}", base_url(node));
        let client = HttpClientBuilder::default().build(url).expect("client");
        Self { client, chain_id: 53500 + u64::from(domain) }
    }

    async fn nonce(&self, from: Address) -> u64 {
        let n: U256 = self
            .client
            .request("eth_getTransactionCount", rpc_params![from, "pending"])
            .await
            .expect("nonce");
        n.to()
    }

    /// Waits until this domain delivered the cross-domain message `hash`.
    pub async fn delivered(&self, hash: Value) {
        for _ in 0..400 {
            let m: Value =
                self.client.request("sec_getMessage", rpc_params![hash.clone()]).await.expect("m");
            if m["status"] != "pending" {
                assert_eq!(m["status"], "delivered", "{m}");
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("message {hash} never delivered");
    }

    /// Sends one transaction and returns its receipt.
    pub async fn send(
        &self,
        key: &PrivateKeySigner,
        to: TxKind,
        value: U256,
        input: Bytes,
    ) -> Value {
        let tx = TxEip1559 {
            chain_id: self.chain_id,
            nonce: self.nonce(key.address()).await,
            gas_limit: 3_000_000,
            max_fee_per_gas: 10_000_000_000,
            max_priority_fee_per_gas: 1_000_000_000,
            to,
            value,
            input,
            access_list: Default::default(),
        };
        let sig = key.sign_hash_sync(&tx.signature_hash()).expect("sign");
        let raw: Bytes = TxEnvelope::from(tx.into_signed(sig)).encoded_2718().into();
        let hash: B256 =
            self.client.request("eth_sendRawTransaction", rpc_params![raw]).await.expect("sent");
        for _ in 0..400 {
            let r: Value = self
                .client
                .request("eth_getTransactionReceipt", rpc_params![hash])
                .await
                .expect("receipt");
            if !r.is_null() {
                return r;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("no receipt for {hash}");
    }

    pub async fn call<C: SolCall>(
        &self,
        key: &PrivateKeySigner,
        to: Address,
        value: U256,
        call: C,
    ) -> Value {
        self.send(key, TxKind::Call(to), value, call.abi_encode().into()).await
    }

    pub async fn deploy(&self, key: &PrivateKeySigner, code: Bytes) -> Address {
        let r = self.send(key, TxKind::Create, U256::ZERO, code).await;
        assert_eq!(r["status"], "0x1", "deployment failed: {r}");
        r["contractAddress"].as_str().expect("address").parse().expect("address")
    }

    pub async fn block_number(&self) -> u64 {
        let n: U256 = self.client.request("eth_blockNumber", rpc_params![]).await.expect("head");
        n.to()
    }

    pub async fn balance(&self, a: Address) -> U256 {
        self.client.request("eth_getBalance", rpc_params![a, "latest"]).await.expect("balance")
    }

    pub async fn token_balance(&self, token: Address, holder: Address) -> U256 {
        let data: Bytes = balanceOfCall { holder }.abi_encode().into();
        let out: Bytes = self
            .client
            .request(
                "eth_call",
                rpc_params![serde_json::json!({"to": token, "input": data}), "latest"],
            )
            .await
            .expect("call");
        U256::from_be_slice(&out)
    }
}

/// What [`build_chain`] made, for the assertions.
pub struct Built {
    pub token: Address,
    pub collectible: Address,
    pub forwarder: Address,
    pub holders: Vec<Address>,
    pub split_tx: B256,
}

/// The token name the escaping tests look for.
pub const HOSTILE_NAME: &str = "<script>alert(1)</script>";

/// Makes a chain with every kind of row: an ERC-20 (transfers, a burn), an ERC-721 (mint,
/// transfer), value moved and a contract created inside transactions, a failed transaction, a
/// cross-domain message, and in domain 1 plain transfers and a withdrawal of SEC to Ethereum.
pub async fn build_chain(node: &Node) -> Built {
    let d0 = Sender::new(node, 0);
    let d1 = Sender::new(node, 1);
    let (a, b, c) = (dev_key(0), dev_key(1), dev_key(2));
    let token = d0.deploy(&a, named_token(HOSTILE_NAME, "XSS", U256::from(1_000_000u64))).await;
    d0.call(&a, token, U256::ZERO, transferCall { to: b.address(), value: U256::from(1_000u64) })
        .await;
    d0.call(&b, token, U256::ZERO, transferCall { to: c.address(), value: U256::from(250u64) })
        .await;
    d0.call(&a, token, U256::ZERO, burnCall { value: U256::from(5_000u64) }).await;
    let collectible = d0.deploy(&a, collectible()).await;
    d0.call(&a, collectible, U256::ZERO, mintCall { to: a.address(), id: U256::from(7u64) }).await;
    d0.call(
        &a,
        collectible,
        U256::ZERO,
        transferFromCall { from: a.address(), to: b.address(), id: U256::from(7u64) },
    )
    .await;
    let forwarder = d0.deploy(&a, forwarder()).await;
    let split =
        d0.call(&a, forwarder, ether(2), splitCall { a: b.address(), b: c.address() }).await;
    d0.call(&a, forwarder, ether(1), spawnCall {}).await;
    let failed = d0.call(&a, forwarder, ether(1), splitAndFailCall { a: b.address() }).await;
    assert_eq!(failed["status"], "0x0");
    let message =
        sendCall { dstDomain: 1, to: b.address(), data: Bytes::from_static(&[0x12, 0x34]) };
    let sent = d0.call(&a, sec_contracts::predeploy::CROSS_DOMAIN, U256::ZERO, message).await;
    assert_eq!(sent["status"], "0x1", "message sent: {sent}");
    // domain 1 delivers it with a system transaction of its own: wait for it, so that the
    // chain (and every index of it) is the same in every run
    let hash = sent["logs"][0]["topics"][1].clone();
    d1.delivered(hash).await;
    d1.send(&c, TxKind::Call(b.address()), ether(3), Bytes::new()).await;
    d1.send(&b, TxKind::Call(a.address()), ether(1), Bytes::new()).await;
    let withdrawal =
        withdrawCall { token: Address::ZERO, l1Recipient: a.address(), amount: ether(1) };
    let out = d1.call(&c, sec_contracts::predeploy::L2_BRIDGE, ether(1), withdrawal).await;
    assert_eq!(out["status"], "0x1", "withdrawal started: {out}");
    Built {
        token,
        collectible,
        forwarder,
        holders: vec![a.address(), b.address(), c.address()],
        split_tx: split["transactionHash"].as_str().expect("hash").parse().expect("hash"),
    }
}

/// An Ethereum chain (the dev chain engine, chain id 31337) with the SEC contracts deployed by
/// dev account 0.
pub struct L1Chain {
    pub node: Node,
    pub client: sec_bridge::L1Client,
    pub deployment: sec_bridge::L1Deployment,
}

impl L1Chain {
    /// The chain's node on `datadir`, on a free port.
    async fn node(datadir: &Path) -> (Node, sec_bridge::L1Client) {
        let mut config = NodeConfig {
            datadir: datadir.to_path_buf(),
            chain_id_base: 31337,
            domains: 1,
            block_time_ms: 0,
            gas_limit: 30_000_000,
            genesis_timestamp: Some(1_700_000_000),
            ..Default::default()
        };
        config.rpc.addr = "127.0.0.1:0".parse().expect("addr");
        config.fund((0..3).map(|i| dev_key(i).address()), ether(10_000));
        let node = Node::start(config, dev_key(20)).await.expect("l1 starts");
        let url = format!("http://{}", node.rpc_addr());
        let client = sec_bridge::L1Client::connect(&url, dev_key(0)).await.expect("l1 client");
        (node, client)
    }

    /// The chain in `datadir` started again, with the contracts `deployment` deployed there.
    pub async fn restart(datadir: &Path, deployment: sec_bridge::L1Deployment) -> Self {
        let (node, client) = Self::node(datadir).await;
        Self { node, client, deployment }
    }

    pub async fn start(datadir: &Path) -> Self {
        let (node, client) = Self::node(datadir).await;
        let plan = sec_contracts::L1DeployConfig {
            num_domains: 2,
            ..sec_contracts::L1DeployConfig::devnet(client.address(), 1_700_000_000)
        };
        let deployment = sec_bridge::deploy_l1(&client, &plan).await.expect("deployed");
        Self { node, client, deployment }
    }

    /// What the indexer needs to follow this chain.
    pub fn ethereum_config(&self) -> sec_indexer::ethereum::EthereumConfig {
        let a = &self.deployment.addresses;
        sec_indexer::ethereum::EthereumConfig {
            rpc: self.client.url().to_string(),
            bridge: a.l1_bridge,
            checkpoint_manager: a.checkpoint_manager,
            stake_manager: a.stake_manager,
            from_block: self.deployment.block,
            confirmations: 0,
            allocations: vec![
                a.angel_vault,
                a.presale,
                a.foundation_vault,
                a.business_reserve,
                a.team_vault,
                a.investment_reserve,
            ],
        }
    }

    /// Dev account 0 takes its vested SEC and registers as a validator (signer: dev key 7,
    /// 7.5% commission) with the minimum self-stake; dev account 2 delegates `delegated` to it.
    /// Returns the minimum self-stake.
    pub async fn register_and_delegate(&self, delegated: U256) -> U256 {
        use sec_bridge::staking::{Registration, delegate, register_validator};
        use sec_contracts::bindings::{SECToken, StakeManager, VestingVault};
        let a = &self.deployment.addresses;
        self.client
            .send_call(a.angel_vault, VestingVault::releaseCall {}, U256::ZERO)
            .await
            .expect("release");
        let min_stake = self
            .client
            .view(a.stake_manager, StakeManager::minSelfStakeCall {})
            .await
            .expect("min");
        let registration = Registration {
            signer: dev_key(7),
            bls_key: Bytes::from(vec![0xb1; 48]),
            commission_bps: 750,
            self_stake: min_stake,
        };
        register_validator(&self.client, a.stake_manager, a.token, &registration)
            .await
            .expect("registered");
        let delegator = self.client.with_signer(dev_key(2)).await.expect("delegator client");
        let fund =
            SECToken::transferCall { to: dev_key(2).address(), value: delegated * U256::from(2) };
        self.client.send_call(a.token, fund, U256::ZERO).await.expect("fund delegator");
        delegate(&delegator, a.stake_manager, a.token, self.client.address(), delegated)
            .await
            .expect("delegated");
        min_stake
    }
}

/// A free TCP port on loopback (nothing listens on it when this returns).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// A JSON-RPC proxy in front of a real node that fails one in `fail_one_in` of the HTTP
/// requests it is sent (chosen by a fixed pseudo-random sequence), half by closing the
/// connection unanswered and half with a 503, and forwards the others. What a node behind a
/// load balancer, restarting, or on a bad network does to its clients.
pub struct FlakyProxy {
    pub url: String,
    /// Requests failed so far.
    pub failed: std::sync::Arc<std::sync::atomic::AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FlakyProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FlakyProxy {
    /// Listens on `port` (0: any) and forwards to `upstream` (`http://host:port`, paths kept).
    pub async fn start(upstream: &str, fail_one_in: u64, port: u16) -> Self {
        use std::sync::{Arc, atomic::AtomicU64};
        let listener =
            tokio::net::TcpListener::bind(("127.0.0.1", port)).await.expect("proxy binds");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let upstream = upstream.trim_start_matches("http://").trim_end_matches('/').to_string();
        let failed = Arc::new(AtomicU64::new(0));
        let seen = Arc::new(AtomicU64::new(0));
        let counter = failed.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((conn, _)) = listener.accept().await else { continue };
                let (upstream, failed, seen) = (upstream.clone(), counter.clone(), seen.clone());
                tokio::spawn(async move {
                    let _ = proxy_connection(conn, &upstream, fail_one_in, &failed, &seen).await;
                });
            }
        });
        Self { url, failed, task }
    }

    pub fn failures(&self) -> u64 {
        self.failed.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Reads one HTTP/1.1 message (head and a Content-Length or chunked body) from `r`; `None` at
/// the end of the stream.
async fn read_message(
    r: &mut tokio::io::BufReader<impl tokio::io::AsyncRead + Unpin>,
) -> std::io::Result<Option<(String, Vec<u8>)>> {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt};
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).await? == 0 {
            return Ok(None);
        }
        if line == "\r\n" && !head.is_empty() {
            break;
        }
        head.push_str(&line);
    }
    let header = |name: &str| {
        head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    };
    let mut body = Vec::new();
    if let Some(len) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        body.resize(len, 0);
        r.read_exact(&mut body).await?;
    } else if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        loop {
            let mut size = String::new();
            r.read_line(&mut size).await?;
            let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            let mut chunk = vec![0; n + 2];
            r.read_exact(&mut chunk).await?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    }
    Ok(Some((head, body)))
}

async fn proxy_connection(
    conn: tokio::net::TcpStream,
    upstream: &str,
    fail_one_in: u64,
    failed: &std::sync::atomic::AtomicU64,
    seen: &std::sync::atomic::AtomicU64,
) -> std::io::Result<()> {
    use std::sync::atomic::Ordering;
    use tokio::io::{AsyncWriteExt, BufReader};
    let (read, mut write) = conn.into_split();
    let mut read = BufReader::new(read);
    while let Some((head, body)) = read_message(&mut read).await? {
        let n = seen.fetch_add(1, Ordering::Relaxed);
        let roll = n.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 33;
        if fail_one_in > 0 && roll.is_multiple_of(fail_one_in) {
            failed.fetch_add(1, Ordering::Relaxed);
            if roll & (1 << 20) == 0 {
                return Ok(()); // the connection closes unanswered
            }
            let text = "upstream unavailable";
            let answer = format!(
                "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n\
                 Content-Length: {}\r\n\r\n{text}",
                text.len()
            );
            write.write_all(answer.as_bytes()).await?;
            continue;
        }
        let path = head.split(' ').nth(1).unwrap_or("/").to_string();
        let mut up = tokio::net::TcpStream::connect(upstream).await?;
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {upstream}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        up.write_all(request.as_bytes()).await?;
        up.write_all(&body).await?;
        let mut up = BufReader::new(up);
        let Some((answer_head, answer)) = read_message(&mut up).await? else { return Ok(()) };
        let status = answer_head.lines().next().unwrap_or("HTTP/1.1 502 Bad Gateway");
        let reply = format!(
            "{status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            answer.len()
        );
        write.write_all(reply.as_bytes()).await?;
        write.write_all(&answer).await?;
    }
    Ok(())
}

/// Copies directory `from` (a stopped node's data) to `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// What [`build_trades`] made, for the assertions.
pub struct Trades {
    /// Sells offers 1-3; banned by the upheld dispute over offer 3; then sets its home to
    /// domain 1 on the hub (after its trades: it changes none of them).
    pub seller: Address,
    /// Sets its home to domain 1 on the hub (its first transaction, in domain 0); buys offer 1
    /// (confirmed); sells offer 5 (refunded).
    pub buyer: Address,
    /// Buys offer 3 and disputes it; opens and cancels offer 4; pays offer 5; then sets its
    /// home by a message from domain 1.
    pub disputer: Address,
    /// First transacts in domain 1, sets its home to domain 0 on the hub, then pays offer 2 in
    /// domain 0 by a cross-domain message from domain 1.
    pub cross_buyer: Address,
    /// The transaction of domain 1 that sent the payment of offer 2.
    pub cross_payment: B256,
    /// The five judges, all on the panel of dispute 1.
    pub judges: Vec<Address>,
}

/// `price × (5000 − 40 × index) / 10000`, rounded up: the seller's bond (contracts/TRADE.md).
pub fn trade_bond(price: U256, index: u64) -> U256 {
    (price * U256::from(5000 - 40 * index)).div_ceil(U256::from(10_000u64))
}

/// Trades in domain 0 through the trade predeploys, every kind of step once:
/// offer 1 confirmed; offer 2 paid by a cross-domain message from domain 1 (by an account whose
/// first transaction was there), extended, confirmed; offer 3 disputed, three judges of five
/// uphold, the seller banned; offer 4 cancelled; offer 5 refunded by its seller. Homes in the
/// hub's directory: the buyer's 1 and the cross buyer's 0 before their trades, the seller's 1
/// and the disputer's 1 (by a message) after every trade.
pub async fn build_trades(node: &Node) -> Trades {
    use sec_contracts::{
        bindings::{Disputes as D, HomeDirectory as H, TradeEscrow as E},
        predeploy::{CROSS_DOMAIN, DISPUTES, HOME_DIRECTORY, TRADE_ESCROW},
    };
    let d0 = Sender::new(node, 0);
    let d1 = Sender::new(node, 1);
    let (seller, buyer, disputer, cross, funder) =
        (dev_key(0), dev_key(1), dev_key(2), dev_key(3), dev_key(4));
    let judges: Vec<_> = (5..10).map(dev_key).collect();
    let ok = |r: Value, what: &str| assert_eq!(r["status"], "0x1", "{what}: {r}");
    ok(d1.send(&cross, TxKind::Call(funder.address()), ether(1), Bytes::new()).await, "d1");
    let home = |domain: u32| H::setHomeCall { domain };
    ok(d0.call(&buyer, HOME_DIRECTORY, U256::ZERO, home(1)).await, "buyer's home");
    ok(d0.call(&cross, HOME_DIRECTORY, U256::ZERO, home(0)).await, "cross buyer's home");
    for j in &judges {
        ok(d0.send(&funder, TxKind::Call(j.address()), ether(1_100), Bytes::new()).await, "fund");
    }
    let open = |price: U256| E::openCall {
        token: Address::ZERO,
        price,
        descriptionHash: B256::repeat_byte(0xde),
        autoConfirmPeriod: 0,
        shipPeriod: 0,
        designatedBuyer: Address::ZERO,
    };
    let ship = |id: u64| E::shipCall { offerId: id, trackingHash: B256::repeat_byte(0x7a) };

    // 1: confirmed.
    ok(d0.call(&seller, TRADE_ESCROW, trade_bond(ether(10), 0), open(ether(10))).await, "open 1");
    ok(d0.call(&buyer, TRADE_ESCROW, ether(10), E::payCall { offerId: 1 }).await, "pay 1");
    ok(d0.call(&seller, TRADE_ESCROW, U256::ZERO, ship(1)).await, "ship 1");
    ok(d0.call(&buyer, TRADE_ESCROW, U256::ZERO, E::confirmCall { offerId: 1 }).await, "confirm 1");

    // 2: across domains, extended, confirmed.
    ok(d0.call(&seller, TRADE_ESCROW, trade_bond(ether(10), 1), open(ether(10))).await, "open 2");
    let pay = sendCall {
        dstDomain: 0,
        to: TRADE_ESCROW,
        data: E::payCall { offerId: 2 }.abi_encode().into(),
    };
    let sent = d1.call(&cross, CROSS_DOMAIN, ether(10), pay).await;
    ok(sent.clone(), "pay 2 from domain 1");
    d0.delivered(sent["logs"][0]["topics"][1].clone()).await;
    ok(d0.call(&seller, TRADE_ESCROW, U256::ZERO, ship(2)).await, "ship 2");
    ok(d0.call(&cross, TRADE_ESCROW, U256::ZERO, E::extendCall { offerId: 2 }).await, "extend 2");
    ok(d0.call(&cross, TRADE_ESCROW, U256::ZERO, E::confirmCall { offerId: 2 }).await, "confirm 2");

    // 3: disputed, upheld 3 to 2.
    ok(d0.call(&seller, TRADE_ESCROW, trade_bond(ether(20), 2), open(ether(20))).await, "open 3");
    ok(d0.call(&disputer, TRADE_ESCROW, ether(20), E::payCall { offerId: 3 }).await, "pay 3");
    ok(d0.call(&seller, TRADE_ESCROW, U256::ZERO, ship(3)).await, "ship 3");
    for j in &judges {
        ok(d0.call(j, DISPUTES, ether(1_000), D::bondCall {}).await, "judge bond");
    }
    let evidence = B256::repeat_byte(0xee);
    let dispute = E::disputeCall { offerId: 3, evidenceHash: evidence };
    ok(d0.call(&disputer, TRADE_ESCROW, ether(5), dispute).await, "dispute 3");
    let answer = E::submitEvidenceCall { offerId: 3, evidenceHash: B256::repeat_byte(0xaa) };
    ok(d0.call(&seller, TRADE_ESCROW, U256::ZERO, answer).await, "evidence");
    for (j, uphold) in judges.iter().zip([true, true, true, false, false]) {
        ok(d0.call(j, DISPUTES, U256::ZERO, D::voteCall { disputeId: 1, uphold }).await, "vote");
    }
    ok(d0.call(&buyer, DISPUTES, U256::ZERO, D::decideCall { disputeId: 1 }).await, "decide");

    // 4: cancelled; 5: refunded by its seller.
    ok(d0.call(&disputer, TRADE_ESCROW, trade_bond(ether(1), 0), open(ether(1))).await, "open 4");
    ok(d0.call(&disputer, TRADE_ESCROW, U256::ZERO, E::cancelCall { offerId: 4 }).await, "cancel");
    ok(d0.call(&buyer, TRADE_ESCROW, trade_bond(ether(2), 1), open(ether(2))).await, "open 5");
    ok(d0.call(&disputer, TRADE_ESCROW, ether(2), E::payCall { offerId: 5 }).await, "pay 5");
    ok(d0.call(&buyer, TRADE_ESCROW, U256::ZERO, E::refundCall { offerId: 5 }).await, "refund");

    // Homes set after every trade.
    ok(d0.call(&seller, HOME_DIRECTORY, U256::ZERO, home(1)).await, "seller's home");
    let from_message = sendCall {
        dstDomain: 0,
        to: HOME_DIRECTORY,
        data: H::setHomeFromMessageCall {}.abi_encode().into(),
    };
    let home_sent = d1.call(&disputer, CROSS_DOMAIN, U256::ZERO, from_message).await;
    ok(home_sent.clone(), "disputer's home by a message");
    d0.delivered(home_sent["logs"][0]["topics"][1].clone()).await;

    Trades {
        seller: seller.address(),
        buyer: buyer.address(),
        disputer: disputer.address(),
        cross_buyer: cross.address(),
        cross_payment: sent["transactionHash"].as_str().expect("hash").parse().expect("hash"),
        judges: judges.iter().map(|j| j.address()).collect(),
    }
}
