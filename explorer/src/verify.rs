//! Source verification: compiles submitted Solidity with the project's pinned compiler (npm
//! `solc`, as `contracts/scripts/compile.js` uses it) and matches the runtime code with the code
//! the index holds for the address, as Etherscan and Sourcify do.
//!
//! Compiling is CPU-heavy and the input is untrusted, so it runs in a child process (`node`
//! with the pinned `solc`), one request at a time from a bounded queue, with a time limit and
//! an input size limit: page serving never waits for it. Requests and their outcome are rows
//! of `verification_jobs`, which Etherscan's `checkverifystatus` reads by GUID.

use std::{
    ops::Range,
    path::PathBuf,
    process::Stdio,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use alloy_primitives::{Address, keccak256};
use sec_indexer::{
    Database, IndexerError,
    verified::{self, CodeMatch, VerifiedContract},
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::Row;
use tokio::{io::AsyncWriteExt, sync::mpsc};
use tracing::{info, warn};

/// Settings of verification.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VerifyConfig {
    /// The npm `solc` package to compile with: the one pinned in contracts/package-lock.json
    /// (`npm ci --prefix contracts` installs it). Default `contracts/node_modules/solc`.
    pub solc: PathBuf,
    /// Node.js, which runs it. Default `node`.
    pub node: PathBuf,
    /// Seconds one compilation may take before it is stopped. Default 120.
    pub timeout_secs: u64,
    /// Largest source (standard-JSON input or single file) accepted, in bytes. Default 4 MiB.
    pub max_input_bytes: usize,
    /// Requests waiting for the compiler, at most; more are refused until it catches up.
    /// Default 16.
    pub queue: usize,
}

impl Default for VerifyConfig {
    fn default() -> Self {
        Self {
            solc: PathBuf::from("contracts/node_modules/solc"),
            node: PathBuf::from("node"),
            timeout_secs: 120,
            max_input_bytes: 4 << 20,
            queue: 16,
        }
    }
}

/// Why a source was not verified; the message is what the user reads.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The source is larger than the explorer compiles.
    #[error("the source is {bytes} bytes; this explorer compiles at most {limit}")]
    TooLarge {
        /// Its size.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// Too many requests are waiting.
    #[error("too many verification requests are waiting; try again in a minute")]
    QueueFull,
    /// The index holds no contract code at the address.
    #[error("no contract code at {0} in the index")]
    NoCode(Address),
    /// Another compiler version was asked for.
    #[error("compiler {asked} is not available here: this explorer compiles with {available}")]
    CompilerVersion {
        /// What the request named.
        asked: String,
        /// The one pinned compiler.
        available: String,
    },
    /// The request is malformed.
    #[error("{0}")]
    BadInput(String),
    /// solc refused the source.
    #[error("compile error: {0}")]
    Compile(String),
    /// The compiled output has no such contract.
    #[error("{0}")]
    ContractNotFound(String),
    /// The compiled code is not the code on chain.
    #[error(
        "bytecode mismatch: the runtime code of {name} compiled from this source is not the code \
         at {address} ({compiled} bytes compiled, {onchain} bytes on chain)"
    )]
    Mismatch {
        /// Contract name.
        name: String,
        /// Where.
        address: Address,
        /// Compiled runtime code length.
        compiled: usize,
        /// On-chain code length.
        onchain: usize,
    },
    /// The compiler could not be run.
    #[error("the compiler could not be run: {0}")]
    CompilerUnavailable(String),
    /// The compiler ran out of time.
    #[error("compilation took longer than {0} s and was stopped")]
    Timeout(u64),
    /// The verification itself broke down (a bug, not the source's fault).
    #[error("verification failed: {0}")]
    Internal(String),
    /// The index could not be read or written.
    #[error("database: {0}")]
    Database(#[from] IndexerError),
}

impl From<sqlx::Error> for VerifyError {
    fn from(e: sqlx::Error) -> Self {
        Self::Database(e.into())
    }
}

/// How the source is given, as Etherscan's `codeformat` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeFormat {
    /// `solidity-standard-json-input`: the compiler's standard-JSON input (sources, settings).
    StandardJson,
    /// `solidity-single-file`: one source file and the settings as separate fields.
    SingleFile,
}

