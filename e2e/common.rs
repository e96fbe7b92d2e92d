//! Starting the real binary and talking to it.

use std::{
    io::{BufRead, BufReader},
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use alloy::{
    consensus::{SignableTransaction, TxEip1559, TxEnvelope},
    eips::eip2718::Encodable2718,
    signers::{SignerSync, local::PrivateKeySigner},
};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use jsonrpsee::{
    core::{ClientError, client::ClientT, params::ArrayParams},
    http_client::{HttpClient, HttpClientBuilder},
};
use serde_json::{Value, json};

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

pub use sec_sequencer::testing::free_port_range;

/// The repository root (where `e2e/` lives).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A `sec node` process with dev accounts funded through its TOML config.
pub struct NodeProcess {
    pub child: Child,
    pub port: u16,
}

impl NodeProcess {
    /// Starts `sec node` on `datadir` (writing its config there) and waits for its RPC.
    pub fn start(datadir: &Path, domains: u32, block_time: f64, port: u16) -> Self {
        Self::start_with(datadir, domains, block_time, port, &[])
    }

    /// [`NodeProcess::start`] with more command-line flags (e.g. an L1 to read deposits from).
    pub fn start_with(
        datadir: &Path,
        domains: u32,
        block_time: f64,
        port: u16,
        flags: &[String],
    ) -> Self {
        let config = datadir.join("node.toml");
        if !config.exists() {
            let mut toml = format!(
                "datadir = {:?}\ndomains = {domains}\nblock_time_ms = {}\ntrade_min_period_secs = 2\n\n[rpc]\naddr = \"127.0.0.1:{port}\"\n",
                datadir.join("chain"),
                (block_time * 1000.0) as u64
            );
            for s in
                sec_primitives::dev_signers(sec_primitives::DEV_MNEMONIC, 10).expect("dev keys")
            {
                toml.push_str(&format!(
                    "\n[alloc.\"{}\"]\nbalance = \"0x21e19e0c9bab2400000\"\n",
                    s.address()
                ));
            }
            std::fs::write(&config, toml).expect("config");
        }
        let child = Command::new(env!("CARGO_BIN_EXE_sec"))
            .args(["node", "--config"])
            .arg(&config)
            .args(flags)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn sec");
        let node = Self { child, port };
        node.wait_ready();
        node
    }

    pub fn url(&self, domain: u32) -> String {
        if domain == 0 {
            format!("http://127.0.0.1:{}/", self.port)
        } else {
            format!("http://127.0.0.1:{}/domain/{domain}", self.port)
        }
    }

    fn wait_ready(&self) {
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(60), "node did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL: no shutdown path runs.
    pub fn kill9(mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("reap");
    }
}

/// Runs `sec bench ARGS --rpc` against domains 0 and 1 of `node` and returns what it printed;
/// it must succeed.
pub fn bench(node: &NodeProcess, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_sec"))
        .arg("bench")
        .args(args)
        .arg("--rpc")
        .arg(node.url(0))
        .arg(node.url(1))
        .env("RUST_LOG", "warn")
        .stderr(Stdio::inherit())
        .output()
        .expect("bench runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{stdout}");
    stdout
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `sec ARGS` with `key` (hex) in `SEC_KEY`, as a user would; its success, stdout and
/// stderr.
pub fn sec_cli(key: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sec"))
        .args(args)
        .env("SEC_KEY", key)
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .output()
        .expect("run sec");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub fn client(url: &str) -> HttpClient {
    HttpClientBuilder::default()
        .request_timeout(Duration::from_secs(30))
        .build(url)
        .expect("client")
}

pub async fn call(c: &HttpClient, method: &str, params: Vec<Value>) -> Result<Value, ClientError> {
    let mut p = ArrayParams::new();
    for v in params {
        p.insert(v).expect("serializable");
    }
    c.request(method, p).await
}

/// `n` whole SEC (or ETH, or any 18-decimal token) in wei.
pub fn sec(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

/// An account's native balance on the domain at `url`.
pub async fn balance(url: &str, who: Address) -> U256 {
    let v = call(&client(url), "eth_getBalance", vec![json!(who), json!("latest")]).await.unwrap();
    serde_json::from_value(v).unwrap()
}

pub fn quantity(v: &Value) -> u64 {
    u64::from_str_radix(v.as_str().expect("quantity").trim_start_matches("0x"), 16).expect("hex")
}

/// A signed EIP-1559 value transfer.
pub fn transfer(
    key: &PrivateKeySigner,
    chain_id: u64,
    nonce: u64,
    to: Address,
    value: U256,
) -> (B256, Bytes) {
    signed_call(key, chain_id, nonce, to, Bytes::new(), value, 21_000)
}

/// A signed EIP-1559 call of `to` with `data` and `value`, at a fixed generous fee.
pub fn signed_call(
    key: &PrivateKeySigner,
    chain_id: u64,
    nonce: u64,
    to: Address,
    data: Bytes,
    value: U256,
    gas_limit: u64,
) -> (B256, Bytes) {
    let tx = TxEip1559 {
        chain_id,
        nonce,
        gas_limit,
        max_fee_per_gas: 100_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to: TxKind::Call(to),
        value,
        input: data,
        ..Default::default()
    };
    let sig = key.sign_hash_sync(&tx.signature_hash()).expect("sign");
    let env = TxEnvelope::from(tx.into_signed(sig));
    (*env.tx_hash(), env.encoded_2718().into())
}

/// hardhat's node (the independent Ethereum implementation pinned in `e2e/js`).
///
/// Started as `node node_modules/.bin/hardhat node ...` in `e2e/js`: the very script
/// `npx hardhat` resolves to, with the same arguments and environment, but without npm's
/// wrapper processes, so the child handle is the node itself and dropping it stops exactly
/// the process this test started (killing `npx` would leave its grandchild running).
pub struct HardhatNode {
    child: Child,
    pub port: u16,
}

impl HardhatNode {
    /// Starts it on a free port and waits until `eth_chainId` answers.
    pub fn start() -> Self {
        let js = root().join("e2e/js");
        assert!(
            js.join("node_modules/hardhat").exists(),
            "e2e/js/node_modules/hardhat is missing: run ./scripts/test.sh, which installs the pinned npm packages"
        );
        let port = free_port();
        let child = Command::new("node")
            .arg("node_modules/.bin/hardhat")
            .args(["node", "--hostname", "127.0.0.1", "--port", &port.to_string()])
            .current_dir(&js)
            .env("HARDHAT_DISABLE_TELEMETRY_PROMPT", "true")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn hardhat node");
        let mut node = Self { child, port };
        node.wait_ready();
        node
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn wait_ready(&mut self) {
        let started = Instant::now();
        let body = r#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}"#;
        let request = format!(
            "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        loop {
            if http_exchange(self.port, &request)
                .is_ok_and(|(_, answer)| answer.contains("\"result\""))
            {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("hardhat node exited during startup: {status}");
            }
            assert!(started.elapsed() < Duration::from_secs(60), "hardhat node did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for HardhatNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running `sec devnet`, stopped with SIGKILL when dropped.
pub struct Devnet {
    child: Child,
    pub rpc: u16,
    pub l1: u16,
    pub explorer: u16,
}

impl Devnet {
    /// Starts it on free ports and waits until it printed its summary.
    pub fn start(datadir: &Path, ports: Option<(u16, u16, u16)>) -> Self {
        Self::start_with(datadir, ports, &[])
    }

    /// [`Devnet::start`] with more command-line flags.
    pub fn start_with(datadir: &Path, ports: Option<(u16, u16, u16)>, flags: &[&str]) -> Self {
        let (rpc, l1, explorer) = ports.unwrap_or_else(|| (free_port(), free_port(), free_port()));
        let child = Command::new(env!("CARGO_BIN_EXE_sec"))
            .args(["devnet", "--datadir"])
            .arg(datadir)
            .args(["--rpc-addr", &format!("127.0.0.1:{rpc}")])
            .args(["--l1-addr", &format!("127.0.0.1:{l1}")])
            .args(["--explorer-addr", &format!("127.0.0.1:{explorer}")])
            .args(["--checkpoint-interval", "2"])
            .args(flags)
            // the validators' networks, on ports nothing else in the suite takes
            .args(["--p2p-port", &free_port_range(35).to_string()])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn sec devnet");
        // owned from here, so that a failed start kills it (on drop)
        let mut devnet = Self { child, rpc, l1, explorer };
        let stdout = devnet.child.stdout.take().expect("stdout");
        let started = Instant::now();
        let mut lines = BufReader::new(stdout).lines();
        while let Some(line) = lines.next() {
            let line = line.expect("devnet output");
            if line.starts_with("Ctrl-C stops it") {
                // keep reading, so the devnet never writes into a closed pipe
                std::thread::spawn(move || lines.for_each(drop));
                return devnet;
            }
            assert!(started.elapsed() < Duration::from_secs(180), "devnet did not start");
        }
        panic!("devnet exited before it was ready");
    }

    /// `GET path` on the devnet's explorer: the status code and the body.
    pub fn explorer_get(&self, path: &str) -> (u16, String) {
        http_get(self.explorer, path)
    }

    pub fn l1_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.l1)
    }

    pub fn domain_url(&self, d: u32) -> String {
        format!("http://127.0.0.1:{}/domain/{d}", self.rpc)
    }

    pub fn kill9(mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("reap");
    }
}

impl Drop for Devnet {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain HTTP/1.1 `GET` on 127.0.0.1:`port` (one request, `Connection: close`): the status
/// code and the body. Enough for the JSON and HTML the explorer serves.
pub fn http_get(port: u16, path: &str) -> (u16, String) {
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    http_exchange(port, &request).expect("an HTTP answer")
}

/// Sends `request` (which asks for `Connection: close`) to 127.0.0.1:`port` and reads the answer
/// to its end: the status code and the body, de-chunked.
fn http_exchange(port: u16, request: &str) -> std::io::Result<(u16, String)> {
    use std::io::{Error, Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port))?;
    s.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| Error::other("not an HTTP answer"))?;
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let mut body = &raw[split + 4..];
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| Error::other("no status"))?;
    if !head.contains("transfer-encoding: chunked") {
        return Ok((status, String::from_utf8_lossy(body).into_owned()));
    }
    let mut out = Vec::new();
    while let Some(end) = body.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&body[..end]).unwrap_or("0");
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        let chunk = &body[end + 2..];
        if n == 0 || chunk.len() < n {
            break;
        }
        out.extend_from_slice(&chunk[..n]);
        body = chunk[n..].strip_prefix(b"\r\n").unwrap_or(&chunk[n..]);
    }
    Ok((status, String::from_utf8_lossy(&out).into_owned()))
}
