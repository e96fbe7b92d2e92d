//! What every integration test needs: a running node, dev keys, signed transactions, a client.

use std::{net::SocketAddr, path::Path, sync::Arc, time::Duration};

use alloy::{
    consensus::{SignableTransaction, TxEip1559, TxEip2930, TxEnvelope, TxLegacy},
    eips::eip2718::Encodable2718,
    signers::{SignerSync, local::PrivateKeySigner},
    sol,
    sol_types::{SolType, sol_data},
};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, hex};
use jsonrpsee::{
    core::{ClientError, client::ClientT},
    http_client::{HttpClient, HttpClientBuilder},
    types::ErrorObjectOwned,
};
use sec_primitives::{
    DEV_MNEMONIC, Deposit,
    deposit::{KIND_ERC20, KIND_SEC},
    dev_signers,
};
use sec_sequencer::{Node, NodeConfig};
use serde_json::{Value, json};

sol! {
    function set(uint256 v);
    function fail();
    function failBare();
    function callSelf(uint256 v);
    function value() returns (uint256);
    function blockInfo() returns (uint256, uint256, bytes32);
}

/// Creation code of `fixtures/Probe.sol`.
pub fn probe_code() -> Bytes {
    hex::decode(include_str!("fixtures/Probe.bin").trim()).expect("fixture hex").into()
}

pub const GWEI: u128 = 1_000_000_000;

/// The settings of a domain driven in-process (no RPC, no block timer): chain 53500, blocks
/// made on request, dev accounts 0 to 2 funded with 1 ether, an 8 MiB page cache.
pub fn domain_config(dir: &Path, gas_limit: u64) -> sec_sequencer::DomainConfig {
    let ether = U256::from(10u64).pow(U256::from(18u64));
    sec_sequencer::DomainConfig {
        id: 0,
        chain_id: 53500,
        block_time: std::time::Duration::ZERO,
        block_phase: std::time::Duration::ZERO,
        gas_limit,
        initial_base_fee: 1_000_000_000,
        pool: Default::default(),
        datadir: dir.to_path_buf(),
        alloc: (0..3)
            .map(|i| {
                (
                    dev_key(i).address(),
                    sec_primitives::GenesisAccount { balance: ether, ..Default::default() },
                )
            })
            .collect(),
        genesis_timestamp: 1_700_000_000,
        db_cache_bytes: 8 << 20,
        l1: None,
        outboxes: None,
        epochs: None,
        proof_window: 0,
    }
}

/// Dev account `i` of the dev mnemonic (funded at genesis by [`TestNode`]).
pub fn dev_key(i: u32) -> PrivateKeySigner {
    dev_signers(DEV_MNEMONIC, i + 1).expect("dev keys").pop().expect("one key")
}

/// A node on a free port; blocks are produced as soon as transactions arrive.
pub struct TestNode {
    pub node: Option<Node>,
    pub addr: SocketAddr,
    pub config: NodeConfig,
}

impl TestNode {
    pub fn config(datadir: &Path, domains: u32) -> NodeConfig {
        let mut config = NodeConfig {
            datadir: datadir.to_path_buf(),
            domains,
            block_time_ms: 0,
            genesis_timestamp: Some(1_700_000_000),
            ..Default::default()
        };
        config.rpc.addr = "127.0.0.1:0".parse().expect("addr");
        let ether = U256::from(10u64).pow(U256::from(18u64));
        config.fund((0..5).map(|i| dev_key(i).address()), U256::from(10_000u64) * ether);
        config
    }

    pub async fn start(config: NodeConfig) -> Self {
        Self::start_with_l1(config, None).await
    }

    /// [`TestNode::start`], crediting the deposits `l1` holds.
    pub async fn start_with_l1(
        config: NodeConfig,
        l1: Option<std::sync::Arc<dyn sec_primitives::L1Source>>,
    ) -> Self {
        let node = Node::start_with_l1(config.clone(), dev_key(20), l1).await.expect("node starts");
        let addr = node.rpc_addr();
        Self { node: Some(node), addr, config }
    }

    pub fn url(&self, domain: u32) -> String {
        if domain == 0 {
            format!("http://{}/", self.addr)
        } else {
            format!("http://{}/domain/{domain}", self.addr)
        }
    }

    pub fn ws(&self, domain: u32) -> String {
        self.url(domain).replacen("http", "ws", 1)
    }

    pub fn rpc(&self, domain: u32) -> Rpc {
        Rpc::new(&self.url(domain))
    }

    pub fn chain_id(&self, domain: u32) -> u64 {
        self.config.chain_id_base + domain as u64
    }

    pub async fn stop(&mut self) {
        if let Some(n) = self.node.take() {
            n.shutdown().await;
        }
    }
}

/// A JSON-RPC client that keeps error codes and messages.
pub struct Rpc {
    client: HttpClient,
}

impl Rpc {
    pub fn new(url: &str) -> Self {
        Self { client: HttpClientBuilder::default().build(url).expect("client") }
    }