impl CodeFormat {
    /// Etherscan's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::StandardJson => "solidity-standard-json-input",
            Self::SingleFile => "solidity-single-file",
        }
    }

    /// From Etherscan's name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "solidity-standard-json-input" => Some(Self::StandardJson),
            "solidity-single-file" => Some(Self::SingleFile),
            _ => None,
        }
    }
}

/// A request to verify the contract at an address.
#[derive(Debug, Clone)]
pub struct Request {
    /// The contract's address.
    pub address: Address,
    /// The domain; `None`: every domain where the address holds code.
    pub domain: Option<i64>,
    /// How `source` is given.
    pub format: CodeFormat,
    /// Standard-JSON input text, or the single file.
    pub source: String,
    /// `path:Name` or `Name`.
    pub contract: String,
    /// Compiler version asked for (`v0.8.37+commit.f401782d`); empty: the pinned one.
    pub compiler_version: String,
    /// Single file: optimizer on.
    pub optimize: bool,
    /// Single file: optimizer runs.
    pub runs: u32,
    /// Single file: EVM version (empty: the compiler's default).
    pub evm_version: String,
    /// Constructor arguments as given (hex); `None`: read from the creation transaction.
    pub constructor_args: Option<Vec<u8>>,
}

struct Job {
    guid: String,
    request: Request,
}

/// The queue of verification requests and its one worker.
pub struct Verifier {
    jobs: mpsc::Sender<Job>,
    config: VerifyConfig,
}

/// What became of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobStatus {
    /// The request's GUID.
    pub guid: String,
    /// The address.
    pub address: String,
    /// `pending`, `pass` or `fail`.
    pub status: String,
    /// Why it failed (empty otherwise).
    pub reason: String,
}

/// The script that runs the pinned solc-js: argv[1] is the package directory; standard-JSON
/// input on stdin, output on stdout; `--version` prints the version. Imports must be part of
/// the input (nothing is read from disk).
const SOLC_SCRIPT: &str = r#"'use strict';
const solc = require(process.argv[1]);
if (process.argv[2] === '--version') { process.stdout.write(solc.version()); process.exit(0); }
const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  const input = Buffer.concat(chunks).toString('utf8');
  const missing = (p) => ({ error: `import not found: ${p} (every imported file must be part of the input)` });
  process.stdout.write(solc.compile(input, { import: missing }));
});
"#;

/// What the compiler is asked for besides what the request's settings say.
fn output_selection() -> Value {
    json!({ "*": { "*": [
        "abi", "metadata", "evm.bytecode.object", "evm.deployedBytecode.object",
        "evm.deployedBytecode.immutableReferences", "evm.deployedBytecode.linkReferences"
    ] } })
}

static GUIDS: AtomicU64 = AtomicU64::new(0);

/// A fresh 50-character GUID, as long as Etherscan's.
fn new_guid(address: Address) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let n = GUIDS.fetch_add(1, Ordering::Relaxed);
    let mut seed = address.to_vec();
    seed.extend(nanos.to_be_bytes());
    seed.extend(n.to_be_bytes());
    seed.extend(std::process::id().to_be_bytes());
    let hex = alloy_primitives::hex::encode(keccak256(&seed));
    hex[..50].to_string()
}

impl Verifier {
    /// Starts the worker. Requests a previous run left pending are marked failed: their input
    /// was only in that run's memory.
    pub fn start(db: Database, config: VerifyConfig) -> Self {
        let (jobs, rx) = mpsc::channel(config.queue.max(1));
        tokio::spawn(work(db, config.clone(), rx, verified::unix_now()));
        Self { jobs, config }
    }

    /// The settings.
    pub fn config(&self) -> &VerifyConfig {
        &self.config
    }

    /// Queues `request`; returns its GUID.
    pub async fn submit(&self, db: &Database, request: Request) -> Result<String, VerifyError> {
        let limit = self.config.max_input_bytes;
        if request.source.len() > limit {
            return Err(VerifyError::TooLarge { bytes: request.source.len(), limit });
        }
        let guid = new_guid(request.address);
        sqlx::query(
            "INSERT INTO verification_jobs (guid, address, status, reason, submitted_at) \
             VALUES ($1, $2, 'pending', '', $3)",
        )
        .bind(guid.clone())
        .bind(request.address.to_vec())
        .bind(verified::unix_now() as i64)
        .execute(db.pool())
        .await?;
        let address = request.address;
        if self.jobs.try_send(Job { guid: guid.clone(), request }).is_err() {
            finish(db, &guid, Err(&VerifyError::QueueFull)).await?;
            return Err(VerifyError::QueueFull);
        }
        info!(%guid, %address, "verification queued");
        Ok(guid)
    }
}

pub(crate) const JOB_SQL: &str =
    "SELECT guid, address, status, reason FROM verification_jobs WHERE guid = $1";

/// The status of request `guid`.
pub async fn job_status(db: &Database, guid: &str) -> Result<Option<JobStatus>, VerifyError> {
    let row = sqlx::query(JOB_SQL).bind(guid.to_string()).fetch_optional(db.pool()).await?;
    let Some(row) = row else { return Ok(None) };
    let address: Vec<u8> = row.try_get("address")?;
    Ok(Some(JobStatus {
        guid: row.try_get("guid")?,
        address: crate::format::address(&address),
        status: row.try_get("status")?,
        reason: row.try_get("reason")?,
    }))
}

async fn finish(
    db: &Database,
    guid: &str,
    outcome: Result<(), &VerifyError>,
) -> Result<(), VerifyError> {
    let (status, reason) = match outcome {
        Ok(()) => ("pass", String::new()),
        Err(e) => ("fail", e.to_string()),
    };
    sqlx::query("UPDATE verification_jobs SET status = $1, reason = $2 WHERE guid = $3")
        .bind(status)
        .bind(reason)
        .bind(guid.to_string())
        .execute(db.pool())
        .await?;
    Ok(())
}

/// The worker: one request at a time, in order. Requests still pending from before `started`
/// (an earlier run's, whose input was in its memory) are marked failed first.
async fn work(db: Database, config: VerifyConfig, mut rx: mpsc::Receiver<Job>, started: u64) {
    // Only requests from before this run: one queued meanwhile is this run's.
    if let Err(e) = sqlx::query(
        "UPDATE verification_jobs SET status = 'fail', \
         reason = 'the explorer restarted before the request was compiled' \
         WHERE status = 'pending' AND submitted_at < $1",
    )
    .bind(started as i64)
    .execute(db.pool())
    .await
    {
        warn!(error = %e, "could not close the requests of an earlier run");
    }
    let compiler = std::sync::Arc::new(Compiler::new(&config));
    while let Some(Job { guid, request }) = rx.recv().await {
        let address = request.address;
        // A task of its own, so that a panic fails this request and not the queue.
        let (task_db, task_compiler) = (db.clone(), compiler.clone());
        let outcome =
            match tokio::spawn(async move { verify(&task_db, &task_compiler, &request).await })
                .await
            {
                Ok(outcome) => outcome,
                Err(e) => Err(VerifyError::Internal(e.to_string())),
            };
        match &outcome {
            Ok(matched) => info!(%guid, %address, domains = matched.len(), "verified"),
            Err(e) => info!(%guid, %address, reason = %e, "verification failed"),
        }
        if let Err(e) = finish(&db, &guid, outcome.as_ref().map(|_| ())).await {
            warn!(%guid, error = %e, "could not record a verification's outcome");
        }
    }
}

/// Runs the pinned solc-js in a child process.
pub struct Compiler {
    node: PathBuf,
    solc: PathBuf,
    timeout: Duration,
    version: tokio::sync::OnceCell<String>,
}

impl Compiler {
    /// A compiler as `config` says.
    pub fn new(config: &VerifyConfig) -> Self {
        Self {
            node: config.node.clone(),
            solc: config.solc.clone(),
            timeout: Duration::from_secs(config.timeout_secs.max(1)),
            version: tokio::sync::OnceCell::new(),
        }
    }