    /// Calls `method`; an error response comes back as its error object.
    pub async fn try_call(
        &self,
        method: &str,
        params: Vec<Value>,
    ) -> Result<Value, ErrorObjectOwned> {
        let mut p = jsonrpsee::core::params::ArrayParams::new();
        for v in params {
            p.insert(v).expect("serializable");
        }
        match self.client.request::<Value, _>(method, p).await {
            Ok(v) => Ok(v),
            Err(ClientError::Call(e)) => Err(e),
            Err(e) => panic!("{method}: transport error {e}"),
        }
    }

    pub async fn call(&self, method: &str, params: Vec<Value>) -> Value {
        match self.try_call(method, params).await {
            Ok(v) => v,
            Err(e) => panic!("{method} failed: {e:?}"),
        }
    }

    pub async fn send(&self, raw: &Bytes) -> Result<B256, ErrorObjectOwned> {
        self.try_call("eth_sendRawTransaction", vec![Value::String(raw.to_string())])
            .await
            .map(|v| serde_json::from_value(v).expect("hash"))
    }

    /// Sends and waits for the receipt.
    pub async fn send_and_wait(&self, raw: &Bytes) -> Value {
        let hash = self.send(raw).await.unwrap_or_else(|e| panic!("send failed: {e:?}"));
        self.receipt(hash).await
    }

    pub async fn receipt(&self, hash: B256) -> Value {
        for _ in 0..200 {
            let r = self.call("eth_getTransactionReceipt", vec![hash.to_string().into()]).await;
            if !r.is_null() {
                return r;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("no receipt for {hash}");
    }

    pub async fn nonce(&self, address: Address) -> u64 {
        quantity(
            &self
                .call("eth_getTransactionCount", vec![address.to_string().into(), "pending".into()])
                .await,
        )
    }
}

/// `n` whole SEC in wei.
pub fn sec(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18u64))
}

/// `who`'s balance at the latest block.
pub async fn balance(rpc: &Rpc, who: Address) -> U256 {
    let v = rpc.call("eth_getBalance", vec![json!(who), json!("latest")]).await;
    serde_json::from_value(v).expect("balance")
}

pub fn quantity(v: &Value) -> u64 {
    let s = v.as_str().unwrap_or_else(|| panic!("not a quantity: {v}"));
    u64::from_str_radix(s.trim_start_matches("0x"), 16).expect("hex quantity")
}

/// Parameters of a test transaction.
#[derive(Clone)]
pub struct Tx {
    pub chain_id: u64,
    pub nonce: u64,
    pub to: TxKind,
    pub value: U256,
    pub input: Bytes,
    pub gas: u64,
    pub max_fee: u128,
    pub tip: u128,
}

impl Tx {
    pub fn call(chain_id: u64, nonce: u64, to: Address, input: Bytes) -> Self {
        Self {
            chain_id,
            nonce,
            to: TxKind::Call(to),
            value: U256::ZERO,
            input,
            gas: 200_000,
            max_fee: 10 * GWEI,
            tip: GWEI,
        }
    }

    pub fn transfer(chain_id: u64, nonce: u64, to: Address, value: U256) -> Self {
        Self { value, gas: 21_000, ..Self::call(chain_id, nonce, to, Bytes::new()) }
    }

    pub fn create(chain_id: u64, nonce: u64, code: Bytes) -> Self {
        Self {
            to: TxKind::Create,
            gas: 2_000_000,
            ..Self::call(chain_id, nonce, Address::ZERO, code)
        }
    }

    pub fn eip1559(&self, key: &PrivateKeySigner) -> Bytes {
        let tx = TxEip1559 {
            chain_id: self.chain_id,
            nonce: self.nonce,
            gas_limit: self.gas,
            max_fee_per_gas: self.max_fee,
            max_priority_fee_per_gas: self.tip,
            to: self.to,
            value: self.value,
            input: self.input.clone(),
            access_list: Default::default(),
        };
        let sig = key.sign_hash_sync(&tx.signature_hash()).expect("sign");
        TxEnvelope::from(tx.into_signed(sig)).encoded_2718().into()
    }

    pub fn legacy(&self, key: &PrivateKeySigner) -> Bytes {
        let tx = TxLegacy {
            chain_id: Some(self.chain_id),
            nonce: self.nonce,
            gas_price: self.max_fee,
            gas_limit: self.gas,
            to: self.to,
            value: self.value,
            input: self.input.clone(),
        };
        let sig = key.sign_hash_sync(&tx.signature_hash()).expect("sign");
        TxEnvelope::from(tx.into_signed(sig)).encoded_2718().into()
    }

    pub fn eip2930(&self, key: &PrivateKeySigner) -> Bytes {
        let tx = TxEip2930 {
            chain_id: self.chain_id,
            nonce: self.nonce,
            gas_price: self.max_fee,
            gas_limit: self.gas,
            to: self.to,
            value: self.value,
            input: self.input.clone(),
            access_list: Default::default(),
        };
        let sig = key.sign_hash_sync(&tx.signature_hash()).expect("sign");
        TxEnvelope::from(tx.into_signed(sig)).encoded_2718().into()
    }
}