    async fn run(&self, args: &[&str], stdin: &[u8]) -> Result<Vec<u8>, VerifyError> {
        let solc = std::path::absolute(&self.solc)
            .map_err(|e| VerifyError::CompilerUnavailable(e.to_string()))?;
        if !solc.join("package.json").exists() {
            return Err(VerifyError::CompilerUnavailable(format!(
                "no solc package at {} (npm ci --prefix contracts installs it)",
                solc.display()
            )));
        }
        let mut child = tokio::process::Command::new(&self.node)
            .arg("-e")
            .arg(SOLC_SCRIPT)
            .arg(&solc)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                VerifyError::CompilerUnavailable(format!("{}: {e}", self.node.display()))
            })?;
        let mut input =
            child.stdin.take().ok_or_else(|| VerifyError::CompilerUnavailable("stdin".into()))?;
        let input_bytes = stdin.to_vec();
        let run = async move {
            input.write_all(&input_bytes).await?;
            drop(input);
            child.wait_with_output().await
        };
        // Dropping the future on timeout drops the child, which kills it.
        let output = tokio::time::timeout(self.timeout, run)
            .await
            .map_err(|_| VerifyError::Timeout(self.timeout.as_secs()))?
            .map_err(|e| VerifyError::CompilerUnavailable(e.to_string()))?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            return Err(VerifyError::CompilerUnavailable(format!(
                "{}: {}",
                output.status,
                stderr.chars().take(2_000).collect::<String>()
            )));
        }
        Ok(output.stdout)
    }

    /// The compiler's version, Etherscan's way (`v0.8.37+commit.f401782d`).
    pub async fn version(&self) -> Result<String, VerifyError> {
        self.version
            .get_or_try_init(|| async {
                let out = self.run(&["--version"], b"").await?;
                Ok(verified::compiler_tag(String::from_utf8_lossy(&out).trim()))
            })
            .await
            .cloned()
    }

    /// Compiles a standard-JSON input; the output, or solc's errors.
    pub async fn compile(&self, input: &Value) -> Result<Value, VerifyError> {
        let out = self.run(&[], input.to_string().as_bytes()).await?;
        let output: Value = serde_json::from_slice(&out)
            .map_err(|e| VerifyError::CompilerUnavailable(format!("unreadable output: {e}")))?;
        let errors: Vec<String> = output["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["severity"] == "error")
            .map(|e| {
                e["formattedMessage"].as_str().or(e["message"].as_str()).unwrap_or("").to_string()
            })
            .collect();
        if !errors.is_empty() {
            return Err(VerifyError::Compile(errors.join("\n")));
        }
        Ok(output)
    }
}

/// The standard-JSON input a request compiles, with the outputs verification needs.
pub fn standard_input(request: &Request) -> Result<Value, VerifyError> {
    let mut input = match request.format {
        CodeFormat::StandardJson => {
            let input: Value = serde_json::from_str(&request.source).map_err(|e| {
                VerifyError::BadInput(format!("the standard-JSON input is not JSON: {e}"))
            })?;
            if !input["sources"].is_object() {
                return Err(VerifyError::BadInput(
                    "the standard-JSON input has no \"sources\" object".into(),
                ));
            }
            if input.get("language").is_some_and(|l| l != "Solidity") {
                return Err(VerifyError::BadInput("only Solidity is compiled here".into()));
            }
            input
        }
        CodeFormat::SingleFile => {
            let name = contract_name(&request.contract).1;
            let mut settings =
                json!({ "optimizer": { "enabled": request.optimize, "runs": request.runs } });
            let evm = request.evm_version.trim();
            if !evm.is_empty() && !evm.eq_ignore_ascii_case("default") {
                settings["evmVersion"] = json!(evm);
            }
            json!({
                "language": "Solidity",
                "sources": { format!("{name}.sol"): { "content": request.source } },
                "settings": settings,
            })
        }
    };
    input["language"] = json!("Solidity");
    if !input["settings"].is_object() {
        input["settings"] = json!({});
    }
    input["settings"]["outputSelection"] = output_selection();
    Ok(input)
}

/// (`path`, `Name`) of `path:Name`; (`""`, `Name`) of `Name`.
fn contract_name(s: &str) -> (&str, &str) {
    match s.rsplit_once(':') {
        Some((file, name)) => (file, name),
        None => ("", s),
    }
}