/// Deploys the probe contract from dev account 0 and returns its address.
pub async fn deploy_probe(rpc: &Rpc, chain_id: u64) -> Address {
    let key = dev_key(0);
    let nonce = rpc.nonce(key.address()).await;
    let receipt = rpc.send_and_wait(&Tx::create(chain_id, nonce, probe_code()).eip1559(&key)).await;
    assert_eq!(receipt["status"], "0x1", "deploy failed: {receipt}");
    serde_json::from_value(receipt["contractAddress"].clone()).expect("contract address")
}

/// A raw HTTP POST, for malformed requests no client library would send.
pub async fn raw_post(addr: SocketAddr, path: &str, body: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.expect("write");
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.expect("read");
    let text = String::from_utf8_lossy(&out).to_string();
    let status = text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    // Chunked bodies: take the JSON part.
    let body = match (body.find(['{', '[']), body.rfind(['}', ']'])) {
        (Some(a), Some(b)) if b >= a => body[a..=b].to_string(),
        _ => body,
    };
    (status, body)
}

/// `JUMPDEST PUSH1 0 JUMP`: spins until its gas runs out.
pub const SPIN: &str = "0x5b600056";

/// An `eth_call` of 50M gas of [`SPIN`], installed by a state override.
pub fn spin_call() -> Vec<Value> {
    let at = Address::repeat_byte(0x5b);
    vec![
        json!({ "to": at, "gas": "0x2faf080" }),
        json!("latest"),
        json!({ at.to_string(): { "code": SPIN } }),
    ]
}

pub use sec_sequencer::testing::MemoryL1;

/// A deposit of `kind` as `L1Bridge` records it (the block is set when mined).
pub fn deposit(nonce: u64, domain: u32, kind: u8, to: Address, amount: U256) -> Deposit {
    let (token, token_metadata) = match kind {
        KIND_ERC20 => (
            Address::repeat_byte(0x70),
            <(sol_data::String, sol_data::String, sol_data::Uint<8>)>::abi_encode_params(&(
                "Tomato Dollar".to_string(),
                "TMD".to_string(),
                6u8,
            ))
            .into(),
        ),
        KIND_SEC => (Address::repeat_byte(0x5e), Bytes::new()),
        _ => (Address::ZERO, Bytes::new()),
    };
    Deposit {
        nonce,
        domain,
        token,
        kind,
        from: Address::repeat_byte(0x11),
        to,
        amount,
        data: Bytes::new(),
        token_metadata,
        block: 0,
    }
}

/// What a validator expects of the next block of `domain` from `producer` (the slot after the
/// head's, the producer's derived BLS key, two seconds of clock drift).
pub fn expected(
    domain: &sec_sequencer::Domain,
    producer: &PrivateKeySigner,
) -> sec_sequencer::domain::Expected {
    use sec_primitives::randomness::RandaoKey;
    let bls = RandaoKey::from_ecdsa_secret(producer.to_bytes().as_slice()).expect("BLS key");
    let head = domain.block(domain.head().0).expect("store").expect("head");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    sec_sequencer::domain::Expected {
        slot: head.extension.slot + 1,
        producer: producer.address(),
        bls_key: bls.public_key().to_vec(),
        max_timestamp: Some(now.max(head.header.timestamp) + 2),
    }
}

/// A block as its producer would propose it.
pub fn proposal(block: &sec_sequencer::storage::BlockRecord) -> sec_sequencer::domain::Proposal {
    sec_sequencer::domain::Proposal {
        header: block.header.clone(),
        extension: block.extension.clone(),
        txs: block.txs.iter().map(|t| t.raw.clone()).collect(),
    }
}

/// Puts the extension's commitment back in `extraData` after a test changed the extension.
pub fn recommit(p: &mut sec_sequencer::domain::Proposal) {
    p.header.extra_data = Bytes::copy_from_slice(p.extension.commitment().as_slice());
}

/// One node's domains, opened without their production loops: the test drives them.
pub struct Side {
    pub domains: Vec<Arc<sec_sequencer::Domain>>,
    _dir: tempfile::TempDir,
}

/// Opens a node's 2 domains with producer key `key` on `l1` (deposits after one
/// confirmation), with `configure`'s changes to the test configuration.
pub async fn side(
    key: &PrivateKeySigner,
    l1: &Arc<MemoryL1>,
    configure: impl FnOnce(&mut NodeConfig),
) -> Side {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = TestNode::config(dir.path(), 2);
    config.l1.confirmations = 1;
    config.l1_sec_token = Address::repeat_byte(0x5e);
    configure(&mut config);
    let domains =
        sec_sequencer::node::open_domains(&config, key, Some(l1.clone())).await.expect("opens");
    Side { domains, _dir: dir }
}