/// The code ranges solc leaves for the deployer to fill (immutables) or the linker (library
/// addresses), from a contract's `evm.deployedBytecode`.
fn wildcards(deployed: &Value) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut add = |refs: &Value| {
        for r in refs.as_array().into_iter().flatten() {
            if let (Some(start), Some(length)) = (r["start"].as_u64(), r["length"].as_u64()) {
                out.push(start as usize..(start + length) as usize);
            }
        }
    };
    for refs in deployed["immutableReferences"].as_object().into_iter().flat_map(|m| m.values()) {
        add(refs);
    }
    for file in deployed["linkReferences"].as_object().into_iter().flat_map(|m| m.values()) {
        for refs in file.as_object().into_iter().flat_map(|m| m.values()) {
            add(refs);
        }
    }
    out
}

/// Compiled code as bytes; unlinked library placeholders (`__$…$__`) become zeros, which the
/// link references then take from the chain.
fn code_bytes(hex: &str) -> Vec<u8> {
    let hex = hex.trim_start_matches("0x").as_bytes();
    let mut cleaned = Vec::with_capacity(hex.len());
    let mut i = 0;
    while i < hex.len() {
        if hex[i] == b'_' {
            // a placeholder is 40 characters: __$<34 hex>$__
            let len = 40.min(hex.len() - i);
            cleaned.extend(std::iter::repeat_n(b'0', len));
            i += len;
        } else {
            cleaned.push(hex[i]);
            i += 1;
        }
    }
    alloy_primitives::hex::decode(cleaned).unwrap_or_default()
}

/// The code the index holds at `address`: (domain, runtime code, creating transaction).
async fn onchain_codes(
    db: &Database,
    address: Address,
    domain: Option<i64>,
) -> Result<Vec<(i64, Vec<u8>, Vec<u8>)>, VerifyError> {
    let rows =
        sqlx::query(crate::contract::CODE_SQL).bind(address.to_vec()).fetch_all(db.pool()).await?;
    let mut out = Vec::new();
    for row in rows {
        let d: i64 = row.try_get("domain")?;
        if domain.is_some_and(|want| want != d) {
            continue;
        }
        let code: Vec<u8> = row.try_get::<Option<Vec<u8>>, _>("code")?.unwrap_or_default();
        if !code.is_empty() {
            out.push((d, code, row.try_get::<Vec<u8>, _>("tx_hash")?));
        }
    }
    Ok(out)
}

pub(crate) const CREATION_SQL: &str =
    "SELECT input, contract_address FROM transactions WHERE hash = $1 AND domain = $2";

/// The constructor arguments of the contract `address` created in transaction `tx_hash`: what
/// follows the creation code in the transaction's input (known for contracts created by a
/// transaction, not by another contract).
async fn constructor_args(
    db: &Database,
    domain: i64,
    address: Address,
    tx_hash: &[u8],
    creation_len: usize,
) -> Result<Vec<u8>, VerifyError> {
    let row = sqlx::query(CREATION_SQL)
        .bind(tx_hash.to_vec())
        .bind(domain)
        .fetch_optional(db.pool())
        .await?;
    let Some(row) = row else { return Ok(Vec::new()) };
    let created: Option<Vec<u8>> = row.try_get("contract_address")?;
    let input: Vec<u8> = row.try_get::<Option<Vec<u8>>, _>("input")?.unwrap_or_default();
    if created.as_deref() != Some(address.as_slice()) || input.len() < creation_len {
        return Ok(Vec::new());
    }
    Ok(input[creation_len..].to_vec())
}

/// Verifies `request`: compiles it, matches it with the code at its address in every domain it
/// names, and records it where it matched. Returns the (domain, match) of each.
pub async fn verify(
    db: &Database,
    compiler: &Compiler,
    request: &Request,
) -> Result<Vec<(i64, CodeMatch)>, VerifyError> {
    let codes = onchain_codes(db, request.address, request.domain).await?;
    if codes.is_empty() {
        return Err(VerifyError::NoCode(request.address));
    }
    let available = compiler.version().await?;
    let asked = request.compiler_version.trim();
    if !asked.is_empty() && verified::compiler_tag(asked) != available {
        return Err(VerifyError::CompilerVersion { asked: asked.into(), available });
    }
    let input = standard_input(request)?;
    let output = compiler.compile(&input).await?;
    let (want_file, name) = contract_name(request.contract.trim());
    if name.is_empty() {
        return Err(VerifyError::BadInput("the contract name is missing".into()));
    }
    let mut found = Vec::new();
    for (file, contracts) in output["contracts"].as_object().into_iter().flatten() {
        if !want_file.is_empty() && file != want_file {
            continue;
        }
        if let Some(c) = contracts.get(name) {
            found.push((file.clone(), c.clone()));
        }
    }
    let (file, contract) = match found.len() {
        1 => found.remove(0),
        0 => {
            return Err(VerifyError::ContractNotFound(format!(
                "the source has no contract {}",
                request.contract.trim()
            )));
        }
        _ => {
            return Err(VerifyError::ContractNotFound(format!(
                "{} files declare a contract {name}: name it as path:{name}",
                found.len()
            )));
        }
    };
    let deployed = &contract["evm"]["deployedBytecode"];
    let compiled = code_bytes(deployed["object"].as_str().unwrap_or(""));
    let creation_len =
        code_bytes(contract["evm"]["bytecode"]["object"].as_str().unwrap_or("")).len();
    let ranges = wildcards(deployed);
    let source_text = match request.format {
        CodeFormat::StandardJson => input["sources"][&file]["content"].as_str().unwrap_or(""),
        CodeFormat::SingleFile => request.source.as_str(),
    };
    let license = verified::license_of(source_text);
    let mut stored_input = input.clone();
    if let Some(settings) = stored_input["settings"].as_object_mut() {
        settings.remove("outputSelection");
    }
    let mut matched = Vec::new();
    let mut mismatch = None;
    for (domain, code, tx_hash) in &codes {
        let Some(kind) = verified::compare(code, &compiled, &ranges) else {
            mismatch.get_or_insert((code.len(), compiled.len()));
            continue;
        };
        let args = match &request.constructor_args {
            Some(args) => args.clone(),
            None => constructor_args(db, *domain, request.address, tx_hash, creation_len).await?,
        };
        let row = VerifiedContract {
            domain: *domain,
            address: request.address,
            name: name.to_string(),
            file: file.clone(),
            full_match: kind == CodeMatch::Full,
            compiler_version: available.clone(),
            code_format: request.format.name().into(),
            source: match request.format {
                CodeFormat::StandardJson => stored_input.to_string(),
                CodeFormat::SingleFile => request.source.clone(),
            },
            settings: stored_input["settings"].to_string(),
            abi: contract["abi"].to_string(),
            constructor_args: args,
            license: license.clone(),
            code_hash: keccak256(code).to_vec(),
            origin: "user".into(),
        };
        verified::store(db, &row, verified::unix_now()).await?;
        matched.push((*domain, kind));
    }
    if matched.is_empty() {
        let (onchain, compiled) = mismatch.unwrap_or_default();
        return Err(VerifyError::Mismatch {
            name: name.to_string(),
            address: request.address,
            compiled,
            onchain,
        });
    }
    Ok(matched)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_and_wildcards() {
        let hex = format!("6080{}6000", "__$0123456789abcdef0123456789abcdef01$__");
        let bytes = code_bytes(&hex);
        assert_eq!(bytes.len(), 24);
        assert_eq!(&bytes[2..22], &[0u8; 20]);
        let deployed = json!({
            "immutableReferences": { "12": [{ "start": 5, "length": 32 }] },
            "linkReferences": { "L.sol": { "L": [{ "start": 2, "length": 20 }] } },
        });
        assert_eq!(wildcards(&deployed), vec![5..37, 2..22]);
    }

    #[test]
    fn single_files_become_standard_input() {
        let request = Request {
            address: Address::ZERO,
            domain: None,
            format: CodeFormat::SingleFile,
            source: "contract A {}".into(),
            contract: "A".into(),
            compiler_version: String::new(),
            optimize: true,
            runs: 200,
            evm_version: "default".into(),
            constructor_args: None,
        };
        let input = standard_input(&request).unwrap();
        assert_eq!(input["sources"]["A.sol"]["content"], "contract A {}");
        assert_eq!(input["settings"]["optimizer"]["runs"], 200);
        assert!(input["settings"].get("evmVersion").is_none());
        let bad = Request { format: CodeFormat::StandardJson, ..request };
        assert!(matches!(standard_input(&bad), Err(VerifyError::BadInput(_))));
        assert_eq!(contract_name("src/A.sol:A"), ("src/A.sol", "A"));
    }
}
